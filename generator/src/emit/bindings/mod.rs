//! Typed bindings: windows-bindgen 0.100 run on the selection, then the project's fixes of its
//! output ([`fix`]), all computed from one parse of the text:
//!
//! - windows-bindgen folds S_FALSE into `Ok(())` on the `_Impl` side (and, for some methods,
//!   on the caller side), so an implementation cannot answer S_FALSE and a caller cannot see
//!   it: for every method `supplement.toml` lists, both sides return `HRESULT`;
//! - its vtable shims write `[retval]` results through the out-pointer unchecked: they return
//!   `E_POINTER` for null instead;
//! - its vtable shims write an `[out]` interface pointer only on success, so a failing
//!   implementation leaves the caller's value in place: every `[out]` interface pointer
//!   ([`OutParams`]) is set to NULL first, before anything else runs (COM's rule, which callers
//!   rely on to know whether to release);
//! - it names `windows_core::BSTR`, which exists only on Windows: off Windows a stand-in is
//!   declared.

mod format;
mod s_false;
mod split;

#[cfg(test)]
pub use format::format;
pub use format::{Pieces, format_items, stand_in};
pub use s_false::SFalseReport;
use s_false::s_false_edits;
pub use split::{Split, split};

use std::ops::Range;
use std::path::Path;

use syn::spanned::Spanned;

use crate::contain::contain;
use crate::error::{Error, Result};
use crate::model::out_pointers::{OutParams, OutPointer};
use crate::model::selection::Selection;
use crate::parse::supplement::KeepsSFalseEntry;
use crate::parse::winmd::Metadata;

/// Runs windows-bindgen for `selection` over `metadata`, writing through `scratch` (a file
/// windows-bindgen may create), and returns the bindings' text.
///
/// # Errors
/// [`Error::MalformedMetadata`] naming the user's files when windows-bindgen panics reading
/// them (its way to report bad input); [`Error::Bindgen`] when it panics over the bundled
/// subset alone (a bug); [`Error::NoRustfmt`] when no `rustfmt` runs.
///
/// windows-bindgen 0.100 pipes its whole output through a `rustfmt` child process, which took
/// about half of `generate`'s time; it is told to leave the text as it is
/// (`disable_all_formatting`, a stable rustfmt option) and the generator formats the fixed
/// bindings in-process with prettyplease instead.
pub fn run_bindgen(metadata: &Metadata, selection: &Selection, scratch: &Path) -> Result<String> {
    let mut builder = windows_bindgen::builder();
    for (_, bytes) in &metadata.files {
        builder.input_bytes(bytes);
    }
    builder
        .output(scratch)
        .flat()
        .rustfmt("disable_all_formatting=true")
        .filters(selection.bindgen_filters());
    let origins = metadata.user_origins();
    contain(
        || builder.write(),
        // windows-bindgen reports input it cannot use by panicking (its `#[track_caller]`
        // functions put the location in this file): over user files, that is their fault.
        |panic| {
            if panic
                .message
                .contains("failed to format output with `rustfmt`")
            {
                Error::NoRustfmt
            } else if origins.is_empty() {
                Error::Bindgen(panic.detail())
            } else {
                panic.into_metadata_error("generating bindings", &origins)
            }
        },
    )?;
    std::fs::read_to_string(scratch).map_err(|e| Error::io(scratch, e))
}

/// Makes bindings that mention OLE's `BSTR` compile off Windows: windows-core 0.100 defines
/// `BSTR` only on Windows, yet the type closure of Sync Center's methods reaches it (through
/// `PROPVARIANT` and `CABSTR`). The bindings then name a local `BSTR`: windows-core's on
/// Windows, and elsewhere a one-pointer stand-in with the same ABI that owns nothing, so that
/// in-process tests on Linux compile the same file. (This is the fix on the whole text, the
/// reference; the generator renames item by item while printing, [`format_items`].)
#[cfg(test)]
fn portable_bstr(text: &str) -> String {
    if !text.contains("windows_core::BSTR") {
        return text.to_string();
    }
    let mut out = text.replace("windows_core::BSTR", "BSTR");
    out.push_str(BSTR_STAND_IN);
    out
}

