//! A provider built on the engine: [`ReplicaProvider`] implements `IKnowledgeSyncProvider`
//! for a replica whose item data lives in an [`ItemStore`] of yours, with knowledge, change
//! batches, change application, conflicts and forgotten-knowledge recovery done by the engine
//! (`winsync_engine::sync`) and handed out through this runtime's COM objects.
//!
//! ```no_run
//! use std::collections::BTreeMap;
//! use std::sync::Mutex;
//! use winsync::DerivedProvider as _;
//! use winsync::engine::IdFormats;
//! use winsync::engine::sync::ItemError;
//! use winsync::framework::provider::ProviderObject;
//! use winsync::framework::replica::{ItemStore, ReplicaProvider};
//!
//! #[derive(Default)]
//! struct Memory(Mutex<BTreeMap<Vec<u8>, Vec<u8>>>);
//!
//! impl ItemStore for Memory {
//!     fn load(&self, item: &[u8]) -> Result<Vec<u8>, ItemError> {
//!         self.0.lock().unwrap().get(item).cloned().ok_or_else(|| ItemError("no such item".into()))
//!     }
//!     fn save(&self, item: &[u8], data: &[u8]) -> Result<(), ItemError> {
//!         self.0.lock().unwrap().insert(item.to_vec(), data.to_vec());
//!         Ok(())
//!     }
//!     fn delete(&self, item: &[u8]) -> Result<(), ItemError> {
//!         self.0.lock().unwrap().remove(item);
//!         Ok(())
//!     }
//! }
//!
//! let replica = ReplicaProvider::new(IdFormats::GUID_GID, &[1; 16], Memory::default(), 100)?;
//! replica.write(&[7; 24], b"hello")?; // a local change: metadata and data
//! let provider = ProviderObject::new(replica).to_interface::<winsync::bindings::IKnowledgeSyncProvider>();
//! # Ok::<(), windows_core::Error>(())
//! ```
//!
//! A session between two of them (or with any provider that speaks [`data::IItemData`]):
//! [`crate::framework::driver::synchronize`].

pub mod conflict;
pub mod data;
mod provider;
mod received;
pub mod recoverable;
mod target;

pub use provider::ReplicaProvider;
use winsync_engine::sync::ItemError;

/// Where a replica keeps its items' data. Methods take `&self`: a provider is called from any
/// thread of a session; keep the data behind your own lock.
pub trait ItemStore: Send + Sync + 'static {
    /// An item's data, for a destination (the source's side of a session).
    ///
    /// # Errors
    /// An [`ItemError`] the destination records as a recoverable error on the change (and
    /// reports to its application with `ISyncCallback::OnRecoverableError`).
    fn load(&self, item: &[u8]) -> Result<Vec<u8>, ItemError>;

    /// Stores an item's data: a creation or an update from the source.
    ///
    /// # Errors
    /// An [`ItemError`]: the change is counted as failed, reported to the application as a
    /// recoverable error (`ISyncCallback::OnRecoverableError`, see [`recoverable`]), and comes
    /// again.
    fn save(&self, item: &[u8], data: &[u8]) -> Result<(), ItemError>;

    /// Deletes an item (for an item it does not hold, it records the deletion or does
    /// nothing).
    ///
    /// # Errors
    /// As [`ItemStore::save`].
    fn delete(&self, item: &[u8]) -> Result<(), ItemError>;

    /// Merges the source's data into an item (a conflict resolved with `SRA_MERGE`). By
    /// default the source's data replaces the item's.
    ///
    /// # Errors
    /// As [`ItemStore::save`].
    fn merge(&self, item: &[u8], data: &[u8]) -> Result<(), ItemError> {
        self.save(item, data)
    }
}
