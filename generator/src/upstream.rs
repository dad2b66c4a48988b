//! Finds Microsoft's full Win32 metadata (63.0.31) in the cargo registry: the
//! `default/Windows.Win32.winmd` shipped in the `windows-bindgen` 0.66.0 crate, which the
//! generator's manifest lists as a never-compiled dependency so that cargo downloads it.

use std::path::PathBuf;

use crate::error::{Error, Result};

/// The crate that ships the upstream file.
pub const UPSTREAM_CRATE: &str = "windows-bindgen";
/// Its exact version.
pub const UPSTREAM_VERSION: &str = "0.66.0";
/// The file inside the crate.
pub const UPSTREAM_FILE: &str = "default/Windows.Win32.winmd";

/// Locates the upstream `.winmd` by asking `cargo metadata` (which downloads the crate when it
/// is missing) for the path of `windows-bindgen` 0.66.0.
///
/// `manifest` is the generator's `Cargo.toml`. Errors name the command that failed.
pub fn locate(manifest: &std::path::Path) -> Result<PathBuf> {
    let metadata = cargo_metadata::MetadataCommand::new()
        .manifest_path(manifest)
        .exec()
        .map_err(|e| Error::Selection(format!("`cargo metadata` failed: {e}")))?;
    let package = metadata
        .packages
        .iter()
        .find(|p| p.name.as_str() == UPSTREAM_CRATE && p.version.to_string() == UPSTREAM_VERSION)
        .ok_or_else(|| {
            Error::Selection(format!(
                "`cargo metadata` lists no {UPSTREAM_CRATE} {UPSTREAM_VERSION}; is it still a dependency of {}?",
                manifest.display()
            ))
        })?;
    let path = package
        .manifest_path
        .parent()
        .map(|dir| dir.join(UPSTREAM_FILE).into_std_path_buf())
        .ok_or_else(|| Error::Selection("the upstream crate's manifest has no folder".into()))?;
    if path.is_file() {
        Ok(path)
    } else {
        Err(Error::io(
            path,
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "upstream metadata file is missing",
            ),
        ))
    }
}
