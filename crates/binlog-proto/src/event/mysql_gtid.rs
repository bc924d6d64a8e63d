//! MySQL GTID_LOG_EVENT, ANONYMOUS_GTID_LOG_EVENT, GTID_TAGGED_LOG_EVENT and
//! PREVIOUS_GTIDS_LOG_EVENT.
//!
//! GTID and ANONYMOUS_GTID (MySQL `Gtid_event`, libbinlogevents control_events.cpp): flags u8,
//! source UUID [16], GNO i64 (5.6 stops here); then the logical clock: type code u8 (2),
//! last_committed i64, sequence_number i64 (5.7; 42-byte post-header); then, in 8.0, the
//! immediate commit timestamp (7 bytes, bit 55 set when the original timestamp follows) and
//! the original one (7 bytes), the transaction length (length-encoded), the immediate server
//! version (4 bytes, bit 31 set when the original version follows) and the original one,
//! and from 8.0.33 a commit group ticket u64. Each optional part is read only when bytes
//! remain, exactly as the server does.
//!
//! GTID_TAGGED (MySQL 8.4+) carries the same fields, plus the tag, in the
//! `mysql::serialization` format (see [`super::serialization`]).

use nom::number::complete::{le_i64, le_u8, le_u32, le_u64};

use crate::codec::{lenenc_int, parse_all};
use crate::error::Error;
use crate::gtid::{GNO_END, Gtid, GtidSet, MAX_TAG_LENGTH, Tag, Uuid};

use super::serialization::MessageReader;

/// `LOGICAL_TIMESTAMP_TYPECODE`: the logical clock follows.
const LOGICAL_TIMESTAMP_TYPECODE: u8 = 2;
/// Bit 55 of the 7-byte immediate commit timestamp: the original timestamp follows.
const ORIGINAL_TIMESTAMP_FOLLOWS: u64 = 1 << 55;
/// Bit 31 of the immediate server version: the original server version follows.
const ORIGINAL_VERSION_FOLLOWS: u32 = 1 << 31;

/// The group-commit logical clock of a transaction (MySQL 5.7+), used by parallel appliers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogicalClock {
    /// Sequence number of the last transaction this one may not run in parallel with.
    pub last_committed: i64,
    /// This transaction's sequence number within the binlog file.
    pub sequence_number: i64,
}

/// A MySQL GTID, ANONYMOUS_GTID or GTID_TAGGED event: the start of a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GtidEvent {
    /// Flags; bit 0 (`FLAG_MAY_HAVE_SBR`) says the transaction may contain statements.
    pub flags: u8,
    /// The originating server's UUID (all zero for anonymous transactions).
    pub uuid: Uuid,
    /// The tag (MySQL 8.4+ GTID_TAGGED events); untagged otherwise.
    pub tag: Tag,
    /// The transaction number; 0 for anonymous transactions.
    pub gno: u64,
    /// True for ANONYMOUS_GTID_LOG_EVENT (`gtid_mode=OFF`): the transaction has no GTID.
    pub anonymous: bool,
    /// The logical clock (MySQL 5.7+).
    pub logical_clock: Option<LogicalClock>,
    /// Commit time on the server this event came from, in microseconds since the epoch
    /// (MySQL 8.0.1+).
    pub immediate_commit_timestamp: Option<u64>,
    /// Commit time on the server that first ran the transaction (MySQL 8.0.1+).
    pub original_commit_timestamp: Option<u64>,
    /// Size of the whole transaction in the binlog, this event included (MySQL 8.0.2+).
    pub transaction_length: Option<u64>,
    /// Version of the server this event came from, as `major * 10000 + minor * 100 + patch`
    /// (MySQL 8.0.14+).
    pub immediate_server_version: Option<u32>,
    /// Version of the server that first ran the transaction (MySQL 8.0.14+).
    pub original_server_version: Option<u32>,
    /// Binlog group-commit ticket (MySQL 8.0.33+), when set.
    pub commit_group_ticket: Option<u64>,
}

