//! A replication session: connect and authenticate, check and prepare the server, register
//! as a replica, ask for the binlog, and hand on every event's raw bytes.
//!
//! # Contract
//!
//! [`ReplicationSession`] does no I/O. The driver loops on [`ReplicationSession::poll`]:
//!
//! * [`Step::Send`]: write the bytes to the socket (in order, completely), poll again;
//! * [`Step::NeedMoreData`]: read from the socket, [`feed`](ReplicationSession::feed) what
//!   arrived (or read into [`read_buffer`](ReplicationSession::read_buffer)), poll again; a
//!   closed socket at this point is a lost connection;
//! * [`Step::StartTls`]: run the TLS handshake on the socket, call
//!   [`tls_established`](ReplicationSession::tls_established), poll again;
//! * [`Step::Started`]: the dump was requested; [`StreamInfo`] says what follows (checksum!);
//! * [`Step::Event`]: one binlog event, raw (header, body, CRC32 trailer when
//!   [`StreamInfo::checksum`] is [`BinlogChecksum::Crc32`]), sharing the read buffer;
//! * [`Step::EndOfStream`]: the server has sent everything (non-blocking mode only).
//!
//! An `Err` is final: the session keeps returning it. Server refusals arrive as
//! [`Error::Server`] (1045 access denied at login, 1236 binlog purged...); a refused
//! registration or dump for lack of `REPLICATION SLAVE` as [`Error::ReplicationDenied`];
//! unusable server settings as [`Error::ServerConfig`].
//!
//! Nothing here has a clock: heartbeats are events like any other, and timeouts are the
//! driver's business (a read timeout somewhat above the heartbeat period detects a dead server).
//!
//! # Example
//!
//! A scripted in-memory "server" stands in for the socket:
//!
//! ```
//! use binlog_proto::connection::ConnectOptions;
//! use binlog_proto::session::{BinlogChecksum, ReplicationOptions, ReplicationSession, StartPosition, Step};
//!
//! # fn packet(seq: u8, payload: &[u8]) -> Vec<u8> {
//! #     let mut p = (payload.len() as u32).to_le_bytes()[..3].to_vec();
//! #     p.push(seq);
//! #     p.extend_from_slice(payload);
//! #     p
//! # }
//! # fn lenenc(s: &str) -> Vec<u8> { let mut v = vec![s.len() as u8]; v.extend_from_slice(s.as_bytes()); v }
//! # fn column(name: &str) -> Vec<u8> {
//! #     let mut p = Vec::new();
//! #     for s in ["def", "", "", "", name, name] { p.extend(lenenc(s)); }
//! #     p.extend_from_slice(&[0x0c, 45, 0, 0, 4, 0, 0, 253, 0, 0, 0, 0, 0]);
//! #     p
//! # }
//! # fn greeting() -> Vec<u8> {
//! #     let mut p = vec![10];
//! #     p.extend_from_slice(b"5.5.5-10.11.6-MariaDB\0");
//! #     p.extend_from_slice(&[1, 0, 0, 0]);
//! #     p.extend_from_slice(b"12345678\0");
//! #     p.extend_from_slice(&[0xfe, 0xf7, 45, 2, 0, 0xbf, 0x80, 21, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
//! #     p.extend_from_slice(b"9abcdefghijk\0mysql_native_password\0");
//! #     p
//! # }
//! # const OK: &[u8] = &[0, 0, 0, 2, 0, 0, 0];
//! # const EOF: &[u8] = &[0xfe, 0, 0, 2, 0];
//! // What the server says, one reply per client packet: the greeting, OK to the login, the
//! // settings, OK to SET, OK to the registration, then two events and the end of the stream.
//! let variables: Vec<Vec<u8>> = [("log_bin", "ON"), ("binlog_format", "ROW"), ("binlog_checksum", "CRC32")]
//!     .iter()
//!     .map(|(name, value)| [lenenc(name), lenenc(value)].concat())
//!     .collect();
//! let mut fde = vec![0u8; 4]; // timestamp
//! fde.push(15); // FORMAT_DESCRIPTION_EVENT
//! let mut script: Vec<Vec<u8>> = vec![
//!     packet(0, &greeting()),
//!     packet(2, OK),
//!     [packet(1, &[2]), packet(2, &column("Variable_name")), packet(3, &column("Value")),
//!      packet(4, EOF), packet(5, &variables[0]), packet(6, &variables[1]), packet(7, &variables[2]),
//!      packet(8, EOF)].concat(),
//!     packet(1, OK),
//!     packet(1, OK),
//!     [packet(1, &[&[0u8][..], &fde].concat()), packet(2, EOF)].concat(),
//! ];
//! script.reverse();
//!
//! let mut session = ReplicationSession::new(
//!     ConnectOptions::new("repl", "secret"),
//!     ReplicationOptions::new(1001, StartPosition::File { file: "mysql-bin.000001".into(), position: 4 })
//!         .non_blocking(true),
//! );
//! let mut events = Vec::new();
//! loop {
//!     match session.poll()? {
//!         Step::NeedMoreData => session.feed(&script.pop().expect("the server has nothing more to say")),
//!         Step::Send(_bytes) => {} // a socket would write them
//!         Step::Started(info) => assert_eq!(info.checksum, BinlogChecksum::Crc32),
//!         Step::Event(event) => events.push(event),
//!         Step::EndOfStream => break,
//!         other => panic!("unexpected {other:?}"),
//!     }
//! }
//! assert_eq!(events.len(), 1);
//! assert_eq!(events[0][4], 15); // byte 4 of an event is its type
//! assert_eq!(session.checksum(), Some(BinlogChecksum::Crc32));
//! # Ok::<(), binlog_proto::Error>(())
//! ```

