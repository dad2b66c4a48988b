//! The generated ABI adapters, called through real COM vtables: arguments are converted and
//! checked before the implementation runs, results written only on success, panics contained,
//! and S_FALSE carried as data.
// Test helpers fail loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cell::RefCell;

use windows_core::{GUID, HRESULT, IUnknown, Interface, OutRef, PCWSTR, Ref, Result, implement};
use winsync::bindings::*;
use winsync::skeletons::*;

/// Wide, NUL-terminated copy of `text`.
fn wide(text: &str) -> Vec<u16> {
    text.encode_utf16().chain(std::iter::once(0)).collect()
}

// --- A Sync Center host double built on the SyncMgrSyncCallback skeleton -----------------

/// Records what the skeleton receives; answers are scripted.
#[derive(Default)]
struct Recorder {
    calls: RefCell<Vec<String>>,
    cancel: Option<SyncmgrCancelRequest>,
    can_continue: Option<HRESULT>,
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
        if progress_text == "panic" {
            panic!("a bug in the host double");
        }
        self.calls.borrow_mut().push(format!(
            "progress {item_id} {progress_text:?} {status:?} {current_step}/{max_step}"
        ));
        Ok(self.cancel.unwrap_or(SyncmgrCancelRequest::None))
    }
    fn set_handler_progress_text(&self, progress_text: &str) -> Result<SyncmgrCancelRequest> {
        self.calls
            .borrow_mut()
            .push(format!("text {progress_text:?}"));
        Ok(SyncmgrCancelRequest::None)
    }
    #[allow(clippy::too_many_arguments)]
    fn report_event(
        &self,
        item_id: &str,
        level: SyncmgrEventLevel,
        _flags: SYNCMGR_EVENT_FLAGS,
        name: &str,
        _description: &str,
        _link_text: Option<&str>,
        _link_reference: Option<&str>,
        _context: &str,
    ) -> Result<GUID> {
        self.calls
            .borrow_mut()
            .push(format!("event {item_id} {level:?} {name}"));
        Ok(GUID::from_u128(0x1234))
    }
    fn can_continue(&self, item_id: Option<&str>) -> Result<HRESULT> {
        self.calls
            .borrow_mut()
            .push(format!("can_continue {item_id:?}"));
        Ok(self.can_continue.unwrap_or(S_OK))
    }
    fn query_for_additional_items(
        &self,
    ) -> Result<(HRESULT, Option<IEnumString>, Option<IEnumUnknown>)> {
        Err(E_NOTIMPL.into())
    }
    fn add_item_to_session(&self, item_id: &str) -> Result<()> {
        self.calls.borrow_mut().push(format!("add {item_id}"));
        Ok(())
    }
    fn add_i_unknown_to_session(&self, _punk: &IUnknown) -> Result<()> {
        Ok(())
    }
    fn propose_item(&self, _new_item: &ISyncMgrSyncItem) -> Result<()> {
        Ok(())
    }
    fn commit_item(&self, item_id: &str) -> Result<()> {
        self.calls.borrow_mut().push(format!("commit {item_id}"));
        Ok(())
    }
    fn report_manual_sync(&self) -> Result<()> {
        Ok(())
    }
}

/// The COM object: every `_Impl` method delegates to its generated adapter.
#[implement(ISyncMgrSyncCallback)]
struct Host(Recorder);

