//! Password scrambles of the challenge-response plugins.

use sha1::{Digest, Sha1};
use sha2::Sha256;

/// `mysql_native_password`: `SHA1(password) XOR SHA1(nonce || SHA1(SHA1(password)))`.
/// An empty password gives an empty response. See MySQL `sql/auth/password.cc`
/// (`scramble`), auth-vectors.md §1.
pub fn scramble_native(nonce: &[u8], password: &[u8]) -> Vec<u8> {
    if password.is_empty() {
        return Vec::new();
    }
    let stage1 = Sha1::digest(password);
    let stage2 = Sha1::digest(stage1);
    let mut hasher = Sha1::new();
    hasher.update(nonce);
    hasher.update(stage2);
    let mask = hasher.finalize();
    stage1.iter().zip(mask.iter()).map(|(a, b)| a ^ b).collect()
}

/// `caching_sha2_password` fast-path scramble:
/// `SHA256(password) XOR SHA256(SHA256(SHA256(password)) || nonce)`; the nonce comes last
/// (auth-vectors.md §2; MySQL `sql/auth/sha2_password_common.cc`, `generate_sha2_scramble`).
/// An empty password gives an empty response.
pub fn scramble_caching_sha2(nonce: &[u8], password: &[u8]) -> Vec<u8> {
    if password.is_empty() {
        return Vec::new();
    }
    let stage1 = Sha256::digest(password);
    let stage2 = Sha256::digest(stage1);
    let mut hasher = Sha256::new();
    hasher.update(stage2);
    hasher.update(nonce);
    let mask = hasher.finalize();
    stage1.iter().zip(mask.iter()).map(|(a, b)| a ^ b).collect()
}

/// `(password || 0x00) XOR nonce[i mod len]`: the plaintext that is RSA-encrypted in the
/// `caching_sha2_password` / `sha256_password` full exchange (MySQL `sql-common/client_authentication.cc`,
/// `xor_string`). An empty nonce leaves the bytes unchanged.
pub fn xor_password_with_nonce(password: &[u8], nonce: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(password.len().saturating_add(1));
    out.extend_from_slice(password);
    out.push(0);
    if !nonce.is_empty() {
        for (byte, key) in out.iter_mut().zip(nonce.iter().cycle()) {
            *byte ^= key;
        }
    }
    out
}
