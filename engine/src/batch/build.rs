//! Building a batch: groups opened and closed by the pages' rules, item changes and their
//! change units added, logged conflicts (`NF:winsync.ISyncChangeBatchBase.BeginOrderedGroup`,
//! `NF:winsync.ISyncChangeBatchBase.AddItemMetadataToGroup`,
//! `NF:winsync.ISyncChangeBatch.AddLoggedConflict`, ...).

use std::sync::Arc;

use super::{ChangeBatch, Group, GroupKind, ItemChange, LoggedConflict, Open, UnitChange};
use crate::error::{Error, Result};
use crate::knowledge::Knowledge;

impl ChangeBatch {
    pub(super) fn check_writable(&self) -> Result<()> {
        if self.read_only {
            return Err(Error::ReadOnly("it was handed to a change applier".into()));
        }
        Ok(())
    }

    fn check_can_open(&self) -> Result<()> {
        self.check_writable()?;
        if self.open.is_some() {
            return Err(Error::InvalidOperation("a group is already open".into()));
        }
        if self.closed_by_empty_group {
            return Err(Error::InvalidOperation(
                "an empty group was added: it is the batch's last group".into(),
            ));
        }
        if self.full_enumeration.is_some() && !self.groups.is_empty() {
            return Err(Error::ReadOnly(
                "a full-enumeration batch holds one group".into(),
            ));
        }
        Ok(())
    }

    /// Opens an ordered group with the closed lower bound `lower` (`None`: the smallest ID)
    /// (`NF:winsync.ISyncChangeBatchBase.BeginOrderedGroup`).
    ///
    /// # Errors
    /// [`Error::InvalidOperation`] when a group is open or an empty group was added;
    /// [`Error::ReadOnly`] for a batch handed on, or a full-enumeration batch that has its
    /// group; [`Error::RangeOutOfOrder`] for a full-enumeration group starting above the
    /// batch's lower bound; [`Error::IdFormatMismatch`].
    pub fn begin_ordered_group(&mut self, lower: Option<&[u8]>) -> Result<()> {
        self.check_can_open()?;
        let lower: Box<[u8]> = match lower {
            Some(id) => {
                self.formats.check_item(id)?;
                id.into()
            }
            None => self.formats.item.min_id(),
        };
        if let Some(batch_lower) = &self.full_enumeration
            && lower > *batch_lower
        {
            return Err(Error::RangeOutOfOrder(
                "the group's lower bound is above the full-enumeration batch's".into(),
            ));
        }
        self.open = Some(Open::Ordered {
            lower,
            changes: Vec::new(),
        });
        Ok(())
    }

    /// Opens an unordered group (`NF:winsync.ISyncChangeBatch.BeginUnorderedGroup`).
    ///
    /// # Errors
    /// As [`ChangeBatch::begin_ordered_group`]; [`Error::InvalidOperation`] in a
    /// full-enumeration batch (its one group is ordered).
    pub fn begin_unordered_group(&mut self) -> Result<()> {
        self.check_can_open()?;
        if self.full_enumeration.is_some() {
            return Err(Error::InvalidOperation(
                "a full-enumeration batch has one ordered group".into(),
            ));
        }
        self.open = Some(Open::Unordered {
            changes: Vec::new(),
        });
        Ok(())
    }

    /// Adds an item change to the open group
    /// (`NF:winsync.ISyncChangeBatchBase.AddItemMetadataToGroup`).
    ///
    /// # Errors
    /// [`Error::ReadOnly`]; [`Error::InvalidOperation`] with no group open or after an empty
    /// group; [`Error::RangeOutOfOrder`] in an ordered group for an ID below the group's lower
    /// bound or not above the previous item; [`Error::IdFormatMismatch`];
    /// [`Error::InvalidArgument`] for flags the pages do not allow in a batch.
    pub fn add_change(&mut self, change: ItemChange) -> Result<()> {
        self.check_writable()?;
        change.check(&self.formats)?;
        let open = self
            .open
            .as_mut()
            .ok_or_else(|| Error::InvalidOperation("no group is open".into()))?;
        if let Open::Ordered { lower, changes } = open {
            let below = match changes.last() {
                Some(previous) => change.item <= previous.item,
                None => *change.item < **lower,
            };
            if below {
                return Err(Error::RangeOutOfOrder(
                    "an ordered group's items go in increasing ID order, from its lower bound"
                        .into(),
                ));
            }
        }
        open.changes_mut().push(change);
        Ok(())
    }

    /// Reserves room for `additional` more changes in the open group: an allocation hint for
    /// a builder that knows how many changes it will add; the batch's content is unchanged.
    pub fn reserve_changes(&mut self, additional: usize) {
        if let Some(open) = self.open.as_mut() {
            open.changes_mut().reserve(additional);
        }
    }

