//! Handler collections: how Sync Center finds a DLL's handlers. Sync Center creates the
//! collection class registered under
//! `HKEY_LOCAL_MACHINE\Software\Microsoft\Windows\CurrentVersion\SyncMgr\HandlerCollections`
//! ([`crate::sync_center::server::registration`]), asks it for the ids of its handlers
//! (`GetHandlerEnumerator`, an `IEnumString`) and binds each id to a handler
//! (`BindToHandler(id, IID_ISyncMgrHandler)`) (`NN:syncmgr.ISyncMgrHandlerCollection`).
//!
//! [`HandlerCollection`] is a ready collection: the handler ids, each bound to a function that
//! makes the handler (a derived one, usually):
//!
//! ```ignore
//! use winsync::sync_center::collection::HandlerCollection;
//!
//! let collection = HandlerCollection::new()
//!     .handler("example.partner-1", || Ok(DeviceHandler::new(1)))?
//!     .handler("example.partner-2", || Ok(DeviceHandler::new(2)))?;
//! let collection: ISyncMgrHandlerCollection = collection.into();
//! ```
//!
//! A collection whose handler ids change while it lives (read from the user's configuration on
//! every enumeration, as the SDK sample's partnerships) implements the
//! [`SyncMgrHandlerCollection`] skeleton itself and is handed out with [`handler_collection`].
//!
//! Either way the collection object checks, before Sync Center sees an answer (rules by id, see
//! `CONTRACTS.md`):
//!
//! - `GetHandlerEnumerator`: the collection's enumerator is read to its end (every id freed)
//!   and every id checked: not empty (a handler needs its id to create its session,
//!   `syncmgr-session.create-session.ids-required`), at most `MAX_SYNCMGR_ID - 1` UTF-16
//!   units (`handler-collection.get-handler-enumerator.id-length`), none twice
//!   (`handler-collection.get-handler-enumerator.unique-id`;
//!   `NF:syncmgr.ISyncMgrHandlerCollection.GetHandlerEnumerator`); a broken list is
//!   `E_INVALIDARG` naming the rule, a good one is handed to Sync Center as this crate's own
//!   enumerator over the ids read;
//! - `BindToHandler`: a failure leaves `*ppv` NULL, also when the collection wrote an interface
//!   before failing (it is released) (`handler-collection.bind-to-handler.null-on-failure`);
//!   a success without an interface in `*ppv` is `E_UNEXPECTED`
//!   (`handler-collection.bind-to-handler.interface-on-success`); a null `ppv` is
//!   `E_POINTER` (`NF:syncmgr.ISyncMgrHandlerCollection.BindToHandler`);
//! - and, through the generated adapters, a null or over-long handler id is `E_POINTER` /
//!   `E_INVALIDARG` and a panic `E_UNEXPECTED`.
//!
//! [`HandlerCollection`] adds: its ids are checked once, when each is added (so its
//! enumeration never fails); `BindToHandler` for an id it does not hold answers
//! `CLASS_E_CLASSNOTAVAILABLE`, the SDK sample's answer
//! (`handler-collection.bind-to-handler.unknown-id`; the sample is
//! `Samples/Win7Samples/netds/synccenter/synchandler/MyDeviceHandlerCollection.cpp` in
//! `microsoft/Windows-classic-samples`); it binds any of its ids whether or not it was
//! enumerated first (`handler-collection.bind-to-handler.without-enumeration`), making a new
//! handler for every call (`handler-collection.bind-to-handler.existing-or-new`).
//!
//! The collection object, its enumerators and the handlers it makes count as live objects of
//! the module ([`ObjectGuard`]), for a handler DLL's `DllCanUnloadNow`.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use windows_core::{ComObject, Error, GUID, IUnknown, Interface, PCWSTR, Result, implement};

use crate::bindings::{
    CLASS_E_CLASSNOTAVAILABLE, E_POINTER, E_UNEXPECTED, IEnumString, ISyncMgrHandler,
    ISyncMgrHandlerCollection, ISyncMgrHandlerCollection_Impl,
};
use crate::com::abi;
use crate::com::object_count::ObjectGuard;
use crate::contract::Rule;
use crate::contracts as rules;
use crate::skeletons::{SyncMgrHandlerCollection, sync_mgr_handler_collection_abi as abi_c};
use crate::sync_center::enumerators;

pub use object::CollectionObject;
use object::CollectionObject_Impl;

mod object {
    use super::{ISyncMgrHandlerCollection, ObjectGuard, SyncMgrHandlerCollection, implement};

    /// A collection as the COM object implementing `ISyncMgrHandlerCollection`, with the
    /// checks of the module docs; made by [`super::handler_collection`].
    #[implement(ISyncMgrHandlerCollection)]
    pub struct CollectionObject<T>
    where
        T: SyncMgrHandlerCollection + Send + Sync + 'static,
    {
        pub(super) collection: T,
        pub(super) _guard: ObjectGuard,
    }
}

