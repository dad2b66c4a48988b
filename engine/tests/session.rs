//! Whole sessions on the engine: two-way synchronization with each conflict policy, an
//! interrupted session that resumes without resending, an up-to-date destination recognized
//! from knowledge alone, recovery by full enumeration, partial synchronization, and batches
//! refused as a whole.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::Arc;

use winsync_engine::batch::{ChangeBatch, ChangeFlags, ItemChange};
use winsync_engine::sync::{
    ApplyOptions, ChangeEnumerator, ChangeTarget, ConflictPolicy, FullEnumerationAction, ItemError,
    Replica, Save, SaveKind, synchronize,
};
use winsync_engine::{Error, IdFormats, Knowledge, Version};

fn item(n: u8) -> [u8; 24] {
    let mut id = [0; 24];
    id[0] = n;
    id
}

/// Items as data: the destination's map, and the source's to read from.
struct Store<'a> {
    source: &'a BTreeMap<Box<[u8]>, String>,
    here: &'a mut BTreeMap<Box<[u8]>, String>,
    saves: Vec<(SaveKind, Box<[u8]>)>,
}

impl ChangeTarget for Store<'_> {
    fn save(&mut self, save: &Save<'_>) -> Result<(), ItemError> {
        self.saves.push((save.kind, save.item.into()));
        match save.kind {
            SaveKind::Create | SaveKind::Update => {
                self.here
                    .insert(save.item.into(), self.source[save.item].clone());
            }
            SaveKind::Merge => {
                let merged = format!("{}+{}", self.here[save.item], self.source[save.item]);
                self.here.insert(save.item.into(), merged);
            }
            SaveKind::Delete | SaveKind::DeleteAndForget => {
                self.here.remove(save.item);
            }
        }
        Ok(())
    }
}

struct Node {
    replica: Replica,
    data: BTreeMap<Box<[u8]>, String>,
}

impl Node {
    fn new(id: u8) -> Self {
        Self {
            replica: Replica::new(IdFormats::GUID_GID, &[id; 16]).unwrap(),
            data: BTreeMap::new(),
        }
    }

    fn put(&mut self, n: u8, value: &str) {
        if self.data.contains_key(&item(n)[..]) {
            self.replica.update(&item(n)).unwrap();
        } else {
            self.replica.create(&item(n)).unwrap();
        }
        self.data.insert(item(n).into(), value.into());
    }

    fn remove(&mut self, n: u8) {
        self.replica.delete(&item(n)).unwrap();
        self.data.remove(&item(n)[..]);
    }
}

fn sync(
    source: &Node,
    destination: &mut Node,
    policy: ConflictPolicy,
    batch_size: u32,
) -> winsync_engine::sync::SessionReport {
    let mut store = Store {
        source: &source.data,
        here: &mut destination.data,
        saves: Vec::new(),
    };
    synchronize(
        &source.replica,
        &mut destination.replica,
        batch_size,
        ApplyOptions::new(policy),
        FullEnumerationAction::FullEnumeration,
        &mut store,
        None,
    )
    .unwrap()
}

#[test]
fn two_replicas_meet_both_ways_with_each_policy() {
    for policy in [ConflictPolicy::SourceWins, ConflictPolicy::DestinationWins] {
        let (mut a, mut b) = (Node::new(1), Node::new(2));
        for n in 0..10 {
            a.put(n, &format!("a{n}"));
        }
        let report = sync(&a, &mut b, policy, 3);
        assert_eq!(report.outcome.applied, 10);
        assert_eq!(report.batches, 4, "10 changes in batches of 3");
        assert_eq!(b.data, a.data);
        // Concurrent updates of item 4, a deletion of 5 on one side.
        a.put(4, "a-new");
        b.put(4, "b-new");
        b.remove(5);
        let report = sync(&a, &mut b, policy, 100);
        assert_eq!(report.outcome.conflicts.len(), 1);
        let report = sync(&b, &mut a, policy, 100);
        assert!(
            report.outcome.conflicts.is_empty(),
            "the resolution travels without a conflict"
        );
        let back = sync(&a, &mut b, policy, 100);
        assert_eq!((back.outcome.applied, back.outcome.conflicts.len()), (0, 0));
        assert_eq!(a.data, b.data);
        let winner = if policy == ConflictPolicy::SourceWins {
            "a-new"
        } else {
            "b-new"
        };
        assert_eq!(a.data[&item(4)[..]], winner);
        assert!(!a.data.contains_key(&item(5)[..]));
        for node in [&a, &b] {
            let k = node.replica.knowledge();
            assert!(k.range_exceptions().is_empty() && k.single_item_exceptions().is_empty());
        }
    }
}

