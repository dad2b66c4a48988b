//! `#[derive(SyncMgrHandler)]` and cancellation: items a handler leaves open after Sync Center
//! asked to cancel them are acknowledged CANCELED by the glue (not FAILED), and the call
//! succeeds; items left open without a cancel request are still FAILED and fail the call.
// Test helpers fail loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use windows_core::{ComObject, IUnknown, PCWSTR, Result};
use winsync::DerivedHandler;
use winsync::bindings::{E_FAIL, HWND, ISyncMgrHandler, ISyncMgrSessionCreator, S_OK};
use winsync::skeletons::{SyncMgrHandler, SyncmgrCancelRequest, SyncmgrProgressStatus};
use winsync::sync_center::double::SyncCenterDouble;
use winsync::sync_center::session::SyncSession;

/// Reports every item Updating once, then stops: whatever is canceled stays open.
#[derive(winsync::SyncMgrHandler)]
struct StopsOnCancel;

impl SyncMgrHandler for StopsOnCancel {
    fn synchronize(
        &self,
        item_ids: &[String],
        _owner: HWND,
        creator: &ISyncMgrSessionCreator,
        _punk: Option<&IUnknown>,
    ) -> Result<()> {
        let session = SyncSession::create(creator, "stops", item_ids)?;
        for id in item_ids {
            let answer =
                session.report_progress(id, "working", SyncmgrProgressStatus::Updating, 0, 1)?;
            if answer == SyncmgrCancelRequest::None && id != "forgotten" {
                session.report_progress(id, "done", SyncmgrProgressStatus::Succeeded, 1, 1)?;
            }
        }
        Ok(())
    }
}

fn run(double: &ComObject<SyncCenterDouble>, items: &[&str]) -> windows_core::HRESULT {
    let handler: ISyncMgrHandler = StopsOnCancel.into_handler();
    let creator: ISyncMgrSessionCreator = double.to_interface();
    let wide: Vec<Vec<u16>> = items
        .iter()
        .map(|id| id.encode_utf16().chain([0]).collect())
        .collect();
    let pointers: Vec<PCWSTR> = wide.iter().map(|id| PCWSTR(id.as_ptr())).collect();
    unsafe { handler.Synchronize(&pointers, HWND::default(), &creator, None) }
}

#[test]
fn canceled_items_left_open_are_acknowledged_canceled() {
    let double = SyncCenterDouble::new(&["a", "b", "c"]);
    double.cancel_item_after("b", 1);
    assert_eq!(run(&double, &["a", "b", "c"]), S_OK);
    assert_eq!(
        ["a", "b", "c"].map(|id| double.final_status(id)),
        [
            Some(SyncmgrProgressStatus::Succeeded),
            Some(SyncmgrProgressStatus::Canceled),
            Some(SyncmgrProgressStatus::Succeeded)
        ]
    );
}

#[test]
fn items_left_open_without_a_cancel_request_still_fail_the_call() {
    let double = SyncCenterDouble::new(&["a", "forgotten"]);
    double.cancel_item_after("a", 1);
    assert_eq!(run(&double, &["a", "forgotten"]), E_FAIL);
    assert_eq!(
        double.final_status("a"),
        Some(SyncmgrProgressStatus::Canceled)
    );
    assert_eq!(
        double.final_status("forgotten"),
        Some(SyncmgrProgressStatus::Failed)
    );
}
