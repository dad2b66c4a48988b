//! A Sync Center handler collection and its handler, served by an in-process COM server DLL:
//! `handler.dll` exports `DllGetClassObject`, `DllCanUnloadNow`, `DllRegisterServer` and
//! `DllUnregisterServer`, all emitted by [`winsync::sync_center_dll!`], for two classes.
//!
//! - [`CLSID_EXAMPLE_COLLECTION`] is the handler collection Sync Center finds: `regsvr32
//!   handler.dll` (elevated) registers it under
//!   `HKLM\Software\Microsoft\Windows\CurrentVersion\SyncMgr\HandlerCollections` (see
//!   [`winsync::sync_center::server::registration`]); Sync Center creates it, enumerates its
//!   one handler id ([`HANDLER_ID`]) and binds it to an [`ExampleHandler`] ([`collection`]);
//! - [`ExampleHandler`] is the handler, made with `#[derive(winsync::SyncMgrHandler)]` and
//!   `#[sync_mgr_handler(item_container)]`: it lists its items ([`ITEMS`], each an
//!   [`ExampleItem`]) to Sync Center through `ISyncMgrSyncItemContainer`, and its
//!   `synchronize` creates a session under [`HANDLER_ID`] and brings every item it is given
//!   to SUCCEEDED, or to CANCELED when Sync Center asks to cancel it (or everything);
//!   [`CLSID_EXAMPLE_HANDLER`] is also a class of its own, for clients that create the handler
//!   with `CoCreateInstance`; its `get_object` hands out a setup UI operation for
//!   `QueryBeforeActivate`, a browse UI for `BrowseContent` and its own event store, an event
//!   per item it synchronized or canceled ([`events`], [`CAPABILITIES`]);
//! - `regsvr32 /u handler.dll` removes exactly that registration;
//! - the collection, its id enumerator, the handler info, the items and their enumerator are
//!   objects of the DLL too: `DllCanUnloadNow` stays `S_FALSE` while Sync Center holds any of
//!   them.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use windows_core::{Error, GUID, IUnknown, Result};
use winsync::bindings::{
    E_FAIL, E_INVALIDARG, E_NOTIMPL, FILETIME, HWND, IEnumSyncMgrSyncItems, ISyncMgrHandlerInfo,
    ISyncMgrSessionCreator, ISyncMgrSyncItem, ISyncMgrSyncItemInfo, SYNCMGR_HANDLER_CAPABILITIES,
    SYNCMGR_HANDLER_POLICIES, SYNCMGR_HCM_CAN_BROWSE_CONTENT, SYNCMGR_HCM_EVENT_STORE,
    SYNCMGR_HCM_QUERY_BEFORE_ACTIVATE, SYNCMGR_HPM_NONE, SYNCMGR_ICM_NONE, SYNCMGR_IPM_NONE,
    SYNCMGR_ITEM_CAPABILITIES, SYNCMGR_ITEM_POLICIES,
};
use winsync::skeletons::{
    SyncMgrHandler, SyncMgrHandlerInfo, SyncMgrSyncItem, SyncMgrSyncItemContainer,
    SyncMgrSyncItemInfo, SyncmgrCancelRequest, SyncmgrEventLevel, SyncmgrHandlerType,
    SyncmgrProgressStatus,
};
use winsync::sync_center::collection::HandlerCollection;
use winsync::sync_center::events::{Event, EventList};
use winsync::sync_center::handler::handler_info;
use winsync::sync_center::items::{SyncItems, sync_item_info};
use winsync::sync_center::objects::{ObjectId, SyncMgrObject};
use winsync::sync_center::session::{Continue, SyncSession};
use winsync::sync_center::ui::{RunUi, ui_operation};

/// The handler collection's COM class: the key of its `HandlerCollections` listing.
pub const CLSID_EXAMPLE_COLLECTION: GUID = GUID::from_u128(0x7a3c9e14_2b6d_4f81_9c0e_5d4b3a2f1e08);

/// The collection's name in the registry: what Sync Center shows for it.
pub const COLLECTION_NAME: &str = "winsync example handlers";

