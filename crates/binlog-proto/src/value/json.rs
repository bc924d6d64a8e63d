//! MySQL's binary JSON format (JSON columns, MySQL 5.7+), validated once and then viewed or
//! printed as text exactly as MySQL prints it.
//!
//! Format (MySQL sql-common/json_binary.cc): a type byte, then the value. Objects and arrays
//! come in a small (2-byte counts and offsets) and a large (4-byte) flavour: element count,
//! total size, key entries (offset, u16 length; objects only), value entries (type byte and
//! either an offset from the container start or, for small scalars, the value itself), then
//! keys and values. Strings carry a variable-length size (7 bits per byte, low bits first).
//! Opaque values carry a column type byte, a variable-length size and the bytes; MySQL uses
//! them for DECIMAL (precision, scale, binary decimal) and temporal values (8-byte packed
//! integers), and for anything else that has no JSON type.
//!
//! MariaDB stores JSON as plain LONGTEXT, so its JSON columns arrive as strings.

use std::fmt;

use base64::Engine as _;

use super::column_type::ColumnType;
use super::decimal::Decimal;
use super::float::write_json_double;
use super::temporal::{Date, DateTime, Time, datetime_from_packed, time_from_packed};
use crate::error::Error;
use crate::limits::MAX_JSON_DEPTH;

const SMALL_OBJECT: u8 = 0x00;
const LARGE_OBJECT: u8 = 0x01;
const SMALL_ARRAY: u8 = 0x02;
const LARGE_ARRAY: u8 = 0x03;
const LITERAL: u8 = 0x04;
const INT16: u8 = 0x05;
const UINT16: u8 = 0x06;
const INT32: u8 = 0x07;
const UINT32: u8 = 0x08;
const INT64: u8 = 0x09;
const UINT64: u8 = 0x0a;
const DOUBLE: u8 = 0x0b;
const STRING: u8 = 0x0c;
const OPAQUE: u8 = 0x0f;

const LITERAL_NULL: u8 = 0x00;
const LITERAL_TRUE: u8 = 0x01;
const LITERAL_FALSE: u8 = 0x02;

/// Base64 line length in MySQL's `base64_encode` (mysys/base64.cc): a newline every 76
/// characters, which shows up as `\n` inside opaque values' text.
const BASE64_LINE_INPUT: usize = 57;

fn bad(what: &'static str) -> Error {
    Error::Malformed { what, offset: 0 }
}

/// A validated binary JSON document. Display prints MySQL's text form (`{"a": 1, "b": [true,
/// null]}`: `", "` and `": "` separators, doubles with `.0` when integral, DECIMAL unquoted,
/// dates and times quoted with six fractional digits, other opaque values as
/// `"base64:typeNN:..."`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Json<'a> {
    bytes: &'a [u8],
}

impl<'a> Json<'a> {
    /// Wraps bytes this crate validated earlier (e.g. before they were copied into an owned
    /// value).
    pub(crate) fn from_validated(bytes: &'a [u8]) -> Json<'a> {
        Json { bytes }
    }

    /// Validates a binary JSON document: structure, offsets, UTF-8 of keys and strings, nesting
    /// depth (at most [`MAX_JSON_DEPTH`]) and embedded decimals and temporals. An empty document
    /// is the JSON null literal, as MySQL reads it.
    pub fn parse(bytes: &'a [u8]) -> Result<Json<'a>, Error> {
        if let Some((&ty, data)) = bytes.split_first() {
            let mut budget = bytes.len();
            validate(read_value(ty, data)?, 0, &mut budget)?;
        }
        Ok(Json { bytes })
    }

    /// The binary document.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The document's root value.
    pub fn value(&self) -> JsonValue<'a> {
        match self.bytes.split_first() {
            Some((&ty, data)) => read_value(ty, data).unwrap_or(JsonValue::Null),
            None => JsonValue::Null,
        }
    }
}

impl fmt::Display for Json<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value().fmt(f)
    }
}

impl fmt::Debug for Json<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Json({self})")
    }
}

