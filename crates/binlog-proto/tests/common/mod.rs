//! Test helpers: the corpus location and a minimal binlog file splitter (19-byte v4 header,
//! FORMAT_DESCRIPTION for post-header lengths and the checksum algorithm). Rows tests use it
//! until they can use the crate's own file reader.
#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;

/// The shared corpus directory (`<repo>/../shared/corpus`). Panics with a clear message when it
/// is missing: corpus tests never skip.
pub fn corpus(rel: &str) -> PathBuf {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus"));
    assert!(
        root.is_dir(),
        "test corpus not found at {} (clone the shared corpus beside the repository)",
        root.display()
    );
    let path = root.join(rel);
    assert!(path.exists(), "corpus file {} is missing", path.display());
    path
}

pub fn read_corpus(rel: &str) -> Vec<u8> {
    let path = corpus(rel);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if rel.ends_with(".gz") {
        use std::io::Read;
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_end(&mut out)
            .unwrap();
        out
    } else {
        bytes
    }
}

/// One event of a binlog file.
#[derive(Debug, Clone)]
pub struct RawEvent {
    pub offset: usize,
    pub event_type: u8,
    /// The body: after the 19-byte header, without the checksum.
    pub body: Vec<u8>,
    /// FORMAT_DESCRIPTION post-header lengths by type code - 1.
    pub post_header_lens: Vec<u8>,
}

impl RawEvent {
    pub fn post_header_len(&self) -> u8 {
        self.post_header_lens
            .get(usize::from(self.event_type) - 1)
            .copied()
            .unwrap_or(0)
    }
}

fn checksum_capable(version: &str) -> bool {
    if version.contains("MariaDB") {
        return true;
    }
    let nums: Vec<u32> = version
        .split(|c: char| !c.is_ascii_digit())
        .take(3)
        .map(|p| p.parse().unwrap_or(0))
        .collect();
    (
        nums.first().copied().unwrap_or(0),
        nums.get(1).copied().unwrap_or(0),
        nums.get(2).copied().unwrap_or(0),
    ) >= (5, 6, 1)
}

/// Splits a binlog file into events. Stops at a truncated event.
pub fn split(bytes: &[u8]) -> Vec<RawEvent> {
    assert_eq!(&bytes[..4], b"\xfebin", "not a binlog file");
    let mut pos = 4;
    let mut post_header_lens = Vec::new();
    let mut crc = false;
    let mut out = Vec::new();
    while pos + 19 <= bytes.len() {
        let size = u32::from_le_bytes(bytes[pos + 9..pos + 13].try_into().unwrap()) as usize;
        if size < 19 || pos + size > bytes.len() {
            break;
        }
        let event_type = bytes[pos + 4];
        let mut body = bytes[pos + 19..pos + size].to_vec();
        if event_type == 15 {
            let version = String::from_utf8_lossy(&body[2..52])
                .trim_end_matches('\0')
                .to_string();
            let capable = checksum_capable(&version);
            let end = if capable { body.len() - 5 } else { body.len() };
            crc = capable && body[body.len() - 5] == 1;
            post_header_lens = body[57..end].to_vec();
            body.truncate(end);
        } else if crc {
            body.truncate(body.len().saturating_sub(4));
        }
        out.push(RawEvent {
            offset: pos,
            event_type,
            body,
            post_header_lens: post_header_lens.clone(),
        });
        pos += size;
    }
    out
}

/// A decoded row, detached from its event.
#[derive(Debug, Clone)]
pub struct DecodedRow {
    pub event_type: binlog_proto::event::EventType,
    pub table: std::sync::Arc<binlog_proto::event::table_map::TableMap>,
    pub row: binlog_proto::event::rows::OwnedRow,
}

/// Decodes every row of a binlog file (no TRANSACTION_PAYLOAD support: test files only).
pub fn decode_rows(bytes: &[u8]) -> Vec<DecodedRow> {
    use binlog_proto::event::EventType;
    use binlog_proto::event::rows::parse_rows_event;
    use binlog_proto::event::table_map::{TableMaps, parse_table_map};
    let mut tables = TableMaps::new();
    let mut out = Vec::new();
    for ev in split(bytes) {
        match ev.event_type {
            19 => {
                tables.insert(parse_table_map(&ev.body, ev.post_header_len()).unwrap());
            }
            20..=25 | 30..=32 | 39 | 166..=171 => {
                let event =
                    parse_rows_event(EventType(ev.event_type), &ev.body, ev.post_header_len(), &tables)
                        .unwrap_or_else(|e| panic!("event at {}: {e}", ev.offset));
                for row in event.rows() {
                    let row = row.unwrap_or_else(|e| panic!("event at {}: {e}", ev.offset));
                    out.push(DecodedRow {
                        event_type: event.event_type(),
                        table: event.table().clone(),
                        row: row.to_owned_row(),
                    });
                }
            }
            _ => {}
        }
    }
    out
}

pub mod dump;
