//! Where everything is in a `.winmd` file: stream headers, heaps, row counts and every table
//! cell. The project's fuzzer (`tools/gen-fuzz`) aims its mutations with it; not a stable API.

use super::headers;
use super::schema::{Kind, TABLES};
use super::tables::{Header, header};

/// What a table cell holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellKind {
    /// Flags, versions, RVAs.
    Fixed,
    /// An offset into `#Strings`.
    Str,
    /// An index into `#GUID`.
    Guid,
    /// An offset into `#Blob`.
    Blob,
    /// A row of the table with this number (an index or the start of a list).
    Row(u8),
    /// A coded index: tag bits, then the row.
    Coded {
        /// Tag bits.
        bits: u32,
    },
}

/// One cell of one row.
#[derive(Clone, Debug)]
pub struct Cell {
    /// The table's name in the standard, e.g. `NestedClass`.
    pub table: &'static str,
    /// The table's number.
    pub table_id: u8,
    /// The row, 1-based.
    pub row: usize,
    /// The column's name in the standard.
    pub column: &'static str,
    /// Its first byte in the file.
    pub offset: usize,
    /// 2 or 4 bytes (or a fixed column's width).
    pub width: usize,
    /// What it holds.
    pub kind: CellKind,
}

/// The map of a file whose headers read.
#[derive(Clone, Debug, Default)]
pub struct FileLayout {
    /// Each stream header's Offset field (Size follows it).
    pub stream_headers: Vec<usize>,
    /// `#Strings`, `#Blob` and `#GUID` as (start, length).
    pub heaps: Vec<(&'static str, usize, usize)>,
    /// Each present table's row count field: (table name, byte).
    pub row_counts: Vec<(&'static str, usize)>,
    /// Every cell of every table whose rows lie inside the `#~` stream.
    pub cells: Vec<Cell>,
    /// Rows per table number.
    pub rows: Vec<usize>,
}

/// Maps `bytes`.
///
/// # Errors
/// The header problem, as [`check`](super::check) words it.
pub fn layout(bytes: &[u8]) -> Result<FileLayout, String> {
    let streams = headers::read(bytes)?;
    let stream = streams.tables;
    let mut map = FileLayout {
        stream_headers: streams.headers.clone(),
        heaps: vec![
            ("#Strings", streams.strings.start, streams.strings.len),
            ("#Blob", streams.blobs.start, streams.blobs.len),
            ("#GUID", streams.guids.start, streams.guids.len),
        ],
        ..FileLayout::default()
    };
    let Ok(Header {
        layout,
        counts,
        rows_start: mut at,
    }) = header(bytes, &streams)
    else {
        return Ok(map);
    };
    map.row_counts = counts
        .iter()
        .map(|&(id, at)| {
            let name = TABLES
                .iter()
                .find(|t| t.id == id)
                .map_or("(unknown)", |t| t.name);
            (name, at)
        })
        .collect();
    let rows = layout.rows;
    let end = stream.start + stream.len;
    for table in TABLES {
        let count = rows[usize::from(table.id)];
        let width: usize = table.columns.iter().map(|c| layout.width(c)).sum();
        for row in 0..count {
            let mut cell = at + row * width;
            if cell + width > end {
                break;
            }
            for column in table.columns {
                let cell_width = layout.width(column);
                map.cells.push(Cell {
                    table: table.name,
                    table_id: table.id,
                    row: row + 1,
                    column: column.name,
                    offset: cell,
                    width: cell_width,
                    kind: match column.kind {
                        Kind::Fixed(_) => CellKind::Fixed,
                        Kind::Str => CellKind::Str,
                        Kind::Guid => CellKind::Guid,
                        Kind::Blob => CellKind::Blob,
                        Kind::Index { table, .. } | Kind::List(table) => CellKind::Row(table),
                        Kind::Coded { coding, .. } => CellKind::Coded { bits: coding.bits },
                    },
                });
                cell += cell_width;
            }
        }
        at = at.saturating_add(count.saturating_mul(width));
    }
    map.rows = rows.to_vec();
    Ok(map)
}
