//! Generic responses: OK, ERR and EOF packets.
//!
//! See the MySQL source documentation, "OK_Packet", "ERR_Packet", "EOF_Packet"
//! (`sql/protocol_classic.cc`, `net_send_ok`, `net_send_error_packet`, `net_send_eof`).

use nom::Parser;
use nom::bytes::complete::take;
use nom::combinator::rest;
use nom::number::complete::{le_u8, le_u16};

use crate::capabilities::Capabilities;
use crate::codec::{lenenc_bytes, lenenc_int, parse_all};
use crate::error::{Result, ServerError};
use crate::limits::MAX_PACKET_CHUNK;

/// First payload byte of an OK packet.
pub const OK_HEADER: u8 = 0x00;
/// First payload byte of an EOF packet (and of the OK packet that replaces it under
/// `CLIENT_DEPRECATE_EOF`; also of an auth switch request).
pub const EOF_HEADER: u8 = 0xfe;
/// First payload byte of an ERR packet.
pub const ERR_HEADER: u8 = 0xff;

/// `SERVER_MORE_RESULTS_EXISTS` status flag.
pub const SERVER_MORE_RESULTS_EXISTS: u16 = 0x0008;

/// A successful command completion.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OkPacket {
    /// Rows changed by the statement.
    pub affected_rows: u64,
    /// `LAST_INSERT_ID()` after the statement.
    pub last_insert_id: u64,
    /// Server status flags (`SERVER_STATUS_*`).
    pub status: u16,
    /// Number of warnings.
    pub warnings: u16,
    /// Human-readable information, often empty.
    pub info: String,
}

/// An EOF packet (4.1 protocol form).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EofPacket {
    /// Number of warnings.
    pub warnings: u16,
    /// Server status flags.
    pub status: u16,
}

/// True when `payload` is an ERR packet.
pub fn is_err(payload: &[u8]) -> bool {
    payload.first() == Some(&ERR_HEADER)
}

/// True when `payload` is an EOF packet: 0xfe and shorter than 9 bytes (a longer packet
/// starting with 0xfe is a row whose first value has an 8-byte length).
pub fn is_eof(payload: &[u8]) -> bool {
    payload.first() == Some(&EOF_HEADER) && payload.len() < 9
}

/// True when `payload` ends a result set under `CLIENT_DEPRECATE_EOF`: an OK packet with the
/// 0xfe header, shorter than a maximal chunk (a row starting with 0xfe would need a value of
/// at least 2^24 bytes and so a longer packet). As in MySQL's client library (`cli_safe_read`).
pub fn is_result_set_end_ok(payload: &[u8]) -> bool {
    payload.first() == Some(&EOF_HEADER) && payload.len() < MAX_PACKET_CHUNK
}

/// Parses an OK packet (header 0x00 or 0xfe).
pub fn parse_ok(payload: &[u8], capabilities: Capabilities) -> Result<OkPacket> {
    let (_, ok) = parse_all("OK packet", payload, |input| ok_body(input, capabilities))?;
    Ok(ok)
}

/// Parses an ERR packet into a [`ServerError`].
///
/// The SQL state (`#` + 5 characters) is optional: servers omit it in errors sent before the
/// capabilities are agreed (e.g. "Host is not allowed to connect" instead of a greeting).
pub fn parse_err(payload: &[u8]) -> Result<ServerError> {
    let (_, err) = parse_all("ERR packet", payload, |input| err_body(input))?;
    Ok(err)
}

/// Parses an EOF packet (0xfe, warnings, status; the pre-4.1 form is just 0xfe).
pub fn parse_eof(payload: &[u8]) -> Result<EofPacket> {
    let (_, eof) = parse_all("EOF packet", payload, |input| eof_body(input))?;
    Ok(eof)
}

