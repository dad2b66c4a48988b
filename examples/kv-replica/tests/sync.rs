//! Key/value replicas synchronized through the session driver: convergence both ways,
//! batching, progress, an up-to-date second session, conflicts merged by the application or
//! decided by the policy, deletions, a session between the in-memory replica and the folder
//! replica (two providers written differently, meeting only through the interfaces), a
//! foreign knowledge object handed to a source, and the conformance suite.
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
use winsync_example_kv_replica::{KvReplica, Reporter, folder_replica};

type Replica = ComObject<ProviderObject<KvReplica>>;

fn replica(id: u32) -> Replica {
    KvReplica::new(id, 2).unwrap().into_object()
}

fn reporter(action: SYNC_RESOLVE_ACTION) -> ComObject<CallbackObject<Reporter>> {
    Reporter::new(action, false).into_object()
}

fn sync_with(
    from: &impl Interface,
    to: &impl Interface,
    callback: &ComObject<CallbackObject<Reporter>>,
    policy: CONFLICT_RESOLUTION_POLICY,
) -> SyncReport {
    let callback: ISyncCallback = callback.to_interface();
    let options = SyncOptions {
        resolution_policy: policy,
        ..SyncOptions::default()
    };
    synchronize(
        &from.cast().unwrap(),
        &to.cast().unwrap(),
        Some(&callback),
        &options,
    )
    .unwrap()
}

fn sync(
    from: &Replica,
    to: &Replica,
    callback: &ComObject<CallbackObject<Reporter>>,
) -> SyncReport {
    let (from, to): (IKnowledgeSyncProvider, IKnowledgeSyncProvider) =
        (from.to_interface(), to.to_interface());
    sync_with(&from, &to, callback, CRP_NONE)
}

#[test]
fn both_replicas_hold_the_same_items_after_syncing_both_ways() {
    let (a, b) = (replica(1), replica(2));
    a.provider().put("color", "red").unwrap();
    a.provider().put("owner", "alice").unwrap();
    b.provider().put("shape", "round").unwrap();
    let app = reporter(SRA_MERGE);
    sync(&a, &b, &app);
    sync(&b, &a, &app);
    assert_eq!(a.provider().values(), b.provider().values());
    assert_eq!(a.provider().values().len(), 3);
    let (ka, kb) = (a.provider().knowledge(), b.provider().knowledge());
    assert!(ka.contains_knowledge(&kb).unwrap() && kb.contains_knowledge(&ka).unwrap());
    assert!(ka.range_exceptions().is_empty() && ka.single_item_exceptions().is_empty());
}

#[test]
fn five_changes_in_batches_of_two_take_three_batches() {
    let (a, b) = (replica(1), replica(2));
    for key in ["a", "b", "c", "d", "e"] {
        a.provider().put(key, "x").unwrap();
    }
    let report = sync(&a, &b, &reporter(SRA_MERGE));
    assert_eq!(
        (report.batches, report.batch_size, report.changes_applied),
        (3, 2, 5)
    );
}

#[test]
fn progress_is_recorded_for_both_roles_and_a_second_sync_moves_nothing() {
    let (a, b) = (replica(1), replica(2));
    for key in ["a", "b", "c"] {
        a.provider().put(key, "x").unwrap();
    }
    let app = reporter(SRA_MERGE);
    sync(&a, &b, &app);
    let progress = app.callback().progress();
    assert!(progress.contains(&(
        SyncProviderRole::Source,
        SyncProgressStage::ChangeEnumeration,
        2
    )));
    assert!(progress.contains(&(
        SyncProviderRole::Destination,
        SyncProgressStage::ChangeApplication,
        2
    )));
    let again = sync(&a, &b, &app);
    assert_eq!((again.batches, again.changes_applied), (1, 0));
}

