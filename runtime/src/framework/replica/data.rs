//! How item data travels from a source to a destination: the source hands out a data
//! retriever with its batch (`NF:winsync.IKnowledgeSyncProvider.GetChangeBatch`), the
//! destination asks it for each change's data with a load context
//! (`NF:winsync.ISynchronousDataRetriever.LoadChangeData`, `NN:winsync.ILoadChangeContext`),
//! and the data object's interface is the source's choice (the destination queries for what it
//! understands).
//!
//! This runtime's providers hand out data as [`IItemData`], item bytes with the `pcb`
//! convention: any two providers that speak it meet through the interfaces alone, whatever
//! they store the bytes in.
//!
//! ## Change units
//!
//! A destination that applies a change unit by unit (`NN:winsync.ISyncChangeUnit`) loads each
//! unit's data with a load of its own: the load context it hands to `LoadChangeData` also
//! answers [`IUnitLoadContext`], whose `GetChangeUnitId(pb, pcb)` names the change unit wanted
//! (`pcb` convention), and the data object is [`IItemData`] holding that unit's bytes only. A
//! context without [`IUnitLoadContext`] asks for the whole item, as before. One load per unit
//! keeps the loads independent: a source that cannot load one unit sets a recoverable error on
//! it (`NF:winsync.ILoadChangeContext.SetRecoverableErrorOnChangeUnit`, with the
//! `ISyncChangeUnit` it finds among the change's `GetChangeUnits`) and fails that load; only
//! that unit fails at the destination (it is excluded from what the destination learns and
//! comes again), and the change's other units, loaded apart, are applied. In a load of the
//! whole item, an error set on a change unit fails the whole item (this runtime's stores keep
//! the item's data as one). A retriever made by [`retriever`] loads no change units: each
//! unit load fails with `E_NOTIMPL` as a recoverable error on that unit; [`unit_retriever`]
//! takes a unit loader too.

use std::sync::{Arc, Mutex, PoisonError};

use windows_core::{Error, HRESULT, IUnknown, Interface, Ref, Result, implement};
use winsync_engine::IdFormats;

use crate::bindings::{
    E_INVALIDARG, ID_PARAMETERS, ILoadChangeContext, ILoadChangeContext_Impl,
    IRecoverableErrorData, ISyncChange, ISyncChangeUnit, ISynchronousDataRetriever,
    ISynchronousDataRetriever_Impl, SYNC_VERSION,
};
use crate::com::abi;
use crate::framework::knowledge::enumerate::not_null;
use crate::framework::knowledge::wire::MORE_DATA;
use crate::framework::knowledge::wire::{id_parameters, read_pcb_id, write_bytes};
use crate::hresults::SYNC_E_ON_CREATE_MUST_FAIL_ENTIRE_ITEM;

pub use item_data::{IItemData, IItemData_Impl};

#[allow(non_snake_case, missing_docs)]
mod item_data {
    use windows_core::{HRESULT, IUnknown};

    /// Item data as bytes: what this runtime's data retrievers hand out from
    /// `LoadChangeData`. `GetData(pb, pcb)` follows the `pcb` convention: `*pcb` is the
    /// capacity of `pb`; a NULL or short buffer answers `HRESULT_FROM_WIN32(ERROR_MORE_DATA)`
    /// with the size needed in `*pcb`.
    #[windows_core::interface("d3a71c52-8e4f-4b1d-a6c9-2f5e0b7d9134")]
    pub unsafe trait IItemData: IUnknown {
        fn GetData(&self, pb: *mut u8, pcb: *mut u32) -> HRESULT;
    }

    /// Calls `GetData` (the method the interface macro makes is private to this module).
    ///
    /// # Safety
    /// `pb` is null or writable for `*pcb` bytes; `pcb` is writable.
    pub unsafe fn get_data(data: &IItemData, pb: *mut u8, pcb: *mut u32) -> HRESULT {
        // SAFETY: forwarded.
        unsafe { data.GetData(pb, pcb) }
    }
}

mod unit_load;
use unit_load::fail_unit;
pub use unit_load::{IUnitLoadContext, IUnitLoadContext_Impl, unit_id, unit_of};

pub use engine_retriever::{IEngineRetriever, IEngineRetriever_Impl};

#[allow(non_snake_case, missing_docs)]
mod engine_retriever {
    use windows_core::{HRESULT, IUnknown};

