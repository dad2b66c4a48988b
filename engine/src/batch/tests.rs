//! The batch builder's rules and what a batch teaches.

use std::sync::Arc;

use super::*;
use crate::vector::Version;

const A: [u8; 16] = [0xA; 16];
const B: [u8; 16] = [0xB; 16];

fn item(n: u8) -> [u8; 24] {
    let mut id = [0; 24];
    id[0] = n;
    id
}

fn source() -> Knowledge {
    let mut k = Knowledge::new(IdFormats::GUID_GID, &A).unwrap();
    k.set_local_tick_count(10).unwrap();
    k
}

fn batch() -> ChangeBatch {
    let destination = Arc::new(Knowledge::new(IdFormats::GUID_GID, &B).unwrap());
    ChangeBatch::new(IdFormats::GUID_GID, &A, destination, None).unwrap()
}

fn change(n: u8, tick: u64) -> ItemChange {
    ItemChange::new(
        &item(n),
        Version::new(0, tick),
        Version::new(0, 1),
        ChangeFlags::NONE,
    )
}

#[test]
fn ordered_groups_take_items_in_increasing_order_from_their_bound() {
    let mut b = batch();
    assert!(matches!(
        b.add_change(change(5, 2)),
        Err(Error::InvalidOperation(_))
    ));
    b.begin_ordered_group(Some(&item(3))).unwrap();
    assert!(matches!(
        b.begin_ordered_group(None),
        Err(Error::InvalidOperation(_))
    ));
    assert!(matches!(
        b.add_change(change(2, 2)),
        Err(Error::RangeOutOfOrder(_))
    ));
    b.add_change(change(5, 2)).unwrap();
    assert!(matches!(
        b.add_change(change(5, 3)),
        Err(Error::RangeOutOfOrder(_))
    ));
    b.add_change(change(7, 3)).unwrap();
    assert!(matches!(
        b.learned_knowledge(),
        Err(Error::InvalidOperation(_))
    ));
    assert!(matches!(
        b.end_ordered_group(Some(&item(6)), &source()),
        Err(Error::RangeOutOfOrder(_))
    ));
    // A refused close keeps the group open.
    assert!(b.has_open_group());
    b.end_ordered_group(Some(&item(9)), &source()).unwrap();
    assert_eq!(b.change_count(), 2);
    let learned = b.learned_knowledge().unwrap();
    // [i3, i9] is learned, nothing outside.
    assert!(
        learned
            .contains_change(&item(4), Version::new(0, 10))
            .unwrap()
    );
    assert!(
        learned
            .contains_change(&item(9), Version::new(0, 10))
            .unwrap()
    );
    assert!(
        !learned
            .contains_change(&item(10), Version::new(0, 1))
            .unwrap()
    );
    assert!(
        !learned
            .contains_change(&item(2), Version::new(0, 1))
            .unwrap()
    );
}

#[test]
fn an_empty_group_ends_the_batch_and_a_frozen_batch_takes_nothing() {
    let mut b = batch();
    b.begin_ordered_group(None).unwrap();
    b.end_ordered_group(None, &source()).unwrap();
    assert!(matches!(
        b.begin_unordered_group(),
        Err(Error::InvalidOperation(_))
    ));
    let learned = b.learned_knowledge().unwrap();
    assert!(learned.contains_knowledge(&source()).unwrap());

    let mut b = batch();
    b.freeze();
    assert!(matches!(
        b.begin_ordered_group(None),
        Err(Error::ReadOnly(_))
    ));
}

