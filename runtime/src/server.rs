//! An in-process COM server for a Sync Center handler: the class factory, the module-wide
//! count of live objects and server locks behind `DllCanUnloadNow`, `DllGetClassObject`,
//! per-user self-registration, and [`sync_center_dll!`](crate::sync_center_dll), which emits
//! the four exports of a handler DLL.
//!
//! ```ignore
//! #[derive(Default, windows_sync::SyncMgrHandler)]
//! struct FolderHandler;
//! impl windows_sync::skeletons::SyncMgrHandler for FolderHandler { /* ... */ }
//!
//! windows_sync::sync_center_dll! {
//!     handler: FolderHandler::default,
//!     clsid: windows_core::GUID::from_u128(0x6f1e2a3b_0c4d_4e5f_8a9b_0c1d2e3f4a5b),
//!     name: "Folder sync handler",
//! }
//! ```
//!
//! What Microsoft's pages require, and where it is kept:
//!
//! - `DllGetClassObject` hands out the class object of the DLL's class, answers
//!   `CLASS_E_CLASSNOTAVAILABLE` for another CLSID and sets `*ppv` to NULL on every error
//!   (`NF:combaseapi.DllGetClassObject`): [`dll_get_class_object`];
//! - `IClassFactory::CreateInstance` answers `CLASS_E_NOAGGREGATION` when an outer unknown is
//!   given to a class that does not support aggregation (`NF:unknwn.IClassFactory.CreateInstance`);
//!   `IClassFactory::LockServer` keeps the server in memory while locked
//!   (`NF:unknwn.IClassFactory.LockServer`): [`ClassFactory`];
//! - `DllCanUnloadNow` is `S_OK` only when the DLL manages no object, `S_FALSE` otherwise
//!   (`NF:combaseapi.DllCanUnloadNow`): [`can_unload_now`], from a count of every live handler
//!   object and class factory ([`ObjectGuard`]) and of the server locks;
//! - `DllRegisterServer` creates the registry entries of every class of the server and fails
//!   with `SELFREG_E_CLASS` when it cannot; `E_NOTIMPL` is not a valid answer
//!   (`NF:olectl.DllRegisterServer`); `DllUnregisterServer` removes only the entries the
//!   server created (`NF:olectl.DllUnregisterServer`): [`register_server`] and
//!   [`unregister_server`].
//!
//! # Registration
//! [`register_server`] writes the class under `Software\Classes\CLSID\{clsid}` of
//! `HKEY_CURRENT_USER` ([`Scope::CurrentUser`], the default of
//! [`sync_center_dll!`](crate::sync_center_dll): no administrator rights needed, and Windows
//! merges it into `HKEY_CLASSES_ROOT`) or of `HKEY_LOCAL_MACHINE` ([`Scope::LocalMachine`]:
//! every user; needs an elevated `regsvr32`): the default value is the handler's name,
//! `InprocServer32`'s default value the DLL's path and its `ThreadingModel` value `Both`
//! ([`THREADING_MODEL`]). [`unregister_server`] deletes that key with everything under it.
//!
//! Wine (8.0) does not merge `HKEY_CURRENT_USER\Software\Classes` into what COM reads:
//! there, `CoCreateInstance` finds only classes registered with [`Scope::LocalMachine`].
//!
//! Microsoft's Sync Center pages do not state which registry keys make Sync Center list a
//! handler: `NN:syncmgr.ISyncMgrHandlerCollection` says a handler author may register "each
//! one individually in the registry" without naming the keys, and the `mobsync.h` registration
//! (`NN:mobsync.ISyncMgrRegister`) is for the legacy `ISyncMgrSynchronize` handlers. So this
//! module registers the COM class only; a handler collection or installer that makes Sync
//! Center enumerate the handler is the application's part.
//!
//! # Counting objects
//! The count is per module: each DLL (or executable) that links this crate has its own. A
//! handler made by [`ClassFactory`] is wrapped in a private `Counted` handler, whose [`ObjectGuard`] is
//! dropped with the COM object, so the count follows the object's real lifetime whoever
//! releases it last. Code that hands out other COM objects of the same DLL (enumerators, item
//! objects) keeps `DllCanUnloadNow` honest by holding an [`ObjectGuard`] in each.

use std::sync::atomic::{AtomicUsize, Ordering};