    /// How a destination of this runtime recognizes a data retriever of this runtime: a
    /// private interface handing out the retriever's loader, so the destination loads each
    /// change's data by item ID without a load context, a `LoadChangeData` call and an
    /// `IItemData` object per change. Retrievers from anywhere else are called through
    /// `ISynchronousDataRetriever`.
    #[windows_core::interface("b7e4d2a9-3c61-4f08-9a5e-6d2f1b8c4e73")]
    pub unsafe trait IEngineRetriever: IUnknown {
        /// Writes an owned `Arc<RetrieverState>` (from `Arc::into_raw`) to `out` when `layout`
        /// is this build's layout; `E_NOINTERFACE` otherwise.
        fn State(&self, layout: u32, out: *mut *const core::ffi::c_void) -> HRESULT;
    }

    /// Calls `State` (the method the interface macro makes is private to this module).
    ///
    /// # Safety
    /// `out` is writable.
    pub unsafe fn state(
        retriever: &IEngineRetriever,
        layout: u32,
        out: *mut *const core::ffi::c_void,
    ) -> HRESULT {
        // SAFETY: forwarded.
        unsafe { retriever.State(layout, out) }
    }
}

/// The layout revision of [`IEngineRetriever`]'s pointer.
const LAYOUT: u32 = crate::com::layout_revision(0xDA7B);

/// What a data retriever of this runtime loads with: the ID formats of its items and the
/// functions that load an item's bytes and a change unit's.
pub struct RetrieverState {
    /// The ID formats of the items it loads.
    pub formats: IdFormats,
    /// Loads an item's bytes by item ID.
    pub load: Arc<Loader>,
    /// Loads a change unit's bytes by item ID and change-unit ID.
    pub load_unit: Arc<UnitLoader>,
}

/// The loader behind a data retriever this runtime made, if it is one (see
/// [`IEngineRetriever`]).
pub fn state_of(retriever: &impl Interface) -> Option<Arc<RetrieverState>> {
    let engine = retriever.cast::<IEngineRetriever>().ok()?;
    let mut raw: *const core::ffi::c_void = core::ptr::null();
    // SAFETY: a live interface; `raw` is writable.
    let hr = unsafe { engine_retriever::state(&engine, LAYOUT, &mut raw) };
    (hr.is_ok() && !raw.is_null()).then(|| {
        // SAFETY: `State` handed out one strong count of an `Arc<RetrieverState>` of this
        // build.
        unsafe { Arc::from_raw(raw.cast::<RetrieverState>()) }
    })
}

mod objects {
    use super::{
        Arc, IEngineRetriever, IItemData, ILoadChangeContext, IRecoverableErrorData, ISyncChange,
        ISynchronousDataRetriever, IUnitLoadContext, Mutex, RetrieverState, implement,
    };

    /// Item bytes as [`IItemData`].
    #[implement(IItemData)]
    pub struct ItemDataObject {
        pub(super) bytes: Vec<u8>,
    }

    /// A data retriever over a function that loads an item's bytes.
    #[implement(ISynchronousDataRetriever, IEngineRetriever)]
    pub struct RetrieverObject {
        pub(super) state: Arc<RetrieverState>,
    }

    /// The context of one load: the change (and the change unit, for a load of one unit), and
    /// the recoverable error set on it with the source's additional data.
    #[implement(ILoadChangeContext, IUnitLoadContext)]
    pub struct LoadContextObject {
        pub(super) change: ISyncChange,
        pub(super) unit: Option<Box<[u8]>>,
        pub(super) error: Mutex<Option<(windows_core::HRESULT, Option<IRecoverableErrorData>)>>,
    }
}

pub use objects::{ItemDataObject, LoadContextObject, RetrieverObject};
use objects::{ItemDataObject_Impl, LoadContextObject_Impl, RetrieverObject_Impl};

/// Loads an item's bytes, by item ID.
pub type Loader = dyn Fn(&[u8]) -> Result<Vec<u8>> + Send + Sync;

/// Loads a change unit's bytes, by item ID and change-unit ID.
pub type UnitLoader = dyn Fn(&[u8], &[u8]) -> Result<Vec<u8>> + Send + Sync;

/// `bytes` as [`IItemData`].
pub fn item_data(bytes: Vec<u8>) -> IItemData {
    ItemDataObject { bytes }.into()
}

