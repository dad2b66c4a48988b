//! Bad input gets a clear error that says what and where, never a panic.
// Test helpers fail loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;

use winsync_gen::{Error, Input, Options, bundled, generate};

fn generate_with(options: Options) -> Error {
    match generate(&options) {
        Ok(_) => panic!("bad input must be rejected"),
        Err(error) => error,
    }
}

fn contracts_file(text: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file
}

fn winmd(bytes: Vec<u8>, name: &str) -> Options {
    Options {
        inputs: vec![Input::Bytes {
            origin: name.into(),
            bytes,
        }],
        ..Options::default()
    }
}

#[test]
fn unknown_filter_names_the_closest_real_names() {
    let error = generate_with(Options {
        filters: vec!["Windows.Win32.UI.Shell.ISyncMgrHandlr".into()],
        ..Options::default()
    });
    let Error::UnknownFilter { name, suggestions } = &error else {
        panic!("{error}")
    };
    assert_eq!(name, "Windows.Win32.UI.Shell.ISyncMgrHandlr");
    assert_eq!(
        suggestions.first().map(String::as_str),
        Some("Windows.Win32.UI.Shell.ISyncMgrHandler")
    );
    assert!(
        error
            .to_string()
            .contains("closest names in the metadata: Windows.Win32.UI.Shell.ISyncMgrHandler"),
        "{error}"
    );

    let error = generate_with(Options {
        filters: vec!["IKnowledgeSyncProvidr::BeginSession".into()],
        ..Options::default()
    });
    assert!(matches!(error, Error::UnknownFilter { .. }), "{error}");
    let error = generate_with(Options {
        filters: vec![
            "Windows.Win32.System.WindowsSync.IKnowledgeSyncProvider::BeginSesion".into(),
        ],
        ..Options::default()
    });
    assert!(
        error
            .to_string()
            .contains("IKnowledgeSyncProvider::BeginSession"),
        "{error}"
    );
    let error = generate_with(Options {
        filters: vec!["!NoSuchThing".into()],
        ..Options::default()
    });
    assert!(matches!(error, Error::UnknownFilter { .. }), "{error}");
}

/// What every metadata error must be: naming the file, without a dependency's panic text.
fn assert_names_file_without_panic_text(error: &Error, file: &str) {
    let text = error.to_string();
    assert!(
        matches!(
            error,
            Error::Winmd { .. } | Error::MalformedMetadata { .. } | Error::MissingApis { .. }
        ),
        "a metadata error, not {text}"
    );
    assert!(text.starts_with(&format!("{file}: ")), "{text}");
    for panic_text in [
        ".rs:",
        "registry",
        "index out of bounds",
        "panicked",
        "Utf8Error",
    ] {
        assert!(!text.contains(panic_text), "{text}");
    }
}

#[test]
fn truncated_winmd_is_an_error() {
    for cut in [
        0,
        16,
        200,
        4096,
        bundled::WINMD.len() / 2,
        bundled::WINMD.len() * 9 / 10,
    ] {
        let error = generate_with(winmd(bundled::WINMD[..cut].to_vec(), "cut.winmd"));
        assert_names_file_without_panic_text(&error, "cut.winmd");
    }
}

