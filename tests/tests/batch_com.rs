//! The runtime's change-batch objects through their real vtables: building a batch by the
//! pages' rules (groups, order, builders, read-only), what it hands out (changes, change units,
//! enumerators, knowledge), the advanced and prerequisite views, full-enumeration batches, and
//! the conflict and load-context objects. A guard at the end checks that every method with a
//! rule the batch objects enforce is called here.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::undocumented_unsafe_blocks
)]

use std::sync::Arc;

use windows_core::{BOOL, IUnknown, Interface};
use winsync::bindings::{
    E_INVALIDARG, E_NOTIMPL, E_POINTER, IChangeConflict, ILoadChangeContext, ISyncChange,
    ISyncChangeBatch, ISyncChangeBatchAdvanced, ISyncChangeBatchBase,
    ISyncChangeBatchWithPrerequisite, ISyncChangeUnit, ISyncFullEnumerationChangeBatch,
    ISyncKnowledge, S_FALSE, S_OK, SRA_MERGE, SYNC_RESOLVE_ACTION, SYNC_VERSION,
};
use winsync::engine::batch::{ChangeBatch, ChangeFlags, ItemChange};
use winsync::engine::{IdFormats, Knowledge, Version};
use winsync::framework::batch::{self, change::ChangeData, change::change};
use winsync::framework::knowledge;
use winsync::framework::replica::conflict::ConflictObject;
use winsync::framework::replica::data::{IItemData, bytes_of, item_data, load_context};
use winsync::hresults::{
    SYNC_E_BATCH_NEEDS_KNOWLEDGE, SYNC_E_CHANGE_BATCH_IS_READ_ONLY, SYNC_E_CHANGE_NEEDS_KNOWLEDGE,
    SYNC_E_ID_FORMAT_MISMATCH, SYNC_E_INTERNAL_ERROR, SYNC_E_INVALID_OPERATION,
    SYNC_E_ITEM_HAS_CHANGE_UNITS, SYNC_E_ITEM_HAS_NO_CHANGE_UNITS,
    SYNC_E_ON_CREATE_MUST_FAIL_ENTIRE_ITEM, SYNC_E_RANGE_OUT_OF_ORDER,
};

mod batch_fixtures;

use batch_fixtures::*;

#[test]
fn ordered_groups_follow_the_pages_rules() {
    let b = empty_batch();
    unsafe {
        // No group open.
        assert_eq!(
            b.AddItemMetadataToGroup(A.as_ptr(), item(1).as_ptr(), &v(0, 1), &v(0, 1), 0, 0)
                .unwrap_err()
                .code(),
            SYNC_E_INVALID_OPERATION
        );
        assert_eq!(b.BeginOrderedGroup(item(2).as_ptr()), S_OK);
        assert_eq!(
            b.BeginOrderedGroup(std::ptr::null()),
            SYNC_E_INVALID_OPERATION
        );
        assert_eq!(b.BeginUnorderedGroup(), SYNC_E_INVALID_OPERATION);
        // Below the lower bound, then out of order.
        assert_eq!(
            b.AddItemMetadataToGroup(A.as_ptr(), item(1).as_ptr(), &v(0, 1), &v(0, 1), 0, 0)
                .unwrap_err()
                .code(),
            SYNC_E_RANGE_OUT_OF_ORDER
        );
        b.AddItemMetadataToGroup(A.as_ptr(), item(5).as_ptr(), &v(0, 1), &v(0, 1), 0, 0)
            .unwrap();
        assert_eq!(
            b.AddItemMetadataToGroup(A.as_ptr(), item(4).as_ptr(), &v(0, 2), &v(0, 2), 0, 0)
                .unwrap_err()
                .code(),
            SYNC_E_RANGE_OUT_OF_ORDER
        );
        // Bad flags, another owner's key space, NULL arguments.
        assert_eq!(
            b.AddItemMetadataToGroup(A.as_ptr(), item(6).as_ptr(), &v(0, 2), &v(0, 2), 0x80, 0)
                .unwrap_err()
                .code(),
            E_INVALIDARG
        );
        assert_eq!(
            b.AddItemMetadataToGroup(B.as_ptr(), item(6).as_ptr(), &v(0, 2), &v(0, 2), 0, 0)
                .unwrap_err()
                .code(),
            E_INVALIDARG
        );
        assert_eq!(
            b.AddItemMetadataToGroup(A.as_ptr(), std::ptr::null(), &v(0, 2), &v(0, 2), 0, 0)
                .unwrap_err()
                .code(),
            E_POINTER
        );
        assert_eq!(
            b.GetLearnedKnowledge().unwrap_err().code(),
            SYNC_E_INVALID_OPERATION
        );
        assert_eq!(
            b.EndUnorderedGroup(&made_with(), true),
            SYNC_E_INVALID_OPERATION
        );
        assert_eq!(
            b.EndOrderedGroup(item(4).as_ptr(), &made_with()),
            SYNC_E_RANGE_OUT_OF_ORDER
        );
        assert_eq!(b.EndOrderedGroup(std::ptr::null(), &made_with()), S_OK);
        assert_eq!(
            b.EndOrderedGroup(std::ptr::null(), &made_with()),
            SYNC_E_INVALID_OPERATION
        );
        // Learned: the range [2, infinity) of the made-with knowledge.
        let learned = knowledge::from_com(&b.GetLearnedKnowledge().unwrap(), None).unwrap();
        assert!(
            learned
                .contains_change(&item(200), Version::new(0, 10))
                .unwrap()
        );
        assert!(
            !learned
                .contains_change(&item(1), Version::new(0, 1))
                .unwrap()
        );
    }
}

