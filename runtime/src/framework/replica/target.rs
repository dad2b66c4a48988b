//! The engine's change target for a destination in a COM session: data loaded through the
//! source's data retriever and saved in the provider's [`ItemStore`], conflicts put to the
//! application through `ISyncCallback::OnConflict`, and the callbacks the pages list around
//! each change:
//!
//! - `OnChange` before (`NF:winsync.ISyncCallback.OnChange`);
//! - when the change's data could not be loaded (the source set a recoverable error on the
//!   load context, or the load failed) or saved, `OnRecoverableError` with an
//!   [`IRecoverableError`](crate::bindings::IRecoverableError) naming the change, the stage
//!   (`SPS_CHANGE_APPLICATION`), the provider whose side failed (`SPR_SOURCE` for a load,
//!   `SPR_DESTINATION` for a save) and the error (rule `callback.on-recoverable-error.when`,
//!   `NF:winsync.ISyncCallback.OnRecoverableError`);
//! - `ISyncCallback2::OnChangeApplied` / `OnChangeFailed` after, with running totals
//!   (`NF:winsync.ISyncCallback2.OnChangeApplied`);
//! - after each applied change that has a work estimate, `OnProgress(SPR_DESTINATION,
//!   SPS_CHANGE_APPLICATION)` with the work completed in the session (the applied changes'
//!   work estimates, rule `change-batch-base.add-item-metadata-to-group.work-for-change`,
//!   `NF:winsync.ISyncChangeBatchBase.AddItemMetadataToGroup`) out of the session's work as the
//!   batches estimate it (see [`Progress`]); after each applied change, estimate or not,
//!   `0, 0` when the batch estimates the session's remaining work as zero (rule
//!   `change-batch-base.set-remaining-work-estimate-for-session.zero`,
//!   `NF:winsync.ISyncChangeBatchBase.SetRemainingWorkEstimateForSession`). A change counts as
//!   applied when its data was saved (the changes `OnChangeApplied` reports).
//!
//! A change the engine applies unit by unit (`winsync_engine::sync::units`) is reported per
//! unit, as the session's statistics count it: each unit saved gets `OnChange` before and
//! `OnChangeApplied` (or a recoverable error and `OnChangeFailed`) after, each unit kept for
//! the destination's version `OnChangeApplied`; the change's work estimate counts once, with its
//! first applied unit. Each unit's data is loaded with a load of its own (see [`super::data`]),
//! so a unit that cannot be loaded or saved fails alone.
//!
//! What the application answers to these callbacks does not change the change's fate.

use std::sync::Arc;

use windows_core::{HRESULT, Interface};
use winsync_engine::batch::ItemChange;
use winsync_engine::sync::{
    ChangeTarget, Conflict, ItemError, Resolution, ResolveAction, Save, SaveKind, UnitSave,
};
use winsync_engine::{IdFormats, Knowledge};

use super::ItemStore;
use super::data::{
    IItemData, LoadContextObject, RetrieverState, bytes_of, load_context, unit_load_context,
};
use super::recoverable::unit_recoverable_error;
use crate::bindings::{
    E_FAIL, E_NOINTERFACE, IRecoverableErrorData, ISyncCallback, ISyncCallback2, ISyncChange,
    ISynchronousDataRetriever, SPR_DESTINATION, SPR_SOURCE, SPS_CHANGE_APPLICATION,
    SYNC_PROVIDER_ROLE,
};
use crate::framework::batch::change::{BatchContext, ChangeData, change};

/// The session's change-application progress at a destination
/// (`NF:winsync.ISyncChangeBatchBase.AddItemMetadataToGroup`,
/// `NF:winsync.ISyncChangeBatchBase.SetRemainingWorkEstimateForSession`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// The work estimates of the changes applied in the session so far.
    pub completed: u32,
    /// The session's work: the work estimates of its batches so far, and the remaining work
    /// the current batch estimates for the session.
    pub total: u32,
    /// The current batch estimates the session's remaining work as zero: each applied change
    /// reports `0, 0` (rule `change-batch-base.set-remaining-work-estimate-for-session.zero`).
    pub zero: bool,
}

