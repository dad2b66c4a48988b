//! The folder-sync handler through its real `ISyncMgrHandler` vtable, against the checking
//! Sync Center double (`winsync::sync_center::double::SyncCenterDouble`) as session creator:
//! copies, failures, cancellation, unknown items, the handler's other methods; and, with
//! deliberately buggy handlers defined here, what the derive's glue and `SyncSession` do about
//! items left open, panics, reports after a final status and CommitItem without ProposeItem.
// Test helpers fail loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tempfile::TempDir;
use windows_core::{ComObject, GUID, HRESULT, IUnknown, Interface, PCWSTR, PWSTR, Result};
use winsync::bindings::{
    E_ACCESSDENIED, E_FAIL, E_INVALIDARG, E_NOTIMPL, E_UNEXPECTED, FILETIME, HWND, ISyncMgrHandler,
    ISyncMgrHandlerInfo, ISyncMgrSessionCreator, S_FALSE, S_OK, SYNCMGR_HANDLER_CAPABILITIES,
    SYNCMGR_HANDLER_POLICIES, SYNCMGR_HCM_NONE, SYNCMGR_HPM_NONE, SYNCMGR_HT_FOLDER,
};
use winsync::com::abi::take_co_task_wide;
use winsync::skeletons::{SyncMgrHandler, SyncmgrEventLevel, SyncmgrProgressStatus};
use winsync::sync_center::double::{Call, SyncCenterDouble};
use winsync::sync_center::handler::DerivedHandler;
use winsync::sync_center::session::{MAX_ITEM_ID_CHARS, SyncSession};
use winsync_example_folder_sync::{CHUNK_BYTES, FolderSync, HANDLER_ID, SkipReason};

use SyncmgrProgressStatus::{Canceled, Failed, Succeeded, Updating};

/// A source and a destination folder in a fresh temporary folder; the source holds `files`.
struct Folders {
    _root: TempDir,
    source: PathBuf,
    destination: PathBuf,
}

fn folders(files: &[(&str, &[u8])]) -> Folders {
    let root = tempfile::tempdir().unwrap();
    let (source, destination) = (root.path().join("source"), root.path().join("destination"));
    fs::create_dir(&source).unwrap();
    fs::create_dir(&destination).unwrap();
    for (name, contents) in files {
        fs::write(source.join(name), contents).unwrap();
    }
    Folders {
        _root: root,
        source,
        destination,
    }
}

/// Three files, the last one three chunks long.
fn three_files() -> (Folders, Vec<u8>) {
    let big: Vec<u8> = (0..CHUNK_BYTES * 2 + 7).map(|i| (i % 251) as u8).collect();
    let folders = folders(&[("a.txt", b"alpha"), ("b.txt", b"bravo"), ("c.bin", &big)]);
    (folders, big)
}

const IDS: [&str; 3] = ["a.txt", "b.txt", "c.bin"];

/// `ISyncMgrHandler::Synchronize` through the vtable, as Sync Center calls it, with the double
/// as the session creator.
fn synchronize(
    handler: &ISyncMgrHandler,
    ids: &[&str],
    double: &ComObject<SyncCenterDouble>,
) -> HRESULT {
    let creator: ISyncMgrSessionCreator = double.to_interface();
    let wide: Vec<Vec<u16>> = ids
        .iter()
        .map(|id| id.encode_utf16().chain(std::iter::once(0)).collect())
        .collect();
    let pointers: Vec<PCWSTR> = wide.iter().map(|id| PCWSTR(id.as_ptr())).collect();
    unsafe {
        (handler.vtable().Synchronize)(
            handler.as_raw(),
            pointers.as_ptr(),
            pointers.len() as u32,
            HWND::default(),
            creator.as_raw(),
            std::ptr::null_mut(),
        )
    }
}

fn handler(folders: &Folders) -> ISyncMgrHandler {
    FolderSync::new(&folders.source, &folders.destination).into_handler()
}

fn statuses(double: &SyncCenterDouble, ids: &[&str]) -> Vec<Option<SyncmgrProgressStatus>> {
    ids.iter().map(|id| double.final_status(id)).collect()
}

