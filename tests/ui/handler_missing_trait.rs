#[derive(winsync::SyncMgrHandler)]
struct Handler;

fn main() {}
