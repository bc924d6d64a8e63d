//! Text result sets from arbitrary server bytes, after a scripted login: a connection that
//! sent a query is fed the answer. Invariants: never a panic; a result set's rows all have one
//! value per column; no more columns than `limits::MAX_COLUMNS`; the connection is ready again
//! after a result.
#![no_main]

#[path = "common/mod.rs"]
mod common;

use binlog_proto::connection::{ConnectOptions, Connection, Output};
use binlog_proto::limits::MAX_COLUMNS;
use binlog_proto::resultset::QueryResult;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, data)) = data.split_first() else {
        return;
    };
    let deprecate_eof = mode & 1 != 0;
    let options = ConnectOptions::new("u", "p")
        .deprecate_eof(deprecate_eof)
        .max_packet_size(1 << 16)
        .max_result_set_size(1 << 18);
    let mut conn = Connection::new(options);
    conn.feed(&common::frame(0, &[&common::greeting(deprecate_eof)]));
    let mut logged_in = false;
    for _ in 0..8 {
        match conn.poll().expect("scripted login") {
            Output::Send(_) if !logged_in => {
                logged_in = true;
                conn.feed(&common::frame(2, &[&[0, 0, 0, 2, 0, 0, 0]]));
            }
            Output::Authenticated => break,
            other => panic!("unexpected {other:?} during the scripted login"),
        }
    }
    assert!(conn.is_ready());
    conn.query("SELECT * FROM t").expect("query");
    // Structured mode: length-prefixed payloads framed from sequence id 1; raw mode: bytes.
    let bytes = if mode & 2 != 0 {
        common::frame(1, &common::payloads(data))
    } else {
        data.to_vec()
    };
    let mut fed = false;
    for _ in 0..10_000 {
        match conn.poll() {
            Ok(Output::Send(_)) => {}
            Ok(Output::NeedMoreData) if !fed => {
                fed = true;
                conn.feed(&bytes);
            }
            Ok(Output::Result(result)) => {
                assert!(conn.is_ready());
                if let QueryResult::Rows(set) = result {
                    assert!(set.columns.len() <= MAX_COLUMNS);
                    for row in &set.rows {
                        assert_eq!(row.len(), set.columns.len());
                    }
                }
                return;
            }
            Ok(_) | Err(_) => return,
        }
    }
    panic!("no progress after 10000 polls");
});
