//! The example handler through its COM interface: `GetName` through the vtable, and a
//! `Synchronize` against a recording Sync Center (a session creator and a callback, both
//! implemented on the generated skeletons and adapters).

use std::cell::RefCell;
use std::rc::Rc;

use windows_core::{ComObject, GUID, HRESULT, IUnknown, OutRef, PCWSTR, Ref, Result, implement};
use winsync_example_build_script::generated::bindings::{
    E_NOTIMPL, HWND, IEnumString, IEnumUnknown, ISyncMgrHandler, ISyncMgrSessionCreator,
    ISyncMgrSessionCreator_Impl, ISyncMgrSyncCallback, ISyncMgrSyncCallback_Impl, ISyncMgrSyncItem,
    SYNCMGR_CANCEL_REQUEST, SYNCMGR_EVENT_FLAGS, SYNCMGR_EVENT_LEVEL, SYNCMGR_HCM_NONE,
    SYNCMGR_HPM_DISABLE_SCHEDULE, SYNCMGR_PROGRESS_STATUS,
};
use winsync_example_build_script::generated::skeletons::{
    SyncMgrSessionCreator, SyncMgrSyncCallback, SyncmgrCancelRequest, SyncmgrEventLevel,
    SyncmgrProgressStatus, sync_mgr_session_creator_abi, sync_mgr_sync_callback_abi,
};
use winsync_example_build_script::{ExampleHandler, ExampleHandlerObject};

/// What the recording Sync Center saw, one line per call.
type Transcript = Rc<RefCell<Vec<String>>>;

/// The Sync Center side: records every call, and answers `cancel` to the first progress
/// report of the item `cancel_item`.
#[derive(Clone, Default)]
struct Recorder {
    transcript: Transcript,
    cancel_item: Option<(String, SyncmgrCancelRequest)>,
}

impl Recorder {
    fn record(&self, line: String) {
        self.transcript.borrow_mut().push(line);
    }
}

fn not_implemented<T>() -> Result<T> {
    Err(windows_core::Error::from_hresult(E_NOTIMPL))
}

impl SyncMgrSessionCreator for Recorder {
    fn create_session(
        &self,
        handler_id: &str,
        item_ids: &[String],
    ) -> Result<ISyncMgrSyncCallback> {
        self.record(format!(
            "create-session {handler_id} {}",
            item_ids.join(",")
        ));
        Ok(Callback(self.clone()).into())
    }
}

impl SyncMgrSyncCallback for Recorder {
    fn report_progress(
        &self,
        item_id: &str,
        progress_text: &str,
        status: SyncmgrProgressStatus,
        current_step: u32,
        max_step: u32,
    ) -> Result<SyncmgrCancelRequest> {
        self.record(format!(
            "progress {item_id} {status:?} {current_step}/{max_step} {progress_text}"
        ));
        Ok(match &self.cancel_item {
            Some((item, request))
                if item == item_id && status == SyncmgrProgressStatus::Updating =>
            {
                *request
            }
            _ => SyncmgrCancelRequest::None,
        })
    }
    fn set_handler_progress_text(&self, _progress_text: &str) -> Result<SyncmgrCancelRequest> {
        not_implemented()
    }
    fn report_event(
        &self,
        _item_id: &str,
        _level: SyncmgrEventLevel,
        _flags: SYNCMGR_EVENT_FLAGS,
        _name: &str,
        _description: &str,
        _link_text: Option<&str>,
        _link_reference: Option<&str>,
        _context: &str,
    ) -> Result<GUID> {
        not_implemented()
    }
    fn can_continue(&self, _item_id: Option<&str>) -> Result<HRESULT> {
        not_implemented()
    }
    fn query_for_additional_items(
        &self,
    ) -> Result<(HRESULT, Option<IEnumString>, Option<IEnumUnknown>)> {
        not_implemented()
    }
    fn add_item_to_session(&self, _item_id: &str) -> Result<()> {
        not_implemented()
    }
    fn add_i_unknown_to_session(&self, _punk: &IUnknown) -> Result<()> {
        not_implemented()
    }
    fn propose_item(&self, _new_item: &ISyncMgrSyncItem) -> Result<()> {
        not_implemented()
    }
    fn commit_item(&self, _item_id: &str) -> Result<()> {
        not_implemented()
    }
    fn report_manual_sync(&self) -> Result<()> {
        not_implemented()
    }
}

