//! The checking Sync Center double (`winsync::sync_center::double`), called through real COM
//! vtables as a handler would: unknown items, statuses after a completion status, scripted
//! cancellation, CanContinue, ProposeItem/CommitItem, CreateSession and the transcript.
// Test helpers fail loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};

use windows_core::{BOOL, ComObject, GUID, HRESULT, Interface, PCWSTR, PWSTR, Result, implement};
use winsync::bindings::*;
use winsync::skeletons::{SyncmgrCancelRequest, SyncmgrEventLevel, SyncmgrProgressStatus};
use winsync::sync_center::double::{Call, SyncCenterDouble};

/// Wide, NUL-terminated copy of `text`.
fn wide(text: &str) -> Vec<u16> {
    text.encode_utf16().chain(std::iter::once(0)).collect()
}

fn double(items: &[&str]) -> (ISyncMgrSyncCallback, ComObject<SyncCenterDouble>) {
    let object = SyncCenterDouble::new(items);
    (object.to_interface(), object)
}

/// ReportProgress through the vtable: the HRESULT and what `pnCancelRequest` received
/// (`-1` when it was not written).
fn report(
    callback: &ISyncMgrSyncCallback,
    item: &str,
    status: SYNCMGR_PROGRESS_STATUS,
) -> (HRESULT, SYNCMGR_CANCEL_REQUEST) {
    let (item, text) = (wide(item), wide("working"));
    let mut cancel: SYNCMGR_CANCEL_REQUEST = -1;
    let hr = unsafe {
        (callback.vtable().ReportProgress)(
            callback.as_raw(),
            PCWSTR(item.as_ptr()),
            PCWSTR(text.as_ptr()),
            status,
            1,
            4,
            &mut cancel,
        )
    };
    (hr, cancel)
}

fn can_continue(callback: &ISyncMgrSyncCallback, item: Option<&str>) -> HRESULT {
    match item {
        Some(item) => {
            let item = wide(item);
            unsafe { callback.CanContinue(PCWSTR(item.as_ptr())) }
        }
        None => unsafe { callback.CanContinue(PCWSTR::null()) },
    }
}

fn commit(callback: &ISyncMgrSyncCallback, item: &str) -> HRESULT {
    let item = wide(item);
    unsafe { (callback.vtable().CommitItem)(callback.as_raw(), PCWSTR(item.as_ptr())) }
}

fn add(callback: &ISyncMgrSyncCallback, item: &str) -> HRESULT {
    let item = wide(item);
    unsafe { (callback.vtable().AddItemToSession)(callback.as_raw(), PCWSTR(item.as_ptr())) }
}

// --- A proposed item -----------------------------------------------------------------------

/// A sync item whose `GetItemID` hands out a CoTaskMem copy of its id; everything else is
/// E_NOTIMPL. Counts the GetItemID calls.
#[implement(ISyncMgrSyncItem)]
struct TestItem {
    id: String,
    get_item_id_calls: AtomicUsize,
}

fn test_item(id: &str) -> (ISyncMgrSyncItem, ComObject<TestItem>) {
    let object = ComObject::new(TestItem {
        id: id.to_string(),
        get_item_id_calls: AtomicUsize::new(0),
    });
    (object.to_interface(), object)
}

impl ISyncMgrSyncItem_Impl for TestItem_Impl {
    fn GetItemID(&self) -> Result<PWSTR> {
        self.get_item_id_calls.fetch_add(1, Ordering::SeqCst);
        winsync::com::abi::co_task_wide(&self.id)
    }
    fn GetName(&self) -> Result<PWSTR> {
        Err(E_NOTIMPL.into())
    }
    fn GetItemInfo(&self) -> Result<ISyncMgrSyncItemInfo> {
        Err(E_NOTIMPL.into())
    }
    fn GetObject(
        &self,
        _rguidobjectid: *const GUID,
        _riid: *const GUID,
        _ppv: *mut *mut core::ffi::c_void,
    ) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn GetCapabilities(&self) -> Result<SYNCMGR_ITEM_CAPABILITIES> {
        Err(E_NOTIMPL.into())
    }
    fn GetPolicies(&self) -> Result<SYNCMGR_ITEM_POLICIES> {
        Err(E_NOTIMPL.into())
    }
    fn Enable(&self, _fenable: BOOL) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn Delete(&self) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
}

