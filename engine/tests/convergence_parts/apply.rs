//! One batch applied from one replica to another, every change checked against the oracle.

use super::*;

impl World {
    /// One batch from `s` to `d`; returns the activity, or `None` when the destination is
    /// out of date and the batch was not applied.
    pub(crate) fn apply(
        &mut self,
        s: usize,
        d: usize,
        batch: &ChangeBatch,
        plan: SessionPlan,
        partial: bool,
    ) -> Option<Activity> {
        let seed = self.seed;
        let classes: Vec<(Item, Classes)> = batch
            .changes()
            .map(|(_, c)| {
                let item = item_of(&c.item);
                (item, self.classify(s, d, &item))
            })
            .collect();
        // The changes decided whole, and the change units decided one by one.
        let expected: Vec<(Item, Expected)> = classes
            .iter()
            .filter_map(|(item, c)| match c[..] {
                [(None, e)] => Some((*item, e)),
                _ => None,
            })
            .collect();
        let by_unit: BTreeMap<UnitKey, Expected> = classes
            .iter()
            .flat_map(|(item, c)| {
                c.iter()
                    .filter_map(move |(u, e)| u.map(|u| ((*item, u), *e)))
            })
            .collect();
        let by_item: BTreeMap<Item, Expected> = expected.iter().copied().collect();
        let forgotten_deletions: BTreeMap<Item, Vec<WriteId>> = expected
            .iter()
            .filter(|(item, _)| !self.nodes[d].current.contains_key(item))
            .map(|(item, _)| (*item, self.deletions_known(d, item)))
            .collect();
        let actions: &[ResolveAction] = if plan.may_defer {
            &[
                ResolveAction::AcceptSource,
                ResolveAction::AcceptDestination,
                ResolveAction::Merge,
                ResolveAction::Defer,
                ResolveAction::TransferAndDefer,
            ]
        } else {
            &[
                ResolveAction::AcceptSource,
                ResolveAction::AcceptDestination,
                ResolveAction::Merge,
            ]
        };
        let (source, destination) = if s < d {
            let (a, b) = self.nodes.split_at_mut(d);
            (&a[s], &mut b[0])
        } else {
            let (a, b) = self.nodes.split_at_mut(s);
            (&b[0], &mut a[d])
        };
        let mut target = Target {
            source_current: &source.current,
            source_known: &source.known,
            expected: &by_item,
            expected_units: &by_unit,
            source_units: &source.units,
            destination_units: &mut destination.units,
            failed_units: BTreeSet::new(),
            superseded: &mut self.superseded,
            lost: &mut self.lost,
            destination_current: &mut destination.current,
            writes: &mut self.writes,
            rng: &mut self.rng,
            fail_percent: plan.fail_percent,
            actions,
            failed: BTreeSet::new(),
            merges: Vec::new(),
            merged_items: BTreeSet::new(),
            chosen: BTreeMap::new(),
            seed,
        };
        let mut options = ApplyOptions::new(plan.policy);
        options.partial = partial;
        let outcome = destination
            .replica
            .apply_batch(batch, options, &mut target)
            .unwrap_or_else(|e| panic!("seed {seed}: a batch was refused: {e}"));
        let (failed, merges, merged_items) = (target.failed, target.merges, target.merged_items);
        let failed_units = target.failed_units;
        if outcome.full_enumeration_needed {
            return None;
        }

        // Each change as the oracle says.
        let known = classes
            .iter()
            .filter(|(_, c)| c.iter().all(|(_, e)| *e == Expected::Known))
            .count();
        assert_eq!(
            outcome.known as usize, known,
            "seed {seed}: known changes of {expected:?}"
        );
        let conflicts: BTreeSet<(Item, Option<u8>)> = outcome
            .conflicts
            .iter()
            .map(|c| (item_of(&c.item), c.unit.as_deref().map(|u| u[0])))
            .collect();
        let all = || {
            classes
                .iter()
                .flat_map(|(i, c)| c.iter().map(move |(u, e)| ((*i, *u), *e)))
        };
        let must: BTreeSet<(Item, Option<u8>)> = all()
            .filter(|(_, e)| *e == Expected::Conflict)
            .map(|(k, _)| k)
            .collect();
        let may: BTreeSet<(Item, Option<u8>)> = all()
            .filter(|(_, e)| matches!(e, Expected::Conflict | Expected::ApplyOrConflict))
            .map(|(k, _)| k)
            .collect();
        if !(must.is_subset(&conflicts) && conflicts.is_subset(&may)) {
            for (item, unit) in conflicts.symmetric_difference(&may) {
                eprintln!("unit {unit:?}");
                let ws = source.current[item];
                eprintln!(
                    "item {item:?}: source write {ws} (creation {}, deleted {}), destination holds {:?}, knows the creation: {}, knows deletions {:?}",
                    self.writes[ws].creation,
                    self.writes[ws].deleted,
                    destination.current.get(item),
                    destination.known.contains(&self.writes[ws].creation),
                    destination
                        .known
                        .iter()
                        .filter(|&&w| self.writes[w].item == *item)
                        .collect::<Vec<_>>()
                );
            }
        }
        assert!(
            must.is_subset(&conflicts) && conflicts.is_subset(&may),
            "seed {seed}: conflicts {conflicts:?} are not the concurrent writes {must:?} (or the over-approximated {may:?})"
        );

        // Changes applied under a new local version: the new write knows the source's and
        // every deletion of the item the destination knew (forgotten here).
        let mut reissued_writes = Vec::new();
        for id in &outcome.reissued {
            let item = item_of(id);
            assert!(
                !failed.contains(&item) && forgotten_deletions.contains_key(&item),
                "seed {seed}: item {item:?} reissued, but held here or not saved"
            );
            if traced(&item) {
                eprintln!("  reissued");
            }
            let adopted = destination.current[&item];
            let reissued = self.writes.len();
            let (deleted, creation) = (self.writes[adopted].deleted, self.writes[adopted].creation);
            self.writes.push(Write {
                unit: None,
                item,
                deleted,
                creation,
            });
            self.superseded.insert(adopted);
            self.superseded
                .extend(forgotten_deletions[&item].iter().copied());
            // A change of the whole item: the unit writes the save took go.
            let ours: Vec<UnitKey> = destination
                .units
                .range((item, 0)..=(item, u8::MAX))
                .map(|(k, _)| *k)
                .collect();
            for key in ours {
                self.superseded.extend(destination.units.remove(&key));
            }
            destination.current.insert(item, reissued);
            reissued_writes.push(reissued);
        }

        // Resolutions that drop a write, or keep the item out of what is learned. (A source
        // write that loses to the destination's is lost; the destination's write that loses
        // was marked when the save overwrote it.)
        let mut excluded: BTreeSet<Item> = failed;
        let mut excluded_units: BTreeSet<UnitKey> = failed_units;
        for record in &outcome.conflicts {
            let item = item_of(&record.item);
            if traced(&item) {
                eprintln!("  conflict {:?} unit {:?}", record.action, record.unit);
            }
            if let Some(unit) = record.unit.as_deref() {
                UNIT_CONFLICTS.fetch_add(1, Ordering::Relaxed);
                // A conflict on one change unit: its resolution is a unit write of the
                // destination (but for a deferral, or a save that failed).
                let key = (item, unit[0]);
                let creation = self.writes[destination.current[&item]].creation;
                let adopted = match record.action {
                    ResolveAction::Defer | ResolveAction::TransferAndDefer => {
                        excluded_units.insert(key);
                        None
                    }
                    ResolveAction::AcceptDestination => {
                        self.lost.insert(source.units[&key]);
                        Some(destination.units.get(&key).copied())
                    }
                    ResolveAction::AcceptSource if !excluded_units.contains(&key) => {
                        Some(destination.units.get(&key).copied())
                    }
                    _ => None,
                };
                if let Some(adopted) = adopted {
                    let reissued = self.writes.len();
                    self.writes.push(Write {
                        item,
                        deleted: false,
                        creation,
                        unit: Some(key.1),
                    });
                    self.superseded.extend(adopted);
                    destination.units.insert(key, reissued);
                    reissued_writes.push(reissued);
                }
                continue;
            }
            let ours: Vec<UnitKey> = destination
                .units
                .range((item, 0)..=(item, u8::MAX))
                .map(|(k, _)| *k)
                .collect();
            match record.action {
                ResolveAction::AcceptDestination => {
                    // The destination's state is re-issued as a new write that knows the
                    // source's.
                    if excluded.contains(&item) {
                        continue;
                    }
                    self.lost.insert(source.current[&item]);
                    let kept = destination
                        .current
                        .get(&item)
                        .copied()
                        .or_else(|| {
                            forgotten_deletions
                                .get(&item)
                                .and_then(|d| d.iter().max().copied())
                        })
                        .expect("a conflict has a destination side");
                    let reissued = self.writes.len();
                    let deleted = self.writes[kept].deleted;
                    // A forgotten deletion's lifecycle is unknown: the new tombstone takes the
                    // source's, as the engine's metadata does.
                    let creation = if record.destination_forgotten {
                        self.writes[source.current[&item]].creation
                    } else {
                        self.writes[kept].creation
                    };
                    self.writes.push(Write {
                        unit: None,
                        item,
                        deleted,
                        creation,
                    });
                    self.superseded.insert(kept);
                    for key in &ours {
                        self.superseded.extend(destination.units.remove(key));
                    }
                    self.lost.extend(
                        source
                            .units
                            .range((item, 0)..=(item, u8::MAX))
                            .map(|(_, w)| *w),
                    );
                    destination.current.insert(item, reissued);
                    reissued_writes.push(reissued);
                }
                ResolveAction::Defer | ResolveAction::TransferAndDefer => {
                    excluded.insert(item);
                }
                ResolveAction::AcceptSource | ResolveAction::Merge
                    if !excluded.contains(&item)
                        && (record.action == ResolveAction::AcceptSource
                            || !merged_items.contains(&item)) =>
                {
                    if record.destination_forgotten {
                        // The forgotten deletions the source did not know lose.
                        let unseen = forgotten_deletions
                            .get(&item)
                            .into_iter()
                            .flatten()
                            .copied()
                            .filter(|w| !source.known.contains(w));
                        self.lost.extend(unseen);
                    }
                    // The source's state, re-issued as a new write of the destination.
                    let adopted = destination.current[&item];
                    let reissued = self.writes.len();
                    let (deleted, creation) =
                        (self.writes[adopted].deleted, self.writes[adopted].creation);
                    self.writes.push(Write {
                        unit: None,
                        item,
                        deleted,
                        creation,
                    });
                    self.superseded.insert(adopted);
                    for key in &ours {
                        self.superseded.extend(destination.units.remove(key));
                    }
                    destination.current.insert(item, reissued);
                    reissued_writes.push(reissued);
                }
                ResolveAction::AcceptSource | ResolveAction::Merge => {}
            }
        }
        // A full enumeration keeps (and does not learn) the items it does not list whose
        // write the source does not know.
        if batch.is_full_enumeration() {
            let lower = batch.closed_lower_bound().unwrap().to_vec();
            let upper = batch.closed_upper_bound().unwrap().map(<[u8]>::to_vec);
            let listed: BTreeSet<Item> = classes.iter().map(|(i, _)| *i).collect();
            for (item, w) in &destination.current {
                let inside =
                    item[..] >= lower[..] && upper.as_ref().is_none_or(|u| item[..] <= u[..]);
                let unseen = !source.known.contains(w)
                    || destination
                        .units
                        .range((*item, 0)..=(*item, u8::MAX))
                        .any(|(_, w)| !source.known.contains(w));
                if inside && !listed.contains(item) && unseen {
                    excluded.insert(*item);
                }
            }
        }
        // What the destination learns.
        let covered: Box<Covered> = if partial {
            let received: BTreeSet<Item> = expected
                .iter()
                .filter(|(i, e)| *e != Expected::Known && !excluded.contains(i))
                .map(|(i, _)| *i)
                .collect();
            // A change decided unit by unit teaches its units only.
            let received_units: BTreeSet<UnitKey> = by_unit
                .keys()
                .filter(|k| !excluded_units.contains(k))
                .copied()
                .collect();
            Box::new(move |i, u| {
                received.contains(i) || u.is_some_and(|u| received_units.contains(&(*i, u)))
            })
        } else {
            let ranges: Vec<(Vec<u8>, Option<Vec<u8>>)> = batch
                .groups()
                .iter()
                .map(|g| match &g.kind {
                    GroupKind::Ordered { lower, upper } => {
                        (lower.to_vec(), upper.as_ref().map(|u| u.to_vec()))
                    }
                    GroupKind::Unordered { .. } => {
                        unreachable!("the enumerator makes ordered groups")
                    }
                })
                .collect();
            let excluded = excluded.clone();
            let excluded_units = excluded_units.clone();
            Box::new(move |i, u| {
                !excluded.contains(i)
                    && u.is_none_or(|u| !excluded_units.contains(&(*i, u)))
                    && ranges.iter().any(|(lo, hi)| {
                        i[..] >= lo[..] && hi.as_ref().is_none_or(|h| i[..] <= h[..])
                    })
            })
        };
        let learned: Vec<WriteId> = source
            .known
            .iter()
            .copied()
            .filter(|&w| covered(&self.writes[w].item, self.writes[w].unit))
            .collect();
        destination.known.extend(learned);
        destination.known.extend(merges);
        destination.known.extend(reissued_writes);
        Some(Activity {
            applied: outcome.applied,
            conflicts: outcome.conflicts.len(),
            forgotten: outcome.forgotten_items,
            reissued: outcome.reissued.len(),
        })
    }
}
