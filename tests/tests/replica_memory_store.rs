//! The runtime's `MemoryStore` as a provider's store: sessions through the COM interfaces
//! (the driver, both ways, a conflict, deletions, IDs written in and out of order so both the
//! appended run and the B-tree of its map are used), and its lock under 8 threads.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use winsync::bindings::{CRP_SOURCE_PROVIDER_WINS, IKnowledgeSyncProvider};
use winsync::engine::IdFormats;
use winsync::framework::driver::{SyncOptions, SyncReport, synchronize};
use winsync::framework::provider::ProviderObject;
use winsync::framework::replica::{ItemStore, MemoryStore, ReplicaProvider};

type Node = windows_core::ComObject<ProviderObject<ReplicaProvider<MemoryStore>>>;

fn node(id: u8, batch: u32) -> Node {
    ProviderObject::new(
        ReplicaProvider::new(IdFormats::GUID_GID, &[id; 16], MemoryStore::new(), batch).unwrap(),
    )
}

fn item(n: u16) -> [u8; 24] {
    let mut id = [0; 24];
    id[..2].copy_from_slice(&n.to_be_bytes());
    id
}

fn sync(from: &Node, to: &Node) -> SyncReport {
    let source: IKnowledgeSyncProvider = from.to_interface();
    let destination: IKnowledgeSyncProvider = to.to_interface();
    let options = SyncOptions {
        resolution_policy: CRP_SOURCE_PROVIDER_WINS,
        ..SyncOptions::default()
    };
    synchronize(&source, &destination, None, &options).unwrap()
}

fn items(node: &Node) -> Vec<(Vec<u8>, Vec<u8>)> {
    node.provider().store().items()
}

#[test]
fn two_memory_stores_converge_both_ways_with_a_conflict_and_deletions() {
    let (a, b) = (node(1, 7), node(2, 5));
    // A writes in increasing order (appends), B out of order (its map's B-tree), data short
    // and long (inline and on the heap).
    for n in 0..60 {
        a.provider().write(&item(n * 2), &[n as u8; 3]).unwrap();
    }
    for n in [99u16, 1, 57, 3, 250, 31] {
        b.provider().write(&item(n), &[n as u8; 40]).unwrap();
    }
    assert_eq!(sync(&a, &b).changes_applied, 60);
    assert_eq!(sync(&b, &a).changes_applied, 6);
    assert_eq!(items(&a), items(&b));
    assert_eq!(items(&a).len(), 66);

    // A concurrent update of item 4 (a conflict the source wins), deletions on both sides.
    a.provider().write(&item(4), b"from a").unwrap();
    b.provider().write(&item(4), b"from b").unwrap();
    a.provider().remove(&item(0)).unwrap();
    b.provider().remove(&item(57)).unwrap();
    let to_b = sync(&a, &b);
    assert_eq!(to_b.changes_applied, 2, "{to_b:?}");
    assert_eq!(
        b.provider().store().get(&item(4)).as_deref(),
        Some(&b"from a"[..])
    );
    sync(&b, &a);
    assert_eq!(items(&a), items(&b));
    assert_eq!(a.provider().store().get(&item(0)), None);
    assert_eq!(a.provider().store().get(&item(57)), None);
    assert_eq!(items(&a).len(), 64);
    // Up to date: nothing more either way.
    assert_eq!(sync(&a, &b).changes_applied, 0);
    assert_eq!(sync(&b, &a).changes_applied, 0);
}

#[test]
fn its_lock_keeps_every_write_of_8_threads() {
    const THREADS: u16 = 8;
    const EACH: u16 = 2_000;
    let store = Arc::new(MemoryStore::new());
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                // Interleaved IDs: every thread writes inside the others' runs.
                for i in 0..EACH {
                    let id = item(i * THREADS + t);
                    store.save(&id, &t.to_le_bytes()).unwrap();
                    assert_eq!(store.load(&id).unwrap(), t.to_le_bytes());
                    if i % 3 == 0 {
                        store.delete(&id).unwrap();
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    let kept = store.items();
    let expected = usize::from(THREADS) * usize::from(EACH - EACH.div_ceil(3));
    assert_eq!(kept.len(), expected);
    assert!(kept.windows(2).all(|w| w[0].0 < w[1].0));
    for (id, data) in kept {
        let n = u16::from_be_bytes([id[0], id[1]]);
        assert_eq!(data, (n % THREADS).to_le_bytes());
        assert_ne!((n / THREADS) % 3, 0);
    }
}
