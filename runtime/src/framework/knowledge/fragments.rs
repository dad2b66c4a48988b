//! Core fragments as COM: `ICoreFragmentInspector` and `ICoreFragment`
//! (`NN:winsync.ICoreFragmentInspector`, `NN:winsync.ICoreFragment`).
//!
//! An inspector is made over a knowledge object and remembers the object's generation; the
//! fragments it hands out remember it too. Once the knowledge object changes, every method of
//! both answers `SYNC_E_INVALID_OPERATION` (`NF:winsync.ICoreFragment.NextColumn`,
//! `NF:winsync.ICoreFragmentInspector.NextCoreFragments`). What the fragments are is the
//! engine's ([`winsync_engine::Knowledge::fragments`]): the fragment without columns first.
//!
//! `NextColumn` and `NextRange` write IDs with the `pcb` convention; a call answering
//! `HRESULT_FROM_WIN32(ERROR_MORE_DATA)` does not move the walk, so the caller retries with a
//! buffer of the size it was given. A NULL size is accepted for a fixed-length ID format (the
//! buffer then holds the format's size) and refused with `E_POINTER` for a variable one.

use std::sync::{Arc, Mutex, PoisonError};

use windows_core::{Error, HRESULT, OutRef, Result, implement};
use winsync_engine::{Fragment, IdFormat};

use super::enumerate::{Cursor, not_null, out_array};
use super::object::Shared;
use super::vectors::clock_vector;
use super::wire::write_id;
use crate::bindings::{
    E_POINTER, IClockVector, ICoreFragment, ICoreFragment_Impl, ICoreFragmentInspector,
    ICoreFragmentInspector_Impl, S_FALSE, S_OK,
};
use crate::com::abi;
use crate::hresults::SYNC_E_INVALID_OPERATION;

pub use object::{FragmentObject, InspectorObject};
use object::{FragmentObject_Impl, InspectorObject_Impl};

mod object {
    use super::{
        Arc, Cursor, Fragment, ICoreFragment, ICoreFragmentInspector, Mutex, Walk, implement,
    };

    /// The core fragments of one knowledge object at one generation (`ICoreFragmentInspector`).
    #[implement(ICoreFragmentInspector)]
    pub struct InspectorObject {
        pub(super) walk: Walk,
        pub(super) cursor: Cursor<Arc<Fragment>>,
    }

    /// One core fragment (`ICoreFragment`): its columns and ranges, each walked with a
    /// position.
    #[implement(ICoreFragment)]
    pub struct FragmentObject {
        pub(super) walk: Walk,
        pub(super) fragment: Arc<Fragment>,
        /// The next column and the next range.
        pub(super) positions: Mutex<(usize, usize)>,
    }
}

/// What a walk over a knowledge object's fragments needs: the object, the generation the walk
/// started at, and the ID formats.
#[derive(Clone)]
pub(crate) struct Walk {
    shared: Arc<Shared>,
    generation: u64,
    item: IdFormat,
    change_unit: IdFormat,
}

impl Walk {
    /// `SYNC_E_INVALID_OPERATION` once the knowledge object changed.
    fn check(&self) -> Result<()> {
        if self.shared.generation() == self.generation {
            Ok(())
        } else {
            Err(Error::new(
                SYNC_E_INVALID_OPERATION,
                "the knowledge object changed after this inspector or fragment was made",
            ))
        }
    }
}

/// The core fragments of the knowledge object behind `shared`, as `ICoreFragmentInspector`.
pub fn inspector(shared: Arc<Shared>) -> ICoreFragmentInspector {
    // Generation first: a change between the two reads makes the walk stale, never wrong.
    let generation = shared.generation();
    let knowledge = shared.snapshot();
    let fragments: Arc<[Arc<Fragment>]> = knowledge.fragments().into_iter().map(Arc::new).collect();
    InspectorObject {
        walk: Walk {
            generation,
            item: knowledge.formats().item,
            change_unit: knowledge.formats().change_unit,
            shared,
        },
        cursor: Cursor::new(fragments),
    }
    .into()
}

