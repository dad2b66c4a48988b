//! [`ReplicaProvider`]: `KnowledgeSyncProvider` and `SyncProvider` for an engine replica and an
//! [`ItemStore`]. Wrap it in [`crate::framework::provider::ProviderObject`] for the session
//! contract checks and the COM object.
//!
//! - `GetSyncBatchParameters`: the replica's knowledge and the batch size it was made with;
//! - `GetChangeBatch`: the next batch of what the destination's knowledge lacks
//!   ([`ChangeEnumerator`], kept for the session), with a data retriever over the store (items
//!   by [`ItemStore::load`], change units by [`ItemStore::load_unit`], see [`super::data`]);
//! - `ProcessChangeBatch`: the batch applied by the engine, data loaded through the source's
//!   retriever, conflicts under `CRP_NONE` put to `ISyncCallback::OnConflict` (an application
//!   that sets no action there defers the change, see [`super::conflict`]; a change decided
//!   unit by unit loads and saves each unit apart, [`ItemStore::load_unit`] /
//!   [`ItemStore::save_unit`], with per-unit actions on a unit conflict), recoverable
//!   errors and change-application progress reported to the callback (see `target`). A data
//!   retriever whose `GetIdParameters` declares other ID formats than the replica's is refused
//!   before anything is applied, with `SYNC_E_ID_FORMAT_MISMATCH` (rule
//!   `synchronous-data-retriever.get-id-parameters.schema`,
//!   `NF:winsync.ISynchronousDataRetriever.GetIdParameters`). A batch that answers FALSE to
//!   `ISyncChangeBatchAdvanced::GetBatchLevelKnowledgeShouldBeApplied` teaches only its applied
//!   changes' learned knowledge (rule
//!   `change-batch-advanced.get-batch-level-knowledge-should-be-applied.destination-saves`,
//!   `NF:winsync.ISyncChangeBatchAdvanced.GetBatchLevelKnowledgeShouldBeApplied`). When the source's
//!   forgotten knowledge shows this replica out of date, the callback's
//!   `OnFullEnumerationNeeded` decides: `SFEA_FULL_ENUMERATION` fails the call with
//!   `SYNC_E_FULL_ENUMERATION_MUST_BE_USED` (the session then switches to full enumeration),
//!   `SFEA_PARTIAL_SYNC` applies the batch learning only the items received, `SFEA_ABORT` fails
//!   with `HRESULT_FROM_WIN32(ERROR_CANCELLED)` (`NF:winsync.ISyncCallback.OnFullEnumerationNeeded`);
//!   a callback that does not answer gets full enumeration (the default of
//!   `NE:winsync.__MIDL___MIDL_itf_winsync_0000_0000_0004`);
//! - `GetFullEnumerationChangeBatch` / `ProcessFullEnumerationChangeBatch`: the same for the
//!   recovery.
//!
//! The callbacks run while the replica is locked: a callback must not call back into this
//! provider.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use windows_core::{Error, IUnknown, Interface, Result};
use winsync_engine::sync::{
    ApplyOptions, ApplyOutcome, ChangeEnumerator, ConflictPolicy, ItemMetadata, Replica,
};
use winsync_engine::{IdFormats, Knowledge, Version};

use super::ItemStore;
use super::data::unit_retriever;
use super::received::{SessionWork, batch_knowledge_applied, check_retriever_formats, progress};
use super::target::ComTarget;
use crate::bindings::{
    ID_PARAMETERS, ISyncCallback, ISyncChangeBatch, ISyncChangeBatchBase,
    ISyncFullEnumerationChangeBatch, ISyncKnowledge, ISyncSessionState, ISynchronousDataRetriever,
    SFEA_ABORT, SFEA_FULL_ENUMERATION, SFEA_PARTIAL_SYNC, SYNC_FULL_ENUMERATION_ACTION,
    SYNC_SESSION_STATISTICS,
};
use crate::framework::batch;
use crate::framework::batch::change::BatchContext;
use crate::framework::driver::E_CANCELLED;
use crate::framework::knowledge::wire::{engine, id_parameters, read_id};
use crate::framework::knowledge::{self as knowledge};
use crate::hresults::{SYNC_E_FULL_ENUMERATION_MUST_BE_USED, SYNC_E_INVALID_OPERATION};
use crate::skeletons::{
    ConflictResolutionPolicy, KnowledgeSyncProvider, SyncProvider, SyncProviderRole,
};

