//! The collection read from a user's configuration file, through the real vtables with Sync
//! Center's discovery path (the checking double): a handler per partnership with its name, an
//! offline item FAILED with an error event, an item changed on both sides SUCCEEDED with a
//! warning and a conflict kept once in the handler's conflict store, the conflict resolved
//! through `ISyncMgrConflict::Resolve` (a skipped choice keeps it), and a configuration that
//! cannot be used refused with the place of the mistake.
// Test helpers fail loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;

use handler::kept::versions_dir;
use handler::partnerships::{Partnership, load_from};
use handler::{ITEMS, collection_of};
use windows_core::{Interface, PCWSTR, Result, implement};
use winsync::bindings::{
    E_FAIL, E_NOTIMPL, ISyncMgrConflict, ISyncMgrConflictResolveInfo,
    ISyncMgrConflictResolveInfo_Impl, ISyncMgrConflictStore, ISyncMgrEventStore, ISyncMgrHandler,
    ISyncMgrSyncItemContainer, S_FALSE, S_OK, SYNCMGR_PC_KEEP_RECENT, SYNCMGR_PC_SKIP,
    SYNCMGR_PRESENTER_CHOICE, SYNCMGR_PRESENTER_NEXT_STEP,
};
use winsync::skeletons::{SyncmgrEventLevel, SyncmgrProgressStatus};
use winsync::sync_center::double::Call;
use winsync::sync_center::double::discovery::discover;
use winsync::sync_center::events::Event;
use winsync::sync_center::objects::ObjectId;

const CONFIG: &str = r#"
[[partnership]]
id = "example.desk"
name = "Desk"
conflicts = ["photos"]

[[partnership]]
id = "example.travel"
name = "Travel"
offline = ["notes"]
"#;

fn config(text: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file
}

fn partnerships() -> Vec<Partnership> {
    load_from(config(CONFIG).path()).unwrap()
}

/// The same partnerships under other IDs: what a partnership keeps lives in the DLL, shared by
/// every test of this process that runs it, so a test that counts conflicts has its own.
fn own_partnerships(prefix: &str) -> Vec<Partnership> {
    let text = CONFIG.replace("\"example.", &format!("\"{prefix}."));
    load_from(config(&text).path()).unwrap()
}

/// `GetObject(id, riid)` of `handler`, typed.
fn object<T: Interface>(handler: &ISyncMgrHandler, id: ObjectId) -> T {
    let mut ppv = core::ptr::null_mut();
    let code =
        unsafe { (handler.vtable().GetObject)(handler.as_raw(), &id.guid(), &T::IID, &mut ppv) };
    assert_eq!(code, S_OK, "{id:?}");
    unsafe { T::from_raw(ppv) }
}

fn conflicts(store: &ISyncMgrConflictStore) -> Vec<ISyncMgrConflict> {
    let all = unsafe { store.EnumConflicts(PCWSTR::null(), PCWSTR::null()) }.unwrap();
    let mut found = Vec::new();
    loop {
        let mut slot = [None];
        if unsafe { all.Next(1, slot.as_mut_ptr(), core::ptr::null_mut()) } != S_OK {
            break;
        }
        found.push(slot[0].take().unwrap());
    }
    assert_eq!(
        unsafe { store.GetCount(PCWSTR::null(), PCWSTR::null()) }.unwrap() as usize,
        found.len()
    );
    found
}

fn events(handler: &ISyncMgrHandler) -> Vec<Event> {
    let store: ISyncMgrEventStore = object(handler, ObjectId::EventStore);
    let all = unsafe { store.GetEventEnumerator() }.unwrap();
    let mut found = Vec::new();
    loop {
        let mut slot = [None];
        if unsafe { all.Next(1, slot.as_mut_ptr(), core::ptr::null_mut()) } != S_OK {
            break;
        }
        found.push(Event::read(slot[0].as_ref().unwrap()).unwrap());
    }
    found
}

/// A presenter's choice, as Sync Center hands it to `Resolve`.
#[implement(ISyncMgrConflictResolveInfo)]
struct Choice(SYNCMGR_PRESENTER_CHOICE);

