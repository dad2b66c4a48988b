//! `handler.dll` as Windows uses it (runs under Wine through `scripts/test-windows.sh`):
//! `regsvr32` registers it (the two COM classes and the collection's `HandlerCollections`
//! listing with its icon, nothing under `SyncMgr\Handlers`); Sync Center's discovery path
//! (the checking double) creates the collection from the registry, enumerates, binds and
//! synchronizes a handler per partnership; COM also loads the handler class for `CoCreateInstance`, whose
//! handler lists its items and synchronizes them with the checking Sync Center double as its
//! session creator; `DllCanUnloadNow` of the loaded DLL answers `S_OK` once everything is
//! released; and `regsvr32 /u` removes every key it wrote.
#![cfg(windows)]
// Test helpers fail loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;

use handler::partnerships::{self, Partnership};
use handler::{
    CLSID_EXAMPLE_COLLECTION, CLSID_EXAMPLE_HANDLER, COLLECTION_NAME, HANDLER_CLASS_NAME, ITEMS,
};
use windows_core::{HRESULT, Interface, PCSTR, PCWSTR};
use winsync::bindings::{
    CLSCTX_INPROC_SERVER, COINIT_APARTMENTTHREADED, CoCreateInstance, CoInitializeEx,
    CoUninitialize, FreeLibrary, GetProcAddress, HKEY, HKEY_LOCAL_MACHINE, HWND, ISyncMgrHandler,
    ISyncMgrSessionCreator, ISyncMgrSyncItem, ISyncMgrSyncItemContainer, KEY_READ, LoadLibraryW,
    RegCloseKey, RegOpenKeyExW, S_FALSE, S_OK, SYNCMGR_HT_DEVICE,
};
use winsync::com::abi::take_co_task_wide;
use winsync::skeletons::SyncmgrProgressStatus;
use winsync::sync_center::double::discovery::discover_registered;
use winsync::sync_center::double::{Call, SyncCenterDouble};
use winsync::sync_center::server::{
    ClassKind, ClassRegistration, LEGACY_HANDLERS_KEY, SYNC_CENTER_HANDLER_COLLECTIONS_KEY, Scope,
    class_key, class_keys, classes_registered, collection_key, legacy_handler_key,
};

fn wide(text: &str) -> Vec<u16> {
    text.encode_utf16().chain(std::iter::once(0)).collect()
}

/// The cdylib cargo built with this test: next to the test executable (`deps/`) or one
/// folder up.
fn dll_path() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let deps = exe.parent().unwrap();
    [
        deps.join("handler.dll"),
        deps.parent().unwrap().join("handler.dll"),
    ]
    .into_iter()
    .find(|path| path.is_file())
    .unwrap_or_else(|| panic!("handler.dll not found next to {}", exe.display()))
}

/// Whether `HKEY_LOCAL_MACHINE\<path>` can be opened (the example registers per machine).
fn key_exists(path: &str) -> bool {
    let path = wide(path);
    let mut key = HKEY::default();
    let code = unsafe {
        RegOpenKeyExW(
            HKEY_LOCAL_MACHINE,
            PCWSTR(path.as_ptr()),
            None,
            KEY_READ,
            &mut key,
        )
    };
    if code == 0 {
        unsafe { RegCloseKey(key) };
        true
    } else {
        false
    }
}

fn regsvr32(args: &[&str], dll: &PathBuf) {
    let status = Command::new("regsvr32.exe")
        .args(args)
        .arg(dll)
        .status()
        .expect("regsvr32.exe runs");
    assert!(
        status.success(),
        "regsvr32 {args:?} {}: {status}",
        dll.display()
    );
}

