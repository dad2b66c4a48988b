//! Clock vectors: elements as upper bounds, union, meet, containment, the canonical form, and
//! vectors that share a base.

use super::*;

#[test]
fn elements_are_upper_bounds() {
    let v = ClockVector::from_elements([(0, 20), (1, 7)]).unwrap();
    assert!(v.contains(Version::new(1, 6)));
    assert!(v.contains(Version::new(1, 7)));
    assert!(!v.contains(Version::new(1, 8)));
    assert!(
        !v.contains(Version::new(2, 0)),
        "no element: not even tick 0"
    );
    let zero = ClockVector::from_elements([(2, 0)]).unwrap();
    assert!(zero.contains(Version::new(2, 0)));
    assert_eq!(v.get(1), Some(7));
    assert_eq!(v.get(5), None);
    assert_eq!(
        ClockVector::from_elements([(0, u64::MAX)]),
        Err(Error::TickOutOfRange(u64::MAX))
    );
}

#[test]
fn union_meet_containment_and_canonical_form() {
    let a = ClockVector::from_elements([(0, 5), (2, 1)]).unwrap();
    let b = ClockVector::from_elements([(0, 3), (1, 4)]).unwrap();
    let u = a.union(&b);
    assert_eq!(u.elements().collect::<Vec<_>>(), [(0, 5), (1, 4), (2, 1)]);
    assert!(u.contains_vector(&a) && u.contains_vector(&b));
    assert!(!a.contains_vector(&b));
    assert_eq!(a.meet(&b).elements().collect::<Vec<_>>(), [(0, 3)]);
    assert!(a.intersects(&b));
    assert!(!ClockVector::from_elements([(2, 1)]).unwrap().intersects(&b));
    assert_eq!(a.meet(&b), ClockVector::from_elements([(0, 3)]).unwrap());
    assert_eq!(
        a.translate(&[1, 9, 0])
            .unwrap()
            .elements()
            .collect::<Vec<_>>(),
        [(0, 1), (1, 5)]
    );
}

#[test]
fn vectors_sharing_a_base_combine_through_their_deltas() {
    let scope = ClockVector::from_elements((0..64).map(|k| (k, 100))).unwrap();
    let mut a = scope.clone();
    a.raise(3, 200).unwrap();
    let mut b = scope.clone();
    b.raise(40, 300).unwrap();
    assert!(Arc::ptr_eq(&a.base, &scope.base) && a.delta.len() == 1);
    let u = a.union(&b);
    assert!(Arc::ptr_eq(&u.base, &scope.base));
    assert_eq!(u.delta.len(), 2);
    assert_eq!(
        (u.get(3), u.get(40), u.get(5)),
        (Some(200), Some(300), Some(100))
    );
    assert!(u.contains_vector(&a) && !a.contains_vector(&u));
    // Equal bases built apart are one allocation; equal vectors compare equal whatever
    // their bases.
    let again = ClockVector::from_elements((0..64).map(|k| (k, 100))).unwrap();
    assert!(Arc::ptr_eq(&again.base, &scope.base));
    let dense = ClockVector::from_elements(u.elements()).unwrap();
    assert_eq!(dense, u);
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    let mut other = std::collections::hash_map::DefaultHasher::new();
    std::hash::Hash::hash(&dense, &mut hasher);
    std::hash::Hash::hash(&u, &mut other);
    assert_eq!(
        std::hash::Hasher::finish(&hasher),
        std::hash::Hasher::finish(&other)
    );
    // Long deltas become a base of their own.
    let mut many = scope.clone();
    for k in 0..20 {
        many.raise(k, 500).unwrap();
    }
    assert!(many.delta.len() <= MAX_DELTA);
}
