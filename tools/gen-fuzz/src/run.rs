//! One run of `winsync-gen generate` in a child process with a time and memory limit, and what
//! its result is.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What a run ended in.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// Exit 0 with output.
    Success,
    /// Exit 1 with a message naming the damaged file and no panic text.
    CleanError,
    /// An error message that does not name the damaged file.
    ErrorWithoutFile,
    /// An error message with a dependency's panic text in it.
    PanicText,
    /// A panic reached the user (exit 101 or a "panicked" message).
    Panic,
    /// Killed by a signal or aborted (stack overflow, out of memory).
    Crash,
    /// Still running at the time limit.
    Hang,
    /// Exit 0 with output that `cargo check` refuses.
    NotCompiling,
}

impl Outcome {
    /// Whether the outcome breaks the generator's promise.
    pub fn is_problem(&self) -> bool {
        !matches!(self, Self::Success | Self::CleanError)
    }
}

/// A finished run.
pub struct Finished {
    /// The outcome, before any compile check.
    pub outcome: Outcome,
    /// The first line of stderr (the error), or the exit status.
    pub message: String,
    /// The output folder.
    pub out: PathBuf,
}

/// The limits of a run.
#[derive(Clone, Copy)]
pub struct Limits {
    /// Wall time.
    pub time: Duration,
    /// Address space, in KiB (`ulimit -v`).
    pub memory_kib: u64,
}

/// Text that means a dependency's panic or a path into the cargo registry leaked into a
/// message.
const PANIC_TEXT: &[&str] = &[
    "panicked",
    ".rs:",
    "registry",
    "index out of bounds",
    "called `Option::unwrap()`",
    "called `Result::unwrap()`",
    "RUST_BACKTRACE",
];

/// Runs `generator` with `args` in `dir` (its stdout and stderr go to files there); `damaged`
/// is the file name every error must mention.
pub fn run(
    generator: &Path,
    args: &[String],
    dir: &Path,
    damaged: &str,
    limits: Limits,
) -> Finished {
    let out = dir.join("out");
    let stdout = std::fs::File::create(dir.join("stdout"));
    let stderr = std::fs::File::create(dir.join("stderr"));
    let (Ok(stdout), Ok(stderr)) = (stdout, stderr) else {
        return Finished {
            outcome: Outcome::Crash,
            message: format!("cannot create files in {}", dir.display()),
            out,
        };
    };
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!(
            "ulimit -v {}; exec \"$0\" \"$@\"",
            limits.memory_kib
        ))
        .arg(generator)
        .args(args)
        .arg("--out")
        .arg(&out)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr);
    let started = Instant::now();
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => {
            return Finished {
                outcome: Outcome::Crash,
                message: format!("cannot start {}: {e}", generator.display()),
                out,
            };
        }
    };
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() > limits.time => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(_) => break None,
        }
    };
    let stderr = std::fs::read_to_string(dir.join("stderr")).unwrap_or_default();
    let first = stderr.lines().next().unwrap_or_default().to_string();
    let Some(status) = status else {
        return Finished {
            outcome: Outcome::Hang,
            message: format!("still running after {:?}", limits.time),
            out,
        };
    };
    let outcome = match status.code() {
        Some(0) => Outcome::Success,
        None | Some(134) => Outcome::Crash,
        _ if stderr.contains("memory allocation of") => Outcome::Crash,
        Some(101) => Outcome::Panic,
        _ if stderr.contains("panicked") => Outcome::Panic,
        _ if PANIC_TEXT.iter().any(|t| stderr.contains(t)) => Outcome::PanicText,
        _ if !first.contains(damaged) => Outcome::ErrorWithoutFile,
        _ => Outcome::CleanError,
    };
    Finished {
        outcome,
        message: if first.is_empty() {
            format!("{status}")
        } else {
            first
        },
        out,
    }
}
