//! `winsync::sync_center::conflicts::conflict_items` through the real `ISyncMgrConflictItems`
//! vtable, and a listed conflict handing it out through `ISyncMgrConflict::GetItemsArray`:
//! the count, what `GetItem` hands over (a reference of the caller's own to the shell item,
//! `CoTaskMemAlloc` strings, NULL where none, the type), freed with
//! `free_confirm_conflict_item`; an index past the count (`E_INVALIDARG`, the structure
//! zeroed), NULL out-pointers (`E_POINTER`).
// Test helpers fail loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use windows_core::{IUnknown, Interface, PCWSTR, PWSTR, Result, implement};
use winsync::bindings::{
    CONFIRM_CONFLICT_ITEM, E_INVALIDARG, E_POINTER, IShellItem2, ISyncMgrConflict,
    ISyncMgrConflictItems, ISyncMgrConflictResolveInfo, S_OK, SYNCMGR_CIT_DELETED,
    SYNCMGR_CIT_UPDATED,
};
use winsync::com::abi::take_co_task_wide;
use winsync::skeletons::SyncMgrConflict;
use winsync::sync_center::conflicts::{
    ConflictItem, ConflictItemKind, ConflictList, conflict_items, free_confirm_conflict_item,
};

/// A stand-in for a shell item that notes when it is destroyed. Only its `IUnknown` part is
/// real: the items array never calls the shell methods, it only counts references.
#[implement()]
struct Shell(Arc<AtomicBool>);

