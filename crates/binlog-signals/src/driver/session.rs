//! The session loop: read an event, decode it, publish it to the hubs, repeat.
//!
//! One [`SessionLoop`] lives as long as the driver. It owns the decoder state (format
//! description, table maps), where the stream is (file, position, GTID of the open
//! transaction) and the transaction boundaries the subscribers have consumed. A connection
//! ([`Replication`]) is a replaceable part: [`SessionLoop::run`] is where a lost connection
//! will be reopened from the last consumed boundary (reconnect, issue 6).

use std::sync::Arc;

use binlog_checkpoint::GtidState;
use binlog_proto::event::{DecodedEvent, Decoder, Event, EventFlags};
use binlog_proto::handshake::Flavor;
use binlog_proto::session::{BinlogChecksum, StartPosition};
use bytes::Bytes;

use super::Shutdown;
use super::boundary::{Boundaries, Boundary};
use super::checkpointing::Checkpointer;
use super::gtid_state::GtidTracker;
use super::reconnect::{self, Reopened};
use super::rows;
use crate::client::Hubs;
use crate::config::Config;
use crate::error::Error;
use crate::item::{BinlogEvent, BinlogEventInner, BinlogPosition, Meta, RowAction};
use crate::schema::{self, Schemas};
use crate::tls::TlsConnector;
use crate::wire::Replication;

/// Why the loop stopped without an error.
enum Stop {
    /// `Client::shutdown`.
    Shutdown,
    /// Non-blocking mode reached the end of the binlog.
    EndOfBinlog,
    /// Every client handle and every stream was dropped.
    Orphaned,
}

pub(crate) struct SessionLoop {
    config: Arc<Config>,
    hubs: Hubs,
    decoder: Decoder,
    schemas: Schemas,
    shutdown: Arc<Shutdown>,
    /// The binlog file being read.
    file: Arc<str>,
    /// The position after the last event.
    position: u64,
    /// The last position published on `binlog_positions` (published only when it moves).
    published: Option<BinlogPosition>,
    /// The GTID of the transaction being read.
    gtid: Option<Arc<str>>,
    /// Inside a transaction (after its GTID or `BEGIN`, before its end).
    in_transaction: bool,
    /// The position after the last event published outside a transaction (a transaction's
    /// end, a rotation, ...): where a new connection can resume without starting inside a
    /// transaction, whose TABLE_MAP events it would miss.
    resume: BinlogPosition,
    /// Sequence number of the last event published (one per event, on every hub).
    seq: u64,
    boundaries: Boundaries,
    /// For reopening a lost connection.
    tls: Option<TlsConnector>,
    flavor: Flavor,
    /// The GTID state after the last complete transaction (checkpoints, GTID resume).
    gtids: GtidTracker,
    /// Replication mode: saves consumed boundaries.
    checkpointer: Option<Checkpointer>,
    /// After a reconnect: the position of the last event published before the loss. The new
    /// connection starts at the last transaction boundary, so the events up to here come
    /// again; they are decoded (table maps) but not published a second time.
    replay: Option<BinlogPosition>,
    /// Reconnect attempts since the last connection that delivered anything.
    failed_attempts: u32,
}

impl SessionLoop {
    pub(crate) fn new(
        config: Arc<Config>,
        hubs: Hubs,
        schemas: Schemas,
        shutdown: Arc<Shutdown>,
        start: BinlogPosition,
        checksum: bool,
    ) -> SessionLoop {
        let mut decoder = Decoder::new();
        decoder.set_checksum(checksum);
        SessionLoop {
            config,
            hubs,
            decoder,
            schemas,
            shutdown,
            file: start.file().into(),
            position: start.position(),
            published: None,
            gtid: None,
            in_transaction: false,
            resume: start,
            seq: 0,
            boundaries: Boundaries::default(),
            tls: None,
            flavor: Flavor::Mysql,
            gtids: GtidTracker::default(),
            checkpointer: None,
            replay: None,
            failed_attempts: 0,
        }
    }

    /// What reconnecting and checkpoints need: the TLS connector, the server flavour, the
    /// GTID state at the start (when known) and, in replication mode, the checkpointer.
    pub(crate) fn resilient(
        mut self,
        tls: Option<TlsConnector>,
        flavor: Flavor,
        gtids: Option<GtidState>,
        checkpointer: Option<Checkpointer>,
    ) -> SessionLoop {
        self.tls = tls;
        self.flavor = flavor;
        self.gtids = GtidTracker::new(gtids);
        self.checkpointer = checkpointer;
        self
    }

