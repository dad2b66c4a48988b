//! An [`ItemStore`] in memory: for tests, prototypes, caches and the benchmarks.

use std::sync::{Mutex, MutexGuard, PoisonError};

use smallvec::SmallVec;
use winsync_engine::ItemMap;
use winsync_engine::sync::ItemError;

use super::ItemStore;

/// An item's data: inline up to 16 bytes, on the heap beyond.
type Data = SmallVec<[u8; 16]>;

/// Item data in memory, by item ID in ID order: an [`ItemStore`] ready to use.
///
/// The items are kept in the engine's [`ItemMap`], the map a replica keeps its metadata in: a
/// session reads a source's items and writes a destination's in increasing ID order (ordered
/// groups, `NF:winsync.ISyncChangeBatch.BeginOrderedGroup`), which that map serves without
/// searching (writes in order append; reads in order find the entry after the one read
/// last). Any other order works, at the cost of a B-tree. Memory:
/// 64 bytes an item written in order (a 40-byte key and 24-byte data), plus the length of IDs
/// over 24 bytes and of data over 16.
///
/// One lock guards the items: calls from several threads are serialized. The store keeps no
/// change units (the [`ItemStore`] defaults refuse them). A conflict resolved with
/// `SRA_MERGE` replaces the item's data with the source's, unless the store was given a merge
/// function ([`MemoryStore::with_merge`]).
///
/// ```
/// use winsync::engine::IdFormats;
/// use winsync::framework::replica::{MemoryStore, ReplicaProvider};
///
/// let replica = ReplicaProvider::new(IdFormats::GUID_GID, &[1; 16], MemoryStore::new(), 100)?;
/// replica.write(&[7; 24], b"hello")?;
/// assert_eq!(replica.store().get(&[7; 24]).as_deref(), Some(&b"hello"[..]));
/// # Ok::<(), windows_core::Error>(())
/// ```
#[derive(Default)]
pub struct MemoryStore {
    items: Mutex<ItemMap<Data>>,
    merge: Option<Box<MergeFn>>,
}

/// A merge function: the item's data here (`None` for an item deleted here) and the source's,
/// to the merged data.
type MergeFn = dyn Fn(Option<&[u8]>, &[u8]) -> Vec<u8> + Send + Sync;

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("items", &self.len())
            .field("merge", &self.merge.is_some())
            .finish()
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty store with room for `capacity` items written in increasing ID order.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            items: Mutex::new(ItemMap::with_capacity(capacity)),
            merge: None,
        }
    }

    /// The store, merging with `merge` when a conflict is resolved with `SRA_MERGE`
    /// ([`ItemStore::merge`], `NF:winsync.IChangeConflict.SetResolveActionForChange`): `merge`
    /// takes the item's data here (`None` for an item deleted here) and the source's, and
    /// gives the merged data. It runs under the store's lock: it must not call the store.
    #[must_use]
    pub fn with_merge(
        mut self,
        merge: impl Fn(Option<&[u8]>, &[u8]) -> Vec<u8> + Send + Sync + 'static,
    ) -> Self {
        self.merge = Some(Box::new(merge));
        self
    }

    /// The data of item `id`; `None` for an item the store does not hold.
    pub fn get(&self, id: &[u8]) -> Option<Vec<u8>> {
        self.lock().get(id).map(|data| data.to_vec())
    }

    /// How many items it holds.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether it holds no item.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every item `(ID, data)`, in ID order: a copy taken under the lock.
    pub fn items(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.lock()
            .iter()
            .map(|(id, data)| (id.to_vec(), data.to_vec()))
            .collect()
    }

    /// The items. A panic while the lock was held cannot leave the map half-changed (each
    /// operation on it completes or does not start), so a poisoned lock is taken as it is.
    fn lock(&self) -> MutexGuard<'_, ItemMap<Data>> {
        self.items.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl ItemStore for MemoryStore {
    /// # Errors
    /// `no such item` for an item the store does not hold.
    fn load(&self, item: &[u8]) -> Result<Vec<u8>, ItemError> {
        self.lock()
            .get(item)
            .map(|data| data.to_vec())
            .ok_or_else(|| ItemError("no such item".into()))
    }

    /// Never fails.
    fn save(&self, item: &[u8], data: &[u8]) -> Result<(), ItemError> {
        self.lock().insert(item, Data::from_slice(data));
        Ok(())
    }

    /// Never fails; deleting an item the store does not hold does nothing.
    fn delete(&self, item: &[u8]) -> Result<(), ItemError> {
        self.lock().remove(item);
        Ok(())
    }

    /// The merge function's result (see [`MemoryStore::with_merge`]), else the source's data.
    /// Never fails.
    fn merge(&self, item: &[u8], data: &[u8]) -> Result<(), ItemError> {
        let mut items = self.lock();
        let merged = match &self.merge {
            Some(merge) => Data::from_vec(merge(items.get(item).map(|d| &d[..]), data)),
            None => Data::from_slice(data),
        };
        items.insert(item, merged);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u32) -> [u8; 24] {
        let mut id = [0; 24];
        id[..4].copy_from_slice(&n.to_be_bytes());
        id
    }

    #[test]
    fn keeps_saves_deletes_and_lists_in_id_order() {
        let store = MemoryStore::with_capacity(4);
        assert!(store.is_empty());
        // Out of order, data short and long (inline and on the heap).
        for n in [5, 1, 9, 3] {
            store.save(&id(n), &vec![n as u8; n as usize * 4]).unwrap();
        }
        store.save(&id(3), b"replaced").unwrap();
        store.delete(&id(9)).unwrap();
        store.delete(&id(42)).unwrap();
        assert_eq!(store.len(), 3);
        assert_eq!(store.load(&id(3)).unwrap(), b"replaced");
        assert_eq!(store.load(&id(5)).unwrap(), vec![5; 20]);
        assert_eq!(store.load(&id(9)).unwrap_err().0, "no such item");
        assert_eq!(store.get(&id(9)), None);
        let ids: Vec<Vec<u8>> = store.items().into_iter().map(|(id, _)| id).collect();
        assert_eq!(ids, vec![id(1).to_vec(), id(3).to_vec(), id(5).to_vec()]);
        assert!(store.load_unit(&id(1), b"u").is_err());
        // Without a merge function, a merge takes the source's data.
        store.merge(&id(1), b"theirs").unwrap();
        assert_eq!(store.get(&id(1)).unwrap(), b"theirs");
    }

    #[test]
    fn data_up_to_16_bytes_is_inline_in_24() {
        // With the item map's 40-byte key: the 64 bytes an item of the docs.
        assert_eq!(size_of::<Data>(), 24);
        assert!(!Data::from_slice(&[7; 16]).spilled());
    }

    #[test]
    fn merges_with_its_merge_function() {
        let store = MemoryStore::new()
            .with_merge(|mine, theirs| [mine.unwrap_or(b"(none)"), b"|", theirs].concat());
        store.save(&id(1), b"mine").unwrap();
        store.merge(&id(1), b"theirs").unwrap();
        store.merge(&id(2), b"new").unwrap();
        assert_eq!(store.get(&id(1)).unwrap(), b"mine|theirs");
        assert_eq!(store.get(&id(2)).unwrap(), b"(none)|new");
        assert_eq!(
            format!("{store:?}"),
            "MemoryStore { items: 2, merge: true }"
        );
    }
}
