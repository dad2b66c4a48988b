//! The COM objects behind `#[derive(SyncMgrHandler)]`: a [`SyncMgrHandler`] handed out as
//! Sync Center's `ISyncMgrHandler` (and `ISyncMgrSyncItemContainer` with
//! `#[sync_mgr_handler(item_container)]`), plus [`handler_info`] for the
//! `ISyncMgrHandlerInfo` a handler's `get_handler_info` returns.
//!
//! Between Sync Center and the handler's code:
//!
//! - the generated ABI adapters: string getters hand out `CoTaskMemAlloc` strings
//!   (`NF:syncmgr.ISyncMgrHandler.GetName`), null out-pointers are `E_POINTER`, item ids are
//!   read with the `MAX_SYNCMGR_ID` bound and invalid UTF-16 is `E_INVALIDARG`, panics are
//!   `E_UNEXPECTED`;
//! - `GetName`: an empty name, or one longer than `MAX_SYNCMGR_NAME - 1` UTF-16 units
//!   ([`names::MAX_NAME_CHARS`]), is `E_INVALIDARG` (`handler.get-name.max-length`,
//!   `NF:syncmgr.ISyncMgrHandler.GetName`): Sync Center would hide the handler or truncate
//!   the name;
//! - `GetObject` (typed: [`ObjectId`] in, [`SyncMgrObject`] out, see
//!   [`crate::sync_center::objects`]): a GUID that is none of the `SYNCMGR_OBJECTID_*` ids is
//!   `E_NOTIMPL` (`handler.get-object.unknown-id`), and so is `QueryBeforeDelete`, an item's
//!   object the handler page does not list (`handler.get-object.handler-ids`), both without
//!   calling the handler; `None` is `E_NOTIMPL` (`handler.get-object.unsupported`), an object of
//!   another kind than the id names is `E_UNEXPECTED`, and the object is queried for `riid`
//!   (`NF:syncmgr.ISyncMgrHandler.GetObject`); `ppv` is NULL after every failure;
//! - `GetCapabilities`: capabilities with bits outside `SYNCMGR_HCM_VALID_MASK` are
//!   `E_INVALIDARG` (`handler.get-capabilities.valid-mask`,
//!   `NF:syncmgr.ISyncMgrHandler.GetCapabilities`);
//! - the [`handler_info`] object's `GetComment`: a comment longer than `MAX_SYNCMGR_NAME - 1`
//!   units is `E_INVALIDARG` (`handler.handler-info.get-comment.max-length`,
//!   `NF:syncmgr.ISyncMgrHandlerInfo.GetComment`);
//! - around `synchronize`: every item handed to it that still has no final status when it
//!   returns — in the [`SyncSession`](session::SyncSession)s made during the call — is closed: reported CANCELED
//!   when Sync Center asked to cancel it (the acknowledgement the ReportProgress page asks
//!   for), FAILED otherwise; when any was reported FAILED the call fails with `E_FAIL` naming
//!   the items and the rules (`handler.synchronize.final-status-per-item`, and
//!   `handler.synchronize.wait-when-session-created`: a handler that created its session does
//!   not return before the synchronization is complete; `NF:syncmgr.ISyncMgrHandler.Synchronize`);
//!   a panic is contained the same way, after the open items are closed.
//!
//! Every object of this module counts itself as a live object of the module while it exists
//! ([`ObjectGuard`]), so that a handler DLL's `DllCanUnloadNow` answers `S_FALSE` while Sync
//! Center holds any of them ([`crate::sync_center::server`]).

use std::panic::{AssertUnwindSafe, catch_unwind};

use windows_core::{
    ComObject, Error, GUID, HRESULT, IUnknown, PCWSTR, PWSTR, Ref, Result, implement,
};

use crate::bindings::{
    E_FAIL, E_NOTIMPL, FILETIME, HWND, IEnumSyncMgrSyncItems, ISyncMgrHandler,
    ISyncMgrHandler_Impl, ISyncMgrHandlerInfo, ISyncMgrHandlerInfo_Impl, ISyncMgrSessionCreator,
    ISyncMgrSyncItem, ISyncMgrSyncItemContainer, ISyncMgrSyncItemContainer_Impl,
    SYNCMGR_HANDLER_CAPABILITIES, SYNCMGR_HANDLER_POLICIES, SYNCMGR_HANDLER_TYPE,
    SYNCMGR_HCM_VALID_MASK,
};
use crate::com::abi;
use crate::com::object_count::ObjectGuard;
use crate::contracts as rules;
use crate::skeletons::{
    SyncMgrHandler, SyncMgrHandlerInfo, SyncMgrSyncItemContainer, SyncmgrHandlerType,
    sync_mgr_handler_abi as abi_h, sync_mgr_handler_info_abi as abi_i,
    sync_mgr_sync_item_container_abi as abi_c,
};
use crate::sync_center::objects::{ObjectId, SyncMgrObject};
use crate::sync_center::{names, session};

