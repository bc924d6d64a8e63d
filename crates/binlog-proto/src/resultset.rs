//! Text result sets (the answer to COM_QUERY): column count, column definitions, an EOF
//! unless `CLIENT_DEPRECATE_EOF`, rows of length-encoded strings (0xfb for NULL), then EOF or
//! an OK packet with the 0xfe header.
//!
//! See the MySQL source documentation, "Text Resultset" and "Column Definition"
//! (`sql/protocol_classic.cc`, `Protocol_classic::send_field_metadata`).

use bytes::Bytes;
use nom::Parser;
use nom::bytes::complete::take;
use nom::number::complete::{le_u8, le_u16, le_u32};

use crate::capabilities::Capabilities;
use crate::codec::{lenenc_bytes, lenenc_int, parse_all};
use crate::error::{Error, Result};
use crate::limits::MAX_COLUMNS;
use crate::response::{self, OkPacket};
use crate::value::ColumnType;

/// Marker of a NULL value in a text row.
const NULL_MARKER: u8 = 0xfb;
/// First byte of a LOCAL INFILE request, which this crate never asks for.
const LOCAL_INFILE: u8 = 0xfb;

/// One column's definition (Protocol::ColumnDefinition41).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Database of the column's table (empty for expressions).
    pub schema: String,
    /// Table alias.
    pub table: String,
    /// Table name.
    pub org_table: String,
    /// Column alias (the name to look values up by).
    pub name: String,
    /// Column name.
    pub org_name: String,
    /// Collation id of the values.
    pub charset: u16,
    /// Maximum display length.
    pub length: u32,
    /// Column type.
    pub column_type: ColumnType,
    /// Column flags (`NOT_NULL_FLAG`, ...).
    pub flags: u16,
    /// Decimals.
    pub decimals: u8,
}

/// A row of a text result set: each value is the server's text form, `None` for NULL. The
/// values share the packet's buffer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TextRow(pub Vec<Option<Bytes>>);

impl TextRow {
    /// Value `index` as bytes; `None` for NULL or past the end.
    pub fn get(&self, index: usize) -> Option<&[u8]> {
        self.0.get(index).and_then(|v| v.as_deref())
    }

    /// Value `index` as text (invalid UTF-8 replaced); `None` for NULL or past the end.
    pub fn get_str(&self, index: usize) -> Option<std::borrow::Cow<'_, str>> {
        self.get(index).map(String::from_utf8_lossy)
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True for a row without values.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A complete text result set.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResultSet {
    /// Column definitions.
    pub columns: Vec<Column>,
    /// Rows, in the server's order.
    pub rows: Vec<TextRow>,
    /// Status flags of the closing EOF / OK packet.
    pub status: u16,
    /// Warnings of the closing EOF / OK packet.
    pub warnings: u16,
}

impl ResultSet {
    /// Index of the column named `name` (ASCII case-insensitive, as MySQL compares names).
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// The value of column `name` in row `row`, as text; `None` for NULL or a missing column or
    /// row.
    pub fn value(&self, row: usize, name: &str) -> Option<std::borrow::Cow<'_, str>> {
        let column = self.column_index(name)?;
        self.rows.get(row)?.get_str(column)
    }
}

/// What a COM_QUERY produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryResult {
    /// A statement without a result set (SET, INSERT, ...).
    Ok(OkPacket),
    /// A result set.
    Rows(ResultSet),
}

impl QueryResult {
    /// The result set; an OK result is an empty set.
    pub fn into_result_set(self) -> ResultSet {
        match self {
            QueryResult::Rows(set) => set,
            QueryResult::Ok(ok) => ResultSet {
                status: ok.status,
                warnings: ok.warnings,
                ..ResultSet::default()
            },
        }
    }
}

