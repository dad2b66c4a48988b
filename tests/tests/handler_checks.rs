//! The checks of `#[derive(SyncMgrHandler)]` (`winsync::sync_center::handler`) through the
//! real `ISyncMgrHandler` and `ISyncMgrHandlerInfo` vtables: the handler's name, the object
//! ids of `GetObject`, the capability mask, the handler info's comment, the E_NOTIMPL
//! permission of `Activate` / `Enable`, and `Synchronize` returning before a session it created
//! is complete.
// Test helpers fail loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};

use windows_core::{ComObject, Error, GUID, HRESULT, IUnknown, Interface, PCWSTR, Result};
use winsync::DerivedHandler;
use winsync::bindings::{
    E_FAIL, E_INVALIDARG, E_NOTIMPL, HWND, IEnumString, ISyncMgrHandler, ISyncMgrSessionCreator,
    MAX_SYNCMGR_NAME, S_OK, SYNCMGR_HANDLER_CAPABILITIES, SYNCMGR_HCM_EVENT_STORE,
    SYNCMGR_HCM_PROVIDES_ICON, SYNCMGR_HCM_QUERY_BEFORE_ENABLE, SYNCMGR_OBJECTID_EventStore,
    SYNCMGR_OBJECTID_Icon, SYNCMGR_OBJECTID_QueryBeforeDelete,
};
use winsync::com::abi::take_co_task_wide;
use winsync::skeletons::{SyncMgrHandler, SyncMgrHandlerInfo, SyncmgrProgressStatus};
use winsync::sync_center::double::SyncCenterDouble;
use winsync::sync_center::handler::handler_info;
use winsync::sync_center::names::MAX_NAME_CHARS;
use winsync::sync_center::objects::{ObjectId, SyncMgrObject};
use winsync::sync_center::session::SyncSession;

/// A handler whose answers are its fields; counts its `get_object` calls.
#[derive(winsync::SyncMgrHandler, Default)]
struct Configured {
    name: String,
    capabilities: SYNCMGR_HANDLER_CAPABILITIES,
    comment: String,
    state: Option<HRESULT>,
    not_implemented: bool,
    get_object_calls: AtomicUsize,
}

