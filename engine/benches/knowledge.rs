//! The knowledge engine's costs on a knowledge of 64 replicas and 1,000 range exceptions
//! (fixed 16-byte replica IDs, 24-byte item IDs): contains-change, union of two such
//! knowledges, serialization; and the serialized size as replicas and exceptions grow.
//!
//! Run with `cargo bench -p winsync-engine --bench knowledge`; results in `BENCHMARKS.md`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use winsync_engine::{Knowledge, Version};

#[path = "fixture/mod.rs"]
mod fixture;

use fixture::{item, knowledge};

fn benches(c: &mut Criterion) {
    let a = knowledge(64, 1_000, 0);
    let b = knowledge(64, 1_000, 2);
    assert_eq!(a.range_exceptions().len(), 1_000);
    let probe = item(4 * 500);
    let version = Version::new(7, 999);
    assert_eq!(a.contains_change(&probe, version), Ok(true));

    let mut group = c.benchmark_group("knowledge (64 replicas, 1,000 range exceptions)");
    group.bench_function("contains change", |bench| {
        bench.iter(|| black_box(&a).contains_change(black_box(&probe), black_box(version)));
    });
    group.bench_function("union of two", |bench| {
        bench.iter(|| {
            let mut u = black_box(&a).clone();
            u.union(black_box(&b)).expect("same formats");
            u
        });
    });
    group.bench_function("contains knowledge", |bench| {
        bench.iter(|| black_box(&a).contains_knowledge(black_box(&b)));
    });
    group.bench_function("serialize", |bench| {
        bench.iter(|| black_box(&a).serialize(true));
    });
    let bytes = a.serialize(true);
    group.bench_function("deserialize", |bench| {
        bench.iter(|| Knowledge::deserialize(black_box(&bytes), None));
    });
    group.finish();

    println!("serialized size (with key map):");
    for (replicas, exceptions) in [
        (8, 0),
        (64, 0),
        (64, 250),
        (64, 500),
        (64, 1_000),
        (128, 1_000),
        (64, 2_000),
    ] {
        let k = knowledge(replicas, exceptions, 0);
        println!(
            "  {replicas:>4} replicas, {exceptions:>5} range exceptions: {:>8} bytes",
            k.serialize(true).len()
        );
    }
}

criterion_group! {
    name = benchmarks;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = benches
}
criterion_main!(benchmarks);
