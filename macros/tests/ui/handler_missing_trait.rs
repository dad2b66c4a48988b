#[derive(windows_sync::SyncMgrHandler)]
struct Handler;

fn main() {}
