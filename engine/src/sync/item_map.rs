//! A replica's item metadata by item ID, in ID order, with cheap appends.
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
//! Invariant: `tail` is sorted, without duplicates, and each of its IDs is greater than every
//! ID of `main`.

use std::collections::BTreeMap;
use std::collections::btree_map;

use super::item_key::ItemKey;
use super::replica::ItemMetadata;

/// Item metadata by item ID (see the module docs).
#[derive(Clone, Debug, Default)]
pub(crate) struct ItemMap {
    main: BTreeMap<ItemKey, ItemMetadata>,
    tail: Vec<(ItemKey, ItemMetadata)>,
}

/// A place in an [`ItemMap`], as `BTreeMap::entry` gives one.
pub(crate) enum Entry<'a> {
    /// The ID is held; its metadata.
    Occupied(&'a mut ItemMetadata),
    /// The ID is not held.
    Vacant(Vacant<'a>),
}

/// Where a missing ID goes.
pub(crate) enum Vacant<'a> {
    /// Into `main`.
    Main(btree_map::VacantEntry<'a, ItemKey, ItemMetadata>),
    /// At the end of `tail`.
    Append(&'a mut ItemMap, ItemKey),
}

impl Vacant<'_> {
    /// Inserts `meta` for the ID.
    pub(crate) fn insert(self, meta: ItemMetadata) {
        match self {
            Vacant::Main(entry) => {
                entry.insert(meta);
            }
            Vacant::Append(map, key) => map.tail.push((key, meta)),
        }
    }
}

impl ItemMap {
    /// How many items it holds.
    pub(crate) fn len(&self) -> usize {
        self.main.len() + self.tail.len()
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
                std::cmp::Ordering::Greater => return Err(self.tail.len()),
                std::cmp::Ordering::Equal => return Ok(self.tail.len() - 1),
                std::cmp::Ordering::Less => {}
            },
        }
        self.tail.binary_search_by(|(id, _)| id.cmp(key))
    }

    /// Moves `tail` into `main` (see the module docs for how).
    fn flush(&mut self) {
        if self.tail.len() < self.main.len() {
            for (key, meta) in self.tail.drain(..) {
                self.main.insert(key, meta);
            }
        } else {
            let mut tail: BTreeMap<ItemKey, ItemMetadata> = self.tail.drain(..).collect();
            self.main.append(&mut tail);
        }
    }

    /// The metadata of `key`.
    pub(crate) fn get(&self, key: &ItemKey) -> Option<&ItemMetadata> {
        match self.tail.first() {
            Some((first, _)) if key >= first => self.tail_index(key).ok().map(|i| &self.tail[i].1),
            _ => self.main.get(key),
        }
    }

    /// The metadata of `key`, to change.
    pub(crate) fn get_mut(&mut self, key: &ItemKey) -> Option<&mut ItemMetadata> {
        match self.tail.first() {
            Some((first, _)) if key >= first => match self.tail_index(key) {
                Ok(i) => Some(&mut self.tail[i].1),
                Err(_) => None,
            },
            _ => self.main.get_mut(key),
        }
    }

    /// The place of `key`.
    pub(crate) fn entry(&mut self, key: ItemKey) -> Entry<'_> {
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

    /// Sets the metadata of `key`; returns what it replaced.
    pub(crate) fn insert(&mut self, key: ItemKey, meta: ItemMetadata) -> Option<ItemMetadata> {
        match self.entry(key) {
            Entry::Occupied(held) => Some(std::mem::replace(held, meta)),
            Entry::Vacant(free) => {
                free.insert(meta);
                None
            }
        }
    }

    /// Removes `key`; returns its metadata.
    pub(crate) fn remove(&mut self, key: &ItemKey) -> Option<ItemMetadata> {
        if let Some((first, _)) = self.tail.first()
            && key >= first
        {
            let i = self.tail_index(key).ok()?;
            if i + 1 == self.tail.len() {
                return self.tail.pop().map(|(_, meta)| meta);
            }
            self.flush();
        }
        self.main.remove(key)
    }

    /// Every entry, in ID order.
    pub(crate) fn iter(&self) -> Iter<'_> {
        Iter {
            main: self.main.iter(),
            tail: self.tail.iter(),
        }
    }

    /// The entries from `lower` (included) on, in ID order.
    pub(crate) fn range_from<'a>(
        &'a self,
        lower: &ItemKey,
    ) -> impl Iterator<Item = (&'a ItemKey, &'a ItemMetadata)> + 'a {
        let start = self.tail.partition_point(|(id, _)| id < lower);
        self.main
            .range(lower..)
            .chain(self.tail[start..].iter().map(|(id, meta)| (id, meta)))
    }
}

