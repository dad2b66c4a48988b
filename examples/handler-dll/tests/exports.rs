//! The DLL's exports called in-process (host and Windows): `DllGetClassObject` hands out a
//! class factory for [`CLSID_EXAMPLE_COLLECTION`] and [`CLSID_EXAMPLE_HANDLER`] only, the
//! factories make the collection and the handler, Sync Center's discovery path (the checking
//! double) finds, binds and synchronizes a handler per partnership through the collection, and
//! `DllCanUnloadNow` follows every object's lifetime.
// Test helpers fail loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Mutex;

use handler::partnerships::{self, Partnership};
use handler::{
    CLSID_EXAMPLE_COLLECTION, CLSID_EXAMPLE_HANDLER, DllCanUnloadNow, DllGetClassObject, ITEMS,
};
use windows_core::{GUID, Interface};
use winsync::bindings::{
    CLASS_E_CLASSNOTAVAILABLE, IClassFactory, ISyncMgrHandler, ISyncMgrHandlerCollection,
    ISyncMgrSyncItemContainer, S_FALSE, S_OK,
};
use winsync::com::abi::take_co_task_wide;
use winsync::skeletons::{SyncmgrHandlerType, SyncmgrProgressStatus};
use winsync::sync_center::double::discovery::discover;

/// `DllCanUnloadNow` counts every object of the module: the tests that read it run one at a
/// time.
static SERIAL: Mutex<()> = Mutex::new(());

fn factory(clsid: &GUID) -> IClassFactory {
    let mut ppv = core::ptr::null_mut();
    let hr = unsafe { DllGetClassObject(clsid, &IClassFactory::IID, &mut ppv) };
    assert_eq!(hr, S_OK);
    unsafe { IClassFactory::from_raw(ppv) }
}

#[test]
fn the_exports_serve_the_handler_class_and_count_its_objects() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    assert_eq!(unsafe { DllCanUnloadNow() }, S_OK);

    let mut ppv = core::ptr::null_mut();
    let other = GUID::from_u128(7);
    let hr = unsafe { DllGetClassObject(&other, &IClassFactory::IID, &mut ppv) };
    assert_eq!(hr, CLASS_E_CLASSNOTAVAILABLE);
    assert!(ppv.is_null());

    let factory = factory(&CLSID_EXAMPLE_HANDLER);
    let handler: ISyncMgrHandler = unsafe { factory.CreateInstance(None) }.unwrap();
    drop(factory);
    let name = unsafe { take_co_task_wide(handler.GetName().unwrap()) }.unwrap();
    assert_eq!(name, partnerships::load().unwrap()[0].name);

    let info = unsafe { handler.GetHandlerInfo() }.unwrap();
    let container: ISyncMgrSyncItemContainer = handler.cast().unwrap();
    assert_eq!(
        unsafe { container.GetSyncItemCount() }.unwrap(),
        ITEMS.len() as u32
    );
    let items = unsafe { container.GetSyncItemEnumerator() }.unwrap();
    drop((handler, container));
    assert_eq!(
        unsafe { DllCanUnloadNow() },
        S_FALSE,
        "the handler info and the enumerator are alive"
    );
    drop(info);
    assert_eq!(
        unsafe { DllCanUnloadNow() },
        S_FALSE,
        "the enumerator is alive"
    );
    drop(items);
    assert_eq!(unsafe { DllCanUnloadNow() }, S_OK);
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

#[test]
fn sync_center_finds_binds_and_synchronizes_the_handler_through_the_collection() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let factory = factory(&CLSID_EXAMPLE_COLLECTION);
    let collection: ISyncMgrHandlerCollection = unsafe { factory.CreateInstance(None) }.unwrap();
    drop(factory);

    let mut discovery = discover(&collection);
    discovery.synchronize();
    discovery.check().unwrap();
    // The user's partnerships: the defaults on a machine without a configuration file.
    let partnerships = partnerships::load().unwrap();
    let ids: Vec<&str> = partnerships.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(discovery.ids, ids);
    for partnership in &partnerships {
        let found = discovery.handler(&partnership.id).unwrap();
        assert_eq!(found.name.as_deref(), Some(partnership.name.as_str()));
        assert_eq!(found.handler_type, Some(SyncmgrHandlerType::Device));
        let items: Vec<(&str, Option<&str>)> = found
            .items
            .iter()
            .map(|item| (item.id.as_str(), item.name.as_deref()))
            .collect();
        let expected: Vec<(&str, Option<&str>)> =
            ITEMS.iter().map(|(id, name)| (*id, Some(*name))).collect();
        assert_eq!(items, expected);
    }

    assert_eq!(discovery.synchronized.len(), partnerships.len());
    for (run, partnership) in discovery.synchronized.iter().zip(&partnerships) {
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
        unsafe { DllCanUnloadNow() },
        S_FALSE,
        "Sync Center holds them"
    );
    drop((discovery, collection));
    assert_eq!(unsafe { DllCanUnloadNow() }, S_OK);
}
