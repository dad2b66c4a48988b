//! An owned item ID that takes no allocation of its own for the common formats.
//!
//! Every change of a batch carries its item's ID ([`crate::batch::ItemChange::item`]). A boxed
//! slice costs one allocation and one free per change, which a session of new items paid on
//! every change it enumerated (about 330 instructions of the 2,560 a change took through COM,
//! `BENCHMARKS.md`). IDs of up to 24 bytes (`SYNC_GID`'s 24 bytes, a GUID's 16, the
//! `ID_PARAMETERS` most providers declare) are held inline; longer ones on the heap.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

use smallvec::SmallVec;

/// How many bytes of an ID are held inline.
const INLINE: usize = 24;

/// An owned item ID: its data bytes (without a variable format's size field, see
/// [`crate::id`]), inline up to 24 bytes. Dereferences to `[u8]`; ordered, compared and
/// hashed exactly as its bytes are, so a `&[u8]` can look it up in maps keyed by it.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ItemId(SmallVec<[u8; INLINE]>);

impl ItemId {
    /// The ID of `bytes`.
    #[inline]
    pub fn new(bytes: &[u8]) -> Self {
        Self(SmallVec::from_slice(bytes))
    }

    /// The ID as a boxed slice.
    pub fn to_boxed(&self) -> Box<[u8]> {
        self.0.as_slice().into()
    }
}

impl Deref for ItemId {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for ItemId {
    #[inline]
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Borrow<[u8]> for ItemId {
    #[inline]
    fn borrow(&self) -> &[u8] {
        &self.0
    }
}

impl From<&[u8]> for ItemId {
    #[inline]
    fn from(bytes: &[u8]) -> Self {
        Self::new(bytes)
    }
}

impl<const N: usize> From<&[u8; N]> for ItemId {
    #[inline]
    fn from(bytes: &[u8; N]) -> Self {
        Self::new(bytes)
    }
}

impl From<Vec<u8>> for ItemId {
    fn from(bytes: Vec<u8>) -> Self {
        Self(SmallVec::from_vec(bytes))
    }
}

impl From<Box<[u8]>> for ItemId {
    fn from(bytes: Box<[u8]>) -> Self {
        Self::from(bytes.into_vec())
    }
}

impl From<ItemId> for Box<[u8]> {
    fn from(id: ItemId) -> Self {
        id.0.into_vec().into_boxed_slice()
    }
}

impl From<&ItemId> for Box<[u8]> {
    fn from(id: &ItemId) -> Self {
        id.to_boxed()
    }
}

impl PartialEq<[u8]> for ItemId {
    fn eq(&self, other: &[u8]) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&[u8]> for ItemId {
    fn eq(&self, other: &&[u8]) -> bool {
        *self.0 == **other
    }
}

impl<const N: usize> PartialEq<[u8; N]> for ItemId {
    fn eq(&self, other: &[u8; N]) -> bool {
        *self.0 == other[..]
    }
}

impl fmt::Debug for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.as_slice().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashSet};

    use super::*;

    #[test]
    fn orders_compares_and_looks_up_as_its_bytes() {
        let ids: Vec<Vec<u8>> = vec![
            vec![],
            vec![0],
            vec![1; 24],
            vec![1; 25],
            vec![2],
            vec![255; 40],
        ];
        for a in &ids {
            for b in &ids {
                assert_eq!(ItemId::new(a).cmp(&ItemId::new(b)), a.cmp(b));
                assert_eq!(ItemId::new(a) == ItemId::new(b), a == b);
            }
        }
        let set: BTreeSet<ItemId> = ids.iter().map(|id| ItemId::new(id)).collect();
        let hashed: HashSet<ItemId> = ids.iter().map(|id| ItemId::from(id.clone())).collect();
        for id in &ids {
            assert!(set.contains(id.as_slice()));
            assert!(hashed.contains(id.as_slice()));
            assert_eq!(&*Box::<[u8]>::from(ItemId::new(id)), id.as_slice());
        }
    }
}