fn propose(callback: &ISyncMgrSyncCallback, item: &ISyncMgrSyncItem) -> HRESULT {
    unsafe { (callback.vtable().ProposeItem)(callback.as_raw(), item.as_raw()) }
}

// --- ReportProgress ------------------------------------------------------------------------

#[test]
fn report_progress_for_an_unknown_item_is_e_invalidarg() {
    let (callback, object) = double(&["a"]);
    assert_eq!(
        report(&callback, "b", SYNCMGR_PS_UPDATING),
        (E_INVALIDARG, -1)
    );
    assert_eq!(
        report(&callback, "a", SYNCMGR_PS_UPDATING),
        (S_OK, SYNCMGR_CR_NONE)
    );
    assert_eq!(object.final_status("b"), None);
    assert_eq!(object.items(), ["a"]);
    // With a NULL pnCancelRequest too.
    let (item, text) = (wide("b"), wide("t"));
    let hr = unsafe {
        callback.ReportProgress(
            PCWSTR(item.as_ptr()),
            PCWSTR(text.as_ptr()),
            SYNCMGR_PS_UPDATING,
            0,
            0,
            std::ptr::null_mut(),
        )
    };
    assert_eq!(hr, E_INVALIDARG);
}

#[test]
fn a_status_after_succeeded_other_than_failed_is_e_accessdenied_and_fails_the_item() {
    let (callback, object) = double(&["a"]);
    assert_eq!(report(&callback, "a", SYNCMGR_PS_UPDATING).0, S_OK);
    assert_eq!(object.final_status("a"), None);
    assert_eq!(report(&callback, "a", SYNCMGR_PS_SUCCEEDED).0, S_OK);
    assert_eq!(
        object.final_status("a"),
        Some(SyncmgrProgressStatus::Succeeded)
    );
    assert_eq!(
        report(&callback, "a", SYNCMGR_PS_UPDATING),
        (E_ACCESSDENIED, -1),
        "nothing is written through pnCancelRequest on failure"
    );
    assert_eq!(
        object.final_status("a"),
        Some(SyncmgrProgressStatus::Failed)
    );
    // Still only FAILED may follow.
    assert_eq!(
        report(&callback, "a", SYNCMGR_PS_SUCCEEDED).0,
        E_ACCESSDENIED
    );
    assert_eq!(report(&callback, "a", SYNCMGR_PS_FAILED).0, S_OK);
}

#[test]
fn failed_may_follow_succeeded() {
    let (callback, object) = double(&["a"]);
    assert_eq!(report(&callback, "a", SYNCMGR_PS_SUCCEEDED).0, S_OK);
    assert_eq!(report(&callback, "a", SYNCMGR_PS_FAILED).0, S_OK);
    assert_eq!(
        object.final_status("a"),
        Some(SyncmgrProgressStatus::Failed)
    );
    // CANCELED is a completion status too.
    let (callback, object) = double(&["c"]);
    assert_eq!(report(&callback, "c", SYNCMGR_PS_CANCELED).0, S_OK);
    assert_eq!(
        report(&callback, "c", SYNCMGR_PS_UPDATING_INDETERMINATE).0,
        E_ACCESSDENIED
    );
    assert_eq!(
        object.final_status("c"),
        Some(SyncmgrProgressStatus::Failed)
    );
}

// --- Scripted cancellation ------------------------------------------------------------------

