//! The fixed bindings formatted in-process.
//!
//! windows-bindgen's text is parsed once ([`Parsed`]) for the fixes and the skeleton model;
//! formatting reuses that tree. Only what a fix edited is parsed again from its fixed text, at
//! the smallest function around the edits (a vtable shim, an `_Impl` trait method, a wrapper
//! method), and the few items that name `windows_core::BSTR` (which
//! [`portable_bstr`](super::portable_bstr) renames) whole: the 660 KB windows-bindgen emits for
//! the default selection are parsed once, not twice.

use std::ops::Range;

use syn::parse::Parse;
use syn::spanned::Spanned;
use syn::visit_mut::{self, VisitMut};

use super::{BSTR_STAND_IN, Edit, Parsed};
use crate::emit::docs::DocUse;
use crate::error::{Error, Result};
use crate::model::docs::DocIndex;

/// The name the `BSTR` fix replaces.
const WINDOWS_BSTR: &str = "windows_core::BSTR";

/// Formats `fixed` (made by [`fix`](super::fix) from `parsed`) with prettyplease: the same
/// text as parsing `fixed.text` whole and printing it. (The generator prints the two threads'
/// items with [`format_items`] and puts them in order; this whole-file form is what the tests
/// compare with the reference.)
///
/// # Errors
/// As [`format_items`].
#[cfg(test)]
pub fn format(parsed: Parsed<'_>, fixed: &super::FixedBindings) -> Result<String> {
    let count = parsed.file.items.len();
    let pieces = format_items(parsed, &fixed.edits, count, None)?;
    let mut text: String = pieces.items.concat();
    if pieces.stand_in {
        text.push_str(&stand_in()?);
    }
    Ok(text)
}

/// Items printed one by one, in order.
pub struct Pieces {
    /// Each item as prettyplease prints it (printing a file prints its items one after the
    /// other, so the concatenation is the file's text).
    pub items: Vec<String>,
    /// Whether an item names `windows_core::BSTR`, so that the stand-in must follow.
    pub stand_in: bool,
    /// What Microsoft's documentation was attached to.
    pub docs: DocUse,
}

/// Prints the first `count` items of `parsed` one by one, with `edits` (made by
/// [`fix`](super::fix) from `parsed`, by descending start) applied and, with `docs`,
/// Microsoft's documentation inserted ([`crate::emit::docs`]).
///
/// # Errors
/// [`Error::Render`] when a fixed piece does not parse (a bug of the fixes) or an edit lies
/// outside every item.
pub fn format_items(
    parsed: Parsed<'_>,
    edits: &[Edit],
    count: usize,
    docs: Option<&DocIndex<'_>>,
) -> Result<Pieces> {
    let mut used = DocUse::default();
    let Parsed { text, file, starts } = parsed;
    // Inner attributes (windows-bindgen writes none) go with the first item.
    let mut attrs = file.attrs;
    let mut edits = edits.to_vec();
    edits.reverse();
    let mut refit = Refit {
        text,
        handled: vec![false; edits.len()],
        edits,
        error: None,
    };
    let mut items = Vec::with_capacity(count);
    let mut stand_in = false;
    let ends = starts.iter().skip(1).copied().chain([text.len()]);
    for ((mut item, start), end) in file
        .items
        .into_iter()
        .zip(starts.iter().copied())
        .zip(ends)
        .take(count)
    {
        let range = start..end;
        let bstr = text[range.clone()].contains(WINDOWS_BSTR);
        stand_in |= bstr;
        refit.fit(&mut item, range, bstr, visit_mut::visit_item_mut);
        let plan = docs.map_or_else(Vec::new, |index| {
            crate::emit::docs::plan_item(&item, index, &mut used)
        });
        let printed = prettyplease::unparse(&syn::File {
            shebang: None,
            attrs: std::mem::take(&mut attrs),
            items: vec![item],
        });
        items.push(if plan.is_empty() {
            printed
        } else {
            crate::emit::docs::apply(&printed, &plan)
        });
    }
    if let Some(error) = refit.error {
        return Err(error);
    }
    if let Some(at) = refit.handled.iter().position(|handled| !handled) {
        let edit = &refit.edits[at].0;
        return Err(invalid(format!(
            "a fix edits bytes {}..{}, outside any item",
            edit.start, edit.end
        )));
    }
    Ok(Pieces {
        items,
        stand_in,
        docs: used,
    })
}

