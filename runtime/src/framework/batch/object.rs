//! The change batch COM object over an engine [`ChangeBatch`]: `ISyncChangeBatch` (with
//! `ISyncChangeBatchBase`), or `ISyncFullEnumerationChangeBatch` for a full-enumeration batch,
//! and on both `ISyncChangeBatchWithPrerequisite` and `ISyncChangeBatchAdvanced`.
//!
//! The builder methods keep the pages' rules through the engine (one group at a time, ordered
//! items, read-only once handed on, ...); their refusals are the pages' HRESULTs
//! ([`crate::framework::knowledge::wire::engine_error`]). Decisions where the pages leave room:
//! `pbOwnerReplicaId` of `AddItemMetadataToGroup` must be the batch's owner (the replica whose
//! key space the versions are in), else `E_INVALIDARG`; a builder adds change units to its
//! change only while that change is the last one added, else `SYNC_E_INVALID_OPERATION`;
//! `Serialize` and `ISyncChangeBatchBase2::SerializeWithOptions` write the engine's batch format
//! ([`winsync_engine::batch::ChangeBatch::serialize`]; Microsoft's is not published), for any of
//! the known `SYNC_SERIALIZATION_VERSION`s the batch's knowledge can be expressed in;
//! `GetFilterInfo` answers S_FALSE and NULL (no filters);
//! `GetBatchLevelKnowledgeShouldBeApplied` answers TRUE (this runtime's destinations learn a
//! batch's knowledge after the whole batch).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use windows_core::{BOOL, Error, HRESULT, Interface, Ref, Result, implement};
use winsync_engine::batch::{ChangeBatch, ChangeFlags, GroupKind, ItemChange, UnitChange};
use winsync_engine::{ForgottenKnowledge, Knowledge, Version};

use super::change::{BatchContext, ChangeData, changes};
use crate::bindings::{
    E_INVALIDARG, IEnumSyncChanges, IForgottenKnowledge, ISyncChangeBatch, ISyncChangeBatch_Impl,
    ISyncChangeBatchAdvanced, ISyncChangeBatchAdvanced_Impl, ISyncChangeBatchBase,
    ISyncChangeBatchBase_Impl, ISyncChangeBatchBase2, ISyncChangeBatchBase2_Impl,
    ISyncChangeBatchWithPrerequisite, ISyncChangeBatchWithPrerequisite_Impl, ISyncChangeBuilder,
    ISyncChangeBuilder_Impl, ISyncFilterInfo, ISyncFullEnumerationChangeBatch,
    ISyncFullEnumerationChangeBatch_Impl, ISyncKnowledge, S_FALSE, SYNC_SERIALIZATION_VERSION,
    SYNC_VERSION,
};
use crate::com::abi;
use crate::framework::knowledge::enumerate::not_null;
use crate::framework::knowledge::wire::{engine, read_id, write_bytes, write_id};
use crate::framework::knowledge::{self as knowledge, forgotten_to_com, from_com};
use crate::hresults::{
    SYNC_E_BATCH_NEEDS_KNOWLEDGE, SYNC_E_INVALID_OPERATION, SYNC_E_INVALID_VERSION,
};

/// The batch behind one COM object, shared with the builders it hands out. A destination of
/// this runtime that applies it shares the frozen batch too ([`Shared::frozen`]).
pub struct Shared {
    batch: Mutex<Arc<ChangeBatch>>,
}

/// The locked batch: read through `Deref`; a change through `DerefMut` copies it first if a
/// destination holds the frozen batch (which no successful change does: a frozen batch is
/// read-only).
pub struct BatchGuard<'a>(MutexGuard<'a, Arc<ChangeBatch>>);

impl std::ops::Deref for BatchGuard<'_> {
    type Target = ChangeBatch;
    fn deref(&self) -> &ChangeBatch {
        &self.0
    }
}

impl std::ops::DerefMut for BatchGuard<'_> {
    fn deref_mut(&mut self) -> &mut ChangeBatch {
        Arc::make_mut(&mut self.0)
    }
}

impl Shared {
    /// A shared batch.
    pub fn new(batch: ChangeBatch) -> Arc<Self> {
        Arc::new(Self {
            batch: Mutex::new(Arc::new(batch)),
        })
    }

