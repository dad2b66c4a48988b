//! The items Sync Center has queued for a handler while it synchronizes
//! (`NF:syncmgr.ISyncMgrSyncCallback.QueryForAdditionalItems`): the `IEnumString` of their
//! ids and the `IEnumUnknown` of the interfaces passed to `StartHandlerSync` or
//! `StartItemSync`, read into an [`AdditionalItems`] by the checked session
//! ([`crate::sync_center::session::SyncSession::query_for_additional_items`]) and served from
//! lists by the Sync Center double ([`crate::sync_center::double`]).
//!
//! The bindings carry `IEnumString` and `IEnumUnknown` (`objidl.h`) without their methods; this
//! module declares the two vtables (`Next`, `Skip`, `Reset`, `Clone`: `NN:objidl.IEnumString`,
//! `NN:objidl.IEnumUnknown`) under the same interface ids.
//!
//! Reading follows the rule of the page (`syncmgr-session.query-for-additional-items.item-ids`):
//! every id `Next` hands out is freed with `CoTaskMemFree` once read, and an id longer than
//! `MAX_SYNCMGR_ID - 1` UTF-16 units is refused with `E_INVALIDARG` naming the rule.

use std::ops::Range;
use std::sync::Mutex;

use windows_core::{ComObject, Error, HRESULT, IUnknown, Interface, PCWSTR, PWSTR, Result};

use crate::bindings::{E_INVALIDARG, E_POINTER, IEnumString, IEnumUnknown, S_FALSE, S_OK};
use crate::com::abi;
use crate::contracts as rules;

use interfaces::{EnumString, EnumString_Impl, EnumUnknown, EnumUnknown_Impl};

#[allow(non_snake_case, missing_docs)]
mod interfaces {
    use windows_core::{HRESULT, IUnknown, PWSTR};

    /// `IEnumString` with its methods (`NN:objidl.IEnumString`).
    #[windows_core::interface("00000101-0000-0000-c000-000000000046")]
    pub unsafe trait EnumString: IUnknown {
        fn Next(&self, celt: u32, rgelt: *mut PWSTR, fetched: *mut u32) -> HRESULT;
        fn Skip(&self, celt: u32) -> HRESULT;
        fn Reset(&self) -> HRESULT;
        fn Clone(&self, clone: *mut *mut core::ffi::c_void) -> HRESULT;
    }

    /// `IEnumUnknown` with its methods (`NN:objidl.IEnumUnknown`).
    #[windows_core::interface("00000100-0000-0000-c000-000000000046")]
    pub unsafe trait EnumUnknown: IUnknown {
        fn Next(&self, celt: u32, rgelt: *mut *mut core::ffi::c_void, fetched: *mut u32)
        -> HRESULT;
        fn Skip(&self, celt: u32) -> HRESULT;
        fn Reset(&self) -> HRESULT;
        fn Clone(&self, clone: *mut *mut core::ffi::c_void) -> HRESULT;
    }

    /// `IEnumString::Next` for one id (the methods the interface macro makes are private to
    /// this module).
    ///
    /// # Safety
    /// `id` and `fetched` are writable.
    pub unsafe fn next_string(ids: &EnumString, id: *mut PWSTR, fetched: *mut u32) -> HRESULT {
        // SAFETY: forwarded.
        unsafe { ids.Next(1, id, fetched) }
    }

    /// `IEnumUnknown::Next` for one interface.
    ///
    /// # Safety
    /// `punk` and `fetched` are writable.
    pub unsafe fn next_unknown(
        punks: &EnumUnknown,
        punk: *mut *mut core::ffi::c_void,
        fetched: *mut u32,
    ) -> HRESULT {
        // SAFETY: forwarded.
        unsafe { punks.Next(1, punk, fetched) }
    }
}

/// What `QueryForAdditionalItems` handed out when items were pending: the items to
/// synchronize after the current synchronization, and the interfaces passed to
/// `StartHandlerSync` / `StartItemSync` for them
/// (`NF:syncmgr.ISyncMgrSyncCallback.QueryForAdditionalItems`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AdditionalItems {
    /// The pending items' ids, in the enumerator's order, each at most `MAX_SYNCMGR_ID - 1`
    /// UTF-16 units.
    pub item_ids: Vec<String>,
    /// The pending interfaces (none when Sync Center handed out no `IEnumUnknown`).
    pub punks: Vec<IUnknown>,
}

