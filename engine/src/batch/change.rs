//! One item change of a batch (`NN:winsync.ISyncChange`) and its change units
//! (`NN:winsync.ISyncChangeUnit`).

use crate::error::{Error, Result};
use crate::id::IdFormats;
use crate::item_id::ItemId;
use crate::vector::Version;

/// `SYNC_CHANGE_FLAG_*` (`NF:winsync.ISyncChange.GetFlags`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ChangeFlags(pub u32);

impl ChangeFlags {
    /// `SYNC_CHANGE_FLAG_DELETED`: the item is a tombstone.
    pub const DELETED: Self = Self(0x1);
    /// `SYNC_CHANGE_FLAG_DOES_NOT_EXIST`: the item does not exist (destination versions only,
    /// never combined).
    pub const DOES_NOT_EXIST: Self = Self(0x2);
    /// `SYNC_CHANGE_FLAG_GHOST`: the item moved out of a filter.
    pub const GHOST: Self = Self(0x4);
    /// No flag: a live item.
    pub const NONE: Self = Self(0);

    /// Whether the item is a tombstone.
    pub fn deleted(self) -> bool {
        self.0 & Self::DELETED.0 != 0
    }

    /// Whether the flags say the item does not exist.
    pub fn does_not_exist(self) -> bool {
        self.0 & Self::DOES_NOT_EXIST.0 != 0
    }

    /// Checks the flags of a change added to a batch: only known bits, and never
    /// `DOES_NOT_EXIST` (`NF:winsync.ISyncChangeBatchBase.AddItemMetadataToGroup`: a bad flag
    /// value is `E_INVALIDARG`).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`].
    pub fn check_for_batch(self) -> Result<()> {
        if self.0 & !(Self::DELETED.0 | Self::GHOST.0) != 0 {
            return Err(Error::InvalidArgument(format!(
                "change flags {:#x}: a batch carries only DELETED and GHOST",
                self.0
            )));
        }
        Ok(())
    }
}

/// A change unit's version in an item change (`NF:winsync.ISyncChangeBuilder.AddChangeUnitMetadata`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitChange {
    /// The change unit's ID.
    pub unit: Box<[u8]>,
    /// Its version, in the batch owner's key space.
    pub version: Version,
}

/// An item change (`NF:winsync.ISyncChangeBatchBase.AddItemMetadataToGroup`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemChange {
    /// The item's ID (inline up to 24 bytes: no allocation per change for the common
    /// formats).
    pub item: ItemId,
    /// The version of the change, in the batch owner's key space.
    pub change_version: Version,
    /// The version that created the item.
    pub creation_version: Version,
    /// `SYNC_CHANGE_FLAG_*`.
    pub flags: ChangeFlags,
    /// The work estimate (`dwWorkForChange`).
    pub work: u32,
    /// Changed change units; empty for a change of the whole item.
    pub units: Vec<UnitChange>,
    /// For a merge tombstone (`ISyncChangeBatch2::AddMergeTombstoneMetadataToGroup`,
    /// `header:winsync.h`): the winning item ID, the item this deleted item was merged into
    /// when a constraint conflict was resolved by merging; `None` for any other change.
    pub winner: Option<Box<[u8]>>,
}

impl ItemChange {
    /// A change of the whole item.
    pub fn new(
        item: &[u8],
        change_version: Version,
        creation_version: Version,
        flags: ChangeFlags,
    ) -> Self {
        Self {
            item: item.into(),
            change_version,
            creation_version,
            flags,
            work: 0,
            units: Vec::new(),
            winner: None,
        }
    }

    /// A merge tombstone: item `item` deleted because it was merged into `winner`.
    pub fn merge_tombstone(
        item: &[u8],
        winner: &[u8],
        change_version: Version,
        creation_version: Version,
    ) -> Self {
        Self {
            winner: Some(winner.into()),
            ..Self::new(item, change_version, creation_version, ChangeFlags::DELETED)
        }
    }

    /// Checks the change against the batch's formats and the flags a batch allows.
    ///
    /// # Errors
    /// [`Error::IdFormatMismatch`]; [`Error::InvalidArgument`].
    pub(crate) fn check(&self, formats: &IdFormats) -> Result<()> {
        formats.check_item(&self.item)?;
        self.flags.check_for_batch()?;
        for unit in &self.units {
            formats.check_change_unit(&unit.unit)?;
        }
        if self.flags.deleted() && !self.units.is_empty() {
            return Err(Error::InvalidArgument(
                "a deleted item has no change units".into(),
            ));
        }
        if let Some(winner) = &self.winner {
            formats.check_item(winner)?;
            // A merge tombstone otherwise carries the metadata of a deleted item's tombstone
            // (`ISyncMergeTombstoneChange`, `header:winsync.h`).
            if !self.flags.deleted() || **winner == *self.item {
                return Err(Error::InvalidArgument(
                    "a merge tombstone is a deleted item merged into another item (its winner)"
                        .into(),
                ));
            }
        }
        Ok(())
    }
}
