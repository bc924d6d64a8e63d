//! The sans-IO protocol cores of `binlog-proto` on a tokio socket: the replication connection
//! ([`Replication`], a [`ReplicationSession`]) and the SQL side connection that reads table
//! definitions ([`sql::SqlConnection`], a plain [`Connection`](binlog_proto::connection::Connection)).
//!
//! Both connect the same way ([`dial`]): TCP with the connect timeout, then the protocol's
//! greeting, the optional TLS upgrade ([`TlsConnector`]) and authentication. This module only
//! moves bytes and turns protocol errors into the crate's [`Error`]s; what to do with the
//! events is the driver's business.

pub(crate) mod sql;

use std::io;
use std::sync::Arc;
use std::time::Duration;

use binlog_proto::capabilities::Capabilities;
use binlog_proto::connection::{ConnectOptions, Connection, TlsMode as ProtoTlsMode};
use binlog_proto::session::{ReplicationOptions, ReplicationSession, StartPosition, Step, StreamInfo};
use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::config::{Config, TlsMode};
use crate::error::Error;
use crate::tls::{TlsConnector, Transport};

/// Bytes reserved in the receive buffer before each read. Event payloads are slices of this
/// buffer and items keep them alive, so the chunk size bounds what one retained item can pin.
const READ_CHUNK: usize = 64 * 1024;

/// ER_ACCESS_DENIED_ERROR: wrong user name or password at login.
const ER_ACCESS_DENIED: u16 = 1045;
/// ER_SPECIFIC_ACCESS_DENIED_ERROR: a setup query needs a privilege the account lacks
/// (`SHOW MASTER STATUS` / `SHOW BINARY LOGS` need REPLICATION CLIENT, "BINLOG MONITOR" in
/// MariaDB 10.5+).
const ER_SPECIFIC_ACCESS_DENIED: u16 = 1227;
/// ER_SLAVE_SAME_ID (MariaDB): another replica connected with this server id, and the server
/// ended this dump (MariaDB `sql/sql_repl.cc`, `kill_zombie_dump_threads`).
const ER_SLAVE_SAME_ID: u16 = 4052;
/// ER_MASTER_FATAL_ERROR_READING_BINLOG: the dump cannot start or continue (file missing or
/// purged, position invalid, another replica took over the server id...).
const ER_BINLOG_READ: u16 = 1236;

/// `host:port`, with brackets around an IPv6 address.
pub(crate) fn address(config: &Config) -> String {
    if config.host().contains(':') {
        format!("[{}]:{}", config.host(), config.port())
    } else {
        format!("{}:{}", config.host(), config.port())
    }
}

/// Protocol options for the configured account. The password goes into the sans-IO core only;
/// its `Debug` output redacts it.
pub(crate) fn connect_options(config: &Config) -> Result<ConnectOptions, Error> {
    let tls = match config.tls().mode() {
        TlsMode::Disabled => ProtoTlsMode::Disabled,
        // Every other mode asks for TLS when offered; refusing a server without it is done
        // here (`Error::TlsUnavailable`) rather than in the core, to name the mode.
        _ => ProtoTlsMode::Preferred,
    };
    let mut options = ConnectOptions::new(config.user(), config.password())
        .tls(tls)
        .allow_server_key_request(config.get_server_public_key())
        .attribute("program_name", "binlog-signals");
    if let Some(path) = config.server_public_key_file() {
        let setup = |reason: String| Error::TlsSetup {
            what: format!("server public key file {}", path.display()),
            reason,
        };
        let pem = std::fs::read(path).map_err(|e| setup(e.to_string()))?;
        options = options
            .server_public_key_pem(&pem)
            .map_err(|e| setup(e.to_string()))?;
    }
    // Only RSA-encrypted password exchanges use the seed.
    options.random_oaep_seed().map_err(Error::from)
}

