//! A checking Sync Center double, for testing Sync Center handlers: what Sync Center hands a
//! handler in `ISyncMgrHandler::Synchronize` (`ISyncMgrSessionCreator`, and the
//! `ISyncMgrSyncCallback` a session reports through), answering as Microsoft's pages say Sync
//! Center answers and recording every call.
//!
//! The test creates a [`SyncCenterDouble`] with [`SyncCenterDouble::new`], passing the item ids
//! Sync Center knows for the handler; keeps the returned `ComObject` (its test-side methods are
//! reached through `Deref`); hands the handler `to_interface::<ISyncMgrSessionCreator>()` or
//! `to_interface::<ISyncMgrSyncCallback>()` (one object answers both); scripts cancellation
//! with [`cancel_item_after`](SyncCenterDouble::cancel_item_after) /
//! [`cancel_all_after`](SyncCenterDouble::cancel_all_after); and afterwards reads
//! [`transcript`](SyncCenterDouble::transcript), [`final_status`](SyncCenterDouble::final_status)
//! and [`items`](SyncCenterDouble::items).
//!
//! Every COM method goes through the generated adapters of [`sync_mgr_sync_callback_abi`] and
//! [`sync_mgr_session_creator_abi`]: a null required string is answered with `E_POINTER`; an
//! item id longer than `MAX_SYNCMGR_ID - 1` UTF-16 units, a string that is not valid UTF-16 or
//! an invalid `SYNCMGR_PROGRESS_STATUS` / `SYNCMGR_EVENT_LEVEL` with `E_INVALIDARG`; a panic
//! with `E_UNEXPECTED`: all before this module's code runs, so such calls are **not** in the
//! transcript. This module adds the rules of `CONTRACTS.md` that need Sync Center's state.
//!
//! Sync Center's discovery path — a handler collection enumerated, each handler bound, read
//! and synchronized against a double, every step's contract checked — is in [`discovery`].
//!
//! # The model
//! The double holds one session. Its items (*known* items, "part of the session") are the ids
//! given to [`SyncCenterDouble::new`], those added with `AddItemToSession`, and those committed
//! with `CommitItem` after `ProposeItem`. A proposed item that is not committed yet is pending:
//! not known, but its id exists (`ProposeItem` refuses it a second time).
//!
//! # Threads
//! Sync Center is called from the handler's synchronization thread. The double keeps its state
//! in a `std::sync::Mutex`, which is never held while it calls out (`GetItemID` on a proposed
//! item), so it may be called from any thread and from several threads at once. The Rust type
//! is not `Send`/`Sync` because a COM interface pointer (a proposed `ISyncMgrSyncItem`) is not.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard, PoisonError};

use windows_core::{
    ComObject, Error, GUID, HRESULT, IUnknown, IUnknownImpl, OutRef, PCWSTR, Ref, Result, implement,
};

use crate::bindings::{
    E_ACCESSDENIED, E_INVALIDARG, IEnumString, IEnumUnknown, ISyncMgrSessionCreator,
    ISyncMgrSessionCreator_Impl, ISyncMgrSyncCallback, ISyncMgrSyncCallback_Impl, ISyncMgrSyncItem,
    S_FALSE, S_OK, SYNCMGR_CANCEL_REQUEST, SYNCMGR_EVENT_FLAGS, SYNCMGR_EVENT_LEVEL,
    SYNCMGR_PROGRESS_STATUS,
};
use crate::contracts;
use crate::skeletons::{
    SyncMgrSessionCreator, SyncMgrSyncCallback, SyncmgrCancelRequest, SyncmgrEventLevel,
    SyncmgrProgressStatus, sync_mgr_session_creator_abi, sync_mgr_sync_callback_abi,
};
use crate::sync_center::additional_items;

mod callback;
pub mod discovery;

pub use object::SyncCenterDouble;
use object::SyncCenterDouble_Impl;

/// Holds the `#[implement]` struct, so that the `SyncCenterDouble_Impl` type the macro
/// generates (undocumented) stays private to this module.
mod object {
    use super::{ISyncMgrSessionCreator, ISyncMgrSyncCallback, Mutex, State, implement};

