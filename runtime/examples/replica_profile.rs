//! One session of `N` new items (batches of 1,000) through the COM interfaces, two
//! `ReplicaProvider`s over in-memory stores run by the session driver, for instruction counts:
//! `valgrind --tool=callgrind target/release/examples/replica_profile N [setup]` (`setup`
//! writes the source's items and stops; `scripts/bench-callgrind-sync.sh` subtracts it and
//! prints the count per change).

#[path = "../benches/replica_nodes/mod.rs"]
mod replica_nodes;

use replica_nodes::node;

use winsync::bindings::{CRP_SOURCE_PROVIDER_WINS, IKnowledgeSyncProvider};
use winsync::framework::driver::{SyncOptions, synchronize};

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000);
    let source = node(1, n, 1_000);
    let destination = node(2, 0, 1_000);
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
