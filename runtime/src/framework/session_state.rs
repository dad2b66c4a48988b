//! A checked `ISyncSessionState` / `ISyncSessionState2` host object, for custom orchestrators
//! and tests: what a synchronization session hands to its providers in `BeginSession`,
//! `ProcessChangeBatch` and `EndSession`.
//!
//! The host creates a [`SessionState`] with [`SessionState::new`], keeps the returned
//! `ComObject` (its host-side methods are reached through `Deref`) and hands providers
//! `to_interface::<ISyncSessionState>()`; `ISyncSessionState2` is answered by `QueryInterface`
//! on the same object (rule `session-state.state2.query-interface`, `NN:winsync.ISyncSessionState2`).
//!
//! Every COM method goes through the generated adapters of
//! [`sync_session_state_abi`] and
//! [`sync_session_state2_abi`]: an invalid
//! `SYNC_PROVIDER_ROLE` or `SYNC_PROGRESS_STAGE` is answered with `E_INVALIDARG`, a null required
//! pointer with `E_POINTER`, and a panic with `E_UNEXPECTED`, before this module's code runs.
//! This module adds the rules of `CONTRACTS.md` that need the session's state.
//!
//! # Threads
//! The object is free-threaded: providers may call it from any thread, and several threads at
//! once; its state is kept in atomics and a `std::sync::Mutex`, which is never held while the
//! registered callback runs. `OnProgress` calls the registered `ISyncCallback` on the calling
//! thread, so that callback must itself be callable from any thread (as a
//! [`CallbackObject`](crate::framework::callback::CallbackObject) is). The Rust type is not `Send`/`Sync`
//! because a COM interface pointer (the callback) is not; share the COM interface, not the
//! `ComObject`, between threads.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use windows_core::{BOOL, ComObject, Error, HRESULT, Result, implement};

use winsync_engine::IdFormat;

use crate::bindings::{
    E_INVALIDARG, E_NOTIMPL, E_OUTOFMEMORY, ISyncCallback, ISyncSessionState,
    ISyncSessionState_Impl, ISyncSessionState2, ISyncSessionState2_Impl, S_OK, SYNC_PROGRESS_STAGE,
    SYNC_PROVIDER_ROLE, SYNC_RANGE,
};
use crate::contracts;
use crate::framework::recovery_range::{Bound, RecoveryRange};
use crate::hresults::SYNC_E_INVALID_OPERATION;
use crate::skeletons::{
    SyncProgressStage, SyncProviderRole, sync_session_state_abi, sync_session_state2_abi,
};

/// `HRESULT_FROM_WIN32(ERROR_MORE_DATA)` (`0x800700EA`): what `GetInfoForChangeApplication`
/// answers when the caller's buffer is too small, after writing the size it needs (rule
/// `session-state.get-info-for-change-application.buffer-too-small`,
/// `NF:winsync.ISyncSessionState.GetInfoForChangeApplication`).
pub const HRESULT_MORE_DATA: HRESULT = HRESULT(0x8007_00EA_u32 as i32);

pub use object::SessionState;
use object::SessionState_Impl;

/// Holds the `#[implement]` struct, so that the `SessionState_Impl` type the macro generates
/// (undocumented) stays private to this module.
mod object {
    use super::{
        AtomicBool, ISyncCallback, ISyncSessionState, ISyncSessionState2, Mutex, Recorded,
        implement,
    };

