//! QUERY_EVENT, MariaDB's QUERY_COMPRESSED_EVENT and EXECUTE_LOAD_QUERY_EVENT: a statement
//! with the session state it ran under.
//!
//! Post-header (MySQL `Query_event`, libbinlogevents statement_events.cpp): thread id u32,
//! execution time u32, schema length u8, error code u16, status-variables length u16 (binlog
//! v4; absent with the 11-byte v3 post-header). EXECUTE_LOAD_QUERY extends it with file id
//! u32, file name start/end positions u32 and a duplicate-handling byte (26 bytes). Then the
//! status variables, the schema name and a NUL, and the statement text to the end.

use std::borrow::Cow;

use nom::Parser;
use nom::bytes::complete::take;
use nom::number::complete::{le_u8, le_u16, le_u24, le_u32, le_u64};

use crate::codec::{PResult, nul_terminated, parse_all};
use crate::compression::uncompress_mariadb;
use crate::error::Error;

/// Post-header length of the binlog v3 QUERY_EVENT (no status variables).
const QUERY_HEADER_MINIMAL_LEN: usize = 11;
/// Post-header length of EXECUTE_LOAD_QUERY_EVENT.
const EXECUTE_LOAD_QUERY_HEADER_LEN: usize = 26;
/// Q_UPDATED_DB_NAMES holds names only up to this count (`MAX_DBS_IN_EVENT_MTS`).
const MAX_DBS_IN_EVENT_MTS: u8 = 16;

/// A statement and the session state the server recorded with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query<'a> {
    /// The session (connection) id that ran the statement.
    pub thread_id: u32,
    /// Seconds the statement took on the source.
    pub exec_time: u32,
    /// The error the statement ended with on the source (0 for none).
    pub error_code: u16,
    /// The status variables.
    pub status: StatusVars<'a>,
    /// The default schema (`USE`), empty when none.
    pub schema: &'a [u8],
    /// The statement text, in the client character set of [`StatusVars::charset`];
    /// decompressed for QUERY_COMPRESSED_EVENT.
    pub sql: Cow<'a, [u8]>,
}

impl Query<'_> {
    /// The schema as text (lossy for non-UTF-8 bytes).
    pub fn schema_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(self.schema)
    }

    /// The statement as text (lossy for non-UTF-8 bytes).
    pub fn sql_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.sql)
    }
}

/// EXECUTE_LOAD_QUERY_EVENT: a `LOAD DATA` statement whose file was sent in
/// BEGIN_LOAD_QUERY/APPEND_BLOCK events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecuteLoadQuery<'a> {
    /// The statement; its text names the file between `file_name_start` and `file_name_end`.
    pub query: Query<'a>,
    /// The id tying this statement to its BEGIN_LOAD_QUERY/APPEND_BLOCK events.
    pub file_id: u32,
    /// Offset of the file name in the statement text.
    pub file_name_start: u32,
    /// Offset just past the file name in the statement text.
    pub file_name_end: u32,
    /// `LOAD DATA` duplicate handling: 0 error, 1 IGNORE, 2 REPLACE.
    pub dup_handling: u8,
}

/// The client, connection and server collation ids of the session (`Q_CHARSET_CODE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryCharset {
    /// `character_set_client` (as a collation id).
    pub client: u16,
    /// `collation_connection`.
    pub connection: u16,
    /// `collation_server`.
    pub server: u16,
}

/// The account a stored program runs as (`Q_INVOKER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invoker<'a> {
    /// User name.
    pub user: &'a [u8],
    /// Host name.
    pub host: &'a [u8],
}

/// The schemas a statement changed (`Q_UPDATED_DB_NAMES`, for multi-threaded appliers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpdatedDbNames<'a> {
    count: u8,
    names: &'a [u8],
}

