//! Values by item ID, in ID order, with cheap appends: the map a replica keeps its item
//! metadata in, public for stores that keep item data the same way (the runtime's in-memory
//! store).
//!
//! A destination applying an ordered group inserts increasing IDs, and a replica recording
//! local creations of new items usually does too; a B-tree searches from its root for each
//! (about 570 instructions a change at 20,000 items, the largest single cost of applying a
//! batch). So the map is a `BTreeMap` (`main`) and a sorted `Vec` (`tail`) of entries whose
//! IDs are greater than every ID of `main`:
//!
//! - an ID greater than `main`'s greatest is looked up in `tail` (its last entry first, then
//!   by binary search), and one greater than `tail`'s last too is appended to it: appending
//!   IDs in order never touches the B-tree;
//! - an insertion or removal inside `tail` (not at its end) first merges `tail` into `main`:
//!   by one B-tree insertion per entry while `tail` is shorter than `main`, else by a bulk
//!   rebuild (`BTreeMap::append`, linear in both). Each entry is merged at most once after it
//!   was appended, at the cost of an insertion into a B-tree (or less), so no sequence of
//!   operations costs more per entry than the B-tree alone, up to a constant.
//!
//! Keys are item IDs held inline up to 24 bytes with their first eight bytes as a number
//! (`key.rs`): most comparisons are one integer comparison. A lookup in `tail` first tries the
//! entry found last and the one after it (a hint kept in an atomic, so lookups stay `&self`
//! and the map `Sync`): reading items in ID order, as a source does, takes no search.
//!
//! Invariant: `tail` is sorted, without duplicates, and each of its IDs is greater than every
//! ID of `main`.

mod key;

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::collections::btree_map;
use std::sync::atomic::{self, AtomicUsize};

use key::ItemKey;

/// Values by item ID in ID order (see the module docs). IDs are ordered as their bytes are
/// (the order of ordered groups and ranges, `NF:winsync.ISyncChangeBatch.BeginOrderedGroup`).
/// Inserting IDs in increasing order appends; looking them up in increasing order searches a
/// sorted vector. Memory: the value plus about 40 bytes an entry (IDs over 24 bytes add their
/// length on the heap).
#[derive(Debug)]
pub struct ItemMap<V> {
    main: BTreeMap<ItemKey, V>,
    tail: Vec<(ItemKey, V)>,
    /// The index in `tail` found last (any value is safe: it is only tried).
    hint: AtomicUsize,
}

impl<V> Default for ItemMap<V> {
    fn default() -> Self {
        Self::with_capacity(0)
    }
}

impl<V: Clone> Clone for ItemMap<V> {
    fn clone(&self) -> Self {
        Self {
            main: self.main.clone(),
            tail: self.tail.clone(),
            hint: AtomicUsize::new(self.hint.load(atomic::Ordering::Relaxed)),
        }
    }
}

