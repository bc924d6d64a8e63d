//! The JSON row-change format: one object per line, documented in `docs/output-format.md`.
//!
//! ```text
//! {"op":"insert","schema":"db","table":"t","pos":{"file":"mysql-bin.000001","offset":1234},
//!  "gtid":"0-1-5","ts":1700000000,"before":null,"after":{"id":1,"name":"a"},"keys":{"id":1}}
//! ```
//! (one line in the real output). Values are lossless; the mapping of each column type is in
//! [`write_value`]. Everything is written straight into the caller's buffer: no allocation per
//! value except for text in a non-UTF-8 character set and for BINARY(N) padding.

use base64::Engine as _;
use binlog_proto::value::{Date, Signedness, StringValue, Time, Value};

use super::{Change, Image, Table};

/// Appends one row change as a JSON object and a newline to `out`.
///
/// `before` is the image before the change (updates and deletes), `after` the image after it
/// (inserts and updates). `keys` holds the primary-key columns of the row as it is after the
/// change (the removed row for deletes), like the Python seed's `keys` and
/// `binlog_signals::Row::keys`.
///
/// ```
/// use binlog_cli::format::{Change, Op, json};
/// use binlog_proto::event::EventType;
/// use binlog_proto::event::rows::parse_rows_event;
/// use binlog_proto::event::table_map::{TableMaps, parse_table_map};
///
/// // `db`.`t` (id 7): one INT column; one WRITE_ROWS event inserting 42
/// let map = [7, 0, 0, 0, 0, 0, 1, 0, 2, b'd', b'b', 0, 1, b't', 0, 1, 3, 0, 1];
/// let mut tables = TableMaps::new();
/// tables.insert(parse_table_map(&map, 8)?);
/// let body = [7, 0, 0, 0, 0, 0, 1, 0, 2, 0, 1, 0b1, 0, 42, 0, 0, 0];
/// let event = parse_rows_event(EventType::WRITE_ROWS_EVENT, &body, 10, &tables)?;
///
/// let mut out = Vec::new();
/// for row in event.rows() {
///     let row = row?;
///     let change = Change {
///         op: Op::Insert,
///         table: event.table(),
///         file: "mysql-bin.000001",
///         offset: 500,
///         gtid: None,
///         timestamp: 1_700_000_000,
///     };
///     json::write_row(&mut out, &change, row.before().as_ref(), row.after().as_ref());
/// }
/// assert_eq!(
///     String::from_utf8(out).unwrap(),
///     concat!(
///         r#"{"op":"insert","schema":"db","table":"t","pos":{"file":"mysql-bin.000001","offset":500},"#,
///         r#""gtid":null,"ts":1700000000,"before":null,"after":{"@1":42},"keys":{}}"#,
///         "\n"
///     )
/// );
/// # Ok::<(), binlog_proto::Error>(())
/// ```
pub fn write_row<I: Image + ?Sized>(
    out: &mut Vec<u8>,
    change: &Change<'_>,
    before: Option<&I>,
    after: Option<&I>,
) {
    let table = change.table;
    out.extend_from_slice(b"{\"op\":\"");
    out.extend_from_slice(change.op.as_str().as_bytes());
    out.extend_from_slice(b"\",\"schema\":");
    write_str(out, table.schema());
    out.extend_from_slice(b",\"table\":");
    write_str(out, table.name());
    out.extend_from_slice(b",\"pos\":{\"file\":");
    write_str(out, change.file);
    out.extend_from_slice(b",\"offset\":");
    write_int(out, change.offset);
    out.extend_from_slice(b"},\"gtid\":");
    match change.gtid {
        Some(gtid) => write_str(out, gtid),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"ts\":");
    write_int(out, change.timestamp);
    out.extend_from_slice(b",\"before\":");
    write_image(out, table, before);
    out.extend_from_slice(b",\"after\":");
    write_image(out, table, after);
    out.extend_from_slice(b",\"keys\":{");
    if let Some(image) = after.or(before) {
        let mut first = true;
        table.for_each_key_column(&mut |index| {
            if let Some(value) = image.value(index) {
                if !first {
                    out.push(b',');
                }
                first = false;
                write_name(out, table, index);
                out.push(b':');
                write_value(out, &value);
            }
        });
    }
    out.extend_from_slice(b"}}\n");
}

/// `{"name":value,...}` for the columns in the image, or `null` without an image.
fn write_image<I: Image + ?Sized>(out: &mut Vec<u8>, table: &dyn Table, image: Option<&I>) {
    let Some(image) = image else {
        out.extend_from_slice(b"null");
        return;
    };
    out.push(b'{');
    let mut first = true;
    image.for_each_value(&mut |index, value| {
        if !first {
            out.push(b',');
        }
        first = false;
        write_name(out, table, index);
        out.push(b':');
        write_value(out, &value);
    });
    out.push(b'}');
}

