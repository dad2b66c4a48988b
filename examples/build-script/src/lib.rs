//! Example: a crate that generates its own selection of bindings, skeletons and contract data
//! from `build.rs` with `winsync_gen::Builder` (the handler side of Sync Center), declares
//! it with [`winsync::include_generated!`], and implements a small Sync Center handler on
//! the generated skeleton.
//!
//! - [`ExampleHandler`] implements the safe [`SyncMgrHandler`] trait;
//! - [`ExampleHandlerObject`] is the COM object: its `ISyncMgrHandler_Impl` methods delegate to
//!   the generated adapters in [`generated::skeletons::sync_mgr_handler_abi`], which check the
//!   arguments, contain panics and write the results.

winsync::include_generated!(skeletons);

use windows_core::{Error, PCWSTR, Result};

use generated::bindings::{
    E_NOTIMPL, HWND, ISyncMgrHandlerInfo, ISyncMgrSessionCreator, ISyncMgrSyncCallback,
    SYNCMGR_CANCEL_REQUEST, SYNCMGR_CR_NONE, SYNCMGR_HANDLER_CAPABILITIES,
    SYNCMGR_HANDLER_POLICIES, SYNCMGR_HCM_NONE, SYNCMGR_HPM_DISABLE_SCHEDULE,
};
use generated::skeletons::{SyncMgrHandler, SyncmgrCancelRequest, SyncmgrProgressStatus};

pub use com_object::ExampleHandlerObject;

/// A Sync Center handler that "synchronizes" every item it is handed: it opens a session with
/// the session creator and reports each item updating, then succeeded (or canceled when Sync
/// Center asks for it in the answer to a progress report).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleHandler {
    id: String,
    name: String,
}

impl ExampleHandler {
    /// The handler id the example registers its sessions under.
    pub const ID: &'static str = "winsync.example.build-script";

    /// A handler shown in Sync Center as `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            id: Self::ID.to_string(),
            name: name.into(),
        }
    }

    /// The handler id passed to `ISyncMgrSessionCreator::CreateSession`.
    pub fn id(&self) -> &str {
        &self.id
    }
}

impl SyncMgrHandler for ExampleHandler {
    fn get_name(&self) -> Result<String> {
        Ok(self.name.clone())
    }

    fn get_handler_info(&self) -> Result<ISyncMgrHandlerInfo> {
        // Sync Center then uses default values for every property.
        Err(Error::from_hresult(E_NOTIMPL))
    }

    fn get_object(
        &self,
        _object_id: winsync::sync_center::objects::ObjectId,
    ) -> Result<Option<winsync::sync_center::objects::SyncMgrObject>> {
        // No object type is supported: the adapter answers E_NOTIMPL (rule
        // `handler.get-object.unsupported`).
        Ok(None)
    }

    fn get_capabilities(&self) -> Result<SYNCMGR_HANDLER_CAPABILITIES> {
        Ok(SYNCMGR_HCM_NONE)
    }

    fn get_policies(&self) -> Result<SYNCMGR_HANDLER_POLICIES> {
        // The example has nothing to schedule.
        Ok(SYNCMGR_HPM_DISABLE_SCHEDULE)
    }

    fn activate(&self, _activate: bool) -> Result<()> {
        Ok(())
    }

    fn enable(&self, _enable: bool) -> Result<()> {
        Ok(())
    }

    fn synchronize(
        &self,
        item_ids: &[String],
        _owner: HWND,
        session_creator: &ISyncMgrSessionCreator,
        _punk: Option<&windows_core::IUnknown>,
    ) -> Result<()> {
        let handler_id = wide(&self.id);
        let items: Vec<Vec<u16>> = item_ids.iter().map(|id| wide(id)).collect();
        let item_ptrs: Vec<PCWSTR> = items.iter().map(|id| PCWSTR(id.as_ptr())).collect();
        // SAFETY: every string is NUL-terminated and outlives the call.
        let callback =
            unsafe { session_creator.CreateSession(PCWSTR(handler_id.as_ptr()), &item_ptrs) }?;
        let mut cancel_all = false;
        for id in item_ids {
            if cancel_all {
                report_progress(&callback, id, "Canceled", SyncmgrProgressStatus::Canceled)?;
                continue;
            }
            let answer = report_progress(
                &callback,
                id,
                "Synchronizing",
                SyncmgrProgressStatus::Updating,
            )?;
            let status = match answer {
                SyncmgrCancelRequest::None => SyncmgrProgressStatus::Succeeded,
                SyncmgrCancelRequest::CancelItem => SyncmgrProgressStatus::Canceled,
                SyncmgrCancelRequest::CancelAll => {
                    cancel_all = true;
                    SyncmgrProgressStatus::Canceled
                }
            };
            let text = if status == SyncmgrProgressStatus::Succeeded {
                "Synchronized"
            } else {
                "Canceled"
            };
            report_progress(&callback, id, text, status)?;
        }
        Ok(())
    }
}

