//! The bundled subset is faithful to Microsoft's full Win32 metadata, and reproducible.
// Test helpers fail loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{body, default_generation, repo_root, upstream_winmd};
use windows_metadata::reader::Index;
use winsync_gen::{Input, Options, extract, generate};

#[test]
fn bindings_from_the_subset_equal_bindings_from_the_full_file() {
    let from_subset = default_generation();
    let from_upstream = generate(&Options {
        inputs: vec![Input::Path(upstream_winmd())],
        ..Options::default()
    })
    .expect("the full upstream file generates");
    assert_eq!(from_subset.files.len(), from_upstream.files.len());
    for (subset, upstream) in from_subset.files.iter().zip(&from_upstream.files) {
        assert_eq!(subset.name, upstream.name);
        assert!(
            body(&subset.contents) == body(&upstream.contents),
            "{} differs between the subset and the full file",
            subset.name
        );
    }
    assert_eq!(from_subset.skipped, from_upstream.skipped);
}

#[test]
fn extraction_reproduces_the_committed_subset() {
    let index = Index::read(upstream_winmd()).expect("upstream metadata reads");
    let names = extract::bundled_selection(&index);
    assert_eq!(
        names
            .iter()
            .filter(|(ns, _)| ns == extract::WINDOWS_SYNC_NAMESPACE)
            .count(),
        146
    );
    assert_eq!(
        names
            .iter()
            .filter(|(ns, _)| ns == extract::SHELL_NAMESPACE)
            .count(),
        99
    );
    let (bytes, stats) = extract::extract(&index, &names, "Windows.Win32.Sync");
    let committed = std::fs::read(repo_root().join("metadata/Windows.Win32.Sync.winmd")).unwrap();
    assert!(
        bytes == committed,
        "metadata/Windows.Win32.Sync.winmd is not what `extract-metadata` writes: rerun it"
    );
    assert!(stats.types > 245, "{stats:?}");
}
