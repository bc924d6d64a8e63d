//! Rows events: WRITE/UPDATE/DELETE_ROWS in their three versions (v0 PRE_GA 20-22, v1 23-25,
//! v2 30-32), PARTIAL_UPDATE_ROWS (39, MySQL 8.0 partial JSON) and MariaDB's compressed
//! variants (166-171).
//!
//! Format (MySQL libs/mysql/binlog/event/rows_event.cpp `Rows_event`, sql/rpl_record.cc):
//! post-header of table id (6 bytes, 4 in pre-GA 5.1) and flags (2), in v2 an extra-data block
//! (u16 length including itself, then [`ExtraRowInfo`] TLVs); then the column count
//! (length-encoded), the columns-present bitmap of the (before) image, for updates a second
//! bitmap for the after image, and the rows. Each row image is a NULL bitmap with one bit per
//! present column, then the values of the present non-NULL columns. Updates carry a before and
//! an after image per row. In PARTIAL_UPDATE_ROWS after images start with a length-encoded
//! `value_options` and, when its PARTIAL_JSON bit is set, a bitmap with one bit per JSON column
//! telling which JSON values are edit lists.
//!
//! MariaDB compressed rows events (`log_bin_compress=ON`) compress everything after the
//! post-header (MariaDB sql/log_event.cc `row_log_event_uncompress`); [`RowsEvent`] then owns
//! the decompressed bytes.

mod extra;
mod image;

use std::sync::Arc;

use bytes::Bytes;

pub use extra::{ExtraRowInfo, NdbInfo};
pub use image::{ImageValues, OwnedImage, OwnedRow, Row, RowImage};

use crate::codec::lenenc_int;
use crate::compression::uncompress_mariadb;
use crate::error::Error;
use crate::event::EventType;
use crate::event::table_map::{TableMap, TableMaps};
use crate::limits::{DEFAULT_MAX_DECOMPRESSED_SIZE, MAX_COLUMNS};

/// Rows event flag: last event of the statement (`STMT_END_F`).
pub const STMT_END_F: u16 = 0x0001;
/// Rows event flag: foreign key checks were off (`NO_FOREIGN_KEY_CHECKS_F`).
pub const NO_FOREIGN_KEY_CHECKS_F: u16 = 0x0002;
/// Rows event flag: unique checks were off (`RELAXED_UNIQUE_CHECKS_F`).
pub const RELAXED_UNIQUE_CHECKS_F: u16 = 0x0004;
/// Rows event flag: the images hold all columns (`COMPLETE_ROWS_F`).
pub const COMPLETE_ROWS_F: u16 = 0x0008;

/// What a rows event does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RowsKind {
    /// INSERT: after images only.
    Write,
    /// UPDATE: a before and an after image per row.
    Update,
    /// DELETE: before images only.
    Delete,
}

/// The rows event format version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RowsVersion {
    /// Pre-GA MySQL 5.1 (types 20-22).
    V0,
    /// MySQL 5.1-5.5 and MariaDB (types 23-25; MariaDB compressed 166-168).
    V1,
    /// MySQL 5.6+ (types 30-32 and 39; MariaDB compressed 169-171).
    V2,
}

/// `value_options` bit: JSON columns of the after image may hold edit lists.
const PARTIAL_JSON_UPDATES: u64 = 1;

#[derive(Debug, Clone)]
enum RowData<'a> {
    Borrowed(&'a [u8]),
    Decompressed(Bytes),
}

impl RowData<'_> {
    fn bytes(&self) -> &[u8] {
        match self {
            RowData::Borrowed(b) => b,
            RowData::Decompressed(b) => b,
        }
    }
}

/// A rows event: the table it changes and its rows, decoded lazily.
///
/// [`RowsEvent::rows`] iterates the rows; each [`Row`] is validated as a whole (every value
/// decodes) before it is returned, and its images then give their values without errors.
/// Values borrow from the event body (or, for MariaDB compressed events, from the decompressed
/// bytes the event owns).
#[derive(Debug, Clone)]
pub struct RowsEvent<'a> {
    event_type: EventType,
    kind: RowsKind,
    version: RowsVersion,
    partial: bool,
    table_id: u64,
    flags: u16,
    extra: &'a [u8],
    table: Arc<TableMap>,
    width: usize,
    before_columns: &'a [u8],
    after_columns: &'a [u8],
    before_present: usize,
    after_present: usize,
    /// The rows (decompressed for MariaDB compressed events).
    data: RowData<'a>,
    /// Offset of the rows in the event body, for error offsets (0 when decompressed).
    rows_offset: usize,
}

