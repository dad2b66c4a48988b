//! Synchronization on the engine, without COM: the source's enumeration, the destination's
//! application with conflict detection, in-memory targets.
//!
//! - `100k new items`: 100,000 items created at one replica, synchronized to an empty one in
//!   batches of 1,000 (every change applied, its data copied by the target);
//! - `up-to-date 1M`: a session between two replicas that both hold the same 1,000,000 items
//!   (decided by comparing knowledge: one empty batch);
//! - memory: the metadata of a replica of 100,000 items, measured by the allocator.
//!
//! Run with `cargo bench -p winsync-engine --bench sync`; results in `BENCHMARKS.md`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use winsync_engine::sync::{
    ApplyOptions, ChangeTarget, ConflictPolicy, FullEnumerationAction, ItemError, Replica, Save,
    synchronize,
};
use winsync_engine::{IdFormats, ItemMap};

/// Counts live heap bytes, for the memory figure.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator, counting.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn item(n: u32) -> [u8; 24] {
    let mut id = [0; 24];
    id[..4].copy_from_slice(&n.to_be_bytes());
    id
}

/// Copies a value per change, as a provider storing the data would (in an `ItemMap`, as the
/// runtime's `MemoryStore` does, so the two benchmarks' stores are alike).
struct Copying<'a> {
    source: &'a ItemMap<u64>,
    here: ItemMap<u64>,
}

impl ChangeTarget for Copying<'_> {
    fn save(&mut self, save: &Save<'_>) -> Result<(), ItemError> {
        match self.source.get(save.item) {
            Some(&value) => {
                self.here.insert(save.item, value);
            }
            None => {
                self.here.remove(save.item);
            }
        }
        Ok(())
    }
}

fn replica_with(id: u8, items: u32) -> (Replica, ItemMap<u64>) {
    let mut replica = Replica::new(IdFormats::GUID_GID, &[id; 16]).expect("valid");
    for n in 0..items {
        replica.create(&item(n)).expect("new item");
    }
    let mut data = ItemMap::new();
    for n in 0..items {
        data.insert(&item(n), u64::from(n));
    }
    (replica, data)
}

/// The heap bytes of a replica of `items` items: metadata and knowledge.
fn replica_bytes(items: u32) -> usize {
    let before = LIVE.load(Ordering::Relaxed);
    let mut replica = Replica::new(IdFormats::GUID_GID, &[9; 16]).expect("valid");
    for n in 0..items {
        replica.create(&item(n)).expect("new item");
    }
    let bytes = LIVE.load(Ordering::Relaxed) - before;
    drop(black_box(replica));
    bytes
}

fn session(source: &Replica, data: &ItemMap<u64>, destination: &mut Replica, batch: u32) -> u32 {
    let mut target = Copying {
        source: data,
        here: ItemMap::new(),
    };
    let report = synchronize(
        source,
        destination,
        batch,
        ApplyOptions::new(ConflictPolicy::SourceWins),
        FullEnumerationAction::FullEnumeration,
        &mut target,
        None,
    )
    .expect("a session");
    report.outcome.applied
}

fn benches(c: &mut Criterion) {
    let bytes = replica_bytes(100_000);
    println!(
        "memory: a replica of 100,000 items: {bytes} bytes of metadata and knowledge ({} bytes per item)",
        bytes / 100_000
    );
    let (source, data) = replica_with(1, 100_000);

    let mut group = c.benchmark_group("sync (engine, no COM)");
    group.sample_size(10);
    group.bench_function("100k new items, batches of 1,000", |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                let mut destination = Replica::new(IdFormats::GUID_GID, &[2; 16]).expect("valid");
                let start = Instant::now();
                let applied = session(&source, &data, &mut destination, 1_000);
                total += start.elapsed();
                assert_eq!(applied, 100_000);
                black_box(destination);
            }
            total
        });
    });
    group.finish();

    let (big, big_data) = replica_with(1, 1_000_000);
    let mut peer = Replica::new(IdFormats::GUID_GID, &[2; 16]).expect("valid");
    assert_eq!(session(&big, &big_data, &mut peer, 10_000), 1_000_000);
    let mut group = c.benchmark_group("sync (engine, no COM)");
    group.bench_function("up-to-date, 1M items", |b| {
        b.iter(|| session(black_box(&big), &big_data, &mut peer, 1_000));
    });
    group.finish();
}

criterion_group! {
    name = sync;
    config = Criterion::default().measurement_time(Duration::from_secs(5)).warm_up_time(Duration::from_secs(1));
    targets = benches
}
criterion_main!(sync);
