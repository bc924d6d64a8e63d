//! Rows events as the `rows_*` streams deliver them: the table, its column names and primary
//! key, and every row's images as named, typed values.
//!
//! The shapes follow the seed (python-mysql-replication-blinker): each row has `values` (the
//! after image for inserts and updates, the before image for deletes) and `keys` (the primary
//! key's values); update rows also have the before image and the changed columns
//! (`updated_values`: column → `[before, after]`).

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use binlog_proto::value::OwnedValue;
use serde::ser::{SerializeMap, SerializeSeq, SerializeStruct};
use serde::{Serialize, Serializer};

use super::{BinlogPosition, RowAction};
use crate::hub::Routed;

/// Where a table's column names came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NameSource {
    /// The TABLE_MAP event's optional metadata (`binlog_row_metadata=FULL`): exactly the
    /// columns the row was written with.
    TableMap,
    /// `information_schema.COLUMNS`, read on a second connection when the table first
    /// appeared (or after DDL); its column count matched the event.
    InformationSchema,
    /// Positional names `@1`, `@2`, ... (as `mysqlbinlog` prints them): no name source was
    /// available, or the server's current definition did not match the event's column count.
    Positional,
}

/// The column names and primary key of a table, as one rows event was decoded with. Shared by
/// every row (and every event of the same table definition).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    names: Box<[Box<str>]>,
    primary_key: Box<[usize]>,
    source: NameSource,
}

impl Columns {
    /// Names in table order, the primary key's column indexes in key order, and where the
    /// names came from. Key indexes outside `names` are dropped.
    pub(crate) fn new(names: Vec<Box<str>>, primary_key: Vec<usize>, source: NameSource) -> Self {
        let primary_key = primary_key.into_iter().filter(|&i| i < names.len()).collect();
        Columns {
            names: names.into(),
            primary_key,
            source,
        }
    }

    /// `@1`, `@2`, ... for `count` columns.
    pub(crate) fn positional(count: usize) -> Self {
        let names = (1..=count).map(|i| format!("@{i}").into_boxed_str()).collect();
        Columns::new(names, Vec::new(), NameSource::Positional)
    }

    /// The column names in table order.
    pub fn names(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.names.iter().map(|n| &**n)
    }

    /// The name of column `index`.
    pub fn name(&self, index: usize) -> Option<&str> {
        self.names.get(index).map(|n| &**n)
    }

    /// The index of the column named `name` (exact match).
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| &**n == name)
    }

    /// Number of columns.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True for a table without columns (never the case for a real table).
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The primary key's column indexes, in key order; empty when the table has none or it
    /// is unknown.
    pub fn primary_key(&self) -> &[usize] {
        &self.primary_key
    }

    /// Where the names came from.
    pub fn source(&self) -> NameSource {
        self.source
    }
}

/// One row image: a value for each column present in it, by name or index.
///
/// ```no_run
/// # fn example(event: binlog_signals::RowsEvent) {
/// for row in event.rows() {
///     let values = row.values();
///     println!("id = {:?}", values.get("id"));
///     for (name, value) in values.iter() {
///         println!("{name} = {value}");
///     }
/// }
/// # }
/// ```
#[derive(Clone, Copy)]
pub struct Image<'a> {
    columns: &'a Columns,
    values: &'a [Option<OwnedValue>],
}

impl<'a> Image<'a> {
    /// The value of the column named `name`; `None` when there is no such column or it is not
    /// in this image (minimal row images). SQL NULL is `Some(OwnedValue::Null)`.
    pub fn get(&self, name: &str) -> Option<&'a OwnedValue> {
        self.get_index(self.columns.index_of(name)?)
    }

    /// The value of column `index` (0-based), if in the image.
    pub fn get_index(&self, index: usize) -> Option<&'a OwnedValue> {
        self.values.get(index)?.as_ref()
    }

    /// The present columns' names and values, in table order.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &'a OwnedValue)> + 'a {
        let columns = self.columns;
        self.values.iter().enumerate().filter_map(move |(index, value)| {
            let value = value.as_ref()?;
            Some((columns.name(index).unwrap_or("?"), value))
        })
    }

    /// Number of columns present in the image.
    pub fn len(&self) -> usize {
        self.values.iter().filter(|v| v.is_some()).count()
    }

    /// True when the image holds no column.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Debug for Image<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for Image<'_> {
    /// A map of column name to value (present columns only).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (name, value) in self.iter() {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// One changed row: its images by column.
