//! Changes as COM objects: `ISyncChange` (`NN:winsync.ISyncChange`), its change units
//! (`NN:winsync.ISyncChangeUnit`) and their enumerators (`NN:winsync.IEnumSyncChanges`,
//! `NN:winsync.IEnumSyncChangeUnits`). Each is a snapshot of one engine [`ItemChange`] with the
//! knowledge of its group. A merge tombstone is a [`MergeTombstoneObject`], which also answers
//! `ISyncMergeTombstoneChange::GetWinnerItemId`.
//!
//! Versions are in the key space of the change's owner (the source replica): `GetChangeVersion`
//! answers for `pbCurrentReplicaId` equal to the owner, and `E_INVALIDARG` for any other replica
//! (converting into another replica's key space needs that replica's key map, which a change
//! does not have; `NF:winsync.ISyncChange.GetChangeVersion`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use windows_core::{Error, HRESULT, IUnknownImpl, OutRef, Result, implement};
use winsync_engine::batch::{ItemChange, UnitChange};
use winsync_engine::{ForgottenKnowledge, IdFormats, Knowledge, Version};

use crate::bindings::{
    E_INVALIDARG, IEnumSyncChangeUnits, IEnumSyncChangeUnits_Impl, IEnumSyncChanges,
    IEnumSyncChanges_Impl, ISyncChange, ISyncChange_Impl, ISyncChangeUnit, ISyncChangeUnit_Impl,
    ISyncChangeWithPrerequisite, ISyncFullEnumerationChange, ISyncKnowledge,
    ISyncMergeTombstoneChange, ISyncMergeTombstoneChange_Impl, SYNC_VERSION,
};
use crate::framework::knowledge::enumerate::{Cursor, not_null, out_array};
use crate::framework::knowledge::to_com;
use crate::framework::knowledge::wire::{engine, read_id, write_id};
use crate::hresults::{
    SYNC_E_CHANGE_NEEDS_KNOWLEDGE, SYNC_E_INVALID_OPERATION, SYNC_E_ITEM_HAS_CHANGE_UNITS,
    SYNC_E_ITEM_HAS_NO_CHANGE_UNITS,
};

pub(super) use objects::ChangeObject_Impl as ChangeObjectImpl;
pub(super) use objects::MergeTombstoneObject_Impl as MergeTombstoneObjectImpl;
pub use objects::{
    ChangeObject, ChangeUnitObject, ChangeUnitsObject, ChangesObject, MergeTombstoneObject,
};
use objects::{
    ChangeObject_Impl, ChangeUnitObject_Impl, ChangeUnitsObject_Impl, ChangesObject_Impl,
    MergeTombstoneObject_Impl,
};

/// One change and what it needs to answer: the batch's formats and owner, its group's
/// knowledge (none for a change of a group still open).
#[derive(Clone, Debug)]
pub struct ChangeData {
    /// The batch's ID formats.
    pub formats: IdFormats,
    /// The batch's owner: the source replica.
    pub owner: Arc<[u8]>,
    /// The change.
    pub change: ItemChange,
    /// The made-with knowledge of its group; `None` while the group is open.
    pub made_with: Option<Arc<Knowledge>>,
    /// Whether the change is the source provider's (a change of a batch), as opposed to the
    /// destination's own version of an item that a conflict shows: made-with knowledge and
    /// a work estimate mean something only for a source change
    /// (`NF:winsync.ISyncChange.GetMadeWithKnowledge`, `NF:winsync.ISyncChange.SetWorkEstimate`).
    pub from_source: bool,
    /// What the change's batch knows beyond its group: the prerequisite knowledge and, in a
    /// full-enumeration batch, the recovery (`None` for a change made outside a batch, such
    /// as the destination's version in a conflict).
    pub batch: Option<Arc<BatchContext>>,
}

/// What a change of a batch answers through `ISyncChangeWithPrerequisite` and
/// `ISyncFullEnumerationChange`.
#[derive(Clone, Debug)]
pub struct BatchContext {
    /// The batch's prerequisite knowledge: what a destination must know to apply the change
    /// (`NF:winsync.ISyncChangeWithPrerequisite.GetPrerequisiteKnowledge`).
    pub prerequisite: Arc<Knowledge>,
    /// `Some` for a change of a full-enumeration batch (a recovery synchronization,
    /// `NN:winsync.ISyncFullEnumerationChange`).
    pub recovery: Option<Recovery>,
}

