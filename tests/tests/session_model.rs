//! Model check of the provider's session state machine
//! (`runtime/src/framework/session_cell.rs`, compiled here with loom's atomics): every
//! interleaving of the threads below, within loom's preemption bound, keeps the promises of
//! `winsync::framework::provider`:
//!
//! - the implementation never sees two sessions at once (a begin's user code, the session, and
//!   an end's user code form one span that never overlaps another session's);
//! - a failing begin removes only its own session;
//! - an end racing its own begin is refused, and succeeds only for a committed session;
//! - every reference the cell took is released once, never used after release (also by a
//!   concurrent `current`, the panic-report path).
//!
//! Host-only: loom runs its threads as coroutines on stacks of its own, which Windows'
//! unwinder cannot walk (under Wine the test binary aborts with "failed to initiate panic");
//! the state machine is plain Rust and the same on every target, and the stress test of
//! `provider_races.rs` runs on both legs.
#![cfg(not(windows))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod sync {
    pub use loom::hint::spin_loop;
    pub use loom::sync::atomic::{AtomicPtr, AtomicU32, Ordering};
}

#[path = "../../runtime/src/framework/session_cell.rs"]
#[allow(dead_code, unreachable_pub)]
mod session_cell;

use loom::sync::Arc;
use loom::sync::atomic::{AtomicU32, Ordering};
use loom::thread;
use session_cell::{EndError, Handle, Phase, Role, SessionCell};

/// A session state stand-in: a counted reference to a token that records its references and
/// fails the test on any use after its last release.
struct Token(&'static TokenState);

struct TokenState {
    id: u32,
    refs: AtomicU32,
}

impl Token {
    fn new(id: u32) -> Self {
        let state = Box::leak(Box::new(TokenState {
            id,
            refs: AtomicU32::new(1),
        }));
        Self(state)
    }
    fn refs(&self) -> u32 {
        self.0.refs.load(Ordering::SeqCst)
    }
}

impl Clone for Token {
    fn clone(&self) -> Self {
        let before = self.0.refs.fetch_add(1, Ordering::SeqCst);
        assert!(
            before > 0,
            "token {} used after its last release",
            self.0.id
        );
        Self(self.0)
    }
}

impl Drop for Token {
    fn drop(&mut self) {
        let before = self.0.refs.fetch_sub(1, Ordering::SeqCst);
        assert!(before > 0, "token {} released twice", self.0.id);
    }
}

impl Handle for Token {
    fn as_raw(&self) -> *mut () {
        std::ptr::from_ref(self.0).cast_mut().cast()
    }
    unsafe fn from_raw(raw: *mut ()) -> Self {
        // SAFETY: `raw` came from `as_raw` of a leaked `TokenState`.
        Self(unsafe { &*raw.cast::<TokenState>() })
    }
    unsafe fn clone_raw(raw: *mut ()) -> Self {
        // SAFETY: as above; the reference stays owned by the cell.
        let borrowed = std::mem::ManuallyDrop::new(unsafe { Self::from_raw(raw) });
        Token::clone(&borrowed)
    }
}

/// What the "user code" of the provider saw: the sessions open in it at once.
struct Provider {
    cell: SessionCell<Token>,
    open: AtomicU32,
}

impl Provider {
    fn new() -> Self {
        Self {
            cell: SessionCell::new(),
            open: AtomicU32::new(0),
        }
    }

    /// BeginSession: the user's `begin_session` runs (and succeeds or fails) between
    /// `begin` and `commit`.
    fn begin(&self, token: &Token, role: Role, succeed: bool) -> bool {
        let Ok(beginning) = self.cell.begin(token) else {
            return false;
        };
        let others = self.open.fetch_add(1, Ordering::SeqCst);
        assert_eq!(
            others, 0,
            "begin_session ran while another session was open"
        );
        if succeed {
            beginning.commit(role);
            true
        } else {
            self.open.fetch_sub(1, Ordering::SeqCst);
            drop(beginning);
            false
        }
    }

    /// EndSession: the user's `end_session` runs while the `Ending` guard is held.
    fn end(&self, token: &Token) -> Result<(), EndError> {
        let ending = self.cell.end(|held| held.0.id == token.0.id)?;
        assert_eq!(
            self.open.load(Ordering::SeqCst),
            1,
            "end_session ran without its session open"
        );
        self.open.fetch_sub(1, Ordering::SeqCst);
        drop(ending);
        Ok(())
    }
}

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(3);
    builder.check(f);
}

