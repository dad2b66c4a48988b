//! Generates a Sync Center handler selection with the packaged generator.

fn main() {
    let result = winsync_gen::Builder::new()
        .filter("Windows.Win32.UI.Shell.ISyncMgrHandler")
        .filter("Windows.Win32.UI.Shell.ISyncMgrSessionCreator")
        .filter("Windows.Win32.Foundation.E_NOTIMPL")
        .generate();
    if let Err(error) = result {
        eprintln!("winsync-gen: {error}");
        std::process::exit(1);
    }
}
