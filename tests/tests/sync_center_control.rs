//! `winsync::sync_center::control::SyncCenterControl` through the real vtable of an
//! `ISyncMgrControl` (a recording stand-in for Sync Center's `CLSID_SyncMgrControl`, which
//! only Windows has): each method passes its arguments and flags as the pages say, unusable
//! ids and empty item lists are refused before Sync Center is called, and Sync Center's
//! answer is the result.
// Test helpers fail loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used, non_snake_case)]

use std::sync::Mutex;

use windows_core::{BOOL, Error, GUID, HRESULT, IUnknown, PCWSTR, Ref, Result, implement};
use winsync::bindings::{
    E_ACCESSDENIED, E_INVALIDARG, E_NOTIMPL, HWND, ISyncMgrConflict, ISyncMgrControl,
    ISyncMgrControl_Impl, ISyncMgrSyncResult, SYNCMGR_CF_NOWAIT, SYNCMGR_CF_WAIT,
    SYNCMGR_CONTROL_FLAGS, SYNCMGR_SCF_IGNORE_IF_ALREADY_SYNCING, SYNCMGR_SCF_NONE,
    SYNCMGR_SYNC_CONTROL_FLAGS, SYNCMGR_UPDATE_REASON,
};
use winsync::com::abi::{read_wide, read_wide_array};
use winsync::sync_center::control::{AlreadySyncing, Completion, StartOptions, SyncCenterControl};

/// A call the stand-in received.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    UpdateHandlerCollection(GUID, SYNCMGR_CONTROL_FLAGS),
    UpdateHandler(String, SYNCMGR_CONTROL_FLAGS),
    UpdateItem(String, String, SYNCMGR_CONTROL_FLAGS),
    UpdateEvents(String, Option<String>, SYNCMGR_CONTROL_FLAGS),
    UpdateConflicts(String, Option<String>, SYNCMGR_CONTROL_FLAGS),
    StartHandlerSync {
        id: String,
        owner: isize,
        punk: bool,
        flags: SYNCMGR_SYNC_CONTROL_FLAGS,
        result: bool,
    },
    StartItemSync(String, Vec<String>, SYNCMGR_SYNC_CONTROL_FLAGS),
    StopHandlerSync(String),
    StopItemSync(String, Vec<String>),
    StartSyncAll(isize),
    StopSyncAll,
}

/// Sync Center's control object, recording each call and answering `answer`.
#[implement(ISyncMgrControl)]
struct StandIn {
    seen: Mutex<Vec<Seen>>,
    answer: HRESULT,
}

impl StandIn {
    fn record(&self, seen: Seen) -> Result<()> {
        self.seen.lock().unwrap().push(seen);
        self.answer.ok()
    }
}

fn text(text: &PCWSTR) -> String {
    unsafe { read_wide(*text, 1000) }.unwrap()
}

fn optional_text(text: &PCWSTR) -> Option<String> {
    (!text.is_null()).then(|| unsafe { read_wide(*text, 1000) }.unwrap())
}

fn texts(array: *const PCWSTR, count: u32) -> Vec<String> {
    unsafe { read_wide_array(array, count, 1000) }.unwrap()
}

