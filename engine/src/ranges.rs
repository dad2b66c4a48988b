//! A piecewise-constant map from item IDs to clock vectors: the shape of knowledge over the
//! item ID space (the "ranges with a clock vector each" of `NN:winsync.ICoreFragment` and
//! MS-FSVCA's RANGE_SET).
//!
//! The map is a list of segments, each a closed lower bound with a clock vector, running up to
//! the next segment's lower bound (open) or to the end of the ID space; the first segment starts
//! at the format's smallest ID. Canonical form: adjacent segments never hold equal vectors, so
//! equal maps are equal lists. A range exception `[a, b]` is a segment; a single-item exception
//! is a segment of one ID (its next segment starts at the successor of its lower bound).
//!
//! Storage: the bounds' bytes in one buffer, with a contiguous array of their first 8 bytes as
//! numbers for the lookups; one shared vector per segment.

use std::sync::Arc;

use crate::id::IdFormat;
use crate::vector::ClockVector;

/// One segment, as the presentation and the serializer see it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Segment {
    /// The closed lower bound.
    pub lower: Box<[u8]>,
    /// The vector of every ID from `lower` up to the next segment's bound.
    pub vector: Arc<ClockVector>,
}

/// The piecewise-constant map (see the module docs).
#[derive(Clone, Debug)]
pub struct RangeSet {
    /// The lower bounds' bytes, one after the other.
    bytes: Vec<u8>,
    /// The end of each bound in `bytes`.
    ends: Vec<u32>,
    /// The first 8 bytes of each bound as a big-endian number (zero-padded): ordered like the
    /// bounds, for the lookups.
    prefixes: Vec<u64>,
    vectors: Vec<Arc<ClockVector>>,
}

impl PartialEq for RangeSet {
    fn eq(&self, other: &Self) -> bool {
        self.ends == other.ends
            && self.bytes == other.bytes
            && self
                .vectors
                .iter()
                .zip(&other.vectors)
                .all(|(a, b)| Arc::ptr_eq(a, b) || a == b)
    }
}

impl Eq for RangeSet {}

/// The first 8 bytes of `id`, zero-padded, as a big-endian number: `prefix(a) < prefix(b)`
/// implies `a < b`.
#[inline]
fn prefix(id: &[u8]) -> u64 {
    let mut bytes = [0; 8];
    let n = id.len().min(8);
    bytes[..n].copy_from_slice(&id[..n]);
    u64::from_be_bytes(bytes)
}

/// One piece of a walk over one or two maps: `[lower, upper)` (upper `None`: to the end).
pub(crate) struct Piece<'a> {
    pub lower: &'a [u8],
    pub upper: Option<&'a [u8]>,
}

impl RangeSet {
    /// `vector` for every ID of `format`.
    pub fn uniform(format: &IdFormat, vector: Arc<ClockVector>) -> Self {
        let mut out = Self::with_capacity(1, format.min_data());
        out.push(&format.min_id(), vector);
        out
    }

    fn with_capacity(segments: usize, id_len: usize) -> Self {
        Self {
            bytes: Vec::with_capacity(segments * id_len),
            ends: Vec::with_capacity(segments),
            prefixes: Vec::with_capacity(segments),
            vectors: Vec::with_capacity(segments),
        }
    }

    /// The map from segments in ascending order, the first at the smallest ID (the
    /// deserializer checks that).
    pub(crate) fn from_segments(
        segments: impl IntoIterator<Item = (Box<[u8]>, Arc<ClockVector>)>,
    ) -> Self {
        let mut out = Self::with_capacity(0, 0);
        for (lower, vector) in segments {
            out.push(&lower, vector);
        }
        out
    }

    /// The lower bound of segment `i`.
    #[inline]
    fn lower(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.bytes[start..self.ends[i] as usize]
    }

    /// The segments, in ID order.
    pub fn segments(&self) -> impl Iterator<Item = (&[u8], &Arc<ClockVector>)> {
        (0..self.len()).map(|i| (self.lower(i), &self.vectors[i]))
    }

    /// The segments as owned values.
    pub fn to_segments(&self) -> Vec<Segment> {
        self.segments()
            .map(|(lower, vector)| Segment {
                lower: lower.into(),
                vector: vector.clone(),
            })
            .collect()
    }

    /// The vectors of the segments, in ID order.
    /// The one vector of a set with one range (every ID), to change in place.
    pub(crate) fn single_vector_mut(&mut self) -> Option<&mut Arc<ClockVector>> {
        match self.vectors.as_mut_slice() {
            [only] => Some(only),
            _ => None,
        }
    }