/// The bytes of any [`IItemData`].
///
/// # Errors
/// The object's own failure; `E_INVALIDARG` when it reports a size it then does not fill.
pub fn bytes_of(data: &IItemData) -> Result<Vec<u8>> {
    let mut size = 0u32;
    // SAFETY: a NULL buffer asks for the size.
    let hr = unsafe { item_data::get_data(data, std::ptr::null_mut(), &mut size) };
    if hr.is_ok() {
        return Ok(Vec::new());
    }
    if hr != MORE_DATA {
        return Err(Error::from_hresult(hr));
    }
    let mut bytes = vec![0u8; usize::try_from(size).unwrap_or(usize::MAX)];
    let mut written = size;
    // SAFETY: a buffer of `size` bytes.
    unsafe { item_data::get_data(data, bytes.as_mut_ptr(), &mut written) }.ok()?;
    if written > size {
        return Err(Error::new(
            E_INVALIDARG,
            "the item data grew between two calls",
        ));
    }
    bytes.truncate(usize::try_from(written).unwrap_or(0));
    Ok(bytes)
}

/// A data retriever for changes of items in `formats`, loading with `load`; it loads no change
/// units (each unit load fails with `E_NOTIMPL`, see the module docs).
pub fn retriever(formats: IdFormats, load: Arc<Loader>) -> ISynchronousDataRetriever {
    let load_unit: Arc<UnitLoader> = Arc::new(|_: &[u8], _: &[u8]| {
        Err(Error::new(
            crate::bindings::E_NOTIMPL,
            "the source keeps no change units",
        ))
    });
    unit_retriever(formats, load, load_unit)
}

/// A data retriever for changes of items in `formats`, loading items with `load` and change
/// units with `load_unit` (see the module docs).
pub fn unit_retriever(
    formats: IdFormats,
    load: Arc<Loader>,
    load_unit: Arc<UnitLoader>,
) -> ISynchronousDataRetriever {
    RetrieverObject {
        state: Arc::new(RetrieverState {
            formats,
            load,
            load_unit,
        }),
    }
    .into()
}

/// A load context for `change` (a load of the whole item).
pub fn load_context(change: ISyncChange) -> windows_core::ComObject<LoadContextObject> {
    windows_core::ComObject::new(LoadContextObject {
        change,
        unit: None,
        error: Mutex::new(None),
    })
}

/// A load context for change unit `unit` of `change` (it answers [`IUnitLoadContext`]).
pub fn unit_load_context(
    change: ISyncChange,
    unit: &[u8],
) -> windows_core::ComObject<LoadContextObject> {
    windows_core::ComObject::new(LoadContextObject {
        change,
        unit: Some(unit.into()),
        error: Mutex::new(None),
    })
}

impl LoadContextObject {
    /// The recoverable error the retriever set, if any.
    pub fn recoverable_error(&self) -> Option<HRESULT> {
        self.error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map(|(error, _)| *error)
    }

    /// The additional data the retriever gave with its recoverable error, if any
    /// (`NF:winsync.ILoadChangeContext.SetRecoverableErrorOnChange`).
    pub fn recoverable_error_data(&self) -> Option<IRecoverableErrorData> {
        self.error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .and_then(|(_, data)| data.clone())
    }
}

impl IItemData_Impl for ItemDataObject_Impl {
    unsafe fn GetData(&self, pb: *mut u8, pcb: *mut u32) -> HRESULT {
        // SAFETY: the COM caller's contract: null or writable.
        let Some(size) = (unsafe { pcb.as_mut() }) else {
            return crate::bindings::E_POINTER;
        };
        // SAFETY: the pcb pattern, the caller's contract.
        match unsafe { write_bytes(pb, size, &self.bytes) } {
            Ok(()) => crate::bindings::S_OK,
            Err(error) => error.code(),
        }
    }
}

impl ISynchronousDataRetriever_Impl for RetrieverObject_Impl {
    fn GetIdParameters(&self, parameters: *mut ID_PARAMETERS) -> Result<()> {
        not_null(parameters)?;
        // SAFETY: checked not null.
        unsafe { parameters.write(id_parameters(&self.state.formats)) };
        Ok(())
    }

    fn LoadChangeData(&self, context: Ref<ILoadChangeContext>) -> Result<IUnknown> {
        abi::guard(|| {
            let context = context.ok()?;
            // SAFETY: live interfaces.
            let change = unsafe { context.GetSyncChange() }?;
            let item = read_pcb_id(&self.state.formats.item, "item ID", |b, s| unsafe {
                change.GetRootItemId(b, s)
            })?;
            let Some(unit) = unit_of(context)? else {
                let bytes = (self.state.load)(&item)?;
                return item_data(bytes).cast();
            };
            match (self.state.load_unit)(&item, &unit) {
                Ok(bytes) => item_data(bytes).cast(),
                Err(error) => {
                    fail_unit(context, &change, &unit, &error);
                    Err(error)
                }
            }
        })
    }
}

