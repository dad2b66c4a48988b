//! Per-call cost of the checked objects behind `#[derive(SyncProvider)]` and
//! `#[derive(SyncCallback)]` against hand-written raw `#[implement]` objects doing the same
//! user work, every call made through the COM vtable as a Sync Framework caller makes it.
//!
//! - `BeginSession+EndSession`: one begin/end pair on the same session state object. The user
//!   work is one `AtomicU64` increment in each method. The checked side adds the ABI adapters
//!   (role and null checks, panic containment) and the session checks of
//!   `winsync::framework::provider` (the lock-free session state machine, COM identity of the
//!   session state, reference held for the session). The raw side only holds a reference to the session state from Begin to
//!   End, as any correct provider must.
//! - `OnProgress`: one call. The user work is adding the completed work to an `AtomicU64`.
//!   The checked side adds the enum checks and panic containment of the adapter.
//!
//! Both groups sample in pairs ([`paired`]): each sample runs both sides back to back, so
//! that the load of a shared machine falls on both alike.
//!
//! Run with `cargo bench -p winsync --bench sessions`; results in `BENCHMARKS.md`.

use std::hint::black_box;
use std::ptr::null_mut;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use windows_core::{IUnknown, Interface, OutRef, Ref, Result, implement};
use winsync::bindings::{
    CONFLICT_RESOLUTION_POLICY, E_NOTIMPL, IChangeConflict, ID_PARAMETERS, IKnowledgeSyncProvider,
    IKnowledgeSyncProvider_Impl, IRecoverableError, ISyncCallback, ISyncCallback_Impl, ISyncChange,
    ISyncChangeBatch, ISyncFullEnumerationChangeBatch, ISyncKnowledge, ISyncProvider,
    ISyncProvider_Impl, ISyncSessionState, SPR_SOURCE, SPS_CHANGE_APPLICATION,
    SYNC_FULL_ENUMERATION_ACTION, SYNC_PROGRESS_STAGE, SYNC_PROVIDER_ROLE, SYNC_SESSION_STATISTICS,
};
use winsync::framework::session_state::SessionState;
use winsync::skeletons::{
    ConflictResolutionPolicy, KnowledgeSyncProvider, SyncCallback, SyncCallback2,
    SyncProgressStage, SyncProvider, SyncProviderRole,
};

/// The provider made with the derive: counts begun and ended sessions; everything else is
/// `E_NOTIMPL`.
#[derive(winsync::SyncProvider, Default)]
struct CheckedProvider {
    /// Sessions begun plus sessions ended.
    work: AtomicU64,
}

impl SyncProvider for CheckedProvider {
    fn get_id_parameters(&self, _id_parameters: &mut ID_PARAMETERS) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
}

