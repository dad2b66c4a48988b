//! The provider's session as a small lock-free state machine: at most one session is
//! beginning, active or ending at any time, whatever the callers' threads do.
//!
//! ```text
//!            begin (CAS)              commit
//!   Idle ──────────────────▶ Beginning ──────▶ Active(role)
//!    ▲                          │                  │ end (CAS)
//!    │      rollback            │                  ▼
//!    ├──────────────────────────┘              Reading ──▶ back to Active (wrong value,
//!    │                                             │           or a clone for `current`)
//!    │                finish                       ▼
//!    │                                          Ending
//!    └─────────────────────────────────────────────┘
//! ```
//!
//! - Only the thread whose `begin` moved the cell out of `Idle` leaves `Beginning` (commit or
//!   rollback), so a failing Begin removes only its own session, and an `end` while a session
//!   is beginning is refused ([`EndError::Busy`]).
//! - Only the thread whose `end` moved the cell out of `Active` leaves `Ending`, after the
//!   provider's `end_session` ran, so no Begin succeeds while a session is ending.
//! - The slot holding the session's value (one owned reference to the session state) is
//!   written only by the owner of `Beginning` and taken only by the owner of `Ending` (or of a
//!   failed `Beginning`). Reading it — `end` comparing the value it was given, or
//!   [`SessionCell::current`] cloning it (the rare path: reporting a panic on the session
//!   state) — moves the cell from `Active` to `Reading` and back (or on to `Ending`), one
//!   reader at a time, so the value is never released while it is being read and an `end` with
//!   the wrong value never makes the right one fail: readers wait for each other, and
//!   everything else sees `Reading` as `Active`.
//!
//! The file is also compiled by the loom model test (`tests/tests/session_model.rs`) with
//! loom's atomics: it takes its atomics from `super::sync`.

use super::sync::{AtomicPtr, AtomicU32, Ordering, spin_loop};

/// A value the cell can hold in its slot as one raw pointer: a counted reference (a COM
/// interface pointer), of which the slot owns one count.
pub trait Handle: Sized {
    /// The handle's raw pointer (never null), ownership unchanged.
    fn as_raw(&self) -> *mut ();
    /// Takes ownership of one count of the reference behind `raw`.
    ///
    /// # Safety
    /// `raw` came from [`Handle::as_raw`], and the caller owns one count of it (from
    /// [`Handle::retain_raw`]), given up here.
    unsafe fn from_raw(raw: *mut ()) -> Self;
    /// A new owned handle to the value behind `raw`, which stays owned by the cell.
    ///
    /// # Safety
    /// `raw` came from [`Handle::as_raw`] and a count of it is still owned by the cell.
    unsafe fn clone_raw(raw: *mut ()) -> Self;
    /// Takes one more count of the reference behind `raw`, owned by the caller as `raw` (the
    /// default: a [`Handle::clone_raw`] forgotten); a handle type may count more directly.
    ///
    /// # Safety
    /// `raw` came from [`Handle::as_raw`] of a live handle.
    #[inline]
    unsafe fn retain_raw(raw: *mut ()) {
        // SAFETY: the caller's contract.
        core::mem::forget(unsafe { Self::clone_raw(raw) });
    }
    /// Releases one count of the reference behind `raw`, as dropping
    /// [`Handle::from_raw`]`(raw)` does (the default); a handle type may release more directly.
    ///
    /// # Safety
    /// As [`Handle::from_raw`].
    #[inline]
    unsafe fn release_raw(raw: *mut ()) {
        // SAFETY: the caller's contract.
        drop(unsafe { Self::from_raw(raw) });
    }
}

/// The session's role, as the cell records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// `SPR_SOURCE`.
    Source,
    /// `SPR_DESTINATION`.
    Destination,
}

/// Where the cell is, as [`SessionCell::phase`] reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// No session.
    Idle,
    /// A `begin` is running the provider's `begin_session`.
    Beginning,
    /// A session is active in this role.
    Active(Role),
    /// An `end` is running the provider's `end_session`.
    Ending,
}

const IDLE: u32 = 0;
const BEGINNING: u32 = 1;
const ENDING: u32 = 2;
const ACTIVE_SOURCE: u32 = 3;
const ACTIVE_DESTINATION: u32 = 4;
/// `Active` while [`SessionCell::current`] reads the slot: `ACTIVE_* + READING`.
const READING: u32 = 8;

fn active(role: Role) -> u32 {
    match role {
        Role::Source => ACTIVE_SOURCE,
        Role::Destination => ACTIVE_DESTINATION,
    }
}

/// Why `begin` was refused: another session is beginning, active or ending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Busy(pub Phase);