    /// A checking Sync Center double: one COM object answering `ISyncMgrSessionCreator` and
    /// `ISyncMgrSyncCallback` as Sync Center does, recording every call in a
    /// [`transcript`](Self::transcript).
    ///
    /// Create it with [`SyncCenterDouble::new`]. The COM side answers (rules by id, see
    /// `CONTRACTS.md`; pages by UID):
    ///
    /// | method | answer |
    /// | --- | --- |
    /// | `CreateSession` | `E_INVALIDARG` for an empty handler id or no item ids: both must be specified (rule `syncmgr-session.create-session.ids-required`); else records the handler id and the item ids and returns this object's own `ISyncMgrSyncCallback` (`NF:syncmgr.ISyncMgrSessionCreator.CreateSession`, `NN:syncmgr.ISyncMgrSessionCreator`). The items named are recorded only: they do not change the known items. |
    /// | `ReportProgress` | `E_INVALIDARG` for an item that is not known (not given to `new`, not added with `AddItemToSession`, not committed); the page of `ReportProgress` does not list this, the double applies the rule `CanContinue` states for its own `pszItemID` (rule `syncmgr-session.can-continue.unknown-item`, `NF:syncmgr.ISyncMgrSyncCallback.CanContinue`). Once a completion status (`SUCCEEDED`, `FAILED`, `CANCELED`) was reported for the item, only `FAILED` may follow: any other status is `E_ACCESSDENIED` and the item's final status becomes `FAILED` (rule `sync-center.report-progress.after-final-status`, `NF:syncmgr.ISyncMgrSyncCallback.ReportProgress`). Otherwise `S_OK`, and `*pnCancelRequest` (when not NULL, rule `syncmgr-session.report-progress.null-cancel-request`) receives `SYNCMGR_CR_CANCEL_ALL` once all were canceled, `SYNCMGR_CR_CANCEL_ITEM` once the item was canceled, else `SYNCMGR_CR_NONE` (rule `syncmgr-session.report-progress.cancel-request`, `NE:syncmgr.SYNCMGR_CANCEL_REQUEST`). |
    /// | `SetHandlerProgressText` | `S_OK`; `*pnCancelRequest` receives `SYNCMGR_CR_CANCEL_ALL` once all were canceled, else `SYNCMGR_CR_NONE` (`NF:syncmgr.ISyncMgrSyncCallback.SetHandlerProgressText`). |
    /// | `ReportEvent` | `S_OK`, and the `n`-th event (counting from 1) gets the event id `GUID::from_u128(n)` (`NF:syncmgr.ISyncMgrSyncCallback.ReportEvent`). |
    /// | `CanContinue` | `E_INVALIDARG` for an item that is not known (rule `syncmgr-session.can-continue.unknown-item`); `S_FALSE` when a cancellation was requested for the item or for all (rule `syncmgr-session.can-continue.canceled`); else `S_OK` (rule `syncmgr-session.can-continue.not-canceled`). A NULL or empty `pszItemID` asks about the whole handler: `S_FALSE` only after a cancellation of all (rule `syncmgr-session.can-continue.whole-handler`; page `NF:syncmgr.ISyncMgrSyncCallback.CanContinue`). |
    /// | `QueryForAdditionalItems` | `S_FALSE` with both enumerators NULL while no items are pending (rule `syncmgr-session.query-for-additional-items.none-pending`); after [`queue_additional_items`](Self::queue_additional_items), `S_OK` with an `IEnumString` whose `Next` hands out each pending id as a new `CoTaskMemAlloc` string for the caller to free (rule `syncmgr-session.query-for-additional-items.item-ids`) and an `IEnumUnknown` of the pending interfaces, NULL when none are (`NF:syncmgr.ISyncMgrSyncCallback.QueryForAdditionalItems`). The items stay pending: they are to be synchronized after the session. |
    /// | `AddItemToSession` | `E_INVALIDARG` when the item is already known, i.e. part of the session (rule `sync-center.add-item-to-session.already-in-session`, `NF:syncmgr.ISyncMgrSyncCallback.AddItemToSession`); else `S_OK` and the item becomes known. |
    /// | `AddIUnknownToSession` | `S_OK` (`NF:syncmgr.ISyncMgrSyncCallback.AddIUnknownToSession`). |
    /// | `ProposeItem` | calls the item's `GetItemID` (the string freed with `CoTaskMemFree`, rule `handler.sync-item.get-item-id.cotaskmem`) and answers its failure; `E_INVALIDARG` for an empty id (rule `handler.sync-item.get-item-id.stable`), an id longer than `MAX_SYNCMGR_ID - 1` units (rule `handler.sync-item.get-item-id.max-length`; page `NF:syncmgr.ISyncMgrSyncItem.GetItemID`) or an id that already exists, known or pending (rule `sync-center.propose-item.already-exists`, `NF:syncmgr.ISyncMgrSyncCallback.ProposeItem`); else `S_OK` and the item is pending, kept by its id (see [`proposed_item`](Self::proposed_item)). |
    /// | `CommitItem` | `E_INVALIDARG` when the item was not proposed first or is already part of the session (rule `sync-center.commit-item.not-proposed`, `NF:syncmgr.ISyncMgrSyncCallback.CommitItem`); else `S_OK` and the item becomes known. |
    /// | `ReportManualSync` | `S_OK` (`NF:syncmgr.ISyncMgrSyncCallback.ReportManualSync`). |
    ///
    /// Every call that reaches the double is recorded, with its answer, in the order the calls
    /// arrived, whether it was accepted or refused; only a `CreateSession` refused for a
    /// missing id is not (it creates no session, and
    /// [`Call::CreateSession`](super::Call::CreateSession) has no answer).
    #[implement(ISyncMgrSessionCreator, ISyncMgrSyncCallback)]
    pub struct SyncCenterDouble {
        /// Everything the double knows and recorded.
        pub(super) state: Mutex<State>,
    }
}

