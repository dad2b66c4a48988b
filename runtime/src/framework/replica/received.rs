//! What a destination reads from the batch and the data retriever it is handed, before it
//! applies anything: whether the retriever's items are in its ID formats
//! (`NF:winsync.ISynchronousDataRetriever.GetIdParameters`), whether the batch's learned
//! knowledge is to be learned (`NF:winsync.ISyncChangeBatchAdvanced.GetBatchLevelKnowledgeShouldBeApplied`),
//! and the work estimates its change-application progress comes from
//! (`NF:winsync.ISyncChangeBatchBase.GetWorkEstimateForBatch`).

use windows_core::{Error, Interface, Result};
use winsync_engine::IdFormats;

use super::data::RetrieverState;
use super::target::Progress;
use crate::bindings::{
    ID_PARAMETERS, ISyncChangeBatchAdvanced, ISyncChangeBatchBase, ISynchronousDataRetriever,
};
use crate::framework::knowledge::wire::formats_of;
use crate::hresults::SYNC_E_ID_FORMAT_MISMATCH;

/// A destination's work in a session: the batches' work estimates so far and the applied
/// changes' (`NF:winsync.ISyncChangeBatchBase.GetWorkEstimateForBatch`).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct SessionWork {
    batches: u32,
    pub(super) completed: u32,
}

/// Refuses a data retriever whose items are not in the replica's formats: this runtime's by its
/// loader's formats, any other by its `GetIdParameters` (rule
/// `synchronous-data-retriever.get-id-parameters.schema`,
/// `NF:winsync.ISynchronousDataRetriever.GetIdParameters`). An object that is no
/// `ISynchronousDataRetriever` is not checked: its changes fail to load, one by one.
pub(super) fn check_retriever_formats(
    formats: &IdFormats,
    direct: Option<&RetrieverState>,
    retriever: Option<&ISynchronousDataRetriever>,
) -> Result<()> {
    let declared = match (direct, retriever) {
        (Some(direct), _) => direct.formats,
        (None, Some(retriever)) => {
            let mut parameters = ID_PARAMETERS {
                dwSize: u32::try_from(size_of::<ID_PARAMETERS>()).unwrap_or(u32::MAX),
                ..Default::default()
            };
            // SAFETY: a live interface; `parameters` is writable.
            unsafe { retriever.GetIdParameters(&mut parameters) }.ok()?;
            formats_of(&parameters)?
        }
        (None, None) => return Ok(()),
    };
    if declared == *formats {
        return Ok(());
    }
    Err(Error::new(
        SYNC_E_ID_FORMAT_MISMATCH,
        format!(
            "the data retriever's ID formats ({declared:?}) are not the destination's ({formats:?}) (rule synchronous-data-retriever.get-id-parameters.schema)"
        ),
    ))
}

/// Whether the batch's learned knowledge is learned after the batch: what the batch answers to
/// `GetBatchLevelKnowledgeShouldBeApplied`; `true` for a batch without
/// `ISyncChangeBatchAdvanced`, `false` when the call fails (learning per change never claims
/// more than was applied) (rule
/// `change-batch-advanced.get-batch-level-knowledge-should-be-applied.destination-saves`,
/// `NF:winsync.ISyncChangeBatchAdvanced.GetBatchLevelKnowledgeShouldBeApplied`).
pub(super) fn batch_knowledge_applied(batch: &ISyncChangeBatchBase) -> bool {
    let Ok(advanced) = batch.cast::<ISyncChangeBatchAdvanced>() else {
        return true;
    };
    let mut apply = windows_core::BOOL::default();
    // SAFETY: a live interface; `apply` is writable.
    unsafe { advanced.GetBatchLevelKnowledgeShouldBeApplied(&mut apply) }.is_ok() && apply.as_bool()
}

/// The progress a batch starts from: the session's completed work, and its work as the batches
/// estimate it (rules `change-batch-base.add-item-metadata-to-group.work-for-change`,
/// `change-batch-base.set-remaining-work-estimate-for-session.zero`). A batch that gives no
/// estimate (a failed call) counts as no work, and as zero remaining work.
pub(super) fn progress(work: &mut SessionWork, batch: &ISyncChangeBatchBase) -> Progress {
    let estimate = |read: &dyn Fn(&mut u32) -> windows_core::HRESULT| {
        let mut value = 0;
        if read(&mut value).is_ok() { value } else { 0 }
    };
    // SAFETY: a live interface; `value` is writable.
    let for_batch = estimate(&|value| unsafe { batch.GetWorkEstimateForBatch(value) });
    // SAFETY: as above.
    let remaining = estimate(&|value| unsafe { batch.GetRemainingWorkEstimateForSession(value) });
    work.batches = work.batches.saturating_add(for_batch);
    Progress {
        completed: work.completed,
        total: work.batches.saturating_add(remaining),
        zero: remaining == 0,
    }
}
