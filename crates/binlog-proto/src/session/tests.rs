//! Scripted-server tests of the replication session: setup, start positions, streaming, errors,
//! and robustness against truncated, oversized and malformed packets at every step.

use super::*;
use crate::auth::OaepSeed;
use crate::command::{encode_binlog_dump, encode_binlog_dump_gtid, encode_register_replica};
use crate::packet::Packet;
use crate::testing::*;

fn connect() -> ConnectOptions {
    ConnectOptions::new("repl", "secret").oaep_seed(OaepSeed([9; 20]))
}

fn query_text(p: &Packet) -> String {
    assert_eq!(p.payload.first(), Some(&0x03), "expected COM_QUERY, got {p:?}");
    String::from_utf8(p.payload[1..].to_vec()).unwrap()
}

fn stop_at_end(step: &Step) -> bool {
    matches!(step, Step::EndOfStream)
}

/// A MariaDB conversation from greeting to the end of a non-blocking stream of `events`.
fn mariadb_script(events: Vec<Vec<u8>>, end: Vec<u8>) -> Script {
    Script::new(mariadb_greeting())
        .reply(vec![ok()])
        .then(|p: &Packet| {
            assert_eq!(query_text(p), setup::VARIABLES_QUERY);
            frame(1, &variables(true, "CRC32", "ROW"))
        })
        .then(|p: &Packet| {
            assert_eq!(
                query_text(p),
                "SET @master_binlog_checksum = @@global.binlog_checksum, @mariadb_slave_capability = 4, \
                 @master_heartbeat_period = 1500000000"
            );
            frame(1, &[ok()])
        })
        .then(|p: &Packet| {
            assert_eq!(
                p.payload.as_ref(),
                encode_register_replica(&RegisterReplica {
                    server_id: 1001,
                    hostname: "cdc-host".into(),
                    port: 3307,
                    ..Default::default()
                })
            );
            frame(1, &[ok()])
        })
        .then(move |p: &Packet| {
            assert_eq!(
                p.payload.as_ref(),
                encode_binlog_dump("mysql-bin.000001", 4, DumpFlags::NON_BLOCK, 1001)
            );
            let mut packets = events.clone();
            packets.push(end.clone());
            frame(1, &packets)
        })
}

fn mariadb_options() -> ReplicationOptions {
    ReplicationOptions::new(
        1001,
        StartPosition::File {
            file: "mysql-bin.000001".into(),
            position: 4,
        },
    )
    .non_blocking(true)
    .heartbeat_period(Duration::from_millis(1500))
    .report_address("cdc-host", 3307)
}

fn sample_events() -> Vec<Vec<u8>> {
    vec![
        event(15, &[4, 0, 1, 2, 3]),
        event(160, b"INSERT"),
        event(30, &[7; 40]),
    ]
}

#[test]
fn mariadb_session_from_greeting_to_end_of_stream_at_any_slicing() {
    for chunk in [1, 7, 4096] {
        let mut script = mariadb_script(sample_events(), eof());
        let mut session = ReplicationSession::new(connect(), mariadb_options());
        let (steps, ending) = drive(&mut session, &mut script, chunk, stop_at_end);
        assert!(matches!(ending, Ending::Done), "chunk {chunk}: {ending:?}");
        let Step::Started(info) = &steps[0] else {
            panic!("{steps:?}");
        };
        assert_eq!(info.flavor, Flavor::Mariadb);
        assert_eq!(info.server_version, "10.11.6-MariaDB-log");
        assert_eq!(info.checksum, BinlogChecksum::Crc32);
        assert_eq!(info.binlog_row_image.as_deref(), Some("FULL"));
        assert_eq!(info.source_server_id, Some(1));
        let events: Vec<&Bytes> = steps
            .iter()
            .filter_map(|s| match s {
                Step::Event(e) => Some(e),
                _ => None,
            })
            .collect();
        let expected: Vec<Vec<u8>> = sample_events().into_iter().map(|e| e[1..].to_vec()).collect();
        assert_eq!(events, expected.iter().collect::<Vec<_>>());
        assert_eq!(events[0][4], 15);
        assert_eq!(steps.last(), Some(&Step::EndOfStream));
        assert_eq!(session.checksum(), Some(BinlogChecksum::Crc32));
        // After the end: still the end, and a clean quit is possible.
        assert_eq!(session.poll().unwrap(), Step::EndOfStream);
        session.quit().unwrap();
        assert!(matches!(session.poll().unwrap(), Step::Send(b) if b.as_ref() == [1, 0, 0, 0, 1]));
    }
}

