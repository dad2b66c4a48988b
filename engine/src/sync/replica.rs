//! A replica's synchronization metadata: its knowledge, its forgotten knowledge, and a version
//! record per item (`NS:winsync._SYNC_VERSION`), kept in item-ID order. Item data stays with the
//! provider; the metadata is what enumeration ([`super::enumerate`]) and change application
//! ([`super::apply`]) need.
//!
//! Versions are tracked per item and per change unit (`NN:winsync.ISyncChangeUnit`): an item's
//! `change_version` is the version of its last change as a whole (its creation, a whole-item
//! update, its deletion, a whole-item conflict resolution), and each change unit changed since
//! has a version of its own ([`ItemMetadata::units`], recorded by [`Replica::update_unit`] or
//! received). A change unit without a record of its own has the item's change version. An item
//! with no unit record is an item without change units and behaves as one: a change of the
//! whole item. A change of the whole item (and a deletion: a tombstone has no change units,
//! `NF:winsync.ISyncChangeBuilder.AddChangeUnitMetadata`) supersedes the unit records, which
//! are dropped.

use crate::item_map::ItemMap;

use crate::error::{Error, Result};
use crate::forgotten::ForgottenKnowledge;
use crate::id::IdFormats;
use crate::knowledge::Knowledge;
use crate::vector::Version;

/// One change unit's record: its ID and the version of its last change, in the replica's key
/// space (`NF:winsync.ISyncChangeUnit.GetChangeUnitVersion`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitMetadata {
    /// The change unit's ID (of the change-unit format of [`IdFormats`]).
    pub unit: Box<[u8]>,
    /// The version of its last change.
    pub version: Version,
}

/// An item's unit records, in change-unit ID order; behind one thin pointer, so that an item
/// without change units pays 8 bytes of its map entry for them, bytes the flattened versions
/// of [`ItemMetadata`] save (the `sync` bench's replica of 100,000 items without units: 104
/// bytes per item, as before change units).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct UnitTable(pub(crate) Vec<UnitMetadata>);

/// What a replica records for one item, versions in the replica's own key space.
///
/// The two versions are stored as their parts (two keys, then two ticks) so that an entry of
/// the item map is 40 bytes with the unit records' pointer, as it was without it (a
/// [`Version`] alone is 16 bytes, 4 of them padding); read them with
/// [`ItemMetadata::creation_version`] and [`ItemMetadata::change_version`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemMetadata {
    creation_key: u32,
    change_key: u32,
    creation_tick: u64,
    change_tick: u64,
    deleted: bool,
    /// The change units changed since the change of the whole item (see the module docs);
    /// `None` when there is none.
    pub(crate) units: Option<Box<UnitTable>>,
}

impl ItemMetadata {
    /// Metadata without unit records.
    pub(crate) fn whole(creation_version: Version, change_version: Version, deleted: bool) -> Self {
        Self {
            creation_key: creation_version.replica_key,
            change_key: change_version.replica_key,
            creation_tick: creation_version.tick,
            change_tick: change_version.tick,
            deleted,
            units: None,
        }
    }

    /// The version that created the item.
    #[inline]
    pub fn creation_version(&self) -> Version {
        Version::new(self.creation_key, self.creation_tick)
    }

    /// The version of the last change to the item as a whole (its deletion for a tombstone).
    #[inline]
    pub fn change_version(&self) -> Version {
        Version::new(self.change_key, self.change_tick)
    }

    /// Whether the item is a tombstone.
    #[inline]
    pub fn deleted(&self) -> bool {
        self.deleted
    }

    /// Sets the version of the last change to the item as a whole.
    #[inline]
    pub(crate) fn set_change_version(&mut self, version: Version) {
        self.change_key = version.replica_key;
        self.change_tick = version.tick;
    }

    /// The change units changed since the change of the whole item, with their versions, in
    /// change-unit ID order; empty for an item without change units (and for a tombstone).
    pub fn units(&self) -> &[UnitMetadata] {
        self.units.as_deref().map_or(&[], |t| &t.0)
    }

    /// The version of one change unit: its own record's, else the item's change version.
    pub fn unit_version(&self, unit: &[u8]) -> Version {
        self.unit_record(unit)
            .map_or(self.change_version(), |u| u.version)
    }

    fn unit_record(&self, unit: &[u8]) -> Option<&UnitMetadata> {
        let units = self.units();
        units
            .binary_search_by(|u| (*u.unit).cmp(unit))
            .ok()
            .map(|i| &units[i])
    }

    /// Sets one change unit's version (adding its record when it has none).
    pub(crate) fn set_unit(&mut self, unit: &[u8], version: Version) {
        let table = &mut self
            .units
            .get_or_insert_with(|| Box::new(UnitTable(Vec::new())))
            .0;
        match table.binary_search_by(|u| (*u.unit).cmp(unit)) {
            Ok(i) => table[i].version = version,
            Err(i) => table.insert(
                i,
                UnitMetadata {
                    unit: unit.into(),
                    version,
                },
            ),
        }
    }

    /// Replaces the unit records (none when `units` is empty).
    pub(crate) fn set_units(&mut self, units: Vec<UnitMetadata>) {
        let mut units = units;
        units.sort_by(|a, b| a.unit.cmp(&b.unit));
        self.units = (!units.is_empty()).then(|| Box::new(UnitTable(units)));
    }
}

/// A replica's metadata: knowledge, forgotten knowledge and item versions.
#[derive(Clone, Debug)]
pub struct Replica {
    pub(crate) knowledge: Knowledge,
    pub(crate) forgotten: ForgottenKnowledge,
    pub(crate) items: ItemMap<ItemMetadata>,
}