#[test]
fn concurrent_writes_are_merged_by_the_application_or_decided_by_the_policy() {
    let (a, b) = (replica(1), replica(2));
    a.provider().put("color", "red").unwrap();
    let app = reporter(SRA_MERGE);
    sync(&a, &b, &app);
    a.provider().put("color", "blue").unwrap();
    b.provider().put("color", "green").unwrap();
    sync(&a, &b, &app);
    sync(&b, &a, &app);
    assert_eq!(app.callback().conflicts(), 1);
    assert_eq!(a.provider().values()["color"], "green|blue");
    assert_eq!(b.provider().values()["color"], "green|blue");
    // The policy decides without the application.
    a.provider().put("color", "A").unwrap();
    b.provider().put("color", "B").unwrap();
    let (pa, pb): (IKnowledgeSyncProvider, IKnowledgeSyncProvider) =
        (a.to_interface(), b.to_interface());
    sync_with(&pa, &pb, &app, CRP_SOURCE_PROVIDER_WINS);
    sync_with(&pb, &pa, &app, CRP_SOURCE_PROVIDER_WINS);
    assert_eq!(
        app.callback().conflicts(),
        1,
        "the application was not asked"
    );
    assert_eq!(a.provider().values()["color"], "A");
    assert_eq!(b.provider().values()["color"], "A");
}

#[test]
fn deletions_travel() {
    let (a, b) = (replica(1), replica(2));
    a.provider().put("k", "v").unwrap();
    a.provider().put("l", "w").unwrap();
    let app = reporter(SRA_MERGE);
    sync(&a, &b, &app);
    b.provider().delete("k").unwrap();
    sync(&b, &a, &app);
    assert!(!a.provider().values().contains_key("k"));
    assert_eq!(a.provider().values(), b.provider().values());
}

#[test]
fn the_memory_replica_and_the_folder_replica_meet_through_the_interfaces() {
    let folder = std::env::temp_dir().join(format!("kv-replica-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    let files = folder_replica(9, &folder, 5).unwrap();
    let memory = replica(1);
    memory.provider().put("color", "red").unwrap();
    memory.provider().put("size", "large").unwrap();
    files.provider().write(b"shape", b"round").unwrap();
    let app = reporter(SRA_MERGE);
    let (pm, pf): (IKnowledgeSyncProvider, IKnowledgeSyncProvider) =
        (memory.to_interface(), files.to_interface());
    sync_with(&pm, &pf, &app, CRP_NONE);
    sync_with(&pf, &pm, &app, CRP_NONE);
    assert_eq!(
        files.provider().store().values(),
        memory.provider().values()
    );
    assert_eq!(memory.provider().values().len(), 3);
    memory.provider().delete("size").unwrap();
    sync_with(&pm, &pf, &app, CRP_NONE);
    assert!(!folder.join(hex(b"size")).exists());
    assert_eq!(
        files.provider().store().values(),
        memory.provider().values()
    );
    let _ = std::fs::remove_dir_all(&folder);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn the_provider_is_conformant() {
    let report = check_provider(|| KvReplica::new(7, 2).unwrap().into_provider());
    assert!(report.is_conformant(), "{report}");
}

#[test]
fn a_source_refuses_knowledge_it_cannot_read() {
    let a = replica(1);
    a.provider().put("k", "v").unwrap();
    let provider: IKnowledgeSyncProvider = a.to_interface();
    let state: ISyncSessionState = SessionState::new(None).to_interface();
    unsafe { provider.BeginSession(SPR_SOURCE, &state) }
        .ok()
        .unwrap();
    // A knowledge object that answers nothing cannot be read through its interfaces.
    let foreign: ISyncKnowledge = ComObject::new(NullKnowledge).to_interface();
    let (mut batch, mut retriever) = (None, None);
    let hr = unsafe { provider.GetChangeBatch(2, &foreign, &mut batch, &mut retriever) };
    assert!(hr.is_err(), "{hr:?}");
    assert!(batch.is_none() && retriever.is_none());
    unsafe { provider.EndSession(&state) }.ok().unwrap();
}