impl GtidEvent {
    /// The transaction's GTID, or `None` for an anonymous transaction.
    pub fn gtid(&self) -> Option<Gtid> {
        (!self.anonymous).then(|| Gtid {
            uuid: self.uuid,
            tag: self.tag.clone(),
            gno: self.gno,
        })
    }

    /// True when the transaction may contain statement-based events (`FLAG_MAY_HAVE_SBR`).
    pub fn may_have_sbr(&self) -> bool {
        self.flags & 1 != 0
    }

    fn empty(anonymous: bool) -> Self {
        GtidEvent {
            flags: 0,
            uuid: Uuid([0; 16]),
            tag: Tag::untagged(),
            gno: 0,
            anonymous,
            logical_clock: None,
            immediate_commit_timestamp: None,
            original_commit_timestamp: None,
            transaction_length: None,
            immediate_server_version: None,
            original_server_version: None,
            commit_group_ticket: None,
        }
    }
}

/// Parses a GTID_LOG_EVENT or ANONYMOUS_GTID_LOG_EVENT body.
pub(crate) fn parse_gtid(body: &[u8], anonymous: bool) -> Result<GtidEvent, Error> {
    let what = if anonymous {
        "ANONYMOUS_GTID_LOG_EVENT"
    } else {
        "GTID_LOG_EVENT"
    };
    let (mut rest, (flags, uuid, gno)) =
        parse_all(what, body, (le_u8, nom::bytes::complete::take(16usize), le_i64))?;
    let mut event = GtidEvent::empty(anonymous);
    event.flags = flags;
    event.uuid = Uuid(
        uuid.try_into()
            .map_err(|_| Error::Malformed { what, offset: 1 })?,
    );
    event.gno = check_gno(gno, anonymous, what, 17)?;
    let at = |rest: &[u8]| body.len().saturating_sub(rest.len());
    // Everything below is optional and read only when present (the server does the same, and
    // 5.7.4 and earlier used another type code: accepted and ignored).
    if let Some((&LOGICAL_TIMESTAMP_TYPECODE, after)) = rest.split_first() {
        let (after, (last_committed, sequence_number)) =
            parse_all(what, after, (le_i64, le_i64)).map_err(|_| Error::Malformed {
                what,
                offset: at(rest),
            })?;
        event.logical_clock = Some(LogicalClock {
            last_committed,
            sequence_number,
        });
        rest = after;
        if rest.len() >= 7 {
            let (after, immediate) = le_u56(rest);
            rest = after;
            if immediate & ORIGINAL_TIMESTAMP_FOLLOWS != 0 {
                let original = rest.get(..7).ok_or(Error::Malformed {
                    what,
                    offset: at(rest),
                })?;
                event.original_commit_timestamp = Some(le_u56(original).1);
                rest = rest.get(7..).unwrap_or_default();
                event.immediate_commit_timestamp = Some(immediate & !ORIGINAL_TIMESTAMP_FOLLOWS);
            } else {
                event.immediate_commit_timestamp = Some(immediate);
                event.original_commit_timestamp = Some(immediate);
            }
            if !rest.is_empty() {
                let (after, length) = lenenc_int(rest).map_err(|_| Error::Malformed {
                    what,
                    offset: at(rest),
                })?;
                event.transaction_length = Some(length);
                rest = after;
            }
            if rest.len() >= 4 {
                let (after, immediate) = parse_all(what, rest, le_u32)?;
                rest = after;
                if immediate & ORIGINAL_VERSION_FOLLOWS != 0 {
                    let (after, original) = parse_all(what, rest, le_u32).map_err(|_| Error::Malformed {
                        what,
                        offset: at(rest),
                    })?;
                    rest = after;
                    event.immediate_server_version = Some(immediate & !ORIGINAL_VERSION_FOLLOWS);
                    event.original_server_version = Some(original);
                } else {
                    event.immediate_server_version = Some(immediate);
                    event.original_server_version = Some(immediate);
                }
                if rest.len() >= 8 {
                    let (_, ticket) = parse_all(what, rest, le_u64)?;
                    event.commit_group_ticket = (ticket != 0).then_some(ticket);
                }
            }
        }
    }
    Ok(event)
}

