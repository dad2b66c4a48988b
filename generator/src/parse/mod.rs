//! Parsing: the `.winmd` metadata, `contracts.toml` and `supplement.toml`.

pub mod contracts;
pub mod docs;
#[doc(hidden)]
pub mod ecma335;
pub mod markup;
mod metadata_check;
pub mod pages;
pub mod span;
pub mod supplement;
pub mod winmd;
