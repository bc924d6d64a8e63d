//! Events that carry the context of statement-based replication: INTVAR, RAND, USER_VAR,
//! the `LOAD DATA` file blocks (BEGIN_LOAD_QUERY, APPEND_BLOCK) and ROWS_QUERY (layouts from
//! MySQL libbinlogevents statement_events.cpp and load_data_events.cpp).

use std::borrow::Cow;

use nom::bytes::complete::take;
use nom::number::complete::{le_u8, le_u32, le_u64};

use crate::codec::parse_all;
use crate::error::Error;

/// INTVAR_EVENT: the value `LAST_INSERT_ID()` or the next AUTO_INCREMENT value had for the
/// following statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntVar {
    /// 1 = `LAST_INSERT_ID`, 2 = `INSERT_ID` (kept open: other values are data).
    pub kind: u8,
    /// The value.
    pub value: u64,
}

impl IntVar {
    /// `LAST_INSERT_ID_EVENT`.
    pub const LAST_INSERT_ID: u8 = 1;
    /// `INSERT_ID_EVENT`.
    pub const INSERT_ID: u8 = 2;
}

/// RAND_EVENT: the seeds of `RAND()` for the following statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rand {
    /// First seed.
    pub seed1: u64,
    /// Second seed.
    pub seed2: u64,
}

/// USER_VAR_EVENT: the value of a user variable the following statement reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserVar<'a> {
    /// The variable name, without `@`.
    pub name: &'a [u8],
    /// The value, or `None` for SQL NULL.
    pub value: Option<UserVarValue<'a>>,
}

/// The non-NULL value of a user variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserVarValue<'a> {
    /// The `Item_result` type: 0 string, 1 real, 2 integer, 4 decimal.
    pub value_type: u8,
    /// The value's collation id.
    pub charset: u32,
    /// The value as stored: string bytes, a little-endian f64 or i64, or a DECIMAL as
    /// precision, scale and MySQL's binary decimal.
    pub bytes: &'a [u8],
    /// Flags (bit 0: the integer is unsigned); absent from events of old servers.
    pub flags: Option<u8>,
}

impl UserVarValue<'_> {
    /// `STRING_RESULT`.
    pub const STRING: u8 = 0;
    /// `REAL_RESULT`.
    pub const REAL: u8 = 1;
    /// `INT_RESULT`.
    pub const INT: u8 = 2;
    /// `DECIMAL_RESULT`.
    pub const DECIMAL: u8 = 4;
    /// `User_var_event::UNSIGNED_F`.
    pub const UNSIGNED_F: u8 = 1;

    /// The integer value, for `INT` values (signed unless [`Self::is_unsigned`]).
    pub fn as_i64(&self) -> Option<i64> {
        (self.value_type == Self::INT)
            .then(|| self.bytes.get(..8)?.try_into().ok().map(i64::from_le_bytes))
            .flatten()
    }

    /// The floating-point value, for `REAL` values.
    pub fn as_f64(&self) -> Option<f64> {
        (self.value_type == Self::REAL)
            .then(|| self.bytes.get(..8)?.try_into().ok().map(f64::from_le_bytes))
            .flatten()
    }

    /// True when the integer is unsigned.
    pub fn is_unsigned(&self) -> bool {
        self.flags.is_some_and(|f| f & Self::UNSIGNED_F != 0)
    }
}

/// BEGIN_LOAD_QUERY_EVENT or APPEND_BLOCK_EVENT: a block of a `LOAD DATA` input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadBlock<'a> {
    /// The id tying the blocks to their EXECUTE_LOAD_QUERY.
    pub file_id: u32,
    /// The file bytes.
    pub data: &'a [u8],
}

/// ROWS_QUERY_LOG_EVENT: the statement that produced the row events that follow
/// (`binlog_rows_query_log_events=ON`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowsQuery<'a> {
    /// The statement text.
    pub sql: &'a [u8],
}

impl RowsQuery<'_> {
    /// The statement as text (lossy for non-UTF-8 bytes).
    pub fn sql_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(self.sql)
    }
}

/// The part of `body` after the post-header.
fn after_post_header<'a>(body: &'a [u8], post_header_len: u8, what: &'static str) -> Result<&'a [u8], Error> {
    body.get(usize::from(post_header_len)..).ok_or(Error::Malformed {
        what,
        offset: body.len(),
    })
}

/// Parses an INTVAR_EVENT body: kind u8, value u64.
pub(crate) fn parse_intvar(body: &[u8], post_header_len: u8) -> Result<IntVar, Error> {
    let what = "INTVAR_EVENT";
    let (_, (kind, value)) = parse_all(
        what,
        after_post_header(body, post_header_len, what)?,
        (le_u8, le_u64),
    )?;
    Ok(IntVar { kind, value })
}

/// Parses a RAND_EVENT body: two u64 seeds.
pub(crate) fn parse_rand(body: &[u8], post_header_len: u8) -> Result<Rand, Error> {
    let what = "RAND_EVENT";
    let (_, (seed1, seed2)) = parse_all(
        what,
        after_post_header(body, post_header_len, what)?,
        (le_u64, le_u64),
    )?;
    Ok(Rand { seed1, seed2 })
}