impl<'a> UpdatedDbNames<'a> {
    /// True when the statement touched more schemas than the event lists (MySQL writes 254,
    /// `OVER_MAX_DBS_IN_EVENT_MTS`, and no names).
    pub fn is_over_max(&self) -> bool {
        self.count > MAX_DBS_IN_EVENT_MTS
    }

    /// The schema names.
    pub fn iter(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let count = if self.is_over_max() { 0 } else { self.count };
        self.names.split(|&b| b == 0).take(usize::from(count))
    }
}

/// `Q_AUTO_INCREMENT`: `auto_increment_increment` and `auto_increment_offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AutoIncrement {
    /// `auto_increment_increment`.
    pub increment: u16,
    /// `auto_increment_offset`.
    pub offset: u16,
}

/// The status variables of a QUERY_EVENT. Each is present only when the server wrote it.
///
/// Codes are from MySQL `enum_query_status_vars` (statement_events.h) and MariaDB sql/log_event.h
/// (128 and up). A code this crate does not know ends parsing, as in the servers themselves:
/// the format gives no length for unknown codes. The bytes from that code on are kept in
/// [`StatusVars::unparsed`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StatusVars<'a> {
    /// The whole status-variable block, as written.
    pub raw: &'a [u8],
    /// `Q_FLAGS2_CODE` (0): `OPTION_*` bits such as autocommit, foreign key checks.
    pub flags2: Option<u32>,
    /// `Q_SQL_MODE_CODE` (1): the session `sql_mode` bits.
    pub sql_mode: Option<u64>,
    /// `Q_CATALOG_CODE` (2, MySQL 5.0.0-5.0.3) or `Q_CATALOG_NZ_CODE` (6): the catalog ("std").
    pub catalog: Option<&'a [u8]>,
    /// `Q_AUTO_INCREMENT` (3).
    pub auto_increment: Option<AutoIncrement>,
    /// `Q_CHARSET_CODE` (4).
    pub charset: Option<QueryCharset>,
    /// `Q_TIME_ZONE_CODE` (5): the session time zone name.
    pub time_zone: Option<&'a [u8]>,
    /// `Q_LC_TIME_NAMES_CODE` (7): locale id of `lc_time_names`.
    pub lc_time_names: Option<u16>,
    /// `Q_CHARSET_DATABASE_CODE` (8): collation id of the default schema.
    pub charset_database: Option<u16>,
    /// `Q_TABLE_MAP_FOR_UPDATE_CODE` (9): bitmap of tables updated by a multi-table UPDATE.
    pub table_map_for_update: Option<u64>,
    /// `Q_MASTER_DATA_WRITTEN_CODE` (10): original event size, in relay logs of old sources.
    pub master_data_written: Option<u32>,
    /// `Q_INVOKER` (11).
    pub invoker: Option<Invoker<'a>>,
    /// `Q_UPDATED_DB_NAMES` (12).
    pub updated_db_names: Option<UpdatedDbNames<'a>>,
    /// `Q_MICROSECONDS` (13): microseconds of the event timestamp.
    pub microseconds: Option<u32>,
    /// `Q_EXPLICIT_DEFAULTS_FOR_TIMESTAMP` (16).
    pub explicit_defaults_for_timestamp: Option<bool>,
    /// `Q_DDL_LOGGED_WITH_XID` (17): the XID of an atomic DDL statement (MySQL 8).
    pub ddl_xid: Option<u64>,
    /// `Q_DEFAULT_COLLATION_FOR_UTF8MB4` (18).
    pub default_collation_for_utf8mb4: Option<u16>,
    /// `Q_SQL_REQUIRE_PRIMARY_KEY` (19).
    pub sql_require_primary_key: Option<u8>,
    /// `Q_DEFAULT_TABLE_ENCRYPTION` (20).
    pub default_table_encryption: Option<u8>,
    /// MariaDB `Q_HRNOW` (128): microseconds of the event timestamp.
    pub hrnow: Option<u32>,
    /// MariaDB `Q_XID` (129): the XID of a DDL statement.
    pub xid: Option<u64>,
    /// MariaDB `Q_GTID_FLAGS3` (130): GTID extra flags (ALTER TABLE replicated in two phases).
    pub gtid_flags3: Option<u8>,
    /// MariaDB `Q_GTID_FLAGS3` with the COMMIT/ROLLBACK ALTER flag: the START ALTER's sequence
    /// number.
    pub start_alter_seq_no: Option<u64>,
    /// The status bytes from the first code this crate does not know; empty when all were read.
    pub unparsed: &'a [u8],
}