pub use object::{ContainerHandlerObject, HandlerInfoObject, HandlerObject};
use object::{ContainerHandlerObject_Impl, HandlerInfoObject_Impl, HandlerObject_Impl};

mod object {
    use super::{
        ISyncMgrHandler, ISyncMgrHandlerInfo, ISyncMgrSyncItemContainer, ObjectGuard,
        SyncMgrHandler, SyncMgrHandlerInfo, SyncMgrSyncItemContainer, implement,
    };

    /// A handler as a COM object implementing `ISyncMgrHandler` (see the module docs).
    #[implement(ISyncMgrHandler)]
    pub struct HandlerObject<T>
    where
        T: SyncMgrHandler + Send + Sync + 'static,
    {
        pub(super) handler: T,
        pub(super) _guard: ObjectGuard,
    }

    /// A handler that also lists its items: `ISyncMgrHandler` and `ISyncMgrSyncItemContainer`
    /// (Sync Center asks for the latter with QueryInterface on the handler,
    /// `NN:syncmgr.ISyncMgrSyncItemContainer`).
    #[implement(ISyncMgrHandler, ISyncMgrSyncItemContainer)]
    pub struct ContainerHandlerObject<T>
    where
        T: SyncMgrHandler + SyncMgrSyncItemContainer + Send + Sync + 'static,
    {
        pub(super) handler: T,
        pub(super) _guard: ObjectGuard,
    }

    /// A handler's `ISyncMgrHandlerInfo`, made with [`super::handler_info`].
    #[implement(ISyncMgrHandlerInfo)]
    pub struct HandlerInfoObject<T>
    where
        T: SyncMgrHandlerInfo + Send + Sync + 'static,
    {
        pub(super) info: T,
        pub(super) _guard: ObjectGuard,
    }
}

/// What `#[derive(SyncMgrHandler)]` implements for a handler type.
pub trait DerivedHandler: SyncMgrHandler + Send + Sync + Sized + 'static {
    /// The handler as `ISyncMgrHandler`.
    fn into_handler(self) -> ISyncMgrHandler {
        HandlerObject::new(self).to_interface()
    }

    /// The handler as a COM object that also gives access to the value.
    fn into_object(self) -> ComObject<HandlerObject<Self>> {
        HandlerObject::new(self)
    }
}

/// What `#[derive(SyncMgrHandler)]` with `#[sync_mgr_handler(item_container)]` implements.
pub trait DerivedContainerHandler:
    SyncMgrHandler + SyncMgrSyncItemContainer + Send + Sync + Sized + 'static
{
    /// The handler as `ISyncMgrHandler`; QueryInterface reaches `ISyncMgrSyncItemContainer`.
    fn into_handler(self) -> ISyncMgrHandler {
        ContainerHandlerObject::new(self).to_interface()
    }

    /// The handler as a COM object that also gives access to the value.
    fn into_object(self) -> ComObject<ContainerHandlerObject<Self>> {
        ContainerHandlerObject::new(self)
    }
}

/// `info` as the `ISyncMgrHandlerInfo` a handler's `get_handler_info` returns; its string
/// getters hand out `CoTaskMemAlloc` strings and its `is_*` methods carry S_FALSE.
pub fn handler_info<T: SyncMgrHandlerInfo + Send + Sync + 'static>(info: T) -> ISyncMgrHandlerInfo {
    ComObject::new(HandlerInfoObject {
        info,
        _guard: ObjectGuard::new(),
    })
    .to_interface()
}

impl<T: SyncMgrHandler + Send + Sync + 'static> HandlerObject<T> {
    /// Wraps `handler`.
    pub fn new(handler: T) -> ComObject<Self> {
        ComObject::new(Self {
            handler,
            _guard: ObjectGuard::new(),
        })
    }

    /// The wrapped handler.
    pub fn handler(&self) -> &T {
        &self.handler
    }
}

impl<T: SyncMgrHandler + SyncMgrSyncItemContainer + Send + Sync + 'static>
    ContainerHandlerObject<T>
{
    /// Wraps `handler`.
    pub fn new(handler: T) -> ComObject<Self> {
        ComObject::new(Self {
            handler,
            _guard: ObjectGuard::new(),
        })
    }

    /// The wrapped handler.
    pub fn handler(&self) -> &T {
        &self.handler
    }
}

