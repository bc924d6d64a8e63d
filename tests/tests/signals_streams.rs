//! binlog-signals against the harness's MariaDB: what the streams deliver.

mod common;

use std::time::Duration;

use binlog_signals::{BinlogEvent, EventType, NameSource, RowAction, RowsEvent, Start};
use binlog_testkit::Server;
use futures::StreamExt;
use serde_json::{Value, json};

use common::{binlog_events, collect, from_here, now};

fn rows_json(event: &RowsEvent) -> Vec<Value> {
    serde_json::to_value(event).expect("serialize")["rows"]
        .as_array()
        .expect("rows")
        .clone()
}

/// Three transactions over three tables, read back in non-blocking mode: every stream gets
/// its events in commit order with exact values, names, keys, GTIDs and positions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_arrive_on_their_streams_in_commit_order_with_exact_values() {
    let server = Server::shared();
    let db = server.fresh_database("streams");
    server.exec(&format!(
        "CREATE TABLE `{db}`.items (id INT PRIMARY KEY, name VARCHAR(20), price DECIMAL(10,2), at DATETIME(3));
         CREATE TABLE `{db}`.stock (b INT, a BIGINT UNSIGNED, qty INT NOT NULL, PRIMARY KEY (a, b));
         CREATE TABLE `{db}`.log (msg TEXT);"
    ));
    let (config, (file, start)) = from_here(server);
    let before = now();
    let mut gtids = Vec::new();
    let transactions = [
        format!(
            "BEGIN;
             INSERT INTO `{db}`.items VALUES (1, 'one', 12.50, '2024-01-31 12:00:00.120'), (2, NULL, -0.01, NULL);
             INSERT INTO `{db}`.stock VALUES (7, 18446744073709551615, 3);
             COMMIT;"
        ),
        format!(
            "BEGIN;
             UPDATE `{db}`.items SET name = 'uno', price = 13 WHERE id = 1;
             DELETE FROM `{db}`.stock WHERE b = 7;
             COMMIT;"
        ),
        format!("INSERT INTO `{db}`.log VALUES ('héllo')"),
        format!("DELETE FROM `{db}`.items WHERE id = 2"),
    ];
    for sql in &transactions {
        // @@last_gtid: this session's last transaction (other tests write concurrently).
        let rows = server.exec(&format!("{sql}; SELECT @@last_gtid"));
        gtids.push(rows[0][0].clone().expect("gtid"));
    }
    let after = now();
    let (end_file, end) = server.master_status();
    assert_eq!(end_file, file, "no rotation expected");

    let (client, driver) = binlog_signals::connect(config).await.expect("connect");
    let inserted = client.rows_inserted();
    let inserted_again = client.rows_inserted();
    let updated = client.rows_updated();
    let deleted = client.rows_deleted();
    let items_only = client.rows_inserted().table(format!("{db}.items").as_str());
    let events = client.binlog_events().table(format!("{db}.*").as_str());
    let positions = client.binlog_positions();
    let driver = tokio::spawn(driver);
    let (inserted, inserted_again, updated, deleted, items_only, events, positions) = tokio::join!(
        collect(inserted),
        collect(inserted_again),
        collect(updated),
        collect(deleted),
        collect(items_only),
        collect(events),
        collect(positions),
    );
    let stopped = driver.await.expect("driver task").expect("driver");
    // Other tests write concurrently: the end of the binlog may have moved on since.
    assert_eq!(stopped.file(), file);
    assert!(stopped.position() >= end, "{stopped} before {end}");

    // Every event of our tables, in commit order, on the right stream.
    let ours = |e: &&RowsEvent| e.schema() == db;
    let inserted: Vec<RowsEvent> = inserted.into_iter().filter(|e| ours(&e)).collect();
    let updated: Vec<RowsEvent> = updated.into_iter().filter(|e| ours(&e)).collect();
    let deleted: Vec<RowsEvent> = deleted.into_iter().filter(|e| ours(&e)).collect();
    let tables = |events: &[RowsEvent]| events.iter().map(|e| e.table().to_owned()).collect::<Vec<_>>();
    assert_eq!(tables(&inserted), ["items", "stock", "log"]);
    assert_eq!(tables(&updated), ["items"]);
    assert_eq!(tables(&deleted), ["stock", "items"]);
    for (events, action) in [
        (&inserted, RowAction::Insert),
        (&updated, RowAction::Update),
        (&deleted, RowAction::Delete),
    ] {
        assert!(events.iter().all(|e| e.action() == action));
    }

    // Exact values, names and keys.
    assert_eq!(
        rows_json(&inserted[0]),
        [
            json!({"values": {"id": 1, "name": "one", "price": "12.50", "at": "2024-01-31 12:00:00.120"}, "keys": {"id": 1}}),
            json!({"values": {"id": 2, "name": null, "price": "-0.01", "at": null}, "keys": {"id": 2}}),
        ]
    );
    assert_eq!(inserted[0].columns().source(), NameSource::TableMap);
    assert_eq!(
        rows_json(&inserted[1]),
        [
            json!({"values": {"b": 7, "a": 18446744073709551615u64, "qty": 3}, "keys": {"a": 18446744073709551615u64, "b": 7}})
        ]
    );
    assert_eq!(
        rows_json(&inserted[2]),
        [json!({"values": {"msg": "héllo"}, "keys": {}})]
    );
    assert_eq!(
        rows_json(&updated[0]),
        [json!({
            "values": {"id": 1, "name": "uno", "price": "13.00", "at": "2024-01-31 12:00:00.120"},
            "keys": {"id": 1},
            "before": {"id": 1, "name": "one", "price": "12.50", "at": "2024-01-31 12:00:00.120"},
            "updated_values": {"name": ["one", "uno"], "price": ["12.50", "13.00"]},
        })]
    );
    assert_eq!(
        rows_json(&deleted[0]),
        [
            json!({"values": {"b": 7, "a": 18446744073709551615u64, "qty": 3}, "keys": {"a": 18446744073709551615u64, "b": 7}})
        ]
    );
    assert_eq!(
        rows_json(&deleted[1]),
        [json!({"values": {"id": 2, "name": null, "price": "-0.01", "at": null}, "keys": {"id": 2}})]
    );

    // Meta: GTIDs of the transactions, timestamps, server id, positions from the server.
    let gtid = |e: &RowsEvent| e.gtid().map(str::to_owned);
    assert_eq!(gtid(&inserted[0]), Some(gtids[0].clone()));
    assert_eq!(gtid(&inserted[1]), Some(gtids[0].clone()));
    assert_eq!(gtid(&updated[0]), Some(gtids[1].clone()));
    assert_eq!(gtid(&deleted[0]), Some(gtids[1].clone()));
    assert_eq!(gtid(&inserted[2]), Some(gtids[2].clone()));
    assert_eq!(gtid(&deleted[1]), Some(gtids[3].clone()));
    let all: Vec<&RowsEvent> = inserted.iter().chain(&updated).chain(&deleted).collect();
    for event in &all {
        assert!(
            (before..=after).contains(&event.timestamp()),
            "{}",
            event.timestamp()
        );
        assert_eq!(event.server_id(), 1);
        assert_eq!(event.position().file(), file);
    }
    let meta = &serde_json::to_value(&updated[0]).expect("json")["meta"];
    assert_eq!(meta["action"], "update");
    assert_eq!(meta["schema"], db.as_str());
    assert_eq!(meta["table"], "items");
    assert_eq!(meta["log_file"], file.as_str());
    // The server's own list: rows events that follow a TABLE_MAP of our database.
    let mut server_rows_ends = Vec::new();
    let mut mapped_ours = false;
    for (kind, end, info) in binlog_events(server, &file, start) {
        if kind == "Table_map" {
            mapped_ours = info.contains(&format!("({db}."));
        } else if kind.ends_with("_rows_v1") && mapped_ours && end <= stopped.position() {
            server_rows_ends.push(end);
        }
    }
    let mut positions_of_rows: Vec<u64> = all.iter().map(|e| e.position().position()).collect();
    positions_of_rows.sort_unstable();
    assert_eq!(positions_of_rows, server_rows_ends);
    // Commit order across streams: inserts of transaction 1 come before its update, etc.
    let order: Vec<(RowAction, &str)> = {
        let mut sorted = all.clone();
        sorted.sort_by_key(|e| e.position().position());
        sorted.iter().map(|e| (e.action(), e.table())).collect()
    };
    assert_eq!(
        order,
        [
            (RowAction::Insert, "items"),
            (RowAction::Insert, "stock"),
            (RowAction::Update, "items"),
            (RowAction::Delete, "stock"),
            (RowAction::Insert, "log"),
            (RowAction::Delete, "items"),
        ]
    );

    // A second subscriber of the same signal got the same events (the same items).
    let again: Vec<RowsEvent> = inserted_again.into_iter().filter(|e| e.schema() == db).collect();
    assert_eq!(again.len(), inserted.len());
    for (a, b) in again.iter().zip(&inserted) {
        assert_eq!(
            serde_json::to_value(a).expect("a"),
            serde_json::to_value(b).expect("b")
        );
    }
    // The table filter delivers its table only.
    assert_eq!(tables(&items_only), ["items"]);
    assert_eq!(items_only[0].position(), inserted[0].position());

    // binlog_events with a pattern: TABLE_MAP and rows events of our tables, in order.
    let kinds: Vec<(EventType, &str)> = events
        .iter()
        .map(|e: &BinlogEvent| (e.event_type(), e.table().expect("table").1))
        .collect();
    assert_eq!(kinds.len(), 12, "{kinds:?}");
    assert_eq!(kinds[0], (EventType::TABLE_MAP_EVENT, "items"));
    assert_eq!(kinds[1].1, "items");
    let event_positions: Vec<u64> = events.iter().map(|e| e.position().position()).collect();
    assert!(
        event_positions.windows(2).all(|w| w[0] < w[1]),
        "{event_positions:?}"
    );

    // Positions: strictly increasing, ending where the server is.
    let offsets: Vec<u64> = positions.iter().map(|p| p.position()).collect();
    assert!(offsets.windows(2).all(|w| w[0] < w[1]), "{offsets:?}");
    assert!(positions.iter().all(|p| p.file() == file));
    assert_eq!(positions.first().map(|p| p.position()), Some(start));
    assert_eq!(offsets.last(), Some(&stopped.position()));
    for event in &all {
        assert!(
            positions.contains(event.position()),
            "{} not published",
            event.position()
        );
    }
}

