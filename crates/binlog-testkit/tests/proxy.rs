//! The fault-injection proxy against a real MariaDB: what the server sends arrives through it,
//! and each fault looks to a client the way the proxy's docs say.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use binlog_testkit::{ADMIN_PASSWORD, ADMIN_USER, Binaries, Proxy, Server};

/// Long enough for any forwarding on loopback; only used to wait for something that must not
/// happen, or as a bound on something that must.
const QUIET: Duration = Duration::from_millis(300);
const PATIENCE: Duration = Duration::from_secs(30);

/// Reads one MySQL packet: (sequence id, payload).
fn read_packet(stream: &mut TcpStream) -> std::io::Result<(u8, Vec<u8>)> {
    let mut header = [0u8; 4];
    stream.read_exact(&mut header)?;
    let len = u32::from_le_bytes([header[0], header[1], header[2], 0]) as usize;
    let mut payload = vec![0u8; len];
    stream.read_exact(&mut payload)?;
    Ok((header[3], payload))
}

/// Reads the server's initial handshake packet and returns its server version string.
fn read_greeting(stream: &mut TcpStream) -> String {
    let (seq, payload) = read_packet(stream).expect("read the greeting");
    assert_eq!(seq, 0, "greeting sequence id");
    assert_eq!(payload[0], 10, "protocol version 10 expected: {payload:?}");
    let end = payload[1..]
        .iter()
        .position(|&b| b == 0)
        .expect("NUL-terminated version");
    let version = String::from_utf8_lossy(&payload[1..1 + end]).into_owned();
    assert!(version.contains("MariaDB"), "{version}");
    version
}

/// Sends a one-byte handshake response; the server answers with an error packet and closes.
fn send_bad_handshake(stream: &mut TcpStream) {
    stream
        .write_all(&[1, 0, 0, 1, 0])
        .expect("send a bad handshake response");
}

fn expect_error_packet_then_eof(stream: &mut TcpStream) {
    let (_, payload) = read_packet(stream).expect("the server's answer");
    assert_eq!(payload[0], 0xFF, "error packet expected: {payload:?}");
    assert_eq!(
        stream.read(&mut [0u8; 16]).expect("read after the error"),
        0,
        "EOF expected"
    );
}

/// True if nothing arrives within [`QUIET`] while the socket stays open.
fn stays_silent(stream: &mut TcpStream) -> bool {
    stream.set_read_timeout(Some(QUIET)).expect("set a read timeout");
    let result = stream.read(&mut [0u8; 64]);
    stream.set_read_timeout(None).expect("clear the read timeout");
    matches!(result, Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut))
}

fn connect(proxy: &Proxy) -> TcpStream {
    TcpStream::connect(proxy.addr()).expect("connect to the proxy")
}

