//! [`ConflictList`], its `ISyncMgrConflictStore` views (the handler's, an item's), their
//! `IEnumSyncMgrConflict`, and the `ISyncMgrConflict` objects that serve the listed conflicts
//! (see the module docs of [`crate::sync_center::conflicts`]).

use std::sync::{Arc, Mutex, PoisonError};

use windows_core::{ComObject, GUID, HRESULT, IUnknown, PCWSTR, Ref, Result, implement};

use super::{co_task_blob, conflict_id};
use crate::bindings::{
    IEnumSyncMgrConflict, IEnumSyncMgrConflict_Impl, ISyncMgrConflict, ISyncMgrConflict_Impl,
    ISyncMgrConflictItems, ISyncMgrConflictResolveInfo, ISyncMgrConflictStore,
    ISyncMgrConflictStore_Impl, PROPERTYKEY, PROPVARIANT, SYNCMGR_CONFLICT_ID_INFO,
};
use crate::com::abi;
use crate::com::object_count::ObjectGuard;
use crate::contracts as rules;
use crate::skeletons::{
    SyncMgrConflict, SyncMgrConflictStore, sync_mgr_conflict_abi as abi_c,
    sync_mgr_conflict_store_abi as abi_s,
};
use crate::sync_center::enumerators::List;

/// One listed conflict: its ID within the store, its handler and item, and the conflict.
struct Entry<C> {
    id: Vec<u8>,
    handler_id: String,
    item_id: String,
    conflict: C,
}

/// A handler's conflicts, shared: clones are handles to the same list, so that the handler can
/// add conflicts while Sync Center holds the stores made from it.
///
/// ```ignore
/// let conflicts = ConflictList::new();
/// conflicts.add(b"photos/1".to_vec(), HANDLER_ID, "photos", MyConflict { .. })?;
/// // in get_object:
/// ObjectId::ConflictStore => Some(conflicts.store().into()),
/// ```
pub struct ConflictList<C> {
    entries: Arc<Mutex<Vec<Arc<Entry<C>>>>>,
}

impl<C> Clone for ConflictList<C> {
    fn clone(&self) -> Self {
        Self {
            entries: Arc::clone(&self.entries),
        }
    }
}

impl<C> Default for ConflictList<C> {
    fn default() -> Self {
        Self {
            entries: Arc::default(),
        }
    }
}

impl<C> std::fmt::Debug for ConflictList<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConflictList")
            .field("ids", &self.ids())
            .finish()
    }
}

impl<C> ConflictList<C> {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Arc<Entry<C>>>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The IDs of the listed conflicts, in the order they were added.
    #[must_use]
    pub fn ids(&self) -> Vec<Vec<u8>> {
        self.lock().iter().map(|entry| entry.id.clone()).collect()
    }

    /// How many conflicts the list holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether the list holds no conflict.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Removes the conflict with this ID; returns whether it was listed.
    pub fn remove(&self, id: &[u8]) -> bool {
        let mut entries = self.lock();
        let before = entries.len();
        entries.retain(|entry| entry.id != id);
        entries.len() != before
    }
}

impl<C: SyncMgrConflict + Send + Sync + 'static> ConflictList<C> {
    /// An empty list.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `conflict` under `id` (its `GetConflictIdInfo`), for `handler_id` and `item_id`
    /// (empty for the handler itself).
    ///
    /// # Errors
    /// `E_INVALIDARG` for an empty ID or one the list already holds (`conflict-store.unique-ids`,
    /// `NF:syncmgr.ISyncMgrConflictStore.BindToConflict`).
    pub fn add(
        &self,
        id: impl Into<Vec<u8>>,
        handler_id: &str,
        item_id: &str,
        conflict: C,
    ) -> Result<()> {
        let id = id.into();
        let mut entries = self.lock();
        if id.is_empty() || entries.iter().any(|entry| entry.id == id) {
            return Err(abi::invalid_arg(format_args!(
                "the conflict ID {id:?} is empty or already listed: {}",
                rules::CONFLICT_STORE_UNIQUE_IDS
            )));
        }
        entries.push(Arc::new(Entry {
            id,
            handler_id: handler_id.to_string(),
            item_id: item_id.to_string(),
            conflict,
        }));
        Ok(())
    }

    /// The handler's conflict store: every conflict of the list, filtered only by what
    /// `EnumConflicts` and `GetCount` are given; for `GetObject(ObjectId::ConflictStore)` on the
    /// handler.
    #[must_use]
    pub fn store(&self) -> ISyncMgrConflictStore {
        self.view(None)
    }

    /// An item's conflict store: only the conflicts of `item_id`
    /// (`NF:syncmgr.ISyncMgrSyncItem.GetObject`); `RemoveConflicts` through it removes only
    /// those.
    #[must_use]
    pub fn item_store(&self, item_id: &str) -> ISyncMgrConflictStore {
        self.view(Some(item_id.to_string()))
    }

    fn view(&self, item: Option<String>) -> ISyncMgrConflictStore {
        ComObject::new(StoreObject {
            view: View {
                list: self.clone(),
                item,
            },
            _guard: ObjectGuard::new(),
        })
        .to_interface()
    }
}

