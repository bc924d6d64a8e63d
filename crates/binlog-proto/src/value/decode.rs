//! The per-column decode plan, computed once per TABLE_MAP, and the value decoder that follows
//! it. Sizes per type: MySQL libs/mysql/binlog/event/binary_log_funcs.cpp (`calc_field_size`),
//! values: sql/log_event.cc (`log_event_print_value`).

use super::decimal::Decimal;
pub(crate) use super::decimal::binary_size as decimal_binary_size;
use super::temporal::{self, fraction_bytes};
use super::{Bit, EnumValue, Int, Json, JsonDiff, SetValue, StringValue, Value, Vector};
use crate::error::Error;
use crate::event::table_map::Column;

/// How to read one column's values: the row format's size rule and the value kind, derived from
/// the column type and its TABLE_MAP metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Plan {
    /// MYSQL_TYPE_NULL: no bytes.
    Null,
    /// Little-endian integer of 1, 2, 3, 4 or 8 bytes.
    Int {
        width: u8,
    },
    Float,
    Double,
    Decimal {
        precision: u8,
        scale: u8,
    },
    Year,
    Date,
    Time,
    DateTime,
    Timestamp,
    Time2 {
        fsp: u8,
    },
    DateTime2 {
        fsp: u8,
    },
    Timestamp2 {
        fsp: u8,
    },
    /// BIT(bits), stored big-endian in `len` bytes.
    Bit {
        bits: u8,
        len: u8,
    },
    /// CHAR/BINARY/VARCHAR/VARBINARY: 1- or 2-byte length, then bytes. `padded_len` is the
    /// full length of a BINARY(N) column (0 when no padding applies).
    String {
        len_bytes: u8,
        padded_len: u32,
    },
    /// TEXT/BLOB: 1-4 byte length, then bytes.
    Blob {
        len_bytes: u8,
    },
    /// ENUM: 1- or 2-byte index.
    Enum {
        len: u8,
    },
    /// SET: 1-8 byte mask.
    Set {
        len: u8,
    },
    Json {
        len_bytes: u8,
    },
    Geometry {
        len_bytes: u8,
    },
    Vector {
        len_bytes: u8,
    },
    /// A type whose values this crate cannot size (pre-5.0 DECIMAL).
    Unsupported,
    /// A type whose size is in the column metadata, in a TABLE_MAP that has none. The
    /// TABLE_MAPs of pre-GA MySQL 5.1 builds (such as the 5.2.2-a_drop6 "wl2325" tree) end
    /// after the column types: their replicas sized values from their own table definition.
    /// Without it a reader cannot size them: CHAR, ENUM and SET are all logged as STRING
    /// (`Field_enum::type()` is `MYSQL_TYPE_STRING`), a CHAR's length prefix is 1 or 2 bytes
    /// depending on its byte length, a VARCHAR's likewise, and BLOB, DECIMAL, BIT and the
    /// temporal types with fractions need their length, precision or width.
    NoMetadata,
}

fn truncated(what: &'static str, input: &[u8]) -> Error {
    Error::Malformed {
        what,
        offset: input.len(),
    }
}

fn le(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .rev()
        .fold(0u64, |acc, &b| acc.wrapping_shl(8) | u64::from(b))
}

fn be(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(0u64, |acc, &b| acc.wrapping_shl(8) | u64::from(b))
}

fn fixed<const N: usize>(input: &[u8], what: &'static str) -> Result<[u8; N], Error> {
    input
        .get(..N)
        .and_then(|s| <[u8; N]>::try_from(s).ok())
        .ok_or_else(|| truncated(what, input))
}

/// The first `width` bytes (1-8) of `input` as a little-endian number; `None` when `input` is
/// shorter. The common widths read as one load instead of a byte loop.
#[inline(always)]
fn le_at(input: &[u8], width: u8) -> Option<u64> {
    Some(match width {
        1 => u64::from(*input.first()?),
        2 => u64::from(u16::from_le_bytes(input.get(..2)?.try_into().ok()?)),
        4 => u64::from(u32::from_le_bytes(input.get(..4)?.try_into().ok()?)),
        8 => u64::from_le_bytes(input.get(..8)?.try_into().ok()?),
        _ => le(input.get(..usize::from(width))?),
    })
}

/// A `len_bytes`-byte little-endian length and the bytes it announces, and the total length;
/// `None` when `input` is too short.
#[inline(always)]
fn prefixed(input: &[u8], len_bytes: u8) -> Option<(&[u8], usize)> {
    let prefix_len = usize::from(len_bytes);
    let len = usize::try_from(le_at(input, len_bytes)?).ok()?;
    let end = prefix_len.checked_add(len)?;
    Some((input.get(prefix_len..end)?, end))
}

/// Reads a `len_bytes`-byte little-endian length and the bytes it announces.
#[inline]
fn length_prefixed<'a>(
    input: &'a [u8],
    len_bytes: u8,
    what: &'static str,
) -> Result<(&'a [u8], usize), Error> {
    prefixed(input, len_bytes).ok_or_else(|| truncated(what, input))
}