#[test]
fn an_interrupted_session_resumes_without_resending() {
    let (mut a, mut b) = (Node::new(1), Node::new(2));
    for n in 0..20 {
        a.put(n, "x");
    }
    let mut store = Store {
        source: &a.data,
        here: &mut b.data,
        saves: Vec::new(),
    };
    let first = synchronize(
        &a.replica,
        &mut b.replica,
        5,
        ApplyOptions::new(ConflictPolicy::SourceWins),
        FullEnumerationAction::FullEnumeration,
        &mut store,
        Some(2),
    )
    .unwrap();
    assert_eq!((first.batches, first.outcome.applied), (2, 10));
    let second = sync(&a, &mut b, ConflictPolicy::SourceWins, 5);
    assert_eq!(
        second.outcome.applied, 10,
        "only what the first session did not apply"
    );
    assert_eq!(second.outcome.known, 0);
    assert_eq!(a.data, b.data);
}

#[test]
fn an_up_to_date_destination_is_recognized_from_knowledge() {
    let (mut a, mut b) = (Node::new(1), Node::new(2));
    for n in 0..50 {
        a.put(n, "x");
    }
    sync(&a, &mut b, ConflictPolicy::SourceWins, 1000);
    let mut enumerator = ChangeEnumerator::new(&a.replica, b.replica.knowledge()).unwrap();
    assert!(enumerator.destination_up_to_date());
    let batch = enumerator.next_batch(&a.replica, 10).unwrap();
    assert!(batch.is_last_batch() && batch.change_count() == 0);
    assert!(enumerator.done());
    // A destination that lacks one change is not up to date.
    a.put(7, "y");
    let enumerator = ChangeEnumerator::new(&a.replica, b.replica.knowledge()).unwrap();
    assert!(!enumerator.destination_up_to_date());
}

#[test]
fn a_destination_behind_forgotten_knowledge_recovers_by_full_enumeration() {
    let (mut a, mut b, mut c) = (Node::new(1), Node::new(2), Node::new(3));
    for n in 0..6 {
        a.put(n, "x");
    }
    sync(&a, &mut b, ConflictPolicy::SourceWins, 100);
    // A deletes item 2 and forgets its tombstone before B hears of it.
    a.remove(2);
    let removed = a.replica.cleanup_tombstones(|_, _| true).unwrap();
    assert_eq!(removed.len(), 1);
    assert!(!a.replica.forgotten().is_empty());
    let report = sync(&a, &mut b, ConflictPolicy::SourceWins, 2);
    assert!(report.full_enumeration);
    assert_eq!(report.outcome.forgotten_items, 1);
    assert_eq!(b.data, a.data);
    // B forgot it too: C, which had the item from B, recovers in turn.
    sync(&a, &mut c, ConflictPolicy::SourceWins, 100);
    assert_eq!(c.data, a.data);
    // Abort and partial synchronization leave the choice to the application.
    let (mut d, mut e) = (Node::new(4), Node::new(5));
    for n in 0..4 {
        d.put(n, "d");
    }
    sync(&d, &mut e, ConflictPolicy::SourceWins, 100);
    d.remove(1);
    d.replica.cleanup_tombstones(|_, _| true).unwrap();
    d.put(3, "d3");
    for action in [
        FullEnumerationAction::Abort,
        FullEnumerationAction::PartialSync,
    ] {
        let mut copy = Node {
            replica: e.replica.clone(),
            data: e.data.clone(),
        };
        let mut store = Store {
            source: &d.data,
            here: &mut copy.data,
            saves: Vec::new(),
        };
        let report = synchronize(
            &d.replica,
            &mut copy.replica,
            100,
            ApplyOptions::new(ConflictPolicy::SourceWins),
            action,
            &mut store,
            None,
        )
        .unwrap();
        match action {
            FullEnumerationAction::Abort => {
                assert!(report.aborted);
                assert_eq!(copy.data, e.data);
            }
            _ => {
                // Item 3 arrives; item 1 stays (only a full enumeration finds it).
                assert_eq!(copy.data[&item(3)[..]], "d3");
                assert!(copy.data.contains_key(&item(1)[..]));
                // Only the items received are learned: the destination is still behind.
                assert!(
                    !copy
                        .replica
                        .knowledge()
                        .contains_knowledge(d.replica.knowledge())
                        .unwrap()
                );
            }
        }
    }
}

