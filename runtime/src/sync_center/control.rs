//! Driving Sync Center from an application or a handler: [`SyncCenterControl`], a checked
//! client of Sync Center's `ISyncMgrControl` (`NN:syncmgr.ISyncMgrControl`).
//!
//! Sync Center implements `ISyncMgrControl` in its `CLSID_SyncMgrControl` object, a COM local
//! server ([`SyncCenterControl::connect`], Windows only). Every method queues its request with
//! Sync Center, and a call can take considerable time: make them off the UI thread
//! (`control.not-on-ui-thread`, which the client cannot check). The wrapper checks its arguments before Sync Center sees them:
//!
//! - a handler id or item id is not empty and at most `MAX_SYNCMGR_ID - 1` UTF-16 units (the
//!   pages of `StartHandlerSync`, `StartItemSync`, `StopHandlerSync`, `StopItemSync`,
//!   `UpdateHandler`, `UpdateItem`, `UpdateEvents`, `UpdateConflicts`: "of maximum length
//!   MAX_SYNCMGR_ID including the terminating null character"), without a NUL
//!   (`control.handler-id.length`, `control.item-id.length`); the item list of `StartItemSync`
//!   / `StopItemSync` is not empty (`control.item-ids.not-empty`); else `E_INVALIDARG`, naming
//!   the rule and the page;
//!   `UpdateEvents` and `UpdateConflicts` take no item (NULL) for the handler itself, as their
//!   pages allow;
//! - the flags are Rust enums ([`Completion`], [`AlreadySyncing`]), so only the values of
//!   `SYNCMGR_CONTROL_FLAGS` (`NE:syncmgr.SYNCMGR_CONTROL_FLAGS`) and
//!   `SYNCMGR_SYNC_CONTROL_FLAGS` (`NE:syncmgr.SYNCMGR_SYNC_CONTROL_FLAGS`) reach it
//!   (`control.flags.values`).
//!
//! Sync Center's answer is the method's result (`S_OK`, or its error).
//!
//! ```ignore
//! let control = SyncCenterControl::connect()?;
//! // A partnership was added: Sync Center enumerates the collection again.
//! control.update_handler_collection(&CLSID_MY_COLLECTION, Completion::Queue)?;
//! control.start_item_sync("example.partner-1", &["music"], &StartOptions::default())?;
//! ```

use windows_core::{GUID, IUnknown, PCWSTR, Result};

use crate::bindings::{
    HWND, ISyncMgrControl, ISyncMgrSyncResult, MAX_SYNCMGR_ID, SYNCMGR_CF_NOWAIT, SYNCMGR_CF_WAIT,
    SYNCMGR_CONTROL_FLAGS, SYNCMGR_SCF_IGNORE_IF_ALREADY_SYNCING, SYNCMGR_SCF_NONE,
    SYNCMGR_SYNC_CONTROL_FLAGS,
};
use crate::com::abi;
use crate::contract::Rule;
use crate::contracts as rules;

/// The longest handler or item id the wrapper passes, in UTF-16 units without the NUL.
const MAX_ID_CHARS: usize = MAX_SYNCMGR_ID as usize - 1;

/// Whether a request returns at once or once Sync Center has done it
/// (`NE:syncmgr.SYNCMGR_CONTROL_FLAGS`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Completion {
    /// `SYNCMGR_CF_NOWAIT`: queue the request and return.
    #[default]
    Queue,
    /// `SYNCMGR_CF_WAIT`: return once it is done; for `UpdateHandlerCollection`, once Sync
    /// Center has loaded the collection and reloaded all handler and item information
    /// (`NF:syncmgr.ISyncMgrControl.UpdateHandlerCollection`).
    Wait,
}

impl Completion {
    fn flags(self) -> SYNCMGR_CONTROL_FLAGS {
        match self {
            Self::Queue => SYNCMGR_CF_NOWAIT,
            Self::Wait => SYNCMGR_CF_WAIT,
        }
    }
}

/// What a queued synchronization does with an item the ongoing one is already synchronizing
/// (`NE:syncmgr.SYNCMGR_SYNC_CONTROL_FLAGS`: requests are queued while a synchronization is in
/// progress).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AlreadySyncing {
    /// `SYNCMGR_SCF_NONE`: synchronize every item, whether or not it was just synchronized.
    #[default]
    SyncAgain,
    /// `SYNCMGR_SCF_IGNORE_IF_ALREADY_SYNCING`: synchronize only the items not syncing now.
    Ignore,
}

