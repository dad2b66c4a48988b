//! The versions of a conflicting item, for Sync Center's conflict presenter
//! (`NN:syncmgr.ISyncMgrConflictItems`, returned by `ISyncMgrConflict::GetItemsArray`):
//! [`conflict_items`] makes the array from [`ConflictItem`]s, and
//! [`free_confirm_conflict_item`] is the header's `FreeConfirmConflictItem` for the receiving
//! side.
//!
//! What holds at the boundary (rules of `contracts.toml`):
//!
//! - `GetItem` hands over what it fills in: the `IShellItem2` with a reference of its own and
//!   each string a `CoTaskMemAlloc` copy (NULL for one not given), which the receiver frees
//!   with `FreeConfirmConflictItem` (`conflict-items.get-item.caller-frees`,
//!   `NF:syncmgr.FreeConfirmConflictItem`);
//! - an index at or past `GetCount` is `E_INVALIDARG` (`conflict-items.get-item.index`, a
//!   decision: `NF:syncmgr.ISyncMgrConflictItems.GetItem` names no code), and after any
//!   failure the structure is zeroed, so freeing it does nothing;
//! - a NULL `pCount` or `pItemInfo` is `E_POINTER`; a panic is `E_UNEXPECTED`.
//!
//! A shell item is not `Send`, and a [`super::ConflictList`] keeps conflicts that are: a
//! conflict keeps what its versions are made from (paths, say) and makes the shell items in
//! `get_items_array` (on Windows, `shell_item` makes one of a file).

use windows_core::{ComObject, Error, PWSTR, Result, implement};

use crate::bindings::{
    CONFIRM_CONFLICT_ITEM, E_INVALIDARG, IShellItem2, ISyncMgrConflictItems,
    ISyncMgrConflictItems_Impl, SYNCMGR_CIT_DELETED, SYNCMGR_CIT_UPDATED,
    SYNCMGR_CONFLICT_ITEM_TYPE,
};
use crate::com::abi;
use crate::com::object_count::ObjectGuard;
use crate::contracts as rules;

/// What happened to a version of the item (`SYNCMGR_CONFLICT_ITEM_TYPE`,
/// `NE:syncmgr.SYNCMGR_CONFLICT_ITEM_TYPE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConflictItemKind {
    /// `SYNCMGR_CIT_UPDATED`: this version was updated.
    Updated,
    /// `SYNCMGR_CIT_DELETED`: this version was deleted.
    Deleted,
}

impl ConflictItemKind {
    fn code(self) -> SYNCMGR_CONFLICT_ITEM_TYPE {
        match self {
            Self::Updated => SYNCMGR_CIT_UPDATED,
            Self::Deleted => SYNCMGR_CIT_DELETED,
        }
    }
}

/// One version of a conflicting item (`CONFIRM_CONFLICT_ITEM`,
/// `NS:syncmgr.CONFIRM_CONFLICT_ITEM`).
#[derive(Clone, Debug)]
pub struct ConflictItem {
    /// The version as a shell item (`pShellItem`).
    pub shell_item: IShellItem2,
    /// Its name (`pszOriginalName`); `None`: the shell item's display name.
    pub original_name: Option<String>,
    /// The name it takes if several versions are kept (`pszAlternateName`).
    pub alternate_name: Option<String>,
    /// Where it is, short (`pszLocationShort`).
    pub location_short: Option<String>,
    /// Where it is, in full (`pszLocationFull`).
    pub location_full: Option<String>,
    /// Updated or deleted (`nType`).
    pub kind: ConflictItemKind,
}

impl ConflictItem {
    /// An updated version `shell_item`, its names and locations left to the shell item.
    pub fn updated(shell_item: IShellItem2) -> Self {
        Self {
            shell_item,
            original_name: None,
            alternate_name: None,
            location_short: None,
            location_full: None,
            kind: ConflictItemKind::Updated,
        }
    }
}

/// The shell item of the file or folder at `path`, as `IShellItem2`
/// (`SHCreateItemFromParsingName`, `NF:shobjidl_core.SHCreateItemFromParsingName`): a version of
/// a conflicting item kept as a file. Windows only.
///
/// # Errors
/// `E_INVALIDARG` for a path with a NUL; the shell's error, such as
/// `HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)` for a path that does not exist.
#[cfg(windows)]
pub fn shell_item(path: &std::path::Path) -> Result<IShellItem2> {
    use std::os::windows::ffi::OsStrExt;

    use windows_core::{GUID, HRESULT, Interface, PCWSTR};

    windows_link::link!("shell32.dll" "system" fn SHCreateItemFromParsingName(
        pszpath: PCWSTR,
        pbc: *mut core::ffi::c_void,
        riid: *const GUID,
        ppv: *mut *mut core::ffi::c_void
    ) -> HRESULT);

    let wide: Vec<u16> = path.as_os_str().encode_wide().chain([0]).collect();
    if wide[..wide.len() - 1].contains(&0) {
        return Err(abi::invalid_arg("the path holds a NUL"));
    }
    let mut item = std::ptr::null_mut();
    // SAFETY: a NUL-terminated path, no bind context, a valid IID and out-pointer.
    unsafe {
        SHCreateItemFromParsingName(
            PCWSTR(wide.as_ptr()),
            std::ptr::null_mut(),
            &IShellItem2::IID,
            &mut item,
        )
    }
    .ok()?;
    if item.is_null() {
        return Err(Error::from_hresult(crate::bindings::E_POINTER));
    }
    // SAFETY: an IShellItem2 the call handed over, with its reference.
    Ok(unsafe { IShellItem2::from_raw(item) })
}

