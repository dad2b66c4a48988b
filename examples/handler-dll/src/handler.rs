//! The handler of one partnership: its items, its objects and its `synchronize`.

use windows_core::{Error, IUnknown, Result};
use winsync::bindings::{
    E_FAIL, E_INVALIDARG, E_NOTIMPL, FILETIME, HWND, IEnumSyncMgrSyncItems, ISyncMgrHandlerInfo,
    ISyncMgrSessionCreator, ISyncMgrSyncItem, ISyncMgrSyncItemInfo, SYNCMGR_EF_NONE,
    SYNCMGR_HANDLER_CAPABILITIES, SYNCMGR_HANDLER_POLICIES, SYNCMGR_HPM_NONE, SYNCMGR_ICM_NONE,
    SYNCMGR_IPM_NONE, SYNCMGR_ITEM_CAPABILITIES, SYNCMGR_ITEM_POLICIES,
};
use winsync::skeletons::{
    SyncMgrHandler, SyncMgrHandlerInfo, SyncMgrSyncItem, SyncMgrSyncItemContainer,
    SyncMgrSyncItemInfo, SyncmgrCancelRequest, SyncmgrEventLevel, SyncmgrHandlerType,
    SyncmgrProgressStatus,
};
use winsync::sync_center::handler::handler_info;
use winsync::sync_center::items::{SyncItems, sync_item_info};
use winsync::sync_center::objects::{ObjectId, SyncMgrObject};
use winsync::sync_center::session::{Continue, SyncSession};
use winsync::sync_center::ui::{RunUi, ui_operation};

use crate::kept::{keep_conflict, kept, record};
use crate::partnerships::{self, Partnership};
use crate::{CAPABILITIES, ITEMS};

/// The handler of one [`Partnership`]: lists [`ITEMS`] and brings each item it is asked to
/// synchronize to SUCCEEDED in two steps, to CANCELED when Sync Center asks, to SUCCEEDED with
/// a conflict kept for the partnership's `conflicts`, and to FAILED with an error event for its
/// `offline` items.
#[derive(Debug, winsync::SyncMgrHandler)]
#[sync_mgr_handler(item_container)]
pub struct ExampleHandler {
    partnership: Partnership,
    items: SyncItems<ExampleItem>,
}

impl ExampleHandler {
    /// The handler of `partnership`.
    ///
    /// # Errors
    /// What [`SyncItems::new`] says of an unusable id (none of [`ITEMS`]'s is).
    pub fn new(partnership: Partnership) -> Result<Self> {
        let items = SyncItems::new(ITEMS.map(|(id, name)| ExampleItem {
            id,
            name,
            connected: !partnership.is_offline(id),
        }))?;
        Ok(Self { partnership, items })
    }

    /// What the handler class's factory (`CoCreateInstance(CLSID_EXAMPLE_HANDLER)`) makes: the
    /// handler of the user's first partnership, or of the first of
    /// [`partnerships::defaults`] when the configuration lists none or cannot be read (the
    /// collection, which Sync Center uses, reports that error instead).
    ///
    /// # Panics
    /// Never: [`ITEMS`]'s ids are fixed, unique and short; the factory would turn a panic into
    /// `E_UNEXPECTED`.
    pub fn make() -> Self {
        let partnership = partnerships::load()
            .ok()
            .and_then(|list| list.into_iter().next())
            .or_else(|| partnerships::defaults().into_iter().next());
        #[allow(clippy::expect_used)]
        Self::new(partnership.expect("the defaults list two partnerships"))
            .expect("ITEMS have usable ids")
    }

    /// The partnership this handler synchronizes.
    pub fn partnership(&self) -> &Partnership {
        &self.partnership
    }

