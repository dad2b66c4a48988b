//! The destination's side of a session: applying a batch with conflict detection
//! (`NF:winsync.IKnowledgeSyncProvider.ProcessChangeBatch`,
//! `NF:winsync.IKnowledgeSyncProvider.ProcessFullEnumerationChangeBatch`).
//!
//! A change with change units, of an item the destination holds live and whose change as a
//! whole it knows, is decided unit by unit (see `sync::units`); any other change is decided
//! for the item whole, as follows, and when applied the item takes the change's unit records
//! (the destination's item then holds the source's item whole). A resolution of a conflict of
//! the whole item is a change of the whole item: the unit records go.
//!
//! Per change, in the batch's order, against what the changes before it left (an item twice
//! in a batch meets its first change), with the change's versions converted into the
//! destination's key space:
//! 1. the destination's knowledge contains the change's version: **known**, nothing to do;
//! 2. the destination has no version of the item, or the change's made-with knowledge contains
//!    the destination's version: the change **supersedes** it and is applied (created, updated,
//!    deleted);
//! 3. otherwise the two changes are **concurrent**: a conflict, resolved by the
//!    [`ConflictPolicy`] or, with [`ConflictPolicy::Manual`], by the target's
//!    [`ChangeTarget::resolve`], as a [`ResolveAction`].
//!
//! An item the destination holds no version of may have been deleted there and its tombstone
//! forgotten (`NN:winsync.IForgottenKnowledge`). When the change's made-with knowledge
//! contains what the destination forgot of the item, the change supersedes it (step 2).
//! Otherwise: a live change of a lifecycle the destination knows (it knows the change's
//! creation version) meets the forgotten deletion as a conflict; any other change (a deletion,
//! or a lifecycle the destination never saw: an item ID created again, or independently on
//! two replicas) is applied without a conflict but **reissued**, stored under a new local
//! version made with the destination's knowledge ([`ApplyOutcome::reissued`]). Kept under the
//! source's version it would travel with the destination's knowledge, which covers the
//! forgotten versions, and overwrite without a conflict versions elsewhere that it never saw.
//! The price of the over-approximation: a truly new item from a source that has not yet
//! learned the destination's forgotten knowledge comes back to it once as the destination's
//! change.
//!
//! The target saves item data; a save it cannot do is a recoverable error: the item is counted
//! as failed and left out of what the destination learns, so it comes again. After the batch
//! the destination learns the batch's learned knowledge (only the fragments whose prerequisite
//! it meets), minus the items deferred or failed; when the batch's learned knowledge is not to
//! be applied ([`ApplyOptions::batch_knowledge`](super::ApplyOptions::batch_knowledge),
//! `NF:winsync.ISyncChangeBatchAdvanced.GetBatchLevelKnowledgeShouldBeApplied`), only what each
//! change received teaches, under the same prerequisite
//! (`NF:winsync.ISyncChange.GetLearnedKnowledge`). Item versions and knowledge change together,
//! after every check passed: a batch refused as a whole changes nothing.
//!
//! Before anything, the source's forgotten knowledge is compared with the destination's
//! knowledge: when the destination does not contain it, it may hold items the source deleted
//! and forgot; [`ApplyOutcome::full_enumeration_needed`] says so and nothing is applied, unless
//! [`ApplyOptions::partial`](super::ApplyOptions::partial) asks for a partial synchronization (the received items only are
//! learned) (`NE:winsync.__MIDL___MIDL_itf_winsync_0000_0000_0004`).

use std::collections::BTreeSet;
use std::sync::Arc;

use super::decide::{Step, decide_held, decide_unheld};
use super::replica::{ItemMetadata, Replica};
use super::target::{
    ApplyOptions, ApplyOutcome, ChangeTarget, Conflict, ConflictPolicy, ConflictRecord,
    ResolveAction, Save, SaveKind,
};
use super::units::{ExcludedUnits, unit_records};
use crate::batch::{ChangeBatch, Group, ItemChange};
use crate::error::{Error, Result};
use crate::item_map::Entry;
use crate::knowledge::Knowledge;
use crate::vector::Version;

