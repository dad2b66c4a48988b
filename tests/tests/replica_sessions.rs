//! Two providers built on the engine (`winsync::framework::replica::ReplicaProvider`, each a
//! checked `ProviderObject`) synchronized through their COM interfaces by the session driver:
//! both ways, conflicts decided by the application in `ISyncCallback::OnConflict` through the
//! real `IChangeConflict`, deletions, `ISyncCallback2` totals, forgotten-knowledge recovery by
//! full enumeration, and a destination reading a batch it did not make through the batch's
//! interfaces.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::undocumented_unsafe_blocks,
    non_snake_case
)]

mod replica_nodes;

use replica_nodes::{Memory, app, data, item, node, sync};

use windows_core::{Interface, Result};
use winsync::bindings::{
    CRP_DESTINATION_PROVIDER_WINS, CRP_NONE, CRP_SOURCE_PROVIDER_WINS, IKnowledgeSyncProvider,
    ISyncCallback, ISyncChange, SRA_MERGE,
};
use winsync::engine::IdFormats;
use winsync::engine::sync::ItemError;
use winsync::framework::driver::{SyncOptions, synchronize};
use winsync::framework::provider::ProviderObject;
use winsync::framework::replica::{ItemStore, ReplicaProvider};
use winsync::hresults::{SYNC_E_CHANGE_NEEDS_KNOWLEDGE, SYNC_E_INVALID_OPERATION};

#[test]
fn two_replica_providers_synchronize_both_ways_through_com() {
    let (a, b) = (node(1), node(2));
    for n in 0..10 {
        a.provider()
            .write(&item(n), format!("a{n}").as_bytes())
            .unwrap();
    }
    let app = app(SRA_MERGE);
    let callback: ISyncCallback = app.to_interface();
    let report = sync(&a, &b, &callback, CRP_NONE);
    assert_eq!(report.changes_applied, 10);
    assert_eq!(report.batches, 4, "batches of 3, as the destination asked");
    assert_eq!(data(&b), data(&a));
    assert_eq!(*app.changes.lock().unwrap(), 10);
    assert_eq!(*app.totals.lock().unwrap(), (10, 0));

    // Concurrent updates of item 4 (merged by the application), a deletion of 5 at B.
    a.provider().write(&item(4), b"A").unwrap();
    b.provider().write(&item(4), b"B").unwrap();
    b.provider().remove(&item(5)).unwrap();
    sync(&a, &b, &callback, CRP_NONE);
    assert_eq!(
        app.conflicts.lock().unwrap().as_slice(),
        [(b"A".to_vec(), b"B".to_vec())]
    );
    assert_eq!(data(&b)[&item(4).to_vec()], b"B+A");
    sync(&b, &a, &callback, CRP_NONE);
    assert_eq!(
        app.conflicts.lock().unwrap().len(),
        1,
        "the merge travels back without a conflict"
    );
    assert_eq!(data(&a), data(&b));
    assert!(!data(&a).contains_key(item(5).as_slice()));
    // Nothing left to do either way: an up-to-date destination is recognized.
    let again = sync(&a, &b, &callback, CRP_NONE);
    assert_eq!((again.changes_applied, again.batches), (0, 1));
    for n in [&a, &b] {
        let k = n.provider().knowledge();
        assert!(k.range_exceptions().is_empty() && k.single_item_exceptions().is_empty());
    }
}

#[test]
fn policies_decide_conflicts_without_the_application() {
    for (policy, winner) in [
        (CRP_SOURCE_PROVIDER_WINS, b"A"),
        (CRP_DESTINATION_PROVIDER_WINS, b"B"),
    ] {
        let (a, b) = (node(1), node(2));
        a.provider().write(&item(1), b"base").unwrap();
        let app = app(SRA_MERGE);
        let callback: ISyncCallback = app.to_interface();
        sync(&a, &b, &callback, policy);
        a.provider().write(&item(1), b"A").unwrap();
        b.provider().write(&item(1), b"B").unwrap();
        sync(&a, &b, &callback, policy);
        sync(&b, &a, &callback, policy);
        assert!(
            app.conflicts.lock().unwrap().is_empty(),
            "the application is not asked"
        );
        assert_eq!(data(&a)[&item(1).to_vec()], winner);
        assert_eq!(data(&b)[&item(1).to_vec()], winner);
    }
}