/// Parses a USER_VAR_EVENT body: name length u32, name, is-null u8, then for non-NULL values
/// type u8, collation u32, value length u32, value, and (since MySQL 5.5.x) a flags byte that
/// older servers did not write.
pub(crate) fn parse_user_var(body: &[u8], post_header_len: u8) -> Result<UserVar<'_>, Error> {
    let what = "USER_VAR_EVENT";
    let data = after_post_header(body, post_header_len, what)?;
    let (rest, name_len) = parse_all(what, data, le_u32)?;
    let (rest, (name, is_null)) = parse_all(what, rest, (take(name_len as usize), le_u8))
        .map_err(|_| Error::Malformed { what, offset: 4 })?;
    if name.is_empty() {
        return Err(Error::Malformed {
            what: "USER_VAR_EVENT name",
            offset: 0,
        });
    }
    if is_null != 0 {
        return Ok(UserVar { name, value: None });
    }
    let at = data.len().saturating_sub(rest.len());
    let (rest, (value_type, charset, value_len)) =
        parse_all(what, rest, (le_u8, le_u32, le_u32)).map_err(|_| Error::Malformed { what, offset: at })?;
    let (rest, bytes) =
        take::<_, _, nom::error::Error<&[u8]>>(value_len as usize)(rest).map_err(|_| Error::Malformed {
            what: "USER_VAR_EVENT value",
            offset: at.saturating_add(9),
        })?;
    if !matches!(
        value_type,
        UserVarValue::STRING | UserVarValue::REAL | UserVarValue::INT | UserVarValue::DECIMAL
    ) {
        return Err(Error::Malformed {
            what: "USER_VAR_EVENT value type",
            offset: at,
        });
    }
    Ok(UserVar {
        name,
        value: Some(UserVarValue {
            value_type,
            charset,
            bytes,
            flags: rest.first().copied(),
        }),
    })
}

/// Parses a BEGIN_LOAD_QUERY_EVENT or APPEND_BLOCK_EVENT body: file id u32 (the post-header),
/// then the block.
pub(crate) fn parse_load_block<'a>(
    body: &'a [u8],
    post_header_len: u8,
    what: &'static str,
) -> Result<LoadBlock<'a>, Error> {
    let (_, file_id) = parse_all(what, body, le_u32)?;
    let data = after_post_header(body, post_header_len.max(4), what)?;
    Ok(LoadBlock { file_id, data })
}

/// Parses a ROWS_QUERY_LOG_EVENT body: a length byte (the length modulo 256, which readers
/// ignore), then the statement to the end.
pub(crate) fn parse_rows_query(body: &[u8], post_header_len: u8) -> Result<RowsQuery<'_>, Error> {
    let what = "ROWS_QUERY_LOG_EVENT";
    let data = after_post_header(body, post_header_len, what)?;
    let sql = data.get(1..).ok_or(Error::Malformed { what, offset: 0 })?;
    Ok(RowsQuery { sql })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user_var(name: &[u8], tail: &[u8]) -> Vec<u8> {
        let mut body = (name.len() as u32).to_le_bytes().to_vec();
        body.extend_from_slice(name);
        body.extend_from_slice(tail);
        body
    }

    #[test]
    fn user_var_with_and_without_flags() {
        let mut tail = vec![0, 2];
        tail.extend_from_slice(&63u32.to_le_bytes());
        tail.extend_from_slice(&8u32.to_le_bytes());
        tail.extend_from_slice(&(-5i64).to_le_bytes());
        let body = user_var(b"a", &tail);
        let v = parse_user_var(&body, 0).unwrap();
        let value = v.value.unwrap();
        assert_eq!(
            (value.as_i64(), value.flags, value.is_unsigned()),
            (Some(-5), None, false)
        );
        tail.push(1);
        let body = user_var(b"a", &tail);
        let v = parse_user_var(&body, 0).unwrap();
        assert!(v.value.unwrap().is_unsigned());
        let body = user_var(b"n", &[1]);
        let v = parse_user_var(&body, 0).unwrap();
        assert_eq!((v.name, v.value), (&b"n"[..], None));
        assert!(parse_user_var(&user_var(b"", &[1]), 0).is_err());
        let mut bad_type = tail.clone();
        bad_type[1] = 3;
        assert!(parse_user_var(&user_var(b"a", &bad_type), 0).is_err());
        for cut in 0..tail.len() - 1 {
            let body = user_var(b"a", &tail[..cut]);
            assert!(parse_user_var(&body, 0).is_err(), "cut {cut}");
        }
    }

    #[test]
    fn small_fixed_events() {
        let mut body = vec![2];
        body.extend_from_slice(&300u64.to_le_bytes());
        assert_eq!(parse_intvar(&body, 0).unwrap(), IntVar { kind: 2, value: 300 });
        assert!(parse_intvar(&body[..8], 0).is_err());
        let mut body = 1u64.to_le_bytes().to_vec();
        body.extend_from_slice(&2u64.to_le_bytes());
        assert_eq!(parse_rand(&body, 0).unwrap(), Rand { seed1: 1, seed2: 2 });
        let block = parse_load_block(&[5, 0, 0, 0, b'x'], 4, "APPEND_BLOCK_EVENT").unwrap();
        assert_eq!((block.file_id, block.data), (5, &b"x"[..]));
        assert_eq!(parse_rows_query(b"\x08INSERT 1", 0).unwrap().sql, b"INSERT 1");
        assert!(parse_rows_query(b"", 0).is_err());
    }
}
