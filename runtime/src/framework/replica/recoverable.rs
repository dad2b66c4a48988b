//! A recoverable error as COM, for `ISyncCallback::OnRecoverableError`
//! (`NN:winsync.IRecoverableError`, `NF:winsync.ISyncCallback.OnRecoverableError`): a change
//! the destination could not apply because its data could not be loaded (the source set a
//! recoverable error on the load context, or the load failed) or saved.
//!
//! A change applied unit by unit fails unit by unit (each unit's data is loaded and saved
//! apart, see [`super::data`]): each failed unit raises an error of its own that names the
//! change. The error object does not name the unit: `GetRecoverableErrorDataForChangeUnit`
//! answers the error for any unit of the change.

use windows_core::{HRESULT, OutRef, Ref, Result, implement};

use crate::bindings::{
    IRecoverableError, IRecoverableError_Impl, IRecoverableErrorData, ISyncChange, ISyncChangeUnit,
    SYNC_PROGRESS_STAGE, SYNC_PROVIDER_ROLE,
};
use crate::framework::knowledge::enumerate::not_null;

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
    RecoverableErrorObject {
        stage,
        provider,
        change,
        error,
        data,
    }
    .into()
}

impl RecoverableErrorObject_Impl {
    fn write(&self, error: *mut HRESULT, data: OutRef<IRecoverableErrorData>) -> Result<()> {
        not_null(error)?;
        if data.is_null() {
            return Err(windows_core::Error::from_hresult(
                crate::bindings::E_POINTER,
            ));
        }
        // SAFETY: checked not null.
        unsafe { error.write(self.error) };
        data.write(self.data.clone())
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
        self.write(error, data)
    }

    fn GetRecoverableErrorDataForChangeUnit(
        &self,
        unit: Ref<ISyncChangeUnit>,
        error: *mut HRESULT,
        data: OutRef<IRecoverableErrorData>,
    ) -> Result<()> {
        unit.ok()?;
        self.write(error, data)
    }
}