/// What a change of a full-enumeration batch knows of the recovery synchronization it is part
/// of.
#[derive(Clone, Debug)]
pub struct Recovery {
    /// The source's forgotten knowledge, when it forgot anything
    /// (`NF:winsync.ISyncFullEnumerationChange.GetLearnedForgottenKnowledge`).
    pub source_forgotten: Option<Arc<ForgottenKnowledge>>,
}

impl BatchContext {
    /// The context of the changes of `batch`.
    pub fn of(batch: &winsync_engine::batch::ChangeBatch) -> Arc<Self> {
        Arc::new(Self {
            prerequisite: batch.prerequisite().clone(),
            recovery: batch.is_full_enumeration().then(|| Recovery {
                source_forgotten: batch.source_forgotten().cloned(),
            }),
        })
    }
}

mod objects {
    use super::{
        Arc, AtomicU32, ChangeData, Cursor, IEnumSyncChangeUnits, IEnumSyncChanges, ISyncChange,
        ISyncChangeUnit, ISyncChangeWithPrerequisite, ISyncFullEnumerationChange,
        ISyncMergeTombstoneChange, UnitChange, implement,
    };

    /// A change (`ISyncChange`, with `ISyncChangeWithPrerequisite` and
    /// `ISyncFullEnumerationChange`: [`crate::framework::batch::prerequisite`]).
    #[implement(ISyncChange, ISyncChangeWithPrerequisite, ISyncFullEnumerationChange)]
    pub struct ChangeObject {
        pub(super) data: Arc<ChangeData>,
        pub(super) work: AtomicU32,
    }

    /// A merge tombstone (`ISyncChangeBatch2::AddMergeTombstoneMetadataToGroup`): a change
    /// with `ISyncMergeTombstoneChange` besides the interfaces of [`ChangeObject`]; only merge
    /// tombstones answer `QueryInterface` for it (`header:winsync.h`).
    #[implement(
        ISyncChange,
        ISyncChangeWithPrerequisite,
        ISyncFullEnumerationChange,
        ISyncMergeTombstoneChange
    )]
    pub struct MergeTombstoneObject {
        pub(super) data: Arc<ChangeData>,
        pub(super) work: AtomicU32,
    }

    /// A change unit of a change (`ISyncChangeUnit`).
    #[implement(ISyncChangeUnit)]
    pub struct ChangeUnitObject {
        pub(super) change: ISyncChange,
        pub(super) data: Arc<ChangeData>,
        pub(super) unit: UnitChange,
    }

    /// The changes of a batch (`IEnumSyncChanges`).
    #[implement(IEnumSyncChanges)]
    pub struct ChangesObject {
        pub(super) cursor: Cursor<Arc<ChangeData>>,
    }

    /// The change units of a change (`IEnumSyncChangeUnits`).
    #[implement(IEnumSyncChangeUnits)]
    pub struct ChangeUnitsObject {
        pub(super) change: ISyncChange,
        pub(super) data: Arc<ChangeData>,
        pub(super) cursor: Cursor<UnitChange>,
    }
}

/// `data` as `ISyncChange`: a [`MergeTombstoneObject`] for a merge tombstone, else a
/// [`ChangeObject`].
pub fn change(data: Arc<ChangeData>) -> ISyncChange {
    let work = AtomicU32::new(data.change.work);
    if data.change.winner.is_some() {
        MergeTombstoneObject { data, work }.into()
    } else {
        ChangeObject { data, work }.into()
    }
}

/// Changes as `IEnumSyncChanges`.
pub fn changes(items: Vec<Arc<ChangeData>>) -> IEnumSyncChanges {
    ChangesObject {
        cursor: Cursor::new(items.into()),
    }
    .into()
}

/// The version of a change for `replica`: the owner's key space only.
fn version_for(
    data: &ChangeData,
    replica: *const u8,
    version: Version,
    out: *mut SYNC_VERSION,
) -> Result<()> {
    not_null(out)?;
    // SAFETY: the COM caller's contract: an ID of the replica format.
    let replica = unsafe { read_id(replica, &data.formats.replica, "replica ID") }?;
    if replica != &*data.owner {
        return Err(Error::new(
            E_INVALIDARG,
            "the version is in the owner's key space: pbCurrentReplicaId must be the change's owner",
        ));
    }
    // SAFETY: checked not null.
    unsafe {
        out.write(SYNC_VERSION {
            dwLastUpdatingReplicaKey: version.replica_key,
            ullTickCount: version.tick,
        });
    }
    Ok(())
}

