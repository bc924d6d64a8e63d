//! Authentication plugins and the client side of their exchanges.
//!
//! Supported: `mysql_native_password`, `caching_sha2_password` (fast and full
//! authentication, over TLS or with RSA), `sha256_password` and `mysql_clear_password`
//! (TLS only). Any other plugin the server asks for is [`Error::Unsupported`] naming it.
//! See the MySQL source documentation, "Authentication Methods" and "Caching_sha2_password
//! information" (`sql-common/client_authentication.cc`), and auth-vectors.md in the corpus.
//!
//! The exchange itself is driven by [`crate::connection::Connection`]: it hands the
//! authenticator every AuthMoreData payload and lets it produce the next client packet.

mod rsa;
mod scramble;

pub use self::rsa::{OAEP_SEED_LEN, OaepSeed, oaep_encrypt, parse_public_key_pem};
pub use self::scramble::{scramble_caching_sha2, scramble_native, xor_password_with_nonce};

use ::rsa::PublicKey;

use crate::error::{Error, Result};

/// `caching_sha2_password` AuthMoreData status: the scramble matched the server's cache.
pub const FAST_AUTH_SUCCESS: u8 = 0x03;
/// `caching_sha2_password` AuthMoreData status: send the password (TLS) or RSA-encrypt it.
pub const PERFORM_FULL_AUTHENTICATION: u8 = 0x04;
/// Client request for the server's RSA key under `caching_sha2_password`.
pub const CACHING_SHA2_REQUEST_PUBLIC_KEY: u8 = 0x02;
/// Client request for the server's RSA key under `sha256_password`.
pub const SHA256_REQUEST_PUBLIC_KEY: u8 = 0x01;

/// An authentication plugin this crate can speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthPlugin {
    /// `mysql_native_password` (SHA-1 scramble).
    MysqlNativePassword,
    /// `caching_sha2_password` (MySQL 8 default).
    CachingSha2Password,
    /// `sha256_password` (RSA or TLS, no cache).
    Sha256Password,
    /// `mysql_clear_password` (password in clear; only over TLS).
    MysqlClearPassword,
}

impl AuthPlugin {
    /// The plugin with this wire name, if supported.
    pub fn from_name(name: &str) -> Option<AuthPlugin> {
        match name {
            "mysql_native_password" => Some(AuthPlugin::MysqlNativePassword),
            "caching_sha2_password" => Some(AuthPlugin::CachingSha2Password),
            "sha256_password" => Some(AuthPlugin::Sha256Password),
            "mysql_clear_password" => Some(AuthPlugin::MysqlClearPassword),
            _ => None,
        }
    }

    /// The plugin's wire name.
    pub fn name(self) -> &'static str {
        match self {
            AuthPlugin::MysqlNativePassword => "mysql_native_password",
            AuthPlugin::CachingSha2Password => "caching_sha2_password",
            AuthPlugin::Sha256Password => "sha256_password",
            AuthPlugin::MysqlClearPassword => "mysql_clear_password",
        }
    }
}

/// An AuthSwitchRequest (0xfe): the server wants another plugin, with a fresh nonce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthSwitchRequest {
    /// The plugin to switch to.
    pub plugin: String,
    /// The plugin data, without the trailing NUL the server appends (auth-vectors.md, C4).
    pub nonce: Vec<u8>,
}

/// Parses an AuthSwitchRequest payload: `0xfe plugin-name NUL plugin-data [NUL]`.
///
/// A bare `0xfe` is the pre-4.1 "old password" switch, which is not supported.
pub fn parse_auth_switch_request(payload: &[u8]) -> Result<AuthSwitchRequest> {
    match payload {
        [0xfe] => Err(Error::Unsupported(
            "authentication plugin mysql_old_password (pre-4.1 password hashing)".into(),
        )),
        [0xfe, rest @ ..] => {
            let (nonce, name) =
                crate::codec::parse_all("auth switch request", rest, crate::codec::nul_terminated)?;
            Ok(AuthSwitchRequest {
                plugin: String::from_utf8_lossy(name).into_owned(),
                nonce: nonce.strip_suffix(b"\0").unwrap_or(nonce).to_vec(),
            })
        }
        _ => Err(Error::Malformed {
            what: "auth switch request",
            offset: 0,
        }),
    }
}

/// What an exchange needs besides the nonce; borrowed from the connection options.
pub(crate) struct AuthInput<'a> {
    /// The password (possibly empty).
    pub(crate) password: &'a [u8],
    /// TLS is active (or the transport is otherwise private): the password may travel in clear.
    pub(crate) secure: bool,
    /// The server's RSA key, when configured.
    pub(crate) server_key: Option<&'a PublicKey>,
    /// May the client ask the server for its RSA key over an insecure connection?
    pub(crate) allow_key_request: bool,
    /// The OAEP seed; taken by the one RSA encryption of a connection.
    pub(crate) oaep_seed: &'a mut Option<OaepSeed>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    // Each variant names what the client waits for.
    /// caching_sha2 scramble sent: waiting for 0x03 / 0x04 (or OK / ERR).
    FastResult,
    /// Public key requested: waiting for the PEM.
    ServerKey,
    /// Everything sent: only OK / ERR / auth switch may follow.
    Outcome,
}

