//! Golden tests of the generator's emitters.
//!
//! Every folder under `tests/golden/` is a case: its `case.toml` gives the filters and,
//! optionally, a `contracts.toml` and a `supplement.toml` of the folder; `expected/` holds
//! exactly the files `winsync_gen::generate` returns for it. The test compares them byte
//! for byte. With `BLESS=1` it rewrites `expected/` instead:
//!
//! ```text
//! BLESS=1 cargo test -p winsync-tests --test golden
//! ```
//!
//! `src/golden.rs` compiles every case's expected output; a new case needs a line there too.
// Runs the generator, which needs rustfmt and cargo: a host-only test.
#![cfg(not(windows))]

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use winsync_gen::{Generated, Options, generate};

/// A case folder's `case.toml`.
#[derive(Debug, Default)]
struct Case {
    filters: Vec<String>,
    contracts: Option<String>,
    supplement: Option<String>,
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("golden")
}

/// The case folders, sorted by name.
fn case_dirs() -> Vec<PathBuf> {
    let dir = golden_dir();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("a readable directory entry").path())
        .filter(|path| path.is_dir())
        .collect();
    cases.sort();
    cases
}

fn case_name(dir: &Path) -> String {
    dir.file_name()
        .expect("a case folder has a name")
        .to_string_lossy()
        .into_owned()
}

fn bless() -> bool {
    std::env::var_os("BLESS").is_some_and(|v| v == "1")
}

