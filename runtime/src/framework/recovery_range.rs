//! The forgotten-knowledge recovery range a [`SessionState`](super::session_state::SessionState)
//! keeps (`ISyncSessionState::SetForgottenKnowledgeRecoveryRange` and the two getters): its two
//! item IDs, read in the session's item ID format and written back with the `pcb` convention.
//!
//! A `SYNC_RANGE` holds two bare `BYTE*` IDs whose length only the provider's ID format gives
//! (`ID_PARAMETERS`, read with `GetIdParameters`), so the session state copies and checks them
//! only once it knows that format.

use windows_core::{Error, Result};
use winsync_engine::IdFormat;

use crate::bindings::SYNC_RANGE;
use crate::contracts as rules;
use crate::framework::knowledge::wire::{MORE_DATA, read_id, write_id};
use crate::hresults::SYNC_E_ID_FORMAT_MISMATCH;

/// The closed bounds of a recovery range: the IDs' data (a variable-length ID without its
/// `SYNC_ID` size field).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RecoveryRange {
    pub(crate) lower: Box<[u8]>,
    pub(crate) upper: Box<[u8]>,
}

/// Which bound a getter writes.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Bound {
    /// `GetForgottenKnowledgeRecoveryRangeStart`.
    Start,
    /// `GetForgottenKnowledgeRecoveryRangeEnd`.
    End,
}

impl RecoveryRange {
    /// Copies both bounds of `range`, IDs of `format`.
    ///
    /// # Errors
    /// `E_POINTER` for a NULL bound; `SYNC_E_ID_FORMAT_MISMATCH` naming the rule for a
    /// variable-length ID whose `SYNC_ID` size is outside the format's bounds
    /// (`session-state.set-recovery-range.id-format`,
    /// `NF:winsync.ISyncSessionState.SetForgottenKnowledgeRecoveryRange`). A fixed-length ID
    /// carries no length to check.
    ///
    /// # Safety
    /// Each bound is null or points to an ID of `format` (the COM caller's contract).
    pub(crate) unsafe fn read(range: &SYNC_RANGE, format: &IdFormat) -> Result<Self> {
        let bound = |id: *const u8, what: &'static str| {
            // SAFETY: forwarded from the caller.
            unsafe { read_id(id, format, what) }
                .map(Box::<[u8]>::from)
                .map_err(|error| {
                    if error.code() == SYNC_E_ID_FORMAT_MISMATCH {
                        Error::new(
                            SYNC_E_ID_FORMAT_MISMATCH,
                            format!(
                                "the {what} is not in the session's item ID format: {}",
                                rules::SESSION_STATE_SET_RECOVERY_RANGE_ID_FORMAT
                            ),
                        )
                    } else {
                        error
                    }
                })
        };
        Ok(Self {
            lower: bound(range.pbClosedLowerBound, "range's lower bound")?,
            upper: bound(range.pbClosedUpperBound, "range's upper bound")?,
        })
    }

    /// Writes `which` bound in its wire form to `buffer` (of `*size` bytes), with the `pcb`
    /// convention.
    ///
    /// # Errors
    /// `HRESULT_FROM_WIN32(ERROR_MORE_DATA)` naming the rule, after writing the size needed to
    /// `*size`, when the buffer is too small
    /// (`session-state.get-recovery-range-start.buffer-too-small`,
    /// `NF:winsync.ISyncSessionState.GetForgottenKnowledgeRecoveryRangeStart`, and
    /// `session-state.get-recovery-range-end.buffer-too-small`,
    /// `NF:winsync.ISyncSessionState.GetForgottenKnowledgeRecoveryRangeEnd`).
    ///
    /// # Safety
    /// `buffer` is writable for `*size` bytes.
    pub(crate) unsafe fn write(
        &self,
        which: Bound,
        format: &IdFormat,
        buffer: *mut u8,
        size: &mut u32,
    ) -> Result<()> {
        let (data, rule) = match which {
            Bound::Start => (
                &self.lower,
                &rules::SESSION_STATE_GET_RECOVERY_RANGE_START_BUFFER_TOO_SMALL,
            ),
            Bound::End => (
                &self.upper,
                &rules::SESSION_STATE_GET_RECOVERY_RANGE_END_BUFFER_TOO_SMALL,
            ),
        };
        let held = *size;
        // SAFETY: forwarded from the caller.
        unsafe { write_id(buffer, size, format, data) }.map_err(|error| {
            if error.code() == MORE_DATA {
                Error::new(
                    MORE_DATA,
                    format!("{size} bytes are needed, the buffer holds {held}: {rule}"),
                )
            } else {
                error
            }
        })
    }
}