impl AlreadySyncing {
    fn flags(self) -> SYNCMGR_SYNC_CONTROL_FLAGS {
        match self {
            Self::SyncAgain => SYNCMGR_SCF_NONE,
            Self::Ignore => SYNCMGR_SCF_IGNORE_IF_ALREADY_SYNCING,
        }
    }
}

/// The optional arguments of [`SyncCenterControl::start_handler_sync`] and
/// [`SyncCenterControl::start_item_sync`] (`NF:syncmgr.ISyncMgrControl.StartHandlerSync`,
/// `NF:syncmgr.ISyncMgrControl.StartItemSync`); the default passes NULL for each.
#[derive(Clone, Debug, Default)]
pub struct StartOptions<'a> {
    /// `hwndOwner`: a window the handler can use for UI; may be NULL.
    pub owner: HWND,
    /// `punk`: handed to the handler's `Synchronize`; may be NULL.
    pub punk: Option<&'a IUnknown>,
    /// `nSyncControlFlags`.
    pub already_syncing: AlreadySyncing,
    /// `pResult`: its `Result` method is called with the aggregated state when the
    /// synchronization ends (success, failure or cancellation); may be NULL.
    pub result: Option<&'a ISyncMgrSyncResult>,
}

/// A checked client of Sync Center's `ISyncMgrControl` (see the module docs).
#[derive(Clone, Debug)]
pub struct SyncCenterControl {
    control: ISyncMgrControl,
}

impl From<ISyncMgrControl> for SyncCenterControl {
    fn from(control: ISyncMgrControl) -> Self {
        Self { control }
    }
}

/// A NUL-terminated wide copy of `id`, checked as the module docs say.
/// `rule` is the rule the error names, `page` the method's page.
pub(crate) fn wide_id(id: &str, what: &str, rule: &Rule, page: &str) -> Result<Vec<u16>> {
    let units: Vec<u16> = id.encode_utf16().collect();
    if units.is_empty() || units.len() > MAX_ID_CHARS || units.contains(&0) {
        return Err(abi::invalid_arg(format_args!(
            "the {what} {id:?} is empty, longer than {MAX_ID_CHARS} UTF-16 units or holds a NUL: it is of maximum length MAX_SYNCMGR_ID including the terminating null character ({page}; rule {})",
            rule.id
        )));
    }
    Ok(units.into_iter().chain(std::iter::once(0)).collect())
}

/// The checked wide copy of a handler id (`control.handler-id.length`).
fn handler_wide(id: &str, page: &str) -> Result<Vec<u16>> {
    wide_id(id, "handler id", &rules::CONTROL_HANDLER_ID_LENGTH, page)
}

/// The checked wide copy of an item id (`control.item-id.length`).
fn item_wide(id: &str, page: &str) -> Result<Vec<u16>> {
    wide_id(id, "item id", &rules::CONTROL_ITEM_ID_LENGTH, page)
}

/// The checked wide copies of a handler id and an optional item id (see the module docs).
fn handler_and_item(
    handler_id: &str,
    item_id: Option<&str>,
    page: &str,
) -> Result<(Vec<u16>, Option<Vec<u16>>)> {
    let handler = handler_wide(handler_id, page)?;
    let item = item_id.map(|id| item_wide(id, page)).transpose()?;
    Ok((handler, item))
}

/// `id` as a `PCWSTR`, or NULL for none (`id` must outlive the call it is passed to).
fn wide_or_null(id: Option<&[u16]>) -> PCWSTR {
    id.map_or(PCWSTR::null(), |id| PCWSTR(id.as_ptr()))
}

/// The checked wide copies of `item_ids` (see the module docs).
fn wide_ids(item_ids: &[impl AsRef<str>], page: &str) -> Result<Vec<Vec<u16>>> {
    if item_ids.is_empty() {
        return Err(abi::invalid_arg(format_args!(
            "no item ids: {}",
            rules::CONTROL_ITEM_IDS_NOT_EMPTY
        )));
    }
    item_ids
        .iter()
        .map(|id| item_wide(id.as_ref(), page))
        .collect()
}

impl SyncCenterControl {
    /// Sync Center's control object: `CoCreateInstance(CLSID_SyncMgrControl, CLSCTX_SERVER)`
    /// (the examples of `NF:syncmgr.ISyncMgrControl.UpdateHandlerCollection`). COM must be
    /// initialized on the calling thread.
    ///
    /// # Errors
    /// `CoCreateInstance`'s error (`REGDB_E_CLASSNOTREG` where Sync Center is missing, as
    /// under Wine).
    #[cfg(any(windows, doc))]
    pub fn connect() -> Result<Self> {
        use crate::bindings::{CLSCTX_SERVER, CoCreateInstance, SyncMgrControl};
        // SAFETY: a creation with a valid CLSID; COM checks the apartment.
        let control: ISyncMgrControl =
            unsafe { CoCreateInstance(&SyncMgrControl, None, CLSCTX_SERVER) }?;
        Ok(control.into())
    }

