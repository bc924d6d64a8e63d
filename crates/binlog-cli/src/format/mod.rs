//! Row-change formatters: [`json`] (one JSON object per line, the stable contract) and
//! [`text`] (for people).
//!
//! Both take a [`Change`] (where and what, with the table as anything implementing [`Table`])
//! and the row's images as anything implementing [`Image`]: a borrowed [`RowImage`] straight
//! from a decoded event (the fast path of `binlog decode`), an [`OwnedImage`] detached from
//! it, or a [`SignalImage`] of a `binlog_signals` stream item (what `binlog tail` prints).
//! Both sources print the same line for the same row.

pub mod json;
pub mod text;

use binlog_proto::event::rows::{OwnedImage, RowImage, RowsKind};
use binlog_proto::event::table_map::TableMap;
use binlog_proto::value::Value;
use binlog_signals::RowsEvent;

/// The kind of row change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// A new row (after image only).
    Insert,
    /// A changed row (before and after images).
    Update,
    /// A removed row (before image only).
    Delete,
}

impl Op {
    /// `"insert"`, `"update"` or `"delete"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Insert => "insert",
            Op::Update => "update",
            Op::Delete => "delete",
        }
    }
}

impl From<RowsKind> for Op {
    fn from(kind: RowsKind) -> Op {
        match kind {
            RowsKind::Write => Op::Insert,
            RowsKind::Update => Op::Update,
            RowsKind::Delete => Op::Delete,
        }
    }
}

/// Where and when a row change happened: everything of an output line except the values.
#[derive(Clone, Copy)]
pub struct Change<'a> {
    /// Insert, update or delete.
    pub op: Op,
    /// The table (schema, name, column names, primary key).
    pub table: &'a dyn Table,
    /// The binlog file name.
    pub file: &'a str,
    /// The offset just past the rows event in `file` (the event header's next position).
    pub offset: u64,
    /// The transaction's GTID (`uuid:n` on MySQL, `domain-server-seq` on MariaDB), if any.
    pub gtid: Option<&'a str>,
    /// The event header's timestamp: seconds since 1970-01-01 UTC.
    pub timestamp: u32,
}

impl std::fmt::Debug for Change<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Change")
            .field("op", &self.op)
            .field("schema", &self.table.schema())
            .field("table", &self.table.name())
            .field("file", &self.file)
            .field("offset", &self.offset)
            .field("gtid", &self.gtid)
            .field("timestamp", &self.timestamp)
            .finish()
    }
}

/// A row image: the values of the columns it holds, by column index.
pub trait Image {
    /// Calls `f` with each column index present in the image and its value, in column order.
    fn for_each_value(&self, f: &mut dyn FnMut(usize, Value<'_>));

    /// The value of column `index`, if the image holds it.
    fn value(&self, index: usize) -> Option<Value<'_>>;
}

impl Image for RowImage<'_> {
    fn for_each_value(&self, f: &mut dyn FnMut(usize, Value<'_>)) {
        for (column, value) in self.values() {
            f(column.index(), value);
        }
    }

    fn value(&self, index: usize) -> Option<Value<'_>> {
        self.get(index)
    }
}

impl Image for OwnedImage {
    fn for_each_value(&self, f: &mut dyn FnMut(usize, Value<'_>)) {
        for (index, value) in self.values.iter().enumerate() {
            if let Some(value) = value {
                f(index, value.as_value());
            }
        }
    }

    fn value(&self, index: usize) -> Option<Value<'_>> {
        self.get(index).map(|v| v.as_value())
    }
}

/// What a formatter needs to know about a table: its names, its column names and its primary
/// key.
pub trait Table {
    /// The schema (database) name.
    fn schema(&self) -> &str;

    /// The table name.
    fn name(&self) -> &str;

    /// The name of column `index` (0-based), when known; the formatters print `@1`, `@2`, ...
    /// otherwise.
    fn column_name(&self, index: usize) -> Option<&str>;