    /// The checked session state a host hands to the providers of one synchronization session.
    ///
    /// Create it with [`SessionState::new`]. The COM side (`ISyncSessionState`,
    /// `ISyncSessionState2`) answers:
    ///
    /// | method | answer |
    /// | --- | --- |
    /// | `OnProgress` | raises `ISyncCallback::OnProgress` on the registered callback with the same values and returns the callback's failure, if any; `S_OK` without a callback (rule `session-state.on-progress.raises-callback`, `NF:winsync.ISyncSessionState.OnProgress`). An invalid role or stage is `E_INVALIDARG` and raises nothing (rules `session-state.on-progress.invalid-provider` / `.invalid-stage`, same page), and so is completed work above a non-zero total (rule `session-state.on-progress.completed-within-total`; a total of 0 says none is known). |
    /// | `IsCanceled` | `TRUE` once [`request_cancel`](Self::request_cancel) was called, else `FALSE`; `E_POINTER` for a null `pfIsCanceled` (rule `session-state.is-canceled.bad-pointer`, `NF:winsync.ISyncSessionState.IsCanceled`). |
    /// | `LoadInfoFromChangeApplication` | stores a copy of the `cbChangeApplierInfo` bytes; `E_POINTER` for a null buffer (rule `session-state.load-info-from-change-application.bad-pointer`), `E_INVALIDARG` for a non-null buffer with a zero size (rule `session-state.load-info-from-change-application.zero-size`), `E_OUTOFMEMORY` when the copy cannot be allocated (page `NF:winsync.ISyncSessionState.LoadInfoFromChangeApplication`). The bytes are opaque to the session state (only the change applier reads them), so it never answers `SYNC_E_DESERIALIZATION` (rule `session-state.load-info-from-change-application.bad-data`). |
    /// | `GetInfoForChangeApplication` | copies the stored bytes (none before a `Load`) into `pbChangeApplierInfo` and writes their number to `*pcbChangeApplierInfo`; when `*pcbChangeApplierInfo` is smaller, writes the needed size there and answers [`HRESULT_MORE_DATA`](super::HRESULT_MORE_DATA) (rule `session-state.get-info-for-change-application.buffer-too-small`); `E_POINTER` for a null pointer, the buffer included even to query the size (rule `session-state.get-info-for-change-application.bad-pointer`; page `NF:winsync.ISyncSessionState.GetInfoForChangeApplication`). |
    /// | `SetForgottenKnowledgeRecoveryRange` | `E_POINTER` for a null pointer, the range's or a bound's (rule `session-state.set-recovery-range.bad-pointer`); `E_NOTIMPL` until the host gave the item ID format ([`set_item_id_format`](Self::set_item_id_format); the session driver does): a `SYNC_RANGE` holds two bare item-id pointers whose length only that format gives. Then copies both bounds, answering `SYNC_E_ID_FORMAT_MISMATCH` for a variable-length ID whose `SYNC_ID` size is outside the format's bounds (rule `session-state.set-recovery-range.id-format`; a fixed-length ID has no length to check; page `NF:winsync.ISyncSessionState.SetForgottenKnowledgeRecoveryRange`). |
    /// | `GetForgottenKnowledgeRecoveryRangeStart`, `GetForgottenKnowledgeRecoveryRangeEnd` | `E_POINTER` for a null pointer, the buffer included even to query the size (rules `session-state.get-recovery-range-start.bad-pointer`, `session-state.get-recovery-range-end.bad-pointer`); `E_NOTIMPL` without the item ID format; `SYNC_E_INVALID_OPERATION` while no range was set; else the bound in its wire form (`SYNC_ID` for a variable format) with its size in `*pcbRange…`, or, when `*pcbRange…` is smaller, the size needed there and [`HRESULT_MORE_DATA`](super::HRESULT_MORE_DATA) (rules `session-state.get-recovery-range-start.buffer-too-small`, `session-state.get-recovery-range-end.buffer-too-small`; pages `NF:winsync.ISyncSessionState.GetForgottenKnowledgeRecoveryRangeStart`, `NF:winsync.ISyncSessionState.GetForgottenKnowledgeRecoveryRangeEnd`). |
    /// | `SetProviderWithError` | `SYNC_E_INVALID_OPERATION` while no session exists (rule `session-state.set-provider-with-error.no-session`, `NF:winsync.ISyncSessionState2.SetProviderWithError`), else records `fSelf` for [`provider_with_error`](Self::provider_with_error). |
    /// | `GetSessionErrorStatus` | the error recorded by [`set_session_error`](Self::set_session_error), `S_OK` when none; `E_POINTER` for a null `phrSessionError` (rule `session-state.get-session-error-status.bad-pointer`, `NF:winsync.ISyncSessionState2.GetSessionErrorStatus`). |
    ///
    /// A panic inside the object is answered with `E_UNEXPECTED` by the adapters.
    #[implement(ISyncSessionState, ISyncSessionState2)]
    pub struct SessionState {
        /// The application's callback, raised by `OnProgress`.
        pub(super) callback: Option<ISyncCallback>,
        /// Whether a synchronization session exists (between `begin_session` and `end_session`).
        pub(super) in_session: AtomicBool,
        /// Whether the host asked for cancellation.
        pub(super) canceled: AtomicBool,
        /// What providers and the host recorded.
        pub(super) recorded: Mutex<Recorded>,
    }
}

