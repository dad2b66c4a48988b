//! `cargo check` of a generated folder: a scratch crate that includes it the way a user's
//! crate does (`winsync::include_generated!`, from its `OUT_DIR`), built against the
//! workspace's `winsync` with the workspace's lock file.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The scratch crate, made once per run.
pub struct Checker {
    dir: tempfile::TempDir,
    target: PathBuf,
}

const BUILD_RS: &str = r#"use std::path::PathBuf;

fn main() {
    let from = PathBuf::from(std::env::var("GEN_FUZZ_OUTPUT").expect("GEN_FUZZ_OUTPUT"));
    let to = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("winsync");
    std::fs::create_dir_all(&to).expect("OUT_DIR/winsync");
    println!("cargo::rerun-if-env-changed=GEN_FUZZ_OUTPUT");
    println!("cargo::rustc-check-cfg=cfg(has_skeletons)");
    for name in ["bindings.rs", "hresults.rs", "contracts.rs", "skeletons.rs"] {
        let file = from.join(name);
        println!("cargo::rerun-if-changed={}", file.display());
        let _ = std::fs::remove_file(to.join(name));
        if file.exists() {
            std::fs::copy(&file, to.join(name)).expect("copy");
            if name == "skeletons.rs" {
                println!("cargo::rustc-cfg=has_skeletons");
            }
        }
    }
}
"#;

const LIB_RS: &str = r#"#[cfg(has_skeletons)]
winsync::include_generated!(skeletons);
#[cfg(not(has_skeletons))]
winsync::include_generated!();
"#;

impl Checker {
    /// Writes the scratch crate for the workspace at `root`; builds go to `target`.
    ///
    /// # Errors
    /// When the scratch folder cannot be written.
    pub fn new(root: &Path, target: PathBuf) -> std::io::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("gen-fuzz-check-")
            .tempdir()?;
        let manifest = format!(
            "[package]\nname = \"gen-fuzz-check\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\
             publish = false\n\n[dependencies]\nwindows-core = \"=0.100.0\"\n\
             winsync = {{ path = {:?} }}\n\n[workspace]\n",
            root.join("runtime")
        );
        std::fs::write(dir.path().join("Cargo.toml"), manifest)?;
        std::fs::copy(root.join("Cargo.lock"), dir.path().join("Cargo.lock"))?;
        std::fs::create_dir_all(dir.path().join("src"))?;
        std::fs::write(dir.path().join("build.rs"), BUILD_RS)?;
        std::fs::write(dir.path().join("src/lib.rs"), LIB_RS)?;
        Ok(Self { dir, target })
    }

    /// Checks the generated folder `out`: `Ok` when it compiles, else the first compiler error.
    pub fn check(&self, out: &Path) -> Result<(), String> {
        let output = Command::new("cargo")
            .args(["check", "-q", "--lib", "--message-format=short"])
            .current_dir(self.dir.path())
            .env("CARGO_TARGET_DIR", &self.target)
            .env("GEN_FUZZ_OUTPUT", out)
            .output()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if output.status.success() {
            return Ok(());
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        Err(stderr
            .lines()
            .find(|l| l.contains("error"))
            .unwrap_or("cargo check failed")
            .to_string())
    }
}