#[test]
fn err_during_the_dump_is_the_server_error_after_the_events_before_it() {
    let message = "Could not find first log file name in binary log index file";
    let mut script = mariadb_script(sample_events(), err(1236, "HY000", message));
    let mut session = ReplicationSession::new(connect(), mariadb_options());
    let (steps, ending) = drive(&mut session, &mut script, 64, stop_at_end);
    assert_eq!(steps.iter().filter(|s| matches!(s, Step::Event(_))).count(), 3);
    let Ending::Error(Error::Server(e)) = ending else {
        panic!("{ending:?}");
    };
    assert_eq!((e.code, e.message.as_str()), (1236, message));
    assert!(matches!(session.poll(), Err(Error::Server(ref again)) if again.code == 1236));
}

/// Runs a session against a server that answers the setup queries with `answers` (by query
/// text prefix) and returns the dump command it sent, or the error.
fn dump_command_for(
    greeting: Vec<u8>,
    deprecate_eof: bool,
    options: ReplicationOptions,
    answers: Vec<(&'static str, Vec<Vec<u8>>)>,
) -> Result<(Vec<u8>, StreamInfo), Error> {
    let mut script = Script::new(greeting).reply(vec![if deprecate_eof {
        vec![0, 0, 0, 2, 0, 0, 0]
    } else {
        ok()
    }]);
    for _ in 0..answers.len() + 2 {
        let answers = answers.clone();
        script = script.then(move |p: &Packet| match p.payload.first() {
            Some(0x03) => {
                let sql = query_text(p);
                let (_, reply) = answers
                    .iter()
                    .find(|(prefix, _)| sql.starts_with(prefix))
                    .unwrap_or_else(|| panic!("unexpected query {sql}"));
                frame(1, reply)
            }
            Some(0x15) => frame(1, &[ok()]),
            _ => frame(1, &[eof()]),
        });
    }
    let mut session =
        ReplicationSession::new(connect().deprecate_eof(deprecate_eof), options.non_blocking(true));
    let (steps, ending) = drive(&mut session, &mut script, 64, stop_at_end);
    if let Ending::Error(e) = ending {
        return Err(e);
    }
    let dump = script
        .received
        .iter()
        .find(|p| matches!(p.payload.first(), Some(0x12 | 0x1e)))
        .unwrap();
    let info = steps
        .iter()
        .find_map(|s| match s {
            Step::Started(info) => Some((**info).clone()),
            _ => None,
        })
        .unwrap();
    Ok((dump.payload.to_vec(), info))
}

fn mysql_variables(gtid_mode: &str) -> Vec<Vec<u8>> {
    text_result(
        &["Variable_name", "Value"],
        &[
            &[Some("binlog_checksum"), Some("NONE")],
            &[Some("binlog_format"), Some("ROW")],
            &[Some("gtid_mode"), Some(gtid_mode)],
            &[Some("log_bin"), Some("ON")],
        ],
        true,
    )
}

#[test]
fn current_position_uses_the_statement_of_the_server_version() {
    for (version, statement) in [
        ("8.4.2", "SHOW BINARY LOG STATUS"),
        ("8.0.36", "SHOW MASTER STATUS"),
        ("5.7.44-log", "SHOW MASTER STATUS"),
    ] {
        let status = text_result(
            &["File", "Position", "Binlog_Do_DB"],
            &[&[Some("binlog.000007"), Some("1234"), Some("")]],
            true,
        );
        let (dump, info) = dump_command_for(
            mysql8_greeting(version),
            true,
            ReplicationOptions::new(5, StartPosition::Current),
            vec![
                ("SHOW GLOBAL", mysql_variables("OFF")),
                (statement, status),
                ("SET", vec![ok()]),
            ],
        )
        .unwrap();
        assert_eq!(
            dump,
            encode_binlog_dump("binlog.000007", 1234, DumpFlags::NON_BLOCK, 5),
            "{version}"
        );
        assert_eq!(info.checksum, BinlogChecksum::None);
        assert_eq!(
            info.start,
            StartPosition::File {
                file: "binlog.000007".into(),
                position: 1234
            }
        );
    }
}

#[test]
fn oldest_position_is_the_first_binlog_file_at_4() {
    let logs = text_result(
        &["Log_name", "File_size"],
        &[
            &[Some("mysql-bin.000003"), Some("100")],
            &[Some("mysql-bin.000004"), Some("200")],
        ],
        false,
    );
    let (dump, _) = dump_command_for(
        mariadb_greeting(),
        false,
        ReplicationOptions::new(5, StartPosition::Oldest),
        vec![
            ("SHOW GLOBAL", variables(false, "CRC32", "ROW")),
            ("SET", vec![ok()]),
            ("SHOW BINARY LOGS", logs),
        ],
    )
    .unwrap();
    assert_eq!(
        dump,
        encode_binlog_dump("mysql-bin.000003", 4, DumpFlags::NON_BLOCK, 5)
    );
}

#[test]
fn mysql_gtid_start_sends_the_encoded_set_and_needs_gtid_mode_on() {
    let set: GtidSet =
        "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7, 4e11fa47-71ca-11e1-9e33-c80aa9429562:tag_a:1-2"
            .parse()
            .unwrap();
    let (dump, _) = dump_command_for(
        mysql8_greeting("8.4.2"),
        true,
        ReplicationOptions::new(9, StartPosition::MysqlGtids(set.clone())),
        vec![("SHOW GLOBAL", mysql_variables("ON")), ("SET", vec![ok()])],
    )
    .unwrap();
    assert_eq!(
        dump,
        encode_binlog_dump_gtid("", 4, DumpFlags::NON_BLOCK, 9, &set)
    );
    let err = dump_command_for(
        mysql8_greeting("8.4.2"),
        true,
        ReplicationOptions::new(9, StartPosition::MysqlGtids(set)),
        vec![("SHOW GLOBAL", mysql_variables("OFF_PERMISSIVE"))],
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::ServerConfig { setting: "gtid_mode", ref value, .. } if value == "OFF_PERMISSIVE")
    );
}