/// What the replica holds between calls: its metadata, the session's enumeration, and the
/// session's change-application work (as a destination).
struct State {
    replica: Replica,
    enumerator: Option<ChangeEnumerator>,
    full: Option<ChangeEnumerator>,
    work: SessionWork,
}

/// A provider for an engine replica whose data is in `S` (see the module docs).
pub struct ReplicaProvider<S: ItemStore> {
    store: Arc<S>,
    state: Mutex<State>,
    batch_size: u32,
}

impl<S: ItemStore> std::fmt::Debug for ReplicaProvider<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplicaProvider")
            .field("batch_size", &self.batch_size)
            .finish_non_exhaustive()
    }
}

impl<S: ItemStore> ReplicaProvider<S> {
    /// A replica `id` in `formats` that knows nothing yet, its data in `store`; as a
    /// destination it asks for batches of `batch_size` changes.
    ///
    /// # Errors
    /// `E_INVALIDARG` for formats the engine refuses; `SYNC_E_ID_FORMAT_MISMATCH` for an ID not
    /// of the replica format.
    pub fn new(formats: IdFormats, id: &[u8], store: S, batch_size: u32) -> Result<Self> {
        Ok(Self::from_replica(
            engine(Replica::new(formats, id))?,
            store,
            batch_size,
        ))
    }

