//! Child processes a test can `SIGKILL` and start again, such as a consumer that must resume
//! from its checkpoint.
//!
//! The usual child is the test binary itself, running one `#[ignore]`d test: [`reexec_test`]
//! builds that command and marks the child with [`CHILD_ENV`], so the helper test can tell
//! that it was started on purpose ([`child_role`]) and return at once when a person runs the
//! ignored tests. [`ChildProcess`] runs it, collects its stdout line by line (Rust's stdout is
//! line-buffered, so a killed child loses at most an unfinished line), and kills it on drop.
//! Children are started with `SIGKILL` as their parent-death signal ([`crate::reaper`]), so
//! none outlives a test process that dies.
//!
//! ```no_run
//! use binlog_testkit::process::{ChildProcess, child_role, reexec_test};
//! use std::time::Duration;
//!
//! #[test]
//! #[ignore = "helper: started by fault_test in a child process"]
//! fn consumer_child() {
//!     if child_role().as_deref() != Some("consumer_child") {
//!         return;
//!     }
//!     println!("READY");
//!     // ... consume and print what was consumed ...
//! }
//!
//! #[test]
//! fn fault_test() {
//!     for _round in 0..5 {
//!         let mut consumer = ChildProcess::spawn(reexec_test("consumer_child")).unwrap();
//!         assert!(consumer.wait_for_line(|l| l == "READY", Duration::from_secs(60)).is_some());
//!         let status = consumer.kill().unwrap(); // SIGKILL
//!         # let _ = status;
//!     }
//! }
//! ```

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::reaper;

/// The environment variable [`reexec_test`] sets to the name of the test the child runs.
pub const CHILD_ENV: &str = "BINLOG_TESTKIT_CHILD";

/// The name of the test this process was re-executed to run ([`CHILD_ENV`]), if any.
pub fn child_role() -> Option<String> {
    std::env::var(CHILD_ENV).ok()
}

/// A command that runs the test `name` (its full path within the test binary, for example
/// `consumer_child` or `faults::consumer_child`) of the current test binary, even though it
/// is `#[ignore]`d, with its output not captured, and with [`CHILD_ENV`] set to `name`.
///
/// # Panics
/// When the path of the running executable is unknown.
pub fn reexec_test(name: &str) -> Command {
    let exe = std::env::current_exe().expect("the path of the running test binary");
    let mut cmd = Command::new(exe);
    // `--quiet`: the default format prints `test <name> ... ` before the test runs, without a
    // newline, which would prefix the child's first line.
    cmd.args([
        "--exact",
        name,
        "--ignored",
        "--nocapture",
        "--quiet",
        "--test-threads=1",
    ])
    .env(CHILD_ENV, name);
    cmd
}

/// A running child process with its output captured; killed on drop.
#[derive(Debug)]
pub struct ChildProcess {
    child: Child,
    status: Option<ExitStatus>,
    output: Arc<Output>,
    readers: Vec<JoinHandle<()>>,
}

#[derive(Debug, Default)]
struct Output {
    captured: Mutex<Captured>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct Captured {
    lines: Vec<String>,
    /// Stdout reached EOF: no more lines will come.
    stdout_closed: bool,
    stderr: String,
}

impl ChildProcess {
    /// Starts `cmd` with stdin closed and stdout and stderr captured.
    pub fn spawn(mut cmd: Command) -> std::io::Result<ChildProcess> {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = reaper::spawn(cmd)?;
        let output = Arc::new(Output::default());
        let mut readers = Vec::new();
        if let Some(stdout) = child.stdout.take() {
            let output = Arc::clone(&output);
            readers.push(
                std::thread::Builder::new()
                    .name("child-stdout".into())
                    .spawn(move || {
                        for line in BufReader::new(stdout).lines() {
                            let Ok(line) = line else { break };
                            output.lock().lines.push(line);
                            output.changed.notify_all();
                        }
                        output.lock().stdout_closed = true;
                        output.changed.notify_all();
                    })?,
            );
        }
        if let Some(mut stderr) = child.stderr.take() {
            let output = Arc::clone(&output);
            readers.push(
                std::thread::Builder::new()
                    .name("child-stderr".into())
                    .spawn(move || {
                        let mut chunk = [0u8; 4096];
                        while let Ok(n @ 1..) = stderr.read(&mut chunk) {
                            output
                                .lock()
                                .stderr
                                .push_str(&String::from_utf8_lossy(&chunk[..n]));
                        }
                    })?,
            );
        }
        Ok(ChildProcess {
            child,
            status: None,
            output,
            readers,
        })
    }

