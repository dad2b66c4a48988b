//! The knowledge algebra against an explicit model: for every point (item, change unit) of a
//! small universe, the set of versions `(replica ID, tick)` known there. Every operation is
//! checked point by point against the set operation it stands for, and the algebraic laws
//! (union commutative, associative, idempotent; containment monotone; one canonical form;
//! serialization the identity) are checked on random knowledge.
//!
//! Universe: replica IDs of 1 byte (three replicas), item IDs of 1 byte (all 256 items are
//! points), change-unit IDs of 1 byte (0 to 3 used by operations, 200 never named: it stands
//! for every other change unit), ticks 0 to 5.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use winsync_engine::{IdFormat, IdFormats, Knowledge, Version};

const FORMATS: IdFormats = IdFormats {
    replica: IdFormat::fixed(1),
    item: IdFormat::fixed(1),
    change_unit: IdFormat::fixed(1),
};
const REPLICAS: [u8; 3] = [0xA, 0xB, 0xC];
const UNITS: [u8; 5] = [0, 1, 2, 3, 200];

/// The known versions `(replica ID, tick)` at one point.
type Versions = BTreeSet<(u8, u64)>;

/// The model: the versions known at every point.
#[derive(Clone, PartialEq)]
struct Model(BTreeMap<(u8, u8), Versions>);

impl std::fmt::Debug for Model {
    /// Runs of equal points, so that a failure prints a few lines.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        type Run<'a> = ((u8, u8), (u8, u8), &'a Versions);
        let mut runs: Vec<Run<'_>> = Vec::new();
        for (p, v) in &self.0 {
            match runs.last_mut() {
                Some((_, end, last)) if *last == v => *end = *p,
                _ => runs.push((*p, *p, v)),
            }
        }
        for (start, end, v) in runs {
            writeln!(f, "{start:?}..={end:?}: {v:?}")?;
        }
        Ok(())
    }
}

impl Model {
    fn empty() -> Self {
        Self(points().map(|p| (p, Versions::new())).collect())
    }
    fn at(&self, item: u8, unit: u8) -> &Versions {
        &self.0[&(item, unit)]
    }
    fn map(&self, mut f: impl FnMut((u8, u8), &Versions) -> Versions) -> Self {
        Self(self.0.iter().map(|(&p, v)| (p, f(p, v))).collect())
    }
    fn zip(&self, other: &Self, mut f: impl FnMut(&Versions, &Versions) -> Versions) -> Self {
        self.map(|p, v| f(v, &other.0[&p]))
    }
    fn contains(&self, other: &Self) -> bool {
        self.0.iter().all(|(p, v)| other.0[p].is_subset(v))
    }
}

fn points() -> impl Iterator<Item = (u8, u8)> {
    (0..=255u8).flat_map(|i| UNITS.into_iter().map(move |c| (i, c)))
}

/// Every version of `replica` up to `tick`.
fn upto(replica: u8, tick: u64) -> Versions {
    (0..=tick).map(|t| (replica, t)).collect()
}

/// What the knowledge says at every point, as versions by replica ID.
fn model_of(k: &Knowledge) -> Model {
    Model(
        points()
            .map(|(i, c)| {
                let vector = k.vector(&[i], Some(&[c]));
                let versions = vector
                    .elements()
                    .flat_map(|(key, tick)| {
                        let id = k.key_map().id_of(key).unwrap()[0];
                        upto(id, tick)
                    })
                    .collect();
                ((i, c), versions)
            })
            .collect(),
    )
}

/// One step of building knowledge.
#[derive(Clone, Debug)]
enum Step {
    /// Learn `replica` to `tick` over `[lo, hi]`.
    Range {
        lo: u8,
        hi: u8,
        replica: usize,
        tick: u64,
    },
    /// Learn `replica` to `tick` for one change unit of one item.
    Unit {
        item: u8,
        unit: u8,
        replica: usize,
        tick: u64,
    },
    /// Learn `replica` to `tick` for a set of change units, all items.
    Columns {
        units: Vec<u8>,
        replica: usize,
        tick: u64,
    },
    /// Learn `replica` to `tick` everywhere.
    Everywhere {
        replica: usize,
        tick: u64,
    },
    ExcludeItem(u8),
    ExcludeUnit(u8, u8),
}

