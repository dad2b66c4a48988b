//! The scratch folder windows-bindgen writes its file into. It lives in the temporary folder as
//! `winsync-gen-scratch-*` and holds a lock file for the run: a run that was killed leaves its
//! folder behind, unlocked (the OS releases a dead process's locks), and the next run removes it.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::error::{Error, Result};

const PREFIX: &str = "winsync-gen-scratch-";
const LOCK: &str = ".lock";
/// A folder without a lock file is being created, or was left by a run killed in the
/// instant between creating it and locking it: removed once this old.
const UNLOCKED_GRACE: Duration = Duration::from_secs(600);

/// A scratch folder, locked while it lives and removed when dropped.
pub struct Scratch {
    // Dropped first: the lock file is closed before the folder is removed (Windows cannot
    // remove an open file).
    _lock: File,
    dir: tempfile::TempDir,
}

impl Scratch {
    /// Removes the folders of killed runs in `parent`, then creates and locks a new one.
    ///
    /// # Errors
    /// [`Error::Io`] naming the folder or lock file that could not be created or locked.
    pub fn new_in(parent: &Path) -> Result<Self> {
        sweep(parent);
        let dir = tempfile::Builder::new()
            .prefix(PREFIX)
            .tempdir_in(parent)
            .map_err(|e| Error::io(parent, e))?;
        let lock_path = dir.path().join(LOCK);
        let lock = File::create(&lock_path).map_err(|e| Error::io(&lock_path, e))?;
        lock.lock().map_err(|e| Error::io(&lock_path, e))?;
        Ok(Self { _lock: lock, dir })
    }

    /// [`Self::new_in`] the system's temporary folder.
    ///
    /// # Errors
    /// As [`Self::new_in`].
    pub fn new() -> Result<Self> {
        Self::new_in(&std::env::temp_dir())
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// Removes scratch folders whose run is gone. Best effort: a folder that cannot be read or
/// removed is left for a later run.
fn sweep(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    let stale: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.file_name().to_string_lossy().starts_with(PREFIX))
        .map(|entry| entry.path())
        .filter(|dir| is_abandoned(dir))
        .collect();
    for dir in stale {
        let _ignored = std::fs::remove_dir_all(&dir);
    }
}

fn is_abandoned(dir: &Path) -> bool {
    match File::open(dir.join(LOCK)) {
        // The lock is free: its run ended without removing the folder.
        Ok(lock) => lock.try_lock().is_ok(),
        Err(_) => std::fs::metadata(dir)
            .and_then(|meta| meta.modified())
            .ok()
            .and_then(|modified| SystemTime::now().duration_since(modified).ok())
            .is_some_and(|age| age > UNLOCKED_GRACE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_killed_runs_folder_is_removed_and_a_live_one_kept() {
        let parent = tempfile::tempdir().expect("a temporary folder");
        // A killed run: its lock file exists, nobody holds it.
        let killed = parent.path().join(format!("{PREFIX}killed"));
        std::fs::create_dir(&killed).expect("created");
        std::fs::write(killed.join(LOCK), b"").expect("created");
        std::fs::write(killed.join("bindings.rs"), b"// cut off").expect("created");
        // A live run.
        let live = Scratch::new_in(parent.path()).expect("a scratch folder");
        // A folder just being created, without its lock file yet.
        let fresh = parent.path().join(format!("{PREFIX}fresh"));
        std::fs::create_dir(&fresh).expect("created");
        // Someone else's folder.
        let other = parent.path().join("other");
        std::fs::create_dir(&other).expect("created");

        let next = Scratch::new_in(parent.path()).expect("a second scratch folder");
        assert!(!killed.exists(), "the killed run's folder is removed");
        assert!(live.path().exists(), "the live run's folder is kept");
        assert!(fresh.exists(), "a folder being created is kept");
        assert!(other.exists(), "other folders are not touched");
        let (live_path, next_path) = (live.path().to_path_buf(), next.path().to_path_buf());
        drop(live);
        drop(next);
        assert!(
            !live_path.exists() && !next_path.exists(),
            "removed when dropped"
        );
    }
}
