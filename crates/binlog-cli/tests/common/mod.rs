//! Shared by the server-backed tests: a table with every column type, a scripted set of
//! inserts, updates and deletes, the server's own SELECT of each row as the expected JSON, and
//! the check of `binlog decode` / `binlog tail` output lines against it.
#![allow(dead_code, unreachable_pub)] // each test binary uses a part

use std::collections::BTreeMap;
use std::process::Command;

use base64::Engine as _;
use binlog_testkit::Server;
use serde_json::{Value as Json, json};

pub(crate) const BINLOG: &str = env!("CARGO_BIN_EXE_binlog");
/// Every statement runs in its own client session: these settings go first each time.
pub(crate) const SESSION: &str = "SET time_zone = '+00:00'; SET sql_mode = '';";

/// How the expected JSON value of a column is derived from the server.
#[derive(Clone, Copy)]
enum Kind {
    /// `CAST(col AS CHAR)` parsed as a JSON number (integers, exact).
    Integer,
    /// `col+0` as a JSON number (YEAR, BIT).
    Number,
    /// `CAST(col AS CHAR)` as a JSON string (DECIMAL, temporal types, ENUM, SET).
    Text,
    /// FLOAT: `CAST(col AS DOUBLE)`, compared as f32.
    Float,
    /// DOUBLE: `CAST(col AS DOUBLE)`, compared exactly.
    Double,
    /// `HEX(CONVERT(col USING utf8mb4))`: the characters, as a JSON string.
    Chars,
    /// `HEX(col)`: the bytes, as `{"base64": ...}`.
    Bytes,
}

struct Col {
    name: &'static str,
    ty: &'static str,
    kind: Kind,
}

const fn c(name: &'static str, ty: &'static str, kind: Kind) -> Col {
    Col { name, ty, kind }
}

use Kind::*;

const COLUMNS: &[Col] = &[
    c("ti", "TINYINT", Integer),
    c("tu", "TINYINT UNSIGNED", Integer),
    c("si", "SMALLINT", Integer),
    c("su", "SMALLINT UNSIGNED", Integer),
    c("mi", "MEDIUMINT", Integer),
    c("mu", "MEDIUMINT UNSIGNED", Integer),
    c("ii", "INT", Integer),
    c("iu", "INT UNSIGNED", Integer),
    c("bi", "BIGINT", Integer),
    c("bu", "BIGINT UNSIGNED", Integer),
    c("f", "FLOAT", Float),
    c("d", "DOUBLE", Double),
    c("dec2", "DECIMAL(10,2)", Text),
    c("dec65", "DECIMAL(65,30)", Text),
    c("dec55", "DECIMAL(5,5)", Text),
    c("da", "DATE", Text),
    c("dt0", "DATETIME", Text),
    c("dt3", "DATETIME(3)", Text),
    c("dt6", "DATETIME(6)", Text),
    c("t0", "TIME", Text),
    c("t2", "TIME(2)", Text),
    c("t6", "TIME(6)", Text),
    c("ts0", "TIMESTAMP NULL", Text),
    c("ts4", "TIMESTAMP(4) NULL", Text),
    c("y", "YEAR", Number),
    c("b1", "BIT(1)", Number),
    c("b64", "BIT(64)", Number),
    c("e", "ENUM('a','b','é')", Text),
    c("s", "SET('x','y','z')", Text),
    c("c10", "CHAR(10)", Chars),
    c("v", "VARCHAR(50)", Chars),
    c("vl", "VARCHAR(20) CHARACTER SET latin1", Chars),
    c("u16", "VARCHAR(20) CHARACTER SET utf16", Chars),
    c("tx", "TEXT", Chars),
    c("bin8", "BINARY(8)", Bytes),
    c("vb", "VARBINARY(20)", Bytes),
    c("bl", "BLOB", Bytes),
    c("g", "GEOMETRY", Bytes),
    // MariaDB's JSON is LONGTEXT with a check: the binlog cannot tell it from text.
    c("j", "JSON", Chars),
];