#[test]
fn two_callers_never_open_two_sessions() {
    model(|| {
        let provider = Arc::new(Provider::new());
        let (a, b) = (Token::new(1), Token::new(2));
        let threads: Vec<_> = [(a.clone(), Role::Source), (b.clone(), Role::Destination)]
            .into_iter()
            .map(|(token, role)| {
                let provider = provider.clone();
                thread::spawn(move || {
                    if provider.begin(&token, role, true) {
                        provider.end(&token).expect("the session it began ends");
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(provider.cell.phase(), Phase::Idle);
        assert_eq!(
            (a.refs(), b.refs()),
            (1, 1),
            "every session's reference released"
        );
    });
}

#[test]
fn a_failing_begin_removes_only_its_own_session() {
    model(|| {
        let provider = Arc::new(Provider::new());
        let (a, b) = (Token::new(1), Token::new(2));
        let failing = {
            let (provider, a) = (provider.clone(), a.clone());
            thread::spawn(move || {
                assert!(!provider.begin(&a, Role::Source, false));
                // Its own session is gone: ending it is refused.
                assert!(provider.end(&a).is_err());
            })
        };
        let other = {
            let (provider, b) = (provider.clone(), b.clone());
            thread::spawn(move || provider.begin(&b, Role::Destination, true))
        };
        failing.join().unwrap();
        let began = other.join().unwrap();
        if began {
            // The other session survived the failing begin, and ends normally.
            assert_eq!(provider.cell.phase(), Phase::Active(Role::Destination));
            provider.end(&b).unwrap();
        }
        assert_eq!(provider.cell.phase(), Phase::Idle);
        assert_eq!((a.refs(), b.refs()), (1, 1));
    });
}

#[test]
fn an_end_racing_its_own_begin_is_refused_until_the_session_is_committed() {
    model(|| {
        let provider = Arc::new(Provider::new());
        let a = Token::new(1);
        let committed = Arc::new(AtomicU32::new(0));
        let beginner = {
            let (provider, a, committed) = (provider.clone(), a.clone(), committed.clone());
            thread::spawn(move || {
                assert!(provider.begin(&a, Role::Source, true));
                committed.store(1, Ordering::SeqCst);
            })
        };
        let ender = {
            let (provider, a) = (provider.clone(), a.clone());
            thread::spawn(move || provider.end(&a))
        };
        beginner.join().unwrap();
        match ender.join().unwrap() {
            Ok(()) => assert_eq!(provider.cell.phase(), Phase::Idle),
            Err(EndError::NoSession | EndError::Busy(Phase::Beginning)) => {
                assert_eq!(committed.load(Ordering::SeqCst), 1);
                provider.end(&a).unwrap();
            }
            Err(other) => panic!("unexpected {other:?}"),
        }
        assert_eq!(a.refs(), 1);
    });
}

#[test]
fn a_wrong_session_state_leaves_the_session_active() {
    model(|| {
        let provider = Arc::new(Provider::new());
        let (a, stranger) = (Token::new(1), Token::new(2));
        assert!(provider.begin(&a, Role::Source, true));
        let wrong = {
            let (provider, stranger) = (provider.clone(), stranger.clone());
            thread::spawn(move || provider.end(&stranger))
        };
        let right = {
            let (provider, a) = (provider.clone(), a.clone());
            thread::spawn(move || provider.end(&a))
        };
        let wrong = wrong.join().unwrap();
        let right = right.join().unwrap();
        // The wrong end is refused (or finds the session already gone); the right one always
        // succeeds, whatever the wrong one was doing meanwhile.
        assert!(
            matches!(
                wrong,
                Err(EndError::WrongSession | EndError::Busy(Phase::Ending) | EndError::NoSession)
            ),
            "{wrong:?}"
        );
        assert_eq!(right, Ok(()));
        assert_eq!(provider.cell.phase(), Phase::Idle);
        assert_eq!((a.refs(), stranger.refs()), (1, 1));
    });
}

#[test]
fn reading_the_session_never_outlives_its_release() {
    model(|| {
        let provider = Arc::new(Provider::new());
        let a = Token::new(1);
        assert!(provider.begin(&a, Role::Destination, true));
        let reader = {
            let provider = provider.clone();
            thread::spawn(move || {
                if let Some(held) = provider.cell.current() {
                    assert_eq!(held.0.id, 1);
                }
            })
        };
        provider.end(&a).unwrap();
        reader.join().unwrap();
        assert_eq!(a.refs(), 1);
        assert_eq!(provider.cell.current().map(|t| t.0.id), None);
    });
}