/// The `BSTR` stand-in, printed.
///
/// # Errors
/// [`Error::Render`] if it does not parse (a bug).
pub fn stand_in() -> Result<String> {
    let file = syn::parse_file(BSTR_STAND_IN)
        .map_err(|e| invalid(format!("the BSTR stand-in does not parse: {e}")))?;
    Ok(prettyplease::unparse(&file))
}

fn invalid(message: String) -> Error {
    Error::Render {
        file: "bindings.rs".into(),
        message,
    }
}

/// Replaces the nodes of the first parse that edits touched by nodes parsed from their fixed
/// text, innermost function first.
struct Refit<'t> {
    text: &'t str,
    /// The fixes' edits, by ascending start.
    edits: Vec<Edit>,
    /// Whether a refitted node holds each edit.
    handled: Vec<bool>,
    error: Option<Error>,
}

impl Refit<'_> {
    /// Visits `node`'s children (`children`), then parses `node` again from its fixed text
    /// when an edit inside `range` (its bytes) is not yet handled, or when `always`.
    fn fit<T: Parse>(
        &mut self,
        node: &mut T,
        range: Range<usize>,
        always: bool,
        children: fn(&mut Self, &mut T),
    ) {
        let lo = self.edits.partition_point(|(e, _)| e.start < range.start);
        let hi = self.edits.partition_point(|(e, _)| e.start < range.end);
        let open = |handled: &[bool]| handled[lo..hi].iter().any(|h| !h);
        if !open(&self.handled) && !always {
            return;
        }
        children(self, node);
        // An edit reaching past the node belongs to an enclosing one.
        let inside = self.edits[lo..hi].iter().all(|(e, _)| e.end <= range.end);
        if !(inside && (open(&self.handled) || always)) {
            return;
        }
        let mut piece = self.text[range.clone()].to_string();
        for (edit, replacement) in self.edits[lo..hi].iter().rev() {
            piece.replace_range(
                edit.start - range.start..edit.end - range.start,
                replacement,
            );
        }
        let piece = piece.replace(WINDOWS_BSTR, "BSTR");
        match syn::parse_str::<T>(&piece) {
            Ok(new) => *node = new,
            Err(e) => {
                self.error.get_or_insert_with(|| {
                    invalid(format!("a fixed piece does not parse ({e}): `{piece}`"))
                });
            }
        }
        self.handled[lo..hi].fill(true);
    }
}

impl VisitMut for Refit<'_> {
    fn visit_item_fn_mut(&mut self, node: &mut syn::ItemFn) {
        let range = fn_range(
            &node.attrs,
            Some(&node.vis),
            &node.sig,
            node.block.brace_token.span.close(),
        );
        if !self.insert_at_body_start(&range, &mut node.block) {
            self.fit(node, range, false, visit_mut::visit_item_fn_mut);
        }
    }

    fn visit_impl_item_fn_mut(&mut self, node: &mut syn::ImplItemFn) {
        let range = fn_range(
            &node.attrs,
            Some(&node.vis),
            &node.sig,
            node.block.brace_token.span.close(),
        );
        if !self.insert_at_body_start(&range, &mut node.block) {
            self.fit(node, range, false, visit_mut::visit_impl_item_fn_mut);
        }
    }

    fn visit_trait_item_fn_mut(&mut self, node: &mut syn::TraitItemFn) {
        let end = match (&node.default, &node.semi_token) {
            (Some(block), _) => block.brace_token.span.close(),
            (None, Some(semi)) => semi.span,
            (None, None) => node.sig.span(),
        };
        let range = fn_range(&node.attrs, None, &node.sig, end);
        self.fit(node, range, false, visit_mut::visit_trait_item_fn_mut);
    }
}