mod setup;

use std::time::Duration;

use bytes::{Bytes, BytesMut};

use crate::command::{self, DumpFlags, RegisterReplica};
use crate::connection::{ConnectOptions, Connection, Output};
use crate::error::{Error, Result};
use crate::gtid::{GtidSet, MariadbGtidList};
use crate::handshake::{Flavor, ServerVersion};
use crate::resultset::QueryResult;

use self::setup::ServerSettings;

/// Position of the first event in every binlog file (after the 4-byte magic number).
pub const FIRST_EVENT_POSITION: u64 = 4;

/// Where the stream starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartPosition {
    /// The current end of the binlog (`SHOW MASTER STATUS` / `SHOW BINARY LOG STATUS`): only
    /// changes made from now on.
    Current,
    /// The oldest binlog file the server still has (`SHOW BINARY LOGS`), position 4.
    Oldest,
    /// A file and position.
    File {
        /// Binlog file name, e.g. `mysql-bin.000003`.
        file: String,
        /// Byte offset of an event in it (4 for the first).
        position: u64,
    },
    /// MySQL: everything not in this GTID set (COM_BINLOG_DUMP_GTID; needs `gtid_mode=ON`).
    MysqlGtids(GtidSet),
    /// MariaDB: after these GTIDs, one per domain (`@slave_connect_state`).
    MariadbGtids(MariadbGtidList),
}

/// The checksum carried by every event of the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinlogChecksum {
    /// No trailer.
    None,
    /// A 4-byte CRC32 trailer after each event's body.
    Crc32,
}

impl BinlogChecksum {
    /// Bytes of trailer after each event.
    pub fn trailer_len(self) -> usize {
        match self {
            BinlogChecksum::None => 0,
            BinlogChecksum::Crc32 => 4,
        }
    }
}

/// What the replica asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicationOptions {
    server_id: u32,
    start: StartPosition,
    non_blocking: bool,
    heartbeat_period: Option<Duration>,
    require_row_format: bool,
    register: bool,
    report_host: String,
    report_port: u16,
    annotate_rows: bool,
}

