//! Compares every row value decoded from the corpus binlogs that come with a `mysqlbinlog -vv`
//! dump against the dump's `@N=value` lines.

mod common;

use binlog_proto::event::EventType;
use binlog_proto::event::rows::parse_rows_event;
use binlog_proto::event::table_map::{Column, TableMaps, parse_table_map};
use binlog_proto::value::{ColumnType, Signedness, Value};

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

/// One image as the dump prints it: (column number, value text) per `@N=` line.
type Image = Vec<(usize, String)>;

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

fn parse_dump(text: &str) -> Vec<Image> {
    let mut images = Vec::new();
    for line in text.lines() {
        if line == "### WHERE" || line == "### SET" {
            images.push(Vec::new());
        } else if let Some(rest) = line.strip_prefix("###   @") {
            let (n, value) = rest.split_once('=').unwrap();
            let value = match value.rfind(" /* ") {
                Some(i) if value.ends_with("*/") => &value[..i],
                _ => value,
            };
            images
                .last_mut()
                .expect("value line outside an image")
                .push((n.parse().unwrap(), value.to_string()));
        }
    }
    images
}

/// mysqlbinlog's string quoting (sql/log_event.cc `get_quote_table`).
fn quote(bytes: &[u8]) -> String {
    let mut out = Vec::new();
    out.push(b'\'');
    for &b in bytes {
        match b {
            8 => out.extend_from_slice(b"\\b"),
            12 => out.extend_from_slice(b"\\f"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\'' => out.extend_from_slice(b"\\'"),
            b if b < 32 => out.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
            b => out.push(b),
        }
    }
    out.push(b'\'');
    String::from_utf8(out).unwrap()
}

/// C's `%g` (6 significant digits), as mysqlbinlog prints FLOAT.
fn c_g6(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let sci = format!("{v:.5e}");
    let (mantissa, exp) = sci.split_once('e').unwrap();
    let exp: i32 = exp.parse().unwrap();
    if !(-4..6).contains(&exp) {
        let m = mantissa.trim_end_matches('0').trim_end_matches('.');
        format!("{m}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
    } else {
        let decimals = (5 - exp).max(0) as usize;
        let s = format!("{v:.decimals$}");
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    }
}

/// Checks one value against the dump's text for it.
fn check(column: &Column, value: &Value<'_>, dump: &str, at: &str) {
    let ours = match value {
        Value::Null => "NULL".to_string(),
        Value::Int(i) => {
            if i.signedness() == Signedness::Unsigned {
                i.as_u64().to_string()
            } else if i.as_i64() < 0 && dump.contains(" (") {
                // 5.6/5.7 mysqlbinlog prints negative values with their unsigned reading
                format!("{} ({})", i.as_i64(), i.as_u64())
            } else {
                i.as_i64().to_string()
            }
        }
        Value::Float(x) => {
            assert_eq!(c_g6(*x as f64), dump.trim_end(), "{at}");
            return;
        }
        Value::Double(x) => {
            assert_eq!(*x, dump.parse::<f64>().unwrap(), "{at}");
            return;
        }
        Value::Decimal(d) => d.to_string(),
        // mysqlbinlog prints YEAR as 1900 + the stored byte, also for the zero year
        Value::Year(y) => format!("{:04}", if *y == 0 { 1900 } else { *y }),
        // DATE prints with colons
        Value::Date(d) => format!("'{:04}:{:02}:{:02}'", d.year, d.month, d.day),
        Value::Time(t) if column.column_type() == ColumnType::TIME => format!("'{t}'"),
        Value::Time(t) => format!("'{t}'"),
        Value::DateTime(dt) if column.column_type() == ColumnType::DATETIME => dt.to_string(),
        Value::DateTime(dt) => format!("'{dt}'"),
        Value::Timestamp(ts) => {
            if ts.decimals == 0 {
                ts.seconds.to_string()
            } else {
                let frac = ts.micros / 10u32.pow(6 - u32::from(ts.decimals));
                format!("{}.{:0w$}", ts.seconds, frac, w = usize::from(ts.decimals))
            }
        }
        Value::Bit(b) => b.to_string(),
        Value::String(s) => quote(s.stored_bytes()),
        Value::Enum(e) => e.index.to_string(),
        Value::Set(s) => {
            let bits = column.metadata() & 0xff;
            let width = usize::from(bits) * 8;
            format!("b'{:0width$b}'", s.bits)
        }
        Value::Json(j) => quote(j.to_string().as_bytes()),
        other => panic!("{at}: no mysqlbinlog form for {other:?}"),
    };
    assert_eq!(ours, dump, "{at}");
}

#[test]
fn every_value_matches_mysqlbinlog() {
    let mut compared = 0;
    let mut files = 0;
    for (binlog, dump, utf16) in PAIRS {
        let expected = parse_dump(&dump_text(dump, *utf16));
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
                                check(column, value, text, &format!("{at} @{n}"));
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
