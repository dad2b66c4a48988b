//! Contract rules the runtime's provider built on the engine (`ReplicaProvider`) enforces,
//! each tested through the COM vtables: two checked providers run by the session driver, or a
//! session's steps called one by one on the providers and the objects they hand out. Each test
//! names its rule (`metadata/contracts.toml`) and fails when the provider stops enforcing it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::undocumented_unsafe_blocks,
    non_snake_case
)]

mod replica_nodes;

use replica_nodes::direct::{
    batch, contains, full_batch, knowledge, knows_its_item, process, process_any,
};
use replica_nodes::foreign::{ErrorData, Load, foreign_batch, foreign_retriever};
use replica_nodes::recorder::{
    OnConflict, Recorder, Seen, callback_of, recorder, recorder_choosing,
};
use replica_nodes::{Memory, data, item, node, sync};

use windows_core::{IUnknown, Interface};
use winsync::bindings::{
    CRP_NONE, E_ACCESSDENIED, E_FAIL, E_NOINTERFACE, E_POINTER, IChangeConflict_Impl,
    IEnumSyncChanges, IKnowledgeSyncProvider, ILoadChangeContext, IRecoverableErrorData,
    ISyncChange, ISyncChangeBatch, ISyncChangeBatchBase, ISyncChangeBatchWithPrerequisite,
    ISyncKnowledge, ISynchronousDataRetriever, S_FALSE, S_OK, SFEA_PARTIAL_SYNC, SPR_DESTINATION,
    SPR_SOURCE, SPS_CHANGE_APPLICATION, SRA_ACCEPT_SOURCE_PROVIDER, SRA_MERGE,
    SYNC_SESSION_STATISTICS,
};
use winsync::engine::sync::ItemError;
use winsync::engine::{IdFormat, IdFormats};
use winsync::framework::driver::{SyncOptions, SyncReport, synchronize};
use winsync::framework::provider::ProviderObject;
use winsync::framework::replica::conflict::ConflictObject;
use winsync::framework::replica::data::{IItemData, bytes_of, load_context};
use winsync::framework::replica::{ItemStore, ReplicaProvider};
use winsync::hresults::{SYNC_E_ID_FORMAT_MISMATCH, SYNC_E_INVALID_OPERATION};

const A: [u8; 16] = [1; 16];

/// Every change of a batch, in order.
fn changes(batch: &impl Interface) -> Vec<ISyncChange> {
    let base: ISyncChangeBatchBase = batch.cast().unwrap();
    let list: IEnumSyncChanges = unsafe { base.GetChangeEnumerator() }.unwrap();
    let mut out = Vec::new();
    loop {
        let mut one: [Option<ISyncChange>; 1] = [None];
        let mut fetched = 0;
        let hr = unsafe { list.Next(1, one.as_mut_ptr(), &mut fetched) };
        if hr != S_OK || fetched == 0 {
            return out;
        }
        let [change] = one;
        out.push(change.unwrap());
    }
}

fn learned(batch: &impl Interface) -> ISyncKnowledge {
    let base: ISyncChangeBatchBase = batch.cast().unwrap();
    unsafe { base.GetLearnedKnowledge() }.unwrap()
}

fn contains_knowledge(knowledge: &ISyncKnowledge, other: &ISyncKnowledge) -> windows_core::HRESULT {
    unsafe { knowledge.ContainsKnowledge(other) }
}

/// Asserts that `error`'s message names `rule`. Off Windows, windows-core keeps no message
/// with an error (it travels as `IErrorInfo`), so only the code can be checked there.
fn names(error: &windows_core::Error, rule: &str) {
    if cfg!(windows) {
        assert!(error.message().contains(rule), "{}", error.message());
    }
}

fn progress(seen: &[Seen]) -> Vec<(u32, u32)> {
    seen.iter()
        .filter_map(|s| match s {
            Seen::Progress(SPR_DESTINATION, SPS_CHANGE_APPLICATION, c, t) => Some((*c, *t)),
            _ => None,
        })
        .collect()
}

fn recoverable(seen: &[Seen]) -> Vec<Seen> {
    seen.iter()
        .filter(|s| matches!(s, Seen::Recoverable { .. }))
        .cloned()
        .collect()
}

// --- callback.on-conflict.set-resolve-action,
// --- change-conflict.set-resolve-action-for-change(-unit).in-on-conflict