#[test]
fn cancel_one_item_after_two_reports() {
    let (callback, object) = double(&["a", "b"]);
    object.cancel_item_after("a", 2);
    assert_eq!(can_continue(&callback, Some("a")), S_OK);
    assert_eq!(
        report(&callback, "a", SYNCMGR_PS_UPDATING),
        (S_OK, SYNCMGR_CR_NONE)
    );
    // Reports for another item do not count for "a".
    assert_eq!(
        report(&callback, "b", SYNCMGR_PS_UPDATING),
        (S_OK, SYNCMGR_CR_NONE)
    );
    assert_eq!(can_continue(&callback, Some("a")), S_OK);
    assert_eq!(
        report(&callback, "a", SYNCMGR_PS_UPDATING),
        (S_OK, SYNCMGR_CR_CANCEL_ITEM)
    );
    assert_eq!(can_continue(&callback, Some("a")), S_FALSE);
    assert_eq!(can_continue(&callback, Some("b")), S_OK);
    assert_eq!(can_continue(&callback, None), S_OK, "the handler goes on");
    assert!(object.is_canceled("a") && !object.is_canceled("b"));
    assert_eq!(
        report(&callback, "b", SYNCMGR_PS_UPDATING),
        (S_OK, SYNCMGR_CR_NONE)
    );
    // The handler acknowledges with CANCELED, passing NULL for pnCancelRequest as the page's
    // example does.
    let (item, text) = (wide("a"), wide("canceled"));
    let hr = unsafe {
        callback.ReportProgress(
            PCWSTR(item.as_ptr()),
            PCWSTR(text.as_ptr()),
            SYNCMGR_PS_CANCELED,
            2,
            4,
            std::ptr::null_mut(),
        )
    };
    assert_eq!(hr, S_OK);
    assert_eq!(
        object.final_status("a"),
        Some(SyncmgrProgressStatus::Canceled)
    );
}

#[test]
fn cancel_all_after_n_reports() {
    let (callback, object) = double(&["a", "b"]);
    object.cancel_all_after(3);
    assert_eq!(
        report(&callback, "a", SYNCMGR_PS_UPDATING).1,
        SYNCMGR_CR_NONE
    );
    // Refused reports do not count.
    assert_eq!(
        report(&callback, "zzz", SYNCMGR_PS_UPDATING).0,
        E_INVALIDARG
    );
    assert_eq!(
        report(&callback, "b", SYNCMGR_PS_UPDATING).1,
        SYNCMGR_CR_NONE
    );
    assert_eq!(can_continue(&callback, None), S_OK);
    assert_eq!(
        report(&callback, "a", SYNCMGR_PS_UPDATING),
        (S_OK, SYNCMGR_CR_CANCEL_ALL)
    );
    assert_eq!(
        report(&callback, "b", SYNCMGR_PS_UPDATING),
        (S_OK, SYNCMGR_CR_CANCEL_ALL)
    );
    assert_eq!(can_continue(&callback, Some("a")), S_FALSE);
    assert_eq!(can_continue(&callback, Some("b")), S_FALSE);
    assert_eq!(can_continue(&callback, None), S_FALSE);
    assert_eq!(can_continue(&callback, Some("")), S_FALSE);
    // The handler-level progress text hears it too.
    let text = wide("handler");
    let mut cancel: SYNCMGR_CANCEL_REQUEST = -1;
    let hr = unsafe {
        (callback.vtable().SetHandlerProgressText)(
            callback.as_raw(),
            PCWSTR(text.as_ptr()),
            &mut cancel,
        )
    };
    assert_eq!((hr, cancel), (S_OK, SYNCMGR_CR_CANCEL_ALL));
    // Zero cancels at once.
    let (callback, object) = double(&["a"]);
    object.cancel_all_after(0);
    assert_eq!(can_continue(&callback, None), S_FALSE);
}

