//! The knowledge COM object: `ISyncKnowledge`, `ISyncKnowledge2` (and `IForgottenKnowledge`
//! for forgotten knowledge) over an engine [`Knowledge`].
//!
//! Every method goes through the generated adapters of `sync_knowledge_abi`,
//! `sync_knowledge2_abi` and `forgotten_knowledge_abi` (null checks of typed pointers, panics as
//! `E_UNEXPECTED`), then through a private `Host`, which reads the raw IDs in the knowledge's ID
//! format and answers the pages' results; the rules are in `CONTRACTS.md` under the
//! enforcement point "the runtime's knowledge objects".

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use windows_core::{ComObject, Error, GUID, HRESULT, IUnknown, Interface, Ref, Result, implement};
use winsync_engine::{ForgottenKnowledge as EngineForgotten, IdFormats, Knowledge, Version};

use super::wire::{
    engine, engine_error, formats_of, hand_out, id_parameters, read_id, write_bytes, write_id,
};
use super::{exceptions, foreign, fragments, keymap, vectors};
use crate::bindings::{
    E_INVALIDARG, E_POINTER, ID_PARAMETERS, IEnumChangeUnitExceptions, IEnumRangeExceptions,
    IEnumSingleItemExceptions, IForgottenKnowledge, IForgottenKnowledge_Impl, IReplicaKeyMap,
    ISyncKnowledge, ISyncKnowledge_Impl, ISyncKnowledge2, ISyncKnowledge2_Impl,
    KCCR_COOKIE_KNOWLEDGE_CONTAINED, KCCR_COOKIE_KNOWLEDGE_CONTAINS, KCCR_COOKIE_KNOWLEDGE_EQUAL,
    KCCR_COOKIE_KNOWLEDGE_NOT_COMPARABLE, KNOWLEDGE_COOKIE_COMPARISON_RESULT, S_FALSE, S_OK,
    SYNC_RANGE, SYNC_SERIALIZATION_VERSION, SYNC_STATISTICS, SYNC_VERSION,
};
use crate::skeletons::{
    ForgottenKnowledge, SyncKnowledge, SyncKnowledge2, forgotten_knowledge_abi as abi_f,
    sync_knowledge_abi as abi_k, sync_knowledge2_abi as abi_k2,
};

/// `SYNC_SERIALIZE_REPLICA_KEY_MAP`: `SerializeWithOptions` includes the key map.
const SERIALIZE_REPLICA_KEY_MAP: u32 = 1;
/// `SYNC_STATISTICS_RANGE_COUNT`.
const STATISTICS_RANGE_COUNT: SYNC_STATISTICS = 0;

/// What one knowledge object holds: the knowledge, replaced whole by every change, and a
/// generation counter that moves with it (fragments and inspectors made before a change answer
/// `SYNC_E_INVALID_OPERATION`, `NF:winsync.ICoreFragment.NextColumn`).
pub struct Shared {
    knowledge: RwLock<Arc<Knowledge>>,
    generation: AtomicU64,
    forgotten: bool,
}

impl Shared {
    fn new(knowledge: Knowledge, forgotten: bool) -> Arc<Self> {
        Arc::new(Self {
            knowledge: RwLock::new(Arc::new(knowledge)),
            generation: AtomicU64::new(0),
            forgotten,
        })
    }

    /// The knowledge now.
    pub fn snapshot(&self) -> Arc<Knowledge> {
        self.knowledge
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Runs a query on the knowledge now, without copying it.
    pub fn with<R>(&self, f: impl FnOnce(&Knowledge) -> R) -> R {
        f(&self
            .knowledge
            .read()
            .unwrap_or_else(PoisonError::into_inner))
    }

    /// Changes the knowledge with `f` (on a copy: a failure changes nothing).
    ///
    /// # Errors
    /// `f`'s.
    pub fn update<R>(&self, f: impl FnOnce(&mut Knowledge) -> Result<R>) -> Result<R> {
        let mut guard = self
            .knowledge
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let mut next = (**guard).clone();
        let result = f(&mut next)?;
        *guard = Arc::new(next);
        self.generation.fetch_add(1, Ordering::SeqCst);
        Ok(result)
    }

    /// The generation (changes with every update).
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }
}

/// The layout revision of [`IEngineKnowledge::Snapshot`]'s pointer: a different build of this
/// crate in the same process answers `E_NOINTERFACE` and is read through the public
/// interfaces instead.
const SNAPSHOT_LAYOUT: u32 = crate::com::layout_revision(0);

pub use engine_interface::{IEngineKnowledge, IEngineKnowledge_Impl};

#[allow(non_snake_case, missing_docs)]
mod engine_interface {
    use windows_core::{HRESULT, IUnknown};

    /// How the runtime's knowledge objects recognize each other: a private interface handing
    /// out the engine knowledge itself, so that combining two of them copies nothing.
    /// Knowledge from anywhere else is read through the public inspection interfaces
    /// ([`super::foreign`]).
    #[windows_core::interface("4f6e1c3a-9b2d-4e85-a7f0-3c5d8e2b1a94")]
    pub unsafe trait IEngineKnowledge: IUnknown {
        /// Writes an owned `Arc<Knowledge>` (from `Arc::into_raw`) to `out`, when `layout` is
        /// this build's `SNAPSHOT_LAYOUT`; `E_NOINTERFACE` otherwise.
        fn Snapshot(&self, layout: u32, out: *mut *const core::ffi::c_void) -> HRESULT;
    }