/// A TCP connection to the configured server (no protocol yet). Fails with
/// [`Error::Connect`]; the caller applies the connect timeout.
async fn tcp(config: &Config) -> Result<TcpStream, Error> {
    let stream = TcpStream::connect((config.host(), config.port()))
        .await
        .map_err(|source| Error::Connect {
            addr: address(config),
            source: Arc::new(source),
        })?;
    // Commands are single small packets answered before the next one: no batching wanted.
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

/// Runs `future` under the connect timeout.
pub(crate) async fn with_connect_timeout<T>(
    config: &Config,
    future: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    let after = config.connect_timeout();
    tokio::time::timeout(after, future).await.unwrap_or_else(|_| {
        Err(Error::ConnectTimeout {
            addr: address(config),
            after,
        })
    })
}

/// The socket during the handshake: plain until upgraded.
pub(crate) struct Socket {
    transport: Option<Transport>,
    tls: Option<TlsConnector>,
    /// Whether a server without TLS was checked against the mode already.
    tls_checked: bool,
    read_timeout: Option<Duration>,
}

impl Socket {
    pub(crate) async fn connect(config: &Config, tls: Option<TlsConnector>) -> Result<Socket, Error> {
        Ok(Socket {
            transport: Some(Transport::Plain(tcp(config).await?)),
            tls,
            tls_checked: false,
            read_timeout: None,
        })
    }

    fn transport(&mut self) -> Result<&mut Transport, Error> {
        self.transport.as_mut().ok_or_else(|| {
            Error::from(io::Error::new(
                io::ErrorKind::NotConnected,
                "the connection was lost during the TLS upgrade",
            ))
        })
    }

    /// Refuses to go on in plain text when the TLS mode requires encryption. Called before the
    /// first packet the client writes (the login or the TLS request), once the greeting is in.
    fn check_tls(&mut self, conn: &Connection) -> Result<(), Error> {
        if self.tls_checked {
            return Ok(());
        }
        let Some(handshake) = conn.handshake() else {
            return Ok(());
        };
        self.tls_checked = true;
        match &self.tls {
            Some(tls) if tls.requires_tls() && !handshake.capabilities.contains(Capabilities::SSL) => {
                Err(Error::TlsUnavailable { mode: tls.mode() })
            }
            _ => Ok(()),
        }
    }

    async fn send(&mut self, conn: &Connection, bytes: &[u8]) -> Result<(), Error> {
        self.check_tls(conn)?;
        let transport = self.transport()?;
        let result = async {
            transport.write_all(bytes).await?;
            transport.flush().await
        }
        .await;
        result.map_err(|e| self.io_error(e))
    }

    /// Reads what the server sent into `buffer`; a closed connection is an error.
    async fn receive(&mut self, buffer: &mut BytesMut) -> Result<(), Error> {
        buffer.reserve(READ_CHUNK);
        let read_timeout = self.read_timeout;
        let transport = self.transport()?;
        let read = transport.read_buf(buffer);
        let result = match read_timeout {
            Some(after) => match tokio::time::timeout(after, read).await {
                Ok(result) => result,
                Err(_) => return Err(Error::ReadTimeout { after }),
            },
            None => read.await,
        };
        match result {
            Ok(0) => Err(Error::from(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the server closed the connection",
            ))),
            Ok(_) => Ok(()),
            Err(e) => Err(self.io_error(e)),
        }
    }

    /// Upgrades the socket to TLS (the core has written the SSLRequest).
    async fn start_tls(&mut self) -> Result<(), Error> {
        let Some(tls) = self.tls.clone() else {
            return Err(Error::Protocol(binlog_proto::Error::InvalidState {
                state: "TLS upgrade",
                action: "upgrade with ssl-mode=disabled",
            }));
        };
        let tcp = match self.transport.take() {
            Some(Transport::Plain(tcp)) => tcp,
            other => {
                self.transport = other;
                return Err(Error::Protocol(binlog_proto::Error::InvalidState {
                    state: "TLS upgrade",
                    action: "upgrade a connection that is already encrypted",
                }));
            }
        };
        self.transport = Some(tls.connect(tcp).await?);
        tracing::debug!(mode = %tls.mode(), "TLS established");
        Ok(())
    }

    /// TLS alerts become [`Error::Tls`], the rest [`Error::Io`].
    fn io_error(&self, error: io::Error) -> Error {
        match &self.tls {
            Some(tls) => tls.io_error(error),
            None => Error::from(error),
        }
    }

    pub(crate) fn is_tls(&self) -> bool {
        self.transport.as_ref().is_some_and(Transport::is_tls)
    }

    async fn close(&mut self) {
        if let Some(transport) = self.transport.as_mut() {
            // Best effort: the server notices a closed socket either way.
            let _ = transport.shutdown().await;
        }
    }
}

/// A proto error at login or setup as the crate's error.
pub(crate) fn login_error(config: &Config, error: binlog_proto::Error) -> Error {
    match error {
        binlog_proto::Error::Server(source) if source.code == ER_ACCESS_DENIED => Error::AccessDenied {
            user: config.user().to_owned(),
            source,
        },
        binlog_proto::Error::Server(source) if source.code == ER_SPECIFIC_ACCESS_DENIED => {
            Error::ReplicationDenied {
                during: "a replica setup query (SHOW MASTER STATUS / SHOW BINARY LOGS)",
                source,
            }
        }
        binlog_proto::Error::ReplicationDenied { during, source } => {
            Error::ReplicationDenied { during, source }
        }
        binlog_proto::Error::ServerConfig {
            setting,
            value,
            requirement,
        } => Error::ServerConfig {
            setting,
            value,
            requirement,
        },
        other => Error::from(other),
    }
}

/// An open replication stream: the socket and the session reading events from it.
pub(crate) struct Replication {
    socket: Socket,
    session: ReplicationSession,
    info: StreamInfo,
    /// The first step after the dump request, read while connecting so that a refused start
    /// position is reported by `connect` rather than by the driver.
    first: Option<Option<Bytes>>,
    events: u64,
}