/// An application that sets no action inside `OnConflict` defers the change (it comes again);
/// setting an action on the conflict after `OnConflict` returned is refused.
#[test]
fn a_conflict_is_closed_once_on_conflict_returned() {
    let (a, b) = (node(1), node(2));
    a.provider().write(&item(1), b"a").unwrap();
    b.provider().write(&item(1), b"b").unwrap();
    let app = recorder(OnConflict::Keep);
    let callback = callback_of(&app);
    let report = sync(&a, &b, &callback, CRP_NONE);
    assert_eq!(report.changes_applied, 0);
    assert_eq!(
        data(&b)[&item(1).to_vec()],
        b"b",
        "deferred: nothing applied"
    );
    // Inside OnConflict the conflict was open: a NULL change unit was only a bad pointer.
    assert_eq!(*app.inside.lock().unwrap(), [E_POINTER]);
    let kept = app.kept.lock().unwrap()[0].clone();
    unsafe {
        assert_eq!(
            kept.SetResolveActionForChange(SRA_ACCEPT_SOURCE_PROVIDER),
            SYNC_E_INVALID_OPERATION
        );
        assert_eq!(
            kept.SetResolveActionForChangeUnit(
                None::<&winsync::bindings::ISyncChangeUnit>,
                SRA_MERGE
            ),
            SYNC_E_INVALID_OPERATION
        );
    }
    assert_eq!(data(&b)[&item(1).to_vec()], b"b");
    // The deferred change comes again, and is resolved this time.
    let merging = recorder(OnConflict::Set(SRA_MERGE));
    sync(&a, &b, &callback_of(&merging), CRP_NONE);
    assert!(merging.seen().contains(&Seen::Conflict(1)));
    assert_eq!(data(&b)[&item(1).to_vec()], b"b+a");
}

/// The refusal names the rules.
#[test]
fn a_late_resolve_action_names_the_rules() {
    let (a, b) = (node(1), node(2));
    a.provider().write(&item(1), b"a").unwrap();
    b.provider().write(&item(1), b"b").unwrap();
    let app = recorder(OnConflict::Keep);
    sync(&a, &b, &callback_of(&app), CRP_NONE);
    let kept = app.kept.lock().unwrap()[0].clone();
    let object = windows_core::ComObject::<ConflictObject>::cast_from(&kept).unwrap();
    assert!(object.is_closed());
    let error = IChangeConflict_Impl::SetResolveActionForChange(&*object, SRA_MERGE).unwrap_err();
    assert_eq!(error.code(), SYNC_E_INVALID_OPERATION);
    names(&error, "callback.on-conflict.set-resolve-action");
    names(
        &error,
        "change-conflict.set-resolve-action-for-change.in-on-conflict",
    );
    let error = IChangeConflict_Impl::SetResolveActionForChangeUnit(
        &*object,
        Default::default(),
        SRA_MERGE,
    )
    .unwrap_err();
    assert_eq!(error.code(), SYNC_E_INVALID_OPERATION);
    names(
        &error,
        "change-conflict.set-resolve-action-for-change-unit.in-on-conflict",
    );
}

// --- callback.on-recoverable-error.when

/// A change the source cannot load (a recoverable error set on the load context, or data
/// that is not `IItemData`) raises `OnRecoverableError` for that change only, on the source's
/// side, with the error and the source's error data.
#[test]
fn a_change_the_source_cannot_load_raises_on_recoverable_error() {
    let (a, b) = (node(1), node(2));
    for n in 0..5 {
        a.provider().write(&item(n), &[n]).unwrap();
    }
    let (batch, retriever) = batch(&a, &b);
    let error_data: IRecoverableErrorData = ErrorData.into();
    let raw = error_data.as_raw() as usize;
    let foreign = foreign_retriever(&retriever, IdFormats::GUID_GID, move |n| match n {
        2 => Load::Recoverable(E_ACCESSDENIED, Some(error_data.clone())),
        3 => Load::NotItemData,
        _ => Load::Forward,
    });
    let app = recorder(OnConflict::Set(SRA_MERGE));
    let (answer, statistics) = process(&b, &batch, &foreign, &callback_of(&app), CRP_NONE);
    assert_eq!(answer, S_OK);
    assert_eq!(
        (statistics.dwChangesApplied, statistics.dwChangesFailed),
        (3, 2)
    );
    let at = |item, error, data| Seen::Recoverable {
        stage: SPS_CHANGE_APPLICATION,
        provider: SPR_SOURCE,
        item,
        error,
        data,
    };
    assert_eq!(
        recoverable(&app.seen()),
        [at(2, E_ACCESSDENIED, raw), at(3, E_NOINTERFACE, 0)]
    );
}