    /// Calls `Snapshot` (the method the interface macro makes is private to this module).
    ///
    /// # Safety
    /// `out` is writable.
    pub unsafe fn snapshot(
        engine: &IEngineKnowledge,
        layout: u32,
        out: *mut *const core::ffi::c_void,
    ) -> HRESULT {
        // SAFETY: forwarded.
        unsafe { engine.Snapshot(layout, out) }
    }
}

mod objects {
    use super::{
        Arc, IEngineKnowledge, IForgottenKnowledge, ISyncKnowledge, ISyncKnowledge2, Shared,
        implement,
    };

    /// Knowledge as a COM object: `ISyncKnowledge2` (and `ISyncKnowledge`).
    #[implement(ISyncKnowledge2, ISyncKnowledge, IEngineKnowledge)]
    pub struct KnowledgeObject {
        pub(crate) shared: Arc<Shared>,
    }

    /// Forgotten knowledge as a COM object: `IForgottenKnowledge`, `ISyncKnowledge2`,
    /// `ISyncKnowledge`.
    #[implement(IForgottenKnowledge, ISyncKnowledge2, ISyncKnowledge, IEngineKnowledge)]
    pub struct ForgottenObject {
        pub(crate) shared: Arc<Shared>,
    }

    /// A knowledge cookie: a read-only snapshot (`NF:winsync.ISyncKnowledge2.GetKnowledgeCookie`).
    #[implement(IEngineKnowledge)]
    pub struct CookieObject {
        pub(crate) shared: Arc<Shared>,
    }
}

pub use objects::{CookieObject, ForgottenObject, KnowledgeObject};
use objects::{CookieObject_Impl, ForgottenObject_Impl, KnowledgeObject_Impl};

/// `knowledge` as a COM object, `ISyncKnowledge` (QueryInterface reaches `ISyncKnowledge2`).
pub fn to_com(knowledge: Knowledge) -> ISyncKnowledge {
    KnowledgeObject {
        shared: Shared::new(knowledge, false),
    }
    .into()
}

/// Forgotten knowledge as a COM object, `IForgottenKnowledge`.
pub fn forgotten_to_com(forgotten: EngineForgotten) -> IForgottenKnowledge {
    ForgottenObject {
        shared: Shared::new(forgotten.knowledge().clone(), true),
    }
    .into()
}

/// The engine knowledge behind any `ISyncKnowledge`: this runtime's objects give theirs
/// directly; any other implementation is read through its interfaces
/// ([`foreign::read`], which takes the ID formats from `ISyncKnowledge2` or, for an object
/// without it, from `expected`).
///
/// # Errors
/// What reading a foreign object fails with (its own HRESULTs, or `E_INVALIDARG` for data
/// that is not knowledge).
pub fn from_com(
    knowledge: &ISyncKnowledge,
    expected: Option<&IdFormats>,
) -> Result<Arc<Knowledge>> {
    if let Some(snapshot) = snapshot_of(knowledge) {
        return Ok(snapshot);
    }
    foreign::read(knowledge, expected).map(Arc::new)
}

fn snapshot_of(object: &impl Interface) -> Option<Arc<Knowledge>> {
    let engine = object.cast::<IEngineKnowledge>().ok()?;
    let mut raw: *const core::ffi::c_void = core::ptr::null();
    // SAFETY: a live interface; `raw` is writable.
    let hr = unsafe { engine_interface::snapshot(&engine, SNAPSHOT_LAYOUT, &mut raw) };
    (hr.is_ok() && !raw.is_null()).then(|| {
        // SAFETY: `Snapshot` handed out one strong count of an `Arc<Knowledge>` of this build.
        unsafe { Arc::from_raw(raw.cast::<Knowledge>()) }
    })
}

fn snapshot_impl(shared: &Shared, layout: u32, out: *mut *const core::ffi::c_void) -> HRESULT {
    if out.is_null() {
        return E_POINTER;
    }
    if layout != SNAPSHOT_LAYOUT {
        return crate::bindings::E_NOINTERFACE;
    }
    // SAFETY: checked not null.
    unsafe { out.write(Arc::into_raw(shared.snapshot()).cast()) };
    S_OK
}

/// The safe-trait view of one knowledge object, for one call.
struct Host<'a>(&'a Arc<Shared>);

