//! The connection and replication session against the harness's real MariaDB, driven over a
//! blocking `std::net::TcpStream`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use binlog_proto::Error;
use binlog_proto::connection::{ConnectOptions, Connection, Output};
use binlog_proto::handshake::Flavor;
use binlog_proto::resultset::QueryResult;
use binlog_proto::session::{BinlogChecksum, ReplicationOptions, ReplicationSession, StartPosition, Step};
use binlog_testkit::{REPL_PASSWORD, REPL_USER, Server};

fn connect(server: &Server) -> TcpStream {
    let stream = TcpStream::connect((server.host(), server.port())).expect("connect to the test server");
    // A safety net against a hung test, not a timing assertion.
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    stream
}

/// Reads once from the socket into the machine; a closed socket is a test failure.
fn read_into(stream: &mut TcpStream, feed: &mut dyn FnMut(&[u8])) {
    let mut buf = [0u8; 16 * 1024];
    let n = stream.read(&mut buf).expect("read from the server");
    assert!(n > 0, "the server closed the connection");
    feed(&buf[..n]);
}

/// Polls `conn` until it reports something other than sends and data requests.
fn next_output(conn: &mut Connection, stream: &mut TcpStream) -> Result<Output, Error> {
    loop {
        match conn.poll()? {
            Output::Send(bytes) => stream.write_all(&bytes).unwrap(),
            Output::NeedMoreData => read_into(stream, &mut |b| conn.feed(b)),
            other => return Ok(other),
        }
    }
}

fn login(server: &Server, user: &str, password: &str) -> (Connection, TcpStream, Result<Output, Error>) {
    let mut stream = connect(server);
    let mut conn = Connection::new(ConnectOptions::new(user, password));
    let first = next_output(&mut conn, &mut stream);
    (conn, stream, first)
}

