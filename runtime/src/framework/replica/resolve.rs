//! A conflict put to the application under `CRP_NONE` (`NF:winsync.ISyncCallback.OnConflict`):
//! the [`ConflictObject`] the destination's target builds for it, and the engine's
//! [`Resolution`] read from what the application set: the change's action
//! (`NF:winsync.IChangeConflict.SetResolveActionForChange`) and, for a conflict on change
//! units, the per-unit actions (`NF:winsync.IChangeConflict.SetResolveActionForChangeUnit`).
//! A unit with no action of its own takes the change's; with neither (or a failed
//! `OnConflict`) it is deferred, as `SRA_DEFER` would: it comes again.

use std::sync::Arc;

use windows_core::{IUnknown, Interface, Result};
use winsync_engine::batch::{ChangeFlags, ItemChange, UnitChange};
use winsync_engine::sync::{Conflict, Resolution, ResolveAction};

use super::ItemStore;
use super::conflict::ConflictObject;
use super::data::{item_data, load_context};
use super::target::ComTarget;
use crate::bindings::{
    E_FAIL, SRA_ACCEPT_DESTINATION_PROVIDER, SRA_ACCEPT_SOURCE_PROVIDER, SRA_MERGE,
    SRA_TRANSFER_AND_DEFER, SYNC_RESOLVE_ACTION,
};
use crate::framework::batch::change::{ChangeData, change};

/// The engine's action for what the application set (`None`: deferred).
fn action(set: Option<SYNC_RESOLVE_ACTION>) -> ResolveAction {
    match set {
        Some(SRA_ACCEPT_SOURCE_PROVIDER) => ResolveAction::AcceptSource,
        Some(SRA_ACCEPT_DESTINATION_PROVIDER) => ResolveAction::AcceptDestination,
        Some(SRA_MERGE) => ResolveAction::Merge,
        Some(SRA_TRANSFER_AND_DEFER) => ResolveAction::TransferAndDefer,
        // SRA_DEFER or no action set: the change comes again.
        _ => ResolveAction::Defer,
    }
}

impl<S: ItemStore> ComTarget<'_, S> {
    /// The destination's side of `conflict` as a change in the destination's key space: for a
    /// conflict on change units, with the destination's units (its records, and the
    /// conflicting units at their versions).
    fn destination_change(&self, conflict: &Conflict<'_>) -> crate::bindings::ISyncChange {
        let held = conflict.destination;
        let mut local = ItemChange::new(
            conflict.item,
            held.change_version(),
            held.creation_version(),
            if held.deleted() {
                ChangeFlags::DELETED
            } else {
                ChangeFlags::NONE
            },
        );
        local.work = 0;
        if !conflict.units.is_empty() {
            let mut units: Vec<UnitChange> = held
                .units()
                .iter()
                .map(|u| UnitChange {
                    unit: u.unit.clone(),
                    version: u.version,
                })
                .collect();
            for c in conflict.units {
                if !units.iter().any(|u| u.unit == c.unit) {
                    units.push(UnitChange {
                        unit: c.unit.clone(),
                        version: c.destination_version,
                    });
                }
            }
            units.sort_by(|a, b| a.unit.cmp(&b.unit));
            local.units = units;
        }
        change(Arc::new(ChangeData {
            formats: self.formats,
            owner: self.destination.clone(),
            change: local,
            made_with: None,
            from_source: false,
            batch: None,
        }))
    }

    /// Puts `conflict` to the application's `OnConflict` and reads its resolution (see the
    /// module docs).
    pub(super) fn ask(&mut self, conflict: &Conflict<'_>) -> Resolution {
        let source = self.sync_change(conflict.source, Some(conflict.made_with));
        let destination = self.destination_change(conflict);
        let retriever = self.retriever.clone();
        let source_change = source.clone();
        let store = self.store.clone();
        let item: Box<[u8]> = conflict.item.into();
        let source_data = Box::new(move || {
            let retriever = retriever
                .as_ref()
                .ok_or_else(|| windows_core::Error::from_hresult(crate::bindings::E_POINTER))?;
            let context = load_context(source_change.clone());
            let interface: crate::bindings::ILoadChangeContext = context.to_interface();
            // SAFETY: live interfaces.
            unsafe { retriever.LoadChangeData(&interface) }
        });
        let destination_data = Box::new(move || {
            let bytes = store
                .load(&item)
                .map_err(|e| windows_core::Error::new(E_FAIL, e.0))?;
            item_data(bytes).cast::<IUnknown>()
        });
        let units = conflict.units.iter().map(|u| u.unit.to_vec()).collect();
        let object =
            ConflictObject::with_units(source, destination, source_data, destination_data, units);
        let interface: crate::bindings::IChangeConflict = object.to_interface();
        // SAFETY: a live interface; the application sets the actions inside OnConflict, and
        // the conflict is closed once it returned (see `super::conflict`).
        let answered: Result<()> = unsafe { self.callback.OnConflict(&interface) }.ok();
        let decided = object.close_units();
        if answered.is_err() {
            return Resolution::new(ResolveAction::Defer);
        }
        let mut resolution = Resolution::new(action(decided.action));
        for (unit, set) in decided.units {
            resolution.set_for_unit(&unit, action(Some(set)));
        }
        resolution
    }
}
