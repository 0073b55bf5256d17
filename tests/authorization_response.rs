//! RFC 6749 §4.1.2 / §4.1.2.1 / §10.12, OAuth 2.0 Form Post Response Mode §2, web_message and
//! RFC 9207 §2.4: the authorization response from every delivery.

mod common;

use oidc_rp_wasm::core::authorize::{AuthorizationRequest, ResponseMode, Transaction};
use oidc_rp_wasm::core::metadata::ProviderMetadata;
use oidc_rp_wasm::core::pkce::CodeVerifier;
use oidc_rp_wasm::core::response::{
    process_authorization_response, AuthorizationCode, ResponseParams,
};
use oidc_rp_wasm::error::{Error, OpError, ResponseError};
use serde_json::json;

const ISSUER: &str = "https://op.example.com";
const STATE: &str = "st-1";

fn metadata(iss_supported: bool) -> ProviderMetadata {
    ProviderMetadata {
        authorization_response_iss_parameter_supported: iss_supported,
        ..common::provider_metadata(ISSUER)
    }
}

fn transaction(mode: ResponseMode) -> Transaction {
    let verifier = CodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
    AuthorizationRequest::new("spa", "https://app.example.com/cb")
        .response_mode(mode)
        .build_with(&metadata(false), 0, STATE.into(), "n".into(), verifier)
        .unwrap()
        .1
}

fn process(params: &ResponseParams, iss_supported: bool) -> Result<AuthorizationCode, Error> {
    process_authorization_response(
        params,
        &transaction(ResponseMode::Query),
        &metadata(iss_supported),
    )
}

/// The same `name=value&...` parameters as delivered by each response mode.
fn deliveries(query: &str) -> Vec<(&'static str, ResponseParams)> {
    let web_message = json!({
        "type": "authorization_response",
        "response": form_urlencoded::parse(query.as_bytes())
            .map(|(n, v)| (n.into_owned(), serde_json::Value::from(v.into_owned())))
            .collect::<serde_json::Map<_, _>>(),
    });
    vec![
        (
            "query",
            ResponseParams::from_query(&format!("?{query}")).unwrap(),
        ),
        (
            "query url",
            ResponseParams::from_url(
                &format!("https://app.example.com/cb?{query}"),
                ResponseMode::Query,
            )
            .unwrap(),
        ),
        (
            "fragment",
            ResponseParams::from_fragment(&format!("#{query}")).unwrap(),
        ),
        (
            "fragment url",
            ResponseParams::from_url(
                &format!("https://app.example.com/cb#{query}"),
                ResponseMode::Fragment,
            )
            .unwrap(),
        ),
        ("form_post", ResponseParams::from_form_post(query).unwrap()),
        (
            "web_message",
            ResponseParams::from_web_message(&common::to_json(&web_message)).unwrap(),
        ),
    ]
}

/// `ResponseParams` has no `PartialEq` (it holds the code): the same names and values in the same
/// order (its `Debug`, which lists every pair but the code's value) and the same code.
fn assert_same_params(a: &ResponseParams, b: &ResponseParams) {
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
    assert_eq!(a.get("code"), b.get("code"));
}

#[test]
fn code_from_every_delivery() {
    for (how, params) in deliveries("code=c%2B1%20x&state=st-1") {
        let code = process(&params, false).unwrap();
        assert_eq!(code.code.expose(), "c+1 x", "{how}");
        assert_eq!(code.iss, None);
    }
}

#[test]
fn leading_marker_is_optional() {
    let with = ResponseParams::from_query("?code=a&state=s").unwrap();
    let without = ResponseParams::from_query("code=a&state=s").unwrap();
    assert_same_params(&with, &without);
    assert_eq!(with.get("code"), Some("a"));
    assert_same_params(
        &ResponseParams::from_fragment("#code=a&state=s").unwrap(),
        &ResponseParams::from_fragment("code=a&state=s").unwrap(),
    );
}

