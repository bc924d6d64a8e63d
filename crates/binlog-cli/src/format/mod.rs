//! Row-change formatters: [`json`] (one JSON object per line, the stable contract) and
//! [`text`] (for people).
//!
//! Both take a [`Change`] (where and what) and the row's images as anything implementing
//! [`Image`]: a borrowed [`RowImage`] straight from a decoded event (the fast path of
//! `binlog decode`) or an [`OwnedImage`] detached from it (what a stream item holds).

pub mod json;
pub mod text;

use binlog_proto::event::rows::{OwnedImage, RowImage, RowsKind};
use binlog_proto::event::table_map::TableMap;
use binlog_proto::value::Value;

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
#[derive(Debug, Clone, Copy)]
pub struct Change<'a> {
    /// Insert, update or delete.
    pub op: Op,
    /// The table (schema, name, columns, primary key).
    pub table: &'a TableMap,
    /// The binlog file name.
    pub file: &'a str,
    /// The offset just past the rows event in `file` (the event header's next position).
    pub offset: u64,
    /// The transaction's GTID (`uuid:n` on MySQL, `domain-server-seq` on MariaDB), if any.
    pub gtid: Option<&'a str>,
    /// The event header's timestamp: seconds since 1970-01-01 UTC.
    pub timestamp: u32,
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

/// Calls `f` with each primary-key column index, for the `keys` of a change: the key columns
/// from the TABLE_MAP's PRIMARY KEY metadata (`binlog_row_metadata=FULL`), none without it.
pub(crate) fn key_columns(table: &TableMap) -> impl Iterator<Item = usize> + '_ {
    table
        .primary_key()
        .unwrap_or_default()
        .iter()
        .map(|part| part.column)
}
