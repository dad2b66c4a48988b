//! Checked conversions at the COM boundary, used by the generated ABI adapters.
//!
//! Every function here either succeeds or returns the HRESULT the COM caller should receive;
//! none panics on a null or hostile pointer, and none reads a wide string past its bound.

use std::panic::{AssertUnwindSafe, catch_unwind};

use windows_core::{Error, HRESULT, PCWSTR, PWSTR, Result};

use crate::bindings::{E_INVALIDARG, E_OUTOFMEMORY, E_POINTER, E_UNEXPECTED, MAX_SYNCMGR_ID};

/// The longest Sync Center id an adapter reads, in UTF-16 units without the terminating NUL:
/// `MAX_SYNCMGR_ID` counts the NUL (`NN:syncmgr.ISyncMgrSessionCreator`).
pub const MAX_ID_CHARS: usize = MAX_SYNCMGR_ID as usize - 1;

/// The longest other wide string an adapter reads, in UTF-16 units without the NUL: the length
/// limit of a counted Windows string (`UNICODE_STRING`, 65,535 bytes).
pub const MAX_TEXT_CHARS: usize = 32_767;

/// Runs implementation code, turning a panic into `E_UNEXPECTED` so that it never unwinds across
/// the COM boundary. A caught panic is also noted for this thread, for
/// [`take_caught_panic`].
///
/// # Errors
/// What `f` returns, or `E_UNEXPECTED` (with the panic's message) when it panics.
#[inline]
pub fn guard<R>(f: impl FnOnce() -> Result<R>) -> Result<R> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => Err(caught(payload)),
    }
}

/// The error for a panic [`guard`] caught, noted for [`take_caught_panic`]; out of line, so
/// that the adapters' success path carries none of it.
#[cold]
#[inline(never)]
fn caught(payload: Box<dyn std::any::Any + Send>) -> Error {
    CAUGHT_PANIC.set(true);
    panic_error(payload.as_ref())
}

thread_local! {
    /// Whether [`guard`] caught a panic on this thread since [`take_caught_panic`] last ran.
    static CAUGHT_PANIC: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether a [`guard`] on this thread caught a panic since the last call, and forgets it: how
/// an object around the generated adapters learns that the `E_UNEXPECTED` it got back was a
/// panic (the provider object records it on the session), without a second `catch_unwind`.
/// Ask right after the adapter returned an error.
pub fn take_caught_panic() -> bool {
    CAUGHT_PANIC.replace(false)
}

/// `E_UNEXPECTED` carrying a caught panic's message.
pub fn panic_error(payload: &(dyn std::any::Any + Send)) -> Error {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string());
    Error::new(
        E_UNEXPECTED,
        format!("the implementation panicked: {message}"),
    )
}

/// `E_INVALIDARG` for a value that is not one of `type_name`'s (out of line: the checked
/// conversions stay small enough to inline).
#[cold]
#[inline(never)]
pub fn invalid_value(value: impl std::fmt::Display, type_name: &str) -> Error {
    invalid_arg(format_args!("{value} is not a valid {type_name}"))
}

/// `E_INVALIDARG` with `message`.
pub fn invalid_arg(message: impl std::fmt::Display) -> Error {
    Error::new(E_INVALIDARG, message.to_string())
}

/// `E_NOTIMPL`: what a skeleton method's default body returns when it has a value to hand
/// back and no implementation.
pub fn not_implemented() -> Error {
    Error::from_hresult(crate::bindings::E_NOTIMPL)
}

