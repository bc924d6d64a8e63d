//! Compares every row value decoded from the corpus binlogs that come with a `mysqlbinlog -vv`
//! dump against the dump's `@N=value` lines.

mod common;

use binlog_proto::event::EventType;
use binlog_proto::event::rows::parse_rows_event;
use binlog_proto::event::table_map::{TableMaps, parse_table_map};
use common::dump::{Flavor, check, parse_dump};

/// (binlog, dump, dump is UTF-16LE)
const PAIRS: &[(&str, &str, bool)] = &[
    (
        "zalora-binlog-parser/data/fixtures/mysql-bin.01",
        "zalora-binlog-parser/data/fixtures/plaintext-mysql-bin.01",
        false,
    ),
    (
        "zalora-binlog-parser/data/fixtures/mysql-bin.02",
        "zalora-binlog-parser/data/fixtures/plaintext-mysql-bin.02",
        false,
    ),
    (
        "zalora-binlog-parser/data/fixtures/mysql-bin.03",
        "zalora-binlog-parser/data/fixtures/plaintext-mysql-bin.03",
        false,
    ),
    (
        "zalora-binlog-parser/data/fixtures/mysql-bin.05",
        "zalora-binlog-parser/data/fixtures/plaintext-mysql-bin.05",
        false,
    ),
    (
        "zalora-binlog-parser/data/fixtures/mysql-bin.06",
        "zalora-binlog-parser/data/fixtures/plaintext-mysql-bin.06",
        false,
    ),
    (
        "zalora-binlog-parser/data/fixtures/mysql-bin.07",
        "zalora-binlog-parser/data/fixtures/plaintext-mysql-bin.07",
        false,
    ),
    (
        "zalora-binlog-parser/data/gtid-fixtures/mysql-bin.01",
        "zalora-binlog-parser/data/gtid-fixtures/plaintext-mysql-bin.01",
        false,
    ),
    (
        "mysql-cdc-rs/tests/events/5.7/02_query/log.bin",
        "mysql-cdc-rs/tests/events/5.7/02_query/dump.txt",
        false,
    ),
    (
        "mysql-cdc-rs/tests/events/5.7/03_stop/log.bin",
        "mysql-cdc-rs/tests/events/5.7/03_stop/dump.txt",
        false,
    ),
    (
        "mysql-cdc-rs/tests/events/5.7/04_rotate/log.bin",
        "mysql-cdc-rs/tests/events/5.7/04_rotate/dump.txt",
        false,
    ),
    (
        "mysql-cdc-rs/tests/events/5.7/05_intvar/log.bin",
        "mysql-cdc-rs/tests/events/5.7/05_intvar/dump.txt",
        false,
    ),
    (
        "mysql-cdc-rs/tests/events/5.7/13_rand/log.bin",
        "mysql-cdc-rs/tests/events/5.7/13_rand/dump.txt",
        false,
    ),
    (
        "mysql-cdc-rs/tests/events/5.7/14_user_var/log.bin",
        "mysql-cdc-rs/tests/events/5.7/14_user_var/dump.txt",
        false,
    ),
    (
        "mysql-cdc-rs/tests/events/5.7/15_format_desc/log.bin",
        "mysql-cdc-rs/tests/events/5.7/15_format_desc/dump.txt",
        false,
    ),
    (
        "mysql-cdc-rs/tests/events/5.7/16_xid/log.bin",
        "mysql-cdc-rs/tests/events/5.7/16_xid/dump.txt",
        false,
    ),
    (
        "mysql-cdc-rs/tests/events/5.7/17_18_load/log.bin",
        "mysql-cdc-rs/tests/events/5.7/17_18_load/dump.txt",
        false,
    ),
    (
        "mysql-cdc-rs/tests/events/5.7/19_table_map/log.bin",
        "mysql-cdc-rs/tests/events/5.7/19_table_map/dump.txt",
        false,
    ),
    (
        "mysql-cdc-rs/tests/events/5.7/29_row_query/log.bin",
        "mysql-cdc-rs/tests/events/5.7/29_row_query/dump.txt",
        false,
    ),
    (
        "mysql-cdc-rs/tests/events/5.7/30_write_rows_v2/log.bin",
        "mysql-cdc-rs/tests/events/5.7/30_write_rows_v2/dump.txt",
        false,
    ),
    (
        "mysql-cdc-rs/tests/events/5.7/31_update_rows_v2/log.bin",
        "mysql-cdc-rs/tests/events/5.7/31_update_rows_v2/dump.txt",
        false,
    ),
    (
        "mysql-cdc-rs/tests/events/5.7/32_delete_rows_v2/log.bin",
        "mysql-cdc-rs/tests/events/5.7/32_delete_rows_v2/dump.txt",
        false,
    ),
    (
        "mysql-cdc-rs/tests/events/5.7/33_35_gtid_prev_gtid/log.bin",
        "mysql-cdc-rs/tests/events/5.7/33_35_gtid_prev_gtid/dump.txt",
        false,
    ),
    (
        "mysql-cdc-rs/tests/events/5.7/34_anonymous_gtid/log.bin",
        "mysql-cdc-rs/tests/events/5.7/34_anonymous_gtid/dump.txt",
        false,
    ),
    (
        "mysql-cdc-rs/tests/events/8.0/02_query/binlog.000001",
        "mysql-cdc-rs/tests/events/8.0/02_query/dump.txt",
        true,
    ),
    (
        "mysql-cdc-rs/tests/events/8.0/19_30_Table_map_event_Write_rows_log_event/binlog.000018",
        "mysql-cdc-rs/tests/events/8.0/19_30_Table_map_event_Write_rows_log_event/dump.txt",
        true,
    ),
    (
        "mysql-cdc-rs/tests/events/8.0/31_update_rows_v2/binlog.000001",
        "mysql-cdc-rs/tests/events/8.0/31_update_rows_v2/dump.txt",
        true,
    ),
    (
        "mysql-cdc-rs/tests/events/8.0/32_delete_rows_v2/binlog.000001",
        "mysql-cdc-rs/tests/events/8.0/32_delete_rows_v2/dump.txt",
        true,
    ),
];

