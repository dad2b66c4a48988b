//! Change batches (`NN:winsync.ISyncChangeBatchBase`, `NN:winsync.ISyncChangeBatch`,
//! `NN:winsync.ISyncFullEnumerationChangeBatch`): the changes a source sends, in groups, each
//! group closed with the knowledge it was made with.
//!
//! A batch is built with the pages' rules ([`ChangeBatch::begin_ordered_group`],
//! [`ChangeBatch::add_change`], [`ChangeBatch::end_ordered_group`], ...) and read by a change
//! applier ([`crate::sync::apply`]). Versions in a batch are in the key space of its owner,
//! the source replica (`pbOwnerReplicaId`, `NF:winsync.ISyncChangeBatchBase.AddItemMetadataToGroup`);
//! the made-with knowledge of each group carries that key space's map.
//!
//! What the batch teaches its destination ([`ChangeBatch::learned_knowledge`]): for an ordered
//! group, its made-with knowledge projected onto the group's closed range `[lower, upper]` (it
//! says "these are all my changes in the range that you lack"); for an unordered group, the
//! whole made-with knowledge when it holds every change of it, else the made-with knowledge
//! projected onto each item (or change unit) it sends.

mod build;
mod change;
mod learned;

use std::sync::Arc;

pub use change::{ChangeFlags, ItemChange, UnitChange};

use crate::error::{Error, Result};
use crate::forgotten::ForgottenKnowledge;
use crate::id::IdFormats;
use crate::knowledge::Knowledge;

/// How a group covers the item IDs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupKind {
    /// Items in increasing ID order, and every change of the range the destination lacks
    /// (`NF:winsync.ISyncChangeBatchBase.BeginOrderedGroup`).
    Ordered {
        /// The closed lower bound.
        lower: Box<[u8]>,
        /// The closed upper bound; `None`: no bound (every ID from `lower` on).
        upper: Option<Box<[u8]>>,
    },
    /// Items in any order (`NF:winsync.ISyncChangeBatch.BeginUnorderedGroup`).
    Unordered {
        /// Whether every change the made-with knowledge contains is in the group
        /// (`fAllChangesForKnowledge`, `NF:winsync.ISyncChangeBatch.EndUnorderedGroup`).
        all_changes_for_knowledge: bool,
    },
}

/// A closed group: its kind, its changes and the knowledge it was made with.
#[derive(Clone, Debug)]
pub struct Group {
    /// Ordered or unordered, with its bounds.
    pub kind: GroupKind,
    /// The changes, in the order they were added.
    pub changes: Vec<ItemChange>,
    /// The knowledge the group was made with (the source's, in the source's key space).
    pub made_with: Arc<Knowledge>,
}

/// A change kept in a conflict log and sent again with the knowledge it was logged with
/// (`NF:winsync.ISyncChangeBatch.AddLoggedConflict`).
#[derive(Clone, Debug)]
pub struct LoggedConflict {
    /// The change.
    pub change: ItemChange,
    /// The knowledge saved with the conflict.
    pub conflict_knowledge: Arc<Knowledge>,
}

/// The group being built.
#[derive(Clone, Debug)]
enum Open {
    Ordered {
        lower: Box<[u8]>,
        changes: Vec<ItemChange>,
    },
    Unordered {
        changes: Vec<ItemChange>,
    },
}

impl Open {
    fn changes(&self) -> &Vec<ItemChange> {
        match self {
            Self::Ordered { changes, .. } | Self::Unordered { changes } => changes,
        }
    }
    fn changes_mut(&mut self) -> &mut Vec<ItemChange> {
        match self {
            Self::Ordered { changes, .. } | Self::Unordered { changes } => changes,
        }
    }
}

