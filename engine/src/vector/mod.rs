//! Versions (`SYNC_VERSION`) and clock vectors (`NN:winsync.IClockVector`).
//!
//! A version `(key, tick)` is contained in a clock vector when the vector has an element for
//! `key` whose tick `T` satisfies `tick ≤ T` (`NN:winsync.IClockVector`,
//! `NF:winsync.IClockVectorElement.GetTickCount`): an element is an upper bound, and a vector
//! is the set of versions it contains. A vector without an element for a replica contains none
//! of its versions, tick 0 included.
//!
//! # Representation
//! Slots indexed by replica key (keys are small: the index of the replica in the key map),
//! each holding `T + 1`, `0` for "no element" (so a tick of `u64::MAX` cannot be stored and is
//! refused). A vector is a shared dense **base** plus a short sorted **delta** of slots that
//! differ from it. The exceptions of a knowledge usually differ from its scope vector in a few
//! replicas, so they share the scope as their base and cost a few slots each, in memory and in
//! serialized form; operations on two vectors with the same base only touch the deltas. Bases
//! are interned process-wide: equal bases are one allocation, so "same base" is a pointer
//! comparison. Equality, hashing and every operation are on the effective slots, whatever the
//! bases.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use smallvec::SmallVec;

use crate::error::{Error, Result};
use crate::replica::ReplicaKey;

/// `SYNC_VERSION { dwLastUpdatingReplicaKey; ullTickCount; }` (`NS:winsync._SYNC_VERSION`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Version {
    /// The key, in the owning knowledge's key map, of the replica that made the change.
    pub replica_key: ReplicaKey,
    /// That replica's tick count when it made the change.
    pub tick: u64,
}

impl Version {
    /// `(replica_key, tick)`.
    pub const fn new(replica_key: ReplicaKey, tick: u64) -> Self {
        Self { replica_key, tick }
    }
}

/// Slots that differ from the base: `(key, slot)`, sorted by key, none equal to the base's.
type Delta = SmallVec<[(ReplicaKey, u64); 2]>;

/// A clock vector: per replica key, the highest tick covered (see the module docs).
#[derive(Clone)]
pub struct ClockVector {
    /// Dense slots (`T + 1`, 0 = no element), no trailing zeros; interned.
    base: Arc<[u64]>,
    delta: Delta,
}

impl Default for ClockVector {
    fn default() -> Self {
        Self::new()
    }
}

impl PartialEq for ClockVector {
    fn eq(&self, other: &Self) -> bool {
        if Arc::ptr_eq(&self.base, &other.base) {
            return self.delta == other.delta;
        }
        self.key_bound() == other.key_bound()
            && (0..self.key_bound()).all(|k| self.slot_at(k) == other.slot_at(k))
    }
}

impl Eq for ClockVector {}

impl std::hash::Hash for ClockVector {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        for k in 0..self.key_bound() {
            self.slot_at(k).hash(state);
        }
    }
}

impl std::fmt::Debug for ClockVector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.elements()).finish()
    }
}

/// Deltas longer than this (and than a quarter of the base) become a new base.
const MAX_DELTA: usize = 8;

impl ClockVector {
    /// The empty vector: contains no version.
    pub fn new() -> Self {
        Self {
            base: intern(Vec::new()),
            delta: Delta::new(),
        }
    }

    /// A vector from `(key, tick)` elements; a key given twice keeps the higher tick.
    ///
    /// # Errors
    /// [`Error::TickOutOfRange`] for a tick of `u64::MAX`; [`Error::InvalidArgument`] for a key
    /// that cannot index memory.
    pub fn from_elements(elements: impl IntoIterator<Item = (ReplicaKey, u64)>) -> Result<Self> {
        let mut slots = Vec::new();
        for (key, tick) in elements {
            let slot = tick.checked_add(1).ok_or(Error::TickOutOfRange(tick))?;
            let index = usize::try_from(key)
                .map_err(|_| Error::InvalidArgument(format!("replica key {key} is too large")))?;
            if index >= slots.len() {
                if index > (1 << 24) {
                    return Err(Error::InvalidArgument(format!(
                        "replica key {key} is too large"
                    )));
                }
                slots.resize(index + 1, 0);
            }
            slots[index] = slots[index].max(slot);
        }
        Ok(Self::from_slots(slots))
    }

