//! JSON Web Key Sets (RFC 7517 §4, §5) and the choice of the key that verifies an ID token
//! (RFC 7515 §4.1.4 `kid`, OpenID Connect Core 1.0 §10.1 and §10.1.1 key rotation).
//!
//! [`JwkSet::parse`] keeps only keys that can verify signatures: `kty` RSA, EC or OKP
//! (RFC 7518 §6.1, RFC 8037 §2), not `use: "enc"` (RFC 7517 §4.2), and with `key_ops`, if given,
//! containing `verify` (RFC 7517 §4.3). Private members (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`,
//! RFC 7518 §6.2.2 and §6.3.2, and `k`, §6.4.1) are removed, so [`Jwk::json`] is always a public
//! key, fit for WebCrypto's `importKey("jwk", ...)`.
//!
//! [`JwkSet::select`] picks candidates by `kid` and by fitness for the token's `alg`. A `kid` the
//! set lacks means the OP may have rotated its keys (§10.1.1): the shell refetches the JWK Set once
//! and selects again; a second miss is [`SignatureError::NoMatchingKey`].

use crate::core::alg::JwsAlg;
use crate::core::json::{uint_text, Json, Object};
use crate::core::members::{misfit, Kind, Member, OPTIONAL, REQUIRED};
use crate::error::{Error, ResponseError, SignatureError};

/// Key types kept by [`JwkSet::parse`] (RFC 7518 §6.1, RFC 8037 §2).
const KEPT_KEY_TYPES: [&str; 3] = ["RSA", "EC", "OKP"];

/// Private key members removed from every key (RFC 7518 §6.2.2, §6.3.2, §6.4.1; RFC 8037 §2).
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// Shortest RSA modulus RFC 7518 §3.3 and §3.5 allow.
const MIN_RSA_BITS: usize = 2048;

/// One public key of a JWK Set (RFC 7517 §4).
#[derive(Debug, Clone, PartialEq)]
pub struct Jwk {
    /// Key type (`RSA`, `EC` or `OKP`), RFC 7517 §4.1.
    pub kty: String,
    /// Key id, RFC 7517 §4.5.
    pub kid: Option<String>,
    /// Intended use (`sig`), RFC 7517 §4.2. Keys with `enc` never get here.
    pub use_: Option<String>,
    /// The algorithm the key is meant for, RFC 7517 §4.4.
    pub alg: Option<String>,
    /// Curve of an EC or OKP key (RFC 7518 §6.2.1.1, RFC 8037 §2).
    pub crv: Option<String>,
    /// The whole key as received, private members removed.
    pub json: Object,
}

impl Jwk {
    /// A key from one member of a JWK Set's `keys` array (RFC 7517 §5.1), or `None` when the key
    /// is skipped: `kty` absent or not RSA/EC/OKP, `use` other than `sig`, `key_ops` without
    /// `verify`, or `kid`/`use`/`alg`/`crv` not strings. Private members are removed.
    pub fn from_json(mut json: Object) -> Option<Self> {
        if misfit(&json, MEMBERS).is_some() {
            return None;
        }
        let kty = json.str("kty").unwrap_or_default();
        if !KEPT_KEY_TYPES.contains(&kty) || json.str("use").is_some_and(|u| u != "sig") {
            return None;
        }
        if let Some(ops) = json.get("key_ops") {
            let ops = ops.as_array()?;
            if !ops.iter().any(|op| op.as_str() == Some("verify")) {
                return None;
            }
        }
        for &member in &PRIVATE_MEMBERS {
            json.remove(member);
        }
        let text = |name| json.str(name).map(str::to_owned);
        Some(Jwk {
            kty: text("kty").unwrap_or_default(),
            kid: text("kid"),
            use_: text("use"),
            alg: text("alg"),
            crv: text("crv"),
            json,
        })
    }

