//! The `winsync-gen` command: `generate` (the main job) and `extract-metadata`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use windows_metadata::reader::{Item, TypeCategory};
use winsync_gen::extract::{self, ExtractStats};
use winsync_gen::model::selection;
use winsync_gen::parse::winmd::Metadata;
use winsync_gen::{Error, Input, Options, bundled, upstream};

/// Generates Rust bindings, safe skeleton traits and contract code for the Windows Sync
/// Framework (winsync.h) and Sync Center (syncmgr.h) from Windows metadata.
#[derive(Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate bindings, skeleton traits, contract code and the contract report (the main
    /// job). With no option: the bundled metadata, all of winsync and Sync Center, written to
    /// ./generated.
    Generate(GenerateArgs),
    /// Write the bundled subset .winmd from Microsoft's full Win32 metadata (63.0.31, shipped
    /// in the windows-bindgen 0.66.0 crate, which cargo downloads).
    ExtractMetadata(ExtractArgs),
    /// Write the bundled documentation dataset (metadata/docs.json) from Microsoft's API
    /// reference pages: a folder with `winsync`, `syncmgr`, `mobsync` and `syncregistration`
    /// folders of pages (metadata/sdk-api, or `sdk-api-src/content` of a clone of
    /// https://github.com/MicrosoftDocs/sdk-api).
    ExtractDocs(ExtractDocsArgs),
}

#[derive(Args)]
struct GenerateArgs {
    /// A .winmd file or a folder of them, read instead of the bundled metadata. Repeatable.
    #[arg(long = "in", value_name = "PATH")]
    inputs: Vec<PathBuf>,
    /// Read the bundled metadata too when --in is given.
    #[arg(long)]
    bundled: bool,
    /// An item to include, in windows-bindgen syntax: a namespace, `Namespace.Name`, a bare
    /// name, `Namespace.Type::Method`; `Windows.Win32.UI.Shell.*SyncMgr` selects Sync Center.
    /// Prefix with `!` to exclude. Repeatable. Default: all of winsync and Sync Center.
    #[arg(long, value_name = "FILTER", allow_hyphen_values = true)]
    filter: Vec<String>,
    /// The output folder. Default: `generated`.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// A contracts.toml to use instead of the bundled one.
    #[arg(long, value_name = "FILE")]
    contracts: Option<PathBuf>,
    /// A supplement.toml to use instead of the bundled one.
    #[arg(long, value_name = "FILE")]
    supplement: Option<PathBuf>,
    /// Leave Microsoft's documentation out of the bindings and skeletons (lean output).
    #[arg(long)]
    no_docs: bool,
    /// List what the metadata offers (each item with its kind, restricted by --filter when
    /// given) instead of generating.
    #[arg(long)]
    list: bool,
}

#[derive(Args)]
struct ExtractArgs {
    /// The full Win32 .winmd to read. Default: `default/Windows.Win32.winmd` of the
    /// windows-bindgen 0.66.0 crate, located with `cargo metadata`.
    #[arg(long, value_name = "FILE")]
    from: Option<PathBuf>,
    /// Where to write the subset.
    #[arg(long, value_name = "FILE", default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../metadata/Windows.Win32.Sync.winmd"))]
    out: PathBuf,
}

