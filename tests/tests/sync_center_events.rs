//! The events of `winsync::sync_center::events` through the real `ISyncMgrEventStore`,
//! `IEnumSyncMgrEvents` and `ISyncMgrEvent` vtables: unique IDs, `GetEvent` (unknown IDs,
//! the event's own ID, `ppEvent` NULL after a failure), the count against the enumerator, the
//! `IEnumXXXX` convention with S_FALSE kept, `RemoveEvent`'s array, an item's store holding its
//! events only, a served store's checks, panics contained, and the store as a handler's
//! `GetObject` answer.
// Test helpers fail loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use windows_core::{GUID, HRESULT, IUnknown, Interface, Result};
use winsync::DerivedHandler;
use winsync::bindings::{
    E_INVALIDARG, E_POINTER, E_UNEXPECTED, FILETIME, HWND, IEnumSyncMgrEvents, ISyncMgrEvent,
    ISyncMgrEventStore, ISyncMgrHandler, ISyncMgrSessionCreator, S_FALSE, S_OK,
    SYNCMGR_OBJECTID_EventStore,
};
use winsync::skeletons::{SyncMgrEventStore, SyncMgrHandler, SyncmgrEventLevel};
use winsync::sync_center::events::{Event, EventList, event_store};
use winsync::sync_center::objects::{ObjectId, SyncMgrObject};

fn event(id: u128, item: &str) -> Event {
    Event {
        id: GUID::from_u128(id),
        handler_id: "handler".into(),
        item_id: item.into(),
        level: SyncmgrEventLevel::Error,
        flags: 0,
        time: FILETIME {
            dwLowDateTime: 1,
            dwHighDateTime: 2,
        },
        name: format!("event {id}"),
        description: "what happened".into(),
        link_text: String::new(),
        link_reference: String::new(),
        context: "ctx".into(),
    }
}

/// A list of three events: 1 and 2 of item `a`, 3 of the handler itself.
fn three() -> EventList {
    let list = EventList::new();
    list.add(event(1, "a")).unwrap();
    list.add(event(2, "a")).unwrap();
    list.add(event(3, "")).unwrap();
    list
}

/// Every event the store's enumerator hands out, one `Next(1)` at a time, until S_FALSE.
fn enumerate(store: &ISyncMgrEventStore) -> Vec<Event> {
    let events = unsafe { store.GetEventEnumerator() }.unwrap();
    let mut out = Vec::new();
    loop {
        let mut slot: [Option<ISyncMgrEvent>; 1] = [None];
        let mut fetched = 7u32;
        let code = unsafe { events.Next(1, slot.as_mut_ptr(), &mut fetched) };
        if code == S_FALSE {
            assert_eq!(fetched, 0);
            assert!(slot[0].is_none());
            return out;
        }
        assert_eq!((code, fetched), (S_OK, 1));
        out.push(Event::read(slot[0].as_ref().unwrap()).unwrap());
    }
}

fn get_event(store: &ISyncMgrEventStore, id: u128) -> (HRESULT, Option<Event>) {
    let mut ppv = std::ptr::NonNull::<u8>::dangling().as_ptr().cast();
    let code = unsafe { (store.vtable().GetEvent)(store.as_raw(), &GUID::from_u128(id), &mut ppv) };
    let event = (!ppv.is_null()).then(|| {
        let event = unsafe { ISyncMgrEvent::from_raw(ppv) };
        Event::read(&event).unwrap()
    });
    (code, event)
}

/// `event-store.unique-ids`: a second event with a known ID is refused.
#[test]
fn an_event_list_refuses_a_known_id() {
    let list = three();
    assert_eq!(list.add(event(2, "b")).unwrap_err().code(), E_INVALIDARG);
    assert_eq!(list.len(), 3);
}

/// `event-store.count-matches-enumerator`, `event-store.get-event.unknown-id`: the handler's
/// store enumerates every event in order, counts them, gets each by ID and refuses an ID it
/// does not hold with `ppEvent` NULL.
#[test]
fn the_handler_store_enumerates_counts_and_gets_every_event() {
    let list = three();
    let store = list.store();
    let events = enumerate(&store);
    assert_eq!(events, [event(1, "a"), event(2, "a"), event(3, "")]);
    assert_eq!(unsafe { store.GetEventCount() }.unwrap(), 3);
    assert_eq!(get_event(&store, 2), (S_OK, Some(event(2, "a"))));
    assert_eq!(get_event(&store, 9), (E_INVALIDARG, None));
}

/// `event-store.item-scope`: an item's store holds that item's events only, and removes only
/// those.
#[test]
fn an_item_store_holds_its_own_events() {
    let list = three();
    let store = list.item_store("a");
    assert_eq!(enumerate(&store), [event(1, "a"), event(2, "a")]);
    assert_eq!(unsafe { store.GetEventCount() }.unwrap(), 2);
    assert_eq!(get_event(&store, 3), (E_INVALIDARG, None));
    unsafe { store.RemoveEvent(&[GUID::from_u128(1), GUID::from_u128(3)]) }.unwrap();
    assert_eq!(list.events(), [event(2, "a"), event(3, "")]);
    let other = list.item_store("b");
    assert_eq!(unsafe { other.GetEventCount() }.unwrap(), 0);
}