/// The state behind [`SessionState`]'s mutex.
#[derive(Default)]
struct Recorded {
    /// `set_session_error`.
    session_error: Option<HRESULT>,
    /// `SetProviderWithError`'s `fSelf`.
    provider_with_error: Option<bool>,
    /// `LoadInfoFromChangeApplication`'s bytes.
    change_applier_info: Vec<u8>,
    /// `set_item_id_format`.
    item_format: Option<IdFormat>,
    /// `SetForgottenKnowledgeRecoveryRange`'s bounds.
    recovery_range: Option<RecoveryRange>,
}

impl SessionState {
    /// A session state with no session begun, not canceled, no error recorded, and no change
    /// applier data; `callback` (when given) receives every valid `OnProgress`.
    ///
    /// Keep the returned `ComObject` for the host-side methods and hand providers
    /// `to_interface::<ISyncSessionState>()`.
    pub fn new(callback: Option<ISyncCallback>) -> ComObject<Self> {
        ComObject::new(Self {
            callback,
            in_session: AtomicBool::new(false),
            canceled: AtomicBool::new(false),
            recorded: Mutex::new(Recorded::default()),
        })
    }

    /// Marks that a synchronization session exists, from now until [`end_session`](Self::end_session):
    /// `SetProviderWithError` is accepted only then (rule
    /// `session-state.set-provider-with-error.no-session`,
    /// `NF:winsync.ISyncSessionState2.SetProviderWithError`). Nothing recorded is cleared.
    pub fn begin_session(&self) {
        self.in_session.store(true, Ordering::SeqCst);
    }

    /// Marks that no synchronization session exists any more; `SetProviderWithError` answers
    /// `SYNC_E_INVALID_OPERATION` again. Nothing recorded is cleared.
    pub fn end_session(&self) {
        self.in_session.store(false, Ordering::SeqCst);
    }

    /// Whether a session exists: [`begin_session`](Self::begin_session) was called and
    /// [`end_session`](Self::end_session) was not called since.
    pub fn in_session(&self) -> bool {
        self.in_session.load(Ordering::SeqCst)
    }

    /// Asks the providers to stop: `IsCanceled` answers `TRUE` from now on (rule
    /// `session-state.is-canceled.bad-pointer`, `NF:winsync.ISyncSessionState.IsCanceled`).
    pub fn request_cancel(&self) {
        self.canceled.store(true, Ordering::SeqCst);
    }

    /// Whether [`request_cancel`](Self::request_cancel) was called.
    pub fn is_canceled(&self) -> bool {
        self.canceled.load(Ordering::SeqCst)
    }

    /// Records the error that made the session fail: `GetSessionErrorStatus` answers it from
    /// now on (rule `session-state.get-session-error-status.bad-pointer`,
    /// `NF:winsync.ISyncSessionState2.GetSessionErrorStatus`). A later call replaces it.
    pub fn set_session_error(&self, error: HRESULT) {
        self.recorded().session_error = Some(error);
    }

    /// The error recorded by [`set_session_error`](Self::set_session_error), `None` when none
    /// (`GetSessionErrorStatus` then answers `S_OK`).
    pub fn session_error(&self) -> Option<HRESULT> {
        self.recorded().session_error
    }

    /// What the last accepted `SetProviderWithError` recorded: `Some(true)` when the calling
    /// provider said it caused the failure (`fSelf` TRUE), `Some(false)` when it blamed the
    /// other provider, `None` when no call was accepted (rule
    /// `session-state.set-provider-with-error.self`,
    /// `NF:winsync.ISyncSessionState2.SetProviderWithError`).
    pub fn provider_with_error(&self) -> Option<bool> {
        self.recorded().provider_with_error
    }