fn ok_body(input: &[u8], capabilities: Capabilities) -> crate::codec::PResult<'_, OkPacket> {
    let protocol_41 = capabilities.contains(Capabilities::PROTOCOL_41);
    let session_track = capabilities.contains(Capabilities::SESSION_TRACK);
    let whole = input;
    let (input, header) = le_u8(input)?;
    if header != OK_HEADER && header != EOF_HEADER {
        return Err(nom::Err::Error(nom::error::Error::new(
            whole,
            nom::error::ErrorKind::Tag,
        )));
    }
    let (input, affected_rows) = lenenc_int(input)?;
    let (input, last_insert_id) = lenenc_int(input)?;
    let (input, status, warnings) = if protocol_41 {
        let (input, (status, warnings)) = (le_u16, le_u16).parse(input)?;
        (input, status, warnings)
    } else if capabilities.contains(Capabilities::TRANSACTIONS) {
        let (input, status) = le_u16(input)?;
        (input, status, 0)
    } else {
        (input, 0, 0)
    };
    // With session tracking the info is length-encoded (and may be absent); without it,
    // the rest of the packet.
    let (input, info) = if session_track && !input.is_empty() {
        lenenc_bytes(input, input.len())?
    } else {
        rest(input)?
    };
    Ok((
        input,
        OkPacket {
            affected_rows,
            last_insert_id,
            status,
            warnings,
            info: String::from_utf8_lossy(info).into_owned(),
        },
    ))
}

fn err_body(input: &[u8]) -> crate::codec::PResult<'_, ServerError> {
    let (input, _) = nom::bytes::complete::tag(&[ERR_HEADER][..])(input)?;
    let (input, code) = le_u16(input)?;
    let (input, sql_state) = if input.first() == Some(&b'#') && input.len() >= 6 {
        let (input, state) = (take(1usize), take(5usize)).map(|(_, s)| s).parse(input)?;
        (input, Some(String::from_utf8_lossy(state).into_owned()))
    } else {
        (input, None)
    };
    let (input, message) = rest(input)?;
    Ok((
        input,
        ServerError {
            code,
            sql_state,
            message: String::from_utf8_lossy(message).into_owned(),
        },
    ))
}

fn eof_body(input: &[u8]) -> crate::codec::PResult<'_, EofPacket> {
    let (input, _) = nom::bytes::complete::tag(&[EOF_HEADER][..])(input)?;
    if input.is_empty() {
        return Ok((input, EofPacket::default()));
    }
    let (input, (warnings, status)) = (le_u16, le_u16).parse(input)?;
    Ok((input, EofPacket { warnings, status }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    const CAPS: Capabilities = Capabilities(Capabilities::PROTOCOL_41.0 | Capabilities::TRANSACTIONS.0);

    #[test]
    fn ok_packet_with_info() {
        let ok = parse_ok(b"\x00\x01\xfc\x00\x01\x02\x00\x03\x00Rows matched: 1", CAPS).unwrap();
        assert_eq!(
            ok,
            OkPacket {
                affected_rows: 1,
                last_insert_id: 256,
                status: 2,
                warnings: 3,
                info: "Rows matched: 1".into()
            }
        );
    }

    #[test]
    fn ok_packet_with_session_track_info_is_length_encoded() {
        let caps = CAPS | Capabilities::SESSION_TRACK;
        let ok = parse_ok(b"\xfe\x00\x00\x02\x40\x00\x00\x02hi\x05xxxxx", caps).unwrap();
        assert_eq!(ok.info, "hi");
        assert_eq!(ok.status, 0x4002);
    }

    #[test]
    fn err_packet_with_and_without_sql_state() {
        let err = parse_err(b"\xff\x15\x04#28000Access denied for user 'x'@'localhost'").unwrap();
        assert_eq!(err.code, 1045);
        assert_eq!(err.sql_state.as_deref(), Some("28000"));
        assert_eq!(err.message, "Access denied for user 'x'@'localhost'");
        let err = parse_err(b"\xff\x6a\x04Host '10.0.0.1' is not allowed to connect").unwrap();
        assert_eq!((err.code, err.sql_state), (1130, None));
    }

    #[test]
    fn eof_packets() {
        assert_eq!(
            parse_eof(b"\xfe\x01\x00\x22\x00").unwrap(),
            EofPacket {
                warnings: 1,
                status: 0x22
            }
        );
        assert!(is_eof(b"\xfe\x00\x00\x02\x00"));
        assert!(!is_eof(b"\xfe\x01\x02\x03\x04\x05\x06\x07\x08"));
    }

    #[test]
    fn truncated_responses_are_malformed() {
        let ok = b"\x00\x01\xfc\x00\x01\x02\x00\x03\x00";
        for cut in 0..ok.len() - 1 {
            assert!(
                matches!(
                    parse_ok(&ok[..cut], CAPS),
                    Err(Error::Malformed {
                        what: "OK packet",
                        ..
                    })
                ),
                "cut at {cut}"
            );
        }
        assert!(parse_err(b"\xff\x15").is_err());
        assert!(parse_eof(b"\xfe\x01").is_err());
    }
}
