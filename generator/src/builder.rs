//! [`Builder`]: generation from a user crate's `build.rs`, into `OUT_DIR`.
//!
//! ```no_run
//! // In build.rs's `main`:
//! winsync_gen::Builder::new()
//!     .filter("Windows.Win32.UI.Shell.ISyncMgrHandler")
//!     .filter("Windows.Win32.UI.Shell.ISyncMgrSyncCallback")
//!     .generate()
//!     .unwrap_or_else(|e| panic!("winsync-gen: {e}"));
//! ```
//!
//! and in the crate: `winsync::include_generated!();`, which declares `mod generated`
//! from `$OUT_DIR/winsync/`.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::generate::{Generated, Options, generate};
use crate::parse::winmd::Input;

/// The folder under `OUT_DIR` the builder writes to; `winsync::include_generated!` reads
/// from it.
pub const OUT_SUBDIR: &str = "winsync";

/// Configures a generation for `build.rs`. Setters take and return `&mut Self`.
#[derive(Debug, Clone, Default)]
pub struct Builder {
    options: Options,
    out_dir: Option<PathBuf>,
    quiet: bool,
}

impl Builder {
    /// The default generation: bundled metadata, all of winsync and Sync Center, bundled
    /// contract data, written to `$OUT_DIR/winsync`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads this `.winmd` file (or every `.winmd` of this folder) instead of the bundled
    /// metadata; combine with [`Self::with_bundled`] to read both.
    pub fn input(&mut self, path: impl AsRef<Path>) -> &mut Self {
        self.options
            .inputs
            .push(Input::Path(path.as_ref().to_path_buf()));
        self
    }

    /// Reads the bundled metadata as well as the [`Self::input`] files.
    pub fn with_bundled(&mut self) -> &mut Self {
        self.options.with_bundled = true;
        self
    }

    /// Adds a filter (windows-bindgen syntax, `!` to exclude). Without an including filter the
    /// default selection is used.
    pub fn filter(&mut self, filter: impl Into<String>) -> &mut Self {
        self.options.filters.push(filter.into());
        self
    }

    /// Uses this `contracts.toml` instead of the bundled one.
    pub fn contracts(&mut self, path: impl AsRef<Path>) -> &mut Self {
        self.options.contracts = Some(path.as_ref().to_path_buf());
        self
    }

    /// Leaves Microsoft's documentation out of the bindings and skeletons (lean output, as
    /// `generate --no-docs`).
    pub fn no_docs(&mut self) -> &mut Self {
        self.options.no_docs = true;
        self
    }

    /// Uses this `supplement.toml` instead of the bundled one.
    pub fn supplement(&mut self, path: impl AsRef<Path>) -> &mut Self {
        self.options.supplement = Some(path.as_ref().to_path_buf());
        self
    }

    /// Writes into `dir` instead of `$OUT_DIR/winsync`.
    pub fn out_dir(&mut self, dir: impl AsRef<Path>) -> &mut Self {
        self.out_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Prints no `cargo:rerun-if-changed` lines (for use outside `build.rs`).
    pub fn quiet(&mut self) -> &mut Self {
        self.quiet = true;
        self
    }

    /// Generates, writes the files that changed, and prints `cargo:rerun-if-changed` for every
    /// input file. Returns the output folder.
    ///
    /// # Errors
    /// Any generation [`Error`]; [`Error::Selection`] when neither an output folder was set
    /// nor `OUT_DIR` is defined.
    pub fn generate(&self) -> Result<PathBuf> {
        let dir = match &self.out_dir {
            Some(dir) => dir.clone(),
            None => std::env::var_os("OUT_DIR")
                .map(|out| PathBuf::from(out).join(OUT_SUBDIR))
                .ok_or_else(|| {
                    Error::Selection(
                        "OUT_DIR is not set: call Builder::out_dir outside build.rs".into(),
                    )
                })?,
        };
        if !self.quiet {
            let inputs = self.options.inputs.iter().filter_map(|i| match i {
                Input::Path(path) => Some(path.as_path()),
                Input::Bytes { .. } => None,
            });
            for path in inputs
                .chain(self.options.contracts.as_deref())
                .chain(self.options.supplement.as_deref())
            {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
        let generated: Generated = generate(&self.options)?;
        generated.write(&dir)?;
        Ok(dir)
    }
}
