//! The engine's byte format for a change batch (`NF:winsync.ISyncChangeBatchBase.Serialize`),
//! the project's own like the knowledge format. Little-endian:
//!
//! | field | bytes |
//! | --- | --- |
//! | magic `WSCB` | 4 |
//! | layout revision, `1` | 2 |
//! | flags: bit 0 last batch, bit 1 full enumeration, bit 2 source forgotten knowledge present | 1 |
//! | ID formats: replica, item, change unit, each `variable: u8, size: u16` | 9 |
//! | owner replica ID | ID |
//! | work estimate for the batch, remaining work for the session | 4 + 4 |
//! | full enumeration (flag bit 1): the batch's closed lower bound | ID |
//! | knowledge table: count `u32`, then each: length `u32` and knowledge bytes with key map | … |
//! | prerequisite: table index `u32`; source forgotten (flag bit 2): length `u32` and forgotten-knowledge bytes | … |
//! | groups: count `u32`, then each: kind `u8` (0 ordered, 1 unordered), ordered: lower bound ID, upper-bound flag `u8` and ID; unordered: all-changes flag `u8`; made-with table index `u32`; changes | … |
//! | logged conflicts: count `u32`, then each: change, conflict-knowledge table index `u32` | … |
//!
//! A change: item ID, change version and creation version (`key: u32, tick: u64` each),
//! flags `u32` (bit 31: a merge tombstone, whose winning item ID follows the change units),
//! work `u32`, change units: count `u32`, then each: change-unit ID and version; a merge
//! tombstone's winning item ID.
//! An ID is `u16` length + data. Knowledge shared by several groups is written once.
//!
//! Reading bounds every count by the bytes left, reads each knowledge with the knowledge
//! format's checks, and rebuilds the batch through the builder, so a batch read back keeps the
//! pages' rules (ordered groups in order, no change units on a deletion, ...). A batch read
//! back is read-only, as the pages say of a deserialized batch.

use std::sync::Arc;

use super::wire::{Reader, Writer};
use crate::batch::{ChangeBatch, ChangeFlags, GroupKind, ItemChange, UnitChange};
use crate::error::{Error, Result};
use crate::forgotten::ForgottenKnowledge;
use crate::id::{IdFormat, IdFormats};
use crate::knowledge::Knowledge;
use crate::vector::Version;

const MAGIC: &[u8; 4] = b"WSCB";
const REVISION: u16 = 1;
const LAST: u8 = 1;
const FULL: u8 = 2;
const FORGOTTEN: u8 = 4;
/// A change's flags bit for a merge tombstone (`SYNC_CHANGE_FLAG_*` use the low bits only).
const MERGE_TOMBSTONE: u32 = 0x8000_0000;

impl Writer {
    fn version(&mut self, v: Version) {
        self.u32(v.replica_key);
        self.u64(v.tick);
    }

    fn change(&mut self, change: &ItemChange) {
        self.id(&change.item);
        self.version(change.change_version);
        self.version(change.creation_version);
        let merge = if change.winner.is_some() {
            MERGE_TOMBSTONE
        } else {
            0
        };
        self.u32(change.flags.0 | merge);
        self.u32(change.work);
        self.len(change.units.len());
        for unit in &change.units {
            self.id(&unit.unit);
            self.version(unit.version);
        }
        if let Some(winner) = &change.winner {
            self.id(winner);
        }
    }

    fn blob(&mut self, bytes: &[u8]) {
        self.len(bytes.len());
        self.0.extend_from_slice(bytes);
    }
}

/// The knowledge table: each distinct knowledge once.
#[derive(Default)]
struct Table {
    blobs: Vec<Vec<u8>>,
    seen: Vec<(*const Knowledge, u32)>,
}

impl Table {
    fn index(&mut self, knowledge: &Arc<Knowledge>) -> u32 {
        let pointer = Arc::as_ptr(knowledge);
        if let Some(&(_, index)) = self.seen.iter().find(|(p, _)| *p == pointer) {
            return index;
        }
        let bytes = knowledge.serialize(true);
        let index = match self.blobs.iter().position(|b| *b == bytes) {
            Some(i) => u32::try_from(i).unwrap_or(u32::MAX),
            None => {
                self.blobs.push(bytes);
                u32::try_from(self.blobs.len() - 1).unwrap_or(u32::MAX)
            }
        };
        self.seen.push((pointer, index));
        index
    }
}