#[derive(Clone)]
pub struct Row {
    columns: Arc<Columns>,
    action: RowAction,
    /// The values of every image of the row's event, one slot per column: rows are built on
    /// the driver's thread and dropped on the subscriber's, and one allocation per event
    /// instead of one per image keeps the two threads from contending for the allocator
    /// (measured: bench `e2e`, docs/benchmarks.md).
    values: Arc<[Option<OwnedValue>]>,
    before: Option<Range<usize>>,
    after: Option<Range<usize>>,
}

impl Row {
    /// A row with images of its own (tests).
    #[cfg(test)]
    pub(crate) fn new(
        columns: Arc<Columns>,
        action: RowAction,
        before: Option<Vec<Option<OwnedValue>>>,
        after: Option<Vec<Option<OwnedValue>>>,
    ) -> Row {
        let mut values = Vec::new();
        let mut span = |image: Option<Vec<Option<OwnedValue>>>| {
            image.map(|image| {
                let start = values.len();
                values.extend(image);
                start..values.len()
            })
        };
        let (before, after) = (span(before), span(after));
        Row::in_event(columns, action, values.into(), before, after)
    }

    /// A row whose images are the `before` and `after` ranges of its event's `values`.
    pub(crate) fn in_event(
        columns: Arc<Columns>,
        action: RowAction,
        values: Arc<[Option<OwnedValue>]>,
        before: Option<Range<usize>>,
        after: Option<Range<usize>>,
    ) -> Row {
        Row {
            columns,
            action,
            values,
            before,
            after,
        }
    }

    fn image(&self, span: &Option<Range<usize>>) -> Option<Image<'_>> {
        span.as_ref().map(|span| Image {
            columns: &self.columns,
            values: self.values.get(span.clone()).unwrap_or(&[]),
        })
    }

    /// The seed's `values`: the row after the change for inserts and updates, the removed row
    /// for deletes.
    pub fn values(&self) -> Image<'_> {
        let image = match self.action {
            RowAction::Delete => self.before(),
            RowAction::Insert | RowAction::Update => self.after(),
        };
        image.unwrap_or(Image {
            columns: &self.columns,
            values: &[],
        })
    }

    /// The row before the change (updates and deletes).
    pub fn before(&self) -> Option<Image<'_>> {
        self.image(&self.before)
    }

    /// The row after the change (inserts and updates).
    pub fn after(&self) -> Option<Image<'_>> {
        self.image(&self.after)
    }

    /// The primary key's columns and their values in [`values`](Self::values), in key order
    /// (empty when the key is unknown). A key column missing from the image gives `None`.
    pub fn keys(&self) -> impl Iterator<Item = (&str, Option<&OwnedValue>)> + '_ {
        let values = self.values();
        self.columns
            .primary_key()
            .iter()
            .map(move |&index| (self.columns.name(index).unwrap_or("?"), values.get_index(index)))
    }

    /// For updates, the seed's `updated_values`: the columns whose value changed, with the
    /// value before and after. A column present in the after image only counts as changed.
    /// Empty for inserts and deletes.
    pub fn changed(&self) -> impl Iterator<Item = (&str, Option<&OwnedValue>, &OwnedValue)> + '_ {
        let before = self.before();
        let after = match self.action {
            RowAction::Update => self.after(),
            _ => None,
        };
        after.into_iter().flat_map(move |after| {
            after.values.iter().enumerate().filter_map(move |(index, value)| {
                let after_value = value.as_ref()?;
                let before_value = before.and_then(|b| b.get_index(index));
                (before_value != Some(after_value))
                    .then(|| (self.columns.name(index).unwrap_or("?"), before_value, after_value))
            })
        })
    }

    /// The table's column names and key.
    pub fn columns(&self) -> &Columns {
        &self.columns
    }
}

impl fmt::Debug for Row {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Row");
        if let Some(before) = self.before() {
            s.field("before", &before);
        }
        if let Some(after) = self.after() {
            s.field("after", &after);
        }
        s.finish()
    }
}

/// `{column: value}` of the key columns.
struct Keys<'a>(&'a Row);

