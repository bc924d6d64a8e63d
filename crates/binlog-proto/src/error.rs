//! The crate's error type.
//!
//! "Need more bytes" is not an error: incremental parsers return it as a normal result. An
//! [`Error`] means the input is wrong (malformed, too large, unexpected), the server refused
//! (ERR packet), or the peer wants something this crate does not support.

use std::fmt;

/// Everything that can go wrong while parsing or driving the protocol.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes do not have the structure `what` requires; `offset` is where parsing stopped,
    /// counted from the start of the packet payload, event or file being parsed.
    #[error("malformed {what} at offset {offset}")]
    Malformed {
        /// The structure being parsed, e.g. "handshake" or "TABLE_MAP column metadata".
        what: &'static str,
        /// Byte offset at which the input stopped making sense.
        offset: usize,
    },
    /// A length field declares more than the configured limit allows.
    #[error("{what} too large: {declared} bytes declared, limit is {limit}")]
    TooLarge {
        /// What the length describes, e.g. "packet" or "decompressed payload".
        what: &'static str,
        /// The length the input declared.
        declared: u64,
        /// The limit in force.
        limit: u64,
    },
    /// A packet arrived that the current protocol state does not allow.
    #[error("unexpected packet in state {state}: first byte 0x{first_byte:02x}")]
    UnexpectedPacket {
        /// The protocol state, e.g. "auth".
        state: &'static str,
        /// The packet's first payload byte (the packet type marker).
        first_byte: u8,
    },
    /// A packet's sequence id is not the one the conversation is at (lost or injected bytes).
    #[error("packet out of order: expected sequence id {expected}, got {found}")]
    PacketOutOfOrder {
        /// The sequence id the next packet had to carry.
        expected: u8,
        /// The sequence id it carried.
        found: u8,
    },
    /// A server setting rules out binlog streaming as requested (e.g. binary logging off,
    /// `binlog_format` not ROW).
    #[error("server setting {setting} is {value:?}: {requirement}")]
    ServerConfig {
        /// The server variable or status, e.g. "log_bin".
        setting: &'static str,
        /// Its value as the server reported it.
        value: String,
        /// What is needed instead, and how to get it.
        requirement: &'static str,
    },
    /// The caller asked for something the current protocol state does not allow (a bug in the
    /// driving code, not in the server's bytes).
    #[error("cannot {action} in state {state}")]
    InvalidState {
        /// The protocol state.
        state: &'static str,
        /// What was asked.
        action: &'static str,
    },
    /// The server refused to register the replica or to send the binlog for lack of privileges
    /// (ERR 1045 or 1227 answering COM_REGISTER_SLAVE / COM_BINLOG_DUMP): the account needs
    /// `REPLICATION SLAVE`. MariaDB words this as "Access denied for user ... (using password:
    /// YES)" although the password was right, hence this variant.
    #[error(
        "the server refused {during}: {source}; the account needs the REPLICATION SLAVE privilege \
         (GRANT REPLICATION SLAVE ON *.* TO ...)"
    )]
    ReplicationDenied {
        /// The step refused, e.g. "replica registration (COM_REGISTER_SLAVE)".
        during: &'static str,
        /// The server's error.
        source: ServerError,
    },
    /// The server answered with an ERR packet.
    #[error(transparent)]
    Server(#[from] ServerError),
    /// Authentication failed on the client side (before or without a server error).
    #[error("authentication failed ({plugin}): {reason}")]
    Auth {
        /// The authentication plugin in use.
        plugin: String,
        /// What went wrong.
        reason: String,
    },
    /// The peer asks for something this crate does not implement.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// A binlog event's stored CRC32 does not match its bytes.
    #[error(
        "checksum mismatch in event at offset {offset}: stored 0x{stored:08x}, computed 0x{computed:08x}"
    )]
    Checksum {
        /// Offset of the event (file offset or log position of its start).
        offset: u64,
        /// The CRC32 stored in the event.
        stored: u32,
        /// The CRC32 of the event's bytes.
        computed: u32,
    },
    /// A rows event refers to a table id for which no TABLE_MAP_EVENT has been seen.
    #[error("rows event for table id {table_id}, which no TABLE_MAP_EVENT has mapped")]
    UnknownTable {
        /// The table id the rows event names.
        table_id: u64,
    },
    /// A column value in a row image could not be decoded.
    #[error("in row {row}, column {column} ({column_type}): {source}")]
    InValue {
        /// 0-based index of the row in its rows event.
        row: usize,
        /// 0-based column index.
        column: usize,
        /// The column's type.
        column_type: crate::value::ColumnType,
        /// What was wrong.
        source: Box<Error>,
    },
    /// An error inside a binlog event, with the event's type code and position.
    #[error("in {event_type} event at offset {offset}: {source}")]
    InEvent {
        /// The event's type code, printed by name when known.
        event_type: crate::event::EventType,
        /// Offset of the event's first byte (file offset or log position).
        offset: u64,
        /// What was wrong.
        source: Box<Error>,
    },
    /// The input ends inside an event (a binlog file cut short, or a file still being written).
    #[error("input ends inside the event at offset {offset}: {needed} bytes needed, {available} present")]
    Truncated {
        /// Offset of the event's first byte.
        offset: u64,
        /// Bytes the event needs (its header, or its declared size).
        needed: u64,
        /// Bytes present from `offset` on.
        available: u64,
    },
    /// A MariaDB binlog file is encrypted (`encrypt_binlog=ON`) from `offset` on: its
    /// START_ENCRYPTION_EVENT was read, and what follows needs the server's key. Read such
    /// binlogs through the server (the replication protocol sends them decrypted).
    #[error(
        "binlog is encrypted from offset {offset} on (START_ENCRYPTION_EVENT); read it through the server instead"
    )]
    Encrypted {
        /// Offset of the first encrypted event.
        offset: u64,
    },
    /// Reading the input failed.
    #[error("I/O error ({kind:?}): {message}")]
    Io {
        /// The error kind.
        kind: std::io::ErrorKind,
        /// The error's text.
        message: String,
    },
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        Error::Io {
            kind: err.kind(),
            message: err.to_string(),
        }
    }
}

/// An ERR packet from the server.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ServerError {
    /// The server's error code, e.g. 1045 (access denied) or 1236 (binlog read error).
    pub code: u16,
    /// The five-character SQL state, when the server sent one.
    pub sql_state: Option<String>,
    /// The server's message.
    pub message: String,
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.sql_state {
            Some(state) => write!(f, "server error {} ({}): {}", self.code, state, self.message),
            None => write!(f, "server error {}: {}", self.code, self.message),
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