/// A store's view of a list: every conflict, or one item's.
struct View<C> {
    list: ConflictList<C>,
    item: Option<String>,
}

impl<C: SyncMgrConflict + Send + Sync + 'static> View<C> {
    /// The listed conflicts in the view's scope and the scope given (a NULL or empty ID filters
    /// nothing, `conflict-store.enum-conflicts.null-ignored`).
    fn selected(&self, handler_id: Option<&str>, item_id: Option<&str>) -> Vec<Arc<Entry<C>>> {
        let given = |id: Option<&str>| id.filter(|id| !id.is_empty()).map(str::to_string);
        let (handler_id, item_id) = (given(handler_id), given(item_id));
        self.list
            .lock()
            .iter()
            .filter(|entry| self.item.as_ref().is_none_or(|item| *item == entry.item_id))
            .filter(|entry| handler_id.as_ref().is_none_or(|h| *h == entry.handler_id))
            .filter(|entry| item_id.as_ref().is_none_or(|i| *i == entry.item_id))
            .cloned()
            .collect()
    }
}

impl<C: SyncMgrConflict + Send + Sync + 'static> SyncMgrConflictStore for View<C> {
    fn enum_conflicts(
        &self,
        handler_id: Option<&str>,
        item_id: Option<&str>,
    ) -> Result<IEnumSyncMgrConflict> {
        Ok(enumerator(self.selected(handler_id, item_id).into(), 0))
    }
    fn bind_to_conflict(&self, conflict_id_info: &SYNCMGR_CONFLICT_ID_INFO) -> Result<IUnknown> {
        // SAFETY: the caller's SYNCMGR_CONFLICT_ID_INFO points to a valid BYTE_BLOB or NULL.
        let id = unsafe { conflict_id(conflict_id_info) }?;
        self.selected(None, None)
            .into_iter()
            .find(|entry| entry.id == id)
            .map(|entry| conflict_object(entry).into())
            .ok_or_else(|| {
                abi::invalid_arg(format_args!(
                    "the store holds no conflict {id:?}: {}",
                    rules::CONFLICT_STORE_BIND_TO_CONFLICT_KNOWN_ID
                ))
            })
    }
    fn remove_conflicts(&self, conflict_id_info: &[SYNCMGR_CONFLICT_ID_INFO]) -> Result<()> {
        let ids = conflict_id_info
            .iter()
            // SAFETY: each element points to a valid BYTE_BLOB or NULL, as above.
            .map(|info| unsafe { conflict_id(info) })
            .collect::<Result<Vec<_>>>()?;
        let in_view: Vec<Vec<u8>> = self
            .selected(None, None)
            .iter()
            .filter(|entry| ids.contains(&entry.id))
            .map(|entry| entry.id.clone())
            .collect();
        for id in in_view {
            self.list.remove(&id);
        }
        Ok(())
    }
    fn get_count(&self, handler_id: Option<&str>, item_id: Option<&str>) -> Result<u32> {
        // What EnumConflicts hands out for the same scope
        // (`conflict-store.get-count.matches-enumerator`).
        u32::try_from(self.selected(handler_id, item_id).len())
            .map_err(|_| abi::invalid_arg("more than u32::MAX conflicts"))
    }
}

/// A served conflict store view.
#[implement(ISyncMgrConflictStore)]
struct StoreObject<C: SyncMgrConflict + Send + Sync + 'static> {
    view: View<C>,
    _guard: ObjectGuard,
}

impl<C: SyncMgrConflict + Send + Sync + 'static> ISyncMgrConflictStore_Impl
    for StoreObject_Impl<C>
{
    fn EnumConflicts(
        &self,
        pszhandlerid: &PCWSTR,
        pszitemid: &PCWSTR,
    ) -> Result<IEnumSyncMgrConflict> {
        unsafe { abi_s::enum_conflicts(&self.view, pszhandlerid, pszitemid) }
    }
    fn BindToConflict(
        &self,
        pconflictidinfo: *const SYNCMGR_CONFLICT_ID_INFO,
        riid: *const GUID,
        ppv: *mut *mut core::ffi::c_void,
    ) -> Result<()> {
        unsafe { abi_s::bind_to_conflict(&self.view, pconflictidinfo, riid, ppv) }
    }
    fn RemoveConflicts(
        &self,
        rgconflictidinfo: *const SYNCMGR_CONFLICT_ID_INFO,
        cconflicts: u32,
    ) -> Result<()> {
        unsafe { abi_s::remove_conflicts(&self.view, rgconflictidinfo, cconflicts) }
    }
    fn GetCount(&self, pszhandlerid: &PCWSTR, pszitemid: &PCWSTR) -> Result<u32> {
        unsafe { abi_s::get_count(&self.view, pszhandlerid, pszitemid) }
    }
}

