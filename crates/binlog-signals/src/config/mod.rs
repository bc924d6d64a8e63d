//! Connection settings: a [`Config`] from a URL or a [`ConfigBuilder`].
//!
//! # URL
//!
//! `mysql://user:password@host:port/?option=value&...` (or `mariadb://`; the scheme does not
//! change behaviour, the server's flavour is detected when connecting). The user is required,
//! the password optional, the port defaults to 3306. User and password are percent-decoded:
//! encode `@ : / ? # %` and non-ASCII characters in them (`p%40ss` is `p@ss`); `+` is a
//! literal plus. An IPv6 host is written in brackets (`[::1]:3306`). The path must be empty or
//! `/`: a replication stream covers the whole server, not one database.
//!
//! Query parameters (names case-insensitive, `_` and `-` alike; values percent-decoded):
//!
//! | parameter | value | builder method |
//! |---|---|---|
//! | `server-id` | 1 to 4294967295 | [`server_id`](ConfigBuilder::server_id) |
//! | `start` | `end` or `oldest` | [`start`](ConfigBuilder::start) |
//! | `binlog-file`, `binlog-position` | file name; offset (default 4) | [`start`](ConfigBuilder::start) with [`Start::Position`] |
//! | `gtid-set` | MySQL GTID set, e.g. `3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5` | [`start`](ConfigBuilder::start) with [`Start::MysqlGtid`] |
//! | `mariadb-gtid` | MariaDB GTID list, e.g. `0-1-100,1-2-5` | [`start`](ConfigBuilder::start) with [`Start::MariadbGtid`] |
//! | `blocking` | `true`/`false` | [`blocking`](ConfigBuilder::blocking) |
//! | `heartbeat` | duration (`30`, `1.5`, `500ms`, `2m`); `0` disables | [`heartbeat`](ConfigBuilder::heartbeat) |
//! | `connect-timeout` | duration | [`connect_timeout`](ConfigBuilder::connect_timeout) |
//! | `read-timeout` | duration; `0` disables | [`read_timeout`](ConfigBuilder::read_timeout) |
//! | `channel-capacity` | items per subscriber | [`channel_capacity`](ConfigBuilder::channel_capacity) |
//! | `lag-policy` | `backpressure` or `drop` | [`lag_policy`](ConfigBuilder::lag_policy) |
//! | `lag-timeout` | duration a full channel is waited for with `drop` (default 0) | [`lag_policy`](ConfigBuilder::lag_policy) |
//! | `include`, `exclude` | comma-separated [table patterns](crate::TablePattern); may repeat | [`include`](ConfigBuilder::include), [`exclude`](ConfigBuilder::exclude) |
//! | `ssl-mode` | `disabled`, `preferred`, `required`, `verify_ca`, `verify_identity` | [`tls_mode`](ConfigBuilder::tls_mode) |
//! | `ssl-ca` | PEM file path | [`tls_ca_file`](ConfigBuilder::tls_ca_file) |
//! | `ssl-cert`, `ssl-key` | PEM file paths | [`tls_client_cert`](ConfigBuilder::tls_client_cert) |
//! | `server-public-key` | PEM file path | [`server_public_key_file`](ConfigBuilder::server_public_key_file) |
//! | `get-server-public-key` | `true`/`false` | [`get_server_public_key`](ConfigBuilder::get_server_public_key) |
//!
//! At most one of `start`, `binlog-file`, `gtid-set`, `mariadb-gtid` may be given. Unknown
//! parameters are errors, so a typo never goes unnoticed.

mod error;
mod options;
mod reconnect;
mod url;

use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

pub use error::ConfigError;
pub(crate) use options::Password;
pub use options::{LagPolicy, Start, TlsMode, TlsOptions};
pub use reconnect::{
    DEFAULT_RECONNECT_ATTEMPTS, DEFAULT_RECONNECT_INITIAL_DELAY, DEFAULT_RECONNECT_MAX_DELAY, Reconnect,
};

use crate::filter::{TableFilter, TablePattern};

