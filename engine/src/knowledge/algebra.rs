//! The operations of `ISyncKnowledge` and `ISyncKnowledge2`, point by point.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::Arc;

use super::{Knowledge, Units};
use crate::error::{Error, Result};
use crate::ranges::{Piece, RangeSet};
use crate::replica::ReplicaKeyMap;
use crate::vector::ClockVector;

/// Two knowledges in one key space (see [`Knowledge::aligned`]).
pub(crate) struct Aligned<'a> {
    pub(crate) a: Cow<'a, Knowledge>,
    pub(crate) b: Cow<'a, Knowledge>,
    pub(crate) keys: Arc<ReplicaKeyMap>,
}

impl Knowledge {
    /// The vector of a point, as stored (see [`Knowledge::vector`]).
    pub(crate) fn vector_arc(&self, item: &[u8], unit: &[u8]) -> &Arc<ClockVector> {
        self.units
            .get(item)
            .and_then(|units| units.get(unit))
            .unwrap_or_else(|| self.column(unit).at(item))
    }

    /// `self` and `other` in one key space, and the key map of that space: `self`'s map,
    /// extended with `other`'s replicas. Nothing is copied when one map extends the other.
    pub(crate) fn aligned<'a>(&'a self, other: &'a Self) -> Result<Aligned<'a>> {
        self.same_formats(other)?;
        if Arc::ptr_eq(&self.keys, &other.keys) || other.keys.is_prefix_of(&self.keys) {
            return Ok(Aligned {
                a: Cow::Borrowed(self),
                b: Cow::Borrowed(other),
                keys: self.keys.clone(),
            });
        }
        if self.keys.is_prefix_of(&other.keys) {
            return Ok(Aligned {
                a: Cow::Borrowed(self),
                b: Cow::Borrowed(other),
                keys: other.keys.clone(),
            });
        }
        let mut keys = (*self.keys).clone();
        let table = keys.absorb(&other.keys)?;
        let keys = Arc::new(keys);
        Ok(Aligned {
            a: Cow::Borrowed(self),
            b: Cow::Owned(other.rekeyed(keys.clone(), &table)?),
            keys,
        })
    }

    /// `self` over `keys`, a map that extends `self`'s (same keys for the replicas it holds).
    fn with_keys(&self, keys: Arc<ReplicaKeyMap>) -> Self {
        let mut out = self.clone();
        out.keys = keys;
        out
    }

    /// `self` in the key map `target`, which holds every replica of `self`'s map.
    pub(crate) fn rekey_into(&self, target: &Arc<ReplicaKeyMap>) -> Result<Self> {
        if self.keys.is_prefix_of(target) {
            return Ok(self.with_keys(target.clone()));
        }
        let table = self
            .keys
            .iter()
            .map(|(_, id)| target.key_of(id))
            .collect::<Result<Vec<_>>>()?;
        self.rekeyed(target.clone(), &table)
    }

    /// `f` at every point of two aligned knowledges, canonical, with `a`'s owner.
    pub(crate) fn pointwise(
        aligned: &Aligned<'_>,
        mut f: impl FnMut(&Arc<ClockVector>, &Arc<ClockVector>) -> Arc<ClockVector>,
    ) -> Self {
        let (a, b) = (aligned.a.as_ref(), aligned.b.as_ref());
        let default = RangeSet::zip(&a.default, &b.default, &mut f);
        let names: BTreeSet<&Box<[u8]>> = a.columns.keys().chain(b.columns.keys()).collect();
        let columns = names
            .into_iter()
            .map(|name| {
                (
                    name.clone(),
                    RangeSet::zip(a.column(name), b.column(name), &mut f),
                )
            })
            .collect();
        let points: BTreeSet<(&[u8], &[u8])> = a
            .unit_entries()
            .chain(b.unit_entries())
            .map(|(item, unit, _)| (item, unit))
            .collect();
        let mut units = Units::new();
        for (item, unit) in points {
            let vector = f(a.vector_arc(item, unit), b.vector_arc(item, unit));
            units
                .entry(item.into())
                .or_default()
                .insert(unit.into(), vector);
        }
        let mut out = Self {
            formats: a.formats,
            owner: a.owner.clone(),
            keys: aligned.keys.clone(),
            default,
            columns,
            units,
        };
        out.canonicalize();
        out
    }

