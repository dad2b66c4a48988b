//! The headers in front of the metadata tables: DOS and PE headers, the section table, the CLI
//! header (ECMA-335 Partition II, §25), the metadata root and its stream headers (§24.2),
//! read the way the metadata reader reads them, with every offset checked.

/// A byte range of the file.
#[derive(Clone, Copy, Debug, Default)]
pub struct Span {
    /// Offset from the start of the file.
    pub start: usize,
    /// Length in bytes.
    pub len: usize,
}

/// Where the streams the tables refer to are.
#[derive(Debug)]
pub struct Streams {
    /// `#~`: the tables.
    pub tables: Span,
    /// `#Strings`.
    pub strings: Span,
    /// `#Blob`.
    pub blobs: Span,
    /// `#GUID` (empty if absent).
    pub guids: Span,
    /// Where each stream header starts (its Offset field; Size follows).
    pub headers: Vec<usize>,
}

/// Reads little-endian values, `None` past the end.
pub fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    let end = at.checked_add(2)?;
    Some(u16::from_le_bytes(bytes.get(at..end)?.try_into().ok()?))
}

/// Reads a little-endian `u32`, `None` past the end.
pub fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let end = at.checked_add(4)?;
    Some(u32::from_le_bytes(bytes.get(at..end)?.try_into().ok()?))
}

fn need<T>(value: Option<T>, what: &str) -> Result<T, String> {
    value.ok_or_else(|| format!("the file ends inside {what}"))
}

/// A PE section header's address mapping.
struct Section {
    virtual_address: u32,
    virtual_size: u32,
    raw_data: u32,
}

/// Finds the streams; the error says which header is wrong and at which byte.
pub fn read(bytes: &[u8]) -> Result<Streams, String> {
    if bytes.get(..2) != Some(b"MZ") {
        return Err("no DOS header (the file does not start with `MZ`)".into());
    }
    let pe = need(u32_at(bytes, 0x3c), "the DOS header")? as usize;
    if bytes.get(pe..pe.saturating_add(4)) != Some(b"PE\0\0") {
        return Err(format!(
            "no PE signature at byte {pe:#x} (DOS header e_lfanew)"
        ));
    }
    let file_header = pe + 4;
    let section_count = need(u16_at(bytes, file_header + 2), "the PE file header")?;
    let optional = file_header + 20;
    // The metadata reader places the section table right after a full-size optional header
    // (16 data directories) and reads the COM descriptor, data directory 14, from it.
    let (directories, sections_at) = match need(u16_at(bytes, optional), "the optional header")? {
        0x10b => (optional + 96, optional + 224),
        0x20b => (optional + 112, optional + 240),
        magic => {
            return Err(format!(
                "unknown optional header magic {magic:#06x} at byte {optional:#x} (0x10b or 0x20b expected)"
            ));
        }
    };
    let cli_rva = need(u32_at(bytes, directories + 14 * 8), "the data directories")?;
    let mut sections = Vec::with_capacity(usize::from(section_count));
    for index in 0..usize::from(section_count) {
        let at = sections_at + index * 40;
        sections.push(Section {
            virtual_size: need(u32_at(bytes, at + 8), "the section table")?,
            virtual_address: need(u32_at(bytes, at + 12), "the section table")?,
            raw_data: need(u32_at(bytes, at + 20), "the section table")?,
        });
    }
    let file_offset = |rva: u32, what: &str| -> Result<usize, String> {
        let section = sections
            .iter()
            .find(|s| {
                rva >= s.virtual_address
                    && u64::from(rva) < u64::from(s.virtual_address) + u64::from(s.virtual_size)
            })
            .ok_or_else(|| format!("{what} (RVA {rva:#x}) is in no section"))?;
        let offset = u64::from(rva - section.virtual_address) + u64::from(section.raw_data);
        let offset = usize::try_from(offset).map_err(|_| format!("{what} is out of range"))?;
        if offset >= bytes.len() {
            return Err(format!(
                "{what} (RVA {rva:#x}) maps to byte {offset:#x}, past the end of the file ({} bytes)",
                bytes.len()
            ));
        }
        Ok(offset)
    };
    if cli_rva == 0 {
        return Err("no CLI header (data directory 14 is empty): not .NET metadata".into());
    }
    let cli = file_offset(cli_rva, "the CLI header")?;
    let cb = need(u32_at(bytes, cli), "the CLI header")?;
    if cb != 72 {
        return Err(format!(
            "the CLI header at byte {cli:#x} gives its size as {cb}, not 72"
        ));
    }
    let metadata_rva = need(u32_at(bytes, cli + 8), "the CLI header")?;
    let root = file_offset(metadata_rva, "the metadata root")?;
    if need(u32_at(bytes, root), "the metadata root")? != 0x424a_5342 {
        return Err(format!(
            "no metadata root signature (BSJB) at byte {root:#x}"
        ));
    }
    let version_len = need(u32_at(bytes, root + 12), "the metadata root")? as usize;
    let streams_at = root
        .checked_add(version_len)
        .and_then(|at| at.checked_add(20))
        .filter(|at| *at <= bytes.len())
        .ok_or_else(|| {
            format!(
                "the metadata root's version length {version_len} runs past the end of the file"
            )
        })?;
    let stream_count = need(u16_at(bytes, streams_at - 2), "the metadata root")?;
    read_streams(bytes, root, streams_at, stream_count)
}

fn read_streams(bytes: &[u8], root: usize, mut at: usize, count: u16) -> Result<Streams, String> {
    let mut tables = None;
    let mut strings = None;
    let mut blobs = None;
    let mut guids = Span::default();
    let mut headers = Vec::new();
    for index in 0..count {
        headers.push(at);
        let offset = need(u32_at(bytes, at), "the stream headers")? as usize;
        let len = need(u32_at(bytes, at + 4), "the stream headers")? as usize;
        let name_at = at + 8;
        let name_len = bytes
            .get(name_at..)
            .and_then(|rest| rest.iter().take(32).position(|b| *b == 0))
            .ok_or_else(|| {
                format!("stream header {index} at byte {at:#x} has no name of at most 32 bytes")
            })?;
        let name = &bytes[name_at..name_at + name_len];
        let start = root
            .checked_add(offset)
            .filter(|start| start.checked_add(len).is_some_and(|end| end <= bytes.len()));
        let Some(start) = start else {
            return Err(format!(
                "stream `{}` (offset {offset:#x}, {len} bytes from the metadata root at byte \
                 {root:#x}) runs past the end of the file ({} bytes)",
                String::from_utf8_lossy(name),
                bytes.len()
            ));
        };
        let span = Span { start, len };
        match name {
            b"#~" => tables = Some(span),
            b"#Strings" => strings = Some(span),
            b"#Blob" => blobs = Some(span),
            b"#GUID" => guids = span,
            b"#US" => {}
            b"#-" => {
                return Err("uncompressed metadata tables (stream `#-`) are not supported".into());
            }
            other => {
                return Err(format!(
                    "unknown stream `{}` (stream header {index} at byte {at:#x})",
                    String::from_utf8_lossy(other).escape_debug()
                ));
            }
        }
        // The name, its NUL and padding to a multiple of 4 bytes.
        at = name_at + (name_len / 4 + 1) * 4;
    }
    let missing = |name: &str| format!("the metadata has no `{name}` stream");
    Ok(Streams {
        tables: tables.ok_or_else(|| missing("#~"))?,
        strings: strings.ok_or_else(|| missing("#Strings"))?,
        blobs: blobs.ok_or_else(|| missing("#Blob"))?,
        guids,
        headers,
    })
}