/// The collection's icon (`DefaultIcon`): the first icon of the shell's own DLL.
pub const COLLECTION_ICON: winsync::sync_center::server::Icon =
    winsync::sync_center::server::Icon::Location(r"%SystemRoot%\system32\shell32.dll,0");

/// The handler's COM class.
pub const CLSID_EXAMPLE_HANDLER: GUID = GUID::from_u128(0x5e1d7c2a_93b4_4f60_a8d1_2c7e9b3f6a14);

/// The class's name in the registry, and the handler's display name (`GetName`).
pub const HANDLER_NAME: &str = "winsync example handler";

/// The handler's id in the collection, which its sessions are created under
/// (`ISyncMgrSessionCreator::CreateSession`).
pub const HANDLER_ID: &str = "winsync.example.handler-dll";

/// The handler's items: (id, display name).
pub const ITEMS: [(&str, &str); 2] = [("notes", "Notes"), ("photos", "Photos")];

/// The handler: lists [`ITEMS`] and brings each item it is asked to synchronize to
/// SUCCEEDED, in two steps, or to CANCELED when Sync Center asks.
#[derive(Debug, winsync::SyncMgrHandler)]
#[sync_mgr_handler(item_container)]
pub struct ExampleHandler {
    items: SyncItems<ExampleItem>,
}

impl ExampleHandler {
    /// The handler over [`ITEMS`].
    ///
    /// # Errors
    /// What [`SyncItems::new`] says of an unusable id (none of [`ITEMS`]'s is).
    pub fn new() -> Result<Self> {
        let items = SyncItems::new(ITEMS.map(|(id, name)| ExampleItem { id, name }))?;
        Ok(Self { items })
    }

    /// What `DllGetClassObject`'s factory makes for every `CreateInstance`.
    ///
    /// # Panics
    /// Never for [`ITEMS`] (their ids are fixed, unique and short); the factory would turn a
    /// panic into `E_UNEXPECTED`.
    pub fn make() -> Self {
        #[allow(clippy::expect_used)]
        Self::new().expect("ITEMS have usable ids")
    }
}

impl SyncMgrHandler for ExampleHandler {
    fn get_name(&self) -> Result<String> {
        Ok(HANDLER_NAME.to_string())
    }

    fn get_handler_info(&self) -> Result<ISyncMgrHandlerInfo> {
        Ok(handler_info(ExampleInfo))
    }

    fn get_object(&self, object_id: ObjectId) -> Result<Option<SyncMgrObject>> {
        // The objects the capabilities announce (`NF:syncmgr.ISyncMgrHandler.GetObject`); any
        // other is E_NOTIMPL.
        Ok(match object_id {
            ObjectId::QueryBeforeActivate => Some(ui_operation(RunUi(setup)).into()),
            ObjectId::BrowseContent => Some(ui_operation(RunUi(browse)).into()),
            ObjectId::EventStore => Some(events().store().into()),
            _ => None,
        })
    }

    fn get_capabilities(&self) -> Result<SYNCMGR_HANDLER_CAPABILITIES> {
        Ok(CAPABILITIES)
    }

    fn get_policies(&self) -> Result<SYNCMGR_HANDLER_POLICIES> {
        Ok(SYNCMGR_HPM_NONE)
    }

    fn activate(&self, _activate: bool) -> Result<()> {
        Ok(())
    }

    fn enable(&self, _enable: bool) -> Result<()> {
        Ok(())
    }

