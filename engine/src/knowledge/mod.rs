//! Knowledge (`NN:winsync.ISyncKnowledge`): what a replica knows, as a clock vector for every
//! (item, change unit).
//!
//! # Model
//! A knowledge is owned by one replica and carries its [`ReplicaKeyMap`]. Its content is a map
//! from every point (item ID, change-unit ID) to a [`ClockVector`], stored in three layers, the
//! most specific first:
//!
//! 1. change-unit exceptions: `(item, change unit) → vector`;
//! 2. named columns: a change-unit ID → a [`RangeSet`] over items (Sync Framework 2.0's core
//!    fragments with columns, `NN:winsync.ICoreFragment`), for knowledge projected onto a
//!    column set;
//! 3. the default range set, for every other change unit: the scope vector, range exceptions
//!    and single-item exceptions of the pages, as one piecewise-constant map over item IDs.
//!
//! Every operation of `ISyncKnowledge` / `ISyncKnowledge2` is defined point by point on that
//! map (union: the elementwise maximum; containment: at every point; projections: keep some
//! points, forget the rest), which is what the property tests check against an explicit model.
//!
//! # Canonical form
//! After every operation the layers are minimal: adjacent ranges with equal vectors are one
//! range, a named column equal to the default is dropped, a change-unit exception equal to what
//! its column says is dropped, and a column range that change-unit exceptions cover entirely
//! takes its neighbour's vector. So equal knowledge in one key space is equal data and equal
//! bytes, and after complete synchronizations the knowledge is one clock vector with no
//! exceptions (the "concise version vectors" of Malkhi & Terry's WinFS work). (Assumed: the
//! change units of one item are never all exceptions of the default layer; a change-unit ID
//! space of a few bytes makes that unreachable in practice.)
//!
//! # Key spaces
//! Operations on two knowledges align their key maps by replica ID first (a map that is a
//! prefix of the other needs no work), so knowledge from another replica can be combined after
//! or without [`Knowledge::map_remote_to_local`]; the result uses the receiver's map, extended.

mod algebra;
mod inspect;

use std::collections::BTreeMap;
use std::sync::Arc;

pub use inspect::{ChangeUnitException, Fragment, RangeException, SingleItemException};

use crate::error::{Error, Result};
use crate::id::IdFormats;
use crate::ranges::RangeSet;
use crate::replica::{ReplicaKey, ReplicaKeyMap};
use crate::vector::{ClockVector, Version};

/// `SYNC_SERIALIZATION_VERSION_V1` (1): Sync Framework 1.0's level.
pub const SERIALIZATION_V1: u32 = 1;
/// `SYNC_SERIALIZATION_VERSION_V2` (4): Sync Framework 2.0's level (core fragments, columns).
pub const SERIALIZATION_V2: u32 = 4;
/// `SYNC_SERIALIZATION_VERSION_V3` (5).
pub const SERIALIZATION_V3: u32 = 5;

/// A piece of a range set, owned: lower bound, upper bound (open; `None`: to the end), vector.
type OwnedPiece = (Box<[u8]>, Option<Box<[u8]>>, Arc<ClockVector>);

/// Change-unit exceptions: item ID → change-unit ID → vector.
pub(crate) type Units = BTreeMap<Box<[u8]>, BTreeMap<Box<[u8]>, Arc<ClockVector>>>;

/// A range exception as [`Knowledge::from_parts`] takes it: the first and last item IDs of the
/// closed range, and its vector.
pub type RangePart = (Box<[u8]>, Box<[u8]>, ClockVector);

/// A change-unit exception as [`Knowledge::from_parts`] takes it: the item ID, the change-unit
/// ID, and its vector.
pub type UnitPart = (Box<[u8]>, Box<[u8]>, ClockVector);

/// Knowledge (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Knowledge {
    pub(crate) formats: IdFormats,
    pub(crate) owner: Box<[u8]>,
    pub(crate) keys: Arc<ReplicaKeyMap>,
    pub(crate) default: RangeSet,
    pub(crate) columns: BTreeMap<Box<[u8]>, RangeSet>,
    pub(crate) units: Units,
}