/// One call the double received, with what it answered; see
/// [`SyncCenterDouble::transcript`].
///
/// `answer` is the HRESULT the caller received. A call the generated adapters refused before
/// the double ran (a NULL required pointer, an over-long or invalid UTF-16 string, an invalid
/// enum value) is not recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Call {
    /// `ISyncMgrSessionCreator::CreateSession` (accepted calls only: `S_OK`).
    CreateSession {
        /// `pszHandlerID`.
        handler_id: String,
        /// `ppszItemIDs`, `cItems` of them.
        item_ids: Vec<String>,
    },
    /// `ISyncMgrSyncCallback::ReportProgress`.
    ReportProgress {
        /// `pszItemID`.
        item_id: String,
        /// `pszProgressText`.
        text: String,
        /// `nStatus`.
        status: SyncmgrProgressStatus,
        /// `uCurrentStep`.
        current: u32,
        /// `uMaxStep`.
        max: u32,
        /// `S_OK`, `E_INVALIDARG` (unknown item) or `E_ACCESSDENIED` (after a final status).
        answer: HRESULT,
        /// What `*pnCancelRequest` received when not NULL; `SyncmgrCancelRequest::None` when
        /// the call failed (nothing is written then).
        cancel: SyncmgrCancelRequest,
    },
    /// `ISyncMgrSyncCallback::SetHandlerProgressText` (always `S_OK`).
    SetHandlerProgressText {
        /// `pszProgressText`.
        text: String,
        /// What `*pnCancelRequest` received when not NULL.
        cancel: SyncmgrCancelRequest,
    },
    /// `ISyncMgrSyncCallback::ReportEvent` (always `S_OK`).
    ReportEvent {
        /// `pszItemID`.
        item_id: String,
        /// `nLevel`.
        level: SyncmgrEventLevel,
        /// `nFlags`.
        flags: SYNCMGR_EVENT_FLAGS,
        /// `pszName`.
        name: String,
        /// `pszDescription`.
        description: String,
        /// `pszLinkText` (`None` for NULL).
        link_text: Option<String>,
        /// `pszLinkReference` (`None` for NULL).
        link_reference: Option<String>,
        /// `pszContext`.
        context: String,
        /// The id written to `*pguidEventID`.
        event_id: GUID,
    },
    /// `ISyncMgrSyncCallback::CanContinue`.
    CanContinue {
        /// `pszItemID` (`None` for NULL).
        item_id: Option<String>,
        /// `S_OK`, `S_FALSE` or `E_INVALIDARG`.
        answer: HRESULT,
    },
    /// `ISyncMgrSyncCallback::QueryForAdditionalItems`.
    QueryForAdditionalItems {
        /// `S_FALSE` (none pending) or `S_OK`.
        answer: HRESULT,
    },
    /// `ISyncMgrSyncCallback::AddItemToSession`.
    AddItemToSession {
        /// `pszItemID`.
        item_id: String,
        /// `S_OK` or `E_INVALIDARG` (already in the session).
        answer: HRESULT,
    },
    /// `ISyncMgrSyncCallback::AddIUnknownToSession` (always `S_OK`).
    AddIUnknownToSession,
    /// `ISyncMgrSyncCallback::ProposeItem`.
    ProposeItem {
        /// What the item's `GetItemID` returned; `None` when it failed.
        item_id: Option<String>,
        /// `S_OK`, `E_INVALIDARG`, or the failure of `GetItemID`.
        answer: HRESULT,
    },
    /// `ISyncMgrSyncCallback::CommitItem`.
    CommitItem {
        /// `pszItemID`.
        item_id: String,
        /// `S_OK` or `E_INVALIDARG` (not proposed, or already in the session).
        answer: HRESULT,
    },
    /// `ISyncMgrSyncCallback::ReportManualSync` (always `S_OK`).
    ReportManualSync,
}

