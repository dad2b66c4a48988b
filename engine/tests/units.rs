//! Change units in the engine's synchronization: the replica's unit records, enumeration of
//! exactly the units a destination lacks, and application unit by unit (known, applied, in
//! conflict; one unit in conflict while another applies; per-unit resolutions, failures and
//! deferrals left out of what is learned), and two replicas exchanging unit changes both ways.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use winsync_engine::sync::{
    ApplyOptions, ApplyOutcome, ChangeEnumerator, ChangeTarget, Conflict, ConflictPolicy,
    FullEnumerationAction, ItemError, Replica, Resolution, ResolveAction, Save, SaveKind, UnitSave,
    synchronize,
};
use winsync_engine::{Error, IdFormats};

type Data = BTreeMap<Box<[u8]>, BTreeMap<u8, String>>;

fn item(n: u8) -> [u8; 24] {
    let mut id = [0; 24];
    id[0] = n;
    id
}

/// Items as data, one value per change unit: the destination's, and the source's to read.
struct Store<'a> {
    source: &'a Data,
    here: &'a mut Data,
    unit_saves: Vec<(SaveKind, u8)>,
    whole_saves: Vec<SaveKind>,
    /// Units whose saves fail.
    failing: Vec<u8>,
    /// Manual resolutions: the change's action and per-unit overrides.
    resolution: Option<Resolution>,
    /// The units each manual conflict named.
    asked: Vec<Vec<u8>>,
}

impl<'a> Store<'a> {
    fn new(source: &'a Data, here: &'a mut Data) -> Self {
        Self {
            source,
            here,
            unit_saves: Vec::new(),
            whole_saves: Vec::new(),
            failing: Vec::new(),
            resolution: None,
            asked: Vec::new(),
        }
    }
}

impl ChangeTarget for Store<'_> {
    fn save(&mut self, save: &Save<'_>) -> Result<(), ItemError> {
        self.whole_saves.push(save.kind);
        match save.kind {
            SaveKind::Create | SaveKind::Update | SaveKind::Merge => {
                self.here
                    .insert(save.item.into(), self.source[save.item].clone());
            }
            SaveKind::Delete | SaveKind::DeleteAndForget => {
                self.here.remove(save.item);
            }
        }
        Ok(())
    }

    fn save_unit(&mut self, save: &UnitSave<'_>) -> Result<(), ItemError> {
        let unit = save.unit.unit[0];
        if self.failing.contains(&unit) {
            return Err(ItemError("injected".into()));
        }
        self.unit_saves.push((save.kind, unit));
        let theirs = self.source[save.item][&unit].clone();
        let ours = self.here.get_mut(save.item).expect("held");
        let value = match save.kind {
            SaveKind::Merge => format!("{}+{theirs}", ours[&unit]),
            _ => theirs,
        };
        ours.insert(unit, value);
        Ok(())
    }

    fn resolve_units(&mut self, conflict: &Conflict<'_>) -> Resolution {
        self.asked
            .push(conflict.units.iter().map(|u| u.unit[0]).collect());
        self.resolution
            .clone()
            .unwrap_or(Resolution::new(ResolveAction::Defer))
    }
}

struct Node {
    replica: Replica,
    data: Data,
}

impl Node {
    fn new(id: u8) -> Self {
        Self {
            replica: Replica::new(IdFormats::GUID_GID, &[id; 16]).unwrap(),
            data: Data::new(),
        }
    }

    fn create(&mut self, n: u8, units: &[(u8, &str)]) {
        self.replica.create(&item(n)).unwrap();
        let values = units.iter().map(|(u, v)| (*u, (*v).to_string())).collect();
        self.data.insert(item(n).into(), values);
    }

    fn set(&mut self, n: u8, unit: u8, value: &str) {
        self.replica.update_unit(&item(n), &[unit]).unwrap();
        self.data
            .get_mut(&item(n)[..])
            .unwrap()
            .insert(unit, value.into());
    }

    fn value(&self, n: u8, unit: u8) -> &str {
        &self.data[&item(n)[..]][&unit]
    }
}

