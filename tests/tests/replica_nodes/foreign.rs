//! Objects from "another implementation": a data retriever and a change batch that the
//! runtime does not recognize as its own, so a destination calls them through their
//! interfaces only. Each wraps one of the runtime's and changes what the test needs.

use windows_core::{BOOL, Error, HRESULT, IUnknown, Interface, PCWSTR, Ref, Result, implement};
use winsync::bindings::{
    E_NOTIMPL, ID_PARAMETERS, IEnumSyncChanges, IForgottenKnowledge, ILoadChangeContext,
    IRecoverableErrorData, IRecoverableErrorData_Impl, ISyncChangeBatch, ISyncChangeBatch_Impl,
    ISyncChangeBatchAdvanced, ISyncChangeBatchAdvanced_Impl, ISyncChangeBatchBase_Impl,
    ISyncChangeBuilder, ISyncFilterInfo, ISyncKnowledge, ISynchronousDataRetriever,
    ISynchronousDataRetriever_Impl, SYNC_VERSION,
};
use winsync::engine::IdFormats;

use super::recorder::item_of;

/// What the foreign retriever does for one item.
#[derive(Clone, Debug)]
pub enum Load {
    /// Loads through the runtime's retriever.
    Forward,
    /// Sets a recoverable error on the load context (with the data) and fails with it.
    Recoverable(HRESULT, Option<IRecoverableErrorData>),
    /// Hands out an object that is not `IItemData`.
    NotItemData,
}

/// A data retriever of another implementation: declares `formats`, and for each item (by the
/// first byte of its ID) does what `plan` says.
#[implement(ISynchronousDataRetriever)]
pub struct ForeignRetriever {
    pub inner: ISynchronousDataRetriever,
    pub formats: IdFormats,
    pub plan: Box<dyn Fn(u8) -> Load>,
}

/// `inner` (a runtime's retriever) behind a [`ForeignRetriever`].
pub fn foreign_retriever(
    inner: &IUnknown,
    formats: IdFormats,
    plan: impl Fn(u8) -> Load + 'static,
) -> IUnknown {
    let retriever: ISynchronousDataRetriever = ForeignRetriever {
        inner: inner.cast().unwrap(),
        formats,
        plan: Box::new(plan),
    }
    .into();
    retriever.cast().unwrap()
}

impl ISynchronousDataRetriever_Impl for ForeignRetriever_Impl {
    fn GetIdParameters(&self, parameters: *mut ID_PARAMETERS) -> Result<()> {
        unsafe { parameters.write(winsync::framework::knowledge::id_parameters(&self.formats)) };
        Ok(())
    }

    fn LoadChangeData(&self, context: Ref<ILoadChangeContext>) -> Result<IUnknown> {
        let context = context.ok()?;
        let change = unsafe { context.GetSyncChange() }?;
        match (self.plan)(item_of(&change)?) {
            Load::Forward => unsafe { self.inner.LoadChangeData(context) },
            Load::Recoverable(error, data) => {
                unsafe { context.SetRecoverableErrorOnChange(error, data.as_ref()) }.ok()?;
                Err(Error::from_hresult(error))
            }
            Load::NotItemData => change.cast(),
        }
    }
}

/// Additional data of a recoverable error (its methods are not called here).
#[implement(IRecoverableErrorData)]
pub struct ErrorData;

impl IRecoverableErrorData_Impl for ErrorData_Impl {
    fn Initialize(&self, _: &PCWSTR, _: &PCWSTR) -> Result<()> {
        Err(Error::from_hresult(E_NOTIMPL))
    }
    fn GetItemDisplayName(&self, _: &PCWSTR, _: *mut u32) -> Result<()> {
        Err(Error::from_hresult(E_NOTIMPL))
    }
    fn GetErrorDescription(&self, _: &PCWSTR, _: *mut u32) -> Result<()> {
        Err(Error::from_hresult(E_NOTIMPL))
    }
}

/// A change batch of another implementation: forwards to `inner`, and answers `batch_level`
/// to `GetBatchLevelKnowledgeShouldBeApplied`.
#[implement(ISyncChangeBatch, ISyncChangeBatchAdvanced)]
pub struct ForeignBatch {
    pub inner: ISyncChangeBatch,
    pub batch_level: bool,
}

/// `inner` behind a [`ForeignBatch`].
pub fn foreign_batch(inner: &ISyncChangeBatch, batch_level: bool) -> ISyncChangeBatch {
    ForeignBatch {
        inner: inner.clone(),
        batch_level,
    }
    .into()
}