/// The state behind [`SyncCenterDouble`]'s mutex.
#[derive(Default)]
struct State {
    /// The known items (part of the session), in the order they became known.
    items: Vec<String>,
    /// The proposed, not yet committed items, by id.
    proposed: HashMap<String, ISyncMgrSyncItem>,
    /// The last completion status reported for an item.
    final_status: HashMap<String, SyncmgrProgressStatus>,
    /// Accepted `ReportProgress` calls per item.
    reports: HashMap<String, usize>,
    /// Accepted `ReportProgress` calls in all.
    total_reports: usize,
    /// `cancel_item_after`: item → number of its reports after which it is canceled.
    cancel_item_script: HashMap<String, usize>,
    /// `cancel_all_after`: number of reports in all after which all are canceled.
    cancel_all_script: Option<usize>,
    /// The items for which a cancellation was requested.
    canceled: HashSet<String>,
    /// Whether a cancellation of all was requested.
    all_canceled: bool,
    /// Items reported SUCCEEDED after their cancellation was requested.
    cancel_ignored: Vec<String>,
    /// `ReportEvent` calls so far.
    events: u128,
    /// `queue_additional_items`: the pending item ids.
    pending_ids: Vec<String>,
    /// `queue_additional_items`: the pending interfaces.
    pending_punks: Vec<IUnknown>,
    /// What was called.
    transcript: Vec<Call>,
}

impl State {
    fn is_known(&self, item: &str) -> bool {
        self.items.iter().any(|known| known == item)
    }

    /// What `pnCancelRequest` receives for a report about `item` (`None`: the handler).
    fn cancel_request(&self, item: Option<&str>) -> SyncmgrCancelRequest {
        if self.all_canceled {
            SyncmgrCancelRequest::CancelAll
        } else if item.is_some_and(|item| self.canceled.contains(item)) {
            SyncmgrCancelRequest::CancelItem
        } else {
            SyncmgrCancelRequest::None
        }
    }

    /// Applies the cancellation scripts after the counts changed.
    fn apply_scripts(&mut self) {
        if self
            .cancel_all_script
            .is_some_and(|after| self.total_reports >= after)
        {
            self.all_canceled = true;
        }
        for (item, after) in &self.cancel_item_script {
            if self.reports.get(item).copied().unwrap_or(0) >= *after {
                self.canceled.insert(item.clone());
            }
        }
    }
}

/// The answer of a refused call: `code`, with `rule` (displayed as `id: text (source)`) and
/// `detail` as the message.
fn refused(code: HRESULT, rule: &crate::contract::Rule, detail: &str) -> Error {
    Error::new(code, format!("{detail}: {rule}"))
}

/// The HRESULT a `Result` reaches the COM caller with.
fn answer_of<T>(result: &Result<T>) -> HRESULT {
    result.as_ref().map_or_else(Error::code, |_| S_OK)
}

impl SyncCenterDouble {
    /// A double for a handler whose items Sync Center knows as `items` (the session's items):
    /// no cancellation scripted, nothing recorded.
    ///
    /// Keep the returned `ComObject` for the test-side methods and hand the handler
    /// `to_interface::<ISyncMgrSessionCreator>()` or `to_interface::<ISyncMgrSyncCallback>()`.
    /// A repeated id counts once.
    pub fn new(items: &[impl AsRef<str>]) -> ComObject<Self> {
        let mut state = State::default();
        for item in items {
            let item = item.as_ref();
            if !state.is_known(item) {
                state.items.push(item.to_string());
            }
        }
        ComObject::new(Self {
            state: Mutex::new(state),
        })
    }

