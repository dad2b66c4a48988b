//! `Host`: the safe-trait view of one change batch for one call, and its
//! `ISyncChangeBatchBase`, `ISyncChangeBatchBase2`, `ISyncChangeBatchAdvanced` and
//! `ISyncChangeBatchWithPrerequisite` methods.

use super::*;

/// The methods both batch objects share, over their `shared` field.
pub(super) struct Host<'a>(pub(super) &'a Arc<Shared>);

impl Host<'_> {
    pub(super) fn change_enumerator(&self) -> Result<IEnumSyncChanges> {
        Ok(changes(change_data(&self.0.lock())))
    }

    pub(super) fn is_last(&self, out: *mut BOOL) -> Result<()> {
        not_null(out)?;
        // SAFETY: checked not null.
        unsafe { out.write(self.0.lock().is_last_batch().into()) };
        Ok(())
    }

    pub(super) fn begin_ordered(&self, lower: *const u8) -> Result<()> {
        let mut batch = self.0.lock();
        let lower = if lower.is_null() {
            None
        } else {
            // SAFETY: the COM caller's contract: an item ID.
            Some(unsafe { read_id(lower, &batch.formats().item, "item ID") }?)
        };
        engine(batch.begin_ordered_group(lower))
    }

    pub(super) fn end_ordered(
        &self,
        upper: *const u8,
        made_with: Ref<ISyncKnowledge>,
    ) -> Result<()> {
        let mut batch = self.0.lock();
        let made_with = knowledge_arg(&batch, made_with)?;
        let upper = if upper.is_null() {
            None
        } else {
            // SAFETY: as above.
            Some(unsafe { read_id(upper, &batch.formats().item, "item ID") }?)
        };
        engine(batch.end_ordered_group(upper, &made_with))
    }

    /// Reads an item change of `AddItemMetadataToGroup` / `AddLoggedConflict`.
    pub(super) fn item_change(
        batch: &ChangeBatch,
        owner: *const u8,
        item: *const u8,
        change_version: *const SYNC_VERSION,
        creation_version: *const SYNC_VERSION,
        flags: u32,
        work: u32,
    ) -> Result<ItemChange> {
        // SAFETY: the COM caller's contract: IDs of the batch's formats.
        let owner = unsafe { read_id(owner, &batch.formats().replica, "replica ID") }?;
        if owner != batch.owner() {
            return Err(Error::new(
                E_INVALIDARG,
                "pbOwnerReplicaId is not the batch's owner: the versions must be in its key space",
            ));
        }
        // SAFETY: as above.
        let item = unsafe { read_id(item, &batch.formats().item, "item ID") }?;
        let mut change = ItemChange::new(
            item,
            version(change_version)?,
            version(creation_version)?,
            ChangeFlags(flags),
        );
        change.work = work;
        Ok(change)
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn add_item(
        &self,
        owner: *const u8,
        item: *const u8,
        change_version: *const SYNC_VERSION,
        creation_version: *const SYNC_VERSION,
        flags: u32,
        work: u32,
    ) -> Result<ISyncChangeBuilder> {
        self.add(|batch| {
            Self::item_change(
                batch,
                owner,
                item,
                change_version,
                creation_version,
                flags,
                work,
            )
        })
    }

    /// Adds the change `make` reads from the caller's arguments to the open group; its
    /// builder adds change units to it.
    fn add(
        &self,
        make: impl FnOnce(&ChangeBatch) -> Result<ItemChange>,
    ) -> Result<ISyncChangeBuilder> {
        let mut batch = self.0.lock();
        let change = make(&batch)?;
        engine(batch.add_change(change))?;
        let position = batch.open_changes().map(|c| c.len() - 1);
        Ok(BuilderObject {
            shared: self.0.clone(),
            position,
        }
        .into())
    }

    /// A merge tombstone: `item` deleted, merged into `winner` (both of the batch's item
    /// format), with the versions of [`Self::item_change`].
    #[allow(clippy::too_many_arguments)]
    pub(super) fn merge_tombstone(
        batch: &ChangeBatch,
        owner: *const u8,
        winner: *const u8,
        item: *const u8,
        change_version: *const SYNC_VERSION,
        creation_version: *const SYNC_VERSION,
        work: u32,
    ) -> Result<ItemChange> {
        let mut change = Self::item_change(
            batch,
            owner,
            item,
            change_version,
            creation_version,
            ChangeFlags::DELETED.0,
            work,
        )?;
        // SAFETY: the COM caller's contract: an ID of the item format.
        let winner = unsafe { read_id(winner, &batch.formats().item, "winning item ID") }?;
        change.winner = Some(winner.into());
        Ok(change)
    }

    /// `AddMergeTombstoneMetadataToGroup` (`ISyncChangeBatch2` and
    /// `ISyncFullEnumerationChangeBatch2`): the merge tombstone joins the open group, as an
    /// item change does (`change-batch2.add-merge-tombstone-metadata-to-group.*`).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn add_merge_tombstone(
        &self,
        owner: *const u8,
        winner: *const u8,
        item: *const u8,
        change_version: *const SYNC_VERSION,
        creation_version: *const SYNC_VERSION,
        work: u32,
    ) -> Result<ISyncChangeBuilder> {
        self.add(|batch| {
            Self::merge_tombstone(
                batch,
                owner,
                winner,
                item,
                change_version,
                creation_version,
                work,
            )
        })
    }

    pub(super) fn learned(&self) -> Result<ISyncKnowledge> {
        Ok(knowledge::to_com(engine(
            self.0.lock().learned_knowledge(),
        )?))
    }

    pub(super) fn prerequisite(&self) -> Result<ISyncKnowledge> {
        Ok(knowledge::to_com((**self.0.lock().prerequisite()).clone()))
    }

    pub(super) fn source_forgotten(&self) -> Result<IForgottenKnowledge> {
        let batch = self.0.lock();
        let forgotten = match batch.source_forgotten() {
            Some(forgotten) => (**forgotten).clone(),
            // Nothing forgotten: empty forgotten knowledge of the source.
            None => {
                ForgottenKnowledge::new(&engine(Knowledge::new(*batch.formats(), batch.owner()))?)
            }
        };
        Ok(forgotten_to_com(forgotten))
    }

    /// `Serialize` (`version` `None`) and `SerializeWithOptions`.
    pub(super) fn serialize(
        &self,
        version: Option<SYNC_SERIALIZATION_VERSION>,
        flags: u32,
        buffer: *mut u8,
        size: *mut u32,
    ) -> Result<()> {
        // SAFETY: the COM caller's contract: null or writable.
        let size = unsafe { size.as_mut() }.ok_or_else(abi::null_pointer)?;
        if flags != 0 {
            return Err(Error::new(
                E_INVALIDARG,
                "dwFlags is reserved and must be 0",
            ));
        }
        let batch = self.0.lock();
        if let Some(version) = version {
            let version = u32::try_from(version).unwrap_or(u32::MAX);
            let known = [
                winsync_engine::SERIALIZATION_V1,
                winsync_engine::SERIALIZATION_V2,
                winsync_engine::SERIALIZATION_V3,
            ];
            // The lowest version every knowledge of the batch can be expressed in.
            let needed = batch
                .groups()
                .iter()
                .map(|g| g.made_with.minimum_version())
                .chain(std::iter::once(batch.prerequisite().minimum_version()))
                .max()
                .unwrap_or(winsync_engine::SERIALIZATION_V1);
            if !known.contains(&version) || version < needed {
                return Err(Error::new(
                    SYNC_E_INVALID_VERSION,
                    format!("the batch cannot be written for SYNC_SERIALIZATION_VERSION {version}"),
                ));
            }
        }
        let bytes = engine(batch.serialize())?;
        // SAFETY: the pcb pattern, the COM caller's contract.
        unsafe { write_bytes(buffer, size, &bytes) }
    }

    pub(super) fn upper_bound(&self, buffer: *mut u8, size: *mut u32) -> Result<()> {
        // SAFETY: the COM caller's contract: null or writable.
        let size = unsafe { size.as_mut() }.ok_or_else(abi::null_pointer)?;
        let batch = self.0.lock();
        let format = batch.formats().item;
        let mut highest: Option<Box<[u8]>> = None;
        for group in batch.groups() {
            let bound = match &group.kind {
                GroupKind::Ordered { upper, .. } => {
                    upper.clone().unwrap_or_else(|| format.max_id())
                }
                GroupKind::Unordered {
                    all_changes_for_knowledge: true,
                } => format.max_id(),
                GroupKind::Unordered { .. } => {
                    match group.changes.iter().map(|c| c.item.to_boxed()).max() {
                        Some(item) => item,
                        None => continue,
                    }
                }
            };
            if highest.as_ref().is_none_or(|h| bound > *h) {
                highest = Some(bound);
            }
        }
        let highest = highest
            .ok_or_else(|| Error::new(SYNC_E_INVALID_OPERATION, "no group covers any item"))?;
        // SAFETY: the pcb pattern.
        unsafe { write_id(buffer, size, &format, &highest) }
    }
}