impl Replica {
    /// Applies `batch` (see the module docs), saving data through `target`.
    ///
    /// # Errors
    /// Refusals of the batch as a whole, before anything is applied:
    /// [`Error::InvalidOperation`] for a batch with an open group;
    /// [`Error::ChangeNotInKnowledge`] for a change its made-with knowledge does not contain;
    /// [`Error::FormatsDiffer`]; [`Error::ReplicaNotFound`] for a version whose key the
    /// made-with knowledge's map lacks.
    pub fn apply_batch(
        &mut self,
        batch: &ChangeBatch,
        options: ApplyOptions,
        target: &mut dyn ChangeTarget,
    ) -> Result<ApplyOutcome> {
        if batch.has_open_group() {
            return Err(Error::InvalidOperation(
                "the batch has an open group".into(),
            ));
        }
        if *batch.formats() != *self.formats() {
            return Err(Error::FormatsDiffer(
                "the batch has other ID formats".into(),
            ));
        }
        let mut outcome = ApplyOutcome::default();
        let out_of_date = match batch.source_forgotten() {
            Some(forgotten) => !self.knowledge.contains_knowledge(forgotten.knowledge())?,
            None => false,
        };
        if out_of_date && !options.partial && !batch.is_full_enumeration() {
            outcome.full_enumeration_needed = true;
            return Ok(outcome);
        }
        // Every check that refuses the batch as a whole first: a refused batch changes
        // nothing (the key map extended for its groups is put back).
        let before = self.knowledge.clone();
        let mut group_keys = Vec::with_capacity(batch.groups().len());
        let mut versions = Vec::with_capacity(batch.change_count());
        for group in batch.groups() {
            let checked = self.group_keys(&group.made_with).and_then(|keys| {
                for change in &group.changes {
                    versions.push(Self::check(&keys, change)?);
                }
                Ok(keys)
            });
            match checked {
                Ok(keys) => group_keys.push(keys),
                Err(error) => {
                    self.knowledge = before;
                    return Err(error);
                }
            }
        }
        drop(before);
        // Then each change in order, decided against what the changes before it left, with
        // one search of the item metadata for the usual change.
        let mut excluded: BTreeSet<Box<[u8]>> = BTreeSet::new();
        let mut excluded_units = ExcludedUnits::new();
        // Each change received, and whether it was taken whole.
        let mut received: Vec<(&Group, &ItemChange, bool)> = Vec::new();
        let mut versions = versions.into_iter();
        for (group, keys) in batch.groups().iter().zip(&group_keys) {
            for change in &group.changes {
                let Some((version, creation)) = versions.next() else {
                    break;
                };
                if change.units.is_empty() {
                    if self.knowledge.contains_change(&change.item, version)? {
                        outcome.known += 1;
                        continue;
                    }
                } else if self.knowledge.contains_change(&change.item, version)? {
                    // The destination knows the change of the whole item: unit by unit when it
                    // holds the item live (see `sync::units`).
                    let live = self.items.get(&change.item).is_some_and(|m| !m.deleted());
                    if live {
                        if self.apply_units(
                            group,
                            keys,
                            change,
                            version,
                            options.policy,
                            target,
                            &mut outcome,
                            &mut excluded_units,
                        )? {
                            received.push((group, change, false));
                        }
                        continue;
                    }
                    if self.units_known(keys, change)? {
                        outcome.known += 1;
                        continue;
                    }
                }
                let entry = self.items.entry(&change.item);
                let step = match &entry {
                    Entry::Occupied(held) => decide_held(keys, change, held, version, creation)?,
                    Entry::Vacant(_) => decide_unheld(
                        &self.knowledge,
                        &self.forgotten,
                        keys,
                        change,
                        version,
                        creation,
                    )?,
                };
                match step {
                    Step::Apply {
                        kind,
                        version,
                        creation,
                        deleted,
                        reissue,
                    } => {
                        let saved = target.save(&Save {
                            kind,
                            item: &change.item,
                            change: Some(change),
                            made_with: Some(&group.made_with),
                        });
                        if saved.is_err() {
                            outcome.failed += 1;
                            excluded.insert(change.item.to_boxed());
                            received.push((group, change, true));
                            continue;
                        }
                        let mut meta = ItemMetadata::whole(creation, version, deleted);
                        if reissue {
                            // A new change of the whole item: no unit record.
                            outcome.reissued.push(change.item.to_boxed());
                            meta.set_change_version(self.knowledge.record_local_change()?);
                        } else if !change.units.is_empty() {
                            meta.set_units(unit_records(keys, change)?);
                        }
                        match entry {
                            Entry::Occupied(held) => *held = meta,
                            Entry::Vacant(free) => free.insert(meta),
                        }
                        outcome.applied += 1;
                        received.push((group, change, true));
                    }
                    Step::Conflict {
                        version,
                        creation,
                        forgotten,
                    } => {
                        drop(entry);
                        let resolved = self.resolve_conflict(
                            change,
                            &group.made_with,
                            version,
                            creation,
                            forgotten,
                            options.policy,
                            target,
                            &mut outcome,
                            &mut excluded,
                        )?;
                        if resolved {
                            received.push((group, change, true));
                        }
                    }
                }
            }
        }
        if batch.is_full_enumeration() {
            outcome.forgotten_items = self.remove_forgotten_items(batch, target, &mut excluded)?;
        }
        let per_change = (out_of_date && options.partial) || !options.batch_knowledge;
        self.learn(batch, per_change, &received, &excluded, &excluded_units)?;
        Ok(outcome)
    }

