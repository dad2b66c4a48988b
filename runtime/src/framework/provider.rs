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
//! 3. the implementation, with panics contained: a panic is `E_UNEXPECTED`, and is recorded on
//!    the session with `ISyncSessionState2::SetProviderWithError(TRUE)` when the session state
//!    supports it.
//!
//! The session is guarded by a mutex: calls racing from several threads see at most one
//! session at a time.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Mutex, MutexGuard};

use windows_core::{ComObject, Error, IUnknown, Interface, OutRef, Ref, Result, implement};

use crate::bindings::{
    CONFLICT_RESOLUTION_POLICY, ID_PARAMETERS, IKnowledgeSyncProvider, IKnowledgeSyncProvider_Impl,
    ISyncCallback, ISyncChangeBatch, ISyncFullEnumerationChangeBatch, ISyncKnowledge,
    ISyncProvider, ISyncProvider_Impl, ISyncSessionState, ISyncSessionState2, SYNC_PROVIDER_ROLE,
    SYNC_SESSION_STATISTICS,
};
use crate::com::abi;
use crate::contract::Rule;
use crate::contracts;
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
        IKnowledgeSyncProvider, ISyncProvider, KnowledgeSyncProvider, Mutex, Session, implement,
    };

    /// A provider wrapped as a COM object implementing `IKnowledgeSyncProvider` and
    /// `ISyncProvider`, with the session contract checked (see the module docs).
    #[implement(IKnowledgeSyncProvider, ISyncProvider)]
    pub struct ProviderObject<T>
    where
        T: KnowledgeSyncProvider + Send + Sync + 'static,
    {
        pub(super) provider: T,
        pub(super) session: Mutex<Option<Session>>,
    }
}

/// The session a provider is enlisted in.
struct Session {
    role: SyncProviderRole,
    state: ISyncSessionState,
}

// SAFETY: the Sync Framework calls a provider from the session's thread; this object keeps the
// session state pointer only to compare identities, to release it, and to report a failure on
// it, always under the session mutex or after taking it out of the mutex.
unsafe impl Send for Session {}

impl<T> ProviderObject<T>
where
    T: KnowledgeSyncProvider + Send + Sync + 'static,
{
    /// Wraps `provider`; no session is active.
    pub fn new(provider: T) -> ComObject<Self> {
        ComObject::new(Self {
            provider,
            session: Mutex::new(None),
        })
    }

    /// The wrapped provider.
    pub fn provider(&self) -> &T {
        &self.provider
    }

    /// The role of the active session, if one is active.
    pub fn session_role(&self) -> Option<SyncProviderRole> {
        self.lock().as_ref().map(|session| session.role)
    }

    fn lock(&self) -> MutexGuard<'_, Option<Session>> {
        // A panic never happens while the lock is held (user code runs outside it), so a
        // poisoned lock still holds a consistent state.
        self.session
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The session's state pointer, if a session is active.
    fn active_state(&self) -> Option<ISyncSessionState> {
        self.lock().as_ref().map(|session| session.state.clone())
    }

    /// Checks that a session is active and, when `role` is given, that this provider has it.
    fn require(&self, outside: &Rule, role: Option<(SyncProviderRole, &Rule)>) -> Result<()> {
        let guard = self.lock();
        let Some(session) = guard.as_ref() else {
            return Err(violation(outside));
        };
        match role {
            Some((wanted, rule)) if session.role != wanted => Err(violation(rule)),
            _ => Ok(()),
        }
    }

    /// Runs implementation code, containing a panic: it becomes `E_UNEXPECTED` and, when the
    /// session state supports ISyncSessionState2, `SetProviderWithError(TRUE)`.
    fn run<R>(
        &self,
        state: Option<&ISyncSessionState>,
        f: impl FnOnce() -> Result<R>,
    ) -> Result<R> {
        catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
            let state = state.cloned().or_else(|| self.active_state());
            if let Some(state2) = state.and_then(|s| s.cast::<ISyncSessionState2>().ok()) {
                // The panic is the error being reported; a failure to record it changes nothing.
                let _ = unsafe { state2.SetProviderWithError(true) };
            }
            Err(abi::panic_error(payload.as_ref()))
        })
    }
}

fn violation(rule: &Rule) -> Error {
    Error::new(SYNC_E_INVALID_OPERATION, rule.to_string())
}

