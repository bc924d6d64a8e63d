//! TABLE_MAP optional metadata (MySQL 8.0.1+, MariaDB 10.5+, `binlog_row_metadata`): a list
//! of type-length-value fields after the NULL bitmap.
//!
//! Format (MySQL libs/mysql/binlog/event/rows_event.cpp, `Optional_metadata_fields`): a type
//! byte, a length-encoded length, the value. Collation ids, names, counts and column indexes
//! inside are length-encoded integers; bit lists (signedness, visibility) are bitmaps with the
//! first column in the highest bit. Unknown types are skipped.

use crate::codec::lenenc_int;
use crate::error::Error;
use crate::limits::MAX_COLUMNS;

const SIGNEDNESS: u8 = 1;
const DEFAULT_CHARSET: u8 = 2;
const COLUMN_CHARSET: u8 = 3;
const COLUMN_NAME: u8 = 4;
const SET_STR_VALUE: u8 = 5;
const ENUM_STR_VALUE: u8 = 6;
const GEOMETRY_TYPE: u8 = 7;
const SIMPLE_PRIMARY_KEY: u8 = 8;
const PRIMARY_KEY_WITH_PREFIX: u8 = 9;
const ENUM_AND_SET_DEFAULT_CHARSET: u8 = 10;
const ENUM_AND_SET_COLUMN_CHARSET: u8 = 11;
const COLUMN_VISIBILITY: u8 = 12;
const VECTOR_DIMENSIONALITY: u8 = 13;

/// Charsets given as a default plus exceptions (index among the columns concerned, collation).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct DefaultCharset {
    pub(crate) default: u16,
    pub(crate) exceptions: Vec<(usize, u16)>,
}

/// The raw optional metadata, before it is matched to columns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct OptionalMetadata<'a> {
    /// One bit per numeric column, first column in the high bit of the first byte.
    pub(crate) signedness: Option<&'a [u8]>,
    pub(crate) default_charset: Option<DefaultCharset>,
    pub(crate) column_charsets: Option<Vec<u16>>,
    pub(crate) column_names: Option<Vec<&'a [u8]>>,
    pub(crate) set_values: Option<Vec<Vec<&'a [u8]>>>,
    pub(crate) enum_values: Option<Vec<Vec<&'a [u8]>>>,
    pub(crate) geometry_types: Option<Vec<u32>>,
    /// (column index, prefix length; 0 = whole column)
    pub(crate) primary_key: Option<Vec<(usize, u32)>>,
    pub(crate) enum_and_set_default_charset: Option<DefaultCharset>,
    pub(crate) enum_and_set_column_charsets: Option<Vec<u16>>,
    /// One bit per column, first column in the high bit.
    pub(crate) visibility: Option<&'a [u8]>,
    pub(crate) vector_dimensions: Option<Vec<u32>>,
}

fn bad(what: &'static str, offset: usize) -> Error {
    Error::Malformed { what, offset }
}

/// A cursor over one field's bytes, reporting offsets relative to the whole metadata block.
struct Field<'a> {
    rest: &'a [u8],
    base: usize,
    len: usize,
}

impl<'a> Field<'a> {
    fn offset(&self) -> usize {
        self.base.saturating_add(self.len.saturating_sub(self.rest.len()))
    }

    fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    fn int(&mut self, what: &'static str) -> Result<u64, Error> {
        let (rest, v) = lenenc_int(self.rest).map_err(|_| bad(what, self.offset()))?;
        self.rest = rest;
        Ok(v)
    }

    fn small(&mut self, what: &'static str, max: u64) -> Result<u32, Error> {
        let at = self.offset();
        let v = self.int(what)?;
        if v > max {
            return Err(bad(what, at));
        }
        u32::try_from(v).map_err(|_| bad(what, at))
    }

    fn index(&mut self, what: &'static str) -> Result<usize, Error> {
        Ok(self.small(what, MAX_COLUMNS as u64)? as usize)
    }

    fn collation(&mut self, what: &'static str) -> Result<u16, Error> {
        Ok(self.small(what, u64::from(u16::MAX))? as u16)
    }

