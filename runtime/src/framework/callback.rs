//! The COM object behind `#[derive(SyncCallback)]`: an application's
//! [`SyncCallback2`] implementation exposed as `ISyncCallback` and `ISyncCallback2`.
//!
//! A type implements the safe skeleton traits [`SyncCallback`]
//! and [`SyncCallback2`] (every method has a default body, so it implements only the events it
//! wants) and is wrapped in a [`CallbackObject`], by hand with [`CallbackObject::new`] or through
//! [`DerivedCallback`], which the derive implements. Every COM method goes through the generated
//! adapters of [`sync_callback_abi`] and [`sync_callback2_abi`]:
//!
//! - `OnProgress` with a `provider` that is not a `SYNC_PROVIDER_ROLE` or a `syncStage` that is
//!   not a `SYNC_PROGRESS_STAGE` is answered with `E_INVALIDARG` without calling the
//!   implementation (rules `callback.on-progress.invalid-provider` and
//!   `callback.on-progress.invalid-stage`, `NF:winsync.ISyncCallback.OnProgress`);
//! - a null interface pointer (`OnChange`, `OnConflict`, `OnRecoverableError`) or a null
//!   `pFullEnumerationAction` is answered with `E_POINTER` (rule
//!   `callback.on-full-enumeration-needed.null-out-pointer`,
//!   `NF:winsync.ISyncCallback.OnFullEnumerationNeeded`);
//! - a panic in the implementation is answered with `E_UNEXPECTED` and never unwinds across
//!   the COM boundary; the object keeps working;
//! - `OnFullEnumerationNeeded` writes `*pFullEnumerationAction` only when the implementation
//!   returns an action; the default answers `E_NOTIMPL` and writes nothing, which leaves the
//!   session to handle it as without a callback, with `SFEA_ABORT` (rule
//!   `callback.on-full-enumeration-needed.action`).
//!
//! The wrapped value must be `Send + Sync`: the session raises events on whatever thread its
//! providers run.

use windows_core::{ComObject, Ref, Result, implement};

use crate::bindings::{
    IChangeConflict, IRecoverableError, ISyncCallback, ISyncCallback_Impl, ISyncCallback2,
    ISyncCallback2_Impl, ISyncChange, SYNC_FULL_ENUMERATION_ACTION, SYNC_PROGRESS_STAGE,
    SYNC_PROVIDER_ROLE,
};
use crate::skeletons::{SyncCallback, SyncCallback2, sync_callback_abi, sync_callback2_abi};

/// What `#[derive(SyncCallback)]` implements: turns a [`SyncCallback2`] implementation into
/// the COM callback a session takes.
///
/// Both methods are provided; the derive writes `impl DerivedCallback for MyType {}`.
pub trait DerivedCallback: SyncCallback2 + Send + Sync + Sized + 'static {
    /// Wraps `self` in a [`CallbackObject`] and returns its `ISyncCallback` (which answers
    /// `QueryInterface` for `ISyncCallback2`).
    fn into_callback(self) -> ISyncCallback {
        CallbackObject::new(self).to_interface()
    }

    /// Wraps `self` in a [`CallbackObject`] and returns the object, so that the application
    /// keeps access to its value (through [`CallbackObject::callback`]) while it hands out
    /// `to_interface::<ISyncCallback>()`.
    fn into_object(self) -> ComObject<CallbackObject<Self>> {
        CallbackObject::new(self)
    }
}

pub use object::CallbackObject;
use object::CallbackObject_Impl;

/// Holds the `#[implement]` struct, so that the `CallbackObject_Impl` type the macro generates
/// (undocumented) stays private to this module.
mod object {
    use super::{ISyncCallback, ISyncCallback2, SyncCallback2, implement};

    /// A [`SyncCallback2`] implementation as an `ISyncCallback` / `ISyncCallback2` COM object.
    ///
    /// See the [module docs](crate::framework::callback) for what each COM method checks before `T` runs: invalid
    /// enums are `E_INVALIDARG` (rules `callback.on-progress.invalid-provider`,
    /// `callback.on-progress.invalid-stage`, `NF:winsync.ISyncCallback.OnProgress`), null pointers
    /// `E_POINTER`, panics `E_UNEXPECTED`; otherwise the COM caller receives what `T` returns.
    #[implement(ISyncCallback, ISyncCallback2)]
    pub struct CallbackObject<T: SyncCallback2 + Send + Sync + 'static> {
        pub(super) callback: T,
    }
}