/// A change batch: groups of item changes with their knowledge, the prerequisite knowledge,
/// the source's forgotten knowledge, the last-batch flag and work estimates.
#[derive(Clone, Debug)]
pub struct ChangeBatch {
    formats: IdFormats,
    owner: Box<[u8]>,
    groups: Vec<Group>,
    open: Option<Open>,
    /// An empty group was added: nothing may follow.
    closed_by_empty_group: bool,
    last: bool,
    work_for_batch: u32,
    remaining_work: u32,
    prerequisite: Arc<Knowledge>,
    source_forgotten: Option<Arc<ForgottenKnowledge>>,
    /// A full-enumeration batch: the closed lower bound it was created with.
    full_enumeration: Option<Box<[u8]>>,
    read_only: bool,
    logged_conflicts: Vec<LoggedConflict>,
    /// The learned knowledge another implementation reported, for a batch read through its
    /// interfaces (its groups are not visible there).
    learned: Option<Arc<Knowledge>>,
}

/// A batch as another implementation's objects present it (`ISyncChangeBatchBase` read through
/// its interface): every change with its made-with knowledge
/// (`NF:winsync.ISyncChange.GetMadeWithKnowledge`), and what the batch reports as a whole.
#[derive(Clone, Debug)]
pub struct ReadBatch {
    /// The source replica (the owner of the changes' versions).
    pub owner: Box<[u8]>,
    /// The changes, in the batch's order, each with its made-with knowledge.
    pub changes: Vec<(ItemChange, Arc<Knowledge>)>,
    /// `GetLearnedKnowledge`.
    pub learned: Arc<Knowledge>,
    /// `GetPrerequisiteKnowledge`.
    pub prerequisite: Arc<Knowledge>,
    /// `GetSourceForgottenKnowledge`, when the source forgot anything.
    pub source_forgotten: Option<Arc<ForgottenKnowledge>>,
    /// `GetIsLastBatch`.
    pub last: bool,
    /// A full-enumeration batch: its bounds and the knowledge learned once recovery is
    /// complete.
    pub full_enumeration: Option<ReadFullEnumeration>,
}

/// What a full-enumeration batch read through its interfaces reports of its range
/// (`NN:winsync.ISyncFullEnumerationChangeBatch`).
#[derive(Clone, Debug)]
pub struct ReadFullEnumeration {
    /// `GetClosedLowerBoundItemId`.
    pub lower: Box<[u8]>,
    /// `GetClosedUpperBoundItemId`; `None`: no bound.
    pub upper: Option<Box<[u8]>>,
    /// `GetLearnedKnowledgeAfterRecoveryComplete`.
    pub after_recovery: Arc<Knowledge>,
}

impl ChangeBatch {
    /// An empty batch of the replica `owner` (the source), made for a destination whose
    /// knowledge is `prerequisite`; `source_forgotten` is the source's forgotten knowledge, if
    /// it cleaned up tombstones.
    ///
    /// # Errors
    /// [`Error::IdFormatMismatch`] for an owner not of the replica format;
    /// [`Error::FormatsDiffer`] when `prerequisite` has other formats.
    pub fn new(
        formats: IdFormats,
        owner: &[u8],
        prerequisite: Arc<Knowledge>,
        source_forgotten: Option<Arc<ForgottenKnowledge>>,
    ) -> Result<Self> {
        formats.check_replica(owner)?;
        if *prerequisite.formats() != formats {
            return Err(Error::FormatsDiffer(
                "the prerequisite knowledge has other ID formats".into(),
            ));
        }
        Ok(Self {
            formats,
            owner: owner.into(),
            groups: Vec::new(),
            open: None,
            closed_by_empty_group: false,
            last: false,
            work_for_batch: 0,
            remaining_work: 0,
            prerequisite,
            source_forgotten,
            full_enumeration: None,
            read_only: false,
            logged_conflicts: Vec::new(),
            learned: None,
        })
    }