/// A place in an [`ItemMap`], as `BTreeMap::entry` gives one.
pub(crate) enum Entry<'a, V> {
    /// The ID is held; its value.
    Occupied(&'a mut V),
    /// The ID is not held.
    Vacant(Vacant<'a, V>),
}

/// Where a missing ID goes.
pub(crate) enum Vacant<'a, V> {
    /// Into `main`.
    Main(btree_map::VacantEntry<'a, ItemKey, V>),
    /// At the end of `tail`.
    Append(&'a mut ItemMap<V>, ItemKey),
}

impl<V> Vacant<'_, V> {
    /// Inserts `value` for the ID.
    pub(crate) fn insert(self, value: V) {
        match self {
            Vacant::Main(entry) => {
                entry.insert(value);
            }
            Vacant::Append(map, key) => map.tail.push((key, value)),
        }
    }
}

impl<V> ItemMap<V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty map with room for `capacity` entries appended in ID order.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            main: BTreeMap::new(),
            tail: Vec::with_capacity(capacity),
            hint: AtomicUsize::new(0),
        }
    }

    /// How many items it holds.
    pub fn len(&self) -> usize {
        self.main.len() + self.tail.len()
    }

    /// Whether it holds no item.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `key` is greater than every ID of `main` (so it belongs in `tail`).
    fn beyond_main(&self, key: &ItemKey) -> bool {
        self.main
            .last_key_value()
            .is_none_or(|(last, _)| key > last)
    }

    fn tail_index(&self, key: &ItemKey) -> Result<usize, usize> {
        // Appends in order and lookups of the last entry are the common cases.
        match self.tail.last() {
            None => return Err(0),
            Some((last, _)) => match key.cmp(last) {
                Ordering::Greater => return Err(self.tail.len()),
                Ordering::Equal => return Ok(self.tail.len() - 1),
                Ordering::Less => {}
            },
        }
        // Then the entry found last and the next one (lookups in ID order); `key` is less
        // than the last entry, so `hint + 1` exists whenever `key` is greater than `hint`'s.
        let hint = self.hint.load(atomic::Ordering::Relaxed);
        if let Some((at, _)) = self.tail.get(hint) {
            match key.cmp(at) {
                Ordering::Equal => return Ok(hint),
                Ordering::Greater => match key.cmp(&self.tail[hint + 1].0) {
                    Ordering::Equal => {
                        self.hint.store(hint + 1, atomic::Ordering::Relaxed);
                        return Ok(hint + 1);
                    }
                    Ordering::Less => return Err(hint + 1),
                    Ordering::Greater => {}
                },
                Ordering::Less => {}
            }
        }
        let found = self.tail.binary_search_by(|(id, _)| id.cmp(key));
        if let Ok(i) = found {
            self.hint.store(i, atomic::Ordering::Relaxed);
        }
        found
    }

    /// Moves `tail` into `main` (see the module docs for how).
    fn flush(&mut self) {
        if self.tail.len() < self.main.len() {
            for (key, value) in self.tail.drain(..) {
                self.main.insert(key, value);
            }
        } else {
            let mut tail: BTreeMap<ItemKey, V> = self.tail.drain(..).collect();
            self.main.append(&mut tail);
        }
    }

    /// The value of item `id`.
    pub fn get(&self, id: &[u8]) -> Option<&V> {
        let key = ItemKey::new(id);
        match self.tail.first() {
            Some((first, _)) if key >= *first => {
                self.tail_index(&key).ok().map(|i| &self.tail[i].1)
            }
            _ => self.main.get(&key),
        }
    }

    /// The value of item `id`, to change.
    pub fn get_mut(&mut self, id: &[u8]) -> Option<&mut V> {
        let key = ItemKey::new(id);
        match self.tail.first() {
            Some((first, _)) if key >= *first => match self.tail_index(&key) {
                Ok(i) => Some(&mut self.tail[i].1),
                Err(_) => None,
            },
            _ => self.main.get_mut(&key),
        }
    }

    /// The place of item `id`.
    pub(crate) fn entry(&mut self, id: &[u8]) -> Entry<'_, V> {
        let key = ItemKey::new(id);
        if self.beyond_main(&key) {
            match self.tail_index(&key) {
                Ok(i) => return Entry::Occupied(&mut self.tail[i].1),
                Err(i) if i == self.tail.len() => return Entry::Vacant(Vacant::Append(self, key)),
                // Inside `tail`: it goes into `main` with the rest.
                Err(_) => self.flush(),
            }
        }
        match self.main.entry(key) {
            btree_map::Entry::Occupied(held) => Entry::Occupied(held.into_mut()),
            btree_map::Entry::Vacant(free) => Entry::Vacant(Vacant::Main(free)),
        }
    }

    /// Sets the value of item `id`; returns the value it replaced.
    pub fn insert(&mut self, id: &[u8], value: V) -> Option<V> {
        match self.entry(id) {
            Entry::Occupied(held) => Some(std::mem::replace(held, value)),
            Entry::Vacant(free) => {
                free.insert(value);
                None
            }
        }
    }

    /// Removes item `id`; returns its value.
    pub fn remove(&mut self, id: &[u8]) -> Option<V> {
        let key = ItemKey::new(id);
        if let Some((first, _)) = self.tail.first()
            && key >= *first
        {
            let i = self.tail_index(&key).ok()?;
            if i + 1 == self.tail.len() {
                return self.tail.pop().map(|(_, value)| value);
            }
            self.flush();
        }
        self.main.remove(&key)
    }

    /// Every entry `(ID, value)`, in ID order.
    pub fn iter(&self) -> Iter<'_, V> {
        Iter {
            main: self.main.iter(),
            tail: self.tail.iter(),
        }
    }

    /// The entries from item `lower` (included) on, in ID order.
    pub fn range_from<'a>(&'a self, lower: &[u8]) -> impl Iterator<Item = (&'a [u8], &'a V)> + 'a {
        let lower = ItemKey::new(lower);
        let start = self.tail.partition_point(|(id, _)| *id < lower);
        self.main
            .range(lower..)
            .map(|(id, value)| (id.bytes(), value))
            .chain(
                self.tail[start..]
                    .iter()
                    .map(|(id, value)| (id.bytes(), value)),
            )
    }
}

