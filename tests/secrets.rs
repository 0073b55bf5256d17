//! No secret in any rendering: every public type that can hold a refresh token, an access token,
//! an authorization code, a code verifier, a raw ID token or a client secret is rendered with
//! `{:?}`, `{:#?}` and, where it has one, `{}` — alone and inside the values that carry it (token
//! requests and responses, sessions, transactions, flow needs, answers, steps and outcomes, the
//! flows themselves) — and so is every error produced along the way. None of the outputs may
//! contain one of the distinctive secret values below, nor the raw ID tokens, their signature
//! parts or their signing inputs.
//!
//! Each test also checks that the value rendered really holds the secret (a request body, a
//! session field), so that a clean output means redaction, not an empty value.
//!
//! By design, the OP's own text (`error`, `error_description`, `error_uri`) passes through to
//! errors: [`op_text_passes_through_but_token_members_never_do`] pins that down, and that the
//! token members of the same body do not pass.

mod common;

use common::{claims, claims_with, jwk_set, mint, provider_metadata, public_jwk, Key};
use common::{CLIENT_ID, ISSUER, NONCE, NOW};
use oidc_rp_wasm::core::alg::{HashAlg, JwsAlg};
use oidc_rp_wasm::core::authorize::{AuthorizationRequest, ResponseMode, Transaction};
use oidc_rp_wasm::core::config::{AuthorizeOptions, ClientConfig, IdTokenHint, LogoutOptions};
use oidc_rp_wasm::core::flow::access::{decide, AccessDecision};
use oidc_rp_wasm::core::flow::code::{CodeFlow, SignedIn};
use oidc_rp_wasm::core::flow::refresh::{under_lock, RefreshFailure, RefreshFlow};
use oidc_rp_wasm::core::flow::silent::SilentPlan;
use oidc_rp_wasm::core::flow::{Answer, HttpRequest, HttpResponse, Need, Step};
use oidc_rp_wasm::core::id_token::{IdToken, IdTokenChecks};
use oidc_rp_wasm::core::json::{Json, Object};
use oidc_rp_wasm::core::jwks::JwkSet;
use oidc_rp_wasm::core::jws::{CompactJws, SignatureCheck};
use oidc_rp_wasm::core::metadata::ProviderMetadata;
use oidc_rp_wasm::core::pkce::CodeVerifier;
use oidc_rp_wasm::core::response::{process_authorization_response, ResponseParams};
use oidc_rp_wasm::core::secret::{
    AccessToken, AuthorizationCodeValue, ClientSecret, RawIdToken, RefreshToken, Secret,
};
use oidc_rp_wasm::core::session::Session;
use oidc_rp_wasm::core::token::{
    code_exchange_body, parse_token_response, refresh_body, TokenRequest, TokenResponse,
};
use oidc_rp_wasm::error::{Error, SignatureError};
use serde_json::json;
use std::fmt;
use std::sync::OnceLock;

const RT: &str = "rt-SECRET-1";
const AT: &str = "at-SECRET-2";
const CODE: &str = "code-SECRET-3";
const CS: &str = "cs-SECRET-4";
/// A valid PKCE verifier (RFC 7636 §4.1: 43 to 128 unreserved characters).
const VERIFIER: &str = "vf-SECRET-5-0123456789abcdefghijklmnopqrstuvwxyz_ABCDEFGH~";
/// The refresh and access tokens of the refresh response.
const RT2: &str = "rt-SECRET-6";
const AT2: &str = "at-SECRET-7";
/// A client secret used only as a scope value or an extra parameter value (it must not echo).
const CS2: &str = "cs-SECRET-8";

const REDIRECT_URI: &str = "https://app.example.com/cb";
const STATE: &str = "st-opaque-state";

/// The ID tokens of the sign-in and of the refresh, minted (EdDSA, kid `ed-1`) once.
struct Tokens {
    raw: String,
    raw2: String,
}

fn tokens() -> &'static Tokens {
    static TOKENS: OnceLock<Tokens> = OnceLock::new();
    TOKENS.get_or_init(|| Tokens {
        raw: mint("EdDSA", Some("ed-1"), &claims(), Key::Ed25519),
        // §12.2: same iss, sub, aud, auth_time; no nonce.
        raw2: mint(
            "EdDSA",
            Some("ed-1"),
            &claims_with(json!({"nonce": null, "iat": NOW})),
            Key::Ed25519,
        ),
    })
}

/// Every value no output may contain, with a label for the failure message.
fn secrets() -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = [
        ("refresh token", RT),
        ("access token", AT),
        ("authorization code", CODE),
        ("client secret", CS),
        ("code verifier", VERIFIER),
        ("rotated refresh token", RT2),
        ("second access token", AT2),
        ("client secret in a parameter", CS2),
    ]
    .iter()
    .map(|(label, value)| (label.to_string(), value.to_string()))
    .collect();
    for (which, raw) in [
        ("ID token", &tokens().raw),
        ("refreshed ID token", &tokens().raw2),
    ] {
        let (signing_input, signature) = raw.rsplit_once('.').unwrap();
        all.push((format!("raw {which}"), raw.clone()));
        all.push((format!("{which} signature"), signature.to_owned()));
        all.push((format!("{which} signing input"), signing_input.to_owned()));
    }
    all
}

