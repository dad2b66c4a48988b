#[derive(winsync::SyncMgrHandler)]
#[sync_mgr_handler(item_containers)]
struct Handler;

fn main() {}
