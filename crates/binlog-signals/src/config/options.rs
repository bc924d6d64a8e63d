//! Option types of [`Config`](super::Config): where to start, TLS, lag policy, the password.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use binlog_proto::gtid::{GtidSet, MariadbGtidList};

use super::ConfigError;

/// Where in the binary log the stream starts.
///
/// ```
/// use binlog_signals::Start;
///
/// let start = Start::position("mysql-bin.000003", 4);
/// assert_eq!(start, Start::Position { file: "mysql-bin.000003".into(), position: 4 });
/// assert_eq!(Start::default(), Start::End);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Start {
    /// The current end of the binary log (`SHOW MASTER STATUS` when connecting): only changes
    /// made from now on. The default.
    #[default]
    End,
    /// The first event of the oldest binlog file the server still has (`SHOW BINARY LOGS`).
    Oldest,
    /// A file and byte offset, e.g. from a saved checkpoint. The offset must be the start of an
    /// event (4 is the first event of a file).
    Position {
        /// Binlog file name, e.g. `mysql-bin.000003`.
        file: String,
        /// Byte offset of the first event to read.
        position: u64,
    },
    /// MySQL GTID auto-positioning: every transaction not in this set (`COM_BINLOG_DUMP_GTID`).
    MysqlGtid(GtidSet),
    /// MariaDB GTID position: everything after these GTIDs, one per domain
    /// (`@slave_connect_state`).
    MariadbGtid(MariadbGtidList),
}

impl Start {
    /// `Start::Position { file, position }`.
    pub fn position(file: impl Into<String>, position: u64) -> Self {
        Start::Position {
            file: file.into(),
            position,
        }
    }
}

/// Whether and how the connection is encrypted, with the names of MySQL's `--ssl-mode`.
///
/// Parses from `disabled`, `preferred`, `required`, `verify_ca`, `verify_identity` (any case,
/// `-` or `_`).
///
/// ```
/// use binlog_signals::TlsMode;
///
/// assert_eq!("VERIFY-CA".parse::<TlsMode>().unwrap(), TlsMode::VerifyCa);
/// assert_eq!(TlsMode::default(), TlsMode::Preferred);
/// assert_eq!(TlsMode::VerifyIdentity.to_string(), "verify_identity");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TlsMode {
    /// Never use TLS.
    Disabled,
    /// Use TLS when the server offers it, without verifying its certificate; plain otherwise.
    /// MySQL's default. Protects against passive eavesdropping only.
    #[default]
    Preferred,
    /// Always use TLS, fail when the server does not offer it. The certificate is **not
    /// verified**: an active man in the middle can read everything. Use `VerifyCa` or
    /// `VerifyIdentity` when that matters.
    Required,
    /// TLS, and the server's certificate chain must lead to a trusted CA (the `ssl-ca` file, or
    /// the Mozilla roots from `webpki-roots` when none is given). The host name is **not**
    /// checked, so any certificate from that CA is accepted: fine for a private CA that signs
    /// only database servers.
    VerifyCa,
    /// `VerifyCa` plus the certificate must name the host connected to (DNS name or IP address
    /// in its subject alternative names). Full verification, as for HTTPS.
    VerifyIdentity,
}

impl TlsMode {
    /// The mode's name as MySQL spells it, in lower case.
    pub fn as_str(self) -> &'static str {
        match self {
            TlsMode::Disabled => "disabled",
            TlsMode::Preferred => "preferred",
            TlsMode::Required => "required",
            TlsMode::VerifyCa => "verify_ca",
            TlsMode::VerifyIdentity => "verify_identity",
        }
    }

    /// Whether the server's certificate chain is verified.
    pub fn verifies_certificate(self) -> bool {
        matches!(self, TlsMode::VerifyCa | TlsMode::VerifyIdentity)
    }
}

impl fmt::Display for TlsMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TlsMode {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, ConfigError> {
        let normalized = s.trim().to_ascii_lowercase().replace('-', "_");
        Ok(match normalized.as_str() {
            "disabled" => TlsMode::Disabled,
            "preferred" => TlsMode::Preferred,
            "required" => TlsMode::Required,
            "verify_ca" => TlsMode::VerifyCa,
            "verify_identity" => TlsMode::VerifyIdentity,
            _ => {
                return Err(ConfigError::InvalidValue {
                    name: "ssl-mode",
                    value: s.to_owned(),
                    expected: "disabled, preferred, required, verify_ca or verify_identity",
                });
            }
        })
    }
}

/// TLS settings: the mode and the PEM files it uses. Files are read when connecting.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsOptions {
    pub(crate) mode: TlsMode,
    pub(crate) ca_file: Option<PathBuf>,
    pub(crate) client_cert: Option<PathBuf>,
    pub(crate) client_key: Option<PathBuf>,
}

