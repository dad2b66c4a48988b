//! Sync Center (`syncmgr.h`): the objects behind `#[derive(SyncMgrHandler)]`, handler
//! collections (how Sync Center finds a DLL's handlers), the checked session a handler reports
//! through, sync items, a checking Sync Center double for tests (with Sync Center's discovery
//! path), a client of Sync Center's `ISyncMgrControl` for applications, the in-process COM
//! server a handler DLL is, and the objects `GetObject` hands out: typed object ids and answers
//! (`objects`), UI operations (`ui`), events (`events`) and conflicts (`conflicts`).

pub mod additional_items;
pub mod collection;
pub mod conflicts;
pub mod control;
pub mod double;
mod enumerators;
pub mod events;
pub mod handler;
pub mod items;
pub mod names;
pub mod objects;
pub mod server;
pub mod session;
pub mod ui;