/// One session from `source` to `destination` under `policy`, the target set up by `setup`.
fn sync_with(
    source: &Node,
    destination: &mut Node,
    policy: ConflictPolicy,
    setup: impl FnOnce(&mut Store<'_>),
) -> (ApplyOutcome, Vec<(SaveKind, u8)>, Vec<Vec<u8>>) {
    let mut store = Store::new(&source.data, &mut destination.data);
    setup(&mut store);
    let report = synchronize(
        &source.replica,
        &mut destination.replica,
        10,
        ApplyOptions::new(policy),
        FullEnumerationAction::FullEnumeration,
        &mut store,
        None,
    )
    .unwrap();
    (report.outcome, store.unit_saves, store.asked)
}

fn sync(source: &Node, destination: &mut Node, policy: ConflictPolicy) -> ApplyOutcome {
    sync_with(source, destination, policy, |_| {}).0
}

/// Two replicas that both hold item 1 with units 1, 2, 3, and know each other's changes.
fn pair() -> (Node, Node) {
    let mut a = Node::new(1);
    let mut b = Node::new(2);
    a.create(1, &[(1, "a1"), (2, "a2"), (3, "a3")]);
    sync(&a, &mut b, ConflictPolicy::SourceWins);
    sync(&b, &mut a, ConflictPolicy::SourceWins);
    (a, b)
}

#[test]
fn update_unit_records_a_version_of_one_unit_and_checks_its_arguments() {
    let mut a = Node::new(1);
    a.create(1, &[(1, "x")]);
    let created = a.replica.item(&item(1)).unwrap().change_version();
    let v = a.replica.update_unit(&item(1), &[1]).unwrap();
    let meta = a.replica.item(&item(1)).unwrap();
    assert_eq!(meta.change_version(), created);
    assert_eq!(meta.unit_version(&[1]), v);
    assert_eq!(meta.unit_version(&[2]), created);
    assert_eq!(meta.units().len(), 1);
    assert!(matches!(
        a.replica.update_unit(&item(1), &[1, 2]),
        Err(Error::IdFormatMismatch { .. })
    ));
    assert!(matches!(
        a.replica.update_unit(&item(2), &[1]),
        Err(Error::InvalidArgument(_))
    ));
    // A change of the whole item, or a deletion, drops the unit records.
    a.replica.update(&item(1)).unwrap();
    assert!(a.replica.item(&item(1)).unwrap().units().is_empty());
    a.replica.update_unit(&item(1), &[3]).unwrap();
    a.replica.delete(&item(1)).unwrap();
    assert!(a.replica.item(&item(1)).unwrap().units().is_empty());
    assert!(matches!(
        a.replica.update_unit(&item(1), &[1]),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
fn enumeration_sends_exactly_the_units_the_destination_lacks() {
    let (mut a, b) = pair();
    a.set(1, 2, "A2");
    a.set(1, 3, "A3");
    let mut enumerator = ChangeEnumerator::new(&a.replica, b.replica.knowledge()).unwrap();
    assert!(!enumerator.destination_up_to_date());
    let batch = enumerator.next_batch(&a.replica, 10).unwrap();
    let changes: Vec<_> = batch.changes().map(|(_, c)| c.clone()).collect();
    assert_eq!(changes.len(), 1);
    let units: Vec<u8> = changes[0].units.iter().map(|u| u.unit[0]).collect();
    assert_eq!(units, [2, 3]);
    let meta = a.replica.item(&item(1)).unwrap();
    assert_eq!(changes[0].units[0].version, meta.unit_version(&[2]));
    // A destination that lacks the item gets it whole: every unit record.
    let c = Node::new(3);
    let mut enumerator = ChangeEnumerator::new(&a.replica, c.replica.knowledge()).unwrap();
    let batch = enumerator.next_batch(&a.replica, 10).unwrap();
    let (_, change) = batch.changes().next().unwrap();
    assert_eq!(change.units.len(), 2);
}

#[test]
fn a_destination_that_knows_every_unit_gets_nothing_and_is_recognized_from_knowledge() {
    let (mut a, mut b) = pair();
    a.set(1, 1, "A1");
    sync(&a, &mut b, ConflictPolicy::SourceWins);
    let enumerator = ChangeEnumerator::new(&a.replica, b.replica.knowledge()).unwrap();
    assert!(enumerator.destination_up_to_date());
    // Without the shortcut (a full scan of the items), the item is not sent either.
    a.create(2, &[]);
    let mut enumerator = ChangeEnumerator::new(&a.replica, b.replica.knowledge()).unwrap();
    assert!(!enumerator.destination_up_to_date());
    let batch = enumerator.next_batch(&a.replica, 10).unwrap();
    let items: Vec<u8> = batch.changes().map(|(_, c)| c.item[0]).collect();
    assert_eq!(items, [2]);
}

#[test]
fn a_unit_change_applies_unit_by_unit_and_a_known_one_is_skipped() {
    let (mut a, mut b) = pair();
    a.set(1, 2, "A2");
    let (outcome, saves, _) = sync_with(&a, &mut b, ConflictPolicy::Manual, |_| {});
    assert_eq!((outcome.applied, outcome.known), (1, 0));
    assert!(outcome.conflicts.is_empty());
    assert_eq!(saves, [(SaveKind::Update, 2)]);
    assert_eq!((b.value(1, 1), b.value(1, 2)), ("a1", "A2"));
    let a2 = a.replica.item(&item(1)).unwrap().unit_version(&[2]);
    let a2 = b
        .replica
        .knowledge()
        .clone()
        .convert_version(a.replica.knowledge(), a2)
        .unwrap();
    assert_eq!(b.replica.item(&item(1)).unwrap().unit_version(&[2]), a2);
    // The same batch again: known.
    let mut enumerator = ChangeEnumerator::full(&a.replica, b.replica.knowledge(), None).unwrap();
    let mut batch = enumerator.next_batch(&a.replica, 10).unwrap();
    batch.freeze();
    let mut store = Store::new(&a.data, &mut b.data);
    let outcome = b
        .replica
        .apply_batch(
            &batch,
            ApplyOptions::new(ConflictPolicy::Manual),
            &mut store,
        )
        .unwrap();
    assert_eq!((outcome.applied, outcome.known), (0, 1));
    assert!(store.unit_saves.is_empty() && store.whole_saves.is_empty());
}

#[test]
fn different_units_changed_on_both_sides_do_not_conflict() {
    let (mut a, mut b) = pair();
    a.set(1, 1, "A1");
    b.set(1, 2, "B2");
    let ab = sync(&a, &mut b, ConflictPolicy::Manual);
    let ba = sync(&b, &mut a, ConflictPolicy::Manual);
    assert!(ab.conflicts.is_empty() && ba.conflicts.is_empty());
    assert_eq!((ab.applied, ba.applied), (1, 1));
    assert_eq!(a.data, b.data);
    assert_eq!((a.value(1, 1), a.value(1, 2)), ("A1", "B2"));
}

#[test]
fn one_unit_conflicts_while_another_applies() {
    let (mut a, mut b) = pair();
    a.set(1, 1, "A1");
    a.set(1, 2, "A2");
    b.set(1, 2, "B2");
    let b_version = b.replica.item(&item(1)).unwrap().unit_version(&[2]);
    let (outcome, saves, asked) = sync_with(&a, &mut b, ConflictPolicy::Manual, |s| {
        s.resolution = Some(Resolution::new(ResolveAction::AcceptSource));
    });
    assert_eq!(asked, [vec![2]]);
    assert_eq!(outcome.conflicts.len(), 1);
    let record = &outcome.conflicts[0];
    assert_eq!(record.unit.as_deref(), Some(&[2u8][..]));
    assert_eq!(record.action, ResolveAction::AcceptSource);
    assert_eq!(record.destination_version, b_version);
    assert_eq!(saves, [(SaveKind::Update, 1), (SaveKind::Update, 2)]);
    assert_eq!(outcome.applied, 2);
    assert_eq!((b.value(1, 1), b.value(1, 2)), ("A1", "A2"));
    // The resolution is a change of B: it travels back to A and settles the unit there.
    let back = sync(&b, &mut a, ConflictPolicy::Manual);
    assert!(back.conflicts.is_empty());
    assert_eq!(a.data, b.data);
    assert!(
        ChangeEnumerator::new(&a.replica, b.replica.knowledge())
            .unwrap()
            .destination_up_to_date()
    );
}

#[test]
fn each_unit_takes_its_own_resolution() {
    let (mut a, mut b) = pair();
    for (unit, value) in [(1, "A1"), (2, "A2"), (3, "A3")] {
        a.set(1, unit, value);
    }
    for (unit, value) in [(1, "B1"), (2, "B2"), (3, "B3")] {
        b.set(1, unit, value);
    }
    let (outcome, saves, asked) = sync_with(&a, &mut b, ConflictPolicy::Manual, |s| {
        let mut resolution = Resolution::new(ResolveAction::AcceptDestination);
        resolution.set_for_unit(&[2], ResolveAction::Merge);
        resolution.set_for_unit(&[3], ResolveAction::Defer);
        s.resolution = Some(resolution);
    });
    assert_eq!(asked, [vec![1, 2, 3]]);
    let actions: Vec<_> = outcome
        .conflicts
        .iter()
        .map(|c| (c.unit.as_deref().unwrap()[0], c.action))
        .collect();
    assert_eq!(
        actions,
        [
            (1, ResolveAction::AcceptDestination),
            (2, ResolveAction::Merge),
            (3, ResolveAction::Defer)
        ]
    );
    assert_eq!(saves, [(SaveKind::Merge, 2)]);
    assert_eq!(outcome.applied, 2);
    assert_eq!(
        (b.value(1, 1), b.value(1, 2), b.value(1, 3)),
        ("B1", "B2+A2", "B3")
    );
    // The deferred unit was not learned: A's change of it comes again, the others do not.
    let again = sync_with(&a, &mut b, ConflictPolicy::DestinationWins, |_| {}).0;
    let units: Vec<_> = again
        .conflicts
        .iter()
        .map(|c| c.unit.as_deref().unwrap()[0])
        .collect();
    assert_eq!(units, [3]);
    // Both ways until nothing changes: equal data, one clock vector each.
    sync(&b, &mut a, ConflictPolicy::Manual);
    sync(&a, &mut b, ConflictPolicy::Manual);
    assert_eq!(a.data, b.data);
    for k in [a.replica.knowledge(), b.replica.knowledge()] {
        assert!(k.change_unit_exceptions().is_empty() && k.single_item_exceptions().is_empty());
    }
}

#[test]
fn policies_resolve_every_unit_and_a_failed_unit_is_not_learned() {
    let (mut a, mut b) = pair();
    a.set(1, 1, "A1");
    a.set(1, 2, "A2");
    b.set(1, 1, "B1");
    let (outcome, _, _) = sync_with(&a, &mut b, ConflictPolicy::DestinationWins, |s| {
        s.failing = vec![2];
    });
    assert_eq!((outcome.applied, outcome.failed), (1, 1));
    assert_eq!(
        outcome.conflicts[0].action,
        ResolveAction::AcceptDestination
    );
    assert_eq!((b.value(1, 1), b.value(1, 2)), ("B1", "a2"));
    let k = b.replica.knowledge();
    let a2 = a.replica.item(&item(1)).unwrap().unit_version(&[2]);
    let a2 = b
        .replica
        .knowledge()
        .clone()
        .convert_version(a.replica.knowledge(), a2)
        .unwrap();
    assert!(!k.contains_change_unit(&item(1), &[2], a2).unwrap());
    // It comes again, alone.
    let (outcome, saves, _) = sync_with(&a, &mut b, ConflictPolicy::SourceWins, |_| {});
    assert_eq!((outcome.applied, outcome.failed), (1, 0));
    assert!(outcome.conflicts.is_empty());
    assert_eq!(saves, [(SaveKind::Update, 2)]);
    assert_eq!(b.value(1, 2), "A2");
}

#[test]
fn a_target_without_unit_saves_fails_unit_changes_and_learns_nothing_of_them() {
    struct Whole;
    impl ChangeTarget for Whole {
        fn save(&mut self, _: &Save<'_>) -> Result<(), ItemError> {
            Ok(())
        }
    }
    let (mut a, mut b) = pair();
    a.set(1, 1, "A1");
    let report = synchronize(
        &a.replica,
        &mut b.replica,
        10,
        ApplyOptions::new(ConflictPolicy::SourceWins),
        FullEnumerationAction::FullEnumeration,
        &mut Whole,
        None,
    )
    .unwrap();
    assert_eq!((report.outcome.applied, report.outcome.failed), (0, 1));
    assert!(
        !ChangeEnumerator::new(&a.replica, b.replica.knowledge())
            .unwrap()
            .destination_up_to_date()
    );
}

#[test]
fn a_unit_change_against_a_deletion_is_a_conflict_of_the_whole_item() {
    let (mut a, mut b) = pair();
    a.set(1, 2, "A2");
    b.replica.delete(&item(1)).unwrap();
    b.data.remove(&item(1)[..]);
    let (outcome, _, asked) = sync_with(&a, &mut b, ConflictPolicy::Manual, |s| {
        s.resolution = Some(Resolution::new(ResolveAction::AcceptSource));
    });
    assert_eq!(asked, [Vec::<u8>::new()]);
    assert_eq!(outcome.conflicts.len(), 1);
    assert_eq!(outcome.conflicts[0].unit, None);
    assert_eq!(b.data, a.data);
    // The resolution is a change of the whole item at B.
    let meta = b.replica.item(&item(1)).unwrap();
    assert!(!meta.deleted() && meta.units().is_empty());
    sync(&b, &mut a, ConflictPolicy::Manual);
    assert_eq!(a.data, b.data);
}

#[test]
fn two_replicas_exchange_unit_changes_both_ways() {
    let mut a = Node::new(1);
    let mut b = Node::new(2);
    a.create(1, &[(1, "a1"), (2, "a2")]);
    a.create(2, &[(1, "x")]);
    b.create(3, &[(1, "b1"), (2, "b2"), (3, "b3")]);
    for _ in 0..2 {
        sync(&a, &mut b, ConflictPolicy::Manual);
        sync(&b, &mut a, ConflictPolicy::Manual);
    }
    a.set(1, 1, "A1");
    b.set(1, 2, "B2");
    b.set(3, 3, "B3");
    a.set(3, 1, "A31");
    a.replica.update(&item(2)).unwrap();
    a.data.insert(item(2).into(), [(1, "X".to_string())].into());
    let ab = sync(&a, &mut b, ConflictPolicy::Manual);
    let ba = sync(&b, &mut a, ConflictPolicy::Manual);
    assert!(ab.conflicts.is_empty() && ba.conflicts.is_empty());
    // A to B: unit 1 of item 1, item 2 whole, unit 1 of item 3; back: the rest.
    assert_eq!((ab.applied, ba.applied), (3, 2));
    assert_eq!(a.data, b.data);
    assert_eq!(a.value(1, 1), "A1");
    assert_eq!(a.value(1, 2), "B2");
    assert_eq!(a.value(3, 1), "A31");
    assert_eq!(a.value(3, 3), "B3");
    let (ka, kb) = (a.replica.knowledge(), b.replica.knowledge());
    assert!(ka.contains_knowledge(kb).unwrap() && kb.contains_knowledge(ka).unwrap());
    for k in [ka, kb] {
        assert!(k.change_unit_exceptions().is_empty() && k.single_item_exceptions().is_empty());
    }
    let units = |r: &Replica, n: u8| -> Vec<_> { r.item(&item(n)).unwrap().units().to_vec() };
    for n in 1..=3 {
        assert_eq!(
            units(&a.replica, n)
                .iter()
                .map(|u| u.unit.clone())
                .collect::<Vec<_>>(),
            units(&b.replica, n)
                .iter()
                .map(|u| u.unit.clone())
                .collect::<Vec<_>>()
        );
    }
}