    pub(crate) fn vectors(&self) -> impl Iterator<Item = &Arc<ClockVector>> {
        self.vectors.iter()
    }

    /// The vector of `id`.
    #[inline]
    pub fn at(&self, id: &[u8]) -> &Arc<ClockVector> {
        // A knowledge without range exceptions, the common case, has one segment.
        if let [only] = self.vectors.as_slice() {
            return only;
        }
        let key = prefix(id);
        let mut index = self.prefixes.partition_point(|&p| p < key);
        // Bounds with the same prefix: compare them whole.
        while index < self.len() && self.prefixes[index] == key && self.lower(index) <= id {
            index += 1;
        }
        // The first segment starts at the smallest ID, so `index >= 1` for every valid ID.
        &self.vectors[index.saturating_sub(1)]
    }

    /// The number of segments.
    pub fn len(&self) -> usize {
        self.vectors.len()
    }

    /// Never true: a map has at least one segment.
    pub fn is_empty(&self) -> bool {
        self.vectors.is_empty()
    }

    /// Whether every ID maps to the same vector.
    pub fn is_uniform(&self) -> bool {
        self.vectors.len() == 1
    }

    /// Appends a segment, merging it into the last one when their vectors are equal.
    #[inline]
    fn push(&mut self, lower: &[u8], vector: Arc<ClockVector>) {
        if let Some(last) = self.vectors.last()
            && (Arc::ptr_eq(last, &vector) || **last == *vector)
        {
            return;
        }
        self.bytes.extend_from_slice(lower);
        self.ends
            .push(u32::try_from(self.bytes.len()).unwrap_or(u32::MAX));
        self.prefixes.push(prefix(lower));
        self.vectors.push(vector);
    }

    /// The pointwise combination of two maps: `f(a(id), b(id))` for every ID, canonical.
    pub fn zip(
        a: &Self,
        b: &Self,
        mut f: impl FnMut(&Arc<ClockVector>, &Arc<ClockVector>) -> Arc<ClockVector>,
    ) -> Self {
        let mut out = Self::with_capacity(a.len() + b.len(), a.bytes.len() / a.len().max(1));
        Self::walk(a, b, |lower, _, va, vb| {
            out.push(lower, f(va, vb));
            true
        });
        out
    }

    /// Whether `pred` holds on every piece of the two maps' common refinement.
    pub(crate) fn all2(
        a: &Self,
        b: &Self,
        mut pred: impl FnMut(&Piece<'_>, &ClockVector, &ClockVector) -> bool,
    ) -> bool {
        Self::walk(a, b, |lower, upper, va, vb| {
            pred(&Piece { lower, upper }, va, vb)
        })
    }

    /// Visits the pieces of the two maps' common refinement in ID order, with each map's
    /// vector; stops when `visit` returns false. Returns whether it visited every piece.
    fn walk<'a>(
        a: &'a Self,
        b: &'a Self,
        mut visit: impl FnMut(
            &'a [u8],
            Option<&'a [u8]>,
            &'a Arc<ClockVector>,
            &'a Arc<ClockVector>,
        ) -> bool,
    ) -> bool {
        let (na, nb) = (a.len(), b.len());
        let (mut i, mut j) = (0, 0);
        let mut lower: &[u8] = a.lower(0);
        loop {
            // The next bound: the smaller of the two maps' next bounds (prefixes first).
            let (next, step_a, step_b) = match (i + 1 < na, j + 1 < nb) {
                (false, false) => (None, false, false),
                (true, false) => (Some(a.lower(i + 1)), true, false),
                (false, true) => (Some(b.lower(j + 1)), false, true),
                (true, true) => {
                    let (x, y) = (a.lower(i + 1), b.lower(j + 1));
                    let order = a.prefixes[i + 1]
                        .cmp(&b.prefixes[j + 1])
                        .then_with(|| x.cmp(y));
                    match order {
                        std::cmp::Ordering::Less => (Some(x), true, false),
                        std::cmp::Ordering::Greater => (Some(y), false, true),
                        std::cmp::Ordering::Equal => (Some(x), true, true),
                    }
                }
            };
            if !visit(lower, next, &a.vectors[i], &b.vectors[j]) {
                return false;
            }
            let Some(next) = next else {
                return true;
            };
            i += usize::from(step_a);
            j += usize::from(step_b);
            lower = next;
        }
    }