    /// A provider over metadata kept from before (the data in `store` must match it).
    pub fn from_replica(replica: Replica, store: S, batch_size: u32) -> Self {
        Self {
            store: Arc::new(store),
            state: Mutex::new(State {
                replica,
                enumerator: None,
                full: None,
                work: SessionWork::default(),
            }),
            batch_size: batch_size.max(1),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Every change of the state is one engine call that changes nothing on failure.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// A copy of the replica's metadata (to keep it, or to inspect it).
    pub fn replica(&self) -> Replica {
        self.state().replica.clone()
    }

    /// The replica's knowledge.
    pub fn knowledge(&self) -> Knowledge {
        self.state().replica.knowledge().clone()
    }

    /// One item's metadata.
    pub fn item(&self, item: &[u8]) -> Option<ItemMetadata> {
        self.state().replica.item(item).cloned()
    }

    /// A local write: stores `data` and records a creation (or an update of an item that
    /// exists); returns the change's version.
    ///
    /// # Errors
    /// `SYNC_E_ID_FORMAT_MISMATCH` for an item ID not of the format; the store's error (then
    /// nothing is recorded).
    pub fn write(&self, item: &[u8], data: &[u8]) -> Result<Version> {
        let mut state = self.state();
        engine(state.replica.formats().check_item(item))?;
        self.store
            .save(item, data)
            .map_err(|e| Error::new(crate::bindings::E_FAIL, e.0))?;
        let live = state.replica.item(item).is_some_and(|m| !m.deleted());
        engine(if live {
            state.replica.update(item)
        } else {
            state.replica.create(item)
        })
    }

    /// A local change of one change unit of a live item (`NN:winsync.ISyncChangeUnit`):
    /// stores `data` as the unit's ([`ItemStore::save_unit`]) and records the unit's new
    /// version ([`Replica::update_unit`]); returns it. The item's other units, and its change
    /// version, are unchanged.
    ///
    /// # Errors
    /// `SYNC_E_ID_FORMAT_MISMATCH` for an item or change-unit ID not of the formats;
    /// `E_INVALIDARG` for an item that does not exist or is deleted; the store's error (then
    /// nothing is recorded).
    pub fn write_unit(&self, item: &[u8], unit: &[u8], data: &[u8]) -> Result<Version> {
        let mut state = self.state();
        engine(state.replica.formats().check_item(item))?;
        engine(state.replica.formats().check_change_unit(unit))?;
        if state.replica.item(item).is_none_or(|m| m.deleted()) {
            return Err(Error::new(crate::bindings::E_INVALIDARG, "no such item"));
        }
        self.store
            .save_unit(item, unit, data)
            .map_err(|e| Error::new(crate::bindings::E_FAIL, e.0))?;
        engine(state.replica.update_unit(item, unit))
    }

    /// A local deletion: deletes the data and leaves a tombstone; returns its version.
    ///
    /// # Errors
    /// `E_INVALIDARG` for an item that does not exist; the store's error.
    pub fn remove(&self, item: &[u8]) -> Result<Version> {
        let mut state = self.state();
        if state.replica.item(item).is_none_or(|m| m.deleted()) {
            return Err(Error::new(crate::bindings::E_INVALIDARG, "no such item"));
        }
        self.store
            .delete(item)
            .map_err(|e| Error::new(crate::bindings::E_FAIL, e.0))?;
        engine(state.replica.delete(item))
    }

    /// Removes the tombstones `forget` selects (see [`Replica::cleanup_tombstones`]); returns
    /// how many went.
    ///
    /// # Errors
    /// What forgetting refuses.
    pub fn cleanup_tombstones(
        &self,
        forget: impl FnMut(&[u8], &ItemMetadata) -> bool,
    ) -> Result<usize> {
        Ok(engine(self.state().replica.cleanup_tombstones(forget))?.len())
    }

    fn retriever(&self, formats: IdFormats) -> IUnknown {
        let store = self.store.clone();
        let load = Arc::new(move |item: &[u8]| {
            store
                .load(item)
                .map_err(|e| Error::new(crate::bindings::E_FAIL, e.0))
        });
        let store = self.store.clone();
        let load_unit = Arc::new(move |item: &[u8], unit: &[u8]| {
            store
                .load_unit(item, unit)
                .map_err(|e| Error::new(crate::bindings::E_FAIL, e.0))
        });
        unit_retriever(formats, load, load_unit).into()
    }

    /// Applies a batch read from `batch` (see the module docs).
    fn process(
        &self,
        policy: ConflictResolutionPolicy,
        batch: &ISyncChangeBatchBase,
        data_retriever: &IUnknown,
        callback: &ISyncCallback,
        statistics: &mut SYNC_SESSION_STATISTICS,
    ) -> Result<()> {
        let mut state = self.state();
        let formats = *state.replica.formats();
        let direct = super::data::state_of(data_retriever);
        let retriever: Option<ISynchronousDataRetriever> = data_retriever.cast().ok();
        check_retriever_formats(&formats, direct.as_deref(), retriever.as_ref())?;
        let batch_knowledge = batch_knowledge_applied(batch);
        let com_batch = batch;
        let batch = batch::from_com(batch, &formats)?;
        let progress = progress(&mut state.work, com_batch);
        let policy = match policy {
            ConflictResolutionPolicy::None => ConflictPolicy::Manual,
            ConflictResolutionPolicy::DestinationProviderWins => ConflictPolicy::DestinationWins,
            ConflictResolutionPolicy::SourceProviderWins => ConflictPolicy::SourceWins,
        };
        let mut target = ComTarget {
            store: &self.store,
            formats,
            source: batch.owner().into(),
            destination: state.replica.id().into(),
            retriever,
            direct,
            callback,
            callback2: callback.cast().ok(),
            applied: statistics.dwChangesApplied,
            failed: statistics.dwChangesFailed,
            progress,
            context: BatchContext::of(&batch),
            quiet: crate::framework::callback::is_quiet(callback),
            worked: None,
        };
        let mut options = ApplyOptions::new(policy);
        options.batch_knowledge = batch_knowledge;
        let applied = state.replica.apply_batch(&batch, options, &mut target);
        state.work.completed = target.progress.completed;
        let mut outcome = engine(applied)?;
        if outcome.full_enumeration_needed {
            let mut action: SYNC_FULL_ENUMERATION_ACTION = SFEA_FULL_ENUMERATION;
            // SAFETY: a live interface; `action` is writable. An application that does not
            // answer (E_NOTIMPL, any failure) gets full enumeration, the default of the
            // SYNC_FULL_ENUMERATION_ACTION page.
            if unsafe { callback.OnFullEnumerationNeeded(&mut action) }.is_err() {
                action = SFEA_FULL_ENUMERATION;
            }
            match action {
                SFEA_PARTIAL_SYNC => {
                    options.partial = true;
                    let applied = state.replica.apply_batch(&batch, options, &mut target);
                    state.work.completed = target.progress.completed;
                    outcome = engine(applied)?;
                }
                SFEA_ABORT => {
                    return Err(Error::new(
                        E_CANCELLED,
                        "the application aborted: the destination is out of date",
                    ));
                }
                _ => {
                    return Err(Error::new(
                        SYNC_E_FULL_ENUMERATION_MUST_BE_USED,
                        "the destination is out of date with the source's forgotten knowledge: full enumeration",
                    ));
                }
            }
        }
        add(statistics, &outcome);
        Ok(())
    }
}

fn add(statistics: &mut SYNC_SESSION_STATISTICS, outcome: &ApplyOutcome) {
    statistics.dwChangesApplied = statistics.dwChangesApplied.saturating_add(outcome.applied);
    statistics.dwChangesFailed = statistics.dwChangesFailed.saturating_add(outcome.failed);
}

impl<S: ItemStore> SyncProvider for ReplicaProvider<S> {
    fn get_id_parameters(&self, parameters: &mut ID_PARAMETERS) -> Result<()> {
        *parameters = id_parameters(self.state().replica.formats());
        Ok(())
    }
}

impl<S: ItemStore> KnowledgeSyncProvider for ReplicaProvider<S> {
    fn begin_session(&self, _role: SyncProviderRole, _state: &ISyncSessionState) -> Result<()> {
        let mut state = self.state();
        state.enumerator = None;
        state.full = None;
        state.work = SessionWork::default();
        Ok(())
    }

    fn get_sync_batch_parameters(&self, batch_size: &mut u32) -> Result<ISyncKnowledge> {
        *batch_size = self.batch_size;
        Ok(knowledge::to_com(self.state().replica.knowledge().clone()))
    }

    fn get_change_batch(
        &self,
        batch_size: u32,
        destination: &ISyncKnowledge,
    ) -> Result<(ISyncChangeBatch, IUnknown)> {
        let mut state = self.state();
        let formats = *state.replica.formats();
        if state.enumerator.is_none() {
            let destination = knowledge::from_com(destination, Some(&formats))?;
            let enumerator = engine(ChangeEnumerator::new(&state.replica, &destination))?;
            state.enumerator = Some(enumerator);
        }
        let State {
            replica,
            enumerator,
            ..
        } = &mut *state;
        let enumerator = enumerator
            .as_mut()
            .ok_or_else(|| Error::from_hresult(SYNC_E_INVALID_OPERATION))?;
        if enumerator.done() {
            return Err(Error::new(
                SYNC_E_INVALID_OPERATION,
                "the last batch of the session was already handed out",
            ));
        }
        let batch = engine(enumerator.next_batch(replica, batch_size))?;
        let batch: ISyncChangeBatch = batch::to_com(batch).cast()?;
        Ok((batch, self.retriever(formats)))
    }

    // The skeleton passes the ID as the raw pointer of the ABI; the generated adapter is its
    // caller, under the COM caller's contract (an item ID of the format).
    #[allow(clippy::not_unsafe_ptr_arg_deref)]
    fn get_full_enumeration_change_batch(
        &self,
        batch_size: u32,
        lower: *const u8,
        destination: &ISyncKnowledge,
    ) -> Result<(ISyncFullEnumerationChangeBatch, IUnknown)> {
        let mut state = self.state();
        let formats = *state.replica.formats();
        if state.full.is_none() {
            // SAFETY: the COM caller's contract: an item ID.
            let lower = unsafe { read_id(lower, &formats.item, "item ID") }?;
            let destination = knowledge::from_com(destination, Some(&formats))?;
            let enumerator = engine(ChangeEnumerator::full(
                &state.replica,
                &destination,
                Some(lower),
            ))?;
            state.full = Some(enumerator);
        }
        let State { replica, full, .. } = &mut *state;
        let enumerator = full
            .as_mut()
            .ok_or_else(|| Error::from_hresult(SYNC_E_INVALID_OPERATION))?;
        if enumerator.done() {
            return Err(Error::new(
                SYNC_E_INVALID_OPERATION,
                "the last full-enumeration batch was already handed out",
            ));
        }
        let batch = engine(enumerator.next_batch(replica, batch_size))?;
        let batch: ISyncFullEnumerationChangeBatch = batch::to_com(batch).cast()?;
        Ok((batch, self.retriever(formats)))
    }

    fn process_change_batch(
        &self,
        policy: ConflictResolutionPolicy,
        batch: &ISyncChangeBatch,
        data_retriever: &IUnknown,
        callback: &ISyncCallback,
        statistics: &mut SYNC_SESSION_STATISTICS,
    ) -> Result<()> {
        self.process(policy, &batch.cast()?, data_retriever, callback, statistics)
    }

    fn process_full_enumeration_change_batch(
        &self,
        policy: ConflictResolutionPolicy,
        batch: &ISyncFullEnumerationChangeBatch,
        data_retriever: &IUnknown,
        callback: &ISyncCallback,
        statistics: &mut SYNC_SESSION_STATISTICS,
    ) -> Result<()> {
        self.process(policy, &batch.cast()?, data_retriever, callback, statistics)
    }

    fn end_session(&self, _state: &ISyncSessionState) -> Result<()> {
        let mut state = self.state();
        state.enumerator = None;
        state.full = None;
        state.work = SessionWork::default();
        Ok(())
    }
}