/// Parses a QUERY_EVENT (or QUERY_COMPRESSED_EVENT with `compressed`) body.
pub(crate) fn parse_query(
    body: &[u8],
    post_header_len: u8,
    compressed: bool,
    max_decompressed: usize,
) -> Result<Query<'_>, Error> {
    let (query, _) = parse_query_with_extra(body, post_header_len, compressed, max_decompressed)?;
    Ok(query)
}

/// Parses an EXECUTE_LOAD_QUERY_EVENT body.
pub(crate) fn parse_execute_load_query(
    body: &[u8],
    post_header_len: u8,
) -> Result<ExecuteLoadQuery<'_>, Error> {
    if usize::from(post_header_len) < EXECUTE_LOAD_QUERY_HEADER_LEN {
        return Err(Error::Malformed {
            what: "EXECUTE_LOAD_QUERY post-header length",
            offset: 0,
        });
    }
    let (query, extra) = parse_query_with_extra(body, post_header_len, false, 0)?;
    let (_, (file_id, file_name_start, file_name_end, dup_handling)) = parse_all(
        "EXECUTE_LOAD_QUERY post-header",
        extra,
        (le_u32, le_u32, le_u32, le_u8),
    )?;
    Ok(ExecuteLoadQuery {
        query,
        file_id,
        file_name_start,
        file_name_end,
        dup_handling,
    })
}

/// Parses the common QUERY layout; also returns the post-header bytes after the standard
/// 13 (EXECUTE_LOAD_QUERY's extension).
fn parse_query_with_extra(
    body: &[u8],
    post_header_len: u8,
    compressed: bool,
    max_decompressed: usize,
) -> Result<(Query<'_>, &[u8]), Error> {
    let what = "QUERY_EVENT";
    let post_header_len = usize::from(post_header_len);
    if post_header_len < QUERY_HEADER_MINIMAL_LEN {
        return Err(Error::Malformed {
            what: "QUERY_EVENT post-header length",
            offset: 0,
        });
    }
    let (post_header, rest) = body.split_at_checked(post_header_len).ok_or(Error::Malformed {
        what,
        offset: body.len(),
    })?;
    let (after, (thread_id, exec_time, schema_len, error_code)) =
        parse_all(what, post_header, (le_u32, le_u32, le_u8, le_u16))?;
    let (extra, status_len) = if post_header_len > QUERY_HEADER_MINIMAL_LEN {
        let (extra, len) = parse_all(what, after, le_u16)?;
        (extra, usize::from(len))
    } else {
        (after, 0)
    };
    // A status length beyond the body is the usual sign of a corrupt event (MySQL checks the
    // same, "Invalid status vars length in Query event").
    let (status_raw, rest) = rest.split_at_checked(status_len).ok_or(Error::Malformed {
        what: "QUERY_EVENT status variables length",
        offset: 11,
    })?;
    let status = parse_status_vars(status_raw).map_err(|e| shift(e, post_header_len))?;
    let schema_at = post_header_len.saturating_add(status_len);
    let (rest, schema) =
        take(usize::from(schema_len))(rest).map_err(|_: nom::Err<nom::error::Error<&[u8]>>| {
            Error::Malformed {
                what: "QUERY_EVENT schema name",
                offset: schema_at,
            }
        })?;
    let (sql, nul) = match rest.split_first() {
        Some((&0, sql)) => (sql, true),
        _ => (rest, false),
    };
    if !nul {
        return Err(Error::Malformed {
            what: "QUERY_EVENT schema name terminator",
            offset: schema_at.saturating_add(usize::from(schema_len)),
        });
    }
    let sql = if compressed {
        Cow::Owned(uncompress_mariadb(sql, max_decompressed)?)
    } else {
        Cow::Borrowed(sql)
    };
    Ok((
        Query {
            thread_id,
            exec_time,
            error_code,
            status,
            schema,
            sql,
        },
        extra,
    ))
}

