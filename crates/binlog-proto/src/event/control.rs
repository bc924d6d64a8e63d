//! Control events: ROTATE, XID, INCIDENT, HEARTBEAT (v1 and v2) and XA_PREPARE (layouts from
//! MySQL libbinlogevents control_events.cpp and codecs/binary.cpp).

use std::borrow::Cow;

use nom::bytes::complete::take;
use nom::number::complete::{le_u8, le_u16, le_u32, le_u64};

use crate::codec::{lenenc_int, parse_all};
use crate::error::Error;

/// ROTATE_EVENT: the binlog continues in another file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rotate<'a> {
    /// Where to continue in the next file (4 = its first event).
    pub position: u64,
    /// The next file's name (a bare name such as `mysql-bin.000002`).
    pub next_file: &'a [u8],
}

impl Rotate<'_> {
    /// The next file's name as text (lossy for non-UTF-8 bytes).
    pub fn next_file_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(self.next_file)
    }
}

/// XID_EVENT: commit of a transaction on a transactional engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Xid {
    /// The server's internal transaction id (unique within one server run).
    pub xid: u64,
}

/// INCIDENT_EVENT: something happened on the source that replicas must know, such as lost
/// events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Incident<'a> {
    /// The incident code (1 = `INCIDENT_LOST_EVENTS`).
    pub kind: u16,
    /// The server's message.
    pub message: &'a [u8],
}

/// HEARTBEAT_LOG_EVENT (v1) or HEARTBEAT_LOG_EVENT_V2: sent by the source when it has nothing
/// else to send; never stored in a binlog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Heartbeat<'a> {
    /// The binlog the source is reading.
    pub log_file: &'a [u8],
    /// The position the source has reached in it (from the header's `log_pos` in v1, which
    /// limits it to 4 GiB; from the body in v2).
    pub position: u64,
}

/// An XA transaction id (`XID` of the XA standard).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XaId<'a> {
    /// The format id (-1 means a null XID).
    pub format_id: i32,
    /// The global transaction id.
    pub gtrid: &'a [u8],
    /// The branch qualifier.
    pub bqual: &'a [u8],
}

/// XA_PREPARE_LOG_EVENT: the end of an `XA PREPARE`d (or one-phase committed) transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XaPrepare<'a> {
    /// True for `XA COMMIT ... ONE PHASE`.
    pub one_phase: bool,
    /// The XA transaction id.
    pub xid: XaId<'a>,
}

/// Longest gtrid or bqual (`MAXGTRIDSIZE`, `MAXBQUALSIZE`).
const MAX_XID_PART: u32 = 64;

/// Parses a ROTATE_EVENT body.
pub(crate) fn parse_rotate(body: &[u8], post_header_len: u8) -> Result<Rotate<'_>, Error> {
    let what = "ROTATE_EVENT";
    let (position, name) = if post_header_len == 0 {
        (4, body)
    } else {
        let (_, position) = parse_all(what, body, le_u64)?;
        let name = body.get(usize::from(post_header_len)..).ok_or(Error::Malformed {
            what,
            offset: body.len(),
        })?;
        (position, name)
    };
    if name.is_empty() {
        // MySQL: "Event is smaller than expected".
        return Err(Error::Malformed {
            what: "ROTATE_EVENT file name",
            offset: body.len(),
        });
    }
    Ok(Rotate {
        position,
        next_file: name,
    })
}

/// Parses an XID_EVENT body. Anything but exactly 8 bytes after the post-header is refused:
/// a longer XID is a sign of misframed or corrupt data.
pub(crate) fn parse_xid(body: &[u8], post_header_len: u8) -> Result<Xid, Error> {
    let what = "XID_EVENT";
    let data = body
        .get(usize::from(post_header_len)..)
        .ok_or(Error::Malformed { what, offset: 0 })?;
    let (rest, xid) = parse_all(what, data, le_u64)?;
    if !rest.is_empty() {
        return Err(Error::Malformed {
            what: "XID_EVENT (bytes after the XID)",
            offset: usize::from(post_header_len).saturating_add(8),
        });
    }
    Ok(Xid { xid })
}

