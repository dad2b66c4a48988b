//! Clock vectors as COM objects: `IClockVector`, `IClockVectorElement`, `IEnumClockVector`
//! (`NN:winsync.IClockVector`, `NN:winsync.IClockVectorElement`, `NN:winsync.IEnumClockVector`).
//! Each is an immutable snapshot of an engine [`ClockVector`].

use std::sync::Arc;

use windows_core::{ComObject, GUID, HRESULT, IUnknown, Interface, OutRef, Result, implement};
use winsync_engine::ClockVector;

use super::enumerate::{Cursor, not_null, out_array};
use super::wire::hand_out;
use crate::bindings::{
    IClockVector, IClockVector_Impl, IClockVectorElement, IClockVectorElement_Impl,
    IEnumClockVector, IEnumClockVector_Impl,
};
use crate::com::abi;

pub use object::{ElementObject, ElementsObject, VectorObject};
use object::{ElementObject_Impl, ElementsObject_Impl, VectorObject_Impl};

mod object {
    use super::{
        Arc, ClockVector, Cursor, IClockVector, IClockVectorElement, IEnumClockVector, implement,
    };

    /// A clock vector (`IClockVector`).
    #[implement(IClockVector)]
    pub struct VectorObject {
        pub(super) vector: Arc<ClockVector>,
    }

    /// One element of a clock vector (`IClockVectorElement`).
    #[implement(IClockVectorElement)]
    pub struct ElementObject {
        pub(super) key: u32,
        pub(super) tick: u64,
    }

    /// The elements of a clock vector (`IEnumClockVector`).
    #[implement(IEnumClockVector)]
    pub struct ElementsObject {
        pub(super) cursor: Cursor<(u32, u64)>,
    }
}

/// `vector` as `IClockVector`.
pub fn clock_vector(vector: Arc<ClockVector>) -> IClockVector {
    VectorObject { vector }.into()
}

/// The elements of `vector` as `IEnumClockVector`, in key order.
pub fn elements(vector: &ClockVector) -> IEnumClockVector {
    let items: Arc<[(u32, u64)]> = vector.elements().collect();
    ElementsObject {
        cursor: Cursor::new(items),
    }
    .into()
}

/// Hands `vector` out as `riid`: `IID_IClockVector` gives the vector,
/// `IID_IEnumClockVector` its elements (the exceptions' `GetClockVector` pages and
/// `FindClockVectorForChangeUnit` name the latter while describing the former: both are
/// accepted). Anything else is `E_NOINTERFACE`.
///
/// # Errors
/// `E_POINTER`, `E_NOINTERFACE`.
///
/// # Safety
/// `riid` is null or a valid GUID; `ppv` is null or writable.
pub unsafe fn hand_out_vector(
    vector: &Arc<ClockVector>,
    riid: *const GUID,
    ppv: *mut *mut core::ffi::c_void,
) -> Result<()> {
    // SAFETY: the caller's contract.
    let riid = unsafe { riid.as_ref() }.ok_or_else(abi::null_pointer)?;
    let object: IUnknown = if *riid == IEnumClockVector::IID {
        elements(vector).cast()?
    } else {
        clock_vector(vector.clone()).cast()?
    };
    // SAFETY: forwarded.
    unsafe {
        hand_out(
            &object,
            riid,
            &[IClockVector::IID, IEnumClockVector::IID],
            ppv,
        )
    }
}

impl IClockVector_Impl for VectorObject_Impl {
    fn GetClockVectorElements(
        &self,
        riid: *const GUID,
        ppv: *mut *mut core::ffi::c_void,
    ) -> Result<()> {
        abi::guard(|| {
            // SAFETY: the COM caller's contract.
            let riid = unsafe { riid.as_ref() }.ok_or_else(abi::null_pointer)?;
            let object: IUnknown = elements(&self.vector).cast()?;
            // SAFETY: forwarded.
            unsafe { hand_out(&object, riid, &[IEnumClockVector::IID], ppv) }
        })
    }

    fn GetClockVectorElementCount(&self, count: *mut u32) -> Result<()> {
        not_null(count)?;
        let n = u32::try_from(self.vector.len()).unwrap_or(u32::MAX);
        // SAFETY: checked not null.
        unsafe { count.write(n) };
        Ok(())
    }
}

impl IClockVectorElement_Impl for ElementObject_Impl {
    fn GetReplicaKey(&self, key: *mut u32) -> Result<()> {
        not_null(key)?;
        // SAFETY: checked not null.
        unsafe { key.write(self.key) };
        Ok(())
    }

    fn GetTickCount(&self, tick: *mut u64) -> Result<()> {
        not_null(tick)?;
        // SAFETY: checked not null.
        unsafe { tick.write(self.tick) };
        Ok(())
    }
}

impl IEnumClockVector_Impl for ElementsObject_Impl {
    fn Next(&self, count: u32, array: OutRef<IClockVectorElement>, fetched: *mut u32) -> HRESULT {
        // SAFETY: the COM caller's contract: an array of `count` pointers.
        unsafe {
            self.cursor
                .next(count, out_array!(array), fetched, |&(key, tick)| {
                    IClockVectorElement::from(ElementObject { key, tick })
                })
        }
    }

    fn Skip(&self, count: u32) -> HRESULT {
        self.cursor.skip(count)
    }

    fn Reset(&self) -> Result<()> {
        self.cursor.reset();
        Ok(())
    }

    fn Clone(&self) -> Result<IEnumClockVector> {
        Ok(ComObject::new(ElementsObject {
            cursor: self.cursor.fork(),
        })
        .to_interface())
    }
}
