// `Provider` implements neither `KnowledgeSyncProvider` nor `SyncProvider`.
#[derive(windows_sync::SyncProvider)]
struct Provider;

fn main() {}