#[test]
fn builders_add_change_units_to_their_own_change() {
    let b = empty_batch();
    unsafe {
        assert_eq!(b.BeginUnorderedGroup(), S_OK);
        let first = b
            .AddItemMetadataToGroup(A.as_ptr(), item(9).as_ptr(), &v(0, 2), &v(0, 1), 0, 0)
            .unwrap();
        assert_eq!(first.AddChangeUnitMetadata([1u8].as_ptr(), &v(0, 2)), S_OK);
        assert_eq!(
            first.AddChangeUnitMetadata(std::ptr::null(), &v(0, 2)),
            E_POINTER
        );
        let deleted = b
            .AddItemMetadataToGroup(
                A.as_ptr(),
                item(2).as_ptr(),
                &v(0, 3),
                &v(0, 1),
                ChangeFlags::DELETED.0,
                0,
            )
            .unwrap();
        // The first change is no longer the last one; a deleted item has no change units.
        assert_eq!(
            first.AddChangeUnitMetadata([2u8].as_ptr(), &v(0, 2)),
            SYNC_E_INVALID_OPERATION
        );
        assert_eq!(
            deleted.AddChangeUnitMetadata([2u8].as_ptr(), &v(0, 3)),
            SYNC_E_INVALID_OPERATION
        );
        assert_eq!(b.EndUnorderedGroup(&made_with(), false), S_OK);
        let conflict = b
            .AddLoggedConflict(
                A.as_ptr(),
                item(4).as_ptr(),
                &v(0, 4),
                &v(0, 1),
                0,
                0,
                &made_with(),
            )
            .unwrap();
        assert_eq!(
            conflict.AddChangeUnitMetadata([1u8].as_ptr(), &v(0, 4)),
            SYNC_E_INVALID_OPERATION
        );
        let changes = changes_of(&b.cast().unwrap());
        assert_eq!(changes.len(), 2, "logged conflicts are outside the groups");
        let units = changes[0].GetChangeUnits().unwrap();
        let mut one: [Option<ISyncChangeUnit>; 1] = [None];
        let mut fetched = 0;
        assert_eq!(units.Next(1, one.as_mut_ptr(), &mut fetched), S_OK);
        let unit = one[0].take().unwrap();
        assert_eq!(read_id(|p, s| unit.GetChangeUnitId(p, s)), [1]);
        let mut version = SYNC_VERSION::default();
        assert_eq!(unit.GetChangeUnitVersion(A.as_ptr(), &mut version), S_OK);
        assert_eq!(version.ullTickCount, 2);
        assert_eq!(
            unit.GetChangeUnitVersion(B.as_ptr(), &mut version),
            E_INVALIDARG
        );
        let parent = unit.GetItemChange().unwrap();
        assert_eq!(read_id(|p, s| parent.GetRootItemId(p, s)), item(9));
        assert_eq!(units.Next(1, one.as_mut_ptr(), &mut fetched), S_FALSE);
        assert_eq!(units.Next(2, one.as_mut_ptr(), &mut fetched), E_INVALIDARG);
        assert_eq!(units.Reset(), S_OK);
        assert_eq!(units.Skip(1), E_NOTIMPL);
        assert_eq!(units.Clone().unwrap_err().code(), E_NOTIMPL);
    }
}

#[test]
fn an_empty_group_ends_a_batch_and_a_batch_read_to_apply_is_read_only() {
    let b = empty_batch();
    unsafe {
        assert_eq!(b.BeginOrderedGroup(std::ptr::null()), S_OK);
        assert_eq!(b.EndOrderedGroup(std::ptr::null(), &made_with()), S_OK);
        assert_eq!(
            b.BeginOrderedGroup(std::ptr::null()),
            SYNC_E_INVALID_OPERATION
        );
        assert_eq!(
            b.AddItemMetadataToGroup(A.as_ptr(), item(1).as_ptr(), &v(0, 1), &v(0, 1), 0, 0)
                .unwrap_err()
                .code(),
            SYNC_E_INVALID_OPERATION
        );
    }
    let open = empty_batch();
    let base: ISyncChangeBatchBase = open.cast().unwrap();
    let _read = batch::from_com(&base, &IdFormats::GUID_GID).unwrap();
    unsafe {
        assert_eq!(
            open.BeginOrderedGroup(std::ptr::null()),
            SYNC_E_CHANGE_BATCH_IS_READ_ONLY
        );
        assert_eq!(open.BeginUnorderedGroup(), SYNC_E_CHANGE_BATCH_IS_READ_ONLY);
        assert_eq!(
            open.AddLoggedConflict(
                A.as_ptr(),
                item(4).as_ptr(),
                &v(0, 4),
                &v(0, 1),
                0,
                0,
                &made_with()
            )
            .unwrap_err()
            .code(),
            SYNC_E_CHANGE_BATCH_IS_READ_ONLY
        );
    }
}

