//! The convergence test's change target: what it does with the applier's requests, checked
//! against the oracle's classification.

use super::*;

/// What the test's target does with the applier's requests.
pub(crate) struct Target<'a> {
    pub(crate) source_current: &'a BTreeMap<Item, WriteId>,
    pub(crate) source_known: &'a BTreeSet<WriteId>,
    /// The oracle's classification of each change of the batch (of the whole item).
    pub(crate) expected: &'a BTreeMap<Item, Expected>,
    /// The same per change unit, for the changes decided unit by unit.
    pub(crate) expected_units: &'a BTreeMap<UnitKey, Expected>,
    pub(crate) source_units: &'a BTreeMap<UnitKey, WriteId>,
    pub(crate) destination_units: &'a mut BTreeMap<UnitKey, WriteId>,
    pub(crate) failed_units: BTreeSet<UnitKey>,
    pub(crate) superseded: &'a mut BTreeSet<WriteId>,
    pub(crate) lost: &'a mut BTreeSet<WriteId>,
    pub(crate) destination_current: &'a mut BTreeMap<Item, WriteId>,
    pub(crate) writes: &'a mut Vec<Write>,
    pub(crate) rng: &'a mut Rng,
    pub(crate) fail_percent: usize,
    /// Resolutions allowed under the manual policy.
    pub(crate) actions: &'a [ResolveAction],
    pub(crate) failed: BTreeSet<Item>,
    pub(crate) merges: Vec<WriteId>,
    /// Items saved as merges.
    pub(crate) merged_items: BTreeSet<Item>,
    /// Which action the application chose, per item, under the manual policy.
    pub(crate) chosen: BTreeMap<Item, ResolveAction>,
    pub(crate) seed: u64,
}

pub(crate) fn item_of(bytes: &[u8]) -> Item {
    bytes.try_into().unwrap()
}