/// An item ID created independently on two replicas, each lifecycle deleted on a replica that
/// then forgot its tombstone. A replica without metadata of the item cannot tell such a change
/// from a new item; stored under the source's version, it would travel with knowledge of the
/// forgotten deletion and meet a deletion elsewhere that stands for it as already known (the
/// replicas diverged). Reissued under a local version, it meets that deletion as a conflict.
#[test]
fn changes_over_forgotten_deletions_are_reissued_and_replicas_converge() {
    let (mut a, mut b, mut c) = (Node::new(1), Node::new(2), Node::new(3));
    // C's lifecycle of item 1 reaches B, which deletes it and forgets the tombstone.
    c.put(1, "c");
    sync(&c, &mut b, ConflictPolicy::SourceWins, 100);
    b.remove(1);
    assert_eq!(b.replica.cleanup_tombstones(|_, _| true).unwrap().len(), 1);
    // A's own lifecycle of item 1, deleted: B stores the deletion under its own version (it
    // stands for B's forgotten deletion too).
    a.put(1, "a");
    a.remove(1);
    let report = sync(&a, &mut b, ConflictPolicy::SourceWins, 100);
    assert_eq!(report.outcome.reissued, vec![item(1).into()]);
    let tombstone = b.replica.item(&item(1)).expect("a tombstone");
    assert!(tombstone.deleted());
    assert_eq!(tombstone.change_version().replica_key, 0, "B's own version");
    // A forgets its tombstone and takes C's item: a lifecycle it never saw, reissued.
    assert_eq!(a.replica.cleanup_tombstones(|_, _| true).unwrap().len(), 1);
    let report = sync(&c, &mut a, ConflictPolicy::SourceWins, 100);
    assert!(report.outcome.conflicts.is_empty());
    assert_eq!(report.outcome.reissued, vec![item(1).into()]);
    assert_eq!(a.data[&item(1)[..]], "c");
    // B's deletion reaches C (it superseded C's item); A's reissued item meets it there.
    sync(&b, &mut c, ConflictPolicy::SourceWins, 100);
    assert!(!c.data.contains_key(&item(1)[..]));
    let report = sync(&a, &mut c, ConflictPolicy::SourceWins, 100);
    assert_eq!(
        report.outcome.conflicts.len(),
        1,
        "A's item is concurrent with B's deletion"
    );
    // Complete rounds until nothing changes: the same data everywhere.
    let mut nodes = [a, b, c];
    for round in 0.. {
        assert!(round < 10, "no fixed point");
        let mut activity = 0;
        for s in 0..3 {
            for d in 0..3 {
                if s != d {
                    let (source, destination) = if s < d {
                        let (x, y) = nodes.split_at_mut(d);
                        (&x[s], &mut y[0])
                    } else {
                        let (x, y) = nodes.split_at_mut(s);
                        (&y[0], &mut x[d])
                    };
                    let report = sync(source, destination, ConflictPolicy::SourceWins, 100);
                    activity += report.outcome.applied as usize + report.outcome.conflicts.len();
                }
            }
        }
        if activity == 0 {
            break;
        }
    }
    assert_eq!(nodes[0].data, nodes[1].data);
    assert_eq!(nodes[1].data, nodes[2].data);
}

#[test]
fn a_batch_with_a_change_outside_its_knowledge_is_refused_whole() {
    let mut a = Node::new(1);
    a.put(1, "x");
    let mut b = Node::new(2);
    let before = b.replica.knowledge().clone();
    let destination = Arc::new(b.replica.knowledge().clone());
    let mut batch = ChangeBatch::new(IdFormats::GUID_GID, &[1; 16], destination, None).unwrap();
    batch.begin_ordered_group(None).unwrap();
    batch
        .add_change(ItemChange::new(
            &item(1),
            Version::new(0, 1),
            Version::new(0, 1),
            ChangeFlags::NONE,
        ))
        .unwrap();
    // A version the made-with knowledge does not hold.
    batch
        .add_change(ItemChange::new(
            &item(2),
            Version::new(0, 99),
            Version::new(0, 99),
            ChangeFlags::NONE,
        ))
        .unwrap();
    batch
        .end_ordered_group(None, a.replica.knowledge())
        .unwrap();
    let mut data = BTreeMap::new();
    let mut store = Store {
        source: &a.data,
        here: &mut data,
        saves: Vec::new(),
    };
    let refused = b
        .replica
        .apply_batch(
            &batch,
            ApplyOptions::new(ConflictPolicy::SourceWins),
            &mut store,
        )
        .unwrap_err();
    assert!(matches!(refused, Error::ChangeNotInKnowledge(_)));
    assert!(store.saves.is_empty());
    assert_eq!(*b.replica.knowledge(), before);
    assert_eq!(b.replica.items().len(), 0);
    // An open group is refused too.
    let mut open = ChangeBatch::new(
        IdFormats::GUID_GID,
        &[1; 16],
        Arc::new(Knowledge::new(IdFormats::GUID_GID, &[2; 16]).unwrap()),
        None,
    )
    .unwrap();
    open.begin_ordered_group(None).unwrap();
    assert!(matches!(
        b.replica.apply_batch(
            &open,
            ApplyOptions::new(ConflictPolicy::SourceWins),
            &mut store
        ),
        Err(Error::InvalidOperation(_))
    ));
    b.data.clear();
}