/// The `ReportProgress` calls the double received for `item`: (status, current, max, answer).
fn reports(
    double: &SyncCenterDouble,
    item: &str,
) -> Vec<(SyncmgrProgressStatus, u32, u32, HRESULT)> {
    double
        .transcript()
        .into_iter()
        .filter_map(|call| match call {
            Call::ReportProgress {
                item_id,
                status,
                current,
                max,
                answer,
                ..
            } if item_id == item => Some((status, current, max, answer)),
            _ => None,
        })
        .collect()
}

/// The `ReportEvent` calls the double received: (item, level, description).
fn events(double: &SyncCenterDouble) -> Vec<(String, SyncmgrEventLevel, String)> {
    double
        .transcript()
        .into_iter()
        .filter_map(|call| match call {
            Call::ReportEvent {
                item_id,
                level,
                description,
                ..
            } => Some((item_id, level, description)),
            _ => None,
        })
        .collect()
}

/// The names in `folder`, sorted.
fn names(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(folder)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn every_file_is_copied_and_every_item_succeeds() {
    let (folders, big) = three_files();
    let items = FolderSync::new(&folders.source, &folders.destination)
        .items()
        .unwrap();
    assert_eq!(items.ids, IDS);
    assert!(items.skipped.is_empty());

    let double = SyncCenterDouble::new(&IDS);
    assert_eq!(synchronize(&handler(&folders), &IDS, &double), S_OK);

    assert_eq!(statuses(&double, &IDS), [Some(Succeeded); 3]);
    assert_eq!(names(&folders.destination), IDS);
    assert_eq!(
        fs::read(folders.destination.join("a.txt")).unwrap(),
        b"alpha"
    );
    assert_eq!(fs::read(folders.destination.join("c.bin")).unwrap(), big);
    assert_eq!(
        double.transcript()[0],
        Call::CreateSession {
            handler_id: HANDLER_ID.to_string(),
            item_ids: IDS.map(str::to_string).to_vec(),
        }
    );
    // One step per chunk, UPDATING before each chunk is copied.
    assert_eq!(
        reports(&double, "c.bin"),
        [
            (Updating, 0, 3, S_OK),
            (Updating, 1, 3, S_OK),
            (Updating, 2, 3, S_OK),
            (Succeeded, 3, 3, S_OK),
        ]
    );
    assert_eq!(
        reports(&double, "a.txt"),
        [(Updating, 0, 1, S_OK), (Succeeded, 1, 1, S_OK)]
    );
    assert!(events(&double).is_empty());
}

#[test]
fn a_source_file_removed_before_the_sync_fails_with_an_error_event() {
    let (folders, _) = three_files();
    fs::remove_file(folders.source.join("b.txt")).unwrap();
    let double = SyncCenterDouble::new(&IDS);

    assert_eq!(synchronize(&handler(&folders), &IDS, &double), S_OK);

    assert_eq!(
        statuses(&double, &IDS),
        [Some(Succeeded), Some(Failed), Some(Succeeded)]
    );
    let events = events(&double);
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].0, "b.txt");
    assert_eq!(events[0].1, SyncmgrEventLevel::Error);
    assert!(
        events[0].2.contains("cannot open the source file"),
        "{events:?}"
    );
    assert_eq!(names(&folders.destination), ["a.txt", "c.bin"]);
}

#[test]
fn a_destination_that_is_a_folder_fails_the_item_and_is_left_alone() {
    // Works as root too: no permission is involved.
    let (folders, _) = three_files();
    fs::create_dir(folders.destination.join("b.txt")).unwrap();
    let double = SyncCenterDouble::new(&IDS);

    assert_eq!(synchronize(&handler(&folders), &IDS, &double), S_OK);

    assert_eq!(
        statuses(&double, &IDS),
        [Some(Succeeded), Some(Failed), Some(Succeeded)]
    );
    let events = events(&double);
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        (events[0].0.as_str(), events[0].1),
        ("b.txt", SyncmgrEventLevel::Error)
    );
    assert!(folders.destination.join("b.txt").is_dir());
    // No temporary file is left behind.
    assert_eq!(names(&folders.destination), IDS);
}