/// The success code of a method whose success codes are S_OK and S_FALSE only (the methods
/// whose S_FALSE is kept as data, `supplement.toml`'s `keeps_s_false`): another success code
/// from the implementation is `E_UNEXPECTED`, which callers read as a failure; failure codes pass
/// through as the implementation's answer (for example
/// `NF:syncmgr.ISyncMgrHandlerInfo.IsActive`: S_OK, S_FALSE, or E_NOTIMPL).
///
/// # Errors
/// `E_UNEXPECTED` for a success code other than S_OK and S_FALSE.
pub fn s_ok_or_s_false(code: HRESULT) -> Result<HRESULT> {
    if code.is_err() || code == crate::bindings::S_OK || code == crate::bindings::S_FALSE {
        return Ok(code);
    }
    Err(Error::new(
        E_UNEXPECTED,
        format!(
            "the implementation answered the success code {:#010x}: only S_OK and S_FALSE are defined",
            code.0
        ),
    ))
}

/// The `count` elements an `[in]` array parameter points to (`pguidEventIDs` of
/// `ISyncMgrEventStore::RemoveEvent` and its `cEvents`): empty for a count of 0, whatever the
/// pointer.
///
/// # Errors
/// `E_POINTER` when `data` is null and `count` is not 0.
///
/// # Safety
/// `data` is null or valid for reading `count` elements for `'a`.
pub unsafe fn read_array<'a, T>(data: *const T, count: u32) -> Result<&'a [T]> {
    if count == 0 {
        return Ok(&[]);
    }
    if data.is_null() {
        return Err(null_pointer());
    }
    let count = usize::try_from(count).map_err(|_| null_pointer())?;
    // SAFETY: not null; the caller's contract covers `count` elements.
    Ok(unsafe { std::slice::from_raw_parts(data, count) })
}

/// Queries `object` for `riid` into `ppv`, for the methods that hand out an object by interface
/// id (`queried` in `contracts.toml`: `ISyncMgrConflictStore::BindToConflict`, ...); after a
/// failed query `*ppv` is NULL.
///
/// # Errors
/// The query's failure (`E_NOINTERFACE`), or `E_POINTER` for a null `ppv`.
///
/// # Safety
/// `ppv` is null or valid for writing a pointer.
pub unsafe fn write_queried(
    object: &windows_core::IUnknown,
    riid: &windows_core::GUID,
    ppv: *mut *mut core::ffi::c_void,
) -> Result<()> {
    use windows_core::Interface;
    check_out(ppv.is_null())?;
    // SAFETY: `ppv` checked not null, writable by the caller's contract.
    let code = unsafe { object.query(riid, ppv) };
    if code.is_err() {
        // SAFETY: as above.
        unsafe { ppv.write(core::ptr::null_mut()) };
        return Err(Error::new(
            code,
            format!("the object does not implement {riid:?}"),
        ));
    }
    Ok(())
}

/// S_OK for `true`, S_FALSE for `false`: the wire form of a yes/no answer (the methods of
/// `supplement.toml`'s `keeps_s_false` with `yes_no`, such as
/// `NF:syncmgr.ISyncMgrHandlerInfo.IsActive`).
pub fn s_ok_if(answer: bool) -> HRESULT {
    if answer {
        crate::bindings::S_OK
    } else {
        crate::bindings::S_FALSE
    }
}

/// `E_POINTER`: a required pointer was null.
pub fn null_pointer() -> Error {
    Error::from_hresult(E_POINTER)
}

/// `Err(E_POINTER)` when an out-pointer is null, checked before implementation code runs so
/// that nothing is computed for a result that cannot be written.
///
/// # Errors
/// `E_POINTER` when `is_null`.
pub fn check_out(is_null: bool) -> Result<()> {
    if is_null { Err(null_pointer()) } else { Ok(()) }
}

