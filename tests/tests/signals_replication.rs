//! Replication mode against the harness's MariaDB: checkpoints at transaction boundaries,
//! resume, GTID resume, half-open connections, typed errors for positions the server lacks.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use binlog_signals::binlog_checkpoint::{Checkpoint, CheckpointStore, Flavor, GtidState, MemoryStore};
use binlog_signals::{Checkpoints, Client, Config, Error, EventType, Reconnect, RowsEvent, Start};
use binlog_testkit::{Proxy, Server};
use futures::{Stream, StreamExt};

use common::{binlog_events, builder};

/// The `id` column of every row of `event`.
fn ids(event: &RowsEvent) -> Vec<u64> {
    event
        .rows()
        .iter()
        .map(|row| {
            let id = row.values().get("id").expect("id column").to_string();
            id.parse().unwrap_or_else(|_| panic!("id {id}"))
        })
        .collect()
}

/// The next `n` ids from a stream of row events.
async fn next_ids<S>(stream: &mut S, n: usize) -> Vec<u64>
where
    S: Stream<Item = Result<RowsEvent, Error>> + Unpin,
{
    let mut got = Vec::new();
    while got.len() < n {
        let event = tokio::time::timeout(Duration::from_secs(60), stream.next())
            .await
            .expect("rows within 60 s")
            .expect("stream open")
            .expect("no error");
        got.extend(ids(&event));
    }
    got
}

/// Polls once more so the stream marks its last item as consumed (it holds an item until
/// asked for the next one).
async fn finish_item<S: Stream + Unpin>(stream: &mut S) {
    assert!(
        futures::poll!(stream.next()).is_pending(),
        "nothing else expected yet"
    );
}

async fn stop(
    client: Client,
    driver: tokio::task::JoinHandle<Result<binlog_signals::BinlogPosition, Error>>,
) {
    client.shutdown();
    driver.await.expect("driver task").expect("clean stop");
}

/// A checkpoint taken right after a multi-statement transaction names the end of its XID
/// event, and resuming from it delivers exactly the next transaction first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_after_a_multi_statement_transaction_starts_with_the_next_transaction() {
    let server = Server::shared();
    let db = server.fresh_database("resume");
    server.exec(&format!(
        "CREATE TABLE `{db}`.t (id INT PRIMARY KEY, v VARCHAR(10))"
    ));
    let (file, position) = server.master_status();
    let store = Arc::new(MemoryStore::new());
    let checkpoints = || Checkpoints::from_arc(store.clone()).interval(Duration::ZERO);
    let config = builder(server, Start::position(file.clone(), position))
        .build()
        .expect("config");

    let (client, driver) = binlog_signals::start_replication(config.clone(), checkpoints())
        .await
        .expect("start");
    let mut rows = client.rows_inserted().table(format!("{db}.t").as_str());
    let driver = tokio::spawn(driver);
    let a = server.exec(&format!(
        "BEGIN; INSERT INTO `{db}`.t VALUES (1, 'a'); INSERT INTO `{db}`.t VALUES (2, 'a');
         UPDATE `{db}`.t SET v = 'b' WHERE id = 1; INSERT INTO `{db}`.t VALUES (3, 'a'); COMMIT;
         SELECT @@last_gtid"
    ));
    let gtid_a = a[0][0].clone().expect("gtid");
    assert_eq!(next_ids(&mut rows, 3).await, [1, 2, 3]);
    finish_item(&mut rows).await;
    stop(client, driver).await;

    // The checkpoint is the end of A's XID event: the binlog's own account.
    let saved = store.load().await.expect("load").expect("a checkpoint was saved");
    let events = binlog_events(server, &file, position);
    let gtid_at = events
        .iter()
        .position(|(kind, _, info)| kind == "Gtid" && info.contains(&gtid_a))
        .expect("A's GTID event");
    let xid = events[gtid_at..]
        .iter()
        .find(|(kind, _, _)| kind == "Xid")
        .expect("A's XID event");
    assert_eq!(
        (saved.binlog_file.as_str(), saved.binlog_position),
        (file.as_str(), xid.1)
    );
    assert_eq!(saved.flavor, Flavor::Mariadb);

    // B (multi-statement) and C commit while nobody reads.
    server.exec(&format!(
        "BEGIN; INSERT INTO `{db}`.t VALUES (10, 'b'); INSERT INTO `{db}`.t VALUES (11, 'b'); COMMIT;"
    ));
    server.exec(&format!("INSERT INTO `{db}`.t VALUES (20, 'c')"));

    let (client, driver) = binlog_signals::start_replication(config, checkpoints())
        .await
        .expect("resume");
    let mut rows = client.rows_inserted().table(format!("{db}.t").as_str());
    let mut events = client.binlog_events();
    let driver = tokio::spawn(driver);
    // The first real event (past the dump's artificial ROTATE and FORMAT_DESCRIPTION) is
    // the GTID event of the transaction right after A in the binlog.
    let next_in_binlog = binlog_events(server, &file, saved.binlog_position)
        .into_iter()
        .next()
        .expect("an event after A");
    assert_eq!(next_in_binlog.0, "Gtid");
    let first = loop {
        let event = events.next().await.expect("event").expect("ok");
        if event.event_type() != EventType::ROTATE_EVENT
            && event.event_type() != EventType::FORMAT_DESCRIPTION_EVENT
        {
            break event;
        }
    };
    assert_eq!(first.position().position(), next_in_binlog.1);
    assert_eq!(first.position().file(), file);
    drop(events);
    assert_eq!(
        next_ids(&mut rows, 3).await,
        [10, 11, 20],
        "B then C, nothing of A"
    );
    stop(client, driver).await;
}

