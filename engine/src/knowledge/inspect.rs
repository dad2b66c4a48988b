//! How knowledge presents itself to the inspection methods: a scope vector with range,
//! single-item and change-unit exceptions (`NF:winsync.ISyncKnowledge.GetScopeVector`,
//! `.GetRangeExceptions`, `.GetSingleItemExceptions`, `.GetChangeUnitExceptions`), and core
//! fragments (`NN:winsync.ICoreFragment`). There is no single canonical presentation on the
//! pages (`NN:winsync.ISyncKnowledge`); this one is derived from the canonical form, so equal
//! knowledge always presents the same way.
//!
//! - The scope vector is the elementwise minimum (meet) of the default layer's ranges that hold
//!   more than one item, so no range exception knows less than the scope
//!   (`SYNC_E_NEGATIVE_RANGE_EXCEPTION` exists for that); single-item exceptions may know less.
//! - Range exceptions are the default layer's ranges of more than one item whose vector is not
//!   the scope; single-item exceptions are its ranges of exactly one item whose vector is not
//!   the scope; change-unit exceptions are the stored ones.
//! - Named columns (knowledge projected onto a column set) have no place in that picture; the
//!   fragments show everything: one fragment without columns for the default layer, and one per
//!   group of change units that are named columns or have change-unit exceptions, each with its
//!   ranges (exceptions applied), groups of equal ranges merged.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{Knowledge, SERIALIZATION_V1, SERIALIZATION_V2};
use crate::ranges::{RangeSet, Segment};
use crate::vector::ClockVector;

/// A range exception: the closed item range `[start, end]` and its vector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RangeException {
    /// First item ID, inclusive (`NF:winsync.IRangeException.GetClosedRangeStart`).
    pub start: Box<[u8]>,
    /// Last item ID, inclusive (`NF:winsync.IRangeException.GetClosedRangeEnd`).
    pub end: Box<[u8]>,
    /// The range's vector (`NF:winsync.IRangeException.GetClockVector`).
    pub vector: Arc<ClockVector>,
}

/// A single-item exception (`NN:winsync.ISingleItemException`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SingleItemException {
    /// The item.
    pub item: Box<[u8]>,
    /// Its vector.
    pub vector: Arc<ClockVector>,
}

/// A change-unit exception (`NN:winsync.IChangeUnitException`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeUnitException {
    /// The item.
    pub item: Box<[u8]>,
    /// The change unit.
    pub unit: Box<[u8]>,
    /// Its vector.
    pub vector: Arc<ClockVector>,
}

/// A core fragment (`NN:winsync.ICoreFragment`): the knowledge of every item for a set of
/// change units (none: every change unit no other fragment names), as ranges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fragment {
    /// The change units (`NF:winsync.ICoreFragment.NextColumn`); empty for the default fragment.
    pub columns: Vec<Box<[u8]>>,
    /// The ranges: closed lower bounds, each running to the next (`NF:winsync.ICoreFragment.NextRange`).
    pub ranges: Vec<Segment>,
}

impl Knowledge {
    /// The scope vector (see the module docs).
    pub fn scope_vector(&self) -> ClockVector {
        let format = self.formats.item;
        let mut multi = self
            .default
            .pieces()
            .filter(|(lower, upper, _)| !crate::ranges::is_single(&format, lower, *upper))
            .map(|(_, _, v)| v);
        let Some(first) = multi.next() else {
            // Every range holds one item (only possible in a tiny ID space): meet them all.
            return self
                .default
                .vectors()
                .map(|v| (**v).clone())
                .reduce(|a, b| a.meet(&b))
                .unwrap_or_default();
        };
        multi.fold((**first).clone(), |acc, v| acc.meet(v))
    }

    /// The range exceptions, in item order (see the module docs).
    pub fn range_exceptions(&self) -> Vec<RangeException> {
        let scope = self.scope_vector();
        let format = self.formats.item;
        self.default
            .pieces()
            .filter(|(lower, upper, v)| {
                ***v != scope && !crate::ranges::is_single(&format, lower, *upper)
            })
            .map(|(lower, upper, v)| RangeException {
                start: lower.into(),
                end: upper
                    .and_then(|u| format.predecessor(u))
                    .unwrap_or_else(|| format.max_id()),
                vector: v.clone(),
            })
            .collect()
    }

    /// The single-item exceptions, in item order (see the module docs).
    pub fn single_item_exceptions(&self) -> Vec<SingleItemException> {
        let scope = self.scope_vector();
        let format = self.formats.item;
        self.default
            .pieces()
            .filter(|(lower, upper, v)| {
                ***v != scope && crate::ranges::is_single(&format, lower, *upper)
            })
            .map(|(lower, _, v)| SingleItemException {
                item: lower.into(),
                vector: v.clone(),
            })
            .collect()
    }

    /// The change-unit exceptions, in (item, change unit) order.
    pub fn change_unit_exceptions(&self) -> Vec<ChangeUnitException> {
        self.unit_entries()
            .map(|(item, unit, vector)| ChangeUnitException {
                item: item.into(),
                unit: unit.into(),
                vector: vector.clone(),
            })
            .collect()
    }

    /// The core fragments (see the module docs): the default fragment first, then the column
    /// groups in order of their first change unit.
    pub fn fragments(&self) -> Vec<Fragment> {
        let format = self.formats.item;
        let mut effective: BTreeMap<Box<[u8]>, RangeSet> = BTreeMap::new();
        for name in self.columns.keys() {
            effective.insert(name.clone(), self.column(name).clone());
        }
        for (item, unit, vector) in self.unit_entries() {
            let column = effective
                .entry(unit.into())
                .or_insert_with(|| self.column(unit).clone());
            let end = format.successor(item);
            *column = column.split_map(
                &format,
                item,
                end.as_deref(),
                |_| vector.clone(),
                Clone::clone,
            );
        }
        let mut groups: Vec<(Vec<Box<[u8]>>, RangeSet)> = Vec::new();
        for (unit, ranges) in effective {
            match groups.iter_mut().find(|(_, r)| *r == ranges) {
                Some((columns, _)) => columns.push(unit),
                None => groups.push((vec![unit], ranges)),
            }
        }
        std::iter::once(Fragment {
            columns: Vec::new(),
            ranges: self.default.to_segments(),
        })
        .chain(groups.into_iter().map(|(columns, ranges)| Fragment {
            columns,
            ranges: ranges.to_segments(),
        }))
        .collect()
    }

    /// `SYNC_STATISTICS_RANGE_COUNT`: the number of ranges over all fragments
    /// (`NF:winsync.ISyncKnowledge2.GetStatistics`).
    pub fn range_count(&self) -> usize {
        self.fragments().iter().map(|f| f.ranges.len()).sum()
    }

    /// The lowest `SYNC_SERIALIZATION_VERSION` that can carry this knowledge
    /// (`NF:winsync.ISyncKnowledge2.GetMinimumSupportedVersion`): V1 unless it has named
    /// columns (core fragments with columns came with Sync Framework 2.0), then V2.
    pub fn minimum_version(&self) -> u32 {
        if self.columns.is_empty() {
            SERIALIZATION_V1
        } else {
            SERIALIZATION_V2
        }
    }
}