    /// The batch, locked (a panic in another call leaves it consistent: every change is made
    /// by one engine call).
    pub fn lock(&self) -> BatchGuard<'_> {
        BatchGuard(self.batch.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The batch, frozen (read-only from now on), shared without a copy.
    pub fn frozen(&self) -> Arc<ChangeBatch> {
        let mut guard = self.lock();
        if !guard.is_frozen() {
            guard.freeze();
        }
        guard.0.clone()
    }
}

pub use engine_interface::{IEngineBatch, IEngineBatch_Impl};

#[allow(non_snake_case, missing_docs)]
mod engine_interface {
    use windows_core::{HRESULT, IUnknown};

    /// How the runtime recognizes its own batches: a private interface handing out the shared
    /// engine batch, so a destination of this runtime reads a batch of this runtime without
    /// going through its interfaces. Batches from anywhere else are read through them
    /// ([`super::super::foreign`]).
    #[windows_core::interface("8c2f4a7e-51d3-4b69-9e0a-7d14c6b3e258")]
    pub unsafe trait IEngineBatch: IUnknown {
        /// Writes an owned `Arc<Shared>` (from `Arc::into_raw`) to `out` when `layout` is this
        /// build's layout; `E_NOINTERFACE` otherwise.
        fn Batch(&self, layout: u32, out: *mut *const core::ffi::c_void) -> HRESULT;
    }

    /// Calls `Batch` (the method the interface macro makes is private to this module).
    ///
    /// # Safety
    /// `out` is writable.
    pub unsafe fn batch(
        engine: &IEngineBatch,
        layout: u32,
        out: *mut *const core::ffi::c_void,
    ) -> HRESULT {
        // SAFETY: forwarded.
        unsafe { engine.Batch(layout, out) }
    }
}

/// The layout revision of [`IEngineBatch`]'s pointer (see the knowledge objects'
/// `SNAPSHOT_LAYOUT`).
const LAYOUT: u32 = crate::com::layout_revision(0xBA7C);

mod objects {
    use super::{
        Arc, IEngineBatch, ISyncChangeBatch, ISyncChangeBatchAdvanced, ISyncChangeBatchBase,
        ISyncChangeBatchBase2, ISyncChangeBatchWithPrerequisite, ISyncChangeBuilder,
        ISyncFullEnumerationChangeBatch, Shared, implement,
    };

    /// A change batch (`ISyncChangeBatch`).
    #[implement(
        ISyncChangeBatch,
        ISyncChangeBatchBase2,
        ISyncChangeBatchBase,
        ISyncChangeBatchWithPrerequisite,
        ISyncChangeBatchAdvanced,
        IEngineBatch
    )]
    pub struct BatchObject {
        pub(crate) shared: Arc<Shared>,
    }

    /// A full-enumeration change batch (`ISyncFullEnumerationChangeBatch`).
    #[implement(
        ISyncFullEnumerationChangeBatch,
        ISyncChangeBatchBase2,
        ISyncChangeBatchBase,
        ISyncChangeBatchWithPrerequisite,
        ISyncChangeBatchAdvanced,
        IEngineBatch
    )]
    pub struct FullBatchObject {
        pub(crate) shared: Arc<Shared>,
    }

    /// Adds change units to one change (`ISyncChangeBuilder`).
    #[implement(ISyncChangeBuilder)]
    pub struct BuilderObject {
        pub(super) shared: Arc<Shared>,
        /// The change's position in the open group; `None` for a logged conflict.
        pub(super) position: Option<usize>,
    }
}

pub use objects::{BatchObject, BuilderObject, FullBatchObject};
use objects::{BatchObject_Impl, BuilderObject_Impl, FullBatchObject_Impl};

/// `batch` as a COM object: `ISyncChangeBatch`, or (for a full-enumeration batch)
/// `ISyncFullEnumerationChangeBatch`, both as `ISyncChangeBatchBase`.
pub fn to_com(batch: ChangeBatch) -> ISyncChangeBatchBase {
    if batch.is_full_enumeration() {
        let object: ISyncFullEnumerationChangeBatch = FullBatchObject {
            shared: Shared::new(batch),
        }
        .into();
        object.into()
    } else {
        let object: ISyncChangeBatch = BatchObject {
            shared: Shared::new(batch),
        }
        .into();
        object.into()
    }
}

