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
fn fence_block(label: &str, body: &str) -> String {
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

/// Block-level HTML elements: each becomes a paragraph break.
const BLOCK: &[&str] = &[
    "p",
    "div",
    "dl",
    "ul",
    "ol",
    "blockquote",
    "section",
    "table",
    "tr",
    "th",
    "td",
    "tbody",
    "thead",
    "center",
];
/// Elements whose tags are dropped, their text kept.
const DROP: &[&str] = &[
    "span",
    "sup",
    "sub",
    "font",
    "u",
    "small",
    "big",
    "tt",
    "dfn",
    "cite",
    "abbr",
    "nobr",
    "img",
    "col",
    "colgroup",
    "caption",
    "hr",
    "legacyLink",
    "xref",
    "mt",
    "mtext",
];

/// A parsed tag.
struct Tag<'a> {
    name: String,
    closing: bool,
    attrs: &'a str,
    /// Bytes the tag takes, `<` to `>`.
    len: usize,
}

/// The tag at the start of `text` (which starts with `<`), if it is one: a known HTML
/// element's tag, or a comment (`name` "!--").
fn tag_at(text: &str) -> Option<Tag<'_>> {
    if let Some(rest) = text.strip_prefix("<!--") {
        let end = rest.find("-->")?;
        return Some(Tag {
            name: "!--".into(),
            closing: false,
            attrs: "",
            len: 4 + end + 3,
        });
    }
    let body = &text[1..];
    let (closing, body) = match body.strip_prefix('/') {
        Some(b) => (true, b),
        None => (false, body),
    };
    let name_len = body
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b':')
        .count();
    if name_len == 0 {
        return None;
    }
    let name = body[..name_len].to_ascii_lowercase();
    let known = matches!(
        name.as_str(),
        "a" | "b"
            | "strong"
            | "i"
            | "em"
            | "code"
            | "br"
            | "li"
            | "dt"
            | "dd"
            | "pre"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "var"
            | "kbd"
            | "samp"
    ) || BLOCK.contains(&name.as_str())
        || DROP.iter().any(|d| d.eq_ignore_ascii_case(&name));
    if !known {
        return None;
    }
    // The end: the first `>` outside quotes.
    let mut quote = None;
    for (i, c) in body[name_len..].char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => {
                let attrs_end = name_len + i;
                return Some(Tag {
                    name,
                    closing,
                    attrs: &body[name_len..attrs_end],
                    len: 1 + usize::from(closing) + attrs_end + 1,
                });
            }
            (None, '<') => return None,
            _ => {}
        }
    }
    None
}

fn attr<'a>(attrs: &'a str, name: &str) -> Option<&'a str> {
    let lower = attrs.to_ascii_lowercase();
    let at = lower.find(&format!("{name}="))?;
    let rest = &attrs[at + name.len() + 1..];
    let quote = rest.chars().next()?;
    if quote == '"' || quote == '\'' {
        let inner = &rest[1..];
        Some(&inner[..inner.find(quote)?])
    } else {
        Some(
            rest.split(|c: char| c.is_whitespace())
                .next()
                .unwrap_or(rest),
        )
    }
}

