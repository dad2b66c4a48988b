//! Synchronization on the knowledge engine, in plain Rust: a replica's metadata
//! ([`Replica`]), the source's enumeration of what a destination lacks
//! ([`ChangeEnumerator`]), the destination's change application with conflict detection
//! ([`Replica::apply_batch`] with a [`ChangeTarget`]), per item or, for items with change units
//! (`NN:winsync.ISyncChangeUnit`), per change unit, and a whole one-way session
//! ([`synchronize`]). The runtime's COM faces and session drive the same code through the
//! providers' interfaces.

pub mod apply;
mod decide;
pub mod enumerate;
mod learn;
pub mod replica;
pub mod session;
pub mod target;
mod units;

pub use enumerate::ChangeEnumerator;
pub use replica::{ItemMetadata, Replica, UnitMetadata};
pub use session::{FullEnumerationAction, SessionReport, synchronize};
pub use target::{
    ApplyOptions, ApplyOutcome, ChangeTarget, Conflict, ConflictPolicy, ConflictRecord, ItemError,
    Resolution, ResolveAction, Save, SaveKind, UnitConflict, UnitSave,
};
