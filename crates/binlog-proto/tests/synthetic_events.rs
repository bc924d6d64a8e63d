//! Events the corpus does not contain, built byte by byte from the layouts in the MySQL and
//! MariaDB sources (cited per test), decoded through the public [`Decoder`].

mod corpus;

use std::io::Write;

use binlog_proto::Error;
use binlog_proto::event::{Decoder, Event, EventType, PayloadCompression};

/// A whole event: v4 header (timestamp 1700000000, server 7, `log_pos`), body, and a CRC32
/// trailer when `crc`.
fn event(event_type: u8, log_pos: u32, body: &[u8], crc: bool) -> Vec<u8> {
    let size = 19 + body.len() + if crc { 4 } else { 0 };
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(&1_700_000_000u32.to_le_bytes());
    out.push(event_type);
    out.extend_from_slice(&7u32.to_le_bytes());
    out.extend_from_slice(&(size as u32).to_le_bytes());
    out.extend_from_slice(&log_pos.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(body);
    if crc {
        let sum = crc32fast::hash(&out);
        out.extend_from_slice(&sum.to_le_bytes());
    }
    out
}

fn crc_decoder() -> Decoder {
    let mut decoder = Decoder::new();
    decoder.set_checksum(true);
    decoder
}

#[test]
fn heartbeat_v1() {
    // MySQL Heartbeat_event: the body is the binlog name; the position is the header's log_pos.
    let bytes = event(27, 1234, b"mysql-bin.000042", true);
    let decoded = crc_decoder().decode(&bytes).unwrap();
    let Event::Heartbeat(hb) = decoded.event else {
        panic!()
    };
    assert_eq!((hb.log_file, hb.position), (&b"mysql-bin.000042"[..], 1234));
}

#[test]
fn heartbeat_v2_positions_beyond_4_gib() {
    // MySQL codecs/binary.cpp Heartbeat::encode: field 1 = file name, field 2 = position
    // (net_store_length inside a length-prefixed value), then the end mark 0.
    let position: u64 = 5_000_000_000;
    let mut body = vec![1, 13];
    body.extend_from_slice(b"binlog.000002");
    body.extend_from_slice(&[2, 9, 0xfe]);
    body.extend_from_slice(&position.to_le_bytes());
    body.push(0);
    let bytes = event(41, 0, &body, true);
    let Event::Heartbeat(hb) = crc_decoder().decode(&bytes).unwrap().event else {
        panic!()
    };
    assert_eq!((hb.log_file, hb.position), (&b"binlog.000002"[..], position));
}

#[test]
fn xa_prepare() {
    // MySQL XA_prepare_event: one_phase u8, formatID u32, gtrid_length u32, bqual_length u32,
    // then gtrid and bqual.
    let mut body = vec![1];
    body.extend_from_slice(&1u32.to_le_bytes());
    body.extend_from_slice(&4u32.to_le_bytes());
    body.extend_from_slice(&3u32.to_le_bytes());
    body.extend_from_slice(b"trx1br1");
    let bytes = event(38, 500, &body, true);
    let Event::XaPrepare(xa) = crc_decoder().decode(&bytes).unwrap().event else {
        panic!()
    };
    assert!(xa.one_phase);
    assert_eq!(
        (xa.xid.format_id, xa.xid.gtrid, xa.xid.bqual),
        (1, &b"trx1"[..], &b"br1"[..])
    );
}

#[test]
fn incident_lost_events() {
    // MySQL Incident_event: incident u16 (post-header), then a u8-length message.
    let mut body = 1u16.to_le_bytes().to_vec();
    body.push(11);
    body.extend_from_slice(b"LOST_EVENTS");
    let bytes = event(26, 90, &body, true);
    let Event::Incident(i) = crc_decoder().decode(&bytes).unwrap().event else {
        panic!()
    };
    assert_eq!((i.kind, i.message), (1, &b"LOST_EVENTS"[..]));
}

/// MariaDB's compressed-text format (sql/log_event.cc binlog_buf_compress): a header byte
/// 0x80 | length-of-length, the uncompressed length big-endian, then a zlib stream.
fn mariadb_compress(data: &[u8]) -> Vec<u8> {
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    zlib.write_all(data).unwrap();
    let stream = zlib.finish().unwrap();
    let mut out = vec![0x80 | 4];
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(&stream);
    out
}

fn query_body(schema: &[u8], sql: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&9u32.to_le_bytes()); // thread id
    body.extend_from_slice(&0u32.to_le_bytes()); // exec time
    body.push(schema.len() as u8);
    body.extend_from_slice(&0u16.to_le_bytes()); // error code
    let status = [0u8, 0, 0, 0, 0, 128, 0x40, 0x42, 0x0f]; // flags2 0, Q_HRNOW 1000000
    body.extend_from_slice(&(status.len() as u16).to_le_bytes());
    body.extend_from_slice(&status);
    body.extend_from_slice(schema);
    body.push(0);
    body.extend_from_slice(sql);
    body
}

