//! The project's bindings agree with Microsoft's own generated bindings (the `windows` crate
//! 0.62.2, generated from the same Win32 metadata) on every seed interface's IID and vtable
//! method order.
// Test helpers fail loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(not(windows))]
use std::path::PathBuf;

#[cfg(not(windows))]
use windows_core::{GUID, Interface};
use winsync::bindings::*;

/// The `windows` crate's source folder (host-only: it asks `cargo metadata`), downloaded by cargo (a never-compiled dev-dependency).
#[cfg(not(windows))]
fn windows_crate_src() -> PathBuf {
    let metadata = cargo_metadata::MetadataCommand::new()
        .manifest_path(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
        .exec()
        .expect("cargo metadata runs");
    let package = metadata
        .packages
        .iter()
        .find(|p| p.name.as_str() == "windows" && p.version.to_string() == "0.62.2")
        .expect("cargo metadata lists windows 0.62.2");
    package
        .manifest_path
        .parent()
        .unwrap()
        .join("src")
        .into_std_path_buf()
}

#[cfg(not(windows))]
/// `(IID, vtable method names in order)` of `interface` in a rustfmt-formatted bindings text.
fn shape(source: &str, interface: &str) -> (GUID, Vec<String>) {
    // rustfmt breaks long macro calls over lines: compare without white space.
    let compact: String = source.split_whitespace().collect();
    let define = format!("define_interface!({interface},{interface}_Vtbl,0x");
    let start = compact
        .find(&define)
        .unwrap_or_else(|| panic!("no IID for {interface}"))
        + define.len();
    let hex: String = compact[start..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit() || *c == '_')
        .filter(|c| *c != '_')
        .collect();
    let iid = GUID::from_u128(u128::from_str_radix(&hex, 16).unwrap());
    let vtbl = format!("pub struct {interface}_Vtbl {{");
    let body = &source[source
        .find(&vtbl)
        .unwrap_or_else(|| panic!("no vtable for {interface}"))
        + vtbl.len()..];
    let body = &body[..body.find("\n}").unwrap()];
    let methods = body
        .lines()
        .filter_map(|line| line.trim().strip_prefix("pub "))
        .filter_map(|rest| rest.split(':').next())
        .filter(|name| *name != "base__")
        .map(str::to_string)
        .collect();
    (iid, methods)
}

#[cfg(not(windows))]
fn check<I: Interface>(reference: &str, ours: &str, interface: &str, method_count: usize) {
    let (their_iid, their_methods) = shape(reference, interface);
    let (our_iid, our_methods) = shape(ours, interface);
    assert_eq!(
        their_iid, our_iid,
        "{interface}: IID differs from the windows crate's"
    );
    assert_eq!(I::IID, their_iid, "{interface}: the compiled IID differs");
    assert_eq!(
        their_methods, our_methods,
        "{interface}: vtable order differs"
    );
    assert_eq!(
        our_methods.len(),
        method_count,
        "{interface}: {our_methods:?}"
    );
}

#[cfg(not(windows))]
#[test]
fn seed_interfaces_match_the_windows_crate() {
    let src = windows_crate_src();
    let sync =
        std::fs::read_to_string(src.join("Windows/Win32/System/WindowsSync/mod.rs")).unwrap();
    let shell = std::fs::read_to_string(src.join("Windows/Win32/UI/Shell/mod.rs")).unwrap();
    let ours = include_str!("../../runtime/src/generated/bindings.rs");

    check::<IKnowledgeSyncProvider>(&sync, ours, "IKnowledgeSyncProvider", 7);
    check::<ISyncProvider>(&sync, ours, "ISyncProvider", 1);
    check::<ISyncSessionState>(&sync, ours, "ISyncSessionState", 7);
    check::<ISyncSessionState2>(&sync, ours, "ISyncSessionState2", 2);
    check::<ISyncCallback>(&sync, ours, "ISyncCallback", 5);
    check::<ISyncCallback2>(&sync, ours, "ISyncCallback2", 2);
    check::<ISyncChangeBatch>(&sync, ours, "ISyncChangeBatch", 3);
    check::<ISyncMgrHandler>(&shell, ours, "ISyncMgrHandler", 8);
    check::<ISyncMgrSyncCallback>(&shell, ours, "ISyncMgrSyncCallback", 10);
    check::<ISyncMgrSessionCreator>(&shell, ours, "ISyncMgrSessionCreator", 1);
    check::<ISyncMgrHandlerInfo>(&shell, ours, "ISyncMgrHandlerInfo", 7);
    check::<ISyncMgrSyncItemContainer>(&shell, ours, "ISyncMgrSyncItemContainer", 3);
}

#[test]
fn vtable_sizes_follow_the_method_counts() {
    let pointer = size_of::<usize>();
    assert_eq!(size_of::<ISyncMgrSyncCallback_Vtbl>(), (3 + 10) * pointer);
    assert_eq!(
        size_of::<IKnowledgeSyncProvider_Vtbl>(),
        (3 + 1 + 7) * pointer
    );
    assert_eq!(size_of::<ISyncSessionState2_Vtbl>(), (3 + 7 + 2) * pointer);
    assert_eq!(size_of::<ISyncMgrHandler_Vtbl>(), (3 + 8) * pointer);
}