fn step() -> impl Strategy<Value = Step> {
    let replica = 0..3usize;
    let tick = 0..6u64;
    let unit = 0..4u8;
    prop_oneof![
        (any::<u8>(), any::<u8>(), replica.clone(), tick.clone()).prop_map(
            |(a, b, replica, tick)| {
                Step::Range {
                    lo: a.min(b),
                    hi: a.max(b),
                    replica,
                    tick,
                }
            }
        ),
        (any::<u8>(), unit.clone(), replica.clone(), tick.clone()).prop_map(
            |(item, unit, replica, tick)| Step::Unit {
                item,
                unit,
                replica,
                tick
            }
        ),
        (
            proptest::collection::vec(unit.clone(), 1..3),
            replica.clone(),
            tick.clone()
        )
            .prop_map(|(units, replica, tick)| Step::Columns {
                units,
                replica,
                tick
            }),
        (replica, tick).prop_map(|(replica, tick)| Step::Everywhere { replica, tick }),
        any::<u8>().prop_map(Step::ExcludeItem),
        (any::<u8>(), unit).prop_map(|(i, c)| Step::ExcludeUnit(i, c)),
    ]
}

/// Knowledge of `owner` learning every replica to `tick` at every point.
fn everywhere(owner: u8, replica: u8, tick: u64) -> Knowledge {
    let mut k = Knowledge::new(FORMATS, &[owner]).unwrap();
    k.learn(&[replica], tick).unwrap();
    k
}

/// Applies the steps to knowledge and model alike.
fn build(owner: u8, steps: &[Step]) -> (Knowledge, Model) {
    let mut k = Knowledge::new(FORMATS, &[owner]).unwrap();
    let mut m = Model::empty();
    for step in steps {
        match step {
            Step::Range {
                lo,
                hi,
                replica,
                tick,
            } => {
                let r = REPLICAS[*replica];
                let learned = everywhere(owner, r, *tick)
                    .project_onto_range(&[*lo], &[*hi])
                    .unwrap();
                k.union(&learned).unwrap();
                m = m.map(|(i, _), v| {
                    let mut v = v.clone();
                    if (*lo..=*hi).contains(&i) {
                        v.extend(upto(r, *tick));
                    }
                    v
                });
            }
            Step::Unit {
                item,
                unit,
                replica,
                tick,
            } => {
                let r = REPLICAS[*replica];
                let learned = everywhere(owner, r, *tick)
                    .project_onto_change_unit(&[*item], &[*unit])
                    .unwrap();
                k.union(&learned).unwrap();
                m = m.map(|p, v| {
                    let mut v = v.clone();
                    if p == (*item, *unit) {
                        v.extend(upto(r, *tick));
                    }
                    v
                });
            }
            Step::Columns {
                units,
                replica,
                tick,
            } => {
                let r = REPLICAS[*replica];
                let columns: Vec<&[u8]> = units.iter().map(std::slice::from_ref).collect();
                let learned = everywhere(owner, r, *tick)
                    .project_onto_columns(&columns)
                    .unwrap();
                k.union(&learned).unwrap();
                m = m.map(|(_, c), v| {
                    let mut v = v.clone();
                    if units.contains(&c) {
                        v.extend(upto(r, *tick));
                    }
                    v
                });
            }
            Step::Everywhere { replica, tick } => {
                let r = REPLICAS[*replica];
                k.learn(&[r], *tick).unwrap();
                m = m.map(|_, v| v.iter().copied().chain(upto(r, *tick)).collect());
            }
            Step::ExcludeItem(item) => {
                k.exclude_item(&[*item]).unwrap();
                m = m.map(|(i, _), v| {
                    if i == *item {
                        Versions::new()
                    } else {
                        v.clone()
                    }
                });
            }
            Step::ExcludeUnit(item, unit) => {
                k.exclude_change_unit(&[*item], &[*unit]).unwrap();
                m = m.map(|p, v| {
                    if p == (*item, *unit) {
                        Versions::new()
                    } else {
                        v.clone()
                    }
                });
            }
        }
    }
    (k, m)
}

