//! The vtables of the change-batch objects and the change builder, every method through its
//! generated adapter and `Host`.

use super::*;

/// `ISyncChangeBatchBase_Impl`, `ISyncChangeBatchWithPrerequisite_Impl`,
/// `ISyncChangeBatchAdvanced_Impl` and `IEngineBatch_Impl` for a batch object type.
macro_rules! batch_impl {
    ($object:ident) => {
        impl ISyncChangeBatchBase_Impl for $object {
            fn GetChangeEnumerator(&self) -> Result<IEnumSyncChanges> {
                abi::guard(|| Host(&self.shared).change_enumerator())
            }
            fn GetIsLastBatch(&self, last: *mut BOOL) -> Result<()> {
                Host(&self.shared).is_last(last)
            }
            fn GetWorkEstimateForBatch(&self, work: *mut u32) -> Result<()> {
                write_u32(work, self.shared.lock().work_for_batch())
            }
            fn GetRemainingWorkEstimateForSession(&self, work: *mut u32) -> Result<()> {
                write_u32(work, self.shared.lock().remaining_work())
            }
            fn BeginOrderedGroup(&self, lower: *const u8) -> Result<()> {
                abi::guard(|| Host(&self.shared).begin_ordered(lower))
            }
            fn EndOrderedGroup(
                &self,
                upper: *const u8,
                made_with: Ref<ISyncKnowledge>,
            ) -> Result<()> {
                abi::guard(|| Host(&self.shared).end_ordered(upper, made_with))
            }
            fn AddItemMetadataToGroup(
                &self,
                owner: *const u8,
                item: *const u8,
                change_version: *const SYNC_VERSION,
                creation_version: *const SYNC_VERSION,
                flags: u32,
                work: u32,
            ) -> Result<ISyncChangeBuilder> {
                abi::guard(|| {
                    Host(&self.shared).add_item(
                        owner,
                        item,
                        change_version,
                        creation_version,
                        flags,
                        work,
                    )
                })
            }
            fn GetLearnedKnowledge(&self) -> Result<ISyncKnowledge> {
                abi::guard(|| Host(&self.shared).learned())
            }
            fn GetPrerequisiteKnowledge(&self) -> Result<ISyncKnowledge> {
                abi::guard(|| Host(&self.shared).prerequisite())
            }
            fn GetSourceForgottenKnowledge(&self) -> Result<IForgottenKnowledge> {
                abi::guard(|| Host(&self.shared).source_forgotten())
            }
            fn SetLastBatch(&self) -> Result<()> {
                self.shared.lock().set_last_batch();
                Ok(())
            }
            fn SetWorkEstimateForBatch(&self, work: u32) -> Result<()> {
                self.shared.lock().set_work_for_batch(work);
                Ok(())
            }
            fn SetRemainingWorkEstimateForSession(&self, work: u32) -> Result<()> {
                self.shared.lock().set_remaining_work(work);
                Ok(())
            }
            fn Serialize(&self, buffer: *mut u8, size: *mut u32) -> Result<()> {
                abi::guard(|| Host(&self.shared).serialize(None, 0, buffer, size))
            }
        }

        impl ISyncChangeBatchBase2_Impl for $object {
            fn SerializeWithOptions(
                &self,
                version: SYNC_SERIALIZATION_VERSION,
                flags: u32,
                buffer: *mut u8,
                size: *mut u32,
            ) -> Result<()> {
                abi::guard(|| Host(&self.shared).serialize(Some(version), flags, buffer, size))
            }
        }

        impl ISyncChangeBatchWithPrerequisite_Impl for $object {
            fn SetPrerequisiteKnowledge(&self, prerequisite: Ref<ISyncKnowledge>) -> Result<()> {
                abi::guard(|| {
                    let mut batch = self.shared.lock();
                    let prerequisite = knowledge_arg(&batch, prerequisite)?;
                    engine(batch.set_prerequisite(Arc::new(prerequisite)))
                })
            }
            fn GetLearnedKnowledgeWithPrerequisite(
                &self,
                destination: Ref<ISyncKnowledge>,
            ) -> Result<ISyncKnowledge> {
                abi::guard(|| {
                    let batch = self.shared.lock();
                    let destination = knowledge_arg(&batch, destination)?;
                    Ok(knowledge::to_com(engine(
                        batch.learned_knowledge_with_prerequisite(&destination),
                    )?))
                })
            }
            fn GetLearnedForgottenKnowledge(&self) -> Result<IForgottenKnowledge> {
                abi::guard(|| {
                    let batch = self.shared.lock();
                    let forgotten = match engine(batch.learned_forgotten_knowledge())? {
                        Some(forgotten) => forgotten,
                        None => ForgottenKnowledge::new(&engine(Knowledge::new(
                            *batch.formats(),
                            batch.owner(),
                        ))?),
                    };
                    Ok(forgotten_to_com(forgotten))
                })
            }
        }

        impl ISyncChangeBatchAdvanced_Impl for $object {
            fn GetFilterInfo(&self) -> Result<ISyncFilterInfo> {
                // No filter: S_FALSE with NULL (`NF:winsync.ISyncChangeBatchAdvanced.GetFilterInfo`);
                // a success code carried by the error path leaves the out-pointer NULL.
                Err(Error::from_hresult(S_FALSE))
            }
            fn ConvertFullEnumerationChangeBatchToRegularChangeBatch(
                &self,
            ) -> Result<ISyncChangeBatch> {
                abi::guard(|| {
                    let batch = self.shared.lock();
                    if !batch.is_full_enumeration() {
                        return Err(Error::new(
                            SYNC_E_INVALID_OPERATION,
                            "not a full-enumeration batch",
                        ));
                    }
                    let regular = engine(regular_copy(&batch))?;
                    Ok(BatchObject {
                        shared: Shared::new(regular),
                    }
                    .into())
                })
            }
            fn GetUpperBoundItemId(&self, buffer: *mut u8, size: *mut u32) -> Result<()> {
                abi::guard(|| Host(&self.shared).upper_bound(buffer, size))
            }
            fn GetBatchLevelKnowledgeShouldBeApplied(&self, apply: *mut BOOL) -> Result<()> {
                not_null(apply)?;
                let batch = self.shared.lock();
                if batch.groups().is_empty() && !batch.has_open_group() {
                    return Err(Error::new(
                        SYNC_E_BATCH_NEEDS_KNOWLEDGE,
                        "the batch has neither changes nor knowledge",
                    ));
                }
                // SAFETY: checked not null.
                unsafe { apply.write(BOOL::from(true)) };
                Ok(())
            }
        }

        impl IEngineBatch_Impl for $object {
            unsafe fn Batch(&self, layout: u32, out: *mut *const core::ffi::c_void) -> HRESULT {
                batch_impl(&self.shared, layout, out)
            }
        }
    };
}