/// A store that cannot save item 2.
#[derive(Default)]
struct Picky(Memory);

impl ItemStore for Picky {
    fn load(&self, item: &[u8]) -> Result<Vec<u8>, ItemError> {
        self.0.load(item)
    }
    fn save(&self, id: &[u8], data: &[u8]) -> Result<(), ItemError> {
        if id == item(2) {
            return Err(ItemError("disk full".into()));
        }
        self.0.save(id, data)
    }
    fn delete(&self, id: &[u8]) -> Result<(), ItemError> {
        self.0.delete(id)
    }
}

/// A source holding items 0 - 3 and a destination whose store cannot save item 2: the
/// source, the destination (the `Picky` replica, to read its store back) and both as
/// `IKnowledgeSyncProvider`s.
fn picky_pair() -> (
    IKnowledgeSyncProvider,
    IKnowledgeSyncProvider,
    windows_core::ComObject<ProviderObject<ReplicaProvider<Picky>>>,
) {
    let a = node(1);
    for n in 0..4 {
        a.provider().write(&item(n), &[n]).unwrap();
    }
    let b = ProviderObject::new(
        ReplicaProvider::new(IdFormats::GUID_GID, &[2; 16], Picky::default(), 10).unwrap(),
    );
    (a.to_interface(), b.to_interface(), b)
}

/// One session into [`picky_pair`]'s destination with a recording application callback: the
/// session's report and the recorder.
fn picky_session() -> (SyncReport, windows_core::ComObject<Recorder>) {
    let (source, destination, _b) = picky_pair();
    let app = recorder(OnConflict::Set(SRA_MERGE));
    let callback = callback_of(&app);
    let report = synchronize(
        &source,
        &destination,
        Some(&callback),
        &SyncOptions::default(),
    )
    .unwrap();
    (report, app)
}

/// A change the destination cannot save raises `OnRecoverableError` on the destination's side.
#[test]
fn a_change_the_destination_cannot_save_raises_on_recoverable_error() {
    let (report, app) = picky_session();
    assert_eq!(report.changes_failed, 1);
    assert_eq!(
        recoverable(&app.seen()),
        [Seen::Recoverable {
            stage: SPS_CHANGE_APPLICATION,
            provider: SPR_DESTINATION,
            item: 2,
            error: E_FAIL,
            data: 0,
        }]
    );
}

// --- change-batch-base.add-item-metadata-to-group.work-for-change,
// --- change-batch-base.set-remaining-work-estimate-for-session.zero

/// A batch of A's items `works` (item, work for the change) built through `ISyncChangeBatch`
/// for B, with the batch's work and the session's remaining work.
fn built_batch(
    a: &replica_nodes::Node,
    b: &replica_nodes::Node,
    works: &[(u8, u32)],
    for_batch: u32,
    remaining: u32,
) -> ISyncChangeBatch {
    let prerequisite =
        winsync::framework::knowledge::from_com(&knowledge(b), Some(&IdFormats::GUID_GID)).unwrap();
    let engine_batch =
        winsync::engine::batch::ChangeBatch::new(IdFormats::GUID_GID, &A, prerequisite, None)
            .unwrap();
    let batch: ISyncChangeBatch = winsync::framework::batch::to_com(engine_batch)
        .cast()
        .unwrap();
    let (lower, upper) = ([0u8; 24], [0xFF; 24]);
    unsafe {
        batch.BeginOrderedGroup(lower.as_ptr()).ok().unwrap();
        for &(n, work) in works {
            let meta = a.provider().item(&item(n)).unwrap();
            let (change, creation) = (
                replica_nodes::direct::sync_version(meta.change_version()),
                replica_nodes::direct::sync_version(meta.creation_version()),
            );
            batch
                .AddItemMetadataToGroup(A.as_ptr(), item(n).as_ptr(), &change, &creation, 0, work)
                .unwrap();
        }
        batch
            .EndOrderedGroup(upper.as_ptr(), &knowledge(a))
            .ok()
            .unwrap();
        batch.SetWorkEstimateForBatch(for_batch).ok().unwrap();
        batch
            .SetRemainingWorkEstimateForSession(remaining)
            .ok()
            .unwrap();
        batch.SetLastBatch().ok().unwrap();
    }
    batch
}

