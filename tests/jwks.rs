//! JWK Set parsing (RFC 7517 §4, §5) and key selection by `kid`, `kty`, `crv`, `alg` and `use`,
//! including key rotation (OIDC Core §10.1.1). Tests named `rp_*` follow the OpenID RP
//! conformance test ids.

mod common;

use common::*;
use oidc_rp_wasm::core::json::{Json, Object};
use oidc_rp_wasm::core::jwks::{Jwk, JwkSet, KeySelection};
use oidc_rp_wasm::core::jws::JwsAlg;
use oidc_rp_wasm::error::{Error, ResponseError, SignatureError};
use serde_json::json;

fn kids(selection: KeySelection<'_>) -> Vec<Option<String>> {
    match selection {
        KeySelection::Candidates(keys) => keys.into_iter().map(|k| k.kid.clone()).collect(),
        KeySelection::UnknownKid => panic!("expected candidates"),
    }
}

#[test]
fn parse_keeps_rsa_ec_okp_and_skips_the_rest() {
    let doc = jwk_set(&[
        public_jwk(Key::Rsa(0), Some("rsa")),
        json!({"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"}),
        public_jwk(Key::P256, Some("ec")),
        json!({"kty": "FOO", "kid": "unknown"}),
        json!("not an object"),
        json!(42),
        json!({"kid": "no-kty"}),
        public_jwk(Key::Ed25519, Some("ed")),
    ]);
    let set = JwkSet::parse(&doc).unwrap();
    let kept: Vec<_> = set
        .keys
        .iter()
        .map(|k| (k.kty.as_str(), k.kid.as_deref()))
        .collect();
    assert_eq!(
        kept,
        vec![
            ("RSA", Some("rsa")),
            ("EC", Some("ec")),
            ("OKP", Some("ed"))
        ]
    );
    assert_eq!(set.keys[1].crv.as_deref(), Some("P-256"));
    assert_eq!(set.keys[0].use_.as_deref(), Some("sig"));
}

#[test]
fn parse_skips_encryption_keys() {
    let mut enc = public_jwk(Key::Rsa(1), Some("enc-key"));
    enc["use"] = json!("enc");
    let set = JwkSet::parse(&jwk_set(&[enc, public_jwk(Key::Rsa(0), Some("sig-key"))])).unwrap();
    assert_eq!(set.keys.len(), 1);
    assert_eq!(set.keys[0].kid.as_deref(), Some("sig-key"));
}

#[test]
fn parse_skips_keys_whose_key_ops_exclude_verify() {
    let mut sign_only = public_jwk(Key::Rsa(1), Some("sign-only"));
    sign_only["key_ops"] = json!(["sign"]);
    let mut verify = public_jwk(Key::Rsa(0), Some("verify"));
    verify["key_ops"] = json!(["verify"]);
    let set = JwkSet::parse(&jwk_set(&[sign_only, verify])).unwrap();
    assert_eq!(set.keys.len(), 1);
    assert_eq!(set.keys[0].kid.as_deref(), Some("verify"));
}

#[test]
fn parse_strips_private_members() {
    let mut private = private_rsa_jwk(0, "private");
    for member in ["dp", "dq", "qi", "k"] {
        private[member] = json!("AQAB");
    }
    private["oth"] = json!([{"r": "AQAB", "d": "AQAB", "t": "AQAB"}]);
    assert!(private.get("d").is_some() && private.get("p").is_some());
    let set = JwkSet::parse(&jwk_set(&[private])).unwrap();
    let json = &set.keys[0].json;
    for member in ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] {
        assert!(!json.contains_key(member), "{member} kept");
    }
    assert!(json.contains_key("n") && json.contains_key("e"));
    assert_eq!(json.str("kid"), Some("private"));
    let written = Json::Object(json.clone()).to_text();
    assert!(!written.contains("\"d\""), "{written}");
}