impl Host<'_> {
    fn knowledge(&self) -> Arc<Knowledge> {
        self.0.snapshot()
    }

    /// The engine knowledge behind another knowledge object, read in this one's ID formats.
    fn other(&self, knowledge: &ISyncKnowledge) -> Result<Arc<Knowledge>> {
        let formats = self.0.with(|k| *k.formats());
        from_com(knowledge, Some(&formats))
    }

    /// A new object over `knowledge`, of the same kind as this one.
    fn make(&self, knowledge: Knowledge) -> ISyncKnowledge {
        if self.0.forgotten {
            ForgottenObject {
                shared: Shared::new(knowledge, true),
            }
            .into()
        } else {
            to_com(knowledge)
        }
    }

    /// Reads an item ID (and a change-unit ID) in this knowledge's formats.
    fn item<'b>(&self, k: &Knowledge, item: *const u8) -> Result<&'b [u8]> {
        // SAFETY: the COM caller's contract: an ID of the item format.
        unsafe { read_id(item, &k.formats().item, "item ID") }
    }

    fn unit<'b>(&self, k: &Knowledge, unit: *const u8) -> Result<&'b [u8]> {
        // SAFETY: as above, change-unit format.
        unsafe { read_id(unit, &k.formats().change_unit, "change unit ID") }
    }

    fn replica<'b>(&self, k: &Knowledge, replica: *const u8) -> Result<&'b [u8]> {
        // SAFETY: as above, replica format.
        unsafe { read_id(replica, &k.formats().replica, "replica ID") }
    }

    /// The version's key is in this knowledge's key space only when its owner is this
    /// knowledge's owner (`NF:winsync.ISyncKnowledge.ContainsChange`; convert other versions
    /// with ConvertVersion first).
    fn own_version(
        &self,
        k: &Knowledge,
        owner: *const u8,
        version: &SYNC_VERSION,
    ) -> Result<Version> {
        let owner = self.replica(k, owner)?;
        if owner != k.owner() {
            return Err(Error::new(
                E_INVALIDARG,
                "the version belongs to another replica's key space: convert it with ConvertVersion first",
            ));
        }
        Ok(Version::new(
            version.dwLastUpdatingReplicaKey,
            version.ullTickCount,
        ))
    }
}

fn answer(yes: bool) -> HRESULT {
    if yes { S_OK } else { S_FALSE }
}

