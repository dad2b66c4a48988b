//! The checked session state host object (`winsync::framework::session_state::SessionState`), called
//! through its real `ISyncSessionState` / `ISyncSessionState2` vtables, with a recording
//! callback behind it.
// Test helpers fail loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Mutex;

use windows_core::{BOOL, ComObject, HRESULT, IUnknown, Interface, Result};
use winsync::bindings::*;
use winsync::engine::IdFormat;
use winsync::framework::callback::CallbackObject;
use winsync::framework::session_state::{HRESULT_MORE_DATA, SessionState};
use winsync::hresults::{SYNC_E_ID_FORMAT_MISMATCH, SYNC_E_INVALID_OPERATION};
use winsync::skeletons::*;

/// Records every OnProgress it receives; fails when `completed_work` is 13.
#[derive(Default)]
struct Recorder {
    progress: Mutex<Vec<(SyncProviderRole, SyncProgressStage, u32, u32)>>,
}

impl SyncCallback for Recorder {
    fn on_progress(
        &self,
        provider: SyncProviderRole,
        stage: SyncProgressStage,
        completed_work: u32,
        total_work: u32,
    ) -> Result<()> {
        if completed_work == 13 {
            return Err(E_ACCESSDENIED.into());
        }
        self.progress
            .lock()
            .unwrap()
            .push((provider, stage, completed_work, total_work));
        Ok(())
    }
}

impl SyncCallback2 for Recorder {}

/// A session state with a recording callback: the host's object, the interface handed to
/// providers, and the callback object (to read what it recorded).
fn session() -> (
    ComObject<SessionState>,
    ISyncSessionState,
    ComObject<CallbackObject<Recorder>>,
) {
    let recorder = CallbackObject::new(Recorder::default());
    let state = SessionState::new(Some(recorder.to_interface()));
    let interface = state.to_interface();
    (state, interface, recorder)
}

fn progress_count(recorder: &CallbackObject<Recorder>) -> usize {
    recorder.callback().progress.lock().unwrap().len()
}

#[test]
fn on_progress_rejects_invalid_enums_without_raising_the_callback() {
    let (_state, state, recorder) = session();
    // Not a SYNC_PROVIDER_ROLE.
    let hr = unsafe { state.OnProgress(2, SPS_CHANGE_DETECTION, 1, 10) };
    assert_eq!(hr, E_INVALIDARG);
    let hr = unsafe { state.OnProgress(-1, SPS_CHANGE_DETECTION, 1, 10) };
    assert_eq!(hr, E_INVALIDARG);
    // Not a SYNC_PROGRESS_STAGE.
    let hr = unsafe { state.OnProgress(SPR_SOURCE, 3, 1, 10) };
    assert_eq!(hr, E_INVALIDARG);
    assert_eq!(progress_count(&recorder), 0, "the callback was not raised");
}

/// `session-state.on-progress.completed-within-total`.
#[test]
fn on_progress_refuses_completed_work_above_the_total() {
    let (_state, state, recorder) = session();
    let hr = unsafe { state.OnProgress(SPR_SOURCE, SPS_CHANGE_DETECTION, 11, 10) };
    assert_eq!(hr, E_INVALIDARG);
    assert_eq!(progress_count(&recorder), 0, "the callback was not raised");
    let hr = unsafe { state.OnProgress(SPR_SOURCE, SPS_CHANGE_DETECTION, 11, 0) };
    assert_eq!(hr, S_OK, "a total of 0: none known");
    assert_eq!(progress_count(&recorder), 1);
}

#[test]
fn on_progress_raises_the_callback_with_the_same_values() {
    let (_state, state, recorder) = session();
    assert_eq!(
        unsafe { state.OnProgress(SPR_SOURCE, SPS_CHANGE_ENUMERATION, 3, 10) },
        S_OK
    );
    assert_eq!(
        unsafe { state.OnProgress(SPR_DESTINATION, SPS_CHANGE_APPLICATION, 10, 10) },
        S_OK
    );
    assert_eq!(
        *recorder.callback().progress.lock().unwrap(),
        [
            (
                SyncProviderRole::Source,
                SyncProgressStage::ChangeEnumeration,
                3,
                10
            ),
            (
                SyncProviderRole::Destination,
                SyncProgressStage::ChangeApplication,
                10,
                10
            ),
        ]
    );
    // The callback's failure is what the provider receives.
    assert_eq!(
        unsafe { state.OnProgress(SPR_SOURCE, SPS_CHANGE_DETECTION, 13, 20) },
        E_ACCESSDENIED
    );
    // Without a callback, a valid OnProgress succeeds and raises nothing.
    let alone: ISyncSessionState = SessionState::new(None).to_interface();
    assert_eq!(
        unsafe { alone.OnProgress(SPR_SOURCE, SPS_CHANGE_DETECTION, 0, 0) },
        S_OK
    );
    assert_eq!(
        unsafe { alone.OnProgress(SPR_SOURCE, 7, 0, 0) },
        E_INVALIDARG
    );
}

