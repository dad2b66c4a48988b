//! The engine's byte format for knowledge (`NF:winsync.ISyncKnowledge.Serialize`,
//! `NF:winsync.ISyncKnowledge2.SerializeWithOptions`).
//!
//! Microsoft does not publish the format its Sync Framework runtime writes; this one is the
//! project's own. It is versioned, little-endian, and written from the canonical form, so equal
//! knowledge gives equal bytes. Layout:
//!
//! | field | bytes |
//! | --- | --- |
//! | magic `WSKN` | 4 |
//! | layout revision, `1` | 2 |
//! | `SYNC_SERIALIZATION_VERSION` written for (1, 4 or 5) | 4 |
//! | flags: bit 0 replica key map included, bit 1 forgotten knowledge | 1 |
//! | ID formats: replica, item, change unit, each `variable: u8, size: u16` | 9 |
//! | owner replica ID | ID |
//! | key map (flag bit 0): count `u32`, then each replica ID in key order | 4 + IDs |
//! | base vectors: count `u32`, then each: slot count `u32`, slots `u64` (`tick + 1`, 0 = no element; the last not 0) | … |
//! | clock vectors: count `u32`, then each: base index `u32`, delta count `u32`, then `key: u32, slot: u64` per slot that differs from the base (ascending keys) | … |
//! | default layer: range set | … |
//! | named columns: count `u32`, then each: change-unit ID, range set (ascending IDs) | … |
//! | change-unit exceptions: count `u32`, then each: item ID, change-unit ID, vector index `u32` (ascending) | … |
//!
//! An ID is `u16` length + bytes (the data, without a `SYNC_ID` size field); a range set is a
//! count `u32` (at least 1), then each range's lower bound ID and vector index `u32`, the first
//! bound the format's smallest ID, bounds ascending. Vectors are stored as a shared base plus
//! the few slots that differ (see `vector`), so the size is linear in replicas (the bases) plus
//! ranges and exceptions (their deltas).
//!
//! Reading checks every length against the bytes left before allocating, every ID against its
//! format, every key against the key map, every index against its table and every order; any
//! problem is [`Error::Deserialization`] with the byte offset. Reading never panics.

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::id::{IdFormat, IdFormats};
use crate::knowledge::{Knowledge, SERIALIZATION_V1, SERIALIZATION_V2, SERIALIZATION_V3, Units};
use crate::ranges::RangeSet;
use crate::replica::ReplicaKeyMap;
use crate::vector::ClockVector;

mod batch;
mod key_map;
mod wire;

use wire::{Reader, Writer};

const MAGIC: &[u8; 4] = b"WSKN";

/// A range's lower bound and the index of its vector in the table.
type Indexed<'a> = (&'a [u8], u32);
/// An (item, change unit) key of a change-unit exception.
type UnitKey = (Box<[u8]>, Box<[u8]>);
const REVISION: u16 = 1;
const WITH_KEY_MAP: u8 = 1;
const FORGOTTEN: u8 = 2;

impl Knowledge {
    /// The knowledge as bytes at the level `SYNC_SERIALIZATION_VERSION_V3`, with or without
    /// its replica key map (`NF:winsync.ISyncKnowledge.Serialize`).
    pub fn serialize(&self, with_key_map: bool) -> Vec<u8> {
        self.write(SERIALIZATION_V3, with_key_map, false)
    }

    /// The knowledge as bytes for a `SYNC_SERIALIZATION_VERSION`
    /// (`NF:winsync.ISyncKnowledge2.SerializeWithOptions`).
    ///
    /// # Errors
    /// [`Error::InvalidVersion`] for a version other than 1, 4 or 5, or V1 when the knowledge
    /// has named columns (V1 cannot express them).
    pub fn serialize_with_version(&self, version: u32, with_key_map: bool) -> Result<Vec<u8>> {
        check_level(version, false)?;
        if version < self.minimum_version() {
            return Err(Error::InvalidVersion {
                version,
                reason: "it cannot express named columns (core fragments with columns)",
                reading: false,
            });
        }
        Ok(self.write(version, with_key_map, false))
    }

