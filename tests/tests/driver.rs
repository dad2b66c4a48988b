//! The session driver (`winsync::framework::driver`) between two providers built on the engine,
//! each behind a relay that records what passes through its `IKnowledgeSyncProvider` vtable
//! and can change what the source hands out: the flow of batches from source to destination,
//! batch sizes other than the one asked for, a source that never marks its last batch,
//! progress from the batches' work estimates, and the item ID format given to the session
//! state.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::undocumented_unsafe_blocks,
    non_snake_case
)]

mod replica_nodes;

use std::sync::{Arc, Mutex};

use replica_nodes::{Node, data, item, node};
use windows_core::{HRESULT, IUnknown, Interface, OutRef, Ref, Result, implement};
use winsync::bindings::{
    CONFLICT_RESOLUTION_POLICY, ID_PARAMETERS, IKnowledgeSyncProvider, IKnowledgeSyncProvider_Impl,
    ISyncCallback, ISyncChangeBatch, ISyncFullEnumerationChangeBatch, ISyncKnowledge,
    ISyncProvider_Impl, ISyncSessionState, S_OK, SYNC_PROVIDER_ROLE, SYNC_RANGE,
    SYNC_SESSION_STATISTICS,
};
use winsync::engine::IdFormats;
use winsync::framework::callback::CallbackObject;
use winsync::framework::driver::{SyncOptions, SyncReport, synchronize, synchronize_in};
use winsync::framework::session_state::{HRESULT_MORE_DATA, SessionState};
use winsync::hresults::{SYNC_E_CHANGE_BATCH_IS_READ_ONLY, SYNC_E_INVALID_OPERATION};
use winsync::skeletons::{SyncCallback, SyncCallback2, SyncProgressStage, SyncProviderRole};

/// What the relays saw, in order: a batch the source handed out and a batch the destination
/// was given, each by its COM identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Event {
    Got(usize),
    Processed(usize),
}

/// What the source relay answers for one `GetChangeBatch` call.
#[derive(Clone, Copy, Debug)]
enum Step {
    /// Asks the provider behind it for `scale` times the requested size; sets the work
    /// estimates when given (`SetWorkEstimateForBatch`, `SetRemainingWorkEstimateForSession`).
    Inner {
        scale: u32,
        work: Option<(u32, u32)>,
    },
    /// Hands out an empty batch of its own, not the last.
    Empty,
}

const PASS: Step = Step::Inner {
    scale: 1,
    work: None,
};

/// A provider in front of a node: forwards every call, records batches, and follows `steps`
/// for the source's `GetChangeBatch` calls (then [`PASS`]).
#[implement(IKnowledgeSyncProvider, winsync::bindings::ISyncProvider)]
struct Relay {
    inner: IKnowledgeSyncProvider,
    steps: Vec<Step>,
    log: Arc<Mutex<Vec<Event>>>,
    /// Every batch handed out or processed, kept alive (and so with distinct identities).
    batches: Mutex<Vec<ISyncChangeBatch>>,
    /// `dwChangesApplied` gained by each `ProcessChangeBatch`.
    applied: Mutex<Vec<u32>>,
    calls: Mutex<usize>,
    /// The session state, between BeginSession and EndSession, for `probe`.
    state: Mutex<Option<ISyncSessionState>>,
    /// When set, the first `GetChangeBatch` sets a recovery range of item IDs 0 to 9 on the
    /// session state and reads its end back, first into a 1-byte buffer: the answers and sizes.
    probe: Option<Mutex<Vec<(HRESULT, u32)>>>,
}

fn relay(node: &Node, steps: Vec<Step>, log: &Arc<Mutex<Vec<Event>>>) -> Relay {
    Relay {
        inner: node.to_interface(),
        steps,
        log: Arc::clone(log),
        batches: Mutex::new(Vec::new()),
        applied: Mutex::new(Vec::new()),
        calls: Mutex::new(0),
        state: Mutex::new(None),
        probe: None,
    }
}

