//! Two `KvReplica`s synchronized through the session driver: convergence, batching, progress,
//! idempotence, last-writer-wins, and the conformance suite.
// Test helpers fail loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use windows_core::{ComObject, Interface};
use winsync::bindings::*;
use winsync::framework::callback::{CallbackObject, DerivedCallback};
use winsync::framework::conformance::check_provider;
use winsync::framework::conformance::stand_ins::NullKnowledge;
use winsync::framework::driver::{SyncOptions, SyncReport, synchronize};
use winsync::framework::provider::{DerivedProvider, ProviderObject};
use winsync::framework::session_state::SessionState;
use winsync::skeletons::{SyncProgressStage, SyncProviderRole};
use winsync_example_kv_replica::{
    KvChangeBatch, KvKnowledge, KvReplica, ProgressEvent, ProgressPrinter, ReplicaId, Version,
};

type Replica = ComObject<ProviderObject<KvReplica>>;

fn replica(id: u32) -> Replica {
    KvReplica::new(ReplicaId(id)).into_object()
}

fn sync(
    source: &Replica,
    destination: &Replica,
    printer: &ComObject<CallbackObject<ProgressPrinter>>,
) -> SyncReport {
    let callback: ISyncCallback = printer.to_interface();
    synchronize(
        &source.to_interface(),
        &destination.to_interface(),
        Some(&callback),
        &SyncOptions::default(),
    )
    .unwrap()
}

#[test]
fn both_replicas_hold_the_same_items_after_syncing_both_ways() {
    let (a, b) = (replica(1), replica(2));
    a.provider().put("color", "red");
    a.provider().put("size", "large");
    a.provider().put("owner", "alice");
    b.provider().put("size", "small");
    b.provider().put("shape", "round");
    b.provider().put("color", "green");
    let printer = ProgressPrinter::new().into_object();

    sync(&a, &b, &printer);
    sync(&b, &a, &printer);

    assert_eq!(a.provider().items(), b.provider().items());
    assert_eq!(a.provider().knowledge(), b.provider().knowledge());
    let values: Vec<(String, String)> = a.provider().values().into_iter().collect();
    assert_eq!(
        values,
        [
            ("color".to_string(), "green".to_string()),
            ("owner".to_string(), "alice".to_string()),
            ("shape".to_string(), "round".to_string()),
            ("size".to_string(), "large".to_string()),
        ]
    );
    assert_eq!(
        (a.session_role(), b.session_role()),
        (None, None),
        "both sessions ended"
    );
}

#[test]
fn five_changes_in_batches_of_two_take_three_batches() {
    let a = replica(1);
    let b = KvReplica::new(ReplicaId(2))
        .with_batch_size(2)
        .into_object();
    for key in ["a", "b", "c", "d", "e"] {
        a.provider().put(key, key.to_uppercase());
    }
    let printer = ProgressPrinter::new().into_object();

    let report = sync(&a, &b, &printer);

    assert_eq!(
        (
            report.batches,
            report.batch_size,
            report.changes_applied,
            report.changes_failed
        ),
        (3, 2, 5, 0)
    );
    assert_eq!(b.provider().values(), a.provider().values());
}

#[test]
fn progress_is_recorded_for_both_roles() {
    let (a, b) = (replica(1), replica(2));
    for key in ["a", "b", "c", "d", "e"] {
        a.provider().put(key, "x");
    }
    let printer = ProgressPrinter::new().into_object();

    sync(&a, &b, &printer);

    let events = printer.callback().events();
    let from = |role: SyncProviderRole, stage: SyncProgressStage| -> Vec<(u32, u32)> {
        events
            .iter()
            .filter(|e| e.role == role && e.stage == stage && e.total > 0)
            .map(|e| (e.completed, e.total))
            .collect()
    };
    // The providers' own reports: the source's changes handed out of all it enumerated, the
    // destination's changes applied of the batch.
    assert_eq!(
        from(
            SyncProviderRole::Source,
            SyncProgressStage::ChangeEnumeration
        ),
        [(2, 5), (4, 5), (5, 5)]
    );
    assert_eq!(
        from(
            SyncProviderRole::Destination,
            SyncProgressStage::ChangeApplication
        ),
        [(1, 2), (2, 2), (1, 2), (2, 2), (1, 1)]
    );
    // The driver's per-batch reports, for both roles too.
    assert_eq!(
        events.iter().filter(|e| e.total == 0).count(),
        6,
        "{events:?}"
    );
    assert_eq!(
        events[0].to_string(),
        "source       change enumeration  2/5"
    );
    assert_eq!(
        ProgressEvent {
            role: SyncProviderRole::Destination,
            stage: SyncProgressStage::ChangeApplication,
            completed: 3,
            total: 0,
        }
        .to_string(),
        "destination  change application  batch 3"
    );
}