/// Calls `ISyncMgrSyncCallback::ReportProgress` for one item (one step: 0 of 1 while updating,
/// 1 of 1 when done) and returns Sync Center's cancel request, checked.
fn report_progress(
    callback: &ISyncMgrSyncCallback,
    item_id: &str,
    text: &str,
    status: SyncmgrProgressStatus,
) -> Result<SyncmgrCancelRequest> {
    let item_id = wide(item_id);
    let text = wide(text);
    let step = u32::from(status != SyncmgrProgressStatus::Updating);
    let mut cancel: SYNCMGR_CANCEL_REQUEST = SYNCMGR_CR_NONE;
    // SAFETY: both strings are NUL-terminated and outlive the call; `cancel` is writable.
    unsafe {
        callback.ReportProgress(
            PCWSTR(item_id.as_ptr()),
            PCWSTR(text.as_ptr()),
            status.into(),
            step,
            1,
            &mut cancel,
        )
    }
    .ok()?;
    SyncmgrCancelRequest::try_from(cancel)
}

/// `text` as a NUL-terminated UTF-16 string.
fn wide(text: &str) -> Vec<u16> {
    text.encode_utf16().chain(std::iter::once(0)).collect()
}

/// The COM object, in a module of its own: `#[implement]` also declares an undocumented
/// `ExampleHandlerObject_Impl`, which stays private here.
mod com_object {
    use windows_core::{PCWSTR, PWSTR, Ref, Result};

    use super::ExampleHandler;
    use crate::generated::bindings::{
        HWND, ISyncMgrHandler, ISyncMgrHandler_Impl, ISyncMgrHandlerInfo, ISyncMgrSessionCreator,
        SYNCMGR_HANDLER_CAPABILITIES, SYNCMGR_HANDLER_POLICIES,
    };
    use crate::generated::skeletons::sync_mgr_handler_abi;

    /// The COM object Sync Center instantiates: `ISyncMgrHandler` over an [`ExampleHandler`].
    ///
    /// `ISyncMgrHandler::from(ExampleHandlerObject::new(handler))` makes the interface Sync Center
    /// calls.
    #[windows_core::implement(ISyncMgrHandler)]
    #[derive(Debug)]
    pub struct ExampleHandlerObject {
        handler: ExampleHandler,
    }

    impl ExampleHandlerObject {
        /// The COM object over `handler`.
        pub fn new(handler: ExampleHandler) -> Self {
            Self { handler }
        }

        /// The handler the object delegates to.
        pub fn handler(&self) -> &ExampleHandler {
            &self.handler
        }
    }

    // Every method delegates to its generated adapter.
    // SAFETY (all blocks): the pointers are the COM caller's, valid as the interface requires,
    // which is the adapters' precondition.
    impl ISyncMgrHandler_Impl for ExampleHandlerObject_Impl {
        fn GetName(&self) -> Result<PWSTR> {
            unsafe { sync_mgr_handler_abi::get_name(&self.handler) }
        }

        fn GetHandlerInfo(&self) -> Result<ISyncMgrHandlerInfo> {
            unsafe { sync_mgr_handler_abi::get_handler_info(&self.handler) }
        }

        fn GetObject(
            &self,
            rguidobjectid: *const windows_core::GUID,
            riid: *const windows_core::GUID,
            ppv: *mut *mut core::ffi::c_void,
        ) -> Result<()> {
            unsafe { sync_mgr_handler_abi::get_object(&self.handler, rguidobjectid, riid, ppv) }
        }

        fn GetCapabilities(&self) -> Result<SYNCMGR_HANDLER_CAPABILITIES> {
            unsafe { sync_mgr_handler_abi::get_capabilities(&self.handler) }
        }

        fn GetPolicies(&self) -> Result<SYNCMGR_HANDLER_POLICIES> {
            unsafe { sync_mgr_handler_abi::get_policies(&self.handler) }
        }

        fn Activate(&self, factivate: windows_core::BOOL) -> Result<()> {
            unsafe { sync_mgr_handler_abi::activate(&self.handler, factivate) }
        }

        fn Enable(&self, fenable: windows_core::BOOL) -> Result<()> {
            unsafe { sync_mgr_handler_abi::enable(&self.handler, fenable) }
        }

        fn Synchronize(
            &self,
            ppszitemids: *const PCWSTR,
            citems: u32,
            hwndowner: HWND,
            psessioncreator: Ref<ISyncMgrSessionCreator>,
            punk: Ref<windows_core::IUnknown>,
        ) -> Result<()> {
            unsafe {
                sync_mgr_handler_abi::synchronize(
                    &self.handler,
                    ppszitemids,
                    citems,
                    hwndowner,
                    psessioncreator,
                    punk,
                )
            }
        }
    }
}
