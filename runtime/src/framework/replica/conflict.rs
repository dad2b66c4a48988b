//! A concurrency conflict as COM, for `ISyncCallback::OnConflict` under `CRP_NONE`
//! (`NN:winsync.IChangeConflict`, `NF:winsync.ISyncCallback.OnConflict`): both sides' changes,
//! their data, and the action the application sets.
//!
//! The destination's change is presented in the destination's key space (its owner is the
//! destination replica). Data is loaded when asked: the source's through the session's data
//! retriever, the destination's from the store.
//!
//! A conflict on change units (the engine decided the change unit by unit and found units
//! changed on both sides, `winsync_engine::sync::units`) lists its conflicting units
//! ([`ConflictObject::with_units`]); the source's change shows all the change's units
//! (`GetChangeUnits`), the destination's change the destination's. The application may set an
//! action per conflicting unit (`NF:winsync.IChangeConflict.SetResolveActionForChangeUnit`,
//! rule `change-conflict.set-resolve-action-for-change-unit.in-on-conflict`), which overrides
//! the change's action for that unit; a unit without one takes the change's action, and with
//! neither it is deferred. `GetResolveActionForChangeUnit`
//! (`NF:winsync.IChangeConflict.GetResolveActionForChangeUnit`) answers the unit's action, else
//! the change's, else `SYNC_E_INTERNAL_ERROR` (nothing set). On a conflict of the whole item (an
//! update-delete conflict, or a change of the whole item on either side: no conflicting units)
//! and for a unit that is not in conflict, both per-unit methods answer `SYNC_E_INTERNAL_ERROR`
//! (rules `change-conflict.set-resolve-action-for-change-unit.update-delete`,
//! `change-conflict.set-resolve-action-for-change-unit.no-conflict`).
//!
//! The application sets the action inside `OnConflict`
//! (`NF:winsync.IChangeConflict.SetResolveActionForChange`): once `OnConflict` returned, the
//! destination takes the action and closes the conflict ([`ConflictObject::close`]), and
//! `SetResolveActionForChange` / `SetResolveActionForChangeUnit` answer
//! `SYNC_E_INVALID_OPERATION` (rules `callback.on-conflict.set-resolve-action`,
//! `change-conflict.set-resolve-action-for-change.in-on-conflict`,
//! `change-conflict.set-resolve-action-for-change-unit.in-on-conflict`). An `OnConflict` that
//! returns without setting an action (or fails) defers the change, as `SRA_DEFER` does: nothing
//! of it is applied or learned, and it comes again in a later session.

use std::sync::{Mutex, PoisonError};

use windows_core::{Error, IUnknown, Ref, Result, implement};

use super::data::unit_id;
use crate::bindings::{
    E_INVALIDARG, IChangeConflict, IChangeConflict_Impl, ISyncChange, ISyncChangeUnit, SRA_LAST,
    SYNC_RESOLVE_ACTION,
};
use crate::framework::knowledge::enumerate::not_null;
use crate::hresults::{SYNC_E_INTERNAL_ERROR, SYNC_E_INVALID_OPERATION};

/// Loads one side's data on demand.
pub type DataLoader = Box<dyn Fn() -> Result<IUnknown>>;

/// What the application decided, and whether it still may (`NF:winsync.ISyncCallback.OnConflict`).
#[derive(Clone, Debug, Default)]
struct Decision {
    action: Option<SYNC_RESOLVE_ACTION>,
    /// Actions per change unit, the last set first.
    units: Vec<(Vec<u8>, SYNC_RESOLVE_ACTION)>,
    closed: bool,
}

/// What the application decided for a conflict: the change's action and the per-unit actions
/// (see the module docs).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Decided {
    /// The change's action, if one was set (`SetResolveActionForChange`).
    pub action: Option<SYNC_RESOLVE_ACTION>,
    /// The actions set per change unit (unit ID, action), one per unit, the last set
    /// (`SetResolveActionForChangeUnit`).
    pub units: Vec<(Vec<u8>, SYNC_RESOLVE_ACTION)>,
}

mod objects {
    use super::{DataLoader, Decision, IChangeConflict, ISyncChange, Mutex, implement};

