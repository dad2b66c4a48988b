//! UI operations: the `ISyncMgrUIOperation` objects a handler or item hands out from
//! `GetObject` for every object id that expects one (`BrowseContent`, `ShowSchedule`, the
//! `QueryBefore*` ids; [`crate::sync_center::objects::ObjectKind::UiOperation`]), and the
//! `ISyncMgrEventLinkUIOperation` behind an event's link (`EventLinkClick`).
//!
//! - [`ui_operation`] hands out any [`SyncMgrUIOperation`] (the generated skeleton: `run`
//!   with the owner window, returning `true` for S_OK and `false` for S_FALSE, the "do not go
//!   ahead" of a confirmation, `ui-operation.run.declined`, `NF:syncmgr.ISyncMgrUIOperation.Run`);
//!   [`RunUi`] makes one from a closure.
//! - [`event_link`] hands out any [`SyncMgrEventLinkUIOperation`] behind a check: `Init` with
//!   an event ID other than the event's own `GetEventID` is `E_INVALIDARG`
//!   (`ui-operation.event-link.event-id`), and `Run` before a successful `Init` is
//!   `E_UNEXPECTED` without calling the operation (`ui-operation.event-link.run-after-init`;
//!   `NF:syncmgr.ISyncMgrEventLinkUIOperation.Init`). [`OnLink`] makes one from a closure that
//!   receives the event as an [`Event`] read at `Init`.
//! - [`schedule_wizard`] is Sync Center's own schedule wizard (`CLSID_SyncMgrScheduleWizard`)
//!   initialized for a handler, the usual answer to `ShowSchedule`
//!   (`ui-operation.schedule-wizard.sync-centers`, `NN:syncmgr.ISyncMgrScheduleWizardUIOperation`);
//!   [`init_schedule_wizard`] initializes a wizard created otherwise. The handler ID is checked
//!   before the wizard sees it (`ui-operation.schedule-wizard.handler-id`).
//!
//! Panics in the user's code are `E_UNEXPECTED` (the generated adapters contain them). Each
//! object counts as a live object of the module ([`ObjectGuard`]).

use std::sync::Mutex;

use windows_core::{ComObject, Error, GUID, HRESULT, Ref, Result, implement};

use crate::bindings::{
    E_UNEXPECTED, HWND, ISyncMgrEvent, ISyncMgrEventLinkUIOperation,
    ISyncMgrEventLinkUIOperation_Impl, ISyncMgrScheduleWizardUIOperation, ISyncMgrUIOperation,
    ISyncMgrUIOperation_Impl,
};
use crate::com::abi;
use crate::com::object_count::ObjectGuard;
use crate::contracts as rules;
use crate::skeletons::{
    SyncMgrEventLinkUIOperation, SyncMgrUIOperation, sync_mgr_event_link_ui_operation_abi as abi_l,
    sync_mgr_ui_operation_abi as abi_u,
};
use crate::sync_center::events::Event;

pub use object::{EventLinkObject, UiOperationObject};
use object::{EventLinkObject_Impl, UiOperationObject_Impl};

mod object {
    use super::{
        ISyncMgrEventLinkUIOperation, ISyncMgrUIOperation, Mutex, ObjectGuard,
        SyncMgrEventLinkUIOperation, SyncMgrUIOperation, implement,
    };

    /// A [`SyncMgrUIOperation`] as `ISyncMgrUIOperation` (made by [`super::ui_operation`]).
    #[implement(ISyncMgrUIOperation)]
    pub struct UiOperationObject<T: SyncMgrUIOperation + 'static> {
        pub(super) operation: T,
        pub(super) _guard: ObjectGuard,
    }

    /// A [`SyncMgrEventLinkUIOperation`] as `ISyncMgrEventLinkUIOperation` (and
    /// `ISyncMgrUIOperation`), checked (made by [`super::event_link`]).
    #[implement(ISyncMgrEventLinkUIOperation, ISyncMgrUIOperation)]
    pub struct EventLinkObject<T: SyncMgrEventLinkUIOperation + 'static> {
        pub(super) operation: T,
        /// Whether an `Init` succeeded.
        pub(super) initialized: Mutex<bool>,
        pub(super) _guard: ObjectGuard,
    }
}

