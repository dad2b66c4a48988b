#[derive(winsync::SyncMgrHandler)]
enum Handler {
    Folder,
}

fn main() {}