/// Converts text that holds no code fence. `in_cell`: one line, `|` escaped.
fn convert(text: &str, links: &Links, in_cell: bool) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    // Open `<a>` (where its text starts in `out`, its address) and emphasis (start, marker).
    let mut anchors: Vec<(usize, Option<String>)> = Vec::new();
    let mut emphasis: Vec<(usize, &'static str, String)> = Vec::new();
    let mut code_depth = 0usize;
    let mut at = 0;
    let mut segment_start = 0;
    let bytes = text.as_bytes();
    while at < bytes.len() {
        if bytes[at] != b'<' {
            at += 1;
            continue;
        }
        // A table is converted whole.
        if code_depth == 0
            && bytes[at..].len() >= 6
            && bytes[at..at + 6].eq_ignore_ascii_case(b"<table")
            && let Some((start, end)) = find_table(text, at)
        {
            flush(&mut out, &text[segment_start..start], links, false, in_cell);
            out.push_str("\n\n");
            out.push_str(&markdown_table(&text[start..end], links));
            out.push_str("\n\n");
            at = end;
            segment_start = end;
            continue;
        }
        let Some(tag) = tag_at(&text[at..]) else {
            at += 1;
            continue;
        };
        flush(
            &mut out,
            &text[segment_start..at],
            links,
            code_depth > 0,
            in_cell,
        );
        at += tag.len;
        segment_start = at;
        let brk = if in_cell { " " } else { "\n\n" };
        // Inside code only the code's own end counts; other tags are a space at most.
        if code_depth > 0 && !matches!(tag.name.as_str(), "code" | "kbd" | "samp") {
            if tag.name != "!--" && !matches!(tag.name.as_str(), "a" | "b" | "i" | "em" | "strong")
            {
                out.push(' ');
            }
            continue;
        }
        match (tag.name.as_str(), tag.closing) {
            ("!--", _) => {}
            ("a", false) => {
                let href = attr(tag.attrs, "href").and_then(|h| links.rewrite(&decode_entities(h)));
                anchors.push((out.len(), href));
            }
            ("a", true) => {
                let anchor = anchors.pop();
                if let Some((start, _)) = anchor {
                    // Emphasis opened inside the link and left open there ends with it.
                    emphasis.retain(|(at, _, _)| *at <= start);
                }
                if let Some((start, Some(url))) = anchor {
                    if start > out.len() || !out.is_char_boundary(start) {
                        continue;
                    }
                    let inner = out[start..].trim().to_owned();
                    // A link around a block would not render: its text stays, unlinked.
                    if inner.contains('\n') {
                        continue;
                    }
                    out.truncate(start);
                    if inner.is_empty() {
                        continue;
                    }
                    out.push('[');
                    out.push_str(&inner);
                    out.push_str("](");
                    out.push_str(&url);
                    out.push(')');
                }
            }
            ("b" | "strong", false) => emphasis.push((out.len(), "**", tag.name.clone())),
            ("i" | "em" | "var", false) => emphasis.push((out.len(), "*", tag.name.clone())),
            ("b" | "strong" | "i" | "em" | "var", true) => {
                if let Some(pos) = emphasis.iter().rposition(|(_, _, n)| *n == tag.name) {
                    let (start, marker, _) = emphasis.remove(pos);
                    wrap(&mut out, start, marker);
                }
            }
            ("code" | "kbd" | "samp", false) => {
                if code_depth == 0 {
                    emphasis.push((out.len(), "`", "code".into()));
                }
                code_depth += 1;
            }
            ("code" | "kbd" | "samp", true) => {
                code_depth = code_depth.saturating_sub(1);
                if code_depth == 0
                    && let Some(pos) = emphasis.iter().rposition(|(_, _, n)| n == "code")
                {
                    let (start, marker, _) = emphasis.remove(pos);
                    wrap(&mut out, start, marker);
                }
            }
            ("pre", false) => {
                let close = text[at..].to_ascii_lowercase().find("</pre>");
                let end = close.map_or(text.len(), |c| at + c);
                let code = decode_entities(&strip_tags(&text[at..end]));
                if in_cell {
                    out.push('`');
                    out.push_str(&collapse_spaces(&code).replace('`', "'"));
                    out.push('`');
                } else {
                    out.push_str("\n\n");
                    out.push_str(&fence_block("text", &code));
                    out.push_str("\n\n");
                }
                at = close.map_or(text.len(), |c| at + c + "</pre>".len());
                segment_start = at;
            }
            ("br", _) => out.push_str(brk),
            ("li", false) => out.push_str(if in_cell { " - " } else { "\n- " }),
            ("li", true) | ("dt" | "dd", _) => out.push_str(if in_cell { " " } else { "\n" }),
            (h, false) if h.len() == 2 && h.starts_with('h') => {
                out.push_str(brk);
                emphasis.push((out.len(), "**", tag.name.clone()));
            }
            (h, true) if h.len() == 2 && h.starts_with('h') => {
                if let Some(pos) = emphasis.iter().rposition(|(_, _, n)| *n == tag.name) {
                    let (start, marker, _) = emphasis.remove(pos);
                    wrap(&mut out, start, marker);
                }
                out.push_str(brk);
            }
            (name, _) if BLOCK.contains(&name) => out.push_str(brk),
            _ => {}
        }
    }
    flush(
        &mut out,
        &text[segment_start..],
        links,
        code_depth > 0,
        in_cell,
    );
    // A `<code>` never closed: its text was taken as code; it is plain text after all.
    if let Some((start, _, _)) = emphasis
        .iter()
        .find(|(at, marker, _)| *marker == "`" && *at <= out.len() && out.is_char_boundary(*at))
    {
        let tail = escape_text(&out[*start..]);
        out.truncate(*start);
        out.push_str(&tail);
    }
    out
}

