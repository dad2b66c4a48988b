//! The sync items of an item-container handler (`#[sync_mgr_handler(item_container)]`):
//! [`SyncItems`], a list of items served as Sync Center's `ISyncMgrSyncItem` objects with the
//! `IEnumSyncMgrSyncItems` enumerator over them, and [`sync_item_info`] for the
//! `ISyncMgrSyncItemInfo` an item's `get_item_info` returns.
//!
//! A container handler's [`SyncMgrSyncItemContainer`](crate::skeletons::SyncMgrSyncItemContainer)
//! methods become one line each:
//!
//! ```ignore
//! impl SyncMgrSyncItemContainer for MyHandler {
//!     fn get_sync_item(&self, item_id: &str) -> Result<ISyncMgrSyncItem> {
//!         self.items.get(item_id)
//!     }
//!     fn get_sync_item_enumerator(&self) -> Result<IEnumSyncMgrSyncItems> {
//!         Ok(self.items.enumerator())
//!     }
//!     fn get_sync_item_count(&self) -> Result<u32> {
//!         Ok(self.items.count())
//!     }
//! }
//! ```
//!
//! and these rules then hold by construction:
//!
//! - every item has a non-empty id, unique in the list, of at most `MAX_SYNCMGR_ID - 1` UTF-16
//!   units, and the id an item object answers never changes: [`SyncItems::new`] reads each
//!   id once and refuses the list otherwise (`handler.sync-item.get-item-id.stable`,
//!   `handler.sync-item.get-item-id.max-length`; `NF:syncmgr.ISyncMgrSyncItem.GetItemID`);
//! - `GetSyncItem` answers `E_INVALIDARG` for an id the handler does not know
//!   (`handler.item-container.get-sync-item.unknown-id`,
//!   `NF:syncmgr.ISyncMgrSyncItemContainer.GetSyncItem`);
//! - an item's `GetName` answers `E_INVALIDARG` for an empty name or one longer than
//!   `MAX_SYNCMGR_NAME - 1` UTF-16 units, which Sync Center would hide or truncate
//!   (`handler.sync-item.get-name.max-length`, `NF:syncmgr.ISyncMgrSyncItem.GetName`), and
//!   the [`sync_item_info`] object's `GetComment` for a comment longer than that
//!   (`handler.sync-item-info.get-comment.max-length`,
//!   `NF:syncmgr.ISyncMgrSyncItemInfo.GetComment`);
//! - `GetSyncItemCount` is the number of items the enumerator yields
//!   (`handler.item-container.count-matches-enumerator`,
//!   `NF:syncmgr.ISyncMgrSyncItemContainer.GetSyncItemCount`);
//! - the enumerator follows the `IEnumXXXX` convention: `Next` hands out up to `celt` items
//!   and answers `S_FALSE` when it hands out fewer (Sync Center passes 1,
//!   `NF:syncmgr.IEnumSyncMgrSyncItems.Next`), `pceltFetched` may be NULL only when `celt`
//!   is 1 (`NF:objidl.IEnumUnknown.Next`), `Skip` answers `S_FALSE` when fewer items were left
//!   (`NF:objidl.IEnumUnknown.Skip`), `Clone` starts at the same position
//!   (`NF:objidl.IEnumUnknown.Clone`).
//!
//! - an item's `GetObject` answers `E_INVALIDARG` without calling the item for an id the
//!   item's page does not list (`QueryBeforeActivate`, ..., or none of the
//!   `SYNCMGR_OBJECTID_*` ids; `handler.sync-item.get-object.item-ids`), and for an item that
//!   answers `None` (`handler.sync-item.get-object.unsupported`,
//!   `NF:syncmgr.ISyncMgrSyncItem.GetObject`); the answer is otherwise written as
//!   [`crate::sync_center::objects`] describes, `ppv` NULL after every failure.
//!
//! Item objects, item info objects and enumerators count as live objects of the module
//! ([`crate::com::object_count::ObjectGuard`]) while they exist.

use std::sync::{Arc, Mutex};

use windows_core::{ComObject, GUID, HRESULT, PWSTR, Result, implement};

