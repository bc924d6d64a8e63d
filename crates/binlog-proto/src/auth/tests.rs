//! Known-answer tests from the corpus's auth-vectors.md, and the authenticator's transitions.

use ::rsa::PrivateKey;
use ::rsa::pkcs8::DecodePrivateKey;
use sha1::Sha1;

use super::*;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus");

fn corpus_file(path: &str) -> Vec<u8> {
    let full = format!("{CORPUS}/{path}");
    std::fs::read(&full)
        .unwrap_or_else(|e| panic!("corpus file {full} is missing ({e}); clone ../shared beside the repo"))
}

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

// §1 mysql_native_password
#[test]
fn native_password_vectors() {
    for (id, nonce, password, expected) in [
        (
            "N1",
            "46725c5e01260b743f7217657e671a5f51111815",
            "secret",
            "35b18c9ffbbd7f356dfcac32d3c0f0a41a30cf2d",
        ),
        (
            "N2",
            "60473f08013a4b0c455f423c751f301f5927371f",
            "secret",
            "ca29c3a422e2316715d3a7c7e374083039479592",
        ),
        (
            "N3",
            "4e523348503a714959615f393d64623f53647b60",
            "G!ider27",
            "09cff8855e9e705340ff2270d8fb9fadba906b70",
        ),
    ] {
        assert_eq!(
            hex::encode(scramble_native(&h(nonce), password.as_bytes())),
            expected,
            "{id}"
        );
    }
    assert!(scramble_native(&h("46725c5e01260b743f7217657e671a5f51111815"), b"").is_empty());
}

// §2 caching_sha2_password fast path
#[test]
fn caching_sha2_vectors() {
    for (id, nonce, password, expected) in [
        (
            "C1",
            "5a694a7e1e3025380317737f45162954207b2b76",
            "secret",
            "662005238fa18cf1abe8388b2b0e6bc4f9aa933cdccc78b2d60fb8961a3d39eb",
        ),
        (
            "C2",
            "065160720e2a321e4c2f015f7e513e5e53503455",
            "secret",
            "abc98a92599f0baa0043a531af5eda44b16d6e5622212cbe43f0466e288b7c29",
        ),
        (
            "C3",
            "0a2f4a6f4b492230584c724a250d035052021715",
            "secret",
            "f490e76f66d9d86665ce54d98c78d0acfe2fb0b08b423da807144873d30b312c",
        ),
        (
            "C3b",
            "0a2f4a6f4b492230584c724a250d035052021715",
            "secret2",
            "abc3934a012cf342e876071c8ee202de51785b430258a7a0138bc79c4d800bc6",
        ),
        (
            "C5",
            "4e523348503a714959615f393d64623f53647b60",
            "G!ider27",
            "4f97bbfd202401c42a69deaae53bda077ed7578563c1a80eb816c82119b68d2e",
        ),
    ] {
        assert_eq!(
            hex::encode(scramble_caching_sha2(&h(nonce), password.as_bytes())),
            expected,
            "{id}"
        );
    }
    assert!(scramble_caching_sha2(&h("5a694a7e1e3025380317737f45162954207b2b76"), b"").is_empty());
}

/// C4 is the pitfall: its expected value hashes the AuthSwitchRequest's trailing NUL as part
/// of the nonce. Parsing the real switch request must strip it, so the token must NOT be C4.
#[test]
fn caching_sha2_c4_pitfall_is_not_reproduced() {
    const C4: &str = "815d845f72304fd7803ec17680364bd09ffce3d7810ff261139f1f143a990982";
    let switch =
        h("fe63616368696e675f736861325f70617373776f726400650b1a125e611648022e466a1d372d5e4c5a543200");
    let request = parse_auth_switch_request(&switch).unwrap();
    assert_eq!(request.plugin, "caching_sha2_password");
    assert_eq!(
        hex::encode(&request.nonce),
        "650b1a125e611648022e466a1d372d5e4c5a5432"
    );
    let token = scramble_caching_sha2(&request.nonce, b"secret");
    assert_eq!(token.len(), 32);
    assert_ne!(hex::encode(&token), C4);
    // The vector is reproduced only by the bug: hashing the 21-byte nonce with the NUL.
    let mut with_nul = request.nonce.clone();
    with_nul.push(0);
    assert_eq!(hex::encode(scramble_caching_sha2(&with_nul, b"secret")), C4);
}

#[test]
fn old_password_switch_is_unsupported_and_garbage_is_malformed() {
    assert!(
        matches!(parse_auth_switch_request(&[0xfe]), Err(Error::Unsupported(m)) if m.contains("mysql_old_password"))
    );
    assert!(matches!(
        parse_auth_switch_request(b"\xfeno-nul"),
        Err(Error::Malformed { .. })
    ));
    assert!(matches!(
        parse_auth_switch_request(b"\x01"),
        Err(Error::Malformed { .. })
    ));
}

