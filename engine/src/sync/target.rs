//! What a change applier and its target say to each other: the conflict policy and resolve
//! actions of the pages, the saves the applier asks for, the conflicts it reports, and what a
//! batch's application did.

use std::sync::Arc;

use super::replica::ItemMetadata;
use crate::batch::ItemChange;
use crate::knowledge::Knowledge;
use crate::vector::Version;

/// `CONFLICT_RESOLUTION_POLICY` (`NE:winsync.__MIDL___MIDL_itf_winsync_0000_0000_0002`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConflictPolicy {
    /// `CRP_NONE`: the application decides each conflict ([`ChangeTarget::resolve`]).
    Manual,
    /// `CRP_DESTINATION_PROVIDER_WINS`.
    DestinationWins,
    /// `CRP_SOURCE_PROVIDER_WINS`.
    SourceWins,
}

/// `SYNC_RESOLVE_ACTION` (`NE:winsync.__MIDL___MIDL_itf_winsync_0000_0000_0005`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResolveAction {
    /// `SRA_DEFER`: apply nothing and learn nothing of the item: the change comes again.
    Defer,
    /// `SRA_ACCEPT_DESTINATION_PROVIDER`: keep the destination's item and learn the source's
    /// change. The page says only the version information is updated; the version the item
    /// gets is a new local one (as for a merge), made with knowledge of the source's change, so
    /// the destination's item supersedes it everywhere. (Keeping the old version would let two
    /// replicas that each chose their own item know both and never converge.)
    AcceptDestination,
    /// `SRA_ACCEPT_SOURCE_PROVIDER`: apply the source's change. The item then gets a new local
    /// version, made with knowledge of both changes: without it, two replicas resolving the
    /// same pair of changes in opposite ways would each know both and never converge.
    AcceptSource,
    /// `SRA_MERGE`: the target merges both; the result is a new local change (a new version of
    /// the destination replica, so it travels on to both sides).
    Merge,
    /// `SRA_TRANSFER_AND_DEFER`: log the conflict; like `Defer` for the item.
    TransferAndDefer,
}

/// What the target saves (`SAVE_CHANGE_ACTION` of Sync Framework's change applier).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaveKind {
    /// A new item (or one over a tombstone): load the source's data and store it.
    Create,
    /// A new version of an existing item: load the source's data and store it.
    Update,
    /// The item was deleted at the source: delete it (its tombstone is kept in the metadata).
    /// Also for an item the destination does not hold or holds as a tombstone: there is no data
    /// to delete, but a target that keeps its own record of deletions learns of this one.
    Delete,
    /// A conflict resolved by merging: combine the source's data into the item.
    Merge,
    /// A full enumeration found an item (or a tombstone) the source deleted and forgot:
    /// delete it; the metadata forgets it too.
    DeleteAndForget,
}

/// One save the applier asks of the target.
#[derive(Clone, Copy, Debug)]
pub struct Save<'a> {
    /// What to do.
    pub kind: SaveKind,
    /// The item.
    pub item: &'a [u8],
    /// The source's change (versions in the source's key space); `None` for
    /// [`SaveKind::DeleteAndForget`], which no change carries.
    pub change: Option<&'a ItemChange>,
    /// The knowledge the change was made with (its group's); `None` without a change.
    pub made_with: Option<&'a Arc<Knowledge>>,
}

/// A concurrency conflict, as the target sees it to resolve it
/// (`NN:winsync.IChangeConflict`).
#[derive(Clone, Copy, Debug)]
pub struct Conflict<'a> {
    /// The item.
    pub item: &'a [u8],
    /// The source's change, versions in the source's key space.
    pub source: &'a ItemChange,
    /// The source change's version in the destination's key space.
    pub source_version: Version,
    /// The knowledge the source's change was made with.
    pub made_with: &'a Arc<Knowledge>,
    /// The destination's metadata of the item (for a forgotten deletion: a tombstone whose
    /// change version is unknown and given as the creation version).
    pub destination: &'a ItemMetadata,
    /// The destination deleted the item and forgot its tombstone.
    pub destination_forgotten: bool,
}

