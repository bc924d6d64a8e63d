//! A client connection as a sans-IO state machine: greeting → (TLS) → authentication → ready,
//! then commands (text queries, replica registration, binlog dump) one at a time.
//!
//! The caller moves bytes: it appends what the socket delivers with [`Connection::feed`] (or
//! reads straight into [`Connection::read_buffer`]) and calls [`Connection::poll`] until it
//! returns [`Output::NeedMoreData`] (read more) or [`Output::Idle`] (issue a command). Every
//! [`Output::Send`] must be written to the socket in order.
//!
//! Errors: an [`Error::Server`] answering a command (a failing query, a refused dump) leaves the
//! connection ready for the next command. Every other error, and any error before the
//! connection is ready (e.g. 1045 access denied), is fatal: `poll` then keeps returning it.
//!
//! ```
//! use binlog_proto::connection::{ConnectOptions, Connection, Output};
//! use binlog_proto::resultset::QueryResult;
//!
//! # fn packet(seq: u8, payload: &[u8]) -> Vec<u8> {
//! #     let mut p = (payload.len() as u32).to_le_bytes()[..3].to_vec();
//! #     p.push(seq);
//! #     p.extend_from_slice(payload);
//! #     p
//! # }
//! # let mut greeting = vec![10];
//! # greeting.extend_from_slice(b"8.0.36\0\x07\0\0\0abcdefgh\0");
//! # greeting.extend_from_slice(&[0xff, 0xf7, 45, 2, 0, 0xbf, 0x80, 21, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
//! # greeting.extend_from_slice(b"ijklmnopqrst\0mysql_native_password\0");
//! let mut conn = Connection::new(ConnectOptions::new("app", "secret"));
//! assert_eq!(conn.poll()?, Output::NeedMoreData);
//! conn.feed(&packet(0, &greeting)); // the server speaks first
//! let Output::Send(login) = conn.poll()? else { panic!() };
//! assert_eq!(login[3], 1); // HandshakeResponse41, sequence id 1
//! conn.feed(&packet(2, &[0, 0, 0, 2, 0, 0, 0])); // OK
//! assert_eq!(conn.poll()?, Output::Authenticated);
//! assert_eq!(conn.poll()?, Output::Idle);
//!
//! conn.query("SET @x = 1")?;
//! let Output::Send(query) = conn.poll()? else { panic!() };
//! assert_eq!(&query[4..], b"\x03SET @x = 1");
//! conn.feed(&packet(1, &[0, 0, 0, 2, 0, 0, 0]));
//! assert!(matches!(conn.poll()?, Output::Result(QueryResult::Ok(_))));
//! # Ok::<(), binlog_proto::Error>(())
//! ```

mod options;

use bytes::{Bytes, BytesMut};

pub use self::options::{ConnectOptions, TlsMode};

use crate::auth::{AuthInput, AuthPlugin, Authenticator, parse_auth_switch_request};
use crate::capabilities::{Capabilities, MariadbCapabilities};
use crate::command::{self, CommandCode, RegisterReplica};
use crate::error::{Error, Result};
use crate::handshake::{
    CHARSET_UTF8_GENERAL_CI, CHARSET_UTF8MB4_GENERAL_CI, Flavor, HandshakeResponse, InitialHandshake,
    ServerVersion, encode_ssl_request, parse_initial_handshake,
};
use crate::limits::MAX_AUTH_SWITCHES;
use crate::packet::{PacketReader, write_packet};
use crate::response::{self, OK_HEADER};
use crate::resultset::{QueryResult, ResultSetReader};

/// First byte of an AuthMoreData packet.
const AUTH_MORE_DATA: u8 = 0x01;

/// Capabilities this client uses when the server offers them.
const CLIENT_CAPABILITIES: Capabilities = Capabilities(
    Capabilities::LONG_PASSWORD.0
        | Capabilities::LONG_FLAG.0
        | Capabilities::PROTOCOL_41.0
        | Capabilities::TRANSACTIONS.0
        | Capabilities::SECURE_CONNECTION.0
        | Capabilities::PLUGIN_AUTH.0
        | Capabilities::PLUGIN_AUTH_LENENC_CLIENT_DATA.0,
);

