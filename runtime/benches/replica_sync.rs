//! End to end through the COM interfaces: two `ReplicaProvider`s with in-memory stores (the
//! runtime's `MemoryStore`), synchronized by the session driver
//! (`winsync::framework::driver::synchronize`).
//!
//! - `100k new items`: 100,000 items written at one replica, synchronized to an empty one in
//!   batches of 1,000: every change enumerated, handed out as a COM batch, read back by the
//!   destination, applied, its data loaded through the data retriever (`IItemData`) and saved;
//! - `100k new items, hash-map stores`: the same over a hash map a user might write instead
//!   (`replica_nodes::HashStore`): what the store's memory access pattern costs;
//! - `up-to-date 1M`: a session between two replicas that both hold the same 1,000,000 items.
//!
//! Run with `cargo bench -p winsync --bench replica_sync`; results in `BENCHMARKS.md`.

mod replica_nodes;

use replica_nodes::{Node, hash_node, node};

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use winsync::bindings::{CRP_SOURCE_PROVIDER_WINS, IKnowledgeSyncProvider};
use winsync::framework::driver::{SyncOptions, synchronize};

fn sync<S: winsync::framework::replica::ItemStore + Send + Sync + 'static>(
    source: &Node<S>,
    destination: &Node<S>,
) -> u32 {
    let source: IKnowledgeSyncProvider = source.to_interface();
    let destination: IKnowledgeSyncProvider = destination.to_interface();
    let options = SyncOptions {
        resolution_policy: CRP_SOURCE_PROVIDER_WINS,
        ..SyncOptions::default()
    };
    synchronize(&source, &destination, None, &options)
        .expect("a session")
        .changes_applied
}

/// `iterations` sessions of `source`'s 100,000 items to a fresh destination each, timed
/// without making the destination.
fn new_items<S: winsync::framework::replica::ItemStore + Send + Sync + 'static>(
    iterations: u64,
    source: &Node<S>,
    destination: impl Fn() -> Node<S>,
) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iterations {
        let destination = destination();
        let start = Instant::now();
        let applied = sync(source, &destination);
        total += start.elapsed();
        assert_eq!(applied, 100_000);
        black_box(destination);
    }
    total
}

fn benches(c: &mut Criterion) {
    let source = node(1, 100_000, 1_000);
    let mut group = c.benchmark_group("sync through COM");
    group.sample_size(10);
    group.bench_function("100k new items, batches of 1,000", |b| {
        b.iter_custom(|iterations| new_items(iterations, &source, || node(2, 0, 1_000)));
    });
    drop(source);
    let source = hash_node(1, 100_000, 1_000);
    group.bench_function("100k new items, hash-map stores", |b| {
        b.iter_custom(|iterations| new_items(iterations, &source, || hash_node(2, 0, 1_000)));
    });
    drop(source);
    let big = node(1, 1_000_000, 10_000);
    let peer = node(2, 0, 10_000);
    assert_eq!(sync(&big, &peer), 1_000_000);
    group.sample_size(50);
    group.bench_function("up-to-date, 1M items", |b| {
        b.iter(|| sync(black_box(&big), &peer));
    });
    group.finish();
}

criterion_group! {
    name = replica_sync;
    config = Criterion::default().measurement_time(Duration::from_secs(5)).warm_up_time(Duration::from_secs(1));
    targets = benches
}
criterion_main!(replica_sync);