    /// Whether this key can verify a signature made with `alg`: `kty` RSA for RS*/PS* (with a
    /// modulus of at least 2048 bits, RFC 7518 §3.3), EC with the matching curve for ES*, OKP with
    /// Ed25519 for EdDSA; and the key's own `alg`, if any, equal to `alg`.
    pub fn fits(&self, alg: JwsAlg) -> bool {
        self.unfit_reason(alg).is_none()
    }

    /// Why this key cannot verify `alg`, or `None` when it fits (see [`Jwk::fits`]).
    pub fn unfit_reason(&self, alg: JwsAlg) -> Option<String> {
        if let Some(key_alg) = self.alg.as_deref() {
            if key_alg != alg.as_str() {
                return Some(crate::core::text::cat(&[
                    "the key is for `",
                    key_alg,
                    "`, not `",
                    alg.as_str(),
                    "`",
                ]));
            }
        }
        if self.kty != alg.key_type() {
            return Some(crate::core::text::cat(&[
                "a `",
                &self.kty,
                "` key cannot verify `",
                alg.as_str(),
                "`",
            ]));
        }
        if let Some(curve) = alg.curve() {
            if self.crv.as_deref() != Some(curve) {
                let has = self.crv.as_deref().unwrap_or("none");
                return Some(crate::core::text::cat(&[
                    "`",
                    alg.as_str(),
                    "` needs curve `",
                    curve,
                    "`, the key has `",
                    has,
                    "`",
                ]));
            }
        }
        if self.kty == "RSA" {
            match self.rsa_modulus_bits() {
                None => return Some("the RSA key has no valid `n`".to_owned()),
                Some(bits) if bits < MIN_RSA_BITS => {
                    let bits = uint_text(u64::try_from(bits).unwrap_or(u64::MAX));
                    let min = uint_text(u64::try_from(MIN_RSA_BITS).unwrap_or(u64::MAX));
                    return Some(crate::core::text::cat(&[
                        "the RSA modulus has ",
                        &bits,
                        " bits, fewer than ",
                        &min,
                    ]));
                }
                Some(_) => {}
            }
        }
        None
    }

    /// The bit length of an RSA key's modulus `n` (RFC 7518 §6.3.1.1), if it decodes.
    fn rsa_modulus_bits(&self) -> Option<usize> {
        let n = self.json.get("n")?.as_str()?;
        let bytes = crate::core::base64url::decode(n)?;
        // The first byte that is not zero, and how many follow it.
        let mut first = None;
        let mut rest: usize = 0;
        for &byte in &bytes {
            match first {
                None if byte == 0 => {}
                None => first = Some(byte),
                Some(_) => rest = rest.saturating_add(1),
            }
        }
        let first = first?;
        let first_bits = 8_usize.checked_sub(usize::try_from(first.leading_zeros()).ok()?)?;
        Some(rest.saturating_mul(8).saturating_add(first_bits))
    }
}

/// The members [`Jwk::from_json`] reads; a key whose members misfit is skipped.
const MEMBERS: &[Member] = &[
    ("kty", Kind::Str, REQUIRED),
    ("kid", Kind::Str, OPTIONAL),
    ("use", Kind::Str, OPTIONAL),
    ("alg", Kind::Str, OPTIONAL),
    ("crv", Kind::Str, OPTIONAL),
];

/// A JWK Set (RFC 7517 §5), holding only keys that can verify signatures.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JwkSet {
    /// The kept keys, in the order of the document.
    pub keys: Vec<Jwk>,
    /// Handed out from a cache, not fetched for the token at hand: when no key of it verifies,
    /// the signature check fetches the set once more (the OP may have re-keyed, OIDC Core
    /// §10.1.1).
    pub cached: bool,
}

/// The outcome of [`JwkSet::select`].
#[derive(Debug, Clone, PartialEq)]
pub enum KeySelection<'a> {
    /// Keys to try, in turn, until one verifies. Several only when the token has no `kid` and
    /// several keys fit its `alg`.
    Candidates(Vec<&'a Jwk>),
    /// The token names a `kid` the set lacks: refetch the JWK Set once (OIDC Core §10.1.1) and
    /// select again.
    UnknownKid,
}

