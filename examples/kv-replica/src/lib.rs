//! Example: a small but real Sync Framework provider, made with
//! `#[derive(winsync::SyncProvider)]`: an in-memory replica of key/value items with
//! versions, synchronized with another replica through the session driver
//! ([`winsync::framework::driver`]), with progress reported to a `#[derive(SyncCallback)]` callback.
//!
//! - [`KvReplica`] is the provider: items `key -> (value, version)`, where a [`Version`] is
//!   `(replica id, tick)`, a local tick counter, and a knowledge, the [`VersionVector`]
//!   `replica id -> highest tick seen`;
//! - [`KvKnowledge`] is its knowledge as an `ISyncKnowledge` COM object, [`KvChangeBatch`] a
//!   batch of changes as an `ISyncChangeBatch` and [`KvRetriever`] the data retriever that
//!   carries the changed values;
//! - [`ProgressPrinter`] records (and can print) the `OnProgress` events of a session.
//!
//! A session, as the driver runs it: the destination answers `GetSyncBatchParameters` with its
//! knowledge and a batch size; the source enumerates the changes that knowledge does not
//! contain, ordered by (replica id, tick), and hands them out batch by batch, the last one
//! marked with `SetLastBatch`; the destination applies each batch (last writer wins: the higher
//! tick, then the higher replica id), learns the knowledge the batch carries, and reports its
//! progress through the session state.
//!
//! The knowledge and change batches are this example's own objects, not the Sync Framework's
//! (`IProviderSyncServices::CreateSyncKnowledge`, `ISyncChangeBatch` from
//! `CreateChangeBatch`): both providers of a session are [`KvReplica`]s, which read each
//! other's objects directly, so the example runs anywhere, without the Sync Framework runtime.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use windows_core::{AsImpl, ComObject, Error, IUnknown, Interface, Result, implement};
use winsync::bindings::*;
use winsync::skeletons::{
    ConflictResolutionPolicy, KnowledgeSyncProvider, SyncCallback, SyncCallback2,
    SyncProgressStage, SyncProvider, SyncProviderRole,
};

pub use objects::{KvChangeBatch, KvKnowledge, KvRetriever};
use objects::{KvChangeBatch_Impl, KvKnowledge_Impl};

/// The identity of a replica. The ID format ([`KvReplica`]'s `GetIdParameters`) gives replica
/// ids a fixed length of 4 bytes: this value, little-endian.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReplicaId(pub u32);

impl fmt::Display for ReplicaId {
    /// `r` and the number, e.g. `r1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "r{}", self.0)
    }
}

/// The version of an item: the replica that last wrote it and that replica's tick at the time.
///
/// Versions are ordered for last-writer-wins: the higher tick wins, and on equal ticks the
/// higher replica id (the field order makes the derived `Ord` do exactly that).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// The writer's tick when it wrote the item.
    pub tick: u64,
    /// The replica that wrote the item.
    pub replica: ReplicaId,
}

impl fmt::Display for Version {
    /// `replica@tick`, e.g. `r1@3`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.replica, self.tick)
    }
}

/// A knowledge: for each replica, the highest tick of it whose changes are known. A version is
/// contained when its tick is at most the entry of its replica.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VersionVector(BTreeMap<ReplicaId, u64>);

impl VersionVector {
    /// An empty knowledge: it contains no version.
    pub fn new() -> Self {
        Self::default()
    }

    /// The highest tick of `replica` known, 0 when none.
    pub fn get(&self, replica: ReplicaId) -> u64 {
        self.0.get(&replica).copied().unwrap_or(0)
    }

    /// Whether the change with `version` is known.
    pub fn contains(&self, version: Version) -> bool {
        version.tick <= self.get(version.replica)
    }

    /// Raises the entry of `replica` to `tick` (never lowers it).
    pub fn observe(&mut self, replica: ReplicaId, tick: u64) {
        let entry = self.0.entry(replica).or_insert(0);
        *entry = (*entry).max(tick);
    }

    /// Learns everything `other` knows: the entry-wise maximum.
    pub fn union(&mut self, other: &VersionVector) {
        for (&replica, &tick) in &other.0 {
            self.observe(replica, tick);
        }
    }

