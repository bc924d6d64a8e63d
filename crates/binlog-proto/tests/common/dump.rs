//! `mysqlbinlog -vv` / `mariadb-binlog -vv` output: parsing the `@N=value` lines and printing
//! our decoded values the same way.

use binlog_proto::event::table_map::Column;
use binlog_proto::value::{ColumnType, Signedness, Value};

/// One image as the dump prints it: (column number, value bytes) per `@N=` line.
pub type Image = Vec<(usize, Vec<u8>)>;

/// Whose client printed the dump.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// MySQL's mysqlbinlog (sql/log_event.cc `log_event_print_value`).
    Mysql,
    /// MariaDB's mariadb-binlog (sql/log_event_client.cc), which quotes old DATETIME values.
    Mariadb,
}

/// Parses the row images of a dump: a new image at each `### WHERE` / `### SET`.
pub fn parse_dump(text: &[u8]) -> Vec<Image> {
    let mut images = Vec::new();
    for line in text.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line == b"### WHERE" || line == b"### SET" {
            images.push(Vec::new());
        } else if let Some(rest) = line.strip_prefix(b"###   @") {
            let eq = rest.iter().position(|&b| b == b'=').unwrap();
            let n: usize = std::str::from_utf8(&rest[..eq]).unwrap().parse().unwrap();
            let mut value = &rest[eq + 1..];
            if value.ends_with(b"*/")
                && let Some(i) = value.windows(4).rposition(|w| w == b" /* ")
            {
                value = &value[..i];
            }
            images
                .last_mut()
                .expect("value line outside an image")
                .push((n, value.to_vec()));
        }
    }
    images
}

/// The clients' string quoting: MySQL's (sql/log_event.cc `get_quote_table`) escapes quotes,
/// backslashes and control characters; MariaDB's (sql/log_event_client.cc
/// `my_b_write_quoted`) prints every byte from 0x20 as is and the others as `\xNN`.
pub fn quote(bytes: &[u8], flavor: Flavor) -> Vec<u8> {
    let mut out = vec![b'\''];
    if flavor == Flavor::Mariadb {
        for &b in bytes {
            if b > 0x1f {
                out.push(b);
            } else {
                out.extend_from_slice(format!("\\x{b:02x}").as_bytes());
            }
        }
        out.push(b'\'');
        return out;
    }
    for &b in bytes {
        match b {
            8 => out.extend_from_slice(b"\\b"),
            12 => out.extend_from_slice(b"\\f"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\'' => out.extend_from_slice(b"\\'"),
            b if b < 32 => out.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
            b => out.push(b),
        }
    }
    out.push(b'\'');
    out
}

/// C's `%g` (6 significant digits), as the clients print FLOAT.
pub fn c_g6(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let sci = format!("{v:.5e}");
    let (mantissa, exp) = sci.split_once('e').unwrap();
    let exp: i32 = exp.parse().unwrap();
    if !(-4..6).contains(&exp) {
        let m = mantissa.trim_end_matches('0').trim_end_matches('.');
        format!("{m}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
    } else {
        let decimals = (5 - exp).max(0) as usize;
        let s = format!("{v:.decimals$}");
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    }
}

/// Checks one decoded value against the dump's bytes for it.
pub fn check(column: &Column, value: &Value<'_>, dump: &[u8], flavor: Flavor, at: &str) {
    let text = String::from_utf8_lossy(dump);
    let ours: Vec<u8> = match value {
        Value::Null => b"NULL".to_vec(),
        Value::Int(i) => {
            if i.as_i64() < 0 && text.contains(" (") {
                // clients that ignore SIGNEDNESS (MySQL before 8.0, MariaDB) print negative
                // readings with their unsigned reading
                format!("{} ({})", i.as_i64(), i.as_u64()).into_bytes()
            } else if i.signedness() == Signedness::Unsigned {
                i.as_u64().to_string().into_bytes()
            } else {
                i.as_i64().to_string().into_bytes()
            }
        }
        Value::Float(x) => {
            assert_eq!(c_g6(f64::from(*x)), text.trim_end(), "{at}");
            return;
        }
        Value::Double(x) => {
            assert_eq!(*x, text.parse::<f64>().unwrap(), "{at}");
            return;
        }
        Value::Decimal(d) => d.to_string().into_bytes(),
        // the clients print YEAR as 1900 + the stored byte, also for the zero year
        Value::Year(y) => format!("{:04}", if *y == 0 { 1900 } else { *y }).into_bytes(),
        // DATE prints with colons
        Value::Date(d) => format!("'{:04}:{:02}:{:02}'", d.year, d.month, d.day).into_bytes(),
        Value::Time(t) => format!("'{t}'").into_bytes(),
        Value::DateTime(dt) if column.column_type() == ColumnType::DATETIME && flavor == Flavor::Mysql => {
            dt.to_string().into_bytes()
        }
        Value::DateTime(dt) => format!("'{dt}'").into_bytes(),
        Value::Timestamp(ts) => {
            if ts.decimals == 0 {
                ts.seconds.to_string().into_bytes()
            } else {
                let frac = ts.micros / 10u32.pow(6 - u32::from(ts.decimals));
                format!("{}.{:0w$}", ts.seconds, frac, w = usize::from(ts.decimals)).into_bytes()
            }
        }
        Value::Bit(b) => b.to_string().into_bytes(),
        Value::String(s) => quote(s.stored_bytes(), flavor),
        Value::Enum(e) => e.index.to_string().into_bytes(),
        Value::Set(s) => {
            let width = usize::from(column.metadata() & 0xff) * 8;
            format!("b'{:0width$b}'", s.bits).into_bytes()
        }
        Value::Json(j) => quote(j.to_string().as_bytes(), flavor),
        other => panic!("{at}: no mysqlbinlog form for {other:?}"),
    };
    assert_eq!(String::from_utf8_lossy(&ours), text, "{at}");
    assert_eq!(ours, dump, "{at}");
}
