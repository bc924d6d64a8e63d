//! TABLE_MAP_EVENT: the definition of a table that the following rows events refer to by id.
//!
//! Format (MySQL libs/mysql/binlog/event/rows_event.cpp, `Table_map_event`): post-header of
//! table id (6 bytes; 4 when the FORMAT_DESCRIPTION gives a post-header length of 6, pre-GA
//! 5.1) and flags (2 bytes); then schema and table names (1-byte length, bytes, NUL), the
//! column count (length-encoded), one type byte per column, the per-column metadata block
//! (length-encoded size, 0-2 bytes per column by type), the NULL-able bitmap, and the optional
//! metadata TLVs (MySQL 8.0.1+ / MariaDB 10.5+ `binlog_row_metadata`).
//!
//! Everything a row decoder needs is validated and precomputed here, once per TABLE_MAP: each
//! [`Column`] carries its decode plan, signedness, collation and ENUM/SET names, so decoding a
//! row does no metadata work and allocates nothing.

mod optional;

use std::collections::HashMap;
use std::sync::Arc;

use optional::{DefaultCharset, OptionalMetadata, msb_bit, parse_optional_metadata};

use crate::codec::lenenc_int;
use crate::error::Error;
use crate::limits::{MAX_COLUMNS, MAX_HELD_TABLE_MAP_BYTES, MAX_HELD_TABLE_MAPS, MAX_IDENTIFIER_LEN};
use crate::value::decode::Plan;
use crate::value::{Charset, Collation, ColumnType, Labels, Signedness};

/// A column of a mapped table: its type, metadata and what optional metadata told about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    index: usize,
    column_type: ColumnType,
    real_type: ColumnType,
    metadata: u16,
    nullable: bool,
    name: Option<Box<str>>,
    signedness: Signedness,
    collation: Option<Collation>,
    labels: Option<Labels>,
    geometry_type: Option<u32>,
    vector_dimensions: Option<u32>,
    visible: Option<bool>,
    max_length: Option<u32>,
    pub(crate) plan: Plan,
}

impl Column {
    /// Position of the column in the table (0-based).
    pub fn index(&self) -> usize {
        self.index
    }

    /// The type code as logged. ENUM and SET columns are logged as
    /// [`ColumnType::STRING`]; see [`Column::real_type`].
    pub fn column_type(&self) -> ColumnType {
        self.column_type
    }

    /// The column's real type: [`ColumnType::ENUM`] or [`ColumnType::SET`] for those columns
    /// (whose logged type is STRING), else the logged type.
    pub fn real_type(&self) -> ColumnType {
        self.real_type
    }

    /// The raw per-column metadata (0 for types without any), as `mysqlbinlog` prints it.
    pub fn metadata(&self) -> u16 {
        self.metadata
    }

    /// Whether the column accepts NULL.
    pub fn is_nullable(&self) -> bool {
        self.nullable
    }

    /// The column name (FULL metadata only).
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// UNSIGNED or not, for numeric columns with SIGNEDNESS metadata; else
    /// [`Signedness::Unknown`] (also for non-numeric columns).
    pub fn signedness(&self) -> Signedness {
        self.signedness
    }

    /// The collation of a character column (and of ENUM/SET member names), when the metadata
    /// gave it. [`Collation::BINARY`] for binary columns.
    pub fn collation(&self) -> Option<Collation> {
        self.collation
    }

    /// The character set, when the collation is known.
    pub fn charset(&self) -> Option<Charset> {
        self.collation.and_then(Collation::charset)
    }

    /// ENUM or SET member names (FULL metadata only).
    pub fn labels(&self) -> Option<&Labels> {
        self.labels.as_ref()
    }

    /// The geometry subtype of a GEOMETRY column (0 GEOMETRY, 1 POINT, 2 LINESTRING,
    /// 3 POLYGON, 4 MULTIPOINT, 5 MULTILINESTRING, 6 MULTIPOLYGON, 7 GEOMETRYCOLLECTION).
    pub fn geometry_type(&self) -> Option<u32> {
        self.geometry_type
    }

    /// The declared dimensions of a VECTOR column (MySQL 9).
    pub fn vector_dimensions(&self) -> Option<u32> {
        self.vector_dimensions
    }

    /// False for invisible columns (MySQL 8.0.23+ with COLUMN_VISIBILITY metadata).
    pub fn is_visible(&self) -> Option<bool> {
        self.visible
    }

    /// The declared maximum length in bytes of a CHAR, BINARY, VARCHAR or VARBINARY column.
    pub fn max_length(&self) -> Option<u32> {
        self.max_length
    }

    /// For DECIMAL columns, (precision, scale).
    pub fn decimal_precision_scale(&self) -> Option<(u8, u8)> {
        match self.plan {
            Plan::Decimal { precision, scale } => Some((precision, scale)),
            _ => None,
        }
    }

    /// Fractional-second digits of TIME, DATETIME and TIMESTAMP columns (0 for the pre-5.6
    /// formats).
    pub fn fractional_digits(&self) -> Option<u8> {
        match self.plan {
            Plan::Time2 { fsp } | Plan::DateTime2 { fsp } | Plan::Timestamp2 { fsp } => Some(fsp),
            Plan::Time | Plan::DateTime | Plan::Timestamp => Some(0),
            _ => None,
        }
    }
}

/// One column of the primary key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyPart {
    /// Column index.
    pub column: usize,
    /// Prefix length in characters, or 0 when the whole column is part of the key.
    pub prefix: u32,
}

