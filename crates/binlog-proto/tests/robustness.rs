//! Truncated and corrupted TABLE_MAP and rows bodies give errors, never panics; truncation
//! never invents rows or values.

mod common;

use binlog_proto::event::EventType;
use binlog_proto::event::rows::parse_rows_event;
use binlog_proto::event::table_map::{TableMaps, parse_table_map};
use proptest::prelude::*;

const FILES: &[&str] = &[
    "rust_mysql_common/test-data/binlogs/json-opaque.binlog",
    "rust_mysql_common/test-data/binlogs/json.binlog.000001",
    "rust_mysql_common/test-data/binlogs/vector.binlog",
    "rust_mysql_common/test-data/binlogs/mysql-enum-string-set.000001",
    "rust_mysql_common/test-data/binlogs/mariadb-bin.000001",
    "rust_mysql_common/test-data/binlogs/minimal_row_metadata.000001",
    "rust_mysql_common/test-data/binlogs/time_issue.000001",
    "rust_mysql_common/test-data/binlogs/mysql_type_bit.000001",
    "rust_mysql_common/test-data/binlogs/update-partial-row.binlog",
    "rust_mysql_common/test-data/binlogs/binlog-invisible-columns.000001",
    "mysql-binlog-connector-java/src/test/resources/mysql-bin.checksum-crc32",
    "zalora-binlog-parser/data/fixtures/mysql-bin.06",
    "mysql-cdc-rs/tests/events/5.7/31_update_rows_v2/log.bin",
    "mysql-cdc-rs/tests/events/8.0/32_delete_rows_v2/binlog.000001",
];

type RowsCase = (u8, u8, Vec<u8>, TableMaps);

/// (event type, post-header length, body, table maps in force), bodies up to 4 KiB.
fn rows_events() -> &'static [RowsCase] {
    static EVENTS: std::sync::OnceLock<Vec<RowsCase>> = std::sync::OnceLock::new();
    EVENTS.get_or_init(load_rows_events)
}

fn load_rows_events() -> Vec<RowsCase> {
    let mut out = Vec::new();
    for file in FILES {
        let mut tables = TableMaps::new();
        for ev in common::split(&common::read_corpus(file)) {
            match ev.event_type {
                19 => {
                    tables.insert(parse_table_map(&ev.body, ev.post_header_len()).unwrap());
                }
                23..=25 | 30..=32 | 39 if ev.body.len() <= 4096 => out.push((
                    ev.event_type,
                    ev.post_header_len(),
                    ev.body.clone(),
                    tables.clone(),
                )),
                _ => {}
            }
        }
    }
    out
}

fn table_maps() -> &'static [(u8, Vec<u8>)] {
    static MAPS: std::sync::OnceLock<Vec<(u8, Vec<u8>)>> = std::sync::OnceLock::new();
    MAPS.get_or_init(load_table_maps)
}

fn load_table_maps() -> Vec<(u8, Vec<u8>)> {
    FILES
        .iter()
        .flat_map(|f| common::split(&common::read_corpus(f)))
        .filter(|ev| ev.event_type == 19)
        .map(|ev| (ev.post_header_len(), ev.body))
        .collect()
}

/// Decodes every row and renders every value; returns the rendered rows or the first error.
fn render_all(t: u8, phl: u8, body: &[u8], tables: &TableMaps) -> Result<Vec<String>, binlog_proto::Error> {
    let event = parse_rows_event(EventType(t), body, phl, tables)?;
    let mut out = Vec::new();
    for row in event.rows() {
        let row = row?;
        for image in [row.before(), row.after()].into_iter().flatten() {
            let values: Vec<String> = image
                .values()
                .map(|(c, v)| format!("{}={v}", c.index()))
                .collect();
            out.push(values.join(","));
        }
    }
    Ok(out)
}

#[test]
fn truncated_table_maps_never_panic() {
    let maps = table_maps();
    assert!(maps.len() > 20);
    for (phl, body) in maps {
        let full = parse_table_map(body, *phl).unwrap();
        for len in 0..body.len() {
            if let Ok(map) = parse_table_map(&body[..len], *phl) {
                // a cut between optional metadata fields leaves a valid, poorer map
                assert_eq!(map.columns().len(), full.columns().len());
                assert_eq!(map.table(), full.table());
            }
        }
        // the fixed part up to the column types cannot be cut anywhere
        let fixed = 8 + 2 + full.schema().len() + 2 + full.table().len() + 1 + full.columns().len();
        for len in 0..fixed.min(body.len()) {
            assert!(parse_table_map(&body[..len], *phl).is_err(), "cut at {len}");
        }
    }
}

/// Validates every row; returns the row count or the first error.
fn count_rows(t: u8, phl: u8, body: &[u8], tables: &TableMaps) -> Result<usize, binlog_proto::Error> {
    let event = parse_rows_event(EventType(t), body, phl, tables)?;
    let mut n = 0;
    for row in event.rows() {
        row?;
        n += 1;
    }
    Ok(n)
}

#[test]
fn truncated_rows_events_never_panic_or_invent_rows() {
    let events = rows_events();
    assert!(events.len() > 20);
    let mut errors = 0;
    for (t, phl, body, tables) in events {
        let full = render_all(*t, *phl, body, tables).unwrap();
        let mut last_count = None;
        for len in 0..body.len() {
            match count_rows(*t, *phl, &body[..len], tables) {
                Ok(n) => {
                    // fewer complete rows, identical to the first rows of the whole event
                    if last_count != Some(n) {
                        let rows = render_all(*t, *phl, &body[..len], tables).unwrap();
                        assert!(rows.len() <= full.len());
                        assert_eq!(rows[..], full[..rows.len()], "cut at {len}");
                        last_count = Some(n);
                    }
                }
                Err(_) => errors += 1,
            }
        }
    }
    assert!(errors > 1000, "{errors}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn corrupted_table_maps_never_panic(index in any::<prop::sample::Index>(), flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
        let maps = table_maps();
        let (phl, body) = &maps[index.index(maps.len())];
        let mut body = body.clone();
        for (at, byte) in flips {
            let i = at.index(body.len());
            body[i] = byte;
        }
        let _ = parse_table_map(&body, *phl);
    }

    #[test]
    fn corrupted_rows_events_never_panic(index in any::<prop::sample::Index>(), flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
        let events = rows_events();
        let (t, phl, body, tables) = &events[index.index(events.len())];
        let mut body = body.clone();
        for (at, byte) in flips {
            let i = at.index(body.len());
            body[i] = byte;
        }
        let _ = render_all(*t, *phl, &body, tables);
    }
}
