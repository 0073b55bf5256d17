//! RFC 7636: PKCE with S256, and the random `state`/`nonce` values.

use oidc_rp_wasm::core::json::Json;
use oidc_rp_wasm::core::pkce::{random_token, CodeVerifier, CHALLENGE_METHOD};
use oidc_rp_wasm::core::stored::{transaction_from_text, transaction_to_text};
use oidc_rp_wasm::error::Error;
use serde_json::{json, Value};
use std::collections::HashSet;

fn unreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~".contains(c)
}

#[test]
fn rfc7636_appendix_b_vector() {
    let verifier = CodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
    assert_eq!(
        verifier.challenge(),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
    assert_eq!(
        verifier.expose(),
        "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    );
    assert_eq!(CHALLENGE_METHOD, "S256");
}

#[test]
fn challenge_differs_for_another_verifier() {
    let verifier = CodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXl").unwrap();
    assert_ne!(
        verifier.challenge(),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
    assert_eq!(verifier.challenge().len(), 43);
}

#[test]
fn generated_verifiers_are_43_unreserved_chars_and_distinct() {
    let mut seen = HashSet::new();
    for _ in 0..64 {
        let v = CodeVerifier::generate().unwrap();
        assert_eq!(v.expose().len(), 43);
        assert!(v.expose().chars().all(unreserved), "{}", v.expose());
        // A generated verifier passes the same checks as a given one.
        assert!(CodeVerifier::new(v.expose()).is_ok());
        assert!(seen.insert(v.expose().to_owned()));
    }
}

#[test]
fn random_tokens_are_43_unreserved_chars_and_distinct() {
    let a = random_token().unwrap();
    let b = random_token().unwrap();
    assert_eq!(a.len(), 43);
    assert!(a.chars().all(unreserved));
    assert_ne!(a, b);
}

#[test]
fn length_bounds() {
    assert!(CodeVerifier::new("a".repeat(43)).is_ok());
    assert!(CodeVerifier::new("a".repeat(128)).is_ok());
    for len in [0, 1, 42, 129, 500] {
        let err = CodeVerifier::new("a".repeat(len)).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidConfig { field, .. } if field == "code_verifier"),
            "{len}"
        );
        assert_eq!(err.code(), "invalid_config");
    }
}

#[test]
fn alphabet_is_unreserved_only() {
    assert!(CodeVerifier::new(format!("{}-._~AZaz09", "x".repeat(40))).is_ok());
    for bad in ["+", "/", "=", " ", "%", "é", "\n", "例"] {
        let value = format!("{}{bad}", "x".repeat(43));
        let err = CodeVerifier::new(value).unwrap_err();
        assert_eq!(err.code(), "invalid_config", "{bad:?}");
    }
}

/// A stored transaction (the verifier's only persisted form) holding `code_verifier`.
fn stored_transaction(code_verifier: Value) -> String {
    json!({
        "state": "s", "code_verifier": code_verifier, "redirect_uri": "https://app/cb",
        "response_mode": "query", "scope": "openid", "acr_values": [], "created_at": 0
    })
    .to_string()
}

#[test]
fn debug_is_redacted_and_the_stored_form_is_the_plain_string() {
    let raw = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let v = CodeVerifier::new(raw).unwrap();
    assert!(!format!("{v:?}").contains(raw));
    let tx = transaction_from_text(&stored_transaction(json!(raw))).unwrap();
    assert_eq!(tx.code_verifier.expose(), v.expose());
    let text = transaction_to_text(&tx);
    assert!(
        text.contains(&format!("\"code_verifier\":\"{raw}\"")),
        "{text}"
    );
    let stored = Json::parse_object(&text).unwrap();
    assert_eq!(stored.str("code_verifier"), Some(raw));
    let back = transaction_from_text(&text).unwrap();
    assert_eq!(back.code_verifier.expose(), v.expose());
    // Reading checks the value again.
    assert!(transaction_from_text(&stored_transaction(json!("short"))).is_none());
    assert!(transaction_from_text(&stored_transaction(json!(42))).is_none());
}

/// The core's compact SHA-256 agrees with the `sha2` crate on every length around the block and
/// padding boundaries (55, 56, 63, 64, 119, 120 ...), and on the FIPS 180-2 examples.
#[test]
fn the_compact_sha256_agrees_with_sha2() {
    use oidc_rp_wasm::core::sha256::sha256;
    use sha2::{Digest, Sha256};
    let data: Vec<u8> = (0..1000u32)
        .map(|i| (i.wrapping_mul(31) % 251) as u8)
        .collect();
    for len in (0..300).chain([511, 512, 513, 999, 1000]) {
        let input = &data[..len];
        assert_eq!(
            sha256(input).to_vec(),
            Sha256::digest(input).to_vec(),
            "length {len}"
        );
    }
    assert_eq!(
        hex(&sha256(b"abc")),
        hex(&[
            0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae,
            0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61,
            0xf2, 0x00, 0x15, 0xad
        ])
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
