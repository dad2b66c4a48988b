//! The conformance suite against a derived provider (conformant) and a deliberately broken
//! hand-written one (each rule it breaks is reported with its source), and the session driver
//! running the documented two-provider sequence.
// Test helpers fail loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Mutex;

use windows_core::{ComObject, IUnknown, OutRef, Ref, Result, implement};
use winsync::bindings::*;
use winsync::framework::callback::DerivedCallback;
use winsync::framework::conformance::check_provider;
use winsync::framework::conformance::stand_ins::{LastChangeBatch, NullKnowledge, NullRetriever};
use winsync::framework::driver::{SyncOptions, synchronize, synchronize_in};
use winsync::framework::provider::DerivedProvider;
use winsync::framework::session_state::SessionState;
use winsync::skeletons::*;

/// A provider that does its part of a session and records it.
#[derive(winsync::SyncProvider, Default)]
struct Replica {
    calls: Mutex<Vec<String>>,
    fail_processing: bool,
}

impl Replica {
    fn record(&self, call: impl Into<String>) {
        self.calls.lock().unwrap().push(call.into());
    }
}

impl SyncProvider for Replica {
    fn get_id_parameters(&self, _id_parameters: &mut ID_PARAMETERS) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
}

impl KnowledgeSyncProvider for Replica {
    fn begin_session(
        &self,
        role: SyncProviderRole,
        _session_state: &ISyncSessionState,
    ) -> Result<()> {
        self.record(format!("begin {role:?}"));
        Ok(())
    }
    fn get_sync_batch_parameters(&self, requested_batch_size: &mut u32) -> Result<ISyncKnowledge> {
        self.record("get_sync_batch_parameters");
        *requested_batch_size = 50;
        Ok(ComObject::new(NullKnowledge).to_interface())
    }
    fn get_change_batch(
        &self,
        batch_size: u32,
        _sync_knowledge: &ISyncKnowledge,
    ) -> Result<(ISyncChangeBatch, IUnknown)> {
        self.record(format!("get_change_batch {batch_size}"));
        Ok((
            ComObject::new(LastChangeBatch).to_interface(),
            ComObject::new(NullRetriever).to_interface(),
        ))
    }
    fn get_full_enumeration_change_batch(
        &self,
        _batch_size: u32,
        _lower_enumeration_bound: *const u8,
        _sync_knowledge: &ISyncKnowledge,
    ) -> Result<(ISyncFullEnumerationChangeBatch, IUnknown)> {
        Err(E_NOTIMPL.into())
    }
    fn process_change_batch(
        &self,
        _resolution_policy: ConflictResolutionPolicy,
        _source_change_batch: &ISyncChangeBatch,
        _unk_data_retriever: &IUnknown,
        _callback: &ISyncCallback,
        sync_session_statistics: &mut SYNC_SESSION_STATISTICS,
    ) -> Result<()> {
        self.record("process_change_batch");
        if self.fail_processing {
            return Err(E_FAIL.into());
        }
        sync_session_statistics.dwChangesApplied += 3;
        Ok(())
    }
    fn process_full_enumeration_change_batch(
        &self,
        _resolution_policy: ConflictResolutionPolicy,
        _source_change_batch: &ISyncFullEnumerationChangeBatch,
        _unk_data_retriever: &IUnknown,
        _callback: &ISyncCallback,
        _sync_session_statistics: &mut SYNC_SESSION_STATISTICS,
    ) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn end_session(&self, _session_state: &ISyncSessionState) -> Result<()> {
        self.record("end");
        Ok(())
    }
}

/// A hand-written provider that ignores the session contract: it accepts every call, keeps
/// every session state it is given, and never checks roles.
#[implement(IKnowledgeSyncProvider, ISyncProvider)]
#[derive(Default)]
struct Careless {
    kept: Mutex<Vec<ISyncSessionState>>,
}

impl ISyncProvider_Impl for Careless_Impl {
    fn GetIdParameters(&self, _: *mut ID_PARAMETERS) -> Result<()> {
        Ok(())
    }
}

impl IKnowledgeSyncProvider_Impl for Careless_Impl {
    fn BeginSession(&self, _role: SYNC_PROVIDER_ROLE, state: Ref<ISyncSessionState>) -> Result<()> {
        if let Some(state) = state.as_ref() {
            self.kept.lock().unwrap().push(state.clone());
        }
        Ok(())
    }
    fn GetSyncBatchParameters(&self, _: OutRef<ISyncKnowledge>, _: *mut u32) -> Result<()> {
        Ok(())
    }
    fn GetChangeBatch(
        &self,
        _: u32,
        _: Ref<ISyncKnowledge>,
        _: OutRef<ISyncChangeBatch>,
        _: OutRef<IUnknown>,
    ) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn GetFullEnumerationChangeBatch(
        &self,
        _: u32,
        _: *const u8,
        _: Ref<ISyncKnowledge>,
        _: OutRef<ISyncFullEnumerationChangeBatch>,
        _: OutRef<IUnknown>,
    ) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn ProcessChangeBatch(
        &self,
        _: CONFLICT_RESOLUTION_POLICY,
        _: Ref<ISyncChangeBatch>,
        _: Ref<IUnknown>,
        _: Ref<ISyncCallback>,
        _: *mut SYNC_SESSION_STATISTICS,
    ) -> Result<()> {
        Ok(())
    }
    fn ProcessFullEnumerationChangeBatch(
        &self,
        _: CONFLICT_RESOLUTION_POLICY,
        _: Ref<ISyncFullEnumerationChangeBatch>,
        _: Ref<IUnknown>,
        _: Ref<ISyncCallback>,
        _: *mut SYNC_SESSION_STATISTICS,
    ) -> Result<()> {
        Ok(())
    }
    fn EndSession(&self, _: Ref<ISyncSessionState>) -> Result<()> {
        Ok(())
    }
}

