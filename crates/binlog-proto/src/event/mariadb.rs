//! MariaDB's own events: ANNOTATE_ROWS, BINLOG_CHECKPOINT, GTID, GTID_LIST and
//! START_ENCRYPTION (layouts from MariaDB sql/log_event.cc and sql/log_event.h).

use nom::bytes::complete::take;
use nom::number::complete::{le_u8, le_u32, le_u64};

use crate::codec::parse_all;
use crate::error::Error;
use crate::event::control::XaId;
use crate::gtid::MariadbGtid;

/// ANNOTATE_ROWS_EVENT: the statement that produced the row events that follow (MariaDB's
/// counterpart of ROWS_QUERY, written with `binlog_annotate_row_events=ON`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnnotateRows<'a> {
    /// The statement text.
    pub sql: &'a [u8],
}

/// BINLOG_CHECKPOINT_EVENT: the oldest binlog file crash recovery may still need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BinlogCheckpoint<'a> {
    /// The binlog file name.
    pub file: &'a [u8],
}

/// MariaDB GTID_EVENT: the start of an event group (a transaction or a standalone statement).
///
/// Layout: seq_no u64, domain_id u32, flags2 u8, then (when flagged) commit_id u64, then
/// (for XA) format_id u32, gtrid and bqual lengths u8 and the XID data, then optionally the
/// extra flags and what they announce; the whole is zero-padded to the 19-byte post-header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MariadbGtidEvent<'a> {
    /// The GTID; its server id is the event header's.
    pub gtid: MariadbGtid,
    /// `flags2`: see the `FL_*` constants.
    pub flags: u8,
    /// Group-commit id shared by transactions committed together (`FL_GROUP_COMMIT_ID`).
    pub commit_id: Option<u64>,
    /// The XA transaction id (`FL_PREPARED_XA` / `FL_COMPLETED_XA`).
    pub xid: Option<XaId<'a>>,
    /// Extra flags (MariaDB 10.8+); see the `FL_EXTRA_*` constants. 0 when absent.
    pub flags_extra: u8,
    /// Number of extra storage engines in a multi-engine transaction (`FL_EXTRA_MULTI_ENGINE`).
    pub extra_engines: Option<u8>,
    /// The START ALTER's sequence number for a COMMIT/ROLLBACK ALTER.
    pub start_alter_seq_no: Option<u64>,
    /// The originating session id (`FL_EXTRA_THREAD_ID`, MariaDB 11.5+).
    pub thread_id: Option<u32>,
}

impl MariadbGtidEvent<'_> {
    /// The group is a single statement outside a transaction (no COMMIT/XID ends it).
    pub const FL_STANDALONE: u8 = 0x01;
    /// A commit id follows.
    pub const FL_GROUP_COMMIT_ID: u8 = 0x02;
    /// The group uses only transactional tables.
    pub const FL_TRANSACTIONAL: u8 = 0x04;
    /// The group may be applied in parallel with others.
    pub const FL_ALLOW_PARALLEL: u8 = 0x08;
    /// The transaction waited on a row lock held by another on the source.
    pub const FL_WAITED: u8 = 0x10;
    /// The group is DDL.
    pub const FL_DDL: u8 = 0x20;
    /// The group is an XA PREPARE.
    pub const FL_PREPARED_XA: u8 = 0x40;
    /// The group is an XA COMMIT or ROLLBACK.
    pub const FL_COMPLETED_XA: u8 = 0x80;
    /// Extra flag: the transaction spans several engines; a count follows.
    pub const FL_EXTRA_MULTI_ENGINE: u8 = 0x01;
    /// Extra flag: the first phase of a two-phase ALTER TABLE.
    pub const FL_START_ALTER: u8 = 0x02;
    /// Extra flag: commits a two-phase ALTER; the START ALTER's sequence number follows.
    pub const FL_COMMIT_ALTER: u8 = 0x04;
    /// Extra flag: rolls back a two-phase ALTER; the START ALTER's sequence number follows.
    pub const FL_ROLLBACK_ALTER: u8 = 0x08;
    /// Extra flag: the session id follows.
    pub const FL_EXTRA_THREAD_ID: u8 = 0x10;

    /// True for a single statement outside a transaction.
    pub fn is_standalone(&self) -> bool {
        self.flags & Self::FL_STANDALONE != 0
    }

    /// True for DDL.
    pub fn is_ddl(&self) -> bool {
        self.flags & Self::FL_DDL != 0
    }
}

/// MariaDB GTID_LIST_EVENT: the binlog state at the start of a file (MariaDB's counterpart of
/// PREVIOUS_GTIDS): the last GTID of every (domain, server) pair. Within a domain the last
/// entry is the domain's current position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MariadbGtidListEvent {
    /// The top 4 bits of the count field (flags used on artificial events of a dump).
    pub flags: u8,
    /// The GTIDs, in the order written.
    pub gtids: Vec<MariadbGtid>,
}

