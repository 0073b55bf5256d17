//! JSON Web Signature in the compact serialisation (RFC 7515 §3.1, §5.2, §7.1) and the signature
//! algorithms an ID token may use (RFC 7518 §3.1).
//!
//! [`CompactJws::parse`] takes a token apart without trusting it: the JOSE header (RFC 7515 §4),
//! the payload, the signature bytes and the JWS Signing Input (RFC 7515 §5.2 step 8: everything up
//! to the last `.`). The header and signature are decoded by `jwt_compact::UntrustedToken`. A
//! five-part token is a JWE (RFC 7516 §7.1) and is refused as [`IdTokenError::Encrypted`].
//!
//! Verification is a [`SignatureCheck`]: the algorithm, the key chosen from the JWK Set, the
//! signing input and the signature. In the browser the shell hands it to WebCrypto; with the
//! `rust-crypto` feature `verify_rust_crypto` verifies it with jwt-compact's algorithms:
//! RS256/384/512 (RFC 7518 §3.3), PS256/384/512 (§3.5), ES256 (§3.4) and EdDSA over Ed25519
//! (RFC 8037 §3.1). ES384 and ES512 are recognised but cannot be verified there.

use crate::core::jwks::Jwk;
use crate::error::{Error, IdTokenError};
use base64ct::{Base64UrlUnpadded, Encoding};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A JWS `alg` value for asymmetric signatures (RFC 7518 §3.1, RFC 8037 §3.1).
///
/// `none` and the HMAC algorithms (`HS*`) are deliberately absent: a public client has no shared
/// secret to check an HMAC with, and an unsigned ID token is never acceptable here. Names are
/// case-sensitive (RFC 7515 §4.1.1).
#[allow(clippy::upper_case_acronyms)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum JwsAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3).
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384 (RFC 7518 §3.3).
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512 (RFC 7518 §3.3).
    RS512,
    /// RSASSA-PSS with SHA-256 and MGF1 with SHA-256 (RFC 7518 §3.5).
    PS256,
    /// RSASSA-PSS with SHA-384 and MGF1 with SHA-384 (RFC 7518 §3.5).
    PS384,
    /// RSASSA-PSS with SHA-512 and MGF1 with SHA-512 (RFC 7518 §3.5).
    PS512,
    /// ECDSA with P-256 and SHA-256 (RFC 7518 §3.4).
    ES256,
    /// ECDSA with P-384 and SHA-384 (RFC 7518 §3.4).
    ES384,
    /// ECDSA with P-521 and SHA-512 (RFC 7518 §3.4).
    ES512,
    /// EdDSA (RFC 8037 §3.1); only the Ed25519 curve is accepted.
    EdDSA,
}

/// The hash function an algorithm signs with, which is also the one OIDC Core §3.1.3.8 uses for
/// `at_hash` (and EdDSA over Ed25519 uses SHA-512).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlg {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl JwsAlg {
    /// Every algorithm this crate knows, in the order of RFC 7518 §3.1.
    pub const ALL: [JwsAlg; 10] = [
        JwsAlg::RS256,
        JwsAlg::RS384,
        JwsAlg::RS512,
        JwsAlg::PS256,
        JwsAlg::PS384,
        JwsAlg::PS512,
        JwsAlg::ES256,
        JwsAlg::ES384,
        JwsAlg::ES512,
        JwsAlg::EdDSA,
    ];

    /// The JOSE name of the algorithm (`"RS256"`, `"EdDSA"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            JwsAlg::RS256 => "RS256",
            JwsAlg::RS384 => "RS384",
            JwsAlg::RS512 => "RS512",
            JwsAlg::PS256 => "PS256",
            JwsAlg::PS384 => "PS384",
            JwsAlg::PS512 => "PS512",
            JwsAlg::ES256 => "ES256",
            JwsAlg::ES384 => "ES384",
            JwsAlg::ES512 => "ES512",
            JwsAlg::EdDSA => "EdDSA",
        }
    }

    /// The hash function of the algorithm (for EdDSA over Ed25519: SHA-512).
    pub fn hash(self) -> HashAlg {
        match self {
            JwsAlg::RS256 | JwsAlg::PS256 | JwsAlg::ES256 => HashAlg::Sha256,
            JwsAlg::RS384 | JwsAlg::PS384 | JwsAlg::ES384 => HashAlg::Sha384,
            JwsAlg::RS512 | JwsAlg::PS512 | JwsAlg::ES512 | JwsAlg::EdDSA => HashAlg::Sha512,
        }
    }

    /// The JWK `kty` a key for this algorithm has (RFC 7518 §6.1, RFC 8037 §2).
    pub fn key_type(self) -> &'static str {
        match self {
            JwsAlg::RS256
            | JwsAlg::RS384
            | JwsAlg::RS512
            | JwsAlg::PS256
            | JwsAlg::PS384
            | JwsAlg::PS512 => "RSA",
            JwsAlg::ES256 | JwsAlg::ES384 | JwsAlg::ES512 => "EC",
            JwsAlg::EdDSA => "OKP",
        }
    }

    /// The JWK `crv` a key for this algorithm must have, for elliptic-curve algorithms
    /// (RFC 7518 §3.4, RFC 8037 §3.1).
    pub fn curve(self) -> Option<&'static str> {
        match self {
            JwsAlg::ES256 => Some("P-256"),
            JwsAlg::ES384 => Some("P-384"),
            JwsAlg::ES512 => Some("P-521"),
            JwsAlg::EdDSA => Some("Ed25519"),
            _ => None,
        }
    }
}

