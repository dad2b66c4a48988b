//! The COM object behind `#[derive(SyncProvider)]`: a [`KnowledgeSyncProvider`] handed out as
//! `IKnowledgeSyncProvider` and `ISyncProvider`, with the session contract checked before the
//! implementation runs.
//!
//! Between the caller and the implementation, in this order:
//!
//! 1. the generated ABI adapter converts the arguments: an invalid role is `E_INVALIDARG`, a
//!    null session state or out-pointer `E_POINTER` (rules `provider.begin-session.invalid-role`,
//!    `provider.begin-session.null-session-state`, `provider.*.null-out-pointer`);
//! 2. the session checks of this module:
//!    - BeginSession while a session is active: `SYNC_E_INVALID_OPERATION`
//!      (`NF:winsync.IKnowledgeSyncProvider.BeginSession`);
//!    - EndSession with no session: `SYNC_E_INVALID_OPERATION`; with a session state other than
//!      the one BeginSession received: `SYNC_E_INVALID_OPERATION` and the session stays open;
//!      otherwise every reference to the session state is released, also when the
//!      implementation fails or panics (`NF:winsync.IKnowledgeSyncProvider.EndSession`);
//!    - GetChangeBatch, GetFullEnumerationChangeBatch, ProcessChangeBatch and
//!      ProcessFullEnumerationChangeBatch outside a session: `SYNC_E_INVALID_OPERATION`
//!      (`NN:winsync.IKnowledgeSyncProvider`); the first two only for the source, the last two
//!      only for the destination (`NE:winsync.SYNC_PROVIDER_ROLE` and the methods' pages);
//!      GetSyncBatchParameters and GetIdParameters stay callable outside a session;
//! 3. the implementation, with panics contained by the adapter: a panic is `E_UNEXPECTED`, and
//!    is recorded on the session with `ISyncSessionState2::SetProviderWithError(TRUE)` when the
//!    session state supports it; when the session state refuses the record, the refusal is
//!    part of the returned error's message.
//!
//! # Concurrency
//! The session is a lock-free state machine ([`SessionCell`]): idle, beginning, active in a
//! role, ending. The implementation never sees two sessions at once: a BeginSession while
//! another session is beginning, active or ending is `SYNC_E_INVALID_OPERATION`
//! (`NF:winsync.IKnowledgeSyncProvider.BeginSession`, "already enlisted"), so `begin_session`
//! never overlaps another session's `begin_session` or `end_session`; a BeginSession whose
//! implementation fails ends only its own session; an EndSession while the session is still
//! beginning (or already ending) is `SYNC_E_INVALID_OPERATION`; EndSession releases the
//! reference to the session state before the next session can begin. Change-batch calls are
//! accepted only while the session is active; the implementation may still see them
//! concurrently with each other (the pages let a session call from any thread), and one
//! racing EndSession may run while `end_session` does.

use windows_core::{ComObject, Error, IUnknown, Interface, OutRef, Ref, Result, implement};

use crate::bindings::{
    CONFLICT_RESOLUTION_POLICY, E_UNEXPECTED, ID_PARAMETERS, IKnowledgeSyncProvider,
    IKnowledgeSyncProvider_Impl, ISyncCallback, ISyncChangeBatch, ISyncFullEnumerationChangeBatch,
    ISyncKnowledge, ISyncProvider, ISyncProvider_Impl, ISyncSessionState, ISyncSessionState2,
    SYNC_PROVIDER_ROLE, SYNC_SESSION_STATISTICS,
};
use crate::com::abi;
use crate::contract::Rule;
use crate::contracts;
use crate::framework::session_cell::{self, EndError, Handle, Phase, Role, SessionCell};
use crate::hresults::SYNC_E_INVALID_OPERATION;
use crate::skeletons::{
    ConflictResolutionPolicy, KnowledgeSyncProvider, SyncProvider, SyncProviderRole,
    knowledge_sync_provider_abi as abi_k, sync_provider_abi as abi_p,
};

