//! Decodes every TABLE_MAP and rows event of every binlog file in the corpus and checks that
//! every row validates.

mod common;

use binlog_proto::event::EventType;
use binlog_proto::event::rows::parse_rows_event;
use binlog_proto::event::table_map::{TableMaps, parse_table_map};

const FILES: &[&str] = &[
    "canal/parse/src/test/resources/binlog/mysql-bin.000001",
    "canal/parse/src/test/resources/binlog/mysql-bin.000002",
    "canal/parse/src/test/resources/binlog/tsdb/mysql-bin.000002",
    "canal/parse/src/test/resources/binlog/tsdb/mysql-bin.000003",
    "mariadb-poc/mariadb-binlog/binlogs/domain_id_0/mariadb-repl-bin.000005",
    "mariadb-poc/mariadb-binlog/binlogs/domain_id_0/mariadb-repl-bin.000006",
    "mariadb-poc/mariadb-binlog/binlogs/domain_id_0/mariadb-repl-bin.000007",
    "mysql-binlog-connector-java/src/test/resources/mysql-bin.aurora-padding",
    "mysql-binlog-connector-java/src/test/resources/mysql-bin.checksum-crc32",
    "mysql-binlog-connector-java/src/test/resources/mysql-bin.checksum-none",
    "mysql-binlog-connector-java/src/test/resources/mysql-bin.sakila.gz",
    "mysql-binlog-connector-rust/tests/parse_file_tests/mysql-bin.000080",
    "mysql-cdc-rs/tests/events/5.7/16_xid/log.bin",
    "mysql-cdc-rs/tests/events/5.7/19_table_map/log.bin",
    "mysql-cdc-rs/tests/events/5.7/29_row_query/log.bin",
    "mysql-cdc-rs/tests/events/5.7/30_write_rows_v2/log.bin",
    "mysql-cdc-rs/tests/events/5.7/31_update_rows_v2/log.bin",
    "mysql-cdc-rs/tests/events/5.7/32_delete_rows_v2/log.bin",
    "mysql-cdc-rs/tests/events/5.7/33_35_gtid_prev_gtid/log.bin",
    "mysql-cdc-rs/tests/events/5.7/34_anonymous_gtid/log.bin",
    "mysql-cdc-rs/tests/events/8.0/02_query_bigger/binlog.000733",
    "mysql-cdc-rs/tests/events/8.0/19_30_Table_map_event_Write_rows_log_event/binlog.000018",
    "mysql-cdc-rs/tests/events/8.0/31_update_rows_v2/binlog.000001",
    "mysql-cdc-rs/tests/events/8.0/32_delete_rows_v2/binlog.000001",
    "percona-binlog-server/mtr/binlog_streaming/std_data/data_80045_gtid/binlog.000001",
    "percona-binlog-server/mtr/binlog_streaming/std_data/data_80045_gtid/binlog.000002",
    "percona-binlog-server/mtr/binlog_streaming/std_data/data_80045_position/binlog.000001",
    "percona-binlog-server/mtr/binlog_streaming/std_data/data_80045_position/binlog.000002",
    "rust_mysql_common/test-data/binlogs/binlog-invisible-columns.000001",
    "rust_mysql_common/test-data/binlogs/binlog_56_gtid_reserved_word.000001",
    "rust_mysql_common/test-data/binlogs/binlog_savepoint.000001",
    "rust_mysql_common/test-data/binlogs/binlog_transaction.000001",
    "rust_mysql_common/test-data/binlogs/binlog_transaction_with_GTID.000001",
    "rust_mysql_common/test-data/binlogs/binlog_transaction_with_GTID_TAG.000001",
    "rust_mysql_common/test-data/binlogs/binlog_transaction_with_anonymous_GTID.000001",
    "rust_mysql_common/test-data/binlogs/bug11747887-bin.000003",
    "rust_mysql_common/test-data/binlogs/bug16266.000001",
    "rust_mysql_common/test-data/binlogs/bug27213339-bin.000001",
    "rust_mysql_common/test-data/binlogs/bug32407.001",
    "rust_mysql_common/test-data/binlogs/bug33029-slave-relay-bin.000001",
    "rust_mysql_common/test-data/binlogs/corrupt-relay-bin.000624",
    "rust_mysql_common/test-data/binlogs/json-opaque.binlog",
    "rust_mysql_common/test-data/binlogs/json.binlog.000001",
    "rust_mysql_common/test-data/binlogs/mariadb-bin.000001",
    "rust_mysql_common/test-data/binlogs/minimal_row_metadata.000001",
    "rust_mysql_common/test-data/binlogs/mysql-enum-string-set.000001",
    "rust_mysql_common/test-data/binlogs/mysql_type_bit.000001",
    "rust_mysql_common/test-data/binlogs/rpl_atomic_ddl_rollback_full.000001",
    "rust_mysql_common/test-data/binlogs/rpl_cross_version_default_utf8mb4_collation.000001",
    "rust_mysql_common/test-data/binlogs/rpl_unfiltered_hidden_gcol.000001",
    "rust_mysql_common/test-data/binlogs/slave-relay-bin.000001",
    "rust_mysql_common/test-data/binlogs/time_issue.000001",
    "rust_mysql_common/test-data/binlogs/update-full-row.binlog",
    "rust_mysql_common/test-data/binlogs/update-partial-row.binlog",
    "rust_mysql_common/test-data/binlogs/vector.binlog",
    "rust_mysql_common/test-data/binlogs/ver_5_1_23.001",
    "rust_mysql_common/test-data/binlogs/ver_trunk_row_v2.001",
    "rust_mysql_common/test-data/binlogs/write-full-row.binlog",
    "rust_mysql_common/test-data/binlogs/write-partial-row.binlog",
    "zalora-binlog-parser/data/fixtures/mysql-bin.01",
    "zalora-binlog-parser/data/fixtures/mysql-bin.02",
    "zalora-binlog-parser/data/fixtures/mysql-bin.03",
    "zalora-binlog-parser/data/fixtures/mysql-bin.05",
    "zalora-binlog-parser/data/fixtures/mysql-bin.06",
    "zalora-binlog-parser/data/fixtures/mysql-bin.07",
    "zalora-binlog-parser/data/gtid-fixtures/mysql-bin.01",
];