    /// The map with `inside` applied to the vectors of `[lower, upper)` (upper `None`: to the
    /// end) and `outside` to the rest.
    pub fn split_map(
        &self,
        format: &IdFormat,
        lower: &[u8],
        upper: Option<&[u8]>,
        mut inside: impl FnMut(&Arc<ClockVector>) -> Arc<ClockVector>,
        mut outside: impl FnMut(&Arc<ClockVector>) -> Arc<ClockVector>,
    ) -> Self {
        // A two- or three-segment mask: `yes` inside. Its vectors only mark the pieces.
        let (no, yes) = (Arc::new(ClockVector::new()), Arc::new(mark()));
        let min = format.min_id();
        let mut mask = Self::with_capacity(3, lower.len());
        if lower > min.as_ref() {
            mask.push(&min, no.clone());
        }
        mask.push(lower, yes.clone());
        if let Some(upper) = upper {
            mask.push(upper, no.clone());
        }
        Self::zip(self, &mask, |v, m| {
            if Arc::ptr_eq(m, &yes) {
                inside(v)
            } else {
                outside(v)
            }
        })
    }

    /// The map with every vector rewritten by `f` (pointwise), canonical.
    pub fn map(&self, mut f: impl FnMut(&Arc<ClockVector>) -> Arc<ClockVector>) -> Self {
        let mut out = Self::with_capacity(self.len(), self.bytes.len() / self.len().max(1));
        for i in 0..self.len() {
            out.push(self.lower(i), f(&self.vectors[i]));
        }
        out
    }

    /// The pieces `(lower, upper, vector)`, upper open (`None`: to the end).
    pub fn pieces(&self) -> impl Iterator<Item = (&[u8], Option<&[u8]>, &Arc<ClockVector>)> {
        (0..self.len()).map(|i| {
            (
                self.lower(i),
                (i + 1 < self.len()).then(|| self.lower(i + 1)),
                &self.vectors[i],
            )
        })
    }
}

/// A vector used only as a marker in masks.
fn mark() -> ClockVector {
    // Any non-empty vector: it only has to differ from the empty one.
    ClockVector::from_elements([(0, 0)]).unwrap_or_default()
}

/// Whether the piece `[lower, upper)` holds exactly one ID of `format`.
pub(crate) fn is_single(format: &IdFormat, lower: &[u8], upper: Option<&[u8]>) -> bool {
    format.successor(lower).as_deref() == upper
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(ticks: &[(u32, u64)]) -> Arc<ClockVector> {
        Arc::new(ClockVector::from_elements(ticks.iter().copied()).unwrap())
    }

    #[test]
    fn split_map_and_zip_stay_canonical() {
        let f = IdFormat::fixed(1);
        let base = RangeSet::uniform(&f, v(&[(0, 5)]));
        let raised = base.split_map(&f, &[10], Some(&[20]), |_| v(&[(0, 9)]), Clone::clone);
        assert_eq!(raised.len(), 3);
        assert_eq!(**raised.at(&[9]), *v(&[(0, 5)]));
        assert_eq!(**raised.at(&[10]), *v(&[(0, 9)]));
        assert_eq!(**raised.at(&[19]), *v(&[(0, 9)]));
        assert_eq!(**raised.at(&[20]), *v(&[(0, 5)]));
        // Raising the rest to the same vector merges everything back into one segment.
        let all = RangeSet::zip(&raised, &RangeSet::uniform(&f, v(&[(0, 9)])), |a, b| {
            Arc::new(a.union(b))
        });
        assert!(all.is_uniform());
        assert!(is_single(&f, &[7], Some(&[8])));
        assert!(!is_single(&f, &[7], Some(&[9])));
        assert!(is_single(&f, &[255], None));
    }

    #[test]
    fn lookups_compare_whole_bounds_when_prefixes_tie() {
        let f = IdFormat::fixed(10);
        let bound = |last: u8| {
            let mut id = [0u8; 10];
            id[9] = last;
            id
        };
        let r = RangeSet::uniform(&f, v(&[(0, 1)])).split_map(
            &f,
            &bound(5),
            Some(&bound(7)),
            |_| v(&[(0, 2)]),
            Clone::clone,
        );
        assert_eq!(**r.at(&bound(4)), *v(&[(0, 1)]));
        assert_eq!(**r.at(&bound(5)), *v(&[(0, 2)]));
        assert_eq!(**r.at(&bound(6)), *v(&[(0, 2)]));
        assert_eq!(**r.at(&bound(7)), *v(&[(0, 1)]));
    }
}
