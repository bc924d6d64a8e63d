//! FORMAT_DESCRIPTION_EVENT: how the rest of a binlog is laid out, and its checksums.
//!
//! Body (MySQL `Format_description_event`, libbinlogevents control_events.cpp): binlog
//! version u16, server version char[50] (NUL-padded), create timestamp u32, common header
//! length u8, one post-header length per event type, then — only when the server version can
//! write checksums (MySQL >= 5.6.1, MariaDB >= 5.3) — the checksum algorithm u8 and a 4-byte
//! checksum (present even when the algorithm is OFF). The number of post-header lengths is
//! whatever is left, so it grows with the server's list of event types.

use nom::bytes::complete::take;
use nom::number::complete::{le_u8, le_u16, le_u32};

use crate::codec::parse_all;
use crate::error::Error;
use crate::event::EventType;
use crate::event::header::EVENT_HEADER_LEN;

/// Length of the fixed part of the body: version, server version, timestamp, header length.
const FIXED_LEN: usize = 2 + SERVER_VERSION_LEN + 4 + 1;
/// Width of the server version field (`ST_SERVER_VER_LEN`).
const SERVER_VERSION_LEN: usize = 50;
/// Checksum algorithm byte plus the CRC32 (or its room).
const CHECKSUM_FOOTER_LEN: usize = 5;

/// The checksum algorithm a binlog uses, as an open code (`enum_binlog_checksum_alg`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChecksumAlgorithm(pub u8);

impl ChecksumAlgorithm {
    /// No checksums (`binlog_checksum=NONE`).
    pub const OFF: ChecksumAlgorithm = ChecksumAlgorithm(0);
    /// A CRC32 (ISO-HDLC, as zlib's `crc32`) trails every event.
    pub const CRC32: ChecksumAlgorithm = ChecksumAlgorithm(1);
    /// "Not known": written by servers that replicate from a source that did not say.
    pub const UNDEFINED: ChecksumAlgorithm = ChecksumAlgorithm(255);
}

/// Which server family wrote the binlog, judged from the FORMAT_DESCRIPTION version string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServerFlavor {
    /// MySQL (and forks that keep its numbering, such as Percona Server).
    MySql,
    /// MariaDB (the version string contains "MariaDB").
    MariaDb,
}

/// A decoded FORMAT_DESCRIPTION_EVENT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatDescription {
    /// Binlog format version; 4 for every server since MySQL 5.0.
    pub binlog_version: u16,
    /// The server version string, e.g. `8.0.32` or `10.11.6-MariaDB-log`.
    pub server_version: String,
    /// When the server started, for the first binlog it wrote after starting; 0 otherwise.
    pub create_timestamp: u32,
    /// Length of every event's common header (19 for binlog v4).
    pub header_len: u8,
    /// The checksum algorithm, or `None` when the server predates checksums.
    pub checksum: Option<ChecksumAlgorithm>,
    post_header_lengths: Vec<u8>,
    version: (u8, u8, u8),
    flavor: ServerFlavor,
    /// Codes 16-22 had other meanings in the mysql-5.1-wl2325 "drop" builds.
    permuted: bool,
}

impl FormatDescription {
    /// The layout assumed before any FORMAT_DESCRIPTION has been seen (the first ROTATE of a
    /// dump precedes it): binlog v4 with MySQL 8 / MariaDB post-header lengths, no checksum.
    pub fn assumed_v4() -> Self {
        FormatDescription {
            binlog_version: 4,
            server_version: String::new(),
            create_timestamp: 0,
            header_len: EVENT_HEADER_LEN as u8,
            checksum: None,
            post_header_lengths: Vec::new(),
            version: (0, 0, 0),
            flavor: ServerFlavor::MySql,
            permuted: false,
        }
    }

