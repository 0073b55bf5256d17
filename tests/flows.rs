//! The flows of `core::flow`, driven end to end with this test as the transport: a fake OP
//! answers every `Need` the way a real one would (the token and UserInfo endpoints by URL, the
//! JWK Set from documents the test controls, signatures with jwt-compact), and records every
//! request so that the tests can check what the flows sent.
#![cfg(feature = "rust-crypto")]

mod common;

use common::*;
use oidc_rp_wasm::core::alg::HashAlg;
use oidc_rp_wasm::core::alg::JwsAlg;
use oidc_rp_wasm::core::authorize::{AuthorizationRequest, Prompt, ResponseMode, Transaction};
use oidc_rp_wasm::core::config::{
    AuthorizeOptions, ClientConfig, IdTokenHint, LogoutOptions, StorageKind,
};
use oidc_rp_wasm::core::flow::access::{
    after_refresh, decide, expiry_timers, refresh_on_expiring, AccessDecision, ExpiryTimers,
};
use oidc_rp_wasm::core::flow::code::{Announce, CodeFlow, SignedIn};
use oidc_rp_wasm::core::flow::logout::LogoutFlow;
use oidc_rp_wasm::core::flow::refresh::{under_lock, RefreshFailure, RefreshFlow, UnderLock};
use oidc_rp_wasm::core::flow::silent::{
    redirect_mode, FramePlan, PopupLook, PopupVerdict, PopupWatch, SilentPlan,
};
use oidc_rp_wasm::core::flow::{Answer, HttpResponse, Method, Need, Step};
use oidc_rp_wasm::core::id_token::{self, at_hash};
use oidc_rp_wasm::core::json::Json;
use oidc_rp_wasm::core::jwks::JwkSet;
use oidc_rp_wasm::core::jws::verify_rust_crypto;
use oidc_rp_wasm::core::metadata::ProviderMetadata;
use oidc_rp_wasm::core::pkce::CodeVerifier;
use oidc_rp_wasm::core::response::ResponseParams;
use oidc_rp_wasm::core::secret::{AccessToken, RawIdToken, RefreshToken};
use oidc_rp_wasm::core::session::Session;
use oidc_rp_wasm::core::stored::session_to_text;
use oidc_rp_wasm::core::web_message::{self, Delivery, Expect};
use oidc_rp_wasm::error::{Error, OpError};
use serde_json::{json, Value};
use std::collections::VecDeque;

// ----- the fake OP -----

const REDIRECT_URI: &str = "https://app.example.com/cb";
const SCOPE: &str = "openid profile offline_access";
const STATE: &str = "st-flows-1";
const CODE: &str = "SplxlOBeZQQYbYS6WxSbIA";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
/// A deadline no default has, so that every request can be seen to carry the configured one.
const TIMEOUT_MS: u32 = 4321;

fn token_endpoint() -> String {
    format!("{ISSUER}/token")
}

fn jwks_uri() -> String {
    format!("{ISSUER}/jwks")
}

fn userinfo_endpoint() -> String {
    format!("{ISSUER}/userinfo")
}

