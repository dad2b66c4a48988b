//! `Builder` from a `build.rs`: on metadata that makes windows-bindgen or the metadata reader
//! panic, the build script gets an `Err` and nothing is printed (no panic message, no
//! backtrace). The test runs itself as a child process to read what the child prints.
// Test helpers fail loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

const CHILD: &str = "WINSYNC_GEN_BUILDER_CHILD";

#[test]
fn builder_on_corrupt_metadata_prints_nothing_and_returns_the_error() {
    if let Some(dir) = std::env::var_os(CHILD) {
        // The child: what a build script does.
        let dir = std::path::PathBuf::from(dir);
        let result = winsync_gen::Builder::new()
            .input(dir.join("corrupt.winmd"))
            .out_dir(dir.join("out"))
            .generate();
        let error = result.expect_err("corrupt metadata must be refused");
        // On stdout, where the parent can tell it from anything printed on stderr.
        println!("ERROR: {error}");
        return;
    }
    // A signature blob the structural check lets through and the metadata reader panics on:
    // a field of type `u32` (blob `02 06 09`) whose type byte names no element type.
    let mut file = windows_metadata::writer::File::new("Test.Quiet");
    let value_type =
        windows_metadata::writer::TypeDefOrRef::TypeRef(file.TypeRef("System", "ValueType"));
    file.TypeDef(
        "Test.Quiet",
        "Decoded",
        value_type,
        windows_metadata::TypeAttributes::Public
            | windows_metadata::TypeAttributes::SequentialLayout,
    );
    file.Field(
        "x",
        &windows_metadata::Type::U32,
        windows_metadata::FieldAttributes::Public,
    );
    let mut bytes = file.into_stream();
    let at = bytes
        .windows(3)
        .position(|window| window == [0x02, 0x06, 0x09])
        .unwrap();
    bytes[at + 2] = 0x7f;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("corrupt.winmd"), bytes).unwrap();
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "builder_on_corrupt_metadata_prints_nothing_and_returns_the_error",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, dir.path())
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let error = stdout
        .lines()
        .find_map(|line| line.strip_prefix("ERROR: "))
        .unwrap_or_else(|| panic!("no error reported: {stdout}"));
    assert!(error.contains("corrupt.winmd"), "{error}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("backtrace"), "{stderr}");
}
