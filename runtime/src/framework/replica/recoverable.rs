//! A recoverable error as COM, for `ISyncCallback::OnRecoverableError`
//! (`NN:winsync.IRecoverableError`, `NF:winsync.ISyncCallback.OnRecoverableError`): a change
//! the destination could not apply because its data could not be loaded (the source set a
//! recoverable error on the load context, or the load failed) or saved.
//!
//! A change applied unit by unit fails unit by unit (each unit's data is loaded and saved
//! apart, see [`super::data`]): each failed unit raises an error of its own that names the
//! change and keeps the unit. `GetRecoverableErrorDataForChangeUnit`
//! (`NF:winsync.IRecoverableError.GetRecoverableErrorDataForChangeUnit`: "the error that
//! prevented the change unit data from being applied") answers that unit's error for it and,
//! a decision where the page is silent, `S_OK` with no error data for another unit of the
//! change (nothing prevented it). An error on a change taken whole answers its error for every
//! unit.

use windows_core::{HRESULT, OutRef, Ref, Result, implement};

use crate::bindings::{
    IRecoverableError, IRecoverableError_Impl, IRecoverableErrorData, ISyncChange, ISyncChangeUnit,
    SYNC_PROGRESS_STAGE, SYNC_PROVIDER_ROLE,
};
use crate::framework::knowledge::enumerate::not_null;
use crate::framework::replica::data::unit_id;

mod objects {
    use super::{
        HRESULT, IRecoverableError, IRecoverableErrorData, ISyncChange, SYNC_PROGRESS_STAGE,
        SYNC_PROVIDER_ROLE, implement,
    };

    /// A recoverable error on one change (`IRecoverableError`, `NN:winsync.IRecoverableError`).
    #[implement(IRecoverableError)]
    pub struct RecoverableErrorObject {
        pub(super) stage: SYNC_PROGRESS_STAGE,
        pub(super) provider: SYNC_PROVIDER_ROLE,
        pub(super) change: ISyncChange,
        pub(super) error: HRESULT,
        pub(super) data: Option<IRecoverableErrorData>,
        /// The change unit that failed; `None` when the change failed whole.
        pub(super) unit: Option<Box<[u8]>>,
    }
}

pub use objects::RecoverableErrorObject;
use objects::RecoverableErrorObject_Impl;

/// A recoverable error on `change` at `stage`, raised by the provider in `provider`'s role,
/// with the error code and the provider's additional data, if it gave any
/// (`NN:winsync.IRecoverableError`).
pub fn recoverable_error(
    stage: SYNC_PROGRESS_STAGE,
    provider: SYNC_PROVIDER_ROLE,
    change: ISyncChange,
    error: HRESULT,
    data: Option<IRecoverableErrorData>,
) -> IRecoverableError {
    unit_recoverable_error(stage, provider, change, None, error, data)
}

/// The same for change unit `unit` of `change` when that unit alone failed (`None`: the
/// change failed whole); see the module docs for what each unit answers.
pub fn unit_recoverable_error(
    stage: SYNC_PROGRESS_STAGE,
    provider: SYNC_PROVIDER_ROLE,
    change: ISyncChange,
    unit: Option<&[u8]>,
    error: HRESULT,
    data: Option<IRecoverableErrorData>,
) -> IRecoverableError {
    RecoverableErrorObject {
        stage,
        provider,
        change,
        error,
        data,
        unit: unit.map(Into::into),
    }
    .into()
}

impl RecoverableErrorObject_Impl {
    /// Writes the error (`applies`) or no error (`S_OK`, NULL data); `E_POINTER` for a NULL
    /// out-pointer, writing nothing.
    fn write(
        &self,
        applies: bool,
        error: *mut HRESULT,
        data: OutRef<IRecoverableErrorData>,
    ) -> Result<()> {
        not_null(error)?;
        if data.is_null() {
            return Err(windows_core::Error::from_hresult(
                crate::bindings::E_POINTER,
            ));
        }
        let (code, extra) = if applies {
            (self.error, self.data.clone())
        } else {
            (HRESULT(0), None)
        };
        // SAFETY: checked not null.
        unsafe { error.write(code) };
        data.write(extra)
    }
}

impl IRecoverableError_Impl for RecoverableErrorObject_Impl {
    fn GetStage(&self, stage: *mut SYNC_PROGRESS_STAGE) -> Result<()> {
        not_null(stage)?;
        // SAFETY: checked not null.
        unsafe { stage.write(self.stage) };
        Ok(())
    }

    fn GetProvider(&self, role: *mut SYNC_PROVIDER_ROLE) -> Result<()> {
        not_null(role)?;
        // SAFETY: checked not null.
        unsafe { role.write(self.provider) };
        Ok(())
    }

    fn GetChangeWithRecoverableError(&self) -> Result<ISyncChange> {
        Ok(self.change.clone())
    }

    fn GetRecoverableErrorDataForChange(
        &self,
        error: *mut HRESULT,
        data: OutRef<IRecoverableErrorData>,
    ) -> Result<()> {
        self.write(true, error, data)
    }

    fn GetRecoverableErrorDataForChangeUnit(
        &self,
        unit: Ref<ISyncChangeUnit>,
        error: *mut HRESULT,
        data: OutRef<IRecoverableErrorData>,
    ) -> Result<()> {
        let unit = unit.ok()?;
        let applies = match &self.unit {
            None => true,
            Some(failed) => *unit_id(unit)? == **failed,
        };
        self.write(applies, error, data)
    }
}