/// A request a flow made, as the OP received it.
#[derive(Debug, Clone)]
struct Seen {
    method: Method,
    url: String,
    headers: Vec<(&'static str, String)>,
    /// The form-encoded body's fields, in order (empty for a GET).
    form: Vec<(String, String)>,
    timeout_ms: u32,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An HTTP answer: a response, or the transport's error.
type Reply = Result<HttpResponse, Error>;

/// An OP at [`ISSUER`] whose answers the test queues up.
struct FakeOp {
    config: ClientConfig,
    metadata: ProviderMetadata,
    /// The token endpoint's answers, one per request, in order.
    token: VecDeque<Reply>,
    /// The UserInfo endpoint's answers, one per request, in order.
    userinfo: VecDeque<Reply>,
    /// The JWK Set document served by each fetch in turn; the last one serves every later fetch.
    jwks: Vec<Result<String, Error>>,
    jwks_fetches: usize,
    /// Every request, JWK Set fetches included, in order.
    requests: Vec<Seen>,
    /// Each `Step::Need`, as the kinds of its needs: `token`, `userinfo`, `jwks`,
    /// `jwks refetch`, `verify`, `digest`.
    steps: Vec<Vec<&'static str>>,
    /// Whether each signature verification succeeded, in order.
    verified: Vec<bool>,
    /// The hash of each digest asked for, in order.
    digests: Vec<HashAlg>,
}

impl FakeOp {
    fn new() -> Self {
        FakeOp {
            config: ClientConfig::new(ISSUER, CLIENT_ID, REDIRECT_URI)
                .scope(SCOPE)
                .request_timeout_ms(TIMEOUT_MS),
            metadata: ProviderMetadata {
                userinfo_endpoint: Some(userinfo_endpoint()),
                end_session_endpoint: Some(format!("{ISSUER}/logout")),
                authorization_response_iss_parameter_supported: true,
                ..provider_metadata(ISSUER)
            },
            token: VecDeque::new(),
            userinfo: VecDeque::new(),
            jwks: vec![Ok(jwk_set(&[public_jwk(Key::Rsa(0), Some("rsa-0"))]))],
            jwks_fetches: 0,
            requests: Vec::new(),
            steps: Vec::new(),
            verified: Vec::new(),
            digests: Vec::new(),
        }
    }

    /// Queues a token endpoint answer.
    fn token(mut self, reply: Reply) -> Self {
        self.token.push_back(reply);
        self
    }

    /// The JWK Set documents of the first, second, ... fetch.
    fn jwks(mut self, sets: Vec<Result<String, Error>>) -> Self {
        self.jwks = sets;
        self
    }

    fn answer(&mut self, need: Need) -> (&'static str, Answer) {
        match need {
            Need::Http(request) => {
                let form = request
                    .body
                    .as_deref()
                    .map(|body| {
                        form_urlencoded::parse(body.as_bytes())
                            .into_owned()
                            .collect()
                    })
                    .unwrap_or_default();
                let url = request.url.clone();
                self.requests.push(Seen {
                    method: request.method,
                    url: request.url,
                    headers: request.headers,
                    form,
                    timeout_ms: request.timeout_ms,
                });
                let (kind, queue) = if url == token_endpoint() {
                    ("token", &mut self.token)
                } else if url == userinfo_endpoint() {
                    ("userinfo", &mut self.userinfo)
                } else {
                    panic!("a request to an unknown endpoint: {url}");
                };
                let reply = queue
                    .pop_front()
                    .unwrap_or_else(|| panic!("no {kind} answer queued"));
                (kind, Answer::Http(reply))
            }
            Need::JwkSet { request, refetch } => {
                assert_eq!(request.url, jwks_uri());
                self.requests.push(Seen {
                    method: request.method,
                    url: request.url,
                    headers: request.headers,
                    form: Vec::new(),
                    timeout_ms: request.timeout_ms,
                });
                let index = self.jwks_fetches.min(self.jwks.len() - 1);
                self.jwks_fetches += 1;
                let set = self.jwks[index].clone().and_then(|doc| JwkSet::parse(&doc));
                let kind = if refetch { "jwks refetch" } else { "jwks" };
                (kind, Answer::JwkSet(set))
            }
            Need::Verify(check) => {
                let result = verify_rust_crypto(&check);
                self.verified.push(result.is_ok());
                ("verify", Answer::Verified(result))
            }
            Need::Digest { hash, access_token } => {
                self.digests.push(hash);
                let digest = id_token::digest(hash, access_token.expose().as_bytes());
                ("digest", Answer::Digest(Ok(digest)))
            }
        }
    }

    /// Answers every need of `step` and hands the answers to `advance`, at [`NOW`], until done.
    fn drive<T, E>(
        &mut self,
        mut step: Step<T, E>,
        mut advance: impl FnMut(Vec<Answer>, i64) -> Step<T, E>,
    ) -> Result<T, E> {
        for _ in 0..10 {
            let needs = match step {
                Step::Done(result) => return result,
                Step::Need(needs) => needs,
            };
            let (kinds, answers) = needs.into_iter().map(|need| self.answer(need)).unzip();
            self.steps.push(kinds);
            step = advance(answers, NOW);
        }
        panic!("the flow did not finish in 10 steps");
    }

    /// The code flow for `params` delivered by `delivered`, completing `tx`.
    fn complete(
        &mut self,
        params: &ResponseParams,
        delivered: ResponseMode,
        tx: Transaction,
    ) -> Result<SignedIn, Error> {
        let (mut flow, step) = CodeFlow::start(params, delivered, tx, &self.config, &self.metadata);
        self.drive(step, |answers, now| flow.advance(answers, now))
    }

    /// The code flow for the usual query response with [`CODE`], completing `tx`.
    fn sign_in(&mut self, tx: Transaction) -> Result<SignedIn, Error> {
        self.complete(&code_response(), ResponseMode::Query, tx)
    }

    /// The refresh of `current`.
    #[allow(clippy::result_large_err)] // RefreshFailure holds a Session: the flow's own type.
    fn refresh(&mut self, current: Session) -> Result<Session, RefreshFailure> {
        let (mut flow, step) = RefreshFlow::start(current, &self.config, &self.metadata);
        self.drive(step, |answers, now| flow.advance(answers, now))
    }

    /// The requests made to `url`.
    fn sent_to(&self, url: &str) -> Vec<&Seen> {
        self.requests.iter().filter(|r| r.url == url).collect()
    }
}

fn ok(body: Value) -> Reply {
    Ok(HttpResponse {
        dpop_nonce: None,
        status: 200,
        body: body.to_string(),
    })
}

fn status(status: u16, body: Value) -> Reply {
    Ok(HttpResponse {
        dpop_nonce: None,
        status,
        body: body.to_string(),
    })
}

/// A successful token response.
fn tokens(access: &str, refresh: Option<&str>, id_token: Option<&str>) -> Reply {
    let mut body = json!({ "access_token": access, "token_type": "Bearer", "expires_in": 3600 });
    if let Some(refresh) = refresh {
        body["refresh_token"] = json!(refresh);
    }
    if let Some(id_token) = id_token {
        body["id_token"] = json!(id_token);
    }
    ok(body)
}

/// The ID token of the code exchange: the usual claims, with the `at_hash` of `at-1`.
fn first_id_token() -> String {
    mint_rs256(&claims_with(
        json!({ "at_hash": at_hash(JwsAlg::RS256, "at-1") }),
    ))
}

/// An ID token of a refresh: the same identity, no nonce, `changes` merged in.
fn refreshed_id_token(changes: Value) -> String {
    let mut claims = claims_with(json!({ "nonce": null, "iat": NOW }));
    for (name, value) in changes.as_object().unwrap() {
        claims[name] = value.clone();
    }
    mint_rs256(&claims)
}

fn request() -> AuthorizationRequest {
    AuthorizationRequest::new(CLIENT_ID, REDIRECT_URI).scope(SCOPE)
}

/// The transaction of `request`, with [`STATE`], [`NONCE`] and [`VERIFIER`].
fn transaction(request: AuthorizationRequest) -> Transaction {
    let metadata = FakeOp::new().metadata;
    let verifier = CodeVerifier::new(VERIFIER).unwrap();
    request
        .build_with(&metadata, NOW, STATE.into(), NONCE.into(), verifier)
        .unwrap()
        .1
}

/// An authorization response in a query.
fn response(pairs: &[(&str, &str)]) -> ResponseParams {
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    ResponseParams::from_query(&format!("?{query}")).unwrap()
}

/// The OP's successful answer: code, state and (RFC 9207) iss.
fn code_response() -> ResponseParams {
    response(&[("code", CODE), ("state", STATE), ("iss", ISSUER)])
}

/// A session made by a code flow: access token `at-1`, refresh token `rt-1`, the usual claims.
fn signed_in_session() -> Session {
    let mut op = FakeOp::new().token(tokens("at-1", Some("rt-1"), Some(&first_id_token())));
    op.sign_in(transaction(request())).unwrap().session
}

/// Full field equality of two sessions, tokens included, as stored.
fn assert_same_session(a: &Session, b: &Session) {
    assert_eq!(session_to_text(a), session_to_text(b));
}

fn config_field(err: &Error) -> &str {
    match err {
        Error::InvalidConfig { field, .. } => field,
        other => panic!("expected invalid_config, got {other:?}"),
    }
}

fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

// ----- the code flow -----

#[test]
fn rp_response_type_code() {
    let mut op = FakeOp::new().token(tokens("at-1", Some("rt-1"), Some(&first_id_token())));
    let tx = transaction(request().app_state(to_json(&json!({"returnTo": "/inbox"}))));
    let signed_in = op.sign_in(tx).unwrap();

    // The token request and the JWK Set are asked for together, then the one signature.
    assert_eq!(op.steps, [vec!["token", "jwks"], vec!["verify"]]);
    assert_eq!(op.verified, [true]);
    let token_request = op.sent_to(&token_endpoint())[0];
    assert_eq!(token_request.method, Method::Post);
    assert_eq!(
        token_request.header("Content-Type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        token_request.form,
        fields(&[
            ("grant_type", "authorization_code"),
            ("code", CODE),
            ("redirect_uri", REDIRECT_URI),
            ("client_id", CLIENT_ID),
            ("code_verifier", VERIFIER),
        ])
    );
    assert_eq!(op.sent_to(&jwks_uri())[0].method, Method::Get);

    let session = &signed_in.session;
    let claims = session.claims.as_ref().unwrap();
    assert_eq!(claims.sub, "248289761001");
    assert_eq!(claims.nonce.as_deref(), Some(NONCE));
    assert_eq!(claims.other.str("name"), Some("Ana Example"));
    assert_eq!(
        session.id_token.as_ref().map(RawIdToken::expose),
        Some(first_id_token().as_str())
    );
    assert!(session.id_token_fresh);
    assert_eq!(session.access_token.expose(), "at-1");
    assert_eq!(
        session.refresh_token.as_ref().map(RefreshToken::expose),
        Some("rt-1")
    );
    assert_eq!(session.expires_at, Some(NOW + 3600));
    assert_eq!(session.scope.as_deref(), Some(SCOPE));
    assert_eq!((session.created_at, session.updated_at), (NOW, NOW));
    assert_eq!(
        signed_in.app_state,
        Some(to_json(&json!({"returnTo": "/inbox"})))
    );
}

/// A key rotation: the first fetch has key A (kid `a`) only, later ones A and B (kid `b`).
fn rotated_sets() -> Vec<Result<String, Error>> {
    let a = || public_jwk(Key::Rsa(0), Some("a"));
    let b = public_jwk(Key::Rsa(1), Some("b"));
    vec![Ok(jwk_set(&[a()])), Ok(jwk_set(&[a(), b]))]
}

#[test]
fn rp_key_rotation_op_sign_key() {
    // The token is signed with key B, which the cached set lacks and the OP now publishes.
    let token = mint("RS256", Some("b"), &claims(), Key::Rsa(1));
    let mut op = FakeOp::new()
        .token(tokens("at-1", None, Some(&token)))
        .jwks(rotated_sets());
    let session = op.sign_in(transaction(request())).unwrap().session;
    assert_eq!(
        op.steps,
        [vec!["token", "jwks"], vec!["jwks refetch"], vec!["verify"]]
    );
    assert_eq!(op.jwks_fetches, 2);
    assert_eq!(session.subject(), Some("248289761001"));
}

#[test]
fn unknown_kid_after_the_refetch_is_no_matching_key() {
    let a = public_jwk(Key::Rsa(0), Some("a"));
    let token = mint("RS256", Some("b"), &claims(), Key::Rsa(1));
    let mut op = FakeOp::new()
        .token(tokens("at-1", None, Some(&token)))
        .jwks(vec![Ok(jwk_set(&[a]))]);
    let err = op.sign_in(transaction(request())).unwrap_err();
    assert_eq!(err.code(), "invalid_signature");
    assert_eq!(err.reason(), Some("no_matching_key"));
    // Refetched once, never more, and nothing was verified.
    assert_eq!(op.steps, [vec!["token", "jwks"], vec!["jwks refetch"]]);
    assert!(op.verified.is_empty());
}

#[test]
fn rp_id_token_kid_absent_multiple_jwks() {
    // No kid: both keys are candidates; the first does not verify, the second does.
    let token = mint("RS256", None, &claims(), Key::Rsa(1));
    let set = jwk_set(&[public_jwk(Key::Rsa(0), None), public_jwk(Key::Rsa(1), None)]);
    let mut op = FakeOp::new()
        .token(tokens("at-1", None, Some(&token)))
        .jwks(vec![Ok(set)]);
    let session = op.sign_in(transaction(request())).unwrap().session;
    assert_eq!(
        op.steps,
        [vec!["token", "jwks"], vec!["verify"], vec!["verify"]]
    );
    assert_eq!(op.verified, [false, true]);
    assert_eq!(session.subject(), Some("248289761001"));
}

#[test]
fn kid_absent_and_no_candidate_verifying_is_signature_mismatch() {
    let token = flip_signature_bit(&mint("RS256", None, &claims(), Key::Rsa(1)));
    let set = jwk_set(&[public_jwk(Key::Rsa(0), None), public_jwk(Key::Rsa(1), None)]);
    let mut op = FakeOp::new()
        .token(tokens("at-1", None, Some(&token)))
        .jwks(vec![Ok(set)]);
    let err = op.sign_in(transaction(request())).unwrap_err();
    assert_eq!(err.code(), "invalid_signature");
    assert_eq!(err.reason(), Some("signature_mismatch"));
    assert_eq!(op.verified, [false, false]);
}

#[test]
fn a_jwk_set_fetch_that_failed_alongside_the_token_request_is_asked_for_again() {
    let mut op = FakeOp::new()
        .token(tokens("at-1", None, Some(&first_id_token())))
        .jwks(vec![
            Err(Error::Network("connection reset".into())),
            Ok(jwk_set(&[public_jwk(Key::Rsa(0), Some("rsa-0"))])),
        ]);
    op.sign_in(transaction(request())).unwrap();
    // Asked again as an ordinary fetch: the failure said nothing about the keys.
    assert_eq!(
        op.steps,
        [vec!["token", "jwks"], vec!["jwks"], vec!["verify"]]
    );

    // When the second fetch fails too, that is the error.
    let mut op = FakeOp::new()
        .token(tokens("at-1", None, Some(&first_id_token())))
        .jwks(vec![Err(Error::Network("connection reset".into()))]);
    let err = op.sign_in(transaction(request())).unwrap_err();
    assert_eq!(err.code(), "network");
}

#[test]
fn state_mismatch_asks_for_nothing() {
    let mut op = FakeOp::new();
    let params = response(&[("code", CODE), ("state", "another"), ("iss", ISSUER)]);
    let err = op
        .complete(&params, ResponseMode::Query, transaction(request()))
        .unwrap_err();
    assert_eq!(err, Error::StateMismatch);
    assert_eq!(err.code(), "state_mismatch");
    assert!(op.requests.is_empty() && op.steps.is_empty());
}

#[test]
fn rp_id_token_issuer_mismatch_in_the_iss_parameter() {
    let mut op = FakeOp::new();
    let params = response(&[
        ("code", CODE),
        ("state", STATE),
        ("iss", "https://evil.example"),
    ]);
    let err = op
        .complete(&params, ResponseMode::Query, transaction(request()))
        .unwrap_err();
    assert_eq!(err.code(), "issuer_mismatch");
    assert_eq!(err.reason(), Some("iss_parameter"));
    assert!(op.requests.is_empty());
}

#[test]
fn op_error_response_passes_through() {
    let mut op = FakeOp::new();
    let params = response(&[
        ("error", "login_required"),
        ("error_description", "Login required"),
        ("state", STATE),
        ("iss", ISSUER),
    ]);
    let err = op
        .complete(&params, ResponseMode::Query, transaction(request()))
        .unwrap_err();
    assert_eq!(err.code(), "login_required");
    assert_eq!(err.description(), Some("Login required"));
    assert!(op.requests.is_empty());
}

#[test]
fn a_response_delivered_another_way_than_requested_is_refused() {
    let mut op = FakeOp::new();
    let tx = transaction(request().response_mode(ResponseMode::Fragment));
    let err = op
        .complete(&code_response(), ResponseMode::Query, tx)
        .unwrap_err();
    assert_eq!(err.code(), "invalid_response");
    assert_eq!(err.reason(), Some("invalid_field"));
    assert!(op.requests.is_empty());
}

/// An OP that puts a prompt=none error in the query whatever response_mode asked for (as oauthlib
/// does under django-oauth-toolkit): the app gets the OP's code, the mismatch as the reason.
#[test]
fn an_error_response_delivered_another_way_is_the_ops_error() {
    let mut op = FakeOp::new();
    let tx = transaction(request().response_mode(ResponseMode::Fragment));
    let params = response(&[
        ("error", "login_required"),
        ("state", STATE),
        ("iss", ISSUER),
    ]);
    let err = op.complete(&params, ResponseMode::Query, tx).unwrap_err();
    assert_eq!(err.code(), "login_required");
    assert_eq!(err.reason(), Some("response_mode_mismatch"));
    assert!(op.requests.is_empty());

    // Its state and iss are still checked first.
    let tx = transaction(request().response_mode(ResponseMode::Fragment));
    let params = response(&[("error", "login_required"), ("state", "another")]);
    let err = op.complete(&params, ResponseMode::Query, tx).unwrap_err();
    assert_eq!(err.code(), "invalid_response");
    let tx = transaction(request().response_mode(ResponseMode::Fragment));
    let params = response(&[
        ("error", "login_required"),
        ("state", STATE),
        ("iss", "https://elsewhere.example"),
    ]);
    let err = op.complete(&params, ResponseMode::Query, tx).unwrap_err();
    assert_eq!(err.code(), "invalid_response");

    // A code beside the error is no error response: the strict check holds.
    let tx = transaction(request().response_mode(ResponseMode::Fragment));
    let params = response(&[
        ("error", "login_required"),
        ("code", CODE),
        ("state", STATE),
    ]);
    let err = op.complete(&params, ResponseMode::Query, tx).unwrap_err();
    assert_eq!(err.code(), "invalid_response");
    assert_eq!(err.reason(), Some("invalid_field"));
    assert!(op.requests.is_empty());
}

#[test]
fn rp_nonce_invalid() {
    let token = mint_rs256(&claims_with(json!({"nonce": "another-nonce"})));
    let mut op = FakeOp::new().token(tokens("at-1", None, Some(&token)));
    let err = op.sign_in(transaction(request())).unwrap_err();
    assert_eq!(err.code(), "nonce_mismatch");
    // The claims are checked after the signature verified.
    assert_eq!(op.verified, [true]);
}

/// A device clock ten minutes behind: the fresh ID token looks issued in the future. The error
/// says so, with the measured offset, instead of blaming the token.
#[test]
fn a_device_clock_ten_minutes_behind_is_clock_skew_with_the_offset() {
    let token = mint_rs256(&claims_with(json!({"iat": NOW + 600, "exp": NOW + 900})));
    let mut op = FakeOp::new().token(tokens("at-1", None, Some(&token)));
    let err = op.sign_in(transaction(request())).unwrap_err();
    assert_eq!(err.code(), "invalid_id_token");
    assert_eq!(err.reason(), Some("clock_skew"));
    assert!(err.to_string().contains("600 s behind"), "{err}");
}

/// Ten minutes ahead, with a five-minute ID token: expired on arrival, reported as clock skew.
#[test]
fn a_device_clock_ten_minutes_ahead_is_clock_skew_not_expired() {
    let token = mint_rs256(&claims_with(json!({"iat": NOW - 600, "exp": NOW - 300})));
    let mut op = FakeOp::new().token(tokens("at-1", None, Some(&token)));
    let err = op.sign_in(transaction(request())).unwrap_err();
    assert_eq!(err.reason(), Some("clock_skew"));
    assert!(err.to_string().contains("600 s ahead of"), "{err}");
    // An expired token whose iat agrees with the clock is just expired.
    let stale = mint_rs256(&claims_with(json!({"iat": NOW - 30, "exp": NOW - 120})));
    let mut op = FakeOp::new().token(tokens("at-1", None, Some(&stale)));
    let err = op.sign_in(transaction(request())).unwrap_err();
    assert_eq!(err.reason(), Some("expired"));
}

#[test]
fn max_age_without_auth_time_is_refused() {
    let token = mint_rs256(&claims_with(json!({"auth_time": null})));
    let mut op = FakeOp::new().token(tokens("at-1", None, Some(&token)));
    let err = op.sign_in(transaction(request().max_age(300))).unwrap_err();
    assert_eq!(err.code(), "invalid_id_token");
    assert_eq!(err.reason(), Some("auth_time_missing"));
}

/// OIDC Core §3.1.2.1, §2: `acr_values` sent means `acr` is checked, through the whole flow.
#[test]
fn acr_values_sent_means_the_id_tokens_acr_is_checked() {
    let acr = |value: serde_json::Value| {
        let token = mint_rs256(&claims_with(json!({ "acr": value })));
        FakeOp::new().token(tokens("at-1", None, Some(&token)))
    };
    let asked = || request().acr_values(vec!["urn:mfa".into(), "urn:hw".into()]);
    let err = acr(json!("urn:password"))
        .sign_in(transaction(asked()))
        .unwrap_err();
    assert_eq!(
        (err.code(), err.reason()),
        ("invalid_id_token", Some("acr_not_satisfied"))
    );
    let err = acr(serde_json::Value::Null)
        .sign_in(transaction(asked()))
        .unwrap_err();
    assert_eq!(err.reason(), Some("acr_not_satisfied"), "no acr at all");
    acr(json!("urn:hw")).sign_in(transaction(asked())).unwrap();
    // Not asked: any acr (or none) is the OP's business.
    acr(json!("urn:password"))
        .sign_in(transaction(request()))
        .unwrap();
}

#[test]
fn at_hash_is_checked_against_the_exchanged_access_token() {
    // first_id_token carries the at_hash of `at-1`, not of `at-other`.
    let mut op = FakeOp::new().token(tokens("at-other", None, Some(&first_id_token())));
    let err = op.sign_in(transaction(request())).unwrap_err();
    assert_eq!(err.reason(), Some("at_hash_mismatch"));
}

/// The exchange's ID token signed RS384 (SHA-384 `at_hash` of `at-1`), with the client
/// accepting RS384.
fn rs384_op(at_hash_of: &str) -> FakeOp {
    let claims = claims_with(json!({ "at_hash": at_hash(JwsAlg::RS384, at_hash_of) }));
    let token = mint("RS384", Some("rsa-0"), &claims, Key::Rsa(0));
    let mut op = FakeOp::new().token(tokens("at-1", None, Some(&token)));
    op.config.id_token_signing_algs = vec![JwsAlg::RS384];
    op.metadata.id_token_signing_alg_values_supported = vec!["RS384".into()];
    op
}

#[test]
fn a_sha384_at_hash_is_checked_with_a_digest_from_outside() {
    let mut op = rs384_op("at-1");
    op.sign_in(transaction(request())).unwrap();
    // The flow asked for the SHA-384 digest after the signature verified: the wasm carries
    // SHA-256 only.
    assert_eq!(op.digests, vec![HashAlg::Sha384]);
    assert_eq!(op.steps.last().unwrap(), &vec!["digest"]);

    let mut op = rs384_op("at-other");
    let err = op.sign_in(transaction(request())).unwrap_err();
    assert_eq!(err.reason(), Some("at_hash_mismatch"));
}

#[test]
fn a_digest_that_fails_fails_the_sign_in() {
    let claims = claims_with(json!({ "at_hash": at_hash(JwsAlg::RS384, "at-1") }));
    let token = mint("RS384", Some("rsa-0"), &claims, Key::Rsa(0));
    let mut config = FakeOp::new().config;
    config.id_token_signing_algs = vec![JwsAlg::RS384];
    let mut metadata = FakeOp::new().metadata;
    metadata.id_token_signing_alg_values_supported = vec!["RS384".into()];
    let (mut flow, step) = CodeFlow::start(
        &code_response(),
        ResponseMode::Query,
        transaction(request()),
        &config,
        &metadata,
    );
    let Step::Need(needs) = step else {
        panic!("{step:?}")
    };
    assert_eq!(needs.len(), 2);
    let jwks = JwkSet::parse(&jwk_set(&[public_jwk(Key::Rsa(0), Some("rsa-0"))])).unwrap();
    let body = json!({ "access_token": "at-1", "token_type": "Bearer", "id_token": token });
    let mut step = flow.advance(
        vec![
            Answer::Http(Ok(HttpResponse {
                dpop_nonce: None,
                status: 200,
                body: body.to_string(),
            })),
            Answer::JwkSet(Ok(jwks)),
        ],
        NOW,
    );
    loop {
        step = match step {
            Step::Need(needs) => match needs.as_slice() {
                [Need::Verify(check)] => {
                    flow.advance(vec![Answer::Verified(verify_rust_crypto(check))], NOW)
                }
                [Need::Digest {
                    hash: HashAlg::Sha384,
                    ..
                }] => flow.advance(
                    vec![Answer::Digest(Err(Error::Crypto("no SHA-384 here".into())))],
                    NOW,
                ),
                other => panic!("{other:?}"),
            },
            Step::Done(result) => {
                assert_eq!(result.unwrap_err().code(), "crypto_unavailable");
                break;
            }
        };
    }
}

#[test]
fn token_endpoint_invalid_grant_is_the_ops_error() {
    let mut op = FakeOp::new().token(status(
        400,
        json!({"error": "invalid_grant", "error_description": "code already used"}),
    ));
    let err = op.sign_in(transaction(request())).unwrap_err();
    assert_eq!(
        err,
        Error::Op(OpError {
            error: "invalid_grant".into(),
            description: Some("code already used".into()),
            uri: None,
            state: None,
            reason: None,
        })
    );
    assert_eq!(err.code(), "invalid_grant");
    assert_eq!(op.steps, [vec!["token", "jwks"]]);
}

#[test]
fn transport_errors_propagate() {
    for (reply, code) in [
        (Error::Network("connection refused".into()), "network"),
        (Error::Timeout, "timeout"),
    ] {
        let mut op = FakeOp::new().token(Err(reply));
        let err = op.sign_in(transaction(request())).unwrap_err();
        assert_eq!(err.code(), code);
        assert!(op.verified.is_empty());
    }
}

// ----- refresh -----

#[test]
fn refresh_rotates_the_refresh_token_and_replaces_the_id_token() {
    let current = signed_in_session();
    let id_token = refreshed_id_token(json!({"name": "Ana Renamed"}));
    let mut op = FakeOp::new().token(tokens("at-2", Some("rt-2"), Some(&id_token)));
    let renewed = op.refresh(current).unwrap();

    assert_eq!(op.steps, [vec!["token"], vec!["jwks"], vec!["verify"]]);
    let request = op.sent_to(&token_endpoint())[0];
    assert_eq!(request.method, Method::Post);
    assert_eq!(
        request.form,
        fields(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "rt-1"),
            ("client_id", CLIENT_ID),
        ])
    );
    assert_eq!(renewed.access_token.expose(), "at-2");
    assert_eq!(
        renewed.refresh_token.as_ref().map(RefreshToken::expose),
        Some("rt-2")
    );
    assert!(renewed.id_token_fresh);
    assert_eq!(
        renewed.id_token.as_ref().map(RawIdToken::expose),
        Some(id_token.as_str())
    );
    assert_eq!(
        renewed.claims.as_ref().unwrap().other.str("name"),
        Some("Ana Renamed")
    );
}

#[test]
fn refresh_without_an_id_token_keeps_the_identity() {
    let current = signed_in_session();
    let mut op = FakeOp::new().token(tokens("at-2", None, None));
    let renewed = op.refresh(current.clone()).unwrap();
    assert_eq!(op.steps, [vec!["token"]]);
    assert!(!renewed.id_token_fresh);
    assert_eq!(renewed.claims, current.claims);
    assert_eq!(
        renewed.id_token.as_ref().map(RawIdToken::expose),
        current.id_token.as_ref().map(RawIdToken::expose)
    );
    assert_eq!(renewed.access_token.expose(), "at-2");
    // Not rotated: the old refresh token stays.
    assert_eq!(
        renewed.refresh_token.as_ref().map(RefreshToken::expose),
        Some("rt-1")
    );
}

/// `current` as it must be kept after a refused refresh: the same, but for the rotated token.
fn with_refresh_token(current: &Session, refresh: &str) -> Session {
    let mut kept = current.clone();
    kept.refresh_token = Some(RefreshToken::new(refresh));
    kept
}

#[test]
fn refresh_requiring_an_id_token_keeps_the_rotated_refresh_token() {
    let current = signed_in_session();
    let mut op = FakeOp::new().token(tokens("at-2", Some("rt-2"), None));
    op.config.require_id_token_on_refresh = true;
    let failure = op.refresh(current.clone()).unwrap_err();
    assert_eq!(failure.error, Error::IdTokenRequired);
    assert_eq!(failure.error.code(), "id_token_required");
    let kept = failure.keep.expect("the rotated refresh token is kept");
    assert_eq!(kept.access_token.expose(), "at-1");
    assert_eq!(
        kept.refresh_token.as_ref().map(RefreshToken::expose),
        Some("rt-2")
    );
    assert_same_session(&kept, &with_refresh_token(&current, "rt-2"));
}

#[test]
fn refreshed_id_token_of_another_subject_is_refused_keeping_the_rotated_token() {
    let current = signed_in_session();
    let id_token = refreshed_id_token(json!({"sub": "mallory"}));
    let mut op = FakeOp::new().token(tokens("at-2", Some("rt-2"), Some(&id_token)));
    let failure = op.refresh(current.clone()).unwrap_err();
    assert_eq!(failure.error.code(), "invalid_id_token");
    assert_eq!(failure.error.reason(), Some("refreshed_claim_changed"));
    assert_eq!(op.verified, [true]);
    let kept = failure.keep.expect("the rotated refresh token is kept");
    assert_same_session(&kept, &with_refresh_token(&current, "rt-2"));
}

#[test]
fn rp_userinfo_bad_sub_claim_on_refresh() {
    let current = signed_in_session();
    let mut op = FakeOp::new().token(tokens("at-2", Some("rt-2"), None));
    op.config.check_userinfo_on_refresh = true;
    op.userinfo
        .push_back(ok(json!({"sub": "someone-else", "name": "Mallory"})));
    let failure = op.refresh(current.clone()).unwrap_err();
    assert_eq!(failure.error, Error::SubjectMismatch);
    assert_eq!(failure.error.code(), "subject_mismatch");
    assert_eq!(op.steps, [vec!["token"], vec!["userinfo"]]);
    // rp-userinfo-bearer-header: the new access token, in the Authorization header.
    let userinfo = op.sent_to(&userinfo_endpoint())[0];
    assert_eq!(userinfo.method, Method::Get);
    assert_eq!(userinfo.header("Authorization"), Some("Bearer at-2"));
    let kept = failure.keep.expect("the rotated refresh token is kept");
    assert_eq!(kept.access_token.expose(), "at-1");
    assert_same_session(&kept, &with_refresh_token(&current, "rt-2"));
}

#[test]
fn refresh_with_a_matching_userinfo_subject_succeeds() {
    let current = signed_in_session();
    let id_token = refreshed_id_token(json!({}));
    let mut op = FakeOp::new().token(tokens("at-2", Some("rt-2"), Some(&id_token)));
    op.config.check_userinfo_on_refresh = true;
    op.userinfo.push_back(ok(json!({"sub": "248289761001"})));
    let renewed = op.refresh(current).unwrap();
    assert_eq!(
        op.steps,
        [
            vec!["token"],
            vec!["jwks"],
            vec!["verify"],
            vec!["userinfo"]
        ]
    );
    assert_eq!(
        op.sent_to(&userinfo_endpoint())[0].header("Authorization"),
        Some("Bearer at-2")
    );
    assert_eq!(renewed.access_token.expose(), "at-2");
    assert_eq!(
        renewed.refresh_token.as_ref().map(RefreshToken::expose),
        Some("rt-2")
    );
}

#[test]
fn refresh_timeout_keeps_the_session_as_it_is() {
    let mut op = FakeOp::new().token(Err(Error::Timeout));
    let failure = op.refresh(signed_in_session()).unwrap_err();
    assert_eq!(failure.error.code(), "timeout");
    // No answer came, so nothing was spent.
    assert!(failure.keep.is_none());
}

/// An OP that refuses a refresh with a bare HTTP 400 (Glewlwyd, after it revoked a chain on reuse):
/// `invalid_grant` with reason `no_error_body`; the session is kept without its refresh token,
/// with its access token.
#[test]
fn a_refresh_refused_by_status_alone_is_invalid_grant_and_drops_the_refresh_token() {
    for (code, body) in [(400, ""), (401, ""), (400, "Bad Request"), (400, "{}")] {
        let current = signed_in_session();
        let mut op = FakeOp::new().token(Ok(HttpResponse {
            status: code,
            body: body.into(),
            dpop_nonce: None,
        }));
        let failure = op.refresh(current.clone()).unwrap_err();
        assert_eq!(failure.error.code(), "invalid_grant", "{code} {body:?}");
        assert_eq!(failure.error.reason(), Some("no_error_body"));
        assert!(SilentPlan::falls_back_on(&failure.error));
        let kept = failure
            .keep
            .expect("the session is kept without its refresh token");
        assert!(kept.refresh_token.is_none());
        assert_eq!(kept.access_token.expose(), "at-1");
        assert_eq!(kept.claims, current.claims);
    }

    // The OP's own invalid_grant drops it too, with no reason of the SDK's.
    let mut op = FakeOp::new().token(status(400, json!({"error": "invalid_grant"})));
    let failure = op.refresh(signed_in_session()).unwrap_err();
    assert_eq!(failure.error.code(), "invalid_grant");
    assert_eq!(failure.error.reason(), None);
    assert!(failure.keep.unwrap().refresh_token.is_none());

    // Other statuses without a body are not read as a refused grant: the session stays.
    for code in [500, 503] {
        let mut op = FakeOp::new().token(Ok(HttpResponse {
            status: code,
            body: String::new(),
            dpop_nonce: None,
        }));
        let failure = op.refresh(signed_in_session()).unwrap_err();
        assert_eq!(failure.error.code(), "invalid_response");
        assert_eq!(failure.error.reason(), Some("unexpected_status"));
        assert!(failure.keep.is_none());
    }
}

#[test]
fn refresh_without_a_refresh_token_is_no_session() {
    let mut current = signed_in_session();
    current.refresh_token = None;
    let mut op = FakeOp::new();
    let failure = op.refresh(current).unwrap_err();
    assert_eq!(failure.error.code(), "no_session");
    assert!(failure.keep.is_none());
    assert!(op.requests.is_empty());
}

#[test]
fn under_the_lock_a_tab_refreshes_only_the_session_it_held() {
    let held = signed_in_session();
    assert!(matches!(
        under_lock(Some(&held), None, NOW),
        UnderLock::SignedOutElsewhere
    ));
    match under_lock(Some(&held), Some(held.clone()), NOW) {
        UnderLock::Refresh(stored) => assert_same_session(&stored, &held),
        other => panic!("expected Refresh, got {other:?}"),
    }
    // Another tab refreshed while this one waited: its session, not a replayed refresh token.
    let mut op = FakeOp::new().token(tokens("at-2", Some("rt-2"), None));
    let refreshed = op.refresh(held.clone()).unwrap();
    match under_lock(Some(&held), Some(refreshed.clone()), NOW) {
        UnderLock::AlreadyRefreshed(stored) => assert_same_session(&stored, &refreshed),
        other => panic!("expected AlreadyRefreshed, got {other:?}"),
    }
    // A tab that held nothing takes the stored session.
    assert!(matches!(
        under_lock(None, Some(held.clone()), NOW),
        UnderLock::AlreadyRefreshed(_)
    ));
    // A newer session whose access token is due (the shared copy a failed write left, read by
    // a tab waking long after) is refreshed with its own refresh token, not handed out.
    let expires_at = refreshed.expires_at.expect("an expiry");
    match under_lock(Some(&held), Some(refreshed.clone()), expires_at) {
        UnderLock::Refresh(stored) => assert_same_session(&stored, &refreshed),
        other => panic!("expected Refresh, got {other:?}"),
    }
    match under_lock(Some(&held), Some(refreshed.clone()), expires_at - 61) {
        UnderLock::AlreadyRefreshed(_) => {}
        other => panic!("expected AlreadyRefreshed outside the leeway, got {other:?}"),
    }
}

// ----- silent and popup sign-in -----

#[test]
fn silent_plan_refreshes_first_only_with_a_refresh_token_and_plain_options() {
    let session = signed_in_session();
    let plan = SilentPlan::new(Some(&session), AuthorizeOptions::default(), true);
    assert!(plan.refresh_first);
    assert_eq!(plan.authorize.prompt, [Prompt::None]);
    assert!(matches!(
        plan.authorize.id_token_hint,
        Some(IdTokenHint::Current)
    ));

    // Options only an authorization request can honour go straight to prompt=none.
    let options = AuthorizeOptions {
        max_age: Some(0),
        prompt: vec![Prompt::Login],
        ..AuthorizeOptions::default()
    };
    let plan = SilentPlan::new(Some(&session), options, true);
    assert!(!plan.refresh_first);
    assert_eq!(plan.authorize.prompt, [Prompt::None]);
    assert_eq!(plan.authorize.max_age, Some(0));

    // No refresh token.
    let mut no_refresh = session.clone();
    no_refresh.refresh_token = None;
    assert!(!SilentPlan::new(Some(&no_refresh), AuthorizeOptions::default(), true).refresh_first);

    // No session: no refresh, no hint.
    let plan = SilentPlan::new(None, AuthorizeOptions::default(), true);
    assert!(!plan.refresh_first);
    assert!(plan.authorize.id_token_hint.is_none());

    // A hint the options name is kept.
    let options = AuthorizeOptions {
        id_token_hint: Some(IdTokenHint::Token(RawIdToken::new("given.hint.token"))),
        ..AuthorizeOptions::default()
    };
    let plan = SilentPlan::new(Some(&session), options, true);
    assert!(!plan.refresh_first);
    match &plan.authorize.id_token_hint {
        Some(IdTokenHint::Token(token)) => assert_eq!(token.expose(), "given.hint.token"),
        other => panic!("expected the given hint, got {other:?}"),
    }
}

/// OIDC Core §3.1.2.1: the session's ID token goes as id_token_hint with prompt=none by default;
/// `idTokenHint: false` in the config or in the options leaves it out, and still refreshes first.
#[test]
fn silent_plan_id_token_hint_can_be_turned_off() {
    let session = signed_in_session();
    let plan = SilentPlan::new(Some(&session), AuthorizeOptions::default(), false);
    assert!(plan.refresh_first);
    assert!(plan.authorize.id_token_hint.is_none());
    let omit = AuthorizeOptions {
        omit_id_token_hint: true,
        ..AuthorizeOptions::default()
    };
    // The authorization URL a plan's iframe would load.
    let url_of = |plan: SilentPlan| {
        plan.authorize
            .to_request(
                &FakeOp::new().config,
                Some(&session),
                ResponseMode::Query,
                REDIRECT_URI,
            )
            .unwrap()
            .build(&FakeOp::new().metadata, NOW)
            .unwrap()
            .0
    };
    let plan = SilentPlan::new(Some(&session), omit, true);
    assert!(plan.refresh_first);
    assert!(plan.authorize.id_token_hint.is_none());
    // The request it makes carries none.
    let url = url_of(plan);
    assert!(url.contains("prompt=none"), "{url}");
    assert!(!url.contains("id_token_hint"), "{url}");
    // And by default it does.
    let url = url_of(SilentPlan::new(
        Some(&session),
        AuthorizeOptions::default(),
        true,
    ));
    assert!(url.contains("id_token_hint="), "{url}");
}

#[test]
fn silent_sign_in_falls_back_to_the_iframe_only_on_invalid_grant() {
    let op_error = |code: &str| {
        Error::Op(OpError {
            error: code.into(),
            description: None,
            uri: None,
            state: None,
            reason: None,
        })
    };
    assert!(SilentPlan::falls_back_on(&op_error("invalid_grant")));
    for other in [
        op_error("login_required"),
        op_error("invalid_client"),
        Error::Network("offline".into()),
        Error::Timeout,
        Error::IdTokenRequired,
        Error::SubjectMismatch,
    ] {
        assert!(!SilentPlan::falls_back_on(&other), "{other:?}");
    }
}

const OWN_ORIGIN: &str = "https://app.example.com";

fn frame_plan(
    config: &ClientConfig,
    metadata: &ProviderMetadata,
    options: &AuthorizeOptions,
    popup: bool,
) -> Result<FramePlan, Error> {
    FramePlan::new(
        config,
        metadata,
        options,
        popup,
        ISSUER.into(),
        OWN_ORIGIN.into(),
    )
}

#[test]
fn frame_plan_chooses_web_message_when_the_op_lists_it() {
    let mut op = FakeOp::new();
    op.config.silent_timeout_ms = 7777;
    op.metadata.response_modes_supported = Some(vec![
        "query".into(),
        "fragment".into(),
        "web_message".into(),
    ]);
    let options = AuthorizeOptions::default();

    let plan = frame_plan(&op.config, &op.metadata, &options, false).unwrap();
    assert_eq!(plan.mode, ResponseMode::WebMessage);
    // No silent-callback page is needed: the OP posts the response itself.
    assert_eq!(plan.redirect_uri, REDIRECT_URI);
    assert_eq!(
        plan.expect,
        Expect::WebMessage {
            op_origin: ISSUER.into(),
            own_origin: None,
        }
    );
    assert_eq!(plan.timeout_ms, 7777);

    // A popup waits as long as a person may take: the transaction's lifetime.
    let plan = frame_plan(&op.config, &op.metadata, &options, true).unwrap();
    assert_eq!(plan.timeout_ms, 600_000);

    // The options' response mode wins.
    op.config = op
        .config
        .silent_redirect_uri(format!("{OWN_ORIGIN}/silent-callback.html"));
    let options = AuthorizeOptions {
        response_mode: Some(ResponseMode::Fragment),
        ..AuthorizeOptions::default()
    };
    let plan = frame_plan(&op.config, &op.metadata, &options, false).unwrap();
    assert_eq!(plan.mode, ResponseMode::Fragment);
    assert_eq!(
        plan.redirect_uri,
        format!("{OWN_ORIGIN}/silent-callback.html")
    );
}

#[test]
fn frame_plan_without_web_message_needs_the_silent_redirect_uri() {
    let mut op = FakeOp::new();
    let options = AuthorizeOptions::default();
    let err = frame_plan(&op.config, &op.metadata, &options, false).unwrap_err();
    assert_eq!(err.code(), "invalid_config");
    assert_eq!(config_field(&err), "silent_redirect_uri");

    op.config = op
        .config
        .silent_redirect_uri(format!("{OWN_ORIGIN}/silent-callback.html"));
    let plan = frame_plan(&op.config, &op.metadata, &options, false).unwrap();
    assert_eq!(plan.mode, ResponseMode::Query);
    assert_eq!(
        plan.redirect_uri,
        format!("{OWN_ORIGIN}/silent-callback.html")
    );
    assert_eq!(
        plan.expect,
        Expect::CallbackPage {
            own_origin: OWN_ORIGIN.into()
        }
    );
    assert_eq!(plan.timeout_ms, op.config.silent_timeout_ms);
}

#[test]
fn a_popup_prefers_the_callback_page_which_survives_coop() {
    let mut op = FakeOp::new();
    op.metadata.response_modes_supported = Some(vec!["query".into(), "web_message".into()]);
    let options = AuthorizeOptions::default();
    // Without a callback page, a popup has only web_message.
    let plan = frame_plan(&op.config, &op.metadata, &options, true).unwrap();
    assert_eq!(plan.mode, ResponseMode::WebMessage);
    assert!(plan.popup);

    op.config = op
        .config
        .silent_redirect_uri(format!("{OWN_ORIGIN}/silent-callback.html"));
    let plan = frame_plan(&op.config, &op.metadata, &options, true).unwrap();
    assert_eq!(plan.mode, ResponseMode::Query);
    assert_eq!(
        plan.expect,
        Expect::CallbackPage {
            own_origin: OWN_ORIGIN.into()
        }
    );
    // The hidden iframe, which COOP does not touch, keeps web_message.
    let plan = frame_plan(&op.config, &op.metadata, &options, false).unwrap();
    assert_eq!(plan.mode, ResponseMode::WebMessage);
    assert!(!plan.popup);
    // And the options still win.
    let web_message = AuthorizeOptions {
        response_mode: Some(ResponseMode::WebMessage),
        ..AuthorizeOptions::default()
    };
    let plan = frame_plan(&op.config, &op.metadata, &web_message, true).unwrap();
    assert_eq!(plan.mode, ResponseMode::WebMessage);
}

#[test]
fn a_sign_in_is_announced_as_signed_in_unless_a_hidden_frame_renewed_the_session() {
    assert_eq!(Announce::of(true, false), Announce::SignedIn);
    assert_eq!(
        Announce::of(true, true),
        Announce::SignedIn,
        "a popup, a redirect"
    );
    assert_eq!(
        Announce::of(false, false),
        Announce::SignedIn,
        "the page's first session"
    );
    assert_eq!(
        Announce::of(false, true),
        Announce::Refreshed,
        "a hidden iframe renewed it"
    );
}

#[test]
fn only_local_storage_is_shared_between_tabs() {
    assert!(StorageKind::Local.is_shared());
    assert!(!StorageKind::Session.is_shared());
    assert!(!StorageKind::Memory.is_shared());
}

const OPEN_HERE: PopupLook = PopupLook {
    closed: false,
    cross_origin: false,
};
const OPEN_AT_OP: PopupLook = PopupLook {
    closed: false,
    cross_origin: true,
};
const CLOSED: PopupLook = PopupLook {
    closed: true,
    cross_origin: false,
};

#[test]
fn a_popup_closed_by_the_user_was_first_seen_at_the_op() {
    let mut watch = PopupWatch::new(true);
    assert_eq!(watch.look(OPEN_HERE), PopupVerdict::Watch); // about:blank, before the OP answers
    assert_eq!(watch.look(OPEN_AT_OP), PopupVerdict::Watch);
    assert_eq!(watch.look(OPEN_AT_OP), PopupVerdict::Watch);
    // One look of grace: an answering page posts, then closes the popup.
    assert_eq!(watch.look(CLOSED), PopupVerdict::Watch);
    assert_eq!(watch.look(CLOSED), PopupVerdict::Closed);
}

#[test]
fn a_popup_that_reopens_between_looks_is_not_closed() {
    let mut watch = PopupWatch::new(true);
    assert_eq!(watch.look(OPEN_AT_OP), PopupVerdict::Watch);
    assert_eq!(watch.look(OPEN_AT_OP), PopupVerdict::Watch);
    assert_eq!(watch.look(CLOSED), PopupVerdict::Watch);
    assert_eq!(watch.look(OPEN_HERE), PopupVerdict::Watch);
    assert_eq!(watch.look(CLOSED), PopupVerdict::Watch);
    assert_eq!(watch.look(CLOSED), PopupVerdict::Closed);
}

#[test]
fn a_popup_cut_off_by_coop_is_never_reported_closed() {
    // An OP page with Cross-Origin-Opener-Policy severs the handle as it loads: it reads closed
    // without ever having been seen at the OP. The popup is still there; wait for the hand-over.
    let mut watch = PopupWatch::new(true);
    assert_eq!(watch.look(OPEN_HERE), PopupVerdict::Watch);
    assert_eq!(watch.look(CLOSED), PopupVerdict::Severed);
    for _ in 0..10 {
        assert_eq!(watch.look(CLOSED), PopupVerdict::Severed);
    }
    assert_eq!(watch.look(OPEN_AT_OP), PopupVerdict::Severed, "final");
}

#[test]
fn a_coop_page_seen_on_another_origin_for_one_look_still_severs() {
    // As a COOP page commits, Chromium can show the opener the popup's new document as another
    // origin's for a few milliseconds before it cuts the handle off. A look that lands in that
    // moment is not the OP's page showing: the closed handle that follows is COOP's doing.
    let mut watch = PopupWatch::new(true);
    assert_eq!(watch.look(OPEN_AT_OP), PopupVerdict::Watch);
    assert_eq!(watch.look(CLOSED), PopupVerdict::Severed);
    assert_eq!(watch.look(CLOSED), PopupVerdict::Severed);

    // Nor do two looks at the OP that are not in a row.
    let mut watch = PopupWatch::new(true);
    assert_eq!(watch.look(OPEN_AT_OP), PopupVerdict::Watch);
    assert_eq!(watch.look(OPEN_HERE), PopupVerdict::Watch);
    assert_eq!(watch.look(OPEN_AT_OP), PopupVerdict::Watch);
    assert_eq!(watch.look(CLOSED), PopupVerdict::Severed);
}

#[test]
fn a_web_message_popup_whose_handle_stays_closed_is_closed() {
    // Nothing can come back once the handle is cut off: the OP's web_message page posts to the
    // opener COOP took away. Closed on two looks, whether or not it was seen at the OP.
    let mut watch = PopupWatch::new(false);
    assert_eq!(watch.look(OPEN_HERE), PopupVerdict::Watch);
    assert_eq!(watch.look(CLOSED), PopupVerdict::Watch);
    assert_eq!(watch.look(CLOSED), PopupVerdict::Closed);

    let mut watch = PopupWatch::new(false);
    assert_eq!(watch.look(OPEN_AT_OP), PopupVerdict::Watch);
    assert_eq!(watch.look(OPEN_AT_OP), PopupVerdict::Watch);
    assert_eq!(watch.look(CLOSED), PopupVerdict::Watch);
    assert_eq!(watch.look(CLOSED), PopupVerdict::Closed);
}

#[test]
fn a_handover_needs_the_pending_state_and_a_callback_page_sign_in() {
    let callback = Expect::CallbackPage {
        own_origin: OWN_ORIGIN.into(),
    };
    let web_message = Expect::WebMessage {
        op_origin: ISSUER.into(),
        own_origin: None,
    };
    let state = "st-1";
    assert_eq!(
        web_message::callback_channel(state),
        "oidc-rp-wasm:callback:st-1"
    );
    let message = |text: &str| Json::parse(text).unwrap();
    let url = format!("{OWN_ORIGIN}/silent-callback.html?code=c&state=st-1");
    let good = message(&format!(
        r#"{{"type":"oidc-rp-wasm:callback","state":"st-1","url":"{url}"}}"#
    ));
    match web_message::accept_handover(&good, &callback, state) {
        Some(Delivery::CallbackUrl(got)) => assert_eq!(got, url),
        other => panic!("{other:?}"),
    }
    assert!(web_message::accept_handover(&good, &web_message, state).is_none());
    assert!(web_message::accept_handover(&good, &callback, "st-2").is_none());
    for bad in [
        r#"{"type":"oidc-rp-wasm:callback","url":"x"}"#,
        r#"{"type":"authorization_response","state":"st-1","url":"x"}"#,
        r#"{"type":"oidc-rp-wasm:callback","state":"st-1"}"#,
        r#"{"type":"oidc-rp-wasm:callback","state":"st-1","url":"x","formPost":7}"#,
        r#"["oidc-rp-wasm:callback"]"#,
    ] {
        assert!(
            web_message::accept_handover(&message(bad), &callback, state).is_none(),
            "{bad}"
        );
    }
    let form_post = message(
        r#"{"type":"oidc-rp-wasm:callback","state":"st-1","url":"x?oidc_form_post=1","formPost":"code=c&state=st-1"}"#,
    );
    match web_message::accept_handover(&form_post, &callback, state) {
        Some(Delivery::FormPostBody(body)) => assert_eq!(body, "code=c&state=st-1"),
        other => panic!("{other:?}"),
    }
}

/// One window handed to two popup sign-ins (a double click on an app that opens its own): the
/// callback page's message goes to both. Each takes only a response with its own state; one with
/// the other's says the window serves the other now.
#[test]
fn a_callback_page_message_with_another_state_is_not_ours() {
    let callback = Expect::CallbackPage {
        own_origin: OWN_ORIGIN.into(),
    };
    let message = |query: &str| {
        Json::parse(&format!(
            r#"{{"type":"oidc-rp-wasm:callback","url":"{OWN_ORIGIN}/silent-callback.html{query}"}}"#
        ))
        .unwrap()
    };
    let accept =
        |query: &str| web_message::accept(OWN_ORIGIN, true, &message(query), &callback, "st-1");
    let ours = |query: &str| matches!(accept(query), Some(Delivery::CallbackUrl(_)));
    let elsewhere = |query: &str| matches!(accept(query), Some(Delivery::Elsewhere));
    assert!(ours("?code=c&state=st-1"));
    assert!(ours("#code=c&state=st-1"));
    assert!(elsewhere("?code=c&state=st-2"));
    assert!(elsewhere("#error=access_denied&state=st-2"));
    // What names no state is ours to fail with (a response without one) or to pick up (form_post).
    assert!(ours("?code=c"));
    assert!(ours("?oidc_form_post=fp1"));
    // The same for web_message, from the OP's page.
    let web_message = Expect::WebMessage {
        op_origin: ISSUER.into(),
        own_origin: None,
    };
    let response = |state: &str| {
        Json::parse(&format!(
            r#"{{"type":"authorization_response","response":{{"code":"c","state":"{state}"}}}}"#
        ))
        .unwrap()
    };
    let from_op =
        |state: &str| web_message::accept(ISSUER, true, &response(state), &web_message, "st-1");
    assert!(matches!(from_op("st-1"), Some(Delivery::Params(_))));
    assert!(matches!(from_op("st-2"), Some(Delivery::Elsewhere)));
    // Only from our own window.
    assert!(web_message::accept(ISSUER, false, &response("st-2"), &web_message, "st-1").is_none());
    // Without a callback page, nothing from our own origin completes a web_message sign-in.
    let error =
        |query: &str| web_message::accept(OWN_ORIGIN, true, &message(query), &web_message, "st-1");
    assert!(error("?error=login_required&state=st-1").is_none());
    // With one (the redirect URI is the silent-callback page), an OP that sends its error there
    // in the query is heard: the delivery check then lets only an error through.
    let with_page = Expect::WebMessage {
        op_origin: ISSUER.into(),
        own_origin: Some(OWN_ORIGIN.into()),
    };
    let via_page = |origin: &str, query: &str| {
        web_message::accept(origin, true, &message(query), &with_page, "st-1")
    };
    assert!(matches!(
        via_page(OWN_ORIGIN, "?error=login_required&state=st-1"),
        Some(Delivery::CallbackUrl(_))
    ));
    assert!(matches!(
        via_page(OWN_ORIGIN, "?error=login_required&state=st-2"),
        Some(Delivery::Elsewhere)
    ));
    // A callback-page message from the OP's origin is not the page's; the OP's own response
    // still is.
    assert!(via_page(ISSUER, "?error=login_required&state=st-1").is_none());
    assert!(matches!(
        web_message::accept(ISSUER, true, &response("st-1"), &with_page, "st-1"),
        Some(Delivery::Params(_))
    ));
}

#[test]
fn a_redirect_sign_in_refuses_web_message() {
    let mut config = FakeOp::new().config;
    assert_eq!(
        redirect_mode(&config, &AuthorizeOptions::default()).unwrap(),
        ResponseMode::Query
    );
    let web_message = AuthorizeOptions {
        response_mode: Some(ResponseMode::WebMessage),
        ..AuthorizeOptions::default()
    };
    let err = redirect_mode(&config, &web_message).unwrap_err();
    assert_eq!(config_field(&err), "response_mode");
    config.response_mode = ResponseMode::FormPost;
    assert_eq!(
        redirect_mode(&config, &AuthorizeOptions::default()).unwrap(),
        ResponseMode::FormPost
    );
    config.response_mode = ResponseMode::WebMessage;
    assert_eq!(
        config_field(&redirect_mode(&config, &AuthorizeOptions::default()).unwrap_err()),
        "response_mode"
    );
}

// ----- the access token -----

fn token_of(decision: &AccessDecision) -> Option<&str> {
    match decision {
        AccessDecision::Use(token) => Some(token.expose()),
        _ => None,
    }
}

#[test]
fn access_token_decisions() {
    // Expires at NOW + 3600 with a leeway of 60 seconds.
    let session = signed_in_session();
    assert_eq!(session.refresh_leeway(), 60);
    let expires_at = NOW + 3600;
    let mut without_refresh = session.clone();
    without_refresh.refresh_token = None;

    // Not signed in.
    match decide(None, NOW) {
        AccessDecision::Fail(e) => assert_eq!(e.code(), "no_session"),
        other => panic!("{other:?}"),
    }
    // Fresh: handed out.
    assert_eq!(token_of(&decide(Some(&session), NOW)), Some("at-1"));
    assert_eq!(
        token_of(&decide(Some(&session), expires_at - 61)),
        Some("at-1")
    );
    // Inside the leeway with a refresh token: refresh, the current token as fallback.
    match decide(Some(&session), expires_at - 30) {
        AccessDecision::Refresh {
            fallback: Some(token),
        } => assert_eq!(token.expose(), "at-1"),
        other => panic!("{other:?}"),
    }
    // Expired with a refresh token: refresh, no fallback.
    assert!(matches!(
        decide(Some(&session), expires_at),
        AccessDecision::Refresh { fallback: None }
    ));
    // Expired without one: the session expired (not "no session": it is still held).
    match decide(Some(&without_refresh), expires_at) {
        AccessDecision::Fail(e) => assert_eq!(e.code(), "session_expired"),
        other => panic!("{other:?}"),
    }
    // Inside the leeway without one: the still valid token.
    assert_eq!(
        token_of(&decide(Some(&without_refresh), expires_at - 30)),
        Some("at-1")
    );
    // Unknown expiry: always handed out.
    let mut unknown = session.clone();
    unknown.expires_at = None;
    assert_eq!(token_of(&decide(Some(&unknown), i64::MAX)), Some("at-1"));
}

#[test]
fn after_a_refresh_the_fallback_covers_a_failure() {
    let new = || AccessToken::new("at-new");
    let old = || AccessToken::new("at-old");
    let failed = || Err(Error::Timeout);
    let refreshed = || Ok::<_, Error>(new());
    assert_eq!(
        after_refresh(refreshed(), Some(old())).unwrap().expose(),
        "at-new"
    );
    assert_eq!(after_refresh(refreshed(), None).unwrap().expose(), "at-new");
    assert_eq!(
        after_refresh(failed(), Some(old())).unwrap().expose(),
        "at-old"
    );
    assert_eq!(after_refresh(failed(), None).unwrap_err(), Error::Timeout);
}

#[test]
fn expiry_timers_fire_at_the_leeway_and_at_expiry() {
    let session = signed_in_session();
    assert_eq!(
        expiry_timers(&session, NOW),
        Some(ExpiryTimers {
            expiring_in_ms: 3_540_000,
            expired_in_ms: 3_600_000,
            expires_at: NOW + 3600,
        })
    );
    // Inside the leeway the first timer is due at once; past expiry both are.
    let timers = expiry_timers(&session, NOW + 3570).unwrap();
    assert_eq!((timers.expiring_in_ms, timers.expired_in_ms), (0, 30_000));
    let timers = expiry_timers(&session, NOW + 7200).unwrap();
    assert_eq!((timers.expiring_in_ms, timers.expired_in_ms), (0, 0));
    let mut unknown = session;
    unknown.expires_at = None;
    assert_eq!(expiry_timers(&unknown, NOW), None);
}

#[test]
fn the_expiring_timer_refreshes_only_with_auto_refresh_and_a_refresh_token() {
    let session = signed_in_session();
    let mut without_refresh = session.clone();
    without_refresh.refresh_token = None;
    assert!(refresh_on_expiring(true, Some(&session)));
    assert!(!refresh_on_expiring(false, Some(&session)));
    assert!(!refresh_on_expiring(true, Some(&without_refresh)));
    assert!(!refresh_on_expiring(true, None));
}

// ----- logout -----

fn param(url: &str, name: &str) -> Option<String> {
    let (_, query) = url.split_once('?')?;
    form_urlencoded::parse(query.as_bytes())
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
}

#[test]
fn logout_start_sends_the_sessions_id_token_even_expired() {
    let mut op = FakeOp::new();
    op.config = op
        .config
        .post_logout_redirect_uri(format!("{OWN_ORIGIN}/bye"));
    let session = signed_in_session();
    let much_later = NOW + 86_400;
    let (url, tx) = LogoutFlow::start(
        &op.config,
        &op.metadata,
        LogoutOptions::default(),
        Some(&session),
        much_later,
    )
    .unwrap();
    assert!(url.starts_with(&format!("{ISSUER}/logout?")), "{url}");
    assert_eq!(
        param(&url, "id_token_hint").as_deref(),
        session.id_token.as_ref().map(RawIdToken::expose)
    );
    assert_eq!(param(&url, "client_id").as_deref(), Some(CLIENT_ID));
    assert_eq!(
        param(&url, "post_logout_redirect_uri"),
        Some(format!("{OWN_ORIGIN}/bye"))
    );
    assert_eq!(param(&url, "state").as_deref(), Some(tx.state.as_str()));
    assert_eq!(
        tx.post_logout_redirect_uri,
        Some(format!("{OWN_ORIGIN}/bye"))
    );
    assert_eq!(tx.created_at, much_later);

    // Asked to leave the hint out.
    let options = LogoutOptions {
        omit_id_token_hint: true,
        ..LogoutOptions::default()
    };
    let (url, _) =
        LogoutFlow::start(&op.config, &op.metadata, options, Some(&session), NOW).unwrap();
    assert_eq!(param(&url, "id_token_hint"), None);
    assert_eq!(param(&url, "client_id").as_deref(), Some(CLIENT_ID));
}

#[test]
fn logout_finish_checks_the_state() {
    let op = FakeOp::new();
    let (_, tx) = LogoutFlow::start(
        &op.config,
        &op.metadata,
        LogoutOptions::default(),
        None,
        NOW,
    )
    .unwrap();
    let back = format!("{OWN_ORIGIN}/bye?state={}", tx.state);
    assert_eq!(
        LogoutFlow::finish(&back, Some(&tx)).unwrap(),
        Some(tx.state.clone())
    );
    let other = format!("{OWN_ORIGIN}/bye?state=another");
    assert_eq!(
        LogoutFlow::finish(&other, Some(&tx)).unwrap_err(),
        Error::StateMismatch
    );
    assert_eq!(
        LogoutFlow::finish(&format!("{OWN_ORIGIN}/bye"), Some(&tx)).unwrap_err(),
        Error::StateMismatch
    );
    assert_eq!(
        LogoutFlow::finish(&back, None).unwrap_err(),
        Error::StateMismatch
    );
}

// ----- deadlines -----

#[test]
fn every_request_carries_the_configured_deadline() {
    // A code flow with a key rotation: token, JWK Set, JWK Set again.
    let claims = claims_with(json!({ "at_hash": at_hash(JwsAlg::RS256, "at-1") }));
    let first = mint("RS256", Some("b"), &claims, Key::Rsa(1));
    let mut op = FakeOp::new()
        .token(tokens("at-1", Some("rt-1"), Some(&first)))
        .jwks(rotated_sets());
    let session = op.sign_in(transaction(request())).unwrap().session;

    // Then a refresh with an ID token and the UserInfo check: token, JWK Set, UserInfo.
    op.config.check_userinfo_on_refresh = true;
    let refreshed = {
        let mut claims = claims_with(json!({ "nonce": null }));
        claims["at_hash"] = json!(at_hash(JwsAlg::RS256, "at-2"));
        mint("RS256", Some("b"), &claims, Key::Rsa(1))
    };
    op.token
        .push_back(tokens("at-2", Some("rt-2"), Some(&refreshed)));
    op.userinfo.push_back(ok(json!({"sub": "248289761001"})));
    op.refresh(session).unwrap();

    let urls: Vec<&str> = op.requests.iter().map(|r| r.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            token_endpoint(),
            jwks_uri(),
            jwks_uri(),
            token_endpoint(),
            jwks_uri(),
            userinfo_endpoint(),
        ]
    );
    for request in &op.requests {
        assert_eq!(request.timeout_ms, TIMEOUT_MS, "{}", request.url);
    }
}