    /// Calls `f` with each primary-key column index, in key order; never when the key is
    /// unknown.
    fn for_each_key_column(&self, f: &mut dyn FnMut(usize));
}

/// A shared table (the decoder hands out `Arc<TableMap>`).
impl<T: Table + ?Sized> Table for std::sync::Arc<T> {
    fn schema(&self) -> &str {
        (**self).schema()
    }

    fn name(&self) -> &str {
        (**self).name()
    }

    fn column_name(&self, index: usize) -> Option<&str> {
        (**self).column_name(index)
    }

    fn for_each_key_column(&self, f: &mut dyn FnMut(usize)) {
        (**self).for_each_key_column(f);
    }
}

/// A TABLE_MAP event: names from its optional metadata (`binlog_row_metadata=FULL`), none
/// without it; the key from its PRIMARY KEY metadata.
impl Table for TableMap {
    fn schema(&self) -> &str {
        TableMap::schema(self)
    }

    fn name(&self) -> &str {
        TableMap::table(self)
    }

    fn column_name(&self, index: usize) -> Option<&str> {
        self.column(index).and_then(|c| c.name())
    }

    fn for_each_key_column(&self, f: &mut dyn FnMut(usize)) {
        for part in self.primary_key().unwrap_or_default() {
            f(part.column);
        }
    }
}

/// A `binlog_signals` rows event: names and key as the driver resolved them (TABLE_MAP
/// metadata, else `information_schema`, else positional `@1`, `@2`, ...).
impl Table for RowsEvent {
    fn schema(&self) -> &str {
        RowsEvent::schema(self)
    }

    fn name(&self) -> &str {
        RowsEvent::table(self)
    }

    fn column_name(&self, index: usize) -> Option<&str> {
        self.columns().name(index)
    }

    fn for_each_key_column(&self, f: &mut dyn FnMut(usize)) {
        for &index in self.columns().primary_key() {
            f(index);
        }
    }
}

/// One image of a `binlog_signals` row with its table's width, as an [`Image`].
///
/// ```no_run
/// use binlog_cli::format::{Change, Op, SignalImage, json};
///
/// # fn print(event: &binlog_signals::RowsEvent) {
/// let change = Change {
///     op: Op::from(event.action()),
///     table: event,
///     file: event.position().file(),
///     offset: event.position().position(),
///     gtid: event.gtid(),
///     timestamp: event.timestamp(),
/// };
/// let mut out = Vec::new();
/// for row in event.rows() {
///     let before = row.before().map(|i| SignalImage::new(event, i));
///     let after = row.after().map(|i| SignalImage::new(event, i));
///     json::write_row(&mut out, &change, before.as_ref(), after.as_ref());
/// }
/// # }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct SignalImage<'a> {
    image: binlog_signals::Image<'a>,
    width: usize,
}

impl<'a> SignalImage<'a> {
    /// `image`, a row image of `event`.
    pub fn new(event: &RowsEvent, image: binlog_signals::Image<'a>) -> Self {
        SignalImage {
            image,
            width: event.columns().len(),
        }
    }
}

impl Image for SignalImage<'_> {
    fn for_each_value(&self, f: &mut dyn FnMut(usize, Value<'_>)) {
        for index in 0..self.width {
            if let Some(value) = self.image.get_index(index) {
                f(index, value.as_value());
            }
        }
    }

    fn value(&self, index: usize) -> Option<Value<'_>> {
        self.image.get_index(index).map(|v| v.as_value())
    }
}

impl From<binlog_signals::RowAction> for Op {
    fn from(action: binlog_signals::RowAction) -> Op {
        match action {
            binlog_signals::RowAction::Insert => Op::Insert,
            binlog_signals::RowAction::Update => Op::Update,
            binlog_signals::RowAction::Delete => Op::Delete,
        }
    }
}
