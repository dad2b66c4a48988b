//! `Host`: the safe-trait view of one knowledge object for one call, and its
//! `ISyncKnowledge` methods (`NN:winsync.ISyncKnowledge`).

use super::*;

/// The safe-trait view of one knowledge object, for one call.
pub(super) struct Host<'a>(pub(super) &'a Arc<Shared>);

impl Host<'_> {
    pub(super) fn knowledge(&self) -> Arc<Knowledge> {
        self.0.snapshot()
    }

    /// The engine knowledge behind another knowledge object, read in this one's ID formats.
    pub(super) fn other(&self, knowledge: &ISyncKnowledge) -> Result<Arc<Knowledge>> {
        let formats = self.0.with(|k| *k.formats());
        from_com(knowledge, Some(&formats))
    }

    /// A new object over `knowledge`, of the same kind as this one.
    pub(super) fn make(&self, knowledge: Knowledge) -> ISyncKnowledge {
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
    pub(super) fn item<'b>(&self, k: &Knowledge, item: *const u8) -> Result<&'b [u8]> {
        // SAFETY: the COM caller's contract: an ID of the item format.
        unsafe { read_id(item, &k.formats().item, "item ID") }
    }

    pub(super) fn unit<'b>(&self, k: &Knowledge, unit: *const u8) -> Result<&'b [u8]> {
        // SAFETY: as above, change-unit format.
        unsafe { read_id(unit, &k.formats().change_unit, "change unit ID") }
    }

    pub(super) fn replica<'b>(&self, k: &Knowledge, replica: *const u8) -> Result<&'b [u8]> {
        // SAFETY: as above, replica format.
        unsafe { read_id(replica, &k.formats().replica, "replica ID") }
    }

    /// The version's key is in this knowledge's key space only when its owner is this
    /// knowledge's owner (`NF:winsync.ISyncKnowledge.ContainsChange`; convert other versions
    /// with ConvertVersion first).
    pub(super) fn own_version(
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

pub(super) fn answer(yes: bool) -> HRESULT {
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
