//! Typed `GetObject`: the object ids of `ISyncMgrHandler::GetObject` and
//! `ISyncMgrSyncItem::GetObject` as [`ObjectId`], and the object handed back as
//! [`SyncMgrObject`], one variant per kind of object, instead of a raw `riid` / `ppv` pair.
//!
//! The generated skeletons take an [`ObjectId`] and return `Result<Option<SyncMgrObject>>`
//! (`objects = ["GetObject"]` in `contracts.toml`); their ABI adapters call [`answer`], which
//! writes the object into the caller's `ppv`:
//!
//! - a GUID that is none of the `SYNCMGR_OBJECTID_*` values is `E_NOTIMPL` before the handler's
//!   code runs (`handler.get-object.unknown-id`, `NF:syncmgr.ISyncMgrHandler.GetObject`);
//! - `None` is `E_NOTIMPL` (`handler.get-object.unsupported`); the item glue answers
//!   `E_INVALIDARG` instead, as the item's page asks (`handler.sync-item.get-object.unsupported`,
//!   `NF:syncmgr.ISyncMgrSyncItem.GetObject`);
//! - an object of another kind than the id names (an event store for `BrowseContent`, ...) is
//!   `E_UNEXPECTED` (`handler.get-object.object-interface`,
//!   `handler.sync-item.get-object.object-interface`);
//! - the object is queried for `riid` into `ppv`: `E_NOINTERFACE` when it lacks that interface
//!   (`handler.get-object.riid`);
//! - `ppv` is NULL after every failure (the bindings set it to NULL before anything runs, and
//!   [`answer`] writes NULL again after a failed query).
//!
//! Which ids a handler and an item are asked for differs: [`ObjectId::for_handler`] and
//! [`ObjectId::for_item`] follow the two pages, and the handler and item glue refuse the other
//! ids without calling the user's code (`handler.get-object.handler-ids`,
//! `handler.sync-item.get-object.item-ids`).
//!
//! The UI operations most ids expect are made with [`crate::sync_center::ui`].

use core::ffi::c_void;

use windows_core::{Error, GUID, IUnknown, Interface, Result};

use crate::bindings::{
    E_NOTIMPL, E_UNEXPECTED, ISyncMgrConflictStore, ISyncMgrEventLinkUIOperation,
    ISyncMgrEventStore, ISyncMgrUIOperation, SYNCMGR_OBJECTID_BrowseContent,
    SYNCMGR_OBJECTID_ConflictStore, SYNCMGR_OBJECTID_EventLinkClick, SYNCMGR_OBJECTID_EventStore,
    SYNCMGR_OBJECTID_Icon, SYNCMGR_OBJECTID_QueryBeforeActivate,
    SYNCMGR_OBJECTID_QueryBeforeDeactivate, SYNCMGR_OBJECTID_QueryBeforeDelete,
    SYNCMGR_OBJECTID_QueryBeforeDisable, SYNCMGR_OBJECTID_QueryBeforeEnable,
    SYNCMGR_OBJECTID_ShowSchedule,
};
use crate::contracts as rules;

/// The `SYNCMGR_OBJECTID_*` object ids of shlguid.h that `GetObject` is asked for
/// (`NF:syncmgr.ISyncMgrHandler.GetObject`, `NF:syncmgr.ISyncMgrSyncItem.GetObject`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ObjectId {
    /// `SYNCMGR_OBJECTID_Icon`: an `IExtractIcon` object for an icon known only at run time
    /// ([`SyncMgrObject::Icon`]).
    Icon,
    /// `SYNCMGR_OBJECTID_EventStore`: the handler's or item's own event store
    /// ([`SyncMgrObject::EventStore`]).
    EventStore,
    /// `SYNCMGR_OBJECTID_ConflictStore`: the handler's or item's conflict store
    /// ([`SyncMgrObject::ConflictStore`]).
    ConflictStore,
    /// `SYNCMGR_OBJECTID_BrowseContent`: UI to browse the content ([`SyncMgrObject::UiOperation`]).
    BrowseContent,
    /// `SYNCMGR_OBJECTID_ShowSchedule`: UI to configure the handler's schedule (handler only;
    /// [`SyncMgrObject::UiOperation`]).
    ShowSchedule,
    /// `SYNCMGR_OBJECTID_QueryBeforeActivate`: the setup UI before the handler is activated
    /// (handler only; [`SyncMgrObject::UiOperation`]).
    QueryBeforeActivate,
    /// `SYNCMGR_OBJECTID_QueryBeforeDeactivate`: UI before the handler is deactivated (handler
    /// only; [`SyncMgrObject::UiOperation`]).
    QueryBeforeDeactivate,
    /// `SYNCMGR_OBJECTID_QueryBeforeEnable`: UI before enabling ([`SyncMgrObject::UiOperation`]).
    QueryBeforeEnable,
    /// `SYNCMGR_OBJECTID_QueryBeforeDisable`: UI before disabling
    /// ([`SyncMgrObject::UiOperation`]).
    QueryBeforeDisable,
    /// `SYNCMGR_OBJECTID_QueryBeforeDelete`: UI before an item is deleted (item only;
    /// [`SyncMgrObject::UiOperation`]).
    QueryBeforeDelete,
    /// `SYNCMGR_OBJECTID_EventLinkClick`: the click action of an event's link (handler only;
    /// [`SyncMgrObject::EventLink`]).
    EventLinkClick,
}

