//! The source's side of a session: the changes the destination lacks, batch by batch
//! (`NF:winsync.IKnowledgeSyncProvider.GetChangeBatch`,
//! `NF:winsync.IKnowledgeSyncProvider.GetFullEnumerationChangeBatch`).
//!
//! Each batch is one ordered group over a closed range of item IDs, made with the source's
//! knowledge: every change in the range the destination lacks is in it, so the destination
//! learns the source's knowledge of the range. Ranges follow each other from the smallest ID;
//! the batch whose range reaches the end is the last. A destination whose knowledge contains
//! the source's is recognized first, by comparing knowledge alone: its one batch is an empty
//! group over every ID, and no item metadata is read.
//!
//! An item with change units (`NN:winsync.ISyncChangeUnit`, see [`super::replica`]) is sent as
//! one item change carrying its change units (`NF:winsync.ISyncChangeBuilder.AddChangeUnitMetadata`):
//! when the destination's knowledge contains the item's change version (the change of the
//! whole item), exactly the units whose versions the destination's knowledge does not contain
//! for that unit (`NF:winsync.ISyncKnowledge.ContainsChangeUnit`), each with its version, and
//! nothing when it knows them all; otherwise (the destination lacks the item, or a change of
//! it as a whole) every unit record, so the destination can take the item whole. A tombstone
//! carries no unit; a full enumeration sends every item whole, with every unit record.
//!
//! Work estimates (`NF:winsync.ISyncChangeBatchBase.AddItemMetadataToGroup`,
//! `NF:winsync.ISyncChangeBatchBase.SetWorkEstimateForBatch`,
//! `NF:winsync.ISyncChangeBatchBase.SetRemainingWorkEstimateForSession`): each change is one
//! unit of work, a batch's work is its number of changes, and the session's remaining work is
//! the number of items not yet looked at (an upper bound: some of them the destination knows).

use std::sync::Arc;

use super::replica::{ItemMetadata, Replica};
use crate::batch::{ChangeBatch, ChangeFlags, ItemChange, UnitChange};
use crate::error::{Error, Result};
use crate::knowledge::Knowledge;

/// Where a session's enumeration is: the destination's knowledge in the source's key space,
/// and the next range's lower bound.
#[derive(Clone, Debug)]
pub struct ChangeEnumerator {
    /// The destination's knowledge as given (the batches' prerequisite).
    destination: Arc<Knowledge>,
    /// The destination's knowledge in the source's key space.
    mapped: Knowledge,
    /// The next range's lower bound; `None` once the last batch was made.
    next: Option<Box<[u8]>>,
    /// The destination knows everything the source knows.
    up_to_date: bool,
    /// A full enumeration (forgotten-knowledge recovery).
    full: bool,
    /// Items looked at so far (for the remaining work estimate).
    visited: usize,
}

impl ChangeEnumerator {
    /// Starts enumerating `source`'s changes for a destination whose knowledge is
    /// `destination`.
    ///
    /// # Errors
    /// [`Error::FormatsDiffer`].
    pub fn new(source: &Replica, destination: &Knowledge) -> Result<Self> {
        let mapped = source.knowledge.map_remote_to_local(destination)?;
        let up_to_date = mapped.contains_knowledge(&source.knowledge)?;
        Ok(Self {
            destination: Arc::new(destination.clone()),
            next: Some(source.formats().item.min_id()),
            mapped,
            up_to_date,
            full: false,
            visited: 0,
        })
    }

    /// Starts a full enumeration from `lower` (the smallest ID when `None`): every item the
    /// source holds, tombstones included, so the destination can find the items the source
    /// deleted and forgot (`NF:winsync.IKnowledgeSyncProvider.GetFullEnumerationChangeBatch`).
    ///
    /// # Errors
    /// As [`ChangeEnumerator::new`]; [`Error::IdFormatMismatch`] for `lower`.
    pub fn full(source: &Replica, destination: &Knowledge, lower: Option<&[u8]>) -> Result<Self> {
        let mut enumerator = Self::new(source, destination)?;
        enumerator.full = true;
        enumerator.up_to_date = false;
        if let Some(lower) = lower {
            source.formats().check_item(lower)?;
            enumerator.next = Some(lower.into());
        }
        Ok(enumerator)
    }

