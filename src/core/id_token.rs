//! ID tokens: their claims (OpenID Connect Core 1.0 §2), their validation after a code exchange
//! (§3.1.3.7, with `at_hash` per §3.1.3.8 and §3.2.2.9) and the extra rules for ID tokens from a
//! refresh (§12.2).
//!
//! The steps of §3.1.3.7 and where they happen:
//! 1. encrypted ID tokens are refused ([`IdTokenError::Encrypted`]): this client registers none;
//! 2. `iss` equals the issuer exactly ([`IdToken::validate_claims`]);
//! 3. `aud` contains the client id; 4. several audiences need `azp`; 5. `azp`, when present,
//!    equals the client id;
//! 6. and 8. the signature is checked with a key from the JWK Set ([`IdToken::signature_check`],
//!    then WebCrypto in the shell or `verify_and_validate_rust_crypto`); MAC algorithms are
//!    never accepted;
//! 7. `alg` is one of the configured algorithms ([`IdToken::alg`]);
//! 9. `exp` is not past, 10. `iat` is not in the future (both with the clock skew; `nbf` too,
//!    RFC 7519 §4.1.5);
//! 11. `nonce` equals the request's; 12. `acr` is one of the requested `acr_values`;
//! 13. with `max_age`, `auth_time` is present and recent enough.

use crate::core::json::{Json, Object, ObjectWriter};
use crate::core::jwks::Jwk;
#[cfg(feature = "rust-crypto")]
use crate::core::jwks::JwkSet;
use crate::core::jws::{CompactJws, HashAlg, JwsAlg, SignatureCheck};
use crate::core::members::{
    misfit, take_int, take_str, take_strings, take_text, Kind, Member, OPTIONAL, REQUIRED,
};
use crate::core::secret::RawIdToken;
use crate::error::{Error, IdTokenError};
use sha2::{Digest, Sha256, Sha384, Sha512};
use std::fmt;

/// The claims of an ID token (OIDC Core §2), typed where this crate uses them; every other
/// claim is kept in [`IdTokenClaims::other`].
///
/// Deserialisation checks types: `iss`, `sub` (non-empty), `aud` (a string or a non-empty array
/// of strings), `exp` and `iat` are required; numeric dates may be integers or floats (the
/// fraction is dropped). A missing or mistyped claim is [`IdTokenError::MissingClaim`]. It
/// serialises back to the JWT form, `aud` as a string when there is one audience.
#[derive(Debug, Clone, PartialEq)]
pub struct IdTokenClaims {
    /// Issuer identifier (`iss`).
    pub iss: String,
    /// Subject identifier (`sub`).
    pub sub: String,
    /// Audiences (`aud`), from a string or an array.
    pub aud: Vec<String>,
    /// Expiration time (`exp`), seconds since the epoch.
    pub exp: i64,
    /// Issue time (`iat`), seconds since the epoch.
    pub iat: i64,
    /// Not-before time (`nbf`, RFC 7519 §4.1.5).
    pub nbf: Option<i64>,
    /// Time of the end-user's authentication (`auth_time`).
    pub auth_time: Option<i64>,
    /// The nonce of the authentication request (`nonce`).
    pub nonce: Option<String>,
    /// Authentication context class reference (`acr`).
    pub acr: Option<String>,
    /// Authentication methods references (`amr`).
    pub amr: Option<Vec<String>>,
    /// Authorized party (`azp`).
    pub azp: Option<String>,
    /// Access token hash (`at_hash`).
    pub at_hash: Option<String>,
    /// Every other claim, as received.
    pub other: Object,
}