#[test]
fn set_provider_with_error_needs_a_session() {
    let (host, state, _) = session();
    let state2: ISyncSessionState2 = state.cast().unwrap();
    assert_eq!(
        unsafe { state2.SetProviderWithError(true) },
        SYNC_E_INVALID_OPERATION
    );
    assert_eq!(host.provider_with_error(), None);
    // The raw vtable call, with a BOOL.
    let vtable = state2.vtable();
    let hr = unsafe { (vtable.SetProviderWithError)(state2.as_raw(), BOOL::from(false)) };
    assert_eq!(hr, SYNC_E_INVALID_OPERATION);
    let rule = winsync::contracts::SESSION_STATE_SET_PROVIDER_WITH_ERROR_NO_SESSION;
    assert_eq!(rule.returns, Some("SYNC_E_INVALID_OPERATION"));

    host.begin_session();
    assert!(host.in_session());
    assert_eq!(unsafe { state2.SetProviderWithError(true) }, S_OK);
    assert_eq!(host.provider_with_error(), Some(true));
    assert_eq!(unsafe { state2.SetProviderWithError(false) }, S_OK);
    assert_eq!(host.provider_with_error(), Some(false));

    host.end_session();
    assert_eq!(
        unsafe { state2.SetProviderWithError(true) },
        SYNC_E_INVALID_OPERATION
    );
    assert_eq!(
        host.provider_with_error(),
        Some(false),
        "a rejected call records nothing"
    );
}

#[test]
fn get_session_error_status_returns_the_recorded_error() {
    let (host, state, _) = session();
    let state2: ISyncSessionState2 = state.cast().unwrap();
    let mut error = E_FAIL;
    assert_eq!(unsafe { state2.GetSessionErrorStatus(&mut error) }, S_OK);
    assert_eq!(error, S_OK, "no error recorded");
    assert_eq!(host.session_error(), None);

    host.set_session_error(SYNC_E_INVALID_OPERATION);
    assert_eq!(unsafe { state2.GetSessionErrorStatus(&mut error) }, S_OK);
    assert_eq!(error, SYNC_E_INVALID_OPERATION);
    assert_eq!(host.session_error(), Some(SYNC_E_INVALID_OPERATION));

    assert_eq!(
        unsafe { state2.GetSessionErrorStatus(std::ptr::null_mut()) },
        E_POINTER
    );
}

#[test]
fn is_canceled_follows_request_cancel() {
    let (host, state, _) = session();
    let mut canceled = BOOL::from(true);
    assert_eq!(unsafe { state.IsCanceled(&mut canceled) }, S_OK);
    assert!(!canceled.as_bool());
    host.request_cancel();
    assert!(host.is_canceled());
    assert_eq!(unsafe { state.IsCanceled(&mut canceled) }, S_OK);
    assert!(canceled.as_bool());
    assert_eq!(unsafe { state.IsCanceled(std::ptr::null_mut()) }, E_POINTER);
}

#[test]
fn query_interface_reaches_session_state2_on_the_same_object() {
    let (host, state, _) = session();
    let state2: ISyncSessionState2 = state.cast().unwrap();
    let identity = |unknown: IUnknown| unknown.as_raw();
    assert_eq!(
        identity(state.cast().unwrap()),
        identity(state2.cast().unwrap())
    );
    // Back again, and it is the host's object: what the host does is seen through both.
    let back: ISyncSessionState = state2.cast().unwrap();
    host.request_cancel();
    let mut canceled = BOOL::from(false);
    assert_eq!(unsafe { back.IsCanceled(&mut canceled) }, S_OK);
    assert!(canceled.as_bool());
    // ISyncSessionState2 derives from ISyncSessionState: its base methods work too.
    assert_eq!(unsafe { state2.IsCanceled(&mut canceled) }, S_OK);
}

