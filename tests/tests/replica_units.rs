//! Change units through the COM interfaces, between providers built on the engine
//! (`winsync::framework::replica::ReplicaProvider`): local unit changes
//! (`ReplicaProvider::write_unit`), unit changes applied unit by unit both ways until data and
//! knowledge agree, conflicts per unit resolved by the application through the real
//! `IChangeConflict` (`NF:winsync.IChangeConflict.SetResolveActionForChangeUnit`) or by a
//! policy, a unit the source cannot load failing alone
//! (`NF:winsync.ILoadChangeContext.SetRecoverableErrorOnChangeUnit`), and a store without
//! change units failing unit changes without corrupting anything.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::undocumented_unsafe_blocks,
    non_snake_case
)]

mod replica_units_support;

use replica_units_support::{
    Log, Node, Plain, UnitMemory, Units, app, encode, item, node, recording, sync,
};
use windows_core::{HRESULT, IUnknown};
use winsync::bindings::{
    CRP_DESTINATION_PROVIDER_WINS, CRP_NONE, E_FAIL, E_INVALIDARG, E_POINTER,
    IKnowledgeSyncProvider, ISyncCallback, ISyncSessionState, SPR_DESTINATION, SPR_SOURCE,
    SRA_ACCEPT_DESTINATION_PROVIDER, SRA_ACCEPT_SOURCE_PROVIDER, SRA_MERGE,
    SYNC_SESSION_STATISTICS,
};
use winsync::framework::replica::ItemStore;
use winsync::framework::session_state::SessionState;
use winsync::hresults::{SYNC_E_ID_FORMAT_MISMATCH, SYNC_E_INTERNAL_ERROR};

fn units(pairs: &[(u8, &str)]) -> Units {
    pairs
        .iter()
        .map(|(u, d)| (vec![*u], d.as_bytes().to_vec()))
        .collect()
}

fn data(node: &Node<UnitMemory>) -> std::collections::BTreeMap<Vec<u8>, Units> {
    node.provider().store().snapshot()
}

/// A and B holding item 1 as units 1, 2, 3 ("x1", "x2", "x3"), in sync.
fn pair() -> (Node<UnitMemory>, Node<UnitMemory>) {
    let (a, b) = (node::<UnitMemory>(1), node::<UnitMemory>(2));
    let start = units(&[(1, "x1"), (2, "x2"), (3, "x3")]);
    a.provider().write(&item(1), &encode(&start)).unwrap();
    let quiet = app(None, &[]);
    sync(&a, &b, &quiet.to_interface(), CRP_NONE);
    assert_eq!(data(&b), data(&a));
    (a, b)
}

fn agree<S: ItemStore, T: ItemStore>(a: &Node<S>, b: &Node<T>) -> bool {
    let (ka, kb) = (a.provider().knowledge(), b.provider().knowledge());
    ka.contains_knowledge(&kb).unwrap() && kb.contains_knowledge(&ka).unwrap()
}

fn write_unit(node: &Node<UnitMemory>, unit: u8, data: &str) {
    node.provider()
        .write_unit(&item(1), &[unit], data.as_bytes())
        .unwrap();
}

