//! The crate's error type.

use std::io;
use std::path::{Path, PathBuf};

use crate::checkpoint::InvalidCheckpoint;
use crate::format::{Corruption, DecodeError, FORMAT_VERSION};

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything a [`crate::CheckpointStore`] can report. A stored checkpoint that cannot be read
/// is always an error, never a silent "no checkpoint": resuming from the wrong place loses or
/// repeats changes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file system operation failed.
    #[error("cannot {operation} {}: {source}", path.display())]
    Io {
        /// The file or directory operated on.
        path: PathBuf,
        /// What was being done, phrased to precede the path (e.g. "read checkpoint file").
        operation: &'static str,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// The checkpoint file exists but is damaged, truncated or not a checkpoint file. Nothing
    /// is overwritten or reset: the operator decides what to do with it.
    #[error("checkpoint file {} is corrupt: {problem}", path.display())]
    Corrupt {
        /// The checkpoint file.
        path: PathBuf,
        /// What is wrong.
        problem: Corruption,
    },
    /// The checkpoint file was written in a format version this build does not read.
    #[error(
        "checkpoint file {} has format version {found}; this build reads version {FORMAT_VERSION}",
        path.display()
    )]
    UnsupportedVersion {
        /// The checkpoint file.
        path: PathBuf,
        /// The version found (at most 32 characters of it).
        found: String,
    },
    /// The checkpoint given to `save` cannot be stored.
    #[error("cannot save checkpoint: {0}")]
    Invalid(#[from] InvalidCheckpoint),
    /// An error from a store outside this crate (a database, an object store...).
    #[error("checkpoint store: {0}")]
    Store(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl Error {
    /// Attaches the file a [`DecodeError`] was found in.
    pub fn in_file(path: &Path, error: DecodeError) -> Self {
        match error {
            DecodeError::Corrupt(problem) => Error::Corrupt {
                path: path.to_owned(),
                problem,
            },
            DecodeError::UnsupportedVersion { found } => Error::UnsupportedVersion {
                path: path.to_owned(),
                found,
            },
        }
    }
}
