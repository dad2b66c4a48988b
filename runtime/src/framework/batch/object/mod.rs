//! The change batch COM object over an engine [`ChangeBatch`]: `ISyncChangeBatch` (with
//! `ISyncChangeBatchBase`), or `ISyncFullEnumerationChangeBatch` for a full-enumeration batch,
//! and on both `ISyncChangeBatchWithPrerequisite` and `ISyncChangeBatchAdvanced`; merge
//! tombstones through `ISyncChangeBatch2` and `ISyncFullEnumerationChangeBatch2`
//! (`header:winsync.h`: Sync Framework 2.0's interfaces, which have no sdk-api page).
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
    ISyncChangeBatch2, ISyncChangeBatch2_Impl, ISyncChangeBatchAdvanced,
    ISyncChangeBatchAdvanced_Impl, ISyncChangeBatchBase, ISyncChangeBatchBase_Impl,
    ISyncChangeBatchBase2, ISyncChangeBatchBase2_Impl, ISyncChangeBatchWithPrerequisite,
    ISyncChangeBatchWithPrerequisite_Impl, ISyncChangeBuilder, ISyncChangeBuilder_Impl,
    ISyncFilterInfo, ISyncFullEnumerationChangeBatch, ISyncFullEnumerationChangeBatch_Impl,
    ISyncFullEnumerationChangeBatch2, ISyncFullEnumerationChangeBatch2_Impl, ISyncKnowledge,
    S_FALSE, SYNC_SERIALIZATION_VERSION, SYNC_VERSION,
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
        Arc, IEngineBatch, ISyncChangeBatch, ISyncChangeBatch2, ISyncChangeBatchAdvanced,
        ISyncChangeBatchBase, ISyncChangeBatchBase2, ISyncChangeBatchWithPrerequisite,
        ISyncChangeBuilder, ISyncFullEnumerationChangeBatch, ISyncFullEnumerationChangeBatch2,
        Shared, implement,
    };

    /// A change batch (`ISyncChangeBatch`, with `ISyncChangeBatch2`'s merge tombstones).
    #[implement(
        ISyncChangeBatch,
        ISyncChangeBatch2,
        ISyncChangeBatchBase2,
        ISyncChangeBatchBase,
        ISyncChangeBatchWithPrerequisite,
        ISyncChangeBatchAdvanced,
        IEngineBatch
    )]
    pub struct BatchObject {
        pub(crate) shared: Arc<Shared>,
    }

    /// A full-enumeration change batch (`ISyncFullEnumerationChangeBatch`, with
    /// `ISyncFullEnumerationChangeBatch2`'s merge tombstones).
    #[implement(
        ISyncFullEnumerationChangeBatch,
        ISyncFullEnumerationChangeBatch2,
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

mod host;
mod vtables;

use host::Host;
