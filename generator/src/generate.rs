//! One generation: load metadata and contract data, check them, resolve the selection, emit
//! every output file in memory.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::bundled;
use crate::contain::contain;
use crate::emit::bindings::SFalseReport;
use crate::emit::threads::{self, Rendered};
use crate::emit::{format, rust};
use crate::error::{Error, Result};
use crate::model::docs::DocIndex;
use crate::model::{selection, validate};
use crate::parse::span::SourceText;
use crate::parse::winmd::{Input, Metadata};
use crate::parse::{self, contracts, supplement};

/// What to generate from. [`Options::default`] is the bundled metadata, the default selection
/// and the bundled contract data.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Metadata inputs; empty means the bundled subset.
    pub inputs: Vec<Input>,
    /// Also read the bundled subset when [`Self::inputs`] is not empty.
    pub with_bundled: bool,
    /// Filters in windows-bindgen syntax (see [`selection::resolve`]); empty means the default
    /// selection (all of winsync and Sync Center).
    pub filters: Vec<String>,
    /// A `contracts.toml` to use instead of the bundled one.
    pub contracts: Option<PathBuf>,
    /// A `supplement.toml` to use instead of the bundled one.
    pub supplement: Option<PathBuf>,
    /// Leave Microsoft's documentation out of the bindings and skeletons (lean output); the
    /// contract rules and page UIDs stay.
    pub no_docs: bool,
}

/// One output file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// File name inside the output folder.
    pub name: &'static str,
    /// Its content.
    pub contents: String,
}

/// What a generation produced, and counts for the summary.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The files, in a fixed order: `mod.rs`, `bindings.rs`, `hresults.rs`, `contracts.rs`,
    /// `skeletons.rs` (when a contract interface is selected), `CONTRACTS.md`.
    pub files: Vec<OutputFile>,
    /// Fully-qualified items emitted by windows-bindgen (as selected, before its closure).
    pub items: usize,
    /// Items a filter matched that neither windows-bindgen nor the generator can emit, with
    /// the reason.
    pub skipped: Vec<(String, &'static str)>,
    /// `PROPERTYKEY` constants the generator emitted itself (windows-bindgen 0.100 cannot).
    pub property_keys: usize,
    /// Skeleton traits generated.
    pub traits: usize,
    /// Checked enums generated.
    pub enums: usize,
    /// Contract rules.
    pub rules: usize,
    /// Supplement HRESULTs.
    pub hresults: usize,
    /// Methods whose S_FALSE the bindings now keep.
    pub s_false: SFalseReport,
    /// Vtable shims given a null check of their `[retval]` out-pointer.
    pub null_checked: usize,
    /// Vtable shims that set their `[out]` interface pointers to NULL before anything runs.
    pub out_nulled: usize,
    /// Pages in the documentation dataset.
    pub doc_pages: usize,
    /// Pages of the dataset whose item this generation emits (the pages due).
    pub doc_pages_due: usize,
    /// What the documentation was attached to (empty with [`Options::no_docs`]).
    pub docs: crate::emit::docs::DocUse,
    /// Wall time of the generation.
    pub elapsed: Duration,
}

impl Generated {
    /// The file called `name`, if generated.
    pub fn file(&self, name: &str) -> Option<&str> {
        self.files
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.contents.as_str())
    }

    /// Writes every file into `dir` (created if needed): atomically (each file is replaced
    /// whole), under the folder's lock, rewriting only files whose content changed and
    /// removing generated files this run did not produce ([`crate::emit::output`]). Returns
    /// the paths written.
    ///
    /// # Errors
    /// [`Error::Io`] naming the folder or file that could not be locked, written or removed,
    /// or saying that `dir` is a file.
    pub fn write(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        let files: Vec<(&str, &str)> = self
            .files
            .iter()
            .map(|f| (f.name, f.contents.as_str()))
            .collect();
        let done = crate::emit::output::write_all(dir, &files)?;
        Ok(done.written.into_iter().chain(done.removed).collect())
    }
}

/// Runs one generation in memory.
///
/// # Errors
/// Any [`Error`]: unreadable or corrupt metadata, an unknown filter, malformed or inconsistent
/// contract data (`file:line:col`), a windows-bindgen failure, a missing `_Impl` trait. Panics
/// of the metadata reader and windows-bindgen are contained and returned as errors.
pub fn generate(options: &Options) -> Result<Generated> {
    contain(
        || run(options),
        |panic| panic.into_error("generating", &user_origins(&options.inputs)),
    )?
}

/// The metadata files the user gave, as named in errors: a panic of the metadata reader over
/// them means they are malformed (the bundled subset is known to be sound).
fn user_origins(inputs: &[Input]) -> Vec<String> {
    inputs
        .iter()
        .filter_map(|input| match input {
            Input::Path(path) => Some(path.display().to_string()),
            Input::Bytes { bytes, .. } if bytes.as_slice() == bundled::WINMD => None,
            Input::Bytes { origin, .. } => Some(origin.clone()),
        })
        .collect()
}