/// `operation` as the `ISyncMgrUIOperation` a `GetObject` answer carries
/// ([`crate::sync_center::objects::SyncMgrObject::UiOperation`]).
pub fn ui_operation<T: SyncMgrUIOperation + 'static>(operation: T) -> ISyncMgrUIOperation {
    ComObject::new(UiOperationObject {
        operation,
        _guard: ObjectGuard::new(),
    })
    .to_interface()
}

/// `operation` as the checked `ISyncMgrEventLinkUIOperation` of
/// [`crate::sync_center::objects::SyncMgrObject::EventLink`] (see the module docs).
pub fn event_link<T: SyncMgrEventLinkUIOperation + 'static>(
    operation: T,
) -> ISyncMgrEventLinkUIOperation {
    ComObject::new(EventLinkObject {
        operation,
        initialized: Mutex::new(false),
        _guard: ObjectGuard::new(),
    })
    .to_interface()
}

/// Sync Center's schedule wizard for the handler `handler_id`, as the `ISyncMgrUIOperation` of
/// `GetObject(ObjectId::ShowSchedule)`: `CoCreateInstance(CLSID_SyncMgrScheduleWizard,
/// CLSCTX_INPROC_SERVER)`, then [`init_schedule_wizard`]
/// (`NN:syncmgr.ISyncMgrScheduleWizardUIOperation`). COM must be initialized on the calling
/// thread. A handler announces the object with `SYNCMGR_HCM_CAN_SHOW_SCHEDULE`.
///
/// # Errors
/// `E_INVALIDARG` for a handler ID that is empty, holds a NUL or is longer than
/// `MAX_SYNCMGR_ID - 1` UTF-16 units, before anything is created
/// (`ui-operation.schedule-wizard.handler-id`); `CoCreateInstance`'s error
/// (`REGDB_E_CLASSNOTREG` where Sync Center is missing, as under Wine); `InitWizard`'s error.
#[cfg(any(windows, doc))]
pub fn schedule_wizard(handler_id: &str) -> Result<ISyncMgrUIOperation> {
    use crate::bindings::{CLSCTX_INPROC_SERVER, CoCreateInstance, SyncMgrScheduleWizard};
    let id = checked_handler_id(handler_id)?;
    // SAFETY: a creation with a valid CLSID; COM checks the apartment.
    let wizard: ISyncMgrScheduleWizardUIOperation =
        unsafe { CoCreateInstance(&SyncMgrScheduleWizard, None, CLSCTX_INPROC_SERVER) }?;
    init_checked(&wizard, &id)
}

/// `wizard` (a schedule wizard however created) initialized for the handler `handler_id`
/// (`NF:syncmgr.ISyncMgrScheduleWizardUIOperation.InitWizard`) and queried for the
/// `ISyncMgrUIOperation` a `GetObject(ObjectId::ShowSchedule)` answer carries.
///
/// # Errors
/// `E_INVALIDARG` for a handler ID that is empty, holds a NUL or is longer than
/// `MAX_SYNCMGR_ID - 1` UTF-16 units, without calling `InitWizard`
/// (`ui-operation.schedule-wizard.handler-id`); `InitWizard`'s error; `E_NOINTERFACE` if the
/// wizard is not an `ISyncMgrUIOperation`.
pub fn init_schedule_wizard(
    wizard: &ISyncMgrScheduleWizardUIOperation,
    handler_id: &str,
) -> Result<ISyncMgrUIOperation> {
    init_checked(wizard, &checked_handler_id(handler_id)?)
}

/// The NUL-terminated wide copy of a handler ID the wizard may see.
fn checked_handler_id(handler_id: &str) -> Result<Vec<u16>> {
    crate::sync_center::control::wide_id(
        handler_id,
        "handler id",
        &rules::UI_OPERATION_SCHEDULE_WIZARD_HANDLER_ID,
        rules::UI_OPERATION_SCHEDULE_WIZARD_HANDLER_ID.source,
    )
}

fn init_checked(
    wizard: &ISyncMgrScheduleWizardUIOperation,
    id: &[u16],
) -> Result<ISyncMgrUIOperation> {
    // SAFETY: `id` is NUL-terminated and outlives the call.
    unsafe { wizard.InitWizard(windows_core::PCWSTR(id.as_ptr())) }.ok()?;
    windows_core::Interface::cast(wizard)
}

