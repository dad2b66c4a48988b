//! `Host`'s `ISyncKnowledge2` methods (`NN:winsync.ISyncKnowledge2`) and
//! `IForgottenKnowledge::ForgetToVersion` (`NF:winsync.IForgottenKnowledge.ForgetToVersion`).

use super::host::answer;
use super::*;

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