use crate::bindings::{
    E_INVALIDARG, E_POINTER, FILETIME, IEnumSyncMgrSyncItems, IEnumSyncMgrSyncItems_Impl,
    ISyncMgrSyncItem, ISyncMgrSyncItem_Impl, ISyncMgrSyncItemInfo, ISyncMgrSyncItemInfo_Impl,
    S_FALSE, S_OK, SYNCMGR_ITEM_CAPABILITIES, SYNCMGR_ITEM_POLICIES,
};
use crate::com::abi;
use crate::com::object_count::ObjectGuard;
use crate::contracts as rules;
use crate::skeletons::{
    SyncMgrSyncItem, SyncMgrSyncItemInfo, sync_mgr_sync_item_abi as abi_item,
    sync_mgr_sync_item_info_abi as abi_info,
};
use crate::sync_center::names;
use crate::sync_center::objects::{ObjectId, SyncMgrObject};

use object::{ItemEnumerator_Impl, ItemInfoObject_Impl, ItemObject_Impl};

mod object {
    use std::sync::{Arc, Mutex};

    use super::{
        Entry, IEnumSyncMgrSyncItems, ISyncMgrSyncItem, ISyncMgrSyncItemInfo, ObjectGuard,
        SyncMgrSyncItem, SyncMgrSyncItemInfo, implement,
    };

    /// One item of a [`super::SyncItems`] as `ISyncMgrSyncItem`.
    #[implement(ISyncMgrSyncItem)]
    pub struct ItemObject<T: SyncMgrSyncItem + Send + Sync + 'static> {
        pub(super) entry: Arc<Entry<T>>,
        pub(super) _guard: ObjectGuard,
    }

    /// `IEnumSyncMgrSyncItems` over a [`super::SyncItems`], from `position`.
    #[implement(IEnumSyncMgrSyncItems)]
    pub struct ItemEnumerator<T: SyncMgrSyncItem + Send + Sync + 'static> {
        pub(super) entries: Arc<[Arc<Entry<T>>]>,
        pub(super) position: Mutex<usize>,
        pub(super) _guard: ObjectGuard,
    }

    /// An item's `ISyncMgrSyncItemInfo`, made with [`super::sync_item_info`].
    #[implement(ISyncMgrSyncItemInfo)]
    pub struct ItemInfoObject<T: SyncMgrSyncItemInfo + Send + Sync + 'static> {
        pub(super) info: T,
        pub(super) _guard: ObjectGuard,
    }
}

/// An item with the id [`SyncItems::new`] read from it.
struct Entry<T> {
    id: String,
    item: T,
}

/// A fixed list of sync items, each a [`SyncMgrSyncItem`], for an item-container handler (see
/// the module docs). Cloning is cheap: the clones share the items.
pub struct SyncItems<T> {
    entries: Arc<[Arc<Entry<T>>]>,
}

impl<T> Clone for SyncItems<T> {
    fn clone(&self) -> Self {
        Self {
            entries: Arc::clone(&self.entries),
        }
    }
}

impl<T> std::fmt::Debug for SyncItems<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.entries.iter().map(|entry| &entry.id))
            .finish()
    }
}

