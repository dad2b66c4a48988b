//! End to end through the COM interfaces: two `ReplicaProvider`s with in-memory stores,
//! synchronized by the session driver (`winsync::framework::driver::synchronize`).
//!
//! - `100k new items`: 100,000 items written at one replica, synchronized to an empty one in
//!   batches of 1,000: every change enumerated, handed out as a COM batch, read back by the
//!   destination, applied, its data loaded through the data retriever (`IItemData`) and saved;
//! - `up-to-date 1M`: a session between two replicas that both hold the same 1,000,000 items.
//!
//! Run with `cargo bench -p winsync --bench replica_sync`; results in `BENCHMARKS.md`.

use std::hint::black_box;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rustc_hash::FxHashMap;
use smallvec::SmallVec;

use criterion::{Criterion, criterion_group, criterion_main};
use windows_core::ComObject;
use winsync::bindings::{CRP_SOURCE_PROVIDER_WINS, IKnowledgeSyncProvider};
use winsync::engine::IdFormats;
use winsync::engine::sync::ItemError;
use winsync::framework::driver::{SyncOptions, synchronize};
use winsync::framework::provider::ProviderObject;
use winsync::framework::replica::{ItemStore, ReplicaProvider};

/// Item data in a hash map, IDs and values inline (FxHash, no allocation per entry): a store
/// whose own costs stay small, so that the session's are measured.
#[derive(Default)]
struct Memory(Mutex<Items>);

/// Item IDs to item data.
type Items = FxHashMap<SmallVec<[u8; 24]>, SmallVec<[u8; 16]>>;

impl ItemStore for Memory {
    fn load(&self, item: &[u8]) -> Result<Vec<u8>, ItemError> {
        let map = self.0.lock().map_err(|_| ItemError("poisoned".into()))?;
        map.get(item)
            .map(|value| value.to_vec())
            .ok_or_else(|| ItemError("no such item".into()))
    }
    fn save(&self, item: &[u8], data: &[u8]) -> Result<(), ItemError> {
        let mut map = self.0.lock().map_err(|_| ItemError("poisoned".into()))?;
        map.insert(SmallVec::from_slice(item), SmallVec::from_slice(data));
        Ok(())
    }
    fn delete(&self, item: &[u8]) -> Result<(), ItemError> {
        let mut map = self.0.lock().map_err(|_| ItemError("poisoned".into()))?;
        map.remove(item);
        Ok(())
    }
}

type Node = ComObject<ProviderObject<ReplicaProvider<Memory>>>;

fn item(n: u32) -> [u8; 24] {
    let mut id = [0; 24];
    id[..4].copy_from_slice(&n.to_be_bytes());
    id
}

fn node(id: u8, items: u32, batch: u32) -> Node {
    let provider = ReplicaProvider::new(IdFormats::GUID_GID, &[id; 16], Memory::default(), batch)
        .expect("valid");
    for n in 0..items {
        provider.write(&item(n), &n.to_le_bytes()).expect("a write");
    }
    ProviderObject::new(provider)
}

fn sync(source: &Node, destination: &Node) -> u32 {
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

fn benches(c: &mut Criterion) {
    let source = node(1, 100_000, 1_000);
    let mut group = c.benchmark_group("sync through COM");
    group.sample_size(10);
    group.bench_function("100k new items, batches of 1,000", |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                let destination = node(2, 0, 1_000);
                let start = Instant::now();
                let applied = sync(&source, &destination);
                total += start.elapsed();
                assert_eq!(applied, 100_000);
                black_box(destination);
            }
            total
        });
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