/// What `#[derive(SyncProvider)]` implements for a provider type: ways to hand it out as a
/// checked COM object.
pub trait DerivedProvider: KnowledgeSyncProvider + Send + Sync + Sized + 'static {
    /// The provider as `IKnowledgeSyncProvider` (QueryInterface reaches `ISyncProvider` and
    /// `IUnknown` with the same identity).
    fn into_provider(self) -> IKnowledgeSyncProvider {
        ProviderObject::new(self).to_interface()
    }

    /// The provider as a COM object that also gives access to the provider value and the
    /// session (see [`ProviderObject`]).
    fn into_object(self) -> ComObject<ProviderObject<Self>> {
        ProviderObject::new(self)
    }
}

pub use object::ProviderObject;
use object::ProviderObject_Impl;

mod object {
    use super::{
        IKnowledgeSyncProvider, ISyncProvider, ISyncSessionState, KnowledgeSyncProvider,
        SessionCell, implement,
    };

    /// A provider wrapped as a COM object implementing `IKnowledgeSyncProvider` and
    /// `ISyncProvider`, with the session contract checked (see the module docs).
    #[implement(IKnowledgeSyncProvider, ISyncProvider)]
    pub struct ProviderObject<T>
    where
        T: KnowledgeSyncProvider + Send + Sync + 'static,
    {
        pub(super) provider: T,
        pub(super) session: SessionCell<ISyncSessionState>,
    }
}

/// The cell holds one owned reference to the session state as its raw interface pointer. The
/// reference is counted and released through the vtable (`AddRef`, `Release`) rather than by
/// `clone()` and `drop`: an `extern "system"` function does not unwind, so the session
/// bookkeeping around the count needs no unwinding path, and no out-of-line call is made to
/// reach the vtable.
impl Handle for ISyncSessionState {
    #[inline]
    fn as_raw(&self) -> *mut () {
        Interface::as_raw(self).cast()
    }
    #[inline]
    unsafe fn from_raw(raw: *mut ()) -> Self {
        // SAFETY: `raw` is an interface pointer with one count owned by the caller (the
        // caller's contract).
        unsafe { Interface::from_raw(raw.cast()) }
    }
    unsafe fn clone_raw(raw: *mut ()) -> Self {
        let raw = raw.cast::<core::ffi::c_void>();
        // SAFETY: `raw` is an interface pointer the cell owns (the caller's contract).
        let borrowed = unsafe { ISyncSessionState::from_raw_borrowed(&raw) };
        borrowed
            .cloned()
            .unwrap_or_else(|| unreachable!("the cell never holds null"))
    }
    #[inline]
    unsafe fn retain_raw(raw: *mut ()) {
        // SAFETY: `raw` is a live interface pointer (the caller's contract); the new count is
        // the caller's.
        unsafe { (vtable(raw).AddRef)(raw.cast()) };
    }
    #[inline]
    unsafe fn release_raw(raw: *mut ()) {
        // SAFETY: `raw` is a live interface pointer with one count owned by the caller (the
        // caller's contract), given up here.
        unsafe { (vtable(raw).Release)(raw.cast()) };
    }
}

/// The `IUnknown` part of a live interface pointer's vtable (every COM vtable starts with it).
///
/// # Safety
/// `raw` is a live interface pointer.
#[inline]
unsafe fn vtable<'a>(raw: *mut ()) -> &'a windows_core::IUnknown_Vtbl {
    // SAFETY: a COM interface pointer points to its vtable pointer (the caller's contract).
    unsafe { &**raw.cast::<*const windows_core::IUnknown_Vtbl>() }
}

// SAFETY: the session cell keeps the session state pointer only to compare identities, to
// release it, and to report a failure on it; the pages let a provider be called from any
// thread of the session, and the session state is free-threaded
// (`NN:winsync.ISyncSessionState`).
unsafe impl Send for SessionCell<ISyncSessionState> {}
// SAFETY: as above; every access to the pointer goes through the cell's phases.
unsafe impl Sync for SessionCell<ISyncSessionState> {}

fn cell_role(role: SyncProviderRole) -> Role {
    match role {
        SyncProviderRole::Source => Role::Source,
        SyncProviderRole::Destination => Role::Destination,
    }
}