    /// Parses the body of a FORMAT_DESCRIPTION_EVENT: everything after the common header,
    /// including the algorithm byte and checksum trailer when the server version has them.
    /// (The [`crate::event::Decoder`] also verifies that checksum.)
    pub fn parse(body: &[u8]) -> Result<Self, Error> {
        let bad = |offset| Error::Malformed {
            what: "FORMAT_DESCRIPTION_EVENT",
            offset,
        };
        let (rest, (binlog_version, version_field, create_timestamp, header_len)) = parse_all(
            "FORMAT_DESCRIPTION_EVENT",
            body,
            (le_u16, take(SERVER_VERSION_LEN), le_u32, le_u8),
        )?;
        let version_len = version_field
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(version_field.len());
        let server_version =
            String::from_utf8_lossy(version_field.get(..version_len).unwrap_or_default()).into_owned();
        if usize::from(header_len) < EVENT_HEADER_LEN {
            return Err(bad(FIXED_LEN - 1));
        }
        let (version, flavor) = split_version(&server_version);
        let has_checksum = match flavor {
            ServerFlavor::MySql => version >= (5, 6, 1),
            ServerFlavor::MariaDb => version >= (5, 3, 0),
        };
        let (lengths, checksum) = if has_checksum {
            let split = rest
                .len()
                .checked_sub(CHECKSUM_FOOTER_LEN)
                .ok_or(bad(FIXED_LEN.saturating_add(rest.len())))?;
            let (lengths, footer) = rest.split_at(split);
            let alg = footer.first().copied().unwrap_or(0);
            (lengths, Some(ChecksumAlgorithm(alg)))
        } else {
            (rest, None)
        };
        let mut description = FormatDescription {
            binlog_version,
            server_version,
            create_timestamp,
            header_len,
            checksum,
            post_header_lengths: lengths.to_vec(),
            version,
            flavor,
            permuted: false,
        };
        if is_wl2325_drop_build(&description.server_version) {
            // MySQL/MariaDB sql/log_event.cc, Format_description_log_event constructor: these
            // pre-GA 5.1/5.2 builds numbered 16-22 differently and always listed 22 types.
            if description.post_header_lengths.len() != 22 {
                return Err(bad(FIXED_LEN));
            }
            let mut permuted = vec![0u8; 22];
            for (raw, &len) in description.post_header_lengths.iter().enumerate() {
                let real = usize::from(permute(raw.saturating_add(1) as u8).0);
                if let Some(slot) = permuted.get_mut(real.saturating_sub(1)) {
                    *slot = len;
                }
            }
            description.post_header_lengths = permuted;
            description.permuted = true;
        }
        Ok(description)
    }

    /// The post-header length the server declared for `event_type`, or the usual v4 value
    /// when the description does not list that type.
    pub fn post_header_len(&self, event_type: EventType) -> u8 {
        usize::from(event_type.0)
            .checked_sub(1)
            .and_then(|i| self.post_header_lengths.get(i))
            .copied()
            .unwrap_or_else(|| default_post_header_len(event_type))
    }

    /// The declared post-header lengths, indexed by event type code minus one.
    pub fn post_header_lengths(&self) -> &[u8] {
        &self.post_header_lengths
    }

    /// The leading `major.minor.patch` of the server version (missing parts are 0).
    pub fn version(&self) -> (u8, u8, u8) {
        self.version
    }

    /// Which server family wrote the binlog.
    pub fn flavor(&self) -> ServerFlavor {
        self.flavor
    }

    /// True when events after this description end with a CRC32.
    pub fn checksum_enabled(&self) -> bool {
        self.checksum == Some(ChecksumAlgorithm::CRC32)
    }

    /// Translates a type code as written by this server into the code used today (differs
    /// only for the mysql-5.1-wl2325 "drop" builds).
    pub(crate) fn translate(&self, raw: EventType) -> EventType {
        if self.permuted { permute(raw.0) } else { raw }
    }
}

/// `perm[]` of sql/log_event.cc for the wl2325 builds: codes 16-22 meant TABLE_MAP, the three
/// pre-GA row events, XID, BEGIN_LOAD_QUERY and EXECUTE_LOAD_QUERY.
fn permute(raw: u8) -> EventType {
    match raw {
        16 => EventType::TABLE_MAP_EVENT,
        17 => EventType::PRE_GA_WRITE_ROWS_EVENT,
        18 => EventType::PRE_GA_UPDATE_ROWS_EVENT,
        19 => EventType::PRE_GA_DELETE_ROWS_EVENT,
        20 => EventType::XID_EVENT,
        21 => EventType::BEGIN_LOAD_QUERY_EVENT,
        22 => EventType::EXECUTE_LOAD_QUERY_EVENT,
        other => EventType(other),
    }
}