impl<T: SyncMgrSyncItem + Send + Sync + 'static> SyncItems<T> {
    /// The list of `items`, in order, after reading each item's id once with
    /// [`SyncMgrSyncItem::get_item_id`]; the item objects answer `GetItemID` with that id from
    /// then on.
    ///
    /// # Errors
    /// `E_INVALIDARG`, naming the item's position and the rule, when an id is empty, longer
    /// than `MAX_SYNCMGR_ID - 1` UTF-16 units ([`abi::MAX_ID_CHARS`]) or the same as an
    /// earlier item's, or when there are more than `u32::MAX` items; the error an item's
    /// `get_item_id` returns, as it is.
    pub fn new(items: impl IntoIterator<Item = T>) -> Result<Self> {
        let mut entries: Vec<Arc<Entry<T>>> = Vec::new();
        for (position, item) in items.into_iter().enumerate() {
            let id = item.get_item_id()?;
            if id.is_empty() {
                return Err(abi::invalid_arg(format!(
                    "item {position} has an empty id, so Sync Center would not show it: {}",
                    rules::HANDLER_SYNC_ITEM_GET_ITEM_ID_STABLE
                )));
            }
            let units = id.encode_utf16().count();
            if units > abi::MAX_ID_CHARS {
                return Err(abi::invalid_arg(format!(
                    "item {position} has an id of {units} UTF-16 units, more than {}: {}",
                    abi::MAX_ID_CHARS,
                    rules::HANDLER_SYNC_ITEM_GET_ITEM_ID_MAX_LENGTH
                )));
            }
            if let Some(first) = entries.iter().position(|entry| entry.id == id) {
                return Err(abi::invalid_arg(format!(
                    "items {first} and {position} have the same id {id:?}: {}",
                    rules::HANDLER_SYNC_ITEM_GET_ITEM_ID_STABLE
                )));
            }
            entries.push(Arc::new(Entry { id, item }));
        }
        if u32::try_from(entries.len()).is_err() {
            return Err(abi::invalid_arg(format!(
                "{} items: GetSyncItemCount counts them in a u32",
                entries.len()
            )));
        }
        Ok(Self {
            entries: entries.into(),
        })
    }

    /// The item with id `item_id` as a new `ISyncMgrSyncItem` object (what
    /// `ISyncMgrSyncItemContainer::GetSyncItem` returns).
    ///
    /// # Errors
    /// `E_INVALIDARG` naming the id when no item has it
    /// (`handler.item-container.get-sync-item.unknown-id`,
    /// `NF:syncmgr.ISyncMgrSyncItemContainer.GetSyncItem`).
    pub fn get(&self, item_id: &str) -> Result<ISyncMgrSyncItem> {
        self.entries
            .iter()
            .find(|entry| entry.id == item_id)
            .map(|entry| item_object(entry))
            .ok_or_else(|| {
                abi::invalid_arg(format!(
                    "no item has the id {item_id:?}: {}",
                    rules::HANDLER_ITEM_CONTAINER_GET_SYNC_ITEM_UNKNOWN_ID
                ))
            })
    }

    /// A new enumerator over the items, at the first (what
    /// `ISyncMgrSyncItemContainer::GetSyncItemEnumerator` returns).
    pub fn enumerator(&self) -> IEnumSyncMgrSyncItems {
        enumerator(Arc::clone(&self.entries), 0)
    }

    /// The number of items: the number the enumerator yields (what
    /// `ISyncMgrSyncItemContainer::GetSyncItemCount` returns).
    pub fn count(&self) -> u32 {
        // `new` refuses more than u32::MAX items.
        u32::try_from(self.entries.len()).unwrap_or(u32::MAX)
    }
}

impl<T> SyncItems<T> {
    /// The items' ids, in order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|entry| entry.id.as_str())
    }

    /// The item with id `item_id`, if any.
    pub fn item(&self, item_id: &str) -> Option<&T> {
        self.entries
            .iter()
            .find(|entry| entry.id == item_id)
            .map(|entry| &entry.item)
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

fn item_object<T: SyncMgrSyncItem + Send + Sync + 'static>(
    entry: &Arc<Entry<T>>,
) -> ISyncMgrSyncItem {
    ComObject::new(object::ItemObject {
        entry: Arc::clone(entry),
        _guard: ObjectGuard::new(),
    })
    .to_interface()
}

fn enumerator<T: SyncMgrSyncItem + Send + Sync + 'static>(
    entries: Arc<[Arc<Entry<T>>]>,
    position: usize,
) -> IEnumSyncMgrSyncItems {
    ComObject::new(object::ItemEnumerator {
        entries,
        position: Mutex::new(position),
        _guard: ObjectGuard::new(),
    })
    .to_interface()
}

/// `info` as the `ISyncMgrSyncItemInfo` an item's `get_item_info` returns; its string getters
/// hand out `CoTaskMemAlloc` strings and its `is_*` methods carry S_FALSE.
pub fn sync_item_info<T: SyncMgrSyncItemInfo + Send + Sync + 'static>(
    info: T,
) -> ISyncMgrSyncItemInfo {
    ComObject::new(object::ItemInfoObject {
        info,
        _guard: ObjectGuard::new(),
    })
    .to_interface()
}