#[test]
fn manual_resolution_merges_and_defers() {
    use winsync_engine::sync::ResolveAction;
    struct Merging<'a>(Store<'a>, ResolveAction);
    impl ChangeTarget for Merging<'_> {
        fn save(&mut self, save: &Save<'_>) -> Result<(), ItemError> {
            self.0.save(save)
        }
        fn resolve(&mut self, _: &winsync_engine::sync::Conflict<'_>) -> ResolveAction {
            self.1
        }
    }
    let (mut a, mut b) = (Node::new(1), Node::new(2));
    a.put(1, "base");
    sync(&a, &mut b, ConflictPolicy::SourceWins, 10);
    a.put(1, "a");
    b.put(1, "b");
    // Deferred: nothing applied, nothing learned; the change comes again.
    let mut deferring = Merging(
        Store {
            source: &a.data,
            here: &mut b.data,
            saves: Vec::new(),
        },
        ResolveAction::Defer,
    );
    let report = synchronize(
        &a.replica,
        &mut b.replica,
        10,
        ApplyOptions::new(ConflictPolicy::Manual),
        FullEnumerationAction::FullEnumeration,
        &mut deferring,
        None,
    )
    .unwrap();
    assert_eq!(report.outcome.conflicts[0].action, ResolveAction::Defer);
    assert_eq!(b.data[&item(1)[..]], "b");
    let mut merging = Merging(
        Store {
            source: &a.data,
            here: &mut b.data,
            saves: Vec::new(),
        },
        ResolveAction::Merge,
    );
    let report = synchronize(
        &a.replica,
        &mut b.replica,
        10,
        ApplyOptions::new(ConflictPolicy::Manual),
        FullEnumerationAction::FullEnumeration,
        &mut merging,
        None,
    )
    .unwrap();
    assert_eq!(
        report.outcome.conflicts.len(),
        1,
        "the deferred change came again"
    );
    assert_eq!(b.data[&item(1)[..]], "b+a");
    // The merge travels back as a change of its own.
    sync(&b, &mut a, ConflictPolicy::Manual, 10);
    assert_eq!(a.data[&item(1)[..]], "b+a");
}

/// The batch of what `destination` lacks of `source` (one batch for everything), writable.
fn whole_batch(source: &Node, destination: &Node) -> ChangeBatch {
    let mut enumerator =
        ChangeEnumerator::new(&source.replica, destination.replica.knowledge()).unwrap();
    enumerator.next_batch(&source.replica, 100).unwrap()
}

/// Whether `node` knows the version it holds of item `n`.
fn knows_item(node: &Node, n: u8) -> bool {
    let held = node.replica.item(&item(n)).unwrap().change_version();
    node.replica
        .knowledge()
        .contains_change(&item(n), held)
        .unwrap()
}

/// `sync-change.get-learned-knowledge.prerequisite` (`NF:winsync.ISyncChange.GetLearnedKnowledge`):
/// in a partial synchronization the destination learns each received change's learned
/// knowledge, which is valid only when its knowledge contains the batch's prerequisite.
#[test]
fn partial_synchronization_learns_changes_only_under_the_batch_prerequisite() {
    let (mut d, mut e) = (Node::new(4), Node::new(5));
    for n in 0..4 {
        d.put(n, "d");
    }
    sync(&d, &mut e, ConflictPolicy::SourceWins, 100);
    d.remove(1);
    d.replica.cleanup_tombstones(|_, _| true).unwrap();
    d.put(3, "d3");
    for meets_prerequisite in [true, false] {
        let mut copy = Node {
            replica: e.replica.clone(),
            data: e.data.clone(),
        };
        let mut batch = whole_batch(&d, &copy);
        if !meets_prerequisite {
            // A prerequisite the destination does not contain: the source's own knowledge.
            batch
                .set_prerequisite(Arc::new(d.replica.knowledge().clone()))
                .unwrap();
        }
        let mut store = Store {
            source: &d.data,
            here: &mut copy.data,
            saves: Vec::new(),
        };
        let mut options = ApplyOptions::new(ConflictPolicy::SourceWins);
        options.partial = true;
        let outcome = copy
            .replica
            .apply_batch(&batch, options, &mut store)
            .unwrap();
        assert_eq!(outcome.applied, 1);
        assert_eq!(
            copy.data[&item(3)[..]],
            "d3",
            "the change is applied either way"
        );
        assert_eq!(
            knows_item(&copy, 3),
            meets_prerequisite,
            "the change's learned knowledge is learned only under the prerequisite"
        );
    }
}

