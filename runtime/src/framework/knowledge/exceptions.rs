//! Knowledge exceptions as COM objects, and their enumerators: `IRangeException`,
//! `ISingleItemException`, `IChangeUnitException` (`NN:winsync.IRangeException`, ...), and
//! `IEnumRangeExceptions`, `IEnumSingleItemExceptions`, `IEnumChangeUnitExceptions`. Each is an
//! immutable snapshot of what the knowledge presented when asked. IDs are written in their
//! wire form (`SYNC_ID` for a variable format) with the `pcb` convention.

use std::sync::Arc;

use windows_core::{ComObject, GUID, HRESULT, OutRef, Result, implement};
use winsync_engine::{ChangeUnitException, IdFormats, RangeException, SingleItemException};

use super::enumerate::{Cursor, out_array};
use super::vectors::hand_out_vector;
use super::wire::write_id;
use crate::bindings::{
    E_INVALIDARG, IChangeUnitException, IChangeUnitException_Impl, IEnumChangeUnitExceptions,
    IEnumChangeUnitExceptions_Impl, IEnumRangeExceptions, IEnumRangeExceptions_Impl,
    IEnumSingleItemExceptions, IEnumSingleItemExceptions_Impl, IRangeException,
    IRangeException_Impl, ISingleItemException, ISingleItemException_Impl,
};
use crate::com::abi;

pub use object::{
    RangeExceptionObject, RangeExceptionsObject, SingleItemExceptionObject,
    SingleItemExceptionsObject, UnitExceptionObject, UnitExceptionsObject,
};
use object::{
    RangeExceptionObject_Impl, RangeExceptionsObject_Impl, SingleItemExceptionObject_Impl,
    SingleItemExceptionsObject_Impl, UnitExceptionObject_Impl, UnitExceptionsObject_Impl,
};

mod object {
    use super::{
        ChangeUnitException, Cursor, IChangeUnitException, IEnumChangeUnitExceptions,
        IEnumRangeExceptions, IEnumSingleItemExceptions, IRangeException, ISingleItemException,
        IdFormats, RangeException, SingleItemException, implement,
    };

    /// A range exception (`IRangeException`).
    #[implement(IRangeException)]
    pub struct RangeExceptionObject {
        pub(super) formats: IdFormats,
        pub(super) exception: RangeException,
    }

    /// A single-item exception (`ISingleItemException`).
    #[implement(ISingleItemException)]
    pub struct SingleItemExceptionObject {
        pub(super) formats: IdFormats,
        pub(super) exception: SingleItemException,
    }

    /// A change-unit exception (`IChangeUnitException`).
    #[implement(IChangeUnitException)]
    pub struct UnitExceptionObject {
        pub(super) formats: IdFormats,
        pub(super) exception: ChangeUnitException,
    }

    /// `IEnumRangeExceptions`.
    #[implement(IEnumRangeExceptions)]
    pub struct RangeExceptionsObject {
        pub(super) formats: IdFormats,
        pub(super) cursor: Cursor<RangeException>,
    }

    /// `IEnumSingleItemExceptions`.
    #[implement(IEnumSingleItemExceptions)]
    pub struct SingleItemExceptionsObject {
        pub(super) formats: IdFormats,
        pub(super) cursor: Cursor<SingleItemException>,
    }

    /// `IEnumChangeUnitExceptions`.
    #[implement(IEnumChangeUnitExceptions)]
    pub struct UnitExceptionsObject {
        pub(super) formats: IdFormats,
        pub(super) cursor: Cursor<ChangeUnitException>,
    }
}

/// The range exceptions as `IEnumRangeExceptions`.
pub fn range_exceptions(formats: IdFormats, items: Vec<RangeException>) -> IEnumRangeExceptions {
    RangeExceptionsObject {
        formats,
        cursor: Cursor::new(Arc::from(items)),
    }
    .into()
}

/// The single-item exceptions as `IEnumSingleItemExceptions`.
pub fn single_item_exceptions(
    formats: IdFormats,
    items: Vec<SingleItemException>,
) -> IEnumSingleItemExceptions {
    SingleItemExceptionsObject {
        formats,
        cursor: Cursor::new(Arc::from(items)),
    }
    .into()
}

/// The change-unit exceptions as `IEnumChangeUnitExceptions`.
pub fn unit_exceptions(
    formats: IdFormats,
    items: Vec<ChangeUnitException>,
) -> IEnumChangeUnitExceptions {
    UnitExceptionsObject {
        formats,
        cursor: Cursor::new(Arc::from(items)),
    }
    .into()
}

