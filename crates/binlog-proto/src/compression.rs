//! Decompression of compressed binlog content, bounded by a caller-supplied limit that is
//! checked against the declared size before anything is allocated.

use std::io::Read;

use crate::error::Error;
use crate::limits::MAX_ZSTD_WINDOW;

/// Output buffer reserved before decompressing; it grows with the output actually produced, so
/// a forged size field cannot make a tiny input reserve `limit` bytes.
const INITIAL_OUTPUT_CAPACITY: usize = 64 * 1024;

/// Decompresses MariaDB's compressed binlog format, used by QUERY_COMPRESSED_EVENT (165) and
/// the *_ROWS_COMPRESSED_EVENT types (166-171) when `log_bin_compress=ON`.
///
/// Layout (MariaDB sql/log_event.cc, `binlog_get_uncompress_len` / `binlog_buf_uncompress`):
/// one header byte `1aaa0lll` (bit 7 set; `aaa` = algorithm, 0 = zlib; `lll` = 1..4 bytes of
/// uncompressed length), the length big-endian, then a zlib stream.
/// The zlib stream runs to the end of `input`.
pub fn uncompress_mariadb(input: &[u8], limit: usize) -> Result<Vec<u8>, Error> {
    let bad = |offset| Error::Malformed {
        what: "MariaDB compressed data",
        offset,
    };
    let (&head, rest) = input.split_first().ok_or(bad(0))?;
    if head & 0x80 == 0 {
        return Err(bad(0));
    }
    let algorithm = (head & 0x70) >> 4;
    if algorithm != 0 {
        return Err(Error::Unsupported(format!(
            "MariaDB binlog compression algorithm {algorithm} (only zlib, 0, exists)"
        )));
    }
    let len_bytes = usize::from(head & 0x07);
    if !(1..=4).contains(&len_bytes) {
        return Err(bad(0));
    }
    let (len_field, stream) = rest.split_at_checked(len_bytes).ok_or(bad(1))?;
    let declared = len_field
        .iter()
        .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    if declared > limit {
        return Err(Error::TooLarge {
            what: "decompressed MariaDB event",
            declared: declared as u64,
            limit: limit as u64,
        });
    }
    let mut out = Vec::with_capacity(declared.min(INITIAL_OUTPUT_CAPACITY));
    // Read one byte past the declared size so a stream that lies about its length is caught.
    flate2::read::ZlibDecoder::new(stream)
        .take((declared as u64).saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|_| bad(len_bytes.saturating_add(1)))?;
    if out.len() != declared {
        return Err(bad(len_bytes.saturating_add(1)));
    }
    Ok(out)
}

/// Decompresses a zstd frame (TRANSACTION_PAYLOAD_EVENT, MySQL 8.0.20+) whose uncompressed size
/// the event declares. Fails when the output would exceed `declared` or `limit`, or does not
/// reach `declared`.
///
/// Memory: a declared size that no frame of the input's length can produce (each 3-byte block
/// header yields at most 128 KiB) is refused first, so nothing reserved below exceeds about
/// 43,000 times the input's size. A frame's header names the history window the decoder must
/// keep, up to 2^31 bytes, whatever the size of the frame. A window larger than the declared
/// size is never allocated: such a frame is decoded in one pass into a buffer of the declared
/// size (which serves as the history; at most [`MAX_ZSTD_WINDOW`]). Otherwise the frame is
/// streamed, the window (at most [`MAX_ZSTD_WINDOW`], larger ones are refused) being no larger
/// than the declared size. The output buffer grows with the output actually produced.
pub fn uncompress_zstd(input: &[u8], declared: u64, limit: usize) -> Result<Vec<u8>, Error> {
    let size = usize::try_from(declared)
        .ok()
        .filter(|&s| s <= limit)
        .ok_or(Error::TooLarge {
            what: "decompressed transaction payload",
            declared,
            limit: limit as u64,
        })?;
    let bad = |what| Error::Malformed { what, offset: 0 };
    let mismatch = || bad("zstd transaction payload (size differs from the declared size)");
    // No frame of this many bytes can produce the declared size: refused before zstd or we
    // reserve anything for it, so every reservation below is bounded by the input's size.
    if size > zstd_output_bound(input.len()) {
        return Err(mismatch());
    }
    if zstd_window(input).is_some_and(|window| window > declared) {
        if size > MAX_ZSTD_WINDOW {
            // The window is larger still: the streaming decoder would refuse it too.
            return Err(bad("zstd transaction payload (window above MAX_ZSTD_WINDOW)"));
        }
        let mut out = Vec::with_capacity(size);
        zstd::bulk::Decompressor::new()
            .and_then(|mut d| d.decompress_to_buffer(input, &mut out))
            .map_err(|_| mismatch())?;
        return if out.len() == size {
            Ok(out)
        } else {
            Err(mismatch())
        };
    }
    // Stream rather than `zstd::bulk::decompress`, which allocates the declared size up front:
    // a 50-byte event must not be able to reserve `limit` bytes. One byte past the declared
    // size is read to catch liars.
    let mut decoder =
        zstd::stream::read::Decoder::with_buffer(input).map_err(|_| bad("zstd transaction payload"))?;
    decoder
        .window_log_max(MAX_ZSTD_WINDOW.trailing_zeros())
        .map_err(|_| bad("zstd transaction payload"))?;
    let mut out = Vec::with_capacity(size.min(INITIAL_OUTPUT_CAPACITY));
    decoder
        .take((size as u64).saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|_| bad("zstd transaction payload"))?;
    if out.len() != size {
        return Err(mismatch());
    }
    Ok(out)
}

