#[derive(windows_sync::SyncProvider)]
#[sync_provider(crate = ::windows_sync)]
#[sync_provider(crate = ::windows_sync)]
struct Provider;

fn main() {}
