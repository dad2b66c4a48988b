#[derive(winsync::SyncProvider)]
enum Provider {
    Only,
}

fn main() {}
