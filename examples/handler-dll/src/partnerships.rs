//! The partnerships the collection lists, one handler each, read from the user's configuration
//! as the Windows SDK's Sync Center sample reads its device partnerships from the user's part
//! of the registry.
//!
//! The configuration is a TOML file, per user: `%APPDATA%\winsync example\partnerships.toml` on
//! Windows, `$XDG_CONFIG_HOME/winsync example/partnerships.toml` (or `~/.config/...`) elsewhere;
//! the environment variable [`CONFIG_VARIABLE`] names another file. Without the file the
//! collection lists [`defaults`]. A partnership:
//!
//! ```toml
//! [[partnership]]
//! id = "winsync.example.phone"   # the handler id: not empty, at most 63 UTF-16 units
//! name = "Phone"                 # what Sync Center shows
//! conflicts = ["notes"]          # items changed on both sides (optional)
//! offline = ["photos"]           # items the device cannot reach now (optional)
//! ```
//!
//! The example synchronizes no data of its own: `conflicts` and `offline` stand for what a
//! real handler finds when it compares its two sides, so that every path of `synchronize`
//! (a conflict kept, an item that fails) can be seen in Sync Center.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use windows_core::{Error, Result};
use winsync::bindings::E_FAIL;

use crate::ITEMS;

/// The environment variable that names the configuration file instead of the per-user one.
pub const CONFIG_VARIABLE: &str = "WINSYNC_EXAMPLE_PARTNERSHIPS";

/// One partnership: one handler of the collection.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Partnership {
    /// The handler id in the collection, which the handler's sessions are created under.
    pub id: String,
    /// The handler's display name (`GetName`).
    pub name: String,
    /// Items changed on both sides since the last synchronization: synchronizing one keeps a
    /// conflict in the handler's conflict store.
    #[serde(default)]
    pub conflicts: Vec<String>,
    /// Items the partner cannot reach now: synchronizing one fails, with an error event.
    #[serde(default)]
    pub offline: Vec<String>,
}

impl Partnership {
    /// Whether item `id` changed on both sides (one of `conflicts`).
    pub fn in_conflict(&self, id: &str) -> bool {
        self.conflicts.iter().any(|conflict| conflict == id)
    }

    /// Whether the partner cannot reach item `id` now (one of `offline`).
    pub fn is_offline(&self, id: &str) -> bool {
        self.offline.iter().any(|offline| offline == id)
    }

    fn new(id: &str, name: &str, conflicts: &[&str], offline: &[&str]) -> Self {
        let owned = |ids: &[&str]| ids.iter().map(|id| (*id).to_string()).collect();
        Self {
            id: id.to_string(),
            name: name.to_string(),
            conflicts: owned(conflicts),
            offline: owned(offline),
        }
    }
}

/// The file's shape: `[[partnership]]` tables.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    partnership: Vec<Partnership>,
}

/// The partnerships without a configuration file: a phone whose `notes` changed on both sides
/// and a camera whose `photos` it cannot reach, so that a first synchronization shows a
/// conflict, a warning and an error.
pub fn defaults() -> Vec<Partnership> {
    vec![
        Partnership::new("winsync.example.phone", "Phone", &["notes"], &[]),
        Partnership::new("winsync.example.camera", "Camera", &[], &["photos"]),
    ]
}

/// Where the user's configuration is: [`CONFIG_VARIABLE`] if set, else the per-user file (see
/// the module docs); `None` when the environment names no user folder.
pub fn config_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(CONFIG_VARIABLE) {
        return Some(path.into());
    }
    let folder = if cfg!(windows) {
        std::env::var_os("APPDATA").map(PathBuf::from)
    } else {
        std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".config")))
    };
    folder.map(|folder| folder.join("winsync example").join("partnerships.toml"))
}

/// The user's partnerships: the file at [`config_path`], or [`defaults`] when there is none.
///
/// # Errors
/// What [`load_from`] says of a file that exists.
pub fn load() -> Result<Vec<Partnership>> {
    match config_path() {
        Some(path) if path.exists() => load_from(&path),
        _ => Ok(defaults()),
    }
}

/// The partnerships of the file at `path`.
///
/// # Errors
/// `E_FAIL` with `path:line:col` for a file that cannot be read or is not a list of
/// partnerships, and with the partnership's id for one that names an item the handler does
/// not have ([`ITEMS`]). Ids are checked when the collection takes them
/// ([`winsync::sync_center::collection::HandlerCollection::handler`]).
pub fn load_from(path: &Path) -> Result<Vec<Partnership>> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| Error::new(E_FAIL, format!("{}: {error}", path.display())))?;
    parse(&text).map_err(|message| Error::new(E_FAIL, format!("{}:{message}", path.display())))
}

/// Parses a configuration; the error is `line:col: what`.
fn parse(text: &str) -> std::result::Result<Vec<Partnership>, String> {
    let file: File = toml::from_str(text).map_err(|error| {
        let (line, col) = error
            .span()
            .map_or((1, 1), |span| line_col(text, span.start));
        format!("{line}:{col}: {}", error.message())
    })?;
    for partnership in &file.partnership {
        let known = |id: &&String| ITEMS.iter().any(|(item, _)| item == id);
        if let Some(unknown) = partnership
            .conflicts
            .iter()
            .chain(&partnership.offline)
            .find(|id| !known(id))
        {
            // Where the item is named (the first place its quoted name appears).
            let (line, col) = text
                .find(&format!("\"{unknown}\""))
                .map_or((1, 1), |offset| line_col(text, offset));
            return Err(format!(
                "{line}:{col}: partnership {:?} names the item {unknown:?}; the items are {:?}",
                partnership.id,
                ITEMS.map(|(id, _)| id)
            ));
        }
    }
    Ok(file.partnership)
}

/// The 1-based line and column of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..text.floor_char_boundary(offset.min(text.len()))];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_file_lists_its_partnerships() {
        let text = "[[partnership]]\nid = \"a\"\nname = \"A\"\nconflicts = [\"photos\"]\n\n[[partnership]]\nid = \"b\"\nname = \"B\"\n";
        let read = parse(text).unwrap();
        assert_eq!(
            read,
            [
                Partnership::new("a", "A", &["photos"], &[]),
                Partnership::new("b", "B", &[], &[])
            ]
        );
    }

    #[test]
    fn errors_say_where() {
        let error = parse("[[partnership]]\nid = \"a\"\nnam = \"A\"\n").unwrap_err();
        assert!(error.starts_with("3:1: "), "{error}");
        let error = parse("[[partnership]]\nid = \"a\"\nname = \"A\"\noffline = [\"music\"]\n")
            .unwrap_err();
        assert!(error.starts_with("4:12: "), "{error}");
        assert!(error.contains("\"music\""), "{error}");
        let error = parse("[[partnership]]\nid = \"a\"\n").unwrap_err();
        assert!(error.starts_with("1:1: "), "{error}");
        assert_eq!(parse("").unwrap(), []);
    }
}