#[test]
fn from_url_reads_the_part_of_its_mode() {
    let url = "https://app.example.com/cb?code=q&state=sq#code=f&state=sf";
    assert_eq!(
        ResponseParams::from_url(url, ResponseMode::Query)
            .unwrap()
            .get("code"),
        Some("q")
    );
    assert_eq!(
        ResponseParams::from_url(url, ResponseMode::Fragment)
            .unwrap()
            .get("code"),
        Some("f")
    );
    let bare = ResponseParams::from_url("https://app.example.com/cb", ResponseMode::Query).unwrap();
    assert!(bare.is_empty());
    assert!(!bare.is_authorization_response());
    let bare =
        ResponseParams::from_url("https://app.example.com/cb?x=1", ResponseMode::Fragment).unwrap();
    assert!(bare.is_empty());
}

#[test]
fn state_must_match_in_every_delivery() {
    for query in [
        "code=c&state=other",
        "code=c",
        "code=c&state=",
        "code=c&state=ST-1",
    ] {
        for (how, params) in deliveries(query) {
            let err = process(&params, false).unwrap_err();
            assert_eq!(err, Error::StateMismatch, "{how}: {query}");
            assert_eq!(err.code(), "state_mismatch");
        }
    }
}

#[test]
fn state_is_checked_before_the_op_error() {
    // An error with a foreign state is not ours to report.
    let params = ResponseParams::from_query("error=login_required&state=other").unwrap();
    assert_eq!(process(&params, false).unwrap_err(), Error::StateMismatch);
}

#[test]
fn op_errors_from_every_delivery() {
    for code in [
        "login_required",
        "interaction_required",
        "consent_required",
        "account_selection_required",
        "access_denied",
    ] {
        let query = format!(
            "error={code}&error_description=The%20user%20must%20sign%20in%20%C3%A9&error_uri=https%3A%2F%2Fop.example.com%2Ferr&state=st-1"
        );
        for (how, params) in deliveries(&query) {
            let err = process(&params, false).unwrap_err();
            assert_eq!(err.code(), code, "{how}");
            assert_eq!(
                err,
                Error::Op(OpError {
                    error: code.into(),
                    description: Some("The user must sign in é".into()),
                    uri: Some("https://op.example.com/err".into()),
                    state: Some(STATE.into()),
                    reason: None,
                }),
                "{how}"
            );
            assert_eq!(err.description(), Some("The user must sign in é"));
            assert_eq!(err.uri(), Some("https://op.example.com/err"));
        }
    }
}

#[test]
fn an_error_uri_that_is_no_web_url_is_dropped() {
    // RFC 6749 §4.1.2.1: error_uri is a URI of %x21 / %x23-5B / %x5D-7E; an app shows it as a
    // link, so only an http(s) URL reaches it.
    for (sent, kept) in [
        (
            "https%3A%2F%2Fop.example.com%2Ferr%3Fx%3D1",
            Some("https://op.example.com/err?x=1"),
        ),
        (
            "http%3A%2F%2Fop.example.com%2Ferr",
            Some("http://op.example.com/err"),
        ),
        ("HTTPS%3A%2F%2Fop.example.com%2Ferr", None),
        ("javascript%3Aalert(document.cookie)", None),
        ("data%3Atext%2Fhtml%2C%3Cscript%3E", None),
        ("%2Frelative%2Fpath", None),
        ("https%3A%2F%2Fop.example.com%2Fa%20b", None),
        ("https%3A%2F%2Fop.example.com%2F%22quoted%22", None),
        ("https%3A%2F%2Fop.example.com%2F%C3%A9", None),
    ] {
        let query = format!("error=access_denied&error_uri={sent}&state=st-1");
        for (how, params) in deliveries(&query) {
            let err = process(&params, false).unwrap_err();
            assert_eq!(err.code(), "access_denied", "{how}");
            assert_eq!(err.uri(), kept, "{sent} {how}");
        }
    }
}

#[test]
fn op_error_without_description() {
    let params = ResponseParams::from_fragment("error=login_required&state=st-1").unwrap();
    let err = process(&params, false).unwrap_err();
    assert_eq!(err.code(), "login_required");
    assert_eq!(err.description(), None);
    assert_eq!(err.uri(), None);
}