#[test]
fn an_out_of_date_destination_recovers_by_full_enumeration() {
    let (a, b) = (node(1), node(2));
    for n in 0..7 {
        a.provider().write(&item(n), b"x").unwrap();
    }
    let app = app(SRA_MERGE);
    let callback: ISyncCallback = app.to_interface();
    sync(&a, &b, &callback, CRP_NONE);
    a.provider().remove(&item(3)).unwrap();
    assert_eq!(a.provider().cleanup_tombstones(|_, _| true).unwrap(), 1);
    a.provider().write(&item(6), b"y").unwrap();
    let report = sync(&a, &b, &callback, CRP_NONE);
    assert!(report.full_enumeration);
    assert_eq!(*app.full_enumerations.lock().unwrap(), 1);
    assert_eq!(data(&b), data(&a));
    assert!(!data(&b).contains_key(item(3).as_slice()));
    assert_eq!(data(&b)[&item(6).to_vec()], b"y");
}

#[test]
fn a_destination_reads_a_batch_it_did_not_make_through_its_interfaces() {
    // The source's batch reaches the destination wrapped, so that the runtime cannot recognize
    // it as its own: the destination reads it through ISyncChangeBatch and ISyncChange.
    use winsync::framework::batch;
    let (a, b) = (node(1), node(2));
    for n in 0..4 {
        a.provider()
            .write(&item(n), format!("v{n}").as_bytes())
            .unwrap();
    }
    let mut enumerator = winsync::engine::sync::ChangeEnumerator::new(
        &a.provider().replica(),
        &b.provider().knowledge(),
    )
    .unwrap();
    let mut engine_batch = enumerator.next_batch(&a.provider().replica(), 100).unwrap();
    engine_batch.set_work_for_batch(4);
    engine_batch.set_remaining_work(7);
    let ours = batch::to_com(engine_batch.clone());
    let read = batch::foreign::read(&ours, &IdFormats::GUID_GID).unwrap();
    assert_eq!(read.change_count(), engine_batch.change_count());
    assert_eq!((read.work_for_batch(), read.remaining_work()), (4, 7));
    assert!(read.is_last_batch());
    let learned = read.learned_knowledge().unwrap();
    assert!(
        learned
            .contains_knowledge(&engine_batch.learned_knowledge().unwrap())
            .unwrap()
    );
    for ((_, x), (_, y)) in read.changes().zip(engine_batch.changes()) {
        assert_eq!(x, y);
    }
}

/// A store that cannot save one item.
#[derive(Default)]
struct Picky(Memory);

impl ItemStore for Picky {
    fn load(&self, item: &[u8]) -> std::result::Result<Vec<u8>, ItemError> {
        self.0.load(item)
    }
    fn save(&self, item: &[u8], data: &[u8]) -> std::result::Result<(), ItemError> {
        if item == item_of(2) {
            return Err(ItemError("disk full".into()));
        }
        self.0.save(item, data)
    }
    fn delete(&self, item: &[u8]) -> std::result::Result<(), ItemError> {
        self.0.delete(item)
    }
}

fn item_of(n: u8) -> [u8; 24] {
    item(n)
}

#[test]
fn failed_saves_reach_the_application_with_session_totals_and_come_again() {
    let a = node(1);
    for n in 0..4 {
        a.provider().write(&item(n), b"x").unwrap();
    }
    let b = ProviderObject::new(
        ReplicaProvider::new(IdFormats::GUID_GID, &[2; 16], Picky::default(), 10).unwrap(),
    );
    let app = app(SRA_MERGE);
    let callback: ISyncCallback = app.to_interface();
    let (source, destination): (IKnowledgeSyncProvider, IKnowledgeSyncProvider) =
        (a.to_interface(), b.to_interface());
    let report = synchronize(
        &source,
        &destination,
        Some(&callback),
        &SyncOptions::default(),
    )
    .unwrap();
    assert_eq!((report.changes_applied, report.changes_failed), (3, 1));
    assert_eq!(
        *app.totals.lock().unwrap(),
        (3, 1),
        "ISyncCallback2 saw the session's totals"
    );
    // The failed item was not learned: it comes again (and fails again).
    let again = synchronize(
        &source,
        &destination,
        Some(&callback),
        &SyncOptions::default(),
    )
    .unwrap();
    assert_eq!((again.changes_applied, again.changes_failed), (0, 1));
}