impl KnowledgeSyncProvider for CheckedProvider {
    fn begin_session(
        &self,
        _role: SyncProviderRole,
        _session_state: &ISyncSessionState,
    ) -> Result<()> {
        self.work.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn get_sync_batch_parameters(&self, _requested_batch_size: &mut u32) -> Result<ISyncKnowledge> {
        Err(E_NOTIMPL.into())
    }

    fn get_change_batch(
        &self,
        _batch_size: u32,
        _sync_knowledge: &ISyncKnowledge,
    ) -> Result<(ISyncChangeBatch, IUnknown)> {
        Err(E_NOTIMPL.into())
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
        _sync_session_statistics: &mut SYNC_SESSION_STATISTICS,
    ) -> Result<()> {
        Err(E_NOTIMPL.into())
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
        self.work.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

/// The hand-written provider: the same user work, no checks and no adapters. It holds a
/// reference to the session state from BeginSession to EndSession in an atomic pointer, the
/// cheapest correct way to do so.
#[implement(IKnowledgeSyncProvider, ISyncProvider)]
#[derive(Default)]
struct RawProvider {
    /// Sessions begun plus sessions ended.
    work: AtomicU64,
    /// The session state's interface pointer, owning one reference, or null.
    state: AtomicPtr<core::ffi::c_void>,
}

impl RawProvider_Impl {
    /// Stores `state` (an owned reference, or null) and releases the one stored before.
    fn hold(&self, state: *mut core::ffi::c_void) {
        let old = self.state.swap(state, Ordering::AcqRel);
        if !old.is_null() {
            // SAFETY: `old` came from `into_raw` in BeginSession and owns one reference.
            drop(unsafe { ISyncSessionState::from_raw(old) });
        }
    }
}

impl Drop for RawProvider {
    fn drop(&mut self) {
        let state = *self.state.get_mut();
        if !state.is_null() {
            // SAFETY: as in `hold`.
            drop(unsafe { ISyncSessionState::from_raw(state) });
        }
    }
}

impl ISyncProvider_Impl for RawProvider_Impl {
    fn GetIdParameters(&self, _pidparameters: *mut ID_PARAMETERS) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
}

impl IKnowledgeSyncProvider_Impl for RawProvider_Impl {
    fn BeginSession(
        &self,
        _role: SYNC_PROVIDER_ROLE,
        psessionstate: Ref<ISyncSessionState>,
    ) -> Result<()> {
        self.hold(
            psessionstate
                .cloned()
                .map_or(null_mut(), Interface::into_raw),
        );
        self.work.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn GetSyncBatchParameters(
        &self,
        _ppsyncknowledge: OutRef<ISyncKnowledge>,
        _pdwrequestedbatchsize: *mut u32,
    ) -> Result<()> {
        Err(E_NOTIMPL.into())
    }

    fn GetChangeBatch(
        &self,
        _dwbatchsize: u32,
        _psyncknowledge: Ref<ISyncKnowledge>,
        _ppsyncchangebatch: OutRef<ISyncChangeBatch>,
        _ppunkdataretriever: OutRef<IUnknown>,
    ) -> Result<()> {
        Err(E_NOTIMPL.into())
    }

    fn GetFullEnumerationChangeBatch(
        &self,
        _dwbatchsize: u32,
        _pblowerenumerationbound: *const u8,
        _psyncknowledge: Ref<ISyncKnowledge>,
        _ppsyncchangebatch: OutRef<ISyncFullEnumerationChangeBatch>,
        _ppunkdataretriever: OutRef<IUnknown>,
    ) -> Result<()> {
        Err(E_NOTIMPL.into())
    }

    fn ProcessChangeBatch(
        &self,
        _resolutionpolicy: CONFLICT_RESOLUTION_POLICY,
        _psourcechangebatch: Ref<ISyncChangeBatch>,
        _punkdataretriever: Ref<IUnknown>,
        _pcallback: Ref<ISyncCallback>,
        _psyncsessionstatistics: *mut SYNC_SESSION_STATISTICS,
    ) -> Result<()> {
        Err(E_NOTIMPL.into())
    }

    fn ProcessFullEnumerationChangeBatch(
        &self,
        _resolutionpolicy: CONFLICT_RESOLUTION_POLICY,
        _psourcechangebatch: Ref<ISyncFullEnumerationChangeBatch>,
        _punkdataretriever: Ref<IUnknown>,
        _pcallback: Ref<ISyncCallback>,
        _psyncsessionstatistics: *mut SYNC_SESSION_STATISTICS,
    ) -> Result<()> {
        Err(E_NOTIMPL.into())
    }

    fn EndSession(&self, _psessionstate: Ref<ISyncSessionState>) -> Result<()> {
        self.hold(null_mut());
        self.work.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

/// The callback made with the derive: adds the completed work of every `OnProgress`.
#[derive(winsync::SyncCallback, Default)]
struct CheckedCallback {
    /// The sum of `completed_work`.
    work: AtomicU64,
}

impl SyncCallback for CheckedCallback {
    fn on_progress(
        &self,
        _provider: SyncProviderRole,
        _stage: SyncProgressStage,
        completed_work: u32,
        _total_work: u32,
    ) -> Result<()> {
        self.work
            .fetch_add(u64::from(completed_work), Ordering::Relaxed);
        Ok(())
    }
}

impl SyncCallback2 for CheckedCallback {}

/// The hand-written callback: the same user work, no checks and no adapters.
#[implement(ISyncCallback)]
#[derive(Default)]
struct RawCallback {
    /// The sum of `dwCompletedWork`.
    work: AtomicU64,
}

impl ISyncCallback_Impl for RawCallback_Impl {
    fn OnProgress(
        &self,
        _provider: SYNC_PROVIDER_ROLE,
        _syncstage: SYNC_PROGRESS_STAGE,
        dwcompletedwork: u32,
        _dwtotalwork: u32,
    ) -> Result<()> {
        self.work
            .fetch_add(u64::from(dwcompletedwork), Ordering::Relaxed);
        Ok(())
    }

    fn OnChange(&self, _psyncchange: Ref<ISyncChange>) -> Result<()> {
        Ok(())
    }

    fn OnConflict(&self, _pconflict: Ref<IChangeConflict>) -> Result<()> {
        Ok(())
    }

    fn OnFullEnumerationNeeded(
        &self,
        _pfullenumerationaction: *mut SYNC_FULL_ENUMERATION_ACTION,
    ) -> Result<()> {
        Err(E_NOTIMPL.into())
    }

    fn OnRecoverableError(&self, _precoverableerror: Ref<IRecoverableError>) -> Result<()> {
        Ok(())
    }
}

/// One BeginSession and one EndSession through the vtable; both HRESULTs are returned.
fn session(
    provider: &IKnowledgeSyncProvider,
    state: &ISyncSessionState,
) -> (windows_core::HRESULT, windows_core::HRESULT) {
    // SAFETY: both pointers are live interfaces for the duration of the calls.
    unsafe {
        let begin = (provider.vtable().BeginSession)(provider.as_raw(), SPR_SOURCE, state.as_raw());
        let end = (provider.vtable().EndSession)(provider.as_raw(), state.as_raw());
        (begin, end)
    }
}

/// Paired sampling: every sample of either side runs `iterations` calls of the checked side
/// and as many of the raw one, back to back in alternating order, and times both; the checked
/// benchmark reports the first time, the raw one the second. Both sides so run under the same
/// load of a shared machine, sample by sample, and neither pays for being measured first.
fn paired(iterations: u64, checked: impl Fn(u64), raw: impl Fn(u64)) -> (Duration, Duration) {
    static ORDER: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    let time = |f: &dyn Fn(u64)| {
        let start = std::time::Instant::now();
        f(iterations);
        start.elapsed()
    };
    if ORDER.fetch_xor(true, Ordering::Relaxed) {
        let c = time(&checked);
        (c, time(&raw))
    } else {
        let r = time(&raw);
        (time(&checked), r)
    }
}

/// `BeginSession+EndSession`, checked and raw, on one session state object.
fn sessions(c: &mut Criterion) {
    let state_object = SessionState::new(None);
    let state: ISyncSessionState = state_object.to_interface();
    let checked: IKnowledgeSyncProvider = CheckedProvider::default().into();
    let raw: IKnowledgeSyncProvider = RawProvider::default().into();
    for provider in [&checked, &raw] {
        let (begin, end) = session(provider, &state);
        assert!(begin.is_ok() && end.is_ok(), "{begin:?} {end:?}");
    }

    let mut group = c.benchmark_group("BeginSession+EndSession");
    let run = |provider: &IKnowledgeSyncProvider, iterations: u64| {
        for _ in 0..iterations {
            let _ = black_box(session(black_box(provider), black_box(&state)));
        }
    };
    group.bench_function("checked (derive)", |b| {
        b.iter_custom(|iterations| paired(iterations, |n| run(&checked, n), |n| run(&raw, n)).0);
    });
    group.bench_function("raw (#[implement])", |b| {
        b.iter_custom(|iterations| paired(iterations, |n| run(&checked, n), |n| run(&raw, n)).1);
    });
    group.finish();
}

/// One `OnProgress` through the vtable.
fn progress(callback: &ISyncCallback, completed_work: u32) -> windows_core::HRESULT {
    // SAFETY: `callback` is a live interface.
    unsafe {
        (callback.vtable().OnProgress)(
            callback.as_raw(),
            SPR_SOURCE,
            SPS_CHANGE_APPLICATION,
            completed_work,
            100,
        )
    }
}

/// `OnProgress`, checked and raw.
fn on_progress(c: &mut Criterion) {
    let checked: ISyncCallback = CheckedCallback::default().into();
    let raw: ISyncCallback = RawCallback::default().into();
    for callback in [&checked, &raw] {
        let result = progress(callback, 1);
        assert!(result.is_ok(), "{result:?}");
    }

    let mut group = c.benchmark_group("OnProgress");
    let run = |callback: &ISyncCallback, iterations: u64| {
        for _ in 0..iterations {
            let _ = black_box(progress(black_box(callback), black_box(1)));
        }
    };
    group.bench_function("checked (derive)", |b| {
        b.iter_custom(|iterations| paired(iterations, |n| run(&checked, n), |n| run(&raw, n)).0);
    });
    group.bench_function("raw (#[implement])", |b| {
        b.iter_custom(|iterations| paired(iterations, |n| run(&checked, n), |n| run(&raw, n)).1);
    });
    group.finish();
}

/// The pieces the checked BeginSession+EndSession pair adds, each measured alone, to read the
/// difference above: the COM identity of the session state (`QueryInterface` for `IUnknown`
/// and the `Release` of its result, done once at Begin and once at End), an uncontended
/// mutex lock and unlock (once each), and an `AddRef`+`Release` pair (the raw side does one
/// too).
fn parts(c: &mut Criterion) {
    let state_object = SessionState::new(None);
    let state: ISyncSessionState = state_object.to_interface();
    let mutex = std::sync::Mutex::new(Some(0_usize));

    let mut group = c.benchmark_group("parts");
    group.bench_function("identity: QueryInterface(IUnknown)+Release", |b| {
        b.iter(|| {
            black_box(
                black_box(&state)
                    .cast::<IUnknown>()
                    .map(|unknown| unknown.as_raw() as usize),
            )
        });
    });
    group.bench_function("Mutex lock+unlock", |b| {
        b.iter(|| {
            let guard = black_box(&mutex)
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            black_box(guard.is_some())
        });
    });
    group.bench_function("AddRef+Release", |b| {
        b.iter(|| drop(black_box(black_box(&state).clone())));
    });
    group.finish();
}

/// Short runs: seven benchmarks of 1 s warm-up and 5 s measurement each.
fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
}

criterion_group! {
    name = benches;
    config = config();
    targets = sessions, on_progress, parts
}
criterion_main!(benches);
