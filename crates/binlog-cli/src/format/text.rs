//! The human-readable row-change format: one header line per change, then one line per image.
//!
//! ```text
//! insert shop.orders at mysql-bin.000001:1234 gtid 0-1-5 2024-01-31 12:00:00 UTC
//!   after:  id=1 name='widget' price=9.50 note=NULL
//! ```
//! Values print as MySQL shows them (`Display` of [`Value`]); strings are quoted with `'`,
//! binary strings print as `0x` and hex. Not a stable format: parse the JSON one instead.

use binlog_proto::value::{Timestamp, Value};

use super::{Change, Image, Table};

/// Appends one row change in the text form (several lines, each ending in a newline).
pub fn write_row<I: Image + ?Sized>(
    out: &mut Vec<u8>,
    change: &Change<'_>,
    before: Option<&I>,
    after: Option<&I>,
) {
    use std::io::Write as _;
    let table = change.table;
    let when = Timestamp {
        seconds: change.timestamp,
        micros: 0,
        decimals: 0,
    };
    // Writing to a Vec cannot fail.
    let _ = write!(
        out,
        "{} {}.{} at {}:{}",
        change.op.as_str(),
        table.schema(),
        table.name(),
        change.file,
        change.offset
    );
    if let Some(gtid) = change.gtid {
        let _ = write!(out, " gtid {gtid}");
    }
    let _ = writeln!(out, " {when} UTC");
    if let Some(image) = before {
        out.extend_from_slice(b"  before:");
        write_image(out, table, image);
    }
    if let Some(image) = after {
        out.extend_from_slice(b"  after: ");
        write_image(out, table, image);
    }
}

fn write_image<I: Image + ?Sized>(out: &mut Vec<u8>, table: &dyn Table, image: &I) {
    use std::io::Write as _;
    image.for_each_value(&mut |index, value| {
        match table.column_name(index) {
            Some(name) => {
                let _ = write!(out, " {name}=");
            }
            None => {
                let _ = write!(out, " @{}=", index.saturating_add(1));
            }
        }
        match value {
            Value::String(s) => match s.text() {
                Some(text) => write_quoted(out, &text),
                None => {
                    let _ = write!(out, "{s}");
                }
            },
            // Quoted like `mysqlbinlog -v` quotes them.
            Value::Enum(_)
            | Value::Set(_)
            | Value::Date(_)
            | Value::Time(_)
            | Value::DateTime(_)
            | Value::Timestamp(_) => {
                let _ = write!(out, "'{value}'");
            }
            other => {
                let _ = write!(out, "{other}");
            }
        }
    });
    out.push(b'\n');
}

/// `'text'` with `\\`, `'` and control characters escaped, so that one image stays one line.
fn write_quoted(out: &mut Vec<u8>, text: &str) {
    use std::io::Write as _;
    out.push(b'\'');
    for ch in text.chars() {
        match ch {
            '\\' => out.extend_from_slice(b"\\\\"),
            '\'' => out.extend_from_slice(b"\\'"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'\'');
}