#[test]
fn can_continue_with_null_or_empty_item_asks_about_the_handler() {
    let (callback, object) = double(&["a"]);
    assert_eq!(can_continue(&callback, None), S_OK);
    assert_eq!(can_continue(&callback, Some("")), S_OK);
    assert_eq!(can_continue(&callback, Some("a")), S_OK);
    assert_eq!(can_continue(&callback, Some("unknown")), E_INVALIDARG);
    object.cancel_item_after("a", 0);
    assert_eq!(can_continue(&callback, Some("a")), S_FALSE);
    assert_eq!(
        can_continue(&callback, None),
        S_OK,
        "an item's cancellation is not the handler's"
    );
    assert_eq!(
        object.transcript(),
        [
            Call::CanContinue {
                item_id: None,
                answer: S_OK
            },
            Call::CanContinue {
                item_id: Some(String::new()),
                answer: S_OK
            },
            Call::CanContinue {
                item_id: Some("a".into()),
                answer: S_OK
            },
            Call::CanContinue {
                item_id: Some("unknown".into()),
                answer: E_INVALIDARG
            },
            Call::CanContinue {
                item_id: Some("a".into()),
                answer: S_FALSE
            },
            Call::CanContinue {
                item_id: None,
                answer: S_OK
            },
        ]
    );
}

// --- ProposeItem / CommitItem / AddItemToSession -------------------------------------------

#[test]
fn commit_item_without_propose_item_is_e_invalidarg() {
    let (callback, object) = double(&["a"]);
    assert_eq!(commit(&callback, "new"), E_INVALIDARG);
    assert_eq!(
        commit(&callback, "a"),
        E_INVALIDARG,
        "already in the session"
    );
    assert_eq!(object.items(), ["a"]);
}

#[test]
fn propose_then_commit_makes_the_item_known() {
    let (callback, object) = double(&["a"]);
    let (item, item_object) = test_item("new");
    assert_eq!(propose(&callback, &item), S_OK);
    assert_eq!(item_object.get_item_id_calls.load(Ordering::SeqCst), 1);
    assert!(object.proposed_item("new").is_some());
    // Proposed is not known yet.
    assert_eq!(
        report(&callback, "new", SYNCMGR_PS_UPDATING).0,
        E_INVALIDARG
    );
    assert_eq!(can_continue(&callback, Some("new")), E_INVALIDARG);
    // The same id again, or an id already in the session: E_INVALIDARG.
    let (again, _) = test_item("new");
    assert_eq!(propose(&callback, &again), E_INVALIDARG);
    let (existing, _) = test_item("a");
    assert_eq!(propose(&callback, &existing), E_INVALIDARG);
    let (empty, _) = test_item("");
    assert_eq!(propose(&callback, &empty), E_INVALIDARG);
    assert_eq!(
        unsafe { (callback.vtable().ProposeItem)(callback.as_raw(), std::ptr::null_mut()) },
        E_POINTER
    );

    assert_eq!(commit(&callback, "new"), S_OK);
    assert_eq!(object.items(), ["a", "new"]);
    assert!(object.proposed_item("new").is_none());
    assert_eq!(report(&callback, "new", SYNCMGR_PS_SUCCEEDED).0, S_OK);
    assert_eq!(can_continue(&callback, Some("new")), S_OK);
    assert_eq!(commit(&callback, "new"), E_INVALIDARG, "committed twice");
    assert_eq!(
        object
            .transcript()
            .into_iter()
            .filter(|call| matches!(call, Call::ProposeItem { .. }))
            .collect::<Vec<_>>(),
        [
            Call::ProposeItem {
                item_id: Some("new".into()),
                answer: S_OK
            },
            Call::ProposeItem {
                item_id: Some("new".into()),
                answer: E_INVALIDARG
            },
            Call::ProposeItem {
                item_id: Some("a".into()),
                answer: E_INVALIDARG
            },
            Call::ProposeItem {
                item_id: Some(String::new()),
                answer: E_INVALIDARG
            },
        ],
        "the null item never reached the double"
    );
    assert_eq!(item_object.get_item_id_calls.load(Ordering::SeqCst), 1);
}

#[test]
fn add_item_to_session_makes_an_item_known_once() {
    let (callback, object) = double(&["a"]);
    assert_eq!(add(&callback, "a"), E_INVALIDARG);
    assert_eq!(report(&callback, "b", SYNCMGR_PS_UPDATING).0, E_INVALIDARG);
    assert_eq!(add(&callback, "b"), S_OK);
    assert_eq!(add(&callback, "b"), E_INVALIDARG);
    assert_eq!(report(&callback, "b", SYNCMGR_PS_UPDATING).0, S_OK);
    assert_eq!(object.items(), ["a", "b"]);
}