fn assert_no_secret(what: &str, output: &str) {
    for (label, secret) in secrets() {
        assert!(
            !output.contains(&secret),
            "{what} shows the {label} `{secret}`:\n{output}"
        );
    }
}

// `{}` for the types that have `Display`, nothing for the others (autoref specialisation: the
// method of `ViaDisplay` is found first, and only applies when `T: Display`).
struct Probe<'a, T: ?Sized>(&'a T);

trait ViaDisplay {
    fn display(&self) -> Option<String>;
}

impl<T: fmt::Display + ?Sized> ViaDisplay for Probe<'_, T> {
    fn display(&self) -> Option<String> {
        Some(self.0.to_string())
    }
}

trait WithoutDisplay {
    fn display(&self) -> Option<String>;
}

impl<T: ?Sized> WithoutDisplay for &Probe<'_, T> {
    fn display(&self) -> Option<String> {
        None
    }
}

/// Renders `$value` with `{:?}`, `{:#?}` and `{}` (when it has `Display`), asserts that no
/// secret shows, and gives the renderings back.
macro_rules! assert_redacted {
    ($what:expr, $value:expr) => {{
        let value = &$value;
        let mut outputs = vec![format!("{:?}", value), format!("{:#?}", value)];
        if let Some(shown) = (&Probe(value)).display() {
            outputs.push(shown);
        }
        for output in &outputs {
            assert_no_secret($what, output);
        }
        outputs
    }};
}

/// Renders an error every way it reaches an app: `{:?}`, `{}`, and its code, reason,
/// description and URI (what the JS `Error` carries).
fn assert_error_redacted(what: &str, error: &Error) {
    let outputs = assert_redacted!(what, error);
    assert_eq!(outputs.len(), 3, "Error has Display: {outputs:?}");
    let parts = format!(
        "{} {:?} {:?} {:?}",
        error.code(),
        error.reason(),
        error.description(),
        error.uri()
    );
    assert_no_secret(what, &parts);
}

fn metadata() -> ProviderMetadata {
    ProviderMetadata {
        userinfo_endpoint: Some(format!("{ISSUER}/userinfo")),
        end_session_endpoint: Some(format!("{ISSUER}/logout")),
        id_token_signing_alg_values_supported: vec!["EdDSA".into()],
        ..provider_metadata(ISSUER)
    }
}

fn config() -> ClientConfig {
    let mut config = ClientConfig::new(ISSUER, CLIENT_ID, REDIRECT_URI);
    config.id_token_signing_algs = vec![JwsAlg::EdDSA];
    config.check_userinfo_on_refresh = true;
    config.scope = "openid offline_access".into();
    config
}

fn keys() -> JwkSet {
    JwkSet::parse(&jwk_set(&[public_jwk(Key::Ed25519, Some("ed-1"))])).unwrap()
}

#[cfg(feature = "rust-crypto")]
fn verify(check: &SignatureCheck) -> Result<(), Error> {
    oidc_rp_wasm::core::jws::verify_rust_crypto(check)
}

/// Without `rust-crypto` the test plays WebCrypto and says the signature verified.
#[cfg(not(feature = "rust-crypto"))]
fn verify(_check: &SignatureCheck) -> Result<(), Error> {
    Ok(())
}

fn verifier() -> CodeVerifier {
    CodeVerifier::new(VERIFIER).unwrap()
}

fn transaction() -> Transaction {
    let (_, tx) = AuthorizationRequest::new(CLIENT_ID, REDIRECT_URI)
        .scope("openid offline_access")
        .build_with(&metadata(), NOW, STATE.into(), NONCE.into(), verifier())
        .unwrap();
    tx
}

fn token_body(access: &str, refresh: &str, id_token: &str) -> String {
    json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": 3600,
        "refresh_token": refresh,
        "id_token": id_token,
        "scope": "openid offline_access",
    })
    .to_string()
}

fn http(status: u16, body: String) -> Answer {
    Answer::Http(Ok(HttpResponse {
        dpop_nonce: None,
        status,
        body,
    }))
}

/// The session of a completed code flow: RT, AT and the first ID token.
fn session() -> Session {
    let token = IdToken::parse(&tokens().raw).unwrap();
    let response = parse_token_response(200, &token_body(AT, RT, &tokens().raw)).unwrap();
    Session::from_code_exchange(response, Some(token), "openid", NOW).unwrap()
}

fn body_has(body: &str, name: &str, value: &str) -> bool {
    form_urlencoded::parse(body.as_bytes()).any(|(k, v)| k == name && v == value)
}

// ---------------------------------------------------------------------------------------------