#[test]
fn query_compressed() {
    // MariaDB Query_compressed_log_event: a QUERY_EVENT whose text is compressed.
    let sql = b"INSERT INTO t VALUES ('a long enough statement to be worth compressing')".repeat(3);
    let bytes = event(165, 800, &query_body(b"shop", &mariadb_compress(&sql)), true);
    let decoded = crc_decoder().decode(&bytes).unwrap();
    let Event::Query(q) = decoded.event else { panic!() };
    assert_eq!((q.schema, &*q.sql), (&b"shop"[..], &sql[..]));
    assert_eq!(q.status.hrnow, Some(1_000_000));
    // A decompressed size beyond the decoder's limit is refused before inflating.
    let mut small = crc_decoder();
    small.set_max_decompressed_size(64);
    let err = small.decode(&bytes).unwrap_err();
    assert!(
        matches!(&err, Error::InEvent { source, .. } if matches!(**source, Error::TooLarge { .. })),
        "{err}"
    );
}

#[test]
fn start_encryption() {
    // MariaDB Start_encryption_log_event::write: crypto scheme u8, key version u32, nonce[12].
    let mut body = vec![1];
    body.extend_from_slice(&1u32.to_le_bytes());
    body.extend_from_slice(b"0123456789ab");
    let bytes = event(164, 300, &body, true);
    let Event::StartEncryption(e) = crc_decoder().decode(&bytes).unwrap().event else {
        panic!()
    };
    assert_eq!((e.scheme, e.key_version, &e.nonce), (1, 1, b"0123456789ab"));
}

#[test]
fn uncompressed_transaction_payload() {
    // MySQL Transaction_payload::encode: compression type (2) = NONE (255, length-encoded as
    // 0xfc 0xff 0x00), payload size (1), end mark; inner events have no checksum.
    let inner = [
        event(2, 0, &query_body(b"db", b"BEGIN"), false),
        event(16, 0, &7u64.to_le_bytes(), false),
    ]
    .concat();
    let mut body = vec![2, 3, 0xfc, 0xff, 0x00];
    body.extend_from_slice(&[1, 1, inner.len() as u8, 0]);
    body.extend_from_slice(&inner);
    let bytes = event(40, 1000, &body, true);
    let mut decoder = crc_decoder();
    let decoded = decoder.decode(&bytes).unwrap();
    let Event::TransactionPayload(payload) = &decoded.event else {
        panic!()
    };
    assert_eq!(payload.compression, PayloadCompression::NONE);
    assert_eq!(payload.uncompressed_size, None);
    let types: Vec<EventType> = payload
        .events(&mut decoder)
        .map(|e| e.unwrap().header.event_type)
        .collect();
    assert_eq!(types, [EventType::QUERY_EVENT, EventType::XID_EVENT]);
    // The decoder still expects checksums on the next outer event.
    assert!(decoder.checksum());
    // A payload whose inner event is cut reports it inside the payload.
    let mut cut = body.clone();
    cut[7] -= 3;
    cut.truncate(cut.len() - 3);
    let bytes = event(40, 1000, &cut, true);
    let decoded = decoder.decode(&bytes).unwrap();
    let Event::TransactionPayload(payload) = &decoded.event else {
        panic!()
    };
    let outer = u64::from(decoded.header.log_pos) - u64::from(decoded.header.event_size);
    let last = payload.events(&mut decoder).last().unwrap().unwrap_err();
    match last {
        Error::InEvent {
            event_type: EventType::TRANSACTION_PAYLOAD_EVENT,
            offset,
            source,
        } => {
            assert_eq!(offset, outer);
            assert!(matches!(*source, Error::Truncated { .. }), "{source}");
        }
        other => panic!("{other}"),
    }
}