/// `ISyncMgrSessionCreator` over the recorder, through the generated adapter.
#[implement(ISyncMgrSessionCreator)]
struct SessionCreator(Recorder);

impl ISyncMgrSessionCreator_Impl for SessionCreator_Impl {
    fn CreateSession(
        &self,
        pszhandlerid: &PCWSTR,
        ppszitemids: *const PCWSTR,
        citems: u32,
    ) -> Result<ISyncMgrSyncCallback> {
        unsafe {
            sync_mgr_session_creator_abi::create_session(&self.0, pszhandlerid, ppszitemids, citems)
        }
    }
}

/// `ISyncMgrSyncCallback` over the recorder, through the generated adapters.
#[implement(ISyncMgrSyncCallback)]
struct Callback(Recorder);

impl ISyncMgrSyncCallback_Impl for Callback_Impl {
    fn ReportProgress(
        &self,
        pszitemid: &PCWSTR,
        pszprogresstext: &PCWSTR,
        nstatus: SYNCMGR_PROGRESS_STATUS,
        ucurrentstep: u32,
        umaxstep: u32,
        pncancelrequest: *mut SYNCMGR_CANCEL_REQUEST,
    ) -> Result<()> {
        unsafe {
            sync_mgr_sync_callback_abi::report_progress(
                &self.0,
                pszitemid,
                pszprogresstext,
                nstatus,
                ucurrentstep,
                umaxstep,
                pncancelrequest,
            )
        }
    }
    fn SetHandlerProgressText(
        &self,
        pszprogresstext: &PCWSTR,
        pncancelrequest: *mut SYNCMGR_CANCEL_REQUEST,
    ) -> Result<()> {
        unsafe {
            sync_mgr_sync_callback_abi::set_handler_progress_text(
                &self.0,
                pszprogresstext,
                pncancelrequest,
            )
        }
    }
    fn ReportEvent(
        &self,
        pszitemid: &PCWSTR,
        nlevel: SYNCMGR_EVENT_LEVEL,
        nflags: SYNCMGR_EVENT_FLAGS,
        pszname: &PCWSTR,
        pszdescription: &PCWSTR,
        pszlinktext: &PCWSTR,
        pszlinkreference: &PCWSTR,
        pszcontext: &PCWSTR,
    ) -> Result<GUID> {
        unsafe {
            sync_mgr_sync_callback_abi::report_event(
                &self.0,
                pszitemid,
                nlevel,
                nflags,
                pszname,
                pszdescription,
                pszlinktext,
                pszlinkreference,
                pszcontext,
            )
        }
    }
    fn CanContinue(&self, pszitemid: &PCWSTR) -> HRESULT {
        unsafe { sync_mgr_sync_callback_abi::can_continue(&self.0, pszitemid) }
    }
    fn QueryForAdditionalItems(
        &self,
        ppenumitemids: OutRef<IEnumString>,
        ppenumpunks: OutRef<IEnumUnknown>,
    ) -> HRESULT {
        unsafe {
            sync_mgr_sync_callback_abi::query_for_additional_items(
                &self.0,
                ppenumitemids,
                ppenumpunks,
            )
        }
    }
    fn AddItemToSession(&self, pszitemid: &PCWSTR) -> Result<()> {
        unsafe { sync_mgr_sync_callback_abi::add_item_to_session(&self.0, pszitemid) }
    }
    fn AddIUnknownToSession(&self, punk: Ref<IUnknown>) -> Result<()> {
        unsafe { sync_mgr_sync_callback_abi::add_i_unknown_to_session(&self.0, punk) }
    }
    fn ProposeItem(&self, pnewitem: Ref<ISyncMgrSyncItem>) -> Result<()> {
        unsafe { sync_mgr_sync_callback_abi::propose_item(&self.0, pnewitem) }
    }
    fn CommitItem(&self, pszitemid: &PCWSTR) -> Result<()> {
        unsafe { sync_mgr_sync_callback_abi::commit_item(&self.0, pszitemid) }
    }
    fn ReportManualSync(&self) -> Result<()> {
        unsafe { sync_mgr_sync_callback_abi::report_manual_sync(&self.0) }
    }
}

