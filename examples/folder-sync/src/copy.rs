//! What the handler does with its folders: listing the source's files as items, and copying
//! one file chunk by chunk with progress, cancellation and error events.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use windows_core::{GUID, Result};
use winsync::bindings::{FILETIME, SYNCMGR_EF_NONE};
use winsync::skeletons::{SyncmgrCancelRequest, SyncmgrEventLevel, SyncmgrProgressStatus};
use winsync::sync_center::session::{
    Continue, MAX_ITEM_ID_CHARS, MAX_PROGRESS_TEXT_CHARS, SyncSession,
};

use crate::{
    CHUNK_BYTES, Copied, FILETIME_UNIX_EPOCH, FolderSync, ItemEnd, Items, MAX_NAME_CHARS,
    SkipReason, Skipped,
};

impl FolderSync {
    /// A handler copying the files of `source` to `destination` (both folders must exist
    /// when `synchronize` runs; the destination is not created).
    pub fn new(source: impl Into<PathBuf>, destination: impl Into<PathBuf>) -> Self {
        Self {
            source: source.into(),
            destination: destination.into(),
            active: AtomicBool::new(true),
            enabled: AtomicBool::new(true),
            last_sync: Mutex::new(None),
        }
    }

    /// The source folder.
    pub fn source(&self) -> &Path {
        &self.source
    }

    /// The destination folder.
    pub fn destination(&self) -> &Path {
        &self.destination
    }

    /// The regular files of the source folder (symbolic links followed, sub-folders left out)
    /// as item ids, sorted; names longer than [`MAX_ITEM_ID_CHARS`] UTF-16 units or not valid
    /// Unicode are skipped.
    ///
    /// # Errors
    /// Reading the folder failed.
    pub fn items(&self) -> io::Result<Items> {
        let mut items = Items::default();
        for entry in fs::read_dir(&self.source)? {
            let entry = entry?;
            if !entry.path().is_file() {
                continue;
            }
            let name = entry.file_name();
            match name.to_str() {
                None => items.skipped.push(Skipped {
                    name,
                    reason: SkipReason::NotUnicode,
                }),
                Some(id) => {
                    let units = id.encode_utf16().count();
                    if units > MAX_ITEM_ID_CHARS {
                        items.skipped.push(Skipped {
                            name,
                            reason: SkipReason::TooLong { units },
                        });
                    } else {
                        items.ids.push(id.to_string());
                    }
                }
            }
        }
        items.ids.sort();
        items.skipped.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(items)
    }

    /// The name shown in Sync Center: "Folder sync: SOURCE → DESTINATION" with the folders'
    /// last components, cut to `MAX_SYNCMGR_NAME - 1` UTF-16 units.
    pub fn display_name(&self) -> String {
        let last = |path: &Path| {
            path.file_name().map_or_else(
                || path.display().to_string(),
                |name| name.to_string_lossy().into_owned(),
            )
        };
        clip(
            format!(
                "Folder sync: {} → {}",
                last(&self.source),
                last(&self.destination)
            ),
            MAX_NAME_CHARS,
        )
    }