/// Puts `marker` around what `out` holds from `start`, outside its surrounding spaces.
fn wrap(out: &mut String, start: usize, marker: &str) {
    if start > out.len() || !out.is_char_boundary(start) {
        return;
    }
    let inner = out[start..].to_owned();
    let trimmed = inner.trim();
    // Emphasis around a block (a paragraph break, a fence) would not render: left out.
    if trimmed.is_empty() || (marker != "`" && trimmed.contains('\n')) {
        return;
    }
    let lead = &inner[..inner.len() - inner.trim_start().len()];
    let trail = &inner[inner.trim_end().len()..];
    // `<b><b>x</b></b>`: once is enough.
    if trimmed.len() > 2 * marker.len() && trimmed.starts_with(marker) && trimmed.ends_with(marker)
    {
        return;
    }
    let body = if marker == "`" {
        collapse_spaces(&trimmed.replace('`', "'"))
    } else {
        trimmed.to_owned()
    };
    out.truncate(start);
    out.push_str(lead);
    out.push_str(marker);
    out.push_str(&body);
    out.push_str(marker);
    out.push_str(trail);
}

/// Appends a run of text: entities decoded where Markdown needs it, brackets and stray `<`
/// escaped, Markdown links rewritten, bare URLs bracketed. Inside `<code>` the text is taken
/// as it is (entities decoded).
fn flush(out: &mut String, text: &str, links: &Links, in_code: bool, in_cell: bool) {
    let text = text.replace("&nbsp;", " ").replace('\u{a0}', " ");
    if in_code {
        let code = decode_entities(&text).replace('`', "'");
        out.push_str(&if in_cell {
            collapse_spaces(&code)
        } else {
            code
        });
        return;
    }
    let mut piece = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while !rest.is_empty() {
        // Markdown inline code: copied as it is.
        if rest.starts_with('`') {
            let ticks = rest.bytes().take_while(|b| *b == b'`').count();
            let marker = &rest[..ticks];
            if let Some(end) = rest[ticks..].find(marker) {
                piece.push_str(&rest[..ticks + end + ticks]);
                rest = &rest[ticks + end + ticks..];
                continue;
            }
            // An unmatched run is literal (unescaped at a line's start it would open a fence).
            piece.push_str(&"\\`".repeat(ticks));
            rest = &rest[ticks..];
            continue;
        }
        // Markdown link: `[text](address)`.
        if rest.starts_with('[')
            && let Some((label, href, len)) = markdown_link(rest)
        {
            match links.rewrite(href) {
                Some(url) => {
                    piece.push('[');
                    piece.push_str(&escape_text(label));
                    piece.push_str("](");
                    piece.push_str(&url);
                    piece.push(')');
                }
                None => piece.push_str(&escape_text(label)),
            }
            rest = &rest[len..];
            continue;
        }
        if rest.starts_with("https://") || rest.starts_with("http://") {
            let len = rest
                .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | ')' | ']'))
                .unwrap_or(rest.len());
            let url = rest[..len].trim_end_matches(['.', ',', ';', ':']);
            piece.push('<');
            piece.push_str(url);
            piece.push('>');
            rest = &rest[url.len()..];
            continue;
        }
        let next = rest
            .char_indices()
            .skip(1)
            .find(|(_, c)| matches!(c, '`' | '[' | 'h'))
            .map_or(rest.len(), |(i, _)| i);
        piece.push_str(&escape_text(&rest[..next]));
        rest = &rest[next..];
    }
    if in_cell {
        out.push_str(&collapse_spaces(&piece).replace('|', "\\|"));
    } else {
        out.push_str(&piece);
    }
}

