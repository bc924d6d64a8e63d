//! Reopening a lost replication connection: which errors are worth a retry, and the backoff
//! loop.

use std::sync::Arc;

use binlog_proto::session::StartPosition;

use super::Shutdown;
use crate::config::Config;
use crate::error::Error;
use crate::tls::TlsConnector;
use crate::wire::Replication;

/// ER_CON_COUNT_ERROR: too many connections (the server is busy, not gone).
const ER_CON_COUNT: u16 = 1040;
/// ER_SERVER_SHUTDOWN: the server is shutting down (it will usually come back).
const ER_SERVER_SHUTDOWN: u16 = 1053;
/// ER_CONNECTION_KILLED (MariaDB) / ER_QUERY_INTERRUPTED: an administrator killed the dump.
const ER_CONNECTION_KILLED: u16 = 1927;
/// ER_QUERY_INTERRUPTED (MySQL): the dump thread was killed.
const ER_QUERY_INTERRUPTED: u16 = 1317;

/// Whether `error` means the connection was lost (try again) rather than refused or broken
/// for good (end the stream). A purged binlog or a missing GTID (1236) is final: reconnecting
/// would fail the same way, and skipping ahead would lose data silently.
pub(crate) fn is_retryable(error: &Error) -> bool {
    match error {
        Error::Io(_) | Error::ReadTimeout { .. } | Error::Connect { .. } | Error::ConnectTimeout { .. } => {
            true
        }
        Error::Server(source) => matches!(
            source.code,
            ER_CON_COUNT | ER_SERVER_SHUTDOWN | ER_CONNECTION_KILLED | ER_QUERY_INTERRUPTED
        ),
        _ => false,
    }
}

/// How reopening ended.
pub(crate) enum Reopened {
    /// A new connection, streaming from the requested start.
    Connected(Box<Replication>),
    /// Shutdown was requested while waiting.
    Shutdown,
}

/// Reopens the connection from `start`, with backoff, after `error` ended the previous one.
/// `failed` counts the attempts already made since the last connection that delivered
/// anything; it is updated. Returns the last error when the attempts are used up or an
/// attempt fails in a way that is not worth retrying.
pub(crate) async fn reopen(
    config: &Config,
    tls: Option<&TlsConnector>,
    shutdown: &Arc<Shutdown>,
    start: impl Fn() -> StartPosition,
    mut error: Error,
    failed: &mut u32,
) -> Result<Reopened, Error> {
    let policy = *config.reconnect();
    loop {
        if !is_retryable(&error) {
            return Err(error);
        }
        *failed = failed.saturating_add(1);
        let attempt = *failed;
        if !policy.allows(attempt) {
            tracing::error!(attempts = attempt - 1, %error, "giving up reconnecting");
            return Err(error);
        }
        let delay = policy.delay(attempt, fastrand::f64());
        tracing::warn!(attempt, ?delay, %error, "replication connection lost; reconnecting");
        tokio::select! {
            biased;
            () = shutdown.requested(false) => return Ok(Reopened::Shutdown),
            () = tokio::time::sleep(delay) => {}
        }
        let start = start();
        let opened = tokio::select! {
            biased;
            () = shutdown.requested(false) => return Ok(Reopened::Shutdown),
            opened = Replication::open(config, tls.cloned(), start.clone()) => opened,
        };
        match opened {
            Ok(replication) => {
                shutdown.count_reconnect();
                tracing::info!(attempt, ?start, reconnects = shutdown.reconnects(), "reconnected");
                return Ok(Reopened::Connected(Box::new(replication)));
            }
            Err(e) => error = e,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::error::ServerError;

    fn server(code: u16) -> Error {
        Error::Server(ServerError {
            code,
            sql_state: None,
            message: String::new(),
        })
    }

    #[test]
    fn lost_connections_are_retried_refusals_are_not() {
        let io = Error::from(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "closed"));
        assert!(is_retryable(&io));
        assert!(is_retryable(&Error::ReadTimeout {
            after: Duration::from_secs(2)
        }));
        assert!(is_retryable(&server(ER_SERVER_SHUTDOWN)));
        assert!(!is_retryable(&server(1236)));
        let purged = Error::BinlogUnavailable {
            start: "mysql-bin.000001:4".into(),
            source: ServerError {
                code: 1236,
                sql_state: None,
                message: "purged".into(),
            },
        };
        assert!(!is_retryable(&purged));
        assert!(!is_retryable(&Error::Lagged { missed: 1 }));
    }
}
