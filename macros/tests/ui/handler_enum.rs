#[derive(windows_sync::SyncMgrHandler)]
enum Handler {
    Folder,
}

fn main() {}
