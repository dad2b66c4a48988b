//! The conflicts of `winsync::sync_center::conflicts` through the real
//! `ISyncMgrConflictStore`, `IEnumSyncMgrConflict`, `ISyncMgrConflict` and
//! `ISyncMgrResolutionHandler` vtables: the scope of `EnumConflicts` and `GetCount` (NULL and
//! empty IDs ignored), unique IDs, `BindToConflict` (unknown IDs, `riid`, `ppv` NULL after a
//! failure), the ID a listed conflict answers, resolved conflicts kept, `RemoveConflicts`, an
//! item's store, `GetResolutionHandler`, the abilities mask, the store as a `GetObject`
//! answer, and `SetItemChoices`'s array reaching the `SyncMgrConflictResolveInfo` skeleton whole.
// Test helpers fail loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use windows_core::{GUID, HRESULT, IUnknown, Interface, PCWSTR, Result, implement, w};
use winsync::DerivedHandler;
use winsync::bindings::{
    BYTE_BLOB, E_INVALIDARG, E_NOINTERFACE, E_NOTIMPL, E_POINTER, HWND, IShellItem,
    ISyncMgrConflict, ISyncMgrConflictResolutionItems, ISyncMgrConflictResolveInfo,
    ISyncMgrConflictResolveInfo_Impl, ISyncMgrConflictStore, ISyncMgrEventStore, ISyncMgrHandler,
    ISyncMgrResolutionHandler, ISyncMgrSessionCreator, S_OK, SYNCMGR_CONFLICT_ID_INFO,
    SYNCMGR_OBJECTID_ConflictStore, SYNCMGR_PRESENTER_CHOICE, SYNCMGR_PRESENTER_NEXT_STEP,
    SYNCMGR_RA_KEEPRECENT, SYNCMGR_RESOLUTION_FEEDBACK, SYNCMGR_RF_CONTINUE,
};
use winsync::com::abi::co_task_free;
use winsync::skeletons::{
    SyncMgrConflict, SyncMgrConflictResolveInfo, SyncMgrHandler, SyncMgrResolutionHandler,
    sync_mgr_conflict_resolve_info_abi as info_abi,
};
use winsync::sync_center::conflicts::{
    ConflictList, blob_bytes, co_task_blob, conflict_id, resolution_handler,
};
use winsync::sync_center::objects::{ObjectId, SyncMgrObject};

static RESOLVED: AtomicUsize = AtomicUsize::new(0);

/// A conflict that counts its resolutions and hands out a resolution handler.
struct Versions;

