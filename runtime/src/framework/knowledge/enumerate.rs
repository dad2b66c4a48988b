//! The IEnum convention shared by the knowledge family's enumerators
//! (`NF:winsync.IEnumClockVector.Next`, `NF:winsync.IEnumRangeExceptions.Next`, ...): a list
//! of items and a position; `Next` hands out up to the count asked for (at most 1000) and
//! answers S_FALSE when it hands out fewer; `pcFetched` may be NULL only when one item is asked
//! for; `Skip` answers S_FALSE when it reaches the end first; `Clone` keeps the position.

use std::sync::{Arc, Mutex, PoisonError};

use windows_core::{Error, HRESULT, Interface, Result};

use crate::bindings::{E_INVALIDARG, E_POINTER, S_FALSE, S_OK};

/// The most `Next` hands out in one call (the pages' limit).
pub const MAX_FETCH: u32 = 1000;

/// A list and a position.
pub struct Cursor<T> {
    items: Arc<[T]>,
    position: Mutex<usize>,
}

impl<T> Cursor<T> {
    /// At the start of `items`.
    pub fn new(items: Arc<[T]>) -> Self {
        Self::at(items, 0)
    }

    fn at(items: Arc<[T]>, position: usize) -> Self {
        Self {
            items,
            position: Mutex::new(position),
        }
    }

    fn position(&self) -> std::sync::MutexGuard<'_, usize> {
        // The guarded value is a plain index, consistent whatever panicked.
        self.position.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A cursor over the same items at the same position (`Clone`).
    pub fn fork(&self) -> Self {
        Self::at(self.items.clone(), *self.position())
    }

    /// Back to the start (`Reset`).
    pub fn reset(&self) {
        *self.position() = 0;
    }

    /// `Skip(count)`: S_OK, or S_FALSE when fewer were left.
    pub fn skip(&self, count: u32) -> HRESULT {
        let mut position = self.position();
        let left = self.items.len() - *position;
        let count = usize::try_from(count).unwrap_or(usize::MAX);
        *position += count.min(left);
        if count <= left { S_OK } else { S_FALSE }
    }

    /// `Next(count, array, fetched)`: hands out up to `count` items through `make` into the
    /// caller's array of interface pointers.
    ///
    /// # Safety
    /// `array` is null or writable for `count` pointers (the bindings set them to NULL first);
    /// `fetched` is null or writable.
    pub unsafe fn next<I: Interface>(
        &self,
        count: u32,
        array: *mut *mut core::ffi::c_void,
        fetched: *mut u32,
        make: impl Fn(&T) -> I,
    ) -> HRESULT {
        if array.is_null() {
            return E_POINTER;
        }
        if fetched.is_null() && count != 1 {
            return Error::new(
                E_POINTER,
                "pcFetched may be NULL only when one item is asked for",
            )
            .code();
        }
        if count > MAX_FETCH {
            return Error::new(
                E_INVALIDARG,
                format!("{count} items asked for, at most {MAX_FETCH}"),
            )
            .code();
        }
        let mut position = self.position();
        let end = (*position + count as usize).min(self.items.len());
        for (i, item) in self.items[*position..end].iter().enumerate() {
            // SAFETY: `i < count`, within the caller's array.
            unsafe { array.add(i).write(make(item).into_raw()) };
        }
        let handed = end - *position;
        *position = end;
        if !fetched.is_null() {
            // SAFETY: checked not null.
            unsafe { fetched.write(u32::try_from(handed).unwrap_or(u32::MAX)) };
        }
        if handed == count as usize {
            S_OK
        } else {
            S_FALSE
        }
    }
}

/// The raw array pointer behind the `OutRef` windows-bindgen gives an `[out]` array of
/// interface pointers (it is `#[repr(transparent)]` over that pointer). A macro, not a
/// function: windows-core does not export the bound `OutRef`'s parameter needs. Expands to an
/// unsafe call: use it inside an `unsafe` block (`OutRef<I>` is `#[repr(transparent)]` over
/// `*mut *mut c_void` for an interface type `I`).
macro_rules! out_array {
    ($out:expr) => {
        ::core::mem::transmute_copy::<_, *mut *mut ::core::ffi::c_void>(&$out)
    };
}
pub(crate) use out_array;

/// `Err` with `E_POINTER` unless `p` is writable.
pub fn not_null<T>(p: *mut T) -> Result<()> {
    if p.is_null() {
        Err(Error::from_hresult(E_POINTER))
    } else {
        Ok(())
    }
}
