//! What a partnership's handler keeps between Sync Center's calls: its own events (a history
//! of the items it synchronized) and the conflicts it found, for the event store and the
//! conflict store its `get_object` hands out.
//!
//! Sync Center binds a new handler for every task (`BindToHandler`), so these live in the DLL,
//! one [`Kept`] per partnership id, shared by every handler of that partnership.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

use windows_core::{GUID, Result};
use winsync::bindings::{
    FILETIME, ISyncMgrConflictResolveInfo, SYNCMGR_PC_NO_CHOICE, SYNCMGR_PC_SKIP,
    SYNCMGR_PRESENTER_CHOICE,
};
use winsync::skeletons::{SyncMgrConflict, SyncmgrEventLevel};
use winsync::sync_center::conflicts::ConflictList;
use winsync::sync_center::events::{Event, EventList};

/// One partnership's events and conflicts (clones share them).
#[derive(Clone, Debug, Default)]
pub struct Kept {
    /// The handler's own events: one per item it synchronized (`ObjectId::EventStore`).
    /// Warnings and errors go to Sync Center's Sync Results through `ReportEvent` instead.
    pub events: EventList,
    /// The conflicts it found (`ObjectId::ConflictStore`), one per item at most.
    pub conflicts: ConflictList<ExampleConflict>,
}

/// The events and conflicts of the partnership `handler_id`.
pub fn kept(handler_id: &str) -> Kept {
    static KEPT: OnceLock<Mutex<BTreeMap<String, Kept>>> = OnceLock::new();
    KEPT.get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(handler_id.to_string())
        .or_default()
        .clone()
}

/// Adds an event about item `item_id` of partnership `handler_id` under a new event ID.
pub fn record(handler_id: &str, item_id: &str, level: SyncmgrEventLevel, name: &str) {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let event = Event {
        id: GUID::from_u128(EVENT_IDS | u128::from(NEXT.fetch_add(1, Ordering::Relaxed))),
        handler_id: handler_id.to_string(),
        item_id: item_id.to_string(),
        level,
        flags: 0,
        time: FILETIME::default(),
        name: name.to_string(),
        description: format!("{name}: {item_id}"),
        link_text: String::new(),
        link_reference: String::new(),
        context: String::new(),
    };
    // A fresh ID every time: `add` cannot refuse it.
    let _ = kept(handler_id).events.add(event);
}

/// The high bits of the example's event IDs (the low 64 bits count).
const EVENT_IDS: u128 = 0x2f6b_41d8_7c3e_4a90_0000_0000_0000_0000;

/// The conflict ID of item `item_id` of partnership `handler_id` (`GetConflictIdInfo`): one
/// conflict per item.
pub fn conflict_id(handler_id: &str, item_id: &str) -> Vec<u8> {
    format!("{handler_id}/{item_id}").into_bytes()
}

