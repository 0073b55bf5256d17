//! JSON Web Signature in the compact serialisation (RFC 7515 §3.1, §5.2, §7.1) and the signature
//! algorithms an ID token may use (RFC 7518 §3.1).
//!
//! [`CompactJws::parse`] takes a token apart without trusting it: the JOSE header (RFC 7515 §4),
//! the payload, the signature bytes and the JWS Signing Input (RFC 7515 §5.2 step 8: everything up
//! to the last `.`), decoded here with the crate's own JSON reader. A five-part token is a JWE (RFC 7516 §7.1) and is refused as [`IdTokenError::Encrypted`].
//!
//! Verification is a [`SignatureCheck`]: the algorithm, the key chosen from the JWK Set, the
//! signing input and the signature. In the browser the shell hands it to WebCrypto; with the
//! `rust-crypto` feature `verify_rust_crypto` verifies it with jwt-compact's algorithms:
//! RS256/384/512 (RFC 7518 §3.3), PS256/384/512 (§3.5), ES256 (§3.4) and EdDSA over Ed25519
//! (RFC 8037 §3.1). ES384 and ES512 are recognised but cannot be verified there.

pub use crate::core::alg::{HashAlg, JwsAlg};
use crate::core::json::{uint_text, Json};
use crate::core::jwks::Jwk;
use crate::error::{Error, IdTokenError};
use std::fmt;

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
        let parts = crate::core::text::pieces(token, b'.').count();
        if parts == 5 {
            return Err(IdTokenError::Encrypted.into());
        }
        if parts != 3 {
            let found = uint_text(u64::try_from(parts).unwrap_or(u64::MAX));
            return Err(malformed(crate::core::text::cat(&[
                "a compact JWS has 3 parts separated by '.', found ",
                &found,
            ])));
        }
        Self::parse_parts(token).map_err(|why| malformed(why.to_owned()))
    }

    /// The three parts of [`parse`](Self::parse), or why they are malformed: one error built at
    /// one place for every static reason.
    fn parse_parts(token: &str) -> Result<Self, &'static str> {
        let mut segments = crate::core::text::pieces(token, b'.');
        let (Some(header_b64), Some(payload_b64), Some(signature_b64)) =
            (segments.next(), segments.next(), segments.next())
        else {
            return Err("no payload part");
        };
        let header =
            crate::core::base64url::decode(header_b64).ok_or("the header is not base64url")?;
        let mut header = std::str::from_utf8(&header)
            .ok()
            .and_then(|text| Json::parse_object(text).ok())
            .ok_or("the header is not a JSON object")?;
        // Taken out of the header, which is dropped after the checks, not copied.
        let Some(Json::String(alg)) = header.remove("alg") else {
            return Err("the header has no string `alg`");
        };
        let kid = match header.remove("kid") {
            None => None,
            Some(Json::String(kid)) => Some(kid),
            Some(_) => return Err("the header's `kid` is not a string"),
        };
        if header.contains_key("crit") {
            return Err("the header has `crit`; no JWS extension is understood here");
        }
        let payload =
            crate::core::base64url::decode(payload_b64).ok_or("the payload is not base64url")?;
        let signature = crate::core::base64url::decode(signature_b64)
            .ok_or("the signature is not base64url")?;
        // RFC 7515 §5.2 step 8: everything before the second '.'.
        let signing_input_len = header_b64
            .len()
            .saturating_add(1)
            .saturating_add(payload_b64.len());
        let signing_input = token
            .get(..signing_input_len)
            .ok_or("no payload part")?
            .to_owned();
        Ok(CompactJws {
            alg,
            kid,
            signing_input,
            signature,
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
///
/// It owns its parts, so that a flow can hand it out as a need. Its `Debug` shows the algorithm
/// and the key id: the signing input is the token itself.
#[derive(Clone)]
pub struct SignatureCheck {
    /// The algorithm, already checked against the allowed list.
    pub alg: JwsAlg,
    /// The key selected from the JWK Set.
    pub jwk: Jwk,
    /// The JWS Signing Input (RFC 7515 §5.2), ASCII by construction: the pumps hand its bytes to
    /// the verifier, and the JSON wire carries it as it is.
    pub signing_input: String,
    /// The signature bytes (for ECDSA the JOSE form `R || S`, RFC 7518 §3.4).
    pub signature: Vec<u8>,
}

impl fmt::Debug for SignatureCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignatureCheck")
            .field("alg", &self.alg)
            .field("kid", &self.jwk.kid)
            .finish_non_exhaustive()
    }
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
pub fn verify_rust_crypto(check: &SignatureCheck) -> Result<(), Error> {
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
    let text = Json::Object(check.jwk.json.clone()).to_text();
    let jwk: JsonWebKey<'static> =
        serde_json::from_str(&text).map_err(|e| unusable(format!("not a usable JWK: {e}")))?;
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
    check: &SignatureCheck,
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
    let signature = <A::Signature as AlgorithmSignature>::try_from_slice(&check.signature)
        .map_err(|_| Error::Signature(SignatureError::Mismatch))?;
    if alg.verify_signature(&signature, &key, check.signing_input.as_bytes()) {
        Ok(())
    } else {
        Err(Error::Signature(SignatureError::Mismatch))
    }
}