/// A decoded TABLE_MAP_EVENT.
#[derive(Debug, Clone, PartialEq)]
pub struct TableMap {
    table_id: u64,
    flags: u16,
    schema: Box<str>,
    table: Box<str>,
    columns: Vec<Column>,
    primary_key: Option<Vec<KeyPart>>,
    default_collation: Option<Collation>,
    json_columns: usize,
    has_optional_metadata: bool,
}

impl TableMap {
    /// The id rows events use to refer to this table.
    pub fn table_id(&self) -> u64 {
        self.table_id
    }

    /// The TABLE_MAP flags (bit 0: `TM_BIT_LEN_EXACT_F`).
    pub fn flags(&self) -> u16 {
        self.flags
    }

    /// The schema (database) name.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// The table name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// The columns in table order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The column at `index`.
    pub fn column(&self, index: usize) -> Option<&Column> {
        self.columns.get(index)
    }

    /// The column named `name` (needs FULL metadata; exact, case-sensitive match).
    pub fn column_by_name(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name() == Some(name))
    }

    /// The primary key (FULL metadata only); `Some(empty)` is never returned: a table without
    /// a primary key gives `None`.
    pub fn primary_key(&self) -> Option<&[KeyPart]> {
        self.primary_key.as_deref()
    }

    /// The table's default character-column collation (DEFAULT_CHARSET metadata).
    pub fn default_collation(&self) -> Option<Collation> {
        self.default_collation
    }

    /// True when the event carried optional metadata (MySQL 8.0.1+ / MariaDB 10.5+ with
    /// `binlog_row_metadata` MINIMAL or FULL).
    pub fn has_optional_metadata(&self) -> bool {
        self.has_optional_metadata
    }

    /// Number of JSON columns (sizes the partial-update bitmap of PARTIAL_UPDATE_ROWS_EVENT).
    pub(crate) fn json_columns(&self) -> usize {
        self.json_columns
    }
}

fn bad(what: &'static str, offset: usize) -> Error {
    Error::Malformed { what, offset }
}

/// A cursor over the event body that reports offsets for errors.
struct Cursor<'a> {
    body: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn rest(&self) -> &'a [u8] {
        self.body.get(self.pos..).unwrap_or(&[])
    }

    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], Error> {
        let end = self.pos.checked_add(n).ok_or(bad(what, self.pos))?;
        let bytes = self.body.get(self.pos..end).ok_or(bad(what, self.pos))?;
        self.pos = end;
        Ok(bytes)
    }

    fn lenenc(&mut self, what: &'static str) -> Result<u64, Error> {
        let rest = self.rest();
        let (after, v) = lenenc_int(rest).map_err(|_| bad(what, self.pos))?;
        self.pos = self.pos.saturating_add(rest.len().saturating_sub(after.len()));
        Ok(v)
    }

    fn le(&mut self, n: usize, what: &'static str) -> Result<u64, Error> {
        let bytes = self.take(n, what)?;
        Ok(bytes
            .iter()
            .rev()
            .fold(0u64, |acc, &b| acc.wrapping_shl(8) | u64::from(b)))
    }

    /// A name: 1-byte length, bytes, NUL.
    fn name(&mut self, what: &'static str) -> Result<Box<str>, Error> {
        let at = self.pos;
        let len = usize::from(*self.take(1, what)?.first().unwrap_or(&0));
        if len > MAX_IDENTIFIER_LEN {
            return Err(bad(what, at));
        }
        let bytes = self.take(len, what)?;
        if self.take(1, what)? != [0] {
            return Err(bad(what, self.pos.saturating_sub(1)));
        }
        // Names are in the server's system character set, utf8mb3.
        Ok(String::from_utf8_lossy(bytes).into())
    }
}

/// Number of metadata bytes a column type has in the TABLE_MAP metadata block (MySQL
/// sql/rpl_utility.cc, `table_def::table_def`). `None` for types this crate cannot size.
fn metadata_len(ty: ColumnType) -> Option<usize> {
    Some(match ty {
        ColumnType::FLOAT
        | ColumnType::DOUBLE
        | ColumnType::BLOB
        | ColumnType::TINY_BLOB
        | ColumnType::MEDIUM_BLOB
        | ColumnType::LONG_BLOB
        | ColumnType::JSON
        | ColumnType::GEOMETRY
        | ColumnType::VECTOR
        | ColumnType::TIME2
        | ColumnType::DATETIME2
        | ColumnType::TIMESTAMP2 => 1,
        ColumnType::VARCHAR
        | ColumnType::VAR_STRING
        | ColumnType::BIT
        | ColumnType::NEWDECIMAL
        | ColumnType::STRING
        | ColumnType::ENUM
        | ColumnType::SET => 2,
        ColumnType::DECIMAL
        | ColumnType::TINY
        | ColumnType::SHORT
        | ColumnType::LONG
        | ColumnType::LONGLONG
        | ColumnType::INT24
        | ColumnType::NULL
        | ColumnType::TIMESTAMP
        | ColumnType::DATE
        | ColumnType::NEWDATE
        | ColumnType::TIME
        | ColumnType::DATETIME
        | ColumnType::YEAR => 0,
        _ => return None,
    })
}

