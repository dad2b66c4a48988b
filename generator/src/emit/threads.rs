//! The rendering of one generation on two threads.
//!
//! Syntax trees do not cross threads, so each thread parses what it works on and hands back
//! text and the skeleton model:
//!
//! - the binding thread runs windows-bindgen, splits its output ([`bindings::split`]), parses
//!   the `impl` blocks and traits, fixes them ([`bindings::fix`]) and prints them;
//! - this thread renders what does not depend on the bindings (HRESULTs, rule table, report)
//!   while windows-bindgen runs, then parses the other items and the traits again, builds the
//!   skeleton model, renders the skeletons and prints its items;
//!
//! and the printed items are put back in windows-bindgen's order. Output the split does not
//! understand is parsed, fixed and printed whole on the binding thread (the model then comes
//! from there).

use std::path::Path;
use std::sync::mpsc;

use super::bindings::{self, FixedBindings, Pieces, run_bindgen};
use super::docs::DocUse;
use super::{report, rust};
use crate::error::{Error, Result};
use crate::model::docs::DocIndex;
use crate::model::out_pointers::OutParams;
use crate::model::selection::Selection;
use crate::model::skeleton::{self, SkeletonModel};
use crate::parse::contracts::Contracts;
use crate::parse::supplement::Supplement;
use crate::parse::winmd::Metadata;

/// Everything rendered.
pub struct Rendered {
    /// What the fixes did.
    pub fixed: FixedBindings,
    /// `bindings.rs` without its header.
    pub bindings: String,
    /// `hresults.rs`, `contracts.rs`, `CONTRACTS.md`.
    pub side: [String; 3],
    /// The skeleton model.
    pub model: SkeletonModel,
    /// `skeletons.rs`, if the selection has skeletons.
    pub skeletons: Option<String>,
    /// What Microsoft's documentation was attached to.
    pub docs: DocUse,
}

/// The inputs of a rendering.
pub struct Inputs<'a> {
    /// The metadata.
    pub metadata: &'a Metadata,
    /// The resolved selection.
    pub selection: &'a Selection,
    /// The contract data.
    pub contracts: &'a Contracts,
    /// The supplement.
    pub supplement: &'a Supplement,
    /// The input names for the headers.
    pub names: &'a [String],
    /// A file windows-bindgen may write.
    pub scratch: &'a Path,
    /// Microsoft's documentation, when the output carries it.
    pub docs: Option<&'a DocIndex<'a>>,
    /// The documentation dataset's pages (the report links rule sources to them).
    pub pages: &'a DocIndex<'a>,
}

/// What the binding thread hands back: the fixes, its printed items and the split's order.
type Bound = (FixedBindings, Pieces, Option<Vec<bool>>);

/// This thread's share: the model, the skeletons, its printed items and the documentation the
/// skeletons got.
type Share = (
    SkeletonModel,
    Option<Result<String>>,
    Option<Pieces>,
    DocUse,
);

/// Renders every output file's text.
///
/// # Errors
/// windows-bindgen's, the fixes', the model's and the templates' errors; a fix's error first
/// (a missing binding explains a model error).
pub fn render(inputs: &Inputs<'_>) -> Result<Rendered> {
    let (rest_tx, rest_rx) = mpsc::channel::<Option<(String, usize)>>();
    let (model_tx, model_rx) = mpsc::channel::<SkeletonModel>();
    let (bound, side, share) = std::thread::scope(|scope| {
        let bind = scope.spawn(|| bind(inputs, rest_tx, model_tx));
        let side = (|| -> Result<[String; 3]> {
            Ok([
                rust::hresults(inputs.supplement, inputs.names)?,
                rust::contracts(inputs.contracts, inputs.names)?,
                report::report(
                    inputs.contracts,
                    inputs.supplement,
                    inputs.names,
                    inputs.pages,
                )?,
            ])
        })();
        let share = match rest_rx.recv() {
            Ok(Some((rest, count))) => Some(share(inputs, &rest, count)),
            Ok(None) => model_rx.recv().ok().map(|model| {
                let (skeletons, docs) = skeletons(inputs, &model);
                Ok((model, skeletons, None, docs))
            }),
            // The binding thread failed before the split: its error is the one to report.
            Err(_) => None,
        };
        // The thread contains windows-bindgen's panics; a panic escaping it is the generator's.
        let bound = bind.join().unwrap_or_else(|payload| {
            Err(Error::Internal {
                stage: "generating bindings",
                message: crate::contain::panic_message(payload.as_ref()),
            })
        });
        (bound, side, share)
    });
    let (fixed, pieces, order) = bound?;
    let side = side?;
    let Some(share) = share else {
        return Err(Error::Internal {
            stage: "generating bindings",
            message: "the binding thread ended without a skeleton model".into(),
        });
    };
    let (model, skeletons, rest, mut docs) = share?;
    docs.merge(pieces.docs.clone());
    if let Some(rest) = &rest {
        docs.merge(rest.docs.clone());
    }
    Ok(Rendered {
        docs,
        bindings: assemble(order, pieces, rest)?,
        fixed,
        side,
        model,
        skeletons: skeletons.transpose()?,
    })
}