    /// Whether `pred(a(p), b(p))` holds at every point `p` of two aligned knowledges.
    pub(crate) fn all_points(
        aligned: &Aligned<'_>,
        mut pred: impl FnMut(&ClockVector, &ClockVector) -> bool,
    ) -> bool {
        let (a, b) = (aligned.a.as_ref(), aligned.b.as_ref());
        if !RangeSet::all2(&a.default, &b.default, |_, va, vb| pred(va, vb)) {
            return false;
        }
        let names: BTreeSet<&Box<[u8]>> = a.columns.keys().chain(b.columns.keys()).collect();
        for name in names {
            // A column's range decides a point only where neither knowledge has a change-unit
            // exception; those points are checked below.
            let holds = RangeSet::all2(a.column(name), b.column(name), |piece, va, vb| {
                pred(va, vb) || a.covered_by_units(b, piece, name)
            });
            if !holds {
                return false;
            }
        }
        a.unit_entries()
            .chain(b.unit_entries())
            .all(|(item, unit, _)| pred(a.vector_arc(item, unit), b.vector_arc(item, unit)))
    }

    /// Whether every item of `piece` has a change-unit exception for `unit` in `self` or `other`.
    fn covered_by_units(&self, other: &Self, piece: &Piece<'_>, unit: &[u8]) -> bool {
        self.first_uncovered(other, piece, unit).is_none()
    }

    /// The first item of `piece` without a change-unit exception for `unit` in either.
    fn first_uncovered(&self, other: &Self, piece: &Piece<'_>, unit: &[u8]) -> Option<Box<[u8]>> {
        let mut id: Box<[u8]> = piece.lower.into();
        loop {
            if !self.has_unit(&id, unit) && !other.has_unit(&id, unit) {
                return Some(id);
            }
            let next = self.formats.item.successor(&id)?;
            if piece.upper.is_some_and(|upper| next.as_ref() >= upper) {
                return None;
            }
            id = next;
        }
    }

    /// Adds every change `other` knows (`NF:winsync.ISyncKnowledge.Union`): the elementwise
    /// maximum at every point. `other` may be in another key space: its replicas are added to
    /// this knowledge's key map.
    ///
    /// # Errors
    /// [`Error::FormatsDiffer`] when the ID formats differ.
    pub fn union(&mut self, other: &Self) -> Result<()> {
        let result = Self::pointwise(&self.aligned(other)?, union);
        *self = result;
        Ok(())
    }

    /// Whether every change `other` knows is known here
    /// (`NF:winsync.ISyncKnowledge.ContainsKnowledge`).
    ///
    /// # Errors
    /// [`Error::FormatsDiffer`].
    pub fn contains_knowledge(&self, other: &Self) -> Result<bool> {
        Ok(Self::all_points(
            &self.aligned(other)?,
            ClockVector::contains_vector,
        ))
    }

    /// Whether the two share any known change at some point
    /// (`NF:winsync.ISyncKnowledge2.IntersectsWithKnowledge`).
    ///
    /// # Errors
    /// [`Error::FormatsDiffer`].
    pub fn intersects(&self, other: &Self) -> Result<bool> {
        Ok(!Self::all_points(&self.aligned(other)?, |va, vb| {
            !va.intersects(vb)
        }))
    }

    /// What this knowledge knows where `other` does not know all of it
    /// (`NF:winsync.ISyncKnowledge2.Complement`): at every point, this knowledge's vector when
    /// `other`'s does not contain it, else nothing. (The exact set difference of two clock
    /// vectors is not a clock vector; this keeps the granularity of points.) So the complement
    /// is empty exactly when `other` contains this knowledge.
    ///
    /// # Errors
    /// [`Error::FormatsDiffer`].
    pub fn complement(&self, other: &Self) -> Result<Self> {
        let empty = Arc::new(ClockVector::new());
        Ok(Self::pointwise(&self.aligned(other)?, |va, vb| {
            if vb.contains_vector(va) {
                empty.clone()
            } else {
                va.clone()
            }
        }))
    }

    /// Whether this knowledge contains what `other` knows about `item`
    /// (`NF:winsync.ISyncKnowledge2.ContainsKnowledgeForItem`).
    ///
    /// # Errors
    /// [`Error::FormatsDiffer`]; [`Error::IdFormatMismatch`].
    pub fn contains_knowledge_for_item(&self, other: &Self, item: &[u8]) -> Result<bool> {
        self.contains_knowledge(&other.project_onto_item(item)?)
    }