/// Each applied change reports its work estimate as completed, out of the session's work as
/// the batches estimate it (the batches' work so far and the remaining work).
#[test]
fn change_application_progress_counts_each_change_work() {
    let (a, b) = (node(1), node(2));
    for n in [1, 2, 3] {
        a.provider().write(&item(n), &[n]).unwrap();
    }
    // Item 2's change has no work estimate: it completes no work to report.
    let built = built_batch(&a, &b, &[(1, 2), (2, 0), (3, 3)], 5, 10);
    let (_, retriever) = batch(&a, &b);
    let app = recorder(OnConflict::Set(SRA_MERGE));
    let (answer, statistics) = process(&b, &built, &retriever, &callback_of(&app), CRP_NONE);
    assert_eq!((answer, statistics.dwChangesApplied), (S_OK, 3));
    assert_eq!(progress(&app.seen()), [(2, 15), (5, 15)]);
    assert_eq!(data(&b), data(&a));
}

/// A batch that estimates the session's remaining work as zero makes each applied change
/// report zero completed work out of zero.
#[test]
fn a_zero_remaining_estimate_reports_each_change_as_zero_work() {
    let (a, b) = (node(1), node(2));
    for n in [1, 2, 3] {
        a.provider().write(&item(n), &[n]).unwrap();
    }
    let built = built_batch(&a, &b, &[(1, 2), (2, 3), (3, 4)], 9, 0);
    let (_, retriever) = batch(&a, &b);
    let app = recorder(OnConflict::Set(SRA_MERGE));
    let (answer, _) = process(&b, &built, &retriever, &callback_of(&app), CRP_NONE);
    assert_eq!(answer, S_OK);
    assert_eq!(progress(&app.seen()), [(0, 0), (0, 0), (0, 0)]);
}

// --- change-batch-base.get-learned-knowledge.prerequisite,
// --- sync-change.get-learned-knowledge.prerequisite

/// `SetPrerequisiteKnowledge` to A's own knowledge, which a destination that knows nothing of
/// A does not contain.
fn demand_prerequisite(batch: &ISyncChangeBatch, prerequisite: &ISyncKnowledge) {
    let with: ISyncChangeBatchWithPrerequisite = batch.cast().unwrap();
    unsafe { with.SetPrerequisiteKnowledge(prerequisite) }
        .ok()
        .unwrap();
}

/// A batch's learned knowledge is learned only where the destination meets its prerequisite:
/// the changes are applied, their versions not learned.
#[test]
fn a_batch_whose_prerequisite_the_destination_lacks_is_not_learned() {
    let a = node(1);
    for n in 0..4 {
        a.provider().write(&item(n), &[n]).unwrap();
    }
    for meets in [true, false] {
        let b = node(2);
        let (batch, retriever) = batch(&a, &b);
        if !meets {
            demand_prerequisite(&batch, &knowledge(&a));
        }
        let app = recorder(OnConflict::Set(SRA_MERGE));
        let (answer, statistics) = process(&b, &batch, &retriever, &callback_of(&app), CRP_NONE);
        assert_eq!((answer, statistics.dwChangesApplied), (S_OK, 4));
        assert_eq!(data(&b), data(&a));
        let expected = if meets { S_OK } else { S_FALSE };
        assert_eq!(
            contains_knowledge(&knowledge(&b), &learned(&batch)),
            expected
        );
        assert_eq!(knows_its_item(&b, &[2; 16], &item(0)), meets);
    }
}