use windows_core::{BOOL, Error, GUID, HRESULT, IUnknown, Interface, Ref, Result, implement};

use crate::abi;
use crate::bindings::{
    CLASS_E_CLASSNOTAVAILABLE, CLASS_E_NOAGGREGATION, E_INVALIDARG, E_POINTER, E_UNEXPECTED, HWND,
    IClassFactory, IClassFactory_Impl, ISyncMgrHandlerInfo, ISyncMgrSessionCreator, S_FALSE, S_OK,
    SYNCMGR_HANDLER_CAPABILITIES, SYNCMGR_HANDLER_POLICIES,
};
use crate::handler::{DerivedHandler, HandlerObject};
use crate::skeletons::SyncMgrHandler;

pub use object::ClassFactory;
use object::ClassFactory_Impl;

/// The `ThreadingModel` [`register_server`] writes: `Both`. The objects may be called from any
/// apartment without marshaling: a derived handler is `Send + Sync`
/// ([`DerivedHandler`]), the class factory holds a function pointer, and the counts are atomic;
/// and Sync Center makes a handler instance on one thread to read its properties and another
/// on a separate thread to synchronize (`NN:syncmgr.ISyncMgrHandler`). With `Apartment`, a
/// caller in the multithreaded apartment would get a proxy, which needs a registered
/// proxy/stub for `ISyncMgrHandler`. (The values are those of the `InprocServer32` registry
/// page, <https://learn.microsoft.com/windows/win32/com/inprocserver32>.)
pub const THREADING_MODEL: &str = "Both";

/// Live objects of this module (handler objects made by a [`ClassFactory`], class factories,
/// and anything else holding an [`ObjectGuard`]).
static OBJECTS: AtomicUsize = AtomicUsize::new(0);
/// `IClassFactory::LockServer(TRUE)` calls not yet balanced by `LockServer(FALSE)`.
static LOCKS: AtomicUsize = AtomicUsize::new(0);

/// The number of live objects of this module (see [`ObjectGuard`]).
pub fn object_count() -> usize {
    OBJECTS.load(Ordering::SeqCst)
}

/// The number of server locks held (`IClassFactory::LockServer`).
pub fn lock_count() -> usize {
    LOCKS.load(Ordering::SeqCst)
}

/// What `DllCanUnloadNow` answers: `S_OK` when no object of this module is alive and no lock
/// is held, `S_FALSE` otherwise (`NF:combaseapi.DllCanUnloadNow`).
pub fn can_unload_now() -> HRESULT {
    if object_count() == 0 && lock_count() == 0 {
        S_OK
    } else {
        S_FALSE
    }
}

/// Takes (`lock = true`) or releases one server lock, as `IClassFactory::LockServer` does
/// (`NF:unknwn.IClassFactory.LockServer`).
///
/// # Errors
/// `E_UNEXPECTED` when releasing a lock that is not held; the count stays at zero.
pub fn lock_server(lock: bool) -> Result<()> {
    if lock {
        LOCKS.fetch_add(1, Ordering::SeqCst);
        return Ok(());
    }
    LOCKS
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .map(drop)
        .map_err(|_| {
            Error::new(
                E_UNEXPECTED,
                "LockServer(FALSE) without a matching LockServer(TRUE)",
            )
        })
}

/// One live object of this module, for [`can_unload_now`]: counted from [`ObjectGuard::new`]
/// until the guard is dropped. Keep one in every COM object the module hands out.
#[derive(Debug)]
pub struct ObjectGuard(());

impl ObjectGuard {
    /// Counts one more live object.
    pub fn new() -> Self {
        OBJECTS.fetch_add(1, Ordering::SeqCst);
        Self(())
    }
}