fn knowledge() -> impl Strategy<Value = (Knowledge, Model)> {
    (
        proptest::sample::select(REPLICAS.to_vec()),
        proptest::collection::vec(step(), 0..8),
    )
        .prop_map(|(owner, steps)| build(owner, &steps))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn knowledge_agrees_with_the_model((k, m) in knowledge()) {
        prop_assert_eq!(model_of(&k), m);
    }

    #[test]
    fn union_is_the_set_union_and_commutative_associative_idempotent(
        (a, ma) in knowledge(), (b, mb) in knowledge(), (c, mc) in knowledge()
    ) {
        let mut ab = a.clone();
        ab.union(&b).unwrap();
        prop_assert_eq!(model_of(&ab), ma.zip(&mb, |x, y| x | y));
        let mut ba = b.clone();
        ba.union(&a).unwrap();
        prop_assert!(ab.contains_knowledge(&ba).unwrap() && ba.contains_knowledge(&ab).unwrap());
        let mut ab_c = ab.clone();
        ab_c.union(&c).unwrap();
        let mut bc = b.clone();
        bc.union(&c).unwrap();
        let mut a_bc = a.clone();
        a_bc.union(&bc).unwrap();
        prop_assert_eq!(model_of(&ab_c), model_of(&a_bc));
        prop_assert_eq!(model_of(&ab_c), ma.zip(&mb, |x, y| x | y).zip(&mc, |x, y| x | y));
        let mut aa = a.clone();
        aa.union(&a).unwrap();
        prop_assert_eq!(&aa, &a);
    }

    #[test]
    fn containment_is_the_subset_order_and_monotone_in_union(
        (a, ma) in knowledge(), (b, mb) in knowledge()
    ) {
        prop_assert_eq!(a.contains_knowledge(&b).unwrap(), ma.contains(&mb));
        let mut ab = a.clone();
        ab.union(&b).unwrap();
        prop_assert!(ab.contains_knowledge(&a).unwrap());
        prop_assert!(ab.contains_knowledge(&b).unwrap());
    }

    #[test]
    fn contains_change_agrees_with_the_model(
        (k, m) in knowledge(), item: u8, unit in 0..4u8, replica in 0..3usize, tick in 0..6u64
    ) {
        let r = REPLICAS[replica];
        let mut probe = k.clone();
        let key = probe.find_or_add_replica(&[r]).unwrap();
        let version = Version::new(key, tick);
        prop_assert_eq!(
            probe.contains_change_unit(&[item], &[unit], version).unwrap(),
            m.at(item, unit).contains(&(r, tick))
        );
        // An item-level change is known when every change unit knows it.
        let every_unit = UNITS.iter().all(|&c| m.at(item, c).contains(&(r, tick)));
        prop_assert_eq!(probe.contains_change(&[item], version).unwrap(), every_unit);
    }

    #[test]
    fn projections_and_exclusions_agree_with_the_model(
        (k, m) in knowledge(), lo: u8, hi: u8, item: u8, unit in 0..4u8, cols in proptest::collection::vec(0..4u8, 1..3)
    ) {
        let (lo, hi) = (lo.min(hi), lo.max(hi));
        let range = k.project_onto_range(&[lo], &[hi]).unwrap();
        prop_assert_eq!(model_of(&range), m.map(|(i, _), v| if (lo..=hi).contains(&i) { v.clone() } else { Versions::new() }));
        let one = k.project_onto_item(&[item]).unwrap();
        prop_assert_eq!(model_of(&one), m.map(|(i, _), v| if i == item { v.clone() } else { Versions::new() }));
        let cu = k.project_onto_change_unit(&[item], &[unit]).unwrap();
        prop_assert_eq!(model_of(&cu), m.map(|p, v| if p == (item, unit) { v.clone() } else { Versions::new() }));
        let columns: Vec<&[u8]> = cols.iter().map(std::slice::from_ref).collect();
        let projected = k.project_onto_columns(&columns).unwrap();
        prop_assert_eq!(model_of(&projected), m.map(|(_, c), v| if cols.contains(&c) { v.clone() } else { Versions::new() }));
        let mut without = k.clone();
        without.exclude_item(&[item]).unwrap();
        prop_assert_eq!(model_of(&without), m.map(|(i, _), v| if i == item { Versions::new() } else { v.clone() }));
        let mut without_unit = k.clone();
        without_unit.exclude_change_unit(&[item], &[unit]).unwrap();
        prop_assert_eq!(model_of(&without_unit), m.map(|p, v| if p == (item, unit) { Versions::new() } else { v.clone() }));
    }

    #[test]
    fn complement_intersects_and_lowest_uncontained_agree_with_the_model(
        (a, ma) in knowledge(), (b, mb) in knowledge()
    ) {
        let complement = a.complement(&b).unwrap();
        prop_assert_eq!(
            model_of(&complement),
            ma.zip(&mb, |x, y| if x.is_subset(y) { Versions::new() } else { x.clone() })
        );
        // The complement is empty exactly when `b` contains `a`.
        let empty = Knowledge::new(FORMATS, complement.owner()).unwrap();
        prop_assert_eq!(empty.contains_knowledge(&complement).unwrap(), b.contains_knowledge(&a).unwrap());
        let shared = ma.0.iter().any(|(p, v)| !v.is_disjoint(&mb.0[p]));
        prop_assert_eq!(a.intersects(&b).unwrap(), shared);
        let lowest = (0..=255u8).find(|&i| UNITS.iter().any(|&c| !mb.at(i, c).is_subset(ma.at(i, c))));
        prop_assert_eq!(a.lowest_uncontained_id(&b).unwrap().map(|id| id[0]), lowest);
    }

    #[test]
    fn projection_with_prerequisite_keeps_what_the_template_allows(
        (k, m) in knowledge(), (p, mp) in knowledge(), (t, mt) in knowledge()
    ) {
        let projected = k.project_onto_knowledge_with_prerequisite(&p, &t).unwrap();
        prop_assert_eq!(
            model_of(&projected),
            m.map(|point, v| if mp.0[&point].is_subset(&mt.0[&point]) { v.clone() } else { Versions::new() })
        );
    }

    #[test]
    fn equal_knowledge_is_equal_data_and_equal_bytes((a, _) in knowledge(), (b, _) in knowledge()) {
        // a ∪ b built two ways, in one key space.
        let mut ab = a.clone();
        ab.union(&b).unwrap();
        let mut again = a.clone();
        again.union(&b).unwrap();
        again.union(&a).unwrap();
        again.union(&b).unwrap();
        prop_assert_eq!(&ab, &again);
        prop_assert_eq!(ab.serialize(true), again.serialize(true));
        // Knowledge that contains each other is the same knowledge.
        let mut via_b = b.clone();
        via_b.union(&a).unwrap();
        let via_b = ab.map_remote_to_local(&via_b).unwrap();
        prop_assert!(via_b.contains_knowledge(&ab).unwrap() && ab.contains_knowledge(&via_b).unwrap());
    }

    #[test]
    fn serialization_round_trips((k, _) in knowledge()) {
        let with_map = k.serialize(true);
        prop_assert_eq!(&Knowledge::deserialize(&with_map, None).unwrap(), &k);
        let without = k.serialize(false);
        prop_assert!(without.len() <= with_map.len());
        prop_assert_eq!(&Knowledge::deserialize(&without, Some(k.key_map())).unwrap(), &k);
    }

    #[test]
    fn map_remote_to_local_preserves_what_is_contained(
        (local, _) in knowledge(), (remote, mr) in knowledge(), item: u8, unit in 0..4u8, replica in 0..3usize, tick in 0..6u64
    ) {
        let mapped = local.map_remote_to_local(&remote).unwrap();
        prop_assert_eq!(model_of(&mapped), mr);
        prop_assert_eq!(mapped.owner(), local.owner());
        let r = REPLICAS[replica];
        if let (Ok(rk), Ok(mk)) = (remote.key_map().key_of(&[r]), mapped.key_map().key_of(&[r])) {
            prop_assert_eq!(
                remote.contains_change_unit(&[item], &[unit], Version::new(rk, tick)).unwrap(),
                mapped.contains_change_unit(&[item], &[unit], Version::new(mk, tick)).unwrap()
            );
        }
    }

    #[test]
    fn knowledge_reads_back_from_its_presentation((k, _) in knowledge()) {
        // Named columns have no place in the scope-and-exceptions picture.
        prop_assume!(k.minimum_version() == winsync_engine::SERIALIZATION_V1);
        let ranges: Vec<_> = k.range_exceptions().into_iter().map(|r| (r.start, r.end, (*r.vector).clone())).collect();
        let items: Vec<_> = k.single_item_exceptions().into_iter().map(|e| (e.item, (*e.vector).clone())).collect();
        let units: Vec<_> = k.change_unit_exceptions().into_iter().map(|e| (e.item, e.unit, (*e.vector).clone())).collect();
        let again = Knowledge::from_parts(*k.formats(), k.owner(), k.key_map().clone(), k.scope_vector(), &ranges, &items, &units).unwrap();
        prop_assert_eq!(again, k);
    }
}
