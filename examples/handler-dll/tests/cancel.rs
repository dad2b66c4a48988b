//! The handler honours cancellation: through its vtable, made by the DLL's own class factory,
//! against the checking Sync Center double scripted to cancel one item or everything. Every
//! canceled item ends CANCELED, never SUCCEEDED, and the others still succeed.
// Test helpers fail loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use handler::{CLSID_EXAMPLE_HANDLER, DllGetClassObject, ITEMS};
use windows_core::{ComObject, Interface, PCWSTR};
use winsync::bindings::{HWND, IClassFactory, ISyncMgrHandler, ISyncMgrSessionCreator, S_OK};
use winsync::skeletons::SyncmgrProgressStatus::{self, Canceled, Succeeded};
use winsync::sync_center::double::SyncCenterDouble;

fn handler() -> ISyncMgrHandler {
    let mut ppv = core::ptr::null_mut();
    let hr = unsafe { DllGetClassObject(&CLSID_EXAMPLE_HANDLER, &IClassFactory::IID, &mut ppv) };
    assert_eq!(hr, S_OK);
    let factory = unsafe { IClassFactory::from_raw(ppv) };
    unsafe { factory.CreateInstance(None) }.unwrap()
}

/// Synchronizes every item against `double`; returns each item's final status.
fn synchronize(double: &ComObject<SyncCenterDouble>) -> Vec<Option<SyncmgrProgressStatus>> {
    let items = ITEMS.map(|(id, _)| id);
    let creator: ISyncMgrSessionCreator = double.to_interface();
    let ids: Vec<Vec<u16>> = items
        .iter()
        .map(|id| id.encode_utf16().chain([0]).collect())
        .collect();
    let pointers: Vec<PCWSTR> = ids.iter().map(|id| PCWSTR(id.as_ptr())).collect();
    let hr = unsafe { handler().Synchronize(&pointers, HWND::default(), &creator, None) };
    assert_eq!(hr, S_OK, "{:?}", double.transcript());
    assert!(
        double.cancel_ignored().is_empty(),
        "{:?}",
        double.transcript()
    );
    items.iter().map(|id| double.final_status(id)).collect()
}

#[test]
fn every_item_succeeds_without_a_cancel_request() {
    let double = SyncCenterDouble::new(&ITEMS.map(|(id, _)| id));
    assert_eq!(synchronize(&double), [Some(Succeeded), Some(Succeeded)]);
}

#[test]
fn a_canceled_item_ends_canceled_and_the_other_succeeds() {
    let double = SyncCenterDouble::new(&ITEMS.map(|(id, _)| id));
    double.cancel_item_after(ITEMS[0].0, 1);
    assert_eq!(synchronize(&double), [Some(Canceled), Some(Succeeded)]);
}

#[test]
fn an_item_canceled_before_it_starts_is_never_synchronized() {
    let double = SyncCenterDouble::new(&ITEMS.map(|(id, _)| id));
    double.cancel_item_after(ITEMS[1].0, 0);
    assert_eq!(synchronize(&double), [Some(Succeeded), Some(Canceled)]);
}

#[test]
fn a_cancel_of_everything_ends_every_remaining_item_canceled() {
    let double = SyncCenterDouble::new(&ITEMS.map(|(id, _)| id));
    double.cancel_all_after(1);
    assert_eq!(synchronize(&double), [Some(Canceled), Some(Canceled)]);
}
