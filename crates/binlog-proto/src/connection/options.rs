//! What a connection needs to know before it starts.

use std::fmt;

use rsa::PublicKey;

use crate::auth::{OaepSeed, parse_public_key_pem};
use crate::error::Result;
use crate::limits::{DEFAULT_MAX_PACKET_SIZE, DEFAULT_MAX_RESULT_SET_SIZE};

/// Whether to upgrade the connection to TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsMode {
    /// Never (passwords then only travel scrambled or RSA-encrypted).
    #[default]
    Disabled,
    /// When the server offers it.
    Preferred,
    /// Always; a server without TLS is an error.
    Required,
}

/// Options of a [`Connection`](super::Connection), built with chained setters.
///
/// ```
/// use binlog_proto::connection::{ConnectOptions, TlsMode};
/// let options = ConnectOptions::new("repl", "secret").database("app").tls(TlsMode::Preferred);
/// assert_eq!(options.user_name(), "repl");
/// ```
#[derive(Clone)]
pub struct ConnectOptions {
    pub(crate) user: String,
    pub(crate) password: String,
    pub(crate) database: Option<String>,
    pub(crate) tls: TlsMode,
    pub(crate) secure_transport: bool,
    pub(crate) server_key: Option<PublicKey>,
    pub(crate) allow_server_key_request: bool,
    pub(crate) oaep_seed: Option<OaepSeed>,
    pub(crate) max_packet_size: usize,
    pub(crate) max_result_set_size: usize,
    pub(crate) attributes: Vec<(String, String)>,
    pub(crate) deprecate_eof: bool,
}

impl fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("user", &self.user)
            .field("password", &"..")
            .field("database", &self.database)
            .field("tls", &self.tls)
            .field("secure_transport", &self.secure_transport)
            .field("server_key", &self.server_key.is_some())
            .field("allow_server_key_request", &self.allow_server_key_request)
            .field("oaep_seed", &self.oaep_seed.is_some())
            .field("max_packet_size", &self.max_packet_size)
            .field("max_result_set_size", &self.max_result_set_size)
            .field("attributes", &self.attributes)
            .field("deprecate_eof", &self.deprecate_eof)
            .finish()
    }
}

impl ConnectOptions {
    /// Options for `user` with `password` (empty for none). TLS is off, the server's RSA key
    /// may be requested, no OAEP seed is set (see [`ConnectOptions::oaep_seed`]).
    pub fn new(user: impl Into<String>, password: impl Into<String>) -> Self {
        ConnectOptions {
            user: user.into(),
            password: password.into(),
            database: None,
            tls: TlsMode::Disabled,
            secure_transport: false,
            server_key: None,
            allow_server_key_request: true,
            oaep_seed: None,
            max_packet_size: DEFAULT_MAX_PACKET_SIZE,
            max_result_set_size: DEFAULT_MAX_RESULT_SET_SIZE,
            attributes: vec![
                ("_client_name".into(), "binlog-proto".into()),
                ("_client_version".into(), env!("CARGO_PKG_VERSION").into()),
            ],
            deprecate_eof: true,
        }
    }

    /// The account name.
    pub fn user_name(&self) -> &str {
        &self.user
    }

    /// Initial default database.
    pub fn database(mut self, database: impl Into<String>) -> Self {
        self.database = Some(database.into());
        self
    }

    /// TLS mode. The connection says when to start TLS ([`Output::StartTls`](super::Output));
    /// the caller performs the TLS handshake.
    pub fn tls(mut self, mode: TlsMode) -> Self {
        self.tls = mode;
        self
    }

    /// Declares the transport private although it has no TLS (a Unix socket): the
    /// `caching_sha2_password` full exchange may then send the password in clear, as MySQL's
    /// own client does on sockets.
    pub fn secure_transport(mut self, secure: bool) -> Self {
        self.secure_transport = secure;
        self
    }

    /// The server's RSA public key (PEM), for `caching_sha2_password` / `sha256_password` full
    /// authentication without TLS and without asking the server for its key.
    pub fn server_public_key_pem(mut self, pem: &[u8]) -> Result<Self> {
        self.server_key = Some(parse_public_key_pem(pem)?);
        Ok(self)
    }

    /// Whether the client may ask the server for its RSA key when it needs it and has no TLS
    /// (default: yes). A key received over an unauthenticated connection can be replaced by a
    /// man in the middle; configure the key or use TLS where that matters.
    pub fn allow_server_key_request(mut self, allow: bool) -> Self {
        self.allow_server_key_request = allow;
        self
    }

    /// The 20 random bytes that RSA-OAEP encryption of the password consumes, fresh for every
    /// connection. The sans-IO core has no random source: without a seed, an exchange that
    /// needs RSA fails with [`Error::Auth`](crate::Error::Auth). Use
    /// [`ConnectOptions::random_oaep_seed`] (feature `getrandom`) or supply bytes from your
    /// own CSPRNG; tests pass fixed bytes for deterministic ciphertexts.
    pub fn oaep_seed(mut self, seed: OaepSeed) -> Self {
        self.oaep_seed = Some(seed);
        self
    }

    /// Sets a fresh OAEP seed from the operating system's random source.
    #[cfg(feature = "getrandom")]
    pub fn random_oaep_seed(self) -> Result<Self> {
        Ok(self.oaep_seed(OaepSeed::random()?))
    }

    /// Largest packet accepted from the server (default
    /// [`DEFAULT_MAX_PACKET_SIZE`](crate::limits::DEFAULT_MAX_PACKET_SIZE)); binlog events are
    /// packets too.
    pub fn max_packet_size(mut self, bytes: usize) -> Self {
        self.max_packet_size = bytes;
        self
    }

    /// Largest total size of one query's result set (default
    /// [`DEFAULT_MAX_RESULT_SET_SIZE`](crate::limits::DEFAULT_MAX_RESULT_SET_SIZE)).
    pub fn max_result_set_size(mut self, bytes: usize) -> Self {
        self.max_result_set_size = bytes;
        self
    }

    /// Adds a connection attribute (shown in `performance_schema.session_connect_attrs`).
    pub fn attribute(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.push((key.into(), value.into()));
        self
    }

    /// Whether to ask for `CLIENT_DEPRECATE_EOF` when the server offers it (default: yes).
    pub fn deprecate_eof(mut self, enable: bool) -> Self {
        self.deprecate_eof = enable;
        self
    }
}