    /// Whether this knowledge contains what `other` knows about one change unit
    /// (`NF:winsync.ISyncKnowledge2.ContainsKnowledgeForChangeUnit`).
    ///
    /// # Errors
    /// [`Error::FormatsDiffer`]; [`Error::IdFormatMismatch`].
    pub fn contains_knowledge_for_change_unit(
        &self,
        other: &Self,
        item: &[u8],
        unit: &[u8],
    ) -> Result<bool> {
        self.contains_knowledge(&other.project_onto_change_unit(item, unit)?)
    }

    /// What this knowledge knows about the items of the closed range `[lower, upper]`, and
    /// nothing else (`NF:winsync.ISyncKnowledge.ProjectOntoRange`, `NS:winsync._SYNC_RANGE`).
    ///
    /// # Errors
    /// [`Error::IdFormatMismatch`]; [`Error::InvalidArgument`] when `lower > upper`.
    pub fn project_onto_range(&self, lower: &[u8], upper: &[u8]) -> Result<Self> {
        self.formats.check_item(lower)?;
        self.formats.check_item(upper)?;
        if lower > upper {
            return Err(Error::InvalidArgument(
                "the range's lower bound is above its upper bound".into(),
            ));
        }
        let end = self.formats.item.successor(upper);
        let empty = Arc::new(ClockVector::new());
        let format = self.formats.item;
        let clip = |r: &RangeSet| {
            r.split_map(&format, lower, end.as_deref(), Clone::clone, |_| {
                empty.clone()
            })
        };
        let mut out = self.clone();
        out.default = clip(&self.default);
        out.columns = self
            .columns
            .iter()
            .map(|(c, r)| (c.clone(), clip(r)))
            .collect();
        out.units = self
            .units
            .range::<[u8], _>((
                std::ops::Bound::Included(lower),
                std::ops::Bound::Included(upper),
            ))
            .map(|(item, units)| (item.clone(), units.clone()))
            .collect();
        out.canonicalize();
        Ok(out)
    }

    /// What this knowledge knows about one item, and nothing else
    /// (`NF:winsync.ISyncKnowledge.ProjectOntoItem`).
    ///
    /// # Errors
    /// [`Error::IdFormatMismatch`].
    pub fn project_onto_item(&self, item: &[u8]) -> Result<Self> {
        self.project_onto_range(item, item)
    }

    /// What this knowledge knows about one change unit of one item, and nothing else
    /// (`NF:winsync.ISyncKnowledge.ProjectOntoChangeUnit`).
    ///
    /// # Errors
    /// [`Error::IdFormatMismatch`].
    pub fn project_onto_change_unit(&self, item: &[u8], unit: &[u8]) -> Result<Self> {
        self.formats.check_item(item)?;
        self.formats.check_change_unit(unit)?;
        let mut out = self.emptied();
        let vector = self.vector_arc(item, unit).clone();
        out.units
            .entry(item.into())
            .or_default()
            .insert(unit.into(), vector);
        out.canonicalize();
        Ok(out)
    }

    /// What this knowledge knows about a set of change units, over every item, and nothing
    /// else (`NF:winsync.ISyncKnowledge2.ProjectOntoColumnSet`).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an empty set; [`Error::IdFormatMismatch`].
    pub fn project_onto_columns(&self, units: &[&[u8]]) -> Result<Self> {
        if units.is_empty() {
            return Err(Error::InvalidArgument("the column set is empty".into()));
        }
        for unit in units {
            self.formats.check_change_unit(unit)?;
        }
        let mut out = self.emptied();
        for unit in units {
            out.columns
                .insert((*unit).into(), self.column(unit).clone());
        }
        for (item, unit, vector) in self.unit_entries() {
            if units.contains(&unit) {
                out.units
                    .entry(item.into())
                    .or_default()
                    .insert(unit.into(), vector.clone());
            }
        }
        out.canonicalize();
        Ok(out)
    }

    /// Forgets everything known about one item (`NF:winsync.ISyncKnowledge.ExcludeItem`): what
    /// a destination does for an item whose change failed, so that it is sent again.
    ///
    /// # Errors
    /// [`Error::IdFormatMismatch`].
    pub fn exclude_item(&mut self, item: &[u8]) -> Result<()> {
        self.formats.check_item(item)?;
        let end = self.formats.item.successor(item);
        let empty = Arc::new(ClockVector::new());
        let format = self.formats.item;
        let cut = |r: &RangeSet| {
            r.split_map(
                &format,
                item,
                end.as_deref(),
                |_| empty.clone(),
                Clone::clone,
            )
        };
        self.default = cut(&self.default);
        self.columns = self
            .columns
            .iter()
            .map(|(c, r)| (c.clone(), cut(r)))
            .collect();
        self.units.remove(item);
        self.canonicalize();
        Ok(())
    }

