//! Emission: bindings (windows-bindgen), skeleton traits and contract code (askama templates),
//! the contract report, the formatting and header every output file gets, the scratch folder
//! windows-bindgen writes into, the two threads a generation renders on, and the atomic, locked
//! writing of the output folder.

pub mod bindings;
pub mod docs;
pub mod format;
pub mod output;
pub mod property_keys;
pub mod report;
pub mod rust;
pub mod scratch;
pub mod threads;
