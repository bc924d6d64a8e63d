//! The connector against a real MariaDB with TLS (private server, certificates made here).
//!
//! Only as much raw protocol as TLS needs: read the greeting, send `SSLRequest`, upgrade. To
//! show the encrypted channel carries data both ways, a login attempt for an unknown user is
//! sent over it and the server's "access denied" is read back. The authenticated session over
//! TLS is tested with the wire session.

use std::path::PathBuf;
use std::sync::OnceLock;

use binlog_testkit::Server;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::CertificateError;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{TlsConnector, Transport};
use crate::config::{Config, ConfigBuilder, TlsMode, TlsOptions};
use crate::error::Error;

/// `CLIENT_PROTOCOL_41 | CLIENT_SSL | CLIENT_SECURE_CONNECTION` (include/mysql_com.h).
const CLIENT_CAPABILITIES: u32 = 0x0200 | 0x0800 | 0x8000;
const CLIENT_SSL: u32 = 0x0800;
/// `utf8mb4_general_ci`.
const CHARSET: u8 = 45;
/// ER_ACCESS_DENIED_ERROR.
const ACCESS_DENIED: u16 = 1045;
/// A user without password that must log in with a client certificate from the server's CA.
const X509_USER: &str = "tls_x509_user";

/// A test certificate authority.
struct Ca {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let key = KeyPair::generate().expect("CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let cert = params.self_signed(&key).expect("self-signed CA");
        Ca {
            pem: cert.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// A certificate for `names` (IP addresses become IP SANs) and its key, as PEM.
    fn sign(&self, names: &[&str], usage: ExtendedKeyUsagePurpose) -> (String, String) {
        let key = KeyPair::generate().expect("leaf key");
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names).expect("leaf params");
        params
            .distinguished_name
            .push(DnType::CommonName, "binlog-signals test");
        params.extended_key_usages = vec![usage];
        let cert = params.signed_by(&key, &self.issuer).expect("signed leaf");
        (cert.pem(), key.serialize_pem())
    }
}

/// The private TLS server and the client-side PEM files, shared by the tests of this binary.
struct Fixture {
    server: Server,
    /// The CA that signed the server's certificate (and accepts client certificates).
    ca_file: PathBuf,
    /// A CA that signed nothing the server has.
    wrong_ca_file: PathBuf,
    /// A client certificate and key signed by the server's CA.
    client_cert: (PathBuf, PathBuf),
    /// A client certificate and key from another CA.
    foreign_client_cert: (PathBuf, PathBuf),
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let ca = Ca::new("binlog-signals test CA");
        let (server_cert, server_key) =
            ca.sign(&["127.0.0.1", "localhost"], ExtendedKeyUsagePurpose::ServerAuth);
        let server = Server::builder()
            .without_binlog()
            .tls(&ca.pem, &server_cert, &server_key)
            .start()
            .unwrap_or_else(|e| panic!("cannot start a MariaDB with TLS: {e}"));
        server.exec(&format!("CREATE USER '{X509_USER}'@'%' REQUIRE X509"));
        // The client-side files live in the server's own temp dir and go away with it.
        let dir = server.datadir();
        let write = |name: &str, pem: &str| {
            let path = dir.join(name);
            std::fs::write(&path, pem).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
            path
        };
        let wrong_ca = Ca::new("unrelated CA");
        let (client_cert, client_key) = ca.sign(&["client"], ExtendedKeyUsagePurpose::ClientAuth);
        let (foreign_cert, foreign_key) = wrong_ca.sign(&["client"], ExtendedKeyUsagePurpose::ClientAuth);
        Fixture {
            ca_file: write("test-ca.pem", &ca.pem),
            wrong_ca_file: write("test-wrong-ca.pem", &wrong_ca.pem),
            client_cert: (
                write("test-client-cert.pem", &client_cert),
                write("test-client-key.pem", &client_key),
            ),
            foreign_client_cert: (
                write("test-foreign-cert.pem", &foreign_cert),
                write("test-foreign-key.pem", &foreign_key),
            ),
            server,
        }
    })
}

