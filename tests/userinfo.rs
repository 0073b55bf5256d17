//! OIDC Core §5.3.2 / §5.3.4: the UserInfo response and its `sub` check.

use oidc_rp_wasm::core::json::Json;
use oidc_rp_wasm::core::userinfo::parse_userinfo;
use oidc_rp_wasm::error::{Error, ResponseError};
use serde_json::json;

#[test]
fn parses_and_keeps_every_claim() {
    let body = json!({
        "sub": "248289761001",
        "name": "Jane Doe",
        "email_verified": true,
        "address": {"country": "BR"},
        "groups": ["a", "b"]
    })
    .to_string();
    let claims = parse_userinfo(&body, "248289761001").unwrap();
    assert_eq!(claims.str("sub"), Some("248289761001"));
    assert_eq!(claims.str("name"), Some("Jane Doe"));
    assert_eq!(claims.get("email_verified"), Some(&Json::Bool(true)));
    let address = claims.get("address").and_then(Json::as_object).unwrap();
    assert_eq!(address.str("country"), Some("BR"));
    let groups = [Json::str("a"), Json::str("b")];
    assert_eq!(
        claims.get("groups").and_then(Json::as_array),
        Some(&groups[..])
    );
    assert_eq!(claims.len(), 5);
}

#[test]
fn rp_userinfo_bad_sub_claim() {
    let body = r#"{"sub":"someone-else","name":"Mallory"}"#;
    let err = parse_userinfo(body, "248289761001").unwrap_err();
    assert_eq!(err, Error::SubjectMismatch);
    assert_eq!(err.code(), "subject_mismatch");
    // Exact match only: case and whitespace count.
    assert_eq!(
        parse_userinfo(r#"{"sub":"ABC"}"#, "abc").unwrap_err(),
        Error::SubjectMismatch
    );
    assert_eq!(
        parse_userinfo(r#"{"sub":"abc "}"#, "abc").unwrap_err(),
        Error::SubjectMismatch
    );
    assert!(parse_userinfo(r#"{"sub":"abc"}"#, "abc").is_ok());
}

#[test]
fn missing_or_non_string_sub() {
    for body in [r#"{"name":"x"}"#, r#"{"sub":null}"#, r#"{"sub":42}"#, "{}"] {
        let err = parse_userinfo(body, "42").unwrap_err();
        assert_eq!(
            err,
            Error::InvalidResponse(ResponseError::MissingField("sub")),
            "{body}"
        );
        assert_eq!(err.reason(), Some("missing_field"));
    }
}

#[test]
fn not_json_or_not_an_object() {
    // A signed UserInfo response (application/jwt) is not handled and reported as not JSON.
    for body in [
        "eyJhbGciOiJSUzI1NiJ9.e30.c2ln",
        "",
        "[]",
        "\"sub\"",
        "{\"sub\":",
        "null",
    ] {
        let err = parse_userinfo(body, "a").unwrap_err();
        assert!(
            matches!(err, Error::InvalidResponse(ResponseError::NotJson(_))),
            "{body:?}: {err:?}"
        );
        assert_eq!(err.code(), "invalid_response");
    }
}