fn dump_text(path: &str, utf16: bool) -> String {
    let bytes = common::read_corpus(path);
    if utf16 {
        assert_eq!(&bytes[..2], [0xff, 0xfe], "{path}: expected a UTF-16LE BOM");
        let units: Vec<u16> = bytes[2..]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16(&units).unwrap().replace("\r\n", "\n")
    } else {
        String::from_utf8(bytes).unwrap()
    }
}

#[test]
fn every_value_matches_mysqlbinlog() {
    let mut compared = 0;
    let mut files = 0;
    for (binlog, dump, utf16) in PAIRS {
        let expected = parse_dump(dump_text(dump, *utf16).as_bytes());
        // Some dumps were made without -v and print no rows: their rows still have to decode.
        let verbose = !expected.is_empty();
        let mut next = 0;
        let mut tables = TableMaps::new();
        for ev in common::split(&common::read_corpus(binlog)) {
            match ev.event_type {
                19 => {
                    tables.insert(parse_table_map(&ev.body, ev.post_header_len()).unwrap());
                }
                20..=25 | 30..=32 | 39 => {
                    let event =
                        parse_rows_event(EventType(ev.event_type), &ev.body, ev.post_header_len(), &tables)
                            .unwrap_or_else(|e| panic!("{binlog} @{}: {e}", ev.offset));
                    for row in event.rows() {
                        let row = row.unwrap_or_else(|e| panic!("{binlog} @{}: {e}", ev.offset));
                        for image in [row.before(), row.after()].into_iter().flatten() {
                            if !verbose {
                                continue;
                            }
                            let want = expected
                                .get(next)
                                .unwrap_or_else(|| panic!("{binlog}: more images than the dump"));
                            let at = format!("{binlog} @{} image {next}", ev.offset);
                            next += 1;
                            let got: Vec<_> = image.values().collect();
                            assert_eq!(got.len(), want.len(), "{at}: column count");
                            for ((column, value), (n, text)) in got.iter().zip(want) {
                                assert_eq!(column.index() + 1, *n, "{at}");
                                check(column, value, text, Flavor::Mysql, &format!("{at} @{n}"));
                                compared += 1;
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        assert_eq!(
            next,
            expected.len(),
            "{binlog}: image count differs from the dump"
        );
        files += usize::from(verbose);
    }
    eprintln!("compared {compared} values from {files} dumps");
    assert!(files >= 15, "only {files} dumps print rows");
    assert!(compared > 100, "only {compared} values compared");
}
