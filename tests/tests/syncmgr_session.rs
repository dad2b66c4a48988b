//! The checked Sync Center session against the checking Sync Center double, through real
//! vtables: checks that stop a call before Sync Center sees it, and Sync Center's answers
//! as Rust values.
// Test helpers fail loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use windows_core::{ComObject, Interface};
use winsync::bindings::*;
use winsync::skeletons::{SyncmgrCancelRequest, SyncmgrEventLevel, SyncmgrProgressStatus};
use winsync::sync_center::double::{Call, SyncCenterDouble};
use winsync::sync_center::session::{
    CANCELED, Continue, MAX_ITEM_ID_CHARS, MAX_PROGRESS_TEXT_CHARS, SyncSession,
};

fn session(items: &[&str]) -> (SyncSession, ComObject<SyncCenterDouble>) {
    let double = SyncCenterDouble::new(items);
    let creator: ISyncMgrSessionCreator = double.to_interface();
    let ids: Vec<String> = items.iter().map(|s| s.to_string()).collect();
    (
        SyncSession::create(&creator, "handler", &ids).unwrap(),
        double,
    )
}

fn reports(double: &SyncCenterDouble) -> usize {
    double
        .transcript()
        .iter()
        .filter(|c| matches!(c, Call::ReportProgress { .. }))
        .count()
}

#[test]
fn create_session_goes_through_the_session_creator() {
    let (_, double) = session(&["a", "b"]);
    assert_eq!(
        double.transcript()[0],
        Call::CreateSession {
            handler_id: "handler".into(),
            item_ids: vec!["a".into(), "b".into()]
        }
    );
}

#[test]
fn a_final_status_is_final_and_checked_before_sync_center() {
    let (session, double) = session(&["a"]);
    assert_eq!(
        session
            .report_progress("a", "copying", SyncmgrProgressStatus::Updating, 1, 2)
            .unwrap(),
        SyncmgrCancelRequest::None
    );
    session
        .report_progress("a", "done", SyncmgrProgressStatus::Succeeded, 2, 2)
        .unwrap();
    let error = session
        .report_progress("a", "again", SyncmgrProgressStatus::Updating, 1, 2)
        .unwrap_err();
    assert_eq!(error.code(), E_ACCESSDENIED);
    assert_eq!(
        reports(&double),
        2,
        "the refused report never reached Sync Center"
    );
    // Only FAILED may follow a final status.
    session
        .report_progress("a", "failed after all", SyncmgrProgressStatus::Failed, 0, 0)
        .unwrap();
    assert_eq!(
        session.final_status("a"),
        Some(SyncmgrProgressStatus::Failed)
    );
    assert_eq!(
        double.final_status("a"),
        Some(SyncmgrProgressStatus::Failed)
    );
}

#[test]
fn steps_texts_and_ids_are_bounded_before_sync_center() {
    let (session, double) = session(&["a"]);
    let code = |r: windows_core::Result<SyncmgrCancelRequest>| r.unwrap_err().code();
    assert_eq!(
        code(session.report_progress("a", "t", SyncmgrProgressStatus::Updating, 3, 2)),
        E_INVALIDARG
    );
    // Step counts are ignored for UPDATING_INDETERMINATE.
    session
        .report_progress("a", "t", SyncmgrProgressStatus::UpdatingIndeterminate, 3, 2)
        .unwrap();
    let long_text = "x".repeat(MAX_PROGRESS_TEXT_CHARS + 1);
    assert_eq!(
        code(session.report_progress("a", &long_text, SyncmgrProgressStatus::Updating, 0, 1)),
        E_INVALIDARG
    );
    session
        .report_progress("a", &long_text[1..], SyncmgrProgressStatus::Updating, 0, 1)
        .unwrap();
    let long_id = "i".repeat(MAX_ITEM_ID_CHARS + 1);
    assert_eq!(
        code(session.report_progress(&long_id, "t", SyncmgrProgressStatus::Updating, 0, 1)),
        E_INVALIDARG
    );
    assert_eq!(
        session
            .set_handler_progress_text(&long_text)
            .unwrap_err()
            .code(),
        E_INVALIDARG
    );
    assert_eq!(
        reports(&double),
        2,
        "only the two valid reports reached Sync Center"
    );
}

