//! Reads `.winmd` files into one metadata index, containing the reader's panics.

use std::path::{Path, PathBuf};

use windows_metadata::reader::{File, Index};

use crate::contain::contain;
use crate::error::{Error, Result};

/// One metadata input: a file on disk or bytes in memory (the bundled subset).
#[derive(Debug, Clone)]
pub enum Input {
    /// A `.winmd` file, or a folder whose `.winmd` files are all read.
    Path(PathBuf),
    /// `.winmd` bytes with a name for error messages.
    Bytes {
        /// Shown in errors, e.g. `<bundled>`.
        origin: String,
        /// The file's content.
        bytes: Vec<u8>,
    },
}

/// The metadata the generator works on: the raw bytes (for windows-bindgen) and an index over
/// them (for the generator's own model).
pub struct Metadata {
    /// `(origin, bytes)` of every file read, in input order.
    pub files: Vec<(String, Vec<u8>)>,
    /// The index over all files.
    pub index: Index,
}

impl Metadata {
    /// The origins of the files that are not the bundled subset: the ones a reader panic
    /// blames.
    pub fn user_origins(&self) -> Vec<String> {
        user_origins(&self.files)
    }

    /// Whether the metadata defines Windows Sync or Sync Center types at all.
    pub fn has_sync_apis(&self) -> bool {
        self.index
            .namespaces()
            .any(|namespace| namespace == crate::extract::WINDOWS_SYNC_NAMESPACE)
            || self
                .index
                .get(crate::extract::SHELL_NAMESPACE, "ISyncMgrHandler")
                .next()
                .is_some()
    }

    /// Reads every input. A file that is not a readable `.winmd` gives [`Error::Winmd`] naming
    /// it; nothing panics.
    pub fn load(inputs: &[Input]) -> Result<Self> {
        let mut files = Vec::new();
        for input in inputs {
            match input {
                Input::Path(path) => read_path(path, &mut files)?,
                Input::Bytes { origin, bytes } => files.push((origin.clone(), bytes.clone())),
            }
        }
        if files.is_empty() {
            return Err(Error::Selection("no metadata input was given".into()));
        }
        let mut parsed = Vec::with_capacity(files.len());
        for (origin, bytes) in &files {
            parsed.push(parse_file(origin, bytes)?);
        }
        let origins = user_origins(&files);
        let index = contain(
            || Index::new(parsed),
            |panic| panic.into_error("indexing the metadata", &origins),
        )?;
        // Checked before windows-bindgen sees the index: it would recurse on type cycles until
        // the stack overflows, and copy some bad values into Rust that does not compile.
        let checked = contain(
            || super::metadata_check::check(&index),
            |panic| panic.into_error("checking the metadata's types", &origins),
        )?;
        if let Err(problem) = checked {
            return Err(Error::MalformedMetadata {
                origin: files
                    .get(problem.file)
                    .map_or_else(|| origins.join(", "), |(origin, _)| origin.clone()),
                reason: problem.reason,
            });
        }
        Ok(Self { files, index })
    }
}

fn user_origins(files: &[(String, Vec<u8>)]) -> Vec<String> {
    files
        .iter()
        .filter(|(_, bytes)| bytes.as_slice() != crate::bundled::WINMD)
        .map(|(origin, _)| origin.clone())
        .collect()
}

/// Parses one file's tables; a structurally broken file is an error, not a panic.
fn parse_file(origin: &str, bytes: &[u8]) -> Result<File> {
    let winmd_error = |reason: String| Error::Winmd {
        origin: origin.to_string(),
        reason,
    };
    // The bundled subset is checked by the tests; every other file before the reader sees it.
    if bytes != crate::bundled::WINMD {
        super::ecma335::check(bytes).map_err(|problem| match problem {
            super::ecma335::Problem::Headers(reason) => winmd_error(reason),
            super::ecma335::Problem::Tables(reason) => Error::MalformedMetadata {
                origin: origin.to_string(),
                reason,
            },
        })?;
    }
    let origins = [origin.to_string()];
    contain(
        || File::new(bytes.to_vec()),
        |panic| panic.into_error("reading the headers", &origins),
    )?
    .ok_or_else(|| winmd_error("the ECMA-335 headers or tables are malformed".into()))
}

fn read_path(path: &Path, files: &mut Vec<(String, Vec<u8>)>) -> Result<()> {
    if path.is_dir() {
        let mut found: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| Error::io(path, e))?
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|p| {
                p.is_file()
                    && p.extension()
                        .is_some_and(|ext| ext.eq_ignore_ascii_case("winmd"))
            })
            .collect();
        if found.is_empty() {
            return Err(Error::Winmd {
                origin: path.display().to_string(),
                reason: "the folder holds no .winmd file".into(),
            });
        }
        found.sort();
        for file in found {
            read_path(&file, files)?;
        }
        return Ok(());
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    files.push((path.display().to_string(), bytes));
    Ok(())
}