/// One session from `from` to `to` called step by step on the vtables, the source's data
/// retriever behind `wrap`.
fn session_via(
    from: &Node<UnitMemory>,
    to: &Node<UnitMemory>,
    callback: &ISyncCallback,
    wrap: impl Fn(&IUnknown) -> IUnknown,
) -> (HRESULT, SYNC_SESSION_STATISTICS) {
    let (source, destination): (IKnowledgeSyncProvider, IKnowledgeSyncProvider) =
        (from.to_interface(), to.to_interface());
    let state: ISyncSessionState = SessionState::new(None).to_interface();
    let (mut known, mut size) = (None, 0);
    unsafe { destination.GetSyncBatchParameters(&mut known, &mut size) }
        .ok()
        .unwrap();
    unsafe { source.BeginSession(SPR_SOURCE, &state) }
        .ok()
        .unwrap();
    let (mut batch, mut retriever) = (None, None);
    unsafe { source.GetChangeBatch(100, known.as_ref(), &mut batch, &mut retriever) }
        .ok()
        .unwrap();
    unsafe { source.EndSession(&state) }.ok().unwrap();
    let state: ISyncSessionState = SessionState::new(None).to_interface();
    unsafe { destination.BeginSession(SPR_DESTINATION, &state) }
        .ok()
        .unwrap();
    let mut statistics = SYNC_SESSION_STATISTICS::default();
    let answer = unsafe {
        destination.ProcessChangeBatch(
            CRP_NONE,
            batch.as_ref(),
            &wrap(&retriever.unwrap()),
            callback,
            &mut statistics,
        )
    };
    unsafe { destination.EndSession(&state) }.ok().unwrap();
    (answer, statistics)
}

#[test]
fn unit_changes_travel_both_ways_until_data_and_knowledge_agree() {
    let (a, b) = pair();
    write_unit(&a, 1, "a1");
    write_unit(&a, 4, "a4");
    write_unit(&b, 2, "b2");
    let app = app(None, &[]);
    let callback: ISyncCallback = app.to_interface();
    let report = sync(&a, &b, &callback, CRP_NONE);
    assert_eq!((report.changes_applied, report.changes_failed), (2, 0));
    assert_eq!(*app.totals.lock().unwrap(), (2, 0));
    assert_eq!(
        *app.changes.lock().unwrap(),
        2,
        "OnChange once per unit saved"
    );
    let report = sync(&b, &a, &callback, CRP_NONE);
    assert_eq!((report.changes_applied, report.changes_failed), (1, 0));
    assert!(app.conflicts.lock().unwrap().is_empty());
    let expected = units(&[(1, "a1"), (2, "b2"), (3, "x3"), (4, "a4")]);
    assert_eq!(data(&a)[&item(1).to_vec()], expected);
    assert_eq!(data(&b), data(&a));
    assert!(agree(&a, &b));
    // Nothing left to send either way.
    assert_eq!(sync(&a, &b, &callback, CRP_NONE).changes_applied, 0);
    assert_eq!(sync(&b, &a, &callback, CRP_NONE).changes_applied, 0);
    // The item's change units as metadata, and the whole item travelling over them.
    assert_eq!(a.provider().item(&item(1)).unwrap().units().len(), 3);
    a.provider()
        .write(&item(1), &encode(&units(&[(1, "w")])))
        .unwrap();
    sync(&a, &b, &callback, CRP_NONE);
    assert_eq!(data(&b), data(&a));
    assert!(agree(&a, &b));
}

#[test]
fn concurrent_updates_of_one_unit_conflict_of_different_units_do_not() {
    let (a, b) = pair();
    write_unit(&a, 1, "a1");
    write_unit(&a, 3, "a3");
    write_unit(&b, 1, "b1");
    write_unit(&b, 2, "b2");
    let app = app(Some(SRA_ACCEPT_SOURCE_PROVIDER), &[]);
    let callback: ISyncCallback = app.to_interface();
    let report = sync(&a, &b, &callback, CRP_NONE);
    assert_eq!((report.changes_applied, report.changes_failed), (2, 0));
    let conflicts = app.conflicts.lock().unwrap().clone();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].item, 1);
    assert_eq!(conflicts[0].units, [(vec![1], SRA_ACCEPT_SOURCE_PROVIDER)]);
    // Unit 3 travels with the change but is not in conflict: no action for it.
    assert!(
        conflicts[0]
            .refused
            .contains(&(vec![3], SYNC_E_INTERNAL_ERROR))
    );
    assert!(
        conflicts[0]
            .refused
            .iter()
            .all(|(_, hr)| *hr == SYNC_E_INTERNAL_ERROR)
    );
    let expected = units(&[(1, "a1"), (2, "b2"), (3, "a3")]);
    assert_eq!(data(&b)[&item(1).to_vec()], expected);
    sync(&b, &a, &callback, CRP_NONE);
    assert_eq!(
        app.conflicts.lock().unwrap().len(),
        1,
        "the resolution wins"
    );
    assert_eq!(data(&a), data(&b));
    assert!(agree(&a, &b));
}

