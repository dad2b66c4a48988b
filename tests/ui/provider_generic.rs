#[derive(winsync::SyncProvider)]
struct Provider<T> {
    store: T,
}

fn main() {}