const INSERTS: &[&str] = &[
    "(1,-128,0,-32768,0,-8388608,0,-2147483648,0,-9223372036854775808,0,\
      -3.40282e38,-1.7976931348623157e308,-99999999.99,\
      '-99999999999999999999999999999999999.999999999999999999999999999999',-0.99999,\
      '1000-01-01','1000-01-01 00:00:00','1000-01-01 00:00:00.000','1000-01-01 00:00:00.000000',\
      '-838:59:59','-838:59:59.99','-838:59:59.000000','1970-01-01 00:00:01','1970-01-01 00:00:01.0001',\
      1901,b'0',b'0','a','','','','','','','',x'',x'',ST_GeomFromText('POINT(0 0)'),'[]')",
    "(2,127,255,32767,65535,8388607,16777215,2147483647,4294967295,9223372036854775807,\
      18446744073709551615,3.40282e38,1.7976931348623157e308,99999999.99,\
      '99999999999999999999999999999999999.999999999999999999999999999999',0.99999,\
      '9999-12-31','9999-12-31 23:59:59','9999-12-31 23:59:59.999','9999-12-31 23:59:59.999999',\
      '838:59:59','838:59:59.99','838:59:59.000000','2038-01-19 03:14:07','2038-01-19 03:14:07.9999',\
      2155,b'1',x'FFFFFFFFFFFFFFFF','é','x,y,z','0123456789','tab\\tquote\"back\\\\slash',\
      'ÿé','😀 ü','line\\nbreak',x'0001FEFF',x'00',x'DEADBEEF',\
      ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))'),'{\"a\": [1, 2.5, null, true], \"b\": \"é\"}')",
    "(3,1,2,3,4,5,6,7,8,9,10,1.1,0.1,1.5,0.000000000000000000000000000001,0.00001,\
      '2024-02-29','2024-02-29 12:34:56','2024-02-29 12:34:56.120','2024-02-29 12:34:56.000001',\
      '00:00:00','-00:00:01.10','12:34:56.789012','2024-02-29 12:34:56','2024-02-29 12:34:56.5',\
      2024,b'1',b'101','b','x,z','  pad','Grüße 中文','café','Ωmega','',x'41',x'',x'00FF00',\
      ST_GeomFromText('LINESTRING(1 2,3 4)'),'{\"k\": \"v\"}')",
    "(4,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,\
      NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,\
      NULL,NULL)",
];

const UPDATE: &str = "UPDATE t SET ti = IF(ti IS NULL, 7, NULL), bu = IF(IFNULL(bu, 0) = 0, 18446744073709551614, bu - 1), \
     d = IF(d IS NULL, -0.5, NULL), dt6 = '2001-02-03 04:05:06.7', ts0 = '2001-02-03 04:05:06', \
     e = IF(e = 'a', 'b', 'a'), s = 'y', v = CONCAT(IFNULL(v, ''), '!'), vb = x'FF', \
     j = '{\"updated\": 1}' WHERE id IN (1, 2, 4)";

/// The server's expression whose output gives the expected JSON of a column.
fn probe(col: &Col) -> String {
    let n = col.name;
    match col.kind {
        Integer | Text => format!("CAST(`{n}` AS CHAR)"),
        Number => format!("`{n}`+0"),
        Float | Double => format!("CAST(`{n}` AS DOUBLE)"),
        Chars => format!("HEX(CONVERT(`{n}` USING utf8mb4))"),
        Bytes => format!("HEX(`{n}`)"),
    }
}

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

/// The expected JSON value from the probe's output (`None` is SQL NULL).
fn expected(col: &Col, text: Option<&str>) -> Json {
    let Some(text) = text else { return Json::Null };
    match col.kind {
        Integer | Number => {
            serde_json::from_str(text).unwrap_or_else(|e| panic!("{}: {text}: {e}", col.name))
        }
        Text => Json::String(text.to_owned()),
        Float | Double => json!(text.parse::<f64>().unwrap()),
        Chars => Json::String(String::from_utf8(unhex(text)).unwrap()),
        Bytes => json!({ "base64": base64::engine::general_purpose::STANDARD.encode(unhex(text)) }),
    }
}