/// The checks around the handler's code, seen by the generated adapters as just another
/// handler.
struct Checked<'a, T>(&'a T);

impl<T: SyncMgrHandler> SyncMgrHandler for Checked<'_, T> {
    fn get_name(&self) -> Result<String> {
        names::display_name(
            self.0.get_name()?,
            "handler",
            &rules::HANDLER_GET_NAME_MAX_LENGTH,
        )
    }
    fn get_handler_info(&self) -> Result<ISyncMgrHandlerInfo> {
        self.0.get_handler_info()
    }
    fn get_object(&self, object_id: ObjectId) -> Result<Option<SyncMgrObject>> {
        if !object_id.for_handler() {
            return Err(Error::new(
                E_NOTIMPL,
                format!(
                    "{object_id:?} is an item's object, not a handler's: {}",
                    rules::HANDLER_GET_OBJECT_HANDLER_IDS
                ),
            ));
        }
        self.0.get_object(object_id)
    }
    fn get_capabilities(&self) -> Result<SYNCMGR_HANDLER_CAPABILITIES> {
        let capabilities = self.0.get_capabilities()?;
        let stray = capabilities & !SYNCMGR_HCM_VALID_MASK;
        if stray != 0 {
            return Err(abi::invalid_arg(format_args!(
                "the capabilities {capabilities:#x} have bits outside SYNCMGR_HCM_VALID_MASK ({stray:#x}): {}",
                rules::HANDLER_GET_CAPABILITIES_VALID_MASK
            )));
        }
        Ok(capabilities)
    }
    fn get_policies(&self) -> Result<SYNCMGR_HANDLER_POLICIES> {
        self.0.get_policies()
    }
    fn activate(&self, activate: bool) -> Result<()> {
        self.0.activate(activate)
    }
    fn enable(&self, enable: bool) -> Result<()> {
        self.0.enable(enable)
    }
    fn synchronize(
        &self,
        item_ids: &[String],
        owner: HWND,
        session_creator: &ISyncMgrSessionCreator,
        punk: Option<&IUnknown>,
    ) -> Result<()> {
        let (result, sessions) = session::scope::run(|| {
            catch_unwind(AssertUnwindSafe(|| {
                self.0.synchronize(item_ids, owner, session_creator, punk)
            }))
            .unwrap_or_else(|payload| Err(abi::panic_error(payload.as_ref())))
        });
        let failed: Vec<String> = sessions
            .iter()
            .flat_map(|session| session.close_open_items().failed)
            .collect();
        match result {
            Ok(()) if !failed.is_empty() => Err(Error::new(
                E_FAIL,
                format!(
                    "synchronize returned with items that had no final status, now reported FAILED ({}): {}; {}",
                    failed.join(", "),
                    rules::HANDLER_SYNCHRONIZE_FINAL_STATUS_PER_ITEM,
                    rules::HANDLER_SYNCHRONIZE_WAIT_WHEN_SESSION_CREATED
                ),
            )),
            result => result,
        }
    }
}

/// A handler info as the generated adapters see it: its comment is checked to be at most
/// `MAX_SYNCMGR_NAME - 1` UTF-16 units (`handler.handler-info.get-comment.max-length`,
/// `NF:syncmgr.ISyncMgrHandlerInfo.GetComment`), everything else is the info's.
struct CheckedInfo<'a, T>(&'a T);

impl<T: SyncMgrHandlerInfo> SyncMgrHandlerInfo for CheckedInfo<'_, T> {
    fn get_type(&self) -> Result<SyncmgrHandlerType> {
        self.0.get_type()
    }
    fn get_type_label(&self) -> Result<String> {
        self.0.get_type_label()
    }
    fn get_comment(&self) -> Result<String> {
        names::comment(
            self.0.get_comment()?,
            "handler",
            &rules::HANDLER_HANDLER_INFO_GET_COMMENT_MAX_LENGTH,
        )
    }
    fn get_last_sync_time(&self) -> Result<FILETIME> {
        self.0.get_last_sync_time()
    }
    fn is_active(&self) -> Result<bool> {
        self.0.is_active()
    }
    fn is_enabled(&self) -> Result<bool> {
        self.0.is_enabled()
    }
    fn is_connected(&self) -> Result<bool> {
        self.0.is_connected()
    }
}

impl<T: SyncMgrSyncItemContainer> SyncMgrSyncItemContainer for Checked<'_, T> {
    fn get_sync_item(&self, item_id: &str) -> Result<ISyncMgrSyncItem> {
        self.0.get_sync_item(item_id)
    }
    fn get_sync_item_enumerator(&self) -> Result<IEnumSyncMgrSyncItems> {
        self.0.get_sync_item_enumerator()
    }
    fn get_sync_item_count(&self) -> Result<u32> {
        self.0.get_sync_item_count()
    }
}