impl SyncKnowledge for Host<'_> {
    fn get_owner_replica_id(&self, replica_id: *mut u8, id_size: &mut u32) -> Result<()> {
        let k = self.knowledge();
        // SAFETY: the COM caller's contract for the pcb pattern.
        unsafe { write_id(replica_id, id_size, &k.formats().replica, k.owner()) }
    }

    fn serialize(&self, with_key_map: bool, buffer: *mut u8, size: &mut u32) -> Result<()> {
        let k = self.knowledge();
        let bytes = if self.0.forgotten {
            EngineForgotten::from_knowledge((*k).clone()).serialize(with_key_map)
        } else {
            k.serialize(with_key_map)
        };
        // SAFETY: as above.
        unsafe { write_bytes(buffer, size, &bytes) }
    }

    fn set_local_tick_count(&self, tick_count: u64) -> Result<()> {
        self.0
            .update(|k| engine(k.set_local_tick_count(tick_count)))
    }

    fn contains_change(
        &self,
        owner: *const u8,
        item: *const u8,
        version: &SYNC_VERSION,
    ) -> Result<HRESULT> {
        self.0.with(|k| {
            let version = self.own_version(k, owner, version)?;
            let item = self.item(k, item)?;
            Ok(answer(engine(k.contains_change(item, version))?))
        })
    }

    fn contains_change_unit(
        &self,
        owner: *const u8,
        item: *const u8,
        unit: *const u8,
        version: &SYNC_VERSION,
    ) -> Result<HRESULT> {
        self.0.with(|k| {
            let version = self.own_version(k, owner, version)?;
            let (item, unit) = (self.item(k, item)?, self.unit(k, unit)?);
            Ok(answer(engine(k.contains_change_unit(item, unit, version))?))
        })
    }

    fn get_scope_vector(&self, riid: &GUID, unk: *mut *mut core::ffi::c_void) -> Result<()> {
        let scope = Arc::new(self.knowledge().scope_vector());
        let object: IUnknown = vectors::clock_vector(scope).cast()?;
        // SAFETY: the COM caller's contract.
        unsafe { hand_out(&object, riid, &[crate::bindings::IClockVector::IID], unk) }
    }

    fn get_replica_key_map(&self) -> Result<IReplicaKeyMap> {
        Ok(keymap::key_map(self.0.clone()))
    }

    fn clone(&self) -> Result<ISyncKnowledge> {
        Ok(self.make((*self.knowledge()).clone()))
    }

    fn convert_version(
        &self,
        knowledge_in: &ISyncKnowledge,
        current_owner_id: *const u8,
        version_in: &SYNC_VERSION,
        new_owner_id: *mut u8,
        id_size: &mut u32,
        version_out: &mut SYNC_VERSION,
    ) -> Result<()> {
        let remote = self.other(knowledge_in)?;
        let owner = self.replica(&remote, current_owner_id)?;
        if owner != remote.owner() {
            return Err(Error::new(
                E_INVALIDARG,
                "pKnowledgeIn is not the knowledge of pbCurrentOwnerId",
            ));
        }
        let version = Version::new(version_in.dwLastUpdatingReplicaKey, version_in.ullTickCount);
        // The conversion may add the version's replica to this knowledge's key map.
        let converted = self
            .0
            .update(|k| engine(k.convert_version(&remote, version)))?;
        let k = self.knowledge();
        // SAFETY: the pcb pattern, the COM caller's contract.
        unsafe { write_id(new_owner_id, id_size, &k.formats().replica, k.owner()) }?;
        version_out.dwLastUpdatingReplicaKey = converted.replica_key;
        version_out.ullTickCount = converted.tick;
        Ok(())
    }

    fn map_remote_to_local(&self, remote: &ISyncKnowledge) -> Result<ISyncKnowledge> {
        let remote = self.other(remote)?;
        Ok(self.make(engine(self.knowledge().map_remote_to_local(&remote))?))
    }

    fn union(&self, knowledge: &ISyncKnowledge) -> Result<()> {
        let other = self.other(knowledge)?;
        self.0.update(|k| engine(k.union(&other)))
    }

    fn project_onto_item(&self, item: *const u8) -> Result<ISyncKnowledge> {
        let k = self.knowledge();
        let item = self.item(&k, item)?;
        Ok(self.make(engine(k.project_onto_item(item))?))
    }

    fn project_onto_change_unit(&self, item: *const u8, unit: *const u8) -> Result<ISyncKnowledge> {
        let k = self.knowledge();
        let (item, unit) = (self.item(&k, item)?, self.unit(&k, unit)?);
        Ok(self.make(engine(k.project_onto_change_unit(item, unit))?))
    }

    fn project_onto_range(&self, range: &SYNC_RANGE) -> Result<ISyncKnowledge> {
        let k = self.knowledge();
        let lower = self.item(&k, range.pbClosedLowerBound)?;
        let upper = self.item(&k, range.pbClosedUpperBound)?;
        Ok(self.make(engine(k.project_onto_range(lower, upper))?))
    }

    fn exclude_item(&self, item: *const u8) -> Result<()> {
        let k = self.knowledge();
        let item = self.item(&k, item)?;
        self.0.update(|k| engine(k.exclude_item(item)))
    }

    fn exclude_change_unit(&self, item: *const u8, unit: *const u8) -> Result<()> {
        let k = self.knowledge();
        let (item, unit) = (self.item(&k, item)?, self.unit(&k, unit)?);
        self.0.update(|k| engine(k.exclude_change_unit(item, unit)))
    }

    fn contains_knowledge(&self, knowledge: &ISyncKnowledge) -> Result<HRESULT> {
        let other = self.other(knowledge)?;
        Ok(answer(engine(self.knowledge().contains_knowledge(&other))?))
    }

    fn find_min_tick_count_for_replica(&self, replica: *const u8, tick: &mut u64) -> Result<()> {
        let k = self.knowledge();
        let replica = self.replica(&k, replica)?;
        *tick = k
            .min_tick_for_replica(replica)
            .map_err(|e| Error::new(E_INVALIDARG, e.to_string()))?;
        Ok(())
    }

    fn get_range_exceptions(&self, riid: &GUID, unk: *mut *mut core::ffi::c_void) -> Result<()> {
        let k = self.knowledge();
        let object: IUnknown =
            exceptions::range_exceptions(*k.formats(), k.range_exceptions()).cast()?;
        // SAFETY: the COM caller's contract.
        unsafe { hand_out(&object, riid, &[IEnumRangeExceptions::IID], unk) }
    }

    fn get_single_item_exceptions(
        &self,
        riid: &GUID,
        unk: *mut *mut core::ffi::c_void,
    ) -> Result<()> {
        let k = self.knowledge();
        let object: IUnknown =
            exceptions::single_item_exceptions(*k.formats(), k.single_item_exceptions()).cast()?;
        // SAFETY: the COM caller's contract.
        unsafe { hand_out(&object, riid, &[IEnumSingleItemExceptions::IID], unk) }
    }

    fn get_change_unit_exceptions(
        &self,
        riid: &GUID,
        unk: *mut *mut core::ffi::c_void,
    ) -> Result<()> {
        let k = self.knowledge();
        let object: IUnknown =
            exceptions::unit_exceptions(*k.formats(), k.change_unit_exceptions()).cast()?;
        // SAFETY: the COM caller's contract.
        unsafe { hand_out(&object, riid, &[IEnumChangeUnitExceptions::IID], unk) }
    }

    fn find_clock_vector_for_item(
        &self,
        item: *const u8,
        riid: &GUID,
        unk: *mut *mut core::ffi::c_void,
    ) -> Result<()> {
        let k = self.knowledge();
        let item = self.item(&k, item)?;
        let vector = Arc::new(engine(k.clock_vector_for_item(item))?.clone());
        // SAFETY: the COM caller's contract.
        unsafe { vectors::hand_out_vector(&vector, riid, unk) }
    }

    fn find_clock_vector_for_change_unit(
        &self,
        item: *const u8,
        unit: *const u8,
        riid: &GUID,
        unk: *mut *mut core::ffi::c_void,
    ) -> Result<()> {
        let k = self.knowledge();
        let (item, unit) = (self.item(&k, item)?, self.unit(&k, unit)?);
        let vector = Arc::new(engine(k.clock_vector_for_change_unit(item, unit))?.clone());
        // SAFETY: the COM caller's contract.
        unsafe { vectors::hand_out_vector(&vector, riid, unk) }
    }

    fn get_version(&self, version: &mut u32) -> Result<()> {
        *version = winsync_engine::SERIALIZATION_V3;
        Ok(())
    }
}

