//! Sync Center's discovery path, walked by the checking double: given a handler collection
//! (an object, [`discover`]; or on Windows a registered CLSID, [`discover_registered`]),
//! enumerate its handler ids, bind each, read each handler's name, info and items, and
//! synchronize each handler against a [`SyncCenterDouble`] ([`Discovery::synchronize`]) —
//! what Sync Center does with a collection it finds under `HandlerCollections`
//! ([`crate::sync_center::server::registration`]; `NN:syncmgr.ISyncMgrHandlerCollection`).
//!
//! Every call goes through the collection's and the handlers' real vtables, and every step's
//! contract is checked (rules by id, see `CONTRACTS.md`; a broken rule is a [`Broken`] in
//! [`Discovery::broken`], and the walk goes on where it can):
//!
//! | step | checked |
//! | --- | --- |
//! | `GetHandlerEnumerator` | called with an out-pointer holding a non-NULL value: after a failure it must be NULL (`sync-center.discovery.null-on-failure`), after a success it must hold an interface (`sync-center.discovery.interface-on-success`) |
//! | the enumerator's `Next`, one id at a time | `S_OK` with one non-NULL id, or `S_FALSE` with none (`sync-center.discovery.enumerator-next`, `NF:objidl.IEnumString.Next`); each id read with the `MAX_SYNCMGR_ID` bound and freed with `CoTaskMemFree`; an empty, over-long (more than `MAX_SYNCMGR_ID - 1` UTF-16 units), non-UTF-16 or repeated id (`sync-center.discovery.handler-ids`, `NF:syncmgr.ISyncMgrHandlerCollection.GetHandlerEnumerator`) is not bound |
//! | `BindToHandler(id, IID_ISyncMgrHandler)` per id | as `GetHandlerEnumerator` for the out-pointer (`NF:syncmgr.ISyncMgrHandlerCollection.BindToHandler`) |
//! | `BindToHandler` for an id the collection did not enumerate | must fail, with the out-pointer NULL (`sync-center.discovery.unknown-id-fails`) |
//! | `GetHandlerInfo`, and each item's `GetItemInfo` | a handler whose capabilities ask Sync Center to query it before (de)activating or enabling it, and an item that asks to be queried before it is enabled or disabled, keep their own state: `IsActive` / `IsEnabled` must answer `S_OK` or `S_FALSE` (`handler.handler-info.is-active.query-before`, `handler.handler-info.is-enabled.query-before`, `handler.sync-item-info.is-enabled.query-before`; `NF:syncmgr.ISyncMgrHandlerInfo.IsActive`, `NF:syncmgr.ISyncMgrSyncItemInfo.IsEnabled`) |
//! | the session of each handler ([`Discovery::synchronize`]) | created under the id the handler was bound with (`sync-center.discovery.session-handler-id`, `NF:syncmgr.ISyncMgrSessionCreator.CreateSession`), and whatever the [`SyncCenterDouble`] checks |
//!
//! A call that fails within its contract (a `GetName` or `GetHandlerInfo` answering
//! `E_NOTIMPL`, a `BindToHandler` that cannot make its handler) is a [`Failure`]: Sync Center
//! would hide that handler, or show defaults, but no rule is broken.
//!
//! What Sync Center does beyond this is not modelled: its cache of handlers (it may bind
//! without enumerating, `handler-collection.bind-to-handler.without-enumeration`), the retry
//! with `IID_ISyncMgrSynchronize` (`handler-collection.bind-to-handler.legacy-interface`), its
//! UI, schedules and events.

use std::collections::HashSet;
use std::fmt;

use windows_core::{ComObject, Error, HRESULT, Interface, PCWSTR, PWSTR, Result};

use super::{Call, SyncCenterDouble};
use crate::bindings::{
    E_FAIL, HWND, IEnumString, ISyncMgrHandler, ISyncMgrHandlerCollection, ISyncMgrSessionCreator,
    ISyncMgrSyncItem, ISyncMgrSyncItemContainer, S_FALSE, S_OK, SYNCMGR_HCM_QUERY_BEFORE_ACTIVATE,
    SYNCMGR_HCM_QUERY_BEFORE_DEACTIVATE, SYNCMGR_HCM_QUERY_BEFORE_DISABLE,
    SYNCMGR_HCM_QUERY_BEFORE_ENABLE, SYNCMGR_ICM_QUERY_BEFORE_DISABLE,
    SYNCMGR_ICM_QUERY_BEFORE_ENABLE,
};
use crate::com::abi;
use crate::contract::Rule;
use crate::contracts as rules;
use crate::skeletons::SyncmgrHandlerType;
use crate::sync_center::enumerators;

