//! `winsync::sync_center::collection` through the real vtables: a `HandlerCollection` hands
//! out its ids and binds each to its handler, with or without an enumeration first, and
//! answers an unknown id with `CLASS_E_CLASSNOTAVAILABLE` and a NULL out-pointer; its ids are
//! checked when added; and a hand-written collection served with `handler_collection` is
//! checked at the boundary (its ids, its out-pointer on failure and on success, panics).
// Test helpers fail loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod sync_center_fixtures;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sync_center_fixtures::{Device, names, read_all, scripted_ids, sentinel, steps, wide};
use windows_core::{Error, GUID, HRESULT, IUnknown, Interface, PCWSTR, Result};
use winsync::bindings::{
    CLASS_E_CLASSNOTAVAILABLE, E_FAIL, E_INVALIDARG, E_NOINTERFACE, E_POINTER, E_UNEXPECTED, HWND,
    IClassFactory, IEnumString, ISyncMgrHandler, ISyncMgrHandlerCollection, ISyncMgrSessionCreator,
};
use winsync::com::abi::take_co_task_wide;
use winsync::contract::Rule;
use winsync::contracts as rules;
use winsync::skeletons::{SyncMgrHandler, SyncMgrHandlerCollection};
use winsync::sync_center::collection::{HandlerCollection, handler_collection};

/// `BindToHandler(id, IID_ISyncMgrHandler)` through the bindings.
fn bind(collection: &ISyncMgrHandlerCollection, id: &str) -> Result<ISyncMgrHandler> {
    let id = wide(id);
    unsafe { collection.BindToHandler(PCWSTR(id.as_ptr())) }
}

fn name_of(handler: &ISyncMgrHandler) -> String {
    unsafe { take_co_task_wide(handler.GetName().unwrap()) }.unwrap()
}

fn devices() -> HandlerCollection {
    HandlerCollection::new()
        .handler("{partner-1}", || Ok(Device::new("{partner-1}", &["music"])))
        .unwrap()
        .handler("{partner-2}", || {
            Ok(Device::new("{partner-2}", &["photos"]))
        })
        .unwrap()
}

/// `BindToHandler(id, riid)` through the vtable, the out-pointer holding a non-NULL value
/// before: the answer and what it holds after.
fn raw_bind(
    collection: &ISyncMgrHandlerCollection,
    id: &str,
    iid: &GUID,
) -> (HRESULT, *mut core::ffi::c_void) {
    let id = wide(id);
    let mut out = sentinel();
    let code = unsafe {
        (collection.vtable().BindToHandler)(collection.as_raw(), PCWSTR(id.as_ptr()), iid, &mut out)
    };
    if code.is_ok() {
        drop(unsafe { IUnknown::from_raw(out) });
    }
    (code, out)
}

fn assert_refused(result: Result<impl std::fmt::Debug>, code: HRESULT, rule: &Rule) {
    let error = result.unwrap_err();
    assert_eq!(error.code(), code, "{}", error.message());
    names(&error, rule.id);
}

#[test]
fn a_collection_hands_out_its_ids_and_binds_each_to_its_handler() {
    let collection: ISyncMgrHandlerCollection = devices().into();
    let ids = read_all(&unsafe { collection.GetHandlerEnumerator() }.unwrap());
    assert_eq!(ids, ["{partner-1}", "{partner-2}"]);
    for id in &ids {
        let handler = bind(&collection, id).unwrap();
        assert_eq!(name_of(&handler), format!("Device {id}"));
    }
    let again = read_all(&unsafe { collection.GetHandlerEnumerator() }.unwrap());
    assert_eq!(again, ids, "every enumeration starts from the first id");
}