impl SyncKnowledge2 for Host<'_> {
    fn get_id_parameters(&self, parameters: &mut ID_PARAMETERS) -> Result<()> {
        // The caller sets dwSize first (NF:winsync.ISyncKnowledge2.GetIdParameters).
        if usize::try_from(parameters.dwSize).ok() != Some(size_of::<ID_PARAMETERS>()) {
            return Err(Error::new(
                E_INVALIDARG,
                "ID_PARAMETERS.dwSize is not the structure's size",
            ));
        }
        *parameters = id_parameters(self.knowledge().formats());
        Ok(())
    }

    fn project_onto_column_set(
        &self,
        columns: *const *const u8,
        count: u32,
    ) -> Result<ISyncKnowledge2> {
        if count == 0 {
            return Err(Error::new(E_INVALIDARG, "the column set is empty"));
        }
        if columns.is_null() {
            return Err(Error::from_hresult(E_POINTER));
        }
        let k = self.knowledge();
        let units = (0..count as usize)
            // SAFETY: the COM caller's contract: `count` ID pointers.
            .map(|i| self.unit(&k, unsafe { *columns.add(i) }))
            .collect::<Result<Vec<_>>>()?;
        self.make(engine(k.project_onto_columns(&units))?).cast()
    }

    fn serialize_with_options(
        &self,
        format_version: SYNC_SERIALIZATION_VERSION,
        flags: u32,
        buffer: *mut u8,
        size: &mut u32,
    ) -> Result<()> {
        if flags & !SERIALIZE_REPLICA_KEY_MAP != 0 {
            return Err(Error::new(
                E_INVALIDARG,
                format!("unknown flags {flags:#x}"),
            ));
        }
        let with_map = flags & SERIALIZE_REPLICA_KEY_MAP != 0;
        let version = u32::try_from(format_version).unwrap_or(u32::MAX);
        let bytes = engine(self.knowledge().serialize_with_version(version, with_map))?;
        // SAFETY: the pcb pattern, the COM caller's contract.
        unsafe { write_bytes(buffer, size, &bytes) }
    }

    fn get_lowest_uncontained_id(
        &self,
        other: &ISyncKnowledge2,
        item: *mut u8,
        size: &mut u32,
    ) -> Result<HRESULT> {
        let other = self.other(&other.cast::<ISyncKnowledge>()?)?;
        let k = self.knowledge();
        if k.formats() != other.formats() {
            // This page names E_INVALIDARG for different schemas
            // (NF:winsync.ISyncKnowledge2.GetLowestUncontainedId).
            return Err(Error::new(E_INVALIDARG, "the ID formats differ"));
        }
        match engine(k.lowest_uncontained_id(&other))? {
            None => Ok(S_FALSE),
            Some(id) => {
                // SAFETY: the pcb pattern, the COM caller's contract.
                unsafe { write_id(item, size, &k.formats().item, &id) }?;
                Ok(S_OK)
            }
        }
    }

    fn get_inspector(&self, riid: &GUID, inspector: *mut *mut core::ffi::c_void) -> Result<()> {
        let object: IUnknown = fragments::inspector(self.0.clone()).cast()?;
        // SAFETY: the COM caller's contract.
        unsafe {
            hand_out(
                &object,
                riid,
                &[crate::bindings::ICoreFragmentInspector::IID],
                inspector,
            )
        }
    }

    fn get_minimum_supported_version(
        &self,
        version: &mut SYNC_SERIALIZATION_VERSION,
    ) -> Result<()> {
        // The adapter answered E_POINTER for a NULL pointer.
        *version = i32::try_from(self.knowledge().minimum_version()).unwrap_or(i32::MAX);
        Ok(())
    }

    fn get_statistics(&self, which: SYNC_STATISTICS, value: &mut u32) -> Result<()> {
        if which != STATISTICS_RANGE_COUNT {
            return Err(Error::new(
                E_INVALIDARG,
                format!("unknown statistic {which}"),
            ));
        }
        *value = u32::try_from(self.knowledge().range_count()).unwrap_or(u32::MAX);
        Ok(())
    }

    fn contains_knowledge_for_item(
        &self,
        knowledge: &ISyncKnowledge,
        item: *const u8,
    ) -> Result<HRESULT> {
        let other = self.other(knowledge)?;
        let k = self.knowledge();
        let item = self.item(&k, item)?;
        Ok(answer(engine(k.contains_knowledge_for_item(&other, item))?))
    }

    fn contains_knowledge_for_change_unit(
        &self,
        knowledge: &ISyncKnowledge,
        item: *const u8,
        unit: *const u8,
    ) -> Result<HRESULT> {
        let other = self.other(knowledge)?;
        let k = self.knowledge();
        let (item, unit) = (self.item(&k, item)?, self.unit(&k, unit)?);
        Ok(answer(engine(
            k.contains_knowledge_for_change_unit(&other, item, unit),
        )?))
    }

    fn project_onto_knowledge_with_prerequisite(
        &self,
        prerequisite: &ISyncKnowledge,
        template: &ISyncKnowledge,
    ) -> Result<ISyncKnowledge> {
        let (prerequisite, template) = (self.other(prerequisite)?, self.other(template)?);
        let k = self.knowledge();
        Ok(self.make(engine(
            k.project_onto_knowledge_with_prerequisite(&prerequisite, &template),
        )?))
    }

    fn complement(&self, knowledge: &ISyncKnowledge) -> Result<ISyncKnowledge> {
        let other = self.other(knowledge)?;
        Ok(self.make(engine(self.knowledge().complement(&other))?))
    }

    fn intersects_with_knowledge(&self, knowledge: &ISyncKnowledge) -> Result<HRESULT> {
        let other = self.other(knowledge)?;
        Ok(answer(engine(self.knowledge().intersects(&other))?))
    }

    fn get_knowledge_cookie(&self) -> Result<IUnknown> {
        // A snapshot of the knowledge now, which later changes do not reach.
        Ok(CookieObject {
            shared: Shared::new((*self.knowledge()).clone(), self.0.forgotten),
        }
        .into())
    }

    fn compare_to_knowledge_cookie(
        &self,
        cookie: &IUnknown,
        result: &mut KNOWLEDGE_COOKIE_COMPARISON_RESULT,
    ) -> Result<()> {
        // The adapter answered E_POINTER for a NULL pointer.
        let answer = match snapshot_of(cookie) {
            // A cookie this runtime did not make cannot be compared.
            None => KCCR_COOKIE_KNOWLEDGE_NOT_COMPARABLE,
            Some(cookie) => {
                let k = self.knowledge();
                let knowledge_contains = engine(k.contains_knowledge(&cookie))?;
                let cookie_contains = engine(cookie.contains_knowledge(&k))?;
                match (knowledge_contains, cookie_contains) {
                    (true, true) => KCCR_COOKIE_KNOWLEDGE_EQUAL,
                    (true, false) => KCCR_COOKIE_KNOWLEDGE_CONTAINED,
                    (false, true) => KCCR_COOKIE_KNOWLEDGE_CONTAINS,
                    (false, false) => KCCR_COOKIE_KNOWLEDGE_NOT_COMPARABLE,
                }
            }
        };
        *result = answer;
        Ok(())
    }
}

