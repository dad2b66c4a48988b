//! The expected output of every golden case (`tests/golden/<case>/expected/`), compiled: a
//! golden file that no longer builds fails here, not only in the byte comparison of
//! `tests/golden.rs`. Each case's `mod.rs` declares its siblings (`bindings`, `hresults`,
//! `contracts`, and `skeletons` when generated).

/// Case `sync-center-callback`: `ISyncMgrSyncCallback`, `ISyncMgrSessionCreator` and the
/// `SYNCMGR_*` enums they take, with the bundled contract data.
#[path = "../golden/sync-center-callback/expected/mod.rs"]
pub mod sync_center_callback;

/// Case `provider-custom-contracts`: `ISyncProvider`, `IKnowledgeSyncProvider` and
/// `SYNC_PROVIDER_ROLE`, with the case's own `contracts.toml` and `supplement.toml`.
#[path = "../golden/provider-custom-contracts/expected/mod.rs"]
pub mod provider_custom_contracts;

/// Case `no-skeletons`: two structs and no contract interface, so no `skeletons` module.
#[path = "../golden/no-skeletons/expected/mod.rs"]
pub mod no_skeletons;