#[test]
fn corrupt_winmd_gives_an_error_or_output_never_a_panic() {
    // Flip bytes all over the file: each variant must give an error naming the file without a
    // dependency's panic text, or succeed; never panic, abort or hang. CI runs the fixed 12
    // rounds; a longer campaign sets WINSYNC_GEN_FUZZ_ROUNDS (and WINSYNC_GEN_FUZZ_SEED for
    // other variants).
    let rounds: u32 = std::env::var("WINSYNC_GEN_FUZZ_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12);
    let mut seed: u32 = std::env::var("WINSYNC_GEN_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|seed| *seed != 0)
        .unwrap_or(0x2545_f491);
    for round in 0..rounds {
        let mut bytes = bundled::WINMD.to_vec();
        for _ in 0..(1 + (round % 12) * 8) {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let at = seed as usize % bytes.len();
            bytes[at] ^= 0xA5;
        }
        if let Err(error) = generate(&winmd(bytes, "corrupt.winmd")) {
            assert_names_file_without_panic_text(&error, "corrupt.winmd");
        }
    }
    let error = generate_with(winmd(b"MZ not a winmd at all".to_vec(), "text.winmd"));
    assert_eq!(
        error.to_string(),
        "text.winmd: not a readable .winmd file: the file ends inside the DOS header"
    );
}

#[test]
fn missing_input_file_is_named() {
    let error = generate_with(Options {
        inputs: vec![Input::Path("/no/such/file.winmd".into())],
        ..Options::default()
    });
    assert!(
        error.to_string().starts_with("/no/such/file.winmd: "),
        "{error}"
    );
}

#[test]
fn contracts_syntax_error_is_located() {
    let file = contracts_file("[[interface]]\nname = \"ISyncProvider\"\nnamespace = \n");
    let error = generate_with(Options {
        contracts: Some(file.path().into()),
        ..Options::default()
    });
    let text = error.to_string();
    assert!(
        text.starts_with(&format!("{}:3:", file.path().display())),
        "{text}"
    );
}

#[test]
fn contracts_naming_unknown_items_are_located() {
    let text = r#"
[[interface]]
name = "ISyncProvider"
namespace = "Windows.Win32.System.WindowsSync"
implemented_by = "user"
source = "NN:winsync.ISyncProvider"
summary = "s"
nullable = ["GetIdParameters.pNope"]

[[rule]]
id = "provider.a"
interface = "IKnowledgeSyncProvidr"
enforced_by = "provider"
source = "NN:winsync.IKnowledgeSyncProvider"
text = "t"

[[rule]]
id = "provider.b"
interface = "IKnowledgeSyncProvider"
method = "BeginSession"
param = "rol"
enforced_by = "adapter"
source = "NF:winsync.IKnowledgeSyncProvider.BeginSession"
text = "t"

[[rule]]
id = "provider.c"
interface = "IKnowledgeSyncProvider"
method = "BeginSession"
param = "role"
values = ["SPR_SOURCE", "SPR_SAUCE"]
returns = "SYNC_E_INVALID_OPERATON"
enforced_by = "adapter"
source = "NF:winsync.IKnowledgeSyncProvider.BeginSession"
text = "t"

[[rule]]
id = "provider.c"
interface = "IKnowledgeSyncProvider"
enforced_by = "documented"
source = "winsync.IKnowledgeSyncProvider"
text = "t"
"#;
    let file = contracts_file(text);
    let Err(Error::Data(diagnostics)) = generate(&Options {
        contracts: Some(file.path().into()),
        ..Options::default()
    }) else {
        panic!("the file must be rejected");
    };
    let shown: Vec<String> = diagnostics
        .iter()
        .map(|d| format!("{}:{}: {}", d.line, d.column, d.message))
        .collect();
    // Shape errors come first (the file is not checked against the metadata until they are gone).
    assert_eq!(shown.len(), 2, "{shown:#?}");
    assert!(
        shown[0].starts_with("38:6: rule id `provider.c` is already used on line 27"),
        "{shown:#?}"
    );
    assert!(
        shown[1].starts_with("41:10: `winsync.IKnowledgeSyncProvider` is not a page UID"),
        "{shown:#?}"
    );

    let fixed = text
        .replace(
            "id = \"provider.c\"\ninterface = \"IKnowledgeSyncProvider\"\nenforced_by",
            "id = \"provider.d\"\ninterface = \"IKnowledgeSyncProvider\"\nenforced_by",
        )
        .replace(
            "source = \"winsync.IKnowledgeSyncProvider\"",
            "source = \"NN:winsync.IKnowledgeSyncProvider\"",
        );
    let file = contracts_file(&fixed);
    let Err(Error::Data(diagnostics)) = generate(&Options {
        contracts: Some(file.path().into()),
        ..Options::default()
    }) else {
        panic!("the file must be rejected");
    };
    let shown: Vec<String> = diagnostics
        .iter()
        .map(|d| format!("{}:{}: {}", d.line, d.column, d.message))
        .collect();
    let expected = [
        "8:13: unknown parameter `GetIdParameters.pNope`",
        "12:13: unknown interface `IKnowledgeSyncProvidr`; did you mean `IKnowledgeSyncProvider`",
        "21:9: unknown parameter `rol`; did you mean `role`",
        "31:25: unknown enum value `SPR_SAUCE`; did you mean `SPR_SOURCE`",
        "32:11: unknown HRESULT `SYNC_E_INVALID_OPERATON`; did you mean `SYNC_E_INVALID_OPERATION`",
    ];
    assert_eq!(shown.len(), expected.len(), "{shown:#?}");
    for (shown, expected) in shown.iter().zip(expected) {
        assert!(
            shown.starts_with(expected),
            "{shown} should start with {expected}"
        );
    }
    assert!(
        diagnostics[0]
            .to_string()
            .starts_with(&format!("{}:8:13: ", file.path().display()))
    );
}

#[test]
fn supplement_errors_are_located() {
    let file = contracts_file(
        "[[hresult]]\nname = \"SYNC_E_X\"\nvalue = 0x00041001\nsource = \"header:synchronizationerrors.h\"\n",
    );
    let error = generate_with(Options {
        supplement: Some(file.path().into()),
        ..Options::default()
    });
    assert!(
        error
            .to_string()
            .contains(":3:9: SYNC_E_X must be a failure code"),
        "{error}"
    );
    let file = contracts_file(
        "[[hresult]]\nname = \"SYNC E X\"\nvalue = 0x80041001\nsource = \"header:synchronizationerrors.h\"\n",
    );
    let error = generate_with(Options {
        supplement: Some(file.path().into()),
        ..Options::default()
    });
    assert!(
        error
            .to_string()
            .contains(":2:8: `SYNC E X` is not a constant name"),
        "{error}"
    );
    let file = contracts_file(
        "[[keeps_s_false]]\ninterface = \"ISyncMgrSyncCallback\"\nmethod = \"CanContinu\"\nmeaning = \"m\"\nsource = \"NF:syncmgr.ISyncMgrSyncCallback.CanContinue\"\n",
    );
    let error = generate_with(Options {
        supplement: Some(file.path().into()),
        ..Options::default()
    });
    assert!(error.to_string().contains(":3:10: unknown method of `ISyncMgrSyncCallback` `CanContinu`; did you mean `CanContinue`"), "{error}");
    let file = contracts_file(
        "[[out_pointer]]\ninterface = \"IEnumSyncChanges\"\nmethod = \"Next\"\nparam = \"ppChange\"\ncount = \"cChange\"\nsource = \"NF:winsync.IEnumSyncChanges.Next\"\n\n[[out_pointer]]\ninterface = \"IEnumSyncChanges\"\nmethod = \"Next\"\nparam = \"ppChange\"\nsource = \"NF:winsync.IEnumSyncChanges.Next\"\n",
    );
    let error = generate_with(Options {
        supplement: Some(file.path().into()),
        ..Options::default()
    })
    .to_string();
    assert!(
        error.contains(":5:9: unknown parameter `cChange`; did you mean `cChanges`"),
        "{error}"
    );
    assert!(
        error.contains(":11:9: `IEnumSyncChanges::Next` parameter `ppChange` is listed twice"),
        "{error}"
    );
    // An [[in_array]] whose count names no parameter, and one listed twice.
    let file = contracts_file(
        "[[in_array]]\ninterface = \"ISyncMgrConflictResolveInfo\"\nmethod = \"SetItemChoices\"\nparam = \"prgiConflictItemIndexes\"\ncount = \"cChoice\"\nsource = \"NF:syncmgr.ISyncMgrConflictResolveInfo.SetItemChoices\"\n\n[[in_array]]\ninterface = \"ISyncMgrConflictResolveInfo\"\nmethod = \"SetItemChoices\"\nparam = \"prgiConflictItemIndexes\"\ncount = \"cChoices\"\nsource = \"NF:syncmgr.ISyncMgrConflictResolveInfo.SetItemChoices\"\n",
    );
    let error = generate_with(Options {
        supplement: Some(file.path().into()),
        ..Options::default()
    })
    .to_string();
    assert!(
        error.contains(":5:9: unknown parameter `cChoice`; did you mean `cChoices`"),
        "{error}"
    );
    assert!(
        error.contains(
            ":11:9: `ISyncMgrConflictResolveInfo::SetItemChoices` parameter `prgiConflictItemIndexes` is listed twice"
        ),
        "{error}"
    );
}

/// The contract data that used to pass validation and give Rust that does not compile: each
/// is now an error at `file:line:col`.
#[test]
fn contract_data_that_would_not_compile_is_located() {
    let contracts = bundled::CONTRACTS;
    // The same [[interface]] twice.
    let twice = format!(
        "{contracts}\n[[interface]]\nname = \"ISyncMgrHandler\"\nnamespace = \"Windows.Win32.UI.Shell\"\nimplemented_by = \"user\"\nsource = \"NN:syncmgr.ISyncMgrHandler\"\nsummary = \"Again.\"\n"
    );
    let line = contracts.lines().count() + 3;
    let file = contracts_file(&twice);
    let error = generate_with(Options {
        contracts: Some(file.path().into()),
        ..Options::default()
    })
    .to_string();
    assert!(
        error.contains(&format!(
            ":{line}:8: [[interface]] `ISyncMgrHandler` is listed twice"
        )),
        "{error}"
    );
    // IUnknown as an [[interface]].
    let unknown = format!(
        "{contracts}\n[[interface]]\nname = \"IUnknown\"\nnamespace = \"Windows.Win32.System.Com\"\nimplemented_by = \"user\"\nsource = \"NN:unknwn.IUnknown\"\nsummary = \"The root.\"\n"
    );
    let file = contracts_file(&unknown);
    let error = generate_with(Options {
        contracts: Some(file.path().into()),
        ..Options::default()
    })
    .to_string();
    assert!(
        error.contains("`IUnknown` is the base of every interface"),
        "{error}"
    );
    // The same [[enum]] twice.
    let enum_twice = format!(
        "{contracts}\n[[enum]]\nname = \"SYNC_PROVIDER_ROLE\"\nnamespace = \"Windows.Win32.System.WindowsSync\"\nstrip_prefix = \"SPR_\"\nsource = \"NE:winsync.SYNC_PROVIDER_ROLE\"\n"
    );
    let file = contracts_file(&enum_twice);
    let error = generate_with(Options {
        contracts: Some(file.path().into()),
        ..Options::default()
    })
    .to_string();
    assert!(
        error.contains("[[enum]] `SYNC_PROVIDER_ROLE` is listed twice"),
        "{error}"
    );
}

#[test]
fn supplement_s_false_entries_that_cannot_work_are_located() {
    let supplement = bundled::SUPPLEMENT;
    let entry = |interface: &str, method: &str| {
        format!(
            "{supplement}\n[[keeps_s_false]]\ninterface = \"{interface}\"\nmethod = \"{method}\"\nmeaning = \"m\"\nsource = \"NF:syncmgr.ISyncMgrHandler.GetName\"\n"
        )
    };
    for (interface, method, expected) in [
        (
            "ISyncMgrSyncCallback",
            "CanContinue",
            "is listed twice".to_string(),
        ),
        (
            "IUnknown",
            "AddRef",
            "is implemented by windows-core".to_string(),
        ),
        (
            "ISyncMgrHandler",
            "GetName",
            "hands its result back through `ppszName`".to_string(),
        ),
        (
            "ISyncKnowledge2",
            "ContainsChangeUnit",
            "is inherited from `ISyncKnowledge`: list it there".to_string(),
        ),
    ] {
        let file = contracts_file(&entry(interface, method));
        let error = generate_with(Options {
            supplement: Some(file.path().into()),
            ..Options::default()
        })
        .to_string();
        assert!(error.contains(&expected), "{interface}::{method}: {error}");
        assert!(
            error.contains(&format!("{}:", file.path().display())),
            "{error}"
        );
    }
}

#[test]
fn yes_no_on_a_method_with_out_values_is_located() {
    let supplement = format!(
        "{}\n[[keeps_s_false]]\ninterface = \"IEnumSyncMgrSyncItems\"\nmethod = \"Clone\"\nmeaning = \"m\"\nyes_no = true\nsource = \"NF:syncmgr.ISyncMgrHandler.GetName\"\n",
        bundled::SUPPLEMENT
    );
    let file = contracts_file(&supplement);
    let error = generate_with(Options {
        supplement: Some(file.path().into()),
        ..Options::default()
    })
    .to_string();
    assert!(
        error.contains("hands back `ppenum`: `yes_no` needs"),
        "{error}"
    );
    assert!(
        error.contains(&format!("{}:", file.path().display())),
        "{error}"
    );
}

#[test]
fn objects_that_are_no_get_object_method_are_located() {
    for (method, expected) in [
        ("GetName", "is no GetObject-style method"),
        ("GetObjekt", "unknown method `GetObjekt`"),
    ] {
        let contracts = bundled::CONTRACTS.replacen(
            "objects = [\"GetObject\"]",
            &format!("objects = [\"{method}\"]"),
            1,
        );
        let file = contracts_file(&contracts);
        let error = generate_with(Options {
            contracts: Some(file.path().into()),
            ..Options::default()
        })
        .to_string();
        assert!(error.contains(expected), "{method}: {error}");
        assert!(
            error.contains(&format!("{}:", file.path().display())),
            "{error}"
        );
    }
}

#[test]
fn queried_methods_without_riid_and_ppv_are_located() {
    for (method, expected) in [
        ("GetCount", "does not end in an interface id"),
        ("BindToConflikt", "unknown method `BindToConflikt`"),
    ] {
        let contracts = bundled::CONTRACTS.replacen(
            "queried = [\"BindToConflict\"]",
            &format!("queried = [\"{method}\"]"),
            1,
        );
        let file = contracts_file(&contracts);
        let error = generate_with(Options {
            contracts: Some(file.path().into()),
            ..Options::default()
        })
        .to_string();
        assert!(error.contains(expected), "{method}: {error}");
        assert!(
            error.contains(&format!("{}:", file.path().display())),
            "{error}"
        );
    }
}

#[test]
fn text_that_is_not_utf8_is_located() {
    let mut bytes = b"[[rule]]\nid = \"a\"\ntext = \"caf".to_vec();
    bytes.push(0xE9);
    bytes.extend_from_slice(b"\"\n");
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(&bytes).unwrap();
    let error = generate_with(Options {
        contracts: Some(file.path().into()),
        ..Options::default()
    })
    .to_string();
    assert!(
        error.contains(&format!(
            "{}:3:12: byte 0xE9 is not UTF-8",
            file.path().display()
        )),
        "{error}"
    );
}

#[test]
fn an_empty_supplement_is_named_where_contracts_need_it() {
    let supplement = contracts_file("");
    let error = generate_with(Options {
        supplement: Some(supplement.path().to_path_buf()),
        ..Options::default()
    });
    let text = error.to_string();
    assert!(
        text.contains(&format!(
            "unknown HRESULT `SYNC_E_INVALID_OPERATION`: neither the metadata nor {} defines it",
            supplement.path().display()
        )),
        "{text}"
    );
}

/// A name damaged in the user's metadata makes the contract data name what the metadata lacks:
/// the error's first line names the metadata, the next ones the places in the data.
#[test]
fn contract_data_that_does_not_match_the_users_metadata_names_the_metadata() {
    let mut bytes = bundled::WINMD.to_vec();
    let name = b"\0ISyncMgrSessionCreator\0";
    let at = bytes
        .windows(name.len())
        .position(|window| window == name)
        .unwrap();
    bytes[at + 10] = b'Q';
    let error = generate_with(winmd(bytes, "renamed.winmd"));
    let text = error.to_string();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "renamed.winmd: the contract data does not match this metadata (a name it gives is \
         missing or different):",
        "{text}"
    );
    let next = lines.next().unwrap();
    assert!(
        next.starts_with("metadata/contracts.toml:") && next.contains("ISyncMgrSessionCreator"),
        "{text}"
    );
    // Against the bundled metadata the same mistake is the data's alone.
    let contracts = contracts_file(&bundled::CONTRACTS.replace(
        "name = \"ISyncMgrSessionCreator\"",
        "name = \"ISyncMgrSessionQreator\"",
    ));
    let error = generate_with(Options {
        contracts: Some(contracts.path().to_path_buf()),
        ..Options::default()
    });
    assert!(matches!(error, Error::Data(_)), "{error}");
}

/// A rule's `values` must be constants of its parameter's enum, not of another enum.
#[test]
fn rule_values_of_another_enum_are_located() {
    let text = bundled::CONTRACTS.to_string()
        + r#"
[[rule]]
id = "provider.values-of-another-enum"
interface = "IKnowledgeSyncProvider"
method = "BeginSession"
param = "role"
values = ["SPR_SOURCE", "SYNCMGR_HT_DEVICE"]
returns = "SYNC_E_INVALID_OPERATION"
enforced_by = "adapter"
source = "NF:winsync.IKnowledgeSyncProvider.BeginSession"
text = "t"
"#;
    let lines = text.lines().count();
    let file = contracts_file(&text);
    let Err(Error::Data(diagnostics)) = generate(&Options {
        contracts: Some(file.path().into()),
        ..Options::default()
    }) else {
        panic!("the file must be rejected");
    };
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let d = &diagnostics[0];
    assert_eq!((d.line, d.column), (lines - 4, 25), "{}", d.message);
    assert!(
        d.message
            .starts_with("unknown enum value `SYNCMGR_HT_DEVICE`"),
        "{}",
        d.message
    );
}