/// One value inside a validated JSON document.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum JsonValue<'a> {
    /// `null`
    Null,
    /// `true` or `false`
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer.
    UInt(u64),
    /// A double.
    Double(f64),
    /// A string.
    String(&'a str),
    /// A DECIMAL (opaque value of type NEWDECIMAL).
    Decimal(Decimal),
    /// A DATE.
    Date(Date),
    /// A TIME.
    Time(Time),
    /// A DATETIME.
    DateTime(DateTime),
    /// A TIMESTAMP (as a date and time; MySQL stores it like a DATETIME inside JSON).
    Timestamp(DateTime),
    /// Any other opaque value: the column type it came from and its bytes.
    Opaque(ColumnType, &'a [u8]),
    /// An object.
    Object(JsonObject<'a>),
    /// An array.
    Array(JsonArray<'a>),
}

/// A JSON object inside a validated document. Keys are in MySQL's storage order (by length,
/// then bytes), which is also the order MySQL prints them in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonObject<'a> {
    container: Container<'a>,
}

/// A JSON array inside a validated document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonArray<'a> {
    container: Container<'a>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Container<'a> {
    /// From the element count to the end of the container (its declared size).
    data: &'a [u8],
    large: bool,
    count: usize,
}

impl<'a> Container<'a> {
    fn parse(data: &'a [u8], large: bool, is_object: bool) -> Result<Container<'a>, Error> {
        let width = if large { 4 } else { 2 };
        let count = read_uint(data, 0, width).ok_or(bad("JSON container header"))?;
        let size = read_uint(data, width, width).ok_or(bad("JSON container header"))?;
        let data = data.get(..size).ok_or(bad("JSON container size"))?;
        let header = width.saturating_mul(2);
        let key_entry = if is_object { width.saturating_add(2) } else { 0 };
        let value_entry = width.saturating_add(1);
        let entries = count
            .checked_mul(key_entry.saturating_add(value_entry))
            .and_then(|n| n.checked_add(header))
            .ok_or(bad("JSON container element count"))?;
        if entries > size {
            return Err(bad("JSON container element count"));
        }
        Ok(Container { data, large, count })
    }

    fn width(&self) -> usize {
        if self.large { 4 } else { 2 }
    }

    fn key_entry_size(&self, is_object: bool) -> usize {
        if is_object {
            self.width().saturating_add(2)
        } else {
            0
        }
    }

    fn key(&self, index: usize) -> Result<&'a str, Error> {
        let width = self.width();
        let at = width
            .saturating_mul(2)
            .saturating_add(index.saturating_mul(self.key_entry_size(true)));
        let offset = read_uint(self.data, at, width).ok_or(bad("JSON key entry"))?;
        let len = read_uint(self.data, at.saturating_add(width), 2).ok_or(bad("JSON key entry"))?;
        let key = self
            .data
            .get(offset..offset.saturating_add(len))
            .ok_or(bad("JSON key offset"))?;
        std::str::from_utf8(key).map_err(|_| bad("JSON key (not UTF-8)"))
    }

    fn value(&self, index: usize, is_object: bool) -> Result<JsonValue<'a>, Error> {
        let width = self.width();
        let value_entry = width.saturating_add(1);
        let at = width
            .saturating_mul(2)
            .saturating_add(self.count.saturating_mul(self.key_entry_size(is_object)))
            .saturating_add(index.saturating_mul(value_entry));
        let entry = self
            .data
            .get(at..at.saturating_add(value_entry))
            .ok_or(bad("JSON value entry"))?;
        let (&ty, inline) = entry.split_first().ok_or(bad("JSON value entry"))?;
        let inlined = matches!(ty, LITERAL | INT16 | UINT16) || (self.large && matches!(ty, INT32 | UINT32));
        if inlined {
            return read_value(ty, inline);
        }
        let offset = read_uint(inline, 0, width).ok_or(bad("JSON value entry"))?;
        let data = self.data.get(offset..).ok_or(bad("JSON value offset"))?;
        read_value(ty, data)
    }
}

fn read_uint(data: &[u8], at: usize, width: usize) -> Option<usize> {
    let bytes = data.get(at..at.checked_add(width)?)?;
    let v = bytes
        .iter()
        .rev()
        .fold(0u64, |acc, &b| acc.wrapping_shl(8) | u64::from(b));
    usize::try_from(v).ok()
}

fn fixed<const N: usize>(data: &[u8]) -> Result<[u8; N], Error> {
    data.get(..N)
        .and_then(|s| <[u8; N]>::try_from(s).ok())
        .ok_or(bad("JSON scalar (truncated)"))
}

/// Reads MySQL's variable-length size: up to 5 bytes, 7 bits each, low bits first.
fn read_varlen(data: &[u8]) -> Result<(usize, &[u8]), Error> {
    let mut value: u64 = 0;
    for (i, &b) in data.iter().take(5).enumerate() {
        let shift = u32::try_from(i.saturating_mul(7)).unwrap_or(35);
        value |= u64::from(b & 0x7f).wrapping_shl(shift);
        if b & 0x80 == 0 {
            let value = u32::try_from(value).map_err(|_| bad("JSON length"))?;
            let rest = data.get(i.saturating_add(1)..).unwrap_or(&[]);
            return Ok((value as usize, rest));
        }
    }
    Err(bad("JSON length"))
}

fn read_value(ty: u8, data: &[u8]) -> Result<JsonValue<'_>, Error> {
    Ok(match ty {
        SMALL_OBJECT | LARGE_OBJECT => JsonValue::Object(JsonObject {
            container: Container::parse(data, ty == LARGE_OBJECT, true)?,
        }),
        SMALL_ARRAY | LARGE_ARRAY => JsonValue::Array(JsonArray {
            container: Container::parse(data, ty == LARGE_ARRAY, false)?,
        }),
        LITERAL => match data.first() {
            Some(&LITERAL_NULL) => JsonValue::Null,
            Some(&LITERAL_TRUE) => JsonValue::Bool(true),
            Some(&LITERAL_FALSE) => JsonValue::Bool(false),
            _ => return Err(bad("JSON literal")),
        },
        INT16 => JsonValue::Int(i64::from(i16::from_le_bytes(fixed(data)?))),
        UINT16 => JsonValue::UInt(u64::from(u16::from_le_bytes(fixed(data)?))),
        INT32 => JsonValue::Int(i64::from(i32::from_le_bytes(fixed(data)?))),
        UINT32 => JsonValue::UInt(u64::from(u32::from_le_bytes(fixed(data)?))),
        INT64 => JsonValue::Int(i64::from_le_bytes(fixed(data)?)),
        UINT64 => JsonValue::UInt(u64::from_le_bytes(fixed(data)?)),
        DOUBLE => JsonValue::Double(f64::from_le_bytes(fixed(data)?)),
        STRING => {
            let (len, rest) = read_varlen(data)?;
            let bytes = rest.get(..len).ok_or(bad("JSON string (truncated)"))?;
            JsonValue::String(std::str::from_utf8(bytes).map_err(|_| bad("JSON string (not UTF-8)"))?)
        }
        OPAQUE => {
            let (&field_type, rest) = data.split_first().ok_or(bad("JSON opaque value"))?;
            let (len, rest) = read_varlen(rest)?;
            let bytes = rest.get(..len).ok_or(bad("JSON opaque value (truncated)"))?;
            read_opaque(ColumnType(field_type), bytes)?
        }
        _ => return Err(bad("JSON value type")),
    })
}