/// The shared batch behind a COM object this runtime made, if it is one.
pub fn shared_of(object: &impl Interface) -> Option<Arc<Shared>> {
    let engine = object.cast::<IEngineBatch>().ok()?;
    let mut raw: *const core::ffi::c_void = core::ptr::null();
    // SAFETY: a live interface; `raw` is writable.
    let hr = unsafe { engine_interface::batch(&engine, LAYOUT, &mut raw) };
    (hr.is_ok() && !raw.is_null()).then(|| {
        // SAFETY: `Batch` handed out one strong count of an `Arc<Shared>` of this build.
        unsafe { Arc::from_raw(raw.cast::<Shared>()) }
    })
}

fn batch_impl(shared: &Arc<Shared>, layout: u32, out: *mut *const core::ffi::c_void) -> HRESULT {
    if out.is_null() {
        return crate::bindings::E_POINTER;
    }
    if layout != LAYOUT {
        return crate::bindings::E_NOINTERFACE;
    }
    // SAFETY: checked not null.
    unsafe { out.write(Arc::into_raw(shared.clone()).cast()) };
    crate::bindings::S_OK
}

/// What every change needs from its batch, and the changes of the closed groups.
pub fn change_data(batch: &ChangeBatch) -> Vec<Arc<ChangeData>> {
    let owner: Arc<[u8]> = batch.owner().into();
    let context = BatchContext::of(batch);
    batch
        .changes()
        .map(|(group, change)| {
            Arc::new(ChangeData {
                formats: *batch.formats(),
                owner: owner.clone(),
                change: change.clone(),
                made_with: Some(group.made_with.clone()),
                from_source: true,
                batch: Some(context.clone()),
            })
        })
        .collect()
}

/// Reads a `SYNC_VERSION` argument.
fn version(v: *const SYNC_VERSION) -> Result<Version> {
    // SAFETY: the COM caller's contract: null or a valid SYNC_VERSION.
    let v = unsafe { v.as_ref() }.ok_or_else(abi::null_pointer)?;
    Ok(Version::new(v.dwLastUpdatingReplicaKey, v.ullTickCount))
}

fn knowledge_arg(batch: &ChangeBatch, knowledge: Ref<ISyncKnowledge>) -> Result<Knowledge> {
    let knowledge = knowledge.ok()?;
    Ok((*from_com(knowledge, Some(batch.formats()))?).clone())
}

fn write_u32(out: *mut u32, value: u32) -> Result<()> {
    not_null(out)?;
    // SAFETY: checked not null.
    unsafe { out.write(value) };
    Ok(())
}

/// The methods both batch objects share, over their `shared` field.
struct Host<'a>(&'a Arc<Shared>);