impl IEngineRetriever_Impl for RetrieverObject_Impl {
    unsafe fn State(&self, layout: u32, out: *mut *const core::ffi::c_void) -> HRESULT {
        if out.is_null() {
            return crate::bindings::E_POINTER;
        }
        if layout != LAYOUT {
            return crate::bindings::E_NOINTERFACE;
        }
        // SAFETY: checked not null.
        unsafe { out.write(Arc::into_raw(self.state.clone()).cast()) };
        crate::bindings::S_OK
    }
}

impl ILoadChangeContext_Impl for LoadContextObject_Impl {
    fn GetSyncChange(&self) -> Result<ISyncChange> {
        Ok(self.change.clone())
    }

    fn SetRecoverableErrorOnChange(
        &self,
        error: HRESULT,
        data: Ref<IRecoverableErrorData>,
    ) -> Result<()> {
        if error.is_ok() {
            return Err(Error::new(E_INVALIDARG, "hrError is not a failure code"));
        }
        *self.error.lock().unwrap_or_else(PoisonError::into_inner) = Some((error, data.cloned()));
        Ok(())
    }

    fn SetRecoverableErrorOnChangeUnit(
        &self,
        error: HRESULT,
        unit: Ref<ISyncChangeUnit>,
        data: Ref<IRecoverableErrorData>,
    ) -> Result<()> {
        unit.ok()?;
        if error.is_ok() {
            return Err(Error::new(E_INVALIDARG, "hrError is not a failure code"));
        }
        // A creation fails as a whole (`NF:winsync.ILoadChangeContext.SetRecoverableErrorOnChangeUnit`):
        // the change creates the item when its change version is its creation version.
        let owner = read_pcb_id_any(&self.change)?;
        let (mut change_version, mut creation) = (SYNC_VERSION::default(), SYNC_VERSION::default());
        // SAFETY: live interfaces, writable out values.
        let versions = unsafe {
            self.change
                .GetCreationVersion(owner.as_ptr(), &mut creation)
        }
        .ok()
        .and_then(|()| {
            unsafe {
                self.change
                    .GetChangeVersion(owner.as_ptr(), &mut change_version)
            }
            .ok()
        });
        if versions.is_ok() && change_version == creation {
            return Err(Error::new(
                SYNC_E_ON_CREATE_MUST_FAIL_ENTIRE_ITEM,
                "the change creates the item: report the error on the whole change",
            ));
        }
        // In a load of one change unit (see the module docs) the error is that unit's: only
        // it fails at the destination. In a load of the whole item, the item fails as a whole.
        self.SetRecoverableErrorOnChange(error, data)
    }
}

impl IUnitLoadContext_Impl for LoadContextObject_Impl {
    unsafe fn GetChangeUnitId(&self, pb: *mut u8, pcb: *mut u32) -> HRESULT {
        // SAFETY: the COM caller's contract: null or writable.
        let Some(size) = (unsafe { pcb.as_mut() }) else {
            return crate::bindings::E_POINTER;
        };
        let Some(unit) = &self.unit else {
            return crate::bindings::E_NOINTERFACE;
        };
        // SAFETY: the pcb pattern, the caller's contract.
        match unsafe { write_bytes(pb, size, unit) } {
            Ok(()) => crate::bindings::S_OK,
            Err(error) => error.code(),
        }
    }
}

/// The owner replica ID of a change, whatever the replica format (read with a generous
/// buffer: the format is the change's business).
fn read_pcb_id_any(change: &ISyncChange) -> Result<Vec<u8>> {
    let mut size = 0u32;
    // SAFETY: a size query.
    let hr = unsafe { change.GetOwnerReplicaId(std::ptr::null_mut(), &mut size) };
    if hr != MORE_DATA {
        hr.ok()?;
    }
    let mut id = vec![0u8; usize::try_from(size).unwrap_or(0)];
    // SAFETY: a buffer of `size` bytes.
    unsafe { change.GetOwnerReplicaId(id.as_mut_ptr(), &mut size) }.ok()?;
    id.truncate(usize::try_from(size).unwrap_or(0));
    Ok(id)
}