/// The most a zstd input of `len` bytes can decompress to: every block has a 3-byte header
/// and produces at most 128 KiB (RFC 8878, 3.1.1.2: `Block_Maximum_Size`), as in zstd's own
/// `ZSTD_decompressBound`. Frame headers only lower the real figure.
fn zstd_output_bound(len: usize) -> usize {
    const BLOCK_HEADER: usize = 3;
    const MAX_BLOCK: usize = 128 * 1024;
    (len / BLOCK_HEADER).saturating_add(1).saturating_mul(MAX_BLOCK)
}

/// The window size the first frame of `input` declares (RFC 8878, 3.1.1.1: the window
/// descriptor, or the content size of a single-segment frame); `None` when the header is not
/// a zstd frame header.
fn zstd_window(input: &[u8]) -> Option<u64> {
    const MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
    if input.get(..4)? != MAGIC {
        return None;
    }
    let descriptor = *input.get(4)?;
    if descriptor & 0x20 == 0 {
        let window = *input.get(5)?;
        let base = 1u64.checked_shl(10u32.saturating_add(u32::from(window >> 3)))?;
        return Some(base.saturating_add((base / 8).saturating_mul(u64::from(window & 7))));
    }
    let dict_len = [0usize, 1, 2, 4].get(usize::from(descriptor & 3)).copied()?;
    let size_len = [1usize, 2, 4, 8].get(usize::from(descriptor >> 6)).copied()?;
    let at = 5usize.saturating_add(dict_len);
    let bytes = input.get(at..at.saturating_add(size_len))?;
    let value = bytes
        .iter()
        .rev()
        .fold(0u64, |acc, &b| acc.wrapping_shl(8) | u64::from(b));
    // The 2-byte form is offset by 256.
    Some(if size_len == 2 {
        value.saturating_add(256)
    } else {
        value
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn mariadb_compress(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(data).unwrap();
        let stream = enc.finish().unwrap();
        let len = (data.len() as u32).to_be_bytes();
        let mut out = vec![0x80 | 4];
        out.extend_from_slice(&len);
        out.extend_from_slice(&stream);
        out
    }

    #[test]
    fn mariadb_round_trip() {
        let data = b"INSERT INTO t VALUES (1), (2), (3)".repeat(20);
        assert_eq!(
            uncompress_mariadb(&mariadb_compress(&data), 1 << 20).unwrap(),
            data
        );
    }

    #[test]
    fn mariadb_declared_size_is_checked_before_allocating() {
        let mut forged = vec![0x84, 0xff, 0xff, 0xff, 0xff];
        forged.extend_from_slice(&[0x78, 0x9c]);
        assert!(matches!(
            uncompress_mariadb(&forged, 1 << 20),
            Err(Error::TooLarge { .. })
        ));
    }

    #[test]
    fn mariadb_lying_length_and_bad_headers_are_errors() {
        let mut data = mariadb_compress(b"hello world");
        data[4] = 5; // declares 5 bytes, stream holds 11
        assert!(uncompress_mariadb(&data, 100).is_err());
        assert!(uncompress_mariadb(&[], 100).is_err());
        assert!(uncompress_mariadb(&[0x00, 1, 2], 100).is_err());
        assert!(matches!(
            uncompress_mariadb(&[0x91, 1, 0], 100),
            Err(Error::Unsupported(_))
        ));
        assert!(uncompress_mariadb(&[0x80], 100).is_err());
    }

    #[test]
    fn zstd_checks_declared_and_limit() {
        let data = b"row data ".repeat(100);
        let frame = zstd::bulk::compress(&data, 3).unwrap();
        assert_eq!(uncompress_zstd(&frame, data.len() as u64, 1 << 20).unwrap(), data);
        assert!(uncompress_zstd(&frame, data.len() as u64 - 1, 1 << 20).is_err());
        assert!(uncompress_zstd(&frame, data.len() as u64 + 1, 1 << 20).is_err());
        assert!(matches!(
            uncompress_zstd(&frame, 1 << 40, 1 << 20),
            Err(Error::TooLarge { .. })
        ));
        assert!(uncompress_zstd(b"not zstd", 10, 100).is_err());
    }

    #[test]
    fn zstd_window_sizes_from_frame_headers() {
        // Window descriptor: exponent 17, mantissa 0 -> 2^27; mantissa 4 -> 1.5 * 2^27.
        assert_eq!(
            zstd_window(&[0x28, 0xb5, 0x2f, 0xfd, 0x00, 17 << 3]),
            Some(1 << 27)
        );
        assert_eq!(
            zstd_window(&[0x28, 0xb5, 0x2f, 0xfd, 0x00, 17 << 3 | 4]),
            Some(3 << 26)
        );
        // Single segment: the content size is the window (1, 2 (+256), 4, 8 bytes).
        assert_eq!(zstd_window(&[0x28, 0xb5, 0x2f, 0xfd, 0x20, 100]), Some(100));
        assert_eq!(zstd_window(&[0x28, 0xb5, 0x2f, 0xfd, 0x60, 0, 1]), Some(512));
        let frame = zstd::bulk::compress(&[5u8; 1000], 3).unwrap();
        assert_eq!(zstd_window(&frame), Some(1000));
        assert_eq!(zstd_window(b"not zstd"), None);
        assert_eq!(zstd_window(&[0x28, 0xb5, 0x2f, 0xfd]), None);
        // A frame whose window exceeds the declared size is decoded in one pass, and a liar
        // is still caught.
        let mut forged = vec![0x28, 0xb5, 0x2f, 0xfd, 0x00, 17 << 3, 0x19, 0, 0];
        forged.extend_from_slice(b"abc");
        assert_eq!(uncompress_zstd(&forged, 3, 100).unwrap(), b"abc");
        assert!(uncompress_zstd(&forged, 2, 100).is_err());
        assert!(uncompress_zstd(&forged, 4, 100).is_err());
    }
}