/// Parses a column definition packet.
pub fn parse_column_definition(payload: &[u8]) -> Result<Column> {
    let limit = payload.len();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let (_, column) = parse_all("column definition", payload, |input| {
        let (input, (_catalog, schema, table, org_table, name, org_name)) = (
            |i| lenenc_bytes(i, limit),
            |i| lenenc_bytes(i, limit),
            |i| lenenc_bytes(i, limit),
            |i| lenenc_bytes(i, limit),
            |i| lenenc_bytes(i, limit),
            |i| lenenc_bytes(i, limit),
        )
            .parse(input)?;
        let (input, (_fixed_len, charset, length, column_type, flags, decimals, _filler)) =
            (lenenc_int, le_u16, le_u32, le_u8, le_u16, le_u8, take(2usize)).parse(input)?;
        Ok((
            input,
            Column {
                schema: text(schema),
                table: text(table),
                org_table: text(org_table),
                name: text(name),
                org_name: text(org_name),
                charset,
                length,
                column_type: ColumnType(column_type),
                flags,
                decimals,
            },
        ))
    })?;
    Ok(column)
}

/// Parses a text row of `columns` values; the values are slices of `payload`.
pub fn parse_text_row(payload: &Bytes, columns: usize) -> Result<TextRow> {
    let mut values = Vec::with_capacity(columns.min(MAX_COLUMNS));
    let mut at = 0usize;
    for _ in 0..columns {
        let rest = payload.get(at..).unwrap_or_default();
        if rest.first() == Some(&NULL_MARKER) {
            values.push(None);
            at = at.saturating_add(1);
            continue;
        }
        let (after, value) =
            parse_all("text row", rest, |i| lenenc_bytes(i, i.len())).map_err(|e| match e {
                Error::Malformed { what, offset } => Error::Malformed {
                    what,
                    offset: offset.saturating_add(at),
                },
                other => other,
            })?;
        let start = at.saturating_add(rest.len().saturating_sub(after.len()).saturating_sub(value.len()));
        let end = start.saturating_add(value.len());
        values.push(Some(payload.slice(start..end)));
        at = end;
    }
    if at != payload.len() {
        return Err(Error::Malformed {
            what: "text row (trailing bytes)",
            offset: at,
        });
    }
    Ok(TextRow(values))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    ColumnCount,
    Columns,
    ColumnsEof,
    Rows,
}

/// Collects the packets answering a COM_QUERY into a [`QueryResult`].
#[derive(Debug)]
pub(crate) struct ResultSetReader {
    capabilities: Capabilities,
    phase: Phase,
    expected_columns: usize,
    set: ResultSet,
    bytes: usize,
    limit: usize,
}

impl ResultSetReader {
    /// A reader for a result set of at most `limit` bytes of packets.
    pub(crate) fn new(capabilities: Capabilities, limit: usize) -> Self {
        ResultSetReader {
            capabilities,
            phase: Phase::ColumnCount,
            expected_columns: 0,
            set: ResultSet::default(),
            bytes: 0,
            limit,
        }
    }

    fn deprecate_eof(&self) -> bool {
        self.capabilities.contains(Capabilities::DEPRECATE_EOF)
    }

