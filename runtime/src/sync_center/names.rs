//! The bound on the names and comments a handler hands Sync Center: `MAX_SYNCMGR_NAME` UTF-16
//! units, the terminating NUL included. The handler glue ([`crate::sync_center::handler`]) and
//! the item list ([`crate::sync_center::items`]) check each string before it is copied out,
//! and refuse an over-long one (or an empty name) with `E_INVALIDARG` naming the rule, rather
//! than let Sync Center truncate it or hide the handler or item.

use windows_core::Result;

use crate::bindings::MAX_SYNCMGR_NAME;
use crate::com::abi;
use crate::contract::Rule;

/// The longest handler or item name, and the longest handler or item comment, in UTF-16 units
/// without the terminating NUL: `MAX_SYNCMGR_NAME` counts the NUL
/// (`NF:syncmgr.ISyncMgrHandler.GetName`, `NF:syncmgr.ISyncMgrSyncItem.GetName`,
/// `NF:syncmgr.ISyncMgrHandlerInfo.GetComment`, `NF:syncmgr.ISyncMgrSyncItemInfo.GetComment`).
pub const MAX_NAME_CHARS: usize = MAX_SYNCMGR_NAME as usize - 1;

/// `name` if Sync Center shows it as it is: not empty, at most [`MAX_NAME_CHARS`] units.
///
/// # Errors
/// `E_INVALIDARG` naming `rule` for an empty or over-long name.
pub(crate) fn display_name(name: String, what: &str, rule: &Rule) -> Result<String> {
    if name.is_empty() {
        return Err(abi::invalid_arg(format_args!(
            "the {what} name is empty, so Sync Center would not show it: {rule}"
        )));
    }
    bounded(name, what, "name", rule)
}

/// `comment` if it is at most [`MAX_NAME_CHARS`] units long (an empty comment is allowed).
///
/// # Errors
/// `E_INVALIDARG` naming `rule` for an over-long comment.
pub(crate) fn comment(comment: String, what: &str, rule: &Rule) -> Result<String> {
    bounded(comment, what, "comment", rule)
}

fn bounded(text: String, what: &str, kind: &str, rule: &Rule) -> Result<String> {
    let units = text.encode_utf16().count();
    if units > MAX_NAME_CHARS {
        return Err(abi::invalid_arg(format_args!(
            "the {what} {kind} is {units} UTF-16 units long, at most {MAX_NAME_CHARS}: {rule}"
        )));
    }
    Ok(text)
}