/// The column's name from FULL metadata, else `@1`, `@2`, ... (1-based, as `mysqlbinlog -v`).
fn write_name(out: &mut Vec<u8>, table: &dyn Table, index: usize) {
    match table.column_name(index) {
        Some(name) => write_str(out, name),
        None => {
            out.extend_from_slice(b"\"@");
            write_int(out, index.saturating_add(1));
            out.push(b'"');
        }
    }
}

/// Appends one value as JSON:
///
/// | column type | JSON |
/// |---|---|
/// | NULL | `null` |
/// | TINYINT ... BIGINT | integer; UNSIGNED columns unsigned (signed when the metadata does not say) |
/// | FLOAT, DOUBLE | number (shortest digits that read back to the same float) |
/// | DECIMAL | string with the column's scale: `"1.50"` |
/// | DATE, DATETIME, TIME | string as MySQL prints it, with the column's fractional digits |
/// | TIMESTAMP | string, the same format, in UTC |
/// | YEAR, BIT | integer |
/// | ENUM | member name (the index as an integer when names are unknown) |
/// | SET | `"a,c"` (1-based member numbers, `"1,3"`, when names are unknown) |
/// | CHAR, VARCHAR, TEXT | string decoded from the column's character set |
/// | BINARY, VARBINARY, BLOB, GEOMETRY, undecodable text | `{"base64":"..."}` |
/// | JSON | the JSON value itself; partial updates a list of `{"op","path","value"}` |
/// | VECTOR | array of numbers |
pub fn write_value(out: &mut Vec<u8>, value: &Value<'_>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Int(i) => match i.signedness() {
            Signedness::Unsigned => write_int(out, i.as_u64()),
            _ => write_int(out, i.as_i64()),
        },
        Value::Float(x) => write_float(out, *x),
        Value::Double(x) => write_double(out, *x),
        Value::Decimal(d) => {
            out.push(b'"');
            write_decimal(out, d);
            out.push(b'"');
        }
        Value::Year(y) => write_int(out, *y),
        Value::Date(d) => {
            out.push(b'"');
            write_date(out, d);
            out.push(b'"');
        }
        Value::Time(t) => {
            out.push(b'"');
            write_time(out, t);
            out.push(b'"');
        }
        Value::DateTime(dt) => {
            out.push(b'"');
            write_date(out, &dt.date);
            out.push(b' ');
            write_clock(out, dt.hour, dt.minute, dt.second, dt.micros, dt.decimals);
            out.push(b'"');
        }
        Value::Timestamp(ts) => {
            let dt = ts.to_utc();
            out.push(b'"');
            write_date(out, &dt.date);
            out.push(b' ');
            write_clock(out, dt.hour, dt.minute, dt.second, dt.micros, dt.decimals);
            out.push(b'"');
        }
        Value::Bit(b) => write_int(out, b.value),
        Value::String(s) => write_string_value(out, s),
        Value::Enum(e) => match e.label() {
            Some(label) => write_str(out, label),
            None => write_int(out, e.index),
        },
        Value::Set(s) => write_set(out, s),
        Value::Json(j) => write_serde(out, j),
        Value::JsonDiff(d) => write_serde(out, d),
        Value::Geometry(g) => write_base64(out, g),
        Value::Vector(v) => {
            out.push(b'[');
            for (i, x) in v.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_float(out, x);
            }
            out.push(b']');
        }
        // A value kind added to binlog-proto later: its Display form, as a string.
        other => {
            let text = other.to_string();
            write_str(out, &text);
        }
    }
}