batch_impl!(BatchObject_Impl);
batch_impl!(FullBatchObject_Impl);

/// A full-enumeration batch's content as a regular batch: its group, as an ordered group.
fn regular_copy(batch: &ChangeBatch) -> winsync_engine::Result<ChangeBatch> {
    let mut regular = ChangeBatch::new(
        *batch.formats(),
        batch.owner(),
        batch.prerequisite().clone(),
        batch.source_forgotten().cloned(),
    )?;
    for group in batch.groups() {
        if let GroupKind::Ordered { lower, upper } = &group.kind {
            regular.begin_ordered_group(Some(lower))?;
            for change in &group.changes {
                regular.add_change(change.clone())?;
            }
            regular.end_ordered_group(upper.as_deref(), &group.made_with)?;
        }
    }
    if batch.is_last_batch() {
        regular.set_last_batch();
    }
    Ok(regular)
}

impl ISyncChangeBatch_Impl for BatchObject_Impl {
    fn BeginUnorderedGroup(&self) -> Result<()> {
        engine(self.shared.lock().begin_unordered_group())
    }

    fn EndUnorderedGroup(&self, made_with: Ref<ISyncKnowledge>, all: BOOL) -> Result<()> {
        abi::guard(|| {
            let mut batch = self.shared.lock();
            let made_with = knowledge_arg(&batch, made_with)?;
            engine(batch.end_unordered_group(&made_with, all.as_bool()))
        })
    }

    fn AddLoggedConflict(
        &self,
        owner: *const u8,
        item: *const u8,
        change_version: *const SYNC_VERSION,
        creation_version: *const SYNC_VERSION,
        flags: u32,
        work: u32,
        conflict_knowledge: Ref<ISyncKnowledge>,
    ) -> Result<ISyncChangeBuilder> {
        abi::guard(|| {
            let mut batch = self.shared.lock();
            let change = Host::item_change(
                &batch,
                owner,
                item,
                change_version,
                creation_version,
                flags,
                work,
            )?;
            let knowledge = knowledge_arg(&batch, conflict_knowledge)?;
            engine(batch.add_logged_conflict(change, &knowledge))?;
            Ok(BuilderObject {
                shared: self.shared.clone(),
                position: None,
            }
            .into())
        })
    }
}

