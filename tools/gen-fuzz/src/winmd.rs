//! Aimed mutations of the bundled `.winmd`: table cells, type cycles, layout values, heaps,
//! stream headers, row counts, truncation and plain byte flips.

use winsync_gen::parse::ecma335::{CellKind, FileLayout};

use crate::rng::Rng;

/// The mutations, by name (the report counts results per name).
pub const KINDS: &[&str] = &[
    "cell",
    "cycle",
    "layout-value",
    "heap",
    "stream-header",
    "row-count",
    "truncate",
    "flip",
];

/// Mutates a copy of `original` (mapped by `map`) with the mutation `kind`; returns the bytes
/// and a description of what changed.
pub fn mutate(original: &[u8], map: &FileLayout, kind: &str, rng: &mut Rng) -> (Vec<u8>, String) {
    let mut bytes = original.to_vec();
    let what = match kind {
        "cell" => cell(&mut bytes, map, rng),
        "cycle" => cycle(&mut bytes, map, rng),
        "layout-value" => layout_value(&mut bytes, map, rng),
        "heap" => heap(&mut bytes, map, rng),
        "stream-header" => stream_header(&mut bytes, map, rng),
        "row-count" => row_count(&mut bytes, map, rng),
        "truncate" => {
            // Inside the headers, inside the tables, or anywhere.
            let tables = map.cells.first().map_or(bytes.len() / 2, |c| c.offset);
            let cut = match rng.below(3) {
                0 => rng.below(tables.min(bytes.len())),
                1 => tables + rng.below(bytes.len().saturating_sub(tables)),
                _ => rng.below(bytes.len()),
            };
            bytes.truncate(cut);
            format!("cut to {cut} bytes")
        }
        _ => {
            let flips = 1 + rng.below(32);
            for _ in 0..flips {
                let at = rng.below(bytes.len());
                bytes[at] ^= 1 << rng.below(8);
            }
            format!("{flips} random bit flips")
        }
    };
    // A value set to what it was (or flips that cancel out) is no case at all.
    if bytes == original {
        let at = rng.below(bytes.len());
        bytes[at] ^= 1;
        return (
            bytes,
            format!("{what}, which changed nothing: bit 0 of byte {at:#x} flipped"),
        );
    }
    (bytes, what)
}

fn write(bytes: &mut [u8], at: usize, width: usize, value: u64) {
    let le = value.to_le_bytes();
    let width = width.min(8);
    if let Some(cell) = bytes.get_mut(at..at + width) {
        cell.copy_from_slice(&le[..width]);
    }
}

fn read(bytes: &[u8], at: usize, width: usize) -> u64 {
    let mut le = [0u8; 8];
    let width = width.min(8);
    if let Some(cell) = bytes.get(at..at + width) {
        le[..width].copy_from_slice(cell);
    }
    u64::from_le_bytes(le)
}

/// A random cell set to a value at or past an edge of what it refers to.
fn cell(bytes: &mut [u8], map: &FileLayout, rng: &mut Rng) -> String {
    let Some(cell) = rng.pick(&map.cells).cloned() else {
        return "no cells".into();
    };
    let max = if cell.width >= 8 {
        u64::MAX
    } else {
        (1u64 << (cell.width * 8)) - 1
    };
    let old = read(bytes, cell.offset, cell.width);
    let heap_len = |name: &str| {
        map.heaps
            .iter()
            .find(|(n, ..)| *n == name)
            .map_or(0, |(_, _, len)| *len as u64)
    };
    let edge = match cell.kind {
        CellKind::Str => heap_len("#Strings"),
        CellKind::Blob => heap_len("#Blob"),
        CellKind::Guid => heap_len("#GUID") / 16,
        CellKind::Row(table) => map.rows.get(usize::from(table)).copied().unwrap_or(0) as u64,
        CellKind::Coded { bits } => old ^ u64::from(1 + rng.below((1 << bits) - 1) as u32),
        CellKind::Fixed => old,
    };
    let value = match rng.below(6) {
        0 => 0,
        1 => edge,
        2 => edge + 1,
        3 => max,
        4 => old ^ (1 << rng.below(cell.width * 8)),
        _ => rng.next(),
    } & max;
    write(bytes, cell.offset, cell.width, value);
    format!(
        "table {} row {} column {}: {old:#x} -> {value:#x}",
        cell.table, cell.row, cell.column
    )
}