/// Why a change's data did not reach the store: whose side failed, with what.
struct Failure {
    provider: SYNC_PROVIDER_ROLE,
    code: HRESULT,
    data: Option<IRecoverableErrorData>,
    message: String,
}

impl Failure {
    fn destination(message: &str) -> Self {
        Self {
            provider: SPR_DESTINATION,
            code: E_FAIL,
            data: None,
            message: message.into(),
        }
    }

    fn source(error: &windows_core::Error) -> Self {
        Self {
            provider: SPR_SOURCE,
            code: error.code(),
            data: None,
            message: error.message(),
        }
    }
}

/// A destination's target for one batch.
pub struct ComTarget<'a, S: ItemStore> {
    pub(super) store: &'a Arc<S>,
    pub(super) formats: IdFormats,
    /// The source replica (the batch's owner).
    pub(super) source: Arc<[u8]>,
    /// The destination replica.
    pub(super) destination: Arc<[u8]>,
    pub(super) retriever: Option<ISynchronousDataRetriever>,
    /// The loader behind `retriever` when it is this runtime's (called directly, by item ID).
    pub(super) direct: Option<Arc<RetrieverState>>,
    pub(super) callback: &'a ISyncCallback,
    pub(super) callback2: Option<ISyncCallback2>,
    /// Running totals for `ISyncCallback2`, starting from the session's statistics.
    pub(super) applied: u32,
    pub(super) failed: u32,
    pub(super) progress: Progress,
    /// What the batch's changes answer beyond `ISyncChange` (prerequisite, recovery).
    pub(super) context: Arc<BatchContext>,
    /// The session's callback ignores every event (the driver's own, when the application
    /// gave none): the events are not raised, and a change's `ISyncChange` is built only
    /// when something else needs it (a load through the retriever, a recoverable error).
    pub(super) quiet: bool,
    /// The change whose work estimate was last counted (item, change version): a change
    /// applied unit by unit counts it once.
    pub(super) worked: Option<(winsync_engine::ItemId, winsync_engine::Version)>,
}