/// With a known GTID state the checkpoint carries it and resume goes through MariaDB's
/// `@slave_connect_state`; a GTID the server never wrote is a typed error, not a skip.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_gtid_checkpoints_resume_by_gtid_and_a_gtid_gap_is_an_error() {
    let server = Server::shared();
    let db = server.fresh_database("gtid");
    server.exec(&format!("CREATE TABLE `{db}`.t (id INT PRIMARY KEY)"));
    let pos = server
        .query_value("SELECT @@gtid_binlog_pos")
        .expect("gtid_binlog_pos");
    let list: binlog_signals::gtid::MariadbGtidList = pos.parse().expect("gtid list");
    let store = Arc::new(MemoryStore::new());
    let checkpoints = || Checkpoints::from_arc(store.clone()).interval(Duration::ZERO);
    let config = builder(server, Start::MariadbGtid(list)).build().expect("config");

    let (client, driver) = binlog_signals::start_replication(config.clone(), checkpoints())
        .await
        .expect("start by GTID");
    let mut rows = client.rows_inserted().table(format!("{db}.t").as_str());
    let driver = tokio::spawn(driver);
    let a = server.exec(&format!(
        "BEGIN; INSERT INTO `{db}`.t VALUES (1); INSERT INTO `{db}`.t VALUES (2); COMMIT; SELECT @@last_gtid"
    ));
    let gtid_a = a[0][0].clone().expect("gtid");
    assert_eq!(next_ids(&mut rows, 2).await, [1, 2]);
    finish_item(&mut rows).await;
    stop(client, driver).await;
    let saved = store.load().await.expect("load").expect("saved");
    let Some(GtidState::Mariadb(state)) = &saved.gtid else {
        panic!("no MariaDB GTID state in {saved}");
    };
    // Other tests of this binary may commit between, in the same domain: the state is at
    // least A.
    let a_gtid: binlog_signals::gtid::MariadbGtid = gtid_a.parse().expect("gtid");
    let domain = state
        .gtids()
        .iter()
        .find(|g| g.domain_id == a_gtid.domain_id)
        .expect("A's domain");
    assert!(domain.seq_no >= a_gtid.seq_no, "{saved} vs {gtid_a}");

    server.exec(&format!("INSERT INTO `{db}`.t VALUES (3)"));
    let (client, driver) = binlog_signals::start_replication(config.clone(), checkpoints())
        .await
        .expect("resume by GTID");
    let mut rows = client.rows_inserted().table(format!("{db}.t").as_str());
    let driver = tokio::spawn(driver);
    assert_eq!(next_ids(&mut rows, 1).await, [3]);
    stop(client, driver).await;

    // A GTID far ahead of the binlog: the server refuses with 1236, a typed error.
    let gap = Checkpoint::new(Flavor::Mariadb, "mysql-bin.000001", 4).with_gtid(GtidState::Mariadb(
        format!("{}-{}-999999999", a_gtid.domain_id, a_gtid.server_id)
            .parse()
            .expect("list"),
    ));
    let gap_store = MemoryStore::new();
    gap_store.save(&gap).await.expect("save");
    let error = binlog_signals::start_replication(config.clone(), Checkpoints::new(gap_store))
        .await
        .expect_err("a GTID the server never wrote is refused");
    assert!(matches!(error, Error::BinlogUnavailable { .. }), "{error}");
    assert_eq!(error.server_error().map(|e| e.code), Some(1236));

    // A purged (here: never existing) binlog file: the same typed error.
    let purged = MemoryStore::new();
    purged
        .save(&Checkpoint::new(Flavor::Mariadb, "mysql-bin.999999", 4))
        .await
        .expect("save");
    let error = binlog_signals::start_replication(config.clone(), Checkpoints::new(purged))
        .await
        .expect_err("a missing file is refused");
    assert!(matches!(error, Error::BinlogUnavailable { .. }), "{error}");

    // A MySQL checkpoint on a MariaDB server means nothing here, even where the file exists.
    let (file, position) = server.master_status();
    let mysql = MemoryStore::new();
    mysql
        .save(&Checkpoint::new(Flavor::Mysql, file, position))
        .await
        .expect("save");
    let error = binlog_signals::start_replication(config, Checkpoints::new(mysql))
        .await
        .expect_err("flavour mismatch");
    assert!(matches!(error, Error::CheckpointFlavor { .. }), "{error}");
}

