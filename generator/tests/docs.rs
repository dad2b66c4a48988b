//! Microsoft's documentation in the output: the dataset, `extract-docs`, where the text lands,
//! coverage, `--no-docs`, and the check of contract sources against the dataset.
// Test helpers fail loudly by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;

use common::{default_generation, repo_root};
use winsync_gen::model::docs::DocIndex;
use winsync_gen::{Error, Options, bundled, extract_docs, generate};

/// The share of the dataset's pages whose item the default generation carries, at least.
/// Pages of items the metadata does not define (none today) are the only ones allowed out.
const PAGE_COVERAGE: f64 = 0.95;

#[test]
fn bindings_and_skeletons_carry_the_pages_text() {
    let generated = default_generation();
    let bindings = generated.file("bindings.rs").unwrap();
    // The caller's wrapper of a method: description, arguments under their Rust names,
    // return codes, remarks, attribution.
    let at = bindings
        .find("    pub unsafe fn EndSession<")
        .expect("the EndSession wrapper");
    let doc = doc_before(bindings, at);
    assert!(
        doc.contains("Notifies the provider that a synchronization session to which it was enlisted has finished."),
        "{doc}"
    );
    assert!(doc.contains("# Arguments"), "{doc}");
    assert!(doc.contains("- `psessionstate` \\[in\\]:"), "{doc}");
    assert!(doc.contains("# Return codes"), "{doc}");
    assert!(doc.contains("- `S_OK`: The method succeeded."), "{doc}");
    assert!(doc.contains("# Remarks"), "{doc}");
    assert!(
        doc.contains("[`NF:winsync.IKnowledgeSyncProvider.EndSession`](https://learn.microsoft.com/windows/win32/api/winsync/nf-winsync-iknowledgesyncprovider-endsession), CC BY 4.0"),
        "{doc}"
    );
    // The implementer's side, the interface, an enum constant, a struct field.
    let at = bindings
        .find("    fn EndSession(\n")
        .expect("the _Impl method");
    assert!(doc_before(bindings, at).contains("Notifies the provider"));
    // windows-bindgen declares the interface with a macro call (no doc comment possible):
    // the page goes on the inherent impl block.
    let at = bindings
        .find("impl IKnowledgeSyncProvider {")
        .expect("the interface's impl block");
    assert!(doc_before(bindings, at).contains("NN:winsync.IKnowledgeSyncProvider"));
    let at = bindings
        .find("pub const SPR_SOURCE: SYNC_PROVIDER_ROLE")
        .expect("the constant");
    let doc = doc_before(bindings, at);
    assert!(
        doc.contains("The provider is the source provider."),
        "{doc}"
    );
    assert!(doc.contains("A value of `SYNC_PROVIDER_ROLE`."), "{doc}");

    // Skeletons: the page first, then the contract as before.
    let skeletons = generated.file("skeletons.rs").unwrap();
    let at = skeletons
        .find("    fn end_session(")
        .expect("the skeleton method");
    let doc = doc_before(skeletons, at);
    let page = doc.find("Notifies the provider").expect("the page's text");
    let contract = doc.find("# Contract").expect("the contract");
    assert!(page < contract, "{doc}");

    // The report links each source to its page.
    let report = generated.file("CONTRACTS.md").unwrap();
    assert!(report.contains(
        "[`NF:winsync.IKnowledgeSyncProvider.EndSession`](https://learn.microsoft.com/windows/win32/api/winsync/nf-winsync-iknowledgesyncprovider-endsession)"
    ));
}

/// The doc comment lines right above byte `at` of `text`.
fn doc_before(text: &str, at: usize) -> String {
    let mut lines: Vec<&str> = text[..at]
        .lines()
        .rev()
        .take_while(|l| l.trim_start().starts_with("///") || l.trim_start().starts_with("#["))
        .collect();
    lines.reverse();
    lines.join("\n")
}

#[test]
fn coverage_of_the_dataset_and_of_the_skeletons() {
    let generated = default_generation();
    let docs = &generated.docs;
    let set = winsync_gen::parse::docs::parse(bundled::DOCS_NAME, bundled::DOCS).unwrap();
    // Pages whose item is generated but that did not reach it.
    let unused: Vec<&str> = set
        .pages
        .iter()
        .filter(|p| docs.seen.contains(p.item_name()) && !docs.pages.contains(&p.uid))
        .map(|p| p.uid.as_str())
        .collect();
    let used = generated.doc_pages_due - unused.len();
    let share = used as f64 / generated.doc_pages_due as f64;
    assert!(
        share >= PAGE_COVERAGE,
        "only {used} of {} due pages reach the output ({share:.3}); unused: {unused:?}",
        generated.doc_pages_due
    );
    // Today every due page does; the pages of items outside the selection are few.
    assert!(unused.is_empty(), "{unused:?}");
    assert!(generated.doc_pages_due as f64 >= 0.9 * generated.doc_pages as f64);
    assert!(docs.skeleton_methods > 0);
    // Every skeleton method has its page, but those Microsoft publishes none for (the
    // repository's tables of contents list none): they say so in their docs.
    let mut without: Vec<&str> = docs
        .skeleton_without_page
        .iter()
        .map(String::as_str)
        .collect();
    without.sort_unstable();
    assert_eq!(
        without,
        [
            "ISyncChangeBatch2::AddMergeTombstoneLoggedConflict",
            "ISyncChangeBatch2::AddMergeTombstoneMetadataToGroup",
            "ISyncFullEnumerationChangeBatch2::AddMergeTombstoneMetadataToGroup",
            "ISyncMergeTombstoneChange::GetWinnerItemId",
            "ISyncMgrSyncCallback::AddIUnknownToSession",
        ]
    );
    assert_eq!(
        docs.skeleton_documented + without.len(),
        docs.skeleton_methods
    );
}

