//! The module-wide count of live COM objects and server locks behind an in-process server's
//! `DllCanUnloadNow` (`NF:combaseapi.DllCanUnloadNow`, `NF:unknwn.IClassFactory.LockServer`).
//!
//! The count is per module: each DLL (or executable) that links this crate has its own. Every
//! COM object this crate hands out of a DLL holds an [`ObjectGuard`], dropped with the object,
//! so the count follows the objects' real lifetimes whoever releases them last.

use std::sync::atomic::{AtomicUsize, Ordering};

use windows_core::{Error, HRESULT, Result};

use crate::bindings::{E_UNEXPECTED, S_FALSE, S_OK};

/// Live objects of this module (handler objects made by a [`ClassFactory`], class factories,
/// and anything else holding an [`ObjectGuard`]).
static OBJECTS: AtomicUsize = AtomicUsize::new(0);
/// `IClassFactory::LockServer(TRUE)` calls not yet balanced by `LockServer(FALSE)`.
static LOCKS: AtomicUsize = AtomicUsize::new(0);

/// The number of live objects of this module (see [`ObjectGuard`]).
pub fn object_count() -> usize {
    OBJECTS.load(Ordering::SeqCst)
}

/// The number of server locks held (`IClassFactory::LockServer`).
pub fn lock_count() -> usize {
    LOCKS.load(Ordering::SeqCst)
}

/// What `DllCanUnloadNow` answers: `S_OK` when no object of this module is alive and no lock
/// is held, `S_FALSE` otherwise (`NF:combaseapi.DllCanUnloadNow`).
pub fn can_unload_now() -> HRESULT {
    if object_count() == 0 && lock_count() == 0 {
        S_OK
    } else {
        S_FALSE
    }
}

/// Takes (`lock = true`) or releases one server lock, as `IClassFactory::LockServer` does
/// (`NF:unknwn.IClassFactory.LockServer`).
///
/// # Errors
/// `E_UNEXPECTED` when releasing a lock that is not held; the count stays at zero.
pub fn lock_server(lock: bool) -> Result<()> {
    if lock {
        LOCKS.fetch_add(1, Ordering::SeqCst);
        return Ok(());
    }
    LOCKS
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .map(drop)
        .map_err(|_| {
            Error::new(
                E_UNEXPECTED,
                "LockServer(FALSE) without a matching LockServer(TRUE)",
            )
        })
}

/// One live object of this module, for [`can_unload_now`]: counted from [`ObjectGuard::new`]
/// until the guard is dropped. Keep one in every COM object the module hands out.
#[derive(Debug)]
pub struct ObjectGuard(());

impl ObjectGuard {
    /// Counts one more live object.
    pub fn new() -> Self {
        OBJECTS.fetch_add(1, Ordering::SeqCst);
        Self(())
    }
}

impl Default for ObjectGuard {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for ObjectGuard {
    fn drop(&mut self) {
        OBJECTS.fetch_sub(1, Ordering::SeqCst);
    }
}