/// Why `end` was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndError {
    /// No session at all.
    NoSession,
    /// A session is beginning or already ending.
    Busy(Phase),
    /// The active session's value is not the one `end` was given; the session stays active.
    WrongSession,
}

/// The session cell (see the module docs). Aligned to a cache line of its own, so that the
/// implementation's data beside it never shares the line its atomics are on.
#[repr(align(64))]
pub struct SessionCell<T: Handle> {
    phase: AtomicU32,
    /// The session's value (one count owned) from `begin` until an `Ending` or a rolled-back
    /// `Beginning` releases it; afterwards a stale pointer (null before the first session),
    /// which counts only while the cell is active again (see the cell's `Drop`).
    slot: AtomicPtr<()>,
    _owns: core::marker::PhantomData<T>,
}

impl<T: Handle> Default for SessionCell<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Handle> SessionCell<T> {
    /// An idle cell.
    pub fn new() -> Self {
        Self {
            phase: AtomicU32::new(IDLE),
            slot: AtomicPtr::new(core::ptr::null_mut()),
            _owns: core::marker::PhantomData,
        }
    }

    /// Where the cell is now.
    pub fn phase(&self) -> Phase {
        decode(self.phase.load(Ordering::Acquire))
    }

    /// Starts a session holding a new reference to `value`: the caller runs the provider's
    /// `begin_session`, then [`Beginning::commit`]s, or drops the guard to roll back (the
    /// reference is released).
    ///
    /// # Errors
    /// [`Busy`] when a session is beginning, active or ending; no reference is kept.
    #[inline]
    pub fn begin(&self, value: &T) -> Result<Beginning<'_, T>, Busy> {
        let raw = value.as_raw();
        // SAFETY: `raw` is the live `value`'s pointer; the count taken is this session's.
        unsafe { T::retain_raw(raw) };
        if let Err(current) =
            self.phase
                .compare_exchange(IDLE, BEGINNING, Ordering::AcqRel, Ordering::Acquire)
        {
            // SAFETY: the count taken above, given back.
            return Err(unsafe { refuse::<T>(raw, current) });
        }
        self.slot.store(raw, Ordering::Release);
        Ok(Beginning { cell: self })
    }

    /// Ends the active session if `matches` accepts its value: the caller runs the provider's
    /// `end_session` while holding the returned [`Ending`], which releases the value and makes
    /// the cell idle when dropped.
    ///
    /// The usual case (the cell active, nobody reading it) is inline: one load, one
    /// compare-and-swap, `matches`, one store. Everything else (waiting for a reader, a phase
    /// changed under the compare-and-swap, no active session) is the out-of-line
    /// `end_slow`, with the same outcome.
    ///
    /// # Errors
    /// [`EndError::NoSession`], [`EndError::Busy`] (beginning or ending), or
    /// [`EndError::WrongSession`] when `matches` refuses the value (the session stays active).
    #[inline]
    pub fn end(&self, matches: impl FnOnce(&T) -> bool) -> Result<Ending<'_, T>, EndError> {
        if self.try_claim_reading() {
            self.end_reading(matches)?;
        } else {
            self.end_slow(matches)?;
        }
        Ok(Ending { cell: self })
    }

    /// [`Self::end`] when the first compare-and-swap did not claim the cell.
    #[cold]
    #[inline(never)]
    fn end_slow(&self, matches: impl FnOnce(&T) -> bool) -> Result<(), EndError> {
        if let Err(phase) = self.claim_reading() {
            return Err(match phase {
                Phase::Idle => EndError::NoSession,
                other => EndError::Busy(other),
            });
        }
        self.end_reading(matches)
    }

    /// The rest of [`Self::end`], with the cell `Reading`, claimed by this thread: `Ending`
    /// on success.
    #[inline(always)]
    fn end_reading(&self, matches: impl FnOnce(&T) -> bool) -> Result<(), EndError> {
        let raw = self.slot.load(Ordering::Acquire);
        // SAFETY: the cell is `Reading`, owned by this thread: the slot holds the value `begin`
        // stored, owned by the cell, and nobody else takes it meanwhile.
        let value = core::mem::ManuallyDrop::new(unsafe { T::from_raw(raw) });
        if !matches(&*value) {
            self.stop_reading();
            return Err(EndError::WrongSession);
        }
        // The value stays in the slot, `Ending`'s now; after `Ending` released it, the slot
        // keeps the stale pointer, which only counts while the cell is active (see `Drop`).
        self.phase.store(ENDING, Ordering::Release);
        Ok(())
    }

    /// Moves the cell from `Active` to `Reading` if it is active and nobody reads it: one load
    /// and one compare-and-swap. `false` leaves the cell as it was.
    #[inline(always)]
    fn try_claim_reading(&self) -> bool {
        let current = self.phase.load(Ordering::Acquire);
        matches!(current, ACTIVE_SOURCE | ACTIVE_DESTINATION)
            && self
                .phase
                .compare_exchange(
                    current,
                    current + READING,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                )
                .is_ok()
    }

    /// Moves the cell from `Active` to `Reading`, waiting while another thread reads; the
    /// phase that is not `Active` otherwise.
    fn claim_reading(&self) -> Result<(), Phase> {
        let mut current = self.phase.load(Ordering::Acquire);
        loop {
            match current {
                ACTIVE_SOURCE | ACTIVE_DESTINATION => {}
                IDLE | BEGINNING | ENDING => return Err(decode(current)),
                _ => {
                    // Another thread is reading: wait for it.
                    spin_loop();
                    current = self.phase.load(Ordering::Acquire);
                    continue;
                }
            }
            match self.phase.compare_exchange(
                current,
                current + READING,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Ok(()),
                Err(now) => current = now,
            }
        }
    }

    /// Moves the cell from `Reading`, claimed by this thread, back to `Active`. Only the
    /// reader changes a `Reading` phase (every other change is a compare-and-swap from another
    /// phase), so this thread's own load sees the state its claim stored.
    #[inline]
    fn stop_reading(&self) {
        let reading = self.phase.load(Ordering::Relaxed);
        self.phase.store(reading - READING, Ordering::Release);
    }

    /// A new handle to the active session's value, `None` when no session is active.
    pub fn current(&self) -> Option<T> {
        self.claim_reading().ok()?;
        let raw = self.slot.load(Ordering::Acquire);
        // SAFETY: the cell is `Reading`: the value `begin` stored stays in the slot, owned by
        // the cell, until this thread puts the cell back to `Active`.
        let value = unsafe { T::clone_raw(raw) };
        self.stop_reading();
        Some(value)
    }
}