/// A UI operation made from a closure: `run(owner)` answers `Ok(true)` to go ahead (S_OK) and
/// `Ok(false)` to decline the operation it was asked to confirm (S_FALSE).
///
/// ```ignore
/// let setup = ui_operation(RunUi(|owner: HWND| show_setup_dialog(owner)));
/// ```
pub struct RunUi<F>(pub F);

impl<F: Fn(HWND) -> Result<bool>> SyncMgrUIOperation for RunUi<F> {
    fn run(&self, owner: HWND) -> Result<bool> {
        (self.0)(owner)
    }
}

/// An event-link operation made from a closure: `Init` reads the event into an [`Event`]
/// (its ID must be the one Sync Center passes), and `Run` calls the closure with the owner
/// window and that event. Hand it out with [`event_link`].
pub struct OnLink<F> {
    action: F,
    event: Mutex<Option<Event>>,
}

impl<F: Fn(HWND, &Event) -> Result<bool>> OnLink<F> {
    /// The operation `action` runs when the user clicks an event's link.
    pub fn new(action: F) -> Self {
        Self {
            action,
            event: Mutex::new(None),
        }
    }
}

impl<F: Fn(HWND, &Event) -> Result<bool>> SyncMgrUIOperation for OnLink<F> {
    fn run(&self, owner: HWND) -> Result<bool> {
        let event = self
            .event
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        match event {
            Some(event) => (self.action)(owner, &event),
            None => Err(run_before_init()),
        }
    }
}

impl<F: Fn(HWND, &Event) -> Result<bool>> SyncMgrEventLinkUIOperation for OnLink<F> {
    fn init(&self, _event_id: &GUID, event: &ISyncMgrEvent) -> Result<()> {
        let event = Event::read(event)?;
        *self
            .event
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(event);
        Ok(())
    }
}

fn run_before_init() -> Error {
    Error::new(
        E_UNEXPECTED,
        format!(
            "Run before a successful Init: {}",
            rules::UI_OPERATION_EVENT_LINK_RUN_AFTER_INIT
        ),
    )
}

impl<T: SyncMgrUIOperation + 'static> ISyncMgrUIOperation_Impl for UiOperationObject_Impl<T> {
    fn Run(&self, hwndowner: HWND) -> HRESULT {
        unsafe { abi_u::run(&self.operation, hwndowner) }
    }
}

/// The checks of [`event_link`] around the user's operation.
struct CheckedLink<'a, T>(&'a T, &'a Mutex<bool>);

impl<T: SyncMgrEventLinkUIOperation> SyncMgrUIOperation for CheckedLink<'_, T> {
    fn run(&self, owner: HWND) -> Result<bool> {
        if !*self
            .1
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
        {
            return Err(run_before_init());
        }
        self.0.run(owner)
    }
}

impl<T: SyncMgrEventLinkUIOperation> SyncMgrEventLinkUIOperation for CheckedLink<'_, T> {
    fn init(&self, event_id: &GUID, event: &ISyncMgrEvent) -> Result<()> {
        let own = unsafe { event.GetEventID() }?;
        if own != *event_id {
            return Err(abi::invalid_arg(format_args!(
                "Init with the event ID {event_id:?}, and the event's GetEventID is {own:?}: {}",
                rules::UI_OPERATION_EVENT_LINK_EVENT_ID
            )));
        }
        self.0.init(event_id, event)?;
        *self
            .1
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = true;
        Ok(())
    }
}

impl<T: SyncMgrEventLinkUIOperation + 'static> ISyncMgrUIOperation_Impl
    for EventLinkObject_Impl<T>
{
    fn Run(&self, hwndowner: HWND) -> HRESULT {
        unsafe { abi_u::run(&CheckedLink(&self.operation, &self.initialized), hwndowner) }
    }
}

impl<T: SyncMgrEventLinkUIOperation + 'static> ISyncMgrEventLinkUIOperation_Impl
    for EventLinkObject_Impl<T>
{
    fn Init(&self, rguideventid: *const GUID, pevent: Ref<ISyncMgrEvent>) -> Result<()> {
        unsafe {
            abi_l::init(
                &CheckedLink(&self.operation, &self.initialized),
                rguideventid,
                pevent,
            )
        }
    }
}