impl TlsOptions {
    /// The TLS mode.
    pub fn mode(&self) -> TlsMode {
        self.mode
    }

    /// PEM file with the CA certificate(s) to trust (`ssl-ca`); `None` means the Mozilla roots.
    pub fn ca_file(&self) -> Option<&Path> {
        self.ca_file.as_deref()
    }

    /// PEM files with the client certificate chain and its private key (`ssl-cert`, `ssl-key`).
    pub fn client_cert(&self) -> Option<(&Path, &Path)> {
        self.client_cert.as_deref().zip(self.client_key.as_deref())
    }
}

/// What happens when a subscriber does not keep up.
///
/// ```
/// use std::time::Duration;
/// use binlog_signals::LagPolicy;
///
/// assert_eq!(LagPolicy::default(), LagPolicy::Backpressure);
/// let tolerant = LagPolicy::Drop { after: Duration::from_secs(5) };
/// # let _ = tolerant;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum LagPolicy {
    /// Wait for the slowest subscriber: a full channel pauses reading from the server. Nothing
    /// is ever dropped. The default.
    #[default]
    Backpressure,
    /// Drop a subscriber whose channel stays full for longer than `after` (zero: as soon as an
    /// item does not fit). Its stream yields the items already buffered, then
    /// [`Error::Lagged`](crate::Error::Lagged), then ends; other subscribers are not affected.
    Drop {
        /// How long a full channel is waited for.
        after: Duration,
    },
}

/// A password whose `Debug` output never shows it.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct Password(String);

impl Password {
    pub(crate) fn new(password: String) -> Self {
        Password(password)
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("<empty>")
        } else {
            f.write_str("<redacted>")
        }
    }
}

/// Parses `30`, `1.5`, `30s`, `500ms`, `2m`, `1h` (a bare number is seconds).
pub(crate) fn parse_duration(name: &'static str, value: &str) -> Result<Duration, ConfigError> {
    let bad = || ConfigError::InvalidValue {
        name,
        value: value.to_owned(),
        expected: "a duration such as 30, 1.5, 30s, 500ms, 2m or 1h",
    };
    let text = value.trim();
    let (number, scale) = if let Some(n) = text.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = text.strip_suffix('h') {
        (n, 3600.0)
    } else {
        (text, 1.0)
    };
    // Digits and one dot only: rejects "inf", "NaN", "-1", "1e3".
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(bad());
    }
    let seconds: f64 = number.parse().map_err(|_| bad())?;
    Duration::try_from_secs_f64(seconds * scale).map_err(|_| bad())
}

/// Parses `true`/`false`/`1`/`0`/`yes`/`no`/`on`/`off`.
pub(crate) fn parse_bool(name: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::InvalidValue {
            name,
            value: value.to_owned(),
            expected: "true or false",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tls_mode_string() {
        for (text, mode) in [
            ("disabled", TlsMode::Disabled),
            ("DISABLED", TlsMode::Disabled),
            ("preferred", TlsMode::Preferred),
            ("Preferred", TlsMode::Preferred),
            ("required", TlsMode::Required),
            ("REQUIRED", TlsMode::Required),
            ("verify_ca", TlsMode::VerifyCa),
            ("verify-ca", TlsMode::VerifyCa),
            ("VERIFY_CA", TlsMode::VerifyCa),
            ("verify_identity", TlsMode::VerifyIdentity),
            ("Verify-Identity", TlsMode::VerifyIdentity),
        ] {
            assert_eq!(text.parse::<TlsMode>(), Ok(mode), "{text}");
            assert_eq!(mode.as_str().parse::<TlsMode>(), Ok(mode));
        }
        for bad in ["", "verify", "ssl", "verifyca", "true"] {
            assert!(
                matches!(
                    bad.parse::<TlsMode>(),
                    Err(ConfigError::InvalidValue { name: "ssl-mode", .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn durations() {
        let d = |s| parse_duration("t", s);
        assert_eq!(d("30"), Ok(Duration::from_secs(30)));
        assert_eq!(d("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(d("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(d("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(d("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(d("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(d("0"), Ok(Duration::ZERO));
        for bad in [
            "",
            "s",
            "-1",
            "1e3",
            "inf",
            "NaN",
            "1d",
            "1.2.3",
            "ms",
            "99999999999999999999999h",
        ] {
            assert!(d(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn password_debug_is_redacted() {
        assert_eq!(format!("{:?}", Password::new("hunter2".into())), "<redacted>");
        assert_eq!(format!("{:?}", Password::default()), "<empty>");
    }
}