    /// Runs until shutdown, the end of the binlog (non-blocking mode) or an error; ends every
    /// stream accordingly and returns the position after the last complete transaction
    /// published (see [`Driver`](super::Driver)).
    pub(crate) async fn run(mut self, mut replication: Replication) -> Result<BinlogPosition, Error> {
        let outcome = loop {
            let error = match self.stream(&mut replication).await {
                Err(error) if reconnect::is_retryable(&error) => error,
                outcome => break outcome,
            };
            match self.reconnect(error).await {
                Ok(Some(new)) => replication = new,
                Ok(None) => break Ok(Stop::Shutdown),
                Err(error) => break Err(error),
            }
        };
        let position = self.resume.clone();
        let outcome = match (outcome, self.final_checkpoint().await) {
            (Ok(stop), Err(error)) => {
                tracing::error!(%error, "the last checkpoint could not be saved");
                let _ = stop;
                Err(error)
            }
            (Err(error), Err(save)) => {
                tracing::error!(error = %save, "the last checkpoint could not be saved");
                Err(error)
            }
            (outcome, Ok(())) => outcome,
        };
        match outcome {
            Ok(stop) => {
                match stop {
                    Stop::Shutdown => tracing::info!(%position, "shutdown requested; streams ended"),
                    Stop::EndOfBinlog => {
                        tracing::info!(%position, "end of the binlog reached (non-blocking mode)")
                    }
                    Stop::Orphaned => tracing::info!(%position, "every client handle and stream was dropped"),
                }
                replication.close().await;
                self.hubs.close(None);
                Ok(position)
            }
            Err(error) => {
                tracing::error!(%position, %error, "replication stream failed");
                self.hubs.close(Some(error.clone()));
                Err(error)
            }
        }
    }

    fn position(&self) -> BinlogPosition {
        BinlogPosition::new(Arc::clone(&self.file), self.position)
    }

    /// Reopens the connection after `error` from the last transaction boundary published;
    /// `None` when shutdown was requested meanwhile.
    async fn reconnect(&mut self, error: Error) -> Result<Option<Replication>, Error> {
        let resume = self.resume.clone();
        let gtid_start = match (self.flavor, self.gtids.current()) {
            // MariaDB: by GTID when the state is known (`@slave_connect_state`); it names the
            // same transaction boundary as the file position, and survives a server that was
            // restored or replaced. MySQL resumes by position (the state may be incomplete
            // when the stream did not start at a file's beginning).
            (Flavor::Mariadb, Some(GtidState::Mariadb(list))) if !list.is_empty() => {
                Some(StartPosition::MariadbGtids(list.clone()))
            }
            _ => None,
        };
        let start = || {
            gtid_start.clone().unwrap_or_else(|| StartPosition::File {
                file: resume.file().to_owned(),
                position: resume.position(),
            })
        };
        let reopened = reconnect::reopen(
            &self.config,
            self.tls.as_ref(),
            &self.shutdown,
            start,
            error,
            &mut self.failed_attempts,
        )
        .await?;
        let Reopened::Connected(replication) = reopened else {
            return Ok(None);
        };
        // Everything published up to the loss comes again from the boundary: skip it.
        let published = self.position();
        tracing::debug!(%resume, %published, "replaying from the last transaction boundary");
        self.replay = Some(published);
        self.file = Arc::from(resume.file());
        self.position = resume.position();
        self.in_transaction = false;
        self.gtid = None;
        self.gtids.restart_transaction();
        let mut decoder = Decoder::new();
        decoder.set_checksum(replication.info().checksum == BinlogChecksum::Crc32);
        self.decoder = decoder;
        Ok(Some(*replication))
    }

    /// Whether the event is one published before a reconnect (or an artificial event of the
    /// new connection's start); ends the replay at the first event past it.
    fn replayed(&mut self, log_pos: u32, flags: EventFlags) -> bool {
        let Some(published) = &self.replay else {
            return false;
        };
        if log_pos == 0 || flags.contains(EventFlags::ARTIFICIAL) {
            return true;
        }
        if *published.file() == *self.file && u64::from(log_pos) <= published.position() {
            return true;
        }
        self.replay = None;
        false
    }

    /// Saves the consumed boundary if a save is due.
    async fn checkpoint(&mut self) -> Result<(), Error> {
        let Some(checkpointer) = self.checkpointer.as_mut() else {
            return Ok(());
        };
        self.boundaries.advance(&self.hubs.tracker);
        checkpointer.save(self.boundaries.committed()).await
    }

