//! The pre-generated output committed in `runtime/src/generated/` is exactly what the
//! generator writes for the default selection: a change to the generator, its templates or its
//! data that is not regenerated fails here.
// Runs the generator, which needs rustfmt and cargo: a host-only test.
#![cfg(not(windows))]
// Test helpers fail loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

#[test]
fn committed_output_matches_the_generator() {
    let generated = winsync_gen::generate(&winsync_gen::Options::default())
        .expect("the default generation succeeds");
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../runtime/src/generated");
    let mut stale = Vec::new();
    for file in &generated.files {
        let committed = std::fs::read_to_string(dir.join(file.name)).unwrap_or_default();
        if committed != file.contents {
            stale.push(file.name);
        }
    }
    let mut committed_names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    committed_names.sort();
    let mut generated_names: Vec<String> =
        generated.files.iter().map(|f| f.name.to_string()).collect();
    generated_names.sort();
    assert_eq!(
        committed_names, generated_names,
        "runtime/src/generated holds other files than the generator writes"
    );
    assert!(
        stale.is_empty(),
        "runtime/src/generated is stale ({}): run `cargo run -- generate --out runtime/src/generated`",
        stale.join(", ")
    );
}
