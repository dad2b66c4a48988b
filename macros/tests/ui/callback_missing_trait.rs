// `Callback` implements `SyncCallback` but not `SyncCallback2`.
use windows_sync::skeletons::SyncCallback;

#[derive(windows_sync::SyncCallback)]
struct Callback;

impl SyncCallback for Callback {}

fn main() {}