/// Field ids of GTID_TAGGED_LOG_EVENT (`Gtid_event::define_fields`, control_events.h).
mod tagged_field {
    pub(super) const FLAGS: u64 = 0;
    pub(super) const UUID: u64 = 1;
    pub(super) const GNO: u64 = 2;
    pub(super) const TAG: u64 = 3;
    pub(super) const LAST_COMMITTED: u64 = 4;
    pub(super) const SEQUENCE_NUMBER: u64 = 5;
    pub(super) const IMMEDIATE_COMMIT_TIMESTAMP: u64 = 6;
    pub(super) const ORIGINAL_COMMIT_TIMESTAMP: u64 = 7;
    pub(super) const TRANSACTION_LENGTH: u64 = 8;
    pub(super) const IMMEDIATE_SERVER_VERSION: u64 = 9;
    pub(super) const ORIGINAL_SERVER_VERSION: u64 = 10;
    pub(super) const COMMIT_GROUP_TICKET: u64 = 11;
}

/// Parses a GTID_TAGGED_LOG_EVENT body (the serialized message starts right after the
/// common header; the FORMAT_DESCRIPTION lists no post-header for it).
pub(crate) fn parse_gtid_tagged(body: &[u8]) -> Result<GtidEvent, Error> {
    use tagged_field as f;
    let what = "GTID_TAGGED_LOG_EVENT";
    let mut r = MessageReader::open(body, what, f::COMMIT_GROUP_TICKET)?;
    let mut event = GtidEvent::empty(false);
    // Every field is written by every 8.4/9.x server; the optional ones are marked by the
    // server's "field missing" rules.
    r.required(f::FLAGS)?;
    event.flags = r.byte()?;
    r.required(f::UUID)?;
    for byte in &mut event.uuid.0 {
        *byte = r.byte()?;
    }
    r.required(f::GNO)?;
    let gno = r.signed()?;
    r.required(f::TAG)?;
    let tag = r.string(MAX_TAG_LENGTH)?;
    event.tag = match tag {
        [] => Tag::untagged(),
        _ => std::str::from_utf8(tag)
            .ok()
            .and_then(|t| Tag::new(t).ok())
            .ok_or(Error::Malformed { what, offset: 0 })?,
    };
    event.gno = check_gno(gno, false, what, 0)?;
    let mut clock = LogicalClock {
        last_committed: 0,
        sequence_number: 0,
    };
    if r.field(f::LAST_COMMITTED)? {
        clock.last_committed = r.signed()?;
    }
    if r.field(f::SEQUENCE_NUMBER)? {
        clock.sequence_number = r.signed()?;
    }
    event.logical_clock = Some(clock);
    if r.field(f::IMMEDIATE_COMMIT_TIMESTAMP)? {
        event.immediate_commit_timestamp = Some(r.unsigned()?);
    }
    event.original_commit_timestamp = if r.field(f::ORIGINAL_COMMIT_TIMESTAMP)? {
        Some(r.unsigned()?)
    } else {
        event.immediate_commit_timestamp
    };
    if r.field(f::TRANSACTION_LENGTH)? {
        event.transaction_length = Some(r.unsigned()?);
    }
    if r.field(f::IMMEDIATE_SERVER_VERSION)? {
        event.immediate_server_version =
            Some(u32::try_from(r.unsigned()?).map_err(|_| Error::Malformed { what, offset: 0 })?);
    }
    event.original_server_version = if r.field(f::ORIGINAL_SERVER_VERSION)? {
        Some(u32::try_from(r.unsigned()?).map_err(|_| Error::Malformed { what, offset: 0 })?)
    } else {
        event.immediate_server_version
    };
    if r.field(f::COMMIT_GROUP_TICKET)? {
        let ticket = r.unsigned()?;
        event.commit_group_ticket = (ticket != 0).then_some(ticket);
    }
    // Fields a newer server added after these are ignorable: the message size skips them.
    Ok(event)
}