/// The value of a string column: BINARY(N) padding applies to binary columns only.
#[inline(always)]
fn string_value<'a>(column: &'a Column, data: &'a [u8], padded_len: u32) -> Value<'a> {
    let collation = column.collation();
    let padded_len = if collation.is_some_and(|c| c.is_binary()) {
        padded_len
    } else {
        0
    };
    Value::String(StringValue::new(data, collation, padded_len))
}

/// Decodes a value of an image the first pass ([`value_len`]) already checked: the common
/// fixed-size and length-prefixed types inline and without building errors (the second pass
/// over each row runs this for every value), the others through [`decode_value`]. Gives the
/// same values as [`decode_value`]; `None` only for bytes the first pass would have refused.
#[inline(always)]
pub(crate) fn decode_validated<'a>(
    column: &'a Column,
    input: &'a [u8],
    partial_json: bool,
) -> Option<(Value<'a>, usize)> {
    Some(match column.plan {
        Plan::Null => (Value::Null, 0),
        Plan::Int { width } => (
            Value::Int(Int::new(le_at(input, width)?, width, column.signedness())),
            usize::from(width),
        ),
        Plan::Float => (
            Value::Float(f32::from_le_bytes(input.get(..4)?.try_into().ok()?)),
            4,
        ),
        Plan::Double => (
            Value::Double(f64::from_le_bytes(input.get(..8)?.try_into().ok()?)),
            8,
        ),
        Plan::String {
            len_bytes,
            padded_len,
        } => {
            let (data, len) = prefixed(input, len_bytes)?;
            (string_value(column, data, padded_len), len)
        }
        Plan::Blob { len_bytes } => {
            let (data, len) = prefixed(input, len_bytes)?;
            (Value::String(StringValue::new(data, column.collation(), 0)), len)
        }
        Plan::Geometry { len_bytes } => {
            let (data, len) = prefixed(input, len_bytes)?;
            (Value::Geometry(data), len)
        }
        Plan::DateTime2 { fsp } => (
            Value::DateTime(temporal::decode_datetime2(input, fsp).ok()?),
            5usize.saturating_add(fraction_bytes(fsp)),
        ),
        Plan::Timestamp2 { fsp } => (
            Value::Timestamp(temporal::decode_timestamp2(input, fsp).ok()?),
            4usize.saturating_add(fraction_bytes(fsp)),
        ),
        Plan::Decimal { precision, scale } => {
            let (d, len) = Decimal::from_binary(input, precision, scale).ok()?;
            (Value::Decimal(d), len)
        }
        _ => return decode_value(column, input, partial_json, false).ok(),
    })
}