    /// The save when the driver ends, whatever the reason.
    async fn final_checkpoint(&mut self) -> Result<(), Error> {
        self.checkpoint().await
    }

    async fn stream(&mut self, replication: &mut Replication) -> Result<Stop, Error> {
        let server_id = self.config.server_id();
        let shutdown = Arc::clone(&self.shutdown);
        loop {
            if shutdown.is_requested() {
                return Ok(Stop::Shutdown);
            }
            // Without client handles the driver serves the streams that are left, and stops
            // with the last one.
            let orphaned = shutdown.is_orphaned();
            if orphaned && !self.hubs.has_subscribers() {
                return Ok(Stop::Orphaned);
            }
            if self.checkpointer.as_ref().is_some_and(Checkpointer::is_due) {
                self.checkpoint().await?;
            }
            let next = tokio::select! {
                biased;
                () = shutdown.requested(!orphaned) => continue,
                () = checkpoint_due(self.checkpointer.as_ref(), &self.boundaries) => {
                    self.checkpoint().await?;
                    continue;
                }
                next = replication.next_event(server_id) => next?,
            };
            let Some(raw) = next else {
                if self.config.blocking() {
                    // A blocking dump never ends by itself: the server ended it (MariaDB sends
                    // EOF when it shuts down or the dump thread is killed; `sql_repl.cc`,
                    // `mysql_binlog_send`). A lost connection, to be reopened.
                    return Err(Error::from(std::io::Error::new(
                        std::io::ErrorKind::ConnectionAborted,
                        "the server ended the binlog dump (shutdown or killed dump thread)",
                    )));
                }
                return Ok(Stop::EndOfBinlog);
            };
            // The connection works: a later loss starts a fresh series of attempts.
            self.failed_attempts = 0;
            // The event in flight is published completely unless shutdown is requested while
            // a subscriber holds it up; the returned position is then the one before it.
            let saved = (Arc::clone(&self.file), self.position);
            tokio::select! {
                biased;
                () = shutdown.requested(false) => {
                    (self.file, self.position) = saved;
                    return Ok(Stop::Shutdown);
                }
                result = self.on_event(raw) => result?,
            }
        }
    }

    async fn on_event(&mut self, raw: Bytes) -> Result<(), Error> {
        let decoded = self.decoder.decode(&raw)?;
        let Event::TransactionPayload(payload) = &decoded.event else {
            return self.on_decoded(&decoded, &raw).await;
        };
        // MySQL 8.0.20+ with binlog_transaction_compression: the transaction's events are
        // inside. They carry no position (log_pos 0): they all get the payload's end.
        self.on_decoded(&decoded, &raw).await?;
        let mut decoder = std::mem::take(&mut self.decoder);
        let result = async {
            for inner in payload.events(&mut decoder) {
                self.on_decoded(&inner?, &raw).await?;
            }
            Ok(())
        }
        .await;
        self.decoder = decoder;
        result
    }

    /// Handles one decoded event; `raw` is the event as received (for events inside a
    /// TRANSACTION_PAYLOAD, the payload event).
    async fn on_decoded(&mut self, decoded: &DecodedEvent<'_>, raw: &Bytes) -> Result<(), Error> {
        let header = decoded.header;
        if matches!(decoded.event, Event::Heartbeat(_)) {
            // Not a binlog event: the server's "still here" on an idle stream.
            return Ok(());
        }
        let replayed = self.replayed(header.log_pos, header.flags);
        match &decoded.event {
            Event::Rotate(rotate) => {
                self.file = rotate.next_file_lossy().into();
                self.position = rotate.position;
            }
            // Artificial events (log_pos 0) do not move the position.
            _ if header.log_pos != 0 => self.position = u64::from(header.log_pos),
            _ => {}
        }
        match &decoded.event {
            Event::MariadbGtid(event) => self.gtid = Some(event.gtid.to_string().into()),
            Event::Gtid(event) => self.gtid = event.gtid().map(|g| g.to_string().into()),
            _ => {}
        }
        if let Event::Query(query) = &decoded.event
            && schema::is_ddl(&query.sql)
        {
            self.schemas.invalidate();
        }
        self.gtids.on_event(&decoded.event);
        let ends_transaction = ends_transaction(&decoded.event);
        if begins_transaction(&decoded.event) {
            self.in_transaction = true;
        }
        if replayed {
            // Published before the reconnect; its boundary (if any) was recorded then.
            if ends_transaction {
                self.in_transaction = false;
                self.gtid = None;
                self.gtids.on_boundary();
            }
            if !self.in_transaction {
                self.resume = self.position();
            }
            return Ok(());
        }
        self.seq = self.seq.saturating_add(1);
        let seq = self.seq;
        self.publish(seq, decoded, raw).await?;
        if ends_transaction {
            self.in_transaction = false;
        }
        if !self.in_transaction {
            self.resume = self.position();
        }
        if ends_transaction {
            self.gtids.on_boundary();
            if let Some(checkpointer) = self.checkpointer.as_mut() {
                checkpointer.record(seq, self.gtids.current());
            }
            let boundary = Boundary {
                seq,
                position: self.position(),
                gtid: self.gtid.take(),
            };
            self.boundaries.push(boundary, &self.hubs.tracker);
        }
        Ok(())
    }

