//! Stand-in knowledge and change-batch objects, as the conformance suite hands them to a
//! provider and as tests of providers and drivers can use them: real COM objects (so a
//! provider that uses them does not crash) that do nothing. Every method answers `E_NOTIMPL`,
//! except that the change batch says it is the last.

use windows_core::implement;

use crate::bindings::*;

pub use objects::{LastChangeBatch, NullKnowledge, NullRetriever};
use objects::{LastChangeBatch_Impl, NullKnowledge_Impl};

mod objects {
    use super::{ISyncChangeBatch, ISyncChangeBatchBase, ISyncKnowledge, implement};

    /// An `ISyncKnowledge` that knows nothing: `ComObject::new(NullKnowledge).to_interface()`.
    #[implement(ISyncKnowledge)]
    pub struct NullKnowledge;

    /// An `ISyncChangeBatch` with no changes, marked as the last batch.
    #[implement(ISyncChangeBatch, ISyncChangeBatchBase)]
    pub struct LastChangeBatch;

    /// A data retriever (`IUnknown`) that retrieves nothing.
    #[implement()]
    pub struct NullRetriever;
}

impl ISyncKnowledge_Impl for NullKnowledge_Impl {
    fn GetOwnerReplicaId(
        &self,
        _pbreplicaid: *mut u8,
        _pcbidsize: *mut u32,
    ) -> windows_core::Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn Serialize(
        &self,
        _fserializereplicakeymap: windows_core::BOOL,
        _pbknowledge: *mut u8,
        _pcbknowledge: *mut u32,
    ) -> windows_core::Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn SetLocalTickCount(&self, _ulltickcount: u64) -> windows_core::Result<()> {
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
    ) -> windows_core::Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn GetReplicaKeyMap(&self) -> windows_core::Result<IReplicaKeyMap> {
        Err(E_NOTIMPL.into())
    }
    fn Clone(&self) -> windows_core::Result<ISyncKnowledge> {
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
    ) -> windows_core::Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn MapRemoteToLocal(
        &self,
        _premoteknowledge: windows_core::Ref<ISyncKnowledge>,
    ) -> windows_core::Result<ISyncKnowledge> {
        Err(E_NOTIMPL.into())
    }
    fn Union(&self, _pknowledge: windows_core::Ref<ISyncKnowledge>) -> windows_core::Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn ProjectOntoItem(&self, _pbitemid: *const u8) -> windows_core::Result<ISyncKnowledge> {
        Err(E_NOTIMPL.into())
    }
    fn ProjectOntoChangeUnit(
        &self,
        _pbitemid: *const u8,
        _pbchangeunitid: *const u8,
    ) -> windows_core::Result<ISyncKnowledge> {
        Err(E_NOTIMPL.into())
    }
    fn ProjectOntoRange(
        &self,
        _psrngsyncrange: *const SYNC_RANGE,
    ) -> windows_core::Result<ISyncKnowledge> {
        Err(E_NOTIMPL.into())
    }
    fn ExcludeItem(&self, _pbitemid: *const u8) -> windows_core::Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn ExcludeChangeUnit(
        &self,
        _pbitemid: *const u8,
        _pbchangeunitid: *const u8,
    ) -> windows_core::Result<()> {
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
    ) -> windows_core::Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn GetRangeExceptions(
        &self,
        _riid: *const windows_core::GUID,
        _ppunk: *mut *mut core::ffi::c_void,
    ) -> windows_core::Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn GetSingleItemExceptions(
        &self,
        _riid: *const windows_core::GUID,
        _ppunk: *mut *mut core::ffi::c_void,
    ) -> windows_core::Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn GetChangeUnitExceptions(
        &self,
        _riid: *const windows_core::GUID,
        _ppunk: *mut *mut core::ffi::c_void,
    ) -> windows_core::Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn FindClockVectorForItem(
        &self,
        _pbitemid: *const u8,
        _riid: *const windows_core::GUID,
        _ppunk: *mut *mut core::ffi::c_void,
    ) -> windows_core::Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn FindClockVectorForChangeUnit(
        &self,
        _pbitemid: *const u8,
        _pbchangeunitid: *const u8,
        _riid: *const windows_core::GUID,
        _ppunk: *mut *mut core::ffi::c_void,
    ) -> windows_core::Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn GetVersion(&self, _pdwversion: *mut u32) -> windows_core::Result<()> {
        Err(E_NOTIMPL.into())
    }
}

impl ISyncChangeBatchBase_Impl for LastChangeBatch_Impl {
    fn GetChangeEnumerator(&self) -> windows_core::Result<IEnumSyncChanges> {
        Err(E_NOTIMPL.into())
    }
    fn GetIsLastBatch(&self, pflastbatch: *mut windows_core::BOOL) -> windows_core::Result<()> {
        if pflastbatch.is_null() {
            return Err(E_POINTER.into());
        }
        unsafe { pflastbatch.write(true.into()) };
        Ok(())
    }
    fn GetWorkEstimateForBatch(&self, _pdwworkforbatch: *mut u32) -> windows_core::Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn GetRemainingWorkEstimateForSession(
        &self,
        _pdwremainingworkforsession: *mut u32,
    ) -> windows_core::Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn BeginOrderedGroup(&self, _pblowerbound: *const u8) -> windows_core::Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn EndOrderedGroup(
        &self,
        _pbupperbound: *const u8,
        _pmadewithknowledge: windows_core::Ref<ISyncKnowledge>,
    ) -> windows_core::Result<()> {
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
    ) -> windows_core::Result<ISyncChangeBuilder> {
        Err(E_NOTIMPL.into())
    }
    fn GetLearnedKnowledge(&self) -> windows_core::Result<ISyncKnowledge> {
        Err(E_NOTIMPL.into())
    }
    fn GetPrerequisiteKnowledge(&self) -> windows_core::Result<ISyncKnowledge> {
        Err(E_NOTIMPL.into())
    }
    fn GetSourceForgottenKnowledge(&self) -> windows_core::Result<IForgottenKnowledge> {
        Err(E_NOTIMPL.into())
    }
    fn SetLastBatch(&self) -> windows_core::Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn SetWorkEstimateForBatch(&self, _dwworkforbatch: u32) -> windows_core::Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn SetRemainingWorkEstimateForSession(
        &self,
        _dwremainingworkforsession: u32,
    ) -> windows_core::Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn Serialize(
        &self,
        _pbchangebatch: *mut u8,
        _pcbchangebatch: *mut u32,
    ) -> windows_core::Result<()> {
        Err(E_NOTIMPL.into())
    }
}

impl ISyncChangeBatch_Impl for LastChangeBatch_Impl {
    fn BeginUnorderedGroup(&self) -> windows_core::Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn EndUnorderedGroup(
        &self,
        _pmadewithknowledge: windows_core::Ref<ISyncKnowledge>,
        _fallchangesforknowledge: windows_core::BOOL,
    ) -> windows_core::Result<()> {
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
    ) -> windows_core::Result<ISyncChangeBuilder> {
        Err(E_NOTIMPL.into())
    }
}