/// A subscriber that sleeps between items, with a tiny channel, still gets every item: the
/// driver waits for it (backpressure).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_subscriber_loses_nothing() {
    let server = Server::shared();
    let db = server.fresh_database("slow");
    server.exec(&format!("CREATE TABLE `{db}`.t (id INT PRIMARY KEY)"));
    let (file, position) = server.master_status();
    let config = common::builder(server, Start::position(file, position))
        .blocking(false)
        .read_timeout(None)
        .channel_capacity(2)
        .include(format!("{db}.*").as_str())
        .build()
        .expect("config");
    for i in 0..60 {
        server.exec(&format!("INSERT INTO `{db}`.t VALUES ({i})"));
    }
    let (client, driver) = binlog_signals::connect(config).await.expect("connect");
    let mut slow = client.rows_inserted();
    let fast = client.rows_inserted();
    let driver = tokio::spawn(driver);
    let fast = tokio::spawn(collect(fast));
    let mut ids = Vec::new();
    while let Some(event) = slow.next().await {
        let event = event.expect("no error");
        tokio::time::sleep(Duration::from_millis(5)).await;
        for row in event.rows() {
            ids.push(row.values().get("id").expect("id").to_string());
        }
    }
    let expected: Vec<String> = (0..60).map(|i| i.to_string()).collect();
    assert_eq!(ids, expected);
    assert_eq!(fast.await.expect("fast").len(), 60);
    driver.await.expect("task").expect("driver");
}

