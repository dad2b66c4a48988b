//! Cross-crate tests of the windows-sync workspace. The library part compiles the golden
//! cases' expected output (see `tests/golden/`); the tests live in `tests/`.

pub mod golden;