/// Server ids picked when none is configured: `0xF000_0000 ..= 0xFFFF_FFFF`.
///
/// Two replicas with the same server id make the server drop the older connection, so the id
/// must not collide with a real server or another replica. Hand-picked ids are small numbers;
/// ids derived from an IPv4 address (a common scheme) are unicast addresses, and every number
/// in this range read as an IPv4 address is in 240.0.0.0/4 (reserved, never assigned to a
/// host). The range holds 268 million ids, so two clients picking at random practically never
/// meet. The id is picked once per [`Config`], so reconnects reuse it and replace their own
/// stale registration instead of adding another.
pub const RANDOM_SERVER_ID_RANGE: RangeInclusive<u32> = 0xF000_0000..=u32::MAX;

/// Items buffered per subscriber when not configured.
///
/// An item is a whole rows event, often hundreds of rows, so memory is bounded by capacity
/// times event size, not by a row count. Measured (docs/benchmarks.md): with a subscriber
/// that sleeps, 1,000,000 narrow rows peak at about 16 MiB with 64 and 110–129 MiB with 1024;
/// end-to-end throughput against mysql_async was the same (3.3×) with 64 as with 1024.
pub const DEFAULT_CHANNEL_CAPACITY: usize = 64;

/// Largest accepted channel capacity (memory is allocated as items arrive, not up front).
pub const MAX_CHANNEL_CAPACITY: usize = 1 << 20;

/// Heartbeat period when not configured: what a MySQL replica uses by default
/// (`slave_net_timeout` / 2, `sql/rpl_replica.cc`).
pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(30);

/// Read timeout when not configured: two missed heartbeats.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(60);

/// Connect timeout (TCP, TLS and authentication) when not configured.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Longest heartbeat period the servers accept, in seconds (`SLAVE_MAX_HEARTBEAT_PERIOD` in
/// MySQL's `sql/rpl_mi.h`; MariaDB has the same bound).
const MAX_HEARTBEAT_SECS: u64 = 4_294_967;

/// Longest binlog file name, in bytes (`FN_REFLEN`; shared with checkpoints).
const MAX_BINLOG_FILE_LEN: usize = binlog_checkpoint::MAX_BINLOG_FILE_LEN;

/// The first event of a binlog file follows the 4-byte magic number.
const FIRST_EVENT_POSITION: u64 = 4;

/// Validated connection settings. Build one with [`Config::from_url`] or [`Config::builder`].
///
/// `Debug` output never shows the password.
///
/// ```
/// use binlog_signals::{Config, Start, TlsMode};
///
/// let config = Config::from_url(
///     "mysql://repl:s%40cret@db.internal:3307/?ssl-mode=verify_identity&server-id=4242&include=shop.*",
/// )?;
/// assert_eq!(config.host(), "db.internal");
/// assert_eq!(config.port(), 3307);
/// assert_eq!(config.user(), "repl");
/// assert_eq!(config.server_id(), 4242);
/// assert_eq!(config.start(), &Start::End);
/// assert_eq!(config.tls().mode(), TlsMode::VerifyIdentity);
/// assert!(config.table_filter().allows("shop", "orders"));
/// assert!(!format!("{config:?}").contains("s@cret"));
/// # Ok::<(), binlog_signals::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) user: String,
    pub(crate) password: Password,
    pub(crate) server_id: u32,
    pub(crate) start: Start,
    pub(crate) blocking: bool,
    pub(crate) heartbeat: Option<Duration>,
    pub(crate) connect_timeout: Duration,
    pub(crate) read_timeout: Option<Duration>,
    pub(crate) channel_capacity: usize,
    pub(crate) lag_policy: LagPolicy,
    pub(crate) table_filter: TableFilter,
    pub(crate) tls: TlsOptions,
    pub(crate) server_public_key_file: Option<PathBuf>,
    pub(crate) get_server_public_key: bool,
    pub(crate) reconnect: Reconnect,
}

impl Config {
    /// Parses and validates a `mysql://` or `mariadb://` URL; see the [module docs](self).
    pub fn from_url(url: &str) -> Result<Config, ConfigError> {
        ConfigBuilder::from_url(url)?.build()
    }