    /// The interface, for the methods the wrapper does not cover.
    pub fn interface(&self) -> &ISyncMgrControl {
        &self.control
    }

    /// `UpdateHandlerCollection`: Sync Center enumerates the collection `collection` (its
    /// CLSID) again, or learns that properties of one of its handlers changed
    /// (`NF:syncmgr.ISyncMgrControl.UpdateHandlerCollection`).
    ///
    /// # Errors
    /// Sync Center's answer.
    pub fn update_handler_collection(
        &self,
        collection: &GUID,
        completion: Completion,
    ) -> Result<()> {
        // SAFETY: `collection` is a GUID that outlives the call.
        unsafe {
            self.control
                .UpdateHandlerCollection(collection, completion.flags())
        }
        .ok()
    }

    /// `UpdateHandler`: Sync Center enumerates the handler's items again, or learns that its
    /// properties changed (`NF:syncmgr.ISyncMgrControl.UpdateHandler`).
    ///
    /// # Errors
    /// `E_INVALIDARG` for an unusable id (see the module docs); Sync Center's answer.
    pub fn update_handler(&self, handler_id: &str, completion: Completion) -> Result<()> {
        let id = handler_wide(handler_id, "NF:syncmgr.ISyncMgrControl.UpdateHandler")?;
        // SAFETY: `id` is NUL-terminated and outlives the call.
        unsafe {
            self.control
                .UpdateHandler(PCWSTR(id.as_ptr()), completion.flags())
        }
        .ok()
    }

    /// `UpdateItem`: Sync Center reloads the item `item_id` of the handler `handler_id`
    /// (`NF:syncmgr.ISyncMgrControl.UpdateItem`).
    ///
    /// # Errors
    /// `E_INVALIDARG` for an unusable id (see the module docs); Sync Center's answer.
    pub fn update_item(
        &self,
        handler_id: &str,
        item_id: &str,
        completion: Completion,
    ) -> Result<()> {
        let page = "NF:syncmgr.ISyncMgrControl.UpdateItem";
        let handler = handler_wide(handler_id, page)?;
        let item = item_wide(item_id, page)?;
        // SAFETY: both ids are NUL-terminated and outlive the call.
        unsafe {
            self.control.UpdateItem(
                PCWSTR(handler.as_ptr()),
                PCWSTR(item.as_ptr()),
                completion.flags(),
            )
        }
        .ok()
    }

    /// `UpdateEvents`: Sync Center reloads the events of the handler `handler_id` from its
    /// event store, after events were added for the item `item_id` or, with `None`, for the
    /// handler itself (NULL `pszItemID`, which the page allows;
    /// `NF:syncmgr.ISyncMgrControl.UpdateEvents`). With [`Completion::Wait`] it returns once
    /// Sync Center has reloaded them.
    ///
    /// # Errors
    /// `E_INVALIDARG` for an unusable id (see the module docs); Sync Center's answer.
    pub fn update_events(
        &self,
        handler_id: &str,
        item_id: Option<&str>,
        completion: Completion,
    ) -> Result<()> {
        let (handler, item) = handler_and_item(
            handler_id,
            item_id,
            "NF:syncmgr.ISyncMgrControl.UpdateEvents",
        )?;
        // SAFETY: the ids are NUL-terminated (or the item NULL) and outlive the call.
        unsafe {
            self.control.UpdateEvents(
                PCWSTR(handler.as_ptr()),
                wide_or_null(item.as_deref()),
                completion.flags(),
            )
        }
        .ok()
    }

    /// `UpdateConflicts`: Sync Center reloads the conflicts of the handler `handler_id` from
    /// its conflict store, for the item `item_id` or, with `None`, the handler itself (NULL
    /// `pszItemID`, which the page allows; `NF:syncmgr.ISyncMgrControl.UpdateConflicts`).
    ///
    /// # Errors
    /// `E_INVALIDARG` for an unusable id (see the module docs); Sync Center's answer.
    pub fn update_conflicts(
        &self,
        handler_id: &str,
        item_id: Option<&str>,
        completion: Completion,
    ) -> Result<()> {
        let (handler, item) = handler_and_item(
            handler_id,
            item_id,
            "NF:syncmgr.ISyncMgrControl.UpdateConflicts",
        )?;
        // SAFETY: the ids are NUL-terminated (or the item NULL) and outlive the call.
        unsafe {
            self.control.UpdateConflicts(
                PCWSTR(handler.as_ptr()),
                wide_or_null(item.as_deref()),
                completion.flags(),
            )
        }
        .ok()
    }

