//! Printing a live replication stream: the loop shared by `binlog tail` and `binlog demo`.
//!
//! Row changes must print in binlog order, but `binlog_signals` delivers inserts, updates and
//! deletes on three separate streams. The `binlog_events` stream carries every event, rows
//! events included, in the order the driver published them, and the driver publishes a rows
//! event on `binlog_events` and then on its `rows_*` stream with the same filter. So the loop
//! reads `binlog_events` and, for each rows event, takes the next item of the matching `rows_*`
//! stream: one `RowsEvent` per rows event, in binlog order.
//!
//! The same events tell where transactions end (as the driver's own boundary tracking does),
//! which is where the checkpoint may point: the position after the last event that was not
//! inside a transaction, once every line up to it has been written out.

use std::future::Future;
use std::pin::pin;

use binlog_cli::format::{Change, Op, SignalImage, json, text};
use binlog_signals::{
    BinlogEvent, BinlogEvents, BinlogPosition, Client, EventType, RowsDeleted, RowsEvent, RowsInserted,
    RowsUpdated,
};
use futures::{FutureExt as _, StreamExt as _};

use crate::checkpoint::Saver;
use crate::cli::Format;
use crate::output::{Output, OutputError};

/// Why printing stopped.
#[derive(Debug)]
pub(crate) enum Ended {
    /// The streams ended cleanly: shutdown (interrupt, demo end) or the end of the binlog
    /// (`--until-end`).
    Clean,
    /// The connection failed (or the streams did not match, which would be a bug).
    Failed(String),
    /// Standard output is gone or failing.
    Output(OutputError),
    /// The checkpoint could not be saved.
    Checkpoint(String),
}

/// The four streams the loop reads, subscribed before the driver runs.
pub(crate) struct Streams {
    events: BinlogEvents,
    inserted: RowsInserted,
    updated: RowsUpdated,
    deleted: RowsDeleted,
}

impl Streams {
    pub(crate) fn subscribe(client: &Client) -> Streams {
        Streams {
            events: client.binlog_events(),
            inserted: client.rows_inserted(),
            updated: client.rows_updated(),
            deleted: client.rows_deleted(),
        }
    }
}

/// The kind of row change of a rows event type, `None` for other events (the same table as
/// `binlog_proto`'s rows event parser).
fn rows_op(event_type: EventType) -> Option<Op> {
    Some(match event_type {
        EventType::PRE_GA_WRITE_ROWS_EVENT
        | EventType::WRITE_ROWS_EVENT_V1
        | EventType::WRITE_ROWS_EVENT
        | EventType::WRITE_ROWS_COMPRESSED_EVENT_V1
        | EventType::WRITE_ROWS_COMPRESSED_EVENT => Op::Insert,
        EventType::PRE_GA_UPDATE_ROWS_EVENT
        | EventType::UPDATE_ROWS_EVENT_V1
        | EventType::UPDATE_ROWS_EVENT
        | EventType::PARTIAL_UPDATE_ROWS_EVENT
        | EventType::UPDATE_ROWS_COMPRESSED_EVENT_V1
        | EventType::UPDATE_ROWS_COMPRESSED_EVENT => Op::Update,
        EventType::PRE_GA_DELETE_ROWS_EVENT
        | EventType::DELETE_ROWS_EVENT_V1
        | EventType::DELETE_ROWS_EVENT
        | EventType::DELETE_ROWS_COMPRESSED_EVENT_V1
        | EventType::DELETE_ROWS_COMPRESSED_EVENT => Op::Delete,
        _ => return None,
    })
}

/// Transaction boundaries, as the driver tracks them (`binlog-signals` `driver/session.rs`):
/// a GTID event or `BEGIN` opens a transaction; XID, XA_PREPARE and every statement but
/// `BEGIN` and savepoints end one (DDL commits implicitly).
#[derive(Debug, Default)]
struct Transactions {
    inside: bool,
    /// The position after the last event outside a transaction: a safe place to resume.
    safe: Option<BinlogPosition>,
}