#[test]
fn can_continue_tells_s_false_from_s_ok_and_unknown_items() {
    let (session, double) = session(&["a", "b"]);
    double.cancel_item_after("a", 1);
    session
        .report_progress("a", "t", SyncmgrProgressStatus::Updating, 0, 1)
        .unwrap();
    assert_eq!(session.can_continue(Some("a")).unwrap(), Continue::Cancel);
    assert_eq!(session.can_continue(Some("b")).unwrap(), Continue::Go);
    assert_eq!(session.can_continue(None).unwrap(), Continue::Go);
    assert_eq!(
        session.can_continue(Some("nope")).unwrap_err().code(),
        E_INVALIDARG
    );
}

#[test]
fn the_cancel_request_comes_back_as_a_rust_enum() {
    let (session, double) = session(&["a", "b"]);
    double.cancel_all_after(2);
    assert_eq!(
        session
            .report_progress("a", "t", SyncmgrProgressStatus::Updating, 0, 1)
            .unwrap(),
        SyncmgrCancelRequest::None
    );
    assert_eq!(
        session
            .report_progress("b", "t", SyncmgrProgressStatus::Updating, 0, 1)
            .unwrap(),
        SyncmgrCancelRequest::CancelAll
    );
    assert_eq!(session.can_continue(None).unwrap(), Continue::Cancel);
}

#[test]
fn commit_needs_a_proposal_first() {
    let (session, double) = session(&["a"]);
    let error = session.commit_item("new").unwrap_err();
    assert_eq!(error.code(), E_INVALIDARG);
    assert!(
        !double
            .transcript()
            .iter()
            .any(|c| matches!(c, Call::CommitItem { .. })),
        "Sync Center never saw it"
    );
}

#[test]
fn items_left_open_are_closed_on_request_canceled_ones_as_canceled() {
    let (session, double) = session(&["a", "b", "c", "d"]);
    session
        .report_progress("a", "t", SyncmgrProgressStatus::Succeeded, 1, 1)
        .unwrap();
    double.cancel_item_after("d", 1);
    session
        .report_progress("b", "t", SyncmgrProgressStatus::Updating, 0, 1)
        .unwrap();
    session
        .report_progress("d", "t", SyncmgrProgressStatus::Updating, 0, 1)
        .unwrap();
    assert_eq!(session.open_items(), ["b", "c", "d"]);
    let closed = session.close_open_items();
    assert_eq!(closed.failed, ["b", "c"]);
    assert_eq!(closed.canceled, ["d"]);
    for (item, status) in [
        ("a", SyncmgrProgressStatus::Succeeded),
        ("b", SyncmgrProgressStatus::Failed),
        ("c", SyncmgrProgressStatus::Failed),
        ("d", SyncmgrProgressStatus::Canceled),
    ] {
        assert_eq!(double.final_status(item), Some(status), "{item}");
    }
    assert!(session.open_items().is_empty());
}

#[test]
fn succeeded_after_a_cancel_request_is_refused_before_sync_center_sees_it() {
    let (session, double) = session(&["a", "b"]);
    double.cancel_item_after("a", 1);
    assert_eq!(
        session
            .report_progress("a", "t", SyncmgrProgressStatus::Updating, 0, 2)
            .unwrap(),
        SyncmgrCancelRequest::CancelItem
    );
    assert!(session.is_canceled("a"));
    assert!(!session.is_canceled("b"));
    let before = reports(&double);
    let error = session
        .report_progress("a", "t", SyncmgrProgressStatus::Succeeded, 2, 2)
        .unwrap_err();
    assert_eq!(error.code(), CANCELED);
    assert_eq!(reports(&double), before, "Sync Center never saw it");
    // The acknowledgement the page asks for goes through; the other item is not affected.
    session
        .report_progress("a", "stopped", SyncmgrProgressStatus::Canceled, 0, 0)
        .unwrap();
    session
        .report_progress("b", "t", SyncmgrProgressStatus::Succeeded, 1, 1)
        .unwrap();
    assert_eq!(
        double.final_status("a"),
        Some(SyncmgrProgressStatus::Canceled)
    );
    assert!(double.cancel_ignored().is_empty());
}