/// The UTF-16 units of a NUL-terminated wide string, without the NUL, reading at most
/// `max_chars + 1` units.
///
/// # Errors
/// `E_POINTER` for null; `E_INVALIDARG` when no NUL comes within `max_chars + 1` units.
///
/// # Safety
/// `text` is null or points to readable memory up to its NUL or `max_chars + 1` units,
/// whichever comes first.
pub unsafe fn wide_units<'a>(text: PCWSTR, max_chars: usize) -> Result<&'a [u16]> {
    if text.is_null() {
        return Err(null_pointer());
    }
    let start = text.as_ptr();
    for len in 0..=max_chars {
        // SAFETY: the caller guarantees units up to the NUL or the bound are readable, and the
        // loop stops at the first NUL.
        if unsafe { *start.add(len) } == 0 {
            // SAFETY: `len` units from `start` were just read.
            return Ok(unsafe { std::slice::from_raw_parts(start, len) });
        }
    }
    Err(invalid_arg(format_args!(
        "the string is longer than {max_chars} UTF-16 units"
    )))
}

/// Reads a required wide string parameter into a `String`.
///
/// # Errors
/// `E_POINTER` for null; `E_INVALIDARG` when it is longer than `max_chars` units or not valid
/// UTF-16 (an unpaired surrogate).
///
/// # Safety
/// As [`wide_units`].
pub unsafe fn read_wide(text: PCWSTR, max_chars: usize) -> Result<String> {
    // SAFETY: forwarded to the caller.
    let units = unsafe { wide_units(text, max_chars) }?;
    String::from_utf16(units)
        .map_err(|_| invalid_arg("the string is not valid UTF-16 (unpaired surrogate)"))
}

/// Reads an optional wide string parameter: null is `None`.
///
/// # Errors
/// As [`read_wide`], except that null is not an error.
///
/// # Safety
/// As [`wide_units`].
pub unsafe fn read_wide_opt(text: PCWSTR, max_chars: usize) -> Result<Option<String>> {
    if text.is_null() {
        return Ok(None);
    }
    // SAFETY: forwarded to the caller.
    unsafe { read_wide(text, max_chars) }.map(Some)
}

/// Reads an array of `count` required wide strings.
///
/// # Errors
/// `E_POINTER` when the array, or one of its strings, is null while `count > 0`; as
/// [`read_wide`] for each string.
///
/// # Safety
/// `array` is null or points to `count` readable `PCWSTR`s, each valid as for [`wide_units`].
pub unsafe fn read_wide_array(
    array: *const PCWSTR,
    count: u32,
    max_chars: usize,
) -> Result<Vec<String>> {
    if count == 0 {
        return Ok(Vec::new());
    }
    if array.is_null() {
        return Err(null_pointer());
    }
    (0..count as usize)
        // SAFETY: the caller guarantees `count` readable elements.
        .map(|i| unsafe { read_wide(*array.add(i), max_chars) })
        .collect()
}

/// Copies `text` into a NUL-terminated wide string allocated with the COM task allocator
/// (`CoTaskMemAlloc`), which the caller frees with `CoTaskMemFree` (see [`co_task_free`]).
///
/// # Errors
/// `E_OUTOFMEMORY` when the allocation fails; `E_INVALIDARG` when `text` holds a NUL.
pub fn co_task_wide(text: &str) -> Result<PWSTR> {
    if text.contains('\0') {
        return Err(invalid_arg("a string handed to COM must not contain NUL"));
    }
    let units: Vec<u16> = text.encode_utf16().chain(std::iter::once(0)).collect();
    let bytes = units.len() * size_of::<u16>();
    let memory = co_task_alloc(bytes).cast::<u16>();
    if memory.is_null() {
        return Err(Error::from_hresult(E_OUTOFMEMORY));
    }
    // SAFETY: `memory` holds `bytes` writable bytes, aligned for u16, not overlapping `units`.
    unsafe { std::ptr::copy_nonoverlapping(units.as_ptr(), memory, units.len()) };
    Ok(PWSTR(memory))
}

/// Allocates `bytes` with the COM task allocator. Null when out of memory.
pub fn co_task_alloc(bytes: usize) -> *mut core::ffi::c_void {
    com_allocator::alloc(bytes)
}