/// The most handler ids, and the most items of one handler, the walk reads: an enumerator
/// that never ends is read this far (`sync-center.discovery.enumerator-next`).
pub const MAX_ENUMERATED: usize = enumerators::MAX_READ;

/// One rule a collection or handler broke during the walk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broken {
    /// The rule.
    pub rule: Rule,
    /// What happened.
    pub detail: String,
}

impl fmt::Display for Broken {
    /// `detail: rule` (the rule as `id: text (source)`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.detail, self.rule)
    }
}

/// One call that failed within its contract (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The call, such as `BindToHandler("partner-1")`.
    pub call: String,
    /// Its answer.
    pub code: HRESULT,
}

/// One item of a discovered handler (`ISyncMgrSyncItemContainer`'s enumerator).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiscoveredItem {
    /// `GetItemID`.
    pub id: String,
    /// `GetName`; `None` when it failed.
    pub name: Option<String>,
}

/// A handler the collection bound, with what Sync Center reads of it.
#[derive(Clone, Debug)]
pub struct DiscoveredHandler {
    /// The id it was bound with.
    pub id: String,
    /// The handler.
    pub handler: ISyncMgrHandler,
    /// `GetName`; `None` when it failed (Sync Center would not show the handler).
    pub name: Option<String>,
    /// `GetHandlerInfo` then `GetType`; `None` when either failed (Sync Center's default).
    pub handler_type: Option<SyncmgrHandlerType>,
    /// `GetHandlerInfo` then `GetTypeLabel`; `None` when either failed.
    pub type_label: Option<String>,
    /// Its items, in the enumerator's order; empty when the handler is no
    /// `ISyncMgrSyncItemContainer`.
    pub items: Vec<DiscoveredItem>,
}

/// One handler's synchronization in [`Discovery::synchronize`].
pub struct Synchronized {
    /// The handler's id.
    pub handler_id: String,
    /// The item ids passed to `Synchronize`: all of its items.
    pub item_ids: Vec<String>,
    /// What `Synchronize` answered.
    pub answer: HRESULT,
    /// The Sync Center the handler reported to: its transcript, final statuses, ...
    pub sync_center: ComObject<SyncCenterDouble>,
}

impl fmt::Debug for Synchronized {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Synchronized")
            .field("handler_id", &self.handler_id)
            .field("item_ids", &self.item_ids)
            .field("answer", &self.answer)
            .field("transcript", &self.sync_center.transcript())
            .finish()
    }
}

/// What the walk found (see the module docs).
#[derive(Debug, Default)]
pub struct Discovery {
    /// The usable handler ids the enumerator handed out, in its order, each once.
    pub ids: Vec<String>,
    /// The handlers bound, in the order of [`ids`](Self::ids).
    pub handlers: Vec<DiscoveredHandler>,
    /// The synchronizations, after [`synchronize`](Self::synchronize).
    pub synchronized: Vec<Synchronized>,
    /// Calls that failed within their contract.
    pub failures: Vec<Failure>,
    /// Rules broken.
    pub broken: Vec<Broken>,
}

/// The value an out-pointer holds before each call: not NULL, and no valid pointer.
fn sentinel() -> *mut core::ffi::c_void {
    std::ptr::dangling_mut::<core::ffi::c_void>()
}

fn wide(text: &str) -> Vec<u16> {
    text.encode_utf16().chain(std::iter::once(0)).collect()
}

impl Discovery {
    fn broke(&mut self, rule: &Rule, detail: impl Into<String>) {
        self.broken.push(Broken {
            rule: *rule,
            detail: detail.into(),
        });
    }

    fn failed(&mut self, call: impl Into<String>, code: HRESULT) {
        self.failures.push(Failure {
            call: call.into(),
            code,
        });
    }

