//! Conflicts a handler keeps for Sync Center's Conflicts folder
//! (`NN:syncmgr.ISyncMgrConflictStore`): [`ConflictList`], a ready list of conflicts (each a
//! [`SyncMgrConflict`](crate::skeletons::SyncMgrConflict) with its ID, handler and item) whose
//! [`ConflictList::store`] (the handler's conflicts) and [`ConflictList::item_store`] (one
//! item's) are the `ISyncMgrConflictStore` objects `GetObject` hands out for
//! [`ObjectId::ConflictStore`](crate::sync_center::objects::ObjectId); and
//! [`resolution_handler`], any [`SyncMgrResolutionHandler`] as a checked
//! `ISyncMgrResolutionHandler`; [`conflict_items`], the versions of a conflicting item as the
//! `ISyncMgrConflictItems` array a conflict's `GetItemsArray` returns (see [`ConflictItem`]).
//!
//! What holds at the boundary (rules of `contracts.toml`):
//!
//! - `EnumConflicts` and `GetCount` filter by the handler and item IDs they are given, a NULL or
//!   empty ID filtering nothing (`conflict-store.enum-conflicts.null-ignored`,
//!   `conflict-store.enum-conflicts.scope`, `NF:syncmgr.ISyncMgrConflictStore.EnumConflicts`), and
//!   `GetCount` is the number the enumerator hands out for the same scope
//!   (`conflict-store.get-count.matches-enumerator`);
//! - conflict IDs are unique and not empty: [`ConflictList::add`] refuses others
//!   (`conflict-store.unique-ids`); a conflict served from the list answers `GetConflictIdInfo`
//!   with that ID (`conflict.get-conflict-id-info.from-list`);
//! - `BindToConflict` for an ID the store does not hold is `E_INVALIDARG`
//!   (`conflict-store.bind-to-conflict.known-id`), and the conflict is queried for `riid` with
//!   `ppv` NULL after every failure (`conflict-store.bind-to-conflict.riid`,
//!   `NF:syncmgr.ISyncMgrConflictStore.BindToConflict`); `GetResolutionHandler` likewise
//!   (`conflict.get-resolution-handler.riid`);
//! - a resolved conflict stays in the store until `RemoveConflicts` or
//!   [`ConflictList::remove`] removes it (`conflict-store.nothing-assumed`);
//! - [`resolution_handler`]'s `QueryAbilities` refuses bits outside `SYNCMGR_RA_VALID`
//!   (`resolution-handler.query-abilities.valid`,
//!   `NF:syncmgr.ISyncMgrResolutionHandler.QueryAbilities`).
//!
//! After adding or removing conflicts (and after resolving one), a handler calls
//! `ISyncMgrControl::UpdateConflicts` (`conflict-store.update-conflicts`,
//! `conflict.resolve.store-notifies`): the list has no connection to Sync Center.
//!
//! Decision where the pages are silent: the `BYTE_BLOB`s of `GetConflictIdInfo` are
//! `CoTaskMemAlloc` allocations the caller frees with `CoTaskMemFree` (COM's rule for memory an
//! out-parameter hands over); `pblobExtra` is NULL.

mod items;
mod store;

#[cfg(windows)]
pub use items::shell_item;
pub use items::{ConflictItem, ConflictItemKind, conflict_items, free_confirm_conflict_item};
pub use store::{ConflictList, ConflictObject};

use windows_core::{Error, Ref, Result, implement};

use crate::bindings::{
    BYTE_BLOB, E_OUTOFMEMORY, IShellItem, ISyncMgrConflictResolutionItems,
    ISyncMgrResolutionHandler, ISyncMgrResolutionHandler_Impl, SYNCMGR_CONFLICT_ID_INFO,
    SYNCMGR_RA_VALID, SYNCMGR_RESOLUTION_FEEDBACK,
};
use crate::com::abi;
use crate::com::object_count::ObjectGuard;
use crate::contracts as rules;
use crate::skeletons::{SyncMgrResolutionHandler, sync_mgr_resolution_handler_abi as abi_r};

/// The bytes of a `BYTE_BLOB` (`clSize` bytes from `abData`).
///
/// # Errors
/// `E_POINTER` for a null blob.
///
/// # Safety
/// `blob` is null or points to a `BYTE_BLOB` followed by its `clSize` bytes.
pub unsafe fn blob_bytes(blob: *const BYTE_BLOB) -> Result<Vec<u8>> {
    if blob.is_null() {
        return Err(abi::null_pointer());
    }
    // SAFETY: not null; the caller's contract covers the header and `clSize` bytes after it.
    unsafe {
        let size = usize::try_from(std::ptr::addr_of!((*blob).clSize).read())
            .map_err(|_| abi::invalid_arg("a BYTE_BLOB larger than memory"))?;
        let data = std::ptr::addr_of!((*blob).abData).cast::<u8>();
        Ok(std::slice::from_raw_parts(data, size).to_vec())
    }
}