const BSTR_STAND_IN: &str = r#"#[cfg(windows)]
pub use windows_core::BSTR;
/// Off Windows, windows-core has no `BSTR` (OLE's length-prefixed string): this stands in
/// for it where the metadata's structs carry one, with the same ABI (one pointer). It owns
/// nothing and frees nothing.
#[cfg(not(windows))]
#[repr(transparent)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BSTR(pub *const u16);
#[cfg(not(windows))]
impl Default for BSTR {
    fn default() -> Self {
        Self(core::ptr::null())
    }
}
"#;

/// Edits that make windows-bindgen's vtable shims check `[retval]` out-pointers for null and
/// zero them before the implementation runs.
///
/// For a method whose last out-parameter windows-bindgen lifted into the `_Impl` method's
/// return value, the shim writes the result through that pointer without checking it, so a
/// caller passing null crashes the process. Each such shim here returns `E_POINTER` first,
/// before the implementation runs, then writes zero through the pointer (an ABI value: an
/// interface or string pointer NULL, an enum its 0 value, a struct all zeros), so that a
/// failure leaves zero behind, as COM asks of `[out]` pointers and as pages ask of values
/// (`NF:syncmgr.ISyncMgrHandlerInfo.GetType`: `SYNCMGR_HT_UNSPECIFIED` when it fails).
fn retval_edits(parsed: &Parsed, out_params: &OutParams) -> Vec<Edit> {
    let mut edits = Vec::new();
    for item in parsed.items() {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        // The interface of a vtable block, for the pointers the caller may pass NULL.
        let interface = match block.self_ty.as_ref() {
            syn::Type::Path(path) if block.trait_.is_none() => path
                .path
                .get_ident()
                .and_then(|i| parsed.ident_text(i).strip_suffix("_Vtbl")),
            _ => None,
        };
        for shim in shims_of(block) {
            let Some((pointer, write)) = retval_pointer(&shim.block) else {
                continue;
            };
            let method = shim.sig.ident.to_string();
            let open = parsed.range(shim.block.brace_token.span.open()).end;
            if interface.is_some_and(|i| out_params.is_optional(i, &method, &pointer)) {
                // NULL means no result wanted: the implementation runs, nothing is written
                // (its result is released when the shim returns).
                let write = parsed.range(write);
                edits.push((
                    write.start..write.start,
                    format!("if !{pointer}.is_null() {{ "),
                ));
                edits.push((write.end..write.end, " }".to_string()));
                continue;
            }
            edits.push((
                open..open,
                format!(
                    "\n            if {pointer}.is_null() {{ return windows_core::imp::E_POINTER; }}\n            unsafe {{ {pointer}.write(core::mem::zeroed()) }};"
                ),
            ));
        }
    }
    edits
}

/// The interfaces whose vtables the bindings hold (`impl IFoo_Vtbl { ... }`).
pub fn vtable_interfaces<'p>(parsed: &'p Parsed) -> Vec<&'p str> {
    parsed
        .items()
        .filter_map(|item| match item {
            syn::Item::Impl(block) if block.trait_.is_none() => match block.self_ty.as_ref() {
                syn::Type::Path(path) => path.path.get_ident(),
                _ => None,
            },
            _ => None,
        })
        .filter_map(|ident| {
            let name = parsed.ident_text(ident);
            name.strip_suffix("_Vtbl")
        })
        .collect()
}