#[test]
fn a_canceled_item_ends_canceled_and_the_others_succeed() {
    let (folders, _) = three_files();
    fs::write(folders.destination.join("b.txt"), b"old").unwrap();
    let double = SyncCenterDouble::new(&IDS);
    double.cancel_item_after("b.txt", 1);

    assert_eq!(synchronize(&handler(&folders), &IDS, &double), S_OK);

    assert_eq!(
        statuses(&double, &IDS),
        [Some(Succeeded), Some(Canceled), Some(Succeeded)]
    );
    assert_eq!(
        reports(&double, "b.txt"),
        [(Updating, 0, 1, S_OK), (Canceled, 0, 1, S_OK)]
    );
    // The destination keeps what it had.
    assert_eq!(fs::read(folders.destination.join("b.txt")).unwrap(), b"old");
}

#[test]
fn an_item_canceled_in_the_middle_of_its_copy_leaves_no_partial_file() {
    let (folders, _) = three_files();
    let double = SyncCenterDouble::new(&IDS);
    // The second report for c.bin is the one after its first chunk.
    double.cancel_item_after("c.bin", 2);

    assert_eq!(synchronize(&handler(&folders), &IDS, &double), S_OK);

    assert_eq!(
        statuses(&double, &IDS),
        [Some(Succeeded), Some(Succeeded), Some(Canceled)]
    );
    assert_eq!(
        reports(&double, "c.bin"),
        [
            (Updating, 0, 3, S_OK),
            (Updating, 1, 3, S_OK),
            (Canceled, 1, 3, S_OK)
        ]
    );
    assert_eq!(names(&folders.destination), ["a.txt", "b.txt"]);
}

#[test]
fn an_item_canceled_before_it_starts_is_reported_canceled_after_can_continue() {
    let (folders, _) = three_files();
    let double = SyncCenterDouble::new(&IDS);
    double.cancel_item_after("a.txt", 0);

    assert_eq!(synchronize(&handler(&folders), &IDS, &double), S_OK);

    assert_eq!(
        statuses(&double, &IDS),
        [Some(Canceled), Some(Succeeded), Some(Succeeded)]
    );
    assert!(double.transcript().contains(&Call::CanContinue {
        item_id: Some("a.txt".to_string()),
        answer: S_FALSE,
    }));
    assert_eq!(reports(&double, "a.txt"), [(Canceled, 0, 1, S_OK)]);
}

#[test]
fn cancel_all_cancels_the_current_and_every_remaining_item() {
    let (folders, _) = three_files();
    let double = SyncCenterDouble::new(&IDS);
    double.cancel_all_after(1);

    assert_eq!(synchronize(&handler(&folders), &IDS, &double), S_OK);

    assert_eq!(statuses(&double, &IDS), [Some(Canceled); 3]);
    // b and c are not started: no CanContinue, no UPDATING, just CANCELED.
    for id in ["b.txt", "c.bin"] {
        assert_eq!(reports(&double, id), [(Canceled, 0, 1, S_OK)]);
    }
    assert!(names(&folders.destination).is_empty());
}

#[test]
fn cancel_all_in_the_middle_keeps_the_items_already_done() {
    let (folders, _) = three_files();
    let double = SyncCenterDouble::new(&IDS);
    // a: UPDATING, SUCCEEDED; b: UPDATING is the third report.
    double.cancel_all_after(3);

    assert_eq!(synchronize(&handler(&folders), &IDS, &double), S_OK);

    assert_eq!(
        statuses(&double, &IDS),
        [Some(Succeeded), Some(Canceled), Some(Canceled)]
    );
    assert_eq!(names(&folders.destination), ["a.txt"]);
}