#[test]
fn unordered_groups_teach_all_or_only_their_items() {
    let mut all = batch();
    all.begin_unordered_group().unwrap();
    all.add_change(change(9, 4)).unwrap();
    all.add_change(change(2, 5)).unwrap();
    all.end_unordered_group(&source(), true).unwrap();
    assert!(
        all.learned_knowledge()
            .unwrap()
            .contains_knowledge(&source())
            .unwrap()
    );

    let mut some = batch();
    some.begin_unordered_group().unwrap();
    some.add_change(change(9, 4)).unwrap();
    some.add_change_unit(UnitChange {
        unit: [3u8].into(),
        version: Version::new(0, 6),
    })
    .unwrap();
    some.add_change(change(2, 5)).unwrap();
    some.end_unordered_group(&source(), false).unwrap();
    let learned = some.learned_knowledge().unwrap();
    assert!(
        learned
            .contains_change(&item(2), Version::new(0, 10))
            .unwrap()
    );
    assert!(
        !learned
            .contains_change(&item(3), Version::new(0, 1))
            .unwrap()
    );
    // Item 9 was sent as one change unit: only that unit is learned.
    assert!(
        learned
            .contains_change_unit(&item(9), &[3], Version::new(0, 10))
            .unwrap()
    );
    assert!(
        !learned
            .contains_change_unit(&item(9), &[4], Version::new(0, 1))
            .unwrap()
    );
}

#[test]
fn made_with_knowledge_must_be_the_owners() {
    let mut b = batch();
    b.begin_ordered_group(None).unwrap();
    let other = Knowledge::new(IdFormats::GUID_GID, &B).unwrap();
    assert!(matches!(
        b.end_ordered_group(None, &other),
        Err(Error::InvalidArgument(_))
    ));
    assert!(b.has_open_group());
}

#[test]
fn deleted_items_and_bad_flags_are_refused_where_the_pages_say() {
    let mut b = batch();
    b.begin_ordered_group(None).unwrap();
    let mut tombstone = change(1, 2);
    tombstone.flags = ChangeFlags::DELETED;
    b.add_change(tombstone).unwrap();
    assert!(matches!(
        b.add_change_unit(UnitChange {
            unit: [1u8].into(),
            version: Version::new(0, 2)
        }),
        Err(Error::InvalidOperation(_))
    ));
    let mut missing = change(2, 2);
    missing.flags = ChangeFlags::DOES_NOT_EXIST;
    assert!(matches!(
        b.add_change(missing),
        Err(Error::InvalidArgument(_))
    ));
    let mut odd = change(3, 2);
    odd.flags = ChangeFlags(0x80);
    assert!(matches!(b.add_change(odd), Err(Error::InvalidArgument(_))));
}

#[test]
fn full_enumeration_batches_hold_one_group_from_their_bound() {
    let destination = Arc::new(Knowledge::new(IdFormats::GUID_GID, &B).unwrap());
    let mut b =
        ChangeBatch::new_full_enumeration(IdFormats::GUID_GID, &A, destination, None, &item(5))
            .unwrap();
    assert!(matches!(
        b.closed_upper_bound(),
        Err(Error::InvalidOperation(_))
    ));
    assert!(matches!(
        b.begin_ordered_group(Some(&item(6))),
        Err(Error::RangeOutOfOrder(_))
    ));
    assert!(matches!(
        b.begin_unordered_group(),
        Err(Error::InvalidOperation(_))
    ));
    b.begin_ordered_group(Some(&item(5))).unwrap();
    b.add_change(change(5, 3)).unwrap();
    b.end_ordered_group(Some(&item(8)), &source()).unwrap();
    assert!(matches!(
        b.begin_ordered_group(Some(&item(9))),
        Err(Error::ReadOnly(_))
    ));
    assert_eq!(b.closed_lower_bound().unwrap(), &item(5)[..]);
    assert_eq!(b.closed_upper_bound().unwrap(), Some(&item(8)[..]));
    assert!(
        b.learned_knowledge_after_recovery()
            .unwrap()
            .contains_knowledge(&source())
            .unwrap()
    );
    assert_eq!(b.learned_forgotten_knowledge().unwrap(), None);
    assert!(matches!(
        batch().closed_lower_bound(),
        Err(Error::InvalidOperation(_))
    ));
}