/// `DllCanUnloadNow` of the DLL COM loaded (not of the copy linked into this test).
fn dll_can_unload_now(dll: &PathBuf) -> HRESULT {
    let path = wide(dll.to_str().unwrap());
    let module = unsafe { LoadLibraryW(PCWSTR(path.as_ptr())) };
    assert!(!module.0.is_null(), "LoadLibraryW {}", dll.display());
    let export = unsafe { GetProcAddress(module, PCSTR(c"DllCanUnloadNow".as_ptr().cast())) }
        .expect("handler.dll exports DllCanUnloadNow");
    let can_unload_now: unsafe extern "system" fn() -> HRESULT =
        unsafe { std::mem::transmute(export) };
    let answer = unsafe { can_unload_now() };
    assert!(unsafe { FreeLibrary(module) }.as_bool());
    answer
}

/// How `synchronize` ends item `id` of `partnership`: FAILED for an offline item, else
/// SUCCEEDED (with a conflict kept for the partnership's `conflicts`).
fn outcome(partnership: &Partnership, id: &str) -> SyncmgrProgressStatus {
    if partnership.is_offline(id) {
        SyncmgrProgressStatus::Failed
    } else {
        SyncmgrProgressStatus::Succeeded
    }
}

/// The DLL's classes as registration sees them (the names and kinds `sync_center_dll!` gives).
fn classes() -> [ClassRegistration<'static>; 2] {
    [
        ClassRegistration {
            clsid: CLSID_EXAMPLE_COLLECTION,
            name: COLLECTION_NAME,
            kind: ClassKind::Collection {
                icon: Some(handler::COLLECTION_ICON),
            },
        },
        ClassRegistration {
            clsid: CLSID_EXAMPLE_HANDLER,
            name: HANDLER_CLASS_NAME,
            kind: ClassKind::Handler,
        },
    ]
}