    /// The entries, by replica id.
    pub fn entries(&self) -> impl Iterator<Item = (ReplicaId, u64)> + '_ {
        self.0.iter().map(|(&replica, &tick)| (replica, tick))
    }
}

impl fmt::Display for VersionVector {
    /// `{r1: 3, r2: 5}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, (replica, tick)) in self.entries().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{replica}: {tick}")?;
        }
        f.write_str("}")
    }
}

/// An item of a replica: its value and its version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// The value.
    pub value: String,
    /// Who wrote the value, and when.
    pub version: Version,
}

/// The metadata of one change in a [`KvChangeBatch`]: which item changed, to which version.
/// The value travels in the batch's [`KvRetriever`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KvChange {
    /// The item's key.
    pub key: String,
    /// The item's version at the source.
    pub version: Version,
}

/// Holds the `#[implement]` structs, so that the `*_Impl` types the macro generates
/// (undocumented) stay private to this module.
mod objects {
    use super::{
        AtomicBool, BTreeMap, ISyncChangeBatch, ISyncChangeBatchBase, ISyncKnowledge, KvChange,
        ReplicaId, VersionVector, implement,
    };

    /// A replica's knowledge as an `ISyncKnowledge`: its owner and its [`VersionVector`].
    ///
    /// `GetOwnerReplicaId` is real; every other method answers `E_NOTIMPL` (the example's
    /// providers read the version vector directly, see [`KvReplica`](super::KvReplica)).
    #[implement(ISyncKnowledge)]
    pub struct KvKnowledge {
        pub(super) owner: ReplicaId,
        pub(super) vector: VersionVector,
    }

    /// A batch of changes as an `ISyncChangeBatch`: the changes' metadata, the knowledge the
    /// destination learns by applying the batch, and whether it is the last batch of the
    /// session.
    ///
    /// `GetIsLastBatch`, `SetLastBatch`, `GetWorkEstimateForBatch` and `GetLearnedKnowledge`
    /// are real; every other method answers `E_NOTIMPL`.
    #[implement(ISyncChangeBatch, ISyncChangeBatchBase)]
    pub struct KvChangeBatch {
        pub(super) owner: ReplicaId,
        pub(super) changes: Vec<KvChange>,
        pub(super) learned: VersionVector,
        pub(super) last: AtomicBool,
    }

    /// The data retriever of a [`KvChangeBatch`] (a plain `IUnknown`): the values of the
    /// batch's changes, by key.
    #[implement()]
    pub struct KvRetriever {
        pub(super) values: BTreeMap<String, String>,
    }
}

impl KvKnowledge {
    /// The replica whose knowledge this is.
    pub fn owner(&self) -> ReplicaId {
        self.owner
    }

    /// The version vector.
    pub fn version_vector(&self) -> &VersionVector {
        &self.vector
    }
}

impl KvChangeBatch {
    /// The changes, in the order the source enumerated them.
    pub fn changes(&self) -> &[KvChange] {
        &self.changes
    }

    /// What the destination knows once it applied this batch (and every batch before it).
    pub fn learned_knowledge(&self) -> &VersionVector {
        &self.learned
    }

    /// Whether the source marked this batch as the last of the session.
    pub fn is_last(&self) -> bool {
        self.last.load(Ordering::SeqCst)
    }
}

impl KvRetriever {
    /// The value of the change to `key`, if the batch holds one.
    pub fn value(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }
}

/// The mutable state of a replica.
#[derive(Default)]
struct Store {
    items: BTreeMap<String, Item>,
    /// The local clock: the tick of the last local write, raised past every tick received.
    tick: u64,
    knowledge: VersionVector,
}

/// The enumeration of the source side of a session: the changes the destination lacks, found
/// at the first `GetChangeBatch` of the session, and how many were handed out.
struct Cursor {
    /// The changes with their values, ordered by (replica id, tick).
    pending: Vec<(KvChange, String)>,
    /// The source's knowledge when the enumeration started.
    knowledge: VersionVector,
    /// How many of `pending` were handed out.
    sent: usize,
}

