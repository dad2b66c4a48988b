//! Microsoft's documentation ([`DocIndex`]) rendered as doc comments and put into the printed
//! bindings (windows-bindgen emits none) and skeletons.
//!
//! The text is inserted into the printed text, not into the syntax trees: thousands of doc
//! attributes would make the trees (and their printing) a third larger for text that needs
//! no formatting. [`plan_item`] (for a bindings item) and [`plan_skeletons`] say what goes
//! where, as [`Insertion`]s keyed by the printed lines they precede (`impl IFoo`,
//! `pub unsafe fn Method`, `pub field:`, `pub trait Name`, `fn method`), and [`apply`] puts
//! each doc comment above its line and above the attributes and docs already there, so the
//! page's text comes first.
//!
//! Each documented item gets its page's description, then `# Arguments` (each parameter under
//! its Rust name when the binding has it), `# Return codes`, `# Remarks`, `# See also`, and a
//! last line naming the page (UID, address) and the licence. Items: interface structs,
//! interface methods (the caller's wrapper and the `_Impl` trait method), enums (the newtype
//! struct, and each constant with its enum's text), structs and their fields, functions.

use std::collections::BTreeSet;

use crate::model::docs::{DocField, DocIndex, DocPage};
use crate::model::skeleton::SkeletonModel;

/// Which pages a rendering used, and how many items got a doc comment.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DocUse {
    /// UIDs of the pages attached somewhere.
    pub pages: BTreeSet<String>,
    /// Binding items (and fields, constants, methods) that got a doc comment.
    pub items: usize,
    /// The Windows names of the items generated (`IFoo`, `IFoo.Method`, `SYNC_VERSION`), with
    /// a page or not: a page is due where its item is generated.
    pub seen: BTreeSet<String>,
    /// Methods of the skeleton traits.
    pub skeleton_methods: usize,
    /// Methods of the skeleton traits that got their page's text.
    pub skeleton_documented: usize,
    /// Skeleton methods (`IFoo::Method`) Microsoft publishes no page for.
    pub skeleton_without_page: Vec<String>,
}

impl DocUse {
    /// Adds `other`'s counts.
    pub fn merge(&mut self, other: Self) {
        self.pages.extend(other.pages);
        self.seen.extend(other.seen);
        self.items += other.items;
        self.skeleton_methods += other.skeleton_methods;
        self.skeleton_documented += other.skeleton_documented;
        self.skeleton_without_page
            .extend(other.skeleton_without_page);
    }

    fn used(&mut self, page: &DocPage) {
        self.items += 1;
        if !self.pages.contains(&page.uid) {
            self.pages.insert(page.uid.clone());
        }
    }
}

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

/// A doc comment to put into printed text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Insertion {
    /// The key of the top-level item it belongs to ([`line_key`] of its first line):
    /// `impl IFoo`, `trait IFoo_Impl`, `struct SYNC_VERSION`, `const SPR_SOURCE`, `enum X`.
    pub owner: String,
    /// The key of the member line it precedes inside that item (`fn BeginSession`,
    /// `field dwSize`, `variant Source`), or `None` for the item itself.
    pub member: Option<String>,
    /// The Markdown text.
    pub text: String,
}

impl Insertion {
    fn item(owner: String, text: String) -> Self {
        Self {
            owner,
            member: None,
            text,
        }
    }

    fn member(owner: &str, member: String, text: String) -> Self {
        Self {
            owner: owner.to_owned(),
            member: Some(member),
            text,
        }
    }
}