fn read_opaque(field_type: ColumnType, bytes: &[u8]) -> Result<JsonValue<'_>, Error> {
    let packed = || fixed::<8>(bytes).map(i64::from_le_bytes);
    Ok(match field_type {
        ColumnType::NEWDECIMAL => {
            let (&precision, rest) = bytes.split_first().ok_or(bad("JSON decimal"))?;
            let (&scale, rest) = rest.split_first().ok_or(bad("JSON decimal"))?;
            JsonValue::Decimal(Decimal::from_binary(rest, precision, scale)?.0)
        }
        ColumnType::DATE => JsonValue::Date(datetime_from_packed(packed()?, 6)?.date),
        ColumnType::DATETIME => JsonValue::DateTime(datetime_from_packed(packed()?, 6)?),
        ColumnType::TIMESTAMP => JsonValue::Timestamp(datetime_from_packed(packed()?, 6)?),
        ColumnType::TIME => JsonValue::Time(time_from_packed(packed()?, 6)?),
        // Strings stored as opaque VAR_STRING print as plain strings (json_dom.cc).
        ColumnType::VAR_STRING => match std::str::from_utf8(bytes) {
            Ok(s) => JsonValue::String(s),
            Err(_) => JsonValue::Opaque(field_type, bytes),
        },
        _ => JsonValue::Opaque(field_type, bytes),
    })
}

