//! The class objects of a handler DLL: [`ClassFactory`], the classes a DLL serves
//! ([`ServedClass`]) and what `DllGetClassObject` does with them
//! ([`dll_get_class_object_for`], and [`dll_get_class_object`] for a DLL of one handler
//! class).

use windows_core::{BOOL, Error, GUID, HRESULT, IUnknown, Interface, Ref, Result, implement};

use super::registration::ClassRegistration;
use super::{ObjectGuard, lock_server};
use crate::bindings::{
    CLASS_E_CLASSNOTAVAILABLE, CLASS_E_NOAGGREGATION, E_INVALIDARG, E_POINTER, IClassFactory,
    IClassFactory_Impl, ISyncMgrHandler,
};
use crate::com::abi;

pub use object::ClassFactory;
use object::ClassFactory_Impl;

/// What a [`ClassFactory`] calls for a new object.
#[derive(Clone, Copy, Debug)]
enum Make {
    /// A handler: `ISyncMgrHandler::from(MyHandler::default())`, say.
    Handler(fn() -> ISyncMgrHandler),
    /// Any object of the DLL (a collection, a handler, ...), or the reason it cannot be made.
    Object(fn() -> Result<IUnknown>),
}

mod object {
    use super::{IClassFactory, Make, ObjectGuard, implement};

    /// The class object of one class of a handler DLL: `IClassFactory::CreateInstance` makes
    /// a new object (for a derived handler: `ISyncMgrHandler::from(MyHandler::default())`,
    /// which carries the checks of [`crate::sync_center::handler`] and counts itself as a live
    /// object of the module until released; for a collection, the object of
    /// [`crate::sync_center::collection`]) and queries it for the interface asked for. The
    /// factory itself is a live object of the module while it exists.
    #[implement(IClassFactory)]
    pub struct ClassFactory {
        pub(super) make: Make,
        pub(super) _guard: ObjectGuard,
    }
}

impl ClassFactory {
    /// A class factory making its handlers with `make`, as `IClassFactory`.
    pub fn create(make: fn() -> ISyncMgrHandler) -> IClassFactory {
        Self::with(Make::Handler(make))
    }

    /// A class factory making its objects with `make`, as `IClassFactory`; an error of `make`
    /// is `CreateInstance`'s answer.
    pub fn for_objects(make: fn() -> Result<IUnknown>) -> IClassFactory {
        Self::with(Make::Object(make))
    }

    fn with(make: Make) -> IClassFactory {
        Self {
            make,
            _guard: ObjectGuard::new(),
        }
        .into()
    }
}

impl IClassFactory_Impl for ClassFactory_Impl {
    /// `NF:unknwn.IClassFactory.CreateInstance`: `*ppvobject` is NULL on every error;
    /// `CLASS_E_NOAGGREGATION` for an outer unknown; `E_NOINTERFACE` when the object does not
    /// implement `riid`; a panic in `make` is `E_UNEXPECTED`.
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
        let object: IUnknown = match self.make {
            Make::Handler(make) => abi::guard(|| Ok(make()))?.into(),
            Make::Object(make) => abi::guard(make)?,
        };
        // SAFETY: `riid` is not null and `ppvobject` is writable; the object stays alive
        // through the reference QueryInterface adds.
        unsafe { object.query(riid, ppvobject) }.ok()
    }

    fn LockServer(&self, flock: BOOL) -> Result<()> {
        lock_server(flock.as_bool())
    }
}

/// One class a handler DLL serves: what registration writes for it, and what its class
/// factory makes. [`sync_center_dll!`](crate::sync_center_dll) builds the list of a DLL.
#[derive(Clone, Copy, Debug)]
pub struct ServedClass {
    /// The CLSID, name and kind (handler or collection) registration writes.
    pub registration: ClassRegistration<'static>,
    /// A new object of the class, for `IClassFactory::CreateInstance`.
    pub make: fn() -> Result<IUnknown>,
}

/// What `DllGetClassObject` does for a DLL serving `classes` (`NF:combaseapi.DllGetClassObject`):
/// a new [`ClassFactory`] for the class whose CLSID is `*rclsid`, queried for `riid` (usually
/// `IClassFactory`).
///
/// Answers `E_POINTER` for a null `ppv`; otherwise sets `*ppv` to NULL first, then answers
/// `E_INVALIDARG` for a null `rclsid` or `riid`, `CLASS_E_CLASSNOTAVAILABLE` for a CLSID none
/// of `classes` has, `E_NOINTERFACE` for an interface the factory does not have, `S_OK` with
/// the factory in `*ppv`.
///
/// # Safety
/// `rclsid` and `riid` are null or point to GUIDs; `ppv` is null or writable.
pub unsafe fn dll_get_class_object_for(
    rclsid: *const GUID,
    riid: *const GUID,
    ppv: *mut *mut core::ffi::c_void,
    classes: &[ServedClass],
) -> HRESULT {
    // SAFETY: forwarded.
    unsafe {
        class_object(rclsid, riid, ppv, |clsid| {
            classes
                .iter()
                .find(|class| class.registration.clsid == *clsid)
                .map(|class| ClassFactory::for_objects(class.make))
        })
    }
}

