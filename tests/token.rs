//! Token endpoint request bodies (RFC 6749 §4.1.3, §6; RFC 7636 §4.5) and response parsing
//! (RFC 6749 §5.1, §5.2).

use oidc_rp_wasm::core::pkce::CodeVerifier;
use oidc_rp_wasm::core::secret::{ClientSecret, RawIdToken, RefreshToken};
use oidc_rp_wasm::core::token::{
    code_exchange_body, parse_token_response, refresh_body, TokenRequest, TokenType, CONTENT_TYPE,
};
use oidc_rp_wasm::error::{Error, OpError, ResponseError};

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn pairs(body: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect()
}

fn pair(name: &str, value: &str) -> (String, String) {
    (name.to_owned(), value.to_owned())
}

#[test]
fn code_exchange_body_for_a_public_client() {
    let verifier = CodeVerifier::new(VERIFIER).unwrap();
    let body = code_exchange_body(
        "spa",
        "SplxlOBeZQQYbYS6WxSbIA",
        "https://app.example.com/cb?x=1&y=é",
        &verifier,
        None,
    );
    assert_eq!(
        pairs(&body),
        vec![
            pair("grant_type", "authorization_code"),
            pair("code", "SplxlOBeZQQYbYS6WxSbIA"),
            pair("redirect_uri", "https://app.example.com/cb?x=1&y=é"),
            pair("client_id", "spa"),
            pair("code_verifier", VERIFIER),
        ]
    );
    // The redirect URI is percent-encoded, not spliced in.
    assert!(body.contains("redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb%3Fx%3D1%26y%3D%C3%A9"));
    assert!(!body.contains("client_secret"));
}

#[test]
fn code_exchange_body_with_a_client_secret() {
    let verifier = CodeVerifier::new(VERIFIER).unwrap();
    let secret = ClientSecret::new("s3cr&t");
    let body = code_exchange_body("conf", "c", "https://rp/cb", &verifier, Some(&secret));
    assert!(pairs(&body).contains(&pair("client_secret", "s3cr&t")));
    assert_eq!(pairs(&body).len(), 6);
}

#[test]
fn refresh_body_with_and_without_scope() {
    let rt = RefreshToken::new("tGzv3JOkF0XG5Qx2TlKWIA");
    let body = refresh_body("spa", &rt, None, None);
    assert_eq!(
        pairs(&body),
        vec![
            pair("grant_type", "refresh_token"),
            pair("refresh_token", "tGzv3JOkF0XG5Qx2TlKWIA"),
            pair("client_id", "spa"),
        ]
    );
    let body = refresh_body("spa", &rt, Some("openid profile"), None);
    assert!(pairs(&body).contains(&pair("scope", "openid profile")));
    assert!(body.contains("scope=openid+profile"));
    assert!(!body.contains("client_secret"));
}

#[test]
fn refresh_body_with_a_client_secret() {
    let rt = RefreshToken::new("rt");
    let secret = ClientSecret::new("cs");
    let body = refresh_body("conf", &rt, None, Some(&secret));
    assert!(pairs(&body).contains(&pair("client_secret", "cs")));
}

#[test]
fn token_request_debug_is_redacted() {
    let rt = RefreshToken::new("rt-very-secret-value");
    let request = TokenRequest::refresh("spa", &rt, None, None);
    assert!(request.body().contains("rt-very-secret-value"));
    assert_eq!(request.content_type(), CONTENT_TYPE);
    assert!(!format!("{request:?}").contains("rt-very-secret-value"));
    let verifier = CodeVerifier::new(VERIFIER).unwrap();
    let request = TokenRequest::code_exchange("spa", "code", "https://rp/cb", &verifier, None);
    assert_eq!(
        request.body(),
        code_exchange_body("spa", "code", "https://rp/cb", &verifier, None)
    );
    assert!(!format!("{request:?}").contains(VERIFIER));
}

const FULL: &str = r#"{
    "access_token": "SlAV32hkKG",
    "token_type": "Bearer",
    "refresh_token": "8xLOxBtZp8",
    "expires_in": 3600,
    "id_token": "eyJhbGciOiJSUzI1NiJ9.e30.c2ln",
    "scope": "openid profile"
}"#;