impl SyncMgrConflict for Versions {
    fn resolve(&self, _: &ISyncMgrConflictResolveInfo) -> Result<()> {
        RESOLVED.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
    fn get_resolution_handler(&self) -> Result<IUnknown> {
        Ok(resolution_handler(Abilities(SYNCMGR_RA_KEEPRECENT.cast_unsigned())).into())
    }
}

struct Abilities(u32);

impl SyncMgrResolutionHandler for Abilities {
    fn query_abilities(&self) -> Result<u32> {
        Ok(self.0)
    }
    fn keep_other(&self, _: &IShellItem) -> Result<SYNCMGR_RESOLUTION_FEEDBACK> {
        Err(E_NOTIMPL.into())
    }
    fn keep_recent(&self) -> Result<SYNCMGR_RESOLUTION_FEEDBACK> {
        Ok(SYNCMGR_RF_CONTINUE)
    }
    fn remove_from_sync_set(&self) -> Result<SYNCMGR_RESOLUTION_FEEDBACK> {
        Err(E_NOTIMPL.into())
    }
    fn keep_items(
        &self,
        _: &ISyncMgrConflictResolutionItems,
    ) -> Result<SYNCMGR_RESOLUTION_FEEDBACK> {
        Err(E_NOTIMPL.into())
    }
}

/// Conflicts `a1`, `a2` (handler `h`, item `a`), `b1` (handler `h`, item `b`), `x1` (handler
/// `x`, no item).
fn four() -> ConflictList<Versions> {
    let list = ConflictList::new();
    list.add(*b"a1", "h", "a", Versions).unwrap();
    list.add(*b"a2", "h", "a", Versions).unwrap();
    list.add(*b"b1", "h", "b", Versions).unwrap();
    list.add(*b"x1", "x", "", Versions).unwrap();
    list
}

/// An ID info the caller owns (its blob freed on drop).
struct IdInfo(SYNCMGR_CONFLICT_ID_INFO);

impl IdInfo {
    fn new(id: &[u8]) -> Self {
        Self(SYNCMGR_CONFLICT_ID_INFO {
            pblobID: co_task_blob(id).unwrap(),
            pblobExtra: std::ptr::null_mut(),
        })
    }
}

impl Drop for IdInfo {
    fn drop(&mut self) {
        unsafe { co_task_free(self.0.pblobID.cast()) };
    }
}

/// The IDs `EnumConflicts(handler, item)` hands out, one `Next(1)` at a time.
fn enumerate(store: &ISyncMgrConflictStore, handler: PCWSTR, item: PCWSTR) -> Vec<Vec<u8>> {
    let conflicts = unsafe { store.EnumConflicts(handler, item) }.unwrap();
    let mut ids = Vec::new();
    loop {
        let mut slot: [Option<ISyncMgrConflict>; 1] = [None];
        let mut fetched = 0;
        if unsafe { conflicts.Next(1, slot.as_mut_ptr(), &mut fetched) } != S_OK {
            assert_eq!(fetched, 0);
            return ids;
        }
        ids.push(listed_id(slot[0].as_ref().unwrap()));
    }
}

/// A conflict's `GetConflictIdInfo` ID, its blob freed.
fn listed_id(conflict: &ISyncMgrConflict) -> Vec<u8> {
    let info = unsafe { conflict.GetConflictIdInfo() }.unwrap();
    let id = unsafe { conflict_id(&info) }.unwrap();
    assert!(info.pblobExtra.is_null());
    unsafe { co_task_free(info.pblobID.cast()) };
    id
}

fn count(store: &ISyncMgrConflictStore, handler: PCWSTR, item: PCWSTR) -> u32 {
    unsafe { store.GetCount(handler, item) }.unwrap()
}

fn bind(store: &ISyncMgrConflictStore, id: &[u8], riid: &GUID) -> (HRESULT, Option<IUnknown>) {
    let info = IdInfo::new(id);
    let mut ppv = std::ptr::NonNull::<u8>::dangling().as_ptr().cast();
    let code = unsafe { (store.vtable().BindToConflict)(store.as_raw(), &info.0, riid, &mut ppv) };
    (
        code,
        (!ppv.is_null()).then(|| unsafe { IUnknown::from_raw(ppv) }),
    )
}

/// `conflict-store.unique-ids`: an empty ID and a known one are refused.
#[test]
fn a_conflict_list_refuses_empty_and_known_ids() {
    let list = four();
    assert_eq!(
        list.add(Vec::new(), "h", "", Versions).unwrap_err().code(),
        E_INVALIDARG
    );
    assert_eq!(
        list.add(*b"a2", "h", "b", Versions).unwrap_err().code(),
        E_INVALIDARG
    );
    assert_eq!(list.len(), 4);
}

/// `conflict-store.enum-conflicts.null-ignored`, `.scope`,
/// `conflict-store.get-count.matches-enumerator`: NULL and empty IDs filter nothing, given IDs
/// filter, and the count is what the enumerator hands out.
#[test]
fn enum_conflicts_and_get_count_share_their_scope() {
    let store = four().store();
    let none = PCWSTR::null();
    for (handler, item, expected) in [
        (none, none, vec![&b"a1"[..], b"a2", b"b1", b"x1"]),
        (w!(""), w!(""), vec![b"a1", b"a2", b"b1", b"x1"]),
        (w!("h"), none, vec![b"a1", b"a2", b"b1"]),
        (none, w!("a"), vec![b"a1", b"a2"]),
        (w!("h"), w!("b"), vec![b"b1"]),
        (w!("x"), w!("a"), vec![]),
    ] {
        let ids = enumerate(&store, handler, item);
        assert_eq!(ids, expected);
        assert_eq!(count(&store, handler, item) as usize, expected.len());
    }
}

/// `conflict-store.bind-to-conflict.known-id`, `.riid`,
/// `conflict.get-conflict-id-info.from-list`: a listed ID binds to the conflict (which answers
/// that ID), an unknown ID is E_INVALIDARG, an interface the conflict lacks E_NOINTERFACE, a
/// NULL ID blob E_POINTER, `ppv` NULL after each failure.
#[test]
fn bind_to_conflict_finds_listed_ids_only() {
    let store = four().store();
    let (code, conflict) = bind(&store, b"b1", &ISyncMgrConflict::IID);
    assert_eq!(code, S_OK);
    let conflict: ISyncMgrConflict = conflict.unwrap().cast().unwrap();
    assert_eq!(listed_id(&conflict), b"b1");
    assert_eq!(
        bind(&store, b"zz", &ISyncMgrConflict::IID),
        (E_INVALIDARG, None)
    );
    assert_eq!(
        bind(&store, b"a1", &ISyncMgrEventStore::IID),
        (E_NOINTERFACE, None)
    );
    let empty = SYNCMGR_CONFLICT_ID_INFO::default();
    let mut ppv = std::ptr::NonNull::<u8>::dangling().as_ptr().cast();
    let code = unsafe {
        (store.vtable().BindToConflict)(store.as_raw(), &empty, &IUnknown::IID, &mut ppv)
    };
    assert_eq!((code, ppv.is_null()), (E_POINTER, true));
}

/// `conflict-store.nothing-assumed`: a resolved conflict stays listed; `RemoveConflicts`
/// removes it (a NULL array with a count is E_POINTER).
#[test]
fn resolved_conflicts_stay_until_removed() {
    let list = four();
    let store = list.store();
    let (_, conflict) = bind(&store, b"a1", &ISyncMgrConflict::IID);
    let conflict: ISyncMgrConflict = conflict.unwrap().cast().unwrap();
    let info: ISyncMgrConflictResolveInfo = Choice::default().into();
    let before = RESOLVED.load(Ordering::SeqCst);
    unsafe { conflict.Resolve(&info) }.unwrap();
    assert!(RESOLVED.load(Ordering::SeqCst) > before);
    assert_eq!(list.len(), 4);
    let remove = |infos: *const SYNCMGR_CONFLICT_ID_INFO, count: u32| unsafe {
        (store.vtable().RemoveConflicts)(store.as_raw(), infos, count)
    };
    assert_eq!(remove(std::ptr::null(), 1), E_POINTER);
    let infos = [IdInfo::new(b"a1"), IdInfo::new(b"x1"), IdInfo::new(b"none")];
    let raw: Vec<SYNCMGR_CONFLICT_ID_INFO> = infos.iter().map(|i| i.0).collect();
    assert_eq!(remove(raw.as_ptr(), 3), S_OK);
    assert_eq!(list.ids(), [b"a2".to_vec(), b"b1".to_vec()]);
}

/// An item's store holds that item's conflicts only and removes only those.
#[test]
fn an_item_store_holds_its_own_conflicts() {
    let list = four();
    let store = list.item_store("a");
    assert_eq!(
        enumerate(&store, PCWSTR::null(), PCWSTR::null()),
        [b"a1", b"a2"]
    );
    assert_eq!(count(&store, w!("h"), PCWSTR::null()), 2);
    assert_eq!(bind(&store, b"b1", &IUnknown::IID).0, E_INVALIDARG);
    let infos = [IdInfo::new(b"b1"), IdInfo::new(b"a2")];
    let raw: Vec<SYNCMGR_CONFLICT_ID_INFO> = infos.iter().map(|i| i.0).collect();
    unsafe { store.RemoveConflicts(&raw) }.unwrap();
    assert_eq!(list.ids(), [b"a1".to_vec(), b"b1".to_vec(), b"x1".to_vec()]);
}

/// `conflict.get-resolution-handler.riid`, `resolution-handler.query-abilities.valid`: the
/// resolution handler comes as the interface asked for (E_NOINTERFACE and NULL otherwise), and
/// abilities outside `SYNCMGR_RA_VALID` are refused.
#[test]
fn a_conflict_hands_out_its_checked_resolution_handler() {
    let store = four().store();
    let (_, conflict) = bind(&store, b"a1", &ISyncMgrConflict::IID);
    let conflict: ISyncMgrConflict = conflict.unwrap().cast().unwrap();
    let mut ppv = std::ptr::null_mut();
    let code = unsafe {
        (conflict.vtable().GetResolutionHandler)(
            conflict.as_raw(),
            &ISyncMgrResolutionHandler::IID,
            &mut ppv,
        )
    };
    assert_eq!(code, S_OK);
    let handler = unsafe { ISyncMgrResolutionHandler::from_raw(ppv) };
    assert_eq!(
        unsafe { handler.QueryAbilities() }.unwrap(),
        SYNCMGR_RA_KEEPRECENT.cast_unsigned()
    );
    assert_eq!(
        unsafe { handler.KeepRecent() }.unwrap(),
        SYNCMGR_RF_CONTINUE
    );
    let mut ppv = std::ptr::NonNull::<u8>::dangling().as_ptr().cast();
    let code = unsafe {
        (conflict.vtable().GetResolutionHandler)(
            conflict.as_raw(),
            &ISyncMgrEventStore::IID,
            &mut ppv,
        )
    };
    assert_eq!((code, ppv.is_null()), (E_NOINTERFACE, true));

    let stray = resolution_handler(Abilities(0x40));
    assert_eq!(
        unsafe { stray.QueryAbilities() }.unwrap_err().code(),
        E_INVALIDARG
    );
}

/// A panic in a listed conflict's code is E_UNEXPECTED, not an unwind across COM.
#[test]
fn a_panicking_conflict_is_e_unexpected() {
    struct Buggy;
    impl SyncMgrConflict for Buggy {
        fn resolve(&self, _: &ISyncMgrConflictResolveInfo) -> Result<()> {
            panic!("a bug in the resolution")
        }
    }
    let list = ConflictList::new();
    list.add(*b"p", "h", "", Buggy).unwrap();
    let (_, conflict) = bind(&list.store(), b"p", &ISyncMgrConflict::IID);
    let conflict: ISyncMgrConflict = conflict.unwrap().cast().unwrap();
    let info: ISyncMgrConflictResolveInfo = Choice::default().into();
    assert_eq!(
        unsafe { conflict.Resolve(&info) },
        winsync::bindings::E_UNEXPECTED
    );
    assert_eq!(list.len(), 1);
}

/// `BYTE_BLOB` helpers: a blob reads back its bytes, a NULL blob is E_POINTER.
#[test]
fn blobs_round_trip() {
    let blob = co_task_blob(b"conflict-7").unwrap();
    assert_eq!(unsafe { blob_bytes(blob) }.unwrap(), b"conflict-7");
    unsafe { co_task_free(blob.cast()) };
    let empty = co_task_blob(b"").unwrap();
    assert_eq!(unsafe { blob_bytes(empty) }.unwrap(), b"");
    unsafe { co_task_free(empty.cast()) };
    assert_eq!(
        unsafe { blob_bytes(std::ptr::null::<BYTE_BLOB>()) }
            .unwrap_err()
            .code(),
        E_POINTER
    );
}

/// The store as a handler's typed `GetObject` answer for `ConflictStore`.
#[test]
fn a_handler_hands_out_its_conflict_store() {
    #[derive(winsync::SyncMgrHandler)]
    struct Keeper(ConflictList<Versions>);
    impl SyncMgrHandler for Keeper {
        fn get_object(&self, object_id: ObjectId) -> Result<Option<SyncMgrObject>> {
            Ok((object_id == ObjectId::ConflictStore).then(|| self.0.store().into()))
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
    let handler: ISyncMgrHandler = Keeper(four()).into_handler();
    let mut ppv = std::ptr::null_mut();
    let code = unsafe {
        (handler.vtable().GetObject)(
            handler.as_raw(),
            &SYNCMGR_OBJECTID_ConflictStore,
            &ISyncMgrConflictStore::IID,
            &mut ppv,
        )
    };
    assert_eq!(code, S_OK);
    let store = unsafe { ISyncMgrConflictStore::from_raw(ppv) };
    assert_eq!(count(&store, PCWSTR::null(), PCWSTR::null()), 4);
}

/// A presenter's choice, as Sync Center would hand it to `Resolve`: the generated
/// `SyncMgrConflictResolveInfo` skeleton behind the raw vtable, through its adapters.
#[implement(ISyncMgrConflictResolveInfo)]
#[derive(Default)]
struct Choice {
    /// The items the presenter chose to keep (`SetItemChoices`).
    kept: Mutex<Vec<u32>>,
}

impl SyncMgrConflictResolveInfo for Choice {
    fn get_iteration_info(&self) -> Result<(u32, u32, u32)> {
        Ok((0, 1, 0))
    }
    fn get_presenter_next_step(&self) -> Result<SYNCMGR_PRESENTER_NEXT_STEP> {
        Err(E_NOTIMPL.into())
    }
    fn get_presenter_choice(&self) -> Result<(SYNCMGR_PRESENTER_CHOICE, bool)> {
        Err(E_NOTIMPL.into())
    }
    fn get_item_choice_count(&self) -> Result<u32> {
        Ok(u32::try_from(self.kept.lock().unwrap().len()).unwrap())
    }
    fn get_item_choice(&self, choice: u32) -> Result<u32> {
        let kept = self.kept.lock().unwrap();
        kept.get(choice as usize)
            .copied()
            .ok_or_else(|| E_INVALIDARG.into())
    }
    fn set_presenter_next_step(&self, _: SYNCMGR_PRESENTER_NEXT_STEP) -> Result<()> {
        Ok(())
    }
    fn set_presenter_choice(&self, _: SYNCMGR_PRESENTER_CHOICE, _: bool) -> Result<()> {
        Ok(())
    }
    fn set_item_choices(&self, conflict_item_indexes: &[u32]) -> Result<()> {
        *self.kept.lock().unwrap() = conflict_item_indexes.to_vec();
        Ok(())
    }
}

impl ISyncMgrConflictResolveInfo_Impl for Choice_Impl {
    fn GetIterationInfo(
        &self,
        current: *mut u32,
        conflicts: *mut u32,
        remaining: *mut u32,
    ) -> Result<()> {
        unsafe { info_abi::get_iteration_info(&**self, current, conflicts, remaining) }
    }
    fn GetPresenterNextStep(&self) -> Result<SYNCMGR_PRESENTER_NEXT_STEP> {
        unsafe { info_abi::get_presenter_next_step(&**self) }
    }
    fn GetPresenterChoice(
        &self,
        choice: *mut SYNCMGR_PRESENTER_CHOICE,
        apply_to_all: *mut windows_core::BOOL,
    ) -> Result<()> {
        unsafe { info_abi::get_presenter_choice(&**self, choice, apply_to_all) }
    }
    fn GetItemChoiceCount(&self) -> Result<u32> {
        unsafe { info_abi::get_item_choice_count(&**self) }
    }
    fn GetItemChoice(&self, choice: u32) -> Result<u32> {
        unsafe { info_abi::get_item_choice(&**self, choice) }
    }
    fn SetPresenterNextStep(&self, step: SYNCMGR_PRESENTER_NEXT_STEP) -> Result<()> {
        unsafe { info_abi::set_presenter_next_step(&**self, step) }
    }
    fn SetPresenterChoice(
        &self,
        choice: SYNCMGR_PRESENTER_CHOICE,
        apply_to_all: windows_core::BOOL,
    ) -> Result<()> {
        unsafe { info_abi::set_presenter_choice(&**self, choice, apply_to_all) }
    }
    fn SetItemChoices(&self, indexes: *mut u32, count: u32) -> Result<()> {
        unsafe { info_abi::set_item_choices(&**self, indexes, count) }
    }
}

/// `SetItemChoices` hands the skeleton the whole array the page describes (`cChoices`
/// indexes, `NF:syncmgr.ISyncMgrConflictResolveInfo.SetItemChoices`), not its first element;
/// a NULL array is E_POINTER unless it is empty.
#[test]
fn set_item_choices_reads_the_whole_array() {
    let info: ISyncMgrConflictResolveInfo = Choice::default().into();
    let mut indexes = [2_u32, 0, 5];
    let set = |indexes: *mut u32, count: u32| unsafe {
        (info.vtable().SetItemChoices)(info.as_raw(), indexes, count)
    };
    assert_eq!(set(indexes.as_mut_ptr(), 3), S_OK);
    assert_eq!(unsafe { info.GetItemChoiceCount() }.unwrap(), 3);
    let read: Vec<u32> = (0..3)
        .map(|i| unsafe { info.GetItemChoice(i) }.unwrap())
        .collect();
    assert_eq!(read, [2, 0, 5]);
    assert_eq!(set(indexes.as_mut_ptr(), 1), S_OK);
    assert_eq!(unsafe { info.GetItemChoiceCount() }.unwrap(), 1);
    assert_eq!(set(std::ptr::null_mut(), 2), E_POINTER);
    assert_eq!(unsafe { info.GetItemChoiceCount() }.unwrap(), 1);
    assert_eq!(set(std::ptr::null_mut(), 0), S_OK);
    assert_eq!(unsafe { info.GetItemChoiceCount() }.unwrap(), 0);
}
