//! The handler's objects, through its vtable as the DLL's class factory makes it: the setup UI
//! for `QueryBeforeActivate`, the browse UI for `BrowseContent` and the schedule wizard for
//! `ShowSchedule` its capabilities announce, its event store, E_NOTIMPL (handler) and
//! E_INVALIDARG (item) for the rest, the out-pointer NULL then.
// Test helpers fail loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use handler::{CAPABILITIES, CLSID_EXAMPLE_HANDLER, DllGetClassObject};
use windows_core::{GUID, HRESULT, IUnknown, Interface};
use winsync::bindings::{
    E_INVALIDARG, E_NOINTERFACE, E_NOTIMPL, HWND, IClassFactory, ISyncMgrHandler,
    ISyncMgrSyncItemContainer, ISyncMgrUIOperation, S_OK, SYNCMGR_HCM_CAN_BROWSE_CONTENT,
    SYNCMGR_HCM_CAN_SHOW_SCHEDULE, SYNCMGR_HCM_QUERY_BEFORE_ACTIVATE,
};
use winsync::sync_center::objects::ObjectId;

fn handler() -> ISyncMgrHandler {
    let mut ppv = core::ptr::null_mut();
    let hr = unsafe { DllGetClassObject(&CLSID_EXAMPLE_HANDLER, &IClassFactory::IID, &mut ppv) };
    assert_eq!(hr, S_OK);
    let factory = unsafe { IClassFactory::from_raw(ppv) };
    unsafe { factory.CreateInstance(None) }.unwrap()
}

/// `GetObject(id, IID_ISyncMgrUIOperation)` through the vtable.
fn ui(handler: &ISyncMgrHandler, id: &GUID) -> (HRESULT, Option<ISyncMgrUIOperation>) {
    let mut ppv = core::ptr::null_mut();
    let code = unsafe {
        (handler.vtable().GetObject)(handler.as_raw(), id, &ISyncMgrUIOperation::IID, &mut ppv)
    };
    let operation = (!ppv.is_null()).then(|| unsafe { ISyncMgrUIOperation::from_raw(ppv) });
    (code, operation)
}

#[test]
fn the_handler_hands_out_its_setup_and_browse_ui() {
    let handler = handler();
    assert_eq!(unsafe { handler.GetCapabilities() }.unwrap(), CAPABILITIES);
    assert_ne!(CAPABILITIES & SYNCMGR_HCM_QUERY_BEFORE_ACTIVATE, 0);
    assert_ne!(CAPABILITIES & SYNCMGR_HCM_CAN_BROWSE_CONTENT, 0);
    for id in [ObjectId::QueryBeforeActivate, ObjectId::BrowseContent] {
        let (code, operation) = ui(&handler, &id.guid());
        assert_eq!(code, S_OK, "{id:?}");
        assert_eq!(unsafe { operation.unwrap().Run(HWND::default()) }, S_OK);
    }
    assert_eq!(
        ui(&handler, &ObjectId::Icon.guid()),
        (E_NOTIMPL, None),
        "no icon object"
    );
    // A store is no UI operation: the object is queried for riid, and fails.
    for id in [ObjectId::EventStore, ObjectId::ConflictStore] {
        assert_eq!(ui(&handler, &id.guid()), (E_NOINTERFACE, None), "{id:?}");
    }
}

/// `ShowSchedule` is Sync Center's own schedule wizard: where Sync Center is missing (Linux,
/// Wine) the handler's answer is the error, with the out-pointer NULL.
#[test]
fn the_schedule_is_sync_centers_wizard() {
    // Sync Center calls GetObject from a COM apartment; the wizard is created in it.
    #[cfg(windows)]
    unsafe {
        winsync::bindings::CoInitializeEx(None, winsync::bindings::COINIT_MULTITHREADED as u32)
    }
    .ok()
    .unwrap();
    let handler = handler();
    assert_ne!(CAPABILITIES & SYNCMGR_HCM_CAN_SHOW_SCHEDULE, 0);
    let (code, operation) = ui(&handler, &ObjectId::ShowSchedule.guid());
    match operation {
        // Windows with Sync Center: the wizard itself.
        Some(_) => assert_eq!(code, S_OK),
        None if cfg!(windows) => {
            assert_eq!(
                code,
                HRESULT(0x8004_0154_u32.cast_signed()),
                "REGDB_E_CLASSNOTREG"
            );
        }
        None => assert_eq!(code, E_NOTIMPL),
    }
}

#[test]
fn its_items_have_no_objects() {
    let container: ISyncMgrSyncItemContainer = handler().cast().unwrap();
    let item = unsafe { container.GetSyncItem(windows_core::w!("notes")) }.unwrap();
    let mut ppv = core::ptr::null_mut();
    let code = unsafe {
        (item.vtable().GetObject)(
            item.as_raw(),
            &ObjectId::BrowseContent.guid(),
            &IUnknown::IID,
            &mut ppv,
        )
    };
    assert_eq!(code, E_INVALIDARG);
    assert!(ppv.is_null());
}

/// The handler keeps an event per item it synchronized, in the store its `GetObject` hands out.
#[test]
fn the_handler_keeps_its_events() {
    use windows_core::PCWSTR;
    use winsync::bindings::{ISyncMgrEventStore, ISyncMgrSessionCreator};
    use winsync::sync_center::double::SyncCenterDouble;
    use winsync::sync_center::events::Event;

    let handler = handler();
    let double = SyncCenterDouble::new(&["photos"]);
    let creator: ISyncMgrSessionCreator = double.to_interface();
    let id: Vec<u16> = "photos".encode_utf16().chain([0]).collect();
    let code =
        unsafe { handler.Synchronize(&[PCWSTR(id.as_ptr())], HWND::default(), &creator, None) };
    assert_eq!(code, S_OK);
    let mut ppv = core::ptr::null_mut();
    let code = unsafe {
        (handler.vtable().GetObject)(
            handler.as_raw(),
            &ObjectId::EventStore.guid(),
            &ISyncMgrEventStore::IID,
            &mut ppv,
        )
    };
    assert_eq!(code, S_OK);
    let store = unsafe { ISyncMgrEventStore::from_raw(ppv) };
    let events = unsafe { store.GetEventEnumerator() }.unwrap();
    let mut found = Vec::new();
    loop {
        let mut slot = [None];
        if unsafe { events.Next(1, slot.as_mut_ptr(), core::ptr::null_mut()) } != S_OK {
            break;
        }
        found.push(Event::read(slot[0].as_ref().unwrap()).unwrap());
    }
    assert!(
        found
            .iter()
            .any(|event| event.item_id == "photos" && event.name == "Synchronized"),
        "{found:?}"
    );
}