#[test]
fn rp_response_mode_form_post_error() {
    let body = "error=login_required&error_description=Login+required&state=st-1";
    let params = ResponseParams::from_form_post(body).unwrap();
    let tx = transaction(ResponseMode::FormPost);
    let err = process_authorization_response(&params, &tx, &metadata(false)).unwrap_err();
    assert_eq!(err.code(), "login_required");
    assert_eq!(err.description(), Some("Login required"));

    // The same delivery with a code succeeds.
    let params = ResponseParams::from_form_post("code=abc&state=st-1").unwrap();
    assert_eq!(
        process_authorization_response(&params, &tx, &metadata(false))
            .unwrap()
            .code
            .expose(),
        "abc"
    );
}

#[test]
fn neither_code_nor_error() {
    let params = ResponseParams::from_query("state=st-1&session_state=x").unwrap();
    let err = process(&params, false).unwrap_err();
    assert_eq!(err, Error::InvalidResponse(ResponseError::NoCodeOrError));
    assert_eq!(err.reason(), Some("no_code_or_error"));
    // An empty code counts as absent (RFC 6749 §3.1).
    let params = ResponseParams::from_query("code=&state=st-1").unwrap();
    assert_eq!(
        process(&params, false).unwrap_err().reason(),
        Some("no_code_or_error")
    );
}

#[test]
fn repeated_parameter_is_rejected() {
    for query in [
        "code=a&code=b&state=st-1",
        "code=a&state=st-1&state=st-1",
        "state=&state=st-1&code=a",
    ] {
        for parse in [
            ResponseParams::from_query,
            ResponseParams::from_fragment,
            ResponseParams::from_form_post,
        ] {
            let err = parse(query).unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::InvalidResponse(ResponseError::RepeatedParameter(_))
                ),
                "{query}"
            );
            assert_eq!(err.reason(), Some("repeated_parameter"));
        }
    }
    let err = ResponseParams::from_query("code=a&state=x&state=y").unwrap_err();
    assert_eq!(
        err,
        Error::InvalidResponse(ResponseError::RepeatedParameter("state".into()))
    );
    // Different names are fine.
    assert!(ResponseParams::from_query("code=a&state=x&iss=y").is_ok());
}

#[test]
fn iss_parameter_present_must_match() {
    for (how, params) in deliveries("code=c&state=st-1&iss=https%3A%2F%2Fop.example.com") {
        for supported in [false, true] {
            let code = process(&params, supported).unwrap();
            assert_eq!(code.iss.as_deref(), Some(ISSUER), "{how}");
        }
    }
    for wrong in [
        "https%3A%2F%2Fevil.example.com",
        "https%3A%2F%2Fop.example.com%2F",
    ] {
        for (how, params) in deliveries(&format!("code=c&state=st-1&iss={wrong}")) {
            for supported in [false, true] {
                let err = process(&params, supported).unwrap_err();
                assert_eq!(err.code(), "issuer_mismatch", "{how}");
                assert_eq!(err.reason(), Some("iss_parameter"));
                assert!(matches!(err, Error::IssuerMismatch { found: Some(_), .. }));
            }
        }
    }
}

#[test]
fn iss_parameter_required_when_advertised() {
    let params = ResponseParams::from_query("code=c&state=st-1").unwrap();
    assert!(process(&params, false).is_ok());
    let err = process(&params, true).unwrap_err();
    assert_eq!(
        err,
        Error::IssuerMismatch {
            source: "iss_parameter",
            expected: ISSUER.into(),
            found: None
        }
    );
}