/// Walks the whole tree once. `budget` bounds the number of values visited (a document whose
/// entries share offsets could otherwise make the walk exponential).
fn validate(value: JsonValue<'_>, depth: usize, budget: &mut usize) -> Result<(), Error> {
    *budget = budget
        .checked_sub(1)
        .ok_or(bad("JSON document (values overlap)"))?;
    let (container, is_object) = match value {
        JsonValue::Object(o) => (o.container, true),
        JsonValue::Array(a) => (a.container, false),
        // JSON has no NaN or infinity, and MySQL never stores them (its JSON parser rejects
        // them and converting a non-finite double to JSON is an error): such bytes are forged,
        // and rendering them would produce text that is not JSON.
        JsonValue::Double(d) if !d.is_finite() => return Err(bad("JSON double (NaN or infinite)")),
        _ => return Ok(()),
    };
    let depth = depth.saturating_add(1);
    if depth > MAX_JSON_DEPTH {
        return Err(Error::TooLarge {
            what: "JSON nesting depth",
            declared: depth as u64,
            limit: MAX_JSON_DEPTH as u64,
        });
    }
    for i in 0..container.count {
        if is_object {
            container.key(i)?;
        }
        validate(container.value(i, is_object)?, depth, budget)?;
    }
    Ok(())
}

impl<'a> JsonObject<'a> {
    /// Number of members.
    pub fn len(&self) -> usize {
        self.container.count
    }

    /// True for `{}`.
    pub fn is_empty(&self) -> bool {
        self.container.count == 0
    }

    /// The members in storage order.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, JsonValue<'a>)> + 'a {
        let container = self.container;
        (0..container.count)
            .map_while(move |i| Some((container.key(i).ok()?, container.value(i, true).ok()?)))
    }

    /// The member named `key`.
    pub fn get(&self, key: &str) -> Option<JsonValue<'a>> {
        self.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }
}

impl<'a> JsonArray<'a> {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.container.count
    }

    /// True for `[]`.
    pub fn is_empty(&self) -> bool {
        self.container.count == 0
    }

    /// The elements in order.
    pub fn iter(&self) -> impl Iterator<Item = JsonValue<'a>> + 'a {
        let container = self.container;
        (0..container.count).map_while(move |i| container.value(i, false).ok())
    }

    /// The element at `index`.
    pub fn get(&self, index: usize) -> Option<JsonValue<'a>> {
        if index < self.container.count {
            self.container.value(index, false).ok()
        } else {
            None
        }
    }
}

/// Writes a JSON string literal with MySQL's escaping (json_dom.cc, `double_quote`): `"` and
/// `\`, the named escapes `\b \f \n \r \t`, other bytes up to 0x1f as `\u00xx`.
pub(crate) fn write_json_string(f: &mut dyn fmt::Write, s: &str) -> fmt::Result {
    f.write_char('"')?;
    let mut rest = s;
    while let Some(pos) = rest.find(|c: char| c <= '\u{1f}' || c == '"' || c == '\\') {
        let (plain, tail) = rest.split_at(pos);
        f.write_str(plain)?;
        let mut chars = tail.chars();
        let Some(c) = chars.next() else { break };
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\u{8}' => f.write_str("\\b")?,
            '\u{c}' => f.write_str("\\f")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c => write!(f, "\\u{:04x}", u32::from(c))?,
        }
        rest = chars.as_str();
    }
    f.write_str(rest)?;
    f.write_char('"')
}

/// Writes an opaque value as MySQL does: `"base64:typeNN:<base64>"`, the base64 broken into
/// 76-character lines (the newlines escaped as `\n`).
fn write_opaque(f: &mut dyn fmt::Write, field_type: ColumnType, bytes: &[u8]) -> fmt::Result {
    write!(f, "\"base64:type{}:", field_type.0)?;
    let mut line = [0u8; 76];
    for (i, chunk) in bytes.chunks(BASE64_LINE_INPUT).enumerate() {
        if i > 0 {
            f.write_str("\\n")?;
        }
        let n = base64::engine::general_purpose::STANDARD
            .encode_slice(chunk, &mut line)
            .map_err(|_| fmt::Error)?;
        f.write_str(std::str::from_utf8(line.get(..n).unwrap_or(&[])).map_err(|_| fmt::Error)?)?;
    }
    f.write_char('"')
}

