//! Windows Sync (`winsync.h`): the objects behind `#[derive(SyncProvider)]` and
//! `#[derive(SyncCallback)]`, a checked session state for hosts, the documented two-provider
//! session, and the conformance suite.
//!
//! (This is the Windows Sync API of `winsync.h`, not the separately shipped Sync Framework
//! product, whose `IProviderSyncServices` runtime is in no metadata.)

pub mod callback;
pub mod conformance;
pub mod driver;
pub mod provider;
pub mod session_state;