/// The kind of object an [`ObjectId`] asks for: the interface the pages name for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ObjectKind {
    /// An object implementing `IExtractIcon` (outside the bindings: any `IUnknown`, queried).
    Icon,
    /// `ISyncMgrEventStore`.
    EventStore,
    /// `ISyncMgrConflictStore`.
    ConflictStore,
    /// `ISyncMgrUIOperation`.
    UiOperation,
    /// `ISyncMgrEventLinkUIOperation`.
    EventLink,
}

impl ObjectId {
    /// Every object id, in the order of shlguid.h's constants as the pages list them.
    pub const ALL: [Self; 11] = [
        Self::Icon,
        Self::EventStore,
        Self::ConflictStore,
        Self::BrowseContent,
        Self::ShowSchedule,
        Self::QueryBeforeActivate,
        Self::QueryBeforeDeactivate,
        Self::QueryBeforeEnable,
        Self::QueryBeforeDisable,
        Self::QueryBeforeDelete,
        Self::EventLinkClick,
    ];

    /// The `SYNCMGR_OBJECTID_*` GUID.
    #[must_use]
    pub const fn guid(self) -> GUID {
        match self {
            Self::Icon => SYNCMGR_OBJECTID_Icon,
            Self::EventStore => SYNCMGR_OBJECTID_EventStore,
            Self::ConflictStore => SYNCMGR_OBJECTID_ConflictStore,
            Self::BrowseContent => SYNCMGR_OBJECTID_BrowseContent,
            Self::ShowSchedule => SYNCMGR_OBJECTID_ShowSchedule,
            Self::QueryBeforeActivate => SYNCMGR_OBJECTID_QueryBeforeActivate,
            Self::QueryBeforeDeactivate => SYNCMGR_OBJECTID_QueryBeforeDeactivate,
            Self::QueryBeforeEnable => SYNCMGR_OBJECTID_QueryBeforeEnable,
            Self::QueryBeforeDisable => SYNCMGR_OBJECTID_QueryBeforeDisable,
            Self::QueryBeforeDelete => SYNCMGR_OBJECTID_QueryBeforeDelete,
            Self::EventLinkClick => SYNCMGR_OBJECTID_EventLinkClick,
        }
    }

    /// The kind of object the id asks for.
    #[must_use]
    pub const fn kind(self) -> ObjectKind {
        match self {
            Self::Icon => ObjectKind::Icon,
            Self::EventStore => ObjectKind::EventStore,
            Self::ConflictStore => ObjectKind::ConflictStore,
            Self::EventLinkClick => ObjectKind::EventLink,
            Self::BrowseContent
            | Self::ShowSchedule
            | Self::QueryBeforeActivate
            | Self::QueryBeforeDeactivate
            | Self::QueryBeforeEnable
            | Self::QueryBeforeDisable
            | Self::QueryBeforeDelete => ObjectKind::UiOperation,
        }
    }

    /// Whether `NF:syncmgr.ISyncMgrHandler.GetObject` lists the id: all but `QueryBeforeDelete`.
    #[must_use]
    pub const fn for_handler(self) -> bool {
        !matches!(self, Self::QueryBeforeDelete)
    }

    /// Whether `NF:syncmgr.ISyncMgrSyncItem.GetObject` lists the id: `BrowseContent`,
    /// `ConflictStore`, `EventStore`, `Icon`, `QueryBeforeDelete`, `QueryBeforeEnable`,
    /// `QueryBeforeDisable`.
    #[must_use]
    pub const fn for_item(self) -> bool {
        matches!(
            self,
            Self::BrowseContent
                | Self::ConflictStore
                | Self::EventStore
                | Self::Icon
                | Self::QueryBeforeDelete
                | Self::QueryBeforeEnable
                | Self::QueryBeforeDisable
        )
    }
}

impl TryFrom<&GUID> for ObjectId {
    type Error = Error;

    /// # Errors
    /// `E_NOTIMPL` for a GUID that is none of the `SYNCMGR_OBJECTID_*` values
    /// (`handler.get-object.unknown-id`).
    fn try_from(guid: &GUID) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|id| id.guid() == *guid)
            .ok_or_else(|| {
                Error::new(
                    E_NOTIMPL,
                    format!(
                        "{guid:?} is none of the SYNCMGR_OBJECTID_* ids: {}",
                        rules::HANDLER_GET_OBJECT_UNKNOWN_ID
                    ),
                )
            })
    }
}

