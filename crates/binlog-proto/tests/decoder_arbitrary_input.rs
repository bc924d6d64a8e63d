//! Arbitrary bytes never make the decoder or the file reader panic.

mod corpus;

use binlog_proto::event::Decoder;
use binlog_proto::file::{BINLOG_MAGIC, BinlogFile};
use proptest::prelude::*;

/// A decoder that has read the FORMAT_DESCRIPTION of `path` (so MySQL 8 or MariaDB
/// post-header lengths are in force).
fn decoder_after_fde(path: &str) -> Decoder {
    let bytes = corpus::read(path);
    let mut file = BinlogFile::new(&bytes).unwrap();
    file.next().unwrap().unwrap();
    file.decoder().clone()
}

/// One event with a consistent header around arbitrary body bytes.
fn event(event_type: u8, body: &[u8], crc: bool) -> Vec<u8> {
    let size = 19 + body.len() + if crc { 4 } else { 0 };
    let mut out = vec![0, 0, 0, 0, event_type, 1, 0, 0, 0];
    out.extend_from_slice(&(size as u32).to_le_bytes());
    out.extend_from_slice(&(size as u32 + 4).to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(body);
    if crc {
        let sum = crc32fast::hash(&out);
        out.extend_from_slice(&sum.to_le_bytes());
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4096, ..ProptestConfig::default() })]

    #[test]
    fn any_event_body_decodes_or_fails_cleanly(event_type: u8, body in proptest::collection::vec(any::<u8>(), 0..300), crc: bool) {
        for path in [
            "rust_mysql_common/test-data/binlogs/transaction_compression.000001",
            "rust_mysql_common/test-data/binlogs/mariadb-bin.000001",
        ] {
            let mut decoder = decoder_after_fde(path);
            decoder.set_checksum(crc);
            let bytes = event(event_type, &body, crc);
            if let Ok(decoded) = decoder.decode(&bytes)
                && let binlog_proto::event::Event::TransactionPayload(payload) = &decoded.event
            {
                for inner in payload.events(&mut decoder) {
                    if inner.is_err() {
                        break;
                    }
                }
            }
        }
        let _ = Decoder::new().decode(&body);
    }

    #[test]
    fn any_file_reads_or_fails_cleanly(tail in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut bytes = BINLOG_MAGIC.to_vec();
        bytes.extend_from_slice(&tail);
        let mut events = 0;
        for event in BinlogFile::new(&bytes).unwrap() {
            if event.is_err() {
                break;
            }
            events += 1;
        }
        prop_assert!(events <= tail.len() / 19);
    }
}