    /// A builder with the defaults: host `localhost`, port 3306, no user yet.
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::default()
    }

    /// Host name or IP address to connect to.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// User name (needs the `REPLICATION SLAVE` and `REPLICATION CLIENT` privileges).
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The password (crate-internal: the public API never hands it out).
    #[cfg_attr(not(test), allow(dead_code))] // read by the session during authentication
    pub(crate) fn password(&self) -> &str {
        self.password.expose()
    }

    /// Server id this client registers with (configured, or picked from
    /// [`RANDOM_SERVER_ID_RANGE`]).
    pub fn server_id(&self) -> u32 {
        self.server_id
    }

    /// Where the stream starts.
    pub fn start(&self) -> &Start {
        &self.start
    }

    /// `true` (default): wait for new events at the end of the binlog, forever.
    /// `false`: end the streams when the end of the binlog is reached.
    pub fn blocking(&self) -> bool {
        self.blocking
    }

    /// How often the server sends a heartbeat on an idle connection; `None`: never.
    pub fn heartbeat(&self) -> Option<Duration> {
        self.heartbeat
    }

    /// Limit for establishing the connection (TCP, TLS and authentication).
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// Limit for silence from the server before the connection counts as dead; `None`: wait
    /// forever.
    pub fn read_timeout(&self) -> Option<Duration> {
        self.read_timeout
    }

    /// Items buffered per subscriber.
    pub fn channel_capacity(&self) -> usize {
        self.channel_capacity
    }

    /// What happens when a subscriber does not keep up.
    pub fn lag_policy(&self) -> LagPolicy {
        self.lag_policy
    }

    /// Tables whose rows are decoded and published at all (per-stream filters come on top).
    pub fn table_filter(&self) -> &TableFilter {
        &self.table_filter
    }

    /// TLS settings.
    pub fn tls(&self) -> &TlsOptions {
        &self.tls
    }

    /// PEM file with the server's RSA public key, used by `caching_sha2_password` and
    /// `sha256_password` to send the password encrypted over a connection without TLS.
    pub fn server_public_key_file(&self) -> Option<&Path> {
        self.server_public_key_file.as_deref()
    }

    /// Whether the server may be asked for its RSA public key when no key file is configured
    /// (MySQL's `--get-server-public-key`). Off by default: a man in the middle could hand out
    /// its own key and learn the password.
    pub fn get_server_public_key(&self) -> bool {
        self.get_server_public_key
    }

    /// How a lost connection is reopened (see [`Reconnect`]).
    pub fn reconnect(&self) -> &Reconnect {
        &self.reconnect
    }
}

impl FromStr for Config {
    type Err = ConfigError;

    /// Same as [`Config::from_url`].
    fn from_str(url: &str) -> Result<Self, ConfigError> {
        Config::from_url(url)
    }
}

/// Builds a [`Config`]; [`build`](Self::build) validates. `Debug` never shows the password.
///
/// ```
/// use std::time::Duration;
/// use binlog_signals::{Config, LagPolicy, Start, TlsMode};
///
/// let config = Config::builder()
///     .host("10.0.0.5")
///     .user("repl")
///     .password("secret")
///     .start(Start::Oldest)
///     .blocking(false)
///     .heartbeat(Some(Duration::from_secs(5)))
///     .read_timeout(Some(Duration::from_secs(15)))
///     .channel_capacity(64)
///     .lag_policy(LagPolicy::Drop { after: Duration::from_secs(1) })
///     .include("shop.*")
///     .exclude("*.audit_*")
///     .tls_mode(TlsMode::Required)
///     .build()?;
/// assert_eq!(config.port(), 3306);
/// assert!(!config.blocking());
///
/// // Start from a URL and adjust:
/// let config = binlog_signals::ConfigBuilder::from_url("mariadb://repl@db")?
///     .start(Start::position("mysql-bin.000042", 1234))
///     .build()?;
/// assert!(matches!(config.start(), Start::Position { position: 1234, .. }));
/// # Ok::<(), binlog_signals::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigBuilder {
    host: String,
    port: u16,
    user: String,
    password: Password,
    server_id: Option<u32>,
    start: Start,
    blocking: bool,
    heartbeat: Option<Duration>,
    connect_timeout: Duration,
    read_timeout: Option<Duration>,
    channel_capacity: usize,
    lag_policy: LagPolicy,
    table_filter: TableFilter,
    tls: TlsOptions,
    server_public_key_file: Option<PathBuf>,
    get_server_public_key: bool,
    reconnect: Reconnect,
}

