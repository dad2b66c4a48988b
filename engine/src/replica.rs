//! The replica key map (`NN:winsync.IReplicaKeyMap`): replica ID ↔ 4-byte replica key.
//!
//! Knowledge stores replica keys in its clock vectors, not replica IDs; keys are local to one
//! knowledge's map. Decisions the pages leave open: keys are assigned in order, `0, 1, 2, ...`
//! (a key is the index of its replica in the map, as in MS-FSVCA), and the owner replica of a
//! knowledge is added first, so its key is `0` ("typically zero", `NS:winsync._SYNC_VERSION`).
//! Keys are never removed or reassigned, so a map only grows: two maps of one lineage agree on
//! the keys they share.

use std::collections::HashMap;

use crate::error::{Error, Result};

/// A replica key: the index of a replica in a [`ReplicaKeyMap`].
pub type ReplicaKey = u32;

/// Replica ID ↔ key. IDs are checked against the replica ID format by the knowledge that owns
/// the map, not here.
#[derive(Clone, Debug, Default)]
pub struct ReplicaKeyMap {
    ids: Vec<Box<[u8]>>,
    keys: HashMap<Box<[u8]>, ReplicaKey>,
}

impl PartialEq for ReplicaKeyMap {
    fn eq(&self, other: &Self) -> bool {
        self.ids == other.ids
    }
}

impl Eq for ReplicaKeyMap {}

impl ReplicaKeyMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// The key of `id` (`NF:winsync.IReplicaKeyMap.LookupReplicaKey`).
    ///
    /// # Errors
    /// [`Error::ReplicaNotFound`].
    pub fn key_of(&self, id: &[u8]) -> Result<ReplicaKey> {
        self.keys
            .get(id)
            .copied()
            .ok_or_else(|| Error::ReplicaNotFound(format!("ID {}", hex(id))))
    }

    /// The ID of `key` (`NF:winsync.IReplicaKeyMap.LookupReplicaId`).
    ///
    /// # Errors
    /// [`Error::ReplicaNotFound`].
    pub fn id_of(&self, key: ReplicaKey) -> Result<&[u8]> {
        usize::try_from(key)
            .ok()
            .and_then(|index| self.ids.get(index))
            .map(AsRef::as_ref)
            .ok_or_else(|| Error::ReplicaNotFound(format!("key {key}")))
    }

    /// The key of `id`, adding it with the next key when it is new
    /// (`NF:winsync.IConstructReplicaKeyMap.FindOrAddReplica`).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the map already holds `u32::MAX` replicas.
    pub fn find_or_add(&mut self, id: &[u8]) -> Result<ReplicaKey> {
        if let Some(&key) = self.keys.get(id) {
            return Ok(key);
        }
        let key = ReplicaKey::try_from(self.ids.len())
            .ok()
            .filter(|&key| key != ReplicaKey::MAX)
            .ok_or_else(|| Error::InvalidArgument("the replica key map is full".into()))?;
        self.ids.push(id.into());
        self.keys.insert(id.into(), key);
        Ok(key)
    }

    /// The number of replicas.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Every (key, ID), in key order.
    pub fn iter(&self) -> impl Iterator<Item = (ReplicaKey, &[u8])> {
        (0..).zip(self.ids.iter().map(AsRef::as_ref))
    }

    /// Whether `self`'s entries are the first entries of `other` (then `self`'s keys mean the
    /// same in both maps).
    pub fn is_prefix_of(&self, other: &Self) -> bool {
        self.ids.len() <= other.ids.len() && self.ids.iter().zip(&other.ids).all(|(a, b)| a == b)
    }

    /// Adds `other`'s replicas to `self` and returns, for each of `other`'s keys, its key in
    /// `self` (a translation table indexed by `other`'s keys).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the map would overflow.
    pub fn absorb(&mut self, other: &Self) -> Result<Vec<ReplicaKey>> {
        other.ids.iter().map(|id| self.find_or_add(id)).collect()
    }
}

/// Lower-case hex of `bytes`, for messages.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_assigned_in_order_and_looked_up_both_ways() {
        let mut map = ReplicaKeyMap::new();
        assert_eq!(map.find_or_add(b"owner"), Ok(0));
        assert_eq!(map.find_or_add(b"other"), Ok(1));
        assert_eq!(map.find_or_add(b"owner"), Ok(0));
        assert_eq!(map.key_of(b"other"), Ok(1));
        assert_eq!(map.id_of(1), Ok(&b"other"[..]));
        assert_eq!(
            map.id_of(2).unwrap_err().code(),
            crate::error::SYNC_E_REPLICA_NOT_FOUND
        );
        assert!(map.key_of(b"nobody").is_err());
        let mut longer = map.clone();
        longer.find_or_add(b"third").unwrap();
        assert!(map.is_prefix_of(&longer));
        assert!(!longer.is_prefix_of(&map));
        let mut other = ReplicaKeyMap::new();
        other.find_or_add(b"third").unwrap();
        other.find_or_add(b"owner").unwrap();
        assert_eq!(map.absorb(&other), Ok(vec![2, 0]));
    }
}
