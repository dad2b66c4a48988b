//! Microsoft's API reference pages (the `MicrosoftDocs/sdk-api` repository, one Markdown file
//! per API under `sdk-api-src/content/<header>/`): front matter and sections.
//!
//! A page starts with a YAML front matter block (`UID: NF:winsync.IKnowledgeSyncProvider.EndSession`,
//! `title`, `description`, `ms.assetid`, ...), then a `# Title` heading and sections whose
//! headings start with a dash: `## -description`, `## -parameters` with one `### -param NAME
//! [in]` each, `## -returns`, `## -remarks`, `## -enum-fields` / `## -struct-fields` with one
//! `### -field NAME` each, `## -see-also`. Other headings (`#### Examples`) belong to the
//! section they are in; so does everything inside a code fence.

use std::collections::BTreeMap;

use crate::error::Diagnostic;

/// One page, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The front matter's `key: value` pairs (list entries are skipped; quotes removed).
    pub front: BTreeMap<String, String>,
    /// The dash sections, in order.
    pub sections: Vec<Section>,
}

/// A section of a page: `## -remarks` and what follows up to the next dash heading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The heading's level (number of `#`).
    pub level: usize,
    /// The heading's first word without the dash: `description`, `param`, `field`, `returns`.
    pub kind: String,
    /// The rest of the heading: a parameter's or field's name (and its `[in]`-style direction).
    pub name: String,
    /// The text under the heading, trimmed.
    pub body: String,
}

impl Page {
    /// The front matter value of `key`.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&str> {
        self.front.get(key).map(String::as_str)
    }

    /// The body of the first section of `kind`, if any.
    #[must_use]
    pub fn section(&self, kind: &str) -> Option<&str> {
        self.sections
            .iter()
            .find(|s| s.kind == kind)
            .map(|s| s.body.as_str())
    }
}

/// Splits a page's text. `file` names it in errors.
///
/// # Errors
/// A [`Diagnostic`] at `file:line:col` when the front matter is missing or unterminated, or
/// has no `UID`.
pub fn parse(file: &str, text: &str) -> Result<Page, Diagnostic> {
    let error = |line: usize, message: &str| Diagnostic {
        file: file.to_owned(),
        line,
        column: 1,
        message: message.to_owned(),
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, first)) if first.trim_end() == "---" => {}
        _ => {
            return Err(error(
                1,
                "the page does not start with a front matter block (`---`)",
            ));
        }
    }
    let mut front = BTreeMap::new();
    let mut closed = false;
    for (_, line) in lines.by_ref() {
        if line.trim_end() == "---" {
            closed = true;
            break;
        }
        if line.starts_with([' ', '\t', '-']) {
            continue;
        }
        if let Some((key, value)) = line.split_once(':') {
            front.insert(key.trim().to_owned(), unquote(value.trim()).to_owned());
        }
    }
    if !closed {
        return Err(error(1, "the front matter block is not closed by `---`"));
    }
    if front.get("UID").is_none_or(|uid| uid.is_empty()) {
        return Err(error(1, "the front matter has no `UID`"));
    }
    let mut sections: Vec<Section> = Vec::new();
    let mut fence: Option<String> = None;
    let mut body = String::new();
    for (_, line) in lines {
        let trimmed = line.trim_start();
        if let Some(open) = &fence {
            if trimmed.starts_with(open.as_str()) && trimmed.trim_end() == open {
                fence = None;
            }
        } else if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            let marker: String = trimmed
                .chars()
                .take_while(|c| *c == '`' || *c == '~')
                .collect();
            fence = Some(marker);
        } else if let Some((level, kind, name)) = dash_heading(line) {
            if let Some(last) = sections.last_mut() {
                last.body = std::mem::take(&mut body).trim().to_owned();
            }
            body.clear();
            sections.push(Section {
                level,
                kind,
                name,
                body: String::new(),
            });
            continue;
        }
        if !sections.is_empty() {
            body.push_str(line);
            body.push('\n');
        }
    }
    if let Some(last) = sections.last_mut() {
        last.body = body.trim().to_owned();
    }
    Ok(Page { front, sections })
}

/// `## -param pSessionState [in]` → `(2, "param", "pSessionState [in]")`.
fn dash_heading(line: &str) -> Option<(usize, String, String)> {
    let level = line.bytes().take_while(|b| *b == b'#').count();
    if level == 0 || level > 6 {
        return None;
    }
    let rest = line[level..].strip_prefix(' ')?.trim();
    let rest = rest.strip_prefix('-')?;
    let (kind, name) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    if kind.is_empty() || !kind.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-') {
        return None;
    }
    Some((level, kind.to_owned(), name.trim().to_owned()))
}

fn unquote(value: &str) -> &str {
    for quote in ['"', '\''] {
        if let Some(inner) = value
            .strip_prefix(quote)
            .and_then(|v| v.strip_suffix(quote))
        {
            return inner;
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "---\nUID: NF:winsync.IThing.Do\ntitle: \"IThing::Do\"\napi_name:\n- IThing.Do\n---\n\n# IThing::Do method\n\n## -description\n\nDoes it.\n\n## -parameters\n\n### -param pValue [in]\n\nThe value.\n\n## -remarks\n\n#### Examples\n\n```cpp\n## -returns\n```\n";

    #[test]
    fn front_matter_and_dash_sections_are_split_and_fences_respected() {
        let page = parse("p.md", PAGE).unwrap();
        assert_eq!(page.get("UID"), Some("NF:winsync.IThing.Do"));
        assert_eq!(page.get("title"), Some("IThing::Do"));
        let kinds: Vec<_> = page.sections.iter().map(|s| s.kind.as_str()).collect();
        assert_eq!(kinds, ["description", "parameters", "param", "remarks"]);
        assert_eq!(page.sections[2].name, "pValue [in]");
        assert_eq!(page.section("description"), Some("Does it."));
        assert!(page.section("remarks").unwrap().contains("## -returns"));
    }

    #[test]
    fn a_page_without_front_matter_or_uid_is_an_error_naming_the_file() {
        let error = parse("x/p.md", "# Title\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "x/p.md:1:1: the page does not start with a front matter block (`---`)"
        );
        let error = parse("p.md", "---\ntitle: x\n---\n").unwrap_err();
        assert!(error.message.contains("no `UID`"));
        let error = parse("p.md", "---\nUID: NN:a.B\n").unwrap_err();
        assert!(error.message.contains("not closed"));
    }
}
