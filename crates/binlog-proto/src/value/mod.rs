//! Column values decoded from row images, exactly as the server stored them.
//!
//! [`Value`] borrows from the event it was decoded from: strings, JSON and BLOBs are slices of
//! the event bytes, so decoding allocates nothing. [`OwnedValue`] is the same value detached
//! from the event; its byte payloads are [`bytes::Bytes`], so converting with
//! [`Value::to_owned_in`] from an event held in a `Bytes` buffer shares that buffer instead of
//! copying (see [`OwnedValue`]).
//!
//! `Display` prints values the way MySQL prints them (`2024-01-31 12:00:00.120`, `-838:59:59`,
//! `3.1400`, JSON text). With the `serde` feature, values serialize to JSON-friendly forms.

mod charset;
mod column_type;
mod decimal;
pub(crate) mod decode;
mod float;
mod json;
mod json_diff;
mod owned;
#[cfg(feature = "serde")]
mod serde_impl;
mod temporal;

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

pub use charset::{Charset, Collation};
pub use column_type::ColumnType;
pub use decimal::{Decimal, MAX_PRECISION as DECIMAL_MAX_PRECISION, MAX_SCALE as DECIMAL_MAX_SCALE};
pub use json::{Json, JsonArray, JsonObject, JsonValue};
pub use json_diff::{JsonDiff, JsonDiffEntry, JsonDiffOperation};
pub use owned::OwnedValue;
pub use temporal::{Date, DateTime, MAX_FSP, Time, Timestamp};

/// The permitted values of an ENUM or SET column in definition order, from TABLE_MAP metadata
/// (`binlog_row_metadata=FULL`). Shared between a table map and the values decoded with it.
pub type Labels = Arc<[Box<str>]>;

/// Whether an integer column is UNSIGNED.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signedness {
    /// Declared signed.
    Signed,
    /// Declared UNSIGNED.
    Unsigned,
    /// The server did not say (no SIGNEDNESS metadata: MySQL before 8.0.1, MariaDB before
    /// 10.5, or `binlog_row_metadata` off). The raw bits are kept; both readings are available.
    Unknown,
}

/// An integer column value (TINYINT, SMALLINT, MEDIUMINT, INT, BIGINT).
///
/// The binlog stores the bits without a sign; the column's signedness comes from TABLE_MAP
/// metadata. [`Int::as_i64`] and [`Int::as_u64`] give both readings; Display uses the declared
/// one and the signed one when it is unknown (as `mysqlbinlog` does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Int {
    bits: u64,
    width: u8,
    signedness: Signedness,
}

impl Int {
    /// An integer of `width` bytes (1, 2, 3, 4 or 8) with the given bits (zero-extended).
    #[inline]
    pub fn new(bits: u64, width: u8, signedness: Signedness) -> Int {
        let width = width.clamp(1, 8);
        Int {
            bits: bits & Self::mask(width),
            width,
            signedness,
        }
    }

    #[inline]
    fn mask(width: u8) -> u64 {
        u64::MAX
            .checked_shr(u32::from(64u8.saturating_sub(width.saturating_mul(8))))
            .unwrap_or(u64::MAX)
    }

    /// The stored bits read as a two's-complement signed number.
    pub fn as_i64(&self) -> i64 {
        let unused = u32::from(64u8.saturating_sub(self.width.saturating_mul(8)));
        (self.bits.wrapping_shl(unused) as i64).wrapping_shr(unused)
    }

    /// The stored bits read as an unsigned number.
    pub fn as_u64(&self) -> u64 {
        self.bits
    }

    /// Width in bytes: 1 (TINYINT), 2, 3 (MEDIUMINT), 4 or 8 (BIGINT).
    pub fn width(&self) -> u8 {
        self.width
    }

    /// The column's declared signedness, if known.
    pub fn signedness(&self) -> Signedness {
        self.signedness
    }

    /// The value as the column declares it (unsigned for UNSIGNED columns, signed otherwise),
    /// in one number type.
    pub fn as_i128(&self) -> i128 {
        match self.signedness {
            Signedness::Unsigned => i128::from(self.as_u64()),
            _ => i128::from(self.as_i64()),
        }
    }
}

impl fmt::Display for Int {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.signedness {
            Signedness::Unsigned => write!(f, "{}", self.as_u64()),
            _ => write!(f, "{}", self.as_i64()),
        }
    }
}

/// A BIT(M) value: the bits right-aligned in a u64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Bit {
    /// The value.
    pub value: u64,
    /// M, the column's width in bits (1-64).
    pub bits: u8,
}

