//! `extract-docs`: Microsoft's reference pages (`MicrosoftDocs/sdk-api`) → the bundled
//! documentation dataset (`metadata/docs.json`).
//!
//! The input folder holds one subfolder per header ([`HEADERS`]: `winsync`, `syncmgr`,
//! `mobsync`, `syncregistration`, and `objidl` for the one page a contract rule cites) of
//! pages, as in the repository's `sdk-api-src/content/` (a clone's
//! `sdk-api-src/content` folder works as it is) or as in `metadata/sdk-api/` (the pages the
//! bundled dataset was made from, with the front matter reduced to the keys used and the
//! commit each page was taken from as `source-commit`).
//!
//! Every page becomes a [`DocPage`] whose text is rustdoc Markdown ([`markup`]). Two quirks
//! of the pages are undone here: winsync's enums are filed under their MIDL names
//! (`NE:winsync.__MIDL___MIDL_itf_winsync_0000_0000_0001`, the real name only in
//! `old-location`) and structs under their tag names (`NS:winsync._SYNC_VERSION`,
//! `NS:mobsync._tagSYNCMGRITEM`); both are filed under the name the bindings use, with the
//! page's own UID kept as an alias, and when an item has two pages the fuller one is kept.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::model::docs::{DocField, DocPage, DocParam, DocReturn, DocSet, DocSource};
use crate::parse::markup::{self, Links};
use crate::parse::pages::{self, Page};

/// The headers whose pages are read, in this order.
pub const HEADERS: [&str; 5] = [
    "winsync",
    "syncmgr",
    "mobsync",
    "syncregistration",
    "objidl",
];

/// The dataset's licence and origin, as the attribution gives them.
pub const REPOSITORY: &str = "https://github.com/MicrosoftDocs/sdk-api";
/// The documentation's licence (the repository's README).
pub const LICENCE: &str = "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)";

/// What [`extract`] read.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ExtractDocsStats {
    /// Pages read per header.
    pub pages: BTreeMap<String, usize>,
    /// Pages in the dataset (after merging an item's two pages).
    pub kept: usize,
    /// Pages left out because another page of the same item is fuller.
    pub merged: usize,
    /// Pages whose every part is empty (unfilled templates), left out.
    pub empty: usize,
}

/// One page read, with where it came from.
struct Read {
    header: String,
    file: String,
    page: Page,
}

/// Reads every page under `from` and converts them. A page without `source-commit` (a clone's
/// pages) records `commit` (the clone's commit, when the caller knows it; else nothing).
///
/// # Errors
/// [`Error::Io`] for an unreadable folder or file; [`Error::Data`] listing every page that
/// cannot be split (no front matter, no UID), `file:line:col`; [`Error::Selection`] when no
/// header folder holds a page.
pub fn extract(from: &Path, commit: Option<&str>) -> Result<(DocSet, ExtractDocsStats)> {
    let root = content_root(from);
    let mut stats = ExtractDocsStats::default();
    let mut read = Vec::new();
    let mut problems = Vec::new();
    for header in HEADERS {
        let dir = root.join(header);
        if !dir.is_dir() {
            continue;
        }
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|e| Error::io(&dir, e))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "md"))
            .collect();
        files.sort();
        for path in files {
            let file = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if matches!(file.as_str(), "TOC.md" | "index.md") {
                continue;
            }
            let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
            match pages::parse(&path.display().to_string(), &text) {
                Ok(page) => {
                    *stats.pages.entry(header.to_owned()).or_default() += 1;
                    read.push(Read {
                        header: header.to_owned(),
                        file,
                        page,
                    });
                }
                Err(problem) => problems.push(problem),
            }
        }
    }
    if !problems.is_empty() {
        return Err(Error::Data(problems));
    }
    if read.is_empty() {
        return Err(Error::Selection(format!(
            "{}: no reference pages found (expected folders {} of Markdown pages)",
            from.display(),
            HEADERS.join(", ")
        )));
    }
    let mut links = Links::default();
    for r in &read {
        if let Some(asset) = r.page.get("ms.assetid") {
            links.by_asset.insert(
                asset.trim().to_ascii_lowercase(),
                markup::page_url(&r.header, &r.file),
            );
        }
    }
    let mut by_uid: HashMap<String, DocPage> = HashMap::new();
    for r in &read {
        let page = convert(r, &links, commit);
        if page.is_empty() {
            stats.empty += 1;
            continue;
        }
        match by_uid.get_mut(&page.uid) {
            Some(kept) => {
                stats.merged += 1;
                let mut aliases: Vec<String> = kept.aliases.clone();
                aliases.extend(page.aliases.iter().cloned());
                if weight(&page) > weight(kept) {
                    *kept = page;
                }
                aliases.retain(|a| *a != kept.uid);
                aliases.sort();
                aliases.dedup();
                kept.aliases = aliases;
            }
            None => {
                by_uid.insert(page.uid.clone(), page);
            }
        }
    }
    let mut pages: Vec<DocPage> = by_uid.into_values().collect();
    pages.sort_by(|a, b| a.uid.cmp(&b.uid));
    stats.kept = pages.len();
    let set = DocSet {
        source: DocSource {
            repository: REPOSITORY.to_owned(),
            licence: LICENCE.to_owned(),
            note: "Microsoft's API reference pages, converted to rustdoc Markdown by \
                   `winsync-gen extract-docs` (HTML turned into Markdown, links rewritten to \
                   learn.microsoft.com, return-code tables read as lists)"
                .to_owned(),
        },
        pages,
    };
    Ok((set, stats))
}

