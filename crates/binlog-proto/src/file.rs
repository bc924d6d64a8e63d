//! Binlog files: the 4-byte magic, then events back to back.
//!
//! [`BinlogFile`] iterates over a file held in memory (events borrow from it);
//! [`BinlogReader`] reads from any [`std::io::Read`] with one reused buffer, so memory stays
//! bounded by the largest event.

use std::io::Read;

use crate::error::Error;
use crate::event::{DecodedEvent, Decoder, EVENT_HEADER_LEN, Event, EventHeader, EventType};
use crate::limits::MAX_EVENT_SIZE;

/// The first four bytes of every binlog and relay log file (`BINLOG_MAGIC`).
pub const BINLOG_MAGIC: [u8; 4] = [0xfe, b'b', b'i', b'n'];

/// One event of a binlog file.
#[derive(Debug)]
pub struct FileEvent<'a> {
    /// Offset of the event's first byte in the file.
    pub offset: u64,
    /// The common header.
    pub header: EventHeader,
    /// The event.
    pub event: Event<'a>,
    /// The event's CRC32, verified, when it has one.
    pub checksum: Option<u32>,
}

impl FileEvent<'_> {
    /// Offset just past the event (where the next one starts).
    pub fn end_offset(&self) -> u64 {
        self.offset.saturating_add(u64::from(self.header.event_size))
    }

    fn new(offset: u64, decoded: DecodedEvent<'_>) -> FileEvent<'_> {
        FileEvent {
            offset,
            header: decoded.header,
            event: decoded.event,
            checksum: decoded.checksum,
        }
    }
}

/// Checks the magic at the start of a binlog file.
fn check_magic(head: &[u8]) -> Result<(), Error> {
    if head == BINLOG_MAGIC {
        Ok(())
    } else {
        Err(Error::Malformed {
            what: "binlog file magic (expected fe 62 69 6e)",
            offset: 0,
        })
    }
}

/// Checks a header's declared size against the limits; `offset` is where the event starts.
fn checked_size(header: &EventHeader, offset: u64) -> Result<usize, Error> {
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
    if size > MAX_EVENT_SIZE {
        return Err(Error::InEvent {
            event_type: header.event_type,
            offset,
            source: Box::new(Error::TooLarge {
                what: "event",
                declared: u64::from(header.event_size),
                limit: MAX_EVENT_SIZE as u64,
            }),
        });
    }
    Ok(size)
}

/// Where a file iteration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Reading,
    /// A START_ENCRYPTION_EVENT was read: the next event is encrypted.
    Encrypted,
    /// The file ended or an error was returned.
    Done,
}

/// The events of a binlog file held in memory.
///
/// Iterating yields each event with its file offset; an error (a truncated or corrupt event)
/// is yielded once and ends the iteration. The decoder is reachable through
/// [`BinlogFile::decoder_mut`], e.g. to iterate a transaction payload's inner events.
///
/// ```
/// use binlog_proto::event::Event;
/// use binlog_proto::file::{BINLOG_MAGIC, BinlogFile};
///
/// // A tiny binlog: the magic and one ROTATE event (a real file starts with a
/// // FORMAT_DESCRIPTION; `std::fs::read` it instead).
/// let mut bytes = BINLOG_MAGIC.to_vec();
/// bytes.extend_from_slice(&[0, 0, 0, 0, 4, 1, 0, 0, 0, 43, 0, 0, 0, 47, 0, 0, 0, 0, 0]);
/// bytes.extend_from_slice(&4u64.to_le_bytes());
/// bytes.extend_from_slice(b"mysql-bin.000002");
///
/// let mut file = BinlogFile::new(&bytes)?;
/// while let Some(event) = file.next() {
///     let event = event?;
///     if let Event::TransactionPayload(payload) = &event.event {
///         for inner in payload.events(file.decoder_mut()) {
///             println!("  {}", inner?.header.event_type);
///         }
///     }
///     assert_eq!((event.offset, event.end_offset()), (4, 47));
///     assert!(matches!(event.event, Event::Rotate(r) if r.next_file == b"mysql-bin.000002"));
/// }
/// assert_eq!(file.position(), 47);
/// # Ok::<(), binlog_proto::Error>(())
/// ```
#[derive(Debug)]
pub struct BinlogFile<'a> {
    data: &'a [u8],
    pos: usize,
    decoder: Decoder,
    state: State,
}

impl<'a> BinlogFile<'a> {
    /// Checks the magic and prepares to read the events after it.
    pub fn new(data: &'a [u8]) -> Result<Self, Error> {
        check_magic(data.get(..BINLOG_MAGIC.len()).unwrap_or(data))?;
        Ok(BinlogFile {
            data,
            pos: BINLOG_MAGIC.len(),
            decoder: Decoder::new(),
            state: State::Reading,
        })
    }

    /// The decoder (format description, table maps).
    pub fn decoder(&self) -> &Decoder {
        &self.decoder
    }

    /// The decoder, for inner events of a transaction payload and for settings.
    pub fn decoder_mut(&mut self) -> &mut Decoder {
        &mut self.decoder
    }

    /// Offset of the next event (after the last one read).
    pub fn position(&self) -> u64 {
        self.pos as u64
    }

    /// The next event's bytes, without decoding them.
    fn frame(&self) -> Result<Option<(&'a [u8], u64)>, Error> {
        let rest = self.data.get(self.pos..).unwrap_or_default();
        if rest.is_empty() {
            return Ok(None);
        }
        let offset = self.pos as u64;
        let header = EventHeader::parse(rest).map_err(|_| Error::Truncated {
            offset,
            needed: EVENT_HEADER_LEN as u64,
            available: rest.len() as u64,
        })?;
        let size = checked_size(&header, offset)?;
        let event = rest.get(..size).ok_or(Error::Truncated {
            offset,
            needed: size as u64,
            available: rest.len() as u64,
        })?;
        Ok(Some((event, offset)))
    }