impl ReplicationOptions {
    /// Stream as replica `server_id` from `start`. The id must differ from the server's and
    /// from every other replica's: the server ends an older dump with the same id.
    pub fn new(server_id: u32, start: StartPosition) -> Self {
        ReplicationOptions {
            server_id,
            start,
            non_blocking: false,
            heartbeat_period: None,
            require_row_format: true,
            register: true,
            report_host: String::new(),
            report_port: 0,
            annotate_rows: false,
        }
    }

    /// End the stream with [`Step::EndOfStream`] at the end of the binlog instead of waiting
    /// for new events (`BINLOG_DUMP_NON_BLOCK`).
    pub fn non_blocking(mut self, yes: bool) -> Self {
        self.non_blocking = yes;
        self
    }

    /// Ask the server for a heartbeat event after this much idle time.
    pub fn heartbeat_period(mut self, period: Duration) -> Self {
        self.heartbeat_period = Some(period);
        self
    }

    /// Refuse servers whose `binlog_format` is not ROW (default: yes).
    pub fn require_row_format(mut self, yes: bool) -> Self {
        self.require_row_format = yes;
        self
    }

    /// Register with COM_REGISTER_SLAVE before the dump (default: yes; the replica then shows
    /// in `SHOW REPLICAS` / `SHOW SLAVE HOSTS`).
    pub fn register(mut self, yes: bool) -> Self {
        self.register = yes;
        self
    }

    /// Host name and port reported when registering.
    pub fn report_address(mut self, host: impl Into<String>, port: u16) -> Self {
        self.report_host = host.into();
        self.report_port = port;
        self
    }

    /// MariaDB: also send ANNOTATE_ROWS events (the statement behind row events).
    pub fn annotate_rows(mut self, yes: bool) -> Self {
        self.annotate_rows = yes;
        self
    }

    /// The replica server id.
    pub fn server_id(&self) -> u32 {
        self.server_id
    }
}

/// What the stream carries, known once the dump is requested.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamInfo {
    /// MySQL or MariaDB.
    pub flavor: Flavor,
    /// The server's version string (MariaDB's `5.5.5-` prefix removed).
    pub server_version: String,
    /// Whether events end with a CRC32 trailer. A FORMAT_DESCRIPTION event of a file written
    /// under another setting states that file's algorithm and takes precedence.
    pub checksum: BinlogChecksum,
    /// The start position actually requested (`Current` / `Oldest` resolved to a file).
    pub start: StartPosition,
    /// `binlog_row_image` (FULL, MINIMAL, NOBLOB), when the server has it.
    pub binlog_row_image: Option<String>,
    /// The server's own `server_id`.
    pub source_server_id: Option<u32>,
}

/// What [`ReplicationSession::poll`] asks the driver to do or reports; see the
/// [module documentation](self).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// Write these bytes to the server.
    Send(Bytes),
    /// Upgrade the socket to TLS now, then call [`ReplicationSession::tls_established`].
    StartTls,
    /// Read from the server and feed the bytes.
    NeedMoreData,
    /// The dump was requested; events follow.
    Started(Box<StreamInfo>),
    /// One raw binlog event.
    Event(Bytes),
    /// The server has sent the whole binlog (non-blocking mode).
    EndOfStream,
}

#[derive(Debug)]
enum Phase {
    Connecting,
    Variables,
    Settings(ServerSettings),
    ResolveStart(ServerSettings),
    Register(ServerSettings),
    Streaming,
    Ended,
    Failed(Error),
}

/// A replication session; see the [module documentation](self).
#[derive(Debug)]
pub struct ReplicationSession {
    conn: Connection,
    options: ReplicationOptions,
    phase: Phase,
    info: Option<StreamInfo>,
    events_seen: bool,
}

impl ReplicationSession {
    /// A session that waits for the server's greeting.
    pub fn new(connect: ConnectOptions, options: ReplicationOptions) -> Self {
        ReplicationSession {
            conn: Connection::new(connect),
            options,
            phase: Phase::Connecting,
            info: None,
            events_seen: false,
        }
    }

    /// Appends bytes received from the server.
    pub fn feed(&mut self, data: &[u8]) {
        self.conn.feed(data);
    }

