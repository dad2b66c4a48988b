#!/usr/bin/env bash
# Measures `winsync-gen generate` on the default selection against windows-bindgen alone
# emitting the same selection from Microsoft's full Win32 metadata: wall time and peak resident
# memory (GNU time) of RUNS (default 11) paired runs of each release binary, alternating, and
# the median of the per-pair ratios.
#
#   scripts/bench-generate.sh            # prints a Markdown table for BENCHMARKS.md
#
# `cargo bench -p winsync-gen` measures the wall time of the same two jobs in-process.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
runs=${RUNS:-11}
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }

cargo build -q --release -p winsync-gen --bin winsync-gen --example bindgen_alone
gen=target/release/winsync-gen
alone=target/release/examples/bindgen_alone
upstream=$(cargo metadata --format-version 1 --manifest-path generator/Cargo.toml \
  | python3 -c 'import json,sys,os; m=json.load(sys.stdin); p=[p for p in m["packages"] if p["name"]=="windows-bindgen" and p["version"]=="0.66.0"][0]; print(os.path.join(os.path.dirname(p["manifest_path"]), "default/Windows.Win32.winmd"))')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$alone" filters "$work/filters.txt"

# Paired runs: each round runs both jobs back to back, in alternating order, so that the
# machine's load falls on both alike; the ratios are computed per pair.
: > "$work/pairs"
one() { # command...: prints "seconds peak_kib"
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null
  cat "$work/time"
}
for round in $(seq "$runs"); do
  if (( round % 2 )); then
    g=$(one "$gen" generate --out "$work/out"); a=$(one "$alone" emit "$upstream" "$work/filters.txt" "$work/alone.rs")
  else
    a=$(one "$alone" emit "$upstream" "$work/filters.txt" "$work/alone.rs"); g=$(one "$gen" generate --out "$work/out")
  fi
  echo "$g $a" >> "$work/pairs"
done

median() { sort -n | sed -n "$(( (runs + 1) / 2 ))p"; }
gt=$(awk '{print $1}' "$work/pairs" | median); gm=$(awk '{print $2}' "$work/pairs" | median)
at=$(awk '{print $3}' "$work/pairs" | median); am=$(awk '{print $4}' "$work/pairs" | median)
rt=$(awk '{printf "%.3f\n", $1 / $3}' "$work/pairs" | median)
rm_=$(awk '{printf "%.3f\n", $2 / $4}' "$work/pairs" | median)

echo "| job (median of $runs paired runs, release) | wall time | peak memory (RSS) |"
echo "| --- | --- | --- |"
awk -v t="$gt" -v m="$gm" 'BEGIN { printf "| winsync-gen generate: bindings + skeletons + contracts + report, bundled subset | %.2f s | %.0f MiB |\n", t, m / 1024 }'
awk -v t="$at" -v m="$am" 'BEGIN { printf "| windows-bindgen 0.100 alone: bindings only, full Win32 metadata 63.0.31 (23.8 MB) | %.2f s | %.0f MiB |\n", t, m / 1024 }'
echo
echo "Median of the per-pair ratios (generate / windows-bindgen alone): wall time $rt, peak memory $rm_ (goal: at most 0.5 each)."
