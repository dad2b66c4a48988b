//! Merge tombstones through the real vtables (`ISyncChangeBatch2`,
//! `ISyncFullEnumerationChangeBatch2`, `ISyncMergeTombstoneChange`; Sync Framework 2.0's
//! interfaces, `header:winsync.h`): the batches answer `QueryInterface` for them; a merge
//! tombstone joins the open group by the rules of an item change (no group, order, read-only,
//! pointers) and is a deleted item with a winner other than itself; only a merge tombstone's
//! change answers `ISyncMergeTombstoneChange`, with its winning item ID; a merge-tombstone
//! logged conflict needs no group; the winner survives the batch's bytes and a reading of the
//! batch through its interfaces.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::undocumented_unsafe_blocks
)]

mod batch_fixtures;

use std::sync::Arc;

use batch_fixtures::*;
use windows_core::Interface;
use winsync::bindings::{
    E_INVALIDARG, E_NOINTERFACE, E_POINTER, ISyncChangeBatch2, ISyncChangeBatchBase,
    ISyncFullEnumerationChangeBatch, ISyncFullEnumerationChangeBatch2, ISyncMergeTombstoneChange,
    S_OK,
};
use winsync::engine::batch::ChangeBatch;
use winsync::engine::{IdFormats, Knowledge};
use winsync::framework::batch;
use winsync::hresults::{
    SYNC_E_CHANGE_BATCH_IS_READ_ONLY, SYNC_E_INVALID_OPERATION, SYNC_E_RANGE_OUT_OF_ORDER,
};

/// `SYNC_CHANGE_FLAG_DELETED`.
const DELETED: u32 = 1;

fn winner_of(change: &winsync::bindings::ISyncChange) -> Option<Vec<u8>> {
    let merged: ISyncMergeTombstoneChange = change.cast().ok()?;
    Some(read_id(|p, s| unsafe { merged.GetWinnerItemId(p, s) }))
}

/// `change-batch2.query-interface`, `change-batch2.add-merge-tombstone-metadata-to-group.*`,
/// `merge-tombstone-change.*`.
#[test]
fn a_merge_tombstone_joins_the_open_group_as_a_deleted_item_with_its_winner() {
    let b = empty_batch();
    let b2: ISyncChangeBatch2 = b.cast().unwrap();
    let add = |winner: &[u8; 24], loser: &[u8; 24]| unsafe {
        b2.AddMergeTombstoneMetadataToGroup(
            A.as_ptr(),
            winner.as_ptr(),
            loser.as_ptr(),
            &v(0, 7),
            &v(0, 2),
            1,
        )
    };
    // No group open.
    assert_eq!(
        add(&item(1), &item(4)).unwrap_err().code(),
        SYNC_E_INVALID_OPERATION
    );
    unsafe {
        assert_eq!(b.BeginOrderedGroup(item(2).as_ptr()), S_OK);
        // Pointers.
        let null = std::ptr::null::<u8>();
        let no_version = std::ptr::null();
        let refused = [
            b2.AddMergeTombstoneMetadataToGroup(
                null,
                item(1).as_ptr(),
                item(4).as_ptr(),
                &v(0, 7),
                &v(0, 2),
                1,
            ),
            b2.AddMergeTombstoneMetadataToGroup(
                A.as_ptr(),
                null,
                item(4).as_ptr(),
                &v(0, 7),
                &v(0, 2),
                1,
            ),
            b2.AddMergeTombstoneMetadataToGroup(
                A.as_ptr(),
                item(1).as_ptr(),
                null,
                &v(0, 7),
                &v(0, 2),
                1,
            ),
            b2.AddMergeTombstoneMetadataToGroup(
                A.as_ptr(),
                item(1).as_ptr(),
                item(4).as_ptr(),
                no_version,
                &v(0, 2),
                1,
            ),
        ];
        for (index, result) in refused.into_iter().enumerate() {
            assert_eq!(result.unwrap_err().code(), E_POINTER, "pointer {index}");
        }
    }
    // Below the group's lower bound; merged into itself.
    assert_eq!(
        add(&item(5), &item(1)).unwrap_err().code(),
        SYNC_E_RANGE_OUT_OF_ORDER
    );
    assert_eq!(add(&item(4), &item(4)).unwrap_err().code(), E_INVALIDARG);
    let builder = add(&item(1), &item(4)).unwrap();
    // A tombstone has no change units.
    assert_eq!(
        unsafe { builder.AddChangeUnitMetadata([7u8].as_ptr(), &v(0, 7)) },
        SYNC_E_INVALID_OPERATION
    );
    // In order after it: an item change, then nothing below it.
    unsafe {
        b.AddItemMetadataToGroup(A.as_ptr(), item(6).as_ptr(), &v(0, 8), &v(0, 8), 0, 0)
            .unwrap();
    }
    assert_eq!(
        add(&item(1), &item(5)).unwrap_err().code(),
        SYNC_E_RANGE_OUT_OF_ORDER
    );
    unsafe { assert_eq!(b.EndOrderedGroup(item(9).as_ptr(), &made_with()), S_OK) };

    let base: ISyncChangeBatchBase = b.cast().unwrap();
    let changes = changes_of(&base);
    assert_eq!(changes.len(), 2);
    let mut flags = 0;
    unsafe { changes[0].GetFlags(&mut flags) }.unwrap();
    assert_eq!(flags, DELETED, "a merge tombstone is a deleted item");
    assert_eq!(
        read_id(|p, s| unsafe { changes[0].GetRootItemId(p, s) }),
        item(4)
    );
    assert_eq!(winner_of(&changes[0]), Some(item(1).to_vec()));
    // Only a merge tombstone answers for ISyncMergeTombstoneChange.
    assert_eq!(
        changes[1]
            .cast::<ISyncMergeTombstoneChange>()
            .unwrap_err()
            .code(),
        E_NOINTERFACE
    );

    // Read back from its bytes, the batch is read-only.
    let bytes = read_id(|p, s| unsafe { base.Serialize(p, s) });
    let read: ISyncChangeBatch2 = batch::deserialize(&bytes).unwrap().cast().unwrap();
    let refused = unsafe {
        read.AddMergeTombstoneMetadataToGroup(
            A.as_ptr(),
            item(1).as_ptr(),
            item(7).as_ptr(),
            &v(0, 9),
            &v(0, 2),
            0,
        )
    };
    assert_eq!(
        refused.unwrap_err().code(),
        SYNC_E_CHANGE_BATCH_IS_READ_ONLY
    );
    let read_base: ISyncChangeBatchBase = read.cast().unwrap();
    assert_eq!(
        winner_of(&changes_of(&read_base)[0]),
        Some(item(1).to_vec())
    );

    // Read through its interfaces, as a batch of another implementation is.
    let foreign = batch::foreign::read(&base, &IdFormats::GUID_GID).unwrap();
    let winners: Vec<Option<Box<[u8]>>> =
        foreign.changes().map(|(_, c)| c.winner.clone()).collect();
    assert_eq!(winners, [Some(item(1).into()), None]);
}

