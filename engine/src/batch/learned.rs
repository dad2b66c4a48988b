//! What a batch teaches its destination (`NF:winsync.ISyncChangeBatchBase.GetLearnedKnowledge`,
//! `NF:winsync.ISyncChange.GetLearnedKnowledge`, and the prerequisite and full-enumeration
//! variants). The pages give the idea, not the algorithm; this one is documented on
//! [`crate::batch`].

use std::sync::Arc;

use super::{ChangeBatch, Group, GroupKind, ItemChange, not_full_enumeration};
use crate::error::{Error, Result};
use crate::forgotten::ForgottenKnowledge;
use crate::knowledge::Knowledge;

impl Group {
    /// What applying every change of this group teaches.
    ///
    /// # Errors
    /// [`Error::IdFormatMismatch`] for IDs not of the made-with knowledge's formats (never for a
    /// group a batch checked).
    pub fn learned_knowledge(&self) -> Result<Knowledge> {
        match &self.kind {
            GroupKind::Ordered { lower, upper } => {
                let upper = upper
                    .clone()
                    .unwrap_or_else(|| self.made_with.formats().item.max_id());
                self.made_with.project_onto_range(lower, &upper)
            }
            GroupKind::Unordered {
                all_changes_for_knowledge: true,
            } => Ok((*self.made_with).clone()),
            GroupKind::Unordered { .. } => {
                let mut learned = empty_like(&self.made_with)?;
                for change in &self.changes {
                    learned.union(&self.change_learned_knowledge(change)?)?;
                }
                Ok(learned)
            }
        }
    }

    /// What applying one change of this group teaches: the made-with knowledge projected onto
    /// the item, or onto each of its change units (`NF:winsync.ISyncChange.GetLearnedKnowledge`).
    ///
    /// # Errors
    /// As [`Group::learned_knowledge`].
    pub fn change_learned_knowledge(&self, change: &ItemChange) -> Result<Knowledge> {
        change.learned_knowledge(&self.made_with)
    }
}

impl ItemChange {
    /// What applying this change teaches, made with `made_with`: the made-with knowledge
    /// projected onto the item, or onto each of its change units
    /// (`NF:winsync.ISyncChange.GetLearnedKnowledge`).
    ///
    /// # Errors
    /// [`Error::IdFormatMismatch`] for IDs not of `made_with`'s formats.
    pub fn learned_knowledge(&self, made_with: &Knowledge) -> Result<Knowledge> {
        if self.units.is_empty() {
            return made_with.project_onto_item(&self.item);
        }
        let mut learned = empty_like(made_with)?;
        for unit in &self.units {
            learned.union(&made_with.project_onto_change_unit(&self.item, &unit.unit)?)?;
        }
        Ok(learned)
    }
}

/// Empty knowledge of `k`'s owner, formats and key space.
fn empty_like(k: &Knowledge) -> Result<Knowledge> {
    Ok(k.emptied())
}

impl ChangeBatch {
    /// What the destination learns by applying every change of the batch: the union of its
    /// groups' learned knowledge (logged conflicts teach their conflict knowledge only when
    /// applied) (`NF:winsync.ISyncChangeBatchBase.GetLearnedKnowledge`). Valid for a
    /// destination whose knowledge contains [`ChangeBatch::prerequisite`].
    ///
    /// # Errors
    /// [`Error::InvalidOperation`] while a group is open.
    pub fn learned_knowledge(&self) -> Result<Knowledge> {
        if self.open.is_some() {
            return Err(Error::InvalidOperation("a group is still open".into()));
        }
        if let Some(learned) = &self.learned {
            return Ok((**learned).clone());
        }
        let mut groups = self.groups.iter();
        let Some(first) = groups.next() else {
            return Knowledge::new(self.formats, &self.owner);
        };
        let mut learned = first.learned_knowledge()?;
        for group in groups {
            learned.union(&group.learned_knowledge()?)?;
        }
        Ok(learned)
    }

    /// The learned knowledge, keeping only the fragments whose prerequisite the destination's
    /// knowledge meets (`NF:winsync.ISyncChangeBatchWithPrerequisite.GetLearnedKnowledgeWithPrerequisite`).
    ///
    /// # Errors
    /// As [`ChangeBatch::learned_knowledge`]; [`Error::FormatsDiffer`].
    pub fn learned_knowledge_with_prerequisite(
        &self,
        destination: &Knowledge,
    ) -> Result<Knowledge> {
        self.learned_knowledge()?
            .project_onto_knowledge_with_prerequisite(&self.prerequisite, destination)
    }

    /// What the destination learns once the whole recovery is applied: the knowledge the
    /// full-enumeration group was made with
    /// (`NF:winsync.ISyncFullEnumerationChangeBatch.GetLearnedKnowledgeAfterRecoveryComplete`).
    ///
    /// # Errors
    /// [`Error::InvalidOperation`] for a batch that is not a full-enumeration batch, or whose
    /// group was not added or is still open.
    pub fn learned_knowledge_after_recovery(&self) -> Result<Knowledge> {
        self.closed_upper_bound()?;
        self.groups
            .first()
            .map(|g| (*g.made_with).clone())
            .ok_or_else(not_full_enumeration)
    }

    /// The source's forgotten knowledge projected onto the full-enumeration batch's range
    /// (`NF:winsync.ISyncChangeBatchWithPrerequisite.GetLearnedForgottenKnowledge`); `None`
    /// when the source forgot nothing.
    ///
    /// # Errors
    /// [`Error::InvalidOperation`] for a batch that is not a full-enumeration batch or whose
    /// group is not ended.
    pub fn learned_forgotten_knowledge(&self) -> Result<Option<ForgottenKnowledge>> {
        let upper = self.closed_upper_bound()?;
        let lower = self.closed_lower_bound()?;
        let Some(forgotten) = &self.source_forgotten else {
            return Ok(None);
        };
        let upper = upper.map_or_else(|| self.formats.item.max_id(), Into::into);
        let projected = forgotten.knowledge().project_onto_range(lower, &upper)?;
        Ok(Some(ForgottenKnowledge::from_knowledge(projected)))
    }

    /// The made-with knowledge of a change's group
    /// (`NF:winsync.ISyncChange.GetMadeWithKnowledge`).
    pub fn made_with(group: &Group) -> Arc<Knowledge> {
        group.made_with.clone()
    }
}
