//! How the knowledge objects read and write the raw arguments of the winsync interfaces: IDs
//! given as bare `BYTE*` in the session's ID format, the `pcb` buffer convention, `riid` +
//! `void**` results, and engine errors as HRESULTs.

use windows_core::{Error, GUID, HRESULT, Interface, Result};
use winsync_engine::{IdFormat, IdFormats};

use crate::bindings::{E_INVALIDARG, E_NOINTERFACE, E_POINTER, ID_PARAMETER_PAIR, ID_PARAMETERS};
use crate::hresults::SYNC_E_ID_FORMAT_MISMATCH;

/// `HRESULT_FROM_WIN32(ERROR_MORE_DATA)` (`0x800700EA`): the caller's buffer is too small; the
/// size it needs was written to the size argument (`NF:winsync.ISyncKnowledge.GetOwnerReplicaId`
/// and every method with a `pcb` argument).
pub const MORE_DATA: HRESULT = HRESULT(0x8007_00EA_u32 as i32);

/// The HRESULT and message of an engine error.
pub fn engine_error(error: &winsync_engine::Error) -> Error {
    Error::new(HRESULT(error.code()), error.to_string())
}

/// Converts an engine result.
///
/// # Errors
/// The engine error as an HRESULT ([`engine_error`]).
pub fn engine<T>(result: winsync_engine::Result<T>) -> Result<T> {
    result.map_err(|e| engine_error(&e))
}

/// Reads an ID of `format` from a bare pointer: the data of a fixed-length ID, or of a
/// variable-length ID in the `SYNC_ID` layout (2-byte little-endian size counting itself, then
/// the data).
///
/// # Errors
/// `E_POINTER` for null; `SYNC_E_ID_FORMAT_MISMATCH` for a `SYNC_ID` size out of the format's
/// bounds.
///
/// # Safety
/// `id` is null or points to an ID of `format` (the COM caller's contract: the pages give IDs
/// no length but the format's).
pub unsafe fn read_id<'a>(
    id: *const u8,
    format: &IdFormat,
    what: &'static str,
) -> Result<&'a [u8]> {
    if id.is_null() {
        return Err(Error::new(E_POINTER, format!("the {what} is NULL")));
    }
    if !format.variable {
        // SAFETY: the caller's contract: `format.size` readable bytes.
        return Ok(unsafe { std::slice::from_raw_parts(id, usize::from(format.size)) });
    }
    // SAFETY: a SYNC_ID starts with its 2-byte size.
    let field = unsafe { [*id, *id.add(1)] };
    let total = engine(format.wire_size(what, Some(field)))?;
    // SAFETY: the size field says the SYNC_ID holds `total` bytes, within the format's bound.
    Ok(unsafe { std::slice::from_raw_parts(id.add(2), total - 2) })
}

/// Writes `data` with the `pcb` convention: `*size` is the capacity of `buffer` on entry;
/// when `buffer` is null or too small, the needed size goes to `*size` and the answer is
/// [`MORE_DATA`]; otherwise the bytes are copied and `*size` is their number.
///
/// # Errors
/// [`MORE_DATA`].
///
/// # Safety
/// `buffer` is null or writable for `*size` bytes.
pub unsafe fn write_bytes(buffer: *mut u8, size: &mut u32, data: &[u8]) -> Result<()> {
    let needed = u32::try_from(data.len()).map_err(|_| Error::from_hresult(E_INVALIDARG))?;
    if buffer.is_null() {
        // A size query: the protocol's first step, not worth a message.
        *size = needed;
        return Err(Error::from_hresult(MORE_DATA));
    }
    if *size < needed {
        let held = *size;
        *size = needed;
        return Err(Error::new(
            MORE_DATA,
            format!("{needed} bytes are needed, the buffer holds {held}"),
        ));
    }
    // SAFETY: checked above: `buffer` holds at least `needed` bytes.
    unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), buffer, data.len()) };
    *size = needed;
    Ok(())
}

/// Writes an ID in its wire form (`SYNC_ID` for a variable format) with the `pcb` convention.
///
/// # Errors
/// As [`write_bytes`].
///
/// # Safety
/// As [`write_bytes`].
pub unsafe fn write_id(
    buffer: *mut u8,
    size: &mut u32,
    format: &IdFormat,
    data: &[u8],
) -> Result<()> {
    // SAFETY: forwarded.
    unsafe { write_bytes(buffer, size, &format.to_wire(data)) }
}