impl Refit<'_> {
    /// The vtable shims' fixes insert statements at the start of a body: those are parsed
    /// alone and put in front of the body's statements. False when `range` holds other edits.
    fn insert_at_body_start(&mut self, range: &Range<usize>, block: &mut syn::Block) -> bool {
        let lo = self.edits.partition_point(|(e, _)| e.start < range.start);
        let hi = self.edits.partition_point(|(e, _)| e.start < range.end);
        let open: Vec<usize> = (lo..hi).filter(|&i| !self.handled[i]).collect();
        let body = block.brace_token.span.open().byte_range().end;
        if open.is_empty() || !open.iter().all(|&i| self.edits[i].0 == (body..body)) {
            return false;
        }
        // Same position: ascending order is the order in the fixed text.
        let inserted: String = open
            .iter()
            .map(|&i| self.edits[i].1.replace(WINDOWS_BSTR, "BSTR"))
            .collect();
        match syn::parse_str::<syn::Block>(&format!("{{{inserted}}}")) {
            Ok(new) => {
                block.stmts.splice(0..0, new.stmts);
            }
            Err(e) => {
                self.error.get_or_insert_with(|| {
                    invalid(format!(
                        "inserted statements do not parse ({e}): `{inserted}`"
                    ))
                });
            }
        }
        for i in open {
            self.handled[i] = true;
        }
        true
    }
}

/// The bytes of a function: from its first attribute (or visibility, or signature) to the end
/// of `end` (its body's closing brace, or its `;`). Read from a few tokens: a span of the whole
/// function would walk all of its tokens.
fn fn_range(
    attrs: &[syn::Attribute],
    vis: Option<&syn::Visibility>,
    sig: &syn::Signature,
    end: proc_macro2::Span,
) -> Range<usize> {
    let sig_start = sig
        .constness
        .map(|t| t.span)
        .or(sig.asyncness.map(|t| t.span))
        .or(sig.unsafety.map(|t| t.span))
        .or(sig.abi.as_ref().map(|abi| abi.extern_token.span))
        .unwrap_or(sig.fn_token.span);
    let start = attrs
        .first()
        .map(|attr| attr.pound_token.span)
        .or(match vis {
            None | Some(syn::Visibility::Inherited) => None,
            Some(vis) => Some(vis.span()),
        })
        .unwrap_or(sig_start);
    start.byte_range().start..end.byte_range().end
}

#[cfg(test)]
mod tests {
    use super::super::tests::{BINDINGS, entry, thing_out_params};
    use super::super::{Parsed, fix};
    use super::*;
    use crate::model::out_pointers::OutParams;

    /// Formatting from the reused tree gives exactly what formatting the fixed text gives.
    #[test]
    fn the_reused_tree_formats_as_the_fixed_text_does() {
        let with_bstr = format!(
            "{BINDINGS}\npub struct HoldsString {{ pub s: windows_core::BSTR }}\n\
             pub struct Untouched {{ pub x: u32 }}\n"
        );
        for (entries, out) in [
            (vec![], OutParams::default()),
            (vec![entry("IThing", "Poll")], thing_out_params()),
        ] {
            for text in [BINDINGS, with_bstr.as_str()] {
                let parsed = Parsed::parse(text).unwrap();
                let fixed = fix(&parsed, &entries, &out).unwrap();
                let whole = prettyplease::unparse(&syn::parse_file(&fixed.text).unwrap());
                assert_eq!(format(parsed, &fixed).unwrap(), whole);
            }
        }
    }

    /// An item that names `windows_core::BSTR` gets the stand-in's name; one that does not is
    /// printed from the first parse.
    #[test]
    fn bstr_items_are_renamed_and_the_stand_in_added() {
        let text = "pub struct A { pub s: windows_core::BSTR }\npub struct B { pub x: u32 }\n";
        let parsed = Parsed::parse(text).unwrap();
        let fixed = fix(&parsed, &[], &OutParams::default()).unwrap();
        let formatted = format(parsed, &fixed).unwrap();
        assert!(formatted.contains("pub s: BSTR,"), "{formatted}");
        // Only the stand-in's `pub use` (on Windows) still names windows-core's.
        assert_eq!(formatted.matches(WINDOWS_BSTR).count(), 1, "{formatted}");
        assert!(
            formatted.contains("pub use windows_core::BSTR;"),
            "{formatted}"
        );
        assert!(
            formatted.contains("pub struct BSTR(pub *const u16);"),
            "{formatted}"
        );
    }
}