/// The object a handler or item hands back for an [`ObjectId`], typed by the interface the
/// id names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyncMgrObject {
    /// For [`ObjectId::Icon`]: an object implementing `IExtractIconW` (the bindings do not
    /// carry `IExtractIcon`; the object is queried for the caller's IID).
    Icon(IUnknown),
    /// For [`ObjectId::EventStore`].
    EventStore(ISyncMgrEventStore),
    /// For [`ObjectId::ConflictStore`].
    ConflictStore(ISyncMgrConflictStore),
    /// For the UI ids ([`ObjectId::BrowseContent`], [`ObjectId::ShowSchedule`], the
    /// `QueryBefore*` ids); make one with [`crate::sync_center::ui::ui_operation`].
    UiOperation(ISyncMgrUIOperation),
    /// For [`ObjectId::EventLinkClick`]; make one with
    /// [`crate::sync_center::ui::event_link`].
    EventLink(ISyncMgrEventLinkUIOperation),
}

impl SyncMgrObject {
    /// The kind of object this is.
    #[must_use]
    pub const fn kind(&self) -> ObjectKind {
        match self {
            Self::Icon(_) => ObjectKind::Icon,
            Self::EventStore(_) => ObjectKind::EventStore,
            Self::ConflictStore(_) => ObjectKind::ConflictStore,
            Self::UiOperation(_) => ObjectKind::UiOperation,
            Self::EventLink(_) => ObjectKind::EventLink,
        }
    }

    /// `QueryInterface` on the object.
    ///
    /// # Safety
    /// `ppv` is valid for writing a pointer.
    unsafe fn query(&self, riid: &GUID, ppv: *mut *mut c_void) -> windows_core::HRESULT {
        unsafe {
            match self {
                Self::Icon(object) => object.query(riid, ppv),
                Self::EventStore(object) => object.query(riid, ppv),
                Self::ConflictStore(object) => object.query(riid, ppv),
                Self::UiOperation(object) => object.query(riid, ppv),
                Self::EventLink(object) => object.query(riid, ppv),
            }
        }
    }
}

impl From<ISyncMgrUIOperation> for SyncMgrObject {
    fn from(operation: ISyncMgrUIOperation) -> Self {
        Self::UiOperation(operation)
    }
}

impl From<ISyncMgrEventLinkUIOperation> for SyncMgrObject {
    fn from(operation: ISyncMgrEventLinkUIOperation) -> Self {
        Self::EventLink(operation)
    }
}

impl From<ISyncMgrEventStore> for SyncMgrObject {
    fn from(store: ISyncMgrEventStore) -> Self {
        Self::EventStore(store)
    }
}

impl From<ISyncMgrConflictStore> for SyncMgrObject {
    fn from(store: ISyncMgrConflictStore) -> Self {
        Self::ConflictStore(store)
    }
}

/// Writes the answer of a `GetObject` for `id` into `ppv` (see the module docs): `None` is
/// `E_NOTIMPL`, an object of another kind than `id` names is `E_UNEXPECTED`, else the object is
/// queried for `riid`.
///
/// # Errors
/// `E_NOTIMPL`, `E_UNEXPECTED`, or the query's failure (`E_NOINTERFACE`); `*ppv` is NULL
/// after each.
///
/// # Safety
/// `ppv` is null or valid for writing a pointer.
pub unsafe fn answer(
    id: ObjectId,
    object: Option<SyncMgrObject>,
    riid: &GUID,
    ppv: *mut *mut c_void,
) -> Result<()> {
    crate::com::abi::check_out(ppv.is_null())?;
    let Some(object) = object else {
        return Err(Error::new(
            E_NOTIMPL,
            format!(
                "no {id:?} object: {}",
                rules::HANDLER_GET_OBJECT_UNSUPPORTED
            ),
        ));
    };
    if object.kind() != id.kind() {
        return Err(Error::new(
            E_UNEXPECTED,
            format!(
                "{id:?} asks for {:?}, and the answer is {:?}: {}",
                id.kind(),
                object.kind(),
                rules::HANDLER_GET_OBJECT_OBJECT_INTERFACE
            ),
        ));
    }
    let code = unsafe { object.query(riid, ppv) };
    if code.is_err() {
        // Whatever a failing QueryInterface left there is no interface of ours to hand out.
        unsafe { ppv.write(core::ptr::null_mut()) };
        return Err(Error::new(
            code,
            format!(
                "the {id:?} object does not implement {riid:?}: {}",
                rules::HANDLER_GET_OBJECT_RIID
            ),
        ));
    }
    Ok(())
}
