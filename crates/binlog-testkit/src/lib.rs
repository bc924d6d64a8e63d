//! Throwaway MariaDB servers for binlog-signals' tests.
//!
//! [`Server::shared`] starts one server per test binary on first use (a fresh datadir in a temp
//! dir, a free port on 127.0.0.1, row-based binary logging with full metadata and CRC32
//! checksums) and stops it when the process exits. [`Server::builder`] starts a private server
//! with other options, for tests that restart or kill it. Every server started here is stopped by
//! PID, also when a test fails or the test process dies; see [`reaper`].
//!
//! Admin SQL runs through the server's own `mariadb` client as root over the unix socket
//! ([`Server::exec`], [`Server::try_sql`]); the code under test connects over TCP as the replication user
//! ([`Server::repl_url`]).
//!
//! When no server can be started, [`Server::shared`] panics with the install command: a
//! server-backed test never passes silently.
//!
//! For fault tests: [`Proxy`] sits between the code under test and the server and breaks the
//! connection on command (cut, blackhole, pause, refuse); [`writer::TxWriter`] commits
//! numbered multi-statement transactions whose committed set is exactly known, across server
//! crashes; [`process::ChildProcess`] runs a consumer in a child process (usually this test
//! binary, re-executed with [`process::reexec_test`]) that the test can `SIGKILL` and start
//! again.
//!
//! ```no_run
//! let server = binlog_testkit::Server::shared();
//! let db = server.fresh_database("doc");
//! server.exec(&format!("CREATE TABLE {db}.t (id INT PRIMARY KEY); INSERT INTO {db}.t VALUES (1)"));
//! let (file, pos) = server.master_status();
//! assert!(pos > 4, "{file}");
//! ```

mod locate;
pub mod process;
pub mod proxy;
pub mod reaper;
mod sql;
pub mod writer;

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

pub use locate::{Binaries, INSTALL_HINT};
pub use proxy::{Proxy, ProxyStats};
pub use sql::Row;

/// User name of the replication account the harness creates.
pub const REPL_USER: &str = "repl";
/// Password of the replication account (ASCII with punctuation, to exercise URL escaping).
pub const REPL_PASSWORD: &str = "repl-Pa55.word";
/// User name of an all-privileges account reachable over TCP.
pub const ADMIN_USER: &str = "admin";
/// Password of the admin account.
pub const ADMIN_PASSWORD: &str = "admin-Pa55";

/// How long a server may take to accept connections after it was started.
const START_DEADLINE: Duration = Duration::from_secs(90);

/// What went wrong while starting or using a test server.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A MariaDB program is missing.
    #[error("{program} not found; install MariaDB with: {INSTALL_HINT}")]
    NotInstalled {
        /// The program(s) looked for.
        program: String,
    },
    /// The server did not start; `log` is its own error log.
    #[error("mariadbd did not start ({reason}); its error log says:\n{log}")]
    StartFailed {
        /// Why the harness gave up.
        reason: String,
        /// The tail of the server's error log.
        log: String,
    },
    /// A statement failed.
    #[error("SQL failed: {message}\n  statement: {sql}")]
    Sql {
        /// The statement, abbreviated.
        sql: String,
        /// The client's error output.
        message: String,
    },
    /// An operating-system call failed.
    #[error("{what}: {source}")]
    Io {
        /// What the harness was doing.
        what: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// Options for a private server. Start with [`Server::builder`].
#[derive(Debug, Clone)]
pub struct ServerBuilder {
    binlog: bool,
    extra_args: Vec<String>,
    tls: Option<TlsFiles>,
}

/// PEM texts of a server's TLS setup; see [`ServerBuilder::tls`].
#[derive(Debug, Clone)]
struct TlsFiles {
    ca: String,
    cert: String,
    key: String,
}

impl ServerBuilder {
    /// Adds a `mariadbd` option such as `--binlog-checksum=NONE`. Later options win over the
    /// harness defaults.
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.extra_args.push(arg.into());
        self
    }

    /// Starts the server without a binary log.
    pub fn without_binlog(mut self) -> Self {
        self.binlog = false;
        self
    }

    /// Enables TLS with the given PEM texts: the CA that client certificates are checked
    /// against (`--ssl-ca`), the server certificate chain (`--ssl-cert`) and its private key
    /// (`--ssl-key`). The harness writes them into the server's temp dir.
    pub fn tls(
        mut self,
        ca_pem: impl Into<String>,
        cert_pem: impl Into<String>,
        key_pem: impl Into<String>,
    ) -> Self {
        self.tls = Some(TlsFiles {
            ca: ca_pem.into(),
            cert: cert_pem.into(),
            key: key_pem.into(),
        });
        self
    }

    /// Initialises a datadir and starts the server.
    pub fn start(self) -> Result<Server, Error> {
        Server::start(self)
    }
}