/// Reads one column's metadata value in the byte order its type uses.
fn read_metadata(ty: ColumnType, bytes: &[u8]) -> u16 {
    let b0 = u16::from(bytes.first().copied().unwrap_or(0));
    let b1 = u16::from(bytes.get(1).copied().unwrap_or(0));
    match (ty, bytes.len()) {
        (_, 1) => b0,
        // precision/scale and real type/length are stored high byte first
        (ColumnType::NEWDECIMAL | ColumnType::STRING | ColumnType::ENUM | ColumnType::SET, 2) => {
            b0.wrapping_shl(8) | b1
        }
        // VARCHAR length is little-endian; BIT stores (bits % 8, bytes): same arithmetic
        (_, 2) => b1.wrapping_shl(8) | b0,
        _ => 0,
    }
}

/// What a column's logged type and metadata say about its values.
struct Shape {
    plan: Plan,
    real_type: ColumnType,
    max_length: Option<u32>,
}

fn length_bytes(meta: u16, what: &'static str, offset: usize) -> Result<u8, Error> {
    match meta {
        1..=4 => Ok(meta as u8),
        _ => Err(bad(what, offset)),
    }
}

/// Builds the decode plan of a column (MySQL `calc_field_size` and `log_event_print_value`).
/// `offset` locates the column's metadata for errors.
fn shape(ty: ColumnType, meta: u16, has_metadata: bool, offset: usize) -> Result<Shape, Error> {
    let simple = |plan| Shape {
        plan,
        real_type: ty,
        max_length: None,
    };
    if !has_metadata && metadata_len(ty).unwrap_or(0) > 0 {
        return Ok(simple(Plan::NoMetadata));
    }
    Ok(match ty {
        ColumnType::TINY => simple(Plan::Int { width: 1 }),
        ColumnType::SHORT => simple(Plan::Int { width: 2 }),
        ColumnType::INT24 => simple(Plan::Int { width: 3 }),
        ColumnType::LONG => simple(Plan::Int { width: 4 }),
        ColumnType::LONGLONG => simple(Plan::Int { width: 8 }),
        ColumnType::FLOAT if meta == 4 => simple(Plan::Float),
        ColumnType::DOUBLE if meta == 8 => simple(Plan::Double),
        ColumnType::FLOAT | ColumnType::DOUBLE => return Err(bad("FLOAT/DOUBLE metadata", offset)),
        ColumnType::NULL => simple(Plan::Null),
        ColumnType::YEAR => simple(Plan::Year),
        ColumnType::DATE | ColumnType::NEWDATE => simple(Plan::Date),
        ColumnType::TIME => simple(Plan::Time),
        ColumnType::DATETIME => simple(Plan::DateTime),
        ColumnType::TIMESTAMP => simple(Plan::Timestamp),
        ColumnType::TIME2 | ColumnType::DATETIME2 | ColumnType::TIMESTAMP2 => {
            let fsp = u8::try_from(meta)
                .ok()
                .filter(|&f| f <= 6)
                .ok_or(bad("fractional digits metadata", offset))?;
            simple(match ty {
                ColumnType::TIME2 => Plan::Time2 { fsp },
                ColumnType::DATETIME2 => Plan::DateTime2 { fsp },
                _ => Plan::Timestamp2 { fsp },
            })
        }
        ColumnType::NEWDECIMAL => {
            let [precision, scale] = meta.to_be_bytes();
            if crate::value::decode::decimal_binary_size(precision, scale).is_none() {
                return Err(bad("DECIMAL metadata", offset));
            }
            simple(Plan::Decimal { precision, scale })
        }
        ColumnType::BIT => {
            let [bytes, bits] = meta.to_be_bytes();
            let total = u16::from(bytes).saturating_mul(8).saturating_add(u16::from(bits));
            let len = bytes.saturating_add(u8::from(bits > 0));
            if bits > 7 || total == 0 || total > 64 {
                return Err(bad("BIT metadata", offset));
            }
            simple(Plan::Bit {
                bits: total as u8,
                len,
            })
        }
        ColumnType::VARCHAR | ColumnType::VAR_STRING => Shape {
            plan: Plan::String {
                len_bytes: if meta > 255 { 2 } else { 1 },
                padded_len: 0,
            },
            real_type: ty,
            max_length: Some(u32::from(meta)),
        },
        ColumnType::STRING | ColumnType::ENUM | ColumnType::SET => {
            let [byte0, byte1] = meta.to_be_bytes();
            match ColumnType(byte0) {
                ColumnType::ENUM if byte1 == 1 || byte1 == 2 => Shape {
                    plan: Plan::Enum { len: byte1 },
                    real_type: ColumnType::ENUM,
                    max_length: None,
                },
                ColumnType::SET if (1..=8).contains(&byte1) => Shape {
                    plan: Plan::Set { len: byte1 },
                    real_type: ColumnType::SET,
                    max_length: None,
                },
                ColumnType::ENUM | ColumnType::SET => return Err(bad("ENUM/SET metadata", offset)),
                _ => {
                    // CHAR longer than 255 bytes hides bits 8-9 of the length in the type
                    // byte (MySQL bug #37426): real length = byte1 | ((byte0 & 0x30) ^ 0x30) << 4.
                    let high = u16::from((byte0 & 0x30) ^ 0x30).wrapping_shl(4);
                    let max = high | u16::from(byte1);
                    Shape {
                        plan: Plan::String {
                            len_bytes: if max > 255 { 2 } else { 1 },
                            padded_len: u32::from(max),
                        },
                        real_type: ColumnType::STRING,
                        max_length: Some(u32::from(max)),
                    }
                }
            }
        }
        ColumnType::BLOB | ColumnType::TINY_BLOB | ColumnType::MEDIUM_BLOB | ColumnType::LONG_BLOB => {
            simple(Plan::Blob {
                len_bytes: length_bytes(meta, "BLOB metadata", offset)?,
            })
        }
        ColumnType::JSON => simple(Plan::Json {
            len_bytes: length_bytes(meta, "JSON metadata", offset)?,
        }),
        ColumnType::GEOMETRY => simple(Plan::Geometry {
            len_bytes: length_bytes(meta, "GEOMETRY metadata", offset)?,
        }),
        ColumnType::VECTOR => simple(Plan::Vector {
            len_bytes: length_bytes(meta, "VECTOR metadata", offset)?,
        }),
        // pre-5.0 DECIMAL: stored as text of a length the metadata does not give
        _ => simple(Plan::Unsupported),
    })
}

