//! Typed `GetObject` (`winsync::sync_center::objects`) and the UI operations of
//! `winsync::sync_center::ui`, through the real `ISyncMgrHandler`, `ISyncMgrSyncItem`,
//! `ISyncMgrUIOperation` and `ISyncMgrEventLinkUIOperation` vtables: the object ids, the typed
//! answer per id, `riid`, `ppv` NULL after every failure, S_FALSE kept by `Run`, the event
//! link's checks, the schedule wizard's initialization, and no panic crossing COM.
// Test helpers fail loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use windows_core::{GUID, HRESULT, IUnknown, Interface, Result};
use winsync::DerivedHandler;
use winsync::bindings::{
    E_INVALIDARG, E_NOINTERFACE, E_NOTIMPL, E_POINTER, E_UNEXPECTED, FILETIME, HWND,
    ISyncMgrEventLinkUIOperation, ISyncMgrEventStore, ISyncMgrHandler,
    ISyncMgrScheduleWizardUIOperation, ISyncMgrScheduleWizardUIOperation_Impl,
    ISyncMgrSessionCreator, ISyncMgrSyncItem, ISyncMgrSyncItemInfo, ISyncMgrUIOperation,
    ISyncMgrUIOperation_Impl, S_FALSE, S_OK, SYNCMGR_ITEM_CAPABILITIES, SYNCMGR_ITEM_POLICIES,
    SYNCMGR_OBJECTID_BrowseContent, SYNCMGR_OBJECTID_EventLinkClick,
    SYNCMGR_OBJECTID_QueryBeforeActivate, SYNCMGR_OBJECTID_QueryBeforeDelete,
    SYNCMGR_OBJECTID_ShowSchedule,
};
use winsync::skeletons::{SyncMgrHandler, SyncMgrSyncItem, SyncmgrEventLevel};
use winsync::sync_center::events::Event;
use winsync::sync_center::items::SyncItems;
use winsync::sync_center::objects::{ObjectId, ObjectKind, SyncMgrObject};
use winsync::sync_center::ui::{OnLink, RunUi, event_link, init_schedule_wizard, ui_operation};

/// A `get_object` answer.
type Answer = fn(ObjectId) -> Result<Option<SyncMgrObject>>;

/// What a test handler or item answers for each id; counts the calls that reached it.
#[derive(Default)]
struct Answers {
    calls: AtomicUsize,
    /// `None`: `Ok(None)`.
    answer: Option<Answer>,
}

impl Answers {
    fn get(&self, id: ObjectId) -> Result<Option<SyncMgrObject>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.answer.map_or(Ok(None), |answer| answer(id))
    }
}

#[derive(winsync::SyncMgrHandler)]
struct Handler(Answers);

