//! A session driver: the documented two-provider sequence of a Sync Framework session, run
//! against any pair of `IKnowledgeSyncProvider`s, with progress reported through an
//! `ISyncCallback`.
//!
//! The sequence (`NN:winsync.IKnowledgeSyncProvider` and its methods' pages):
//!
//! 1. `BeginSession(SPR_SOURCE)` on the source, `BeginSession(SPR_DESTINATION)` on the
//!    destination, both with the same session state;
//! 2. `GetSyncBatchParameters` on the destination: its knowledge and the batch size it asks for;
//! 3. `GetChangeBatch` on the source with that size and knowledge, then `ProcessChangeBatch` on
//!    the destination with the batch, until the source marks a batch as the last
//!    (`ISyncChangeBatchBase::SetLastBatch`, `NF:winsync.IKnowledgeSyncProvider.GetChangeBatch`);
//! 4. `EndSession` on both, also when a step failed.
//!
//! When `ProcessChangeBatch` answers `SYNC_E_FULL_ENUMERATION_MUST_BE_USED` (this runtime's
//! convention for a destination out of date whose application chose `SFEA_FULL_ENUMERATION`,
//! [`crate::framework::replica`]), the session recovers: `GetFullEnumerationChangeBatch` /
//! `ProcessFullEnumerationChangeBatch` from the smallest item ID until the last batch.
//!
//! The session state is a [`SessionState`], given the destination's item ID format
//! (`GetIdParameters`) so that it can hold a forgotten-knowledge recovery range: providers
//! reporting progress through it raise the callback, and the driver reports the source's steps
//! there too (`SPS_CHANGE_ENUMERATION` after each batch), with the batches' work estimates: the
//! work of the batches so far, out of that plus the remaining work the last batch estimates for
//! the session (`NF:winsync.ISyncChangeBatchBase.SetWorkEstimateForBatch`,
//! `NF:winsync.ISyncChangeBatchBase.SetRemainingWorkEstimateForSession`). Change application
//! is the destination's to report, change by change, from the changes' work estimates
//! (`NF:winsync.ISyncChangeBatchBase.AddItemMetadataToGroup`; the runtime's
//! [`ReplicaProvider`](crate::framework::replica::ReplicaProvider) does).
//!
//! What the driver relies on, and so checks by running:
//!
//! - each batch goes from the source's `GetChangeBatch` to the destination's
//!   `ProcessChangeBatch` as it is, one at a time and in order (`change-batch.flow`,
//!   `NN:winsync.ISyncChangeBatch`);
//! - a batch may hold more or fewer changes than the size the destination asked for, none
//!   included, as long as the source marks its last batch
//!   (`provider.get-change-batch.batch-size-is-a-request`,
//!   `NF:winsync.IKnowledgeSyncProvider.GetChangeBatch`);
//! - a source that marks no last batch within [`SyncOptions::max_batches`] fails the session with
//!   `SYNC_E_INVALID_OPERATION` (`change-batch-base.set-last-batch.source-must-call`,
//!   `NF:winsync.ISyncChangeBatchBase.SetLastBatch`).

use windows_core::{ComObject, Error, Result};

use winsync_engine::IdFormats;

use crate::bindings::{
    CONFLICT_RESOLUTION_POLICY, CRP_NONE, E_NOTIMPL, ID_PARAMETERS, IKnowledgeSyncProvider,
    ISyncCallback, ISyncChangeBatch, ISyncChangeBatchBase, ISyncFullEnumerationChangeBatch,
    ISyncKnowledge, ISyncSessionState, SPR_DESTINATION, SPR_SOURCE, SPS_CHANGE_ENUMERATION,
    SYNC_PROGRESS_STAGE, SYNC_PROVIDER_ROLE, SYNC_SESSION_STATISTICS,
};
use crate::contracts as rules;
use crate::framework::knowledge::wire::{formats_of, read_pcb_id};
use crate::framework::session_state::SessionState;
use crate::hresults::{SYNC_E_FULL_ENUMERATION_MUST_BE_USED, SYNC_E_INVALID_OPERATION};

/// What a canceled session fails with: `HRESULT_FROM_WIN32(ERROR_CANCELLED)`.
pub const E_CANCELLED: windows_core::HRESULT = windows_core::HRESULT(0x8007_04C7_u32 as i32);