/// Whether two session state pointers are the same COM object: the same pointer, or else the
/// same `IUnknown` identity (the COM rule; the QueryInterface is only paid when the pointers
/// differ).
fn same_object(a: &ISyncSessionState, b: &ISyncSessionState) -> bool {
    a.as_raw() == b.as_raw()
        || match (a.cast::<IUnknown>(), b.cast::<IUnknown>()) {
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
        self.0
            .run(None, || self.0.provider.get_id_parameters(id_parameters))
    }
}

impl<T> KnowledgeSyncProvider for Checked<'_, T>
where
    T: KnowledgeSyncProvider + Send + Sync + 'static,
{
    fn begin_session(
        &self,
        role: SyncProviderRole,
        session_state: &ISyncSessionState,
    ) -> Result<()> {
        {
            let mut guard = self.0.lock();
            if guard.is_some() {
                return Err(violation(&contracts::PROVIDER_BEGIN_SESSION_ALREADY_ACTIVE));
            }
            *guard = Some(Session {
                role,
                state: session_state.clone(),
            });
        }
        let result = self.0.run(Some(session_state), || {
            self.0.provider.begin_session(role, session_state)
        });
        if result.is_err() {
            // A provider that could not begin is in no session: release the state again.
            let taken = self.0.lock().take();
            drop(taken);
        }
        result
    }

    fn get_sync_batch_parameters(&self, requested_batch_size: &mut u32) -> Result<ISyncKnowledge> {
        // Callable outside a session: endpoint-state loading calls it before BeginSession
        // (NF:winsync.IKnowledgeSyncProvider.GetSyncBatchParameters).
        self.0.run(None, || {
            self.0
                .provider
                .get_sync_batch_parameters(requested_batch_size)
        })
    }

    fn get_change_batch(
        &self,
        batch_size: u32,
        sync_knowledge: &ISyncKnowledge,
    ) -> Result<(ISyncChangeBatch, IUnknown)> {
        self.0.require(
            &contracts::PROVIDER_GET_CHANGE_BATCH_OUTSIDE_SESSION,
            Some((
                SyncProviderRole::Source,
                &contracts::PROVIDER_ROLE_SOURCE_GET_CHANGE_BATCH,
            )),
        )?;
        self.0.run(None, || {
            self.0.provider.get_change_batch(batch_size, sync_knowledge)
        })
    }

    fn get_full_enumeration_change_batch(
        &self,
        batch_size: u32,
        lower_enumeration_bound: *const u8,
        sync_knowledge: &ISyncKnowledge,
    ) -> Result<(ISyncFullEnumerationChangeBatch, IUnknown)> {
        self.0.require(
            &contracts::PROVIDER_GET_FULL_ENUMERATION_CHANGE_BATCH_OUTSIDE_SESSION,
            Some((
                SyncProviderRole::Source,
                &contracts::PROVIDER_ROLE_SOURCE_GET_FULL_ENUMERATION_CHANGE_BATCH,
            )),
        )?;
        self.0.run(None, || {
            self.0.provider.get_full_enumeration_change_batch(
                batch_size,
                lower_enumeration_bound,
                sync_knowledge,
            )
        })
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
            Some((
                SyncProviderRole::Destination,
                &contracts::PROVIDER_ROLE_DESTINATION_PROCESS_CHANGE_BATCH,
            )),
        )?;
        self.0.run(None, || {
            self.0.provider.process_change_batch(
                resolution_policy,
                source_change_batch,
                unk_data_retriever,
                callback,
                sync_session_statistics,
            )
        })
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
            Some((
                SyncProviderRole::Destination,
                &contracts::PROVIDER_ROLE_DESTINATION_PROCESS_FULL_ENUMERATION_CHANGE_BATCH,
            )),
        )?;
        self.0.run(None, || {
            self.0.provider.process_full_enumeration_change_batch(
                resolution_policy,
                source_change_batch,
                unk_data_retriever,
                callback,
                sync_session_statistics,
            )
        })
    }

    fn end_session(&self, session_state: &ISyncSessionState) -> Result<()> {
        let taken = {
            let mut guard = self.0.lock();
            match guard.as_ref() {
                None => return Err(violation(&contracts::PROVIDER_END_SESSION_WITHOUT_BEGIN)),
                Some(session) if !same_object(&session.state, session_state) => {
                    return Err(violation(
                        &contracts::PROVIDER_END_SESSION_SAME_SESSION_STATE,
                    ));
                }
                Some(_) => guard.take(),
            }
        };
        // The session is over whatever the implementation does; `taken` (this object's
        // reference to the session state) is released when this function returns, after the
        // implementation ran, panic or not.
        let state = taken.as_ref().map(|session| &session.state);
        self.0
            .run(state, || self.0.provider.end_session(session_state))
    }
}