impl<T> ProviderObject<T>
where
    T: KnowledgeSyncProvider + Send + Sync + 'static,
{
    /// Wraps `provider`; no session is active.
    pub fn new(provider: T) -> ComObject<Self> {
        ComObject::new(Self {
            provider,
            session: SessionCell::new(),
        })
    }

    /// The wrapped provider.
    pub fn provider(&self) -> &T {
        &self.provider
    }

    /// The role of the active session, if one is active (not while one is beginning or
    /// ending).
    pub fn session_role(&self) -> Option<SyncProviderRole> {
        match self.session.phase() {
            Phase::Active(Role::Source) => Some(SyncProviderRole::Source),
            Phase::Active(Role::Destination) => Some(SyncProviderRole::Destination),
            _ => None,
        }
    }

    /// Where the session is: idle, beginning, active in a role, ending.
    pub fn session_phase(&self) -> Phase {
        self.session.phase()
    }

    /// Checks that a session is active and that this provider has the role `wanted` in it.
    fn require(&self, outside: &Rule, wanted: SyncProviderRole, wrong_role: &Rule) -> Result<()> {
        match self.session.phase() {
            Phase::Active(role) if role == cell_role(wanted) => Ok(()),
            Phase::Active(_) => Err(violation(wrong_role)),
            Phase::Idle => Err(violation(outside)),
            Phase::Beginning | Phase::Ending => Err(violation_because(
                outside,
                "the session is still beginning or already ending",
            )),
        }
    }

    /// What the adapter returned, with a panic it caught recorded on the session: the
    /// adapter answered `E_UNEXPECTED` and, when the session state (`state`, else the active
    /// session's) supports ISyncSessionState2, `SetProviderWithError(TRUE)` records that this
    /// provider caused the failure (`NF:winsync.ISyncSessionState2.SetProviderWithError`). When
    /// the session state refuses, the refusal is part of the error, so a lost record is never
    /// silent.
    ///
    /// `state` is the caller's session state pointer (or null), read only out of line, on the
    /// failure path. The panic record is looked for only behind an `E_UNEXPECTED`, so an error
    /// whose code the inlined caller knows (the session checks' refusals) leads to no look-up;
    /// the success path is one test.
    #[inline(always)]
    fn record_panic(&self, result: Result<()>, state: *mut core::ffi::c_void) -> Result<()> {
        match result {
            Err(error) if error.code() == E_UNEXPECTED => Err(self.unexpected(error, state)),
            other => other,
        }
    }

    /// The `E_UNEXPECTED` half of [`Self::record_panic`], out of line.
    #[cold]
    #[inline(never)]
    fn unexpected(&self, error: Error, state: *mut core::ffi::c_void) -> Error {
        if abi::take_caught_panic() {
            // SAFETY: the caller's interface pointer (or null) stays valid for the whole call.
            let state = unsafe { ISyncSessionState::from_raw_borrowed(&state) };
            self.report_panic(error, state)
        } else {
            error
        }
    }

    #[cold]
    fn report_panic(&self, error: Error, state: Option<&ISyncSessionState>) -> Error {
        let state = state.cloned().or_else(|| self.session.current());
        let Some(state2) = state.and_then(|s| s.cast::<ISyncSessionState2>().ok()) else {
            return error;
        };
        match unsafe { state2.SetProviderWithError(true) }.ok() {
            Ok(()) => error,
            Err(refused) => Error::new(
                error.code(),
                format!(
                    "{}; recording it with ISyncSessionState2::SetProviderWithError failed: {refused}",
                    error.message()
                ),
            ),
        }
    }
}

fn violation(rule: &Rule) -> Error {
    Error::new(SYNC_E_INVALID_OPERATION, rule.to_string())
}

fn violation_because(rule: &Rule, why: &str) -> Error {
    Error::new(SYNC_E_INVALID_OPERATION, format!("{why}: {rule}"))
}

/// BeginSession refused by the session cell. The code is built inline, so that the inlined
/// caller sees an error that is no caught panic; the message out of line.
#[inline(always)]
fn begin_refused(busy: session_cell::Busy) -> Error {
    Error::new(SYNC_E_INVALID_OPERATION, begin_refused_message(busy))
}