impl IdTokenClaims {
    /// Types the claims of a JSON object (see the type's docs for the rules).
    pub fn from_json(mut json: Object) -> Result<Self, IdTokenError> {
        if let Some((name, _)) = misfit(&json, CLAIMS) {
            return Err(IdTokenError::MissingClaim(name));
        }
        let o = &mut json;
        Ok(IdTokenClaims {
            iss: take_text(o, "iss"),
            sub: take_text(o, "sub"),
            aud: take_strings(o, "aud").unwrap_or_default(),
            exp: take_int(o, "exp").unwrap_or_default(),
            iat: take_int(o, "iat").unwrap_or_default(),
            nbf: take_int(o, "nbf"),
            auth_time: take_int(o, "auth_time"),
            nonce: take_str(o, "nonce"),
            acr: take_str(o, "acr"),
            amr: take_strings(o, "amr"),
            azp: take_str(o, "azp"),
            at_hash: take_str(o, "at_hash"),
            other: json,
        })
    }

    /// The claims as one JSON object, as in the token (`aud` a string when single).
    pub fn to_json(&self) -> Object {
        let mut json = self.other.clone();
        json.insert("iss", Json::String(self.iss.clone()));
        json.insert("sub", Json::String(self.sub.clone()));
        let aud = match self.aud.as_slice() {
            [single] => Json::String(single.clone()),
            many => strings_json(many),
        };
        json.insert("aud", aud);
        json.insert("exp", Json::int(self.exp));
        json.insert("iat", Json::int(self.iat));
        let optional_numbers = [("nbf", self.nbf), ("auth_time", self.auth_time)];
        for &(name, value) in &optional_numbers {
            if let Some(value) = value {
                json.insert(name, Json::int(value));
            }
        }
        let optional_strings = [
            ("nonce", &self.nonce),
            ("acr", &self.acr),
            ("azp", &self.azp),
            ("at_hash", &self.at_hash),
        ];
        for &(name, value) in &optional_strings {
            if let Some(value) = value {
                json.insert(name, Json::String(value.clone()));
            }
        }
        if let Some(amr) = &self.amr {
            json.insert("amr", strings_json(amr));
        }
        json
    }

    /// The text of [`to_json`](Self::to_json)'s object, written without building it (no copy
    /// of the claims), for claims that [`from_json`](Self::from_json) typed. Claims built by
    /// hand with a typed name in `other` get that name once, with the typed field's value (or
    /// not at all when the field is `None`), so that the text reads back.
    pub fn json_text(&self) -> String {
        let mut o = ObjectWriter::new();
        'members: for (name, value) in self.other.iter() {
            // A typed name in `other` (only in claims built by hand): the typed field is written.
            for (typed, _, _) in CLAIMS {
                if name == *typed {
                    continue 'members;
                }
            }
            o.json(name, value);
        }
        o.str("iss", &self.iss).str("sub", &self.sub);
        match self.aud.as_slice() {
            [single] => o.str("aud", single),
            many => o.strings("aud", many),
        };
        o.int("exp", self.exp)
            .int("iat", self.iat)
            .opt_int("nbf", self.nbf)
            .opt_int("auth_time", self.auth_time)
            .opt_str("nonce", self.nonce.as_deref())
            .opt_str("acr", self.acr.as_deref())
            .opt_str("azp", self.azp.as_deref())
            .opt_str("at_hash", self.at_hash.as_deref());
        if let Some(amr) = &self.amr {
            o.strings("amr", amr);
        }
        o.end()
    }
}

/// The claims of an ID token's payload (see [`IdToken::parse`]).
fn payload_claims(payload: &[u8]) -> Result<IdTokenClaims, IdTokenError> {
    let json = payload_object(payload).map_err(|why| IdTokenError::Malformed(why.to_owned()))?;
    IdTokenClaims::from_json(json)
}

/// The payload as a JSON object, or why it is not one.
fn payload_object(payload: &[u8]) -> Result<Object, &'static str> {
    let text = std::str::from_utf8(payload).map_err(|_| "the payload is not UTF-8")?;
    match Json::parse(text) {
        Ok(Json::Object(json)) => Ok(json),
        Ok(_) => Err("the payload is not a JSON object"),
        Err(_) => Err("the payload is not JSON"),
    }
}

/// An array of strings.
fn strings_json(values: &[String]) -> Json {
    let mut items = Vec::new();
    for value in values {
        items.push(Json::String(value.clone()));
    }
    Json::Array(items)
}

