//! `winsync-gen`: reads Windows metadata (`.winmd`) for the Windows Sync Framework
//! (`winsync.h`) and Sync Center (`syncmgr.h`) and writes
//!
//! - typed bindings, emitted by windows-bindgen, with meaningful S_FALSE returns kept;
//! - safe skeleton traits, checked Rust enums and ABI adapters for the interfaces that
//!   components and hosts implement, each method documented with its session contract;
//! - the contract rules as Rust data and as a Markdown report.
//!
//! The pipeline is parse ([`parse`]) → model ([`model`]) → emit ([`emit`]); [`generate()`] runs
//! it, [`Builder`] runs it from a `build.rs`.

pub mod builder;
pub mod bundled;
mod contain;
pub use contain::quiet_panic_hook;
pub mod emit;
pub mod error;
pub mod extract;
pub mod extract_docs;
pub mod generate;
pub mod model;
pub mod parse;
pub mod upstream;

pub use builder::Builder;
pub use error::{Diagnostic, Error, Result};
pub use generate::{Generated, Options, generate};
pub use parse::winmd::Input;