/// `change-batch2.add-merge-tombstone-logged-conflict.outside-groups`.
#[test]
fn a_merge_tombstone_conflict_is_logged_outside_groups() {
    let b = empty_batch();
    let b2: ISyncChangeBatch2 = b.cast().unwrap();
    unsafe {
        let builder = b2
            .AddMergeTombstoneLoggedConflict(
                A.as_ptr(),
                item(1).as_ptr(),
                item(4).as_ptr(),
                &v(0, 7),
                &v(0, 2),
                0,
                &made_with(),
            )
            .unwrap();
        assert_eq!(
            builder.AddChangeUnitMetadata([7u8].as_ptr(), &v(0, 7)),
            SYNC_E_INVALID_OPERATION
        );
        assert_eq!(
            b2.AddMergeTombstoneLoggedConflict(
                A.as_ptr(),
                item(4).as_ptr(),
                item(4).as_ptr(),
                &v(0, 7),
                &v(0, 2),
                0,
                &made_with(),
            )
            .unwrap_err()
            .code(),
            E_INVALIDARG
        );
        assert_eq!(b.BeginOrderedGroup(std::ptr::null()), S_OK);
        assert_eq!(b.EndOrderedGroup(std::ptr::null(), &made_with()), S_OK);
    }
    let base: ISyncChangeBatchBase = b.cast().unwrap();
    let bytes = read_id(|p, s| unsafe { base.Serialize(p, s) });
    let read = ChangeBatch::deserialize(&bytes).unwrap();
    let [logged] = read.logged_conflicts() else {
        panic!("one logged conflict")
    };
    assert_eq!(logged.change.winner.as_deref(), Some(&item(1)[..]));
}

/// `full-enumeration-change-batch2.query-interface`,
/// `full-enumeration-change-batch2.add-merge-tombstone-metadata-to-group.open-group`.
#[test]
fn a_full_enumeration_batch_takes_merge_tombstones_into_its_group() {
    let prerequisite = Arc::new(Knowledge::new(IdFormats::GUID_GID, &B).unwrap());
    let engine =
        ChangeBatch::new_full_enumeration(IdFormats::GUID_GID, &A, prerequisite, None, &item(2))
            .unwrap();
    let full: ISyncFullEnumerationChangeBatch = batch::to_com(engine).cast().unwrap();
    let full2: ISyncFullEnumerationChangeBatch2 = full.cast().unwrap();
    let base: ISyncChangeBatchBase = full.cast().unwrap();
    unsafe {
        assert_eq!(base.BeginOrderedGroup(item(2).as_ptr()), S_OK);
        full2
            .AddMergeTombstoneMetadataToGroup(
                A.as_ptr(),
                item(2).as_ptr(),
                item(3).as_ptr(),
                &v(0, 7),
                &v(0, 2),
                0,
            )
            .unwrap();
        assert_eq!(base.EndOrderedGroup(item(9).as_ptr(), &made_with()), S_OK);
    }
    let changes = changes_of(&base);
    assert_eq!(winner_of(&changes[0]), Some(item(2).to_vec()));
}
