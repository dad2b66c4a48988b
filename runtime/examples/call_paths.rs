//! Runs one measured call path N times, for `scripts/bench-callgrind.sh`, which counts the
//! instructions of N and of 2N runs under `valgrind --tool=callgrind` and reports the
//! difference per call: a figure that does not depend on the load of a shared machine.
//!
//! Usage: `call_paths PATH N`, PATH one of `begin-end-checked`, `begin-end-raw`,
//! `report-progress-checked`, `report-progress-raw`. The paths are the ones
//! `benches/sessions.rs` and `benches/report_progress.rs` time, with the same user work.
//!
//! `call_paths time N` times both pairs instead: 30 rounds, each running N calls of the
//! checked path then N of the raw one, and prints the fastest round of each (nanoseconds per
//! call): alternating in one process puts both sides under the same machine load.

use std::hint::black_box;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

use windows_core::{IUnknown, Interface, OutRef, PCWSTR, Ref, Result, implement};
use winsync::DerivedProvider;
use winsync::bindings::{
    CONFLICT_RESOLUTION_POLICY, E_NOTIMPL, ID_PARAMETERS, IKnowledgeSyncProvider,
    IKnowledgeSyncProvider_Impl, ISyncCallback, ISyncChangeBatch, ISyncFullEnumerationChangeBatch,
    ISyncKnowledge, ISyncMgrSyncCallback, ISyncProvider, ISyncProvider_Impl, ISyncSessionState,
    SPR_SOURCE, SYNC_PROVIDER_ROLE, SYNC_SESSION_STATISTICS, SYNCMGR_CANCEL_REQUEST,
    SYNCMGR_PS_UPDATING,
};
use winsync::framework::session_state::SessionState;
use winsync::skeletons::{
    ConflictResolutionPolicy, KnowledgeSyncProvider, SyncProvider, SyncProviderRole,
    SyncmgrProgressStatus,
};
use winsync::sync_center::double::SyncCenterDouble;
use winsync::sync_center::session::SyncSession;

#[derive(winsync::SyncProvider, Default)]
struct Checked {
    work: AtomicU64,
}

impl SyncProvider for Checked {
    fn get_id_parameters(&self, _: &mut ID_PARAMETERS) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
}

