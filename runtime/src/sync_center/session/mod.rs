//! A checked Sync Center session: the safe wrapper over `ISyncMgrSyncCallback` that a handler's
//! `synchronize` reports through.
//!
//! Every call is checked on the handler's side before Sync Center is called; a call that breaks
//! a rule never reaches Sync Center and fails with the HRESULT Sync Center would answer, its
//! message naming the rule and its source page:
//!
//! - after an item's final status (SUCCEEDED, FAILED, CANCELED) only FAILED may follow:
//!   `E_ACCESSDENIED` (`NF:syncmgr.ISyncMgrSyncCallback.ReportProgress`);
//! - the current step is at most the maximum step, except for `UpdatingIndeterminate`:
//!   `E_INVALIDARG`; `SYNCMGR_PS_MAX` cannot be sent ([`SyncmgrProgressStatus`] has no such
//!   value; its number is also `SYNCMGR_PS_DISCONNECTED`'s, which can be);
//! - progress text is shorter than `MAX_SYNCMGR_PROGRESSTEXT` and item ids shorter than
//!   `MAX_SYNCMGR_ID` characters (both count the NUL): `E_INVALIDARG`;
//! - `commit_item` only after `propose_item` of that id: `E_INVALIDARG`
//!   (`NF:syncmgr.ISyncMgrSyncCallback.CommitItem`);
//! - `create` needs a handler id and at least one item id: `E_INVALIDARG`
//!   (`NF:syncmgr.ISyncMgrSessionCreator.CreateSession`);
//! - `report_event` sends no flags but `SYNCMGR_EF_NONE`, since Sync Center uses none:
//!   `E_INVALIDARG` (`NF:syncmgr.ISyncMgrSyncCallback.ReportEvent`);
//! - once Sync Center asked to cancel an item (`SYNCMGR_CR_CANCEL_ITEM` in a report's answer,
//!   or `S_FALSE` from `CanContinue` for it) or all of them (`SYNCMGR_CR_CANCEL_ALL`, or
//!   `S_FALSE` for the whole handler), SUCCEEDED for that item is refused with
//!   [`CANCELED`]: the handler stops and acknowledges with CANCELED
//!   (`NF:syncmgr.ISyncMgrSyncCallback.ReportProgress`).
//!
//! # Cancellation
//! The session remembers every cancel request it received: [`SyncSession::is_canceled`]
//! answers without a call, [`SyncSession::can_continue`] answers [`Continue::Cancel`] for an
//! item already canceled without asking again, and an item left without a final status when a
//! derived handler's `synchronize` returns is reported CANCELED when it was canceled (FAILED
//! otherwise). `can_continue(None)` asks about the whole handler with an empty string: the
//! header declares `pszItemID` `[string][ref]` (never NULL).
//!
//! Sync Center's answers come back as Rust values: [`SyncSession::report_progress`] returns
//! the [`SyncmgrCancelRequest`], [`SyncSession::can_continue`] tells S_OK (go on) from S_FALSE
//! (cancel requested) — the distinction the `windows` crate's bindings lose — and
//! `E_INVALIDARG` (unknown item) stays an error.
//!
//! A session belongs to the thread of the `synchronize` call that made it: neither it nor the
//! `ISyncMgrSessionCreator` it comes from can be sent to another thread or process
//! (`NN:syncmgr.ISyncMgrSessionCreator`). Within a handler made with
//! `#[derive(SyncMgrHandler)]`, every item handed to `synchronize` that has no final status
//! when `synchronize` returns is reported FAILED (see `winsync::sync_center::handler`).

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::rc::Rc;

use windows_core::{Error, GUID, HRESULT, PCWSTR, Result};