/// Reads both enumerators to their end, freeing every id.
///
/// # Errors
/// An enumerator's failure; `E_INVALIDARG` naming the rule for an id longer than
/// `MAX_SYNCMGR_ID - 1` units or not valid UTF-16, `E_POINTER` for a NULL id counted as
/// fetched.
pub(crate) fn read(
    ids: Option<IEnumString>,
    punks: Option<IEnumUnknown>,
) -> Result<AdditionalItems> {
    let mut items = AdditionalItems::default();
    if let Some(ids) = ids {
        // SAFETY: the same interface id: an IEnumString pointer is an EnumString pointer.
        let ids = unsafe { EnumString::from_raw(ids.into_raw()) };
        loop {
            let (mut id, mut fetched) = (PWSTR::null(), 0u32);
            // SAFETY: a call on a live interface with two writable locals.
            let code = unsafe { interfaces::next_string(&ids, &mut id, &mut fetched) };
            code.ok()?;
            if fetched == 0 {
                break;
            }
            items.item_ids.push(take_id(id)?);
            if code == S_FALSE {
                break;
            }
        }
    }
    if let Some(punks) = punks {
        // SAFETY: the same interface id, as above.
        let punks = unsafe { EnumUnknown::from_raw(punks.into_raw()) };
        loop {
            let (mut punk, mut fetched) = (std::ptr::null_mut(), 0u32);
            // SAFETY: a call on a live interface with two writable locals.
            let code = unsafe { interfaces::next_unknown(&punks, &mut punk, &mut fetched) };
            code.ok()?;
            if fetched == 0 {
                break;
            }
            if !punk.is_null() {
                // SAFETY: Next hands out an AddRef'd interface pointer: ours to release.
                items.punks.push(unsafe { IUnknown::from_raw(punk) });
            }
            if code == S_FALSE {
                break;
            }
        }
    }
    Ok(items)
}

/// Reads an id `Next` handed out, then frees it with `CoTaskMemFree`.
fn take_id(id: PWSTR) -> Result<String> {
    // SAFETY: Next hands out a NUL-terminated string or NULL; the read stops at the bound.
    let read = unsafe { abi::wide_units(PCWSTR(id.0), abi::MAX_ID_CHARS) }.and_then(|units| {
        String::from_utf16(units)
            .map_err(|_| abi::invalid_arg("the id is not valid UTF-16 (unpaired surrogate)"))
    });
    // SAFETY: the caller owns the string (`CoTaskMemAlloc`); null is allowed.
    unsafe { abi::co_task_free(id.0.cast()) };
    read.map_err(|error| {
        let code = if error.code() == E_POINTER {
            E_POINTER
        } else {
            E_INVALIDARG
        };
        Error::new(
            code,
            format!(
                "a pending item id is NULL, longer than {} UTF-16 units or not UTF-16: {}",
                abi::MAX_ID_CHARS,
                rules::SYNCMGR_SESSION_QUERY_FOR_ADDITIONAL_ITEMS_ITEM_IDS
            ),
        )
    })
}

/// An `IEnumString` over `ids`, from the first: `Next` hands out each id as a new
/// `CoTaskMemAlloc` string the caller frees.
pub(crate) fn string_enumerator(ids: Vec<String>) -> IEnumString {
    let list = ComObject::new(StringList(List::new(ids, 0)));
    let interface: EnumString = list.to_interface();
    // SAFETY: the same interface id: an EnumString pointer is an IEnumString pointer.
    unsafe { IEnumString::from_raw(interface.into_raw()) }
}

/// An `IEnumUnknown` over `punks`, from the first: `Next` hands out each with a new
/// reference.
pub(crate) fn unknown_enumerator(punks: Vec<IUnknown>) -> IEnumUnknown {
    let list = ComObject::new(UnknownList(List::new(punks, 0)));
    let interface: EnumUnknown = list.to_interface();
    // SAFETY: the same interface id, as above.
    unsafe { IEnumUnknown::from_raw(interface.into_raw()) }
}

/// A list and a position in it: the state of an `IEnumXXXX` object.
struct List<T> {
    items: std::sync::Arc<[T]>,
    position: Mutex<usize>,
}

impl<T> List<T> {
    fn new(items: impl Into<std::sync::Arc<[T]>>, position: usize) -> Self {
        Self {
            items: items.into(),
            position: Mutex::new(position),
        }
    }

