//! Change application unit by unit (see the module docs of [`super::apply`]): a change with
//! change units, of an item the destination holds live and whose change as a whole (the
//! change's change version) the destination knows, is decided per change unit
//! (`NN:winsync.ISyncChangeUnit`), as a change of the whole item is decided per item:
//!
//! 1. the destination's knowledge contains the unit's version for that unit
//!    (`NF:winsync.ISyncKnowledge.ContainsChangeUnit`): **known**, nothing to do;
//! 2. the change's made-with knowledge contains the destination's version of the unit (its
//!    record's, else the item's change version): the source's unit **supersedes** it and is
//!    saved ([`ChangeTarget::save_unit`]);
//! 3. otherwise the two are **concurrent**: a conflict on that unit, so that different units
//!    changed on two replicas do not conflict.
//!
//! The units in conflict are put to the [`ConflictPolicy`] or, with [`ConflictPolicy::Manual`],
//! to the target in one [`Conflict`] whose [`Conflict::units`] lists them; the [`Resolution`]
//! gives each its action (`NF:winsync.IChangeConflict.SetResolveActionForChangeUnit`). As for an
//! item, a resolution that keeps or saves something is a change of the destination: each such
//! unit gets one new local version, made with knowledge of both sides. A deferred unit, and a
//! unit the target fails to save, is left out of what the destination learns
//! (`NF:winsync.ISyncKnowledge.ExcludeChangeUnit`,
//! `NF:winsync.ILoadChangeContext.SetRecoverableErrorOnChangeUnit`): it comes again.

use std::collections::BTreeSet;

use super::decide::GroupKeys;
use super::replica::{Replica, UnitMetadata};
use super::target::{
    ApplyOutcome, ChangeTarget, Conflict, ConflictPolicy, ConflictRecord, Resolution,
    ResolveAction, SaveKind, UnitConflict, UnitSave,
};
use crate::batch::{Group, ItemChange};
use crate::error::Result;
use crate::vector::Version;

/// Change units left out of what the destination learns: (item, unit).
pub(super) type ExcludedUnits = BTreeSet<(Box<[u8]>, Box<[u8]>)>;

impl Replica {
    /// Whether this replica's knowledge contains each change unit's version of `change`.
    pub(super) fn units_known(&self, keys: &GroupKeys, change: &ItemChange) -> Result<bool> {
        for unit in &change.units {
            let v = keys.version(unit.version)?;
            if !self
                .knowledge
                .contains_change_unit(&change.item, &unit.unit, v)?
            {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Applies `change` unit by unit (see the module docs) to the live item this replica
    /// holds; returns whether anything of it counts as received (for what a change teaches).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn apply_units(
        &mut self,
        group: &Group,
        keys: &GroupKeys,
        change: &ItemChange,
        version: Version,
        policy: ConflictPolicy,
        target: &mut dyn ChangeTarget,
        outcome: &mut ApplyOutcome,
        excluded: &mut ExcludedUnits,
    ) -> Result<bool> {
        let Some(local) = self.items.get(&change.item).cloned() else {
            return Ok(false);
        };
        let mut conflicts = Vec::new();
        let mut saves = Vec::new();
        for unit in &change.units {
            let v = keys.version(unit.version)?;
            if self
                .knowledge
                .contains_change_unit(&change.item, &unit.unit, v)?
            {
                continue;
            }
            let here = local.unit_version(&unit.unit);
            if keys
                .made_with
                .contains_change_unit(&change.item, &unit.unit, here)?
            {
                saves.push((unit, v, SaveKind::Update));
            } else {
                conflicts.push(UnitConflict {
                    unit: unit.unit.clone(),
                    source_version: v,
                    destination_version: here,
                });
            }
        }
        if saves.is_empty() && conflicts.is_empty() {
            outcome.known += 1;
            return Ok(false);
        }
        // The conflicts' resolutions, each unit's action.
        let mut resolved = Vec::new();
        if !conflicts.is_empty() {
            let resolution = match policy {
                ConflictPolicy::DestinationWins => {
                    Resolution::new(ResolveAction::AcceptDestination)
                }
                ConflictPolicy::SourceWins => Resolution::new(ResolveAction::AcceptSource),
                ConflictPolicy::Manual => target.resolve_units(&Conflict {
                    item: &change.item,
                    source: change,
                    source_version: version,
                    made_with: &group.made_with,
                    destination: &local,
                    destination_forgotten: false,
                    units: &conflicts,
                }),
            };
            for conflict in &conflicts {
                let action = resolution.for_unit(&conflict.unit);
                let record = ConflictRecord {
                    item: change.item.to_boxed(),
                    destination_version: conflict.destination_version,
                    destination_forgotten: false,
                    source_version: conflict.source_version,
                    action,
                    unit: Some(conflict.unit.clone()),
                };
                outcome.conflicts.push(record.clone());
                let unit = change
                    .units
                    .iter()
                    .find(|u| u.unit == conflict.unit)
                    .expect("a conflict names a unit of the change");
                match action {
                    ResolveAction::Defer | ResolveAction::TransferAndDefer => {
                        excluded.insert((change.item.to_boxed(), conflict.unit.clone()));
                        if action == ResolveAction::TransferAndDefer {
                            outcome.logged.push(record);
                        }
                    }
                    ResolveAction::AcceptDestination => {
                        target.kept(change);
                        resolved.push(conflict.unit.clone());
                    }
                    ResolveAction::AcceptSource => {
                        saves.push((unit, conflict.source_version, SaveKind::Update));
                    }
                    ResolveAction::Merge => {
                        saves.push((unit, conflict.source_version, SaveKind::Merge));
                    }
                }
            }
        }
        // The saves: a unit that supersedes keeps the source's version; one that won or was
        // merged in a conflict gets the resolution's new local version.
        let mut stored = Vec::new();
        for (unit, v, kind) in saves {
            let saved = target.save_unit(&UnitSave {
                kind,
                item: &change.item,
                unit,
                change,
                made_with: &group.made_with,
            });
            if saved.is_err() {
                outcome.failed += 1;
                excluded.insert((change.item.to_boxed(), unit.unit.clone()));
                continue;
            }
            let in_conflict = conflicts.iter().any(|c| c.unit == unit.unit);
            if in_conflict {
                resolved.push(unit.unit.clone());
            } else {
                stored.push((unit.unit.clone(), v));
            }
        }
        outcome.applied += u32::try_from(stored.len() + resolved.len()).unwrap_or(u32::MAX);
        let resolution = if resolved.is_empty() {
            None
        } else {
            Some(self.knowledge.record_local_change()?)
        };
        if let Some(meta) = self.items.get_mut(&change.item) {
            for (unit, v) in stored {
                meta.set_unit(&unit, v);
            }
            if let Some(r) = resolution {
                for unit in resolved {
                    meta.set_unit(&unit, r);
                }
            }
        }
        Ok(true)
    }
}

/// The unit records of a change taken whole, versions in this replica's key space.
pub(super) fn unit_records(keys: &GroupKeys, change: &ItemChange) -> Result<Vec<UnitMetadata>> {
    change
        .units
        .iter()
        .map(|u| {
            Ok(UnitMetadata {
                unit: u.unit.clone(),
                version: keys.version(u.version)?,
            })
        })
        .collect()
}