#[cold]
#[inline(never)]
fn begin_refused_message(session_cell::Busy(phase): session_cell::Busy) -> String {
    let why = match phase {
        Phase::Beginning => "another session is beginning",
        Phase::Ending => "another session is ending",
        _ => "a session is active",
    };
    format!(
        "{why}: {}",
        contracts::PROVIDER_BEGIN_SESSION_ALREADY_ACTIVE
    )
}

/// EndSession refused by the session cell (as [`begin_refused`]).
#[inline(always)]
fn end_refused(error: EndError) -> Error {
    Error::new(SYNC_E_INVALID_OPERATION, end_refused_message(error))
}

#[cold]
#[inline(never)]
fn end_refused_message(error: EndError) -> String {
    let rule = &contracts::PROVIDER_END_SESSION_WITHOUT_BEGIN;
    match error {
        EndError::NoSession => rule.to_string(),
        EndError::Busy(Phase::Beginning) => format!("the session is still beginning: {rule}"),
        EndError::Busy(_) => format!("the session is already ending: {rule}"),
        EndError::WrongSession => contracts::PROVIDER_END_SESSION_SAME_SESSION_STATE.to_string(),
    }
}

/// Whether two session state pointers are the same COM object: the same pointer, or else the
/// same `IUnknown` identity (the COM rule; the QueryInterface is only paid when the pointers
/// differ).
#[inline]
fn same_object(a: *mut core::ffi::c_void, b: *mut core::ffi::c_void) -> bool {
    a == b || same_identity(a, b)
}

/// The QueryInterface half of [`same_object`], out of line: the usual EndSession gets the very
/// pointer BeginSession got. Takes the pointers by value, so that the inline half keeps them
/// in registers.
#[cold]
#[inline(never)]
fn same_identity(a: *mut core::ffi::c_void, b: *mut core::ffi::c_void) -> bool {
    // SAFETY: both are live interface pointers, borrowed for the call (see `same_object`).
    let (a, b) = unsafe {
        (
            ISyncSessionState::from_raw_borrowed(&a),
            ISyncSessionState::from_raw_borrowed(&b),
        )
    };
    let (Some(a), Some(b)) = (a, b) else {
        return false;
    };
    match (a.cast::<IUnknown>(), b.cast::<IUnknown>()) {
        (Ok(a), Ok(b)) => a.as_raw() == b.as_raw(),
        _ => false,
    }
}

/// The checks of this module in front of the implementation, seen by the generated adapters
/// as just another provider.
struct Checked<'a, T>(&'a ProviderObject<T>)
where
    T: KnowledgeSyncProvider + Send + Sync + 'static;

impl<T> SyncProvider for Checked<'_, T>
where
    T: KnowledgeSyncProvider + Send + Sync + 'static,
{
    fn get_id_parameters(&self, id_parameters: &mut ID_PARAMETERS) -> Result<()> {
        // Not bound to a session (NN:winsync.IKnowledgeSyncProvider).
        self.0.provider.get_id_parameters(id_parameters)
    }
}