impl ForgottenKnowledge for Host<'_> {
    fn forget_to_version(&self, knowledge: &ISyncKnowledge, version: &SYNC_VERSION) -> Result<()> {
        let current = self.other(knowledge)?;
        let k = self.knowledge();
        if current.owner() != k.owner() {
            return Err(Error::new(
                E_INVALIDARG,
                "pKnowledge is not the current knowledge of the replica that owns this forgotten knowledge",
            ));
        }
        let version = Version::new(version.dwLastUpdatingReplicaKey, version.ullTickCount);
        self.0.update(|k| {
            let mut forgotten = EngineForgotten::from_knowledge(k.clone());
            forgotten
                .forget_to_version(&current, version)
                .map_err(|e| engine_error(&e))?;
            *k = forgotten.knowledge().clone();
            Ok(())
        })
    }
}

/// `ISyncKnowledge_Impl` and `ISyncKnowledge2_Impl` for an object type with a `shared` field,
/// every method through its generated adapter and [`Host`].
macro_rules! knowledge_impl {
    ($object:ident) => {
        impl ISyncKnowledge_Impl for $object {
            fn GetOwnerReplicaId(&self, pb: *mut u8, pcb: *mut u32) -> Result<()> {
                unsafe { abi_k::get_owner_replica_id(&Host(&self.shared), pb, pcb) }
            }
            fn Serialize(
                &self,
                with_map: windows_core::BOOL,
                pb: *mut u8,
                pcb: *mut u32,
            ) -> Result<()> {
                unsafe { abi_k::serialize(&Host(&self.shared), with_map, pb, pcb) }
            }
            fn SetLocalTickCount(&self, tick: u64) -> Result<()> {
                unsafe { abi_k::set_local_tick_count(&Host(&self.shared), tick) }
            }
            fn ContainsChange(
                &self,
                owner: *const u8,
                item: *const u8,
                version: *const SYNC_VERSION,
            ) -> HRESULT {
                unsafe { abi_k::contains_change(&Host(&self.shared), owner, item, version) }
            }
            fn ContainsChangeUnit(
                &self,
                owner: *const u8,
                item: *const u8,
                unit: *const u8,
                version: *const SYNC_VERSION,
            ) -> HRESULT {
                unsafe {
                    abi_k::contains_change_unit(&Host(&self.shared), owner, item, unit, version)
                }
            }
            fn GetScopeVector(
                &self,
                riid: *const GUID,
                ppv: *mut *mut core::ffi::c_void,
            ) -> Result<()> {
                unsafe { abi_k::get_scope_vector(&Host(&self.shared), riid, ppv) }
            }
            fn GetReplicaKeyMap(&self) -> Result<IReplicaKeyMap> {
                unsafe { abi_k::get_replica_key_map(&Host(&self.shared)) }
            }
            fn Clone(&self) -> Result<ISyncKnowledge> {
                unsafe { abi_k::clone(&Host(&self.shared)) }
            }
            fn ConvertVersion(
                &self,
                knowledge: Ref<ISyncKnowledge>,
                owner: *const u8,
                version_in: *const SYNC_VERSION,
                new_owner: *mut u8,
                size: *mut u32,
                version_out: *mut SYNC_VERSION,
            ) -> Result<()> {
                unsafe {
                    abi_k::convert_version(
                        &Host(&self.shared),
                        knowledge,
                        owner,
                        version_in,
                        new_owner,
                        size,
                        version_out,
                    )
                }
            }
            fn MapRemoteToLocal(&self, remote: Ref<ISyncKnowledge>) -> Result<ISyncKnowledge> {
                unsafe { abi_k::map_remote_to_local(&Host(&self.shared), remote) }
            }
            fn Union(&self, knowledge: Ref<ISyncKnowledge>) -> Result<()> {
                unsafe { abi_k::union(&Host(&self.shared), knowledge) }
            }
            fn ProjectOntoItem(&self, item: *const u8) -> Result<ISyncKnowledge> {
                unsafe { abi_k::project_onto_item(&Host(&self.shared), item) }
            }
            fn ProjectOntoChangeUnit(
                &self,
                item: *const u8,
                unit: *const u8,
            ) -> Result<ISyncKnowledge> {
                unsafe { abi_k::project_onto_change_unit(&Host(&self.shared), item, unit) }
            }
            fn ProjectOntoRange(&self, range: *const SYNC_RANGE) -> Result<ISyncKnowledge> {
                unsafe { abi_k::project_onto_range(&Host(&self.shared), range) }
            }
            fn ExcludeItem(&self, item: *const u8) -> Result<()> {
                unsafe { abi_k::exclude_item(&Host(&self.shared), item) }
            }
            fn ExcludeChangeUnit(&self, item: *const u8, unit: *const u8) -> Result<()> {
                unsafe { abi_k::exclude_change_unit(&Host(&self.shared), item, unit) }
            }
            fn ContainsKnowledge(&self, knowledge: Ref<ISyncKnowledge>) -> HRESULT {
                unsafe { abi_k::contains_knowledge(&Host(&self.shared), knowledge) }
            }
            fn FindMinTickCountForReplica(&self, replica: *const u8, tick: *mut u64) -> Result<()> {
                unsafe {
                    abi_k::find_min_tick_count_for_replica(&Host(&self.shared), replica, tick)
                }
            }
            fn GetRangeExceptions(
                &self,
                riid: *const GUID,
                ppv: *mut *mut core::ffi::c_void,
            ) -> Result<()> {
                unsafe { abi_k::get_range_exceptions(&Host(&self.shared), riid, ppv) }
            }
            fn GetSingleItemExceptions(
                &self,
                riid: *const GUID,
                ppv: *mut *mut core::ffi::c_void,
            ) -> Result<()> {
                unsafe { abi_k::get_single_item_exceptions(&Host(&self.shared), riid, ppv) }
            }
            fn GetChangeUnitExceptions(
                &self,
                riid: *const GUID,
                ppv: *mut *mut core::ffi::c_void,
            ) -> Result<()> {
                unsafe { abi_k::get_change_unit_exceptions(&Host(&self.shared), riid, ppv) }
            }
            fn FindClockVectorForItem(
                &self,
                item: *const u8,
                riid: *const GUID,
                ppv: *mut *mut core::ffi::c_void,
            ) -> Result<()> {
                unsafe { abi_k::find_clock_vector_for_item(&Host(&self.shared), item, riid, ppv) }
            }
            fn FindClockVectorForChangeUnit(
                &self,
                item: *const u8,
                unit: *const u8,
                riid: *const GUID,
                ppv: *mut *mut core::ffi::c_void,
            ) -> Result<()> {
                unsafe {
                    abi_k::find_clock_vector_for_change_unit(
                        &Host(&self.shared),
                        item,
                        unit,
                        riid,
                        ppv,
                    )
                }
            }
            fn GetVersion(&self, version: *mut u32) -> Result<()> {
                unsafe { abi_k::get_version(&Host(&self.shared), version) }
            }
        }

        impl ISyncKnowledge2_Impl for $object {
            fn GetIdParameters(&self, parameters: *mut ID_PARAMETERS) -> Result<()> {
                unsafe { abi_k2::get_id_parameters(&Host(&self.shared), parameters) }
            }
            fn ProjectOntoColumnSet(
                &self,
                columns: *const *const u8,
                count: u32,
            ) -> Result<ISyncKnowledge2> {
                unsafe { abi_k2::project_onto_column_set(&Host(&self.shared), columns, count) }
            }
            fn SerializeWithOptions(
                &self,
                version: SYNC_SERIALIZATION_VERSION,
                flags: u32,
                pb: *mut u8,
                pcb: *mut u32,
            ) -> Result<()> {
                unsafe {
                    abi_k2::serialize_with_options(&Host(&self.shared), version, flags, pb, pcb)
                }
            }
            fn GetLowestUncontainedId(
                &self,
                other: Ref<ISyncKnowledge2>,
                pb: *mut u8,
                pcb: *mut u32,
            ) -> HRESULT {
                unsafe { abi_k2::get_lowest_uncontained_id(&Host(&self.shared), other, pb, pcb) }
            }
            fn GetInspector(
                &self,
                riid: *const GUID,
                ppv: *mut *mut core::ffi::c_void,
            ) -> Result<()> {
                unsafe { abi_k2::get_inspector(&Host(&self.shared), riid, ppv) }
            }
            fn GetMinimumSupportedVersion(
                &self,
                version: *mut SYNC_SERIALIZATION_VERSION,
            ) -> Result<()> {
                unsafe { abi_k2::get_minimum_supported_version(&Host(&self.shared), version) }
            }
            fn GetStatistics(&self, which: SYNC_STATISTICS, value: *mut u32) -> Result<()> {
                unsafe { abi_k2::get_statistics(&Host(&self.shared), which, value) }
            }
            fn ContainsKnowledgeForItem(
                &self,
                knowledge: Ref<ISyncKnowledge>,
                item: *const u8,
            ) -> HRESULT {
                unsafe { abi_k2::contains_knowledge_for_item(&Host(&self.shared), knowledge, item) }
            }
            fn ContainsKnowledgeForChangeUnit(
                &self,
                knowledge: Ref<ISyncKnowledge>,
                item: *const u8,
                unit: *const u8,
            ) -> HRESULT {
                unsafe {
                    abi_k2::contains_knowledge_for_change_unit(
                        &Host(&self.shared),
                        knowledge,
                        item,
                        unit,
                    )
                }
            }
            fn ProjectOntoKnowledgeWithPrerequisite(
                &self,
                prerequisite: Ref<ISyncKnowledge>,
                template: Ref<ISyncKnowledge>,
            ) -> Result<ISyncKnowledge> {
                unsafe {
                    abi_k2::project_onto_knowledge_with_prerequisite(
                        &Host(&self.shared),
                        prerequisite,
                        template,
                    )
                }
            }
            fn Complement(&self, knowledge: Ref<ISyncKnowledge>) -> Result<ISyncKnowledge> {
                unsafe { abi_k2::complement(&Host(&self.shared), knowledge) }
            }
            fn IntersectsWithKnowledge(&self, knowledge: Ref<ISyncKnowledge>) -> HRESULT {
                unsafe { abi_k2::intersects_with_knowledge(&Host(&self.shared), knowledge) }
            }
            fn GetKnowledgeCookie(&self) -> Result<IUnknown> {
                unsafe { abi_k2::get_knowledge_cookie(&Host(&self.shared)) }
            }
            fn CompareToKnowledgeCookie(
                &self,
                cookie: Ref<IUnknown>,
                result: *mut KNOWLEDGE_COOKIE_COMPARISON_RESULT,
            ) -> Result<()> {
                unsafe { abi_k2::compare_to_knowledge_cookie(&Host(&self.shared), cookie, result) }
            }
        }

        impl IEngineKnowledge_Impl for $object {
            unsafe fn Snapshot(&self, layout: u32, out: *mut *const core::ffi::c_void) -> HRESULT {
                snapshot_impl(&self.shared, layout, out)
            }
        }
    };
}