/// Edits that make every vtable shim set its `[out]` interface pointers to NULL before
/// anything else (a null pointer itself is left alone: the `[retval]` check or the adapter
/// answers it). An `[out]` array is cleared over the count its count parameter gives.
fn out_pointer_edits(parsed: &Parsed, out_params: &OutParams) -> Vec<Edit> {
    let mut edits = Vec::new();
    for item in parsed.items() {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        let Some(interface) = (match block.self_ty.as_ref() {
            syn::Type::Path(path) if block.trait_.is_none() => path
                .path
                .get_ident()
                .and_then(|i| parsed.ident_text(i).strip_suffix("_Vtbl")),
            _ => None,
        }) else {
            continue;
        };
        for shim in shims_of(block) {
            let candidates: Vec<String> = shim
                .sig
                .inputs
                .iter()
                .filter_map(|arg| match arg {
                    syn::FnArg::Typed(t) if is_void_out(&t.ty) => match t.pat.as_ref() {
                        syn::Pat::Ident(name) => Some(name.ident.to_string()),
                        _ => None,
                    },
                    _ => None,
                })
                .collect();
            if candidates.is_empty() {
                continue;
            }
            let method = shim.sig.ident.to_string();
            let outs = out_params.out_pointers(interface, &method, &candidates);
            if outs.is_empty() {
                continue;
            }
            let open = parsed.range(shim.block.brace_token.span.open()).end;
            let text: String = outs.iter().map(null_statement).collect();
            edits.push((open..open, text));
        }
    }
    edits
}

/// The statement that sets one `[out]` interface pointer (or array of them) to NULL.
fn null_statement(out: &OutPointer) -> String {
    let name = &out.name;
    match &out.count {
        None => format!(
            "\n            if !{name}.is_null() {{ unsafe {{ {name}.write(core::ptr::null_mut()) }}; }}"
        ),
        Some(count) => format!(
            "\n            if !{name}.is_null() {{ for i in 0..{count} as usize {{ unsafe {{ {name}.add(i).write(core::ptr::null_mut()) }}; }} }}"
        ),
    }
}

/// The shims (`unsafe extern "system" fn`) declared inside an `impl IFoo_Vtbl` block's `new`.
fn shims_of(block: &syn::ItemImpl) -> Vec<&syn::ItemFn> {
    use syn::visit::Visit;
    struct Shims<'a>(Vec<&'a syn::ItemFn>);
    impl<'a> Visit<'a> for Shims<'a> {
        fn visit_item_fn(&mut self, item: &'a syn::ItemFn) {
            if item.sig.abi.is_some() {
                self.0.push(item);
            }
            syn::visit::visit_item_fn(self, item);
        }
    }
    let mut shims = Shims(Vec::new());
    shims.visit_item_impl(block);
    shims.0
}

/// Whether a type is `*mut *mut core::ffi::c_void`.
fn is_void_out(ty: &syn::Type) -> bool {
    let syn::Type::Ptr(outer) = ty else {
        return false;
    };
    let syn::Type::Ptr(inner) = outer.elem.as_ref() else {
        return false;
    };
    outer.mutability.is_some()
        && inner.mutability.is_some()
        && matches!(inner.elem.as_ref(), syn::Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "c_void"))
}

/// The parameter a shim writes its `Ok(ok__)` value through, if it does, with the span of the
/// `write` call.
fn retval_pointer(block: &syn::Block) -> Option<(String, proc_macro2::Span)> {
    use syn::spanned::Spanned;
    use syn::visit::Visit;
    type Found = Option<(String, proc_macro2::Span)>;
    struct Finder(Found);
    impl<'a> Visit<'a> for Finder {
        fn visit_arm(&mut self, arm: &'a syn::Arm) {
            let is_ok = matches!(&arm.pat, syn::Pat::TupleStruct(t) if t.path.is_ident("Ok"));
            if is_ok {
                struct Write(Found);
                impl<'a> Visit<'a> for Write {
                    fn visit_expr_method_call(&mut self, call: &'a syn::ExprMethodCall) {
                        if call.method == "write"
                            && let syn::Expr::Path(receiver) = call.receiver.as_ref()
                            && let Some(ident) = receiver.path.get_ident()
                        {
                            self.0
                                .get_or_insert_with(|| (ident.to_string(), call.span()));
                        }
                        syn::visit::visit_expr_method_call(self, call);
                    }
                }
                let mut write = Write(None);
                write.visit_expr(&arm.body);
                if write.0.is_some() {
                    self.0 = write.0;
                }
            }
            syn::visit::visit_arm(self, arm);
        }
    }
    let mut finder = Finder(None);
    finder.visit_block(block);
    finder.0
}

/// A replacement of a byte range of the bindings' text (empty range: an insertion).
pub type Edit = (Range<usize>, String);

