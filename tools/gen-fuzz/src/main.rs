//! The generator's fuzzer: aimed mutations of the bundled `.winmd`, `contracts.toml` and
//! `supplement.toml`, each run through the real `winsync-gen generate` in a child process with
//! a time and memory limit. Every run must end in a clean error that names the damaged file
//! (without a dependency's panic text) or in output that compiles: a crash, hang, panic, error
//! without the file's name or non-compiling success is a problem, listed with its seed and
//! case number so that it can be replayed, and makes the exit status 1.
//!
//! ```text
//! cargo run --release -p winsync-gen-fuzz -- --count 2000 --seed 1
//! cargo run --release -p winsync-gen-fuzz -- --target contracts --count 300 --compile 5
//! ```
//!
//! Unix only: the limits are set with `sh -c "ulimit -v ..."`. `cargo check` of a successful
//! output builds a scratch crate against the workspace's `winsync` (target folder
//! `target/gen-fuzz-check`); the unmutated output is not checked again (the project's own
//! tests compile it), and outputs are told apart by a hash of their files.

mod compile;
mod rng;
mod run;
mod text;
mod winmd;

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use winsync_gen::bundled;

use crate::rng::Rng;
use crate::run::{Limits, Outcome};

/// What the fuzzer mutates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Target {
    /// The `.winmd`, the contract data and the supplement, in turn (half the cases metadata).
    All,
    /// The bundled `.winmd`.
    Winmd,
    /// `contracts.toml`.
    Contracts,
    /// `supplement.toml`.
    Supplement,
}

#[derive(Parser, Debug)]
#[command(about = "Fuzzes `winsync-gen generate` with aimed mutations of its inputs")]
struct Args {
    /// Number of cases.
    #[arg(long, default_value_t = 200)]
    count: usize,
    /// Seed: the same seed and count give the same cases.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// What to mutate.
    #[arg(long, value_enum, default_value_t = Target::All)]
    target: Target,
    /// Wall-time limit of one run, in seconds.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
    /// Address-space limit of one run, in MiB.
    #[arg(long, default_value_t = 4096)]
    memory_mib: u64,
    /// How many distinct successful outputs (other than the unmutated one) to `cargo check`.
    #[arg(long, default_value_t = 3)]
    compile: usize,
    /// The `winsync-gen` binary; by default the workspace's, built in release first.
    #[arg(long)]
    generator: Option<PathBuf>,
    /// Copy the input and messages of every problem case into this folder.
    #[arg(long)]
    keep: Option<PathBuf>,
}