#[test]
fn iss_parameter_checked_on_error_responses_too() {
    // RFC 9207 §2.4: a forged error response (mix-up) is refused as well.
    let params = ResponseParams::from_query(
        "error=access_denied&state=st-1&iss=https%3A%2F%2Fevil.example.com",
    )
    .unwrap();
    assert_eq!(
        process(&params, false).unwrap_err().code(),
        "issuer_mismatch"
    );
    let params = ResponseParams::from_query("error=access_denied&state=st-1").unwrap();
    assert_eq!(
        process(&params, true).unwrap_err().code(),
        "issuer_mismatch"
    );
    let params = ResponseParams::from_query(
        "error=access_denied&state=st-1&iss=https%3A%2F%2Fop.example.com",
    )
    .unwrap();
    assert_eq!(process(&params, true).unwrap_err().code(), "access_denied");
}

#[test]
fn web_message_payload_of_wrong_shape() {
    let bad = [
        json!(null),
        json!("code=c&state=st-1"),
        json!([1]),
        json!({"type": "authorization_response"}),
        json!({"type": "authorization_response", "response": "code=c"}),
        json!({"type": "authorization_response", "response": ["code", "c"]}),
        json!({"type": "other", "response": {"code": "c", "state": "st-1"}}),
        json!({"type": 1, "response": {"code": "c", "state": "st-1"}}),
        json!({"response": {"code": "c", "state": "st-1"}}),
        json!({"type": "authorization_response", "response": {"code": 5, "state": "st-1"}}),
        json!({"type": "authorization_response", "response": {"code": {"x": 1}, "state": "st-1"}}),
    ];
    for payload in bad {
        let err = ResponseParams::from_web_message(&common::to_json(&payload)).unwrap_err();
        assert_eq!(
            err,
            Error::InvalidResponse(ResponseError::NotAuthorizationResponse),
            "{payload}"
        );
        assert_eq!(err.reason(), Some("not_authorization_response"));
    }
    let ok = json!({"type": "authorization_response", "response": {"code": "c", "state": "st-1", "iss": null}});
    let params = ResponseParams::from_web_message(&common::to_json(&ok)).unwrap();
    assert_eq!(params.get("iss"), None);
    assert_eq!(process(&params, false).unwrap().code.expose(), "c");
}

#[test]
fn state_accessor_and_debug_hides_the_code() {
    let params = ResponseParams::from_query("code=secret-code-123&state=st-1").unwrap();
    assert_eq!(params.state(), Some("st-1"));
    assert!(params.is_authorization_response());
    assert!(!format!("{params:?}").contains("secret-code-123"));
    assert!(format!("{params:?}").contains("st-1"));
    let code = process(&params, false).unwrap();
    assert!(!format!("{code:?}").contains("secret-code-123"));
}

#[test]
fn garbage_never_panics() {
    let inputs = [
        "",
        "?",
        "#",
        "&&&",
        "=",
        "==&=",
        "%",
        "%zz=%",
        "a=%FF%FE",
        "?#?#",
        "\u{0}=\u{1}",
        "état=été",
    ];
    for input in inputs {
        for mode in [
            ResponseMode::Query,
            ResponseMode::Fragment,
            ResponseMode::FormPost,
            ResponseMode::WebMessage,
        ] {
            if let Ok(params) = ResponseParams::from_url(input, mode) {
                assert!(process(&params, false).is_err());
            }
        }
        if let Ok(params) = ResponseParams::from_form_post(input) {
            assert!(process(&params, true).is_err());
        }
    }
}

#[test]
fn strip_response_params_keeps_the_apps_own_query_and_fragment() {
    use oidc_rp_wasm::core::response::strip_response_params;
    assert_eq!(
        strip_response_params(
            "https://app/cb?tab=2&code=abc&state=xyz&iss=https%3A%2F%2Fop#section",
            false
        ),
        "https://app/cb?tab=2#section"
    );
    assert_eq!(
        strip_response_params("https://app/cb#code=abc&state=xyz", true),
        "https://app/cb"
    );
    assert_eq!(
        strip_response_params("https://app/cb?oidc_form_post=42", false),
        "https://app/cb"
    );
    // Not a response: nothing to remove.
    assert_eq!(
        strip_response_params("https://app/cb?tab=2#x", false),
        "https://app/cb?tab=2#x"
    );
    // The app's own pieces stay byte for byte, whatever a form encoder would make of them: a
    // name without a value, `;`, a Latin-1 escape, an unencoded `/`, an encoded name.
    assert_eq!(
        strip_response_params(
            "https://app/cb?debug&code=c&a=1;b=2&q=caf%E9&state=s&path=/x/y&%73tate=t&&v=%20+",
            false
        ),
        "https://app/cb?debug&a=1;b=2&q=caf%E9&path=/x/y&v=%20+"
    );
    assert_eq!(
        strip_response_params("https://app/cb?code=c&state=s&tab=2", false),
        "https://app/cb?tab=2"
    );
}

