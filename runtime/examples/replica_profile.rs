//! One session of `N` new items (batches of 1,000) through the COM interfaces, two
//! `ReplicaProvider`s over in-memory stores run by the session driver, for instruction counts:
//! `valgrind --tool=callgrind target/release/examples/replica_profile N [setup]` (`setup`
//! writes the source's items and stops; `scripts/bench-callgrind-sync.sh` subtracts it and
//! prints the count per change).

use std::sync::Mutex;

use rustc_hash::FxHashMap;
use smallvec::SmallVec;

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

fn node(id: u8, items: u32) -> Node {
    let provider = ReplicaProvider::new(IdFormats::GUID_GID, &[id; 16], Memory::default(), 1_000)
        .expect("valid");
    for n in 0..items {
        provider.write(&item(n), &n.to_le_bytes()).expect("a write");
    }
    ProviderObject::new(provider)
}

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000);
    let source = node(1, n);
    let destination = node(2, 0);
    if std::env::args().nth(2).as_deref() == Some("setup") {
        return;
    }
    let options = SyncOptions {
        resolution_policy: CRP_SOURCE_PROVIDER_WINS,
        ..SyncOptions::default()
    };
    let source: IKnowledgeSyncProvider = source.to_interface();
    let destination: IKnowledgeSyncProvider = destination.to_interface();
    let report = synchronize(&source, &destination, None, &options).expect("a session");
    assert_eq!(report.changes_applied, n);
}
