//! Shared low-level parsers: fixed-width little-endian integers, length-encoded integers and
//! strings, NUL-terminated strings, and the bridge from `nom` errors to [`Error`].
//!
//! Every parser here works on complete input (nom's `complete` flavour): running out of bytes
//! inside a packet or event is malformed input. Whether a whole packet or event is available
//! yet is decided before these parsers run.

use nom::IResult;
use nom::Parser;
use nom::bytes::complete::{take, take_until};
use nom::number::complete::{le_u8, le_u16, le_u24, le_u64};

use crate::error::Error;

/// A nom result over bytes with the default error type; private to the crate.
pub(crate) type PResult<'a, O> = IResult<&'a [u8], O>;

/// Reads a length-encoded integer (MySQL "int<lenenc>"): one byte below 0xfb, or a marker
/// 0xfc / 0xfd / 0xfe followed by 2, 3 or 8 bytes. 0xfb (NULL in result rows) and 0xff are
/// rejected here; callers that accept NULL check for 0xfb first.
/// See MySQL `net_field_length_ll` (mysys/pack.cc).
pub(crate) fn lenenc_int(input: &[u8]) -> PResult<'_, u64> {
    let (rest, first) = le_u8(input)?;
    match first {
        0..=0xfa => Ok((rest, u64::from(first))),
        0xfc => le_u16.map(u64::from).parse(rest),
        0xfd => le_u24.map(u64::from).parse(rest),
        0xfe => le_u64(rest),
        _ => Err(nom::Err::Error(nom::error::Error::new(
            input,
            nom::error::ErrorKind::Tag,
        ))),
    }
}

/// Reads a length-encoded byte string whose length must not exceed `limit`.
pub(crate) fn lenenc_bytes(input: &[u8], limit: usize) -> PResult<'_, &[u8]> {
    let (rest, len) = lenenc_int(input)?;
    let len = usize::try_from(len)
        .ok()
        .filter(|&l| l <= limit && l <= rest.len())
        .ok_or_else(|| nom::Err::Error(nom::error::Error::new(input, nom::error::ErrorKind::TooLarge)))?;
    take(len)(rest)
}

/// Reads bytes up to a NUL and consumes the NUL.
pub(crate) fn nul_terminated(input: &[u8]) -> PResult<'_, &[u8]> {
    let (rest, s) = take_until(&b"\0"[..])(input)?;
    let (rest, _) = take(1usize)(rest)?;
    Ok((rest, s))
}

/// Runs `parser` on `input` and turns a nom failure into [`Error::Malformed`] naming `what` and
/// the offset (relative to `input`) where parsing stopped.
pub(crate) fn parse_all<'a, O>(
    what: &'static str,
    input: &'a [u8],
    mut parser: impl Parser<&'a [u8], Output = O, Error = nom::error::Error<&'a [u8]>>,
) -> Result<(&'a [u8], O), Error> {
    parser.parse(input).map_err(|e| malformed(what, input, &e))
}

/// Converts a nom error into [`Error::Malformed`] with an offset relative to `whole`.
pub(crate) fn malformed(what: &'static str, whole: &[u8], err: &nom::Err<nom::error::Error<&[u8]>>) -> Error {
    let offset = match err {
        nom::Err::Error(e) | nom::Err::Failure(e) => whole.len().saturating_sub(e.input.len()),
        nom::Err::Incomplete(_) => whole.len(),
    };
    Error::Malformed { what, offset }
}

/// Appends a length-encoded integer.
pub(crate) fn put_lenenc_int(out: &mut Vec<u8>, value: u64) {
    match value {
        0..=0xfa => out.push(value as u8),
        0xfb..=0xffff => {
            out.push(0xfc);
            out.extend_from_slice(&(value as u16).to_le_bytes());
        }
        0x1_0000..=0xff_ffff => {
            out.push(0xfd);
            out.extend_from_slice(&(value as u32).to_le_bytes()[..3]);
        }
        _ => {
            out.push(0xfe);
            out.extend_from_slice(&value.to_le_bytes());
        }
    }
}

/// Appends a length-encoded byte string.
pub(crate) fn put_lenenc_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_lenenc_int(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenenc_int_round_trips_at_every_width_boundary() {
        for value in [0, 0xfa, 0xfb, 0xffff, 0x1_0000, 0xff_ffff, 0x100_0000, u64::MAX] {
            let mut buf = Vec::new();
            put_lenenc_int(&mut buf, value);
            let (rest, parsed) = lenenc_int(&buf).unwrap();
            assert_eq!(
                (rest.len(), parsed),
                (0, value),
                "{value:#x} encoded as {buf:02x?}"
            );
        }
    }

    #[test]
    fn lenenc_int_rejects_null_and_error_markers_and_truncation() {
        assert!(lenenc_int(&[0xfb]).is_err());
        assert!(lenenc_int(&[0xff]).is_err());
        assert!(lenenc_int(&[0xfc, 0x01]).is_err());
        assert!(lenenc_int(&[]).is_err());
    }

    #[test]
    fn lenenc_bytes_respects_the_limit_and_the_input() {
        let mut buf = Vec::new();
        put_lenenc_bytes(&mut buf, b"hello");
        assert_eq!(lenenc_bytes(&buf, 5).unwrap().1, b"hello");
        assert!(lenenc_bytes(&buf, 4).is_err());
        assert!(lenenc_bytes(&buf[..4], 100).is_err());
    }

    #[test]
    fn malformed_reports_the_offset_where_parsing_stopped() {
        let input = [1u8, 2, 3, b'a', b'b'];
        let err = parse_all("test string", &input, (take(3usize), nul_terminated)).unwrap_err();
        assert_eq!(
            err,
            Error::Malformed {
                what: "test string",
                offset: 3
            }
        );
    }
}
