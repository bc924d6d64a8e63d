//! binlog-signals over TLS against a private MariaDB whose certificates this test makes; and
//! the password stays out of logs and `Debug` output.

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;

use binlog_signals::{Config, Error, Start, TlsMode};
use binlog_testkit::Server;
use futures::StreamExt;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

/// The account used here; it may only log in over TLS.
const USER: &str = "tls_repl";
const PASSWORD: &str = "Tls-Secret-4242";

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
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::DigitalSignature];
        let cert = params.self_signed(&key).expect("self-signed CA");
        Ca {
            pem: cert.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    fn server_cert(&self) -> (String, String) {
        let key = KeyPair::generate().expect("key");
        let mut params =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).expect("params");
        params
            .distinguished_name
            .push(DnType::CommonName, "binlog-signals e2e");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let cert = params.signed_by(&key, &self.issuer).expect("signed");
        (cert.pem(), key.serialize_pem())
    }
}

struct Fixture {
    server: Server,
    ca_file: PathBuf,
    wrong_ca_file: PathBuf,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        common::capture_logs(tracing::Level::TRACE);
        let ca = Ca::new("binlog-signals e2e CA");
        let (cert, key) = ca.server_cert();
        let server = Server::builder()
            .tls(&ca.pem, &cert, &key)
            .start()
            .unwrap_or_else(|e| panic!("cannot start a MariaDB with TLS: {e}"));
        server.exec(&format!(
            "CREATE USER '{USER}'@'%' IDENTIFIED BY '{PASSWORD}' REQUIRE SSL;
             GRANT REPLICATION SLAVE, REPLICATION CLIENT, SELECT ON *.* TO '{USER}'@'%';
             CREATE DATABASE tls_db; CREATE TABLE tls_db.t (id INT PRIMARY KEY, secret VARCHAR(20));"
        ));
        let dir = server.datadir();
        let write = |name: &str, pem: &str| {
            let path = dir.join(name);
            std::fs::write(&path, pem).expect("write PEM");
            path
        };
        Fixture {
            ca_file: write("e2e-ca.pem", &ca.pem),
            wrong_ca_file: write("e2e-wrong-ca.pem", &Ca::new("unrelated CA").pem),
            server,
        }
    })
}

fn config(mode: TlsMode, ca: Option<&PathBuf>) -> Config {
    let server = &fixture().server;
    let mut builder = Config::builder()
        .host("127.0.0.1")
        .port(server.port())
        .user(USER)
        .password(PASSWORD)
        .start(Start::End)
        .tls_mode(mode);
    if let Some(ca) = ca {
        builder = builder.tls_ca_file(ca);
    }
    builder.build().expect("config")
}

/// Connects, inserts a row, receives it over the encrypted connection, shuts down.
async fn stream_one_row(config: Config, id: u32) {
    let server = &fixture().server;
    let (client, driver) = binlog_signals::connect(config).await.expect("connect over TLS");
    let mut inserted = client.rows_inserted().table("tls_db.t");
    let driver = tokio::spawn(driver);
    server.exec(&format!("INSERT INTO tls_db.t VALUES ({id}, 'over tls')"));
    // Other tests insert concurrently: skip their rows.
    let event = loop {
        let event = inserted.next().await.expect("event").expect("ok");
        if event.rows()[0].values().get("id").map(|v| v.to_string()) == Some(id.to_string()) {
            break event;
        }
    };
    let row = &event.rows()[0];
    assert_eq!(
        row.values().get("secret").map(|v| v.to_string()),
        Some("over tls".to_owned())
    );
    for text in [
        format!("{client:?}"),
        format!("{event:?}"),
        format!("{inserted:?}"),
    ] {
        assert!(!text.contains(PASSWORD), "{text}");
    }
    client.shutdown();
    driver.await.expect("task").expect("driver");
}

/// The account is `REQUIRE SSL`: logging in at all proves the connection is encrypted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn required_mode_streams_over_tls() {
    stream_one_row(config(TlsMode::Required, None), 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_modes_stream_over_tls_with_the_right_ca() {
    let fixture = fixture();
    stream_one_row(config(TlsMode::VerifyCa, Some(&fixture.ca_file)), 2).await;
    stream_one_row(config(TlsMode::VerifyIdentity, Some(&fixture.ca_file)), 3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_fails_with_the_wrong_ca() {
    let fixture = fixture();
    for mode in [TlsMode::VerifyCa, TlsMode::VerifyIdentity] {
        let error = match binlog_signals::connect(config(mode, Some(&fixture.wrong_ca_file))).await {
            Ok(_) => panic!("{mode}: connected with the wrong CA"),
            Err(e) => e,
        };
        match &error {
            Error::Tls { host, source } => {
                assert_eq!(host, "127.0.0.1");
                let text = source.to_string();
                assert!(text.contains("invalid peer certificate"), "{text}");
                assert!(text.contains("UnknownIssuer"), "{text}");
            }
            other => panic!("{mode}: expected Tls, got {other:?}"),
        }
        assert!(!format!("{error} {error:?}").contains(PASSWORD));
    }
}

/// Without TLS the `REQUIRE SSL` account is refused, and a disabled mode never upgrades.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabled_mode_does_not_encrypt() {
    match binlog_signals::connect(config(TlsMode::Disabled, None)).await {
        Err(Error::AccessDenied { user, .. }) => assert_eq!(user, USER),
        Err(other) => panic!("expected AccessDenied, got {other:?}"),
        Ok(_) => panic!("a REQUIRE SSL account logged in without TLS"),
    }
}

/// Makes connections of its own (test order is not guaranteed), all logged at TRACE level into
/// the capture with whatever the other tests logged so far; the password is in none of it, nor
/// in any `Debug` output of the configuration.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_password_never_appears_in_logs_or_debug_output() {
    let fixture = fixture();
    let config = config(TlsMode::VerifyIdentity, Some(&fixture.ca_file));
    let debug = format!(
        "{config:?} {:?}",
        binlog_signals::ConfigBuilder::from_url(&format!(
            "mysql://{USER}:{PASSWORD}@127.0.0.1:{}/",
            fixture.server.port()
        ))
    );
    assert!(!debug.contains(PASSWORD), "{debug}");
    stream_one_row(config, 4).await;
    // A failed login logs too.
    let wrong = Config::builder()
        .host("127.0.0.1")
        .port(fixture.server.port())
        .user(USER)
        .password(format!("{PASSWORD}-wrong"))
        .tls_mode(TlsMode::Required)
        .build()
        .expect("config");
    let error = binlog_signals::connect(wrong).await.expect_err("refused");
    assert!(!format!("{error:?}").contains(PASSWORD));
    let logs = common::captured_logs();
    assert!(logs.contains("connecting"), "the capture works: {logs}");
    assert!(logs.contains(USER), "{logs}");
    assert!(!logs.contains(PASSWORD), "the password was logged:\n{logs}");
}