#[test]
fn per_unit_actions_set_in_on_conflict_are_applied() {
    let (a, b) = pair();
    for (unit, side) in [(1, "1"), (2, "2"), (3, "3")] {
        write_unit(&a, unit, &format!("a{side}"));
        write_unit(&b, unit, &format!("b{side}"));
    }
    let app = app(
        None,
        &[
            (1, SRA_ACCEPT_SOURCE_PROVIDER),
            (2, SRA_ACCEPT_DESTINATION_PROVIDER),
            (3, SRA_MERGE),
        ],
    );
    let callback: ISyncCallback = app.to_interface();
    let report = sync(&a, &b, &callback, CRP_NONE);
    assert_eq!((report.changes_applied, report.changes_failed), (3, 0));
    assert_eq!(*app.totals.lock().unwrap(), (3, 0));
    let conflicts = app.conflicts.lock().unwrap().clone();
    assert_eq!(
        conflicts[0].units,
        [
            (vec![1], SRA_ACCEPT_SOURCE_PROVIDER),
            (vec![2], SRA_ACCEPT_DESTINATION_PROVIDER),
            (vec![3], SRA_MERGE)
        ]
    );
    let expected = units(&[(1, "a1"), (2, "b2"), (3, "b3+a3")]);
    assert_eq!(data(&b)[&item(1).to_vec()], expected);
    sync(&b, &a, &callback, CRP_NONE);
    assert_eq!(app.conflicts.lock().unwrap().len(), 1);
    assert_eq!(data(&a), data(&b));
    assert!(agree(&a, &b));
}

#[test]
fn a_unit_without_an_action_is_deferred_and_comes_again() {
    let (a, b) = pair();
    for unit in [1, 2] {
        write_unit(&a, unit, "a");
        write_unit(&b, unit, "b");
    }
    // Only unit 1 gets an action; the change none: unit 2 is deferred.
    let app = app(None, &[(1, SRA_ACCEPT_SOURCE_PROVIDER)]);
    let callback: ISyncCallback = app.to_interface();
    let report = sync(&a, &b, &callback, CRP_NONE);
    assert_eq!(report.changes_applied, 1);
    assert_eq!(
        data(&b)[&item(1).to_vec()],
        units(&[(1, "a"), (2, "b"), (3, "x3")])
    );
    assert!(
        !b.provider()
            .knowledge()
            .contains_knowledge(&a.provider().knowledge())
            .unwrap()
    );
    // It comes again: a conflict on unit 2 alone.
    let again = replica_units_support::app(Some(SRA_ACCEPT_DESTINATION_PROVIDER), &[]);
    let report = sync(&a, &b, &again.to_interface(), CRP_NONE);
    assert_eq!(report.changes_applied, 1);
    let conflicts = again.conflicts.lock().unwrap().clone();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(
        conflicts[0].units,
        [(vec![2], SRA_ACCEPT_DESTINATION_PROVIDER)]
    );
    sync(&b, &a, &callback, CRP_NONE);
    assert_eq!(data(&a), data(&b));
    assert!(agree(&a, &b));
}

