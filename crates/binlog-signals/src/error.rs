//! The crate's error type.

use std::io;
use std::sync::Arc;
use std::time::Duration;

pub use binlog_proto::ServerError;

use crate::config::{ConfigError, TlsMode};

/// Everything that can end a connection or a stream.
///
/// `Clone`, because one fatal error is delivered to every open stream: I/O errors are shared
/// behind an `Arc`.
///
/// ```
/// use binlog_signals::Error;
///
/// let error = Error::Lagged { missed: 3 };
/// assert_eq!(error.to_string(), "this stream fell behind and was dropped; it missed 3 items");
/// assert!(error.is_lagged());
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The settings are invalid.
    #[error("invalid configuration: {0}")]
    Config(#[from] ConfigError),
    /// The TCP connection could not be established.
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        /// `host:port` as configured.
        addr: String,
        /// The operating system's error.
        #[source]
        source: Arc<io::Error>,
    },
    /// Connecting (TCP, TLS and authentication) took longer than the connect timeout.
    #[error("connecting to {addr} timed out after {after:?}")]
    ConnectTimeout {
        /// `host:port` as configured.
        addr: String,
        /// The connect timeout in force.
        after: Duration,
    },
    /// The server sent nothing, not even a heartbeat, for longer than the read timeout.
    #[error("the server sent nothing for {after:?} (read timeout); the connection counts as dead")]
    ReadTimeout {
        /// The read timeout in force.
        after: Duration,
    },
    /// Reading from or writing to the connection failed (connection reset, closed, ...).
    #[error("connection I/O failed: {0}")]
    Io(#[source] Arc<io::Error>),
    /// A TLS file (CA, client certificate or key) could not be used.
    #[error("TLS setup: {what}: {reason}")]
    TlsSetup {
        /// What was being loaded, with the file path.
        what: String,
        /// Why it failed.
        reason: String,
    },
    /// The TLS handshake failed, e.g. the certificate did not verify.
    #[error("TLS handshake with {host} failed: {source}")]
    Tls {
        /// The host name the certificate was checked against.
        host: String,
        /// The TLS library's error.
        #[source]
        source: rustls::Error,
    },
    /// The TLS mode requires encryption, but the server does not offer it.
    #[error("ssl-mode={mode} requires TLS, but the server does not support it")]
    TlsUnavailable {
        /// The TLS mode in force.
        mode: TlsMode,
    },
    /// The server refused the login: wrong user name or password, or the account may not
    /// connect from this host (ERR 1045).
    #[error("the server refused the login of user {user:?}: {source}")]
    AccessDenied {
        /// The configured user name.
        user: String,
        /// The server's error.
        source: ServerError,
    },
    /// The account lacks a replication privilege: the server refused the binlog status
    /// query (`REPLICATION CLIENT`, MariaDB's `BINLOG MONITOR`), the replica registration or
    /// the binlog dump (`REPLICATION SLAVE`).
    #[error(
        "the server refused {during}: {source}; the account needs the REPLICATION SLAVE and \
         REPLICATION CLIENT privileges (GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO ...)"
    )]
    ReplicationDenied {
        /// The step refused, e.g. "replica registration (COM_REGISTER_SLAVE)".
        during: &'static str,
        /// The server's error.
        source: ServerError,
    },
    /// A server setting rules out a row-based binlog stream: binary logging is off
    /// (`log_bin`), or `binlog_format` is not `ROW`.
    #[error("server setting {setting} is {value:?}: {requirement}")]
    ServerConfig {
        /// The server variable, e.g. "log_bin" or "binlog_format".
        setting: &'static str,
        /// Its value as the server reported it.
        value: String,
        /// What is needed instead, and how to get it.
        requirement: &'static str,
    },
    /// The server cannot send the binlog from the requested start: the file does not exist or
    /// was purged, or the position is not valid in it (ERR 1236).
    #[error("the server cannot send the binlog from {start}: {source}")]
    BinlogUnavailable {
        /// The start position asked for, e.g. `mysql-bin.000042:4`.
        start: String,
        /// The server's error.
        source: ServerError,
    },
    /// Another replica connected with the same server id and the server ended this
    /// connection's dump in its favour (MariaDB error 4052; MySQL error 1236 "a slave with the
    /// same server_uuid/server_id"). The server keeps one dump per id: the newer connection
    /// wins, the older one's driver and streams end with this error. Configure a unique
    /// [`server_id`](crate::ConfigBuilder::server_id) (the default is random).
    #[error("server id {server_id} is in use by another replica: {source}")]
    ServerIdInUse {
        /// The server id this client registered with.
        server_id: u32,
        /// The server's error.
        source: ServerError,
    },
    /// The server refused a request (ERR packet) in a way no other variant describes.
    #[error(transparent)]
    Server(ServerError),
    /// The server's bytes broke the protocol or a binlog event could not be decoded.
    #[error("protocol error: {0}")]
    Protocol(binlog_proto::Error),
    /// The stream did not keep up under [`LagPolicy::Drop`](crate::LagPolicy::Drop) and was
    /// dropped. It delivered every item before this error; `missed` items after them were not
    /// delivered (counted until this error was yielded). Reconnect from the position of the
    /// last item received to get them.
    #[error("this stream fell behind and was dropped; it missed {missed} items")]
    Lagged {
        /// Items published to this stream after it fell behind.
        missed: u64,
    },
    /// Loading or saving the checkpoint failed (replication mode,
    /// [`start_replication`](crate::start_replication)). A failed save ends the stream rather
    /// than letting the stored position fall silently behind.
    #[error("checkpoint {during} failed: {source}")]
    Checkpoint {
        /// `load` or `save`.
        during: &'static str,
        /// The store's error.
        #[source]
        source: Arc<binlog_checkpoint::Error>,
    },
    /// The stored checkpoint belongs to another server flavour than the one connected to
    /// (a MariaDB checkpoint on a MySQL server, or the reverse): its position means nothing
    /// here.
    #[error("the checkpoint was taken on {checkpoint}, but the server is {server}")]
    CheckpointFlavor {
        /// The checkpoint's flavour.
        checkpoint: binlog_checkpoint::Flavor,
        /// The server's flavour.
        server: binlog_checkpoint::Flavor,
    },
    /// The connection driver stopped before this stream ended normally: its future was
    /// dropped, or the stream was created after the client had shut down.
    #[error("the connection driver has stopped")]
    Shutdown,
}