impl Default for ConfigBuilder {
    fn default() -> Self {
        ConfigBuilder {
            host: "localhost".to_owned(),
            port: 3306,
            user: String::new(),
            password: Password::default(),
            server_id: None,
            start: Start::End,
            blocking: true,
            heartbeat: Some(DEFAULT_HEARTBEAT),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            read_timeout: Some(DEFAULT_READ_TIMEOUT),
            channel_capacity: DEFAULT_CHANNEL_CAPACITY,
            lag_policy: LagPolicy::Backpressure,
            table_filter: TableFilter::new(),
            tls: TlsOptions::default(),
            server_public_key_file: None,
            get_server_public_key: false,
            reconnect: Reconnect::default(),
        }
    }
}

impl ConfigBuilder {
    /// A builder preset from a URL (see the [module docs](self)); not yet validated as a whole.
    pub fn from_url(url: &str) -> Result<ConfigBuilder, ConfigError> {
        url::parse(url)
    }

    /// Host name or IP address (default `localhost`, over TCP).
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = host.into();
        self
    }

    /// TCP port (default 3306).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// User name (required).
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.user = user.into();
        self
    }

    /// Password (default: none).
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Password::new(password.into());
        self
    }

    /// Server id to register with; default: random in [`RANDOM_SERVER_ID_RANGE`].
    pub fn server_id(mut self, server_id: u32) -> Self {
        self.server_id = Some(server_id);
        self
    }

    /// Where to start (default [`Start::End`]).
    pub fn start(mut self, start: Start) -> Self {
        self.start = start;
        self
    }

    /// `true` (default): wait for new events forever. `false`: end the streams at the end of
    /// the binlog.
    pub fn blocking(mut self, blocking: bool) -> Self {
        self.blocking = blocking;
        self
    }

    /// Heartbeat period (default [`DEFAULT_HEARTBEAT`]); `None` disables heartbeats.
    pub fn heartbeat(mut self, period: Option<Duration>) -> Self {
        self.heartbeat = period;
        self
    }

    /// Connect timeout (default [`DEFAULT_CONNECT_TIMEOUT`]).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Read timeout (default [`DEFAULT_READ_TIMEOUT`]); `None` waits forever. In blocking mode
    /// it must be longer than the heartbeat period.
    pub fn read_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// Items buffered per subscriber (default [`DEFAULT_CHANNEL_CAPACITY`]).
    pub fn channel_capacity(mut self, capacity: usize) -> Self {
        self.channel_capacity = capacity;
        self
    }

    /// What happens when a subscriber does not keep up (default [`LagPolicy::Backpressure`]).
    pub fn lag_policy(mut self, policy: LagPolicy) -> Self {
        self.lag_policy = policy;
        self
    }

    /// Adds a connection-wide include pattern (see [`TableFilter`]).
    pub fn include(mut self, pattern: impl Into<TablePattern>) -> Self {
        self.table_filter.push_include(pattern.into());
        self
    }

    /// Adds a connection-wide exclude pattern (see [`TableFilter`]).
    pub fn exclude(mut self, pattern: impl Into<TablePattern>) -> Self {
        self.table_filter.push_exclude(pattern.into());
        self
    }

    /// Replaces the connection-wide table filter.
    pub fn table_filter(mut self, filter: TableFilter) -> Self {
        self.table_filter = filter;
        self
    }

    /// TLS mode (default [`TlsMode::Preferred`]).
    pub fn tls_mode(mut self, mode: TlsMode) -> Self {
        self.tls.mode = mode;
        self
    }

    /// PEM file with the CA certificate(s) to trust, for `VerifyCa` and `VerifyIdentity`.
    pub fn tls_ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.tls.ca_file = Some(path.into());
        self
    }

    /// PEM files with a client certificate chain and its private key, for servers that
    /// require X509 authentication.
    pub fn tls_client_cert(mut self, cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        self.tls.client_cert = Some(cert.into());
        self.tls.client_key = Some(key.into());
        self
    }

    /// PEM file with the server's RSA public key (see [`Config::server_public_key_file`]).
    pub fn server_public_key_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.server_public_key_file = Some(path.into());
        self
    }

    /// Allow asking the server for its RSA public key (see [`Config::get_server_public_key`]).
    pub fn get_server_public_key(mut self, allow: bool) -> Self {
        self.get_server_public_key = allow;
        self
    }

    /// How a lost connection is reopened (default [`Reconnect::new`]; [`Reconnect::never`]
    /// ends the streams at the first connection loss).
    pub fn reconnect(mut self, reconnect: Reconnect) -> Self {
        self.reconnect = reconnect;
        self
    }

    /// Validates the settings and builds the [`Config`].
    pub fn build(self) -> Result<Config, ConfigError> {
        if self.user.is_empty() {
            return Err(ConfigError::MissingUser);
        }
        if self.host.is_empty() {
            return Err(ConfigError::MissingHost);
        }
        if self.port == 0 {
            return Err(ConfigError::InvalidPort);
        }
        if self.server_id == Some(0) {
            return Err(ConfigError::ServerIdZero);
        }
        validate_start(&self.start)?;
        self.validate_timeouts()?;
        if !(1..=MAX_CHANNEL_CAPACITY).contains(&self.channel_capacity) {
            return Err(ConfigError::ChannelCapacity {
                capacity: self.channel_capacity,
                max: MAX_CHANNEL_CAPACITY,
            });
        }
        validate_tls(&self.tls)?;
        Ok(Config {
            host: self.host,
            port: self.port,
            user: self.user,
            password: self.password,
            server_id: self
                .server_id
                .unwrap_or_else(|| fastrand::u32(RANDOM_SERVER_ID_RANGE)),
            start: self.start,
            blocking: self.blocking,
            heartbeat: self.heartbeat,
            connect_timeout: self.connect_timeout,
            read_timeout: self.read_timeout,
            channel_capacity: self.channel_capacity,
            lag_policy: self.lag_policy,
            table_filter: self.table_filter,
            tls: self.tls,
            server_public_key_file: self.server_public_key_file,
            get_server_public_key: self.get_server_public_key,
            reconnect: self.reconnect,
        })
    }

    fn validate_timeouts(&self) -> Result<(), ConfigError> {
        if let Some(period) = self.heartbeat
            && !(Duration::from_millis(1)..=Duration::from_secs(MAX_HEARTBEAT_SECS)).contains(&period)
        {
            return Err(ConfigError::HeartbeatRange { period });
        }
        if self.connect_timeout.is_zero() {
            return Err(ConfigError::ZeroTimeout {
                name: "connect timeout",
            });
        }
        if let Some(read_timeout) = self.read_timeout {
            if read_timeout.is_zero() {
                return Err(ConfigError::ZeroTimeout { name: "read timeout" });
            }
            // An idle blocking stream receives only heartbeats; without one shorter than the
            // read timeout, a healthy connection would time out.
            let covered = self.heartbeat.is_some_and(|period| period < read_timeout);
            if self.blocking && !covered {
                return Err(ConfigError::ReadTimeoutTooShort {
                    read_timeout,
                    heartbeat: self
                        .heartbeat
                        .map_or_else(|| "disabled".to_owned(), |p| format!("{p:?}")),
                });
            }
        }
        Ok(())
    }
}

