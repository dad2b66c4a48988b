//! Example: key/value replicas synchronized through the Windows Sync interfaces, built on the
//! engine: no hand-made knowledge, batches or change application.
//!
//! - [`KvReplica`] is a provider made with `#[derive(winsync::SyncProvider)]`: items
//!   `key -> value` in memory, their metadata, knowledge, batches and conflicts handled by
//!   [`ReplicaProvider`] (`winsync::framework::replica`);
//! - [`FolderReplica`] is a differently written provider: each item a file in a folder, a
//!   `ReplicaProvider` wrapped without a derive. The two meet only through the interfaces (item
//!   data travels as `IItemData`);
//! - [`Reporter`] is the application's callback, made with `#[derive(winsync::SyncCallback)]`:
//!   it records progress and resolves conflicts with the action it was made with.
//!
//! Item IDs are the keys' bytes (a variable format, up to 256 bytes); replica IDs are 4 bytes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use windows_core::{ComObject, IUnknown, Result};
use winsync::bindings::*;
use winsync::engine::sync::ItemError;
use winsync::engine::{IdFormat, IdFormats, Knowledge, Version};
use winsync::framework::provider::ProviderObject;
use winsync::framework::replica::{ItemStore, MemoryStore, ReplicaProvider};
use winsync::skeletons::{
    ConflictResolutionPolicy, KnowledgeSyncProvider, SyncCallback, SyncCallback2,
    SyncProgressStage, SyncProvider, SyncProviderRole,
};

/// The ID formats of the example: 4-byte replica IDs, keys of 1 to 256 bytes as item IDs.
pub const FORMATS: IdFormats = IdFormats {
    replica: IdFormat::fixed(4),
    item: IdFormat::variable(258),
    change_unit: IdFormat::fixed(1),
};

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every update completes under the lock: a poisoned lock is consistent.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// An in-memory key/value replica, a provider through the derive.
#[derive(winsync::SyncProvider)]
pub struct KvReplica(ReplicaProvider<MemoryStore>);

impl std::fmt::Debug for KvReplica {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.values()).finish()
    }
}

impl KvReplica {
    /// An empty replica `id` that asks for batches of `batch_size` changes as a destination.
    ///
    /// # Errors
    /// Never for these formats; kept for the engine's checks.
    pub fn new(id: u32, batch_size: u32) -> Result<Self> {
        Ok(Self(ReplicaProvider::new(
            FORMATS,
            &id.to_le_bytes(),
            // A conflict merged by the application keeps both values: `mine|theirs`.
            MemoryStore::new()
                .with_merge(|mine, theirs| [mine.unwrap_or_default(), b"|", theirs].concat()),
            batch_size,
        )?))
    }

    /// Writes `key = value` (a creation or an update); returns the change's version.
    ///
    /// # Errors
    /// `SYNC_E_ID_FORMAT_MISMATCH` for an empty key or one over 256 bytes.
    pub fn put(&self, key: &str, value: &str) -> Result<Version> {
        self.0.write(key.as_bytes(), value.as_bytes())
    }

    /// Deletes `key`.
    ///
    /// # Errors
    /// `E_INVALIDARG` for a key that does not exist.
    pub fn delete(&self, key: &str) -> Result<Version> {
        self.0.remove(key.as_bytes())
    }

    /// Every item, as text.
    pub fn values(&self) -> BTreeMap<String, String> {
        self.0
            .store()
            .items()
            .into_iter()
            .map(|(k, v)| {
                (
                    String::from_utf8_lossy(&k).into_owned(),
                    String::from_utf8_lossy(&v).into_owned(),
                )
            })
            .collect()
    }

    /// The replica's knowledge.
    pub fn knowledge(&self) -> Knowledge {
        self.0.knowledge()
    }
}

impl SyncProvider for KvReplica {
    fn get_id_parameters(&self, parameters: &mut ID_PARAMETERS) -> Result<()> {
        self.0.get_id_parameters(parameters)
    }
}

impl KnowledgeSyncProvider for KvReplica {
    fn begin_session(&self, role: SyncProviderRole, state: &ISyncSessionState) -> Result<()> {
        self.0.begin_session(role, state)
    }
    fn get_sync_batch_parameters(&self, size: &mut u32) -> Result<ISyncKnowledge> {
        self.0.get_sync_batch_parameters(size)
    }
    fn get_change_batch(
        &self,
        size: u32,
        knowledge: &ISyncKnowledge,
    ) -> Result<(ISyncChangeBatch, IUnknown)> {
        self.0.get_change_batch(size, knowledge)
    }
    #[allow(clippy::not_unsafe_ptr_arg_deref)] // The raw ID goes on to the replica unread.
    fn get_full_enumeration_change_batch(
        &self,
        size: u32,
        lower: *const u8,
        knowledge: &ISyncKnowledge,
    ) -> Result<(ISyncFullEnumerationChangeBatch, IUnknown)> {
        self.0
            .get_full_enumeration_change_batch(size, lower, knowledge)
    }
    fn process_change_batch(
        &self,
        policy: ConflictResolutionPolicy,
        batch: &ISyncChangeBatch,
        retriever: &IUnknown,
        callback: &ISyncCallback,
        statistics: &mut SYNC_SESSION_STATISTICS,
    ) -> Result<()> {
        self.0
            .process_change_batch(policy, batch, retriever, callback, statistics)
    }
    fn process_full_enumeration_change_batch(
        &self,
        policy: ConflictResolutionPolicy,
        batch: &ISyncFullEnumerationChangeBatch,
        retriever: &IUnknown,
        callback: &ISyncCallback,
        statistics: &mut SYNC_SESSION_STATISTICS,
    ) -> Result<()> {
        self.0
            .process_full_enumeration_change_batch(policy, batch, retriever, callback, statistics)
    }
    fn end_session(&self, state: &ISyncSessionState) -> Result<()> {
        self.0.end_session(state)
    }
}