/// The claims [`IdTokenClaims::from_json`] types, in the order it checks them; any misfit is
/// [`IdTokenError::MissingClaim`]. `exp`, `iat`, `nbf` and `auth_time` are NumericDates
/// (RFC 7519 §2): an integer or a number with a fraction or exponent, whose fraction is dropped
/// (read exactly, without floating point: [`Json::as_i64`]).
const CLAIMS: &[Member] = &[
    ("iss", Kind::Str, REQUIRED),
    ("sub", Kind::NonEmptyStr, REQUIRED),
    ("aud", Kind::Audience, REQUIRED),
    ("exp", Kind::Int, REQUIRED),
    ("iat", Kind::Int, REQUIRED),
    ("nbf", Kind::Int, OPTIONAL),
    ("auth_time", Kind::Int, OPTIONAL),
    ("nonce", Kind::Str, OPTIONAL),
    ("acr", Kind::Str, OPTIONAL),
    ("amr", Kind::Strings, OPTIONAL),
    ("azp", Kind::Str, OPTIONAL),
    ("at_hash", Kind::Str, OPTIONAL),
];

/// A parsed ID token: the raw string, its JWS parts and its typed claims. Parsing checks
/// structure and claim types only; validation is [`IdToken::alg`], the signature and
/// [`IdToken::validate_claims`].
/// Its `Debug` shows the claims only.
#[derive(Clone)]
pub struct IdToken {
    /// The token as received (kept for `id_token_hint`).
    pub raw: RawIdToken,
    /// The JWS parts.
    pub jws: CompactJws,
    /// The typed claims.
    pub claims: IdTokenClaims,
}

impl fmt::Debug for IdToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdToken")
            .field("alg", &self.jws.alg)
            .field("kid", &self.jws.kid)
            .field("claims", &self.claims)
            .finish_non_exhaustive()
    }
}

impl IdToken {
    /// Parses an ID token: a compact JWS (RFC 7515 §7.1) whose payload is a JSON object of claims
    /// with the types of [`IdTokenClaims`]. No validation.
    ///
    /// A JWE -> [`IdTokenError::Encrypted`]; anything else malformed ->
    /// [`IdTokenError::Malformed`]; a missing or mistyped claim -> [`IdTokenError::MissingClaim`].
    pub fn parse(raw: &str) -> Result<Self, Error> {
        let jws = CompactJws::parse(raw)?;
        let claims = payload_claims(&jws.payload)?;
        Ok(IdToken {
            raw: RawIdToken::new(raw),
            jws,
            claims,
        })
    }

    /// Step 7 of OIDC Core §3.1.3.7: the header's `alg` must be one of `allowed` (the client's
    /// `id_token_signed_response_alg`, by default RS256). `none` and `HS*` are never in the list
    /// (they are not [`JwsAlg`] values). Otherwise [`IdTokenError::AlgNotAllowed`].
    pub fn alg(&self, allowed: &[JwsAlg]) -> Result<JwsAlg, Error> {
        let not_allowed = || Error::IdToken(IdTokenError::AlgNotAllowed(self.jws.alg.clone()));
        let alg = JwsAlg::named(&self.jws.alg).ok_or_else(not_allowed)?;
        if allowed.contains(&alg) {
            Ok(alg)
        } else {
            Err(not_allowed())
        }
    }

    /// What verifies this token's signature with `jwk` (steps 6 and 8 of §3.1.3.7).
    pub fn signature_check(&self, alg: JwsAlg, jwk: &Jwk) -> SignatureCheck {
        SignatureCheck {
            alg,
            jwk: jwk.clone(),
            signing_input: self.jws.signing_input.clone(),
            signature: self.jws.signature.clone(),
        }
    }

