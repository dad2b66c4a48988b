//! A Sync Center session stays on the thread of its `synchronize` call
//! (NN:syncmgr.ISyncMgrSessionCreator): it cannot be sent elsewhere.
fn needs_send<T: Send>() {}

fn main() {
    needs_send::<winsync::sync_center::session::SyncSession>();
}