/// A proxy in front of the shared server, a fresh database `{prefix}…` with a table `t (id)`,
/// and a builder that reads through the proxy from the current end of the binlog.
fn through_a_proxy(server: &Server, prefix: &str) -> (Proxy, String, binlog_signals::ConfigBuilder) {
    let proxy = Proxy::start(server.port()).expect("proxy");
    let db = server.fresh_database(prefix);
    server.exec(&format!("CREATE TABLE `{db}`.t (id INT PRIMARY KEY)"));
    let (file, position) = server.master_status();
    let builder = binlog_signals::ConfigBuilder::from_url(&proxy.repl_url())
        .expect("url")
        .start(Start::position(file, position));
    (proxy, db, builder)
}

/// A half-open connection (the proxy forwards nothing more but keeps both sockets open) is
/// detected by the read timeout, two heartbeat periods, and the driver reconnects and goes on
/// without losing or repeating a row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_open_connection_is_detected_within_two_heartbeats_and_recovered() {
    let server = Server::shared();
    let (proxy, db, builder) = through_a_proxy(server, "halfopen");
    let heartbeat = Duration::from_secs(1);
    let config: Config = builder
        .heartbeat(Some(heartbeat))
        .read_timeout(Some(2 * heartbeat))
        .connect_timeout(Duration::from_secs(30))
        .reconnect(Reconnect::new().initial_delay(Duration::from_millis(50)))
        .build()
        .expect("config");
    let (client, driver) = binlog_signals::connect(config).await.expect("connect");
    let mut rows = client.rows_inserted().table(format!("{db}.t").as_str());
    let driver = tokio::spawn(driver);
    server.exec(&format!("INSERT INTO `{db}`.t VALUES (1)"));
    assert_eq!(next_ids(&mut rows, 1).await, [1]);

    assert_eq!(proxy.blackhole(), 1, "one live replication connection");
    let blackholed = Instant::now();
    // Written while the connection is half-open: only a new connection can deliver it.
    server.exec(&format!("INSERT INTO `{db}`.t VALUES (2)"));
    assert_eq!(next_ids(&mut rows, 1).await, [2]);
    let recovered = blackholed.elapsed();
    assert_eq!(client.reconnects(), 1);
    // The detection is the read timeout of two heartbeat periods; the rest is the backoff
    // (50 to 100 ms) and the new connection's setup.
    println!("half-open connection detected and recovered after {recovered:?} (heartbeat {heartbeat:?})");
    assert!(
        recovered >= 2 * heartbeat,
        "recovered before the read timeout: {recovered:?}"
    );
    // Detected after two heartbeat periods of silence, not later: what remains on top is the
    // backoff and one reconnect, well under a second even on a loaded machine.
    assert!(
        recovered < 2 * heartbeat + Duration::from_millis(1500),
        "half-open connection detected too late: {recovered:?}"
    );
    server.exec(&format!("INSERT INTO `{db}`.t VALUES (3)"));
    assert_eq!(next_ids(&mut rows, 1).await, [3], "no repeat, no loss");
    proxy.cut();
    stop(client, driver).await;
}