    /// The vector of dense slots (`T + 1`, 0 = none), as a base of its own.
    pub(crate) fn from_slots(mut slots: Vec<u64>) -> Self {
        while slots.last() == Some(&0) {
            slots.pop();
        }
        Self {
            base: intern(slots),
            delta: Delta::new(),
        }
    }

    /// The slot of `key` (`T + 1`, 0 = none).
    #[inline]
    fn slot_at(&self, key: usize) -> u64 {
        if !self.delta.is_empty() {
            let k = ReplicaKey::try_from(key).unwrap_or(ReplicaKey::MAX);
            if let Ok(i) = self.delta.binary_search_by_key(&k, |&(d, _)| d) {
                return self.delta[i].1;
            }
        }
        self.base.get(key).copied().unwrap_or(0)
    }

    /// The number of slots that can be non-empty (highest key with an element, plus one).
    fn key_bound(&self) -> usize {
        let mut bound = self.base.len();
        // Deltas may empty the base's last slots or add slots past it.
        for &(key, slot) in self.delta.iter().rev() {
            let k = usize::try_from(key).unwrap_or(usize::MAX);
            if slot != 0 && k + 1 > bound {
                return k + 1;
            }
        }
        while bound > 0 && self.slot_at(bound - 1) == 0 {
            bound -= 1;
        }
        bound
    }

    /// The vector whose slots are `slots` (dense, from key 0; missing keys are empty),
    /// relative to `base`: every key where they differ, the base's own keys included, goes
    /// into the delta.
    fn with_slots(base: &Arc<[u64]>, slots: &[u64]) -> Self {
        let mut delta = Delta::new();
        for key in 0..slots.len().max(base.len()) {
            let slot = slots.get(key).copied().unwrap_or(0);
            if base.get(key).copied().unwrap_or(0) != slot {
                delta.push((ReplicaKey::try_from(key).unwrap_or(ReplicaKey::MAX), slot));
            }
        }
        let mut out = Self {
            base: base.clone(),
            delta,
        };
        out.settle();
        out
    }

    /// Turns a long delta into a new base.
    fn settle(&mut self) {
        if self.delta.len() > MAX_DELTA.max(self.base.len() / 4) {
            let bound = self.key_bound();
            let slots: Vec<u64> = (0..bound).map(|k| self.slot_at(k)).collect();
            *self = Self::from_slots(slots);
        }
    }

    /// The same vector expressed over `base` (an interned base, see
    /// [`ClockVector::interned`]) when it differs from it in few slots, else as it is.
    pub(crate) fn rebased(&self, base: &Arc<[u64]>) -> Self {
        if Arc::ptr_eq(&self.base, base) {
            return self.clone();
        }
        let bound = self.key_bound().max(base.len());
        let differing = (0..bound)
            .filter(|&k| self.slot_at(k) != base.get(k).copied().unwrap_or(0))
            .count();
        if differing > MAX_DELTA.max(base.len() / 4) {
            return self.clone();
        }
        let slots: Vec<u64> = (0..bound).map(|k| self.slot_at(k)).collect();
        Self::with_slots(base, &slots)
    }

    /// This vector as a base of its own (dense, interned): the base to rebase others on.
    pub(crate) fn interned(&self) -> Arc<[u64]> {
        if self.delta.is_empty() {
            return self.base.clone();
        }
        intern((0..self.key_bound()).map(|k| self.slot_at(k)).collect())
    }

    /// Raises the element of `key` to at least `tick` (adding it when missing).
    ///
    /// # Errors
    /// As [`ClockVector::from_elements`].
    pub fn raise(&mut self, key: ReplicaKey, tick: u64) -> Result<()> {
        let raise = Self::from_elements([(key, tick)])?;
        *self = self.union(&raise);
        Ok(())
    }

    /// Raises the element of `key` to at least `tick` in place, as a change of the delta (no
    /// new base): the cheap path for a replica recording its own changes one by one.
    ///
    /// # Errors
    /// [`Error::TickOutOfRange`] for `u64::MAX`.
    pub(crate) fn raise_in_place(&mut self, key: ReplicaKey, tick: u64) -> Result<()> {
        let slot = tick.checked_add(1).ok_or(Error::TickOutOfRange(tick))?;
        let index =
            usize::try_from(key).map_err(|_| Error::InvalidArgument("replica key".into()))?;
        if self.slot_at(index) >= slot {
            return Ok(());
        }
        let in_base = self.base.get(index).copied().unwrap_or(0);
        match self.delta.binary_search_by_key(&key, |&(d, _)| d) {
            Ok(i) if in_base == slot => {
                self.delta.remove(i);
            }
            Ok(i) => self.delta[i].1 = slot,
            Err(_) if in_base == slot => {}
            Err(i) => self.delta.insert(i, (key, slot)),
        }
        self.settle();
        Ok(())
    }

