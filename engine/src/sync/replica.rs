//! A replica's synchronization metadata: its knowledge, its forgotten knowledge, and a version
//! record per item (`NS:winsync._SYNC_VERSION`), kept in item-ID order. Item data stays with the
//! provider; the metadata is what enumeration ([`super::enumerate`]) and change application
//! ([`super::apply`]) need.
//!
//! Versions are tracked per item: a change is a change of the whole item. (Batches carry
//! change units, [`crate::batch::UnitChange`]; tracking them in the replica is not done yet.)

use super::item_map::ItemMap;

use super::item_key::ItemKey;
use crate::error::{Error, Result};
use crate::forgotten::ForgottenKnowledge;
use crate::id::IdFormats;
use crate::knowledge::Knowledge;
use crate::vector::Version;

/// What a replica records for one item, versions in the replica's own key space.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemMetadata {
    /// The version that created the item.
    pub creation_version: Version,
    /// The version of the last change to the item as a whole (its deletion for a tombstone).
    pub change_version: Version,
    /// Whether the item is a tombstone.
    pub deleted: bool,
}

/// A replica's metadata: knowledge, forgotten knowledge and item versions.
#[derive(Clone, Debug)]
pub struct Replica {
    pub(crate) knowledge: Knowledge,
    pub(crate) forgotten: ForgottenKnowledge,
    pub(crate) items: ItemMap,
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
        self.items.iter().map(|(id, meta)| (id.bytes(), meta))
    }

    /// One item's metadata.
    pub fn item(&self, id: &[u8]) -> Option<&ItemMetadata> {
        self.items.get(&ItemKey::new(id))
    }

    /// Records a local creation of `item` (a new item, or one whose tombstone is kept): its
    /// creation and change versions are the replica's next tick.
    ///
    /// # Errors
    /// [`Error::IdFormatMismatch`]; [`Error::InvalidArgument`] for an item that exists.
    pub fn create(&mut self, item: &[u8]) -> Result<Version> {
        self.formats().check_item(item)?;
        let key = ItemKey::new(item);
        if self.items.get(&key).is_some_and(|m| !m.deleted) {
            return Err(Error::InvalidArgument("the item exists".into()));
        }
        let version = self.knowledge.record_local_change()?;
        self.items.insert(
            key,
            ItemMetadata {
                creation_version: version,
                change_version: version,
                deleted: false,
            },
        );
        Ok(version)
    }

    fn live_mut(&mut self, item: &[u8]) -> Result<&mut ItemMetadata> {
        self.items
            .get_mut(&ItemKey::new(item))
            .filter(|m| !m.deleted)
            .ok_or_else(|| Error::InvalidArgument("no such item".into()))
    }

    /// Records a local change of the whole item; returns its version.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an item that does not exist or is deleted.
    pub fn update(&mut self, item: &[u8]) -> Result<Version> {
        self.live_mut(item)?;
        let version = self.knowledge.record_local_change()?;
        let meta = self.live_mut(item)?;
        meta.change_version = version;
        Ok(version)
    }

    /// Records a local deletion: the item becomes a tombstone with a new version.
    ///
    /// # Errors
    /// As [`Replica::update`].
    pub fn delete(&mut self, item: &[u8]) -> Result<Version> {
        self.live_mut(item)?;
        let version = self.knowledge.record_local_change()?;
        let meta = self.live_mut(item)?;
        meta.change_version = version;
        meta.deleted = true;
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
        let candidates: Vec<ItemKey> = self
            .items
            .iter()
            .filter(|(id, meta)| meta.deleted && forget(id.bytes(), meta))
            .map(|(id, _)| id.clone())
            .collect();
        let mut removed = Vec::with_capacity(candidates.len());
        for id in candidates {
            let Some(meta) = self.items.get(&id) else {
                continue;
            };
            match self
                .forgotten
                .forget_to_version(&self.knowledge, meta.change_version)
            {
                Ok(()) => {
                    self.items.remove(&id);
                    removed.push(id.bytes().into());
                }
                Err(Error::ForgottenNotContained) => {}
                Err(error) => return Err(error),
            }
        }
        Ok(removed)
    }
}