impl fmt::Display for JwsAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JwsAlg {
    type Err = Error;

    /// Parses a JOSE algorithm name, case-sensitively. Anything else (including `none` and
    /// `HS256`) is an [`Error::InvalidConfig`] for `idTokenSigningAlgs`, the option that lists them.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        JwsAlg::ALL
            .into_iter()
            .find(|alg| alg.as_str() == s)
            .ok_or_else(|| {
                Error::config(
                    "idTokenSigningAlgs",
                    format!("`{s}` is not a supported asymmetric JWS algorithm"),
                )
            })
    }
}

/// A JWS in the compact serialisation (RFC 7515 §7.1), taken apart but not verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompactJws {
    /// The header's `alg`, as written (RFC 7515 §4.1.1). Not yet checked against any list.
    pub alg: String,
    /// The header's `kid` (RFC 7515 §4.1.4), if any.
    pub kid: Option<String>,
    /// The JWS Signing Input: `BASE64URL(header) || '.' || BASE64URL(payload)` (RFC 7515 §5.2).
    pub signing_input: String,
    /// The decoded signature bytes.
    pub signature: Vec<u8>,
    /// The decoded payload bytes.
    pub payload: Vec<u8>,
}

/// The JOSE header members this crate reads besides `alg` and `kid` (the rest are kept by
/// jwt-compact's `Header` or ignored).
type HeaderExtras = serde_json::Map<String, serde_json::Value>;

impl CompactJws {
    /// Parses a compact JWS (RFC 7515 §7.1, §5.2 steps 1-7).
    ///
    /// - five `.`-separated parts: a JWE (RFC 7516 §7.1) -> [`IdTokenError::Encrypted`];
    /// - not three parts, bad base64url, a header that is not a JSON object with a string `alg`,
    ///   or a `crit` header (RFC 7515 §4.1.11: this crate understands no extension) ->
    ///   [`IdTokenError::Malformed`].
    ///
    /// The payload may be any bytes; ID token code checks that it is a JSON object.
    pub fn parse(token: &str) -> Result<Self, Error> {
        let parts = token.split('.').count();
        if parts == 5 {
            return Err(IdTokenError::Encrypted.into());
        }
        if parts != 3 {
            return Err(malformed(format!(
                "a compact JWS has 3 parts separated by '.', found {parts}"
            )));
        }
        let untrusted = jwt_compact::UntrustedToken::<HeaderExtras>::try_from(token)
            .map_err(|e| malformed(e.to_string()))?;
        if untrusted.header().other_fields.contains_key("crit") {
            return Err(malformed(
                "the header has `crit`; no JWS extension is understood here".to_owned(),
            ));
        }
        let (signing_input, _) = token
            .rsplit_once('.')
            .ok_or_else(|| malformed("no '.' in the token".to_owned()))?;
        let encoded_payload = signing_input
            .split_once('.')
            .map(|(_, payload)| payload)
            .ok_or_else(|| malformed("no payload part".to_owned()))?;
        let payload = Base64UrlUnpadded::decode_vec(encoded_payload)
            .map_err(|_| malformed("the payload is not base64url".to_owned()))?;
        Ok(CompactJws {
            alg: untrusted.algorithm().to_owned(),
            kid: untrusted.header().key_id.clone(),
            signing_input: signing_input.to_owned(),
            signature: untrusted.signature_bytes().to_vec(),
            payload,
        })
    }
}

fn malformed(why: String) -> Error {
    Error::IdToken(IdTokenError::Malformed(why))
}