    /// The element's tick for `key`, `None` when the vector has no element for it.
    pub fn get(&self, key: ReplicaKey) -> Option<u64> {
        self.slot_at(usize::try_from(key).ok()?).checked_sub(1)
    }

    /// Whether the vector contains `version`.
    #[inline]
    pub fn contains(&self, version: Version) -> bool {
        usize::try_from(version.replica_key).is_ok_and(|key| version.tick < self.slot_at(key))
    }

    /// The keys where either vector may differ from its base: the merged deltas (same base) or
    /// every key (different bases).
    fn visit_pairs(&self, other: &Self, mut f: impl FnMut(usize, u64, u64) -> bool) -> bool {
        if Arc::ptr_eq(&self.base, &other.base) {
            let (a, b) = (&self.delta, &other.delta);
            let (mut i, mut j) = (0, 0);
            while i < a.len() || j < b.len() {
                let ka = a.get(i).map_or(ReplicaKey::MAX, |d| d.0);
                let kb = b.get(j).map_or(ReplicaKey::MAX, |d| d.0);
                let key = ka.min(kb);
                let base = self.base.get(key as usize).copied().unwrap_or(0);
                let sa = if ka == key {
                    i += 1;
                    a[i - 1].1
                } else {
                    base
                };
                let sb = if kb == key {
                    j += 1;
                    b[j - 1].1
                } else {
                    base
                };
                if !f(key as usize, sa, sb) {
                    return false;
                }
            }
            return true;
        }
        let bound = self.key_bound().max(other.key_bound());
        (0..bound).all(|k| f(k, self.slot_at(k), other.slot_at(k)))
    }

    /// Whether every version of `other` is in `self`.
    #[inline]
    pub fn contains_vector(&self, other: &Self) -> bool {
        if Arc::ptr_eq(&self.base, &other.base) {
            // Where neither delta has an entry, both are the base: only the deltas matter.
            return other
                .delta
                .iter()
                .all(|&(k, b)| b <= self.slot_at(k as usize))
                && self.delta.iter().all(|&(k, a)| {
                    a >= self.base.get(k as usize).copied().unwrap_or(0)
                        || other.slot_at(k as usize) <= a
                });
        }
        self.visit_pairs(other, |_, a, b| b <= a)
    }

    /// Elementwise maximum: every version of either.
    pub fn union(&self, other: &Self) -> Self {
        self.combine(other, u64::max)
    }

    /// Elementwise minimum: the versions both contain.
    pub fn meet(&self, other: &Self) -> Self {
        self.combine(other, u64::min)
    }

    fn combine(&self, other: &Self, f: impl Fn(u64, u64) -> u64) -> Self {
        if Arc::ptr_eq(&self.base, &other.base) {
            let mut slots: SmallVec<[(usize, u64); 4]> = SmallVec::new();
            self.visit_pairs(other, |k, a, b| {
                slots.push((k, f(a, b)));
                true
            });
            let mut out = Self {
                base: self.base.clone(),
                delta: slots
                    .into_iter()
                    .filter(|&(k, s)| self.base.get(k).copied().unwrap_or(0) != s)
                    .map(|(k, s)| (ReplicaKey::try_from(k).unwrap_or(ReplicaKey::MAX), s))
                    .collect(),
            };
            out.settle();
            return out;
        }
        // Different bases: the result is relative to the base it differs least from.
        let bound = self.key_bound().max(other.key_bound());
        let slots: Vec<u64> = (0..bound)
            .map(|k| f(self.slot_at(k), other.slot_at(k)))
            .collect();
        let differs = |base: &Arc<[u64]>| {
            (0..bound.max(base.len()))
                .filter(|&k| {
                    base.get(k).copied().unwrap_or(0) != slots.get(k).copied().unwrap_or(0)
                })
                .count()
        };
        let base = if differs(&self.base) <= differs(&other.base) {
            &self.base
        } else {
            &other.base
        };
        Self::with_slots(base, &slots)
    }

    /// Whether the two share a version (an element for the same replica in both).
    pub fn intersects(&self, other: &Self) -> bool {
        let bound = self.key_bound().min(other.key_bound());
        (0..bound).any(|k| self.slot_at(k) != 0 && other.slot_at(k) != 0)
    }

