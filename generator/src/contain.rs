//! Containment of panics raised by the metadata reader and windows-bindgen, which report bad
//! input by panicking: the panic becomes an [`Error`] and never reaches the caller.

use std::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::error::{Error, Result};

thread_local! {
    /// How many [`contain`] calls are running on this thread.
    static CONTAINING: Cell<usize> = const { Cell::new(0) };
    /// Where the last contained panic happened, recorded by [`quiet_panic_hook`].
    static LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `f`, turning a panic into `make_error(message)`.
pub(crate) fn contain<T>(
    f: impl FnOnce() -> T,
    make_error: impl FnOnce(String) -> Error,
) -> Result<T> {
    CONTAINING.with(|c| c.set(c.get() + 1));
    let result = catch_unwind(AssertUnwindSafe(f));
    CONTAINING.with(|c| c.set(c.get() - 1));
    result.map_err(|payload| {
        let mut message = panic_message(payload.as_ref());
        if let Some(location) = LOCATION.with(|l| l.borrow_mut().take()) {
            message.push_str(&format!(" (at {location})"));
        }
        make_error(message)
    })
}

/// Runs `f`, turning a panic into [`Error::Internal`] for `stage`.
pub(crate) fn contain_internal<T>(stage: &'static str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    contain(f, |message| Error::Internal { stage, message })?
}

/// Installs a panic hook that stays silent for panics the generator contains (it records their
/// location for the error message instead) and defers to the previous hook for all others.
/// The command-line tool installs it; a `build.rs` may.
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