/// [`ItemMap::iter`].
pub(crate) struct Iter<'a> {
    main: btree_map::Iter<'a, ItemKey, ItemMetadata>,
    tail: std::slice::Iter<'a, (ItemKey, ItemMetadata)>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a ItemKey, &'a ItemMetadata);

    fn next(&mut self) -> Option<Self::Item> {
        self.main
            .next()
            .or_else(|| self.tail.next().map(|(id, meta)| (id, meta)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let len = self.main.len() + self.tail.len();
        (len, Some(len))
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.tail
            .next_back()
            .map(|(id, meta)| (id, meta))
            .or_else(|| self.main.next_back())
    }
}

impl ExactSizeIterator for Iter<'_> {}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::Version;

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

    fn key(n: u32) -> ItemKey {
        let mut id = [0u8; 16];
        id[..4].copy_from_slice(&n.to_be_bytes());
        ItemKey::new(&id)
    }

    proptest! {
        /// Any sequence of operations leaves the map as a plain `BTreeMap` would, and each
        /// answers as it would; the invariant holds after each.
        #[test]
        fn behaves_as_a_btree_map(ops in proptest::collection::vec(op(), 0..600)) {
            let mut map = ItemMap::default();
            let mut model: BTreeMap<ItemKey, ItemMetadata> = BTreeMap::new();
            let mut next_append = 70_000u32;
            for (step, op) in ops.into_iter().enumerate() {
                let tick = step as u64;
                match op {
                    Op::Insert(n) => {
                        let k = key(u32::from(n));
                        prop_assert_eq!(map.insert(k.clone(), meta(tick)), model.insert(k, meta(tick)));
                    }
                    Op::Entry(n) => {
                        let k = key(u32::from(n));
                        match map.entry(k.clone()) {
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
                        map.insert(k.clone(), meta(tick));
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
            let theirs: Vec<_> = model.iter().collect();
            prop_assert_eq!(&ours, &theirs);
            let back: Vec<_> = map.iter().rev().collect();
            let model_back: Vec<_> = model.iter().rev().collect();
            prop_assert_eq!(back, model_back);
            for lower in [0u32, 1_000, 40_000, 70_001, 80_000] {
                let k = key(lower);
                let ours: Vec<_> = map.range_from(&k).collect();
                let theirs: Vec<_> = model.range(k..).collect();
                prop_assert_eq!(ours, theirs);
            }
        }
    }

    #[test]
    fn ascending_inserts_stay_in_the_tail_and_an_insert_inside_it_merges_it() {
        let mut map = ItemMap::default();
        for n in (0..2_000).step_by(2) {
            map.insert(key(n), meta(u64::from(n)));
        }
        assert_eq!((map.main.len(), map.tail.len()), (0, 1_000));
        map.insert(key(1_001), meta(0));
        assert_eq!((map.main.len(), map.tail.len()), (1_001, 0));
        map.insert(key(5_000), meta(0));
        assert_eq!((map.main.len(), map.tail.len()), (1_001, 1));
        assert_eq!(map.iter().count(), 1_002);
    }
}
