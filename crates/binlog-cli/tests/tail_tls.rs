//! `binlog tail --tls-mode --tls-ca` against a private MariaDB with certificates made here: a
//! verified connection prints the rows; a CA that did not sign the server's certificate is a
//! clear error and exit status 1.

use std::process::Command;

use binlog_testkit::Server;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

const BINLOG: &str = env!("CARGO_BIN_EXE_binlog");

/// A self-signed CA: its PEM and what signs with it.
fn ca(name: &str) -> (String, Issuer<'static, KeyPair>) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::DigitalSignature];
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), Issuer::new(params, key))
}

#[test]
fn tls_options_verify_the_server() {
    let (ca_pem, issuer) = ca("binlog-cli test CA");
    let (wrong_pem, _) = ca("some other CA");
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let cert = params.signed_by(&key, &issuer).unwrap();
    let server = Server::builder()
        .tls(&ca_pem, cert.pem(), key.serialize_pem())
        .start()
        .unwrap();
    server.exec(
        "CREATE USER 'tls_only'@'%' IDENTIFIED BY 'Tls-Pa55' REQUIRE SSL;\
         GRANT REPLICATION SLAVE, REPLICATION CLIENT, SELECT ON *.* TO 'tls_only'@'%';\
         CREATE DATABASE tls_db; CREATE TABLE tls_db.t (id INT PRIMARY KEY);\
         INSERT INTO tls_db.t VALUES (42)",
    );
    let dir = tempfile::tempdir().unwrap();
    let (ca_file, wrong_file) = (dir.path().join("ca.pem"), dir.path().join("wrong.pem"));
    std::fs::write(&ca_file, &ca_pem).unwrap();
    std::fs::write(&wrong_file, &wrong_pem).unwrap();
    let url = format!("mysql://tls_only:Tls-Pa55@127.0.0.1:{}", server.port());
    let tail = |mode: &str, ca: &std::path::Path| {
        Command::new(BINLOG)
            .args([
                "tail",
                &url,
                "--from-start",
                "--until-end",
                "--tables",
                "tls_db.t",
            ])
            .args(["--tls-mode", mode, "--tls-ca"])
            .arg(ca)
            .output()
            .unwrap()
    };

    let out = tail("verify_identity", &ca_file);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let line: serde_json::Value = serde_json::from_str(stdout.trim_end()).unwrap();
    assert_eq!(line["after"], serde_json::json!({ "id": 42 }), "{stdout}");

    let out = tail("verify_ca", &wrong_file);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with("binlog tail: ") && stderr.contains("TLS"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.stdout.is_empty());
}