/// Binlogs of a pre-GA 5.2 development tree (wl2325) whose event type codes differ from the
/// released ones: its codes 19-22 are not TABLE_MAP and rows events. Decoding them must fail
/// with typed errors, never panic.
const DEV_TREE: &[&str] = &[
    "rust_mysql_common/test-data/binlogs/ver_5_1-wl2325_r.001",
    "rust_mysql_common/test-data/binlogs/ver_5_1-wl2325_s.001",
];

fn is_rows(t: u8) -> bool {
    matches!(t, 20..=25 | 30..=32 | 39 | 166..=171)
}

#[test]
fn every_row_in_the_corpus_decodes() {
    let mut total_rows = 0;
    let mut total_values = 0;
    let mut failures = Vec::new();
    for file in FILES {
        let events = common::split(&common::read_corpus(file));
        let mut tables = TableMaps::new();
        for ev in &events {
            if ev.event_type == 19 {
                match parse_table_map(&ev.body, ev.post_header_len()) {
                    Ok(map) => {
                        tables.insert(map);
                    }
                    Err(e) => failures.push(format!("{file} @{}: TABLE_MAP: {e}", ev.offset)),
                }
            } else if is_rows(ev.event_type) {
                match parse_rows_event(EventType(ev.event_type), &ev.body, ev.post_header_len(), &tables) {
                    Ok(rows) => {
                        for row in rows.rows() {
                            match row {
                                Ok(row) => {
                                    total_rows += 1;
                                    for image in [row.before(), row.after()].into_iter().flatten() {
                                        total_values += image.values().count();
                                        assert_eq!(image.values().count(), image.len());
                                        // Appending to a shared vector gives the same slots as
                                        // an owned image of its own.
                                        let backing = bytes::Bytes::new();
                                        let mut shared = vec![None];
                                        let span = image.append_owned_in(&backing, &mut shared);
                                        assert_eq!(span.start, 1);
                                        assert_eq!(shared[span], image.to_owned_in(&backing).values[..]);
                                    }
                                }
                                Err(e) => failures.push(format!("{file} @{}: row: {e}", ev.offset)),
                            }
                        }
                    }
                    Err(e) => failures.push(format!(
                        "{file} @{}: {}: {e}",
                        ev.offset,
                        EventType(ev.event_type)
                    )),
                }
            }
        }
    }
    eprintln!("{total_rows} rows, {total_values} values");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(total_rows > 1000);
}

#[test]
fn development_tree_binlogs_fail_cleanly() {
    let mut errors = 0;
    for file in DEV_TREE {
        let mut tables = TableMaps::new();
        for ev in common::split(&common::read_corpus(file)) {
            if ev.event_type == 19 {
                match parse_table_map(&ev.body, ev.post_header_len()) {
                    Ok(map) => {
                        tables.insert(map);
                    }
                    Err(e) => {
                        assert!(matches!(e, binlog_proto::Error::Malformed { .. }), "{e}");
                        errors += 1;
                    }
                }
            } else if is_rows(ev.event_type) {
                let e = parse_rows_event(EventType(ev.event_type), &ev.body, ev.post_header_len(), &tables)
                    .unwrap_err();
                assert!(matches!(e, binlog_proto::Error::UnknownTable { .. }), "{e}");
                errors += 1;
            }
        }
    }
    assert_eq!(errors, 4);
}