impl JsonValue<'_> {
    fn write(&self, f: &mut dyn fmt::Write) -> fmt::Result {
        match self {
            JsonValue::Null => f.write_str("null"),
            JsonValue::Bool(b) => f.write_str(if *b { "true" } else { "false" }),
            JsonValue::Int(i) => write!(f, "{i}"),
            JsonValue::UInt(u) => write!(f, "{u}"),
            JsonValue::Double(d) => write_json_double(f, *d),
            JsonValue::String(s) => write_json_string(f, s),
            JsonValue::Decimal(d) => write!(f, "{d}"),
            JsonValue::Date(d) => write!(f, "\"{d}\""),
            JsonValue::Time(t) => write!(f, "\"{t}\""),
            JsonValue::DateTime(dt) | JsonValue::Timestamp(dt) => write!(f, "\"{dt}\""),
            JsonValue::Opaque(ty, bytes) => write_opaque(f, *ty, bytes),
            JsonValue::Object(o) => {
                f.write_char('{')?;
                for (i, (key, value)) in o.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write_json_string(f, key)?;
                    f.write_str(": ")?;
                    value.write(f)?;
                }
                f.write_char('}')
            }
            JsonValue::Array(a) => {
                f.write_char('[')?;
                for (i, value) in a.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    value.write(f)?;
                }
                f.write_char(']')
            }
        }
    }
}

impl fmt::Display for JsonValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f)
    }
}

#[cfg(feature = "serde")]
mod serde_impl {
    use serde::ser::{SerializeMap, SerializeSeq};
    use serde::{Serialize, Serializer};

    use super::{Json, JsonValue};