/// Parses an INCIDENT_EVENT body: kind u16 (post-header), then a u8-length message.
pub(crate) fn parse_incident(body: &[u8], post_header_len: u8) -> Result<Incident<'_>, Error> {
    let what = "INCIDENT_EVENT";
    let (_, kind) = parse_all(what, body, le_u16)?;
    let data = body
        .get(usize::from(post_header_len).max(2)..)
        .ok_or(Error::Malformed { what, offset: 2 })?;
    let message = match data.split_first() {
        None => &[][..],
        Some((&len, rest)) => rest
            .get(..usize::from(len))
            .ok_or(Error::Malformed { what, offset: 3 })?,
    };
    Ok(Incident { kind, message })
}

/// Parses a HEARTBEAT_LOG_EVENT (v1) body: the file name; the position is the header's.
pub(crate) fn parse_heartbeat_v1(body: &[u8], log_pos: u32) -> Result<Heartbeat<'_>, Error> {
    if body.is_empty() {
        return Err(Error::Malformed {
            what: "HEARTBEAT_LOG_EVENT file name",
            offset: 0,
        });
    }
    Ok(Heartbeat {
        log_file: body,
        position: u64::from(log_pos),
    })
}

/// Field codes of HEARTBEAT_LOG_EVENT_V2 (`OTW_HB_*`, codecs/binary.h).
const HB_END_MARK: u64 = 0;
const HB_LOG_FILENAME: u64 = 1;
const HB_LOG_POSITION: u64 = 2;

/// Parses a HEARTBEAT_LOG_EVENT_V2 body: type-length-value fields with length-encoded type
/// and length, ended by type 0. Unknown fields are skipped.
pub(crate) fn parse_heartbeat_v2(body: &[u8]) -> Result<Heartbeat<'_>, Error> {
    let what = "HEARTBEAT_LOG_EVENT_V2";
    let mut rest = body;
    let mut heartbeat = Heartbeat {
        log_file: &[],
        position: 0,
    };
    let at = |rest: &[u8]| body.len().saturating_sub(rest.len());
    while !rest.is_empty() {
        let start = at(rest);
        let bad = |_| Error::Malformed { what, offset: start };
        let (after, field) = lenenc_int(rest).map_err(bad)?;
        if field == HB_END_MARK {
            break;
        }
        let (after, len) = lenenc_int(after).map_err(bad)?;
        let len = usize::try_from(len).map_err(|_| Error::Malformed { what, offset: start })?;
        let (after, value) = take(len)(after).map_err(bad)?;
        match field {
            HB_LOG_FILENAME => heartbeat.log_file = value,
            HB_LOG_POSITION => heartbeat.position = lenenc_int(value).map_err(bad)?.1,
            _ => {}
        }
        rest = after;
    }
    Ok(heartbeat)
}