/// How to run a synchronization.
#[derive(Clone, Copy, Debug)]
pub struct SyncOptions {
    /// The conflict resolution policy handed to `ProcessChangeBatch`.
    pub resolution_policy: CONFLICT_RESOLUTION_POLICY,
    /// The most change batches the driver asks for before it gives up on a source that never
    /// marks its last batch (the session then fails with `SYNC_E_INVALID_OPERATION`).
    pub max_batches: u32,
}

impl Default for SyncOptions {
    /// `CRP_NONE` (conflicts are reported to the callback), at most 100,000 batches.
    fn default() -> Self {
        Self {
            resolution_policy: CRP_NONE,
            max_batches: 100_000,
        }
    }
}

/// What a synchronization did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Change batches transferred (the last one included).
    pub batches: u32,
    /// The batch size the destination asked for.
    pub batch_size: u32,
    /// The statistics the destination updated (`ProcessChangeBatch`'s in/out argument).
    pub changes_applied: u32,
    /// Changes the destination failed to apply.
    pub changes_failed: u32,
    /// Whether the session recovered by full enumeration (the destination answered
    /// `SYNC_E_FULL_ENUMERATION_MUST_BE_USED`: out of date with the source's forgotten
    /// knowledge, and the application chose full enumeration).
    pub full_enumeration: bool,
}

/// Synchronizes `source` into `destination`.
///
/// `callback` receives the session's events (`ProcessChangeBatch` takes one). Without one the
/// session runs with a callback that ignores every event and says so through a private
/// interface: a destination of this runtime then skips building the `ISyncChange` each
/// `OnChange` would receive and the per-change `OnChangeApplied` / `OnProgress` calls, which
/// nobody would see (about a fifth of the work per change through COM).
///
/// # Errors
/// The first failure of the sequence: a provider's error (for example
/// `SYNC_E_INVALID_OPERATION` from a provider already in a session), or
/// `SYNC_E_INVALID_OPERATION` when the source did not mark a last batch within
/// [`SyncOptions::max_batches`]. Both providers get `EndSession` whatever failed, and the
/// failure is recorded on the session state (`SessionState::session_error`).
pub fn synchronize(
    source: &IKnowledgeSyncProvider,
    destination: &IKnowledgeSyncProvider,
    callback: Option<&ISyncCallback>,
    options: &SyncOptions,
) -> Result<SyncReport> {
    let callback = callback
        .cloned()
        .unwrap_or_else(crate::framework::callback::quiet_callback);
    let session = SessionState::new(Some(callback.clone()));
    synchronize_in(&session, source, destination, &callback, options)
}

/// [`synchronize`] with a session state the caller made (to request cancellation, read the
/// session's error, or share it with providers that report progress).
///
/// # Errors
/// As [`synchronize`].
pub fn synchronize_in(
    session: &ComObject<SessionState>,
    source: &IKnowledgeSyncProvider,
    destination: &IKnowledgeSyncProvider,
    callback: &ISyncCallback,
    options: &SyncOptions,
) -> Result<SyncReport> {
    let state: ISyncSessionState = session.to_interface();
    // The item ID format lets the session state read the IDs of a recovery range
    // (`SessionState::set_item_id_format`); a provider without one leaves it unset.
    let formats = id_formats(destination).ok();
    if let Some(formats) = &formats {
        session.set_item_id_format(formats.item);
    }
    session.begin_session();
    let result = (|| {
        unsafe { source.BeginSession(SPR_SOURCE, &state) }.ok()?;
        let transfer = (|| {
            unsafe { destination.BeginSession(SPR_DESTINATION, &state) }.ok()?;
            let transfer = transfer(&state, source, destination, callback, options, formats);
            let end = unsafe { destination.EndSession(&state) }.ok();
            transfer.and_then(|report| end.map(|()| report))
        })();
        let end = unsafe { source.EndSession(&state) }.ok();
        transfer.and_then(|report| end.map(|()| report))
    })();
    if let Err(error) = &result {
        session.set_session_error(error.code());
    }
    session.end_session();
    result
}