    /// Validates the claims (OIDC Core §3.1.3.7 steps 2-5 and 9-13, §3.1.3.8 `at_hash`), in this
    /// order, each failure its own [`IdTokenError`]:
    ///
    /// - `iss` equals `checks.issuer` exactly ([`IdTokenError::IssuerMismatch`]);
    /// - `aud` contains `checks.client_id` ([`IdTokenError::AudienceMismatch`]);
    /// - several audiences require `azp` ([`IdTokenError::AzpMissing`]), and `azp`, when present,
    ///   equals the client id ([`IdTokenError::AzpMismatch`]);
    /// - `exp > now - skew` ([`IdTokenError::Expired`]); `iat <= now + skew`
    ///   ([`IdTokenError::IssuedInFuture`]); `nbf <= now + skew` ([`IdTokenError::NotYetValid`]);
    /// - when `checks.nonce` is set, `nonce` equals it ([`IdTokenError::NonceMismatch`]); when it
    ///   is not (a refresh), see [`validate_refreshed`];
    /// - with `max_age`, `auth_time` is present ([`IdTokenError::AuthTimeMissing`]) and
    ///   `auth_time + max_age + skew >= now` ([`IdTokenError::AuthTimeTooOld`]);
    /// - with `acr_values`, `acr` is one of them ([`IdTokenError::AcrNotSatisfied`]);
    /// - with `at_hash` and an access token, `at_hash` is [`at_hash`] of the token with this
    ///   token's `alg` ([`IdTokenError::AtHashMismatch`]).
    pub fn validate_claims(&self, checks: &IdTokenChecks<'_>) -> Result<(), Error> {
        self.claims_failure(checks).map_err(Error::IdToken)
    }

    /// The checks of [`validate_claims`](Self::validate_claims), failing with the bare
    /// [`IdTokenError`] so that the [`Error`] is made at one place.
    fn claims_failure(&self, checks: &IdTokenChecks<'_>) -> Result<(), IdTokenError> {
        let claims = &self.claims;
        let now = checks.now;
        let skew = checks.clock_skew.max(0);
        if claims.iss != checks.issuer {
            return Err(IdTokenError::IssuerMismatch);
        }
        if !crate::core::text::has(&claims.aud, checks.client_id) {
            return Err(IdTokenError::AudienceMismatch);
        }
        if claims.aud.len() > 1 && claims.azp.is_none() {
            return Err(IdTokenError::AzpMissing);
        }
        if claims
            .azp
            .as_deref()
            .is_some_and(|azp| azp != checks.client_id)
        {
            return Err(IdTokenError::AzpMismatch);
        }
        if claims.exp <= now.saturating_sub(skew) {
            return Err(IdTokenError::Expired);
        }
        if claims.iat > now.saturating_add(skew) {
            return Err(IdTokenError::IssuedInFuture);
        }
        if claims.nbf.is_some_and(|nbf| nbf > now.saturating_add(skew)) {
            return Err(IdTokenError::NotYetValid);
        }
        if let Some(expected) = checks.nonce {
            if claims.nonce.as_deref() != Some(expected) {
                return Err(IdTokenError::NonceMismatch);
            }
        }
        if let Some(max_age) = checks.max_age {
            let auth_time = claims.auth_time.ok_or(IdTokenError::AuthTimeMissing)?;
            let max_age = i64::try_from(max_age).unwrap_or(i64::MAX);
            if auth_time.saturating_add(max_age).saturating_add(skew) < now {
                return Err(IdTokenError::AuthTimeTooOld);
            }
        }
        if !checks.acr_values.is_empty() {
            let satisfied = claims
                .acr
                .as_deref()
                .is_some_and(|acr| crate::core::text::has(checks.acr_values, acr));
            if !satisfied {
                return Err(IdTokenError::AcrNotSatisfied);
            }
        }
        if let (Some(expected), Some(access_token)) = (&claims.at_hash, checks.access_token) {
            let alg = JwsAlg::named(&self.jws.alg).ok_or(IdTokenError::AtHashMismatch)?;
            let computed = match (alg.hash(), checks.access_token_digest) {
                (_, Some(digest)) => half_in_base64url(digest),
                (HashAlg::Sha256, None) => {
                    half_in_base64url(&crate::core::sha256::sha256(access_token.as_bytes()))
                }
                // SHA-384 and SHA-512 come from outside (WebCrypto): without the digest the
                // value cannot be confirmed.
                (HashAlg::Sha384 | HashAlg::Sha512, None) => {
                    return Err(IdTokenError::AtHashMismatch)
                }
            };
            if computed != *expected {
                return Err(IdTokenError::AtHashMismatch);
            }
        }
        Ok(())
    }
}

