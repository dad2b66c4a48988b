//! Containment of panics raised by the metadata reader and windows-bindgen, which report bad
//! input by panicking: the panic becomes an [`Error`] and never reaches the caller, and its
//! message (a dependency's text, with a path inside the cargo registry) is not printed.

use std::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

use crate::error::{Error, Result};

thread_local! {
    /// How many [`contain`] calls are running on this thread.
    static CONTAINING: Cell<usize> = const { Cell::new(0) };
    /// Where the last contained panic happened, recorded by the quiet panic hook.
    static LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The environment variable that adds a contained panic's own message and location to the
/// error, for a bug report: `WINSYNC_GEN_DEBUG=1`.
pub const DEBUG_VARIABLE: &str = "WINSYNC_GEN_DEBUG";

/// A contained panic.
#[derive(Debug)]
pub(crate) struct Panic {
    /// The panic's message.
    pub message: String,
    /// `file:line` of the panic, when the quiet hook saw it.
    pub location: Option<String>,
}

impl Panic {
    /// The message and location: for internal errors and [`DEBUG_VARIABLE`].
    pub fn detail(&self) -> String {
        match &self.location {
            Some(location) => format!("{} (at {location})", self.message),
            None => self.message.clone(),
        }
    }

    /// Whether the panic came from the metadata reader or windows-bindgen, which panic on
    /// metadata they cannot read.
    pub fn in_metadata_reader(&self) -> bool {
        self.location
            .as_deref()
            .is_some_and(|l| l.contains("windows-metadata") || l.contains("windows-bindgen"))
    }

    /// What the reader was reading, from the file it panicked in.
    fn what_was_read(&self) -> &'static str {
        let location = self.location.as_deref().unwrap_or("");
        if location.contains("reader/blob.rs") || location.contains("reader\\blob.rs") {
            "a signature or attribute blob cannot be decoded"
        } else if location.contains("reader/codes.rs") || location.contains("reader\\codes.rs") {
            "a coded index names no table"
        } else if location.contains("windows-metadata") {
            "a table row cannot be read"
        } else {
            "windows-bindgen cannot read a type it refers to"
        }
    }

    /// The error for a panic while `stage` (e.g. "indexing the metadata") ran over the
    /// metadata files `origins` (the user's files; the bundled subset is known to be sound): a
    /// panic of the reader over user files is malformed metadata, anything else a bug.
    pub fn into_error(self, stage: &'static str, origins: &[String]) -> Error {
        if self.in_metadata_reader() && !origins.is_empty() {
            self.into_metadata_error(stage, origins)
        } else {
            Error::Internal {
                stage,
                message: self.detail(),
            }
        }
    }

    /// [`Error::MalformedMetadata`] blaming `origins` (which must not be empty) for the panic,
    /// saying what was being read; the panic's own text only with [`DEBUG_VARIABLE`] set.
    pub fn into_metadata_error(self, stage: &'static str, origins: &[String]) -> Error {
        let what = match self.message.strip_prefix("type not found: ") {
            // windows-bindgen's one message that speaks of the metadata, not of its own code.
            Some(name) if !name.contains(".rs") => {
                format!("a type is referred to that no file defines: {name}")
            }
            _ => self.what_was_read().to_string(),
        };
        let mut reason = format!("{what} (while {stage})");
        if std::env::var_os(DEBUG_VARIABLE).is_some() {
            reason.push_str(&format!("; panic: {}", self.detail()));
        }
        Error::MalformedMetadata {
            origin: origins.join(", "),
            reason,
        }
    }
}

/// Runs `f`, turning a panic into `make_error(panic)`. The first call installs the quiet
/// panic hook, so that a contained panic prints nothing (on the command line or in a
/// `build.rs`).
pub(crate) fn contain<T>(
    f: impl FnOnce() -> T,
    make_error: impl FnOnce(Panic) -> Error,
) -> Result<T> {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(quiet_panic_hook);
    CONTAINING.with(|c| c.set(c.get() + 1));
    let result = catch_unwind(AssertUnwindSafe(f));
    CONTAINING.with(|c| c.set(c.get() - 1));
    result.map_err(|payload| {
        make_error(Panic {
            message: panic_message(payload.as_ref()),
            location: LOCATION.with(|l| l.borrow_mut().take()),
        })
    })
}

/// Installs a panic hook that stays silent for panics the generator contains (it records their
/// location for the error instead) and defers to the previous hook for all others. The
/// generator installs it on first use; calling it again adds nothing but another layer.
pub fn quiet_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if CONTAINING.with(Cell::get) > 0 {
            let location = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()));
            LOCATION.with(|l| *l.borrow_mut() = location);
        } else {
            previous(info);
        }
    }));
}

/// The text of a panic payload (`&str` or `String`; anything else is named as such).
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic without a message".to_string()
    }
}