    /// Scripts a cancellation of `item`: once `reports` accepted `ReportProgress` calls for it
    /// were received (counting those already received; `0` cancels it now), Sync Center has
    /// requested its cancellation. The report that reaches the count, and every later one for
    /// the item, answers `SYNCMGR_CR_CANCEL_ITEM` through `pnCancelRequest`
    /// (`NE:syncmgr.SYNCMGR_CANCEL_REQUEST`), and `CanContinue(item)` answers `S_FALSE` (rule
    /// `syncmgr-session.can-continue.canceled`, `NF:syncmgr.ISyncMgrSyncCallback.CanContinue`);
    /// the other items and the whole handler are not affected.
    ///
    /// Refused reports (`E_INVALIDARG`, `E_ACCESSDENIED`) do not count. `item` need not be
    /// known yet. A later call for the same item replaces the count; a requested cancellation
    /// is never withdrawn.
    pub fn cancel_item_after(&self, item: &str, reports: usize) {
        let mut state = self.state();
        state.cancel_item_script.insert(item.to_string(), reports);
        state.apply_scripts();
    }

    /// Scripts a cancellation of all: once `reports` accepted `ReportProgress` calls were
    /// received in all (counting those already received; `0` cancels now), Sync Center has
    /// requested that the synchronization stop. The report that reaches the count and every
    /// later one answer `SYNCMGR_CR_CANCEL_ALL` (`NE:syncmgr.SYNCMGR_CANCEL_REQUEST`), as does
    /// `SetHandlerProgressText`, and `CanContinue` answers `S_FALSE` for every known item and
    /// for the whole handler (NULL or empty id; rules `syncmgr-session.can-continue.canceled`
    /// and `syncmgr-session.can-continue.whole-handler`,
    /// `NF:syncmgr.ISyncMgrSyncCallback.CanContinue`).
    ///
    /// Refused reports do not count. A later call replaces the count; a requested cancellation
    /// is never withdrawn.
    pub fn cancel_all_after(&self, reports: usize) {
        let mut state = self.state();
        state.cancel_all_script = Some(reports);
        state.apply_scripts();
    }

    /// Queues items for synchronization after the current one, as Sync Center does when it is
    /// asked to synchronize them meanwhile: `QueryForAdditionalItems` answers `S_OK` with
    /// enumerators over every id and interface queued so far, in order
    /// (`NF:syncmgr.ISyncMgrSyncCallback.QueryForAdditionalItems`). The ids are not checked,
    /// so that a test can hand a handler one Sync Center would never send (an id longer than
    /// `MAX_SYNCMGR_ID - 1` units, rule `syncmgr-session.query-for-additional-items.item-ids`).
    pub fn queue_additional_items(&self, item_ids: &[impl AsRef<str>], punks: &[IUnknown]) {
        let mut state = self.state();
        state
            .pending_ids
            .extend(item_ids.iter().map(|id| id.as_ref().to_string()));
        state.pending_punks.extend_from_slice(punks);
    }

    /// Every call that reached the double, in order, with its answer.
    pub fn transcript(&self) -> Vec<Call> {
        self.state().transcript.clone()
    }

    /// The completion status of `item`: the last `SUCCEEDED`, `FAILED` or `CANCELED` reported
    /// for it, or `FAILED` after a refused report that followed a completion status (rule
    /// `sync-center.report-progress.after-final-status`,
    /// `NF:syncmgr.ISyncMgrSyncCallback.ReportProgress`); `None` while none was reported.
    pub fn final_status(&self, item: &str) -> Option<SyncmgrProgressStatus> {
        self.state().final_status.get(item).copied()
    }

    /// The items a handler reported SUCCEEDED after Sync Center had asked to cancel them (or
    /// all), in report order: each breaks the ReportProgress page's rule that a canceled item
    /// is acknowledged with `SYNCMGR_PS_CANCELED` (rule
    /// `syncmgr-session.report-progress.cancel-acknowledged`,
    /// `NF:syncmgr.ISyncMgrSyncCallback.ReportProgress`). The double accepts those reports, as
    /// Sync Center does; a test of a handler asserts this list is empty.
    pub fn cancel_ignored(&self) -> Vec<String> {
        self.state().cancel_ignored.clone()
    }