impl Bit {
    /// The value as the server stores and returns it: big-endian, (M + 7) / 8 bytes.
    pub fn to_be_bytes(&self) -> Vec<u8> {
        let len = usize::from(self.bits.div_ceil(8)).clamp(1, 8);
        self.value
            .to_be_bytes()
            .get(8usize.saturating_sub(len)..)
            .unwrap_or(&[])
            .to_vec()
    }
}

/// Prints `b'0101'` with M digits, as `mysqlbinlog` does.
impl fmt::Display for Bit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("b'")?;
        for i in (0..u32::from(self.bits.clamp(1, 64))).rev() {
            let bit = self.value.checked_shr(i).unwrap_or(0) & 1;
            f.write_str(if bit == 1 { "1" } else { "0" })?;
        }
        f.write_str("'")
    }
}

/// A CHAR, VARCHAR, TEXT, BINARY, VARBINARY or BLOB value: its bytes and the column's
/// collation.
///
/// BINARY(N) values reach the binlog without their trailing 0x00 padding (the server strips it
/// when packing rows, sql/field.cc `Field_string::pack`) although the column holds N bytes;
/// when the metadata says the column is binary, [`StringValue::bytes`] restores the padding.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StringValue<'a> {
    stored: &'a [u8],
    collation: Option<Collation>,
    padded_len: u32,
}

impl<'a> StringValue<'a> {
    /// A value with the given stored bytes, collation and (for BINARY(N)) full length N.
    pub fn new(stored: &'a [u8], collation: Option<Collation>, padded_len: u32) -> StringValue<'a> {
        StringValue {
            stored,
            collation,
            padded_len,
        }
    }

    /// The value's bytes, with BINARY(N) padding restored.
    pub fn bytes(&self) -> Cow<'a, [u8]> {
        let pad = self.padding();
        if pad == 0 {
            Cow::Borrowed(self.stored)
        } else {
            let mut v = Vec::with_capacity(self.stored.len().saturating_add(pad));
            v.extend_from_slice(self.stored);
            v.resize(self.stored.len().saturating_add(pad), 0);
            Cow::Owned(v)
        }
    }

    /// The bytes as the binlog carries them (BINARY(N) padding stripped).
    pub fn stored_bytes(&self) -> &'a [u8] {
        self.stored
    }

    /// Number of 0x00 bytes the binlog stripped from a BINARY(N) value.
    pub fn padding(&self) -> usize {
        usize::try_from(self.padded_len)
            .unwrap_or(0)
            .saturating_sub(self.stored.len())
    }

    /// Total length in bytes, padding included.
    pub fn len(&self) -> usize {
        self.stored.len().saturating_add(self.padding())
    }

    /// True for the empty string.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The column's collation, when the TABLE_MAP metadata gave it.
    pub fn collation(&self) -> Option<Collation> {
        self.collation
    }

    /// The column's character set, when known.
    pub fn charset(&self) -> Option<Charset> {
        self.collation.and_then(Collation::charset)
    }

    /// True when the column is known to hold bytes (BINARY, VARBINARY, BLOB).
    pub fn is_binary(&self) -> bool {
        self.collation.is_some_and(Collation::is_binary)
    }

    /// The text, decoded exactly from the column's character set. `None` for binary columns,
    /// for bytes invalid in the set, and for sets without a decoder. When the character set is
    /// unknown (no metadata), the bytes are read as UTF-8.
    pub fn text(&self) -> Option<Cow<'a, str>> {
        match self.charset() {
            Some(Charset::Binary) => None,
            Some(cs) => cs.decode(self.stored),
            None => std::str::from_utf8(self.stored).ok().map(Cow::Borrowed),
        }
    }
}

fn write_hex(f: &mut fmt::Formatter<'_>, bytes: &[u8], pad: usize) -> fmt::Result {
    f.write_str("0x")?;
    for b in bytes {
        write!(f, "{b:02X}")?;
    }
    for _ in 0..pad {
        f.write_str("00")?;
    }
    Ok(())
}

/// Prints the text, or `0x` and upper-case hex for binary and undecodable values.
impl fmt::Display for StringValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.text() {
            Some(text) => f.write_str(&text),
            None => write_hex(f, self.stored, self.padding()),
        }
    }
}

impl fmt::Debug for StringValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.text() {
            Some(text) => write!(f, "{text:?}"),
            None => write_hex(f, self.stored, self.padding()),
        }?;
        if let Some(c) = self.collation {
            write!(f, " ({})", c.0)?;
        }
        Ok(())
    }
}

/// An ENUM value: the 1-based index of the member (0 for the empty "error" value the server
/// stores for invalid input in non-strict mode) and, with FULL metadata, the member names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnumValue<'a> {
    /// The stored index.
    pub index: u16,
    labels: Option<&'a Labels>,
}

