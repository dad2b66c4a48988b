//! What the Sync Center discovery tests share: a derived item-container handler ([`Device`]),
//! `IEnumString` with its methods (the bindings declare it without them) with a reader and a
//! scripted enumerator ([`scripted_ids`]), a collection written against the bare bindings
//! ([`Loose`], no winsync checks), and a collection with a hand-made vtable that can break the
//! out-pointer rules the bindings keep for every `#[implement]` object ([`RawCollection`]).
#![allow(dead_code, non_snake_case)]

use std::collections::VecDeque;
use std::sync::Mutex;

use windows_core::{
    Error, GUID, HRESULT, IUnknown, IUnknown_Vtbl, Interface, PCWSTR, PWSTR, Result, implement,
};
use winsync::bindings::{
    E_FAIL, E_NOINTERFACE, E_NOTIMPL, HWND, IEnumString, ISyncMgrHandler,
    ISyncMgrHandlerCollection, ISyncMgrHandlerCollection_Impl, ISyncMgrHandlerCollection_Vtbl,
    ISyncMgrHandlerInfo, ISyncMgrSessionCreator, ISyncMgrSyncItemInfo, S_OK, SYNCMGR_ICM_NONE,
    SYNCMGR_ITEM_CAPABILITIES, SYNCMGR_ITEM_POLICIES,
};
use winsync::com::abi::{co_task_wide, read_wide, take_co_task_wide};
use winsync::skeletons::{
    SyncMgrHandler, SyncMgrHandlerInfo, SyncMgrSyncItem, SyncMgrSyncItemContainer,
    SyncmgrHandlerType, SyncmgrProgressStatus,
};
use winsync::sync_center::handler::handler_info;
use winsync::sync_center::items::SyncItems;
use winsync::sync_center::session::SyncSession;

pub fn wide(text: &str) -> Vec<u16> {
    text.encode_utf16().chain(std::iter::once(0)).collect()
}

/// The value an out-pointer holds before a raw call: not NULL, no valid pointer.
pub fn sentinel() -> *mut core::ffi::c_void {
    std::ptr::dangling_mut::<core::ffi::c_void>()
}

/// One item of a [`Device`]: its id and, for an item that keeps its own enabled state, the
/// capabilities that say so and what its info's `IsEnabled` answers (`None`: the default,
/// `E_NOTIMPL`).
pub struct Item(
    pub String,
    pub SYNCMGR_ITEM_CAPABILITIES,
    pub Option<HRESULT>,
);

/// The info of an [`Item`]: `IsEnabled` answers as given.
struct ItemInfo(Option<HRESULT>);

impl winsync::skeletons::SyncMgrSyncItemInfo for ItemInfo {
    fn get_type_label(&self) -> Result<String> {
        Ok("item".into())
    }
    fn get_comment(&self) -> Result<String> {
        Ok(String::new())
    }
    fn get_last_sync_time(&self) -> Result<winsync::bindings::FILETIME> {
        Ok(winsync::bindings::FILETIME::default())
    }
    fn is_enabled(&self) -> Result<bool> {
        match self.0 {
            Some(S_OK) => Ok(true),
            Some(winsync::bindings::S_FALSE) => Ok(false),
            Some(code) => Err(Error::from_hresult(code)),
            None => Err(Error::from_hresult(E_NOTIMPL)),
        }
    }
    fn is_connected(&self) -> Result<bool> {
        Ok(true)
    }
}

impl SyncMgrSyncItem for Item {
    fn get_item_id(&self) -> Result<String> {
        Ok(self.0.clone())
    }
    fn get_name(&self) -> Result<String> {
        Ok(format!("Item {}", self.0))
    }
    fn get_item_info(&self) -> Result<ISyncMgrSyncItemInfo> {
        Ok(winsync::sync_center::items::sync_item_info(ItemInfo(
            self.2,
        )))
    }
    fn get_object(
        &self,
        _: winsync::sync_center::objects::ObjectId,
    ) -> Result<Option<winsync::sync_center::objects::SyncMgrObject>> {
        Ok(None)
    }
    fn get_capabilities(&self) -> Result<SYNCMGR_ITEM_CAPABILITIES> {
        Ok(self.1)
    }
    fn get_policies(&self) -> Result<SYNCMGR_ITEM_POLICIES> {
        Ok(SYNCMGR_ITEM_POLICIES::default())
    }
    fn enable(&self, _: bool) -> Result<()> {
        Ok(())
    }
    fn delete(&self) -> Result<()> {
        Err(Error::from_hresult(E_NOTIMPL))
    }
}