#[test]
fn checksum_mismatch_and_unknown_events() {
    let mut bytes = event(16, 200, &7u64.to_le_bytes(), true);
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    let err = crc_decoder().decode(&bytes).unwrap_err();
    assert!(matches!(err, Error::Checksum { offset: 169, .. }), "{err}");
    // Unknown codes are data: the body is kept, the stream goes on.
    let bytes = event(250, 300, b"vendor data", true);
    let decoded = crc_decoder().decode(&bytes).unwrap();
    assert!(
        matches!(decoded.event, Event::Unknown { event_type: EventType(250), body } if body == b"vendor data")
    );
    // An error inside an event names the type and the event's start position.
    let bytes = event(16, 300, &[1, 2, 3], true);
    let err = crc_decoder().decode(&bytes).unwrap_err();
    assert!(
        matches!(
            err,
            Error::InEvent {
                event_type: EventType::XID_EVENT,
                offset: 274,
                ..
            }
        ),
        "{err}"
    );
    // A size field that disagrees with the bytes.
    let mut bytes = event(16, 300, &7u64.to_le_bytes(), true);
    bytes.push(0);
    assert!(crc_decoder().decode(&bytes).is_err());
}

/// Writes a `mysql::serialization` unsigned integer (libs/mysql/serialization/
/// variable_length_integers.h).
fn varlen(out: &mut Vec<u8>, value: u64) {
    let bits = 64 - value.leading_zeros() as usize;
    let count = ((bits * 575) >> 12) + 1;
    out.push(((1u16 << (count - 1)) - 1) as u8 | (value << count) as u8);
    if count > 1 {
        let shift = 8 + ((count + 7) >> 4) - count;
        out.extend_from_slice(&(value >> shift).to_le_bytes()[..count - 1]);
    }
}

fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

#[test]
fn gtid_tagged_with_every_optional_field_and_unknown_trailing_fields() {
    // Gtid_event::define_fields (control_events.h): 0 flags, 1 uuid (16 varlen bytes), 2 gno,
    // 3 tag, 4 last_committed, 5 sequence_number, 6 immediate ts, 7 original ts,
    // 8 transaction length, 9 immediate version, 10 original version, 11 commit ticket.
    let mut fields = Vec::new();
    let mut field = |id: u64, write: &dyn Fn(&mut Vec<u8>)| {
        varlen(&mut fields, id);
        write(&mut fields);
    };
    field(0, &|o| varlen(o, 1));
    field(1, &|o| (0..16u64).for_each(|b| varlen(o, b * 17)));
    field(2, &|o| varlen(o, zigzag(1_000_000)));
    field(3, &|o| {
        varlen(o, 4);
        o.extend_from_slice(b"blue");
    });
    field(4, &|o| varlen(o, zigzag(41)));
    field(5, &|o| varlen(o, zigzag(42)));
    field(6, &|o| varlen(o, 1_700_000_000_123_456));
    field(7, &|o| varlen(o, 1_600_000_000_000_000));
    field(8, &|o| varlen(o, 12345));
    field(9, &|o| varlen(o, 90600));
    field(10, &|o| varlen(o, 80400));
    field(11, &|o| varlen(o, 77));
    field(12, &|o| varlen(o, 5)); // a field a newer server added: ignorable, skipped
    // Message: format version 1, size (whole message), last non-ignorable field id 0.
    let mut body = Vec::new();
    varlen(&mut body, 1);
    let total = 3 + fields.len(); // version, size and last id take one byte each here
    assert!(total < 128);
    varlen(&mut body, total as u64);
    varlen(&mut body, 0);
    body.extend_from_slice(&fields);
    assert_eq!(body.len(), total);
    let bytes = event(42, 900, &body, true);
    let Event::Gtid(g) = crc_decoder().decode(&bytes).unwrap().event else {
        panic!()
    };
    assert_eq!(g.tag.as_str(), "blue");
    assert_eq!(g.gno, 1_000_000);
    assert_eq!(g.uuid.0[1], 17);
    assert_eq!(
        g.logical_clock.map(|c| (c.last_committed, c.sequence_number)),
        Some((41, 42))
    );
    assert_eq!(g.immediate_commit_timestamp, Some(1_700_000_000_123_456));
    assert_eq!(g.original_commit_timestamp, Some(1_600_000_000_000_000));
    assert_eq!(g.transaction_length, Some(12345));
    assert_eq!(
        (g.immediate_server_version, g.original_server_version),
        (Some(90600), Some(80400))
    );
    assert_eq!(g.commit_group_ticket, Some(77));

    // A message that says a field beyond the known ones must be understood is refused.
    let mut strict = body.clone();
    strict[2] = 13 << 1;
    let err = crc_decoder().decode(&event(42, 900, &strict, true)).unwrap_err();
    assert!(err.to_string().contains("must not ignore"), "{err}");
}