/// One case's input.
struct Case {
    target: Target,
    kind: &'static str,
    file_name: &'static str,
    bytes: Vec<u8>,
    what: String,
    filter: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match fuzz(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

/// The generator binary: given, or built.
fn generator(args: &Args, root: &Path) -> Result<PathBuf, String> {
    if let Some(path) = &args.generator {
        return Ok(path.clone());
    }
    let status = Command::new("cargo")
        .args([
            "build",
            "-q",
            "--release",
            "-p",
            "winsync-gen",
            "--bin",
            "winsync-gen",
        ])
        .current_dir(root)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err("building winsync-gen failed".into());
    }
    let binary = target_dir(root)
        .join("release")
        .join(format!("winsync-gen{}", std::env::consts::EXE_SUFFIX));
    Ok(binary)
}

/// The input case `index` mutates.
fn target_of(index: usize, target: Target) -> Target {
    match target {
        Target::All => match index % 4 {
            0 | 1 => Target::Winmd,
            2 => Target::Contracts,
            _ => Target::Supplement,
        },
        other => other,
    }
}

/// The case that is the `nth` of its `target`: the mutations take turns.
fn make_case(
    nth: usize,
    target: Target,
    map: &winsync_gen::parse::ecma335::FileLayout,
    rng: &mut Rng,
) -> Case {
    match target {
        Target::Contracts | Target::Supplement => {
            let kind = text::KINDS[nth % text::KINDS.len()];
            let (original, file_name) = if target == Target::Contracts {
                (bundled::CONTRACTS, "case-contracts.toml")
            } else {
                (bundled::SUPPLEMENT, "case-supplement.toml")
            };
            let (bytes, what) = text::mutate(original, kind, rng);
            Case {
                target,
                kind,
                file_name,
                bytes,
                what,
                filter: false,
            }
        }
        _ => {
            let kind = winmd::KINDS[nth % winmd::KINDS.len()];
            let (bytes, what) = winmd::mutate(bundled::WINMD, map, kind, rng);
            Case {
                target: Target::Winmd,
                kind,
                file_name: "case.winmd",
                bytes,
                what,
                filter: rng.one_in(4),
            }
        }
    }
}

fn case_args(case: &Case, input: &Path) -> Vec<String> {
    let input = input.display().to_string();
    let mut args = vec!["generate".to_string()];
    match case.target {
        Target::Contracts => args.extend(["--contracts".into(), input]),
        Target::Supplement => args.extend(["--supplement".into(), input]),
        _ => {
            args.extend(["--in".into(), input]);
            if case.filter {
                args.extend([
                    "--filter".into(),
                    "Windows.Win32.UI.Shell.ISyncMgrHandler".into(),
                ]);
            }
        }
    }
    args
}

fn output_hash(out: &Path) -> u64 {
    let mut hasher = DefaultHasher::new();
    for name in ["bindings.rs", "hresults.rs", "contracts.rs", "skeletons.rs"] {
        std::fs::read(out.join(name)).ok().hash(&mut hasher);
    }
    hasher.finish()
}

fn fuzz(args: &Args) -> Result<bool, String> {
    let root = workspace_root();
    let generator = generator(args, &root)?;
    let map = winsync_gen::parse::ecma335::layout(bundled::WINMD)?;
    let limits = Limits {
        time: Duration::from_secs(args.timeout),
        memory_kib: args.memory_mib * 1024,
    };
    let work = tempfile::Builder::new()
        .prefix("gen-fuzz-")
        .tempdir()
        .map_err(|e| format!("cannot create a scratch folder: {e}"))?;
    let checker = compile::Checker::new(&root, target_dir(&root).join("gen-fuzz-check"))
        .map_err(|e| format!("cannot write the check crate: {e}"))?;

    // The unmutated output: compiled by the project's own tests, so not checked again.
    let baseline_dir = work.path().join("baseline");
    std::fs::create_dir_all(&baseline_dir).map_err(|e| e.to_string())?;
    let baseline = run::run(&generator, &["generate".into()], &baseline_dir, "", limits);
    if baseline.outcome != Outcome::Success {
        return Err(format!("the unmutated run fails: {}", baseline.message));
    }
    let mut seen = BTreeSet::from([output_hash(&baseline.out)]);

    let started = Instant::now();
    let mut rng = Rng::new(args.seed);
    let mut table: BTreeMap<(String, &'static str), BTreeMap<Outcome, usize>> = BTreeMap::new();
    let mut totals: BTreeMap<Outcome, usize> = BTreeMap::new();
    let (mut compiled, mut distinct) = (0usize, 0usize);
    let mut problems = Vec::new();
    let mut nth: BTreeMap<String, usize> = BTreeMap::new();
    for index in 0..args.count {
        let target = target_of(index, args.target);
        let counter = nth.entry(format!("{target:?}")).or_default();
        let case = make_case(*counter, target, &map, &mut rng);
        *counter += 1;
        let dir = work.path().join(format!("case-{index}"));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let input = dir.join(case.file_name);
        std::fs::write(&input, &case.bytes).map_err(|e| e.to_string())?;
        let mut finished = run::run(
            &generator,
            &case_args(&case, &input),
            &dir,
            case.file_name,
            limits,
        );
        if finished.outcome == Outcome::Success && seen.insert(output_hash(&finished.out)) {
            distinct += 1;
            if compiled < args.compile {
                compiled += 1;
                if let Err(error) = checker.check(&finished.out) {
                    finished.outcome = Outcome::NotCompiling;
                    finished.message = error;
                }
            }
        }
        let target = format!("{:?}", case.target).to_lowercase();
        *table
            .entry((target, case.kind))
            .or_default()
            .entry(finished.outcome.clone())
            .or_default() += 1;
        *totals.entry(finished.outcome.clone()).or_default() += 1;
        if finished.outcome.is_problem() {
            eprintln!(
                "problem: case {index} (seed {}), {:?} {} [{}]: {:?}: {}",
                args.seed, case.target, case.kind, case.what, finished.outcome, finished.message
            );
            if let Some(keep) = &args.keep {
                let to = keep.join(format!("seed{}-case{index}", args.seed));
                let _ = std::fs::create_dir_all(&to);
                for name in [case.file_name, "stderr", "stdout"] {
                    let _ = std::fs::copy(dir.join(name), to.join(name));
                }
            }
            problems.push(index);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    report(args, &table, &totals, distinct, compiled, started.elapsed());
    Ok(problems.is_empty())
}

fn report(
    args: &Args,
    table: &BTreeMap<(String, &'static str), BTreeMap<Outcome, usize>>,
    totals: &BTreeMap<Outcome, usize>,
    distinct: usize,
    compiled: usize,
    elapsed: Duration,
) {
    let count = |outcomes: &BTreeMap<Outcome, usize>, outcome: Outcome| {
        outcomes.get(&outcome).copied().unwrap_or(0)
    };
    println!(
        "{} cases, seed {}, {:.0} s ({} ms per case)",
        args.count,
        args.seed,
        elapsed.as_secs_f64(),
        elapsed.as_millis() / args.count.max(1) as u128
    );
    println!();
    println!("| input | mutation | cases | success | clean error | problems |");
    println!("| --- | --- | --- | --- | --- | --- |");
    for ((target, kind), outcomes) in table {
        let cases: usize = outcomes.values().sum();
        let problems: usize = outcomes
            .iter()
            .filter(|(o, _)| o.is_problem())
            .map(|(_, n)| n)
            .sum();
        println!(
            "| {target} | {kind} | {cases} | {} | {} | {problems} |",
            count(outcomes, Outcome::Success),
            count(outcomes, Outcome::CleanError)
        );
    }
    println!();
    println!(
        "success {} ({distinct} distinct new outputs, {compiled} compiled with cargo check), clean error {}",
        count(totals, Outcome::Success) + count(totals, Outcome::NotCompiling),
        count(totals, Outcome::CleanError)
    );
    println!(
        "problems: crash {}, hang {}, panic {}, panic text {}, error without the file {}, not compiling {}",
        count(totals, Outcome::Crash),
        count(totals, Outcome::Hang),
        count(totals, Outcome::Panic),
        count(totals, Outcome::PanicText),
        count(totals, Outcome::ErrorWithoutFile),
        count(totals, Outcome::NotCompiling)
    );
}
