//! Partial JSON updates: the after-image of a JSON column in a PARTIAL_UPDATE_ROWS_EVENT
//! (MySQL 8.0.3+, `binlog_row_value_options=PARTIAL_JSON`) holds a list of edits instead of the
//! whole document.
//!
//! Format (MySQL sql/json_diff.cc, `Json_diff_vector::write_binary`): per edit an operation
//! byte (0 REPLACE, 1 INSERT, 2 REMOVE), a length-encoded path length and the path text (e.g.
//! `$.a[2]`), then for REPLACE and INSERT a length-encoded value length and a binary JSON value.

use std::fmt;

use super::json::{Json, write_json_string};
use crate::codec::lenenc_int;
use crate::error::Error;

/// What a partial JSON edit does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JsonDiffOperation {
    /// Replace the value at the path (`JSON_REPLACE`).
    Replace,
    /// Insert a value at the path (`JSON_INSERT`, or `JSON_ARRAY_INSERT` for a path ending in
    /// an array cell).
    Insert,
    /// Remove the value at the path (`JSON_REMOVE`).
    Remove,
}

impl JsonDiffOperation {
    /// The operation's name in upper case.
    pub fn name(self) -> &'static str {
        match self {
            JsonDiffOperation::Replace => "REPLACE",
            JsonDiffOperation::Insert => "INSERT",
            JsonDiffOperation::Remove => "REMOVE",
        }
    }
}

/// One edit of a partial JSON update.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JsonDiffEntry<'a> {
    /// What to do.
    pub operation: JsonDiffOperation,
    /// Where, as a MySQL JSON path (`$.a[1]`).
    pub path: &'a str,
    /// The new value (absent for [`JsonDiffOperation::Remove`]).
    pub value: Option<Json<'a>>,
}

/// A validated list of partial JSON edits, applied in order to the column's before-image value.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct JsonDiff<'a> {
    bytes: &'a [u8],
}

fn bad(what: &'static str, offset: usize) -> Error {
    Error::Malformed { what, offset }
}

/// Reads one edit from `input`; returns it and the rest.
fn read_entry(input: &[u8]) -> Result<(JsonDiffEntry<'_>, &[u8]), Error> {
    let (&op, rest) = input.split_first().ok_or(bad("JSON diff operation", 0))?;
    let operation = match op {
        0 => JsonDiffOperation::Replace,
        1 => JsonDiffOperation::Insert,
        2 => JsonDiffOperation::Remove,
        _ => return Err(bad("JSON diff operation", 0)),
    };
    let (rest, path_len) = lenenc_int(rest).map_err(|_| bad("JSON diff path length", 1))?;
    let path_len = usize::try_from(path_len).map_err(|_| bad("JSON diff path length", 1))?;
    let (path, rest) = rest.split_at_checked(path_len).ok_or(bad("JSON diff path", 1))?;
    let path = std::str::from_utf8(path).map_err(|_| bad("JSON diff path (not UTF-8)", 1))?;
    if operation == JsonDiffOperation::Remove {
        return Ok((
            JsonDiffEntry {
                operation,
                path,
                value: None,
            },
            rest,
        ));
    }
    let (rest, value_len) = lenenc_int(rest).map_err(|_| bad("JSON diff value length", 1))?;
    let value_len = usize::try_from(value_len).map_err(|_| bad("JSON diff value length", 1))?;
    let (value, rest) = rest
        .split_at_checked(value_len)
        .ok_or(bad("JSON diff value", 1))?;
    Ok((
        JsonDiffEntry {
            operation,
            path,
            value: Some(Json::parse(value)?),
        },
        rest,
    ))
}