/// START_ENCRYPTION_EVENT: every event after this one in the file is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartEncryption {
    /// The encryption scheme (1: AES with the key management plugin's key).
    pub scheme: u8,
    /// The key version used.
    pub key_version: u32,
    /// The nonce that, with each event's position, forms the IV.
    pub nonce: [u8; 12],
}

/// MariaDB GTID_EVENT post-header length (`GTID_HEADER_LEN`).
const GTID_HEADER_LEN: usize = 19;

/// Parses a MariaDB GTID_EVENT body; `server_id` comes from the event header.
pub(crate) fn parse_gtid(body: &[u8], server_id: u32) -> Result<MariadbGtidEvent<'_>, Error> {
    let what = "MariaDB GTID_EVENT";
    if body.len() < GTID_HEADER_LEN {
        return Err(Error::Malformed {
            what,
            offset: body.len(),
        });
    }
    let at = |rest: &[u8]| body.len().saturating_sub(rest.len());
    let (mut rest, (seq_no, domain_id, flags)) = parse_all(what, body, (le_u64, le_u32, le_u8))?;
    let mut event = MariadbGtidEvent {
        gtid: MariadbGtid {
            domain_id,
            server_id,
            seq_no,
        },
        flags,
        commit_id: None,
        xid: None,
        flags_extra: 0,
        extra_engines: None,
        start_alter_seq_no: None,
        thread_id: None,
    };
    if flags & MariadbGtidEvent::FL_GROUP_COMMIT_ID != 0 {
        let (after, id) = parse_all(what, rest, le_u64).map_err(|_| Error::Malformed {
            what,
            offset: at(rest),
        })?;
        event.commit_id = Some(id);
        rest = after;
    }
    if flags & (MariadbGtidEvent::FL_PREPARED_XA | MariadbGtidEvent::FL_COMPLETED_XA) != 0 {
        let start = at(rest);
        let (after, (format_id, gtrid_len, bqual_len)) = parse_all(what, rest, (le_u32, le_u8, le_u8))
            .map_err(|_| Error::Malformed { what, offset: start })?;
        let (after, (gtrid, bqual)) = parse_all(what, after, (take(gtrid_len), take(bqual_len)))
            .map_err(|_| Error::Malformed { what, offset: start })?;
        event.xid = Some(XaId {
            format_id: format_id as i32,
            gtrid,
            bqual,
        });
        rest = after;
    }
    // Extra flags: a zero here is the padding of a short event.
    if let Some((&extra, after)) = rest.split_first() {
        event.flags_extra = extra;
        rest = after;
        if extra & MariadbGtidEvent::FL_EXTRA_MULTI_ENGINE != 0 {
            let (after, n) = parse_all(what, rest, le_u8).map_err(|_| Error::Malformed {
                what,
                offset: at(rest),
            })?;
            event.extra_engines = Some(n);
            rest = after;
        }
        if extra & (MariadbGtidEvent::FL_COMMIT_ALTER | MariadbGtidEvent::FL_ROLLBACK_ALTER) != 0 {
            let (after, seq) = parse_all(what, rest, le_u64).map_err(|_| Error::Malformed {
                what,
                offset: at(rest),
            })?;
            event.start_alter_seq_no = Some(seq);
            rest = after;
        }
        if extra & MariadbGtidEvent::FL_EXTRA_THREAD_ID != 0 {
            let (_, id) = parse_all(what, rest, le_u32).map_err(|_| Error::Malformed {
                what,
                offset: at(rest),
            })?;
            event.thread_id = Some(id);
        }
    }
    Ok(event)
}

/// Parses a GTID_LIST_EVENT body.
pub(crate) fn parse_gtid_list(body: &[u8]) -> Result<MariadbGtidListEvent, Error> {
    let what = "MariaDB GTID_LIST_EVENT";
    let (mut rest, field) = parse_all(what, body, le_u32)?;
    let count = (field & 0x0fff_ffff) as usize;
    // Bound the count by the bytes present before allocating.
    if count > rest.len() / 16 {
        return Err(Error::Malformed { what, offset: 0 });
    }
    let mut gtids = Vec::with_capacity(count);
    for _ in 0..count {
        let (after, (domain_id, server_id, seq_no)) = parse_all(what, rest, (le_u32, le_u32, le_u64))?;
        gtids.push(MariadbGtid {
            domain_id,
            server_id,
            seq_no,
        });
        rest = after;
    }
    Ok(MariadbGtidListEvent {
        flags: (field >> 28) as u8,
        gtids,
    })
}