    /// Whether the destination was up to date when the enumeration started.
    pub fn destination_up_to_date(&self) -> bool {
        self.up_to_date
    }

    /// Whether the last batch was made.
    pub fn done(&self) -> bool {
        self.next.is_none()
    }

    /// The next batch: up to `batch_size` changes (at least one), the last batch marked.
    ///
    /// # Errors
    /// [`Error::InvalidOperation`] after the last batch; what building the batch refuses
    /// (never for metadata the replica recorded).
    pub fn next_batch(&mut self, source: &Replica, batch_size: u32) -> Result<ChangeBatch> {
        let Some(lower) = self.next.take() else {
            return Err(Error::InvalidOperation(
                "the last batch was already made".into(),
            ));
        };
        let formats = *source.formats();
        let forgotten = (!source.forgotten.is_empty()).then(|| Arc::new(source.forgotten.clone()));
        let mut batch = if self.full {
            ChangeBatch::new_full_enumeration(
                formats,
                source.id(),
                self.destination.clone(),
                forgotten,
                &lower,
            )?
        } else {
            ChangeBatch::new(formats, source.id(), self.destination.clone(), forgotten)?
        };
        batch.begin_ordered_group(Some(&lower))?;
        if self.up_to_date {
            batch.end_ordered_group(None, &source.knowledge)?;
            batch.set_last_batch();
            return Ok(batch);
        }
        let limit = usize::try_from(batch_size.max(1)).unwrap_or(usize::MAX);
        batch.reserve_changes(limit.min(source.items.len().saturating_sub(self.visited)));
        let mut added = 0usize;
        let mut upper: Option<Box<[u8]>> = None;
        for (id, meta) in source.items.range_from(&lower) {
            self.visited += 1;
            let whole_known =
                !self.full && self.mapped.contains_change(id, meta.change_version())?;
            if whole_known && meta.units().is_empty() {
                continue;
            }
            let mut change = change_of(id, meta);
            if whole_known {
                // Only the change units the destination lacks (none for an item without units).
                let mut lacking = Vec::new();
                for unit in meta.units() {
                    if !self
                        .mapped
                        .contains_change_unit(id, &unit.unit, unit.version)?
                    {
                        lacking.push(UnitChange {
                            unit: unit.unit.clone(),
                            version: unit.version,
                        });
                    }
                }
                if lacking.is_empty() {
                    continue;
                }
                change.units = lacking;
            }
            change.work = 1;
            batch.add_change(change)?;
            added += 1;
            if added == limit {
                upper = Some(id.into());
                break;
            }
        }
        batch.end_ordered_group(upper.as_deref(), &source.knowledge)?;
        batch.set_work_for_batch(u32::try_from(added).unwrap_or(u32::MAX));
        self.next = upper.and_then(|u| formats.item.successor(&u));
        let remaining = if self.next.is_some() {
            source.items.len().saturating_sub(self.visited)
        } else {
            0
        };
        batch.set_remaining_work(u32::try_from(remaining).unwrap_or(u32::MAX));
        if self.next.is_none() {
            batch.set_last_batch();
        }
        Ok(batch)
    }
}

/// The change that carries an item's metadata whole: every unit record.
fn change_of(id: &[u8], meta: &ItemMetadata) -> ItemChange {
    let flags = if meta.deleted() {
        ChangeFlags::DELETED
    } else {
        ChangeFlags::NONE
    };
    let mut change = ItemChange::new(id, meta.change_version(), meta.creation_version(), flags);
    let units = meta.units();
    // Most items have no unit records: no iterator machinery for them.
    if !units.is_empty() {
        change.units = unit_changes(units);
    }
    change
}

/// The change units of an item's unit records.
#[cold]
fn unit_changes(units: &[super::replica::UnitMetadata]) -> Vec<UnitChange> {
    units
        .iter()
        .map(|u| UnitChange {
            unit: u.unit.clone(),
            version: u.version,
        })
        .collect()
}