#[test]
fn change_application_info_round_trips() {
    let (host, state, _) = session();
    // Nothing stored yet: zero bytes written.
    let mut buffer = [0xAAu8; 8];
    let mut size = buffer.len() as u32;
    assert_eq!(
        unsafe { state.GetInfoForChangeApplication(buffer.as_mut_ptr(), &mut size) },
        S_OK
    );
    assert_eq!(size, 0);
    assert_eq!(buffer, [0xAA; 8]);

    let info = [1u8, 2, 3, 4, 5];
    assert_eq!(
        unsafe { state.LoadInfoFromChangeApplication(info.as_ptr(), info.len() as u32) },
        S_OK
    );
    assert_eq!(host.change_applier_info(), info);

    // Too small: ERROR_MORE_DATA and the needed size, nothing written.
    let mut small = [0u8; 3];
    let mut size = small.len() as u32;
    let hr = unsafe { state.GetInfoForChangeApplication(small.as_mut_ptr(), &mut size) };
    assert_eq!(hr, HRESULT_MORE_DATA);
    assert_eq!(hr, HRESULT(0x8007_00EA_u32 as i32));
    assert_eq!(size, 5);
    assert_eq!(small, [0; 3]);

    // Large enough: the bytes and their number.
    let mut size = buffer.len() as u32;
    assert_eq!(
        unsafe { state.GetInfoForChangeApplication(buffer.as_mut_ptr(), &mut size) },
        S_OK
    );
    assert_eq!(size, 5);
    assert_eq!(buffer, [1, 2, 3, 4, 5, 0xAA, 0xAA, 0xAA]);
    // Exactly large enough.
    let mut exact = [0u8; 5];
    let mut size = 5;
    assert_eq!(
        unsafe { state.GetInfoForChangeApplication(exact.as_mut_ptr(), &mut size) },
        S_OK
    );
    assert_eq!(exact, info);

    // Null pointers: E_POINTER.
    assert_eq!(
        unsafe { state.GetInfoForChangeApplication(std::ptr::null_mut(), &mut size) },
        E_POINTER
    );
    assert_eq!(
        unsafe { state.GetInfoForChangeApplication(exact.as_mut_ptr(), std::ptr::null_mut()) },
        E_POINTER
    );
    assert_eq!(
        unsafe { state.LoadInfoFromChangeApplication(std::ptr::null(), 4) },
        E_POINTER
    );
    // A buffer with a zero size: E_INVALIDARG, and the stored data is kept.
    assert_eq!(
        unsafe { state.LoadInfoFromChangeApplication(info.as_ptr(), 0) },
        E_INVALIDARG
    );
    assert_eq!(host.change_applier_info(), info);

    // A later load replaces the data.
    assert_eq!(
        unsafe { state.LoadInfoFromChangeApplication([9u8].as_ptr(), 1) },
        S_OK
    );
    let mut size = buffer.len() as u32;
    assert_eq!(
        unsafe { state.GetInfoForChangeApplication(buffer.as_mut_ptr(), &mut size) },
        S_OK
    );
    assert_eq!((size, buffer[0]), (1, 9));
}

/// A variable-length ID in the `SYNC_ID` layout: its 2-byte size (counting itself), then
/// `data`.
fn sync_id(data: &[u8]) -> Vec<u8> {
    let total = u16::try_from(data.len() + 2).unwrap();
    total.to_le_bytes().iter().chain(data).copied().collect()
}

fn set_range(state: &ISyncSessionState, lower: &mut [u8], upper: &mut [u8]) -> HRESULT {
    let range = SYNC_RANGE {
        pbClosedLowerBound: lower.as_mut_ptr(),
        pbClosedUpperBound: upper.as_mut_ptr(),
    };
    unsafe { state.SetForgottenKnowledgeRecoveryRange(&range) }
}