/// The dataset as the bundled file holds it: JSON, one page per line.
///
/// # Errors
/// [`Error::Internal`] if serialization fails (it cannot for these types).
pub fn to_json(set: &DocSet) -> Result<String> {
    let internal = |e: serde_json::Error| Error::Internal {
        stage: "writing the documentation dataset",
        message: e.to_string(),
    };
    let mut out = String::from("{\"source\":");
    out.push_str(&serde_json::to_string(&set.source).map_err(internal)?);
    out.push_str(",\"pages\":[\n");
    for (i, page) in set.pages.iter().enumerate() {
        if i > 0 {
            out.push_str(",\n");
        }
        out.push_str(&serde_json::to_string(page).map_err(internal)?);
    }
    out.push_str("\n]}\n");
    Ok(out)
}

/// Writes `set` to `out` atomically (a temporary file renamed over it).
///
/// # Errors
/// [`Error::Io`] naming the file.
pub fn write(set: &DocSet, out: &Path) -> Result<()> {
    let json = to_json(set)?;
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    crate::emit::output::replace(dir, out, json.as_bytes())
}

/// `from` itself, or its `sdk-api-src/content` when it is a clone of the repository.
fn content_root(from: &Path) -> PathBuf {
    let clone = from.join("sdk-api-src").join("content");
    if clone.is_dir() {
        clone
    } else {
        from.to_path_buf()
    }
}

/// How much text a page holds (to keep the fuller of an item's two pages).
fn weight(page: &DocPage) -> usize {
    page.description.len()
        + page.remarks.len()
        + page.returns_text.len()
        + page.params.iter().map(|p| p.text.len()).sum::<usize>()
        + page.fields.iter().map(|f| f.text.len()).sum::<usize>()
        + page
            .returns
            .iter()
            .map(|r| r.meaning.len() + 1)
            .sum::<usize>()
}

/// The UID the bindings' name gives: MIDL enum names replaced by the name in `old-location`,
/// tag names (`_X`, `_tagX`, `tagX`) by the type's name.
fn canonical_uid(page: &Page) -> String {
    let uid = page.get("UID").unwrap_or_default().trim();
    let Some((kind, rest)) = uid.split_once(':') else {
        return uid.to_owned();
    };
    let Some((header, name)) = rest.split_once('.') else {
        return uid.to_owned();
    };
    let name = if kind == "NE" && name.starts_with("__MIDL") {
        match page
            .get("old-location")
            .and_then(|l| l.rsplit(['\\', '/']).next())
            .and_then(|f| f.strip_suffix(".htm"))
        {
            Some(real) => real.to_ascii_uppercase(),
            None => name.to_owned(),
        }
    } else if kind == "NE" || kind == "NS" {
        name.trim_start_matches('_')
            .strip_prefix("tag")
            .unwrap_or(name.trim_start_matches('_'))
            .to_owned()
    } else {
        name.to_owned()
    };
    format!("{kind}:{header}.{name}")
}

fn convert(read: &Read, links: &Links, commit: Option<&str>) -> DocPage {
    let page = &read.page;
    let uid = canonical_uid(page);
    let own = page.get("UID").unwrap_or_default().trim().to_owned();
    let aliases = if own == uid { Vec::new() } else { vec![own] };
    let text = |kind: &str| {
        page.section(kind)
            .map(|body| markup::to_rustdoc(body, links))
            .unwrap_or_default()
    };
    let mut params = Vec::new();
    let mut fields = Vec::new();
    for section in &page.sections {
        match section.kind.as_str() {
            "param" => {
                let (name, direction) = split_direction(&section.name);
                // Some pages file a parameter's text under a stray `#### - pName [out]`
                // heading (sometimes with another parameter's name): the text is this one's.
                let body = section
                    .body
                    .trim_start()
                    .strip_prefix("#### - ")
                    .and_then(|rest| rest.split_once('\n').map(|(_, text)| text))
                    .unwrap_or(&section.body);
                params.push(DocParam {
                    name,
                    direction,
                    text: markup::drop_type_line(&markup::to_rustdoc(body, links)),
                });
            }
            "field" => fields.push(DocField {
                name: section
                    .name
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_owned(),
                text: markup::drop_type_line(&markup::to_rustdoc(&section.body, links)),
            }),
            _ => {}
        }
    }
    let (returns, returns_text) = page
        .section("returns")
        .map(|body| markup::return_codes(body, links))
        .unwrap_or_default();
    let see_also = text("see-also")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    DocPage {
        uid,
        aliases,
        url: markup::page_url(&read.header, &read.file),
        commit: page
            .get("source-commit")
            .or(commit)
            .unwrap_or_default()
            .trim()
            .to_owned(),
        description: text("description"),
        params,
        fields,
        returns: returns
            .into_iter()
            .map(|(code, meaning)| DocReturn { code, meaning })
            .collect(),
        returns_text,
        remarks: text("remarks"),
        see_also,
    }
}

/// `pSessionState [in]` → (`pSessionState`, `in`).
fn split_direction(heading: &str) -> (String, String) {
    let heading = heading.trim();
    match heading.split_once('[') {
        Some((name, rest)) => (
            name.trim().to_owned(),
            rest.trim_end_matches(']').trim().to_owned(),
        ),
        None => (
            heading.split_whitespace().next().unwrap_or("").to_owned(),
            String::new(),
        ),
    }
}