/// Where the two versions of item `item_id` of partnership `handler_id` are written: the
/// example has no data of its own, so it writes the versions Sync Center's conflict presenter
/// shows into the temporary folder, `winsync example\conflicts\<partnership>\<item>`.
pub fn versions_dir(handler_id: &str, item_id: &str) -> PathBuf {
    let safe = |name: &str| -> String {
        name.chars()
            .map(|c| {
                if c.is_alphanumeric() || "-_.".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    std::env::temp_dir()
        .join("winsync example")
        .join("conflicts")
        .join(safe(handler_id))
        .join(safe(item_id))
}

/// Writes the two versions of the item, this PC's and `partner`'s, as
/// `here\<item>.txt` and `<partner>\<item>.txt` under [`versions_dir`]; returns their paths.
fn write_versions(handler_id: &str, item_id: &str, partner: &str) -> std::io::Result<[PathBuf; 2]> {
    let dir = versions_dir(handler_id, item_id);
    let file = format!("{item_id}.txt");
    let here = dir.join("here").join(&file);
    let there = dir.join("partner").join(&file);
    for (path, text) in [
        (&here, format!("{item_id} as changed on this PC\n")),
        (&there, format!("{item_id} as changed on {partner}\n")),
    ] {
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder)?;
        }
        std::fs::write(path, text)?;
    }
    Ok([here, there])
}

/// Keeps a conflict for item `item_id` of partnership `handler_id` with `partner`, unless one
/// is kept already (the item changed on both sides again), its two versions written as files
/// ([`versions_dir`]). Returns whether it is new.
///
/// # Errors
/// What [`ConflictList::add`] says of the ID (never, for ids the collection accepted). A
/// version that cannot be written is not an error: the conflict is kept without versions to
/// show.
pub fn keep_conflict(handler_id: &str, item_id: &str, partner: &str) -> Result<bool> {
    let conflicts = kept(handler_id).conflicts;
    let id = conflict_id(handler_id, item_id);
    if conflicts.ids().contains(&id) {
        return Ok(false);
    }
    let conflict = ExampleConflict {
        handler_id: handler_id.to_string(),
        item_id: item_id.to_string(),
        partner: partner.to_string(),
        versions: write_versions(handler_id, item_id, partner).ok(),
    };
    match conflicts.add(id.clone(), handler_id, item_id, conflict) {
        Ok(()) => Ok(true),
        // Another handler of the partnership kept it first.
        Err(_) if conflicts.ids().contains(&id) => Ok(false),
        Err(error) => Err(error),
    }
}

/// A conflict kept in a partnership's conflict store: item `item_id` changed on both sides.
#[derive(Debug)]
pub struct ExampleConflict {
    handler_id: String,
    item_id: String,
    /// The partner's display name (read by `get_items_array`, on Windows).
    #[cfg_attr(not(windows), allow(dead_code))]
    partner: String,
    /// The two versions as files, this PC's first; `None` if they could not be written.
    #[cfg_attr(not(windows), allow(dead_code))]
    versions: Option<[PathBuf; 2]>,
}

impl SyncMgrConflict for ExampleConflict {
    /// The two versions for Sync Center's conflict presenter
    /// (`NF:syncmgr.ISyncMgrConflict.GetItemsArray`): this PC's and the partner's, each a
    /// file's shell item named as the item, with the name it takes if both are kept.
    #[cfg(windows)]
    fn get_items_array(&self) -> Result<winsync::bindings::ISyncMgrConflictItems> {
        use winsync::sync_center::conflicts::{ConflictItem, conflict_items, shell_item};

        let Some(versions) = &self.versions else {
            return Err(winsync::com::abi::not_implemented());
        };
        let places = ["This PC", self.partner.as_str()];
        let items = versions
            .iter()
            .zip(places)
            .map(|(path, place)| {
                Ok(ConflictItem {
                    original_name: Some(format!("{}.txt", self.item_id)),
                    alternate_name: Some(format!("{} ({place}).txt", self.item_id)),
                    location_short: Some(place.to_string()),
                    location_full: path.parent().map(|p| p.display().to_string()),
                    ..ConflictItem::updated(shell_item(path)?)
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(conflict_items(items))
    }

    /// Resolves the conflict the way the user chose in Sync Center's conflict presenter
    /// (`NF:syncmgr.ISyncMgrConflict.Resolve`): any choice but "no choice" and "skip" settles
    /// it, and it leaves the store; Sync Center is then told to read the store again
    /// (`NF:syncmgr.ISyncMgrControl.UpdateConflicts`). The example has no data to copy; the
    /// version files go.
    fn resolve(&self, resolve_info: &ISyncMgrConflictResolveInfo) -> Result<()> {
        let mut choice = SYNCMGR_PRESENTER_CHOICE::default();
        let mut apply_to_all = windows_core::BOOL::default();
        // SAFETY: both out-pointers are valid for the call.
        unsafe { resolve_info.GetPresenterChoice(&mut choice, &mut apply_to_all) }.ok()?;
        if choice == SYNCMGR_PC_NO_CHOICE || choice == SYNCMGR_PC_SKIP {
            return Ok(());
        }
        kept(&self.handler_id)
            .conflicts
            .remove(&conflict_id(&self.handler_id, &self.item_id));
        // The versions were only there to be shown.
        let _ = std::fs::remove_dir_all(versions_dir(&self.handler_id, &self.item_id));
        record(
            &self.handler_id,
            &self.item_id,
            SyncmgrEventLevel::Information,
            "Conflict resolved",
        );
        notify_conflicts(&self.handler_id, &self.item_id);
        Ok(())
    }
}

/// Asks Sync Center to read the item's conflicts again (`UpdateConflicts`). Sync Center may be
/// missing (Wine) or busy; the store is right either way, and Sync Center reads it again when
/// it next shows the Conflicts folder, so a failure here changes nothing.
fn notify_conflicts(handler_id: &str, item_id: &str) {
    #[cfg(windows)]
    {
        use winsync::sync_center::control::{Completion, SyncCenterControl};
        if let Ok(control) = SyncCenterControl::connect() {
            let _ = control.update_conflicts(handler_id, Some(item_id), Completion::Queue);
        }
    }
    #[cfg(not(windows))]
    let _ = (handler_id, item_id);
}
