//! `#[derive(SyncProvider)]`: the session contract enforced through real vtable calls, before
//! the provider's code runs.
// Test helpers fail loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use windows_core::{HRESULT, IUnknown, Interface, Result, implement};
use winsync::bindings::*;
use winsync::framework::conformance::refcount;
use winsync::framework::provider::DerivedProvider;
use winsync::hresults::SYNC_E_INVALID_OPERATION;
use winsync::skeletons::*;

/// What the provider's own code saw, and how it should behave.
#[derive(Default)]
struct Log {
    calls: Mutex<Vec<String>>,
    fail_end: bool,
    panic_in: Option<&'static str>,
}

#[derive(winsync::SyncProvider, Default)]
struct TestProvider {
    log: Log,
}

impl TestProvider {
    fn record(&self, call: &str) -> Result<()> {
        if self.log.panic_in == Some(call) {
            panic!("a bug in {call}");
        }
        self.log.calls.lock().unwrap().push(call.to_string());
        Ok(())
    }
    fn calls(&self) -> Vec<String> {
        self.log.calls.lock().unwrap().clone()
    }
}

impl SyncProvider for TestProvider {
    fn get_id_parameters(&self, _id_parameters: &mut ID_PARAMETERS) -> Result<()> {
        self.record("get_id_parameters")
    }
}

impl KnowledgeSyncProvider for TestProvider {
    fn begin_session(
        &self,
        role: SyncProviderRole,
        _session_state: &ISyncSessionState,
    ) -> Result<()> {
        self.record(&format!("begin_session {role:?}"))
    }
    fn get_sync_batch_parameters(&self, _requested_batch_size: &mut u32) -> Result<ISyncKnowledge> {
        self.record("get_sync_batch_parameters")?;
        Err(E_NOTIMPL.into())
    }
    fn get_change_batch(
        &self,
        _batch_size: u32,
        _sync_knowledge: &ISyncKnowledge,
    ) -> Result<(ISyncChangeBatch, IUnknown)> {
        self.record("get_change_batch")?;
        Err(E_NOTIMPL.into())
    }
    fn get_full_enumeration_change_batch(
        &self,
        _batch_size: u32,
        _lower_enumeration_bound: *const u8,
        _sync_knowledge: &ISyncKnowledge,
    ) -> Result<(ISyncFullEnumerationChangeBatch, IUnknown)> {
        self.record("get_full_enumeration_change_batch")?;
        Err(E_NOTIMPL.into())
    }
    fn process_change_batch(
        &self,
        _resolution_policy: ConflictResolutionPolicy,
        _source_change_batch: &ISyncChangeBatch,
        _unk_data_retriever: &IUnknown,
        _callback: &ISyncCallback,
        _sync_session_statistics: &mut SYNC_SESSION_STATISTICS,
    ) -> Result<()> {
        self.record("process_change_batch")
    }
    fn process_full_enumeration_change_batch(
        &self,
        _resolution_policy: ConflictResolutionPolicy,
        _source_change_batch: &ISyncFullEnumerationChangeBatch,
        _unk_data_retriever: &IUnknown,
        _callback: &ISyncCallback,
        _sync_session_statistics: &mut SYNC_SESSION_STATISTICS,
    ) -> Result<()> {
        self.record("process_full_enumeration_change_batch")
    }
    fn end_session(&self, _session_state: &ISyncSessionState) -> Result<()> {
        self.record("end_session")?;
        if self.log.fail_end {
            Err(E_FAIL.into())
        } else {
            Ok(())
        }
    }
}

/// A session state double: records SetProviderWithError; everything else is E_NOTIMPL.
#[implement(ISyncSessionState, ISyncSessionState2)]
#[derive(Default)]
struct StateDouble {
    provider_with_error: Mutex<Vec<bool>>,
}