impl ISyncChangeBatch2_Impl for BatchObject_Impl {
    fn AddMergeTombstoneMetadataToGroup(
        &self,
        owner: *const u8,
        winner: *const u8,
        item: *const u8,
        change_version: *const SYNC_VERSION,
        creation_version: *const SYNC_VERSION,
        work: u32,
    ) -> Result<ISyncChangeBuilder> {
        abi::guard(|| {
            Host(&self.shared).add_merge_tombstone(
                owner,
                winner,
                item,
                change_version,
                creation_version,
                work,
            )
        })
    }

    fn AddMergeTombstoneLoggedConflict(
        &self,
        owner: *const u8,
        winner: *const u8,
        item: *const u8,
        change_version: *const SYNC_VERSION,
        creation_version: *const SYNC_VERSION,
        work: u32,
        conflict_knowledge: Ref<ISyncKnowledge>,
    ) -> Result<ISyncChangeBuilder> {
        abi::guard(|| {
            let mut batch = self.shared.lock();
            let change = Host::merge_tombstone(
                &batch,
                owner,
                winner,
                item,
                change_version,
                creation_version,
                work,
            )?;
            let knowledge = knowledge_arg(&batch, conflict_knowledge)?;
            engine(batch.add_logged_conflict(change, &knowledge))?;
            Ok(BuilderObject {
                shared: self.shared.clone(),
                position: None,
            }
            .into())
        })
    }
}

impl ISyncFullEnumerationChangeBatch2_Impl for FullBatchObject_Impl {
    fn AddMergeTombstoneMetadataToGroup(
        &self,
        owner: *const u8,
        winner: *const u8,
        item: *const u8,
        change_version: *const SYNC_VERSION,
        creation_version: *const SYNC_VERSION,
        work: u32,
    ) -> Result<ISyncChangeBuilder> {
        abi::guard(|| {
            Host(&self.shared).add_merge_tombstone(
                owner,
                winner,
                item,
                change_version,
                creation_version,
                work,
            )
        })
    }
}

impl ISyncFullEnumerationChangeBatch_Impl for FullBatchObject_Impl {
    fn GetLearnedKnowledgeAfterRecoveryComplete(&self) -> Result<ISyncKnowledge> {
        abi::guard(|| {
            Ok(knowledge::to_com(engine(
                self.shared.lock().learned_knowledge_after_recovery(),
            )?))
        })
    }

    fn GetClosedLowerBoundItemId(&self, buffer: *mut u8, size: *mut u32) -> Result<()> {
        abi::guard(|| {
            // SAFETY: the COM caller's contract: null or writable.
            let size = unsafe { size.as_mut() }.ok_or_else(abi::null_pointer)?;
            let batch = self.shared.lock();
            let lower = engine(batch.closed_lower_bound())?.to_vec();
            // SAFETY: the pcb pattern.
            unsafe { write_id(buffer, size, &batch.formats().item, &lower) }
        })
    }

    fn GetClosedUpperBoundItemId(&self, buffer: *mut u8, size: *mut u32) -> Result<()> {
        abi::guard(|| {
            // SAFETY: as above.
            let size = unsafe { size.as_mut() }.ok_or_else(abi::null_pointer)?;
            let batch = self.shared.lock();
            let format = batch.formats().item;
            // No bound: the largest ID of the format.
            let upper =
                engine(batch.closed_upper_bound())?.map_or_else(|| format.max_id(), Into::into);
            // SAFETY: the pcb pattern.
            unsafe { write_id(buffer, size, &format, &upper) }
        })
    }
}

impl ISyncChangeBuilder_Impl for BuilderObject_Impl {
    fn AddChangeUnitMetadata(
        &self,
        unit: *const u8,
        unit_version: *const SYNC_VERSION,
    ) -> Result<()> {
        abi::guard(|| {
            let mut batch = self.shared.lock();
            let Some(position) = self.position else {
                return Err(Error::new(
                    SYNC_E_INVALID_OPERATION,
                    "change units of logged conflicts are not kept by this runtime",
                ));
            };
            if batch.open_changes().map(<[ItemChange]>::len) != Some(position + 1) {
                return Err(Error::new(
                    SYNC_E_INVALID_OPERATION,
                    "the builder's change is no longer the last one of the open group",
                ));
            }
            // SAFETY: the COM caller's contract: a change-unit ID.
            let unit = unsafe { read_id(unit, &batch.formats().change_unit, "change unit ID") }?;
            let version = version(unit_version)?;
            engine(batch.add_change_unit(UnitChange {
                unit: unit.into(),
                version,
            }))
        })
    }
}
