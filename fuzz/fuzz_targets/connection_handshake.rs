//! The client connection (greeting, TLS upgrade, every authentication path, then one query)
//! driven by arbitrary server bytes. Invariants: never a panic or an endless loop; every
//! `Send` is whole, well-framed packets; the first packet after the greeting is an SSLRequest
//! or a handshake response naming our user; `Authenticated` leaves the connection ready.
#![no_main]

#[path = "common/mod.rs"]
mod common;

use binlog_proto::auth::OaepSeed;
use binlog_proto::connection::{ConnectOptions, Connection, Output, TlsMode};
use binlog_proto::handshake::parse_handshake_response;
use binlog_proto::packet::PacketReader;
use libfuzzer_sys::fuzz_target;

fn check_framed(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut reader = PacketReader::new(1 << 24);
    reader.set_check_sequence(false);
    reader.feed(bytes);
    let mut packets = Vec::new();
    while let Some(p) = reader.next_packet().expect("client packets are well framed") {
        packets.push(p.payload.to_vec());
    }
    assert_eq!(reader.buffered(), 0, "a Send holds whole packets");
    packets
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, data)) = data.split_first() else {
        return;
    };
    let tls = match mode & 3 {
        0 => TlsMode::Disabled,
        1 => TlsMode::Preferred,
        _ => TlsMode::Required,
    };
    let mut options = ConnectOptions::new("fuzzuser", "secret")
        .tls(tls)
        .oaep_seed(OaepSeed([7; 20]))
        .deprecate_eof(mode & 4 != 0)
        .allow_server_key_request(mode & 8 != 0)
        .secure_transport(mode & 16 != 0)
        .max_packet_size(1 << 16)
        .max_result_set_size(1 << 18);
    if mode & 32 != 0 {
        options = options.database("db");
    }
    // Structured mode: length-prefixed payloads framed from sequence id 0 (the fuzzer then
    // works on payloads); raw mode: the bytes as they come off the socket.
    let bytes = if mode & 64 != 0 {
        let payloads = common::payloads(data);
        let mut out = Vec::new();
        for (i, p) in payloads.iter().enumerate() {
            // The greeting is seq 0; each later server packet follows one client packet.
            out.extend(common::frame((i * 2) as u8, &[p]));
        }
        out
    } else {
        data.to_vec()
    };
    let mut conn = Connection::new(options);
    let mut pieces = bytes.chunks(bytes.len() / 2 + 1);
    let mut sends = 0usize;
    let mut queried = false;
    for _ in 0..10_000 {
        match conn.poll() {
            Ok(Output::NeedMoreData) => match pieces.next() {
                Some(piece) => conn.feed(piece),
                None => return,
            },
            Ok(Output::Send(out)) => {
                let packets = check_framed(&out);
                if sends == 0 {
                    assert_eq!(packets.len(), 1);
                    let first = &packets[0];
                    if conn
                        .capabilities()
                        .contains(binlog_proto::capabilities::Capabilities::SSL)
                    {
                        assert_eq!(first.len(), 32, "SSLRequest");
                    } else {
                        let response = parse_handshake_response(first).expect("our own response parses");
                        assert_eq!(response.user, "fuzzuser");
                    }
                }
                sends += 1;
            }
            Ok(Output::StartTls) => {
                let _ = conn.tls_established();
            }
            Ok(Output::Authenticated) => {
                assert!(conn.is_ready());
                if !queried {
                    queried = true;
                    conn.query("SELECT 1").expect("a ready connection takes a query");
                }
            }
            Ok(Output::Idle) => {
                if queried || !conn.is_ready() {
                    return;
                }
                queried = true;
                let _ = conn.query("SELECT 1");
            }
            Ok(_) => {}
            Err(_) => {
                // Failed for good, or a recoverable server error: one more poll must not panic.
                let _ = conn.poll();
                return;
            }
        }
    }
    panic!("no progress after 10000 polls");
});