impl Cursor {
    /// What the destination knows once it applied `pending[..end]`: every change of the
    /// replicas enumerated completely (the source's whole knowledge of them), and of the
    /// replica being enumerated, the ticks before the next change; at the end, the source's
    /// whole knowledge.
    fn learned(&self, end: usize) -> VersionVector {
        let Some((next, _)) = self.pending.get(end) else {
            return self.knowledge.clone();
        };
        let mut learned = VersionVector::new();
        for (replica, tick) in self.knowledge.entries() {
            if replica < next.version.replica {
                learned.observe(replica, tick);
            }
        }
        learned.observe(next.version.replica, next.version.tick.saturating_sub(1));
        learned
    }
}

/// The session state a provider received at `BeginSession`, kept to report progress.
struct SessionStateRef(ISyncSessionState);

// SAFETY: the Sync Framework calls a provider on the session's thread; the provider calls the
// session state only from inside those calls (to report progress) and releases it at
// EndSession. Holding it in a `Mutex` of a `Send + Sync` provider moves no call to another
// thread.
unsafe impl Send for SessionStateRef {}

/// The session a replica is enlisted in.
struct Session {
    state: SessionStateRef,
    /// The source's enumeration, from the first `GetChangeBatch` on.
    cursor: Option<Cursor>,
}

/// The provider: an in-memory replica of key/value items with versions.
///
/// `#[derive(winsync::SyncProvider)]` makes it a checked COM object
/// (`into_provider()` / `into_object()` of [`DerivedProvider`](winsync::framework::provider::DerivedProvider)):
/// the session order and the roles are checked before its [`KnowledgeSyncProvider`] methods run.
#[derive(winsync::SyncProvider)]
pub struct KvReplica {
    id: ReplicaId,
    batch_size: u32,
    store: Mutex<Store>,
    session: Mutex<Option<Session>>,
}

impl fmt::Debug for KvReplica {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KvReplica")
            .field("id", &self.id)
            .field("batch_size", &self.batch_size)
            .field("items", &self.items())
            .field("knowledge", &self.knowledge())
            .finish()
    }
}

/// Locks a mutex; the replica's state stays consistent under a panic (every update completes
/// before the next can panic), so a poisoned lock is used as is.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl KvReplica {
    /// The batch size a replica asks for unless told otherwise ([`with_batch_size`](Self::with_batch_size)).
    pub const DEFAULT_BATCH_SIZE: u32 = 2;

    /// An empty replica with id `id`, asking for batches of [`DEFAULT_BATCH_SIZE`](Self::DEFAULT_BATCH_SIZE).
    pub fn new(id: ReplicaId) -> Self {
        Self {
            id,
            batch_size: Self::DEFAULT_BATCH_SIZE,
            store: Mutex::new(Store::default()),
            session: Mutex::new(None),
        }
    }

    /// The replica, asking for batches of `batch_size` changes (at least 1) as a destination.
    pub fn with_batch_size(mut self, batch_size: u32) -> Self {
        self.batch_size = batch_size.max(1);
        self
    }

    /// The replica's id.
    pub fn id(&self) -> ReplicaId {
        self.id
    }

    /// The batch size the replica asks for as a destination.
    pub fn batch_size(&self) -> u32 {
        self.batch_size
    }

    /// Writes `value` under `key`: the local tick advances, the item gets the version
    /// `(this replica, tick)`, and the knowledge learns it. Returns the new version.
    pub fn put(&self, key: impl Into<String>, value: impl Into<String>) -> Version {
        let mut store = lock(&self.store);
        store.tick += 1;
        let version = Version {
            tick: store.tick,
            replica: self.id,
        };
        store.items.insert(
            key.into(),
            Item {
                value: value.into(),
                version,
            },
        );
        store.knowledge.observe(self.id, version.tick);
        version
    }

    /// The value under `key`, if any.
    pub fn get(&self, key: &str) -> Option<String> {
        lock(&self.store)
            .items
            .get(key)
            .map(|item| item.value.clone())
    }

    /// The item under `key` (value and version), if any.
    pub fn item(&self, key: &str) -> Option<Item> {
        lock(&self.store).items.get(key).cloned()
    }

    /// Every item, by key.
    pub fn items(&self) -> BTreeMap<String, Item> {
        lock(&self.store).items.clone()
    }

    /// Every value, by key (the items without their versions).
    pub fn values(&self) -> BTreeMap<String, String> {
        lock(&self.store)
            .items
            .iter()
            .map(|(key, item)| (key.clone(), item.value.clone()))
            .collect()
    }

    /// The replica's knowledge.
    pub fn knowledge(&self) -> VersionVector {
        lock(&self.store).knowledge.clone()
    }

    /// The session state of the active session, to report progress through.
    fn session_state(&self) -> Option<ISyncSessionState> {
        lock(&self.session)
            .as_ref()
            .map(|session| session.state.0.clone())
    }

    /// Reports progress through the session state, if a session is active.
    fn report(&self, role: SYNC_PROVIDER_ROLE, stage: SYNC_PROGRESS_STAGE, done: u32, total: u32) {
        if let Some(state) = self.session_state() {
            // Progress is informational: a callback that fails it does not fail the session.
            let _ = unsafe { state.OnProgress(role, stage, done, total) }.ok();
        }
    }

    /// The changes `destination` lacks, with their values, ordered by (replica id, tick).
    fn changes_missing_from(&self, destination: &VersionVector) -> Cursor {
        let store = lock(&self.store);
        let mut pending: Vec<(KvChange, String)> = store
            .items
            .iter()
            .filter(|(_, item)| !destination.contains(item.version))
            .map(|(key, item)| {
                (
                    KvChange {
                        key: key.clone(),
                        version: item.version,
                    },
                    item.value.clone(),
                )
            })
            .collect();
        pending.sort_by_key(|(change, _)| (change.version.replica, change.version.tick));
        Cursor {
            pending,
            knowledge: store.knowledge.clone(),
            sent: 0,
        }
    }

    /// Applies one change from another replica; returns whether it was applied (it is not
    /// when the local version is the same or newer).
    fn apply(&self, change: &KvChange, value: &str) -> bool {
        let mut store = lock(&self.store);
        // Lamport clock: a later local write gets a higher tick than anything seen.
        store.tick = store.tick.max(change.version.tick);
        store
            .knowledge
            .observe(change.version.replica, change.version.tick);
        let newer = store
            .items
            .get(&change.key)
            .is_none_or(|local| change.version > local.version);
        if newer {
            store.items.insert(
                change.key.clone(),
                Item {
                    value: value.to_string(),
                    version: change.version,
                },
            );
        }
        newer
    }
}

