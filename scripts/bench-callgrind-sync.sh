#!/usr/bin/env bash
# Instructions per change of one session of N new items (batches of 1,000), counted by
# `valgrind --tool=callgrind` (repeatable on a shared, noisy machine): on the engine alone
# (engine/examples/session_profile.rs) and through the COM interfaces with two ReplicaProviders
# (runtime/examples/replica_profile.rs; over the runtime's MemoryStore, then over the
# benchmark's hash-map store). Each runs once with `setup` (the source's items written, no
# session) and once whole; the difference divided by N is the count per change.
#
# Usage: scripts/bench-callgrind-sync.sh [N]   (default N = 20000)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20000}
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
cargo build -q --release -p winsync-engine --example session_profile
cargo build -q --release -p winsync --example replica_profile
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

count() { # binary args... -> total instructions
    valgrind --tool=callgrind --callgrind-out-file="$work/out" "$@" >/dev/null 2>"$work/log"
    awk '/^summary:/ { print $2 }' "$work/out"
}

for run in session_profile replica_profile "replica_profile hash"; do
    read -r example store <<<"$run"
    bin=target/release/examples/$example
    setup=$(count "$bin" "$n" setup $store)
    whole=$(count "$bin" "$n" $store)
    printf '%-21s %6d instructions per change (N = %d)\n' "$run" $(( (whole - setup) / n )) "$n"
done
