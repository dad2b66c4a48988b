//! The session's other requests to Sync Center: events, proposed and committed items, items
//! added to the session, additional items and manual synchronization.

use super::*;

impl SyncSession {
    /// Reports an event (`ISyncMgrSyncCallback::ReportEvent`) and returns its id.
    ///
    /// `flags` is not used by Sync Center: pass `SYNCMGR_EF_NONE`, as the page's example does.
    ///
    /// # Errors
    /// Checked first: `E_INVALIDARG` for flags other than `SYNCMGR_EF_NONE`
    /// (`syncmgr-session.report-event.flags-unused`,
    /// `NF:syncmgr.ISyncMgrSyncCallback.ReportEvent`) and for an item id too long. Sync
    /// Center's error otherwise.
    #[allow(clippy::too_many_arguments)]
    pub fn report_event(
        &self,
        item_id: &str,
        level: SyncmgrEventLevel,
        flags: SYNCMGR_EVENT_FLAGS,
        name: &str,
        description: &str,
        link: Option<(&str, &str)>,
        context: &str,
    ) -> Result<GUID> {
        if flags != SYNCMGR_EF_NONE {
            return Err(refused(
                E_INVALIDARG,
                &rules::SYNCMGR_SESSION_REPORT_EVENT_FLAGS_UNUSED,
                format_args!("event flags {flags:#x}, SYNCMGR_EF_NONE expected"),
            ));
        }
        let id = checked_id(item_id, &rules::SYNCMGR_SESSION_REPORT_EVENT_ITEM_ID_LENGTH)?;
        let text = |t: &str| -> Vec<u16> { t.encode_utf16().chain(std::iter::once(0)).collect() };
        let (name, description, context) = (text(name), text(description), text(context));
        let link = link.map(|(text_, reference)| (text(text_), text(reference)));
        let (link_text, link_reference) = link
            .as_ref()
            .map_or((PCWSTR::null(), PCWSTR::null()), |(t, r)| {
                (PCWSTR(t.as_ptr()), PCWSTR(r.as_ptr()))
            });
        unsafe {
            self.inner.callback.ReportEvent(
                id.as_pcwstr(),
                level.into(),
                flags,
                PCWSTR(name.as_ptr()),
                PCWSTR(description.as_ptr()),
                link_text,
                link_reference,
                PCWSTR(context.as_ptr()),
            )
        }
    }

    /// Proposes a new item (`ISyncMgrSyncCallback::ProposeItem`), remembering its id so that
    /// [`Self::commit_item`] can be checked.
    ///
    /// # Errors
    /// The item's `GetItemID` error, or Sync Center's.
    pub fn propose_item(&self, item: &ISyncMgrSyncItem) -> Result<()> {
        let id = unsafe { abi::take_co_task_wide(item.GetItemID()?) }?;
        unsafe { self.inner.callback.ProposeItem(item) }.ok()?;
        self.inner.state.borrow_mut().proposed.insert(id);
        Ok(())
    }

    /// Commits a proposed item (`ISyncMgrSyncCallback::CommitItem`); it becomes an item of the
    /// session.
    ///
    /// # Errors
    /// `E_INVALIDARG`, checked first, when `item_id` was not proposed with
    /// [`Self::propose_item`] (`NF:syncmgr.ISyncMgrSyncCallback.CommitItem`); Sync Center's
    /// error otherwise.
    pub fn commit_item(&self, item_id: &str) -> Result<()> {
        let id = checked_id(item_id, &rules::SYNCMGR_SESSION_COMMIT_ITEM_ITEM_ID_LENGTH)?;
        if !self.inner.state.borrow().proposed.contains(item_id) {
            return Err(refused(
                E_INVALIDARG,
                &rules::SYNCMGR_SESSION_COMMIT_ITEM_NOT_PROPOSED,
                format_args!("`{item_id}` was not proposed"),
            ));
        }
        unsafe { self.inner.callback.CommitItem(id.as_pcwstr()) }.ok()?;
        let mut state = self.inner.state.borrow_mut();
        state.proposed.remove(item_id);
        state.items.entry(item_id.to_string()).or_insert(None);
        Ok(())
    }

    /// Adds an item to the session (`ISyncMgrSyncCallback::AddItemToSession`).
    ///
    /// # Errors
    /// `E_INVALIDARG` for an id too long (checked first); Sync Center's error otherwise.
    pub fn add_item_to_session(&self, item_id: &str) -> Result<()> {
        let id = checked_id(
            item_id,
            &rules::SYNCMGR_SESSION_ADD_ITEM_TO_SESSION_ITEM_ID_LENGTH,
        )?;
        unsafe { self.inner.callback.AddItemToSession(id.as_pcwstr()) }.ok()?;
        self.inner
            .state
            .borrow_mut()
            .items
            .entry(item_id.to_string())
            .or_insert(None);
        Ok(())
    }

    /// Asks Sync Center for items queued for this handler meanwhile, to be synchronized after
    /// this session (`NF:syncmgr.ISyncMgrSyncCallback.QueryForAdditionalItems`): `None` for
    /// S_FALSE (none pending), else the ids and interfaces Sync Center's enumerators hand out,
    /// read to their end. Every id is freed with `CoTaskMemFree` once read
    /// (`syncmgr-session.query-for-additional-items.item-ids`). The items do not become items
    /// of this session.
    ///
    /// # Errors
    /// Sync Center's error, or an enumerator's; `E_INVALIDARG` naming the rule for an id
    /// longer than `MAX_SYNCMGR_ID - 1` UTF-16 units.
    pub fn query_for_additional_items(&self) -> Result<Option<AdditionalItems>> {
        let (mut ids, mut punks) = (None, None);
        let code = unsafe {
            self.inner
                .callback
                .QueryForAdditionalItems(&mut ids, &mut punks)
        };
        code.ok()?;
        if code == S_FALSE {
            return Ok(None);
        }
        additional_items::read(ids, punks).map(Some)
    }

    /// Tells Sync Center this was a manual synchronization (`ReportManualSync`).
    ///
    /// # Errors
    /// Sync Center's error.
    pub fn report_manual_sync(&self) -> Result<()> {
        unsafe { self.inner.callback.ReportManualSync() }.ok()
    }
}