    /// Whether the walk broke `rule`.
    pub fn breaks(&self, rule: &Rule) -> bool {
        self.broken.iter().any(|broken| broken.rule.id == rule.id)
    }

    /// `Ok` when no rule was broken.
    ///
    /// # Errors
    /// `E_FAIL` listing every [`Broken`].
    pub fn check(&self) -> Result<()> {
        if self.broken.is_empty() {
            return Ok(());
        }
        let list: Vec<String> = self.broken.iter().map(ToString::to_string).collect();
        Err(Error::new(
            E_FAIL,
            format!("the collection broke its contract: {}", list.join("; ")),
        ))
    }

    /// The discovered handler bound with `id`.
    pub fn handler(&self, id: &str) -> Option<&DiscoveredHandler> {
        self.handlers.iter().find(|handler| handler.id == id)
    }

    /// Synchronizes every discovered handler that has items, each with all of its items and a
    /// new [`SyncCenterDouble`] knowing them as its session creator, as Sync Center does for
    /// "Sync all"; records each in [`synchronized`](Self::synchronized) and checks that every
    /// session is created under the handler's id (`sync-center.discovery.session-handler-id`).
    pub fn synchronize(&mut self) {
        let runs: Vec<Synchronized> = self
            .handlers
            .iter()
            .filter(|handler| !handler.items.is_empty())
            .map(|handler| {
                let item_ids: Vec<String> =
                    handler.items.iter().map(|item| item.id.clone()).collect();
                let sync_center = SyncCenterDouble::new(&item_ids);
                let creator: ISyncMgrSessionCreator = sync_center.to_interface();
                let ids: Vec<Vec<u16>> = item_ids.iter().map(|id| wide(id)).collect();
                let pointers: Vec<PCWSTR> = ids.iter().map(|id| PCWSTR(id.as_ptr())).collect();
                // SAFETY: a call on a live interface; the ids outlive it.
                let answer = unsafe {
                    handler
                        .handler
                        .Synchronize(&pointers, HWND::default(), &creator, None)
                };
                Synchronized {
                    handler_id: handler.id.clone(),
                    item_ids,
                    answer,
                    sync_center,
                }
            })
            .collect();
        for run in &runs {
            for call in run.sync_center.transcript() {
                if let Call::CreateSession { handler_id, .. } = call
                    && handler_id != run.handler_id
                {
                    self.broke(
                        &rules::SYNC_CENTER_DISCOVERY_SESSION_HANDLER_ID,
                        format!(
                            "the handler bound as {:?} created its session as {handler_id:?}",
                            run.handler_id
                        ),
                    );
                }
            }
        }
        self.synchronized.extend(runs);
    }
}

/// Walks Sync Center's discovery path on `collection`: enumerate, bind, read (see the module
/// docs). Call [`Discovery::synchronize`] next to synchronize what was found.
pub fn discover(collection: &ISyncMgrHandlerCollection) -> Discovery {
    let mut discovery = Discovery::default();
    if let Some(ids) = enumerator(collection, &mut discovery) {
        read_ids(&ids, &mut discovery);
    }
    for id in discovery.ids.clone() {
        if let Some(handler) = bind(collection, &id, &mut discovery) {
            let found = read_handler(id, handler, &mut discovery);
            discovery.handlers.push(found);
        }
    }
    bind_unknown(collection, &mut discovery);
    discovery
}

/// Creates the collection registered as `clsid`, as Sync Center does with a subkey of
/// `HKLM\Software\Microsoft\Windows\CurrentVersion\SyncMgr\HandlerCollections`
/// (`CoCreateInstance`, in-process), and walks it with [`discover`]. COM must be initialized
/// on the calling thread.
///
/// # Errors
/// `E_FAIL` when `HandlerCollections\{clsid}` or the class key is missing under
/// `HKEY_LOCAL_MACHINE`; `CoCreateInstance`'s error.
#[cfg(any(windows, doc))]
pub fn discover_registered(clsid: &windows_core::GUID) -> Result<Discovery> {
    use crate::bindings::{CLSCTX_INPROC_SERVER, CoCreateInstance};
    use crate::sync_center::server::{ClassKind, ClassRegistration, Scope, classes_registered};

    let listed = ClassRegistration {
        clsid: *clsid,
        name: "",
        kind: ClassKind::Collection { icon: None },
    };
    if !classes_registered(&[listed], Scope::LocalMachine) {
        return Err(Error::new(
            E_FAIL,
            format!(
                r"no handler collection {} under HKEY_LOCAL_MACHINE\{}",
                crate::sync_center::server::clsid_string(clsid),
                crate::sync_center::server::SYNC_CENTER_HANDLER_COLLECTIONS_KEY
            ),
        ));
    }
    // SAFETY: a creation with a valid CLSID; COM checks the apartment.
    let collection: ISyncMgrHandlerCollection =
        unsafe { CoCreateInstance(clsid, None, CLSCTX_INPROC_SERVER) }?;
    Ok(discover(&collection))
}