    fn read_next(&mut self) -> Result<Option<FileEvent<'a>>, Error> {
        if self.state == State::Encrypted && self.pos < self.data.len() {
            return Err(Error::Encrypted {
                offset: self.pos as u64,
            });
        }
        let Some((bytes, offset)) = self.frame()? else {
            return Ok(None);
        };
        let checksum = self.decoder.checksum();
        let decoded = self.decoder.decode_at(bytes, offset, checksum)?;
        self.pos = self.pos.saturating_add(bytes.len());
        if let Event::StartEncryption(_) = decoded.event {
            self.state = State::Encrypted;
        }
        Ok(Some(FileEvent::new(offset, decoded)))
    }
}

impl<'a> Iterator for BinlogFile<'a> {
    type Item = Result<FileEvent<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.state == State::Done {
            return None;
        }
        match self.read_next() {
            Ok(Some(event)) => Some(Ok(event)),
            Ok(None) => {
                self.state = State::Done;
                None
            }
            Err(err) => {
                self.state = State::Done;
                Some(Err(err))
            }
        }
    }
}

/// Reads a binlog file from any [`Read`], one event at a time, reusing one buffer.
///
/// The reader only frames events; decoding is done with a [`Decoder`] passed to
/// [`BinlogReader::next_event`], so that a transaction payload's inner events can be decoded
/// with the same decoder while the event is alive.
///
/// ```
/// use binlog_proto::event::{Decoder, EventType};
/// use binlog_proto::file::{BINLOG_MAGIC, BinlogReader};
///
/// let mut bytes = BINLOG_MAGIC.to_vec();
/// bytes.extend_from_slice(&[0, 0, 0, 0, 3, 1, 0, 0, 0, 19, 0, 0, 0, 23, 0, 0, 0, 0, 0]); // STOP
///
/// // Any `Read` will do: a `std::fs::File`, a socket, a decompressor.
/// let mut reader = BinlogReader::new(&bytes[..])?;
/// let mut decoder = Decoder::new();
/// while let Some(event) = reader.next_event(&mut decoder)? {
///     assert_eq!((event.offset, event.header.event_type), (4, EventType::STOP_EVENT));
/// }
/// assert_eq!(reader.position(), 23);
/// # Ok::<(), binlog_proto::Error>(())
/// ```
#[derive(Debug)]
pub struct BinlogReader<R> {
    inner: R,
    buf: Vec<u8>,
    offset: u64,
    state: State,
}

impl<R: Read> BinlogReader<R> {
    /// Reads and checks the magic.
    pub fn new(mut inner: R) -> Result<Self, Error> {
        let mut magic = [0u8; 4];
        let got = read_up_to(&mut inner, &mut magic)?;
        check_magic(magic.get(..got).unwrap_or_default())?;
        Ok(BinlogReader {
            inner,
            buf: Vec::new(),
            offset: BINLOG_MAGIC.len() as u64,
            state: State::Reading,
        })
    }

    /// Offset of the next event.
    pub fn position(&self) -> u64 {
        self.offset
    }

    /// Reads and decodes the next event; `Ok(None)` at the end of the input. After an error,
    /// the reader returns `Ok(None)`.
    pub fn next_event(&mut self, decoder: &mut Decoder) -> Result<Option<FileEvent<'_>>, Error> {
        if self.state == State::Done {
            return Ok(None);
        }
        // Pessimistic: every early return below ends the reading; success restores the state.
        let prior = self.state;
        self.state = State::Done;
        let offset = self.offset;
        let mut head = [0u8; EVENT_HEADER_LEN];
        let got = read_up_to(&mut self.inner, &mut head)?;
        if got == 0 {
            return Ok(None);
        }
        if prior == State::Encrypted {
            return Err(Error::Encrypted { offset });
        }
        let header =
            EventHeader::parse(head.get(..got).unwrap_or_default()).map_err(|_| Error::Truncated {
                offset,
                needed: EVENT_HEADER_LEN as u64,
                available: got as u64,
            })?;
        let size = checked_size(&header, offset)?;
        self.buf.clear();
        self.buf.extend_from_slice(&head);
        let body_len = (size.saturating_sub(EVENT_HEADER_LEN)) as u64;
        // `take` + `read_to_end` grows the buffer with the data actually read, so a lying size
        // field cannot make us allocate more than the input holds.
        let read = (&mut self.inner).take(body_len).read_to_end(&mut self.buf)?;
        if (read as u64) < body_len {
            return Err(Error::Truncated {
                offset,
                needed: size as u64,
                available: (EVENT_HEADER_LEN.saturating_add(read)) as u64,
            });
        }
        let checksum = decoder.checksum();
        let decoded = decoder.decode_at(&self.buf, offset, checksum)?;
        self.offset = offset.saturating_add(size as u64);
        self.state = if decoded.header.event_type == EventType::START_ENCRYPTION_EVENT {
            State::Encrypted
        } else {
            State::Reading
        };
        Ok(Some(FileEvent::new(offset, decoded)))
    }
}

/// Fills `buf` as far as the input allows; returns how many bytes were read.
fn read_up_to(input: &mut impl Read, buf: &mut [u8]) -> Result<usize, Error> {
    let mut filled = 0;
    while let Some(rest) = buf.get_mut(filled..).filter(|r| !r.is_empty()) {
        match input.read(rest) {
            Ok(0) => break,
            Ok(n) => filled = filled.saturating_add(n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(filled)
}
