//! The [`CheckpointStore`] trait.

use std::sync::Arc;

use async_trait::async_trait;

use crate::checkpoint::Checkpoint;
use crate::error::Result;

/// Somewhere a [`Checkpoint`] survives restarts.
///
/// Object-safe: a replication stream takes a `Box<dyn CheckpointStore>` (or an
/// `Arc<dyn CheckpointStore>`). Implement it for your own storage (a database row, an object
/// store, a key-value service), reporting failures as [`crate::Error::Store`].
///
/// Contract for implementations:
/// - `save` is durable when it returns `Ok`: a `load` after a crash of the process (or, for
///   [`crate::FileStore`], of the machine) returns that checkpoint or a later one.
/// - A crash during `save` leaves the previous checkpoint or the new one, never a mix.
/// - `load` returns `Ok(None)` only when nothing was ever saved; anything unreadable is an
///   error.
/// - The futures must not block the executor thread for long (no blocking I/O on it).
///
/// ```
/// use binlog_checkpoint::{Checkpoint, CheckpointStore, Flavor, MemoryStore};
///
/// # futures::executor::block_on(async {
/// let store: Box<dyn CheckpointStore> = Box::new(MemoryStore::new());
/// assert_eq!(store.load().await?, None);
/// let checkpoint = Checkpoint::new(Flavor::Mysql, "binlog.000001", 157);
/// store.save(&checkpoint).await?;
/// assert_eq!(store.load().await?, Some(checkpoint));
/// # Ok::<(), binlog_checkpoint::Error>(())
/// # }).unwrap();
/// ```
#[async_trait]
pub trait CheckpointStore: Send + Sync {
    /// The last saved checkpoint, or `None` if none was ever saved.
    async fn load(&self) -> Result<Option<Checkpoint>>;

    /// Durably replaces the stored checkpoint with `checkpoint`. Fails with
    /// [`crate::Error::Invalid`] when [`Checkpoint::validate`] does.
    async fn save(&self, checkpoint: &Checkpoint) -> Result<()>;
}

#[async_trait]
impl<T: CheckpointStore + ?Sized> CheckpointStore for Arc<T> {
    async fn load(&self) -> Result<Option<Checkpoint>> {
        (**self).load().await
    }

    async fn save(&self, checkpoint: &Checkpoint) -> Result<()> {
        (**self).save(checkpoint).await
    }
}

#[async_trait]
impl<T: CheckpointStore + ?Sized> CheckpointStore for Box<T> {
    async fn load(&self) -> Result<Option<Checkpoint>> {
        (**self).load().await
    }

    async fn save(&self, checkpoint: &Checkpoint) -> Result<()> {
        (**self).save(checkpoint).await
    }
}
