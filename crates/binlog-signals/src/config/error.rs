//! What can be wrong with a connection URL or a [`ConfigBuilder`](super::ConfigBuilder).
//!
//! No message ever contains the password: URL errors name the part that is wrong instead of
//! quoting it, and only query parameter names and values (never secrets) are echoed.

use std::time::Duration;

/// An invalid connection URL or option.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The URL does not start with `mysql://` or `mariadb://`.
    #[error("the URL must start with mysql:// or mariadb://")]
    UrlScheme,
    /// The URL is not `scheme://user[:password]@host[:port][/][?options]`.
    #[error("malformed URL: {reason}")]
    UrlSyntax {
        /// What is wrong, without quoting the URL.
        reason: &'static str,
    },
    /// A `%` escape is not two hexadecimal digits, or decodes to invalid UTF-8.
    #[error("bad percent-encoding in the URL's {part}")]
    PercentEncoding {
        /// Which part: "user", "password" or a query parameter name.
        part: String,
    },
    /// The port is not a number from 1 to 65535.
    #[error("the port must be a number from 1 to 65535")]
    InvalidPort,
    /// No user name was given.
    #[error("a user name is required")]
    MissingUser,
    /// No host name was given.
    #[error("a host name is required")]
    MissingHost,
    /// The URL names a database; replication reads the whole server's binlog.
    #[error("the URL must not name a database: a replication stream covers the whole server")]
    UrlPath,
    /// A query parameter this crate does not know.
    #[error("unknown URL parameter {name:?}")]
    UnknownParameter {
        /// The parameter's name.
        name: String,
    },
    /// A query parameter given twice (only `include` and `exclude` may repeat).
    #[error("URL parameter {name:?} given more than once")]
    DuplicateParameter {
        /// The parameter's name.
        name: String,
    },
    /// A parameter or option value that cannot be used.
    #[error("invalid value {value:?} for {name}: expected {expected}")]
    InvalidValue {
        /// The parameter or option.
        name: &'static str,
        /// The value given.
        value: String,
        /// What would have been accepted.
        expected: &'static str,
    },
    /// Server id 0 is refused by the server for replicas.
    #[error("server id 0 cannot register as a replica; use 1 to 4294967295")]
    ServerIdZero,
    /// More than one starting point was given.
    #[error("conflicting start options: give only one of start, binlog-file, gtid-set, mariadb-gtid")]
    ConflictingStart,
    /// `binlog-position` without `binlog-file`.
    #[error("binlog-position needs binlog-file")]
    PositionWithoutFile,
    /// A binlog file name that the server cannot have written.
    #[error("invalid binlog file name: {reason}")]
    BinlogFile {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A binlog position before the first event.
    #[error("binlog position {position} is before the first event (4)")]
    BinlogPosition {
        /// The position given.
        position: u64,
    },
    /// The heartbeat period is outside what the server accepts.
    #[error("heartbeat period {period:?} outside 1 ms ..= 4294967 s")]
    HeartbeatRange {
        /// The period given.
        period: Duration,
    },
    /// The read timeout would expire on a healthy idle connection.
    #[error(
        "read timeout {read_timeout:?} must be longer than the heartbeat period ({heartbeat}), \
         or an idle connection times out"
    )]
    ReadTimeoutTooShort {
        /// The read timeout given.
        read_timeout: Duration,
        /// The heartbeat period, or "disabled".
        heartbeat: String,
    },
    /// A timeout of zero.
    #[error("{name} must be longer than zero")]
    ZeroTimeout {
        /// The option.
        name: &'static str,
    },
    /// The channel capacity is outside the accepted range.
    #[error("channel capacity {capacity} outside 1 ..= {max}")]
    ChannelCapacity {
        /// The capacity given.
        capacity: usize,
        /// The largest accepted capacity.
        max: usize,
    },
    /// A TLS file option that the chosen TLS mode would ignore.
    #[error("{option} has no effect with ssl-mode={mode}; {hint}")]
    TlsOptionIgnored {
        /// The option, e.g. "ssl-ca".
        option: &'static str,
        /// The TLS mode in force.
        mode: super::TlsMode,
        /// What to do instead.
        hint: &'static str,
    },
    /// A client certificate without its key, or the other way round.
    #[error("ssl-cert and ssl-key must be given together")]
    ClientCertIncomplete,
}
