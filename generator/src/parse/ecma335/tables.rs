//! The `#~` stream: the row counts, the size of every table, and every cell of every row
//! checked against the heap, table or coding it refers to (ECMA-335 Partition II, §24.2.6).

use super::headers::{Span, Streams, u16_at, u32_at};
use super::schema::{Coding, Column, Kind, TABLES, Table, table_by_id};

/// The `#~` stream's header read: the layout of the rows, each present table's row count
/// field (table number, byte) and where the rows start.
pub(super) struct Header<'a> {
    pub(super) layout: Layout<'a>,
    pub(super) counts: Vec<(u8, usize)>,
    pub(super) rows_start: usize,
}

/// Reads the `#~` stream's header and row counts.
pub(super) fn header<'a>(bytes: &'a [u8], streams: &Streams) -> Result<Header<'a>, String> {
    let stream = streams.tables;
    if stream.len < 24 {
        return Err(format!(
            "the `#~` stream is {} bytes, shorter than its 24-byte header",
            stream.len
        ));
    }
    let heap_sizes = bytes[stream.start + 6];
    let valid = u64::from(u32_at(bytes, stream.start + 8).unwrap_or(0))
        | u64::from(u32_at(bytes, stream.start + 12).unwrap_or(0)) << 32;
    let stream_end = stream.start + stream.len;
    let mut rows = [0usize; 64];
    let mut counts = Vec::new();
    let mut at = stream.start + 24;
    for id in 0..64u8 {
        if valid >> id & 1 == 0 {
            continue;
        }
        if table_by_id(id).is_none() {
            return Err(format!(
                "the `#~` stream lists table {id:#04x}, which compressed metadata does not have"
            ));
        }
        if at + 4 > stream_end {
            return Err("the `#~` stream ends inside its row counts".into());
        }
        rows[usize::from(id)] = u32_at(bytes, at).unwrap_or(0) as usize;
        counts.push((id, at));
        at += 4;
    }
    Ok(Header {
        layout: Layout {
            bytes,
            rows,
            heap_sizes,
            strings: streams.strings,
            blobs: streams.blobs,
            guid_count: streams.guids.len / 16,
        },
        counts,
        rows_start: at,
    })
}

/// Checks the tables; the error names the table, row (1-based), column and byte.
pub fn check(bytes: &[u8], streams: &Streams) -> Result<(), String> {
    let stream_end = streams.tables.start + streams.tables.len;
    let Header {
        layout,
        rows_start: mut at,
        ..
    } = header(bytes, streams)?;
    for table in TABLES {
        let count = layout.rows[usize::from(table.id)];
        if count == 0 {
            continue;
        }
        let width: usize = table.columns.iter().map(|c| layout.width(c)).sum();
        let end = count
            .checked_mul(width)
            .and_then(|size| at.checked_add(size))
            .filter(|end| *end <= stream_end)
            .ok_or_else(|| {
                format!(
                    "table {} ({count} rows of {width} bytes, from byte {at:#x}) runs past the \
                     end of the `#~` stream (byte {stream_end:#x})",
                    table.name
                )
            })?;
        layout.check_rows(table, at, count, width)?;
        at = end;
    }
    Ok(())
}

/// The file offset of a cell, for tests that damage one: `table` by number, `row` 1-based,
/// `column` by the standard's name.
#[cfg(test)]
pub fn cell_offset(
    bytes: &[u8],
    streams: &Streams,
    table: u8,
    row: usize,
    column: &str,
) -> Option<usize> {
    let Header {
        layout,
        rows_start: mut at,
        ..
    } = header(bytes, streams).ok()?;
    for schema in TABLES {
        let width: usize = schema.columns.iter().map(|c| layout.width(c)).sum();
        if schema.id == table {
            let mut cell = at + (row - 1) * width;
            for c in schema.columns {
                if c.name == column {
                    return Some(cell);
                }
                cell += layout.width(c);
            }
            return None;
        }
        at += layout.rows[usize::from(schema.id)] * width;
    }
    None
}

/// The table stream's shape: row counts and heap index sizes, which fix every column's width.
pub(super) struct Layout<'a> {
    pub(super) bytes: &'a [u8],
    pub(super) rows: [usize; 64],
    pub(super) heap_sizes: u8,
    pub(super) strings: Span,
    pub(super) blobs: Span,
    pub(super) guid_count: usize,
}

