//! Test support: packets a server would send, and a scripted in-memory server that answers a
//! connection's packets one by one.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};

use crate::codec::put_lenenc_bytes;
use crate::packet::{Packet, PacketReader, write_packet};

/// Frames `payloads` as consecutive packets starting at sequence id `seq`.
pub(crate) fn frame(seq: u8, payloads: &[Vec<u8>]) -> Vec<u8> {
    let mut out = BytesMut::new();
    let mut seq = seq;
    for p in payloads {
        write_packet(&mut out, &mut seq, p);
    }
    out.to_vec()
}

pub(crate) const NONCE: &[u8; 20] = b"0123456789abcdefghij";

/// A protocol-10 greeting.
pub(crate) fn greeting(version: &str, caps: u32, plugin: &str, mariadb_ext: Option<u32>) -> Vec<u8> {
    let mut p = vec![10];
    p.extend_from_slice(version.as_bytes());
    p.push(0);
    p.extend_from_slice(&42u32.to_le_bytes());
    p.extend_from_slice(&NONCE[..8]);
    p.push(0);
    let caps = match mariadb_ext {
        Some(_) => caps & !1,
        None => caps,
    };
    p.extend_from_slice(&(caps as u16).to_le_bytes());
    p.push(45);
    p.extend_from_slice(&2u16.to_le_bytes());
    p.extend_from_slice(&((caps >> 16) as u16).to_le_bytes());
    p.push(21);
    p.extend_from_slice(&[0; 6]);
    p.extend_from_slice(&mariadb_ext.unwrap_or(0).to_le_bytes());
    p.extend_from_slice(&NONCE[8..]);
    p.push(0);
    p.extend_from_slice(plugin.as_bytes());
    p.push(0);
    p
}

/// Capabilities of a MariaDB 10.11 server (without SSL).
pub(crate) const MARIADB_CAPS: u32 = 0xa1ff_f7fe;
/// Capabilities of a MySQL 8.0 server (with SSL).
pub(crate) const MYSQL8_CAPS: u32 = 0xdfff_ffff;

pub(crate) fn mariadb_greeting() -> Vec<u8> {
    greeting(
        "5.5.5-10.11.6-MariaDB-log",
        MARIADB_CAPS,
        "mysql_native_password",
        Some(0x1d),
    )
}

pub(crate) fn mysql8_greeting(version: &str) -> Vec<u8> {
    greeting(version, MYSQL8_CAPS, "caching_sha2_password", None)
}

pub(crate) fn ok() -> Vec<u8> {
    vec![0, 0, 0, 2, 0, 0, 0]
}

pub(crate) fn eof() -> Vec<u8> {
    vec![0xfe, 0, 0, 2, 0]
}

pub(crate) fn err(code: u16, state: &str, message: &str) -> Vec<u8> {
    let mut p = vec![0xff];
    p.extend_from_slice(&code.to_le_bytes());
    p.push(b'#');
    p.extend_from_slice(state.as_bytes());
    p.extend_from_slice(message.as_bytes());
    p
}

pub(crate) fn column(name: &str) -> Vec<u8> {
    let mut p = Vec::new();
    for s in ["def", "", "", "", name, name] {
        put_lenenc_bytes(&mut p, s.as_bytes());
    }
    p.extend_from_slice(&[0x0c, 45, 0, 0, 1, 0, 0, 253, 0, 0, 0, 0, 0]);
    p
}

/// The payloads of a text result set; `deprecate_eof` selects the OK-terminated form.
pub(crate) fn text_result(columns: &[&str], rows: &[&[Option<&str>]], deprecate_eof: bool) -> Vec<Vec<u8>> {
    let mut out = vec![vec![columns.len() as u8]];
    out.extend(columns.iter().map(|c| column(c)));
    if !deprecate_eof {
        out.push(eof());
    }
    for row in rows {
        let mut p = Vec::new();
        for v in *row {
            match v {
                Some(s) => put_lenenc_bytes(&mut p, s.as_bytes()),
                None => p.push(0xfb),
            }
        }
        out.push(p);
    }
    out.push(if deprecate_eof {
        vec![0xfe, 0, 0, 2, 0, 0, 0]
    } else {
        eof()
    });
    out
}

/// The variables a healthy MariaDB / MySQL reports.
pub(crate) fn variables(deprecate_eof: bool, checksum: &str, format: &str) -> Vec<Vec<u8>> {
    text_result(
        &["Variable_name", "Value"],
        &[
            &[Some("binlog_checksum"), Some(checksum)],
            &[Some("binlog_format"), Some(format)],
            &[Some("binlog_row_image"), Some("FULL")],
            &[Some("log_bin"), Some("ON")],
            &[Some("server_id"), Some("1")],
        ],
        deprecate_eof,
    )
}

/// A binlog event payload as the server sends it: 0x00 then a 19-byte header and `body`.
pub(crate) fn event(type_code: u8, body: &[u8]) -> Vec<u8> {
    let mut p = vec![0];
    p.extend_from_slice(&0u32.to_le_bytes());
    p.push(type_code);
    p.extend_from_slice(&1u32.to_le_bytes());
    p.extend_from_slice(&(19 + body.len() as u32).to_le_bytes());
    p.extend_from_slice(&0u32.to_le_bytes());
    p.extend_from_slice(&0u16.to_le_bytes());
    p.extend_from_slice(body);
    p
}

type Responder = Box<dyn FnMut(&Packet) -> Vec<u8>>;