/// Numeric types, which have a SIGNEDNESS bit (MySQL sql/log_event.cc `is_numeric_type`).
fn is_numeric(ty: ColumnType) -> bool {
    matches!(
        ty,
        ColumnType::TINY
            | ColumnType::SHORT
            | ColumnType::INT24
            | ColumnType::LONG
            | ColumnType::LONGLONG
            | ColumnType::NEWDECIMAL
            | ColumnType::FLOAT
            | ColumnType::DOUBLE
    )
}

/// Character columns, which have an entry in DEFAULT_CHARSET / COLUMN_CHARSET (by real type,
/// so ENUM and SET are not; MySQL and MariaDB sql/log_event.cc `is_character_type`, which
/// counts GEOMETRY as a BLOB; MySQL 9 adds VECTOR).
fn is_character(real: ColumnType, with_geometry: bool) -> bool {
    match real {
        ColumnType::STRING
        | ColumnType::VAR_STRING
        | ColumnType::VARCHAR
        | ColumnType::BLOB
        | ColumnType::TINY_BLOB
        | ColumnType::MEDIUM_BLOB
        | ColumnType::LONG_BLOB
        | ColumnType::VECTOR => true,
        ColumnType::GEOMETRY => with_geometry,
        _ => false,
    }
}

/// Gives each of `count` columns its collation from a default-with-exceptions or per-column
/// list.
fn resolve_charsets(
    count: usize,
    default: Option<&DefaultCharset>,
    per_column: Option<&[u16]>,
    what: &'static str,
) -> Result<Option<Vec<Collation>>, Error> {
    if let Some(list) = per_column {
        if list.len() != count {
            return Err(bad(what, 0));
        }
        return Ok(Some(list.iter().map(|&c| Collation(c)).collect()));
    }
    let Some(default) = default else {
        return Ok(None);
    };
    let mut out = vec![Collation(default.default); count];
    for &(index, collation) in &default.exceptions {
        *out.get_mut(index).ok_or(bad(what, 0))? = Collation(collation);
    }
    Ok(Some(out))
}

/// Decodes ENUM/SET member names with the column's character set (lossily only for sets this
/// crate cannot decode).
fn labels(values: &[&[u8]], collation: Option<Collation>) -> Labels {
    values
        .iter()
        .map(|v| {
            let text = match collation.and_then(Collation::charset) {
                Some(cs) => cs.decode(v).map(|t| t.into_owned()),
                None => std::str::from_utf8(v).ok().map(str::to_owned),
            };
            text.unwrap_or_else(|| String::from_utf8_lossy(v).into_owned())
                .into_boxed_str()
        })
        .collect::<Vec<_>>()
        .into()
}