/// The client side of one plugin's exchange.
#[derive(Debug)]
pub(crate) struct Authenticator {
    plugin: AuthPlugin,
    nonce: Vec<u8>,
    phase: Phase,
}

impl Authenticator {
    /// Starts `plugin` with `nonce`; returns the authenticator and the first response.
    pub(crate) fn start(
        plugin: AuthPlugin,
        nonce: &[u8],
        input: &mut AuthInput<'_>,
    ) -> Result<(Self, Vec<u8>)> {
        let mut auth = Authenticator {
            plugin,
            nonce: nonce.to_vec(),
            phase: Phase::Outcome,
        };
        let first = match plugin {
            AuthPlugin::MysqlNativePassword => scramble_native(nonce, input.password),
            AuthPlugin::CachingSha2Password => {
                auth.phase = Phase::FastResult;
                scramble_caching_sha2(nonce, input.password)
            }
            // sha256_password: an empty password is a single NUL (MySQL
            // `sha256_password_auth_client`); otherwise as in full authentication.
            AuthPlugin::Sha256Password if input.password.is_empty() => vec![0],
            AuthPlugin::Sha256Password => auth.full_authentication(input)?,
            AuthPlugin::MysqlClearPassword => auth.cleartext(input)?,
        };
        Ok((auth, first))
    }

    /// Handles an AuthMoreData payload (after its 0x01 marker); returns the packet to send,
    /// if any.
    pub(crate) fn more_data(&mut self, data: &[u8], input: &mut AuthInput<'_>) -> Result<Option<Vec<u8>>> {
        match (self.phase, data) {
            (Phase::FastResult, [FAST_AUTH_SUCCESS]) => {
                self.phase = Phase::Outcome;
                Ok(None)
            }
            (Phase::FastResult, [PERFORM_FULL_AUTHENTICATION]) => self.full_authentication(input).map(Some),
            (Phase::ServerKey, pem) => {
                let key = parse_public_key_pem(pem)?;
                self.phase = Phase::Outcome;
                self.rsa_encrypt(&key, input).map(Some)
            }
            (phase, _) => Err(self.error(format!(
                "unexpected AuthMoreData {} while {}",
                describe(data),
                match phase {
                    Phase::FastResult => "waiting for the fast-auth result",
                    Phase::ServerKey => "waiting for the server's public key",
                    Phase::Outcome => "waiting for OK or ERR",
                }
            ))),
        }
    }

    /// Sends the password in clear over TLS, RSA-encrypted with a known key, or asks for the
    /// server's key.
    fn full_authentication(&mut self, input: &mut AuthInput<'_>) -> Result<Vec<u8>> {
        self.phase = Phase::Outcome;
        if input.secure {
            return Ok(with_nul(input.password));
        }
        if let Some(key) = input.server_key {
            return self.rsa_encrypt(key, input);
        }
        if !input.allow_key_request {
            return Err(self.error(
                "the server needs the password, the connection has no TLS, no server public key is \
                 configured and requesting it is not allowed"
                    .into(),
            ));
        }
        self.phase = Phase::ServerKey;
        Ok(vec![match self.plugin {
            AuthPlugin::Sha256Password => SHA256_REQUEST_PUBLIC_KEY,
            _ => CACHING_SHA2_REQUEST_PUBLIC_KEY,
        }])
    }

    fn cleartext(&mut self, input: &AuthInput<'_>) -> Result<Vec<u8>> {
        if !input.secure {
            return Err(
                self.error("refusing to send the password in clear over a connection without TLS".into())
            );
        }
        Ok(with_nul(input.password))
    }

    fn rsa_encrypt(&self, key: &PublicKey, input: &mut AuthInput<'_>) -> Result<Vec<u8>> {
        let seed = input.oaep_seed.take().ok_or_else(|| {
            self.error(
                "RSA encryption of the password needs a fresh random OAEP seed \
                 (ConnectOptions::oaep_seed); none is left"
                    .into(),
            )
        })?;
        let plaintext = xor_password_with_nonce(input.password, &self.nonce);
        oaep_encrypt(key, &plaintext, &seed, self.plugin.name())
    }

    fn error(&self, reason: String) -> Error {
        Error::Auth {
            plugin: self.plugin.name().into(),
            reason,
        }
    }
}

fn with_nul(password: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(password.len().saturating_add(1));
    out.extend_from_slice(password);
    out.push(0);
    out
}

/// A short description of unexpected data for error messages.
fn describe(data: &[u8]) -> String {
    match data {
        [] => "(empty)".into(),
        [b] => format!("0x{b:02x}"),
        [b, ..] => format!("of {} bytes starting 0x{b:02x}", data.len()),
    }
}

#[cfg(test)]
mod tests;
