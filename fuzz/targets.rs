//! The bodies of the fuzz targets, one function per input the SDK reads from the outside world.
//!
//! This file is compiled twice: by each libFuzzer harness in `fuzz/fuzz_targets/` (nightly,
//! `cargo fuzz`) and by the stable replay of the committed corpora, `tests/fuzz_corpora.rs`
//! (`cargo test`). Both include it with `#[path]`, so what is fuzzed and what is replayed cannot
//! drift apart. It uses only the crate itself and `base64ct` (a dependency of the crate).
//!
//! Every target calls the core's real parsing and validation functions on bytes it is given and
//! asserts that nothing panics; where it is cheap it also checks an invariant (a round trip, a
//! property the docs promise), and a broken invariant panics like a crash would.
//!
//! The JavaScript pump's JSON (the configuration, calls with their options, answers, page and
//! tab events) is read by `core::machine::wire`: the `wire` target drives a whole machine
//! through it.
//!
//! [`seeds`] makes the hand-written seed inputs of `fuzz/corpus/<target>/seed-*`; the ignored test
//! `write_seed_corpora` in `tests/fuzz_corpora.rs` writes them.
#![allow(dead_code)]

use base64ct::{Base64UrlUnpadded, Encoding};
use oidc_rp_wasm::core::alg::JwsAlg;
use oidc_rp_wasm::core::authorize::{AuthorizationRequest, Transaction};
use oidc_rp_wasm::core::config::ClientConfig;
use oidc_rp_wasm::core::flow::access;
use oidc_rp_wasm::core::flow::code::CodeFlow;
use oidc_rp_wasm::core::flow::refresh::RefreshFlow;
use oidc_rp_wasm::core::flow::{Answer, HttpResponse, Need, Step};
use oidc_rp_wasm::core::id_token::{
    self, at_hash, validate_refreshed, IdToken, IdTokenChecks, IdTokenClaims,
};
use oidc_rp_wasm::core::json::{Json, Object};
use oidc_rp_wasm::core::jwks::{JwkSet, KeySelection};
use oidc_rp_wasm::core::jws::CompactJws;
use oidc_rp_wasm::core::logout::{process_logout_callback, LogoutRequest, LogoutTransaction};
use oidc_rp_wasm::core::machine::wire::Wired;
use oidc_rp_wasm::core::metadata::{url_problem, ProviderMetadata};
use oidc_rp_wasm::core::params::ResponseMode;
use oidc_rp_wasm::core::pkce::CodeVerifier;
use oidc_rp_wasm::core::response::{
    check_delivery, form_post_id, form_post_pickup_url, process_authorization_response,
    strip_response_params, ResponseParams, RESPONSE_PARAMS,
};
use oidc_rp_wasm::core::secret::{AccessToken, RawIdToken, RefreshToken};
use oidc_rp_wasm::core::session::Session;
use oidc_rp_wasm::core::stored;
use oidc_rp_wasm::core::token::{parse_token_response, TokenType};
use oidc_rp_wasm::core::userinfo::parse_userinfo;
use oidc_rp_wasm::core::web_message::{self, Delivery, Expect};
use oidc_rp_wasm::error::{Error, SignatureError};
use std::borrow::Cow;
use std::sync::OnceLock;

/// The body of a target: it takes the fuzzer's bytes and panics on a bug.
pub type Target = fn(&[u8]);

/// Every target: its name (the folder under `fuzz/corpus/`) and its body.
pub const TARGETS: &[(&str, Target)] = &[
    ("json", json),
    ("authorization_response", authorization_response),
    ("token_response", token_response),
    ("id_token", id_token),
    ("jwks", jwks),
    ("metadata", metadata),
    ("userinfo", userinfo),
    ("logout", logout),
    ("stored", stored),
    ("flow", flow),
    ("wire", wire),
];

/// The body of the target called `name`.
pub fn by_name(name: &str) -> Option<Target> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

// ---------------------------------------------------------------------------------------------
// Fixed inputs: one OP, one client, one pending transaction, one session.

/// The OP of every fixture.
pub const ISSUER: &str = "https://op.example.com";
/// The client.
pub const CLIENT_ID: &str = "spa-client";
/// Its redirect URI.
pub const REDIRECT_URI: &str = "https://app.example.com/callback";
/// Its post-logout redirect URI.
pub const POST_LOGOUT_URI: &str = "https://app.example.com/bye";
/// The `state` of the pending transactions.
pub const STATE: &str = "af0ifjsldkj-state-value";
/// The `nonce` of the pending transactions.
pub const NONCE: &str = "n-0S6_WzA2Mj-nonce";
/// The PKCE verifier (RFC 7636 Appendix B).
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
/// The `sub` of the session.
pub const SUBJECT: &str = "user-1";
/// "Now".
pub const NOW: i64 = 1_700_000_000;
/// How many times a flow is advanced at most.
pub const MAX_STEPS: usize = 8;

/// A complete discovery document for [`ISSUER`].
pub const DISCOVERY: &str = r#"{
  "issuer": "https://op.example.com",
  "authorization_endpoint": "https://op.example.com/authorize",
  "token_endpoint": "https://op.example.com/token",
  "jwks_uri": "https://op.example.com/jwks",
  "userinfo_endpoint": "https://op.example.com/userinfo",
  "end_session_endpoint": "https://op.example.com/logout",
  "response_types_supported": ["code", "id_token", "code id_token"],
  "response_modes_supported": ["query", "fragment", "form_post", "web_message"],
  "subject_types_supported": ["public"],
  "id_token_signing_alg_values_supported": ["RS256", "PS256", "ES256", "EdDSA"],
  "code_challenge_methods_supported": ["S256"],
  "authorization_response_iss_parameter_supported": false,
  "scopes_supported": ["openid", "profile", "email", "offline_access"],
  "grant_types_supported": ["authorization_code", "refresh_token"],
  "token_endpoint_auth_methods_supported": ["none"],
  "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "name"]
}"#;

/// The RFC 7520 §3.4 RSA key (its private members are dropped by `JwkSet::parse`).
const RSA_JWK: &str = include_str!("../tests/vectors/jose-cookbook/jwk_3_4.rsa_private_key.json");
/// The RFC 7520 §3.2 P-521 key.
const EC_JWK: &str = include_str!("../tests/vectors/jose-cookbook/jwk_3_2.ec_private_key.json");
/// RFC 7520 §4.1: RS256 over the cookbook's payload.
const JWS_RS256: &str =
    include_str!("../tests/vectors/jose-cookbook/jws_4_1.rsa_v15_signature.json");
/// RFC 7520 §4.2: PS384.
const JWS_PS384: &str =
    include_str!("../tests/vectors/jose-cookbook/jws_4_2.rsa-pss_signature.json");
/// RFC 7520 §4.3: ES512.
const JWS_ES512: &str = include_str!("../tests/vectors/jose-cookbook/jws_4_3.ecdsa_signature.json");
/// RFC 8037 §A.4: Ed25519.
const JWS_ED25519: &str = include_str!("../tests/vectors/jose-cookbook/curve25519_jws.json");
/// The kid of the cookbook keys.
pub const COOKBOOK_KID: &str = "bilbo.baggins@hobbiton.example";

/// The JOSE header of the ID tokens the flow target mints when its input does not give one.
pub const DEFAULT_HEADER: &str =
    r#"{"alg":"RS256","kid":"bilbo.baggins@hobbiton.example","typ":"JWT"}"#;

/// The claims of those ID tokens: valid at [`NOW`] for the fixtures, a code flow (nonce) and a
/// refresh (§12.2: the same iss, sub, aud, auth_time and nonce as the session's).
pub fn default_claims() -> String {
    format!(
        r#"{{"iss":"{ISSUER}","sub":"{SUBJECT}","aud":"{CLIENT_ID}","exp":{},"iat":{NOW},"auth_time":{},"nonce":"{NONCE}","acr":"urn:acr:1","name":"Jane"}}"#,
        NOW + 600,
        NOW - 60
    )
}

/// The fixtures, made once.
pub struct Fixtures {
    /// [`DISCOVERY`], parsed.
    pub metadata: ProviderMetadata,
    /// The same OP, saying it sends `iss` in authorization responses (RFC 9207).
    pub metadata_iss: ProviderMetadata,
    /// Pending transactions: plain; with max_age and acr_values; web_message; without `openid`.
    pub transactions: Vec<Transaction>,
    /// A pending logout with and without a post-logout redirect URI.
    pub logouts: Vec<LogoutTransaction>,
    /// The cookbook's RSA, P-521 and an Ed25519 key.
    pub jwks: JwkSet,
    /// A signed-in session with an ID token, its claims and a refresh token.
    pub session: Session,
    /// A plain OAuth 2.0 session (no ID token) with a refresh token.
    pub session_plain: Session,
}

/// The fixtures (built on first use).
pub fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let metadata =
            ProviderMetadata::parse(DISCOVERY, ISSUER).expect("the fixed discovery document");
        let mut metadata_iss = metadata.clone();
        metadata_iss.authorization_response_iss_parameter_supported = true;
        let build = |request: AuthorizationRequest| {
            request
                .app_state(
                    Json::parse(r#"{"returnTo":"/inbox","n":[1,2.5,null]}"#).expect("app state"),
                )
                .build_with(
                    &metadata,
                    NOW - 30,
                    STATE.to_owned(),
                    NONCE.to_owned(),
                    CodeVerifier::new(VERIFIER).expect("the RFC 7636 verifier"),
                )
                .expect("the fixed authorization request")
                .1
        };
        let request = || {
            AuthorizationRequest::new(CLIENT_ID, REDIRECT_URI)
                .scope("openid profile offline_access")
        };
        let transactions = vec![
            build(request()),
            build(
                request()
                    .max_age(300)
                    .acr_values(vec!["urn:acr:1".to_owned()]),
            ),
            build(request().response_mode(ResponseMode::WebMessage)),
            build(AuthorizationRequest::new(CLIENT_ID, REDIRECT_URI).scope("profile api")),
        ];
        let logouts = vec![
            LogoutTransaction {
                state: STATE.to_owned(),
                post_logout_redirect_uri: Some(POST_LOGOUT_URI.to_owned()),
                created_at: NOW - 5,
            },
            LogoutTransaction {
                state: "other-logout-state".to_owned(),
                post_logout_redirect_uri: None,
                created_at: NOW - 5,
            },
        ];
        let jwks = JwkSet::parse(&jwks_text()).expect("the fixed JWK Set");
        let claims_json = Json::parse_object(&default_claims()).expect("the default claims");
        let claims = IdTokenClaims::from_json(claims_json).expect("the default claims are typed");
        let session = Session {
            id_token: Some(RawIdToken::new(mint(
                DEFAULT_HEADER,
                &default_claims(),
                b"sig",
            ))),
            claims: Some(std::sync::Arc::new(claims)),
            id_token_fresh: true,
            access_token: AccessToken::new("at-1"),
            token_type: TokenType::Bearer,
            expires_at: Some(NOW + 30),
            scope: Some("openid profile offline_access".to_owned()),
            refresh_token: Some(RefreshToken::new("rt-1")),
            created_at: NOW - 3600,
            created_ms: 0,
            updated_at: NOW - 570,
            dpop_jkt: None,
            resource: Vec::new(),
            refresh_refused: false,
        };
        let session_plain = Session {
            id_token: None,
            claims: None,
            id_token_fresh: false,
            scope: Some("api".to_owned()),
            expires_at: None,
            ..session.clone()
        };
        Fixtures {
            metadata,
            metadata_iss,
            transactions,
            logouts,
            jwks,
            session,
            session_plain,
        }
    })
}

