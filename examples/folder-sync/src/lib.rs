//! A Sync Center handler that copies the files of a source folder to a destination folder,
//! one Sync Center item per file, made with `#[derive(winsync::SyncMgrHandler)]`.
//!
//! - [`FolderSync`] is the handler. [`FolderSync::items`] lists the files of the source
//!   folder as item ids (the file names); names Sync Center cannot carry are skipped and
//!   listed in [`Items::skipped`].
//! - `synchronize` creates the session with [`SyncSession::create`] and, for each item:
//!   asks `CanContinue` (a cancel request ends the item CANCELED); reports UPDATING with the
//!   chunk copied so far as the step; copies the file chunk by chunk into a temporary file of
//!   the destination folder and renames it over the destination file; and reports SUCCEEDED,
//!   or FAILED with an error event. The cancel request every report returns is honoured:
//!   `SYNCMGR_CR_CANCEL_ITEM` ends the item CANCELED (the destination file is left as it
//!   was), `SYNCMGR_CR_CANCEL_ALL` ends it and every remaining item CANCELED.
//! - [`FolderSyncInfo`] is what `get_handler_info` returns (through
//!   [`winsync::sync_center::handler::handler_info`]).

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use windows_core::{Error, GUID, IUnknown, Result};
use winsync::bindings::{
    E_FAIL, FILETIME, HWND, ISyncMgrHandlerInfo, ISyncMgrSessionCreator, MAX_SYNCMGR_NAME,
    SYNCMGR_EF_NONE, SYNCMGR_HANDLER_CAPABILITIES, SYNCMGR_HANDLER_POLICIES, SYNCMGR_HCM_NONE,
    SYNCMGR_HPM_NONE,
};
use winsync::skeletons::{
    SyncMgrHandler, SyncMgrHandlerInfo, SyncmgrCancelRequest, SyncmgrEventLevel,
    SyncmgrHandlerType, SyncmgrProgressStatus,
};
use winsync::sync_center::handler::handler_info;
use winsync::sync_center::objects::{ObjectId, SyncMgrObject};
use winsync::sync_center::session::{
    Continue, MAX_ITEM_ID_CHARS, MAX_PROGRESS_TEXT_CHARS, SyncSession,
};

/// The handler id the sessions are created under (`ISyncMgrSessionCreator::CreateSession`).
pub const HANDLER_ID: &str = "winsync.example.folder-sync";

/// Bytes copied between two progress reports: one step of an item.
pub const CHUNK_BYTES: usize = 64 * 1024;

/// The longest display name and comment, in UTF-16 units without the NUL.
const MAX_NAME_CHARS: usize = MAX_SYNCMGR_NAME as usize - 1;

/// 100-nanosecond intervals from 1601-01-01 (`FILETIME`'s epoch) to 1970-01-01.
const FILETIME_UNIX_EPOCH: u64 = 116_444_736_000_000_000;

/// The files of a source folder as Sync Center items.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Items {
    /// The item ids: the names of the regular files, sorted.
    pub ids: Vec<String>,
    /// The files that cannot be items, with the reason.
    pub skipped: Vec<Skipped>,
}

/// A file of the source folder that is not an item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// The file name.
    pub name: OsString,
    /// Why it was skipped.
    pub reason: SkipReason,
}

/// Why a file is not an item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SkipReason {
    /// The name is longer than an item id may be
    /// ([`MAX_ITEM_ID_CHARS`] UTF-16 units, `MAX_SYNCMGR_ID` with the NUL).
    TooLong {
        /// The name's length in UTF-16 units.
        units: usize,
    },
    /// The name is not valid Unicode, so it has no UTF-16 item id.
    NotUnicode,
}

/// The handler: copies the files of `source` to `destination` (see the crate docs).
#[derive(winsync::SyncMgrHandler)]
pub struct FolderSync {
    source: PathBuf,
    destination: PathBuf,
    /// `activate`'s last answer (Sync Center's "active" state).
    active: AtomicBool,
    /// `enable`'s last answer.
    enabled: AtomicBool,
    /// When the last `synchronize` ended.
    last_sync: Mutex<Option<FILETIME>>,
}

/// How an item ended, as far as the remaining items are concerned.
enum ItemEnd {
    /// Go on with the next item.
    Next,
    /// Sync Center asked to cancel all: the remaining items are reported CANCELED.
    CancelAll,
}

