//! `IEnumString` and `IEnumUnknown` (`objidl.h`) for Sync Center: the lists this crate serves
//! through them (the handler ids of a collection, [`crate::sync_center::collection`]; the
//! pending items of the Sync Center double, [`crate::sync_center::double`]) and a checked
//! reader of the ids another object's `IEnumString` hands out.
//!
//! The bindings carry `IEnumString` and `IEnumUnknown` without their methods; this module
//! declares the two vtables (`Next`, `Skip`, `Reset`, `Clone`: `NN:objidl.IEnumString`,
//! `NN:objidl.IEnumUnknown`) under the same interface ids.
//!
//! The lists follow the `IEnumXXXX` convention: `Next` hands out up to `celt` elements and
//! answers `S_FALSE` when it hands out fewer, `pceltFetched` may be NULL only when `celt` is 1
//! (`NF:objidl.IEnumString.Next`), `Skip` answers `S_FALSE` when fewer elements were left,
//! `Clone` starts at the same position. Every list counts as a live object of the module
//! ([`ObjectGuard`]) while it exists, so that a handler DLL's `DllCanUnloadNow` answers
//! `S_FALSE` while Sync Center holds a collection's enumerator.

use std::ops::Range;
use std::sync::{Arc, Mutex};

use windows_core::{ComObject, Error, HRESULT, IUnknown, Interface, PCWSTR, PWSTR, Result};

use crate::bindings::{E_INVALIDARG, E_POINTER, IEnumString, IEnumUnknown, S_FALSE, S_OK};
use crate::com::abi;
use crate::com::object_count::ObjectGuard;
use crate::contract::Rule;

use interfaces::{EnumString, EnumString_Impl, EnumUnknown, EnumUnknown_Impl};

/// The most ids [`read_ids`] reads from one enumerator: an enumerator that never answers
/// `S_FALSE` is read this far and then refused.
pub(crate) const MAX_READ: usize = 65_536;

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

/// `IEnumString::Next(1, id, fetched)` on any `IEnumString`: the raw answer, for a reader
/// that checks the protocol itself (the Sync Center double's discovery).
///
/// # Safety
/// `id` and `fetched` are writable.
pub(crate) unsafe fn next_string(ids: &IEnumString, id: *mut PWSTR, fetched: *mut u32) -> HRESULT {
    // SAFETY: the same interface id: an IEnumString pointer is an EnumString pointer; the
    // borrow ends with this function, while `ids` holds its reference.
    let raw = ids.as_raw();
    let Some(ids) = (unsafe { EnumString::from_raw_borrowed(&raw) }) else {
        return E_POINTER;
    };
    // SAFETY: forwarded.
    unsafe { interfaces::next_string(ids, id, fetched) }
}

/// `IEnumUnknown::Next(1, punk, fetched)` on any `IEnumUnknown`.
///
/// # Safety
/// `punk` and `fetched` are writable.
pub(crate) unsafe fn next_unknown(
    punks: &IEnumUnknown,
    punk: *mut *mut core::ffi::c_void,
    fetched: *mut u32,
) -> HRESULT {
    // SAFETY: the same interface id, as in `next_string`.
    let raw = punks.as_raw();
    let Some(punks) = (unsafe { EnumUnknown::from_raw_borrowed(&raw) }) else {
        return E_POINTER;
    };
    // SAFETY: forwarded.
    unsafe { interfaces::next_unknown(punks, punk, fetched) }
}

/// Reads every id `ids` hands out, one `Next` at a time until it hands out none or answers
/// `S_FALSE`, freeing each with `CoTaskMemFree` once read.
///
/// # Errors
/// The enumerator's failure; `E_INVALIDARG` naming `rule` (with `what` naming the ids) for an
/// id longer than `MAX_SYNCMGR_ID - 1` units or not valid UTF-16, or for more than
/// [`MAX_READ`] ids; `E_POINTER` naming `rule` for a NULL id counted as fetched.
pub(crate) fn read_ids(ids: &IEnumString, what: &str, rule: &Rule) -> Result<Vec<String>> {
    let mut read = Vec::new();
    loop {
        if read.len() == MAX_READ {
            return Err(abi::invalid_arg(format_args!(
                "{what}: the enumerator handed out more than {MAX_READ} ids without S_FALSE: {rule}"
            )));
        }
        let (mut id, mut fetched) = (PWSTR::null(), 0u32);
        // SAFETY: a call on a live interface with two writable locals.
        let code = unsafe { next_string(ids, &mut id, &mut fetched) };
        code.ok()?;
        if fetched == 0 {
            break;
        }
        read.push(take_id(id, what, rule)?);
        if code == S_FALSE {
            break;
        }
    }
    Ok(read)
}

/// Reads an id `Next` handed out, then frees it with `CoTaskMemFree`.
///
/// # Errors
/// As [`read_ids`].
pub(crate) fn take_id(id: PWSTR, what: &str, rule: &Rule) -> Result<String> {
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
                "{what} is NULL, longer than {} UTF-16 units or not UTF-16: {rule}",
                abi::MAX_ID_CHARS
            ),
        )
    })
}

/// An `IEnumString` over `ids`, from the first: `Next` hands out each id as a new
/// `CoTaskMemAlloc` string the caller frees.
pub(crate) fn string_enumerator(ids: impl Into<Arc<[String]>>) -> IEnumString {
    let list = ComObject::new(StringList(List::new(ids.into(), 0)));
    let interface: EnumString = list.to_interface();
    // SAFETY: the same interface id: an EnumString pointer is an IEnumString pointer.
    unsafe { IEnumString::from_raw(interface.into_raw()) }
}

/// An `IEnumUnknown` over `punks`, from the first: `Next` hands out each with a new
/// reference.
pub(crate) fn unknown_enumerator(punks: Vec<IUnknown>) -> IEnumUnknown {
    let list = ComObject::new(UnknownList(List::new(punks.into(), 0)));
    let interface: EnumUnknown = list.to_interface();
    // SAFETY: the same interface id, as above.
    unsafe { IEnumUnknown::from_raw(interface.into_raw()) }
}

/// A list and a position in it: the state of an `IEnumXXXX` object, a live object of the
/// module while it exists.
pub(crate) struct List<T> {
    items: Arc<[T]>,
    position: Mutex<usize>,
    _guard: ObjectGuard,
}

impl<T> List<T> {
    pub(crate) fn new(items: Arc<[T]>, position: usize) -> Self {
        Self {
            items,
            position: Mutex::new(position),
            _guard: ObjectGuard::new(),
        }
    }

    /// Moves up to `celt` items forward: the positions passed over and whether there were
    /// `celt` of them (`S_OK`) or fewer (`S_FALSE`, `NF:objidl.IEnumUnknown.Next`).
    pub(crate) fn advance(&self, celt: u32) -> (Range<usize>, HRESULT) {
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

    pub(crate) fn reset(&self) {
        *self.position.lock().unwrap_or_else(|e| e.into_inner()) = 0;
    }

    pub(crate) fn copy(&self) -> Self {
        let position = *self.position.lock().unwrap_or_else(|e| e.into_inner());
        Self::new(Arc::clone(&self.items), position)
    }

    /// `Next`: writes each item passed over with `write` into `rgelt`, the count into
    /// `fetched` (when not NULL, which it may be only for one item).
    ///
    /// # Safety
    /// `rgelt` is null or writable for `celt` elements; `fetched` null or writable.
    pub(crate) unsafe fn next<E>(
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