/// What to insert into the printed form of `item` (a windows-bindgen item).
pub fn plan_item(item: &syn::Item, index: &DocIndex<'_>, used: &mut DocUse) -> Vec<Insertion> {
    let mut plan = Vec::new();
    match item {
        syn::Item::Struct(s) => {
            let name = s.ident.to_string();
            used.seen.insert(name.clone());
            let Some(page) = index.item(&name) else {
                return plan;
            };
            let owner = format!("struct {name}");
            plan.push(Insertion::item(owner.clone(), item_text(page)));
            used.used(page);
            if let syn::Fields::Named(fields) = &s.fields {
                for field in &fields.named {
                    let Some(ident) = &field.ident else { continue };
                    let name = ident.to_string();
                    if let Some(entry) = page
                        .fields
                        .iter()
                        .find(|f| f.name.eq_ignore_ascii_case(&name))
                    {
                        plan.push(Insertion::member(
                            &owner,
                            format!("field {name}"),
                            field_text(page, entry, false),
                        ));
                        used.items += 1;
                    }
                }
            }
        }
        syn::Item::Const(c) => {
            let name = c.ident.to_string();
            if let Some((page, field)) = index.constant(&name) {
                used.seen.insert(page.item_name().to_owned());
                plan.push(Insertion::item(
                    format!("const {name}"),
                    field_text(page, field, true),
                ));
                used.used(page);
            }
        }
        syn::Item::Fn(f) => {
            let name = f.sig.ident.to_string();
            used.seen.insert(name.clone());
            if let Some(page) = index.item(&name) {
                plan.push(Insertion::item(
                    format!("fn {name}"),
                    method_text(page, &param_names(&f.sig)),
                ));
                used.used(page);
            }
        }
        syn::Item::Impl(block) if block.trait_.is_none() => {
            let Some(interface) = type_name(&block.self_ty) else {
                return plan;
            };
            // windows-bindgen declares an interface with a macro call, which takes no doc
            // comment: the interface's page goes on its inherent `impl` block (the caller's
            // methods), which rustdoc shows with the type.
            let owner = format!("impl {interface}");
            used.seen.insert(interface.clone());
            if let Some(page) = index.item(&interface) {
                plan.push(Insertion::item(owner.clone(), item_text(page)));
                used.used(page);
            }
            for member in &block.items {
                if let syn::ImplItem::Fn(method) = member {
                    let name = method.sig.ident.to_string();
                    used.seen.insert(format!("{interface}.{name}"));
                    if let Some(page) = index.method(&interface, &name) {
                        plan.push(Insertion::member(
                            &owner,
                            format!("fn {name}"),
                            method_text(page, &param_names(&method.sig)),
                        ));
                        used.used(page);
                    }
                }
            }
        }
        syn::Item::Trait(t) => {
            let name = t.ident.to_string();
            let Some(interface) = name.strip_suffix("_Impl") else {
                return plan;
            };
            let owner = format!("trait {name}");
            if let Some(page) = index.item(interface) {
                let text = format!(
                    "Implemented by a COM object that serves `{interface}`.\n\n{}",
                    item_text(page)
                );
                plan.push(Insertion::item(owner.clone(), text));
                used.items += 1;
            }
            for member in &t.items {
                if let syn::TraitItem::Fn(method) = member {
                    let name = method.sig.ident.to_string();
                    if let Some(page) = index.method(interface, &name) {
                        plan.push(Insertion::member(
                            &owner,
                            format!("fn {name}"),
                            method_text(page, &param_names(&method.sig)),
                        ));
                        used.used(page);
                    }
                }
            }
        }
        _ => {}
    }
    plan
}

fn type_name(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

fn param_names(sig: &syn::Signature) -> Vec<String> {
    sig.inputs
        .iter()
        .filter_map(|input| match input {
            syn::FnArg::Typed(typed) => match typed.pat.as_ref() {
                syn::Pat::Ident(ident) => Some(ident.ident.to_string()),
                _ => None,
            },
            syn::FnArg::Receiver(_) => None,
        })
        .collect()
}

/// What to insert into the printed skeletons: each trait's and method's page (a method
/// Microsoft publishes no page for says so), each checked enum's and value's.
pub fn plan_skeletons(
    model: &SkeletonModel,
    index: &DocIndex<'_>,
    used: &mut DocUse,
) -> Vec<Insertion> {
    let mut plan = Vec::new();
    for t in &model.traits {
        let owner = format!("trait {}", t.rust);
        if let Some(page) = index.item(&t.windows) {
            plan.push(Insertion::item(owner.clone(), item_text(page)));
            used.used(page);
        }
        for m in &t.methods {
            used.skeleton_methods += 1;
            let text = if let Some(page) = index.method(&t.windows, &m.windows) {
                used.skeleton_documented += 1;
                used.used(page);
                let names: Vec<String> = m
                    .safe_params
                    .iter()
                    .filter_map(|p| p.split(':').next().map(|n| n.trim().to_owned()))
                    .collect();
                method_text(page, &names)
            } else {
                used.skeleton_without_page
                    .push(format!("{}::{}", t.windows, m.windows));
                "Microsoft publishes no reference page for this method; the header declares it."
                    .to_owned()
            };
            plan.push(Insertion::member(&owner, format!("fn {}", m.rust), text));
        }
    }
    for e in &model.enums {
        let Some(page) = index.item(&e.raw) else {
            continue;
        };
        let owner = format!("enum {}", e.rust);
        plan.push(Insertion::item(owner.clone(), item_text(page)));
        used.used(page);
        for v in &e.variants {
            if let Some(field) = page.fields.iter().find(|f| f.name == v.raw) {
                plan.push(Insertion::member(
                    &owner,
                    format!("variant {}", v.rust),
                    field.text.clone(),
                ));
            }
        }
    }
    plan
}

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
