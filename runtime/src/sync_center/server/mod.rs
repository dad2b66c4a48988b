//! An in-process COM server for Sync Center: the class factories of a DLL's classes
//! ([`factory`]: a handler collection, handlers), the module-wide count of live objects and
//! server locks behind `DllCanUnloadNow`, `DllGetClassObject`, self-registration
//! ([`registration`]), and [`sync_center_dll!`](crate::sync_center_dll), which emits the four
//! exports of a handler DLL.
//!
//! ```ignore
//! #[derive(Default, winsync::SyncMgrHandler)]
//! struct FolderHandler;
//! impl winsync::skeletons::SyncMgrHandler for FolderHandler { /* ... */ }
//!
//! fn collection() -> windows_core::Result<HandlerCollection> {
//!     HandlerCollection::new().handler("example.folder", || Ok(FolderHandler))
//! }
//!
//! winsync::sync_center_dll! {
//!     scope: winsync::sync_center::server::Scope::LocalMachine,
//!     collection {
//!         clsid: windows_core::GUID::from_u128(0x6f1e2a3b_0c4d_4e5f_8a9b_0c1d2e3f4a5b),
//!         name: "Folder sync",
//!         make: collection,
//!     }
//! }
//! ```
//!
//! What Microsoft's pages require, and where it is kept:
//!
//! - `DllGetClassObject` hands out the class object of one of the DLL's classes, answers
//!   `CLASS_E_CLASSNOTAVAILABLE` for another CLSID and sets `*ppv` to NULL on every error
//!   (`NF:combaseapi.DllGetClassObject`): [`dll_get_class_object_for`] (a factory per class,
//!   as the SDK sample's `ClassFactory.cpp`);
//! - `IClassFactory::CreateInstance` answers `CLASS_E_NOAGGREGATION` when an outer unknown is
//!   given to a class that does not support aggregation (`NF:unknwn.IClassFactory.CreateInstance`);
//!   `IClassFactory::LockServer` keeps the server in memory while locked
//!   (`NF:unknwn.IClassFactory.LockServer`): [`ClassFactory`];
//! - `DllCanUnloadNow` is `S_OK` only when the DLL manages no object, `S_FALSE` otherwise
//!   (`NF:combaseapi.DllCanUnloadNow`): [`can_unload_now`], from a count of every live object
//!   of every class ([`ObjectGuard`]) and of the server locks;
//! - `DllRegisterServer` creates the registry entries of every class of the server and fails
//!   with `SELFREG_E_CLASS` when it cannot; `E_NOTIMPL` is not a valid answer
//!   (`NF:olectl.DllRegisterServer`); `DllUnregisterServer` removes only the entries the
//!   server created (`NF:olectl.DllUnregisterServer`): [`register_classes`] and
//!   [`unregister_classes`].
//!
//! # Registration
//! [`register_classes`] writes the COM classes under the current user's or the machine's
//! classes ([`Scope`]) and, per machine, the `HandlerCollections` key through which Sync Center
//! finds a collection; [`unregister_classes`] removes every key it created. What is written,
//! why, and the sources: [`registration`].
//!
//! # Counting objects
//! The count is per module: each DLL (or executable) that links this crate has its own. Every
//! COM object this crate makes for Sync Center — handler objects ([`crate::sync_center::handler`]),
//! handler info, sync items and their enumerators ([`crate::sync_center::items`]), collections
//! and their id enumerators ([`crate::sync_center::collection`]), class factories — holds an
//! [`ObjectGuard`], dropped with the object, so the count follows the objects' real lifetimes
//! whoever releases them last. Code that hands out COM objects of its own from the same DLL
//! keeps `DllCanUnloadNow` honest by holding an [`ObjectGuard`] in each.

pub use crate::com::object_count::{
    ObjectGuard, can_unload_now, lock_count, lock_server, object_count,
};

mod dll;
pub mod factory;
pub mod registration;

pub use factory::{ClassFactory, ServedClass, dll_get_class_object, dll_get_class_object_for};
pub use registration::{
    ClassKind, ClassRegistration, Icon, LEGACY_HANDLERS_KEY, RegistryValue,
    SYNC_CENTER_HANDLER_COLLECTIONS_KEY, Scope, THREADING_MODEL, ValueKind, class_key, class_keys,
    class_values, clsid_string, collection_key, legacy_handler_key, legacy_keys, registry_keys,
    registry_values,
};
#[cfg(any(windows, doc))]
pub use registration::{
    classes_registered, is_registered, module_path, register_classes, register_server,
    unregister_classes, unregister_server,
};

/// What [`sync_center_dll!`](crate::sync_center_dll) expands to refers to; not a public API.
#[doc(hidden)]
pub mod __macro {
    pub use windows_core::{GUID, HRESULT, IUnknown, Result};

    /// `DllRegisterServer`'s body: the DLL's path from `address`, then
    /// [`super::register_classes`]; every failure is `SELFREG_E_CLASS`.
    #[cfg(windows)]
    pub fn register_dll(
        classes: &[super::ServedClass],
        address: *const core::ffi::c_void,
        scope: super::Scope,
    ) -> HRESULT {
        let registrations: Vec<_> = classes.iter().map(|c| c.registration).collect();
        let result = super::module_path(address)
            .map_err(|_| windows_core::Error::from_hresult(crate::bindings::SELFREG_E_CLASS))
            .and_then(|path| super::register_classes(&registrations, &path, scope));
        match result {
            Ok(()) => crate::bindings::S_OK,
            Err(error) => error.code(),
        }
    }

    /// `DllUnregisterServer`'s body.
    #[cfg(windows)]
    pub fn unregister_dll(classes: &[super::ServedClass], scope: super::Scope) -> HRESULT {
        let registrations: Vec<_> = classes.iter().map(|c| c.registration).collect();
        match super::unregister_classes(&registrations, scope) {
            Ok(()) => crate::bindings::S_OK,
            Err(error) => error.code(),
        }
    }
}
