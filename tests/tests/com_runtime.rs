//! The bindings and the server scaffolding on the real COM runtime (Windows; on Linux under
//! Wine through `scripts/test-windows.sh`): apartments, a derived handler served through
//! `winsync::sync_center::server::ClassFactory` registered with `CoRegisterClassObject` and obtained
//! with `CoCreateInstance`, the COM task allocator, and BSTRs.
#![cfg(windows)]
// Test helpers fail loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::mem::ManuallyDrop;

use windows_core::{GUID, IUnknown, Interface, PCWSTR, PWSTR, Result};
use winsync::bindings::{
    CLSCTX_INPROC_SERVER, COINIT, COINIT_APARTMENTTHREADED, COINIT_MULTITHREADED, CoCreateInstance,
    CoInitializeEx, CoRegisterClassObject, CoRevokeClassObject, CoTaskMemAlloc, CoTaskMemFree,
    CoUninitialize, E_NOTIMPL, HWND, ISyncMgrHandler, ISyncMgrSessionCreator, REGCLS_MULTIPLEUSE,
    S_FALSE, S_OK, SysAllocString, SysFreeString, SysStringLen,
};
use winsync::com::abi::take_co_task_wide;
use winsync::skeletons::SyncMgrHandler;
use winsync::sync_center::server::{self, ClassFactory, Scope};

/// A CLSID only this test registers (in this process, with `CoRegisterClassObject`).
const CLSID_TEST_HANDLER: GUID = GUID::from_u128(0x3c0b7e51_2a94_4d1f_b6e8_97a4c2d15f30);

fn wide(text: &str) -> Vec<u16> {
    text.encode_utf16().chain(std::iter::once(0)).collect()
}

/// Runs `f` on a new thread initialized with `model`, uninitializing COM afterwards.
fn in_apartment<R: Send + 'static>(model: COINIT, f: impl FnOnce() -> R + Send + 'static) -> R {
    std::thread::spawn(move || {
        let hr = unsafe { CoInitializeEx(None, model as u32) };
        assert!(hr == S_OK || hr == S_FALSE, "CoInitializeEx: {hr:?}");
        let result = f();
        unsafe { CoUninitialize() };
        result
    })
    .join()
    .expect("the apartment thread")
}

#[test]
fn both_apartment_models_initialize_and_uninitialize() {
    for model in [COINIT_APARTMENTTHREADED, COINIT_MULTITHREADED] {
        in_apartment(model, move || {
            // A second initialization of the same model answers S_FALSE, and is balanced.
            let again = unsafe { CoInitializeEx(None, model as u32) };
            assert_eq!(again, S_FALSE, "model {model}");
            unsafe { CoUninitialize() };
        });
    }
}

#[derive(winsync::SyncMgrHandler)]
struct TestHandler;

impl SyncMgrHandler for TestHandler {
    fn get_name(&self) -> Result<String> {
        Ok("Served by COM – ünïcode".into())
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

fn serve_and_create(model: COINIT) {
    in_apartment(model, || {
        let factory: IUnknown = ClassFactory::create(|| TestHandler.into()).cast().unwrap();
        let cookie = unsafe {
            CoRegisterClassObject(
                &CLSID_TEST_HANDLER,
                &factory,
                CLSCTX_INPROC_SERVER,
                REGCLS_MULTIPLEUSE as u32,
            )
        }
        .expect("CoRegisterClassObject");
        drop(factory); // COM holds the class object now

        let handler: ISyncMgrHandler =
            unsafe { CoCreateInstance(&CLSID_TEST_HANDLER, None, CLSCTX_INPROC_SERVER) }
                .expect("CoCreateInstance of the registered class object");
        let name = unsafe { take_co_task_wide(handler.GetName().unwrap()) }.unwrap();
        assert_eq!(name, "Served by COM – ünïcode");
        let error = unsafe { handler.GetHandlerInfo() }.unwrap_err();
        assert_eq!(error.code(), E_NOTIMPL);
        assert_eq!(
            server::can_unload_now(),
            S_FALSE,
            "factory and handler alive"
        );
        drop(handler);

        unsafe { CoRevokeClassObject(cookie) }
            .ok()
            .expect("CoRevokeClassObject");
        assert_eq!(server::object_count(), 0, "COM released the class object");
        assert_eq!(server::can_unload_now(), S_OK);
    });
}

/// Both models in one test: the object count is module-wide, so they must not overlap.
#[test]
fn a_derived_handler_is_served_through_the_class_factory() {
    serve_and_create(COINIT_APARTMENTTHREADED);
    serve_and_create(COINIT_MULTITHREADED);
}

#[test]
fn co_task_memory_crosses_the_boundary_both_ways() {
    in_apartment(COINIT_MULTITHREADED, || {
        // Allocated by COM, read and freed by the runtime's CoTaskMemFree.
        let text = wide("allocated by CoTaskMemAlloc");
        let bytes = text.len() * size_of::<u16>();
        let memory = unsafe { CoTaskMemAlloc(bytes) }.cast::<u16>();
        assert!(!memory.is_null());
        unsafe { std::ptr::copy_nonoverlapping(text.as_ptr(), memory, text.len()) };
        let read = unsafe { take_co_task_wide(PWSTR(memory)) }.unwrap();
        assert_eq!(read, "allocated by CoTaskMemAlloc");

        // Allocated by the runtime, freed by COM.
        let handed_out = winsync::com::abi::co_task_wide("handed out").unwrap();
        let units = unsafe { std::slice::from_raw_parts(handed_out.0, 11) };
        assert_eq!(String::from_utf16(&units[..10]).unwrap(), "handed out");
        assert_eq!(units[10], 0);
        unsafe { CoTaskMemFree(Some(handed_out.0.cast_const().cast())) };
    });
}

#[test]
fn bstrs_round_trip() {
    let text = wide("a BSTR – ünïcode");
    // SysFreeString frees it below: the owning wrapper must not free it again.
    let bstr = ManuallyDrop::new(unsafe { SysAllocString(PCWSTR(text.as_ptr())) });
    assert!(!bstr.is_empty());
    assert_eq!(unsafe { SysStringLen(&bstr) }, 16);
    assert_eq!(String::from_utf16(&bstr).unwrap(), "a BSTR – ünïcode");
    unsafe { SysFreeString(&bstr) };
}

#[test]
fn per_user_registration_is_written_and_removed() {
    let clsid = GUID::from_u128(0x8d2f4a60_51c3_4b7e_9f0a_6e1b2c3d4e5f);
    server::unregister_server(&clsid, Scope::CurrentUser).unwrap();
    assert!(!server::is_registered(&clsid, Scope::CurrentUser));
    server::register_server(
        &clsid,
        "per-user test class",
        r"C:\nowhere\handler.dll",
        Scope::CurrentUser,
    )
    .unwrap();
    assert!(server::is_registered(&clsid, Scope::CurrentUser));
    assert!(!server::is_registered(&clsid, Scope::LocalMachine));
    server::unregister_server(&clsid, Scope::CurrentUser).unwrap();
    assert!(!server::is_registered(&clsid, Scope::CurrentUser));
    // Unregistering what is not registered is not an error.
    server::unregister_server(&clsid, Scope::CurrentUser).unwrap();
}