#[test]
fn a_full_enumeration_starts_at_its_lower_bound() {
    use winsync::bindings::{ISyncChangeBatchBase, ISyncSessionState, SPR_SOURCE};
    use winsync::framework::session_state::SessionState;
    let a = node(1);
    for n in 0..8 {
        a.provider().write(&item(n), b"x").unwrap();
    }
    let provider: IKnowledgeSyncProvider = a.to_interface();
    let state: ISyncSessionState = SessionState::new(None).to_interface();
    let destination = winsync::framework::knowledge::to_com(
        winsync::engine::Knowledge::new(IdFormats::GUID_GID, &[2; 16]).unwrap(),
    );
    unsafe { provider.BeginSession(SPR_SOURCE, &state) }
        .ok()
        .unwrap();
    let (mut batch, mut retriever) = (None, None);
    unsafe {
        provider.GetFullEnumerationChangeBatch(
            100,
            item(5).as_ptr(),
            &destination,
            &mut batch,
            &mut retriever,
        )
    }
    .ok()
    .unwrap();
    let batch = batch.unwrap();
    let base: ISyncChangeBatchBase = batch.cast().unwrap();
    let read = winsync::framework::batch::from_com(&base, &IdFormats::GUID_GID).unwrap();
    let items: Vec<u8> = read.changes().map(|(_, c)| c.item[0]).collect();
    assert_eq!(items, [5, 6, 7]);
    let mut lower = [0u8; 24];
    let mut size = 24;
    assert_eq!(
        unsafe { batch.GetClosedLowerBoundItemId(lower.as_mut_ptr(), &mut size) },
        winsync::bindings::S_OK
    );
    assert_eq!(lower, item(5));
    unsafe { provider.EndSession(&state) }.ok().unwrap();
}

/// A source that never marks a last batch.
#[derive(winsync::SyncProvider)]
struct Endless;

impl winsync::skeletons::SyncProvider for Endless {
    fn get_id_parameters(&self, parameters: &mut winsync::bindings::ID_PARAMETERS) -> Result<()> {
        *parameters = winsync::framework::knowledge::id_parameters(&IdFormats::GUID_GID);
        Ok(())
    }
}

impl winsync::skeletons::KnowledgeSyncProvider for Endless {
    fn get_sync_batch_parameters(
        &self,
        size: &mut u32,
    ) -> Result<winsync::bindings::ISyncKnowledge> {
        *size = 1;
        Ok(winsync::framework::knowledge::to_com(
            winsync::engine::Knowledge::new(IdFormats::GUID_GID, &[9; 16]).unwrap(),
        ))
    }
    fn get_change_batch(
        &self,
        _: u32,
        destination: &winsync::bindings::ISyncKnowledge,
    ) -> Result<(winsync::bindings::ISyncChangeBatch, windows_core::IUnknown)> {
        let mine = winsync::engine::Knowledge::new(IdFormats::GUID_GID, &[9; 16]).unwrap();
        let destination =
            winsync::framework::knowledge::from_com(destination, Some(&IdFormats::GUID_GID))?;
        let mut batch = winsync::engine::batch::ChangeBatch::new(
            IdFormats::GUID_GID,
            &[9; 16],
            destination,
            None,
        )
        .unwrap();
        batch.begin_ordered_group(None).unwrap();
        batch.end_ordered_group(None, &mine).unwrap();
        // Never SetLastBatch.
        let retriever = winsync::framework::replica::data::retriever(
            IdFormats::GUID_GID,
            std::sync::Arc::new(|_: &[u8]| {
                Err(windows_core::Error::from_hresult(winsync::bindings::E_FAIL))
            }),
        );
        Ok((
            winsync::framework::batch::to_com(batch).cast()?,
            retriever.cast()?,
        ))
    }
    fn process_change_batch(
        &self,
        _: winsync::skeletons::ConflictResolutionPolicy,
        _: &winsync::bindings::ISyncChangeBatch,
        _: &windows_core::IUnknown,
        _: &ISyncCallback,
        _: &mut winsync::bindings::SYNC_SESSION_STATISTICS,
    ) -> Result<()> {
        Ok(())
    }
}

#[test]
fn the_driver_refuses_a_source_that_never_sends_its_last_batch() {
    use winsync::DerivedProvider as _;
    let endless = Endless.into_object();
    let b = node(2);
    let (source, destination): (IKnowledgeSyncProvider, IKnowledgeSyncProvider) =
        (endless.to_interface(), b.to_interface());
    let options = SyncOptions {
        max_batches: 5,
        ..SyncOptions::default()
    };
    let error = synchronize(&source, &destination, None, &options).unwrap_err();
    assert_eq!(error.code(), SYNC_E_INVALID_OPERATION);
    // Both providers got EndSession: each can begin a new session.
    assert!(endless.session_role().is_none() && b.session_role().is_none());
    assert_eq!(
        endless.session_phase(),
        winsync::framework::session_cell::Phase::Idle
    );
}

