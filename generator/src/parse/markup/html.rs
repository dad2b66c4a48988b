//! The HTML of the pages' text: tags recognized, converted or dropped; text escaped for
//! rustdoc.

use super::table::{find_table, markdown_table};
use super::{Links, fence_block};

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
pub(super) fn convert(text: &str, links: &Links, in_cell: bool) -> String {
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

pub(super) fn strip_tags(text: &str) -> String {
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

pub(super) fn decode_entities(text: &str) -> String {
    text.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

pub(super) fn collapse_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