/// Matches the optional metadata to the columns.
fn apply_optional(
    columns: &mut [Column],
    meta: &OptionalMetadata<'_>,
) -> Result<(Option<Collation>, Option<Vec<KeyPart>>), Error> {
    if let Some(bits) = meta.signedness {
        let numeric = columns.iter_mut().filter(|c| is_numeric(c.column_type));
        for (i, column) in numeric.enumerate() {
            let unsigned = msb_bit(bits, i).ok_or(bad("SIGNEDNESS metadata (too short)", 0))?;
            column.signedness = if unsigned {
                Signedness::Unsigned
            } else {
                Signedness::Signed
            };
        }
    }

    // GEOMETRY counts as a character column on the servers we know of; a per-column list
    // that only fits without GEOMETRY columns says this server does not count them.
    let with_geometry = |count_list: Option<&Vec<u16>>| {
        let with = columns.iter().filter(|c| is_character(c.real_type, true)).count();
        count_list.is_none_or(|l| l.len() == with)
    };
    let geometry_counts = with_geometry(meta.column_charsets.as_ref());
    let char_columns: Vec<usize> = columns
        .iter()
        .filter(|c| is_character(c.real_type, geometry_counts))
        .map(|c| c.index)
        .collect();
    if let Some(collations) = resolve_charsets(
        char_columns.len(),
        meta.default_charset.as_ref(),
        meta.column_charsets.as_deref(),
        "DEFAULT_CHARSET/COLUMN_CHARSET metadata (does not match the columns)",
    )? {
        for (&index, collation) in char_columns.iter().zip(collations) {
            if let Some(c) = columns.get_mut(index) {
                c.collation = Some(collation);
            }
        }
    }

    let enum_set: Vec<usize> = columns
        .iter()
        .filter(|c| matches!(c.real_type, ColumnType::ENUM | ColumnType::SET))
        .map(|c| c.index)
        .collect();
    if let Some(collations) = resolve_charsets(
        enum_set.len(),
        meta.enum_and_set_default_charset.as_ref(),
        meta.enum_and_set_column_charsets.as_deref(),
        "ENUM_AND_SET charset metadata (does not match the columns)",
    )? {
        for (&index, collation) in enum_set.iter().zip(collations) {
            if let Some(c) = columns.get_mut(index) {
                c.collation = Some(collation);
            }
        }
    }

    for (values, ty, what) in [
        (
            &meta.enum_values,
            ColumnType::ENUM,
            "ENUM_STR_VALUE metadata (does not match the columns)",
        ),
        (
            &meta.set_values,
            ColumnType::SET,
            "SET_STR_VALUE metadata (does not match the columns)",
        ),
    ] {
        if let Some(values) = values {
            let targets: Vec<&mut Column> = columns.iter_mut().filter(|c| c.real_type == ty).collect();
            if targets.len() != values.len() {
                return Err(bad(what, 0));
            }
            for (column, names) in targets.into_iter().zip(values) {
                column.labels = Some(labels(names, column.collation));
            }
        }
    }

    if let Some(names) = &meta.column_names {
        if names.len() != columns.len() {
            return Err(bad("COLUMN_NAME metadata (does not match the columns)", 0));
        }
        for (column, name) in columns.iter_mut().zip(names) {
            column.name = Some(String::from_utf8_lossy(name).into());
        }
    }

    for (list, ty, what) in [
        (
            &meta.geometry_types,
            ColumnType::GEOMETRY,
            "GEOMETRY_TYPE metadata (does not match the columns)",
        ),
        (
            &meta.vector_dimensions,
            ColumnType::VECTOR,
            "VECTOR_DIMENSIONALITY metadata (does not match the columns)",
        ),
    ] {
        if let Some(list) = list {
            let targets: Vec<&mut Column> = columns.iter_mut().filter(|c| c.column_type == ty).collect();
            if targets.len() != list.len() {
                return Err(bad(what, 0));
            }
            for (column, &v) in targets.into_iter().zip(list) {
                if ty == ColumnType::GEOMETRY {
                    column.geometry_type = Some(v);
                } else {
                    column.vector_dimensions = Some(v);
                }
            }
        }
    }

    if let Some(bits) = meta.visibility {
        for column in columns.iter_mut() {
            column.visible =
                Some(msb_bit(bits, column.index).ok_or(bad("COLUMN_VISIBILITY metadata (too short)", 0))?);
        }
    }

    let primary_key = match &meta.primary_key {
        Some(parts) => {
            if parts.iter().any(|&(column, _)| column >= columns.len()) {
                return Err(bad("primary key metadata (column out of range)", 0));
            }
            let parts: Vec<KeyPart> = parts
                .iter()
                .map(|&(column, prefix)| KeyPart { column, prefix })
                .collect();
            (!parts.is_empty()).then_some(parts)
        }
        None => None,
    };
    let default_collation = meta.default_charset.as_ref().map(|d| Collation(d.default));
    Ok((default_collation, primary_key))
}

/// Parses a TABLE_MAP_EVENT body (after the common header, without the checksum).
/// `post_header_len` is the FORMAT_DESCRIPTION's post-header length for TABLE_MAP_EVENT (8;
/// 6 in pre-GA 5.1 builds, whose table ids are 4 bytes).
///
/// ```
/// use binlog_proto::event::table_map::parse_table_map;
/// use binlog_proto::value::ColumnType;
///
/// // table id 7, flags 1, `db`.`t` with an INT and a VARCHAR(10) (metadata 10), both NULL-able
/// let body = [
///     7, 0, 0, 0, 0, 0, 1, 0, // table id, flags
///     2, b'd', b'b', 0, 1, b't', 0, // names
///     2, 3, 15, // column count and types
///     2, 10, 0, // metadata
///     0b11, // NULL-able bitmap
/// ];
/// let map = parse_table_map(&body, 8)?;
/// assert_eq!((map.table_id(), map.schema(), map.table()), (7, "db", "t"));
/// assert_eq!(map.columns()[1].column_type(), ColumnType::VARCHAR);
/// assert_eq!(map.columns()[1].max_length(), Some(10));
/// # Ok::<(), binlog_proto::Error>(())
/// ```
pub fn parse_table_map(body: &[u8], post_header_len: u8) -> Result<TableMap, Error> {
    let mut cur = Cursor { body, pos: 0 };
    let id_len = if post_header_len == 6 { 4 } else { 6 };
    let table_id = cur.le(id_len, "TABLE_MAP table id")?;
    let flags = cur.le(2, "TABLE_MAP flags")? as u16;
    // A longer post-header than we know: skip the rest of it.
    let known = id_len.saturating_add(2);
    cur.take(
        usize::from(post_header_len).saturating_sub(known),
        "TABLE_MAP post-header",
    )?;

    let schema = cur.name("TABLE_MAP schema name")?;
    let table = cur.name("TABLE_MAP table name")?;
    let count_at = cur.pos;
    let count = cur.lenenc("TABLE_MAP column count")?;
    let count = usize::try_from(count)
        .ok()
        .filter(|&c| c <= MAX_COLUMNS)
        .ok_or(Error::TooLarge {
            what: "TABLE_MAP column count",
            declared: count,
            limit: MAX_COLUMNS as u64,
        })?;
    if count == 0 {
        return Err(bad("TABLE_MAP column count", count_at));
    }
    let types = cur.take(count, "TABLE_MAP column types")?;

    let has_metadata = !cur.rest().is_empty();
    let mut meta_base = cur.pos;
    let (metadata, nullable_bits) = if has_metadata {
        let meta_at = cur.pos;
        let meta_len = cur.lenenc("TABLE_MAP metadata length")?;
        let meta_len = usize::try_from(meta_len)
            .ok()
            .filter(|&l| l <= count.saturating_mul(4))
            .ok_or(bad("TABLE_MAP metadata length", meta_at))?;
        meta_base = cur.pos;
        let metadata = cur.take(meta_len, "TABLE_MAP column metadata")?;
        let nullable = cur.take(count.div_ceil(8), "TABLE_MAP NULL bitmap")?;
        (metadata, nullable)
    } else {
        (&[][..], &[][..])
    };
    let optional_at = cur.pos;
    let optional = cur.rest();

    let mut columns = Vec::with_capacity(count);
    let mut meta_pos = 0usize;
    for (index, &code) in types.iter().enumerate() {
        let ty = ColumnType(code);
        let offset = meta_base.saturating_add(meta_pos);
        let len = if has_metadata {
            metadata_len(ty).ok_or_else(|| {
                Error::Unsupported(format!("column type {ty} in TABLE_MAP (column {index})"))
            })?
        } else {
            0
        };
        let end = meta_pos.saturating_add(len);
        let bytes = metadata
            .get(meta_pos..end)
            .ok_or(bad("TABLE_MAP column metadata (too short)", offset))?;
        meta_pos = end;
        let meta = read_metadata(ty, bytes);
        let shape = shape(ty, meta, has_metadata, offset)?;
        let nullable = nullable_bits
            .get(index / 8)
            .is_some_and(|b| b.checked_shr(u32::try_from(index % 8).unwrap_or(0)).unwrap_or(0) & 1 == 1);
        columns.push(Column {
            index,
            column_type: ty,
            real_type: shape.real_type,
            metadata: meta,
            nullable,
            name: None,
            signedness: Signedness::Unknown,
            collation: None,
            labels: None,
            geometry_type: None,
            vector_dimensions: None,
            visible: None,
            max_length: shape.max_length,
            plan: shape.plan,
        });
    }
    if meta_pos != metadata.len() {
        return Err(bad(
            "TABLE_MAP column metadata (length mismatch)",
            meta_base.saturating_add(meta_pos),
        ));
    }

    let (default_collation, primary_key) = if optional.is_empty() {
        (None, None)
    } else {
        let parsed = parse_optional_metadata(optional, optional_at)?;
        apply_optional(&mut columns, &parsed)?
    };
    let json_columns = columns
        .iter()
        .filter(|c| c.column_type == ColumnType::JSON)
        .count();
    Ok(TableMap {
        table_id,
        flags,
        schema,
        table,
        columns,
        primary_key,
        default_collation,
        json_columns,
        has_optional_metadata: !optional.is_empty(),
    })
}