/// The fixed JWK Set as a document.
pub fn jwks_text() -> String {
    format!(
        r#"{{"keys":[{RSA_JWK},{EC_JWK},{{"kty":"OKP","crv":"Ed25519","kid":"ed","use":"sig","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}}]}}"#
    )
}

/// A compact JWS with these parts, base64url-encoded (the signature is not a real one).
pub fn mint(header: &str, claims: &str, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        Base64UrlUnpadded::encode_string(header.as_bytes()),
        Base64UrlUnpadded::encode_string(claims.as_bytes()),
        Base64UrlUnpadded::encode_string(signature)
    )
}

// ---------------------------------------------------------------------------------------------
// Helpers.

/// The bytes as text; invalid UTF-8 becomes U+FFFD, so that every input reaches the parsers.
fn text(data: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// Everything an error shows the app: none of it may panic.
fn look_at(error: &Error) {
    let _ = error.code();
    let _ = error.reason();
    let _ = error.description();
    let _ = error.uri();
    let _ = error.to_string();
    let _ = format!("{error:?}");
}

/// Panics when `debug` shows `secret`, unless the secret is too short to tell or also occurs in
/// one of `shown` (values that `Debug` shows on purpose) or in a placeholder.
fn assert_redacted(debug: &str, secret: &str, shown: &[&str]) {
    if secret.len() < 12
        || shown.iter().any(|s| s.contains(secret))
        || "[redacted][jwt]Secret([redacted])".contains(secret)
    {
        return;
    }
    assert!(!debug.contains(secret), "Debug shows a secret: {debug}");
}

/// The stored form of a session reads back as the same session.
fn session_round_trip(session: &Session) {
    let text = stored::session_to_text(session);
    let again = stored::session_from_text(&text).expect("a stored session reads back");
    assert_eq!(
        stored::session_to_text(&again),
        text,
        "session stored form changed"
    );
    assert!(
        session.is_same(&again),
        "a stored session is not the same session"
    );
    let _ = format!("{session:?}");
}

/// What the app asks of a session: none of it may panic.
fn use_session(session: &Session) {
    for now in [NOW, NOW + 3600, i64::MIN, i64::MAX] {
        let _ = access::decide(Some(session), now);
        let _ = access::expiry_timers(session, now);
        let _ = session.is_expired(now);
    }
    let _ = session.refresh_leeway();
}

// ---------------------------------------------------------------------------------------------
// json: core::json::Json::parse, to_text, as_i64.

/// JSON text: whatever parses prints back to JSON that parses to the same value, and every
/// number's integer part is read exactly.
pub fn json(data: &[u8]) {
    let text = text(data);
    let _ = Json::parse_object(&text);
    let Ok(value) = Json::parse(&text) else {
        return;
    };
    let compact = value.to_text();
    let again = Json::parse(&compact).expect("to_text output is JSON");
    assert_eq!(again, value, "to_text does not round-trip");
    assert_eq!(again.to_text(), compact, "to_text is not stable");
    visit_numbers(&value, &mut check_number);
}

fn visit_numbers(value: &Json, check: &mut impl FnMut(&Json)) {
    match value {
        Json::Number(_) => check(value),
        Json::Array(items) => items.iter().for_each(|item| visit_numbers(item, check)),
        Json::Object(object) => object.iter().for_each(|(_, v)| visit_numbers(v, check)),
        Json::Null | Json::Bool(_) | Json::String(_) => {}
    }
}

/// `as_i64` against a plain decimal reading of the number's integer part.
fn check_number(number: &Json) {
    let Json::Number(text) = number else { return };
    let value = number.as_i64();
    assert_eq!(
        number.as_u64(),
        value.and_then(|v| u64::try_from(v).ok()),
        "as_u64 disagrees with as_i64 for {text}"
    );
    if let Some(expected) = integer_part_oracle(text) {
        assert_eq!(value, expected, "as_i64 of {text}");
    }
}

/// The integer part of a JSON number by shifting its digits as text: `Some(None)` when it does
/// not fit an i64, `None` when the exponent itself is out of range (no verdict).
fn integer_part_oracle(text: &str) -> Option<Option<i64>> {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match rest.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i64>().ok()?),
        None => (rest, 0),
    };
    let (int_digits, frac_digits) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits: String = format!("{int_digits}{frac_digits}");
    let point = i64::try_from(int_digits.len())
        .ok()?
        .checked_add(exponent)?;
    if point <= 0 {
        return Some(Some(0));
    }
    let significant = digits.trim_start_matches('0');
    if significant.is_empty() {
        return Some(Some(0));
    }
    // More than 19 integral digits after the leading zeros never fit.
    let leading_zeros = i64::try_from(digits.len() - significant.len()).ok()?;
    if point - leading_zeros > 19 {
        return Some(None);
    }
    let point = usize::try_from(point).ok()?;
    let mut integral: String = digits.chars().take(point).collect();
    while integral.len() < point {
        integral.push('0');
    }
    if negative {
        integral.insert(0, '-');
    }
    Some(integral.parse::<i64>().ok())
}

// ---------------------------------------------------------------------------------------------
// authorization_response: core::response and core::web_message.

/// An authorization response as a query, a fragment, a whole redirect URL, a form_post body or
/// a web_message payload, then checked against the fixed transactions.
pub fn authorization_response(data: &[u8]) {
    let text = text(data);
    let mut delivered: Vec<(Result<ResponseParams, Error>, ResponseMode)> = vec![
        (ResponseParams::from_query(&text), ResponseMode::Query),
        (ResponseParams::from_fragment(&text), ResponseMode::Fragment),
        (
            ResponseParams::from_form_post(&text),
            ResponseMode::FormPost,
        ),
        (
            ResponseParams::from_url(&text, ResponseMode::Query),
            ResponseMode::Query,
        ),
        (
            ResponseParams::from_url(&text, ResponseMode::Fragment),
            ResponseMode::Fragment,
        ),
        (
            ResponseParams::from_form_post_pickup(200, &text),
            ResponseMode::FormPost,
        ),
    ];
    assert!(ResponseParams::from_form_post_pickup(404, &text).is_err());
    match ResponseParams::locate_in_url(&text) {
        Ok((params, mode)) => {
            assert!(
                params.state().is_some() || params.is_authorization_response(),
                "locate_in_url found a part without state, code or error"
            );
            assert!(matches!(mode, ResponseMode::Query | ResponseMode::Fragment));
            delivered.push((Ok(params), mode));
        }
        Err(e) => look_at(&e),
    }
    if let Ok(payload) = Json::parse(&text) {
        delivered.push((
            ResponseParams::from_web_message(&payload),
            ResponseMode::WebMessage,
        ));
        let expectations = [
            (
                Expect::WebMessage {
                    op_origin: ISSUER.to_owned(),
                    own_origin: None,
                },
                ISSUER,
            ),
            (
                Expect::WebMessage {
                    op_origin: ISSUER.to_owned(),
                    own_origin: Some("https://app.example.com".to_owned()),
                },
                "https://app.example.com",
            ),
            (
                Expect::CallbackPage {
                    own_origin: "https://app.example.com".to_owned(),
                },
                "https://app.example.com",
            ),
        ];
        for (expect, origin) in &expectations {
            for (from, from_source) in [
                (*origin, true),
                (*origin, false),
                ("https://evil.example", true),
            ] {
                match web_message::accept(from, from_source, &payload, expect, STATE) {
                    None => {}
                    Some(delivery) => {
                        assert!(
                            from_source && from == *origin,
                            "a message from elsewhere was accepted"
                        );
                        match delivery {
                            Delivery::Params(params) => {
                                assert_eq!(params.state(), Some(STATE));
                                delivered.push((Ok(params), ResponseMode::WebMessage));
                            }
                            Delivery::CallbackUrl(url) => {
                                if let Ok((params, mode)) = ResponseParams::locate_in_url(&url) {
                                    delivered.push((Ok(params), mode));
                                }
                            }
                            Delivery::FormPostBody(_) => {
                                panic!("a posted message delivered a form_post body")
                            }
                            // Only a response whose state is not ours ends our sign-in.
                            Delivery::Elsewhere => {
                                // A callback page's message names its state in its URL
                                // (a web_message frame hears one when its redirect URI is the
                                // page), the OP's web_message in its response.
                                let from_page = payload.get("type").and_then(Json::as_str)
                                    == Some(web_message::CALLBACK_MESSAGE_TYPE);
                                let state = if from_page {
                                    payload
                                        .get("url")
                                        .and_then(Json::as_str)
                                        .and_then(|u| ResponseParams::locate_in_url(u).ok())
                                        .and_then(|(p, _)| p.state().map(str::to_owned))
                                } else {
                                    ResponseParams::from_web_message(&payload)
                                        .ok()
                                        .and_then(|p| p.state().map(str::to_owned))
                                };
                                assert!(
                                    state.is_some_and(|s| s != STATE),
                                    "a message ended the sign-in without another state"
                                );
                            }
                        }
                    }
                }
            }
            // The same payload as a BroadcastChannel hand-over (the popup under COOP).
            match web_message::accept_handover(&payload, expect, STATE) {
                None => {}
                Some(Delivery::Params(_)) => panic!("a hand-over delivered web_message params"),
                Some(Delivery::Elsewhere) => panic!("a hand-over ended the sign-in"),
                Some(Delivery::CallbackUrl(url)) => {
                    assert!(matches!(expect, Expect::CallbackPage { .. }));
                    if let Ok((params, mode)) = ResponseParams::locate_in_url(&url) {
                        delivered.push((Ok(params), mode));
                    }
                }
                Some(Delivery::FormPostBody(body)) => {
                    assert!(matches!(expect, Expect::CallbackPage { .. }));
                    delivered.push((
                        ResponseParams::from_form_post_pickup(200, &body),
                        ResponseMode::FormPost,
                    ));
                }
            }
        }
    }
    for (params, mode) in &delivered {
        match params {
            Ok(params) => check_params(params, *mode),
            Err(e) => look_at(e),
        }
    }

    // The address bar after the response is consumed: no response parameter is left.
    for from_fragment in [false, true] {
        let clean = strip_response_params(&text, from_fragment);
        if let Ok(params) = ResponseParams::from_url(&clean, ResponseMode::Query) {
            for name in RESPONSE_PARAMS {
                assert!(params.get(name).is_none(), "`{name}` left in {clean:?}");
            }
        }
        assert_eq!(
            strip_response_params(&clean, from_fragment),
            clean,
            "stripping twice differs"
        );
    }
    if let Some(id) = form_post_id(&text) {
        let _ = form_post_pickup_url(&text, &id);
    }
}

