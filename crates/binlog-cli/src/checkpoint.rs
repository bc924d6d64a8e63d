//! `--checkpoint FILE`: where `binlog tail` resumes, kept in a `binlog_checkpoint::FileStore`
//! (versioned, checksummed, replaced atomically; see docs/checkpoints.md).
//!
//! The position saved is always a transaction boundary whose lines were all written to
//! standard output (see `follow.rs`), so a resume neither skips a row nor starts inside a
//! transaction. Saving is throttled to once per [`SAVE_EVERY`] while the stream runs, and done
//! once more when `tail` ends (Ctrl-C, SIGTERM, `--until-end`, an error).
//!
//! Why not `binlog_signals::start_replication` (replication mode): it checkpoints what the
//! streams have *consumed* (an item counts once its stream is polled again), and saves its
//! last checkpoint when the driver ends, before the streams are drained. For a command whose
//! delivery is "written to standard output", that would name transactions still in the
//! output buffer (loss if the process then dies) and, with `--until-end`, stop behind the lines
//! printed after the driver ended (repeats on the next run). Here the position is taken from
//! what was actually written, so a resume after SIGINT, SIGTERM or `--until-end` neither loses
//! nor repeats. The file format is the same: a checkpoint written by replication mode (with a
//! GTID state) resumes `tail` by GTID, and one written by `tail` resumes replication mode by
//! file and position.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use binlog_checkpoint::{Checkpoint, CheckpointStore as _, FileStore, Flavor};
use binlog_signals::BinlogPosition;

/// Least time between two saves while the stream runs.
pub(crate) const SAVE_EVERY: Duration = Duration::from_secs(1);

/// Saves positions to a checkpoint file.
pub(crate) struct Saver {
    store: FileStore,
    flavor: Option<Flavor>,
    saved: Option<BinlogPosition>,
    saved_at: Option<Instant>,
}

impl Saver {
    pub(crate) fn new(path: &Path) -> Saver {
        Saver {
            store: FileStore::new(path),
            flavor: None,
            saved: None,
            saved_at: None,
        }
    }

    /// The checkpoint in the file, if one was saved.
    pub(crate) async fn load(&self) -> Result<Option<Checkpoint>, binlog_checkpoint::Error> {
        self.store.load().await
    }

    /// The server's flavour, recorded in the checkpoint (from the stream's
    /// FORMAT_DESCRIPTION event, or from a loaded checkpoint).
    pub(crate) fn set_flavor(&mut self, flavor: Flavor) {
        self.flavor = Some(flavor);
    }

    /// When `position` is not saved yet because of the throttle: how long until it may be.
    pub(crate) fn pending(&self, position: &BinlogPosition) -> Option<Duration> {
        if self.saved.as_ref() == Some(position) {
            return None;
        }
        let since = self.saved_at.map_or(SAVE_EVERY, |at| at.elapsed());
        Some(SAVE_EVERY.saturating_sub(since))
    }

    /// Saves `position` unless it is already saved or, without `force`, the last save was
    /// less than [`SAVE_EVERY`] ago.
    pub(crate) async fn save(
        &mut self,
        position: &BinlogPosition,
        force: bool,
    ) -> Result<(), binlog_checkpoint::Error> {
        if self.saved.as_ref() == Some(position) {
            return Ok(());
        }
        if !force && self.saved_at.is_some_and(|at| at.elapsed() < SAVE_EVERY) {
            return Ok(());
        }
        let saved_at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let checkpoint = Checkpoint::new(
            self.flavor.unwrap_or(Flavor::Mysql),
            position.file(),
            position.position(),
        )
        .with_saved_at(saved_at);
        self.store.save(&checkpoint).await?;
        self.saved = Some(position.clone());
        self.saved_at = Some(Instant::now());
        Ok(())
    }
}