impl Default for ObjectGuard {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for ObjectGuard {
    fn drop(&mut self) {
        OBJECTS.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A handler counted as a live object of the module for as long as it exists: what
/// [`ClassFactory`] serves, so that the handler's COM object (which owns this value) keeps
/// `DllCanUnloadNow` at `S_FALSE` until its last reference is released. Every
/// [`SyncMgrHandler`] method goes to the wrapped handler.
///
/// Private: a public implementation of [`SyncMgrHandler`] would show up in the compiler's
/// suggestions for every type that lacks one.
#[derive(Debug)]
struct Counted<T> {
    handler: T,
    _guard: ObjectGuard,
}

impl<T> Counted<T> {
    /// Wraps `handler`, counting one live object.
    fn new(handler: T) -> Self {
        Self {
            handler,
            _guard: ObjectGuard::new(),
        }
    }
}

impl<T: SyncMgrHandler> SyncMgrHandler for Counted<T> {
    fn get_name(&self) -> Result<String> {
        self.handler.get_name()
    }
    fn get_handler_info(&self) -> Result<ISyncMgrHandlerInfo> {
        self.handler.get_handler_info()
    }
    fn get_object(
        &self,
        object_id: &GUID,
        riid: &GUID,
        ppv: *mut *mut core::ffi::c_void,
    ) -> Result<()> {
        self.handler.get_object(object_id, riid, ppv)
    }
    fn get_capabilities(&self) -> Result<SYNCMGR_HANDLER_CAPABILITIES> {
        self.handler.get_capabilities()
    }
    fn get_policies(&self) -> Result<SYNCMGR_HANDLER_POLICIES> {
        self.handler.get_policies()
    }
    fn activate(&self, activate: bool) -> Result<()> {
        self.handler.activate(activate)
    }
    fn enable(&self, enable: bool) -> Result<()> {
        self.handler.enable(enable)
    }
    fn synchronize(
        &self,
        item_ids: &[String],
        owner: HWND,
        session_creator: &ISyncMgrSessionCreator,
        punk: Option<&IUnknown>,
    ) -> Result<()> {
        self.handler
            .synchronize(item_ids, owner, session_creator, punk)
    }
}

impl<T: DerivedHandler> DerivedHandler for Counted<T> {}

mod object {
    use super::{DerivedHandler, IClassFactory, ObjectGuard, implement};

    /// The class object of a handler class: `IClassFactory::CreateInstance` makes a new handler
    /// with `make` and serves it as a derived handler object (`ISyncMgrHandler`, with the
    /// checks of [`crate::handler`]) wrapped in a counting handler, so that it is a live
    /// object of the module (see [`super::ObjectGuard`]) until released. The factory itself is a
    /// live object of the module while it exists.
    #[implement(IClassFactory)]
    pub struct ClassFactory<T>
    where
        T: DerivedHandler,
    {
        pub(super) make: fn() -> T,
        pub(super) _guard: ObjectGuard,
    }
}

impl<T: DerivedHandler> ClassFactory<T> {
    /// A class factory making its handlers with `make`, as `IClassFactory`.
    pub fn create(make: fn() -> T) -> IClassFactory {
        Self {
            make,
            _guard: ObjectGuard::new(),
        }
        .into()
    }
}

impl<T: DerivedHandler> IClassFactory_Impl for ClassFactory_Impl<T> {
    /// `NF:unknwn.IClassFactory.CreateInstance`: `*ppvobject` is NULL on every error;
    /// `CLASS_E_NOAGGREGATION` for an outer unknown; `E_NOINTERFACE` when the handler object
    /// does not implement `riid`; a panic in `make` is `E_UNEXPECTED`.
    fn CreateInstance(
        &self,
        punkouter: Ref<IUnknown>,
        riid: *const GUID,
        ppvobject: *mut *mut core::ffi::c_void,
    ) -> Result<()> {
        if ppvobject.is_null() {
            return Err(Error::from_hresult(E_POINTER));
        }
        // SAFETY: checked not null; the caller provides a writable pointer.
        unsafe { ppvobject.write(core::ptr::null_mut()) };
        if punkouter.is_some() {
            return Err(Error::from_hresult(CLASS_E_NOAGGREGATION));
        }
        if riid.is_null() {
            return Err(Error::from_hresult(E_POINTER));
        }
        let make = self.make;
        let handler = abi::guard(|| Ok(make()))?;
        let unknown: IUnknown = HandlerObject::new(Counted::new(handler)).to_interface();
        // SAFETY: `riid` is not null and `ppvobject` is writable; the object stays alive
        // through the reference QueryInterface adds.
        unsafe { unknown.query(riid, ppvobject) }.ok()
    }

    fn LockServer(&self, flock: BOOL) -> Result<()> {
        lock_server(flock.as_bool())
    }
}

/// What `DllGetClassObject` does for a DLL serving one handler class
/// (`NF:combaseapi.DllGetClassObject`): a new [`ClassFactory`] for `expected_clsid`, queried
/// for `riid` (usually `IClassFactory`).
///
/// Answers `E_POINTER` for a null `ppv`; otherwise sets `*ppv` to NULL first, then answers
/// `E_INVALIDARG` for a null `rclsid` or `riid`, `CLASS_E_CLASSNOTAVAILABLE` for another
/// CLSID, `E_NOINTERFACE` for an interface the factory does not have, `S_OK` with the
/// factory in `*ppv`.
///
/// # Safety
/// `rclsid` and `riid` are null or point to GUIDs; `ppv` is null or writable.
pub unsafe fn dll_get_class_object<T: DerivedHandler>(
    rclsid: *const GUID,
    riid: *const GUID,
    ppv: *mut *mut core::ffi::c_void,
    expected_clsid: &GUID,
    make: fn() -> T,
) -> HRESULT {
    if ppv.is_null() {
        return E_POINTER;
    }
    // SAFETY: checked not null; the caller provides a writable pointer.
    unsafe { ppv.write(core::ptr::null_mut()) };
    if rclsid.is_null() || riid.is_null() {
        return E_INVALIDARG;
    }
    // SAFETY: checked not null; the caller guarantees it points to a GUID.
    if unsafe { *rclsid } != *expected_clsid {
        return CLASS_E_CLASSNOTAVAILABLE;
    }
    let factory = ClassFactory::create(make);
    // SAFETY: `riid` is not null, `ppv` writable.
    unsafe { factory.query(riid, ppv) }
}

/// Where [`register_server`] writes a class.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Scope {
    /// `HKEY_CURRENT_USER\Software\Classes`: the current user only, no administrator rights.
    #[default]
    CurrentUser,
    /// `HKEY_LOCAL_MACHINE\Software\Classes`: every user; writing needs administrator rights.
    LocalMachine,
}

impl Scope {
    /// The predefined key's name: `HKEY_CURRENT_USER` or `HKEY_LOCAL_MACHINE`.
    pub fn root_name(self) -> &'static str {
        match self {
            Self::CurrentUser => "HKEY_CURRENT_USER",
            Self::LocalMachine => "HKEY_LOCAL_MACHINE",
        }
    }
}

/// `{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}`: a CLSID as the registry spells it (upper case,
/// with braces).
pub fn clsid_string(clsid: &GUID) -> String {
    let d4 = clsid.data4;
    format!(
        "{{{:08X}-{:04X}-{:04X}-{:02X}{:02X}-{:02X}{:02X}{:02X}{:02X}{:02X}{:02X}}}",
        clsid.data1,
        clsid.data2,
        clsid.data3,
        d4[0],
        d4[1],
        d4[2],
        d4[3],
        d4[4],
        d4[5],
        d4[6],
        d4[7]
    )
}

/// The key [`register_server`] creates under the [`Scope`]'s root:
/// `Software\Classes\CLSID\{clsid}`.
pub fn class_key(clsid: &GUID) -> String {
    format!(r"Software\Classes\CLSID\{}", clsid_string(clsid))
}

#[cfg(windows)]
pub use registry::{module_path, register_server, unregister_server};

#[cfg(windows)]
mod registry {
    use windows_core::{Error, GUID, PCWSTR, PWSTR, Result};

