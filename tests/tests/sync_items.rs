//! `winsync::sync_center::items` through the real COM vtables: a derived item-container handler whose
//! items are a `SyncItems` list, reached as Sync Center reaches it (QueryInterface from
//! `ISyncMgrHandler`), the item objects, the `IEnumSyncMgrSyncItems` enumerator, item info,
//! the id checks of `SyncItems::new` and the module's count of live objects.
// Test helpers fail loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use windows_core::{Error, HRESULT, IUnknown, Interface, PCWSTR, Result};
use winsync::bindings::{
    E_FAIL, E_INVALIDARG, E_NOTIMPL, E_POINTER, FILETIME, HWND, IEnumSyncMgrSyncItems,
    ISyncMgrHandler, ISyncMgrSessionCreator, ISyncMgrSyncItem, ISyncMgrSyncItemContainer,
    ISyncMgrSyncItemInfo, S_FALSE, S_OK, SYNCMGR_ICM_CAN_DELETE, SYNCMGR_ITEM_CAPABILITIES,
    SYNCMGR_ITEM_POLICIES,
};
use winsync::com::abi::{MAX_ID_CHARS, take_co_task_wide};
use winsync::skeletons::{
    SyncMgrHandler, SyncMgrSyncItem, SyncMgrSyncItemContainer, SyncMgrSyncItemInfo,
};
use winsync::sync_center::items::{SyncItems, sync_item_info};
use winsync::sync_center::names::MAX_NAME_CHARS;
use winsync::sync_center::server::object_count;

/// Every test here creates counted objects, and one reads the count: one test at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// An item whose id is `id`, or `id` with the number of earlier `get_item_id` calls appended
/// when `drifting` (an id that would change if anyone asked twice).
struct Item {
    id: String,
    name: String,
    comment: String,
    drifting: bool,
    id_calls: AtomicUsize,
}

fn item(id: &str) -> Item {
    Item {
        id: id.to_string(),
        name: format!("Item {id}"),
        comment: "a test item".into(),
        drifting: false,
        id_calls: AtomicUsize::new(0),
    }
}

impl SyncMgrSyncItem for Item {
    fn get_item_id(&self) -> Result<String> {
        let calls = self.id_calls.fetch_add(1, Ordering::SeqCst);
        if self.drifting {
            Ok(format!("{}-{calls}", self.id))
        } else {
            Ok(self.id.clone())
        }
    }
    fn get_name(&self) -> Result<String> {
        Ok(self.name.clone())
    }
    fn get_item_info(&self) -> Result<ISyncMgrSyncItemInfo> {
        Ok(sync_item_info(Info {
            enabled: self.id != "off",
            comment: self.comment.clone(),
        }))
    }
    fn get_object(
        &self,
        _: winsync::sync_center::objects::ObjectId,
    ) -> Result<Option<winsync::sync_center::objects::SyncMgrObject>> {
        Err(Error::from_hresult(E_NOTIMPL))
    }
    fn get_capabilities(&self) -> Result<SYNCMGR_ITEM_CAPABILITIES> {
        Ok(SYNCMGR_ICM_CAN_DELETE)
    }
    fn get_policies(&self) -> Result<SYNCMGR_ITEM_POLICIES> {
        Ok(SYNCMGR_ITEM_POLICIES::default())
    }
    fn enable(&self, _: bool) -> Result<()> {
        Ok(())
    }
    fn delete(&self) -> Result<()> {
        Ok(())
    }
}

struct Info {
    enabled: bool,
    comment: String,
}

impl SyncMgrSyncItemInfo for Info {
    fn get_type_label(&self) -> Result<String> {
        Ok("File".into())
    }
    fn get_comment(&self) -> Result<String> {
        Ok(self.comment.clone())
    }
    fn get_last_sync_time(&self) -> Result<FILETIME> {
        Err(Error::from_hresult(E_FAIL))
    }
    fn is_enabled(&self) -> Result<bool> {
        Ok(self.enabled)
    }
    fn is_connected(&self) -> Result<bool> {
        Ok(true)
    }
}

#[derive(winsync::SyncMgrHandler)]
#[sync_mgr_handler(item_container)]
struct Handler {
    items: SyncItems<Item>,
}