    /// Moves up to `celt` items forward: the positions passed over and whether there were
    /// `celt` of them (`S_OK`) or fewer (`S_FALSE`, `NF:objidl.IEnumUnknown.Next`).
    fn advance(&self, celt: u32) -> (Range<usize>, HRESULT) {
        let mut position = self.position.lock().unwrap_or_else(|e| e.into_inner());
        let start = *position;
        let left = self.items.len().saturating_sub(start);
        let moved = left.min(usize::try_from(celt).unwrap_or(usize::MAX));
        *position = start + moved;
        let code = if u32::try_from(moved) == Ok(celt) {
            S_OK
        } else {
            S_FALSE
        };
        (start..start + moved, code)
    }

    fn reset(&self) {
        *self.position.lock().unwrap_or_else(|e| e.into_inner()) = 0;
    }

    fn copy(&self) -> Self {
        let position = *self.position.lock().unwrap_or_else(|e| e.into_inner());
        Self {
            items: std::sync::Arc::clone(&self.items),
            position: Mutex::new(position),
        }
    }

    /// `Next`: writes each item passed over with `write` into `rgelt`, the count into
    /// `fetched` (when not NULL, which it may be only for one item).
    ///
    /// # Safety
    /// `rgelt` is null or writable for `celt` elements; `fetched` null or writable.
    unsafe fn next<E>(
        &self,
        celt: u32,
        rgelt: *mut E,
        fetched: *mut u32,
        write: impl Fn(&T) -> Result<E>,
    ) -> HRESULT {
        if rgelt.is_null() {
            return E_POINTER;
        }
        if fetched.is_null() && celt != 1 {
            return E_INVALIDARG;
        }
        let (range, code) = self.advance(celt);
        let mut count = 0u32;
        for (slot, item) in self.items[range].iter().enumerate() {
            match write(item) {
                // SAFETY: `slot < celt`, writable by the caller's contract; the slots are
                // out-parameters: written, never dropped.
                Ok(element) => unsafe { rgelt.add(slot).write(element) },
                Err(error) => return error.code(),
            }
            count += 1;
        }
        if !fetched.is_null() {
            // SAFETY: checked not null; writable by the caller's contract.
            unsafe { fetched.write(count) };
        }
        code
    }
}

#[windows_core::implement(EnumString)]
struct StringList(List<String>);

#[windows_core::implement(EnumUnknown)]
struct UnknownList(List<IUnknown>);

impl EnumString_Impl for StringList_Impl {
    unsafe fn Next(&self, celt: u32, rgelt: *mut PWSTR, fetched: *mut u32) -> HRESULT {
        // SAFETY: forwarded from the COM caller.
        unsafe {
            self.0
                .next(celt, rgelt, fetched, |id| abi::co_task_wide(id))
        }
    }
    unsafe fn Skip(&self, celt: u32) -> HRESULT {
        self.0.advance(celt).1
    }
    unsafe fn Reset(&self) -> HRESULT {
        self.0.reset();
        S_OK
    }
    unsafe fn Clone(&self, clone: *mut *mut core::ffi::c_void) -> HRESULT {
        if clone.is_null() {
            return E_POINTER;
        }
        let copy: EnumString = ComObject::new(StringList(self.0.copy())).to_interface();
        // SAFETY: checked not null; the caller takes the reference.
        unsafe { clone.write(copy.into_raw()) };
        S_OK
    }
}

impl EnumUnknown_Impl for UnknownList_Impl {
    unsafe fn Next(
        &self,
        celt: u32,
        rgelt: *mut *mut core::ffi::c_void,
        fetched: *mut u32,
    ) -> HRESULT {
        // SAFETY: forwarded from the COM caller.
        unsafe {
            self.0
                .next(celt, rgelt, fetched, |punk| Ok(punk.clone().into_raw()))
        }
    }
    unsafe fn Skip(&self, celt: u32) -> HRESULT {
        self.0.advance(celt).1
    }
    unsafe fn Reset(&self) -> HRESULT {
        self.0.reset();
        S_OK
    }
    unsafe fn Clone(&self, clone: *mut *mut core::ffi::c_void) -> HRESULT {
        if clone.is_null() {
            return E_POINTER;
        }
        let copy: EnumUnknown = ComObject::new(UnknownList(self.0.copy())).to_interface();
        // SAFETY: checked not null; the caller takes the reference.
        unsafe { clone.write(copy.into_raw()) };
        S_OK
    }
}