/// The size of a `SYNC_GID`: `ULONGLONG ullGidPrefix` and `GUID guidUniqueId`.
const SYNC_GID_SIZE: usize = 8 + 16;

/// A length as the `u32` of the ABI (saturating; the example's lengths are small).
fn u32_len(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

impl SyncProvider for KvReplica {
    fn get_id_parameters(&self, id_parameters: &mut ID_PARAMETERS) -> Result<()> {
        let fixed = |size: usize| ID_PARAMETER_PAIR {
            fIsVariable: false.into(),
            cbIdSize: u16::try_from(size).unwrap_or(u16::MAX),
        };
        *id_parameters = ID_PARAMETERS {
            dwSize: u32_len(size_of::<ID_PARAMETERS>()),
            // A ReplicaId: 4 bytes.
            replicaId: fixed(size_of::<u32>()),
            // The Sync Framework's usual item id, a SYNC_GID (an 8-byte prefix and a GUID). This
            // example's keys travel in its own change batches, never as Sync Framework item
            // ids; a provider using the Sync Framework's batches would give each key a SYNC_GID.
            itemId: fixed(SYNC_GID_SIZE),
            // Items are not divided into change units; the format still needs a size.
            changeUnitId: fixed(1),
        };
        Ok(())
    }
}

impl KnowledgeSyncProvider for KvReplica {
    fn begin_session(
        &self,
        _role: SyncProviderRole,
        session_state: &ISyncSessionState,
    ) -> Result<()> {
        // The derive's glue already refused a second BeginSession and keeps the role; this
        // replica keeps the session state (for progress) and a fresh cursor.
        *lock(&self.session) = Some(Session {
            state: SessionStateRef(session_state.clone()),
            cursor: None,
        });
        Ok(())
    }

    fn get_sync_batch_parameters(&self, requested_batch_size: &mut u32) -> Result<ISyncKnowledge> {
        *requested_batch_size = self.batch_size;
        let knowledge = KvKnowledge {
            owner: self.id,
            vector: self.knowledge(),
        };
        Ok(ComObject::new(knowledge).to_interface())
    }

    fn get_change_batch(
        &self,
        batch_size: u32,
        sync_knowledge: &ISyncKnowledge,
    ) -> Result<(ISyncChangeBatch, IUnknown)> {
        // The destination's knowledge, as the Rust object behind the interface.
        //
        // `as_impl` trusts the caller that `sync_knowledge` is a `KvKnowledge`. That holds
        // here: both providers of a session are `KvReplica`s, so the destination's knowledge
        // comes from `get_sync_batch_parameters` above; and `is_object` (windows-core's
        // checked dynamic cast, which only `#[implement]` objects answer) confirms it first,
        // so a foreign knowledge is refused instead of misread. An `ISyncKnowledge` pointer to
        // a `KvKnowledge` points at its `ISyncKnowledge` vtable slot, which is what `as_impl`
        // walks back from. (`cast_object_ref` would do both steps safely.)
        //
        // A production provider would instead use the Sync Framework's knowledge objects
        // (`IProviderSyncServices::CreateSyncKnowledge`), map the remote knowledge with
        // `ISyncKnowledge::MapRemoteToLocal` and ask it `ContainsChange` for each item,
        // working with any other provider.
        if !sync_knowledge.is_object::<KvKnowledge>() {
            return Err(Error::new(
                E_INVALIDARG,
                "the destination's knowledge is not a KvKnowledge: this example synchronizes KvReplicas only",
            ));
        }
        let knowledge: &KvKnowledge = unsafe { sync_knowledge.as_impl() };

        let (changes, values, learned, last, sent, total) = {
            let mut session = lock(&self.session);
            // The glue only lets a source in a session get here.
            let Some(session) = session.as_mut() else {
                return Err(E_UNEXPECTED.into());
            };
            let cursor = session
                .cursor
                .get_or_insert_with(|| self.changes_missing_from(&knowledge.vector));
            let end = cursor
                .pending
                .len()
                .min(cursor.sent.saturating_add(batch_size.max(1) as usize));
            let slice = &cursor.pending[cursor.sent..end];
            let changes: Vec<KvChange> = slice.iter().map(|(change, _)| change.clone()).collect();
            let values: BTreeMap<String, String> = slice
                .iter()
                .map(|(change, value)| (change.key.clone(), value.clone()))
                .collect();
            let learned = cursor.learned(end);
            cursor.sent = end;
            (
                changes,
                values,
                learned,
                end == cursor.pending.len(),
                end,
                cursor.pending.len(),
            )
        };

        let batch: ISyncChangeBatch = ComObject::new(KvChangeBatch {
            owner: self.id,
            changes,
            learned,
            last: AtomicBool::new(false),
        })
        .to_interface();
        if last {
            // No changes are left: mark the batch before handing it out
            // (NF:winsync.IKnowledgeSyncProvider.GetChangeBatch).
            unsafe { batch.SetLastBatch() }.ok()?;
        }
        let retriever: IUnknown = ComObject::new(KvRetriever { values }).to_interface();
        self.report(
            SPR_SOURCE,
            SPS_CHANGE_ENUMERATION,
            u32_len(sent),
            u32_len(total),
        );
        Ok((batch, retriever))
    }

    fn get_full_enumeration_change_batch(
        &self,
        _batch_size: u32,
        _lower_enumeration_bound: *const u8,
        _sync_knowledge: &ISyncKnowledge,
    ) -> Result<(ISyncFullEnumerationChangeBatch, IUnknown)> {
        // This replica forgets nothing, so a destination never needs a full enumeration.
        Err(E_NOTIMPL.into())
    }

    fn process_change_batch(
        &self,
        _resolution_policy: ConflictResolutionPolicy,
        source_change_batch: &ISyncChangeBatch,
        unk_data_retriever: &IUnknown,
        _callback: &ISyncCallback,
        sync_session_statistics: &mut SYNC_SESSION_STATISTICS,
    ) -> Result<()> {
        // Conflicts are resolved by last writer wins whatever the policy: the example raises
        // no OnConflict. The batch and the retriever are recovered with windows-core's checked
        // downcast (`cast_object_ref`), which refuses objects that are not this example's.
        let batch = source_change_batch
            .cast_object_ref::<KvChangeBatch>()
            .map_err(|_| {
                Error::new(
                    E_INVALIDARG,
                    "the change batch is not a KvChangeBatch: this example synchronizes KvReplicas only",
                )
            })?;
        let retriever = unk_data_retriever
            .cast_object_ref::<KvRetriever>()
            .map_err(|_| {
                Error::new(
                    E_INVALIDARG,
                    "the data retriever is not a KvRetriever: this example synchronizes KvReplicas only",
                )
            })?;
        let total = u32_len(batch.changes.len());
        for (done, change) in (1..).zip(&batch.changes) {
            let Some(value) = retriever.value(&change.key) else {
                sync_session_statistics.dwChangesFailed += 1;
                continue;
            };
            if self.apply(change, value) {
                sync_session_statistics.dwChangesApplied += 1;
            }
            self.report(SPR_DESTINATION, SPS_CHANGE_APPLICATION, done, total);
        }
        lock(&self.store).knowledge.union(&batch.learned);
        Ok(())
    }

    fn process_full_enumeration_change_batch(
        &self,
        _resolution_policy: ConflictResolutionPolicy,
        _source_change_batch: &ISyncFullEnumerationChangeBatch,
        _unk_data_retriever: &IUnknown,
        _callback: &ISyncCallback,
        _sync_session_statistics: &mut SYNC_SESSION_STATISTICS,
    ) -> Result<()> {
        // No source of this example sends full-enumeration batches.
        Err(E_NOTIMPL.into())
    }

    fn end_session(&self, _session_state: &ISyncSessionState) -> Result<()> {
        // Releases the session state and drops the cursor.
        drop(lock(&self.session).take());
        Ok(())
    }
}

/// One `OnProgress` event of a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProgressEvent {
    /// The role of the provider the event is about.
    pub role: SyncProviderRole,
    /// The stage of the session.
    pub stage: SyncProgressStage,
    /// The work completed.
    pub completed: u32,
    /// The total work, 0 when not known (the driver's per-batch events).
    pub total: u32,
}