impl<T> ISyncProvider_Impl for ProviderObject_Impl<T>
where
    T: KnowledgeSyncProvider + Send + Sync + 'static,
{
    fn GetIdParameters(&self, pidparameters: *mut ID_PARAMETERS) -> Result<()> {
        unsafe { abi_p::get_id_parameters(&Checked(self), pidparameters) }
    }
}

impl<T> IKnowledgeSyncProvider_Impl for ProviderObject_Impl<T>
where
    T: KnowledgeSyncProvider + Send + Sync + 'static,
{
    fn BeginSession(
        &self,
        role: SYNC_PROVIDER_ROLE,
        psessionstate: Ref<ISyncSessionState>,
    ) -> Result<()> {
        unsafe { abi_k::begin_session(&Checked(self), role, psessionstate) }
    }

    fn GetSyncBatchParameters(
        &self,
        ppsyncknowledge: OutRef<ISyncKnowledge>,
        pdwrequestedbatchsize: *mut u32,
    ) -> Result<()> {
        unsafe {
            abi_k::get_sync_batch_parameters(&Checked(self), ppsyncknowledge, pdwrequestedbatchsize)
        }
    }

    fn GetChangeBatch(
        &self,
        dwbatchsize: u32,
        psyncknowledge: Ref<ISyncKnowledge>,
        ppsyncchangebatch: OutRef<ISyncChangeBatch>,
        ppunkdataretriever: OutRef<IUnknown>,
    ) -> Result<()> {
        unsafe {
            abi_k::get_change_batch(
                &Checked(self),
                dwbatchsize,
                psyncknowledge,
                ppsyncchangebatch,
                ppunkdataretriever,
            )
        }
    }

    fn GetFullEnumerationChangeBatch(
        &self,
        dwbatchsize: u32,
        pblowerenumerationbound: *const u8,
        psyncknowledge: Ref<ISyncKnowledge>,
        ppsyncchangebatch: OutRef<ISyncFullEnumerationChangeBatch>,
        ppunkdataretriever: OutRef<IUnknown>,
    ) -> Result<()> {
        unsafe {
            abi_k::get_full_enumeration_change_batch(
                &Checked(self),
                dwbatchsize,
                pblowerenumerationbound,
                psyncknowledge,
                ppsyncchangebatch,
                ppunkdataretriever,
            )
        }
    }

    fn ProcessChangeBatch(
        &self,
        resolutionpolicy: CONFLICT_RESOLUTION_POLICY,
        psourcechangebatch: Ref<ISyncChangeBatch>,
        punkdataretriever: Ref<IUnknown>,
        pcallback: Ref<ISyncCallback>,
        psyncsessionstatistics: *mut SYNC_SESSION_STATISTICS,
    ) -> Result<()> {
        unsafe {
            abi_k::process_change_batch(
                &Checked(self),
                resolutionpolicy,
                psourcechangebatch,
                punkdataretriever,
                pcallback,
                psyncsessionstatistics,
            )
        }
    }

    fn ProcessFullEnumerationChangeBatch(
        &self,
        resolutionpolicy: CONFLICT_RESOLUTION_POLICY,
        psourcechangebatch: Ref<ISyncFullEnumerationChangeBatch>,
        punkdataretriever: Ref<IUnknown>,
        pcallback: Ref<ISyncCallback>,
        psyncsessionstatistics: *mut SYNC_SESSION_STATISTICS,
    ) -> Result<()> {
        unsafe {
            abi_k::process_full_enumeration_change_batch(
                &Checked(self),
                resolutionpolicy,
                psourcechangebatch,
                punkdataretriever,
                pcallback,
                psyncsessionstatistics,
            )
        }
    }

    fn EndSession(&self, psessionstate: Ref<ISyncSessionState>) -> Result<()> {
        unsafe { abi_k::end_session(&Checked(self), psessionstate) }
    }
}