impl Knowledge {
    /// Empty knowledge (it contains no change) owned by `owner`, whose key is 0.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a bad format; [`Error::IdFormatMismatch`] for an owner ID
    /// not of the replica format.
    pub fn new(formats: IdFormats, owner: &[u8]) -> Result<Self> {
        formats.validate()?;
        formats.check_replica(owner)?;
        let mut keys = ReplicaKeyMap::new();
        keys.find_or_add(owner)?;
        Ok(Self {
            default: RangeSet::uniform(&formats.item, Arc::new(ClockVector::new())),
            formats,
            owner: owner.into(),
            keys: Arc::new(keys),
            columns: BTreeMap::new(),
            units: BTreeMap::new(),
        })
    }

    /// Knowledge from its presentation (what `ISyncKnowledge`'s inspection methods show): a
    /// scope vector, range exceptions `[start, end]`, single-item exceptions and change-unit
    /// exceptions, each overriding what is less specific (change unit over item over range
    /// over scope), in `key_map`'s key space. The way to read knowledge another
    /// implementation made, through its interfaces.
    ///
    /// # Errors
    /// [`Error::IdFormatMismatch`] for an ID not of its format (the owner included, which must
    /// be in `key_map`: [`Error::ReplicaNotFound`] otherwise); [`Error::InvalidArgument`] for a
    /// range whose start is above its end; [`Error::ReplicaNotFound`] for a vector key the map
    /// lacks.
    #[allow(clippy::too_many_arguments)]
    pub fn from_parts(
        formats: IdFormats,
        owner: &[u8],
        key_map: ReplicaKeyMap,
        scope: ClockVector,
        ranges: &[RangePart],
        items: &[(Box<[u8]>, ClockVector)],
        units: &[UnitPart],
    ) -> Result<Self> {
        formats.validate()?;
        formats.check_replica(owner)?;
        key_map.key_of(owner)?;
        let check_keys = |v: &ClockVector| -> Result<()> {
            for (key, _) in v.elements() {
                key_map.id_of(key)?;
            }
            Ok(())
        };
        check_keys(&scope)?;
        let format = formats.item;
        let mut default = RangeSet::uniform(&format, Arc::new(scope));
        let set = |default: &mut RangeSet,
                   lower: &[u8],
                   upper: &[u8],
                   vector: &ClockVector|
         -> Result<()> {
            formats.check_item(lower)?;
            formats.check_item(upper)?;
            if lower > upper {
                return Err(Error::InvalidArgument(
                    "a range exception's start is above its end".into(),
                ));
            }
            check_keys(vector)?;
            let end = format.successor(upper);
            let vector = Arc::new(vector.clone());
            *default = default.split_map(
                &format,
                lower,
                end.as_deref(),
                |_| vector.clone(),
                Clone::clone,
            );
            Ok(())
        };
        for (start, end, vector) in ranges {
            set(&mut default, start, end, vector)?;
        }
        for (item, vector) in items {
            set(&mut default, item, item, vector)?;
        }
        let mut unit_map = Units::new();
        for (item, unit, vector) in units {
            formats.check_item(item)?;
            formats.check_change_unit(unit)?;
            check_keys(vector)?;
            unit_map
                .entry(item.clone())
                .or_default()
                .insert(unit.clone(), Arc::new(vector.clone()));
        }
        let mut knowledge = Self {
            formats,
            owner: owner.into(),
            keys: Arc::new(key_map),
            default,
            columns: BTreeMap::new(),
            units: unit_map,
        };
        knowledge.canonicalize();
        Ok(knowledge)
    }