    /// A conflict (`IChangeConflict`).
    #[implement(IChangeConflict)]
    pub struct ConflictObject {
        pub(super) source: ISyncChange,
        pub(super) destination: ISyncChange,
        pub(super) source_data: DataLoader,
        pub(super) destination_data: DataLoader,
        pub(super) units: Vec<Vec<u8>>,
        pub(super) decision: Mutex<Decision>,
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
            units: Vec::new(),
            decision: Mutex::new(Decision::default()),
        })
    }

    /// A conflict on change units `units` (IDs) between the source's and the destination's
    /// changes (see the module docs).
    pub fn with_units(
        source: ISyncChange,
        destination: ISyncChange,
        source_data: DataLoader,
        destination_data: DataLoader,
        units: Vec<Vec<u8>>,
    ) -> windows_core::ComObject<Self> {
        windows_core::ComObject::new(Self {
            source,
            destination,
            source_data,
            destination_data,
            units,
            decision: Mutex::new(Decision::default()),
        })
    }

    fn decision(&self) -> std::sync::MutexGuard<'_, Decision> {
        self.decision.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The action the application set, if it set one.
    pub fn action(&self) -> Option<SYNC_RESOLVE_ACTION> {
        self.decision().action
    }

    /// Ends the application's say, once `OnConflict` returned, and gives the action it set
    /// (`None`: the change is deferred). From then on setting an action answers
    /// `SYNC_E_INVALID_OPERATION` (rules `callback.on-conflict.set-resolve-action`,
    /// `change-conflict.set-resolve-action-for-change.in-on-conflict`,
    /// `NF:winsync.ISyncCallback.OnConflict`).
    pub fn close(&self) -> Option<SYNC_RESOLVE_ACTION> {
        let mut decision = self.decision();
        decision.closed = true;
        decision.action
    }

    /// As [`ConflictObject::close`], with the actions set per change unit.
    pub fn close_units(&self) -> Decided {
        let mut decision = self.decision();
        decision.closed = true;
        let mut units: Vec<(Vec<u8>, SYNC_RESOLVE_ACTION)> = Vec::new();
        for (unit, action) in decision.units.iter().rev() {
            if !units.iter().any(|(u, _)| u == unit) {
                units.push((unit.clone(), *action));
            }
        }
        Decided {
            action: decision.action,
            units,
        }
    }

    /// The conflicting unit `unit` names, or `SYNC_E_INTERNAL_ERROR` (see the module docs).
    fn conflicting_unit(&self, unit: &ISyncChangeUnit) -> Result<Vec<u8>> {
        if self.units.is_empty() {
            return Err(Error::new(
                SYNC_E_INTERNAL_ERROR,
                "the conflict is about the whole item: resolve it with SetResolveActionForChange (rule change-conflict.set-resolve-action-for-change-unit.update-delete)",
            ));
        }
        let id = unit_id(unit)?;
        if !self.units.contains(&id) {
            return Err(Error::new(
                SYNC_E_INTERNAL_ERROR,
                "no conflict on that change unit (rule change-conflict.set-resolve-action-for-change-unit.no-conflict)",
            ));
        }
        Ok(id)
    }

    /// Whether [`ConflictObject::close`] was called: `OnConflict` returned
    /// (`NF:winsync.IChangeConflict.SetResolveActionForChange`).
    pub fn is_closed(&self) -> bool {
        self.decision().closed
    }
}

/// The answer to setting an action once the conflict is closed.
fn closed(rules: &str) -> Error {
    Error::new(
        SYNC_E_INVALID_OPERATION,
        format!(
            "OnConflict returned: the change applier already took the conflict's resolution, a resolve action is set inside OnConflict (rule {rules})"
        ),
    )
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
        let mut decision = self.decision();
        if decision.closed {
            return Err(closed(
                "callback.on-conflict.set-resolve-action, change-conflict.set-resolve-action-for-change.in-on-conflict",
            ));
        }
        if !(0..SRA_LAST).contains(&action) {
            return Err(Error::new(
                E_INVALIDARG,
                format!("{action} is not a SYNC_RESOLVE_ACTION"),
            ));
        }
        decision.action = Some(action);
        Ok(())
    }

    fn GetResolveActionForChangeUnit(
        &self,
        unit: Ref<ISyncChangeUnit>,
        action: *mut SYNC_RESOLVE_ACTION,
    ) -> Result<()> {
        let unit = unit.ok()?;
        not_null(action)?;
        let id = self.conflicting_unit(unit)?;
        let decision = self.decision();
        let set = decision
            .units
            .iter()
            .rev()
            .find(|(u, _)| *u == id)
            .map(|(_, a)| *a)
            .or(decision.action)
            .ok_or_else(|| Error::new(SYNC_E_INTERNAL_ERROR, "no resolve action was set"))?;
        // SAFETY: checked not null.
        unsafe { action.write(set) };
        Ok(())
    }

    fn SetResolveActionForChangeUnit(
        &self,
        unit: Ref<ISyncChangeUnit>,
        action: SYNC_RESOLVE_ACTION,
    ) -> Result<()> {
        if self.is_closed() {
            return Err(closed(
                "change-conflict.set-resolve-action-for-change-unit.in-on-conflict",
            ));
        }
        let unit = unit.ok()?;
        let id = self.conflicting_unit(unit)?;
        if !(0..SRA_LAST).contains(&action) {
            return Err(Error::new(
                E_INVALIDARG,
                format!("{action} is not a SYNC_RESOLVE_ACTION"),
            ));
        }
        let mut decision = self.decision();
        if decision.closed {
            return Err(closed(
                "change-conflict.set-resolve-action-for-change-unit.in-on-conflict",
            ));
        }
        decision.units.push((id, action));
        Ok(())
    }
}