    fn bytes(&mut self, what: &'static str) -> Result<&'a [u8], Error> {
        let at = self.offset();
        let len = usize::try_from(self.int(what)?).map_err(|_| bad(what, at))?;
        let (bytes, rest) = self.rest.split_at_checked(len).ok_or(bad(what, at))?;
        self.rest = rest;
        Ok(bytes)
    }

    /// Reads items until the field is exhausted, refusing more than `MAX_COLUMNS` of them.
    fn list<T>(
        &mut self,
        what: &'static str,
        mut item: impl FnMut(&mut Self) -> Result<T, Error>,
    ) -> Result<Vec<T>, Error> {
        let mut out = Vec::new();
        while !self.is_empty() {
            if out.len() >= MAX_COLUMNS {
                return Err(bad(what, self.offset()));
            }
            out.push(item(self)?);
        }
        Ok(out)
    }

    fn default_charset(&mut self, what: &'static str) -> Result<DefaultCharset, Error> {
        let default = self.collation(what)?;
        let exceptions = self.list(what, |f| Ok((f.index(what)?, f.collation(what)?)))?;
        Ok(DefaultCharset { default, exceptions })
    }
}

/// Parses the optional metadata block. `base` is the block's offset in the event, for error
/// offsets.
pub(crate) fn parse_optional_metadata(block: &[u8], base: usize) -> Result<OptionalMetadata<'_>, Error> {
    let mut meta = OptionalMetadata::default();
    let mut rest = block;
    while let Some((&ty, after_type)) = rest.split_first() {
        let at = base.saturating_add(block.len().saturating_sub(rest.len()));
        let (after_len, len) =
            lenenc_int(after_type).map_err(|_| bad("TABLE_MAP optional metadata length", at))?;
        let len = usize::try_from(len).map_err(|_| bad("TABLE_MAP optional metadata length", at))?;
        let (value, next) = after_len
            .split_at_checked(len)
            .ok_or(bad("TABLE_MAP optional metadata (truncated)", at))?;
        let value_at = base.saturating_add(block.len().saturating_sub(after_len.len()));
        let mut field = Field {
            rest: value,
            base: value_at,
            len: value.len(),
        };
        match ty {
            SIGNEDNESS => meta.signedness = Some(value),
            DEFAULT_CHARSET => meta.default_charset = Some(field.default_charset("DEFAULT_CHARSET")?),
            COLUMN_CHARSET => {
                meta.column_charsets = Some(field.list("COLUMN_CHARSET", |f| f.collation("COLUMN_CHARSET"))?)
            }
            COLUMN_NAME => meta.column_names = Some(field.list("COLUMN_NAME", |f| f.bytes("COLUMN_NAME"))?),
            SET_STR_VALUE | ENUM_STR_VALUE => {
                let what = if ty == SET_STR_VALUE {
                    "SET_STR_VALUE"
                } else {
                    "ENUM_STR_VALUE"
                };
                let columns = field.list(what, |f| {
                    let count = f.small(what, u64::from(u16::MAX))?;
                    (0..count).map(|_| f.bytes(what)).collect::<Result<Vec<_>, _>>()
                })?;
                if ty == SET_STR_VALUE {
                    meta.set_values = Some(columns);
                } else {
                    meta.enum_values = Some(columns);
                }
            }
            GEOMETRY_TYPE => {
                meta.geometry_types =
                    Some(field.list("GEOMETRY_TYPE", |f| f.small("GEOMETRY_TYPE", u64::from(u32::MAX)))?)
            }
            SIMPLE_PRIMARY_KEY => {
                meta.primary_key =
                    Some(field.list("SIMPLE_PRIMARY_KEY", |f| Ok((f.index("SIMPLE_PRIMARY_KEY")?, 0)))?)
            }
            PRIMARY_KEY_WITH_PREFIX => {
                meta.primary_key = Some(field.list("PRIMARY_KEY_WITH_PREFIX", |f| {
                    Ok((
                        f.index("PRIMARY_KEY_WITH_PREFIX")?,
                        f.small("PRIMARY_KEY_WITH_PREFIX", u64::from(u32::MAX))?,
                    ))
                })?)
            }
            ENUM_AND_SET_DEFAULT_CHARSET => {
                meta.enum_and_set_default_charset =
                    Some(field.default_charset("ENUM_AND_SET_DEFAULT_CHARSET")?)
            }
            ENUM_AND_SET_COLUMN_CHARSET => {
                meta.enum_and_set_column_charsets = Some(field.list("ENUM_AND_SET_COLUMN_CHARSET", |f| {
                    f.collation("ENUM_AND_SET_COLUMN_CHARSET")
                })?)
            }
            COLUMN_VISIBILITY => meta.visibility = Some(value),
            VECTOR_DIMENSIONALITY => {
                meta.vector_dimensions = Some(field.list("VECTOR_DIMENSIONALITY", |f| {
                    f.small("VECTOR_DIMENSIONALITY", u64::from(u32::MAX))
                })?)
            }
            // Unknown fields are skipped: newer servers may add types.
            _ => {}
        }
        rest = next;
    }
    Ok(meta)
}

/// Bit `i` of a bitmap whose first item is the high bit of the first byte.
pub(crate) fn msb_bit(bitmap: &[u8], i: usize) -> Option<bool> {
    let byte = bitmap.get(i / 8)?;
    let shift = 7u32.saturating_sub(u32::try_from(i % 8).ok()?);
    Some(byte.checked_shr(shift)? & 1 == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fields_and_skips_unknown_ones() {
        let block = [
            SIGNEDNESS,
            1,
            0b1010_0000, //
            99,
            2,
            0xaa,
            0xbb, // unknown type, skipped
            DEFAULT_CHARSET,
            3,
            45,
            1,
            63, //
            COLUMN_NAME,
            5,
            2,
            b'i',
            b'd',
            1,
            b'x', //
            ENUM_STR_VALUE,
            5,
            2,
            1,
            b'a',
            1,
            b'b', //
            PRIMARY_KEY_WITH_PREFIX,
            2,
            0,
            10,
        ];
        let m = parse_optional_metadata(&block, 0).unwrap();
        assert_eq!(m.signedness, Some(&[0b1010_0000u8][..]));
        assert_eq!(
            m.default_charset,
            Some(DefaultCharset {
                default: 45,
                exceptions: vec![(1, 63)]
            })
        );
        assert_eq!(m.column_names, Some(vec![&b"id"[..], &b"x"[..]]));
        assert_eq!(m.enum_values, Some(vec![vec![&b"a"[..], &b"b"[..]]]));
        assert_eq!(m.primary_key, Some(vec![(0, 10)]));
        assert_eq!(msb_bit(&[0b1010_0000], 2), Some(true));
        assert_eq!(msb_bit(&[0b1010_0000], 1), Some(false));
        assert_eq!(msb_bit(&[0], 8), None);
    }

    #[test]
    fn truncated_fields_are_errors() {
        assert!(parse_optional_metadata(&[COLUMN_NAME, 5, 2, b'i'], 0).is_err());
        assert!(parse_optional_metadata(&[COLUMN_NAME, 2, 5, b'i'], 0).is_err());
        assert!(parse_optional_metadata(&[DEFAULT_CHARSET, 2, 45, 1], 0).is_err());
        assert!(parse_optional_metadata(&[SIGNEDNESS], 0).is_err());
    }
}