/// A device handler, as the SDK sample's one per partnership: a name, items, and a
/// `synchronize` that creates its session under `session_id` and brings every item to
/// SUCCEEDED.
#[derive(winsync::SyncMgrHandler)]
#[sync_mgr_handler(item_container)]
pub struct Device {
    pub name: String,
    pub session_id: String,
    pub named: bool,
    items: SyncItems<Item>,
}

impl Device {
    /// The handler bound as `id`: named `Device <id>`, its session created under `id`.
    pub fn new(id: &str, items: &[&str]) -> Self {
        Self {
            name: format!("Device {id}"),
            session_id: id.to_string(),
            named: true,
            items: SyncItems::new(
                items
                    .iter()
                    .map(|item| Item(item.to_string(), SYNCMGR_ICM_NONE, None)),
            )
            .expect("usable item ids"),
        }
    }

    /// The handler bound as `id` with one item, `item`, that has `capabilities` and whose
    /// info's `IsEnabled` answers `enabled`.
    pub fn with_item(
        id: &str,
        item: &str,
        capabilities: SYNCMGR_ITEM_CAPABILITIES,
        enabled: Option<HRESULT>,
    ) -> Self {
        Self {
            items: SyncItems::new([Item(item.to_string(), capabilities, enabled)])
                .expect("a usable item id"),
            ..Self::new(id, &[])
        }
    }

    /// The same handler, creating its session under `session_id` instead.
    pub fn reporting_as(mut self, session_id: &str) -> Self {
        self.session_id = session_id.to_string();
        self
    }

    /// The same handler, whose `GetName` fails.
    pub fn nameless(mut self) -> Self {
        self.named = false;
        self
    }
}

struct DeviceInfo;

impl SyncMgrHandlerInfo for DeviceInfo {
    fn get_type(&self) -> Result<SyncmgrHandlerType> {
        Ok(SyncmgrHandlerType::Device)
    }
    fn get_type_label(&self) -> Result<String> {
        Ok("Sample device".into())
    }
}

impl SyncMgrHandler for Device {
    fn get_name(&self) -> Result<String> {
        if self.named {
            Ok(self.name.clone())
        } else {
            Err(Error::new(E_FAIL, "no name"))
        }
    }
    fn get_handler_info(&self) -> Result<ISyncMgrHandlerInfo> {
        Ok(handler_info(DeviceInfo))
    }
    fn synchronize(
        &self,
        item_ids: &[String],
        _: HWND,
        creator: &ISyncMgrSessionCreator,
        _: Option<&IUnknown>,
    ) -> Result<()> {
        let session = SyncSession::create(creator, &self.session_id, item_ids)?;
        for id in item_ids {
            session.report_progress(id, "done", SyncmgrProgressStatus::Succeeded, 1, 1)?;
        }
        Ok(())
    }
}

impl SyncMgrSyncItemContainer for Device {
    fn get_sync_item(&self, item_id: &str) -> Result<winsync::bindings::ISyncMgrSyncItem> {
        self.items.get(item_id)
    }
    fn get_sync_item_enumerator(&self) -> Result<winsync::bindings::IEnumSyncMgrSyncItems> {
        Ok(self.items.enumerator())
    }
    fn get_sync_item_count(&self) -> Result<u32> {
        Ok(self.items.count())
    }
}

/// `IEnumString` with its methods (`NN:objidl.IEnumString`).
#[windows_core::interface("00000101-0000-0000-c000-000000000046")]
pub unsafe trait EnumString: IUnknown {
    fn Next(&self, celt: u32, rgelt: *mut PWSTR, fetched: *mut u32) -> HRESULT;
    fn Skip(&self, celt: u32) -> HRESULT;
    fn Reset(&self) -> HRESULT;
    fn Clone(&self, clone: *mut *mut core::ffi::c_void) -> HRESULT;
}

