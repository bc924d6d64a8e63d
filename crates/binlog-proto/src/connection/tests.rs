//! Scripted-server tests of the connection: every authentication path, queries, errors.

use ::rsa::PrivateKey;
use ::rsa::pkcs8::DecodePrivateKey;
use sha1::Sha1;

use super::*;
use crate::auth::{OaepSeed, scramble_caching_sha2, scramble_native, xor_password_with_nonce};
use crate::handshake::parse_handshake_response;
use crate::packet::Packet;
use crate::testing::*;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus");

fn corpus_file(path: &str) -> Vec<u8> {
    let full = format!("{CORPUS}/{path}");
    std::fs::read(&full).unwrap_or_else(|e| panic!("corpus file {full} is missing ({e})"))
}

fn stop_at_authenticated(out: &Output) -> bool {
    matches!(out, Output::Authenticated)
}

fn options() -> ConnectOptions {
    ConnectOptions::new("repl", "secret").oaep_seed(OaepSeed([9; 20]))
}

#[test]
fn native_password_login_then_a_query_fed_one_byte_at_a_time() {
    let mut script = Script::new(mariadb_greeting())
        .then(|p: &Packet| {
            let response = parse_handshake_response(&p.payload).unwrap();
            assert_eq!(response.user, "repl");
            assert_eq!(response.auth_plugin.as_deref(), Some("mysql_native_password"));
            assert_eq!(response.auth_response, scramble_native(NONCE, b"secret"));
            assert_eq!(response.charset, 45);
            assert!(response.capabilities.contains(Capabilities::DEPRECATE_EOF));
            assert!(!response.capabilities.contains(Capabilities::SSL));
            assert!(
                response
                    .attributes
                    .iter()
                    .any(|(k, v)| k == "_client_name" && v == "binlog-proto")
            );
            assert_eq!(p.seq, 1);
            frame(2, &[ok()])
        })
        .reply(text_result(&["@@log_bin", "x"], &[&[Some("1"), None]], true));
    let mut conn = Connection::new(options());
    let (outputs, ending) = drive(&mut conn, &mut script, 1, stop_at_authenticated);
    assert!(matches!(ending, Ending::Done), "{ending:?}");
    assert_eq!(outputs, vec![Output::Authenticated]);
    assert!(conn.is_ready());
    assert_eq!(conn.handshake().unwrap().flavor(), Flavor::Mariadb);
    // The connection is idle until it is given a command.
    assert_eq!(conn.poll().unwrap(), Output::Idle);
    conn.query("SELECT @@log_bin, NULL").unwrap();
    let (outputs, ending) = drive_more(&mut conn, &mut script, 1);
    assert!(matches!(ending, Ending::Done), "{ending:?}");
    let [Output::Result(QueryResult::Rows(set))] = &outputs[..] else {
        panic!("{outputs:?}");
    };
    assert_eq!(set.value(0, "@@log_bin").as_deref(), Some("1"));
    assert_eq!(set.value(0, "x"), None);
    assert_eq!(script.received[1].payload.as_ref(), b"\x03SELECT @@log_bin, NULL");
    assert_eq!(script.received[1].seq, 0);
}

/// Drives a connection that already went through `drive` (the greeting is not resent).
fn drive_more(conn: &mut Connection, script: &mut Script, chunk: usize) -> (Vec<Output>, Ending<Error>) {
    script.greeting.clear();
    drive(conn, script, chunk, |o| {
        matches!(o, Output::Result(_) | Output::EndOfStream)
    })
}

#[test]
fn caching_sha2_fast_auth() {
    let mut script = Script::new(mysql8_greeting("8.0.36")).then(|p: &Packet| {
        let response = parse_handshake_response(&p.payload).unwrap();
        assert_eq!(response.auth_plugin.as_deref(), Some("caching_sha2_password"));
        assert_eq!(response.auth_response, scramble_caching_sha2(NONCE, b"secret"));
        frame(2, &[vec![1, 3], ok()])
    });
    let mut conn = Connection::new(options());
    let (outputs, ending) = drive(&mut conn, &mut script, 3, stop_at_authenticated);
    assert!(matches!(ending, Ending::Done), "{ending:?}");
    assert_eq!(outputs, vec![Output::Authenticated]);
    assert_eq!(script.received.len(), 1);
}

#[test]
fn an_empty_password_sends_an_empty_auth_response_with_either_plugin() {
    // An empty password is an empty scramble with both plugins (`scramble_native`,
    // `scramble_caching_sha2`), in the handshake response and after an auth switch; the
    // server answers OK (or ERR) without a further round.
    let nonce2 = b"ABCDEFGHIJKLMNOPQRST";
    let switch = [&[0xfe][..], b"mysql_native_password\0", nonce2, b"\0"].concat();
    for (greeting, switch) in [
        (mariadb_greeting(), None),
        (mysql8_greeting("8.4.2"), None),
        (mysql8_greeting("8.4.2"), Some(switch)),
    ] {
        let switched = switch.is_some();
        let mut script = Script::new(greeting).then(move |p: &Packet| {
            let response = parse_handshake_response(&p.payload).unwrap();
            assert_eq!(response.user, "nopass");
            assert!(response.auth_response.is_empty(), "{response:?}");
            frame(2, &[switch.clone().unwrap_or_else(ok)])
        });
        if switched {
            script = script.then(|p: &Packet| {
                assert_eq!(
                    (p.seq, p.payload.as_ref()),
                    (3, &[][..]),
                    "empty scramble after the switch"
                );
                frame(4, &[ok()])
            });
        }
        let mut conn = Connection::new(ConnectOptions::new("nopass", ""));
        let (outputs, ending) = drive(&mut conn, &mut script, 3, stop_at_authenticated);
        assert!(matches!(ending, Ending::Done), "switched {switched}: {ending:?}");
        assert_eq!(outputs, vec![Output::Authenticated]);
    }
}

