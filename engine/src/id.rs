//! ID formats (`ID_PARAMETERS`, `NS:winsync._ID_PARAMETERS`) and the order of IDs.
//!
//! A session's three kinds of ID (replica, item, change unit) each have a format: a fixed
//! length, or a variable length up to a maximum (`NS:winsync._ID_PARAMETER_PAIR`). IDs cross
//! the COM boundary as bare `BYTE*`; a variable-length ID then carries its own length in the
//! `SYNC_ID` layout, a 2-byte little-endian size that counts itself, followed by the data.
//!
//! Decisions the pages leave open (written down here, tested in this crate):
//! - for a variable format, `cbIdSize` is the largest `SYNC_ID` **including** its 2-byte size
//!   field (the buffer a caller allocates holds the whole `SYNC_ID`), so the data is at most
//!   `cbIdSize - 2` bytes, and at least 1;
//! - the engine holds an ID as its data bytes (without the size field);
//! - IDs are ordered by unsigned lexicographic comparison of their data bytes: for fixed-length
//!   IDs that is `memcmp` over the length; for variable-length IDs a proper prefix sorts first.
//!   Ranges (range exceptions, ordered groups, `SYNC_RANGE`) are over this order.

use crate::error::{Error, Result};

/// The format of one kind of ID: `ID_PARAMETER_PAIR { fIsVariable, cbIdSize }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IdFormat {
    /// `fIsVariable`: the length varies (up to `size`) instead of being exactly `size`.
    pub variable: bool,
    /// `cbIdSize`: the exact length in bytes (fixed), or the largest `SYNC_ID` in bytes,
    /// size field included (variable). Greater than zero; at least 3 for a variable format.
    pub size: u16,
}

impl IdFormat {
    /// A fixed format of `size` bytes.
    pub const fn fixed(size: u16) -> Self {
        Self {
            variable: false,
            size,
        }
    }

    /// A variable format whose `SYNC_ID`s are at most `size` bytes, size field included.
    pub const fn variable(size: u16) -> Self {
        Self {
            variable: true,
            size,
        }
    }

    /// Checks the format itself: `size > 0` (`NS:winsync._ID_PARAMETER_PAIR`), and room for at
    /// least one data byte after the size field when variable.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`].
    pub fn validate(&self, what: &str) -> Result<()> {
        if self.size == 0 || (self.variable && self.size < 3) {
            return Err(Error::InvalidArgument(format!(
                "the {what} format declares {} bytes{}",
                self.size,
                if self.variable {
                    ", too few for a SYNC_ID (2-byte size field and at least 1 byte)"
                } else {
                    ""
                }
            )));
        }
        Ok(())
    }

    /// The longest data in bytes.
    pub fn max_data(&self) -> usize {
        if self.variable {
            usize::from(self.size).saturating_sub(2)
        } else {
            usize::from(self.size)
        }
    }

    /// The shortest data in bytes.
    pub fn min_data(&self) -> usize {
        if self.variable {
            1
        } else {
            usize::from(self.size)
        }
    }

    /// Checks an ID's data against the format.
    ///
    /// # Errors
    /// [`Error::IdFormatMismatch`] naming `what`.
    pub fn check(&self, what: &'static str, data: &[u8]) -> Result<()> {
        let len = data.len();
        if len < self.min_data() || len > self.max_data() {
            return Err(Error::IdFormatMismatch {
                what,
                detail: if self.variable {
                    format!(
                        "{len} data bytes, the format allows 1 to {}",
                        self.max_data()
                    )
                } else {
                    format!("{len} bytes, the format is fixed at {}", self.size)
                },
            });
        }
        Ok(())
    }

    /// The smallest ID of the format: all zero bytes (fixed), or one zero byte (variable).
    pub fn min_id(&self) -> Box<[u8]> {
        vec![0; self.min_data()].into_boxed_slice()
    }

