//! A concurrency conflict as COM, for `ISyncCallback::OnConflict` under `CRP_NONE`
//! (`NN:winsync.IChangeConflict`, `NF:winsync.ISyncCallback.OnConflict`): both sides' changes,
//! their data, and the action the application sets.
//!
//! The destination's change is presented in the destination's key space (its owner is the
//! destination replica). Data is loaded when asked: the source's through the session's data
//! retriever, the destination's from the store. Change units are not tracked apart from their
//! item by this runtime's replicas: the per-change-unit methods answer
//! `SYNC_E_INTERNAL_ERROR`, which the page gives for a conflict they cannot apply to.

use std::sync::{Mutex, PoisonError};

use windows_core::{Error, IUnknown, Ref, Result, implement};

use crate::bindings::{
    E_INVALIDARG, IChangeConflict, IChangeConflict_Impl, ISyncChange, ISyncChangeUnit, SRA_LAST,
    SYNC_RESOLVE_ACTION,
};
use crate::framework::knowledge::enumerate::not_null;
use crate::hresults::SYNC_E_INTERNAL_ERROR;

/// Loads one side's data on demand.
pub type DataLoader = Box<dyn Fn() -> Result<IUnknown>>;

mod objects {
    use super::{DataLoader, IChangeConflict, ISyncChange, Mutex, SYNC_RESOLVE_ACTION, implement};

    /// A conflict (`IChangeConflict`).
    #[implement(IChangeConflict)]
    pub struct ConflictObject {
        pub(super) source: ISyncChange,
        pub(super) destination: ISyncChange,
        pub(super) source_data: DataLoader,
        pub(super) destination_data: DataLoader,
        pub(super) action: Mutex<Option<SYNC_RESOLVE_ACTION>>,
    }
}

pub use objects::ConflictObject;
use objects::ConflictObject_Impl;

impl ConflictObject {
    /// A conflict between the source's and the destination's changes.
    pub fn new(
        source: ISyncChange,
        destination: ISyncChange,
        source_data: DataLoader,
        destination_data: DataLoader,
    ) -> windows_core::ComObject<Self> {
        windows_core::ComObject::new(Self {
            source,
            destination,
            source_data,
            destination_data,
            action: Mutex::new(None),
        })
    }

    /// The action the application set, if it set one.
    pub fn action(&self) -> Option<SYNC_RESOLVE_ACTION> {
        *self.action.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl IChangeConflict_Impl for ConflictObject_Impl {
    fn GetDestinationProviderConflictingChange(&self) -> Result<ISyncChange> {
        Ok(self.destination.clone())
    }

    fn GetSourceProviderConflictingChange(&self) -> Result<ISyncChange> {
        Ok(self.source.clone())
    }

    fn GetDestinationProviderConflictingData(&self) -> Result<IUnknown> {
        (self.destination_data)()
    }

    fn GetSourceProviderConflictingData(&self) -> Result<IUnknown> {
        (self.source_data)()
    }

    fn GetResolveActionForChange(&self, action: *mut SYNC_RESOLVE_ACTION) -> Result<()> {
        not_null(action)?;
        let set = self
            .action()
            .ok_or_else(|| Error::new(SYNC_E_INTERNAL_ERROR, "no resolve action was set"))?;
        // SAFETY: checked not null.
        unsafe { action.write(set) };
        Ok(())
    }

    fn SetResolveActionForChange(&self, action: SYNC_RESOLVE_ACTION) -> Result<()> {
        if !(0..SRA_LAST).contains(&action) {
            return Err(Error::new(
                E_INVALIDARG,
                format!("{action} is not a SYNC_RESOLVE_ACTION"),
            ));
        }
        *self.action.lock().unwrap_or_else(PoisonError::into_inner) = Some(action);
        Ok(())
    }

    fn GetResolveActionForChangeUnit(
        &self,
        unit: Ref<ISyncChangeUnit>,
        action: *mut SYNC_RESOLVE_ACTION,
    ) -> Result<()> {
        unit.ok()?;
        not_null(action)?;
        Err(Error::new(
            SYNC_E_INTERNAL_ERROR,
            "the conflict is about the whole item",
        ))
    }

    fn SetResolveActionForChangeUnit(
        &self,
        unit: Ref<ISyncChangeUnit>,
        _action: SYNC_RESOLVE_ACTION,
    ) -> Result<()> {
        unit.ok()?;
        Err(Error::new(
            SYNC_E_INTERNAL_ERROR,
            "the conflict is about the whole item",
        ))
    }
}
