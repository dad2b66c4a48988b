//! [`sync_center_dll!`](crate::sync_center_dll): the four exports of a handler DLL.

/// Emits the four exports of an in-process COM server DLL serving Sync Center classes: a
/// handler collection and handlers made with `#[derive(winsync::SyncMgrHandler)]` (with or
/// without `#[sync_mgr_handler(item_container)]`):
///
/// - `DllGetClassObject`: a class factory for each class
///   ([`dll_get_class_object_for`](crate::sync_center::server::dll_get_class_object_for));
/// - `DllCanUnloadNow`: `S_OK` once no object of the DLL, of any class, is alive and no server
///   lock is held ([`can_unload_now`](crate::sync_center::server::can_unload_now));
/// - `DllRegisterServer`: every class, with the path of the DLL found from the address of this
///   very function ([`register_classes`](crate::sync_center::server::register_classes); a
///   failure is `SELFREG_E_CLASS`);
/// - `DllUnregisterServer`: removes exactly that
///   ([`unregister_classes`](crate::sync_center::server::unregister_classes)).
///
/// The last two exist on Windows only. The crate is built as a `cdylib`; `regsvr32
/// my_handler.dll` registers it and `regsvr32 /u my_handler.dll` removes the registration.
///
/// # A collection and its handlers
/// ```ignore
/// winsync::sync_center_dll! {
///     scope: winsync::sync_center::server::Scope::LocalMachine,
///     collection {
///         clsid: CLSID_MY_COLLECTION,
///         name: "My devices",
///         make: MyCollection::make,
///         icon: winsync::sync_center::server::Icon::Module(-50),
///     }
///     handler {
///         clsid: CLSID_MY_HANDLER,
///         name: "My device handler",
///         make: MyHandler::default,
///     }
/// }
/// ```
///
/// `scope` (optional, first; a [`Scope`](crate::sync_center::server::Scope), default the
/// current user) says where the classes are registered; Sync Center finds a collection only
/// when it is registered per machine ([`registration`](crate::sync_center::server::registration)).
/// Then any number of classes, each `collection { .. }` or `handler { .. }` with its fields in
/// this order:
///
/// - `clsid`: a `GUID` expression; `name`: a `&'static str` (the class's registry name; for a
///   collection also the name Sync Center shows for it);
/// - `make`: for a `collection`, a `fn() -> windows_core::Result<C>` (a function path, or a
///   closure that captures nothing) where `C: Into<ISyncMgrHandlerCollection>`, such as a
///   [`HandlerCollection`](crate::sync_center::collection::HandlerCollection) (its error is
///   `CreateInstance`'s answer); for a `handler`, a `fn() -> T` for a derived handler type `T`
///   (served through the derive's `From<T> for ISyncMgrHandler`);
/// - `icon` (collections only, optional): an [`Icon`](crate::sync_center::server::Icon), the
///   `DefaultIcon` Sync Center shows.
///
/// A handler class is needed only by clients that create a handler with `CoCreateInstance`:
/// Sync Center gets its handlers from the collection's `BindToHandler`.
///
/// # One handler class
/// The form of winsync 0.1 serves one handler class and registers its COM class only (Sync
/// Center does not find a lone handler class; give it a collection):
///
/// ```ignore
/// winsync::sync_center_dll! {
///     handler: MyHandler::default,
///     clsid: MY_CLSID,
///     name: "My sync handler",
///     scope: winsync::sync_center::server::Scope::LocalMachine, // optional
/// }
/// ```
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
        $crate::sync_center_dll! {
            scope: $scope,
            handler { clsid: $clsid, name: $name, make: $make }
        }
    };
    ($($kind:ident { $($body:tt)* })+) => {
        $crate::sync_center_dll! {
            scope: $crate::sync_center::server::Scope::CurrentUser,
            $($kind { $($body)* })+
        }
    };
    (scope: $scope:expr, $($kind:ident { $($body:tt)* })+) => {
        /// The classes this DLL serves, in the order `sync_center_dll!` names them.
        fn __winsync_served_classes() -> ::std::vec::Vec<$crate::sync_center::server::ServedClass> {
            ::std::vec![$($crate::sync_center_dll!(@class $kind { $($body)* })),+]
        }

        /// Where this DLL registers its classes (read by the registration exports, which
        /// exist on Windows only).
        #[cfg_attr(not(windows), allow(dead_code))]
        fn __winsync_scope() -> $crate::sync_center::server::Scope {
            $scope
        }

        /// `DllGetClassObject` (`NF:combaseapi.DllGetClassObject`): the class factory of one
        /// of this DLL's classes.
        ///
        /// # Safety
        /// `rclsid` and `riid` are null or point to GUIDs; `ppv` is null or writable.
        #[unsafe(no_mangle)]
        pub unsafe extern "system" fn DllGetClassObject(
            rclsid: *const $crate::sync_center::server::__macro::GUID,
            riid: *const $crate::sync_center::server::__macro::GUID,
            ppv: *mut *mut ::core::ffi::c_void,
        ) -> $crate::sync_center::server::__macro::HRESULT {
            let classes = __winsync_served_classes();
            // SAFETY: forwarded to COM, the caller.
            unsafe {
                $crate::sync_center::server::dll_get_class_object_for(rclsid, riid, ppv, &classes)
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

        /// `DllRegisterServer` (`NF:olectl.DllRegisterServer`): registers this DLL's classes
        /// with its path.
        ///
        /// # Safety
        /// None: `unsafe` for the signature COM declares.
        #[cfg(windows)]
        #[unsafe(no_mangle)]
        pub unsafe extern "system" fn DllRegisterServer()
        -> $crate::sync_center::server::__macro::HRESULT {
            $crate::sync_center::server::__macro::register_dll(
                &__winsync_served_classes(),
                DllRegisterServer as *const ::core::ffi::c_void,
                __winsync_scope(),
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
            $crate::sync_center::server::__macro::unregister_dll(
                &__winsync_served_classes(),
                __winsync_scope(),
            )
        }
    };
    (@class collection {
        clsid: $clsid:expr, name: $name:expr, make: $make:expr $(, icon: $icon:expr)? $(,)?
    }) => {{
        /// A new collection object.
        fn make() -> $crate::sync_center::server::__macro::Result<
            $crate::sync_center::server::__macro::IUnknown,
        > {
            let collection: $crate::bindings::ISyncMgrHandlerCollection =
                ::core::convert::Into::into(($make)()?);
            ::core::result::Result::Ok(::core::convert::Into::into(collection))
        }
        let icon: ::core::option::Option<$crate::sync_center::server::Icon> =
            ::core::option::Option::None;
        $(let icon = ::core::option::Option::Some($icon);)?
        $crate::sync_center::server::ServedClass {
            registration: $crate::sync_center::server::ClassRegistration {
                clsid: $clsid,
                name: $name,
                kind: $crate::sync_center::server::ClassKind::Collection { icon },
            },
            make,
        }
    }};
    (@class handler { clsid: $clsid:expr, name: $name:expr, make: $make:expr $(,)? }) => {{
        /// A new handler object: the derive's `From` conversion wraps the handler with its
        /// checks, plain or item container alike.
        fn make() -> $crate::sync_center::server::__macro::Result<
            $crate::sync_center::server::__macro::IUnknown,
        > {
            let handler: $crate::bindings::ISyncMgrHandler = ::core::convert::From::from(($make)());
            ::core::result::Result::Ok(::core::convert::Into::into(handler))
        }
        $crate::sync_center::server::ServedClass {
            registration: $crate::sync_center::server::ClassRegistration {
                clsid: $clsid,
                name: $name,
                kind: $crate::sync_center::server::ClassKind::Handler,
            },
            make,
        }
    }};
    (@class $other:ident { $($body:tt)* }) => {
        ::core::compile_error!(::core::concat!(
            "sync_center_dll!: `", ::core::stringify!($other),
            "` is no class kind: write `collection { clsid: .., name: .., make: .., icon: .. }` or `handler { clsid: .., name: .., make: .. }`, fields in that order"
        ))
    };
}