impl ISyncSessionState_Impl for StateDouble_Impl {
    fn IsCanceled(&self, _: *mut windows_core::BOOL) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn GetInfoForChangeApplication(&self, _: *mut u8, _: *mut u32) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn LoadInfoFromChangeApplication(&self, _: *const u8, _: u32) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn GetForgottenKnowledgeRecoveryRangeStart(&self, _: *mut u8, _: *mut u32) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn GetForgottenKnowledgeRecoveryRangeEnd(&self, _: *mut u8, _: *mut u32) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn SetForgottenKnowledgeRecoveryRange(&self, _: *const SYNC_RANGE) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn OnProgress(
        &self,
        _: SYNC_PROVIDER_ROLE,
        _: SYNC_PROGRESS_STAGE,
        _: u32,
        _: u32,
    ) -> Result<()> {
        Ok(())
    }
}

impl ISyncSessionState2_Impl for StateDouble_Impl {
    fn SetProviderWithError(&self, fself: windows_core::BOOL) -> Result<()> {
        self.provider_with_error
            .lock()
            .unwrap()
            .push(fself.as_bool());
        Ok(())
    }
    fn GetSessionErrorStatus(&self, _: *mut HRESULT) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
}

fn new_state() -> (ISyncSessionState, windows_core::ComObject<StateDouble>) {
    let object = windows_core::ComObject::new(StateDouble::default());
    (object.to_interface(), object)
}

fn begin(
    provider: &IKnowledgeSyncProvider,
    role: SYNC_PROVIDER_ROLE,
    state: &ISyncSessionState,
) -> HRESULT {
    unsafe { (provider.vtable().BeginSession)(provider.as_raw(), role, state.as_raw()) }
}

fn end(provider: &IKnowledgeSyncProvider, state: &ISyncSessionState) -> HRESULT {
    unsafe { (provider.vtable().EndSession)(provider.as_raw(), state.as_raw()) }
}

#[test]
fn one_session_at_a_time() {
    let object = TestProvider::default().into_object();
    let provider: IKnowledgeSyncProvider = object.to_interface();
    let (first, _) = new_state();
    let (second, _) = new_state();
    assert_eq!(begin(&provider, SPR_SOURCE, &first), S_OK);
    assert_eq!(
        begin(&provider, SPR_DESTINATION, &second),
        SYNC_E_INVALID_OPERATION
    );
    assert_eq!(
        begin(&provider, SPR_SOURCE, &first),
        SYNC_E_INVALID_OPERATION
    );
    assert_eq!(object.session_role(), Some(SyncProviderRole::Source));
    assert_eq!(end(&provider, &first), S_OK);
    assert_eq!(object.session_role(), None);
    assert_eq!(
        object.provider().calls(),
        ["begin_session Source", "end_session"],
        "user code saw only the valid calls"
    );
}

#[test]
fn arguments_are_checked_before_the_session() {
    let object = TestProvider::default().into_object();
    let provider: IKnowledgeSyncProvider = object.to_interface();
    let (state, _) = new_state();
    assert_eq!(begin(&provider, 5, &state), E_INVALIDARG);
    assert_eq!(
        unsafe {
            (provider.vtable().BeginSession)(provider.as_raw(), SPR_SOURCE, std::ptr::null_mut())
        },
        E_POINTER
    );
    assert_eq!(
        object.session_role(),
        None,
        "a rejected BeginSession opens no session"
    );
    assert!(object.provider().calls().is_empty());
}

#[test]
fn end_session_needs_the_session_begin_session_opened() {
    let object = TestProvider::default().into_object();
    let provider: IKnowledgeSyncProvider = object.to_interface();
    let (state, _) = new_state();
    let (other, _) = new_state();
    // NF:winsync.IKnowledgeSyncProvider.EndSession: no prior BeginSession.
    let error = unsafe { provider.EndSession(&state) }.ok().unwrap_err();
    assert_eq!(error.code(), SYNC_E_INVALID_OPERATION);
    assert_eq!(begin(&provider, SPR_DESTINATION, &state), S_OK);
    // Another session state: refused, and the session stays open.
    assert_eq!(end(&provider, &other), SYNC_E_INVALID_OPERATION);
    assert_eq!(object.session_role(), Some(SyncProviderRole::Destination));
    // The same object through another interface pointer is the same session state.
    let same: ISyncSessionState = state.cast::<ISyncSessionState2>().unwrap().cast().unwrap();
    assert_eq!(end(&provider, &same), S_OK);
    assert_eq!(
        object.provider().calls(),
        ["begin_session Destination", "end_session"]
    );
}