    /// A copy of the change applier's bytes stored by `LoadInfoFromChangeApplication`, empty
    /// when none (`NF:winsync.ISyncSessionState.LoadInfoFromChangeApplication`).
    pub fn change_applier_info(&self) -> Vec<u8> {
        self.recorded().change_applier_info.clone()
    }

    /// Gives the session's item ID format (the `itemId` of the providers' `ID_PARAMETERS`,
    /// `NF:winsync.ISyncProvider.GetIdParameters`): from now on
    /// `SetForgottenKnowledgeRecoveryRange` copies and checks its bounds in this format and the
    /// two getters answer them (`NF:winsync.ISyncSessionState.SetForgottenKnowledgeRecoveryRange`).
    /// The session driver calls it at the start of every session. A later call replaces the
    /// format and forgets the range.
    pub fn set_item_id_format(&self, format: IdFormat) {
        let mut recorded = self.recorded();
        recorded.item_format = Some(format);
        recorded.recovery_range = None;
    }

    /// The format given with [`set_item_id_format`](Self::set_item_id_format), if any.
    pub fn item_id_format(&self) -> Option<IdFormat> {
        self.recorded().item_format
    }

    /// The forgotten-knowledge recovery range a provider set, as the IDs' data (without a
    /// `SYNC_ID` size field): `(lower, upper)`, closed bounds
    /// (`NF:winsync.ISyncSessionState.SetForgottenKnowledgeRecoveryRange`).
    pub fn recovery_range(&self) -> Option<(Vec<u8>, Vec<u8>)> {
        self.recorded()
            .recovery_range
            .as_ref()
            .map(|range| (range.lower.to_vec(), range.upper.to_vec()))
    }

    /// The recorded state. A panic while the lock was held (contained by the adapters as
    /// `E_UNEXPECTED`) leaves the state consistent, since every update is one assignment, so a
    /// poisoned lock is used as is.
    fn recorded(&self) -> MutexGuard<'_, Recorded> {
        self.recorded.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The safe-trait view the adapters call, for one COM call.
    fn host(&self) -> Host<'_> {
        Host { state: self }
    }
}

/// The implementation of the safe skeleton traits behind [`SessionState`], for one COM call.
struct Host<'a> {
    state: &'a SessionState,
}

/// The item ID format, or `E_NOTIMPL` while the host gave none.
fn item_format(recorded: &Recorded) -> Result<IdFormat> {
    recorded.item_format.ok_or_else(|| {
        Error::new(
            E_NOTIMPL,
            "the session state was given no item ID format (SessionState::set_item_id_format), so it cannot read a SYNC_RANGE's IDs",
        )
    })
}

impl Host<'_> {
    /// A recovery range getter: `which` bound into `buffer` with the `pcb` convention.
    fn recovery_bound(&self, which: Bound, buffer: *mut u8, size: &mut u32) -> Result<()> {
        crate::com::abi::check_out(buffer.is_null())?;
        let recorded = self.state.recorded();
        let format = item_format(&recorded)?;
        let range = recorded.recovery_range.as_ref().ok_or_else(|| {
            Error::new(
                SYNC_E_INVALID_OPERATION,
                "no forgotten-knowledge recovery range was set in this session state",
            )
        })?;
        // SAFETY: not null (checked above), and the COM caller's contract makes it writable
        // for `*size` bytes.
        unsafe { range.write(which, &format, buffer, size) }
    }
}