impl<T: SyncCallback2 + Send + Sync + 'static> CallbackObject<T> {
    /// The COM object wrapping `callback`; hand out `to_interface::<ISyncCallback>()`.
    pub fn new(callback: T) -> ComObject<Self> {
        ComObject::new(Self { callback })
    }

    /// The wrapped implementation.
    pub fn callback(&self) -> &T {
        &self.callback
    }
}

impl<T: SyncCallback2 + Send + Sync + 'static> ISyncCallback_Impl for CallbackObject_Impl<T> {
    fn OnProgress(
        &self,
        provider: SYNC_PROVIDER_ROLE,
        syncstage: SYNC_PROGRESS_STAGE,
        dwcompletedwork: u32,
        dwtotalwork: u32,
    ) -> Result<()> {
        // Completed work is part of the total (a total of 0 says none is known):
        // `callback.on-progress.timing`.
        if dwtotalwork != 0 && dwcompletedwork > dwtotalwork {
            return Err(windows_core::Error::new(
                crate::bindings::E_INVALIDARG,
                crate::contracts::CALLBACK_ON_PROGRESS_TIMING.to_string(),
            ));
        }
        // SAFETY: no pointers; the adapter checks the enums.
        unsafe {
            sync_callback_abi::on_progress(
                &self.callback,
                provider,
                syncstage,
                dwcompletedwork,
                dwtotalwork,
            )
        }
    }

    fn OnChange(&self, psyncchange: Ref<ISyncChange>) -> Result<()> {
        // SAFETY: the COM caller passes null or a live interface; the adapter checks null.
        unsafe { sync_callback_abi::on_change(&self.callback, psyncchange) }
    }

    fn OnConflict(&self, pconflict: Ref<IChangeConflict>) -> Result<()> {
        // SAFETY: the COM caller passes null or a live interface; the adapter checks null.
        unsafe { sync_callback_abi::on_conflict(&self.callback, pconflict) }
    }

    fn OnFullEnumerationNeeded(
        &self,
        pfullenumerationaction: *mut SYNC_FULL_ENUMERATION_ACTION,
    ) -> Result<()> {
        // SAFETY: the COM caller passes null or a writable pointer; the adapter checks null and
        // writes only on success.
        unsafe {
            sync_callback_abi::on_full_enumeration_needed(&self.callback, pfullenumerationaction)
        }
    }

    fn OnRecoverableError(&self, precoverableerror: Ref<IRecoverableError>) -> Result<()> {
        // SAFETY: the COM caller passes null or a live interface; the adapter checks null.
        unsafe { sync_callback_abi::on_recoverable_error(&self.callback, precoverableerror) }
    }
}

impl<T: SyncCallback2 + Send + Sync + 'static> ISyncCallback2_Impl for CallbackObject_Impl<T> {
    fn OnChangeApplied(&self, dwchangesapplied: u32, dwchangesfailed: u32) -> Result<()> {
        // SAFETY: no pointers.
        unsafe {
            sync_callback2_abi::on_change_applied(&self.callback, dwchangesapplied, dwchangesfailed)
        }
    }

    fn OnChangeFailed(&self, dwchangesapplied: u32, dwchangesfailed: u32) -> Result<()> {
        // SAFETY: no pointers.
        unsafe {
            sync_callback2_abi::on_change_failed(&self.callback, dwchangesapplied, dwchangesfailed)
        }
    }
}

/// A callback that ignores every event (each method keeps its default), for sessions run
/// without an application callback: `ProcessChangeBatch` takes one that is not null.
pub(crate) struct NullCallback;

impl SyncCallback for NullCallback {}
impl SyncCallback2 for NullCallback {}

/// The callback a session of this runtime runs with when the application gave none: it
/// ignores every event (as [`NullCallback`]) and says so through a private interface, so a
/// destination of this runtime skips what it would build only for the callback (the
/// `ISyncChange` object `OnChange` receives for each applied change, when the data loads
/// directly). Callbacks from anywhere else, the application's included, get every event.
pub(crate) fn quiet_callback() -> ISyncCallback {
    quiet::QuietCallback.into()
}