/// `collection` as the `ISyncMgrHandlerCollection` Sync Center calls, with the checks of the
/// module docs around it.
pub fn handler_collection<T>(collection: T) -> ISyncMgrHandlerCollection
where
    T: SyncMgrHandlerCollection + Send + Sync + 'static,
{
    CollectionObject::new(collection).to_interface()
}

impl<T: SyncMgrHandlerCollection + Send + Sync + 'static> CollectionObject<T> {
    /// Wraps `collection`.
    pub fn new(collection: T) -> ComObject<Self> {
        ComObject::new(Self {
            collection,
            _guard: ObjectGuard::new(),
        })
    }

    /// The wrapped collection.
    pub fn collection(&self) -> &T {
        &self.collection
    }
}

/// What makes one handler of a [`HandlerCollection`].
type Bind = dyn Fn() -> Result<ISyncMgrHandler> + Send + Sync;

/// A handler collection: handler ids, each bound to a function that makes its handler, served
/// as `ISyncMgrHandlerCollection` (`.into()`, or [`handler_collection`]).
///
/// The ids are checked when added ([`handler`](Self::handler)); `GetHandlerEnumerator` hands
/// them out in the order added; `BindToHandler(id, riid)` makes a new handler with the
/// function bound to `id` and queries it for `riid` (`E_NOINTERFACE` when the handler does not
/// implement it, for instance `IID_ISyncMgrSynchronize`), and answers
/// `CLASS_E_CLASSNOTAVAILABLE` with `*ppv` NULL for any other id (see the module docs).
#[derive(Clone, Default)]
pub struct HandlerCollection {
    ids: Vec<String>,
    binds: Vec<Arc<Bind>>,
}

impl fmt::Debug for HandlerCollection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandlerCollection")
            .field("ids", &self.ids)
            .finish_non_exhaustive()
    }
}

impl HandlerCollection {
    /// A collection without handlers.
    pub fn new() -> Self {
        Self::default()
    }

    /// The collection with one more handler: `id`, bound to `make`, which `BindToHandler(id,
    /// ..)` calls for a new handler (a derived handler type, or an `ISyncMgrHandler`). Sync
    /// Center creates the handler's session under this id
    /// (`NF:syncmgr.ISyncMgrSessionCreator.CreateSession`): the handler passes the same id
    /// to `SyncSession::create`.
    ///
    /// # Errors
    /// `E_INVALIDARG` naming the rule for an empty id
    /// (`syncmgr-session.create-session.ids-required`), an id longer than
    /// `MAX_SYNCMGR_ID - 1` UTF-16 units or holding a NUL
    /// (`handler-collection.get-handler-enumerator.id-length`), or an id the collection
    /// already holds (`handler-collection.get-handler-enumerator.unique-id`).
    pub fn handler<H, F>(mut self, id: impl Into<String>, make: F) -> Result<Self>
    where
        H: Into<ISyncMgrHandler>,
        F: Fn() -> Result<H> + Send + Sync + 'static,
    {
        let id = id.into();
        check_id(&id, self.ids.contains(&id))?;
        self.ids.push(id);
        self.binds.push(Arc::new(move || make().map(Into::into)));
        Ok(self)
    }

    /// The handler ids, in the order added (the order `GetHandlerEnumerator` hands them out).
    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    /// The collection as `ISyncMgrHandlerCollection`.
    pub fn into_collection(self) -> ISyncMgrHandlerCollection {
        handler_collection(self)
    }
}

impl From<HandlerCollection> for ISyncMgrHandlerCollection {
    fn from(collection: HandlerCollection) -> Self {
        collection.into_collection()
    }
}

/// Checks one handler id (see [`HandlerCollection::handler`]); `duplicate` says whether the
/// collection already holds it.
fn check_id(id: &str, duplicate: bool) -> Result<()> {
    let refuse = |rule: &Rule, why: String| Err(abi::invalid_arg(format_args!("{why}: {rule}")));
    if id.is_empty() {
        return refuse(
            &rules::SYNCMGR_SESSION_CREATE_SESSION_IDS_REQUIRED,
            "a handler id is empty, so its handler could not create its session".into(),
        );
    }
    let units = id.encode_utf16().count();
    if units > abi::MAX_ID_CHARS || id.contains('\0') {
        return refuse(
            &rules::HANDLER_COLLECTION_GET_HANDLER_ENUMERATOR_ID_LENGTH,
            format!(
                "the handler id {id:?} is {units} UTF-16 units long or holds a NUL (at most {} units)",
                abi::MAX_ID_CHARS
            ),
        );
    }
    if duplicate {
        return refuse(
            &rules::HANDLER_COLLECTION_GET_HANDLER_ENUMERATOR_UNIQUE_ID,
            format!("the handler id {id:?} is there twice"),
        );
    }
    Ok(())
}