/// One set of response parameters against every fixed transaction and both metadata.
fn check_params(params: &ResponseParams, mode: ResponseMode) {
    let f = fixtures();
    let _ = format!("{params:?}");
    let _ = params.is_empty();
    for tx in &f.transactions {
        if let Err(e) = check_delivery(tx, mode) {
            look_at(&e);
        }
        for metadata in [&f.metadata, &f.metadata_iss] {
            match process_authorization_response(params, tx, metadata) {
                Ok(code) => {
                    assert_eq!(
                        params.state(),
                        Some(tx.state.as_str()),
                        "accepted without our state"
                    );
                    assert!(
                        params.get("error").is_none(),
                        "an error response was taken for a code"
                    );
                    assert_eq!(params.get("code"), Some(code.code.expose()));
                    assert!(!code.code.expose().is_empty(), "an empty code");
                    if let Some(iss) = &code.iss {
                        assert_eq!(iss, &metadata.issuer, "a foreign iss was accepted");
                    } else {
                        assert!(
                            !metadata.authorization_response_iss_parameter_supported,
                            "iss missing"
                        );
                    }
                    assert_redacted(
                        &format!("{code:?}"),
                        code.code.expose(),
                        &[&metadata.issuer],
                    );
                }
                Err(e) => look_at(&e),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// token_response: core::token::parse_token_response, then the sessions made from it.

/// The HTTP status for the first byte: mostly 200, otherwise an error status.
fn status_of(byte: u8) -> u16 {
    const OTHERS: [u16; 8] = [400, 401, 403, 500, 503, 302, 201, 0];
    if byte < 0x80 {
        200
    } else {
        OTHERS.get(usize::from(byte & 7)).copied().unwrap_or(400)
    }
}

/// A token endpoint answer: the first byte picks the status, the rest is the body.
pub fn token_response(data: &[u8]) {
    let (status, body) = match data.split_first() {
        Some((first, rest)) => (status_of(*first), rest),
        None => (200, data),
    };
    let body = text(body);
    let response = match parse_token_response(status, &body) {
        Ok(response) => response,
        Err(e) => {
            look_at(&e);
            return;
        }
    };
    assert_eq!(
        status, 200,
        "a token response with status {status} was accepted"
    );
    assert!(
        !response.access_token.expose().is_empty(),
        "an empty access token"
    );
    assert_eq!(
        response.token_type.as_str().parse::<TokenType>().ok(),
        Some(response.token_type)
    );
    let debug = format!("{response:?}");
    let scope = response.scope.clone().unwrap_or_default();
    assert_redacted(&debug, response.access_token.expose(), &[&scope]);
    if let Some(refresh) = &response.refresh_token {
        assert_redacted(&debug, refresh.expose(), &[&scope]);
    }
    if let Some(raw) = &response.id_token {
        if let Err(e) = IdToken::parse(raw.expose()) {
            look_at(&e);
        }
    }

    // A plain OAuth 2.0 sign-in takes any token response; an openid one needs a validated ID token.
    let session = Session::from_code_exchange(response.clone(), None, "profile api", NOW)
        .expect("a scope without openid needs no ID token");
    session_round_trip(&session);
    use_session(&session);
    assert!(
        Session::from_code_exchange(response.clone(), None, "openid profile", NOW).is_err(),
        "an openid session without a validated ID token"
    );

    // A refresh of the fixture session with this response and no validated ID token.
    let f = fixtures();
    let had_id_token = response.id_token.is_some();
    let rotated = response.refresh_token.clone();
    match f.session.apply_refresh(response, None, false, NOW) {
        Ok(renewed) => {
            assert!(!had_id_token, "an unvalidated ID token was dropped");
            assert_eq!(
                renewed.subject(),
                f.session.subject(),
                "a refresh changed the identity"
            );
            assert!(!renewed.id_token_fresh);
            let expected = rotated
                .as_ref()
                .or(f.session.refresh_token.as_ref())
                .map(RefreshToken::expose);
            assert_eq!(
                renewed.refresh_token.as_ref().map(RefreshToken::expose),
                expected
            );
            session_round_trip(&renewed);
            use_session(&renewed);
        }
        Err(e) => look_at(&e),
    }
}

// ---------------------------------------------------------------------------------------------
// id_token: core::jws::CompactJws::parse, core::id_token.

/// The token: the input as text, or, when it holds 0xFF bytes (never in UTF-8), the parts between
/// them base64url-encoded and joined by `.` (so that the fuzzer can change the JSON inside).
fn token_of(data: &[u8]) -> String {
    if !data.contains(&0xFF) {
        return text(data).into_owned();
    }
    data.split(|b| *b == 0xFF)
        .map(Base64UrlUnpadded::encode_string)
        .collect::<Vec<_>>()
        .join(".")
}

/// The claim checks of a code flow, a refresh and a few extreme clocks.
fn claim_checks(acr: &[String]) -> [IdTokenChecks<'_>; 4] {
    let base = IdTokenChecks {
        issuer: ISSUER,
        client_id: CLIENT_ID,
        nonce: Some(NONCE),
        max_age: None,
        acr_values: &[],
        access_token: Some("at-1"),
        access_token_digest: None,
        now: NOW,
        clock_skew: 60,
    };
    [
        base,
        IdTokenChecks {
            nonce: None,
            max_age: Some(300),
            acr_values: acr,
            access_token: None,
            clock_skew: 0,
            ..base
        },
        IdTokenChecks {
            now: i64::MAX,
            clock_skew: i64::MAX,
            max_age: Some(u64::MAX),
            ..base
        },
        IdTokenChecks {
            now: i64::MIN,
            clock_skew: -5,
            max_age: Some(0),
            acr_values: acr,
            ..base
        },
    ]
}

/// A compact JWS / ID token.
pub fn id_token(data: &[u8]) {
    let token = token_of(data);
    match CompactJws::parse(&token) {
        Ok(jws) => {
            let mut parts = token.split('.');
            let (header, payload) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            assert_eq!(token.split('.').count(), 3, "a JWS without three parts");
            assert_eq!(
                jws.signing_input,
                format!("{header}.{payload}"),
                "the signing input"
            );
            assert_eq!(
                Base64UrlUnpadded::decode_vec(payload).ok(),
                Some(jws.payload.clone())
            );
        }
        Err(e) => look_at(&e),
    }
    let parsed = match IdToken::parse(&token) {
        Ok(parsed) => parsed,
        Err(e) => {
            look_at(&e);
            return;
        }
    };
    assert_eq!(parsed.raw.expose(), token);
    let _ = format!("{parsed:?}");
    for allowed in [&JwsAlg::ALL[..], &[JwsAlg::RS256][..], &[][..]] {
        match parsed.alg(allowed) {
            Ok(alg) => {
                assert!(allowed.contains(&alg));
                assert_eq!(alg.as_str(), parsed.jws.alg);
            }
            Err(e) => look_at(&e),
        }
    }
    let claims = &parsed.claims;
    let again = IdTokenClaims::from_json(claims.to_json()).expect("to_json output types again");
    assert_eq!(&again, claims, "claims do not round-trip");
    validate_refreshed(claims, claims).expect("a token keeps its own identity");
    if let Some(original) = &fixtures().session.claims {
        if let Err(e) = validate_refreshed(claims, original) {
            look_at(&e);
        }
    }

    let acr = vec!["urn:acr:1".to_owned(), "urn:acr:2".to_owned()];
    for checks in claim_checks(&acr) {
        let _ = format!("{checks:?}");
        match parsed.validate_claims(&checks) {
            Ok(()) => {
                let skew = checks.clock_skew.max(0);
                assert_eq!(claims.iss, checks.issuer);
                assert!(claims.aud.iter().any(|a| a == checks.client_id));
                assert!(
                    claims.aud.len() == 1 || claims.azp.is_some(),
                    "several audiences, no azp"
                );
                assert!(claims
                    .azp
                    .as_deref()
                    .is_none_or(|azp| azp == checks.client_id));
                assert!(
                    claims.exp > checks.now.saturating_sub(skew),
                    "expired token accepted"
                );
                assert!(
                    claims.iat <= checks.now.saturating_add(skew),
                    "token from the future accepted"
                );
                if let Some(nonce) = checks.nonce {
                    assert_eq!(claims.nonce.as_deref(), Some(nonce));
                }
                if checks.max_age.is_some() {
                    assert!(claims.auth_time.is_some(), "max_age without auth_time");
                }
                if !checks.acr_values.is_empty() {
                    assert!(claims
                        .acr
                        .as_ref()
                        .is_some_and(|a| checks.acr_values.contains(a)));
                }
            }
            Err(e) => look_at(&e),
        }
    }
    let jwk = fixtures()
        .jwks
        .keys
        .first()
        .expect("the fixed set has keys");
    for alg in JwsAlg::ALL {
        let _ = at_hash(alg, "at-1");
        let check = parsed.signature_check(alg, jwk);
        assert_eq!(check.signing_input, parsed.jws.signing_input);
        let _ = format!("{check:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// jwks: core::jwks::JwkSet::parse and select.

const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// A JWK Set document, then a key selection for every algorithm, with and without a kid.
pub fn jwks(data: &[u8]) {
    let text = text(data);
    assert!(JwkSet::from_http(404, &text).is_err());
    let set = match JwkSet::from_http(200, &text) {
        Ok(set) => set,
        Err(e) => {
            look_at(&e);
            return;
        }
    };
    for key in &set.keys {
        assert!(
            ["RSA", "EC", "OKP"].contains(&key.kty.as_str()),
            "kept a `{}` key",
            key.kty
        );
        assert!(
            key.use_.as_deref().is_none_or(|u| u == "sig"),
            "kept an encryption key"
        );
        assert_eq!(key.json.str("kty"), Some(key.kty.as_str()));
        for member in PRIVATE_MEMBERS {
            assert!(
                !key.json.contains_key(member),
                "kept private member `{member}`"
            );
        }
    }
    let mut kids: Vec<Option<&str>> = vec![None, Some("no-such-kid")];
    for key in &set.keys {
        if kids.len() >= 12 {
            break;
        }
        if !kids.contains(&key.kid.as_deref()) {
            kids.push(key.kid.as_deref());
        }
    }
    for alg in JwsAlg::ALL {
        for key in set.keys.iter().take(32) {
            assert_eq!(key.fits(alg), key.unfit_reason(alg).is_none());
        }
        for kid in &kids {
            match set.select(alg, *kid) {
                Ok(KeySelection::Candidates(candidates)) => {
                    assert!(!candidates.is_empty(), "no candidates but no error");
                    for key in candidates {
                        assert!(key.fits(alg), "a key that does not fit {alg}");
                        if let Some(kid) = kid {
                            assert_eq!(key.kid.as_deref(), Some(*kid), "a key with another kid");
                        }
                    }
                }
                Ok(KeySelection::UnknownKid) => {
                    let kid = kid.expect("UnknownKid without a kid");
                    assert!(set.keys.iter().all(|k| k.kid.as_deref() != Some(kid)));
                    assert!(KeySelection::UnknownKid
                        .into_candidates_or_no_key()
                        .is_err());
                }
                Err(e) => look_at(&e),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// metadata: core::metadata::ProviderMetadata::parse, then requests built from it.

/// A discovery document, for the fixed issuer and for the issuer it names itself.
pub fn metadata(data: &[u8]) {
    let text = text(data);
    let mut issuers = vec![ISSUER.to_owned()];
    if let Ok(Json::Object(document)) = Json::parse(&text) {
        if let Some(issuer) = document.str("issuer") {
            if issuer != ISSUER {
                issuers.push(issuer.to_owned());
            }
        }
    }
    let _ = url_problem(&text);
    for issuer in &issuers {
        let _ = ProviderMetadata::discovery_url(issuer);
        assert!(ProviderMetadata::from_http(503, &text, issuer).is_err());
        match ProviderMetadata::from_http(200, &text, issuer) {
            Ok(metadata) => check_metadata(&metadata, issuer),
            Err(e) => look_at(&e),
        }
    }
}

fn check_metadata(metadata: &ProviderMetadata, issuer: &str) {
    assert_eq!(metadata.issuer, issuer);
    let endpoints = [
        Some(&metadata.authorization_endpoint),
        Some(&metadata.token_endpoint),
        Some(&metadata.jwks_uri),
        metadata.userinfo_endpoint.as_ref(),
        metadata.end_session_endpoint.as_ref(),
    ];
    for url in endpoints.into_iter().flatten() {
        assert_eq!(url_problem(url), None, "endpoint {url:?} accepted");
    }
    let modes = [
        ResponseMode::Query,
        ResponseMode::Fragment,
        ResponseMode::FormPost,
        ResponseMode::WebMessage,
    ];
    for mode in modes {
        let _ = metadata.supports_response_mode(mode);
        let built = AuthorizationRequest::new(CLIENT_ID, REDIRECT_URI)
            .scope("openid profile")
            .response_mode(mode)
            .login_hint("jane@example.com")
            .extra_param("resource", "https://api.example.com")
            .build_with(
                metadata,
                NOW,
                STATE.to_owned(),
                NONCE.to_owned(),
                CodeVerifier::new(VERIFIER).expect("the RFC 7636 verifier"),
            );
        let (url, tx) = match built {
            Ok(built) => built,
            Err(e) => {
                look_at(&e);
                continue;
            }
        };
        let base = metadata
            .authorization_endpoint
            .split('#')
            .next()
            .unwrap_or_default();
        assert!(
            url.starts_with(base),
            "the request URL left the authorization endpoint"
        );
        assert!(url.contains("code_challenge_method=S256"));
        assert_eq!(tx.response_mode, mode);
        let stored_tx = stored::transaction_to_text(&tx);
        let read =
            stored::transaction_from_text(&stored_tx).expect("a stored transaction reads back");
        assert_eq!(stored::transaction_to_text(&read), stored_tx);
        // The OP's answer to that request is accepted.
        let answer =
            ResponseParams::from_pairs([("code", "c0de"), ("state", STATE), ("iss", issuer)])
                .expect("distinct names");
        process_authorization_response(&answer, &tx, metadata).expect("the OP's own answer");
    }
    let logout = LogoutRequest::new(CLIENT_ID)
        .id_token_hint("e30.e30.")
        .post_logout_redirect_uri(POST_LOGOUT_URI)
        .build_with_state(metadata, NOW, STATE.to_owned());
    match (logout, &metadata.end_session_endpoint) {
        (Ok((_url, tx)), Some(_)) => {
            let back = format!("{POST_LOGOUT_URI}?state={STATE}");
            assert_eq!(
                process_logout_callback(&back, Some(&tx)).ok(),
                Some(Some(STATE.to_owned()))
            );
        }
        (Err(e), None) => look_at(&e),
        (Ok(_), None) => panic!("a logout URL without an end_session_endpoint"),
        (Err(e), Some(_)) => panic!("a logout request failed: {e:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// userinfo: core::userinfo::parse_userinfo.

/// A UserInfo body, against the session's `sub`, an empty one and the one it names.
pub fn userinfo(data: &[u8]) {
    let text = text(data);
    let mut subjects = vec![SUBJECT.to_owned(), String::new()];
    if let Ok(Json::Object(claims)) = Json::parse(&text) {
        if let Some(sub) = claims.str("sub") {
            subjects.push(sub.to_owned());
        }
    }
    for sub in &subjects {
        match parse_userinfo(&text, sub) {
            Ok(claims) => assert_eq!(
                claims.str("sub"),
                Some(sub.as_str()),
                "another sub accepted"
            ),
            Err(e) => look_at(&e),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// logout: core::logout::process_logout_callback.

/// The return to the post-logout redirect URI, with and without a pending logout.
pub fn logout(data: &[u8]) {
    let text = text(data);
    match process_logout_callback(&text, None) {
        Ok(state) => panic!("a logout return accepted without a pending logout: {state:?}"),
        Err(e) => assert_eq!(e, Error::StateMismatch),
    }
    for tx in &fixtures().logouts {
        match process_logout_callback(&text, Some(tx)) {
            Ok(state) => assert_eq!(
                state.as_deref(),
                Some(tx.state.as_str()),
                "another state accepted"
            ),
            Err(e) => assert_eq!(e, Error::StateMismatch),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// stored: core::stored.

/// A stored value, read as a session, a transaction and a pending logout; what reads back writes
/// the same text again.
pub fn stored(data: &[u8]) {
    let text = text(data);
    if let Some(session) = stored::session_from_text(&text) {
        session_round_trip(&session);
        use_session(&session);
        let again =
            stored::session_from_text(&stored::session_to_text(&session)).expect("reads back");
        assert!(matches!(
            oidc_rp_wasm::core::flow::refresh::under_lock(Some(&session), Some(again), NOW),
            oidc_rp_wasm::core::flow::refresh::UnderLock::Refresh(_)
        ));
    }
    if let Some(tx) = stored::transaction_from_text(&text) {
        let written = stored::transaction_to_text(&tx);
        let again =
            stored::transaction_from_text(&written).expect("a stored transaction reads back");
        assert_eq!(
            stored::transaction_to_text(&again),
            written,
            "transaction stored form changed"
        );
        let _ = tx.code_verifier.challenge();
        let _ = tx.is_stale(NOW);
        let _ = tx.is_expired(i64::MAX, i64::MAX);
        let _ = format!("{tx:?}");
    }
    if let Some(logout) = stored::logout_from_text(&text) {
        let written = stored::logout_to_text(&logout);
        let again = stored::logout_from_text(&written).expect("a stored logout reads back");
        assert_eq!(again, logout);
        assert_eq!(stored::logout_to_text(&again), written);
        let _ = logout.is_expired(i64::MIN, i64::MIN);
    }
}

// ---------------------------------------------------------------------------------------------
// flow: core::flow::code::CodeFlow and core::flow::refresh::RefreshFlow fed arbitrary answers.
//
// Input: byte 0 `flags`, byte 1 `more`, then segments separated by 0xFF. The first segment is the
// authorization response (code flow, when `flags & 2`); each further segment answers one need:
// its first byte `ctrl` says how, the rest is the content.
//
// flags: bit 0 refresh (else code); bit 1 fuzzed response parameters (else a valid one); bit 2
// every algorithm allowed (else RS256); bit 3 check UserInfo on refresh; bit 4 require an ID
// token on refresh; bits 5-6 the clock (NOW, NOW + 30, NOW + 7200, i64::MAX); bit 7 the plain
// session (no ID token).
// more: bits 0-1 the transaction (plain, max_age + acr, web_message, no openid); bit 3 the OP
// sends `iss`; bits 4-5 the clock skew (60, 0, -5, i64::MAX); bit 6 a session without refresh
// token.
// ctrl: bits 0-1 the answer's kind (0 the one asked for, 1 Http, 2 JwkSet, 3 Verified); bits 2-4
// the variant; bits 5-7 the HTTP status (200, 200, 200, 200, 400, 401, 500, 302). With kind 0,
// variant 6 answers twice and variant 7 not at all.
// Http variants: 0-2 the content is the body; 3-5 a token response around an ID token minted from
// the content's 0xFE-separated parts (header, claims, signature, access token, JSON members to
// merge; empty parts take the defaults); 6 a network error; 7 a timeout.
// JwkSet variants: 0-3 the content parsed as a JWK Set; 4-5 the fixed set; 6 a network error;
// 7 an empty set. Verified variants: even Ok, 1/3/5 a mismatch, 7 an unusable key.

/// Flags of [`flow`] inputs.
pub mod flow_bits {
    /// Run the refresh flow.
    pub const REFRESH: u8 = 1;
    /// The response parameters come from the first segment.
    pub const FUZZED_PARAMS: u8 = 2;
    /// Every algorithm is allowed.
    pub const ALL_ALGS: u8 = 4;
    /// Check UserInfo after a refresh.
    pub const USERINFO: u8 = 8;
    /// Require an ID token on refresh.
    pub const REQUIRE_ID_TOKEN: u8 = 16;
    /// The clock is NOW + 7200 (everything expired).
    pub const LATE: u8 = 0x40;
    /// The plain session.
    pub const PLAIN_SESSION: u8 = 0x80;
    /// `more`: the transaction with max_age and acr_values.
    pub const TX_MAX_AGE: u8 = 1;
    /// `more`: the web_message transaction.
    pub const TX_WEB_MESSAGE: u8 = 2;
    /// `more`: the transaction without openid.
    pub const TX_NO_OPENID: u8 = 3;
    /// `more`: the OP sends `iss`.
    pub const ISS: u8 = 8;
    /// `more`: no refresh token in the session.
    pub const NO_REFRESH_TOKEN: u8 = 0x40;
    /// `ctrl`: answer with what was asked; variant 0.
    pub const NATURAL: u8 = 0;
    /// `ctrl`: an HTTP answer.
    pub const HTTP: u8 = 1;
    /// `ctrl`: a JWK Set answer.
    pub const JWKS: u8 = 2;
    /// `ctrl`: a verification answer.
    pub const VERIFIED: u8 = 3;
    /// `ctrl` variant bits.
    pub const fn variant(v: u8) -> u8 {
        (v & 7) << 2
    }
    /// `ctrl` status bits: 4 is 400, 5 401, 6 500, 7 302.
    pub const fn status(s: u8) -> u8 {
        (s & 7) << 5
    }
}

/// How a [`flow`] run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowOutcome {
    /// The code flow signed in.
    SignedIn,
    /// The refresh renewed the session.
    Refreshed,
    /// The flow ended with an error.
    Failed,
    /// The input ran out first (or the steps did).
    Unfinished,
}

/// A flow started from the fixtures and advanced with answers decoded from `data`.
pub fn flow(data: &[u8]) {
    let _ = flow_outcome(data);
}

/// [`flow`], saying how it ended.
pub fn flow_outcome(data: &[u8]) -> FlowOutcome {
    let f = fixtures();
    let flags = data.first().copied().unwrap_or(0);
    let more = data.get(1).copied().unwrap_or(0);
    let mut segments = data.get(2..).unwrap_or_default().split(|b| *b == 0xFF);
    let first = segments.next().unwrap_or_default();
    let now = [NOW, NOW + 30, NOW + 7200, i64::MAX][usize::from((flags >> 5) & 3)];
    let mut config = ClientConfig::new(ISSUER, CLIENT_ID, REDIRECT_URI);
    config.scope = "openid profile offline_access".to_owned();
    config.id_token_signing_algs = if flags & flow_bits::ALL_ALGS != 0 {
        JwsAlg::ALL.to_vec()
    } else {
        vec![JwsAlg::RS256]
    };
    config.check_userinfo_on_refresh = flags & flow_bits::USERINFO != 0;
    config.require_id_token_on_refresh = flags & flow_bits::REQUIRE_ID_TOKEN != 0;
    config.clock_skew_seconds = [60, 0, -5, i64::MAX][usize::from((more >> 4) & 3)];
    let metadata = if more & flow_bits::ISS != 0 {
        &f.metadata_iss
    } else {
        &f.metadata
    };

    if flags & flow_bits::REFRESH == 0 {
        let tx = f
            .transactions
            .get(usize::from(more & 3))
            .cloned()
            .unwrap_or_else(|| f.transactions[0].clone());
        let (params, delivered) = if flags & flow_bits::FUZZED_PARAMS == 0 {
            let params = ResponseParams::from_pairs([
                ("code", "SplxlOBeZQQYbYS6WxSbIA"),
                ("state", STATE),
                ("iss", ISSUER),
            ])
            .expect("distinct names");
            (params, tx.response_mode)
        } else {
            params_of(first)
        };
        let expected_nonce = tx.nonce.clone();
        let expected_app_state = tx.app_state.clone();
        let (mut code_flow, step) = CodeFlow::start(&params, delivered, tx, &config, metadata);
        match drive(
            step,
            |answers, now| code_flow.advance(answers, now),
            &mut segments,
            now,
        ) {
            Some(Ok(signed_in)) => {
                let session = &signed_in.session;
                assert_eq!(
                    signed_in.app_state, expected_app_state,
                    "the app state got lost"
                );
                if let Some(claims) = &session.claims {
                    assert_eq!(claims.iss, ISSUER);
                    assert!(claims.aud.iter().any(|a| a == CLIENT_ID));
                    if expected_nonce.is_some() {
                        assert_eq!(claims.nonce, expected_nonce, "a sign-in with another nonce");
                    }
                } else {
                    assert!(
                        expected_nonce.is_none(),
                        "an openid sign-in without ID token claims"
                    );
                }
                assert_eq!(session.created_at, now);
                session_round_trip(session);
                use_session(session);
                FlowOutcome::SignedIn
            }
            Some(Err(e)) => {
                look_at(&e);
                FlowOutcome::Failed
            }
            None => FlowOutcome::Unfinished,
        }
    } else {
        let mut current = if flags & flow_bits::PLAIN_SESSION != 0 {
            f.session_plain.clone()
        } else {
            f.session.clone()
        };
        if more & flow_bits::NO_REFRESH_TOKEN != 0 {
            current.refresh_token = None;
        }
        let (mut refresh_flow, step) = RefreshFlow::start(current.clone(), &config, metadata);
        match drive(
            step,
            |answers, now| refresh_flow.advance(answers, now),
            &mut segments,
            now,
        ) {
            Some(Ok(renewed)) => {
                if let Some(claims) = &current.claims {
                    let renewed_claims = renewed
                        .claims
                        .as_ref()
                        .expect("a refresh lost the identity");
                    assert_eq!(
                        renewed_claims.sub, claims.sub,
                        "a refresh changed the subject"
                    );
                    assert_eq!(
                        renewed_claims.iss, claims.iss,
                        "a refresh changed the issuer"
                    );
                }
                assert_eq!(renewed.created_at, current.created_at);
                assert_eq!(renewed.created_ms, current.created_ms);
                assert!(
                    renewed.refresh_token.is_some(),
                    "a refresh lost the refresh token"
                );
                session_round_trip(&renewed);
                use_session(&renewed);
                FlowOutcome::Refreshed
            }
            Some(Err(failure)) => {
                look_at(&failure.error);
                if let Some(keep) = &failure.keep {
                    // The OP refused the refresh token itself: kept without it. Otherwise the
                    // kept session holds the token the OP rotated in.
                    let refused = failure.error.code() == "invalid_grant";
                    assert_eq!(
                        keep.refresh_token.is_none(),
                        refused,
                        "kept a session without the rotated token, or kept a refused one"
                    );
                    if let Some(rotated) = &keep.refresh_token {
                        assert!(
                            !current
                                .refresh_token
                                .as_ref()
                                .is_some_and(|old| old.ct_eq(rotated)),
                            "kept a session with the spent refresh token"
                        );
                    }
                    assert!(
                        keep.access_token.ct_eq(&current.access_token),
                        "a refused refresh changed the access token"
                    );
                    assert_eq!(keep.subject(), current.subject());
                    session_round_trip(keep);
                }
                FlowOutcome::Failed
            }
            None => FlowOutcome::Unfinished,
        }
    }
}

/// The authorization response of a fuzzed code flow: a web_message payload, a redirect URL or a
/// query.
fn params_of(segment: &[u8]) -> (ResponseParams, ResponseMode) {
    let text = text(segment);
    if let Ok(payload) = Json::parse(&text) {
        (
            ResponseParams::from_web_message(&payload).unwrap_or_default(),
            ResponseMode::WebMessage,
        )
    } else if text.contains("://") {
        ResponseParams::locate_in_url(&text)
            .unwrap_or((ResponseParams::default(), ResponseMode::Query))
    } else {
        (
            ResponseParams::from_query(&text).unwrap_or_default(),
            ResponseMode::Query,
        )
    }
}

/// Advances a flow until it is done, the segments run out or [`MAX_STEPS`] are taken. A finished
/// flow must refuse a further answer.
fn drive<'a, T, E>(
    mut step: Step<T, E>,
    mut advance: impl FnMut(Vec<Answer>, i64) -> Step<T, E>,
    segments: &mut impl Iterator<Item = &'a [u8]>,
    now: i64,
) -> Option<Result<T, E>> {
    for _ in 0..MAX_STEPS {
        let needs = match step {
            Step::Done(result) => {
                let after = advance(Vec::new(), now);
                assert!(
                    matches!(after, Step::Done(Err(_))),
                    "a finished flow went on"
                );
                return Some(result);
            }
            Step::Need(needs) => needs,
        };
        assert!(!needs.is_empty(), "a flow asked for nothing");
        let mut answers = Vec::with_capacity(needs.len());
        for need in &needs {
            let _ = format!("{need:?}");
            answer(need, segments.next()?, &mut answers);
        }
        step = advance(answers, now);
    }
    None
}

/// The answer one segment gives to `need`.
fn answer(need: &Need, segment: &[u8], answers: &mut Vec<Answer>) {
    let (ctrl, content) = segment
        .split_first()
        .map_or((0, &[][..]), |(c, rest)| (*c, rest));
    let variant = (ctrl >> 2) & 7;
    let natural = ctrl & 3 == 0;
    if natural && variant == 7 {
        return;
    }
    let kind = match (ctrl & 3, need) {
        (0, Need::Http(_)) => 1,
        (0, Need::JwkSet { .. }) => 2,
        (0, Need::Verify(_)) => 3,
        (0, Need::Digest { .. }) => 4,
        (kind, _) => kind,
    };
    let status = [200, 200, 200, 200, 400, 401, 500, 302][usize::from(ctrl >> 5)];
    let answer = match kind {
        1 => Answer::Http(match variant {
            0..=2 => Ok(HttpResponse {
                dpop_nonce: None,
                status,
                body: text(content).into_owned(),
            }),
            3..=5 => Ok(HttpResponse {
                dpop_nonce: None,
                status,
                body: token_body(content),
            }),
            6 => Err(Error::Network("fuzz: connection reset".to_owned())),
            _ => Err(Error::Timeout),
        }),
        2 => Answer::JwkSet(match variant {
            0..=3 => JwkSet::parse(&text(content)),
            4 | 5 => Ok(fixtures().jwks.clone()),
            6 => Err(Error::Network("fuzz: connection reset".to_owned())),
            _ => Ok(JwkSet::default()),
        }),
        4 => Answer::Digest(match (variant, need) {
            (0..=3, Need::Digest { hash, access_token }) => {
                Ok(id_token::digest(*hash, access_token.expose().as_bytes()))
            }
            (4 | 5, _) => Ok(content.to_vec()),
            (6, _) => Err(Error::Crypto("fuzz: no digest".to_owned())),
            _ => Ok(Vec::new()),
        }),
        _ => Answer::Verified(match variant {
            7 => Err(Error::Signature(SignatureError::UnusableKey(
                "fuzz".to_owned(),
            ))),
            v if v % 2 == 1 => Err(Error::Signature(SignatureError::Mismatch)),
            _ => Ok(()),
        }),
    };
    if natural && variant == 6 {
        answers.push(answer.clone());
    }
    answers.push(answer);
}

/// A token response around an ID token minted from the 0xFE-separated parts of `content`.
fn token_body(content: &[u8]) -> String {
    let mut parts = content.split(|b| *b == 0xFE);
    let mut part = || parts.next().filter(|p| !p.is_empty());
    let claims = default_claims();
    let header = part().unwrap_or(DEFAULT_HEADER.as_bytes()).to_vec();
    let payload = part().unwrap_or(claims.as_bytes()).to_vec();
    let signature = part().unwrap_or(b"not a signature").to_vec();
    let access_token = part().map_or(Cow::Borrowed("at-2"), text).into_owned();
    let extra = part().map(|p| text(p).into_owned());
    let id_token = format!(
        "{}.{}.{}",
        Base64UrlUnpadded::encode_string(&header),
        Base64UrlUnpadded::encode_string(&payload),
        Base64UrlUnpadded::encode_string(&signature)
    );
    let mut body = Object::new();
    body.insert("access_token", Json::str(access_token));
    body.insert("token_type", Json::str("Bearer"));
    body.insert("expires_in", Json::int(3600));
    body.insert("refresh_token", Json::str("rt-2"));
    body.insert("id_token", Json::str(id_token));
    if let Some(Ok(Json::Object(members))) = extra.as_deref().map(Json::parse) {
        for (name, value) in members.iter() {
            body.insert(name, value.clone());
        }
    }
    Json::Object(body).to_text()
}

// ---------------------------------------------------------------------------------------------
// Seeds.

/// One seed input: its target, its file name (without the `seed-` prefix) and its bytes.
pub type Seed = (&'static str, String, Vec<u8>);

/// The compact serialisation of a cookbook vector.
fn cookbook_compact(vector: &str) -> String {
    let vector = Json::parse(vector).expect("a cookbook vector");
    vector
        .get("output")
        .and_then(|o| o.get("compact"))
        .and_then(Json::as_str)
        .expect("the vector's compact serialisation")
        .to_owned()
}

// ---------------------------------------------------------------------------------------------
// wire: the machine behind its JSON boundary, as the JavaScript pump drives it.

/// The configuration of the `wire` target when its input gives none.
pub const WIRE_CONFIG: &str = r#"{"issuer":"https://op.example.com","clientId":"spa-client","redirectUri":"https://app.example.com/callback","storage":"local","scope":"openid profile offline_access"}"#;
/// The page the `wire` target's machine runs in.
pub const WIRE_ORIGIN: &str = "https://app.example.com";
/// The commands nobody answers (`Command::answer_kind` is `None`).
pub const WIRE_UNANSWERED: &[&str] = &[
    "release",
    "openChannel",
    "closeChannel",
    "broadcast",
    "handover",
    "close",
    "navigate",
    "replaceUrl",
    "show",
];
/// The longest input sequence the `wire` target runs.
pub const WIRE_MAX_INPUTS: usize = 64;

/// The `wire` target: a [`Wired`] machine takes the input's lines one by one, as the pump hands
/// them in (a line starting with `{"issuer"` first is the configuration instead of
/// [`WIRE_CONFIG`]). Before a line goes in, `@d` (d a digit) becomes the id of an outstanding
/// command (the d-th, modulo how many there are; `0` when none), `$d` the op id of an earlier
/// call, and a call's `op` a fresh id, as the pump numbers them. Time advances a second per
/// line; a `{"t":"timeout"}` line comes at the deadline the machine asked for.
///
/// Checks, besides no panic: a refused configuration is a JSON error with a `code`; every
/// result is `{"out":[..],"timeout":ms|null}`; commands have new, increasing ids; an operation
/// is settled only after it was called, and at most once; `session()` is JSON; and at the end a
/// `dispose` settles every operation still open (nothing is lost).
pub fn wire(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.lines().peekable();
    let config = match lines.peek() {
        Some(line) if line.starts_with(r#"{"issuer""#) => lines.next().unwrap_or(WIRE_CONFIG),
        _ => WIRE_CONFIG,
    };
    let mut wired = match Wired::new(config, WIRE_ORIGIN) {
        Ok(wired) => wired,
        Err(error) => {
            let error = Json::parse(&error).expect("a refused configuration is JSON");
            assert!(
                error.get("code").and_then(Json::as_str).is_some(),
                "a refused configuration has a code: {error:?}"
            );
            return;
        }
    };
    let mut run = WireRun::default();
    for line in lines.take(WIRE_MAX_INPUTS) {
        run.step(&mut wired, line);
    }
    // Dispose settles whatever is still open, except a refresh under the lock that is out at
    // the OP: it (and with it the dispose call) ends once its commands are answered. Every
    // command, old and new, is answered as failed, as a pump's deadline would (the machine
    // drops an answer it does not wait for), until no new command comes.
    run.step(&mut wired, r#"{"t":"call","call":"dispose"}"#);
    let mut answered = 0;
    while answered < run.last_io {
        answered += 1;
        let failed = format!(
            r#"{{"t":"answer","id":{answered},"error":{{"kind":"network","message":"gone"}}}}"#
        );
        run.step(&mut wired, &failed);
    }
    let open: Vec<&u32> = run
        .called
        .iter()
        .filter(|op| !run.settled.contains(op))
        .collect();
    assert!(
        open.is_empty(),
        "operations left open after dispose: {open:?}"
    );
}

/// What the `wire` target knows of the machine it drives.
#[derive(Default)]
pub struct WireRun {
    /// Ms since the epoch.
    pub now: i64,
    /// The machine's last deadline.
    pub timeout: Option<i64>,
    /// Commands that take an answer and have none yet (nor were cancelled), oldest first.
    pub pending: Vec<(u32, Json)>,
    /// The newest command id seen.
    pub last_io: u32,
    /// Ops called, in order.
    pub called: Vec<u32>,
    /// Ops settled.
    pub settled: Vec<u32>,
    /// The last op id handed out.
    pub next_op: u32,
}

impl WireRun {
    /// Hands `line` to `wired` (see [`wire`]) and checks what comes back.
    pub fn step(&mut self, wired: &mut Wired, line: &str) {
        let input = self.prepare(line);
        if line.trim() == r#"{"t":"timeout"}"# {
            self.now = self.now.max(self.timeout.unwrap_or(self.now));
        } else {
            self.now = self.now.saturating_add(1000);
        }
        let result = wired.handle(&input, self.now);
        self.take(&result);
        Json::parse(&wired.session()).expect("session() is JSON");
    }

    /// `line` with its templates filled in (see [`wire`]); a call gets a fresh op id.
    pub fn prepare(&mut self, line: &str) -> String {
        if self.now == 0 {
            self.now = NOW * 1000;
        }
        let mut out = String::with_capacity(line.len());
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            let digit = chars.peek().and_then(|d| d.to_digit(10));
            match (c, digit) {
                ('@', Some(d)) => {
                    chars.next();
                    let id = match self.pending.len() {
                        0 => 0,
                        n => self.pending[d as usize % n].0,
                    };
                    out.push_str(&id.to_string());
                }
                ('$', Some(d)) => {
                    chars.next();
                    let op = match self.called.len() {
                        0 => 0,
                        n => self.called[d as usize % n],
                    };
                    out.push_str(&op.to_string());
                }
                _ => out.push(c),
            }
        }
        let Ok(Json::Object(mut input)) = Json::parse(&out) else {
            return out;
        };
        if input.get("t").and_then(Json::as_str) == Some("call") {
            self.next_op += 1;
            input.insert("op", Json::Number(self.next_op.to_string()));
            self.called.push(self.next_op);
        } else if input.get("t").and_then(Json::as_str) == Some("answer") {
            if let Some(id) = input.get("id").and_then(Json::as_u64) {
                self.pending.retain(|(p, _)| u64::from(*p) != id);
            }
        }
        Json::Object(input).to_text()
    }

    /// Reads one result of `Wired::handle` and checks it.
    pub fn take(&mut self, result: &str) {
        let result = Json::parse(result).expect("a result is JSON");
        self.timeout = match result.get("timeout") {
            Some(Json::Null) => None,
            Some(at) => Some(at.as_i64().expect("a timeout is a whole number")),
            None => panic!("a result has a timeout: {result:?}"),
        };
        let outputs = result
            .get("out")
            .and_then(Json::as_array)
            .expect("a result has outputs");
        for output in outputs {
            if let Some(io) = output.get("io") {
                let io = u32::try_from(io.as_u64().expect("an io id is a number"))
                    .expect("an io id fits a u32");
                assert!(io > self.last_io, "command id {io} after {}", self.last_io);
                self.last_io = io;
                let what = output
                    .get("do")
                    .and_then(Json::as_str)
                    .expect("a command says what to do");
                if !WIRE_UNANSWERED.contains(&what) {
                    self.pending.push((io, output.clone()));
                }
            } else if let Some(cancel) = output.get("cancel") {
                let id = cancel.as_u64().expect("a cancelled id is a number");
                self.pending.retain(|(p, _)| u64::from(*p) != id);
            } else if let Some(done) = output.get("done") {
                let op = u32::try_from(done.as_u64().expect("an op id is a number"))
                    .expect("an op id fits a u32");
                assert!(
                    output.get("ok").is_some() || output.get("error").is_some(),
                    "a result says ok or error: {output:?}"
                );
                if op == 0 {
                    // An input the machine could not read: refused, no operation of its own.
                    continue;
                }
                assert!(self.called.contains(&op), "op {op} settled, never called");
                assert!(!self.settled.contains(&op), "op {op} settled twice");
                self.settled.push(op);
            } else {
                assert!(
                    output.get("event").and_then(Json::as_str).is_some(),
                    "an output is a command, a cancel, a result or an event: {output:?}"
                );
            }
        }
    }
}

/// A `wire` seed: `calls` go in one by one, and after each the oldest outstanding command is
/// answered as an OP and a browser would (`stored_tx` and `stored_session` are what storage
/// holds), until none is left; the lines use the `@0` template, so that the target replays them.
pub fn wire_seed(
    config: Option<&str>,
    calls: &[&str],
    stored_tx: Option<String>,
    stored_session: Option<String>,
) -> Vec<u8> {
    let mut wired =
        Wired::new(config.unwrap_or(WIRE_CONFIG), WIRE_ORIGIN).expect("the wire configuration");
    let mut run = WireRun::default();
    let mut lines: Vec<String> = config.map(str::to_owned).into_iter().collect();
    let string = |text: &str| Json::str(text).to_text();
    let compact = |text: &str| Json::parse(text).expect("JSON").to_text();
    // A DPoP client's tokens are bound to its key (RFC 9449 §5).
    let token_type = if config.is_some_and(|c| c.contains(r#""dpop":true"#)) {
        "DPoP"
    } else {
        "Bearer"
    };
    let token_response = format!(
        r#"{{"access_token":"at-2","token_type":"{token_type}","expires_in":3600,"refresh_token":"rt-2","scope":"openid profile offline_access","id_token":{}}}"#,
        string(&mint(DEFAULT_HEADER, &default_claims(), b"sig"))
    );
    for call in calls {
        let mut line = (*call).to_owned();
        for _ in 0..24 {
            run.step(&mut wired, &line);
            lines.push(line);
            let Some((_, command)) = run.pending.first() else {
                break;
            };
            let what = command.get("do").and_then(Json::as_str).unwrap_or("");
            let url = command.get("url").and_then(Json::as_str).unwrap_or("");
            let key = command.get("key").and_then(Json::as_str).unwrap_or("");
            let answer = match what {
                "fetch" => {
                    let body = if url.ends_with("/.well-known/openid-configuration") {
                        compact(DISCOVERY)
                    } else if url.ends_with("/jwks") {
                        compact(&jwks_text())
                    } else if url.ends_with("/token") {
                        token_response.clone()
                    } else {
                        format!(r#"{{"sub":"{SUBJECT}"}}"#)
                    };
                    format!(r#""http":{{"status":200,"body":{}}}"#, string(&body))
                }
                "read" => {
                    let held = if key.contains(":tx:") {
                        stored_tx.as_deref()
                    } else if key.ends_with(CLIENT_ID) {
                        stored_session.as_deref()
                    } else {
                        None
                    };
                    match held {
                        Some(text) => format!(r#""read":{}"#, string(text)),
                        None => r#""read":null"#.to_owned(),
                    }
                }
                "digest" => format!(r#""digest":"{}""#, "A".repeat(43)),
                "loadKey" => r#""key":null"#.to_owned(),
                "generateKey" => format!(
                    r#""key":{{"kty":"EC","crv":"P-256","x":"{}","y":"{}"}}"#,
                    "E".repeat(43),
                    "I".repeat(43)
                ),
                "sign" => format!(r#""signature":"{}""#, "Q".repeat(86)),
                "keys" => r#""keys":[]"#.to_owned(),
                "look" => r#""look":{"closed":false,"crossOrigin":true}"#.to_owned(),
                _ => r#""ok":true"#.to_owned(),
            };
            line = format!(r#"{{"t":"answer","id":@0,{answer}}}"#);
        }
    }
    lines.join("\n").into_bytes()
}

/// A [`flow`] input.
pub fn flow_input(flags: u8, more: u8, params: &str, answers: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let mut out = vec![flags, more];
    out.extend_from_slice(params.as_bytes());
    for (ctrl, content) in answers {
        out.push(0xFF);
        out.push(*ctrl);
        out.extend_from_slice(content);
    }
    out
}

/// The content of a minted token response: the given parts, 0xFE-separated.
pub fn token_parts(parts: &[&str]) -> Vec<u8> {
    parts
        .iter()
        .map(|p| p.as_bytes().to_vec())
        .collect::<Vec<_>>()
        .join(&0xFE)
}

/// The hand-made seeds of every target (see `fuzz/corpus/<target>/seed-*`), and the outcome each
/// flow seed must reach.
pub fn flow_seeds() -> Vec<(String, Vec<u8>, FlowOutcome)> {
    use flow_bits::*;
    let minted = variant(3);
    let fixed_keys = variant(4);
    let claims = default_claims();
    let rotated_keys = format!(
        r#"{{"keys":[{}]}}"#,
        RSA_JWK.replace(COOKBOOK_KID, "rotated-2024")
    );
    let refreshed_claims = claims.replace(r#","nonce":"n-0S6_WzA2Mj-nonce""#, "");
    let at_hash_claims = claims.replace(
        r#""name":"Jane""#,
        &format!(r#""at_hash":"{}""#, at_hash(JwsAlg::RS256, "at-2")),
    );
    vec![
        ("code-signed-in".into(), flow_input(0, 0, "", &[(minted, vec![]), (fixed_keys, vec![]), (NATURAL, vec![])]), FlowOutcome::SignedIn),
        (
            "code-at-hash-iss-max-age".into(),
            flow_input(0, TX_MAX_AGE | ISS, "", &[(minted, token_parts(&["", &at_hash_claims])), (fixed_keys, vec![]), (NATURAL, vec![])]),
            FlowOutcome::SignedIn,
        ),
        (
            "code-fuzzed-query".into(),
            flow_input(FUZZED_PARAMS, 0, "code=SplxlOBeZQQYbYS6WxSbIA&state=af0ifjsldkj-state-value&session_state=x", &[(minted, vec![]), (fixed_keys, vec![]), (NATURAL, vec![])]),
            FlowOutcome::SignedIn,
        ),
        (
            "code-web-message".into(),
            flow_input(
                FUZZED_PARAMS,
                TX_WEB_MESSAGE,
                r#"{"type":"authorization_response","response":{"code":"c","state":"af0ifjsldkj-state-value","iss":"https://op.example.com"}}"#,
                &[(minted, vec![]), (fixed_keys, vec![]), (NATURAL, vec![])],
            ),
            FlowOutcome::SignedIn,
        ),
        (
            "code-redirect-url-error".into(),
            flow_input(FUZZED_PARAMS, 0, "https://app.example.com/callback?error=access_denied&error_description=no&state=af0ifjsldkj-state-value", &[]),
            FlowOutcome::Failed,
        ),
        (
            "code-unknown-kid-refetch".into(),
            flow_input(
                0,
                0,
                "",
                &[
                    (minted, token_parts(&[r#"{"alg":"RS256","kid":"rotated-2024"}"#])),
                    (fixed_keys, vec![]),
                    (NATURAL, rotated_keys.clone().into_bytes()),
                    (NATURAL, vec![]),
                ],
            ),
            FlowOutcome::SignedIn,
        ),
        (
            "code-no-kid-two-candidates".into(),
            flow_input(
                ALL_ALGS,
                0,
                "",
                &[
                    (minted, token_parts(&[r#"{"alg":"RS256"}"#])),
                    (NATURAL, format!(r#"{{"keys":[{RSA_JWK},{}]}}"#, RSA_JWK.replace(COOKBOOK_KID, "rotated-2024")).into_bytes()),
                    (VERIFIED | variant(1), vec![]),
                    (NATURAL, vec![]),
                ],
            ),
            FlowOutcome::SignedIn,
        ),
        (
            "code-token-error".into(),
            flow_input(0, 0, "", &[(HTTP | status(4), br#"{"error":"invalid_grant","error_description":"expired"}"#.to_vec()), (fixed_keys, vec![])]),
            FlowOutcome::Failed,
        ),
        (
            "code-no-openid-no-id-token".into(),
            flow_input(0, TX_NO_OPENID, "", &[(NATURAL, br#"{"access_token":"at-9","token_type":"bearer","expires_in":"60","scope":"profile api"}"#.to_vec()), (JWKS | variant(6), vec![])]),
            FlowOutcome::SignedIn,
        ),
        (
            "code-late-expired".into(),
            flow_input(LATE, 0, "", &[(minted, vec![]), (fixed_keys, vec![]), (NATURAL, vec![])]),
            FlowOutcome::Failed,
        ),
        (
            "code-answer-dropped".into(),
            flow_input(0, 0, "", &[(minted, vec![]), (variant(7), vec![])]),
            FlowOutcome::Failed,
        ),
        (
            "refresh-renewed".into(),
            flow_input(REFRESH, 0, "", &[(minted, token_parts(&["", &refreshed_claims])), (fixed_keys, vec![]), (NATURAL, vec![])]),
            FlowOutcome::Refreshed,
        ),
        (
            "refresh-userinfo".into(),
            flow_input(
                REFRESH | USERINFO,
                0,
                "",
                &[(minted, token_parts(&["", &refreshed_claims])), (fixed_keys, vec![]), (NATURAL, vec![]), (NATURAL, br#"{"sub":"user-1","name":"Jane","email":"jane@example.com"}"#.to_vec())],
            ),
            FlowOutcome::Refreshed,
        ),
        (
            "refresh-without-id-token".into(),
            flow_input(REFRESH, 0, "", &[(NATURAL, br#"{"access_token":"at-3","token_type":"Bearer","expires_in":300}"#.to_vec())]),
            FlowOutcome::Refreshed,
        ),
        (
            "refresh-required-id-token-missing-keeps-rotated".into(),
            flow_input(REFRESH | REQUIRE_ID_TOKEN, 0, "", &[(NATURAL, br#"{"access_token":"at-3","token_type":"Bearer","refresh_token":"rt-3"}"#.to_vec())]),
            FlowOutcome::Failed,
        ),
        (
            "refresh-signature-mismatch".into(),
            flow_input(REFRESH, 0, "", &[(minted, vec![]), (fixed_keys, vec![]), (VERIFIED | variant(1), vec![])]),
            FlowOutcome::Failed,
        ),
        (
            "refresh-subject-changed".into(),
            flow_input(REFRESH, 0, "", &[(minted, token_parts(&["", &refreshed_claims.replace("user-1", "user-2")])), (fixed_keys, vec![]), (NATURAL, vec![])]),
            FlowOutcome::Failed,
        ),
        (
            "refresh-plain-session".into(),
            flow_input(REFRESH | PLAIN_SESSION, 0, "", &[(NATURAL, br#"{"access_token":"at-4","token_type":"DPoP","expires_in":1e3}"#.to_vec())]),
            FlowOutcome::Refreshed,
        ),
        ("refresh-no-refresh-token".into(), flow_input(REFRESH, NO_REFRESH_TOKEN, "", &[]), FlowOutcome::Failed),
        (
            "refresh-timeout".into(),
            flow_input(REFRESH, 0, "", &[(HTTP | variant(7), vec![])]),
            FlowOutcome::Failed,
        ),
    ]
}

/// Every seed of every target.
pub fn seeds() -> Vec<Seed> {
    let f = fixtures();
    let mut out: Vec<Seed> = Vec::new();
    let mut add = |target: &'static str, name: &str, bytes: Vec<u8>| {
        out.push((target, name.to_owned(), bytes))
    };
    seeds_into(&mut add, f);
    out
}

fn seeds_into(add: &mut impl FnMut(&'static str, &str, Vec<u8>), f: &Fixtures) {
    let cookbook = [
        ("rs256", JWS_RS256),
        ("ps384", JWS_PS384),
        ("es512", JWS_ES512),
        ("ed25519", JWS_ED25519),
    ];
    let claims = default_claims();
    let minted = mint(DEFAULT_HEADER, &claims, b"sig");

    // wire
    let entropy = format!(r#","entropy":"{}""#, "q".repeat(128));
    let create = r#"{"t":"call","call":"create"}"#;
    let tx = stored::transaction_to_text(&f.transactions[0]);
    let session = stored::session_to_text(&f.session);
    let call = |name: &str, more: &str| format!(r#"{{"t":"call","call":"{name}"{more}}}"#);
    let callback = call(
        "handleRedirectCallback",
        &format!(
            r#","url":"{REDIRECT_URI}?code=SplxlOBeZQQYbYS6WxSbIA&state={STATE}","fromLocation":true"#
        ),
    );
    let dpop_config =
        WIRE_CONFIG.replace(r#""storage":"local""#, r#""storage":"local","dpop":true"#);
    let resource = |name: &str| {
        call(
            name,
            r#","method":"GET","url":"https://api.example.com/v1/me""#,
        )
    };
    let wire_seeds: [(&str, Vec<String>, bool, bool); 8] = [
        ("create", vec![create.into()], false, false),
        (
            "create-signed-in",
            vec![
                create.into(),
                r#"{"t":"timeout"}"#.into(),
                r#"{"t":"page","event":"visible"}"#.into(),
            ],
            false,
            true,
        ),
        (
            "signin-redirect",
            vec![create.into(), call("signinRedirect", &entropy)],
            false,
            false,
        ),
        (
            "signin-popup",
            vec![
                create.into(),
                call("signinPopup", &entropy),
                r#"{"t":"timeout"}"#.into(),
                r#"{"t":"timeout"}"#.into(),
            ],
            false,
            false,
        ),
        (
            "signin-silent",
            vec![
                create.into(),
                call("signinSilent", &entropy),
                r#"{"t":"timeout"}"#.into(),
            ],
            false,
            true,
        ),
        (
            "callback",
            vec![create.into(), callback.clone()],
            true,
            false,
        ),
        (
            "refresh-and-token",
            vec![
                create.into(),
                call("refresh", ""),
                call("getAccessToken", ""),
            ],
            false,
            true,
        ),
        (
            "signout",
            vec![
                create.into(),
                call("signoutRedirect", &entropy),
                call("signOutLocally", ""),
            ],
            false,
            true,
        ),
    ];
    for (name, calls, with_tx, with_session) in wire_seeds {
        let calls: Vec<&str> = calls.iter().map(String::as_str).collect();
        let seed = wire_seed(
            None,
            &calls,
            with_tx.then(|| tx.clone()),
            with_session.then(|| session.clone()),
        );
        add("wire", name, seed);
    }
    add(
        "wire",
        "dpop",
        wire_seed(
            Some(&dpop_config),
            &[
                // With DPoP, create draws the seed of every jti from its entropy.
                &call("create", &entropy),
                &callback,
                &resource("resourceHeaders"),
                r#"{"t":"call","call":"resourceAnswer","method":"GET","url":"https://api.example.com/v1/me","status":401,"wwwAuthenticate":"DPoP error=\"use_dpop_nonce\"","dpopNonce":"n-1"}"#,
                &resource("dpopProof"),
                &call("refresh", ""),
            ],
            Some(tx.clone()),
            None,
        ),
    );
    add(
        "wire",
        "unread-inputs",
        [
            create,
            "not json",
            r#"{"t":"answer","id":999,"ok":true}"#,
            r#"{"t":"answer","id":@0,"error":{"kind":"network","message":"offline"}}"#,
            r#"{"t":"page","event":"resume"}"#,
            r#"{"t":"tab","data":{"type":"session"}}"#,
            r#"{"t":"tab","data":{"type":"signedOut"}}"#,
            r#"{"t":"message","origin":"https://op.example.com","source":1,"data":{"type":"authorization_response","response":{"code":"x","state":"y"}}}"#,
            r#"{"t":"handover","op":$0,"data":{"code":"x"}}"#,
            r#"{"t":"call","call":"signinPopup","options":{"scope":7}}"#,
            r#"{"t":"call","call":"nope"}"#,
            r#"{"t":"timeout"}"#,
        ]
        .join("\n")
        .into_bytes(),
    );
    add(
        "wire",
        "config-refused",
        br#"{"issuer":"http://op.example.com","clientId":1,"redirectUri":"x"}"#.to_vec(),
    );

    // json
    add("json", "discovery", DISCOVERY.into());
    add("json", "jwks", jwks_text().into_bytes());
    add("json", "numbers", br#"[0,-0,1700000000,1700000000.9,1.7e9,17E+8,-12.5,5e-1,9223372036854775807,-9223372036854775808,9223372036854775808,1e400,0e2147483647,1e-2147483648,0.000001e7]"#.to_vec());
    add(
        "json",
        "strings",
        r#"{"a":"x\"\\\/\b\f\n\r\t","u":"\u00e9\ud83d\ude00\u0000","raw":"é😀"}"#.into(),
    );
    add(
        "json",
        "nested",
        format!("{}{}", "[{\"a\":".repeat(20), "null}]".repeat(20)).into_bytes(),
    );
    add(
        "json",
        "literals",
        b" \t\r\n{\"t\":true,\"f\":false,\"n\":null,\"e\":{},\"l\":[]} ".to_vec(),
    );

    // authorization_response
    for (name, text) in [
        ("query", format!("?code=SplxlOBeZQQYbYS6WxSbIA&state={STATE}")),
        ("query-iss", format!("code=SplxlOBeZQQYbYS6WxSbIA&state={STATE}&iss=https%3A%2F%2Fop.example.com&session_state=abc.def")),
        ("fragment", format!("#code=SplxlOBeZQQYbYS6WxSbIA&state={STATE}")),
        ("url-query", format!("{REDIRECT_URI}?tab=2&code=SplxlOBeZQQYbYS6WxSbIA&state={STATE}#keep")),
        ("url-fragment", format!("{REDIRECT_URI}?tab=2#code=SplxlOBeZQQYbYS6WxSbIA&state={STATE}")),
        ("url-error", format!("{REDIRECT_URI}?error=login_required&error_description=Login+required&error_uri=https%3A%2F%2Fop.example.com%2Ferr&state={STATE}")),
        ("repeated", format!("code=a&code=b&state={STATE}")),
        ("form-post", format!("code=SplxlOBeZQQYbYS6WxSbIA&state={STATE}&iss=https%3A%2F%2Fop.example.com")),
        ("form-post-id", format!("{REDIRECT_URI}?oidc_form_post=0b1c2d&x=1")),
        ("web-message", format!(r#"{{"type":"authorization_response","response":{{"code":"SplxlOBeZQQYbYS6WxSbIA","state":"{STATE}","iss":"{ISSUER}"}}}}"#)),
        ("web-message-error", format!(r#"{{"type":"authorization_response","response":{{"error":"interaction_required","error_description":null,"state":"{STATE}"}}}}"#)),
        ("callback-page", format!(r#"{{"type":"oidc-rp-wasm:callback","url":"{REDIRECT_URI}?code=c&state={STATE}"}}"#)),
        ("handover", format!(r#"{{"type":"oidc-rp-wasm:callback","state":"{STATE}","url":"{REDIRECT_URI}#code=c&state={STATE}"}}"#)),
        ("handover-form-post", format!(r#"{{"type":"oidc-rp-wasm:callback","state":"{STATE}","url":"{REDIRECT_URI}?oidc_form_post=0b1c2d","formPost":"code=c&state={STATE}&iss=https%3A%2F%2Fop.example.com"}}"#)),
        ("encoded", "code=%E2%82%AC+%ZZ&state=%00&=&&a=b=c".to_owned()),
    ] {
        add("authorization_response", name, text.into_bytes());
    }

    // token_response: the first byte picks the status (< 0x80: 200).
    let with_status = |status: u8, body: &str| {
        let mut bytes = vec![status];
        bytes.extend_from_slice(body.as_bytes());
        bytes
    };
    add(
        "token_response",
        "id-token",
        with_status(
            0,
            &format!(
                r#"{{"access_token":"SlAV32hkKG","token_type":"Bearer","refresh_token":"8xLOxBtZp8","expires_in":3600,"id_token":"{minted}","scope":"openid profile"}}"#
            ),
        ),
    );
    add(
        "token_response",
        "no-id-token",
        with_status(
            0,
            r#"{"access_token":"at","token_type":"bearer","expires_in":"3600"}"#,
        ),
    );
    add(
        "token_response",
        "dpop-fraction",
        with_status(
            0,
            r#"{"access_token":"at","token_type":"DPoP","expires_in":1.5e3,"refresh_token":null,"scope":""}"#,
        ),
    );
    add(
        "token_response",
        "huge-expiry",
        with_status(
            0,
            r#"{"access_token":"at","token_type":"Bearer","expires_in":99999999999999999999999}"#,
        ),
    );
    add(
        "token_response",
        "negative-expiry",
        with_status(
            0,
            r#"{"access_token":"at","token_type":"Bearer","expires_in":-1}"#,
        ),
    );
    add(
        "token_response",
        "error-400",
        with_status(
            0x80,
            r#"{"error":"invalid_grant","error_description":"The refresh token expired","error_uri":"https://op.example.com/e"}"#,
        ),
    );
    add(
        "token_response",
        "error-in-200",
        with_status(0, r#"{"error":"invalid_request"}"#),
    );
    add(
        "token_response",
        "html-500",
        with_status(0x83, "<html><body>Bad gateway</body></html>"),
    );
    add(
        "token_response",
        "mac",
        with_status(0, r#"{"access_token":"at","token_type":"mac"}"#),
    );

    // id_token: compact tokens as text; with 0xFF bytes, raw parts the harness encodes.
    for (name, vector) in cookbook {
        add(
            "id_token",
            &format!("cookbook-{name}"),
            cookbook_compact(vector).into_bytes(),
        );
    }
    add("id_token", "minted", minted.clone().into_bytes());
    let parts =
        |header: &str, payload: &str| [header.as_bytes(), payload.as_bytes(), b"sig"].join(&0xFF);
    add("id_token", "parts-default", parts(DEFAULT_HEADER, &claims));
    add(
        "id_token",
        "parts-multi-aud",
        parts(
            r#"{"alg":"ES256"}"#,
            &format!(
                r#"{{"iss":"{ISSUER}","sub":"u","aud":["{CLIENT_ID}","other"],"azp":"{CLIENT_ID}","exp":1.7000006e9,"iat":1700000000,"nbf":1699999999,"amr":["pwd","mfa"],"at_hash":"{}"}}"#,
                at_hash(JwsAlg::ES256, "at-1")
            ),
        ),
    );
    add(
        "id_token",
        "parts-crit",
        parts(r#"{"alg":"RS256","crit":["b64"],"b64":false}"#, &claims),
    );
    add(
        "id_token",
        "parts-none",
        parts(r#"{"alg":"none"}"#, &claims),
    );
    add(
        "id_token",
        "jwe",
        b"eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d".to_vec(),
    );

    // jwks
    add("jwks", "cookbook", jwks_text().into_bytes());
    add("jwks", "mixed", format!(r#"{{"keys":[{{"kty":"oct","k":"c2VjcmV0"}},{{"kty":"RSA","use":"enc","n":"AQAB","e":"AQAB"}},{{"kty":"EC","crv":"P-256","kid":"p256","key_ops":["verify"],"alg":"ES256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}},{{"kty":"RSA","kid":"small","n":"AQAB","e":"AQAB"}},{{"kty":"OKP","crv":"X25519","x":"AA"}},"not a key",{EC_JWK}]}}"#).into_bytes());
    add("jwks", "empty", br#"{"keys":[]}"#.to_vec());
    add("jwks", "key-ops-sign", br#"{"keys":[{"kty":"EC","crv":"P-384","key_ops":["sign"],"x":"AA","y":"AA"},{"kty":"EC","crv":"P-384","kid":7}]}"#.to_vec());

    // metadata
    add("metadata", "complete", DISCOVERY.into());
    add("metadata", "minimal", format!(r#"{{"issuer":"{ISSUER}","authorization_endpoint":"{ISSUER}/a?x=1","token_endpoint":"{ISSUER}/t","jwks_uri":"{ISSUER}/k","response_types_supported":["code"],"id_token_signing_alg_values_supported":["RS256"]}}"#).into_bytes());
    add("metadata", "other-issuer", br#"{"issuer":"https://login.example.org/tenant/v2.0/","authorization_endpoint":"HTTPS://login.example.org/authorize","token_endpoint":"http://localhost:8080/token","jwks_uri":"https://login.example.org/keys","end_session_endpoint":null,"response_types_supported":["code","id_token"],"response_modes_supported":["query","form_post"],"code_challenge_methods_supported":["plain","S256"],"id_token_signing_alg_values_supported":["RS256"],"authorization_response_iss_parameter_supported":true}"#.to_vec());
    add("metadata", "bad-endpoint", format!(r#"{{"issuer":"{ISSUER}","authorization_endpoint":"/authorize","token_endpoint":"{ISSUER}/t#f","jwks_uri":"https:// x","response_types_supported":["token"],"id_token_signing_alg_values_supported":[]}}"#).into_bytes());

    // userinfo
    add("userinfo", "claims", format!(r#"{{"sub":"{SUBJECT}","name":"Jane Doe","email":"jane@example.com","email_verified":true,"address":{{"country":"NZ"}},"updated_at":1700000000}}"#).into_bytes());
    add("userinfo", "other-sub", br#"{"sub":"user-2"}"#.to_vec());
    add("userinfo", "sub-number", br#"{"sub":1}"#.to_vec());
    add("userinfo", "jwt", minted.clone().into_bytes());

    // logout
    for (name, text) in [
        ("url", format!("{POST_LOGOUT_URI}?state={STATE}")),
        ("query", format!("?state={STATE}&extra=1")),
        ("bare-query", format!("state={STATE}")),
        ("fragment", format!("{POST_LOGOUT_URI}?a=1#state={STATE}")),
        (
            "repeated",
            format!("{POST_LOGOUT_URI}?state={STATE}&state={STATE}"),
        ),
        ("no-query", POST_LOGOUT_URI.to_owned()),
        (
            "other-state",
            format!("{POST_LOGOUT_URI}?state=other-logout-state"),
        ),
    ] {
        add("logout", name, text.into_bytes());
    }

    // stored: what core::stored writes.
    add(
        "stored",
        "session",
        stored::session_to_text(&f.session).into_bytes(),
    );
    add(
        "stored",
        "session-plain",
        stored::session_to_text(&f.session_plain).into_bytes(),
    );
    for (i, tx) in f.transactions.iter().enumerate() {
        add(
            "stored",
            &format!("transaction-{i}"),
            stored::transaction_to_text(tx).into_bytes(),
        );
    }
    add(
        "stored",
        "logout",
        stored::logout_to_text(&f.logouts[0]).into_bytes(),
    );
    add(
        "stored",
        "session-float-dates",
        stored::session_to_text(&f.session)
            .replace(&format!("{}", NOW - 3600), "1.6999964e9")
            .into_bytes(),
    );

    // flow
    for (name, bytes, _) in flow_seeds() {
        add("flow", &name, bytes);
    }
}