    /// The child's PID.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `SIGKILL`, as a crash would, and waits for the child to go. Returns its exit
    /// status (the one it already had if it had ended).
    pub fn kill(&mut self) -> std::io::Result<ExitStatus> {
        if let Some(status) = self.try_status()? {
            return Ok(status);
        }
        self.child.kill()?;
        self.reap()
    }

    /// Sends `SIGTERM` and waits up to `grace` for the child to exit; then `SIGKILL`.
    pub fn terminate(&mut self, grace: Duration) -> std::io::Result<ExitStatus> {
        if let Some(status) = self.try_status()? {
            return Ok(status);
        }
        let pid = libc::pid_t::try_from(self.pid()).map_err(std::io::Error::other)?;
        #[allow(unsafe_code)]
        // SAFETY: kill(2) on our own child, which has not been reaped (try_status saw it run).
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        match self.wait_timeout(grace)? {
            Some(status) => Ok(status),
            None => self.kill(),
        }
    }

    /// The exit status if the child has ended.
    pub fn try_status(&mut self) -> std::io::Result<Option<ExitStatus>> {
        if self.status.is_none() {
            self.status = self.child.try_wait()?;
            if self.status.is_some() {
                // Seen exiting: let the readers take in its last output before anyone asks.
                self.finish_readers();
            }
        }
        Ok(self.status)
    }

    /// Waits up to `timeout` for the child to exit by itself.
    pub fn wait_timeout(&mut self, timeout: Duration) -> std::io::Result<Option<ExitStatus>> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.try_status()? {
                return Ok(Some(status));
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn reap(&mut self) -> std::io::Result<ExitStatus> {
        let status = self.child.wait()?;
        self.status = Some(status);
        self.finish_readers();
        Ok(status)
    }

    fn finish_readers(&mut self) {
        // The child is gone, so its pipes reach EOF at once, unless it left children of its own
        // that hold them: then the readers are left to end with those.
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.readers.iter().any(|r| !r.is_finished()) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        for reader in std::mem::take(&mut self.readers) {
            if reader.is_finished() {
                let _ = reader.join();
            }
        }
    }

    /// The stdout lines so far.
    pub fn lines(&self) -> Vec<String> {
        self.output.lock().lines.clone()
    }

    /// The number of stdout lines so far.
    pub fn line_count(&self) -> usize {
        self.output.lock().lines.len()
    }

    /// The stderr output so far (lossily decoded).
    pub fn stderr(&self) -> String {
        self.output.lock().stderr.clone()
    }

    /// Waits up to `timeout` for a stdout line (since the start) that satisfies `matches`, and
    /// returns the first such line. `None` on timeout, or when the child's stdout ended
    /// without one.
    pub fn wait_for_line(&self, matches: impl Fn(&str) -> bool, timeout: Duration) -> Option<String> {
        let mut seen = 0;
        self.wait(timeout, |captured| {
            let found = captured.lines[seen..].iter().find(|l| matches(l)).cloned();
            seen = captured.lines.len();
            found
        })
    }

    /// Waits up to `timeout` until the child has printed at least `n` stdout lines; false if
    /// the time passed or its stdout ended first.
    pub fn wait_for_lines(&self, n: usize, timeout: Duration) -> bool {
        self.wait(timeout, |captured| (captured.lines.len() >= n).then_some(()))
            .is_some()
    }

    fn wait<T>(&self, timeout: Duration, mut check: impl FnMut(&Captured) -> Option<T>) -> Option<T> {
        let deadline = Instant::now() + timeout;
        let mut captured = self.output.lock();
        loop {
            if let Some(found) = check(&captured) {
                return Some(found);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || captured.stdout_closed {
                return None;
            }
            captured = self
                .output
                .changed
                .wait_timeout(captured, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// A short description of how the child ended, for assertion messages: the exit code or
    /// the signal, and the tail of its stderr.
    pub fn describe(&mut self) -> String {
        let status = match self.try_status() {
            Ok(Some(status)) => match status.signal() {
                Some(signal) => format!("killed by signal {signal}"),
                None => format!("exited with {status}"),
            },
            Ok(None) => "still running".to_owned(),
            Err(e) => format!("unknown state: {e}"),
        };
        let stderr = self.stderr();
        let tail_start = stderr.len().saturating_sub(4096);
        let tail = stderr.get(tail_start..).unwrap_or(&stderr);
        format!("pid {} {status}; stderr:\n{tail}", self.pid())
    }
}

impl Output {
    fn lock(&self) -> MutexGuard<'_, Captured> {
        self.captured.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        let _ = self.kill();
    }
}
