//! COM's rule for `[out]` interface pointers: NULL when the call fails (`_COM_Outptr_`), so a
//! caller knows there is nothing to release. Every method of the committed bindings that takes
//! an interface out-pointer is called through its real vtable on an object whose
//! implementation fails, with each out-pointer pre-set to a sentinel; every one must come back
//! NULL. The cases are written by `build.rs` from the shims' signatures.

mod cases {
    #![allow(dead_code, unused_qualifications, clippy::all)]
    include!(concat!(env!("OUT_DIR"), "/out_pointer_cases.rs"));
}

#[test]
fn every_interface_out_pointer_is_null_after_a_failure() {
    let mut broken = Vec::new();
    for (interface, method, case) in cases::CASES {
        for what in case() {
            broken.push(format!("{interface}::{method}: {what}"));
        }
    }
    assert!(
        cases::CASES.len() > 100,
        "only {} methods with interface out-pointers were found",
        cases::CASES.len()
    );
    assert!(
        broken.is_empty(),
        "{} of {} methods leave an out-pointer set after failing:\n{}",
        broken.len(),
        cases::CASES.len(),
        broken.join("\n")
    );
}