    use super::{Scope, THREADING_MODEL, class_key};
    use crate::bindings::{
        GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS, GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
        GetModuleFileNameW, GetModuleHandleExW, HKEY, HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE,
        HMODULE, KEY_READ, KEY_WRITE, REG_OPTION_NON_VOLATILE, REG_SZ, RegCloseKey,
        RegCreateKeyExW, RegDeleteTreeW, RegOpenKeyExW, RegSetValueExW, SELFREG_E_CLASS,
        WIN32_ERROR,
    };

    fn root(scope: Scope) -> HKEY {
        match scope {
            Scope::CurrentUser => HKEY_CURRENT_USER,
            Scope::LocalMachine => HKEY_LOCAL_MACHINE,
        }
    }

    fn wide(text: &str) -> Vec<u16> {
        text.encode_utf16().chain(std::iter::once(0)).collect()
    }

    /// `ERROR_SUCCESS` (0, `winerror.h`) is `Ok`; another code its HRESULT
    /// (`HRESULT_FROM_WIN32`).
    fn win32(code: WIN32_ERROR) -> Result<()> {
        if code == 0 {
            Ok(())
        } else {
            // HRESULT_FROM_WIN32 (`winerror.h`): FACILITY_WIN32 (7), severity bit set.
            Err(windows_core::HRESULT(((code & 0xFFFF) | 0x8007_0000) as i32).into())
        }
    }