/// What `DllGetClassObject` does for a DLL serving one handler class
/// (`NF:combaseapi.DllGetClassObject`): as [`dll_get_class_object_for`], with a
/// [`ClassFactory`] for `expected_clsid` making its handler objects with `make`.
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
    // SAFETY: forwarded.
    unsafe {
        class_object(rclsid, riid, ppv, |clsid| {
            (clsid == expected_clsid).then(|| ClassFactory::create(make))
        })
    }
}

/// The checks both `DllGetClassObject`s share, around `factory` (the factory of a CLSID, or
/// `None` when the DLL has no such class).
///
/// # Safety
/// As [`dll_get_class_object_for`].
unsafe fn class_object(
    rclsid: *const GUID,
    riid: *const GUID,
    ppv: *mut *mut core::ffi::c_void,
    factory: impl FnOnce(&GUID) -> Option<IClassFactory>,
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
    let Some(factory) = factory(unsafe { &*rclsid }) else {
        return CLASS_E_CLASSNOTAVAILABLE;
    };
    // SAFETY: `riid` is not null, `ppv` writable.
    unsafe { factory.query(riid, ppv) }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::bindings::{
        E_NOINTERFACE, E_UNEXPECTED, HWND, ISyncMgrHandlerCollection, ISyncMgrSessionCreator,
        S_FALSE, S_OK,
    };
    use crate::skeletons::SyncMgrHandler;
    use crate::sync_center::collection::HandlerCollection;
    use crate::sync_center::handler::DerivedHandler;
    use crate::sync_center::server::registration::ClassKind;
    use crate::sync_center::server::{can_unload_now, lock_count, object_count};

    /// The counts are module-wide: the tests that read them run one at a time.
    static SERIAL: Mutex<()> = Mutex::new(());

    const CLSID: GUID = GUID::from_u128(0x0b5a2c1e_7d3f_4e6a_9c8b_1a2b3c4d5e6f);
    const COLLECTION: GUID = GUID::from_u128(0x1c6b3d2f_8e40_4f7b_ad9c_2b3c4d5e6f70);

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

    fn served() -> [ServedClass; 2] {
        [
            ServedClass {
                registration: ClassRegistration {
                    clsid: COLLECTION,
                    name: "collection",
                    kind: ClassKind::Collection { icon: None },
                },
                make: || {
                    let collection: ISyncMgrHandlerCollection = HandlerCollection::new()
                        .handler("one", || Ok(Named.into_handler()))?
                        .into();
                    Ok(collection.into())
                },
            },
            ServedClass {
                registration: ClassRegistration {
                    clsid: CLSID,
                    name: "handler",
                    kind: ClassKind::Handler,
                },
                make: || Ok(Named.into_handler().into()),
            },
        ]
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
    fn several_classes_get_a_factory_each_and_count_together() {
        let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let classes = served();
        let factory = |clsid: &GUID| {
            let mut ppv = std::ptr::dangling_mut::<core::ffi::c_void>();
            let hr =
                unsafe { dll_get_class_object_for(clsid, &IClassFactory::IID, &mut ppv, &classes) };
            (hr, ppv)
        };
        let (hr, ppv) = factory(&GUID::from_u128(3));
        assert_eq!(
            (hr, ppv),
            (CLASS_E_CLASSNOTAVAILABLE, core::ptr::null_mut())
        );

        let (hr, ppv) = factory(&COLLECTION);
        assert_eq!(hr, S_OK);
        let collections = unsafe { IClassFactory::from_raw(ppv) };
        let (hr, ppv) = factory(&CLSID);
        assert_eq!(hr, S_OK);
        let handlers = unsafe { IClassFactory::from_raw(ppv) };
        assert_eq!(object_count(), 2, "two factories");

        let collection: ISyncMgrHandlerCollection =
            unsafe { collections.CreateInstance(None) }.unwrap();
        let error = unsafe { collections.CreateInstance::<_, ISyncMgrHandler>(None) }.unwrap_err();
        assert_eq!(error.code(), E_NOINTERFACE, "the collection is no handler");
        let handler: ISyncMgrHandler = unsafe { handlers.CreateInstance(None) }.unwrap();
        drop((collections, handlers));
        assert_eq!(object_count(), 2, "the collection and the handler");

        let one: Vec<u16> = "one".encode_utf16().chain([0]).collect();
        let bound: ISyncMgrHandler =
            unsafe { collection.BindToHandler(windows_core::PCWSTR(one.as_ptr())) }.unwrap();
        let ids = unsafe { collection.GetHandlerEnumerator() }.unwrap();
        drop(collection);
        assert_eq!(object_count(), 3, "the handler, the bound handler, the ids");
        assert_eq!(can_unload_now(), S_FALSE);
        drop((bound, ids, handler));
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
    fn a_failing_maker_is_the_answer_of_create_instance() {
        let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let factory =
            ClassFactory::for_objects(|| Err(Error::new(E_INVALIDARG, "no configuration")));
        let error = unsafe { factory.CreateInstance::<_, IUnknown>(None) }.unwrap_err();
        assert_eq!(error.code(), E_INVALIDARG);
        drop(factory);
        let factory = ClassFactory::for_objects(|| panic!("boom"));
        let error = unsafe { factory.CreateInstance::<_, IUnknown>(None) }.unwrap_err();
        assert_eq!(error.code(), E_UNEXPECTED);
        drop(factory);
        assert_eq!(can_unload_now(), S_OK);
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
