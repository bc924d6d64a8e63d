//! A deterministic transactional writer for fault tests: commits transactions `1..=N` of `R`
//! rows each, in order, and survives server restarts without losing or doubling one.
//!
//! Every transaction is `BEGIN`, `R` single-row `INSERT`s, `COMMIT`, into
//! [`TABLE`]`(id, tx, seq, payload)`: row `seq` (1-based) of transaction `tx` has the id
//! `(tx - 1) * R + seq`, so ids are consecutive in commit order and a consumer can check that
//! none was lost or reordered; [`ExpectedRow`] computes every value.
//!
//! The statements go to one long-lived `mariadb` client process over stdin (as root, over the
//! unix socket, which a restarted server reuses), up to `window` transactions ahead; after
//! each `COMMIT` the client prints an acknowledgement. The client runs with `--skip-reconnect`
//! and stops at the first error, and the transactions are executed one after another, so the
//! committed transactions are always a prefix `1..=K`. When the client dies (the server was
//! killed or restarted), the writer starts a new one, asks the server for `MAX(tx)` (the
//! truth, whether or not the last `COMMIT` was acknowledged) and goes on with `K + 1`: a
//! transaction is sent again only if it did not commit.
//!
//! ```no_run
//! use binlog_testkit::{Server, writer::{TxWriter, WriterOptions}};
//! let mut server = Server::builder().start().unwrap();
//! let db = server.fresh_database("faults");
//! let writer = TxWriter::start(&server, &db, WriterOptions::new(5_000, 4)).unwrap();
//! writer.wait_for(1_000, std::time::Duration::from_secs(60));
//! server.kill();
//! server.restart().unwrap();
//! let report = writer.join().unwrap();
//! assert_eq!(report.committed_tx, 5_000);
//! ```

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::{Error, Server, reaper};

/// The table the writer creates and fills, in the database given to [`TxWriter::start`].
pub const TABLE: &str = "tx_rows";

/// Client error codes that mean "the connection or the server went away": the writer then
/// reconnects. 2002/2003: cannot connect (socket, TCP); 2006: server has gone away; 2013: lost
/// connection during a query; 1053: server shutdown in progress; 1927: connection killed;
/// 4031: disconnected by the server. 1062 (duplicate key) means a transaction that committed
/// after the writer looked: the next session looks again.
const RETRYABLE_ERRORS: [&str; 8] = [
    "ERROR 2002",
    "ERROR 2003",
    "ERROR 2006",
    "ERROR 2013",
    "ERROR 1053",
    "ERROR 1927",
    "ERROR 4031",
    "ERROR 1062",
];

/// What to write; see [`WriterOptions::new`].
#[derive(Debug, Clone)]
pub struct WriterOptions {
    /// Transactions to commit (`1..=transactions`).
    pub transactions: u64,
    /// Rows per transaction, one `INSERT` each.
    pub rows_per_tx: u32,
    /// Transactions sent ahead of the last acknowledged one (at least 1).
    pub window: u32,
    /// Time to wait before sending each transaction, to spread a run over the faults a test
    /// injects (zero: as fast as the server commits).
    pub pace: Duration,
    /// How long the writer keeps trying to reconnect without committing anything before it
    /// gives up.
    pub patience: Duration,
}

impl WriterOptions {
    /// `transactions` of `rows_per_tx` rows each, 16 in flight, no pace, 120 s of patience.
    pub fn new(transactions: u64, rows_per_tx: u32) -> Self {
        Self {
            transactions,
            rows_per_tx,
            window: 16,
            pace: Duration::ZERO,
            patience: Duration::from_secs(120),
        }
    }
}

/// One row as the writer writes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExpectedRow {
    /// `(tx - 1) * rows_per_tx + seq`: consecutive in commit order.
    pub id: u64,
    /// The transaction, from 1.
    pub tx: u64,
    /// The row within its transaction, from 1.
    pub seq: u32,
    /// `tx<tx>/row<seq>`.
    pub payload: String,
}

