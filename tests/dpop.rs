//! core::dpop (RFC 9449), core::par (RFC 9126) and core::revocation (RFC 7009) on their own:
//! thumbprints, proofs, nonce errors, the binding check; the push's answers; revocation bodies.

use oidc_rp_wasm::core::config::PushMode;
use oidc_rp_wasm::core::discovery_ext::Extensions;
use oidc_rp_wasm::core::dpop::{self, ProofClaims, PublicKey};
use oidc_rp_wasm::core::json::Json;
use oidc_rp_wasm::core::secret::AccessToken;
use oidc_rp_wasm::core::{base64url, par};
use sha2::{Digest, Sha256};

const X: &str = "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs";
const Y: &str = "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA";

fn key() -> PublicKey {
    let jwk = Json::parse(&format!(
        r#"{{"kty":"EC","crv":"P-256","x":"{X}","y":"{Y}","ext":true}}"#
    ))
    .unwrap();
    PublicKey::from_jwk(&jwk).unwrap()
}

fn part(text: &str) -> serde_json::Value {
    serde_json::from_slice(&base64url::decode(text).unwrap()).unwrap()
}

#[test]
fn the_thumbprint_hashes_the_required_members_in_order() {
    let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{X}","y":"{Y}"}}"#);
    let expected = base64url::encode(&Sha256::digest(canonical.as_bytes()));
    assert_eq!(dpop::thumbprint(X, Y), expected);
    assert_eq!(key().jkt, expected);
}

#[test]
fn a_key_that_is_not_a_p256_public_jwk_is_refused() {
    for jwk in [
        r#"{"kty":"RSA","n":"AQAB","e":"AQAB"}"#,
        r#"{"kty":"EC","crv":"P-384","x":"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs","y":"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA"}"#,
        r#"{"kty":"EC","crv":"P-256","x":"AAAA","y":"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA"}"#,
    ] {
        let e = PublicKey::from_jwk(&Json::parse(jwk).unwrap()).unwrap_err();
        assert_eq!(e.code(), "crypto_unavailable");
    }
}

#[test]
fn the_proof_has_the_header_and_claims_of_section_4_2() {
    let token = AccessToken::new("at-123".to_owned());
    let claims = ProofClaims {
        htm: "GET",
        url: "https://rs.example.com/api/things?x=1#frag",
        iat: 1_700_000_000,
        jti: dpop::jti(b"seed", 7),
        nonce: Some("n-1"),
        access_token: Some(&token),
    };
    let input = dpop::signing_input(&key(), &claims);
    let (header, body) = input.split_once('.').unwrap();
    let header = part(header);
    assert_eq!(header["typ"], "dpop+jwt");
    assert_eq!(header["alg"], "ES256");
    assert_eq!(
        header["jwk"],
        serde_json::json!({"crv":"P-256","kty":"EC","x":X,"y":Y})
    );
    let body = part(body);
    assert_eq!(body["htm"], "GET");
    assert_eq!(body["htu"], "https://rs.example.com/api/things");
    assert_eq!(body["iat"], 1_700_000_000);
    assert_eq!(body["nonce"], "n-1");
    assert_eq!(body["ath"], base64url::encode(&Sha256::digest(b"at-123")));
    assert_eq!(body["jti"].as_str().unwrap().len(), 24);
    assert_ne!(dpop::jti(b"seed", 7), dpop::jti(b"seed", 8));
    let proof = dpop::proof(&input, &[1u8; 64]).unwrap();
    assert_eq!(proof.split('.').count(), 3);
    assert!(
        dpop::proof(&input, &[1u8; 70]).is_err(),
        "a DER signature is refused"
    );
}

#[test]
fn nonce_errors_and_the_binding_check() {
    assert!(dpop::token_nonce_error(
        400,
        r#"{"error":"use_dpop_nonce"}"#
    ));
    assert!(!dpop::token_nonce_error(
        400,
        r#"{"error":"invalid_grant"}"#
    ));
    assert!(!dpop::token_nonce_error(
        401,
        r#"{"error":"use_dpop_nonce"}"#
    ));
    assert!(dpop::resource_nonce_error(
        401,
        Some(r#"DPoP error="use_dpop_nonce", error_description="fresh nonce""#)
    ));
    assert!(!dpop::resource_nonce_error(
        401,
        Some(r#"DPoP error="invalid_token""#)
    ));
    assert!(!dpop::resource_nonce_error(403, Some("use_dpop_nonce")));
}

#[test]
fn nonces_are_kept_per_origin_newest_first() {
    let mut nonces = dpop::Nonces::default();
    nonces.remember("https://op.example.com/token", "a");
    nonces.remember("https://rs.example.com/x", "b");
    nonces.remember("https://op.example.com/other", "c");
    assert_eq!(nonces.get("https://op.example.com:443/token"), Some("c"));
    assert_eq!(nonces.get("https://rs.example.com/y?z"), Some("b"));
    assert_eq!(nonces.get("https://elsewhere.example.com/"), None);
}

#[test]
fn the_push_answer_gives_the_request_uri_or_the_ops_error() {
    let uri = par::request_uri(201, r#"{"request_uri":"urn:x:1","expires_in":60}"#).unwrap();
    assert_eq!(uri, "urn:x:1");
    let e = par::request_uri(400, r#"{"error":"invalid_request_object"}"#).unwrap_err();
    assert_eq!(e.code(), "invalid_request_object");
    let e = par::request_uri(201, r#"{"expires_in":60}"#).unwrap_err();
    assert_eq!(e.code(), "invalid_response");
    let e = par::request_uri(500, "oops").unwrap_err();
    assert_eq!(e.code(), "invalid_response");
    assert_eq!(
        par::front_url("https://op.example.com/auth?x=1", "c 1", "urn:x:1"),
        "https://op.example.com/auth?x=1&client_id=c+1&request_uri=urn%3Ax%3A1"
    );
}

#[test]
fn where_requests_are_pushed() {
    let with = Extensions::read(
        r#"{"pushed_authorization_request_endpoint":"https://op.example.com/par","require_pushed_authorization_requests":true,"revocation_endpoint":"not a url"}"#,
    );
    assert!(with.require_par);
    assert_eq!(
        with.revocation_endpoint, None,
        "an endpoint that is no URL reads as absent"
    );
    let without = Extensions::default();
    assert_eq!(
        par::endpoint(PushMode::Auto, &with).unwrap(),
        Some("https://op.example.com/par")
    );
    assert_eq!(
        par::endpoint(PushMode::Always, &with).unwrap(),
        Some("https://op.example.com/par")
    );
    // An OP that requires pushing (RFC 9126 §5) refuses any other request.
    assert_eq!(
        par::endpoint(PushMode::Never, &with).unwrap_err().code(),
        "invalid_config"
    );
    let optional = Extensions {
        require_par: false,
        ..with.clone()
    };
    assert_eq!(par::endpoint(PushMode::Never, &optional).unwrap(), None);
    let required_without_endpoint = Extensions {
        par_endpoint: None,
        ..with.clone()
    };
    assert_eq!(
        par::endpoint(PushMode::Auto, &required_without_endpoint)
            .unwrap_err()
            .code(),
        "invalid_config"
    );
    assert_eq!(par::endpoint(PushMode::Auto, &without).unwrap(), None);
    assert_eq!(
        par::endpoint(PushMode::Always, &without)
            .unwrap_err()
            .code(),
        "invalid_config"
    );
}
