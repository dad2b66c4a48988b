//! The `winsync-gen` command as a user runs it.
// Test helpers fail loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn run(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_winsync-gen"))
        .args(args)
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn help_lists_every_option() {
    let (ok, out, _) = run(&["generate", "--help"]);
    assert!(ok);
    for flag in [
        "--in",
        "--bundled",
        "--filter",
        "--out",
        "--contracts",
        "--supplement",
        "--list",
    ] {
        assert!(out.contains(flag), "--help lacks {flag}:\n{out}");
    }
    let (ok, out, _) = run(&["--help"]);
    assert!(
        ok && out.contains("generate") && out.contains("extract-metadata"),
        "{out}"
    );
}

#[test]
fn generate_writes_the_outputs_and_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let (ok, stdout, stderr) = run(&["generate", "--out", out.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    assert!(stdout.starts_with("generated "), "{stdout}");
    assert!(stdout.contains("48 skeleton traits"), "{stdout}");
    for file in [
        "mod.rs",
        "bindings.rs",
        "hresults.rs",
        "contracts.rs",
        "skeletons.rs",
        "CONTRACTS.md",
    ] {
        assert!(out.join(file).is_file(), "{file} missing");
    }
    // A second run rewrites nothing.
    let (ok, stdout, _) = run(&["generate", "--out", out.to_str().unwrap()]);
    assert!(ok && !stdout.contains("written)"), "{stdout}");
}

#[test]
fn list_shows_what_the_metadata_offers() {
    let (ok, out, _) = run(&["generate", "--list"]);
    assert!(ok);
    assert!(
        out.contains("interface Windows.Win32.UI.Shell.ISyncMgrHandler"),
        "{out}"
    );
    assert!(
        out.contains("enum      Windows.Win32.System.WindowsSync.SYNC_PROVIDER_ROLE"),
        "{out}"
    );
    let (ok, out, _) = run(&[
        "generate",
        "--list",
        "--filter",
        "Windows.Win32.UI.Shell.*SyncMgr",
    ]);
    assert!(ok && out.trim_end().ends_with("99 items"), "{out}");
}

#[test]
fn errors_exit_non_zero_with_a_message_and_no_panic() {
    let (ok, _, stderr) = run(&[
        "generate",
        "--filter",
        "ISyncMgrHandlr",
        "--out",
        "/nonexistent/never-written",
    ]);
    assert!(!ok);
    assert!(
        stderr.starts_with("error: unknown filter name `ISyncMgrHandlr`"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.winmd");
    std::fs::write(&bad, b"not metadata").unwrap();
    let (ok, _, stderr) = run(&[
        "generate",
        "--in",
        bad.to_str().unwrap(),
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(
        stderr.contains("bad.winmd: not a readable .winmd file"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}