#[test]
fn a_cancel_of_all_is_remembered_for_every_item() {
    let (session, double) = session(&["a", "b"]);
    double.cancel_all_after(1);
    assert_eq!(
        session
            .report_progress("a", "t", SyncmgrProgressStatus::Updating, 0, 1)
            .unwrap(),
        SyncmgrCancelRequest::CancelAll
    );
    assert!(session.all_canceled());
    let asked = |double: &SyncCenterDouble| {
        double
            .transcript()
            .iter()
            .filter(|c| matches!(c, Call::CanContinue { .. }))
            .count()
    };
    assert_eq!(session.can_continue(Some("b")).unwrap(), Continue::Cancel);
    assert_eq!(session.can_continue(None).unwrap(), Continue::Cancel);
    assert_eq!(asked(&double), 0, "known cancellations are not asked again");
    assert_eq!(
        session
            .report_progress("b", "t", SyncmgrProgressStatus::Succeeded, 1, 1)
            .unwrap_err()
            .code(),
        CANCELED
    );
}

#[test]
fn can_continue_s_false_is_remembered_and_the_whole_handler_is_asked_with_an_empty_string() {
    let (session, double) = session(&["a", "b"]);
    assert_eq!(session.can_continue(None).unwrap(), Continue::Go);
    assert!(
        double.transcript().contains(&Call::CanContinue {
            item_id: Some(String::new()),
            answer: S_OK
        }),
        "an empty string, never NULL: {:?}",
        double.transcript()
    );
    double.cancel_item_after("b", 0);
    assert_eq!(session.can_continue(Some("b")).unwrap(), Continue::Cancel);
    assert!(session.is_canceled("b"));
    assert_eq!(
        session
            .report_progress("b", "t", SyncmgrProgressStatus::Succeeded, 1, 1)
            .unwrap_err()
            .code(),
        CANCELED
    );
}

#[test]
fn events_and_other_calls_reach_sync_center() {
    let (session, double) = session(&["a"]);
    let id = session
        .report_event(
            "a",
            SyncmgrEventLevel::Warning,
            SYNCMGR_EF_NONE,
            "conflict",
            "two edits",
            Some(("open", "file:///a")),
            "",
        )
        .unwrap();
    assert_ne!(id, windows_core::GUID::zeroed());
    session.report_manual_sync().unwrap();
    assert_eq!(
        session.query_for_additional_items().unwrap().map(|_| ()),
        None,
        "S_FALSE: nothing pending"
    );
    assert!(
        double
            .transcript()
            .iter()
            .any(|c| matches!(c, Call::ReportEvent { link_text: Some(t), .. } if t == "open"))
    );
    assert!(double.transcript().contains(&Call::ReportManualSync));
    assert_eq!(
        session.callback().as_raw(),
        double.to_interface::<ISyncMgrSyncCallback>().as_raw()
    );
}

/// `syncmgr-session.report-event.flags-unused`: flags other than `SYNCMGR_EF_NONE` never reach
/// Sync Center.
#[test]
fn report_event_sends_no_flags() {
    let (session, double) = session(&["a"]);
    let event = |flags| {
        session.report_event(
            "a",
            SyncmgrEventLevel::Information,
            flags,
            "n",
            "d",
            None,
            "",
        )
    };
    assert_eq!(event(1).unwrap_err().code(), E_INVALIDARG);
    assert_eq!(event(-1).unwrap_err().code(), E_INVALIDARG);
    event(SYNCMGR_EF_NONE).unwrap();
    let flags: Vec<SYNCMGR_EVENT_FLAGS> = double
        .transcript()
        .iter()
        .filter_map(|c| match c {
            Call::ReportEvent { flags, .. } => Some(*flags),
            _ => None,
        })
        .collect();
    assert_eq!(
        flags,
        [SYNCMGR_EF_NONE],
        "only the call without flags arrived"
    );
}