impl ISyncMgrControl_Impl for StandIn_Impl {
    fn StartHandlerSync(
        &self,
        id: &PCWSTR,
        owner: HWND,
        punk: Ref<IUnknown>,
        flags: SYNCMGR_SYNC_CONTROL_FLAGS,
        result: Ref<ISyncMgrSyncResult>,
    ) -> Result<()> {
        self.record(Seen::StartHandlerSync {
            id: text(id),
            owner: owner.0 as isize,
            punk: punk.is_some(),
            flags,
            result: result.is_some(),
        })
    }
    fn StartItemSync(
        &self,
        id: &PCWSTR,
        items: *const PCWSTR,
        count: u32,
        _: HWND,
        _: Ref<IUnknown>,
        flags: SYNCMGR_SYNC_CONTROL_FLAGS,
        _: Ref<ISyncMgrSyncResult>,
    ) -> Result<()> {
        self.record(Seen::StartItemSync(text(id), texts(items, count), flags))
    }
    fn StartSyncAll(&self, owner: HWND) -> Result<()> {
        self.record(Seen::StartSyncAll(owner.0 as isize))
    }
    fn StopHandlerSync(&self, id: &PCWSTR) -> Result<()> {
        self.record(Seen::StopHandlerSync(text(id)))
    }
    fn StopItemSync(&self, id: &PCWSTR, items: *const PCWSTR, count: u32) -> Result<()> {
        self.record(Seen::StopItemSync(text(id), texts(items, count)))
    }
    fn StopSyncAll(&self) -> Result<()> {
        self.record(Seen::StopSyncAll)
    }
    fn UpdateHandlerCollection(
        &self,
        clsid: *const GUID,
        flags: SYNCMGR_CONTROL_FLAGS,
    ) -> Result<()> {
        self.record(Seen::UpdateHandlerCollection(unsafe { *clsid }, flags))
    }
    fn UpdateHandler(&self, id: &PCWSTR, flags: SYNCMGR_CONTROL_FLAGS) -> Result<()> {
        self.record(Seen::UpdateHandler(text(id), flags))
    }
    fn UpdateItem(&self, id: &PCWSTR, item: &PCWSTR, flags: SYNCMGR_CONTROL_FLAGS) -> Result<()> {
        self.record(Seen::UpdateItem(text(id), text(item), flags))
    }
    fn UpdateEvents(&self, id: &PCWSTR, item: &PCWSTR, flags: SYNCMGR_CONTROL_FLAGS) -> Result<()> {
        self.record(Seen::UpdateEvents(text(id), optional_text(item), flags))
    }
    fn UpdateConflict(
        &self,
        _: &PCWSTR,
        _: &PCWSTR,
        _: Ref<ISyncMgrConflict>,
        _: SYNCMGR_UPDATE_REASON,
    ) -> Result<()> {
        Err(Error::from_hresult(E_NOTIMPL))
    }
    fn UpdateConflicts(
        &self,
        id: &PCWSTR,
        item: &PCWSTR,
        flags: SYNCMGR_CONTROL_FLAGS,
    ) -> Result<()> {
        self.record(Seen::UpdateConflicts(text(id), optional_text(item), flags))
    }
    fn ActivateHandler(
        &self,
        _: BOOL,
        _: &PCWSTR,
        _: HWND,
        _: SYNCMGR_CONTROL_FLAGS,
    ) -> Result<()> {
        Err(Error::from_hresult(E_NOTIMPL))
    }
    fn EnableHandler(&self, _: BOOL, _: &PCWSTR, _: HWND, _: SYNCMGR_CONTROL_FLAGS) -> Result<()> {
        Err(Error::from_hresult(E_NOTIMPL))
    }
    fn EnableItem(
        &self,
        _: BOOL,
        _: &PCWSTR,
        _: &PCWSTR,
        _: HWND,
        _: SYNCMGR_CONTROL_FLAGS,
    ) -> Result<()> {
        Err(Error::from_hresult(E_NOTIMPL))
    }
}

/// The wrapper over a new stand-in answering `answer`, and the stand-in.
fn control(answer: HRESULT) -> (SyncCenterControl, windows_core::ComObject<StandIn>) {
    let stand_in = windows_core::ComObject::new(StandIn {
        seen: Mutex::new(Vec::new()),
        answer,
    });
    let control: ISyncMgrControl = stand_in.to_interface();
    (control.into(), stand_in)
}

fn seen(stand_in: &StandIn) -> Vec<Seen> {
    std::mem::take(&mut *stand_in.seen.lock().unwrap())
}

const COLLECTION: GUID = GUID::from_u128(0x29670321_0ba3_4dc5_b4c7_0f7fdb1ea68c);

#[test]
fn update_handler_collection_names_the_collection_and_the_completion() {
    let (control, stand_in) = control(HRESULT(0));
    control
        .update_handler_collection(&COLLECTION, Completion::Queue)
        .unwrap();
    control
        .update_handler_collection(&COLLECTION, Completion::Wait)
        .unwrap();
    control
        .update_handler("partner-1", Completion::Wait)
        .unwrap();
    assert_eq!(
        seen(&stand_in),
        [
            Seen::UpdateHandlerCollection(COLLECTION, SYNCMGR_CF_NOWAIT),
            Seen::UpdateHandlerCollection(COLLECTION, SYNCMGR_CF_WAIT),
            Seen::UpdateHandler("partner-1".into(), SYNCMGR_CF_WAIT),
        ]
    );
}

#[test]
fn start_and_stop_pass_the_ids_and_the_options() {
    let (control, stand_in) = control(HRESULT(0));
    control
        .start_handler_sync("partner-1", &StartOptions::default())
        .unwrap();
    let punk: IUnknown = windows_core::ComObject::new(StandIn {
        seen: Mutex::new(Vec::new()),
        answer: HRESULT(0),
    })
    .to_interface();
    let options = StartOptions {
        owner: HWND(7 as *mut core::ffi::c_void),
        punk: Some(&punk),
        already_syncing: AlreadySyncing::Ignore,
        result: None,
    };
    control.start_handler_sync("partner-1", &options).unwrap();
    control
        .start_item_sync("partner-1", &["music", "photos"], &StartOptions::default())
        .unwrap();
    control.stop_item_sync("partner-1", &["music"]).unwrap();
    control.stop_handler_sync("partner-1").unwrap();
    control.start_sync_all(HWND::default()).unwrap();
    control.stop_sync_all().unwrap();
    assert_eq!(
        seen(&stand_in),
        [
            Seen::StartHandlerSync {
                id: "partner-1".into(),
                owner: 0,
                punk: false,
                flags: SYNCMGR_SCF_NONE,
                result: false
            },
            Seen::StartHandlerSync {
                id: "partner-1".into(),
                owner: 7,
                punk: true,
                flags: SYNCMGR_SCF_IGNORE_IF_ALREADY_SYNCING,
                result: false
            },
            Seen::StartItemSync(
                "partner-1".into(),
                vec!["music".into(), "photos".into()],
                SYNCMGR_SCF_NONE
            ),
            Seen::StopItemSync("partner-1".into(), vec!["music".into()]),
            Seen::StopHandlerSync("partner-1".into()),
            Seen::StartSyncAll(0),
            Seen::StopSyncAll,
        ]
    );
}