fn write_int(out: &mut Vec<u8>, n: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

fn write_float(out: &mut Vec<u8>, x: f32) {
    if x.is_finite() {
        out.extend_from_slice(ryu::Buffer::new().format_finite(x).as_bytes());
    } else {
        // MySQL stores no NaN or infinity; JSON has no spelling for them.
        out.extend_from_slice(b"null");
    }
}

fn write_double(out: &mut Vec<u8>, x: f64) {
    if x.is_finite() {
        out.extend_from_slice(ryu::Buffer::new().format_finite(x).as_bytes());
    } else {
        out.extend_from_slice(b"null");
    }
}

/// Appends `Display` output (no intermediate String).
fn write_display(out: &mut Vec<u8>, value: &dyn std::fmt::Display) {
    use std::io::Write as _;
    // Writing to a Vec cannot fail.
    let _ = write!(out, "{value}");
}

/// Appends a serde-serializable value as compact JSON.
fn write_serde(out: &mut Vec<u8>, value: &impl serde::Serialize) {
    let mark = out.len();
    if serde_json::to_writer(&mut *out, value).is_err() {
        // Only a map with non-string keys can fail, which binary JSON cannot express; keep
        // the line valid anyway.
        out.truncate(mark);
        out.extend_from_slice(b"null");
    }
}

/// A DECIMAL with exactly its scale's digits after the point, as `Display` prints it; without
/// going through `fmt` when the digits fit in an `i128` (precision up to 38).
fn write_decimal(out: &mut Vec<u8>, d: &binlog_proto::value::Decimal) {
    let Some(mantissa) = d.mantissa() else {
        write_display(out, d);
        return;
    };
    if mantissa < 0 {
        out.push(b'-');
    }
    let mut buf = itoa::Buffer::new();
    let digits = buf.format(mantissa.unsigned_abs()).as_bytes();
    let scale = usize::from(d.scale());
    if scale == 0 {
        out.extend_from_slice(digits);
    } else if digits.len() <= scale {
        out.extend_from_slice(b"0.");
        out.resize(out.len().saturating_add(scale - digits.len()), b'0');
        out.extend_from_slice(digits);
    } else {
        let (int, frac) = digits.split_at(digits.len() - scale);
        out.extend_from_slice(int);
        out.push(b'.');
        out.extend_from_slice(frac);
    }
}

fn push_digits(out: &mut Vec<u8>, n: u32, width: usize) {
    let mut buf = itoa::Buffer::new();
    let digits = buf.format(n).as_bytes();
    for _ in digits.len()..width {
        out.push(b'0');
    }
    out.extend_from_slice(digits);
}

/// `YYYY-MM-DD`.
fn write_date(out: &mut Vec<u8>, d: &Date) {
    push_digits(out, u32::from(d.year), 4);
    out.push(b'-');
    push_digits(out, u32::from(d.month), 2);
    out.push(b'-');
    push_digits(out, u32::from(d.day), 2);
}

/// `HH:MM:SS[.ffffff]` with `decimals` fractional digits.
fn write_clock(out: &mut Vec<u8>, hour: u8, minute: u8, second: u8, micros: u32, decimals: u8) {
    push_digits(out, u32::from(hour), 2);
    write_minutes_seconds(out, minute, second, micros, decimals);
}

fn write_minutes_seconds(out: &mut Vec<u8>, minute: u8, second: u8, micros: u32, decimals: u8) {
    out.push(b':');
    push_digits(out, u32::from(minute), 2);
    out.push(b':');
    push_digits(out, u32::from(second), 2);
    if decimals > 0 {
        let decimals = decimals.min(6);
        let divisor = 10u32.pow(u32::from(6 - decimals));
        out.push(b'.');
        push_digits(out, micros / divisor, usize::from(decimals));
    }
}

/// `[-]HH:MM:SS[.ffffff]` (hours not wrapped at 24, at least two digits).
fn write_time(out: &mut Vec<u8>, t: &Time) {
    if t.negative {
        out.push(b'-');
    }
    push_digits(out, t.hours, 2);
    write_minutes_seconds(out, t.minutes, t.seconds, t.micros, t.decimals);
}

/// Text decoded from the column's character set; bytes as base64 otherwise.
fn write_string_value(out: &mut Vec<u8>, s: &StringValue<'_>) {
    match s.text() {
        Some(text) => write_str(out, &text),
        None => write_base64(out, &s.bytes()),
    }
}

/// A SET: member names joined by `,`; without names (or with a bit beyond the last name),
/// the 1-based numbers of the members that are set.
fn write_set(out: &mut Vec<u8>, s: &binlog_proto::value::SetValue<'_>) {
    let labels = s.labels().filter(|labels| {
        labels.len() >= 64
            || u32::try_from(labels.len()).is_ok_and(|n| s.bits.checked_shr(n).unwrap_or(0) == 0)
    });
    out.push(b'"');
    let mut first = true;
    for i in 0..64u32 {
        if s.bits.checked_shr(i).unwrap_or(0) & 1 == 0 {
            continue;
        }
        if !first {
            out.push(b',');
        }
        first = false;
        match labels.and_then(|l| l.get(i as usize)) {
            Some(name) => write_escaped(out, name),
            None => write_int(out, i.saturating_add(1)),
        }
    }
    out.push(b'"');
}

/// `{"base64":"..."}` (standard alphabet, padded).
fn write_base64(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(b"{\"base64\":\"");
    let start = out.len();
    let len = base64::encoded_len(bytes.len(), true).unwrap_or(0);
    out.resize(start.saturating_add(len), 0);
    let written = out
        .get_mut(start..)
        .and_then(|dst| {
            base64::engine::general_purpose::STANDARD
                .encode_slice(bytes, dst)
                .ok()
        })
        .unwrap_or(0);
    out.truncate(start.saturating_add(written));
    out.extend_from_slice(b"\"}");
}

/// A JSON string literal.
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    write_escaped(out, s);
    out.push(b'"');
}

/// Bytes that must be escaped in a JSON string: `"`, `\\` and the control characters.
#[inline]
fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// The body of a JSON string: `"` `\` and control characters escaped (RFC 8259 §7).
fn write_escaped(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !needs_escape(b) {
            continue;
        }
        out.extend_from_slice(bytes.get(start..i).unwrap_or_default());
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            _ => b"",
        };
        if escape.is_empty() {
            out.extend_from_slice(b"\\u00");
            for nibble in [b >> 4, b & 0xf] {
                out.push(HEX.get(usize::from(nibble)).copied().unwrap_or(b'0'));
            }
        } else {
            out.extend_from_slice(escape);
        }
        start = i + 1;
    }
    out.extend_from_slice(bytes.get(start..).unwrap_or_default());
}

#[cfg(test)]
mod tests;