#[test]
fn binding_needs_no_enumeration_first_and_makes_a_new_handler_each_time() {
    let made = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&made);
    let collection: ISyncMgrHandlerCollection = HandlerCollection::new()
        .handler("cached", move || {
            counter.fetch_add(1, Ordering::SeqCst);
            Ok(Device::new("cached", &["one"]))
        })
        .unwrap()
        .into();
    let first: ISyncMgrHandler = bind(&collection, "cached").unwrap();
    let second: ISyncMgrHandler = bind(&collection, "cached").unwrap();
    assert_eq!(made.load(Ordering::SeqCst), 2);
    assert_ne!(first.as_raw(), second.as_raw());
}

#[test]
fn an_unknown_id_is_class_not_available_with_a_null_out_pointer() {
    let collection: ISyncMgrHandlerCollection = devices().into();
    let (code, out) = raw_bind(&collection, "{partner-3}", &ISyncMgrHandler::IID);
    assert_eq!(
        (code, out),
        (CLASS_E_CLASSNOTAVAILABLE, core::ptr::null_mut())
    );
    let error = bind(&collection, "{partner-3}").unwrap_err();
    names(
        &error,
        rules::HANDLER_COLLECTION_BIND_TO_HANDLER_UNKNOWN_ID.id,
    );
}

#[test]
fn another_interface_is_e_nointerface_with_a_null_out_pointer() {
    let collection: ISyncMgrHandlerCollection = devices().into();
    let (code, out) = raw_bind(&collection, "{partner-1}", &IClassFactory::IID);
    assert_eq!((code, out), (E_NOINTERFACE, core::ptr::null_mut()));
}

#[test]
fn an_overlong_or_null_id_and_a_null_out_pointer_are_refused_before_the_collection_runs() {
    let collection: ISyncMgrHandlerCollection = devices().into();
    let (code, out) = raw_bind(&collection, &"x".repeat(64), &ISyncMgrHandler::IID);
    assert_eq!((code, out), (E_INVALIDARG, core::ptr::null_mut()));

    let mut out = sentinel();
    let code = unsafe {
        (collection.vtable().BindToHandler)(
            collection.as_raw(),
            PCWSTR::null(),
            &ISyncMgrHandler::IID,
            &mut out,
        )
    };
    assert_eq!((code, out), (E_POINTER, core::ptr::null_mut()));

    let id = wide("{partner-1}");
    let code = unsafe {
        (collection.vtable().BindToHandler)(
            collection.as_raw(),
            PCWSTR(id.as_ptr()),
            &ISyncMgrHandler::IID,
            core::ptr::null_mut(),
        )
    };
    assert_eq!(code, E_POINTER);
}

#[test]
fn ids_are_checked_when_added() {
    let device = || Ok(Device::new("d", &["one"]));
    assert_refused(
        HandlerCollection::new().handler("", device),
        E_INVALIDARG,
        &rules::SYNCMGR_SESSION_CREATE_SESSION_IDS_REQUIRED,
    );
    for bad in ["x".repeat(64), "a\0b".to_string()] {
        assert_refused(
            HandlerCollection::new().handler(bad, device),
            E_INVALIDARG,
            &rules::HANDLER_COLLECTION_GET_HANDLER_ENUMERATOR_ID_LENGTH,
        );
    }
    assert_refused(
        HandlerCollection::new()
            .handler("same", device)
            .unwrap()
            .handler("same", device),
        E_INVALIDARG,
        &rules::HANDLER_COLLECTION_GET_HANDLER_ENUMERATOR_UNIQUE_ID,
    );
    let longest = "y".repeat(63);
    let collection = HandlerCollection::new()
        .handler(longest.clone(), device)
        .unwrap();
    assert_eq!(collection.ids(), [longest]);
}

/// A hand-written collection: its enumerator answers `steps`; `BindToHandler` does `bind`.
struct Hand {
    ids: Vec<&'static str>,
    bind: fn(&GUID, *mut *mut core::ffi::c_void) -> Result<()>,
}

impl SyncMgrHandlerCollection for Hand {
    fn get_handler_enumerator(&self) -> Result<IEnumString> {
        Ok(scripted_ids(steps(&self.ids)))
    }
    fn bind_to_handler(
        &self,
        _handler_id: &str,
        riid: &GUID,
        ppv: *mut *mut core::ffi::c_void,
    ) -> Result<()> {
        (self.bind)(riid, ppv)
    }
}