    /// An open registry key, closed on drop.
    struct Key(HKEY);

    impl Key {
        fn create(parent: HKEY, path: &str) -> Result<Self> {
            let path = wide(path);
            let mut key = HKEY::default();
            // SAFETY: `path` is NUL-terminated and outlives the call; `key` is writable.
            win32(unsafe {
                RegCreateKeyExW(
                    parent,
                    PCWSTR(path.as_ptr()),
                    None,
                    PCWSTR::null(),
                    REG_OPTION_NON_VOLATILE,
                    KEY_WRITE,
                    None,
                    &mut key,
                    None,
                )
            })?;
            Ok(Self(key))
        }

        fn open(parent: HKEY, path: &str) -> Result<Self> {
            let path = wide(path);
            let mut key = HKEY::default();
            // SAFETY: as in `create`.
            win32(unsafe {
                RegOpenKeyExW(parent, PCWSTR(path.as_ptr()), None, KEY_READ, &mut key)
            })?;
            Ok(Self(key))
        }

        /// Sets the string value `name` (`None`: the key's default value).
        fn set(&self, name: Option<&str>, value: &str) -> Result<()> {
            let name = name.map(wide);
            let bytes: Vec<u8> = wide(value).into_iter().flat_map(u16::to_le_bytes).collect();
            let name = name.as_ref().map_or(PCWSTR::null(), |n| PCWSTR(n.as_ptr()));
            // SAFETY: `name` is null or NUL-terminated; `bytes` is a NUL-terminated UTF-16
            // string, as REG_SZ wants.
            win32(unsafe { RegSetValueExW(self.0, name, None, REG_SZ, Some(&bytes)) })
        }
    }

    impl Drop for Key {
        fn drop(&mut self) {
            // SAFETY: the key is open and closed once.
            unsafe { RegCloseKey(self.0) };
        }
    }

    /// Whether `<scope root>\<path>` exists (can be opened for reading).
    pub(super) fn key_exists(scope: Scope, path: &str) -> bool {
        Key::open(root(scope), path).is_ok()
    }

    /// Registers the handler class `clsid` in `scope`, served by the DLL at `dll_path` (see
    /// the module docs: the class key's default value `name`,
    /// `InprocServer32` = `dll_path`, `ThreadingModel` = [`THREADING_MODEL`]).
    ///
    /// # Errors
    /// `SELFREG_E_CLASS` (`NF:olectl.DllRegisterServer`), with the registry's error in the
    /// message, after removing what was written.
    pub fn register_server(clsid: &GUID, name: &str, dll_path: &str, scope: Scope) -> Result<()> {
        let write = || -> Result<()> {
            let class = Key::create(root(scope), &class_key(clsid))?;
            class.set(None, name)?;
            let server = Key::create(class.0, "InprocServer32")?;
            server.set(None, dll_path)?;
            server.set(Some("ThreadingModel"), THREADING_MODEL)
        };
        write().map_err(|error| {
            let _ = unregister_server(clsid, scope);
            Error::new(
                SELFREG_E_CLASS,
                format!(
                    r"registering {}\{}: {}",
                    scope.root_name(),
                    class_key(clsid),
                    error.message()
                ),
            )
        })
    }

    /// Removes what [`register_server`] wrote in `scope`: `Software\Classes\CLSID\{clsid}` with
    /// everything under it. Nothing registered is success.
    ///
    /// # Errors
    /// The registry's error when the key exists and cannot be deleted.
    pub fn unregister_server(clsid: &GUID, scope: Scope) -> Result<()> {
        let path = class_key(clsid);
        let wide_path = wide(&path);
        // SAFETY: `wide_path` is NUL-terminated.
        let result = win32(unsafe { RegDeleteTreeW(root(scope), PCWSTR(wide_path.as_ptr())) });
        match result {
            Err(_) if !key_exists(scope, &path) => Ok(()),
            result => result,
        }
    }