/// The connection-wide include filter: other tables are not published at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_filter_keeps_other_tables_out() {
    let server = Server::shared();
    let db = server.fresh_database("filter");
    server.exec(&format!(
        "CREATE TABLE `{db}`.keep (id INT PRIMARY KEY); CREATE TABLE `{db}`.skip (id INT PRIMARY KEY)"
    ));
    let (file, position) = server.master_status();
    let config = common::builder(server, Start::position(file, position))
        .blocking(false)
        .read_timeout(None)
        .include(format!("{db}.keep").as_str())
        .build()
        .expect("config");
    server.exec(&format!(
        "INSERT INTO `{db}`.skip VALUES (1); INSERT INTO `{db}`.keep VALUES (2); INSERT INTO `{db}`.skip VALUES (3)"
    ));
    let (client, driver) = binlog_signals::connect(config).await.expect("connect");
    let inserted = client.rows_inserted();
    let events = client.binlog_events();
    let driver = tokio::spawn(driver);
    let (inserted, events) = tokio::join!(collect(inserted), collect(events));
    driver.await.expect("task").expect("driver");
    let tables: Vec<&str> = inserted.iter().map(|e| e.table()).collect();
    assert_eq!(tables, ["keep"]);
    assert!(events.iter().all(|e| e.table().is_none_or(|(_, t)| t == "keep")));
    assert!(events.iter().any(|e| e.event_type() == EventType::XID_EVENT));
}

