//! The byte primitives of the engine's formats: little-endian integers, counts bounded by
//! the bytes left, IDs as `u16` length + data.

use crate::error::{Error, Result};
use crate::id::IdFormat;

/// Appends little-endian fields.
pub(super) struct Writer(pub(super) Vec<u8>);

impl Writer {
    pub(super) fn u16(&mut self, v: u16) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(super) fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(super) fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(super) fn len(&mut self, n: usize) {
        self.u32(u32::try_from(n).unwrap_or(u32::MAX));
    }
    pub(super) fn id(&mut self, id: &[u8]) {
        // IDs are checked against formats of at most u16::MAX bytes.
        self.u16(u16::try_from(id.len()).unwrap_or(u16::MAX));
        self.0.extend_from_slice(id);
    }
}

/// Reads little-endian fields, every length checked against the bytes left.
pub(super) struct Reader<'a> {
    pub(super) bytes: &'a [u8],
    pub(super) at: usize,
}

impl Reader<'_> {
    pub(super) fn error_at(&self, offset: usize, reason: impl Into<String>) -> Error {
        Error::Deserialization {
            offset,
            reason: reason.into(),
        }
    }

    pub(super) fn take(&mut self, n: usize) -> Result<&[u8]> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len())
            .ok_or_else(|| {
                self.error_at(
                    self.at,
                    format!("{n} more bytes needed, {} left", self.bytes.len() - self.at),
                )
            })?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    pub(super) fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    pub(super) fn u16(&mut self) -> Result<u16> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    pub(super) fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub(super) fn u64(&mut self) -> Result<u64> {
        let b = self.take(8)?;
        let mut a = [0; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    /// A count of elements of at least `min_size` bytes each, bounded by the bytes left.
    pub(super) fn count(&mut self, min_size: usize) -> Result<usize> {
        let start = self.at;
        let count = usize::try_from(self.u32()?).unwrap_or(usize::MAX);
        let left = self.bytes.len() - self.at;
        if count.saturating_mul(min_size) > left {
            return Err(self.error_at(
                start,
                format!("a count of {count} does not fit in the {left} bytes left"),
            ));
        }
        Ok(count)
    }

    pub(super) fn id(&mut self, format: &IdFormat, what: &'static str) -> Result<Box<[u8]>> {
        let start = self.at;
        let len = usize::from(self.u16()?);
        let data: Box<[u8]> = self.take(len)?.into();
        format
            .check(what, &data)
            .map_err(|e| self.error_at(start, e.to_string()))?;
        Ok(data)
    }
}
