//! Read a MySQL/MariaDB binary log over the replication protocol and receive every change as
//! async streams ("signals").
//!
//! The shape follows `tokio-postgres`: [`connect`] returns a [`Client`] handle that creates
//! streams and a [`Driver`] future that owns the socket and publishes every binlog event to
//! them. One named [`Stream`] type per signal, as in python-mysql-replication-blinker:
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
//! # Example
//!
//! ```no_run
//! use futures::StreamExt;
//!
//! # async fn example() -> Result<(), binlog_signals::Error> {
//! let config = binlog_signals::Config::from_url("mysql://repl:secret@127.0.0.1:3306/?start=end")?;
//! let (client, driver) = binlog_signals::connect(config).await?;
//! // Subscribe first, then let the driver run: no event is missed.
//! let mut rows_inserted = client.rows_inserted().table("db0.table1");
//! let driver = tokio::spawn(driver);
//! while let Some(ev) = rows_inserted.next().await {
//!     let ev = ev?;
//!     for row in ev.rows() {
//!         // Column names with typed values; the primary key; the seed's `meta`.
//!         println!("{:?} keys={:?} at {}", row.values(), row.keys().collect::<Vec<_>>(), ev.position());
//!     }
//!     # break;
//! }
//! client.shutdown(); // ends the streams after the event in flight
//! let resume_from = driver.await.expect("driver task")?;
//! println!("stopped at {resume_from}");
//! # Ok(())
//! # }
//! ```
//!
//! Items are `serde::Serialize`: a [`RowsEvent`] serializes as the seed's
//! `(table, rows, meta)` (see [`RowsEvent`]).
//!
//! # Column names
//!
//! From the TABLE_MAP event when the server writes full metadata
//! (`binlog_row_metadata=FULL`); otherwise from `information_schema.COLUMNS` on a second
//! connection (same account), cached per table and re-read after DDL; when the server's
//! current definition does not match the event's column count, positional names `@1`, `@2`...
//! and a warning: a value never gets another column's name. [`Columns::source`] says which.
//!
//! # Delivery
//!
//! Every stream has its own bounded channel ([`Config::channel_capacity`]). By default a full
//! channel pauses reading from the server (backpressure): a slow consumer slows the
//! connection, nothing is dropped. With [`LagPolicy::Drop`] a subscriber that stays full is
//! dropped instead; its stream yields what it buffered, then [`Error::Lagged`], then ends.
//! Loss is never silent. A fatal connection error is yielded by every stream after its
//! buffered items (and returned by the driver); a graceful end ([`Client::shutdown`], or the
//! end of the binlog with [`Config::blocking`] off) just ends the streams.
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
pub mod config;
mod driver;
mod error;
pub mod filter;
mod hub;
mod item;
mod schema;
mod streams;
mod tls;
mod wire;

pub use client::Client;
pub use config::{Config, ConfigBuilder, ConfigError, LagPolicy, Reconnect, Start, TlsMode, TlsOptions};
pub use driver::{Checkpoints, DEFAULT_CHECKPOINT_INTERVAL, Driver, connect, start_replication};
pub use error::{Error, ServerError};
pub use filter::{TableFilter, TablePattern};
pub use item::{BinlogEvent, BinlogPosition, Columns, Image, NameSource, Row, RowAction, RowsEvent};
pub use streams::{BinlogEvents, BinlogPositions, RowsDeleted, RowsInserted, RowsUpdated};

/// The checkpoint crate replication mode stores its positions with.
pub use binlog_checkpoint;
/// Event type codes used by [`BinlogEvent`], re-exported from `binlog-proto`.
pub use binlog_proto::event::EventType;
/// GTID types used by [`Start`], re-exported from `binlog-proto`.
pub use binlog_proto::gtid;