/// `event-store.remove-event.ids`: the IDs are read as one array; NULL with a count is
/// E_POINTER; unknown IDs are ignored.
#[test]
fn remove_event_reads_its_array() {
    let list = three();
    let store = list.store();
    let remove = |ids: *const GUID, count: u32| unsafe {
        (store.vtable().RemoveEvent)(store.as_raw(), ids, count)
    };
    assert_eq!(remove(std::ptr::null(), 2), E_POINTER);
    assert_eq!(remove(std::ptr::null(), 0), S_OK);
    assert_eq!(list.len(), 3);
    let ids = [GUID::from_u128(3), GUID::from_u128(42), GUID::from_u128(1)];
    assert_eq!(remove(ids.as_ptr(), 3), S_OK);
    assert_eq!(list.events(), [event(2, "a")]);
}

/// `event-store.enumerator-next`: `Next` answers S_FALSE when it hands out fewer than asked,
/// refuses a NULL count for more than one, `Skip` answers S_FALSE past the end, `Clone`
/// starts at the same position, `Reset` at the start.
#[test]
fn the_enumerator_follows_the_ienum_convention() {
    let list = three();
    let events: IEnumSyncMgrEvents = unsafe { list.store().GetEventEnumerator() }.unwrap();
    let next = |events: &IEnumSyncMgrEvents, celt: usize, fetched: Option<&mut u32>| {
        let mut slots: Vec<Option<ISyncMgrEvent>> = vec![None; celt];
        let code = unsafe {
            (events.vtable().Next)(
                events.as_raw(),
                u32::try_from(celt).unwrap(),
                slots.as_mut_ptr().cast(),
                fetched.map_or(std::ptr::null_mut(), |f| f as *mut u32),
            )
        };
        (code, slots.iter().flatten().count())
    };
    assert_eq!(next(&events, 2, None), (E_INVALIDARG, 0));
    let mut fetched = 0;
    assert_eq!(next(&events, 2, Some(&mut fetched)), (S_OK, 2));
    assert_eq!(fetched, 2);
    let copy = unsafe { events.Clone() }.unwrap();
    assert_eq!(next(&events, 2, Some(&mut fetched)), (S_FALSE, 1));
    assert_eq!(fetched, 1);
    assert_eq!(
        next(&copy, 1, None),
        (S_OK, 1),
        "the clone kept the position"
    );
    assert_eq!(unsafe { copy.Skip(1) }, S_FALSE);
    unsafe { events.Reset() }.unwrap();
    assert_eq!(unsafe { events.Skip(3) }, S_OK);
    assert_eq!(next(&events, 1, None), (S_FALSE, 0));
}

/// A hand-written store served with `event_store`: an event that answers another ID than the
/// requested one is E_UNEXPECTED with `ppEvent` NULL (`event-store.get-event.same-id`); a panic
/// is E_UNEXPECTED, not an unwind across COM.
#[test]
fn a_served_store_hands_out_the_requested_event_only() {
    struct Careless;
    impl SyncMgrEventStore for Careless {
        fn get_event_enumerator(&self) -> Result<IEnumSyncMgrEvents> {
            unsafe { EventList::new().store().GetEventEnumerator() }
        }
        fn get_event_count(&self) -> Result<u32> {
            panic!("a bug in the store")
        }
        fn get_event(&self, _: &GUID) -> Result<ISyncMgrEvent> {
            Ok(event(5, "").into_com())
        }
        fn remove_event(&self, _: &[GUID]) -> Result<()> {
            Ok(())
        }
    }
    let store = event_store(Careless);
    assert_eq!(get_event(&store, 5), (S_OK, Some(event(5, ""))));
    assert_eq!(get_event(&store, 6), (E_UNEXPECTED, None));
    let mut count = 9u32;
    let code = unsafe { (store.vtable().GetEventCount)(store.as_raw(), &mut count) };
    assert_eq!(code, E_UNEXPECTED);
}

/// The store as a handler's typed `GetObject` answer for `EventStore`.
#[test]
fn a_handler_hands_out_its_event_store() {
    #[derive(winsync::SyncMgrHandler)]
    struct Keeper(EventList);
    impl SyncMgrHandler for Keeper {
        fn get_object(&self, object_id: ObjectId) -> Result<Option<SyncMgrObject>> {
            Ok((object_id == ObjectId::EventStore).then(|| self.0.store().into()))
        }
        fn synchronize(
            &self,
            _: &[String],
            _: HWND,
            _: &ISyncMgrSessionCreator,
            _: Option<&IUnknown>,
        ) -> Result<()> {
            Ok(())
        }
    }
    let list = three();
    let handler: ISyncMgrHandler = Keeper(list.clone()).into_handler();
    let mut ppv = std::ptr::null_mut();
    let code = unsafe {
        (handler.vtable().GetObject)(
            handler.as_raw(),
            &SYNCMGR_OBJECTID_EventStore,
            &ISyncMgrEventStore::IID,
            &mut ppv,
        )
    };
    assert_eq!(code, S_OK);
    let store = unsafe { ISyncMgrEventStore::from_raw(ppv) };
    assert_eq!(unsafe { store.GetEventCount() }.unwrap(), 3);
    list.add(event(4, "")).unwrap();
    assert_eq!(
        unsafe { store.GetEventCount() }.unwrap(),
        4,
        "a view, not a copy"
    );
}
