//! Replication mode: [`start_replication`] resumes from a stored [`Checkpoint`] and keeps it
//! up to date (the seed's `start_replication(settings, (path, 2))`, done right).
//!
//! The checkpoint only ever names a transaction boundary (the end of an XID, `COMMIT` or DDL
//! event) that every subscriber has consumed, with every item of that transaction: the
//! consumption tracker of the hubs says when. It is saved at most every
//! [`Checkpoints::interval`] and once more when the driver ends. `docs/guarantees.md` has the
//! whole argument.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use binlog_checkpoint::{Checkpoint, CheckpointStore, Flavor, GtidState};
use binlog_proto::handshake::Flavor as ServerFlavor;
use tokio::time::Instant;

use super::Driver;
use super::boundary::Boundary;
use crate::client::Client;
use crate::config::{Config, Start};
use crate::error::Error;

/// How often the checkpoint is saved when not configured (the seed's 2 seconds).
pub const DEFAULT_CHECKPOINT_INTERVAL: Duration = Duration::from_secs(2);

/// While the stream is idle and subscribers still hold items, how often consumption is
/// checked for a save.
const IDLE_RECHECK: Duration = Duration::from_millis(20);

/// Where replication mode keeps its checkpoint, and how often it saves it.
///
/// ```
/// use std::time::Duration;
/// use binlog_checkpoint::MemoryStore;
/// use binlog_signals::Checkpoints;
///
/// let checkpoints = Checkpoints::new(MemoryStore::new()).interval(Duration::from_millis(500));
/// assert_eq!(checkpoints.get_interval(), Duration::from_millis(500));
/// ```
#[derive(Clone)]
pub struct Checkpoints {
    store: Arc<dyn CheckpointStore>,
    interval: Duration,
}

impl Checkpoints {
    /// Checkpoints in `store`, saved every [`DEFAULT_CHECKPOINT_INTERVAL`] at most.
    pub fn new(store: impl CheckpointStore + 'static) -> Checkpoints {
        Checkpoints::from_arc(Arc::new(store))
    }

    /// Checkpoints in a shared store.
    pub fn from_arc(store: Arc<dyn CheckpointStore>) -> Checkpoints {
        Checkpoints {
            store,
            interval: DEFAULT_CHECKPOINT_INTERVAL,
        }
    }

    /// Saves at most this often (and always when the driver ends). Zero saves after every
    /// consumed transaction.
    pub fn interval(mut self, interval: Duration) -> Checkpoints {
        self.interval = interval;
        self
    }

    /// The save interval.
    pub fn get_interval(&self) -> Duration {
        self.interval
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn CheckpointStore> {
        &self.store
    }
}

impl fmt::Debug for Checkpoints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Checkpoints")
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

/// Connects in replication mode: resumes from the checkpoint in `checkpoints` (or, when none
/// was saved yet, from [`Config::start`]: by default the current end of the binlog) and keeps
/// the checkpoint up to date as the streams consume. Otherwise like [`connect`](crate::connect).
///
/// A checkpoint with a GTID state resumes by GTID (MariaDB `@slave_connect_state`, MySQL
/// `COM_BINLOG_DUMP_GTID`), one without by binlog file and position. Either way the stream
/// starts with the transaction after the checkpointed one. Delivery is at least once: the
/// items consumed after the last saved checkpoint are delivered again after a crash (see
/// `docs/guarantees.md`).
///
/// ```no_run
/// use futures::StreamExt;
/// use binlog_checkpoint::FileStore;
/// use binlog_signals::Checkpoints;
///
/// # async fn example() -> Result<(), binlog_signals::Error> {
/// let config = binlog_signals::Config::from_url("mysql://repl:secret@db.internal/")?;
/// let checkpoints = Checkpoints::new(FileStore::new("/var/lib/cdc/orders.checkpoint"));
/// let (client, driver) = binlog_signals::start_replication(config, checkpoints).await?;
/// let mut orders = client.rows_inserted().table("shop.orders");
/// let driver = tokio::spawn(driver);
/// while let Some(event) = orders.next().await {
///     let event = event?;
///     // Handle it before asking for the next one: asking is what marks it consumed.
///     println!("{:?}", event.rows());
/// }
/// # drop(driver);
/// # Ok(())
/// # }
/// ```
pub async fn start_replication(config: Config, checkpoints: Checkpoints) -> Result<(Client, Driver), Error> {
    let stored = checkpoints.store.load().await.map_err(|e| Error::Checkpoint {
        during: "load",
        source: Arc::new(e),
    })?;
    let mut config = config;
    match &stored {
        Some(checkpoint) => {
            config.start = resume_start(checkpoint);
            tracing::info!(%checkpoint, "resuming from the stored checkpoint");
        }
        None => tracing::info!(start = ?config.start(), "no checkpoint stored yet"),
    }
    let checkpointer = Checkpointer::new(checkpoints, stored);
    super::open(config, Some(checkpointer)).await
}

/// Where a checkpoint resumes: by GTID when it has a state, else by file and position.
pub(super) fn resume_start(checkpoint: &Checkpoint) -> Start {
    match &checkpoint.gtid {
        Some(GtidState::Mariadb(list)) if !list.is_empty() => Start::MariadbGtid(list.clone()),
        Some(GtidState::Mysql(set)) if !set.is_empty() => Start::MysqlGtid(set.clone()),
        _ => Start::Position {
            file: checkpoint.binlog_file.clone(),
            position: checkpoint.binlog_position,
        },
    }
}

/// The checkpoint flavour of a server flavour.
pub(crate) fn flavor(server: ServerFlavor) -> Flavor {
    match server {
        ServerFlavor::Mysql => Flavor::Mysql,
        ServerFlavor::Mariadb => Flavor::Mariadb,
    }
}

/// The driver's side of replication mode: remembers the GTID state of every boundary not yet
/// consumed and saves the consumed ones.
pub(crate) struct Checkpointer {
    checkpoints: Checkpoints,
    /// The checkpoint loaded at start (its GTID state seeds the tracker).
    stored: Option<Checkpoint>,
    /// The position last saved (or loaded): nothing to save while it has not moved.
    saved: Option<(Arc<str>, u64)>,
    next_save: Instant,
    /// GTID state after each boundary not yet consumed, by sequence number.
    states: VecDeque<(u64, Option<GtidState>)>,
    server_flavor: Flavor,
    source_server_id: Option<u32>,
    saves: u64,
}

impl Checkpointer {
    pub(crate) fn new(checkpoints: Checkpoints, stored: Option<Checkpoint>) -> Checkpointer {
        let next_save = Instant::now() + checkpoints.interval;
        Checkpointer {
            checkpoints,
            saved: stored
                .as_ref()
                .map(|c| (Arc::from(c.binlog_file.as_str()), c.binlog_position)),
            stored,
            next_save,
            states: VecDeque::new(),
            server_flavor: Flavor::Mysql,
            source_server_id: None,
            saves: 0,
        }
    }