#[test]
fn locate_in_url_prefers_the_query_then_the_fragment() {
    use oidc_rp_wasm::core::authorize::ResponseMode;
    use oidc_rp_wasm::core::response::ResponseParams;
    let (p, mode) = ResponseParams::locate_in_url("https://app/cb?code=c&state=s").unwrap();
    assert_eq!((p.get("code"), mode), (Some("c"), ResponseMode::Query));
    let (p, mode) =
        ResponseParams::locate_in_url("https://app/cb?tab=1#error=login_required&state=s").unwrap();
    assert_eq!(
        (p.get("error"), mode),
        (Some("login_required"), ResponseMode::Fragment)
    );
    let err = ResponseParams::locate_in_url("https://app/cb?tab=1").unwrap_err();
    assert_eq!(err.reason(), Some("no_code_or_error"));
}

#[test]
fn a_response_must_come_the_way_its_request_asked() {
    use oidc_rp_wasm::core::authorize::ResponseMode;
    use oidc_rp_wasm::core::response::check_delivery;
    use oidc_rp_wasm::core::stored::transaction_from_text;
    let stored = serde_json::json!({
        "state": "s", "nonce": "n", "code_verifier": "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
        "redirect_uri": "https://app/cb", "response_mode": "query", "scope": "openid",
        "max_age": null, "acr_values": [], "created_at": 0, "app_state": null
    });
    let mut tx = transaction_from_text(&stored.to_string()).unwrap();
    assert!(check_delivery(&tx, ResponseMode::Query).is_ok());
    let err = check_delivery(&tx, ResponseMode::FormPost).unwrap_err();
    assert_eq!(
        (err.code(), err.reason()),
        ("invalid_response", Some("invalid_field"))
    );
    tx.response_mode = ResponseMode::Fragment;
    assert!(check_delivery(&tx, ResponseMode::Query).is_err());
    assert!(check_delivery(&tx, ResponseMode::Fragment).is_ok());
}

/// A callback link with two hundred thousand parameters is read in linear time (anyone can send
/// a user such a link; a quadratic duplicate check froze the page).
#[test]
fn a_link_with_many_parameters_is_read_in_linear_time() {
    let mut url = String::from("https://app.example.com/callback?");
    for i in 0..200_000 {
        url.push_str(&format!("p{i}=1&"));
    }
    url.push_str("code=x&state=y");
    let started = std::time::Instant::now();
    let (params, _) = oidc_rp_wasm::core::response::ResponseParams::locate_in_url(&url).unwrap();
    assert_eq!(params.state(), Some("y"));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

/// The service worker's pick-up: 200 is the body; 404 is "no such response" (handed out
/// already: a reload or Back to a spent callback URL), the same `state_mismatch` as a spent
/// state in the query; any other status is unexpected.
#[test]
fn form_post_pickup_statuses() {
    let body = "code=abc&state=xyz";
    let params = ResponseParams::from_form_post_pickup(200, body).expect("the body");
    assert_eq!(params.state(), Some("xyz"));
    let spent = ResponseParams::from_form_post_pickup(404, "").expect_err("404");
    assert_eq!(spent.code(), "state_mismatch");
    let odd = ResponseParams::from_form_post_pickup(500, "").expect_err("500");
    assert_eq!(
        (odd.code(), odd.reason()),
        ("invalid_response", Some("unexpected_status"))
    );
}