// §3 the RSA pre-image and the deterministic OAEP known answer (§3a)
#[test]
fn rsa_preimage_is_password_and_nul_xor_nonce() {
    let pre = xor_password_with_nonce(b"secret", &h("065160720e2a321e4c2f015f7e513e5e53503455"));
    assert_eq!(hex::encode(pre), "753403006b5e32");
}

#[test]
fn oaep_with_the_corpus_seed_reproduces_the_corpus_ciphertext_byte_for_byte() {
    let public = parse_public_key_pem(&corpus_file("auth/TEST-ONLY-rsa2048-public.pem")).unwrap();
    let expected = corpus_file("auth/oaep-sha1-ciphertext-secret.bin");
    assert_eq!(expected.len(), 256);
    let seed = OaepSeed(h("0102030405060708090a0b0c0d0e0f1011121314").try_into().unwrap());
    let ciphertext = oaep_encrypt(&public, &h("753403006b5e32"), &seed, "caching_sha2_password").unwrap();
    assert_eq!(ciphertext, expected);
}

#[test]
fn the_test_only_private_key_decrypts_the_corpus_ciphertext() {
    let pem = String::from_utf8(corpus_file("auth/TEST-ONLY-rsa2048-private.pem")).unwrap();
    let private = PrivateKey::from_pkcs8_pem(&pem).unwrap();
    let plain = private
        .oaep_decrypt::<Sha1>(&corpus_file("auth/oaep-sha1-ciphertext-secret.bin"))
        .unwrap();
    assert_eq!(hex::encode(plain), "753403006b5e32");
}

#[test]
fn public_keys_from_real_servers_parse() {
    for file in [
        "auth/zeek-caching_sha2_password-server-pubkey.pem",
        "auth/go-sql-driver-auth_test-serverPubKey.pem",
    ] {
        let pem = corpus_file(file);
        // 451 bytes including the final LF, as sent in AuthMoreData (§3).
        assert_eq!(pem.len(), 451, "{file}");
        parse_public_key_pem(&pem).unwrap_or_else(|e| panic!("{file}: {e}"));
    }
    assert!(matches!(
        parse_public_key_pem(b"-----BEGIN PUBLIC KEY-----\nnope\n"),
        Err(Error::Malformed { .. })
    ));
    assert!(matches!(
        parse_public_key_pem(&[0xff, 0xfe]),
        Err(Error::Malformed { .. })
    ));
}

struct Fixture {
    password: Vec<u8>,
    secure: bool,
    key: Option<PublicKey>,
    allow: bool,
    seed: Option<OaepSeed>,
}

impl Fixture {
    fn new(password: &str) -> Self {
        Fixture {
            password: password.as_bytes().to_vec(),
            secure: false,
            key: None,
            allow: true,
            seed: Some(OaepSeed([7; 20])),
        }
    }

    fn input(&mut self) -> AuthInput<'_> {
        AuthInput {
            password: &self.password,
            secure: self.secure,
            server_key: self.key.as_ref(),
            allow_key_request: self.allow,
            oaep_seed: &mut self.seed,
        }
    }
}

fn test_private_key() -> PrivateKey {
    let pem = String::from_utf8(corpus_file("auth/TEST-ONLY-rsa2048-private.pem")).unwrap();
    PrivateKey::from_pkcs8_pem(&pem).unwrap()
}

const NONCE: &str = "065160720e2a321e4c2f015f7e513e5e53503455";

#[test]
fn caching_sha2_fast_auth_success() {
    let mut f = Fixture::new("secret");
    let (mut auth, first) =
        Authenticator::start(AuthPlugin::CachingSha2Password, &h(NONCE), &mut f.input()).unwrap();
    assert_eq!(
        hex::encode(first),
        "abc98a92599f0baa0043a531af5eda44b16d6e5622212cbe43f0466e288b7c29"
    );
    assert_eq!(
        auth.more_data(&[FAST_AUTH_SUCCESS], &mut f.input()).unwrap(),
        None
    );
    // Nothing else may arrive but OK / ERR.
    assert!(matches!(
        auth.more_data(&[FAST_AUTH_SUCCESS], &mut f.input()),
        Err(Error::Auth { .. })
    ));
}

#[test]
fn caching_sha2_full_auth_over_tls_sends_the_password_in_clear() {
    let mut f = Fixture::new("secret");
    f.secure = true;
    let (mut auth, _) =
        Authenticator::start(AuthPlugin::CachingSha2Password, &h(NONCE), &mut f.input()).unwrap();
    let next = auth
        .more_data(&[PERFORM_FULL_AUTHENTICATION], &mut f.input())
        .unwrap();
    assert_eq!(next.map(hex::encode).as_deref(), Some("73656372657400"));
}