#[test]
fn every_generated_interface_method_with_a_documented_interface_has_its_page() {
    // A method of a documented interface without a page means a page was not extracted (or
    // the names disagree): the list must stay empty.
    let set = winsync_gen::parse::docs::parse(bundled::DOCS_NAME, bundled::DOCS).unwrap();
    let index = DocIndex::new(&set);
    let generated = default_generation();
    let bindings = generated.file("bindings.rs").unwrap();
    let mut missing = BTreeSet::new();
    let mut interface: Option<&str> = None;
    for line in bindings.lines() {
        if let Some(rest) = line.strip_prefix("impl ") {
            let name = rest.trim_end_matches(" {");
            interface = (!name.contains(' ') && index.item(name).is_some()).then_some(name);
        } else if line.starts_with('}') {
            interface = None;
        } else if let (Some(i), Some(rest)) = (interface, line.strip_prefix("    pub unsafe fn ")) {
            let method = rest.split(['<', '(']).next().unwrap();
            if index.method(i, method).is_none() {
                missing.insert(format!("{i}::{method}"));
            }
        }
    }
    // Microsoft publishes no page for these (`UpdateConflicts`, plural, is another method).
    missing.remove("ISyncMgrSyncCallback::AddIUnknownToSession");
    missing.remove("ISyncMgrControl::UpdateConflict");
    assert!(missing.is_empty(), "methods without a page: {missing:?}");
}

#[test]
fn no_docs_leaves_the_text_out_and_keeps_the_rest() {
    let lean = generate(&Options {
        no_docs: true,
        ..Options::default()
    })
    .unwrap();
    let full = default_generation();
    let lean_bindings = lean.file("bindings.rs").unwrap();
    assert!(!lean_bindings.contains("Microsoft's documentation"));
    assert!(lean_bindings.len() < full.file("bindings.rs").unwrap().len());
    assert!(
        !lean
            .file("skeletons.rs")
            .unwrap()
            .contains("Microsoft's documentation")
    );
    assert_eq!(lean.docs.items, 0);
    // The report's links do not depend on the option.
    assert_eq!(lean.file("CONTRACTS.md"), full.file("CONTRACTS.md"));
}

#[test]
fn a_contract_source_the_dataset_lacks_is_located() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("contracts.toml");
    let text = bundled::CONTRACTS.replacen(
        "NF:winsync.IKnowledgeSyncProvider.EndSession",
        "NF:winsync.IKnowledgeSyncProvider.EndSesion",
        1,
    );
    std::fs::write(&path, &text).unwrap();
    let error = generate(&Options {
        contracts: Some(path.clone()),
        ..Options::default()
    })
    .unwrap_err();
    let Error::Data(diagnostics) = &error else {
        panic!("{error}");
    };
    let at = text.find("EndSesion").unwrap();
    let line = text[..at].lines().count();
    assert!(
        diagnostics.iter().any(|d| d.line == line
            && d.message
                .contains("`NF:winsync.IKnowledgeSyncProvider.EndSesion` is not a page")),
        "{error}"
    );
}

#[test]
fn extract_docs_rebuilds_the_bundled_dataset_from_the_committed_pages() {
    let (set, stats) = extract_docs::extract(&repo_root().join("metadata/sdk-api"), None).unwrap();
    assert!(
        extract_docs::to_json(&set).unwrap() == bundled::DOCS,
        "metadata/docs.json is not what `cargo run -- extract-docs` writes from metadata/sdk-api: run it"
    );
    assert_eq!(stats.kept, set.pages.len());
    // Winsync's enums are filed under the names the bindings use, their MIDL name kept.
    let index = DocIndex::new(&set);
    let role = index.item("SYNC_PROVIDER_ROLE").unwrap();
    assert!(
        index
            .uid("NE:winsync.__MIDL___MIDL_itf_winsync_0000_0000_0001")
            .is_some_and(|p| p.uid == role.uid)
    );
    assert!(index.item("SYNC_VERSION").is_some());
    assert!(set.pages.iter().all(|p| p.commit.len() == 40));
    assert!(set.source.licence.starts_with("CC BY 4.0"));
}

#[test]
fn extract_docs_names_a_broken_page_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("winsync");
    std::fs::create_dir(&pages).unwrap();
    std::fs::write(pages.join("nn-winsync-ithing.md"), "# no front matter\n").unwrap();
    let error = extract_docs::extract(dir.path(), None).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("nn-winsync-ithing.md:1:1: the page does not start"),
        "{error}"
    );
    let empty = tempfile::tempdir().unwrap();
    let error = extract_docs::extract(empty.path(), None).unwrap_err();
    assert!(
        error.to_string().contains("no reference pages found"),
        "{error}"
    );
}

#[test]
fn a_clones_pages_record_the_commit_given() {
    let dir = tempfile::tempdir().unwrap();
    let pages = dir
        .path()
        .join("sdk-api-src")
        .join("content")
        .join("winsync");
    std::fs::create_dir_all(&pages).unwrap();
    std::fs::write(
        pages.join("nn-winsync-ithing.md"),
        "---\nUID: NN:winsync.IThing\nreq.header: winsync.h\n---\n\n# IThing interface\n\n## -description\n\nA thing.\n",
    )
    .unwrap();
    let commit = "0123456789abcdef0123456789abcdef01234567";
    let (set, _) = extract_docs::extract(dir.path(), Some(commit)).unwrap();
    assert_eq!(set.pages.len(), 1);
    assert_eq!(set.pages[0].commit, commit);
    assert_eq!(set.pages[0].description, "A thing.");
    assert_eq!(
        set.pages[0].url,
        "https://learn.microsoft.com/windows/win32/api/winsync/nn-winsync-ithing"
    );
}
