//! The engine's byte format for a replica key map on its own
//! (`NF:winsync.IReplicaKeyMap.Serialize`), the project's own like the knowledge format:
//!
//! | field | bytes |
//! | --- | --- |
//! | magic `WSKM` | 4 |
//! | layout revision, `1` | 2 |
//! | replica ID format: `variable: u8, size: u16` | 3 |
//! | count `u32`, then each replica ID (`u16` length + data) in key order | 4 + IDs |
//!
//! Reading checks every ID against the format and refuses repeated IDs; problems are
//! [`Error::Deserialization`] with the byte offset.

use super::wire::{Reader, Writer};
use crate::error::{Error, Result};
use crate::id::IdFormat;
use crate::replica::ReplicaKeyMap;

const MAGIC: &[u8; 4] = b"WSKM";
const REVISION: u16 = 1;

impl ReplicaKeyMap {
    /// The map as bytes, its IDs of the replica ID format `format`.
    pub fn serialize(&self, format: &IdFormat) -> Vec<u8> {
        let mut out = Writer(Vec::with_capacity(
            13 + self.len() * (2 + usize::from(format.size)),
        ));
        out.0.extend_from_slice(MAGIC);
        out.u16(REVISION);
        out.0.push(u8::from(format.variable));
        out.u16(format.size);
        out.len(self.len());
        for (_, id) in self.iter() {
            out.id(id);
        }
        out.0
    }

    /// Reads a map written by [`ReplicaKeyMap::serialize`]; returns its replica ID format and
    /// the map, every key as it was.
    ///
    /// # Errors
    /// [`Error::Deserialization`] for malformed input (with the byte offset): no `WSKM` magic,
    /// an unknown revision, a bad format, an ID not of the format, a repeated ID, bytes after
    /// the end.
    pub fn deserialize(bytes: &[u8]) -> Result<(IdFormat, Self)> {
        let mut r = Reader { bytes, at: 0 };
        if r.take(4)? != MAGIC {
            return Err(r.error_at(0, "not a serialized replica key map (no WSKM magic)"));
        }
        let revision = r.u16()?;
        if revision != REVISION {
            return Err(r.error_at(
                4,
                format!("layout revision {revision}, this engine reads 1"),
            ));
        }
        let format_start = r.at;
        let variable = match r.u8()? {
            0 => false,
            1 => true,
            other => {
                return Err(r.error_at(format_start, format!("ID format flag {other}, not 0 or 1")));
            }
        };
        let format = IdFormat {
            variable,
            size: r.u16()?,
        };
        format
            .validate("replica")
            .map_err(|e| r.error_at(format_start, e.to_string()))?;
        let count = r.count(2)?;
        let mut map = Self::new();
        for _ in 0..count {
            let start = r.at;
            let id = r.id(&format, "replica ID")?;
            if map.key_of(&id).is_ok() {
                return Err(r.error_at(start, "a replica ID appears twice"));
            }
            map.find_or_add(&id)
                .map_err(|e| r.error_at(start, e.to_string()))?;
        }
        if r.at != bytes.len() {
            return Err(Error::Deserialization {
                offset: r.at,
                reason: format!("{} bytes after the end", bytes.len() - r.at),
            });
        }
        Ok((format, map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_map_reads_back_with_its_keys() {
        let format = IdFormat::fixed(4);
        let mut map = ReplicaKeyMap::new();
        for id in [b"own0", b"rep1", b"rep2"] {
            map.find_or_add(id).unwrap();
        }
        let bytes = map.serialize(&format);
        let (read_format, read) = ReplicaKeyMap::deserialize(&bytes).unwrap();
        assert_eq!(read_format, format);
        assert_eq!(read, map);
        assert_eq!(read.key_of(b"rep2"), Ok(2));
    }

    #[test]
    fn malformed_key_maps_are_refused_with_offsets() {
        let format = IdFormat::fixed(4);
        let mut map = ReplicaKeyMap::new();
        map.find_or_add(b"own0").unwrap();
        let bytes = map.serialize(&format);
        for cut in 0..bytes.len() {
            assert!(
                ReplicaKeyMap::deserialize(&bytes[..cut]).is_err(),
                "cut at {cut}"
            );
        }
        let mut twice = bytes.clone();
        twice[9..13].copy_from_slice(&2u32.to_le_bytes());
        twice.extend_from_slice(&bytes[13..]);
        assert!(matches!(
            ReplicaKeyMap::deserialize(&twice),
            Err(Error::Deserialization { offset: 19, .. })
        ));
        let mut wrong_size = bytes.clone();
        wrong_size[13] = 3;
        assert!(ReplicaKeyMap::deserialize(&wrong_size).is_err());
        let mut trailing = bytes;
        trailing.push(0);
        assert!(ReplicaKeyMap::deserialize(&trailing).is_err());
    }
}