impl SyncMgrHandler for Configured {
    fn get_name(&self) -> Result<String> {
        Ok(self.name.clone())
    }
    fn get_handler_info(&self) -> Result<winsync::bindings::ISyncMgrHandlerInfo> {
        Ok(handler_info(Info(self.comment.clone(), self.state)))
    }
    fn get_object(&self, _: ObjectId) -> Result<Option<SyncMgrObject>> {
        self.get_object_calls.fetch_add(1, Ordering::SeqCst);
        Ok(None)
    }
    fn get_capabilities(&self) -> Result<SYNCMGR_HANDLER_CAPABILITIES> {
        Ok(self.capabilities)
    }
    fn activate(&self, _: bool) -> Result<()> {
        if self.not_implemented {
            return Err(Error::from_hresult(E_NOTIMPL));
        }
        Ok(())
    }
    fn enable(&self, _: bool) -> Result<()> {
        if self.not_implemented {
            return Err(Error::from_hresult(E_NOTIMPL));
        }
        Ok(())
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

/// A handler info with a comment and, when given, the answer of `IsActive` and `IsEnabled`;
/// everything else keeps the skeleton's defaults (`E_NOTIMPL` for those two).
struct Info(String, Option<HRESULT>);

impl SyncMgrHandlerInfo for Info {
    fn get_comment(&self) -> Result<String> {
        Ok(self.0.clone())
    }
    fn is_active(&self) -> Result<bool> {
        answer(self.1)
    }
    fn is_enabled(&self) -> Result<bool> {
        answer(self.1)
    }
}

/// A state answer given as its HRESULT: S_OK yes, S_FALSE no, anything else the failure (none:
/// `E_NOTIMPL`).
fn answer(state: Option<HRESULT>) -> Result<bool> {
    match state {
        Some(S_OK) => Ok(true),
        Some(winsync::bindings::S_FALSE) => Ok(false),
        Some(code) => Err(Error::from_hresult(code)),
        None => Err(Error::from_hresult(E_NOTIMPL)),
    }
}

fn named(name: &str) -> ISyncMgrHandler {
    Configured {
        name: name.to_string(),
        ..Configured::default()
    }
    .into_handler()
}

fn name_of(handler: &ISyncMgrHandler) -> std::result::Result<String, HRESULT> {
    unsafe { handler.GetName() }
        .map(|name| unsafe { take_co_task_wide(name) }.unwrap())
        .map_err(|error| error.code())
}

/// `handler.get-name.max-length`: an empty name and a name longer than `MAX_SYNCMGR_NAME - 1`
/// units are refused; the longest allowed name (in UTF-16 units, not chars) passes.
#[test]
fn get_name_refuses_empty_and_over_long_names() {
    assert_eq!(MAX_NAME_CHARS, MAX_SYNCMGR_NAME as usize - 1);
    assert_eq!(name_of(&named("")), Err(E_INVALIDARG));
    let longest = "n".repeat(MAX_NAME_CHARS);
    assert_eq!(name_of(&named(&longest)), Ok(longest.clone()));
    assert_eq!(name_of(&named(&format!("{longest}n"))), Err(E_INVALIDARG));
    // Counted in UTF-16 units: 64 characters outside the BMP are 128 units.
    assert_eq!(name_of(&named(&"😀".repeat(64))), Err(E_INVALIDARG));
    assert!(name_of(&named(&"😀".repeat(63))).is_ok());
}

fn get_object(handler: &ISyncMgrHandler, object_id: &GUID) -> HRESULT {
    let mut ppv = std::ptr::null_mut();
    unsafe {
        (handler.vtable().GetObject)(handler.as_raw(), object_id, &IEnumString::IID, &mut ppv)
    }
}

/// `handler.get-object.unknown-id`: an object id that is no `SYNCMGR_OBJECTID_*` is E_NOTIMPL
/// without reaching the handler, and so is an item's id; the listed ids reach it.
#[test]
fn get_object_answers_e_notimpl_for_an_unknown_object_id() {
    let object = Configured::default().into_object();
    let handler: ISyncMgrHandler = object.to_interface();
    let unknown = GUID::from_u128(0x6a1c_52d3_0b7e_4f19_9d2a_81c4_e5f6_a7b8);
    assert_eq!(get_object(&handler, &unknown), E_NOTIMPL);
    assert_eq!(get_object(&handler, &GUID::zeroed()), E_NOTIMPL);
    assert_eq!(
        object.handler().get_object_calls.load(Ordering::SeqCst),
        0,
        "the handler was not asked"
    );
    // An item's id is no handler's (`handler.get-object.handler-ids`).
    assert_eq!(
        get_object(&handler, &SYNCMGR_OBJECTID_QueryBeforeDelete),
        E_NOTIMPL
    );
    assert_eq!(object.handler().get_object_calls.load(Ordering::SeqCst), 0);
    // A listed id reaches the handler; its `None` is E_NOTIMPL (`handler.get-object.unsupported`).
    assert_eq!(get_object(&handler, &SYNCMGR_OBJECTID_Icon), E_NOTIMPL);
    assert_eq!(
        get_object(&handler, &SYNCMGR_OBJECTID_EventStore),
        E_NOTIMPL
    );
    assert_eq!(object.handler().get_object_calls.load(Ordering::SeqCst), 2);
}

/// `handler.get-capabilities.valid-mask`: bits outside `SYNCMGR_HCM_VALID_MASK` are refused.
#[test]
fn get_capabilities_refuses_bits_outside_the_valid_mask() {
    let with = |capabilities| {
        unsafe {
            Configured {
                capabilities,
                ..Configured::default()
            }
            .into_handler()
            .GetCapabilities()
        }
        .map_err(|error| error.code())
    };
    let valid =
        SYNCMGR_HCM_PROVIDES_ICON | SYNCMGR_HCM_EVENT_STORE | SYNCMGR_HCM_QUERY_BEFORE_ENABLE;
    assert_eq!(with(valid), Ok(valid));
    assert_eq!(with(0x8), Err(E_INVALIDARG), "bit 3 is not in the mask");
    assert_eq!(with(valid | 0x0100_0000), Err(E_INVALIDARG));
}

/// `handler.handler-info.get-comment.max-length`: a comment longer than `MAX_SYNCMGR_NAME - 1`
/// units is refused; an empty one is allowed.
#[test]
fn handler_info_refuses_an_over_long_comment() {
    let comment = |text: &str| {
        let handler = Configured {
            comment: text.to_string(),
            ..Configured::default()
        }
        .into_handler();
        let info = unsafe { handler.GetHandlerInfo() }.unwrap();
        unsafe { info.GetComment() }
            .map(|c| unsafe { take_co_task_wide(c) }.unwrap())
            .map_err(|error| error.code())
    };
    let longest = "c".repeat(MAX_NAME_CHARS);
    assert_eq!(comment(&longest), Ok(longest.clone()));
    assert_eq!(comment(""), Ok(String::new()));
    assert_eq!(comment(&format!("{longest}c")), Err(E_INVALIDARG));
}

/// `handler.activate.may-be-not-implemented` and `handler.enable.may-be-not-implemented`: a
/// handler that does nothing on Activate / Enable answers S_OK (the skeleton's default) or
/// E_NOTIMPL, and both reach Sync Center as they are.
#[test]
fn activate_and_enable_may_answer_s_ok_or_e_notimpl() {
    /// Keeps every default but `synchronize` (which has none).
    #[derive(winsync::SyncMgrHandler)]
    struct Quiet;
    impl SyncMgrHandler for Quiet {
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

    let quiet = Quiet.into_handler();
    for on in [true, false] {
        assert_eq!(unsafe { quiet.Activate(on) }, S_OK);
        assert_eq!(unsafe { quiet.Enable(on) }, S_OK);
    }
    let not_implemented = Configured {
        not_implemented: true,
        ..Configured::default()
    }
    .into_handler();
    for on in [true, false] {
        assert_eq!(unsafe { not_implemented.Activate(on) }, E_NOTIMPL);
        assert_eq!(unsafe { not_implemented.Enable(on) }, E_NOTIMPL);
    }
}

/// Creates its own session, reports every item Updating, and returns at once unless `waits`,
/// in which case it reports each SUCCEEDED first.
#[derive(winsync::SyncMgrHandler)]
struct CreatesItsSession {
    waits: bool,
}

impl SyncMgrHandler for CreatesItsSession {
    fn synchronize(
        &self,
        item_ids: &[String],
        _owner: HWND,
        creator: &ISyncMgrSessionCreator,
        _punk: Option<&IUnknown>,
    ) -> Result<()> {
        let session = SyncSession::create(creator, "own", item_ids)?;
        for id in item_ids {
            session.report_progress(id, "working", SyncmgrProgressStatus::Updating, 0, 1)?;
            if self.waits {
                session.report_progress(id, "done", SyncmgrProgressStatus::Succeeded, 1, 1)?;
            }
        }
        Ok(())
    }
}

fn synchronize(
    handler: &ISyncMgrHandler,
    double: &ComObject<SyncCenterDouble>,
    items: &[&str],
) -> HRESULT {
    let creator: ISyncMgrSessionCreator = double.to_interface();
    let wide: Vec<Vec<u16>> = items
        .iter()
        .map(|id| id.encode_utf16().chain([0]).collect())
        .collect();
    let pointers: Vec<PCWSTR> = wide.iter().map(|id| PCWSTR(id.as_ptr())).collect();
    unsafe { handler.Synchronize(&pointers, HWND::default(), &creator, None) }
}

/// `handler.synchronize.wait-when-session-created`: a handler that created its session and
/// returns before synchronization is complete fails the call, and Sync Center hears each open
/// item FAILED; one that waits succeeds.
#[test]
fn returning_before_a_created_session_is_complete_fails_synchronize() {
    let double = SyncCenterDouble::new(&["a", "b"]);
    let early = CreatesItsSession { waits: false }.into_handler();
    assert_eq!(synchronize(&early, &double, &["a", "b"]), E_FAIL);
    for id in ["a", "b"] {
        assert_eq!(double.final_status(id), Some(SyncmgrProgressStatus::Failed));
    }

    let double = SyncCenterDouble::new(&["a", "b"]);
    let waits = CreatesItsSession { waits: true }.into_handler();
    assert_eq!(synchronize(&waits, &double, &["a", "b"]), S_OK);
    for id in ["a", "b"] {
        assert_eq!(
            double.final_status(id),
            Some(SyncmgrProgressStatus::Succeeded)
        );
    }
}

/// A handler's and an item's state answers are `bool` on the safe side and S_OK / S_FALSE on
/// the wire (S_FALSE kept, not folded into S_OK); failures reach Sync Center as the
/// implementation gives them, and a panic is `E_UNEXPECTED`
/// (`handler.handler-info.is-active.answers`, `.is-enabled.answers`, `.is-connected.answers`,
/// `handler.sync-item-info.is-enabled.answers`, `.is-connected.answers`).
#[test]
fn state_answers_are_s_ok_s_false_or_failures() {
    use winsync::bindings::{E_NOTIMPL, E_UNEXPECTED, S_FALSE, S_OK};
    use winsync::skeletons::SyncMgrSyncItemInfo;
    use winsync::sync_center::items::sync_item_info;

    /// `None` panics.
    struct Answers(Option<Result<bool>>);
    impl Answers {
        fn get(&self) -> Result<bool> {
            self.0.clone().expect("a panic in the user's code")
        }
    }
    impl SyncMgrHandlerInfo for Answers {
        fn is_active(&self) -> Result<bool> {
            self.get()
        }
        fn is_enabled(&self) -> Result<bool> {
            self.get()
        }
        fn is_connected(&self) -> Result<bool> {
            self.get()
        }
    }
    impl SyncMgrSyncItemInfo for Answers {
        fn get_type_label(&self) -> Result<String> {
            Ok("type".into())
        }
        fn get_comment(&self) -> Result<String> {
            Ok(String::new())
        }
        fn get_last_sync_time(&self) -> Result<winsync::bindings::FILETIME> {
            Ok(winsync::bindings::FILETIME::default())
        }
        fn is_enabled(&self) -> Result<bool> {
            self.get()
        }
        fn is_connected(&self) -> Result<bool> {
            self.get()
        }
    }
    for (given, expected) in [
        (Some(Ok(true)), S_OK),
        (Some(Ok(false)), S_FALSE),
        (Some(Err(Error::from_hresult(E_NOTIMPL))), E_NOTIMPL),
        (None, E_UNEXPECTED),
    ] {
        let handler = handler_info(Answers(given.clone()));
        let item = sync_item_info(Answers(given.clone()));
        unsafe {
            assert_eq!(handler.IsActive(), expected, "{given:?}");
            assert_eq!(handler.IsEnabled(), expected, "{given:?}");
            assert_eq!(handler.IsConnected(), expected, "{given:?}");
            assert_eq!(item.IsEnabled(), expected, "{given:?}");
            assert_eq!(item.IsConnected(), expected, "{given:?}");
        }
    }
}

/// A handler whose capabilities ask Sync Center to query it before (de)activating or enabling
/// it keeps its own state: the double's discovery finds `IsActive` / `IsEnabled` answering
/// anything but S_OK or S_FALSE (`handler.handler-info.is-active.query-before`,
/// `handler.handler-info.is-enabled.query-before`).
#[test]
fn a_handler_that_keeps_its_state_answers_s_ok_or_s_false() {
    use winsync::bindings::{
        S_FALSE, SYNCMGR_HCM_QUERY_BEFORE_ACTIVATE, SYNCMGR_HCM_QUERY_BEFORE_ENABLE,
    };
    use winsync::sync_center::collection::HandlerCollection;
    use winsync::sync_center::double::discovery::discover;

    let found = |capabilities, state| {
        let collection: winsync::bindings::ISyncMgrHandlerCollection = HandlerCollection::new()
            .handler("{h}", move || {
                Ok(Configured {
                    name: "h".into(),
                    capabilities,
                    state,
                    ..Configured::default()
                }
                .into_handler())
            })
            .unwrap()
            .into();
        discover(&collection)
    };
    let active = &winsync::contracts::HANDLER_HANDLER_INFO_IS_ACTIVE_QUERY_BEFORE;
    let enabled = &winsync::contracts::HANDLER_HANDLER_INFO_IS_ENABLED_QUERY_BEFORE;
    // Without the capabilities, E_NOTIMPL (Sync Center keeps its own state) is fine.
    let discovery = found(0, None);
    assert!(!discovery.breaks(active) && !discovery.breaks(enabled));
    // With them, it is not.
    let discovery = found(SYNCMGR_HCM_QUERY_BEFORE_ACTIVATE, None);
    assert!(
        discovery.breaks(active) && !discovery.breaks(enabled),
        "{discovery:?}"
    );
    let discovery = found(SYNCMGR_HCM_QUERY_BEFORE_ENABLE, None);
    assert!(
        !discovery.breaks(active) && discovery.breaks(enabled),
        "{discovery:?}"
    );
    let discovery = found(
        SYNCMGR_HCM_QUERY_BEFORE_ACTIVATE | SYNCMGR_HCM_QUERY_BEFORE_ENABLE,
        Some(S_FALSE),
    );
    assert!(
        !discovery.breaks(active) && !discovery.breaks(enabled),
        "{discovery:?}"
    );
}

/// `handler.handler-info.get-type.failure`: a GetType that fails leaves `*pnType` at
/// `SYNCMGR_HT_UNSPECIFIED` (the bindings zero every `[retval]` value before the
/// implementation runs).
#[test]
fn a_failing_get_type_leaves_the_type_unspecified() {
    use winsync::bindings::{SYNCMGR_HANDLER_TYPE, SYNCMGR_HT_UNSPECIFIED};
    let info = handler_info(Info(String::new(), None));
    let mut handler_type: SYNCMGR_HANDLER_TYPE = 7;
    let code = unsafe { (info.vtable().GetType)(info.as_raw(), &mut handler_type) };
    assert_eq!(code, E_NOTIMPL, "the skeleton's default");
    assert_eq!(handler_type, SYNCMGR_HT_UNSPECIFIED);
}