fn options(mode: TlsMode, configure: impl FnOnce(ConfigBuilder) -> ConfigBuilder) -> TlsOptions {
    let builder = Config::builder().user("u").tls_mode(mode);
    configure(builder).build().expect("valid config").tls().clone()
}

async fn read_packet(stream: &mut (impl AsyncReadExt + Unpin)) -> (u8, Vec<u8>) {
    let mut header = [0u8; 4];
    stream.read_exact(&mut header).await.expect("packet header");
    let len = u32::from_le_bytes([header[0], header[1], header[2], 0]) as usize;
    let mut payload = vec![0u8; len];
    stream.read_exact(&mut payload).await.expect("packet payload");
    (header[3], payload)
}

fn packet(seq: u8, payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len()).expect("small packet").to_le_bytes();
    let mut out = vec![len[0], len[1], len[2], seq];
    out.extend_from_slice(payload);
    out
}

/// Capability flags, max packet size, character set, 23 reserved zero bytes: the fixed part of
/// `SSLRequest` and `HandshakeResponse41`.
fn fixed_client_header(tls: bool) -> Vec<u8> {
    let capabilities = if tls {
        CLIENT_CAPABILITIES
    } else {
        CLIENT_CAPABILITIES & !CLIENT_SSL
    };
    let mut out = Vec::with_capacity(32);
    out.extend_from_slice(&capabilities.to_le_bytes());
    out.extend_from_slice(&(16u32 << 20).to_le_bytes());
    out.push(CHARSET);
    out.extend_from_slice(&[0u8; 23]);
    out
}

/// Connects, reads the greeting, sends `SSLRequest` and runs the connector's handshake.
async fn upgrade(options: &TlsOptions, host: &str) -> Result<Transport, Error> {
    let port = fixture().server.port();
    let mut tcp = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("TCP connect");
    let (seq, greeting) = read_packet(&mut tcp).await;
    assert_eq!(seq, 0);
    assert_eq!(greeting.first(), Some(&10), "protocol version 10 greeting");
    // The lower capability flags follow the NUL-terminated version, the thread id, 8 scramble
    // bytes and a filler byte (MySQL docs, Protocol::HandshakeV10).
    let version_end = greeting
        .iter()
        .skip(1)
        .position(|&b| b == 0)
        .expect("version string")
        + 1;
    let flags_at = version_end + 1 + 4 + 8 + 1;
    let flags = u16::from_le_bytes([greeting[flags_at], greeting[flags_at + 1]]);
    assert_ne!(u32::from(flags) & CLIENT_SSL, 0, "server offers TLS");

    assert_eq!(fixed_client_header(true).len(), 32);
    tcp.write_all(&packet(1, &fixed_client_header(true)))
        .await
        .expect("send SSLRequest");
    let connector = TlsConnector::new(options, host)?.expect("a TLS mode");
    assert_eq!(connector.mode(), options.mode());
    assert_eq!(connector.requires_tls(), options.mode() != TlsMode::Preferred);
    connector.connect(tcp).await
}

/// Sends a login for `user` (empty password) as packet `seq` and returns the server's reply.
async fn login(transport: &mut Transport, seq: u8, user: &str) -> std::io::Result<Vec<u8>> {
    let mut response = fixed_client_header(transport.is_tls());
    response.extend_from_slice(user.as_bytes());
    response.push(0);
    response.push(0); // empty auth response
    transport.write_all(&packet(seq, &response)).await?;
    transport.flush().await?;
    let mut header = [0u8; 4];
    transport.read_exact(&mut header).await?;
    let mut payload = vec![0u8; u32::from_le_bytes([header[0], header[1], header[2], 0]) as usize];
    transport.read_exact(&mut payload).await?;
    Ok(payload)
}

#[track_caller]
fn assert_access_denied(reply: &[u8], user: &str) {
    assert_eq!(reply.first(), Some(&0xFF), "ERR packet, got {reply:?}");
    assert_eq!(u16::from_le_bytes([reply[1], reply[2]]), ACCESS_DENIED);
    let message = String::from_utf8_lossy(&reply[9..]).into_owned();
    assert!(message.contains(user), "{message}");
}