/// The bindings after the project's fixes.
#[derive(Debug, Clone)]
pub struct FixedBindings {
    /// The fixed text, windows-bindgen's layout with the edits applied: what the unit tests
    /// read the fixes in, and the reference the in-process formatting is compared with (the
    /// generator itself prints from the edits, [`format_items`]).
    #[cfg(test)]
    pub text: String,
    /// The fixes, as edits of windows-bindgen's text, by descending start.
    pub edits: Vec<Edit>,
    /// What the S_FALSE fix changed.
    pub s_false: SFalseReport,
    /// Vtable shims given a null check of their `[retval]` out-pointer.
    pub null_checked: usize,
    /// Vtable shims that set their `[out]` interface pointers to NULL first.
    pub out_nulled: usize,
}

/// windows-bindgen's output parsed with syn, with the positions of its tokens. (One parse on
/// one thread: syn's trees and proc-macro2's span positions do not cross threads.)
pub struct Parsed<'a> {
    text: &'a str,
    file: syn::File,
    /// Where each of `file.items` starts in `text` (its first attribute or keyword).
    starts: Vec<usize>,
}

impl<'a> Parsed<'a> {
    /// Parses `text`.
    ///
    /// # Errors
    /// [`Error::Render`] when the text is not valid Rust.
    pub fn parse(text: &'a str) -> Result<Self> {
        use syn::parse::Parser;
        // `syn::parse_file`, item by item, noting where each starts (a span of a whole item
        // costs a walk of its tokens; the next token's span costs nothing).
        let parser = |input: syn::parse::ParseStream| {
            let attrs = input.call(syn::Attribute::parse_inner)?;
            let mut items = Vec::new();
            let mut starts = Vec::new();
            while !input.is_empty() {
                starts.push(input.span().byte_range().start);
                items.push(input.parse()?);
            }
            Ok((attrs, items, starts))
        };
        let (attrs, items, starts) = parser.parse_str(text).map_err(|e| Error::Render {
            file: "bindings.rs".into(),
            message: e.to_string(),
        })?;
        Ok(Self {
            text,
            file: syn::File {
                shebang: None,
                attrs,
                items,
            },
            starts,
        })
    }

    /// Every top-level item, in order.
    pub fn items(&self) -> impl Iterator<Item = &syn::Item> {
        self.file.items.iter()
    }

    /// The byte range of `span` in the text.
    fn range(&self, span: proc_macro2::Span) -> Range<usize> {
        span.byte_range()
    }

    /// An identifier's text, borrowed from the parsed text.
    fn ident_text(&self, ident: &syn::Ident) -> &'a str {
        &self.text[self.range(ident.span())]
    }
}

/// Applies the project's fixes to windows-bindgen's output `parsed`: S_FALSE kept where
/// `entries` list it, `[retval]` out-pointers checked for null, `[out]` interface pointers
/// (`out_params`) set to NULL first, and `BSTR` made portable.
///
/// # Errors
/// [`Error::MissingBinding`] when a listed S_FALSE method is not where the fix expects it.
pub fn fix(
    parsed: &Parsed,
    entries: &[KeepsSFalseEntry],
    out_params: &OutParams,
) -> Result<FixedBindings> {
    let (mut edits, s_false) = s_false_edits(parsed, entries)?;
    let retval = retval_edits(parsed, out_params);
    let null_checked = retval
        .iter()
        .filter(|(_, text)| text.contains("E_POINTER"))
        .count();
    edits.extend(retval);
    // Insertions at one position are applied in list order, each before the previous one: the
    // NULLs come out first in the text, then the `[retval]` null check.
    let nulled = out_pointer_edits(parsed, out_params);
    let out_nulled = nulled.len();
    edits.extend(nulled);
    edits.sort_by_key(|(range, _)| std::cmp::Reverse(range.start));
    Ok(FixedBindings {
        #[cfg(test)]
        text: {
            let mut out = parsed.text.to_string();
            for (range, replacement) in &edits {
                out.replace_range(range.clone(), replacement);
            }
            portable_bstr(&out)
        },
        edits,
        s_false,
        null_checked,
        out_nulled,
    })
}

#[cfg(test)]
mod tests;