impl Replication {
    /// Connects, authenticates, prepares the session (checksum, heartbeat period, MariaDB
    /// capability), registers as a replica and requests the binlog from `start`; waits for
    /// the server's first answer to the dump. Everything under the connect timeout.
    pub(crate) async fn open(
        config: &Config,
        tls: Option<TlsConnector>,
        start: StartPosition,
    ) -> Result<Replication, Error> {
        let mut options = ReplicationOptions::new(config.server_id(), start).non_blocking(!config.blocking());
        if let Some(period) = config.heartbeat() {
            options = options.heartbeat_period(period);
        }
        let connect = connect_options(config)?;
        with_connect_timeout(config, async {
            let mut socket = Socket::connect(config, tls).await?;
            let mut session = ReplicationSession::new(connect, options);
            let info = loop {
                match session.poll().map_err(|e| login_error(config, e))? {
                    Step::Send(bytes) => socket.send(session.connection(), &bytes).await?,
                    Step::NeedMoreData => socket.receive(session.read_buffer()).await?,
                    Step::StartTls => {
                        socket.start_tls().await?;
                        session.tls_established().map_err(|e| login_error(config, e))?;
                    }
                    Step::Started(info) => break *info,
                    other => {
                        return Err(Error::Protocol(binlog_proto::Error::InvalidState {
                            state: "connecting",
                            action: if matches!(other, Step::EndOfStream) {
                                "end a stream that has not started"
                            } else {
                                "accept an event before the dump started"
                            },
                        }));
                    }
                }
            };
            tracing::debug!(
                server = %info.server_version,
                start = ?info.start,
                checksum = ?info.checksum,
                tls = socket.is_tls(),
                "binlog dump requested"
            );
            socket.read_timeout = config.read_timeout();
            let mut replication = Replication {
                socket,
                session,
                info,
                first: None,
                events: 0,
            };
            let first = replication.read_step(config.server_id()).await?;
            replication.first = Some(first);
            Ok(replication)
        })
        .await
    }

    /// What the stream carries (flavour, checksum, the resolved start position).
    pub(crate) fn info(&self) -> &StreamInfo {
        &self.info
    }

    /// The next raw event; `None` at the end of the binlog in non-blocking mode.
    pub(crate) async fn next_event(&mut self, server_id: u32) -> Result<Option<Bytes>, Error> {
        if let Some(first) = self.first.take() {
            return Ok(first);
        }
        self.read_step(server_id).await
    }

    async fn read_step(&mut self, server_id: u32) -> Result<Option<Bytes>, Error> {
        loop {
            match self.session.poll().map_err(|e| self.stream_error(e, server_id))? {
                Step::Event(event) => {
                    self.events = self.events.saturating_add(1);
                    return Ok(Some(event));
                }
                Step::EndOfStream => return Ok(None),
                Step::NeedMoreData => self.socket.receive(self.session.read_buffer()).await?,
                Step::Send(bytes) => self.socket.send(self.session.connection(), &bytes).await?,
                other => {
                    return Err(Error::Protocol(binlog_proto::Error::InvalidState {
                        state: "streaming",
                        action: if matches!(other, Step::StartTls) {
                            "upgrade to TLS while streaming"
                        } else {
                            "start a second dump"
                        },
                    }));
                }
            }
        }
    }

    /// Errors while streaming: the server's refusal to send from the requested position gets
    /// its own variant.
    fn stream_error(&self, error: binlog_proto::Error, server_id: u32) -> Error {
        match error {
            binlog_proto::Error::Server(source) if source.code == ER_SLAVE_SAME_ID => {
                Error::ServerIdInUse { server_id, source }
            }
            binlog_proto::Error::Server(source) if source.code == ER_BINLOG_READ => {
                if is_server_id_conflict(&source.message) {
                    Error::ServerIdInUse { server_id, source }
                } else {
                    Error::BinlogUnavailable {
                        start: describe(&self.info.start),
                        source,
                    }
                }
            }
            other => login_error_unchecked(other),
        }
    }

    /// Closes the socket (graceful shutdown).
    pub(crate) async fn close(mut self) {
        self.socket.close().await;
    }
}

/// A proto error after login: privilege and setting errors keep their variants.
fn login_error_unchecked(error: binlog_proto::Error) -> Error {
    match error {
        binlog_proto::Error::ReplicationDenied { during, source } => {
            Error::ReplicationDenied { during, source }
        }
        other => Error::from(other),
    }
}

/// Whether a 1236 error says another replica registered with our server id. MySQL:
/// "A slave with the same server_uuid/server_id as this slave has connected to the master"
/// (`sql/rpl_binlog_sender.cc`); MariaDB sends [`ER_SLAVE_SAME_ID`] instead.
fn is_server_id_conflict(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    message.contains("same server_uuid/server_id") || message.contains("same server_id")
}

/// The start position for messages.
fn describe(start: &StartPosition) -> String {
    match start {
        StartPosition::File { file, position } => format!("{file}:{position}"),
        StartPosition::MysqlGtids(set) => format!("GTID set {set}"),
        StartPosition::MariadbGtids(list) => format!("GTID position {list}"),
        StartPosition::Current => "the current end of the binlog".to_owned(),
        StartPosition::Oldest => "the oldest binlog".to_owned(),
    }
}