#[test]
fn regsvr32_registers_com_serves_and_unregistration_removes_every_key() {
    let dll = dll_path();
    let keys = class_keys(&classes(), Scope::LocalMachine);
    let listing = collection_key(&CLSID_EXAMPLE_COLLECTION);
    let icon = format!(r"{listing}\DefaultIcon");
    let servers: Vec<String> = [CLSID_EXAMPLE_COLLECTION, CLSID_EXAMPLE_HANDLER]
        .iter()
        .map(|clsid| format!(r"{}\InprocServer32", class_key(clsid)))
        .collect();

    regsvr32(&["/s"], &dll);
    for key in keys.iter().chain(&servers).chain([&icon]) {
        assert!(key_exists(key), "{key} after regsvr32");
    }
    assert!(keys.contains(&listing));
    assert!(classes_registered(&classes(), Scope::LocalMachine));
    for clsid in [CLSID_EXAMPLE_COLLECTION, CLSID_EXAMPLE_HANDLER] {
        let legacy = legacy_handler_key(&clsid);
        assert!(
            !key_exists(&legacy),
            "nothing under {LEGACY_HANDLERS_KEY}: {legacy}"
        );
    }

    unsafe { CoInitializeEx(None, COINIT_APARTMENTTHREADED as u32) }.unwrap();
    {
        // Sync Center's path: the collection from the registry, its ids (the user's
        // partnerships: the defaults in a fresh prefix), each handler bound and synchronized.
        let partnerships = partnerships::load().unwrap();
        let mut discovery =
            discover_registered(&CLSID_EXAMPLE_COLLECTION).expect("the registered collection");
        discovery.synchronize();
        discovery.check().unwrap();
        let ids: Vec<&str> = partnerships.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(discovery.ids, ids);
        assert_eq!(discovery.synchronized.len(), partnerships.len());
        for (run, partnership) in discovery.synchronized.iter().zip(&partnerships) {
            let found = discovery.handler(&partnership.id).unwrap();
            assert_eq!(found.name.as_deref(), Some(partnership.name.as_str()));
            assert_eq!(found.items.len(), ITEMS.len());
            assert_eq!(run.handler_id, partnership.id);
            assert_eq!(run.answer, S_OK, "{run:?}");
            for (id, _) in ITEMS {
                assert_eq!(
                    run.sync_center.final_status(id),
                    Some(outcome(partnership, id)),
                    "{} {id}",
                    partnership.id
                );
            }
        }
        assert_eq!(
            dll_can_unload_now(&dll),
            S_FALSE,
            "the discovery holds them"
        );
        drop(discovery);

        let handler: ISyncMgrHandler =
            unsafe { CoCreateInstance(&CLSID_EXAMPLE_HANDLER, None, CLSCTX_INPROC_SERVER) }
                .expect("CoCreateInstance of the registered class");
        assert_eq!(dll_can_unload_now(&dll), S_FALSE, "the handler is alive");

        // The class's handler serves the first partnership.
        let first = &partnerships[0];
        let name = unsafe { take_co_task_wide(handler.GetName().unwrap()) }.unwrap();
        assert_eq!(name, first.name);
        let info = unsafe { handler.GetHandlerInfo() }.unwrap();
        assert_eq!(unsafe { info.GetType() }.unwrap(), SYNCMGR_HT_DEVICE);
        let label = unsafe { take_co_task_wide(info.GetTypeLabel().unwrap()) }.unwrap();
        assert_eq!(label, "Example device");
        assert_eq!(unsafe { info.IsActive() }, S_OK);

        // The items, as Sync Center lists them: QueryInterface, the count, the enumerator.
        let container: ISyncMgrSyncItemContainer = handler.cast().unwrap();
        assert_eq!(unsafe { container.GetSyncItemCount() }.unwrap(), 2);
        let enumerator = unsafe { container.GetSyncItemEnumerator() }.unwrap();
        let mut listed = Vec::new();
        loop {
            let mut slot: [Option<ISyncMgrSyncItem>; 1] = [None];
            let mut fetched = 0;
            let hr = unsafe { enumerator.Next(1, slot.as_mut_ptr(), &mut fetched) };
            if hr != S_OK {
                assert_eq!((hr, fetched), (S_FALSE, 0));
                break;
            }
            let item = slot[0].take().unwrap();
            let id = unsafe { take_co_task_wide(item.GetItemID().unwrap()) }.unwrap();
            let name = unsafe { take_co_task_wide(item.GetName().unwrap()) }.unwrap();
            listed.push((id, name));
        }
        let expected: Vec<(String, String)> = ITEMS
            .iter()
            .map(|(id, name)| (id.to_string(), name.to_string()))
            .collect();
        assert_eq!(listed, expected);
        drop((enumerator, container));

        let items = ITEMS.map(|(id, _)| id);
        let double = SyncCenterDouble::new(&items);
        let creator: ISyncMgrSessionCreator = double.to_interface();
        let ids: Vec<Vec<u16>> = items.iter().map(|id| wide(id)).collect();
        let pointers: Vec<PCWSTR> = ids.iter().map(|id| PCWSTR(id.as_ptr())).collect();
        let hr = unsafe { handler.Synchronize(&pointers, HWND::default(), &creator, None) };
        assert_eq!(hr, S_OK, "{:?}", double.transcript());
        for item in items {
            assert_eq!(
                double.final_status(item),
                Some(outcome(first, item)),
                "{item}"
            );
        }
        assert!(
            double.transcript().iter().any(
                |call| matches!(call, Call::CreateSession { handler_id, .. } if *handler_id == first.id)
            ),
            "{:?}",
            double.transcript()
        );

        drop((info, creator, handler));
        assert_eq!(dll_can_unload_now(&dll), S_OK, "everything is released");
    }
    unsafe { CoUninitialize() };

    regsvr32(&["/u", "/s"], &dll);
    for key in keys.iter().chain(&servers).chain([&icon]) {
        assert!(!key_exists(key), "{key} after regsvr32 /u");
    }
    assert!(
        key_exists(SYNC_CENTER_HANDLER_COLLECTIONS_KEY),
        "the list of collections itself stays: only the DLL's own keys are removed"
    );
}