/// The binding thread.
fn bind(
    inputs: &Inputs<'_>,
    rest_tx: mpsc::Sender<Option<(String, usize)>>,
    model_tx: mpsc::Sender<SkeletonModel>,
) -> Result<Bound> {
    let raw = run_bindgen(inputs.metadata, inputs.selection, inputs.scratch)?;
    let s_false: std::collections::BTreeSet<&str> = inputs
        .supplement
        .keeps_s_false
        .iter()
        .map(|entry| entry.interface.get_ref().as_str())
        .collect();
    let split = bindings::split(&raw, &s_false);
    // The receiver waits only while this thread runs (the senders drop with it).
    let (text, order) = match split {
        Some(split) => {
            let _ = rest_tx.send(Some((split.rest, split.rest_count)));
            (split.fixed, Some(split.order))
        }
        None => {
            let _ = rest_tx.send(None);
            (raw, None)
        }
    };
    let parsed = bindings::Parsed::parse(&text)?;
    // Unsplit, the model is read here, first, so that the skeletons render meanwhile.
    let model_error = if order.is_none() {
        build_model(inputs, parsed.items())
            .map(|model| model_tx.send(model))
            .err()
    } else {
        None
    };
    let out_params = OutParams::read(
        &inputs.metadata.index,
        bindings::vtable_interfaces(&parsed),
        &inputs.supplement.out_pointers,
    );
    let fixed = bindings::fix(&parsed, &inputs.supplement.keeps_s_false, &out_params)?;
    if let Some(error) = model_error {
        return Err(error);
    }
    let count = parsed.items().count();
    let pieces = bindings::format_items(parsed, &fixed.edits, count, inputs.docs)?;
    Ok((fixed, pieces, order))
}

/// This thread's share of a split: the other items and the traits, parsed; the model and the
/// skeletons; the other items printed.
fn share(inputs: &Inputs<'_>, rest: &str, count: usize) -> Result<Share> {
    let parsed = bindings::Parsed::parse(rest)?;
    let model = build_model(inputs, parsed.items())?;
    // The items are printed (and their tree freed) before the skeletons' tree is built: the
    // two trees never take memory at once.
    let pieces = bindings::format_items(parsed, &[], count, inputs.docs)?;
    let (skeletons, docs) = skeletons(inputs, &model);
    Ok((model, skeletons, Some(pieces), docs))
}

/// The model reads the `_Impl` signatures as windows-bindgen wrote them; it knows which
/// methods keep S_FALSE from the supplement.
fn build_model<'p>(
    inputs: &Inputs<'_>,
    items: impl IntoIterator<Item = &'p syn::Item>,
) -> Result<SkeletonModel> {
    skeleton::build(
        &inputs.metadata.index,
        items,
        inputs.contracts,
        inputs.supplement,
        inputs.selection,
    )
}

/// `skeletons.rs` (if the model has skeletons), with Microsoft's text when the output carries
/// it, and what the text went to.
fn skeletons(inputs: &Inputs<'_>, model: &SkeletonModel) -> (Option<Result<String>>, DocUse) {
    let mut used = DocUse::default();
    if model.traits.is_empty() && model.enums.is_empty() {
        return (None, used);
    }
    let plan = inputs.docs.map_or_else(Vec::new, |index| {
        super::docs::plan_skeletons(model, index, &mut used)
    });
    let text = rust::skeletons(model, inputs.names).map(|text| super::docs::apply(&text, &plan));
    (Some(text), used)
}

/// The printed items in windows-bindgen's order, then the `BSTR` stand-in if an item needs it.
fn assemble(order: Option<Vec<bool>>, bound: Pieces, rest: Option<Pieces>) -> Result<String> {
    let mismatch = || Error::Render {
        file: "bindings.rs".into(),
        message: "the split of windows-bindgen's output and its parse disagree on the items".into(),
    };
    let mut stand_in = bound.stand_in;
    let mut text = String::new();
    match (order, rest) {
        (Some(order), Some(rest)) => {
            stand_in |= rest.stand_in;
            let mut fixed = bound.items.into_iter();
            let mut other = rest.items.into_iter();
            for in_fixed in order {
                let item = if in_fixed { fixed.next() } else { other.next() };
                text.push_str(&item.ok_or_else(mismatch)?);
            }
            if fixed.next().is_some() || other.next().is_some() {
                return Err(mismatch());
            }
        }
        (None, None) => text = bound.items.concat(),
        _ => return Err(mismatch()),
    }
    if stand_in {
        text.push_str(&bindings::stand_in()?);
    }
    Ok(text)
}