#[test]
fn changes_answer_for_their_owner() {
    let b = built();
    let changes = changes_of(&b.cast().unwrap());
    assert_eq!(changes.len(), 2);
    let (with_units, plain) = (&changes[0], &changes[1]);
    unsafe {
        assert_eq!(read_id(|p, s| plain.GetOwnerReplicaId(p, s)), A);
        assert_eq!(read_id(|p, s| plain.GetRootItemId(p, s)), item(3));
        let mut version = SYNC_VERSION::default();
        assert_eq!(plain.GetChangeVersion(A.as_ptr(), &mut version), S_OK);
        assert_eq!(
            (version.dwLastUpdatingReplicaKey, version.ullTickCount),
            (0, 6)
        );
        assert_eq!(
            plain.GetChangeVersion(B.as_ptr(), &mut version),
            E_INVALIDARG
        );
        assert_eq!(
            plain.GetChangeVersion(A.as_ptr(), std::ptr::null_mut()),
            E_POINTER
        );
        assert_eq!(
            with_units.GetChangeVersion(A.as_ptr(), &mut version),
            SYNC_E_ITEM_HAS_CHANGE_UNITS
        );
        assert_eq!(
            with_units.GetCreationVersion(A.as_ptr(), &mut version),
            S_OK
        );
        assert_eq!(version.ullTickCount, 1);
        assert_eq!(
            plain.GetChangeUnits().unwrap_err().code(),
            SYNC_E_ITEM_HAS_NO_CHANGE_UNITS
        );
        let mut flags = 9;
        assert_eq!(plain.GetFlags(&mut flags), S_OK);
        assert_eq!(flags, 0);
        let mut work = 9;
        assert_eq!(with_units.GetWorkEstimate(&mut work), S_OK);
        assert_eq!(work, 3);
        assert_eq!(with_units.SetWorkEstimate(11), S_OK);
        assert_eq!(with_units.GetWorkEstimate(&mut work), S_OK);
        assert_eq!(work, 11);
        let made = knowledge::from_com(&plain.GetMadeWithKnowledge().unwrap(), None).unwrap();
        assert_eq!(*made, source_knowledge());
        let learned = knowledge::from_com(&plain.GetLearnedKnowledge().unwrap(), None).unwrap();
        assert_eq!(
            *learned,
            source_knowledge().project_onto_item(&item(3)).unwrap()
        );
    }
    // A change of a group still open has no knowledge.
    let open = change(Arc::new(ChangeData {
        formats: IdFormats::GUID_GID,
        owner: A.into(),
        change: ItemChange::new(
            &item(1),
            Version::new(0, 1),
            Version::new(0, 1),
            ChangeFlags::NONE,
        ),
        made_with: None,
        from_source: true,
        batch: None,
    }));
    unsafe {
        assert_eq!(
            open.GetMadeWithKnowledge().unwrap_err().code(),
            SYNC_E_CHANGE_NEEDS_KNOWLEDGE
        );
        assert_eq!(
            open.GetLearnedKnowledge().unwrap_err().code(),
            SYNC_E_CHANGE_NEEDS_KNOWLEDGE
        );
    }
}

#[test]
fn the_change_enumerator_hands_out_one_change_at_a_time() {
    let b = built();
    let list = unsafe { b.GetChangeEnumerator() }.unwrap();
    unsafe {
        let mut two: [Option<ISyncChange>; 2] = [None, None];
        let mut fetched = 0;
        assert_eq!(list.Next(2, two.as_mut_ptr(), &mut fetched), E_INVALIDARG);
        assert!(two.iter().all(Option::is_none));
        let mut one: [Option<ISyncChange>; 1] = [None];
        // One asked for: pcFetched may be NULL.
        assert_eq!(list.Next(1, one.as_mut_ptr(), std::ptr::null_mut()), S_OK);
        assert_eq!(list.Skip(1), E_NOTIMPL);
        assert_eq!(list.Clone().unwrap_err().code(), E_NOTIMPL);
        assert_eq!(list.Reset(), S_OK);
        assert_eq!(list.Next(1, one.as_mut_ptr(), &mut fetched), S_OK);
        assert_eq!(
            read_id(|p, s| one[0].as_ref().unwrap().GetRootItemId(p, s)),
            item(1)
        );
    }
}

