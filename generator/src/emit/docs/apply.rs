//! Doc comments put into printed text above the lines they document.

use super::Insertion;

/// The key of a printed line (without its indentation): `impl IFoo` for `impl IFoo {`,
/// `trait X` for `pub trait X: Base {`, `struct X`, `enum X`, `const X`, `fn X` for
/// `pub unsafe fn X<P0>(`, `field x` for `pub x: T,`, `variant X` for `X = 1,`; `None`
/// for other lines.
#[must_use]
pub fn line_key(line: &str) -> Option<String> {
    key_parts(line).map(|(kind, name)| format!("{kind} {name}"))
}

/// [`line_key`] as its two words, without allocating.
fn key_parts(line: &str) -> Option<(&'static str, &str)> {
    let ident_end = |s: &str| {
        s.find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(s.len())
    };
    let mut rest = line;
    for prefix in [
        "pub(crate) ",
        "pub ",
        "unsafe ",
        "const fn ",
        "extern \"system\" ",
    ] {
        if let Some(r) = rest.strip_prefix(prefix) {
            rest = r;
        }
    }
    if let Some(r) = rest.strip_prefix("unsafe ") {
        rest = r;
    }
    for keyword in ["impl", "trait", "struct", "enum", "const", "fn"] {
        if let Some(after) = rest.strip_prefix(keyword).and_then(|r| r.strip_prefix(' ')) {
            let name = &after[..ident_end(after)];
            if name.is_empty() {
                return None;
            }
            // `impl X {` only: `impl Trait for X`, `impl X_Vtbl` stay out by their shape.
            if keyword == "impl" && !after[name.len()..].starts_with(" {") {
                return None;
            }
            return Some((keyword, name));
        }
    }
    let name = &rest[..ident_end(rest)];
    if name.is_empty() {
        return None;
    }
    let after = &rest[name.len()..];
    if line.starts_with("pub ") && after.starts_with(':') {
        return Some(("field", name));
    }
    if after.starts_with(" = ") || after == "," {
        return Some(("variant", name));
    }
    None
}

/// Whether `key` (`"fn Next"`) is `kind name`.
fn is_key(key: &str, (kind, name): (&str, &str)) -> bool {
    key.len() == kind.len() + 1 + name.len()
        && key.starts_with(kind)
        && key.as_bytes()[kind.len()] == b' '
        && key.ends_with(name)
}

/// `text` (printed Rust) with each insertion's doc comment above its line: above the
/// attributes and doc comments already there (the page first, a blank doc line between).
/// Members are looked for among the lines indented by four spaces inside their owner.
#[must_use]
pub fn apply(text: &str, plan: &[Insertion]) -> String {
    if plan.is_empty() {
        return text.to_owned();
    }
    let extra: usize = plan.iter().map(|i| i.text.len() + 64).sum();
    let mut out = String::with_capacity(text.len() + extra);
    // Where the run of attribute and doc lines right above the current line starts in `out`.
    let mut run_start: Option<usize> = None;
    // The owner key of the top-level item being read, when the plan has insertions for it.
    let mut current: Option<&str> = None;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        let trimmed = body.trim_start();
        let indent = body.len() - trimmed.len();
        let is_prelude = trimmed.starts_with("#[") || trimmed.starts_with("///");
        if !is_prelude && (indent == 0 || indent == 4) {
            let parts = key_parts(trimmed);
            let target = match (indent, parts) {
                (0, Some(parts)) => {
                    let owner = plan.iter().find(|i| is_key(&i.owner, parts));
                    current = owner.map(|i| i.owner.as_str());
                    plan.iter()
                        .find(|i| i.member.is_none() && is_key(&i.owner, parts))
                }
                (4, Some(parts)) => current.and_then(|owner| {
                    plan.iter().find(|i| {
                        i.owner == owner && i.member.as_deref().is_some_and(|m| is_key(m, parts))
                    })
                }),
                _ => None,
            };
            if let Some(insertion) = target {
                let at = run_start.unwrap_or(out.len());
                let followed_by_doc = out[at..].trim_start().starts_with("///");
                let mut doc = comment(&insertion.text, &body[..indent]);
                if followed_by_doc {
                    doc.push_str(&body[..indent]);
                    doc.push_str("///\n");
                }
                out.insert_str(at, &doc);
            }
            if indent == 0 && trimmed.starts_with('}') {
                current = None;
            }
        }
        if is_prelude {
            run_start.get_or_insert(out.len());
        } else {
            run_start = None;
        }
        out.push_str(line);
    }
    out
}

/// `text` as `///` lines indented by `indent`.
fn comment(text: &str, indent: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.trim_end().lines() {
        out.push_str(indent);
        out.push_str("///");
        if !line.is_empty() {
            out.push(' ');
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_keys() {
        assert_eq!(line_key("impl IFoo {").as_deref(), Some("impl IFoo"));
        assert_eq!(line_key("impl core::ops::Deref for IFoo {"), None);
        assert_eq!(
            line_key("pub trait IFoo_Impl: windows_core::IUnknownImpl {").as_deref(),
            Some("trait IFoo_Impl")
        );
        assert_eq!(
            line_key("pub unsafe fn Next<P0>(&self) -> HRESULT").as_deref(),
            Some("fn Next")
        );
        assert_eq!(
            line_key("fn begin_session(").as_deref(),
            Some("fn begin_session")
        );
        assert_eq!(
            line_key("pub const SPR_SOURCE: SYNC_PROVIDER_ROLE = SYNC_PROVIDER_ROLE(1i32);")
                .as_deref(),
            Some("const SPR_SOURCE")
        );
        assert_eq!(
            line_key("pub struct SYNC_VERSION {").as_deref(),
            Some("struct SYNC_VERSION")
        );
        assert_eq!(
            line_key("pub dwLastUpdatingReplicaKey: u32,").as_deref(),
            Some("field dwLastUpdatingReplicaKey")
        );
        assert_eq!(line_key("Source = 1,").as_deref(), Some("variant Source"));
        assert_eq!(line_key("let x = 1;"), None);
    }

    #[test]
    fn doc_comments_go_above_attributes_and_existing_docs() {
        let text = "#[repr(C)]\npub struct S {\n    pub a: u32,\n    pub b: u32,\n}\nimpl I {\n    /// Old.\n    #[inline]\n    pub unsafe fn M(&self) {}\n}\n";
        let plan = vec![
            Insertion::item("struct S".into(), "The struct.\n\nMore.".into()),
            Insertion::member("struct S", "field b".into(), "B.".into()),
            Insertion::member("impl I", "fn M".into(), "Does M.".into()),
        ];
        assert_eq!(
            apply(text, &plan),
            "/// The struct.\n///\n/// More.\n#[repr(C)]\npub struct S {\n    pub a: u32,\n    /// B.\n    pub b: u32,\n}\nimpl I {\n    /// Does M.\n    ///\n    /// Old.\n    #[inline]\n    pub unsafe fn M(&self) {}\n}\n"
        );
    }
}
