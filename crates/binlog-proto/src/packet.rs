//! Packet framing: a 3-byte little-endian payload length and a 1-byte sequence id, then the
//! payload. A payload of 2^24-1 bytes or more is split into chunks of exactly 0xffffff bytes,
//! each followed by another chunk; the last chunk is shorter (possibly empty). See the MySQL
//! source documentation, "MySQL Packets" (`sql-common/net_serv.cc`, `my_net_write`).
//!
//! [`PacketReader`] reassembles packets from bytes fed in any slicing; "need more bytes" is
//! `Ok(None)`. A packet that fits in one chunk is split off the read buffer without copying.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::error::{Error, Result};
use crate::limits::{DEFAULT_MAX_PACKET_SIZE, MAX_PACKET_CHUNK};

/// Length of a packet header.
pub const HEADER_LEN: usize = 4;

/// One reassembled packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// Sequence id of the packet's first chunk.
    pub seq: u8,
    /// The payload (continuation chunks joined).
    pub payload: Bytes,
}

/// Reassembles packets from a byte stream, checking sizes and sequence ids.
#[derive(Debug)]
pub struct PacketReader {
    buf: BytesMut,
    max_packet_size: usize,
    next_seq: u8,
    check_sequence: bool,
}

impl Default for PacketReader {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_PACKET_SIZE)
    }
}

impl PacketReader {
    /// A reader accepting packets of at most `max_packet_size` bytes (after reassembly).
    pub fn new(max_packet_size: usize) -> Self {
        PacketReader {
            buf: BytesMut::new(),
            max_packet_size,
            next_seq: 0,
            check_sequence: true,
        }
    }

    /// Turns sequence-id checking on or off (on by default). Off is for observers that join a
    /// conversation in the middle, such as capture readers.
    pub fn set_check_sequence(&mut self, check: bool) {
        self.check_sequence = check;
    }

