#[derive(windows_sync::SyncCallback)]
enum Callback {
    Only,
}

fn main() {}