impl<'a> JsonDiff<'a> {
    /// Validates a list of edits (every path, value and JSON document).
    pub fn parse(bytes: &'a [u8]) -> Result<JsonDiff<'a>, Error> {
        let mut rest = bytes;
        while !rest.is_empty() {
            let at = bytes.len().saturating_sub(rest.len());
            rest = read_entry(rest)
                .map_err(|e| match e {
                    Error::Malformed { what, offset } => bad(what, at.saturating_add(offset)),
                    other => other,
                })?
                .1;
        }
        Ok(JsonDiff { bytes })
    }

    /// Wraps bytes this crate validated earlier.
    pub(crate) fn from_validated(bytes: &'a [u8]) -> JsonDiff<'a> {
        JsonDiff { bytes }
    }

    /// The encoded edits.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The edits in order.
    pub fn iter(&self) -> impl Iterator<Item = JsonDiffEntry<'a>> + 'a {
        let mut rest = self.bytes;
        std::iter::from_fn(move || {
            if rest.is_empty() {
                return None;
            }
            let (entry, next) = read_entry(rest).ok()?;
            rest = next;
            Some(entry)
        })
    }
}

/// Prints the edits as `[REPLACE "$.a" 1, REMOVE "$.b"]`.
impl fmt::Display for JsonDiff<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, entry) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(entry.operation.name())?;
            f.write_str(" ")?;
            write_json_string(f, entry.path)?;
            if let Some(value) = entry.value {
                write!(f, " {value}")?;
            }
        }
        f.write_str("]")
    }
}

impl fmt::Debug for JsonDiff<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JsonDiff({self})")
    }
}

#[cfg(feature = "serde")]
mod serde_impl {
    use serde::ser::{SerializeSeq, SerializeStruct};
    use serde::{Serialize, Serializer};

    use super::{JsonDiff, JsonDiffEntry};

    /// An edit serializes as `{"op": "REPLACE", "path": "$.a", "value": ...}`.
    impl Serialize for JsonDiffEntry<'_> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let mut s = serializer.serialize_struct("JsonDiffEntry", 3)?;
            s.serialize_field("op", self.operation.name())?;
            s.serialize_field("path", self.path)?;
            s.serialize_field("value", &self.value)?;
            s.end()
        }
    }

    impl Serialize for JsonDiff<'_> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let mut seq = serializer.serialize_seq(None)?;
            for entry in self.iter() {
                seq.serialize_element(&entry)?;
            }
            seq.end()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::json::tests::J;

    fn entry(op: u8, path: &str, value: Option<&J>) -> Vec<u8> {
        let mut out = vec![op, path.len() as u8];
        out.extend_from_slice(path.as_bytes());
        if let Some(v) = value {
            let bytes = v.encode();
            out.push(bytes.len() as u8);
            out.extend(bytes);
        }
        out
    }

    #[test]
    fn parses_and_prints_edits() {
        let mut bytes = entry(0, "$.a", Some(&J::Int(5)));
        bytes.extend(entry(1, "$.b[0]", Some(&J::Str("x"))));
        bytes.extend(entry(2, "$.c", None));
        let diff = JsonDiff::parse(&bytes).unwrap();
        let ops: Vec<_> = diff.iter().map(|e| (e.operation, e.path)).collect();
        assert_eq!(
            ops,
            [
                (JsonDiffOperation::Replace, "$.a"),
                (JsonDiffOperation::Insert, "$.b[0]"),
                (JsonDiffOperation::Remove, "$.c")
            ]
        );
        assert_eq!(
            diff.to_string(),
            r#"[REPLACE "$.a" 5, INSERT "$.b[0]" "x", REMOVE "$.c"]"#
        );
    }

    #[test]
    fn rejects_bad_edits() {
        assert!(JsonDiff::parse(&[3, 0]).is_err());
        assert!(JsonDiff::parse(&[0, 5, b'$']).is_err());
        assert!(JsonDiff::parse(&[0, 1, b'$']).is_err());
        assert!(JsonDiff::parse(&[0, 1, b'$', 2, 0x04, 0x09]).is_err());
        assert!(JsonDiff::parse(&[]).is_ok());
    }
}