impl SyncMgrHandler for Handler {
    fn get_name(&self) -> Result<String> {
        Ok("items".into())
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

impl SyncMgrSyncItemContainer for Handler {
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

/// The container of a handler over `ids`, reached by QueryInterface as Sync Center does.
fn container(ids: &[&str]) -> ISyncMgrSyncItemContainer {
    let items = SyncItems::new(ids.iter().map(|id| item(id))).unwrap();
    let handler = ISyncMgrHandler::from(Handler { items });
    handler.cast().unwrap()
}

fn wide(text: &str) -> Vec<u16> {
    text.encode_utf16().chain(std::iter::once(0)).collect()
}

fn item_id(item: &ISyncMgrSyncItem) -> String {
    unsafe { take_co_task_wide(item.GetItemID().unwrap()) }.unwrap()
}

/// `Next` through the vtable with room for `celt` items: the HRESULT, the ids handed out
/// and what `pceltFetched` received.
fn next(items: &IEnumSyncMgrSyncItems, celt: u32) -> (HRESULT, Vec<String>, u32) {
    let mut slots: Vec<Option<ISyncMgrSyncItem>> = (0..celt).map(|_| None).collect();
    let mut fetched = u32::MAX;
    let hr = unsafe {
        (items.vtable().Next)(
            items.as_raw(),
            celt,
            slots.as_mut_ptr().cast(),
            &mut fetched,
        )
    };
    let ids = slots.iter().flatten().map(item_id).collect();
    (hr, ids, fetched)
}

#[test]
fn sync_center_reaches_the_items_through_the_handler() {
    let _serial = serial();
    let container = container(&["a", "b", "c"]);
    assert_eq!(unsafe { container.GetSyncItemCount() }.unwrap(), 3);

    let id = wide("b");
    let b = unsafe { container.GetSyncItem(PCWSTR(id.as_ptr())) }.unwrap();
    assert_eq!(item_id(&b), "b");
    let name = unsafe { take_co_task_wide(b.GetName().unwrap()) }.unwrap();
    assert_eq!(name, "Item b");
    assert_eq!(
        unsafe { b.GetCapabilities() }.unwrap(),
        SYNCMGR_ICM_CAN_DELETE
    );

    let unknown = wide("z");
    let error = unsafe { container.GetSyncItem(PCWSTR(unknown.as_ptr())) }.unwrap_err();
    assert_eq!(error.code(), E_INVALIDARG);
    let error = unsafe { container.GetSyncItem(PCWSTR::null()) }.unwrap_err();
    assert_eq!(error.code(), E_POINTER);

    // The count is what the enumerator yields.
    let items = unsafe { container.GetSyncItemEnumerator() }.unwrap();
    let mut seen = Vec::new();
    loop {
        let (hr, ids, fetched) = next(&items, 1);
        if hr == S_FALSE {
            assert_eq!((ids.len(), fetched), (0, 0));
            break;
        }
        assert_eq!((hr, fetched), (S_OK, 1));
        seen.extend(ids);
    }
    assert_eq!(seen, ["a", "b", "c"]);
}

#[test]
fn the_enumerator_follows_the_ienum_convention() {
    let _serial = serial();
    let container = container(&["a", "b", "c"]);
    let items = unsafe { container.GetSyncItemEnumerator() }.unwrap();

    assert_eq!(next(&items, 2), (S_OK, vec!["a".into(), "b".into()], 2));
    let copy = unsafe { items.Clone() }.unwrap();
    // Fewer than asked: S_FALSE with what there was.
    assert_eq!(next(&items, 5), (S_FALSE, vec!["c".into()], 1));
    assert_eq!(next(&items, 1), (S_FALSE, vec![], 0));
    // The clone started where the original was and moves on its own.
    assert_eq!(next(&copy, 1), (S_OK, vec!["c".into()], 1));

    unsafe { items.Reset() }.unwrap();
    assert_eq!(unsafe { items.Skip(2) }, S_OK);
    assert_eq!(unsafe { items.Skip(2) }, S_FALSE, "only one item was left");
    assert_eq!(next(&items, 1), (S_FALSE, vec![], 0));
    unsafe { items.Reset() }.unwrap();
    assert_eq!(next(&items, 0), (S_OK, vec![], 0));

    // pceltFetched may be NULL only for one item; rgelt never.
    let mut slots: [Option<ISyncMgrSyncItem>; 2] = [None, None];
    let raw = items.as_raw();
    let next_fn = items.vtable().Next;
    let hr = unsafe { next_fn(raw, 2, slots.as_mut_ptr().cast(), core::ptr::null_mut()) };
    assert_eq!(hr, E_INVALIDARG);
    let hr = unsafe { next_fn(raw, 1, slots.as_mut_ptr().cast(), core::ptr::null_mut()) };
    assert_eq!(hr, S_OK);
    assert_eq!(item_id(slots[0].as_ref().unwrap()), "a");
    let mut fetched = 0;
    let hr = unsafe { next_fn(raw, 1, core::ptr::null_mut(), &mut fetched) };
    assert_eq!(hr, E_POINTER);
}

#[test]
fn item_objects_answer_the_id_read_once() {
    let _serial = serial();
    let mut drifting = item("d");
    drifting.drifting = true;
    let items = SyncItems::new([drifting]).unwrap();
    assert_eq!(items.ids().collect::<Vec<_>>(), ["d-0"]);
    let object = items.get("d-0").unwrap();
    assert_eq!(item_id(&object), "d-0");
    assert_eq!(item_id(&object), "d-0");
    assert_eq!(
        items.item("d-0").unwrap().id_calls.load(Ordering::SeqCst),
        1,
        "the item's own get_item_id ran once, in SyncItems::new"
    );
}

#[test]
fn item_info_carries_s_false_and_com_strings() {
    let _serial = serial();
    let items = SyncItems::new([item("on"), item("off")]).unwrap();
    let on = unsafe { items.get("on").unwrap().GetItemInfo() }.unwrap();
    let off = unsafe { items.get("off").unwrap().GetItemInfo() }.unwrap();
    assert_eq!(unsafe { on.IsEnabled() }, S_OK);
    assert_eq!(unsafe { off.IsEnabled() }, S_FALSE);
    let label = unsafe { take_co_task_wide(on.GetTypeLabel().unwrap()) }.unwrap();
    assert_eq!(label, "File");
    assert_eq!(unsafe { on.GetLastSyncTime() }.unwrap_err().code(), E_FAIL);
}

/// `handler.sync-item.get-name.max-length`: an item's empty name, or one longer than
/// `MAX_SYNCMGR_NAME - 1` UTF-16 units, is refused through the item's vtable.
#[test]
fn item_names_are_not_empty_and_bounded() {
    let _serial = serial();
    let named = |name: &str| {
        let mut it = item("a");
        it.name = name.to_string();
        let items = SyncItems::new([it]).unwrap();
        let object = items.get("a").unwrap();
        unsafe { object.GetName() }
            .map(|n| unsafe { take_co_task_wide(n) }.unwrap())
            .map_err(|e| e.code())
    };
    let longest = "n".repeat(MAX_NAME_CHARS);
    assert_eq!(named(&longest), Ok(longest.clone()));
    assert_eq!(named(""), Err(E_INVALIDARG));
    assert_eq!(named(&format!("{longest}n")), Err(E_INVALIDARG));
}

/// `handler.sync-item-info.get-comment.max-length`: the item info's comment is at most
/// `MAX_SYNCMGR_NAME - 1` UTF-16 units; an empty comment is allowed.
#[test]
fn item_info_comments_are_bounded() {
    let _serial = serial();
    let commented = |comment: &str| {
        let mut it = item("a");
        it.comment = comment.to_string();
        let items = SyncItems::new([it]).unwrap();
        let info = unsafe { items.get("a").unwrap().GetItemInfo() }.unwrap();
        unsafe { info.GetComment() }
            .map(|c| unsafe { take_co_task_wide(c) }.unwrap())
            .map_err(|e| e.code())
    };
    let longest = "c".repeat(MAX_NAME_CHARS);
    assert_eq!(commented(&longest), Ok(longest.clone()));
    assert_eq!(commented(""), Ok(String::new()));
    assert_eq!(commented(&format!("{longest}c")), Err(E_INVALIDARG));
}

#[test]
fn lists_with_unusable_ids_are_refused() {
    let _serial = serial();
    let error = SyncItems::new([item("a"), item("")]).unwrap_err();
    assert_eq!(error.code(), E_INVALIDARG);

    let error = SyncItems::new([item("a"), item("b"), item("a")]).unwrap_err();
    assert_eq!(error.code(), E_INVALIDARG);

    let longest = "x".repeat(MAX_ID_CHARS);
    assert!(SyncItems::new([item(&longest)]).is_ok());
    let error = SyncItems::new([item(&format!("{longest}x"))]).unwrap_err();
    assert_eq!(error.code(), E_INVALIDARG);

    struct Failing;
    impl SyncMgrSyncItem for Failing {
        fn get_item_id(&self) -> Result<String> {
            Err(Error::from_hresult(E_FAIL))
        }
        fn get_name(&self) -> Result<String> {
            unreachable!("never asked")
        }
        fn get_item_info(&self) -> Result<ISyncMgrSyncItemInfo> {
            unreachable!("never asked")
        }
        fn get_object(
            &self,
            _: winsync::sync_center::objects::ObjectId,
        ) -> Result<Option<winsync::sync_center::objects::SyncMgrObject>> {
            unreachable!("never asked")
        }
        fn get_capabilities(&self) -> Result<SYNCMGR_ITEM_CAPABILITIES> {
            unreachable!("never asked")
        }
        fn get_policies(&self) -> Result<SYNCMGR_ITEM_POLICIES> {
            unreachable!("never asked")
        }
        fn enable(&self, _: bool) -> Result<()> {
            unreachable!("never asked")
        }
        fn delete(&self) -> Result<()> {
            unreachable!("never asked")
        }
    }
    assert_eq!(SyncItems::new([Failing]).unwrap_err().code(), E_FAIL);
    assert!(SyncItems::<Item>::new([]).unwrap().is_empty());
}

#[test]
fn every_object_counts_until_released() {
    let _serial = serial();
    assert_eq!(object_count(), 0);
    let container = container(&["a", "b"]);
    assert_eq!(object_count(), 1, "the handler object");
    let items = unsafe { container.GetSyncItemEnumerator() }.unwrap();
    let (_, _, _) = next(&items, 1);
    let a = wide("a");
    let item = unsafe { container.GetSyncItem(PCWSTR(a.as_ptr())) }.unwrap();
    let info = unsafe { item.GetItemInfo() }.unwrap();
    assert_eq!(object_count(), 4, "handler, enumerator, item, item info");
    drop(container);
    assert_eq!(
        object_count(),
        3,
        "the enumerator and the item outlive the handler"
    );
    drop((items, item, info));
    assert_eq!(object_count(), 0);
}