impl ISyncMgrSyncCallback_Impl for Host_Impl {
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

fn host(recorder: Recorder) -> (ISyncMgrSyncCallback, windows_core::ComObject<Host>) {
    let object = windows_core::ComObject::new(Host(recorder));
    (object.to_interface(), object)
}

/// Calls ReportProgress through the vtable.
fn report(
    callback: &ISyncMgrSyncCallback,
    item: &[u16],
    text: &[u16],
    status: SYNCMGR_PROGRESS_STATUS,
    cancel: *mut SYNCMGR_CANCEL_REQUEST,
) -> HRESULT {
    let vtable = callback.vtable();
    unsafe {
        (vtable.ReportProgress)(
            callback.as_raw(),
            PCWSTR(item.as_ptr()),
            PCWSTR(text.as_ptr()),
            status,
            1,
            3,
            cancel,
        )
    }
}

#[test]
fn report_progress_converts_arguments_and_writes_the_cancel_request() {
    let (callback, object) = host(Recorder {
        cancel: Some(SyncmgrCancelRequest::CancelItem),
        ..Recorder::default()
    });
    let mut cancel: SYNCMGR_CANCEL_REQUEST = -1;
    let hr = report(
        &callback,
        &wide("item-1"),
        &wide("copying"),
        SYNCMGR_PS_UPDATING,
        &mut cancel,
    );
    assert_eq!(hr, S_OK);
    assert_eq!(cancel, SYNCMGR_CR_CANCEL_ITEM);
    // A null pnCancelRequest is accepted and not written (the page's own example passes NULL).
    let hr = report(
        &callback,
        &wide("item-1"),
        &wide("done"),
        SYNCMGR_PS_SUCCEEDED,
        std::ptr::null_mut(),
    );
    assert_eq!(hr, S_OK);
    assert_eq!(
        *object.0.calls.borrow(),
        [
            "progress item-1 \"copying\" Updating 1/3",
            "progress item-1 \"done\" Succeeded 1/3"
        ]
    );
}

#[test]
fn invalid_arguments_never_reach_the_implementation() {
    let (callback, object) = host(Recorder::default());
    let mut cancel = 0;
    // An out-of-range status: E_INVALIDARG.
    assert_eq!(
        report(&callback, &wide("a"), &wide("t"), 42, &mut cancel),
        E_INVALIDARG
    );
    // A null item id: E_POINTER.
    let vtable = callback.vtable();
    let text = wide("t");
    let hr = unsafe {
        (vtable.ReportProgress)(
            callback.as_raw(),
            PCWSTR::null(),
            PCWSTR(text.as_ptr()),
            SYNCMGR_PS_UPDATING,
            0,
            1,
            &mut cancel,
        )
    };
    assert_eq!(hr, E_POINTER);
    // An item id longer than MAX_SYNCMGR_ID - 1 characters: E_INVALIDARG, never read past 64 units.
    let long = wide(&"x".repeat(MAX_SYNCMGR_ID as usize));
    assert_eq!(
        report(
            &callback,
            &long,
            &wide("t"),
            SYNCMGR_PS_UPDATING,
            &mut cancel
        ),
        E_INVALIDARG
    );
    let longest = wide(&"x".repeat(MAX_SYNCMGR_ID as usize - 1));
    assert_eq!(
        report(
            &callback,
            &longest,
            &wide("t"),
            SYNCMGR_PS_UPDATING,
            &mut cancel
        ),
        S_OK
    );
    // Invalid UTF-16 (a lone surrogate): E_INVALIDARG.
    let broken = [0xDC00u16, 0];
    assert_eq!(
        report(
            &callback,
            &broken,
            &wide("t"),
            SYNCMGR_PS_UPDATING,
            &mut cancel
        ),
        E_INVALIDARG
    );
    assert_eq!(
        object.0.calls.borrow().len(),
        1,
        "only the valid call reached the implementation"
    );
}

#[test]
fn a_panic_in_the_implementation_is_e_unexpected() {
    let (callback, _object) = host(Recorder::default());
    let mut cancel = 0;
    assert_eq!(
        report(
            &callback,
            &wide("a"),
            &wide("panic"),
            SYNCMGR_PS_UPDATING,
            &mut cancel
        ),
        E_UNEXPECTED
    );
    // The object still works afterwards.
    assert_eq!(
        report(
            &callback,
            &wide("a"),
            &wide("ok"),
            SYNCMGR_PS_UPDATING,
            &mut cancel
        ),
        S_OK
    );
}

#[test]
fn can_continue_carries_s_false_through_the_vtable() {
    let (callback, object) = host(Recorder {
        can_continue: Some(S_FALSE),
        ..Recorder::default()
    });
    let item = wide("item-2");
    assert_eq!(
        unsafe { callback.CanContinue(PCWSTR(item.as_ptr())) },
        S_FALSE
    );
    // A null item id asks about the whole handler.
    assert_eq!(unsafe { callback.CanContinue(PCWSTR::null()) }, S_FALSE);
    assert_eq!(
        *object.0.calls.borrow(),
        ["can_continue Some(\"item-2\")", "can_continue None"]
    );
    let (callback, _) = host(Recorder::default());
    assert_eq!(unsafe { callback.CanContinue(PCWSTR(item.as_ptr())) }, S_OK);
}

#[test]
fn report_event_returns_its_guid_and_checks_the_out_pointer() {
    let (callback, object) = host(Recorder::default());
    let (item, name, empty) = (wide("item-3"), wide("Conflict"), wide(""));
    let p = |w: &Vec<u16>| PCWSTR(w.as_ptr());
    let id = unsafe {
        callback.ReportEvent(
            p(&item),
            SYNCMGR_EL_WARNING,
            SYNCMGR_EF_NONE,
            p(&name),
            p(&empty),
            p(&empty),
            p(&empty),
            p(&empty),
        )
    }
    .unwrap();
    assert_eq!(id, GUID::from_u128(0x1234));
    // The link text and link reference may be NULL; the other strings may not.
    let id = unsafe {
        callback.ReportEvent(
            p(&item),
            SYNCMGR_EL_WARNING,
            SYNCMGR_EF_NONE,
            p(&name),
            p(&empty),
            PCWSTR::null(),
            PCWSTR::null(),
            p(&empty),
        )
    };
    assert_eq!(id.unwrap(), GUID::from_u128(0x1234));
    let missing_name = unsafe {
        callback.ReportEvent(
            p(&item),
            SYNCMGR_EL_WARNING,
            SYNCMGR_EF_NONE,
            PCWSTR::null(),
            p(&empty),
            p(&empty),
            p(&empty),
            p(&empty),
        )
    };
    assert_eq!(missing_name.unwrap_err().code(), E_POINTER);
    let vtable = callback.vtable();
    let hr = unsafe {
        (vtable.ReportEvent)(
            callback.as_raw(),
            p(&item),
            SYNCMGR_EL_WARNING,
            SYNCMGR_EF_NONE,
            p(&name),
            p(&empty),
            p(&empty),
            p(&empty),
            p(&empty),
            std::ptr::null_mut(),
        )
    };
    assert_eq!(hr, E_POINTER);
    assert_eq!(
        *object.0.calls.borrow(),
        [
            "event item-3 Warning Conflict",
            "event item-3 Warning Conflict"
        ],
        "user code ran for neither the null name nor the null out-pointer"
    );
}

// --- A provider built on the KnowledgeSyncProvider skeleton --------------------------------

#[derive(Default)]
struct Provider {
    calls: RefCell<Vec<String>>,
}

impl SyncProvider for Provider {
    fn get_id_parameters(&self, id_parameters: &mut ID_PARAMETERS) -> Result<()> {
        self.calls.borrow_mut().push("get_id_parameters".into());
        id_parameters.dwSize = size_of::<ID_PARAMETERS>() as u32;
        Ok(())
    }
}

impl KnowledgeSyncProvider for Provider {
    fn begin_session(
        &self,
        role: SyncProviderRole,
        _session_state: &ISyncSessionState,
    ) -> Result<()> {
        self.calls
            .borrow_mut()
            .push(format!("begin_session {role:?}"));
        Ok(())
    }
    fn get_sync_batch_parameters(&self, requested_batch_size: &mut u32) -> Result<ISyncKnowledge> {
        self.calls
            .borrow_mut()
            .push(format!("get_sync_batch_parameters {requested_batch_size}"));
        Err(E_NOTIMPL.into())
    }
    fn get_change_batch(
        &self,
        _batch_size: u32,
        _sync_knowledge: &ISyncKnowledge,
    ) -> Result<(ISyncChangeBatch, IUnknown)> {
        Err(E_NOTIMPL.into())
    }
    fn get_full_enumeration_change_batch(
        &self,
        _batch_size: u32,
        _lower_enumeration_bound: *const u8,
        _sync_knowledge: &ISyncKnowledge,
    ) -> Result<(ISyncFullEnumerationChangeBatch, IUnknown)> {
        Err(E_NOTIMPL.into())
    }
    fn process_change_batch(
        &self,
        _resolution_policy: ConflictResolutionPolicy,
        _source_change_batch: &ISyncChangeBatch,
        _unk_data_retriever: &IUnknown,
        _callback: &ISyncCallback,
        _sync_session_statistics: &mut SYNC_SESSION_STATISTICS,
    ) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn process_full_enumeration_change_batch(
        &self,
        _resolution_policy: ConflictResolutionPolicy,
        _source_change_batch: &ISyncFullEnumerationChangeBatch,
        _unk_data_retriever: &IUnknown,
        _callback: &ISyncCallback,
        _sync_session_statistics: &mut SYNC_SESSION_STATISTICS,
    ) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn end_session(&self, _session_state: &ISyncSessionState) -> Result<()> {
        self.calls.borrow_mut().push("end_session".into());
        Ok(())
    }
}

#[implement(IKnowledgeSyncProvider, ISyncProvider)]
struct ProviderObject(Provider);

impl ISyncProvider_Impl for ProviderObject_Impl {
    fn GetIdParameters(&self, pidparameters: *mut ID_PARAMETERS) -> Result<()> {
        unsafe { sync_provider_abi::get_id_parameters(&self.0, pidparameters) }
    }
}

impl IKnowledgeSyncProvider_Impl for ProviderObject_Impl {
    fn BeginSession(
        &self,
        role: SYNC_PROVIDER_ROLE,
        psessionstate: Ref<ISyncSessionState>,
    ) -> Result<()> {
        unsafe { knowledge_sync_provider_abi::begin_session(&self.0, role, psessionstate) }
    }
    fn GetSyncBatchParameters(
        &self,
        ppsyncknowledge: OutRef<ISyncKnowledge>,
        pdwrequestedbatchsize: *mut u32,
    ) -> Result<()> {
        unsafe {
            knowledge_sync_provider_abi::get_sync_batch_parameters(
                &self.0,
                ppsyncknowledge,
                pdwrequestedbatchsize,
            )
        }
    }
    fn GetChangeBatch(
        &self,
        a: u32,
        b: Ref<ISyncKnowledge>,
        c: OutRef<ISyncChangeBatch>,
        d: OutRef<IUnknown>,
    ) -> Result<()> {
        unsafe { knowledge_sync_provider_abi::get_change_batch(&self.0, a, b, c, d) }
    }
    fn GetFullEnumerationChangeBatch(
        &self,
        a: u32,
        b: *const u8,
        c: Ref<ISyncKnowledge>,
        d: OutRef<ISyncFullEnumerationChangeBatch>,
        e: OutRef<IUnknown>,
    ) -> Result<()> {
        unsafe {
            knowledge_sync_provider_abi::get_full_enumeration_change_batch(&self.0, a, b, c, d, e)
        }
    }
    fn ProcessChangeBatch(
        &self,
        a: CONFLICT_RESOLUTION_POLICY,
        b: Ref<ISyncChangeBatch>,
        c: Ref<IUnknown>,
        d: Ref<ISyncCallback>,
        e: *mut SYNC_SESSION_STATISTICS,
    ) -> Result<()> {
        unsafe { knowledge_sync_provider_abi::process_change_batch(&self.0, a, b, c, d, e) }
    }
    fn ProcessFullEnumerationChangeBatch(
        &self,
        a: CONFLICT_RESOLUTION_POLICY,
        b: Ref<ISyncFullEnumerationChangeBatch>,
        c: Ref<IUnknown>,
        d: Ref<ISyncCallback>,
        e: *mut SYNC_SESSION_STATISTICS,
    ) -> Result<()> {
        unsafe {
            knowledge_sync_provider_abi::process_full_enumeration_change_batch(
                &self.0, a, b, c, d, e,
            )
        }
    }
    fn EndSession(&self, psessionstate: Ref<ISyncSessionState>) -> Result<()> {
        unsafe { knowledge_sync_provider_abi::end_session(&self.0, psessionstate) }
    }
}

/// Any COM object can stand in for the session state here: the adapters only check that the
/// pointer is there; the session rules belong to the derive.
fn some_session_state(provider: &IKnowledgeSyncProvider) -> *mut core::ffi::c_void {
    provider.as_raw()
}

#[test]
fn begin_session_checks_role_and_session_state() {
    let object = windows_core::ComObject::new(ProviderObject(Provider::default()));
    let provider: IKnowledgeSyncProvider = object.to_interface();
    let vtable = provider.vtable();
    let state = some_session_state(&provider);
    assert_eq!(
        unsafe { (vtable.BeginSession)(provider.as_raw(), SPR_DESTINATION, state) },
        S_OK
    );
    assert_eq!(
        unsafe { (vtable.BeginSession)(provider.as_raw(), 7, state) },
        E_INVALIDARG
    );
    assert_eq!(
        unsafe { (vtable.BeginSession)(provider.as_raw(), SPR_SOURCE, std::ptr::null_mut()) },
        E_POINTER
    );
    assert_eq!(
        unsafe { (vtable.EndSession)(provider.as_raw(), std::ptr::null_mut()) },
        E_POINTER
    );
    assert_eq!(*object.0.calls.borrow(), ["begin_session Destination"]);
}

#[test]
fn null_out_pointers_are_rejected_before_user_code_runs() {
    let object = windows_core::ComObject::new(ProviderObject(Provider::default()));
    let provider: IKnowledgeSyncProvider = object.to_interface();
    let vtable = provider.vtable();
    let mut size = 10u32;
    let hr = unsafe {
        (vtable.GetSyncBatchParameters)(provider.as_raw(), std::ptr::null_mut(), &mut size)
    };
    assert_eq!(hr, E_POINTER);
    let mut knowledge = std::ptr::null_mut();
    let hr = unsafe {
        (vtable.GetSyncBatchParameters)(provider.as_raw(), &mut knowledge, std::ptr::null_mut())
    };
    assert_eq!(hr, E_POINTER);
    assert!(object.0.calls.borrow().is_empty());
    // With both pointers, user code runs; its error is what the caller gets, and nothing is written.
    let hr =
        unsafe { (vtable.GetSyncBatchParameters)(provider.as_raw(), &mut knowledge, &mut size) };
    assert_eq!(hr, E_NOTIMPL);
    assert!(knowledge.is_null());
    assert_eq!(*object.0.calls.borrow(), ["get_sync_batch_parameters 10"]);
    // Inherited ISyncProvider method, through QueryInterface to the other interface.
    let base: ISyncProvider = provider.cast().unwrap();
    let mut parameters = ID_PARAMETERS::default();
    unsafe { base.GetIdParameters(&mut parameters) }.unwrap();
    assert_eq!(parameters.dwSize as usize, size_of::<ID_PARAMETERS>());
}

#[test]
fn checked_enums_convert_both_ways() {
    assert_eq!(
        SyncProviderRole::try_from(SPR_SOURCE).unwrap(),
        SyncProviderRole::Source
    );
    assert_eq!(
        SYNC_PROVIDER_ROLE::from(SyncProviderRole::Destination),
        SPR_DESTINATION
    );
    assert_eq!(
        SyncProviderRole::try_from(2).unwrap_err().code(),
        E_INVALIDARG
    );
    assert_eq!(
        SyncmgrProgressStatus::try_from(SYNCMGR_PS_CANCELED).unwrap(),
        SyncmgrProgressStatus::Canceled
    );
    assert_eq!(
        SyncmgrCancelRequest::try_from(SYNCMGR_CR_CANCEL_ALL).unwrap(),
        SyncmgrCancelRequest::CancelAll
    );
    assert_eq!(
        SyncProgressStage::try_from(3).unwrap_err().code(),
        E_INVALIDARG
    );
}

#[test]
fn supplement_hresults_and_rules_are_data() {
    use winsync::hresults::*;
    assert_eq!(SYNC_E_INVALID_OPERATION.0 as u32, 0x8004_1001);
    assert_eq!(SYNC_E_INVALIDOPERATION, SYNC_E_INVALID_OPERATION);
    assert_eq!(
        hresult_name(SYNC_E_INVALID_OPERATION),
        Some("SYNC_E_INVALID_OPERATION")
    );
    let rule = winsync::contract::rule("provider.end-session.without-begin").unwrap();
    assert_eq!(rule.source, "NF:winsync.IKnowledgeSyncProvider.EndSession");
    assert_eq!(rule.returns, Some("SYNC_E_INVALID_OPERATION"));
}