    /// Knowledge that knows nothing, of this knowledge's owner and formats, in its key space
    /// (so unions with projections of it align without copying a key map).
    pub fn emptied(&self) -> Self {
        Self {
            formats: self.formats,
            owner: self.owner.clone(),
            keys: self.keys.clone(),
            default: RangeSet::uniform(&self.formats.item, Arc::new(ClockVector::new())),
            columns: BTreeMap::new(),
            units: Units::new(),
        }
    }

    /// The ID formats.
    pub fn formats(&self) -> &IdFormats {
        &self.formats
    }

    /// The owner replica's ID (`NF:winsync.ISyncKnowledge.GetOwnerReplicaId`).
    pub fn owner(&self) -> &[u8] {
        &self.owner
    }

    /// The owner's key (0 unless the knowledge was re-keyed into another map).
    pub fn owner_key(&self) -> ReplicaKey {
        // The owner is always in the map: added at creation (key 0, where it usually stays),
        // kept by every operation.
        if self.keys.id_of(0).is_ok_and(|id| *id == *self.owner) {
            return 0;
        }
        self.keys.key_of(&self.owner).unwrap_or(0)
    }

    /// The replica key map (`NF:winsync.ISyncKnowledge.GetReplicaKeyMap`).
    pub fn key_map(&self) -> &ReplicaKeyMap {
        &self.keys
    }

    /// The key of `replica`, adding it to the map when new
    /// (`NF:winsync.IConstructReplicaKeyMap.FindOrAddReplica`).
    ///
    /// # Errors
    /// [`Error::IdFormatMismatch`]; [`Error::InvalidArgument`] when the map is full.
    pub fn find_or_add_replica(&mut self, replica: &[u8]) -> Result<ReplicaKey> {
        self.formats.check_replica(replica)?;
        if let Ok(key) = self.keys.key_of(replica) {
            return Ok(key);
        }
        Arc::make_mut(&mut self.keys).find_or_add(replica)
    }

    /// The vector of a point: a change unit of an item (`Some`), or the default layer of the
    /// item (`None`: what applies to change units without an exception or column).
    pub fn vector(&self, item: &[u8], unit: Option<&[u8]>) -> &ClockVector {
        match unit {
            None => self.default.at(item),
            Some(unit) => self
                .units
                .get(item)
                .and_then(|units| units.get(unit))
                .map(AsRef::as_ref)
                .unwrap_or_else(|| self.column(unit).at(item)),
        }
    }

    /// The range set of a change unit's column: the named column, or the default.
    pub(crate) fn column(&self, unit: &[u8]) -> &RangeSet {
        self.columns.get(unit).unwrap_or(&self.default)
    }

    /// Whether the change of `item` with `version` is known
    /// (`NF:winsync.ISyncKnowledge.ContainsChange`). An item-level change is known when every
    /// change unit of the item knows it: the default layer, every named column and every
    /// change-unit exception of the item contain the version.
    ///
    /// # Errors
    /// [`Error::IdFormatMismatch`] for an item ID not of the item format.
    #[inline]
    pub fn contains_change(&self, item: &[u8], version: Version) -> Result<bool> {
        self.formats.check_item(item)?;
        Ok(self.default.at(item).contains(version)
            && (self.columns.is_empty()
                || self.columns.values().all(|r| r.at(item).contains(version)))
            && (self.units.is_empty()
                || self.unit_exceptions_of(item).all(|v| v.contains(version))))
    }

    /// Whether the change of one change unit with `version` is known
    /// (`NF:winsync.ISyncKnowledge.ContainsChangeUnit`).
    ///
    /// # Errors
    /// [`Error::IdFormatMismatch`] for an item or change-unit ID not of its format.
    pub fn contains_change_unit(&self, item: &[u8], unit: &[u8], version: Version) -> Result<bool> {
        self.formats.check_item(item)?;
        self.formats.check_change_unit(unit)?;
        Ok(self.vector(item, Some(unit)).contains(version))
    }