/// Kind, version, partial-update and compression of a rows event type.
fn classify(event_type: EventType) -> Option<(RowsKind, RowsVersion, bool, bool)> {
    use RowsKind::*;
    use RowsVersion::*;
    Some(match event_type {
        EventType::PRE_GA_WRITE_ROWS_EVENT => (Write, V0, false, false),
        EventType::PRE_GA_UPDATE_ROWS_EVENT => (Update, V0, false, false),
        EventType::PRE_GA_DELETE_ROWS_EVENT => (Delete, V0, false, false),
        EventType::WRITE_ROWS_EVENT_V1 => (Write, V1, false, false),
        EventType::UPDATE_ROWS_EVENT_V1 => (Update, V1, false, false),
        EventType::DELETE_ROWS_EVENT_V1 => (Delete, V1, false, false),
        EventType::WRITE_ROWS_EVENT => (Write, V2, false, false),
        EventType::UPDATE_ROWS_EVENT => (Update, V2, false, false),
        EventType::DELETE_ROWS_EVENT => (Delete, V2, false, false),
        EventType::PARTIAL_UPDATE_ROWS_EVENT => (Update, V2, true, false),
        EventType::WRITE_ROWS_COMPRESSED_EVENT_V1 => (Write, V1, false, true),
        EventType::UPDATE_ROWS_COMPRESSED_EVENT_V1 => (Update, V1, false, true),
        EventType::DELETE_ROWS_COMPRESSED_EVENT_V1 => (Delete, V1, false, true),
        EventType::WRITE_ROWS_COMPRESSED_EVENT => (Write, V2, false, true),
        EventType::UPDATE_ROWS_COMPRESSED_EVENT => (Update, V2, false, true),
        EventType::DELETE_ROWS_COMPRESSED_EVENT => (Delete, V2, false, true),
        _ => return None,
    })
}

fn bad(what: &'static str, offset: usize) -> Error {
    Error::Malformed { what, offset }
}

fn le(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .rev()
        .fold(0u64, |acc, &b| acc.wrapping_shl(8) | u64::from(b))
}

/// Bit `i` of an LSB-first bitmap (column-present, NULL and partial-JSON bitmaps).
#[inline]
pub(crate) fn lsb_bit(bitmap: &[u8], i: usize) -> bool {
    bitmap
        .get(i.wrapping_shr(3))
        .is_some_and(|&b| b & 1u8.wrapping_shl((i & 7) as u32) != 0)
}

/// Number of set bits among the first `width` bits of an LSB-first bitmap.
fn count_bits(bitmap: &[u8], width: usize) -> usize {
    (0..width).filter(|&i| lsb_bit(bitmap, i)).count()
}