impl crate::skeletons::SyncSessionState for Host<'_> {
    fn is_canceled(&self, is_canceled: *mut BOOL) -> Result<()> {
        if is_canceled.is_null() {
            return Err(Error::new(
                crate::bindings::E_POINTER,
                contracts::SESSION_STATE_IS_CANCELED_BAD_POINTER.to_string(),
            ));
        }
        let answer = BOOL::from(self.state.is_canceled());
        // SAFETY: not null, and the COM caller's contract (forwarded by the adapter) makes a
        // non-null pfIsCanceled valid for writing a BOOL.
        unsafe { is_canceled.write(answer) };
        Ok(())
    }

    fn get_info_for_change_application(
        &self,
        change_applier_info: *mut u8,
        change_applier_info_size: &mut u32,
    ) -> Result<()> {
        if change_applier_info.is_null() {
            return Err(Error::new(
                crate::bindings::E_POINTER,
                contracts::SESSION_STATE_GET_INFO_FOR_CHANGE_APPLICATION_BAD_POINTER.to_string(),
            ));
        }
        let recorded = self.state.recorded();
        let info = &recorded.change_applier_info;
        // Load stored at most u32::MAX bytes (its size is a u32).
        let needed = u32::try_from(info.len()).map_err(|_| Error::from_hresult(E_INVALIDARG))?;
        if *change_applier_info_size < needed {
            *change_applier_info_size = needed;
            return Err(Error::new(
                HRESULT_MORE_DATA,
                contracts::SESSION_STATE_GET_INFO_FOR_CHANGE_APPLICATION_BUFFER_TOO_SMALL
                    .to_string(),
            ));
        }
        // SAFETY: the caller's contract makes pbChangeApplierInfo (not null, checked above)
        // writable for *pcbChangeApplierInfo >= info.len() bytes; `info` is our own vector.
        unsafe { std::ptr::copy_nonoverlapping(info.as_ptr(), change_applier_info, info.len()) };
        *change_applier_info_size = needed;
        Ok(())
    }

    fn load_info_from_change_application(
        &self,
        change_applier_info: *const u8,
        cbchangeapplierinfo: u32,
    ) -> Result<()> {
        if change_applier_info.is_null() {
            return Err(Error::new(
                crate::bindings::E_POINTER,
                contracts::SESSION_STATE_LOAD_INFO_FROM_CHANGE_APPLICATION_BAD_POINTER.to_string(),
            ));
        }
        if cbchangeapplierinfo == 0 {
            return Err(Error::new(
                E_INVALIDARG,
                contracts::SESSION_STATE_LOAD_INFO_FROM_CHANGE_APPLICATION_ZERO_SIZE.to_string(),
            ));
        }
        let len = cbchangeapplierinfo as usize;
        let mut copy = Vec::new();
        copy.try_reserve_exact(len)
            .map_err(|_| Error::from_hresult(E_OUTOFMEMORY))?;
        // SAFETY: not null, and the COM caller's contract makes pbChangeApplierInfo readable
        // for cbChangeApplierInfo bytes.
        copy.extend_from_slice(unsafe { std::slice::from_raw_parts(change_applier_info, len) });
        self.state.recorded().change_applier_info = copy;
        Ok(())
    }

    fn get_forgotten_knowledge_recovery_range_start(
        &self,
        range_start: *mut u8,
        range_start_size: &mut u32,
    ) -> Result<()> {
        self.recovery_bound(Bound::Start, range_start, range_start_size)
    }

    fn get_forgotten_knowledge_recovery_range_end(
        &self,
        range_end: *mut u8,
        range_end_size: &mut u32,
    ) -> Result<()> {
        self.recovery_bound(Bound::End, range_end, range_end_size)
    }

    fn set_forgotten_knowledge_recovery_range(&self, range: &SYNC_RANGE) -> Result<()> {
        // One lock for the format and the range: a new format forgets the range.
        let mut recorded = self.state.recorded();
        let format = item_format(&recorded)?;
        // SAFETY: the COM caller's contract: each bound is null or an ID of the session's
        // item ID format.
        let range = unsafe { RecoveryRange::read(range, &format) }?;
        recorded.recovery_range = Some(range);
        Ok(())
    }

    fn on_progress(
        &self,
        provider: SyncProviderRole,
        stage: SyncProgressStage,
        completed_work: u32,
        total_work: u32,
    ) -> Result<()> {
        // Completed work is part of the total (a total of 0 says none is known).
        if total_work != 0 && completed_work > total_work {
            return Err(Error::new(
                E_INVALIDARG,
                contracts::SESSION_STATE_ON_PROGRESS_COMPLETED_WITHIN_TOTAL.to_string(),
            ));
        }
        match &self.state.callback {
            // SAFETY: a call with plain values on a live interface.
            Some(callback) => unsafe {
                callback.OnProgress(provider.into(), stage.into(), completed_work, total_work)
            }
            .ok(),
            None => Ok(()),
        }
    }
}