/// The table maps seen so far, by table id. Rows events are decoded against the latest map of
/// their table id.
#[derive(Debug, Clone, Default)]
pub struct TableMaps {
    maps: HashMap<u64, Arc<TableMap>>,
    /// The TABLE_MAP body (and post-header length) each map of the decoder was parsed from.
    /// Every transaction logs again the maps of the tables it changes, nearly always byte for
    /// byte the same: recognising them by comparing bytes saves parsing, validating and
    /// allocating the map (column names, ENUM/SET labels) again for each transaction.
    bodies: HashMap<u64, (u8, Box<[u8]>)>,
    /// Total length of `bodies`.
    body_bytes: usize,
}

impl TableMaps {
    /// An empty cache.
    pub fn new() -> TableMaps {
        TableMaps::default()
    }

    /// Stores `map` under its table id, replacing an older map of that id, and returns the
    /// shared copy.
    pub fn insert(&mut self, map: TableMap) -> Arc<TableMap> {
        let map = Arc::new(map);
        self.forget_body(map.table_id);
        self.maps.insert(map.table_id, Arc::clone(&map));
        map
    }

    fn forget_body(&mut self, table_id: u64) {
        if let Some((_, body)) = self.bodies.remove(&table_id) {
            self.body_bytes = self.body_bytes.saturating_sub(body.len());
        }
    }

    /// Parses a TABLE_MAP body and stores the map, or, when the body is byte for byte the one
    /// the map held for its table id was parsed from, returns that map (the parse is a function
    /// of the bytes and the post-header length alone, so the result would be the same).
    pub(crate) fn parse_and_insert(
        &mut self,
        body: &[u8],
        post_header_len: u8,
    ) -> Result<Arc<TableMap>, Error> {
        // Hard bound for a stream that never ends a transaction (the decoder forgets the maps
        // at transaction ends): the maps a statement needs are logged right before its rows
        // (MySQL sql/binlog.cc, `THD::binlog_write_table_map`, once per table and statement),
        // far fewer than this, so starting over loses nothing a real server relies on.
        if self.maps.len() >= MAX_HELD_TABLE_MAPS || self.body_bytes >= MAX_HELD_TABLE_MAP_BYTES {
            self.clear();
        }
        let id_len = if post_header_len == 6 { 4 } else { 6 };
        let id = body.get(..id_len).map(|b| {
            b.iter()
                .rev()
                .fold(0u64, |acc, &x| acc.wrapping_shl(8) | u64::from(x))
        });
        if let Some(id) = id
            && let (Some((phl, known)), Some(map)) = (self.bodies.get(&id), self.maps.get(&id))
            && *phl == post_header_len
            && **known == *body
        {
            return Ok(Arc::clone(map));
        }
        let map = self.insert(parse_table_map(body, post_header_len)?);
        self.body_bytes = self.body_bytes.saturating_add(body.len());
        self.bodies
            .insert(map.table_id, (post_header_len, Box::from(body)));
        Ok(map)
    }