fn size_of_out<'a>(size: *mut u32) -> Result<&'a mut u32> {
    // SAFETY: the COM caller's contract: null or writable for the call.
    unsafe { size.as_mut() }.ok_or_else(crate::com::abi::null_pointer)
}

/// `ISyncChange_Impl`, and the accessors the other interfaces use, for a change object type
/// with `data` and `work` fields.
macro_rules! change_impl {
    ($object:ident) => {
        impl ISyncChange_Impl for $object {
            fn GetOwnerReplicaId(&self, buffer: *mut u8, size: *mut u32) -> Result<()> {
                // SAFETY: the pcb pattern, the COM caller's contract.
                unsafe {
                    write_id(
                        buffer,
                        size_of_out(size)?,
                        &self.data.formats.replica,
                        &self.data.owner,
                    )
                }
            }

            fn GetRootItemId(&self, buffer: *mut u8, size: *mut u32) -> Result<()> {
                // SAFETY: as above.
                unsafe {
                    write_id(
                        buffer,
                        size_of_out(size)?,
                        &self.data.formats.item,
                        &self.data.change.item,
                    )
                }
            }

            fn GetChangeVersion(&self, replica: *const u8, version: *mut SYNC_VERSION) -> Result<()> {
                if !self.data.change.units.is_empty() {
                    return Err(Error::new(
                        SYNC_E_ITEM_HAS_CHANGE_UNITS,
                        "the change is described by its change units (GetChangeUnits)",
                    ));
                }
                version_for(
                    &self.data,
                    replica,
                    self.data.change.change_version,
                    version,
                )
            }

            fn GetCreationVersion(&self, replica: *const u8, version: *mut SYNC_VERSION) -> Result<()> {
                version_for(
                    &self.data,
                    replica,
                    self.data.change.creation_version,
                    version,
                )
            }

            fn GetFlags(&self, flags: *mut u32) -> Result<()> {
                not_null(flags)?;
                // SAFETY: checked not null.
                unsafe { flags.write(self.data.change.flags.0) };
                Ok(())
            }

            fn GetWorkEstimate(&self, work: *mut u32) -> Result<()> {
                not_null(work)?;
                // SAFETY: checked not null.
                unsafe { work.write(self.work.load(Ordering::Relaxed)) };
                Ok(())
            }

            fn GetChangeUnits(&self) -> Result<IEnumSyncChangeUnits> {
                if self.data.change.units.is_empty() {
                    return Err(Error::new(
                        SYNC_E_ITEM_HAS_NO_CHANGE_UNITS,
                        "the change has no change units",
                    ));
                }
                let units: Arc<[UnitChange]> = self.data.change.units.clone().into();
                Ok(ChangeUnitsObject {
                    change: self.to_interface(),
                    data: self.data.clone(),
                    cursor: Cursor::new(units),
                }
                .into())
            }

            fn GetMadeWithKnowledge(&self) -> Result<ISyncKnowledge> {
                let made_with = self.made_with()?;
                Ok(to_com((**made_with).clone()))
            }

            fn GetLearnedKnowledge(&self) -> Result<ISyncKnowledge> {
                let made_with = self.made_with()?;
                Ok(to_com(engine(
                    self.data.change.learned_knowledge(made_with),
                )?))
            }

            fn SetWorkEstimate(&self, work: u32) -> Result<()> {
                if !self.data.from_source {
                    return Err(Error::new(
                        SYNC_E_INVALID_OPERATION,
                        "a work estimate is part of the work of a batch or session: only a source change has one (rule sync-change.set-work-estimate.source-only)",
                    ));
                }
                self.work.store(work, Ordering::Relaxed);
                Ok(())
            }
        }

        impl $object {
            /// The change's data.
            pub(super) fn data(&self) -> &ChangeData {
                &self.data
            }

            /// The made-with knowledge of a source change whose group was ended.
            pub(super) fn made_with(&self) -> Result<&Arc<Knowledge>> {
                if !self.data.from_source {
                    return Err(Error::new(
                        SYNC_E_CHANGE_NEEDS_KNOWLEDGE,
                        "the destination's version of an item has no made-with knowledge: it means something only for a source change (rule sync-change.get-made-with-knowledge.source-only)",
                    ));
                }
                self.data.made_with.as_ref().ok_or_else(needs_knowledge)
            }
        }
    };
}