/// Include and exclude together, with wildcards: a table matching an exclude pattern is left
/// out even where an include pattern matches it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exclude_patterns_win_over_include_patterns() {
    let server = Server::shared();
    let db = server.fresh_database("exclude");
    server.exec(&format!(
        "CREATE TABLE `{db}`.orders (id INT PRIMARY KEY); CREATE TABLE `{db}`.audit_log (id INT PRIMARY KEY);
         CREATE TABLE `{db}`.audit2 (id INT PRIMARY KEY); CREATE TABLE `{db}`.tmp_x (id INT PRIMARY KEY)"
    ));
    let (file, position) = server.master_status();
    let config = common::builder(server, Start::position(file, position))
        .blocking(false)
        .read_timeout(None)
        .include(format!("{db}.*").as_str())
        .exclude("*.audit_*")
        .exclude(format!("{db}.tmp_?").as_str())
        .build()
        .expect("config");
    server.exec(&format!(
        "INSERT INTO `{db}`.audit_log VALUES (1); INSERT INTO `{db}`.orders VALUES (2);
         INSERT INTO `{db}`.tmp_x VALUES (3); INSERT INTO `{db}`.audit2 VALUES (4);
         UPDATE `{db}`.audit_log SET id = 5; DELETE FROM `{db}`.orders"
    ));
    let (client, driver) = binlog_signals::connect(config).await.expect("connect");
    let streams = (
        client.rows_inserted(),
        client.rows_updated(),
        client.rows_deleted(),
    );
    let driver = tokio::spawn(driver);
    let (inserted, updated, deleted) =
        tokio::join!(collect(streams.0), collect(streams.1), collect(streams.2));
    driver.await.expect("task").expect("driver");
    let tables = |events: &[RowsEvent]| events.iter().map(|e| e.table().to_owned()).collect::<Vec<_>>();
    assert_eq!(tables(&inserted), ["orders", "audit2"]);
    assert!(updated.is_empty(), "{:?}", tables(&updated));
    assert_eq!(tables(&deleted), ["orders"]);
}

/// Blocking mode from the current end: a row inserted after connecting arrives; shutdown ends
/// the streams and the driver returns the position reached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_mode_follows_new_rows_until_shutdown() {
    let server = Server::shared();
    let db = server.fresh_database("follow");
    server.exec(&format!(
        "CREATE TABLE `{db}`.t (id INT PRIMARY KEY, v VARCHAR(10))"
    ));
    let config = common::builder(server, Start::End)
        .include(format!("{db}.*").as_str())
        .build()
        .expect("config");
    let (client, driver) = binlog_signals::connect(config).await.expect("connect");
    let mut inserted = client.rows_inserted();
    let mut positions = client.binlog_positions();
    let driver = tokio::spawn(driver);
    server.exec(&format!("INSERT INTO `{db}`.t VALUES (5, 'five')"));
    let event = inserted.next().await.expect("an event").expect("ok");
    assert_eq!(
        serde_json::to_value(event.rows()).expect("json"),
        json!([{"values": {"id": 5, "v": "five"}, "keys": {"id": 5}}])
    );
    let (file, _) = server.master_status();
    client.shutdown();
    let stopped = driver.await.expect("task").expect("driver");
    // Other tests write concurrently, so the driver may have read on past our row.
    assert_eq!(stopped.file(), file);
    assert!(stopped.position() >= event.position().position());
    assert!(inserted.next().await.is_none(), "the stream ends after shutdown");
    let mut last = 0;
    while let Some(position) = positions.next().await {
        let position = position.expect("ok");
        assert!(position.position() > last);
        last = position.position();
    }
    // The driver returns the end of the last complete transaction: at most the last position
    // published (more when another test's transaction was cut off by the shutdown).
    assert!(stopped.position() <= last, "{stopped} after {last}");
}

