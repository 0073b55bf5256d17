//! Test helpers: keys generated at run time (one per kind per test binary, cached), ID tokens
//! minted and signed with them, and the matching public JWKs. No token in the tests is pasted:
//! every one is made here.
#![allow(dead_code)]

use base64ct::{Base64UrlUnpadded, Encoding};
use jwt_compact::alg::{Ed25519, Es256, ModulusBits, Rsa, RsaPrivateKey, RsaPublicKey};
use jwt_compact::jwk::JsonWebKey;
use jwt_compact::{Algorithm, AlgorithmSignature};
use oidc_rp_wasm::core::id_token::IdTokenChecks;
use oidc_rp_wasm::core::json::{Json, Object};
use oidc_rp_wasm::core::metadata::ProviderMetadata;
use rand_core::{OsRng, RngCore};
use serde_json::{json, Value};
use std::sync::OnceLock;

/// The issuer of every test token.
pub const ISSUER: &str = "https://op.example.com";
/// The client id every test token is for.
pub const CLIENT_ID: &str = "spa-client";
/// The nonce of the test authentication request.
pub const NONCE: &str = "n-0S6_WzA2Mj-test";
/// "Now" in every test.
pub const NOW: i64 = 1_700_000_000;

/// A signing key of one of the kinds the tests use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// One of two RSA-2048 keys (index 0 or 1).
    Rsa(usize),
    /// A P-256 key.
    P256,
    /// An Ed25519 key.
    Ed25519,
}

/// An RSA key pair.
pub struct RsaPair {
    pub private: RsaPrivateKey,
    pub public: RsaPublicKey,
}

type P256SigningKey = <Es256 as Algorithm>::SigningKey;
type Ed25519SigningKey = <Ed25519 as Algorithm>::SigningKey;
type Ed25519VerifyingKey = <Ed25519 as Algorithm>::VerifyingKey;

static RSA_KEYS: [OnceLock<RsaPair>; 2] = [OnceLock::new(), OnceLock::new()];
static P256_KEY: OnceLock<P256SigningKey> = OnceLock::new();
static ED25519_KEY: OnceLock<(Ed25519SigningKey, Ed25519VerifyingKey)> = OnceLock::new();

/// RSA-2048 key pair number `index` (0 or 1), generated once per test binary.
pub fn rsa_key(index: usize) -> &'static RsaPair {
    RSA_KEYS[index].get_or_init(|| {
        let (private, public) = Rsa::generate(&mut OsRng, ModulusBits::TwoKibibytes).unwrap();
        RsaPair {
            private: private.into_inner(),
            public: public.into_inner(),
        }
    })
}

/// The P-256 signing key, generated once per test binary.
pub fn p256_key() -> &'static P256SigningKey {
    P256_KEY.get_or_init(|| loop {
        let mut scalar = [0_u8; 32];
        OsRng.fill_bytes(&mut scalar);
        // A random 32-byte string is a valid scalar except with negligible probability.
        if let Ok(key) =
            <P256SigningKey as jwt_compact::alg::SigningKey<Es256>>::from_slice(&scalar)
        {
            break key;
        }
    })
}

/// The Ed25519 key pair, generated once per test binary.
pub fn ed25519_key() -> &'static (Ed25519SigningKey, Ed25519VerifyingKey) {
    ED25519_KEY.get_or_init(|| Ed25519::generate(&mut OsRng))
}

/// Base64url without padding.
pub fn b64(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

/// Signs `input` with `key` under the JOSE algorithm `alg` (RS*/PS* with an RSA key, ES256 with
/// P-256, EdDSA with Ed25519).
pub fn sign(alg: &str, key: Key, input: &[u8]) -> Vec<u8> {
    match key {
        Key::Rsa(index) => {
            let rsa: Rsa = alg.parse().expect("an RSA alg for an RSA key");
            rsa.sign(&rsa_key(index).private, input)
                .as_bytes()
                .into_owned()
        }
        Key::P256 => {
            assert_eq!(alg, "ES256");
            Es256.sign(p256_key(), input).as_bytes().into_owned()
        }
        Key::Ed25519 => {
            assert_eq!(alg, "EdDSA");
            Ed25519
                .sign(&ed25519_key().0, input)
                .as_bytes()
                .into_owned()
        }
    }
}

/// A compact JWS of `header` and `claims`, signed with `key` under `header.alg`.
pub fn mint_with_header(header: &Value, claims: &Value, key: Key) -> String {
    let alg = header["alg"].as_str().expect("header.alg").to_owned();
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let signature = sign(&alg, key, input.as_bytes());
    format!("{input}.{}", b64(&signature))
}

/// A compact JWS of `claims` with header `{"alg": alg, "kid": kid}` (no `kid` when `None`).
pub fn mint(alg: &str, kid: Option<&str>, claims: &Value, key: Key) -> String {
    let mut header = json!({ "alg": alg, "typ": "JWT" });
    if let Some(kid) = kid {
        header["kid"] = json!(kid);
    }
    mint_with_header(&header, claims, key)
}

/// An RS256 token of `claims` signed with RSA key 0, kid `rsa-0`.
pub fn mint_rs256(claims: &Value) -> String {
    mint("RS256", Some("rsa-0"), claims, Key::Rsa(0))
}

/// A token with an arbitrary header and raw signature bytes (for `none`, `HS256`, ...).
pub fn unsigned_token(header: &Value, claims: &Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes()),
        b64(signature)
    )
}