/// What copying one file came to.
enum Copied {
    /// Copied in `steps` chunks.
    Done { steps: u32 },
    /// A report during the copy answered a cancel request; the destination is unchanged.
    Canceled {
        request: SyncmgrCancelRequest,
        step: u32,
        steps: u32,
    },
    /// An I/O error; the destination is unchanged.
    Failed {
        what: &'static str,
        error: io::Error,
    },
}

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
    fn sync_item(&self, session: &SyncSession, id: &str) -> Result<ItemEnd> {
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
fn clip(mut text: String, max_units: usize) -> String {
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
fn filetime(time: SystemTime) -> FILETIME {
    let since_unix = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let intervals = u64::try_from(since_unix.as_nanos() / 100)
        .unwrap_or(u64::MAX - FILETIME_UNIX_EPOCH)
        .saturating_add(FILETIME_UNIX_EPOCH);
    FILETIME {
        dwLowDateTime: intervals as u32,
        dwHighDateTime: (intervals >> 32) as u32,
    }
}

impl SyncMgrHandler for FolderSync {
    fn get_name(&self) -> Result<String> {
        Ok(self.display_name())
    }

    fn get_handler_info(&self) -> Result<ISyncMgrHandlerInfo> {
        let connected = self.source.is_dir() && self.destination.is_dir();
        Ok(handler_info(FolderSyncInfo {
            comment: clip(
                format!(
                    "Copies the files of {} to {}",
                    self.source.display(),
                    self.destination.display()
                ),
                MAX_NAME_CHARS,
            ),
            last_sync: self.last_sync(),
            active: self.active.load(Ordering::Relaxed),
            enabled: self.enabled.load(Ordering::Relaxed),
            connected,
        }))
    }

    fn get_object(&self, _object_id: ObjectId) -> Result<Option<SyncMgrObject>> {
        // No browse UI, icon, schedule wizard or conflict store: every object is unsupported,
        // which Sync Center hears as E_NOTIMPL (rule `handler.get-object.unsupported`).
        Ok(None)
    }

    fn get_capabilities(&self) -> Result<SYNCMGR_HANDLER_CAPABILITIES> {
        Ok(SYNCMGR_HCM_NONE)
    }

    fn get_policies(&self) -> Result<SYNCMGR_HANDLER_POLICIES> {
        Ok(SYNCMGR_HPM_NONE)
    }

    fn activate(&self, activate: bool) -> Result<()> {
        self.active.store(activate, Ordering::Relaxed);
        Ok(())
    }

    fn enable(&self, enable: bool) -> Result<()> {
        self.enabled.store(enable, Ordering::Relaxed);
        Ok(())
    }

    fn synchronize(
        &self,
        item_ids: &[String],
        _owner: HWND,
        session_creator: &ISyncMgrSessionCreator,
        _punk: Option<&IUnknown>,
    ) -> Result<()> {
        let session = SyncSession::create(session_creator, HANDLER_ID, item_ids)?;
        let mut refused: Vec<(&str, Error)> = Vec::new();
        for (index, id) in item_ids.iter().enumerate() {
            if session.final_status(id).is_some() {
                continue; // the same id twice: it has ended already
            }
            match self.sync_item(&session, id) {
                Ok(ItemEnd::Next) => {}
                Ok(ItemEnd::CancelAll) => {
                    for rest in &item_ids[index + 1..] {
                        if session.final_status(rest).is_some() {
                            continue;
                        }
                        if let Err(error) = session.report_progress(
                            rest,
                            "Canceled",
                            SyncmgrProgressStatus::Canceled,
                            0,
                            1,
                        ) {
                            refused.push((rest, error));
                        }
                    }
                    break;
                }
                Err(error) => refused.push((id, error)),
            }
        }
        *self
            .last_sync
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(filetime(SystemTime::now()));
        match refused.first() {
            None => Ok(()),
            Some((_, first)) => Err(Error::new(
                first.code(),
                format!(
                    "Sync Center refused calls for {} item(s), skipped: {}",
                    refused.len(),
                    refused
                        .iter()
                        .map(|(id, error)| format!("{id:?} ({})", error.message()))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            )),
        }
    }
}

/// What [`FolderSync`]'s `get_handler_info` returns: a snapshot of the handler's state
/// when Sync Center asked.
#[derive(Clone, Debug)]
pub struct FolderSyncInfo {
    /// The comment shown in Sync Center.
    pub comment: String,
    /// When the last synchronization ended.
    pub last_sync: Option<FILETIME>,
    /// Whether the handler is active.
    pub active: bool,
    /// Whether the handler is enabled.
    pub enabled: bool,
    /// Whether both folders exist.
    pub connected: bool,
}

impl SyncMgrHandlerInfo for FolderSyncInfo {
    fn get_type(&self) -> Result<SyncmgrHandlerType> {
        Ok(SyncmgrHandlerType::Folder)
    }

    fn get_type_label(&self) -> Result<String> {
        Ok("Folder".to_string())
    }

    fn get_comment(&self) -> Result<String> {
        Ok(self.comment.clone())
    }

    fn get_last_sync_time(&self) -> Result<FILETIME> {
        // Never synchronized: failing keeps Sync Center's previous value
        // (`NF:syncmgr.ISyncMgrHandlerInfo.GetLastSyncTime`).
        self.last_sync
            .ok_or_else(|| Error::new(E_FAIL, "not synchronized yet"))
    }

    fn is_active(&self) -> Result<bool> {
        Ok(self.active)
    }

    fn is_enabled(&self) -> Result<bool> {
        Ok(self.enabled)
    }

    fn is_connected(&self) -> Result<bool> {
        Ok(self.connected)
    }
}
