#[derive(windows_sync::SyncProvider)]
union Provider {
    value: u32,
}

fn main() {}