/// `session-state.get-recovery-range-start.buffer-too-small` and
/// `session-state.get-recovery-range-end.buffer-too-small`: once the host gave the item ID
/// format, the range a provider set comes back with the `pcb` convention: MORE_DATA and the
/// size needed for a short buffer, the bytes and their count otherwise.
#[test]
fn the_recovery_range_comes_back_with_the_pcb_convention() {
    let (host, state, _) = session();
    host.set_item_id_format(IdFormat::variable(16));
    let (mut lower, mut upper) = (sync_id(&[1, 2]), sync_id(&[9; 10]));
    assert_eq!(
        set_range(&state, &mut lower.clone(), &mut upper.clone()),
        S_OK
    );
    assert_eq!(host.recovery_range(), Some((vec![1, 2], vec![9; 10])));
    type Getter = unsafe fn(&ISyncSessionState, *mut u8, *mut u32) -> HRESULT;
    let start: Getter = |s, b, n| unsafe { s.GetForgottenKnowledgeRecoveryRangeStart(b, n) };
    let end: Getter = |s, b, n| unsafe { s.GetForgottenKnowledgeRecoveryRangeEnd(b, n) };
    for (get, expected) in [(start, &mut lower), (end, &mut upper)] {
        let needed = u32::try_from(expected.len()).unwrap();
        let mut buffer = [0u8; 32];
        let mut size = needed - 1;
        assert_eq!(
            unsafe { get(&state, buffer.as_mut_ptr(), &mut size) },
            HRESULT_MORE_DATA
        );
        assert_eq!((size, buffer), (needed, [0; 32]), "the size, nothing else");
        let mut size = 32;
        assert_eq!(unsafe { get(&state, buffer.as_mut_ptr(), &mut size) }, S_OK);
        assert_eq!(&buffer[..size as usize], expected.as_slice());
    }
    // A fixed format: the bounds are the format's size.
    host.set_item_id_format(IdFormat::fixed(3));
    assert_eq!(
        host.recovery_range(),
        None,
        "a new format forgets the range"
    );
    let mut buffer = [0u8; 3];
    let mut size = 3;
    assert_eq!(
        unsafe { state.GetForgottenKnowledgeRecoveryRangeEnd(buffer.as_mut_ptr(), &mut size) },
        SYNC_E_INVALID_OPERATION,
        "no range set"
    );
    assert_eq!(set_range(&state, &mut [1, 2, 3], &mut [7, 8, 9]), S_OK);
    assert_eq!(
        unsafe { state.GetForgottenKnowledgeRecoveryRangeEnd(buffer.as_mut_ptr(), &mut size) },
        S_OK
    );
    assert_eq!((size, buffer), (3, [7, 8, 9]));
}

/// `session-state.set-recovery-range.id-format`: a variable-length ID whose `SYNC_ID` size is
/// outside the item ID format's bounds is SYNC_E_ID_FORMAT_MISMATCH, and no range is kept.
#[test]
fn a_recovery_range_outside_the_item_id_format_is_refused() {
    let (host, state, _) = session();
    host.set_item_id_format(IdFormat::variable(16));
    let mut good = sync_id(&[1]);
    let mut claims_40 = 40u16.to_le_bytes().to_vec();
    claims_40.extend([0; 14]);
    let mut claims_2 = sync_id(&[]);
    for (lower, upper) in [
        (&mut good.clone(), &mut claims_40),
        (&mut claims_2, &mut good),
    ] {
        assert_eq!(set_range(&state, lower, upper), SYNC_E_ID_FORMAT_MISMATCH);
    }
    assert_eq!(host.recovery_range(), None);
    let mut fits = sync_id(&[5; 14]);
    assert_eq!(set_range(&state, &mut good, &mut fits), S_OK);
    assert_eq!(host.recovery_range(), Some((vec![1], vec![5; 14])));
    // A NULL bound is a bad pointer.
    let range = SYNC_RANGE {
        pbClosedLowerBound: good.as_mut_ptr(),
        pbClosedUpperBound: std::ptr::null_mut(),
    };
    assert_eq!(
        unsafe { state.SetForgottenKnowledgeRecoveryRange(&range) },
        E_POINTER
    );
}