    /// Adds a change-unit version to the item change added last
    /// (`NF:winsync.ISyncChangeBuilder.AddChangeUnitMetadata`).
    ///
    /// # Errors
    /// [`Error::InvalidOperation`] without an item change in the open group, or for a change
    /// flagged deleted (change units cannot be deleted apart from their item);
    /// [`Error::IdFormatMismatch`]; [`Error::ReadOnly`].
    pub fn add_change_unit(&mut self, unit: UnitChange) -> Result<()> {
        self.check_writable()?;
        self.formats.check_change_unit(&unit.unit)?;
        let change = self
            .open
            .as_mut()
            .and_then(|open| open.changes_mut().last_mut())
            .ok_or_else(|| {
                Error::InvalidOperation("no item change to add a change unit to".into())
            })?;
        if change.flags.deleted() || change.flags.does_not_exist() {
            return Err(Error::InvalidOperation(
                "a deleted item has no change units".into(),
            ));
        }
        if change.units.iter().any(|u| u.unit == unit.unit) {
            return Err(Error::InvalidArgument(
                "the change unit is already in the item change".into(),
            ));
        }
        change.units.push(unit);
        Ok(())
    }

    fn check_made_with(&self, made_with: &Knowledge) -> Result<()> {
        if *made_with.formats() != self.formats {
            return Err(Error::FormatsDiffer(
                "the made-with knowledge has other ID formats".into(),
            ));
        }
        if made_with.owner() != &*self.owner {
            return Err(Error::InvalidArgument(
                "the made-with knowledge is not the batch owner's".into(),
            ));
        }
        Ok(())
    }

    fn close(&mut self, kind: GroupKind, changes: Vec<ItemChange>, made_with: &Knowledge) {
        if changes.is_empty() {
            self.closed_by_empty_group = true;
        }
        self.groups.push(Group {
            kind,
            changes,
            made_with: Arc::new(made_with.clone()),
        });
    }

    /// Closes the open ordered group with the closed upper bound `upper` (`None`: no bound)
    /// and its made-with knowledge (`NF:winsync.ISyncChangeBatchBase.EndOrderedGroup`).
    ///
    /// # Errors
    /// [`Error::InvalidOperation`] without an open ordered group; [`Error::RangeOutOfOrder`]
    /// for an upper bound below the last item or the lower bound;
    /// [`Error::InvalidArgument`] for made-with knowledge not of the batch's owner;
    /// [`Error::ReadOnly`]; [`Error::IdFormatMismatch`].
    pub fn end_ordered_group(&mut self, upper: Option<&[u8]>, made_with: &Knowledge) -> Result<()> {
        self.check_writable()?;
        self.check_made_with(made_with)?;
        if let Some(id) = upper {
            self.formats.check_item(id)?;
        }
        let Some(Open::Ordered { lower, changes }) = &self.open else {
            return Err(Error::InvalidOperation("no ordered group is open".into()));
        };
        if let Some(upper) = upper {
            let highest = changes.last().map_or(&**lower, |c| &*c.item);
            if upper < highest {
                return Err(Error::RangeOutOfOrder(
                    "the upper bound is below the group's items or its lower bound".into(),
                ));
            }
        }
        let Some(Open::Ordered { lower, changes }) = self.open.take() else {
            unreachable!("matched above");
        };
        let kind = GroupKind::Ordered {
            lower,
            upper: upper.map(Into::into),
        };
        self.close(kind, changes, made_with);
        Ok(())
    }

    /// Closes the open unordered group (`NF:winsync.ISyncChangeBatch.EndUnorderedGroup`).
    ///
    /// # Errors
    /// [`Error::InvalidOperation`] without an open unordered group; as
    /// [`ChangeBatch::end_ordered_group`] for the knowledge.
    pub fn end_unordered_group(
        &mut self,
        made_with: &Knowledge,
        all_changes_for_knowledge: bool,
    ) -> Result<()> {
        self.check_writable()?;
        self.check_made_with(made_with)?;
        if !matches!(self.open, Some(Open::Unordered { .. })) {
            return Err(Error::InvalidOperation("no unordered group is open".into()));
        }
        let Some(Open::Unordered { changes }) = self.open.take() else {
            unreachable!("matched above");
        };
        self.close(
            GroupKind::Unordered {
                all_changes_for_knowledge,
            },
            changes,
            made_with,
        );
        Ok(())
    }

    /// Adds a logged conflict, outside any group (`NF:winsync.ISyncChangeBatch.AddLoggedConflict`).
    ///
    /// # Errors
    /// [`Error::ReadOnly`]; as [`ChangeBatch::add_change`] for the change itself.
    pub fn add_logged_conflict(
        &mut self,
        change: ItemChange,
        conflict_knowledge: &Knowledge,
    ) -> Result<()> {
        self.check_writable()?;
        change.check(&self.formats)?;
        self.logged_conflicts.push(LoggedConflict {
            change,
            conflict_knowledge: Arc::new(conflict_knowledge.clone()),
        });
        Ok(())
    }
}