/// Non-blocking mode: at the end of the binlog every stream ends (no error) and the driver
/// returns the position it reached, at least the end at connect time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_blocking_mode_ends_the_streams_at_the_end_of_the_binlog() {
    let server = Server::shared();
    let db = server.fresh_database("nonblock");
    server.exec(&format!(
        "CREATE TABLE `{db}`.t (id INT PRIMARY KEY); INSERT INTO `{db}`.t VALUES (1)"
    ));
    let (file, end) = server.master_status();
    let config = common::builder(server, Start::Oldest)
        .blocking(false)
        .read_timeout(None)
        .build()
        .expect("config");
    let (client, driver) = binlog_signals::connect(config).await.expect("connect");
    let mut inserted = client.rows_inserted().table(format!("{db}.t").as_str());
    let mut events = client.binlog_events();
    let driver = tokio::spawn(driver);
    // Both streams are drained at once: with backpressure, an undrained subscriber would stop
    // the driver once its channel is full, and the shared server's binlog holds more events
    // than a channel.
    let all_events = tokio::spawn(async move {
        let mut count = 0;
        while let Some(event) = events.next().await {
            event.expect("no error item");
            count += 1;
        }
        count
    });
    let first = inserted.next().await.expect("the insert").expect("ok");
    assert_eq!(first.rows().len(), 1);
    assert!(
        inserted.next().await.is_none(),
        "the stream ends, without an error"
    );
    let count = all_events.await.expect("events task");
    assert!(count > 3, "{count} events from the oldest binlog on");
    let stopped = driver.await.expect("task").expect("driver");
    assert!(
        stopped.file() > file.as_str() || (stopped.file() == file && stopped.position() >= end),
        "{stopped} before {file}:{end}"
    );
    // A stream created after the end says the driver has stopped.
    let late = client.rows_inserted().next().await;
    assert!(
        matches!(late, Some(Err(binlog_signals::Error::Shutdown))),
        "{late:?}"
    );
}

/// Dropping every client handle does not cut off the streams that are left; once the last one
/// is dropped too, the driver stops (at the next event or heartbeat) and returns its position.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_client_and_its_last_stream_stops_the_driver() {
    let server = Server::shared();
    let db = server.fresh_database("orphan");
    server.exec(&format!("CREATE TABLE `{db}`.t (id INT PRIMARY KEY)"));
    let config = common::builder(server, Start::End)
        .include(format!("{db}.*").as_str())
        .heartbeat(Some(Duration::from_secs(1)))
        .read_timeout(Some(Duration::from_secs(10)))
        .build()
        .expect("config");
    let (client, driver) = binlog_signals::connect(config).await.expect("connect");
    let mut inserted = client.rows_inserted();
    let driver = tokio::spawn(driver);
    drop(client);
    server.exec(&format!("INSERT INTO `{db}`.t VALUES (9)"));
    let event = inserted.next().await.expect("still served").expect("ok");
    assert_eq!(
        event.rows()[0].values().get("id").map(|v| v.to_string()),
        Some("9".to_owned())
    );
    drop(inserted);
    let stopped = tokio::time::timeout(Duration::from_secs(60), driver)
        .await
        .expect("the driver stops")
        .expect("task")
        .expect("driver");
    // Outside a transaction: before ours (when it stopped before reading its XID) or after.
    let (file, end) = server.master_status();
    assert_eq!(stopped.file(), file);
    assert!(stopped.position() > 4 && stopped.position() <= end, "{stopped}");
}