/// Checks an out-pointer after a call that answered `code`: `Some(pointer)` when the call
/// succeeded with an interface, else `None` after recording the broken rule (the caller
/// records the failure).
fn out_pointer(
    code: HRESULT,
    out: *mut core::ffi::c_void,
    call: &str,
    discovery: &mut Discovery,
) -> Option<*mut core::ffi::c_void> {
    if code.is_err() {
        if !out.is_null() {
            discovery.broke(
                &rules::SYNC_CENTER_DISCOVERY_NULL_ON_FAILURE,
                format!("{call} failed ({code:?}) and left its out-pointer not NULL ({out:?})"),
            );
        }
        return None;
    }
    if out.is_null() || out == sentinel() {
        discovery.broke(
            &rules::SYNC_CENTER_DISCOVERY_INTERFACE_ON_SUCCESS,
            format!("{call} succeeded ({code:?}) without an interface ({out:?})"),
        );
        return None;
    }
    Some(out)
}

fn enumerator(
    collection: &ISyncMgrHandlerCollection,
    discovery: &mut Discovery,
) -> Option<IEnumString> {
    let mut out = sentinel();
    // SAFETY: a call through the live interface's vtable with a writable out-pointer.
    let code = unsafe { (collection.vtable().GetHandlerEnumerator)(collection.as_raw(), &mut out) };
    let out = out_pointer(code, out, "GetHandlerEnumerator", discovery);
    if code.is_err() {
        discovery.failed("GetHandlerEnumerator", code);
    }
    // SAFETY: a successful call handed out an IEnumString reference, ours to release.
    out.map(|out| unsafe { IEnumString::from_raw(out) })
}

/// Reads the ids one `Next` at a time, checking each answer and each id.
fn read_ids(ids: &IEnumString, discovery: &mut Discovery) {
    let mut seen = HashSet::new();
    for _ in 0..MAX_ENUMERATED {
        let (mut id, mut fetched) = (PWSTR::null(), u32::MAX);
        // SAFETY: a call on a live interface with two writable locals.
        let code = unsafe { enumerators::next_string(ids, &mut id, &mut fetched) };
        if code.is_err() {
            discovery.failed("IEnumString::Next", code);
            return;
        }
        let expected = match code {
            S_OK => fetched == 1 && !id.is_null(),
            S_FALSE => fetched == 0,
            _ => false,
        };
        if !expected {
            discovery.broke(
                &rules::SYNC_CENTER_DISCOVERY_ENUMERATOR_NEXT,
                format!(
                    "Next(1) answered {code:?} with {fetched} fetched and id {:?}",
                    id.0
                ),
            );
        }
        if fetched != 1 || id.is_null() {
            return;
        }
        match enumerators::take_id(
            id,
            "a handler id",
            &rules::SYNC_CENTER_DISCOVERY_HANDLER_IDS,
        ) {
            Err(_) => discovery.broke(
                &rules::SYNC_CENTER_DISCOVERY_HANDLER_IDS,
                format!(
                    "a handler id is longer than {} UTF-16 units or not UTF-16",
                    abi::MAX_ID_CHARS
                ),
            ),
            Ok(id) if id.is_empty() => discovery.broke(
                &rules::SYNC_CENTER_DISCOVERY_HANDLER_IDS,
                "an empty handler id",
            ),
            Ok(id) if !seen.insert(id.clone()) => discovery.broke(
                &rules::SYNC_CENTER_DISCOVERY_HANDLER_IDS,
                format!("the handler id {id:?} is handed out twice"),
            ),
            Ok(id) => discovery.ids.push(id),
        }
        if code != S_OK {
            return;
        }
    }
    discovery.broke(
        &rules::SYNC_CENTER_DISCOVERY_ENUMERATOR_NEXT,
        format!("the enumerator handed out more than {MAX_ENUMERATED} ids without S_FALSE"),
    );
}