/// An item as the generated adapters see it: its recorded id, everything else from the item.
struct Recorded<'a, T>(&'a Entry<T>);

impl<T: SyncMgrSyncItem> SyncMgrSyncItem for Recorded<'_, T> {
    fn get_item_id(&self) -> Result<String> {
        Ok(self.0.id.clone())
    }
    fn get_name(&self) -> Result<String> {
        names::display_name(
            self.0.item.get_name()?,
            &format!("item {:?}", self.0.id),
            &rules::HANDLER_SYNC_ITEM_GET_NAME_MAX_LENGTH,
        )
    }
    fn get_item_info(&self) -> Result<ISyncMgrSyncItemInfo> {
        self.0.item.get_item_info()
    }
    fn get_object(&self, object_id: ObjectId) -> Result<Option<SyncMgrObject>> {
        match self.0.item.get_object(object_id)? {
            Some(object) => Ok(Some(object)),
            None => Err(abi::invalid_arg(format_args!(
                "item {:?} has no {object_id:?} object: {}",
                self.0.id,
                rules::HANDLER_SYNC_ITEM_GET_OBJECT_UNSUPPORTED
            ))),
        }
    }
    fn get_capabilities(&self) -> Result<SYNCMGR_ITEM_CAPABILITIES> {
        self.0.item.get_capabilities()
    }
    fn get_policies(&self) -> Result<SYNCMGR_ITEM_POLICIES> {
        self.0.item.get_policies()
    }
    fn enable(&self, enable: bool) -> Result<()> {
        self.0.item.enable(enable)
    }
    fn delete(&self) -> Result<()> {
        self.0.item.delete()
    }
}

/// An item info as the generated adapters see it: its comment is checked to be at most
/// `MAX_SYNCMGR_NAME - 1` UTF-16 units (`handler.sync-item-info.get-comment.max-length`,
/// `NF:syncmgr.ISyncMgrSyncItemInfo.GetComment`), everything else is the info's.
struct CheckedInfo<'a, T>(&'a T);

impl<T: SyncMgrSyncItemInfo> SyncMgrSyncItemInfo for CheckedInfo<'_, T> {
    fn get_type_label(&self) -> Result<String> {
        self.0.get_type_label()
    }
    fn get_comment(&self) -> Result<String> {
        names::comment(
            self.0.get_comment()?,
            "item",
            &rules::HANDLER_SYNC_ITEM_INFO_GET_COMMENT_MAX_LENGTH,
        )
    }
    fn get_last_sync_time(&self) -> Result<FILETIME> {
        self.0.get_last_sync_time()
    }
    fn is_enabled(&self) -> Result<bool> {
        self.0.is_enabled()
    }
    fn is_connected(&self) -> Result<bool> {
        self.0.is_connected()
    }
}

impl<T: SyncMgrSyncItem + Send + Sync + 'static> ISyncMgrSyncItem_Impl for ItemObject_Impl<T> {
    fn GetItemID(&self) -> Result<PWSTR> {
        unsafe { abi_item::get_item_id(&Recorded(&self.entry)) }
    }
    fn GetName(&self) -> Result<PWSTR> {
        unsafe { abi_item::get_name(&Recorded(&self.entry)) }
    }
    fn GetItemInfo(&self) -> Result<ISyncMgrSyncItemInfo> {
        unsafe { abi_item::get_item_info(&Recorded(&self.entry)) }
    }
    fn GetObject(
        &self,
        rguidobjectid: *const GUID,
        riid: *const GUID,
        ppv: *mut *mut core::ffi::c_void,
    ) -> Result<()> {
        // An id the item's page does not list: E_INVALIDARG before the item's code runs (a
        // null id is the adapter's E_POINTER).
        if let Some(guid) = unsafe { rguidobjectid.as_ref() }
            && !ObjectId::try_from(guid).is_ok_and(ObjectId::for_item)
        {
            return Err(abi::invalid_arg(format_args!(
                "{guid:?} is no item object id: {}",
                rules::HANDLER_SYNC_ITEM_GET_OBJECT_ITEM_IDS
            )));
        }
        unsafe { abi_item::get_object(&Recorded(&self.entry), rguidobjectid, riid, ppv) }
    }
    fn GetCapabilities(&self) -> Result<SYNCMGR_ITEM_CAPABILITIES> {
        unsafe { abi_item::get_capabilities(&Recorded(&self.entry)) }
    }
    fn GetPolicies(&self) -> Result<SYNCMGR_ITEM_POLICIES> {
        unsafe { abi_item::get_policies(&Recorded(&self.entry)) }
    }
    fn Enable(&self, fenable: windows_core::BOOL) -> Result<()> {
        unsafe { abi_item::enable(&Recorded(&self.entry), fenable) }
    }
    fn Delete(&self) -> Result<()> {
        unsafe { abi_item::delete(&Recorded(&self.entry)) }
    }
}

