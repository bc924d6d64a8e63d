//! The stateful event decoder: it keeps the current FORMAT_DESCRIPTION (post-header lengths,
//! checksum algorithm) and the table maps, and turns one event's bytes into an [`Event`].

use std::sync::Arc;

use crate::error::Error;
use crate::event::checksum::verify;
use crate::event::header::{EVENT_HEADER_LEN, EventHeader};
use crate::event::table_map::TableMaps;
use crate::event::{
    Event, EventType, FormatDescription, control, mariadb, mysql_gtid, payload, query, rows, statement,
};
use crate::limits::{DEFAULT_MAX_DECOMPRESSED_SIZE, MAX_CACHED_TABLE_MAPS};

/// One decoded event.
#[derive(Debug)]
pub struct DecodedEvent<'a> {
    /// The common header.
    pub header: EventHeader,
    /// The event.
    pub event: Event<'a>,
    /// The event's CRC32, verified, when the event carries one.
    pub checksum: Option<u32>,
}

/// Decodes binlog events one at a time, from a file or a replication stream.
///
/// The decoder remembers the last FORMAT_DESCRIPTION_EVENT (it says how long each event's
/// post-header is and whether events end with a CRC32) and the table maps that row events
/// refer to. Give it every event of a stream, in order, including FORMAT_DESCRIPTION and
/// ROTATE events.
///
/// Table maps stay across events and rotations: a row event is decoded against the last
/// TABLE_MAP of its table id, and a new map of an id replaces the old one. They are forgotten
/// when a FORMAT_DESCRIPTION says the server restarted (table ids start over), and at a
/// transaction end once more than [`MAX_CACHED_TABLE_MAPS`] are held (every transaction
/// carries the maps of the tables it changes, so nothing is lost). Within a transaction they
/// never exceed [`crate::limits::MAX_HELD_TABLE_MAPS`] maps or
/// [`crate::limits::MAX_HELD_TABLE_MAP_BYTES`] of TABLE_MAP bodies: a stream that goes past
/// either without ending a transaction starts over at its next TABLE_MAP.
///
/// Whether events carry a checksum is learned from each FORMAT_DESCRIPTION. Before the first
/// one — a replication stream starts with an artificial ROTATE — the decoder assumes what
/// [`Decoder::set_checksum`] said (the replication session knows it from
/// `@master_binlog_checksum`); the default is no checksum.
///
/// ```
/// use binlog_proto::event::{Decoder, Event};
///
/// // A ROTATE event (no checksum): header, then position 4 and the next file's name.
/// let mut bytes = vec![0, 0, 0, 0, 4, 1, 0, 0, 0, 43, 0, 0, 0, 0, 0, 0, 0, 0x20, 0];
/// bytes.extend_from_slice(&4u64.to_le_bytes());
/// bytes.extend_from_slice(b"mysql-bin.000002");
/// let mut decoder = Decoder::new();
/// let decoded = decoder.decode(&bytes)?;
/// match decoded.event {
///     Event::Rotate(rotate) => assert_eq!(rotate.next_file, b"mysql-bin.000002"),
///     other => panic!("unexpected {other:?}"),
/// }
/// # Ok::<(), binlog_proto::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Decoder {
    format: Arc<FormatDescription>,
    checksum: bool,
    max_decompressed_size: usize,
    tables: TableMaps,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    /// A decoder for a stream whose FORMAT_DESCRIPTION is still to come.
    pub fn new() -> Self {
        Decoder {
            format: Arc::new(FormatDescription::assumed_v4()),
            checksum: false,
            max_decompressed_size: DEFAULT_MAX_DECOMPRESSED_SIZE,
            tables: TableMaps::new(),
        }
    }

    /// The table maps seen so far, by table id.
    pub fn table_maps(&self) -> &TableMaps {
        &self.tables
    }

    /// The FORMAT_DESCRIPTION in force.
    pub fn format(&self) -> &Arc<FormatDescription> {
        &self.format
    }

    /// True when the next event is expected to end with a CRC32.
    pub fn checksum(&self) -> bool {
        self.checksum
    }

    /// Says whether the events that follow end with a CRC32. The next FORMAT_DESCRIPTION
    /// overrides this.
    pub fn set_checksum(&mut self, on: bool) {
        self.checksum = on;
    }

    /// The largest decompressed TRANSACTION_PAYLOAD or MariaDB compressed event accepted.
    pub fn max_decompressed_size(&self) -> usize {
        self.max_decompressed_size
    }

    /// Sets the largest decompressed size accepted (default
    /// [`crate::limits::DEFAULT_MAX_DECOMPRESSED_SIZE`]).
    pub fn set_max_decompressed_size(&mut self, limit: usize) {
        self.max_decompressed_size = limit;
    }

    /// Decodes one complete event: the 19-byte header, the body and, when checksums are on,
    /// the CRC32 trailer. Errors name the event's type and its start position (from the
    /// header's `log_pos`; 0 for artificial events).
    pub fn decode<'a>(&mut self, event: &'a [u8]) -> Result<DecodedEvent<'a>, Error> {
        let offset = EventHeader::parse(event)
            .ok()
            .and_then(|h| h.start_position())
            .unwrap_or(0);
        let checksum = self.checksum;
        self.decode_at(event, offset, checksum)
    }

    /// Decodes one event found at `offset`; `checksum` says whether it has a CRC trailer.
    pub(crate) fn decode_at<'a>(
        &mut self,
        event: &'a [u8],
        offset: u64,
        checksum: bool,
    ) -> Result<DecodedEvent<'a>, Error> {
        let mut header = EventHeader::parse(event)?;
        header.event_type = self.format.translate(header.event_type);
        let in_event = |source: Error| Error::InEvent {
            event_type: header.event_type,
            offset,
            source: Box::new(source),
        };
        if header.event_size as usize != event.len() {
            return Err(in_event(Error::Malformed {
                what: "event size field (differs from the event's length)",
                offset: 9,
            }));
        }
        if header.event_type == EventType::FORMAT_DESCRIPTION_EVENT {
            return self.decode_format(event, header, offset).map_err(|e| match e {
                Error::Checksum { .. } => e,
                other => in_event(other),
            });
        }
        let (covered, crc) = if checksum {
            let (covered, crc) = verify(event, offset, false)?;
            (covered, Some(crc))
        } else {
            (event, None)
        };
        let body = covered
            .get(usize::from(self.format.header_len)..)
            .ok_or_else(|| {
                in_event(Error::Malformed {
                    what: "event shorter than the common header",
                    offset: covered.len(),
                })
            })?;
        let decoded = self.decode_body(&header, body, offset).map_err(in_event)?;
        if self.tables.len() > MAX_CACHED_TABLE_MAPS && ends_transaction(&decoded) {
            self.tables.clear();
        }
        Ok(DecodedEvent {
            header,
            event: decoded,
            checksum: crc,
        })
    }

    /// Decodes a FORMAT_DESCRIPTION_EVENT and makes it the one in force.
    fn decode_format<'a>(
        &mut self,
        event: &'a [u8],
        header: EventHeader,
        offset: u64,
    ) -> Result<DecodedEvent<'a>, Error> {
        let body = event.get(EVENT_HEADER_LEN..).unwrap_or_default();
        let format = FormatDescription::parse(body)?;
        // With the algorithm OFF the trailer is only room for a checksum and is not checked.
        let crc = if format.checksum_enabled() {
            Some(verify(event, offset, true)?.1)
        } else {
            None
        };
        self.checksum = format.checksum_enabled();
        // Set only in the first binlog a server writes after starting: table ids start over.
        if format.create_timestamp != 0 {
            self.tables.clear();
        }
        let format = Arc::new(format);
        self.format = Arc::clone(&format);
        Ok(DecodedEvent {
            header,
            event: Event::FormatDescription(format),
            checksum: crc,
        })
    }

    /// Dispatches on the event type.
    fn decode_body<'a>(
        &mut self,
        header: &EventHeader,
        body: &'a [u8],
        offset: u64,
    ) -> Result<Event<'a>, Error> {
        let t = header.event_type;
        let phl = self.format.post_header_len(t);
        let limit = self.max_decompressed_size;
        Ok(match t {
            EventType::QUERY_EVENT => Event::Query(query::parse_query(body, phl, false, limit)?),
            EventType::QUERY_COMPRESSED_EVENT => Event::Query(query::parse_query(body, phl, true, limit)?),
            EventType::EXECUTE_LOAD_QUERY_EVENT => {
                Event::ExecuteLoadQuery(query::parse_execute_load_query(body, phl)?)
            }
            EventType::STOP_EVENT => Event::Stop,
            EventType::ROTATE_EVENT => Event::Rotate(control::parse_rotate(body, phl)?),
            EventType::XID_EVENT => Event::Xid(control::parse_xid(body, phl)?),
            EventType::INCIDENT_EVENT => Event::Incident(control::parse_incident(body, phl)?),
            EventType::HEARTBEAT_LOG_EVENT => {
                Event::Heartbeat(control::parse_heartbeat_v1(body, header.log_pos)?)
            }
            EventType::HEARTBEAT_LOG_EVENT_V2 => Event::Heartbeat(control::parse_heartbeat_v2(body)?),
            EventType::XA_PREPARE_LOG_EVENT => Event::XaPrepare(control::parse_xa_prepare(body, phl)?),
            EventType::INTVAR_EVENT => Event::IntVar(statement::parse_intvar(body, phl)?),
            EventType::RAND_EVENT => Event::Rand(statement::parse_rand(body, phl)?),
            EventType::USER_VAR_EVENT => Event::UserVar(statement::parse_user_var(body, phl)?),
            EventType::BEGIN_LOAD_QUERY_EVENT => {
                Event::BeginLoadQuery(statement::parse_load_block(body, phl, "BEGIN_LOAD_QUERY_EVENT")?)
            }
            EventType::APPEND_BLOCK_EVENT => {
                Event::AppendBlock(statement::parse_load_block(body, phl, "APPEND_BLOCK_EVENT")?)
            }
            EventType::ROWS_QUERY_LOG_EVENT => Event::RowsQuery(statement::parse_rows_query(body, phl)?),
            EventType::GTID_LOG_EVENT => Event::Gtid(mysql_gtid::parse_gtid(body, false)?),
            EventType::ANONYMOUS_GTID_LOG_EVENT => Event::Gtid(mysql_gtid::parse_gtid(body, true)?),
            EventType::GTID_TAGGED_LOG_EVENT => Event::Gtid(mysql_gtid::parse_gtid_tagged(body)?),
            EventType::PREVIOUS_GTIDS_LOG_EVENT => {
                Event::PreviousGtids(mysql_gtid::parse_previous_gtids(body, phl)?)
            }
            EventType::TRANSACTION_PAYLOAD_EVENT => {
                Event::TransactionPayload(payload::parse_transaction_payload(body, limit, offset)?)
            }
            EventType::ANNOTATE_ROWS_EVENT => Event::AnnotateRows(mariadb::AnnotateRows {
                sql: body.get(usize::from(phl)..).unwrap_or_default(),
            }),
            EventType::BINLOG_CHECKPOINT_EVENT => {
                Event::BinlogCheckpoint(mariadb::parse_binlog_checkpoint(body, phl)?)
            }
            EventType::GTID_EVENT => Event::MariadbGtid(mariadb::parse_gtid(body, header.server_id)?),
            EventType::GTID_LIST_EVENT => Event::MariadbGtidList(mariadb::parse_gtid_list(body)?),
            EventType::START_ENCRYPTION_EVENT => {
                Event::StartEncryption(mariadb::parse_start_encryption(body)?)
            }
            EventType::TABLE_MAP_EVENT => Event::TableMap(self.tables.parse_and_insert(body, phl)?),
            EventType::PRE_GA_WRITE_ROWS_EVENT
            | EventType::PRE_GA_UPDATE_ROWS_EVENT
            | EventType::PRE_GA_DELETE_ROWS_EVENT
            | EventType::WRITE_ROWS_EVENT_V1
            | EventType::UPDATE_ROWS_EVENT_V1
            | EventType::DELETE_ROWS_EVENT_V1
            | EventType::WRITE_ROWS_EVENT
            | EventType::UPDATE_ROWS_EVENT
            | EventType::DELETE_ROWS_EVENT
            | EventType::PARTIAL_UPDATE_ROWS_EVENT
            | EventType::WRITE_ROWS_COMPRESSED_EVENT_V1
            | EventType::UPDATE_ROWS_COMPRESSED_EVENT_V1
            | EventType::DELETE_ROWS_COMPRESSED_EVENT_V1
            | EventType::WRITE_ROWS_COMPRESSED_EVENT
            | EventType::UPDATE_ROWS_COMPRESSED_EVENT
            | EventType::DELETE_ROWS_COMPRESSED_EVENT => {
                Event::Rows(rows::parse_rows_event(t, body, phl, &self.tables)?)
            }
            _ => Event::Unknown { event_type: t, body },
        })
    }
}

/// True for the events that end a transaction: XID, `COMMIT` (non-transactional engines,
/// MariaDB), XA_PREPARE.
fn ends_transaction(event: &Event<'_>) -> bool {
    match event {
        Event::Xid(_) | Event::XaPrepare(_) => true,
        Event::Query(q) => q.sql.as_ref() == b"COMMIT",
        _ => false,
    }
}