/// Logs in as an unknown user over the upgraded stream: the ERR packet proves the channel
/// works both ways.
async fn assert_channel_works(mut transport: Transport) {
    assert!(transport.is_tls());
    let reply = login(&mut transport, 2, "no_such_user").await.expect("reply");
    assert_access_denied(&reply, "no_such_user");
}

#[track_caller]
fn assert_tls_error(result: Result<Transport, Error>, expected: fn(&rustls::Error) -> bool) {
    match result {
        Err(Error::Tls { source, .. }) if expected(&source) => {}
        Err(other) => panic!("unexpected error: {other:?}"),
        Ok(_) => panic!("handshake succeeded but should have failed"),
    }
}

fn unknown_issuer(e: &rustls::Error) -> bool {
    matches!(
        e,
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)
    )
}

fn wrong_name(e: &rustls::Error) -> bool {
    matches!(
        e,
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }
        )
    )
}

#[tokio::test]
async fn verify_ca_accepts_the_servers_ca_whatever_the_host_name() {
    let f = fixture();
    let opts = options(TlsMode::VerifyCa, |b| b.tls_ca_file(&f.ca_file));
    assert_channel_works(upgrade(&opts, "127.0.0.1").await.expect("verify-ca")).await;
    // VerifyCa checks the chain only: a name the certificate does not carry is fine.
    assert_channel_works(
        upgrade(&opts, "db.example.invalid")
            .await
            .expect("verify-ca, other name"),
    )
    .await;
}

#[tokio::test]
async fn verify_ca_rejects_a_wrong_ca() {
    let f = fixture();
    let opts = options(TlsMode::VerifyCa, |b| b.tls_ca_file(&f.wrong_ca_file));
    assert_tls_error(upgrade(&opts, "127.0.0.1").await, unknown_issuer);
}

#[tokio::test]
async fn verify_ca_without_a_ca_file_uses_the_public_roots() {
    let opts = options(TlsMode::VerifyCa, |b| b);
    assert_tls_error(upgrade(&opts, "127.0.0.1").await, unknown_issuer);
}

#[tokio::test]
async fn verify_identity_checks_the_host_name() {
    let f = fixture();
    let opts = options(TlsMode::VerifyIdentity, |b| b.tls_ca_file(&f.ca_file));
    // IP address SAN and DNS SAN.
    assert_channel_works(upgrade(&opts, "127.0.0.1").await.expect("IP SAN")).await;
    assert_channel_works(upgrade(&opts, "localhost").await.expect("DNS SAN")).await;
    assert_tls_error(upgrade(&opts, "db.example.invalid").await, wrong_name);
    assert_tls_error(upgrade(&opts, "127.0.0.2").await, wrong_name);
    let wrong_ca = options(TlsMode::VerifyIdentity, |b| b.tls_ca_file(&f.wrong_ca_file));
    assert_tls_error(upgrade(&wrong_ca, "127.0.0.1").await, unknown_issuer);
}

#[tokio::test]
async fn required_and_preferred_encrypt_without_verifying() {
    for mode in [TlsMode::Required, TlsMode::Preferred] {
        let opts = options(mode, |b| b);
        assert_channel_works(upgrade(&opts, "127.0.0.1").await.expect("no CA needed")).await;
        assert_channel_works(upgrade(&opts, "db.example.invalid").await.expect("any name")).await;
    }
}

