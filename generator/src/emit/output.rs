//! Writing the generated files into the output folder so that a reader never sees a mix:
//!
//! - the run holds an exclusive lock for the folder for as long as it writes
//!   (`std::fs::File::lock` on `winsync-gen-<hash of the folder's path>.lock` in the temporary
//!   folder, so that the output folder holds only generated files): a second run into the same
//!   folder waits for the first; the operating system releases the lock of a run that was
//!   killed;
//! - each file is written to a temporary file in the folder, then renamed over the old one, so
//!   a file is either the previous run's or this run's, never cut off (an out-of-space error
//!   leaves the previous file and removes the temporary one);
//! - a generated file this run did not produce (`skeletons.rs` of a selection that has none)
//!   is removed, and only if it carries the generator's `@generated` header: files of yours
//!   are never touched;
//! - an unchanged file is not rewritten (its modification time stays, for build scripts).

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The lock file of an output folder: in the temporary folder, named by a hash (FNV-1a) of
/// the folder's canonical path.
pub fn lock_path(dir: &Path) -> PathBuf {
    let canonical = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in canonical.to_string_lossy().bytes() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    std::env::temp_dir().join(format!("winsync-gen-{hash:016x}.lock"))
}

/// Every file name a run can produce: those of a run that does not produce them are stale.
pub const ALL_OUTPUTS: [&str; 6] = [
    "mod.rs",
    "bindings.rs",
    "hresults.rs",
    "contracts.rs",
    "skeletons.rs",
    "CONTRACTS.md",
];

/// The marker every generated file carries in its first lines.
const GENERATED_MARKER: &str = "@generated";

/// What writing did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Written {
    /// Files written (new or changed).
    pub written: Vec<PathBuf>,
    /// Stale generated files removed.
    pub removed: Vec<PathBuf>,
}

/// Writes `files` (name, contents) into `dir` (see the module docs).
///
/// # Errors
/// [`Error::Io`] naming the folder or file: `dir` is a file, the folder cannot be created or
/// locked, a file cannot be written or renamed into place.
pub fn write_all(dir: &Path, files: &[(&str, &str)]) -> Result<Written> {
    if dir.exists() && !dir.is_dir() {
        return Err(Error::io(
            dir,
            std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "--out names a file, not a folder",
            ),
        ));
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let lock_path = lock_path(dir);
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| Error::io(&lock_path, e))?;
    lock.lock().map_err(|e| Error::io(&lock_path, e))?;

    let mut done = Written::default();
    for (name, contents) in files {
        let path = dir.join(name);
        if std::fs::read(&path).is_ok_and(|existing| existing == contents.as_bytes()) {
            continue;
        }
        replace(dir, &path, contents.as_bytes())?;
        done.written.push(path);
    }
    for name in ALL_OUTPUTS {
        if files.iter().any(|(n, _)| *n == name) {
            continue;
        }
        let path = dir.join(name);
        if is_generated(&path) {
            std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
            done.removed.push(path);
        }
    }
    // The lock goes with the file handle; the lock file itself stays, outside the output
    // folder (removing it while another run waits on it would let a third run in beside the
    // second).
    drop(lock);
    Ok(done)
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`.
pub(crate) fn replace(dir: &Path, path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| -> std::io::Result<()> {
        let mut file = File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()
    })();
    if let Err(error) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(Error::io(path, error));
    }
    std::fs::rename(&temporary, path).map_err(|e| {
        let _ = std::fs::remove_file(&temporary);
        Error::io(path, e)
    })
}

/// Whether `path` is a file the generator wrote: its first lines carry the marker.
fn is_generated(path: &Path) -> bool {
    std::fs::read(path).is_ok_and(|bytes| {
        let head = &bytes[..bytes.len().min(512)];
        String::from_utf8_lossy(head)
            .lines()
            .take(5)
            .any(|line| line.contains(GENERATED_MARKER))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_replaced_whole_and_stale_generated_files_go() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let first = write_all(
            &out,
            &[
                ("mod.rs", "// @generated\nA"),
                ("skeletons.rs", "// @generated\nS"),
            ],
        )
        .unwrap();
        assert_eq!(first.written.len(), 2);
        std::fs::write(out.join("hresults.rs"), "// mine, no marker\n").unwrap();
        // A run without skeletons: the old generated skeletons.rs goes, the user's file stays.
        let second = write_all(&out, &[("mod.rs", "// @generated\nA")]).unwrap();
        assert!(
            second.written.is_empty(),
            "unchanged files are not rewritten"
        );
        assert_eq!(second.removed, [out.join("skeletons.rs")]);
        assert!(out.join("hresults.rs").exists());
        // No temporary file is left.
        let names: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names
                .iter()
                .all(|n| !n.ends_with(".tmp") && !n.ends_with(".lock")),
            "{names:?}"
        );
    }

    #[test]
    fn an_output_that_is_a_file_is_refused_clearly() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("out.rs");
        std::fs::write(&file, "x").unwrap();
        let error = write_all(&file, &[("mod.rs", "x")])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("out.rs") && error.contains("names a file"),
            "{error}"
        );
    }

    #[test]
    fn a_second_run_waits_for_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().to_path_buf();
        std::fs::create_dir_all(&out).unwrap();
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(lock_path(&out))
            .unwrap();
        lock.lock().unwrap();
        let writer = {
            let out = out.clone();
            std::thread::spawn(move || write_all(&out, &[("mod.rs", "// @generated\nB")]))
        };
        std::thread::sleep(std::time::Duration::from_millis(200));
        assert!(
            !out.join("mod.rs").exists(),
            "the second run wrote while the first held the lock"
        );
        drop(lock);
        writer.join().unwrap().unwrap();
        assert!(out.join("mod.rs").exists());
    }
}
