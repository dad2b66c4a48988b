#[derive(winsync::SyncProvider)]
union Provider {
    value: u32,
}

fn main() {}