impl<T: Handle> Drop for SessionCell<T> {
    fn drop(&mut self) {
        // Nobody else holds the cell now; the slot owns a value only while a session is active
        // (a session never ended).
        let active = matches!(self.phase(), Phase::Active(_));
        let raw = self.slot.load(Ordering::Acquire);
        if active && !raw.is_null() {
            // SAFETY: the value `begin` stored for the active session, owned by the cell.
            unsafe { T::release_raw(raw) };
        }
    }
}

/// `begin` refused: releases the count it took (out of line, with the decoding of the phase:
/// the refusal is not the path to make fast).
///
/// # Safety
/// As [`Handle::release_raw`].
#[cold]
#[inline(never)]
unsafe fn refuse<T: Handle>(raw: *mut (), current: u32) -> Busy {
    // SAFETY: the caller's contract.
    unsafe { T::release_raw(raw) };
    Busy(decode(current))
}

fn decode(phase: u32) -> Phase {
    match phase {
        IDLE => Phase::Idle,
        BEGINNING => Phase::Beginning,
        ENDING => Phase::Ending,
        p if p % READING == ACTIVE_SOURCE => Phase::Active(Role::Source),
        _ => Phase::Active(Role::Destination),
    }
}

/// A session being begun; dropping it without [`Beginning::commit`] rolls back.
pub struct Beginning<'a, T: Handle> {
    cell: &'a SessionCell<T>,
}

impl<T: Handle> Beginning<'_, T> {
    /// The provider began: the session is active in `role`.
    #[inline]
    pub fn commit(self, role: Role) {
        self.cell.phase.store(active(role), Ordering::Release);
        core::mem::forget(self);
    }
}

impl<T: Handle> Drop for Beginning<'_, T> {
    fn drop(&mut self) {
        let raw = self.cell.slot.load(Ordering::Acquire);
        self.cell.phase.store(IDLE, Ordering::Release);
        // SAFETY: stored by this session's `begin`; nobody else reads a beginning slot, and
        // an idle cell's slot owns nothing.
        unsafe { T::release_raw(raw) };
    }
}

/// A session being ended: owns its value (left in the slot) until dropped, then the cell is
/// idle.
pub struct Ending<'a, T: Handle> {
    cell: &'a SessionCell<T>,
}

impl<T: Handle> Drop for Ending<'_, T> {
    #[inline]
    fn drop(&mut self) {
        // Every reference the session held is released before another session can begin.
        let raw = self.cell.slot.load(Ordering::Acquire);
        // SAFETY: the value `begin` stored for the ending session: the cell is `Ending`, owned
        // by this guard, so nobody else reads or takes the slot; released here once.
        unsafe { T::release_raw(raw) };
        self.cell.phase.store(IDLE, Ordering::Release);
    }
}
