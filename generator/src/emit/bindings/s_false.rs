//! The S_FALSE fix: the methods `supplement.toml` lists return `HRESULT` on the `_Impl` side and
//! on the caller side, so that an implementation can answer S_FALSE and a caller can see it.

use super::*;

/// What the S_FALSE fix (`keeps_s_false` in `supplement.toml`) changed: `Interface::Method`
/// names, with the sides changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SFalseReport {
    /// Methods whose `_Impl` trait method now returns `HRESULT`.
    pub impl_side: Vec<String>,
    /// Methods whose caller-side wrapper now returns `HRESULT` (it returned `Result<()>`).
    pub caller_side: Vec<String>,
}

/// Edits that make the listed methods return `HRESULT` on both sides. Entries whose interface
/// is not in the bindings are ignored; an interface whose `_Impl` trait lacks the method is an
/// error.
pub(super) fn s_false_edits(
    parsed: &Parsed,
    entries: &[KeepsSFalseEntry],
) -> Result<(Vec<Edit>, SFalseReport)> {
    let mut edits: Vec<Edit> = Vec::new();
    let mut report = SFalseReport::default();

    for entry in entries {
        let interface = entry.interface.get_ref();
        let method = entry.method.get_ref();
        let impl_trait = format!("{interface}_Impl");
        let Some(trait_item) = parsed.items().find_map(|item| match item {
            syn::Item::Trait(t) if t.ident == impl_trait => Some(t),
            _ => None,
        }) else {
            continue;
        };
        let Some(trait_fn) = trait_item.items.iter().find_map(|item| match item {
            syn::TraitItem::Fn(f) if f.sig.ident == method => Some(f),
            _ => None,
        }) else {
            return Err(Error::MissingBinding(format!(
                "`{impl_trait}::{method}` (listed in supplement.toml)"
            )));
        };
        if !is_result_unit(&trait_fn.sig.output) {
            return Err(Error::MissingBinding(format!(
                "a `Result<()>` return on `{impl_trait}::{method}` to turn into HRESULT (found `{}`)",
                quote::ToTokens::to_token_stream(&trait_fn.sig.output)
            )));
        }
        edits.push((
            parsed.range(trait_fn.sig.output.span()),
            "-> windows_core::HRESULT".into(),
        ));
        report.impl_side.push(format!("{interface}::{method}"));

        // The caller side: `impl Interface { pub unsafe fn Method(..) -> Result<()> { unsafe { (..).ok() } } }`.
        for item in parsed.items() {
            let syn::Item::Impl(block) = item else {
                continue;
            };
            if block.trait_.is_some() || !is_path_named(&block.self_ty, interface) {
                continue;
            }
            for impl_item in &block.items {
                let syn::ImplItem::Fn(f) = impl_item else {
                    continue;
                };
                if f.sig.ident != method || !is_result_unit(&f.sig.output) {
                    continue;
                }
                let Some(call) = find_ok_call(&f.block) else {
                    return Err(Error::MissingBinding(format!(
                        "the `.ok()` of `{interface}::{method}`'s caller-side wrapper"
                    )));
                };
                edits.push((
                    parsed.range(f.sig.output.span()),
                    "-> windows_core::HRESULT".into(),
                ));
                let receiver = parsed.range(call.receiver.span());
                edits.push((parsed.range(call.span()), parsed.text[receiver].to_string()));
                report.caller_side.push(format!("{interface}::{method}"));
            }
        }
    }

    Ok((edits, report))
}

fn is_result_unit(output: &syn::ReturnType) -> bool {
    let syn::ReturnType::Type(_, ty) = output else {
        return false;
    };
    let syn::Type::Path(path) = ty.as_ref() else {
        return false;
    };
    let Some(last) = path.path.segments.last() else {
        return false;
    };
    if last.ident != "Result" {
        return false;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return false;
    };
    matches!(args.args.first(), Some(syn::GenericArgument::Type(syn::Type::Tuple(t))) if t.elems.is_empty())
}

fn is_path_named(ty: &syn::Type, name: &str) -> bool {
    matches!(ty, syn::Type::Path(p) if p.path.is_ident(name))
}

/// The `.ok()` call that turns the vtable call's HRESULT into a `Result`.
fn find_ok_call(block: &syn::Block) -> Option<&syn::ExprMethodCall> {
    use syn::visit::Visit;
    struct Finder<'a>(Option<&'a syn::ExprMethodCall>);
    impl<'a> Visit<'a> for Finder<'a> {
        fn visit_expr_method_call(&mut self, call: &'a syn::ExprMethodCall) {
            if call.method == "ok" && call.args.is_empty() {
                self.0 = Some(call);
            }
            syn::visit::visit_expr_method_call(self, call);
        }
    }
    let mut finder = Finder(None);
    finder.visit_block(block);
    finder.0
}