    /// The smallest ID of the format greater than `id`, or `None` when `id` is the largest.
    pub fn successor(&self, id: &[u8]) -> Option<Box<[u8]>> {
        if self.variable && id.len() < self.max_data() {
            let mut next = id.to_vec();
            next.push(0);
            return Some(next.into_boxed_slice());
        }
        let mut next = id.to_vec();
        if self.variable {
            // Longest IDs: strip the trailing 0xFF bytes and increment the last one left.
            while next.last() == Some(&0xFF) {
                next.pop();
            }
            let last = next.last_mut()?;
            *last += 1;
            return Some(next.into_boxed_slice());
        }
        for byte in next.iter_mut().rev() {
            if *byte == 0xFF {
                *byte = 0;
            } else {
                *byte += 1;
                return Some(next.into_boxed_slice());
            }
        }
        None
    }

    /// The largest ID of the format smaller than `id`, or `None` when `id` is the smallest.
    pub fn predecessor(&self, id: &[u8]) -> Option<Box<[u8]>> {
        let mut prev = id.to_vec();
        if self.variable {
            // `p ++ [0]` follows `p` directly; otherwise decrement the last byte and fill up to
            // the longest length with 0xFF.
            if prev.last() == Some(&0) {
                prev.pop();
                return (!prev.is_empty()).then(|| prev.into_boxed_slice());
            }
            let last = prev.last_mut()?;
            *last -= 1;
            prev.resize(self.max_data(), 0xFF);
            return Some(prev.into_boxed_slice());
        }
        for byte in prev.iter_mut().rev() {
            if *byte == 0 {
                *byte = 0xFF;
            } else {
                *byte -= 1;
                return Some(prev.into_boxed_slice());
            }
        }
        None
    }

    /// The largest ID of the format: all 0xFF bytes of the longest length.
    pub fn max_id(&self) -> Box<[u8]> {
        vec![0xFF; self.max_data()].into_boxed_slice()
    }

    /// The number of bytes an ID occupies on the wire (`SYNC_ID` for a variable format).
    pub fn wire_len(&self, data: &[u8]) -> usize {
        if self.variable {
            data.len() + 2
        } else {
            data.len()
        }
    }

    /// Writes an ID in its wire form: the data (fixed), or the `SYNC_ID` layout (variable).
    pub fn to_wire(&self, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.wire_len(data));
        if self.variable {
            // `check` bounds the data by a u16 size; saturate rather than wrap otherwise.
            let total = u16::try_from(data.len() + 2).unwrap_or(u16::MAX);
            out.extend_from_slice(&total.to_le_bytes());
        }
        out.extend_from_slice(data);
        out
    }

    /// The data of a wire-form ID whose first bytes are `prefix` (at least 2 bytes for a
    /// variable format, the whole ID for a fixed one): the number of bytes the whole ID takes.
    ///
    /// # Errors
    /// [`Error::IdFormatMismatch`] when a `SYNC_ID` size field is out of the format's bounds.
    pub fn wire_size(&self, what: &'static str, size_field: Option<[u8; 2]>) -> Result<usize> {
        match (self.variable, size_field) {
            (false, _) => Ok(usize::from(self.size)),
            (true, None) => Err(Error::IdFormatMismatch {
                what,
                detail: "a variable-length ID needs its 2-byte size field".into(),
            }),
            (true, Some(field)) => {
                let total = usize::from(u16::from_le_bytes(field));
                if total < 3 || total > usize::from(self.size) {
                    return Err(Error::IdFormatMismatch {
                        what,
                        detail: format!(
                            "its SYNC_ID size field says {total} bytes, the format allows 3 to {}",
                            self.size
                        ),
                    });
                }
                Ok(total)
            }
        }
    }
}

/// `ID_PARAMETERS`: the formats of a session's replica, item and change-unit IDs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IdFormats {
    /// Replica IDs (recommended: a 16-byte GUID, `NN:winsync.IReplicaKeyMap`).
    pub replica: IdFormat,
    /// Item IDs (Sync Framework's default: 24 bytes, `SYNC_GID`).
    pub item: IdFormat,
    /// Change-unit IDs.
    pub change_unit: IdFormat,
}