use crate::bindings::{
    E_ACCESSDENIED, E_INVALIDARG, ISyncMgrSessionCreator, ISyncMgrSyncCallback, ISyncMgrSyncItem,
    MAX_SYNCMGR_ID, MAX_SYNCMGR_PROGRESSTEXT, S_FALSE, SYNCMGR_CANCEL_REQUEST, SYNCMGR_EF_NONE,
    SYNCMGR_EVENT_FLAGS,
};
use crate::com::abi;
use crate::contract::Rule;
use crate::contracts as rules;
use crate::skeletons::{SyncmgrCancelRequest, SyncmgrEventLevel, SyncmgrProgressStatus};
use crate::sync_center::additional_items;

pub use crate::sync_center::additional_items::AdditionalItems;

mod requests;
mod wide;

use wide::{ID_UNITS, TEXT_UNITS, WideBuf, checked_id};

/// `HRESULT_FROM_WIN32(ERROR_CANCELLED)` (`0x800704C7`): what the session answers, before
/// Sync Center is called, for SUCCEEDED on an item whose cancellation was requested.
pub const CANCELED: HRESULT = HRESULT(0x8007_04C7_u32 as i32);

/// What `can_continue` learned from Sync Center.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Continue {
    /// S_OK: go on.
    Go,
    /// S_FALSE: a cancel was requested; stop and report `SyncmgrProgressStatus::Canceled`.
    Cancel,
}

/// The longest progress text, in UTF-16 units without the NUL.
pub const MAX_PROGRESS_TEXT_CHARS: usize = MAX_SYNCMGR_PROGRESSTEXT as usize - 1;
/// The longest item id, in UTF-16 units without the NUL.
pub const MAX_ITEM_ID_CHARS: usize = MAX_SYNCMGR_ID as usize - 1;

/// A checked session over Sync Center's `ISyncMgrSyncCallback` (see the module docs).
/// Cloning gives another handle to the same session.
#[derive(Clone)]
pub struct SyncSession {
    inner: Rc<Inner>,
    /// Neither `Send` nor `Sync`: the session stays on its `synchronize` thread.
    _thread_bound: PhantomData<*const ()>,
}

struct Inner {
    callback: ISyncMgrSyncCallback,
    state: RefCell<State>,
}

#[derive(Default)]
struct State {
    /// Items of the session: id → final status once reported.
    items: BTreeMap<String, Option<SyncmgrProgressStatus>>,
    /// Ids proposed with `propose_item` and not committed yet.
    proposed: BTreeSet<String>,
    /// Items whose cancellation Sync Center requested.
    canceled: BTreeSet<String>,
    /// Whether Sync Center requested the cancellation of everything.
    all_canceled: bool,
}

impl State {
    fn is_canceled(&self, item_id: &str) -> bool {
        self.all_canceled || self.canceled.contains(item_id)
    }

    /// Records a cancel request received for `item_id` (`None`: the handler as a whole).
    fn record_cancel(&mut self, item_id: Option<&str>, request: SyncmgrCancelRequest) {
        match (request, item_id) {
            (SyncmgrCancelRequest::CancelAll, _) => self.all_canceled = true,
            (SyncmgrCancelRequest::CancelItem, Some(id)) => {
                self.canceled.insert(id.to_string());
            }
            _ => {}
        }
    }
}

fn refused(code: HRESULT, rule: &Rule, detail: impl std::fmt::Display) -> Error {
    Error::new(code, format!("{detail}: {rule}"))
}

/// What [`SyncSession::close_open_items`] reported.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClosedItems {
    /// Items reported FAILED: left open without a cancel request.
    pub failed: Vec<String>,
    /// Items reported CANCELED: left open after Sync Center asked to cancel them.
    pub canceled: Vec<String>,
}

impl SyncSession {
    /// A session over a callback Sync Center gave, for the items of `synchronize`.
    pub fn new(callback: ISyncMgrSyncCallback, item_ids: &[impl AsRef<str>]) -> Self {
        let session = Self {
            inner: Rc::new(Inner {
                callback,
                state: RefCell::new(State {
                    items: item_ids
                        .iter()
                        .map(|id| (id.as_ref().to_string(), None))
                        .collect(),
                    ..State::default()
                }),
            }),
            _thread_bound: PhantomData,
        };
        scope::register(&session);
        session
    }