impl<T> KnowledgeSyncProvider for Checked<'_, T>
where
    T: KnowledgeSyncProvider + Send + Sync + 'static,
{
    #[inline(always)]
    fn begin_session(
        &self,
        role: SyncProviderRole,
        session_state: &ISyncSessionState,
    ) -> Result<()> {
        let beginning = match self.0.session.begin(session_state) {
            Ok(beginning) => beginning,
            Err(busy) => return Err(begin_refused(busy)),
        };
        // A provider that could not begin (an error, or a panic unwinding to the adapter) is
        // in no session: dropping the guard releases this session's reference, and only this
        // session's.
        let result = self.0.provider.begin_session(role, session_state);
        match result {
            Ok(()) => beginning.commit(cell_role(role)),
            Err(_) => drop(beginning),
        }
        result
    }

    fn get_sync_batch_parameters(&self, requested_batch_size: &mut u32) -> Result<ISyncKnowledge> {
        // Callable outside a session: endpoint-state loading calls it before BeginSession
        // (NF:winsync.IKnowledgeSyncProvider.GetSyncBatchParameters).
        self.0
            .provider
            .get_sync_batch_parameters(requested_batch_size)
    }

    fn get_change_batch(
        &self,
        batch_size: u32,
        sync_knowledge: &ISyncKnowledge,
    ) -> Result<(ISyncChangeBatch, IUnknown)> {
        self.0.require(
            &contracts::PROVIDER_GET_CHANGE_BATCH_OUTSIDE_SESSION,
            SyncProviderRole::Source,
            &contracts::PROVIDER_ROLE_SOURCE_GET_CHANGE_BATCH,
        )?;
        self.0.provider.get_change_batch(batch_size, sync_knowledge)
    }

    fn get_full_enumeration_change_batch(
        &self,
        batch_size: u32,
        lower_enumeration_bound: *const u8,
        sync_knowledge: &ISyncKnowledge,
    ) -> Result<(ISyncFullEnumerationChangeBatch, IUnknown)> {
        self.0.require(
            &contracts::PROVIDER_GET_FULL_ENUMERATION_CHANGE_BATCH_OUTSIDE_SESSION,
            SyncProviderRole::Source,
            &contracts::PROVIDER_ROLE_SOURCE_GET_FULL_ENUMERATION_CHANGE_BATCH,
        )?;
        self.0.provider.get_full_enumeration_change_batch(
            batch_size,
            lower_enumeration_bound,
            sync_knowledge,
        )
    }

    fn process_change_batch(
        &self,
        resolution_policy: ConflictResolutionPolicy,
        source_change_batch: &ISyncChangeBatch,
        unk_data_retriever: &IUnknown,
        callback: &ISyncCallback,
        sync_session_statistics: &mut SYNC_SESSION_STATISTICS,
    ) -> Result<()> {
        self.0.require(
            &contracts::PROVIDER_PROCESS_CHANGE_BATCH_OUTSIDE_SESSION,
            SyncProviderRole::Destination,
            &contracts::PROVIDER_ROLE_DESTINATION_PROCESS_CHANGE_BATCH,
        )?;
        self.0.provider.process_change_batch(
            resolution_policy,
            source_change_batch,
            unk_data_retriever,
            callback,
            sync_session_statistics,
        )
    }

    fn process_full_enumeration_change_batch(
        &self,
        resolution_policy: ConflictResolutionPolicy,
        source_change_batch: &ISyncFullEnumerationChangeBatch,
        unk_data_retriever: &IUnknown,
        callback: &ISyncCallback,
        sync_session_statistics: &mut SYNC_SESSION_STATISTICS,
    ) -> Result<()> {
        self.0.require(
            &contracts::PROVIDER_PROCESS_FULL_ENUMERATION_CHANGE_BATCH_OUTSIDE_SESSION,
            SyncProviderRole::Destination,
            &contracts::PROVIDER_ROLE_DESTINATION_PROCESS_FULL_ENUMERATION_CHANGE_BATCH,
        )?;
        self.0.provider.process_full_enumeration_change_batch(
            resolution_policy,
            source_change_batch,
            unk_data_retriever,
            callback,
            sync_session_statistics,
        )
    }

    #[inline(always)]
    fn end_session(&self, session_state: &ISyncSessionState) -> Result<()> {
        let wanted = Interface::as_raw(session_state);
        let ending = match self
            .0
            .session
            .end(move |held| same_object(Interface::as_raw(held), wanted))
        {
            Ok(ending) => ending,
            Err(error) => return Err(end_refused(error)),
        };
        // The session is over whatever the implementation does: `ending` holds this object's
        // reference to the session state and releases it when dropped, after the
        // implementation ran, panic (unwinding to the adapter) or not, before another session
        // can begin.
        let result = self.0.provider.end_session(session_state);
        drop(ending);
        result
    }
}

impl<T> ISyncProvider_Impl for ProviderObject_Impl<T>
where
    T: KnowledgeSyncProvider + Send + Sync + 'static,
{
    fn GetIdParameters(&self, pidparameters: *mut ID_PARAMETERS) -> Result<()> {
        let result = unsafe { abi_p::get_id_parameters(&Checked(self), pidparameters) };
        self.record_panic(result, core::ptr::null_mut())
    }
}

