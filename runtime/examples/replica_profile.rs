//! One session of `N` new items (batches of 1,000) through the COM interfaces, two
//! `ReplicaProvider`s over in-memory stores run by the session driver, for instruction counts:
//! `valgrind --tool=callgrind target/release/examples/replica_profile N [setup] [hash]`
//! (`setup` writes the source's items and stops; `scripts/bench-callgrind-sync.sh` subtracts
//! it and prints the count per change; `hash` runs over the benchmark's hash-map store instead
//! of the runtime's `MemoryStore`).

#[path = "../benches/replica_nodes/mod.rs"]
mod replica_nodes;

use replica_nodes::{Node, hash_node, node};

use winsync::bindings::{CRP_SOURCE_PROVIDER_WINS, IKnowledgeSyncProvider};
use winsync::framework::driver::{SyncOptions, synchronize};

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000);
    let args: Vec<String> = std::env::args().skip(2).collect();
    let setup = args.iter().any(|a| a == "setup");
    if args.iter().any(|a| a == "hash") {
        run(hash_node(1, n, 1_000), hash_node(2, 0, 1_000), n, setup);
    } else {
        run(node(1, n, 1_000), node(2, 0, 1_000), n, setup);
    }
}

fn run<S: winsync::framework::replica::ItemStore + Send + Sync + 'static>(
    source: Node<S>,
    destination: Node<S>,
    n: u32,
    setup: bool,
) {
    if setup {
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
