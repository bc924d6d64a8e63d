//! Values detached from the event they were decoded from.

use std::fmt;

use bytes::Bytes;

use super::{
    Bit, Collation, Date, DateTime, Decimal, EnumValue, Int, Json, JsonDiff, Labels, SetValue, StringValue,
    Time, Timestamp, Value, Vector,
};

/// A [`Value`] that owns its data, for sending across threads and channels.
///
/// Byte payloads (strings, BLOBs, JSON, GEOMETRY, VECTOR) are [`Bytes`]:
/// [`Value::to_owned_in`] slices the buffer the event came in (a reference-count increment, no
/// copy) when the value lies inside it, and copies otherwise; [`Value::to_owned_value`] always
/// copies. ENUM/SET member names are shared with the table map through [`Labels`].
/// [`OwnedValue::as_value`] gives the borrowed view back, so `Display`, text decoding and
/// `Serialize` behave exactly as for [`Value`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum OwnedValue {
    /// SQL NULL.
    Null,
    /// See [`Value::Int`].
    Int(Int),
    /// See [`Value::Float`].
    Float(f32),
    /// See [`Value::Double`].
    Double(f64),
    /// See [`Value::Decimal`].
    Decimal(Decimal),
    /// See [`Value::Year`].
    Year(u16),
    /// See [`Value::Date`].
    Date(Date),
    /// See [`Value::Time`].
    Time(Time),
    /// See [`Value::DateTime`].
    DateTime(DateTime),
    /// See [`Value::Timestamp`].
    Timestamp(Timestamp),
    /// See [`Value::Bit`].
    Bit(Bit),
    /// See [`Value::String`] and [`StringValue`].
    String {
        /// The bytes as stored in the binlog (BINARY(N) padding stripped).
        stored: Bytes,
        /// The column's collation, when known.
        collation: Option<Collation>,
        /// Full length of a BINARY(N) value (0 when no padding applies).
        padded_len: u32,
    },
    /// See [`Value::Enum`].
    Enum {
        /// The stored index.
        index: u16,
        /// The column's member names, when known.
        labels: Option<Labels>,
    },
    /// See [`Value::Set`].
    Set {
        /// The stored bit mask.
        bits: u64,
        /// The column's member names, when known.
        labels: Option<Labels>,
    },
    /// See [`Value::Json`]: the validated binary document.
    Json(Bytes),
    /// See [`Value::JsonDiff`]: the validated edits.
    JsonDiff(Bytes),
    /// See [`Value::Geometry`].
    Geometry(Bytes),
    /// See [`Value::Vector`]: the stored little-endian floats.
    Vector(Bytes),
}

impl OwnedValue {
    /// The borrowed view of this value.
    pub fn as_value(&self) -> Value<'_> {
        match self {
            OwnedValue::Null => Value::Null,
            OwnedValue::Int(v) => Value::Int(*v),
            OwnedValue::Float(v) => Value::Float(*v),
            OwnedValue::Double(v) => Value::Double(*v),
            OwnedValue::Decimal(v) => Value::Decimal(*v),
            OwnedValue::Year(v) => Value::Year(*v),
            OwnedValue::Date(v) => Value::Date(*v),
            OwnedValue::Time(v) => Value::Time(*v),
            OwnedValue::DateTime(v) => Value::DateTime(*v),
            OwnedValue::Timestamp(v) => Value::Timestamp(*v),
            OwnedValue::Bit(v) => Value::Bit(*v),
            OwnedValue::String {
                stored,
                collation,
                padded_len,
            } => Value::String(StringValue::new(stored, *collation, *padded_len)),
            OwnedValue::Enum { index, labels } => Value::Enum(EnumValue::new(*index, labels.as_ref())),
            OwnedValue::Set { bits, labels } => Value::Set(SetValue::new(*bits, labels.as_ref())),
            OwnedValue::Json(b) => Value::Json(Json::from_validated(b)),
            OwnedValue::JsonDiff(b) => Value::JsonDiff(JsonDiff::from_validated(b)),
            OwnedValue::Geometry(b) => Value::Geometry(b),
            // the length was checked when the borrowed value was made
            OwnedValue::Vector(b) => Vector::new(b).map_or(Value::Null, Value::Vector),
        }
    }

    /// True for SQL NULL.
    pub fn is_null(&self) -> bool {
        matches!(self, OwnedValue::Null)
    }
}