/// The version test of sql/log_event.cc: `5.1.[1-5]-a_drop5…`, `5.1.4-a_drop6…`,
/// `5.2.[0-2]-a_drop6…`.
fn is_wl2325_drop_build(version: &str) -> bool {
    let v = version.as_bytes();
    let at = |i: usize| v.get(i).copied().unwrap_or(0);
    if at(0) != b'5' || at(1) != b'.' || at(3) != b'.' || v.get(5..12) != Some(b"-a_drop") {
        return false;
    }
    (at(2) == b'1' && (b'1'..=b'5').contains(&at(4)) && at(12) == b'5')
        || (at(2) == b'1' && at(4) == b'4' && at(12) == b'6')
        || (at(2) == b'2' && (b'0'..=b'2').contains(&at(4)) && at(12) == b'6')
}

/// `X.Y.Zabc` -> (X, Y, Z) as `do_server_version_split` does (missing parts are 0, numbers
/// above 255 saturate), plus the flavor.
fn split_version(version: &str) -> ((u8, u8, u8), ServerFlavor) {
    let mut parts = [0u8; 3];
    let mut rest = version;
    for part in &mut parts {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (number, tail) = rest.split_at(digits);
        *part = number
            .parse::<u64>()
            .map_or(0, |n| u8::try_from(n).unwrap_or(u8::MAX));
        match tail.strip_prefix('.') {
            Some(next) => rest = next,
            None => break,
        }
    }
    let flavor = if version.contains("MariaDB") {
        ServerFlavor::MariaDb
    } else {
        ServerFlavor::MySql
    };
    ((parts[0], parts[1], parts[2]), flavor)
}

/// Post-header lengths of binlog v4 as MySQL 8/9 and MariaDB 10/11 write them, for types a
/// description does not list (MySQL `server_event_header_length[]`, MariaDB
/// `Format_description_log_event`).
fn default_post_header_len(event_type: EventType) -> u8 {
    match event_type.0 {
        1 => 56,            // START_EVENT_V3
        2 | 165 => 13,      // QUERY, QUERY_COMPRESSED
        4 => 8,             // ROTATE
        6 | 12 => 18,       // LOAD, NEW_LOAD
        8..=11 | 17 => 4,   // CREATE_FILE, APPEND_BLOCK, EXEC_LOAD, DELETE_FILE, BEGIN_LOAD_QUERY
        15 => 98,           // FORMAT_DESCRIPTION
        18 => 26,           // EXECUTE_LOAD_QUERY
        19..=25 => 8,       // TABLE_MAP, pre-GA and v1 rows
        26 => 2,            // INCIDENT
        30..=32 | 39 => 10, // v2 rows, PARTIAL_UPDATE_ROWS
        33 | 34 => 42,      // GTID, ANONYMOUS_GTID
        36 => 18,           // TRANSACTION_CONTEXT
        37 => 52,           // VIEW_CHANGE
        161 | 163 => 4,     // BINLOG_CHECKPOINT, GTID_LIST
        162 => 19,          // MariaDB GTID
        166..=168 => 8,     // MariaDB compressed v1 rows
        169..=171 => 10,    // MariaDB compressed v2 rows
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_split_and_flavor() {
        assert_eq!(
            split_version("5.6.4-m7-debug-log"),
            ((5, 6, 4), ServerFlavor::MySql)
        );
        assert_eq!(
            split_version("10.5.15-MariaDB-1:10.5.15+maria~focal-log"),
            ((10, 5, 15), ServerFlavor::MariaDb)
        );
        assert_eq!(split_version("9.6.0"), ((9, 6, 0), ServerFlavor::MySql));
        assert_eq!(split_version("8"), ((8, 0, 0), ServerFlavor::MySql));
        assert_eq!(split_version(""), ((0, 0, 0), ServerFlavor::MySql));
    }

    #[test]
    fn wl2325_drop_builds_are_recognised() {
        assert!(is_wl2325_drop_build("5.2.2-a_drop6p13-debug-log"));
        assert!(is_wl2325_drop_build("5.1.4-a_drop5p3-log"));
        assert!(!is_wl2325_drop_build("5.1.23-rc-debug-log"));
        assert!(!is_wl2325_drop_build("5.2"));
    }

    #[test]
    fn short_bodies_are_rejected_not_panicking() {
        for len in 0..70 {
            let mut body = vec![4u8, 0];
            body.extend_from_slice(b"8.0.32");
            body.resize(len, 0);
            let _ = FormatDescription::parse(&body);
        }
        assert!(FormatDescription::parse(&[4, 0]).is_err());
    }
}
