//! Sync Center events a handler keeps itself, for the Sync Results folder
//! (`NN:syncmgr.ISyncMgrEventStore`): [`Event`], an event as plain Rust (what `ISyncMgrEvent`
//! says); [`event`], any [`SyncMgrEvent`](crate::skeletons::SyncMgrEvent) as an `ISyncMgrEvent`
//! object; [`EventList`], a ready list of events whose [`EventList::store`] (the handler's
//! events) and [`EventList::item_store`] (one item's) are the `ISyncMgrEventStore` objects
//! `GetObject` hands out for [`ObjectId::EventStore`](crate::sync_center::objects::ObjectId);
//! and [`event_store`], any [`SyncMgrEventStore`](crate::skeletons::SyncMgrEventStore) served
//! with the same checks.
//!
//! What holds at the boundary (rules of `contracts.toml`):
//!
//! - an event's strings are `CoTaskMemAlloc` copies and its level one of
//!   `SYNCMGR_EVENT_LEVEL` (`event.strings.cotaskmem`, `event.get-level.valid`,
//!   `NN:syncmgr.ISyncMgrEvent`; the generated adapters);
//! - `GetEvent` for an ID the list does not hold is `E_INVALIDARG`
//!   (`event-store.get-event.unknown-id`), and the event any served store hands out answers
//!   the requested ID, else `E_UNEXPECTED` (`event-store.get-event.same-id`); `ppEvent` is
//!   NULL after every failure (`NF:syncmgr.ISyncMgrEventStore.GetEvent`);
//! - event IDs are unique in a list: [`EventList::add`] refuses a known ID
//!   (`event-store.unique-ids`);
//! - `GetEventCount` is the number of events the enumerator hands out
//!   (`event-store.count-matches-enumerator`, `NN:syncmgr.ISyncMgrEventStore`);
//! - `RemoveEvent` reads its `cEvents` IDs as one slice, `E_POINTER` for a NULL array of a
//!   non-zero count (`event-store.remove-event.ids`,
//!   `NF:syncmgr.ISyncMgrEventStore.RemoveEvent`); IDs the store does not hold are ignored;
//! - an item's store holds that item's events only, the handler's store every event
//!   (`event-store.item-scope`, `NF:syncmgr.ISyncMgrSyncItem.GetObject`);
//! - the enumerator follows the `IEnumXXXX` convention: `Next` hands out up to `celt` events
//!   and answers `S_FALSE` when it hands out fewer, `pceltFetched` may be NULL only when `celt`
//!   is 1, `Skip` answers `S_FALSE` when fewer were left, `Clone` starts at the same position
//!   (`event-store.enumerator-next`, `NN:syncmgr.IEnumSyncMgrEvents`).
//!
//! After adding events, a handler calls `ISyncMgrControl::UpdateEvents` so that Sync Center
//! shows them (`event-store.update-events`, `NN:syncmgr.ISyncMgrEventStore`): the list has no
//! connection to Sync Center. Every object counts as a live object of the module.

mod object;
mod store;

pub use object::{EventObject, event};
pub use store::{EventList, event_store};

use windows_core::{GUID, PWSTR, Result};

use crate::bindings::{FILETIME, ISyncMgrEvent, SYNCMGR_EVENT_FLAGS};
use crate::com::abi::take_co_task_wide;
use crate::skeletons::SyncmgrEventLevel;

/// One event of the Sync Results folder: the properties `ISyncMgrEvent` hands out
/// (`NN:syncmgr.ISyncMgrEvent`). It implements the
/// [`SyncMgrEvent`](crate::skeletons::SyncMgrEvent) skeleton, so [`event`] (or
/// [`Event::into_com`]) hands it out as an `ISyncMgrEvent`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// `GetEventID`: the event's unique ID.
    pub id: GUID,
    /// `GetHandlerID`: the handler the event belongs to.
    pub handler_id: String,
    /// `GetItemID`: the item the event belongs to (empty for the handler itself).
    pub item_id: String,
    /// `GetLevel`: information, warning or error.
    pub level: SyncmgrEventLevel,
    /// `GetFlags`: `SYNCMGR_EF_NONE` (the only value syncmgr.h defines).
    pub flags: SYNCMGR_EVENT_FLAGS,
    /// `GetTime`: when the event happened.
    pub time: FILETIME,
    /// `GetName`: the event's name.
    pub name: String,
    /// `GetDescription`: its description.
    pub description: String,
    /// `GetLinkText`: the text of its link (empty for none).
    pub link_text: String,
    /// `GetLinkReference`: the link's reference, a URL or what the handler's
    /// `EventLinkClick` operation understands (empty for none).
    pub link_reference: String,
    /// `GetContext`: the handler's own context string (empty for none).
    pub context: String,
}

impl Event {
    /// Reads every property of `event` through its vtable; the strings are freed with
    /// `CoTaskMemFree`. The event ID, level and name are required; a failing getter of any
    /// other property reads as empty (0 for the flags and the time).
    ///
    /// # Errors
    /// The failure of `GetEventID`, `GetLevel` or `GetName`; `E_INVALIDARG` for a level outside
    /// `SYNCMGR_EVENT_LEVEL` or a string that is not UTF-16.
    pub fn read(event: &ISyncMgrEvent) -> Result<Self> {
        let text = |value: Result<PWSTR>| -> Result<String> {
            match value {
                Ok(text) => unsafe { take_co_task_wide(text) },
                Err(_) => Ok(String::new()),
            }
        };
        unsafe {
            Ok(Self {
                id: event.GetEventID()?,
                handler_id: text(event.GetHandlerID())?,
                item_id: text(event.GetItemID())?,
                level: SyncmgrEventLevel::try_from(event.GetLevel()?)?,
                flags: event.GetFlags().unwrap_or_default(),
                time: event.GetTime().unwrap_or_default(),
                name: take_co_task_wide(event.GetName()?)?,
                description: text(event.GetDescription())?,
                link_text: text(event.GetLinkText())?,
                link_reference: text(event.GetLinkReference())?,
                context: text(event.GetContext())?,
            })
        }
    }
}
