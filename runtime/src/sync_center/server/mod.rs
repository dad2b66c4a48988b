//! An in-process COM server for a Sync Center handler: the class factory, the module-wide
//! count of live objects and server locks behind `DllCanUnloadNow`, `DllGetClassObject`,
//! self-registration ([`registration`]), and [`sync_center_dll!`](crate::sync_center_dll), which emits
//! the four exports of a handler DLL.
//!
//! ```ignore
//! #[derive(Default, winsync::SyncMgrHandler)]
//! struct FolderHandler;
//! impl winsync::skeletons::SyncMgrHandler for FolderHandler { /* ... */ }
//!
//! winsync::sync_center_dll! {
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
//! [`register_server`] writes the COM class under the current user's or the machine's classes
//! ([`Scope`]) and, per machine, the key that lists the handler for Sync Center;
//! [`unregister_server`] removes every key it created. What is written, and the pages it
//! comes from: [`registration`].
//!
//! # Counting objects
//! The count is per module: each DLL (or executable) that links this crate has its own. Every
//! COM object this crate makes for Sync Center — handler objects ([`crate::sync_center::handler`]), handler
//! info, sync items and their enumerators ([`crate::sync_center::items`]), class factories — holds an
//! [`ObjectGuard`], dropped with the object, so the count follows the objects' real lifetimes
//! whoever releases them last. Code that hands out COM objects of its own from the same DLL
//! keeps `DllCanUnloadNow` honest by holding an [`ObjectGuard`] in each.

use windows_core::{BOOL, Error, GUID, HRESULT, IUnknown, Interface, Ref, Result, implement};

use crate::bindings::{
    CLASS_E_CLASSNOTAVAILABLE, CLASS_E_NOAGGREGATION, E_INVALIDARG, E_POINTER, IClassFactory,
    IClassFactory_Impl, ISyncMgrHandler,
};
use crate::com::abi;
pub use crate::com::object_count::{
    ObjectGuard, can_unload_now, lock_count, lock_server, object_count,
};

pub mod registration;

pub use object::ClassFactory;
use object::ClassFactory_Impl;
pub use registration::{
    RegistryValue, SYNC_CENTER_HANDLERS_KEY, Scope, THREADING_MODEL, class_key, clsid_string,
    registry_keys, registry_values, sync_center_key,
};
#[cfg(any(windows, doc))]
pub use registration::{is_registered, module_path, register_server, unregister_server};

mod object {
    use super::{IClassFactory, ISyncMgrHandler, ObjectGuard, implement};

    /// The class object of a handler class: `IClassFactory::CreateInstance` makes a new handler
    /// object with `make` (for a derived handler: `ISyncMgrHandler::from(MyHandler::default())`,
    /// which carries the checks of [`crate::sync_center::handler`] and counts itself as a live object of the
    /// module until released) and queries it for the interface asked for. The factory itself
    /// is a live object of the module while it exists.
    #[implement(IClassFactory)]
    pub struct ClassFactory {
        pub(super) make: fn() -> ISyncMgrHandler,
        pub(super) _guard: ObjectGuard,
    }
}

impl ClassFactory {
    /// A class factory making its handlers with `make`, as `IClassFactory`.
    pub fn create(make: fn() -> ISyncMgrHandler) -> IClassFactory {
        Self {
            make,
            _guard: ObjectGuard::new(),
        }
        .into()
    }
}

impl IClassFactory_Impl for ClassFactory_Impl {
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
        // SAFETY: `riid` is not null and `ppvobject` is writable; the object stays alive
        // through the reference QueryInterface adds.
        unsafe { handler.query(riid, ppvobject) }.ok()
    }

    fn LockServer(&self, flock: BOOL) -> Result<()> {
        lock_server(flock.as_bool())
    }
}

