//! Per-call cost of `ISyncMgrSyncCallback::ReportProgress` through the checked
//! `winsync::sync_center::session::SyncSession` against raw vtable calls, both on the same
//! kind of Sync Center: `winsync::sync_center::double::SyncCenterDouble`.
//!
//! - checked: `session.report_progress("item", "Copying item", Updating, 1, 4)`: the item id
//!   and the text are passed as `&str`, checked and converted to NUL-terminated UTF-16 on every
//!   call, the step and final-status rules checked, the item's state updated, and the cancel
//!   request converted to `SyncmgrCancelRequest`;
//! - raw: `(callback.vtable().ReportProgress)(callback.as_raw(), id, text, SYNCMGR_PS_UPDATING,
//!   1, 4, &mut cancel)` with the same strings converted to UTF-16 once, before the loop.
//!
//! The item is known to the double, the status is always UPDATING (never final), and no
//! cancellation is scripted, so every call is accepted and answers `SYNCMGR_CR_NONE`.
//!
//! The double is not free: the generated adapter reads both strings into `String`s, and the
//! double takes its mutex, finds the item, counts the report (a `HashMap` entry keyed by a new
//! `String`) and appends a `Call` with copies of both strings to its transcript, every call.
//! That cost (a handful of allocations) is on both sides. So that the transcript does not grow
//! without bound, every batch of [`BATCH`] calls runs on a fresh double (and, on the checked
//! side, a fresh session); making and dropping them is outside the measured time.
//!
//! Group `parts` measures the pieces the checked side adds, rebuilt here from the same
//! operations (`SyncSession`'s own functions are private).
//!
//! Run with `cargo bench -p winsync --bench report_progress`; results in `BENCHMARKS.md`.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use windows_core::{ComObject, HRESULT, Interface, PCWSTR};
use winsync::bindings::{
    ISyncMgrSyncCallback, MAX_SYNCMGR_ID, MAX_SYNCMGR_PROGRESSTEXT, SYNCMGR_CANCEL_REQUEST,
    SYNCMGR_CR_NONE, SYNCMGR_PS_UPDATING,
};
use winsync::skeletons::{SyncmgrCancelRequest, SyncmgrProgressStatus};
use winsync::sync_center::double::SyncCenterDouble;
use winsync::sync_center::session::SyncSession;

/// The item every report is about.
const ITEM: &str = "photo.raw";
/// The progress text of every report.
const TEXT: &str = "Copying photo.raw";
/// Calls per fresh double.
const BATCH: u64 = 4096;

/// A NUL-terminated UTF-16 copy of `text`.
fn wide(text: &str) -> Vec<u16> {
    text.encode_utf16().chain(std::iter::once(0)).collect()
}

/// A fresh double knowing [`ITEM`], and its callback.
fn double() -> (ComObject<SyncCenterDouble>, ISyncMgrSyncCallback) {
    let double = SyncCenterDouble::new(&[ITEM]);
    let callback = double.to_interface();
    (double, callback)
}

/// One checked report.
fn checked_report(session: &SyncSession) -> windows_core::Result<SyncmgrCancelRequest> {
    session.report_progress(
        black_box(ITEM),
        black_box(TEXT),
        SyncmgrProgressStatus::Updating,
        black_box(1),
        black_box(4),
    )
}

/// One raw report through the vtable, with strings prepared by the caller.
fn raw_report(
    callback: &ISyncMgrSyncCallback,
    id: &[u16],
    text: &[u16],
) -> (HRESULT, SYNCMGR_CANCEL_REQUEST) {
    let mut cancel: SYNCMGR_CANCEL_REQUEST = -1;
    // SAFETY: `callback` is live; both strings are NUL-terminated and live for the call.
    let hr = unsafe {
        (callback.vtable().ReportProgress)(
            callback.as_raw(),
            PCWSTR(id.as_ptr()),
            PCWSTR(text.as_ptr()),
            SYNCMGR_PS_UPDATING,
            black_box(1),
            black_box(4),
            &mut cancel,
        )
    };
    (hr, cancel)
}

/// Runs `iterations` calls of `call` in batches of [`BATCH`] on fresh doubles made by `setup`,
/// timing only the calls.
fn batched<S>(iterations: u64, setup: impl Fn() -> S, call: impl Fn(&S)) -> Duration {
    let mut elapsed = Duration::ZERO;
    let mut left = iterations;
    while left > 0 {
        let n = left.min(BATCH);
        let state = setup();
        let start = Instant::now();
        for _ in 0..n {
            call(black_box(&state));
        }
        elapsed += start.elapsed();
        drop(state);
        left -= n;
    }
    elapsed
}

/// Paired sampling: every sample of either side times `iterations` calls of the checked side
/// and as many of the raw one, back to back in alternating order; the checked benchmark
/// reports the first time, the raw one the second. Both sides so run under the same load of a
/// shared machine, sample by sample, and neither pays for being measured first.
fn paired(
    iterations: u64,
    checked: impl Fn(u64) -> Duration,
    raw: impl Fn(u64) -> Duration,
) -> (Duration, Duration) {
    static ORDER: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if ORDER.fetch_xor(true, std::sync::atomic::Ordering::Relaxed) {
        let c = checked(iterations);
        (c, raw(iterations))
    } else {
        let r = raw(iterations);
        (checked(iterations), r)
    }
}