#[test]
fn a_policy_resolves_unit_conflicts_with_the_engines_default() {
    let (a, b) = pair();
    write_unit(&a, 1, "a1");
    write_unit(&b, 1, "b1");
    write_unit(&a, 2, "a2");
    let app = app(Some(SRA_ACCEPT_SOURCE_PROVIDER), &[]);
    let callback: ISyncCallback = app.to_interface();
    let report = sync(&a, &b, &callback, CRP_DESTINATION_PROVIDER_WINS);
    assert_eq!(report.changes_applied, 2);
    assert!(
        app.conflicts.lock().unwrap().is_empty(),
        "no OnConflict under a policy"
    );
    assert_eq!(
        data(&b)[&item(1).to_vec()],
        units(&[(1, "b1"), (2, "a2"), (3, "x3")])
    );
    sync(&b, &a, &callback, CRP_DESTINATION_PROVIDER_WINS);
    assert_eq!(data(&a), data(&b));
    assert!(agree(&a, &b));
}

#[test]
fn a_unit_the_source_cannot_load_fails_alone_and_comes_again() {
    let (a, b) = pair();
    write_unit(&a, 1, "a1");
    write_unit(&a, 2, "a2");
    let failing = (item(1).to_vec(), vec![1]);
    a.provider()
        .store()
        .fail_load
        .lock()
        .unwrap()
        .insert(failing.clone());
    // Through a retriever of another implementation: loads with a context per unit.
    let log = Log::default();
    let app = app(None, &[]);
    let callback: ISyncCallback = app.to_interface();
    let (hr, statistics) = session_via(&a, &b, &callback, |r| recording(r, &log));
    hr.ok().unwrap();
    assert_eq!(
        (statistics.dwChangesApplied, statistics.dwChangesFailed),
        (1, 1)
    );
    assert_eq!(*app.totals.lock().unwrap(), (1, 1));
    assert_eq!(log.lock().unwrap().as_slice(), [(Some(vec![1]), E_FAIL)]);
    assert_eq!(app.errors.lock().unwrap().as_slice(), [SPR_SOURCE]);
    // The error names its unit: unit 1 answers the error, unit 2 (applied) none.
    assert_eq!(
        app.unit_errors.lock().unwrap().as_slice(),
        [vec![(vec![1], E_FAIL, false), (vec![2], HRESULT(0), false)]]
    );
    assert_eq!(
        data(&b)[&item(1).to_vec()],
        units(&[(1, "x1"), (2, "a2"), (3, "x3")])
    );
    // It comes again, and fails alone again, through the driver (this runtime's loader).
    let report = sync(&a, &b, &callback, CRP_NONE);
    assert_eq!((report.changes_applied, report.changes_failed), (0, 1));
    a.provider().store().fail_load.lock().unwrap().clear();
    let (hr, statistics) = session_via(&a, &b, &callback, |r| recording(r, &log));
    hr.ok().unwrap();
    assert_eq!(
        (statistics.dwChangesApplied, statistics.dwChangesFailed),
        (1, 0)
    );
    assert_eq!(log.lock().unwrap().len(), 1);
    sync(&b, &a, &callback, CRP_NONE);
    assert_eq!(data(&a), data(&b));
    assert!(agree(&a, &b));
}

#[test]
fn a_unit_the_destination_cannot_save_fails_alone() {
    let (a, b) = pair();
    write_unit(&a, 1, "a1");
    write_unit(&a, 2, "a2");
    b.provider()
        .store()
        .fail_save
        .lock()
        .unwrap()
        .insert((item(1).to_vec(), vec![2]));
    let app = app(None, &[]);
    let callback: ISyncCallback = app.to_interface();
    let report = sync(&a, &b, &callback, CRP_NONE);
    assert_eq!((report.changes_applied, report.changes_failed), (1, 1));
    assert_eq!(app.errors.lock().unwrap().as_slice(), [SPR_DESTINATION]);
    assert_eq!(
        app.unit_errors.lock().unwrap().as_slice(),
        [vec![(vec![1], HRESULT(0), false), (vec![2], E_FAIL, false)]]
    );
    // NULL pointers: E_POINTER, nothing written.
    assert_eq!(
        app.null_answers.lock().unwrap().as_slice(),
        [(E_POINTER, E_POINTER, true)]
    );
    b.provider().store().fail_save.lock().unwrap().clear();
    let report = sync(&a, &b, &callback, CRP_NONE);
    assert_eq!((report.changes_applied, report.changes_failed), (1, 0));
    sync(&b, &a, &callback, CRP_NONE);
    assert_eq!(data(&a), data(&b));
    assert!(agree(&a, &b));
}

