//! OpenID Connect Discovery 1.0 §3 (metadata) and §4.3 (issuer validation).

use oidc_rp_wasm::core::authorize::ResponseMode;
use oidc_rp_wasm::core::metadata::ProviderMetadata;
use oidc_rp_wasm::error::{Error, ResponseError};
use serde_json::{json, Value};

const ISSUER: &str = "https://op.example.com";

fn full_doc() -> Value {
    json!({
        "issuer": ISSUER,
        "authorization_endpoint": "https://op.example.com/authorize",
        "token_endpoint": "https://op.example.com/token",
        "jwks_uri": "https://op.example.com/jwks.json",
        "userinfo_endpoint": "https://op.example.com/userinfo",
        "end_session_endpoint": "https://op.example.com/logout",
        "response_types_supported": ["code", "id_token"],
        "response_modes_supported": ["query", "fragment", "form_post", "web_message"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": true,
        "scopes_supported": ["openid", "profile", "offline_access"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "claims_supported": ["sub", "name"]
    })
}

fn minimal_doc() -> Value {
    json!({
        "issuer": ISSUER,
        "authorization_endpoint": "https://op.example.com/authorize",
        "token_endpoint": "https://op.example.com/token",
        "jwks_uri": "https://op.example.com/jwks.json",
        "response_types_supported": ["code"],
        "id_token_signing_alg_values_supported": ["RS256"]
    })
}

fn parse(doc: &Value) -> Result<ProviderMetadata, Error> {
    ProviderMetadata::parse(&doc.to_string(), ISSUER)
}

fn with(mut doc: Value, name: &str, value: Value) -> Value {
    doc.as_object_mut().unwrap().insert(name.into(), value);
    doc
}

fn without(mut doc: Value, name: &str) -> Value {
    doc.as_object_mut().unwrap().remove(name);
    doc
}

#[test]
fn parses_every_member_we_use() {
    let m = parse(&full_doc()).unwrap();
    assert_eq!(m.issuer, ISSUER);
    assert_eq!(m.authorization_endpoint, "https://op.example.com/authorize");
    assert_eq!(m.token_endpoint, "https://op.example.com/token");
    assert_eq!(m.jwks_uri, "https://op.example.com/jwks.json");
    assert_eq!(
        m.userinfo_endpoint.as_deref(),
        Some("https://op.example.com/userinfo")
    );
    assert_eq!(
        m.end_session_endpoint.as_deref(),
        Some("https://op.example.com/logout")
    );
    assert_eq!(m.response_types_supported, ["code", "id_token"]);
    assert_eq!(
        m.response_modes_supported.as_deref(),
        Some(&["query", "fragment", "form_post", "web_message"].map(String::from)[..])
    );
    assert_eq!(m.id_token_signing_alg_values_supported, ["RS256", "ES256"]);
    assert_eq!(
        m.code_challenge_methods_supported.as_deref(),
        Some(&["S256".to_owned()][..])
    );
    assert!(m.authorization_response_iss_parameter_supported);
    assert_eq!(m.scopes_supported.as_ref().map(Vec::len), Some(3));
    assert_eq!(m.grant_types_supported.as_ref().map(Vec::len), Some(2));
}

#[test]
fn optional_members_absent_or_null() {
    let m = parse(&minimal_doc()).unwrap();
    assert_eq!(m.userinfo_endpoint, None);
    assert_eq!(m.end_session_endpoint, None);
    assert_eq!(m.response_modes_supported, None);
    assert_eq!(m.code_challenge_methods_supported, None);
    assert!(!m.authorization_response_iss_parameter_supported);
    assert_eq!(m.scopes_supported, None);
    assert_eq!(m.grant_types_supported, None);

    let doc = with(minimal_doc(), "end_session_endpoint", Value::Null);
    assert_eq!(parse(&doc).unwrap().end_session_endpoint, None);
    let doc = with(
        minimal_doc(),
        "authorization_response_iss_parameter_supported",
        Value::Null,
    );
    assert!(
        !parse(&doc)
            .unwrap()
            .authorization_response_iss_parameter_supported
    );
}

#[test]
fn subject_types_supported_may_be_absent() {
    let doc = without(full_doc(), "subject_types_supported");
    assert!(parse(&doc).is_ok());
}

#[test]
fn rp_discovery_issuer_not_matching_config() {
    // Exact match passes.
    assert_eq!(parse(&minimal_doc()).unwrap().issuer, ISSUER);

    // A trailing slash is a different issuer (§4.3: identical).
    let doc = with(minimal_doc(), "issuer", json!("https://op.example.com/"));
    let err = parse(&doc).unwrap_err();
    assert_eq!(err.code(), "issuer_mismatch");
    assert_eq!(err.reason(), Some("discovery"));
    assert_eq!(
        err,
        Error::IssuerMismatch {
            source: "discovery",
            expected: ISSUER.into(),
            found: Some("https://op.example.com/".into()),
        }
    );

    // The other way round: configured with the slash, document without.
    let err =
        ProviderMetadata::parse(&minimal_doc().to_string(), "https://op.example.com/").unwrap_err();
    assert_eq!(err.code(), "issuer_mismatch");

    // Another host, and a case difference.
    for other in ["https://evil.example.com", "https://OP.example.com"] {
        let doc = with(minimal_doc(), "issuer", json!(other));
        assert!(matches!(
            parse(&doc),
            Err(Error::IssuerMismatch {
                source: "discovery",
                ..
            })
        ));
    }
}

#[test]
fn not_json_is_a_typed_error() {
    for body in [
        "<html>oops</html>",
        "",
        "{\"issuer\":",
        "[1,2]",
        "\"a string\"",
        "null",
    ] {
        let err = ProviderMetadata::parse(body, ISSUER).unwrap_err();
        assert!(
            matches!(err, Error::InvalidResponse(ResponseError::NotJson(_))),
            "{body:?}: {err:?}"
        );
        assert_eq!(err.code(), "invalid_response");
        assert_eq!(err.reason(), Some("not_json"));
    }
}

#[test]
fn missing_required_member_is_named() {
    for name in [
        "issuer",
        "authorization_endpoint",
        "token_endpoint",
        "jwks_uri",
        "response_types_supported",
        "id_token_signing_alg_values_supported",
    ] {
        let err = parse(&without(minimal_doc(), name)).unwrap_err();
        assert_eq!(
            err,
            Error::InvalidResponse(ResponseError::MissingField(name)),
            "{name}"
        );
        assert_eq!(err.reason(), Some("missing_field"));
    }
}

#[test]
fn required_member_of_wrong_type_is_missing() {
    let cases = [
        ("issuer", json!(42)),
        ("token_endpoint", json!(["https://op.example.com/token"])),
        ("response_types_supported", json!("code")),
        ("id_token_signing_alg_values_supported", json!(["RS256", 7])),
    ];
    for (name, value) in cases {
        let err = parse(&with(minimal_doc(), name, value)).unwrap_err();
        assert!(matches!(err, Error::InvalidResponse(ResponseError::MissingField(n)) if n == name));
    }
}

#[test]
fn optional_member_of_wrong_type_is_invalid() {
    let cases = [
        ("userinfo_endpoint", json!(1)),
        ("response_modes_supported", json!("query")),
        ("code_challenge_methods_supported", json!([true])),
        (
            "authorization_response_iss_parameter_supported",
            json!("true"),
        ),
    ];
    for (name, value) in cases {
        let err = parse(&with(minimal_doc(), name, value)).unwrap_err();
        assert!(
            matches!(err, Error::InvalidResponse(ResponseError::InvalidField(n, _)) if n == name),
            "{name}: {err:?}"
        );
    }
}

#[test]
fn endpoints_must_be_absolute_http_urls_without_fragment() {
    let ok = [
        "https://op.example.com/authorize",
        "http://localhost:8080/authorize",
        "HTTPS://op.example.com/authorize?tenant=a",
    ];
    for url in ok {
        let m = parse(&with(minimal_doc(), "authorization_endpoint", json!(url))).unwrap();
        assert_eq!(m.authorization_endpoint, url);
    }
    let bad = [
        "/authorize",
        "op.example.com/authorize",
        "ftp://op.example.com/authorize",
        "javascript:alert(1)",
        "https://",
        "https:///authorize",
        "https://op.example.com/authorize#frag",
        "https://op.example.com/a b",
    ];
    for url in bad {
        for name in [
            "authorization_endpoint",
            "token_endpoint",
            "jwks_uri",
            "end_session_endpoint",
        ] {
            let err = parse(&with(minimal_doc(), name, json!(url))).unwrap_err();
            assert!(
                matches!(err, Error::InvalidResponse(ResponseError::InvalidField(n, _)) if n == name),
                "{name}={url}: {err:?}"
            );
        }
    }
}

#[test]
fn discovery_url_with_and_without_trailing_slash() {
    let expected = "https://op.example.com/.well-known/openid-configuration";
    assert_eq!(
        ProviderMetadata::discovery_url("https://op.example.com"),
        expected
    );
    assert_eq!(
        ProviderMetadata::discovery_url("https://op.example.com/"),
        expected
    );
    assert_eq!(
        ProviderMetadata::discovery_url("https://op.example.com/realms/a/"),
        "https://op.example.com/realms/a/.well-known/openid-configuration"
    );
    assert_eq!(
        ProviderMetadata::discovery_url("https://op.example.com/realms/a"),
        "https://op.example.com/realms/a/.well-known/openid-configuration"
    );
}

#[test]
fn supports_response_mode_defaults_to_query_and_fragment() {
    let m = parse(&minimal_doc()).unwrap();
    assert!(m.supports_response_mode(ResponseMode::Query));
    assert!(m.supports_response_mode(ResponseMode::Fragment));
    assert!(!m.supports_response_mode(ResponseMode::FormPost));
    assert!(!m.supports_response_mode(ResponseMode::WebMessage));

    let m = parse(&with(
        minimal_doc(),
        "response_modes_supported",
        json!(["query", "form_post"]),
    ))
    .unwrap();
    assert!(m.supports_response_mode(ResponseMode::FormPost));
    assert!(!m.supports_response_mode(ResponseMode::Fragment));
}

/// The discovery document that says exactly what `m` holds (absent optional members omitted).
fn document_of(m: &ProviderMetadata) -> Value {
    let mut doc = json!({
        "issuer": m.issuer,
        "authorization_endpoint": m.authorization_endpoint,
        "token_endpoint": m.token_endpoint,
        "jwks_uri": m.jwks_uri,
        "response_types_supported": m.response_types_supported,
        "id_token_signing_alg_values_supported": m.id_token_signing_alg_values_supported,
        "authorization_response_iss_parameter_supported":
            m.authorization_response_iss_parameter_supported,
    });
    let optional = [
        (
            "userinfo_endpoint",
            m.userinfo_endpoint.as_ref().map(|v| json!(v)),
        ),
        (
            "end_session_endpoint",
            m.end_session_endpoint.as_ref().map(|v| json!(v)),
        ),
        (
            "response_modes_supported",
            m.response_modes_supported.as_ref().map(|v| json!(v)),
        ),
        (
            "code_challenge_methods_supported",
            m.code_challenge_methods_supported
                .as_ref()
                .map(|v| json!(v)),
        ),
        (
            "scopes_supported",
            m.scopes_supported.as_ref().map(|v| json!(v)),
        ),
        (
            "grant_types_supported",
            m.grant_types_supported.as_ref().map(|v| json!(v)),
        ),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            doc = with(doc, name, value);
        }
    }
    doc
}

/// Metadata is not persisted (no serde any more): the discovery document is its only text form,
/// and parsing loses nothing of what it keeps.
#[test]
fn metadata_round_trips_through_its_discovery_document() {
    let m = parse(&full_doc()).unwrap();
    assert_eq!(parse(&document_of(&m)).unwrap(), m);
    // Absent optional members default, and a document saying so parses to the same defaults.
    let minimal = parse(&minimal_doc()).unwrap();
    assert_eq!(parse(&document_of(&minimal)).unwrap(), minimal);
    assert_ne!(minimal, m);
}