    /// The full path of the module (DLL or executable) that holds `address`, for instance the
    /// address of one of the DLL's functions (`GetModuleHandleExW` with
    /// `GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS`, then `GetModuleFileNameW`).
    ///
    /// # Errors
    /// The Win32 error of either call.
    pub fn module_path(address: *const core::ffi::c_void) -> Result<String> {
        let mut module = HMODULE::default();
        // SAFETY: with FROM_ADDRESS the "name" is an address, read by no one; UNCHANGED_REFCOUNT
        // leaves the module's reference count alone, so nothing needs freeing.
        let found = unsafe {
            GetModuleHandleExW(
                GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS
                    | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                PCWSTR(address.cast()),
                &mut module,
            )
        };
        if !found.as_bool() {
            return Err(Error::from_thread());
        }
        let mut buffer = vec![0u16; 260];
        loop {
            let size = u32::try_from(buffer.len()).unwrap_or(u32::MAX);
            // SAFETY: `buffer` holds `size` writable units.
            let len = unsafe { GetModuleFileNameW(Some(module), PWSTR(buffer.as_mut_ptr()), size) };
            if len == 0 {
                return Err(Error::from_thread());
            }
            // A full buffer means the path was truncated: try a larger one (paths are at most
            // 32,767 units).
            if len < size || buffer.len() > 32_768 {
                return String::from_utf16(&buffer[..len as usize])
                    .map_err(|_| abi_error("the module path is not valid UTF-16"));
            }
            buffer.resize(buffer.len() * 2, 0);
        }
    }

    fn abi_error(message: &str) -> Error {
        crate::abi::invalid_arg(message)
    }
}

/// Whether `Software\Classes\CLSID\{clsid}` exists in `scope` (for tests and installers).
#[cfg(windows)]
pub fn is_registered(clsid: &GUID, scope: Scope) -> bool {
    registry::key_exists(scope, &class_key(clsid))
}

/// Emits the four exports of an in-process COM server DLL serving one Sync Center handler
/// class, made with `#[derive(windows_sync::SyncMgrHandler)]`:
///
/// - `DllGetClassObject` ([`dll_get_class_object`](crate::server::dll_get_class_object));
/// - `DllCanUnloadNow` ([`can_unload_now`](crate::server::can_unload_now));
/// - `DllRegisterServer` ([`register_server`](crate::server::register_server) with the path of
///   the DLL, found from the address of this very function; a failure is `SELFREG_E_CLASS`);
/// - `DllUnregisterServer` ([`unregister_server`](crate::server::unregister_server)).
///
/// The last two exist on Windows only. `handler` is a `fn() -> T` (a function path such as
/// `MyHandler::default`, or a closure that captures nothing), `clsid` a `GUID` constant
/// expression, `name` a `&str` (the class's registry name), and the optional `scope` a
/// [`Scope`](crate::server::Scope) (default: the current user).
///
/// ```ignore
/// windows_sync::sync_center_dll! {
///     handler: MyHandler::default,
///     clsid: MY_CLSID,
///     name: "My sync handler",
/// }
/// ```
///
/// The crate is built as a `cdylib`; `regsvr32 my_handler.dll` registers it and
/// `regsvr32 /u my_handler.dll` removes the registration.
#[macro_export]
macro_rules! sync_center_dll {
    (handler: $make:expr, clsid: $clsid:expr, name: $name:expr $(,)?) => {
        $crate::sync_center_dll! {
            handler: $make,
            clsid: $clsid,
            name: $name,
            scope: $crate::server::Scope::CurrentUser,
        }
    };
    (handler: $make:expr, clsid: $clsid:expr, name: $name:expr, scope: $scope:expr $(,)?) => {
        /// `DllGetClassObject` (`NF:combaseapi.DllGetClassObject`): the class factory of this
        /// DLL's Sync Center handler class.
        ///
        /// # Safety
        /// `rclsid` and `riid` are null or point to GUIDs; `ppv` is null or writable.
        #[unsafe(no_mangle)]
        pub unsafe extern "system" fn DllGetClassObject(
            rclsid: *const $crate::server::__macro::GUID,
            riid: *const $crate::server::__macro::GUID,
            ppv: *mut *mut ::core::ffi::c_void,
        ) -> $crate::server::__macro::HRESULT {
            // SAFETY: forwarded to COM, the caller.
            unsafe { $crate::server::dll_get_class_object(rclsid, riid, ppv, &$clsid, $make) }
        }

        /// `DllCanUnloadNow` (`NF:combaseapi.DllCanUnloadNow`): `S_OK` when no object of
        /// this DLL is alive and no server lock is held, `S_FALSE` otherwise.
        ///
        /// # Safety
        /// None: `unsafe` for the signature COM declares.
        #[unsafe(no_mangle)]
        pub unsafe extern "system" fn DllCanUnloadNow() -> $crate::server::__macro::HRESULT {
            $crate::server::can_unload_now()
        }

        /// `DllRegisterServer` (`NF:olectl.DllRegisterServer`): registers the handler class
        /// with this DLL's path.
        ///
        /// # Safety
        /// None: `unsafe` for the signature COM declares.
        #[cfg(windows)]
        #[unsafe(no_mangle)]
        pub unsafe extern "system" fn DllRegisterServer() -> $crate::server::__macro::HRESULT {
            $crate::server::__macro::register_dll(
                &$clsid,
                $name,
                DllRegisterServer as *const ::core::ffi::c_void,
                $scope,
            )
        }

        /// `DllUnregisterServer` (`NF:olectl.DllUnregisterServer`): removes what
        /// `DllRegisterServer` wrote.
        ///
        /// # Safety
        /// None: `unsafe` for the signature COM declares.
        #[cfg(windows)]
        #[unsafe(no_mangle)]
        pub unsafe extern "system" fn DllUnregisterServer() -> $crate::server::__macro::HRESULT {
            $crate::server::__macro::unregister_dll(&$clsid, $scope)
        }
    };
}

/// What [`sync_center_dll!`](crate::sync_center_dll) expands to refers to; not a public API.
#[doc(hidden)]
pub mod __macro {
    pub use windows_core::{GUID, HRESULT};