impl Host<'_> {
    fn change_enumerator(&self) -> Result<IEnumSyncChanges> {
        Ok(changes(change_data(&self.0.lock())))
    }

    fn is_last(&self, out: *mut BOOL) -> Result<()> {
        not_null(out)?;
        // SAFETY: checked not null.
        unsafe { out.write(self.0.lock().is_last_batch().into()) };
        Ok(())
    }

    fn begin_ordered(&self, lower: *const u8) -> Result<()> {
        let mut batch = self.0.lock();
        let lower = if lower.is_null() {
            None
        } else {
            // SAFETY: the COM caller's contract: an item ID.
            Some(unsafe { read_id(lower, &batch.formats().item, "item ID") }?)
        };
        engine(batch.begin_ordered_group(lower))
    }

    fn end_ordered(&self, upper: *const u8, made_with: Ref<ISyncKnowledge>) -> Result<()> {
        let mut batch = self.0.lock();
        let made_with = knowledge_arg(&batch, made_with)?;
        let upper = if upper.is_null() {
            None
        } else {
            // SAFETY: as above.
            Some(unsafe { read_id(upper, &batch.formats().item, "item ID") }?)
        };
        engine(batch.end_ordered_group(upper, &made_with))
    }

    /// Reads an item change of `AddItemMetadataToGroup` / `AddLoggedConflict`.
    fn item_change(
        batch: &ChangeBatch,
        owner: *const u8,
        item: *const u8,
        change_version: *const SYNC_VERSION,
        creation_version: *const SYNC_VERSION,
        flags: u32,
        work: u32,
    ) -> Result<ItemChange> {
        // SAFETY: the COM caller's contract: IDs of the batch's formats.
        let owner = unsafe { read_id(owner, &batch.formats().replica, "replica ID") }?;
        if owner != batch.owner() {
            return Err(Error::new(
                E_INVALIDARG,
                "pbOwnerReplicaId is not the batch's owner: the versions must be in its key space",
            ));
        }
        // SAFETY: as above.
        let item = unsafe { read_id(item, &batch.formats().item, "item ID") }?;
        let mut change = ItemChange::new(
            item,
            version(change_version)?,
            version(creation_version)?,
            ChangeFlags(flags),
        );
        change.work = work;
        Ok(change)
    }

    #[allow(clippy::too_many_arguments)]
    fn add_item(
        &self,
        owner: *const u8,
        item: *const u8,
        change_version: *const SYNC_VERSION,
        creation_version: *const SYNC_VERSION,
        flags: u32,
        work: u32,
    ) -> Result<ISyncChangeBuilder> {
        let mut batch = self.0.lock();
        let change = Self::item_change(
            &batch,
            owner,
            item,
            change_version,
            creation_version,
            flags,
            work,
        )?;
        engine(batch.add_change(change))?;
        let position = batch.open_changes().map(|c| c.len() - 1);
        Ok(BuilderObject {
            shared: self.0.clone(),
            position,
        }
        .into())
    }

    fn learned(&self) -> Result<ISyncKnowledge> {
        Ok(knowledge::to_com(engine(
            self.0.lock().learned_knowledge(),
        )?))
    }

    fn prerequisite(&self) -> Result<ISyncKnowledge> {
        Ok(knowledge::to_com((**self.0.lock().prerequisite()).clone()))
    }

    fn source_forgotten(&self) -> Result<IForgottenKnowledge> {
        let batch = self.0.lock();
        let forgotten = match batch.source_forgotten() {
            Some(forgotten) => (**forgotten).clone(),
            // Nothing forgotten: empty forgotten knowledge of the source.
            None => {
                ForgottenKnowledge::new(&engine(Knowledge::new(*batch.formats(), batch.owner()))?)
            }
        };
        Ok(forgotten_to_com(forgotten))
    }

    /// `Serialize` (`version` `None`) and `SerializeWithOptions`.
    fn serialize(
        &self,
        version: Option<SYNC_SERIALIZATION_VERSION>,
        flags: u32,
        buffer: *mut u8,
        size: *mut u32,
    ) -> Result<()> {
        // SAFETY: the COM caller's contract: null or writable.
        let size = unsafe { size.as_mut() }.ok_or_else(abi::null_pointer)?;
        if flags != 0 {
            return Err(Error::new(
                E_INVALIDARG,
                "dwFlags is reserved and must be 0",
            ));
        }
        let batch = self.0.lock();
        if let Some(version) = version {
            let version = u32::try_from(version).unwrap_or(u32::MAX);
            let known = [
                winsync_engine::SERIALIZATION_V1,
                winsync_engine::SERIALIZATION_V2,
                winsync_engine::SERIALIZATION_V3,
            ];
            // The lowest version every knowledge of the batch can be expressed in.
            let needed = batch
                .groups()
                .iter()
                .map(|g| g.made_with.minimum_version())
                .chain(std::iter::once(batch.prerequisite().minimum_version()))
                .max()
                .unwrap_or(winsync_engine::SERIALIZATION_V1);
            if !known.contains(&version) || version < needed {
                return Err(Error::new(
                    SYNC_E_INVALID_VERSION,
                    format!("the batch cannot be written for SYNC_SERIALIZATION_VERSION {version}"),
                ));
            }
        }
        let bytes = engine(batch.serialize())?;
        // SAFETY: the pcb pattern, the COM caller's contract.
        unsafe { write_bytes(buffer, size, &bytes) }
    }

    fn upper_bound(&self, buffer: *mut u8, size: *mut u32) -> Result<()> {
        // SAFETY: the COM caller's contract: null or writable.
        let size = unsafe { size.as_mut() }.ok_or_else(abi::null_pointer)?;
        let batch = self.0.lock();
        let format = batch.formats().item;
        let mut highest: Option<Box<[u8]>> = None;
        for group in batch.groups() {
            let bound = match &group.kind {
                GroupKind::Ordered { upper, .. } => {
                    upper.clone().unwrap_or_else(|| format.max_id())
                }
                GroupKind::Unordered {
                    all_changes_for_knowledge: true,
                } => format.max_id(),
                GroupKind::Unordered { .. } => {
                    match group.changes.iter().map(|c| c.item.clone()).max() {
                        Some(item) => item,
                        None => continue,
                    }
                }
            };
            if highest.as_ref().is_none_or(|h| bound > *h) {
                highest = Some(bound);
            }
        }
        let highest = highest
            .ok_or_else(|| Error::new(SYNC_E_INVALID_OPERATION, "no group covers any item"))?;
        // SAFETY: the pcb pattern.
        unsafe { write_id(buffer, size, &format, &highest) }
    }
}

