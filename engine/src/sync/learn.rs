//! What a destination learns after applying a batch (see the module docs of
//! [`super::apply`]): the batch's learned knowledge, or each received change's, minus the items
//! and change units deferred or failed.

use std::collections::BTreeSet;

use super::replica::Replica;
use super::units::ExcludedUnits;
use crate::batch::{ChangeBatch, Group, ItemChange};
use crate::error::Result;
use crate::forgotten::ForgottenKnowledge;

impl Replica {
    /// Learns what the batch teaches, minus the excluded items: with `per_change`, only what
    /// each change received teaches (a partial synchronization, or a batch whose learned
    /// knowledge is not to be applied).
    pub(super) fn learn(
        &mut self,
        batch: &ChangeBatch,
        per_change: bool,
        received: &[(&Group, &ItemChange, bool)],
        excluded: &BTreeSet<Box<[u8]>>,
        excluded_units: &ExcludedUnits,
    ) -> Result<()> {
        let meets_prerequisite = self.knowledge.contains_knowledge(batch.prerequisite())?;
        let mut learned = if per_change {
            // Only the items received, as single-item knowledge.
            let mut learned = self.knowledge.emptied();
            for (group, change, whole) in received {
                if *whole {
                    // A change taken whole teaches the whole item, whatever units it carried.
                    learned.union(&group.made_with.project_onto_item(&change.item)?)?;
                } else {
                    learned.union(&group.change_learned_knowledge(change)?)?;
                }
            }
            if meets_prerequisite {
                learned
            } else {
                // A change's learned knowledge is valid only for a replica whose knowledge
                // contains the batch's prerequisite (`NF:winsync.ISyncChange.GetLearnedKnowledge`,
                // rule sync-change.get-learned-knowledge.prerequisite): only the fragments
                // whose prerequisite this replica meets.
                learned.project_onto_knowledge_with_prerequisite(
                    batch.prerequisite(),
                    &self.knowledge,
                )?
            }
        } else if meets_prerequisite {
            batch.learned_knowledge()?
        } else {
            batch.learned_knowledge_with_prerequisite(&self.knowledge)?
        };
        for item in excluded {
            learned.exclude_item(item)?;
        }
        for (item, unit) in excluded_units {
            learned.exclude_change_unit(item, unit)?;
        }
        // A full enumeration teaches its range like any batch: once every range is applied,
        // the destination's knowledge contains the source's, forgotten versions included.
        self.knowledge.union(&learned)?;
        if batch.is_full_enumeration() && !per_change {
            // The destination removed the items the source forgot: it forgets them too (but
            // for the items it did not learn), so that replicas it synchronizes with later
            // recover in turn.
            if let Some(forgotten) = batch.learned_forgotten_knowledge()? {
                let mut forgotten = forgotten.knowledge().clone();
                for item in excluded {
                    forgotten.exclude_item(item)?;
                }
                for (item, unit) in excluded_units {
                    forgotten.exclude_change_unit(item, unit)?;
                }
                self.forgotten.union(
                    &ForgottenKnowledge::from_knowledge(forgotten),
                    &self.knowledge,
                )?;
            }
        }
        Ok(())
    }
}