    /// Whether the vector contains no version.
    pub fn is_empty(&self) -> bool {
        self.key_bound() == 0
    }

    /// The elements `(key, tick)`, in key order.
    pub fn elements(&self) -> impl Iterator<Item = (ReplicaKey, u64)> + '_ {
        (0..self.key_bound()).filter_map(|k| {
            let slot = self.slot_at(k);
            (slot != 0).then(|| (ReplicaKey::try_from(k).unwrap_or(ReplicaKey::MAX), slot - 1))
        })
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.elements().count()
    }

    /// The vector with its keys rewritten through `table` (old key → new key).
    ///
    /// # Errors
    /// [`Error::ReplicaNotFound`] for a key the table lacks.
    pub fn translate(&self, table: &[ReplicaKey]) -> Result<Self> {
        let mut elements = Vec::new();
        for (key, tick) in self.elements() {
            let new = usize::try_from(key)
                .ok()
                .and_then(|index| table.get(index))
                .ok_or_else(|| Error::ReplicaNotFound(format!("key {key}")))?;
            elements.push((*new, tick));
        }
        Self::from_elements(elements)
    }

    /// The dense slots (`T + 1`, 0 = none), no trailing zeros.
    pub(crate) fn dense(&self) -> Vec<u64> {
        (0..self.key_bound()).map(|k| self.slot_at(k)).collect()
    }

    /// The slots `(key, slot)` where this vector differs from the dense `base`, ascending: its
    /// canonical delta against a base, for the serializer.
    pub(crate) fn delta_against(&self, base: &[u64]) -> Vec<(ReplicaKey, u64)> {
        (0..self.key_bound().max(base.len()))
            .filter_map(|k| {
                let slot = self.slot_at(k);
                (slot != base.get(k).copied().unwrap_or(0))
                    .then(|| (ReplicaKey::try_from(k).unwrap_or(ReplicaKey::MAX), slot))
            })
            .collect()
    }

    /// Whether `self` contains `other` and whether `other` contains `self`, in one pass.
    #[inline]
    pub(crate) fn order(&self, other: &Self) -> (bool, bool) {
        if Arc::ptr_eq(&self.base, &other.base) {
            let (mut ge, mut le) = (true, true);
            self.visit_pairs(other, |_, a, b| {
                ge &= b <= a;
                le &= a <= b;
                ge || le
            });
            return (ge, le);
        }
        (self.contains_vector(other), other.contains_vector(self))
    }

    /// A vector from a base and a delta read back by the deserializer; `None` when the delta
    /// is not sorted, repeats a key, or holds a slot equal to the base's.
    pub(crate) fn from_parts(base: &Arc<[u64]>, delta: &[(ReplicaKey, u64)]) -> Option<Self> {
        let sorted = delta.windows(2).all(|w| w[0].0 < w[1].0);
        let differs = delta
            .iter()
            .all(|&(k, s)| base.get(k as usize).copied().unwrap_or(0) != s);
        (sorted && differs).then(|| {
            let mut v = Self {
                base: base.clone(),
                delta: delta.iter().copied().collect(),
            };
            v.settle();
            v
        })
    }

    /// An interned base of dense slots (for the deserializer); `None` with a trailing 0.
    pub(crate) fn base_of(slots: Vec<u64>) -> Option<Arc<[u64]>> {
        (slots.last() != Some(&0)).then(|| intern(slots))
    }
}

/// The process-wide interner of bases: equal dense slots share one allocation.
fn intern(slots: Vec<u64>) -> Arc<[u64]> {
    type Bases = HashMap<Box<[u64]>, Weak<[u64]>>;
    static BASES: Mutex<Option<Bases>> = Mutex::new(None);
    let mut guard = BASES.lock().unwrap_or_else(PoisonError::into_inner);
    let bases = guard.get_or_insert_with(HashMap::new);
    if let Some(live) = bases.get(slots.as_slice()).and_then(Weak::upgrade) {
        return live;
    }
    if bases.len() >= 1024 && bases.len().is_power_of_two() {
        bases.retain(|_, weak| weak.strong_count() > 0);
    }
    let base: Arc<[u64]> = Arc::from(slots.as_slice());
    bases.insert(slots.into_boxed_slice(), Arc::downgrade(&base));
    base
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod rebase_tests;
