//! The replica key map of a knowledge object as COM: `IReplicaKeyMap` and
//! `IConstructReplicaKeyMap` (`NN:winsync.IReplicaKeyMap`, `NN:winsync.IConstructReplicaKeyMap`).
//!
//! The map is a live view of its knowledge object's map: `FindOrAddReplica` adds to the
//! knowledge itself (so later clock vectors of that knowledge may use the new key), and a
//! replica the knowledge learns later is found by `LookupReplicaKey`. Keys are never removed or
//! reassigned (see [`winsync_engine::ReplicaKeyMap`]), so a key once looked up keeps its
//! meaning. `Serialize` writes the engine's key map format
//! ([`winsync_engine::ReplicaKeyMap::serialize`]).

use std::sync::Arc;

use windows_core::{Result, implement};

use super::object::Shared;
use super::wire::{engine, read_id, write_bytes, write_id};
use crate::bindings::{
    IConstructReplicaKeyMap, IConstructReplicaKeyMap_Impl, IReplicaKeyMap, IReplicaKeyMap_Impl,
};
use crate::skeletons::{
    ConstructReplicaKeyMap, ReplicaKeyMap, construct_replica_key_map_abi as abi_c,
    replica_key_map_abi as abi_m,
};

pub use object::KeyMapObject;
use object::KeyMapObject_Impl;

mod object {
    use super::{Arc, IConstructReplicaKeyMap, IReplicaKeyMap, Shared, implement};

    /// The key map of one knowledge object (`IReplicaKeyMap`, `IConstructReplicaKeyMap`).
    #[implement(IReplicaKeyMap, IConstructReplicaKeyMap)]
    pub struct KeyMapObject {
        pub(super) shared: Arc<Shared>,
    }
}

/// The key map of the knowledge object behind `shared`, as `IReplicaKeyMap`.
pub fn key_map(shared: Arc<Shared>) -> IReplicaKeyMap {
    KeyMapObject { shared }.into()
}

/// The safe-trait view of one key map, for one call (private, as the raw pointers the
/// skeleton passes through are the COM caller's).
struct Map<'a>(&'a Arc<Shared>);

impl ReplicaKeyMap for Map<'_> {
    fn lookup_replica_key(&self, replica_id: *const u8, replica_key: &mut u32) -> Result<()> {
        self.0.with(|k| {
            // SAFETY: the COM caller's contract: an ID of the replica format.
            let id = unsafe { read_id(replica_id, &k.formats().replica, "replica ID") }?;
            *replica_key = engine(k.key_map().key_of(id))?;
            Ok(())
        })
    }

    fn lookup_replica_id(
        &self,
        replica_key: u32,
        replica_id: *mut u8,
        id_size: &mut u32,
    ) -> Result<()> {
        self.0.with(|k| {
            let id = engine(k.key_map().id_of(replica_key))?;
            // SAFETY: the pcb pattern, the COM caller's contract.
            unsafe { write_id(replica_id, id_size, &k.formats().replica, id) }
        })
    }

    fn serialize(&self, buffer: *mut u8, size: &mut u32) -> Result<()> {
        let bytes = self.0.with(|k| k.key_map().serialize(&k.formats().replica));
        // SAFETY: the pcb pattern, the COM caller's contract.
        unsafe { write_bytes(buffer, size, &bytes) }
    }
}

impl ConstructReplicaKeyMap for Map<'_> {
    fn find_or_add_replica(&self, replica_id: *const u8, replica_key: &mut u32) -> Result<()> {
        let known = self.0.with(|k| {
            // SAFETY: as above.
            let id = unsafe { read_id(replica_id, &k.formats().replica, "replica ID") }?;
            Ok::<_, windows_core::Error>(k.key_map().key_of(id).ok().ok_or_else(|| id.to_vec()))
        })?;
        *replica_key = match known {
            Ok(key) => key,
            // A new replica changes the knowledge (only then: a lookup leaves fragments valid).
            Err(id) => self.0.update(|k| engine(k.find_or_add_replica(&id)))?,
        };
        Ok(())
    }
}

impl IReplicaKeyMap_Impl for KeyMapObject_Impl {
    fn LookupReplicaKey(&self, id: *const u8, key: *mut u32) -> Result<()> {
        // SAFETY: the COM caller's contract, checked by the adapter.
        unsafe { abi_m::lookup_replica_key(&Map(&self.shared), id, key) }
    }

    fn LookupReplicaId(&self, key: u32, id: *mut u8, size: *mut u32) -> Result<()> {
        // SAFETY: as above.
        unsafe { abi_m::lookup_replica_id(&Map(&self.shared), key, id, size) }
    }

    fn Serialize(&self, buffer: *mut u8, size: *mut u32) -> Result<()> {
        // SAFETY: as above.
        unsafe { abi_m::serialize(&Map(&self.shared), buffer, size) }
    }
}

impl IConstructReplicaKeyMap_Impl for KeyMapObject_Impl {
    fn FindOrAddReplica(&self, id: *const u8, key: *mut u32) -> Result<()> {
        // SAFETY: as above.
        unsafe { abi_c::find_or_add_replica(&Map(&self.shared), id, key) }
    }
}