    /// Synchronizes one item of the session (see [`ExampleHandler`]).
    fn synchronize_item(&self, session: &SyncSession, id: &str) -> Result<()> {
        let partnership = &self.partnership;
        // Sync Center may have asked to cancel this item, or everything, meanwhile; the
        // session remembers what it heard and asks for the rest.
        if session.can_continue(Some(id))? == Continue::Cancel {
            return cancel(session, id, 0);
        }
        let answer =
            session.report_progress(id, "Synchronizing", SyncmgrProgressStatus::Updating, 1, 2)?;
        if answer != SyncmgrCancelRequest::None {
            // Stop, and acknowledge with a last CANCELED report
            // (NF:syncmgr.ISyncMgrSyncCallback.ReportProgress).
            return cancel(session, id, 1);
        }
        if partnership.is_offline(id) {
            let description = format!("{} cannot reach {id} now.", partnership.name);
            session.report_event(
                id,
                SyncmgrEventLevel::Error,
                SYNCMGR_EF_NONE,
                "Not reachable",
                &description,
                None,
                "",
            )?;
            session.report_progress(id, "Not reachable", SyncmgrProgressStatus::Failed, 2, 2)?;
            return Ok(());
        }
        if partnership.in_conflict(id) {
            keep_conflict(&partnership.id, id, &partnership.name)?;
            let description = format!(
                "{id} changed here and on {}: choose a version in the Conflicts folder.",
                partnership.name
            );
            session.report_event(
                id,
                SyncmgrEventLevel::Warning,
                SYNCMGR_EF_NONE,
                "Conflict",
                &description,
                None,
                "",
            )?;
            session.report_progress(
                id,
                "Done, one conflict",
                SyncmgrProgressStatus::Succeeded,
                2,
                2,
            )?;
            // The history keeps the item's synchronization; the warning went to Sync Center.
            record(
                &partnership.id,
                id,
                SyncmgrEventLevel::Information,
                "Synchronized, conflict kept",
            );
            return Ok(());
        }
        session.report_progress(id, "Done", SyncmgrProgressStatus::Succeeded, 2, 2)?;
        record(
            &partnership.id,
            id,
            SyncmgrEventLevel::Information,
            "Synchronized",
        );
        Ok(())
    }
}

/// Ends item `id` CANCELED after `done` of its 2 steps, with a warning event.
fn cancel(session: &SyncSession, id: &str, done: u32) -> Result<()> {
    session.report_progress(id, "Canceled", SyncmgrProgressStatus::Canceled, done, 2)?;
    session.report_event(
        id,
        SyncmgrEventLevel::Warning,
        SYNCMGR_EF_NONE,
        "Synchronization canceled",
        &format!("{id} was not synchronized: the synchronization was canceled."),
        None,
        "",
    )?;
    Ok(())
}

impl SyncMgrHandler for ExampleHandler {
    fn get_name(&self) -> Result<String> {
        Ok(self.partnership.name.clone())
    }

    fn get_handler_info(&self) -> Result<ISyncMgrHandlerInfo> {
        Ok(handler_info(ExampleInfo))
    }

    fn get_object(&self, object_id: ObjectId) -> Result<Option<SyncMgrObject>> {
        // The objects the capabilities announce (`NF:syncmgr.ISyncMgrHandler.GetObject`); any
        // other is E_NOTIMPL.
        let kept = || kept(&self.partnership.id);
        Ok(match object_id {
            ObjectId::QueryBeforeActivate => Some(ui_operation(RunUi(setup)).into()),
            ObjectId::BrowseContent => Some(ui_operation(RunUi(browse)).into()),
            ObjectId::ShowSchedule => Some(schedule(&self.partnership.id)?.into()),
            ObjectId::EventStore => Some(kept().events.store().into()),
            ObjectId::ConflictStore => Some(kept().conflicts.store().into()),
            _ => None,
        })
    }

    fn get_capabilities(&self) -> Result<SYNCMGR_HANDLER_CAPABILITIES> {
        Ok(CAPABILITIES)
    }

    fn get_policies(&self) -> Result<SYNCMGR_HANDLER_POLICIES> {
        Ok(SYNCMGR_HPM_NONE)
    }

    fn activate(&self, _activate: bool) -> Result<()> {
        Ok(())
    }

    fn enable(&self, _enable: bool) -> Result<()> {
        Ok(())
    }

    fn synchronize(
        &self,
        item_ids: &[String],
        _owner: HWND,
        session_creator: &ISyncMgrSessionCreator,
        _punk: Option<&IUnknown>,
    ) -> Result<()> {
        if let Some(unknown) = item_ids.iter().find(|id| self.items.item(id).is_none()) {
            return Err(Error::new(E_INVALIDARG, format!("no item {unknown:?}")));
        }
        let session = SyncSession::create(session_creator, &self.partnership.id, item_ids)?;
        for id in item_ids {
            if session.final_status(id).is_none() {
                // (An id given twice is synchronized once.)
                self.synchronize_item(&session, id)?;
            }
        }
        Ok(())
    }
}

impl SyncMgrSyncItemContainer for ExampleHandler {
    fn get_sync_item(&self, item_id: &str) -> Result<ISyncMgrSyncItem> {
        self.items.get(item_id)
    }

    fn get_sync_item_enumerator(&self) -> Result<IEnumSyncMgrSyncItems> {
        Ok(self.items.enumerator())
    }

    fn get_sync_item_count(&self) -> Result<u32> {
        Ok(self.items.count())
    }
}

