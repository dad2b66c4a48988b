//! Windows Sync (`winsync.h`): the objects behind `#[derive(SyncProvider)]` and
//! `#[derive(SyncCallback)]`, a checked session state for hosts, the documented two-provider
//! session, and the conformance suite.
//!
//! (This is the Windows Sync API of `winsync.h`, not the separately shipped Sync Framework
//! product, whose `IProviderSyncServices` runtime is in no metadata.)

pub mod batch;
pub mod callback;
pub mod conformance;
pub mod driver;
pub mod knowledge;
pub mod provider;
mod recovery_range;
pub mod replica;
pub mod session_cell;
pub mod session_state;

/// The atomics [`session_cell`] is built on (loom's in the model test, which compiles the same
/// file).
mod sync {
    pub use std::hint::spin_loop;
    pub use std::sync::atomic::{AtomicPtr, AtomicU32, Ordering};
}