/// The array a conflict's `get_items_array` returns: `items`, in order (see the module docs).
pub fn conflict_items(items: Vec<ConflictItem>) -> ISyncMgrConflictItems {
    ComObject::new(ConflictItemsObject {
        items,
        _guard: ObjectGuard::new(),
    })
    .to_interface()
}

/// Frees what `GetItem` handed over and zeroes `item`: the shell item's reference is released
/// and the strings freed with `CoTaskMemFree` (the header's `FreeConfirmConflictItem`,
/// `NF:syncmgr.FreeConfirmConflictItem`). Freeing a zeroed structure does nothing.
///
/// # Safety
/// `item` holds what a `GetItem` handed over (or NULLs), not freed yet.
pub unsafe fn free_confirm_conflict_item(item: &mut CONFIRM_CONFLICT_ITEM) {
    // SAFETY: the caller's promise: a reference of its own and `CoTaskMemAlloc` strings.
    unsafe {
        drop(std::mem::ManuallyDrop::take(&mut item.pShellItem));
        for text in [
            item.pszOriginalName,
            item.pszAlternateName,
            item.pszLocationShort,
            item.pszLocationFull,
        ] {
            abi::co_task_free(text.0.cast());
        }
        std::ptr::write(item, std::mem::zeroed());
    }
}

/// The COM object of [`conflict_items`].
#[implement(ISyncMgrConflictItems)]
struct ConflictItemsObject {
    items: Vec<ConflictItem>,
    _guard: ObjectGuard,
}

/// A `CoTaskMemAlloc` copy of `text`, NULL for `None`.
fn co_task_text(text: Option<&str>) -> Result<PWSTR> {
    text.map_or(Ok(PWSTR::null()), abi::co_task_wide)
}

impl ConflictItemsObject_Impl {
    /// Fills `info` with item `index`, zeroed again on failure.
    fn fill(&self, index: u32, info: &mut CONFIRM_CONFLICT_ITEM) -> Result<()> {
        let item = usize::try_from(index)
            .ok()
            .and_then(|i| self.items.get(i))
            .ok_or_else(|| {
                Error::new(
                    E_INVALIDARG,
                    format!(
                        "item {index} of {}: {}",
                        self.items.len(),
                        rules::CONFLICT_ITEMS_GET_ITEM_INDEX
                    ),
                )
            })?;
        let filled = (|| {
            info.pszOriginalName = co_task_text(item.original_name.as_deref())?;
            info.pszAlternateName = co_task_text(item.alternate_name.as_deref())?;
            info.pszLocationShort = co_task_text(item.location_short.as_deref())?;
            info.pszLocationFull = co_task_text(item.location_full.as_deref())?;
            Ok(())
        })();
        if let Err(error) = filled {
            // SAFETY: only strings of ours so far, the rest NULL.
            unsafe { free_confirm_conflict_item(info) };
            return Err(error);
        }
        info.pShellItem = std::mem::ManuallyDrop::new(Some(item.shell_item.clone()));
        info.nType = item.kind.code();
        Ok(())
    }
}

impl ISyncMgrConflictItems_Impl for ConflictItemsObject_Impl {
    fn GetCount(&self) -> Result<u32> {
        abi::guard(|| {
            u32::try_from(self.items.len()).map_err(|_| abi::invalid_arg("over 2^32 items"))
        })
    }

    fn GetItem(&self, index: u32, info: *mut CONFIRM_CONFLICT_ITEM) -> Result<()> {
        abi::check_out(info.is_null())?;
        // SAFETY: checked not null; the structure is the caller's, written whole here, so
        // what it held before is not read.
        let info = unsafe {
            std::ptr::write(info, std::mem::zeroed());
            &mut *info
        };
        let result = abi::guard(|| self.fill(index, info));
        if result.is_err() {
            // Whatever a panic left half-filled is leaked rather than freed twice; the caller
            // sees a zeroed structure.
            // SAFETY: as above.
            unsafe { std::ptr::write(info, std::mem::zeroed()) };
        }
        result
    }
}