/// The server enforces `REQUIRE X509` at login: only a certificate from its CA lets the user in.
#[tokio::test]
async fn client_certificate_is_presented() {
    let f = fixture();
    let (cert, key) = &f.client_cert;
    let opts = options(TlsMode::VerifyCa, |b| {
        b.tls_ca_file(&f.ca_file).tls_client_cert(cert, key)
    });
    let mut transport = upgrade(&opts, "127.0.0.1")
        .await
        .expect("client cert from the server's CA");
    let reply = login(&mut transport, 2, X509_USER).await.expect("reply");
    assert_eq!(reply.first(), Some(&0x00), "OK packet, got {reply:?}");

    let opts = options(TlsMode::VerifyCa, |b| b.tls_ca_file(&f.ca_file));
    let mut transport = upgrade(&opts, "127.0.0.1").await.expect("no client cert");
    let reply = login(&mut transport, 2, X509_USER).await.expect("reply");
    assert_access_denied(&reply, X509_USER);

    // A certificate from another CA: with TLS 1.3 the client's side of the handshake is done
    // before the server has checked it, so the server's alert arrives with the first read.
    let (cert, key) = &f.foreign_client_cert;
    let opts = options(TlsMode::VerifyCa, |b| {
        b.tls_ca_file(&f.ca_file).tls_client_cert(cert, key)
    });
    let connector = TlsConnector::new(&opts, "127.0.0.1")
        .expect("setup")
        .expect("TLS");
    let rejected = match upgrade(&opts, "127.0.0.1").await {
        Err(e) => e,
        Ok(mut transport) => match login(&mut transport, 2, X509_USER).await {
            Err(e) => connector.io_error(e),
            Ok(reply) => panic!("a foreign client certificate was accepted: {reply:?}"),
        },
    };
    assert!(
        matches!(
            &rejected,
            Error::Tls {
                source: rustls::Error::AlertReceived(rustls::AlertDescription::UnknownCA),
                ..
            }
        ),
        "{rejected:?}"
    );
}

/// The same exchange without TLS, through the plain variant.
#[tokio::test]
async fn plain_transport_reads_and_writes() {
    let port = fixture().server.port();
    let tcp = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("TCP connect");
    let mut transport = Transport::Plain(tcp);
    assert!(!transport.is_tls());
    let (seq, greeting) = read_packet(&mut transport).await;
    assert_eq!((seq, greeting.first()), (0, Some(&10)));
    let reply = login(&mut transport, 1, "no_such_user").await.expect("reply");
    assert_access_denied(&reply, "no_such_user");
}

#[test]
fn disabled_builds_no_connector() {
    let opts = options(TlsMode::Disabled, |b| b);
    assert!(
        TlsConnector::new(&opts, "127.0.0.1")
            .expect("no files to read")
            .is_none()
    );
}

#[test]
fn unusable_files_are_setup_errors_naming_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("missing.pem");
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "no PEM here\n").expect("write");
    let setup_error = |opts: TlsOptions| match TlsConnector::new(&opts, "127.0.0.1") {
        Err(Error::TlsSetup { what, reason }) => format!("{what}: {reason}"),
        other => panic!("expected a setup error, got {other:?}"),
    };
    for file in [&missing, &empty] {
        let text = setup_error(options(TlsMode::VerifyCa, |b| b.tls_ca_file(file)));
        assert!(text.contains(&file.display().to_string()), "{text}");
        let text = setup_error(options(TlsMode::Required, |b| b.tls_client_cert(file, file)));
        assert!(text.contains(&file.display().to_string()), "{text}");
    }
    // A certificate where the key should be.
    let (cert_pem, _) = Ca::new("ca").sign(&["client"], ExtendedKeyUsagePurpose::ClientAuth);
    let cert = dir.path().join("cert.pem");
    std::fs::write(&cert, cert_pem).expect("write");
    let text = setup_error(options(TlsMode::Required, |b| b.tls_client_cert(&cert, &cert)));
    assert!(text.starts_with("client key"), "{text}");
}

#[test]
fn verify_identity_needs_a_usable_host_name() {
    let opts = options(TlsMode::VerifyIdentity, |b| b);
    assert!(matches!(
        TlsConnector::new(&opts, "not a host name"),
        Err(Error::TlsSetup { .. })
    ));
    // Modes that do not check the name accept any host.
    let opts = options(TlsMode::Required, |b| b);
    assert!(
        TlsConnector::new(&opts, "not a host name")
            .expect("no name check")
            .is_some()
    );
}

#[test]
fn connector_and_transport_are_send() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<TlsConnector>();
    send::<Transport>();
}