impl ICoreFragmentInspector_Impl for InspectorObject_Impl {
    fn NextCoreFragments(
        &self,
        count: u32,
        array: OutRef<ICoreFragment>,
        fetched: *mut u32,
    ) -> HRESULT {
        if let Err(error) = self.walk.check() {
            return error.code();
        }
        // SAFETY: the COM caller's contract: an array of `count` pointers (NULLed by the
        // vtable shim).
        unsafe {
            self.cursor
                .next(count, out_array!(array), fetched, |fragment| {
                    ICoreFragment::from(FragmentObject {
                        walk: self.walk.clone(),
                        fragment: fragment.clone(),
                        positions: Mutex::new((0, 0)),
                    })
                })
        }
    }

    fn Reset(&self) -> Result<()> {
        self.walk.check()?;
        self.cursor.reset();
        Ok(())
    }
}

impl FragmentObject {
    fn positions(&self) -> std::sync::MutexGuard<'_, (usize, usize)> {
        // Two plain indexes, consistent whatever panicked.
        self.positions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Writes an ID to `buffer` with the `pcb` convention, or, with a NULL `size`, the fixed
/// format's bytes.
///
/// # Safety
/// `buffer` is null or writable for `*size` bytes (the format's size when `size` is null);
/// `size` is null or valid.
unsafe fn write_walked_id(
    buffer: *mut u8,
    size: *mut u32,
    format: &IdFormat,
    id: &[u8],
) -> Result<()> {
    // SAFETY: the caller's contract.
    match unsafe { size.as_mut() } {
        // SAFETY: forwarded.
        Some(size) => unsafe { write_id(buffer, size, format, id) },
        None if format.variable => Err(Error::new(
            E_POINTER,
            "the ID format is variable-length: the size pointer is needed",
        )),
        None => {
            not_null(buffer)?;
            let mut capacity = u32::from(format.size);
            // SAFETY: a fixed-format buffer holds the format's size (the caller's contract).
            unsafe { write_id(buffer, &mut capacity, format, id) }
        }
    }
}

impl ICoreFragment_Impl for FragmentObject_Impl {
    fn NextColumn(&self, unit: *mut u8, size: *mut u32) -> HRESULT {
        abi::guard(|| {
            self.walk.check()?;
            let mut positions = self.positions();
            let Some(column) = self.fragment.columns.get(positions.0) else {
                return Ok(S_FALSE);
            };
            // SAFETY: the COM caller's contract.
            unsafe { write_walked_id(unit, size, &self.walk.change_unit, column) }?;
            positions.0 += 1;
            Ok(S_OK)
        })
        .unwrap_or_else(|error| error.code())
    }

    fn NextRange(&self, item: *mut u8, size: *mut u32, vector: OutRef<IClockVector>) -> HRESULT {
        abi::guard(|| {
            self.walk.check()?;
            abi::check_out(vector.is_null())?;
            let mut positions = self.positions();
            let Some(range) = self.fragment.ranges.get(positions.1) else {
                return Ok(S_FALSE);
            };
            // SAFETY: the COM caller's contract.
            unsafe { write_walked_id(item, size, &self.walk.item, &range.lower) }?;
            vector.write(Some(clock_vector(range.vector.clone())))?;
            positions.1 += 1;
            Ok(S_OK)
        })
        .unwrap_or_else(|error| error.code())
    }

    fn Reset(&self) -> Result<()> {
        self.walk.check()?;
        *self.positions() = (0, 0);
        Ok(())
    }

    fn GetColumnCount(&self, count: *mut u32) -> Result<()> {
        not_null(count)?;
        let n = u32::try_from(self.fragment.columns.len()).unwrap_or(u32::MAX);
        // SAFETY: checked not null.
        unsafe { count.write(n) };
        Ok(())
    }

    fn GetRangeCount(&self, count: *mut u32) -> Result<()> {
        not_null(count)?;
        let n = u32::try_from(self.fragment.ranges.len()).unwrap_or(u32::MAX);
        // SAFETY: checked not null.
        unsafe { count.write(n) };
        Ok(())
    }
}