impl fmt::Display for ProgressEvent {
    /// `destination  change application    1/2`; without a total, the completed work alone.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let role = match self.role {
            SyncProviderRole::Source => "source",
            SyncProviderRole::Destination => "destination",
        };
        let stage = match self.stage {
            SyncProgressStage::ChangeDetection => "change detection",
            SyncProgressStage::ChangeEnumeration => "change enumeration",
            SyncProgressStage::ChangeApplication => "change application",
        };
        if self.total == 0 {
            write!(f, "{role:<12} {stage:<19} batch {}", self.completed)
        } else {
            write!(
                f,
                "{role:<12} {stage:<19} {}/{}",
                self.completed, self.total
            )
        }
    }
}

/// A session callback that records every `OnProgress` event and, when made with
/// [`printing`](Self::printing), prints it as it comes.
#[derive(winsync::SyncCallback, Debug, Default)]
pub struct ProgressPrinter {
    print: bool,
    events: Mutex<Vec<ProgressEvent>>,
}

impl ProgressPrinter {
    /// A callback that records the events without printing them.
    pub fn new() -> Self {
        Self::default()
    }

    /// A callback that records the events and prints each on standard output, indented.
    pub fn printing() -> Self {
        Self {
            print: true,
            ..Self::default()
        }
    }

