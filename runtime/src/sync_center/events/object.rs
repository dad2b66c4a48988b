//! An event as an `ISyncMgrEvent` COM object: [`event`] over any
//! [`SyncMgrEvent`], and the [`Event`] record's own answers.

use windows_core::{ComObject, GUID, PWSTR, Result, implement};

use super::Event;
use crate::bindings::{
    FILETIME, ISyncMgrEvent, ISyncMgrEvent_Impl, SYNCMGR_EVENT_FLAGS, SYNCMGR_EVENT_LEVEL,
};
use crate::com::object_count::ObjectGuard;
use crate::skeletons::{SyncMgrEvent, SyncmgrEventLevel, sync_mgr_event_abi as abi};

/// A [`SyncMgrEvent`] as `ISyncMgrEvent` (made by [`event`]).
#[implement(ISyncMgrEvent)]
pub struct EventObject<T: SyncMgrEvent + 'static> {
    event: T,
    _guard: ObjectGuard,
}

/// `event` as the `ISyncMgrEvent` an event store hands out: its strings are `CoTaskMemAlloc`
/// copies (`event.strings.cotaskmem`), its level a valid `SYNCMGR_EVENT_LEVEL`
/// (`event.get-level.valid`), a panic in a getter is `E_UNEXPECTED`.
pub fn event<T: SyncMgrEvent + 'static>(event: T) -> ISyncMgrEvent {
    ComObject::new(EventObject {
        event,
        _guard: ObjectGuard::new(),
    })
    .to_interface()
}

impl Event {
    /// The event as an `ISyncMgrEvent` COM object ([`event`]).
    #[must_use]
    pub fn into_com(self) -> ISyncMgrEvent {
        event(self)
    }
}

impl SyncMgrEvent for Event {
    fn get_event_id(&self) -> Result<GUID> {
        Ok(self.id)
    }
    fn get_handler_id(&self) -> Result<String> {
        Ok(self.handler_id.clone())
    }
    fn get_item_id(&self) -> Result<String> {
        Ok(self.item_id.clone())
    }
    fn get_level(&self) -> Result<SyncmgrEventLevel> {
        Ok(self.level)
    }
    fn get_flags(&self) -> Result<SYNCMGR_EVENT_FLAGS> {
        Ok(self.flags)
    }
    fn get_time(&self) -> Result<FILETIME> {
        Ok(self.time)
    }
    fn get_name(&self) -> Result<String> {
        Ok(self.name.clone())
    }
    fn get_description(&self) -> Result<String> {
        Ok(self.description.clone())
    }
    fn get_link_text(&self) -> Result<String> {
        Ok(self.link_text.clone())
    }
    fn get_link_reference(&self) -> Result<String> {
        Ok(self.link_reference.clone())
    }
    fn get_context(&self) -> Result<String> {
        Ok(self.context.clone())
    }
}

impl<T: SyncMgrEvent + 'static> ISyncMgrEvent_Impl for EventObject_Impl<T> {
    fn GetEventID(&self) -> Result<GUID> {
        unsafe { abi::get_event_id(&self.event) }
    }
    fn GetHandlerID(&self) -> Result<PWSTR> {
        unsafe { abi::get_handler_id(&self.event) }
    }
    fn GetItemID(&self) -> Result<PWSTR> {
        unsafe { abi::get_item_id(&self.event) }
    }
    fn GetLevel(&self) -> Result<SYNCMGR_EVENT_LEVEL> {
        unsafe { abi::get_level(&self.event) }
    }
    fn GetFlags(&self) -> Result<SYNCMGR_EVENT_FLAGS> {
        unsafe { abi::get_flags(&self.event) }
    }
    fn GetTime(&self) -> Result<FILETIME> {
        unsafe { abi::get_time(&self.event) }
    }
    fn GetName(&self) -> Result<PWSTR> {
        unsafe { abi::get_name(&self.event) }
    }
    fn GetDescription(&self) -> Result<PWSTR> {
        unsafe { abi::get_description(&self.event) }
    }
    fn GetLinkText(&self) -> Result<PWSTR> {
        unsafe { abi::get_link_text(&self.event) }
    }
    fn GetLinkReference(&self) -> Result<PWSTR> {
        unsafe { abi::get_link_reference(&self.event) }
    }
    fn GetContext(&self) -> Result<PWSTR> {
        unsafe { abi::get_context(&self.event) }
    }
}