#[test]
fn batch_level_queries_and_the_prerequisite_view() {
    let b = built();
    unsafe {
        let mut last = BOOL::from(true);
        assert_eq!(b.GetIsLastBatch(&mut last), S_OK);
        assert!(!last.as_bool());
        assert_eq!(b.SetLastBatch(), S_OK);
        assert_eq!(b.GetIsLastBatch(&mut last), S_OK);
        assert!(last.as_bool());
        assert_eq!(b.GetIsLastBatch(std::ptr::null_mut()), E_POINTER);
        let mut work = 9;
        assert_eq!(b.GetWorkEstimateForBatch(&mut work), S_OK);
        assert_eq!(work, 0, "0 unless set");
        assert_eq!(b.SetWorkEstimateForBatch(40), S_OK);
        assert_eq!(b.GetWorkEstimateForBatch(&mut work), S_OK);
        assert_eq!(work, 40);
        assert_eq!(b.SetRemainingWorkEstimateForSession(400), S_OK);
        assert_eq!(b.GetRemainingWorkEstimateForSession(&mut work), S_OK);
        assert_eq!(work, 400);
        let prerequisite =
            knowledge::from_com(&b.GetPrerequisiteKnowledge().unwrap(), None).unwrap();
        assert_eq!(prerequisite.owner(), B);
        let forgotten: ISyncKnowledge = b.GetSourceForgottenKnowledge().unwrap().cast().unwrap();
        assert!(
            knowledge::from_com(&forgotten, None)
                .unwrap()
                .scope_vector()
                .is_empty()
        );

        let with: ISyncChangeBatchWithPrerequisite = b.cast().unwrap();
        let destination = knowledge::to_com(Knowledge::new(IdFormats::GUID_GID, &B).unwrap());
        assert_eq!(with.SetPrerequisiteKnowledge(&made_with()), S_OK);
        // The destination does not meet the new prerequisite: nothing is learned.
        let learned = knowledge::from_com(
            &with
                .GetLearnedKnowledgeWithPrerequisite(&destination)
                .unwrap(),
            None,
        )
        .unwrap();
        assert!(
            !learned
                .contains_change(&item(3), Version::new(0, 1))
                .unwrap()
        );
        assert_eq!(
            with.SetPrerequisiteKnowledge(None::<&ISyncKnowledge>),
            E_POINTER
        );
        assert_eq!(
            with.GetLearnedForgottenKnowledge().unwrap_err().code(),
            SYNC_E_INVALID_OPERATION
        );

        let advanced: ISyncChangeBatchAdvanced = b.cast().unwrap();
        // No filter: S_FALSE and NULL.
        let mut filter = std::ptr::dangling_mut::<core::ffi::c_void>();
        assert_eq!(
            (advanced.vtable().GetFilterInfo)(advanced.as_raw(), &mut filter),
            S_FALSE
        );
        assert!(filter.is_null());
        assert_eq!(
            advanced
                .ConvertFullEnumerationChangeBatchToRegularChangeBatch()
                .unwrap_err()
                .code(),
            SYNC_E_INVALID_OPERATION
        );
        assert_eq!(read_id(|p, s| advanced.GetUpperBoundItemId(p, s)), item(9));
        let mut apply = BOOL::default();
        assert_eq!(
            advanced.GetBatchLevelKnowledgeShouldBeApplied(&mut apply),
            S_OK
        );
        assert!(apply.as_bool());
        let empty: ISyncChangeBatchAdvanced = empty_batch().cast().unwrap();
        assert_eq!(
            empty.GetBatchLevelKnowledgeShouldBeApplied(&mut apply),
            SYNC_E_BATCH_NEEDS_KNOWLEDGE
        );
    }
}

