//! [`FileStore`]: a checkpoint in a file, replaced atomically.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;

use async_trait::async_trait;

use crate::checkpoint::Checkpoint;
use crate::error::{Error, Result};
use crate::format::{Corruption, MAX_ENCODED_SIZE};
use crate::store::CheckpointStore;

/// A [`CheckpointStore`] keeping the checkpoint in one file, in the text format of
/// `docs/checkpoints.md`.
///
/// Each save writes `<path>.tmp`, flushes it to disk (`fsync`), renames it over `<path>` and
/// flushes the directory, so after a crash at any moment — of the process or of the machine —
/// the file holds the previous checkpoint or the new one, never a mix, and a save that returned
/// `Ok` survives a power loss. Loading never looks at `<path>.tmp`; a leftover one (from a
/// crash in the middle of a save) is overwritten by the next save. Only one process may save
/// to a given path at a time.
///
/// The blocking methods ([`FileStore::load_blocking`], [`FileStore::save_blocking`]) do the
/// I/O on the calling thread. The [`CheckpointStore`] methods run the same code on a
/// short-lived helper thread and wait for it without blocking the executor, so they can be
/// awaited from any async runtime (a save costs two `fsync`s, milliseconds on most disks).
///
/// ```
/// use binlog_checkpoint::{Checkpoint, FileStore, Flavor, GtidState};
///
/// let dir = tempfile::tempdir()?;
/// let store = FileStore::new(dir.path().join("replica.checkpoint"));
/// assert_eq!(store.load_blocking()?, None);
///
/// let gtids = "0-1-100,1-2-5".parse()?;
/// let checkpoint = Checkpoint::new(Flavor::Mariadb, "mysql-bin.000003", 1_337)
///     .with_gtid(GtidState::Mariadb(gtids))
///     .with_server_id(1);
/// store.save_blocking(&checkpoint)?;
/// assert_eq!(store.load_blocking()?, Some(checkpoint));
///
/// let text = std::fs::read_to_string(store.path())?;
/// assert!(text.contains("\ngtid_pos = 0-1-100,1-2-5\n"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct FileStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    temp_path: PathBuf,
    /// Numbers saves in the order they were asked for.
    next_ticket: AtomicU64,
    /// Serialises writers; holds the ticket of the last save written.
    last_written: Mutex<u64>,
}

impl FileStore {
    /// A store for the checkpoint file at `path`. Nothing is touched until the first load or
    /// save; the directory must exist by then.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let mut temp_name = OsString::from(path.as_os_str());
        temp_name.push(".tmp");
        FileStore {
            inner: Arc::new(Inner {
                path,
                temp_path: PathBuf::from(temp_name),
                next_ticket: AtomicU64::new(1),
                last_written: Mutex::new(0),
            }),
        }
    }

    /// The checkpoint file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The temporary file each save writes before renaming it over [`FileStore::path`].
    pub fn temp_path(&self) -> &Path {
        &self.inner.temp_path
    }

    /// Reads the checkpoint on this thread: `Ok(None)` when the file does not exist, an
    /// [`Error::Corrupt`] or [`Error::UnsupportedVersion`] naming the file when it cannot be
    /// read back.
    pub fn load_blocking(&self) -> Result<Option<Checkpoint>> {
        self.inner.load()
    }

    /// Saves the checkpoint on this thread, returning once it is durable.
    ///
    /// When saves overlap (several threads, or an abandoned async save still running), the
    /// one asked for last wins: an older save that gets the lock after a newer one was written
    /// returns `Ok` without writing, so the file never goes back in time.
    pub fn save_blocking(&self, checkpoint: &Checkpoint) -> Result<()> {
        let bytes = checkpoint.encode()?;
        let ticket = self.inner.take_ticket();
        self.inner.write_if_newest(ticket, bytes.as_bytes())
    }
}

impl Inner {
    fn take_ticket(&self) -> u64 {
        self.next_ticket.fetch_add(1, Ordering::Relaxed)
    }

    fn load(&self) -> Result<Option<Checkpoint>> {
        let Some(bytes) = self.read_bounded()? else {
            return Ok(None);
        };
        Checkpoint::decode(&bytes)
            .map(Some)
            .map_err(|error| Error::in_file(&self.path, error))
    }

