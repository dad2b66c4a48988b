//! The generator's error type: every failure says what went wrong and where.

use std::fmt;
use std::path::PathBuf;

/// A problem found in an input file, located as `file:line:col`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file the problem is in, as given to the generator.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// Everything that can make generation fail.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// An input is not a readable `.winmd` file (truncated, corrupt, or another format).
    #[error("{origin}: not a readable .winmd file: {reason}")]
    Winmd {
        /// The file name, or `<bundled>` for the bundled metadata.
        origin: String,
        /// What the metadata reader reported.
        reason: String,
    },
    /// The metadata reads but is malformed in a way windows-bindgen would not survive or
    /// would turn into Rust that does not compile: a type cycle (a type nested in itself, an
    /// interface that is its own base, a struct holding itself by value), a chain too deep to
    /// walk, a packing size that is not a power of two, an import without a library name.
    #[error("{origin}: the metadata is malformed: {reason}")]
    MalformedMetadata {
        /// The file the offending row is in.
        origin: String,
        /// The type or function, what is wrong and the ECMA-335 table and row.
        reason: String,
    },
    /// The metadata read defines none of the APIs the generator is for.
    #[error(
        "{origins}: the metadata has no Windows Sync (namespace {}) or Sync Center \
         (ISyncMgr* in {}) APIs; add --bundled (Builder::with_bundled) to read the bundled \
         metadata as well",
        crate::extract::WINDOWS_SYNC_NAMESPACE,
        crate::extract::SHELL_NAMESPACE
    )]
    MissingApis {
        /// The metadata files read, comma-separated.
        origins: String,
    },
    /// A filter names nothing the metadata defines.
    #[error("{}", unknown_filter_message(.name, .suggestions))]
    UnknownFilter {
        /// The filter as given (without a leading `!`).
        name: String,
        /// The closest names the metadata does define, best first.
        suggestions: Vec<String>,
    },
    /// The selection is empty or otherwise unusable.
    #[error("invalid selection: {0}")]
    Selection(String),
    /// `contracts.toml` or `supplement.toml` is malformed or disagrees with the metadata.
    #[error("{}", join_diagnostics(.0))]
    Data(Vec<Diagnostic>),
    /// Contract data or supplement that names what the user's metadata lacks: either file may
    /// be at fault (a damaged or different `.winmd`, or a mistake in the data), so the first
    /// line names the metadata and each following line the place in the data.
    #[error(
        "{origins}: the contract data does not match this metadata (a name it gives is missing or different):\n{}",
        join_diagnostics(.diagnostics)
    )]
    Mismatch {
        /// The user's metadata files, comma-separated.
        origins: String,
        /// Where the data names what the metadata lacks.
        diagnostics: Vec<Diagnostic>,
    },
    /// windows-bindgen stopped on this input (it reports by panicking; the panic is contained).
    #[error("windows-bindgen failed: {0}")]
    Bindgen(String),
    /// windows-bindgen 0.100 always hands its output to a `rustfmt` it finds on `PATH` (the
    /// generator asks it to leave the text alone and formats in-process), and none ran.
    #[error(
        "windows-bindgen needs a `rustfmt` on PATH and none ran (install it: `rustup component add rustfmt`)"
    )]
    NoRustfmt,
    /// The bindings lack an item the skeletons need.
    #[error("the generated bindings lack {0}")]
    MissingBinding(String),
    /// A rendered file is not valid Rust: a bug of the generator's templates.
    #[error("{file}: generated code does not parse: {message}")]
    Render {
        /// The output file name.
        file: String,
        /// The parser's message and location.
        message: String,
    },
    /// A panic inside the metadata reader or the generator, contained and reported.
    #[error("internal error while {stage}: {message}")]
    Internal {
        /// What the generator was doing.
        stage: &'static str,
        /// The panic's message.
        message: String,
    },
}

/// The generator's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

fn unknown_filter_message(name: &str, suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        format!("unknown filter name `{name}`: the metadata defines no such namespace or item")
    } else {
        format!(
            "unknown filter name `{name}`; closest names in the metadata: {}",
            suggestions.join(", ")
        )
    }
}

fn join_diagnostics(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}
