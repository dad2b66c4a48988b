//! Each check, shown by damaging one cell or header of the bundled metadata.

use super::headers::{self, u32_at};
use super::schema::{CUSTOM_ATTRIBUTE_TYPE, TYPE_DEF};
use super::tables::cell_offset;
use super::{Problem, check};
use crate::bundled::WINMD;

fn damaged(table: u8, row: usize, column: &str, value: &[u8]) -> Problem {
    let mut bytes = WINMD.to_vec();
    let streams = headers::read(&bytes).expect("the bundled headers read");
    let at = cell_offset(&bytes, &streams, table, row, column).expect("the cell exists");
    bytes[at..at + value.len()].copy_from_slice(value);
    check(&bytes).expect_err("the damage is found")
}

fn tables_message(problem: Problem) -> String {
    match problem {
        Problem::Tables(message) => message,
        Problem::Headers(message) => panic!("expected a table problem, got headers: {message}"),
    }
}

#[test]
fn the_bundled_metadata_passes() {
    check(WINMD).expect("the bundled subset is well-formed");
}

#[test]
fn a_string_offset_past_the_heap_is_named_with_table_row_and_column() {
    // The bundled heaps are over 64 KiB: string and blob offsets are 4 bytes.
    let message = tables_message(damaged(TYPE_DEF, 3, "TypeName", &[0xff; 4]));
    assert!(
        message.starts_with("table TypeDef row 3 column TypeName (byte 0x"),
        "{message}"
    );
    assert!(
        message.ends_with("string offset 0xffffffff is past the `#Strings` heap (136364 bytes)"),
        "{message}"
    );
}

#[test]
fn a_row_index_past_its_table_is_refused() {
    let message = tables_message(damaged(0x29, 1, "EnclosingClass", &[0xff, 0x7f]));
    assert!(
        message.starts_with("table NestedClass row 1 column EnclosingClass"),
        "{message}"
    );
    assert!(
        message.contains("row 32767 of table TypeDef, which has"),
        "{message}"
    );
}

#[test]
fn a_null_row_the_reader_would_follow_is_refused() {
    let message = tables_message(damaged(0x09, 1, "Class", &[0, 0]));
    assert!(
        message.ends_with("no row of table TypeDef (0)"),
        "{message}"
    );
}

#[test]
fn a_coded_index_tag_that_names_no_table_is_refused() {
    // CustomAttributeType tags 0, 1 and 4 are unused.
    assert_eq!(CUSTOM_ATTRIBUTE_TYPE.tables[0], None);
    let message = tables_message(damaged(0x0c, 1, "Type", &[0x08, 0x00]));
    assert!(
        message.ends_with("CustomAttributeType tag 0 names no table"),
        "{message}"
    );
}

#[test]
fn a_list_start_outside_its_table_or_going_back_is_refused() {
    let message = tables_message(damaged(TYPE_DEF, 2, "FieldList", &[0, 0]));
    assert!(
        message.contains("list start 0 is outside rows 1..="),
        "{message}"
    );
    let message = tables_message(damaged(TYPE_DEF, 1, "FieldList", &[0xff, 0x7f]));
    assert!(
        message.contains("list start 32767 is outside rows"),
        "{message}"
    );
}

#[test]
fn a_blob_running_past_its_heap_is_refused() {
    let message = tables_message(damaged(0x04, 1, "Signature", &[0xff; 4]));
    assert!(
        message.starts_with("table Field row 1 column Signature"),
        "{message}"
    );
    assert!(
        message.ends_with("blob offset 0xffffffff is past the `#Blob` heap (103476 bytes)"),
        "{message}"
    );
}

#[test]
fn broken_headers_say_which_header() {
    let headers = |bytes: &[u8]| match check(bytes) {
        Err(Problem::Headers(message)) => message,
        other => panic!("expected a header problem, got {other:?}"),
    };
    assert_eq!(
        headers(b"PK\x03\x04"),
        "no DOS header (the file does not start with `MZ`)"
    );
    assert_eq!(
        headers(&WINMD[..0x3e]),
        "the file ends inside the DOS header"
    );

    let mut bytes = WINMD.to_vec();
    let pe = u32_at(&bytes, 0x3c).expect("e_lfanew") as usize;
    bytes[pe] = b'X';
    assert!(headers(&bytes).starts_with("no PE signature at byte"));

    // The `#Strings` stream made longer than the file.
    let mut bytes = WINMD.to_vec();
    let streams = headers::read(&bytes).expect("the bundled headers read");
    let header = bytes
        .windows(9)
        .position(|w| w == b"#Strings\0")
        .expect("the #Strings stream header")
        - 4;
    bytes[header..header + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    let message = headers(&bytes);
    assert!(
        message.starts_with("stream `#Strings` (offset"),
        "{message} ({} bytes of strings before)",
        streams.strings.len
    );

    // An unknown stream name.
    let mut bytes = WINMD.to_vec();
    let at = bytes
        .windows(6)
        .position(|w| w == b"#GUID\0")
        .expect("the #GUID stream header");
    bytes[at + 1..at + 5].copy_from_slice(b"JUNK");
    assert!(headers(&bytes).starts_with("unknown stream `#JUNK`"));
}

#[test]
fn an_unknown_table_is_refused() {
    let mut bytes = WINMD.to_vec();
    let streams = headers::read(&bytes).expect("the bundled headers read");
    // Set the `Valid` bit of table 0x03 (FieldPtr, uncompressed metadata only).
    bytes[streams.tables.start + 8] |= 1 << 3;
    let message = tables_message(check(&bytes).expect_err("refused"));
    assert_eq!(
        message,
        "the `#~` stream lists table 0x03, which compressed metadata does not have"
    );
}