/// `BindToHandler(id, IID_ISyncMgrHandler)` through the vtable: the answer and what the
/// out-pointer holds afterwards.
fn raw_bind(collection: &ISyncMgrHandlerCollection, id: &str) -> (HRESULT, *mut core::ffi::c_void) {
    let id = wide(id);
    let mut out = sentinel();
    // SAFETY: a call through the live interface's vtable; the id is NUL-terminated, the IID
    // a GUID, the out-pointer writable.
    let code = unsafe {
        (collection.vtable().BindToHandler)(
            collection.as_raw(),
            PCWSTR(id.as_ptr()),
            &ISyncMgrHandler::IID,
            &mut out,
        )
    };
    (code, out)
}

fn bind(
    collection: &ISyncMgrHandlerCollection,
    id: &str,
    discovery: &mut Discovery,
) -> Option<ISyncMgrHandler> {
    let call = format!("BindToHandler({id:?})");
    let (code, out) = raw_bind(collection, id);
    let out = out_pointer(code, out, &call, discovery);
    if code.is_err() {
        discovery.failed(call, code);
    }
    // SAFETY: a successful call handed out an ISyncMgrHandler reference, ours to release.
    out.map(|out| unsafe { ISyncMgrHandler::from_raw(out) })
}

/// Binds an id the collection did not enumerate: it must fail, with the out-pointer NULL.
fn bind_unknown(collection: &ISyncMgrHandlerCollection, discovery: &mut Discovery) {
    let mut unknown = "winsync.sync-center-double.unknown-handler".to_string();
    while discovery.ids.contains(&unknown) {
        unknown.push('x');
    }
    let call = format!("BindToHandler({unknown:?}), an id the collection did not enumerate");
    let (code, out) = raw_bind(collection, &unknown);
    if code.is_ok() {
        discovery.broke(
            &rules::SYNC_CENTER_DISCOVERY_UNKNOWN_ID_FAILS,
            format!("{call} succeeded ({code:?})"),
        );
        if !out.is_null() && out != sentinel() {
            // SAFETY: a successful call handed out a reference, ours to release.
            drop(unsafe { ISyncMgrHandler::from_raw(out) });
        }
    } else if !out.is_null() {
        discovery.broke(
            &rules::SYNC_CENTER_DISCOVERY_NULL_ON_FAILURE,
            format!("{call} failed ({code:?}) and left its out-pointer not NULL ({out:?})"),
        );
    }
}

/// A string getter's result, freed; a failure is recorded and `None`.
fn text(
    got: Result<PWSTR>,
    call: impl FnOnce() -> String,
    discovery: &mut Discovery,
) -> Option<String> {
    // SAFETY: a successful getter hands out a CoTaskMemAlloc string, ours to free.
    match got.and_then(|text| unsafe { abi::take_co_task_wide(text) }) {
        Ok(text) => Some(text),
        Err(error) => {
            discovery.failed(call(), error.code());
            None
        }
    }
}

