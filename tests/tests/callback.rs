//! `winsync::framework::callback::CallbackObject`: a `SyncCallback2` implementation called through
//! the real `ISyncCallback` / `ISyncCallback2` vtables.
// Test helpers fail loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Mutex;

use windows_core::{ComObject, Interface, Result};
use winsync::bindings::*;
use winsync::framework::callback::{CallbackObject, DerivedCallback};
use winsync::skeletons::*;

/// Implements only OnProgress, OnChangeApplied and OnChangeFailed; everything else keeps the
/// skeleton's default.
#[derive(Default)]
struct Partial {
    calls: Mutex<Vec<String>>,
}

impl Partial {
    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
}

impl SyncCallback for Partial {
    fn on_progress(
        &self,
        provider: SyncProviderRole,
        stage: SyncProgressStage,
        completed_work: u32,
        total_work: u32,
    ) -> Result<()> {
        if completed_work == 666 {
            panic!("a bug in the application's callback");
        }
        self.calls.lock().unwrap().push(format!(
            "progress {provider:?} {stage:?} {completed_work}/{total_work}"
        ));
        Ok(())
    }
}

impl SyncCallback2 for Partial {
    fn on_change_applied(&self, changes_applied: u32, changes_failed: u32) -> Result<()> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("applied {changes_applied} {changes_failed}"));
        Ok(())
    }
    fn on_change_failed(&self, changes_applied: u32, changes_failed: u32) -> Result<()> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("failed {changes_applied} {changes_failed}"));
        Err(E_FAIL.into())
    }
}

// What `#[derive(SyncCallback)]` writes.
impl DerivedCallback for Partial {}

fn callback() -> (ComObject<CallbackObject<Partial>>, ISyncCallback) {
    let object = CallbackObject::new(Partial::default());
    let interface = object.to_interface();
    (object, interface)
}

#[test]
fn on_progress_with_valid_values_reaches_the_implementation() {
    let (object, callback) = callback();
    assert_eq!(
        unsafe { callback.OnProgress(SPR_SOURCE, SPS_CHANGE_DETECTION, 0, 4) },
        S_OK
    );
    assert_eq!(
        unsafe { callback.OnProgress(SPR_DESTINATION, SPS_CHANGE_APPLICATION, 4, 4) },
        S_OK
    );
    assert_eq!(
        object.callback().calls(),
        [
            "progress Source ChangeDetection 0/4",
            "progress Destination ChangeApplication 4/4"
        ]
    );
}

/// `callback.on-progress.timing`: completed work is part of the total; a total of 0 says
/// none is known.
#[test]
fn completed_work_above_the_total_never_reaches_the_implementation() {
    let (object, callback) = callback();
    assert_eq!(
        unsafe { callback.OnProgress(SPR_SOURCE, SPS_CHANGE_DETECTION, 5, 4) },
        E_INVALIDARG
    );
    assert!(object.callback().calls().is_empty());
    assert_eq!(
        unsafe { callback.OnProgress(SPR_SOURCE, SPS_CHANGE_DETECTION, 5, 0) },
        S_OK
    );
    assert_eq!(
        object.callback().calls(),
        ["progress Source ChangeDetection 5/0"]
    );
}

#[test]
fn invalid_enums_are_e_invalidarg_and_never_reach_the_implementation() {
    let (object, callback) = callback();
    assert_eq!(
        unsafe { callback.OnProgress(2, SPS_CHANGE_DETECTION, 0, 4) },
        E_INVALIDARG
    );
    assert_eq!(
        unsafe { callback.OnProgress(i32::MIN, SPS_CHANGE_DETECTION, 0, 4) },
        E_INVALIDARG
    );
    assert_eq!(
        unsafe { callback.OnProgress(SPR_SOURCE, 3, 0, 4) },
        E_INVALIDARG
    );
    assert_eq!(
        unsafe { callback.OnProgress(SPR_SOURCE, -1, 0, 4) },
        E_INVALIDARG
    );
    assert!(object.callback().calls().is_empty());
}

#[test]
fn a_panic_is_e_unexpected_and_the_object_keeps_working() {
    let (object, callback) = callback();
    assert_eq!(
        unsafe { callback.OnProgress(SPR_SOURCE, SPS_CHANGE_ENUMERATION, 666, 700) },
        E_UNEXPECTED
    );
    assert_eq!(
        unsafe { callback.OnProgress(SPR_SOURCE, SPS_CHANGE_ENUMERATION, 667, 700) },
        S_OK
    );
    let callback2: ISyncCallback2 = callback.cast().unwrap();
    assert_eq!(unsafe { callback2.OnChangeApplied(1, 0) }, S_OK);
    assert_eq!(
        object.callback().calls(),
        ["progress Source ChangeEnumeration 667/700", "applied 1 0"]
    );
}

