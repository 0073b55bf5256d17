//! Browser tests of the shell (`src/web`), run by wasm-bindgen-test in headless Chromium:
//! everything that needs a browser but no real OpenID Provider.
//!
//! - storage: sessions in memory / sessionStorage / localStorage, pending authorization
//!   transactions (single use, expiry, purge, corrupt values);
//! - the `message` listener of web_message (OAuth 2.0 Web Message Response Mode) and of the
//!   silent-callback page: what it accepts and what it ignores, and its timeout;
//! - refresh: one token request for concurrent callers in one tab, and the Web Lock that keeps
//!   two tabs sharing a `localStorage` session from replaying a rotated refresh token
//!   (OAuth 2.0 Security BCP §4.14), whose wait is bounded;
//! - `Client::dispose`: a disposed client refuses its calls with `disposed`;
//! - the session as JavaScript sees it (`OidcClient.session`): camelCase, absent values left
//!   out, never the refresh token;
//! - WebCrypto signature verification (RFC 7515 §5.2, RFC 7518 §3, RFC 8037) with keys the test
//!   generates itself.
//!
//! The network is a stub: `window.fetch` is replaced by a small fake OP (inline JS below) for the
//! duration of a test. Nothing waits on a clock to synchronise: tests await promises the stubs
//! (or the tests themselves) settle; only a test of a timeout lets that timeout pass.
//!
//! Run: `CHROMEDRIVER=/usr/bin/chromedriver cargo test --target wasm32-unknown-unknown --test web`
#![cfg(target_arch = "wasm32")]

use oidc_rp_wasm::core::alg::HashAlg;
use oidc_rp_wasm::core::authorize::{ResponseMode, Transaction};
use oidc_rp_wasm::core::config::{ClientConfig, StorageKind, TRANSACTION_LIFETIME};
use oidc_rp_wasm::core::id_token::{IdToken, IdTokenClaims};
use oidc_rp_wasm::core::json::Json;
use oidc_rp_wasm::core::jwks::JwkSet;
use oidc_rp_wasm::core::jws::{CompactJws, JwsAlg, SignatureCheck};
use oidc_rp_wasm::core::pkce::CodeVerifier;
use oidc_rp_wasm::core::secret::{AccessToken, RawIdToken, RefreshToken};
use oidc_rp_wasm::core::session::Session;
use oidc_rp_wasm::core::stored;
use oidc_rp_wasm::core::token::TokenType;
use oidc_rp_wasm::core::web_message::{self, Delivery, Expect, CALLBACK_MESSAGE_TYPE};
use oidc_rp_wasm::error::SignatureError;
use oidc_rp_wasm::web::client::Client;
use oidc_rp_wasm::web::frames::{self, HiddenFrame};
use oidc_rp_wasm::web::storage::{self, SessionStore};
use oidc_rp_wasm::web::{now, tabs, webcrypto};
use oidc_rp_wasm::Error;

use base64ct::{Base64UrlUnpadded, Encoding};
use serde_json::json;
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

// ----- JavaScript helpers: synthetic messages, a fake OP behind `fetch`, signed tokens -----

#[wasm_bindgen(inline_js = r#"
const originalFetch = globalThis.fetch;

export function dispatch_message(data, origin, source) {
  window.dispatchEvent(new MessageEvent("message", { data, origin, source }));
}

