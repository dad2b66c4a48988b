//! Generates this crate's own selection of bindings, skeletons and contract data into
//! `$OUT_DIR/winsync/`: the handler side of Sync Center.

fn main() {
    let result = winsync_gen::Builder::new()
        // The interfaces a Sync Center handler implements, and those it calls.
        .filter("Windows.Win32.UI.Shell.ISyncMgrHandler")
        .filter("Windows.Win32.UI.Shell.ISyncMgrHandlerInfo")
        .filter("Windows.Win32.UI.Shell.ISyncMgrSyncCallback")
        .filter("Windows.Win32.UI.Shell.ISyncMgrSessionCreator")
        .filter("Windows.Win32.UI.Shell.ISyncMgrSyncItemContainer")
        // The enums and flag sets their methods take, with their values.
        .filter("Windows.Win32.UI.Shell.SYNCMGR_HANDLER_CAPABILITIES")
        .filter("Windows.Win32.UI.Shell.SYNCMGR_HANDLER_POLICIES")
        .filter("Windows.Win32.UI.Shell.SYNCMGR_HANDLER_TYPE")
        .filter("Windows.Win32.UI.Shell.SYNCMGR_PROGRESS_STATUS")
        .filter("Windows.Win32.UI.Shell.SYNCMGR_CANCEL_REQUEST")
        .filter("Windows.Win32.UI.Shell.SYNCMGR_EVENT_LEVEL")
        .filter("Windows.Win32.UI.Shell.SYNCMGR_EVENT_FLAGS")
        // The HRESULT the handler answers for what it does not support.
        .filter("Windows.Win32.Foundation.E_NOTIMPL")
        .generate();
    if let Err(error) = result {
        eprintln!("winsync-gen: {error}");
        std::process::exit(1);
    }
}