    async fn publish(&mut self, seq: u64, decoded: &DecodedEvent<'_>, raw: &Bytes) -> Result<(), Error> {
        let header = &decoded.header;
        let position = self.position();
        let table = match &decoded.event {
            Event::TableMap(map) => Some((map.schema(), map.table())),
            Event::Rows(rows) => Some((rows.table().schema(), rows.table().table())),
            _ => None,
        };
        // The connection-wide filter: excluded tables are neither decoded nor published.
        let allowed = table.is_none_or(|(schema, name)| self.config.table_filter().allows(schema, name));
        if allowed {
            let event = BinlogEvent::from_inner(BinlogEventInner {
                event_type: header.event_type,
                timestamp: header.timestamp,
                server_id: header.server_id,
                position: position.clone(),
                table: table.map(|(s, t)| (s.into(), t.into())),
                gtid: self.gtid.clone(),
                query: match &decoded.event {
                    Event::Query(query) => Some(query.sql_lossy().into()),
                    _ => None,
                },
                raw: raw.clone(),
            });
            self.hubs.binlog_events.publish(seq, event).await;
        }
        if allowed && let Event::Rows(event) = &decoded.event {
            let resolved = self.schemas.resolve(event.table()).await;
            let action = rows::action(event.kind());
            let meta = Meta {
                action,
                timestamp: header.timestamp,
                server_id: header.server_id,
                position: position.clone(),
                gtid: self.gtid.clone(),
            };
            let item = rows::build(event, raw, meta, &resolved)?;
            let hub = match action {
                RowAction::Insert => &mut self.hubs.rows_inserted,
                RowAction::Update => &mut self.hubs.rows_updated,
                RowAction::Delete => &mut self.hubs.rows_deleted,
            };
            hub.publish(seq, item).await;
        }
        if self.published.as_ref() != Some(&position) {
            self.hubs.binlog_positions.publish(seq, position.clone()).await;
            self.published = Some(position);
        }
        Ok(())
    }
}

/// Resolves when a checkpoint save is due; never without checkpoints.
async fn checkpoint_due(checkpointer: Option<&Checkpointer>, boundaries: &Boundaries) {
    match checkpointer {
        Some(checkpointer) => {
            checkpointer
                .due(boundaries.committed(), boundaries.pending() > 0)
                .await
        }
        None => std::future::pending().await,
    }
}

/// Events that open a transaction: its GTID event, or `BEGIN` when there is none.
fn begins_transaction(event: &Event<'_>) -> bool {
    match event {
        Event::MariadbGtid(_) | Event::Gtid(_) => true,
        Event::Query(query) => {
            let sql = String::from_utf8_lossy(&query.sql);
            sql.trim_start().to_ascii_uppercase().starts_with("BEGIN")
        }
        _ => false,
    }
}

/// Events after which the binlog is between transactions: XID (transactional commit),
/// XA_PREPARE, and every QUERY event but `BEGIN` and savepoints (`COMMIT` of non-transactional
/// changes, DDL, which commits implicitly).
fn ends_transaction(event: &Event<'_>) -> bool {
    match event {
        Event::Xid(_) | Event::XaPrepare(_) => true,
        Event::Query(query) => {
            let sql = String::from_utf8_lossy(&query.sql);
            let sql = sql.trim_start().to_ascii_uppercase();
            !(sql.starts_with("BEGIN") || sql.starts_with("SAVEPOINT") || sql.starts_with("ROLLBACK TO"))
        }
        _ => false,
    }
}