/// Frees memory from [`co_task_alloc`] (or from any COM component's `CoTaskMemAlloc`);
/// null is allowed.
///
/// # Safety
/// `memory` is null or was allocated by the COM task allocator and not freed yet.
pub unsafe fn co_task_free(memory: *mut core::ffi::c_void) {
    // SAFETY: forwarded to the caller.
    unsafe { com_allocator::free(memory) }
}

/// Reads and frees a wide string a COM method handed out (`CoTaskMemFree` after reading).
///
/// # Errors
/// As [`read_wide`] with [`MAX_TEXT_CHARS`]; the memory is freed in every case.
///
/// # Safety
/// `text` is null or a NUL-terminated string allocated with the COM task allocator.
pub unsafe fn take_co_task_wide(text: PWSTR) -> Result<String> {
    // SAFETY: forwarded to the caller.
    let result = unsafe { read_wide(PCWSTR(text.0), MAX_TEXT_CHARS) };
    // SAFETY: the caller hands over ownership.
    unsafe { co_task_free(text.0.cast()) };
    result
}

#[cfg(windows)]
mod com_allocator {
    windows_link::link!("ole32.dll" "system" fn CoTaskMemAlloc(cb: usize) -> *mut core::ffi::c_void);
    windows_link::link!("ole32.dll" "system" fn CoTaskMemFree(pv: *const core::ffi::c_void));

    pub(super) fn alloc(bytes: usize) -> *mut core::ffi::c_void {
        // SAFETY: CoTaskMemAlloc has no preconditions.
        unsafe { CoTaskMemAlloc(bytes) }
    }

    pub(super) unsafe fn free(memory: *mut core::ffi::c_void) {
        // SAFETY: the caller passes null or memory from CoTaskMemAlloc.
        unsafe { CoTaskMemFree(memory) }
    }
}

/// Off Windows there is no COM task allocator; this one keeps its pairing rule (memory from
/// `alloc` is released only by `free`) on the system allocator, so in-process tests exercise
/// the same ownership as on Windows.
#[cfg(not(windows))]
mod com_allocator {
    use std::alloc::{Layout, dealloc};

    /// The header in front of each block, holding its size; keeps 16-byte alignment.
    const HEADER: usize = 16;

    pub(super) fn alloc(bytes: usize) -> *mut core::ffi::c_void {
        let Some(layout) = bytes
            .checked_add(HEADER)
            .and_then(|total| Layout::from_size_align(total, HEADER).ok())
        else {
            return std::ptr::null_mut();
        };
        // SAFETY: `layout` has a non-zero size.
        let block = unsafe { std::alloc::alloc(layout) };
        if block.is_null() {
            return std::ptr::null_mut();
        }
        // SAFETY: the block is at least HEADER bytes, aligned for usize.
        unsafe {
            block.cast::<usize>().write(bytes);
            block.add(HEADER).cast()
        }
    }

    pub(super) unsafe fn free(memory: *mut core::ffi::c_void) {
        if memory.is_null() {
            return;
        }
        // SAFETY: `memory` came from `alloc`, which put the size HEADER bytes before it.
        unsafe {
            let block = memory.cast::<u8>().sub(HEADER);
            let bytes = block.cast::<usize>().read();
            dealloc(
                block,
                Layout::from_size_align_unchecked(bytes + HEADER, HEADER),
            );
        }
    }
}

/// The caller's array behind an `[out, size_is(count)]` array of interface pointers (an
/// enumerator's `Next`), as a slice the implementation fills from the front. The vtable shims
/// set every element to NULL before the adapter runs. Unless [`OutArray::keep`] is called
/// (the adapter does on success), dropping it releases what the implementation put there and
/// leaves every element NULL again: `[out]` pointers are NULL on failure.
pub struct OutArray<'a, I: windows_core::Interface> {
    elements: &'a mut [Option<I>],
    keep: bool,
}