/// The conflict ID (`pblobID`) of `info`.
///
/// # Errors
/// `E_POINTER` when `pblobID` is null.
///
/// # Safety
/// `info.pblobID` is null or a valid `BYTE_BLOB` (see [`blob_bytes`]).
pub unsafe fn conflict_id(info: &SYNCMGR_CONFLICT_ID_INFO) -> Result<Vec<u8>> {
    unsafe { blob_bytes(info.pblobID) }
}

/// `bytes` as a `CoTaskMemAlloc` `BYTE_BLOB` the receiver frees with `CoTaskMemFree`.
///
/// # Errors
/// `E_OUTOFMEMORY`, or `E_INVALIDARG` for more than `u32::MAX` bytes.
pub fn co_task_blob(bytes: &[u8]) -> Result<*mut BYTE_BLOB> {
    let size = u32::try_from(bytes.len()).map_err(|_| abi::invalid_arg("a blob over 4 GiB"))?;
    let offset = std::mem::offset_of!(BYTE_BLOB, abData);
    let total = (offset + bytes.len()).max(size_of::<BYTE_BLOB>());
    let memory = abi::co_task_alloc(total).cast::<BYTE_BLOB>();
    if memory.is_null() {
        return Err(Error::from_hresult(E_OUTOFMEMORY));
    }
    // SAFETY: `total` bytes were allocated (aligned by the COM allocator), enough for the header
    // and `bytes` after it.
    unsafe {
        std::ptr::addr_of_mut!((*memory).clSize).write(size);
        let data = std::ptr::addr_of_mut!((*memory).abData).cast::<u8>();
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), data, bytes.len());
    }
    Ok(memory)
}

/// `handler` as the `ISyncMgrResolutionHandler` a conflict's `get_resolution_handler` returns
/// (as `IUnknown`): `QueryAbilities` with bits outside `SYNCMGR_RA_VALID` is `E_INVALIDARG`
/// (`resolution-handler.query-abilities.valid`), panics are `E_UNEXPECTED`.
pub fn resolution_handler<T: SyncMgrResolutionHandler + 'static>(
    handler: T,
) -> ISyncMgrResolutionHandler {
    windows_core::ComObject::new(ResolutionObject {
        handler,
        _guard: ObjectGuard::new(),
    })
    .to_interface()
}

/// A served resolution handler.
#[implement(ISyncMgrResolutionHandler)]
struct ResolutionObject<T: SyncMgrResolutionHandler + 'static> {
    handler: T,
    _guard: ObjectGuard,
}

/// The check of [`resolution_handler`].
struct Checked<'a, T>(&'a T);

impl<T: SyncMgrResolutionHandler> SyncMgrResolutionHandler for Checked<'_, T> {
    fn query_abilities(&self) -> Result<u32> {
        let abilities = self.0.query_abilities()?;
        let valid = SYNCMGR_RA_VALID.cast_unsigned();
        if abilities & !valid != 0 {
            return Err(abi::invalid_arg(format_args!(
                "the abilities {abilities:#x} have bits outside SYNCMGR_RA_VALID ({valid:#x}): {}",
                rules::RESOLUTION_HANDLER_QUERY_ABILITIES_VALID
            )));
        }
        Ok(abilities)
    }
    fn keep_other(&self, other: &IShellItem) -> Result<SYNCMGR_RESOLUTION_FEEDBACK> {
        self.0.keep_other(other)
    }
    fn keep_recent(&self) -> Result<SYNCMGR_RESOLUTION_FEEDBACK> {
        self.0.keep_recent()
    }
    fn remove_from_sync_set(&self) -> Result<SYNCMGR_RESOLUTION_FEEDBACK> {
        self.0.remove_from_sync_set()
    }
    fn keep_items(
        &self,
        array: &ISyncMgrConflictResolutionItems,
    ) -> Result<SYNCMGR_RESOLUTION_FEEDBACK> {
        self.0.keep_items(array)
    }
}

impl<T: SyncMgrResolutionHandler + 'static> ISyncMgrResolutionHandler_Impl
    for ResolutionObject_Impl<T>
{
    fn QueryAbilities(&self) -> Result<u32> {
        unsafe { abi_r::query_abilities(&Checked(&self.handler)) }
    }
    fn KeepOther(&self, psiother: Ref<IShellItem>) -> Result<SYNCMGR_RESOLUTION_FEEDBACK> {
        unsafe { abi_r::keep_other(&Checked(&self.handler), psiother) }
    }
    fn KeepRecent(&self) -> Result<SYNCMGR_RESOLUTION_FEEDBACK> {
        unsafe { abi_r::keep_recent(&Checked(&self.handler)) }
    }
    fn RemoveFromSyncSet(&self) -> Result<SYNCMGR_RESOLUTION_FEEDBACK> {
        unsafe { abi_r::remove_from_sync_set(&Checked(&self.handler)) }
    }
    fn KeepItems(
        &self,
        parray: Ref<ISyncMgrConflictResolutionItems>,
    ) -> Result<SYNCMGR_RESOLUTION_FEEDBACK> {
        unsafe { abi_r::keep_items(&Checked(&self.handler), parray) }
    }
}