    /// The receive buffer, to read into directly.
    pub fn read_buffer(&mut self) -> &mut BytesMut {
        self.conn.read_buffer()
    }

    /// Call once the TLS handshake asked for by [`Step::StartTls`] has completed.
    pub fn tls_established(&mut self) -> Result<()> {
        self.conn.tls_established()
    }

    /// The underlying connection (greeting, capabilities, TLS state).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// What the stream carries, once [`Step::Started`] was reported.
    pub fn stream_info(&self) -> Option<&StreamInfo> {
        self.info.as_ref()
    }

    /// Whether events carry a CRC32 trailer, once known.
    pub fn checksum(&self) -> Option<BinlogChecksum> {
        self.info.as_ref().map(|i| i.checksum)
    }

    /// Sends COM_QUIT after the stream ended (the next [`Step::Send`] carries it).
    pub fn quit(&mut self) -> Result<()> {
        self.conn.quit()
    }

    /// Advances the session; see [`Step`].
    pub fn poll(&mut self) -> Result<Step> {
        if let Phase::Failed(e) = &self.phase {
            return Err(e.clone());
        }
        match self.advance() {
            Ok(step) => Ok(step),
            Err(e) => {
                self.phase = Phase::Failed(e.clone());
                Err(e)
            }
        }
    }

    fn advance(&mut self) -> Result<Step> {
        loop {
            let output = self.conn.poll().map_err(|e| self.explain(e))?;
            match output {
                Output::Send(bytes) => return Ok(Step::Send(bytes)),
                Output::StartTls => return Ok(Step::StartTls),
                Output::NeedMoreData => return Ok(Step::NeedMoreData),
                Output::Event(event) => {
                    self.events_seen = true;
                    return Ok(Step::Event(event));
                }
                Output::EndOfStream => {
                    self.phase = Phase::Ended;
                    return Ok(Step::EndOfStream);
                }
                Output::Authenticated => {
                    self.conn.query(setup::VARIABLES_QUERY)?;
                    self.phase = Phase::Variables;
                }
                Output::Result(result) => {
                    if let Some(step) = self.on_result(result)? {
                        return Ok(step);
                    }
                }
                Output::Idle => {
                    return match self.phase {
                        Phase::Ended => Ok(Step::EndOfStream),
                        _ => Err(Error::InvalidState {
                            state: self.phase_name(),
                            action: "continue: the connection is idle",
                        }),
                    };
                }
            }
        }
    }

    /// Privilege refusals of the registration or the dump get a variant that says what to do.
    fn explain(&self, error: Error) -> Error {
        const ER_ACCESS_DENIED_ERROR: u16 = 1045;
        const ER_SPECIFIC_ACCESS_DENIED_ERROR: u16 = 1227;
        let during = match self.phase {
            Phase::Register(_) => "replica registration (COM_REGISTER_SLAVE)",
            Phase::Streaming if !self.events_seen => "the binlog dump",
            _ => return error,
        };
        match error {
            Error::Server(source)
                if matches!(
                    source.code,
                    ER_ACCESS_DENIED_ERROR | ER_SPECIFIC_ACCESS_DENIED_ERROR
                ) =>
            {
                Error::ReplicationDenied { during, source }
            }
            other => other,
        }
    }

