//! The pages' HTML tables: rows and cells read, turned into Markdown tables (or, for a
//! return-code table, read as a list by [`super::return_codes`]).

use super::Links;
use super::html::{collapse_spaces, convert};

/// The byte range of the first `<table ...> ... </table>` at or after `from`.
pub(super) fn find_table(text: &str, from: usize) -> Option<(usize, usize)> {
    let lower = text.to_ascii_lowercase();
    let start = from + lower[from..].find("<table")?;
    let end = start + lower[start..].find("</table>")? + "</table>".len();
    Some((start, end))
}

pub(super) struct Row {
    pub(super) header: bool,
    /// Each cell's inner HTML.
    pub(super) cells: Vec<String>,
}

pub(super) fn table_rows(table: &str) -> Vec<Row> {
    let lower = table.to_ascii_lowercase();
    let mut rows = Vec::new();
    let mut at = 0;
    while let Some(offset) = lower[at..].find("<tr") {
        let start = at + offset;
        let end = lower[start + 3..]
            .find("<tr")
            .map_or(lower.len(), |e| start + 3 + e);
        let mut cells = Vec::new();
        let mut header = false;
        let mut pos = start;
        loop {
            let th = lower[pos..end].find("<th");
            let td = lower[pos..end].find("<td");
            let (offset, is_th) = match (th, td) {
                (Some(h), Some(d)) if h < d => (h, true),
                (_, Some(d)) => (d, false),
                (Some(h), None) => (h, true),
                (None, None) => break,
            };
            let open = pos + offset;
            let Some(open_end) = lower[open..end].find('>') else {
                break;
            };
            let body = open + open_end + 1;
            let close_tag = if is_th { "</th>" } else { "</td>" };
            let close = lower[body..end].find(close_tag).map_or(end, |c| body + c);
            header |= is_th;
            cells.push(table[body..close].to_owned());
            pos = (close + close_tag.len()).min(end);
            if pos >= end {
                break;
            }
        }
        if !cells.is_empty() {
            rows.push(Row { header, cells });
        }
        at = end;
    }
    rows
}

/// A table as a Markdown table (header from its first row).
pub(super) fn markdown_table(table: &str, links: &Links) -> String {
    let rows = table_rows(table);
    let Some(width) = rows.iter().map(|r| r.cells.len()).max() else {
        return String::new();
    };
    // A one-column table (the pages' frame around a code example, headed `C++`) is its
    // content.
    if width == 1 {
        let body = if rows[0].header {
            &rows[1..]
        } else {
            &rows[..]
        };
        return body
            .iter()
            .map(|row| convert(&row.cells[0], links, false))
            .collect::<Vec<_>>()
            .join("\n\n");
    }
    let mut out = String::new();
    let line = |cells: &[String]| {
        let mut line = String::from("|");
        for i in 0..width {
            line.push(' ');
            line.push_str(cells.get(i).map_or("", String::as_str));
            line.push_str(" |");
        }
        line.push('\n');
        line
    };
    let converted: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.cells.iter().map(|c| inline(c, links)).collect())
        .collect();
    let (head, body): (&[Vec<String>], &[Vec<String>]) = if rows[0].header {
        (&converted[..1], &converted[1..])
    } else {
        (&[], &converted[..])
    };
    out.push_str(&line(head.first().map_or(&[][..], Vec::as_slice)));
    out.push('|');
    out.push_str(&" --- |".repeat(width));
    out.push('\n');
    for row in body {
        out.push_str(&line(row));
    }
    out
}

/// A table cell's HTML as one line of Markdown.
pub(super) fn inline(cell: &str, links: &Links) -> String {
    collapse_spaces(&convert(cell, links, true))
}
