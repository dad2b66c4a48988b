//! Reading a change batch another implementation made, through its interfaces: the changes
//! (`NF:winsync.ISyncChangeBatchBase.GetChangeEnumerator`, one `ISyncChange` at a time), each
//! with its made-with knowledge, and what the batch reports as a whole (learned and
//! prerequisite knowledge, the source's forgotten knowledge, the last-batch flag; a
//! full-enumeration batch's bounds and knowledge after recovery). Groups are not visible
//! through the interfaces: the batch becomes one group per change
//! ([`winsync_engine::batch::ChangeBatch::from_read`]), with the learned knowledge as reported.
//!
//! A change described by change units has no item version of its own here
//! (`SYNC_E_ITEM_HAS_CHANGE_UNITS`); its change version is taken as the latest of its units'.
//! A foreign object is untrusted: at most [`MAX_CHANGES`] changes are read, every ID is checked
//! against its format, every knowledge object is read as [`crate::framework::knowledge`] reads
//! foreign knowledge.

use std::sync::Arc;

use windows_core::{BOOL, Error, Interface, Result};
use winsync_engine::batch::{
    ChangeBatch, ChangeFlags, ItemChange, ReadBatch, ReadFullEnumeration, UnitChange,
};
use winsync_engine::{ForgottenKnowledge, IdFormats, Knowledge, Version};

use crate::bindings::{
    E_INVALIDARG, IEnumSyncChangeUnits, IEnumSyncChanges, ISyncChange, ISyncChangeBatchBase,
    ISyncChangeUnit, ISyncFullEnumerationChangeBatch, ISyncKnowledge, ISyncMergeTombstoneChange,
    S_FALSE, SYNC_VERSION,
};
use crate::framework::knowledge::from_com;
use crate::framework::knowledge::wire::{engine, read_pcb_id};
use crate::hresults::SYNC_E_ITEM_HAS_CHANGE_UNITS;

/// The most changes (and change units) read from one foreign batch.
pub const MAX_CHANGES: usize = 1 << 22;

fn knowledge(object: &ISyncKnowledge, formats: &IdFormats) -> Result<Arc<Knowledge>> {
    from_com(object, Some(formats))
}

/// The engine batch a foreign `batch` presents (see the module docs); frozen.
///
/// # Errors
/// The object's own failures; `E_INVALIDARG` for data that is not a batch (more than
/// [`MAX_CHANGES`] changes, changes of different owners, a NULL change with S_OK); what the
/// engine refuses of the changes (IDs not of `formats`, out of order in a full enumeration).
pub fn read(batch: &ISyncChangeBatchBase, formats: &IdFormats) -> Result<ChangeBatch> {
    // SAFETY: live interfaces throughout.
    let learned = knowledge(&unsafe { batch.GetLearnedKnowledge() }?, formats)?;
    let prerequisite = knowledge(&unsafe { batch.GetPrerequisiteKnowledge() }?, formats)?;
    let forgotten = {
        let object: ISyncKnowledge = unsafe { batch.GetSourceForgottenKnowledge() }?.cast()?;
        let forgotten = ForgottenKnowledge::from_knowledge((*knowledge(&object, formats)?).clone());
        (!forgotten.is_empty()).then(|| Arc::new(forgotten))
    };
    let mut last = BOOL::default();
    unsafe { batch.GetIsLastBatch(&mut last) }.ok()?;
    let list = unsafe { batch.GetChangeEnumerator() }?;
    let mut changes = Vec::new();
    let mut owner: Option<Box<[u8]>> = None;
    for change in drain(&list)? {
        let change_owner = read_pcb_id(&formats.replica, "replica ID", |b, s| unsafe {
            change.GetOwnerReplicaId(b, s)
        })?;
        if owner.as_ref().is_some_and(|o| *o != change_owner) {
            return Err(Error::new(
                E_INVALIDARG,
                "the batch's changes have different owners",
            ));
        }
        let read = read_change(&change, &change_owner, formats)?;
        let made_with = knowledge(&unsafe { change.GetMadeWithKnowledge() }?, formats)?;
        changes.push((read, made_with));
        owner = Some(change_owner);
    }
    let owner = owner.unwrap_or_else(|| learned.owner().into());
    let full_enumeration = match batch.cast::<ISyncFullEnumerationChangeBatch>() {
        Ok(full) => {
            let lower = read_pcb_id(&formats.item, "item ID", |b, s| unsafe {
                full.GetClosedLowerBoundItemId(b, s)
            })?;
            let upper = read_pcb_id(&formats.item, "item ID", |b, s| unsafe {
                full.GetClosedUpperBoundItemId(b, s)
            })?;
            // The largest ID stands for "no bound".
            let upper = (upper != formats.item.max_id()).then_some(upper);
            let after = knowledge(
                &unsafe { full.GetLearnedKnowledgeAfterRecoveryComplete() }?,
                formats,
            )?;
            Some(ReadFullEnumeration {
                lower,
                upper,
                after_recovery: after,
            })
        }
        Err(_) => None,
    };
    let mut read = engine(ChangeBatch::from_read(
        *formats,
        ReadBatch {
            owner,
            changes,
            learned,
            prerequisite,
            source_forgotten: forgotten,
            last: last.as_bool(),
            full_enumeration,
        },
    ))?;
    // The work estimates travel with the batch (a batch handed on keeps them); one the
    // object does not give counts as none, as a destination reads it.
    let estimate = |get: &dyn Fn(&mut u32) -> windows_core::HRESULT| {
        let mut value = 0;
        if get(&mut value).is_ok() { value } else { 0 }
    };
    // SAFETY: a live interface; `value` is writable.
    read.set_work_for_batch(estimate(&|value| unsafe {
        batch.GetWorkEstimateForBatch(value)
    }));
    read.set_remaining_work(estimate(&|value| unsafe {
        batch.GetRemainingWorkEstimateForSession(value)
    }));
    Ok(read)
}