/// Parses a BINLOG_CHECKPOINT_EVENT body: name length u32 (the post-header), then the name.
pub(crate) fn parse_binlog_checkpoint(
    body: &[u8],
    post_header_len: u8,
) -> Result<BinlogCheckpoint<'_>, Error> {
    let what = "MariaDB BINLOG_CHECKPOINT_EVENT";
    let (_, len) = parse_all(what, body, le_u32)?;
    let start = usize::from(post_header_len).max(4);
    let file = usize::try_from(len)
        .ok()
        .and_then(|len| start.checked_add(len))
        .and_then(|end| body.get(start..end))
        .ok_or(Error::Malformed { what, offset: 0 })?;
    Ok(BinlogCheckpoint { file })
}

/// Parses a START_ENCRYPTION_EVENT body: scheme u8, key version u32, nonce [12].
pub(crate) fn parse_start_encryption(body: &[u8]) -> Result<StartEncryption, Error> {
    let what = "MariaDB START_ENCRYPTION_EVENT";
    let (_, (scheme, key_version, nonce)) = parse_all(what, body, (le_u8, le_u32, take(12usize)))?;
    Ok(StartEncryption {
        scheme,
        key_version,
        nonce: nonce
            .try_into()
            .map_err(|_| Error::Malformed { what, offset: 5 })?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gtid_body(seq: u64, domain: u32, flags: u8, tail: &[u8]) -> Vec<u8> {
        let mut body = seq.to_le_bytes().to_vec();
        body.extend_from_slice(&domain.to_le_bytes());
        body.push(flags);
        body.extend_from_slice(tail);
        if body.len() < GTID_HEADER_LEN {
            body.resize(GTID_HEADER_LEN, 0);
        }
        body
    }

    #[test]
    fn gtid_plain_commit_id_xa_and_extra_flags() {
        let body = gtid_body(100, 2, 0x0d, &[]);
        let e = parse_gtid(&body, 7).unwrap();
        assert_eq!(e.gtid.to_string(), "2-7-100");
        assert!(e.is_standalone());
        assert_eq!((e.commit_id, e.flags_extra), (None, 0));

        let body = gtid_body(5, 0, 0x02, &99u64.to_le_bytes());
        let e = parse_gtid(&body, 1).unwrap();
        assert_eq!(e.commit_id, Some(99));

        // XA PREPARE 'ab','c' with format 1, then extra flags: multi-engine (3 engines),
        // thread id 42.
        let mut tail = 1u32.to_le_bytes().to_vec();
        tail.extend_from_slice(&[2, 1, b'a', b'b', b'c', 0x11, 3]);
        tail.extend_from_slice(&42u32.to_le_bytes());
        let body = gtid_body(6, 0, 0x40, &tail);
        let e = parse_gtid(&body, 1).unwrap();
        let xid = e.xid.unwrap();
        assert_eq!((xid.format_id, xid.gtrid, xid.bqual), (1, &b"ab"[..], &b"c"[..]));
        assert_eq!(
            (e.flags_extra, e.extra_engines, e.thread_id),
            (0x11, Some(3), Some(42))
        );

        let mut tail = vec![0x04];
        tail.extend_from_slice(&77u64.to_le_bytes());
        let body = gtid_body(8, 0, 0, &tail);
        let e = parse_gtid(&body, 1).unwrap();
        assert_eq!(e.start_alter_seq_no, Some(77));

        assert!(parse_gtid(&[0; 18], 1).is_err());
        let mut lying = gtid_body(6, 0, 0x40, &[1, 0, 0, 0, 60, 60]);
        lying.truncate(25);
        assert!(parse_gtid(&lying, 1).is_err());
    }

    #[test]
    fn gtid_list_bounds_its_count() {
        let mut body = 2u32.to_le_bytes().to_vec();
        for (d, s, q) in [(0u32, 1u32, 10u64), (1, 2, 20)] {
            body.extend_from_slice(&d.to_le_bytes());
            body.extend_from_slice(&s.to_le_bytes());
            body.extend_from_slice(&q.to_le_bytes());
        }
        let list = parse_gtid_list(&body).unwrap();
        let text: Vec<String> = list.gtids.iter().map(ToString::to_string).collect();
        assert_eq!(text, vec!["0-1-10", "1-2-20"]);
        body[0] = 3;
        assert!(parse_gtid_list(&body).is_err());
        let huge = 0x0fff_ffffu32.to_le_bytes();
        assert!(parse_gtid_list(&huge).is_err());
    }

    #[test]
    fn start_encryption_layout() {
        // MariaDB Start_encryption_log_event::write: scheme, key version, 12-byte nonce.
        let mut body = vec![1];
        body.extend_from_slice(&3u32.to_le_bytes());
        body.extend_from_slice(&[9; 12]);
        let e = parse_start_encryption(&body).unwrap();
        assert_eq!((e.scheme, e.key_version, e.nonce), (1, 3, [9; 12]));
        assert!(parse_start_encryption(&body[..16]).is_err());
    }
}