impl Transactions {
    fn on_event(&mut self, event: &BinlogEvent) {
        let statement = event.query().map(|q| q.trim_start().to_ascii_uppercase());
        let statement = statement.as_deref();
        let begins = matches!(
            event.event_type(),
            EventType::GTID_EVENT
                | EventType::GTID_LOG_EVENT
                | EventType::ANONYMOUS_GTID_LOG_EVENT
                | EventType::GTID_TAGGED_LOG_EVENT
        ) || statement.is_some_and(|s| s.starts_with("BEGIN"));
        let ends = matches!(
            event.event_type(),
            EventType::XID_EVENT | EventType::XA_PREPARE_LOG_EVENT
        ) || statement.is_some_and(|s| {
            !(s.starts_with("BEGIN") || s.starts_with("SAVEPOINT") || s.starts_with("ROLLBACK TO"))
        });
        if begins {
            self.inside = true;
        }
        if ends {
            self.inside = false;
        }
        let position = event.position();
        if !self.inside && !position.file().is_empty() {
            self.safe = Some(position.clone());
        }
    }
}

/// The server's flavour from a FORMAT_DESCRIPTION event: its server version string (50 bytes
/// after the 19-byte header and the 2-byte binlog version) names MariaDB.
fn flavor_of(event: &BinlogEvent) -> Option<binlog_checkpoint::Flavor> {
    if event.event_type() != EventType::FORMAT_DESCRIPTION_EVENT {
        return None;
    }
    let version = event.raw().get(21..71)?;
    let mariadb = version.windows(7).any(|w| w.eq_ignore_ascii_case(b"mariadb"));
    Some(if mariadb {
        binlog_checkpoint::Flavor::Mariadb
    } else {
        binlog_checkpoint::Flavor::Mysql
    })
}

/// Where printing stands: what was printed, and where a resume would start.
pub(crate) struct Follower {
    format: Format,
    out: Output,
    transactions: Transactions,
    /// The last safe position whose lines were all written to standard output.
    flushed: Option<BinlogPosition>,
    /// The position after the last event handled.
    pub(crate) last: Option<BinlogPosition>,
    saver: Option<Saver>,
    /// Row changes printed.
    pub(crate) rows: u64,
}

impl Follower {
    pub(crate) fn new(format: Format, saver: Option<Saver>) -> Follower {
        Follower {
            format,
            out: Output::stdout(),
            transactions: Transactions::default(),
            flushed: None,
            last: None,
            saver,
            rows: 0,
        }
    }

    /// Prints every stream item until the streams end. `stop` resolving asks the driver to
    /// shut down (through `client`); what the streams still hold is printed, then the loop
    /// ends. `stop_after` is checked after every event: when it says so, the driver is asked
    /// to shut down too.
    pub(crate) async fn run(
        &mut self,
        client: &Client,
        streams: &mut Streams,
        stop: impl Future<Output = ()>,
        mut stop_after: impl FnMut(&BinlogPosition) -> bool,
    ) -> Ended {
        let mut stop = pin!(stop.fuse());
        let mut stopping = false;
        loop {
            // Write out and checkpoint whenever nothing more is ready: lines appear as soon
            // as their events arrive, and a busy stream is written in large blocks.
            let next = match streams.events.next().now_or_never() {
                Some(next) => next,
                None => {
                    if let Err(ended) = self.flush(false).await {
                        return ended;
                    }
                    // A position the throttle held back is saved once the stream idles.
                    let pending = match (&self.saver, &self.flushed) {
                        (Some(saver), Some(position)) => saver.pending(position),
                        _ => None,
                    };
                    tokio::select! {
                        biased;
                        () = &mut stop, if !stopping => {
                            client.shutdown();
                            stopping = true;
                            continue;
                        }
                        () = tokio::time::sleep(pending.unwrap_or_default()), if pending.is_some() => {
                            continue;
                        }
                        next = streams.events.next() => next,
                    }
                }
            };
            let event = match next {
                None => break,
                Some(Ok(event)) => event,
                Some(Err(error)) => {
                    // Lines before the error are still worth their checkpoint.
                    let _ = self.flush(true).await;
                    return Ended::Failed(error.to_string());
                }
            };
            if let Err(ended) = self.on_event(&event, streams).await {
                return ended;
            }
            if !stopping && stop_after(event.position()) {
                client.shutdown();
                stopping = true;
            }
        }
        match self.flush(true).await {
            Ok(()) => Ended::Clean,
            Err(ended) => ended,
        }
    }