    pub(crate) fn write(&self, level: u32, with_key_map: bool, forgotten: bool) -> Vec<u8> {
        // Canonical vectors: every vector as its delta against the scope vector, the one base;
        // equal vectors are one entry, whatever their representation in memory.
        let scope = self.scope_vector().dense();
        let mut table: Vec<Vec<(u32, u64)>> = Vec::new();
        let mut by_value: HashMap<Vec<(u32, u64)>, u32> = HashMap::new();
        let mut by_pointer: HashMap<*const ClockVector, u32> = HashMap::new();
        let mut index_of = |vector: &Arc<ClockVector>| -> u32 {
            *by_pointer.entry(Arc::as_ptr(vector)).or_insert_with(|| {
                let delta = vector.delta_against(&scope);
                *by_value.entry(delta.clone()).or_insert_with(|| {
                    table.push(delta);
                    u32::try_from(table.len() - 1).unwrap_or(u32::MAX)
                })
            })
        };
        let default: Vec<Indexed<'_>> = self
            .default
            .segments()
            .map(|(lower, vector)| (lower, index_of(vector)))
            .collect();
        let columns: Vec<(&[u8], Vec<Indexed<'_>>)> = self
            .columns
            .iter()
            .map(|(unit, r)| {
                (
                    unit.as_ref(),
                    r.segments()
                        .map(|(lower, vector)| (lower, index_of(vector)))
                        .collect(),
                )
            })
            .collect();
        let units: Vec<(&[u8], &[u8], u32)> = self
            .unit_entries()
            .map(|(item, unit, vector)| (item, unit, index_of(vector)))
            .collect();
        let mut out = Writer(Vec::with_capacity(64 + table.len() * 8));
        out.0.extend_from_slice(MAGIC);
        out.u16(REVISION);
        out.u32(level);
        out.0
            .push((u8::from(with_key_map) * WITH_KEY_MAP) | (u8::from(forgotten) * FORGOTTEN));
        for format in [
            self.formats.replica,
            self.formats.item,
            self.formats.change_unit,
        ] {
            out.0.push(u8::from(format.variable));
            out.u16(format.size);
        }
        out.id(&self.owner);
        if with_key_map {
            out.len(self.keys.len());
            for (_, id) in self.keys.iter() {
                out.id(id);
            }
        }
        out.len(1);
        out.len(scope.len());
        for &slot in &scope {
            out.u64(slot);
        }
        out.len(table.len());
        for delta in &table {
            out.u32(0);
            out.len(delta.len());
            for &(key, slot) in delta {
                out.u32(key);
                out.u64(slot);
            }
        }
        let ranges = |out: &mut Writer, segments: &[Indexed<'_>]| {
            out.len(segments.len());
            for (lower, index) in segments {
                out.id(lower);
                out.u32(*index);
            }
        };
        ranges(&mut out, &default);
        out.len(columns.len());
        for (unit, segments) in &columns {
            out.id(unit);
            ranges(&mut out, segments);
        }
        out.len(units.len());
        for (item, unit, index) in units {
            out.id(item);
            out.id(unit);
            out.u32(index);
        }
        out.0
    }

    /// Reads knowledge written by [`Knowledge::serialize`]. Data written without its key map
    /// needs `key_map`: the map the keys refer to (ignored when the data carries one).
    ///
    /// # Errors
    /// [`Error::Deserialization`] for any malformed input (with the byte offset);
    /// [`Error::InvalidVersion`] (reading) for an unknown `SYNC_SERIALIZATION_VERSION`;
    /// [`Error::InvalidArgument`] for data without a key map and no `key_map`.
    pub fn deserialize(bytes: &[u8], key_map: Option<&ReplicaKeyMap>) -> Result<Self> {
        let (knowledge, forgotten) = read(bytes, key_map)?;
        if forgotten {
            return Err(Error::Deserialization {
                offset: 10,
                reason: "the data is forgotten knowledge".into(),
            });
        }
        Ok(knowledge)
    }
}

fn check_level(version: u32, reading: bool) -> Result<()> {
    match version {
        SERIALIZATION_V1 | SERIALIZATION_V2 | SERIALIZATION_V3 => Ok(()),
        _ => Err(Error::InvalidVersion {
            version,
            reason: "the known versions are V1 (1), V2 (4) and V3 (5)",
            reading,
        }),
    }
}

/// Reads knowledge or forgotten knowledge; returns it and whether it is forgotten knowledge.
pub(crate) fn read(bytes: &[u8], key_map: Option<&ReplicaKeyMap>) -> Result<(Knowledge, bool)> {
    let mut r = Reader { bytes, at: 0 };
    if r.take(4)? != MAGIC {
        return Err(r.error_at(0, "not serialized knowledge (no WSKN magic)"));
    }
    let revision = r.u16()?;
    if revision != REVISION {
        return Err(r.error_at(
            4,
            format!("layout revision {revision}, this engine reads 1"),
        ));
    }
    let level = r.u32()?;
    check_level(level, true)?;
    let flags = r.u8()?;
    if flags & !(WITH_KEY_MAP | FORGOTTEN) != 0 {
        return Err(r.error_at(10, format!("unknown flags {flags:#04x}")));
    }
    let mut formats = [IdFormat::fixed(1); 3];
    for format in &mut formats {
        let start = r.at;
        let variable = match r.u8()? {
            0 => false,
            1 => true,
            other => return Err(r.error_at(start, format!("ID format flag {other}, not 0 or 1"))),
        };
        *format = IdFormat {
            variable,
            size: r.u16()?,
        };
        format
            .validate("serialized")
            .map_err(|e| r.error_at(start, e.to_string()))?;
    }
    let formats = IdFormats {
        replica: formats[0],
        item: formats[1],
        change_unit: formats[2],
    };
    let owner = r.id(&formats.replica, "owner replica ID")?;
    let keys = if flags & WITH_KEY_MAP != 0 {
        let start = r.at;
        let count = r.count(3)?;
        let mut map = ReplicaKeyMap::new();
        for _ in 0..count {
            let id_start = r.at;
            let id = r.id(&formats.replica, "replica ID")?;
            if map.key_of(&id).is_ok() {
                return Err(r.error_at(id_start, "a replica ID appears twice in the key map"));
            }
            map.find_or_add(&id)
                .map_err(|e| r.error_at(id_start, e.to_string()))?;
        }
        if map.key_of(&owner).is_err() {
            return Err(r.error_at(start, "the key map lacks the owner replica"));
        }
        map
    } else {
        let map = key_map.cloned().ok_or_else(|| {
            Error::InvalidArgument(
                "the data has no replica key map: pass the map its keys refer to".into(),
            )
        })?;
        if map.key_of(&owner).is_err() {
            return Err(r.error_at(r.at, "the given key map lacks the owner replica"));
        }
        map
    };
    let base_count = r.count(4)?;
    let mut bases = Vec::with_capacity(base_count);
    for _ in 0..base_count {
        let start = r.at;
        let slots = r.count(8)?;
        if slots > keys.len() {
            return Err(r.error_at(
                start,
                format!(
                    "a clock vector with {slots} slots, the key map has {} replicas",
                    keys.len()
                ),
            ));
        }
        let mut raw = Vec::with_capacity(slots);
        for _ in 0..slots {
            raw.push(r.u64()?);
        }
        let base = ClockVector::base_of(raw)
            .ok_or_else(|| r.error_at(start, "a base vector ends with an empty slot"))?;
        bases.push(base);
    }
    let vector_count = r.count(8)?;
    let mut vectors = Vec::with_capacity(vector_count);
    for _ in 0..vector_count {
        let start = r.at;
        let base_index = usize::try_from(r.u32()?).unwrap_or(usize::MAX);
        let base = bases.get(base_index).ok_or_else(|| {
            r.error_at(
                start,
                format!("base index {base_index}, the table has {}", bases.len()),
            )
        })?;
        let count = r.count(12)?;
        let mut delta = Vec::with_capacity(count);
        for _ in 0..count {
            let key = r.u32()?;
            let slot = r.u64()?;
            if usize::try_from(key).map_or(true, |k| k >= keys.len()) {
                return Err(r.error_at(
                    start,
                    format!("replica key {key}, the key map has {} replicas", keys.len()),
                ));
            }
            delta.push((key, slot));
        }
        let vector = ClockVector::from_parts(base, &delta).ok_or_else(|| {
            r.error_at(
                start,
                "a vector's delta is out of order or repeats its base",
            )
        })?;
        vectors.push(Arc::new(vector));
    }
    let default = r.ranges(&formats.item, &vectors)?;
    let columns_start = r.at;
    let column_count = r.count(9)?;
    let mut columns = std::collections::BTreeMap::new();
    let mut previous: Option<Box<[u8]>> = None;
    for _ in 0..column_count {
        let start = r.at;
        let unit = r.id(&formats.change_unit, "change unit ID")?;
        if previous.as_ref().is_some_and(|p| *p >= unit) {
            return Err(r.error_at(start, "named columns out of order"));
        }
        previous = Some(unit.clone());
        let ranges = r.ranges(&formats.item, &vectors)?;
        columns.insert(unit, ranges);
    }
    if level == SERIALIZATION_V1 && !columns.is_empty() {
        return Err(r.error_at(columns_start, "V1 data with named columns"));
    }
    let unit_count = r.count(9)?;
    let mut units = Units::new();
    let mut previous: Option<UnitKey> = None;
    for _ in 0..unit_count {
        let start = r.at;
        let item = r.id(&formats.item, "item ID")?;
        let unit = r.id(&formats.change_unit, "change unit ID")?;
        let key = (item, unit);
        if previous.as_ref().is_some_and(|p| *p >= key) {
            return Err(r.error_at(start, "change-unit exceptions out of order"));
        }
        let vector = r.vector(&vectors)?;
        previous = Some(key.clone());
        units.entry(key.0).or_default().insert(key.1, vector);
    }
    if r.at != bytes.len() {
        return Err(r.error_at(r.at, format!("{} bytes after the end", bytes.len() - r.at)));
    }
    let mut knowledge = Knowledge {
        formats,
        owner,
        keys: Arc::new(keys),
        default,
        columns,
        units,
    };
    knowledge.canonicalize();
    Ok((knowledge, flags & FORGOTTEN != 0))
}

impl Reader<'_> {
    fn vector(&mut self, vectors: &[Arc<ClockVector>]) -> Result<Arc<ClockVector>> {
        let start = self.at;
        let index = usize::try_from(self.u32()?).unwrap_or(usize::MAX);
        vectors.get(index).cloned().ok_or_else(|| {
            self.error_at(
                start,
                format!("vector index {index}, the table has {}", vectors.len()),
            )
        })
    }

    fn ranges(&mut self, format: &IdFormat, vectors: &[Arc<ClockVector>]) -> Result<RangeSet> {
        let start = self.at;
        let count = self.count(6)?;
        if count == 0 {
            return Err(self.error_at(start, "a range set without ranges"));
        }
        let mut segments: Vec<(Box<[u8]>, Arc<ClockVector>)> = Vec::with_capacity(count);
        for i in 0..count {
            let bound_start = self.at;
            let lower = self.id(format, "item ID")?;
            if i == 0 && lower != format.min_id() {
                return Err(self.error_at(
                    bound_start,
                    "the first range does not start at the smallest ID",
                ));
            }
            if segments.last().is_some_and(|last| last.0 >= lower) {
                return Err(self.error_at(bound_start, "range bounds out of order"));
            }
            let vector = self.vector(vectors)?;
            segments.push((lower, vector));
        }
        Ok(RangeSet::from_segments(segments))
    }
}