/// A blocking stream started by GTID survives a binlog rotation and a server restart (which
/// ends the dump with an EOF packet, then refuses connections for a while): the driver
/// reconnects by GTID (`@slave_connect_state`) and delivers every row once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gtid_stream_survives_rotation_and_a_server_restart() {
    let mut server = Server::builder().start().expect("private server");
    let db = server.fresh_database("restart");
    server.exec(&format!("CREATE TABLE `{db}`.t (id INT PRIMARY KEY)"));
    server.exec(&format!("INSERT INTO `{db}`.t VALUES (1)"));
    let pos = server
        .query_value("SELECT @@gtid_binlog_pos")
        .expect("gtid_binlog_pos");
    let list: binlog_signals::gtid::MariadbGtidList = pos.parse().expect("gtid list");
    let config = builder(&server, Start::MariadbGtid(list))
        .reconnect(
            Reconnect::new()
                .initial_delay(Duration::from_millis(50))
                .max_attempts(Some(100)),
        )
        .build()
        .expect("config");
    let (client, driver) = binlog_signals::connect(config).await.expect("connect");
    let mut rows = client.rows_inserted().table(format!("{db}.t").as_str());
    let positions = tokio::spawn(
        client
            .binlog_positions()
            .map(|p| {
                let p = p.expect("position");
                (p.file().to_owned(), p.position())
            })
            .collect::<Vec<_>>(),
    );
    let driver = tokio::spawn(driver);
    server.exec(&format!("INSERT INTO `{db}`.t VALUES (2)"));
    assert_eq!(
        next_ids(&mut rows, 1).await,
        [2],
        "the row before the start is not delivered"
    );
    server.exec("FLUSH BINARY LOGS");
    server.exec(&format!("INSERT INTO `{db}`.t VALUES (3)"));
    assert_eq!(next_ids(&mut rows, 1).await, [3]);
    assert_eq!(client.reconnects(), 0, "a rotation is no reconnect");
    server.restart().expect("restart");
    server.exec(&format!("INSERT INTO `{db}`.t VALUES (4)"));
    assert_eq!(next_ids(&mut rows, 1).await, [4]);
    assert_eq!(client.reconnects(), 1);
    stop(client, driver).await;
    // Positions only move forward, across the rotation and the reconnect after the restart
    // (binlog file names sort in order).
    let positions = positions.await.expect("positions task");
    println!("{} positions: {positions:?}", positions.len());
    assert!(positions.len() >= 3, "{positions:?}");
    for pair in positions.windows(2) {
        assert!(pair[0] <= pair[1], "went back: {pair:?}");
    }
    let files: std::collections::BTreeSet<_> = positions.iter().map(|(f, _)| f).collect();
    assert!(
        files.len() >= 3,
        "the rotation and the restart each start a file: {files:?}"
    );
}

/// A store that remembers when each save happened and what it held.
#[derive(Default)]
struct RecordingStore {
    inner: MemoryStore,
    saves: std::sync::Mutex<Vec<(Instant, Checkpoint)>>,
}

#[async_trait::async_trait]
impl CheckpointStore for RecordingStore {
    async fn load(&self) -> binlog_signals::binlog_checkpoint::Result<Option<Checkpoint>> {
        self.inner.load().await
    }

    async fn save(&self, checkpoint: &Checkpoint) -> binlog_signals::binlog_checkpoint::Result<()> {
        self.saves
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((Instant::now(), checkpoint.clone()));
        self.inner.save(checkpoint).await
    }
}

