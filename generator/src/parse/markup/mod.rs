//! The pages' mix of Markdown and HTML, turned into rustdoc Markdown.
//!
//! The reference pages were converted from an older HTML format and keep much of it: `<a
//! href>` links (most to old `msdn.microsoft.com/<asset id>` addresses), `<b>`, `<i>`, `<code>`,
//! `<table>`s of return codes, `<dl>` lists, `<div class="alert">` notes, `<pre>` blocks, all
//! inside Markdown paragraphs, lists, links and code fences. What comes out must pass rustdoc
//! with warnings as errors: no HTML tag rustdoc does not know or that is left open, no `[word]`
//! that reads as an unresolved intra-doc link, no bare URL, and no code block rustdoc would
//! compile as a doctest (unlabelled and indented blocks are Rust to rustdoc). So:
//!
//! - links keep their text and get a current address ([`Links`]); a link whose target is
//!   unknown keeps its text only;
//! - `<b>`/`<strong>` become `**`, `<i>`/`<em>` `*`, `<code>` backticks; block tags become
//!   paragraph breaks, `<li>` a list item, `<pre>` a `text` code fence;
//! - tables become Markdown tables (cells flattened to one line); the return-code table of a
//!   `## -returns` section is read as a list by [`return_codes`];
//! - brackets outside links and code are escaped, `<` that opens no known tag becomes `&lt;`,
//!   bare URLs are put in angle brackets, `&nbsp;` becomes a space, lines lose their leading
//!   indentation (outside fences) and runs of blank lines collapse;
//! - fences keep `cpp` (and C-like labels) as `cpp`; every other fence becomes `text`.

use std::collections::HashMap;

mod html;
mod table;
#[cfg(test)]
mod tests;

use html::{collapse_spaces, convert, decode_entities, strip_tags};
use table::{find_table, inline, table_rows};

/// Current addresses for the links the pages hold.
#[derive(Debug, Default, Clone)]
pub struct Links {
    /// Asset id (lowercase GUID, the page's `ms.assetid`) → the page's address.
    pub by_asset: HashMap<String, String>,
}

/// The address of the page `file` (`nf-winsync-isyncknowledge-clone.md`) of `header`
/// (`winsync`) on learn.microsoft.com.
#[must_use]
pub fn page_url(header: &str, file: &str) -> String {
    let stem = file.strip_suffix(".md").unwrap_or(file);
    format!("https://learn.microsoft.com/windows/win32/api/{header}/{stem}")
}

impl Links {
    /// The current address of `href`, or `None` when it names a page this set does not know
    /// (an old asset-id link to a page outside the set) or is not a web address.
    #[must_use]
    pub fn rewrite(&self, href: &str) -> Option<String> {
        let href = href.trim();
        if let Some(rest) = href
            .strip_prefix("https://msdn.microsoft.com/")
            .or_else(|| href.strip_prefix("http://msdn.microsoft.com/"))
        {
            let id = rest
                .trim_start_matches("en-us/")
                .trim_start_matches("library/")
                .trim_end_matches(".aspx")
                .trim_end_matches('/')
                .to_ascii_lowercase();
            return self.by_asset.get(&id).cloned();
        }
        for docs in ["https://docs.microsoft.com/", "http://docs.microsoft.com/"] {
            if let Some(rest) = href.strip_prefix(docs) {
                let rest = rest.trim_start_matches("en-us/");
                let rest = rest
                    .strip_prefix("windows/desktop/")
                    .map_or_else(|| rest.to_owned(), |r| format!("windows/win32/{r}"));
                return Some(format!("https://learn.microsoft.com/{rest}"));
            }
        }
        if let Some(rest) = href.strip_prefix("/windows/desktop/") {
            return Some(format!("https://learn.microsoft.com/windows/win32/{rest}"));
        }
        if href.starts_with('/') && !href.starts_with("//") {
            return Some(format!("https://learn.microsoft.com{href}"));
        }
        if href.starts_with("https://") || href.starts_with("http://") {
            return Some(href.to_owned());
        }
        // Relative links between reference pages: `nf-winsync-x-y.md`, `../syncmgr/nn-...`.
        let path = href.trim_start_matches("./").trim_start_matches("../");
        let (header, file) = path.split_once('/')?;
        let file = file.split('#').next()?;
        if header.starts_with('_') || file.is_empty() || file.contains('/') {
            return None;
        }
        Some(page_url(header, file))
    }
}