impl IdFormats {
    /// Replica 16 bytes, item 24 bytes, change unit 1 byte, all fixed: the example schema of
    /// MS-XSSK and Sync Framework's defaults.
    pub const GUID_GID: Self = Self {
        replica: IdFormat::fixed(16),
        item: IdFormat::fixed(24),
        change_unit: IdFormat::fixed(1),
    };

    /// Checks all three formats.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the bad one.
    pub fn validate(&self) -> Result<()> {
        self.replica.validate("replica ID")?;
        self.item.validate("item ID")?;
        self.change_unit.validate("change unit ID")
    }

    /// Checks a replica ID.
    ///
    /// # Errors
    /// [`Error::IdFormatMismatch`].
    pub fn check_replica(&self, id: &[u8]) -> Result<()> {
        self.replica.check("replica ID", id)
    }

    /// Checks an item ID.
    ///
    /// # Errors
    /// [`Error::IdFormatMismatch`].
    pub fn check_item(&self, id: &[u8]) -> Result<()> {
        self.item.check("item ID", id)
    }

    /// Checks a change-unit ID.
    ///
    /// # Errors
    /// [`Error::IdFormatMismatch`].
    pub fn check_change_unit(&self, id: &[u8]) -> Result<()> {
        self.change_unit.check("change unit ID", id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn successors_follow_the_byte_order() {
        let fixed = IdFormat::fixed(2);
        assert_eq!(fixed.successor(&[0, 0]).as_deref(), Some(&[0, 1][..]));
        assert_eq!(fixed.successor(&[0, 0xFF]).as_deref(), Some(&[1, 0][..]));
        assert_eq!(fixed.successor(&[0xFF, 0xFF]), None);
        let variable = IdFormat::variable(5); // up to 3 data bytes
        assert_eq!(variable.successor(&[7]).as_deref(), Some(&[7, 0][..]));
        assert_eq!(
            variable.successor(&[7, 0xFF, 0xFF]).as_deref(),
            Some(&[8][..])
        );
        assert_eq!(variable.successor(&[0xFF, 0xFF, 0xFF]), None);
        // Nothing lies strictly between an ID and its successor.
        let ids: Vec<Vec<u8>> = (0..=255u8)
            .flat_map(|a| {
                [
                    vec![a],
                    vec![a, 0],
                    vec![a, 0xFF],
                    vec![a, 0xFF, 0xFF],
                    vec![a, 1, 2],
                ]
            })
            .collect();
        for id in &ids {
            if let Some(next) = variable.successor(id) {
                assert!(next.as_ref() > id.as_slice());
                assert!(
                    !ids.iter()
                        .any(|x| x.as_slice() > id.as_slice() && x.as_slice() < next.as_ref())
                );
                assert_eq!(variable.predecessor(&next).as_deref(), Some(id.as_slice()));
            }
        }
        assert_eq!(fixed.predecessor(&[1, 0]).as_deref(), Some(&[0, 0xFF][..]));
        assert_eq!(fixed.predecessor(&[0, 0]), None);
        assert_eq!(variable.predecessor(&[0]), None);
    }

    #[test]
    fn formats_check_lengths_and_wire_sizes() {
        let f = IdFormats::GUID_GID;
        assert!(f.check_item(&[0; 24]).is_ok());
        assert_eq!(
            f.check_item(&[0; 23]).unwrap_err().code(),
            crate::error::SYNC_E_ID_FORMAT_MISMATCH
        );
        let v = IdFormat::variable(10);
        assert!(v.check("x", &[1; 8]).is_ok());
        assert!(v.check("x", &[1; 9]).is_err());
        assert!(v.check("x", &[]).is_err());
        assert_eq!(v.to_wire(&[9, 9]), [4, 0, 9, 9]);
        assert_eq!(v.wire_size("x", Some([4, 0])), Ok(4));
        assert!(v.wire_size("x", Some([11, 0])).is_err());
        assert!(IdFormat::variable(2).validate("x").is_err());
        assert!(IdFormat::fixed(0).validate("x").is_err());
    }
}
