//! A bounded structural check of a `.winmd` file, run before the metadata reader sees it.
//!
//! The reader trusts every offset: a string, blob or row index past its heap or table, an
//! unknown coded-index tag or stream name makes it panic (or, in a destructor during that
//! panic, abort). This walk reads the headers, stream headers, row counts and every cell of
//! every table (ECMA-335 Partition II, §22–§25) with checked arithmetic, and names what is
//! wrong: the header and byte, or the table, row, column and byte. It does not decode
//! signature blobs; the reader's panics on those are contained by the caller.

mod headers;
mod layout;
mod schema;
mod tables;

pub use layout::{Cell, CellKind, FileLayout, layout};

/// What is wrong with a file.
#[derive(Debug)]
pub enum Problem {
    /// The file is not ECMA-335 metadata, or its headers are broken: not a `.winmd` file.
    Headers(String),
    /// The headers are sound, a table is not.
    Tables(String),
}

/// Checks `bytes`; linear in the file's size.
pub fn check(bytes: &[u8]) -> Result<(), Problem> {
    let streams = headers::read(bytes).map_err(Problem::Headers)?;
    tables::check(bytes, &streams).map_err(Problem::Tables)
}

#[cfg(test)]
mod tests;
