//! The model: what to generate, checked against the metadata.
//!
//! [`selection`] turns filters into the exact items to emit; [`validate`] checks the contract
//! data against the metadata; [`skeleton`] describes each safe trait, method and parameter,
//! [`getters`] the methods `contracts.toml` reshapes (`objects`, `queried`).

pub mod docs;
pub mod getters;
pub mod naming;
pub mod out_pointers;
pub mod property_keys;
pub mod selection;
pub mod skeleton;
pub mod validate;
