//! The DLL's exports called in-process (host and Windows): `DllGetClassObject` hands out the
//! class factory of [`CLSID_EXAMPLE_HANDLER`] only, the factory makes the handler, the
//! handler lists its items, and `DllCanUnloadNow` follows every object's lifetime.
// Test helpers fail loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use handler::{CLSID_EXAMPLE_HANDLER, DllCanUnloadNow, DllGetClassObject, HANDLER_NAME, ITEMS};
use windows_core::{GUID, Interface};
use winsync::bindings::{
    CLASS_E_CLASSNOTAVAILABLE, IClassFactory, ISyncMgrHandler, ISyncMgrSyncItemContainer, S_FALSE,
    S_OK,
};
use winsync::com::abi::take_co_task_wide;

#[test]
fn the_exports_serve_the_handler_class_and_count_its_objects() {
    assert_eq!(unsafe { DllCanUnloadNow() }, S_OK);

    let mut ppv = core::ptr::null_mut();
    let other = GUID::from_u128(7);
    let hr = unsafe { DllGetClassObject(&other, &IClassFactory::IID, &mut ppv) };
    assert_eq!(hr, CLASS_E_CLASSNOTAVAILABLE);
    assert!(ppv.is_null());

    let hr = unsafe { DllGetClassObject(&CLSID_EXAMPLE_HANDLER, &IClassFactory::IID, &mut ppv) };
    assert_eq!(hr, S_OK);
    let factory = unsafe { IClassFactory::from_raw(ppv) };
    let handler: ISyncMgrHandler = unsafe { factory.CreateInstance(None) }.unwrap();
    drop(factory);
    let name = unsafe { take_co_task_wide(handler.GetName().unwrap()) }.unwrap();
    assert_eq!(name, HANDLER_NAME);

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