#[test]
fn secret_newtypes_never_show_their_value() {
    let secret = Secret::new(RT);
    let refresh = RefreshToken::new(RT);
    let access = AccessToken::new(AT);
    let code = AuthorizationCodeValue::new(CODE);
    let raw = RawIdToken::new(tokens().raw.as_str());
    let client_secret = ClientSecret::new(CS);
    assert_eq!(
        (secret.expose(), refresh.expose(), access.expose()),
        (RT, RT, AT)
    );
    assert_eq!(
        (code.expose(), raw.expose(), client_secret.expose()),
        (CODE, tokens().raw.as_str(), CS)
    );

    let outputs = [
        assert_redacted!("Secret", secret),
        assert_redacted!("RefreshToken", refresh),
        assert_redacted!("AccessToken", access),
        assert_redacted!("AuthorizationCodeValue", code),
        assert_redacted!("RawIdToken", raw),
        assert_redacted!("ClientSecret", client_secret),
    ];
    // None of them has `Display` (the module's promise): only the two `Debug` renderings.
    assert!(outputs.iter().all(|o| o.len() == 2), "{outputs:?}");
    assert!(outputs.iter().flatten().all(|o| o.contains("[redacted]")));

    // Inside containers, and cloned.
    assert_redacted!("Option<RefreshToken>", Some(refresh.clone()));
    assert_redacted!("Vec<AccessToken>", vec![access.clone(), access]);
    assert_redacted!("(RawIdToken, ClientSecret)", (raw, client_secret.clone()));
}

#[test]
fn the_code_verifier_and_its_errors() {
    let verifier = verifier();
    assert_eq!(verifier.expose(), VERIFIER);
    assert_redacted!("CodeVerifier", verifier);
    assert!(!verifier.challenge().contains(VERIFIER));

    for bad in [
        format!("{VERIFIER}!"),
        format!("{VERIFIER} "),
        VERIFIER.repeat(3),
        VERIFIER[..42].to_owned(),
    ] {
        let error = CodeVerifier::new(bad.as_str()).unwrap_err();
        assert_error_redacted("CodeVerifier::new error", &error);
        assert!(!error.to_string().contains(&bad));
    }
}

#[test]
fn token_requests_and_the_http_requests_carrying_them() {
    let client_secret = ClientSecret::new(CS);
    let refresh = RefreshToken::new(RT);

    let exchange = TokenRequest::code_exchange(
        CLIENT_ID,
        CODE,
        REDIRECT_URI,
        &verifier(),
        Some(&client_secret),
    );
    assert!(body_has(exchange.body(), "code", CODE));
    assert!(body_has(exchange.body(), "code_verifier", VERIFIER));
    assert!(body_has(exchange.body(), "client_secret", CS));
    assert_redacted!("TokenRequest (code exchange)", exchange);

    let renewal = TokenRequest::refresh(CLIENT_ID, &refresh, Some("openid"), Some(&client_secret));
    assert!(body_has(renewal.body(), "refresh_token", RT));
    assert_redacted!("TokenRequest (refresh)", renewal);

    let body = refresh_body(CLIENT_ID, &refresh, None, Some(&client_secret));
    let post = HttpRequest::post_form(format!("{ISSUER}/token"), body.clone(), 5_000).bearer(AT);
    assert_eq!(post.body.as_deref(), Some(body.as_str()));
    assert!(post
        .headers
        .iter()
        .any(|(name, value)| *name == "Authorization" && value == &format!("Bearer {AT}")));
    assert_redacted!("HttpRequest (refresh_token body, Bearer header)", post);
    assert_redacted!("Need::Http", Need::Http(post.clone()));
    assert_redacted!(
        "Need::JwkSet",
        Need::JwkSet {
            request: post.clone(),
            refetch: true
        }
    );
    assert_redacted!("Step::Need", Step::<Session>::Need(vec![Need::Http(post)]));

    let code_body = code_exchange_body(CLIENT_ID, CODE, REDIRECT_URI, &verifier(), None);
    let get = HttpRequest::get(format!("{ISSUER}/userinfo"), 5_000).bearer(AT);
    assert_redacted!("HttpRequest (GET, Bearer)", get);
    assert_redacted!(
        "HttpRequest (code exchange)",
        HttpRequest::post_form(format!("{ISSUER}/token"), code_body, 5_000)
    );
}

#[test]
fn token_responses_and_the_http_responses_carrying_them() {
    let body = token_body(AT, RT, &tokens().raw);
    let response = parse_token_response(200, &body).unwrap();
    assert_eq!(response.access_token.expose(), AT);
    assert_eq!(
        response.refresh_token.as_ref().map(RefreshToken::expose),
        Some(RT)
    );
    assert_redacted!("TokenResponse", response);
    assert_redacted!(
        "Result<TokenResponse, Error>",
        parse_token_response(200, &body)
    );

    let http_response = HttpResponse {
        dpop_nonce: None,
        status: 200,
        body,
    };
    assert_redacted!("HttpResponse (token body)", http_response);
    assert_redacted!("Answer::Http", Answer::Http(Ok(http_response)));
}