    /// The known items (part of the session), in the order they became known: those given to
    /// [`new`](Self::new), then those added with `AddItemToSession` or committed with
    /// `CommitItem`.
    pub fn items(&self) -> Vec<String> {
        self.state().items.clone()
    }

    /// The item proposed with `ProposeItem` under `item_id`, while it is pending (not
    /// committed yet), else `None` (`NF:syncmgr.ISyncMgrSyncCallback.ProposeItem`).
    pub fn proposed_item(&self, item_id: &str) -> Option<ISyncMgrSyncItem> {
        self.state().proposed.get(item_id).cloned()
    }

    /// Whether a cancellation was requested for `item`, by [`cancel_item_after`](
    /// Self::cancel_item_after) or [`cancel_all_after`](Self::cancel_all_after).
    pub fn is_canceled(&self, item: &str) -> bool {
        let state = self.state();
        state.all_canceled || state.canceled.contains(item)
    }

    /// The state. A panic while the lock was held (contained by the adapters as
    /// `E_UNEXPECTED`) cannot leave it half-updated in a way the checks depend on, so a
    /// poisoned lock is used as is.
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records `call`.
    fn record(&self, call: Call) {
        self.state().transcript.push(call);
    }
}

/// The implementation of the safe skeleton traits behind [`SyncCenterDouble`], for one COM
/// call.
struct Host<'a> {
    double: &'a SyncCenterDouble,
    /// The double's own callback, for `CreateSession`.
    callback: Option<ISyncMgrSyncCallback>,
}

impl SyncMgrSessionCreator for Host<'_> {
    fn create_session(
        &self,
        handler_id: &str,
        item_ids: &[String],
    ) -> Result<ISyncMgrSyncCallback> {
        if handler_id.is_empty() || item_ids.is_empty() {
            return Err(refused(
                E_INVALIDARG,
                &contracts::SYNCMGR_SESSION_CREATE_SESSION_IDS_REQUIRED,
                &format!(
                    "CreateSession with the handler id {handler_id:?} and {} item ids",
                    item_ids.len()
                ),
            ));
        }
        self.double.record(Call::CreateSession {
            handler_id: handler_id.to_string(),
            item_ids: item_ids.to_vec(),
        });
        self.callback
            .clone()
            .ok_or_else(|| Error::from_hresult(crate::bindings::E_UNEXPECTED))
    }
}

impl Host<'_> {
    /// Reads a proposed item's id through `GetItemID`, checked (no lock held).
    fn proposed_id(new_item: &ISyncMgrSyncItem) -> Result<String> {
        // SAFETY: a call on a live interface; the string it returns is ours to free.
        let raw = unsafe { new_item.GetItemID() }?;
        // SAFETY: GetItemID hands out a NUL-terminated CoTaskMemAlloc string (rule
        // `handler.sync-item.get-item-id.cotaskmem`), freed here.
        unsafe { crate::com::abi::take_co_task_wide(raw) }
    }

    /// Checks a proposed id's shape (rules of `NF:syncmgr.ISyncMgrSyncItem.GetItemID`).
    fn check_proposed_id(id: &str) -> Result<()> {
        if id.is_empty() {
            return Err(refused(
                E_INVALIDARG,
                &contracts::HANDLER_SYNC_ITEM_GET_ITEM_ID_STABLE,
                "the proposed item's id is empty",
            ));
        }
        if id.encode_utf16().count() > crate::com::abi::MAX_ID_CHARS {
            return Err(refused(
                E_INVALIDARG,
                &contracts::HANDLER_SYNC_ITEM_GET_ITEM_ID_MAX_LENGTH,
                "the proposed item's id is too long",
            ));
        }
        Ok(())
    }
}

impl SyncCenterDouble_Impl {
    /// The safe-trait view the adapters call, for one COM call.
    fn host(&self) -> Host<'_> {
        Host {
            double: self,
            callback: None,
        }
    }
}

impl ISyncMgrSessionCreator_Impl for SyncCenterDouble_Impl {
    fn CreateSession(
        &self,
        pszhandlerid: &PCWSTR,
        ppszitemids: *const PCWSTR,
        citems: u32,
    ) -> Result<ISyncMgrSyncCallback> {
        let host = Host {
            double: self,
            callback: Some(self.to_interface()),
        };
        // SAFETY: the COM caller passes null or valid strings and an array of `citems` of
        // them; the adapter checks null and bounds the reads.
        unsafe {
            sync_mgr_session_creator_abi::create_session(&host, pszhandlerid, ppszitemids, citems)
        }
    }
}