    /// Checks the stored checkpoint against the server; remembers what checkpoints record.
    pub(crate) fn connected(
        &mut self,
        server: ServerFlavor,
        source_server_id: Option<u32>,
    ) -> Result<(), Error> {
        self.server_flavor = flavor(server);
        self.source_server_id = source_server_id;
        match &self.stored {
            Some(checkpoint) if checkpoint.flavor != self.server_flavor => Err(Error::CheckpointFlavor {
                checkpoint: checkpoint.flavor,
                server: self.server_flavor,
            }),
            _ => Ok(()),
        }
    }

    /// The GTID state the stored checkpoint resumes from.
    pub(crate) fn seed(&self) -> Option<GtidState> {
        self.stored.as_ref().and_then(|c| c.gtid.clone())
    }

    /// A transaction ended at `seq` with this GTID state after it.
    pub(crate) fn record(&mut self, seq: u64, state: Option<&GtidState>) {
        self.states.push_back((seq, state.cloned()));
    }

    /// Resolves when a save is due and there may be something to save: a boundary not saved
    /// yet, or boundaries still waiting for subscribers (checked again at most every
    /// [`IDLE_RECHECK`], so a zero interval does not spin); never otherwise.
    pub(crate) async fn due(&self, committed: Option<&Boundary>, waiting: bool) {
        let unsaved = committed.is_some_and(|b| {
            self.saved
                .as_ref()
                .is_none_or(|(file, pos)| **file != *b.position.file() || *pos != b.position.position())
        });
        if unsaved {
            tokio::time::sleep_until(self.next_save).await;
        } else if waiting {
            tokio::time::sleep_until(self.next_save.max(Instant::now() + IDLE_RECHECK)).await;
        } else {
            std::future::pending::<()>().await;
        }
    }

    pub(crate) fn is_due(&self) -> bool {
        Instant::now() >= self.next_save
    }

    /// Saves `committed` (the last boundary every subscriber consumed) unless it is already
    /// saved; schedules the next save.
    pub(crate) async fn save(&mut self, committed: Option<&Boundary>) -> Result<(), Error> {
        self.next_save = Instant::now() + self.checkpoints.interval;
        let Some(boundary) = committed else {
            return Ok(());
        };
        // Forget the states of boundaries at or before the committed one.
        let mut state = None;
        while let Some((seq, _)) = self.states.front() {
            if *seq > boundary.seq {
                break;
            }
            if let Some((seq, s)) = self.states.pop_front()
                && seq == boundary.seq
            {
                state = Some(s);
            }
        }
        let position = &boundary.position;
        let current = (Arc::from(position.file()), position.position());
        if self.saved.as_ref() == Some(&current) {
            return Ok(());
        }
        let mut checkpoint =
            Checkpoint::new(self.server_flavor, position.file(), position.position()).with_saved_now();
        if let Some(Some(gtid)) = state
            && gtid.flavor() == self.server_flavor
        {
            checkpoint = checkpoint.with_gtid(gtid);
        }
        if let Some(id) = self.source_server_id {
            checkpoint = checkpoint.with_server_id(id);
        }
        self.checkpoints
            .store
            .save(&checkpoint)
            .await
            .map_err(|e| Error::Checkpoint {
                during: "save",
                source: Arc::new(e),
            })?;
        self.saves = self.saves.saturating_add(1);
        tracing::debug!(%checkpoint, saves = self.saves, "checkpoint saved");
        self.saved = Some(current);
        Ok(())
    }
}
