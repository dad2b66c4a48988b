//! The derives' compile errors, pinned: each `ui/*.rs` case (beside `tests/`) must fail to compile with
//! exactly the message in its `.stderr` file (regenerate with `TRYBUILD=overwrite`).

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/*.rs");
}