impl crate::skeletons::SyncSessionState2 for Host<'_> {
    fn set_provider_with_error(&self, self_: bool) -> Result<()> {
        if !self.state.in_session() {
            return Err(Error::new(
                SYNC_E_INVALID_OPERATION,
                contracts::SESSION_STATE_SET_PROVIDER_WITH_ERROR_NO_SESSION.to_string(),
            ));
        }
        self.state.recorded().provider_with_error = Some(self_);
        Ok(())
    }

    fn get_session_error_status(&self, session_error: &mut HRESULT) -> Result<()> {
        *session_error = self.state.session_error().unwrap_or(S_OK);
        Ok(())
    }
}

impl ISyncSessionState_Impl for SessionState_Impl {
    fn IsCanceled(&self, pfiscanceled: *mut BOOL) -> Result<()> {
        // SAFETY: the COM caller passes null or a valid pointer; the adapter forwards it.
        unsafe { sync_session_state_abi::is_canceled(&self.host(), pfiscanceled) }
    }

    fn GetInfoForChangeApplication(
        &self,
        pbchangeapplierinfo: *mut u8,
        pcbchangeapplierinfo: *mut u32,
    ) -> Result<()> {
        // SAFETY: the COM caller passes null or valid pointers; the adapter checks null.
        unsafe {
            sync_session_state_abi::get_info_for_change_application(
                &self.host(),
                pbchangeapplierinfo,
                pcbchangeapplierinfo,
            )
        }
    }

    fn LoadInfoFromChangeApplication(
        &self,
        pbchangeapplierinfo: *const u8,
        cbchangeapplierinfo: u32,
    ) -> Result<()> {
        // SAFETY: the COM caller passes null or a pointer readable for cbChangeApplierInfo bytes.
        unsafe {
            sync_session_state_abi::load_info_from_change_application(
                &self.host(),
                pbchangeapplierinfo,
                cbchangeapplierinfo,
            )
        }
    }

    fn GetForgottenKnowledgeRecoveryRangeStart(
        &self,
        pbrangestart: *mut u8,
        pcbrangestart: *mut u32,
    ) -> Result<()> {
        // SAFETY: the COM caller passes null or valid pointers; the adapter checks null.
        unsafe {
            sync_session_state_abi::get_forgotten_knowledge_recovery_range_start(
                &self.host(),
                pbrangestart,
                pcbrangestart,
            )
        }
    }

    fn GetForgottenKnowledgeRecoveryRangeEnd(
        &self,
        pbrangeend: *mut u8,
        pcbrangeend: *mut u32,
    ) -> Result<()> {
        // SAFETY: the COM caller passes null or valid pointers; the adapter checks null.
        unsafe {
            sync_session_state_abi::get_forgotten_knowledge_recovery_range_end(
                &self.host(),
                pbrangeend,
                pcbrangeend,
            )
        }
    }

    fn SetForgottenKnowledgeRecoveryRange(&self, prange: *const SYNC_RANGE) -> Result<()> {
        // SAFETY: the COM caller passes null or a valid SYNC_RANGE; the adapter checks null.
        unsafe {
            sync_session_state_abi::set_forgotten_knowledge_recovery_range(&self.host(), prange)
        }
    }

    fn OnProgress(
        &self,
        provider: SYNC_PROVIDER_ROLE,
        syncstage: SYNC_PROGRESS_STAGE,
        dwcompletedwork: u32,
        dwtotalwork: u32,
    ) -> Result<()> {
        // SAFETY: no pointers; the adapter checks the enums.
        unsafe {
            sync_session_state_abi::on_progress(
                &self.host(),
                provider,
                syncstage,
                dwcompletedwork,
                dwtotalwork,
            )
        }
    }
}

impl ISyncSessionState2_Impl for SessionState_Impl {
    fn SetProviderWithError(&self, fself: BOOL) -> Result<()> {
        // SAFETY: no pointers.
        unsafe { sync_session_state2_abi::set_provider_with_error(&self.host(), fself) }
    }

    fn GetSessionErrorStatus(&self, phrsessionerror: *mut HRESULT) -> Result<()> {
        // SAFETY: the COM caller passes null or a valid pointer; the adapter checks null.
        unsafe { sync_session_state2_abi::get_session_error_status(&self.host(), phrsessionerror) }
    }
}