/// [`ItemMap::iter`]: `(ID, value)` in ID order.
pub struct Iter<'a, V> {
    main: btree_map::Iter<'a, ItemKey, V>,
    tail: std::slice::Iter<'a, (ItemKey, V)>,
}

impl<'a, V> Iterator for Iter<'a, V> {
    type Item = (&'a [u8], &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        self.main
            .next()
            .or_else(|| self.tail.next().map(|(id, value)| (id, value)))
            .map(|(id, value)| (id.bytes(), value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let len = self.main.len() + self.tail.len();
        (len, Some(len))
    }
}

impl<V> DoubleEndedIterator for Iter<'_, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.tail
            .next_back()
            .map(|(id, value)| (id, value))
            .or_else(|| self.main.next_back())
            .map(|(id, value)| (id.bytes(), value))
    }
}

impl<V> ExactSizeIterator for Iter<'_, V> {}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::Version;
    use crate::sync::ItemMetadata;

    fn meta(n: u64) -> ItemMetadata {
        ItemMetadata::whole(Version::new(0, n), Version::new(0, n), false)
    }

    #[derive(Clone, Debug)]
    enum Op {
        Insert(u16),
        Entry(u16),
        Remove(u16),
        Get(u16),
        Append,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            any::<u16>().prop_map(Op::Insert),
            any::<u16>().prop_map(Op::Entry),
            any::<u16>().prop_map(Op::Remove),
            any::<u16>().prop_map(Op::Get),
            Just(Op::Append),
        ]
    }

    fn key(n: u32) -> [u8; 16] {
        let mut id = [0u8; 16];
        id[..4].copy_from_slice(&n.to_be_bytes());
        id
    }

    proptest! {
        /// Any sequence of operations leaves the map as a plain `BTreeMap` would, and each
        /// answers as it would; the invariant holds after each.
        #[test]
        fn behaves_as_a_btree_map(ops in proptest::collection::vec(op(), 0..600)) {
            let mut map = ItemMap::default();
            let mut model: BTreeMap<[u8; 16], ItemMetadata> = BTreeMap::new();
            let mut next_append = 70_000u32;
            for (step, op) in ops.into_iter().enumerate() {
                let tick = step as u64;
                match op {
                    Op::Insert(n) => {
                        let k = key(u32::from(n));
                        prop_assert_eq!(map.insert(&k, meta(tick)), model.insert(k, meta(tick)));
                    }
                    Op::Entry(n) => {
                        let k = key(u32::from(n));
                        match map.entry(&k) {
                            Entry::Occupied(held) => {
                                prop_assert_eq!(Some(&*held), model.get(&k));
                                *held = meta(tick);
                            }
                            Entry::Vacant(free) => {
                                prop_assert!(!model.contains_key(&k));
                                free.insert(meta(tick));
                            }
                        }
                        model.insert(k, meta(tick));
                    }
                    Op::Remove(n) => {
                        let k = key(u32::from(n));
                        prop_assert_eq!(map.remove(&k), model.remove(&k));
                    }
                    Op::Get(n) => {
                        let k = key(u32::from(n));
                        prop_assert_eq!(map.get(&k), model.get(&k));
                        prop_assert_eq!(map.get_mut(&k).map(|m| m.clone()), model.get(&k).cloned());
                    }
                    Op::Append => {
                        next_append += 1;
                        let k = key(next_append);
                        map.insert(&k, meta(tick));
                        model.insert(k, meta(tick));
                    }
                }
                prop_assert!(map.tail.windows(2).all(|w| w[0].0 < w[1].0));
                if let (Some((last, _)), Some((first, _))) = (map.main.last_key_value(), map.tail.first()) {
                    prop_assert!(last < first);
                }
            }
            prop_assert_eq!(map.len(), model.len());
            let ours: Vec<_> = map.iter().collect();
            let theirs: Vec<_> = model.iter().map(|(k, v)| (&k[..], v)).collect();
            prop_assert_eq!(&ours, &theirs);
            let back: Vec<_> = map.iter().rev().collect();
            let model_back: Vec<_> = model.iter().rev().map(|(k, v)| (&k[..], v)).collect();
            prop_assert_eq!(back, model_back);
            for lower in [0u32, 1_000, 40_000, 70_001, 80_000] {
                let k = key(lower);
                let ours: Vec<_> = map.range_from(&k).collect();
                let theirs: Vec<_> = model.range(k..).map(|(k, v)| (&k[..], v)).collect();
                prop_assert_eq!(ours, theirs);
            }
        }
    }

    #[test]
    fn a_key_takes_40_bytes() {
        // The memory figures of the docs (here, `MemoryStore`, BENCHMARKS.md) count on it.
        assert_eq!(size_of::<ItemKey>(), 40);
    }

    #[test]
    fn lookups_in_order_follow_the_hint_and_a_stale_hint_is_only_tried() {
        let mut map = ItemMap::default();
        for n in (0..100).step_by(2) {
            map.insert(&key(n), meta(u64::from(n)));
        }
        for n in 0..100 {
            assert_eq!(map.get(&key(n)).is_some(), n % 2 == 0, "{n}");
        }
        // The last entry (98) is answered before the hint: the hint stays at 96.
        assert_eq!(map.hint.load(atomic::Ordering::Relaxed), 48);
        // The tail emptied into the B-tree, then a short one again: the hint is out of range.
        map.insert(&key(51), meta(0));
        map.insert(&key(1_000), meta(0));
        map.insert(&key(1_002), meta(0));
        assert_eq!(map.tail.len(), 2);
        assert!(map.get(&key(1_000)).is_some() && map.get(&key(1_001)).is_none());
        assert!(map.get(&key(98)).is_some() && map.get(&key(51)).is_some());
    }

    #[test]
    fn ascending_inserts_stay_in_the_tail_and_an_insert_inside_it_merges_it() {
        let mut map = ItemMap::default();
        for n in (0..2_000).step_by(2) {
            map.insert(&key(n), meta(u64::from(n)));
        }
        assert_eq!((map.main.len(), map.tail.len()), (0, 1_000));
        map.insert(&key(1_001), meta(0));
        assert_eq!((map.main.len(), map.tail.len()), (1_001, 0));
        map.insert(&key(5_000), meta(0));
        assert_eq!((map.main.len(), map.tail.len()), (1_001, 1));
        assert_eq!(map.iter().count(), 1_002);
    }
}
