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

mod host;
mod host2;
mod vtables;

use host::Host;

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
