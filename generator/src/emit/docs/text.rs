//! The doc text of an item from its page: description, arguments, return codes, remarks, see
//! also, attribution.

use crate::model::docs::{DocField, DocPage};

/// The last line of every documented item: the page and the licence.
fn attribution(page: &DocPage) -> String {
    format!(
        "*Microsoft's documentation: [`{}`]({}), CC BY 4.0.*",
        page.uid, page.url
    )
}

/// An item's doc text: description, remarks, see also, attribution.
#[must_use]
pub fn item_text(page: &DocPage) -> String {
    let mut out = String::new();
    paragraph(&mut out, &page.description);
    section(&mut out, "Remarks", &page.remarks);
    see_also(&mut out, page);
    paragraph(&mut out, &attribution(page));
    out
}

/// A method's or function's doc text. `rust_params` are the binding's parameter names (the
/// pages' names, lowercased, in the bindings); a page parameter found there is listed under
/// its Rust name.
#[must_use]
pub fn method_text(page: &DocPage, rust_params: &[String]) -> String {
    let mut out = String::new();
    paragraph(&mut out, &page.description);
    if !page.params.is_empty() {
        out.push_str("# Arguments\n\n");
        for param in &page.params {
            let rust = rust_name(rust_params, &param.name).unwrap_or(param.name.as_str());
            let direction = if param.direction.is_empty() {
                String::new()
            } else {
                format!(" \\[{}\\]", param.direction)
            };
            list_item(&mut out, &format!("`{rust}`{direction}"), &param.text);
        }
        out.push('\n');
    }
    if !page.returns.is_empty() || !page.returns_text.is_empty() {
        out.push_str("# Return codes\n\n");
        paragraph(&mut out, &page.returns_text);
        for code in &page.returns {
            let name = if code.code.contains(' ') {
                code.code.clone()
            } else {
                format!("`{}`", code.code)
            };
            list_item(&mut out, &name, &code.meaning);
        }
        if !page.returns.is_empty() {
            out.push('\n');
        }
    }
    section(&mut out, "Remarks", &page.remarks);
    see_also(&mut out, page);
    paragraph(&mut out, &attribution(page));
    out
}

/// The Rust parameter that `page_name` (`pSessionState`) names: the same name in another case
/// (the bindings lowercase it: `psessionstate`), or the safe skeletons' snake-case name
/// without the Hungarian prefix (`session_state`).
fn rust_name<'r>(rust_params: &'r [String], page_name: &str) -> Option<&'r str> {
    let page: String = page_name
        .chars()
        .filter(|c| *c != '_')
        .collect::<String>()
        .to_ascii_lowercase();
    rust_params
        .iter()
        .find(|r| r.eq_ignore_ascii_case(page_name))
        .or_else(|| {
            rust_params.iter().find(|r| {
                let rust: String = r.chars().filter(|c| *c != '_').collect();
                rust.len() >= 3 && page.ends_with(&rust.to_ascii_lowercase())
            })
        })
        .map(String::as_str)
}

/// A struct field's or an enum constant's doc text.
#[must_use]
pub fn field_text(page: &DocPage, field: &DocField, constant: bool) -> String {
    let mut out = String::new();
    paragraph(&mut out, &field.text);
    if constant {
        paragraph(&mut out, &format!("A value of `{}`.", page.item_name()));
    }
    paragraph(&mut out, &attribution(page));
    out
}

fn paragraph(out: &mut String, text: &str) {
    let text = text.trim();
    if !text.is_empty() {
        out.push_str(text);
        out.push_str("\n\n");
    }
}

fn section(out: &mut String, title: &str, text: &str) {
    if !text.trim().is_empty() {
        out.push_str("# ");
        out.push_str(title);
        out.push_str("\n\n");
        paragraph(out, text);
    }
}

fn see_also(out: &mut String, page: &DocPage) {
    if page.see_also.is_empty() {
        return;
    }
    out.push_str("# See also\n\n");
    for entry in &page.see_also {
        out.push_str("- ");
        out.push_str(entry.trim_start_matches(['-', '*', ' ']));
        out.push('\n');
    }
    out.push('\n');
}

/// `- head: text`, the text's further lines indented under the item.
fn list_item(out: &mut String, head: &str, text: &str) {
    out.push_str("- ");
    out.push_str(head);
    let text = text.trim();
    if !text.is_empty() {
        out.push_str(": ");
        for (i, line) in text.lines().enumerate() {
            if i > 0 {
                out.push('\n');
                if !line.is_empty() {
                    out.push_str("  ");
                }
            }
            out.push_str(line);
        }
    }
    out.push('\n');
}