impl KnowledgeSyncProvider for Checked {
    fn begin_session(&self, _: SyncProviderRole, _: &ISyncSessionState) -> Result<()> {
        self.work.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
    fn get_sync_batch_parameters(&self, _: &mut u32) -> Result<ISyncKnowledge> {
        Err(E_NOTIMPL.into())
    }
    fn get_change_batch(&self, _: u32, _: &ISyncKnowledge) -> Result<(ISyncChangeBatch, IUnknown)> {
        Err(E_NOTIMPL.into())
    }
    fn process_change_batch(
        &self,
        _: ConflictResolutionPolicy,
        _: &ISyncChangeBatch,
        _: &IUnknown,
        _: &ISyncCallback,
        _: &mut SYNC_SESSION_STATISTICS,
    ) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn end_session(&self, _: &ISyncSessionState) -> Result<()> {
        self.work.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

#[implement(IKnowledgeSyncProvider, ISyncProvider)]
#[derive(Default)]
struct Raw {
    work: AtomicU64,
    state: AtomicPtr<core::ffi::c_void>,
}

impl Raw_Impl {
    fn hold(&self, state: *mut core::ffi::c_void) {
        let old = self.state.swap(state, Ordering::AcqRel);
        if !old.is_null() {
            // SAFETY: `old` came from `into_raw` and owns one reference.
            drop(unsafe { ISyncSessionState::from_raw(old) });
        }
    }
}

impl ISyncProvider_Impl for Raw_Impl {
    fn GetIdParameters(&self, _: *mut ID_PARAMETERS) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
}

impl IKnowledgeSyncProvider_Impl for Raw_Impl {
    fn BeginSession(&self, _: SYNC_PROVIDER_ROLE, state: Ref<ISyncSessionState>) -> Result<()> {
        self.hold(
            state
                .cloned()
                .map_or(std::ptr::null_mut(), Interface::into_raw),
        );
        self.work.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
    fn GetSyncBatchParameters(&self, _: OutRef<ISyncKnowledge>, _: *mut u32) -> Result<()> {
        Err(E_NOTIMPL.into())
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
        Err(E_NOTIMPL.into())
    }
    fn ProcessFullEnumerationChangeBatch(
        &self,
        _: CONFLICT_RESOLUTION_POLICY,
        _: Ref<ISyncFullEnumerationChangeBatch>,
        _: Ref<IUnknown>,
        _: Ref<ISyncCallback>,
        _: *mut SYNC_SESSION_STATISTICS,
    ) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn EndSession(&self, _: Ref<ISyncSessionState>) -> Result<()> {
        self.hold(std::ptr::null_mut());
        self.work.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

fn begin_end(provider: &IKnowledgeSyncProvider, state: &ISyncSessionState, n: u64) {
    for _ in 0..n {
        // SAFETY: live interfaces, called as a Sync Framework caller calls them.
        unsafe {
            let hr =
                (provider.vtable().BeginSession)(provider.as_raw(), SPR_SOURCE, state.as_raw());
            let _ = black_box(hr);
            let hr = (provider.vtable().EndSession)(provider.as_raw(), state.as_raw());
            let _ = black_box(hr);
        }
    }
}

fn report_checked(n: u64) {
    // The double keeps a transcript: one fresh double per 4,096 calls, as the bench.
    let mut left = n;
    while left > 0 {
        let double = SyncCenterDouble::new(&[ITEM]);
        let session = SyncSession::new(double.to_interface(), &[ITEM]);
        for _ in 0..left.min(4096) {
            let answer = session.report_progress(
                black_box(ITEM),
                black_box(TEXT),
                SyncmgrProgressStatus::Updating,
                1,
                4,
            );
            let _ = black_box(answer);
        }
        left -= left.min(4096);
    }
}

fn report_raw(n: u64) {
    let (id, text) = (wide(ITEM), wide(TEXT));
    let mut left = n;
    while left > 0 {
        let double = SyncCenterDouble::new(&[ITEM]);
        let callback: ISyncMgrSyncCallback = double.to_interface();
        for _ in 0..left.min(4096) {
            let mut cancel: SYNCMGR_CANCEL_REQUEST = -1;
            // SAFETY: live callback, NUL-terminated strings.
            let hr = unsafe {
                (callback.vtable().ReportProgress)(
                    callback.as_raw(),
                    PCWSTR(black_box(&id).as_ptr()),
                    PCWSTR(black_box(&text).as_ptr()),
                    SYNCMGR_PS_UPDATING,
                    1,
                    4,
                    &mut cancel,
                )
            };
            let _ = black_box((hr, cancel));
        }
        left -= left.min(4096);
    }
}

/// The fastest of 30 alternating rounds of `checked` and `raw`, in ns per call.
fn fastest(n: u64, checked: impl Fn(u64), raw: impl Fn(u64)) -> (f64, f64) {
    let time = |f: &dyn Fn(u64)| {
        let start = std::time::Instant::now();
        f(n);
        start.elapsed().as_nanos() as f64 / n as f64
    };
    let (mut best_checked, mut best_raw) = (f64::MAX, f64::MAX);
    for _ in 0..30 {
        best_checked = best_checked.min(time(&checked));
        best_raw = best_raw.min(time(&raw));
    }
    (best_checked, best_raw)
}

const ITEM: &str = "photo.raw";
const TEXT: &str = "Copying photo.raw";

fn wide(text: &str) -> Vec<u16> {
    text.encode_utf16().chain(std::iter::once(0)).collect()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_default();
    let n: u64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(0);
    let state: ISyncSessionState = SessionState::new(None).to_interface();
    match path.as_str() {
        "begin-end-checked" => begin_end(&Checked::default().into_provider(), &state, n),
        "begin-end-raw" => {
            let provider: IKnowledgeSyncProvider = Raw::default().into();
            begin_end(&provider, &state, n);
        }
        "report-progress-checked" => report_checked(n),
        "report-progress-raw" => report_raw(n),
        "time" => {
            let checked = Checked::default().into_provider();
            let raw: IKnowledgeSyncProvider = Raw::default().into();
            let (c, r) = fastest(
                n,
                |n| begin_end(&checked, &state, n),
                |n| begin_end(&raw, &state, n),
            );
            println!(
                "begin-end        checked {c:6.1} ns/call   raw {r:6.1}   ratio {:.2}",
                c / r
            );
            let (c, r) = fastest(n / 10, report_checked, report_raw);
            println!(
                "report-progress  checked {c:6.1} ns/call   raw {r:6.1}   ratio {:.2}",
                c / r
            );
        }
        other => {
            eprintln!("unknown path {other:?}");
            std::process::exit(2);
        }
    }
}