    /// `DllRegisterServer`'s body: the DLL's path from `address`, then
    /// [`super::register_server`]; every failure is `SELFREG_E_CLASS`.
    #[cfg(windows)]
    pub fn register_dll(
        clsid: &GUID,
        name: &str,
        address: *const core::ffi::c_void,
        scope: super::Scope,
    ) -> HRESULT {
        let result = super::module_path(address)
            .map_err(|_| windows_core::Error::from_hresult(crate::bindings::SELFREG_E_CLASS))
            .and_then(|path| super::register_server(clsid, name, &path, scope));
        match result {
            Ok(()) => crate::bindings::S_OK,
            Err(error) => error.code(),
        }
    }

    /// `DllUnregisterServer`'s body.
    #[cfg(windows)]
    pub fn unregister_dll(clsid: &GUID, scope: super::Scope) -> HRESULT {
        match super::unregister_server(clsid, scope) {
            Ok(()) => crate::bindings::S_OK,
            Err(error) => error.code(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::bindings::{E_NOINTERFACE, ISyncMgrHandler};

    /// The counts are module-wide: the tests that read them run one at a time.
    static SERIAL: Mutex<()> = Mutex::new(());

    const CLSID: GUID = GUID::from_u128(0x0b5a2c1e_7d3f_4e6a_9c8b_1a2b3c4d5e6f);

    struct Named;

    impl SyncMgrHandler for Named {
        fn get_name(&self) -> Result<String> {
            Ok("counted".into())
        }
        fn get_handler_info(&self) -> Result<ISyncMgrHandlerInfo> {
            Err(abi::not_implemented())
        }
        fn get_object(&self, _: &GUID, _: &GUID, _: *mut *mut core::ffi::c_void) -> Result<()> {
            Err(abi::not_implemented())
        }
        fn get_capabilities(&self) -> Result<SYNCMGR_HANDLER_CAPABILITIES> {
            Ok(SYNCMGR_HANDLER_CAPABILITIES::default())
        }
        fn get_policies(&self) -> Result<SYNCMGR_HANDLER_POLICIES> {
            Ok(SYNCMGR_HANDLER_POLICIES::default())
        }
        fn activate(&self, _: bool) -> Result<()> {
            Ok(())
        }
        fn enable(&self, _: bool) -> Result<()> {
            Ok(())
        }
        fn synchronize(
            &self,
            _: &[String],
            _: HWND,
            _: &ISyncMgrSessionCreator,
            _: Option<&IUnknown>,
        ) -> Result<()> {
            Ok(())
        }
    }

    impl DerivedHandler for Named {}

    fn get_factory(clsid: &GUID, iid: &GUID) -> (HRESULT, *mut core::ffi::c_void) {
        let mut ppv = std::ptr::dangling_mut::<core::ffi::c_void>();
        let hr = unsafe { dll_get_class_object(clsid, iid, &mut ppv, &CLSID, || Named) };
        (hr, ppv)
    }

    #[test]
    fn class_objects_and_handlers_are_counted_until_released() {
        let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        assert_eq!(can_unload_now(), S_OK);

        let (hr, ppv) = get_factory(&CLSID, &IClassFactory::IID);
        assert_eq!(hr, S_OK);
        let factory = unsafe { IClassFactory::from_raw(ppv) };
        assert_eq!(object_count(), 1);
        assert_eq!(can_unload_now(), S_FALSE);

        let handler: ISyncMgrHandler = unsafe { factory.CreateInstance(None) }.unwrap();
        assert_eq!(object_count(), 2);
        drop(factory);
        assert_eq!(can_unload_now(), S_FALSE, "the handler is still alive");
        let name = unsafe { handler.GetName() }.unwrap();
        assert_eq!(unsafe { abi::take_co_task_wide(name) }.unwrap(), "counted");
        let clone = handler.clone();
        drop(handler);
        assert_eq!(can_unload_now(), S_FALSE, "one reference is left");
        drop(clone);
        assert_eq!(object_count(), 0);
        assert_eq!(can_unload_now(), S_OK);
    }

    #[test]
    fn server_locks_keep_the_module_loaded() {
        let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let factory = ClassFactory::create(|| Named);
        assert_eq!(unsafe { factory.LockServer(true) }, S_OK);
        drop(factory);
        assert_eq!(lock_count(), 1);
        assert_eq!(can_unload_now(), S_FALSE);
        lock_server(false).unwrap();
        assert_eq!(can_unload_now(), S_OK);
        assert_eq!(lock_server(false).unwrap_err().code(), E_UNEXPECTED);
        assert_eq!(lock_count(), 0);
    }

    #[test]
    fn wrong_requests_are_refused_with_a_null_result() {
        let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let other = GUID::from_u128(1);
        let (hr, ppv) = get_factory(&other, &IClassFactory::IID);
        assert_eq!(
            (hr, ppv),
            (CLASS_E_CLASSNOTAVAILABLE, core::ptr::null_mut())
        );
        let (hr, ppv) = get_factory(&CLSID, &ISyncMgrHandler::IID);
        assert_eq!((hr, ppv), (E_NOINTERFACE, core::ptr::null_mut()));
        let hr = unsafe {
            dll_get_class_object(
                &CLSID,
                &IClassFactory::IID,
                core::ptr::null_mut(),
                &CLSID,
                || Named,
            )
        };
        assert_eq!(hr, E_POINTER);

        let factory = ClassFactory::create(|| Named);
        let outer: IUnknown = ClassFactory::create(|| Named).cast().unwrap();
        let error = unsafe { factory.CreateInstance::<_, ISyncMgrHandler>(&outer) }.unwrap_err();
        assert_eq!(error.code(), CLASS_E_NOAGGREGATION);
        let error = unsafe { factory.CreateInstance::<_, IClassFactory>(None) }.unwrap_err();
        assert_eq!(error.code(), E_NOINTERFACE);
        drop((factory, outer));
        assert_eq!(can_unload_now(), S_OK, "refused instances are not leaked");
    }

    #[test]
    fn clsids_are_spelled_as_the_registry_does() {
        let clsid = GUID::from_u128(0x0b5a2c1e_7d3f_4e6a_9c8b_1a2b3c4d5e6f);
        assert_eq!(
            clsid_string(&clsid),
            "{0B5A2C1E-7D3F-4E6A-9C8B-1A2B3C4D5E6F}"
        );
        assert_eq!(
            class_key(&clsid),
            r"Software\Classes\CLSID\{0B5A2C1E-7D3F-4E6A-9C8B-1A2B3C4D5E6F}"
        );
    }
}