// --- CreateSession and the transcript -------------------------------------------------------

#[test]
fn create_session_returns_the_double_itself() {
    let object = SyncCenterDouble::new(&["a", "b"]);
    let creator: ISyncMgrSessionCreator = object.to_interface();
    let (handler, a, b) = (wide("handler-1"), wide("a"), wide("b"));
    let ids = [PCWSTR(a.as_ptr()), PCWSTR(b.as_ptr())];
    let callback = unsafe { creator.CreateSession(PCWSTR(handler.as_ptr()), &ids) }.unwrap();
    let own: ISyncMgrSyncCallback = object.to_interface();
    let identity = |i: &windows_core::IUnknown| i.as_raw();
    assert_eq!(
        identity(&callback.cast().unwrap()),
        identity(&own.cast().unwrap()),
        "the same COM object"
    );
    let back: ISyncMgrSessionCreator = callback.cast().unwrap();
    assert_eq!(back.as_raw(), creator.as_raw());
    assert_eq!(report(&callback, "a", SYNCMGR_PS_UPDATING).0, S_OK);
    assert_eq!(
        object.transcript()[0],
        Call::CreateSession {
            handler_id: "handler-1".into(),
            item_ids: vec!["a".into(), "b".into()],
        }
    );
    // A null handler id never reaches the double.
    let error = unsafe { creator.CreateSession(PCWSTR::null(), &ids) }.unwrap_err();
    assert_eq!(error.code(), E_POINTER);
    assert_eq!(object.transcript().len(), 2);
}

/// `syncmgr-session.create-session.ids-required`: the double refuses a session without a
/// handler id or without item ids, and records neither.
#[test]
fn create_session_needs_a_handler_id_and_item_ids() {
    let object = SyncCenterDouble::new(&["a"]);
    let creator: ISyncMgrSessionCreator = object.to_interface();
    let (empty, handler, a) = (wide(""), wide("h"), wide("a"));
    let create = |handler: &Vec<u16>, ids: &[PCWSTR]| {
        unsafe { creator.CreateSession(PCWSTR(handler.as_ptr()), ids) }.map(|_| ())
    };
    assert_eq!(
        create(&empty, &[PCWSTR(a.as_ptr())]).unwrap_err().code(),
        E_INVALIDARG
    );
    assert_eq!(create(&handler, &[]).unwrap_err().code(), E_INVALIDARG);
    assert!(object.transcript().is_empty());
    create(&handler, &[PCWSTR(a.as_ptr())]).unwrap();
    assert_eq!(object.transcript().len(), 1);
}

/// `syncmgr-session.report-progress.null-cancel-request`: a NULL `pnCancelRequest` is accepted
/// (the page's own example passes it for the final CANCELED report) and the report recorded.
#[test]
fn report_progress_accepts_a_null_cancel_request() {
    let (callback, object) = double(&["a"]);
    let (item, text) = (wide("a"), wide("stopped"));
    let hr = unsafe {
        callback.ReportProgress(
            PCWSTR(item.as_ptr()),
            PCWSTR(text.as_ptr()),
            SYNCMGR_PS_CANCELED,
            0,
            0,
            std::ptr::null_mut(),
        )
    };
    assert_eq!(hr, S_OK);
    assert_eq!(
        object.transcript(),
        [Call::ReportProgress {
            item_id: "a".into(),
            text: "stopped".into(),
            status: SyncmgrProgressStatus::Canceled,
            current: 0,
            max: 0,
            answer: S_OK,
            cancel: SyncmgrCancelRequest::None,
        }]
    );
    assert_eq!(
        object.final_status("a"),
        Some(SyncmgrProgressStatus::Canceled)
    );
}

