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
    assert!(stdout.contains("59 skeleton traits"), "{stdout}");
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

#[test]
fn corrupt_metadata_prints_one_line_naming_the_file_and_no_panic() {
    let dir = tempfile::tempdir().unwrap();
    let bundled = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../metadata/Windows.Win32.Sync.winmd"
    );
    let mut bytes = std::fs::read(bundled).unwrap();
    // Damage the first TypeRef's name: the TypeRef table follows the one Module row at the
    // start of the `#~` table data.
    let tables = bytes
        .windows(4)
        .position(|w| w == b"#~\0\0")
        .expect("the #~ stream header");
    let offset = u32::from_le_bytes(bytes[tables - 8..tables - 4].try_into().unwrap()) as usize;
    let root = bytes
        .windows(4)
        .position(|w| w == b"BSJB")
        .expect("the metadata root");
    let valid = u64::from_le_bytes(
        bytes[root + offset + 8..root + offset + 16]
            .try_into()
            .unwrap(),
    );
    let data = root + offset + 24 + 4 * valid.count_ones() as usize;
    // Module: Generation (2), Name, Mvid, EncId, EncBaseId; the HeapSizes bits give the widths
    // of string and GUID indexes (the bundled file has both 4 bytes wide).
    let heap_sizes = bytes[root + offset + 6];
    let wide = |bit: u8| if heap_sizes >> bit & 1 == 1 { 4 } else { 2 };
    let module_width = 2 + wide(0) + 3 * wide(1);
    // TypeRef: ResolutionScope (2 bytes: few rows), then TypeName.
    let type_name = data + module_width + 2;
    bytes[type_name..type_name + 4].copy_from_slice(&[0xff; 4]);
    let corrupt = dir.path().join("corrupt.winmd");
    std::fs::write(&corrupt, bytes).unwrap();

    let out = dir.path().join("out");
    let (ok, _, stderr) = run(&[
        "generate",
        "--in",
        corrupt.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!ok);
    let expected = format!(
        "error: {}: the metadata is malformed: table TypeRef row 1 column TypeName (byte {:#x}): \
         string offset 0xffffffff is past the `#Strings` heap (136364 bytes)\n",
        corrupt.display(),
        type_name
    );
    assert_eq!(stderr, expected);
    assert!(!out.exists(), "nothing is written");
}

#[test]
fn metadata_without_the_sync_apis_says_so_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    // A .winmd of one unrelated struct.
    let mut file = windows_metadata::writer::File::new("Other");
    let value_type =
        windows_metadata::writer::TypeDefOrRef::TypeRef(file.TypeRef("System", "ValueType"));
    file.TypeDef(
        "Other.Things",
        "Thing",
        value_type,
        windows_metadata::TypeAttributes::Public,
    );
    let other = dir.path().join("other.winmd");
    std::fs::write(&other, file.into_stream()).unwrap();
    let (ok, _, stderr) = run(&[
        "generate",
        "--in",
        other.to_str().unwrap(),
        "--out",
        dir.path().join("out").to_str().unwrap(),
    ]);
    assert!(!ok);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("the metadata has no Windows Sync") && stderr.contains("add --bundled"),
        "{stderr}"
    );
}

#[test]
fn method_filters_resolve_bare_names_and_refuse_skeleton_interfaces() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // A method filter alone selects its type, the other methods as opaque vtable slots.
    let (ok, _, stderr) = run(&[
        "generate",
        "--filter",
        "IClassFactory::CreateInstance",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    let bindings = std::fs::read_to_string(out.join("bindings.rs")).unwrap();
    assert!(bindings.contains("pub CreateInstance: unsafe extern \"system\" fn("));
    assert!(bindings.contains("LockServer: usize,"), "{bindings}");

    // On an interface that gets a skeleton trait it cannot work: one line says what to write.
    for filter in [
        "Windows.Win32.UI.Shell.ISyncMgrHandler::GetName",
        "ISyncMgrHandler::GetName",
    ] {
        let (ok, _, stderr) = run(&[
            "generate",
            "--filter",
            filter,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(!ok);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains("ISyncMgrHandler gets a skeleton trait")
                && stderr.ends_with("--filter Windows.Win32.UI.Shell.ISyncMgrHandler\n"),
            "{stderr}"
        );
    }
}

#[test]
fn list_warns_about_the_flags_it_ignores() {
    let (ok, out, stderr) = run(&[
        "generate",
        "--list",
        "--filter",
        "ISyncMgrHandler",
        "--out",
        "somewhere",
    ]);
    assert!(ok);
    assert_eq!(
        out,
        "interface Windows.Win32.UI.Shell.ISyncMgrHandler\n1 items\n"
    );
    assert_eq!(
        stderr,
        "warning: --list writes nothing and reads no contract data; it ignores --out\n"
    );
}

/// windows-bindgen hands its output to a `rustfmt` from PATH; without one the run says what to
/// install, in one line, and leaves the output folder alone.
#[test]
fn no_rustfmt_on_path_is_one_line_saying_what_to_install() {
    let empty = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_winsync-gen"))
        .args(["generate", "--out"])
        .arg(out.path())
        .env("PATH", empty.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("rustfmt") && stderr.contains("rustup component add rustfmt"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
}

/// `--list` reads the metadata too: on a truncated file it fails, naming the file.
#[test]
fn list_on_a_truncated_file_fails_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let bundled = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../metadata/Windows.Win32.Sync.winmd"
    );
    let bytes = std::fs::read(bundled).unwrap();
    let cut = dir.path().join("cut.winmd");
    std::fs::write(&cut, &bytes[..bytes.len() / 3]).unwrap();
    let (ok, stdout, stderr) = run(&["generate", "--in", cut.to_str().unwrap(), "--list"]);
    assert!(!ok, "{stdout}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "error: {}: not a readable .winmd file: ",
            cut.display()
        )),
        "{stderr}"
    );
}