fn identity(batch: &ISyncChangeBatch) -> usize {
    batch.cast::<IUnknown>().unwrap().as_raw() as usize
}

/// An empty batch of replica 1 (the source nodes' id), not the last, for `destination`.
fn empty_batch(destination: &ISyncKnowledge) -> Result<(ISyncChangeBatch, IUnknown)> {
    let formats = IdFormats::GUID_GID;
    let prerequisite = winsync::framework::knowledge::from_com(destination, Some(&formats))?;
    let made_with = winsync::engine::Knowledge::new(formats, &[1; 16]).unwrap();
    let mut batch =
        winsync::engine::batch::ChangeBatch::new(formats, &[1; 16], prerequisite, None).unwrap();
    batch.begin_ordered_group(None).unwrap();
    batch.end_ordered_group(None, &made_with).unwrap();
    let retriever = winsync::framework::replica::data::retriever(
        formats,
        Arc::new(|_: &[u8]| Err(windows_core::Error::from_hresult(winsync::bindings::E_FAIL))),
    );
    Ok((
        winsync::framework::batch::to_com(batch).cast()?,
        retriever.cast()?,
    ))
}

impl Relay_Impl {
    fn probe(&self, probe: &Mutex<Vec<(HRESULT, u32)>>) {
        let state = self.state.lock().unwrap().clone().unwrap();
        let (mut lower, mut upper) = (item(0), item(9));
        let range = SYNC_RANGE {
            pbClosedLowerBound: lower.as_mut_ptr(),
            pbClosedUpperBound: upper.as_mut_ptr(),
        };
        let set = unsafe { state.SetForgottenKnowledgeRecoveryRange(&range) };
        let mut buffer = [0u8; 24];
        let mut size = 1;
        let small =
            unsafe { state.GetForgottenKnowledgeRecoveryRangeEnd(buffer.as_mut_ptr(), &mut size) };
        let small_size = size;
        size = 24;
        let full =
            unsafe { state.GetForgottenKnowledgeRecoveryRangeEnd(buffer.as_mut_ptr(), &mut size) };
        assert!(full != S_OK || buffer == item(9));
        probe
            .lock()
            .unwrap()
            .extend([(set, 0), (small, small_size), (full, size)]);
    }
}

impl ISyncProvider_Impl for Relay_Impl {
    fn GetIdParameters(&self, parameters: *mut ID_PARAMETERS) -> Result<()> {
        unsafe { self.inner.GetIdParameters(parameters) }.ok()
    }
}

