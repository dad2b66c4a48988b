//! The derives' compile errors, pinned: each `tests/ui/*.rs` case must fail to compile with
//! exactly the message in its `.stderr` file (regenerate with `TRYBUILD=overwrite`).

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
