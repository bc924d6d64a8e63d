//! The [`Client`] handle and the driver's matching set of hubs.

use std::sync::Arc;

use crate::config::LagPolicy;
use crate::driver::Shutdown;
use crate::error::Error;
use crate::hub::{Hub, Registry, Tracker};
use crate::item::{BinlogEvent, BinlogPosition, RowsEvent};
use crate::streams::{BinlogEvents, BinlogPositions, RowsDeleted, RowsInserted, RowsUpdated};

/// A handle to one replication connection: creates the signal streams. Cheap to clone; every
/// clone talks to the same connection.
///
/// The connection itself is read by a separate driver future that owns the socket and
/// publishes to the streams.
///
/// ```no_run
/// use futures::StreamExt;
///
/// # async fn example(client: binlog_signals::Client) -> Result<(), binlog_signals::Error> {
/// let mut inserted = client.rows_inserted().table("shop.orders");
/// let mut positions = client.binlog_positions();
/// while let Some(event) = inserted.next().await {
///     println!("new order at {}", event?.position());
/// }
/// # drop(positions);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Client {
    registries: Arc<Registries>,
    shutdown: Arc<Shutdown>,
    /// Shared by the clones; when the last one is dropped, the driver is told.
    _handle: Arc<Handle>,
}

/// Dropped with the last [`Client`] clone.
#[derive(Debug)]
struct Handle(Arc<Shutdown>);

impl Drop for Handle {
    fn drop(&mut self) {
        self.0.clients_dropped();
    }
}

#[derive(Debug)]
struct Registries {
    rows_inserted: Registry<RowsEvent>,
    rows_updated: Registry<RowsEvent>,
    rows_deleted: Registry<RowsEvent>,
    binlog_events: Registry<BinlogEvent>,
    binlog_positions: Registry<BinlogPosition>,
}

impl Client {
    /// Inserted rows, from the next published event on. See [`RowsInserted`].
    pub fn rows_inserted(&self) -> RowsInserted {
        RowsInserted::new(self.registries.rows_inserted.subscribe())
    }

    /// Updated rows, from the next published event on. See [`RowsUpdated`].
    pub fn rows_updated(&self) -> RowsUpdated {
        RowsUpdated::new(self.registries.rows_updated.subscribe())
    }

    /// Deleted rows, from the next published event on. See [`RowsDeleted`].
    pub fn rows_deleted(&self) -> RowsDeleted {
        RowsDeleted::new(self.registries.rows_deleted.subscribe())
    }

    /// Every binlog event, from the next one on. See [`BinlogEvents`].
    pub fn binlog_events(&self) -> BinlogEvents {
        BinlogEvents::new(self.registries.binlog_events.subscribe())
    }

    /// The position after every event, from the next one on. See [`BinlogPositions`].
    pub fn binlog_positions(&self) -> BinlogPositions {
        BinlogPositions::new(self.registries.binlog_positions.subscribe())
    }

    /// Asks the driver to stop: it finishes the event in flight, closes the connection, ends
    /// every stream (after the items they buffered) and returns the position reached. Returns
    /// at once; await the driver to know when it is done. Calling it again does nothing.
    ///
    /// Dropping every clone of the client also stops the driver, once no stream is left:
    /// streams created before keep receiving events until they are dropped too (the driver
    /// notices at the next event or heartbeat).
    pub fn shutdown(&self) {
        self.shutdown.request();
    }

    /// Whether [`shutdown`](Self::shutdown) was called on this client or a clone.
    pub fn is_shutdown_requested(&self) -> bool {
        self.shutdown.is_requested()
    }

    /// How many times the driver reopened a lost connection so far. Every reconnect is also
    /// logged (`tracing`, level WARN for the loss, INFO for the new connection); the stream
    /// resumes after the last transaction delivered, without duplicates or gaps.
    pub fn reconnects(&self) -> u64 {
        self.shutdown.reconnects()
    }

    pub(crate) fn shutdown_signal(&self) -> Arc<Shutdown> {
        Arc::clone(&self.shutdown)
    }
}

/// The driver's side of a [`Client`]: one hub per signal and their shared tracker.
pub(crate) struct Hubs {
    pub(crate) rows_inserted: Hub<RowsEvent>,
    pub(crate) rows_updated: Hub<RowsEvent>,
    pub(crate) rows_deleted: Hub<RowsEvent>,
    pub(crate) binlog_events: Hub<BinlogEvent>,
    pub(crate) binlog_positions: Hub<BinlogPosition>,
    pub(crate) tracker: Arc<Tracker>,
}

impl Hubs {
    /// Whether any stream exists (taking items, or waiting to be picked up).
    pub(crate) fn has_subscribers(&self) -> bool {
        self.tracker.tracked() > 0
            || self.rows_inserted.has_pending()
            || self.rows_updated.has_pending()
            || self.rows_deleted.has_pending()
            || self.binlog_events.has_pending()
            || self.binlog_positions.has_pending()
    }

    /// Ends every stream: cleanly (`None`) or with `error`.
    pub(crate) fn close(self, error: Option<Error>) {
        self.rows_inserted.close(error.clone());
        self.rows_updated.close(error.clone());
        self.rows_deleted.close(error.clone());
        self.binlog_events.close(error.clone());
        self.binlog_positions.close(error);
    }
}