/// Queued items make `QueryForAdditionalItems` answer S_OK with enumerators (an `IEnumUnknown`
/// only when interfaces were queued); the session's side reads them
/// (`tests/syncmgr_session.rs`).
#[test]
fn query_for_additional_items_hands_out_queued_items() {
    let (callback, object) = double(&["a"]);
    let query = || {
        let (mut ids, mut punks) = (None, None);
        let hr = unsafe { callback.QueryForAdditionalItems(&mut ids, &mut punks) };
        (hr, ids.is_some(), punks.is_some())
    };
    assert_eq!(query(), (S_FALSE, false, false));
    object.queue_additional_items(&["b"], &[]);
    assert_eq!(query(), (S_OK, true, false));
    let punk: windows_core::IUnknown = SyncCenterDouble::new(&["z"]).to_interface();
    object.queue_additional_items(&["c"], &[punk]);
    assert_eq!(query(), (S_OK, true, true));
    assert_eq!(
        object.transcript(),
        [S_FALSE, S_OK, S_OK].map(|answer| Call::QueryForAdditionalItems { answer })
    );
}

#[test]
fn the_transcript_records_every_call_in_order() {
    let object = SyncCenterDouble::new(&["a"]);
    object.cancel_item_after("a", 1);
    let creator: ISyncMgrSessionCreator = object.to_interface();
    let (handler, a) = (wide("h"), wide("a"));
    let callback =
        unsafe { creator.CreateSession(PCWSTR(handler.as_ptr()), &[PCWSTR(a.as_ptr())]) }.unwrap();
    let p = |w: &Vec<u16>| PCWSTR(w.as_ptr());
    let (a, name, description, context, text) = (
        wide("a"),
        wide("Conflict"),
        wide("two edits"),
        wide("ctx"),
        wide("Syncing"),
    );
    let mut cancel: SYNCMGR_CANCEL_REQUEST = -1;
    unsafe { callback.SetHandlerProgressText(p(&text), &mut cancel) }.unwrap();
    assert_eq!(
        report(&callback, "a", SYNCMGR_PS_UPDATING),
        (S_OK, SYNCMGR_CR_CANCEL_ITEM)
    );
    assert_eq!(can_continue(&callback, Some("a")), S_FALSE);
    assert_eq!(report(&callback, "a", SYNCMGR_PS_CANCELED).0, S_OK);
    let event = unsafe {
        callback.ReportEvent(
            p(&a),
            SYNCMGR_EL_WARNING,
            SYNCMGR_EF_NONE,
            p(&name),
            p(&description),
            PCWSTR::null(),
            PCWSTR::null(),
            p(&context),
        )
    }
    .unwrap();
    assert_eq!(event, GUID::from_u128(1));
    let mut ids = None;
    let mut punks = None;
    assert_eq!(
        unsafe { callback.QueryForAdditionalItems(&mut ids, &mut punks) },
        S_FALSE
    );
    assert!(ids.is_none() && punks.is_none());
    assert_eq!(add(&callback, "b"), S_OK);
    unsafe { callback.AddIUnknownToSession(&creator) }.unwrap();
    let (item, _) = test_item("c");
    assert_eq!(propose(&callback, &item), S_OK);
    assert_eq!(commit(&callback, "c"), S_OK);
    assert_eq!(commit(&callback, "d"), E_INVALIDARG);
    unsafe { callback.ReportManualSync() }.unwrap();
    assert_eq!(
        report(&callback, "a", SYNCMGR_PS_SUCCEEDED).0,
        E_ACCESSDENIED
    );

    let progress = |status, answer, cancel| Call::ReportProgress {
        item_id: "a".into(),
        text: "working".into(),
        status,
        current: 1,
        max: 4,
        answer,
        cancel,
    };
    assert_eq!(
        object.transcript(),
        [
            Call::CreateSession {
                handler_id: "h".into(),
                item_ids: vec!["a".into()]
            },
            Call::SetHandlerProgressText {
                text: "Syncing".into(),
                cancel: SyncmgrCancelRequest::None
            },
            progress(
                SyncmgrProgressStatus::Updating,
                S_OK,
                SyncmgrCancelRequest::CancelItem
            ),
            Call::CanContinue {
                item_id: Some("a".into()),
                answer: S_FALSE
            },
            progress(
                SyncmgrProgressStatus::Canceled,
                S_OK,
                SyncmgrCancelRequest::CancelItem
            ),
            Call::ReportEvent {
                item_id: "a".into(),
                level: SyncmgrEventLevel::Warning,
                flags: SYNCMGR_EF_NONE,
                name: "Conflict".into(),
                description: "two edits".into(),
                link_text: None,
                link_reference: None,
                context: "ctx".into(),
                event_id: GUID::from_u128(1),
            },
            Call::QueryForAdditionalItems { answer: S_FALSE },
            Call::AddItemToSession {
                item_id: "b".into(),
                answer: S_OK
            },
            Call::AddIUnknownToSession,
            Call::ProposeItem {
                item_id: Some("c".into()),
                answer: S_OK
            },
            Call::CommitItem {
                item_id: "c".into(),
                answer: S_OK
            },
            Call::CommitItem {
                item_id: "d".into(),
                answer: E_INVALIDARG
            },
            Call::ReportManualSync,
            progress(
                SyncmgrProgressStatus::Succeeded,
                E_ACCESSDENIED,
                SyncmgrCancelRequest::None
            ),
        ]
    );
    assert_eq!(object.items(), ["a", "b", "c"]);
    assert_eq!(
        object.final_status("a"),
        Some(SyncmgrProgressStatus::Failed)
    );
}

