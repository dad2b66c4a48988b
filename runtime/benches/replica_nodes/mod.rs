//! The replicas the synchronization benchmark (`benches/replica_sync.rs`) and its
//! instruction-count example (`examples/replica_profile.rs`) run: checked `ReplicaProvider`s
//! over in-memory stores, their items numbered.
//!
//! Two stores: the runtime's [`MemoryStore`] (items in ID order, what the benchmarks measure
//! by default) and [`HashStore`], a hash map a user might write (to show what the store's
//! access pattern costs: a session reads and writes items in ID order, which a hash map
//! scatters over memory).

use std::sync::Mutex;

use rustc_hash::FxHashMap;
use smallvec::SmallVec;
use windows_core::ComObject;
use winsync::engine::IdFormats;
use winsync::engine::sync::ItemError;
use winsync::framework::provider::ProviderObject;
use winsync::framework::replica::{ItemStore, MemoryStore, ReplicaProvider};

/// Item data in a hash map, IDs and values inline (FxHash, no allocation per entry).
#[derive(Default)]
pub struct HashStore(Mutex<Items>);

/// Item IDs to item data.
type Items = FxHashMap<SmallVec<[u8; 24]>, SmallVec<[u8; 16]>>;

impl ItemStore for HashStore {
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

/// A checked replica provider over store `S` as a COM object.
pub type Node<S = MemoryStore> = ComObject<ProviderObject<ReplicaProvider<S>>>;

/// Item `n`'s ID: `n` big-endian in the first four of 24 bytes.
pub fn item(n: u32) -> [u8; 24] {
    let mut id = [0; 24];
    id[..4].copy_from_slice(&n.to_be_bytes());
    id
}

/// Replica `id` over a [`MemoryStore`] holding items `0..items` (each item's data its
/// number), asking for batches of `batch` changes as a destination.
pub fn node(id: u8, items: u32, batch: u32) -> Node {
    node_over(id, items, batch, MemoryStore::new())
}

/// The same over a [`HashStore`].
#[allow(dead_code)]
pub fn hash_node(id: u8, items: u32, batch: u32) -> Node<HashStore> {
    node_over(id, items, batch, HashStore::default())
}

fn node_over<S: ItemStore + Send + Sync + 'static>(
    id: u8,
    items: u32,
    batch: u32,
    store: S,
) -> Node<S> {
    let provider =
        ReplicaProvider::new(IdFormats::GUID_GID, &[id; 16], store, batch).expect("valid");
    for n in 0..items {
        provider.write(&item(n), &n.to_le_bytes()).expect("a write");
    }
    ProviderObject::new(provider)
}
