//! Sync Center (`syncmgr.h`): the objects behind `#[derive(SyncMgrHandler)]`, the checked
//! session a handler reports through, sync items, a checking Sync Center double for tests, and
//! the in-process COM server a handler DLL is.

pub mod additional_items;
pub mod double;
pub mod handler;
pub mod items;
pub mod names;
pub mod server;
pub mod session;
