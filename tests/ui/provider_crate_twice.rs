#[derive(winsync::SyncProvider)]
#[sync_provider(crate = ::winsync)]
#[sync_provider(crate = ::winsync)]
struct Provider;

fn main() {}