#[test]
fn golden_cases_match_the_generator() {
    let cases = case_dirs();
    assert!(
        !cases.is_empty(),
        "no case folders under {}",
        golden_dir().display()
    );
    let mut failures = Vec::new();
    for dir in &cases {
        let name = case_name(dir);
        match run_case(dir) {
            Ok(generated) if bless() => {
                if let Err(e) = write_expected(dir, &generated) {
                    failures.push(format!("case `{name}`: {e}"));
                }
            }
            Ok(generated) => failures.extend(
                compare(dir, &generated)
                    .into_iter()
                    .map(|f| format!("case `{name}`: {f}")),
            ),
            Err(e) => failures.push(format!("case `{name}`: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden failure(s) (run with BLESS=1 to accept the generator's output):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn every_case_is_compiled_by_src_golden_rs() {
    let module = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/golden.rs");
    let text = std::fs::read_to_string(&module)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", module.display()));
    let missing: Vec<String> = case_dirs()
        .iter()
        .map(|dir| case_name(dir))
        .filter(|name| !text.contains(&format!("#[path = \"../golden/{name}/expected/mod.rs\"]")))
        .collect();
    assert!(
        missing.is_empty(),
        "src/golden.rs does not declare a module for case(s) {missing:?}: add \
         `#[path = \"../golden/<case>/expected/mod.rs\"] pub mod <case_snake>;`"
    );
}

/// Reads the case and runs the generator on it.
fn run_case(dir: &Path) -> Result<Generated, String> {
    let toml = dir.join("case.toml");
    let text = std::fs::read_to_string(&toml).map_err(|e| format!("cannot read case.toml: {e}"))?;
    let case = parse_case(&text).map_err(|e| format!("case.toml: {e}"))?;
    let options = Options {
        filters: case.filters,
        contracts: case.contracts.map(|file| dir.join(file)),
        supplement: case.supplement.map(|file| dir.join(file)),
        ..Options::default()
    };
    generate(&options).map_err(|e| format!("generation failed: {e}"))
}

/// Compares `expected/` with the generated files; one message per difference.
fn compare(dir: &Path, generated: &Generated) -> Vec<String> {
    let expected_dir = dir.join("expected");
    let mut failures = Vec::new();
    for file in &generated.files {
        let path = expected_dir.join(file.name);
        match std::fs::read(&path) {
            Err(_) => failures.push(format!(
                "`{}` is generated but missing from expected/",
                file.name
            )),
            Ok(bytes) if bytes == file.contents.as_bytes() => {}
            Ok(bytes) => failures.push(format!(
                "`{}` differs from expected/{}: {}",
                file.name,
                file.name,
                first_difference(&String::from_utf8_lossy(&bytes), &file.contents)
            )),
        }
    }
    let generated_names: BTreeSet<&str> = generated.files.iter().map(|f| f.name).collect();
    for name in expected_files(&expected_dir) {
        if !generated_names.contains(name.as_str()) {
            failures.push(format!("expected/{name} exists but is not generated"));
        }
    }
    failures
}

/// The names of the files in `expected/` (none when it does not exist).
fn expected_files(expected_dir: &Path) -> BTreeSet<String> {
    let Ok(entries) = std::fs::read_dir(expected_dir) else {
        return BTreeSet::new();
    };
    entries
        .map(|entry| entry.expect("a readable directory entry"))
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect()
}

/// Where `actual` first departs from `expected`: the line number and both lines.
fn first_difference(expected: &str, actual: &str) -> String {
    let mut expected_lines = expected.split_inclusive('\n');
    let mut actual_lines = actual.split_inclusive('\n');
    let mut number = 1;
    loop {
        match (expected_lines.next(), actual_lines.next()) {
            (Some(e), Some(a)) if e == a => number += 1,
            (e, a) => {
                let mut message = format!("first difference at line {number}\n");
                let show = |line: Option<&str>| match line {
                    Some(line) => format!("{line:?}"),
                    None => "<end of file>".to_string(),
                };
                let _ = writeln!(message, "  expected: {}", show(e));
                let _ = write!(message, "  actual:   {}", show(a));
                return message;
            }
        }
    }
}

/// Rewrites `expected/` with exactly the generated files.
fn write_expected(dir: &Path, generated: &Generated) -> Result<(), String> {
    let expected_dir = dir.join("expected");
    std::fs::create_dir_all(&expected_dir)
        .map_err(|e| format!("cannot create {}: {e}", expected_dir.display()))?;
    let generated_names: BTreeSet<&str> = generated.files.iter().map(|f| f.name).collect();
    for name in expected_files(&expected_dir) {
        if !generated_names.contains(name.as_str()) {
            let path = expected_dir.join(&name);
            std::fs::remove_file(&path)
                .map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
        }
    }
    for file in &generated.files {
        let path = expected_dir.join(file.name);
        std::fs::write(&path, &file.contents)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

/// Parses the subset of TOML a `case.toml` uses: `#` comments, `key = "string"` and
/// `key = ["string", ...]` (over several lines, trailing comma allowed), with the keys
/// `filters`, `contracts` and `supplement`.
fn parse_case(text: &str) -> Result<Case, String> {
    let mut case = Case::default();
    let mut seen = BTreeSet::new();
    let mut lines = text.lines().enumerate();
    while let Some((index, line)) = lines.next() {
        let line_no = index + 1;
        let line = strip_comment(line).trim();
        if line.is_empty() {
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| format!("line {line_no}: expected `key = value`"))?;
        let key = key.trim();
        if !seen.insert(key.to_string()) {
            return Err(format!("line {line_no}: `{key}` is given twice"));
        }
        let mut value = value.trim().to_string();
        match key {
            "filters" => {
                // Collect the array up to its closing bracket.
                while !strip_comment(&value).trim_end().ends_with(']') {
                    let (_, next) = lines
                        .next()
                        .ok_or_else(|| format!("line {line_no}: unterminated `filters` array"))?;
                    value.push(' ');
                    value.push_str(strip_comment(next).trim());
                }
                case.filters =
                    parse_string_array(&value).map_err(|e| format!("line {line_no}: {e}"))?;
            }
            "contracts" | "supplement" => {
                let (string, rest) =
                    parse_string(&value).map_err(|e| format!("line {line_no}: {e}"))?;
                if !rest.trim().is_empty() {
                    return Err(format!("line {line_no}: unexpected `{}`", rest.trim()));
                }
                if key == "contracts" {
                    case.contracts = Some(string);
                } else {
                    case.supplement = Some(string);
                }
            }
            other => {
                return Err(format!(
                    "line {line_no}: unknown key `{other}` (expected filters, contracts or supplement)"
                ));
            }
        }
    }
    if case.filters.is_empty() {
        return Err("`filters` is missing or empty".to_string());
    }
    Ok(case)
}

/// `line` up to a `#` that is not inside a string.
fn strip_comment(line: &str) -> &str {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '#' if !in_string => return &line[..i],
            _ => {}
        }
    }
    line
}

/// A basic TOML string at the start of `text`, and what follows it.
fn parse_string(text: &str) -> Result<(String, &str), String> {
    let rest = text
        .strip_prefix('"')
        .ok_or_else(|| format!("expected a string, found `{text}`"))?;
    let mut value = String::new();
    let mut chars = rest.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((value, &rest[i + 1..])),
            '\\' => match chars.next() {
                Some((_, '"')) => value.push('"'),
                Some((_, '\\')) => value.push('\\'),
                other => return Err(format!("unsupported escape `\\{:?}`", other.map(|o| o.1))),
            },
            c => value.push(c),
        }
    }
    Err(format!("unterminated string `{text}`"))
}

/// A TOML array of basic strings.
fn parse_string_array(text: &str) -> Result<Vec<String>, String> {
    let mut rest = text
        .trim()
        .strip_prefix('[')
        .ok_or_else(|| format!("expected an array, found `{text}`"))?
        .trim_start();
    let mut values = Vec::new();
    loop {
        if let Some(after) = rest.strip_prefix(']') {
            if !after.trim().is_empty() {
                return Err(format!("unexpected `{}` after the array", after.trim()));
            }
            return Ok(values);
        }
        let (value, after) = parse_string(rest)?;
        values.push(value);
        rest = after.trim_start();
        if let Some(after) = rest.strip_prefix(',') {
            rest = after.trim_start();
        } else if !rest.starts_with(']') {
            return Err(format!("expected `,` or `]`, found `{rest}`"));
        }
    }
}

#[test]
fn case_toml_subset_parses() {
    let case = parse_case(
        "# comment\nfilters = [\n  \"A.B\", # first\n  \"!C\",\n]\ncontracts = \"c.toml\"\n",
    )
    .expect("a valid case.toml");
    assert_eq!(case.filters, ["A.B", "!C"]);
    assert_eq!(case.contracts.as_deref(), Some("c.toml"));
    assert_eq!(case.supplement, None);
    assert!(parse_case("filters = []\n").is_err());
    assert!(parse_case("filter = [\"A\"]\n").is_err());
    assert!(parse_case("filters = [\"A\"\n").is_err());
}