/// What [`Connection::poll`] asks the caller to do or reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Output {
    /// Write these bytes to the server, then poll again.
    Send(Bytes),
    /// Perform the TLS handshake on the socket now, then call
    /// [`Connection::tls_established`] and poll again.
    StartTls,
    /// Read more bytes from the server and [`feed`](Connection::feed) them.
    NeedMoreData,
    /// Authentication succeeded; the connection is ready for commands.
    Authenticated,
    /// No command in flight: issue one (or close the connection).
    Idle,
    /// The answer to [`Connection::query`], [`Connection::ping`] or
    /// [`Connection::register_replica`].
    Result(QueryResult),
    /// One binlog event (the bytes after the packet's 0x00 marker, header included, checksum
    /// trailer included when the stream has one).
    Event(Bytes),
    /// The binlog stream ended (EOF in non-blocking mode); the connection is ready again.
    EndOfStream,
}

#[derive(Debug)]
enum State {
    AwaitGreeting,
    /// The SSLRequest is written; `StartTls` is reported next.
    TlsRequested,
    /// Waiting for [`Connection::tls_established`].
    TlsInProgress,
    Auth(Authenticator),
    Ready,
    Query(ResultSetReader),
    /// A command answered by OK or ERR (ping, register).
    AwaitOk(&'static str),
    Stream,
    Closed,
    Failed(Error),
}

impl State {
    fn name(&self) -> &'static str {
        match self {
            State::AwaitGreeting => "greeting",
            State::TlsRequested | State::TlsInProgress => "TLS upgrade",
            State::Auth(_) => "authentication",
            State::Ready => "ready",
            State::Query(reader) => reader.state(),
            State::AwaitOk(what) => what,
            State::Stream => "binlog stream",
            State::Closed => "closed",
            State::Failed(_) => "failed",
        }
    }
}

/// A client connection; see the [module documentation](self).
#[derive(Debug)]
pub struct Connection {
    options: ConnectOptions,
    reader: PacketReader,
    out: BytesMut,
    state: State,
    handshake: Option<InitialHandshake>,
    capabilities: Capabilities,
    tls_active: bool,
    auth_switches: u8,
}

impl Connection {
    /// A connection that waits for the server's greeting.
    pub fn new(options: ConnectOptions) -> Self {
        Connection {
            reader: PacketReader::new(options.max_packet_size),
            options,
            out: BytesMut::new(),
            state: State::AwaitGreeting,
            handshake: None,
            capabilities: Capabilities(0),
            tls_active: false,
            auth_switches: 0,
        }
    }

    /// Appends bytes received from the server.
    pub fn feed(&mut self, data: &[u8]) {
        self.reader.feed(data);
    }

    /// The receive buffer, to read into directly (saves the copy [`Connection::feed`] makes).
    pub fn read_buffer(&mut self) -> &mut BytesMut {
        self.reader.buffer_mut()
    }

    /// The server's greeting, once received.
    pub fn handshake(&self) -> Option<&InitialHandshake> {
        self.handshake.as_ref()
    }

    /// The capabilities in use (server's ∩ client's), once the greeting is answered.
    pub fn capabilities(&self) -> Capabilities {
        self.capabilities
    }

    /// True when TLS was established.
    pub fn tls_active(&self) -> bool {
        self.tls_active
    }

    /// True when a command can be issued.
    pub fn is_ready(&self) -> bool {
        matches!(self.state, State::Ready)
    }

