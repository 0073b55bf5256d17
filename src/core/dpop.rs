//! DPoP, sender-constrained tokens (RFC 9449): the client's key as the pump describes it, its
//! JWK thumbprint (RFC 7638) for `dpop_jkt` (§10), the proof JWT (§4.2), the nonce a server
//! may demand (§8, §9), and the binding checks (§5).
//!
//! The private key never leaves WebCrypto: it is generated non-extractable by the pump, which
//! hands the machine the public key as a JWK and signs what the machine asks. The machine
//! builds the proof's header and claims here and asks for one signature per proof.

use crate::core::base64url;
use crate::core::json::{Json, Object, ObjectWriter};
use crate::core::secret::AccessToken;
use crate::core::sha256::sha256;
use crate::error::Error;

/// The proof's JOSE type (§4.2).
pub const PROOF_TYP: &str = "dpop+jwt";
/// The only algorithm this client signs proofs with: ECDSA P-256 SHA-256 (RFC 7518 §3.4).
pub const PROOF_ALG: &str = "ES256";
/// The request header that carries the proof, and the response header with a nonce (§8.1).
pub const NONCE_ERROR: &str = "use_dpop_nonce";

/// The public half of the client's P-256 key: its JWK coordinates and thumbprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    /// `x`, base64url of 32 bytes.
    pub x: String,
    /// `y`, base64url of 32 bytes.
    pub y: String,
    /// The JWK SHA-256 thumbprint (RFC 7638 §3), base64url.
    pub jkt: String,
}

impl PublicKey {
    /// The key from the public JWK the pump exported (`kty` `EC`, `crv` `P-256`, `x` and `y`
    /// of 32 bytes each); anything else is [`Error::Crypto`].
    pub fn from_jwk(jwk: &Json) -> Result<PublicKey, Error> {
        let coordinate = |name: &str| {
            jwk.get(name)
                .and_then(Json::as_str)
                .filter(|c| base64url::decode(c).is_some_and(|b| b.len() == 32))
                .map(str::to_owned)
        };
        let ec = jwk.get("kty").and_then(Json::as_str) == Some("EC")
            && jwk.get("crv").and_then(Json::as_str) == Some("P-256");
        match (ec, coordinate("x"), coordinate("y")) {
            (true, Some(x), Some(y)) => {
                let jkt = thumbprint(&x, &y);
                Ok(PublicKey { x, y, jkt })
            }
            _ => Err(Error::Crypto("the DPoP key is not a P-256 JWK".into())),
        }
    }

    /// The public JWK with the required members only, in the lexicographic order of RFC 7638
    /// §3.2 (the order the thumbprint hashes, and the `jwk` of the proof's header).
    pub fn jwk(&self) -> Json {
        let mut o = Object::new();
        o.insert("crv", Json::str("P-256"));
        o.insert("kty", Json::str("EC"));
        o.insert("x", Json::str(self.x.as_str()));
        o.insert("y", Json::str(self.y.as_str()));
        Json::Object(o)
    }
}

/// The JWK thumbprint of a P-256 key (RFC 7638 §3.1): SHA-256 over its required members without
/// white space, in lexicographic order, base64url.
pub fn thumbprint(x: &str, y: &str) -> String {
    base64url::encode(&sha256(canonical_jwk(x, y).as_bytes()))
}

/// The public JWK of a P-256 key as compact JSON text, its required members only, in the
/// lexicographic order of RFC 7638 §3.2: what the thumbprint hashes and what the proof's header
/// carries as `jwk` ([`PublicKey::jwk`] as text; base64url coordinates need no escaping).
fn canonical_jwk(x: &str, y: &str) -> String {
    crate::core::text::cat(&[
        r#"{"crv":"P-256","kty":"EC","x":""#,
        x,
        r#"","y":""#,
        y,
        r#""}"#,
    ])
}

/// The reason of the [`Error::Crypto`] for a signature that is not a 64-byte ES256 one.
pub const NO_SIGNATURE: &str = "no ES256 signature of 64 bytes";

/// `htu` (§4.2): the request's URL without query and fragment.
pub fn htu(url: &str) -> &str {
    crate::core::text::before_any(url, b"?#")
}