/// `ISyncChangeBatchBase_Impl`, `ISyncChangeBatchWithPrerequisite_Impl`,
/// `ISyncChangeBatchAdvanced_Impl` and `IEngineBatch_Impl` for a batch object type.
macro_rules! batch_impl {
    ($object:ident) => {
        impl ISyncChangeBatchBase_Impl for $object {
            fn GetChangeEnumerator(&self) -> Result<IEnumSyncChanges> {
                abi::guard(|| Host(&self.shared).change_enumerator())
            }
            fn GetIsLastBatch(&self, last: *mut BOOL) -> Result<()> {
                Host(&self.shared).is_last(last)
            }
            fn GetWorkEstimateForBatch(&self, work: *mut u32) -> Result<()> {
                write_u32(work, self.shared.lock().work_for_batch())
            }
            fn GetRemainingWorkEstimateForSession(&self, work: *mut u32) -> Result<()> {
                write_u32(work, self.shared.lock().remaining_work())
            }
            fn BeginOrderedGroup(&self, lower: *const u8) -> Result<()> {
                abi::guard(|| Host(&self.shared).begin_ordered(lower))
            }
            fn EndOrderedGroup(
                &self,
                upper: *const u8,
                made_with: Ref<ISyncKnowledge>,
            ) -> Result<()> {
                abi::guard(|| Host(&self.shared).end_ordered(upper, made_with))
            }
            fn AddItemMetadataToGroup(
                &self,
                owner: *const u8,
                item: *const u8,
                change_version: *const SYNC_VERSION,
                creation_version: *const SYNC_VERSION,
                flags: u32,
                work: u32,
            ) -> Result<ISyncChangeBuilder> {
                abi::guard(|| {
                    Host(&self.shared).add_item(
                        owner,
                        item,
                        change_version,
                        creation_version,
                        flags,
                        work,
                    )
                })
            }
            fn GetLearnedKnowledge(&self) -> Result<ISyncKnowledge> {
                abi::guard(|| Host(&self.shared).learned())
            }
            fn GetPrerequisiteKnowledge(&self) -> Result<ISyncKnowledge> {
                abi::guard(|| Host(&self.shared).prerequisite())
            }
            fn GetSourceForgottenKnowledge(&self) -> Result<IForgottenKnowledge> {
                abi::guard(|| Host(&self.shared).source_forgotten())
            }
            fn SetLastBatch(&self) -> Result<()> {
                self.shared.lock().set_last_batch();
                Ok(())
            }
            fn SetWorkEstimateForBatch(&self, work: u32) -> Result<()> {
                self.shared.lock().set_work_for_batch(work);
                Ok(())
            }
            fn SetRemainingWorkEstimateForSession(&self, work: u32) -> Result<()> {
                self.shared.lock().set_remaining_work(work);
                Ok(())
            }
            fn Serialize(&self, buffer: *mut u8, size: *mut u32) -> Result<()> {
                abi::guard(|| Host(&self.shared).serialize(None, 0, buffer, size))
            }
        }

        impl ISyncChangeBatchBase2_Impl for $object {
            fn SerializeWithOptions(
                &self,
                version: SYNC_SERIALIZATION_VERSION,
                flags: u32,
                buffer: *mut u8,
                size: *mut u32,
            ) -> Result<()> {
                abi::guard(|| Host(&self.shared).serialize(Some(version), flags, buffer, size))
            }
        }

        impl ISyncChangeBatchWithPrerequisite_Impl for $object {
            fn SetPrerequisiteKnowledge(&self, prerequisite: Ref<ISyncKnowledge>) -> Result<()> {
                abi::guard(|| {
                    let mut batch = self.shared.lock();
                    let prerequisite = knowledge_arg(&batch, prerequisite)?;
                    engine(batch.set_prerequisite(Arc::new(prerequisite)))
                })
            }
            fn GetLearnedKnowledgeWithPrerequisite(
                &self,
                destination: Ref<ISyncKnowledge>,
            ) -> Result<ISyncKnowledge> {
                abi::guard(|| {
                    let batch = self.shared.lock();
                    let destination = knowledge_arg(&batch, destination)?;
                    Ok(knowledge::to_com(engine(
                        batch.learned_knowledge_with_prerequisite(&destination),
                    )?))
                })
            }
            fn GetLearnedForgottenKnowledge(&self) -> Result<IForgottenKnowledge> {
                abi::guard(|| {
                    let batch = self.shared.lock();
                    let forgotten = match engine(batch.learned_forgotten_knowledge())? {
                        Some(forgotten) => forgotten,
                        None => ForgottenKnowledge::new(&engine(Knowledge::new(
                            *batch.formats(),
                            batch.owner(),
                        ))?),
                    };
                    Ok(forgotten_to_com(forgotten))
                })
            }
        }

        impl ISyncChangeBatchAdvanced_Impl for $object {
            fn GetFilterInfo(&self) -> Result<ISyncFilterInfo> {
                // No filter: S_FALSE with NULL (`NF:winsync.ISyncChangeBatchAdvanced.GetFilterInfo`);
                // a success code carried by the error path leaves the out-pointer NULL.
                Err(Error::from_hresult(S_FALSE))
            }
            fn ConvertFullEnumerationChangeBatchToRegularChangeBatch(
                &self,
            ) -> Result<ISyncChangeBatch> {
                abi::guard(|| {
                    let batch = self.shared.lock();
                    if !batch.is_full_enumeration() {
                        return Err(Error::new(
                            SYNC_E_INVALID_OPERATION,
                            "not a full-enumeration batch",
                        ));
                    }
                    let regular = engine(regular_copy(&batch))?;
                    Ok(BatchObject {
                        shared: Shared::new(regular),
                    }
                    .into())
                })
            }
            fn GetUpperBoundItemId(&self, buffer: *mut u8, size: *mut u32) -> Result<()> {
                abi::guard(|| Host(&self.shared).upper_bound(buffer, size))
            }
            fn GetBatchLevelKnowledgeShouldBeApplied(&self, apply: *mut BOOL) -> Result<()> {
                not_null(apply)?;
                let batch = self.shared.lock();
                if batch.groups().is_empty() && !batch.has_open_group() {
                    return Err(Error::new(
                        SYNC_E_BATCH_NEEDS_KNOWLEDGE,
                        "the batch has neither changes nor knowledge",
                    ));
                }
                // SAFETY: checked not null.
                unsafe { apply.write(BOOL::from(true)) };
                Ok(())
            }
        }

        impl IEngineBatch_Impl for $object {
            unsafe fn Batch(&self, layout: u32, out: *mut *const core::ffi::c_void) -> HRESULT {
                batch_impl(&self.shared, layout, out)
            }
        }
    };
}