    /// A batch from what another implementation's objects report (see [`ReadBatch`]): each
    /// change in a group of its own made with its knowledge (a full-enumeration batch: one
    /// ordered group over its bounds, made with the knowledge learned after recovery), the
    /// learned knowledge as reported. The batch is frozen.
    ///
    /// # Errors
    /// As the builder methods, for changes that break the pages' rules (IDs not of the
    /// formats, a full enumeration's changes out of order or outside its bounds);
    /// [`Error::InvalidArgument`] for knowledge not of the owner.
    pub fn from_read(formats: IdFormats, read: ReadBatch) -> Result<Self> {
        let mut batch = Self::new(
            formats,
            &read.owner,
            read.prerequisite,
            read.source_forgotten,
        )?;
        match read.full_enumeration {
            Some(full) => {
                batch.full_enumeration = Some(full.lower.clone());
                batch.begin_ordered_group(Some(&full.lower))?;
                for (change, _) in read.changes {
                    batch.add_change(change)?;
                }
                batch.end_ordered_group(full.upper.as_deref(), &full.after_recovery)?;
            }
            None => {
                for (change, made_with) in read.changes {
                    batch.begin_unordered_group()?;
                    batch.add_change(change)?;
                    batch.end_unordered_group(&made_with, false)?;
                }
            }
        }
        if read.last {
            batch.set_last_batch();
        }
        batch.learned = Some(read.learned);
        batch.freeze();
        Ok(batch)
    }

    /// An empty full-enumeration batch enumerating from the closed lower bound `lower`
    /// (`NN:winsync.ISyncFullEnumerationChangeBatch`): one ordered group only, whose lower
    /// bound is not above `lower`.
    ///
    /// # Errors
    /// As [`ChangeBatch::new`]; [`Error::IdFormatMismatch`] for a bound not of the item format.
    pub fn new_full_enumeration(
        formats: IdFormats,
        owner: &[u8],
        prerequisite: Arc<Knowledge>,
        source_forgotten: Option<Arc<ForgottenKnowledge>>,
        lower: &[u8],
    ) -> Result<Self> {
        formats.check_item(lower)?;
        let mut batch = Self::new(formats, owner, prerequisite, source_forgotten)?;
        batch.full_enumeration = Some(lower.into());
        Ok(batch)
    }

    /// The ID formats.
    pub fn formats(&self) -> &IdFormats {
        &self.formats
    }

    /// The source replica, in whose key space the versions are.
    pub fn owner(&self) -> &[u8] {
        &self.owner
    }

    /// Whether this is a full-enumeration batch.
    pub fn is_full_enumeration(&self) -> bool {
        self.full_enumeration.is_some()
    }

    /// The closed lower bound a full-enumeration batch was created with.
    pub(crate) fn full_enumeration_lower(&self) -> Option<&[u8]> {
        self.full_enumeration.as_deref()
    }

    /// Marks the batch as the session's last (`NF:winsync.ISyncChangeBatchBase.SetLastBatch`).
    pub fn set_last_batch(&mut self) {
        self.last = true;
    }

    /// Whether this is the last batch (`NF:winsync.ISyncChangeBatchBase.GetIsLastBatch`).
    pub fn is_last_batch(&self) -> bool {
        self.last
    }

    /// Sets the batch's work estimate (`NF:winsync.ISyncChangeBatchBase.SetWorkEstimateForBatch`).
    pub fn set_work_for_batch(&mut self, work: u32) {
        self.work_for_batch = work;
    }

    /// The batch's work estimate, 0 unless set (`NF:winsync.ISyncChangeBatchBase.GetWorkEstimateForBatch`).
    pub fn work_for_batch(&self) -> u32 {
        self.work_for_batch
    }

    /// Sets the work left in the session
    /// (`NF:winsync.ISyncChangeBatchBase.SetRemainingWorkEstimateForSession`).
    pub fn set_remaining_work(&mut self, work: u32) {
        self.remaining_work = work;
    }

    /// The work left in the session
    /// (`NF:winsync.ISyncChangeBatchBase.GetRemainingWorkEstimateForSession`).
    pub fn remaining_work(&self) -> u32 {
        self.remaining_work
    }

    /// Makes the batch read-only: what a change applier does before reading it
    /// (`NF:winsync.ISyncChangeBatchBase.AddItemMetadataToGroup`).
    pub fn freeze(&mut self) {
        self.read_only = true;
    }

    /// Whether the batch is read-only (handed on, or read from another implementation).
    pub fn is_frozen(&self) -> bool {
        self.read_only
    }

    /// Whether a group is open.
    pub fn has_open_group(&self) -> bool {
        self.open.is_some()
    }