/// The public JWK of `key`, with `kid` (if given), `use: "sig"`, and no `alg`.
pub fn public_jwk(key: Key, kid: Option<&str>) -> Value {
    let jwk = match key {
        Key::Rsa(index) => serde_json::to_value(JsonWebKey::from(&rsa_key(index).public)),
        Key::P256 => serde_json::to_value(JsonWebKey::from(p256_key().verifying_key())),
        Key::Ed25519 => serde_json::to_value(JsonWebKey::from(&ed25519_key().1)),
    };
    let mut jwk = jwk.unwrap();
    jwk["use"] = json!("sig");
    if let Some(kid) = kid {
        jwk["kid"] = json!(kid);
    }
    jwk
}

/// The private JWK of an RSA key (members `d`, `p`, `q`, ...), with `kid`.
pub fn private_rsa_jwk(index: usize, kid: &str) -> Value {
    let mut jwk = serde_json::to_value(JsonWebKey::from(&rsa_key(index).private)).unwrap();
    jwk["kid"] = json!(kid);
    jwk
}

/// A JWK Set document of `keys`.
pub fn jwk_set(keys: &[Value]) -> String {
    json!({ "keys": keys }).to_string()
}

/// Valid ID token claims for [`ISSUER`], [`CLIENT_ID`], [`NONCE`] at [`NOW`].
pub fn claims() -> Value {
    json!({
        "iss": ISSUER,
        "sub": "248289761001",
        "aud": CLIENT_ID,
        "exp": NOW + 600,
        "iat": NOW - 10,
        "nonce": NONCE,
        "auth_time": NOW - 30,
        "name": "Ana Example",
        "email": "ana@example.com"
    })
}

/// `claims()` with `changes` merged in; a `null` in `changes` removes the claim.
pub fn claims_with(changes: Value) -> Value {
    let mut claims = claims();
    for (name, value) in changes.as_object().unwrap() {
        if value.is_null() {
            claims.as_object_mut().unwrap().remove(name);
        } else {
            claims[name] = value.clone();
        }
    }
    claims
}

/// A `serde_json` value (how the tests write JSON) as the crate's [`Json`], through its text.
pub fn to_json(value: &Value) -> Json {
    Json::parse(&value.to_string()).expect("serde_json writes JSON")
}

/// A `serde_json` object as the crate's [`Object`].
pub fn to_object(value: &Value) -> Object {
    Json::parse_object(&value.to_string()).expect("a JSON object")
}

/// Flips one bit of a token's signature (the last byte of it).
pub fn flip_signature_bit(token: &str) -> String {
    let (input, signature) = token.rsplit_once('.').unwrap();
    let mut bytes = Base64UrlUnpadded::decode_vec(signature).unwrap();
    *bytes.last_mut().unwrap() ^= 0x01;
    format!("{input}.{}", b64(&bytes))
}

/// The metadata of a minimal code-flow OP at `issuer`: the required members, no optional ones.
/// Tests change what they need with struct update syntax.
pub fn provider_metadata(issuer: &str) -> ProviderMetadata {
    ProviderMetadata {
        issuer: issuer.into(),
        authorization_endpoint: format!("{issuer}/authorize"),
        token_endpoint: format!("{issuer}/token"),
        jwks_uri: format!("{issuer}/jwks"),
        userinfo_endpoint: None,
        end_session_endpoint: None,
        response_types_supported: vec!["code".into()],
        response_modes_supported: None,
        id_token_signing_alg_values_supported: vec!["RS256".into()],
        code_challenge_methods_supported: None,
        authorization_response_iss_parameter_supported: false,
        scopes_supported: None,
        grant_types_supported: None,
    }
}

/// The checks a token minted from [`claims`] passes: our issuer, client id and nonce, at [`NOW`].
pub fn checks() -> IdTokenChecks<'static> {
    IdTokenChecks {
        issuer: ISSUER,
        client_id: CLIENT_ID,
        nonce: Some(NONCE),
        max_age: None,
        acr_values: &[],
        access_token: None,
        access_token_digest: None,
        now: NOW,
        clock_skew: 60,
    }
}