impl Drop for Shell {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

fn shell_item() -> (IShellItem2, Arc<AtomicBool>) {
    let dropped = Arc::new(AtomicBool::new(false));
    let unknown: IUnknown = Shell(Arc::clone(&dropped)).into();
    // SAFETY: the pointer is used for AddRef and Release only (see `Shell`).
    let item = unsafe { IShellItem2::from_raw(unknown.into_raw()) };
    (item, dropped)
}

fn text(p: PWSTR) -> Option<String> {
    (!p.is_null()).then(|| unsafe { take_co_task_wide(p) }.unwrap())
}

fn two_versions() -> (Vec<ConflictItem>, IShellItem2, Arc<AtomicBool>) {
    let (mine, mine_dropped) = shell_item();
    let (theirs, _) = shell_item();
    let items = vec![
        ConflictItem {
            original_name: Some("notes.txt".into()),
            alternate_name: Some("notes (phone).txt".into()),
            location_short: Some("Phone".into()),
            location_full: Some("Phone\\Notes".into()),
            ..ConflictItem::updated(mine.clone())
        },
        ConflictItem {
            kind: ConflictItemKind::Deleted,
            ..ConflictItem::updated(theirs)
        },
    ];
    (items, mine, mine_dropped)
}

#[test]
fn get_item_hands_over_a_reference_and_strings_of_the_callers_own() {
    let (items, mine, mine_dropped) = two_versions();
    let array = conflict_items(items);
    assert_eq!(unsafe { array.GetCount() }.unwrap(), 2);

    let mut info = CONFIRM_CONFLICT_ITEM::default();
    unsafe { array.GetItem(0, &mut info) }.ok().unwrap();
    assert_eq!(info.nType, SYNCMGR_CIT_UPDATED);
    assert_eq!(info.pShellItem.as_ref().unwrap().as_raw(), mine.as_raw());
    // The strings are the caller's: taking them frees them; then the structure holds NULLs.
    assert_eq!(text(info.pszOriginalName).as_deref(), Some("notes.txt"));
    assert_eq!(
        text(info.pszAlternateName).as_deref(),
        Some("notes (phone).txt")
    );
    assert_eq!(text(info.pszLocationShort).as_deref(), Some("Phone"));
    assert_eq!(text(info.pszLocationFull).as_deref(), Some("Phone\\Notes"));
    info.pszOriginalName = PWSTR::null();
    info.pszAlternateName = PWSTR::null();
    info.pszLocationShort = PWSTR::null();
    info.pszLocationFull = PWSTR::null();

    let mut second = CONFIRM_CONFLICT_ITEM::default();
    unsafe { array.GetItem(1, &mut second) }.ok().unwrap();
    assert_eq!(second.nType, SYNCMGR_CIT_DELETED);
    assert!(second.pszOriginalName.is_null() && second.pszLocationFull.is_null());
    unsafe { free_confirm_conflict_item(&mut second) };
    assert!(second.pShellItem.is_none());

    // The structure's reference outlives the array and the item's other holders.
    drop(array);
    drop(mine);
    assert!(!mine_dropped.load(Ordering::SeqCst));
    unsafe { free_confirm_conflict_item(&mut info) };
    assert!(mine_dropped.load(Ordering::SeqCst));
    assert!(info.pShellItem.is_none() && info.pszOriginalName.is_null());
    // Freeing a zeroed structure does nothing.
    unsafe { free_confirm_conflict_item(&mut info) };
}

#[test]
fn an_index_past_the_count_and_null_pointers_are_refused() {
    let (items, _, _) = two_versions();
    let array = conflict_items(items);
    let mut info = CONFIRM_CONFLICT_ITEM {
        // What the caller left there is not read, and not kept.
        pszOriginalName: PWSTR(8 as *mut u16),
        nType: 7,
        ..Default::default()
    };
    assert_eq!(unsafe { array.GetItem(2, &mut info) }, E_INVALIDARG);
    assert!(info.pszOriginalName.is_null() && info.pShellItem.is_none() && info.nType == 0);
    let vtable = array.vtable();
    let hr = unsafe { (vtable.GetItem)(array.as_raw(), 0, std::ptr::null_mut()) };
    assert_eq!(hr, E_POINTER);
    let hr = unsafe { (vtable.GetCount)(array.as_raw(), std::ptr::null_mut()) };
    assert_eq!(hr, E_POINTER);
}

/// A conflict that answers its versions, made when asked (a shell item is not `Send`: a
/// conflict keeps what it makes them from, as a path).
struct WithVersions;

impl SyncMgrConflict for WithVersions {
    fn get_items_array(&self) -> Result<ISyncMgrConflictItems> {
        Ok(conflict_items(two_versions().0))
    }
    fn resolve(&self, _: &ISyncMgrConflictResolveInfo) -> Result<()> {
        Ok(())
    }
}

#[test]
fn a_listed_conflict_hands_out_its_versions() {
    let list = ConflictList::new();
    list.add(b"c1", "{handler}", "item", WithVersions).unwrap();
    let conflicts = unsafe { list.store().EnumConflicts(PCWSTR::null(), PCWSTR::null()) }.unwrap();
    let mut slot: [Option<ISyncMgrConflict>; 1] = [None];
    let mut fetched = 0;
    assert_eq!(
        unsafe { conflicts.Next(1, slot.as_mut_ptr(), &mut fetched) },
        S_OK
    );
    let conflict = slot[0].take().unwrap();
    let array = unsafe { conflict.GetItemsArray() }.unwrap();
    assert_eq!(unsafe { array.GetCount() }.unwrap(), 2);
    let mut info = CONFIRM_CONFLICT_ITEM::default();
    unsafe { array.GetItem(0, &mut info) }.ok().unwrap();
    assert_eq!(text(info.pszOriginalName).as_deref(), Some("notes.txt"));
    info.pszOriginalName = PWSTR::null();
    assert!(info.pShellItem.is_some());
    unsafe { free_confirm_conflict_item(&mut info) };
}

/// A real shell item of a file (Windows and Wine): it travels through the array, and a path
/// that does not exist is the shell's error.
#[cfg(windows)]
#[test]
fn a_file_becomes_a_shell_item_that_travels_through_the_array() {
    use winsync::bindings::{COINIT_MULTITHREADED, CoInitializeEx, S_FALSE};
    use winsync::sync_center::conflicts::shell_item;

    let hr = unsafe { CoInitializeEx(None, COINIT_MULTITHREADED as u32) };
    assert!(hr == S_OK || hr == S_FALSE, "CoInitializeEx: {hr:?}");
    let dir = std::env::temp_dir().join(format!("winsync-conflict-items-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("notes.txt");
    std::fs::write(&file, b"mine").unwrap();
    let item = shell_item(&file).unwrap();
    let array = conflict_items(vec![ConflictItem::updated(item.clone())]);
    let mut info = CONFIRM_CONFLICT_ITEM::default();
    unsafe { array.GetItem(0, &mut info) }.ok().unwrap();
    assert_eq!(info.pShellItem.as_ref().unwrap().as_raw(), item.as_raw());
    unsafe { free_confirm_conflict_item(&mut info) };
    assert!(shell_item(&dir.join("no such file.txt")).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}