impl<'a, I: windows_core::Interface> OutArray<'a, I> {
    /// The array of `count` elements at `array`.
    ///
    /// # Errors
    /// `E_POINTER` when `array` is null.
    ///
    /// # Safety
    /// `array` is null or points to `count` writable interface pointers, valid for `'a`.
    pub unsafe fn new(array: *mut *mut core::ffi::c_void, count: u32) -> Result<Self> {
        if array.is_null() {
            return Err(null_pointer());
        }
        let count =
            usize::try_from(count).map_err(|_| invalid_arg("the element count is too large"))?;
        // SAFETY: the caller's contract; `Option<I>` has the layout of an interface pointer
        // (NULL is `None`).
        let elements = unsafe { std::slice::from_raw_parts_mut(array.cast::<Option<I>>(), count) };
        Ok(Self {
            elements,
            keep: false,
        })
    }

    /// The elements, for the implementation to fill.
    pub fn as_mut_slice(&mut self) -> &mut [Option<I>] {
        self.elements
    }

    /// Keeps what the implementation wrote (the call succeeded).
    pub fn keep(mut self) {
        self.keep = true;
    }
}

impl<I: windows_core::Interface> Drop for OutArray<'_, I> {
    fn drop(&mut self) {
        if !self.keep {
            self.elements.iter_mut().for_each(|element| *element = None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wide(text: &str) -> Vec<u16> {
        text.encode_utf16().chain(std::iter::once(0)).collect()
    }

    #[test]
    fn wide_strings_are_read_up_to_their_bound() {
        let text = wide("item-1");
        assert_eq!(
            unsafe { read_wide(PCWSTR(text.as_ptr()), 6) }.unwrap(),
            "item-1"
        );
        let long = unsafe { read_wide(PCWSTR(text.as_ptr()), 5) }.unwrap_err();
        assert_eq!(long.code(), E_INVALIDARG);
        // A buffer without NUL is never read past its bound: 4 units, bound 3.
        let unterminated = [0x41u16; 4];
        let error = unsafe { read_wide(PCWSTR(unterminated.as_ptr()), 3) }.unwrap_err();
        assert_eq!(error.code(), E_INVALIDARG);
        assert_eq!(
            unsafe { read_wide(PCWSTR::null(), 3) }.unwrap_err().code(),
            E_POINTER
        );
        assert_eq!(unsafe { read_wide_opt(PCWSTR::null(), 3) }.unwrap(), None);
    }

    #[test]
    fn invalid_utf16_is_rejected() {
        let lone_surrogate = [0xD800u16, 0];
        let error = unsafe { read_wide(PCWSTR(lone_surrogate.as_ptr()), 8) }.unwrap_err();
        assert_eq!(error.code(), E_INVALIDARG);
    }

    #[test]
    fn string_arrays_check_every_element() {
        let a = wide("a");
        let array = [PCWSTR(a.as_ptr()), PCWSTR::null()];
        assert_eq!(
            unsafe { read_wide_array(array.as_ptr(), 1, 8) }.unwrap(),
            ["a"]
        );
        assert_eq!(
            unsafe { read_wide_array(array.as_ptr(), 2, 8) }
                .unwrap_err()
                .code(),
            E_POINTER
        );
        assert_eq!(
            unsafe { read_wide_array(std::ptr::null(), 1, 8) }
                .unwrap_err()
                .code(),
            E_POINTER
        );
        assert!(
            unsafe { read_wide_array(std::ptr::null(), 0, 8) }
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn co_task_strings_round_trip() {
        let text = co_task_wide("Sync Center – ünïcode").unwrap();
        assert_eq!(
            unsafe { take_co_task_wide(text) }.unwrap(),
            "Sync Center – ünïcode"
        );
        assert_eq!(co_task_wide("a\0b").unwrap_err().code(), E_INVALIDARG);
    }

    #[test]
    fn panics_become_e_unexpected() {
        let error = guard::<()>(|| panic!("boom")).unwrap_err();
        assert_eq!(error.code(), E_UNEXPECTED);
        assert_eq!(guard(|| Ok(7)).unwrap(), 7);
    }
}