#[test]
fn a_second_sync_moves_nothing() {
    let (a, b) = (replica(1), replica(2));
    a.provider().put("one", "1");
    a.provider().put("two", "2");
    b.provider().put("three", "3");
    let printer = ProgressPrinter::new().into_object();
    sync(&a, &b, &printer);
    sync(&b, &a, &printer);

    for (source, destination) in [(&a, &b), (&b, &a)] {
        let report = sync(source, destination, &printer);
        assert_eq!(
            (
                report.batches,
                report.changes_applied,
                report.changes_failed
            ),
            (1, 0, 0)
        );
    }
}

#[test]
fn concurrent_writes_resolve_by_last_writer_wins() {
    let (a, b) = (replica(1), replica(2));
    // Same tick on both: the higher replica id wins.
    a.provider().put("tie", "from a");
    b.provider().put("tie", "from b");
    // A writes `late` at a higher tick than B.
    b.provider().put("late", "from b");
    a.provider().put("pad", "-");
    a.provider().put("late", "from a");
    let printer = ProgressPrinter::new().into_object();

    sync(&a, &b, &printer);
    sync(&b, &a, &printer);

    for replica in [&a, &b] {
        let provider = replica.provider();
        assert_eq!(provider.get("tie").as_deref(), Some("from b"));
        assert_eq!(provider.get("late").as_deref(), Some("from a"));
        assert_eq!(
            provider.item("late").unwrap().version,
            Version {
                tick: 3,
                replica: ReplicaId(1)
            }
        );
    }

    // A write after seeing B's tick-2 change gets a higher tick (the clock moved past it).
    let version = b.provider().put("after", "sync");
    assert!(version.tick > 3, "{version:?}");
}

#[test]
fn the_provider_is_conformant() {
    let report = check_provider(|| KvReplica::new(ReplicaId(7)).into_provider());
    assert!(report.is_conformant(), "{report}");
}

#[test]
fn the_com_objects_answer_through_their_interfaces() {
    let a = replica(5);
    a.provider().put("k", "v");

    // The knowledge handed to a source: the replica's version vector.
    let mut size = 0;
    let mut knowledge = None;
    unsafe {
        a.to_interface::<IKnowledgeSyncProvider>()
            .GetSyncBatchParameters(&mut knowledge, &mut size)
    }
    .ok()
    .unwrap();
    assert_eq!(size, KvReplica::DEFAULT_BATCH_SIZE);
    let knowledge: ISyncKnowledge = knowledge.unwrap();
    let object = knowledge.cast_object_ref::<KvKnowledge>().unwrap();
    assert_eq!(object.version_vector().get(ReplicaId(5)), 1);
    let (mut id, mut id_size) = ([0u8; 4], 4u32);
    unsafe { knowledge.GetOwnerReplicaId(id.as_mut_ptr(), &mut id_size) }.unwrap();
    assert_eq!((u32::from_le_bytes(id), id_size), (5, 4));

    // The ID format.
    let mut parameters = ID_PARAMETERS::default();
    unsafe {
        a.to_interface::<ISyncProvider>()
            .GetIdParameters(&mut parameters)
    }
    .unwrap();
    assert_eq!(
        parameters.dwSize as usize,
        size_of::<ID_PARAMETERS>(),
        "{parameters:?}"
    );
    assert!(!parameters.replicaId.fIsVariable.as_bool());
    assert_eq!(parameters.replicaId.cbIdSize, 4);
}

#[test]
fn a_source_refuses_knowledge_that_is_not_this_examples() {
    let a = replica(1);
    a.provider().put("k", "v");
    let provider: IKnowledgeSyncProvider = a.to_interface();
    let state: ISyncSessionState = SessionState::new(None).to_interface();
    unsafe { provider.BeginSession(SPR_SOURCE, &state) }
        .ok()
        .unwrap();

    let foreign: ISyncKnowledge = ComObject::new(NullKnowledge).to_interface();
    let (mut batch, mut retriever) = (None, None);
    let hr = unsafe { provider.GetChangeBatch(2, &foreign, &mut batch, &mut retriever) };
    assert_eq!(hr, E_INVALIDARG);
    assert!(batch.is_none() && retriever.is_none());

    // With a replica's knowledge, the batch is this example's, and marked as the last.
    let b = replica(2);
    let (mut size, mut knowledge) = (0, None);
    unsafe {
        b.to_interface::<IKnowledgeSyncProvider>()
            .GetSyncBatchParameters(&mut knowledge, &mut size)
    }
    .ok()
    .unwrap();
    unsafe {
        provider.GetChangeBatch(
            size,
            knowledge.as_ref().unwrap(),
            &mut batch,
            &mut retriever,
        )
    }
    .ok()
    .unwrap();
    let batch: ISyncChangeBatch = batch.unwrap();
    let object = batch.cast_object_ref::<KvChangeBatch>().unwrap();
    assert_eq!(object.changes().len(), 1);
    assert!(object.is_last());
    let mut last = windows_core::BOOL::default();
    unsafe { batch.GetIsLastBatch(&mut last) }.ok().unwrap();
    assert!(last.as_bool());

    unsafe { provider.EndSession(&state) }.ok().unwrap();
    assert_eq!(a.session_role(), None);
}