/// `ISyncMgrHandler_Impl` for a handler object type: every method through its adapter and
/// [`Checked`].
macro_rules! handler_impl {
    ($object:ident, $($bound:tt)+) => {
        impl<T> ISyncMgrHandler_Impl for $object<T>
        where
            T: $($bound)+,
        {
            fn GetName(&self) -> Result<PWSTR> {
                unsafe { abi_h::get_name(&Checked(&self.handler)) }
            }
            fn GetHandlerInfo(&self) -> Result<ISyncMgrHandlerInfo> {
                unsafe { abi_h::get_handler_info(&Checked(&self.handler)) }
            }
            fn GetObject(&self, rguidobjectid: *const GUID, riid: *const GUID, ppv: *mut *mut core::ffi::c_void) -> Result<()> {
                unsafe { abi_h::get_object(&Checked(&self.handler), rguidobjectid, riid, ppv) }
            }
            fn GetCapabilities(&self) -> Result<SYNCMGR_HANDLER_CAPABILITIES> {
                unsafe { abi_h::get_capabilities(&Checked(&self.handler)) }
            }
            fn GetPolicies(&self) -> Result<SYNCMGR_HANDLER_POLICIES> {
                unsafe { abi_h::get_policies(&Checked(&self.handler)) }
            }
            fn Activate(&self, factivate: windows_core::BOOL) -> Result<()> {
                unsafe { abi_h::activate(&Checked(&self.handler), factivate) }
            }
            fn Enable(&self, fenable: windows_core::BOOL) -> Result<()> {
                unsafe { abi_h::enable(&Checked(&self.handler), fenable) }
            }
            fn Synchronize(
                &self,
                ppszitemids: *const PCWSTR,
                citems: u32,
                hwndowner: HWND,
                psessioncreator: Ref<ISyncMgrSessionCreator>,
                punk: Ref<IUnknown>,
            ) -> Result<()> {
                unsafe { abi_h::synchronize(&Checked(&self.handler), ppszitemids, citems, hwndowner, psessioncreator, punk) }
            }
        }
    };
}

handler_impl!(HandlerObject_Impl, SyncMgrHandler + Send + Sync + 'static);
handler_impl!(
    ContainerHandlerObject_Impl,
    SyncMgrHandler + SyncMgrSyncItemContainer + Send + Sync + 'static
);

impl<T> ISyncMgrSyncItemContainer_Impl for ContainerHandlerObject_Impl<T>
where
    T: SyncMgrHandler + SyncMgrSyncItemContainer + Send + Sync + 'static,
{
    fn GetSyncItem(&self, pszitemid: &PCWSTR) -> Result<ISyncMgrSyncItem> {
        unsafe { abi_c::get_sync_item(&Checked(&self.handler), pszitemid) }
    }
    fn GetSyncItemEnumerator(&self) -> Result<IEnumSyncMgrSyncItems> {
        unsafe { abi_c::get_sync_item_enumerator(&Checked(&self.handler)) }
    }
    fn GetSyncItemCount(&self) -> Result<u32> {
        unsafe { abi_c::get_sync_item_count(&Checked(&self.handler)) }
    }
}

impl<T> ISyncMgrHandlerInfo_Impl for HandlerInfoObject_Impl<T>
where
    T: SyncMgrHandlerInfo + Send + Sync + 'static,
{
    fn GetType(&self) -> Result<SYNCMGR_HANDLER_TYPE> {
        unsafe { abi_i::get_type(&CheckedInfo(&self.info)) }
    }
    fn GetTypeLabel(&self) -> Result<PWSTR> {
        unsafe { abi_i::get_type_label(&CheckedInfo(&self.info)) }
    }
    fn GetComment(&self) -> Result<PWSTR> {
        unsafe { abi_i::get_comment(&CheckedInfo(&self.info)) }
    }
    fn GetLastSyncTime(&self) -> Result<FILETIME> {
        unsafe { abi_i::get_last_sync_time(&CheckedInfo(&self.info)) }
    }
    fn IsActive(&self) -> HRESULT {
        unsafe { abi_i::is_active(&CheckedInfo(&self.info)) }
    }
    fn IsEnabled(&self) -> HRESULT {
        unsafe { abi_i::is_enabled(&CheckedInfo(&self.info)) }
    }
    fn IsConnected(&self) -> HRESULT {
        unsafe { abi_i::is_connected(&CheckedInfo(&self.info)) }
    }
}