/// A running throwaway MariaDB server. Dropping it kills the server and deletes its files.
#[derive(Debug)]
pub struct Server {
    binaries: Binaries,
    root: PathBuf,
    port: u16,
    args: Vec<String>,
    child: Mutex<Option<Child>>,
    pid: AtomicU32,
    shared: bool,
}

impl Server {
    /// The server shared by all tests of this test binary, started on first use.
    ///
    /// # Panics
    /// When no server can be started, with the reason and the install command.
    pub fn shared() -> &'static Server {
        match Self::try_shared() {
            Ok(server) => server,
            Err(e) => panic!("cannot start the shared test MariaDB: {e}"),
        }
    }

    /// Like [`Server::shared`], returning the error instead of panicking.
    pub fn try_shared() -> Result<&'static Server, &'static Error> {
        static SHARED: OnceLock<Result<Server, Error>> = OnceLock::new();
        SHARED
            .get_or_init(|| {
                let mut server = Self::builder().start()?;
                server.shared = true;
                Ok(server)
            })
            .as_ref()
    }

    /// Options for a private server.
    pub fn builder() -> ServerBuilder {
        ServerBuilder {
            binlog: true,
            extra_args: Vec::new(),
            tls: None,
        }
    }

    fn start(options: ServerBuilder) -> Result<Self, Error> {
        let binaries = Binaries::locate()?;
        let root = tempfile::Builder::new()
            .prefix("binlog-testkit-")
            .tempdir()
            .map_err(|e| io("create a temp dir", e))?
            .keep();
        for sub in ["data", "tmp"] {
            std::fs::create_dir_all(root.join(sub)).map_err(|e| io("create the server dirs", e))?;
        }
        if let Some(tls) = &options.tls {
            for (name, pem) in [
                ("ca.pem", &tls.ca),
                ("server-cert.pem", &tls.cert),
                ("server-key.pem", &tls.key),
            ] {
                std::fs::write(root.join(name), pem).map_err(|e| io("write the TLS files", e))?;
            }
        }
        let mut server = Server {
            binaries,
            root,
            port: 0,
            args: Vec::new(),
            child: Mutex::new(None),
            pid: AtomicU32::new(0),
            shared: false,
        };
        server.install_datadir()?;
        // The port is free when we ask, but another process may take it before mariadbd binds;
        // then the server fails to start and we try another port.
        let mut last_error = None;
        for _ in 0..3 {
            server.port = free_port()?;
            server.args = server.server_args(&options);
            match server.launch() {
                Ok(()) => {
                    server.create_accounts()?;
                    return Ok(server);
                }
                Err(e @ Error::StartFailed { .. })
                    if server.error_log().contains("Address already in use") =>
                {
                    last_error = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last_error.unwrap_or_else(|| Error::StartFailed {
            reason: "no free port".into(),
            log: String::new(),
        }))
    }

    fn install_datadir(&self) -> Result<(), Error> {
        let mut cmd = Command::new(&self.binaries.install_db);
        cmd.arg("--no-defaults")
            .arg(format!("--datadir={}", self.datadir().display()))
            // Concurrent installs must not share /tmp: their temporary table names collide.
            .arg(format!("--tmpdir={}", self.root.join("tmp").display()))
            .args([
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                "--skip-name-resolve",
            ]);
        if running_as_root() {
            cmd.arg("--user=root");
        }
        let output = cmd
            .stdin(Stdio::null())
            .output()
            .map_err(|e| io("run mariadb-install-db", e))?;
        if !output.status.success() {
            return Err(Error::StartFailed {
                reason: format!("mariadb-install-db exited with {}", output.status),
                log: format!(
                    "{}{}",
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                ),
            });
        }
        Ok(())
    }

    fn server_args(&self, options: &ServerBuilder) -> Vec<String> {
        let path = |p: &Path| p.display().to_string();
        let mut args = vec![
            "--no-defaults".to_owned(),
            format!("--datadir={}", path(&self.datadir())),
            format!("--tmpdir={}", path(&self.root.join("tmp"))),
            format!("--socket={}", path(&self.socket())),
            format!("--pid-file={}", path(&self.root.join("mariadbd.pid"))),
            format!("--log-error={}", path(&self.error_log_path())),
            format!("--port={}", self.port),
            "--bind-address=127.0.0.1".to_owned(),
            "--skip-name-resolve".to_owned(),
            "--server-id=1".to_owned(),
            "--character-set-server=utf8mb4".to_owned(),
            "--collation-server=utf8mb4_general_ci".to_owned(),
            "--innodb-buffer-pool-size=64M".to_owned(),
            // Survives a killed server process (not a killed machine): enough for tests, and fast.
            "--innodb-flush-log-at-trx-commit=2".to_owned(),
            "--max-connections=500".to_owned(),
        ];
        if options.binlog {
            args.extend(
                [
                    "--log-bin=mysql-bin",
                    "--binlog-format=ROW",
                    "--binlog-row-image=FULL",
                    "--binlog-row-metadata=FULL",
                    "--binlog-checksum=CRC32",
                ]
                .map(String::from),
            );
        }
        if options.tls.is_some() {
            for (option, name) in [
                ("ssl-ca", "ca.pem"),
                ("ssl-cert", "server-cert.pem"),
                ("ssl-key", "server-key.pem"),
            ] {
                args.push(format!("--{option}={}", path(&self.root.join(name))));
            }
        }
        if running_as_root() {
            args.push("--user=root".to_owned());
        }
        args.extend(options.extra_args.iter().cloned());
        args
    }

    fn launch(&self) -> Result<(), Error> {
        let _ = std::fs::remove_file(self.error_log_path());
        let mut cmd = Command::new(&self.binaries.server);
        cmd.args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = reaper::spawn(cmd).map_err(|e| io("spawn mariadbd", e))?;
        let pid = child.id();
        reaper::register(pid, self.root.clone());
        self.pid.store(pid, Ordering::SeqCst);
        *self.child.lock().unwrap_or_else(|e| e.into_inner()) = Some(child);
        self.wait_ready()
    }

    fn wait_ready(&self) -> Result<(), Error> {
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            if let Some(status) = self.try_wait() {
                self.forget_child();
                return Err(Error::StartFailed {
                    reason: format!("mariadbd exited with {status}"),
                    log: self.error_log(),
                });
            }
            if TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)).is_ok()
                && self.try_sql("SELECT 1").is_ok()
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                self.kill_now();
                return Err(Error::StartFailed {
                    reason: format!("not ready after {START_DEADLINE:?}"),
                    log: self.error_log(),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn create_accounts(&self) -> Result<(), Error> {
        self.try_sql(&format!(
            "CREATE USER '{REPL_USER}'@'%' IDENTIFIED BY '{REPL_PASSWORD}';
             GRANT REPLICATION SLAVE, REPLICATION CLIENT, SELECT ON *.* TO '{REPL_USER}'@'%';
             CREATE USER '{ADMIN_USER}'@'%' IDENTIFIED BY '{ADMIN_PASSWORD}';
             GRANT ALL PRIVILEGES ON *.* TO '{ADMIN_USER}'@'%' WITH GRANT OPTION;"
        ))
        .map(drop)
    }

    fn try_wait(&self) -> Option<std::process::ExitStatus> {
        let mut guard = self.child.lock().unwrap_or_else(|e| e.into_inner());
        guard.as_mut().and_then(|c| c.try_wait().ok().flatten())
    }

    fn forget_child(&self) {
        let pid = self.pid.swap(0, Ordering::SeqCst);
        reaper::unregister(pid);
        *self.child.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    fn kill_now(&self) {
        let pid = self.pid();
        if pid != 0 {
            reaper::signal_and_wait(pid, libc::SIGKILL, Duration::from_secs(10));
            self.reap_child();
            self.forget_child();
        }
    }

    fn reap_child(&self) {
        if let Some(child) = self.child.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
            let _ = child.wait();
        }
    }

    /// The server's PID, or 0 while it is stopped.
    pub fn pid(&self) -> u32 {
        self.pid.load(Ordering::SeqCst)
    }

    /// The TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Always `127.0.0.1`.
    pub fn host(&self) -> &'static str {
        "127.0.0.1"
    }

    /// The data directory; the binlog files `mysql-bin.NNNNNN` are written here.
    pub fn datadir(&self) -> PathBuf {
        self.root.join("data")
    }

    /// The unix socket of the admin connection.
    pub fn socket(&self) -> PathBuf {
        self.root.join("mysqld.sock")
    }

    /// `mysql://repl:PASSWORD@127.0.0.1:PORT`, the replication account.
    pub fn repl_url(&self) -> String {
        format!("mysql://{REPL_USER}:{REPL_PASSWORD}@127.0.0.1:{}", self.port)
    }

    /// `mysql://admin:PASSWORD@127.0.0.1:PORT`, an all-privileges account.
    pub fn admin_url(&self) -> String {
        format!("mysql://{ADMIN_USER}:{ADMIN_PASSWORD}@127.0.0.1:{}", self.port)
    }

    fn error_log_path(&self) -> PathBuf {
        self.root.join("error.log")
    }

    /// The server's error log (its last 64 KiB).
    pub fn error_log(&self) -> String {
        let text = std::fs::read(self.error_log_path()).unwrap_or_default();
        let start = text.len().saturating_sub(64 * 1024);
        String::from_utf8_lossy(&text[start..]).into_owned()
    }

    /// Runs SQL as root; returns the rows of the last result set.
    pub fn try_sql(&self, sql: &str) -> Result<Vec<Row>, Error> {
        sql::run(&self.binaries.client, &self.socket(), None, sql)
    }

    /// Runs SQL as root, panicking with the server's message when it fails.
    pub fn exec(&self, sql: &str) -> Vec<Row> {
        self.try_sql(sql).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Runs SQL and returns the first column of the first row.
    pub fn query_value(&self, sql: &str) -> Option<String> {
        self.exec(sql)
            .into_iter()
            .next()
            .and_then(|row| row.into_iter().next().flatten())
    }

    /// Creates an empty database with a name unique in this server, `<prefix>_<n>`.
    pub fn fresh_database(&self, prefix: &str) -> String {
        static NEXT: AtomicU32 = AtomicU32::new(1);
        let name = format!(
            "{prefix}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        self.exec(&format!("CREATE DATABASE `{name}`"));
        name
    }

    /// The current binlog file and position (`SHOW MASTER STATUS`).
    ///
    /// # Panics
    /// When the server has no binary log.
    pub fn master_status(&self) -> (String, u64) {
        let rows = self.exec("SHOW MASTER STATUS");
        let row = rows
            .first()
            .expect("SHOW MASTER STATUS returned no row: is log-bin on?");
        let file = row.first().cloned().flatten().expect("binlog file name");
        let pos = row
            .get(1)
            .cloned()
            .flatten()
            .and_then(|p| p.parse().ok())
            .expect("binlog position");
        (file, pos)
    }

    /// Purges every binlog before `file` and waits until the server has really removed them.
    ///
    /// MariaDB does not purge a binlog that crash recovery may still need, that is, before
    /// the BINLOG_CHECKPOINT event for it is written once InnoDB has flushed its commits
    /// (MariaDB KB, "BINLOG_CHECKPOINT_EVENT"); `PURGE BINARY LOGS` then leaves the file with
    /// only a note. Seen here: right after `FLUSH BINARY LOGS` one PURGE sometimes left the
    /// first file listed. This repeats it until the file is gone.
    ///
    /// # Panics
    /// When the older files are still listed after 30 seconds.
    pub fn purge_binlogs_to(&self, file: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            self.exec(&format!("PURGE BINARY LOGS TO '{file}'"));
            let listed: Vec<String> = self
                .exec("SHOW BINARY LOGS")
                .into_iter()
                .filter_map(|row| row.into_iter().next().flatten())
                .collect();
            if listed.first().map(String::as_str) == Some(file) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "PURGE BINARY LOGS TO '{file}' still lists {listed:?} after 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Paths of all binlog files, in order (from the binlog index file).
    pub fn binlog_files(&self) -> Vec<PathBuf> {
        let index = std::fs::read_to_string(self.datadir().join("mysql-bin.index")).unwrap_or_default();
        index
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let name = Path::new(l.trim())
                    .file_name()
                    .map(PathBuf::from)
                    .unwrap_or_default();
                self.datadir().join(name)
            })
            .collect()
    }

    /// Kills the server with `SIGKILL`, as a crash would. [`Server::restart`] brings it back.
    ///
    /// # Panics
    /// On the shared server, which other tests are using.
    pub fn kill(&mut self) {
        assert!(
            !self.shared,
            "the shared server cannot be killed; use a private one"
        );
        self.kill_now();
    }

    /// Stops the server cleanly (`SIGTERM`) and waits for it to exit.
    ///
    /// # Panics
    /// On the shared server.
    pub fn stop(&mut self) {
        assert!(
            !self.shared,
            "the shared server cannot be stopped; use a private one"
        );
        let pid = self.pid();
        if pid != 0 {
            if !reaper::signal_and_wait(pid, libc::SIGTERM, Duration::from_secs(60)) {
                reaper::signal_and_wait(pid, libc::SIGKILL, Duration::from_secs(10));
            }
            self.reap_child();
            self.forget_child();
        }
    }

    /// Starts the server again on the same port and datadir (after [`Server::kill`] or
    /// [`Server::stop`]; a running server is stopped first).
    pub fn restart(&mut self) -> Result<(), Error> {
        self.stop();
        self.launch()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill_now();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn free_port() -> Result<u16, Error> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| io("find a free port", e))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| io("find a free port", e))
}

fn running_as_root() -> bool {
    #[allow(unsafe_code)]
    // SAFETY: geteuid has no preconditions.
    unsafe {
        libc::geteuid() == 0
    }
}

fn io(what: &str, source: std::io::Error) -> Error {
    Error::Io {
        what: what.to_owned(),
        source,
    }
}
