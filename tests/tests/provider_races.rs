//! The provider session under concurrent callers, through the real vtables:
//!
//! - the two sequences that let user code see two sessions at once when the session was a
//!   mutex-guarded slot, replayed deterministically (user code blocked at the right moment);
//! - a stress run: 8 threads, each with its own session state, begin and end sessions on one
//!   provider, some begins failing in user code, some ends with the wrong session state. User
//!   code must never see two sessions open, every successful BeginSession is matched by
//!   exactly one successful EndSession of the same thread, and every reference is released.
//!
//! The stress run makes `WINSYNC_STRESS_ROUNDS` rounds per thread (default 2,000). The
//! documented long run: `WINSYNC_STRESS_ROUNDS=100000 cargo test --release -p winsync-tests
//! --test provider_races`.
// Test helpers fail loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

use windows_core::{ComObject, HRESULT, IUnknown, Interface, Result};
use winsync::DerivedProvider;
use winsync::bindings::*;
use winsync::framework::conformance::refcount;
use winsync::framework::session_cell::Phase;
use winsync::framework::session_state::SessionState;
use winsync::hresults::SYNC_E_INVALID_OPERATION;
use winsync::skeletons::*;

/// A gate user code can wait at: the test learns that user code arrived, then lets it go.
#[derive(Default)]
struct Gate {
    arrived: Mutex<Option<Sender<()>>>,
    release: Mutex<Option<Receiver<()>>>,
}

impl Gate {
    /// Arms the gate: returns (arrived, release) ends for the test.
    fn arm(&self) -> (Receiver<()>, Sender<()>) {
        let (arrived_tx, arrived_rx) = channel();
        let (release_tx, release_rx) = channel();
        *self.arrived.lock().unwrap() = Some(arrived_tx);
        *self.release.lock().unwrap() = Some(release_rx);
        (arrived_rx, release_tx)
    }

    /// Waits here if armed (once).
    fn pass(&self) {
        let arrived = self.arrived.lock().unwrap().take();
        if let Some(arrived) = arrived {
            arrived.send(()).unwrap();
            let release = self.release.lock().unwrap().take().unwrap();
            release.recv().unwrap();
        }
    }
}

/// What user code saw; how it behaves.
#[derive(Default)]
struct Watch {
    /// Sessions open in user code: between a begin_session's start and its failure, or the
    /// matching end_session's end.
    open: AtomicUsize,
    /// Times user code found another session open when one began.
    overlaps: AtomicUsize,
    begins: AtomicUsize,
    ends: AtomicUsize,
    /// Every `fail_every`-th begin fails (0: never).
    fail_every: usize,
    in_begin: Gate,
    in_end: Gate,
    fail_next_begin: AtomicBool,
}

#[derive(winsync::SyncProvider)]
struct Watched(Arc<Watch>);

impl SyncProvider for Watched {
    fn get_id_parameters(&self, _: &mut ID_PARAMETERS) -> Result<()> {
        Ok(())
    }
}

impl KnowledgeSyncProvider for Watched {
    fn begin_session(&self, _: SyncProviderRole, _: &ISyncSessionState) -> Result<()> {
        let watch = &self.0;
        if watch.open.fetch_add(1, Ordering::SeqCst) != 0 {
            watch.overlaps.fetch_add(1, Ordering::SeqCst);
        }
        let n = watch.begins.fetch_add(1, Ordering::SeqCst) + 1;
        watch.in_begin.pass();
        std::hint::spin_loop();
        let fail = watch.fail_next_begin.swap(false, Ordering::SeqCst)
            || (watch.fail_every != 0 && n.is_multiple_of(watch.fail_every));
        if fail {
            watch.open.fetch_sub(1, Ordering::SeqCst);
            return Err(E_FAIL.into());
        }
        Ok(())
    }
    fn get_sync_batch_parameters(&self, _: &mut u32) -> Result<ISyncKnowledge> {
        Err(E_NOTIMPL.into())
    }
    fn get_change_batch(&self, _: u32, _: &ISyncKnowledge) -> Result<(ISyncChangeBatch, IUnknown)> {
        Err(E_NOTIMPL.into())
    }
    fn process_change_batch(
        &self,
        _: ConflictResolutionPolicy,
        _: &ISyncChangeBatch,
        _: &IUnknown,
        _: &ISyncCallback,
        _: &mut SYNC_SESSION_STATISTICS,
    ) -> Result<()> {
        Err(E_NOTIMPL.into())
    }
    fn end_session(&self, _: &ISyncSessionState) -> Result<()> {
        let watch = &self.0;
        watch.in_end.pass();
        watch.ends.fetch_add(1, Ordering::SeqCst);
        watch.open.fetch_sub(1, Ordering::SeqCst);
        Ok(())
    }
}

