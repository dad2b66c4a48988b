//! `winsync-engine`: the Windows Sync knowledge model in plain Rust, without COM.
//!
//! Microsoft's "Overview of Building a Synchronization Provider" (Windows Sync) says a provider
//! built on `winsync.h` implements `ISyncKnowledge` and its family itself; this crate is that
//! implementation, as plain Rust types, and the `winsync` crate gives them their COM faces.
//!
//! - [`id`]: ID formats (`ID_PARAMETERS`) and the order of IDs;
//! - [`replica`]: the replica key map;
//! - [`vector`]: versions (`SYNC_VERSION`) and clock vectors;
//! - [`Knowledge`]: knowledge as a scope vector with range, single-item and change-unit
//!   exceptions (and named columns), always canonical; every `ISyncKnowledge` and
//!   `ISyncKnowledge2` operation;
//! - [`ForgottenKnowledge`]: what tombstone cleanup forgot;
//! - the byte format ([`Knowledge::serialize`], [`Knowledge::deserialize`]), bounded and
//!   fuzzed.
//!
//! ```
//! use winsync_engine::{IdFormats, Knowledge, Version};
//!
//! let (a, b) = ([1u8; 16], [2u8; 16]);
//! let mut mine = Knowledge::new(IdFormats::GUID_GID, &a)?;
//! mine.set_local_tick_count(5)?; // every local change up to tick 5
//! let change = mine.record_local_change()?; // one more: the item's new version
//! assert_eq!(change, Version::new(0, 6));
//! let theirs = Knowledge::new(IdFormats::GUID_GID, &b)?;
//! let theirs = mine.map_remote_to_local(&theirs)?;
//! // What does the other replica lack? Everything this replica made.
//! assert!(!theirs.contains_change(&[0; 24], Version::new(0, 3))?);
//! assert!(mine.contains_change(&[0; 24], Version::new(0, 3))?);
//! let bytes = mine.serialize(true);
//! assert_eq!(Knowledge::deserialize(&bytes, None)?, mine);
//! # Ok::<(), winsync_engine::Error>(())
//! ```

pub mod batch;
pub mod error;
mod forgotten;
pub mod id;
mod item_id;
mod item_map;
mod knowledge;
mod ranges;
pub mod replica;
mod serialize;
pub mod sync;
pub mod vector;

pub use error::{Error, Result};
pub use forgotten::ForgottenKnowledge;
pub use id::{IdFormat, IdFormats};
pub use item_id::ItemId;
pub use item_map::ItemMap;
pub use knowledge::{
    ChangeUnitException, Fragment, Knowledge, RangeException, RangePart, SERIALIZATION_V1,
    SERIALIZATION_V2, SERIALIZATION_V3, SingleItemException, UnitPart,
};
pub use ranges::{RangeSet, Segment};
pub use replica::{ReplicaKey, ReplicaKeyMap};
pub use vector::{ClockVector, Version};
