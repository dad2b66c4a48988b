//! One session of `N` new items (batches of 1,000) on the engine alone, for instruction
//! counts: `valgrind --tool=callgrind target/release/examples/session_profile N [setup]`
//! (`setup` makes the source replica and stops; `scripts/bench-callgrind-sync.sh` subtracts
//! it and prints the count per change).

use winsync_engine::IdFormats;
use winsync_engine::sync::{
    ApplyOptions, ChangeTarget, ConflictPolicy, FullEnumerationAction, ItemError, Replica, Save,
    synchronize,
};

fn item(n: u32) -> [u8; 24] {
    let mut id = [0; 24];
    id[..4].copy_from_slice(&n.to_be_bytes());
    id
}

/// Saves nothing: the count is the engine's own.
struct Discard;

impl ChangeTarget for Discard {
    fn save(&mut self, _save: &Save<'_>) -> Result<(), ItemError> {
        Ok(())
    }
}

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000);
    let mut source = Replica::new(IdFormats::GUID_GID, &[1; 16]).expect("valid");
    for i in 0..n {
        source.create(&item(i)).expect("new item");
    }
    if std::env::args().nth(2).as_deref() == Some("setup") {
        return;
    }
    let mut destination = Replica::new(IdFormats::GUID_GID, &[2; 16]).expect("valid");
    let report = synchronize(
        &source,
        &mut destination,
        1_000,
        ApplyOptions::new(ConflictPolicy::SourceWins),
        FullEnumerationAction::FullEnumeration,
        &mut Discard,
        None,
    )
    .expect("a session");
    assert_eq!(report.outcome.applied, n);
}
