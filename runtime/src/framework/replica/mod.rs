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
//! [`MemoryStore`] is a store ready to use: item data in memory, in ID order.
//!
//! A session between two of them (or with any provider that speaks [`data::IItemData`]):
//! [`crate::framework::driver::synchronize`].
//!
//! ## Change units
//!
//! An item may be kept as change units (`NN:winsync.ISyncChangeUnit`): a store that implements
//! [`ItemStore::load_unit`], [`ItemStore::save_unit`] (and, for `SRA_MERGE` on a unit,
//! [`ItemStore::merge_unit`]) lets [`ReplicaProvider::write_unit`] change one unit locally, and
//! lets a destination apply a source's change unit by unit (the engine's
//! `winsync_engine::sync::units`): each unit's data is loaded with a load of its own (see
//! [`data`]), a unit that cannot be loaded or saved fails alone (a recoverable error, reported
//! as for an item, and left out of what the destination learns), and a conflict on units is put
//! to the application with per-unit actions (see [`conflict`]). A change that creates or
//! replaces the item whole still travels whole ([`ItemStore::load`] / [`ItemStore::save`]
//! carry every unit). A store that keeps no change units (the default methods) fails each unit
//! change as a recoverable error: nothing of it is kept or learned, and it comes again.

pub mod conflict;
pub mod data;
mod memory;
mod provider;
mod received;
pub mod recoverable;
mod resolve;
mod target;

pub use memory::MemoryStore;
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

    /// One change unit's data, for a destination that applies a change unit by unit (see the
    /// module docs). By default refused: the store keeps no change units.
    ///
    /// # Errors
    /// An [`ItemError`]: the source sets a recoverable error on that unit
    /// (`NF:winsync.ILoadChangeContext.SetRecoverableErrorOnChangeUnit`); the destination
    /// fails that unit alone.
    fn load_unit(&self, item: &[u8], unit: &[u8]) -> Result<Vec<u8>, ItemError> {
        let _ = (item, unit);
        Err(no_units())
    }

    /// Stores one change unit's data into an item the store holds, its other units as they
    /// were: a local change ([`ReplicaProvider::write_unit`]) or a source's unit change. By
    /// default refused: the store keeps no change units.
    ///
    /// # Errors
    /// An [`ItemError`]: the unit change is counted as failed, reported to the application as
    /// a recoverable error, left out of what the destination learns
    /// (`NF:winsync.ISyncKnowledge.ExcludeChangeUnit`), and comes again; for a local change,
    /// nothing is recorded.
    fn save_unit(&self, item: &[u8], unit: &[u8], data: &[u8]) -> Result<(), ItemError> {
        let _ = (item, unit, data);
        Err(no_units())
    }

    /// Merges the source's data of one change unit into the item's (a conflict on the unit
    /// resolved with `SRA_MERGE`). By default the source's unit replaces the item's
    /// ([`ItemStore::save_unit`]).
    ///
    /// # Errors
    /// As [`ItemStore::save_unit`].
    fn merge_unit(&self, item: &[u8], unit: &[u8], data: &[u8]) -> Result<(), ItemError> {
        self.save_unit(item, unit, data)
    }
}

/// The error of a store that keeps no change units.
fn no_units() -> ItemError {
    ItemError("the store keeps no change units".into())
}