/// Token endpoint answers with the tokens where they do not belong, mistyped, or around a
/// syntax error: the errors name the field, never its value, and never the body.
#[test]
fn token_response_errors_never_echo_a_token() {
    let raw = tokens().raw.as_str();
    let odd: Vec<(u16, String)> = vec![
        (200, json!({"access_token": AT, "refresh_token": RT, "id_token": raw, "token_type": "mac"}).to_string()),
        (200, json!({"access_token": [AT], "token_type": "Bearer", "refresh_token": RT}).to_string()),
        (200, json!({"access_token": {"v": AT}, "token_type": "Bearer"}).to_string()),
        (200, json!({"access_token": "", "token_type": "Bearer", "refresh_token": RT}).to_string()),
        (200, json!({"token_type": "Bearer", "refresh_token": RT, "id_token": raw}).to_string()),
        (200, json!({"access_token": AT, "token_type": [AT]}).to_string()),
        (200, json!({"access_token": AT, "refresh_token": RT}).to_string()),
        (200, json!({"access_token": AT, "token_type": "Bearer", "refresh_token": {"v": RT}}).to_string()),
        (200, json!({"access_token": AT, "token_type": "Bearer", "refresh_token": [RT]}).to_string()),
        (200, json!({"access_token": AT, "token_type": "Bearer", "refresh_token": RT, "id_token": [raw]}).to_string()),
        (200, json!({"access_token": AT, "token_type": "Bearer", "id_token": {"jwt": raw}}).to_string()),
        (200, json!({"access_token": AT, "token_type": "Bearer", "refresh_token": RT, "expires_in": RT}).to_string()),
        (200, json!({"access_token": AT, "token_type": "Bearer", "refresh_token": RT, "expires_in": -1}).to_string()),
        (200, json!({"access_token": AT, "token_type": "Bearer", "expires_in": [AT]}).to_string()),
        (200, json!({"access_token": AT, "token_type": "Bearer", "scope": {"x": RT}}).to_string()),
        (200, format!(r#"{{"access_token":"{AT}","access_token":"{AT}","token_type":"Bearer"}}"#)),
        (200, format!(r#"{{"access_token":"{AT}","refresh_token":"{RT}","#)),
        (200, format!(r#"{{"access_token":"{AT}\q","refresh_token":"{RT}"}}"#)),
        (200, format!(r#"{{"refresh_token":"{RT}","x":1e99999999999999999999,"y":}}"#)),
        (200, format!("access_token={AT}&refresh_token={RT}&id_token={raw}")),
        (200, format!(r#""{AT}""#)),
        (200, format!(r#"["{AT}","{RT}","{raw}"]"#)),
        (200, String::new()),
        (400, json!({"error": "invalid_grant", "refresh_token": RT, "access_token": AT, "id_token": raw}).to_string()),
        (200, json!({"error": "invalid_request", "refresh_token": RT, "id_token": raw}).to_string()),
        (400, json!({"error": [RT], "access_token": AT}).to_string()),
        (401, format!("refresh_token={RT}&client_secret={CS}")),
        (500, format!("<html>{AT} {RT} {raw} {CODE} {VERIFIER}</html>")),
        (302, json!({"access_token": AT, "token_type": "Bearer", "refresh_token": RT}).to_string()),
    ];
    for (status, body) in &odd {
        let error = parse_token_response(*status, body).unwrap_err();
        assert_error_redacted(&format!("parse_token_response({status}, {body})"), &error);
    }
}

/// The OP's own words reach the app as they are (`error`, `error_description`, `error_uri`:
/// RFC 6749 §5.2), by design; the token members of the same body never do.
#[test]
fn op_text_passes_through_but_token_members_never_do() {
    let body = json!({
        "error": "invalid_grant",
        "error_description": "the grant was revoked (the OP's words)",
        "error_uri": "https://op.example.com/errors/invalid_grant",
        "refresh_token": RT,
        "access_token": AT,
    })
    .to_string();
    for status in [200, 400] {
        let body = if status == 200 {
            body.replace(&format!(r#""access_token":"{AT}""#), r#""x":0"#)
        } else {
            body.clone()
        };
        let error = parse_token_response(status, &body).unwrap_err();
        assert_eq!(error.code(), "invalid_grant");
        assert!(error
            .to_string()
            .contains("the grant was revoked (the OP's words)"));
        assert_eq!(
            error.uri(),
            Some("https://op.example.com/errors/invalid_grant")
        );
        assert_error_redacted("OP error response", &error);
    }
}

#[test]
fn the_transaction_and_the_authorization_response() {
    let tx = transaction();
    assert_eq!(tx.code_verifier.expose(), VERIFIER);
    assert_redacted!("Transaction", tx);

    let query = format!("code={CODE}&state={STATE}&iss={}", urlencode(ISSUER));
    let url = format!("{REDIRECT_URI}?{query}");
    let web_message = Json::parse(
        &json!({"type": "authorization_response", "response": {"code": CODE, "state": STATE}})
            .to_string(),
    )
    .unwrap();
    let delivered = [
        ResponseParams::from_query(&query).unwrap(),
        ResponseParams::from_fragment(&format!("#{query}")).unwrap(),
        ResponseParams::from_form_post(&query).unwrap(),
        ResponseParams::locate_in_url(&url).unwrap().0,
        ResponseParams::from_web_message(&web_message).unwrap(),
    ];
    for params in &delivered {
        assert_eq!(params.get("code"), Some(CODE));
        assert_redacted!("ResponseParams", params);
        let code = process_authorization_response(params, &tx, &metadata()).unwrap();
        assert_eq!(code.code.expose(), CODE);
        assert_redacted!("AuthorizationCode", code);
    }

    // Errors of the authorization response, each with the code in the response.
    let mut errors = vec![
        ResponseParams::from_query(&format!("code={CODE}&code={CODE}")).unwrap_err(),
        ResponseParams::from_query(&format!("code={CODE}&state=x&code=")).unwrap_err(),
        ResponseParams::locate_in_url(&format!("{REDIRECT_URI}?x={CODE}#y={CODE}")).unwrap_err(),
    ];
    let wrong_state = ResponseParams::from_query(&format!("code={CODE}&state=other")).unwrap();
    let wrong_iss =
        ResponseParams::from_query(&format!("code={CODE}&state={STATE}&iss=https%3A%2F%2Fevil"))
            .unwrap();
    let error_and_code =
        ResponseParams::from_query(&format!("error=access_denied&code={CODE}&state={STATE}"))
            .unwrap();
    for params in [&wrong_state, &wrong_iss, &error_and_code] {
        errors.push(process_authorization_response(params, &tx, &metadata()).unwrap_err());
    }
    let mut not_web_message = Object::new();
    not_web_message.insert("type", Json::str("authorization_response"));
    not_web_message.insert("response", Json::Array(vec![Json::str(CODE)]));
    errors.push(ResponseParams::from_web_message(&Json::Object(not_web_message)).unwrap_err());
    for error in &errors {
        assert_error_redacted("authorization response error", error);
    }
}

#[test]
fn the_id_token_its_signature_check_and_its_errors() {
    let raw = tokens().raw.as_str();
    let token = IdToken::parse(raw).unwrap();
    assert_eq!(token.raw.expose(), raw);
    assert_redacted!("IdToken", token);
    let jws = CompactJws::parse(raw).unwrap();
    assert_eq!(raw.rsplit_once('.').unwrap().0, jws.signing_input);

    let keys = keys();
    let check = token.signature_check(JwsAlg::EdDSA, &keys.keys[0]);
    assert!(!check.signature.is_empty());
    assert_redacted!("SignatureCheck", check);
    assert_redacted!("Need::Verify", Need::Verify(check.clone()));
    assert_redacted!("Answer::Verified", Answer::Verified(verify(&check)));
    assert_redacted!(
        "Need::Digest",
        Need::Digest {
            hash: HashAlg::Sha384,
            access_token: AccessToken::new(AT),
        }
    );

    let (signing_input, signature) = raw.rsplit_once('.').unwrap();
    let (header, payload) = signing_input.split_once('.').unwrap();
    let mut errors = vec![
        token.alg(&[JwsAlg::RS256]).unwrap_err(),
        token
            .validate_claims(&IdTokenChecks {
                nonce: Some("another nonce"),
                ..common::checks()
            })
            .unwrap_err(),
        token
            .validate_claims(&IdTokenChecks {
                now: NOW + 100_000,
                ..common::checks()
            })
            .unwrap_err(),
    ];
    // Broken forms of the token, each still holding its parts.
    for broken in [
        format!("{raw}.{signature}.{signature}"),
        format!("{signing_input}.{signature}.{payload}"),
        format!("{signature}.{payload}.{signature}"),
        format!("{header}.{signature}.{signature}"),
        format!("{header}.{payload}.{signature}!"),
        format!("{header}.{payload}"),
        format!("{raw}{RT}"),
        format!("{AT}.{RT}.{CODE}"),
        format!("{header}.{}.{signature}", common::b64(RT.as_bytes())),
    ] {
        if let Err(e) = IdToken::parse(&broken) {
            errors.push(e);
        }
        if let Err(e) = CompactJws::parse(&broken) {
            errors.push(e);
        }
    }
    assert!(errors.len() > 10);
    for error in &errors {
        assert_error_redacted("ID token error", error);
    }
}

#[test]
fn the_code_flow_at_every_step() {
    let params = ResponseParams::from_query(&format!("code={CODE}&state={STATE}")).unwrap();
    let (mut flow, step) = CodeFlow::start(
        &params,
        ResponseMode::Query,
        transaction(),
        &config(),
        &metadata(),
    );
    let Step::Need(needs) = &step else {
        panic!("the code flow asks for the token request: {step:?}")
    };
    let Need::Http(request) = &needs[0] else {
        panic!("{needs:?}")
    };
    let body = request.body.as_deref().unwrap();
    assert!(body_has(body, "code", CODE) && body_has(body, "code_verifier", VERIFIER));
    assert_redacted!("CodeFlow step (token request + JWK Set)", step);
    assert_redacted!("CodeFlow (exchanging)", flow);

    let answers = vec![
        http(200, token_body(AT, RT, &tokens().raw)),
        Answer::JwkSet(Ok(keys())),
    ];
    assert_redacted!("answers to the code flow", answers);
    let step = flow.advance(answers, NOW);
    assert_redacted!("CodeFlow step (verify)", step);
    assert_redacted!("CodeFlow (verifying)", flow);
    let Step::Need(needs) = step else {
        panic!("the code flow asks for a verification")
    };
    let [Need::Verify(check)] = needs.as_slice() else {
        panic!("{needs:?}")
    };
    let step = flow.advance(vec![Answer::Verified(verify(check))], NOW);
    assert_redacted!("CodeFlow step (done)", step);
    let Step::Done(Ok(signed_in)) = step else {
        panic!("signed in: {step:?}")
    };
    assert_eq!(
        signed_in
            .session
            .refresh_token
            .as_ref()
            .map(RefreshToken::expose),
        Some(RT)
    );
    assert_redacted!("SignedIn", signed_in);
    assert_redacted!(
        "Step::Done(Ok(SignedIn))",
        Step::<SignedIn>::Done(Ok(signed_in))
    );

    // The code flow's failures, each after the code was sent.
    let failing_answers = vec![
        vec![
            http(
                400,
                json!({"error": "invalid_grant", "refresh_token": RT}).to_string(),
            ),
            Answer::JwkSet(Ok(keys())),
        ],
        vec![
            Answer::Http(Err(Error::Timeout)),
            Answer::JwkSet(Ok(keys())),
        ],
        vec![
            http(200, token_body(AT, RT, &format!("{}x", tokens().raw))),
            Answer::JwkSet(Ok(keys())),
        ],
        vec![
            http(200, token_body(AT, RT, &tokens().raw2)),
            Answer::JwkSet(Ok(keys())),
        ],
        vec![
            Answer::JwkSet(Ok(keys())),
            http(200, token_body(AT, RT, &tokens().raw)),
        ],
        vec![http(200, token_body(AT, RT, &tokens().raw))],
    ];
    for answers in failing_answers {
        let (mut flow, _) = CodeFlow::start(
            &params,
            ResponseMode::Query,
            transaction(),
            &config(),
            &metadata(),
        );
        let step = flow.advance(answers, NOW);
        assert_redacted!("CodeFlow failure", step);
        assert_redacted!("CodeFlow after a failure", flow);
        if let Step::Done(Err(error)) = &step {
            assert_error_redacted("CodeFlow error", error);
        }
    }
    // A signature that does not verify.
    let (mut flow, _) = CodeFlow::start(
        &params,
        ResponseMode::Query,
        transaction(),
        &config(),
        &metadata(),
    );
    let _ = flow.advance(
        vec![
            http(200, token_body(AT, RT, &tokens().raw)),
            Answer::JwkSet(Ok(keys())),
        ],
        NOW,
    );
    let step = flow.advance(
        vec![Answer::Verified(Err(SignatureError::Mismatch.into()))],
        NOW,
    );
    let Step::Done(Err(error)) = step else {
        panic!("{step:?}")
    };
    assert_error_redacted("CodeFlow signature error", &error);
    // A delivery other than the requested one: refused before the code is sent.
    let (_, step) = CodeFlow::start(
        &params,
        ResponseMode::Fragment,
        transaction(),
        &config(),
        &metadata(),
    );
    assert_redacted!("CodeFlow wrong delivery", step);
}

#[test]
fn the_refresh_flow_at_every_step_and_its_failures() {
    let current = session();
    let (mut flow, step) = RefreshFlow::start(current.clone(), &config(), &metadata());
    let Step::Need(needs) = &step else {
        panic!("{step:?}")
    };
    let [Need::Http(request)] = needs.as_slice() else {
        panic!("{needs:?}")
    };
    assert!(body_has(
        request.body.as_deref().unwrap(),
        "refresh_token",
        RT
    ));
    assert_redacted!("RefreshFlow step (token request)", step);
    assert_redacted!("RefreshFlow (token)", flow);

    let now = NOW + 5;
    let step = flow.advance(vec![http(200, token_body(AT2, RT2, &tokens().raw2))], now);
    assert_redacted!("RefreshFlow step (JWK Set)", step);
    assert_redacted!("RefreshFlow (signature)", flow);
    let step = flow.advance(vec![Answer::JwkSet(Ok(keys()))], now);
    let Step::Need(needs) = step else {
        panic!("a verification")
    };
    let [Need::Verify(check)] = needs.as_slice() else {
        panic!("{needs:?}")
    };
    let step = flow.advance(vec![Answer::Verified(verify(check))], now);
    assert_redacted!(
        "RefreshFlow step (UserInfo with the new access token)",
        step
    );
    assert_redacted!("RefreshFlow (UserInfo)", flow);
    let Step::Need(needs) = &step else {
        panic!("{step:?}")
    };
    let [Need::Http(userinfo)] = needs.as_slice() else {
        panic!("{needs:?}")
    };
    assert!(userinfo
        .headers
        .iter()
        .any(|(_, v)| v == &format!("Bearer {AT2}")));
    let step = flow.advance(
        vec![http(200, json!({"sub": "248289761001"}).to_string())],
        now,
    );
    assert_redacted!("RefreshFlow step (done)", step);
    let Step::Done(Ok(renewed)) = step else {
        panic!("renewed: {step:?}")
    };
    assert_eq!(
        renewed.refresh_token.as_ref().map(RefreshToken::expose),
        Some(RT2)
    );
    assert_redacted!("renewed Session", renewed);

    // Failures: refused after the OP rotated the refresh token (keep holds RT2), or before.
    let ends: Vec<Vec<Vec<Answer>>> = vec![
        vec![vec![http(
            400,
            json!({"error": "invalid_grant", "refresh_token": RT}).to_string(),
        )]],
        vec![vec![Answer::Http(Err(Error::Network(format!(
            "reset while sending {}",
            "the body"
        ))))]],
        vec![vec![http(
            200,
            json!({"access_token": AT2, "token_type": "mac", "refresh_token": RT2}).to_string(),
        )]],
        vec![
            vec![http(200, token_body(AT2, RT2, &tokens().raw2))],
            vec![Answer::JwkSet(Ok(keys()))],
            vec![Answer::Verified(Err(SignatureError::Mismatch.into()))],
        ],
        vec![
            vec![http(200, token_body(AT2, RT2, &tokens().raw2))],
            vec![Answer::JwkSet(Ok(keys()))],
            vec![Answer::Verified(Ok(()))],
            vec![Answer::Http(Err(Error::Timeout))],
        ],
        vec![
            vec![http(200, token_body(AT2, RT2, &tokens().raw2))],
            vec![Answer::JwkSet(Ok(keys()))],
            vec![Answer::Verified(Ok(()))],
            vec![http(200, json!({"sub": "someone-else"}).to_string())],
        ],
        vec![vec![
            http(200, token_body(AT2, RT2, &tokens().raw2)),
            Answer::Verified(Ok(())),
        ]],
    ];
    let mut failures = 0;
    for answers in ends {
        let (mut flow, _) = RefreshFlow::start(current.clone(), &config(), &metadata());
        for answer in answers {
            let step = flow.advance(answer, now);
            assert_redacted!("RefreshFlow failing step", step);
            assert_redacted!("RefreshFlow failing", flow);
            if let Step::Done(result) = step {
                let failure: RefreshFailure = result.unwrap_err();
                assert_redacted!("RefreshFailure", failure);
                assert_error_redacted("RefreshFailure error", &failure.error);
                failures += 1;
            }
        }
    }
    assert_eq!(failures, 7);

    let mut no_refresh_token = current;
    no_refresh_token.refresh_token = None;
    let (_, step) = RefreshFlow::start(no_refresh_token, &config(), &metadata());
    assert_redacted!("RefreshFlow without a refresh token", step);
}

#[test]
fn sessions_and_what_is_decided_from_them() {
    let session = session();
    assert_eq!(session.access_token.expose(), AT);
    assert_redacted!("Session", session);

    let rotated = session
        .after_refused_refresh(Some(RefreshToken::new(RT2)))
        .unwrap();
    assert_redacted!("Session after a refused refresh", rotated);

    let response = parse_token_response(200, &token_body(AT2, RT2, &tokens().raw2)).unwrap();
    let without_id_token = TokenResponse {
        id_token: None,
        ..response.clone()
    };
    let other = IdToken::parse(&tokens().raw).unwrap();
    let errors = [
        session
            .apply_refresh(without_id_token.clone(), None, true, NOW)
            .unwrap_err(),
        session
            .apply_refresh(response.clone(), None, false, NOW)
            .unwrap_err(),
        session
            .apply_refresh(response.clone(), Some(other.clone()), false, NOW)
            .unwrap_err(),
        Session::from_code_exchange(without_id_token, None, "openid", NOW).unwrap_err(),
        Session::from_code_exchange(response, Some(other), "openid", NOW).unwrap_err(),
    ];
    for error in &errors {
        assert_error_redacted("session error", error);
    }

    assert_redacted!("AccessDecision::Use", decide(Some(&session), NOW));
    let decision = decide(Some(&session), NOW + 3590);
    assert!(matches!(
        decision,
        AccessDecision::Refresh { fallback: Some(_) }
    ));
    assert_redacted!("AccessDecision::Refresh", decision);
    assert_redacted!(
        "UnderLock::Refresh",
        under_lock(Some(&session), Some(session.clone()), NOW)
    );
    assert_redacted!(
        "UnderLock::AlreadyRefreshed",
        under_lock(Some(&session), Some(rotated), NOW)
    );
}

#[test]
fn sign_in_and_logout_options_with_an_id_token_hint() {
    let raw = RawIdToken::new(tokens().raw.as_str());
    let authorize = AuthorizeOptions {
        id_token_hint: Some(IdTokenHint::Token(raw.clone())),
        login_hint: Some("ana@example.com".into()),
        ..AuthorizeOptions::default()
    };
    assert_redacted!("AuthorizeOptions", authorize);
    assert_redacted!("IdTokenHint", IdTokenHint::Token(raw.clone()));
    let logout = LogoutOptions {
        id_token_hint: Some(raw),
        ..LogoutOptions::default()
    };
    assert_redacted!("LogoutOptions", logout);

    let session = session();
    assert_redacted!(
        "SilentPlan",
        SilentPlan::new(Some(&session), authorize.clone(), true)
    );
    assert_redacted!(
        "SilentPlan (session's hint)",
        SilentPlan::new(Some(&session), AuthorizeOptions::default(), true)
    );

    // Errors of the requests built from options, secrets in the values.
    let with_secret_params = AuthorizeOptions {
        extra_params: vec![("state".into(), CS2.into())],
        ..authorize
    };
    let error = with_secret_params
        .to_request(&config(), Some(&session), ResponseMode::Query, REDIRECT_URI)
        .unwrap()
        .build(&metadata(), NOW)
        .unwrap_err();
    assert_error_redacted("authorization request error", &error);
    let logout_error = LogoutOptions {
        extra_params: vec![("id_token_hint".into(), CS2.into())],
        ..LogoutOptions::default()
    }
    .to_request(&config(), Some(&session))
    .build(&metadata(), NOW)
    .unwrap_err();
    assert_error_redacted("logout request error", &logout_error);
    let missing = AuthorizeOptions {
        id_token_hint: Some(IdTokenHint::Current),
        ..AuthorizeOptions::default()
    }
    .to_request(&config(), None, ResponseMode::Query, REDIRECT_URI)
    .unwrap_err();
    assert_error_redacted("id_token_hint without a session", &missing);
}

/// KNOWN LEAK (see the hardening report): `AuthorizationRequest` derives `Debug` and keeps
/// `id_token_hint` as a plain `String`, so the raw ID token that `AuthorizeOptions::to_request`
/// (or `.id_token_hint(..)`) puts there is printed in full. Remove the `ignore` once fixed.
#[test]
fn the_authorization_request_hides_the_id_token_hint() {
    let authorize = AuthorizeOptions {
        id_token_hint: Some(IdTokenHint::Current),
        ..AuthorizeOptions::default()
    }
    .to_request(
        &config(),
        Some(&session()),
        ResponseMode::Query,
        REDIRECT_URI,
    )
    .unwrap();
    assert_redacted!("AuthorizationRequest (from AuthorizeOptions)", authorize);
    let direct =
        AuthorizationRequest::new(CLIENT_ID, REDIRECT_URI).id_token_hint(tokens().raw.as_str());
    assert_redacted!("AuthorizationRequest (id_token_hint)", direct);
}

/// KNOWN LEAK (see the hardening report): the same for `LogoutRequest`, which
/// `LogoutOptions::to_request` fills with the session's raw ID token. Remove the `ignore` once
/// fixed.
#[test]
fn the_logout_request_hides_the_id_token_hint() {
    let logout = LogoutOptions::default().to_request(&config(), Some(&session()));
    assert_redacted!("LogoutRequest (from LogoutOptions)", logout);
}

/// The checks themselves: a value that shows a secret is caught, by `{:?}` and by `{}`.
#[test]
#[should_panic(expected = "shows the refresh token")]
fn a_leak_is_caught_in_debug() {
    #[derive(Debug)]
    #[allow(dead_code)] // read by the derived Debug only
    struct Leaky(&'static str);
    assert_redacted!("Leaky", Leaky(RT));
}

#[test]
#[should_panic(expected = "shows the raw refreshed ID token")]
fn a_leak_is_caught_in_display() {
    struct Shown(String);
    impl fmt::Debug for Shown {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("Shown(..)")
        }
    }
    impl fmt::Display for Shown {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(&self.0)
        }
    }
    assert_redacted!("Shown", Shown(tokens().raw2.clone()));
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Not rendering but the other rule of the secret types: they compare only through `ct_eq`
/// (constant time, by `subtle`), equal for the same bytes, unequal for any other value,
/// including a prefix or an extension of it.
#[test]
fn ct_eq_compares_values_and_unequal_lengths_are_unequal() {
    use oidc_rp_wasm::core::secret::constant_time_eq;
    assert!(constant_time_eq(b"", b""));
    assert!(constant_time_eq(RT.as_bytes(), RT.as_bytes()));
    assert!(!constant_time_eq(b"abc", b"abd"));
    assert!(!constant_time_eq(b"abc", b"ab"));
    assert!(!constant_time_eq(b"ab", b"abc"));
    assert!(!constant_time_eq(b"", b"a"));
    assert!(Secret::new(RT).ct_eq(&Secret::new(RT)));
    assert!(!Secret::new(RT).ct_eq(&Secret::new(format!("{RT}x"))));
    assert!(RefreshToken::new(RT).ct_eq(&RefreshToken::new(RT)));
    assert!(!AccessToken::new(AT).ct_eq(&AccessToken::new(RT)));
}
