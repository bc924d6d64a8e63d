//! Cross-check with the MariaDB client's `mariadb-binlog -vv`: for every corpus binlog it can
//! print (MySQL 5.0-8.x and MariaDB, all row formats), every value we decode equals the value
//! it prints. Together with the server tests this covers the old temporal formats (DATETIME,
//! TIMESTAMP, TIME before 5.6.4), YEAR and the other types current servers no longer write.

mod common;

use std::process::Command;

use binlog_proto::event::EventType;
use binlog_proto::event::rows::parse_rows_event;
use binlog_proto::event::table_map::{TableMaps, parse_table_map};
use common::dump::{Flavor, check, parse_dump};

const FILES: &[&str] = &[
    "canal/parse/src/test/resources/binlog/mysql-bin.000001",
    "canal/parse/src/test/resources/binlog/mysql-bin.000002",
    "canal/parse/src/test/resources/binlog/tsdb/mysql-bin.000002",
    "canal/parse/src/test/resources/binlog/tsdb/mysql-bin.000003",
    "mariadb-poc/mariadb-binlog/binlogs/domain_id_0/mariadb-repl-bin.000005",
    "mysql-binlog-connector-java/src/test/resources/mysql-bin.aurora-padding",
    "mysql-binlog-connector-java/src/test/resources/mysql-bin.checksum-crc32",
    "mysql-binlog-connector-java/src/test/resources/mysql-bin.checksum-none",
    "mysql-binlog-connector-java/src/test/resources/mysql-bin.sakila.gz",
    "mysql-binlog-connector-rust/tests/parse_file_tests/mysql-bin.000080",
    "mysql-cdc-rs/tests/events/5.7/31_update_rows_v2/log.bin",
    "mysql-cdc-rs/tests/events/5.7/32_delete_rows_v2/log.bin",
    "mysql-cdc-rs/tests/events/8.0/02_query_bigger/binlog.000733",
    "mysql-cdc-rs/tests/events/8.0/31_update_rows_v2/binlog.000001",
    "percona-binlog-server/mtr/binlog_streaming/std_data/data_80045_gtid/binlog.000001",
    "percona-binlog-server/mtr/binlog_streaming/std_data/data_80045_position/binlog.000002",
    "rust_mysql_common/test-data/binlogs/binlog-invisible-columns.000001",
    "rust_mysql_common/test-data/binlogs/binlog_56_gtid_reserved_word.000001",
    "rust_mysql_common/test-data/binlogs/binlog_savepoint.000001",
    "rust_mysql_common/test-data/binlogs/binlog_transaction.000001",
    "rust_mysql_common/test-data/binlogs/bug11747887-bin.000003",
    "rust_mysql_common/test-data/binlogs/bug16266.000001",
    "rust_mysql_common/test-data/binlogs/bug27213339-bin.000001",
    "rust_mysql_common/test-data/binlogs/bug32407.001",
    "rust_mysql_common/test-data/binlogs/bug33029-slave-relay-bin.000001",
    "rust_mysql_common/test-data/binlogs/mariadb-bin.000001",
    "rust_mysql_common/test-data/binlogs/minimal_row_metadata.000001",
    "rust_mysql_common/test-data/binlogs/mysql-enum-string-set.000001",
    "rust_mysql_common/test-data/binlogs/mysql_type_bit.000001",
    "rust_mysql_common/test-data/binlogs/rpl_cross_version_default_utf8mb4_collation.000001",
    "rust_mysql_common/test-data/binlogs/rpl_unfiltered_hidden_gcol.000001",
    "rust_mysql_common/test-data/binlogs/slave-relay-bin.000001",
    "rust_mysql_common/test-data/binlogs/time_issue.000001",
    "rust_mysql_common/test-data/binlogs/update-full-row.binlog",
    "rust_mysql_common/test-data/binlogs/update-partial-row.binlog",
    "rust_mysql_common/test-data/binlogs/ver_5_1_23.001",
    "rust_mysql_common/test-data/binlogs/ver_trunk_row_v2.001",
    "rust_mysql_common/test-data/binlogs/write-full-row.binlog",
    "rust_mysql_common/test-data/binlogs/write-partial-row.binlog",
    "zalora-binlog-parser/data/fixtures/mysql-bin.01",
    "zalora-binlog-parser/data/fixtures/mysql-bin.06",
    "zalora-binlog-parser/data/fixtures/mysql-bin.07",
    "zalora-binlog-parser/data/gtid-fixtures/mysql-bin.01",
];

fn mariadb_binlog() -> std::path::PathBuf {
    for name in ["mariadb-binlog", "mysqlbinlog"] {
        for dir in std::env::var("PATH")
            .unwrap_or_default()
            .split(':')
            .chain(["/usr/bin", "/usr/local/bin"])
        {
            let p = std::path::Path::new(dir).join(name);
            if p.is_file() {
                return p;
            }
        }
    }
    panic!(
        "mariadb-binlog not found; install MariaDB with: {}",
        binlog_testkit::INSTALL_HINT
    );
}

#[test]
fn every_value_matches_mariadb_binlog() {
    let tool = mariadb_binlog();
    let dir = tempfile::tempdir().unwrap();
    let mut compared = 0;
    for file in FILES {
        let bytes = common::read_corpus(file);
        let path = dir.path().join("binlog");
        std::fs::write(&path, &bytes).unwrap();
        let out = Command::new(&tool)
            .args(["-vv", "--base64-output=decode-rows"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{file}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let expected = parse_dump(&out.stdout);
        let mut next = 0;
        let mut tables = TableMaps::new();
        for ev in common::split(&bytes) {
            match ev.event_type {
                19 => {
                    tables.insert(parse_table_map(&ev.body, ev.post_header_len()).unwrap());
                }
                20..=25 | 30..=32 | 39 => {
                    let event =
                        parse_rows_event(EventType(ev.event_type), &ev.body, ev.post_header_len(), &tables)
                            .unwrap_or_else(|e| panic!("{file} @{}: {e}", ev.offset));
                    for row in event.rows() {
                        let row = row.unwrap_or_else(|e| panic!("{file} @{}: {e}", ev.offset));
                        for image in [row.before(), row.after()].into_iter().flatten() {
                            let want = expected
                                .get(next)
                                .unwrap_or_else(|| panic!("{file}: more images than mariadb-binlog prints"));
                            let at = format!("{file} @{} image {next}", ev.offset);
                            next += 1;
                            let got: Vec<_> = image.values().collect();
                            assert_eq!(got.len(), want.len(), "{at}: column count");
                            for ((column, value), (n, text)) in got.iter().zip(want) {
                                assert_eq!(column.index() + 1, *n, "{at}");
                                check(column, value, text, Flavor::Mariadb, &format!("{at} @{n}"));
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
            "{file}: image count differs from mariadb-binlog"
        );
    }
    eprintln!("compared {compared} values");
    assert!(compared > 290_000, "only {compared} values compared");
}