impl<'a> EnumValue<'a> {
    /// An ENUM value with the column's member names, if known.
    pub fn new(index: u16, labels: Option<&'a Labels>) -> EnumValue<'a> {
        EnumValue { index, labels }
    }

    /// The member's name: `""` for index 0, `None` when the names are unknown or the index is
    /// out of range.
    pub fn label(&self) -> Option<&'a str> {
        let labels = self.labels?;
        match self.index.checked_sub(1) {
            None => Some(""),
            Some(i) => labels.get(usize::from(i)).map(|s| &**s),
        }
    }

    /// All member names of the column, when known.
    pub fn labels(&self) -> Option<&'a Labels> {
        self.labels
    }
}

/// Prints the member name, or the index when names are unknown.
impl fmt::Display for EnumValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.label() {
            Some(label) => f.write_str(label),
            None => write!(f, "{}", self.index),
        }
    }
}

/// A SET value: a bit mask over the members (bit 0 is the first member) and, with FULL
/// metadata, the member names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetValue<'a> {
    /// The stored bit mask.
    pub bits: u64,
    labels: Option<&'a Labels>,
}

impl<'a> SetValue<'a> {
    /// A SET value with the column's member names, if known.
    pub fn new(bits: u64, labels: Option<&'a Labels>) -> SetValue<'a> {
        SetValue { bits, labels }
    }

    /// The names of the members that are set, in definition order; `None` when names are
    /// unknown or a bit beyond the last member is set.
    pub fn members(&self) -> Option<Vec<&'a str>> {
        let labels = self.labels?;
        if labels.len() < 64
            && self
                .bits
                .checked_shr(u32::try_from(labels.len()).ok()?)
                .unwrap_or(0)
                != 0
        {
            return None;
        }
        Some(
            labels
                .iter()
                .enumerate()
                .filter(|(i, _)| {
                    u32::try_from(*i)
                        .ok()
                        .and_then(|i| self.bits.checked_shr(i))
                        .is_some_and(|b| b & 1 == 1)
                })
                .map(|(_, s)| &**s)
                .collect(),
        )
    }

    /// All member names of the column, when known.
    pub fn labels(&self) -> Option<&'a Labels> {
        self.labels
    }
}

/// Prints the member names joined by `,` (as MySQL shows a SET), or the mask when names are
/// unknown.
impl fmt::Display for SetValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.members() {
            Some(members) => {
                for (i, m) in members.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    f.write_str(m)?;
                }
                Ok(())
            }
            None => write!(f, "{}", self.bits),
        }
    }
}

/// A VECTOR value (MySQL 9): little-endian 32-bit floats.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Vector<'a> {
    bytes: &'a [u8],
}

impl<'a> Vector<'a> {
    /// A vector from its stored bytes; `None` unless the length is a multiple of 4.
    pub fn new(bytes: &'a [u8]) -> Option<Vector<'a>> {
        bytes.len().is_multiple_of(4).then_some(Vector { bytes })
    }

    /// The stored bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Number of dimensions.
    pub fn len(&self) -> usize {
        self.bytes.len() / 4
    }

    /// True for a vector with no dimensions.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The components.
    pub fn iter(&self) -> impl Iterator<Item = f32> + 'a {
        self.bytes.chunks_exact(4).map(|c| {
            f32::from_le_bytes([
                c.first().copied().unwrap_or(0),
                c.get(1).copied().unwrap_or(0),
                c.get(2).copied().unwrap_or(0),
                c.get(3).copied().unwrap_or(0),
            ])
        })
    }
}

/// Prints `[1.1,2.2,3.3]` with the shortest digits that round-trip.
impl fmt::Display for Vector<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, x) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            float::write_float(f, x)?;
        }
        f.write_str("]")
    }
}

impl fmt::Debug for Vector<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Vector({self})")
    }
}