/// In a partial synchronization (`SFEA_PARTIAL_SYNC`) the destination learns each received
/// change's learned knowledge only where it meets the batch's prerequisite.
#[test]
fn partial_synchronization_learns_changes_only_under_the_prerequisite() {
    let a = node(1);
    for n in 0..4 {
        a.provider().write(&item(n), b"x").unwrap();
    }
    let base = node(2);
    sync(
        &a,
        &base,
        &callback_of(&recorder(OnConflict::Set(SRA_MERGE))),
        CRP_NONE,
    );
    a.provider().remove(&item(1)).unwrap();
    a.provider().cleanup_tombstones(|_, _| true).unwrap();
    a.provider().write(&item(3), b"y").unwrap();
    for meets in [true, false] {
        // B holds A's items as of before the deletion.
        let b_fresh: replica_nodes::Node = ProviderObject::new(ReplicaProvider::from_replica(
            base.provider().replica(),
            Memory(std::sync::Mutex::new(data(&base))),
            3,
        ));
        let (batch, retriever) = batch(&a, &b_fresh);
        if !meets {
            demand_prerequisite(&batch, &knowledge(&a));
        }
        let app = recorder_choosing(OnConflict::Set(SRA_MERGE), SFEA_PARTIAL_SYNC);
        let (answer, _) = process(&b_fresh, &batch, &retriever, &callback_of(&app), CRP_NONE);
        assert_eq!(answer, S_OK);
        assert_eq!(
            data(&b_fresh)[&item(3).to_vec()],
            b"y",
            "applied either way"
        );
        assert!(
            data(&b_fresh).contains_key(item(1).as_slice()),
            "a partial synchronization finds no forgotten deletion"
        );
        assert_eq!(knows_its_item(&b_fresh, &[2; 16], &item(3)), meets);
    }
}

// --- change-batch-advanced.get-batch-level-knowledge-should-be-applied.destination-saves

/// A batch of another implementation that answers FALSE to
/// `GetBatchLevelKnowledgeShouldBeApplied` teaches only its changes' learned knowledge.
#[test]
fn a_batch_without_batch_level_knowledge_is_learned_per_change() {
    let a = node(1);
    for n in [1, 2, 5] {
        a.provider().write(&item(n), &[n]).unwrap();
    }
    for batch_level in [true, false] {
        let b = node(2);
        let (batch, retriever) = batch(&a, &b);
        let foreign = foreign_batch(&batch, batch_level);
        let app = recorder(OnConflict::Set(SRA_MERGE));
        let (answer, statistics) = process(&b, &foreign, &retriever, &callback_of(&app), CRP_NONE);
        assert_eq!((answer, statistics.dwChangesApplied), (S_OK, 3));
        assert!(
            [1, 2, 5]
                .iter()
                .all(|&n| knows_its_item(&b, &[2; 16], &item(n)))
        );
        let expected = if batch_level { S_OK } else { S_FALSE };
        assert_eq!(
            contains_knowledge(&knowledge(&b), &learned(&batch)),
            expected,
            "the batch's range (items 0, 3, 4, ...) is learned only with its knowledge"
        );
    }
}

// --- full-enumeration-change-batch.destination-versions-in-bounds

/// A full-enumeration batch answers for every item of the destination between its closed
/// bounds, listed or not: one the source deleted and forgot is removed; one beyond the upper
/// bound is left to a later batch.
#[test]
fn a_full_enumeration_covers_the_destination_items_within_its_bounds() {
    let (a, b) = (node(1), node(2));
    for n in 0..9 {
        a.provider().write(&item(n), &[n]).unwrap();
    }
    sync(
        &a,
        &b,
        &callback_of(&recorder(OnConflict::Set(SRA_MERGE))),
        CRP_NONE,
    );
    for n in [2, 7] {
        a.provider().remove(&item(n)).unwrap();
    }
    assert_eq!(a.provider().cleanup_tombstones(|_, _| true).unwrap(), 2);
    let (full, retriever) = full_batch(&a, &b, &item(0), 3);
    let mut upper = [0u8; 24];
    let mut size = 24;
    unsafe { full.GetClosedUpperBoundItemId(upper.as_mut_ptr(), &mut size) }
        .ok()
        .unwrap();
    assert!(upper >= item(2) && upper < item(7), "{upper:?}");
    let app = recorder(OnConflict::Set(SRA_MERGE));
    let (answer, _) = process_any(
        &b,
        &full.cast().unwrap(),
        &retriever,
        &callback_of(&app),
        CRP_NONE,
        true,
    );
    assert_eq!(answer, S_OK);
    let held = data(&b);
    assert!(
        !held.contains_key(item(2).as_slice()),
        "within the bounds: removed"
    );
    assert!(
        held.contains_key(item(7).as_slice()),
        "beyond the bounds: untouched"
    );
    assert!(b.provider().item(&item(7)).is_some());
}

