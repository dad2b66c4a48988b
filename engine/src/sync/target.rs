//! What a change applier and its target say to each other: the conflict policy and resolve
//! actions of the pages, the saves the applier asks for, the conflicts it reports, and what a
//! batch's application did.

use std::sync::Arc;

use super::replica::ItemMetadata;
use crate::batch::{ItemChange, UnitChange};
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
    /// [`SaveKind::DeleteAndForget`], which no change carries. A change with change units
    /// saved this way is taken whole: the target stores the source's item, every unit of it
    /// (change units are saved one by one through [`ChangeTarget::save_unit`] only when the
    /// change is decided unit by unit).
    pub change: Option<&'a ItemChange>,
    /// The knowledge the change was made with (its group's); `None` without a change.
    pub made_with: Option<&'a Arc<Knowledge>>,
}

/// One save of a change unit the applier asks of the target
/// ([`ChangeTarget::save_unit`]): the source's data of that change unit only, into the
/// destination's item, which holds every other change unit as it was.
#[derive(Clone, Copy, Debug)]
pub struct UnitSave<'a> {
    /// [`SaveKind::Update`] (store the source's unit) or [`SaveKind::Merge`] (a conflict on
    /// the unit resolved by merging: combine the source's unit into the item's).
    pub kind: SaveKind,
    /// The item.
    pub item: &'a [u8],
    /// The change unit, its version in the source's key space.
    pub unit: &'a UnitChange,
    /// The source's item change that carries it.
    pub change: &'a ItemChange,
    /// The knowledge the change was made with (its group's).
    pub made_with: &'a Arc<Knowledge>,
}

/// A change unit in a concurrency conflict (one of [`Conflict::units`]): both replicas changed
/// it, neither knowing the other's change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitConflict {
    /// The change unit's ID.
    pub unit: Box<[u8]>,
    /// The source's version of the unit, in the destination's key space.
    pub source_version: Version,
    /// The destination's version of the unit (its record's, else the item's change version).
    pub destination_version: Version,
}

/// How the application resolves one conflict: an action for the change
/// (`NF:winsync.IChangeConflict.SetResolveActionForChange`) and, for a conflict on change
/// units, actions for single units that override it
/// (`NF:winsync.IChangeConflict.SetResolveActionForChangeUnit`). A conflict of the item as a
/// whole (its [`Conflict::units`] is empty: an update-delete conflict, or a change of the
/// whole item on either side) takes the change's action: the page allows no per-unit action
/// for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolution {
    /// The action for the change, and for every conflicting unit not in `units`.
    pub action: ResolveAction,
    /// Actions for single change units (unit ID, action); the last one set for a unit wins.
    pub units: Vec<(Box<[u8]>, ResolveAction)>,
}

impl Resolution {
    /// `action` for the whole change.
    pub fn new(action: ResolveAction) -> Self {
        Self {
            action,
            units: Vec::new(),
        }
    }

    /// Sets the action of one change unit (`SetResolveActionForChangeUnit`).
    pub fn set_for_unit(&mut self, unit: &[u8], action: ResolveAction) {
        self.units.push((unit.into(), action));
    }

    /// The action for one change unit (`GetResolveActionForChangeUnit`): its own, else the
    /// change's.
    pub fn for_unit(&self, unit: &[u8]) -> ResolveAction {
        self.units
            .iter()
            .rev()
            .find(|(u, _)| **u == *unit)
            .map_or(self.action, |(_, a)| *a)
    }
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
    /// The change units in conflict, for a conflict decided unit by unit (the item is live on
    /// both sides and the destination knows the change of the whole item): the change's other
    /// units were known or applied. Empty for a conflict of the item as a whole.
    pub units: &'a [UnitConflict],
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

    /// Resolves a conflict under [`ConflictPolicy::Manual`] with actions per change unit
    /// (`NF:winsync.IChangeConflict.SetResolveActionForChangeUnit`); the applier calls this
    /// one. By default [`ChangeTarget::resolve`]'s action for the whole change.
    fn resolve_units(&mut self, conflict: &Conflict<'_>) -> Resolution {
        Resolution::new(self.resolve(conflict))
    }

    /// Saves one change unit's data (see [`UnitSave`]), for a change decided unit by unit.
    /// By default refused: a target that does not store change units fails each, so nothing of
    /// them is kept or learned and they come again (a change that creates or replaces the item
    /// whole goes through [`ChangeTarget::save`], units or not).
    ///
    /// # Errors
    /// [`ItemError`] for a unit it cannot save: the unit is counted as failed and not learned
    /// (`NF:winsync.ILoadChangeContext.SetRecoverableErrorOnChangeUnit`).
    fn save_unit(&mut self, save: &UnitSave<'_>) -> Result<(), ItemError> {
        let _ = save;
        Err(ItemError("the target does not store change units".into()))
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
    /// The change unit in conflict (versions above are the unit's); `None` for a conflict of
    /// the item as a whole.
    pub unit: Option<Box<[u8]>>,
}

/// What applying a batch did (`NS:winsync._SYNC_SESSION_STATISTICS` counts applied and failed
/// changes, item changes and change-unit changes both): a change decided unit by unit counts
/// one applied or failed change per unit (a conflict on a unit, one per unit); any other change
/// counts once. `known` counts the changes the destination knew whole.
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
