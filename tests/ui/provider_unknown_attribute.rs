#[derive(winsync::SyncProvider)]
#[sync_provider(bogus)]
struct Provider;

fn main() {}