    /// The current state's name (for logs and errors).
    pub fn state_name(&self) -> &'static str {
        self.state.name()
    }

    /// Advances the state machine; see [`Output`].
    pub fn poll(&mut self) -> Result<Output> {
        if let State::Failed(e) = &self.state {
            return Err(e.clone());
        }
        if !self.out.is_empty() {
            return Ok(Output::Send(self.out.split().freeze()));
        }
        match self.step() {
            Ok(output) => Ok(output),
            Err(Error::Server(e)) if self.command_error_is_recoverable() => {
                self.state = State::Ready;
                Err(Error::Server(e))
            }
            Err(e) => {
                self.state = State::Failed(e.clone());
                Err(e)
            }
        }
    }

    /// Server errors answering a command after authentication leave the connection usable.
    fn command_error_is_recoverable(&self) -> bool {
        matches!(self.state, State::Query(_) | State::AwaitOk(_) | State::Stream)
    }

    fn step(&mut self) -> Result<Output> {
        loop {
            match self.state {
                State::TlsRequested => {
                    self.state = State::TlsInProgress;
                    return Ok(Output::StartTls);
                }
                State::TlsInProgress => return Ok(Output::StartTls),
                State::Closed => return Ok(Output::Idle),
                _ => {}
            }
            let Some(packet) = self.reader.next_packet()? else {
                return Ok(if matches!(self.state, State::Ready) {
                    Output::Idle
                } else {
                    Output::NeedMoreData
                });
            };
            if let Some(output) = self.on_packet(packet.payload)? {
                return Ok(output);
            }
            if !self.out.is_empty() {
                return Ok(Output::Send(self.out.split().freeze()));
            }
        }
    }

    /// Handles one packet; `None` when it produced nothing to report (bytes to send may have
    /// been queued).
    fn on_packet(&mut self, payload: Bytes) -> Result<Option<Output>> {
        let first = payload.first().copied().unwrap_or(0);
        match &mut self.state {
            State::Query(reader) => {
                let result = reader.on_packet(payload)?;
                Ok(result.map(|result| {
                    self.state = State::Ready;
                    Output::Result(result)
                }))
            }
            State::AwaitOk(what) => match first {
                OK_HEADER => {
                    let ok = response::parse_ok(&payload, self.capabilities)?;
                    self.state = State::Ready;
                    Ok(Some(Output::Result(QueryResult::Ok(ok))))
                }
                response::ERR_HEADER => Err(Error::Server(response::parse_err(&payload)?)),
                _ => Err(Error::UnexpectedPacket {
                    state: what,
                    first_byte: first,
                }),
            },
            State::Stream => match first {
                OK_HEADER if !payload.is_empty() => Ok(Some(Output::Event(payload.slice(1..)))),
                _ if response::is_eof(&payload) => {
                    self.state = State::Ready;
                    Ok(Some(Output::EndOfStream))
                }
                response::ERR_HEADER => Err(Error::Server(response::parse_err(&payload)?)),
                _ => Err(Error::UnexpectedPacket {
                    state: "binlog stream",
                    first_byte: first,
                }),
            },
            State::AwaitGreeting => {
                self.state = State::Closed;
                self.on_greeting(&payload)
            }
            State::Auth(_) => {
                let State::Auth(auth) = std::mem::replace(&mut self.state, State::Closed) else {
                    return Ok(None);
                };
                self.on_auth_packet(auth, &payload)
            }
            state => {
                // A server closing an idle connection says why with an ERR packet.
                if response::is_err(&payload) {
                    return Err(Error::Server(response::parse_err(&payload)?));
                }
                Err(Error::UnexpectedPacket {
                    state: state.name(),
                    first_byte: first,
                })
            }
        }
    }

    fn on_greeting(&mut self, payload: &[u8]) -> Result<Option<Output>> {
        let handshake = parse_initial_handshake(payload)?;
        let server = handshake.capabilities;
        for (needed, what) in [
            (Capabilities::PROTOCOL_41, "the 4.1 protocol (CLIENT_PROTOCOL_41)"),
            (
                Capabilities::SECURE_CONNECTION,
                "4.1 authentication (CLIENT_SECURE_CONNECTION)",
            ),
        ] {
            if !server.contains(needed) {
                return Err(Error::Unsupported(format!(
                    "server {} does not speak {what}",
                    handshake.server_version
                )));
            }
        }
        let mut wanted = CLIENT_CAPABILITIES;
        if self.options.database.is_some() {
            wanted |= Capabilities::CONNECT_WITH_DB;
        }
        if !self.options.attributes.is_empty() {
            wanted |= Capabilities::CONNECT_ATTRS;
        }
        if self.options.deprecate_eof {
            wanted |= Capabilities::DEPRECATE_EOF;
        }
        let use_tls = match self.options.tls {
            TlsMode::Disabled => false,
            TlsMode::Preferred => server.contains(Capabilities::SSL),
            TlsMode::Required if server.contains(Capabilities::SSL) => true,
            TlsMode::Required => {
                return Err(Error::Unsupported(format!(
                    "TLS is required but server {} does not offer it",
                    handshake.server_version
                )));
            }
        };
        if use_tls {
            wanted |= Capabilities::SSL;
        }
        self.capabilities = wanted & server;
        self.handshake = Some(handshake);
        if use_tls {
            let payload = encode_ssl_request(
                self.capabilities,
                self.max_packet_to_announce(),
                self.charset(),
                MariadbCapabilities(0),
            );
            self.write(&payload);
            self.state = State::TlsRequested;
            return Ok(None);
        }
        self.send_handshake_response()?;
        Ok(None)
    }

    /// Called by the driver once the TLS handshake on the socket has completed.
    pub fn tls_established(&mut self) -> Result<()> {
        if !matches!(self.state, State::TlsInProgress | State::TlsRequested) {
            return Err(Error::InvalidState {
                state: self.state.name(),
                action: "finish a TLS upgrade",
            });
        }
        self.tls_active = true;
        if let Err(e) = self.send_handshake_response() {
            self.state = State::Failed(e.clone());
            return Err(e);
        }
        Ok(())
    }

    fn charset(&self) -> u8 {
        match &self.handshake {
            Some(hs) if hs.flavor() == Flavor::Mysql && hs.version() < ServerVersion::new(5, 5, 3) => {
                CHARSET_UTF8_GENERAL_CI
            }
            _ => CHARSET_UTF8MB4_GENERAL_CI,
        }
    }

    fn max_packet_to_announce(&self) -> u32 {
        u32::try_from(self.options.max_packet_size).unwrap_or(u32::MAX)
    }

    /// Picks the first plugin and writes the HandshakeResponse41.
    fn send_handshake_response(&mut self) -> Result<()> {
        let Some(handshake) = &self.handshake else {
            return Err(Error::InvalidState {
                state: self.state.name(),
                action: "answer a greeting not yet received",
            });
        };
        // The server's default plugin when we know it; otherwise native, and the server switches
        // us to the account's plugin (then an unknown plugin is reported by name).
        let plugin = handshake
            .auth_plugin
            .as_deref()
            .and_then(AuthPlugin::from_name)
            .unwrap_or(AuthPlugin::MysqlNativePassword);
        let plugin = match plugin {
            // Never volunteer the password in clear: start with a scramble and let the server
            // switch to the clear-text plugin if the account really uses it.
            AuthPlugin::MysqlClearPassword => AuthPlugin::MysqlNativePassword,
            other => other,
        };
        let nonce = handshake.nonce.clone();
        let (auth, first) = Authenticator::start(plugin, &nonce, &mut self.auth_input())?;
        // Without the length-encoded form the response length is one byte (pre-5.6 servers).
        if first.len() > 255
            && !self
                .capabilities
                .contains(Capabilities::PLUGIN_AUTH_LENENC_CLIENT_DATA)
        {
            return Err(Error::Unsupported(format!(
                "a {}-byte first {} response to a server without CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA",
                first.len(),
                plugin.name()
            )));
        }
        let response = HandshakeResponse {
            capabilities: self.capabilities,
            max_packet_size: self.max_packet_to_announce(),
            charset: self.charset(),
            mariadb_capabilities: MariadbCapabilities(0),
            user: self.options.user.clone(),
            auth_response: first,
            database: self.options.database.clone(),
            auth_plugin: Some(plugin.name().to_owned()),
            attributes: self.options.attributes.clone(),
        };
        let payload = response.encode();
        self.write(&payload);
        self.state = State::Auth(auth);
        Ok(())
    }

    fn auth_input(&mut self) -> AuthInput<'_> {
        AuthInput {
            password: self.options.password.as_bytes(),
            secure: self.tls_active || self.options.secure_transport,
            server_key: self.options.server_key.as_ref(),
            allow_key_request: self.options.allow_server_key_request,
            oaep_seed: &mut self.options.oaep_seed,
        }
    }

    fn on_auth_packet(&mut self, mut auth: Authenticator, payload: &[u8]) -> Result<Option<Output>> {
        let first = payload.first().copied().unwrap_or(0);
        match first {
            OK_HEADER => {
                response::parse_ok(payload, self.capabilities)?;
                self.state = State::Ready;
                Ok(Some(Output::Authenticated))
            }
            response::ERR_HEADER => Err(Error::Server(response::parse_err(payload)?)),
            response::EOF_HEADER => {
                let request = parse_auth_switch_request(payload)?;
                self.auth_switches = self.auth_switches.saturating_add(1);
                if self.auth_switches > MAX_AUTH_SWITCHES {
                    return Err(Error::Auth {
                        plugin: request.plugin,
                        reason: format!("more than {MAX_AUTH_SWITCHES} authentication plugin switches"),
                    });
                }
                let plugin = AuthPlugin::from_name(&request.plugin)
                    .ok_or_else(|| Error::Unsupported(format!("authentication plugin {}", request.plugin)))?;
                let (auth, response) = Authenticator::start(plugin, &request.nonce, &mut self.auth_input())?;
                self.write(&response);
                self.state = State::Auth(auth);
                Ok(None)
            }
            AUTH_MORE_DATA => {
                let data = payload.get(1..).unwrap_or_default();
                let reply = auth.more_data(data, &mut self.auth_input())?;
                if let Some(reply) = reply {
                    self.write(&reply);
                }
                self.state = State::Auth(auth);
                Ok(None)
            }
            _ => Err(Error::UnexpectedPacket {
                state: "authentication",
                first_byte: first,
            }),
        }
    }

    /// Frames `payload` continuing the current sequence.
    fn write(&mut self, payload: &[u8]) {
        let mut seq = self.reader.next_seq();
        write_packet(&mut self.out, &mut seq, payload);
        self.reader.set_next_seq(seq);
    }

    fn start_command(&mut self, action: &'static str, payload: &[u8], next: State) -> Result<()> {
        if !matches!(self.state, State::Ready) {
            return Err(Error::InvalidState {
                state: self.state.name(),
                action,
            });
        }
        self.reader.set_next_seq(0);
        self.write(payload);
        self.state = next;
        Ok(())
    }

    /// Sends a text query; its result arrives as [`Output::Result`] (or an `Err` with
    /// [`Error::Server`] after which the connection stays usable).
    pub fn query(&mut self, sql: &str) -> Result<()> {
        let reader = ResultSetReader::new(self.capabilities, self.options.max_result_set_size);
        self.start_command("send a query", &command::encode_query(sql), State::Query(reader))
    }

    /// Sends COM_PING; answered by [`Output::Result`] with an OK.
    pub fn ping(&mut self) -> Result<()> {
        self.start_command("ping", &command::encode_ping(), State::AwaitOk("ping"))
    }

    /// Sends COM_REGISTER_SLAVE; answered by [`Output::Result`] with an OK.
    pub fn register_replica(&mut self, replica: &RegisterReplica) -> Result<()> {
        self.start_command(
            "register as a replica",
            &command::encode_register_replica(replica),
            State::AwaitOk("replica registration"),
        )
    }

    /// Sends a COM_BINLOG_DUMP or COM_BINLOG_DUMP_GTID payload built with
    /// [`command::encode_binlog_dump`] / [`command::encode_binlog_dump_gtid`]; events then
    /// arrive as [`Output::Event`].
    pub fn binlog_dump(&mut self, dump_command: &[u8]) -> Result<()> {
        match dump_command.first().map(|&b| CommandCode(b)) {
            Some(CommandCode::BINLOG_DUMP | CommandCode::BINLOG_DUMP_GTID) => {}
            _ => {
                return Err(Error::InvalidState {
                    state: self.state.name(),
                    action: "start a binlog dump with a payload that is not a dump command",
                });
            }
        }
        self.start_command("start a binlog dump", dump_command, State::Stream)
    }

    /// Sends COM_QUIT; the connection is closed afterwards (the caller closes the socket after
    /// writing the last [`Output::Send`]).
    pub fn quit(&mut self) -> Result<()> {
        self.start_command("quit", &command::encode_quit(), State::Closed)
    }
}

#[cfg(test)]
mod tests;
