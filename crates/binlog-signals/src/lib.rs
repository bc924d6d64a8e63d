//! Read a MySQL/MariaDB binary log over the replication protocol and receive every change as
//! async streams ("signals").
//!
//! The shape follows `tokio-postgres`: a [`Client`] handle creates streams, a driver future
//! owns the socket and publishes every binlog event to them. One named [`Stream`] type per
//! signal, as in python-mysql-replication-blinker:
//!
//! | signal | stream | item |
//! |---|---|---|
//! | `rows_inserted` | [`RowsInserted`] | [`RowsEvent`] |
//! | `rows_updated` | [`RowsUpdated`] | [`RowsEvent`] |
//! | `rows_deleted` | [`RowsDeleted`] | [`RowsEvent`] |
//! | `binlog_signal` | [`BinlogEvents`] | [`BinlogEvent`] |
//! | `binlog_position_signal` | [`BinlogPositions`] | [`BinlogPosition`] |
//!
//! The seed's "sender" filter (`"schema.table"`) is a builder method on the stream, with
//! wildcards: `client.rows_inserted().table("shop.*")` (see [`TablePattern`]).
//!
//! # Delivery
//!
//! Every stream has its own bounded channel ([`Config::channel_capacity`]). By default a full
//! channel pauses reading from the server (backpressure): a slow consumer slows the
//! connection, nothing is dropped. With [`LagPolicy::Drop`] a subscriber that stays full is
//! dropped instead; its stream yields what it buffered, then [`Error::Lagged`], then ends.
//! Loss is never silent. A fatal connection error is yielded by every stream after its
//! buffered items; a graceful end just ends the streams.
//!
//! # Configuration
//!
//! ```
//! let config = binlog_signals::Config::from_url(
//!     "mysql://repl:pa%24%24word@db.internal/?ssl-mode=verify_identity&include=shop.*",
//! )?;
//! assert_eq!(config.user(), "repl");
//! # Ok::<(), binlog_signals::ConfigError>(())
//! ```
//!
//! [`Stream`]: futures::Stream

mod client;
mod driver;
pub mod config;
mod error;
pub mod filter;
mod hub;
mod item;
mod schema;
mod streams;
mod tls;
mod wire;

pub use client::Client;
pub use driver::{Driver, connect};
pub use config::{Config, ConfigBuilder, ConfigError, LagPolicy, Start, TlsMode, TlsOptions};
pub use error::{Error, ServerError};
pub use filter::{TableFilter, TablePattern};
pub use item::{BinlogEvent, BinlogPosition, Columns, Image, NameSource, Row, RowAction, RowsEvent};
pub use streams::{BinlogEvents, BinlogPositions, RowsDeleted, RowsInserted, RowsUpdated};

/// Event type codes used by [`BinlogEvent`], re-exported from `binlog-proto`.
pub use binlog_proto::event::EventType;
/// GTID types used by [`Start`], re-exported from `binlog-proto`.
pub use binlog_proto::gtid;
