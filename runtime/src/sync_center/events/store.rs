//! [`EventList`], a handler's own list of events, its `ISyncMgrEventStore` views (the
//! handler's, an item's) and their `IEnumSyncMgrEvents`; [`event_store`] serves any
//! [`SyncMgrEventStore`] with the same checks (see the module docs of
//! [`crate::sync_center::events`]).

use std::sync::{Arc, Mutex, PoisonError};

use windows_core::{ComObject, Error, GUID, HRESULT, Result, implement};

use super::Event;
use crate::bindings::{
    E_UNEXPECTED, IEnumSyncMgrEvents, IEnumSyncMgrEvents_Impl, ISyncMgrEvent, ISyncMgrEventStore,
    ISyncMgrEventStore_Impl,
};
use crate::com::abi;
use crate::com::object_count::ObjectGuard;
use crate::contracts as rules;
use crate::skeletons::{SyncMgrEventStore, sync_mgr_event_store_abi as abi_s};
use crate::sync_center::enumerators::List;

/// A handler's own events, shared: clones are handles to the same list, so that the handler
/// can add events during `synchronize` while Sync Center holds the stores made from it.
///
/// ```ignore
/// let events = EventList::new();
/// events.add(Event { id, level: SyncmgrEventLevel::Warning, name: "Disk almost full".into(), .. })?;
/// // in get_object:
/// ObjectId::EventStore => Some(events.store().into()),
/// ```
#[derive(Clone, Debug, Default)]
pub struct EventList {
    events: Arc<Mutex<Vec<Event>>>,
}

impl EventList {
    /// An empty list.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Event>> {
        self.events.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds `event` at the end.
    ///
    /// # Errors
    /// `E_INVALIDARG` when the list already holds an event with its ID: `GetEvent` finds events
    /// by ID (`event-store.unique-ids`, `NF:syncmgr.ISyncMgrEventStore.GetEvent`).
    pub fn add(&self, event: Event) -> Result<()> {
        let mut events = self.lock();
        if events.iter().any(|known| known.id == event.id) {
            return Err(abi::invalid_arg(format_args!(
                "the list already holds an event {:?}: {}",
                event.id,
                rules::EVENT_STORE_UNIQUE_IDS
            )));
        }
        events.push(event);
        Ok(())
    }

    /// Removes the events with these IDs; returns how many it removed.
    pub fn remove(&self, ids: &[GUID]) -> usize {
        self.remove_where(|event| ids.contains(&event.id))
    }

    fn remove_where(&self, remove: impl Fn(&Event) -> bool) -> usize {
        let mut events = self.lock();
        let before = events.len();
        events.retain(|event| !remove(event));
        before - events.len()
    }

    /// The events, in the order they were added.
    #[must_use]
    pub fn events(&self) -> Vec<Event> {
        self.lock().clone()
    }

    /// How many events the list holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether the list holds no event.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// The handler's event store: every event of the list (the handler's and its items',
    /// `event-store.item-scope`), for `GetObject(ObjectId::EventStore)` on the handler.
    #[must_use]
    pub fn store(&self) -> ISyncMgrEventStore {
        event_store(View {
            list: self.clone(),
            item: None,
        })
    }

    /// An item's event store: only the events whose `item_id` is `item_id`
    /// (`event-store.item-scope`, `NF:syncmgr.ISyncMgrSyncItem.GetObject`), for
    /// `GetObject(ObjectId::EventStore)` on the item; `RemoveEvent` through it removes only
    /// those.
    #[must_use]
    pub fn item_store(&self, item_id: &str) -> ISyncMgrEventStore {
        event_store(View {
            list: self.clone(),
            item: Some(item_id.to_string()),
        })
    }
}

/// A store's view of a list: every event, or one item's.
struct View {
    list: EventList,
    item: Option<String>,
}

impl View {
    fn selects(&self, event: &Event) -> bool {
        self.item.as_ref().is_none_or(|item| *item == event.item_id)
    }

    fn selected(&self) -> Vec<Event> {
        self.list
            .lock()
            .iter()
            .filter(|event| self.selects(event))
            .cloned()
            .collect()
    }
}