impl ChangeTarget for Target<'_> {
    fn save(&mut self, save: &Save<'_>) -> Result<(), ItemError> {
        let item = item_of(save.item);
        if save.kind != SaveKind::DeleteAndForget && self.rng.chance(self.fail_percent) {
            self.failed.insert(item);
            return Err(ItemError("injected".into()));
        }
        let previous = self.destination_current.get(&item).copied();
        if traced(&item) {
            eprintln!(
                "  save {:?} over {previous:?} (source write {:?})",
                save.kind,
                self.source_current.get(&item)
            );
        }
        match save.kind {
            SaveKind::Delete if !self.writes[self.source_current[&item]].deleted => {
                // A forgotten deletion won its conflict: the item is a tombstone again (the
                // new deletion write is made after the batch).
                assert_eq!(previous, None, "seed {}", self.seed);
            }
            SaveKind::Create | SaveKind::Update | SaveKind::Delete => {
                let write = self.source_current[&item];
                let source_units: BTreeMap<UnitKey, WriteId> = self
                    .source_units
                    .range((item, 0)..=(item, u8::MAX))
                    .map(|(k, w)| (*k, *w))
                    .collect();
                // The source's state follows every write of the item it knows.
                for &w in self.source_known {
                    if w != write
                        && self.writes[w].item == item
                        && !source_units.values().any(|&su| su == w)
                    {
                        self.superseded.insert(w);
                    }
                }
                // The destination's unit writes go; the source's come whole.
                let ours: Vec<(UnitKey, WriteId)> = self
                    .destination_units
                    .range((item, 0)..=(item, u8::MAX))
                    .map(|(k, w)| (*k, *w))
                    .collect();
                for (key, wd) in ours {
                    self.destination_units.remove(&key);
                    if self.source_known.contains(&wd) {
                        self.superseded.insert(wd);
                    } else if source_units.get(&key) != Some(&wd) {
                        assert_eq!(
                            self.expected.get(&item),
                            Some(&Expected::Conflict),
                            "seed {}: unit write {wd} overwritten whole",
                            self.seed
                        );
                        self.lost.insert(wd);
                    }
                }
                self.destination_units.extend(source_units);
                if let Some(wd) = previous.filter(|&wd| wd != write) {
                    if self.source_known.contains(&wd) {
                        self.superseded.insert(wd);
                    } else {
                        assert_eq!(
                            self.expected.get(&item),
                            Some(&Expected::Conflict),
                            "seed {}: write {wd} overwritten by {write}, whose replica did not know it",
                            self.seed
                        );
                        self.lost.insert(wd);
                    }
                }
                assert_eq!(
                    self.writes[write].deleted,
                    save.kind == SaveKind::Delete,
                    "seed {}: a {:?} for write {write}",
                    self.seed,
                    save.kind
                );
                self.destination_current.insert(item, write);
            }
            SaveKind::Merge => {
                let merged = self.writes.len();
                let creation =
                    previous.map_or(self.source_current[&item], |p| self.writes[p].creation);
                self.writes.push(Write {
                    unit: None,
                    item,
                    deleted: false,
                    creation,
                });
                self.superseded.extend(previous);
                self.superseded.insert(self.source_current[&item]);
                let ours: Vec<UnitKey> = self
                    .destination_units
                    .range((item, 0)..=(item, u8::MAX))
                    .map(|(k, _)| *k)
                    .collect();
                for key in ours {
                    self.superseded.extend(self.destination_units.remove(&key));
                }
                self.superseded.extend(
                    self.source_units
                        .range((item, 0)..=(item, u8::MAX))
                        .map(|(_, w)| *w),
                );
                self.merges.push(merged);
                self.merged_items.insert(item);
                self.destination_current.insert(item, merged);
            }
            SaveKind::DeleteAndForget => {
                assert!(
                    !self.source_current.contains_key(&item),
                    "seed {}: item {item:?} forgotten, the source holds it",
                    self.seed
                );
                if let Some(wd) = previous {
                    assert!(
                        self.source_known.contains(&wd),
                        "seed {}: forgot an unseen write",
                        self.seed
                    );
                    self.superseded.insert(wd);
                }
                let ours: Vec<UnitKey> = self
                    .destination_units
                    .range((item, 0)..=(item, u8::MAX))
                    .map(|(k, _)| *k)
                    .collect();
                for key in ours {
                    self.superseded.extend(self.destination_units.remove(&key));
                }
                self.destination_current.remove(&item);
            }
        }
        Ok(())
    }

    fn save_unit(&mut self, save: &UnitSave<'_>) -> Result<(), ItemError> {
        let item = item_of(save.item);
        let key = (item, save.unit.unit[0]);
        if self.rng.chance(self.fail_percent) {
            self.failed_units.insert(key);
            return Err(ItemError("injected".into()));
        }
        let su = self.source_units[&key];
        let previous = self.destination_units.get(&key).copied();
        UNIT_SAVES.fetch_add(1, Ordering::Relaxed);
        if traced(&item) {
            eprintln!(
                "  save unit {} {:?} over {previous:?} (source write {su})",
                key.1, save.kind
            );
        }
        if save.kind == SaveKind::Merge {
            let merged = self.writes.len();
            let creation = self.writes[self.destination_current[&item]].creation;
            self.writes.push(Write {
                item,
                deleted: false,
                creation,
                unit: Some(key.1),
            });
            self.superseded.extend(previous);
            self.superseded.insert(su);
            self.merges.push(merged);
            self.destination_units.insert(key, merged);
            return Ok(());
        }
        for &w in self.source_known {
            if w != su && self.writes[w].item == item && self.writes[w].unit == Some(key.1) {
                self.superseded.insert(w);
            }
        }
        if let Some(wd) = previous.filter(|&wd| wd != su) {
            if self.source_known.contains(&wd) {
                self.superseded.insert(wd);
            } else {
                assert_eq!(
                    self.expected_units.get(&key),
                    Some(&Expected::Conflict),
                    "seed {}: unit write {wd} overwritten by {su}, whose replica did not know it",
                    self.seed
                );
                self.lost.insert(wd);
            }
        }
        self.destination_units.insert(key, su);
        Ok(())
    }

    fn resolve(&mut self, conflict: &Conflict<'_>) -> ResolveAction {
        let action = self.actions[self.rng.below(self.actions.len())];
        self.chosen.insert(item_of(conflict.item), action);
        action
    }
}