// --- forgotten-knowledge.forget-to-version.on-tombstone-cleanup

/// Cleaning up a tombstone forgets its version: the source's forgotten knowledge (as its
/// batches hand it out) contains the removed tombstone's version, and not a kept one's.
#[test]
fn cleaning_up_a_tombstone_forgets_its_version() {
    let (a, b) = (node(1), node(2));
    for n in [1, 2, 3] {
        a.provider().write(&item(n), &[n]).unwrap();
    }
    let gone = a.provider().remove(&item(1)).unwrap();
    let kept = a.provider().remove(&item(2)).unwrap();
    assert_eq!(
        a.provider()
            .cleanup_tombstones(|id, _| id == item(1))
            .unwrap(),
        1
    );
    let (batch, _) = batch(&a, &b);
    let base: ISyncChangeBatchBase = batch.cast().unwrap();
    let forgotten: ISyncKnowledge = unsafe { base.GetSourceForgottenKnowledge() }
        .unwrap()
        .cast()
        .unwrap();
    assert_eq!(contains(&forgotten, &A, &item(1), gone), S_OK);
    assert_eq!(contains(&forgotten, &A, &item(2), kept), S_FALSE);
}

// --- synchronous-data-retriever.load-change-data.context,
// --- synchronous-data-retriever.load-change-data.data-interface

/// The source's data retriever loads the item of the change its load context names.
#[test]
fn the_data_retriever_loads_the_change_its_context_names() {
    let (a, b) = (node(1), node(2));
    for n in [1, 2] {
        a.provider()
            .write(&item(n), format!("item {n}").as_bytes())
            .unwrap();
    }
    let (batch, retriever) = batch(&a, &b);
    let retriever: ISynchronousDataRetriever = retriever.cast().unwrap();
    let load = |change: &ISyncChange| {
        let context: ILoadChangeContext = load_context(change.clone()).to_interface();
        let data: IItemData = unsafe { retriever.LoadChangeData(&context) }?.cast()?;
        bytes_of(&data)
    };
    let changes = changes(&batch);
    assert_eq!(changes.len(), 2);
    for (n, change) in [1u8, 2].into_iter().zip(&changes) {
        assert_eq!(load(change).unwrap(), format!("item {n}").as_bytes());
    }
    let none = unsafe { retriever.LoadChangeData(None::<&ILoadChangeContext>) };
    assert_eq!(none.unwrap_err().code(), E_POINTER);
    // A change of an item the store no longer holds: the source's failure.
    a.provider()
        .store()
        .0
        .lock()
        .unwrap()
        .remove(item(2).as_slice());
    assert!(load(&changes[1]).is_err());
}

/// Data that is not `IItemData` (the interface this runtime's destination queries for) fails
/// that change only: counted failed, `OnChangeFailed` raised, the rest applied.
#[test]
fn data_without_the_expected_interface_fails_only_its_change() {
    let (a, b) = (node(1), node(2));
    for n in 0..3 {
        a.provider().write(&item(n), &[n]).unwrap();
    }
    let (batch, retriever) = batch(&a, &b);
    let foreign = foreign_retriever(&retriever, IdFormats::GUID_GID, |n| {
        if n == 1 {
            Load::NotItemData
        } else {
            Load::Forward
        }
    });
    let app = recorder(OnConflict::Set(SRA_MERGE));
    let (answer, statistics) = process(&b, &batch, &foreign, &callback_of(&app), CRP_NONE);
    assert_eq!(answer, S_OK);
    assert_eq!(
        (statistics.dwChangesApplied, statistics.dwChangesFailed),
        (2, 1)
    );
    assert!(app.seen().contains(&Seen::Failed(1, 1)));
    assert!(!data(&b).contains_key(item(1).as_slice()));
    assert_eq!(data(&b).len(), 2);
}

// --- knowledge.set-local-tick-count.current-before-send

/// The knowledge a replica sends (`GetSyncBatchParameters`, and the made-with and learned
/// knowledge of its batches) contains its latest local change.
#[test]
fn the_knowledge_a_replica_sends_contains_its_latest_change() {
    let (a, b) = (node(1), node(2));
    a.provider().write(&item(1), b"1").unwrap();
    let latest = a.provider().write(&item(2), b"2").unwrap();
    assert_eq!(contains(&knowledge(&a), &A, &item(2), latest), S_OK);
    let (batch, _) = batch(&a, &b);
    let last = changes(&batch).pop().unwrap();
    let made_with = unsafe { last.GetMadeWithKnowledge() }.unwrap();
    assert_eq!(contains(&made_with, &A, &item(2), latest), S_OK);
    assert_eq!(contains(&learned(&batch), &A, &item(2), latest), S_OK);
}

