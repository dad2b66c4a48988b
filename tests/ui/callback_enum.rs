#[derive(winsync::SyncCallback)]
enum Callback {
    Only,
}

fn main() {}