/// Runs `sql` with the `mariadb` client over TCP through `port` and returns its output.
fn client_query(port: u16, sql: &str) -> Result<String, String> {
    let client = Binaries::locate().expect("mariadb client").client;
    let output = Command::new(client)
        .args([
            "--no-defaults",
            "--protocol=TCP",
            "-h127.0.0.1",
            "--batch",
            "--skip-column-names",
        ])
        .arg(format!("--port={port}"))
        .arg(format!("--user={ADMIN_USER}"))
        .arg(format!("--password={ADMIN_PASSWORD}"))
        .arg(format!("--execute={sql}"))
        .output()
        .expect("run the mariadb client");
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

#[test]
fn greeting_arrives_through_the_proxy_and_a_cut_reads_eof() {
    let server = Server::shared();
    let proxy = Proxy::start(server.port()).expect("start the proxy");
    let mut client = connect(&proxy);
    let version = read_greeting(&mut client);
    assert!(proxy.wait_for_connections(1, PATIENCE));
    let stats = proxy.stats();
    assert_eq!((stats.accepted, stats.forwarded, stats.live), (1, 1, 1));
    // Header plus payload: the version string, and the fixed part of at least 30 bytes.
    assert!(
        stats.bytes_to_client as usize > 4 + version.len() + 30,
        "{stats:?}"
    );
    assert_eq!(stats.bytes_to_server, 0);

    assert_eq!(proxy.cut(), 1);
    assert_eq!(
        client.read(&mut [0u8; 16]).expect("read after the cut"),
        0,
        "EOF expected"
    );
    assert_eq!(proxy.live_connections(), 0);
    assert_eq!(proxy.stats().cut, 1);

    // The proxy keeps accepting after a cut, and forwards both ways.
    let mut again = connect(&proxy);
    read_greeting(&mut again);
    send_bad_handshake(&mut again);
    expect_error_packet_then_eof(&mut again);
    assert_eq!(proxy.stats().bytes_to_server, 5);
}

#[test]
fn real_client_queries_through_the_proxy() {
    let server = Server::shared();
    let proxy = Proxy::start(server.port()).expect("start the proxy");
    let port = client_query(proxy.port(), "SELECT @@port").expect("query through the proxy");
    assert_eq!(port, server.port().to_string());
    // The client closed its connection; the proxy forgets it.
    assert!(proxy.wait_for_live(0, PATIENCE), "{:?}", proxy.stats());
    assert_eq!(proxy.stats().forwarded, 1);
}

#[test]
fn blackhole_keeps_sockets_open_and_forwards_nothing() {
    let server = Server::shared();
    let proxy = Proxy::start(server.port()).expect("start the proxy");
    let mut held = connect(&proxy);
    read_greeting(&mut held);
    assert!(proxy.wait_for_connections(1, PATIENCE));
    assert_eq!(proxy.blackhole(), 1);

    // New connections are forwarded normally, both ways.
    let mut fresh = connect(&proxy);
    read_greeting(&mut fresh);
    send_bad_handshake(&mut fresh);
    expect_error_packet_then_eof(&mut fresh);
    drop(fresh);
    let to_server = proxy.stats().bytes_to_server;

    // The same request on the blackholed connection gets no answer, and no EOF either.
    send_bad_handshake(&mut held);
    assert!(
        stays_silent(&mut held),
        "the blackholed connection delivered something"
    );
    assert_eq!(
        proxy.stats().bytes_to_server,
        to_server,
        "bytes passed the blackhole"
    );
    assert!(proxy.wait_for_live(1, PATIENCE), "{:?}", proxy.stats());

    // A cut closes it.
    assert_eq!(proxy.cut(), 1);
    assert_eq!(held.read(&mut [0u8; 16]).expect("read after the cut"), 0);
}

#[test]
fn pause_holds_bytes_until_resume() {
    let server = Server::shared();
    let proxy = Proxy::start(server.port()).expect("start the proxy");
    proxy.pause();
    let mut client = connect(&proxy);
    assert!(proxy.wait_for_connections(1, PATIENCE));
    assert!(stays_silent(&mut client), "bytes passed while paused");
    assert_eq!(proxy.stats().bytes_to_client, 0);
    proxy.resume();
    read_greeting(&mut client);
    send_bad_handshake(&mut client);
    expect_error_packet_then_eof(&mut client);
}

#[test]
fn refuse_resets_new_connections_only() {
    let server = Server::shared();
    let proxy = Proxy::start(server.port()).expect("start the proxy");
    let mut live = connect(&proxy);
    read_greeting(&mut live);

    proxy.refuse(true);
    let mut refused = connect(&proxy);
    match refused.read(&mut [0u8; 16]) {
        Err(e) => assert_eq!(e.kind(), ErrorKind::ConnectionReset, "{e}"),
        Ok(n) => panic!("read {n} bytes from a refused connection"),
    }
    assert_eq!(proxy.stats().refused, 1);

    // The connection made before still works.
    send_bad_handshake(&mut live);
    expect_error_packet_then_eof(&mut live);

    proxy.refuse(false);
    read_greeting(&mut connect(&proxy));
    let stats = proxy.stats();
    assert_eq!((stats.accepted, stats.refused, stats.forwarded), (3, 1, 2));
}

#[test]
fn follows_set_target_and_survives_a_server_restart() {
    let mut private = Server::builder()
        .without_binlog()
        .start()
        .expect("start a private server");
    let shared = Server::shared();
    let proxy = Proxy::start(shared.port()).expect("start the proxy");
    assert_eq!(
        client_query(proxy.port(), "SELECT @@port").as_deref(),
        Ok(&*shared.port().to_string())
    );
    proxy.set_target(private.port());
    assert_eq!(proxy.target(), private.port());
    assert_eq!(
        client_query(proxy.port(), "SELECT @@port").as_deref(),
        Ok(&*private.port().to_string())
    );

    // Server down: the proxy accepts, cannot reach it, and resets the client.
    private.kill();
    let mut client = connect(&proxy);
    match client.read(&mut [0u8; 16]) {
        Err(e) => assert_eq!(e.kind(), ErrorKind::ConnectionReset, "{e}"),
        Ok(n) => panic!("read {n} bytes while the server was down"),
    }
    assert_eq!(proxy.stats().upstream_failed, 1);

    private.restart().expect("restart the private server");
    assert_eq!(
        client_query(proxy.port(), "SELECT @@port").as_deref(),
        Ok(&*private.port().to_string())
    );
}

/// Names of this process's threads that belong to the proxy on `port`.
fn proxy_threads(port: u16) -> Vec<String> {
    let prefix = format!("px{port}-");
    std::fs::read_dir("/proc/self/task")
        .expect("list threads")
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| name.starts_with(&prefix))
        .collect()
}