#[test]
fn an_item_unknown_to_sync_center_is_skipped_and_named_in_the_error() {
    let (folders, _) = three_files();
    fs::write(folders.source.join("ghost.txt"), b"boo").unwrap();
    // Sync Center knows a, b, c; Synchronize is handed ghost.txt as well.
    let double = SyncCenterDouble::new(&IDS);
    let ids = ["a.txt", "ghost.txt", "b.txt", "c.bin"];

    let hr = synchronize(&handler(&folders), &ids, &double);

    // The handler finishes the items Sync Center knows and fails the call with Sync Center's
    // answer for the one it does not.
    assert_eq!(hr, E_INVALIDARG);
    assert_eq!(statuses(&double, &IDS), [Some(Succeeded); 3]);
    assert_eq!(double.final_status("ghost.txt"), None);
    assert!(double.transcript().contains(&Call::CanContinue {
        item_id: Some("ghost.txt".to_string()),
        answer: E_INVALIDARG,
    }));
    // Sync Center refused the item, so the session dropped it: the glue does not report it
    // FAILED when synchronize returns (Sync Center would refuse that too).
    assert_eq!(reports(&double, "ghost.txt"), []);
    assert_eq!(names(&folders.destination), IDS);
}

#[test]
fn an_item_id_that_is_not_a_file_name_fails_without_touching_the_file_system() {
    let folders = folders(&[("a.txt", b"alpha")]);
    fs::write(folders.source.parent().unwrap().join("outside"), b"secret").unwrap();
    let ids = ["../outside", "a.txt"];
    let double = SyncCenterDouble::new(&ids);

    assert_eq!(synchronize(&handler(&folders), &ids, &double), S_OK);

    assert_eq!(statuses(&double, &ids), [Some(Failed), Some(Succeeded)]);
    assert_eq!(events(&double).len(), 1);
    assert_eq!(names(&folders.destination), ["a.txt"]);
}

#[test]
fn names_longer_than_an_item_id_are_skipped() {
    let longest = "n".repeat(MAX_ITEM_ID_CHARS);
    let too_long = "n".repeat(MAX_ITEM_ID_CHARS + 1);
    let folders = folders(&[(&longest, b"1"), (&too_long, b"2")]);
    fs::create_dir(folders.source.join("folder")).unwrap();

    let items = FolderSync::new(&folders.source, &folders.destination)
        .items()
        .unwrap();

    assert_eq!(items.ids, std::slice::from_ref(&longest));
    assert_eq!(items.skipped.len(), 1);
    assert_eq!(items.skipped[0].name, too_long.as_str());
    assert_eq!(
        items.skipped[0].reason,
        SkipReason::TooLong {
            units: MAX_ITEM_ID_CHARS + 1
        }
    );
    let double = SyncCenterDouble::new(&[longest.as_str()]);
    assert_eq!(synchronize(&handler(&folders), &[&longest], &double), S_OK);
    assert_eq!(double.final_status(&longest), Some(Succeeded));
}

#[test]
fn get_name_and_the_other_methods_through_the_vtable() {
    let (folders, _) = three_files();
    let handler = handler(&folders);
    unsafe {
        let mut name = PWSTR::null();
        assert_eq!(
            (handler.vtable().GetName)(handler.as_raw(), &mut name),
            S_OK
        );
        assert_eq!(
            take_co_task_wide(name).unwrap(),
            "Folder sync: source → destination"
        );

        let mut capabilities: SYNCMGR_HANDLER_CAPABILITIES = -1;
        assert_eq!(
            (handler.vtable().GetCapabilities)(handler.as_raw(), &mut capabilities),
            S_OK
        );
        assert_eq!(capabilities, SYNCMGR_HCM_NONE);
        let mut policies: SYNCMGR_HANDLER_POLICIES = -1;
        assert_eq!(
            (handler.vtable().GetPolicies)(handler.as_raw(), &mut policies),
            S_OK
        );
        assert_eq!(policies, SYNCMGR_HPM_NONE);

        let mut object = std::ptr::null_mut();
        let id = GUID::from_u128(1);
        assert_eq!(
            (handler.vtable().GetObject)(handler.as_raw(), &id, &IUnknown::IID, &mut object),
            E_NOTIMPL
        );
        assert!(object.is_null());
    }
}

