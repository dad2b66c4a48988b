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

    #[cfg(test)]
    mod tests {
        use windows_core::{HRESULT, Interface, PWSTR};

        use super::EnumString;
        use crate::bindings::{E_INVALIDARG, S_OK};
        use crate::com::abi;

        fn next(ids: &EnumString, celt: u32) -> (HRESULT, Vec<PWSTR>, u32) {
            let mut out = vec![PWSTR(std::ptr::dangling_mut::<u16>()); celt as usize];
            let mut fetched = 99;
            // SAFETY: `celt` writable slots and a writable count.
            let hr = unsafe { ids.Next(celt, out.as_mut_ptr(), &mut fetched) };
            (hr, out, fetched)
        }

        /// A `Next` that fails on its second id (NUL inside: it cannot be handed out) hands
        /// out nothing: the first id's string is freed and its slot NULL, the count 0, and the
        /// position is kept, so the first id comes again.
        #[test]
        fn a_failing_next_hands_out_nothing_and_keeps_the_position() {
            let list = super::super::string_enumerator(vec!["a".to_owned(), "b\0c".to_owned()]);
            let ids: EnumString = list.cast().unwrap();
            let (hr, out, fetched) = next(&ids, 2);
            assert_eq!(hr, E_INVALIDARG);
            assert_eq!(fetched, 0);
            assert!(out[0].is_null(), "the first slot is handed back NULL");
            let (hr, out, fetched) = next(&ids, 1);
            assert_eq!((hr, fetched), (S_OK, 1));
            // SAFETY: a string Next handed out.
            assert_eq!(unsafe { abi::take_co_task_wide(out[0]) }.unwrap(), "a");
        }
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
    /// `fetched` (when not NULL, which it may be only for one item). When `write` fails for
    /// an item (out of memory), the call fails whole: the elements already written are freed
    /// with `free` and set to `empty()`, `fetched` is 0 and the position is where it was, so
    /// the caller owns nothing it was not told about (COM's rule for a failing call's out
    /// values).
    ///
    /// # Safety
    /// `rgelt` is null or writable for `celt` elements; `fetched` null or writable.
    pub(crate) unsafe fn next<E>(
        &self,
        celt: u32,
        rgelt: *mut E,
        fetched: *mut u32,
        write: impl Fn(&T) -> Result<E>,
        free: impl Fn(E),
        empty: impl Fn() -> E,
    ) -> HRESULT {
        if rgelt.is_null() {
            return E_POINTER;
        }
        if fetched.is_null() && celt != 1 {
            return E_INVALIDARG;
        }
        let (range, code) = self.advance(celt);
        let start = range.start;
        let mut count = 0u32;
        for (slot, item) in self.items[range].iter().enumerate() {
            match write(item) {
                // SAFETY: `slot < celt`, writable by the caller's contract; the slots are
                // out-parameters: written, never dropped.
                Ok(element) => unsafe { rgelt.add(slot).write(element) },
                Err(error) => {
                    for written in 0..slot {
                        // SAFETY: written above in this call; handed back empty.
                        unsafe {
                            free(rgelt.add(written).read());
                            rgelt.add(written).write(empty());
                        }
                    }
                    *self.position.lock().unwrap_or_else(|e| e.into_inner()) = start;
                    if !fetched.is_null() {
                        // SAFETY: checked not null; writable by the caller's contract.
                        unsafe { fetched.write(0) };
                    }
                    return error.code();
                }
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
        // SAFETY: a string `co_task_wide` allocated with the COM task allocator.
        let free = |written: PWSTR| unsafe { abi::co_task_free(written.0.cast()) };
        // SAFETY: forwarded from the COM caller.
        unsafe {
            self.0.next(
                celt,
                rgelt,
                fetched,
                |id| abi::co_task_wide(id),
                free,
                PWSTR::null,
            )
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
        // SAFETY: a reference `into_raw` handed out by this call.
        let free = |written: *mut core::ffi::c_void| drop(unsafe { IUnknown::from_raw(written) });
        // SAFETY: forwarded from the COM caller.
        unsafe {
            self.0.next(
                celt,
                rgelt,
                fetched,
                |punk| Ok(punk.clone().into_raw()),
                free,
                core::ptr::null_mut,
            )
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