/// A TABLE_MAP body (post-header 8): `db`.`t<id>`, one INT column.
fn table_map(table_id: u64) -> Vec<u8> {
    let mut body = table_id.to_le_bytes()[..6].to_vec();
    body.extend_from_slice(&[1, 0, 2, b'd', b'b', 0]);
    let name = format!("t{table_id}");
    body.push(name.len() as u8);
    body.extend_from_slice(name.as_bytes());
    body.extend_from_slice(&[0, 1, 3, 0, 1]);
    body
}

#[test]
fn table_maps_stay_bounded_without_a_transaction_end() {
    use binlog_proto::limits::MAX_HELD_TABLE_MAPS;
    let mut decoder = Decoder::new();
    for id in 0..MAX_HELD_TABLE_MAPS as u64 {
        decoder.decode(&event(19, 0, &table_map(id), false)).unwrap();
    }
    assert_eq!(decoder.table_maps().len(), MAX_HELD_TABLE_MAPS);
    // The map past the bound starts over; rows of its statement still decode against it.
    decoder.decode(&event(19, 0, &table_map(42), false)).unwrap();
    assert_eq!(decoder.table_maps().len(), 1);
    assert_eq!(decoder.table_maps().get(42).unwrap().table(), "t42");
    let rows = [42, 0, 0, 0, 0, 0, 1, 0, 2, 0, 1, 1, 0, 42, 0, 0, 0];
    let bytes = event(30, 0, &rows, true);
    let decoded = decoder.decode(&bytes).unwrap();
    assert!(matches!(decoded.event, Event::Rows(_)), "{:?}", decoded.event);
}

/// The FORMAT_DESCRIPTION event at offset 4 of a corpus binlog.
fn corpus_fde(path: &str) -> Vec<u8> {
    let bytes = corpus::read(path);
    let size = u32::from_le_bytes(bytes[13..17].try_into().unwrap()) as usize;
    bytes[4..4 + size].to_vec()
}

#[test]
fn table_maps_are_kept_replaced_and_bounded() {
    use binlog_proto::limits::MAX_CACHED_TABLE_MAPS;
    let mut decoder = Decoder::new();
    // Kept across events, replaced by a new map of the same id.
    decoder.decode(&event(19, 0, &table_map(5), false)).unwrap();
    let mut other = table_map(5);
    let name_at = 6 + 2 + 4;
    other[name_at + 1] = b'u';
    decoder.decode(&event(19, 0, &other, false)).unwrap();
    assert_eq!(decoder.table_maps().len(), 1);
    assert_eq!(decoder.table_maps().get(5).unwrap().table(), "u5");
    decoder.decode(&event(16, 0, &1u64.to_le_bytes(), false)).unwrap();
    assert_eq!(decoder.table_maps().len(), 1, "a few maps survive a commit");

    // Past the bound, they are forgotten at the next transaction end, not before.
    for id in 0..=MAX_CACHED_TABLE_MAPS as u64 {
        decoder
            .decode(&event(19, 0, &table_map(1000 + id), false))
            .unwrap();
    }
    assert!(decoder.table_maps().len() > MAX_CACHED_TABLE_MAPS);
    decoder
        .decode(&event(2, 0, &query_body(b"db", b"BEGIN"), false))
        .unwrap();
    assert!(decoder.table_maps().len() > MAX_CACHED_TABLE_MAPS);
    decoder.decode(&event(16, 0, &1u64.to_le_bytes(), false)).unwrap();
    assert!(decoder.table_maps().is_empty());

    // A FORMAT_DESCRIPTION from a server start (create timestamp set) forgets them: table
    // ids start over. One of a later binlog file (timestamp 0) keeps them.
    decoder.decode(&event(19, 0, &table_map(9), false)).unwrap();
    let later = corpus_fde("rust_mysql_common/test-data/binlogs/transaction_compression.000001");
    decoder.decode(&later).unwrap();
    assert_eq!(decoder.table_maps().len(), 1);
    let restart =
        corpus_fde("percona-binlog-server/mtr/binlog_streaming/std_data/data_80045_gtid/binlog.000001");
    decoder.decode(&restart).unwrap();
    assert!(decoder.table_maps().is_empty());

    // A row event of an unknown table is an error naming the event.
    let rows = [9, 0, 0, 0, 0, 0, 1, 0, 2, 0, 1, 1, 0, 42, 0, 0, 0];
    let err = decoder.decode(&event(30, 0, &rows, true)).unwrap_err();
    assert!(
        matches!(
            err,
            Error::InEvent {
                event_type: EventType::WRITE_ROWS_EVENT,
                ..
            }
        ),
        "{err}"
    );
}