    /// Creates the session through `ISyncMgrSessionCreator::CreateSession`
    /// (`NF:syncmgr.ISyncMgrSessionCreator.CreateSession`).
    ///
    /// # Errors
    /// Checked before Sync Center is called: `E_INVALIDARG` for an empty handler id or no item
    /// ids, both of which the page requires (`syncmgr-session.create-session.ids-required`),
    /// and for an id too long. Sync Center's error otherwise.
    pub fn create(
        creator: &ISyncMgrSessionCreator,
        handler_id: &str,
        item_ids: &[impl AsRef<str>],
    ) -> Result<Self> {
        if handler_id.is_empty() || item_ids.is_empty() {
            return Err(refused(
                E_INVALIDARG,
                &rules::SYNCMGR_SESSION_CREATE_SESSION_IDS_REQUIRED,
                format_args!(
                    "CreateSession with {} handler id and {} item ids",
                    if handler_id.is_empty() {
                        "an empty"
                    } else {
                        "a"
                    },
                    item_ids.len()
                ),
            ));
        }
        let handler = WideBuf::<ID_UNITS>::new(
            handler_id,
            &rules::SYNCMGR_SESSION_CREATE_SESSION_HANDLER_ID_LENGTH,
            "the handler id",
        )?;
        let ids = item_ids
            .iter()
            .map(|id| {
                checked_id(
                    id.as_ref(),
                    &rules::SYNCMGR_SESSION_CREATE_SESSION_ITEM_ID_LENGTH,
                )
            })
            .collect::<Result<Vec<_>>>()?;
        let pointers: Vec<PCWSTR> = ids.iter().map(WideBuf::as_pcwstr).collect();
        let callback = unsafe { creator.CreateSession(handler.as_pcwstr(), &pointers) }?;
        Ok(Self::new(callback, item_ids))
    }

    /// The Sync Center callback under the session, for calls this wrapper does not cover.
    pub fn callback(&self) -> &ISyncMgrSyncCallback {
        &self.inner.callback
    }

    /// The final status reported for `item_id`, if any.
    pub fn final_status(&self, item_id: &str) -> Option<SyncmgrProgressStatus> {
        self.inner
            .state
            .borrow()
            .items
            .get(item_id)
            .copied()
            .flatten()
    }

    /// Whether Sync Center asked to cancel `item_id` (or everything), as far as this session
    /// has heard: from report answers and `CanContinue`. Makes no call.
    pub fn is_canceled(&self, item_id: &str) -> bool {
        self.inner.state.borrow().is_canceled(item_id)
    }

    /// Whether Sync Center asked to cancel the whole synchronization, as far as this session
    /// has heard. Makes no call.
    pub fn all_canceled(&self) -> bool {
        self.inner.state.borrow().all_canceled
    }