fn run(options: &Options) -> Result<Generated> {
    let started = Instant::now();
    let mut inputs = options.inputs.clone();
    let mut names: Vec<String> = inputs.iter().map(input_name).collect();
    if inputs.is_empty() || options.with_bundled {
        inputs.push(Input::Bytes {
            origin: bundled::WINMD_NAME.to_string(),
            bytes: bundled::WINMD.to_vec(),
        });
        names.push(bundled::WINMD_NAME.to_string());
    }
    let metadata = Metadata::load(&inputs)?;
    if !metadata.has_sync_apis() {
        return Err(Error::MissingApis {
            origins: metadata
                .files
                .iter()
                .map(|(origin, _)| origin.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }

    let contracts_text = load_text(
        options.contracts.as_deref(),
        bundled::CONTRACTS_NAME,
        bundled::CONTRACTS,
    )?;
    let supplement_text = load_text(
        options.supplement.as_deref(),
        bundled::SUPPLEMENT_NAME,
        bundled::SUPPLEMENT,
    )?;
    names.push(file_name(&contracts_text.name));
    names.push(file_name(&supplement_text.name));
    let contracts = contracts::parse(&contracts_text)?;
    let supplement = supplement::parse(&supplement_text)?;
    validate::validate(
        &metadata.index,
        &contracts,
        &contracts_text,
        &supplement,
        &supplement_text,
    )
    .map_err(|error| match error {
        // Against the bundled metadata the data is at fault; against the user's, either is.
        Error::Data(diagnostics) if !metadata.user_origins().is_empty() => Error::Mismatch {
            origins: metadata.user_origins().join(", "),
            diagnostics,
        },
        other => other,
    })?;

    let doc_set = parse::docs::parse(bundled::DOCS_NAME, bundled::DOCS)?;
    let doc_index = DocIndex::new(&doc_set);
    validate::sources_have_pages(&contracts, &contracts_text, &doc_index)?;

    let selection = selection::resolve(&metadata.index, &options.filters)?;
    let skeleton_types: BTreeSet<String> = contracts
        .interfaces
        .iter()
        .map(|entry| format!("{}.{}", entry.namespace.get_ref(), entry.name.get_ref()))
        .collect();
    if let Some((filter, type_name)) =
        selection::method_filters_on(&selection, &skeleton_types).next()
    {
        let short = type_name
            .rsplit_once('.')
            .map_or(type_name, |(_, name)| name);
        return Err(Error::Selection(format!(
            "`{filter}`: {short} gets a skeleton trait, which implements every method of its \
             vtable; a method filter would leave the other methods as opaque slots and \
             windows-bindgen would emit no `{short}_Impl` trait. Select the whole interface: \
             --filter {type_name}"
        )));
    }
    let scratch = crate::emit::scratch::Scratch::new()?;
    let bindings_path = scratch.path().join("bindings.rs");
    let Rendered {
        fixed,
        bindings: bindings_text,
        side: [hresults, contracts_rs, report_md],
        model,
        skeletons,
        docs,
    } = threads::render(&threads::Inputs {
        metadata: &metadata,
        selection: &selection,
        contracts: &contracts,
        supplement: &supplement,
        names: &names,
        scratch: &bindings_path,
        docs: (!options.no_docs).then_some(&doc_index),
        pages: &doc_index,
    })?;

    let has_skeletons = skeletons.is_some();
    let mut files = vec![
        OutputFile {
            name: "mod.rs",
            contents: rust::module(has_skeletons, &names)?,
        },
        OutputFile {
            name: "bindings.rs",
            contents: format::rust_header(
                "typed bindings emitted by windows-bindgen 0.100",
                &names,
            ) + &bindings_text
                + &crate::emit::property_keys::property_keys(&selection.property_keys),
        },
        OutputFile {
            name: "hresults.rs",
            contents: hresults,
        },
        OutputFile {
            name: "contracts.rs",
            contents: contracts_rs,
        },
    ];
    if let Some(contents) = skeletons {
        files.push(OutputFile {
            name: "skeletons.rs",
            contents,
        });
    }
    files.push(OutputFile {
        name: "CONTRACTS.md",
        contents: report_md,
    });

    Ok(Generated {
        files,
        items: selection.items.len(),
        property_keys: selection.property_keys.len(),
        skipped: selection.skipped,
        traits: model.traits.len(),
        enums: model.enums.len(),
        rules: contracts.rules.len(),
        hresults: supplement.hresults.len(),
        s_false: fixed.s_false,
        null_checked: fixed.null_checked,
        out_nulled: fixed.out_nulled,
        doc_pages: doc_set.pages.len(),
        doc_pages_due: doc_set
            .pages
            .iter()
            .filter(|p| docs.seen.contains(p.item_name()))
            .count(),
        docs,
        elapsed: started.elapsed(),
    })
}

fn load_text(path: Option<&Path>, bundled_name: &str, bundled_text: &str) -> Result<SourceText> {
    match path {
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
            let name = path.display().to_string();
            match String::from_utf8(bytes) {
                Ok(text) => Ok(SourceText::new(name, text)),
                Err(error) => {
                    // The location of the first byte that is not UTF-8.
                    let valid = error.utf8_error().valid_up_to();
                    let bytes = error.into_bytes();
                    let prefix = String::from_utf8_lossy(&bytes[..valid]).into_owned();
                    let source = SourceText::new(name, prefix);
                    Err(Error::Data(vec![source.diagnostic(
                        valid..valid,
                        format!(
                            "byte 0x{:02X} is not UTF-8: the file must be UTF-8 text",
                            bytes[valid]
                        ),
                    )]))
                }
            }
        }
        None => Ok(SourceText::new(bundled_name, bundled_text)),
    }
}

fn input_name(input: &Input) -> String {
    match input {
        Input::Path(path) => file_name(&path.display().to_string()),
        Input::Bytes { origin, .. } => origin.clone(),
    }
}

fn file_name(path: &str) -> String {
    if path.starts_with("metadata/") {
        return path.to_string();
    }
    Path::new(path)
        .file_name()
        .map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned())
}