fn query(conn: &mut Connection, stream: &mut TcpStream, sql: &str) -> Result<QueryResult, Error> {
    conn.query(sql)?;
    match next_output(conn, stream)? {
        Output::Result(result) => Ok(result),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn connects_authenticates_and_reads_a_result_set() {
    let server = Server::shared();
    let (mut conn, mut stream, first) = login(server, REPL_USER, REPL_PASSWORD);
    assert_eq!(first.unwrap(), Output::Authenticated);
    let handshake = conn.handshake().unwrap();
    assert_eq!(handshake.flavor(), Flavor::Mariadb);
    assert_eq!(handshake.auth_plugin.as_deref(), Some("mysql_native_password"));
    let expected_version = server.query_value("SELECT VERSION()").unwrap();
    assert_eq!(handshake.version_string(), expected_version);

    let db = server.fresh_database("wire");
    server.exec(&format!(
        "CREATE TABLE {db}.t (id INT PRIMARY KEY, name VARCHAR(20), note TEXT);
         INSERT INTO {db}.t VALUES (1, 'ä€😀', NULL), (2, '', 'x');"
    ));
    let set = query(
        &mut conn,
        &mut stream,
        &format!("SELECT id, name, note FROM {db}.t ORDER BY id"),
    )
    .unwrap()
    .into_result_set();
    let truth = server.exec(&format!("SELECT id, name, note FROM {db}.t ORDER BY id"));
    let ours: Vec<Vec<Option<String>>> = set
        .rows
        .iter()
        .map(|r| {
            (0..r.len())
                .map(|i| r.get_str(i).map(|s| s.into_owned()))
                .collect()
        })
        .collect();
    assert_eq!(ours, truth);
    assert_eq!(set.columns[1].org_table, "t");
    assert_eq!(set.columns[1].schema, db);

    // A failing query leaves the connection usable.
    let err = query(&mut conn, &mut stream, &format!("SELECT * FROM {db}.missing")).unwrap_err();
    assert!(matches!(err, Error::Server(ref e) if e.code == 1146), "{err}");
    let ok = query(&mut conn, &mut stream, "SET @x = 1").unwrap();
    assert!(matches!(ok, QueryResult::Ok(_)));
    conn.quit().unwrap();
    let Output::Send(bye) = conn.poll().unwrap() else {
        panic!()
    };
    stream.write_all(&bye).unwrap();
}

#[test]
fn wrong_password_is_error_1045_with_the_servers_message() {
    let server = Server::shared();
    let (_, _, first) = login(server, REPL_USER, "not-the-password");
    let Err(Error::Server(e)) = first else {
        panic!("{first:?}");
    };
    assert_eq!(e.code, 1045);
    assert_eq!(e.sql_state.as_deref(), Some("28000"));
    assert!(
        e.message
            .starts_with(&format!("Access denied for user '{REPL_USER}'@'"))
            && e.message.ends_with("(using password: YES)"),
        "{}",
        e.message
    );
}

/// Drives a session to its end (non-blocking) or first error; returns the steps.
fn run_session(
    server: &Server,
    user: &str,
    password: &str,
    options: ReplicationOptions,
) -> (Vec<Step>, Option<Error>) {
    let mut stream = connect(server);
    let mut session =
        ReplicationSession::new(ConnectOptions::new(user, password), options.non_blocking(true));
    let mut steps = Vec::new();
    loop {
        match session.poll() {
            Ok(Step::Send(bytes)) => stream.write_all(&bytes).unwrap(),
            Ok(Step::NeedMoreData) => read_into(&mut stream, &mut |b| session.feed(b)),
            Ok(Step::EndOfStream) => {
                steps.push(Step::EndOfStream);
                return (steps, None);
            }
            Ok(step) => steps.push(step),
            Err(e) => return (steps, Some(e)),
        }
    }
}

#[test]
fn dumps_the_first_binlog_from_position_4_until_the_end() {
    let server = Server::shared();
    // Something to stream.
    let db = server.fresh_database("dump");
    server.exec(&format!(
        "CREATE TABLE {db}.t (id INT PRIMARY KEY); INSERT INTO {db}.t VALUES (1);"
    ));
    let first_file = server.exec("SHOW BINARY LOGS")[0][0].clone().unwrap();
    let (steps, error) = run_session(
        server,
        REPL_USER,
        REPL_PASSWORD,
        ReplicationOptions::new(
            4242,
            StartPosition::File {
                file: first_file.clone(),
                position: 4,
            },
        )
        .heartbeat_period(Duration::from_secs(5)),
    );
    assert!(error.is_none(), "{error:?}");
    let Step::Started(info) = &steps[0] else {
        panic!("{steps:?}")
    };
    assert_eq!(info.flavor, Flavor::Mariadb);
    // The harness runs with --binlog-checksum=CRC32.
    assert_eq!(info.checksum, BinlogChecksum::Crc32);
    assert_eq!(info.binlog_row_image.as_deref(), Some("FULL"));
    assert_eq!(info.source_server_id, Some(1));
    let events: Vec<&[u8]> = steps
        .iter()
        .filter_map(|s| match s {
            Step::Event(e) => Some(e.as_ref()),
            _ => None,
        })
        .collect();
    // The server first sends a fake ROTATE (4) naming the file, then the file's
    // FORMAT_DESCRIPTION event (15).
    assert_eq!(events[0][4], 4, "fake rotate first");
    assert!(
        events[0]
            .windows(first_file.len())
            .any(|w| w == first_file.as_bytes())
    );
    assert_eq!(events[1][4], 15, "then FORMAT_DESCRIPTION");
    // Every event's length field matches the bytes handed on and its CRC32 trailer is right.
    for event in &events {
        let len = u32::from_le_bytes(event[9..13].try_into().unwrap()) as usize;
        assert_eq!(len, event.len());
        let (body, crc) = event.split_at(len - 4);
        assert_eq!(crc32fast::hash(body), u32::from_le_bytes(crc.try_into().unwrap()));
    }
    // The last event written so far is in the stream: our INSERT's table is in a TABLE_MAP (19).
    assert!(
        events
            .iter()
            .any(|e| e[4] == 19 && e.windows(db.len()).any(|w| w == db.as_bytes()))
    );
    assert_eq!(steps.last(), Some(&Step::EndOfStream));
}

#[test]
fn current_and_oldest_positions_resolve_against_the_real_server() {
    let server = Server::shared();
    let (steps, error) = run_session(
        server,
        REPL_USER,
        REPL_PASSWORD,
        ReplicationOptions::new(4243, StartPosition::Oldest),
    );
    assert!(error.is_none(), "{error:?}");
    let Step::Started(info) = &steps[0] else {
        panic!("{steps:?}")
    };
    let first_file = server.exec("SHOW BINARY LOGS")[0][0].clone().unwrap();
    assert_eq!(
        info.start,
        StartPosition::File {
            file: first_file,
            position: 4
        }
    );

    let (steps, error) = run_session(
        server,
        REPL_USER,
        REPL_PASSWORD,
        ReplicationOptions::new(4244, StartPosition::Current),
    );
    assert!(error.is_none(), "{error:?}");
    let Step::Started(info) = &steps[0] else {
        panic!("{steps:?}")
    };
    let StartPosition::File { file, position } = &info.start else {
        panic!("{info:?}")
    };
    let (status_file, status_pos) = server.master_status();
    assert_eq!(file, &status_file);
    // Other tests may write concurrently: the position is at most the current one.
    assert!(*position > 4 && *position <= status_pos + 1_000_000);
}

#[test]
fn a_user_without_replication_slave_gets_a_clear_error_at_the_dump() {
    let server = Server::shared();
    let user = "wire_noslave";
    server.exec(&format!(
        "CREATE USER IF NOT EXISTS '{user}'@'%' IDENTIFIED BY 'pw-No5lave';
         GRANT REPLICATION CLIENT, SELECT ON *.* TO '{user}'@'%';"
    ));
    let first_file = server.exec("SHOW BINARY LOGS")[0][0].clone().unwrap();
    let start = || StartPosition::File {
        file: first_file.clone(),
        position: 4,
    };
    for register in [true, false] {
        let (steps, error) = run_session(
            server,
            user,
            "pw-No5lave",
            ReplicationOptions::new(4245, start()).register(register),
        );
        assert!(
            !steps.iter().any(|s| matches!(s, Step::Event(_))),
            "register={register}: {steps:?}"
        );
        let Some(Error::ReplicationDenied { during, source }) = &error else {
            panic!("register={register}: {error:?}");
        };
        let expected_during = if register {
            "replica registration (COM_REGISTER_SLAVE)"
        } else {
            "the binlog dump"
        };
        assert_eq!(*during, expected_during);
        // MariaDB answers the registration with 1045 and the dump with 1227.
        assert_eq!(
            source.code,
            if register { 1045 } else { 1227 },
            "register={register}: {source}"
        );
        let message = error.as_ref().unwrap().to_string();
        assert!(message.contains("REPLICATION SLAVE"), "{message}");
    }
}