/// Whether `callback` is [`quiet_callback`]'s (of this build).
pub(crate) fn is_quiet(callback: &ISyncCallback) -> bool {
    let Ok(quiet) = windows_core::Interface::cast::<quiet::IQuietCallback>(callback) else {
        return false;
    };
    // SAFETY: a live interface.
    let layout = unsafe { quiet::layout(&quiet) };
    layout == quiet::LAYOUT
}

#[allow(non_snake_case, missing_docs)]
mod quiet {
    use windows_core::{IUnknown, Ref, Result, implement};

    use super::{NullCallback, sync_callback_abi, sync_callback2_abi};
    use crate::bindings::{
        IChangeConflict, IRecoverableError, ISyncCallback, ISyncCallback_Impl, ISyncCallback2,
        ISyncCallback2_Impl, ISyncChange, SYNC_FULL_ENUMERATION_ACTION, SYNC_PROGRESS_STAGE,
        SYNC_PROVIDER_ROLE,
    };

    /// The layout revision [`IQuietCallback::Layout`] answers.
    pub(super) const LAYOUT: u32 = crate::com::layout_revision(0x0C41);

    /// Says "this callback ignores every event"; answers this build's layout revision.
    #[windows_core::interface("5c0e7a61-92d4-4b3f-8e17-a4d6c2f90b38")]
    pub(super) unsafe trait IQuietCallback: IUnknown {
        fn Layout(&self) -> u32;
    }

    /// Calls `Layout` (the method the interface macro makes is private to this module).
    ///
    /// # Safety
    /// `quiet` is live.
    pub(super) unsafe fn layout(quiet: &IQuietCallback) -> u32 {
        // SAFETY: forwarded.
        unsafe { quiet.Layout() }
    }

    #[implement(ISyncCallback, ISyncCallback2, IQuietCallback)]
    pub(super) struct QuietCallback;

    impl IQuietCallback_Impl for QuietCallback_Impl {
        unsafe fn Layout(&self) -> u32 {
            LAYOUT
        }
    }

    // Every event goes to `NullCallback`'s defaults, through the same adapters as any
    // callback: the contract checks (E_INVALIDARG for bad enums, E_POINTER for null) hold.
    impl ISyncCallback_Impl for QuietCallback_Impl {
        fn OnProgress(
            &self,
            provider: SYNC_PROVIDER_ROLE,
            stage: SYNC_PROGRESS_STAGE,
            completed: u32,
            total: u32,
        ) -> Result<()> {
            // SAFETY: no pointers.
            unsafe {
                sync_callback_abi::on_progress(&NullCallback, provider, stage, completed, total)
            }
        }

        fn OnChange(&self, change: Ref<ISyncChange>) -> Result<()> {
            // SAFETY: null or live, checked by the adapter.
            unsafe { sync_callback_abi::on_change(&NullCallback, change) }
        }

        fn OnConflict(&self, conflict: Ref<IChangeConflict>) -> Result<()> {
            // SAFETY: null or live, checked by the adapter.
            unsafe { sync_callback_abi::on_conflict(&NullCallback, conflict) }
        }

        fn OnFullEnumerationNeeded(&self, action: *mut SYNC_FULL_ENUMERATION_ACTION) -> Result<()> {
            // SAFETY: null or writable, checked by the adapter.
            unsafe { sync_callback_abi::on_full_enumeration_needed(&NullCallback, action) }
        }

        fn OnRecoverableError(&self, error: Ref<IRecoverableError>) -> Result<()> {
            // SAFETY: null or live, checked by the adapter.
            unsafe { sync_callback_abi::on_recoverable_error(&NullCallback, error) }
        }
    }

    impl ISyncCallback2_Impl for QuietCallback_Impl {
        fn OnChangeApplied(&self, applied: u32, failed: u32) -> Result<()> {
            // SAFETY: no pointers.
            unsafe { sync_callback2_abi::on_change_applied(&NullCallback, applied, failed) }
        }

        fn OnChangeFailed(&self, applied: u32, failed: u32) -> Result<()> {
            // SAFETY: no pointers.
            unsafe { sync_callback2_abi::on_change_failed(&NullCallback, applied, failed) }
        }
    }
}
