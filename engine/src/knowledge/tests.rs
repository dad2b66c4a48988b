//! The worked example of the knowledge reference (three replicas, fixed 24-byte item IDs).

use super::*;

fn item(n: u8) -> [u8; 24] {
    let mut id = [0; 24];
    id[0] = n;
    id
}

const A: [u8; 16] = [0xA; 16];
const B: [u8; 16] = [0xB; 16];
const C: [u8; 16] = [0xC; 16];

fn v(elements: &[(u32, u64)]) -> ClockVector {
    ClockVector::from_elements(elements.iter().copied()).unwrap()
}

fn uniform(owner: &[u8], elements: &[(u32, u64)]) -> Knowledge {
    let mut k = Knowledge::new(IdFormats::GUID_GID, owner).unwrap();
    let vector = Arc::new(v(elements));
    k.default = RangeSet::uniform(&k.formats.item, vector);
    k
}

/// K_A: scope {0:20, 1:7}; range [i50, i59] {0:20, 1:7, 2:4}; i30 {0:20, 1:9};
/// (i40, cu1) {0:20, 1:12}. Keys: A 0, B 1, C 2.
fn k_a() -> Knowledge {
    let mut k = uniform(&A, &[(0, 20), (1, 7)]);
    Arc::make_mut(&mut k.keys).find_or_add(&B).unwrap();
    Arc::make_mut(&mut k.keys).find_or_add(&C).unwrap();
    let mut range = uniform(&A, &[(0, 20), (1, 7), (2, 4)])
        .project_onto_range(&item(50), &item(59))
        .unwrap();
    range.keys = k.keys.clone();
    k.union(&range).unwrap();
    let mut single = uniform(&A, &[(0, 20), (1, 9)])
        .project_onto_item(&item(30))
        .unwrap();
    single.keys = k.keys.clone();
    k.union(&single).unwrap();
    let mut unit = uniform(&A, &[(0, 20), (1, 12)])
        .project_onto_change_unit(&item(40), &[1])
        .unwrap();
    unit.keys = k.keys.clone();
    k.union(&unit).unwrap();
    k
}

#[test]
fn the_worked_example_answers_as_the_reference_says() {
    let k = k_a();
    let yes = |i: u8, key, tick| {
        k.contains_change(&item(i), Version::new(key, tick))
            .unwrap()
    };
    assert!(yes(10, 1, 6));
    assert!(!yes(10, 1, 8));
    assert!(yes(30, 1, 8));
    assert!(yes(55, 2, 3));
    assert!(!yes(60, 2, 3));
    assert!(
        k.contains_change_unit(&item(40), &[1], Version::new(1, 11))
            .unwrap()
    );
    assert!(
        !k.contains_change_unit(&item(40), &[2], Version::new(1, 11))
            .unwrap()
    );
    assert!(!yes(70, 0, 21));
    let mut later = k.clone();
    later.set_local_tick_count(25).unwrap();
    assert!(
        later
            .contains_change(&item(70), Version::new(0, 21))
            .unwrap()
    );

    // Presentation: scope, one range exception, one single-item exception, one change-unit
    // exception.
    assert_eq!(k.scope_vector(), v(&[(0, 20), (1, 7)]));
    let ranges = k.range_exceptions();
    assert_eq!(ranges.len(), 1);
    assert_eq!(ranges[0].start.as_ref(), item(50));
    assert_eq!(ranges[0].end.as_ref(), item(59));
    let singles = k.single_item_exceptions();
    assert_eq!(singles.len(), 1);
    assert_eq!(singles[0].item.as_ref(), item(30));
    assert_eq!(k.change_unit_exceptions().len(), 1);
}

#[test]
fn map_remote_to_local_rekeys_by_replica_id() {
    // B's knowledge in B's key space (B 0, A 1): B to 12, A to 15.
    let mut kb = uniform(&B, &[]);
    Arc::make_mut(&mut kb.keys).find_or_add(&A).unwrap();
    kb.default = RangeSet::uniform(&kb.formats.item, Arc::new(v(&[(0, 12), (1, 15)])));
    let mut ka = uniform(&A, &[]);
    Arc::make_mut(&mut ka.keys).find_or_add(&B).unwrap();
    let mapped = ka.map_remote_to_local(&kb).unwrap();
    assert_eq!(**mapped.default.at(&item(1)), v(&[(0, 15), (1, 12)]));
    assert_eq!(mapped.owner(), A);
    // A's change (0,16) is new to B; (0,12) is not.
    assert!(
        !mapped
            .contains_change(&item(20), Version::new(0, 16))
            .unwrap()
    );
    assert!(
        mapped
            .contains_change(&item(10), Version::new(0, 12))
            .unwrap()
    );
}