fn state() -> ISyncSessionState {
    SessionState::new(None).to_interface()
}

fn begin(provider: &IKnowledgeSyncProvider, state: &ISyncSessionState) -> HRESULT {
    unsafe { (provider.vtable().BeginSession)(provider.as_raw(), SPR_SOURCE, state.as_raw()) }
}

fn end(provider: &IKnowledgeSyncProvider, state: &ISyncSessionState) -> HRESULT {
    unsafe { (provider.vtable().EndSession)(provider.as_raw(), state.as_raw()) }
}

/// An interface pointer handed to another thread: the provider object is free-threaded.
#[derive(Clone, Copy)]
struct Shared(*mut core::ffi::c_void);
unsafe impl Send for Shared {}
impl Shared {
    fn of(interface: &impl Interface) -> Self {
        Self(interface.as_raw())
    }
    fn provider(&self) -> &IKnowledgeSyncProvider {
        unsafe { IKnowledgeSyncProvider::from_raw_borrowed(&self.0) }.unwrap()
    }
    fn state(&self) -> &ISyncSessionState {
        unsafe { ISyncSessionState::from_raw_borrowed(&self.0) }.unwrap()
    }
}

#[test]
fn no_begin_while_the_previous_session_is_ending() {
    let watch = Arc::new(Watch::default());
    let object = Watched(watch.clone()).into_object();
    let provider: IKnowledgeSyncProvider = object.to_interface();
    let (s1, s2) = (state(), state());
    assert_eq!(begin(&provider, &s1), S_OK);
    let (arrived, release) = watch.in_end.arm();
    std::thread::scope(|scope| {
        let (p, s) = (Shared::of(&provider), Shared::of(&s1));
        let ending = scope.spawn(move || end(p.provider(), s.state()));
        arrived.recv().unwrap(); // end_session is running
        assert_eq!(object.session_phase(), Phase::Ending);
        assert_eq!(begin(&provider, &s2), SYNC_E_INVALID_OPERATION);
        assert_eq!(
            end(&provider, &s1),
            SYNC_E_INVALID_OPERATION,
            "already ending"
        );
        release.send(()).unwrap();
        assert_eq!(ending.join().unwrap(), S_OK);
    });
    assert_eq!(watch.overlaps.load(Ordering::SeqCst), 0);
    assert_eq!(watch.begins.load(Ordering::SeqCst), 1);
    // Now the next session can begin, and ends normally.
    assert_eq!(begin(&provider, &s2), S_OK);
    assert_eq!(end(&provider, &s2), S_OK);
}