/// A server that speaks first with `greeting`, then answers each client packet with the next
/// responder's bytes.
pub(crate) struct Script {
    pub(crate) greeting: Vec<u8>,
    responders: VecDeque<Responder>,
    /// Every client packet received, in order.
    pub(crate) received: Vec<Packet>,
    /// Everything the server sent, in order (the transcript).
    pub(crate) sent: Vec<u8>,
}

impl Script {
    pub(crate) fn new(greeting: Vec<u8>) -> Self {
        Script {
            greeting: frame(0, &[greeting]),
            responders: VecDeque::new(),
            received: Vec::new(),
            sent: Vec::new(),
        }
    }

    /// Adds a responder.
    pub(crate) fn then(mut self, responder: impl FnMut(&Packet) -> Vec<u8> + 'static) -> Self {
        self.responders.push_back(Box::new(responder));
        self
    }

    /// Adds a responder that sends `payloads` after the client packet's sequence id.
    pub(crate) fn reply(self, payloads: Vec<Vec<u8>>) -> Self {
        self.then(move |p| frame(p.seq.wrapping_add(1), &payloads))
    }
}

/// How a drive ended.
#[derive(Debug)]
pub(crate) enum Ending<E> {
    /// The driven machine returned an error.
    Error(E),
    /// The script had nothing more to say while the machine wanted data.
    Starved,
    /// The stop condition was met.
    Done,
}

/// A poll-driven machine (connection or session) under test.
pub(crate) trait Driven {
    type Out: std::fmt::Debug;
    type Err: std::fmt::Debug;
    fn poll(&mut self) -> Result<Self::Out, Self::Err>;
    fn feed(&mut self, data: &[u8]);
    /// Bytes to send, if `out` says so.
    fn as_send(out: &Self::Out) -> Option<Bytes>;
    fn needs_data(out: &Self::Out) -> bool;
    fn start_tls(&mut self, out: &Self::Out) -> bool;
}

/// Runs `machine` against `script`, feeding the server's bytes `chunk` at a time, until `stop`
/// says so, an error, or starvation. Returns the outputs other than sends and data requests.
pub(crate) fn drive<M: Driven>(
    machine: &mut M,
    script: &mut Script,
    chunk: usize,
    mut stop: impl FnMut(&M::Out) -> bool,
) -> (Vec<M::Out>, Ending<M::Err>) {
    let mut to_feed: VecDeque<u8> = script.greeting.iter().copied().collect();
    script.sent.extend_from_slice(&script.greeting);
    let mut client = PacketReader::default();
    client.set_check_sequence(false);
    let mut outputs = Vec::new();
    for _ in 0..100_000 {
        let out = match machine.poll() {
            Ok(out) => out,
            Err(e) => return (outputs, Ending::Error(e)),
        };
        if let Some(bytes) = M::as_send(&out) {
            client.feed(&bytes);
            while let Some(packet) = client.next_packet().unwrap() {
                let Some(mut responder) = script.responders.pop_front() else {
                    panic!("client sent {packet:?} after the end of the script");
                };
                let reply = responder(&packet);
                script.sent.extend_from_slice(&reply);
                to_feed.extend(reply);
                script.received.push(packet);
            }
            continue;
        }
        if M::needs_data(&out) {
            if to_feed.is_empty() {
                return (outputs, Ending::Starved);
            }
            let n = chunk.min(to_feed.len());
            let piece: Vec<u8> = to_feed.drain(..n).collect();
            machine.feed(&piece);
            continue;
        }
        if machine.start_tls(&out) {
            continue;
        }
        let done = stop(&out);
        outputs.push(out);
        if done {
            return (outputs, Ending::Done);
        }
    }
    panic!("no progress after 100000 polls");
}

impl Driven for crate::connection::Connection {
    type Out = crate::connection::Output;
    type Err = crate::Error;
    fn poll(&mut self) -> Result<Self::Out, Self::Err> {
        crate::connection::Connection::poll(self)
    }
    fn feed(&mut self, data: &[u8]) {
        crate::connection::Connection::feed(self, data)
    }
    fn as_send(out: &Self::Out) -> Option<Bytes> {
        match out {
            crate::connection::Output::Send(b) => Some(b.clone()),
            _ => None,
        }
    }
    fn needs_data(out: &Self::Out) -> bool {
        matches!(out, crate::connection::Output::NeedMoreData)
    }
    fn start_tls(&mut self, out: &Self::Out) -> bool {
        if matches!(out, crate::connection::Output::StartTls) {
            self.tls_established().unwrap();
            return true;
        }
        false
    }
}

impl Driven for crate::session::ReplicationSession {
    type Out = crate::session::Step;
    type Err = crate::Error;
    fn poll(&mut self) -> Result<Self::Out, Self::Err> {
        crate::session::ReplicationSession::poll(self)
    }
    fn feed(&mut self, data: &[u8]) {
        crate::session::ReplicationSession::feed(self, data)
    }
    fn as_send(out: &Self::Out) -> Option<Bytes> {
        match out {
            crate::session::Step::Send(b) => Some(b.clone()),
            _ => None,
        }
    }
    fn needs_data(out: &Self::Out) -> bool {
        matches!(out, crate::session::Step::NeedMoreData)
    }
    fn start_tls(&mut self, out: &Self::Out) -> bool {
        if matches!(out, crate::session::Step::StartTls) {
            self.tls_established().unwrap();
            return true;
        }
        false
    }
}
