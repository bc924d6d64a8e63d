//! The fault tests' transactional writer against a real MariaDB: the committed set is exactly
//! known, also across a server crash.

use std::time::Duration;

use binlog_testkit::Server;
use binlog_testkit::writer::{ExpectedRow, TxWriter, WriterOptions, WriterReport};

const PATIENCE: Duration = Duration::from_secs(120);

/// Counts the XID events (one per committed InnoDB transaction) in every binlog file.
fn xid_events(server: &Server) -> u64 {
    let files = server.exec("SHOW BINARY LOGS");
    files
        .iter()
        .map(|row| {
            let file = row[0].clone().expect("binlog name");
            let events = server.exec(&format!("SHOW BINLOG EVENTS IN '{file}'"));
            events.iter().filter(|e| e[2].as_deref() == Some("Xid")).count() as u64
        })
        .sum()
}

#[test]
fn commits_every_transaction_once_in_order() {
    let server = Server::builder().start().expect("start a private server");
    let db = server.fresh_database("writer");
    let xids_before = xid_events(&server);
    let started = std::time::Instant::now();
    let writer = TxWriter::start(&server, &db, WriterOptions::new(500, 3)).expect("start the writer");
    let report = writer.join().expect("writer");
    eprintln!("500 tx x 3 rows in {:?}: {report:?}", started.elapsed());
    assert_eq!(
        report,
        WriterReport {
            committed_tx: 500,
            committed_rows: 1500,
            sessions: 1,
            resent_tx: 0,
            unacknowledged_commits: 0,
        }
    );
    let rows = ExpectedRow::select_all(&server, &db).expect("select the rows");
    assert_eq!(rows, ExpectedRow::all(500, 3).collect::<Vec<_>>());
    assert_eq!(rows[4].id, 5);
    assert_eq!(
        (rows[4].tx, rows[4].seq, rows[4].payload.as_str()),
        (2, 2, "tx2/row2")
    );
    // One binlog transaction per writer transaction.
    assert_eq!(xid_events(&server) - xids_before, 500);
}

#[test]
fn survives_a_server_crash_mid_run() {
    let mut server = Server::builder().start().expect("start a private server");
    let db = server.fresh_database("writer");
    let writer = TxWriter::start(&server, &db, WriterOptions::new(3000, 4)).expect("start the writer");
    assert!(writer.wait_for(200, PATIENCE), "the writer made no progress");
    server.kill();
    let at_kill = writer.committed();
    server.restart().expect("restart the server");
    let report = writer.join().expect("writer");
    eprintln!("killed at {at_kill} acknowledged transactions: {report:?}");
    assert!(
        at_kill < 3000,
        "the writer finished before the kill: test too small"
    );
    assert_eq!((report.committed_tx, report.committed_rows), (3000, 12_000));
    assert_eq!(report.sessions, 2, "{report:?}");
    let rows = ExpectedRow::select_all(&server, &db).expect("select the rows");
    assert_eq!(rows.len(), 12_000);
    assert!(
        rows.iter()
            .eq(ExpectedRow::all(3000, 4).collect::<Vec<_>>().iter())
    );
    // The binlog agrees with the table after crash recovery.
    assert_eq!(xid_events(&server), 3000);
}

#[test]
fn drop_stops_a_writer_early() {
    let server = Server::shared();
    let db = server.fresh_database("writer");
    let writer = TxWriter::start(server, &db, WriterOptions::new(1_000_000, 2)).expect("start the writer");
    assert!(writer.wait_for(10, PATIENCE));
    drop(writer);
    let count: u64 = server
        .query_value(&format!("SELECT COUNT(*) FROM `{db}`.tx_rows"))
        .and_then(|n| n.parse().ok())
        .expect("row count");
    assert!((20..2_000_000).contains(&count), "{count}");
    // What was committed is still a whole prefix of transactions.
    let rows = ExpectedRow::select_all(server, &db).expect("select the rows");
    assert!(
        rows.iter()
            .eq(ExpectedRow::all(count / 2, 2).collect::<Vec<_>>().iter())
    );
}