/// Adds `by` to the offset of a [`Error::Malformed`].
fn shift(err: Error, by: usize) -> Error {
    match err {
        Error::Malformed { what, offset } => Error::Malformed {
            what,
            offset: offset.saturating_add(by),
        },
        other => other,
    }
}

/// One length-prefixed (u8) string.
fn short_string(input: &[u8]) -> PResult<'_, &[u8]> {
    let (rest, len) = le_u8(input)?;
    take(usize::from(len))(rest)
}

/// Parses the status-variable block; offsets in errors are relative to the block.
fn parse_status_vars(raw: &[u8]) -> Result<StatusVars<'_>, Error> {
    let mut vars = StatusVars {
        raw,
        ..StatusVars::default()
    };
    let mut input = raw;
    let what = "QUERY_EVENT status variable";
    let err = |rest: &[u8]| Error::Malformed {
        what,
        offset: raw.len().saturating_sub(rest.len()),
    };
    while let Some((&code, rest)) = input.split_first() {
        let parsed: PResult<'_, ()> = match code {
            0 => le_u32.map(|v| vars.flags2 = Some(v)).parse(rest),
            1 => le_u64.map(|v| vars.sql_mode = Some(v)).parse(rest),
            2 => (short_string, le_u8)
                .map(|(c, _nul)| vars.catalog = Some(c))
                .parse(rest),
            3 => (le_u16, le_u16)
                .map(|(increment, offset)| vars.auto_increment = Some(AutoIncrement { increment, offset }))
                .parse(rest),
            4 => (le_u16, le_u16, le_u16)
                .map(|(client, connection, server)| {
                    vars.charset = Some(QueryCharset {
                        client,
                        connection,
                        server,
                    })
                })
                .parse(rest),
            5 => short_string.map(|s| vars.time_zone = Some(s)).parse(rest),
            6 => short_string.map(|s| vars.catalog = Some(s)).parse(rest),
            7 => le_u16.map(|v| vars.lc_time_names = Some(v)).parse(rest),
            8 => le_u16.map(|v| vars.charset_database = Some(v)).parse(rest),
            9 => le_u64.map(|v| vars.table_map_for_update = Some(v)).parse(rest),
            10 => le_u32.map(|v| vars.master_data_written = Some(v)).parse(rest),
            11 => (short_string, short_string)
                .map(|(user, host)| vars.invoker = Some(Invoker { user, host }))
                .parse(rest),
            12 => updated_db_names
                .map(|n| vars.updated_db_names = Some(n))
                .parse(rest),
            13 => le_u24.map(|v| vars.microseconds = Some(v)).parse(rest),
            16 => le_u8
                .map(|v| vars.explicit_defaults_for_timestamp = Some(v != 0))
                .parse(rest),
            17 => le_u64.map(|v| vars.ddl_xid = Some(v)).parse(rest),
            18 => le_u16
                .map(|v| vars.default_collation_for_utf8mb4 = Some(v))
                .parse(rest),
            19 => le_u8.map(|v| vars.sql_require_primary_key = Some(v)).parse(rest),
            20 => le_u8.map(|v| vars.default_table_encryption = Some(v)).parse(rest),
            128 => le_u24.map(|v| vars.hrnow = Some(v)).parse(rest),
            129 => le_u64.map(|v| vars.xid = Some(v)).parse(rest),
            130 => gtid_flags3(rest).map(|(r, (flags, seq))| {
                vars.gtid_flags3 = Some(flags);
                vars.start_alter_seq_no = seq;
                (r, ())
            }),
            // Unknown (including MySQL's never-written Q_COMMIT_TS 14/15): stop here, as
            // MySQL and MariaDB do ("you must write status vars in growing order of code").
            _ => {
                vars.unparsed = input;
                return Ok(vars);
            }
        };
        input = parsed.map_err(|_| err(input))?.0;
    }
    Ok(vars)
}

