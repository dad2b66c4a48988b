//! What the handler's `get_handler_info` returns.

use windows_core::{Error, Result};
use winsync::bindings::{E_FAIL, FILETIME};
use winsync::skeletons::{SyncMgrHandlerInfo, SyncmgrHandlerType};

/// What [`FolderSync`](crate::FolderSync)'s `get_handler_info` returns: a snapshot of the handler's state
/// when Sync Center asked.
#[derive(Clone, Debug)]
pub struct FolderSyncInfo {
    /// The comment shown in Sync Center.
    pub comment: String,
    /// When the last synchronization ended.
    pub last_sync: Option<FILETIME>,
    /// Whether the handler is active.
    pub active: bool,
    /// Whether the handler is enabled.
    pub enabled: bool,
    /// Whether both folders exist.
    pub connected: bool,
}

impl SyncMgrHandlerInfo for FolderSyncInfo {
    fn get_type(&self) -> Result<SyncmgrHandlerType> {
        Ok(SyncmgrHandlerType::Folder)
    }

    fn get_type_label(&self) -> Result<String> {
        Ok("Folder".to_string())
    }

    fn get_comment(&self) -> Result<String> {
        Ok(self.comment.clone())
    }

    fn get_last_sync_time(&self) -> Result<FILETIME> {
        // Never synchronized: failing keeps Sync Center's previous value
        // (`NF:syncmgr.ISyncMgrHandlerInfo.GetLastSyncTime`).
        self.last_sync
            .ok_or_else(|| Error::new(E_FAIL, "not synchronized yet"))
    }

    fn is_active(&self) -> Result<bool> {
        Ok(self.active)
    }

    fn is_enabled(&self) -> Result<bool> {
        Ok(self.enabled)
    }

    fn is_connected(&self) -> Result<bool> {
        Ok(self.connected)
    }
}