/// Everything needed to verify one JWS signature with one key (RFC 7515 §5.2 step 8).
///
/// In the browser the shell imports `jwk.json` with `crypto.subtle.importKey("jwk", ...)` and
/// calls `verify` over `signing_input` and `signature`; natively, `verify_rust_crypto` does it.
#[derive(Debug, Clone, Copy)]
pub struct SignatureCheck<'a> {
    /// The algorithm, already checked against the allowed list.
    pub alg: JwsAlg,
    /// The key selected from the JWK Set.
    pub jwk: &'a Jwk,
    /// The JWS Signing Input, as bytes.
    pub signing_input: &'a [u8],
    /// The signature bytes (for ECDSA the JOSE form `R || S`, RFC 7518 §3.4).
    pub signature: &'a [u8],
}

/// Verifies a [`SignatureCheck`] with jwt-compact's pure-Rust algorithms (feature `rust-crypto`).
///
/// Supported: RS256/384/512 (RFC 7518 §3.3), PS256/384/512 (§3.5), ES256 (§3.4) and EdDSA with
/// Ed25519 (RFC 8037). Errors:
/// - ES384, ES512 -> [`SignatureError::UnsupportedAlg`](crate::error::SignatureError::UnsupportedAlg);
/// - a key of the wrong type or curve, an RSA modulus under 2048 bits (RFC 7518 §3.3), a key whose
///   own `alg` differs, or parameters that do not decode ->
///   [`SignatureError::UnusableKey`](crate::error::SignatureError::UnusableKey);
/// - a signature that does not verify (or has the wrong length) ->
///   [`SignatureError::Mismatch`](crate::error::SignatureError::Mismatch).
#[cfg(feature = "rust-crypto")]
pub fn verify_rust_crypto(check: &SignatureCheck<'_>) -> Result<(), Error> {
    use crate::error::SignatureError;
    use jwt_compact::alg::{Ed25519, Es256, Rsa};
    use jwt_compact::jwk::JsonWebKey;

    let unusable = |why: String| Error::Signature(SignatureError::UnusableKey(why));
    let alg = check.alg;
    if matches!(alg, JwsAlg::ES384 | JwsAlg::ES512) {
        return Err(Error::Signature(SignatureError::UnsupportedAlg(
            alg.as_str().to_owned(),
        )));
    }
    // Type, curve, the key's own `alg` and the RSA modulus size, as for key selection.
    if let Some(why) = check.jwk.unfit_reason(alg) {
        return Err(unusable(why));
    }
    let json = serde_json::Value::Object(check.jwk.json.clone());
    let jwk: JsonWebKey<'static> =
        serde_json::from_value(json).map_err(|e| unusable(format!("not a usable JWK: {e}")))?;
    match alg {
        JwsAlg::RS256 => verify_with(&Rsa::rs256(), &jwk, check),
        JwsAlg::RS384 => verify_with(&Rsa::rs384(), &jwk, check),
        JwsAlg::RS512 => verify_with(&Rsa::rs512(), &jwk, check),
        JwsAlg::PS256 => verify_with(&Rsa::ps256(), &jwk, check),
        JwsAlg::PS384 => verify_with(&Rsa::ps384(), &jwk, check),
        JwsAlg::PS512 => verify_with(&Rsa::ps512(), &jwk, check),
        JwsAlg::ES256 => verify_with(&Es256, &jwk, check),
        JwsAlg::EdDSA => verify_with(&Ed25519, &jwk, check),
        JwsAlg::ES384 | JwsAlg::ES512 => Err(Error::Signature(SignatureError::UnsupportedAlg(
            alg.as_str().to_owned(),
        ))),
    }
}

/// Builds the verifying key of `A` from the JWK and checks the signature with it.
#[cfg(feature = "rust-crypto")]
fn verify_with<A>(
    alg: &A,
    jwk: &jwt_compact::jwk::JsonWebKey<'_>,
    check: &SignatureCheck<'_>,
) -> Result<(), Error>
where
    A: jwt_compact::Algorithm,
    for<'k, 'j> A::VerifyingKey:
        TryFrom<&'k jwt_compact::jwk::JsonWebKey<'j>, Error = jwt_compact::jwk::JwkError>,
{
    use crate::error::SignatureError;
    use jwt_compact::AlgorithmSignature;

    let key = A::VerifyingKey::try_from(jwk)
        .map_err(|e| Error::Signature(SignatureError::UnusableKey(e.to_string())))?;
    // Some signature types copy into a fixed-size array: check the length first.
    if let Some(len) = <A::Signature as AlgorithmSignature>::LENGTH {
        if check.signature.len() != len.get() {
            return Err(Error::Signature(SignatureError::Mismatch));
        }
    }
    let signature = <A::Signature as AlgorithmSignature>::try_from_slice(check.signature)
        .map_err(|_| Error::Signature(SignatureError::Mismatch))?;
    if alg.verify_signature(&signature, &key, check.signing_input) {
        Ok(())
    } else {
        Err(Error::Signature(SignatureError::Mismatch))
    }
}