#[derive(Args)]
struct ExtractDocsArgs {
    /// The folder of pages (or a clone of MicrosoftDocs/sdk-api). Default: metadata/sdk-api.
    #[arg(long, value_name = "DIR", default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../metadata/sdk-api"))]
    from: PathBuf,
    /// Where to write the dataset.
    #[arg(long, value_name = "FILE", default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../metadata/docs.json"))]
    out: PathBuf,
    /// The commit of MicrosoftDocs/sdk-api the pages come from, recorded for pages that do not
    /// say (a clone's: `git -C DIR rev-parse HEAD`).
    #[arg(long, value_name = "HASH")]
    commit: Option<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Generate(args) if args.list => list(&args),
        Command::Generate(args) => generate(args),
        Command::ExtractMetadata(args) => extract_metadata(&args),
        Command::ExtractDocs(args) => extract_docs(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn options(args: &GenerateArgs) -> Options {
    Options {
        inputs: args.inputs.iter().cloned().map(Input::Path).collect(),
        with_bundled: args.bundled,
        filters: args.filter.clone(),
        contracts: args.contracts.clone(),
        supplement: args.supplement.clone(),
        no_docs: args.no_docs,
    }
}

fn generate(args: GenerateArgs) -> Result<(), Error> {
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("generated"));
    let generated = winsync_gen::generate(&options(&args))?;
    let written = generated.write(&out)?;
    println!(
        "generated {} items, {} skeleton traits, {} checked enums, {} contract rules, {} supplement HRESULTs in {:.0} ms",
        generated.items,
        generated.traits,
        generated.enums,
        generated.rules,
        generated.hresults,
        generated.elapsed.as_secs_f64() * 1000.0
    );
    println!(
        "{} vtable shims now answer E_POINTER for a null [retval] pointer and zero it first; {} set their [out] interface pointers to NULL first",
        generated.null_checked, generated.out_nulled
    );
    if args.no_docs {
        println!("Microsoft's documentation left out (--no-docs)");
    } else {
        println!(
            "Microsoft's documentation on {} items: {} of the {} pages of generated items ({} pages in {}); {} of {} skeleton methods",
            generated.docs.items,
            generated.docs.pages.len(),
            generated.doc_pages_due,
            generated.doc_pages,
            bundled::DOCS_NAME,
            generated.docs.skeleton_documented,
            generated.docs.skeleton_methods
        );
    }
    if !generated.s_false.impl_side.is_empty() {
        println!(
            "S_FALSE kept on the _Impl side of {}",
            generated.s_false.impl_side.join(", ")
        );
    }
    if generated.property_keys > 0 {
        println!(
            "{} PROPERTYKEY constants emitted by the generator (windows-bindgen 0.100 cannot)",
            generated.property_keys
        );
    }
    let mut skipped: std::collections::BTreeMap<&str, Vec<&str>> =
        std::collections::BTreeMap::new();
    for (item, reason) in &generated.skipped {
        skipped.entry(reason).or_default().push(item);
    }
    for (reason, items) in skipped {
        println!(
            "skipped {} items ({reason}): {}",
            items.len(),
            items.join(", ")
        );
    }
    for file in &generated.files {
        let path = out.join(file.name);
        let state = if written.contains(&path) {
            "written"
        } else {
            "unchanged"
        };
        println!(
            "  {} ({} bytes, {state})",
            path.display(),
            file.contents.len()
        );
    }
    // Generated files of an earlier run that this run does not produce were removed.
    for path in &written {
        if !generated.files.iter().any(|f| out.join(f.name) == *path) {
            println!(
                "  {} (removed: this selection does not produce it)",
                path.display()
            );
        }
    }
    Ok(())
}

fn list(args: &GenerateArgs) -> Result<(), Error> {
    let ignored: Vec<&str> = [
        ("--out", args.out.is_some()),
        ("--contracts", args.contracts.is_some()),
        ("--supplement", args.supplement.is_some()),
    ]
    .into_iter()
    .filter_map(|(flag, given)| given.then_some(flag))
    .collect();
    if !ignored.is_empty() {
        eprintln!(
            "warning: --list writes nothing and reads no contract data; it ignores {}",
            ignored.join(", ")
        );
    }
    let mut inputs: Vec<Input> = args.inputs.iter().cloned().map(Input::Path).collect();
    if inputs.is_empty() || args.bundled {
        inputs.push(Input::Bytes {
            origin: bundled::WINMD_NAME.into(),
            bytes: bundled::WINMD.to_vec(),
        });
    }
    let metadata = Metadata::load(&inputs)?;
    let index = &metadata.index;
    let selected = if args.filter.is_empty() {
        None
    } else {
        Some(selection::resolve(index, &args.filter)?)
    };
    let mut rows: Vec<(String, &'static str)> = index
        .iter_items()
        .filter(|(namespace, name, _)| {
            selected
                .as_ref()
                .is_none_or(|s| s.contains(namespace, name))
        })
        .map(|(namespace, name, item)| (format!("{namespace}.{name}"), kind(&item)))
        .collect();
    rows.sort();
    rows.dedup();
    for (name, kind) in &rows {
        println!("{kind:<9} {name}");
    }
    println!("{} items", rows.len());
    Ok(())
}

fn kind(item: &Item) -> &'static str {
    match item {
        Item::Fn(_) => "function",
        Item::Const(_) => "constant",
        Item::Type(def) => match def.category() {
            TypeCategory::Interface => "interface",
            TypeCategory::Class => "class",
            TypeCategory::Enum => "enum",
            TypeCategory::Struct => "struct",
            TypeCategory::Delegate => "delegate",
            _ => "type",
        },
    }
}

fn extract_docs(args: &ExtractDocsArgs) -> Result<(), Error> {
    let (set, stats) = winsync_gen::extract_docs::extract(&args.from, args.commit.as_deref())?;
    winsync_gen::extract_docs::write(&set, &args.out)?;
    let read: Vec<String> = stats
        .pages
        .iter()
        .map(|(header, n)| format!("{n} {header}"))
        .collect();
    println!(
        "read {} pages ({}) from {}; wrote {} documented items to {} ({} merged into another page of the same item, {} empty templates left out)",
        stats.pages.values().sum::<usize>(),
        read.join(", "),
        args.from.display(),
        stats.kept,
        args.out.display(),
        stats.merged,
        stats.empty
    );
    Ok(())
}

fn extract_metadata(args: &ExtractArgs) -> Result<(), Error> {
    let from = match &args.from {
        Some(path) => path.clone(),
        None => upstream::locate(&PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/Cargo.toml"
        )))?,
    };
    let metadata = Metadata::load(&[Input::Path(from.clone())])?;
    let names = extract::bundled_selection(&metadata.index);
    let (bytes, stats): (Vec<u8>, ExtractStats) =
        extract::extract(&metadata.index, &names, "Windows.Win32.Sync");
    std::fs::write(&args.out, &bytes).map_err(|e| Error::Io {
        path: args.out.clone(),
        source: e,
    })?;
    println!(
        "extracted {} selected items ({} types, {} constants, {} functions with their closure) from {} into {} ({} bytes)",
        names.len(),
        stats.types,
        stats.constants,
        stats.functions,
        from.display(),
        args.out.display(),
        bytes.len()
    );
    Ok(())
}