/// Parses a rows event body (after the common header, without the checksum) of type
/// `event_type`, against the table maps seen so far. `post_header_len` is the
/// FORMAT_DESCRIPTION's post-header length for the type (6 or 8 for v0/v1, 10 for v2).
///
/// Fails with [`Error::UnknownTable`] when no map of the event's table id is in `tables`.
/// Rows are not decoded here; see [`RowsEvent::rows`].
///
/// ```
/// use binlog_proto::event::EventType;
/// use binlog_proto::event::rows::parse_rows_event;
/// use binlog_proto::event::table_map::{parse_table_map, TableMaps};
///
/// // `db`.`t` (id 7): one INT column
/// let map = [7, 0, 0, 0, 0, 0, 1, 0, 2, b'd', b'b', 0, 1, b't', 0, 1, 3, 0, 1];
/// let mut tables = TableMaps::new();
/// tables.insert(parse_table_map(&map, 8)?);
/// // WRITE_ROWS v2: id 7, flags STMT_END_F, no extra data, 1 column, bitmap, two rows
/// let body = [7, 0, 0, 0, 0, 0, 1, 0, 2, 0, 1, 0b1, 0, 42, 0, 0, 0, 0b1];
/// let event = parse_rows_event(EventType::WRITE_ROWS_EVENT, &body, 10, &tables)?;
/// let mut values = Vec::new();
/// for row in event.rows() {
///     let after = row?.after().expect("inserts have after images");
///     values.push(after.get(0).unwrap().to_string());
/// }
/// assert_eq!(values, ["42", "NULL"]);
/// # Ok::<(), binlog_proto::Error>(())
/// ```
pub fn parse_rows_event<'a>(
    event_type: EventType,
    body: &'a [u8],
    post_header_len: u8,
    tables: &TableMaps,
) -> Result<RowsEvent<'a>, Error> {
    let (kind, version, partial, compressed) = classify(event_type)
        .ok_or_else(|| Error::Unsupported(format!("{event_type} is not a rows event")))?;
    let id_len = if post_header_len == 6 { 4 } else { 6 };
    let table_id = le(body.get(..id_len).ok_or_else(|| bad("rows event table id", 0))?);
    let flags = le(body
        .get(id_len..id_len.saturating_add(2))
        .ok_or_else(|| bad("rows event flags", id_len))?) as u16;
    let mut pos = id_len.saturating_add(2);
    let mut extra: &[u8] = &[];
    if post_header_len == 10 {
        let len = le(body
            .get(pos..pos.saturating_add(2))
            .ok_or_else(|| bad("rows event extra data length", pos))?);
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        if len < 2 {
            return Err(bad("rows event extra data length", pos));
        }
        let end = pos.saturating_add(len);
        extra = body
            .get(pos.saturating_add(2)..end)
            .ok_or_else(|| bad("rows event extra data", pos))?;
        pos = end;
    } else {
        // A longer post-header than we know: skip the rest of it.
        pos = pos.max(usize::from(post_header_len));
    }
    let table = tables.get(table_id).ok_or(Error::UnknownTable { table_id })?;
    let (after_width, width) =
        lenenc_int(body.get(pos..).unwrap_or(&[])).map_err(|_| bad("rows event column count", pos))?;
    let width = usize::try_from(width)
        .ok()
        .filter(|&w| w > 0 && w <= MAX_COLUMNS)
        .ok_or_else(|| bad("rows event column count", pos))?;
    if width > table.columns().len() {
        return Err(bad(
            "rows event column count (more columns than the table map)",
            pos,
        ));
    }
    let bitmap_len = width.div_ceil(8);
    let bitmaps_at = body.len().saturating_sub(after_width.len());
    let before_columns = body
        .get(bitmaps_at..bitmaps_at.saturating_add(bitmap_len))
        .ok_or_else(|| bad("rows event column bitmap", bitmaps_at))?;
    let mut rows_at = bitmaps_at.saturating_add(bitmap_len);
    // v0 updates have a single bitmap for both images (MySQL 5.1 log_event.cc)
    let after_columns = if kind == RowsKind::Update && version != RowsVersion::V0 {
        let bitmap = body
            .get(rows_at..rows_at.saturating_add(bitmap_len))
            .ok_or_else(|| bad("rows event after-image column bitmap", rows_at))?;
        rows_at = rows_at.saturating_add(bitmap_len);
        bitmap
    } else {
        before_columns
    };
    let rows = body.get(rows_at..).unwrap_or(&[]);
    // MariaDB compresses only the rows, after the column count and bitmaps.
    let (data, rows_offset) = if compressed {
        (
            RowData::Decompressed(Bytes::from(uncompress_mariadb(
                rows,
                DEFAULT_MAX_DECOMPRESSED_SIZE,
            )?)),
            0,
        )
    } else {
        (RowData::Borrowed(rows), rows_at)
    };
    Ok(RowsEvent {
        event_type,
        kind,
        version,
        partial,
        table_id,
        flags,
        extra,
        table: Arc::clone(table),
        width,
        before_columns,
        after_columns,
        before_present: count_bits(before_columns, width),
        after_present: count_bits(after_columns, width),
        data,
        rows_offset,
    })
}

impl<'a> RowsEvent<'a> {
    /// The event type code.
    pub fn event_type(&self) -> EventType {
        self.event_type
    }

    /// Insert, update or delete.
    pub fn kind(&self) -> RowsKind {
        self.kind
    }

    /// The format version.
    pub fn version(&self) -> RowsVersion {
        self.version
    }

    /// True for PARTIAL_UPDATE_ROWS_EVENT (JSON after-image values may be edit lists).
    pub fn is_partial_update(&self) -> bool {
        self.partial
    }

    /// True for MariaDB compressed rows events.
    pub fn is_compressed(&self) -> bool {
        matches!(self.data, RowData::Decompressed(_))
    }

    /// The table id.
    pub fn table_id(&self) -> u64 {
        self.table_id
    }

    /// The table the rows belong to.
    pub fn table(&self) -> &Arc<TableMap> {
        &self.table
    }

    /// Rows event flags ([`STMT_END_F`] etc.).
    pub fn flags(&self) -> u16 {
        self.flags
    }

    /// Number of columns the event describes (the table's column count).
    pub fn column_count(&self) -> usize {
        self.width
    }