    fn synchronize(
        &self,
        item_ids: &[String],
        _owner: HWND,
        session_creator: &ISyncMgrSessionCreator,
        _punk: Option<&IUnknown>,
    ) -> Result<()> {
        if let Some(unknown) = item_ids.iter().find(|id| self.items.item(id).is_none()) {
            return Err(Error::new(E_INVALIDARG, format!("no item {unknown:?}")));
        }
        let session = SyncSession::create(session_creator, HANDLER_ID, item_ids)?;
        for id in item_ids {
            if session.final_status(id).is_some() {
                continue; // the same id twice
            }
            // Sync Center may have asked to cancel this item, or everything, meanwhile; the
            // session remembers what it heard and asks for the rest.
            if session.can_continue(Some(id))? == Continue::Cancel {
                session.report_progress(id, "Canceled", SyncmgrProgressStatus::Canceled, 0, 2)?;
                record(id, SyncmgrEventLevel::Warning, "Synchronization canceled");
                continue;
            }
            let answer = session.report_progress(
                id,
                "Synchronizing",
                SyncmgrProgressStatus::Updating,
                1,
                2,
            )?;
            if answer != SyncmgrCancelRequest::None {
                // Stop, and acknowledge with a last CANCELED report
                // (NF:syncmgr.ISyncMgrSyncCallback.ReportProgress).
                session.report_progress(id, "Canceled", SyncmgrProgressStatus::Canceled, 1, 2)?;
                record(id, SyncmgrEventLevel::Warning, "Synchronization canceled");
                continue;
            }
            session.report_progress(id, "Done", SyncmgrProgressStatus::Succeeded, 2, 2)?;
            record(id, SyncmgrEventLevel::Information, "Synchronized");
        }
        Ok(())
    }
}

impl SyncMgrSyncItemContainer for ExampleHandler {
    fn get_sync_item(&self, item_id: &str) -> Result<ISyncMgrSyncItem> {
        self.items.get(item_id)
    }

    fn get_sync_item_enumerator(&self) -> Result<IEnumSyncMgrSyncItems> {
        Ok(self.items.enumerator())
    }

    fn get_sync_item_count(&self) -> Result<u32> {
        Ok(self.items.count())
    }
}

/// What [`ExampleHandler`] can do beyond synchronizing: a setup UI before Sync Center activates
/// it (`QueryBeforeActivate`), a UI to browse its content (`BrowseContent`) and its own event
/// store ([`events`]), all handed out by its `get_object`.
pub const CAPABILITIES: SYNCMGR_HANDLER_CAPABILITIES =
    SYNCMGR_HCM_QUERY_BEFORE_ACTIVATE | SYNCMGR_HCM_CAN_BROWSE_CONTENT | SYNCMGR_HCM_EVENT_STORE;

/// The events the handler keeps itself, one per item it synchronized or canceled: the DLL's
/// handler instances share them (Sync Center binds a new instance for every task), and
/// `get_object(ObjectId::EventStore)` hands out [`EventList::store`]. A handler on Windows also
/// calls `ISyncMgrControl::UpdateEvents` after adding events (`NN:syncmgr.ISyncMgrEventStore`).
pub fn events() -> &'static EventList {
    static EVENTS: OnceLock<EventList> = OnceLock::new();
    EVENTS.get_or_init(EventList::new)
}

/// Adds an event about item `id` to [`events`], under a new event ID.
fn record(id: &str, level: SyncmgrEventLevel, name: &str) {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let event = Event {
        id: GUID::from_u128(EVENT_IDS | u128::from(NEXT.fetch_add(1, Ordering::Relaxed))),
        handler_id: HANDLER_ID.to_string(),
        item_id: id.to_string(),
        level,
        flags: 0,
        time: FILETIME::default(),
        name: name.to_string(),
        description: format!("{name}: {id}"),
        link_text: String::new(),
        link_reference: String::new(),
        context: String::new(),
    };
    // A fresh ID every time: `add` cannot refuse it.
    let _ = events().add(event);
}

/// The high bits of the example's event IDs (the low 64 bits count).
const EVENT_IDS: u128 = 0x2f6b_41d8_7c3e_4a90_0000_0000_0000_0000;

/// The setup UI (`ObjectId::QueryBeforeActivate`): a real handler shows its setup dialog owned
/// by `owner` here and answers `false` (S_FALSE) when the user cancels it, so that Sync Center
/// does not activate the handler (`NF:syncmgr.ISyncMgrUIOperation.Run`). The example needs no
/// setup and goes ahead.
fn setup(_owner: HWND) -> Result<bool> {
    Ok(true)
}

