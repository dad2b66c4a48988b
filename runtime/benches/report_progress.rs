//! ReportProgress through the checked `SyncSession` against raw vtable calls (being written).

fn main() {}
