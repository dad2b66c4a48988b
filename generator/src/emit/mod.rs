//! Emission: bindings (windows-bindgen), skeleton traits and contract code (askama templates),
//! the contract report, and the formatting and header every output file gets.

pub mod bindings;
pub mod format;
pub mod report;
pub mod rust;
