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
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

use windows_core::{Error, IUnknown, Result};
use winsync::bindings::{
    FILETIME, HWND, ISyncMgrHandlerInfo, ISyncMgrSessionCreator, MAX_SYNCMGR_NAME,
    SYNCMGR_HANDLER_CAPABILITIES, SYNCMGR_HANDLER_POLICIES, SYNCMGR_HCM_NONE, SYNCMGR_HPM_NONE,
};
use winsync::skeletons::{SyncMgrHandler, SyncmgrCancelRequest, SyncmgrProgressStatus};
use winsync::sync_center::handler::handler_info;
use winsync::sync_center::objects::{ObjectId, SyncMgrObject};
use winsync::sync_center::session::SyncSession;

mod copy;
mod info;

use copy::{clip, filetime};
pub use info::FolderSyncInfo;

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
    /// ([`MAX_ITEM_ID_CHARS`](winsync::sync_center::session::MAX_ITEM_ID_CHARS) UTF-16 units,
    /// `MAX_SYNCMGR_ID` with the NUL).
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