/// The browse UI (`ObjectId::BrowseContent`): a real handler opens a window on what it
/// synchronizes; the example has nothing to show.
fn browse(_owner: HWND) -> Result<bool> {
    Ok(true)
}

/// One item of [`ExampleHandler`].
#[derive(Debug)]
pub struct ExampleItem {
    id: &'static str,
    name: &'static str,
}

impl SyncMgrSyncItem for ExampleItem {
    fn get_item_id(&self) -> Result<String> {
        Ok(self.id.to_string())
    }

    fn get_name(&self) -> Result<String> {
        Ok(self.name.to_string())
    }

    fn get_item_info(&self) -> Result<ISyncMgrSyncItemInfo> {
        Ok(sync_item_info(ExampleItemInfo))
    }

    fn get_object(&self, _object_id: ObjectId) -> Result<Option<SyncMgrObject>> {
        // No item objects: Sync Center hears E_INVALIDARG (`NF:syncmgr.ISyncMgrSyncItem.GetObject`).
        Ok(None)
    }

    fn get_capabilities(&self) -> Result<SYNCMGR_ITEM_CAPABILITIES> {
        Ok(SYNCMGR_ICM_NONE)
    }

    fn get_policies(&self) -> Result<SYNCMGR_ITEM_POLICIES> {
        Ok(SYNCMGR_IPM_NONE)
    }

    fn enable(&self, _enable: bool) -> Result<()> {
        Ok(())
    }

    fn delete(&self) -> Result<()> {
        // Without SYNCMGR_ICM_CAN_DELETE Sync Center never asks (`NF:syncmgr.ISyncMgrSyncItem.Delete`).
        Err(Error::from_hresult(E_NOTIMPL))
    }
}

/// What an [`ExampleItem`]'s `get_item_info` returns.
#[derive(Debug)]
pub struct ExampleItemInfo;

impl SyncMgrSyncItemInfo for ExampleItemInfo {
    fn get_type_label(&self) -> Result<String> {
        Ok("Example item".to_string())
    }

    fn get_comment(&self) -> Result<String> {
        Ok(String::new())
    }

    fn get_last_sync_time(&self) -> Result<FILETIME> {
        Err(Error::new(E_FAIL, "no synchronization recorded"))
    }

    fn is_enabled(&self) -> Result<bool> {
        Ok(true)
    }

    fn is_connected(&self) -> Result<bool> {
        Ok(true)
    }
}

/// What [`ExampleHandler`]'s `get_handler_info` returns.
#[derive(Debug, Default)]
pub struct ExampleInfo;

impl SyncMgrHandlerInfo for ExampleInfo {
    fn get_type(&self) -> Result<SyncmgrHandlerType> {
        Ok(SyncmgrHandlerType::Application)
    }

    fn get_type_label(&self) -> Result<String> {
        Ok("Example".to_string())
    }

    fn get_comment(&self) -> Result<String> {
        Ok("A Sync Center handler in a Rust DLL".to_string())
    }

    fn get_last_sync_time(&self) -> Result<FILETIME> {
        // Keeps Sync Center's previous value (`NF:syncmgr.ISyncMgrHandlerInfo.GetLastSyncTime`).
        Err(Error::new(E_FAIL, "no synchronization recorded"))
    }

    fn is_active(&self) -> Result<bool> {
        Ok(true)
    }

    fn is_enabled(&self) -> Result<bool> {
        Ok(true)
    }

    fn is_connected(&self) -> Result<bool> {
        Ok(true)
    }
}

/// The collection Sync Center creates: [`HANDLER_ID`], bound to a new [`ExampleHandler`] for
/// every `BindToHandler`.
///
/// # Errors
/// What [`HandlerCollection::handler`] says of an unusable id ([`HANDLER_ID`] is usable).
pub fn collection() -> Result<HandlerCollection> {
    HandlerCollection::new().handler(HANDLER_ID, ExampleHandler::new)
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
        name: HANDLER_NAME,
        make: ExampleHandler::make,
    }
}