    /// Appends received bytes.
    pub fn feed(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// The read buffer, for callers that read from a socket straight into it (e.g. tokio's
    /// `read_buf`) instead of calling [`PacketReader::feed`].
    pub fn buffer_mut(&mut self) -> &mut BytesMut {
        &mut self.buf
    }

    /// Bytes received but not yet returned as packets.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The sequence id the next packet must carry.
    pub fn next_seq(&self) -> u8 {
        self.next_seq
    }

    /// Sets the sequence id expected next (a new command restarts at 0; after the client wrote
    /// packets, the server continues after the client's last id).
    pub fn set_next_seq(&mut self, seq: u8) {
        self.next_seq = seq;
    }

    /// Returns the next complete packet, `Ok(None)` when more bytes are needed.
    ///
    /// The declared length is checked against the limit as soon as a chunk header is
    /// available, before the payload arrives, and nothing is allocated for it before that.
    pub fn next_packet(&mut self) -> Result<Option<Packet>> {
        let Some((seq, total, chunks)) = self.scan()? else {
            return Ok(None);
        };
        let seq = self.check_seq(seq, chunks)?;
        let payload = if chunks == 1 {
            self.buf.advance(HEADER_LEN);
            self.buf.split_to(total).freeze()
        } else {
            let mut joined = BytesMut::with_capacity(total);
            for _ in 0..chunks {
                let len = chunk_len(&self.buf).unwrap_or(0);
                self.buf.advance(HEADER_LEN);
                joined.put(self.buf.split_to(len));
            }
            joined.freeze()
        };
        Ok(Some(Packet { seq, payload }))
    }

    /// Walks the chunk headers of the next packet without consuming anything: returns the
    /// first sequence id, the total payload length and the number of chunks once every chunk
    /// is fully buffered.
    fn scan(&self) -> Result<Option<(u8, usize, usize)>> {
        let mut at = 0usize;
        let mut total = 0usize;
        let mut chunks = 0usize;
        let mut first_seq = None;
        loop {
            let Some(header) = self.buf.get(at..).filter(|rest| rest.len() >= HEADER_LEN) else {
                return Ok(None);
            };
            let len = chunk_len(header).unwrap_or(0);
            first_seq.get_or_insert(header.get(3).copied().unwrap_or(0));
            total = total.saturating_add(len);
            if total > self.max_packet_size {
                return Err(Error::TooLarge {
                    what: "packet",
                    declared: total as u64,
                    limit: self.max_packet_size as u64,
                });
            }
            chunks = chunks.saturating_add(1);
            at = at.saturating_add(HEADER_LEN).saturating_add(len);
            if self.buf.len() < at {
                return Ok(None);
            }
            if len < MAX_PACKET_CHUNK {
                return Ok(first_seq.map(|seq| (seq, total, chunks)));
            }
        }
    }

    /// Checks the first chunk's sequence id (the others follow it by construction only if the
    /// peer is well behaved, so each is checked) and advances the expected id.
    fn check_seq(&mut self, first: u8, chunks: usize) -> Result<u8> {
        let mut at = 0usize;
        for _ in 0..chunks {
            let header = self.buf.get(at..).unwrap_or_default();
            let seq = header.get(3).copied().unwrap_or(0);
            // An ERR packet is reported as the server error even out of sequence: some servers
            // send one with a fresh id before closing an idle connection.
            let is_err = at == 0 && header.get(HEADER_LEN) == Some(&0xff);
            if self.check_sequence && seq != self.next_seq && !is_err {
                return Err(Error::PacketOutOfOrder {
                    expected: self.next_seq,
                    found: seq,
                });
            }
            self.next_seq = seq.wrapping_add(1);
            at = at
                .saturating_add(HEADER_LEN)
                .saturating_add(chunk_len(header).unwrap_or(0));
        }
        Ok(first)
    }
}

/// The payload length in a chunk header.
fn chunk_len(header: &[u8]) -> Option<usize> {
    match header {
        [a, b, c, ..] => Some(usize::from(*a) | usize::from(*b) << 8 | usize::from(*c) << 16),
        _ => None,
    }
}

/// Appends `payload` as one packet (split into chunks as needed) starting at sequence id
/// `*seq`; `*seq` is left at the id following the last chunk written.
pub fn write_packet(out: &mut BytesMut, seq: &mut u8, payload: &[u8]) {
    let mut rest = payload;
    loop {
        let (chunk, tail) = rest.split_at(rest.len().min(MAX_PACKET_CHUNK));
        out.reserve(HEADER_LEN.saturating_add(chunk.len()));
        let len = chunk.len() as u32;
        out.put_slice(&len.to_le_bytes()[..3]);
        out.put_u8(*seq);
        out.put_slice(chunk);
        *seq = seq.wrapping_add(1);
        rest = tail;
        // A full chunk is always followed by another one, possibly empty.
        if chunk.len() < MAX_PACKET_CHUNK {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(seq: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = BytesMut::new();
        let mut s = seq;
        write_packet(&mut out, &mut s, payload);
        out.to_vec()
    }

    #[test]
    fn reads_a_packet_fed_one_byte_at_a_time() {
        let wire = [framed(0, b"hello"), framed(1, b"")].concat();
        let mut reader = PacketReader::default();
        let mut packets = Vec::new();
        for byte in &wire {
            reader.feed(&[*byte]);
            while let Some(p) = reader.next_packet().unwrap() {
                packets.push(p);
            }
        }
        assert_eq!(
            packets,
            vec![
                Packet {
                    seq: 0,
                    payload: Bytes::from_static(b"hello")
                },
                Packet {
                    seq: 1,
                    payload: Bytes::new()
                }
            ]
        );
        assert_eq!(reader.buffered(), 0);
    }

    #[test]
    fn single_chunk_payload_is_split_off_the_read_buffer_without_copying() {
        let mut reader = PacketReader::default();
        reader.feed(&framed(0, b"abcdef"));
        let start = reader.buffer_mut().as_ptr() as usize;
        let packet = reader.next_packet().unwrap().unwrap();
        assert_eq!(packet.payload.as_ptr() as usize, start + HEADER_LEN);
    }

    #[test]
    fn payload_of_exactly_one_full_chunk_is_followed_by_an_empty_chunk() {
        let payload = vec![7u8; MAX_PACKET_CHUNK];
        let wire = framed(3, &payload);
        assert_eq!(wire.len(), 2 * HEADER_LEN + MAX_PACKET_CHUNK);
        assert_eq!(&wire[wire.len() - 4..], &[0, 0, 0, 4]);
        let mut reader = PacketReader::default();
        reader.set_next_seq(3);
        // Without the trailing empty chunk the packet is not complete.
        reader.feed(&wire[..wire.len() - 4]);
        assert_eq!(reader.next_packet().unwrap(), None);
        reader.feed(&wire[wire.len() - 4..]);
        let packet = reader.next_packet().unwrap().unwrap();
        assert_eq!((packet.seq, packet.payload.len()), (3, MAX_PACKET_CHUNK));
        assert_eq!(reader.next_seq(), 5);
    }

    #[test]
    fn continuation_chunks_are_joined() {
        let payload: Vec<u8> = (0..MAX_PACKET_CHUNK + 10).map(|i| i as u8).collect();
        let wire = framed(255, &payload);
        let mut reader = PacketReader::default();
        reader.set_next_seq(255);
        for piece in wire.chunks(1 << 20) {
            reader.feed(piece);
        }
        let packet = reader.next_packet().unwrap().unwrap();
        assert_eq!(packet.payload, payload);
        // Sequence ids wrap around.
        assert_eq!(reader.next_seq(), 1);
    }

    #[test]
    fn oversized_declared_length_is_refused_before_the_payload_arrives() {
        let mut reader = PacketReader::new(100);
        reader.feed(&[101, 0, 0, 0]);
        assert_eq!(
            reader.next_packet(),
            Err(Error::TooLarge {
                what: "packet",
                declared: 101,
                limit: 100
            })
        );
        // The limit applies to the reassembled size too.
        let mut reader = PacketReader::new(MAX_PACKET_CHUNK + 5);
        reader.feed(&[0xff, 0xff, 0xff, 0]);
        reader.feed(&vec![0; MAX_PACKET_CHUNK]);
        reader.feed(&[6, 0, 0, 1]);
        assert!(
            matches!(reader.next_packet(), Err(Error::TooLarge { declared, .. }) if declared == MAX_PACKET_CHUNK as u64 + 6)
        );
    }

    #[test]
    fn out_of_order_sequence_id_is_an_error_except_for_err_packets() {
        let mut reader = PacketReader::default();
        reader.feed(&framed(2, b"\x00"));
        assert_eq!(
            reader.next_packet(),
            Err(Error::PacketOutOfOrder {
                expected: 0,
                found: 2
            })
        );
        let mut reader = PacketReader::default();
        reader.set_next_seq(5);
        reader.feed(&framed(0, b"\xff\x15\x04boom"));
        assert_eq!(reader.next_packet().unwrap().unwrap().seq, 0);
        let mut reader = PacketReader::default();
        reader.set_check_sequence(false);
        reader.feed(&framed(9, b"x"));
        assert!(reader.next_packet().unwrap().is_some());
    }

    #[test]
    fn truncated_input_needs_more_data_at_every_length() {
        let wire = framed(0, b"some payload");
        for cut in 0..wire.len() {
            let mut reader = PacketReader::default();
            reader.feed(&wire[..cut]);
            assert_eq!(reader.next_packet().unwrap(), None, "cut at {cut}");
        }
    }
}