#[test]
fn change_events_arrive_through_isynccallback2() {
    let (object, callback) = callback();
    let callback2: ISyncCallback2 = callback.cast().unwrap();
    assert_eq!(unsafe { callback2.OnChangeApplied(3, 1) }, S_OK);
    // The implementation's error is what the caller receives.
    assert_eq!(unsafe { callback2.OnChangeFailed(3, 2) }, E_FAIL);
    // The ISyncCallback methods are reachable from ISyncCallback2 (it derives from it).
    assert_eq!(
        unsafe { callback2.OnProgress(SPR_SOURCE, SPS_CHANGE_APPLICATION, 5, 5) },
        S_OK
    );
    assert_eq!(
        object.callback().calls(),
        [
            "applied 3 1",
            "failed 3 2",
            "progress Source ChangeApplication 5/5"
        ]
    );
    // Both interfaces are the same object.
    let a: windows_core::IUnknown = callback.cast().unwrap();
    let b: windows_core::IUnknown = callback2.cast().unwrap();
    assert_eq!(a.as_raw(), b.as_raw());
}

#[test]
fn defaults_answer_without_the_implementation() {
    let (object, callback) = callback();
    // OnFullEnumerationNeeded's default: E_NOTIMPL, and nothing written.
    let mut action: SYNC_FULL_ENUMERATION_ACTION = -7;
    assert_eq!(
        unsafe { callback.OnFullEnumerationNeeded(&mut action) },
        E_NOTIMPL
    );
    assert_eq!(action, -7);
    // A null out-pointer: E_POINTER.
    assert_eq!(
        unsafe { callback.OnFullEnumerationNeeded(std::ptr::null_mut()) },
        E_POINTER
    );
    // Null interface pointers: E_POINTER, before the default body.
    let vtable = callback.vtable();
    assert_eq!(
        unsafe { (vtable.OnChange)(callback.as_raw(), std::ptr::null_mut()) },
        E_POINTER
    );
    assert_eq!(
        unsafe { (vtable.OnConflict)(callback.as_raw(), std::ptr::null_mut()) },
        E_POINTER
    );
    assert_eq!(
        unsafe { (vtable.OnRecoverableError)(callback.as_raw(), std::ptr::null_mut()) },
        E_POINTER
    );
    assert!(object.callback().calls().is_empty());
}

/// Answers OnFullEnumerationNeeded; everything else default.
struct Partial2;
impl SyncCallback for Partial2 {
    fn on_full_enumeration_needed(&self) -> Result<SyncFullEnumerationAction> {
        Ok(SyncFullEnumerationAction::PartialSync)
    }
}
impl SyncCallback2 for Partial2 {}
impl DerivedCallback for Partial2 {}

#[test]
fn an_implemented_full_enumeration_action_is_written() {
    let callback = Partial2.into_callback();
    let mut action: SYNC_FULL_ENUMERATION_ACTION = -7;
    assert_eq!(
        unsafe { callback.OnFullEnumerationNeeded(&mut action) },
        S_OK
    );
    assert_eq!(action, SFEA_PARTIAL_SYNC);
    // Defaults of the other methods succeed.
    assert_eq!(
        unsafe { callback.OnProgress(SPR_SOURCE, SPS_CHANGE_DETECTION, 0, 0) },
        S_OK
    );
    let callback2: ISyncCallback2 = callback.cast().unwrap();
    assert_eq!(unsafe { callback2.OnChangeFailed(0, 1) }, S_OK);
}

#[test]
fn derived_callback_hands_out_the_object_or_the_interface() {
    let object = Partial::default().into_object();
    let callback: ISyncCallback = object.to_interface();
    assert_eq!(
        unsafe { callback.OnProgress(SPR_SOURCE, SPS_CHANGE_DETECTION, 1, 2) },
        S_OK
    );
    assert_eq!(
        object.callback().calls(),
        ["progress Source ChangeDetection 1/2"]
    );
    let callback = Partial::default().into_callback();
    assert_eq!(
        unsafe { callback.OnProgress(SPR_SOURCE, 5, 1, 2) },
        E_INVALIDARG
    );
    // The object is Send + Sync when the wrapped value is.
    fn assert_send_sync<T: Send + Sync>(_: &T) {}
    assert_send_sync(&object);
}