impl ExpectedRow {
    /// Row `seq` of transaction `tx`.
    pub fn new(tx: u64, seq: u32, rows_per_tx: u32) -> Self {
        Self {
            id: (tx - 1) * u64::from(rows_per_tx) + u64::from(seq),
            tx,
            seq,
            payload: format!("tx{tx}/row{seq}"),
        }
    }

    /// Every row of transactions `1..=transactions`, in commit order.
    pub fn all(transactions: u64, rows_per_tx: u32) -> impl Iterator<Item = ExpectedRow> {
        (1..=transactions)
            .flat_map(move |tx| (1..=rows_per_tx).map(move |seq| Self::new(tx, seq, rows_per_tx)))
    }

    /// The rows of [`TABLE`] as the server returns them, ordered by id.
    pub fn select_all(server: &Server, database: &str) -> Result<Vec<ExpectedRow>, Error> {
        let rows = server.try_sql(&format!(
            "SELECT id, tx, seq, payload FROM `{database}`.{TABLE} ORDER BY id"
        ))?;
        rows.into_iter()
            .map(|row| {
                let field = |i: usize| row.get(i).cloned().flatten().unwrap_or_default();
                let bad = || Error::Sql {
                    sql: format!("SELECT ... FROM `{database}`.{TABLE}"),
                    message: format!("unexpected row {row:?}"),
                };
                Ok(ExpectedRow {
                    id: field(0).parse().map_err(|_| bad())?,
                    tx: field(1).parse().map_err(|_| bad())?,
                    seq: field(2).parse().map_err(|_| bad())?,
                    payload: field(3),
                })
            })
            .collect()
    }
}

/// What a finished writer did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriterReport {
    /// Transactions committed: all of `1..=committed_tx`.
    pub committed_tx: u64,
    /// Rows committed: `committed_tx * rows_per_tx`.
    pub committed_rows: u64,
    /// Client processes that connected (1 when nothing went wrong).
    pub sessions: u32,
    /// Transactions that had been sent, were found not committed after a reconnect, and were
    /// sent again.
    pub resent_tx: u64,
    /// Transactions that committed although their acknowledgement never arrived.
    pub unacknowledged_commits: u64,
}

/// A writer running on its own thread; see the [module docs](self).
#[derive(Debug)]
pub struct TxWriter {
    shared: Arc<Progress>,
    thread: Option<JoinHandle<Result<WriterReport, Error>>>,
}

#[derive(Debug, Default)]
struct Progress {
    /// Highest acknowledged (or found) committed transaction.
    committed: Mutex<u64>,
    changed: Condvar,
    stop: AtomicBool,
}

impl TxWriter {
    /// Creates [`TABLE`] in `database` (which must exist) and starts committing.
    pub fn start(server: &Server, database: &str, options: WriterOptions) -> Result<TxWriter, Error> {
        server.try_sql(&format!(
            "CREATE TABLE `{database}`.{TABLE} (
               id BIGINT UNSIGNED PRIMARY KEY, tx BIGINT UNSIGNED NOT NULL,
               seq INT UNSIGNED NOT NULL, payload VARCHAR(64) NOT NULL) ENGINE=InnoDB"
        ))?;
        let run = Run {
            client: server.binaries.client.clone(),
            socket: server.socket(),
            database: database.to_owned(),
            options: WriterOptions {
                window: options.window.max(1),
                ..options
            },
        };
        let shared = Arc::new(Progress::default());
        let thread = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("tx-writer".into())
                .spawn(move || run.run(&shared))
                .map_err(|e| Error::Io {
                    what: "start the writer thread".into(),
                    source: e,
                })?
        };
        Ok(TxWriter {
            shared,
            thread: Some(thread),
        })
    }

    /// Transactions known committed so far (all of `1..=committed()`).
    pub fn committed(&self) -> u64 {
        *self.shared.lock()
    }

    /// Waits until at least `tx` transactions are committed or the writer ended; false if
    /// `timeout` passed first or the writer ended short of `tx`.
    pub fn wait_for(&self, tx: u64, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut committed = self.shared.lock();
        while *committed < tx {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || self.thread.as_ref().is_none_or(|t| t.is_finished()) {
                return false;
            }
            // Short waits: the thread may end without a notification we could wait for.
            committed = self
                .shared
                .changed
                .wait_timeout(committed, left.min(Duration::from_millis(100)))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        true
    }

    /// Waits for the writer to commit everything (or fail) and returns what it did.
    pub fn join(mut self) -> Result<WriterReport, Error> {
        let thread = self.thread.take().expect("joined once");
        thread
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }
}