/// Parses an XA_PREPARE_LOG_EVENT body: one_phase u8, format id u32, gtrid and bqual lengths
/// u32, then the XID data.
pub(crate) fn parse_xa_prepare(body: &[u8], post_header_len: u8) -> Result<XaPrepare<'_>, Error> {
    let what = "XA_PREPARE_LOG_EVENT";
    let data = body
        .get(usize::from(post_header_len)..)
        .ok_or(Error::Malformed { what, offset: 0 })?;
    let (rest, (one_phase, format_id, gtrid_len, bqual_len)) =
        parse_all(what, data, (le_u8, le_u32, le_u32, le_u32))?;
    if gtrid_len > MAX_XID_PART || bqual_len > MAX_XID_PART {
        // MySQL: "Invalid XID information in XA Prepare".
        return Err(Error::Malformed {
            what: "XA_PREPARE_LOG_EVENT XID lengths",
            offset: 5,
        });
    }
    let (_, (gtrid, bqual)) = parse_all(what, rest, (take(gtrid_len as usize), take(bqual_len as usize)))
        .map_err(|_| Error::Malformed { what, offset: 13 })?;
    Ok(XaPrepare {
        one_phase: one_phase != 0,
        xid: XaId {
            format_id: format_id as i32,
            gtrid,
            bqual,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotate_with_and_without_post_header() {
        let mut body = 4u64.to_le_bytes().to_vec();
        body.extend_from_slice(b"mysql-bin.000002");
        let r = parse_rotate(&body, 8).unwrap();
        assert_eq!((r.position, r.next_file), (4, &b"mysql-bin.000002"[..]));
        let r = parse_rotate(b"old-bin.002", 0).unwrap();
        assert_eq!((r.position, r.next_file_lossy()), (4, "old-bin.002".into()));
        assert!(parse_rotate(&body[..8], 8).is_err());
        assert!(parse_rotate(&body[..5], 8).is_err());
    }

    #[test]
    fn xid_must_be_exactly_eight_bytes() {
        assert_eq!(parse_xid(&7u64.to_le_bytes(), 0).unwrap().xid, 7);
        assert!(parse_xid(&[1, 2, 3], 0).is_err());
        assert!(parse_xid(&[0; 19], 0).is_err());
    }

    #[test]
    fn heartbeat_v2_fields() {
        // MySQL Heartbeat::encode: filename (type 1), position (type 2, length-encoded value
        // of net_length_size bytes), end mark 0.
        let mut body = vec![1, 16];
        body.extend_from_slice(b"binlog.000007xyz");
        body.extend_from_slice(&[9, 2, 7, 7]); // an unknown field, skipped
        body.extend_from_slice(&[2, 3, 0xfc, 0x10, 0x27, 0]);
        let hb = parse_heartbeat_v2(&body).unwrap();
        assert_eq!((hb.log_file, hb.position), (&b"binlog.000007xyz"[..], 10000));
        for cut in 0..body.len() - 1 {
            let _ = parse_heartbeat_v2(&body[..cut]);
        }
        assert!(parse_heartbeat_v2(&[1, 50, b'a']).is_err());
    }

    #[test]
    fn heartbeat_v1_takes_the_header_position() {
        let hb = parse_heartbeat_v1(b"mysql-bin.000001", 1234).unwrap();
        assert_eq!((hb.log_file, hb.position), (&b"mysql-bin.000001"[..], 1234));
        assert!(parse_heartbeat_v1(b"", 4).is_err());
    }

    #[test]
    fn xa_prepare_layout_and_bounds() {
        // MySQL XA_prepare_event: one_phase, formatID, gtrid_length, bqual_length, data.
        let mut body = vec![0];
        body.extend_from_slice(&1u32.to_le_bytes());
        body.extend_from_slice(&3u32.to_le_bytes());
        body.extend_from_slice(&2u32.to_le_bytes());
        body.extend_from_slice(b"trxb1");
        let xa = parse_xa_prepare(&body, 0).unwrap();
        assert!(!xa.one_phase);
        assert_eq!(
            (xa.xid.format_id, xa.xid.gtrid, xa.xid.bqual),
            (1, &b"trx"[..], &b"b1"[..])
        );
        body[5] = 65;
        assert!(parse_xa_prepare(&body, 0).is_err());
        assert!(parse_xa_prepare(&body[..15], 0).is_err());
    }

    #[test]
    fn incident_message() {
        // MySQL Incident_event::write_data_header/body: u16 kind, then u8 length + message.
        let body = [
            1, 0, 11, b'L', b'O', b'S', b'T', b'_', b'E', b'V', b'E', b'N', b'T', b'S',
        ];
        let i = parse_incident(&body, 2).unwrap();
        assert_eq!((i.kind, i.message), (1, &b"LOST_EVENTS"[..]));
        assert!(parse_incident(&body[..10], 2).is_err());
    }
}