#[test]
fn a_failing_begin_removes_only_its_own_session_and_an_end_racing_it_is_refused() {
    let watch = Arc::new(Watch::default());
    let object = Watched(watch.clone()).into_object();
    let provider: IKnowledgeSyncProvider = object.to_interface();
    let (s1, s3) = (state(), state());
    let baseline = (refcount(&s1), refcount(&s3));
    watch.fail_next_begin.store(true, Ordering::SeqCst);
    let (arrived, release) = watch.in_begin.arm();
    std::thread::scope(|scope| {
        let (p, s) = (Shared::of(&provider), Shared::of(&s1));
        let beginning = scope.spawn(move || begin(p.provider(), s.state()));
        arrived.recv().unwrap(); // S1's begin_session is running, and will fail
        assert_eq!(object.session_phase(), Phase::Beginning);
        assert_eq!(
            end(&provider, &s1),
            SYNC_E_INVALID_OPERATION,
            "EndSession racing its own Begin"
        );
        assert_eq!(
            begin(&provider, &s3),
            SYNC_E_INVALID_OPERATION,
            "another session is beginning"
        );
        release.send(()).unwrap();
        assert_eq!(beginning.join().unwrap(), E_FAIL);
    });
    assert_eq!(object.session_phase(), Phase::Idle);
    // S3 can begin now; S1's failure does not touch it.
    assert_eq!(begin(&provider, &s3), S_OK);
    assert_eq!(end(&provider, &s1), SYNC_E_INVALID_OPERATION);
    assert_eq!(object.session_role(), Some(SyncProviderRole::Source));
    assert_eq!(end(&provider, &s3), S_OK);
    assert_eq!(
        watch.ends.load(Ordering::SeqCst),
        1,
        "end_session ran for S3"
    );
    assert_eq!((refcount(&s1), refcount(&s3)), baseline);
    assert_eq!(watch.overlaps.load(Ordering::SeqCst), 0);
}

#[test]
fn eight_threads_never_open_two_sessions() {
    const THREADS: usize = 8;
    let rounds: usize = std::env::var("WINSYNC_STRESS_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let watch = Arc::new(Watch {
        fail_every: 7,
        ..Watch::default()
    });
    let object: ComObject<_> = Watched(watch.clone()).into_object();
    let provider: IKnowledgeSyncProvider = object.to_interface();
    let states: Vec<ISyncSessionState> = (0..THREADS).map(|_| state()).collect();
    let baselines: Vec<u32> = states.iter().map(refcount).collect();
    let (begun, ended, refused) = (
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
    );
    std::thread::scope(|scope| {
        for (index, state) in states.iter().enumerate() {
            let (p, s, stranger) = (
                Shared::of(&provider),
                Shared::of(state),
                Shared::of(&states[(index + 1) % THREADS]),
            );
            let (begun, ended, refused) = (&begun, &ended, &refused);
            scope.spawn(move || {
                let (provider, state, stranger) = (p.provider(), s.state(), stranger.state());
                for round in 0..rounds {
                    match begin(provider, state) {
                        hr if hr == S_OK => {
                            begun.fetch_add(1, Ordering::Relaxed);
                            if round % 5 == 0 {
                                // Another thread's state never ends this thread's session.
                                let hr = end(provider, stranger);
                                assert_eq!(hr, SYNC_E_INVALID_OPERATION);
                            }
                            assert_eq!(end(provider, state), S_OK, "its own session ends");
                            ended.fetch_add(1, Ordering::Relaxed);
                        }
                        hr if hr == E_FAIL => {} // user code failed: no session
                        hr => {
                            assert_eq!(hr, SYNC_E_INVALID_OPERATION);
                            refused.fetch_add(1, Ordering::Relaxed);
                            assert_eq!(end(provider, state), SYNC_E_INVALID_OPERATION);
                        }
                    }
                }
            });
        }
    });
    assert_eq!(
        watch.overlaps.load(Ordering::SeqCst),
        0,
        "user code saw two sessions"
    );
    let (begun, ended) = (begun.load(Ordering::SeqCst), ended.load(Ordering::SeqCst));
    assert_eq!(begun, ended);
    assert!(
        begun > 0 && refused.load(Ordering::SeqCst) > 0,
        "the threads did race"
    );
    assert_eq!(watch.ends.load(Ordering::SeqCst), ended);
    assert_eq!(watch.open.load(Ordering::SeqCst), 0);
    assert_eq!(object.session_phase(), Phase::Idle);
    for (state, baseline) in states.iter().zip(baselines) {
        assert_eq!(refcount(state), baseline, "every reference released");
    }
}
