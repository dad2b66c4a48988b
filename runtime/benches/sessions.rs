//! Per-call cost of the checked objects against raw ones (being written).
fn main() {}