knowledge_impl!(KnowledgeObject_Impl);
knowledge_impl!(ForgottenObject_Impl);

impl IForgottenKnowledge_Impl for ForgottenObject_Impl {
    fn ForgetToVersion(
        &self,
        knowledge: Ref<ISyncKnowledge>,
        version: *const SYNC_VERSION,
    ) -> Result<()> {
        unsafe { abi_f::forget_to_version(&Host(&self.shared), knowledge, version) }
    }
}

impl IEngineKnowledge_Impl for CookieObject_Impl {
    unsafe fn Snapshot(&self, layout: u32, out: *mut *const core::ffi::c_void) -> HRESULT {
        snapshot_impl(&self.shared, layout, out)
    }
}

/// A new knowledge object over `knowledge` as a `ComObject`, for hosts that keep the Rust
/// side.
pub fn new_object(knowledge: Knowledge) -> ComObject<KnowledgeObject> {
    ComObject::new(KnowledgeObject {
        shared: Shared::new(knowledge, false),
    })
}

impl KnowledgeObject {
    /// The knowledge now.
    pub fn knowledge(&self) -> Arc<Knowledge> {
        self.shared.snapshot()
    }

    /// Parses the `ID_PARAMETERS` a provider reports and makes empty knowledge for `owner`.
    ///
    /// # Errors
    /// `E_INVALIDARG` for bad parameters; `SYNC_E_ID_FORMAT_MISMATCH` for an owner ID not of
    /// the replica format.
    pub fn empty(parameters: &ID_PARAMETERS, owner: &[u8]) -> Result<ComObject<Self>> {
        let formats = formats_of(parameters)?;
        Ok(new_object(engine(Knowledge::new(formats, owner))?))
    }
}

impl std::fmt::Debug for KnowledgeObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KnowledgeObject").finish_non_exhaustive()
    }
}
