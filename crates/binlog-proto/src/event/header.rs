//! The v4 common event header (19 bytes), shared by every event since MySQL 5.0.
//!
//! Layout (MySQL `libbinlogevents` `Log_event_header`): timestamp u32, type u8, server_id u32,
//! event_size u32 (header + body + checksum), log_pos u32 (position just after this event in
//! the source binlog; 0 for artificial events), flags u16. All little-endian.

use nom::number::complete::{le_u8, le_u16, le_u32};

use crate::codec::parse_all;
use crate::error::Error;
use crate::event::EventType;

/// Length of the v4 common header.
pub const EVENT_HEADER_LEN: usize = 19;

/// Length of the CRC32 trailer of a checksummed event.
pub const CHECKSUM_LEN: usize = 4;

/// Offset of the flags field inside the common header.
pub(crate) const FLAGS_OFFSET: usize = 17;

/// The common header of a binlog event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventHeader {
    /// Seconds since the Unix epoch when the statement began (server clock).
    pub timestamp: u32,
    /// The event's type code. For the pre-GA 5.1 builds whose codes differ, this is the
    /// code after translation (see [`crate::event::FormatDescription`]).
    pub event_type: EventType,
    /// The server that originally wrote the event.
    pub server_id: u32,
    /// Size of the whole event: header, body and checksum.
    pub event_size: u32,
    /// Position just after this event in the binlog it was written to (0 for artificial
    /// events, and for events inside a transaction payload).
    pub log_pos: u32,
    /// Event flags.
    pub flags: EventFlags,
}

impl EventHeader {
    /// Reads the 19-byte header at the start of `input` (the rest of `input` is ignored).
    pub fn parse(input: &[u8]) -> Result<Self, Error> {
        let (_, (timestamp, event_type, server_id, event_size, log_pos, flags)) = parse_all(
            "event header",
            input,
            (le_u32, le_u8, le_u32, le_u32, le_u32, le_u16),
        )?;
        Ok(EventHeader {
            timestamp,
            event_type: EventType(event_type),
            server_id,
            event_size,
            log_pos,
            flags: EventFlags(flags),
        })
    }

    /// Where this event starts in the binlog that wrote it (`log_pos - event_size`), when the
    /// header carries a position.
    pub fn start_position(&self) -> Option<u64> {
        match self.log_pos {
            0 => None,
            end => u64::from(end).checked_sub(u64::from(self.event_size)),
        }
    }

    /// Where the next event starts in the binlog that wrote this one (`log_pos`), when the
    /// header carries a position.
    pub fn next_position(&self) -> Option<u64> {
        match self.log_pos {
            0 => None,
            end => Some(u64::from(end)),
        }
    }
}

/// Event header flags, as an open set of bits (MySQL `LOG_EVENT_*_F`, MariaDB adds its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct EventFlags(pub u16);

impl EventFlags {
    /// `LOG_EVENT_BINLOG_IN_USE_F`: set in the FORMAT_DESCRIPTION of a binlog still open for
    /// writing (or not closed cleanly). The server clears it on close without updating the
    /// checksum, so the CRC is computed with this bit cleared.
    pub const BINLOG_IN_USE: EventFlags = EventFlags(0x0001);
    /// `LOG_EVENT_THREAD_SPECIFIC_F`: the event uses temporary tables of its session.
    pub const THREAD_SPECIFIC: EventFlags = EventFlags(0x0004);
    /// `LOG_EVENT_SUPPRESS_USE_F`: the statement must run without `USE db`.
    pub const SUPPRESS_USE: EventFlags = EventFlags(0x0008);
    /// `LOG_EVENT_ARTIFICIAL_F`: made up by the server (e.g. the first ROTATE of a dump).
    pub const ARTIFICIAL: EventFlags = EventFlags(0x0020);
    /// `LOG_EVENT_RELAY_LOG_F`: written by a replica's I/O thread to its relay log.
    pub const RELAY_LOG: EventFlags = EventFlags(0x0040);
    /// `LOG_EVENT_IGNORABLE_F`: a reader that does not know the event type may skip it.
    pub const IGNORABLE: EventFlags = EventFlags(0x0080);
    /// `LOG_EVENT_NO_FILTER_F`: replication filters must not skip the event.
    pub const NO_FILTER: EventFlags = EventFlags(0x0100);
    /// `LOG_EVENT_MTS_ISOLATE_F`: a multi-threaded applier must run the event alone.
    pub const MTS_ISOLATE: EventFlags = EventFlags(0x0200);
    /// MariaDB `LOG_EVENT_SKIP_REPLICATION_F`: written with `@@skip_replication` set.
    pub const SKIP_REPLICATION: EventFlags = EventFlags(0x8000);

    /// True when every bit of `other` is set.
    pub const fn contains(self, other: EventFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_rotate_header_and_its_positions() {
        // First event of mysql-cdc-rs 5.7/04_rotate/log.bin is the FDE at 4; this is a
        // hand-made ROTATE header: ts 1, type 4, server 7, size 44, log_pos 170, flags 0x20.
        let bytes = [1, 0, 0, 0, 4, 7, 0, 0, 0, 44, 0, 0, 0, 170, 0, 0, 0, 0x20, 0];
        let header = EventHeader::parse(&bytes).unwrap();
        assert_eq!(header.event_type, EventType::ROTATE_EVENT);
        assert_eq!(
            (header.server_id, header.event_size, header.log_pos),
            (7, 44, 170)
        );
        assert!(header.flags.contains(EventFlags::ARTIFICIAL));
        assert!(!header.flags.contains(EventFlags::IGNORABLE));
        assert_eq!(header.start_position(), Some(126));
        assert_eq!(header.next_position(), Some(170));
        assert!(EventHeader::parse(&bytes[..18]).is_err());
    }

    #[test]
    fn artificial_positions_are_absent() {
        let mut bytes = [0u8; 19];
        bytes[9] = 19;
        let header = EventHeader::parse(&bytes).unwrap();
        assert_eq!((header.start_position(), header.next_position()), (None, None));
    }
}