#[test]
fn mariadb_gtid_start_sets_the_connect_state_and_dumps_with_an_empty_file_name() {
    let list: MariadbGtidList = "0-1-100,2-1-7".parse().unwrap();
    let (dump, info) = dump_command_for(
        mariadb_greeting(),
        false,
        ReplicationOptions::new(9, StartPosition::MariadbGtids(list.clone())),
        vec![
            ("SHOW GLOBAL", variables(false, "CRC32", "ROW")),
            (
                "SET @master_binlog_checksum = @@global.binlog_checksum, @mariadb_slave_capability = 4, \
                 @slave_connect_state = '0-1-100,2-1-7'",
                vec![ok()],
            ),
        ],
    )
    .unwrap();
    assert_eq!(dump, encode_binlog_dump("", 4, DumpFlags::NON_BLOCK, 9));
    assert_eq!(info.start, StartPosition::MariadbGtids(list));
}

#[test]
fn unusable_server_settings_are_typed_errors() {
    let off = text_result(
        &["Variable_name", "Value"],
        &[&[Some("log_bin"), Some("OFF")]],
        false,
    );
    let err = dump_command_for(
        mariadb_greeting(),
        false,
        ReplicationOptions::new(9, StartPosition::Oldest),
        vec![("SHOW GLOBAL", off)],
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::ServerConfig { setting: "log_bin", ref value, .. } if value == "OFF"),
        "{err}"
    );

    let err = dump_command_for(
        mariadb_greeting(),
        false,
        ReplicationOptions::new(9, StartPosition::Oldest),
        vec![("SHOW GLOBAL", variables(false, "CRC32", "STATEMENT"))],
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::ServerConfig { setting: "binlog_format", ref value, .. } if value == "STATEMENT"),
        "{err}"
    );
    assert!(err.to_string().contains("binlog_format=ROW"), "{err}");

    // The server's own server id (1 in `variables`): its events would never be sent.
    let err = dump_command_for(
        mariadb_greeting(),
        false,
        ReplicationOptions::new(1, StartPosition::Oldest),
        vec![("SHOW GLOBAL", variables(false, "CRC32", "ROW"))],
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::ServerConfig { setting: "server_id", ref value, .. } if value == "1"),
        "{err}"
    );

    // An empty SHOW MASTER STATUS means no binary log.
    let err = dump_command_for(
        mariadb_greeting(),
        false,
        ReplicationOptions::new(9, StartPosition::Current),
        vec![
            ("SHOW GLOBAL", variables(false, "CRC32", "ROW")),
            ("SET", vec![ok()]),
            (
                "SHOW MASTER STATUS",
                text_result(&["File", "Position"], &[], false),
            ),
        ],
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::ServerConfig {
                setting: "log_bin",
                ..
            }
        ),
        "{err}"
    );
}