#[test]
fn caching_sha2_full_auth_requests_the_key_then_encrypts_for_it() {
    let private = test_private_key();
    let pem = std::fs::read(format!("{CORPUS}/auth/TEST-ONLY-rsa2048-public.pem")).unwrap();
    let mut f = Fixture::new("secret");
    let (mut auth, _) =
        Authenticator::start(AuthPlugin::CachingSha2Password, &h(NONCE), &mut f.input()).unwrap();
    let request = auth
        .more_data(&[PERFORM_FULL_AUTHENTICATION], &mut f.input())
        .unwrap();
    assert_eq!(request, Some(vec![CACHING_SHA2_REQUEST_PUBLIC_KEY]));
    let encrypted = auth.more_data(&pem, &mut f.input()).unwrap().unwrap();
    assert_eq!(encrypted.len(), 256);
    let plain = private.oaep_decrypt::<Sha1>(&encrypted).unwrap();
    assert_eq!(hex::encode(plain), "753403006b5e32");
    // The seed was consumed.
    assert!(f.seed.is_none());
}

#[test]
fn caching_sha2_full_auth_with_a_configured_key_encrypts_at_once() {
    let private = test_private_key();
    let mut f = Fixture::new("secret");
    f.key = Some(private.to_public_key());
    let (mut auth, _) =
        Authenticator::start(AuthPlugin::CachingSha2Password, &h(NONCE), &mut f.input()).unwrap();
    let encrypted = auth
        .more_data(&[PERFORM_FULL_AUTHENTICATION], &mut f.input())
        .unwrap()
        .unwrap();
    assert_eq!(
        hex::encode(private.oaep_decrypt::<Sha1>(&encrypted).unwrap()),
        "753403006b5e32"
    );
}

#[test]
fn full_auth_without_tls_key_or_permission_or_seed_is_a_clear_error() {
    let mut f = Fixture::new("secret");
    f.allow = false;
    let (mut auth, _) =
        Authenticator::start(AuthPlugin::CachingSha2Password, &h(NONCE), &mut f.input()).unwrap();
    let err = auth
        .more_data(&[PERFORM_FULL_AUTHENTICATION], &mut f.input())
        .unwrap_err();
    assert!(
        matches!(&err, Error::Auth { plugin, reason } if plugin == "caching_sha2_password" && reason.contains("no TLS")),
        "{err}"
    );

    let mut f = Fixture::new("secret");
    f.seed = None;
    let (mut auth, _) =
        Authenticator::start(AuthPlugin::CachingSha2Password, &h(NONCE), &mut f.input()).unwrap();
    auth.more_data(&[PERFORM_FULL_AUTHENTICATION], &mut f.input())
        .unwrap();
    let pem = corpus_file("auth/TEST-ONLY-rsa2048-public.pem");
    let err = auth.more_data(&pem, &mut f.input()).unwrap_err();
    assert!(
        matches!(&err, Error::Auth { reason, .. } if reason.contains("OAEP seed")),
        "{err}"
    );
}

#[test]
fn sha256_password_paths() {
    // Empty password: a single NUL.
    let mut f = Fixture::new("");
    let (_, first) = Authenticator::start(AuthPlugin::Sha256Password, &h(NONCE), &mut f.input()).unwrap();
    assert_eq!(first, vec![0]);
    // Over TLS: the password and a NUL.
    let mut f = Fixture::new("secret");
    f.secure = true;
    let (_, first) = Authenticator::start(AuthPlugin::Sha256Password, &h(NONCE), &mut f.input()).unwrap();
    assert_eq!(hex::encode(first), "73656372657400");
    // Without TLS: request the key with 0x01, then encrypt.
    let private = test_private_key();
    let mut f = Fixture::new("secret");
    let (mut auth, first) =
        Authenticator::start(AuthPlugin::Sha256Password, &h(NONCE), &mut f.input()).unwrap();
    assert_eq!(first, vec![SHA256_REQUEST_PUBLIC_KEY]);
    let pem = corpus_file("auth/TEST-ONLY-rsa2048-public.pem");
    let encrypted = auth.more_data(&pem, &mut f.input()).unwrap().unwrap();
    assert_eq!(
        hex::encode(private.oaep_decrypt::<Sha1>(&encrypted).unwrap()),
        "753403006b5e32"
    );
}

#[test]
fn clear_password_is_refused_without_tls() {
    let mut f = Fixture::new("secret");
    let err = Authenticator::start(AuthPlugin::MysqlClearPassword, &h(NONCE), &mut f.input()).unwrap_err();
    assert!(
        matches!(&err, Error::Auth { plugin, reason } if plugin == "mysql_clear_password" && reason.contains("without TLS"))
    );
    f.secure = true;
    let (_, first) = Authenticator::start(AuthPlugin::MysqlClearPassword, &h(NONCE), &mut f.input()).unwrap();
    assert_eq!(first, b"secret\0");
}

#[test]
fn plugin_names_round_trip_and_unknown_names_are_none() {
    for plugin in [
        AuthPlugin::MysqlNativePassword,
        AuthPlugin::CachingSha2Password,
        AuthPlugin::Sha256Password,
        AuthPlugin::MysqlClearPassword,
    ] {
        assert_eq!(AuthPlugin::from_name(plugin.name()), Some(plugin));
    }
    assert_eq!(AuthPlugin::from_name("client_ed25519"), None);
}