/// A recoverable error on one item: the target could not save the change. The item is counted
/// as failed and not learned (`NF:winsync.ILoadChangeContext.SetRecoverableErrorOnChange`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemError(pub String);

/// Where the applier puts item data, and who resolves conflicts.
pub trait ChangeTarget {
    /// Saves one change's data (see [`SaveKind`]).
    ///
    /// # Errors
    /// [`ItemError`] for a change it cannot save: nothing of it is kept.
    fn save(&mut self, save: &Save<'_>) -> Result<(), ItemError>;

    /// Resolves a conflict under [`ConflictPolicy::Manual`] (`ISyncCallback::OnConflict`);
    /// by default defers it.
    fn resolve(&mut self, conflict: &Conflict<'_>) -> ResolveAction {
        let _ = conflict;
        ResolveAction::Defer
    }

    /// A conflicting change resolved for the destination's version
    /// ([`ResolveAction::AcceptDestination`]) without a save: nothing to store, but it counts
    /// as applied (`SYNC_SESSION_STATISTICS::dwChangesApplied`), so a target that reports
    /// applied changes (`ISyncCallback2::OnChangeApplied`) reports it too. By default nothing.
    fn kept(&mut self, change: &ItemChange) {
        let _ = change;
    }
}

/// How a batch is applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApplyOptions {
    /// How concurrency conflicts are resolved.
    pub policy: ConflictPolicy,
    /// `SFEA_PARTIAL_SYNC`: apply even when the destination is out of date with the source's
    /// forgotten knowledge, learning only the items received.
    pub partial: bool,
    /// Whether the batch's learned knowledge is learned after the batch (the batch's
    /// `GetBatchLevelKnowledgeShouldBeApplied`,
    /// `NF:winsync.ISyncChangeBatchAdvanced.GetBatchLevelKnowledgeShouldBeApplied`); when
    /// `false`, only each applied change's learned knowledge is (as with `partial`).
    pub batch_knowledge: bool,
}

impl ApplyOptions {
    /// The policy, no partial synchronization, the batch's learned knowledge learned.
    pub fn new(policy: ConflictPolicy) -> Self {
        Self {
            policy,
            partial: false,
            batch_knowledge: true,
        }
    }
}

/// A conflict and how it was resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConflictRecord {
    /// The item.
    pub item: Box<[u8]>,
    /// The destination's version before the change, in the destination's key space (unknown,
    /// and given as the creation version, when `destination_forgotten`).
    pub destination_version: Version,
    /// The destination's side was a deletion whose tombstone it forgot.
    pub destination_forgotten: bool,
    /// The source's version, in the destination's key space.
    pub source_version: Version,
    /// The action taken.
    pub action: ResolveAction,
}

/// What applying a batch did (`NS:winsync._SYNC_SESSION_STATISTICS` counts applied and failed
/// changes).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApplyOutcome {
    /// Changes applied (created, updated, deleted, merged, or version learned for a conflict
    /// the destination won).
    pub applied: u32,
    /// Changes the target could not save.
    pub failed: u32,
    /// Changes the destination already knew.
    pub known: u32,
    /// Conflicts, in order.
    pub conflicts: Vec<ConflictRecord>,
    /// Logged conflicts (`SRA_TRANSFER_AND_DEFER`).
    pub logged: Vec<ConflictRecord>,
    /// The destination does not contain the source's forgotten knowledge: nothing was applied
    /// (see the module docs).
    pub full_enumeration_needed: bool,
    /// Items a full enumeration removed (deleted at the source and forgotten).
    pub forgotten_items: u32,
    /// Items applied (counted in `applied`) under a new local version instead of the
    /// source's: the destination holds no version of them and may have forgotten a deletion
    /// of their ID that the change's made-with knowledge lacks (see the module docs of
    /// `sync::apply`). Each is sent on as a change of the destination.
    pub reissued: Vec<Box<[u8]>>,
}