impl<S: ItemStore> ComTarget<'_, S> {
    pub(super) fn sync_change(
        &self,
        change: &ItemChange,
        made_with: Option<&Arc<Knowledge>>,
    ) -> ISyncChange {
        self::change(Arc::new(ChangeData {
            formats: self.formats,
            owner: self.source.clone(),
            change: change.clone(),
            made_with: made_with.cloned(),
            from_source: true,
            batch: Some(self.context.clone()),
        }))
    }

    /// The source's data of a change, through the retriever (or its loader, when it is this
    /// runtime's and the item IDs are in the same formats).
    /// The loader of this runtime's retriever, when its items are in the batch's ID formats
    /// (else the data goes through `ISynchronousDataRetriever`).
    fn direct_loader(&self) -> Option<&RetrieverState> {
        self.direct
            .as_deref()
            .filter(|direct| direct.formats == self.formats)
    }

    /// The source's data of one change unit: by the direct loader, else with a load of its
    /// own whose context names the unit (see [`super::data`]); a recoverable error the source
    /// set on the context (on the unit or on the change) fails this unit only.
    fn load_unit(
        &self,
        item: &[u8],
        unit: &[u8],
        change: Option<&ISyncChange>,
    ) -> Result<Vec<u8>, Failure> {
        if let Some(direct) = self.direct_loader() {
            return (direct.load_unit)(item, unit).map_err(|e| Failure::source(&e));
        }
        let change = change.ok_or_else(|| Failure::destination("a load without the change"))?;
        self.load_with(&unit_load_context(change.clone(), unit))
    }

    /// `change` is the change's `ISyncChange` (`None` only with a direct loader).
    fn load(&self, item: &[u8], change: Option<&ISyncChange>) -> Result<Vec<u8>, Failure> {
        if let Some(direct) = self.direct_loader() {
            return (direct.load)(item).map_err(|e| Failure::source(&e));
        }
        let change = change.ok_or_else(|| Failure::destination("a load without the change"))?;
        self.load_with(&load_context(change.clone()))
    }

    /// A load through the retriever with `context`.
    fn load_with(
        &self,
        context: &windows_core::ComObject<LoadContextObject>,
    ) -> Result<Vec<u8>, Failure> {
        let retriever = self.retriever.as_ref().ok_or_else(|| Failure {
            provider: SPR_SOURCE,
            code: E_NOINTERFACE,
            data: None,
            message: "the source handed out no ISynchronousDataRetriever".into(),
        })?;
        let interface: crate::bindings::ILoadChangeContext = context.to_interface();
        // SAFETY: live interfaces.
        let loaded = unsafe { retriever.LoadChangeData(&interface) };
        if let Some(code) = context.recoverable_error() {
            return Err(Failure {
                provider: SPR_SOURCE,
                code,
                data: context.recoverable_error_data(),
                message: format!("the source could not load the change: {code}"),
            });
        }
        let data: IItemData = loaded
            .map_err(|e| Failure::source(&e))?
            .cast()
            .map_err(|_| Failure {
                provider: SPR_SOURCE,
                code: E_NOINTERFACE,
                data: None,
                message: "the source's data is not IItemData".into(),
            })?;
        bytes_of(&data).map_err(|e| Failure::source(&e))
    }

    /// `OnRecoverableError` for a change (or its change unit `unit`) whose data could not be
    /// loaded or saved.
    fn raise(&self, change: &ISyncChange, unit: Option<&[u8]>, failure: Failure) -> ItemError {
        let error = unit_recoverable_error(
            SPS_CHANGE_APPLICATION,
            failure.provider,
            change.clone(),
            unit,
            failure.code,
            failure.data,
        );
        // SAFETY: a live interface; the application's answer does not change the change's fate.
        let _ = unsafe { self.callback.OnRecoverableError(&error) };
        ItemError(failure.message)
    }

    fn report(&mut self, ok: bool) {
        if ok {
            self.applied += 1;
        } else {
            self.failed += 1;
        }
        if let (Some(callback), false) = (&self.callback2, self.quiet) {
            // SAFETY: a live interface. What the application answers does not change the
            // change's fate.
            let _ = unsafe {
                if ok {
                    callback.OnChangeApplied(self.applied, self.failed)
                } else {
                    callback.OnChangeFailed(self.applied, self.failed)
                }
            };
        }
    }

    /// [`Self::progress`] for `change`'s work, counted once per change: a change applied unit
    /// by unit completes its work with its first applied (or kept) unit.
    fn progress_once(&mut self, change: &ItemChange) {
        if change.units.is_empty() {
            // A change without units is applied (or kept) once.
            return self.progress(change.work);
        }
        let key = (change.item.clone(), change.change_version);
        if self.worked.as_ref() == Some(&key) {
            return self.progress(0);
        }
        self.worked = Some(key);
        self.progress(change.work);
    }

    /// `OnProgress` for an applied change of work `work` (see [`Progress`]): `0, 0` when the
    /// batch estimates no remaining work; else the work completed so far, when the change
    /// completed some.
    fn progress(&mut self, work: u32) {
        let progress = &mut self.progress;
        progress.completed = progress.completed.saturating_add(work);
        let (completed, total) = if progress.zero {
            (0, 0)
        } else if work > 0 {
            (progress.completed, progress.total.max(progress.completed))
        } else {
            return;
        };
        if self.quiet {
            return;
        }
        // SAFETY: a live interface; OnProgress only informs.
        let _ = unsafe {
            self.callback
                .OnProgress(SPR_DESTINATION, SPS_CHANGE_APPLICATION, completed, total)
        };
    }
}