/// A client handle and the hubs its streams are fed from.
pub(crate) fn channels(capacity: usize, policy: LagPolicy) -> (Client, Hubs) {
    let tracker = Tracker::new();
    let shutdown = Arc::new(Shutdown::default());
    let (rows_inserted, inserted) = Hub::new(capacity, policy, tracker.clone());
    let (rows_updated, updated) = Hub::new(capacity, policy, tracker.clone());
    let (rows_deleted, deleted) = Hub::new(capacity, policy, tracker.clone());
    let (binlog_events, events) = Hub::new(capacity, policy, tracker.clone());
    let (binlog_positions, positions) = Hub::new(capacity, policy, tracker.clone());
    let client = Client {
        registries: Arc::new(Registries {
            rows_inserted: inserted,
            rows_updated: updated,
            rows_deleted: deleted,
            binlog_events: events,
            binlog_positions: positions,
        }),
        shutdown: Arc::clone(&shutdown),
        _handle: Arc::new(Handle(shutdown)),
    };
    let hubs = Hubs {
        rows_inserted,
        rows_updated,
        rows_deleted,
        binlog_events,
        binlog_positions,
        tracker,
    };
    (client, hubs)
}

#[cfg(test)]
mod tests {
    use futures::StreamExt;

    use super::*;
    use crate::item::RowAction;

    fn row(action: RowAction, schema: &str, table: &str, pos: u64) -> RowsEvent {
        let meta = crate::item::Meta {
            action,
            timestamp: 1_700_000_000,
            server_id: 1,
            position: BinlogPosition::new("mysql-bin.000001", pos),
            gtid: None,
        };
        let columns = std::sync::Arc::new(crate::item::Columns::positional(1));
        RowsEvent::new(meta, schema, table, columns, Vec::new())
    }

    /// One event fans out to its signals; the tracker covers all of them with one sequence
    /// number per event.
    #[tokio::test]
    async fn named_streams_receive_their_signal_and_share_one_watermark() {
        let (client, mut hubs) = channels(8, LagPolicy::Backpressure);
        let mut inserted = client.rows_inserted().table("shop.orders");
        let mut deleted = client.rows_deleted();
        let mut positions = client.binlog_positions();
        let mut events = client.binlog_events().table("shop.*");

        let insert = row(RowAction::Insert, "shop", "orders", 200);
        hubs.rows_inserted.publish(1, insert.clone()).await;
        hubs.binlog_positions
            .publish(1, BinlogPosition::new("mysql-bin.000001", 200))
            .await;
        let raw = bytes::Bytes::from_static(&[0u8; 19]);
        let query = BinlogEvent::new(
            binlog_proto::event::EventType::QUERY_EVENT,
            1,
            1,
            BinlogPosition::new("mysql-bin.000001", 300),
            None,
            raw.clone(),
        );
        hubs.binlog_events.publish(2, query).await;
        let table_map = BinlogEvent::new(
            binlog_proto::event::EventType::TABLE_MAP_EVENT,
            1,
            1,
            BinlogPosition::new("mysql-bin.000001", 400),
            Some(("shop", "orders")),
            raw,
        );
        hubs.binlog_events.publish(3, table_map).await;
        hubs.rows_deleted
            .publish(4, row(RowAction::Delete, "crm", "x", 500))
            .await;

        let got = inserted.next().await.expect("item").expect("ok");
        assert_eq!(
            (got.action(), got.schema(), got.table()),
            (RowAction::Insert, "shop", "orders")
        );
        assert_eq!(got.position(), &BinlogPosition::new("mysql-bin.000001", 200));
        assert_eq!(got.timestamp(), 1_700_000_000);
        let got = positions.next().await.expect("item").expect("ok");
        assert_eq!(got.to_string(), "mysql-bin.000001:200");
        // The QUERY event concerns no table and the stream has an include pattern.
        let got = events.next().await.expect("item").expect("ok");
        assert_eq!(got.event_type(), binlog_proto::event::EventType::TABLE_MAP_EVENT);
        assert_eq!(got.table(), Some(("shop", "orders")));
        assert_eq!(got.raw().len(), 19);
        let got = deleted.next().await.expect("item").expect("ok");
        assert_eq!((got.action().as_str(), got.table()), ("delete", "x"));

        // Each stream holds its last item until polled again.
        assert!(!hubs.tracker.is_consumed(1));
        drop((inserted, positions, events));
        assert!(!hubs.tracker.is_consumed(4));
        assert!(futures::poll!(deleted.next()).is_pending());
        assert!(hubs.tracker.is_consumed(4));

        hubs.close(None);
        assert!(deleted.next().await.is_none());
        // A stream created after the end says so.
        let late = client.rows_updated().next().await;
        assert!(matches!(late, Some(Err(Error::Shutdown))), "{late:?}");
    }

    #[tokio::test]
    async fn dropping_the_driver_ends_streams_with_shutdown() {
        let (client, hubs) = channels(8, LagPolicy::Backpressure);
        let mut inserted = client.rows_inserted();
        drop(hubs);
        assert!(matches!(inserted.next().await, Some(Err(Error::Shutdown))));
        assert!(inserted.next().await.is_none());
        assert!(futures::stream::FusedStream::is_terminated(&inserted));
    }

    #[tokio::test]
    async fn a_fatal_error_reaches_every_stream_after_its_items() {
        let (client, mut hubs) = channels(8, LagPolicy::Backpressure);
        let mut a = client.rows_inserted();
        let mut b = client.binlog_positions();
        hubs.rows_inserted
            .publish(1, row(RowAction::Insert, "s", "t", 10))
            .await;
        hubs.close(Some(Error::ReadTimeout {
            after: std::time::Duration::from_secs(60),
        }));
        assert!(matches!(a.next().await, Some(Ok(_))));
        assert!(matches!(a.next().await, Some(Err(Error::ReadTimeout { .. }))));
        assert!(a.next().await.is_none());
        assert!(matches!(b.next().await, Some(Err(Error::ReadTimeout { .. }))));
        let late = client.rows_deleted().next().await;
        assert!(matches!(late, Some(Err(Error::ReadTimeout { .. }))));
    }
}