    /// The closed groups, in order.
    pub fn groups(&self) -> &[Group] {
        &self.groups
    }

    /// The changes of the open group, if one is open.
    pub fn open_changes(&self) -> Option<&[ItemChange]> {
        self.open.as_ref().map(|open| open.changes().as_slice())
    }

    /// The logged conflicts.
    pub fn logged_conflicts(&self) -> &[LoggedConflict] {
        &self.logged_conflicts
    }

    /// Every change of the closed groups, with its group, in order
    /// (`NF:winsync.ISyncChangeBatchBase.GetChangeEnumerator`).
    pub fn changes(&self) -> impl Iterator<Item = (&Group, &ItemChange)> {
        self.groups
            .iter()
            .flat_map(|group| group.changes.iter().map(move |change| (group, change)))
    }

    /// The number of item changes in the closed groups.
    pub fn change_count(&self) -> usize {
        self.groups.iter().map(|g| g.changes.len()).sum()
    }

    /// The knowledge the destination must contain for the learned knowledge to apply
    /// (`NF:winsync.ISyncChangeBatchBase.GetPrerequisiteKnowledge`).
    pub fn prerequisite(&self) -> &Arc<Knowledge> {
        &self.prerequisite
    }

    /// Replaces the prerequisite knowledge
    /// (`NF:winsync.ISyncChangeBatchWithPrerequisite.SetPrerequisiteKnowledge`).
    ///
    /// # Errors
    /// [`Error::ReadOnly`]; [`Error::FormatsDiffer`].
    pub fn set_prerequisite(&mut self, prerequisite: Arc<Knowledge>) -> Result<()> {
        self.check_writable()?;
        if *prerequisite.formats() != self.formats {
            return Err(Error::FormatsDiffer(
                "the prerequisite knowledge has other ID formats".into(),
            ));
        }
        self.prerequisite = prerequisite;
        Ok(())
    }

    /// The source's forgotten knowledge (`NF:winsync.ISyncChangeBatchBase.GetSourceForgottenKnowledge`).
    pub fn source_forgotten(&self) -> Option<&Arc<ForgottenKnowledge>> {
        self.source_forgotten.as_ref()
    }

    /// The closed lower bound of a full-enumeration batch: the smallest of the batch's and its
    /// group's (`NF:winsync.ISyncFullEnumerationChangeBatch.GetClosedLowerBoundItemId`).
    ///
    /// # Errors
    /// [`Error::InvalidOperation`] for a batch that is not a full-enumeration batch, or whose
    /// group was not added or is still open.
    pub fn closed_lower_bound(&self) -> Result<&[u8]> {
        let batch_lower = self
            .full_enumeration
            .as_deref()
            .ok_or_else(not_full_enumeration)?;
        match self.groups.first().map(|g| &g.kind) {
            Some(GroupKind::Ordered { lower, .. }) if self.open.is_none() => {
                Ok(lower.as_ref().min(batch_lower))
            }
            _ => Err(Error::InvalidOperation(
                "the full-enumeration batch's group was not ended".into(),
            )),
        }
    }

    /// The closed upper bound of a full-enumeration batch: its group's (`None`: no bound)
    /// (`NF:winsync.ISyncFullEnumerationChangeBatch.GetClosedUpperBoundItemId`).
    ///
    /// # Errors
    /// [`Error::InvalidOperation`] for a batch that is not a full-enumeration batch, or whose
    /// group was not added or is still open.
    pub fn closed_upper_bound(&self) -> Result<Option<&[u8]>> {
        self.full_enumeration
            .as_ref()
            .ok_or_else(not_full_enumeration)?;
        match self.groups.first().map(|g| &g.kind) {
            Some(GroupKind::Ordered { upper, .. }) if self.open.is_none() => Ok(upper.as_deref()),
            _ => Err(Error::InvalidOperation(
                "the full-enumeration batch's group was not ended".into(),
            )),
        }
    }
}

fn not_full_enumeration() -> Error {
    Error::InvalidOperation("not a full-enumeration batch".into())
}

#[cfg(test)]
mod tests;
