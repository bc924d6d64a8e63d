//! What the streams yield. Every item is a cheap handle (`Arc` inside): cloning one for each
//! subscriber copies a pointer, not the data.

use std::fmt;
use std::sync::Arc;

use binlog_proto::event::EventType;
use bytes::Bytes;

use crate::hub::Routed;

/// A binlog coordinate: file name and byte offset.
///
/// ```
/// use binlog_signals::BinlogPosition;
///
/// let position = BinlogPosition::new("mysql-bin.000003", 1234);
/// assert_eq!(position.to_string(), "mysql-bin.000003:1234");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BinlogPosition {
    file: Arc<str>,
    position: u64,
}

impl BinlogPosition {
    /// A position in `file` at byte `position`.
    pub fn new(file: impl Into<Arc<str>>, position: u64) -> Self {
        BinlogPosition {
            file: file.into(),
            position,
        }
    }

    /// The binlog file name, e.g. `mysql-bin.000003`.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The byte offset in the file.
    pub fn position(&self) -> u64 {
        self.position
    }
}

impl fmt::Display for BinlogPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.position)
    }
}

impl Routed for BinlogPosition {
    fn table(&self) -> Option<(&str, &str)> {
        None
    }
}

/// The kind of row change, the seed's `meta["action"]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RowAction {
    /// `WRITE_ROWS` events: new rows.
    Insert,
    /// `UPDATE_ROWS` events: before and after images.
    Update,
    /// `DELETE_ROWS` events: removed rows.
    Delete,
}

impl RowAction {
    /// `"insert"`, `"update"` or `"delete"`.
    pub fn as_str(self) -> &'static str {
        match self {
            RowAction::Insert => "insert",
            RowAction::Update => "update",
            RowAction::Delete => "delete",
        }
    }
}

impl fmt::Display for RowAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One rows event (`WRITE_ROWS`, `UPDATE_ROWS` or `DELETE_ROWS`) of one table.
#[derive(Debug, Clone)]
pub struct RowsEvent {
    inner: Arc<RowsEventInner>,
}

// The row images (values, keys, changed columns) join these fields when the event decoder is
// plugged in; the header fields below are final.
#[derive(Debug)]
struct RowsEventInner {
    action: RowAction,
    schema: Box<str>,
    table: Box<str>,
    timestamp: u32,
    server_id: u32,
    position: BinlogPosition,
}

impl RowsEvent {
    #[cfg_attr(not(test), allow(dead_code))] // built by the driver (integration)
    pub(crate) fn new(
        action: RowAction,
        schema: &str,
        table: &str,
        timestamp: u32,
        server_id: u32,
        position: BinlogPosition,
    ) -> Self {
        RowsEvent {
            inner: Arc::new(RowsEventInner {
                action,
                schema: schema.into(),
                table: table.into(),
                timestamp,
                server_id,
                position,
            }),
        }
    }

    /// Insert, update or delete.
    pub fn action(&self) -> RowAction {
        self.inner.action
    }

    /// The schema (database) name.
    pub fn schema(&self) -> &str {
        &self.inner.schema
    }

    /// The table name.
    pub fn table(&self) -> &str {
        &self.inner.table
    }

    /// When the statement ran on the originating server (event header, seconds since
    /// 1970-01-01 UTC).
    pub fn timestamp(&self) -> u32 {
        self.inner.timestamp
    }

    /// The server id of the server that originally wrote the event.
    pub fn server_id(&self) -> u32 {
        self.inner.server_id
    }

    /// The position right after this event: where reading would resume.
    pub fn position(&self) -> &BinlogPosition {
        &self.inner.position
    }
}

impl Routed for RowsEvent {
    fn table(&self) -> Option<(&str, &str)> {
        Some((&self.inner.schema, &self.inner.table))
    }
}

/// One binlog event as the server sent it.
#[derive(Debug, Clone)]
pub struct BinlogEvent {
    inner: Arc<BinlogEventInner>,
}

// The decoded event body joins these fields when the event decoder is plugged in.
#[derive(Debug)]
struct BinlogEventInner {
    event_type: EventType,
    timestamp: u32,
    server_id: u32,
    position: BinlogPosition,
    table: Option<(Box<str>, Box<str>)>,
    raw: Bytes,
}

impl BinlogEvent {
    #[cfg_attr(not(test), allow(dead_code))] // built by the driver (integration)
    pub(crate) fn new(
        event_type: EventType,
        timestamp: u32,
        server_id: u32,
        position: BinlogPosition,
        table: Option<(&str, &str)>,
        raw: Bytes,
    ) -> Self {
        BinlogEvent {
            inner: Arc::new(BinlogEventInner {
                event_type,
                timestamp,
                server_id,
                position,
                table: table.map(|(schema, table)| (schema.into(), table.into())),
                raw,
            }),
        }
    }

    /// The event type code.
    pub fn event_type(&self) -> EventType {
        self.inner.event_type
    }

    /// The event header's timestamp (seconds since 1970-01-01 UTC).
    pub fn timestamp(&self) -> u32 {
        self.inner.timestamp
    }

    /// The server id of the server that originally wrote the event.
    pub fn server_id(&self) -> u32 {
        self.inner.server_id
    }

    /// The position right after this event.
    pub fn position(&self) -> &BinlogPosition {
        &self.inner.position
    }

    /// `(schema, table)` for events about one table (`TABLE_MAP` and rows events).
    pub fn table(&self) -> Option<(&str, &str)> {
        self.inner.table.as_ref().map(|(s, t)| (&**s, &**t))
    }

    /// The whole event as received: header, body and checksum, if any.
    pub fn raw(&self) -> &Bytes {
        &self.inner.raw
    }
}

impl Routed for BinlogEvent {
    fn table(&self) -> Option<(&str, &str)> {
        BinlogEvent::table(self)
    }
}