    /// The events recorded so far, in order.
    pub fn events(&self) -> Vec<ProgressEvent> {
        lock(&self.events).clone()
    }

    /// Forgets the events recorded so far.
    pub fn clear(&self) {
        lock(&self.events).clear();
    }
}

impl SyncCallback for ProgressPrinter {
    fn on_progress(
        &self,
        provider: SyncProviderRole,
        stage: SyncProgressStage,
        completed_work: u32,
        total_work: u32,
    ) -> Result<()> {
        let event = ProgressEvent {
            role: provider,
            stage,
            completed: completed_work,
            total: total_work,
        };
        if self.print {
            println!("  progress: {event}");
        }
        lock(&self.events).push(event);
        Ok(())
    }
}

impl SyncCallback2 for ProgressPrinter {}

impl ISyncKnowledge_Impl for KvKnowledge_Impl {
    fn GetOwnerReplicaId(&self, pbreplicaid: *mut u8, pcbidsize: *mut u32) -> Result<()> {
        const SIZE: u32 = 4;
        // SAFETY: the COM caller passes null or a valid pointer.
        let Some(size) = (unsafe { pcbidsize.as_mut() }) else {
            return Err(E_POINTER.into());
        };
        if pbreplicaid.is_null() || *size < SIZE {
            *size = SIZE;
            return Err(winsync::framework::session_state::HRESULT_MORE_DATA.into());
        }
        let bytes = self.owner.0.to_le_bytes();
        // SAFETY: not null, and the caller's contract makes it writable for *pcbIdSize >= 4
        // bytes.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), pbreplicaid, bytes.len()) };
        *size = SIZE;
        Ok(())
    }
    fn Serialize(
        &self,
        _fserializereplicakeymap: windows_core::BOOL,
        _pbknowledge: *mut u8,
        _pcbknowledge: *mut u32,
    ) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn SetLocalTickCount(&self, _ulltickcount: u64) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn ContainsChange(
        &self,
        _pbversionownerreplicaid: *const u8,
        _pgiditemid: *const u8,
        _psyncversion: *const SYNC_VERSION,
    ) -> windows_core::HRESULT {
        E_NOTIMPL
    }
    fn ContainsChangeUnit(
        &self,
        _pbversionownerreplicaid: *const u8,
        _pbitemid: *const u8,
        _pbchangeunitid: *const u8,
        _psyncversion: *const SYNC_VERSION,
    ) -> windows_core::HRESULT {
        E_NOTIMPL
    }
    fn GetScopeVector(
        &self,
        _riid: *const windows_core::GUID,
        _ppunk: *mut *mut core::ffi::c_void,
    ) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn GetReplicaKeyMap(&self) -> Result<IReplicaKeyMap> {
        Err(E_NOTIMPL.into())
    }
    fn Clone(&self) -> Result<ISyncKnowledge> {
        Err(E_NOTIMPL.into())
    }
    fn ConvertVersion(
        &self,
        _pknowledgein: windows_core::Ref<ISyncKnowledge>,
        _pbcurrentownerid: *const u8,
        _pversionin: *const SYNC_VERSION,
        _pbnewownerid: *mut u8,
        _pcbidsize: *mut u32,
        _pversionout: *mut SYNC_VERSION,
    ) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn MapRemoteToLocal(
        &self,
        _premoteknowledge: windows_core::Ref<ISyncKnowledge>,
    ) -> Result<ISyncKnowledge> {
        Err(E_NOTIMPL.into())
    }
    fn Union(&self, _pknowledge: windows_core::Ref<ISyncKnowledge>) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn ProjectOntoItem(&self, _pbitemid: *const u8) -> Result<ISyncKnowledge> {
        Err(E_NOTIMPL.into())
    }
    fn ProjectOntoChangeUnit(
        &self,
        _pbitemid: *const u8,
        _pbchangeunitid: *const u8,
    ) -> Result<ISyncKnowledge> {
        Err(E_NOTIMPL.into())
    }
    fn ProjectOntoRange(&self, _psrngsyncrange: *const SYNC_RANGE) -> Result<ISyncKnowledge> {
        Err(E_NOTIMPL.into())
    }
    fn ExcludeItem(&self, _pbitemid: *const u8) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn ExcludeChangeUnit(&self, _pbitemid: *const u8, _pbchangeunitid: *const u8) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn ContainsKnowledge(
        &self,
        _pknowledge: windows_core::Ref<ISyncKnowledge>,
    ) -> windows_core::HRESULT {
        E_NOTIMPL
    }
    fn FindMinTickCountForReplica(
        &self,
        _pbreplicaid: *const u8,
        _pullreplicatickcount: *mut u64,
    ) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn GetRangeExceptions(
        &self,
        _riid: *const windows_core::GUID,
        _ppunk: *mut *mut core::ffi::c_void,
    ) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn GetSingleItemExceptions(
        &self,
        _riid: *const windows_core::GUID,
        _ppunk: *mut *mut core::ffi::c_void,
    ) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn GetChangeUnitExceptions(
        &self,
        _riid: *const windows_core::GUID,
        _ppunk: *mut *mut core::ffi::c_void,
    ) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn FindClockVectorForItem(
        &self,
        _pbitemid: *const u8,
        _riid: *const windows_core::GUID,
        _ppunk: *mut *mut core::ffi::c_void,
    ) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn FindClockVectorForChangeUnit(
        &self,
        _pbitemid: *const u8,
        _pbchangeunitid: *const u8,
        _riid: *const windows_core::GUID,
        _ppunk: *mut *mut core::ffi::c_void,
    ) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn GetVersion(&self, _pdwversion: *mut u32) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
}