/// Asserts that `error`'s message names `rule`. Off Windows, windows-core keeps no message
/// with an error (it travels as `IErrorInfo`), so only the code can be checked there.
pub fn names(error: &Error, rule: &str) {
    if cfg!(windows) {
        assert!(error.message().contains(rule), "{}", error.message());
    }
}

/// Every id `ids` hands out, one `Next` at a time, each freed.
pub fn read_all(ids: &IEnumString) -> Vec<String> {
    let ids: EnumString = ids.cast().expect("an IEnumString");
    let mut read = Vec::new();
    loop {
        let (mut id, mut fetched) = (PWSTR::null(), 0);
        let code = unsafe { ids.Next(1, &mut id, &mut fetched) };
        assert!(code.is_ok(), "{code:?}");
        if fetched == 0 {
            return read;
        }
        // PWSTR::to_string counts with the C library's wcslen, whose wchar_t is 4 bytes off
        // Windows: read with the crate's own reader.
        read.push(unsafe { take_co_task_wide(id) }.expect("UTF-16"));
    }
}

/// One answer of a [`scripted_ids`] enumerator's `Next`: the code, the id written (when
/// `Some`) and the count written.
pub type Step = (HRESULT, Option<String>, u32);

#[implement(EnumString)]
struct ScriptedIds(Mutex<VecDeque<Step>>);

impl EnumString_Impl for ScriptedIds_Impl {
    unsafe fn Next(&self, _celt: u32, rgelt: *mut PWSTR, fetched: *mut u32) -> HRESULT {
        let step = self.0.lock().unwrap().pop_front();
        let (code, id, count) = step.unwrap_or((winsync::bindings::S_FALSE, None, 0));
        if let Some(id) = id {
            unsafe { rgelt.write(co_task_wide(&id).unwrap()) };
        }
        if !fetched.is_null() {
            unsafe { fetched.write(count) };
        }
        code
    }
    unsafe fn Skip(&self, _: u32) -> HRESULT {
        E_NOTIMPL
    }
    unsafe fn Reset(&self) -> HRESULT {
        E_NOTIMPL
    }
    unsafe fn Clone(&self, _: *mut *mut core::ffi::c_void) -> HRESULT {
        E_NOTIMPL
    }
}

/// An enumerator answering `steps` in order, then `S_FALSE` with nothing.
pub fn scripted_ids(steps: Vec<Step>) -> IEnumString {
    let ids: EnumString = ScriptedIds(Mutex::new(steps.into())).into();
    ids.cast().expect("the same interface id")
}

/// The steps of a well-behaved enumerator over `ids`.
pub fn steps(ids: &[&str]) -> Vec<Step> {
    ids.iter()
        .map(|id| (S_OK, Some(id.to_string()), 1))
        .collect()
}

/// What makes a [`Loose`] collection's handler for an id (`None`: no such handler).
pub type Bind = Box<dyn Fn(&str) -> Option<ISyncMgrHandler> + Send + Sync>;

/// A collection written against the bare bindings, without winsync's checks: its enumerator is
/// `ids()`, and `BindToHandler` hands out `bind(id)`'s handler, `E_FAIL` for `None`.
#[implement(ISyncMgrHandlerCollection)]
pub struct Loose {
    pub ids: Box<dyn Fn() -> IEnumString + Send + Sync>,
    pub bind: Bind,
}

impl ISyncMgrHandlerCollection_Impl for Loose_Impl {
    fn GetHandlerEnumerator(&self) -> Result<IEnumString> {
        Ok((self.ids)())
    }
    fn BindToHandler(
        &self,
        pszhandlerid: &PCWSTR,
        riid: *const GUID,
        ppv: *mut *mut core::ffi::c_void,
    ) -> Result<()> {
        let id = unsafe { read_wide(*pszhandlerid, 1000) }?;
        let handler = (self.bind)(&id).ok_or_else(|| Error::from_hresult(E_FAIL))?;
        unsafe { handler.query(riid, ppv) }.ok()
    }
}