    /// The state name used in errors.
    pub(crate) fn state(&self) -> &'static str {
        match self.phase {
            Phase::ColumnCount => "query response",
            Phase::Columns => "column definitions",
            Phase::ColumnsEof => "end of column definitions",
            Phase::Rows => "result rows",
        }
    }

    /// Feeds one packet; returns the result once complete. An ERR packet is returned as
    /// [`Error::Server`] and ends the result.
    pub(crate) fn on_packet(&mut self, payload: Bytes) -> Result<Option<QueryResult>> {
        if response::is_err(&payload) {
            return Err(Error::Server(response::parse_err(&payload)?));
        }
        self.bytes = self.bytes.saturating_add(payload.len());
        if self.bytes > self.limit {
            return Err(Error::TooLarge {
                what: "result set",
                declared: self.bytes as u64,
                limit: self.limit as u64,
            });
        }
        let first = payload.first().copied();
        match self.phase {
            Phase::ColumnCount => match first {
                Some(response::OK_HEADER) => Ok(Some(QueryResult::Ok(response::parse_ok(
                    &payload,
                    self.capabilities,
                )?))),
                Some(LOCAL_INFILE) => Err(Error::Unsupported(
                    "LOCAL INFILE request from the server (never asked for)".into(),
                )),
                _ => {
                    let (_, count) = parse_all("column count", &payload, lenenc_int)?;
                    let count = usize::try_from(count)
                        .ok()
                        .filter(|&c| c > 0 && c <= MAX_COLUMNS)
                        .ok_or(Error::TooLarge {
                            what: "column count",
                            declared: count,
                            limit: MAX_COLUMNS as u64,
                        })?;
                    self.expected_columns = count;
                    self.set.columns.reserve(count);
                    self.phase = Phase::Columns;
                    Ok(None)
                }
            },
            Phase::Columns => {
                self.set.columns.push(parse_column_definition(&payload)?);
                if self.set.columns.len() == self.expected_columns {
                    self.phase = if self.deprecate_eof() {
                        Phase::Rows
                    } else {
                        Phase::ColumnsEof
                    };
                }
                Ok(None)
            }
            Phase::ColumnsEof => {
                if !response::is_eof(&payload) {
                    return Err(self.unexpected(first));
                }
                self.phase = Phase::Rows;
                Ok(None)
            }
            Phase::Rows => {
                let end = if self.deprecate_eof() {
                    response::is_result_set_end_ok(&payload)
                } else {
                    response::is_eof(&payload)
                };
                if end {
                    if self.deprecate_eof() {
                        let ok = response::parse_ok(&payload, self.capabilities)?;
                        (self.set.status, self.set.warnings) = (ok.status, ok.warnings);
                    } else {
                        let eof = response::parse_eof(&payload)?;
                        (self.set.status, self.set.warnings) = (eof.status, eof.warnings);
                    }
                    return Ok(Some(QueryResult::Rows(std::mem::take(&mut self.set))));
                }
                let row = parse_text_row(&payload, self.expected_columns)?;
                self.set.rows.push(row);
                Ok(None)
            }
        }
    }

    fn unexpected(&self, first: Option<u8>) -> Error {
        Error::UnexpectedPacket {
            state: self.state(),
            first_byte: first.unwrap_or(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::put_lenenc_bytes;

    pub(crate) fn column_packet(name: &str, column_type: u8) -> Vec<u8> {
        let mut p = Vec::new();
        for s in ["def", "", "", "", name, name] {
            put_lenenc_bytes(&mut p, s.as_bytes());
        }
        p.push(0x0c);
        p.extend_from_slice(&45u16.to_le_bytes());
        p.extend_from_slice(&1024u32.to_le_bytes());
        p.push(column_type);
        p.extend_from_slice(&0u16.to_le_bytes());
        p.push(0);
        p.extend_from_slice(&[0, 0]);
        p
    }

    fn row_packet(values: &[Option<&str>]) -> Vec<u8> {
        let mut p = Vec::new();
        for v in values {
            match v {
                Some(s) => put_lenenc_bytes(&mut p, s.as_bytes()),
                None => p.push(0xfb),
            }
        }
        p
    }

    fn run(caps: Capabilities, packets: Vec<Vec<u8>>) -> Result<Option<QueryResult>> {
        let mut reader = ResultSetReader::new(caps, 1 << 20);
        let mut last = None;
        for p in packets {
            last = reader.on_packet(Bytes::from(p))?;
        }
        Ok(last)
    }

    #[test]
    fn reads_a_result_set_with_eof_packets_and_nulls() {
        let packets = vec![
            vec![2],
            column_packet("Log_name", 253),
            column_packet("File_size", 8),
            b"\xfe\x00\x00\x02\x00".to_vec(),
            row_packet(&[Some("mysql-bin.000001"), Some("1234")]),
            row_packet(&[Some("mysql-bin.000002"), None]),
            b"\xfe\x00\x00\x02\x00".to_vec(),
        ];
        let QueryResult::Rows(set) = run(Capabilities::PROTOCOL_41, packets).unwrap().unwrap() else {
            panic!("expected rows");
        };
        assert_eq!(set.columns[1].name, "File_size");
        assert_eq!(set.columns[1].column_type, ColumnType::LONGLONG);
        assert_eq!(set.value(0, "log_name").as_deref(), Some("mysql-bin.000001"));
        assert_eq!(set.value(0, "File_size").as_deref(), Some("1234"));
        assert_eq!(set.value(1, "File_size"), None);
        assert_eq!(set.rows.len(), 2);
    }

    #[test]
    fn reads_a_result_set_with_deprecate_eof() {
        let caps = Capabilities::PROTOCOL_41 | Capabilities::DEPRECATE_EOF;
        let packets = vec![
            vec![1],
            column_packet("@@log_bin", 8),
            row_packet(&[Some("1")]),
            b"\xfe\x00\x00\x02\x00\x00\x00".to_vec(),
        ];
        let result = run(caps, packets).unwrap().unwrap().into_result_set();
        assert_eq!(result.value(0, "@@log_bin").as_deref(), Some("1"));
    }

    #[test]
    fn ok_and_err_answers() {
        assert!(matches!(
            run(
                Capabilities::PROTOCOL_41,
                vec![b"\x00\x00\x00\x02\x00\x00\x00".to_vec()]
            ),
            Ok(Some(QueryResult::Ok(_)))
        ));
        let err = run(
            Capabilities::PROTOCOL_41,
            vec![b"\xff\xa9\x04#HY000Unknown system variable 'x'".to_vec()],
        )
        .unwrap_err();
        assert!(matches!(err, Error::Server(ref e) if e.code == 1193));
    }

    #[test]
    fn malformed_rows_and_counts_are_errors() {
        let caps = Capabilities::PROTOCOL_41;
        // Row with a value running past the packet.
        let err = run(
            caps,
            vec![
                vec![1],
                column_packet("a", 253),
                b"\xfe\x00\x00\x02\x00".to_vec(),
                vec![5, b'a'],
            ],
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                Error::Malformed {
                    what: "text row",
                    offset: 0
                }
            ),
            "{err}"
        );
        // Trailing garbage after the last value.
        let err = run(
            caps,
            vec![
                vec![1],
                column_packet("a", 253),
                b"\xfe\x00\x00\x02\x00".to_vec(),
                vec![1, b'a', 9],
            ],
        )
        .unwrap_err();
        assert!(matches!(err, Error::Malformed { offset: 2, .. }), "{err}");
        // Too many columns.
        let err = run(caps, vec![b"\xfc\x01\x20".to_vec()]).unwrap_err();
        assert!(matches!(
            err,
            Error::TooLarge {
                what: "column count",
                declared: 0x2001,
                ..
            }
        ));
        // A non-EOF where the EOF after the columns belongs.
        let err = run(caps, vec![vec![1], column_packet("a", 253), vec![1, b'x']]).unwrap_err();
        assert!(matches!(
            err,
            Error::UnexpectedPacket {
                state: "end of column definitions",
                first_byte: 1
            }
        ));
        // Every truncation of a column definition is malformed, not a panic.
        let col = column_packet("name", 253);
        for cut in 0..col.len() {
            assert!(parse_column_definition(&col[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn result_set_size_is_limited() {
        let mut reader = ResultSetReader::new(Capabilities::PROTOCOL_41, 10);
        reader.on_packet(Bytes::from_static(&[1])).unwrap();
        let err = reader
            .on_packet(Bytes::from(column_packet("abc", 253)))
            .unwrap_err();
        assert!(matches!(
            err,
            Error::TooLarge {
                what: "result set",
                limit: 10,
                ..
            }
        ));
    }

    #[test]
    fn row_values_share_the_packet_buffer() {
        let payload = Bytes::from(row_packet(&[Some("abc"), None, Some("")]));
        let row = parse_text_row(&payload, 3).unwrap();
        assert_eq!(row.get(0), Some(&b"abc"[..]));
        assert_eq!(row.0[0].as_ref().unwrap().as_ptr(), payload[1..].as_ptr());
        assert_eq!(row.get(1), None);
        assert_eq!(row.get(2), Some(&b""[..]));
    }
}
