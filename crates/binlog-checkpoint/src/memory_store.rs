//! [`MemoryStore`]: a checkpoint kept in memory.

use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;

use crate::checkpoint::Checkpoint;
use crate::error::Result;
use crate::store::CheckpointStore;

/// A [`CheckpointStore`] in memory: for tests, and for applications that persist the position
/// themselves (read [`MemoryStore::current`] and store it with their own data, in the same
/// transaction).
///
/// `save` validates like every store does, so a test using it catches checkpoints a
/// [`crate::FileStore`] would refuse.
///
/// ```
/// use std::sync::Arc;
/// use binlog_checkpoint::{Checkpoint, CheckpointStore, Flavor, MemoryStore};
///
/// let store = Arc::new(MemoryStore::new());
/// let for_the_stream: Box<dyn CheckpointStore> = Box::new(Arc::clone(&store));
/// # futures::executor::block_on(async {
/// for_the_stream.save(&Checkpoint::new(Flavor::Mariadb, "mysql-bin.000001", 328)).await?;
/// # Ok::<(), binlog_checkpoint::Error>(())
/// # }).unwrap();
/// assert_eq!(store.current().map(|c| c.binlog_position), Some(328));
/// assert_eq!(store.save_count(), 1);
/// ```
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    current: Option<Checkpoint>,
    saves: u64,
}

impl MemoryStore {
    /// An empty store: `load` returns `None` until the first save.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store that already holds `checkpoint` (as if restarting from it).
    pub fn with_checkpoint(checkpoint: Checkpoint) -> Self {
        MemoryStore {
            state: Mutex::new(State {
                current: Some(checkpoint),
                saves: 0,
            }),
        }
    }

    /// The checkpoint held now.
    pub fn current(&self) -> Option<Checkpoint> {
        self.lock().current.clone()
    }

    /// How many saves succeeded since the store was created.
    pub fn save_count(&self) -> u64 {
        self.lock().saves
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is replaced whole under the lock, so it is consistent even after a panic.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl CheckpointStore for MemoryStore {
    async fn load(&self) -> Result<Option<Checkpoint>> {
        Ok(self.current())
    }

    async fn save(&self, checkpoint: &Checkpoint) -> Result<()> {
        checkpoint.validate()?;
        let mut state = self.lock();
        state.current = Some(checkpoint.clone());
        state.saves = state.saves.saturating_add(1);
        Ok(())
    }
}