impl<S: ItemStore> ChangeTarget for ComTarget<'_, S> {
    fn save(&mut self, save: &Save<'_>) -> Result<(), ItemError> {
        // The change as an `ISyncChange`: for OnChange, a load through the retriever, or a
        // recoverable error. A quiet callback with a direct loader needs it only on failure.
        let loads_directly = self.direct_loader().is_some();
        let sync_change = save
            .change
            .filter(|_| !(self.quiet && loads_directly))
            .map(|change| self.sync_change(change, save.made_with));
        if let (Some(sync_change), false) = (&sync_change, self.quiet) {
            // SAFETY: a live interface; OnChange only informs.
            let _ = unsafe { self.callback.OnChange(sync_change) };
        }
        let stored = |result: Result<(), ItemError>| {
            result.map_err(|ItemError(message)| Failure {
                provider: SPR_DESTINATION,
                code: E_FAIL,
                data: None,
                message,
            })
        };
        let result = match (save.kind, save.change) {
            (SaveKind::Create | SaveKind::Update, Some(_)) => self
                .load(save.item, sync_change.as_ref())
                .and_then(|bytes| stored(self.store.save(save.item, &bytes))),
            (SaveKind::Merge, Some(_)) => self
                .load(save.item, sync_change.as_ref())
                .and_then(|bytes| stored(self.store.merge(save.item, &bytes))),
            (SaveKind::Delete | SaveKind::DeleteAndForget, _) => {
                stored(self.store.delete(save.item))
            }
            (_, None) => Err(Failure {
                provider: SPR_DESTINATION,
                code: E_FAIL,
                data: None,
                message: "a save of data without a change".into(),
            }),
        };
        // A failure without a change (an item a full enumeration removes) has no change to
        // report it on: it is counted failed only.
        let result = result.map_err(|failure| match (&sync_change, save.change) {
            (Some(change), _) => self.raise(change, None, failure),
            (None, Some(change)) => {
                let change = self.sync_change(change, save.made_with);
                self.raise(&change, None, failure)
            }
            (None, None) => ItemError(failure.message),
        });
        self.report(result.is_ok());
        if let (Ok(()), Some(change)) = (&result, save.change) {
            self.progress_once(change);
        }
        result
    }

    /// A change resolved for the destination's version counts as applied: the application
    /// hears of it as of any applied change (`OnChangeApplied` with the running totals, which
    /// the session's statistics then match), and its work is done.
    fn kept(&mut self, change: &ItemChange) {
        self.report(true);
        self.progress_once(change);
    }

    fn resolve(&mut self, conflict: &Conflict<'_>) -> ResolveAction {
        self.ask(conflict).action
    }

    /// With `CRP_NONE`, the application's `OnConflict` with the conflicting units and its
    /// per-unit actions (see [`super::conflict`], `super::resolve`).
    fn resolve_units(&mut self, conflict: &Conflict<'_>) -> Resolution {
        self.ask(conflict)
    }

    /// One change unit: loaded with a load of its own (see [`super::data`]), saved with
    /// [`ItemStore::save_unit`] (or [`ItemStore::merge_unit`]); the callbacks are the item
    /// path's, per unit (`OnChange` before, `OnRecoverableError` on failure,
    /// `OnChangeApplied` / `OnChangeFailed` after).
    fn save_unit(&mut self, save: &UnitSave<'_>) -> Result<(), ItemError> {
        let loads_directly = self.direct_loader().is_some();
        let sync_change = (!(self.quiet && loads_directly))
            .then(|| self.sync_change(save.change, Some(save.made_with)));
        if let (Some(sync_change), false) = (&sync_change, self.quiet) {
            // SAFETY: a live interface; OnChange only informs.
            let _ = unsafe { self.callback.OnChange(sync_change) };
        }
        let unit = &save.unit.unit;
        let result = self
            .load_unit(save.item, unit, sync_change.as_ref())
            .and_then(|bytes| {
                let stored = if save.kind == SaveKind::Merge {
                    self.store.merge_unit(save.item, unit, &bytes)
                } else {
                    self.store.save_unit(save.item, unit, &bytes)
                };
                stored.map_err(|ItemError(message)| Failure {
                    provider: SPR_DESTINATION,
                    code: E_FAIL,
                    data: None,
                    message,
                })
            });
        let result = result.map_err(|failure| match &sync_change {
            Some(change) => self.raise(change, Some(unit), failure),
            None => {
                let change = self.sync_change(save.change, Some(save.made_with));
                self.raise(&change, Some(unit), failure)
            }
        });
        self.report(result.is_ok());
        if result.is_ok() {
            self.progress_once(save.change);
        }
        result
    }
}