impl ISyncChangeBatchBase_Impl for KvChangeBatch_Impl {
    fn GetChangeEnumerator(&self) -> Result<IEnumSyncChanges> {
        Err(E_NOTIMPL.into())
    }
    fn GetIsLastBatch(&self, pflastbatch: *mut windows_core::BOOL) -> Result<()> {
        if pflastbatch.is_null() {
            return Err(E_POINTER.into());
        }
        // SAFETY: not null, and the COM caller's contract makes it writable.
        unsafe { pflastbatch.write(self.is_last().into()) };
        Ok(())
    }
    fn GetWorkEstimateForBatch(&self, pdwworkforbatch: *mut u32) -> Result<()> {
        if pdwworkforbatch.is_null() {
            return Err(E_POINTER.into());
        }
        // SAFETY: not null, and the COM caller's contract makes it writable.
        unsafe { pdwworkforbatch.write(u32_len(self.changes.len())) };
        Ok(())
    }
    fn GetRemainingWorkEstimateForSession(
        &self,
        _pdwremainingworkforsession: *mut u32,
    ) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn BeginOrderedGroup(&self, _pblowerbound: *const u8) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn EndOrderedGroup(
        &self,
        _pbupperbound: *const u8,
        _pmadewithknowledge: windows_core::Ref<ISyncKnowledge>,
    ) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn AddItemMetadataToGroup(
        &self,
        _pbownerreplicaid: *const u8,
        _pbitemid: *const u8,
        _pchangeversion: *const SYNC_VERSION,
        _pcreationversion: *const SYNC_VERSION,
        _dwflags: u32,
        _dwworkforchange: u32,
    ) -> Result<ISyncChangeBuilder> {
        Err(E_NOTIMPL.into())
    }
    fn GetLearnedKnowledge(&self) -> Result<ISyncKnowledge> {
        Ok(ComObject::new(KvKnowledge {
            owner: self.owner,
            vector: self.learned.clone(),
        })
        .to_interface())
    }
    fn GetPrerequisiteKnowledge(&self) -> Result<ISyncKnowledge> {
        Err(E_NOTIMPL.into())
    }
    fn GetSourceForgottenKnowledge(&self) -> Result<IForgottenKnowledge> {
        Err(E_NOTIMPL.into())
    }
    fn SetLastBatch(&self) -> Result<()> {
        self.last.store(true, Ordering::SeqCst);
        Ok(())
    }
    fn SetWorkEstimateForBatch(&self, _dwworkforbatch: u32) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn SetRemainingWorkEstimateForSession(&self, _dwremainingworkforsession: u32) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn Serialize(&self, _pbchangebatch: *mut u8, _pcbchangebatch: *mut u32) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
}

impl ISyncChangeBatch_Impl for KvChangeBatch_Impl {
    fn BeginUnorderedGroup(&self) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn EndUnorderedGroup(
        &self,
        _pmadewithknowledge: windows_core::Ref<ISyncKnowledge>,
        _fallchangesforknowledge: windows_core::BOOL,
    ) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn AddLoggedConflict(
        &self,
        _pbownerreplicaid: *const u8,
        _pbitemid: *const u8,
        _pchangeversion: *const SYNC_VERSION,
        _pcreationversion: *const SYNC_VERSION,
        _dwflags: u32,
        _dwworkforchange: u32,
        _pconflictknowledge: windows_core::Ref<ISyncKnowledge>,
    ) -> Result<ISyncChangeBuilder> {
        Err(E_NOTIMPL.into())
    }
}

/// The replica and the callback are handed to COM objects used from the session's thread and
/// the callers': both must be `Send + Sync`.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<KvReplica>();
    send_sync::<ProgressPrinter>();
};