#[test]
fn a_derived_provider_keeps_every_rule_checked() {
    let report = check_provider(|| Replica::default().into_provider());
    assert!(report.is_conformant(), "{report}");
    assert!(report.findings.len() >= 16, "{report}");
    let text = report.to_string();
    assert!(text.contains("kept    provider.end-session.without-begin (NF:winsync.IKnowledgeSyncProvider.EndSession)"), "{text}");
}

#[test]
fn a_careless_provider_is_caught_rule_by_rule() {
    let report = check_provider(|| ComObject::new(Careless::default()).to_interface());
    assert!(!report.is_conformant());
    assert_eq!(
        report.broken_rule_ids(),
        [
            "provider.end-session.without-begin",
            "provider.begin-session.already-active",
            "provider.begin-session.invalid-role",
            "provider.begin-session.null-session-state",
            "provider.end-session.same-session-state",
            "provider.end-session.release-session-state",
            "provider.get-change-batch.outside-session",
            "provider.get-full-enumeration-change-batch.outside-session",
            "provider.process-change-batch.outside-session",
            "provider.process-full-enumeration-change-batch.outside-session",
            "provider.get-sync-batch-parameters.null-out-pointer",
            "provider.role.source-get-change-batch",
            "provider.role.source-get-full-enumeration-change-batch",
            "provider.role.destination-process-change-batch",
            "provider.role.destination-process-full-enumeration-change-batch",
        ],
        "{report}"
    );
    let text = report.to_string();
    assert!(
        text.contains(
            "BROKEN  provider.end-session.without-begin (NF:winsync.IKnowledgeSyncProvider.EndSession): EndSession without BeginSession returned S_OK"
        ),
        "{text}"
    );
    assert!(
        text.contains("still holds 1 reference(s) to the session state"),
        "{text}"
    );
}

/// Records the progress a session reports.
#[derive(winsync::SyncCallback, Default)]
struct Progress {
    events: Mutex<Vec<String>>,
}

impl SyncCallback for Progress {
    fn on_progress(
        &self,
        provider: SyncProviderRole,
        stage: SyncProgressStage,
        completed_work: u32,
        total_work: u32,
    ) -> Result<()> {
        self.events.lock().unwrap().push(format!(
            "{provider:?} {stage:?} {completed_work}/{total_work}"
        ));
        Ok(())
    }
}
impl SyncCallback2 for Progress {}

#[test]
fn the_driver_runs_the_documented_sequence_and_reports_progress() {
    let (source, destination) = (
        Replica::default().into_object(),
        Replica::default().into_object(),
    );
    let progress = Progress::default().into_object();
    let callback: ISyncCallback = progress.to_interface();
    let report = synchronize(
        &source.to_interface(),
        &destination.to_interface(),
        Some(&callback),
        &SyncOptions::default(),
    )
    .unwrap();
    assert_eq!(
        (report.batches, report.batch_size, report.changes_applied),
        (1, 50, 3)
    );
    assert_eq!(
        *source.provider().calls.lock().unwrap(),
        ["begin Source", "get_change_batch 50", "end"]
    );
    assert_eq!(
        *destination.provider().calls.lock().unwrap(),
        [
            "begin Destination",
            "get_sync_batch_parameters",
            "process_change_batch",
            "end"
        ]
    );
    // The stand-in batch gives no work estimate (E_NOTIMPL): no work of none. Change
    // application is the destination's to report; this one reports nothing.
    assert_eq!(
        *progress.callback().events.lock().unwrap(),
        ["Source ChangeEnumeration 0/0"]
    );
    assert_eq!(
        (source.session_role(), destination.session_role()),
        (None, None)
    );
}

#[test]
fn the_driver_ends_both_sessions_when_a_step_fails() {
    let source = Replica::default().into_object();
    let destination = Replica {
        fail_processing: true,
        ..Replica::default()
    }
    .into_object();
    let session = SessionState::new(None);
    let callback: ISyncCallback = Progress::default().into_callback();
    let error = synchronize_in(
        &session,
        &source.to_interface(),
        &destination.to_interface(),
        &callback,
        &SyncOptions::default(),
    )
    .unwrap_err();
    assert_eq!(error.code(), E_FAIL);
    assert_eq!(session.session_error(), Some(E_FAIL));
    assert_eq!(
        source.provider().calls.lock().unwrap().last().unwrap(),
        "end"
    );
    assert_eq!(
        destination.provider().calls.lock().unwrap().last().unwrap(),
        "end"
    );
    assert!(!session.in_session());
}

#[test]
fn the_driver_stops_a_session_the_host_canceled() {
    let (source, destination) = (
        Replica::default().into_object(),
        Replica::default().into_object(),
    );
    let session = SessionState::new(None);
    session.request_cancel();
    let callback: ISyncCallback = Progress::default().into_callback();
    let error = synchronize_in(
        &session,
        &source.to_interface(),
        &destination.to_interface(),
        &callback,
        &SyncOptions::default(),
    )
    .unwrap_err();
    assert_eq!(error.code(), winsync::framework::driver::E_CANCELLED);
    assert_eq!(
        *source.provider().calls.lock().unwrap(),
        ["begin Source", "end"]
    );
}