/// `[label](href)` at the start of `text`: (label, href, bytes taken).
fn markdown_link(text: &str) -> Option<(&str, &str, usize)> {
    let close = text.find("](")?;
    let label = &text[1..close];
    if label.contains(['[', ']', '\n']) {
        return None;
    }
    let after = &text[close + 2..];
    let end = after.find(')')?;
    let href = &after[..end];
    if href.contains(char::is_whitespace) && !href.contains('"') {
        return None;
    }
    let href = href.split_whitespace().next().unwrap_or("");
    Some((label, href, close + 2 + end + 1))
}

fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '[' => out.push_str("\\["),
            ']' => out.push_str("\\]"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
    out
}

/// The byte range of the first `<table ...> ... </table>` at or after `from`.
fn find_table(text: &str, from: usize) -> Option<(usize, usize)> {
    let lower = text.to_ascii_lowercase();
    let start = from + lower[from..].find("<table")?;
    let end = start + lower[start..].find("</table>")? + "</table>".len();
    Some((start, end))
}

struct Row {
    header: bool,
    /// Each cell's inner HTML.
    cells: Vec<String>,
}

fn table_rows(table: &str) -> Vec<Row> {
    let lower = table.to_ascii_lowercase();
    let mut rows = Vec::new();
    let mut at = 0;
    while let Some(offset) = lower[at..].find("<tr") {
        let start = at + offset;
        let end = lower[start + 3..]
            .find("<tr")
            .map_or(lower.len(), |e| start + 3 + e);
        let mut cells = Vec::new();
        let mut header = false;
        let mut pos = start;
        loop {
            let th = lower[pos..end].find("<th");
            let td = lower[pos..end].find("<td");
            let (offset, is_th) = match (th, td) {
                (Some(h), Some(d)) if h < d => (h, true),
                (_, Some(d)) => (d, false),
                (Some(h), None) => (h, true),
                (None, None) => break,
            };
            let open = pos + offset;
            let Some(open_end) = lower[open..end].find('>') else {
                break;
            };
            let body = open + open_end + 1;
            let close_tag = if is_th { "</th>" } else { "</td>" };
            let close = lower[body..end].find(close_tag).map_or(end, |c| body + c);
            header |= is_th;
            cells.push(table[body..close].to_owned());
            pos = (close + close_tag.len()).min(end);
            if pos >= end {
                break;
            }
        }
        if !cells.is_empty() {
            rows.push(Row { header, cells });
        }
        at = end;
    }
    rows
}

/// A table as a Markdown table (header from its first row).
fn markdown_table(table: &str, links: &Links) -> String {
    let rows = table_rows(table);
    let Some(width) = rows.iter().map(|r| r.cells.len()).max() else {
        return String::new();
    };
    // A one-column table (the pages' frame around a code example, headed `C++`) is its
    // content.
    if width == 1 {
        let body = if rows[0].header {
            &rows[1..]
        } else {
            &rows[..]
        };
        return body
            .iter()
            .map(|row| convert(&row.cells[0], links, false))
            .collect::<Vec<_>>()
            .join("\n\n");
    }
    let mut out = String::new();
    let line = |cells: &[String]| {
        let mut line = String::from("|");
        for i in 0..width {
            line.push(' ');
            line.push_str(cells.get(i).map_or("", String::as_str));
            line.push_str(" |");
        }
        line.push('\n');
        line
    };
    let converted: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.cells.iter().map(|c| inline(c, links)).collect())
        .collect();
    let (head, body): (&[Vec<String>], &[Vec<String>]) = if rows[0].header {
        (&converted[..1], &converted[1..])
    } else {
        (&[], &converted[..])
    };
    out.push_str(&line(head.first().map_or(&[][..], Vec::as_slice)));
    out.push('|');
    out.push_str(&" --- |".repeat(width));
    out.push('\n');
    for row in body {
        out.push_str(&line(row));
    }
    out
}