/// The conversations the robustness tests below cut and inflate at every packet.
#[derive(Debug, Clone, Copy)]
enum Conversation {
    /// MariaDB, mysql_native_password, COM_BINLOG_DUMP from a file position.
    MariadbNative,
    /// MySQL 8.4, caching_sha2_password full authentication over RSA with a public-key
    /// request, COM_BINLOG_DUMP_GTID.
    MysqlRsaGtid,
    /// MySQL 8.4 switching the account to mysql_native_password, then a dump.
    MysqlAuthSwitch,
}

const CONVERSATIONS: [Conversation; 3] = [
    Conversation::MariadbNative,
    Conversation::MysqlRsaGtid,
    Conversation::MysqlAuthSwitch,
];

/// A MySQL 8.4 conversation after authentication: variables, SET, register, dump, events.
fn mysql_after_auth(script: Script) -> Script {
    script
        .then(|p: &Packet| {
            assert!(query_text(p).starts_with("SHOW GLOBAL"), "{p:?}");
            frame(1, &mysql_variables("ON"))
        })
        .then(|p: &Packet| {
            assert!(query_text(p).starts_with("SET"), "{p:?}");
            frame(1, &[ok()])
        })
        .then(|p: &Packet| {
            assert_eq!(p.payload.first(), Some(&0x15), "COM_REGISTER_SLAVE");
            frame(1, &[ok()])
        })
        .then(|p: &Packet| {
            assert_eq!(p.payload.first(), Some(&0x1e), "COM_BINLOG_DUMP_GTID");
            let mut packets = sample_events();
            packets.push(eof());
            frame(1, &packets)
        })
}

impl Conversation {
    fn script(self) -> Script {
        match self {
            Conversation::MariadbNative => mariadb_script(sample_events(), eof()),
            Conversation::MysqlRsaGtid => {
                let pem = std::fs::read(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../../../shared/corpus/auth/TEST-ONLY-rsa2048-public.pem"
                ))
                .expect("the corpus's TEST-ONLY public key");
                mysql_after_auth(
                    Script::new(mysql8_greeting("8.4.2"))
                        .reply(vec![vec![1, 4]])
                        .then(move |p: &Packet| {
                            assert_eq!(p.payload.as_ref(), [2], "public key request");
                            frame(4, &[[&[1u8][..], &pem].concat()])
                        })
                        .then(|p: &Packet| {
                            assert_eq!(p.payload.len(), 256, "RSA-encrypted password");
                            frame(6, &[ok()])
                        }),
                )
            }
            Conversation::MysqlAuthSwitch => {
                let switch = [&[0xfe][..], b"mysql_native_password\0", b"ABCDEFGHIJKLMNOPQRST\0"].concat();
                mysql_after_auth(Script::new(mysql8_greeting("8.4.2")).reply(vec![switch]).then(
                    |p: &Packet| {
                        assert_eq!(p.payload.len(), 20, "native scramble");
                        frame(4, &[ok()])
                    },
                ))
            }
        }
    }

    fn options(self) -> ReplicationOptions {
        match self {
            Conversation::MariadbNative => mariadb_options(),
            Conversation::MysqlRsaGtid | Conversation::MysqlAuthSwitch => ReplicationOptions::new(
                9,
                StartPosition::MysqlGtids("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5".parse().unwrap()),
            )
            .non_blocking(true),
        }
    }

    fn session(self, max_packet: usize) -> ReplicationSession {
        let connect = match self {
            Conversation::MariadbNative => connect(),
            _ => connect().deprecate_eof(true),
        };
        ReplicationSession::new(connect.max_packet_size(max_packet), self.options())
    }
}

