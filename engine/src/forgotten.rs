//! Forgotten knowledge (`NN:winsync.IForgottenKnowledge`): an upper bound of the versions of
//! the tombstones a replica has cleaned up.

use crate::error::{Error, Result};
use crate::knowledge::Knowledge;
use crate::vector::{ClockVector, Version};

/// Forgotten knowledge: a [`Knowledge`] that only grows by [`ForgottenKnowledge::forget_to_version`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForgottenKnowledge(Knowledge);

impl ForgottenKnowledge {
    /// Nothing forgotten yet, for the replica that owns `current`.
    pub fn new(current: &Knowledge) -> Self {
        Self(current.emptied())
    }

    /// Forgotten knowledge read from (or already built as) knowledge.
    pub fn from_knowledge(knowledge: Knowledge) -> Self {
        Self(knowledge)
    }

    /// Whether nothing is forgotten.
    pub fn is_empty(&self) -> bool {
        self.0.all_vectors().all(ClockVector::is_empty)
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

    /// Adds what `other` forgot: what a destination learns from a full-enumeration batch
    /// (`NF:winsync.ISyncChangeBatchWithPrerequisite.GetLearnedForgottenKnowledge`), after it
    /// removed the items the source forgot. `current` is this replica's knowledge after
    /// learning the batch; forgotten knowledge stays contained in it.
    ///
    /// # Errors
    /// [`Error::ForgottenNotContained`] (and nothing changes) when the result would know more
    /// than `current`; [`Error::FormatsDiffer`].
    pub fn union(&mut self, other: &Self, current: &Knowledge) -> Result<()> {
        let mut next = self.0.clone();
        next.union(&other.0)?;
        if !current.contains_knowledge(&next)? {
            return Err(Error::ForgottenNotContained);
        }
        self.0 = next;
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