    impl Serialize for Json<'_> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            self.value().serialize(serializer)
        }
    }

    /// JSON values serialize as the same JSON structure. DECIMALs serialize as strings (serde
    /// has no exact decimal), temporals and opaque values as the strings MySQL prints.
    impl Serialize for JsonValue<'_> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            match self {
                JsonValue::Null => serializer.serialize_unit(),
                JsonValue::Bool(b) => serializer.serialize_bool(*b),
                JsonValue::Int(i) => serializer.serialize_i64(*i),
                JsonValue::UInt(u) => serializer.serialize_u64(*u),
                JsonValue::Double(d) => serializer.serialize_f64(*d),
                JsonValue::String(s) => serializer.serialize_str(s),
                JsonValue::Decimal(d) => serializer.collect_str(d),
                JsonValue::Date(d) => serializer.collect_str(d),
                JsonValue::Time(t) => serializer.collect_str(t),
                JsonValue::DateTime(dt) | JsonValue::Timestamp(dt) => serializer.collect_str(dt),
                JsonValue::Opaque(..) => {
                    let text = self.to_string();
                    let unquoted = text.trim_matches('"').replace("\\n", "\n");
                    serializer.serialize_str(&unquoted)
                }
                JsonValue::Object(o) => {
                    let mut map = serializer.serialize_map(Some(o.len()))?;
                    for (k, v) in o.iter() {
                        map.serialize_entry(k, &v)?;
                    }
                    map.end()
                }
                JsonValue::Array(a) => {
                    let mut seq = serializer.serialize_seq(Some(a.len()))?;
                    for v in a.iter() {
                        seq.serialize_element(&v)?;
                    }
                    seq.end()
                }
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A tiny encoder for tests: builds small-format binary JSON.
    pub(crate) enum J {
        Null,
        Bool(bool),
        I16(i16),
        U16(u16),
        I32(i32),
        U32(u32),
        U64(u64),
        Text(String),
        /// An object or array in the large (4-byte offsets) format.
        Large(Box<J>),
        Int(i64),
        Double(f64),
        Str(&'static str),
        Opaque(u8, Vec<u8>),
        Arr(Vec<J>),
        Obj(Vec<(&'static str, J)>),
    }

    impl J {
        fn scalar(&self) -> (u8, Vec<u8>) {
            match self {
                J::Null => (LITERAL, vec![LITERAL_NULL]),
                J::Bool(b) => (LITERAL, vec![if *b { LITERAL_TRUE } else { LITERAL_FALSE }]),
                J::Int(i) => (INT64, i.to_le_bytes().to_vec()),
                J::I16(i) => (INT16, i.to_le_bytes().to_vec()),
                J::U16(i) => (UINT16, i.to_le_bytes().to_vec()),
                J::I32(i) => (INT32, i.to_le_bytes().to_vec()),
                J::U32(i) => (UINT32, i.to_le_bytes().to_vec()),
                J::U64(i) => (UINT64, i.to_le_bytes().to_vec()),
                J::Text(s) => {
                    let mut v = Vec::new();
                    let mut n = s.len();
                    loop {
                        let byte = (n & 0x7f) as u8;
                        n >>= 7;
                        if n == 0 {
                            v.push(byte);
                            break;
                        }
                        v.push(byte | 0x80);
                    }
                    v.extend_from_slice(s.as_bytes());
                    (STRING, v)
                }
                J::Large(inner) => match &**inner {
                    J::Arr(items) => (LARGE_ARRAY, container_with(None, items.iter().collect(), 4)),
                    J::Obj(members) => (
                        LARGE_OBJECT,
                        container_with(
                            Some(members.iter().map(|(k, _)| *k).collect()),
                            members.iter().map(|(_, v)| v).collect(),
                            4,
                        ),
                    ),
                    other => other.scalar(),
                },
                J::Double(d) => (DOUBLE, d.to_le_bytes().to_vec()),
                J::Str(s) => {
                    assert!(s.len() < 128);
                    let mut v = vec![s.len() as u8];
                    v.extend_from_slice(s.as_bytes());
                    (STRING, v)
                }
                J::Opaque(t, b) => {
                    assert!(b.len() < 128);
                    let mut v = vec![*t, b.len() as u8];
                    v.extend_from_slice(b);
                    (OPAQUE, v)
                }
                J::Arr(items) => (SMALL_ARRAY, container(None, items.iter().collect())),
                J::Obj(members) => (
                    SMALL_OBJECT,
                    container(
                        Some(members.iter().map(|(k, _)| *k).collect()),
                        members.iter().map(|(_, v)| v).collect(),
                    ),
                ),
            }
        }

        pub(crate) fn encode(&self) -> Vec<u8> {
            let (t, mut body) = self.scalar();
            body.insert(0, t);
            body
        }
    }

    fn container(keys: Option<Vec<&str>>, values: Vec<&J>) -> Vec<u8> {
        container_with(keys, values, 2)
    }

    /// An object (with keys) or array with `w`-byte counts and offsets (2 small, 4 large).
    fn container_with(keys: Option<Vec<&str>>, values: Vec<&J>, w: usize) -> Vec<u8> {
        let put = |out: &mut Vec<u8>, v: usize| out.extend_from_slice(&(v as u32).to_le_bytes()[..w]);
        let n = values.len();
        let key_entries = if keys.is_some() { (w + 2) * n } else { 0 };
        let header = 2 * w + key_entries + (1 + w) * n;
        let mut tail = Vec::new();
        let mut key_part = Vec::new();
        if let Some(keys) = &keys {
            for k in keys {
                put(&mut key_part, header + tail.len());
                key_part.extend_from_slice(&(k.len() as u16).to_le_bytes());
                tail.extend_from_slice(k.as_bytes());
            }
        }
        let mut value_part = Vec::new();
        for v in values {
            let (t, bytes) = v.scalar();
            value_part.push(t);
            let inlined = matches!(t, LITERAL | INT16 | UINT16) || (w == 4 && matches!(t, INT32 | UINT32));
            if inlined {
                let mut inline = bytes.clone();
                inline.resize(w, 0);
                value_part.extend_from_slice(&inline);
            } else {
                put(&mut value_part, header + tail.len());
                tail.extend_from_slice(&bytes);
            }
        }
        let size = header + tail.len();
        let mut out = Vec::new();
        put(&mut out, n);
        put(&mut out, size);
        out.extend(key_part);
        out.extend(value_part);
        out.extend(tail);
        out
    }

    fn text(j: &J) -> String {
        let bytes = j.encode();
        Json::parse(&bytes).unwrap().to_string()
    }

    #[test]
    fn prints_like_mysql() {
        let doc = J::Obj(vec![
            ("a", J::Int(1)),
            (
                "b",
                J::Arr(vec![J::Bool(true), J::Null, J::Double(3.0), J::Double(-0.25)]),
            ),
            ("c", J::Str("x\"y\\z\n\u{1}\u{1f}é")),
        ]);
        assert_eq!(
            text(&doc),
            r#"{"a": 1, "b": [true, null, 3.0, -0.25], "c": "x\"y\\z\n\u0001\u001fé"}"#
        );
        assert_eq!(text(&J::Arr(vec![])), "[]");
        assert_eq!(text(&J::Obj(vec![])), "{}");
        assert_eq!(Json::parse(&[]).unwrap().to_string(), "null");
        // opaque BIT value: base64 with MySQL's 76-character lines
        assert_eq!(text(&J::Opaque(16, vec![0x55])), r#""base64:type16:VQ==""#);
        let long = text(&J::Opaque(252, vec![0u8; 60]));
        assert!(long.contains("AAAA\\nAAAA"), "{long}");
    }

    #[test]
    fn every_scalar_in_small_and_large_containers() {
        let long = "é".repeat(100); // 200 bytes: a two-byte length
        let members = || {
            vec![
                ("i16", J::I16(-300)),
                ("u16", J::U16(65535)),
                ("i32", J::I32(-70000)),
                ("u32", J::U32(4_000_000_000)),
                ("u64", J::U64(u64::MAX)),
                ("i64", J::Int(i64::MIN)),
                ("str", J::Text(long.clone())),
                (
                    "arr",
                    J::Large(Box::new(J::Arr(vec![
                        J::I32(7),
                        J::Bool(false),
                        J::Text("x".into()),
                    ]))),
                ),
            ]
        };
        let expected = format!(
            r#"{{"i16": -300, "u16": 65535, "i32": -70000, "u32": 4000000000, "u64": 18446744073709551615, "i64": -9223372036854775808, "str": "{long}", "arr": [7, false, "x"]}}"#
        );
        assert_eq!(text(&J::Obj(members())), expected);
        assert_eq!(text(&J::Large(Box::new(J::Obj(members())))), expected);
        let bytes = J::Large(Box::new(J::Obj(members()))).encode();
        let doc = Json::parse(&bytes).unwrap();
        match doc.value() {
            JsonValue::Object(o) => {
                assert_eq!(o.len(), 8);
                assert_eq!(o.get("u32"), Some(JsonValue::UInt(4_000_000_000)));
                match o.get("arr") {
                    Some(JsonValue::Array(a)) => assert_eq!(a.get(2), Some(JsonValue::String("x"))),
                    other => panic!("{other:?}"),
                }
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rejects_bad_documents() {
        let mut doc = J::Obj(vec![("a", J::Str("b"))]).encode();
        doc[3] = 0xff; // size beyond the document
        assert!(Json::parse(&doc).is_err());
        assert!(Json::parse(&[0x20]).is_err());
        assert!(Json::parse(&[STRING, 5, b'a']).is_err());
        assert!(Json::parse(&[STRING, 1, 0xff]).is_err());
        assert!(Json::parse(&[LITERAL, 7]).is_err());
        // nesting beyond the limit
        let mut deep = J::Null;
        for _ in 0..=MAX_JSON_DEPTH {
            deep = J::Arr(vec![deep]);
        }
        assert!(matches!(Json::parse(&deep.encode()), Err(Error::TooLarge { .. })));
        let mut ok = J::Null;
        for _ in 0..MAX_JSON_DEPTH {
            ok = J::Arr(vec![ok]);
        }
        assert!(Json::parse(&ok.encode()).is_ok());
    }

    #[test]
    fn shared_offsets_cannot_blow_up() {
        // an array of 3 entries all pointing at the same child, nested 30 deep, would take
        // 3^30 steps without the budget
        let mut body: Vec<u8> = vec![INT64, 1, 0, 0, 0, 0, 0, 0, 0];
        for _ in 0..30 {
            let header = 4 + 3 * 3;
            let mut c = Vec::new();
            c.extend_from_slice(&3u16.to_le_bytes());
            c.extend_from_slice(&((header + body.len() - 1) as u16).to_le_bytes());
            for _ in 0..3 {
                c.push(body[0]);
                c.extend_from_slice(&(header as u16).to_le_bytes());
            }
            c.extend_from_slice(&body[1..]);
            let mut next = vec![SMALL_ARRAY];
            next.extend(c);
            body = next;
        }
        assert!(Json::parse(&body).is_err());
    }

    #[test]
    fn non_finite_doubles_are_refused() {
        // Found by the json_binary fuzz target: a DOUBLE holding NaN rendered as "-NaN",
        // which is not JSON. MySQL never stores NaN or infinity in JSON.
        let crash = [DOUBLE, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        assert!(matches!(Json::parse(&crash), Err(Error::Malformed { .. })));
        for d in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(Json::parse(&J::Double(d).encode()).is_err(), "{d}");
            assert!(Json::parse(&J::Arr(vec![J::Double(d)]).encode()).is_err(), "{d}");
        }
    }
}