impl Serialize for Keys<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.columns.primary_key().len()))?;
        for (name, value) in self.0.keys() {
            map.serialize_entry(name, &value)?;
        }
        map.end()
    }
}

/// `{column: [before, after]}` of the changed columns.
struct Changed<'a>(&'a Row);

impl Serialize for Changed<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for (name, before, after) in self.0.changed() {
            map.serialize_entry(name, &(before, after))?;
        }
        map.end()
    }
}

impl Serialize for Row {
    /// `{"values": {..}, "keys": {..}}`, for updates also `"before": {..}` and
    /// `"updated_values": {column: [before, after]}`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let update = self.action == RowAction::Update;
        let mut s = serializer.serialize_struct("Row", if update { 4 } else { 2 })?;
        s.serialize_field("values", &self.values())?;
        s.serialize_field("keys", &Keys(self))?;
        if update {
            s.serialize_field("before", &self.before())?;
            s.serialize_field("updated_values", &Changed(self))?;
        }
        s.end()
    }
}

/// One rows event (`WRITE_ROWS`, `UPDATE_ROWS` or `DELETE_ROWS`) of one table: the seed's
/// `(table, rows, meta)`.
#[derive(Debug, Clone)]
pub struct RowsEvent {
    inner: Arc<RowsEventInner>,
}

#[derive(Debug)]
struct RowsEventInner {
    meta: Meta,
    schema: Box<str>,
    table: Box<str>,
    columns: Arc<Columns>,
    rows: Vec<Row>,
}

/// The event's header fields and where it is.
#[derive(Debug, Clone)]
pub(crate) struct Meta {
    pub(crate) action: RowAction,
    pub(crate) timestamp: u32,
    pub(crate) server_id: u32,
    pub(crate) position: BinlogPosition,
    pub(crate) gtid: Option<Arc<str>>,
}

impl RowsEvent {
    pub(crate) fn new(meta: Meta, schema: &str, table: &str, columns: Arc<Columns>, rows: Vec<Row>) -> Self {
        RowsEvent {
            inner: Arc::new(RowsEventInner {
                meta,
                schema: schema.into(),
                table: table.into(),
                columns,
                rows,
            }),
        }
    }

    /// Insert, update or delete.
    pub fn action(&self) -> RowAction {
        self.inner.meta.action
    }

    /// The schema (database) name.
    pub fn schema(&self) -> &str {
        &self.inner.schema
    }

    /// The table name.
    pub fn table(&self) -> &str {
        &self.inner.table
    }

    /// The table's column names and primary key.
    pub fn columns(&self) -> &Columns {
        &self.inner.columns
    }

    /// The changed rows, in the order the statement changed them.
    pub fn rows(&self) -> &[Row] {
        &self.inner.rows
    }

    /// When the statement ran on the originating server (event header, seconds since
    /// 1970-01-01 UTC).
    pub fn timestamp(&self) -> u32 {
        self.inner.meta.timestamp
    }

    /// The server id of the server that originally wrote the event.
    pub fn server_id(&self) -> u32 {
        self.inner.meta.server_id
    }

    /// The position right after this event.
    pub fn position(&self) -> &BinlogPosition {
        &self.inner.meta.position
    }

    /// The GTID of the transaction the event belongs to (`domain-server-sequence` on MariaDB,
    /// `uuid:number` on MySQL); `None` when the server assigns none.
    pub fn gtid(&self) -> Option<&str> {
        self.inner.meta.gtid.as_deref()
    }
}

impl Routed for RowsEvent {
    fn table(&self) -> Option<(&str, &str)> {
        Some((&self.inner.schema, &self.inner.table))
    }
}

struct Rows<'a>(&'a [Row]);

impl Serialize for Rows<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for row in self.0 {
            seq.serialize_element(row)?;
        }
        seq.end()
    }
}

/// The seed's `meta`: `{time, log_file, log_pos, schema, table, action}` plus `server_id` and
/// `gtid`.
struct MetaFields<'a>(&'a RowsEvent);

