//! The vtables of the knowledge objects: every `ISyncKnowledge`, `ISyncKnowledge2`,
//! `IForgottenKnowledge` and engine-interface method through its generated adapter and
//! [`Host`].

use super::*;

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