/// The schedule UI (`ObjectId::ShowSchedule`): Sync Center's own schedule wizard, initialized
/// for the partnership (`NN:syncmgr.ISyncMgrScheduleWizardUIOperation`).
#[cfg(windows)]
fn schedule(handler_id: &str) -> Result<winsync::bindings::ISyncMgrUIOperation> {
    winsync::sync_center::ui::schedule_wizard(handler_id)
}

/// The schedule UI needs Sync Center's schedule wizard, which exists on Windows only.
#[cfg(not(windows))]
fn schedule(_handler_id: &str) -> Result<winsync::bindings::ISyncMgrUIOperation> {
    Err(Error::new(
        E_NOTIMPL,
        "Sync Center's schedule wizard (CLSID_SyncMgrScheduleWizard) exists on Windows only",
    ))
}

/// The setup UI (`ObjectId::QueryBeforeActivate`): a real handler shows its setup dialog owned
/// by `owner` here and answers `false` (S_FALSE) when the user cancels it, so that Sync Center
/// does not activate the handler (`NF:syncmgr.ISyncMgrUIOperation.Run`). The example needs no
/// setup and goes ahead.
fn setup(_owner: HWND) -> Result<bool> {
    Ok(true)
}

/// The browse UI (`ObjectId::BrowseContent`): a real handler opens a window on what it
/// synchronizes; the example has nothing to show.
fn browse(_owner: HWND) -> Result<bool> {
    Ok(true)
}

/// One item of [`ExampleHandler`].
#[derive(Debug)]
pub struct ExampleItem {
    id: &'static str,
    name: &'static str,
    /// Whether the partner can reach it (not one of the partnership's `offline` items).
    connected: bool,
}

impl SyncMgrSyncItem for ExampleItem {
    fn get_item_id(&self) -> Result<String> {
        Ok(self.id.to_string())
    }

    fn get_name(&self) -> Result<String> {
        Ok(self.name.to_string())
    }

    fn get_item_info(&self) -> Result<ISyncMgrSyncItemInfo> {
        Ok(sync_item_info(ExampleItemInfo {
            connected: self.connected,
        }))
    }

    fn get_object(&self, _object_id: ObjectId) -> Result<Option<SyncMgrObject>> {
        // No item objects: Sync Center hears E_INVALIDARG (`NF:syncmgr.ISyncMgrSyncItem.GetObject`).
        Ok(None)
    }

    fn get_capabilities(&self) -> Result<SYNCMGR_ITEM_CAPABILITIES> {
        Ok(SYNCMGR_ICM_NONE)
    }

    fn get_policies(&self) -> Result<SYNCMGR_ITEM_POLICIES> {
        Ok(SYNCMGR_IPM_NONE)
    }

    fn enable(&self, _enable: bool) -> Result<()> {
        Ok(())
    }

    fn delete(&self) -> Result<()> {
        // Without SYNCMGR_ICM_CAN_DELETE Sync Center never asks (`NF:syncmgr.ISyncMgrSyncItem.Delete`).
        Err(Error::from_hresult(E_NOTIMPL))
    }
}

/// What an [`ExampleItem`]'s `get_item_info` returns.
#[derive(Debug)]
pub struct ExampleItemInfo {
    connected: bool,
}

impl SyncMgrSyncItemInfo for ExampleItemInfo {
    fn get_type_label(&self) -> Result<String> {
        Ok("Example item".to_string())
    }

    fn get_comment(&self) -> Result<String> {
        Ok(String::new())
    }

    fn get_last_sync_time(&self) -> Result<FILETIME> {
        Err(Error::new(E_FAIL, "no synchronization recorded"))
    }

    fn is_enabled(&self) -> Result<bool> {
        Ok(true)
    }

    fn is_connected(&self) -> Result<bool> {
        Ok(self.connected)
    }
}

/// What [`ExampleHandler`]'s `get_handler_info` returns.
#[derive(Debug, Default)]
pub struct ExampleInfo;

impl SyncMgrHandlerInfo for ExampleInfo {
    fn get_type(&self) -> Result<SyncmgrHandlerType> {
        Ok(SyncmgrHandlerType::Device)
    }

    fn get_type_label(&self) -> Result<String> {
        Ok("Example device".to_string())
    }

    fn get_comment(&self) -> Result<String> {
        Ok("A Sync Center handler in a Rust DLL".to_string())
    }

    fn get_last_sync_time(&self) -> Result<FILETIME> {
        // Keeps Sync Center's previous value (`NF:syncmgr.ISyncMgrHandlerInfo.GetLastSyncTime`).
        Err(Error::new(E_FAIL, "no synchronization recorded"))
    }

    fn is_active(&self) -> Result<bool> {
        Ok(true)
    }

    fn is_enabled(&self) -> Result<bool> {
        Ok(true)
    }

    fn is_connected(&self) -> Result<bool> {
        Ok(true)
    }
}