#[test]
fn parse_strips_the_private_ec_key_of_the_cookbook() {
    let key: serde_json::Value = serde_json::from_str(include_str!(
        "vectors/jose-cookbook/jwk_3_2.ec_private_key.json"
    ))
    .unwrap();
    assert!(key.get("d").is_some());
    let set = JwkSet::parse(&jwk_set(&[key])).unwrap();
    assert!(!set.keys[0].json.contains_key("d"));
    assert_eq!(set.keys[0].crv.as_deref(), Some("P-521"));
    assert!(set.keys[0].fits(JwsAlg::ES512));
}

#[test]
fn parse_errors() {
    let err = JwkSet::parse("<html>").unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidResponse(ResponseError::NotJson(_))
    ));
    let err = JwkSet::parse("[1]").unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidResponse(ResponseError::NotJson(_))
    ));
    for doc in [r#"{}"#, r#"{"keys": {}}"#, r#"{"keys": "x"}"#] {
        let err = JwkSet::parse(doc).unwrap_err();
        assert_eq!(
            err,
            Error::InvalidResponse(ResponseError::MissingField("keys")),
            "{doc}"
        );
        assert_eq!(err.code(), "invalid_response");
    }
    // An empty set is a valid document.
    assert!(JwkSet::parse(r#"{"keys": []}"#).unwrap().keys.is_empty());
}

#[test]
fn key_members_of_wrong_types_skip_the_key() {
    let mut bad_kid = public_jwk(Key::Rsa(0), None);
    bad_kid["kid"] = json!(5);
    let mut bad_alg = public_jwk(Key::Rsa(0), None);
    bad_alg["alg"] = json!(["RS256"]);
    let set = JwkSet::parse(&jwk_set(&[
        bad_kid,
        bad_alg,
        public_jwk(Key::Rsa(1), Some("ok")),
    ]))
    .unwrap();
    assert_eq!(set.keys.len(), 1);
    assert_eq!(set.keys[0].kid.as_deref(), Some("ok"));
}

#[test]
fn select_by_kid() {
    let set = JwkSet::parse(&jwk_set(&[
        public_jwk(Key::Rsa(0), Some("a")),
        public_jwk(Key::Rsa(1), Some("b")),
    ]))
    .unwrap();
    assert_eq!(
        kids(set.select(JwsAlg::RS256, Some("b")).unwrap()),
        vec![Some("b".into())]
    );
    assert_eq!(
        kids(set.select(JwsAlg::PS512, Some("a")).unwrap()),
        vec![Some("a".into())]
    );
}

#[test]
fn select_unknown_kid_asks_for_a_refetch() {
    let set = JwkSet::parse(&jwk_set(&[public_jwk(Key::Rsa(0), Some("a"))])).unwrap();
    let selection = set.select(JwsAlg::RS256, Some("zzz")).unwrap();
    assert_eq!(selection, KeySelection::UnknownKid);
    // After the refetch, a second miss is "no matching key".
    let err = selection.into_candidates_or_no_key().unwrap_err();
    assert_eq!(err, Error::Signature(SignatureError::NoMatchingKey));
    assert_eq!(err.code(), "invalid_signature");
    let found = set
        .select(JwsAlg::RS256, Some("a"))
        .unwrap()
        .into_candidates_or_no_key();
    assert_eq!(found.unwrap().len(), 1);
}

#[test]
fn select_kid_of_a_key_that_does_not_fit_is_unusable() {
    let set = JwkSet::parse(&jwk_set(&[public_jwk(Key::P256, Some("ec"))])).unwrap();
    let err = set.select(JwsAlg::RS256, Some("ec")).unwrap_err();
    assert!(
        matches!(err, Error::Signature(SignatureError::UnusableKey(_))),
        "{err:?}"
    );
    assert_eq!(err.reason(), Some("unusable_key"));
    assert!(set.select(JwsAlg::ES256, Some("ec")).is_ok());
}

#[test]
fn select_without_kid_and_no_fitting_key() {
    let set = JwkSet::parse(&jwk_set(&[public_jwk(Key::P256, Some("ec"))])).unwrap();
    let err = set.select(JwsAlg::EdDSA, None).unwrap_err();
    assert_eq!(err, Error::Signature(SignatureError::NoMatchingKey));
    assert!(set.select(JwsAlg::ES256, None).is_ok());
}

#[test]
fn fitness_follows_kty_crv_and_alg() {
    let rsa = Jwk::from_json(to_object(&public_jwk(Key::Rsa(0), None))).unwrap();
    let ec = Jwk::from_json(to_object(&public_jwk(Key::P256, None))).unwrap();
    let ed = Jwk::from_json(to_object(&public_jwk(Key::Ed25519, None))).unwrap();
    for alg in [
        JwsAlg::RS256,
        JwsAlg::RS384,
        JwsAlg::RS512,
        JwsAlg::PS256,
        JwsAlg::PS384,
        JwsAlg::PS512,
    ] {
        assert!(rsa.fits(alg) && !ec.fits(alg) && !ed.fits(alg), "{alg}");
    }
    assert!(ec.fits(JwsAlg::ES256) && !ec.fits(JwsAlg::ES384) && !ec.fits(JwsAlg::ES512));
    assert!(ed.fits(JwsAlg::EdDSA) && !ed.fits(JwsAlg::ES256));
    // A key's own `alg` restricts it.
    let mut rs512_only = public_jwk(Key::Rsa(0), None);
    rs512_only["alg"] = json!("RS512");
    let rs512_only = Jwk::from_json(to_object(&rs512_only)).unwrap();
    assert!(rs512_only.fits(JwsAlg::RS512) && !rs512_only.fits(JwsAlg::RS256));
    // An Ed448 key does not fit EdDSA here.
    let mut ed448 = public_jwk(Key::Ed25519, None);
    ed448["crv"] = json!("Ed448");
    let ed448 = Jwk::from_json(to_object(&ed448)).unwrap();
    assert!(!ed448.fits(JwsAlg::EdDSA));
    // A weak RSA key (1024 bits) does not fit.
    let mut weak = public_jwk(Key::Rsa(0), None);
    weak["n"] = json!(b64(&[0xff; 128]));
    let weak = Jwk::from_json(to_object(&weak)).unwrap();
    assert!(!weak.fits(JwsAlg::RS256));
}

#[test]
fn select_without_kid_skips_keys_for_other_algs() {
    let mut ps = public_jwk(Key::Rsa(0), Some("ps"));
    ps["alg"] = json!("PS256");
    let mut rs = public_jwk(Key::Rsa(1), Some("rs"));
    rs["alg"] = json!("RS256");
    let set = JwkSet::parse(&jwk_set(&[ps, rs])).unwrap();
    assert_eq!(
        kids(set.select(JwsAlg::RS256, None).unwrap()),
        vec![Some("rs".into())]
    );
    assert_eq!(
        kids(set.select(JwsAlg::PS256, None).unwrap()),
        vec![Some("ps".into())]
    );
}

/// The JWK Set document of the keys `set` kept, as the shell would see it re-served.
fn document_of(set: &JwkSet) -> String {
    let keys = set
        .keys
        .iter()
        .map(|k| Json::Object(k.json.clone()))
        .collect();
    let mut document = Object::new();
    document.insert("keys", Json::Array(keys));
    Json::Object(document).to_text()
}

/// A JWK Set has no stored form (no serde any more; the shell caches it in memory): a kept key
/// still holds every public member, so its document parses back to the same set.
#[test]
fn jwk_set_round_trips_through_its_document() {
    let set = JwkSet::parse(&jwk_set(&[
        public_jwk(Key::Rsa(0), Some("a")),
        public_jwk(Key::Ed25519, None),
    ]))
    .unwrap();
    let written = document_of(&set);
    assert!(written.contains("\"use\":\"sig\""), "{written}");
    let back = JwkSet::parse(&written).unwrap();
    assert_eq!(back, set);
}

#[test]
fn rp_id_token_kid_absent_single_jwks() {
    let token = mint("RS256", None, &claims(), Key::Rsa(0));
    let set = JwkSet::parse(&jwk_set(&[public_jwk(Key::Rsa(0), Some("only"))])).unwrap();
    assert_eq!(
        kids(set.select(JwsAlg::RS256, None).unwrap()),
        vec![Some("only".into())]
    );
    #[cfg(feature = "rust-crypto")]
    {
        use oidc_rp_wasm::core::id_token::verify_and_validate_rust_crypto;
        verify_and_validate_rust_crypto(&token, &set, &[JwsAlg::RS256], &checks()).unwrap();
        let other = JwkSet::parse(&jwk_set(&[public_jwk(Key::Rsa(1), None)])).unwrap();
        let err = verify_and_validate_rust_crypto(&token, &other, &[JwsAlg::RS256], &checks());
        assert_eq!(err.unwrap_err(), Error::Signature(SignatureError::Mismatch));
    }
    #[cfg(not(feature = "rust-crypto"))]
    let _ = token;
}

#[test]
fn rp_id_token_kid_absent_multiple_jwks() {
    // Two RSA keys, neither with a kid; the second one signed.
    let token = mint("RS256", None, &claims(), Key::Rsa(1));
    let set = JwkSet::parse(&jwk_set(&[
        public_jwk(Key::Rsa(0), None),
        public_jwk(Key::Rsa(1), None),
    ]))
    .unwrap();
    assert_eq!(kids(set.select(JwsAlg::RS256, None).unwrap()).len(), 2);
    #[cfg(feature = "rust-crypto")]
    {
        use oidc_rp_wasm::core::id_token::verify_and_validate_rust_crypto;
        let verified =
            verify_and_validate_rust_crypto(&token, &set, &[JwsAlg::RS256], &checks()).unwrap();
        assert_eq!(verified.claims.sub, "248289761001");
        // Neither key verifies a tampered token.
        let bad = flip_signature_bit(&token);
        let err = verify_and_validate_rust_crypto(&bad, &set, &[JwsAlg::RS256], &checks());
        assert_eq!(err.unwrap_err(), Error::Signature(SignatureError::Mismatch));
    }
    #[cfg(not(feature = "rust-crypto"))]
    let _ = token;
}

#[test]
fn rp_key_rotation_op_sign_key() {
    // The OP rotated to a new key: the token names a kid the cached set lacks.
    let old_set = JwkSet::parse(&jwk_set(&[public_jwk(Key::Rsa(0), Some("2023"))])).unwrap();
    let new_set = JwkSet::parse(&jwk_set(&[
        public_jwk(Key::Rsa(0), Some("2023")),
        public_jwk(Key::Rsa(1), Some("2024")),
    ]))
    .unwrap();
    let token = mint("RS256", Some("2024"), &claims(), Key::Rsa(1));
    assert_eq!(
        old_set.select(JwsAlg::RS256, Some("2024")).unwrap(),
        KeySelection::UnknownKid
    );
    assert_eq!(
        kids(new_set.select(JwsAlg::RS256, Some("2024")).unwrap()),
        vec![Some("2024".into())]
    );
    #[cfg(feature = "rust-crypto")]
    {
        use oidc_rp_wasm::core::id_token::verify_and_validate_rust_crypto;
        let err = verify_and_validate_rust_crypto(&token, &old_set, &[JwsAlg::RS256], &checks());
        assert_eq!(
            err.unwrap_err(),
            Error::Signature(SignatureError::NoMatchingKey)
        );
        verify_and_validate_rust_crypto(&token, &new_set, &[JwsAlg::RS256], &checks()).unwrap();
    }
    #[cfg(not(feature = "rust-crypto"))]
    let _ = token;
}