impl SyncMgrEventStore for View {
    fn get_event_enumerator(&self) -> Result<IEnumSyncMgrEvents> {
        Ok(enumerator(self.selected().into(), 0))
    }
    fn get_event_count(&self) -> Result<u32> {
        // The enumerator made now hands out exactly these (`event-store.count-matches-enumerator`).
        u32::try_from(self.selected().len())
            .map_err(|_| abi::invalid_arg("more than u32::MAX events"))
    }
    fn get_event(&self, event_id: &GUID) -> Result<ISyncMgrEvent> {
        self.selected()
            .into_iter()
            .find(|event| event.id == *event_id)
            .map(Event::into_com)
            .ok_or_else(|| {
                abi::invalid_arg(format_args!(
                    "the store holds no event {event_id:?}: {}",
                    rules::EVENT_STORE_GET_EVENT_UNKNOWN_ID
                ))
            })
    }
    fn remove_event(&self, event_ids: &[GUID]) -> Result<()> {
        self.list
            .remove_where(|event| self.selects(event) && event_ids.contains(&event.id));
        Ok(())
    }
}

/// `store` as the `ISyncMgrEventStore` of
/// [`SyncMgrObject::EventStore`](crate::sync_center::objects::SyncMgrObject::EventStore): the
/// event `GetEvent` hands out must answer the requested ID (`E_UNEXPECTED` otherwise,
/// `event-store.get-event.same-id`), and the generated adapters read `RemoveEvent`'s IDs as
/// one slice and contain panics.
pub fn event_store<T: SyncMgrEventStore + 'static>(store: T) -> ISyncMgrEventStore {
    ComObject::new(StoreObject {
        store,
        _guard: ObjectGuard::new(),
    })
    .to_interface()
}

/// A served event store.
#[implement(ISyncMgrEventStore)]
struct StoreObject<T: SyncMgrEventStore + 'static> {
    store: T,
    _guard: ObjectGuard,
}

/// The checks of [`event_store`] around a store.
struct Checked<'a, T>(&'a T);

impl<T: SyncMgrEventStore> SyncMgrEventStore for Checked<'_, T> {
    fn get_event_enumerator(&self) -> Result<IEnumSyncMgrEvents> {
        self.0.get_event_enumerator()
    }
    fn get_event_count(&self) -> Result<u32> {
        self.0.get_event_count()
    }
    fn get_event(&self, event_id: &GUID) -> Result<ISyncMgrEvent> {
        let event = self.0.get_event(event_id)?;
        let answered = unsafe { event.GetEventID() }?;
        if answered != *event_id {
            return Err(Error::new(
                E_UNEXPECTED,
                format!(
                    "GetEvent({event_id:?}) handed out the event {answered:?}: {}",
                    rules::EVENT_STORE_GET_EVENT_SAME_ID
                ),
            ));
        }
        Ok(event)
    }
    fn remove_event(&self, event_ids: &[GUID]) -> Result<()> {
        self.0.remove_event(event_ids)
    }
}

impl<T: SyncMgrEventStore + 'static> ISyncMgrEventStore_Impl for StoreObject_Impl<T> {
    fn GetEventEnumerator(&self) -> Result<IEnumSyncMgrEvents> {
        unsafe { abi_s::get_event_enumerator(&Checked(&self.store)) }
    }
    fn GetEventCount(&self) -> Result<u32> {
        unsafe { abi_s::get_event_count(&Checked(&self.store)) }
    }
    fn GetEvent(&self, rguideventid: *const GUID) -> Result<ISyncMgrEvent> {
        unsafe { abi_s::get_event(&Checked(&self.store), rguideventid) }
    }
    fn RemoveEvent(&self, pguideventids: *const GUID, cevents: u32) -> Result<()> {
        unsafe { abi_s::remove_event(&Checked(&self.store), pguideventids, cevents) }
    }
}

/// An `IEnumSyncMgrEvents` over `events`, from `position`.
fn enumerator(events: Arc<[Event]>, position: usize) -> IEnumSyncMgrEvents {
    ComObject::new(EventEnumerator(List::new(events, position))).to_interface()
}

#[implement(IEnumSyncMgrEvents)]
struct EventEnumerator(List<Event>);

impl IEnumSyncMgrEvents_Impl for EventEnumerator_Impl {
    fn Next(
        &self,
        celt: u32,
        rgelt: *mut Option<ISyncMgrEvent>,
        pceltfetched: *mut u32,
    ) -> HRESULT {
        // SAFETY: forwarded from the COM caller (`celt` writable slots, a writable count or
        // NULL).
        unsafe {
            self.0.next(
                celt,
                rgelt,
                pceltfetched,
                |event| Ok(Some(event.clone().into_com())),
                drop,
                || None,
            )
        }
    }
    fn Skip(&self, celt: u32) -> HRESULT {
        self.0.advance(celt).1
    }
    fn Reset(&self) -> Result<()> {
        self.0.reset();
        Ok(())
    }
    fn Clone(&self) -> Result<IEnumSyncMgrEvents> {
        Ok(ComObject::new(EventEnumerator(self.0.copy())).to_interface())
    }
}