/// Shutdown while a subscriber holds up a large transaction: the driver returns the position
/// before that transaction, and resuming from it delivers the whole transaction again (at
/// least once, never a position inside a transaction).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_inside_a_transaction_returns_a_position_to_resume_from() {
    let server = Server::shared();
    let db = server.fresh_database("resume");
    server.exec(&format!(
        "CREATE TABLE `{db}`.t (id INT PRIMARY KEY, pad VARCHAR(200))"
    ));
    let (file, start) = server.master_status();
    // One transaction of many rows events (each at most 8 KiB).
    server.exec(&format!(
        "INSERT INTO `{db}`.t SELECT seq, REPEAT('x', 200) FROM `{db}`.seq_1_to_2000"
    ));
    let config = |position: u64| {
        common::builder(server, Start::position(file.clone(), position))
            .blocking(false)
            .read_timeout(None)
            .channel_capacity(1)
            .include(format!("{db}.*").as_str())
            .build()
            .expect("config")
    };
    let (client, driver) = binlog_signals::connect(config(start)).await.expect("connect");
    let mut inserted = client.rows_inserted();
    let driver = tokio::spawn(driver);
    let first = inserted.next().await.expect("first").expect("ok");
    assert!(first.rows().len() < 2000, "the transaction spans several events");
    // Not polling any more: the driver waits for room in the channel, inside the transaction.
    client.shutdown();
    let stopped = driver.await.expect("task").expect("driver");
    assert_eq!(stopped.file(), file);
    assert!(
        (start..first.position().position()).contains(&stopped.position()),
        "{stopped} is not before the transaction (start {start}, first rows event ends at {})",
        first.position()
    );

    let (client, driver) = binlog_signals::connect(config(stopped.position()))
        .await
        .expect("resume");
    let inserted = client.rows_inserted();
    let driver = tokio::spawn(driver);
    let events = collect(inserted).await;
    driver.await.expect("task").expect("driver");
    let ids: Vec<String> = events
        .iter()
        .flat_map(|e| e.rows())
        .map(|row| row.values().get("id").expect("id").to_string())
        .collect();
    let expected: Vec<String> = (1..=2000).map(|i| i.to_string()).collect();
    assert_eq!(ids, expected);
    assert_eq!(events[0].position(), first.position());
}

/// `LagPolicy::Drop`: a subscriber that does not keep up is cut off and told so after its
/// buffered items; the driver and the other subscribers go on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_lagging_subscriber_gets_an_explicit_lag_error() {
    let server = Server::shared();
    let db = server.fresh_database("lag");
    server.exec(&format!("CREATE TABLE `{db}`.t (id INT PRIMARY KEY)"));
    let (file, position) = server.master_status();
    for i in 0..10 {
        server.exec(&format!("INSERT INTO `{db}`.t VALUES ({i})"));
    }
    let config = common::builder(server, Start::position(file, position))
        .blocking(false)
        .read_timeout(None)
        .channel_capacity(2)
        .lag_policy(binlog_signals::LagPolicy::Drop {
            after: Duration::ZERO,
        })
        .include(format!("{db}.*").as_str())
        .build()
        .expect("config");
    let (client, driver) = binlog_signals::connect(config).await.expect("connect");
    let mut idle = client.rows_inserted();
    let driver = tokio::spawn(driver);
    // The idle subscriber reads nothing until the driver is done.
    driver.await.expect("task").expect("the driver is not held up");
    let mut ids = Vec::new();
    let mut end = None;
    while let Some(item) = idle.next().await {
        match item {
            Ok(event) => ids.push(event.rows()[0].values().get("id").expect("id").to_string()),
            Err(error) => end = Some(error),
        }
    }
    assert_eq!(ids, ["0", "1"], "what fitted in the channel, in order");
    match end {
        Some(binlog_signals::Error::Lagged { missed }) => assert_eq!(missed, 8),
        other => panic!("expected Lagged, got {other:?}"),
    }
}
