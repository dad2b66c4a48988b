// `Callback` implements `SyncCallback` but not `SyncCallback2`.
use winsync::skeletons::SyncCallback;

#[derive(winsync::SyncCallback)]
struct Callback;

impl SyncCallback for Callback {}

fn main() {}
