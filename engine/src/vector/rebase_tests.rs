//! Rebasing a clock vector keeps its value.

use super::*;

#[test]
fn rebasing_keeps_the_value() {
    let mut seed = 7u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..2000 {
        let elems = |n: &mut dyn FnMut() -> u64| -> Vec<(u32, u64)> {
            (0..(n() % 6))
                .map(|_| ((n() % 6) as u32, n() % 3))
                .collect()
        };
        let a = ClockVector::from_elements(elems(&mut next)).unwrap();
        let b = ClockVector::from_elements(elems(&mut next)).unwrap();
        let base = ClockVector::from_elements(elems(&mut next))
            .unwrap()
            .interned();
        let u = a.union(&b);
        let r = u.rebased(&base);
        assert_eq!(
            r.elements().collect::<Vec<_>>(),
            u.elements().collect::<Vec<_>>(),
            "{u:?} on {base:?}"
        );
        assert_eq!(r, u);
        let m = a.meet(&b).rebased(&base);
        assert_eq!(m, a.meet(&b));
        // Combining rebased vectors gives the same values as combining the originals.
        let ra = a.rebased(&base);
        let rb = b.rebased(&base);
        assert_eq!(ra.union(&rb), u, "{a:?} {b:?} on {base:?}");
        assert_eq!(ra.meet(&rb), a.meet(&b), "{a:?} {b:?} on {base:?}");
        assert_eq!(
            ra.contains_vector(&rb),
            a.contains_vector(&b),
            "{a:?} {b:?} on {base:?}"
        );
        assert_eq!(rb.contains_vector(&ra), b.contains_vector(&a));
        assert_eq!(ra.intersects(&rb), a.intersects(&b));
    }
}
