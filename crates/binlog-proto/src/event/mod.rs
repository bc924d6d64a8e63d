//! Binlog events: the common header, every event type, the stateful [`Decoder`].
//!
//! Events borrow from the bytes they were decoded from. Events whose content is compressed
//! (TRANSACTION_PAYLOAD, MariaDB QUERY_COMPRESSED) hold their decompressed bytes.

mod checksum;
mod control;
mod decoder;
mod event_type;
mod format;
mod header;
mod mariadb;
mod mysql_gtid;
mod payload;
mod query;
pub mod rows;
mod serialization;
mod statement;
pub mod table_map;

use std::sync::Arc;

use crate::gtid::GtidSet;

pub use control::{Heartbeat, Incident, Rotate, XaId, XaPrepare, Xid};
pub use decoder::{DecodedEvent, Decoder};
pub use event_type::EventType;
pub use format::{ChecksumAlgorithm, FormatDescription, ServerFlavor};
pub use header::{CHECKSUM_LEN, EVENT_HEADER_LEN, EventFlags, EventHeader};
pub use mariadb::{AnnotateRows, BinlogCheckpoint, MariadbGtidEvent, MariadbGtidListEvent, StartEncryption};
pub use mysql_gtid::{GtidEvent, LogicalClock};
pub use payload::{PayloadCompression, PayloadEvents, TransactionPayload};
pub use query::{AutoIncrement, ExecuteLoadQuery, Invoker, Query, QueryCharset, StatusVars, UpdatedDbNames};
pub use rows::RowsEvent;
pub use statement::{IntVar, LoadBlock, Rand, RowsQuery, UserVar, UserVarValue};
pub use table_map::{TableMap, TableMaps};

/// A decoded binlog event.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// FORMAT_DESCRIPTION_EVENT: the layout of the events that follow.
    FormatDescription(Arc<FormatDescription>),
    /// ROTATE_EVENT: continue in another binlog file.
    Rotate(Rotate<'a>),
    /// QUERY_EVENT, or MariaDB QUERY_COMPRESSED_EVENT (decompressed).
    Query(Query<'a>),
    /// XID_EVENT: commit.
    Xid(Xid),
    /// GTID_LOG_EVENT, ANONYMOUS_GTID_LOG_EVENT or GTID_TAGGED_LOG_EVENT (MySQL).
    Gtid(GtidEvent),
    /// PREVIOUS_GTIDS_LOG_EVENT: the GTIDs of all earlier binlogs (MySQL).
    PreviousGtids(GtidSet),
    /// ROWS_QUERY_LOG_EVENT: the statement behind the next row events (MySQL).
    RowsQuery(RowsQuery<'a>),
    /// TRANSACTION_PAYLOAD_EVENT: a compressed transaction (MySQL 8.0.20+).
    TransactionPayload(TransactionPayload<'a>),
    /// HEARTBEAT_LOG_EVENT or HEARTBEAT_LOG_EVENT_V2 (replication stream only).
    Heartbeat(Heartbeat<'a>),
    /// INTVAR_EVENT.
    IntVar(IntVar),
    /// RAND_EVENT.
    Rand(Rand),
    /// USER_VAR_EVENT.
    UserVar(UserVar<'a>),
    /// STOP_EVENT: the server stopped.
    Stop,
    /// INCIDENT_EVENT.
    Incident(Incident<'a>),
    /// XA_PREPARE_LOG_EVENT.
    XaPrepare(XaPrepare<'a>),
    /// BEGIN_LOAD_QUERY_EVENT: first block of a `LOAD DATA` file.
    BeginLoadQuery(LoadBlock<'a>),
    /// APPEND_BLOCK_EVENT: further block of a `LOAD DATA` file.
    AppendBlock(LoadBlock<'a>),
    /// EXECUTE_LOAD_QUERY_EVENT: the `LOAD DATA` statement.
    ExecuteLoadQuery(ExecuteLoadQuery<'a>),
    /// MariaDB ANNOTATE_ROWS_EVENT.
    AnnotateRows(AnnotateRows<'a>),
    /// MariaDB BINLOG_CHECKPOINT_EVENT.
    BinlogCheckpoint(BinlogCheckpoint<'a>),
    /// MariaDB GTID_EVENT.
    MariadbGtid(MariadbGtidEvent<'a>),
    /// MariaDB GTID_LIST_EVENT.
    MariadbGtidList(MariadbGtidListEvent),
    /// MariaDB START_ENCRYPTION_EVENT: the rest of the file is encrypted.
    StartEncryption(StartEncryption),
    /// TABLE_MAP_EVENT: the table that the next row events change, as now held in the
    /// decoder's table maps.
    TableMap(Arc<TableMap>),
    /// WRITE/UPDATE/DELETE_ROWS (v0, v1, v2), PARTIAL_UPDATE_ROWS, and MariaDB's compressed
    /// row events: row images, decoded lazily.
    Rows(RowsEvent<'a>),
    /// An event this crate does not decode (including IGNORABLE, TRANSACTION_CONTEXT,
    /// VIEW_CHANGE, the pre-5.0 LOAD events and vendor events such as Aurora's type 100).
    Unknown {
        /// The type code.
        event_type: EventType,
        /// The body (after the common header, without the checksum).
        body: &'a [u8],
    },
}