/// Hands `object` out as the interface `riid` names, if it is one of `allowed`: what every
/// `riid` + `void**` method does (`*ppv` was set to NULL by the bindings).
///
/// # Errors
/// `E_POINTER` for null pointers; `E_NOINTERFACE` for an `riid` not allowed or not
/// implemented.
///
/// # Safety
/// `ppv` is null or writable.
pub unsafe fn hand_out(
    object: &windows_core::IUnknown,
    riid: &GUID,
    allowed: &[GUID],
    ppv: *mut *mut core::ffi::c_void,
) -> Result<()> {
    if ppv.is_null() {
        return Err(Error::from_hresult(E_POINTER));
    }
    if !allowed.contains(riid) {
        return Err(Error::new(
            E_NOINTERFACE,
            format!("{riid:?} is not an interface this method hands out"),
        ));
    }
    // SAFETY: `riid` is a valid GUID, `ppv` writable.
    unsafe { object.query(riid, ppv) }.ok()
}

/// `ID_PARAMETERS` for `formats`.
pub fn id_parameters(formats: &IdFormats) -> ID_PARAMETERS {
    let pair = |f: &IdFormat| ID_PARAMETER_PAIR {
        fIsVariable: f.variable.into(),
        cbIdSize: f.size,
    };
    ID_PARAMETERS {
        dwSize: u32::try_from(size_of::<ID_PARAMETERS>()).unwrap_or(u32::MAX),
        replicaId: pair(&formats.replica),
        itemId: pair(&formats.item),
        changeUnitId: pair(&formats.change_unit),
    }
}

/// The formats an `ID_PARAMETERS` declares.
///
/// # Errors
/// `E_INVALIDARG` for a `dwSize` that is not the structure's size or a format the engine
/// refuses (size 0, a variable size too small for a `SYNC_ID`).
pub fn formats_of(parameters: &ID_PARAMETERS) -> Result<IdFormats> {
    if usize::try_from(parameters.dwSize).ok() != Some(size_of::<ID_PARAMETERS>()) {
        return Err(Error::new(
            E_INVALIDARG,
            format!(
                "ID_PARAMETERS.dwSize is {}, the structure has {} bytes",
                parameters.dwSize,
                size_of::<ID_PARAMETERS>()
            ),
        ));
    }
    let format = |p: &ID_PARAMETER_PAIR| IdFormat {
        variable: p.fIsVariable.as_bool(),
        size: p.cbIdSize,
    };
    let formats = IdFormats {
        replica: format(&parameters.replicaId),
        item: format(&parameters.itemId),
        change_unit: format(&parameters.changeUnitId),
    };
    engine(formats.validate())?;
    Ok(formats)
}

/// The interface IDs a clock vector is handed out as (`NF:winsync.ISyncKnowledge.GetScopeVector`
/// names `IID_IClockVector`; the exceptions' pages name `IID_IEnumClockVector`, see
/// [`crate::framework::knowledge`]).
pub fn vector_iids() -> [GUID; 1] {
    [crate::bindings::IClockVector::IID]
}

/// An ID another object writes with the `pcb` convention (`call(buffer, size)`), as data: read
/// into a buffer of the format's largest wire size, checked against the format (a `SYNC_ID`'s
/// size field against the bytes written).
///
/// # Errors
/// The object's own failure; `SYNC_E_ID_FORMAT_MISMATCH` for an ID longer than its format or
/// not of it; `E_INVALIDARG` for a size beyond the buffer.
pub fn read_pcb_id(
    format: &IdFormat,
    what: &'static str,
    call: impl Fn(*mut u8, *mut u32) -> HRESULT,
) -> Result<Box<[u8]>> {
    let capacity = format.wire_len(&format.max_id());
    let mut buffer = vec![0u8; capacity];
    let mut size = u32::try_from(capacity).unwrap_or(u32::MAX);
    let hr = call(buffer.as_mut_ptr(), &mut size);
    if hr == MORE_DATA {
        return Err(Error::new(
            SYNC_E_ID_FORMAT_MISMATCH,
            format!("the {what} is longer than its format's {capacity} bytes"),
        ));
    }
    hr.ok()?;
    let written = usize::try_from(size).unwrap_or(usize::MAX);
    let wire = buffer.get(..written).ok_or_else(|| {
        Error::new(
            E_INVALIDARG,
            format!("the {what} size {written} is beyond the {capacity}-byte buffer"),
        )
    })?;
    let data = if format.variable {
        let field = wire.get(..2).map(|b| [b[0], b[1]]);
        let total = engine(format.wire_size(what, field))?;
        if total != written {
            return Err(Error::new(
                SYNC_E_ID_FORMAT_MISMATCH,
                format!("the {what}'s SYNC_ID says {total} bytes, {written} were written"),
            ));
        }
        &wire[2..]
    } else {
        wire
    };
    engine(format.check(what, data))?;
    Ok(data.into())
}