/// One column value from a row image, borrowed from the event it was decoded from.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Value<'a> {
    /// SQL NULL.
    Null,
    /// TINYINT, SMALLINT, MEDIUMINT, INT, BIGINT.
    Int(Int),
    /// FLOAT.
    Float(f32),
    /// DOUBLE.
    Double(f64),
    /// DECIMAL, exact.
    Decimal(Decimal),
    /// YEAR (0 for the zero year `0000`).
    Year(u16),
    /// DATE.
    Date(Date),
    /// TIME.
    Time(Time),
    /// DATETIME.
    DateTime(DateTime),
    /// TIMESTAMP (UTC).
    Timestamp(Timestamp),
    /// BIT(M).
    Bit(Bit),
    /// CHAR, VARCHAR, TEXT, BINARY, VARBINARY, BLOB (and MariaDB JSON, which is LONGTEXT).
    String(StringValue<'a>),
    /// ENUM.
    Enum(EnumValue<'a>),
    /// SET.
    Set(SetValue<'a>),
    /// JSON (MySQL binary JSON).
    Json(Json<'a>),
    /// A partial JSON update (after-image of a PARTIAL_UPDATE_ROWS_EVENT): edits to apply to
    /// the before-image value.
    JsonDiff(JsonDiff<'a>),
    /// GEOMETRY: the server's internal format (4-byte SRID, then WKB).
    Geometry(&'a [u8]),
    /// VECTOR.
    Vector(Vector<'a>),
}

impl<'a> Value<'a> {
    /// True for SQL NULL.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The integer of an integer column.
    pub fn as_int(&self) -> Option<Int> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The bytes of a string or GEOMETRY value (BINARY(N) padding restored).
    pub fn as_bytes(&self) -> Option<Cow<'a, [u8]>> {
        match self {
            Value::String(s) => Some(s.bytes()),
            Value::Geometry(g) => Some(Cow::Borrowed(g)),
            _ => None,
        }
    }

    /// The text of a string value, decoded from its character set (see [`StringValue::text`]).
    pub fn as_text(&self) -> Option<Cow<'a, str>> {
        match self {
            Value::String(s) => s.text(),
            _ => None,
        }
    }
}

/// Prints values as MySQL shows them; NULL prints as `NULL`. Binary strings and GEOMETRY print
/// as `0x` and hex.
impl fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("NULL"),
            Value::Int(i) => i.fmt(f),
            Value::Float(x) => float::write_float(f, *x).map(|_| ()),
            Value::Double(x) => float::write_double(f, *x).map(|_| ()),
            Value::Decimal(d) => d.fmt(f),
            Value::Year(y) => write!(f, "{y:04}"),
            Value::Date(d) => d.fmt(f),
            Value::Time(t) => t.fmt(f),
            Value::DateTime(dt) => dt.fmt(f),
            Value::Timestamp(ts) => ts.fmt(f),
            Value::Bit(b) => b.fmt(f),
            Value::String(s) => s.fmt(f),
            Value::Enum(e) => e.fmt(f),
            Value::Set(s) => s.fmt(f),
            Value::Json(j) => j.fmt(f),
            Value::JsonDiff(d) => d.fmt(f),
            Value::Geometry(g) => write_hex(f, g, 0),
            Value::Vector(v) => v.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_readings() {
        let i = Int::new(0xffff_ffff, 4, Signedness::Unknown);
        assert_eq!(i.as_i64(), -1);
        assert_eq!(i.as_u64(), 4_294_967_295);
        assert_eq!(i.to_string(), "-1");
        assert_eq!(
            Int::new(0xffff_ffff, 4, Signedness::Unsigned).to_string(),
            "4294967295"
        );
        assert_eq!(Int::new(0x80_0000, 3, Signedness::Signed).as_i64(), -8_388_608);
        assert_eq!(
            Int::new(u64::MAX, 8, Signedness::Unsigned).to_string(),
            "18446744073709551615"
        );
        assert_eq!(Int::new(u64::MAX, 8, Signedness::Signed).to_string(), "-1");
    }

    #[test]
    fn bit_enum_set_display() {
        assert_eq!(Bit { value: 4, bits: 3 }.to_string(), "b'100'");
        assert_eq!(Bit { value: 4, bits: 3 }.to_be_bytes(), [4]);
        assert_eq!(
            Bit {
                value: 0x1ff,
                bits: 9
            }
            .to_be_bytes(),
            [1, 0xff]
        );
        let labels: Labels = vec!["a".into(), "b".into(), "c".into()].into();
        assert_eq!(EnumValue::new(2, Some(&labels)).to_string(), "b");
        assert_eq!(EnumValue::new(0, Some(&labels)).to_string(), "");
        assert_eq!(EnumValue::new(2, None).to_string(), "2");
        assert_eq!(SetValue::new(0b101, Some(&labels)).to_string(), "a,c");
        assert_eq!(SetValue::new(0b1000, Some(&labels)).to_string(), "8");
        assert_eq!(SetValue::new(0, Some(&labels)).to_string(), "");
    }

    #[test]
    fn binary_padding_is_restored() {
        let s = StringValue::new(b"ab", Some(Collation::BINARY), 4);
        assert_eq!(&*s.bytes(), b"ab\0\0");
        assert_eq!(s.to_string(), "0x61620000");
        assert_eq!(s.len(), 4);
        let t = StringValue::new("é".as_bytes(), Some(Collation(45)), 0);
        assert_eq!(t.to_string(), "é");
        let latin1 = StringValue::new(b"\xe9", Some(Collation(8)), 0);
        assert_eq!(latin1.text().unwrap(), "é");
    }
}