impl SyncMgrHandlerCollection for HandlerCollection {
    fn get_handler_enumerator(&self) -> Result<IEnumString> {
        Ok(enumerators::string_enumerator(self.ids.clone()))
    }

    // The skeleton passes `ppv` raw, as the ABI does (`BindToHandler`'s `void **`); it is
    // written only through QueryInterface, after the null check.
    #[allow(clippy::not_unsafe_ptr_arg_deref)]
    fn bind_to_handler(
        &self,
        handler_id: &str,
        riid: &GUID,
        ppv: *mut *mut core::ffi::c_void,
    ) -> Result<()> {
        if ppv.is_null() {
            return Err(Error::from_hresult(E_POINTER));
        }
        let Some(index) = self.ids.iter().position(|id| id == handler_id) else {
            return Err(Error::new(
                CLASS_E_CLASSNOTAVAILABLE,
                format!(
                    "{handler_id:?} is none of the collection's handler ids: {}",
                    rules::HANDLER_COLLECTION_BIND_TO_HANDLER_UNKNOWN_ID
                ),
            ));
        };
        let handler = (self.binds[index])()?;
        // SAFETY: `riid` is a GUID and `ppv` not null, writable by the caller's contract (the
        // COM caller's, through `Checked::bind_to_handler`); the handler stays alive through
        // the reference QueryInterface adds.
        unsafe { handler.query(riid, ppv) }.ok()
    }
}

/// The checks of the module docs around a collection, seen by the generated adapters as just
/// another collection.
struct Checked<'a, T>(&'a T);

impl<T: SyncMgrHandlerCollection> SyncMgrHandlerCollection for Checked<'_, T> {
    fn get_handler_enumerator(&self) -> Result<IEnumString> {
        let ids = self.0.get_handler_enumerator()?;
        let ids = enumerators::read_ids(
            &ids,
            "a handler id",
            &rules::HANDLER_COLLECTION_GET_HANDLER_ENUMERATOR_ID_LENGTH,
        )?;
        let mut seen = HashSet::new();
        for id in &ids {
            check_id(id, !seen.insert(id.as_str()))?;
        }
        Ok(enumerators::string_enumerator(ids))
    }

    fn bind_to_handler(
        &self,
        handler_id: &str,
        riid: &GUID,
        ppv: *mut *mut core::ffi::c_void,
    ) -> Result<()> {
        if ppv.is_null() {
            return Err(Error::new(
                E_POINTER,
                "BindToHandler without an out-pointer (ppv is NULL)",
            ));
        }
        // A panic is contained here, so that an interface written before it is released too.
        let result = abi::guard(|| self.0.bind_to_handler(handler_id, riid, ppv));
        // SAFETY: `ppv` is not null and writable (the COM caller's contract); what it holds
        // is NULL (the bindings wrote it) or an interface the collection wrote.
        let written = unsafe { ppv.read() };
        match result {
            Err(error) => {
                if !written.is_null() {
                    // SAFETY: the collection handed out an interface before failing: ours to
                    // release, so that the caller sees NULL.
                    drop(unsafe { IUnknown::from_raw(written) });
                    // SAFETY: as above.
                    unsafe { ppv.write(core::ptr::null_mut()) };
                }
                Err(error)
            }
            Ok(()) if written.is_null() => Err(Error::new(
                E_UNEXPECTED,
                format!(
                    "BindToHandler({handler_id:?}) succeeded without an interface: {}",
                    rules::HANDLER_COLLECTION_BIND_TO_HANDLER_INTERFACE_ON_SUCCESS
                ),
            )),
            Ok(()) => Ok(()),
        }
    }
}

impl<T> ISyncMgrHandlerCollection_Impl for CollectionObject_Impl<T>
where
    T: SyncMgrHandlerCollection + Send + Sync + 'static,
{
    fn GetHandlerEnumerator(&self) -> Result<IEnumString> {
        // SAFETY: no pointer arguments.
        unsafe { abi_c::get_handler_enumerator(&Checked(&self.collection)) }
    }

    fn BindToHandler(
        &self,
        pszhandlerid: &PCWSTR,
        riid: *const GUID,
        ppv: *mut *mut core::ffi::c_void,
    ) -> Result<()> {
        // SAFETY: the COM caller passes null or valid pointers; the adapter checks the id and
        // `riid`, and `Checked` the out-pointer.
        unsafe { abi_c::bind_to_handler(&Checked(&self.collection), pszhandlerid, riid, ppv) }
    }
}
