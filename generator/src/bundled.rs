//! The metadata and contract data bundled in the generator binary (from `metadata/`).

/// The subset `.winmd` (winsync, the Sync Center part of the Shell, and their type closure),
/// extracted from Win32 metadata 63.0.31 by `winsync-gen extract-metadata`.
pub const WINMD: &[u8] = include_bytes!("../metadata/Windows.Win32.Sync.winmd");
/// The bundled `.winmd`'s file name, as shown in messages.
pub const WINMD_NAME: &str = "metadata/Windows.Win32.Sync.winmd";
/// The session contracts.
pub const CONTRACTS: &str = include_str!("../metadata/contracts.toml");
/// The contracts' file name, as shown in `file:line:col` diagnostics.
pub const CONTRACTS_NAME: &str = "metadata/contracts.toml";
/// What the upstream metadata lacks: SYNC_E_* HRESULTs and meaningful S_FALSE returns.
pub const SUPPLEMENT: &str = include_str!("../metadata/supplement.toml");
/// The supplement's file name, as shown in diagnostics.
pub const SUPPLEMENT_NAME: &str = "metadata/supplement.toml";
/// Microsoft's documentation of the APIs, converted to rustdoc Markdown by `winsync-gen
/// extract-docs` (CC BY 4.0; see `metadata/DOCS.md`).
pub const DOCS: &str = include_str!("../metadata/docs.json");
/// The dataset's file name, as shown in diagnostics.
pub const DOCS_NAME: &str = "metadata/docs.json";