// --- synchronous-data-retriever.get-id-parameters.schema

/// A destination checks the data retriever's ID formats (`GetIdParameters`) against its own
/// before applying anything: another implementation's by calling it, this runtime's by its
/// loader's formats.
#[test]
fn a_data_retriever_of_other_id_formats_is_refused() {
    let (a, b) = (node(1), node(2));
    for n in 0..3 {
        a.provider().write(&item(n), &[n]).unwrap();
    }
    let short = IdFormats {
        item: IdFormat {
            variable: false,
            size: 16,
        },
        ..IdFormats::GUID_GID
    };
    let (batch, retriever) = batch(&a, &b);
    let app = recorder(OnConflict::Set(SRA_MERGE));
    let callback = callback_of(&app);
    let foreign = foreign_retriever(&retriever, short, |_| Load::Forward);
    let own_short: IUnknown = winsync::framework::replica::data::retriever(
        short,
        std::sync::Arc::new(|_: &[u8]| Ok(Vec::new())),
    )
    .cast()
    .unwrap();
    for retriever in [&foreign, &own_short] {
        let (answer, statistics) = process(&b, &batch, retriever, &callback, CRP_NONE);
        assert_eq!(answer, SYNC_E_ID_FORMAT_MISMATCH);
        assert_eq!(statistics.dwChangesApplied, 0);
        assert!(data(&b).is_empty() && b.provider().item(&item(0)).is_none());
    }
    // The provider's own answer names the rule.
    let mut statistics = SYNC_SESSION_STATISTICS::default();
    let error = winsync::skeletons::KnowledgeSyncProvider::process_change_batch(
        b.provider(),
        winsync::skeletons::ConflictResolutionPolicy::None,
        &batch,
        &foreign,
        &callback,
        &mut statistics,
    )
    .unwrap_err();
    assert_eq!(error.code(), SYNC_E_ID_FORMAT_MISMATCH);
    names(
        &error,
        "synchronous-data-retriever.get-id-parameters.schema",
    );
    // A retriever of another implementation in the destination's formats is loaded through.
    let same = foreign_retriever(&retriever, IdFormats::GUID_GID, |_| Load::Forward);
    let (answer, statistics) = process(&b, &batch, &same, &callback, CRP_NONE);
    assert_eq!((answer, statistics.dwChangesApplied), (S_OK, 3));
    assert_eq!(data(&b), data(&a));
}

/// A session without an application callback runs with the driver's quiet callback, which
/// lets the destination skip the `ISyncChange` objects it would build only for `OnChange`:
/// a change the destination cannot save still fails on its own (its `ISyncChange` built for
/// the recoverable error), stays out of the learned knowledge and comes again in the next
/// session; the others are applied.
#[test]
fn a_session_without_callback_still_fails_and_resends_what_it_cannot_save() {
    let (source, destination, b) = picky_pair();
    let first = synchronize(&source, &destination, None, &SyncOptions::default()).unwrap();
    assert_eq!((first.changes_applied, first.changes_failed), (3, 1));
    let again = synchronize(&source, &destination, None, &SyncOptions::default()).unwrap();
    assert_eq!((again.changes_applied, again.changes_failed), (0, 1));
    for n in [0, 1, 3] {
        assert_eq!(b.provider().store().load(&item(n)).unwrap(), [n]);
    }
    assert!(b.provider().store().load(&item(2)).is_err());
}

/// With an application callback, `OnChange` receives each change before it is applied (the
/// change's own `ISyncChange`, its item ID readable), a failing one included.
#[test]
fn an_application_callback_gets_on_change_for_every_change() {
    let (report, app) = picky_session();
    assert_eq!((report.changes_applied, report.changes_failed), (3, 1));
    let mut changes = app.changes.lock().unwrap().clone();
    changes.sort_unstable();
    assert_eq!(changes, [item(0)[0], item(1)[0], item(2)[0], item(3)[0]]);
}