batch_impl!(BatchObject_Impl);
batch_impl!(FullBatchObject_Impl);

/// A full-enumeration batch's content as a regular batch: its group, as an ordered group.
fn regular_copy(batch: &ChangeBatch) -> winsync_engine::Result<ChangeBatch> {
    let mut regular = ChangeBatch::new(
        *batch.formats(),
        batch.owner(),
        batch.prerequisite().clone(),
        batch.source_forgotten().cloned(),
    )?;
    for group in batch.groups() {
        if let GroupKind::Ordered { lower, upper } = &group.kind {
            regular.begin_ordered_group(Some(lower))?;
            for change in &group.changes {
                regular.add_change(change.clone())?;
            }
            regular.end_ordered_group(upper.as_deref(), &group.made_with)?;
        }
    }
    if batch.is_last_batch() {
        regular.set_last_batch();
    }
    Ok(regular)
}

impl ISyncChangeBatch_Impl for BatchObject_Impl {
    fn BeginUnorderedGroup(&self) -> Result<()> {
        engine(self.shared.lock().begin_unordered_group())
    }

    fn EndUnorderedGroup(&self, made_with: Ref<ISyncKnowledge>, all: BOOL) -> Result<()> {
        abi::guard(|| {
            let mut batch = self.shared.lock();
            let made_with = knowledge_arg(&batch, made_with)?;
            engine(batch.end_unordered_group(&made_with, all.as_bool()))
        })
    }

