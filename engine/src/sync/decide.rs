//! The decision for one change of a batch at a destination (see the module docs of
//! [`super::apply`]): known, apply (perhaps reissued under a local version), or conflict, with
//! the change's versions converted into the destination's key space.

use super::replica::{ItemMetadata, Replica};
use super::target::SaveKind;
use crate::batch::ItemChange;
use crate::error::{Error, Result};
use crate::forgotten::ForgottenKnowledge;
use crate::knowledge::Knowledge;
use crate::replica::ReplicaKey;
use crate::vector::Version;

/// The conversion of one group's versions into the destination's key space.
pub(super) struct GroupKeys {
    pub(super) table: Vec<ReplicaKey>,
    pub(super) made_with: Knowledge,
    /// `made_with` contains the destination's whole forgotten knowledge (so every item's
    /// projection of it).
    pub(super) covers_forgotten: bool,
}

impl GroupKeys {
    pub(super) fn version(&self, v: Version) -> Result<Version> {
        let key = usize::try_from(v.replica_key)
            .ok()
            .and_then(|k| self.table.get(k))
            .ok_or_else(|| {
                Error::ReplicaNotFound(format!(
                    "key {} of the change's owner's key map",
                    v.replica_key
                ))
            })?;
        Ok(Version::new(*key, v.tick))
    }
}

/// What to do with one change, decided before anything is changed.
pub(super) enum Step {
    /// `reissue`: stored under a new local version (see [`decide_unheld`]).
    Apply {
        kind: SaveKind,
        version: Version,
        creation: Version,
        deleted: bool,
        reissue: bool,
    },
    /// `forgotten`: the destination deleted the item and forgot its tombstone.
    Conflict {
        version: Version,
        creation: Version,
        forgotten: bool,
    },
}

/// The decision for a change of an item this replica holds no version of (see the module
/// docs): `knowledge` and `forgotten` are the replica's.
pub(super) fn decide_unheld(
    knowledge: &Knowledge,
    forgotten: &ForgottenKnowledge,
    keys: &GroupKeys,
    change: &ItemChange,
    version: Version,
    creation: Version,
) -> Result<Step> {
    let deleted = change.flags.deleted();
    // It may have been here and been deleted, its tombstone forgotten: the change supersedes
    // whatever was forgotten of the item only if its made-with knowledge contains what this
    // replica forgot of it.
    let covers_forgotten = keys.covers_forgotten || {
        let forgotten = forgotten.knowledge().project_onto_item(&change.item)?;
        keys.made_with.contains_knowledge(&forgotten)?
    };
    if !covers_forgotten && !deleted && knowledge.contains_change(&change.item, creation)? {
        // The item (this lifecycle of it) was here and is gone: deleted here, or by a full
        // enumeration, and the source did not know that deletion. (Forgotten knowledge
        // over-approximates the deletion's version, so this may report a conflict where the
        // source did know it.)
        return Ok(Step::Conflict {
            version,
            creation,
            forgotten: true,
        });
    }
    let kind = if deleted {
        SaveKind::Delete
    } else {
        SaveKind::Create
    };
    Ok(Step::Apply {
        kind,
        version,
        creation,
        deleted,
        // A deletion over forgotten deletions, or a lifecycle this replica never saw (an item
        // ID created again, or created independently elsewhere), while a forgotten deletion
        // of the ID may be unknown to the source: applied without a conflict, but under a new
        // local version made with this replica's knowledge, so that it supersedes the
        // forgotten versions wherever it travels. Stored under the source's version, it would
        // travel with knowledge of versions it never saw and overwrite them without a
        // conflict.
        reissue: !covers_forgotten,
    })
}

/// The decision for a change of an item this replica holds a version of, taken whole: the
/// change supersedes it when its made-with knowledge contains it (the item's change version,
/// and each change unit's record for that unit), else the two are concurrent.
pub(super) fn decide_held(
    keys: &GroupKeys,
    change: &ItemChange,
    local: &ItemMetadata,
    version: Version,
    creation: Version,
) -> Result<Step> {
    let deleted = change.flags.deleted();
    let mut supersedes = keys
        .made_with
        .contains_change(&change.item, local.change_version())?;
    for unit in local.units() {
        supersedes = supersedes
            && keys
                .made_with
                .contains_change_unit(&change.item, &unit.unit, unit.version)?;
    }
    if supersedes {
        let kind = match (deleted, local.deleted()) {
            (true, _) => SaveKind::Delete,
            (false, true) => SaveKind::Create,
            (false, false) => SaveKind::Update,
        };
        return Ok(Step::Apply {
            kind,
            version,
            creation,
            deleted,
            reissue: false,
        });
    }
    Ok(Step::Conflict {
        version,
        creation,
        forgotten: false,
    })
}

impl Replica {
    /// The translation of `made_with`'s keys into this replica's key map (extended with the
    /// replicas it lacks) and `made_with` in this key space.
    pub(super) fn group_keys(&mut self, made_with: &Knowledge) -> Result<GroupKeys> {
        let table = made_with
            .key_map()
            .iter()
            .map(|(_, id)| self.knowledge.find_or_add_replica(id))
            .collect::<Result<Vec<_>>>()?;
        let made_with = self.knowledge.map_remote_to_local(made_with)?;
        let covers_forgotten = made_with.contains_knowledge(self.forgotten.knowledge())?;
        Ok(GroupKeys {
            table,
            made_with,
            covers_forgotten,
        })
    }

    /// The change's versions in this replica's key space, after the check every change must
    /// pass before anything is applied: its version is in its made-with knowledge.
    pub(super) fn check(keys: &GroupKeys, change: &ItemChange) -> Result<(Version, Version)> {
        let version = keys.version(change.change_version)?;
        let creation = keys.version(change.creation_version)?;
        // A change the source claims must be in the knowledge it was made with.
        if !keys.made_with.contains_change(&change.item, version)? {
            return Err(Error::ChangeNotInKnowledge(format!(
                "version ({}, {}) of an item",
                change.change_version.replica_key, change.change_version.tick
            )));
        }
        // And each change unit's version in it, for that unit.
        for unit in &change.units {
            let v = keys.version(unit.version)?;
            if !keys
                .made_with
                .contains_change_unit(&change.item, &unit.unit, v)?
            {
                return Err(Error::ChangeNotInKnowledge(format!(
                    "version ({}, {}) of a change unit",
                    unit.version.replica_key, unit.version.tick
                )));
            }
        }
        Ok((version, creation))
    }
}