#[test]
fn full_enumeration_batches_have_one_group_and_closed_bounds() {
    let prerequisite = Arc::new(Knowledge::new(IdFormats::GUID_GID, &B).unwrap());
    let engine =
        ChangeBatch::new_full_enumeration(IdFormats::GUID_GID, &A, prerequisite, None, &item(2))
            .unwrap();
    let full: ISyncFullEnumerationChangeBatch = batch::to_com(engine).cast().unwrap();
    let base: ISyncChangeBatchBase = full.cast().unwrap();
    unsafe {
        let mut size = 24;
        let mut id = [0u8; 24];
        assert_eq!(
            full.GetClosedLowerBoundItemId(id.as_mut_ptr(), &mut size),
            SYNC_E_INVALID_OPERATION
        );
        assert_eq!(
            full.GetClosedUpperBoundItemId(id.as_mut_ptr(), &mut size),
            SYNC_E_INVALID_OPERATION
        );
        assert_eq!(
            full.GetLearnedKnowledgeAfterRecoveryComplete()
                .unwrap_err()
                .code(),
            SYNC_E_INVALID_OPERATION
        );
        assert_eq!(
            base.BeginOrderedGroup(item(3).as_ptr()),
            SYNC_E_RANGE_OUT_OF_ORDER
        );
        assert_eq!(base.BeginOrderedGroup(item(2).as_ptr()), S_OK);
        base.AddItemMetadataToGroup(A.as_ptr(), item(2).as_ptr(), &v(0, 1), &v(0, 1), 0, 0)
            .unwrap();
        assert_eq!(base.EndOrderedGroup(item(8).as_ptr(), &made_with()), S_OK);
        assert_eq!(
            base.BeginOrderedGroup(item(9).as_ptr()),
            SYNC_E_CHANGE_BATCH_IS_READ_ONLY
        );
        assert_eq!(
            read_id(|p, s| full.GetClosedLowerBoundItemId(p, s)),
            item(2)
        );
        assert_eq!(
            read_id(|p, s| full.GetClosedUpperBoundItemId(p, s)),
            item(8)
        );
        let after = knowledge::from_com(
            &full.GetLearnedKnowledgeAfterRecoveryComplete().unwrap(),
            None,
        )
        .unwrap();
        assert_eq!(*after, source_knowledge());
        let with: ISyncChangeBatchWithPrerequisite = full.cast().unwrap();
        let forgotten: ISyncKnowledge =
            with.GetLearnedForgottenKnowledge().unwrap().cast().unwrap();
        assert!(
            knowledge::from_com(&forgotten, None)
                .unwrap()
                .scope_vector()
                .is_empty()
        );
        let advanced: ISyncChangeBatchAdvanced = full.cast().unwrap();
        let regular = advanced
            .ConvertFullEnumerationChangeBatchToRegularChangeBatch()
            .unwrap();
        assert_eq!(changes_of(&regular.cast().unwrap()).len(), 1);
    }
}

#[test]
fn conflicts_carry_both_sides_and_the_action() {
    let b = built();
    let changes = changes_of(&b.cast().unwrap());
    let object = ConflictObject::new(
        changes[1].clone(),
        changes[0].clone(),
        Box::new(|| item_data(b"source".to_vec()).cast::<IUnknown>()),
        Box::new(|| Err(windows_core::Error::from_hresult(SYNC_E_INTERNAL_ERROR))),
    );
    let conflict: IChangeConflict = object.to_interface();
    unsafe {
        let source = conflict.GetSourceProviderConflictingChange().unwrap();
        assert_eq!(read_id(|p, s| source.GetRootItemId(p, s)), item(3));
        let destination = conflict.GetDestinationProviderConflictingChange().unwrap();
        assert_eq!(read_id(|p, s| destination.GetRootItemId(p, s)), item(1));
        let data: IItemData = conflict
            .GetSourceProviderConflictingData()
            .unwrap()
            .cast()
            .unwrap();
        assert_eq!(bytes_of(&data).unwrap(), b"source");
        assert_eq!(
            conflict
                .GetDestinationProviderConflictingData()
                .unwrap_err()
                .code(),
            SYNC_E_INTERNAL_ERROR
        );
        let mut action: SYNC_RESOLVE_ACTION = -1;
        assert_eq!(
            conflict.GetResolveActionForChange(&mut action),
            SYNC_E_INTERNAL_ERROR,
            "nothing set yet"
        );
        assert_eq!(conflict.SetResolveActionForChange(SRA_MERGE), S_OK);
        assert_eq!(conflict.GetResolveActionForChange(&mut action), S_OK);
        assert_eq!(action, SRA_MERGE);
        assert_eq!(
            conflict.GetResolveActionForChange(std::ptr::null_mut()),
            E_POINTER
        );
        assert_eq!(conflict.SetResolveActionForChange(77), E_INVALIDARG);
        assert_eq!(object.action(), Some(SRA_MERGE));
        let units = changes[0].GetChangeUnits().unwrap();
        let mut one: [Option<ISyncChangeUnit>; 1] = [None];
        assert_eq!(units.Next(1, one.as_mut_ptr(), std::ptr::null_mut()), S_OK);
        let unit = one[0].take().unwrap();
        assert_eq!(
            conflict.SetResolveActionForChangeUnit(&unit, SRA_MERGE),
            SYNC_E_INTERNAL_ERROR
        );
        assert_eq!(
            conflict.SetResolveActionForChangeUnit(None::<&ISyncChangeUnit>, SRA_MERGE),
            E_POINTER
        );
        assert_eq!(
            conflict.GetResolveActionForChangeUnit(&unit, std::ptr::null_mut()),
            E_POINTER
        );
        assert_eq!(
            conflict.GetResolveActionForChangeUnit(&unit, &mut action),
            SYNC_E_INTERNAL_ERROR
        );
    }
}