/// The error to report for an ID token *just received* that failed `validate_claims`: a time
/// check (`exp`, `iat`, `nbf`) that failed while the token's `iat` is further from `now` than
/// `clock_skew` means the device clock is wrong ([`IdTokenError::ClockSkew`], with the measured
/// offset), not the token; any other error is returned as it is.
pub fn diagnose_clock(error: Error, claims: &IdTokenClaims, now: i64, clock_skew: i64) -> Error {
    let time_check = matches!(
        error,
        Error::IdToken(
            IdTokenError::Expired | IdTokenError::IssuedInFuture | IdTokenError::NotYetValid
        )
    );
    let offset_seconds = claims.iat.saturating_sub(now);
    if time_check && offset_seconds.unsigned_abs() > clock_skew.max(0).unsigned_abs() {
        IdTokenError::ClockSkew { offset_seconds }.into()
    } else {
        error
    }
}

/// The `at_hash` of an access token (OIDC Core §3.1.3.8, §3.2.2.9): the base64url encoding of the
/// left-most half of the hash of its ASCII octets, with the hash function of the ID token's `alg`
/// (SHA-512 for EdDSA over Ed25519). The same computation gives `c_hash` for a code.
///
/// For a Rust caller and the tests: the flows hash with SHA-384 and SHA-512 through
/// [`Need::Digest`](crate::core::flow::Need::Digest) instead, so that the wasm build carries
/// SHA-256 only.
pub fn at_hash(alg: JwsAlg, access_token: &str) -> String {
    half_in_base64url(&digest(alg.hash(), access_token.as_bytes()))
}

/// `data` hashed with `hash`, in Rust (see [`at_hash`] for why the flows do not use it).
pub fn digest(hash: HashAlg, data: &[u8]) -> Vec<u8> {
    match hash {
        HashAlg::Sha256 => Sha256::digest(data).to_vec(),
        HashAlg::Sha384 => Sha384::digest(data).to_vec(),
        HashAlg::Sha512 => Sha512::digest(data).to_vec(),
    }
}

/// The base64url encoding of the left-most half of `digest` (OIDC Core §3.1.3.8).
fn half_in_base64url(digest: &[u8]) -> String {
    crate::core::base64url::encode(digest.get(..digest.len() / 2).unwrap_or_default())
}

/// What [`IdToken::validate_claims`] checks the claims against.
#[derive(Clone, Copy)]
pub struct IdTokenChecks<'a> {
    /// The issuer identifier from discovery (the configured issuer).
    pub issuer: &'a str,
    /// This client's `client_id`.
    pub client_id: &'a str,
    /// The `nonce` sent in the authentication request; `None` for a refreshed ID token.
    pub nonce: Option<&'a str>,
    /// The `max_age` sent in the authentication request.
    pub max_age: Option<u64>,
    /// The `acr_values` sent in the authentication request.
    pub acr_values: &'a [String],
    /// The access token of the same response, to check `at_hash` against.
    pub access_token: Option<&'a str>,
    /// That access token hashed with the `alg`'s hash function, needed when it is SHA-384 or
    /// SHA-512 ([`Need::Digest`](crate::core::flow::Need::Digest) gets it; [`digest`] computes
    /// it in Rust). SHA-256 the core computes itself.
    pub access_token_digest: Option<&'a [u8]>,
    /// The current time, seconds since the epoch.
    pub now: i64,
    /// Allowed clock difference, in seconds (negative counts as zero).
    pub clock_skew: i64,
}

impl fmt::Debug for IdTokenChecks<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdTokenChecks")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("nonce", &self.nonce)
            .field("max_age", &self.max_age)
            .field("acr_values", &self.acr_values)
            .field("access_token", &self.access_token.map(|_| "[redacted]"))
            .field(
                "access_token_digest",
                &self.access_token_digest.map(|_| "[redacted]"),
            )
            .field("now", &self.now)
            .field("clock_skew", &self.clock_skew)
            .finish()
    }
}