/// `change-batch-advanced.get-batch-level-knowledge-should-be-applied.destination-saves`
/// (`NF:winsync.ISyncChangeBatchAdvanced.GetBatchLevelKnowledgeShouldBeApplied`): a batch
/// whose learned knowledge is not to be applied teaches its changes' learned knowledge only.
#[test]
fn a_batch_without_batch_level_knowledge_teaches_only_its_changes() {
    let mut a = Node::new(1);
    for n in [1, 2, 5] {
        a.put(n, "a");
    }
    for batch_knowledge in [true, false] {
        let mut b = Node::new(2);
        let batch = whole_batch(&a, &b);
        let mut store = Store {
            source: &a.data,
            here: &mut b.data,
            saves: Vec::new(),
        };
        let mut options = ApplyOptions::new(ConflictPolicy::SourceWins);
        options.batch_knowledge = batch_knowledge;
        let outcome = b.replica.apply_batch(&batch, options, &mut store).unwrap();
        assert_eq!(outcome.applied, 3);
        assert!([1, 2, 5].into_iter().all(|n| knows_item(&b, n)));
        assert_eq!(
            b.replica
                .knowledge()
                .contains_knowledge(&batch.learned_knowledge().unwrap())
                .unwrap(),
            batch_knowledge,
            "the batch's range knowledge (items 0, 3, 4, ... included) is learned only with it"
        );
    }
}

/// A merge tombstone (`ISyncChangeBatch2::AddMergeTombstoneMetadataToGroup`) is applied as the
/// deletion it is: the destination's target deletes the merged item and sees the winner in
/// the change; the item becomes a tombstone and the deletion is learned.
#[test]
fn a_merge_tombstone_is_applied_as_a_deletion_with_its_winner() {
    /// A save: what, of which item, and the winner the change names.
    type Seen = (SaveKind, Box<[u8]>, Option<Box<[u8]>>);
    struct Deletions(Vec<Seen>);
    impl ChangeTarget for Deletions {
        fn save(&mut self, save: &Save<'_>) -> Result<(), ItemError> {
            let winner = save.change.and_then(|c| c.winner.clone());
            self.0.push((save.kind, save.item.into(), winner));
            Ok(())
        }
    }
    let mut a = Node::new(1);
    a.put(1, "x");
    a.put(2, "y");
    let mut b = Node::new(2);
    sync(&a, &mut b, ConflictPolicy::SourceWins, 10);
    // A merges item 2 into item 1: item 2's deletion, sent as a merge tombstone.
    a.remove(2);
    let held = a.replica.item(&item(2)).unwrap().clone();
    assert!(held.deleted());
    let destination = Arc::new(b.replica.knowledge().clone());
    let mut batch = ChangeBatch::new(IdFormats::GUID_GID, &[1; 16], destination, None).unwrap();
    batch.begin_ordered_group(None).unwrap();
    batch
        .add_change(ItemChange::merge_tombstone(
            &item(2),
            &item(1),
            held.change_version(),
            held.creation_version(),
        ))
        .unwrap();
    batch
        .end_ordered_group(None, a.replica.knowledge())
        .unwrap();
    let mut target = Deletions(Vec::new());
    let outcome = b
        .replica
        .apply_batch(
            &batch,
            ApplyOptions::new(ConflictPolicy::SourceWins),
            &mut target,
        )
        .unwrap();
    assert_eq!(outcome.applied, 1);
    assert_eq!(
        target.0,
        [(SaveKind::Delete, item(2).into(), Some(item(1).into()))]
    );
    assert!(b.replica.item(&item(2)).unwrap().deleted());
    assert!(!b.replica.item(&item(1)).unwrap().deleted());
    assert!(knows_item(&b, 2));
}