#[test]
fn drop_closes_every_connection_and_joins_its_threads() {
    let server = Server::shared();
    let proxy = Proxy::start(server.port()).expect("start the proxy");
    let port = proxy.port();
    let mut plain = connect(&proxy);
    read_greeting(&mut plain);
    let mut blackholed = connect(&proxy);
    read_greeting(&mut blackholed);
    assert!(proxy.wait_for_connections(2, PATIENCE));
    proxy.blackhole();
    proxy.pause();
    let mut paused = connect(&proxy);
    assert!(proxy.wait_for_connections(3, PATIENCE));
    // An acceptor and two pumps for each connection (the last pump may still be starting).
    let deadline = std::time::Instant::now() + PATIENCE;
    while proxy_threads(port).len() < 7 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(proxy_threads(port).len(), 7, "{:?}", proxy_threads(port));

    drop(proxy);
    assert_eq!(
        proxy_threads(port),
        Vec::<String>::new(),
        "{:?}",
        proxy_threads(port)
    );
    for (name, client) in [
        ("plain", &mut plain),
        ("blackholed", &mut blackholed),
        ("paused", &mut paused),
    ] {
        let mut buf = [0u8; 16];
        let n = client.read(&mut buf).expect("read after drop");
        assert_eq!(n, 0, "{name} read {:?}", &buf[..n]);
    }
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the port still accepts"
    );
}

/// `mariadb-binlog` reading `file` as a replica through `port` (raw mode, into `dir`).
fn binlog_reader(port: u16, dir: &std::path::Path, file: &str, stop_never: bool) -> Command {
    let mut cmd = Command::new("mariadb-binlog");
    cmd.args([
        "--no-defaults",
        "--read-from-remote-server",
        "--raw",
        "--host=127.0.0.1",
    ])
    .arg(format!("--port={port}"))
    .arg(format!("--user={}", binlog_testkit::REPL_USER))
    .arg(format!("--password={}", binlog_testkit::REPL_PASSWORD))
    .arg(format!("--result-file={}/", dir.display()));
    if stop_never {
        cmd.arg("--stop-never");
    }
    cmd.arg(file);
    cmd
}

#[test]
fn a_binlog_dump_through_the_proxy_is_byte_exact() {
    let server = Server::shared();
    let db = server.fresh_database("proxy_dump");
    let writer = binlog_testkit::writer::TxWriter::start(
        server,
        &db,
        binlog_testkit::writer::WriterOptions::new(1000, 4),
    )
    .expect("start the writer");
    writer.join().expect("writer");
    let (file, _) = server.master_status();
    let proxy = Proxy::start(server.port()).expect("start the proxy");
    // The same dump read directly and through the proxy. (Not compared with the file on disk:
    // the server clears the in-use flag of the format description it sends.)
    let fetch = |port: u16| {
        let dir = tempfile::tempdir().expect("temp dir");
        let output = binlog_reader(port, dir.path(), &file, false)
            .output()
            .expect("run mariadb-binlog");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        std::fs::read(dir.path().join(&file)).expect("the fetched binlog")
    };
    let direct = fetch(server.port());
    let proxied = fetch(proxy.port());
    assert!(direct.len() > 1000 * 4 * 30, "{} bytes", direct.len());
    // Other tests may append to the file between the two reads.
    assert!(proxied.len() >= direct.len());
    assert!(proxied[..direct.len()] == direct[..], "the bytes differ");
    eprintln!(
        "{file}: {} bytes direct, {} through the proxy, identical",
        direct.len(),
        proxied.len()
    );
    assert!(proxy.stats().bytes_to_client as usize > proxied.len());
}

#[test]
fn a_cut_ends_a_live_binlog_dump() {
    let server = Server::shared();
    let (file, _) = server.master_status();
    let proxy = Proxy::start(server.port()).expect("start the proxy");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut reader =
        binlog_testkit::process::ChildProcess::spawn(binlog_reader(proxy.port(), dir.path(), &file, true))
            .expect("run mariadb-binlog");
    assert!(proxy.wait_for_connections(1, PATIENCE));
    // Still streaming after the whole file was sent: it waits for more.
    assert!(stays_silent_process(&mut reader), "{}", reader.describe());
    assert_eq!(proxy.cut(), 1);
    let status = reader
        .wait_timeout(PATIENCE)
        .expect("wait")
        .expect("mariadb-binlog exits");
    assert!(!status.success(), "{}", reader.describe());
    assert!(
        reader.stderr().contains("Lost connection"),
        "{}",
        reader.describe()
    );
}

/// True if the child is still running after [`QUIET`].
fn stays_silent_process(child: &mut binlog_testkit::process::ChildProcess) -> bool {
    matches!(child.wait_timeout(QUIET), Ok(None))
}