impl Serialize for MetaFields<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let event = self.0;
        let mut s = serializer.serialize_struct("Meta", 8)?;
        s.serialize_field("time", &event.timestamp())?;
        s.serialize_field("log_file", event.position().file())?;
        s.serialize_field("log_pos", &event.position().position())?;
        s.serialize_field("schema", event.schema())?;
        s.serialize_field("table", event.table())?;
        s.serialize_field("action", event.action().as_str())?;
        s.serialize_field("server_id", &event.server_id())?;
        s.serialize_field("gtid", &event.gtid())?;
        s.end()
    }
}

impl Serialize for RowsEvent {
    /// `{"schema", "table", "columns": [..], "primary_key": [..], "rows": [..], "meta": {..}}`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let columns = self.columns();
        let mut s = serializer.serialize_struct("RowsEvent", 6)?;
        s.serialize_field("schema", self.schema())?;
        s.serialize_field("table", self.table())?;
        s.serialize_field("columns", &columns.names)?;
        let key: Vec<&str> = columns
            .primary_key()
            .iter()
            .filter_map(|&i| columns.name(i))
            .collect();
        s.serialize_field("primary_key", &key)?;
        s.serialize_field("rows", &Rows(self.rows()))?;
        s.serialize_field("meta", &MetaFields(self))?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use binlog_proto::value::{Int, Signedness};

    use super::*;

    fn int(v: i64) -> Option<OwnedValue> {
        Some(OwnedValue::Int(Int::new(v as u64, 4, Signedness::Signed)))
    }

    #[test]
    fn update_rows_have_values_keys_and_changed_columns() {
        let columns = Arc::new(Columns::new(
            vec!["id".into(), "qty".into(), "note".into()],
            vec![0, 7],
            NameSource::TableMap,
        ));
        assert_eq!(columns.primary_key(), &[0], "out-of-range key index dropped");
        let row = Row::new(
            columns.clone(),
            RowAction::Update,
            Some(vec![int(1), int(5), Some(OwnedValue::Null)]),
            Some(vec![int(1), int(6), Some(OwnedValue::Null)]),
        );
        assert_eq!(row.values().get("qty"), int(6).as_ref());
        assert_eq!(row.before().and_then(|b| b.get("qty").cloned()), int(5));
        let keys: Vec<_> = row.keys().map(|(n, v)| (n, v.map(|v| v.to_string()))).collect();
        assert_eq!(keys, [("id", Some("1".to_owned()))]);
        let changed: Vec<_> = row
            .changed()
            .map(|(n, b, a)| (n, b.map(|v| v.to_string()), a.to_string()))
            .collect();
        assert_eq!(changed, [("qty", Some("5".to_owned()), "6".to_owned())]);

        let event = RowsEvent::new(
            Meta {
                action: RowAction::Update,
                timestamp: 1_700_000_000,
                server_id: 1,
                position: BinlogPosition::new("mysql-bin.000001", 900),
                gtid: Some("0-1-7".into()),
            },
            "shop",
            "orders",
            columns,
            vec![row],
        );
        let json = serde_json::to_value(&event).expect("serialize");
        assert_eq!(
            json,
            serde_json::json!({
                "schema": "shop", "table": "orders",
                "columns": ["id", "qty", "note"], "primary_key": ["id"],
                "rows": [{
                    "values": {"id": 1, "qty": 6, "note": null},
                    "keys": {"id": 1},
                    "before": {"id": 1, "qty": 5, "note": null},
                    "updated_values": {"qty": [5, 6]},
                }],
                "meta": {
                    "time": 1_700_000_000, "log_file": "mysql-bin.000001", "log_pos": 900,
                    "schema": "shop", "table": "orders", "action": "update",
                    "server_id": 1, "gtid": "0-1-7",
                },
            })
        );
    }

    #[test]
    fn delete_values_are_the_before_image_and_minimal_images_skip_columns() {
        let columns = Arc::new(Columns::positional(2));
        assert_eq!(columns.names().collect::<Vec<_>>(), ["@1", "@2"]);
        let row = Row::new(columns, RowAction::Delete, Some(vec![int(3), None]), None);
        assert_eq!(row.values().len(), 1);
        assert_eq!(row.values().get("@1"), int(3).as_ref());
        assert_eq!(row.values().get("@2"), None);
        assert_eq!(row.changed().count(), 0);
        assert_eq!(row.keys().count(), 0);
        assert_eq!(
            serde_json::to_value(&row).expect("json"),
            serde_json::json!({"values": {"@1": 3}, "keys": {}})
        );
    }
}
