#[derive(windows_sync::SyncProvider)]
#[sync_provider(bogus)]
struct Provider;

fn main() {}