fn hand(
    ids: &[&'static str],
    bind: fn(&GUID, *mut *mut core::ffi::c_void) -> Result<()>,
) -> ISyncMgrHandlerCollection {
    handler_collection(Hand {
        ids: ids.to_vec(),
        bind,
    })
}

fn bind_device(riid: &GUID, ppv: *mut *mut core::ffi::c_void) -> Result<()> {
    let handler: ISyncMgrHandler = Device::new("h", &["one"]).into();
    unsafe { handler.query(riid, ppv) }.ok()
}

#[test]
fn a_hand_written_collection_with_good_ids_is_served_as_is() {
    let collection = hand(&["a", "b"], bind_device);
    let ids = read_all(&unsafe { collection.GetHandlerEnumerator() }.unwrap());
    assert_eq!(ids, ["a", "b"]);
    let handler: ISyncMgrHandler = bind(&collection, "a").unwrap();
    assert_eq!(name_of(&handler), "Device h");
}

#[test]
fn a_hand_written_collection_with_bad_ids_is_refused_naming_the_rule() {
    let long: &'static str = Box::leak("x".repeat(64).into_boxed_str());
    for (ids, rule) in [
        (
            vec!["a", "a"],
            &rules::HANDLER_COLLECTION_GET_HANDLER_ENUMERATOR_UNIQUE_ID,
        ),
        (
            vec!["a", long],
            &rules::HANDLER_COLLECTION_GET_HANDLER_ENUMERATOR_ID_LENGTH,
        ),
        (
            vec![""],
            &rules::SYNCMGR_SESSION_CREATE_SESSION_IDS_REQUIRED,
        ),
    ] {
        let collection = hand(&ids, bind_device);
        assert_refused(
            unsafe { collection.GetHandlerEnumerator() },
            E_INVALIDARG,
            rule,
        );
    }
}

/// Handlers alive, for the release check.
static LIVE: AtomicUsize = AtomicUsize::new(0);

struct Counted;

impl Drop for Counted {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::SeqCst);
    }
}

#[derive(winsync::SyncMgrHandler)]
struct CountedHandler(Counted);

impl SyncMgrHandler for CountedHandler {
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

#[test]
fn a_failing_bind_that_wrote_an_interface_hands_out_null_and_releases_it() {
    let collection = hand(&["a"], |riid, ppv| {
        LIVE.fetch_add(1, Ordering::SeqCst);
        let handler: ISyncMgrHandler = CountedHandler(Counted).into();
        unsafe { handler.query(riid, ppv) }.ok()?;
        Err(Error::new(E_FAIL, "changed my mind"))
    });
    let (code, out) = raw_bind(&collection, "a", &ISyncMgrHandler::IID);
    assert_eq!((code, out), (E_FAIL, core::ptr::null_mut()));
    assert_eq!(
        LIVE.load(Ordering::SeqCst),
        0,
        "the written handler was released"
    );
}

#[test]
fn a_bind_that_succeeds_without_an_interface_is_unexpected() {
    let collection = hand(&["a"], |_, _| Ok(()));
    let (code, out) = raw_bind(&collection, "a", &ISyncMgrHandler::IID);
    assert_eq!((code, out), (E_UNEXPECTED, core::ptr::null_mut()));
    assert_refused(
        bind(&collection, "a"),
        E_UNEXPECTED,
        &rules::HANDLER_COLLECTION_BIND_TO_HANDLER_INTERFACE_ON_SUCCESS,
    );
}

#[test]
fn a_panicking_bind_is_unexpected_with_a_null_out_pointer() {
    let collection = hand(&["a"], |riid, ppv| {
        bind_device(riid, ppv)?;
        panic!("bug in the collection")
    });
    let (code, out) = raw_bind(&collection, "a", &ISyncMgrHandler::IID);
    assert_eq!((code, out), (E_UNEXPECTED, core::ptr::null_mut()));
}
