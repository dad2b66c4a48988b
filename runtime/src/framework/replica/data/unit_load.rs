//! Loads of one change unit (see the module docs of [`super`]): the context interface that
//! names the unit, and the source's side of a unit it cannot load
//! (`NF:winsync.ILoadChangeContext.SetRecoverableErrorOnChangeUnit`).

use windows_core::{Error, HRESULT, Interface, Result};

use crate::bindings::{ILoadChangeContext, IRecoverableErrorData, ISyncChange, ISyncChangeUnit};
use crate::framework::knowledge::wire::MORE_DATA;

pub use unit_context::{IUnitLoadContext, IUnitLoadContext_Impl};

#[allow(non_snake_case, missing_docs)]
mod unit_context {
    use windows_core::{HRESULT, IUnknown};

    /// A load context that asks for one change unit's data (see the module docs): this
    /// runtime's destinations hand it out with `ILoadChangeContext` for each unit they apply
    /// unit by unit. `GetChangeUnitId(pb, pcb)` writes the change unit's ID with the `pcb`
    /// convention (a NULL or short buffer answers `HRESULT_FROM_WIN32(ERROR_MORE_DATA)` with
    /// the size needed in `*pcb`); a context that asks for the whole item answers
    /// `E_NOINTERFACE`.
    #[windows_core::interface("5c2e9f81-47a3-4d6b-b0e8-93a1c6d7f245")]
    pub unsafe trait IUnitLoadContext: IUnknown {
        fn GetChangeUnitId(&self, pb: *mut u8, pcb: *mut u32) -> HRESULT;
    }

    /// Calls `GetChangeUnitId` (the method the interface macro makes is private to this
    /// module).
    ///
    /// # Safety
    /// `pb` is null or writable for `*pcb` bytes; `pcb` is writable.
    pub unsafe fn get_change_unit_id(
        context: &IUnitLoadContext,
        pb: *mut u8,
        pcb: *mut u32,
    ) -> HRESULT {
        // SAFETY: forwarded.
        unsafe { context.GetChangeUnitId(pb, pcb) }
    }
}

/// The change unit a load context asks for, if it asks for one ([`IUnitLoadContext`]; a
/// context whose `GetChangeUnitId` answers `E_NOINTERFACE` asks for the whole item, as this
/// runtime's contexts of whole-item loads do).
///
/// # Errors
/// The context's own failure.
pub fn unit_of(context: &ILoadChangeContext) -> Result<Option<Vec<u8>>> {
    let Ok(unit) = context.cast::<IUnitLoadContext>() else {
        return Ok(None);
    };
    // SAFETY: live interfaces; the pcb pattern.
    match read_any(|pb, pcb| unsafe { unit_context::get_change_unit_id(&unit, pb, pcb) }) {
        Ok(unit) => Ok(Some(unit)),
        // This runtime's context of a whole-item load names no unit.
        Err(error) if error.code() == crate::bindings::E_NOINTERFACE => Ok(None),
        Err(error) => Err(error),
    }
}

/// The ID of any change unit (`NF:winsync.ISyncChangeUnit.GetChangeUnitId`).
///
/// # Errors
/// The change unit's own failure.
pub fn unit_id(unit: &ISyncChangeUnit) -> Result<Vec<u8>> {
    // SAFETY: a live interface; the pcb pattern.
    read_any(|pb, pcb| unsafe { unit.GetChangeUnitId(pb, pcb) })
}

/// Bytes written with the `pcb` convention, whatever their size: a size query, then a read.
fn read_any(call: impl Fn(*mut u8, *mut u32) -> HRESULT) -> Result<Vec<u8>> {
    let mut size = 0u32;
    let hr = call(std::ptr::null_mut(), &mut size);
    if hr != MORE_DATA {
        hr.ok()?;
    }
    let mut bytes = vec![0u8; usize::try_from(size).unwrap_or(0)];
    call(bytes.as_mut_ptr(), &mut size).ok()?;
    bytes.truncate(usize::try_from(size).unwrap_or(0));
    Ok(bytes)
}

/// Sets `error` on change unit `unit` of `change` in `context`
/// (`NF:winsync.ILoadChangeContext.SetRecoverableErrorOnChangeUnit`), with the change's
/// `ISyncChangeUnit` of that ID; on the change when it has none (or the call is refused).
pub(super) fn fail_unit(
    context: &ILoadChangeContext,
    change: &ISyncChange,
    unit: &[u8],
    error: &Error,
) {
    let found = (|| -> Result<Option<ISyncChangeUnit>> {
        // SAFETY: live interfaces; one change unit at a time.
        let units = unsafe { change.GetChangeUnits() }?;
        loop {
            let mut next = [None];
            let mut fetched = 0u32;
            // SAFETY: an array of one, `fetched` writable.
            unsafe { units.Next(1, next.as_mut_ptr(), &mut fetched) }.ok()?;
            let Some(candidate) = next[0].take().filter(|_| fetched == 1) else {
                return Ok(None);
            };
            if unit_id(&candidate)? == unit {
                return Ok(Some(candidate));
            }
        }
    })();
    let code = if error.code().is_ok() {
        crate::bindings::E_FAIL
    } else {
        error.code()
    };
    // SAFETY: live interfaces.
    let set = match found {
        Ok(Some(found)) => unsafe {
            context.SetRecoverableErrorOnChangeUnit(code, &found, None::<&IRecoverableErrorData>)
        }
        .ok(),
        _ => Err(Error::from_hresult(crate::bindings::E_FAIL)),
    };
    if set.is_err() {
        // SAFETY: a live interface.
        let _ =
            unsafe { context.SetRecoverableErrorOnChange(code, None::<&IRecoverableErrorData>) };
    }
}
