#[derive(windows_sync::SyncProvider)]
enum Provider {
    Only,
}

fn main() {}