impl<T: SyncMgrSyncItem + Send + Sync + 'static> ItemEnumerator_Impl<T> {
    /// Moves the position up to `celt` items forward; returns the entries passed over (what
    /// `Next` hands out, what `Skip` skips) and whether there were `celt` of them.
    fn advance(&self, celt: u32) -> (&[Arc<Entry<T>>], bool) {
        let mut position = self.position.lock().unwrap_or_else(|e| e.into_inner());
        let start = *position;
        let left = self.entries.len().saturating_sub(start);
        let moved = left.min(usize::try_from(celt).unwrap_or(usize::MAX));
        *position = start + moved;
        (
            &self.entries[start..start + moved],
            u32::try_from(moved) == Ok(celt),
        )
    }
}

impl<T: SyncMgrSyncItem + Send + Sync + 'static> IEnumSyncMgrSyncItems_Impl
    for ItemEnumerator_Impl<T>
{
    fn Next(
        &self,
        celt: u32,
        rgelt: *mut Option<ISyncMgrSyncItem>,
        pceltfetched: *mut u32,
    ) -> HRESULT {
        if rgelt.is_null() {
            return E_POINTER;
        }
        if pceltfetched.is_null() && celt != 1 {
            return E_INVALIDARG;
        }
        let (fetched, all) = self.advance(celt);
        for (slot, entry) in fetched.iter().enumerate() {
            // SAFETY: the caller provides `celt` writable slots; `fetched.len() <= celt`. The
            // slots are out-parameters, possibly uninitialized: written, never dropped.
            unsafe { rgelt.add(slot).write(Some(item_object(entry))) };
        }
        if !pceltfetched.is_null() {
            // `fetched.len() <= celt`, a u32.
            let count = u32::try_from(fetched.len()).unwrap_or(celt);
            // SAFETY: checked not null; the caller provides a writable count.
            unsafe { pceltfetched.write(count) };
        }
        if all { S_OK } else { S_FALSE }
    }

    fn Skip(&self, celt: u32) -> HRESULT {
        if self.advance(celt).1 { S_OK } else { S_FALSE }
    }

    fn Reset(&self) -> Result<()> {
        *self.position.lock().unwrap_or_else(|e| e.into_inner()) = 0;
        Ok(())
    }

    fn Clone(&self) -> Result<IEnumSyncMgrSyncItems> {
        let position = *self.position.lock().unwrap_or_else(|e| e.into_inner());
        Ok(enumerator(Arc::clone(&self.entries), position))
    }
}

impl<T: SyncMgrSyncItemInfo + Send + Sync + 'static> ISyncMgrSyncItemInfo_Impl
    for ItemInfoObject_Impl<T>
{
    fn GetTypeLabel(&self) -> Result<PWSTR> {
        unsafe { abi_info::get_type_label(&CheckedInfo(&self.info)) }
    }
    fn GetComment(&self) -> Result<PWSTR> {
        unsafe { abi_info::get_comment(&CheckedInfo(&self.info)) }
    }
    fn GetLastSyncTime(&self) -> Result<FILETIME> {
        unsafe { abi_info::get_last_sync_time(&CheckedInfo(&self.info)) }
    }
    fn IsEnabled(&self) -> HRESULT {
        unsafe { abi_info::is_enabled(&CheckedInfo(&self.info)) }
    }
    fn IsConnected(&self) -> HRESULT {
        unsafe { abi_info::is_connected(&CheckedInfo(&self.info)) }
    }
}