/// `text` (a section body) as rustdoc Markdown.
#[must_use]
pub fn to_rustdoc(text: &str, links: &Links) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    // Code fences are copied as they are (with a safe label); the rest is converted.
    loop {
        let Some((before, fence, after)) = next_fence(rest) else {
            out.push_str(&convert(rest, links, false));
            break;
        };
        out.push_str(&convert(before, links, false));
        out.push_str("\n\n");
        out.push_str(&fence);
        out.push_str("\n\n");
        rest = after;
    }
    tidy(&out)
}

/// The return codes of a `## -returns` section (`(code, meaning)`, from its first table whose
/// rows hold two cells) and the section's other text, both as rustdoc Markdown. A leading
/// `Type: HRESULT` line is dropped.
#[must_use]
pub fn return_codes(text: &str, links: &Links) -> (Vec<(String, String)>, String) {
    let Some((start, end)) = find_table(text, 0) else {
        return (Vec::new(), drop_type_line(&to_rustdoc(text, links)));
    };
    let mut codes = Vec::new();
    for row in table_rows(&text[start..end]) {
        if row.header || row.cells.len() < 2 {
            continue;
        }
        let code = collapse_spaces(&decode_entities(&strip_tags(&row.cells[0])));
        let meaning = inline(&row.cells[1], links);
        if !code.is_empty() {
            codes.push((code, meaning));
        }
    }
    if codes.is_empty() {
        return (Vec::new(), drop_type_line(&to_rustdoc(text, links)));
    }
    let prose = format!("{}\n\n{}", &text[..start], &text[end..]);
    (codes, drop_type_line(&to_rustdoc(&prose, links)))
}

/// Drops a first paragraph `Type: **...**` (the C type the syncmgr pages state first).
#[must_use]
pub fn drop_type_line(text: &str) -> String {
    let trimmed = text.trim_start();
    if trimmed.starts_with("Type:") {
        let end = trimmed.find("\n\n").unwrap_or(trimmed.len());
        return trimmed[end..].trim().to_owned();
    }
    text.to_owned()
}

/// Splits off the next code fence: (text before, the fence rewritten, text after).
fn next_fence(text: &str) -> Option<(&str, String, &str)> {
    let mut offset = 0;
    let mut open: Option<(usize, String, String)> = None;
    let mut body = String::new();
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        match &open {
            None => {
                if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
                    let marker: String = trimmed
                        .chars()
                        .take_while(|c| *c == '`' || *c == '~')
                        .collect();
                    let label = trimmed[marker.len()..].trim().to_ascii_lowercase();
                    open = Some((offset, marker, label));
                }
            }
            Some((start, marker, label)) => {
                if trimmed == marker {
                    let label = match label.as_str() {
                        "cpp" | "c++" | "c" | "cs" | "csharp" | "c#" => "cpp",
                        _ => "text",
                    };
                    let fence = fence_block(label, &body);
                    return Some((&text[..*start], fence, &text[offset + line.len()..]));
                }
                body.push_str(line.strip_suffix('\n').unwrap_or(line));
                body.push('\n');
            }
        }
        offset += line.len();
    }
    // An unclosed fence: everything after it is code.
    let (start, _, _) = open?;
    Some((&text[..start], fence_block("text", &body), ""))
}

/// A fenced block of `body` labelled `label`, its fence longer than any backtick run inside.
pub(super) fn fence_block(label: &str, body: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in body.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let marker = "`".repeat(longest.max(2) + 1);
    let body = body.trim_matches('\n');
    format!("{marker}{label}\n{body}\n{marker}")
}

/// Leading indentation removed outside fences (an indented block is a doctest to rustdoc),
/// trailing spaces removed, blank-line runs collapsed, ends trimmed.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut fence: Option<&str> = None;
    let mut blank = true;
    for line in text.lines() {
        let trimmed = line.trim();
        let marker_len = trimmed.bytes().take_while(|b| *b == b'`').count();
        let fence_line = match fence {
            Some(open) => trimmed == open,
            None => marker_len >= 3,
        };
        let in_fence = fence.is_some();
        let line = if in_fence && !fence_line {
            line.trim_end()
        } else {
            trimmed
        };
        if fence_line {
            fence = match fence {
                Some(_) => None,
                None => Some(&trimmed[..marker_len]),
            };
        }
        let in_fence = fence.is_some();
        if line.is_empty() && !in_fence {
            if !blank {
                out.push('\n');
            }
            blank = true;
            continue;
        }
        blank = false;
        out.push_str(line);
        out.push('\n');
    }
    out.trim().to_owned()
}