/// A session creator that accepts every call (unlike the double) and counts them, handing out
/// a double's callback.
#[windows_core::implement(ISyncMgrSessionCreator)]
struct Lenient {
    calls: std::sync::atomic::AtomicUsize,
    double: ISyncMgrSyncCallback,
}

impl ISyncMgrSessionCreator_Impl for Lenient_Impl {
    fn CreateSession(
        &self,
        _: &windows_core::PCWSTR,
        _: *const windows_core::PCWSTR,
        _: u32,
    ) -> windows_core::Result<ISyncMgrSyncCallback> {
        self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(self.double.clone())
    }
}

/// `syncmgr-session.create-session.ids-required`: a session needs a handler id and item ids,
/// checked before Sync Center is called.
#[test]
fn create_session_needs_a_handler_id_and_item_ids() {
    let lenient = ComObject::new(Lenient {
        calls: Default::default(),
        double: SyncCenterDouble::new(&["a"]).to_interface(),
    });
    let creator: ISyncMgrSessionCreator = lenient.to_interface();
    let none: [&str; 0] = [];
    for result in [
        SyncSession::create(&creator, "", &["a"]),
        SyncSession::create(&creator, "handler", &none),
    ] {
        assert_eq!(result.err().map(|e| e.code()), Some(E_INVALIDARG));
    }
    let calls = || lenient.calls.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(calls(), 0, "Sync Center never saw them");
    SyncSession::create(&creator, "handler", &["a"]).unwrap();
    assert_eq!(calls(), 1);
}

/// `syncmgr-session.query-for-additional-items.item-ids`: the pending ids come back read and
/// freed, with the pending interfaces; an id longer than `MAX_SYNCMGR_ID - 1` units is refused.
#[test]
fn additional_items_are_read_from_sync_centers_enumerators() {
    let (session, double) = session(&["a"]);
    assert!(session.query_for_additional_items().unwrap().is_none());
    let punk: windows_core::IUnknown = SyncCenterDouble::new(&["z"]).to_interface();
    double.queue_additional_items(&["b", "c"], std::slice::from_ref(&punk));
    let items = session.query_for_additional_items().unwrap().unwrap();
    assert_eq!(items.item_ids, ["b", "c"]);
    assert_eq!(items.punks.len(), 1);
    assert_eq!(items.punks[0].as_raw(), punk.as_raw());
    // Still pending (they are synchronized after this session), and not items of it.
    let again = session.query_for_additional_items().unwrap().unwrap();
    assert_eq!(again.item_ids, ["b", "c"]);
    assert_eq!(session.open_items(), ["a"]);

    // Ids only: no interfaces.
    let (session, double) = self::session(&["a"]);
    double.queue_additional_items(&["x".repeat(MAX_ITEM_ID_CHARS)], &[]);
    let items = session.query_for_additional_items().unwrap().unwrap();
    assert_eq!(items.item_ids, ["x".repeat(MAX_ITEM_ID_CHARS)]);
    assert!(items.punks.is_empty());
    double.queue_additional_items(&["y".repeat(MAX_ITEM_ID_CHARS + 1)], &[]);
    assert_eq!(
        session.query_for_additional_items().unwrap_err().code(),
        E_INVALIDARG
    );
    assert_eq!(
        double
            .transcript()
            .iter()
            .filter(|c| matches!(c, Call::QueryForAdditionalItems { answer } if *answer == S_OK))
            .count(),
        2
    );
}