#[test]
fn end_session_releases_the_session_state_even_when_the_provider_fails_or_panics() {
    for (fail_end, panic_in, expected) in [
        (false, None, S_OK),
        (true, None, E_FAIL),
        (false, Some("end_session"), E_UNEXPECTED),
    ] {
        let provider: IKnowledgeSyncProvider = TestProvider {
            log: Log {
                fail_end,
                panic_in,
                ..Log::default()
            },
        }
        .into();
        let (state, double) = new_state();
        let baseline = refcount(&state);
        assert_eq!(begin(&provider, SPR_SOURCE, &state), S_OK);
        assert!(
            refcount(&state) > baseline,
            "the provider holds the session state during the session"
        );
        assert_eq!(end(&provider, &state), expected);
        assert_eq!(
            refcount(&state),
            baseline,
            "every reference the provider held is released"
        );
        let recorded = double.provider_with_error.lock().unwrap().clone();
        assert_eq!(
            recorded,
            if panic_in.is_some() {
                vec![true]
            } else {
                vec![]
            },
            "a panic is recorded on the session"
        );
    }
}

#[test]
fn a_failed_begin_session_leaves_no_session_and_no_reference() {
    let provider: IKnowledgeSyncProvider = TestProvider {
        log: Log {
            panic_in: Some("begin_session Source"),
            ..Log::default()
        },
    }
    .into();
    let (state, double) = new_state();
    let baseline = refcount(&state);
    assert_eq!(begin(&provider, SPR_SOURCE, &state), E_UNEXPECTED);
    assert_eq!(refcount(&state), baseline);
    assert_eq!(*double.provider_with_error.lock().unwrap(), [true]);
    assert_eq!(end(&provider, &state), SYNC_E_INVALID_OPERATION);
}

#[test]
fn session_methods_need_a_session_and_the_right_role() {
    let object = TestProvider::default().into_object();
    let provider: IKnowledgeSyncProvider = object.to_interface();
    // Any live COM object passes the adapters' null checks; the provider never calls it.
    let (any, _) = new_state();
    let any = any.as_raw();
    let change_batch = |p: &IKnowledgeSyncProvider| {
        let (mut batch, mut retriever) = (std::ptr::null_mut(), std::ptr::null_mut());
        unsafe { (p.vtable().GetChangeBatch)(p.as_raw(), 10, any, &mut batch, &mut retriever) }
    };
    let process = |p: &IKnowledgeSyncProvider| {
        let mut statistics = SYNC_SESSION_STATISTICS::default();
        unsafe {
            (p.vtable().ProcessChangeBatch)(p.as_raw(), CRP_NONE, any, any, any, &mut statistics)
        }
    };
    // Outside a session.
    assert_eq!(change_batch(&provider), SYNC_E_INVALID_OPERATION);
    assert_eq!(process(&provider), SYNC_E_INVALID_OPERATION);
    // GetSyncBatchParameters and GetIdParameters are not session-bound.
    let (mut out, mut size) = (std::ptr::null_mut(), 0u32);
    assert_eq!(
        unsafe {
            (provider.vtable().GetSyncBatchParameters)(provider.as_raw(), &mut out, &mut size)
        },
        E_NOTIMPL
    );
    let mut parameters = ID_PARAMETERS::default();
    unsafe {
        provider
            .cast::<ISyncProvider>()
            .unwrap()
            .GetIdParameters(&mut parameters)
    }
    .unwrap();
    // As the source: change batches yes, processing no.
    let (state, _) = new_state();
    assert_eq!(begin(&provider, SPR_SOURCE, &state), S_OK);
    assert_eq!(change_batch(&provider), E_NOTIMPL);
    assert_eq!(process(&provider), SYNC_E_INVALID_OPERATION);
    assert_eq!(end(&provider, &state), S_OK);
    // As the destination: the other way round.
    assert_eq!(begin(&provider, SPR_DESTINATION, &state), S_OK);
    assert_eq!(change_batch(&provider), SYNC_E_INVALID_OPERATION);
    assert_eq!(process(&provider), S_OK);
    assert_eq!(end(&provider, &state), S_OK);
    assert_eq!(
        object.provider().calls(),
        [
            "get_sync_batch_parameters",
            "get_id_parameters",
            "begin_session Source",
            "get_change_batch",
            "end_session",
            "begin_session Destination",
            "process_change_batch",
            "end_session"
        ]
    );
}

