//! Helpers shared by the generator's integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use winsync_gen::{Generated, Options, generate};

/// The default generation (bundled metadata, default selection, bundled contract data).
pub fn default_generation() -> Generated {
    generate(&Options::default()).expect("the default generation succeeds")
}

/// A file's content without its `@generated` header (which names the inputs).
pub fn body(text: &str) -> String {
    text.lines()
        .skip_while(|l| {
            l.starts_with("// ")
                || l.starts_with("<!--")
                || l.starts_with("@generated")
                || l.starts_with("Inputs:")
                || l.starts_with("Do not edit")
                || l.starts_with("-->")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Microsoft's full Win32 metadata, located through cargo.
pub fn upstream_winmd() -> PathBuf {
    winsync_gen::upstream::locate(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
        .expect("cargo metadata finds windows-bindgen 0.66.0's Windows.Win32.winmd")
}