/// Each row of `t` by id: column name -> expected JSON value.
fn snapshot(server: &Server, db: &str) -> BTreeMap<i64, BTreeMap<String, Json>> {
    let probes: Vec<String> = COLUMNS.iter().map(probe).collect();
    let rows = server.exec(&format!(
        "{SESSION} SELECT id, {} FROM `{db}`.t ORDER BY id",
        probes.join(", ")
    ));
    rows.into_iter()
        .map(|row| {
            let id: i64 = row[0].as_deref().unwrap().parse().unwrap();
            let mut values = BTreeMap::new();
            values.insert("id".to_owned(), json!(id));
            for (col, text) in COLUMNS.iter().zip(&row[1..]) {
                values.insert(col.name.to_owned(), expected(col, text.as_deref()));
            }
            (id, values)
        })
        .collect()
}

/// Compares one decoded image with the server's row, column by column.
fn assert_image(what: &str, got: &Json, want: &BTreeMap<String, Json>) {
    let got = got
        .as_object()
        .unwrap_or_else(|| panic!("{what}: not an object: {got}"));
    let mut names: Vec<&str> = std::iter::once("id")
        .chain(COLUMNS.iter().map(|c| c.name))
        .collect();
    names.sort_unstable();
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        names,
        "{what}: every column, by name"
    );
    for col in COLUMNS {
        let (g, w) = (&got[col.name], &want[col.name]);
        let equal = match (col.kind, g.as_f64(), w.as_f64()) {
            // FLOAT: the JSON has the shortest digits of the f32; the server gives its exact
            // widening to double.
            (Float, Some(g), Some(w)) => g as f32 == w as f32 && f64::from(w as f32) == w,
            (Double, Some(g), Some(w)) => g.to_bits() == w.to_bits(),
            _ => g == w,
        };
        assert!(
            equal,
            "{what}, column {} ({}): decoded {g}, server says {w}",
            col.name, col.ty
        );
    }
    assert_eq!(got["id"], want["id"], "{what}");
}

/// Decodes all the server's binlog files, keeping the lines of `db`.`t`.
pub(crate) fn decode(server: &Server, db: &str, format: &str) -> (String, Vec<String>) {
    let files = server.binlog_files();
    assert!(!files.is_empty());
    let out = Command::new(BINLOG)
        .args(["decode", "--format", format, "--tables", &format!("{db}.t")])
        .args(&files)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let names = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned());
    (
        names.collect::<Vec<_>>().join(" "),
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(String::from)
            .collect(),
    )
}

pub(crate) fn unix_now(server: &Server) -> u64 {
    server
        .query_value("SELECT UNIX_TIMESTAMP()")
        .unwrap()
        .parse()
        .unwrap()
}

/// The scripted changes: database, the rows after the inserts and after the update (by id),
/// and the server's clock around them.
pub(crate) struct Script {
    pub(crate) db: String,
    pub(crate) inserted: BTreeMap<i64, BTreeMap<String, Json>>,
    pub(crate) updated: BTreeMap<i64, BTreeMap<String, Json>>,
    pub(crate) started: u64,
    pub(crate) ended: u64,
}

/// Creates `db.t` with every column type in a fresh database, inserts [`INSERTS`], runs
/// [`UPDATE`] and deletes everything, taking the server's SELECT of the rows in between.
pub(crate) fn run_script(server: &Server, prefix: &str) -> Script {
    let db = server.fresh_database(prefix);
    let columns: Vec<String> = COLUMNS.iter().map(|c| format!("`{}` {}", c.name, c.ty)).collect();
    server.exec(&format!(
        "CREATE TABLE `{db}`.t (id INT PRIMARY KEY, {}) DEFAULT CHARSET=utf8mb4",
        columns.join(", ")
    ));
    let started = unix_now(server);
    for row in INSERTS {
        server.exec(&format!("{SESSION} INSERT INTO `{db}`.t VALUES {row}"));
    }
    let inserted = snapshot(server, &db);
    assert_eq!(inserted.len(), INSERTS.len());
    server.exec(&format!("{SESSION} USE `{db}`; {UPDATE}"));
    let updated = snapshot(server, &db);
    server.exec(&format!("DELETE FROM `{db}`.t"));
    let ended = unix_now(server);
    Script {
        db,
        inserted,
        updated,
        started,
        ended,
    }
}