    /// Forgets everything known about one change unit of one item
    /// (`NF:winsync.ISyncKnowledge.ExcludeChangeUnit`).
    ///
    /// # Errors
    /// [`Error::IdFormatMismatch`].
    pub fn exclude_change_unit(&mut self, item: &[u8], unit: &[u8]) -> Result<()> {
        self.formats.check_item(item)?;
        self.formats.check_change_unit(unit)?;
        self.units
            .entry(item.into())
            .or_default()
            .insert(unit.into(), Arc::new(ClockVector::new()));
        self.canonicalize();
        Ok(())
    }

    /// For every point: this knowledge's vector where `template` contains `prerequisite`'s,
    /// nothing elsewhere (`NF:winsync.ISyncKnowledge2.ProjectOntoKnowledgeWithPrerequisite`).
    /// The pages' "fragments" are taken at the finest grain the knowledge has (every range of
    /// every column, every change-unit exception), so a destination learns exactly the parts
    /// whose prerequisite it meets.
    ///
    /// # Errors
    /// [`Error::FormatsDiffer`].
    pub fn project_onto_knowledge_with_prerequisite(
        &self,
        prerequisite: &Self,
        template: &Self,
    ) -> Result<Self> {
        self.same_formats(prerequisite)?;
        self.same_formats(template)?;
        let mut keys = (*self.keys).clone();
        keys.absorb(&prerequisite.keys)?;
        keys.absorb(&template.keys)?;
        let keys = Arc::new(keys);
        let (own, prerequisite, template) = (
            self.rekey_into(&keys)?,
            prerequisite.rekey_into(&keys)?,
            template.rekey_into(&keys)?,
        );
        let (empty, met) = (
            Arc::new(ClockVector::new()),
            Arc::new(ClockVector::from_elements([(0, 0)])?),
        );
        let mask = Self::pointwise(&template.aligned(&prerequisite)?, |t, p| {
            if t.contains_vector(p) {
                met.clone()
            } else {
                empty.clone()
            }
        });
        let mut out = Self::pointwise(&own.aligned(&mask)?, |v, m| {
            if m.is_empty() {
                empty.clone()
            } else {
                v.clone()
            }
        });
        out.owner = self.owner.clone();
        Ok(out)
    }

    /// The smallest item ID about which `other` knows something this knowledge does not, or
    /// `None` when this knowledge contains `other`
    /// (`NF:winsync.ISyncKnowledge2.GetLowestUncontainedId`).
    ///
    /// # Errors
    /// [`Error::FormatsDiffer`].
    pub fn lowest_uncontained_id(&self, other: &Self) -> Result<Option<Box<[u8]>>> {
        let aligned = self.aligned(other)?;
        let (a, b) = (aligned.a.as_ref(), aligned.b.as_ref());
        let mut lowest: Option<Box<[u8]>> = None;
        let mut consider = |id: Box<[u8]>| {
            if lowest.as_ref().is_none_or(|l| id < *l) {
                lowest = Some(id);
            }
        };
        RangeSet::all2(&a.default, &b.default, |piece, va, vb| {
            if va.contains_vector(vb) {
                true
            } else {
                consider(piece.lower.into());
                false
            }
        });
        let names: BTreeSet<&Box<[u8]>> = a.columns.keys().chain(b.columns.keys()).collect();
        for name in names {
            RangeSet::all2(a.column(name), b.column(name), |piece, va, vb| {
                if va.contains_vector(vb) {
                    return true;
                }
                match a.first_uncovered(b, piece, name) {
                    Some(id) => {
                        consider(id);
                        false
                    }
                    None => true,
                }
            });
        }
        for (item, unit, _) in a.unit_entries().chain(b.unit_entries()) {
            if !a
                .vector_arc(item, unit)
                .contains_vector(b.vector_arc(item, unit))
            {
                consider(item.into());
            }
        }
        Ok(lowest)
    }
}

fn union(a: &Arc<ClockVector>, b: &Arc<ClockVector>) -> Arc<ClockVector> {
    if Arc::ptr_eq(a, b) {
        return a.clone();
    }
    match a.order(b) {
        (true, _) => a.clone(),
        (false, true) => b.clone(),
        (false, false) => Arc::new(a.union(b)),
    }
}
