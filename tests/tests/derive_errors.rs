//! The derives' compile errors, pinned: each `ui/*.rs` case (beside `tests/`) must fail to compile with
//! exactly the message in its `.stderr` file (regenerate with `TRYBUILD=overwrite`).

// trybuild runs cargo and rustc: host-only, like the tests that run the generator.
#[cfg(not(windows))]
#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/*.rs");
}