impl SyncMgrHandler for Handler {
    fn get_name(&self) -> Result<String> {
        Ok("objects".into())
    }
    fn get_object(&self, object_id: ObjectId) -> Result<Option<SyncMgrObject>> {
        self.0.get(object_id)
    }
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

struct Item(Answers);

impl SyncMgrSyncItem for Item {
    fn get_item_id(&self) -> Result<String> {
        Ok("item".into())
    }
    fn get_name(&self) -> Result<String> {
        Ok("Item".into())
    }
    fn get_item_info(&self) -> Result<ISyncMgrSyncItemInfo> {
        Err(E_NOTIMPL.into())
    }
    fn get_object(&self, object_id: ObjectId) -> Result<Option<SyncMgrObject>> {
        self.0.get(object_id)
    }
    fn get_capabilities(&self) -> Result<SYNCMGR_ITEM_CAPABILITIES> {
        Ok(0)
    }
    fn get_policies(&self) -> Result<SYNCMGR_ITEM_POLICIES> {
        Ok(0)
    }
    fn enable(&self, _: bool) -> Result<()> {
        Ok(())
    }
    fn delete(&self) -> Result<()> {
        Ok(())
    }
}

/// A UI operation that goes ahead (S_OK).
fn go_ahead(_: ObjectId) -> Result<Option<SyncMgrObject>> {
    Ok(Some(ui_operation(RunUi(|_| Ok(true))).into()))
}

/// An event-link operation, whatever the id.
fn a_link(_: ObjectId) -> Result<Option<SyncMgrObject>> {
    Ok(Some(event_link(OnLink::new(|_, _| Ok(true))).into()))
}

fn panics(_: ObjectId) -> Result<Option<SyncMgrObject>> {
    panic!("a bug in the handler's get_object")
}

/// A non-NULL value the out-pointer holds before the call.
fn sentinel() -> *mut core::ffi::c_void {
    std::ptr::NonNull::<u8>::dangling().as_ptr().cast()
}

/// `GetObject` through the handler's vtable; the out-pointer starts non-NULL.
fn handler_get(handler: &ISyncMgrHandler, id: &GUID, riid: &GUID) -> (HRESULT, Option<IUnknown>) {
    let mut ppv = sentinel();
    let code = unsafe { (handler.vtable().GetObject)(handler.as_raw(), id, riid, &mut ppv) };
    (
        code,
        unsafe { IUnknown::from_raw_borrowed(&ppv) }
            .cloned()
            .filter(|_| !ppv.is_null())
            .inspect(|_| unsafe {
                // The call's reference: released once the clone holds its own.
                drop(IUnknown::from_raw(ppv));
            }),
    )
}

fn item_get(item: &ISyncMgrSyncItem, id: &GUID, riid: &GUID) -> (HRESULT, *mut core::ffi::c_void) {
    let mut ppv = sentinel();
    let code = unsafe { (item.vtable().GetObject)(item.as_raw(), id, riid, &mut ppv) };
    if !ppv.is_null() && code.is_ok() {
        drop(unsafe { IUnknown::from_raw(ppv) });
    }
    (code, ppv)
}

fn handler(answer: Option<Answer>) -> (ISyncMgrHandler, impl Fn() -> usize) {
    let object = Handler(Answers {
        calls: AtomicUsize::new(0),
        answer,
    })
    .into_object();
    let interface: ISyncMgrHandler = object.to_interface();
    (interface, move || {
        object.handler().0.calls.load(Ordering::SeqCst)
    })
}

/// Every id converts to its GUID and back; an unknown GUID is E_NOTIMPL; the handler's and the
/// item's ids are those their pages list; each id names its kind of object.
#[test]
fn object_ids_are_the_documented_guids() {
    for id in ObjectId::ALL {
        assert_eq!(ObjectId::try_from(&id.guid()).unwrap(), id);
    }
    let unknown = ObjectId::try_from(&GUID::from_u128(7)).unwrap_err();
    assert_eq!(unknown.code(), E_NOTIMPL);
    let handler: Vec<ObjectId> = ObjectId::ALL
        .into_iter()
        .filter(|id| id.for_handler())
        .collect();
    assert_eq!(handler.len(), 10);
    assert!(!ObjectId::QueryBeforeDelete.for_handler());
    let item: Vec<ObjectId> = ObjectId::ALL
        .into_iter()
        .filter(|id| id.for_item())
        .collect();
    assert_eq!(
        item,
        [
            ObjectId::Icon,
            ObjectId::EventStore,
            ObjectId::ConflictStore,
            ObjectId::BrowseContent,
            ObjectId::QueryBeforeEnable,
            ObjectId::QueryBeforeDisable,
            ObjectId::QueryBeforeDelete,
        ]
    );
    assert_eq!(ObjectId::EventLinkClick.kind(), ObjectKind::EventLink);
    assert_eq!(ObjectId::ShowSchedule.kind(), ObjectKind::UiOperation);
    assert_eq!(ObjectId::EventStore.kind(), ObjectKind::EventStore);
}

/// The typed answer reaches Sync Center as the interface it asked for (`riid`), for every id
/// that expects a UI operation, and `Run`'s `false` is S_FALSE on the wire
/// (`handler.get-object.riid`, `ui-operation.run.declined`).
#[test]
fn a_handler_hands_out_ui_operations_by_id() {
    let (handler, calls) = handler(Some(go_ahead));
    for id in ObjectId::ALL
        .into_iter()
        .filter(|id| id.for_handler() && id.kind() == ObjectKind::UiOperation)
    {
        let (code, object) = handler_get(&handler, &id.guid(), &ISyncMgrUIOperation::IID);
        assert_eq!(code, S_OK, "{id:?}");
        let operation: ISyncMgrUIOperation = object.unwrap().cast().unwrap();
        assert_eq!(unsafe { operation.Run(HWND::default()) }, S_OK);
    }
    assert_eq!(calls(), 6);

    fn declines(_: ObjectId) -> Result<Option<SyncMgrObject>> {
        Ok(Some(ui_operation(RunUi(|_| Ok(false))).into()))
    }
    let (handler, _) = self::handler(Some(declines));
    let (code, object) = handler_get(
        &handler,
        &SYNCMGR_OBJECTID_QueryBeforeActivate,
        &IUnknown::IID,
    );
    assert_eq!(code, S_OK);
    let operation: ISyncMgrUIOperation = object.unwrap().cast().unwrap();
    assert_eq!(
        unsafe { operation.Run(HWND::default()) },
        S_FALSE,
        "S_FALSE kept"
    );
}

/// `None` is E_NOTIMPL; an unknown GUID and an item's id are E_NOTIMPL without calling the
/// handler; an object of the wrong kind is E_UNEXPECTED; an interface the object lacks is
/// E_NOINTERFACE; a NULL `ppv` is E_POINTER; a panic is E_UNEXPECTED: `ppv` NULL after each
/// (`handler.get-object.unsupported`, `.unknown-id`, `.handler-ids`, `.object-interface`,
/// `.riid`).
#[test]
fn a_handler_get_object_fails_with_ppv_null() {
    let (handler, calls) = handler(None);
    assert_eq!(
        handler_get(&handler, &SYNCMGR_OBJECTID_BrowseContent, &IUnknown::IID),
        (E_NOTIMPL, None)
    );
    assert_eq!(calls(), 1);
    assert_eq!(
        handler_get(&handler, &GUID::from_u128(7), &IUnknown::IID),
        (E_NOTIMPL, None)
    );
    assert_eq!(
        handler_get(
            &handler,
            &SYNCMGR_OBJECTID_QueryBeforeDelete,
            &IUnknown::IID
        ),
        (E_NOTIMPL, None)
    );
    assert_eq!(calls(), 1, "neither reached the handler");

    // An event link is no plain UI operation for BrowseContent, although it implements
    // ISyncMgrUIOperation too: the kind is checked.
    let (handler, _) = self::handler(Some(a_link));
    assert_eq!(
        handler_get(
            &handler,
            &SYNCMGR_OBJECTID_BrowseContent,
            &ISyncMgrUIOperation::IID
        ),
        (E_UNEXPECTED, None)
    );
    let (code, object) = handler_get(
        &handler,
        &SYNCMGR_OBJECTID_EventLinkClick,
        &ISyncMgrEventLinkUIOperation::IID,
    );
    assert_eq!(code, S_OK);
    assert!(object.is_some());

    let (handler, _) = self::handler(Some(go_ahead));
    assert_eq!(
        handler_get(
            &handler,
            &SYNCMGR_OBJECTID_ShowSchedule,
            &ISyncMgrEventStore::IID
        ),
        (E_NOINTERFACE, None)
    );
    let code = unsafe {
        (handler.vtable().GetObject)(
            handler.as_raw(),
            &SYNCMGR_OBJECTID_ShowSchedule,
            &IUnknown::IID,
            std::ptr::null_mut(),
        )
    };
    assert_eq!(code, E_POINTER);

    let (handler, _) = self::handler(Some(panics));
    assert_eq!(
        handler_get(&handler, &SYNCMGR_OBJECTID_BrowseContent, &IUnknown::IID),
        (E_UNEXPECTED, None)
    );
}

/// An item's `GetObject`: ids its page does not list (a handler's, or an unknown GUID) and
/// `None` are E_INVALIDARG, the first two without calling the item; its own ids work
/// (`handler.sync-item.get-object.item-ids`, `.unsupported`, `.object-interface`).
#[test]
fn an_item_get_object_answers_e_invalidarg_for_what_it_lacks() {
    static CALLS: Mutex<usize> = Mutex::new(0);
    fn counted(id: ObjectId) -> Result<Option<SyncMgrObject>> {
        *CALLS.lock().unwrap() += 1;
        match id {
            ObjectId::QueryBeforeDelete => go_ahead(id),
            ObjectId::BrowseContent => a_link(id),
            _ => Ok(None),
        }
    }
    let items = SyncItems::new([Item(Answers {
        calls: AtomicUsize::new(0),
        answer: Some(counted),
    })])
    .unwrap();
    let item = items.get("item").unwrap();
    for id in [
        SYNCMGR_OBJECTID_QueryBeforeActivate,
        SYNCMGR_OBJECTID_ShowSchedule,
        SYNCMGR_OBJECTID_EventLinkClick,
        GUID::from_u128(9),
    ] {
        assert_eq!(
            item_get(&item, &id, &IUnknown::IID),
            (E_INVALIDARG, std::ptr::null_mut())
        );
    }
    assert_eq!(*CALLS.lock().unwrap(), 0, "the item was not asked");
    assert_eq!(
        item_get(&item, &ObjectId::Icon.guid(), &IUnknown::IID),
        (E_INVALIDARG, std::ptr::null_mut())
    );
    assert_eq!(
        item_get(&item, &SYNCMGR_OBJECTID_BrowseContent, &IUnknown::IID),
        (E_UNEXPECTED, std::ptr::null_mut())
    );
    let (code, ppv) = item_get(
        &item,
        &SYNCMGR_OBJECTID_QueryBeforeDelete,
        &ISyncMgrUIOperation::IID,
    );
    assert_eq!(code, S_OK);
    assert!(!ppv.is_null());
    assert_eq!(*CALLS.lock().unwrap(), 3);
}

fn event(id: u128) -> Event {
    Event {
        id: GUID::from_u128(id),
        handler_id: "handler".into(),
        item_id: "item".into(),
        level: SyncmgrEventLevel::Warning,
        flags: 0,
        time: FILETIME::default(),
        name: "Disk almost full".into(),
        description: "Free some space".into(),
        link_text: "Open".into(),
        link_reference: "settings:storage".into(),
        context: String::new(),
    }
}

/// The event link: `Run` before `Init` is E_UNEXPECTED without running the action; `Init`
/// with an ID other than the event's is E_INVALIDARG; after a good `Init`, `Run` hands the
/// action the event, and its `false` is S_FALSE (`ui-operation.event-link.run-after-init`,
/// `ui-operation.event-link.event-id`).
#[test]
fn an_event_link_runs_on_the_event_it_was_given() {
    static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let link = event_link(OnLink::new(|_, event: &Event| {
        SEEN.lock().unwrap().push(event.link_reference.clone());
        Ok(false)
    }));
    let operation: ISyncMgrUIOperation = link.cast().unwrap();
    unsafe {
        assert_eq!(operation.Run(HWND::default()), E_UNEXPECTED);
        let com = event(5).into_com();
        assert_eq!(link.Init(&GUID::from_u128(6), &com), E_INVALIDARG);
        assert_eq!(operation.Run(HWND::default()), E_UNEXPECTED);
        assert!(SEEN.lock().unwrap().is_empty());
        assert_eq!(link.Init(&GUID::from_u128(5), &com), S_OK);
        assert_eq!(operation.Run(HWND::default()), S_FALSE);
    }
    assert_eq!(*SEEN.lock().unwrap(), ["settings:storage"]);
}

/// The checks of `event_link` hold for any operation, also one that would run without an
/// event: `Run` before `Init` never reaches it.
#[test]
fn event_link_checks_wrap_any_operation() {
    use winsync::skeletons::{SyncMgrEventLinkUIOperation, SyncMgrUIOperation};
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    struct Careless;
    impl SyncMgrUIOperation for Careless {
        fn run(&self, _: HWND) -> Result<bool> {
            RUNS.fetch_add(1, Ordering::SeqCst);
            Ok(true)
        }
    }
    impl SyncMgrEventLinkUIOperation for Careless {
        fn init(&self, _: &GUID, _: &winsync::bindings::ISyncMgrEvent) -> Result<()> {
            Ok(())
        }
    }
    let link = event_link(Careless);
    unsafe {
        assert_eq!(link.Run(HWND::default()), E_UNEXPECTED);
        assert_eq!(RUNS.load(Ordering::SeqCst), 0);
        assert_eq!(
            link.Init(&GUID::from_u128(1), &event(2).into_com()),
            E_INVALIDARG
        );
        assert_eq!(link.Run(HWND::default()), E_UNEXPECTED);
        assert_eq!(link.Init(&GUID::from_u128(2), &event(2).into_com()), S_OK);
        assert_eq!(link.Run(HWND::default()), S_OK);
    }
    assert_eq!(RUNS.load(Ordering::SeqCst), 1);
}

/// A panic in a UI operation is E_UNEXPECTED, not an unwind across COM.
#[test]
fn a_panicking_ui_operation_is_e_unexpected() {
    let operation = ui_operation(RunUi(|_| -> Result<bool> { panic!("a bug in the dialog") }));
    assert_eq!(unsafe { operation.Run(HWND::default()) }, E_UNEXPECTED);
}

/// `Event::read` reads every property back through the vtable.
#[test]
fn an_event_reads_back_through_its_vtable() {
    let com = event(11).into_com();
    assert_eq!(Event::read(&com).unwrap(), event(11));
}

/// A stand-in for Sync Center's schedule wizard: records the handler IDs `InitWizard` was
/// given and answers `Run` with S_OK once initialized, E_UNEXPECTED before.
#[windows_core::implement(ISyncMgrScheduleWizardUIOperation, ISyncMgrUIOperation)]
#[derive(Default)]
struct Wizard {
    initialized: Mutex<Vec<String>>,
    /// `InitWizard`'s answer.
    fails: bool,
}

impl ISyncMgrScheduleWizardUIOperation_Impl for Wizard_Impl {
    fn InitWizard(&self, handler_id: &windows_core::PCWSTR) -> Result<()> {
        if self.fails {
            return Err(E_UNEXPECTED.into());
        }
        let id = unsafe { winsync::com::abi::read_wide(*handler_id, 1024) }.unwrap();
        self.initialized.lock().unwrap().push(id);
        Ok(())
    }
}

impl ISyncMgrUIOperation_Impl for Wizard_Impl {
    fn Run(&self, _: HWND) -> HRESULT {
        if self.initialized.lock().unwrap().is_empty() {
            E_UNEXPECTED
        } else {
            S_OK
        }
    }
}

/// `ui-operation.schedule-wizard.handler-id`: `init_schedule_wizard` hands the wizard the
/// handler ID and returns it as the `ISyncMgrUIOperation` a `ShowSchedule` answer carries; an
/// empty, NUL-holding or overlong ID is E_INVALIDARG before the wizard sees it; `InitWizard`'s
/// failure is the caller's error. The answer passes the typed `GetObject`'s check for
/// `ShowSchedule`.
#[test]
fn a_schedule_wizard_is_initialized_for_its_handler() {
    let object = windows_core::ComObject::new(Wizard::default());
    let wizard: ISyncMgrScheduleWizardUIOperation = object.to_interface();
    for bad in [String::new(), "a\0b".to_string(), "x".repeat(64)] {
        let error = init_schedule_wizard(&wizard, &bad).unwrap_err();
        assert_eq!(error.code(), E_INVALIDARG, "{bad:?}");
        // Off Windows, windows-core keeps no message with an error (it travels as IErrorInfo).
        if cfg!(windows) {
            let message = error.message();
            assert!(
                message.contains("ui-operation.schedule-wizard.handler-id"),
                "{message}"
            );
        }
    }
    assert!(object.initialized.lock().unwrap().is_empty());
    let longest = "h".repeat(63);
    let ui = init_schedule_wizard(&wizard, &longest).unwrap();
    assert_eq!(*object.initialized.lock().unwrap(), [longest]);
    assert_eq!(unsafe { ui.Run(HWND::default()) }, S_OK);

    // As a handler's answer for ShowSchedule, through the vtable.
    let (handler, _) = handler(Some(|_| {
        let wizard: ISyncMgrScheduleWizardUIOperation = Wizard::default().into();
        Ok(Some(init_schedule_wizard(&wizard, "partnership")?.into()))
    }));
    let (code, answer) = handler_get(
        &handler,
        &SYNCMGR_OBJECTID_ShowSchedule,
        &ISyncMgrUIOperation::IID,
    );
    assert_eq!(code, S_OK);
    let ui: ISyncMgrUIOperation = answer.unwrap().cast().unwrap();
    assert_eq!(unsafe { ui.Run(HWND::default()) }, S_OK);

    let failing: ISyncMgrScheduleWizardUIOperation = Wizard {
        fails: true,
        ..Wizard::default()
    }
    .into();
    assert_eq!(
        init_schedule_wizard(&failing, "partnership")
            .unwrap_err()
            .code(),
        E_UNEXPECTED
    );
}

/// Where Sync Center is missing (Wine), `schedule_wizard` is the class-not-registered error
/// `CoCreateInstance` gives, and an overlong ID is refused before anything is created.
#[cfg(windows)]
#[test]
fn the_schedule_wizard_class_is_sync_centers() {
    use winsync::bindings::{COINIT_MULTITHREADED, CoInitializeEx};
    const REGDB_E_CLASSNOTREG: HRESULT = HRESULT(0x8004_0154_u32.cast_signed());
    unsafe { CoInitializeEx(None, COINIT_MULTITHREADED as u32) }
        .ok()
        .unwrap();
    let long = "x".repeat(64);
    assert_eq!(
        winsync::sync_center::ui::schedule_wizard(&long)
            .unwrap_err()
            .code(),
        E_INVALIDARG
    );
    match winsync::sync_center::ui::schedule_wizard("partnership") {
        // Windows with Sync Center: the wizard, initialized.
        Ok(ui) => drop(ui),
        Err(error) => assert_eq!(error.code(), REGDB_E_CLASSNOTREG, "{error}"),
    }
}
