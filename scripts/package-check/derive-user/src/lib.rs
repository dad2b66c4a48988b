//! A provider and a Sync Center handler made with the derives, as a user of the published
//! crates writes them.

use windows_core::{IUnknown, Result};
use winsync::bindings::{
    E_NOTIMPL, HWND, ID_PARAMETERS, ISyncCallback, ISyncChangeBatch,
    ISyncFullEnumerationChangeBatch, ISyncKnowledge, ISyncMgrSessionCreator, ISyncSessionState,
    SYNC_SESSION_STATISTICS,
};
use winsync::skeletons::{
    ConflictResolutionPolicy, KnowledgeSyncProvider, SyncMgrHandler, SyncProvider,
    SyncProviderRole,
};

/// A provider that counts its sessions.
#[derive(winsync::SyncProvider, Default)]
pub struct Replica {
    pub sessions: std::sync::atomic::AtomicUsize,
}

impl SyncProvider for Replica {
    fn get_id_parameters(&self, _id_parameters: &mut ID_PARAMETERS) -> Result<()> {
        Ok(())
    }
}

impl KnowledgeSyncProvider for Replica {
    fn begin_session(&self, _role: SyncProviderRole, _state: &ISyncSessionState) -> Result<()> {
        self.sessions
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }
    fn get_sync_batch_parameters(&self, _size: &mut u32) -> Result<ISyncKnowledge> {
        Err(E_NOTIMPL.into())
    }
    fn get_change_batch(
        &self,
        _batch_size: u32,
        _knowledge: &ISyncKnowledge,
    ) -> Result<(ISyncChangeBatch, IUnknown)> {
        Err(E_NOTIMPL.into())
    }
    fn get_full_enumeration_change_batch(
        &self,
        _batch_size: u32,
        _lower_bound: *const u8,
        _knowledge: &ISyncKnowledge,
    ) -> Result<(ISyncFullEnumerationChangeBatch, IUnknown)> {
        Err(E_NOTIMPL.into())
    }
    fn process_change_batch(
        &self,
        _policy: ConflictResolutionPolicy,
        _batch: &ISyncChangeBatch,
        _retriever: &IUnknown,
        _callback: &ISyncCallback,
        _statistics: &mut SYNC_SESSION_STATISTICS,
    ) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn process_full_enumeration_change_batch(
        &self,
        _policy: ConflictResolutionPolicy,
        _batch: &ISyncFullEnumerationChangeBatch,
        _retriever: &IUnknown,
        _callback: &ISyncCallback,
        _statistics: &mut SYNC_SESSION_STATISTICS,
    ) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn end_session(&self, _state: &ISyncSessionState) -> Result<()> {
        Ok(())
    }
}

/// A handler with a name and nothing to synchronize.
#[derive(winsync::SyncMgrHandler)]
pub struct Handler;

impl SyncMgrHandler for Handler {
    fn get_name(&self) -> Result<String> {
        Ok("packaged handler".into())
    }
    fn synchronize(
        &self,
        _item_ids: &[String],
        _owner: HWND,
        _creator: &ISyncMgrSessionCreator,
        _punk: Option<&IUnknown>,
    ) -> Result<()> {
        Ok(())
    }
}
