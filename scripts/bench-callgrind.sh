#!/usr/bin/env bash
# Instructions per call of the checked paths against the raw ones, counted by
# `valgrind --tool=callgrind` (repeatable on a shared, noisy machine): each path runs N and 2N
# times (runtime/examples/call_paths.rs); the difference divided by N is the per-call count,
# free of start-up costs.
#
# Usage: scripts/bench-callgrind.sh [N]   (default N = 20000)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20000}
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
cargo build -q --release -p winsync --example call_paths
bin=${CARGO_TARGET_DIR:-target}/release/examples/call_paths
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

count() { # path runs -> total instructions
    valgrind --tool=callgrind --callgrind-out-file="$work/out" "$bin" "$1" "$2" >/dev/null 2>"$work/log"
    awk '/^summary:/ { print $2 }' "$work/out"
}

per_call() {
    local one two
    one=$(count "$1" "$n")
    two=$(count "$1" $((2 * n)))
    echo $(( (two - one) / n ))
}

for pair in "begin-end" "report-progress"; do
    checked=$(per_call "$pair-checked")
    raw=$(per_call "$pair-raw")
    ratio=$(awk -v c="$checked" -v r="$raw" 'BEGIN { printf "%.2f", c / r }')
    printf '%-16s checked %6d instructions/call   raw %6d   ratio %s\n' "$pair" "$checked" "$raw" "$ratio"
done