impl ISyncMgrSyncCallback_Impl for SyncCenterDouble_Impl {
    fn ReportProgress(
        &self,
        pszitemid: &PCWSTR,
        pszprogresstext: &PCWSTR,
        nstatus: SYNCMGR_PROGRESS_STATUS,
        ucurrentstep: u32,
        umaxstep: u32,
        pncancelrequest: *mut SYNCMGR_CANCEL_REQUEST,
    ) -> Result<()> {
        // SAFETY: the COM caller passes null or valid pointers; the adapter checks null and
        // the enum, and writes `pnCancelRequest` only when it is not null.
        unsafe {
            sync_mgr_sync_callback_abi::report_progress(
                &self.host(),
                pszitemid,
                pszprogresstext,
                nstatus,
                ucurrentstep,
                umaxstep,
                pncancelrequest,
            )
        }
    }

    fn SetHandlerProgressText(
        &self,
        pszprogresstext: &PCWSTR,
        pncancelrequest: *mut SYNCMGR_CANCEL_REQUEST,
    ) -> Result<()> {
        // SAFETY: as `ReportProgress`.
        unsafe {
            sync_mgr_sync_callback_abi::set_handler_progress_text(
                &self.host(),
                pszprogresstext,
                pncancelrequest,
            )
        }
    }

    fn ReportEvent(
        &self,
        pszitemid: &PCWSTR,
        nlevel: SYNCMGR_EVENT_LEVEL,
        nflags: SYNCMGR_EVENT_FLAGS,
        pszname: &PCWSTR,
        pszdescription: &PCWSTR,
        pszlinktext: &PCWSTR,
        pszlinkreference: &PCWSTR,
        pszcontext: &PCWSTR,
    ) -> Result<GUID> {
        // SAFETY: the COM caller passes null or valid strings; the adapter checks null where
        // required, bounds the reads and checks the level.
        unsafe {
            sync_mgr_sync_callback_abi::report_event(
                &self.host(),
                pszitemid,
                nlevel,
                nflags,
                pszname,
                pszdescription,
                pszlinktext,
                pszlinkreference,
                pszcontext,
            )
        }
    }

    fn CanContinue(&self, pszitemid: &PCWSTR) -> HRESULT {
        // SAFETY: the COM caller passes null or a valid string; the adapter bounds the read.
        unsafe { sync_mgr_sync_callback_abi::can_continue(&self.host(), pszitemid) }
    }

    fn QueryForAdditionalItems(
        &self,
        ppenumitemids: OutRef<IEnumString>,
        ppenumpunks: OutRef<IEnumUnknown>,
    ) -> HRESULT {
        // SAFETY: the COM caller passes null or writable out-pointers; the adapter checks null.
        unsafe {
            sync_mgr_sync_callback_abi::query_for_additional_items(
                &self.host(),
                ppenumitemids,
                ppenumpunks,
            )
        }
    }

    fn AddItemToSession(&self, pszitemid: &PCWSTR) -> Result<()> {
        // SAFETY: the COM caller passes null or a valid string; the adapter checks it.
        unsafe { sync_mgr_sync_callback_abi::add_item_to_session(&self.host(), pszitemid) }
    }

    fn AddIUnknownToSession(&self, punk: Ref<IUnknown>) -> Result<()> {
        // SAFETY: the COM caller passes null or a live interface; the adapter checks null.
        unsafe { sync_mgr_sync_callback_abi::add_i_unknown_to_session(&self.host(), punk) }
    }

    fn ProposeItem(&self, pnewitem: Ref<ISyncMgrSyncItem>) -> Result<()> {
        // SAFETY: the COM caller passes null or a live interface; the adapter checks null.
        unsafe { sync_mgr_sync_callback_abi::propose_item(&self.host(), pnewitem) }
    }

    fn CommitItem(&self, pszitemid: &PCWSTR) -> Result<()> {
        // SAFETY: the COM caller passes null or a valid string; the adapter checks it.
        unsafe { sync_mgr_sync_callback_abi::commit_item(&self.host(), pszitemid) }
    }

    fn ReportManualSync(&self) -> Result<()> {
        // SAFETY: no pointers.
        unsafe { sync_mgr_sync_callback_abi::report_manual_sync(&self.host()) }
    }
}