fn validate_start(start: &Start) -> Result<(), ConfigError> {
    if let Start::Position { file, position } = start {
        if file.is_empty() {
            return Err(ConfigError::BinlogFile { reason: "empty" });
        }
        if file.len() > MAX_BINLOG_FILE_LEN {
            return Err(ConfigError::BinlogFile {
                reason: "longer than 512 bytes",
            });
        }
        if file.chars().any(char::is_control) {
            return Err(ConfigError::BinlogFile {
                reason: "contains a control character",
            });
        }
        if *position < FIRST_EVENT_POSITION {
            return Err(ConfigError::BinlogPosition { position: *position });
        }
    }
    Ok(())
}

fn validate_tls(tls: &TlsOptions) -> Result<(), ConfigError> {
    if tls.client_cert.is_some() != tls.client_key.is_some() {
        return Err(ConfigError::ClientCertIncomplete);
    }
    let ignored = |option| ConfigError::TlsOptionIgnored {
        option,
        mode: tls.mode,
        hint: "choose ssl-mode=verify_ca or verify_identity",
    };
    match tls.mode {
        TlsMode::Disabled if tls.client_cert.is_some() => Err(ConfigError::TlsOptionIgnored {
            option: "ssl-cert",
            mode: tls.mode,
            hint: "choose an ssl-mode other than disabled",
        }),
        // A CA file with a mode that does not verify would look safe and not be.
        TlsMode::Disabled | TlsMode::Preferred | TlsMode::Required if tls.ca_file.is_some() => {
            Err(ignored("ssl-ca"))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests;