/// Items as files of a folder: the key's bytes in hex as the file name, the value as content.
#[derive(Debug)]
pub struct FolderStore(PathBuf);

impl FolderStore {
    fn path(&self, item: &[u8]) -> PathBuf {
        self.0
            .join(item.iter().map(|b| format!("{b:02x}")).collect::<String>())
    }

    /// Every item of the folder, keys and values as text.
    pub fn values(&self) -> BTreeMap<String, String> {
        let files = std::fs::read_dir(&self.0).into_iter().flatten().flatten();
        files
            .filter_map(|entry| {
                let name = entry.file_name().into_string().ok()?;
                let key: Vec<u8> = (0..name.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(name.get(i..i + 2)?, 16).ok())
                    .collect::<Option<_>>()?;
                let value = std::fs::read(entry.path()).ok()?;
                Some((
                    String::from_utf8_lossy(&key).into_owned(),
                    String::from_utf8_lossy(&value).into_owned(),
                ))
            })
            .collect()
    }
}

fn io(error: std::io::Error) -> ItemError {
    ItemError(error.to_string())
}

impl ItemStore for FolderStore {
    fn load(&self, item: &[u8]) -> std::result::Result<Vec<u8>, ItemError> {
        std::fs::read(self.path(item)).map_err(io)
    }
    fn save(&self, item: &[u8], data: &[u8]) -> std::result::Result<(), ItemError> {
        std::fs::write(self.path(item), data).map_err(io)
    }
    fn delete(&self, item: &[u8]) -> std::result::Result<(), ItemError> {
        match std::fs::remove_file(self.path(item)) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(io(error)),
            _ => Ok(()),
        }
    }
}

/// A replica whose items are files of `folder` (created if missing), as a checked provider.
pub type FolderReplica = ComObject<ProviderObject<ReplicaProvider<FolderStore>>>;

/// Opens a folder replica `id`.
///
/// # Errors
/// The folder cannot be created (`E_FAIL` with the reason).
pub fn folder_replica(id: u32, folder: &Path, batch_size: u32) -> Result<FolderReplica> {
    std::fs::create_dir_all(folder).map_err(|e| windows_core::Error::new(E_FAIL, e.to_string()))?;
    let store = FolderStore(folder.to_path_buf());
    Ok(ProviderObject::new(ReplicaProvider::new(
        FORMATS,
        &id.to_le_bytes(),
        store,
        batch_size,
    )?))
}

/// The application's callback: records progress and changes, resolves each conflict with
/// `action` (`NF:winsync.IChangeConflict.SetResolveActionForChange`).
#[derive(winsync::SyncCallback, Debug)]
pub struct Reporter {
    action: SYNC_RESOLVE_ACTION,
    print: bool,
    progress: Mutex<Vec<(SyncProviderRole, SyncProgressStage, u32)>>,
    conflicts: Mutex<u32>,
}

impl Reporter {
    /// A callback resolving conflicts with `action`, printing what it sees when `print`.
    pub fn new(action: SYNC_RESOLVE_ACTION, print: bool) -> Self {
        Self {
            action,
            print,
            progress: Mutex::new(Vec::new()),
            conflicts: Mutex::new(0),
        }
    }

    /// The `OnProgress` events so far: role, stage, completed work.
    pub fn progress(&self) -> Vec<(SyncProviderRole, SyncProgressStage, u32)> {
        lock(&self.progress).clone()
    }

    /// The conflicts resolved so far.
    pub fn conflicts(&self) -> u32 {
        *lock(&self.conflicts)
    }
}

impl SyncCallback for Reporter {
    fn on_progress(
        &self,
        role: SyncProviderRole,
        stage: SyncProgressStage,
        completed: u32,
        _total: u32,
    ) -> Result<()> {
        if self.print {
            println!("  progress: {role:?} {stage:?} {completed}");
        }
        lock(&self.progress).push((role, stage, completed));
        Ok(())
    }

    fn on_conflict(&self, conflict: &IChangeConflict) -> Result<()> {
        *lock(&self.conflicts) += 1;
        if self.print {
            println!("  conflict: resolved with action {}", self.action);
        }
        // SAFETY: a live interface, inside OnConflict as the page requires.
        unsafe { conflict.SetResolveActionForChange(self.action) }.ok()
    }
}

impl SyncCallback2 for Reporter {}
