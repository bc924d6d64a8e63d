//! [`connect`]: open the replication connection and hand back the [`Client`] handle and the
//! [`Driver`] future that owns the socket.

mod boundary;
mod checkpointing;
mod gtid_state;
mod reconnect;
mod rows;
mod session;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};

use binlog_proto::session::{BinlogChecksum, StartPosition};
use tokio::sync::Notify;

use crate::client::{self, Client};
use crate::config::{Config, Start};
use crate::error::Error;
use crate::item::BinlogPosition;
use crate::schema::Schemas;
use crate::tls::TlsConnector;
use crate::wire::{self, Replication};

pub use checkpointing::{Checkpoints, DEFAULT_CHECKPOINT_INTERVAL, start_replication};

/// Connects to the server and starts the binlog dump; returns the [`Client`] that creates
/// streams and the [`Driver`] that reads the connection.
///
/// Everything that can be refused is checked here, so a wrong password, an unreachable
/// server, a server without binary logging or with `binlog_format` other than ROW, a start
/// file that does not exist, missing privileges and TLS failures are errors of this call
/// (see [`Error`]). Connecting (TCP, TLS, authentication, setup, the dump's first answer)
/// is limited by [`Config::connect_timeout`].
///
/// Nothing is read until the driver runs: create the streams first, then spawn the driver,
/// and every stream sees every event from the start position on.
///
/// ```no_run
/// use futures::StreamExt;
///
/// # async fn example() -> Result<(), binlog_signals::Error> {
/// let config = binlog_signals::Config::from_url("mysql://repl:secret@db.internal/?start=end")?;
/// let (client, driver) = binlog_signals::connect(config).await?;
/// let mut rows_inserted = client.rows_inserted().table("db0.table1");
/// let driver = tokio::spawn(driver);
/// while let Some(ev) = rows_inserted.next().await {
///     let ev = ev?;
///     for row in ev.rows() {
///         println!("{}.{}: {:?}", ev.schema(), ev.table(), row.values());
///     }
/// }
/// client.shutdown();
/// let last_position = driver.await.expect("driver task")?;
/// println!("stopped at {last_position}");
/// # Ok(())
/// # }
/// ```
pub async fn connect(config: Config) -> Result<(Client, Driver), Error> {
    open(config, None).await
}

/// [`connect`], and in replication mode with the checkpointer.
async fn open(
    config: Config,
    mut checkpointer: Option<checkpointing::Checkpointer>,
) -> Result<(Client, Driver), Error> {
    let config = Arc::new(config);
    let tls = TlsConnector::new(config.tls(), config.host())?;
    tracing::info!(
        addr = %wire::address(&config),
        user = config.user(),
        server_id = config.server_id(),
        tls = %config.tls().mode(),
        start = ?config.start(),
        "connecting"
    );
    let replication = Replication::open(&config, tls.clone(), start_position(config.start())).await?;
    let info = replication.info();
    if let Some(checkpointer) = checkpointer.as_mut() {
        checkpointer.connected(info.flavor, info.source_server_id)?;
    }
    let start = match &info.start {
        StartPosition::File { file, position } => BinlogPosition::new(file.as_str(), *position),
        // GTID starts: the server's first (artificial) ROTATE names the file.
        _ => BinlogPosition::new("", 0),
    };
    tracing::info!(server = %info.server_version, flavor = ?info.flavor, %start, "replication started");
    let checksum = info.checksum == BinlogChecksum::Crc32;
    let (client, hubs) = client::channels(config.channel_capacity(), config.lag_policy());
    let schemas = Schemas::new(Arc::clone(&config), tls.clone());
    let flavor = info.flavor;
    let seed = match (&checkpointer, config.start()) {
        (Some(checkpointer), _) if checkpointer.seed().is_some() => checkpointer.seed(),
        (_, Start::MariadbGtid(list)) => Some(binlog_checkpoint::GtidState::Mariadb(list.clone())),
        (_, Start::MysqlGtid(set)) => Some(binlog_checkpoint::GtidState::Mysql(set.clone())),
        _ => None,
    };
    let session = session::SessionLoop::new(config, hubs, schemas, client.shutdown_signal(), start, checksum)
        .resilient(tls, flavor, seed, checkpointer);
    let driver = Driver {
        inner: Box::pin(session.run(replication)),
    };
    Ok((client, driver))
}

fn start_position(start: &Start) -> StartPosition {
    match start {
        Start::End => StartPosition::Current,
        Start::Oldest => StartPosition::Oldest,
        Start::Position { file, position } => StartPosition::File {
            file: file.clone(),
            position: *position,
        },
        Start::MysqlGtid(set) => StartPosition::MysqlGtids(set.clone()),
        Start::MariadbGtid(list) => StartPosition::MariadbGtids(list.clone()),
    }
}

/// The future that reads the replication connection and publishes every event to the
/// streams. Spawn it (`tokio::spawn(driver)`) or await it next to your consumers.
///
/// It resolves when [`Client::shutdown`] is called (after the event in flight), when a
/// non-blocking stream reaches the end of the binlog, when every client handle and stream was
/// dropped, or with the error that ended the connection (a lost connection is first reopened
/// from the last transaction boundary published, without repeating an item: see
/// [`Reconnect`](crate::Reconnect) and `docs/guarantees.md`). On success it returns the position
/// after the last complete transaction it published: the place to resume from
/// ([`Start::Position`]). A binlog position inside a transaction is no place to resume (the
/// transaction's TABLE_MAP events would be missing), so when the driver stops in the middle
/// of one, the events of that transaction already delivered are delivered again after
/// resuming: at least once, never lost. Every stream ends then: cleanly, or with the error
/// after its buffered items. Dropping the driver ends the streams with [`Error::Shutdown`].
#[must_use = "the driver does nothing unless polled or spawned"]
pub struct Driver {
    inner: Pin<Box<dyn Future<Output = Result<BinlogPosition, Error>> + Send>>,
}

impl Future for Driver {
    type Output = Result<BinlogPosition, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.inner.as_mut().poll(cx)
    }
}

impl fmt::Debug for Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Driver").finish_non_exhaustive()
    }
}

/// The shutdown request shared by the client handles and the driver.
#[derive(Debug, Default)]
pub(crate) struct Shutdown {
    requested: AtomicBool,
    /// Every client handle was dropped: stop once no stream is left either.
    orphaned: AtomicBool,
    notify: Notify,
    /// Connections reopened after a loss (see `Client::reconnects`).
    reconnects: AtomicU64,
}

impl Shutdown {
    pub(crate) fn clients_dropped(&self) {
        self.orphaned.store(true, Ordering::Release);
        self.notify.notify_waiters();
    }

    pub(crate) fn is_orphaned(&self) -> bool {
        self.orphaned.load(Ordering::Acquire)
    }

    pub(crate) fn request(&self) {
        self.requested.store(true, Ordering::Release);
        self.notify.notify_waiters();
    }

    pub(crate) fn count_reconnect(&self) {
        self.reconnects.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn reconnects(&self) -> u64 {
        self.reconnects.load(Ordering::Relaxed)
    }

    pub(crate) fn is_requested(&self) -> bool {
        self.requested.load(Ordering::Acquire)
    }

    /// Resolves once shutdown was requested, or (when `orphan` is set) once every client
    /// handle is dropped.
    pub(crate) async fn requested(&self, orphan: bool) {
        loop {
            let notified = self.notify.notified();
            if self.is_requested() || (orphan && self.is_orphaned()) {
                return;
            }
            notified.await;
        }
    }
}