/// OIDC Core §12.2: an ID token from a refresh must keep the identity of the original one.
///
/// `iss`, `sub`, `aud` (as a set) and `azp` (present in both with the same value, or in neither)
/// must be equal; `auth_time`, when the new token has it, must equal the original's; `nonce`
/// should be absent and, when present, must equal the original's. Each violation is
/// [`IdTokenError::RefreshedClaimChanged`] naming the claim. Validate the new token with
/// [`IdToken::validate_claims`] (with `nonce: None`) as well.
pub fn validate_refreshed(new: &IdTokenClaims, original: &IdTokenClaims) -> Result<(), Error> {
    match changed_claim(new, original) {
        Some(claim) => Err(Error::IdToken(IdTokenError::RefreshedClaimChanged(claim))),
        None => Ok(()),
    }
}

/// The first claim of [`validate_refreshed`] that changed, if any.
fn changed_claim(new: &IdTokenClaims, original: &IdTokenClaims) -> Option<&'static str> {
    if new.iss != original.iss {
        return Some("iss");
    }
    if new.sub != original.sub {
        return Some("sub");
    }
    if audience_set(&new.aud) != audience_set(&original.aud) {
        return Some("aud");
    }
    if new.azp != original.azp {
        return Some("azp");
    }
    if new.auth_time.is_some() && new.auth_time != original.auth_time {
        return Some("auth_time");
    }
    if new.nonce.is_some() && new.nonce != original.nonce {
        return Some("nonce");
    }
    None
}

/// The distinct audiences, sorted: `aud` as a set.
fn audience_set(aud: &[String]) -> Vec<&str> {
    let mut set = Vec::new();
    for value in aud {
        set.push(value.as_str());
    }
    crate::core::json::sort_strs(&mut set);
    set.dedup();
    set
}

/// Parses, checks `alg`, selects the key, verifies the signature with jwt-compact (feature
/// `rust-crypto`) and validates the claims: all of OIDC Core §3.1.3.7 in one call, for a Rust
/// caller that holds the JWK Set. The flows run the same steps as a sans-IO machine
/// (`flow::signature`), which also refetches the set for an unknown `kid`.
///
/// A `kid` the set lacks is [`SignatureError::NoMatchingKey`](crate::error::SignatureError)
/// here (there is no refetch); with several candidate keys each is tried in turn, and a key that
/// did not verify is the failure reported over one that could not be used.
#[cfg(feature = "rust-crypto")]
pub fn verify_and_validate_rust_crypto(
    raw: &str,
    jwks: &JwkSet,
    allowed: &[JwsAlg],
    checks: &IdTokenChecks<'_>,
) -> Result<IdToken, Error> {
    use crate::core::jwks::more_telling;
    use crate::core::jws::verify_rust_crypto;
    use crate::error::SignatureError;

    let token = IdToken::parse(raw)?;
    let alg = token.alg(allowed)?;
    let candidates = jwks
        .select(alg, token.jws.kid.as_deref())?
        .into_candidates_or_no_key()?;
    let mut failure = None;
    let mut verified = false;
    for jwk in candidates {
        match verify_rust_crypto(&token.signature_check(alg, jwk)) {
            Ok(()) => {
                verified = true;
                break;
            }
            Err(e) => failure = Some(more_telling(failure, e)),
        }
    }
    if !verified {
        return Err(failure.unwrap_or(Error::Signature(SignatureError::NoMatchingKey)));
    }
    // SHA-256 `validate_claims` computes itself; SHA-384 and SHA-512 are hashed here.
    let access_token_digest = checks
        .access_token
        .filter(|_| token.claims.at_hash.is_some() && alg.hash() != HashAlg::Sha256)
        .map(|access_token| digest(alg.hash(), access_token.as_bytes()));
    let checks = IdTokenChecks {
        access_token_digest: access_token_digest.as_deref(),
        ..*checks
    };
    token.validate_claims(&checks)?;
    Ok(token)
}
