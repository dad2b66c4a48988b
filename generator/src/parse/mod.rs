//! Parsing: the `.winmd` metadata, `contracts.toml` and `supplement.toml`.

pub mod contracts;
#[doc(hidden)]
pub mod ecma335;
mod metadata_check;
pub mod span;
pub mod supplement;
pub mod winmd;