    /// When the last `synchronize` ended, if one ran.
    pub fn last_sync(&self) -> Option<FILETIME> {
        *self
            .last_sync
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// One item, from `CanContinue` to its final status. `Err` is Sync Center refusing a call
    /// (for instance `E_INVALIDARG` for an item it does not know); I/O errors are reported as
    /// the item's FAILED status.
    pub(crate) fn sync_item(&self, session: &SyncSession, id: &str) -> Result<ItemEnd> {
        if session.can_continue(Some(id))? == Continue::Cancel {
            return finish(
                session,
                id,
                SyncmgrProgressStatus::Canceled,
                "Canceled",
                0,
                1,
            );
        }
        if !is_plain_file_name(id) {
            report_error(
                session,
                id,
                "Not a file name",
                &format!("the item id {id:?} is not the name of a file in the source folder"),
            )?;
            return finish(
                session,
                id,
                SyncmgrProgressStatus::Failed,
                "Failed: not a file name",
                0,
                1,
            );
        }
        match self.copy(session, id)? {
            Copied::Done { steps } => finish(
                session,
                id,
                SyncmgrProgressStatus::Succeeded,
                &format!("Copied {id}"),
                steps,
                steps,
            ),
            Copied::Canceled {
                request,
                step,
                steps,
            } => {
                let end = finish(
                    session,
                    id,
                    SyncmgrProgressStatus::Canceled,
                    "Canceled",
                    step,
                    steps,
                )?;
                Ok(match request {
                    SyncmgrCancelRequest::CancelAll => ItemEnd::CancelAll,
                    _ => end,
                })
            }
            Copied::Failed { what, error } => {
                let description = format!("{what} {id}: {error}");
                report_error(session, id, "Copy failed", &description)?;
                finish(
                    session,
                    id,
                    SyncmgrProgressStatus::Failed,
                    &format!("Failed: {description}"),
                    0,
                    1,
                )
            }
        }
    }

    /// Copies `source/id` to `destination/id` through a temporary file renamed over the
    /// destination at the end, reporting UPDATING before the first chunk and after every chunk
    /// but the last. `Err` is Sync Center refusing a report.
    fn copy(&self, session: &SyncSession, id: &str) -> Result<Copied> {
        let failed = |what, error| Ok(Copied::Failed { what, error });
        let mut input = match File::open(self.source.join(id)) {
            Ok(input) => input,
            Err(error) => return failed("cannot open the source file", error),
        };
        let length = match input.metadata() {
            Ok(metadata) => metadata.len(),
            Err(error) => return failed("cannot read the source file's size", error),
        };
        let steps = u32::try_from(length.div_ceil(CHUNK_BYTES as u64).max(1)).unwrap_or(u32::MAX);
        let text = format!("Copying {id}");
        let request =
            session.report_progress(id, &text, SyncmgrProgressStatus::Updating, 0, steps)?;
        if request != SyncmgrCancelRequest::None {
            return Ok(Copied::Canceled {
                request,
                step: 0,
                steps,
            });
        }

        let partial = self.destination.join(format!(".{id}.folder-sync-partial"));
        let mut output = match File::create(&partial) {
            Ok(output) => output,
            Err(error) => return failed("cannot create the destination file for", error),
        };
        let mut buffer = vec![0_u8; CHUNK_BYTES];
        let mut step = 0_u32;
        let outcome = loop {
            let read = match read_chunk(&mut input, &mut buffer) {
                Ok(0) => break Copied::Done { steps },
                Ok(read) => read,
                Err(error) => {
                    break Copied::Failed {
                        what: "cannot read the source file",
                        error,
                    };
                }
            };
            if let Err(error) = output.write_all(&buffer[..read]) {
                break Copied::Failed {
                    what: "cannot write the destination file for",
                    error,
                };
            }
            step = step.saturating_add(1);
            if step < steps {
                let request = session.report_progress(
                    id,
                    &text,
                    SyncmgrProgressStatus::Updating,
                    step,
                    steps,
                );
                match request {
                    Ok(SyncmgrCancelRequest::None) => {}
                    Ok(request) => {
                        break Copied::Canceled {
                            request,
                            step,
                            steps,
                        };
                    }
                    Err(error) => {
                        drop(output);
                        let _ = fs::remove_file(&partial);
                        return Err(error);
                    }
                }
            }
        };
        drop(output);
        let outcome = match outcome {
            Copied::Done { steps } => match fs::rename(&partial, self.destination.join(id)) {
                Ok(()) => return Ok(Copied::Done { steps }),
                Err(error) => Copied::Failed {
                    what: "cannot replace the destination file for",
                    error,
                },
            },
            other => other,
        };
        // Canceled or failed: the destination keeps what it had.
        let _ = fs::remove_file(&partial);
        Ok(outcome)
    }
}

/// Reads up to a full chunk (short reads are retried until the end of the file).
fn read_chunk(input: &mut File, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match input.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

/// Whether `id` names a file directly in a folder: not empty, not `.` or `..`, no path
/// separator or drive colon. Sync Center hands the handler ids it got from the handler, but
/// nothing stops another caller from handing it `../../x`.
fn is_plain_file_name(id: &str) -> bool {
    !id.is_empty() && id != "." && id != ".." && !id.contains(['/', '\\', ':'])
}

/// Reports a final status, and what its cancel request means for the remaining items: a
/// cancel of all stops them (a cancel of this item changes nothing, it has ended).
fn finish(
    session: &SyncSession,
    id: &str,
    status: SyncmgrProgressStatus,
    text: &str,
    step: u32,
    steps: u32,
) -> Result<ItemEnd> {
    let text = clip(text.to_string(), MAX_PROGRESS_TEXT_CHARS);
    let request = session.report_progress(id, &text, status, step.min(steps), steps)?;
    Ok(if request == SyncmgrCancelRequest::CancelAll {
        ItemEnd::CancelAll
    } else {
        ItemEnd::Next
    })
}

/// Reports an error event for an item.
fn report_error(session: &SyncSession, id: &str, name: &str, description: &str) -> Result<()> {
    session
        .report_event(
            id,
            SyncmgrEventLevel::Error,
            SYNCMGR_EF_NONE,
            name,
            description,
            None,
            id,
        )
        .map(|_event: GUID| ())
}

/// `text` cut to at most `max_units` UTF-16 units, at a character boundary.
pub(crate) fn clip(mut text: String, max_units: usize) -> String {
    let mut units = 0;
    let end = text
        .char_indices()
        .find(|(_, c)| {
            units += c.len_utf16();
            units > max_units
        })
        .map(|(index, _)| index);
    if let Some(end) = end {
        text.truncate(end);
    }
    text
}

/// `time` as a `FILETIME` (100 ns intervals since 1601-01-01 UTC).
pub(crate) fn filetime(time: SystemTime) -> FILETIME {
    let since_unix = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let intervals = u64::try_from(since_unix.as_nanos() / 100)
        .unwrap_or(u64::MAX - FILETIME_UNIX_EPOCH)
        .saturating_add(FILETIME_UNIX_EPOCH);
    FILETIME {
        dwLowDateTime: intervals as u32,
        dwHighDateTime: (intervals >> 32) as u32,
    }
}