    /// The raw v2 extra data (empty for v0/v1 events).
    pub fn extra_data(&self) -> &'a [u8] {
        self.extra
    }

    /// The decoded v2 extra data: NDB info and partition ids.
    pub fn extra_row_info(&self) -> Result<ExtraRowInfo<'a>, Error> {
        ExtraRowInfo::parse(self.extra, self.kind == RowsKind::Update)
    }

    /// The decompressed row data of a MariaDB compressed event: the buffer values borrow from,
    /// to pass to [`Row::to_owned_in`] / [`crate::value::Value::to_owned_in`] for zero-copy
    /// owned values.
    pub fn decompressed(&self) -> Option<&Bytes> {
        match &self.data {
            RowData::Decompressed(b) => Some(b),
            RowData::Borrowed(_) => None,
        }
    }

    /// Whether column `index` is in the before image (deletes and updates; for inserts, the
    /// one image).
    pub fn in_before_image(&self, index: usize) -> bool {
        index < self.width && lsb_bit(self.before_columns, index)
    }

    /// Whether column `index` is in the after image (updates; for inserts and deletes, the
    /// one image).
    pub fn in_after_image(&self, index: usize) -> bool {
        index < self.width && lsb_bit(self.after_columns, index)
    }

    /// The rows, decoded one at a time. Each item is a fully validated row or the error that
    /// stopped decoding (after which the iterator ends).
    pub fn rows(&self) -> Rows<'_> {
        let before = (self.before_columns, self.before_present);
        let after = (self.after_columns, self.after_present);
        let (before, after) = match self.kind {
            RowsKind::Write => (None, Some(before)),
            RowsKind::Delete => (Some(before), None),
            RowsKind::Update => (Some(before), Some(after)),
        };
        Rows {
            table: &self.table,
            width: self.width,
            data: self.data.bytes(),
            pos: 0,
            offset: self.rows_offset,
            before,
            after,
            partial: self.partial,
            row: 0,
            failed: false,
        }
    }
}

/// Iterator over the rows of a [`RowsEvent`].
#[derive(Debug, Clone)]
pub struct Rows<'r> {
    table: &'r TableMap,
    width: usize,
    data: &'r [u8],
    pos: usize,
    /// Offset of `data` in the event body, for error offsets.
    offset: usize,
    before: Option<(&'r [u8], usize)>,
    after: Option<(&'r [u8], usize)>,
    partial: bool,
    row: usize,
    failed: bool,
}

impl<'r> Rows<'r> {
    fn image(
        &mut self,
        columns: &'r [u8],
        present: usize,
        after_of_partial: bool,
    ) -> Result<RowImage<'r>, Error> {
        let input = self.data.get(self.pos..).unwrap_or(&[]);
        let (image, len) = image::scan(
            self.table,
            self.width,
            columns,
            present,
            input,
            after_of_partial,
            self.row,
        )
        .map_err(|e| shift(e, self.pos.saturating_add(self.offset)))?;
        self.pos = self.pos.saturating_add(len);
        Ok(image)
    }

    fn next_row(&mut self) -> Result<Row<'r>, Error> {
        let before = match self.before {
            Some((columns, present)) => Some(self.image(columns, present, false)?),
            None => None,
        };
        let after = match self.after {
            Some((columns, present)) => Some(self.image(columns, present, self.partial)?),
            None => None,
        };
        self.row = self.row.saturating_add(1);
        Ok(Row::new(before, after))
    }
}

impl<'r> Iterator for Rows<'r> {
    type Item = Result<Row<'r>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.data.len() {
            return None;
        }
        let start = self.pos;
        let mut row = self.next_row();
        // A row that takes no bytes (no column in either image) would repeat forever.
        if row.is_ok() && self.pos == start {
            row = Err(bad(
                "rows event row (no columns in its images)",
                start.saturating_add(self.offset),
            ));
        }
        self.failed = row.is_err();
        Some(row)
    }
}

impl std::iter::FusedIterator for Rows<'_> {}

/// Moves the offset of a malformed-input error (also inside a value error) by `by` bytes.
fn shift(err: Error, by: usize) -> Error {
    match err {
        Error::Malformed { what, offset } => bad(what, offset.saturating_add(by)),
        Error::InValue {
            row,
            column,
            column_type,
            source,
        } => Error::InValue {
            row,
            column,
            column_type,
            source: Box::new(shift(*source, by)),
        },
        other => other,
    }
}

/// Reads a PARTIAL_UPDATE_ROWS after image's `value_options` and partial-JSON bitmap; returns
/// the bitmap (if partial JSON is on) and the bytes taken.
pub(crate) fn read_value_options(input: &[u8], json_columns: usize) -> Result<(Option<&[u8]>, usize), Error> {
    let (rest, options) = lenenc_int(input).map_err(|_| bad("partial update value_options", 0))?;
    let taken = input.len().saturating_sub(rest.len());
    if options & PARTIAL_JSON_UPDATES == 0 {
        return Ok((None, taken));
    }
    let len = json_columns.div_ceil(8);
    let bits = rest
        .get(..len)
        .ok_or_else(|| bad("partial update JSON bitmap", taken))?;
    Ok((Some(bits), taken.saturating_add(len)))
}

#[cfg(test)]
mod tests;