fn read_handler(
    id: String,
    handler: ISyncMgrHandler,
    discovery: &mut Discovery,
) -> DiscoveredHandler {
    // SAFETY (every call below): calls on live interfaces; strings handed out are freed by
    // `text`.
    let name = text(
        unsafe { handler.GetName() },
        || format!("GetName of {id:?}"),
        discovery,
    );
    let (mut handler_type, mut type_label) = (None, None);
    match unsafe { handler.GetHandlerInfo() } {
        Err(error) => discovery.failed(format!("GetHandlerInfo of {id:?}"), error.code()),
        Ok(info) => {
            match unsafe { info.GetType() }.and_then(SyncmgrHandlerType::try_from) {
                Ok(kind) => handler_type = Some(kind),
                Err(error) => discovery.failed(format!("GetType of {id:?}"), error.code()),
            }
            type_label = text(
                unsafe { info.GetTypeLabel() },
                || format!("GetTypeLabel of {id:?}"),
                discovery,
            );
            // A handler that asks to be queried before (de)activation or enabling keeps its
            // own state: IsActive / IsEnabled must answer S_OK or S_FALSE.
            let capabilities = unsafe { handler.GetCapabilities() }.unwrap_or_default();
            let state_checks = [
                (
                    SYNCMGR_HCM_QUERY_BEFORE_ACTIVATE | SYNCMGR_HCM_QUERY_BEFORE_DEACTIVATE,
                    &rules::HANDLER_HANDLER_INFO_IS_ACTIVE_QUERY_BEFORE,
                    "IsActive",
                ),
                (
                    SYNCMGR_HCM_QUERY_BEFORE_ENABLE | SYNCMGR_HCM_QUERY_BEFORE_DISABLE,
                    &rules::HANDLER_HANDLER_INFO_IS_ENABLED_QUERY_BEFORE,
                    "IsEnabled",
                ),
            ];
            for (flags, rule, method) in state_checks {
                if capabilities & flags == 0 {
                    continue;
                }
                let answer = if method == "IsActive" {
                    unsafe { info.IsActive() }
                } else {
                    unsafe { info.IsEnabled() }
                };
                if answer != S_OK && answer != S_FALSE {
                    discovery.broke(
                        rule,
                        format!("{method} of {id:?} answered {answer:?} with the capability set"),
                    );
                }
            }
        }
    }
    let items = handler
        .cast::<ISyncMgrSyncItemContainer>()
        .map(|container| read_items(&id, &container, discovery))
        .unwrap_or_default();
    DiscoveredHandler {
        id,
        handler,
        name,
        handler_type,
        type_label,
        items,
    }
}

fn read_items(
    id: &str,
    container: &ISyncMgrSyncItemContainer,
    discovery: &mut Discovery,
) -> Vec<DiscoveredItem> {
    // SAFETY (every call below): calls on live interfaces with writable locals; strings
    // handed out are freed by `text`.
    let enumerator = match unsafe { container.GetSyncItemEnumerator() } {
        Ok(enumerator) => enumerator,
        Err(error) => {
            discovery.failed(format!("GetSyncItemEnumerator of {id:?}"), error.code());
            return Vec::new();
        }
    };
    let mut items = Vec::new();
    for _ in 0..MAX_ENUMERATED {
        let mut slot: [Option<ISyncMgrSyncItem>; 1] = [None];
        let mut fetched = 0;
        let code = unsafe { enumerator.Next(1, slot.as_mut_ptr(), &mut fetched) };
        if code.is_err() {
            discovery.failed(format!("IEnumSyncMgrSyncItems::Next of {id:?}"), code);
            break;
        }
        let Some(item) = slot[0].take() else { break };
        let Some(item_id) = text(
            unsafe { item.GetItemID() },
            || format!("GetItemID of an item of {id:?}"),
            discovery,
        ) else {
            continue;
        };
        let name = text(
            unsafe { item.GetName() },
            || format!("GetName of item {item_id:?} of {id:?}"),
            discovery,
        );
        // An item that asks to be queried before it is enabled or disabled keeps its own
        // state: IsEnabled must answer S_OK or S_FALSE.
        let capabilities = unsafe { item.GetCapabilities() }.unwrap_or_default();
        if capabilities & (SYNCMGR_ICM_QUERY_BEFORE_ENABLE | SYNCMGR_ICM_QUERY_BEFORE_DISABLE) != 0
        {
            let answer = match unsafe { item.GetItemInfo() } {
                Ok(info) => unsafe { info.IsEnabled() },
                Err(error) => error.code(),
            };
            if answer != S_OK && answer != S_FALSE {
                discovery.broke(
                    &rules::HANDLER_SYNC_ITEM_INFO_IS_ENABLED_QUERY_BEFORE,
                    format!(
                        "IsEnabled of item {item_id:?} of {id:?} answered {answer:?} with the capability set"
                    ),
                );
            }
        }
        items.push(DiscoveredItem { id: item_id, name });
        if code != S_OK {
            break;
        }
    }
    items
}
