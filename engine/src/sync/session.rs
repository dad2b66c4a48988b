//! A whole one-way session in plain Rust: the source enumerates, the destination applies,
//! batch after batch, with forgotten-knowledge recovery when the destination is out of date
//! (`NF:winsync.ISyncCallback.OnFullEnumerationNeeded`). The COM session of the runtime runs
//! the same steps through the providers' interfaces.

use super::enumerate::ChangeEnumerator;
use super::replica::Replica;
use super::target::{ApplyOptions, ApplyOutcome, ChangeTarget};
use crate::error::{Error, Result};

/// `SYNC_FULL_ENUMERATION_ACTION` (`NE:winsync.__MIDL___MIDL_itf_winsync_0000_0000_0004`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FullEnumerationAction {
    /// `SFEA_FULL_ENUMERATION`: recover by enumerating every item of the source.
    FullEnumeration,
    /// `SFEA_PARTIAL_SYNC`: apply the batches anyway, learning only the items received.
    PartialSync,
    /// `SFEA_ABORT`: stop the session.
    Abort,
}

/// What a session did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionReport {
    /// Batches applied.
    pub batches: u32,
    /// Changes applied, failed and known, conflicts, over all batches.
    pub outcome: ApplyOutcome,
    /// Whether the session recovered by full enumeration.
    pub full_enumeration: bool,
    /// Whether the session stopped because the destination was out of date and the action was
    /// [`FullEnumerationAction::Abort`].
    pub aborted: bool,
}

impl SessionReport {
    fn add(&mut self, outcome: ApplyOutcome) {
        self.batches += 1;
        let total = &mut self.outcome;
        total.applied += outcome.applied;
        total.failed += outcome.failed;
        total.known += outcome.known;
        total.forgotten_items += outcome.forgotten_items;
        total.conflicts.extend(outcome.conflicts);
        total.logged.extend(outcome.logged);
        total.reissued.extend(outcome.reissued);
    }
}

/// Synchronizes `destination` with `source`: every change `source` has that `destination`
/// lacks, in batches of `batch_size`, conflicts resolved by `options`, data through `target`.
/// `stop_after` ends the session early after that many batches (an interrupted session: what
/// was applied stays applied and learned).
///
/// # Errors
/// What enumeration or application refuses (a batch refused as a whole leaves the
/// destination as the previous batch left it).
pub fn synchronize(
    source: &Replica,
    destination: &mut Replica,
    batch_size: u32,
    options: ApplyOptions,
    on_out_of_date: FullEnumerationAction,
    target: &mut dyn ChangeTarget,
    stop_after: Option<u32>,
) -> Result<SessionReport> {
    if source.id() == destination.id() {
        return Err(Error::InvalidArgument(
            "a replica does not synchronize with itself".into(),
        ));
    }
    let mut report = SessionReport::default();
    let mut enumerator = ChangeEnumerator::new(source, destination.knowledge())?;
    let mut options = options;
    while !enumerator.done() {
        if stop_after.is_some_and(|n| report.batches >= n) {
            return Ok(report);
        }
        let mut batch = enumerator.next_batch(source, batch_size)?;
        batch.freeze();
        let outcome = destination.apply_batch(&batch, options, target)?;
        if outcome.full_enumeration_needed {
            match on_out_of_date {
                FullEnumerationAction::Abort => {
                    report.aborted = true;
                    return Ok(report);
                }
                FullEnumerationAction::PartialSync => {
                    options.partial = true;
                    let outcome = destination.apply_batch(&batch, options, target)?;
                    report.add(outcome);
                    continue;
                }
                FullEnumerationAction::FullEnumeration => {
                    report.full_enumeration = true;
                    enumerator = ChangeEnumerator::full(source, destination.knowledge(), None)?;
                    continue;
                }
            }
        }
        report.add(outcome);
    }
    Ok(report)
}