/// The ID formats `provider` declares with `GetIdParameters`.
fn id_formats(provider: &IKnowledgeSyncProvider) -> Result<IdFormats> {
    let mut parameters = ID_PARAMETERS {
        dwSize: u32::try_from(size_of::<ID_PARAMETERS>()).unwrap_or(u32::MAX),
        ..Default::default()
    };
    unsafe { provider.GetIdParameters(&mut parameters) }.ok()?;
    formats_of(&parameters)
}

fn transfer(
    state: &ISyncSessionState,
    source: &IKnowledgeSyncProvider,
    destination: &IKnowledgeSyncProvider,
    callback: &ISyncCallback,
    options: &SyncOptions,
    formats: Option<IdFormats>,
) -> Result<SyncReport> {
    let mut knowledge: Option<ISyncKnowledge> = None;
    let mut report = SyncReport::default();
    let mut work = Work::default();
    unsafe { destination.GetSyncBatchParameters(&mut knowledge, &mut report.batch_size) }.ok()?;
    let knowledge =
        knowledge.ok_or_else(|| missing("GetSyncBatchParameters", "ppSyncKnowledge"))?;
    let mut statistics = SYNC_SESSION_STATISTICS::default();
    loop {
        if is_canceled(state)? {
            return Err(Error::new(
                windows_core::HRESULT(0x8007_04C7_u32 as i32),
                "the session was canceled",
            ));
        }
        let (mut batch, mut retriever): (Option<ISyncChangeBatch>, Option<windows_core::IUnknown>) =
            (None, None);
        unsafe { source.GetChangeBatch(report.batch_size, &knowledge, &mut batch, &mut retriever) }
            .ok()?;
        let batch = batch.ok_or_else(|| missing("GetChangeBatch", "ppSyncChangeBatch"))?;
        let retriever = retriever.ok_or_else(|| missing("GetChangeBatch", "ppUnkDataRetriever"))?;
        report.batches += 1;
        work.add(&batch)?;
        work.report(state, SPR_SOURCE, SPS_CHANGE_ENUMERATION)?;
        let processed = unsafe {
            destination.ProcessChangeBatch(
                options.resolution_policy,
                &batch,
                &retriever,
                callback,
                &mut statistics,
            )
        };
        if processed == SYNC_E_FULL_ENUMERATION_MUST_BE_USED {
            // The destination is out of date with the source's forgotten knowledge and the
            // application chose full enumeration: the current batch is discarded.
            report.full_enumeration = true;
            full_enumeration(
                state,
                source,
                destination,
                callback,
                options,
                formats,
                &knowledge,
                &mut report,
                &mut statistics,
            )?;
            report.changes_applied = statistics.dwChangesApplied;
            report.changes_failed = statistics.dwChangesFailed;
            return Ok(report);
        }
        processed.ok()?;
        report.changes_applied = statistics.dwChangesApplied;
        report.changes_failed = statistics.dwChangesFailed;
        let mut last = windows_core::BOOL::default();
        unsafe { batch.GetIsLastBatch(&mut last) }.ok()?;
        if last.as_bool() {
            return Ok(report);
        }
        if report.batches >= options.max_batches {
            return Err(Error::new(
                SYNC_E_INVALID_OPERATION,
                format!(
                    "the source marked no last batch within {} batches: {}; {}",
                    options.max_batches,
                    rules::PROVIDER_GET_CHANGE_BATCH_LAST_BATCH,
                    rules::CHANGE_BATCH_BASE_SET_LAST_BATCH_SOURCE_MUST_CALL
                ),
            ));
        }
    }
}