impl ISyncMgrConflictResolveInfo_Impl for Choice_Impl {
    fn GetIterationInfo(&self, _: *mut u32, _: *mut u32, _: *mut u32) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn GetPresenterNextStep(&self) -> Result<SYNCMGR_PRESENTER_NEXT_STEP> {
        Err(E_NOTIMPL.into())
    }
    fn GetPresenterChoice(
        &self,
        choice: *mut SYNCMGR_PRESENTER_CHOICE,
        apply_to_all: *mut windows_core::BOOL,
    ) -> Result<()> {
        unsafe {
            choice.write(self.0);
            apply_to_all.write(false.into());
        }
        Ok(())
    }
    fn GetItemChoiceCount(&self) -> Result<u32> {
        Ok(0)
    }
    fn GetItemChoice(&self, _: u32) -> Result<u32> {
        Err(E_NOTIMPL.into())
    }
    fn SetPresenterNextStep(&self, _: SYNCMGR_PRESENTER_NEXT_STEP) -> Result<()> {
        Ok(())
    }
    fn SetPresenterChoice(&self, _: SYNCMGR_PRESENTER_CHOICE, _: windows_core::BOOL) -> Result<()> {
        Ok(())
    }
    fn SetItemChoices(&self, _: *mut u32, _: u32) -> Result<()> {
        Ok(())
    }
}

#[test]
fn each_partnership_is_a_handler_with_its_own_outcomes() {
    let collection = collection_of(partnerships()).unwrap().into_collection();
    let mut discovery = discover(&collection);
    discovery.synchronize();
    discovery.check().unwrap();
    assert_eq!(discovery.ids, ["example.desk", "example.travel"]);
    let names: Vec<Option<&str>> = discovery
        .handlers
        .iter()
        .map(|found| found.name.as_deref())
        .collect();
    assert_eq!(names, [Some("Desk"), Some("Travel")]);

    let [desk, travel] = &discovery.synchronized[..] else {
        panic!("{:?}", discovery.synchronized)
    };
    assert_eq!((desk.answer, travel.answer), (S_OK, S_OK));
    let status = |run: &winsync::sync_center::double::discovery::Synchronized, id| {
        run.sync_center.final_status(id).unwrap()
    };
    assert_eq!(status(desk, "notes"), SyncmgrProgressStatus::Succeeded);
    assert_eq!(status(desk, "photos"), SyncmgrProgressStatus::Succeeded);
    assert_eq!(status(travel, "notes"), SyncmgrProgressStatus::Failed);
    assert_eq!(status(travel, "photos"), SyncmgrProgressStatus::Succeeded);
    let reported = |run: &winsync::sync_center::double::discovery::Synchronized| -> Vec<(String, SyncmgrEventLevel)> {
        run.sync_center
            .transcript()
            .into_iter()
            .filter_map(|call| match call {
                Call::ReportEvent { item_id, level, .. } => Some((item_id, level)),
                _ => None,
            })
            .collect()
    };
    assert_eq!(
        reported(desk),
        [("photos".to_string(), SyncmgrEventLevel::Warning)]
    );
    assert_eq!(
        reported(travel),
        [("notes".to_string(), SyncmgrEventLevel::Error)]
    );

    // The offline item says so in its item info.
    let travel_handler = &discovery.handler("example.travel").unwrap().handler;
    let container: ISyncMgrSyncItemContainer = travel_handler.cast().unwrap();
    let connected = |id: PCWSTR| {
        let item = unsafe { container.GetSyncItem(id) }.unwrap();
        unsafe { item.GetItemInfo().unwrap().IsConnected() }
    };
    assert_eq!(connected(windows_core::w!("notes")), S_FALSE);
    assert_eq!(connected(windows_core::w!("photos")), S_OK);
    assert_eq!(ITEMS.len(), 2);
}

/// The conflict's versions through `GetItemsArray`: on Windows, this PC's and the partner's,
/// each a shell item of its file; elsewhere there is no shell, and no array (`E_NOTIMPL`).
fn check_versions(conflict: &ISyncMgrConflict) {
    let array = unsafe { conflict.GetItemsArray() };
    #[cfg(windows)]
    {
        use winsync::bindings::{CONFIRM_CONFLICT_ITEM, SYNCMGR_CIT_UPDATED};
        use winsync::com::abi::take_co_task_wide;
        use winsync::sync_center::conflicts::free_confirm_conflict_item;

        let array = array.unwrap();
        assert_eq!(unsafe { array.GetCount() }.unwrap(), 2);
        for (index, place) in [(0, "This PC"), (1, "Desk")] {
            let mut info = CONFIRM_CONFLICT_ITEM::default();
            unsafe { array.GetItem(index, &mut info) }.ok().unwrap();
            assert!(info.pShellItem.is_some());
            assert_eq!(info.nType, SYNCMGR_CIT_UPDATED);
            let text = |p: &mut windows_core::PWSTR| {
                let taken = unsafe { take_co_task_wide(*p) }.unwrap();
                *p = windows_core::PWSTR::null();
                taken
            };
            assert_eq!(text(&mut info.pszOriginalName), "photos.txt");
            assert_eq!(
                text(&mut info.pszAlternateName),
                format!("photos ({place}).txt")
            );
            assert_eq!(text(&mut info.pszLocationShort), place);
            unsafe { free_confirm_conflict_item(&mut info) };
        }
    }
    #[cfg(not(windows))]
    assert_eq!(array.unwrap_err().code(), E_NOTIMPL);
}

