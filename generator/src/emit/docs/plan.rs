//! What goes where: the [`Insertion`]s of a bindings item and of the skeletons.

use super::DocUse;
use super::text::{field_text, item_text, method_text};
use crate::model::docs::DocIndex;
use crate::model::skeleton::SkeletonModel;

/// A doc comment to put into printed text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Insertion {
    /// The key of the top-level item it belongs to ([`line_key`](super::line_key) of its first line):
    /// `impl IFoo`, `trait IFoo_Impl`, `struct SYNC_VERSION`, `const SPR_SOURCE`, `enum X`.
    pub owner: String,
    /// The key of the member line it precedes inside that item (`fn BeginSession`,
    /// `field dwSize`, `variant Source`), or `None` for the item itself.
    pub member: Option<String>,
    /// The Markdown text.
    pub text: String,
}

impl Insertion {
    pub(super) fn item(owner: String, text: String) -> Self {
        Self {
            owner,
            member: None,
            text,
        }
    }

    pub(super) fn member(owner: &str, member: String, text: String) -> Self {
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