#[test]
fn unusable_ids_and_empty_item_lists_never_reach_sync_center() {
    let (control, stand_in) = control(HRESULT(0));
    let long = "x".repeat(64);
    let none: [&str; 0] = [];
    let (handler, item, no_items) = (
        "control.handler-id.length",
        "control.item-id.length",
        "control.item-ids.not-empty",
    );
    let refused = [
        (
            control.start_handler_sync("", &StartOptions::default()),
            handler,
        ),
        (
            control.start_handler_sync(&long, &StartOptions::default()),
            handler,
        ),
        (
            control.start_handler_sync("a\0b", &StartOptions::default()),
            handler,
        ),
        (control.stop_handler_sync(&long), handler),
        (control.update_handler("", Completion::Queue), handler),
        (
            control.start_item_sync("partner-1", &none, &StartOptions::default()),
            no_items,
        ),
        (
            control.start_item_sync("partner-1", &[long.as_str()], &StartOptions::default()),
            item,
        ),
        (
            control.start_item_sync(&long, &["music"], &StartOptions::default()),
            handler,
        ),
        (control.stop_item_sync("partner-1", &none), no_items),
        (control.stop_item_sync("partner-1", &[""]), item),
        (
            control.update_item("partner-1", &long, Completion::Queue),
            item,
        ),
        (
            control.update_conflicts(&long, None, Completion::Queue),
            handler,
        ),
    ];
    for (index, (result, rule)) in refused.into_iter().enumerate() {
        let error = result.unwrap_err();
        assert_eq!(error.code(), E_INVALIDARG, "call {index}");
        // Off Windows, windows-core keeps no message with an error (it travels as IErrorInfo).
        if cfg!(windows) {
            assert!(error.message().contains(rule), "call {index}: {error}");
        }
    }
    assert!(seen(&stand_in).is_empty());

    let longest = "y".repeat(63);
    control.stop_handler_sync(&longest).unwrap();
    assert_eq!(seen(&stand_in), [Seen::StopHandlerSync(longest)]);
}

#[test]
fn sync_centers_answer_is_the_result() {
    let (control, stand_in) = control(E_ACCESSDENIED);
    let error = control.stop_handler_sync("partner-1").unwrap_err();
    assert_eq!(error.code(), E_ACCESSDENIED);
    let error = control
        .update_handler_collection(&COLLECTION, Completion::Queue)
        .unwrap_err();
    assert_eq!(error.code(), E_ACCESSDENIED);
    assert_eq!(seen(&stand_in).len(), 2);
    assert_eq!(control.interface().clone(), control.interface().clone());
}

#[test]
fn updates_of_items_events_and_conflicts_name_the_handler_and_the_item_or_null() {
    let (ctl, stand_in) = control(HRESULT(0));
    ctl.update_item("partner-1", "photos", Completion::Queue)
        .unwrap();
    ctl.update_events("partner-1", Some("photos"), Completion::Wait)
        .unwrap();
    ctl.update_events("partner-1", None, Completion::Queue)
        .unwrap();
    ctl.update_conflicts("partner-1", Some("photos"), Completion::Queue)
        .unwrap();
    ctl.update_conflicts("partner-1", None, Completion::Wait)
        .unwrap();
    assert_eq!(
        seen(&stand_in),
        [
            Seen::UpdateItem("partner-1".into(), "photos".into(), SYNCMGR_CF_NOWAIT),
            Seen::UpdateEvents("partner-1".into(), Some("photos".into()), SYNCMGR_CF_WAIT),
            Seen::UpdateEvents("partner-1".into(), None, SYNCMGR_CF_NOWAIT),
            Seen::UpdateConflicts("partner-1".into(), Some("photos".into()), SYNCMGR_CF_NOWAIT),
            Seen::UpdateConflicts("partner-1".into(), None, SYNCMGR_CF_WAIT),
        ]
    );
    // Unusable ids are refused before Sync Center hears of them.
    for refused in [
        ctl.update_events("", None, Completion::Queue),
        ctl.update_conflicts("partner-1", Some(""), Completion::Queue),
        ctl.update_item("partner-1", &"x".repeat(200), Completion::Queue),
    ] {
        assert_eq!(refused.unwrap_err().code(), E_INVALIDARG);
    }
    assert!(seen(&stand_in).is_empty());
    // Sync Center's answer is the result.
    let (ctl, _) = control(E_ACCESSDENIED);
    assert_eq!(
        ctl.update_events("partner-1", None, Completion::Queue)
            .unwrap_err()
            .code(),
        E_ACCESSDENIED
    );
}
