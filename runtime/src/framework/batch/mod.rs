//! Change batches as COM: the engine's [`ChangeBatch`]
//! behind `ISyncChangeBatch` / `ISyncFullEnumerationChangeBatch` and their family
//! (`ISyncChangeBatchBase`, `ISyncChangeBatchWithPrerequisite`, `ISyncChangeBatchAdvanced`),
//! with the changes they hand out (`ISyncChange`, `ISyncChangeUnit`, their enumerators) and the
//! builders (`ISyncChangeBuilder`).
//!
//! Under Windows Sync a source provider supplies its batches itself
//! (`NF:winsync.IKnowledgeSyncProvider.GetChangeBatch`); this module is that supply, and
//! [`from_com`] is how a destination reads any batch: this runtime's without copying through
//! interfaces, anyone else's through its interfaces ([`foreign`]). Reading a batch to apply it
//! makes it read-only, as the pages say of a batch handed to a change applier
//! (`NF:winsync.ISyncChangeBatchBase.AddItemMetadataToGroup`).

pub mod change;
pub mod foreign;
pub mod object;
pub mod prerequisite;

use std::sync::Arc;

use windows_core::Result;
use winsync_engine::IdFormats;
use winsync_engine::batch::ChangeBatch;

use crate::bindings::ISyncChangeBatchBase;

pub use object::{BatchObject, FullBatchObject, to_com};

/// A batch read back from the bytes `ISyncChangeBatchBase::Serialize` wrote, as a COM object
/// (read-only, as the pages say of a deserialized batch).
///
/// # Errors
/// `SYNC_E_DESERIALIZATION` with the byte offset for malformed bytes
/// ([`ChangeBatch::deserialize`]).
pub fn deserialize(bytes: &[u8]) -> Result<ISyncChangeBatchBase> {
    Ok(to_com(crate::framework::knowledge::wire::engine(
        ChangeBatch::deserialize(bytes),
    )?))
}

/// The engine batch behind any `ISyncChangeBatchBase`, frozen: this runtime's batches give
/// theirs (and become read-only); any other is read through its interfaces in `formats`.
///
/// # Errors
/// What reading a foreign batch fails with ([`foreign::read`]).
pub fn from_com(batch: &ISyncChangeBatchBase, formats: &IdFormats) -> Result<Arc<ChangeBatch>> {
    if let Some(shared) = object::shared_of(batch) {
        return Ok(shared.frozen());
    }
    foreign::read(batch, formats).map(Arc::new)
}
