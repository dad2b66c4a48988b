#!/usr/bin/env bash
# Measures `winsync-gen generate` on the default selection against windows-bindgen alone
# emitting the same selection from Microsoft's full Win32 metadata: median wall time and peak
# resident memory of 5 runs of each release binary, measured with GNU time.
#
#   scripts/bench-generate.sh            # prints a Markdown table for BENCHMARKS.md
#
# `cargo bench -p winsync-gen` measures the wall time of the same two jobs in-process.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
runs=${RUNS:-5}
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }

cargo build -q --release -p winsync-gen --bin winsync-gen --example bindgen_alone
gen=target/release/winsync-gen
alone=target/release/examples/bindgen_alone
upstream=$(cargo metadata --format-version 1 --manifest-path generator/Cargo.toml \
  | python3 -c 'import json,sys,os; m=json.load(sys.stdin); p=[p for p in m["packages"] if p["name"]=="windows-bindgen" and p["version"]=="0.66.0"][0]; print(os.path.join(os.path.dirname(p["manifest_path"]), "default/Windows.Win32.winmd"))')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$alone" filters "$work/filters.txt"

measure() { # label, command...: prints "label median_seconds median_peak_mib"
  local label=$1; shift
  local times=() mems=()
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null
    read -r t m < "$work/time"
    times+=("$t"); mems+=("$m")
  done
  local t m
  t=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")
  m=$(printf '%s\n' "${mems[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")
  awk -v l="$label" -v t="$t" -v m="$m" 'BEGIN { printf "| %s | %.2f s | %.0f MiB |\n", l, t, m / 1024 }'
}

echo "| job (median of $runs, release) | wall time | peak memory (RSS) |"
echo "| --- | --- | --- |"
measure "winsync-gen generate: bindings + skeletons + contracts + report, bundled subset" "$gen" generate --out "$work/out"
measure "windows-bindgen 0.100 alone: bindings only, full Win32 metadata 63.0.31 (23.8 MB)" "$alone" emit "$upstream" "$work/filters.txt" "$work/alone.rs"
