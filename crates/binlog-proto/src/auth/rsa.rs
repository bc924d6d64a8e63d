//! RSA-OAEP encryption of the password for the `caching_sha2_password` and `sha256_password`
//! full exchange: PKCS#1 v2 OAEP with SHA-1 and MGF1-SHA-1, empty label (OpenSSL
//! `RSA_PKCS1_OAEP_PADDING`, used by MySQL since 8.0.5; auth-vectors.md §3).
//!
//! # Randomness
//!
//! OAEP needs 20 random bytes (one SHA-1 output) per encryption. The sans-IO core has no
//! random source of its own: the caller passes those 20 bytes in as an [`OaepSeed`]
//! (`ConnectOptions::oaep_seed`), fresh for each connection. With the `getrandom` feature,
//! [`OaepSeed::random`] fills one from the operating system; tests pass fixed bytes and get
//! deterministic ciphertexts.

use std::fmt;

use rsa::PublicKey;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::DecodePublicKey;
use rsa::rand_core::{TryCryptoRng, TryRng};
use sha1::Sha1;

use crate::error::{Error, Result};

/// Length of an OAEP seed with SHA-1.
pub const OAEP_SEED_LEN: usize = 20;

/// The random bytes one RSA-OAEP encryption consumes.
#[derive(Clone, PartialEq, Eq)]
pub struct OaepSeed(pub [u8; OAEP_SEED_LEN]);

impl fmt::Debug for OaepSeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Secret material stays out of logs.
        f.write_str("OaepSeed(..)")
    }
}

impl OaepSeed {
    /// A seed from the operating system's random source.
    #[cfg(feature = "getrandom")]
    pub fn random() -> Result<OaepSeed> {
        let mut seed = [0u8; OAEP_SEED_LEN];
        getrandom::fill(&mut seed)
            .map_err(|e| Error::Unsupported(format!("no operating system random source: {e}")))?;
        Ok(OaepSeed(seed))
    }
}

/// Hands out the seed bytes once; asking for more is an error (OAEP asks exactly once).
struct SeedRng<'a>(Option<&'a [u8; OAEP_SEED_LEN]>);

#[derive(Debug)]
struct SeedExhausted;

impl fmt::Display for SeedExhausted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OAEP seed already used")
    }
}

impl std::error::Error for SeedExhausted {}

impl TryRng for SeedRng<'_> {
    type Error = SeedExhausted;

    fn try_next_u32(&mut self) -> Result<u32, SeedExhausted> {
        Err(SeedExhausted)
    }

    fn try_next_u64(&mut self) -> Result<u64, SeedExhausted> {
        Err(SeedExhausted)
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), SeedExhausted> {
        let seed = self.0.take().ok_or(SeedExhausted)?;
        if dst.len() != seed.len() {
            return Err(SeedExhausted);
        }
        dst.copy_from_slice(seed);
        Ok(())
    }
}

impl TryCryptoRng for SeedRng<'_> {}

/// Parses a server public key: PEM `BEGIN PUBLIC KEY` (what MySQL sends) or PKCS#1
/// `BEGIN RSA PUBLIC KEY`.
pub fn parse_public_key_pem(pem: &[u8]) -> Result<PublicKey> {
    let text = std::str::from_utf8(pem).map_err(|e| Error::Malformed {
        what: "server public key (PEM)",
        offset: e.valid_up_to(),
    })?;
    let text = text.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    PublicKey::from_public_key_pem(text)
        .or_else(|_| PublicKey::from_pkcs1_pem(text))
        .map_err(|_| Error::Malformed {
            what: "server public key (PEM)",
            offset: 0,
        })
}

/// Encrypts `plaintext` with RSA-OAEP (SHA-1, MGF1-SHA-1, empty label) using `seed` as the
/// OAEP seed; `plugin` names the plugin in errors.
pub fn oaep_encrypt(key: &PublicKey, plaintext: &[u8], seed: &OaepSeed, plugin: &str) -> Result<Vec<u8>> {
    key.oaep_encrypt_with_rng::<Sha1, _>(&mut SeedRng(Some(&seed.0)), plaintext)
        .map_err(|e| Error::Auth {
            plugin: plugin.into(),
            reason: format!("RSA encryption of the password failed: {e}"),
        })
}
