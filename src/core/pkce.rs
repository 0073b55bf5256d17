//! Proof Key for Code Exchange (RFC 7636), with the `S256` method only (§4.2), and the random
//! values of an authorization request (`state`, `nonce`).
//!
//! `plain` is never used: RFC 7636 §4.2 makes `S256` mandatory to implement on the server, and
//! every client that can compute SHA-256 must use it.

use crate::core::secret::Secret;
use crate::error::Error;

/// The `code_challenge_method` this client sends (RFC 7636 §4.3).
pub const CHALLENGE_METHOD: &str = "S256";

/// Shortest verifier RFC 7636 §4.1 allows.
const MIN_LEN: usize = 43;
/// Longest verifier RFC 7636 §4.1 allows.
const MAX_LEN: usize = 128;
// The message of a verifier of the wrong length names both bounds as text.
const _: () = assert!(MIN_LEN == 43 && MAX_LEN == 128);

/// A PKCE code verifier (RFC 7636 §4.1): 43 to 128 characters of `[A-Za-z0-9-._~]`.
///
/// Its `Debug` is redacted. It serialises to the plain string (the shell stores it with the
/// transaction) and deserialising checks it again.
#[derive(Debug, Clone)]
pub struct CodeVerifier(Secret);

impl CodeVerifier {
    #[cfg(feature = "shell")]
    /// A fresh verifier: 32 random bytes, base64url without padding (43 characters), as
    /// RFC 7636 §4.1 recommends. Fails with [`Error::Crypto`] when no randomness is available.
    pub fn generate() -> Result<Self, Error> {
        Ok(CodeVerifier(Secret::new(random_token()?)))
    }

    /// A verifier from a given value, checked against RFC 7636 §4.1 (length 43..=128, unreserved
    /// characters only); otherwise [`Error::InvalidConfig`] for `code_verifier`.
    pub fn new(value: impl Into<String>) -> Result<Self, Error> {
        let value = value.into();
        if !(MIN_LEN..=MAX_LEN).contains(&value.len()) {
            return Err(Error::config(
                "code_verifier",
                // MIN_LEN and MAX_LEN, written out: no formatting code in the wasm.
                "must be 43 to 128 characters long",
            ));
        }
        if !value.bytes().all(is_unreserved) {
            return Err(Error::config(
                "code_verifier",
                "may only contain A-Z, a-z, 0-9, '-', '.', '_' and '~'",
            ));
        }
        Ok(CodeVerifier(Secret::new(value)))
    }

    /// The `S256` code challenge: `BASE64URL(SHA256(ASCII(verifier)))` (RFC 7636 §4.2).
    pub fn challenge(&self) -> String {
        crate::core::base64url::encode(&crate::core::sha256::sha256(self.0.expose().as_bytes()))
    }

    /// The verifier itself, for the token request (RFC 7636 §4.5).
    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

impl TryFrom<String> for CodeVerifier {
    type Error = Error;

    fn try_from(value: String) -> Result<Self, Error> {
        CodeVerifier::new(value)
    }
}

#[cfg(feature = "shell")]
/// 32 random bytes, base64url without padding (43 characters): used for `state` (RFC 6749
/// §10.12) and `nonce` (OIDC Core §15.5.2). Fails with [`Error::Crypto`] without randomness.
pub fn random_token() -> Result<String, Error> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| Error::Crypto(e.to_string()))?;
    Ok(crate::core::base64url::encode(&bytes))
}

/// `unreserved` of RFC 3986 §2.3, the alphabet of RFC 7636 §4.1.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}