/// Forgotten-knowledge recovery: full-enumeration batches from the smallest item ID, each
/// next one from the ID after the previous batch's closed upper bound, until the last
/// (`NF:winsync.IKnowledgeSyncProvider.GetFullEnumerationChangeBatch`).
#[allow(clippy::too_many_arguments)]
fn full_enumeration(
    state: &ISyncSessionState,
    source: &IKnowledgeSyncProvider,
    destination: &IKnowledgeSyncProvider,
    callback: &ISyncCallback,
    options: &SyncOptions,
    formats: Option<IdFormats>,
    knowledge: &ISyncKnowledge,
    report: &mut SyncReport,
    statistics: &mut SYNC_SESSION_STATISTICS,
) -> Result<()> {
    let format = match formats {
        Some(formats) => formats.item,
        None => id_formats(destination)?.item,
    };
    let mut lower = format.to_wire(&format.min_id());
    let mut work = Work::default();
    loop {
        if is_canceled(state)? {
            return Err(Error::new(E_CANCELLED, "the session was canceled"));
        }
        let (mut batch, mut retriever): (
            Option<ISyncFullEnumerationChangeBatch>,
            Option<windows_core::IUnknown>,
        ) = (None, None);
        unsafe {
            source.GetFullEnumerationChangeBatch(
                report.batch_size,
                lower.as_ptr(),
                knowledge,
                &mut batch,
                &mut retriever,
            )
        }
        .ok()?;
        let batch =
            batch.ok_or_else(|| missing("GetFullEnumerationChangeBatch", "ppSyncChangeBatch"))?;
        let retriever = retriever
            .ok_or_else(|| missing("GetFullEnumerationChangeBatch", "ppUnkDataRetriever"))?;
        report.batches += 1;
        work.add(&batch)?;
        work.report(state, SPR_SOURCE, SPS_CHANGE_ENUMERATION)?;
        unsafe {
            destination.ProcessFullEnumerationChangeBatch(
                options.resolution_policy,
                &batch,
                &retriever,
                callback,
                statistics,
            )
        }
        .ok()?;
        let mut last = windows_core::BOOL::default();
        unsafe { batch.GetIsLastBatch(&mut last) }.ok()?;
        if last.as_bool() {
            return Ok(());
        }
        let upper = read_pcb_id(&format, "item ID", |b, s| unsafe {
            batch.GetClosedUpperBoundItemId(b, s)
        })?;
        let Some(next) = format.successor(&upper) else {
            return Ok(());
        };
        lower = format.to_wire(&next);
        if report.batches >= options.max_batches {
            return Err(Error::new(
                SYNC_E_INVALID_OPERATION,
                format!(
                    "the source marked no last full-enumeration batch within {} batches: {}",
                    options.max_batches,
                    rules::PROVIDER_GET_FULL_ENUMERATION_CHANGE_BATCH_LAST_BATCH
                ),
            ));
        }
    }
}

/// The session's work as the source's batches estimate it
/// (`change-batch-base.set-work-estimate-for-batch.meaning`,
/// `NF:winsync.ISyncChangeBatchBase.SetWorkEstimateForBatch`): the work of the batches so far
/// and what the last batch says remains of the session.
#[derive(Clone, Copy, Debug, Default)]
struct Work {
    completed: u32,
    remaining: u32,
}

impl Work {
    /// Counts a batch's work estimate and takes its estimate of the session's remaining work.
    /// A batch that gives no estimate (`E_NOTIMPL`, as a batch of a provider that does not
    /// estimate may answer) counts as no work.
    fn add(&mut self, batch: &impl windows_core::Interface) -> Result<()> {
        let batch: ISyncChangeBatchBase = batch.cast()?;
        let estimate = |read: &dyn Fn(&mut u32) -> windows_core::HRESULT| {
            let mut value = 0;
            match read(&mut value) {
                code if code.is_ok() => Ok(value),
                code if code == E_NOTIMPL => Ok(0),
                code => Err(Error::from_hresult(code)),
            }
        };
        let batch_work = estimate(&|value| unsafe { batch.GetWorkEstimateForBatch(value) })?;
        self.remaining =
            estimate(&|value| unsafe { batch.GetRemainingWorkEstimateForSession(value) })?;
        self.completed = self.completed.saturating_add(batch_work);
        Ok(())
    }

    /// `OnProgress` for `role` at `stage`: the work done so far out of that plus the remaining.
    fn report(
        &self,
        state: &ISyncSessionState,
        role: SYNC_PROVIDER_ROLE,
        stage: SYNC_PROGRESS_STAGE,
    ) -> Result<()> {
        let total = self.completed.saturating_add(self.remaining);
        unsafe { state.OnProgress(role, stage, self.completed, total) }.ok()
    }
}

fn is_canceled(state: &ISyncSessionState) -> Result<bool> {
    let mut canceled = windows_core::BOOL::default();
    unsafe { state.IsCanceled(&mut canceled) }.ok()?;
    Ok(canceled.as_bool())
}

fn missing(method: &str, param: &str) -> Error {
    Error::new(
        crate::bindings::E_POINTER,
        format!("{method} succeeded without writing {param}"),
    )
}
