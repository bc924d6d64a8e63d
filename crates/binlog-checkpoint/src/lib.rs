//! Durable binlog positions for crash-safe resume of MySQL/MariaDB replication.
//!
//! A [`Checkpoint`] says where to resume: the binlog file and position just past the last
//! fully delivered transaction, the GTID state after it (a MySQL [`GtidSet`] or a MariaDB
//! [`MariadbGtidList`]), the server [`Flavor`], and what a person inspecting it wants to know
//! (the source's server id and UUID, when it was saved). A [`CheckpointStore`] keeps it across
//! restarts:
//!
//! - [`FileStore`]: one small, versioned, checksummed text file, replaced atomically (temporary
//!   file, `fsync`, rename, directory `fsync`), so a crash at any moment leaves the old or the
//!   new checkpoint. The format and the crash-safety argument are in `docs/checkpoints.md`.
//! - [`MemoryStore`]: in memory, for tests and for applications that persist positions with
//!   their own data.
//!
//! Checkpoints must only be saved at transaction boundaries; deciding when is the replication
//! stream's job (`binlog-signals`), not this crate's. This crate has no async runtime
//! dependency: [`FileStore`]'s async methods run their blocking I/O on a helper thread.
//!
//! ```
//! use binlog_checkpoint::{Checkpoint, CheckpointStore, FileStore, Flavor, GtidState};
//!
//! # futures::executor::block_on(async {
//! let dir = tempfile::tempdir()?;
//! let store: Box<dyn CheckpointStore> = Box::new(FileStore::new(dir.path().join("cdc.checkpoint")));
//!
//! // First start: nothing saved yet, so start from the server's current position.
//! assert!(store.load().await?.is_none());
//!
//! // After each delivered transaction (at most every few seconds), and on shutdown:
//! let gtids = "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-57:audit:1-3".parse()?;
//! let checkpoint = Checkpoint::new(Flavor::Mysql, "binlog.000042", 8_807)
//!     .with_gtid(GtidState::Mysql(gtids))
//!     .with_saved_at(1_767_225_600);
//! store.save(&checkpoint).await?;
//!
//! // Next start: resume exactly there.
//! assert_eq!(store.load().await?, Some(checkpoint));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! [`GtidSet`]: binlog_proto::gtid::GtidSet
//! [`MariadbGtidList`]: binlog_proto::gtid::MariadbGtidList
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic,
        clippy::arithmetic_side_effects
    )
)]

mod checkpoint;
mod error;
mod file_store;
mod format;
mod memory_store;
mod store;

pub use checkpoint::{Checkpoint, Flavor, GtidState, InvalidCheckpoint, MAX_BINLOG_FILE_LEN, UnknownFlavor};
pub use error::{Error, Result};
pub use file_store::FileStore;
pub use format::{Corruption, DecodeError, FORMAT_VERSION, MAX_ENCODED_SIZE};
pub use memory_store::MemoryStore;
pub use store::CheckpointStore;

/// The GTID types a [`Checkpoint`] holds, re-exported from `binlog-proto`.
pub use binlog_proto::gtid;