    /// The vectors of `item`'s change-unit exceptions.
    fn unit_exceptions_of<'a>(&'a self, item: &[u8]) -> impl Iterator<Item = &'a ClockVector> + 'a {
        self.units
            .get(item)
            .into_iter()
            .flat_map(|units| units.values().map(AsRef::as_ref))
    }

    /// Every change-unit exception `(item, change unit, vector)`, in (item, change unit) order.
    pub(crate) fn unit_entries(&self) -> impl Iterator<Item = (&[u8], &[u8], &Arc<ClockVector>)> {
        self.units.iter().flat_map(|(item, units)| {
            units
                .iter()
                .map(move |(unit, v)| (item.as_ref(), unit.as_ref(), v))
        })
    }

    /// Whether `(item, unit)` has a change-unit exception.
    pub(crate) fn has_unit(&self, item: &[u8], unit: &[u8]) -> bool {
        self.units
            .get(item)
            .is_some_and(|units| units.contains_key(unit))
    }

    /// The clock vector that governs an item's default layer
    /// (`NF:winsync.ISyncKnowledge.FindClockVectorForItem`).
    ///
    /// # Errors
    /// [`Error::IdFormatMismatch`].
    pub fn clock_vector_for_item(&self, item: &[u8]) -> Result<&ClockVector> {
        self.formats.check_item(item)?;
        Ok(self.vector(item, None))
    }

    /// The clock vector that governs a change unit
    /// (`NF:winsync.ISyncKnowledge.FindClockVectorForChangeUnit`).
    ///
    /// # Errors
    /// [`Error::IdFormatMismatch`].
    pub fn clock_vector_for_change_unit(&self, item: &[u8], unit: &[u8]) -> Result<&ClockVector> {
        self.formats.check_item(item)?;
        self.formats.check_change_unit(unit)?;
        Ok(self.vector(item, Some(unit)))
    }

    /// The smallest tick any vector of this knowledge holds for `replica`, 0 when some vector
    /// has no element for it (`NF:winsync.ISyncKnowledge.FindMinTickCountForReplica`).
    ///
    /// # Errors
    /// [`Error::IdFormatMismatch`]; [`Error::ReplicaNotFound`] for a replica the key map lacks.
    pub fn min_tick_for_replica(&self, replica: &[u8]) -> Result<u64> {
        self.formats.check_replica(replica)?;
        let key = self.keys.key_of(replica)?;
        Ok(self
            .all_vectors()
            .map(|v| v.get(key).unwrap_or(0))
            .min()
            .unwrap_or(0))
    }

    /// Every vector stored, in no particular order.
    pub(crate) fn all_vectors(&self) -> impl Iterator<Item = &ClockVector> {
        self.default
            .vectors()
            .chain(self.columns.values().flat_map(RangeSet::vectors))
            .map(AsRef::as_ref)
            .chain(
                self.units
                    .values()
                    .flat_map(|u| u.values())
                    .map(AsRef::as_ref),
            )
    }

    /// Records that the owner replica's tick count is now `tick`: the owner's element becomes at
    /// least `tick` in every vector, so the knowledge contains every local change up to it
    /// (`NF:winsync.ISyncKnowledge.SetLocalTickCount`). Knowledge never decreases: a lower
    /// tick than known changes nothing.
    ///
    /// # Errors
    /// [`Error::TickOutOfRange`] for `u64::MAX`.
    pub fn set_local_tick_count(&mut self, tick: u64) -> Result<()> {
        self.learn_key(self.owner_key(), tick)
    }

    /// Records one new local change: the owner's next tick (one above the highest tick any
    /// vector holds for the owner, 1 for a replica that made nothing yet), learned as with
    /// [`Knowledge::set_local_tick_count`]. Returns the change's version: the owner's key and
    /// that tick, the `SYNC_VERSION` a provider stores as the item's change version
    /// (`NS:winsync._SYNC_VERSION`).
    ///
    /// # Errors
    /// [`Error::TickOutOfRange`] when the owner's tick is already `u64::MAX - 1`.
    pub fn record_local_change(&mut self) -> Result<Version> {
        let key = self.owner_key();
        let highest = self
            .all_vectors()
            .filter_map(|v| v.get(key))
            .max()
            .unwrap_or(0);
        let tick = highest
            .checked_add(1)
            .filter(|&t| t != u64::MAX)
            .ok_or(Error::TickOutOfRange(highest))?;
        self.set_local_tick_count(tick)?;
        Ok(Version::new(key, tick))
    }

    /// Learns every change of `replica` up to `tick`, for every item and change unit: what a
    /// replica knows of its own changes after making them (see also
    /// [`Knowledge::set_local_tick_count`]), or of another replica's after a complete
    /// synchronization with it. The replica is added to the key map when new.
    ///
    /// # Errors
    /// [`Error::IdFormatMismatch`]; [`Error::TickOutOfRange`].
    pub fn learn(&mut self, replica: &[u8], tick: u64) -> Result<()> {
        let key = self.find_or_add_replica(replica)?;
        self.learn_key(key, tick)
    }

    /// [`Knowledge::learn`] for a replica already in the key map.
    fn learn_key(&mut self, key: ReplicaKey, tick: u64) -> Result<()> {
        if self.columns.is_empty()
            && self.units.is_empty()
            && let Some(vector) = self.default.single_vector_mut()
        {
            // One clock vector: raised where it is (the usual knowledge of a replica recording
            // its own changes; the general path rebuilds the knowledge).
            return Arc::make_mut(vector).raise_in_place(key, tick);
        }
        let raise = Arc::new(ClockVector::from_elements([(key, tick)])?);
        *self = self.raised(&raise);
        Ok(())
    }

    /// Every vector raised to `raise` (their union), over the raised scope as the shared base,
    /// canonical.
    pub(crate) fn raised(&self, raise: &ClockVector) -> Self {
        let scope = self
            .default
            .vectors()
            .next()
            .map_or_else(ClockVector::new, |v| (**v).clone());
        let base = scope.union(raise).interned();
        let mut done: Vec<(*const ClockVector, Arc<ClockVector>)> = Vec::new();
        let mut raised = self.map_vectors(|v| {
            if let Some((_, r)) = done.iter().find(|(p, _)| *p == Arc::as_ptr(v)) {
                return r.clone();
            }
            let r = Arc::new(v.union(raise).rebased(&base));
            if done.len() < 64 {
                done.push((Arc::as_ptr(v), r.clone()));
            }
            r
        });
        raised.canonicalize();
        raised
    }

    /// The knowledge with every vector rewritten by `f` (pointwise), not canonicalized.
    pub(crate) fn map_vectors(
        &self,
        mut f: impl FnMut(&Arc<ClockVector>) -> Arc<ClockVector>,
    ) -> Self {
        Self {
            formats: self.formats,
            owner: self.owner.clone(),
            keys: self.keys.clone(),
            default: self.default.map(&mut f),
            columns: self
                .columns
                .iter()
                .map(|(c, r)| (c.clone(), r.map(&mut f)))
                .collect(),
            units: self
                .units
                .iter()
                .map(|(item, units)| {
                    (
                        item.clone(),
                        units.iter().map(|(unit, v)| (unit.clone(), f(v))).collect(),
                    )
                })
                .collect(),
        }
    }

    /// The knowledge of one replica, re-keyed into `self`'s key map (extended with the replicas
    /// it lacks), owned by `self`'s owner (`NF:winsync.ISyncKnowledge.MapRemoteToLocal`).
    ///
    /// # Errors
    /// [`Error::FormatsDiffer`] when the ID formats differ.
    pub fn map_remote_to_local(&self, remote: &Self) -> Result<Self> {
        self.same_formats(remote)?;
        let mut keys = (*self.keys).clone();
        let table = keys.absorb(&remote.keys)?;
        let mut mapped = remote.rekeyed(Arc::new(keys), &table)?;
        mapped.owner = self.owner.clone();
        Ok(mapped)
    }

    /// `remote`'s `version`, owned by the replica `remote` belongs to, in `self`'s key space
    /// (the replica added to `self`'s key map when new; `NF:winsync.ISyncKnowledge.ConvertVersion`).
    ///
    /// # Errors
    /// [`Error::ReplicaNotFound`] for a key `remote`'s map lacks.
    pub fn convert_version(&mut self, remote: &Self, version: Version) -> Result<Version> {
        let replica = remote.keys.id_of(version.replica_key)?.to_vec();
        let key = self.find_or_add_replica(&replica)?;
        Ok(Version::new(key, version.tick))
    }

    /// `self` with its vectors rewritten through `table` (old key → new key) into `keys`.
    pub(crate) fn rekeyed(&self, keys: Arc<ReplicaKeyMap>, table: &[ReplicaKey]) -> Result<Self> {
        let mut failed = None;
        let mut out = self.map_vectors(|v| match v.translate(table) {
            Ok(t) => Arc::new(t),
            Err(e) => {
                failed.get_or_insert(e);
                v.clone()
            }
        });
        if let Some(error) = failed {
            return Err(error);
        }
        out.keys = keys;
        out.canonicalize();
        Ok(out)
    }

    /// Checks that `other` uses the same ID formats.
    ///
    /// # Errors
    /// [`Error::FormatsDiffer`].
    pub(crate) fn same_formats(&self, other: &Self) -> Result<()> {
        if self.formats == other.formats {
            Ok(())
        } else {
            Err(Error::FormatsDiffer(format!(
                "{:?} against {:?}",
                self.formats, other.formats
            )))
        }
    }

    /// Brings the layers to canonical form (see the module docs).
    pub(crate) fn canonicalize(&mut self) {
        loop {
            let default = &self.default;
            self.columns.retain(|_, r| r != default);
            let (columns, default) = (&self.columns, &self.default);
            self.units.retain(|item, units| {
                units.retain(|unit, v| **v != **columns.get(unit).unwrap_or(default).at(item));
                !units.is_empty()
            });
            if !self.normalize_overridden_columns() {
                return;
            }
        }
    }

    /// In every named column, gives the ranges that change-unit exceptions cover entirely the
    /// vector of their left neighbour (right for the first), so that what no point can see is
    /// not stored. Returns whether anything changed.
    fn normalize_overridden_columns(&mut self) -> bool {
        let format = self.formats.item;
        let mut changed = false;
        let names: Vec<Box<[u8]>> = self.columns.keys().cloned().collect();
        for name in names {
            let Some(column) = self.columns.get(&name) else {
                continue;
            };
            let pieces: Vec<OwnedPiece> = column
                .pieces()
                .map(|(l, u, v)| (l.into(), u.map(Into::into), v.clone()))
                .collect();
            let covered = |lower: &[u8], upper: Option<&[u8]>| {
                let mut id: Box<[u8]> = lower.into();
                loop {
                    if !self.has_unit(&id, &name) {
                        return false;
                    }
                    match format.successor(&id) {
                        None => return upper.is_none(),
                        Some(next) if Some(next.as_ref()) == upper => return true,
                        Some(next) => id = next,
                    }
                }
            };
            let hidden: Vec<usize> = (0..pieces.len())
                .filter(|&i| covered(&pieces[i].0, pieces[i].1.as_deref()))
                .collect();
            if hidden.is_empty() || hidden.len() == pieces.len() {
                continue;
            }
            let mut segments = pieces.clone();
            for &i in &hidden {
                let neighbour = if i > 0 { i - 1 } else { i + 1 };
                segments[i].2 = segments[neighbour].2.clone();
            }
            let rebuilt = RangeSet::from_segments(
                segments
                    .into_iter()
                    .map(|(lower, _, vector)| (lower, vector)),
            );
            if rebuilt != self.columns[&name] {
                self.columns.insert(name, rebuilt);
                changed = true;
            }
        }
        changed
    }
}

#[cfg(test)]
mod tests;
