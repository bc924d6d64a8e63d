//! Column names without TABLE_MAP metadata (`binlog_row_metadata=NO_LOG`): read from
//! information_schema, re-read after DDL, positional when the definition does not match.

mod common;

use binlog_signals::{NameSource, RowsEvent, Start};
use binlog_testkit::Server;
use serde_json::json;

use common::collect;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_come_from_information_schema_and_never_from_the_wrong_definition() {
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

    // After the ALTER (the cache was dropped), the definition matches again.
    let after = &inserted[2];
    assert_eq!(after.columns().source(), NameSource::InformationSchema);
    assert_eq!(
        serde_json::to_value(after.rows()).expect("json"),
        json!([{"values": {"id": 2, "v": "after", "extra": 7}, "keys": {"id": 2}}])
    );
}
