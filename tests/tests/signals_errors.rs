//! binlog-signals against real servers: every way connecting can be refused is a clear,
//! typed error.

mod common;

use std::time::Duration;

use binlog_signals::{Config, Error, Start};
use binlog_testkit::{REPL_PASSWORD, Server};
use futures::StreamExt;

use common::builder;

fn end(server: &Server) -> Config {
    builder(server, Start::End).build().expect("config")
}

async fn connect_error(config: Config) -> Error {
    match binlog_signals::connect(config).await {
        Ok(_) => panic!("connecting succeeded"),
        Err(e) => e,
    }
}

#[tokio::test]
async fn wrong_password_is_access_denied() {
    let server = Server::shared();
    let config = builder(server, Start::End)
        .password("not-the-password")
        .build()
        .expect("config");
    let error = connect_error(config).await;
    match &error {
        Error::AccessDenied { user, source } => {
            assert_eq!(user, "repl");
            assert_eq!(source.code, 1045);
        }
        other => panic!("expected AccessDenied, got {other:?}"),
    }
    let text = format!("{error} {error:?}");
    assert!(text.contains("refused the login of user \"repl\""), "{text}");
    assert!(!text.contains("not-the-password"), "{text}");
}

#[tokio::test]
async fn a_closed_port_is_a_connect_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let config = Config::builder()
        .host("127.0.0.1")
        .port(port)
        .user("repl")
        .build()
        .expect("config");
    match connect_error(config).await {
        Error::Connect { addr, source } => {
            assert_eq!(addr, format!("127.0.0.1:{port}"));
            assert_eq!(source.kind(), std::io::ErrorKind::ConnectionRefused);
        }
        other => panic!("expected Connect, got {other:?}"),
    }
}

/// A host that accepts the TCP connection and never greets (a hung server, a firewall that
/// swallows packets): the connect timeout ends the attempt.
#[tokio::test]
async fn a_silent_host_hits_the_connect_timeout() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let silent = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.expect("accept");
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(socket);
    });
    let config = Config::builder()
        .host("127.0.0.1")
        .port(port)
        .user("repl")
        .connect_timeout(Duration::from_millis(300))
        .build()
        .expect("config");
    match connect_error(config).await {
        Error::ConnectTimeout { addr, after } => {
            assert_eq!(addr, format!("127.0.0.1:{port}"));
            assert_eq!(after, Duration::from_millis(300));
        }
        other => panic!("expected ConnectTimeout, got {other:?}"),
    }
    silent.abort();
}

#[tokio::test]
async fn a_server_without_binlog_is_refused() {
    let server = Server::builder().without_binlog().start().expect("server");
    match connect_error(end(&server)).await {
        Error::ServerConfig { setting, value, .. } => {
            assert_eq!(setting, "log_bin");
            assert_eq!(value, "OFF");
        }
        other => panic!("expected ServerConfig, got {other:?}"),
    }
}

#[tokio::test]
async fn statement_based_binlog_is_refused() {
    let server = Server::builder()
        .arg("--binlog-format=STATEMENT")
        .start()
        .expect("server");
    let error = connect_error(end(&server)).await;
    match &error {
        Error::ServerConfig { setting, value, .. } => {
            assert_eq!(*setting, "binlog_format");
            assert_eq!(value, "STATEMENT");
        }
        other => panic!("expected ServerConfig, got {other:?}"),
    }
    assert!(error.to_string().contains("binlog_format=ROW"), "{error}");
}

#[tokio::test]
async fn a_start_file_that_does_not_exist_is_unavailable() {
    let server = Server::shared();
    let config = builder(server, Start::position("mysql-bin.999999", 4))
        .build()
        .expect("config");
    match connect_error(config).await {
        Error::BinlogUnavailable { start, source } => {
            assert_eq!(start, "mysql-bin.999999:4");
            assert_eq!(source.code, 1236);
        }
        other => panic!("expected BinlogUnavailable, got {other:?}"),
    }
}

#[tokio::test]
async fn a_purged_start_file_is_unavailable() {
    let server = Server::builder().start().expect("server");
    let (first, _) = server.master_status();
    server.exec("FLUSH BINARY LOGS");
    let (second, _) = server.master_status();
    server.purge_binlogs_to(&second);
    let config = builder(&server, Start::position(first.clone(), 4))
        .build()
        .expect("config");
    match connect_error(config).await {
        Error::BinlogUnavailable { start, source } => {
            assert_eq!(start, format!("{first}:4"));
            assert_eq!(source.code, 1236);
        }
        other => panic!("expected BinlogUnavailable, got {other:?}"),
    }
    // The oldest available binlog is the second file now.
    let config = builder(&server, Start::Oldest)
        .blocking(false)
        .read_timeout(None)
        .build()
        .expect("config");
    let (client, driver) = binlog_signals::connect(config).await.expect("connect");
    let mut positions = client.binlog_positions();
    let driver = tokio::spawn(driver);
    let first_position = positions.next().await.expect("a position").expect("ok");
    assert_eq!(first_position.file(), second);
    assert_eq!(first_position.position(), 4);
    drop(positions);
    driver.await.expect("task").expect("driver");
}