/// What `DllGetClassObject` does for a DLL serving one handler class
/// (`NF:combaseapi.DllGetClassObject`): a new [`ClassFactory`] for `expected_clsid`, making
/// its handler objects with `make`, queried for `riid` (usually `IClassFactory`).
///
/// Answers `E_POINTER` for a null `ppv`; otherwise sets `*ppv` to NULL first, then answers
/// `E_INVALIDARG` for a null `rclsid` or `riid`, `CLASS_E_CLASSNOTAVAILABLE` for another
/// CLSID, `E_NOINTERFACE` for an interface the factory does not have, `S_OK` with the
/// factory in `*ppv`.
///
/// # Safety
/// `rclsid` and `riid` are null or point to GUIDs; `ppv` is null or writable.
pub unsafe fn dll_get_class_object(
    rclsid: *const GUID,
    riid: *const GUID,
    ppv: *mut *mut core::ffi::c_void,
    expected_clsid: &GUID,
    make: fn() -> ISyncMgrHandler,
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

/// Emits the four exports of an in-process COM server DLL serving one Sync Center handler
/// class, made with `#[derive(winsync::SyncMgrHandler)]` (with or without
/// `#[sync_mgr_handler(item_container)]`):
///
/// - `DllGetClassObject` ([`dll_get_class_object`](crate::sync_center::server::dll_get_class_object));
/// - `DllCanUnloadNow` ([`can_unload_now`](crate::sync_center::server::can_unload_now));
/// - `DllRegisterServer` ([`register_server`](crate::sync_center::server::register_server) with the path of
///   the DLL, found from the address of this very function; a failure is `SELFREG_E_CLASS`);
/// - `DllUnregisterServer` ([`unregister_server`](crate::sync_center::server::unregister_server)).
///
/// The last two exist on Windows only. `handler` is a `fn() -> T` for the derived handler type
/// `T` (a function path such as `MyHandler::default`, or a closure that captures nothing; each
/// `CreateInstance` calls it once and serves the value through the derive's
/// `From<T> for ISyncMgrHandler`), `clsid` a `GUID` constant
/// expression, `name` a `&str` (the class's registry name), and the optional `scope` a
/// [`Scope`](crate::sync_center::server::Scope) (default: the current user).
///
/// ```ignore
/// winsync::sync_center_dll! {
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
            scope: $crate::sync_center::server::Scope::CurrentUser,
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
            rclsid: *const $crate::sync_center::server::__macro::GUID,
            riid: *const $crate::sync_center::server::__macro::GUID,
            ppv: *mut *mut ::core::ffi::c_void,
        ) -> $crate::sync_center::server::__macro::HRESULT {
            /// A new handler object: the derive's `From` conversion wraps the handler with
            /// its checks, plain or item container alike.
            fn make() -> $crate::bindings::ISyncMgrHandler {
                ::core::convert::From::from(($make)())
            }
            // SAFETY: forwarded to COM, the caller.
            unsafe {
                $crate::sync_center::server::dll_get_class_object(rclsid, riid, ppv, &$clsid, make)
            }
        }

        /// `DllCanUnloadNow` (`NF:combaseapi.DllCanUnloadNow`): `S_OK` when no object of
        /// this DLL is alive and no server lock is held, `S_FALSE` otherwise.
        ///
        /// # Safety
        /// None: `unsafe` for the signature COM declares.
        #[unsafe(no_mangle)]
        pub unsafe extern "system" fn DllCanUnloadNow()
        -> $crate::sync_center::server::__macro::HRESULT {
            $crate::sync_center::server::can_unload_now()
        }

        /// `DllRegisterServer` (`NF:olectl.DllRegisterServer`): registers the handler class
        /// with this DLL's path.
        ///
        /// # Safety
        /// None: `unsafe` for the signature COM declares.
        #[cfg(windows)]
        #[unsafe(no_mangle)]
        pub unsafe extern "system" fn DllRegisterServer()
        -> $crate::sync_center::server::__macro::HRESULT {
            $crate::sync_center::server::__macro::register_dll(
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
        pub unsafe extern "system" fn DllUnregisterServer()
        -> $crate::sync_center::server::__macro::HRESULT {
            $crate::sync_center::server::__macro::unregister_dll(&$clsid, $scope)
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
    use crate::bindings::{
        E_NOINTERFACE, E_UNEXPECTED, HWND, ISyncMgrSessionCreator, S_FALSE, S_OK,
    };
    use crate::skeletons::SyncMgrHandler;
    use crate::sync_center::handler::DerivedHandler;

    /// The counts are module-wide: the tests that read them run one at a time.
    static SERIAL: Mutex<()> = Mutex::new(());

    const CLSID: GUID = GUID::from_u128(0x0b5a2c1e_7d3f_4e6a_9c8b_1a2b3c4d5e6f);

    struct Named;

    impl SyncMgrHandler for Named {
        fn get_name(&self) -> Result<String> {
            Ok("counted".into())
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
        let hr =
            unsafe { dll_get_class_object(clsid, iid, &mut ppv, &CLSID, || Named.into_handler()) };
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
        let factory = ClassFactory::create(|| Named.into_handler());
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
                || Named.into_handler(),
            )
        };
        assert_eq!(hr, E_POINTER);

        let factory = ClassFactory::create(|| Named.into_handler());
        let outer: IUnknown = ClassFactory::create(|| Named.into_handler())
            .cast()
            .unwrap();
        let error = unsafe { factory.CreateInstance::<_, ISyncMgrHandler>(&outer) }.unwrap_err();
        assert_eq!(error.code(), CLASS_E_NOAGGREGATION);
        let error = unsafe { factory.CreateInstance::<_, IClassFactory>(None) }.unwrap_err();
        assert_eq!(error.code(), E_NOINTERFACE);
        drop((factory, outer));
        assert_eq!(can_unload_now(), S_OK, "refused instances are not leaked");
    }
}