impl Replica {
    /// A replica `id` that knows nothing and holds no item.
    ///
    /// # Errors
    /// As [`Knowledge::new`].
    pub fn new(formats: IdFormats, id: &[u8]) -> Result<Self> {
        let knowledge = Knowledge::new(formats, id)?;
        Ok(Self {
            forgotten: ForgottenKnowledge::new(&knowledge),
            knowledge,
            items: ItemMap::default(),
        })
    }

    /// The replica's ID.
    pub fn id(&self) -> &[u8] {
        self.knowledge.owner()
    }

    /// The ID formats.
    pub fn formats(&self) -> &IdFormats {
        self.knowledge.formats()
    }

    /// The replica's knowledge.
    pub fn knowledge(&self) -> &Knowledge {
        &self.knowledge
    }

    /// The replica's forgotten knowledge (what tombstone cleanup forgot).
    pub fn forgotten(&self) -> &ForgottenKnowledge {
        &self.forgotten
    }

    /// Every item's metadata `(ID, metadata)`, tombstones included, in ID order.
    pub fn items(
        &self,
    ) -> impl DoubleEndedIterator<Item = (&[u8], &ItemMetadata)> + ExactSizeIterator {
        self.items.iter()
    }

    /// One item's metadata.
    pub fn item(&self, id: &[u8]) -> Option<&ItemMetadata> {
        self.items.get(id)
    }

    /// Records a local creation of `item` (a new item, or one whose tombstone is kept): its
    /// creation and change versions are the replica's next tick.
    ///
    /// # Errors
    /// [`Error::IdFormatMismatch`]; [`Error::InvalidArgument`] for an item that exists.
    pub fn create(&mut self, item: &[u8]) -> Result<Version> {
        self.formats().check_item(item)?;
        if self.items.get(item).is_some_and(|m| !m.deleted) {
            return Err(Error::InvalidArgument("the item exists".into()));
        }
        let version = self.knowledge.record_local_change()?;
        self.items
            .insert(item, ItemMetadata::whole(version, version, false));
        Ok(version)
    }

    fn live_mut(&mut self, item: &[u8]) -> Result<&mut ItemMetadata> {
        self.items
            .get_mut(item)
            .filter(|m| !m.deleted)
            .ok_or_else(|| Error::InvalidArgument("no such item".into()))
    }

    /// Records a local change of the whole item; returns its version. It supersedes every
    /// change unit's change: the unit records are dropped (see the module docs).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an item that does not exist or is deleted.
    pub fn update(&mut self, item: &[u8]) -> Result<Version> {
        self.live_mut(item)?;
        let version = self.knowledge.record_local_change()?;
        let meta = self.live_mut(item)?;
        meta.set_change_version(version);
        meta.units = None;
        Ok(version)
    }

    /// Records a local change of one change unit of `item` (`NN:winsync.ISyncChangeUnit`):
    /// the unit's version is the replica's next tick; the item's other change units and its
    /// change version are untouched. The first unit change of an item makes it an item with
    /// change units: it is then enumerated unit by unit
    /// (`NF:winsync.ISyncChangeBuilder.AddChangeUnitMetadata`).
    ///
    /// # Errors
    /// [`Error::IdFormatMismatch`] for a unit ID not of the change-unit format;
    /// [`Error::InvalidArgument`] for an item that does not exist or is deleted (a tombstone
    /// has no change units).
    pub fn update_unit(&mut self, item: &[u8], unit: &[u8]) -> Result<Version> {
        self.formats().check_change_unit(unit)?;
        self.live_mut(item)?;
        let version = self.knowledge.record_local_change()?;
        self.live_mut(item)?.set_unit(unit, version);
        Ok(version)
    }

    /// Records a local deletion: the item becomes a tombstone with a new version, without
    /// change units.
    ///
    /// # Errors
    /// As [`Replica::update`].
    pub fn delete(&mut self, item: &[u8]) -> Result<Version> {
        self.live_mut(item)?;
        let version = self.knowledge.record_local_change()?;
        let meta = self.live_mut(item)?;
        meta.set_change_version(version);
        meta.deleted = true;
        meta.units = None;
        Ok(version)
    }

    /// Removes the tombstones `forget` selects, recording each one's version in the forgotten
    /// knowledge (`NF:winsync.IForgottenKnowledge.ForgetToVersion`); returns the items removed.
    /// A tombstone whose version the replica's knowledge does not hold for every item is kept:
    /// forgetting it would make the forgotten knowledge know more than the replica
    /// (`SYNC_E_FORGOTTEN_KNOWLEDGE_NOT_CONTAINED`); it can go once the replica has learned
    /// that version everywhere.
    ///
    /// # Errors
    /// What forgetting a version refuses other than that (never for versions of this
    /// replica's metadata).
    pub fn cleanup_tombstones(
        &mut self,
        mut forget: impl FnMut(&[u8], &ItemMetadata) -> bool,
    ) -> Result<Vec<Box<[u8]>>> {
        let candidates: Vec<Box<[u8]>> = self
            .items
            .iter()
            .filter(|(id, meta)| meta.deleted && forget(id, meta))
            .map(|(id, _)| Box::from(id))
            .collect();
        let mut removed = Vec::with_capacity(candidates.len());
        for id in candidates {
            let Some(meta) = self.items.get(&id) else {
                continue;
            };
            match self
                .forgotten
                .forget_to_version(&self.knowledge, meta.change_version())
            {
                Ok(()) => {
                    self.items.remove(&id);
                    removed.push(id);
                }
                Err(Error::ForgottenNotContained) => {}
                Err(error) => return Err(error),
            }
        }
        Ok(removed)
    }
}