    /// Resolves one conflict and carries out the action; returns whether the change counts
    /// as received (anything but deferred or failed).
    #[allow(clippy::too_many_arguments)]
    fn resolve_conflict(
        &mut self,
        change: &ItemChange,
        made_with: &Arc<Knowledge>,
        version: Version,
        creation: Version,
        forgotten: bool,
        policy: ConflictPolicy,
        target: &mut dyn ChangeTarget,
        outcome: &mut ApplyOutcome,
        excluded: &mut BTreeSet<Box<[u8]>>,
    ) -> Result<bool> {
        // A forgotten deletion stands as a tombstone whose version is unknown.
        let local = match self.items.get(&change.item) {
            Some(meta) if !forgotten => meta.clone(),
            _ => ItemMetadata::whole(creation, creation, true),
        };
        let action = match policy {
            ConflictPolicy::DestinationWins => ResolveAction::AcceptDestination,
            ConflictPolicy::SourceWins => ResolveAction::AcceptSource,
            // A conflict of the whole item takes the change's action
            // (`NF:winsync.IChangeConflict.SetResolveActionForChangeUnit`).
            ConflictPolicy::Manual => {
                target
                    .resolve_units(&Conflict {
                        item: &change.item,
                        source: change,
                        source_version: version,
                        made_with,
                        destination: &local,
                        destination_forgotten: forgotten,
                        units: &[],
                    })
                    .action
            }
        };
        let record = ConflictRecord {
            item: change.item.to_boxed(),
            destination_version: local.change_version(),
            destination_forgotten: forgotten,
            source_version: version,
            action,
            unit: None,
        };
        outcome.conflicts.push(record.clone());
        let deleted = change.flags.deleted();
        let source_kind = match (deleted, local.deleted()) {
            (true, _) => SaveKind::Delete,
            (false, true) => SaveKind::Create,
            (false, false) => SaveKind::Update,
        };
        let saved = match action {
            ResolveAction::Defer | ResolveAction::TransferAndDefer => {
                excluded.insert(change.item.to_boxed());
                if action == ResolveAction::TransferAndDefer {
                    outcome.logged.push(record);
                }
                return Ok(false);
            }
            ResolveAction::AcceptDestination if forgotten => {
                // The deletion wins: a tombstone again, the target told of it.
                let saved = target.save(&Save {
                    kind: SaveKind::Delete,
                    item: &change.item,
                    change: Some(change),
                    made_with: Some(made_with),
                });
                if saved.is_ok() {
                    self.items.insert(&change.item, local);
                }
                saved.is_ok()
            }
            // The item's data stays; the change counts as applied.
            ResolveAction::AcceptDestination => {
                target.kept(change);
                true
            }
            ResolveAction::AcceptSource => {
                let saved = target.save(&Save {
                    kind: source_kind,
                    item: &change.item,
                    change: Some(change),
                    made_with: Some(made_with),
                });
                if saved.is_ok() {
                    self.items.insert(
                        &change.item,
                        ItemMetadata::whole(creation, version, deleted),
                    );
                }
                saved.is_ok()
            }
            ResolveAction::Merge => {
                let kind = if local.deleted() {
                    source_kind
                } else {
                    SaveKind::Merge
                };
                let saved = target.save(&Save {
                    kind,
                    item: &change.item,
                    change: Some(change),
                    made_with: Some(made_with),
                });
                if saved.is_ok() {
                    // Over a tombstone a merge takes the source's item, and its lifecycle.
                    let creation_version = if local.deleted() {
                        creation
                    } else {
                        local.creation_version()
                    };
                    self.items.insert(
                        &change.item,
                        ItemMetadata::whole(creation_version, version, kind == SaveKind::Delete),
                    );
                }
                saved.is_ok()
            }
        };
        if !saved {
            outcome.failed += 1;
            excluded.insert(change.item.to_boxed());
            return Ok(false);
        }
        // A resolution is a change of the destination: a new local version, made with
        // knowledge of both sides (learned with the batch), so it supersedes both changes
        // wherever it travels.
        // It is a change of the whole item: the unit records go.
        let resolved = self.knowledge.record_local_change()?;
        if let Some(meta) = self.items.get_mut(&change.item) {
            meta.set_change_version(resolved);
            meta.units = None;
        }
        outcome.applied += 1;
        Ok(true)
    }

