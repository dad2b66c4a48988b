#!/usr/bin/env bash
# Build the workspace's tests for x86_64-pc-windows-gnu and run them under Wine.
#
# Usage:
#   scripts/test-windows.sh                     # the default packages, see below
#   scripts/test-windows.sh -p winsync     # any `cargo test` arguments
#   scripts/test-windows.sh -p winsync -- --nocapture
#
# When the arguments select no package (no -p/--package/--workspace/--all/
# --manifest-path before `--`), the default packages are tested: every crate but
# the generator, which is a host tool (it runs rustfmt and cargo). The tests of
# the other crates that run the generator are `#[cfg(not(windows))]`. Set
# WINDOWS_TEST_PACKAGES to test others.
#
# Works on a fresh Debian 12 machine, as root (or with sudo). Why this route:
#   - Debian's rustc-web/cargo-web (1.96) + rust-web-src build std for the
#     Windows target with -Zbuild-std (RUSTC_BOOTSTRAP=1); rustup's toolchain here
#     has neither the target nor rust-src. mingw-w64's gcc links.
#   - Wine 8.0 runs the test binaries (cargo's target runner, doctests too).
#   - Wine 8.0 lacks bcryptprimitives.dll (ProcessPrng), which Rust's std
#     imports, and its combase.dll aborts in RoOriginateErrorW, which every
#     windows_core::Error::new(code, "message") calls: scripts/wine/processprng.c
#     is a shim DLL, put into the prefix, that fixes both.
#
# Environment:
#   WINSYNC_ROOT   workspace root (default: the parent of this script's dir)
#   CARGO_TARGET_DIR    host target dir (default: $WINSYNC_ROOT/target)
#   WINDOWS_TARGET_DIR  target dir of the Windows build (default: <target>/windows)
#   WINEPREFIX          Wine prefix (default: <target>/wine-prefix); reused if present
#   WINEDEBUG           default -all
#   WINEDLLOVERRIDES    default "mscoree,mshtml=;winedbg.exe=d"
#   WINDOWS_TEST_CHECK_RESULTS=0  don't require a "test result:" line per test
#                       binary (needed only for harness = false test targets)
#
# Exit status: that of `cargo test` (101 when a test fails); 1 when cargo said 0
# but the output shows a crash under Wine; non-zero when a setup step fails.
# The build's output is also saved in <windows target dir>/test-windows-output.log.
# Never writes build.target into any .cargo/config.toml.
set -euo pipefail

readonly TARGET_TRIPLE=x86_64-pc-windows-gnu
readonly PACKAGES=(rustc-web cargo-web rust-web-src gcc-mingw-w64-x86-64-posix wine64 wine)

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "${WINSYNC_ROOT:-$script_dir/..}" && pwd)
shim_src=$script_dir/wine/processprng.c