#[tokio::test]
async fn an_account_without_replication_privileges_is_refused() {
    let server = Server::shared();
    let user = format!("norepl_{}", std::process::id());
    server.exec(&format!(
        "CREATE USER '{user}'@'%' IDENTIFIED BY '{REPL_PASSWORD}'; GRANT SELECT ON *.* TO '{user}'@'%'"
    ));
    // The binlog status query needs REPLICATION CLIENT (BINLOG MONITOR).
    let config = builder(server, Start::Oldest)
        .user(user.as_str())
        .build()
        .expect("config");
    let error = connect_error(config).await;
    match &error {
        Error::ReplicationDenied { during, source } => {
            assert!(during.contains("SHOW BINARY LOGS"), "{during}");
            assert_eq!(source.code, 1227, "{source}");
        }
        other => panic!("expected ReplicationDenied, got {other:?}"),
    }
    assert!(error.to_string().contains("REPLICATION SLAVE"), "{error}");
    // From a file position there is no status query: registering needs REPLICATION SLAVE.
    let (file, position) = server.master_status();
    let config = builder(server, Start::position(file, position))
        .user(user.as_str())
        .build()
        .expect("config");
    match connect_error(config).await {
        Error::ReplicationDenied { during, source } => {
            assert!(during.contains("COM_REGISTER_SLAVE"), "{during}");
            assert!(matches!(source.code, 1045 | 1227), "{source}");
        }
        other => panic!("expected ReplicationDenied, got {other:?}"),
    }
}

/// Two clients registering the same server id: the server keeps one dump per id, and the
/// older connection ends with `ServerIdInUse` on its driver and its streams.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_id_already_in_use_is_reported() {
    let server = Server::shared();
    let id = 0xF000_0000 | (std::process::id() & 0xFFFF);
    let config = builder(server, Start::End).server_id(id).build().expect("config");
    let (first, first_driver) = binlog_signals::connect(config.clone()).await.expect("first");
    let mut first_positions = first.binlog_positions();
    let first_driver = tokio::spawn(first_driver);
    // The first dump is running once its first position arrived.
    first_positions.next().await.expect("position").expect("ok");
    let (second, second_driver) = binlog_signals::connect(config).await.expect("second");
    let second_driver = tokio::spawn(second_driver);
    let result = tokio::time::timeout(Duration::from_secs(60), first_driver)
        .await
        .expect("the first connection ends")
        .expect("task");
    match result {
        Err(Error::ServerIdInUse { server_id, source }) => {
            assert_eq!(server_id, id);
            assert_eq!(source.code, 4052, "{source}");
        }
        other => panic!("expected ServerIdInUse, got {other:?}"),
    }
    // The stream says so too, after what it buffered.
    let mut last = None;
    while let Some(item) = first_positions.next().await {
        last = Some(item);
    }
    assert!(matches!(last, Some(Err(Error::ServerIdInUse { .. }))), "{last:?}");
    second.shutdown();
    second_driver.await.expect("task").expect("second driver");
}

/// The harness server has no TLS: `required` refuses to go on in plain text, `preferred` (the
/// default, used by every other test here) falls back to it.
#[tokio::test]
async fn required_tls_against_a_server_without_tls_is_refused() {
    let server = Server::shared();
    let config = builder(server, Start::End)
        .tls_mode(binlog_signals::TlsMode::Required)
        .build()
        .expect("config");
    match connect_error(config).await {
        Error::TlsUnavailable { mode } => assert_eq!(mode, binlog_signals::TlsMode::Required),
        other => panic!("expected TlsUnavailable, got {other:?}"),
    }
}

/// The server's own server id: the server would silently skip every event written under it,
/// so the id is refused before registering.
#[tokio::test]
async fn the_servers_own_server_id_is_refused() {
    let server = Server::shared();
    let own: u32 = server
        .query_value("SELECT @@server_id")
        .and_then(|v| v.parse().ok())
        .expect("server id");
    let config = builder(server, Start::End)
        .server_id(own)
        .build()
        .expect("config");
    let error = connect_error(config).await;
    match &error {
        Error::ServerConfig { setting, value, .. } => {
            assert_eq!(*setting, "server_id");
            assert_eq!(value, &own.to_string());
        }
        other => panic!("expected ServerConfig, got {other:?}"),
    }
    assert!(
        error.to_string().contains("must differ from the server's own"),
        "{error}"
    );
}
