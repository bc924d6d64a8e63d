//! Column names without TABLE_MAP metadata (`binlog_row_metadata=NO_LOG`): read from
//! information_schema, re-read after DDL, positional when the definition does not match.

mod common;

use std::time::Duration;

use binlog_signals::{NameSource, RowsEvent, Start};
use binlog_testkit::Server;
use futures::StreamExt;
use serde_json::json;

use common::collect;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_come_from_information_schema_and_never_from_the_wrong_definition() {
    common::capture_logs(tracing::Level::WARN);
    let server = Server::builder()
        .arg("--binlog-row-metadata=NO_LOG")
        .start()
        .expect("server");
    server.exec("CREATE DATABASE shop");
    let (file, position) = server.master_status();
    server.exec(
        "CREATE TABLE shop.u (name VARCHAR(10), id INT UNSIGNED, PRIMARY KEY (id));
         INSERT INTO shop.u VALUES ('max', 4294967295);
         CREATE TABLE shop.t (id INT PRIMARY KEY, v VARCHAR(10));
         INSERT INTO shop.t VALUES (1, 'before');
         ALTER TABLE shop.t ADD COLUMN extra INT;
         INSERT INTO shop.t VALUES (2, 'after', 7);",
    );
    let config = common::builder(&server, Start::position(file, position))
        .blocking(false)
        .read_timeout(None)
        .build()
        .expect("config");
    let (client, driver) = binlog_signals::connect(config).await.expect("connect");
    let inserted = client.rows_inserted();
    let driver = tokio::spawn(driver);
    let inserted: Vec<RowsEvent> = collect(inserted).await;
    driver.await.expect("task").expect("driver");
    assert_eq!(inserted.len(), 3);

    // Names, key and the UNSIGNED reading from information_schema.
    let u = &inserted[0];
    assert_eq!(u.columns().source(), NameSource::InformationSchema);
    assert_eq!(
        serde_json::to_value(u.rows()).expect("json"),
        json!([{"values": {"name": "max", "id": 4294967295u32}, "keys": {"id": 4294967295u32}}])
    );

    // Written with two columns, but the table has three now: positional names, not wrong ones.
    let before = &inserted[1];
    assert_eq!(before.columns().source(), NameSource::Positional);
    assert_eq!(
        serde_json::to_value(before.rows()).expect("json"),
        json!([{"values": {"@1": 1, "@2": "before"}, "keys": {}}])
    );
    let logged = common::captured_logs();
    assert!(
        logged.contains("does not match the binlog event")
            && logged.contains("table=\"t\"")
            && logged.contains("binlog_columns=2")
            && logged.contains("server_columns=3"),
        "the positional fallback is logged as a warning: {logged}"
    );

    // After the ALTER (the cache was dropped), the definition matches again.
    let after = &inserted[2];
    assert_eq!(after.columns().source(), NameSource::InformationSchema);
    assert_eq!(
        serde_json::to_value(after.rows()).expect("json"),
        json!([{"values": {"id": 2, "v": "after", "extra": 7}, "keys": {"id": 2}}])
    );
}

/// A live stream: the names read for a table are dropped when DDL passes in the binlog, so a
/// renamed column (same column count, so nothing else would notice) and an added one get
/// their new names from the first row written after the change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ddl_in_the_binlog_drops_the_cached_names() {
    let server = Server::builder()
        .arg("--binlog-row-metadata=NO_LOG")
        .start()
        .expect("server");
    server.exec("CREATE DATABASE live; CREATE TABLE live.r (id INT PRIMARY KEY, v VARCHAR(10))");
    let (file, position) = server.master_status();
    let config = common::builder(&server, Start::position(file, position))
        .build()
        .expect("config");
    let (client, driver) = binlog_signals::connect(config).await.expect("connect");
    let mut inserted = client.rows_inserted().table("live.r");
    let driver = tokio::spawn(driver);
    let mut next = async || -> serde_json::Value {
        let event = tokio::time::timeout(Duration::from_secs(60), inserted.next())
            .await
            .expect("a row within 60 s")
            .expect("stream open")
            .expect("no error");
        assert_eq!(event.columns().source(), NameSource::InformationSchema);
        serde_json::to_value(event.rows()).expect("json")
    };

    server.exec("INSERT INTO live.r VALUES (1, 'a')");
    assert_eq!(
        next().await,
        json!([{"values": {"id": 1, "v": "a"}, "keys": {"id": 1}}])
    );
    server.exec("ALTER TABLE live.r CHANGE v w VARCHAR(10); INSERT INTO live.r VALUES (2, 'b')");
    assert_eq!(
        next().await,
        json!([{"values": {"id": 2, "w": "b"}, "keys": {"id": 2}}])
    );
    server.exec("ALTER TABLE live.r ADD COLUMN extra INT; INSERT INTO live.r VALUES (3, 'c', 7)");
    assert_eq!(
        next().await,
        json!([{"values": {"id": 3, "w": "c", "extra": 7}, "keys": {"id": 3}}])
    );
    client.shutdown();
    driver.await.expect("driver task").expect("clean stop");
}