#[test]
fn load_contexts_record_recoverable_errors() {
    let b = built();
    let changes = changes_of(&b.cast().unwrap());
    // Item 3 is a creation (change version = creation version); item 1 an update.
    for (change, creation) in [(&changes[1], true), (&changes[0], false)] {
        let context = load_context(change.clone());
        let interface: ILoadChangeContext = context.to_interface();
        unsafe {
            let again = interface.GetSyncChange().unwrap();
            assert_eq!(again.as_raw(), change.as_raw());
            assert_eq!(
                interface.SetRecoverableErrorOnChange(S_OK, None),
                E_INVALIDARG
            );
            let unit_units = changes[0].GetChangeUnits().unwrap();
            let mut one: [Option<ISyncChangeUnit>; 1] = [None];
            assert_eq!(
                unit_units.Next(1, one.as_mut_ptr(), std::ptr::null_mut()),
                S_OK
            );
            let unit = one[0].take().unwrap();
            assert_eq!(
                interface.SetRecoverableErrorOnChangeUnit(E_INVALIDARG, None, None),
                E_POINTER
            );
            let on_unit = interface.SetRecoverableErrorOnChangeUnit(E_INVALIDARG, &unit, None);
            if creation {
                assert_eq!(on_unit, SYNC_E_ON_CREATE_MUST_FAIL_ENTIRE_ITEM);
                assert_eq!(context.recoverable_error(), None);
                assert_eq!(
                    interface.SetRecoverableErrorOnChange(E_INVALIDARG, None),
                    S_OK
                );
            } else {
                assert_eq!(on_unit, S_OK);
            }
            assert_eq!(context.recoverable_error(), Some(E_INVALIDARG));
        }
    }
}

/// Every method with a rule the batch objects enforce is called in this file,
/// `batch_merge_tombstones.rs` or `replica_sessions.rs`.
#[test]
fn every_method_with_a_batch_rule_is_exercised() {
    use winsync::contract::Enforcement;
    let sources = concat!(
        include_str!("batch_com.rs"),
        include_str!("batch_merge_tombstones.rs"),
        include_str!("replica_sessions.rs")
    );
    let missing: Vec<String> = winsync::contracts::ALL
        .iter()
        .filter(|rule| rule.enforced_by == Enforcement::Batch)
        .filter_map(|rule| Some((rule.interface, rule.method?)))
        .filter(|(_, method)| {
            !sources.contains(&format!(".{method}(")) && !sources.contains(&format!("().{method})"))
        })
        .map(|(interface, method)| format!("{interface}::{method}"))
        .collect();
    assert!(
        missing.is_empty(),
        "methods with batch rules no test calls: {missing:?}"
    );
}

#[test]
fn batches_serialize_and_read_back() {
    use winsync::bindings::ISyncChangeBatchBase2;
    use winsync::hresults::SYNC_E_INVALID_VERSION;
    let b = built();
    let bytes = read_id(|p, s| unsafe { b.Serialize(p, s) });
    let read = batch::deserialize(&bytes).unwrap();
    assert_eq!(changes_of(&read).len(), 2);
    let again: ISyncChangeBatchBase = read.cast().unwrap();
    assert_eq!(read_id(|p, s| unsafe { again.Serialize(p, s) }), bytes);
    // Read back, the batch is read-only.
    assert_eq!(
        unsafe { read.BeginOrderedGroup(std::ptr::null()) },
        SYNC_E_CHANGE_BATCH_IS_READ_ONLY
    );
    assert!(batch::deserialize(&bytes[..bytes.len() - 1]).is_err());
    let with: ISyncChangeBatchBase2 = b.cast().unwrap();
    let mut size = 0u32;
    unsafe {
        assert_eq!(read_id(|p, s| with.SerializeWithOptions(5, 0, p, s)), bytes);
        assert_eq!(
            with.SerializeWithOptions(5, 1, std::ptr::null_mut(), &mut size),
            E_INVALIDARG
        );
        assert_eq!(
            with.SerializeWithOptions(9, 0, std::ptr::null_mut(), &mut size),
            SYNC_E_INVALID_VERSION
        );
        assert_eq!(
            with.SerializeWithOptions(5, 0, std::ptr::null_mut(), std::ptr::null_mut()),
            E_POINTER
        );
    }
    // An open group cannot be written.
    let open = empty_batch();
    unsafe {
        assert_eq!(open.BeginOrderedGroup(std::ptr::null()), S_OK);
        assert_eq!(
            open.Serialize(std::ptr::null_mut(), &mut size),
            SYNC_E_INVALID_OPERATION
        );
        let open2: ISyncChangeBatchBase2 = open.cast().unwrap();
        assert_eq!(
            open2.SerializeWithOptions(5, 0, std::ptr::null_mut(), &mut size),
            SYNC_E_INVALID_OPERATION
        );
    }
}