impl Drop for TxWriter {
    fn drop(&mut self) {
        if let Some(thread) = self.thread.take() {
            // The thread looks at `stop` after every acknowledgement and every reconnect attempt.
            self.shared.stop.store(true, Ordering::SeqCst);
            let _ = thread.join();
        }
    }
}

impl Progress {
    fn lock(&self) -> std::sync::MutexGuard<'_, u64> {
        self.committed.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set(&self, committed: u64) {
        *self.lock() = committed;
        self.changed.notify_all();
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

/// Everything the writer thread needs, owned: the test keeps `&mut Server` to kill it.
struct Run {
    client: PathBuf,
    socket: PathBuf,
    database: String,
    options: WriterOptions,
}

/// How a client session ended.
enum End {
    /// Everything is committed.
    Done,
    /// The connection went away; reconnect.
    Lost,
}

impl Run {
    fn run(&self, progress: &Progress) -> Result<WriterReport, Error> {
        let mut report = WriterReport {
            committed_tx: 0,
            committed_rows: 0,
            sessions: 0,
            resent_tx: 0,
            unacknowledged_commits: 0,
        };
        let mut acked = 0u64;
        let mut sent = 0u64;
        let mut last_progress = Instant::now();
        while !progress.stopped() {
            match self.session(progress, &mut report, &mut acked, &mut sent)? {
                End::Done => break,
                End::Lost => {
                    if acked > report.committed_tx {
                        last_progress = Instant::now();
                    }
                    report.committed_tx = report.committed_tx.max(acked);
                    if last_progress.elapsed() > self.options.patience {
                        return Err(Error::Sql {
                            sql: format!("transaction {}", acked + 1),
                            message: format!(
                                "the writer could not commit for {:?}; is the server down?",
                                self.options.patience
                            ),
                        });
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        }
        report.committed_tx = acked;
        report.committed_rows = acked * u64::from(self.options.rows_per_tx);
        Ok(report)
    }

    /// One client process: find out what is committed, then send transactions until done or
    /// the connection is lost.
    fn session(
        &self,
        progress: &Progress,
        report: &mut WriterReport,
        acked: &mut u64,
        sent: &mut u64,
    ) -> Result<End, Error> {
        let mut client = Client::spawn(self)?;
        let committed = match client.query_committed() {
            Ok(committed) => committed,
            Err(()) => return client.finish(progress).map(|()| End::Lost),
        };
        // After a lost connection: account for what happened while we were away.
        if committed < *acked {
            return Err(Error::Sql {
                sql: format!("SELECT MAX(tx) FROM {TABLE}"),
                message: format!("transaction {} was acknowledged but is not in the table", *acked),
            });
        }
        report.unacknowledged_commits += committed - *acked;
        report.resent_tx += sent.saturating_sub(committed);
        report.sessions += 1;
        *acked = committed;
        *sent = committed;
        progress.set(committed);
        let total = self.options.transactions;
        while *acked < total {
            if progress.stopped() {
                break;
            }
            let window = u64::from(self.options.window);
            while *sent < total && *sent - *acked < window {
                if !self.options.pace.is_zero() {
                    std::thread::sleep(self.options.pace);
                }
                if client.send_tx(*sent + 1, self.options.rows_per_tx).is_err() {
                    return client.finish(progress).map(|()| End::Lost);
                }
                *sent += 1;
            }
            match client.next_ack() {
                Some(tx) if tx == *acked + 1 => {
                    *acked = tx;
                    progress.set(tx);
                }
                Some(tx) => {
                    return Err(Error::Sql {
                        sql: format!("transaction {}", *acked + 1),
                        message: format!("acknowledged transaction {tx} out of order"),
                    });
                }
                None => return client.finish(progress).map(|()| End::Lost),
            }
        }
        client.finish(progress)?;
        Ok(if *acked >= total { End::Done } else { End::Lost })
    }
}

/// One `mariadb` client process and the thread that reads its output lines.
struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    reader: Option<JoinHandle<()>>,
}

impl Client {
    fn spawn(run: &Run) -> Result<Client, Error> {
        let mut cmd = Command::new(&run.client);
        cmd.arg("--no-defaults")
            .arg(format!("--socket={}", run.socket.display()))
            .arg(format!("--database={}", run.database))
            .args([
                "--user=root",
                "--batch",
                "--skip-column-names",
                // Never silently reconnect: the rest of a transaction would then autocommit.
                "--skip-reconnect",
                // Print each result when it is ready, not when the pipe buffer is full.
                "--unbuffered",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = reaper::spawn(cmd).map_err(|e| Error::Io {
            what: format!("run {}", run.client.display()),
            source: e,
        })?;
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::channel();
        let reader = std::thread::Builder::new()
            .name("tx-writer-out".into())
            .spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            })
            .map_err(|e| Error::Io {
                what: "start the writer's reader thread".into(),
                source: e,
            })?;
        Ok(Client {
            stdin: child.stdin.take(),
            child,
            lines,
            reader: Some(reader),
        })
    }

    fn write(&mut self, sql: &str) -> std::io::Result<()> {
        let stdin = self.stdin.as_mut().ok_or(std::io::ErrorKind::BrokenPipe)?;
        stdin.write_all(sql.as_bytes())?;
        stdin.flush()
    }

    /// `MAX(tx)` as the server has it now; `Err` when the connection failed.
    fn query_committed(&mut self) -> Result<u64, ()> {
        self.write(&format!(
            "SELECT 'committed', COALESCE(MAX(tx), 0) FROM {TABLE};\n"
        ))
        .map_err(drop)?;
        let line = self.lines.recv().map_err(drop)?;
        line.strip_prefix("committed\t")
            .and_then(|n| n.parse().ok())
            .ok_or(())
    }

    fn send_tx(&mut self, tx: u64, rows: u32) -> std::io::Result<()> {
        let mut sql = String::from("BEGIN;\n");
        for seq in 1..=rows {
            let row = ExpectedRow::new(tx, seq, rows);
            sql.push_str(&format!(
                "INSERT INTO {TABLE} (id, tx, seq, payload) VALUES ({}, {}, {}, '{}');\n",
                row.id, row.tx, row.seq, row.payload
            ));
        }
        sql.push_str(&format!("COMMIT;\nSELECT 'ack', {tx};\n"));
        self.write(&sql)
    }

    /// The next acknowledged transaction; `None` when the client's output ended.
    fn next_ack(&mut self) -> Option<u64> {
        let line = self.lines.recv().ok()?;
        line.strip_prefix("ack\t").and_then(|n| n.parse().ok())
    }

    /// Closes stdin, waits for the client and says whether its end was a lost connection
    /// (`Ok`) or an error that reconnecting will not cure.
    fn finish(mut self, progress: &Progress) -> Result<(), Error> {
        drop(self.stdin.take());
        let mut stderr = String::new();
        if let Some(mut err) = self.child.stderr.take() {
            let _ = err.read_to_string(&mut stderr);
        }
        let status = self.child.wait().map_err(|e| Error::Io {
            what: "wait for the writer's client".into(),
            source: e,
        })?;
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        let retryable = status.success()
            || progress.stopped()
            || !stderr.contains("ERROR ")
            || RETRYABLE_ERRORS.iter().any(|code| stderr.contains(code));
        if retryable {
            Ok(())
        } else {
            Err(Error::Sql {
                sql: "writer transaction".into(),
                message: stderr.trim().to_owned(),
            })
        }
    }
}