    /// A full enumeration lists every item the source holds in the batch's range: an item the
    /// destination has there, that the batch does not list, and whose version the source
    /// knew, was deleted at the source and forgotten. One whose version the source did not
    /// know is kept, and left out of what is learned.
    fn remove_forgotten_items(
        &mut self,
        batch: &ChangeBatch,
        target: &mut dyn ChangeTarget,
        excluded: &mut BTreeSet<Box<[u8]>>,
    ) -> Result<u32> {
        let lower = batch.closed_lower_bound()?.to_vec();
        let upper = batch.closed_upper_bound()?.map(<[u8]>::to_vec);
        let listed: BTreeSet<&[u8]> = batch.changes().map(|(_, c)| &*c.item).collect();
        let Some(group) = batch.groups().first() else {
            return Ok(0);
        };
        let made_with = self.knowledge.map_remote_to_local(&group.made_with)?;
        let mut doomed = Vec::new();
        for (id, meta) in self.items.range_from(&lower) {
            if upper.as_deref().is_some_and(|u| id > u) {
                break;
            }
            if listed.contains(id) {
                continue;
            }
            let mut seen = made_with.contains_change(id, meta.change_version())?;
            for unit in meta.units() {
                seen = seen && made_with.contains_change_unit(id, &unit.unit, unit.version)?;
            }
            if seen {
                doomed.push(Box::<[u8]>::from(id));
            } else {
                // A change the source does not know, of an item the source no longer holds:
                // the source may have deleted it and forgotten. Learning the source's
                // knowledge of the item would claim that change follows the forgotten
                // deletion; it is not learned, so the two meet as a conflict where the
                // change travels.
                excluded.insert(id.into());
            }
        }
        let mut removed = 0;
        for id in doomed {
            let saved = target.save(&Save {
                kind: SaveKind::DeleteAndForget,
                item: &id,
                change: None,
                made_with: None,
            });
            match saved {
                Ok(()) => {
                    self.items.remove(&id);
                    removed += 1;
                }
                Err(_) => {
                    excluded.insert(id);
                }
            }
        }
        Ok(removed)
    }
}