/// A listed conflict as `ISyncMgrConflict`: `GetConflictIdInfo` answers the ID it was listed
/// under, everything else is the conflict's.
#[implement(ISyncMgrConflict)]
pub struct ConflictObject<C: SyncMgrConflict + Send + Sync + 'static> {
    entry: Arc<Entry<C>>,
    _guard: ObjectGuard,
}

fn conflict_object<C: SyncMgrConflict + Send + Sync + 'static>(
    entry: Arc<Entry<C>>,
) -> ISyncMgrConflict {
    ComObject::new(ConflictObject {
        entry,
        _guard: ObjectGuard::new(),
    })
    .to_interface()
}

/// A listed conflict as the generated adapters see it.
struct Listed<'a, C>(&'a Entry<C>);

impl<C: SyncMgrConflict> SyncMgrConflict for Listed<'_, C> {
    fn get_property(&self, propkey: &PROPERTYKEY) -> Result<PROPVARIANT> {
        self.0.conflict.get_property(propkey)
    }
    fn get_conflict_id_info(&self) -> Result<SYNCMGR_CONFLICT_ID_INFO> {
        // The ID it was listed under (`conflict.get-conflict-id-info.from-list`).
        Ok(SYNCMGR_CONFLICT_ID_INFO {
            pblobID: co_task_blob(&self.0.id)?,
            pblobExtra: std::ptr::null_mut(),
        })
    }
    fn get_items_array(&self) -> Result<ISyncMgrConflictItems> {
        self.0.conflict.get_items_array()
    }
    fn resolve(&self, resolve_info: &ISyncMgrConflictResolveInfo) -> Result<()> {
        // The entry stays listed (`conflict-store.nothing-assumed`).
        self.0.conflict.resolve(resolve_info)
    }
    fn get_resolution_handler(&self) -> Result<IUnknown> {
        self.0.conflict.get_resolution_handler()
    }
}

impl<C: SyncMgrConflict + Send + Sync + 'static> ISyncMgrConflict_Impl for ConflictObject_Impl<C> {
    fn GetProperty(&self, propkey: *const PROPERTYKEY) -> Result<PROPVARIANT> {
        unsafe { abi_c::get_property(&Listed(&self.entry), propkey) }
    }
    fn GetConflictIdInfo(&self) -> Result<SYNCMGR_CONFLICT_ID_INFO> {
        unsafe { abi_c::get_conflict_id_info(&Listed(&self.entry)) }
    }
    fn GetItemsArray(&self) -> Result<ISyncMgrConflictItems> {
        unsafe { abi_c::get_items_array(&Listed(&self.entry)) }
    }
    fn Resolve(&self, presolveinfo: Ref<ISyncMgrConflictResolveInfo>) -> Result<()> {
        unsafe { abi_c::resolve(&Listed(&self.entry), presolveinfo) }
    }
    fn GetResolutionHandler(
        &self,
        riid: *const GUID,
        ppvresolutionhandler: *mut *mut core::ffi::c_void,
    ) -> Result<()> {
        unsafe { abi_c::get_resolution_handler(&Listed(&self.entry), riid, ppvresolutionhandler) }
    }
}

/// An `IEnumSyncMgrConflict` over `entries`, from `position`.
fn enumerator<C: SyncMgrConflict + Send + Sync + 'static>(
    entries: Arc<[Arc<Entry<C>>]>,
    position: usize,
) -> IEnumSyncMgrConflict {
    ComObject::new(ConflictEnumerator(List::new(entries, position))).to_interface()
}

#[implement(IEnumSyncMgrConflict)]
struct ConflictEnumerator<C: SyncMgrConflict + Send + Sync + 'static>(List<Arc<Entry<C>>>);

impl<C: SyncMgrConflict + Send + Sync + 'static> IEnumSyncMgrConflict_Impl
    for ConflictEnumerator_Impl<C>
{
    fn Next(
        &self,
        celt: u32,
        rgelt: *mut Option<ISyncMgrConflict>,
        pceltfetched: *mut u32,
    ) -> HRESULT {
        // SAFETY: forwarded from the COM caller (`celt` writable slots, a writable count or
        // NULL).
        unsafe {
            self.0.next(
                celt,
                rgelt,
                pceltfetched,
                |entry| Ok(Some(conflict_object(Arc::clone(entry)))),
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
    fn Clone(&self) -> Result<IEnumSyncMgrConflict> {
        Ok(ComObject::new(ConflictEnumerator(self.0.copy())).to_interface())
    }
}