impl Error {
    /// Whether this is [`Error::Lagged`].
    pub fn is_lagged(&self) -> bool {
        matches!(self, Error::Lagged { .. })
    }

    /// The server's error, when the server refused something.
    pub fn server_error(&self) -> Option<&ServerError> {
        match self {
            Error::Server(source)
            | Error::AccessDenied { source, .. }
            | Error::ReplicationDenied { source, .. }
            | Error::BinlogUnavailable { source, .. }
            | Error::ServerIdInUse { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<binlog_proto::Error> for Error {
    /// ERR packets become [`Error::Server`], everything else [`Error::Protocol`].
    fn from(error: binlog_proto::Error) -> Self {
        match error {
            binlog_proto::Error::Server(e) => Error::Server(e),
            other => Error::Protocol(other),
        }
    }
}

impl From<io::Error> for Error {
    fn from(error: io::Error) -> Self {
        Error::Io(Arc::new(error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proto_errors_are_split_into_server_and_protocol() {
        let server = ServerError {
            code: 1236,
            sql_state: Some("HY000".into()),
            message: "Could not find first log file name in binary log index file".into(),
        };
        let e = Error::from(binlog_proto::Error::Server(server.clone()));
        assert_eq!(e.server_error(), Some(&server));
        assert_eq!(
            e.to_string(),
            "server error 1236 (HY000): Could not find first log file name in binary log index file"
        );
        let e = Error::from(binlog_proto::Error::Malformed {
            what: "event header",
            offset: 7,
        });
        assert!(matches!(e, Error::Protocol(_)));
        assert_eq!(
            e.to_string(),
            "protocol error: malformed event header at offset 7"
        );
        assert_eq!(e.server_error(), None);
    }

    #[test]
    fn io_errors_clone_and_keep_their_source() {
        let e = Error::from(io::Error::new(io::ErrorKind::ConnectionReset, "reset by peer"));
        let copy = e.clone();
        assert_eq!(copy.to_string(), "connection I/O failed: reset by peer");
        let source = std::error::Error::source(&copy).map(|s| s.to_string());
        assert_eq!(source.as_deref(), Some("reset by peer"));
    }

    #[test]
    fn config_errors_convert() {
        let e = Error::from(ConfigError::MissingUser);
        assert_eq!(e.to_string(), "invalid configuration: a user name is required");
    }
}
