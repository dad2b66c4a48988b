//! A Sync Center handler served by an in-process COM server DLL: `handler.dll` exports
//! `DllGetClassObject`, `DllCanUnloadNow`, `DllRegisterServer` and `DllUnregisterServer`,
//! all emitted by [`windows_sync::sync_center_dll!`].
//!
//! - [`ExampleHandler`] is the handler, made with `#[derive(windows_sync::SyncMgrHandler)]`:
//!   its `synchronize` creates a session and brings every item it is given to SUCCEEDED;
//! - [`CLSID_EXAMPLE_HANDLER`] is its class; `regsvr32 handler.dll` (elevated) registers it
//!   for every user (`HKEY_LOCAL_MACHINE\Software\Classes\CLSID\{...}`, see
//!   [`windows_sync::server::Scope`]) and `regsvr32 /u handler.dll` removes that registration;
//! - [`ExampleInfo`], what `get_handler_info` returns, holds a
//!   [`windows_sync::server::ObjectGuard`], so that `DllCanUnloadNow` stays `S_FALSE` while
//!   Sync Center holds it.

use windows_core::{Error, GUID, HRESULT, IUnknown, Result};
use windows_sync::bindings::{
    E_FAIL, E_NOTIMPL, FILETIME, HWND, ISyncMgrHandlerInfo, ISyncMgrSessionCreator, S_OK,
    SYNCMGR_HANDLER_CAPABILITIES, SYNCMGR_HANDLER_POLICIES, SYNCMGR_HCM_NONE, SYNCMGR_HPM_NONE,
};
use windows_sync::handler::handler_info;
use windows_sync::server::ObjectGuard;
use windows_sync::skeletons::{
    SyncMgrHandler, SyncMgrHandlerInfo, SyncmgrHandlerType, SyncmgrProgressStatus,
};
use windows_sync::syncmgr_session::SyncSession;

/// The handler's COM class.
pub const CLSID_EXAMPLE_HANDLER: GUID = GUID::from_u128(0x5e1d7c2a_93b4_4f60_a8d1_2c7e9b3f6a14);

/// The class's name in the registry, and the handler's display name (`GetName`).
pub const HANDLER_NAME: &str = "windows-sync example handler";

/// The handler id the sessions are created under (`ISyncMgrSessionCreator::CreateSession`).
pub const HANDLER_ID: &str = "windows-sync.example.handler-dll";

/// The handler: brings each item it is asked to synchronize to SUCCEEDED, in two steps.
#[derive(Debug, Default, windows_sync::SyncMgrHandler)]
pub struct ExampleHandler;

impl SyncMgrHandler for ExampleHandler {
    fn get_name(&self) -> Result<String> {
        Ok(HANDLER_NAME.to_string())
    }

    fn get_handler_info(&self) -> Result<ISyncMgrHandlerInfo> {
        Ok(handler_info(ExampleInfo::default()))
    }

    fn get_object(
        &self,
        _object_id: &GUID,
        _riid: &GUID,
        _ppv: *mut *mut core::ffi::c_void,
    ) -> Result<()> {
        // No browse UI, no context menu (`NF:syncmgr.ISyncMgrHandler.GetObject`).
        Err(Error::from_hresult(E_NOTIMPL))
    }

    fn get_capabilities(&self) -> Result<SYNCMGR_HANDLER_CAPABILITIES> {
        Ok(SYNCMGR_HCM_NONE)
    }

    fn get_policies(&self) -> Result<SYNCMGR_HANDLER_POLICIES> {
        Ok(SYNCMGR_HPM_NONE)
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
        _punk: Option<&IUnknown>,
    ) -> Result<()> {
        let session = SyncSession::create(session_creator, HANDLER_ID, item_ids)?;
        for id in item_ids {
            if session.final_status(id).is_some() {
                continue; // the same id twice
            }
            session.report_progress(id, "Synchronizing", SyncmgrProgressStatus::Updating, 1, 2)?;
            session.report_progress(id, "Done", SyncmgrProgressStatus::Succeeded, 2, 2)?;
        }
        Ok(())
    }
}

/// What [`ExampleHandler`]'s `get_handler_info` returns; a live object of the DLL while it
/// exists.
#[derive(Debug, Default)]
pub struct ExampleInfo {
    _guard: ObjectGuard,
}

impl SyncMgrHandlerInfo for ExampleInfo {
    fn get_type(&self) -> Result<SyncmgrHandlerType> {
        Ok(SyncmgrHandlerType::Application)
    }

    fn get_type_label(&self) -> Result<String> {
        Ok("Example".to_string())
    }

    fn get_comment(&self) -> Result<String> {
        Ok("A Sync Center handler in a Rust DLL".to_string())
    }

    fn get_last_sync_time(&self) -> Result<FILETIME> {
        // Keeps Sync Center's previous value (`NF:syncmgr.ISyncMgrHandlerInfo.GetLastSyncTime`).
        Err(Error::new(E_FAIL, "no synchronization recorded"))
    }

    fn is_active(&self) -> Result<HRESULT> {
        Ok(S_OK)
    }

    fn is_enabled(&self) -> Result<HRESULT> {
        Ok(S_OK)
    }

    fn is_connected(&self) -> Result<HRESULT> {
        Ok(S_OK)
    }
}

windows_sync::sync_center_dll! {
    handler: ExampleHandler::default,
    clsid: CLSID_EXAMPLE_HANDLER,
    name: HANDLER_NAME,
    // Per machine, so that COM finds the class under Wine too (Wine's COM does not read
    // HKEY_CURRENT_USER\Software\Classes); on Windows this needs an elevated regsvr32.
    scope: windows_sync::server::Scope::LocalMachine,
}