impl<'a> KeySelection<'a> {
    /// The candidates, or [`SignatureError::NoMatchingKey`] for [`KeySelection::UnknownKid`]: use
    /// it on the selection made after the refetch.
    pub fn into_candidates_or_no_key(self) -> Result<Vec<&'a Jwk>, Error> {
        match self {
            KeySelection::Candidates(keys) => Ok(keys),
            KeySelection::UnknownKid => Err(Error::Signature(SignatureError::NoMatchingKey)),
        }
    }
}

/// Of the failures of candidate keys tried in turn, the one to report: a key that did not verify
/// ([`SignatureError::Mismatch`]) says the most, so once seen it is kept over any later failure
/// (a key that cannot be used, say); otherwise the latest failure is.
pub(crate) fn more_telling(kept: Option<Error>, new: Error) -> Error {
    match kept {
        Some(kept @ Error::Signature(SignatureError::Mismatch)) => kept,
        _ => new,
    }
}

impl JwkSet {
    /// Parses a JWK Set document (RFC 7517 §5). Keys that cannot verify signatures, or are not
    /// JSON objects, are skipped (see [`Jwk::from_json`]); RFC 7517 §5 asks implementations to
    /// ignore keys they do not understand.
    ///
    /// Not JSON, or not an object -> [`ResponseError::NotJson`]; no `keys` array ->
    /// [`ResponseError::MissingField`]`("keys")`.
    pub fn parse(json: &str) -> Result<Self, Error> {
        let mut document =
            crate::core::members::response_object(json, "", "the JWK Set is not a JSON object")?;
        let Some(Json::Array(keys)) = document.remove("keys") else {
            return Err(Error::InvalidResponse(ResponseError::MissingField("keys")));
        };
        let mut set = JwkSet::default();
        for key in keys {
            if let Some(key) = match key {
                Json::Object(key) => Jwk::from_json(key),
                _ => None,
            } {
                set.keys.push(key);
            }
        }
        Ok(set)
    }

    /// The set from the `jwks_uri` response: HTTP 200 and [`JwkSet::parse`]; another status is
    /// [`ResponseError::UnexpectedStatus`].
    pub fn from_http(status: u16, body: &str) -> Result<Self, Error> {
        if status != 200 {
            return Err(ResponseError::UnexpectedStatus(status).into());
        }
        JwkSet::parse(body)
    }

    /// Chooses the keys that may verify a token with this `alg` and `kid` (RFC 7515 §4.1.4,
    /// OIDC Core §10.1).
    ///
    /// - `kid` given and in the set: the keys with that `kid` that fit `alg`
    ///   ([`Jwk::fits`]); if none fits -> [`SignatureError::UnusableKey`].
    /// - `kid` given and not in the set -> [`KeySelection::UnknownKid`].
    /// - no `kid`: every key that fits `alg`, in document order; none ->
    ///   [`SignatureError::NoMatchingKey`].
    pub fn select(&self, alg: JwsAlg, kid: Option<&str>) -> Result<KeySelection<'_>, Error> {
        // The keys with the token's `kid` (all keys without one), and of those the ones that fit.
        let mut named = None;
        let mut fitting: Vec<&Jwk> = Vec::new();
        for key in &self.keys {
            if kid.is_some() && key.kid.as_deref() != kid {
                continue;
            }
            named.get_or_insert(key);
            if key.fits(alg) {
                fitting.push(key);
            }
        }
        match (kid, named) {
            (_, _) if !fitting.is_empty() => Ok(KeySelection::Candidates(fitting)),
            (Some(_), None) => Ok(KeySelection::UnknownKid),
            (Some(kid), Some(first)) => {
                let why = first
                    .unfit_reason(alg)
                    .unwrap_or_else(|| "the key does not fit".to_owned());
                Err(Error::Signature(SignatureError::UnusableKey(
                    crate::core::text::cat(&["key `", kid, "`: ", &why]),
                )))
            }
            (None, _) => Err(Error::Signature(SignatureError::NoMatchingKey)),
        }
    }
}