#[test]
fn caching_sha2_full_auth_over_rsa_with_a_key_request() {
    let private = PrivateKey::from_pkcs8_pem(
        &String::from_utf8(corpus_file("auth/TEST-ONLY-rsa2048-private.pem")).unwrap(),
    )
    .unwrap();
    let pem = corpus_file("auth/TEST-ONLY-rsa2048-public.pem");
    let mut script = Script::new(mysql8_greeting("8.4.2"))
        .reply(vec![vec![1, 4]])
        .then(move |p: &Packet| {
            assert_eq!((p.seq, p.payload.as_ref()), (3, &[2u8][..]), "public key request");
            frame(4, &[[&[1u8][..], &pem].concat()])
        })
        .then(move |p: &Packet| {
            assert_eq!((p.seq, p.payload.len()), (5, 256));
            let plain = private.oaep_decrypt::<Sha1>(&p.payload).unwrap();
            assert_eq!(plain, xor_password_with_nonce(b"secret", NONCE));
            frame(6, &[ok()])
        });
    let mut conn = Connection::new(options());
    let (outputs, ending) = drive(&mut conn, &mut script, 7, stop_at_authenticated);
    assert!(matches!(ending, Ending::Done), "{ending:?}");
    assert_eq!(outputs, vec![Output::Authenticated]);
    assert_eq!(script.received.len(), 3);
}

#[test]
fn caching_sha2_full_auth_over_tls_sends_the_password_in_clear_after_the_upgrade() {
    let mut script = Script::new(mysql8_greeting("8.0.36"))
        .then(|p: &Packet| {
            // The SSLRequest: 32 bytes, CLIENT_SSL; nothing to answer.
            assert_eq!((p.seq, p.payload.len()), (1, 32));
            let request = parse_handshake_response(&p.payload).unwrap();
            assert!(request.capabilities.contains(Capabilities::SSL));
            Vec::new()
        })
        .then(|p: &Packet| {
            assert_eq!(p.seq, 2);
            let response = parse_handshake_response(&p.payload).unwrap();
            assert!(response.capabilities.contains(Capabilities::SSL));
            assert_eq!(response.user, "repl");
            frame(3, &[vec![1, 4]])
        })
        .then(|p: &Packet| {
            assert_eq!((p.seq, p.payload.as_ref()), (4, &b"secret\0"[..]));
            frame(5, &[ok()])
        });
    let mut conn = Connection::new(options().tls(TlsMode::Required));
    let mut saw_start_tls = false;
    let (outputs, ending) = drive(&mut conn, &mut script, 64, |o| {
        saw_start_tls |= matches!(o, Output::StartTls);
        stop_at_authenticated(o)
    });
    assert!(matches!(ending, Ending::Done), "{ending:?}");
    assert_eq!(outputs, vec![Output::Authenticated]);
    assert!(conn.tls_active());
    let _ = saw_start_tls;
}

#[test]
fn tls_required_without_server_support_is_refused() {
    let mut script = Script::new(mariadb_greeting());
    let mut conn = Connection::new(options().tls(TlsMode::Required));
    let (_, ending) = drive(&mut conn, &mut script, 64, stop_at_authenticated);
    assert!(
        matches!(ending, Ending::Error(Error::Unsupported(ref m)) if m.contains("TLS is required")),
        "{ending:?}"
    );
}

#[test]
fn auth_switch_to_caching_sha2_and_to_native() {
    let nonce2 = b"ABCDEFGHIJKLMNOPQRST";
    let switch = |plugin: &str| [&[0xfe][..], plugin.as_bytes(), b"\0", nonce2, b"\0"].concat();
    let mut script = Script::new(mariadb_greeting())
        .reply(vec![switch("caching_sha2_password")])
        .then(move |p: &Packet| {
            assert_eq!(p.seq, 3);
            assert_eq!(p.payload.as_ref(), scramble_caching_sha2(nonce2, b"secret"));
            frame(4, &[vec![1, 3], ok()])
        });
    let mut conn = Connection::new(options());
    let (outputs, ending) = drive(&mut conn, &mut script, 5, stop_at_authenticated);
    assert!(matches!(ending, Ending::Done), "{ending:?}");
    assert_eq!(outputs, vec![Output::Authenticated]);

    let mut script = Script::new(mysql8_greeting("8.4.2"))
        .reply(vec![switch("mysql_native_password")])
        .then(move |p: &Packet| {
            assert_eq!(p.payload.as_ref(), scramble_native(nonce2, b"secret"));
            frame(4, &[ok()])
        });
    let mut conn = Connection::new(options());
    let (_, ending) = drive(&mut conn, &mut script, 5, stop_at_authenticated);
    assert!(matches!(ending, Ending::Done), "{ending:?}");
}