impl ChangeBatch {
    /// The batch as bytes (see the module docs).
    ///
    /// # Errors
    /// [`Error::InvalidOperation`] while a group is open
    /// (`NF:winsync.ISyncChangeBatchBase.Serialize`).
    pub fn serialize(&self) -> Result<Vec<u8>> {
        if self.has_open_group() {
            return Err(Error::InvalidOperation("a group is still open".into()));
        }
        let mut table = Table::default();
        let prerequisite = table.index(self.prerequisite());
        let groups: Vec<u32> = self
            .groups()
            .iter()
            .map(|g| table.index(&g.made_with))
            .collect();
        let logged: Vec<u32> = self
            .logged_conflicts()
            .iter()
            .map(|c| table.index(&c.conflict_knowledge))
            .collect();
        let mut out = Writer(Vec::with_capacity(256));
        out.0.extend_from_slice(MAGIC);
        out.u16(REVISION);
        let flags = (u8::from(self.is_last_batch()) * LAST)
            | (u8::from(self.is_full_enumeration()) * FULL)
            | (u8::from(self.source_forgotten().is_some()) * FORGOTTEN);
        out.0.push(flags);
        let formats = self.formats();
        for format in [formats.replica, formats.item, formats.change_unit] {
            out.0.push(u8::from(format.variable));
            out.u16(format.size);
        }
        out.id(self.owner());
        out.u32(self.work_for_batch());
        out.u32(self.remaining_work());
        if let Some(lower) = self.full_enumeration_lower() {
            out.id(lower);
        }
        out.len(table.blobs.len());
        for blob in &table.blobs {
            out.blob(blob);
        }
        out.u32(prerequisite);
        if let Some(forgotten) = self.source_forgotten() {
            out.blob(&forgotten.serialize(true));
        }
        out.len(self.groups().len());
        for (group, made_with) in self.groups().iter().zip(groups) {
            match &group.kind {
                GroupKind::Ordered { lower, upper } => {
                    out.0.push(0);
                    out.id(lower);
                    out.0.push(u8::from(upper.is_some()));
                    if let Some(upper) = upper {
                        out.id(upper);
                    }
                }
                GroupKind::Unordered {
                    all_changes_for_knowledge,
                } => {
                    out.0.push(1);
                    out.0.push(u8::from(*all_changes_for_knowledge));
                }
            }
            out.u32(made_with);
            out.len(group.changes.len());
            for change in &group.changes {
                out.change(change);
            }
        }
        out.len(self.logged_conflicts().len());
        for (conflict, index) in self.logged_conflicts().iter().zip(logged) {
            out.change(&conflict.change);
            out.u32(index);
        }
        Ok(out.0)
    }