/// Writes an ID with the `pcb` convention after the null checks of the pages.
fn id_out(
    buffer: *mut u8,
    size: *mut u32,
    format: &winsync_engine::IdFormat,
    id: &[u8],
) -> Result<()> {
    // SAFETY: the COM caller's contract: `size` null or writable.
    let size = unsafe { size.as_mut() }.ok_or_else(abi::null_pointer)?;
    // SAFETY: the COM caller's contract: `buffer` null or writable for `*size` bytes.
    unsafe { write_id(buffer, size, format, id) }
}

impl IRangeException_Impl for RangeExceptionObject_Impl {
    fn GetClosedRangeStart(&self, buffer: *mut u8, size: *mut u32) -> Result<()> {
        id_out(buffer, size, &self.formats.item, &self.exception.start)
    }
    fn GetClosedRangeEnd(&self, buffer: *mut u8, size: *mut u32) -> Result<()> {
        id_out(buffer, size, &self.formats.item, &self.exception.end)
    }
    fn GetClockVector(&self, riid: *const GUID, ppv: *mut *mut core::ffi::c_void) -> Result<()> {
        // SAFETY: the COM caller's contract.
        abi::guard(|| unsafe { hand_out_vector(&self.exception.vector, riid, ppv) })
    }
}

impl ISingleItemException_Impl for SingleItemExceptionObject_Impl {
    fn GetItemId(&self, buffer: *mut u8, size: *mut u32) -> Result<()> {
        id_out(buffer, size, &self.formats.item, &self.exception.item)
    }
    fn GetClockVector(&self, riid: *const GUID, ppv: *mut *mut core::ffi::c_void) -> Result<()> {
        // SAFETY: the COM caller's contract.
        abi::guard(|| unsafe { hand_out_vector(&self.exception.vector, riid, ppv) })
    }
}

impl IChangeUnitException_Impl for UnitExceptionObject_Impl {
    fn GetItemId(&self, buffer: *mut u8, size: *mut u32) -> Result<()> {
        id_out(buffer, size, &self.formats.item, &self.exception.item)
    }
    fn GetChangeUnitId(&self, buffer: *mut u8, size: *mut u32) -> Result<()> {
        // This page alone refuses a NULL buffer, rather than answering the size
        // (NF:winsync.IChangeUnitException.GetChangeUnitId).
        if buffer.is_null() {
            return Err(windows_core::Error::new(
                E_INVALIDARG,
                "pbChangeUnitId is NULL",
            ));
        }
        id_out(
            buffer,
            size,
            &self.formats.change_unit,
            &self.exception.unit,
        )
    }
    fn GetClockVector(&self, riid: *const GUID, ppv: *mut *mut core::ffi::c_void) -> Result<()> {
        // SAFETY: the COM caller's contract.
        abi::guard(|| unsafe { hand_out_vector(&self.exception.vector, riid, ppv) })
    }
}

/// The three exception enumerators, alike but for their item type.
macro_rules! exception_enum {
    ($object:ident, $object_impl:ident, $impl_trait:ident, $interface:ident, $item_interface:ident, $item_object:ident) => {
        impl $impl_trait for $object_impl {
            fn Next(
                &self,
                count: u32,
                array: OutRef<$item_interface>,
                fetched: *mut u32,
            ) -> HRESULT {
                let formats = self.formats;
                // SAFETY: the COM caller's contract: an array of `count` pointers.
                unsafe {
                    self.cursor
                        .next(count, out_array!(array), fetched, |exception| {
                            $item_interface::from($item_object {
                                formats,
                                exception: exception.clone(),
                            })
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
            fn Clone(&self) -> Result<$interface> {
                Ok(ComObject::new($object {
                    formats: self.formats,
                    cursor: self.cursor.fork(),
                })
                .to_interface())
            }
        }
    };
}

exception_enum!(
    RangeExceptionsObject,
    RangeExceptionsObject_Impl,
    IEnumRangeExceptions_Impl,
    IEnumRangeExceptions,
    IRangeException,
    RangeExceptionObject
);
exception_enum!(
    SingleItemExceptionsObject,
    SingleItemExceptionsObject_Impl,
    IEnumSingleItemExceptions_Impl,
    IEnumSingleItemExceptions,
    ISingleItemException,
    SingleItemExceptionObject
);
exception_enum!(
    UnitExceptionsObject,
    UnitExceptionsObject_Impl,
    IEnumChangeUnitExceptions_Impl,
    IEnumChangeUnitExceptions,
    IChangeUnitException,
    UnitExceptionObject
);