#[test]
fn complete_synchronization_leaves_one_vector() {
    let mut k = k_a();
    let everything = {
        let mut e = uniform(&A, &[(0, 20), (1, 12), (2, 4)]);
        e.keys = k.keys.clone();
        e
    };
    k.union(&everything).unwrap();
    assert!(k.default.is_uniform());
    assert!(k.units.is_empty() && k.columns.is_empty());
    assert!(k.range_exceptions().is_empty() && k.single_item_exceptions().is_empty());
}

#[test]
fn a_column_range_every_exception_hides_is_not_stored() {
    let formats = IdFormats {
        replica: crate::id::IdFormat::fixed(1),
        item: crate::id::IdFormat::fixed(1),
        change_unit: crate::id::IdFormat::fixed(1),
    };
    let everywhere = |tick| {
        let mut k = Knowledge::new(formats, &[0xA]).unwrap();
        k.learn(&[0xA], tick).unwrap();
        k
    };
    // Built one way: column 7 knows A:3, item 9 knows A:5, then (9, 7) is excluded and
    // learns A:4. Column 7's range at item 9 (A:5) is hidden by the exception.
    let mut hidden = everywhere(3).project_onto_columns(&[&[7]]).unwrap();
    let item9 = everywhere(5)
        .project_onto_item(&[9])
        .unwrap()
        .project_onto_columns(&[&[7]])
        .unwrap();
    hidden.union(&item9).unwrap();
    hidden.exclude_change_unit(&[9], &[7]).unwrap();
    hidden
        .union(&everywhere(4).project_onto_change_unit(&[9], &[7]).unwrap())
        .unwrap();
    // Built another way: column 7 knows A:3 and (9, 7) knows A:4.
    let mut plain = everywhere(3).project_onto_columns(&[&[7]]).unwrap();
    plain
        .union(&everywhere(4).project_onto_change_unit(&[9], &[7]).unwrap())
        .unwrap();
    assert!(
        hidden.contains_knowledge(&plain).unwrap() && plain.contains_knowledge(&hidden).unwrap()
    );
    assert_eq!(hidden, plain);
    assert_eq!(hidden.serialize(true), plain.serialize(true));
}

#[test]
fn learning_after_an_exclusion_keeps_the_exclusion() {
    let formats = IdFormats {
        replica: crate::id::IdFormat::fixed(1),
        item: crate::id::IdFormat::fixed(1),
        change_unit: crate::id::IdFormat::fixed(1),
    };
    let mut k = Knowledge::new(formats, &[11]).unwrap();
    k.learn(&[12], 0).unwrap();
    k.exclude_item(&[1]).unwrap();
    assert!(!k.contains_change(&[1], Version::new(1, 0)).unwrap());
    k.learn(&[11], 3).unwrap();
    assert!(
        !k.contains_change(&[1], Version::new(1, 0)).unwrap(),
        "{k:?}"
    );
    assert!(k.contains_change(&[2], Version::new(1, 0)).unwrap());
}

#[test]
fn knowledge_read_back_from_its_presentation_is_the_same() {
    let k = k_a();
    let ranges: Vec<_> = k
        .range_exceptions()
        .into_iter()
        .map(|r| (r.start, r.end, (*r.vector).clone()))
        .collect();
    let items: Vec<_> = k
        .single_item_exceptions()
        .into_iter()
        .map(|e| (e.item, (*e.vector).clone()))
        .collect();
    let units: Vec<_> = k
        .change_unit_exceptions()
        .into_iter()
        .map(|e| (e.item, e.unit, (*e.vector).clone()))
        .collect();
    let again = Knowledge::from_parts(
        k.formats,
        k.owner(),
        k.key_map().clone(),
        k.scope_vector(),
        &ranges,
        &items,
        &units,
    )
    .unwrap();
    assert_eq!(again, k);
}

#[test]
fn local_changes_take_the_next_tick_and_are_known() {
    let mut k = Knowledge::new(IdFormats::GUID_GID, &A).unwrap();
    assert_eq!(k.record_local_change(), Ok(Version::new(0, 1)));
    assert_eq!(k.record_local_change(), Ok(Version::new(0, 2)));
    assert!(k.contains_change(&item(1), Version::new(0, 2)).unwrap());
    // An exception that knows more of the owner than the scope: the next tick is above it.
    let mut ahead = uniform(&A, &[(0, 9)]).project_onto_item(&item(3)).unwrap();
    ahead.keys = k.keys.clone();
    k.union(&ahead).unwrap();
    assert_eq!(k.record_local_change(), Ok(Version::new(0, 10)));
    assert!(k.contains_change(&item(200), Version::new(0, 10)).unwrap());
    k.set_local_tick_count(u64::MAX - 1).unwrap();
    assert!(k.record_local_change().is_err());
}