impl IKnowledgeSyncProvider_Impl for Relay_Impl {
    fn BeginSession(&self, role: SYNC_PROVIDER_ROLE, state: Ref<ISyncSessionState>) -> Result<()> {
        *self.state.lock().unwrap() = state.as_ref().cloned();
        unsafe { self.inner.BeginSession(role, state.ok()?) }.ok()
    }
    fn GetSyncBatchParameters(
        &self,
        knowledge: OutRef<ISyncKnowledge>,
        size: *mut u32,
    ) -> Result<()> {
        let mut inner = None;
        unsafe { self.inner.GetSyncBatchParameters(&mut inner, size) }.ok()?;
        knowledge.write(inner)
    }
    fn GetChangeBatch(
        &self,
        size: u32,
        knowledge: Ref<ISyncKnowledge>,
        batch_out: OutRef<ISyncChangeBatch>,
        retriever_out: OutRef<IUnknown>,
    ) -> Result<()> {
        let call = {
            let mut calls = self.calls.lock().unwrap();
            *calls += 1;
            *calls
        };
        if call == 1
            && let Some(probe) = &self.probe
        {
            self.probe(probe);
        }
        let (batch, retriever) = match self.steps.get(call - 1).copied().unwrap_or(PASS) {
            Step::Empty => empty_batch(knowledge.ok()?)?,
            Step::Inner { scale, work } => {
                let (mut batch, mut retriever) = (None, None);
                unsafe {
                    self.inner.GetChangeBatch(
                        size * scale,
                        knowledge.ok()?,
                        &mut batch,
                        &mut retriever,
                    )
                }
                .ok()?;
                let batch = batch.unwrap();
                if let Some((for_batch, remaining)) = work {
                    unsafe { batch.SetWorkEstimateForBatch(for_batch) }.ok()?;
                    unsafe { batch.SetRemainingWorkEstimateForSession(remaining) }.ok()?;
                }
                (batch, retriever.unwrap())
            }
        };
        self.log.lock().unwrap().push(Event::Got(identity(&batch)));
        self.batches.lock().unwrap().push(batch.clone());
        batch_out.write(Some(batch))?;
        retriever_out.write(Some(retriever))
    }
    fn GetFullEnumerationChangeBatch(
        &self,
        size: u32,
        lower: *const u8,
        knowledge: Ref<ISyncKnowledge>,
        batch: OutRef<ISyncFullEnumerationChangeBatch>,
        retriever: OutRef<IUnknown>,
    ) -> Result<()> {
        let (mut inner_batch, mut inner_retriever) = (None, None);
        unsafe {
            self.inner.GetFullEnumerationChangeBatch(
                size,
                lower,
                knowledge.ok()?,
                &mut inner_batch,
                &mut inner_retriever,
            )
        }
        .ok()?;
        batch.write(inner_batch)?;
        retriever.write(inner_retriever)
    }
    fn ProcessChangeBatch(
        &self,
        policy: CONFLICT_RESOLUTION_POLICY,
        batch: Ref<ISyncChangeBatch>,
        retriever: Ref<IUnknown>,
        callback: Ref<ISyncCallback>,
        statistics: *mut SYNC_SESSION_STATISTICS,
    ) -> Result<()> {
        let batch = batch.ok()?;
        self.log
            .lock()
            .unwrap()
            .push(Event::Processed(identity(batch)));
        self.batches.lock().unwrap().push(batch.clone());
        let before = unsafe { (*statistics).dwChangesApplied };
        unsafe {
            self.inner.ProcessChangeBatch(
                policy,
                batch,
                retriever.ok()?,
                callback.ok()?,
                statistics,
            )
        }
        .ok()?;
        let after = unsafe { (*statistics).dwChangesApplied };
        self.applied.lock().unwrap().push(after - before);
        Ok(())
    }
    fn ProcessFullEnumerationChangeBatch(
        &self,
        policy: CONFLICT_RESOLUTION_POLICY,
        batch: Ref<ISyncFullEnumerationChangeBatch>,
        retriever: Ref<IUnknown>,
        callback: Ref<ISyncCallback>,
        statistics: *mut SYNC_SESSION_STATISTICS,
    ) -> Result<()> {
        unsafe {
            self.inner.ProcessFullEnumerationChangeBatch(
                policy,
                batch.ok()?,
                retriever.ok()?,
                callback.ok()?,
                statistics,
            )
        }
        .ok()
    }
    fn EndSession(&self, state: Ref<ISyncSessionState>) -> Result<()> {
        self.state.lock().unwrap().take();
        unsafe { self.inner.EndSession(state.ok()?) }.ok()
    }
}

/// Records every `OnProgress`.
#[derive(Default)]
struct Progress(Mutex<Vec<(SyncProviderRole, SyncProgressStage, u32, u32)>>);

impl SyncCallback for Progress {
    fn on_progress(
        &self,
        provider: SyncProviderRole,
        stage: SyncProgressStage,
        completed_work: u32,
        total_work: u32,
    ) -> Result<()> {
        self.0
            .lock()
            .unwrap()
            .push((provider, stage, completed_work, total_work));
        Ok(())
    }
}

