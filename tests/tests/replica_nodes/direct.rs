//! A session's steps called on the providers' `IKnowledgeSyncProvider` vtables one by one,
//! so that a test can look at (or replace) what passes between them.

use windows_core::{HRESULT, IUnknown, Interface};
use winsync::bindings::{
    IKnowledgeSyncProvider, ISyncCallback, ISyncChangeBatch, ISyncFullEnumerationChangeBatch,
    ISyncKnowledge, ISyncSessionState, SPR_DESTINATION, SPR_SOURCE, SYNC_SESSION_STATISTICS,
    SYNC_VERSION,
};
use winsync::engine::Version;
use winsync::framework::session_state::SessionState;

use super::Node;

fn provider(node: &Node) -> IKnowledgeSyncProvider {
    node.to_interface()
}

fn state() -> ISyncSessionState {
    SessionState::new(None).to_interface()
}

/// The knowledge `node` sends (`GetSyncBatchParameters`).
pub fn knowledge(node: &Node) -> ISyncKnowledge {
    let (mut knowledge, mut size) = (None, 0);
    unsafe { provider(node).GetSyncBatchParameters(&mut knowledge, &mut size) }
        .ok()
        .unwrap();
    knowledge.unwrap()
}

/// The source's batch (of up to 100 changes) and data retriever for what `destination`
/// lacks, in a session of its own.
pub fn batch(source: &Node, destination: &Node) -> (ISyncChangeBatch, IUnknown) {
    let provider = provider(source);
    let state = state();
    let known = knowledge(destination);
    unsafe { provider.BeginSession(SPR_SOURCE, &state) }
        .ok()
        .unwrap();
    let (mut batch, mut retriever) = (None, None);
    unsafe { provider.GetChangeBatch(100, &known, &mut batch, &mut retriever) }
        .ok()
        .unwrap();
    unsafe { provider.EndSession(&state) }.ok().unwrap();
    (batch.unwrap(), retriever.unwrap())
}

/// The source's full-enumeration batch of up to `size` changes from `lower` for what
/// `destination` lacks, in a session of its own.
pub fn full_batch(
    source: &Node,
    destination: &Node,
    lower: &[u8],
    size: u32,
) -> (ISyncFullEnumerationChangeBatch, IUnknown) {
    let provider = provider(source);
    let state = state();
    let known = knowledge(destination);
    unsafe { provider.BeginSession(SPR_SOURCE, &state) }
        .ok()
        .unwrap();
    let (mut batch, mut retriever) = (None, None);
    unsafe {
        provider.GetFullEnumerationChangeBatch(
            size,
            lower.as_ptr(),
            &known,
            &mut batch,
            &mut retriever,
        )
    }
    .ok()
    .unwrap();
    unsafe { provider.EndSession(&state) }.ok().unwrap();
    (batch.unwrap(), retriever.unwrap())
}

/// What `ProcessChangeBatch` (`full`: `ProcessFullEnumerationChangeBatch`) answered on
/// `destination`, in a session of its own, and the statistics.
pub fn process_any(
    destination: &Node,
    batch: &IUnknown,
    retriever: &IUnknown,
    callback: &ISyncCallback,
    policy: i32,
    full: bool,
) -> (HRESULT, SYNC_SESSION_STATISTICS) {
    let provider = provider(destination);
    let state = state();
    unsafe { provider.BeginSession(SPR_DESTINATION, &state) }
        .ok()
        .unwrap();
    let mut statistics = SYNC_SESSION_STATISTICS::default();
    let answer = unsafe {
        if full {
            let batch: ISyncFullEnumerationChangeBatch = batch.cast().unwrap();
            provider.ProcessFullEnumerationChangeBatch(
                policy,
                &batch,
                retriever,
                callback,
                &mut statistics,
            )
        } else {
            let batch: ISyncChangeBatch = batch.cast().unwrap();
            provider.ProcessChangeBatch(policy, &batch, retriever, callback, &mut statistics)
        }
    };
    unsafe { provider.EndSession(&state) }.ok().unwrap();
    (answer, statistics)
}

/// [`process_any`] for a regular batch.
pub fn process(
    destination: &Node,
    batch: &impl Interface,
    retriever: &IUnknown,
    callback: &ISyncCallback,
    policy: i32,
) -> (HRESULT, SYNC_SESSION_STATISTICS) {
    process_any(
        destination,
        &batch.cast().unwrap(),
        retriever,
        callback,
        policy,
        false,
    )
}

/// `version` as the ABI has it.
pub fn sync_version(version: Version) -> SYNC_VERSION {
    SYNC_VERSION {
        dwLastUpdatingReplicaKey: version.replica_key,
        ullTickCount: version.tick,
    }
}

/// What `knowledge` (owned by `owner`) answers to `ContainsChange` for `item` at `version` (in
/// the owner's key space).
pub fn contains(
    knowledge: &ISyncKnowledge,
    owner: &[u8],
    item: &[u8],
    version: Version,
) -> HRESULT {
    let version = sync_version(version);
    unsafe { knowledge.ContainsChange(owner.as_ptr(), item.as_ptr(), &version) }
}

/// Whether `node`'s knowledge (through `GetSyncBatchParameters`) contains the version it
/// holds of `item`.
pub fn knows_its_item(node: &Node, owner: &[u8], item: &[u8]) -> bool {
    let held = node.provider().item(item).unwrap().change_version();
    contains(&knowledge(node), owner, item, held) == winsync::bindings::S_OK
}
