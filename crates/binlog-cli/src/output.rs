//! Buffered standard output: lines are formatted into one reused buffer that is written out
//! whenever it holds enough, so a row costs no system call and no allocation.

use std::io::{self, Write};

/// Flush once the buffer holds this much.
const FLUSH_AT: usize = 64 << 10;

/// Writing to standard output failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OutputError {
    /// The reader went away (`| head`): not an error for the user, the command just stops.
    #[error("output closed")]
    Closed,
    /// Any other write error.
    #[error("cannot write to standard output: {0}")]
    Io(io::Error),
}

impl From<io::Error> for OutputError {
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::BrokenPipe {
            OutputError::Closed
        } else {
            OutputError::Io(e)
        }
    }
}

/// Standard output with a reusable line buffer.
pub(crate) struct Output {
    buf: Vec<u8>,
    stdout: io::Stdout,
}

impl Output {
    pub(crate) fn stdout() -> Output {
        Output {
            buf: Vec::with_capacity(FLUSH_AT.saturating_mul(2)),
            stdout: io::stdout(),
        }
    }

    /// The buffer to append formatted lines to.
    pub(crate) fn buffer(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    /// Writes the buffer out once it holds [`FLUSH_AT`] bytes.
    pub(crate) fn flush_if_full(&mut self) -> Result<(), OutputError> {
        if self.buf.len() >= FLUSH_AT {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes out everything buffered.
    pub(crate) fn flush(&mut self) -> Result<(), OutputError> {
        let mut lock = self.stdout.lock();
        lock.write_all(&self.buf)?;
        lock.flush()?;
        self.buf.clear();
        Ok(())
    }
}