impl SyncCallback2 for Progress {}

/// Source node 1 with items `0..items`, destination node 2 (which asks for batches of 3).
fn nodes(items: u8) -> (Node, Node) {
    let (a, b) = (node(1), node(2));
    for n in 0..items {
        a.provider().write(&item(n), &[n]).unwrap();
    }
    (a, b)
}

fn run(
    source: Relay,
    destination: Relay,
    callback: Option<&ISyncCallback>,
    options: &SyncOptions,
) -> (
    Result<SyncReport>,
    windows_core::ComObject<Relay>,
    windows_core::ComObject<Relay>,
) {
    let (source, destination) = (
        windows_core::ComObject::new(source),
        windows_core::ComObject::new(destination),
    );
    let result = synchronize(
        &source.to_interface(),
        &destination.to_interface(),
        callback,
        options,
    );
    (result, source, destination)
}

/// `change-batch.flow`: each batch the source hands out goes, the same COM object, to the
/// destination before the next is asked for, and the destination applies it (reading a batch
/// to apply it makes it read-only).
#[test]
fn each_batch_goes_from_the_source_to_the_destination_in_turn() {
    let (a, b) = nodes(5);
    let log = Arc::new(Mutex::new(Vec::new()));
    let (report, source, _) = run(
        relay(&a, vec![], &log),
        relay(&b, vec![], &log),
        None,
        &SyncOptions::default(),
    );
    let report = report.unwrap();
    assert_eq!((report.batches, report.changes_applied), (2, 5));
    let log = log.lock().unwrap().clone();
    let handed: Vec<usize> = source
        .batches
        .lock()
        .unwrap()
        .iter()
        .map(identity)
        .collect();
    assert_eq!(
        log,
        [
            Event::Got(handed[0]),
            Event::Processed(handed[0]),
            Event::Got(handed[1]),
            Event::Processed(handed[1])
        ]
    );
    assert_ne!(handed[0], handed[1]);
    for batch in source.batches.lock().unwrap().iter() {
        assert_eq!(
            unsafe { batch.BeginUnorderedGroup() },
            SYNC_E_CHANGE_BATCH_IS_READ_ONLY,
            "the destination read it to apply it"
        );
    }
    assert_eq!(data(&b), data(&a));
}

/// `provider.get-change-batch.batch-size-is-a-request`: batches of three times the requested
/// size, then an empty batch that is not the last, then the rest: the session applies them
/// all.
#[test]
fn a_batch_may_hold_more_or_fewer_changes_than_asked_for() {
    let (a, b) = nodes(20);
    let log = Arc::new(Mutex::new(Vec::new()));
    let steps = vec![
        Step::Inner {
            scale: 3,
            work: None,
        },
        Step::Empty,
        Step::Inner {
            scale: 100,
            work: None,
        },
    ];
    let (report, _, destination) = run(
        relay(&a, steps, &log),
        relay(&b, vec![], &log),
        None,
        &SyncOptions::default(),
    );
    let report = report.unwrap();
    assert_eq!(report.batch_size, 3);
    assert_eq!((report.batches, report.changes_applied), (3, 20));
    assert_eq!(*destination.applied.lock().unwrap(), [9, 0, 11]);
    assert_eq!(data(&b), data(&a));
}

/// `change-batch-base.set-last-batch.source-must-call`: a source that never marks a last batch
/// fails the session after `max_batches` batches with SYNC_E_INVALID_OPERATION, and both
/// providers got EndSession.
#[test]
fn a_source_that_never_marks_its_last_batch_fails_the_session() {
    let (a, b) = nodes(2);
    let log = Arc::new(Mutex::new(Vec::new()));
    let options = SyncOptions {
        max_batches: 3,
        ..SyncOptions::default()
    };
    let (report, source, _) = run(
        relay(&a, vec![Step::Empty; 10], &log),
        relay(&b, vec![], &log),
        None,
        &options,
    );
    assert_eq!(report.unwrap_err().code(), SYNC_E_INVALID_OPERATION);
    assert_eq!(*source.calls.lock().unwrap(), 3);
    assert_eq!(
        log.lock().unwrap().len(),
        6,
        "three batches, each processed"
    );
    assert!(a.session_role().is_none() && b.session_role().is_none());
    assert!(
        source.state.lock().unwrap().is_none(),
        "EndSession reached the relay"
    );
}

