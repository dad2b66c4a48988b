//! Forgotten knowledge (`NN:winsync.IForgottenKnowledge`): an upper bound of the versions of
//! the tombstones a replica has cleaned up.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::knowledge::Knowledge;
use crate::vector::{ClockVector, Version};

/// Forgotten knowledge: a [`Knowledge`] that only grows by [`ForgottenKnowledge::forget_to_version`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForgottenKnowledge(Knowledge);

impl ForgottenKnowledge {
    /// Nothing forgotten yet, for the replica that owns `current`.
    pub fn new(current: &Knowledge) -> Self {
        let mut empty = current.clone();
        empty.default =
            crate::ranges::RangeSet::uniform(&current.formats.item, Arc::new(ClockVector::new()));
        empty.columns.clear();
        empty.units.clear();
        Self(empty)
    }

    /// Forgotten knowledge read from (or already built as) knowledge.
    pub fn from_knowledge(knowledge: Knowledge) -> Self {
        Self(knowledge)
    }

    /// The forgotten versions, as knowledge (for every `ISyncKnowledge` operation).
    pub fn knowledge(&self) -> &Knowledge {
        &self.0
    }

    /// Records that the tombstone with `version` (in `current`'s key space) was cleaned up:
    /// every version of that replica up to its tick counts as forgotten, over the whole scope
    /// (`NF:winsync.IForgottenKnowledge.ForgetToVersion`). `current` is the owner's current
    /// knowledge; forgotten knowledge must stay contained in it.
    ///
    /// # Errors
    /// [`Error::ForgottenNotContained`] (and nothing changes) when the result would know more
    /// than `current`; [`Error::ReplicaNotFound`] for a key `current`'s map lacks;
    /// [`Error::FormatsDiffer`]; [`Error::TickOutOfRange`].
    pub fn forget_to_version(&mut self, current: &Knowledge, version: Version) -> Result<()> {
        self.0.same_formats(current)?;
        let replica = current.key_map().id_of(version.replica_key)?.to_vec();
        let mut next = self.0.clone();
        let key = next.find_or_add_replica(&replica)?;
        let raise = ClockVector::from_elements([(key, version.tick)])?;
        let raised = next.raised(&raise);
        if !current.contains_knowledge(&raised)? {
            return Err(Error::ForgottenNotContained);
        }
        self.0 = raised;
        Ok(())
    }

    /// The forgotten knowledge as bytes (the knowledge format, marked as forgotten).
    pub fn serialize(&self, with_key_map: bool) -> Vec<u8> {
        self.0
            .write(crate::knowledge::SERIALIZATION_V3, with_key_map, true)
    }

    /// Reads forgotten knowledge written by [`ForgottenKnowledge::serialize`].
    ///
    /// # Errors
    /// As [`Knowledge::deserialize`]; [`Error::Deserialization`] for data that is plain
    /// knowledge.
    pub fn deserialize(
        bytes: &[u8],
        key_map: Option<&crate::replica::ReplicaKeyMap>,
    ) -> Result<Self> {
        let (knowledge, forgotten) = crate::serialize::read(bytes, key_map)?;
        if !forgotten {
            return Err(Error::Deserialization {
                offset: 10,
                reason: "the data is knowledge, not forgotten knowledge".into(),
            });
        }
        Ok(Self(knowledge))
    }
}