#[test]
fn handler_info_reports_type_state_and_last_sync_time() {
    let (folders, _) = three_files();
    let handler = handler(&folders);
    let info = unsafe { handler.GetHandlerInfo() }.unwrap();
    unsafe {
        assert_eq!(info.GetType().unwrap(), SYNCMGR_HT_FOLDER);
        assert_eq!(
            take_co_task_wide(info.GetTypeLabel().unwrap()).unwrap(),
            "Folder"
        );
        assert!(
            take_co_task_wide(info.GetComment().unwrap())
                .unwrap()
                .starts_with("Copies the files of ")
        );
        assert_eq!(info.IsActive(), S_OK);
        assert_eq!(info.IsEnabled(), S_OK);
        assert_eq!(info.IsConnected(), S_OK);
        assert_eq!(info.GetLastSyncTime().unwrap_err().code(), E_FAIL);

        assert_eq!(handler.Enable(false), S_OK);
    }
    let info: ISyncMgrHandlerInfo = unsafe { handler.GetHandlerInfo() }.unwrap();
    assert_eq!(unsafe { info.IsEnabled() }, S_FALSE);

    let double = SyncCenterDouble::new(&IDS);
    assert_eq!(synchronize(&handler, &IDS, &double), S_OK);
    let info = unsafe { handler.GetHandlerInfo() }.unwrap();
    let time: FILETIME = unsafe { info.GetLastSyncTime() }.unwrap();
    // After 2020-01-01 (132 223 104 000 000 000 intervals since 1601).
    let intervals = (u64::from(time.dwHighDateTime) << 32) | u64::from(time.dwLowDateTime);
    assert!(intervals > 132_223_104_000_000_000, "{intervals}");
}

// Deliberately buggy handlers: what the glue and `SyncSession` do about them.