/// A table cell's HTML as one line of Markdown.
fn inline(cell: &str, links: &Links) -> String {
    collapse_spaces(&convert(cell, links, true))
}

fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        match rest[start..].find('>') {
            Some(end) => rest = &rest[start + end + 1..],
            None => {
                rest = &rest[start..];
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

fn decode_entities(text: &str) -> String {
    text.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn collapse_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
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

#[cfg(test)]
mod tests {
    use super::*;

    fn links() -> Links {
        let mut links = Links::default();
        links.by_asset.insert(
            "15aae98e-96c6-45f3-906f-1729fa79ebdb".into(),
            "https://learn.microsoft.com/windows/win32/api/winsync/nf-winsync-iknowledgesyncprovider-beginsession".into(),
        );
        links
    }

    #[test]
    fn links_are_rewritten_or_reduced_to_their_text() {
        let text = "See <a href=\"https://msdn.microsoft.com/15aae98e-96c6-45f3-906f-1729fa79ebdb\">BeginSession</a> and <a href=\"https://msdn.microsoft.com/da86cf89-885b-42bc-9fcb-0c9114a36f78\">SYNC_E_INVALIDOPERATION</a>, [Windows Sync](../_winsync) and <a href=\"https://docs.microsoft.com/windows/desktop/api/syncmgr/nn-syncmgr-isyncmgrcontrol\">ISyncMgrControl</a>.";
        assert_eq!(
            to_rustdoc(text, &links()),
            "See [BeginSession](https://learn.microsoft.com/windows/win32/api/winsync/nf-winsync-iknowledgesyncprovider-beginsession) and SYNC_E_INVALIDOPERATION, Windows Sync and [ISyncMgrControl](https://learn.microsoft.com/windows/win32/api/syncmgr/nn-syncmgr-isyncmgrcontrol)."
        );
    }

    #[test]
    fn emphasis_code_brackets_and_stray_angles_are_made_safe() {
        let text = "<b>Note</b>  The <i>pSessionState </i> value [in] is <code>a[0] < b</code>; see http://example.com/x. A <guid> here.";
        assert_eq!(
            to_rustdoc(text, &links()),
            "**Note**  The *pSessionState*  value \\[in\\] is `a[0] < b`; see <http://example.com/x>. A &lt;guid&gt; here."
        );
    }

    #[test]
    fn fences_get_safe_labels_and_indentation_goes() {
        let text = "Text\n\n    indented\n\n```\nlet x = 1;\n```\n\n```cpp\n  int x;\n```";
        assert_eq!(
            to_rustdoc(text, &links()),
            "Text\n\nindented\n\n```text\nlet x = 1;\n```\n\n```cpp\n  int x;\n```"
        );
    }

    #[test]
    fn return_code_tables_become_a_list_and_other_tables_markdown() {
        let text = "The possible return codes.\n\n<table>\n<tr>\n<th>Return code</th>\n<th>Description</th>\n</tr>\n<tr>\n<td width=\"40%\">\n<dl>\n<dt><b>S_OK</b></dt>\n</dl>\n</td>\n<td width=\"60%\">\nThe method\nsucceeded.\n\n</td>\n</tr>\n<tr><td><dl><dt><b>Provider-determined error codes</b></dt></dl></td><td></td></tr>\n</table>\n&nbsp;";
        let (codes, prose) = return_codes(text, &links());
        assert_eq!(
            codes,
            [
                ("S_OK".to_owned(), "The method succeeded.".to_owned()),
                ("Provider-determined error codes".to_owned(), String::new())
            ]
        );
        assert_eq!(prose, "The possible return codes.");
        let table = to_rustdoc(
            "<table><tr><th>A</th><th>B</th></tr><tr><td>x | y</td><td><b>z</b></td></tr></table>",
            &links(),
        );
        assert_eq!(table, "| A | B |\n| --- | --- |\n| x \\| y | **z** |");
    }

    #[test]
    fn a_one_column_table_framing_code_is_its_code() {
        let text = "<table>\n<tr>\n<th>C++</th>\n</tr>\n<tr>\n<td>\n<pre>if (a &lt; b) {\n    f();\n}</pre>\n</td>\n</tr>\n</table>";
        assert_eq!(
            to_rustdoc(text, &links()),
            "```text\nif (a < b) {\n    f();\n}\n```"
        );
    }

    #[test]
    fn type_lines_and_pre_blocks() {
        assert_eq!(
            drop_type_line(&to_rustdoc(
                "Type: <b>HRESULT</b>\n\nIf it succeeds.",
                &links()
            )),
            "If it succeeds."
        );
        assert_eq!(
            to_rustdoc("Before<pre>int &lt;x&gt;;</pre>after", &links()),
            "Before\n\n```text\nint <x>;\n```\n\nafter"
        );
    }

    /// Pieces the pages are made of, for the property test.
    const PIECES: &[&str] = &[
        "<a href=\"https://msdn.microsoft.com/15aae98e-96c6-45f3-906f-1729fa79ebdb\">",
        "</a>",
        "<b>",
        "</b>",
        "<i>",
        "</i>",
        "<code>",
        "</code>",
        "<pre>",
        "</pre>",
        "<table>",
        "</table>",
        "<tr>",
        "<td>",
        "</td>",
        "<th>",
        "</th>",
        "<dl>",
        "<dt>",
        "<li>",
        "<br/>",
        "<div class=\"alert\">",
        "</div>",
        "<p>",
        "<!--",
        "-->",
        "<",
        ">",
        "&nbsp;",
        "&lt;",
        "```",
        "```cpp",
        "\n",
        "\n\n",
        "    ",
        "[",
        "]",
        "(",
        ")",
        "[x](../winsync/a.md)",
        "`",
        "https://example.com/a",
        "*",
        "|",
        "é—",
        "Type: ",
        "text ",
    ];

    proptest::proptest! {
        #[test]
        fn any_mix_of_the_pages_pieces_converts_without_panicking(
            picks in proptest::collection::vec(0..PIECES.len(), 0..60)
        ) {
            let text: String = picks.iter().map(|&i| PIECES[i]).collect();
            let links = links();
            let out = to_rustdoc(&text, &links);
            let (_, prose) = return_codes(&text, &links);
            // Outside fences and inline code, nothing rustdoc reads as an HTML tag is left.
            for converted in [out, prose] {
                let mut fence: Option<String> = None;
                for line in converted.lines() {
                    // A fence closes at its bare marker; a marker with a label inside is text.
                    let ticks = line.bytes().take_while(|b| *b == b'`').count();
                    match &fence {
                        Some(open) if line == open => {
                            fence = None;
                            continue;
                        }
                        None if ticks >= 3 => {
                            fence = Some(line[..ticks].to_owned());
                            continue;
                        }
                        _ => {}
                    }
                    let in_fence = fence.is_some();
                    if !in_fence && !line.contains('`') {
                        proptest::prop_assert!(!line.contains('<') || line.contains("<http"), "{line:?} in {converted:?} from {text:?}");
                    }
                }
            }
            let _ = crate::parse::pages::parse("p.md", &format!("---\nUID: NN:a.B\n---\n{text}"));
        }
    }
}