fn handler() -> ISyncMgrHandler {
    let object = ComObject::new(ExampleHandlerObject::new(ExampleHandler::new(
        "Example files",
    )));
    object.to_interface()
}

fn wide(text: &str) -> Vec<u16> {
    text.encode_utf16().chain(std::iter::once(0)).collect()
}

/// Calls `Synchronize` through the vtable with `items` and a session creator over `recorder`.
fn synchronize(handler: &ISyncMgrHandler, items: &[&str], recorder: &Recorder) -> HRESULT {
    let items: Vec<Vec<u16>> = items.iter().map(|item| wide(item)).collect();
    let ptrs: Vec<PCWSTR> = items.iter().map(|item| PCWSTR(item.as_ptr())).collect();
    let creator: ISyncMgrSessionCreator = SessionCreator(recorder.clone()).into();
    unsafe {
        handler.Synchronize(
            &ptrs,
            HWND(std::ptr::null_mut()),
            &creator,
            None::<&IUnknown>,
        )
    }
}

#[test]
fn get_name_through_the_vtable() {
    let handler = handler();
    let name = unsafe { handler.GetName() }.expect("GetName succeeds");
    let name = unsafe { winsync::com::abi::take_co_task_wide(name) }.expect("a valid string");
    assert_eq!(name, "Example files");
    assert_eq!(unsafe { handler.GetCapabilities() }, Ok(SYNCMGR_HCM_NONE));
    assert_eq!(
        unsafe { handler.GetPolicies() },
        Ok(SYNCMGR_HPM_DISABLE_SCHEDULE)
    );
    let info = unsafe { handler.GetHandlerInfo() };
    assert_eq!(info.err().map(|e| e.code()), Some(E_NOTIMPL));
}

#[test]
fn synchronize_reports_updating_then_succeeded_for_each_item() {
    let handler = handler();
    let recorder = Recorder::default();
    let hr = synchronize(&handler, &["docs", "photos"], &recorder);
    assert_eq!(hr, HRESULT(0), "Synchronize succeeds");
    assert_eq!(
        *recorder.transcript.borrow(),
        [
            "create-session winsync.example.build-script docs,photos",
            "progress docs Updating 0/1 Synchronizing",
            "progress docs Succeeded 1/1 Synchronized",
            "progress photos Updating 0/1 Synchronizing",
            "progress photos Succeeded 1/1 Synchronized",
        ]
    );
}

#[test]
fn synchronize_acknowledges_a_cancel_request() {
    let handler = handler();
    let recorder = Recorder {
        cancel_item: Some(("docs".to_string(), SyncmgrCancelRequest::CancelAll)),
        ..Recorder::default()
    };
    let hr = synchronize(&handler, &["docs", "photos"], &recorder);
    assert_eq!(hr, HRESULT(0), "Synchronize succeeds");
    assert_eq!(
        *recorder.transcript.borrow(),
        [
            "create-session winsync.example.build-script docs,photos",
            "progress docs Updating 0/1 Synchronizing",
            "progress docs Canceled 1/1 Canceled",
            "progress photos Canceled 1/1 Canceled",
        ]
    );
}

#[test]
fn synchronize_without_a_session_creator_is_e_pointer() {
    let handler = handler();
    let item = wide("docs");
    let hr = unsafe {
        handler.Synchronize(
            &[PCWSTR(item.as_ptr())],
            HWND(std::ptr::null_mut()),
            None::<&ISyncMgrSessionCreator>,
            None::<&IUnknown>,
        )
    };
    assert_eq!(hr, winsync::bindings::E_POINTER);
}