    fn AddLoggedConflict(
        &self,
        owner: *const u8,
        item: *const u8,
        change_version: *const SYNC_VERSION,
        creation_version: *const SYNC_VERSION,
        flags: u32,
        work: u32,
        conflict_knowledge: Ref<ISyncKnowledge>,
    ) -> Result<ISyncChangeBuilder> {
        abi::guard(|| {
            let mut batch = self.shared.lock();
            let change = Host::item_change(
                &batch,
                owner,
                item,
                change_version,
                creation_version,
                flags,
                work,
            )?;
            let knowledge = knowledge_arg(&batch, conflict_knowledge)?;
            engine(batch.add_logged_conflict(change, &knowledge))?;
            Ok(BuilderObject {
                shared: self.shared.clone(),
                position: None,
            }
            .into())
        })
    }
}

impl ISyncFullEnumerationChangeBatch_Impl for FullBatchObject_Impl {
    fn GetLearnedKnowledgeAfterRecoveryComplete(&self) -> Result<ISyncKnowledge> {
        abi::guard(|| {
            Ok(knowledge::to_com(engine(
                self.shared.lock().learned_knowledge_after_recovery(),
            )?))
        })
    }

    fn GetClosedLowerBoundItemId(&self, buffer: *mut u8, size: *mut u32) -> Result<()> {
        abi::guard(|| {
            // SAFETY: the COM caller's contract: null or writable.
            let size = unsafe { size.as_mut() }.ok_or_else(abi::null_pointer)?;
            let batch = self.shared.lock();
            let lower = engine(batch.closed_lower_bound())?.to_vec();
            // SAFETY: the pcb pattern.
            unsafe { write_id(buffer, size, &batch.formats().item, &lower) }
        })
    }

    fn GetClosedUpperBoundItemId(&self, buffer: *mut u8, size: *mut u32) -> Result<()> {
        abi::guard(|| {
            // SAFETY: as above.
            let size = unsafe { size.as_mut() }.ok_or_else(abi::null_pointer)?;
            let batch = self.shared.lock();
            let format = batch.formats().item;
            // No bound: the largest ID of the format.
            let upper =
                engine(batch.closed_upper_bound())?.map_or_else(|| format.max_id(), Into::into);
            // SAFETY: the pcb pattern.
            unsafe { write_id(buffer, size, &format, &upper) }
        })
    }
}

impl ISyncChangeBuilder_Impl for BuilderObject_Impl {
    fn AddChangeUnitMetadata(
        &self,
        unit: *const u8,
        unit_version: *const SYNC_VERSION,
    ) -> Result<()> {
        abi::guard(|| {
            let mut batch = self.shared.lock();
            let Some(position) = self.position else {
                return Err(Error::new(
                    SYNC_E_INVALID_OPERATION,
                    "change units of logged conflicts are not kept by this runtime",
                ));
            };
            if batch.open_changes().map(<[ItemChange]>::len) != Some(position + 1) {
                return Err(Error::new(
                    SYNC_E_INVALID_OPERATION,
                    "the builder's change is no longer the last one of the open group",
                ));
            }
            // SAFETY: the COM caller's contract: a change-unit ID.
            let unit = unsafe { read_id(unit, &batch.formats().change_unit, "change unit ID") }?;
            let version = version(unit_version)?;
            engine(batch.add_change_unit(UnitChange {
                unit: unit.into(),
                version,
            }))
        })
    }
}