    /// Reads a batch written by [`ChangeBatch::serialize`]; the batch is read-only.
    ///
    /// # Errors
    /// [`Error::Deserialization`] for malformed input, with the byte offset; what the builder
    /// refuses of the content (out of order, bad flags, ...), also as
    /// [`Error::Deserialization`] with the offset of the group or change.
    pub fn deserialize(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader { bytes, at: 0 };
        if r.take(4)? != MAGIC {
            return Err(r.error_at(0, "not a serialized change batch (no WSCB magic)"));
        }
        let revision = r.u16()?;
        if revision != REVISION {
            return Err(r.error_at(
                4,
                format!("layout revision {revision}, this engine reads 1"),
            ));
        }
        let flags = r.u8()?;
        if flags & !(LAST | FULL | FORGOTTEN) != 0 {
            return Err(r.error_at(6, format!("unknown flags {flags:#04x}")));
        }
        let mut formats = [IdFormat::fixed(1); 3];
        for format in &mut formats {
            let start = r.at;
            let variable = match r.u8()? {
                0 => false,
                1 => true,
                other => {
                    return Err(r.error_at(start, format!("ID format flag {other}, not 0 or 1")));
                }
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
        let (work, remaining) = (r.u32()?, r.u32()?);
        let lower = if flags & FULL != 0 {
            Some(r.id(&formats.item, "item ID")?)
        } else {
            None
        };
        let count = r.count(4)?;
        let mut table = Vec::with_capacity(count);
        for _ in 0..count {
            let start = r.at;
            let blob = r.blob()?;
            let knowledge = Knowledge::deserialize(blob, None)
                .map_err(|e| r.error_at(start, format!("knowledge: {e}")))?;
            if *knowledge.formats() != formats {
                return Err(r.error_at(start, "knowledge of other ID formats"));
            }
            table.push(Arc::new(knowledge));
        }
        let prerequisite = r.knowledge(&table)?;
        let forgotten = if flags & FORGOTTEN != 0 {
            let start = r.at;
            let blob = r.blob()?;
            let forgotten = ForgottenKnowledge::deserialize(blob, None)
                .map_err(|e| r.error_at(start, format!("forgotten knowledge: {e}")))?;
            Some(Arc::new(forgotten))
        } else {
            None
        };
        let mut batch = match &lower {
            Some(lower) => {
                ChangeBatch::new_full_enumeration(formats, &owner, prerequisite, forgotten, lower)
            }
            None => ChangeBatch::new(formats, &owner, prerequisite, forgotten),
        }
        .map_err(|e| r.error_at(0, e.to_string()))?;
        let groups = r.count(6)?;
        for _ in 0..groups {
            let start = r.at;
            let kind = r.u8()?;
            let at = |r: &Reader<'_>, e: Error| r.error_at(start, e.to_string());
            let all = match kind {
                0 => {
                    let lower = r.id(&formats.item, "item ID")?;
                    batch
                        .begin_ordered_group(Some(&lower))
                        .map_err(|e| at(&r, e))?;
                    None
                }
                1 => {
                    let all = r.flag()?;
                    batch.begin_unordered_group().map_err(|e| at(&r, e))?;
                    Some(all)
                }
                other => return Err(r.error_at(start, format!("group kind {other}, not 0 or 1"))),
            };
            // The ordered group's upper bound comes before its knowledge.
            let upper = match all {
                None if r.flag()? => Some(r.id(&formats.item, "item ID")?),
                _ => None,
            };
            let made_with = r.knowledge(&table)?;
            let changes = r.count(30)?;
            for _ in 0..changes {
                let change_start = r.at;
                let change = r.change(&formats)?;
                let units = change.units.clone();
                let mut bare = change;
                bare.units.clear();
                batch
                    .add_change(bare)
                    .map_err(|e| r.error_at(change_start, e.to_string()))?;
                for unit in units {
                    batch
                        .add_change_unit(unit)
                        .map_err(|e| r.error_at(change_start, e.to_string()))?;
                }
            }
            match all {
                None => batch.end_ordered_group(upper.as_deref(), &made_with),
                Some(all) => batch.end_unordered_group(&made_with, all),
            }
            .map_err(|e| r.error_at(start, e.to_string()))?;
        }
        let logged = r.count(34)?;
        for _ in 0..logged {
            let start = r.at;
            let change = r.change(&formats)?;
            let knowledge = r.knowledge(&table)?;
            batch
                .add_logged_conflict(change, &knowledge)
                .map_err(|e| r.error_at(start, e.to_string()))?;
        }
        if r.at != bytes.len() {
            return Err(r.error_at(r.at, format!("{} bytes after the end", bytes.len() - r.at)));
        }
        if flags & LAST != 0 {
            batch.set_last_batch();
        }
        batch.set_work_for_batch(work);
        batch.set_remaining_work(remaining);
        batch.freeze();
        Ok(batch)
    }
}

impl Reader<'_> {
    fn flag(&mut self) -> Result<bool> {
        let start = self.at;
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(self.error_at(start, format!("flag {other}, not 0 or 1"))),
        }
    }

    fn blob(&mut self) -> Result<&[u8]> {
        let len = self.count(1)?;
        self.take(len)
    }

    fn knowledge(&mut self, table: &[Arc<Knowledge>]) -> Result<Arc<Knowledge>> {
        let start = self.at;
        let index = usize::try_from(self.u32()?).unwrap_or(usize::MAX);
        table.get(index).cloned().ok_or_else(|| {
            self.error_at(
                start,
                format!("knowledge index {index}, the table has {}", table.len()),
            )
        })
    }

    fn version(&mut self) -> Result<Version> {
        Ok(Version::new(self.u32()?, self.u64()?))
    }

    fn change(&mut self, formats: &IdFormats) -> Result<ItemChange> {
        let item = self.id(&formats.item, "item ID")?;
        let change_version = self.version()?;
        let creation_version = self.version()?;
        let raw_flags = self.u32()?;
        let flags = ChangeFlags(raw_flags & !MERGE_TOMBSTONE);
        let work = self.u32()?;
        let count = self.count(14)?;
        let mut units = Vec::with_capacity(count);
        for _ in 0..count {
            let unit = self.id(&formats.change_unit, "change unit ID")?;
            units.push(UnitChange {
                unit,
                version: self.version()?,
            });
        }
        let winner = if raw_flags & MERGE_TOMBSTONE == 0 {
            None
        } else {
            Some(self.id(&formats.item, "winning item ID")?)
        };
        Ok(ItemChange {
            item: item.into(),
            change_version,
            creation_version,
            flags,
            work,
            units,
            winner,
        })
    }
}