// A fake OpenID Provider at `issuer`, answering discovery, the JWK Set and the token endpoint
// (refresh_token grant only). It counts token requests and the most that were open at once.
// With `rotate`, every refresh issues a new refresh token and a reused one gets invalid_grant.
// `holdMs` keeps each token request open that long, so that a second caller can start meanwhile.
export function install_fake_op(issuer, clientId, refreshToken, rotate, holdMs) {
  const op = { tokenRequests: 0, open: 0, maxOpen: 0, invalidGrants: 0, issued: 0, current: refreshToken };
  const json = (body, status) =>
    new Response(JSON.stringify(body), { status: status || 200, headers: { "Content-Type": "application/json" } });
  globalThis.fetch = async (input, init) => {
    const request = input instanceof Request ? input : new Request(input, init);
    const url = request.url;
    if (url === issuer + "/.well-known/openid-configuration") {
      return json({
        issuer,
        authorization_endpoint: issuer + "/authorize",
        token_endpoint: issuer + "/token",
        jwks_uri: issuer + "/jwks",
        response_types_supported: ["code"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["RS256"],
        grant_types_supported: ["authorization_code", "refresh_token"],
      });
    }
    if (url === issuer + "/jwks") {
      return json({ keys: [] });
    }
    if (url === issuer + "/token" && request.method === "POST") {
      op.tokenRequests += 1;
      op.open += 1;
      op.maxOpen = Math.max(op.maxOpen, op.open);
      try {
        const form = new URLSearchParams(await request.text());
        if (holdMs > 0) {
          await new Promise((resolve) => setTimeout(resolve, holdMs));
        }
        if (form.get("grant_type") !== "refresh_token" || form.get("client_id") !== clientId ||
            form.get("refresh_token") !== op.current) {
          op.invalidGrants += 1;
          return json({ error: "invalid_grant", error_description: "unknown or reused refresh token" }, 400);
        }
        op.issued += 1;
        const body = { access_token: "at-" + op.issued, token_type: "Bearer", expires_in: 3600 };
        if (rotate) {
          op.current = "rt-" + op.issued;
          body.refresh_token = op.current;
        }
        return json(body);
      } finally {
        op.open -= 1;
      }
    }
    return new Response("not found", { status: 404 });
  };
  return op;
}

export function restore_fetch() {
  globalThis.fetch = originalFetch;
}

export function count_iframes() {
  return document.getElementsByTagName("iframe").length;
}

export function has_web_locks() {
  return !!(navigator.locks && navigator.locks.request);
}

function b64url(bytes) {
  let s = "";
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const KEY_PARAMS = {
  RS256: {
    generate: { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    sign: { name: "RSASSA-PKCS1-v1_5" },
  },
  PS256: {
    generate: { name: "RSA-PSS", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    sign: { name: "RSA-PSS", saltLength: 32 },
  },
  ES256: {
    generate: { name: "ECDSA", namedCurve: "P-256" },
    sign: { name: "ECDSA", hash: "SHA-256" },
  },
  EdDSA: {
    generate: { name: "Ed25519" },
    sign: { name: "Ed25519" },
  },
};

// A fresh key pair for `alg`; resolves to { token, jwks }: a compact JWS over `claims` (a JSON
// text) with header { alg, kid, typ }, and a JWK Set holding the public key as an OP publishes it.
export async function signed_token(alg, kid, claims) {
  const params = KEY_PARAMS[alg];
  const pair = await crypto.subtle.generateKey(params.generate, true, ["sign", "verify"]);
  const exported = await crypto.subtle.exportKey("jwk", pair.publicKey);
  const jwk = { kty: exported.kty, kid, use: "sig", alg };
  for (const member of ["n", "e", "crv", "x", "y"]) {
    if (exported[member] !== undefined) jwk[member] = exported[member];
  }
  const encoder = new TextEncoder();
  const header = b64url(encoder.encode(JSON.stringify({ alg, kid, typ: "JWT" })));
  const payload = b64url(encoder.encode(claims));
  const input = header + "." + payload;
  const signature = await crypto.subtle.sign(params.sign, pair.privateKey, encoder.encode(input));
  return { token: input + "." + b64url(signature), jwks: JSON.stringify({ keys: [jwk] }) };
}
"#)]
extern "C" {
    fn dispatch_message(data: &JsValue, origin: &str, source: &JsValue);

    type FakeOp;
    fn install_fake_op(
        issuer: &str,
        client_id: &str,
        refresh_token: &str,
        rotate: bool,
        hold_ms: u32,
    ) -> FakeOp;
    #[wasm_bindgen(method, getter, js_name = tokenRequests)]
    fn token_requests(this: &FakeOp) -> u32;
    #[wasm_bindgen(method, getter, js_name = maxOpen)]
    fn max_open(this: &FakeOp) -> u32;
    #[wasm_bindgen(method, getter, js_name = invalidGrants)]
    fn invalid_grants(this: &FakeOp) -> u32;
    fn restore_fetch();
    fn has_web_locks() -> bool;
    fn count_iframes() -> u32;

    fn signed_token(alg: &str, kid: &str, claims: &str) -> js_sys::Promise;
}

/// Puts the real `fetch` back when the test ends.
struct FetchStub(FakeOp);

impl FetchStub {
    fn install(
        issuer: &str,
        client_id: &str,
        refresh_token: &str,
        rotate: bool,
        hold_ms: u32,
    ) -> Self {
        FetchStub(install_fake_op(
            issuer,
            client_id,
            refresh_token,
            rotate,
            hold_ms,
        ))
    }
}

impl Drop for FetchStub {
    fn drop(&mut self) {
        restore_fetch();
    }
}

// ----- Rust helpers -----

fn window() -> web_sys::Window {
    web_sys::window().unwrap()
}

fn session_storage() -> web_sys::Storage {
    window().session_storage().unwrap().unwrap()
}

fn local_storage() -> web_sys::Storage {
    window().local_storage().unwrap().unwrap()
}

/// The keys of `storage`, in no particular order.
fn keys(storage: &web_sys::Storage) -> Vec<String> {
    (0..storage.length().unwrap())
        .filter_map(|i| storage.key(i).unwrap())
        .collect()
}

/// Removes everything this SDK keeps in both web storages, so that tests do not see each other.
fn clear_sdk_storage() {
    for storage in [session_storage(), local_storage()] {
        for key in keys(&storage) {
            if key.starts_with("oidc-rp-wasm") {
                storage.remove_item(&key).unwrap();
            }
        }
    }
}

/// Polls `future` once: `Some` if it completed, `None` if it is still pending.
async fn poll_once<F: Future + ?Sized>(future: &mut Pin<Box<F>>) -> Option<F::Output> {
    std::future::poll_fn(|cx| match future.as_mut().poll(cx) {
        Poll::Ready(value) => Poll::Ready(Some(value)),
        Poll::Pending => Poll::Ready(None),
    })
    .await
}

/// Lets the promise reactions already queued run (a resolved promise's reaction runs after them).
async fn settle() {
    for _ in 0..3 {
        JsFuture::from(js_sys::Promise::resolve(&JsValue::UNDEFINED))
            .await
            .unwrap();
    }
}

/// A promise and the function that resolves it: the test decides when it settles.
fn deferred() -> (js_sys::Promise, js_sys::Function) {
    let mut resolve = None;
    let promise = js_sys::Promise::new(&mut |resolve_fn, _reject| resolve = Some(resolve_fn));
    (promise, resolve.expect("the executor runs at once"))
}

/// Runs two futures concurrently in this task until both are done.
async fn both<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let mut a = Box::pin(a);
    let mut b = Box::pin(b);
    let mut first = None;
    let mut second = None;
    std::future::poll_fn(|cx| {
        if first.is_none() {
            if let Poll::Ready(value) = a.as_mut().poll(cx) {
                first = Some(value);
            }
        }
        if second.is_none() {
            if let Poll::Ready(value) = b.as_mut().poll(cx) {
                second = Some(value);
            }
        }
        if first.is_some() && second.is_some() {
            Poll::Ready((first.take().unwrap(), second.take().unwrap()))
        } else {
            Poll::Pending
        }
    })
    .await
}

fn claims(issuer: &str, now: i64) -> IdTokenClaims {
    let json = json!({
        "iss": issuer, "sub": "alice", "aud": "spa", "exp": now + 600, "iat": now - 10,
        "auth_time": now - 20, "name": "Alice"
    });
    IdTokenClaims::from_json(to_json(&json).as_object().unwrap().clone()).unwrap()
}

/// A signed-in session for `issuer`: its access token expires at `expires_at`, it was last
/// renewed at `updated_at`.
fn session(
    issuer: &str,
    access_token: &str,
    refresh_token: Option<&str>,
    expires_at: i64,
    updated_at: i64,
) -> Session {
    Session {
        id_token: Some(RawIdToken::new("eyJhbGciOiJSUzI1NiJ9.e30.c2ln")),
        claims: Some(claims(issuer, updated_at)),
        id_token_fresh: true,
        access_token: AccessToken::new(access_token),
        token_type: TokenType::Bearer,
        expires_at: Some(expires_at),
        scope: Some("openid offline_access".to_owned()),
        refresh_token: refresh_token.map(RefreshToken::new),
        created_at: updated_at,
        updated_at,
    }
}

fn transaction(state: &str, created_at: i64) -> Transaction {
    Transaction {
        state: state.to_owned(),
        nonce: Some(format!("nonce-of-{state}")),
        code_verifier: CodeVerifier::new(format!(
            "{state}-verifier-0123456789abcdefghijklmnopqrstuvwxyz"
        ))
        .unwrap(),
        redirect_uri: "https://app.test/callback".to_owned(),
        response_mode: ResponseMode::Query,
        scope: "openid".to_owned(),
        max_age: None,
        acr_values: Vec::new(),
        created_at,
        app_state: Some(to_json(&json!({ "returnTo": format!("/after/{state}") }))),
    }
}

/// The storage key under which the transaction for `state` was stored (found by looking, so the
/// test does not depend on the key format).
fn stored_transaction_key(state: &str) -> String {
    let found: Vec<String> = keys(&session_storage())
        .into_iter()
        .filter(|k| k.starts_with("oidc-rp-wasm") && k.ends_with(state))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one stored transaction for {state}: {found:?}"
    );
    found.into_iter().next().unwrap()
}

/// A transaction's stored text (`core::stored`), for comparing transactions field by field
/// (`Transaction` has no `PartialEq`: its verifier compares only through `ct_eq`).
fn tx_text(tx: Option<&Transaction>) -> Option<String> {
    tx.map(stored::transaction_to_text)
}

// ----- 1. storage -----

#[wasm_bindgen_test]
fn session_round_trips_through_session_and_local_storage() {
    clear_sdk_storage();
    let now = now();
    let issuer = "https://op-storage.test";
    let original = session(issuer, "at-stored", Some("rt-stored"), now + 3600, now);
    for (kind, own, other) in [
        (StorageKind::Session, session_storage(), local_storage()),
        (StorageKind::Local, local_storage(), session_storage()),
    ] {
        let store = SessionStore::new(kind, issuer, "spa");
        assert!(
            store.load().unwrap().is_none(),
            "{kind:?}: nothing stored yet"
        );
        store.save(&original).unwrap();
        assert!(
            own.get_item(store.key()).unwrap().is_some(),
            "{kind:?}: written to its storage"
        );
        assert!(
            other.get_item(store.key()).unwrap().is_none(),
            "{kind:?}: not written to the other storage"
        );
        let loaded = store.load().unwrap().expect("the saved session");
        assert_eq!(
            stored::session_to_text(&loaded),
            stored::session_to_text(&original),
            "{kind:?}: loaded equals saved, refresh token included"
        );
        assert_eq!(
            loaded.refresh_token.as_ref().map(RefreshToken::expose),
            Some("rt-stored")
        );
        store.clear().unwrap();
        assert!(store.load().unwrap().is_none(), "{kind:?}: cleared");
        assert!(
            own.get_item(store.key()).unwrap().is_none(),
            "{kind:?}: the item is gone"
        );
    }
}

#[wasm_bindgen_test]
fn memory_session_store_persists_nothing() {
    clear_sdk_storage();
    let now = now();
    let issuer = "https://op-storage.test";
    let store = SessionStore::new(StorageKind::Memory, issuer, "spa");
    store
        .save(&session(
            issuer,
            "at-memory",
            Some("rt-memory"),
            now + 3600,
            now,
        ))
        .unwrap();
    assert!(store.load().unwrap().is_none());
    for storage in [session_storage(), local_storage()] {
        let written: Vec<String> = keys(&storage)
            .into_iter()
            .filter(|k| k.starts_with("oidc-rp-wasm"))
            .collect();
        assert!(written.is_empty(), "memory storage wrote {written:?}");
    }
    store.clear().unwrap();
}

#[wasm_bindgen_test]
fn corrupt_stored_session_is_dropped_not_an_error() {
    clear_sdk_storage();
    let store = SessionStore::new(StorageKind::Local, "https://op-storage.test", "spa");
    for garbage in ["{not json", "42", r#"{"access_token": 7}"#] {
        local_storage().set_item(store.key(), garbage).unwrap();
        assert!(store.load().unwrap().is_none(), "{garbage}");
        assert!(
            local_storage().get_item(store.key()).unwrap().is_none(),
            "{garbage} was removed"
        );
    }
}

#[wasm_bindgen_test]
fn transaction_is_taken_once() {
    clear_sdk_storage();
    let now = now();
    let tx = transaction("state-once", now);
    storage::save_transaction(&tx, now).unwrap();
    assert_eq!(
        tx_text(
            storage::peek_transaction("state-once", now)
                .unwrap()
                .as_ref()
        ),
        tx_text(Some(&tx)),
        "peek leaves it"
    );
    assert_eq!(
        tx_text(
            storage::take_transaction("state-once", now)
                .unwrap()
                .as_ref()
        ),
        tx_text(Some(&tx))
    );
    assert!(
        storage::take_transaction("state-once", now)
            .unwrap()
            .is_none(),
        "a second take finds nothing"
    );
    assert!(storage::take_transaction("never-sent", now)
        .unwrap()
        .is_none());
}

#[wasm_bindgen_test]
fn several_transactions_pending_at_once() {
    clear_sdk_storage();
    let now = now();
    let txs: Vec<Transaction> = ["tab-a", "tab-b", "tab-c"]
        .iter()
        .map(|s| transaction(s, now - 5))
        .collect();
    for tx in &txs {
        storage::save_transaction(tx, now).unwrap();
    }
    // Taken in another order than stored; each gets its own back.
    for i in [1, 0, 2] {
        let taken = storage::take_transaction(&txs[i].state, now).unwrap();
        assert_eq!(tx_text(taken.as_ref()), tx_text(Some(&txs[i])));
    }
    for tx in &txs {
        assert!(storage::take_transaction(&tx.state, now).unwrap().is_none());
    }
}

#[wasm_bindgen_test]
fn expired_transaction_is_not_returned_and_is_purged_on_save() {
    clear_sdk_storage();
    let now = now();
    let born = now - TRANSACTION_LIFETIME - 5;

    // Stored (the purge runs before the write), but too old to be returned.
    let old = transaction("state-old", born);
    storage::save_transaction(&old, now).unwrap();
    assert_eq!(
        tx_text(
            storage::peek_transaction("state-old", born)
                .unwrap()
                .as_ref()
        ),
        tx_text(Some(&old)),
        "it was stored"
    );
    assert!(
        storage::take_transaction("state-old", now)
            .unwrap()
            .is_none(),
        "expired: not returned"
    );

    // Just inside the lifetime it is still returned.
    let young = transaction("state-young", now - TRANSACTION_LIFETIME + 5);
    storage::save_transaction(&young, now).unwrap();
    assert_eq!(
        tx_text(
            storage::peek_transaction("state-young", now)
                .unwrap()
                .as_ref()
        ),
        tx_text(Some(&young))
    );

    // Saving another transaction purges expired ones and keeps the rest.
    let stale = transaction("state-stale", born);
    storage::save_transaction(&stale, now).unwrap();
    assert!(
        storage::peek_transaction("state-stale", born)
            .unwrap()
            .is_some(),
        "present before the purge"
    );
    let fresh = transaction("state-fresh", now);
    storage::save_transaction(&fresh, now).unwrap();
    assert!(
        storage::peek_transaction("state-stale", born)
            .unwrap()
            .is_none(),
        "purged by the next save"
    );
    assert!(
        keys(&session_storage())
            .iter()
            .all(|k| !k.ends_with("state-stale")),
        "the expired item is gone from sessionStorage"
    );
    assert_eq!(
        tx_text(
            storage::take_transaction("state-young", now)
                .unwrap()
                .as_ref()
        ),
        tx_text(Some(&young))
    );
    assert_eq!(
        tx_text(
            storage::take_transaction("state-fresh", now)
                .unwrap()
                .as_ref()
        ),
        tx_text(Some(&fresh))
    );
}

#[wasm_bindgen_test]
fn corrupt_stored_transaction_is_dropped_not_an_error() {
    clear_sdk_storage();
    let now = now();

    // Read back: no transaction, no error, and the item is removed.
    storage::save_transaction(&transaction("state-corrupt", now), now).unwrap();
    let key = stored_transaction_key("state-corrupt");
    session_storage()
        .set_item(&key, "{\"state\": \"state-corrupt\", truncated")
        .unwrap();
    assert!(storage::take_transaction("state-corrupt", now)
        .unwrap()
        .is_none());
    assert!(session_storage().get_item(&key).unwrap().is_none());

    // Left alone: purged when another transaction is saved.
    storage::save_transaction(&transaction("state-mangled", now), now).unwrap();
    let key = stored_transaction_key("state-mangled");
    session_storage().set_item(&key, "[]").unwrap();
    storage::save_transaction(&transaction("state-next", now), now).unwrap();
    assert!(
        session_storage().get_item(&key).unwrap().is_none(),
        "the corrupt item was purged"
    );
    assert!(storage::take_transaction("state-next", now)
        .unwrap()
        .is_some());
}

// ----- 2. the web_message listener -----

const OP_ORIGIN: &str = "https://op.test";

/// A web_message payload, as the OP's page posts it.
fn web_message_json(kind: &str, response: serde_json::Value) -> serde_json::Value {
    json!({ "type": kind, "response": response })
}

/// The same, as the JS object a listener receives.
fn web_message(kind: &str, response: serde_json::Value) -> JsValue {
    to_js(&web_message_json(kind, response))
}

/// A `serde_json` value (how these tests write JSON) as the core's [`Json`].
fn to_json(value: &serde_json::Value) -> Json {
    Json::parse(&value.to_string()).unwrap()
}

/// A JSON value as the plain JS object a page would post.
fn to_js(value: &serde_json::Value) -> JsValue {
    js_sys::JSON::parse(&value.to_string()).unwrap()
}

/// Dispatches each `(what, data, origin, source)` message and asserts that `wait` is still
/// pending after it: the listener ignored it.
async fn assert_all_ignored<F: Future + ?Sized>(
    wait: &mut Pin<Box<F>>,
    wrong: &[(&str, JsValue, &str, &JsValue)],
) {
    for (what, data, origin, from) in wrong {
        dispatch_message(data, origin, from);
        settle().await;
        assert!(
            poll_once(wait).await.is_none(),
            "a message from {what} was accepted"
        );
    }
}

/// A pending web_message wait on `source` for `state`, owning what it borrows.
fn web_message_wait(
    source: &JsValue,
    op_origin: &str,
    state: &str,
    timeout_ms: u32,
) -> Pin<Box<dyn Future<Output = Result<Delivery, Error>>>> {
    let window: web_sys::Window = source.clone().unchecked_into();
    let expect = Expect::WebMessage {
        op_origin: op_origin.to_owned(),
    };
    let state = state.to_owned();
    Box::pin(
        async move { frames::wait_for_response(&window, expect, &state, timeout_ms, None).await },
    )
}

fn open_frame() -> (HiddenFrame, JsValue) {
    let frame = HiddenFrame::open("about:blank").unwrap();
    let source = JsValue::from(frame.window().expect("an attached iframe has a window"));
    (frame, source)
}

fn expect_params(result: Result<Delivery, Error>) -> oidc_rp_wasm::core::response::ResponseParams {
    match result {
        Ok(Delivery::Params(params)) => params,
        other => panic!("expected web_message parameters, got {other:?}"),
    }
}

#[wasm_bindgen_test]
async fn web_message_ignores_wrong_origin_source_type_and_state() {
    let (frame, source) = open_frame();
    let (_other_frame, other_source) = open_frame();
    let state = "state-web-message";
    let mut wait = web_message_wait(&source, OP_ORIGIN, state, 30_000);
    assert!(
        poll_once(&mut wait).await.is_none(),
        "nothing delivered yet"
    );

    let good = json!({ "code": "the-right-code", "state": state });
    let own_window = JsValue::from(window());
    let no_source = JsValue::NULL;
    // Each wrong message carries its own code: had one been accepted, the wait would end with it.
    let wrong: Vec<(&str, JsValue, &str, &JsValue)> = vec![
        (
            "wrong origin",
            web_message(
                "authorization_response",
                json!({"code": "c-origin", "state": state}),
            ),
            "https://evil.test",
            &source,
        ),
        (
            "origin differing only by scheme",
            web_message(
                "authorization_response",
                json!({"code": "c-scheme", "state": state}),
            ),
            "http://op.test",
            &source,
        ),
        (
            "another iframe",
            web_message(
                "authorization_response",
                json!({"code": "c-other-frame", "state": state}),
            ),
            OP_ORIGIN,
            &other_source,
        ),
        (
            "this window",
            web_message(
                "authorization_response",
                json!({"code": "c-self", "state": state}),
            ),
            OP_ORIGIN,
            &own_window,
        ),
        (
            "no source",
            web_message(
                "authorization_response",
                json!({"code": "c-null", "state": state}),
            ),
            OP_ORIGIN,
            &no_source,
        ),
        (
            "wrong type",
            web_message(
                "authorization_request",
                json!({"code": "c-type", "state": state}),
            ),
            OP_ORIGIN,
            &source,
        ),
        (
            "callback-page type",
            web_message(
                CALLBACK_MESSAGE_TYPE,
                json!({"code": "c-callback", "state": state}),
            ),
            OP_ORIGIN,
            &source,
        ),
        (
            "wrong state",
            web_message(
                "authorization_response",
                json!({"code": "c-state", "state": "someone-else"}),
            ),
            OP_ORIGIN,
            &source,
        ),
        (
            "no state",
            web_message("authorization_response", json!({"code": "c-no-state"})),
            OP_ORIGIN,
            &source,
        ),
        (
            "not an object",
            JsValue::from_str("authorization_response"),
            OP_ORIGIN,
            &source,
        ),
        (
            "response not an object",
            to_js(&json!({"type": "authorization_response", "response": "code=x"})),
            OP_ORIGIN,
            &source,
        ),
    ];
    assert_all_ignored(&mut wait, &wrong).await;

    dispatch_message(
        &web_message("authorization_response", good),
        OP_ORIGIN,
        &source,
    );
    let params = expect_params(wait.await);
    assert_eq!(params.get("code"), Some("the-right-code"));
    assert_eq!(params.state(), Some(state));
    drop(frame);
}

#[wasm_bindgen_test]
async fn web_message_delivers_op_error_for_our_state() {
    // prompt=none errors come back by web_message too, and surface as the OP's error, not a timeout.
    let (_frame, source) = open_frame();
    let state = "state-login-required";
    let mut wait = web_message_wait(&source, OP_ORIGIN, state, 30_000);
    assert!(poll_once(&mut wait).await.is_none());
    let error =
        json!({ "error": "login_required", "error_description": "sign in first", "state": state });
    dispatch_message(
        &web_message("authorization_response", error),
        OP_ORIGIN,
        &source,
    );
    let params = expect_params(wait.await);
    assert_eq!(params.get("error"), Some("login_required"));
    assert_eq!(params.get("code"), None);
}

#[wasm_bindgen_test]
async fn callback_page_message_accepted_only_from_own_origin_and_source() {
    let (_frame, source) = open_frame();
    let (_other_frame, other_source) = open_frame();
    let own = frames::own_origin().unwrap();
    let expect = Expect::CallbackPage {
        own_origin: own.clone(),
    };
    let source_window: web_sys::Window = source.clone().unchecked_into();
    let mut wait = Box::pin(frames::wait_for_response(
        &source_window,
        expect,
        "state-cb",
        30_000,
        None,
    ));
    assert!(poll_once(&mut wait).await.is_none());

    let no_source = JsValue::NULL;
    let callback = |url: &str| to_js(&json!({ "type": CALLBACK_MESSAGE_TYPE, "url": url }));
    let wrong: Vec<(&str, JsValue, &str, &JsValue)> = vec![
        (
            "the OP's origin",
            callback("https://app.test/cb?from=op-origin"),
            OP_ORIGIN,
            &source,
        ),
        (
            "another iframe",
            callback("https://app.test/cb?from=other-frame"),
            own.as_str(),
            &other_source,
        ),
        (
            "no source",
            callback("https://app.test/cb?from=null"),
            own.as_str(),
            &no_source,
        ),
        (
            "a web_message payload",
            web_message(
                "authorization_response",
                json!({"code": "c", "state": "state-cb"}),
            ),
            own.as_str(),
            &source,
        ),
        (
            "another type",
            to_js(&json!({"type": "oidc-rp-wasm:other", "url": "https://app.test/cb?from=type"})),
            own.as_str(),
            &source,
        ),
        (
            "no url",
            to_js(&json!({"type": CALLBACK_MESSAGE_TYPE})),
            own.as_str(),
            &source,
        ),
    ];
    assert_all_ignored(&mut wait, &wrong).await;

    let url = "https://app.test/silent-callback.html?code=abc&state=state-cb";
    dispatch_message(&callback(url), own.as_str(), &source);
    match wait.await {
        Ok(Delivery::CallbackUrl(delivered)) => assert_eq!(delivered, url),
        other => panic!("expected the callback URL, got {other:?}"),
    }
}

#[wasm_bindgen_test]
fn accept_decides_on_origin_source_type_and_state() {
    // The pure decision, without a listener.
    let expect = Expect::WebMessage {
        op_origin: OP_ORIGIN.to_owned(),
    };
    let data = to_json(&web_message_json(
        "authorization_response",
        json!({"code": "c", "state": "s"}),
    ));
    assert!(web_message::accept(OP_ORIGIN, true, &data, &expect, "s").is_some());
    assert!(
        web_message::accept(OP_ORIGIN, false, &data, &expect, "s").is_none(),
        "wrong source"
    );
    assert!(
        web_message::accept("https://op.test.evil", true, &data, &expect, "s").is_none(),
        "wrong origin"
    );
    assert!(
        web_message::accept(OP_ORIGIN, true, &data, &expect, "t").is_none(),
        "wrong state"
    );
    assert!(
        web_message::accept(OP_ORIGIN, true, &Json::Null, &expect, "s").is_none(),
        "no data"
    );
    let callback_page = Expect::CallbackPage {
        own_origin: "https://app.test".to_owned(),
    };
    let callback = to_json(&json!({"type": CALLBACK_MESSAGE_TYPE, "url": "https://app.test/cb"}));
    assert!(matches!(
        web_message::accept("https://app.test", true, &callback, &callback_page, "ignored"),
        Some(Delivery::CallbackUrl(url)) if url == "https://app.test/cb"
    ));
    assert!(
        web_message::accept("https://app.test", true, &data, &callback_page, "s").is_none(),
        "web_message type"
    );
    assert!(
        web_message::accept(OP_ORIGIN, true, &callback, &callback_page, "s").is_none(),
        "foreign origin"
    );
}

// ----- 3. timeout -----

#[wasm_bindgen_test]
async fn silent_frame_that_never_answers_times_out() {
    let frames_before = count_iframes();
    let (frame, source) = open_frame();
    let source_window: web_sys::Window = source.unchecked_into();
    let expect = Expect::WebMessage {
        op_origin: OP_ORIGIN.to_owned(),
    };
    let started = js_sys::Date::now();
    let result = frames::wait_for_response(&source_window, expect, "state-silent", 200, None).await;
    let elapsed = js_sys::Date::now() - started;
    let error = result.expect_err("no message was ever posted");
    assert_eq!(error, Error::Timeout);
    assert_eq!(error.code(), "timeout");
    // Not before the configured timeout (timers never fire early; 5 ms for clock granularity).
    assert!(elapsed >= 195.0, "timed out after only {elapsed} ms");
    drop(frame);
    let frames_after = count_iframes();
    assert_eq!(frames_after, frames_before, "the hidden iframe is removed");
}

// ----- 4. one token request for concurrent callers -----

#[wasm_bindgen_test]
async fn concurrent_get_access_token_makes_one_token_request() {
    clear_sdk_storage();
    let issuer = "https://op-single-flight.test";
    let now = now();
    // Renewed an hour ago, 30 s left: within the refresh leeway, not yet expired.
    let stored = session(issuer, "at-old", Some("rt-0"), now + 30, now - 3600);
    let store = SessionStore::new(StorageKind::Session, issuer, "spa");
    store.save(&stored).unwrap();
    let op = FetchStub::install(issuer, "spa", "rt-0", false, 20);

    let mut config =
        ClientConfig::new(issuer, "spa", "https://app.test/callback").storage(StorageKind::Session);
    // No timer-driven refresh: the two calls below are the only callers.
    config.auto_refresh = false;
    let client = Client::create(config).await.unwrap();
    assert_eq!(
        client.session().unwrap().access_token.expose(),
        "at-old",
        "the stored session was restored"
    );

    let (first, second) = both(client.get_access_token(), client.get_access_token()).await;
    assert_eq!(first.unwrap().expose(), "at-1");
    assert_eq!(second.unwrap().expose(), "at-1");
    assert_eq!(
        op.0.token_requests(),
        1,
        "one token request for both callers"
    );
    assert_eq!(op.0.max_open(), 1);

    // A fresh token is handed out without another request.
    assert_eq!(client.get_access_token().await.unwrap().expose(), "at-1");
    assert_eq!(op.0.token_requests(), 1);

    // The refresh response had no id_token: identity kept, marked not fresh, refresh token kept.
    let renewed = store
        .load()
        .unwrap()
        .expect("the renewed session is persisted");
    assert_eq!(renewed.access_token.expose(), "at-1");
    assert_eq!(renewed.subject(), Some("alice"));
    assert_eq!(
        renewed.id_token.as_ref().map(RawIdToken::expose),
        stored.id_token.as_ref().map(RawIdToken::expose)
    );
    assert!(!renewed.id_token_fresh);
    assert_eq!(
        renewed.refresh_token.as_ref().map(RefreshToken::expose),
        Some("rt-0")
    );
    drop(client);
    clear_sdk_storage();
}

#[wasm_bindgen_test]
async fn a_dropped_refresh_neither_wedges_later_refreshes_nor_loses_its_answer() {
    // A Rust caller may stop waiting (select! with a timeout, an unmounted component). The
    // refresh it started must still complete, and later callers must not wait forever.
    clear_sdk_storage();
    let issuer = "https://op-dropped-refresh.test";
    let now = now();
    let store = SessionStore::new(StorageKind::Session, issuer, "spa");
    store
        .save(&session(issuer, "at-old", Some("rt-0"), now + 3600, now))
        .unwrap();
    let op = FetchStub::install(issuer, "spa", "rt-0", true, 20);
    let mut config =
        ClientConfig::new(issuer, "spa", "https://app.test/callback").storage(StorageKind::Session);
    config.auto_refresh = false;
    let client = Client::create(config).await.unwrap();

    let mut abandoned = Box::pin(client.refresh());
    assert!(
        poll_once(&mut abandoned).await.is_none(),
        "the refresh is under way"
    );
    drop(abandoned);

    // The next caller joins the refresh still running and gets its result: one request in all.
    let renewed = client.refresh().await.expect("a later refresh completes");
    assert_eq!(renewed.access_token.expose(), "at-1");
    assert_eq!(op.0.token_requests(), 1);
    // And the rotated refresh token it brought was kept, so the one after that works too.
    assert_eq!(
        client.refresh().await.unwrap().access_token.expose(),
        "at-2"
    );
    assert_eq!(op.0.token_requests(), 2);
    drop(client);
    clear_sdk_storage();
}

#[wasm_bindgen_test]
async fn a_dropped_wait_removes_its_listener_and_timer() {
    let (frame, source) = open_frame();
    let mut wait = web_message_wait(&source, OP_ORIGIN, "state-dropped", 50);
    assert!(poll_once(&mut wait).await.is_none());
    drop(wait);
    // Had the listener or the timer stayed registered, this message (and the timer firing after
    // 50 ms) would call a freed closure, which throws. A later wait of our own still works.
    let (_frame2, source2) = open_frame();
    let mut second = web_message_wait(&source2, OP_ORIGIN, "state-live", 60_000);
    assert!(poll_once(&mut second).await.is_none());
    // An exception in a listener is reported as an `error` event on the window: count them.
    let errors = std::rc::Rc::new(std::cell::Cell::new(0));
    let on_error = {
        let errors = errors.clone();
        wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || errors.set(errors.get() + 1))
    };
    window()
        .add_event_listener_with_callback("error", on_error.as_ref().unchecked_ref())
        .unwrap();
    let dropped = web_message(
        "authorization_response",
        json!({"state": "state-dropped", "code": "x"}),
    );
    dispatch_message(&dropped, OP_ORIGIN, &source);
    let live = web_message(
        "authorization_response",
        json!({"state": "state-live", "code": "live"}),
    );
    dispatch_message(&live, OP_ORIGIN, &source2);
    let params = expect_params(second.await);
    assert_eq!(params.get("code"), Some("live"));
    window()
        .remove_event_listener_with_callback("error", on_error.as_ref().unchecked_ref())
        .unwrap();
    assert_eq!(
        errors.get(),
        0,
        "no listener of the dropped wait was left behind"
    );
    drop(frame);
}

// ----- 5. dispose -----

#[wasm_bindgen_test]
async fn dispose_makes_get_access_token_fail_with_disposed() {
    clear_sdk_storage();
    let issuer = "https://op-dispose.test";
    let now = now();
    let store = SessionStore::new(StorageKind::Session, issuer, "spa");
    store
        .save(&session(issuer, "at-live", Some("rt-0"), now + 3600, now))
        .unwrap();
    let op = FetchStub::install(issuer, "spa", "rt-0", false, 0);
    let mut config =
        ClientConfig::new(issuer, "spa", "https://app.test/callback").storage(StorageKind::Session);
    config.auto_refresh = false;
    let client = Client::create(config).await.unwrap();
    assert_eq!(
        client.get_access_token().await.unwrap().expose(),
        "at-live",
        "alive, the client hands out its valid token"
    );

    client.dispose();
    let error = client
        .get_access_token()
        .await
        .expect_err("a disposed client hands out no token");
    assert_eq!(error, Error::Disposed);
    assert_eq!(error.code(), "disposed");
    // Every handle shares the disposal, and a refresh is refused the same way.
    let handle = client.clone();
    assert_eq!(
        handle.get_access_token().await.unwrap_err().code(),
        "disposed"
    );
    assert_eq!(client.refresh().await.unwrap_err(), Error::Disposed);
    assert_eq!(op.0.token_requests(), 0, "nothing was asked of the OP");
    drop((client, handle));
    clear_sdk_storage();
}

// ----- 6. the Web Lock across tabs -----

#[wasm_bindgen_test]
async fn web_lock_serialises_refreshes_of_a_shared_session() {
    clear_sdk_storage();
    assert!(has_web_locks(), "this test needs navigator.locks");
    let issuer = "https://op-web-lock.test";
    let now = now();
    let store = SessionStore::new(StorageKind::Local, issuer, "spa");
    store
        .save(&session(issuer, "at-shared", Some("rt-0"), now + 3600, now))
        .unwrap();
    // Rotating refresh tokens, each token request held open 50 ms so that, without the lock, the
    // second tab's request would overlap the first and replay rt-0.
    let op = FetchStub::install(issuer, "spa", "rt-0", true, 50);

    let config =
        ClientConfig::new(issuer, "spa", "https://app.test/callback").storage(StorageKind::Local);
    // Two clients of one origin: they share the storage key, the lock and the channel, as two
    // tabs would.
    let tab_a = Client::create(config.clone()).await.unwrap();
    let tab_b = Client::create(config).await.unwrap();
    assert_eq!(tab_a.session().unwrap().access_token.expose(), "at-shared");
    assert_eq!(tab_b.session().unwrap().access_token.expose(), "at-shared");

    let (a, b) = both(tab_a.refresh(), tab_b.refresh()).await;
    let a = a.expect("tab A refreshed");
    let b = b.expect("tab B got a session (no invalid_grant)");
    assert_eq!(
        op.0.invalid_grants(),
        0,
        "no rotated refresh token was replayed"
    );
    assert_eq!(
        op.0.token_requests(),
        1,
        "the tab that waited reused the result"
    );
    assert_eq!(op.0.max_open(), 1, "never two token requests at once");
    assert_eq!(a.access_token.expose(), "at-1");
    assert_eq!(b.access_token.expose(), a.access_token.expose());
    assert_eq!(tab_a.session().unwrap().access_token.expose(), "at-1");
    assert_eq!(tab_b.session().unwrap().access_token.expose(), "at-1");
    let persisted = store.load().unwrap().unwrap();
    assert_eq!(persisted.access_token.expose(), "at-1");
    assert_eq!(
        persisted.refresh_token.as_ref().map(RefreshToken::expose),
        Some("rt-1"),
        "the rotated token is kept"
    );
    drop((tab_a, tab_b));
    clear_sdk_storage();
}

#[wasm_bindgen_test]
async fn lock_wait_is_bounded_while_another_caller_holds_the_lock() {
    assert!(has_web_locks(), "this test needs navigator.locks");
    let name = "oidc-rp-wasm:test:bounded-lock-wait";
    // The holder takes the lock and keeps it until the test resolves `release`. Its own wait
    // bound (150 ms) passes while it holds the lock: the bound limits the wait, not the task.
    let (granted, grant) = deferred();
    let (release, let_go) = deferred();
    let mut holder = Box::pin(tabs::with_lock(name, 150, move || async move {
        grant.call0(&JsValue::UNDEFINED).unwrap();
        JsFuture::from(release).await.unwrap();
        Ok::<_, Error>("the holder's result")
    }));
    assert!(
        poll_once(&mut holder).await.is_none(),
        "the holder asked for the lock"
    );
    JsFuture::from(granted).await.unwrap();

    // Another caller waits at most 200 ms, then gives up with `timeout`; its task never runs.
    let ran = std::rc::Rc::new(std::cell::Cell::new(false));
    let started = js_sys::Date::now();
    let refused = {
        let ran = ran.clone();
        tabs::with_lock(name, 200, move || async move {
            ran.set(true);
            Ok::<_, Error>("the contender's result")
        })
        .await
    };
    let elapsed = js_sys::Date::now() - started;
    let error = refused.expect_err("the lock is held by the other caller");
    assert_eq!(error, Error::Timeout);
    assert_eq!(error.code(), "timeout");
    // Not before the bound (timers never fire early; 5 ms for clock granularity).
    assert!(elapsed >= 195.0, "gave up after only {elapsed} ms");
    assert!(
        !ran.get(),
        "the task of a caller that timed out does not run"
    );

    // The holder was not disturbed: it still holds the lock, and completes once released.
    assert!(
        poll_once(&mut holder).await.is_none(),
        "the holder still holds the lock"
    );
    let_go.call0(&JsValue::UNDEFINED).unwrap();
    assert_eq!(holder.await.unwrap(), "the holder's result");

    // The lock is free again: a later caller gets it at once, and the request that timed out
    // did not take it late.
    let later = tabs::with_lock(name, 200, || async { Ok::<_, Error>(7) }).await;
    assert_eq!(later.unwrap(), 7);
    assert!(!ran.get(), "the timed-out request never got the lock");
}

// ----- 7. WebCrypto -----

/// A token for `alg` signed by a fresh key, and the JWK Set with its public key.
async fn make_token(alg: &str, claims: &serde_json::Value) -> (String, JwkSet) {
    let kid = format!("key-{alg}");
    let made = JsFuture::from(signed_token(alg, &kid, &claims.to_string()))
        .await
        .unwrap();
    let field = |name: &str| {
        js_sys::Reflect::get(&made, &JsValue::from_str(name))
            .unwrap()
            .as_string()
            .unwrap()
    };
    let jwks = JwkSet::parse(&field("jwks")).unwrap();
    assert_eq!(jwks.keys.len(), 1, "{alg}: the JWK Set keeps the key");
    (field("token"), jwks)
}

/// Verifies `raw` with the key of `jwks` chosen for `alg`, through WebCrypto.
async fn verify_token(raw: &str, alg: JwsAlg, jwks: &JwkSet) -> Result<(), Error> {
    let token = IdToken::parse(raw)?;
    let alg = token.alg(&[alg])?;
    let candidates = jwks
        .select(alg, token.jws.kid.as_deref())?
        .into_candidates_or_no_key()?;
    let jwk = candidates
        .first()
        .copied()
        .ok_or(Error::Signature(SignatureError::NoMatchingKey))?;
    webcrypto::verify(&token.signature_check(alg, jwk)).await
}

fn test_claims() -> serde_json::Value {
    let now = now();
    json!({ "iss": "https://op.test", "sub": "alice", "aud": "spa", "exp": now + 600, "iat": now })
}

fn assert_signature_mismatch(result: Result<(), Error>, what: &str) {
    let error = result.expect_err(what);
    assert_eq!(error.code(), "invalid_signature", "{what}: {error:?}");
    assert_eq!(
        error.reason(),
        Some("signature_mismatch"),
        "{what}: {error:?}"
    );
}

#[wasm_bindgen_test]
async fn webcrypto_verifies_rs256_ps256_es256_and_eddsa_and_refuses_tampering() {
    for (name, alg) in [
        ("RS256", JwsAlg::RS256),
        ("PS256", JwsAlg::PS256),
        ("ES256", JwsAlg::ES256),
        ("EdDSA", JwsAlg::EdDSA),
    ] {
        let claims = test_claims();
        let (token, jwks) = make_token(name, &claims).await;
        verify_token(&token, alg, &jwks)
            .await
            .unwrap_or_else(|e| panic!("{name}: a genuine token must verify: {e:?}"));

        let mut parts = token.split('.');
        let (header, payload, signature) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );

        // Another subject under the same signature.
        let mut forged = claims.clone();
        forged["sub"] = json!("mallory");
        let forged_payload = Base64UrlUnpadded::encode_string(forged.to_string().as_bytes());
        assert_ne!(forged_payload, payload);
        let tampered_payload = format!("{header}.{forged_payload}.{signature}");
        assert_signature_mismatch(
            verify_token(&tampered_payload, alg, &jwks).await,
            &format!("{name}: tampered payload"),
        );

        // One bit of the signature flipped.
        let mut bytes = Base64UrlUnpadded::decode_vec(signature).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x01;
        let tampered_signature = format!(
            "{header}.{payload}.{}",
            Base64UrlUnpadded::encode_string(&bytes)
        );
        assert_signature_mismatch(
            verify_token(&tampered_signature, alg, &jwks).await,
            &format!("{name}: tampered signature"),
        );
    }
}

