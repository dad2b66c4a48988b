#!/usr/bin/env bash
# Packages the crates a user depends on (winsync, winsync-engine, winsync-macros, winsync-gen) and builds and
# tests two user crates outside the workspace against the packaged sources only: the unpacked
# .crate files, copied into a scratch folder and patched in by path, with no way to reach the
# repository's other folders.
#   scripts/package-check/derive-user: a provider and a handler made with the derives;
#   scripts/package-check/builder-user: a build.rs running the packaged generator's Builder.
#
# Usage: scripts/check-packages.sh
# Environment: CARGO_TARGET_DIR (default: <repo>/target); the user crates build in
# <target>/package-check so that reruns are incremental.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
[[ $target == /* ]] || target=$root/$target
readonly crates=(winsync-macros winsync-engine winsync winsync-gen)

log() { printf '[check-packages] %s\n' "$*" >&2; }

cd "$root"
version=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "winsync"))')

log "cargo package ${crates[*]} (version $version)"
package_args=()
for crate in "${crates[@]}"; do package_args+=(-p "$crate"); done
# --allow-dirty: CI packages a clean clone; a local run packages the work tree as it is.
cargo package "${package_args[@]}" --no-verify --allow-dirty --quiet

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/packages"
for crate in "${crates[@]}"; do
    tar -xzf "$target/package/$crate-$version.crate" -C "$scratch/packages"
done

patch="[patch.crates-io]"
for crate in "${crates[@]}"; do
    patch+=$'\n'"$crate = { path = \"$scratch/packages/$crate-$version\" }"
done

for user in derive-user builder-user; do
    cp -r "$root/scripts/package-check/$user" "$scratch/$user"
    printf '\n%s\n' "$patch" >> "$scratch/$user/Cargo.toml"
    log "$user: cargo test against the packages"
    (cd "$scratch/$user" && CARGO_TARGET_DIR="$target/package-check" cargo test --quiet)
done
log "every user crate built and passed its tests against the packaged crates"