#[test]
fn unknown_plugins_and_clear_text_without_tls_are_refused_by_name() {
    let switch = |plugin: &str| [&[0xfe][..], plugin.as_bytes(), b"\0", NONCE, b"\0"].concat();
    let mut script = Script::new(mariadb_greeting()).reply(vec![switch("client_ed25519")]);
    let mut conn = Connection::new(options());
    let (_, ending) = drive(&mut conn, &mut script, 64, stop_at_authenticated);
    let Ending::Error(Error::Unsupported(message)) = ending else {
        panic!("{ending:?}");
    };
    assert!(message.contains("client_ed25519"), "{message}");

    let mut script = Script::new(mariadb_greeting()).reply(vec![switch("mysql_clear_password")]);
    let mut conn = Connection::new(options());
    let (_, ending) = drive(&mut conn, &mut script, 64, stop_at_authenticated);
    assert!(
        matches!(&ending, Ending::Error(Error::Auth { plugin, reason }) if plugin == "mysql_clear_password" && reason.contains("without TLS")),
        "{ending:?}"
    );
    // An unknown default plugin in the greeting is not an error: native is tried first.
    let mut script = Script::new(greeting(
        "11.4.2-MariaDB",
        MARIADB_CAPS,
        "client_ed25519",
        Some(0),
    ))
    .then(|p: &Packet| {
        let response = parse_handshake_response(&p.payload).unwrap();
        assert_eq!(response.auth_plugin.as_deref(), Some("mysql_native_password"));
        frame(2, &[ok()])
    });
    let mut conn = Connection::new(options());
    let (_, ending) = drive(&mut conn, &mut script, 64, stop_at_authenticated);
    assert!(matches!(ending, Ending::Done), "{ending:?}");
}

#[test]
fn wrong_password_is_server_error_1045_and_final() {
    let message = "Access denied for user 'repl'@'localhost' (using password: YES)";
    let mut script = Script::new(mariadb_greeting()).reply(vec![err(1045, "28000", message)]);
    let mut conn = Connection::new(options());
    let (_, ending) = drive(&mut conn, &mut script, 64, stop_at_authenticated);
    let Ending::Error(Error::Server(e)) = ending else {
        panic!("{ending:?}");
    };
    assert_eq!(
        (e.code, e.sql_state.as_deref(), e.message.as_str()),
        (1045, Some("28000"), message)
    );
    // Final: the same error again, and no command is accepted.
    assert!(matches!(conn.poll(), Err(Error::Server(ref again)) if again.code == 1045));
    assert!(matches!(conn.query("SELECT 1"), Err(Error::InvalidState { .. })));
}

#[test]
fn a_failing_query_leaves_the_connection_usable() {
    let mut script = Script::new(mariadb_greeting())
        .reply(vec![ok()])
        .reply(vec![err(1146, "42S02", "Table 'x.y' doesn't exist")])
        .reply(vec![ok()]);
    let mut conn = Connection::new(options());
    drive(&mut conn, &mut script, 64, stop_at_authenticated);
    conn.query("SELECT * FROM x.y").unwrap();
    let (_, ending) = drive_more(&mut conn, &mut script, 64);
    assert!(
        matches!(ending, Ending::Error(Error::Server(ref e)) if e.code == 1146),
        "{ending:?}"
    );
    assert!(conn.is_ready());
    conn.ping().unwrap();
    let (outputs, _) = drive_more(&mut conn, &mut script, 64);
    assert!(matches!(outputs[..], [Output::Result(QueryResult::Ok(_))]));
}

#[test]
fn commands_are_refused_before_authentication() {
    let mut conn = Connection::new(options());
    assert!(matches!(
        conn.query("SELECT 1"),
        Err(Error::InvalidState {
            state: "greeting",
            ..
        })
    ));
    assert!(matches!(conn.tls_established(), Err(Error::InvalidState { .. })));
    assert_eq!(conn.poll().unwrap(), Output::NeedMoreData);
}

#[test]
fn an_err_instead_of_a_greeting_is_reported() {
    let mut conn = Connection::new(options());
    conn.feed(&frame(0, &[b"\xff\x10\x04Too many connections".to_vec()]));
    assert!(matches!(conn.poll(), Err(Error::Server(ref e)) if e.code == 1040));
}

#[test]
fn unexpected_packets_during_authentication_are_typed_errors() {
    let mut script = Script::new(mariadb_greeting()).reply(vec![vec![0x42, 1, 2]]);
    let mut conn = Connection::new(options());
    let (_, ending) = drive(&mut conn, &mut script, 64, stop_at_authenticated);
    assert!(
        matches!(
            ending,
            Ending::Error(Error::UnexpectedPacket {
                state: "authentication",
                first_byte: 0x42
            })
        ),
        "{ending:?}"
    );
}
