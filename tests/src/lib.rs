//! Cross-crate tests of the winsync workspace. The library part compiles the golden
//! cases' expected output (see `tests/golden/`); the tests live in `tests/`.

pub mod golden;