    /// The file's bytes, reading at most one byte more than a checkpoint may have.
    fn read_bounded(&self) -> Result<Option<Vec<u8>>> {
        let io_error = |source| Error::Io {
            path: self.path.clone(),
            operation: "read checkpoint file",
            source,
        };
        let file = match File::open(&self.path) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(io_error(error)),
        };
        let limit = MAX_ENCODED_SIZE.saturating_add(1);
        let mut bytes = Vec::new();
        file.take(limit as u64)
            .read_to_end(&mut bytes)
            .map_err(io_error)?;
        if bytes.len() > MAX_ENCODED_SIZE {
            let size = fs::metadata(&self.path).map_or(bytes.len() as u64, |m| m.len());
            return Err(Error::Corrupt {
                path: self.path.clone(),
                problem: Corruption::TooLarge { size },
            });
        }
        Ok(Some(bytes))
    }

    fn write_if_newest(&self, ticket: u64, bytes: &[u8]) -> Result<()> {
        // The lock only orders writers; the file is consistent whatever a panicking holder did.
        let mut last_written = self.last_written.lock().unwrap_or_else(PoisonError::into_inner);
        if ticket < *last_written {
            return Ok(());
        }
        self.write_atomically(bytes)?;
        *last_written = ticket;
        Ok(())
    }

    fn write_atomically(&self, bytes: &[u8]) -> Result<()> {
        let on_temp = |operation| {
            move |source| Error::Io {
                path: self.temp_path.clone(),
                operation,
                source,
            }
        };
        let written = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&self.temp_path)
            .map_err(on_temp("create temporary checkpoint file"))
            .and_then(|mut file| {
                file.write_all(bytes)
                    .map_err(on_temp("write temporary checkpoint file"))?;
                // Without this, a machine crash after the rename can leave an empty file:
                // the rename may reach the disk before the data.
                file.sync_all()
                    .map_err(on_temp("flush temporary checkpoint file"))
            });
        if let Err(error) = written {
            // Best effort: the next save truncates it anyway, and loading never reads it.
            let _ = fs::remove_file(&self.temp_path);
            return Err(error);
        }
        // rename(2) replaces the target atomically: readers see the old file or the new one.
        fs::rename(&self.temp_path, &self.path).map_err(|source| Error::Io {
            path: self.path.clone(),
            operation: "rename temporary file over checkpoint file",
            source,
        })?;
        self.sync_directory()
    }

    /// Makes the rename itself durable (it is a change to the directory).
    #[cfg(unix)]
    fn sync_directory(&self) -> Result<()> {
        let dir = match self.path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        File::open(dir)
            .and_then(|dir| dir.sync_all())
            .map_err(|source| Error::Io {
                path: dir.to_owned(),
                operation: "flush directory of checkpoint file",
                source,
            })
    }

    /// Directories cannot be opened for syncing here; the rename is atomic all the same.
    #[cfg(not(unix))]
    fn sync_directory(&self) -> Result<()> {
        Ok(())
    }
}

/// Runs blocking `work` on a helper thread and awaits its result without blocking the caller's
/// executor; no runtime is assumed.
async fn on_io_thread<T: Send + 'static>(
    path: &Path,
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    let (sender, receiver) = futures_channel::oneshot::channel();
    thread::Builder::new()
        .name("binlog-checkpoint-io".to_owned())
        .spawn(move || {
            // An error here only means the caller stopped waiting; the work is done anyway.
            let _ = sender.send(work());
        })
        .map_err(|source| Error::Io {
            path: path.to_owned(),
            operation: "start an I/O thread for checkpoint file",
            source,
        })?;
    receiver.await.map_err(|_| Error::Io {
        path: path.to_owned(),
        operation: "finish I/O on checkpoint file",
        source: io::Error::other("the I/O thread stopped without an answer"),
    })?
}

#[async_trait]
impl CheckpointStore for FileStore {
    async fn load(&self) -> Result<Option<Checkpoint>> {
        let inner = Arc::clone(&self.inner);
        on_io_thread(&self.inner.path, move || inner.load()).await
    }

    async fn save(&self, checkpoint: &Checkpoint) -> Result<()> {
        let bytes = checkpoint.encode()?;
        let ticket = self.inner.take_ticket();
        let inner = Arc::clone(&self.inner);
        on_io_thread(&self.inner.path, move || {
            inner.write_if_newest(ticket, bytes.as_bytes())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::Flavor;

    #[test]
    fn a_save_asked_for_before_the_last_written_one_does_not_write() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().join("checkpoint"));
        let older = Checkpoint::new(Flavor::Mysql, "binlog.000001", 100);
        let newer = Checkpoint::new(Flavor::Mysql, "binlog.000001", 200);
        // The older save takes its ticket, then the newer one overtakes it.
        let older_ticket = store.inner.take_ticket();
        store.save_blocking(&newer).unwrap();
        let older_bytes = older.encode().unwrap();
        store
            .inner
            .write_if_newest(older_ticket, older_bytes.as_bytes())
            .unwrap();
        assert_eq!(store.load_blocking().unwrap(), Some(newer));
        // A save asked for afterwards writes again.
        store.save_blocking(&older).unwrap();
        assert_eq!(store.load_blocking().unwrap(), Some(older));
    }

    #[test]
    fn the_temporary_file_sits_beside_the_checkpoint() {
        for (path, temp) in [
            ("cp", "cp.tmp"),
            (
                "/var/lib/app/replica.checkpoint",
                "/var/lib/app/replica.checkpoint.tmp",
            ),
        ] {
            let store = FileStore::new(path);
            assert_eq!(store.temp_path(), Path::new(temp));
            assert_eq!(store.temp_path().parent(), store.path().parent());
        }
    }
}