#[test]
fn recovery_range_methods_check_pointers_then_answer_not_implemented() {
    let (_host, state, _) = session();
    let mut buffer = [0u8; 4];
    let mut size = 4u32;
    assert_eq!(
        unsafe { state.GetForgottenKnowledgeRecoveryRangeStart(buffer.as_mut_ptr(), &mut size) },
        E_NOTIMPL
    );
    assert_eq!(
        unsafe { state.GetForgottenKnowledgeRecoveryRangeEnd(buffer.as_mut_ptr(), &mut size) },
        E_NOTIMPL
    );
    assert_eq!(
        unsafe { state.GetForgottenKnowledgeRecoveryRangeStart(std::ptr::null_mut(), &mut size) },
        E_POINTER
    );
    assert_eq!(
        unsafe {
            state.GetForgottenKnowledgeRecoveryRangeEnd(buffer.as_mut_ptr(), std::ptr::null_mut())
        },
        E_POINTER
    );
    let (mut low, mut high) = ([0u8; 4], [0xFFu8; 4]);
    let range = SYNC_RANGE {
        pbClosedLowerBound: low.as_mut_ptr(),
        pbClosedUpperBound: high.as_mut_ptr(),
    };
    assert_eq!(
        unsafe { state.SetForgottenKnowledgeRecoveryRange(&range) },
        E_NOTIMPL
    );
    assert_eq!(
        unsafe { state.SetForgottenKnowledgeRecoveryRange(std::ptr::null()) },
        E_POINTER
    );
    assert_eq!((buffer, size), ([0; 4], 4), "nothing written");
}

/// A COM interface pointer sent to another thread. `ISyncSessionState` is not `Send` in Rust
/// (a COM pointer's thread rules depend on the object), but `SessionState` is free-threaded,
/// so its raw pointer may be used from any thread while the test keeps a reference alive.
struct SendPtr(*mut core::ffi::c_void);

// SAFETY: the object behind the pointer is free-threaded (atomics and a mutex; its callback is
// a `CallbackObject` over a `Sync` recorder), and the main thread holds a reference until every
// thread is joined.
unsafe impl Send for SendPtr {}

#[test]
fn the_object_works_from_four_threads_at_once() {
    const THREADS: u32 = 4;
    const CALLS: u32 = 250;
    let (host, state, recorder) = session();
    host.begin_session();
    let threads: Vec<_> = (0..THREADS)
        .map(|thread| {
            let raw = SendPtr(state.as_raw());
            std::thread::spawn(move || {
                let raw = raw;
                // SAFETY: see `SendPtr`: the pointer stays valid until the join below.
                let state = unsafe { ISyncSessionState::from_raw_borrowed(&raw.0) }.unwrap();
                let state2: ISyncSessionState2 = state.cast().unwrap();
                let mut canceled = BOOL::default();
                for call in 0..CALLS {
                    let role = if thread % 2 == 0 {
                        SPR_SOURCE
                    } else {
                        SPR_DESTINATION
                    };
                    assert_eq!(
                        unsafe { state.OnProgress(role, SPS_CHANGE_APPLICATION, call, CALLS) },
                        if call == 13 { E_ACCESSDENIED } else { S_OK }
                    );
                    // Invalid calls in between raise nothing.
                    assert_eq!(
                        unsafe { state.OnProgress(role, 9, call, CALLS) },
                        E_INVALIDARG
                    );
                    assert_eq!(unsafe { state.IsCanceled(&mut canceled) }, S_OK);
                    assert_eq!(
                        unsafe { state2.SetProviderWithError(thread % 2 == 0) },
                        S_OK
                    );
                    let info = [thread as u8; 16];
                    assert_eq!(
                        unsafe { state.LoadInfoFromChangeApplication(info.as_ptr(), 16) },
                        S_OK
                    );
                    let mut out = [0u8; 16];
                    let mut size = 16;
                    assert_eq!(
                        unsafe { state.GetInfoForChangeApplication(out.as_mut_ptr(), &mut size) },
                        S_OK
                    );
                    // Some thread's whole write, never a mix.
                    assert_eq!(size, 16);
                    assert!(out.iter().all(|b| *b == out[0]) && u32::from(out[0]) < THREADS);
                }
            })
        })
        .collect();
    host.request_cancel();
    for thread in threads {
        thread.join().unwrap();
    }
    // Every valid call but the one failing (completed_work 13) per thread was recorded.
    let progress = recorder.callback().progress.lock().unwrap();
    assert_eq!(progress.len(), (THREADS * (CALLS - 1)) as usize);
    for role in [SyncProviderRole::Source, SyncProviderRole::Destination] {
        assert_eq!(
            progress.iter().filter(|p| p.0 == role).count(),
            (THREADS / 2 * (CALLS - 1)) as usize
        );
    }
    assert!(host.provider_with_error().is_some());
    assert!(host.is_canceled());
}
