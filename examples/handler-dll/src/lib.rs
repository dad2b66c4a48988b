//! A Sync Center handler collection with a handler per partnership, served by an in-process
//! COM server DLL: `handler.dll` exports `DllGetClassObject`, `DllCanUnloadNow`,
//! `DllRegisterServer` and `DllUnregisterServer`, all emitted by [`winsync::sync_center_dll!`],
//! for two classes. It has the feature set of the Windows SDK's Sync Center sample.
//!
//! - [`CLSID_EXAMPLE_COLLECTION`] is the handler collection Sync Center finds: `regsvr32
//!   handler.dll` (elevated) registers it under
//!   `HKLM\Software\Microsoft\Windows\CurrentVersion\SyncMgr\HandlerCollections` (see
//!   [`winsync::sync_center::server::registration`]); Sync Center creates it, enumerates its
//!   handler ids, one per partnership of the user's configuration ([`partnerships`]), and binds
//!   each to an [`ExampleHandler`] ([`collection`]);
//! - [`ExampleHandler`] is the handler, made with `#[derive(winsync::SyncMgrHandler)]` and
//!   `#[sync_mgr_handler(item_container)]`: it lists its items ([`ITEMS`]) to Sync Center
//!   through `ISyncMgrSyncItemContainer`, and its `synchronize` creates a session under its
//!   partnership's id and brings every item it is given to SUCCEEDED, to CANCELED when Sync
//!   Center asks to cancel it (or everything), to SUCCEEDED with a conflict kept in its
//!   conflict store, or to FAILED with an error event ([`handler`]); its `get_object` hands
//!   out what [`CAPABILITIES`] announce: a setup UI for `QueryBeforeActivate`, a browse UI for
//!   `BrowseContent`, Sync Center's schedule wizard for `ShowSchedule`, and its own event and
//!   conflict stores ([`kept`]); [`CLSID_EXAMPLE_HANDLER`] is also a class of its own, for
//!   clients that create a handler with `CoCreateInstance`;
//! - `regsvr32 /u handler.dll` removes exactly that registration;
//! - the collection, its id enumerator, the handler info, the items, the stores and their
//!   enumerators are objects of the DLL too: `DllCanUnloadNow` stays `S_FALSE` while Sync
//!   Center holds any of them.

use windows_core::{GUID, Result};
use winsync::bindings::{
    SYNCMGR_HANDLER_CAPABILITIES, SYNCMGR_HCM_CAN_BROWSE_CONTENT, SYNCMGR_HCM_CAN_SHOW_SCHEDULE,
    SYNCMGR_HCM_CONFLICT_STORE, SYNCMGR_HCM_EVENT_STORE, SYNCMGR_HCM_QUERY_BEFORE_ACTIVATE,
};
use winsync::sync_center::collection::HandlerCollection;

pub mod handler;
pub mod kept;
pub mod partnerships;

pub use handler::ExampleHandler;
use partnerships::Partnership;

/// The handler collection's COM class: the key of its `HandlerCollections` listing.
pub const CLSID_EXAMPLE_COLLECTION: GUID = GUID::from_u128(0x7a3c9e14_2b6d_4f81_9c0e_5d4b3a2f1e08);

/// The collection's name in the registry: what Sync Center shows for it.
pub const COLLECTION_NAME: &str = "winsync example handlers";

/// The collection's icon (`DefaultIcon`): the first icon of the shell's own DLL.
pub const COLLECTION_ICON: winsync::sync_center::server::Icon =
    winsync::sync_center::server::Icon::Location(r"%SystemRoot%\system32\shell32.dll,0");

/// The handler's COM class.
pub const CLSID_EXAMPLE_HANDLER: GUID = GUID::from_u128(0x5e1d7c2a_93b4_4f60_a8d1_2c7e9b3f6a14);

/// The handler class's name in the registry.
pub const HANDLER_CLASS_NAME: &str = "winsync example handler";

/// Every handler's items: (id, display name).
pub const ITEMS: [(&str, &str); 2] = [("notes", "Notes"), ("photos", "Photos")];

/// What [`ExampleHandler`] can do beyond synchronizing: a setup UI before Sync Center activates
/// it (`QueryBeforeActivate`), a UI to browse its content (`BrowseContent`), its schedule
/// (`ShowSchedule`, Sync Center's wizard), and its own event and conflict stores, all handed
/// out by its `get_object`.
pub const CAPABILITIES: SYNCMGR_HANDLER_CAPABILITIES = SYNCMGR_HCM_QUERY_BEFORE_ACTIVATE
    | SYNCMGR_HCM_CAN_BROWSE_CONTENT
    | SYNCMGR_HCM_CAN_SHOW_SCHEDULE
    | SYNCMGR_HCM_EVENT_STORE
    | SYNCMGR_HCM_CONFLICT_STORE;

/// The collection Sync Center creates: the user's partnerships ([`partnerships::load`]), each
/// id bound to a new [`ExampleHandler`] of that partnership for every `BindToHandler`.
///
/// # Errors
/// What [`partnerships::load`] says of a configuration file that cannot be read, and what
/// [`collection_of`] says of its ids.
pub fn collection() -> Result<HandlerCollection> {
    collection_of(partnerships::load()?)
}

/// The collection of `partnerships`.
///
/// # Errors
/// What [`HandlerCollection::handler`] says of an unusable or repeated id.
pub fn collection_of(partnerships: Vec<Partnership>) -> Result<HandlerCollection> {
    partnerships
        .into_iter()
        .try_fold(HandlerCollection::new(), |collection, partnership| {
            let id = partnership.id.clone();
            collection.handler(id, move || ExampleHandler::new(partnership.clone()))
        })
}

winsync::sync_center_dll! {
    // Per machine: Sync Center reads HandlerCollections under HKEY_LOCAL_MACHINE only, and
    // Wine's COM does not read HKEY_CURRENT_USER\Software\Classes; on Windows this needs an
    // elevated regsvr32.
    scope: winsync::sync_center::server::Scope::LocalMachine,
    collection {
        clsid: CLSID_EXAMPLE_COLLECTION,
        name: COLLECTION_NAME,
        make: collection,
        icon: COLLECTION_ICON,
    }
    handler {
        clsid: CLSID_EXAMPLE_HANDLER,
        name: HANDLER_CLASS_NAME,
        make: ExampleHandler::make,
    }
}
