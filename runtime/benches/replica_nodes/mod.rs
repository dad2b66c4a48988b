//! The replicas the synchronization benchmark (`benches/replica_sync.rs`) and its
//! instruction-count example (`examples/replica_profile.rs`) run: checked `ReplicaProvider`s
//! over an in-memory store, their items numbered.

use std::sync::Mutex;

use rustc_hash::FxHashMap;
use smallvec::SmallVec;
use windows_core::ComObject;
use winsync::engine::IdFormats;
use winsync::engine::sync::ItemError;
use winsync::framework::provider::ProviderObject;
use winsync::framework::replica::{ItemStore, ReplicaProvider};

/// Item data in a hash map, IDs and values inline (FxHash, no allocation per entry): a store
/// whose own costs stay small, so that the session's are measured.
#[derive(Default)]
pub struct Memory(Mutex<Items>);

/// Item IDs to item data.
type Items = FxHashMap<SmallVec<[u8; 24]>, SmallVec<[u8; 16]>>;

impl ItemStore for Memory {
    fn load(&self, item: &[u8]) -> Result<Vec<u8>, ItemError> {
        let map = self.0.lock().map_err(|_| ItemError("poisoned".into()))?;
        map.get(item)
            .map(|value| value.to_vec())
            .ok_or_else(|| ItemError("no such item".into()))
    }
    fn save(&self, item: &[u8], data: &[u8]) -> Result<(), ItemError> {
        let mut map = self.0.lock().map_err(|_| ItemError("poisoned".into()))?;
        map.insert(SmallVec::from_slice(item), SmallVec::from_slice(data));
        Ok(())
    }
    fn delete(&self, item: &[u8]) -> Result<(), ItemError> {
        let mut map = self.0.lock().map_err(|_| ItemError("poisoned".into()))?;
        map.remove(item);
        Ok(())
    }
}

/// A checked replica provider as a COM object.
pub type Node = ComObject<ProviderObject<ReplicaProvider<Memory>>>;

/// Item `n`'s ID: `n` big-endian in the first four of 24 bytes.
pub fn item(n: u32) -> [u8; 24] {
    let mut id = [0; 24];
    id[..4].copy_from_slice(&n.to_be_bytes());
    id
}

/// Replica `id` holding items `0..items` (each item's data its number), asking for batches of
/// `batch` changes as a destination.
pub fn node(id: u8, items: u32, batch: u32) -> Node {
    node_over(id, items, batch, Memory::default())
}

/// An empty replica `id` whose store has room for `capacity` items before it grows: to tell
/// the session's costs from those of a growing benchmark store.
#[allow(dead_code)]
pub fn presized_node(id: u8, capacity: usize, batch: u32) -> Node {
    let items = Items::with_capacity_and_hasher(capacity, Default::default());
    node_over(id, 0, batch, Memory(Mutex::new(items)))
}

fn node_over(id: u8, items: u32, batch: u32, store: Memory) -> Node {
    let provider =
        ReplicaProvider::new(IdFormats::GUID_GID, &[id; 16], store, batch).expect("valid");
    for n in 0..items {
        provider.write(&item(n), &n.to_le_bytes()).expect("a write");
    }
    ProviderObject::new(provider)
}