#[test]
fn a_conflict_is_kept_once_and_leaves_when_resolved() {
    let collection = collection_of(own_partnerships("kept"))
        .unwrap()
        .into_collection();
    let mut discovery = discover(&collection);
    // Two synchronizations: the item changed on both sides is one conflict, not two.
    discovery.synchronize();
    discovery.synchronize();
    discovery.check().unwrap();
    let desk = &discovery.handler("kept.desk").unwrap().handler;
    let store: ISyncMgrConflictStore = object(desk, ObjectId::ConflictStore);
    let [conflict] = &conflicts(&store)[..] else {
        panic!("one conflict expected")
    };
    let travel = &discovery.handler("kept.travel").unwrap().handler;
    let travel_store: ISyncMgrConflictStore = object(travel, ObjectId::ConflictStore);
    assert!(
        conflicts(&travel_store).is_empty(),
        "each partnership its own store"
    );

    // Its two versions, written as files for Sync Center's conflict presenter.
    let versions = versions_dir("kept.desk", "photos");
    for (dir, text) in [("here", "this PC"), ("partner", "Desk")] {
        let written = std::fs::read_to_string(versions.join(dir).join("photos.txt")).unwrap();
        assert!(written.contains(text), "{written}");
    }
    check_versions(conflict);

    let skip: ISyncMgrConflictResolveInfo = Choice(SYNCMGR_PC_SKIP).into();
    unsafe { conflict.Resolve(&skip) }.unwrap();
    assert_eq!(conflicts(&store).len(), 1, "a skipped conflict stays");
    let keep: ISyncMgrConflictResolveInfo = Choice(SYNCMGR_PC_KEEP_RECENT).into();
    unsafe { conflict.Resolve(&keep) }.unwrap();
    assert!(conflicts(&store).is_empty());
    assert!(!versions.exists(), "the version files go with the conflict");
    let history = events(desk);
    // The handler's own store is a history: warnings and errors went to Sync Center.
    assert!(
        history
            .iter()
            .all(|event| event.level == SyncmgrEventLevel::Information),
        "{history:?}"
    );
    let names: Vec<(String, String)> = history
        .into_iter()
        .map(|event| (event.item_id, event.name))
        .collect();
    assert!(
        names.contains(&("photos".to_string(), "Conflict resolved".to_string())),
        "{names:?}"
    );
    assert!(
        names.contains(&("notes".to_string(), "Synchronized".to_string())),
        "{names:?}"
    );
    assert!(
        names.contains(&(
            "photos".to_string(),
            "Synchronized, conflict kept".to_string()
        )),
        "{names:?}"
    );
}

#[test]
fn a_configuration_that_cannot_be_used_is_refused() {
    for (text, at) in [
        ("[[partnership]]\nid = \"a\"\n", ":1:1"),
        (
            "[[partnership]]\nid = \"a\"\nname = \"A\"\nconflicts = [\"music\"]\n",
            ":4:14",
        ),
    ] {
        let file = config(text);
        let error = load_from(file.path()).unwrap_err();
        assert_eq!(error.code(), E_FAIL);
        // Off Windows, windows-core keeps no message with an error (it travels as IErrorInfo).
        if cfg!(windows) {
            let message = error.message();
            assert!(
                message.contains(&format!("{}{at}", file.path().display())),
                "{message}"
            );
        }
    }
    let twice =
        "[[partnership]]\nid = \"a\"\nname = \"A\"\n\n[[partnership]]\nid = \"a\"\nname = \"B\"\n";
    let error = collection_of(load_from(config(twice).path()).unwrap()).unwrap_err();
    assert_eq!(error.code(), winsync::bindings::E_INVALIDARG);
}