/// ReportProgress, checked and raw.
fn report_progress(c: &mut Criterion) {
    let (id, text) = (wide(ITEM), wide(TEXT));
    {
        let (_double, callback) = double();
        let session = SyncSession::new(callback.clone(), &[ITEM.to_string()]);
        assert_eq!(
            checked_report(&session).ok(),
            Some(SyncmgrCancelRequest::None)
        );
        let (hr, cancel) = raw_report(&callback, &id, &text);
        assert!(hr.is_ok() && cancel == SYNCMGR_CR_NONE, "{hr:?} {cancel}");
    }

    let mut group = c.benchmark_group("ReportProgress");
    let checked = |iterations| {
        batched(
            iterations,
            || {
                let (double, callback) = double();
                let session = SyncSession::new(callback, &[ITEM]);
                (double, session)
            },
            |(_, session)| {
                black_box(checked_report(session)).ok();
            },
        )
    };
    let raw = |iterations| {
        batched(iterations, double, |(_, callback)| {
            let _ = black_box(raw_report(callback, black_box(&id), black_box(&text)));
        })
    };
    group.bench_function("checked (SyncSession)", |b| {
        b.iter_custom(|iterations| paired(iterations, checked, raw).0);
    });
    group.bench_function("raw (vtable)", |b| {
        b.iter_custom(|iterations| paired(iterations, checked, raw).1);
    });
    group.finish();
}

/// What the checked side adds, piece by piece: the two UTF-16 conversions with their
/// checks (length, no NUL), the state lookups (the final-status check, then the
/// `entry(item_id.to_string()).or_insert(None)` an UPDATING report makes).
fn parts(c: &mut Criterion) {
    let mut group = c.benchmark_group("parts");
    group.bench_function("id + text to UTF-16, checked", |b| {
        b.iter(|| {
            let id = wide(black_box(ITEM));
            let text = wide(black_box(TEXT));
            black_box(id[..id.len() - 1].contains(&0) || text[..text.len() - 1].contains(&0));
            black_box((id, text))
        });
    });
    // For comparison: one allocation each (a UTF-8 string never has more UTF-16 units than
    // bytes).
    group.bench_function("id + text to UTF-16, checked, with_capacity", |b| {
        b.iter(|| {
            let id = wide_with_capacity(black_box(ITEM));
            let text = wide_with_capacity(black_box(TEXT));
            black_box(id[..id.len() - 1].contains(&0) || text[..text.len() - 1].contains(&0));
            black_box((id, text))
        });
    });
    // For comparison: stack buffers, no allocation (an item id is at most `MAX_SYNCMGR_ID`, a
    // progress text `MAX_SYNCMGR_PROGRESSTEXT` units with the NUL).
    group.bench_function("id + text to UTF-16, checked, stack buffers", |b| {
        b.iter(|| {
            let mut id = [0_u16; MAX_SYNCMGR_ID as usize];
            let mut text = [0_u16; MAX_SYNCMGR_PROGRESSTEXT as usize];
            let ok = fill(&mut id, black_box(ITEM)) && fill(&mut text, black_box(TEXT));
            black_box((ok, &id, &text));
        });
    });
    let mut items: BTreeMap<String, Option<SyncmgrProgressStatus>> =
        [(ITEM.to_string(), None)].into_iter().collect();
    group.bench_function("state: get + entry(to_string)", |b| {
        b.iter(|| {
            let item = black_box(ITEM);
            black_box(items.get(item).copied().flatten());
            items.entry(item.to_string()).or_insert(None);
        });
    });
    group.bench_function("state: get + get_mut (no allocation)", |b| {
        b.iter(|| {
            let item = black_box(ITEM);
            black_box(items.get(item).copied().flatten());
            if let Some(status) = items.get_mut(item) {
                black_box(status);
            }
        });
    });
    group.finish();
}

/// As [`wide`], allocating once.
fn wide_with_capacity(text: &str) -> Vec<u16> {
    let mut units = Vec::with_capacity(text.len() + 1);
    units.extend(text.encode_utf16());
    units.push(0);
    units
}

/// Writes `text` NUL-terminated into `buffer`; `false` when it does not fit or contains NUL.
fn fill(buffer: &mut [u16], text: &str) -> bool {
    let mut length = 0;
    for unit in text.encode_utf16() {
        if unit == 0 || length + 1 >= buffer.len() {
            return false;
        }
        buffer[length] = unit;
        length += 1;
    }
    buffer[length] = 0;
    true
}

/// 1 s warm-up, 4 s measurement each, as `sessions.rs`.
fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
}

criterion_group! {
    name = benches;
    config = config();
    targets = report_progress, parts
}
criterion_main!(benches);