#[wasm_bindgen_test]
async fn webcrypto_digests_sha384_and_sha512_as_fips_180_4_says() {
    // FIPS 180-4's examples: the digest of "abc".
    let sha384 = webcrypto::digest(HashAlg::Sha384, b"abc").await.unwrap();
    assert_eq!(
        hex(&sha384),
        "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"
    );
    let sha512 = webcrypto::digest(HashAlg::Sha512, b"abc").await.unwrap();
    assert_eq!(
        hex(&sha512),
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
    );
    // The same value the core compares `at_hash` with.
    assert_eq!(
        sha384,
        oidc_rp_wasm::core::id_token::digest(HashAlg::Sha384, b"abc")
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[wasm_bindgen_test]
async fn webcrypto_refuses_a_key_of_another_type() {
    let claims = test_claims();
    let (es256_token, _) = make_token("ES256", &claims).await;
    let (rs256_token, rsa_jwks) = make_token("RS256", &claims).await;
    let (_, ec_jwks) = make_token("ES256", &claims).await;
    let rsa_key = rsa_jwks.keys.first().unwrap();
    let ec_key = ec_jwks.keys.first().unwrap();

    // The core's key selection already refuses the pairing...
    let refused = rsa_jwks
        .select(JwsAlg::ES256, rsa_key.kid.as_deref())
        .unwrap_err();
    assert_eq!(refused.code(), "invalid_signature");
    assert!(rsa_jwks.select(JwsAlg::ES256, None).is_err());

    // ... and so does the shell when handed it anyway: a typed error, never an accept.
    for (token, alg, key, what) in [
        (&es256_token, JwsAlg::ES256, rsa_key, "ES256 token, RSA key"),
        (&rs256_token, JwsAlg::RS256, ec_key, "RS256 token, EC key"),
    ] {
        let jws = CompactJws::parse(token).unwrap();
        let check = SignatureCheck {
            alg,
            jwk: key.clone(),
            signing_input: jws.signing_input.into_bytes(),
            signature: jws.signature,
        };
        let error = webcrypto::verify(&check).await.expect_err(what);
        assert_eq!(error.code(), "invalid_signature", "{what}: {error:?}");
        // WebCrypto's importKey refuses the key for the algorithm: the key is unusable.
        assert_eq!(error.reason(), Some("unusable_key"), "{what}: {error:?}");
    }
}

// ----- 8. the session as JavaScript sees it -----

/// `OidcClient.create(config)` through the JS facade, then its `session` getter as JSON
/// (`null` when signed out).
async fn js_session(config: serde_json::Value) -> serde_json::Value {
    let created = JsFuture::from(oidc_rp_wasm::web::js::JsOidcClient::create(to_js(&config)))
        .await
        .expect("OidcClient.create resolves");
    let view = js_sys::Reflect::get(&created, &JsValue::from_str("session")).unwrap();
    let text = js_sys::JSON::stringify(&view).unwrap().as_string().unwrap();
    // Release the client as an app would; later calls would reject with `disposed`.
    let dispose = js_sys::Reflect::get(&created, &JsValue::from_str("dispose")).unwrap();
    dispose
        .unchecked_into::<js_sys::Function>()
        .call0(&created)
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

#[wasm_bindgen_test]
async fn js_session_is_camel_case_without_the_refresh_token() {
    clear_sdk_storage();
    let issuer = "https://op-js-view.test";
    let now = now();
    let mut stored = session(issuer, "at-view", Some("rt-view-secret"), now + 3600, now);
    let mut with_acr = claims(issuer, now).to_json();
    with_acr.insert("acr", Json::str("urn:acr:silver"));
    with_acr.insert("amr", Json::Array(vec![Json::str("pwd")]));
    stored.claims = Some(IdTokenClaims::from_json(with_acr).unwrap());
    let store = SessionStore::new(StorageKind::Session, issuer, "spa");
    store.save(&stored).unwrap();
    let _op = FetchStub::install(issuer, "spa", "rt-view-secret", false, 0);

    let json = js_session(json!({
        "issuer": issuer, "clientId": "spa", "redirectUri": "https://app.test/callback",
        "storage": "session", "autoRefresh": false,
    }))
    .await;
    assert_eq!(json["hasRefreshToken"], true);
    assert_eq!(json["idTokenFresh"], true);
    assert_eq!(json["accessToken"], "at-view");
    assert_eq!(json["tokenType"], "Bearer");
    assert_eq!(json["expiresAt"], now + 3600);
    assert_eq!(json["scope"], "openid offline_access");
    assert_eq!(json["subject"], "alice");
    assert_eq!(json["idToken"], "eyJhbGciOiJSUzI1NiJ9.e30.c2ln");
    assert_eq!(json["authTime"], now - 20);
    assert_eq!(json["acr"], "urn:acr:silver");
    assert_eq!(json["amr"], json!(["pwd"]));
    assert_eq!(json["claims"]["name"], "Alice");
    assert_eq!(json["claims"]["aud"], "spa");
    let text = json.to_string();
    assert!(!text.contains("rt-view-secret"), "{text}");
    assert!(json.get("refreshToken").is_none() && json.get("has_refresh_token").is_none());
    clear_sdk_storage();
}

#[wasm_bindgen_test]
async fn js_session_leaves_out_absent_values() {
    clear_sdk_storage();
    let issuer = "https://op-js-view-plain.test";
    let now = now();
    // A plain OAuth 2.0 session: no ID token, no expiry, no scope, no refresh token.
    let mut plain = session(issuer, "at-plain", None, now + 3600, now);
    plain.id_token = None;
    plain.claims = None;
    plain.id_token_fresh = false;
    plain.expires_at = None;
    plain.scope = None;
    let store = SessionStore::new(StorageKind::Session, issuer, "spa");
    store.save(&plain).unwrap();
    let _op = FetchStub::install(issuer, "spa", "unused", false, 0);

    let json = js_session(json!({
        "issuer": issuer, "clientId": "spa", "redirectUri": "https://app.test/callback",
        "storage": "session", "autoRefresh": false,
    }))
    .await;
    assert_eq!(json["accessToken"], "at-plain");
    assert_eq!(json["hasRefreshToken"], false);
    for absent in [
        "subject",
        "claims",
        "idToken",
        "expiresAt",
        "scope",
        "authTime",
        "acr",
        "amr",
    ] {
        assert!(json.get(absent).is_none(), "{absent}");
    }
    clear_sdk_storage();
}