impl<T> IKnowledgeSyncProvider_Impl for ProviderObject_Impl<T>
where
    T: KnowledgeSyncProvider + Send + Sync + 'static,
{
    // Inlined into the vtable shim: the session pair is the hot path of every session.
    #[inline]
    fn BeginSession(
        &self,
        role: SYNC_PROVIDER_ROLE,
        psessionstate: Ref<ISyncSessionState>,
    ) -> Result<()> {
        let raw = psessionstate
            .as_ref()
            .map_or(core::ptr::null_mut(), Interface::as_raw);
        let result = unsafe { abi_k::begin_session(&Checked(self), role, psessionstate) };
        self.record_panic(result, raw)
    }

    fn GetSyncBatchParameters(
        &self,
        ppsyncknowledge: OutRef<ISyncKnowledge>,
        pdwrequestedbatchsize: *mut u32,
    ) -> Result<()> {
        let result = unsafe {
            abi_k::get_sync_batch_parameters(&Checked(self), ppsyncknowledge, pdwrequestedbatchsize)
        };
        self.record_panic(result, core::ptr::null_mut())
    }

    fn GetChangeBatch(
        &self,
        dwbatchsize: u32,
        psyncknowledge: Ref<ISyncKnowledge>,
        ppsyncchangebatch: OutRef<ISyncChangeBatch>,
        ppunkdataretriever: OutRef<IUnknown>,
    ) -> Result<()> {
        let result = unsafe {
            abi_k::get_change_batch(
                &Checked(self),
                dwbatchsize,
                psyncknowledge,
                ppsyncchangebatch,
                ppunkdataretriever,
            )
        };
        self.record_panic(result, core::ptr::null_mut())
    }

    fn GetFullEnumerationChangeBatch(
        &self,
        dwbatchsize: u32,
        pblowerenumerationbound: *const u8,
        psyncknowledge: Ref<ISyncKnowledge>,
        ppsyncchangebatch: OutRef<ISyncFullEnumerationChangeBatch>,
        ppunkdataretriever: OutRef<IUnknown>,
    ) -> Result<()> {
        let result = unsafe {
            abi_k::get_full_enumeration_change_batch(
                &Checked(self),
                dwbatchsize,
                pblowerenumerationbound,
                psyncknowledge,
                ppsyncchangebatch,
                ppunkdataretriever,
            )
        };
        self.record_panic(result, core::ptr::null_mut())
    }

    fn ProcessChangeBatch(
        &self,
        resolutionpolicy: CONFLICT_RESOLUTION_POLICY,
        psourcechangebatch: Ref<ISyncChangeBatch>,
        punkdataretriever: Ref<IUnknown>,
        pcallback: Ref<ISyncCallback>,
        psyncsessionstatistics: *mut SYNC_SESSION_STATISTICS,
    ) -> Result<()> {
        let result = unsafe {
            abi_k::process_change_batch(
                &Checked(self),
                resolutionpolicy,
                psourcechangebatch,
                punkdataretriever,
                pcallback,
                psyncsessionstatistics,
            )
        };
        self.record_panic(result, core::ptr::null_mut())
    }

    fn ProcessFullEnumerationChangeBatch(
        &self,
        resolutionpolicy: CONFLICT_RESOLUTION_POLICY,
        psourcechangebatch: Ref<ISyncFullEnumerationChangeBatch>,
        punkdataretriever: Ref<IUnknown>,
        pcallback: Ref<ISyncCallback>,
        psyncsessionstatistics: *mut SYNC_SESSION_STATISTICS,
    ) -> Result<()> {
        let result = unsafe {
            abi_k::process_full_enumeration_change_batch(
                &Checked(self),
                resolutionpolicy,
                psourcechangebatch,
                punkdataretriever,
                pcallback,
                psyncsessionstatistics,
            )
        };
        self.record_panic(result, core::ptr::null_mut())
    }

    #[inline]
    fn EndSession(&self, psessionstate: Ref<ISyncSessionState>) -> Result<()> {
        let raw = psessionstate
            .as_ref()
            .map_or(core::ptr::null_mut(), Interface::as_raw);
        let result = unsafe { abi_k::end_session(&Checked(self), psessionstate) };
        self.record_panic(result, raw)
    }
}
