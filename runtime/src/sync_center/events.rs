//! Sync Center events as plain Rust: [`Event`], what an `ISyncMgrEvent` says, read once.

use windows_core::{ComObject, GUID, PWSTR, Result, implement};

use crate::bindings::{
    FILETIME, ISyncMgrEvent, ISyncMgrEvent_Impl, SYNCMGR_EVENT_FLAGS, SYNCMGR_EVENT_LEVEL,
};
use crate::com::abi::{co_task_wide, take_co_task_wide};
use crate::com::object_count::ObjectGuard;
use crate::skeletons::SyncmgrEventLevel;

/// One event of the Sync Results folder: the properties `ISyncMgrEvent` hands out
/// (`NN:syncmgr.ISyncMgrEvent`).
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

impl Event {
    /// The event as an `ISyncMgrEvent` COM object: every getter answers this record's value
    /// (strings as `CoTaskMemAlloc` copies the caller frees).
    #[must_use]
    pub fn into_com(self) -> ISyncMgrEvent {
        ComObject::new(EventObject {
            event: self,
            _guard: ObjectGuard::new(),
        })
        .to_interface()
    }
}

/// An [`Event`] as `ISyncMgrEvent` (made by [`Event::into_com`]).
#[implement(ISyncMgrEvent)]
struct EventObject {
    event: Event,
    _guard: ObjectGuard,
}

impl ISyncMgrEvent_Impl for EventObject_Impl {
    fn GetEventID(&self) -> Result<GUID> {
        Ok(self.event.id)
    }
    fn GetHandlerID(&self) -> Result<PWSTR> {
        co_task_wide(&self.event.handler_id)
    }
    fn GetItemID(&self) -> Result<PWSTR> {
        co_task_wide(&self.event.item_id)
    }
    fn GetLevel(&self) -> Result<SYNCMGR_EVENT_LEVEL> {
        Ok(self.event.level.into())
    }
    fn GetFlags(&self) -> Result<SYNCMGR_EVENT_FLAGS> {
        Ok(self.event.flags)
    }
    fn GetTime(&self) -> Result<FILETIME> {
        Ok(self.event.time)
    }
    fn GetName(&self) -> Result<PWSTR> {
        co_task_wide(&self.event.name)
    }
    fn GetDescription(&self) -> Result<PWSTR> {
        co_task_wide(&self.event.description)
    }
    fn GetLinkText(&self) -> Result<PWSTR> {
        co_task_wide(&self.event.link_text)
    }
    fn GetLinkReference(&self) -> Result<PWSTR> {
        co_task_wide(&self.event.link_reference)
    }
    fn GetContext(&self) -> Result<PWSTR> {
        co_task_wide(&self.event.context)
    }
}