#[test]
fn null_out_pointers_are_e_pointer_and_never_written() {
    let object = TestProvider::default().into_object();
    let provider: IKnowledgeSyncProvider = object.to_interface();
    let (state, _) = new_state();
    assert_eq!(begin(&provider, SPR_SOURCE, &state), S_OK);
    let knowledge = state.as_raw();
    let mut retriever = std::ptr::null_mut();
    let hr = unsafe {
        (provider.vtable().GetChangeBatch)(
            provider.as_raw(),
            1,
            knowledge,
            std::ptr::null_mut(),
            &mut retriever,
        )
    };
    assert_eq!(hr, E_POINTER);
    assert!(retriever.is_null());
    let mut size = 7u32;
    let hr = unsafe {
        (provider.vtable().GetSyncBatchParameters)(
            provider.as_raw(),
            std::ptr::null_mut(),
            &mut size,
        )
    };
    assert_eq!(hr, E_POINTER);
    assert_eq!(size, 7);
    assert_eq!(object.provider().calls(), ["begin_session Source"]);
}

/// An interface pointer moved to another thread: the provider object is free-threaded (its
/// session is behind a mutex), which is what this test exercises.
#[derive(Clone, Copy)]
struct Shared(*mut core::ffi::c_void);
unsafe impl Send for Shared {}

impl Shared {
    fn pointer(&self) -> *mut core::ffi::c_void {
        self.0
    }
}

#[test]
fn racing_threads_see_at_most_one_session_and_balanced_references() {
    const THREADS: usize = 4;
    const ROUNDS: usize = 400;
    let object = TestProvider::default().into_object();
    let provider: IKnowledgeSyncProvider = object.to_interface();
    let states: Vec<_> = (0..THREADS).map(|_| new_state()).collect();
    let baselines: Vec<u32> = states.iter().map(|(s, _)| refcount(s)).collect();
    let (begun, ended, refused) = (
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
    );
    std::thread::scope(|scope| {
        for (state, _) in &states {
            let (provider, state) = (Shared(provider.as_raw()), Shared(state.as_raw()));
            let (begun, ended, refused) = (&begun, &ended, &refused);
            scope.spawn(move || {
                let (provider, state) = (provider.pointer(), state.pointer());
                let provider =
                    unsafe { IKnowledgeSyncProvider::from_raw_borrowed(&provider) }.unwrap();
                let state = unsafe { ISyncSessionState::from_raw_borrowed(&state) }.unwrap();
                for round in 0..ROUNDS {
                    let role = if round % 2 == 0 {
                        SPR_SOURCE
                    } else {
                        SPR_DESTINATION
                    };
                    match begin(provider, role, state) {
                        hr if hr == S_OK => {
                            begun.fetch_add(1, Ordering::SeqCst);
                            assert_eq!(
                                end(provider, state),
                                S_OK,
                                "the session this thread opened closes"
                            );
                            ended.fetch_add(1, Ordering::SeqCst);
                        }
                        hr => {
                            assert_eq!(hr, SYNC_E_INVALID_OPERATION);
                            refused.fetch_add(1, Ordering::SeqCst);
                            // Another thread's session, or none: never closable from here.
                            assert_eq!(end(provider, state), SYNC_E_INVALID_OPERATION);
                        }
                    }
                }
            });
        }
    });
    assert_eq!(begun.load(Ordering::SeqCst), ended.load(Ordering::SeqCst));
    assert_eq!(
        begun.load(Ordering::SeqCst) + refused.load(Ordering::SeqCst),
        THREADS * ROUNDS
    );
    assert!(begun.load(Ordering::SeqCst) > 0);
    assert_eq!(object.session_role(), None);
    for ((state, _), baseline) in states.iter().zip(baselines) {
        assert_eq!(refcount(state), baseline);
    }
    let calls = object.provider().calls();
    assert_eq!(
        calls
            .iter()
            .filter(|c| c.starts_with("begin_session"))
            .count(),
        begun.load(Ordering::SeqCst)
    );
}
