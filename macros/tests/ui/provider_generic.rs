#[derive(windows_sync::SyncProvider)]
struct Provider<T> {
    store: T,
}

fn main() {}