impl Layout<'_> {
    fn rows_of(&self, table: u8) -> usize {
        self.rows[usize::from(table)]
    }

    fn index_width(&self, table: u8) -> usize {
        if self.rows_of(table) < 1 << 16 { 2 } else { 4 }
    }

    fn coded_width(&self, coding: &Coding) -> usize {
        let limit = 1usize << (16 - coding.bits);
        let small = coding
            .tables
            .iter()
            .flatten()
            .all(|table| self.rows_of(*table) < limit);
        if small { 2 } else { 4 }
    }

    pub(super) fn width(&self, column: &Column) -> usize {
        let heap = |bit: u8| {
            if self.heap_sizes >> bit & 1 == 1 {
                4
            } else {
                2
            }
        };
        match column.kind {
            Kind::Fixed(bytes) => bytes,
            Kind::Str => heap(0),
            Kind::Guid => heap(1),
            Kind::Blob => heap(2),
            Kind::Index { table, .. } | Kind::List(table) => self.index_width(table),
            Kind::Coded { coding, .. } => self.coded_width(coding),
        }
    }

    fn value(&self, at: usize, width: usize) -> usize {
        match width {
            2 => u16_at(self.bytes, at).map_or(0, usize::from),
            4 => u32_at(self.bytes, at).map_or(0, |v| v as usize),
            _ => 0,
        }
    }

    fn check_rows(
        &self,
        table: &Table,
        start: usize,
        count: usize,
        width: usize,
    ) -> Result<(), String> {
        let mut previous_list = vec![1usize; table.columns.len()];
        for row in 0..count {
            let mut at = start + row * width;
            for (index, column) in table.columns.iter().enumerate() {
                let cell_width = self.width(column);
                let value = self.value(at, cell_width);
                let located = |what: String| {
                    format!(
                        "table {} row {} column {} (byte {at:#x}): {what}",
                        table.name,
                        row + 1,
                        column.name
                    )
                };
                match column.kind {
                    Kind::Fixed(_) => {}
                    Kind::Str => self.check_string(value).map_err(located)?,
                    Kind::Guid => {
                        if value > self.guid_count {
                            return Err(located(format!(
                                "GUID index {value} is past the `#GUID` heap ({} GUIDs)",
                                self.guid_count
                            )));
                        }
                    }
                    Kind::Blob => self.check_blob(value).map_err(located)?,
                    Kind::Index {
                        table: target,
                        null,
                    } => {
                        self.check_row(target, value, null).map_err(located)?;
                    }
                    Kind::List(target) => {
                        let last = self.rows_of(target) + 1;
                        if value == 0 || value > last {
                            return Err(located(format!(
                                "list start {value} is outside rows 1..={last} of table {}",
                                table_name(target)
                            )));
                        }
                        if value < previous_list[index] {
                            return Err(located(format!(
                                "list start {value} is before the previous row's {}",
                                previous_list[index]
                            )));
                        }
                        previous_list[index] = value;
                    }
                    Kind::Coded { coding, null } => {
                        self.check_coded(coding, value, null).map_err(located)?;
                    }
                }
                at += cell_width;
            }
        }
        Ok(())
    }

    fn check_row(&self, target: u8, value: usize, null: bool) -> Result<(), String> {
        let count = self.rows_of(target);
        if value == 0 && !null {
            return Err(format!("no row of table {} (0)", table_name(target)));
        }
        if value > count {
            return Err(format!(
                "row {value} of table {}, which has {count} rows",
                table_name(target)
            ));
        }
        Ok(())
    }

    fn check_coded(&self, coding: &Coding, value: usize, null: bool) -> Result<(), String> {
        if value == 0 && null {
            return Ok(());
        }
        let tag = value & ((1 << coding.bits) - 1);
        let Some(Some(target)) = coding.tables.get(tag) else {
            return Err(format!("{} tag {tag} names no table", coding.name));
        };
        self.check_row(*target, value >> coding.bits, false)
            .map_err(|what| format!("{} {what}", coding.name))
    }

    fn check_string(&self, offset: usize) -> Result<(), String> {
        let heap = &self.bytes[self.strings.start..self.strings.start + self.strings.len];
        let Some(rest) = heap.get(offset..).filter(|rest| !rest.is_empty()) else {
            return Err(format!(
                "string offset {offset:#x} is past the `#Strings` heap ({} bytes)",
                heap.len()
            ));
        };
        let Some(end) = rest.iter().position(|b| *b == 0) else {
            return Err(format!(
                "the string at offset {offset:#x} runs past the `#Strings` heap"
            ));
        };
        std::str::from_utf8(&rest[..end])
            .map(|_| ())
            .map_err(|e| format!("the string at offset {offset:#x} is not UTF-8 ({e})"))
    }

    fn check_blob(&self, offset: usize) -> Result<(), String> {
        let heap = &self.bytes[self.blobs.start..self.blobs.start + self.blobs.len];
        let Some(&first) = heap.get(offset) else {
            return Err(format!(
                "blob offset {offset:#x} is past the `#Blob` heap ({} bytes)",
                heap.len()
            ));
        };
        let byte = |i: usize| heap.get(offset + i).map_or(0, |b| usize::from(*b));
        let (len, prefix) = match first >> 5 {
            0..=3 => (usize::from(first & 0x7f), 1),
            4..=5 => (usize::from(first & 0x3f) << 8 | byte(1), 2),
            6 => (
                usize::from(first & 0x1f) << 24 | byte(1) << 16 | byte(2) << 8 | byte(3),
                4,
            ),
            _ => {
                return Err(format!(
                    "the blob at offset {offset:#x} has an invalid length prefix {first:#04x}"
                ));
            }
        };
        if offset + prefix + len > heap.len() {
            return Err(format!(
                "the blob at offset {offset:#x} ({len} bytes) runs past the `#Blob` heap ({} bytes)",
                heap.len()
            ));
        }
        Ok(())
    }
}

fn table_name(id: u8) -> &'static str {
    table_by_id(id).map_or("?", |table| table.name)
}