    /// The map of `table_id`.
    pub fn get(&self, table_id: u64) -> Option<&Arc<TableMap>> {
        self.maps.get(&table_id)
    }

    /// Removes the map of `table_id`.
    pub fn remove(&mut self, table_id: u64) -> Option<Arc<TableMap>> {
        self.forget_body(table_id);
        self.maps.remove(&table_id)
    }

    /// Forgets every map (at a new binlog file, or when the server says so).
    pub fn clear(&mut self) {
        self.maps.clear();
        self.bodies.clear();
        self.body_bytes = 0;
    }

    /// Number of maps held.
    pub fn len(&self) -> usize {
        self.maps.len()
    }

    /// True when no map is held.
    pub fn is_empty(&self) -> bool {
        self.maps.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A TABLE_MAP body for `d`.`t` with the given types, metadata, NULL bits and optional
    /// metadata.
    fn body(types: &[u8], meta: &[u8], nulls: &[u8], optional: &[u8]) -> Vec<u8> {
        let mut b = vec![1, 0, 0, 0, 0, 0, 0, 0, 1, b'd', 0, 1, b't', 0, types.len() as u8];
        b.extend_from_slice(types);
        b.push(meta.len() as u8);
        b.extend_from_slice(meta);
        b.extend_from_slice(nulls);
        b.extend_from_slice(optional);
        b
    }

    #[test]
    fn a_table_map_without_metadata_sizes_only_what_needs_none() {
        // The 5.2.2-a_drop6 (wl2325) TABLE_MAP of ver_5_1-wl2325_r.001: `test`.`t1` (a INT,
        // b CHAR(50)), and nothing after the column types.
        let map = parse_table_map(
            &[
                0, 0, 0, 0, 0, 0, 4, b't', b'e', b's', b't', 0, 2, b't', b'1', 0, 2, 3, 0xfe,
            ],
            6,
        )
        .unwrap();
        let [a, b] = map.columns() else { panic!() };
        assert_eq!(a.plan, Plan::Int { width: 4 });
        assert_eq!(b.plan, Plan::NoMetadata);
        let (value, len) = crate::value::decode::decode_value(a, &[1, 0, 0, 0], false, true).unwrap();
        assert_eq!((value.to_string(), len), ("1".to_string(), 4));
        let err = crate::value::decode::decode_value(b, &[3, b'o', b'n', b'e'], false, true).unwrap_err();
        assert!(matches!(err, Error::Unsupported(_)), "{err}");
        assert!(err.to_string().contains("without column metadata"), "{err}");
    }

    #[test]
    fn long_char_hides_its_length_in_the_type_byte() {
        // CHAR(255) in utf8mb4: 1020 bytes; byte0 = 0xfe ^ ((1020 & 0x300) >> 4)
        let map = parse_table_map(&body(&[254], &[0xce, 0xfc], &[1], &[]), 8).unwrap();
        let c = &map.columns()[0];
        assert_eq!(c.max_length(), Some(1020));
        assert_eq!(c.real_type(), ColumnType::STRING);
        assert_eq!(
            c.plan,
            Plan::String {
                len_bytes: 2,
                padded_len: 1020
            }
        );
        assert!(c.is_nullable());
        // ENUM with 2-byte index, SET of 8 bytes
        let map = parse_table_map(&body(&[254, 254], &[247, 2, 248, 8], &[0], &[]), 8).unwrap();
        assert_eq!(map.columns()[0].plan, Plan::Enum { len: 2 });
        assert_eq!(map.columns()[1].plan, Plan::Set { len: 8 });
        assert!(!map.columns()[1].is_nullable());
    }

    #[test]
    fn per_type_metadata() {
        // BIT(12): 1 full byte + 4 bits; DECIMAL(65,30); DATETIME2(6); BLOB with 3 length bytes;
        // VARCHAR(300) with a 2-byte length
        let map = parse_table_map(
            &body(
                &[16, 246, 18, 252, 15],
                &[4, 1, 65, 30, 6, 3, 0x2c, 0x01],
                &[0],
                &[],
            ),
            8,
        )
        .unwrap();
        let plans: Vec<Plan> = map.columns().iter().map(|c| c.plan).collect();
        assert_eq!(
            plans,
            [
                Plan::Bit { bits: 12, len: 2 },
                Plan::Decimal {
                    precision: 65,
                    scale: 30
                },
                Plan::DateTime2 { fsp: 6 },
                Plan::Blob { len_bytes: 3 },
                Plan::String {
                    len_bytes: 2,
                    padded_len: 0
                },
            ]
        );
        assert_eq!(map.columns()[1].decimal_precision_scale(), Some((65, 30)));
        assert_eq!(map.columns()[2].fractional_digits(), Some(6));
    }

    #[test]
    fn bad_metadata_is_an_error() {
        assert!(parse_table_map(&body(&[246], &[66, 0], &[0], &[]), 8).is_err()); // precision 66
        assert!(parse_table_map(&body(&[18], &[7], &[0], &[]), 8).is_err()); // fsp 7
        assert!(parse_table_map(&body(&[16], &[8, 8], &[0], &[]), 8).is_err()); // 72 bits
        assert!(parse_table_map(&body(&[252], &[5], &[0], &[]), 8).is_err()); // 5 length bytes
        assert!(parse_table_map(&body(&[3], &[1], &[0], &[]), 8).is_err()); // length mismatch
        assert!(matches!(
            parse_table_map(&body(&[20], &[], &[0], &[]), 8),
            Err(Error::Unsupported(_))
        ));
        let mut too_many = vec![1, 0, 0, 0, 0, 0, 0, 0, 1, b'd', 0, 1, b't', 0];
        crate::codec::put_lenenc_int(&mut too_many, 5000);
        assert!(matches!(
            parse_table_map(&too_many, 8),
            Err(Error::TooLarge { .. })
        ));
    }

    #[test]
    fn optional_metadata_reaches_the_columns() {
        // INT UNSIGNED, VARCHAR latin1, ENUM latin1 ('é'), GEOMETRY, TINYINT signed
        let optional = [
            1,
            1,
            0b1000_0000, // SIGNEDNESS: INT unsigned, TINYINT signed
            2,
            3,
            8,
            1,
            63, // DEFAULT_CHARSET latin1, char column 1 (GEOMETRY) binary
            6,
            3,
            1,
            1,
            0xe9, // ENUM_STR_VALUE: one column, one member 'é' in latin1
            10,
            1,
            8, // ENUM_AND_SET_DEFAULT_CHARSET latin1
            4,
            10,
            1,
            b'a',
            1,
            b'b',
            1,
            b'c',
            1,
            b'g',
            1,
            b'i', // COLUMN_NAME
            7,
            1,
            1, // GEOMETRY_TYPE: POINT
            8,
            1,
            0, // SIMPLE_PRIMARY_KEY: column 0
        ];
        let map = parse_table_map(
            &body(&[3, 15, 254, 255, 1], &[10, 0, 247, 1, 4], &[0], &optional),
            8,
        )
        .unwrap();
        let c = map.columns();
        assert_eq!(c[0].signedness(), Signedness::Unsigned);
        assert_eq!(c[4].signedness(), Signedness::Signed);
        assert_eq!(c[1].signedness(), Signedness::Unknown);
        assert_eq!(c[1].collation(), Some(Collation(8)));
        assert_eq!(c[3].collation(), Some(Collation::BINARY));
        assert_eq!(c[2].collation(), Some(Collation(8)));
        assert_eq!(c[2].labels().map(|l| l.to_vec()), Some(vec!["é".into()]));
        assert_eq!(c[3].geometry_type(), Some(1));
        assert_eq!(map.column_by_name("g").map(Column::index), Some(3));
        assert_eq!(map.primary_key(), Some(&[KeyPart { column: 0, prefix: 0 }][..]));
        assert_eq!(map.default_collation(), Some(Collation(8)));
        assert!(map.has_optional_metadata());

        // a COLUMN_CHARSET list that only fits without the GEOMETRY column
        let optional = [3, 1, 45];
        let map = parse_table_map(&body(&[15, 255], &[10, 0, 4], &[0], &optional), 8).unwrap();
        assert_eq!(map.columns()[0].collation(), Some(Collation(45)));
        assert_eq!(map.columns()[1].collation(), None);
        // names that do not match the column count are an error
        let optional = [4, 2, 1, b'a'];
        assert!(parse_table_map(&body(&[3, 3], &[], &[0], &optional), 8).is_err());
    }

    #[test]
    fn table_maps_cache() {
        let mut maps = TableMaps::new();
        assert!(maps.is_empty());
        let map = maps.insert(parse_table_map(&body(&[3], &[], &[0], &[]), 8).unwrap());
        assert_eq!(maps.get(1).map(|m| m.table()), Some("t"));
        assert_eq!(map.table_id(), 1);
        assert_eq!(maps.len(), 1);
        maps.clear();
        assert!(maps.get(1).is_none());
    }

    #[test]
    fn a_map_logged_again_unchanged_is_reused_and_a_changed_one_parsed() {
        let mut maps = TableMaps::new();
        let one_int = body(&[3], &[], &[0], &[]);
        let first = maps.parse_and_insert(&one_int, 8).unwrap();
        let again = maps.parse_and_insert(&one_int, 8).unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        // A longer post-header reads the same bytes differently: not the same map.
        let other_layout = maps.parse_and_insert(&one_int, 6);
        assert!(other_layout.map_or(true, |m| !Arc::ptr_eq(&m, &first)));
        // Same table id, another column type (ALTER TABLE): parsed anew and replaces the map.
        let one_bigint = body(&[8], &[], &[0], &[]);
        let altered = maps.parse_and_insert(&one_bigint, 8).unwrap();
        assert_eq!(altered.columns()[0].column_type(), ColumnType::LONGLONG);
        assert_eq!(
            maps.get(1).unwrap().columns()[0].column_type(),
            ColumnType::LONGLONG
        );
        let back = maps.parse_and_insert(&one_int, 8).unwrap();
        assert!(!Arc::ptr_eq(&back, &first));
        assert_eq!(back.columns()[0].column_type(), ColumnType::LONG);
        // A map inserted directly forgets the bytes of the one it replaces.
        maps.insert(parse_table_map(&one_bigint, 8).unwrap());
        let after_insert = maps.parse_and_insert(&one_int, 8).unwrap();
        assert_eq!(after_insert.columns()[0].column_type(), ColumnType::LONG);
        // Clearing forgets the bytes too.
        maps.clear();
        let fresh = maps.parse_and_insert(&one_int, 8).unwrap();
        assert!(!Arc::ptr_eq(&fresh, &after_insert));
        // A malformed body is an error, not a reuse.
        assert!(maps.parse_and_insert(&one_int[..5], 8).is_err());
    }
}