/// The operations, in order, that the script's lines must show.
pub(crate) const EXPECTED_OPS: [(&str, i64); 11] = [
    ("insert", 1),
    ("insert", 2),
    ("insert", 3),
    ("insert", 4),
    ("update", 1),
    ("update", 2),
    ("update", 4),
    ("delete", 1),
    ("delete", 2),
    ("delete", 3),
    ("delete", 4),
];

/// Checks JSON lines of `script.db`.`t` against the server's values: every op in order, every
/// column of every image, keys, GTIDs, positions (in `file_names`, a space-separated list, and
/// never going back) and timestamps.
pub(crate) fn check_lines(script: &Script, file_names: &str, lines: &[String]) {
    let Script {
        db,
        inserted,
        updated,
        started,
        ended,
    } = script;
    let (started, ended) = (*started, *ended);
    let changes: Vec<Json> = lines.iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    let ops: Vec<(&str, i64)> = changes
        .iter()
        .map(|c| {
            let image = if c["after"].is_null() {
                &c["before"]
            } else {
                &c["after"]
            };
            (c["op"].as_str().unwrap(), image["id"].as_i64().unwrap())
        })
        .collect();
    assert_eq!(ops, EXPECTED_OPS, "{lines:#?}");
    // Columns come in table order.
    let after = lines[0].split("\"after\":").nth(1).unwrap();
    let positions: Vec<usize> = std::iter::once("id")
        .chain(COLUMNS.iter().map(|c| c.name))
        .map(|n| after.find(&format!("\"{n}\":")).unwrap())
        .collect();
    assert!(positions.is_sorted(), "{}", lines[0]);
    let mut last_offset = (String::new(), 0);
    for (change, (op, id)) in changes.iter().zip(ops) {
        let what = format!("{op} of row {id}");
        assert_eq!(change["schema"], db.as_str());
        assert_eq!(change["table"], "t");
        assert_eq!(change["keys"], json!({ "id": id }), "{what}");
        let ts = change["ts"].as_u64().unwrap();
        assert!(
            (started..=ended).contains(&ts),
            "{what}: ts {ts} not in {started}..={ended}"
        );
        let gtid = change["gtid"]
            .as_str()
            .unwrap_or_else(|| panic!("{what}: no gtid"));
        let parts: Vec<&str> = gtid.split('-').collect();
        assert!(
            parts.len() == 3 && parts.iter().all(|p| p.parse::<u64>().is_ok()),
            "{gtid}"
        );
        let file = change["pos"]["file"].as_str().unwrap().to_owned();
        let offset = change["pos"]["offset"].as_u64().unwrap();
        assert!(
            file_names.split(' ').any(|f| f == file),
            "{file} not among {file_names}"
        );
        assert!(
            (file.clone(), offset) >= last_offset,
            "{what}: positions never go back"
        );
        last_offset = (file, offset);
        match op {
            "insert" => {
                assert!(change["before"].is_null());
                assert_image(&what, &change["after"], &inserted[&id]);
            }
            "update" => {
                assert_image(&format!("{what} (before)"), &change["before"], &inserted[&id]);
                assert_image(&format!("{what} (after)"), &change["after"], &updated[&id]);
            }
            _ => {
                assert!(change["after"].is_null());
                assert_image(&what, &change["before"], &updated[&id]);
            }
        }
    }
    // The statement's transaction shares one GTID.
    assert_eq!(changes[4]["gtid"], changes[6]["gtid"]);
    assert_ne!(changes[0]["gtid"], changes[1]["gtid"]);
}
