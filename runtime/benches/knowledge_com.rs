//! `ISyncKnowledge::ContainsChange` through the COM vtable against the engine's Rust call plus
//! one vtable call, on a knowledge of 64 replicas and 1,000 range exceptions (the engine
//! bench's fixture).
//!
//! - COM: `(k.vtable().ContainsChange)(k.as_raw(), owner, item, &version)`: the generated
//!   adapter's null checks, the owner's ID compared with the knowledge's, the item ID read in
//!   the knowledge's format, the engine's `contains_change`, the answer as S_OK / S_FALSE;
//! - Rust + vtable: `knowledge.contains_change(item, version)` on the engine value, then
//!   `(k.vtable().GetVersion)(k.as_raw(), &mut level)` on the same object: one call through
//!   the vtable and its adapter that does no work of its own.
//!
//! Samples are paired: each times both sides back to back, in alternating order.
//!
//! Run with `cargo bench -p winsync --bench knowledge_com`; results in `BENCHMARKS.md`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use windows_core::Interface;
use winsync::bindings::{S_OK, SYNC_VERSION};
use winsync::engine::Version;
use winsync::framework::knowledge;

#[path = "../../engine/benches/fixture/mod.rs"]
mod fixture;

use fixture::{item, replica};

fn paired(
    iterations: u64,
    com: impl Fn(u64) -> Duration,
    rust: impl Fn(u64) -> Duration,
) -> (Duration, Duration) {
    static ORDER: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if ORDER.fetch_xor(true, std::sync::atomic::Ordering::Relaxed) {
        let c = com(iterations);
        (c, rust(iterations))
    } else {
        let r = rust(iterations);
        (com(iterations), r)
    }
}

fn contains(c: &mut Criterion) {
    let engine = fixture::knowledge(64, 1_000, 0);
    let (owner, probe) = (replica(0), item(4 * 500));
    let version = Version::new(7, 999);
    let raw_version = SYNC_VERSION {
        dwLastUpdatingReplicaKey: 7,
        ullTickCount: 999,
    };
    let com = knowledge::to_com(engine.clone());
    // SAFETY: live object, valid IDs of the formats.
    let hr = unsafe {
        (com.vtable().ContainsChange)(com.as_raw(), owner.as_ptr(), probe.as_ptr(), &raw_version)
    };
    assert_eq!(hr, S_OK);
    assert_eq!(engine.contains_change(&probe, version), Ok(true));

    let com_side = |iterations: u64| {
        let start = Instant::now();
        for _ in 0..iterations {
            // SAFETY: as above.
            let _ = black_box(unsafe {
                (com.vtable().ContainsChange)(
                    black_box(com.as_raw()),
                    black_box(owner.as_ptr()),
                    black_box(probe.as_ptr()),
                    black_box(&raw_version),
                )
            });
        }
        start.elapsed()
    };
    let rust_side = |iterations: u64| {
        let start = Instant::now();
        for _ in 0..iterations {
            black_box(black_box(&engine).contains_change(black_box(&probe), black_box(version)))
                .ok();
            let mut level = 0u32;
            // SAFETY: live object, writable out value.
            let _ = black_box(unsafe {
                (com.vtable().GetVersion)(black_box(com.as_raw()), &mut level)
            });
        }
        start.elapsed()
    };
    let mut group = c.benchmark_group("ContainsChange (64 replicas, 1,000 range exceptions)");
    group.bench_function("COM vtable", |b| {
        b.iter_custom(|n| paired(n, com_side, rust_side).0)
    });
    group.bench_function("Rust call + one vtable call", |b| {
        b.iter_custom(|n| paired(n, com_side, rust_side).1)
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(4)).warm_up_time(Duration::from_secs(1));
    targets = contains
}
criterion_main!(benches);