/// Rows that enclose, implement or extend themselves or each other.
fn cycle(bytes: &mut [u8], map: &FileLayout, rng: &mut Rng) -> String {
    let column = |table: &str, row: usize, name: &str| {
        map.cells
            .iter()
            .find(|c| c.table == table && c.row == row && c.column == name)
            .cloned()
    };
    let rows = |table: &str| {
        map.cells
            .iter()
            .filter(|c| c.table == table)
            .map(|c| c.row)
            .max()
            .unwrap_or(0)
    };
    match rng.below(3) {
        0 if rows("NestedClass") >= 2 => {
            let (a, b) = (
                1 + rng.below(rows("NestedClass")),
                1 + rng.below(rows("NestedClass")),
            );
            let (Some(a_nested), Some(a_enclosing), Some(b_nested), Some(b_enclosing)) = (
                column("NestedClass", a, "NestedClass"),
                column("NestedClass", a, "EnclosingClass"),
                column("NestedClass", b, "NestedClass"),
                column("NestedClass", b, "EnclosingClass"),
            ) else {
                return "no NestedClass rows".into();
            };
            let a_type = read(bytes, a_nested.offset, a_nested.width);
            let b_type = read(bytes, b_nested.offset, b_nested.width);
            write(bytes, a_enclosing.offset, a_enclosing.width, b_type);
            write(bytes, b_enclosing.offset, b_enclosing.width, a_type);
            format!("NestedClass rows {a} and {b} enclose each other")
        }
        1 if rows("InterfaceImpl") >= 1 => {
            let row = 1 + rng.below(rows("InterfaceImpl"));
            let (Some(class), Some(interface)) = (
                column("InterfaceImpl", row, "Class"),
                column("InterfaceImpl", row, "Interface"),
            ) else {
                return "no InterfaceImpl rows".into();
            };
            let def = read(bytes, class.offset, class.width);
            // TypeDefOrRef: tag 0 is TypeDef.
            write(bytes, interface.offset, interface.width, def << 2);
            format!("InterfaceImpl row {row}: TypeDef {def} implements itself")
        }
        _ => {
            let row = 1 + rng.below(rows("TypeDef"));
            let Some(extends) = column("TypeDef", row, "Extends") else {
                return "no TypeDef rows".into();
            };
            write(bytes, extends.offset, extends.width, (row as u64) << 2);
            format!("TypeDef row {row} extends itself")
        }
    }
}

/// Values the emitted Rust spells out: packing sizes, class sizes, import and module names.
fn layout_value(bytes: &mut [u8], map: &FileLayout, rng: &mut Rng) -> String {
    let targets: Vec<_> = map
        .cells
        .iter()
        .filter(|c| {
            matches!(
                (c.table, c.column),
                ("ClassLayout", "PackingSize" | "ClassSize")
                    | ("ImplMap", "ImportName" | "MappingFlags")
                    | ("ModuleRef", "Name")
                    | ("FieldLayout", "Offset")
                    | ("Constant", "Type")
            )
        })
        .cloned()
        .collect();
    let Some(cell) = rng.pick(&targets).cloned() else {
        return "no layout values".into();
    };
    let value = match (cell.column, rng.below(4)) {
        ("PackingSize", 0) => 0,
        ("PackingSize", 1) => 3,
        ("PackingSize", _) => 255,
        (_, 0) => 0,
        (_, 1) => 1,
        _ => rng.next() & 0xFFFF,
    };
    write(bytes, cell.offset, cell.width, value);
    format!(
        "table {} row {} column {} set to {value:#x}",
        cell.table, cell.row, cell.column
    )
}

/// Bytes of the `#Strings` or `#Blob` heap damaged (non-UTF-8 names, broken blob lengths).
fn heap(bytes: &mut [u8], map: &FileLayout, rng: &mut Rng) -> String {
    let heaps: Vec<_> = map.heaps.iter().filter(|(_, _, len)| *len > 0).collect();
    let Some((name, start, len)) = rng.pick(&heaps).map(|h| **h) else {
        return "no heaps".into();
    };
    let at = start + rng.below(len);
    let value = match rng.below(3) {
        0 => 0xFF,
        1 => 0x00,
        _ => rng.next() as u8,
    };
    if let Some(byte) = bytes.get_mut(at) {
        *byte = value;
    }
    format!("{name} byte {at:#x} set to {value:#04x}")
}

/// A stream header's offset or size moved.
fn stream_header(bytes: &mut [u8], map: &FileLayout, rng: &mut Rng) -> String {
    let Some(header) = rng.pick(&map.stream_headers).copied() else {
        return "no stream headers".into();
    };
    let field = header + 4 * rng.below(2);
    let old = read(bytes, field, 4);
    let value = match rng.below(5) {
        0 => 0,
        1 => old + 4,
        2 => old.saturating_sub(4),
        3 => u64::from(u32::MAX),
        _ => rng.next() & 0xFF_FFFF,
    } & 0xFFFF_FFFF;
    write(bytes, field, 4, value);
    format!("stream header field at byte {field:#x}: {old:#x} -> {value:#x}")
}

/// A table's row count changed.
fn row_count(bytes: &mut [u8], map: &FileLayout, rng: &mut Rng) -> String {
    let Some((table, at)) = rng.pick(&map.row_counts).copied() else {
        return "no row counts".into();
    };
    let old = read(bytes, at, 4);
    let value = match rng.below(5) {
        0 => 0,
        1 => old + 1,
        2 => old.saturating_sub(1),
        3 => old * 2,
        _ => u64::from(u32::MAX),
    } & 0xFFFF_FFFF;
    write(bytes, at, 4, value);
    format!("{table} row count {old} -> {value}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use winsync_gen::bundled;

    /// Every mutation changes the file, the same way for the same seed.
    #[test]
    fn every_kind_changes_the_file_reproducibly() {
        let map = winsync_gen::parse::ecma335::layout(bundled::WINMD).unwrap();
        assert!(map.cells.len() > 10_000, "{} cells", map.cells.len());
        for kind in KINDS {
            for seed in 1..=20 {
                let (bytes, what) = mutate(bundled::WINMD, &map, kind, &mut Rng::new(seed));
                assert!(bytes != bundled::WINMD, "{kind} seed {seed}: {what}");
                let (again, _) = mutate(bundled::WINMD, &map, kind, &mut Rng::new(seed));
                assert!(bytes == again, "{kind} seed {seed}: not reproducible");
            }
        }
    }
}