#[test]
fn a_batch_reads_back_from_its_bytes_read_only() {
    let mut b = batch();
    b.begin_ordered_group(Some(&item(3))).unwrap();
    b.add_change(change(5, 2)).unwrap();
    b.add_change_unit(UnitChange {
        unit: [4u8].into(),
        version: Version::new(0, 2),
    })
    .unwrap();
    b.add_change(change(7, 3)).unwrap();
    b.end_ordered_group(Some(&item(9)), &source()).unwrap();
    b.begin_unordered_group().unwrap();
    b.add_change(change(1, 4)).unwrap();
    b.end_unordered_group(&source(), true).unwrap();
    b.add_logged_conflict(change(2, 5), &source()).unwrap();
    b.set_last_batch();
    b.set_work_for_batch(7);
    b.set_remaining_work(70);
    let bytes = b.serialize().unwrap();
    let read = ChangeBatch::deserialize(&bytes).unwrap();
    assert!(read.is_frozen() && read.is_last_batch());
    assert_eq!((read.work_for_batch(), read.remaining_work()), (7, 70));
    assert_eq!(read.serialize().unwrap(), bytes, "the bytes are canonical");
    let (x, y): (Vec<_>, Vec<_>) = (
        read.changes().map(|(_, c)| c.clone()).collect(),
        b.changes().map(|(_, c)| c.clone()).collect(),
    );
    assert_eq!(x, y);
    assert!(
        read.learned_knowledge()
            .unwrap()
            .contains_knowledge(&b.learned_knowledge().unwrap())
            .unwrap()
    );
    assert_eq!(read.logged_conflicts().len(), 1);
    // The knowledge made with is written once.
    assert!(
        bytes.len() < 2 * source().serialize(true).len() + 400,
        "{} bytes",
        bytes.len()
    );
    for cut in 0..bytes.len() {
        assert!(
            ChangeBatch::deserialize(&bytes[..cut]).is_err(),
            "cut at {cut}"
        );
    }
    // An open group cannot be serialized.
    let mut open = batch();
    open.begin_ordered_group(None).unwrap();
    assert!(matches!(open.serialize(), Err(Error::InvalidOperation(_))));
}

/// A merge tombstone (`ISyncChangeBatch2::AddMergeTombstoneMetadataToGroup`): a deleted item
/// with the item it was merged into; in groups and as a logged conflict, through the bytes.
#[test]
fn merge_tombstones_carry_their_winner_through_the_bytes() {
    let merged = |n: u8, winner: u8| {
        ItemChange::merge_tombstone(
            &item(n),
            &item(winner),
            Version::new(0, 3),
            Version::new(0, 1),
        )
    };
    let mut b = batch();
    b.begin_ordered_group(None).unwrap();
    b.add_change(merged(5, 2)).unwrap();
    // A merge tombstone is a tombstone: no change units.
    assert!(matches!(
        b.add_change_unit(UnitChange {
            unit: [4u8].into(),
            version: Version::new(0, 3),
        }),
        Err(Error::InvalidOperation(_))
    ));
    // Not a live item, not merged into itself, and a winner of the item format.
    let mut live = merged(6, 2);
    live.flags = ChangeFlags::NONE;
    assert!(matches!(b.add_change(live), Err(Error::InvalidArgument(_))));
    assert!(matches!(
        b.add_change(merged(6, 6)),
        Err(Error::InvalidArgument(_))
    ));
    let mut short = merged(6, 2);
    short.winner = Some([1u8; 3].into());
    assert!(b.add_change(short).is_err());
    b.add_change(change(7, 3)).unwrap();
    b.end_ordered_group(None, &source()).unwrap();
    b.add_logged_conflict(merged(9, 1), &source()).unwrap();
    let bytes = b.serialize().unwrap();
    let read = ChangeBatch::deserialize(&bytes).unwrap();
    let winners: Vec<Option<Box<[u8]>>> = read.changes().map(|(_, c)| c.winner.clone()).collect();
    assert_eq!(winners, [Some(item(2).into()), None]);
    assert_eq!(
        read.logged_conflicts()[0].change.winner.as_deref(),
        Some(&item(1)[..])
    );
    assert_eq!(read.serialize().unwrap(), bytes, "the bytes are canonical");
    for cut in 0..bytes.len() {
        assert!(
            ChangeBatch::deserialize(&bytes[..cut]).is_err(),
            "cut at {cut}"
        );
    }
}
