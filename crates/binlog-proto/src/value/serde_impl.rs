//! `serde::Serialize` for values (feature `serde`).
//!
//! Forms: NULL → `null`; integers → numbers (unsigned columns as u64); FLOAT/DOUBLE → numbers;
//! DECIMAL → string (exact digits); YEAR → number; DATE/TIME/DATETIME/TIMESTAMP → strings as
//! Display prints them (TIMESTAMP in UTC); BIT → number; text → string; binary strings, text
//! that does not decode and GEOMETRY → `{"base64": "..."}`; ENUM → member name (index when
//! names are unknown); SET → `"a,b"` (mask when names are unknown); JSON → the JSON itself;
//! partial JSON → list of `{"op", "path", "value"}`; VECTOR → list of numbers.

use base64::Engine as _;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use super::{OwnedValue, Signedness, StringValue, Value};

struct Base64<'a>(&'a [u8], usize);

impl Serialize for Base64<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut padded;
        let bytes = if self.1 == 0 {
            self.0
        } else {
            padded = self.0.to_vec();
            padded.resize(self.0.len().saturating_add(self.1), 0);
            &padded
        };
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry("base64", &base64::engine::general_purpose::STANDARD.encode(bytes))?;
        map.end()
    }
}

impl Serialize for StringValue<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.text() {
            Some(text) => serializer.serialize_str(&text),
            None => Base64(self.stored_bytes(), self.padding()).serialize(serializer),
        }
    }
}

impl Serialize for Value<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => serializer.serialize_unit(),
            Value::Int(i) => match i.signedness() {
                Signedness::Unsigned => serializer.serialize_u64(i.as_u64()),
                _ => serializer.serialize_i64(i.as_i64()),
            },
            Value::Float(x) => serializer.serialize_f32(*x),
            Value::Double(x) => serializer.serialize_f64(*x),
            Value::Decimal(d) => serializer.collect_str(d),
            Value::Year(y) => serializer.serialize_u16(*y),
            Value::Date(d) => serializer.collect_str(d),
            Value::Time(t) => serializer.collect_str(t),
            Value::DateTime(dt) => serializer.collect_str(dt),
            Value::Timestamp(ts) => serializer.collect_str(ts),
            Value::Bit(b) => serializer.serialize_u64(b.value),
            Value::String(s) => s.serialize(serializer),
            Value::Enum(e) => match e.label() {
                Some(label) => serializer.serialize_str(label),
                None => serializer.serialize_u16(e.index),
            },
            Value::Set(s) => match s.members() {
                Some(_) => serializer.collect_str(s),
                None => serializer.serialize_u64(s.bits),
            },
            Value::Json(j) => j.serialize(serializer),
            Value::JsonDiff(d) => d.serialize(serializer),
            Value::Geometry(g) => Base64(g, 0).serialize(serializer),
            Value::Vector(v) => {
                let mut seq = serializer.serialize_seq(Some(v.len()))?;
                for x in v.iter() {
                    seq.serialize_element(&x)?;
                }
                seq.end()
            }
        }
    }
}

impl Serialize for OwnedValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.as_value().serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::super::*;

    #[test]
    fn serializes_to_json_friendly_forms() {
        let to = |v: &Value<'_>| serde_json::to_string(v).unwrap();
        assert_eq!(to(&Value::Null), "null");
        assert_eq!(
            to(&Value::Int(Int::new(u64::MAX, 8, Signedness::Unsigned))),
            "18446744073709551615"
        );
        assert_eq!(to(&Value::Int(Int::new(0xff, 1, Signedness::Unknown))), "-1");
        assert_eq!(
            to(&Value::String(StringValue::new(
                b"\x00\xff",
                Some(Collation::BINARY),
                3
            ))),
            r#"{"base64":"AP8A"}"#
        );
        assert_eq!(
            to(&Value::String(StringValue::new(b"hi", Some(Collation(45)), 0))),
            r#""hi""#
        );
        let json_bytes = json::tests::J::Obj(vec![("a", json::tests::J::Int(1))]).encode();
        assert_eq!(to(&Value::Json(Json::parse(&json_bytes).unwrap())), r#"{"a":1}"#);
    }
}