impl fmt::Display for OwnedValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_value().fmt(f)
    }
}

/// Returns `slice` as a [`Bytes`] sharing `backing` when it lies inside it, else a copy.
fn share(slice: &[u8], backing: Option<&Bytes>) -> Bytes {
    if let Some(backing) = backing {
        let start = backing.as_ptr() as usize;
        let end = start.saturating_add(backing.len());
        let s = slice.as_ptr() as usize;
        if s >= start && s.saturating_add(slice.len()) <= end && !slice.is_empty() {
            return backing.slice_ref(slice);
        }
    }
    Bytes::copy_from_slice(slice)
}

impl Value<'_> {
    fn owned(&self, backing: Option<&Bytes>) -> OwnedValue {
        match *self {
            Value::Null => OwnedValue::Null,
            Value::Int(v) => OwnedValue::Int(v),
            Value::Float(v) => OwnedValue::Float(v),
            Value::Double(v) => OwnedValue::Double(v),
            Value::Decimal(v) => OwnedValue::Decimal(v),
            Value::Year(v) => OwnedValue::Year(v),
            Value::Date(v) => OwnedValue::Date(v),
            Value::Time(v) => OwnedValue::Time(v),
            Value::DateTime(v) => OwnedValue::DateTime(v),
            Value::Timestamp(v) => OwnedValue::Timestamp(v),
            Value::Bit(v) => OwnedValue::Bit(v),
            Value::String(s) => OwnedValue::String {
                stored: share(s.stored_bytes(), backing),
                collation: s.collation(),
                padded_len: if s.padding() > 0 {
                    u32::try_from(s.len()).unwrap_or(u32::MAX)
                } else {
                    0
                },
            },
            Value::Enum(e) => OwnedValue::Enum {
                index: e.index,
                labels: e.labels().cloned(),
            },
            Value::Set(s) => OwnedValue::Set {
                bits: s.bits,
                labels: s.labels().cloned(),
            },
            Value::Json(j) => OwnedValue::Json(share(j.as_bytes(), backing)),
            Value::JsonDiff(d) => OwnedValue::JsonDiff(share(d.as_bytes(), backing)),
            Value::Geometry(g) => OwnedValue::Geometry(share(g, backing)),
            Value::Vector(v) => OwnedValue::Vector(share(v.as_bytes(), backing)),
        }
    }

    /// An owned copy of this value (byte payloads are copied).
    pub fn to_owned_value(&self) -> OwnedValue {
        self.owned(None)
    }

    /// An owned value that shares `backing` for byte payloads lying inside it (no copy), and
    /// copies the rest. Pass the buffer the event was decoded from (for MariaDB compressed
    /// events, [`RowsEvent::decompressed`](crate::event::rows::RowsEvent::decompressed)).
    pub fn to_owned_in(&self, backing: &Bytes) -> OwnedValue {
        self.owned(Some(backing))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_the_backing_buffer() {
        let event = Bytes::from_static(b"xxhello world");
        let value = Value::String(StringValue::new(&event[2..7], Some(Collation(45)), 0));
        let owned = value.to_owned_in(&event);
        match &owned {
            OwnedValue::String { stored, .. } => {
                assert_eq!(stored.as_ref(), b"hello");
                assert_eq!(stored.as_ptr(), event[2..].as_ptr());
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(owned.to_string(), "hello");
        let other = b"hello".to_vec();
        let copied = Value::String(StringValue::new(&other, None, 0)).to_owned_in(&event);
        assert_eq!(
            copied.as_value(),
            Value::String(StringValue::new(b"hello", None, 0))
        );
        let binary = Value::String(StringValue::new(b"a", Some(Collation::BINARY), 3));
        assert_eq!(binary.to_owned_value().as_value(), binary);
    }
}