/// `change-batch-base.set-work-estimate-for-batch.meaning`: the driver reports the batches'
/// work estimates in OnProgress: the work so far, out of that plus the remaining work the
/// last batch estimates.
#[test]
fn progress_comes_from_the_batches_work_estimates() {
    let (a, b) = nodes(5);
    let log = Arc::new(Mutex::new(Vec::new()));
    let steps = vec![
        Step::Inner {
            scale: 1,
            work: Some((5, 7)),
        },
        Step::Inner {
            scale: 1,
            work: Some((7, 0)),
        },
    ];
    let progress = CallbackObject::new(Progress::default());
    let callback: ISyncCallback = progress.to_interface();
    let (report, _, _) = run(
        relay(&a, steps, &log),
        relay(&b, vec![], &log),
        Some(&callback),
        &SyncOptions::default(),
    );
    assert_eq!(report.unwrap().batches, 2);
    use SyncProgressStage::{ChangeApplication, ChangeEnumeration};
    use SyncProviderRole::{Destination, Source};
    let events = progress.callback().0.lock().unwrap().clone();
    // The driver's own events: the source's enumeration, batch by batch.
    let source: Vec<_> = events.iter().filter(|e| e.0 == Source).copied().collect();
    assert_eq!(
        source,
        [
            (Source, ChangeEnumeration, 5, 12),
            (Source, ChangeEnumeration, 12, 12),
        ]
    );
    // Change application is the destination's to report (a replica provider: one event per
    // applied change, its work out of the estimates so far; the second batch estimates no
    // remaining work, so its changes report 0 of 0); the driver adds none of its own.
    let destination: Vec<_> = events
        .iter()
        .filter(|e| e.0 == Destination)
        .copied()
        .collect();
    assert!(
        destination
            .iter()
            .all(|&(_, stage, done, total)| stage == ChangeApplication && done <= total),
        "{destination:?}"
    );
    assert!(
        destination.contains(&(Destination, ChangeApplication, 0, 0)),
        "{destination:?}"
    );
    assert!(
        !destination.contains(&(Destination, ChangeApplication, 12, 12)),
        "the driver reports no destination progress: {destination:?}"
    );
}

/// The driver gives the session state the item ID format (`GetIdParameters`), so that a
/// provider can set a forgotten-knowledge recovery range and read it back with the `pcb`
/// convention during the session.
#[test]
fn the_session_state_gets_the_item_id_format() {
    let (a, b) = nodes(1);
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut source = relay(&a, vec![], &log);
    source.probe = Some(Mutex::new(Vec::new()));
    let source = windows_core::ComObject::new(source);
    let destination = windows_core::ComObject::new(relay(&b, vec![], &log));
    let session = SessionState::new(None);
    let callback: ISyncCallback = CallbackObject::new(Progress::default()).to_interface();
    synchronize_in(
        &session,
        &source.to_interface(),
        &destination.to_interface(),
        &callback,
        &SyncOptions::default(),
    )
    .unwrap();
    assert_eq!(session.item_id_format(), Some(IdFormats::GUID_GID.item));
    assert_eq!(
        *source.probe.as_ref().unwrap().lock().unwrap(),
        [(S_OK, 0), (HRESULT_MORE_DATA, 24), (S_OK, 24)]
    );
    assert_eq!(
        session.recovery_range(),
        Some((item(0).to_vec(), item(9).to_vec()))
    );
}
