//! What the streams yield. Every item is a cheap handle (`Arc` inside): cloning one for each
//! subscriber copies a pointer, not the data. Every item is `serde::Serialize`.

mod rows;

use std::fmt;
use std::sync::Arc;

use binlog_proto::event::EventType;
use bytes::Bytes;
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

pub(crate) use rows::Meta;
pub use rows::{Columns, Image, NameSource, Row, RowsEvent};

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

impl Serialize for BinlogPosition {
    /// `{"file": "mysql-bin.000003", "position": 1234}`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("BinlogPosition", 2)?;
        s.serialize_field("file", self.file())?;
        s.serialize_field("position", &self.position)?;
        s.end()
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

impl Serialize for RowAction {
    /// `"insert"`, `"update"` or `"delete"`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl fmt::Display for RowAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One binlog event as the server sent it, with what the driver decoded from it.
#[derive(Debug, Clone)]
pub struct BinlogEvent {
    inner: Arc<BinlogEventInner>,
}

/// The fields of a [`BinlogEvent`], filled in by the driver.
#[derive(Debug)]
pub(crate) struct BinlogEventInner {
    pub(crate) event_type: EventType,
    pub(crate) timestamp: u32,
    pub(crate) server_id: u32,
    pub(crate) position: BinlogPosition,
    pub(crate) table: Option<(Box<str>, Box<str>)>,
    pub(crate) gtid: Option<Arc<str>>,
    pub(crate) query: Option<Box<str>>,
    pub(crate) raw: Bytes,
}

impl BinlogEvent {
    pub(crate) fn from_inner(inner: BinlogEventInner) -> Self {
        BinlogEvent {
            inner: Arc::new(inner),
        }
    }

    #[cfg(test)]
    pub(crate) fn new(
        event_type: EventType,
        timestamp: u32,
        server_id: u32,
        position: BinlogPosition,
        table: Option<(&str, &str)>,
        raw: Bytes,
    ) -> Self {
        BinlogEvent::from_inner(BinlogEventInner {
            event_type,
            timestamp,
            server_id,
            position,
            table: table.map(|(schema, table)| (schema.into(), table.into())),
            gtid: None,
            query: None,
            raw,
        })
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

    /// The position right after this event. Artificial events (the ROTATE and
    /// FORMAT_DESCRIPTION a stream starts with) carry the position reached so far.
    pub fn position(&self) -> &BinlogPosition {
        &self.inner.position
    }

    /// `(schema, table)` for events about one table (`TABLE_MAP` and rows events).
    pub fn table(&self) -> Option<(&str, &str)> {
        self.inner.table.as_ref().map(|(s, t)| (&**s, &**t))
    }

    /// The GTID of the transaction the event belongs to, when the server assigns one.
    pub fn gtid(&self) -> Option<&str> {
        self.inner.gtid.as_deref()
    }

    /// The statement of a QUERY event (DDL, `BEGIN`, `COMMIT`, statement-based changes),
    /// decoded as UTF-8 (invalid bytes replaced).
    pub fn query(&self) -> Option<&str> {
        self.inner.query.as_deref()
    }

    /// The whole event as received: header, body and checksum, if any. For an event inside a
    /// MySQL TRANSACTION_PAYLOAD (compressed transaction), the payload event that carried it.
    pub fn raw(&self) -> &Bytes {
        &self.inner.raw
    }
}

impl Routed for BinlogEvent {
    fn table(&self) -> Option<(&str, &str)> {
        BinlogEvent::table(self)
    }
}

impl Serialize for BinlogEvent {
    /// `{"event_type": "QUERY_EVENT", "time", "server_id", "log_file", "log_pos", "schema",
    /// "table", "gtid", "query", "size"}` (the raw bytes are left out).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("BinlogEvent", 10)?;
        s.serialize_field("event_type", &self.event_type().to_string())?;
        s.serialize_field("time", &self.timestamp())?;
        s.serialize_field("server_id", &self.server_id())?;
        s.serialize_field("log_file", self.position().file())?;
        s.serialize_field("log_pos", &self.position().position())?;
        s.serialize_field("schema", &self.table().map(|t| t.0))?;
        s.serialize_field("table", &self.table().map(|t| t.1))?;
        s.serialize_field("gtid", &self.gtid())?;
        s.serialize_field("query", &self.query())?;
        s.serialize_field("size", &self.raw().len())?;
        s.end()
    }
}
