//! A plain SQL connection next to the replication stream, for what the binlog does not say
//! (column names and keys when TABLE_MAP metadata is minimal).

use binlog_proto::connection::{Connection, Output};
use binlog_proto::resultset::ResultSet;

use super::{Socket, connect_options, login_error, with_connect_timeout};
use crate::config::Config;
use crate::error::Error;
use crate::tls::TlsConnector;

/// An authenticated connection that runs one query at a time.
pub(crate) struct SqlConnection {
    socket: Socket,
    conn: Connection,
}

impl SqlConnection {
    /// Connects and authenticates like the replication connection (same account, TLS mode and
    /// connect timeout).
    pub(crate) async fn open(config: &Config, tls: Option<TlsConnector>) -> Result<SqlConnection, Error> {
        let options = connect_options(config)?;
        with_connect_timeout(config, async {
            let mut socket = Socket::connect(config, tls).await?;
            let mut conn = Connection::new(options);
            loop {
                match conn.poll().map_err(|e| login_error(config, e))? {
                    Output::Send(bytes) => socket.send(&conn, &bytes).await?,
                    Output::NeedMoreData => socket.receive(conn.read_buffer()).await?,
                    Output::StartTls => {
                        socket.start_tls().await?;
                        conn.tls_established().map_err(|e| login_error(config, e))?;
                    }
                    Output::Authenticated | Output::Idle => break,
                    _ => {
                        return Err(Error::Protocol(binlog_proto::Error::InvalidState {
                            state: "connecting",
                            action: "accept a result before authentication",
                        }));
                    }
                }
            }
            socket.read_timeout = config.read_timeout();
            Ok(SqlConnection { socket, conn })
        })
        .await
    }

    /// Runs `sql` and returns its rows. A server error leaves the connection usable.
    pub(crate) async fn query(&mut self, sql: &str) -> Result<ResultSet, Error> {
        // Drain the Idle left after authentication.
        while !self.conn.is_ready() {
            match self.conn.poll()? {
                Output::Idle => break,
                Output::NeedMoreData => self.socket.receive(self.conn.read_buffer()).await?,
                Output::Send(bytes) => self.socket.send(&self.conn, &bytes).await?,
                _ => {}
            }
        }
        self.conn.query(sql)?;
        loop {
            match self.conn.poll()? {
                Output::Send(bytes) => self.socket.send(&self.conn, &bytes).await?,
                Output::NeedMoreData => self.socket.receive(self.conn.read_buffer()).await?,
                Output::Result(result) => return Ok(result.into_result_set()),
                _ => {
                    return Err(Error::Protocol(binlog_proto::Error::InvalidState {
                        state: "query",
                        action: "accept something other than a result",
                    }));
                }
            }
        }
    }
}