/// The owner's rules of a batch: the made-with knowledge that ends a group and the replica in
/// whose key space an item change's versions are must be the batch owner's
/// (`change-batch-base.end-ordered-group.made-with-knowledge`,
/// `change-batch.end-unordered-group.made-with-knowledge`,
/// `change-batch-base.add-item-metadata-to-group.owner-replica`,
/// `change-batch.add-logged-conflict.owner-replica`), and the IDs must be in the provider's
/// formats (`change-batch-base.add-item-metadata-to-group.id-format`).
#[test]
fn groups_and_changes_are_the_batch_owners() {
    let others = knowledge::to_com(Knowledge::new(IdFormats::GUID_GID, &B).unwrap());
    let b = empty_batch();
    unsafe {
        assert_eq!(b.BeginOrderedGroup(std::ptr::null()), S_OK);
        b.AddItemMetadataToGroup(A.as_ptr(), item(1).as_ptr(), &v(0, 5), &v(0, 1), 0, 0)
            .unwrap();
        assert_eq!(
            b.EndOrderedGroup(std::ptr::null(), &others),
            E_INVALIDARG,
            "another replica's knowledge does not end the owner's group"
        );
        assert_eq!(b.EndOrderedGroup(std::ptr::null(), &made_with()), S_OK);
    }
    let b = empty_batch();
    unsafe {
        assert_eq!(b.BeginUnorderedGroup(), S_OK);
        assert_eq!(
            b.AddItemMetadataToGroup(B.as_ptr(), item(1).as_ptr(), &v(0, 5), &v(0, 1), 0, 0)
                .unwrap_err()
                .code(),
            E_INVALIDARG,
            "versions in another replica's key space"
        );
        b.AddItemMetadataToGroup(A.as_ptr(), item(1).as_ptr(), &v(0, 5), &v(0, 1), 0, 0)
            .unwrap();
        assert_eq!(b.EndUnorderedGroup(&others, true), E_INVALIDARG);
        assert_eq!(b.EndUnorderedGroup(&made_with(), true), S_OK);
        let logged = |owner: &[u8; 16]| {
            b.AddLoggedConflict(
                owner.as_ptr(),
                item(4).as_ptr(),
                &v(0, 4),
                &v(0, 1),
                0,
                0,
                &made_with(),
            )
        };
        assert_eq!(logged(&B).unwrap_err().code(), E_INVALIDARG);
        logged(&A).unwrap();
    }
    // A variable-length item format: a SYNC_ID whose size field is out of the format's
    // bounds is not an item ID of the provider's format.
    let formats = IdFormats {
        item: winsync::engine::IdFormat::variable(40),
        ..IdFormats::GUID_GID
    };
    let prerequisite = Arc::new(Knowledge::new(formats, &B).unwrap());
    let b: ISyncChangeBatch =
        batch::to_com(ChangeBatch::new(formats, &A, prerequisite, None).unwrap())
            .cast()
            .unwrap();
    let sync_id = |size: u16| {
        let mut id = size.to_le_bytes().to_vec();
        id.resize(usize::from(size.max(2)), 7);
        id
    };
    unsafe {
        assert_eq!(b.BeginOrderedGroup(std::ptr::null()), S_OK);
        assert_eq!(
            b.AddItemMetadataToGroup(A.as_ptr(), sync_id(41).as_ptr(), &v(0, 5), &v(0, 1), 0, 0)
                .unwrap_err()
                .code(),
            SYNC_E_ID_FORMAT_MISMATCH
        );
        b.AddItemMetadataToGroup(A.as_ptr(), sync_id(10).as_ptr(), &v(0, 5), &v(0, 1), 0, 0)
            .unwrap();
    }
}