#[test]
fn parse_a_full_response() {
    let response = parse_token_response(200, FULL).unwrap();
    assert_eq!(response.access_token.expose(), "SlAV32hkKG");
    assert_eq!(response.token_type, TokenType::Bearer);
    assert_eq!(response.expires_in, Some(3600));
    assert_eq!(
        response.refresh_token.as_ref().map(RefreshToken::expose),
        Some("8xLOxBtZp8")
    );
    assert_eq!(
        response.id_token.as_ref().map(RawIdToken::expose),
        Some("eyJhbGciOiJSUzI1NiJ9.e30.c2ln")
    );
    assert_eq!(response.scope.as_deref(), Some("openid profile"));
}

#[test]
fn parse_a_minimal_response() {
    let response =
        parse_token_response(200, r#"{"access_token":"at","token_type":"bearer"}"#).unwrap();
    assert_eq!(response.expires_in, None);
    assert!(response.refresh_token.is_none() && response.id_token.is_none());
    assert!(response.scope.is_none());
}

#[test]
fn token_type_in_any_case() {
    for (written, expected) in [
        ("Bearer", TokenType::Bearer),
        ("bearer", TokenType::Bearer),
        ("BEARER", TokenType::Bearer),
        ("DPoP", TokenType::DPoP),
        ("dpop", TokenType::DPoP),
    ] {
        let body = format!(r#"{{"access_token":"at","token_type":"{written}"}}"#);
        assert_eq!(
            parse_token_response(200, &body).unwrap().token_type,
            expected
        );
    }
    assert_eq!(TokenType::DPoP.as_str(), "DPoP");
    assert_eq!(TokenType::Bearer.as_str(), "Bearer");
    assert_eq!("bearer".parse::<TokenType>().unwrap(), TokenType::Bearer);
    for token_type in [TokenType::Bearer, TokenType::DPoP] {
        assert_eq!(
            token_type.as_str().parse::<TokenType>().unwrap(),
            token_type
        );
    }
}

#[test]
fn unknown_or_missing_token_type() {
    let err = parse_token_response(200, r#"{"access_token":"at","token_type":"mac"}"#).unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidResponse(ResponseError::InvalidField("token_type", _))
    ));
    let err = parse_token_response(200, r#"{"access_token":"at"}"#).unwrap_err();
    assert_eq!(
        err,
        Error::InvalidResponse(ResponseError::MissingField("token_type"))
    );
    assert!("mac".parse::<TokenType>().is_err());
}

#[test]
fn expires_in_as_number_or_numeric_string() {
    for (written, expected) in [
        ("3600", 3600),
        ("\"3600\"", 3600),
        ("3600.9", 3600),
        ("\" 60 \"", 60),
        ("0", 0),
    ] {
        let body =
            format!(r#"{{"access_token":"at","token_type":"Bearer","expires_in":{written}}}"#);
        assert_eq!(
            parse_token_response(200, &body).unwrap().expires_in,
            Some(expected),
            "{written}"
        );
    }
}

#[test]
fn expires_in_that_is_not_a_number() {
    for written in ["-5", "\"soon\"", "true", "[3600]", "\"-1\""] {
        let body =
            format!(r#"{{"access_token":"at","token_type":"Bearer","expires_in":{written}}}"#);
        let err = parse_token_response(200, &body).unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidResponse(ResponseError::InvalidField("expires_in", _))
            ),
            "{written}: {err:?}"
        );
    }
}

#[test]
fn a_token_error_uri_that_is_no_web_url_is_dropped() {
    for (sent, kept) in [
        ("https://op.example.com/e", Some("https://op.example.com/e")),
        ("javascript:alert(1)", None),
        ("https://op.example.com/é", None),
        ("https://op.example.com/back\\slash", None),
        ("https://op.example.com/a b", None),
    ] {
        let body = format!(
            r#"{{"error":"invalid_grant","error_uri":{}}}"#,
            serde_json::to_string(sent).unwrap()
        );
        let err = parse_token_response(400, &body).unwrap_err();
        assert_eq!(err.code(), "invalid_grant");
        assert_eq!(err.uri(), kept, "{sent}");
    }
}

#[test]
fn op_error_on_400() {
    let body = r#"{"error":"invalid_grant","error_description":"code expired","error_uri":"https://op/e"}"#;
    let err = parse_token_response(400, body).unwrap_err();
    assert_eq!(
        err,
        Error::Op(OpError {
            error: "invalid_grant".into(),
            description: Some("code expired".into()),
            uri: Some("https://op/e".into()),
            state: None,
            reason: None,
        })
    );
    assert_eq!(err.code(), "invalid_grant");
    assert_eq!(err.description(), Some("code expired"));
}

#[test]
fn op_error_on_401_and_other_statuses() {
    let err = parse_token_response(401, r#"{"error":"invalid_client"}"#).unwrap_err();
    assert_eq!(err.code(), "invalid_client");
    let err = parse_token_response(503, r#"{"error":"temporarily_unavailable"}"#).unwrap_err();
    assert_eq!(err.code(), "temporarily_unavailable");
    // A 200 that carries only an error is an error too.
    let err = parse_token_response(200, r#"{"error":"invalid_grant"}"#).unwrap_err();
    assert_eq!(err.code(), "invalid_grant");
}

#[test]
fn unexpected_status_without_an_error_body() {
    let err = parse_token_response(500, "<html>oops</html>").unwrap_err();
    assert_eq!(
        err,
        Error::InvalidResponse(ResponseError::UnexpectedStatus(500))
    );
    let err = parse_token_response(400, r#"{"message":"bad"}"#).unwrap_err();
    assert_eq!(
        err,
        Error::InvalidResponse(ResponseError::UnexpectedStatus(400))
    );
    // A success body with another status is still not a success.
    let err = parse_token_response(302, FULL).unwrap_err();
    assert_eq!(
        err,
        Error::InvalidResponse(ResponseError::UnexpectedStatus(302))
    );
}

#[test]
fn non_json_body() {
    for body in ["<html></html>", "", "[1,2]", "\"at\"", "access_token=at"] {
        let err = parse_token_response(200, body).unwrap_err();
        assert!(
            matches!(err, Error::InvalidResponse(ResponseError::NotJson(_))),
            "{body}"
        );
        assert_eq!(err.reason(), Some("not_json"));
    }
}

#[test]
fn missing_access_token() {
    for body in [
        r#"{"token_type":"Bearer"}"#,
        r#"{"access_token":"","token_type":"Bearer"}"#,
        r#"{"access_token":5,"token_type":"Bearer"}"#,
    ] {
        let err = parse_token_response(200, body).unwrap_err();
        assert_eq!(
            err,
            Error::InvalidResponse(ResponseError::MissingField("access_token")),
            "{body}"
        );
    }
}

#[test]
fn mistyped_optional_members() {
    for member in ["refresh_token", "id_token", "scope"] {
        let body = format!(
            r#"{{"access_token":"at","token_type":"Bearer","{member}":{{"x":"hidden-value"}}}}"#
        );
        let err = parse_token_response(200, &body).unwrap_err();
        assert!(
            matches!(err, Error::InvalidResponse(ResponseError::InvalidField(m, _)) if m == member),
            "{member}: {err:?}"
        );
        assert!(!format!("{err} {err:?}").contains("hidden-value"));
    }
}

#[test]
fn debug_shows_neither_access_nor_refresh_token() {
    let response = parse_token_response(200, FULL).unwrap();
    let debug = format!("{response:?}");
    assert!(!debug.contains("SlAV32hkKG"), "{debug}");
    assert!(!debug.contains("8xLOxBtZp8"), "{debug}");
    assert!(debug.contains("Bearer") && debug.contains("3600"));
}

#[test]
fn errors_never_echo_the_body() {
    let body = r#"{"access_token":"at","refresh_token":"rt-secret-value","token_type":"weird"}"#;
    let err = parse_token_response(200, body).unwrap_err();
    assert!(!format!("{err} {err:?}").contains("rt-secret-value"));
    let err = parse_token_response(500, r#"<p>rt-secret-value</p>"#).unwrap_err();
    assert!(!format!("{err} {err:?}").contains("rt-secret-value"));
    let err = parse_token_response(200, "{\"refresh_token\":\"rt-secret-value\",").unwrap_err();
    assert!(!format!("{err} {err:?}").contains("rt-secret-value"));
}