/// GNO checks of `Gtid_event`: an anonymous GTID has GNO 0, a real one is in
/// `[1, GNO_END)`.
fn check_gno(gno: i64, anonymous: bool, what: &'static str, offset: usize) -> Result<u64, Error> {
    let ok = if anonymous {
        gno == 0
    } else {
        gno >= 1 && (gno as u64) < GNO_END
    };
    if ok {
        Ok(gno as u64)
    } else {
        Err(Error::Malformed { what, offset })
    }
}

/// Reads a 7-byte little-endian integer from a slice known to hold at least 7 bytes.
fn le_u56(input: &[u8]) -> (&[u8], u64) {
    let mut le = [0u8; 8];
    for (slot, &b) in le.iter_mut().zip(input.iter().take(7)) {
        *slot = b;
    }
    (input.get(7..).unwrap_or_default(), u64::from_le_bytes(le))
}

/// Parses a PREVIOUS_GTIDS_LOG_EVENT body: the encoded GTID set, after the (empty)
/// post-header.
pub(crate) fn parse_previous_gtids(body: &[u8], post_header_len: u8) -> Result<GtidSet, Error> {
    let what = "PREVIOUS_GTIDS_LOG_EVENT";
    let set_bytes = body
        .get(usize::from(post_header_len)..)
        .ok_or(Error::Malformed { what, offset: 0 })?;
    let (set, used) = GtidSet::decode(set_bytes)?;
    if used != set_bytes.len() {
        return Err(Error::Malformed { what, offset: used });
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gtid_5_6_5_7_and_8_0_layouts() {
        let uuid = [0x11u8; 16];
        let mut v56 = vec![1u8];
        v56.extend_from_slice(&uuid);
        v56.extend_from_slice(&42i64.to_le_bytes());
        let e = parse_gtid(&v56, false).unwrap();
        assert_eq!((e.gno, e.logical_clock, e.transaction_length), (42, None, None));

        let mut v57 = v56.clone();
        v57.push(2);
        v57.extend_from_slice(&5i64.to_le_bytes());
        v57.extend_from_slice(&6i64.to_le_bytes());
        let e = parse_gtid(&v57, false).unwrap();
        assert_eq!(
            e.logical_clock,
            Some(LogicalClock {
                last_committed: 5,
                sequence_number: 6
            })
        );
        assert_eq!(e.immediate_commit_timestamp, None);

        let mut v80 = v57.clone();
        v80.extend_from_slice(&(1_700_000_000_000_000u64 | ORIGINAL_TIMESTAMP_FOLLOWS).to_le_bytes()[..7]);
        v80.extend_from_slice(&1_600_000_000_000_000u64.to_le_bytes()[..7]);
        v80.extend_from_slice(&[0xfc, 0x2c, 0x01]); // transaction length 300
        v80.extend_from_slice(&(80032u32 | ORIGINAL_VERSION_FOLLOWS).to_le_bytes());
        v80.extend_from_slice(&80028u32.to_le_bytes());
        v80.extend_from_slice(&9u64.to_le_bytes());
        let e = parse_gtid(&v80, false).unwrap();
        assert_eq!(e.immediate_commit_timestamp, Some(1_700_000_000_000_000));
        assert_eq!(e.original_commit_timestamp, Some(1_600_000_000_000_000));
        assert_eq!(e.transaction_length, Some(300));
        assert_eq!(
            (e.immediate_server_version, e.original_server_version),
            (Some(80032), Some(80028))
        );
        assert_eq!(e.commit_group_ticket, Some(9));
        for cut in 0..v80.len() {
            let _ = parse_gtid(&v80[..cut], false);
        }
    }

    #[test]
    fn gno_rules() {
        let mut body = vec![0u8; 25];
        assert!(parse_gtid(&body, true).is_ok());
        assert!(parse_gtid(&body, false).is_err());
        body[17] = 1;
        assert!(parse_gtid(&body, true).is_err());
        assert_eq!(parse_gtid(&body, false).unwrap().gno, 1);
        body[24] = 0x80; // negative
        assert!(parse_gtid(&body, false).is_err());
    }
}