/// What a conflict shows the application: the source's change, which carries made-with
/// knowledge and a work estimate, and the destination's own version of the item, which has
/// neither (`sync-change.get-made-with-knowledge.source-only`,
/// `sync-change.set-work-estimate.source-only`).
#[windows_core::implement(ISyncCallback)]
struct Keeper(std::sync::Mutex<Vec<(ISyncChange, ISyncChange)>>);

impl winsync::bindings::ISyncCallback_Impl for Keeper_Impl {
    fn OnProgress(
        &self,
        _: winsync::bindings::SYNC_PROVIDER_ROLE,
        _: winsync::bindings::SYNC_PROGRESS_STAGE,
        _: u32,
        _: u32,
    ) -> Result<()> {
        Ok(())
    }
    fn OnChange(&self, _: windows_core::Ref<ISyncChange>) -> Result<()> {
        Ok(())
    }
    fn OnConflict(
        &self,
        conflict: windows_core::Ref<winsync::bindings::IChangeConflict>,
    ) -> Result<()> {
        let conflict = conflict.ok()?;
        let source = unsafe { conflict.GetSourceProviderConflictingChange() }?;
        let destination = unsafe { conflict.GetDestinationProviderConflictingChange() }?;
        self.0.lock().unwrap().push((source, destination));
        unsafe { conflict.SetResolveActionForChange(SRA_MERGE) }.ok()
    }
    fn OnFullEnumerationNeeded(
        &self,
        _: *mut winsync::bindings::SYNC_FULL_ENUMERATION_ACTION,
    ) -> Result<()> {
        Ok(())
    }
    fn OnRecoverableError(
        &self,
        _: windows_core::Ref<winsync::bindings::IRecoverableError>,
    ) -> Result<()> {
        Ok(())
    }
}

#[test]
fn only_the_source_change_of_a_conflict_has_knowledge_and_work() {
    let (a, b) = (node(1), node(2));
    a.provider().write(&item(1), b"a").unwrap();
    b.provider().write(&item(1), b"b").unwrap();
    let keeper = windows_core::ComObject::new(Keeper(std::sync::Mutex::new(Vec::new())));
    let callback: ISyncCallback = keeper.to_interface();
    sync(&a, &b, &callback, CRP_NONE);
    let seen = keeper.0.lock().unwrap();
    let [(source, destination)] = seen.as_slice() else {
        panic!("one conflict: {}", seen.len());
    };
    unsafe {
        assert!(source.GetMadeWithKnowledge().is_ok());
        assert!(source.GetLearnedKnowledge().is_ok());
        assert_eq!(source.SetWorkEstimate(5), winsync::bindings::S_OK);
        assert_eq!(
            destination.GetMadeWithKnowledge().unwrap_err().code(),
            SYNC_E_CHANGE_NEEDS_KNOWLEDGE
        );
        assert_eq!(
            destination.GetLearnedKnowledge().unwrap_err().code(),
            SYNC_E_CHANGE_NEEDS_KNOWLEDGE
        );
        assert_eq!(destination.SetWorkEstimate(5), SYNC_E_INVALID_OPERATION);
    }
}

/// A conflict the destination's version wins counts as an applied change in the session's
/// statistics, and the application hears of it as of any applied change: `OnChangeApplied`'s
/// running totals end where the statistics do.
#[test]
fn a_change_the_destination_wins_is_reported_applied() {
    let (a, b) = (node(1), node(2));
    a.provider().write(&item(1), b"base").unwrap();
    a.provider().write(&item(2), b"base").unwrap();
    let first = app(SRA_MERGE);
    sync(&a, &b, &first.to_interface(), CRP_DESTINATION_PROVIDER_WINS);
    a.provider().write(&item(1), b"A").unwrap();
    b.provider().write(&item(1), b"B").unwrap();
    a.provider().write(&item(2), b"A2").unwrap();
    let second = app(SRA_MERGE);
    let report = sync(
        &a,
        &b,
        &second.to_interface(),
        CRP_DESTINATION_PROVIDER_WINS,
    );
    assert_eq!(report.changes_applied, 2, "the update of 2 and the kept 1");
    assert_eq!(*second.totals.lock().unwrap(), (2, 0));
    assert_eq!(data(&b)[&item(1).to_vec()], b"B");
    assert_eq!(data(&b)[&item(2).to_vec()], b"A2");
}