/// Everything but `synchronize`, for the buggy handlers.
macro_rules! not_synchronize {
    () => {
        fn get_name(&self) -> Result<String> {
            Ok("buggy".to_string())
        }
        fn get_handler_info(&self) -> Result<ISyncMgrHandlerInfo> {
            Err(E_NOTIMPL.into())
        }
        fn get_object(
            &self,
            _: winsync::sync_center::objects::ObjectId,
        ) -> Result<Option<winsync::sync_center::objects::SyncMgrObject>> {
            Err(E_NOTIMPL.into())
        }
        fn get_capabilities(&self) -> Result<SYNCMGR_HANDLER_CAPABILITIES> {
            Ok(SYNCMGR_HCM_NONE)
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
    };
}

/// Reports UPDATING for every item, SUCCEEDED for the first, and returns.
#[derive(winsync::SyncMgrHandler)]
struct LeavesItemsOpen;

impl SyncMgrHandler for LeavesItemsOpen {
    not_synchronize!();
    fn synchronize(
        &self,
        item_ids: &[String],
        _owner: HWND,
        session_creator: &ISyncMgrSessionCreator,
        _punk: Option<&IUnknown>,
    ) -> Result<()> {
        let session = SyncSession::create(session_creator, "buggy", item_ids)?;
        for id in item_ids {
            session.report_progress(id, "working", Updating, 0, 1)?;
        }
        session.report_progress(&item_ids[0], "done", Succeeded, 1, 1)?;
        Ok(())
    }
}

#[test]
fn items_left_open_are_reported_failed_and_synchronize_fails() {
    let double = SyncCenterDouble::new(&IDS);
    let hr = synchronize(&LeavesItemsOpen.into_handler(), &IDS, &double);

    assert_eq!(hr, E_FAIL);
    assert_eq!(
        statuses(&double, &IDS),
        [Some(Succeeded), Some(Failed), Some(Failed)]
    );
    for id in ["b.txt", "c.bin"] {
        assert_eq!(
            reports(&double, id),
            [(Updating, 0, 1, S_OK), (Failed, 0, 0, S_OK)]
        );
    }
}

/// Reports SUCCEEDED for the first item, UPDATING for the second, then panics.
#[derive(winsync::SyncMgrHandler)]
struct Panics;

impl SyncMgrHandler for Panics {
    not_synchronize!();
    fn synchronize(
        &self,
        item_ids: &[String],
        _owner: HWND,
        session_creator: &ISyncMgrSessionCreator,
        _punk: Option<&IUnknown>,
    ) -> Result<()> {
        let session = SyncSession::create(session_creator, "buggy", item_ids)?;
        session.report_progress(&item_ids[0], "done", Succeeded, 1, 1)?;
        session.report_progress(&item_ids[1], "working", Updating, 0, 1)?;
        panic!("the folder went away");
    }
}

#[test]
fn a_panic_is_e_unexpected_and_the_open_items_are_reported_failed() {
    let double = SyncCenterDouble::new(&IDS);
    let hr = synchronize(&Panics.into_handler(), &IDS, &double);

    assert_eq!(hr, E_UNEXPECTED);
    assert_eq!(
        statuses(&double, &IDS),
        [Some(Succeeded), Some(Failed), Some(Failed)]
    );
    assert_eq!(reports(&double, "c.bin"), [(Failed, 0, 0, S_OK)]);
}

/// Reports SUCCEEDED for every item, then UPDATING for the first one again; keeps what
/// `SyncSession` answered to the late report.
#[derive(winsync::SyncMgrHandler, Default)]
struct ReportsAfterFinalStatus {
    late_report: Mutex<Option<HRESULT>>,
}

impl SyncMgrHandler for ReportsAfterFinalStatus {
    not_synchronize!();
    fn synchronize(
        &self,
        item_ids: &[String],
        _owner: HWND,
        session_creator: &ISyncMgrSessionCreator,
        _punk: Option<&IUnknown>,
    ) -> Result<()> {
        let session = SyncSession::create(session_creator, "buggy", item_ids)?;
        for id in item_ids {
            session.report_progress(id, "done", Succeeded, 1, 1)?;
        }
        let late = session.report_progress(&item_ids[0], "again", Updating, 0, 1);
        *self.late_report.lock().unwrap() = Some(late.map_or_else(|e| e.code(), |_| S_OK));
        Ok(())
    }
}

#[test]
fn a_report_after_a_final_status_is_refused_before_sync_center_is_called() {
    let double = SyncCenterDouble::new(&IDS);
    let object = ReportsAfterFinalStatus::default().into_object();
    let hr = synchronize(&object.to_interface(), &IDS, &double);

    assert_eq!(hr, S_OK);
    assert_eq!(
        *object.handler().late_report.lock().unwrap(),
        Some(E_ACCESSDENIED)
    );
    // The double only saw the SUCCEEDED report: the late one never reached it.
    assert_eq!(reports(&double, "a.txt"), [(Succeeded, 1, 1, S_OK)]);
    assert_eq!(statuses(&double, &IDS), [Some(Succeeded); 3]);
}

/// Commits an item it never proposed, keeps `SyncSession`'s answer, and ends every item.
#[derive(winsync::SyncMgrHandler, Default)]
struct CommitsWithoutProposing {
    commit: Mutex<Option<HRESULT>>,
}

impl SyncMgrHandler for CommitsWithoutProposing {
    not_synchronize!();
    fn synchronize(
        &self,
        item_ids: &[String],
        _owner: HWND,
        session_creator: &ISyncMgrSessionCreator,
        _punk: Option<&IUnknown>,
    ) -> Result<()> {
        let session = SyncSession::create(session_creator, "buggy", item_ids)?;
        let commit = session.commit_item("new.txt");
        *self.commit.lock().unwrap() = Some(commit.map_or_else(|e| e.code(), |()| S_OK));
        for id in item_ids {
            session.report_progress(id, "done", Succeeded, 1, 1)?;
        }
        Ok(())
    }
}

#[test]
fn commit_item_without_propose_item_is_refused_before_sync_center_is_called() {
    let double = SyncCenterDouble::new(&IDS);
    let object = CommitsWithoutProposing::default().into_object();
    let hr = synchronize(&object.to_interface(), &IDS, &double);

    assert_eq!(hr, S_OK);
    assert_eq!(*object.handler().commit.lock().unwrap(), Some(E_INVALIDARG));
    assert!(
        !double
            .transcript()
            .iter()
            .any(|call| matches!(call, Call::CommitItem { .. })),
        "{:?}",
        double.transcript()
    );
    assert!(!double.items().contains(&"new.txt".to_string()));
}
