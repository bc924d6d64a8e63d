//! TRANSACTION_PAYLOAD_EVENT (MySQL 8.0.20+, `binlog_transaction_compression=ON`): a whole
//! transaction's events, compressed together.
//!
//! Body (MySQL `Transaction_payload_event`, codecs/binary.cpp): type-length-value fields with
//! length-encoded type, length and value — payload size (1), compression type (2),
//! uncompressed size (3) — ended by type 0, then the payload. The FORMAT_DESCRIPTION lists
//! 40 as this event's post-header length (a slip in MySQL's table: the value is the type
//! code); the server ignores it and so does this parser. The inner events are complete events
//! without checksums.

use std::borrow::Cow;

use nom::bytes::complete::take;

use crate::codec::lenenc_int;
use crate::compression::uncompress_zstd;
use crate::error::Error;
use crate::event::decoder::{DecodedEvent, Decoder};
use crate::event::header::{EVENT_HEADER_LEN, EventHeader};

/// The compression of a transaction payload (`mysql::binlog::event::compression::type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PayloadCompression(pub u64);

impl PayloadCompression {
    /// Zstandard.
    pub const ZSTD: PayloadCompression = PayloadCompression(0);
    /// Not compressed.
    pub const NONE: PayloadCompression = PayloadCompression(255);
}

/// A TRANSACTION_PAYLOAD_EVENT, decompressed. Iterate its events with
/// [`TransactionPayload::events`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionPayload<'a> {
    /// The compression used.
    pub compression: PayloadCompression,
    /// Size of the payload as stored (compressed).
    pub payload_size: u64,
    /// Size of the payload uncompressed, as declared.
    pub uncompressed_size: Option<u64>,
    data: Cow<'a, [u8]>,
    offset: u64,
}

impl<'a> TransactionPayload<'a> {
    /// The uncompressed inner events, back to back.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// Decodes the inner events one by one with `decoder` (the decoder that decoded this
    /// event: it holds the format description and the table maps the inner events need, and
    /// records the TABLE_MAPs found inside).
    pub fn events<'p, 'd>(&'p self, decoder: &'d mut Decoder) -> PayloadEvents<'p, 'd> {
        PayloadEvents {
            data: &self.data,
            pos: 0,
            decoder,
            outer_offset: self.offset,
            failed: false,
        }
    }
}

/// Iterator over the events inside a [`TransactionPayload`]. An error ends the iteration.
#[derive(Debug)]
pub struct PayloadEvents<'p, 'd> {
    data: &'p [u8],
    pos: usize,
    decoder: &'d mut Decoder,
    outer_offset: u64,
    failed: bool,
}

impl<'p> Iterator for PayloadEvents<'p, '_> {
    type Item = Result<DecodedEvent<'p>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.data.len() {
            return None;
        }
        let result = self.next_event();
        self.failed = result.is_err();
        Some(result.map_err(|source| Error::InEvent {
            event_type: crate::event::EventType::TRANSACTION_PAYLOAD_EVENT,
            offset: self.outer_offset,
            source: Box::new(source),
        }))
    }
}

impl<'p> PayloadEvents<'p, '_> {
    fn next_event(&mut self) -> Result<DecodedEvent<'p>, Error> {
        let rest = self.data.get(self.pos..).unwrap_or_default();
        let offset = self.pos as u64;
        let header = EventHeader::parse(rest).map_err(|_| Error::Truncated {
            offset,
            needed: EVENT_HEADER_LEN as u64,
            available: rest.len() as u64,
        })?;
        let size = header.event_size as usize;
        if size < EVENT_HEADER_LEN {
            return Err(Error::InEvent {
                event_type: header.event_type,
                offset,
                source: Box::new(Error::Malformed {
                    what: "event size smaller than the header",
                    offset: 9,
                }),
            });
        }
        let event = rest.get(..size).ok_or(Error::Truncated {
            offset,
            needed: size as u64,
            available: rest.len() as u64,
        })?;
        self.pos = self.pos.saturating_add(size);
        // Inner events carry no checksum, whatever the binlog's setting.
        self.decoder.decode_at(event, offset, false)
    }
}

/// Field codes of the payload header (`OTW_PAYLOAD_*`, codecs/binary.h).
const END_MARK: u64 = 0;
const PAYLOAD_SIZE: u64 = 1;
const COMPRESSION_TYPE: u64 = 2;
const UNCOMPRESSED_SIZE: u64 = 3;

/// Parses a TRANSACTION_PAYLOAD_EVENT body and decompresses the payload, refusing to produce
/// more than `max_decompressed` bytes. `offset` is the event's position (for errors of the
/// inner events).
pub(crate) fn parse_transaction_payload(
    body: &[u8],
    max_decompressed: usize,
    offset: u64,
) -> Result<TransactionPayload<'_>, Error> {
    let what = "TRANSACTION_PAYLOAD_EVENT header";
    let mut rest = body;
    let mut payload_size = None;
    let mut compression = None;
    let mut uncompressed_size = None;
    loop {
        let at = body.len().saturating_sub(rest.len());
        let bad = |_| Error::Malformed { what, offset: at };
        let (after, field) = lenenc_int(rest).map_err(bad)?;
        if field == END_MARK {
            rest = after;
            break;
        }
        let (after, len) = lenenc_int(after).map_err(bad)?;
        let len = usize::try_from(len).map_err(|_| Error::Malformed { what, offset: at })?;
        let (after, value) = take(len)(after).map_err(bad)?;
        let number = || lenenc_int(value).map(|(_, v)| v).map_err(bad);
        match field {
            PAYLOAD_SIZE => payload_size = Some(number()?),
            COMPRESSION_TYPE => compression = Some(PayloadCompression(number()?)),
            UNCOMPRESSED_SIZE => uncompressed_size = Some(number()?),
            _ => {} // unknown fields are skipped, as the server does
        }
        rest = after;
    }
    let header_len = body.len().saturating_sub(rest.len());
    let (Some(payload_size), Some(compression)) = (payload_size, compression) else {
        return Err(Error::Malformed {
            what: "TRANSACTION_PAYLOAD_EVENT header (payload size or compression type missing)",
            offset: header_len,
        });
    };
    if payload_size != rest.len() as u64 {
        return Err(Error::Malformed {
            what: "TRANSACTION_PAYLOAD_EVENT payload size",
            offset: header_len,
        });
    }
    let data = match compression {
        PayloadCompression::NONE => Cow::Borrowed(rest),
        PayloadCompression::ZSTD => {
            let declared = uncompressed_size.ok_or(Error::Malformed {
                what: "TRANSACTION_PAYLOAD_EVENT header (uncompressed size missing)",
                offset: header_len,
            })?;
            Cow::Owned(uncompress_zstd(rest, declared, max_decompressed)?)
        }
        PayloadCompression(other) => {
            return Err(Error::Unsupported(format!(
                "transaction payload compression type {other}"
            )));
        }
    };
    Ok(TransactionPayload {
        compression,
        payload_size,
        uncompressed_size,
        data,
        offset,
    })
}