    /// Items of the session without a final status yet.
    pub fn open_items(&self) -> Vec<String> {
        let state = self.inner.state.borrow();
        state
            .items
            .iter()
            .filter(|(_, status)| status.is_none())
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Reports an item's progress (`ISyncMgrSyncCallback::ReportProgress`) and returns Sync
    /// Center's cancel request.
    ///
    /// The cancel request in Sync Center's answer is remembered (see the module docs).
    ///
    /// # Errors
    /// Checked first: `E_ACCESSDENIED` for anything but FAILED after a final status;
    /// [`CANCELED`] for SUCCEEDED after a cancellation of the item or of all was requested;
    /// `E_INVALIDARG` for `current_step > max_step` (unless `UpdatingIndeterminate`), a text or
    /// item id too long. Then Sync Center's answer (`E_INVALIDARG` for an unknown item).
    pub fn report_progress(
        &self,
        item_id: &str,
        progress_text: &str,
        status: SyncmgrProgressStatus,
        current_step: u32,
        max_step: u32,
    ) -> Result<SyncmgrCancelRequest> {
        let mut id = WideBuf::<ID_UNITS>::uninit();
        id.fill(
            item_id,
            &rules::SYNCMGR_SESSION_REPORT_PROGRESS_ITEM_ID_LENGTH,
            "the item id",
        )?;
        let mut text = WideBuf::<TEXT_UNITS>::uninit();
        text.fill(
            progress_text,
            &rules::SYNCMGR_SESSION_REPORT_PROGRESS_TEXT_LENGTH,
            "the progress text",
        )?;
        if status != SyncmgrProgressStatus::UpdatingIndeterminate && current_step > max_step {
            return Err(refused(
                E_INVALIDARG,
                &rules::SYNCMGR_SESSION_REPORT_PROGRESS_STEPS,
                format_args!("step {current_step} of {max_step} for `{item_id}`"),
            ));
        }
        {
            let state = self.inner.state.borrow();
            if let Some(Some(done)) = state.items.get(item_id)
                && status != SyncmgrProgressStatus::Failed
            {
                return Err(refused(
                    E_ACCESSDENIED,
                    &rules::SYNCMGR_SESSION_REPORT_PROGRESS_AFTER_FINAL_STATUS,
                    format_args!("`{item_id}` already ended {done:?}; {status:?} may not follow"),
                ));
            }
            if status == SyncmgrProgressStatus::Succeeded && state.is_canceled(item_id) {
                return Err(refused(
                    CANCELED,
                    &rules::SYNCMGR_SESSION_REPORT_PROGRESS_CANCEL_ACKNOWLEDGED,
                    format_args!(
                        "Sync Center asked to cancel `{item_id}`; report Canceled, not Succeeded"
                    ),
                ));
            }
        }
        let mut cancel: SYNCMGR_CANCEL_REQUEST = Default::default();
        let answer = unsafe {
            self.inner.callback.ReportProgress(
                id.as_pcwstr(),
                text.as_pcwstr(),
                status.into(),
                current_step,
                max_step,
                &mut cancel,
            )
        };
        if answer == E_INVALIDARG {
            // Sync Center does not know the item: it cannot be closed either, so it leaves the
            // session's bookkeeping (NF:syncmgr.ISyncMgrSyncCallback.CanContinue).
            self.forget(item_id);
        }
        answer.ok()?;
        let final_status = matches!(
            status,
            SyncmgrProgressStatus::Succeeded
                | SyncmgrProgressStatus::Failed
                | SyncmgrProgressStatus::Canceled
        );
        let request = SyncmgrCancelRequest::try_from(cancel);
        let mut state = self.inner.state.borrow_mut();
        match state.items.get_mut(item_id) {
            Some(entry) if final_status => *entry = Some(status),
            Some(_) => {}
            None => {
                state
                    .items
                    .insert(item_id.to_string(), final_status.then_some(status));
            }
        }
        if let Ok(request) = request {
            state.record_cancel(Some(item_id), request);
        }
        drop(state);
        request
    }

    /// Drops an item Sync Center refused as unknown from the session's bookkeeping.
    fn forget(&self, item_id: &str) {
        self.inner.state.borrow_mut().items.remove(item_id);
    }

    /// Sets the handler's progress text (`ISyncMgrSyncCallback::SetHandlerProgressText`) and
    /// returns Sync Center's cancel request.
    ///
    /// # Errors
    /// `E_INVALIDARG` for a text too long (checked first); Sync Center's error otherwise.
    pub fn set_handler_progress_text(&self, progress_text: &str) -> Result<SyncmgrCancelRequest> {
        let text = WideBuf::<TEXT_UNITS>::new(
            progress_text,
            &rules::SYNCMGR_SESSION_REPORT_PROGRESS_TEXT_LENGTH,
            "the progress text",
        )?;
        let mut cancel: SYNCMGR_CANCEL_REQUEST = Default::default();
        unsafe {
            self.inner
                .callback
                .SetHandlerProgressText(text.as_pcwstr(), &mut cancel)
        }
        .ok()?;
        let request = SyncmgrCancelRequest::try_from(cancel)?;
        self.inner.state.borrow_mut().record_cancel(None, request);
        Ok(request)
    }

    /// Asks whether the item (`Some`) or the whole handler (`None`) may go on
    /// (`NF:syncmgr.ISyncMgrSyncCallback.CanContinue`): S_OK is [`Continue::Go`], S_FALSE
    /// [`Continue::Cancel`], which the session remembers. An item (or a handler) already known
    /// to be canceled answers [`Continue::Cancel`] without asking Sync Center again. The whole
    /// handler is asked about with an empty string, never NULL (`pszItemID` is `[string][ref]`).
    ///
    /// # Errors
    /// `E_INVALIDARG` from Sync Center for an unknown item (or one not of this handler); an
    /// item id too long (checked first).
    pub fn can_continue(&self, item_id: Option<&str>) -> Result<Continue> {
        let id = checked_id(
            item_id.unwrap_or(""),
            &rules::SYNCMGR_SESSION_CAN_CONTINUE_UNKNOWN_ITEM,
        )?;
        {
            let state = self.inner.state.borrow();
            let known = match item_id {
                Some(item_id) => state.is_canceled(item_id),
                None => state.all_canceled,
            };
            if known {
                return Ok(Continue::Cancel);
            }
        }
        let code = unsafe { self.inner.callback.CanContinue(id.as_pcwstr()) };
        if code == E_INVALIDARG
            && let Some(item_id) = item_id
        {
            self.forget(item_id);
        }
        match code {
            code if code == S_FALSE => {
                let request = if item_id.is_some() {
                    SyncmgrCancelRequest::CancelItem
                } else {
                    SyncmgrCancelRequest::CancelAll
                };
                self.inner
                    .state
                    .borrow_mut()
                    .record_cancel(item_id, request);
                Ok(Continue::Cancel)
            }
            code if code.is_ok() => Ok(Continue::Go),
            code => Err(Error::from_hresult(code)),
        }
    }

    /// Closes every item without a final status: CANCELED when its cancellation was requested,
    /// FAILED otherwise; what a derived handler does when `synchronize` returns with items left
    /// open (`handler.synchronize.final-status-per-item`,
    /// `syncmgr-session.report-progress.cancel-acknowledged`). Returns the ids Sync Center
    /// accepted each for; an item Sync Center refuses as unknown leaves the session's
    /// bookkeeping instead.
    pub fn close_open_items(&self) -> ClosedItems {
        let mut closed = ClosedItems::default();
        for id in self.open_items() {
            let (status, list) = if self.is_canceled(&id) {
                (SyncmgrProgressStatus::Canceled, &mut closed.canceled)
            } else {
                (SyncmgrProgressStatus::Failed, &mut closed.failed)
            };
            if self.report_progress(&id, "", status, 0, 0).is_ok() {
                list.push(id);
            }
        }
        closed
    }

    /// Whether two handles are the same session.
    pub(crate) fn same(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }
}

/// The [`SyncSession`]s made during one `synchronize` call on this thread, so that the glue
/// can close their open items when the call returns.
pub(crate) mod scope {
    use std::cell::RefCell;

    use super::SyncSession;

    thread_local! {
        static SESSIONS: RefCell<Option<Vec<SyncSession>>> = const { RefCell::new(None) };
    }

    /// Records a new session in the current `synchronize` call, if one is running.
    pub(crate) fn register(session: &SyncSession) {
        SESSIONS.with(|sessions| {
            if let Some(sessions) = sessions.borrow_mut().as_mut()
                && !sessions.iter().any(|s| s.same(session))
            {
                sessions.push(session.clone());
            }
        });
    }

    /// Runs `f` as one `synchronize` call; returns its result and the sessions it made.
    pub(crate) fn run<R>(f: impl FnOnce() -> R) -> (R, Vec<SyncSession>) {
        let outer = SESSIONS.with(|s| s.replace(Some(Vec::new())));
        let result = f();
        let sessions = SESSIONS.with(|s| s.replace(outer)).unwrap_or_default();
        (result, sessions)
    }
}