#[test]
fn the_double_can_be_called_from_the_handlers_sync_thread() {
    let (callback, object) = double(&["a", "b"]);
    object.cancel_all_after(40);
    // The interface pointer crosses to the sync thread as a raw address, as COM hands it over.
    let raw = callback.as_raw() as usize;
    let threads: Vec<_> = ["a", "b"]
        .into_iter()
        .map(|item| {
            std::thread::spawn(move || {
                let raw = raw as *mut core::ffi::c_void;
                let callback = unsafe { ISyncMgrSyncCallback::from_raw_borrowed(&raw) }.unwrap();
                let mut answers = Vec::new();
                for _ in 0..30 {
                    answers.push(report(callback, item, SYNCMGR_PS_UPDATING));
                }
                answers
            })
        })
        .collect();
    let answers: Vec<_> = threads
        .into_iter()
        .flat_map(|thread| thread.join().unwrap())
        .collect();
    assert!(answers.iter().all(|(hr, _)| *hr == S_OK));
    assert_eq!(
        answers
            .iter()
            .filter(|(_, cancel)| *cancel == SYNCMGR_CR_CANCEL_ALL)
            .count(),
        21,
        "the 40th report and the 20 after it"
    );
    assert_eq!(object.transcript().len(), 60);
    drop(callback);
}

/// `syncmgr-session.create-session.callback-optional`: a NULL `ppCallback` (no callback
/// wanted) creates the session and writes nothing; a `[retval]` pointer elsewhere is still
/// `E_POINTER` when NULL.
#[test]
fn create_session_accepts_a_null_callback_pointer() {
    let object = SyncCenterDouble::new(&["a"]);
    let creator: ISyncMgrSessionCreator = object.to_interface();
    let (handler, a) = (wide("h"), wide("a"));
    let ids = [PCWSTR(a.as_ptr())];
    let code = unsafe {
        (creator.vtable().CreateSession)(
            creator.as_raw(),
            PCWSTR(handler.as_ptr()),
            ids.as_ptr(),
            1,
            std::ptr::null_mut(),
        )
    };
    assert_eq!(code, S_OK);
    assert_eq!(object.transcript().len(), 1, "the session was created");
    // A failing call with NULL still answers the failure.
    let code = unsafe {
        (creator.vtable().CreateSession)(
            creator.as_raw(),
            PCWSTR(handler.as_ptr()),
            ids.as_ptr(),
            0,
            std::ptr::null_mut(),
        )
    };
    assert_eq!(code, E_INVALIDARG);
}