    fn phase_name(&self) -> &'static str {
        match self.phase {
            Phase::Connecting => "connecting",
            Phase::Variables => "reading server settings",
            Phase::Settings(_) => "setting session variables",
            Phase::ResolveStart(_) => "resolving the start position",
            Phase::Register(_) => "registering as a replica",
            Phase::Streaming => "streaming",
            Phase::Ended => "ended",
            Phase::Failed(_) => "failed",
        }
    }

    fn server(&self) -> (Flavor, ServerVersion) {
        self.conn
            .handshake()
            .map(|hs| (hs.flavor(), hs.version()))
            .unwrap_or((Flavor::Mysql, ServerVersion::default()))
    }

    /// Handles the answer to a setup command; returns a step to report, if any.
    fn on_result(&mut self, result: QueryResult) -> Result<Option<Step>> {
        let (flavor, _) = self.server();
        match std::mem::replace(&mut self.phase, Phase::Connecting) {
            Phase::Variables => {
                let settings = ServerSettings::from_result(&result.into_result_set());
                settings.check(flavor, &self.options)?;
                settings.checksum()?;
                match setup::settings_statement(&settings, flavor, &self.options) {
                    Some(sql) => {
                        self.conn.query(&sql)?;
                        self.phase = Phase::Settings(settings);
                        Ok(None)
                    }
                    None => self.after_settings(settings),
                }
            }
            Phase::Settings(settings) => self.after_settings(settings),
            Phase::ResolveStart(settings) => {
                self.options.start = setup::resolve_start(&self.options.start, &result.into_result_set())?;
                self.register_or_dump(settings)
            }
            Phase::Register(settings) => self.dump(settings).map(Some),
            phase => {
                let name = match phase {
                    Phase::Streaming => "streaming",
                    Phase::Ended => "ended",
                    _ => "connecting",
                };
                self.phase = phase;
                Err(Error::InvalidState {
                    state: name,
                    action: "accept a command result nobody asked for",
                })
            }
        }
    }

    fn after_settings(&mut self, settings: ServerSettings) -> Result<Option<Step>> {
        let (flavor, version) = self.server();
        match setup::start_query(&self.options.start, flavor, version) {
            Some(sql) => {
                self.conn.query(sql)?;
                self.phase = Phase::ResolveStart(settings);
                Ok(None)
            }
            None => self.register_or_dump(settings),
        }
    }

    fn register_or_dump(&mut self, settings: ServerSettings) -> Result<Option<Step>> {
        if !self.options.register {
            return self.dump(settings).map(Some);
        }
        self.conn.register_replica(&RegisterReplica {
            server_id: self.options.server_id,
            hostname: self.options.report_host.clone(),
            user: String::new(),
            password: String::new(),
            port: self.options.report_port,
        })?;
        self.phase = Phase::Register(settings);
        Ok(None)
    }

    fn dump(&mut self, settings: ServerSettings) -> Result<Step> {
        let (flavor, _) = self.server();
        let options = &self.options;
        let mut flags = DumpFlags::default();
        if options.non_blocking {
            flags = flags | DumpFlags::NON_BLOCK;
        }
        if options.annotate_rows && flavor == Flavor::Mariadb {
            flags = flags | DumpFlags::SEND_ANNOTATE_ROWS_EVENT;
        }
        let payload = match &options.start {
            StartPosition::File { file, position } => {
                let position = u32::try_from(*position).map_err(|_| {
                    Error::Unsupported(format!(
                        "binlog position {position} (COM_BINLOG_DUMP positions are 32-bit)"
                    ))
                })?;
                command::encode_binlog_dump(file, position, flags, options.server_id)
            }
            StartPosition::MysqlGtids(set) => {
                command::encode_binlog_dump_gtid("", FIRST_EVENT_POSITION, flags, options.server_id, set)
            }
            // The server reads the start from @slave_connect_state and ignores file and position.
            StartPosition::MariadbGtids(_) => {
                command::encode_binlog_dump("", FIRST_EVENT_POSITION as u32, flags, options.server_id)
            }
            StartPosition::Current | StartPosition::Oldest => {
                return Err(Error::InvalidState {
                    state: "resolving the start position",
                    action: "dump from an unresolved start position",
                });
            }
        };
        self.conn.binlog_dump(&payload)?;
        let info = StreamInfo {
            flavor,
            server_version: self
                .conn
                .handshake()
                .map(|hs| hs.version_string().to_owned())
                .unwrap_or_default(),
            checksum: settings.checksum()?,
            start: self.options.start.clone(),
            binlog_row_image: settings.binlog_row_image.clone(),
            source_server_id: settings.server_id,
        };
        self.info = Some(info.clone());
        self.phase = Phase::Streaming;
        Ok(Step::Started(Box::new(info)))
    }
}

#[cfg(test)]
mod tests;