/// While transactions stream past, the checkpoint is saved at most once per interval (not
/// per transaction), and once more at shutdown with the end of the last consumed transaction.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkpoints_are_saved_once_per_interval_and_at_shutdown() {
    let server = Server::shared();
    let db = server.fresh_database("interval");
    server.exec(&format!("CREATE TABLE `{db}`.t (id INT PRIMARY KEY)"));
    let (file, position) = server.master_status();
    let store = Arc::new(RecordingStore::default());
    let interval = Duration::from_secs(1);
    let checkpoints = Checkpoints::from_arc(store.clone()).interval(interval);
    let config = builder(server, Start::position(file.clone(), position))
        .build()
        .expect("config");
    let (client, driver) = binlog_signals::start_replication(config, checkpoints)
        .await
        .expect("start");
    let mut rows = client.rows_inserted().table(format!("{db}.t").as_str());
    let driver = tokio::spawn(driver);

    // One transaction every 50 ms for 3.5 s.
    const N: u64 = 70;
    let table = format!("`{db}`.t");
    let writer = tokio::task::spawn_blocking(move || {
        let start = Instant::now();
        for id in 1..=N {
            std::thread::sleep(
                (start + Duration::from_millis(50 * id)).saturating_duration_since(Instant::now()),
            );
            server.exec(&format!("INSERT INTO {table} VALUES ({id})"));
        }
    });
    let started = Instant::now();
    assert_eq!(next_ids(&mut rows, N as usize).await, (1..=N).collect::<Vec<_>>());
    let streamed = started.elapsed();
    writer.await.expect("writer");
    finish_item(&mut rows).await;
    let while_streaming = store.saves.lock().unwrap_or_else(|e| e.into_inner()).clone();
    stop(client, driver).await;

    // Saved while streaming, but about once per interval rather than 70 times.
    let most = (streamed.as_secs_f64() / interval.as_secs_f64()).ceil() as usize + 1;
    println!(
        "{} saves while {N} transactions streamed for {streamed:?} (interval {interval:?})",
        while_streaming.len()
    );
    assert!(
        (2..=most).contains(&while_streaming.len()),
        "{} saves in {streamed:?}",
        while_streaming.len()
    );
    for pair in while_streaming.windows(2) {
        let gap = pair[1].0 - pair[0].0;
        assert!(gap >= interval - Duration::from_millis(50), "saves {gap:?} apart");
    }
    // Every save names a transaction end, in binlog order.
    let events = binlog_events(server, &file, position);
    let xid_ends: Vec<u64> = events
        .iter()
        .filter(|(kind, _, _)| kind == "Xid")
        .map(|(_, end, _)| *end)
        .collect();
    let saves = store.saves.lock().unwrap_or_else(|e| e.into_inner()).clone();
    for (_, checkpoint) in &saves {
        assert_eq!(checkpoint.binlog_file, file);
        assert!(xid_ends.contains(&checkpoint.binlog_position), "{checkpoint:?}");
    }
    assert!(
        saves
            .windows(2)
            .all(|p| p[0].1.binlog_position <= p[1].1.binlog_position)
    );
    // The last save, at shutdown, is the end of the last transaction (all were consumed).
    assert!(saves.len() > while_streaming.len(), "saved at shutdown");
    let last = saves.last().expect("saves");
    assert_eq!(Some(&last.1.binlog_position), xid_ends.last());
}

/// With a limit on reconnect attempts, a server that stays unreachable ends the streams with
/// the last connection error after that many attempts, and the driver returns it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnecting_gives_up_after_the_configured_attempts() {
    let server = Server::shared();
    let (proxy, db, builder) = through_a_proxy(server, "giveup");
    let config: Config = builder
        .connect_timeout(Duration::from_secs(5))
        .reconnect(
            Reconnect::new()
                .initial_delay(Duration::from_millis(50))
                .max_delay(Duration::from_millis(200))
                .max_attempts(Some(3)),
        )
        .build()
        .expect("config");
    let (client, driver) = binlog_signals::connect(config).await.expect("connect");
    let mut rows = client.rows_inserted().table(format!("{db}.t").as_str());
    let driver = tokio::spawn(driver);
    server.exec(&format!("INSERT INTO `{db}`.t VALUES (1)"));
    assert_eq!(next_ids(&mut rows, 1).await, [1]);

    // The proxy goes away for good: the connection is cut and its port refuses connections.
    let lost = Instant::now();
    drop(proxy);
    let item = tokio::time::timeout(Duration::from_secs(30), rows.next())
        .await
        .expect("the stream ends within 30 s");
    let Some(Err(error)) = item else {
        panic!("expected the connection error, got {item:?}");
    };
    println!("gave up after {:?}: {error}", lost.elapsed());
    assert!(matches!(error, Error::Connect { .. } | Error::Io(_)), "{error:?}");
    assert!(rows.next().await.is_none(), "the stream ends after the error");
    let ended = driver.await.expect("driver task");
    assert!(ended.is_err(), "the driver returns the error: {ended:?}");
    assert_eq!(client.reconnects(), 0, "no attempt succeeded");
}
