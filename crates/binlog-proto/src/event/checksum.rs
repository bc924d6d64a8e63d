//! The CRC32 trailer of checksummed events (`binlog_checksum=CRC32`, MySQL 5.6.1+, MariaDB
//! 5.3+): zlib's CRC32 of every byte of the event before the trailer.

use crate::error::Error;
use crate::event::header::{CHECKSUM_LEN, EVENT_HEADER_LEN, EventFlags, FLAGS_OFFSET};

/// Checks the trailing CRC32 of `event` (a whole event, header to trailer) and returns the
/// event without its trailer, and the stored CRC.
///
/// With `clear_in_use`, the CRC is computed as if `LOG_EVENT_BINLOG_IN_USE_F` were clear:
/// the server sets that bit in the FORMAT_DESCRIPTION of an open binlog and clears it on close
/// without recomputing the checksum (MySQL `Log_event::write_header`, binlog.cc
/// `MYSQL_BIN_LOG::close`), so a file copied while the server ran has the bit set and a CRC
/// that only matches with the bit cleared.
pub(crate) fn verify(event: &[u8], offset: u64, clear_in_use: bool) -> Result<(&[u8], u32), Error> {
    let split = event
        .len()
        .checked_sub(CHECKSUM_LEN)
        .filter(|&s| s >= EVENT_HEADER_LEN)
        .ok_or(Error::Malformed {
            what: "event too short for its checksum",
            offset: event.len(),
        })?;
    let (covered, trailer) = event.split_at(split);
    let stored = trailer
        .try_into()
        .map(u32::from_le_bytes)
        .map_err(|_| Error::Malformed {
            what: "event checksum",
            offset: split,
        })?;
    let mut hasher = crc32fast::Hasher::new();
    match (clear_in_use, covered.split_at_checked(FLAGS_OFFSET)) {
        (true, Some((before, flags_and_rest))) => {
            hasher.update(before);
            let low = flags_and_rest.first().copied().unwrap_or(0);
            hasher.update(&[low & !(EventFlags::BINLOG_IN_USE.0 as u8)]);
            hasher.update(flags_and_rest.get(1..).unwrap_or_default());
        }
        _ => hasher.update(covered),
    }
    let computed = hasher.finalize();
    if computed != stored {
        return Err(Error::Checksum {
            offset,
            stored,
            computed,
        });
    }
    Ok((covered, stored))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_crc(mut event: Vec<u8>) -> Vec<u8> {
        let crc = crc32fast::hash(&event);
        event.extend_from_slice(&crc.to_le_bytes());
        event
    }

    #[test]
    fn valid_and_corrupted_trailers() {
        let event = with_crc(vec![7u8; 25]);
        let (covered, crc) = verify(&event, 4, false).unwrap();
        assert_eq!((covered.len(), crc), (25, crc32fast::hash(&[7u8; 25])));
        let mut bad = event.clone();
        bad[20] ^= 1;
        assert!(matches!(
            verify(&bad, 4, false),
            Err(Error::Checksum { offset: 4, .. })
        ));
        assert!(verify(&event[..20], 4, false).is_err());
    }

    #[test]
    fn the_in_use_flag_is_ignored_only_when_asked() {
        let event = with_crc(vec![0u8; 30]);
        let mut in_use = event.clone();
        in_use[FLAGS_OFFSET] |= 1;
        assert!(verify(&in_use, 0, true).is_ok());
        assert!(verify(&in_use, 0, false).is_err());
    }
}