/// Every change of the enumerator, one `Next(1)` at a time (the page's only count).
fn drain(list: &IEnumSyncChanges) -> Result<Vec<ISyncChange>> {
    let mut out = Vec::new();
    loop {
        if out.len() >= MAX_CHANGES {
            return Err(Error::new(
                E_INVALIDARG,
                format!("the batch enumerates more than {MAX_CHANGES} changes"),
            ));
        }
        let mut one: [Option<ISyncChange>; 1] = [None];
        let mut fetched = 0u32;
        // SAFETY: a live interface; one slot.
        let hr = unsafe { list.Next(1, one.as_mut_ptr(), &mut fetched) };
        hr.ok()?;
        if hr == S_FALSE || fetched == 0 {
            return Ok(out);
        }
        let [change] = one;
        out.push(
            change.ok_or_else(|| {
                Error::new(E_INVALIDARG, "the enumerator handed out NULL with S_OK")
            })?,
        );
    }
}

fn version_of(call: impl Fn(*mut SYNC_VERSION) -> windows_core::HRESULT) -> Result<Version> {
    let mut v = SYNC_VERSION::default();
    call(&mut v).ok()?;
    Ok(Version::new(v.dwLastUpdatingReplicaKey, v.ullTickCount))
}

fn read_change(change: &ISyncChange, owner: &[u8], formats: &IdFormats) -> Result<ItemChange> {
    let item = read_pcb_id(&formats.item, "item ID", |b, s| unsafe {
        change.GetRootItemId(b, s)
    })?;
    let mut flags = 0u32;
    // SAFETY: live interfaces, valid out values, throughout.
    unsafe { change.GetFlags(&mut flags) }.ok()?;
    let mut work = 0u32;
    unsafe { change.GetWorkEstimate(&mut work) }.ok()?;
    let creation = version_of(|v| unsafe { change.GetCreationVersion(owner.as_ptr(), v) })?;
    let mut units = Vec::new();
    let change_version = {
        let mut v = SYNC_VERSION::default();
        let hr = unsafe { change.GetChangeVersion(owner.as_ptr(), &mut v) };
        if hr == SYNC_E_ITEM_HAS_CHANGE_UNITS {
            units = read_units(&unsafe { change.GetChangeUnits() }?, owner, formats)?;
            units
                .iter()
                .map(|u: &UnitChange| u.version)
                .max_by_key(|v| v.tick)
                .unwrap_or(creation)
        } else {
            hr.ok()?;
            Version::new(v.dwLastUpdatingReplicaKey, v.ullTickCount)
        }
    };
    let mut read = ItemChange::new(&item, change_version, creation, ChangeFlags(flags));
    read.work = work;
    read.units = units;
    // A merge tombstone answers QueryInterface for ISyncMergeTombstoneChange
    // (`merge-tombstone-change.query-interface`, `header:winsync.h`).
    if let Ok(merged) = change.cast::<ISyncMergeTombstoneChange>() {
        let winner = read_pcb_id(&formats.item, "winning item ID", |b, s| unsafe {
            merged.GetWinnerItemId(b, s)
        })?;
        read.winner = Some(winner);
    }
    Ok(read)
}

fn read_units(
    list: &IEnumSyncChangeUnits,
    owner: &[u8],
    formats: &IdFormats,
) -> Result<Vec<UnitChange>> {
    let mut out = Vec::new();
    loop {
        if out.len() >= MAX_CHANGES {
            return Err(Error::new(E_INVALIDARG, "too many change units"));
        }
        let mut one: [Option<ISyncChangeUnit>; 1] = [None];
        let mut fetched = 0u32;
        // SAFETY: a live interface; one slot.
        let hr = unsafe { list.Next(1, one.as_mut_ptr(), &mut fetched) };
        hr.ok()?;
        if hr == S_FALSE || fetched == 0 {
            return Ok(out);
        }
        let [unit] = one;
        let unit = unit
            .ok_or_else(|| Error::new(E_INVALIDARG, "the enumerator handed out NULL with S_OK"))?;
        let id = read_pcb_id(&formats.change_unit, "change unit ID", |b, s| unsafe {
            unit.GetChangeUnitId(b, s)
        })?;
        let version = version_of(|v| unsafe { unit.GetChangeUnitVersion(owner.as_ptr(), v) })?;
        out.push(UnitChange { unit: id, version });
    }
}