impl ISyncChangeBatchBase_Impl for ForeignBatch_Impl {
    fn GetChangeEnumerator(&self) -> Result<IEnumSyncChanges> {
        unsafe { self.inner.GetChangeEnumerator() }
    }
    fn GetIsLastBatch(&self, last: *mut BOOL) -> Result<()> {
        unsafe { self.inner.GetIsLastBatch(last) }.ok()
    }
    fn GetWorkEstimateForBatch(&self, work: *mut u32) -> Result<()> {
        unsafe { self.inner.GetWorkEstimateForBatch(work) }.ok()
    }
    fn GetRemainingWorkEstimateForSession(&self, work: *mut u32) -> Result<()> {
        unsafe { self.inner.GetRemainingWorkEstimateForSession(work) }.ok()
    }
    fn BeginOrderedGroup(&self, lower: *const u8) -> Result<()> {
        unsafe { self.inner.BeginOrderedGroup(lower) }.ok()
    }
    fn EndOrderedGroup(&self, upper: *const u8, made_with: Ref<ISyncKnowledge>) -> Result<()> {
        unsafe { self.inner.EndOrderedGroup(upper, made_with.as_ref()) }.ok()
    }
    fn AddItemMetadataToGroup(
        &self,
        owner: *const u8,
        item: *const u8,
        change: *const SYNC_VERSION,
        creation: *const SYNC_VERSION,
        flags: u32,
        work: u32,
    ) -> Result<ISyncChangeBuilder> {
        unsafe {
            self.inner
                .AddItemMetadataToGroup(owner, item, change, creation, flags, work)
        }
    }
    fn GetLearnedKnowledge(&self) -> Result<ISyncKnowledge> {
        unsafe { self.inner.GetLearnedKnowledge() }
    }
    fn GetPrerequisiteKnowledge(&self) -> Result<ISyncKnowledge> {
        unsafe { self.inner.GetPrerequisiteKnowledge() }
    }
    fn GetSourceForgottenKnowledge(&self) -> Result<IForgottenKnowledge> {
        unsafe { self.inner.GetSourceForgottenKnowledge() }
    }
    fn SetLastBatch(&self) -> Result<()> {
        unsafe { self.inner.SetLastBatch() }.ok()
    }
    fn SetWorkEstimateForBatch(&self, work: u32) -> Result<()> {
        unsafe { self.inner.SetWorkEstimateForBatch(work) }.ok()
    }
    fn SetRemainingWorkEstimateForSession(&self, work: u32) -> Result<()> {
        unsafe { self.inner.SetRemainingWorkEstimateForSession(work) }.ok()
    }
    fn Serialize(&self, bytes: *mut u8, size: *mut u32) -> Result<()> {
        unsafe { self.inner.Serialize(bytes, size) }.ok()
    }
}

impl ISyncChangeBatch_Impl for ForeignBatch_Impl {
    fn BeginUnorderedGroup(&self) -> Result<()> {
        unsafe { self.inner.BeginUnorderedGroup() }.ok()
    }
    fn EndUnorderedGroup(&self, made_with: Ref<ISyncKnowledge>, all: BOOL) -> Result<()> {
        unsafe {
            self.inner
                .EndUnorderedGroup(made_with.as_ref(), all.as_bool())
        }
        .ok()
    }
    fn AddLoggedConflict(
        &self,
        _: *const u8,
        _: *const u8,
        _: *const SYNC_VERSION,
        _: *const SYNC_VERSION,
        _: u32,
        _: u32,
        _: Ref<ISyncKnowledge>,
    ) -> Result<ISyncChangeBuilder> {
        Err(Error::from_hresult(E_NOTIMPL))
    }
}

impl ISyncChangeBatchAdvanced_Impl for ForeignBatch_Impl {
    fn GetFilterInfo(&self) -> Result<ISyncFilterInfo> {
        Err(Error::from_hresult(E_NOTIMPL))
    }
    fn ConvertFullEnumerationChangeBatchToRegularChangeBatch(&self) -> Result<ISyncChangeBatch> {
        Err(Error::from_hresult(E_NOTIMPL))
    }
    fn GetUpperBoundItemId(&self, _: *mut u8, _: *mut u32) -> Result<()> {
        Err(Error::from_hresult(E_NOTIMPL))
    }
    fn GetBatchLevelKnowledgeShouldBeApplied(&self, apply: *mut BOOL) -> Result<()> {
        unsafe { apply.write(self.batch_level.into()) };
        Ok(())
    }
}
