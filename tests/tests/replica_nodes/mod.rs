//! Shared by the tests of providers built on the engine: an in-memory item store, a node (a
//! checked `ReplicaProvider` over it), an application callback that resolves conflicts with a
//! fixed action and counts what it sees, and one session through the driver; a session's steps
//! one by one ([`direct`]), objects of "another implementation" ([`foreign`]), and a callback
//! that records what a destination reports ([`recorder`]).
// Each test file uses part of it.
#![allow(dead_code)]

pub mod direct;
pub mod foreign;
pub mod recorder;

use std::collections::BTreeMap;
use std::sync::Mutex;

use windows_core::{Interface, Ref, Result, implement};
use winsync::bindings::{
    IChangeConflict, IKnowledgeSyncProvider, IRecoverableError, ISyncCallback, ISyncCallback_Impl,
    ISyncCallback2, ISyncCallback2_Impl, ISyncChange, SFEA_FULL_ENUMERATION,
    SYNC_FULL_ENUMERATION_ACTION, SYNC_PROGRESS_STAGE, SYNC_PROVIDER_ROLE, SYNC_RESOLVE_ACTION,
};
use winsync::engine::IdFormats;
use winsync::engine::sync::ItemError;
use winsync::framework::driver::{SyncOptions, synchronize};
use winsync::framework::provider::ProviderObject;
use winsync::framework::replica::data::{IItemData, bytes_of};
use winsync::framework::replica::{ItemStore, ReplicaProvider};

#[derive(Default)]
pub struct Memory(pub Mutex<BTreeMap<Vec<u8>, Vec<u8>>>);

impl Memory {
    pub fn snapshot(&self) -> BTreeMap<Vec<u8>, Vec<u8>> {
        self.0.lock().unwrap().clone()
    }
}

impl ItemStore for Memory {
    fn load(&self, item: &[u8]) -> std::result::Result<Vec<u8>, ItemError> {
        self.0
            .lock()
            .unwrap()
            .get(item)
            .cloned()
            .ok_or_else(|| ItemError("no such item".into()))
    }
    fn save(&self, item: &[u8], data: &[u8]) -> std::result::Result<(), ItemError> {
        self.0.lock().unwrap().insert(item.to_vec(), data.to_vec());
        Ok(())
    }
    fn delete(&self, item: &[u8]) -> std::result::Result<(), ItemError> {
        self.0.lock().unwrap().remove(item);
        Ok(())
    }
    fn merge(&self, item: &[u8], data: &[u8]) -> std::result::Result<(), ItemError> {
        let mut map = self.0.lock().unwrap();
        let mut merged = map.get(item).cloned().unwrap_or_default();
        merged.extend_from_slice(b"+");
        merged.extend_from_slice(data);
        map.insert(item.to_vec(), merged);
        Ok(())
    }
}

pub type Node = windows_core::ComObject<ProviderObject<ReplicaProvider<Memory>>>;

pub fn node(id: u8) -> Node {
    ProviderObject::new(
        ReplicaProvider::new(IdFormats::GUID_GID, &[id; 16], Memory::default(), 3).unwrap(),
    )
}

pub fn item(n: u8) -> [u8; 24] {
    let mut id = [0; 24];
    id[0] = n;
    id
}

pub fn data(node: &Node) -> BTreeMap<Vec<u8>, Vec<u8>> {
    node.provider().store().snapshot()
}

/// The application: resolves conflicts with a fixed action (checking what the conflict shows),
/// counts changes, chooses full enumeration.
#[implement(ISyncCallback, ISyncCallback2)]
pub struct App {
    pub action: SYNC_RESOLVE_ACTION,
    pub conflicts: Mutex<Vec<(Vec<u8>, Vec<u8>)>>,
    pub changes: Mutex<u32>,
    pub totals: Mutex<(u32, u32)>,
    pub full_enumerations: Mutex<u32>,
}

pub fn app(action: SYNC_RESOLVE_ACTION) -> windows_core::ComObject<App> {
    windows_core::ComObject::new(App {
        action,
        conflicts: Mutex::new(Vec::new()),
        changes: Mutex::new(0),
        totals: Mutex::new((0, 0)),
        full_enumerations: Mutex::new(0),
    })
}

impl ISyncCallback_Impl for App_Impl {
    fn OnProgress(
        &self,
        _: SYNC_PROVIDER_ROLE,
        _: SYNC_PROGRESS_STAGE,
        _: u32,
        _: u32,
    ) -> Result<()> {
        Ok(())
    }
    fn OnChange(&self, change: Ref<ISyncChange>) -> Result<()> {
        change.ok()?;
        *self.changes.lock().unwrap() += 1;
        Ok(())
    }
    fn OnConflict(&self, conflict: Ref<IChangeConflict>) -> Result<()> {
        let conflict = conflict.ok()?;
        let source: IItemData = unsafe { conflict.GetSourceProviderConflictingData() }?.cast()?;
        let destination: IItemData =
            unsafe { conflict.GetDestinationProviderConflictingData() }?.cast()?;
        self.conflicts
            .lock()
            .unwrap()
            .push((bytes_of(&source)?, bytes_of(&destination)?));
        unsafe { conflict.SetResolveActionForChange(self.action) }.ok()
    }
    fn OnFullEnumerationNeeded(&self, action: *mut SYNC_FULL_ENUMERATION_ACTION) -> Result<()> {
        *self.full_enumerations.lock().unwrap() += 1;
        unsafe { action.write(SFEA_FULL_ENUMERATION) };
        Ok(())
    }
    fn OnRecoverableError(&self, _: Ref<IRecoverableError>) -> Result<()> {
        Ok(())
    }
}

impl ISyncCallback2_Impl for App_Impl {
    fn OnChangeApplied(&self, applied: u32, failed: u32) -> Result<()> {
        *self.totals.lock().unwrap() = (applied, failed);
        Ok(())
    }
    fn OnChangeFailed(&self, applied: u32, failed: u32) -> Result<()> {
        *self.totals.lock().unwrap() = (applied, failed);
        Ok(())
    }
}

pub fn sync(
    from: &Node,
    to: &Node,
    callback: &ISyncCallback,
    policy: i32,
) -> winsync::framework::driver::SyncReport {
    let source: IKnowledgeSyncProvider = from.to_interface();
    let destination: IKnowledgeSyncProvider = to.to_interface();
    let options = SyncOptions {
        resolution_policy: policy,
        ..SyncOptions::default()
    };
    synchronize(&source, &destination, Some(callback), &options).unwrap()
}