/// `ath` (§4.2): base64url of the SHA-256 of the access token's ASCII octets.
pub fn ath(access_token: &AccessToken) -> String {
    base64url::encode(&sha256(access_token.expose().as_bytes()))
}

/// A `jti` (§4.2): unique per proof and unguessable, from a secret `seed` taken from the
/// platform's randomness and a counter that never repeats within the page.
pub fn jti(seed: &[u8], counter: u64) -> String {
    let mut input = Vec::new();
    input.extend_from_slice(seed);
    input.extend_from_slice(&counter.to_be_bytes());
    let digest = sha256(&input);
    base64url::encode(digest.get(..18).unwrap_or(&digest))
}

/// What one proof says (§4.2).
#[derive(Debug, Clone)]
pub struct ProofClaims<'a> {
    /// `htm`: the request's method.
    pub htm: &'a str,
    /// The request's URL (`htu` is taken from it).
    pub url: &'a str,
    /// `iat`, seconds since the epoch.
    pub iat: i64,
    /// `jti`.
    pub jti: String,
    /// `nonce`, when the server gave one.
    pub nonce: Option<&'a str>,
    /// The access token the request presents (a resource request): its `ath`.
    pub access_token: Option<&'a AccessToken>,
}

/// The JWS signing input of a proof by `key` (§4.2, RFC 7515 §5.1): base64url of the header
/// (`typ` `dpop+jwt`, `alg` `ES256`, `jwk`), `.`, base64url of the claims.
pub fn signing_input(key: &PublicKey, claims: &ProofClaims<'_>) -> String {
    let mut header = ObjectWriter::new();
    header.str("typ", PROOF_TYP);
    header.str("alg", PROOF_ALG);
    header.raw("jwk", &canonical_jwk(&key.x, &key.y));
    let mut body = ObjectWriter::new();
    body.str("jti", &claims.jti);
    body.str("htm", claims.htm);
    body.str("htu", htu(claims.url));
    body.int("iat", claims.iat);
    body.opt_str("nonce", claims.nonce);
    if let Some(token) = claims.access_token {
        body.str("ath", &ath(token));
    }
    crate::core::text::cat(&[
        &base64url::encode(header.end().as_bytes()),
        ".",
        &base64url::encode(body.end().as_bytes()),
    ])
}

/// The proof: the signing input and the ES256 signature (64 bytes, `r || s`, RFC 7518 §3.4, as
/// WebCrypto's ECDSA gives it). Another length is [`Error::Crypto`] ([`NO_SIGNATURE`]).
pub fn proof(signing_input: &str, signature: &[u8]) -> Result<String, Error> {
    if signature.len() != 64 {
        return Err(Error::Crypto(NO_SIGNATURE.into()));
    }
    Ok(crate::core::text::cat(&[
        signing_input,
        ".",
        &base64url::encode(signature),
    ]))
}

/// Whether a token endpoint's answer asks for a nonce (§8): 400 with `use_dpop_nonce`.
pub fn token_nonce_error(status: u16, body: &str) -> bool {
    status == 400 && crate::core::members::body_str(body, "error").as_deref() == Some(NONCE_ERROR)
}

/// Whether a resource server's answer asks for a nonce (§9): 401 with a `WWW-Authenticate`
/// challenge whose `error` is `use_dpop_nonce`.
pub fn resource_nonce_error(status: u16, www_authenticate: Option<&str>) -> bool {
    // A window compare, not `str::contains`: the standard substring search costs the wasm
    // more than this whole module.
    let needle = NONCE_ERROR.as_bytes();
    status == 401
        && www_authenticate.is_some_and(|w| w.as_bytes().windows(needle.len()).any(|b| b == needle))
}

/// The newest nonce each server gave (§8.2, §9), by origin.
#[derive(Debug, Clone, Default)]
pub struct Nonces(Vec<(String, String)>);

impl Nonces {
    /// The nonce of the server at `url`'s origin.
    pub fn get(&self, url: &str) -> Option<&str> {
        crate::core::text::value_of(&self.0, &crate::core::web_message::origin_of(url))
    }

    /// Remembers `nonce` for `url`'s origin, replacing an older one.
    pub fn remember(&mut self, url: &str, nonce: &str) {
        let origin = crate::core::web_message::origin_of(url);
        crate::core::text::set_value(&mut self.0, &origin, nonce.to_owned());
    }
}