/// `Q_UPDATED_DB_NAMES`: a count, then that many NUL-terminated names (none when the count
/// says "too many").
fn updated_db_names(input: &[u8]) -> PResult<'_, UpdatedDbNames<'_>> {
    let (mut rest, count) = le_u8(input)?;
    let start = rest;
    if count == 0 {
        // MySQL: "Invalid MTS accessed databases".
        return Err(nom::Err::Error(nom::error::Error::new(
            input,
            nom::error::ErrorKind::Verify,
        )));
    }
    if count <= MAX_DBS_IN_EVENT_MTS {
        for _ in 0..count {
            rest = nul_terminated(rest)?.0;
        }
    }
    let used = start.len().saturating_sub(rest.len());
    Ok((
        rest,
        UpdatedDbNames {
            count,
            names: start.get(..used).unwrap_or_default(),
        },
    ))
}

/// MariaDB `Q_GTID_FLAGS3`: flags, then the START ALTER sequence number when the flags say
/// COMMIT ALTER (4) or ROLLBACK ALTER (8).
fn gtid_flags3(input: &[u8]) -> PResult<'_, (u8, Option<u64>)> {
    let (rest, flags) = le_u8(input)?;
    if flags & (0x04 | 0x08) != 0 {
        let (rest, seq) = le_u64(rest)?;
        Ok((rest, (flags, Some(seq))))
    } else {
        Ok((rest, (flags, None)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query_body(status: &[u8], schema: &[u8], sql: &[u8]) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(&77u32.to_le_bytes());
        body.extend_from_slice(&2u32.to_le_bytes());
        body.push(schema.len() as u8);
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&(status.len() as u16).to_le_bytes());
        body.extend_from_slice(status);
        body.extend_from_slice(schema);
        body.push(0);
        body.extend_from_slice(sql);
        body
    }

    #[test]
    fn status_vars_of_every_known_code() {
        let mut status = vec![0, 1, 0, 0, 0]; // flags2 = 1
        status.extend_from_slice(&[1, 1, 0, 0, 0, 0, 0, 0, 0]); // sql_mode = 1
        status.extend_from_slice(&[2, 3, b's', b't', b'd', 0]); // old catalog
        status.extend_from_slice(&[3, 2, 0, 1, 0]); // auto_increment 2/1
        status.extend_from_slice(&[4, 33, 0, 45, 0, 8, 0]); // charset 33/45/8
        status.extend_from_slice(&[5, 6, b'+', b'0', b'1', b':', b'0', b'0']);
        status.extend_from_slice(&[7, 1, 0]);
        status.extend_from_slice(&[8, 255, 0]);
        status.extend_from_slice(&[9, 3, 0, 0, 0, 0, 0, 0, 0]);
        status.extend_from_slice(&[10, 100, 0, 0, 0]);
        status.extend_from_slice(&[11, 4, b'r', b'o', b'o', b't', 9]);
        status.extend_from_slice(b"localhost");
        status.extend_from_slice(&[12, 2, b'a', 0, b'b', b'c', 0]);
        status.extend_from_slice(&[13, 0x40, 0x42, 0x0f]);
        status.extend_from_slice(&[16, 1]);
        status.extend_from_slice(&[17, 9, 0, 0, 0, 0, 0, 0, 0]);
        status.extend_from_slice(&[18, 255, 0]);
        status.extend_from_slice(&[19, 1]);
        status.extend_from_slice(&[20, 0]);
        status.extend_from_slice(&[128, 1, 2, 3]);
        status.extend_from_slice(&[129, 5, 0, 0, 0, 0, 0, 0, 0]);
        status.extend_from_slice(&[130, 4, 7, 0, 0, 0, 0, 0, 0, 0]);
        status.extend_from_slice(&[200, 1, 2]);
        let body = query_body(&status, b"db", b"SELECT 1");
        let q = parse_query(&body, 13, false, 0).unwrap();
        let s = &q.status;
        assert_eq!(
            (q.thread_id, q.exec_time, q.schema, &*q.sql),
            (77, 2, &b"db"[..], &b"SELECT 1"[..])
        );
        assert_eq!(
            (s.flags2, s.sql_mode, s.catalog),
            (Some(1), Some(1), Some(&b"std"[..]))
        );
        assert_eq!(
            s.auto_increment,
            Some(AutoIncrement {
                increment: 2,
                offset: 1
            })
        );
        assert_eq!(
            s.charset,
            Some(QueryCharset {
                client: 33,
                connection: 45,
                server: 8
            })
        );
        assert_eq!(s.time_zone, Some(&b"+01:00"[..]));
        assert_eq!((s.lc_time_names, s.charset_database), (Some(1), Some(255)));
        assert_eq!(
            (s.table_map_for_update, s.master_data_written),
            (Some(3), Some(100))
        );
        let invoker = s.invoker.unwrap();
        assert_eq!((invoker.user, invoker.host), (&b"root"[..], &b"localhost"[..]));
        let names: Vec<_> = s.updated_db_names.unwrap().iter().collect();
        assert_eq!(names, vec![&b"a"[..], &b"bc"[..]]);
        assert_eq!(s.microseconds, Some(1_000_000));
        assert_eq!(
            (s.explicit_defaults_for_timestamp, s.ddl_xid),
            (Some(true), Some(9))
        );
        assert_eq!(
            (
                s.default_collation_for_utf8mb4,
                s.sql_require_primary_key,
                s.default_table_encryption
            ),
            (Some(255), Some(1), Some(0))
        );
        assert_eq!((s.hrnow, s.xid), (Some(0x030201), Some(5)));
        assert_eq!((s.gtid_flags3, s.start_alter_seq_no), (Some(4), Some(7)));
        assert_eq!(s.unparsed, &[200, 1, 2]);
    }

    #[test]
    fn too_many_updated_dbs_carry_no_names() {
        let body = query_body(&[12, 254], b"", b"DROP DATABASE x");
        let q = parse_query(&body, 13, false, 0).unwrap();
        let names = q.status.updated_db_names.unwrap();
        assert!(names.is_over_max());
        assert_eq!(names.iter().count(), 0);
    }

    #[test]
    fn corrupt_lengths_are_errors() {
        // Status length beyond the body (the corrupt-relay-bin.000624 case).
        let mut body = query_body(&[], b"db", b"x");
        body[11] = 0x45;
        body[12] = 0x43;
        assert!(parse_query(&body, 13, false, 0).is_err());
        // Schema not followed by NUL.
        let mut body = query_body(&[], b"db", b"x");
        let at = body.len() - 2;
        body[at] = b'!';
        assert!(parse_query(&body, 13, false, 0).is_err());
        // A status variable cut short.
        let body = query_body(&[0, 1, 2], b"", b"x");
        assert!(parse_query(&body, 13, false, 0).is_err());
        for cut in 0..query_body(&[0, 1, 2, 3, 4], b"db", b"x").len() {
            let body = query_body(&[0, 1, 2, 3, 4], b"db", b"x");
            let _ = parse_query(&body[..cut], 13, false, 0);
        }
    }
}
