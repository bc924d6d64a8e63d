//! Helpers shared by the fuzz targets: a server greeting, packet framing, FORMAT_DESCRIPTION
//! events for a few server versions, and rendering every value of a decoded event.
#![allow(dead_code)]

use binlog_proto::event::{Decoder, Event, EventType, FormatDescription};
use bytes::BytesMut;

/// Frames `payloads` as consecutive packets from sequence id `seq`.
pub fn frame(seq: u8, payloads: &[&[u8]]) -> Vec<u8> {
    let mut out = BytesMut::new();
    let mut seq = seq;
    for p in payloads {
        binlog_proto::packet::write_packet(&mut out, &mut seq, p);
    }
    out.to_vec()
}

/// A protocol-10 greeting of a MariaDB 10.11 server (4.1 protocol, plugin auth,
/// `CLIENT_DEPRECATE_EOF` when `deprecate_eof`) offering mysql_native_password.
pub fn greeting(deprecate_eof: bool) -> Vec<u8> {
    let mut caps: u32 = 0xa0ff_f7fe;
    if deprecate_eof {
        caps |= 1 << 24;
    }
    let nonce = b"0123456789abcdefghij";
    let mut p = vec![10];
    p.extend_from_slice(b"5.5.5-10.11.6-MariaDB-log\0");
    p.extend_from_slice(&42u32.to_le_bytes());
    p.extend_from_slice(&nonce[..8]);
    p.push(0);
    p.extend_from_slice(&(caps as u16).to_le_bytes());
    p.push(45);
    p.extend_from_slice(&2u16.to_le_bytes());
    p.extend_from_slice(&((caps >> 16) as u16).to_le_bytes());
    p.push(21);
    p.extend_from_slice(&[0; 10]);
    p.extend_from_slice(&nonce[8..]);
    p.push(0);
    p.extend_from_slice(b"mysql_native_password\0");
    p
}

/// Splits fuzz input into packet payloads: each is a length byte then that many bytes.
pub fn payloads(mut data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while let Some((&len, rest)) = data.split_first() {
        let (p, rest) = rest.split_at(usize::from(len).min(rest.len()));
        out.push(p);
        data = rest;
    }
    out
}

/// Server versions whose FORMAT_DESCRIPTION the event targets start from.
pub const VERSIONS: [(&str, bool); 6] = [
    ("8.0.36", true),
    ("8.0.36", false),
    ("10.11.6-MariaDB-log", true),
    ("10.11.6-MariaDB-log", false),
    ("5.5.62-log", false),
    // A mysql-5.1-wl2325 "drop" build: codes 16-22 are permuted, 22 types listed.
    ("5.1.4-a_drop5p3-log", false),
];

/// A complete FORMAT_DESCRIPTION_EVENT of `VERSIONS[index % len]`, with the post-header
/// lengths the decoder assumes, checksum trailer included when the version has one.
pub fn format_description(index: usize) -> Vec<u8> {
    let (version, crc) = VERSIONS[index % VERSIONS.len()];
    let assumed = FormatDescription::assumed_v4();
    let (types, has_footer) = match version {
        v if v.contains("MariaDB") => (171u8, true),
        v if v.starts_with("8.") => (42, true),
        v if v.starts_with("5.1.4-a_drop") => (22, false),
        _ => (27, false),
    };
    let mut body = 4u16.to_le_bytes().to_vec();
    let mut v = version.as_bytes().to_vec();
    v.resize(50, 0);
    body.extend_from_slice(&v);
    body.extend_from_slice(&0u32.to_le_bytes());
    body.push(19);
    for t in 1..=types {
        body.push(assumed.post_header_len(EventType(t)));
    }
    if has_footer {
        body.push(u8::from(crc));
    }
    let total = 19 + body.len() + if has_footer { 4 } else { 0 };
    let mut event = 0u32.to_le_bytes().to_vec();
    event.push(15);
    event.extend_from_slice(&1u32.to_le_bytes());
    event.extend_from_slice(&(total as u32).to_le_bytes());
    event.extend_from_slice(&(4 + total as u32).to_le_bytes());
    event.extend_from_slice(&0u16.to_le_bytes());
    event.extend_from_slice(&body);
    if has_footer {
        let sum = crc32fast::hash(&event);
        event.extend_from_slice(&sum.to_le_bytes());
    }
    event
}

/// Appends a CRC32 trailer when the decoder expects one, so mutated events get past the
/// checksum and reach the body decoders.
pub fn with_checksum(decoder: &Decoder, event: &[u8]) -> Vec<u8> {
    let mut out = event.to_vec();
    if decoder.checksum() {
        let sum = crc32fast::hash(event);
        out.extend_from_slice(&sum.to_le_bytes());
    }
    out
}

/// Renders every value of a rows event and walks the inner events of a transaction payload,
/// so that lazy decoding runs too.
pub fn exercise(event: &Event<'_>, decoder: &mut Decoder) {
    match event {
        Event::Rows(rows) => {
            for row in rows.rows() {
                let Ok(row) = row else { break };
                for image in [row.before(), row.after()].into_iter().flatten() {
                    // The value pass yields every column the validating pass accepted.
                    let mut yielded = 0usize;
                    for (_, value) in image.values() {
                        let _ = value.to_string();
                        let _ = value.to_owned_value();
                        yielded += 1;
                    }
                    assert_eq!(yielded, image.len(), "values() stopped early");
                }
            }
        }
        Event::TransactionPayload(payload) => {
            for inner in payload.events(decoder) {
                let Ok(inner) = inner else { break };
                if let Event::Rows(rows) = &inner.event {
                    for row in rows.rows() {
                        if row.is_err() {
                            break;
                        }
                    }
                }
            }
        }
        _ => {}
    }
}