    /// `StartHandlerSync`: synchronizes every item of the handler `handler_id`
    /// (`NF:syncmgr.ISyncMgrControl.StartHandlerSync`).
    ///
    /// # Errors
    /// `E_INVALIDARG` for an unusable id (see the module docs); Sync Center's answer.
    pub fn start_handler_sync(&self, handler_id: &str, options: &StartOptions<'_>) -> Result<()> {
        let page = "NF:syncmgr.ISyncMgrControl.StartHandlerSync";
        let id = handler_wide(handler_id, page)?;
        // SAFETY: `id` is NUL-terminated and outlives the call; the interfaces are live or
        // None (NULL).
        unsafe {
            self.control.StartHandlerSync(
                PCWSTR(id.as_ptr()),
                options.owner,
                options.punk,
                options.already_syncing.flags(),
                options.result,
            )
        }
        .ok()
    }

    /// `StartItemSync`: synchronizes the items `item_ids` of the handler `handler_id`; the ids
    /// are passed to the handler's `Synchronize` (`NF:syncmgr.ISyncMgrControl.StartItemSync`).
    ///
    /// # Errors
    /// `E_INVALIDARG` for an unusable id or no item (see the module docs); Sync Center's
    /// answer.
    pub fn start_item_sync(
        &self,
        handler_id: &str,
        item_ids: &[impl AsRef<str>],
        options: &StartOptions<'_>,
    ) -> Result<()> {
        let page = "NF:syncmgr.ISyncMgrControl.StartItemSync";
        let id = handler_wide(handler_id, page)?;
        let items = wide_ids(item_ids, page)?;
        let pointers: Vec<PCWSTR> = items.iter().map(|item| PCWSTR(item.as_ptr())).collect();
        // SAFETY: every string is NUL-terminated and outlives the call; the interfaces are
        // live or None (NULL).
        unsafe {
            self.control.StartItemSync(
                PCWSTR(id.as_ptr()),
                &pointers,
                options.owner,
                options.punk,
                options.already_syncing.flags(),
                options.result,
            )
        }
        .ok()
    }

    /// `StopHandlerSync`: stops the synchronization of the handler `handler_id`
    /// (`NF:syncmgr.ISyncMgrControl.StopHandlerSync`).
    ///
    /// # Errors
    /// `E_INVALIDARG` for an unusable id (see the module docs); Sync Center's answer.
    pub fn stop_handler_sync(&self, handler_id: &str) -> Result<()> {
        let id = handler_wide(handler_id, "NF:syncmgr.ISyncMgrControl.StopHandlerSync")?;
        // SAFETY: `id` is NUL-terminated and outlives the call.
        unsafe { self.control.StopHandlerSync(PCWSTR(id.as_ptr())) }.ok()
    }

    /// `StopItemSync`: stops the synchronization of the items `item_ids` of the handler
    /// `handler_id` (`NF:syncmgr.ISyncMgrControl.StopItemSync`).
    ///
    /// # Errors
    /// `E_INVALIDARG` for an unusable id or no item (see the module docs); Sync Center's
    /// answer.
    pub fn stop_item_sync(&self, handler_id: &str, item_ids: &[impl AsRef<str>]) -> Result<()> {
        let page = "NF:syncmgr.ISyncMgrControl.StopItemSync";
        let id = handler_wide(handler_id, page)?;
        let items = wide_ids(item_ids, page)?;
        let pointers: Vec<PCWSTR> = items.iter().map(|item| PCWSTR(item.as_ptr())).collect();
        // SAFETY: every string is NUL-terminated and outlives the call.
        unsafe { self.control.StopItemSync(PCWSTR(id.as_ptr()), &pointers) }.ok()
    }

    /// `StartSyncAll`: synchronizes every item of every handler, `owner` the window handlers
    /// may use for UI (`NF:syncmgr.ISyncMgrControl.StartSyncAll`).
    ///
    /// # Errors
    /// Sync Center's answer.
    pub fn start_sync_all(&self, owner: HWND) -> Result<()> {
        // SAFETY: no pointers.
        unsafe { self.control.StartSyncAll(owner) }.ok()
    }

    /// `StopSyncAll`: stops every synchronization (`NF:syncmgr.ISyncMgrControl.StopSyncAll`).
    ///
    /// # Errors
    /// Sync Center's answer.
    pub fn stop_sync_all(&self) -> Result<()> {
        // SAFETY: no pointers.
        unsafe { self.control.StopSyncAll() }.ok()
    }
}