#[test]
fn a_store_without_change_units_fails_unit_changes_without_corrupting_anything() {
    let (a, b) = (node::<UnitMemory>(1), node::<Plain>(2));
    let start = encode(&units(&[(1, "x1"), (2, "x2")]));
    a.provider().write(&item(1), &start).unwrap();
    let app = app(None, &[]);
    let callback: ISyncCallback = app.to_interface();
    sync(&a, &b, &callback, CRP_NONE);
    let held = b.provider().store().0.lock().unwrap().clone();
    assert_eq!(held[&item(1).to_vec()], start);

    // A local unit change on the plain store: refused, nothing recorded.
    let before = (b.provider().item(&item(1)), b.provider().knowledge());
    let refused = b.provider().write_unit(&item(1), &[1], b"b1").unwrap_err();
    assert_eq!(refused.code(), E_FAIL);
    assert_eq!(
        (b.provider().item(&item(1)), b.provider().knowledge()),
        before
    );

    // A's unit change fails at B, every time, and corrupts nothing.
    write_unit(&a, 1, "a1");
    for _ in 0..2 {
        let report = sync(&a, &b, &callback, CRP_NONE);
        assert_eq!((report.changes_applied, report.changes_failed), (0, 1));
        assert_eq!(*b.provider().store().0.lock().unwrap(), held);
        assert_eq!(b.provider().item(&item(1)), before.0);
        assert!(
            !b.provider()
                .knowledge()
                .contains_knowledge(&a.provider().knowledge())
                .unwrap()
        );
    }
    assert_eq!(app.errors.lock().unwrap().as_slice(), [SPR_DESTINATION; 2]);
    // A change of the whole item still travels, over the unit records.
    let whole = encode(&units(&[(1, "w1"), (2, "w2")]));
    a.provider().write(&item(1), &whole).unwrap();
    let report = sync(&a, &b, &callback, CRP_NONE);
    assert_eq!((report.changes_applied, report.changes_failed), (1, 0));
    assert_eq!(
        b.provider().store().0.lock().unwrap()[&item(1).to_vec()],
        whole
    );
    assert!(agree(&a, &b));
}

#[test]
fn write_unit_checks_before_it_stores() {
    let a = node::<UnitMemory>(1);
    let missing = a.provider().write_unit(&item(9), &[1], b"x").unwrap_err();
    assert_eq!(missing.code(), E_INVALIDARG);
    a.provider().write(&item(1), &[]).unwrap();
    let bad = a
        .provider()
        .write_unit(&item(1), &[1, 2], b"x")
        .unwrap_err();
    assert_eq!(bad.code(), SYNC_E_ID_FORMAT_MISMATCH);
    a.provider()
        .store()
        .fail_save
        .lock()
        .unwrap()
        .insert((item(1).to_vec(), vec![1]));
    let before = (a.provider().item(&item(1)), a.provider().knowledge());
    assert_eq!(
        a.provider()
            .write_unit(&item(1), &[1], b"x")
            .unwrap_err()
            .code(),
        E_FAIL
    );
    assert_eq!(
        (a.provider().item(&item(1)), a.provider().knowledge()),
        before
    );
    assert!(data(&a)[&item(1).to_vec()].is_empty());
    let version = a.provider().write_unit(&item(1), &[2], b"y").unwrap();
    assert_eq!(
        a.provider().item(&item(1)).unwrap().unit_version(&[2]),
        version
    );
}