host_target_dir=${CARGO_TARGET_DIR:-$root/target}
[[ $host_target_dir == /* ]] || host_target_dir=$root/$host_target_dir
win_target_dir=${WINDOWS_TARGET_DIR:-$host_target_dir/windows}

export WINEPREFIX=${WINEPREFIX:-$host_target_dir/wine-prefix}
[[ $WINEPREFIX == /* ]] || WINEPREFIX=$PWD/$WINEPREFIX # Wine wants it absolute
export WINEDEBUG=${WINEDEBUG:--all}
# mscoree,mshtml=: no Mono/Gecko install prompts. winedbg.exe=d: no crash
# debugger; with it a crashed test binary can exit with status 0 (seen here).
export WINEDLLOVERRIDES=${WINEDLLOVERRIDES:-mscoree,mshtml=;winedbg.exe=d}

log() { printf '[test-windows] %s\n' "$*" >&2; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
timings=()
phase_start=0
start_phase() { phase_start=$(now_ms); }
end_phase() { # name [note]
    local ms=$(( $(now_ms) - phase_start ))
    local line
    line=$(printf '%-11s %4d.%01ds%s' "$1:" $((ms / 1000)) $((ms % 1000 / 100)) "${2:+  ($2)}")
    timings+=("$line")
    log "time $line"
}
# shellcheck disable=SC2317 # called from the EXIT trap
print_timings() {
    ((${#timings[@]})) || return 0
    log "timings:"
    local t
    for t in "${timings[@]}"; do log "  $t"; done
}

# shellcheck disable=SC2317 # called from the EXIT trap
stop_wine() {
    if command -v wineserver >/dev/null 2>&1 && [[ -d $WINEPREFIX ]]; then
        wineserver -k >/dev/null 2>&1 || true
    fi
}
# shellcheck disable=SC2317 # the EXIT trap
on_exit() {
    local rc=$?
    stop_wine
    print_timings
    exit "$rc"
}
trap on_exit EXIT

# --- 1. packages ------------------------------------------------------------
start_phase
missing=()
for pkg in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [[ $status == "install ok installed" ]] || missing+=("$pkg")
done
if ((${#missing[@]})); then
    sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null 2>&1 || { log "need root (or sudo) to install: ${missing[*]}"; exit 1; }
        sudo=(sudo)
    fi
    mkdir -p "$host_target_dir"
    apt_log=$host_target_dir/test-windows-apt.log
    log "installing ${missing[*]} (log: $apt_log)"
    apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300)
    if ! { "${apt[@]}" update && "${apt[@]}" install -y --no-install-recommends "${PACKAGES[@]}"; } >"$apt_log" 2>&1; then
        tail -n 30 "$apt_log" >&2
        log "apt-get failed"
        exit 1
    fi
    end_phase install "${#missing[@]} packages"
else
    end_phase install "already present"
fi

# Debian's toolchain, whatever rustup puts first in PATH.
for tool in /usr/bin/cargo /usr/bin/rustc /usr/bin/rustdoc x86_64-w64-mingw32-gcc wine wineboot wineserver; do
    command -v "$tool" >/dev/null 2>&1 || { log "missing $tool after install"; exit 1; }
done

# --- 2. Wine prefix ---------------------------------------------------------
start_phase
if [[ -f $WINEPREFIX/system.reg && -d $WINEPREFIX/drive_c/windows/system32 ]]; then
    end_phase prefix "reused $WINEPREFIX"
else
    log "creating Wine prefix $WINEPREFIX"
    mkdir -p "$WINEPREFIX"
    if ! boot_out=$(wineboot --init 2>&1 && wineserver -w 2>&1); then
        printf '%s\n' "$boot_out" | tail -n 30 >&2
        log "wineboot --init failed"
        exit 1
    fi
    [[ -d $WINEPREFIX/drive_c/windows/system32 ]] || { log "Wine prefix incomplete"; exit 1; }
    end_phase prefix "created"
fi

# --- 3. bcryptprimitives.dll shim -------------------------------------------
start_phase
shim_dll=$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll
if [[ ! -f $shim_dll || $shim_src -nt $shim_dll ]]; then
    x86_64-w64-mingw32-gcc -O2 -Wall -shared -static-libgcc -s \
        -o "$shim_dll.tmp" "$shim_src" -lbcrypt -loleaut32 -luuid
    mv -f "$shim_dll.tmp" "$shim_dll"
    end_phase shim "built"
else
    end_phase shim "up to date"
fi

# --- 4. build + test --------------------------------------------------------
args=("$@")
selects_package=false
for arg in "${args[@]}"; do
    [[ $arg == -- ]] && break
    case $arg in
        -p | -p* | --package | --package=* | --workspace | --all | --manifest-path | --manifest-path=*)
            selects_package=true ;;
    esac
done
read -r -a default_packages <<< "${WINDOWS_TEST_PACKAGES:-winsync-engine winsync winsync-tests winsync-example-build-script winsync-example-kv-replica winsync-example-folder-sync winsync-example-handler-dll}"
package_args=()
for package in "${default_packages[@]}"; do package_args+=(-p "$package"); done
$selects_package || args=("${package_args[@]}" "${args[@]}")

# A test binary that crashes under Wine can end with exit status 0 (Windows
# exit codes reach Linux truncated to 8 bits), so the output is checked too:
# every test binary must print libtest's "test result:" line, and Wine must not
# report an unhandled exception or an unimplemented function.
# WINDOWS_TEST_CHECK_RESULTS=0 turns off the first check (for harness = false
# targets); libtest's --list, --format and --help turn it off by themselves.
check_results=${WINDOWS_TEST_CHECK_RESULTS:-1}
after_dashdash=false
for arg in "${args[@]}"; do
    if $after_dashdash; then
        case $arg in --list | --format | --format=* | --help | -h) check_results=0 ;; esac
    fi
    [[ $arg == -- ]] && after_dashdash=true
done

start_phase
log "cargo test --target $TARGET_TRIPLE -Zbuild-std ${args[*]}  (in $root, target dir $win_target_dir)"
mkdir -p "$win_target_dir"
out_log=$win_target_dir/test-windows-output.log
[[ -t 1 ]] && export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-always}
rc=0
(
    cd "$root"
    # Debian's cargo/rustc (rustup's proxies in ~/.cargo/bin would shadow them),
    # for this build only; nothing inherited may point back at rustup's.
    export PATH=/usr/bin:$PATH
    unset RUSTUP_TOOLCHAIN CARGO CARGO_BUILD_TARGET
    export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
    export RUSTC_BOOTSTRAP=1 # -Zbuild-std on a stable compiler
    export CARGO_TARGET_DIR=$win_target_dir
    export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=wine
    exec /usr/bin/cargo test --target "$TARGET_TRIPLE" -Zbuild-std "${args[@]}"
) 2>&1 | tee "$out_log" || rc=$?

plain_output() { sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$out_log"; }
crashes=$(plain_output | grep -E '^(wine: (Unhandled|Unimplemented function|Call from .* to unimplemented function)|Unhandled exception)' | sort -u || true)
if [[ -n $crashes ]]; then
    log "Wine reported a crash:"
    printf '%s\n' "$crashes" | sed 's/^/[test-windows]   /' >&2
    ((rc)) || rc=1
fi
if ((check_results)); then
    no_result=$(plain_output | awk '
        /^ +(Running|Doc-tests) / { if (open) print hdr; hdr = $0; sub(/^ +/, "", hdr); open = 1; next }
        /^test result: / { open = 0 }
        END { if (open) print hdr }')
    if [[ -n $no_result ]]; then
        log "test binaries that ended without a 'test result:' line (crashed?):"
        printf '%s\n' "$no_result" | sed 's/^/[test-windows]   /' >&2
        ((rc)) || rc=1
    fi
fi
end_phase build+test "exit $rc"
if ((rc != 0)); then
    log "FAILED (exit $rc); output saved in $out_log"
fi
exit "$rc"