/// Decodes one non-NULL value of `column` from the start of `input`; returns it and the number
/// of bytes it took. `partial_json` marks a JSON column whose after-image holds edits
/// (PARTIAL_UPDATE_ROWS_EVENT). With `validate` false, JSON documents and edits are taken as
/// already validated (a second pass over bytes a first pass checked).
#[inline]
pub(crate) fn decode_value<'a>(
    column: &'a Column,
    input: &'a [u8],
    partial_json: bool,
    validate: bool,
) -> Result<(Value<'a>, usize), Error> {
    let plan = column.plan;
    Ok(match plan {
        Plan::Null => (Value::Null, 0),
        Plan::Int { width } => {
            let bits = le_at(input, width).ok_or_else(|| truncated("integer (truncated)", input))?;
            (
                Value::Int(Int::new(bits, width, column.signedness())),
                usize::from(width),
            )
        }
        Plan::Float => (
            Value::Float(f32::from_le_bytes(fixed(input, "FLOAT (truncated)")?)),
            4,
        ),
        Plan::Double => (
            Value::Double(f64::from_le_bytes(fixed(input, "DOUBLE (truncated)")?)),
            8,
        ),
        Plan::Decimal { precision, scale } => {
            let (d, len) = Decimal::from_binary(input, precision, scale)?;
            (Value::Decimal(d), len)
        }
        Plan::Year => {
            let [y] = fixed::<1>(input, "YEAR (truncated)")?;
            // 0 is the zero year; otherwise the byte counts from 1900 (sql/field.cc)
            let year = if y == 0 {
                0
            } else {
                1900u16.saturating_add(u16::from(y))
            };
            (Value::Year(year), 1)
        }
        Plan::Date => (Value::Date(temporal::decode_date(input)?), 3),
        Plan::Time => (Value::Time(temporal::decode_time(input)?), 3),
        Plan::DateTime => (Value::DateTime(temporal::decode_datetime(input)?), 8),
        Plan::Timestamp => (Value::Timestamp(temporal::decode_timestamp(input)?), 4),
        Plan::Time2 { fsp } => (
            Value::Time(temporal::decode_time2(input, fsp)?),
            3usize.saturating_add(fraction_bytes(fsp)),
        ),
        Plan::DateTime2 { fsp } => (
            Value::DateTime(temporal::decode_datetime2(input, fsp)?),
            5usize.saturating_add(fraction_bytes(fsp)),
        ),
        Plan::Timestamp2 { fsp } => (
            Value::Timestamp(temporal::decode_timestamp2(input, fsp)?),
            4usize.saturating_add(fraction_bytes(fsp)),
        ),
        Plan::Bit { bits, len } => {
            let bytes = input
                .get(..usize::from(len))
                .ok_or_else(|| truncated("BIT (truncated)", input))?;
            (
                Value::Bit(Bit {
                    value: be(bytes),
                    bits,
                }),
                usize::from(len),
            )
        }
        Plan::String {
            len_bytes,
            padded_len,
        } => {
            let (data, len) = length_prefixed(input, len_bytes, "string (truncated)")?;
            (string_value(column, data, padded_len), len)
        }
        Plan::Blob { len_bytes } => {
            let (data, len) = length_prefixed(input, len_bytes, "BLOB/TEXT (truncated)")?;
            (Value::String(StringValue::new(data, column.collation(), 0)), len)
        }
        Plan::Enum { len } => {
            let bytes = input
                .get(..usize::from(len))
                .ok_or_else(|| truncated("ENUM (truncated)", input))?;
            let index = u16::try_from(le(bytes)).unwrap_or(u16::MAX);
            (
                Value::Enum(EnumValue::new(index, column.labels())),
                usize::from(len),
            )
        }
        Plan::Set { len } => {
            let bytes = input
                .get(..usize::from(len))
                .ok_or_else(|| truncated("SET (truncated)", input))?;
            (
                Value::Set(SetValue::new(le(bytes), column.labels())),
                usize::from(len),
            )
        }
        Plan::Json { len_bytes } => {
            let (data, len) = length_prefixed(input, len_bytes, "JSON (truncated)")?;
            let value = match (partial_json, validate) {
                (true, true) => Value::JsonDiff(JsonDiff::parse(data)?),
                (true, false) => Value::JsonDiff(JsonDiff::from_validated(data)),
                (false, true) => Value::Json(Json::parse(data)?),
                (false, false) => Value::Json(Json::from_validated(data)),
            };
            (value, len)
        }
        Plan::Geometry { len_bytes } => {
            let (data, len) = length_prefixed(input, len_bytes, "GEOMETRY (truncated)")?;
            (Value::Geometry(data), len)
        }
        Plan::Vector { len_bytes } => {
            let (data, len) = length_prefixed(input, len_bytes, "VECTOR (truncated)")?;
            let vector = Vector::new(data).ok_or(Error::Malformed {
                what: "VECTOR (length not a multiple of 4)",
                offset: 0,
            })?;
            (Value::Vector(vector), len)
        }
        Plan::Unsupported => {
            return Err(Error::Unsupported(format!(
                "values of column type {} (metadata {})",
                column.column_type(),
                column.metadata()
            )));
        }
        Plan::NoMetadata => {
            return Err(Error::Unsupported(format!(
                "values of column type {} (column {}) in a TABLE_MAP without column metadata \
                 (pre-GA MySQL 5.1): their size is not in the binlog",
                column.column_type(),
                column.index()
            )));
        }
    })
}

/// Size of the next non-NULL value of `column` in `input`, checking everything
/// [`decode_value`] would reject but building no value where that takes no extra check (the
/// first pass over a row image).
#[inline]
pub(crate) fn value_len(column: &Column, input: &[u8], partial_json: bool) -> Result<usize, Error> {
    let fixed_len = |len: usize, what: &'static str| {
        if input.len() < len {
            Err(truncated(what, input))
        } else {
            Ok(len)
        }
    };
    match column.plan {
        Plan::Null => Ok(0),
        Plan::Int { width } => fixed_len(usize::from(width), "integer (truncated)"),
        Plan::Float => fixed_len(4, "FLOAT (truncated)"),
        Plan::Double => fixed_len(8, "DOUBLE (truncated)"),
        Plan::Year => fixed_len(1, "YEAR (truncated)"),
        Plan::Bit { len, .. } => fixed_len(usize::from(len), "BIT (truncated)"),
        Plan::Enum { len } => fixed_len(usize::from(len), "ENUM (truncated)"),
        Plan::Set { len } => fixed_len(usize::from(len), "SET (truncated)"),
        Plan::String { len_bytes, .. } => Ok(length_prefixed(input, len_bytes, "string (truncated)")?.1),
        Plan::Blob { len_bytes } => Ok(length_prefixed(input, len_bytes, "BLOB/TEXT (truncated)")?.1),
        Plan::Geometry { len_bytes } => Ok(length_prefixed(input, len_bytes, "GEOMETRY (truncated)")?.1),
        // The temporal types and DECIMAL are checked by decoding them, without building a Value.
        Plan::DateTime2 { fsp } => {
            temporal::decode_datetime2(input, fsp).map(|_| 5usize.saturating_add(fraction_bytes(fsp)))
        }
        Plan::Timestamp2 { fsp } => {
            temporal::decode_timestamp2(input, fsp).map(|_| 4usize.saturating_add(fraction_bytes(fsp)))
        }
        Plan::Decimal { precision, scale } => {
            Decimal::from_binary(input, precision, scale).map(|(_, len)| len)
        }
        _ => decode_value(column, input, partial_json, true).map(|(_, len)| len),
    }
}
