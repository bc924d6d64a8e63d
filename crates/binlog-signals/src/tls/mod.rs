//! TLS for the connection: a rustls connector built once from the [`TlsOptions`], and the
//! [`Transport`] the session reads and writes, plain or encrypted.
//!
//! The MySQL protocol starts in plain text: the server's greeting says whether it supports TLS
//! (`CLIENT_SSL`); the client then sends an `SSLRequest` packet and performs the TLS handshake
//! on the same TCP connection ([`TlsConnector::connect`]). The session decides when, and what
//! to do when the server offers no TLS ([`TlsConnector::requires_tls`]).
//!
//! Modes and what they check (see [`TlsMode`]):
//! - `VerifyIdentity`: rustls' WebPKI verifier, chain and host name.
//! - `VerifyCa`: chain only ([`verify::ChainOnly`]).
//! - `Required`, `Preferred`: nothing ([`verify::NoVerification`]).

mod verify;

#[cfg(test)]
mod tests;

use std::fmt;
use std::io;
use std::net::Ipv4Addr;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use rustls::ClientConfig;
use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use crate::config::{TlsMode, TlsOptions};
use crate::error::Error;

/// Performs the client side of the TLS handshake. Built once per [`Config`](crate::Config)
/// (reads the PEM files then) and reused for every reconnect.
#[derive(Clone)]
pub(crate) struct TlsConnector {
    connector: tokio_rustls::TlsConnector,
    server_name: ServerName<'static>,
    host: String,
    mode: TlsMode,
}

// Used by the session (integration); tested against a real server in `tests`.
#[cfg_attr(not(test), allow(dead_code))]
impl TlsConnector {
    /// The connector for `options`, or `None` for [`TlsMode::Disabled`]. `host` is the name
    /// the certificate must carry in `VerifyIdentity` mode.
    pub(crate) fn new(options: &TlsOptions, host: &str) -> Result<Option<TlsConnector>, Error> {
        let mode = options.mode();
        if mode == TlsMode::Disabled {
            return Ok(None);
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let algorithms = provider.signature_verification_algorithms;
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| setup("TLS protocol versions", e))?;
        let builder = match mode {
            TlsMode::VerifyIdentity => builder.with_root_certificates(load_roots(options.ca_file())?),
            TlsMode::VerifyCa => {
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(verify::ChainOnly::new(
                        Arc::new(load_roots(options.ca_file())?),
                        algorithms,
                    )))
            }
            TlsMode::Required | TlsMode::Preferred | TlsMode::Disabled => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(verify::NoVerification::new(algorithms))),
        };
        let config = match options.client_cert() {
            Some((cert, key)) => {
                let (chain, key) = load_client_cert(cert, key)?;
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(|e| setup(&format!("client certificate {}", cert.display()), e))?
            }
            None => builder.with_no_client_auth(),
        };
        let server_name = match ServerName::try_from(host.to_owned()) {
            Ok(name) => name,
            Err(_) if mode == TlsMode::VerifyIdentity => {
                return Err(Error::TlsSetup {
                    what: format!("server name {host:?}"),
                    reason: "not a valid DNS name or IP address to verify the certificate against".into(),
                });
            }
            // The name is not checked in these modes; an IP address also keeps it out of SNI.
            Err(_) => ServerName::IpAddress(Ipv4Addr::UNSPECIFIED.into()),
        };
        Ok(Some(TlsConnector {
            connector: tokio_rustls::TlsConnector::from(Arc::new(config)),
            server_name,
            host: host.to_owned(),
            mode,
        }))
    }

    /// The mode this connector was built for.
    pub(crate) fn mode(&self) -> TlsMode {
        self.mode
    }

    /// Whether a server without TLS support must be refused ([`Error::TlsUnavailable`]);
    /// only `Preferred` falls back to plain text.
    pub(crate) fn requires_tls(&self) -> bool {
        self.mode != TlsMode::Preferred
    }

    /// Runs the TLS handshake on `tcp` (after the session sent `SSLRequest`).
    pub(crate) async fn connect(&self, tcp: TcpStream) -> Result<Transport, Error> {
        match self.connector.connect(self.server_name.clone(), tcp).await {
            Ok(stream) => Ok(Transport::Tls(Box::new(stream))),
            Err(e) => Err(self.io_error(e)),
        }
    }

    /// Classifies an I/O error of a TLS transport: TLS failures (bad certificate, alerts from
    /// the server) become [`Error::Tls`], the rest [`Error::Io`]. With TLS 1.3 the server
    /// checks a client certificate after the client finished its handshake, so a rejection
    /// arrives as an alert on the first read: the session maps read errors with this too.
    pub(crate) fn io_error(&self, error: io::Error) -> Error {
        let tls_error = error
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            .cloned();
        match tls_error {
            Some(source) => Error::Tls {
                host: self.host.clone(),
                source,
            },
            None => Error::from(error),
        }
    }
}

impl fmt::Debug for TlsConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConnector")
            .field("mode", &self.mode)
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

fn setup(what: &str, error: impl fmt::Display) -> Error {
    Error::TlsSetup {
        what: what.to_owned(),
        reason: error.to_string(),
    }
}

/// The CA certificates of `ca_file`, or the Mozilla roots when there is none.
fn load_roots(ca_file: Option<&Path>) -> Result<RootCertStore, Error> {
    let Some(path) = ca_file else {
        return Ok(RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        });
    };
    let what = || format!("CA file {}", path.display());
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(path).map_err(|e| setup(&what(), e))? {
        let cert = cert.map_err(|e| setup(&what(), e))?;
        roots.add(cert).map_err(|e| setup(&what(), e))?;
    }
    if roots.is_empty() {
        return Err(setup(&what(), "no CERTIFICATE in the file"));
    }
    Ok(roots)
}

fn load_client_cert(
    cert: &Path,
    key: &Path,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), Error> {
    let what = || format!("client certificate {}", cert.display());
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|e| setup(&what(), e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| setup(&what(), e))?;
    if chain.is_empty() {
        return Err(setup(&what(), "no CERTIFICATE in the file"));
    }
    // Never echo key material: the error names the file and the PEM problem only.
    let key =
        PrivateKeyDer::from_pem_file(key).map_err(|e| setup(&format!("client key {}", key.display()), e))?;
    Ok((chain, key))
}

/// The connection's byte stream: plain TCP or TLS over TCP. An enum, not a boxed trait
/// object, so every read and write is a direct call.
#[derive(Debug)]
#[cfg_attr(not(test), allow(dead_code))] // `Plain` is built by the session (integration)
pub(crate) enum Transport {
    /// Unencrypted.
    Plain(TcpStream),
    /// Encrypted (boxed: the TLS state is large and the enum is moved around).
    Tls(Box<TlsStream<TcpStream>>),
}

#[cfg_attr(not(test), allow(dead_code))]
impl Transport {
    /// Whether the connection is encrypted.
    pub(crate) fn is_tls(&self) -> bool {
        matches!(self, Transport::Tls(_))
    }
}

impl AsyncRead for Transport {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Transport {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Transport::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Transport::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Transport::Plain(s) => s.is_write_vectored(),
            Transport::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Plain(s) => Pin::new(s).poll_flush(cx),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}