/// What a [`RawCollection`] method does with its out-pointer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Raw {
    /// Fails with `E_FAIL` and leaves the out-pointer as it found it.
    FailUntouched,
    /// Succeeds with `S_OK` and writes NULL.
    SucceedWithNull,
    /// Behaves: the enumerator of `ids`, the handlers of `bind`.
    Behave,
}

/// A collection with a hand-made vtable (no bindings shim writes its out-pointers first):
/// each method does what its [`Raw`] says. Lives as long as the test keeps it; its
/// `AddRef`/`Release` count nothing.
#[repr(C)]
pub struct RawCollection {
    vtable: &'static ISyncMgrHandlerCollection_Vtbl,
    pub enumerate: Raw,
    pub bind: Raw,
    pub ids: Vec<&'static str>,
}

static RAW_VTABLE: ISyncMgrHandlerCollection_Vtbl = ISyncMgrHandlerCollection_Vtbl {
    base__: IUnknown_Vtbl {
        QueryInterface: raw_query_interface,
        AddRef: raw_add_ref,
        Release: raw_add_ref,
    },
    GetHandlerEnumerator: raw_get_handler_enumerator,
    BindToHandler: raw_bind_to_handler,
};

impl RawCollection {
    pub fn new(enumerate: Raw, bind: Raw, ids: &[&'static str]) -> Box<Self> {
        Box::new(Self {
            vtable: &RAW_VTABLE,
            enumerate,
            bind,
            ids: ids.to_vec(),
        })
    }

    /// The object as the interface; valid while `self` lives.
    pub fn interface(&self) -> std::mem::ManuallyDrop<ISyncMgrHandlerCollection> {
        let this = (self as *const Self).cast_mut().cast::<core::ffi::c_void>();
        std::mem::ManuallyDrop::new(unsafe { ISyncMgrHandlerCollection::from_raw(this) })
    }
}

unsafe extern "system" fn raw_query_interface(
    this: *mut core::ffi::c_void,
    iid: *const GUID,
    out: *mut *mut core::ffi::c_void,
) -> HRESULT {
    let iid = unsafe { *iid };
    if iid == IUnknown::IID || iid == ISyncMgrHandlerCollection::IID {
        unsafe { out.write(this) };
        S_OK
    } else {
        unsafe { out.write(core::ptr::null_mut()) };
        E_NOINTERFACE
    }
}

unsafe extern "system" fn raw_add_ref(_: *mut core::ffi::c_void) -> u32 {
    1
}

unsafe extern "system" fn raw_get_handler_enumerator(
    this: *mut core::ffi::c_void,
    out: *mut *mut core::ffi::c_void,
) -> HRESULT {
    let this = unsafe { &*this.cast::<RawCollection>() };
    match this.enumerate {
        Raw::FailUntouched => E_FAIL,
        Raw::SucceedWithNull => {
            unsafe { out.write(core::ptr::null_mut()) };
            S_OK
        }
        Raw::Behave => {
            unsafe { out.write(scripted_ids(steps(&this.ids)).into_raw()) };
            S_OK
        }
    }
}

unsafe extern "system" fn raw_bind_to_handler(
    this: *mut core::ffi::c_void,
    id: PCWSTR,
    iid: *const GUID,
    out: *mut *mut core::ffi::c_void,
) -> HRESULT {
    let this = unsafe { &*this.cast::<RawCollection>() };
    match this.bind {
        Raw::FailUntouched => E_FAIL,
        Raw::SucceedWithNull => {
            unsafe { out.write(core::ptr::null_mut()) };
            S_OK
        }
        Raw::Behave => {
            unsafe { out.write(core::ptr::null_mut()) };
            let id = unsafe { read_wide(id, 1000) }.unwrap_or_default();
            if !this.ids.contains(&id.as_str()) {
                return E_FAIL;
            }
            let handler: ISyncMgrHandler = Device::new(&id, &["only"]).into();
            unsafe { handler.query(iid, out) }
        }
    }
}