/// `ISyncChangeWithPrerequisite` and `ISyncFullEnumerationChange` on the changes a batch hands
/// out, and on a change made outside a batch.
#[test]
fn changes_answer_their_prerequisite_and_their_recovery() {
    use winsync::bindings::{ISyncChangeWithPrerequisite, ISyncFullEnumerationChange};
    use winsync::engine::ForgottenKnowledge;

    let b = built();
    let changes = changes_of(&b.cast().unwrap());
    let item3 = &changes[1];
    let with: ISyncChangeWithPrerequisite = item3.cast().unwrap();
    unsafe {
        // The batch's prerequisite: B's empty knowledge.
        let prerequisite =
            knowledge::from_com(&with.GetPrerequisiteKnowledge().unwrap(), None).unwrap();
        assert_eq!(prerequisite.owner(), &B);
        // A destination that meets it learns what the change teaches.
        let destination = knowledge::to_com(Knowledge::new(IdFormats::GUID_GID, &B).unwrap());
        let learned = knowledge::from_com(
            &with
                .GetLearnedKnowledgeWithPrerequisite(&destination)
                .unwrap(),
            None,
        )
        .unwrap();
        let expected = source_knowledge().project_onto_item(&item(3)).unwrap();
        assert!(
            learned.contains_knowledge(&expected).unwrap()
                && expected.contains_knowledge(&learned).unwrap(),
            "{learned:?}"
        );
        // With a prerequisite the destination does not meet (it lacks B's version 1), nothing
        // is learned.
        let mut demanding = Knowledge::new(IdFormats::GUID_GID, &B).unwrap();
        demanding.set_local_tick_count(1).unwrap();
        let demanding: ISyncChangeWithPrerequisite = change(Arc::new(ChangeData {
            formats: IdFormats::GUID_GID,
            owner: A.into(),
            change: ItemChange::new(
                &item(3),
                Version::new(0, 6),
                Version::new(0, 6),
                ChangeFlags::NONE,
            ),
            made_with: Some(Arc::new(source_knowledge())),
            from_source: true,
            batch: Some(Arc::new(batch::change::BatchContext {
                prerequisite: Arc::new(demanding),
                recovery: None,
            })),
        }))
        .cast()
        .unwrap();
        let nothing = knowledge::from_com(
            &demanding
                .GetLearnedKnowledgeWithPrerequisite(&destination)
                .unwrap(),
            None,
        )
        .unwrap();
        assert!(
            !nothing
                .contains_change(&item(3), Version::new(0, 6))
                .unwrap(),
            "{nothing:?}"
        );
        assert_eq!(
            with.GetLearnedKnowledgeWithPrerequisite(None::<&ISyncKnowledge>)
                .unwrap_err()
                .code(),
            E_POINTER
        );
        // Not in a recovery.
        let full: ISyncFullEnumerationChange = item3.cast().unwrap();
        assert_eq!(
            full.GetLearnedKnowledgeAfterRecoveryComplete()
                .unwrap_err()
                .code(),
            SYNC_E_INVALID_OPERATION
        );
        let mut out = std::ptr::dangling_mut::<core::ffi::c_void>();
        assert_eq!(
            (full.vtable().GetLearnedForgottenKnowledge)(full.as_raw(), &mut out),
            S_FALSE
        );
        assert!(out.is_null());
    }

    // A change made outside a batch has no prerequisite.
    let outside = change(Arc::new(ChangeData {
        formats: IdFormats::GUID_GID,
        owner: A.into(),
        change: ItemChange::new(
            &item(1),
            Version::new(0, 1),
            Version::new(0, 1),
            ChangeFlags::NONE,
        ),
        made_with: Some(Arc::new(source_knowledge())),
        from_source: true,
        batch: None,
    }));
    let with: ISyncChangeWithPrerequisite = outside.cast().unwrap();
    unsafe {
        let mut out = std::ptr::dangling_mut::<core::ffi::c_void>();
        assert_eq!(
            (with.vtable().GetPrerequisiteKnowledge)(with.as_raw(), &mut out),
            S_FALSE
        );
        assert!(out.is_null());
        assert_eq!(
            with.GetLearnedKnowledgeWithPrerequisite(&made_with())
                .unwrap_err()
                .code(),
            SYNC_E_CHANGE_NEEDS_KNOWLEDGE
        );
    }

    // A change of a full-enumeration batch whose source forgot versions up to tick 4.
    let mut forgotten = ForgottenKnowledge::new(&source_knowledge());
    forgotten
        .forget_to_version(&source_knowledge(), Version::new(0, 4))
        .unwrap();
    let prerequisite = Arc::new(Knowledge::new(IdFormats::GUID_GID, &B).unwrap());
    let full_batch: ISyncChangeBatchBase = batch::to_com(
        ChangeBatch::new_full_enumeration(
            IdFormats::GUID_GID,
            &A,
            prerequisite,
            Some(Arc::new(forgotten.clone())),
            &item(0),
        )
        .unwrap(),
    );
    unsafe {
        assert_eq!(full_batch.BeginOrderedGroup(item(0).as_ptr()), S_OK);
        full_batch
            .AddItemMetadataToGroup(A.as_ptr(), item(5).as_ptr(), &v(0, 7), &v(0, 7), 0, 0)
            .unwrap();
        assert_eq!(
            full_batch.EndOrderedGroup(std::ptr::null(), &made_with()),
            S_OK
        );
    }
    let changes = changes_of(&full_batch);
    let full: ISyncFullEnumerationChange = changes[0].cast().unwrap();
    unsafe {
        let after = knowledge::from_com(
            &full.GetLearnedKnowledgeAfterRecoveryComplete().unwrap(),
            None,
        )
        .unwrap();
        assert_eq!(
            *after,
            source_knowledge().project_onto_item(&item(5)).unwrap()
        );
        let learned: ISyncKnowledge = full.GetLearnedForgottenKnowledge().unwrap().cast().unwrap();
        assert_eq!(
            *knowledge::from_com(&learned, None).unwrap(),
            forgotten.knowledge().project_onto_item(&item(5)).unwrap()
        );
    }
}