    async fn on_event(&mut self, event: &BinlogEvent, streams: &mut Streams) -> Result<(), Ended> {
        if let Some(flavor) = flavor_of(event)
            && let Some(saver) = &mut self.saver
        {
            saver.set_flavor(flavor);
        }
        if let Some(op) = rows_op(event.event_type()) {
            let item = match op {
                Op::Insert => streams.inserted.next().await,
                Op::Update => streams.updated.next().await,
                Op::Delete => streams.deleted.next().await,
            };
            let rows = match item {
                Some(Ok(rows)) => rows,
                Some(Err(error)) => return Err(Ended::Failed(error.to_string())),
                None => {
                    return Err(Ended::Failed(format!(
                        "the {} stream ended before the rows event at {}",
                        op.as_str(),
                        event.position()
                    )));
                }
            };
            if rows.position() != event.position() {
                return Err(Ended::Failed(format!(
                    "internal error: rows event at {} does not match the binlog event at {}",
                    rows.position(),
                    event.position()
                )));
            }
            self.print(&rows);
            self.out.flush_if_full().map_err(Ended::Output)?;
        }
        self.transactions.on_event(event);
        self.last = Some(event.position().clone());
        Ok(())
    }

    fn print(&mut self, event: &RowsEvent) {
        let position = event.position();
        let change = Change {
            op: Op::from(event.action()),
            table: event,
            file: position.file(),
            offset: position.position(),
            gtid: event.gtid(),
            timestamp: event.timestamp(),
        };
        let buf = self.out.buffer();
        for row in event.rows() {
            let before = row.before().map(|image| SignalImage::new(event, image));
            let after = row.after().map(|image| SignalImage::new(event, image));
            match self.format {
                Format::Json => json::write_row(buf, &change, before.as_ref(), after.as_ref()),
                Format::Text => text::write_row(buf, &change, before.as_ref(), after.as_ref()),
            }
        }
        self.rows = self.rows.saturating_add(event.rows().len() as u64);
    }

    /// Writes out what is buffered; then the last safe position is covered by standard output
    /// and may be checkpointed (now when `force`, else at the saver's pace).
    async fn flush(&mut self, force: bool) -> Result<(), Ended> {
        self.out.flush().map_err(Ended::Output)?;
        self.flushed.clone_from(&self.transactions.safe);
        if let (Some(saver), Some(position)) = (&mut self.saver, &self.flushed) {
            saver
                .save(position, force)
                .await
                .map_err(|e| Ended::Checkpoint(e.to_string()))?;
        }
        Ok(())
    }

    /// The last position whose lines were all written out and where a resume starts.
    pub(crate) fn resume_position(&self) -> Option<&BinlogPosition> {
        self.flushed.as_ref()
    }
}

/// Installs the SIGINT (Ctrl-C) and SIGTERM handlers now, so that from here on neither kills
/// the process; the returned future resolves on the first of them. If the handlers cannot be
/// installed, it never resolves (and the default actions stay).
pub(crate) fn interrupted() -> impl Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    let signals = signal(SignalKind::interrupt()).and_then(|int| Ok((int, signal(SignalKind::terminate())?)));
    async move {
        let Ok((mut int, mut term)) = signals else {
            eprintln!("binlog: cannot install the SIGINT/SIGTERM handlers");
            return std::future::pending().await;
        };
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rows_event_type_has_its_op() {
        assert_eq!(rows_op(EventType::WRITE_ROWS_EVENT), Some(Op::Insert));
        assert_eq!(rows_op(EventType::PARTIAL_UPDATE_ROWS_EVENT), Some(Op::Update));
        assert_eq!(
            rows_op(EventType::DELETE_ROWS_COMPRESSED_EVENT_V1),
            Some(Op::Delete)
        );
        assert_eq!(rows_op(EventType::TABLE_MAP_EVENT), None);
        assert_eq!(rows_op(EventType::QUERY_EVENT), None);
    }
}