/// The server's bytes of a complete successful `conversation`, and the offsets where each of
/// its packets starts (with the index of the first event packet).
fn transcript(conversation: Conversation) -> (Vec<u8>, Vec<usize>, usize) {
    let mut script = conversation.script();
    let mut session = conversation.session(1 << 20);
    let (_, ending) = drive(&mut session, &mut script, 4096, stop_at_end);
    assert!(matches!(ending, Ending::Done), "{conversation:?}: {ending:?}");
    let bytes = script.sent.clone();
    let mut starts = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        starts.push(at);
        let len = bytes[at] as usize | (bytes[at + 1] as usize) << 8 | (bytes[at + 2] as usize) << 16;
        at += 4 + len;
    }
    // The last four packets are the three events and the EOF.
    let first_event = starts.len() - 4;
    (bytes, starts, first_event)
}

/// Feeds `bytes` at once and polls until the session wants more; returns the error, if any.
fn run_on(conversation: Conversation, bytes: &[u8], max_packet: usize) -> Option<Error> {
    let mut session = conversation.session(max_packet);
    session.feed(bytes);
    for _ in 0..1000 {
        match session.poll() {
            Ok(Step::NeedMoreData | Step::EndOfStream) => return None,
            Ok(_) => {}
            Err(e) => return Some(e),
        }
    }
    panic!("no progress");
}

#[test]
fn a_truncated_server_stream_at_any_byte_only_needs_more_data() {
    for conversation in CONVERSATIONS {
        let (bytes, _, _) = transcript(conversation);
        for cut in 0..=bytes.len() {
            assert_eq!(
                run_on(conversation, &bytes[..cut], 1 << 20),
                None,
                "{conversation:?}: cut at {cut} of {}",
                bytes.len()
            );
        }
    }
}

#[test]
fn an_oversized_packet_at_any_step_is_refused_before_its_payload() {
    for conversation in CONVERSATIONS {
        let (bytes, starts, _) = transcript(conversation);
        // Larger than every packet of the conversations (the PEM key is 451 bytes).
        let limit = 1000;
        for (k, &start) in starts.iter().enumerate() {
            let mut input = bytes[..start].to_vec();
            // Declares limit+1 bytes with the expected sequence id; no payload follows.
            input.extend_from_slice(&[(limit + 1) as u8, ((limit + 1) >> 8) as u8, 0, bytes[start + 3]]);
            let err = run_on(conversation, &input, limit);
            assert!(
                matches!(
                    err,
                    Some(Error::TooLarge {
                        what: "packet",
                        declared: 1001,
                        limit: 1000
                    })
                ),
                "{conversation:?} packet {k}: {err:?}"
            );
        }
    }
}

#[test]
fn a_truncated_payload_at_any_step_is_an_error_not_a_panic() {
    for conversation in CONVERSATIONS {
        let (bytes, starts, first_event) = transcript(conversation);
        for (k, &start) in starts.iter().enumerate() {
            let len = bytes[start] as usize | (bytes[start + 1] as usize) << 8;
            for keep in [0, 1, len / 2, len.saturating_sub(1)] {
                // A greeting without the NUL after the plugin name is valid (MySQL 5.5.7-5.5.9).
                if keep >= len || (k == 0 && keep == len - 1) {
                    continue;
                }
                // Nor is a PEM public key without its final newline, or an auth switch whose
                // 20-byte nonce lacks the NUL after it (clients take the first 20 bytes).
                let dropped = bytes[start + 4 + len - 1];
                let kind = bytes[start + 4];
                if keep == len - 1
                    && ((kind == 1 && dropped == b'\n') || (kind == 0xfe && len > 9 && dropped == 0))
                {
                    continue;
                }
                let mut input = bytes[..start].to_vec();
                input.extend_from_slice(&[keep as u8, (keep >> 8) as u8, 0, bytes[start + 3]]);
                input.extend_from_slice(&bytes[start + 4..start + 4 + keep]);
                let err = run_on(conversation, &input, 1 << 20);
                // Event packets are handed on as they are; everything else must be refused.
                if k < first_event {
                    assert!(
                        err.is_some(),
                        "{conversation:?}: packet {k} cut to {keep} bytes was accepted"
                    );
                }
            }
        }
    }
}

#[test]
fn a_packet_out_of_sequence_is_refused() {
    let (mut bytes, starts, _) = transcript(Conversation::MariadbNative);
    bytes[starts[2] + 3] = 9;
    assert!(matches!(
        run_on(Conversation::MariadbNative, &bytes, 1 << 20),
        Some(Error::PacketOutOfOrder {
            expected: 1,
            found: 9
        })
    ));
}