change_impl!(ChangeObject_Impl);
change_impl!(MergeTombstoneObject_Impl);

impl ISyncMergeTombstoneChange_Impl for MergeTombstoneObject_Impl {
    fn GetWinnerItemId(&self, buffer: *mut u8, size: *mut u32) -> Result<()> {
        let Some(winner) = &self.data.change.winner else {
            // Only a merge tombstone is made as this object (see `change`).
            return Err(Error::new(
                SYNC_E_INVALID_OPERATION,
                "not a merge tombstone",
            ));
        };
        // SAFETY: the pcb pattern, the COM caller's contract.
        unsafe { write_id(buffer, size_of_out(size)?, &self.data.formats.item, winner) }
    }
}

fn needs_knowledge() -> Error {
    Error::new(
        SYNC_E_CHANGE_NEEDS_KNOWLEDGE,
        "the change's group was not ended: it has no knowledge yet",
    )
}

impl ISyncChangeUnit_Impl for ChangeUnitObject_Impl {
    fn GetItemChange(&self) -> Result<ISyncChange> {
        Ok(self.change.clone())
    }

    fn GetChangeUnitId(&self, buffer: *mut u8, size: *mut u32) -> Result<()> {
        // SAFETY: the pcb pattern, the COM caller's contract.
        unsafe {
            write_id(
                buffer,
                size_of_out(size)?,
                &self.data.formats.change_unit,
                &self.unit.unit,
            )
        }
    }

    fn GetChangeUnitVersion(&self, replica: *const u8, version: *mut SYNC_VERSION) -> Result<()> {
        version_for(&self.data, replica, self.unit.version, version)
    }
}

impl IEnumSyncChanges_Impl for ChangesObject_Impl {
    fn Next(&self, count: u32, array: OutRef<ISyncChange>, fetched: *mut u32) -> HRESULT {
        // The page: only one change at a time (`NF:winsync.IEnumSyncChanges.Next`).
        if count != 1 {
            return Error::new(
                E_INVALIDARG,
                "IEnumSyncChanges::Next hands out one change at a time",
            )
            .code();
        }
        // SAFETY: the COM caller's contract: an array of `count` pointers (NULLed by the shim).
        unsafe {
            self.cursor.next(count, out_array!(array), fetched, |data| {
                change(data.clone())
            })
        }
    }

    fn Skip(&self, _count: u32) -> Result<()> {
        // The page: not implemented (`NF:winsync.IEnumSyncChanges.Skip`).
        Err(crate::com::abi::not_implemented())
    }

    fn Reset(&self) -> Result<()> {
        self.cursor.reset();
        Ok(())
    }

    fn Clone(&self) -> Result<IEnumSyncChanges> {
        // The page: not implemented (`NF:winsync.IEnumSyncChanges.Clone`).
        Err(crate::com::abi::not_implemented())
    }
}

impl IEnumSyncChangeUnits_Impl for ChangeUnitsObject_Impl {
    fn Next(&self, count: u32, array: OutRef<ISyncChangeUnit>, fetched: *mut u32) -> HRESULT {
        if count != 1 {
            return Error::new(
                E_INVALIDARG,
                "IEnumSyncChangeUnits::Next hands out one change unit at a time",
            )
            .code();
        }
        // SAFETY: as above.
        unsafe {
            self.cursor.next(count, out_array!(array), fetched, |unit| {
                ISyncChangeUnit::from(ChangeUnitObject {
                    change: self.change.clone(),
                    data: self.data.clone(),
                    unit: unit.clone(),
                })
            })
        }
    }

    fn Skip(&self, _count: u32) -> Result<()> {
        // The page: not implemented (`NF:winsync.IEnumSyncChangeUnits.Skip`).
        Err(crate::com::abi::not_implemented())
    }

    fn Reset(&self) -> Result<()> {
        self.cursor.reset();
        Ok(())
    }

    fn Clone(&self) -> Result<IEnumSyncChangeUnits> {
        // The page: not implemented (`NF:winsync.IEnumSyncChangeUnits.Clone`).
        Err(crate::com::abi::not_implemented())
    }
}
