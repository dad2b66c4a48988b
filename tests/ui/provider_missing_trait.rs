// `Provider` implements neither `KnowledgeSyncProvider` nor `SyncProvider`.
#[derive(winsync::SyncProvider)]
struct Provider;

fn main() {}
