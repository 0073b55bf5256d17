//! Browser tests of the Rust pump (`src/web`), run by wasm-bindgen-test in headless Chromium:
//! everything that needs a browser but no real OpenID Provider. The machine's decisions are
//! tested natively (`tests/machine`); these check that the pump performs its commands and
//! forwards what happens, the way the JavaScript pump does.
//!
//! - storage: a stored session restored from sessionStorage or localStorage (nothing from
//!   memory), a renewed one written back (and to IndexedDB when shared), a corrupt one dropped,
//!   an authorization transaction stored and read back by its callback;
//! - fetch: a request past its deadline is `timeout` (its signal aborted), a rejected one
//!   `network`, so is a header the browser refuses, and one under way is aborted by `dispose`;
//! - refresh: one token request for concurrent callers in one tab, a dropped future that neither
//!   wedges later refreshes nor loses its answer, the Web Lock that keeps two tabs sharing a
//!   `localStorage` session from replaying a rotated refresh token (OAuth 2.0 Security BCP
//!   §4.14), and a bounded wait for it;
//! - hidden iframes and popups: the `message`s of the operation's window forwarded (others
//!   not), the OP's error delivered, the wait's timeout, the iframe removed; the app's own
//!   window for a popup: navigated within the call, or `popup_closed` when it is closed;
//! - page events: `online`, `visibilitychange` and `resume` wake a client whose token expired
//!   while no timer ran;
//! - the loop: an app listener that calls the client from inside an event is queued, never
//!   re-entering the machine; a timeout further away than `setTimeout` can wait is armed at its
//!   longest instead of spinning; `dispose` ends what is under way with `disposed`;
//! - WebCrypto signature verification (RFC 7515 §5.2, RFC 7518 §3, RFC 8037) with keys the test
//!   generates itself, alone and through a refresh;
//! - resource servers and DPoP through `Client` (RFC 9449): `Bearer` headers, `DPoP` headers with
//!   `ath` for a session bound to the client's key (loaded again from IndexedDB by the page's
//!   next client), proofs for the app's own HTTP client that verify with that key, and
//!   `invalid_config` without `dpop`.
//!
//! The network is a stub: `window.fetch` is replaced by a small fake OP (inline JS below) for the
//! duration of a test. Nothing waits on a clock to synchronise: tests await what the stubs (or
//! the tests themselves) settle; only the tests of a deadline let it pass.
//!
//! Run: `CHROMEDRIVER=/usr/bin/chromedriver cargo test --target wasm32-unknown-unknown --test web`
#![cfg(target_arch = "wasm32")]

use oidc_rp_wasm::core::alg::HashAlg;
use oidc_rp_wasm::core::config::{AuthorizeOptions, ClientConfig, StorageKind};
use oidc_rp_wasm::core::id_token::{IdToken, IdTokenClaims};
use oidc_rp_wasm::core::json::Json;
use oidc_rp_wasm::core::jwks::JwkSet;
use oidc_rp_wasm::core::jws::{CompactJws, JwsAlg, SignatureCheck};
use oidc_rp_wasm::core::params::ResponseMode;
use oidc_rp_wasm::core::secret::{AccessToken, RawIdToken, RefreshToken};
use oidc_rp_wasm::core::session::Session;
use oidc_rp_wasm::core::stored;
use oidc_rp_wasm::core::token::TokenType;
use oidc_rp_wasm::error::SignatureError;
use oidc_rp_wasm::web::client::{Client, Event};
use oidc_rp_wasm::web::webcrypto;
use oidc_rp_wasm::Error;

use base64ct::{Base64UrlUnpadded, Encoding};
use serde_json::json;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
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

// A fake OpenID Provider at `issuer`, answering discovery, the JWK Set (`op.jwks`) and the token
// endpoint (refresh_token grant only, with `op.idToken` when set). It counts token requests and
// the most that were open at once, and keeps each token request's abort signal. With `rotate`,
// every refresh issues a new refresh token and a reused one gets invalid_grant. `holdMs` keeps
// each token request open that long (a negative value: for ever), so that a second caller can
// start meanwhile.
export function install_fake_op(issuer, clientId, refreshToken, rotate, holdMs) {
  const op = {
    tokenRequests: 0, open: 0, maxOpen: 0, invalidGrants: 0, issued: 0, current: refreshToken,
    idToken: null, jwks: '{"keys":[]}', signals: [], accessToken: null, userinfoRequests: 0,
  };
  const json = (body, status) =>
    new Response(typeof body === "string" ? body : JSON.stringify(body),
      { status: status || 200, headers: { "Content-Type": "application/json" } });
  globalThis.fetch = async (input, init) => {
    const request = input instanceof Request ? input : new Request(input, init);
    const url = request.url;
    if (url === issuer + "/.well-known/openid-configuration") {
      return json({
        issuer,
        authorization_endpoint: issuer + "/authorize",
        token_endpoint: issuer + "/token",
        jwks_uri: issuer + "/jwks",
        userinfo_endpoint: issuer + "/userinfo",
        response_types_supported: ["code"],
        response_modes_supported: ["query", "fragment", "form_post", "web_message"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["RS256", "ES256"],
        grant_types_supported: ["authorization_code", "refresh_token"],
      });
    }
    if (url === issuer + "/jwks") {
      return json(op.jwks);
    }
    if (url === issuer + "/userinfo") {
      op.userinfoRequests += 1;
      return json({ sub: "alice" });
    }
    if (url === issuer + "/token" && request.method === "POST") {
      op.tokenRequests += 1;
      op.signals.push(request.signal);
      op.open += 1;
      op.maxOpen = Math.max(op.maxOpen, op.open);
      try {
        const form = new URLSearchParams(await request.text());
        if (holdMs < 0) {
          await new Promise(() => {});
        }
        if (holdMs > 0) {
          await new Promise((resolve) => setTimeout(resolve, holdMs));
        }
        if (form.get("grant_type") !== "refresh_token" || form.get("client_id") !== clientId ||
            form.get("refresh_token") !== op.current) {
          op.invalidGrants += 1;
          return json({ error: "invalid_grant", error_description: "unknown or reused refresh token" }, 400);
        }
        op.issued += 1;
        const body = { access_token: op.accessToken || "at-" + op.issued, token_type: "Bearer", expires_in: 3600 };
        if (rotate) {
          op.current = "rt-" + op.issued;
          body.refresh_token = op.current;
        }
        if (op.idToken) {
          body.id_token = op.idToken;
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

export function token_signals_aborted(op) {
  return op.signals.filter((s) => s.aborted).length;
}

// A fetch that never answers; it counts its calls and the aborts of their signals.
export function install_hanging_fetch() {
  const seen = { calls: 0, aborted: 0 };
  globalThis.fetch = (input, init) => {
    seen.calls += 1;
    const signal = input instanceof Request ? input.signal : init && init.signal;
    if (signal) signal.addEventListener("abort", () => { seen.aborted += 1; });
    return new Promise(() => {});
  };
  return seen;
}

// A fetch that fails as a network error does.
export function install_failing_fetch() {
  globalThis.fetch = () => Promise.reject(new TypeError("Failed to fetch"));
}

// Counts the calls of setTimeout from now on; `stop()` puts the real one back.
export function count_timeouts() {
  const real = globalThis.setTimeout;
  const counter = { calls: 0, longest: 0, stop() { globalThis.setTimeout = real; } };
  globalThis.setTimeout = (f, ms, ...rest) => {
    counter.calls += 1;
    counter.longest = Math.max(counter.longest, ms || 0);
    return real(f, ms, ...rest);
  };
  return counter;
}

export function restore_fetch() {
  globalThis.fetch = originalFetch;
}

// Moves the page's clock (`Date.now`) `ms` on from now, as after a sleep in which no timer ran;
// `restore()` puts the real one back.
export function shift_clock(ms) {
  const real = Date.now;
  let offset = 0;
  Date.now = () => real.call(Date) + offset;
  const clock = { by(more) { offset += more; }, restore() { Date.now = real; } };
  clock.by(ms);
  return clock;
}

// A page-lifecycle event as the browser fires it: `online`, `pageshow` on the window;
// `visibilitychange`, `resume` on the document.
export function page_event(name) {
  const target = name === "visibilitychange" || name === "resume" ? document : window;
  target.dispatchEvent(new Event(name));
}

// A promise and its resolve function, and a bound on the wait: it rejects after `ms`.
export function deferred(ms) {
  let resolve;
  const promise = new Promise((ok, fail) => {
    resolve = ok;
    setTimeout(() => fail(new Error("not within " + ms + " ms")), ms);
  });
  return { promise, resolve };
}

export function count_iframes() {
  return document.getElementsByTagName("iframe").length;
}

// A window of an iframe of its own: open, or (`closed`) detached, as a closed popup's handle reads.
export function frame_window(closed) {
  const frame = document.createElement("iframe");
  document.body.appendChild(frame);
  const win = frame.contentWindow;
  if (closed) frame.remove();
  return { frame, window: win };
}

// The src and window of the last iframe in the document.
export function last_iframe() {
  const frames = document.getElementsByTagName("iframe");
  const frame = frames[frames.length - 1];
  return { src: frame.src, window: frame.contentWindow };
}

export function has_web_locks() {
  return !!(navigator.locks && navigator.locks.request);
}

// Takes the Web Lock `name` as another tab would; resolves, once granted, to its release function.
export function hold_lock(name) {
  return new Promise((granted) => {
    navigator.locks.request(name, () => new Promise((release) => granted(release)));
  });
}

// Deletes the SDK's IndexedDB database as a page's "clear local data" would: "deleted", or
// "blocked" when a connection stays open 5 s after the delete asked it to close (every later
// open, in any tab, waits for it meanwhile). A connection that closes once its transactions are
// done first fires `blocked`, then lets the delete through: only the bound tells the two apart.
export function idb_delete() {
  return new Promise((resolve) => {
    const request = indexedDB.deleteDatabase("oidc-rp-wasm");
    let bound;
    request.onblocked = () => { bound = setTimeout(() => resolve("blocked"), 5000); };
    request.onsuccess = () => { clearTimeout(bound); resolve("deleted"); };
    request.onerror = () => { clearTimeout(bound); resolve("failed"); };
  });
}

// Hides `crypto.subtle` (`hidden`), as outside a secure context, or shows it again.
export function hide_subtle(hidden) {
  if (hidden) Object.defineProperty(crypto, "subtle", { value: undefined, configurable: true });
  else delete crypto.subtle;
}

// A stand-in for a window the app opened for a popup: it counts its `close()` calls.
export function counting_window() {
  const win = { closes: 0, closed: false };
  win.close = () => { win.closes += 1; };
  return win;
}

// The text IndexedDB holds under `key` in the SDK's store, or null.
export function idb_get(key) {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open("oidc-rp-wasm", 1);
    open.onupgradeneeded = () => open.result.createObjectStore("sessions");
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const get = db.transaction("sessions", "readonly").objectStore("sessions").get(key);
      get.onsuccess = () => { db.close(); resolve(typeof get.result === "string" ? get.result : null); };
      get.onerror = () => { db.close(); reject(get.error); };
    };
  });
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
        hold_ms: i32,
    ) -> FakeOp;
    #[wasm_bindgen(method, getter, js_name = tokenRequests)]
    fn token_requests(this: &FakeOp) -> u32;
    #[wasm_bindgen(method, getter, js_name = maxOpen)]
    fn max_open(this: &FakeOp) -> u32;
    #[wasm_bindgen(method, getter, js_name = invalidGrants)]
    fn invalid_grants(this: &FakeOp) -> u32;
    #[wasm_bindgen(method, setter, js_name = idToken)]
    fn set_id_token(this: &FakeOp, token: &str);
    #[wasm_bindgen(method, setter)]
    fn set_jwks(this: &FakeOp, jwks: &str);
    #[wasm_bindgen(method, setter, js_name = accessToken)]
    fn set_access_token(this: &FakeOp, token: &str);
    #[wasm_bindgen(method, getter, js_name = userinfoRequests)]
    fn userinfo_requests(this: &FakeOp) -> u32;
    fn token_signals_aborted(op: &FakeOp) -> u32;

    type SeenFetches;
    fn install_hanging_fetch() -> SeenFetches;
    #[wasm_bindgen(method, getter)]
    fn calls(this: &SeenFetches) -> u32;
    #[wasm_bindgen(method, getter)]
    fn aborted(this: &SeenFetches) -> u32;
    fn install_failing_fetch();

    fn restore_fetch();
    type Clock;
    fn shift_clock(ms: f64) -> Clock;
    #[wasm_bindgen(method)]
    fn by(this: &Clock, ms: f64);
    #[wasm_bindgen(method)]
    fn restore(this: &Clock);
    fn page_event(name: &str);
    type Deferred;
    fn deferred(ms: u32) -> Deferred;
    #[wasm_bindgen(method, getter)]
    fn promise(this: &Deferred) -> js_sys::Promise;
    #[wasm_bindgen(method, getter)]
    fn resolve(this: &Deferred) -> js_sys::Function;

    type TimeoutCounter;
    fn count_timeouts() -> TimeoutCounter;
    #[wasm_bindgen(method, getter)]
    fn calls(this: &TimeoutCounter) -> u32;
    #[wasm_bindgen(method, getter)]
    fn longest(this: &TimeoutCounter) -> f64;
    #[wasm_bindgen(method)]
    fn stop(this: &TimeoutCounter);
    fn has_web_locks() -> bool;
    fn count_iframes() -> u32;
    fn last_iframe() -> JsValue;
    fn frame_window(closed: bool) -> JsValue;
    fn hold_lock(name: &str) -> js_sys::Promise;
    fn idb_get(key: &str) -> js_sys::Promise;
    fn idb_delete() -> js_sys::Promise;
    fn hide_subtle(hidden: bool);
    fn counting_window() -> JsValue;

    fn signed_token(alg: &str, kid: &str, claims: &str) -> js_sys::Promise;
}

/// Puts the real `fetch` back when the test ends.
struct FetchStub;

impl Drop for FetchStub {
    fn drop(&mut self) {
        restore_fetch();
    }
}

/// A fake OP behind `fetch` for the duration of the test.
struct FakeOpStub(FakeOp, FetchStub);

impl FakeOpStub {
    fn install(issuer: &str, refresh_token: &str, rotate: bool, hold_ms: i32) -> Self {
        FakeOpStub(
            install_fake_op(issuer, "spa", refresh_token, rotate, hold_ms),
            FetchStub,
        )
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

fn now() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}

/// The keys of `storage`, in no particular order.
fn keys(storage: &web_sys::Storage) -> Vec<String> {
    (0..storage.length().unwrap())
        .filter_map(|i| storage.key(i).unwrap())
        .collect()
}

/// The keys this SDK wrote to `storage`.
fn sdk_keys(storage: &web_sys::Storage) -> Vec<String> {
    keys(storage)
        .into_iter()
        .filter(|k| k.starts_with("oidc-rp-wasm"))
        .collect()
}

/// Removes everything this SDK keeps in both web storages, so that tests do not see each other.
fn clear_sdk_storage() {
    for storage in [session_storage(), local_storage()] {
        for key in sdk_keys(&storage) {
            storage.remove_item(&key).unwrap();
        }
    }
}

/// Where the session of client `spa` of `issuer` is stored (the stored format's key).
fn session_key(issuer: &str) -> String {
    format!("oidc-rp-wasm:session:{issuer}:spa")
}

/// Stores `session` as the SDK would, in `storage`.
fn store_session(storage: &web_sys::Storage, issuer: &str, session: &Session) {
    storage
        .set_item(&session_key(issuer), &stored::session_to_text(session))
        .unwrap();
}

/// The session stored in `storage`, if any.
fn stored_session(storage: &web_sys::Storage, issuer: &str) -> Option<Session> {
    storage
        .get_item(&session_key(issuer))
        .unwrap()
        .and_then(|text| stored::session_from_text(&text))
}

/// A client configuration for `issuer` keeping its session in `storage`, without timer-driven
/// refreshes (the test's calls are the only callers).
fn config(issuer: &str, storage: StorageKind) -> ClientConfig {
    let mut config = ClientConfig::new(issuer, "spa", "https://app.test/callback").storage(storage);
    config.auto_refresh = false;
    config
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

/// Waits `ms` milliseconds.
async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        window()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    JsFuture::from(promise).await.unwrap();
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

/// A `serde_json` value (how these tests write JSON) as the core's [`Json`].
fn to_json(value: &serde_json::Value) -> Json {
    Json::parse(&value.to_string()).unwrap()
}

/// A JSON value as the plain JS object a page would post.
fn to_js(value: &serde_json::Value) -> JsValue {
    js_sys::JSON::parse(&value.to_string()).unwrap()
}

fn claims_json(issuer: &str, now: i64) -> serde_json::Value {
    json!({
        "iss": issuer, "sub": "alice", "aud": "spa", "exp": now + 600, "iat": now - 10,
        "auth_time": now - 20, "name": "Alice"
    })
}

fn claims(issuer: &str, now: i64) -> IdTokenClaims {
    IdTokenClaims::from_json(
        to_json(&claims_json(issuer, now))
            .as_object()
            .unwrap()
            .clone(),
    )
    .unwrap()
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
        claims: Some(std::sync::Arc::new(claims(issuer, updated_at))),
        id_token_fresh: true,
        access_token: AccessToken::new(access_token),
        token_type: TokenType::Bearer,
        expires_at: Some(expires_at),
        scope: Some("openid offline_access".to_owned()),
        refresh_token: refresh_token.map(RefreshToken::new),
        created_at: updated_at,
        created_ms: 0,
        updated_at,
        dpop_jkt: None,
        resource: Vec::new(),
        refresh_refused: false,
    }
}

/// The value of query parameter `name` in `url`.
fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1.split('#').next()?;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

// ----- 1. storage -----

#[wasm_bindgen_test]
async fn a_stored_session_is_restored_from_session_and_local_storage_and_not_from_memory() {
    clear_sdk_storage();
    let issuer = "https://op-restore.test";
    let now = now();
    let original = session(issuer, "at-stored", Some("rt-stored"), now + 3600, now);
    let _op = FakeOpStub::install(issuer, "rt-stored", false, 0);
    for (kind, own) in [
        (StorageKind::Session, session_storage()),
        (StorageKind::Local, local_storage()),
    ] {
        store_session(&own, issuer, &original);
        let client = Client::create(config(issuer, kind)).await.unwrap();
        let restored = client.session().expect("the stored session is restored");
        assert_eq!(
            stored::session_to_text(&restored),
            stored::session_to_text(&original),
            "{kind:?}: restored equals stored, refresh token included"
        );
        drop(client);
        clear_sdk_storage();
    }
    // Memory storage reads nothing, even when the web storages hold a session.
    store_session(&session_storage(), issuer, &original);
    store_session(&local_storage(), issuer, &original);
    let client = Client::create(config(issuer, StorageKind::Memory))
        .await
        .unwrap();
    assert!(client.session().is_none());
    drop(client);
    clear_sdk_storage();
}

#[wasm_bindgen_test]
async fn a_renewed_session_is_written_to_its_storage_and_to_indexeddb_when_shared() {
    clear_sdk_storage();
    let now = now();
    for (issuer, kind, own, other) in [
        (
            "https://op-write-session.test",
            StorageKind::Session,
            session_storage(),
            local_storage(),
        ),
        (
            "https://op-write-local.test",
            StorageKind::Local,
            local_storage(),
            session_storage(),
        ),
    ] {
        store_session(
            &own,
            issuer,
            &session(issuer, "at-0", Some("rt-0"), now + 3600, now),
        );
        let _op = FakeOpStub::install(issuer, "rt-0", true, 0);
        let client = Client::create(config(issuer, kind)).await.unwrap();
        let renewed = client.refresh().await.unwrap();
        assert_eq!(renewed.access_token.expose(), "at-1");
        let written = stored_session(&own, issuer).expect("written to its storage");
        assert_eq!(written.access_token.expose(), "at-1", "{kind:?}");
        assert_eq!(
            written.refresh_token.as_ref().map(RefreshToken::expose),
            Some("rt-1"),
            "{kind:?}: the rotated refresh token is kept"
        );
        assert!(
            stored_session(&other, issuer).is_none(),
            "{kind:?}: not written to the other storage"
        );
        let shared = JsFuture::from(idb_get(&session_key(issuer)))
            .await
            .unwrap()
            .as_string();
        match kind {
            StorageKind::Local => {
                let shared = stored::session_from_text(&shared.expect("IndexedDB has it"))
                    .expect("a stored session");
                assert_eq!(shared.access_token.expose(), "at-1");
            }
            _ => assert!(shared.is_none(), "{kind:?}: not shared"),
        }
        drop(client);
        clear_sdk_storage();
    }
}

#[wasm_bindgen_test]
async fn the_pages_code_deleting_the_sdks_indexeddb_database_is_not_blocked_by_the_client() {
    clear_sdk_storage();
    let issuer = "https://op-idb-delete.test";
    let now = now();
    store_session(
        &local_storage(),
        issuer,
        &session(issuer, "at-0", Some("rt-0"), now + 3600, now),
    );
    let _op = FakeOpStub::install(issuer, "rt-0", true, 0);
    let client = Client::create(config(issuer, StorageKind::Local))
        .await
        .unwrap();
    // A shared session's refresh opens the database and writes its copy there.
    client.refresh().await.unwrap();
    assert!(JsFuture::from(idb_get(&session_key(issuer)))
        .await
        .unwrap()
        .is_string());
    // The client lets go of its connection when the page deletes the database: the delete goes
    // through, not blocked for as long as the tab lives.
    let deleted = JsFuture::from(idb_delete()).await.unwrap();
    assert_eq!(deleted.as_string().as_deref(), Some("deleted"));
    // The next shared write opens it again.
    let renewed = client.refresh().await.unwrap();
    assert_eq!(renewed.access_token.expose(), "at-2");
    let shared = JsFuture::from(idb_get(&session_key(issuer)))
        .await
        .unwrap()
        .as_string()
        .expect("written again after the delete");
    let shared = stored::session_from_text(&shared).expect("a stored session");
    assert_eq!(shared.access_token.expose(), "at-2");
    drop(client);
    clear_sdk_storage();
}

#[wasm_bindgen_test]
async fn a_corrupt_stored_session_is_dropped_not_an_error() {
    clear_sdk_storage();
    let issuer = "https://op-corrupt.test";
    let _op = FakeOpStub::install(issuer, "unused", false, 0);
    for garbage in ["{not json", "42", r#"{"access_token": 7}"#] {
        local_storage()
            .set_item(&session_key(issuer), garbage)
            .unwrap();
        let client = Client::create(config(issuer, StorageKind::Local))
            .await
            .expect("a corrupt session does not fail create");
        assert!(client.session().is_none(), "{garbage}");
        settle().await;
        assert!(
            local_storage()
                .get_item(&session_key(issuer))
                .unwrap()
                .is_none(),
            "{garbage} was removed"
        );
        drop(client);
    }
}

#[wasm_bindgen_test]
async fn an_authorization_transaction_is_stored_and_read_back_by_its_callback() {
    clear_sdk_storage();
    let issuer = "https://op-transaction.test";
    let _op = FakeOpStub::install(issuer, "unused", false, 0);
    let client = Client::create(config(issuer, StorageKind::Memory))
        .await
        .unwrap();
    let url = client
        .authorize_url(AuthorizeOptions::default())
        .await
        .unwrap();
    assert!(url.starts_with(&format!("{issuer}/authorize?")), "{url}");
    let state = query_param(&url, "state").expect("a state");
    let key = sdk_keys(&session_storage())
        .into_iter()
        .find(|k| k.starts_with("oidc-rp-wasm:tx:") && k.ends_with(&format!(":{state}")))
        .unwrap_or_default();
    assert!(
        session_storage().get_item(&key).unwrap().is_some(),
        "the transaction is in sessionStorage under its state: {:?}",
        sdk_keys(&session_storage())
    );

    // A response for a state this page never sent is refused.
    let error = client
        .handle_redirect_callback(Some(
            "https://app.test/callback?code=c&state=never-sent".into(),
        ))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "state_mismatch");

    // The OP's error for our state is reported with its code, and the transaction is spent.
    let callback = format!(
        "https://app.test/callback?error=access_denied&state={state}&iss={}",
        js_sys::encode_uri_component(issuer)
    );
    let error = client
        .handle_redirect_callback(Some(callback))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "access_denied", "{error:?}");
    assert!(
        session_storage().get_item(&key).unwrap().is_none(),
        "the transaction was taken"
    );
    drop(client);
    clear_sdk_storage();
}

// ----- 2. fetch -----

#[wasm_bindgen_test]
async fn a_fetch_past_its_deadline_is_a_timeout_and_is_aborted() {
    let seen = install_hanging_fetch();
    let _restore = FetchStub;
    let mut config = config("https://op-deadline.test", StorageKind::Memory);
    config.request_timeout_ms = 200;
    let started = js_sys::Date::now();
    let error = Client::create(config)
        .await
        .err()
        .expect("discovery never answers");
    let elapsed = js_sys::Date::now() - started;
    assert_eq!(error, Error::Timeout);
    assert_eq!(error.code(), "timeout");
    // Not before the deadline (timers never fire early; 5 ms for clock granularity).
    assert!(elapsed >= 195.0, "timed out after only {elapsed} ms");
    assert_eq!(seen.calls(), 1);
    assert_eq!(seen.aborted(), 1, "the request's signal was aborted");
}

#[wasm_bindgen_test]
async fn a_rejected_fetch_is_a_network_error() {
    install_failing_fetch();
    let _restore = FetchStub;
    let error = Client::create(config("https://op-offline.test", StorageKind::Memory))
        .await
        .err()
        .expect("discovery fails");
    assert_eq!(error.code(), "network", "{error:?}");
}

#[wasm_bindgen_test]
async fn a_header_the_browser_refuses_is_a_network_error_not_an_exception() {
    // An access token with a line break cannot go into an Authorization header: fetch refuses
    // the request, and so does the pump, with an answer (never a JS exception through the wasm,
    // which would leave the machine waiting until the deadline).
    clear_sdk_storage();
    let issuer = "https://op-bad-header.test";
    let now = now();
    store_session(
        &session_storage(),
        issuer,
        &session(issuer, "at-0", Some("rt-0"), now + 3600, now),
    );
    let op = FakeOpStub::install(issuer, "rt-0", false, 0);
    op.0.set_access_token("at-1\nInjected: yes");
    let mut config = config(issuer, StorageKind::Session);
    config.check_userinfo_on_refresh = true;
    let client = Client::create(config).await.unwrap();
    let started = js_sys::Date::now();
    let error = client
        .refresh()
        .await
        .expect_err("the UserInfo request cannot be sent");
    assert_eq!(error.code(), "network", "{error:?}");
    assert!(
        js_sys::Date::now() - started < 5_000.0,
        "answered, not timed out"
    );
    assert_eq!(op.0.userinfo_requests(), 0);
    drop(client);
    clear_sdk_storage();
}

// ----- 3. refresh -----

#[wasm_bindgen_test]
async fn concurrent_get_access_token_makes_one_token_request() {
    clear_sdk_storage();
    let issuer = "https://op-single-flight.test";
    let now = now();
    // Renewed an hour ago, 30 s left: within the refresh leeway, not yet expired.
    let stored = session(issuer, "at-old", Some("rt-0"), now + 30, now - 3600);
    store_session(&session_storage(), issuer, &stored);
    let op = FakeOpStub::install(issuer, "rt-0", false, 20);

    let client = Client::create(config(issuer, StorageKind::Session))
        .await
        .unwrap();
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
    let renewed =
        stored_session(&session_storage(), issuer).expect("the renewed session is persisted");
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
    store_session(
        &session_storage(),
        issuer,
        &session(issuer, "at-old", Some("rt-0"), now + 3600, now),
    );
    let op = FakeOpStub::install(issuer, "rt-0", true, 20);
    let client = Client::create(config(issuer, StorageKind::Session))
        .await
        .unwrap();

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
async fn web_lock_serialises_refreshes_of_a_shared_session() {
    clear_sdk_storage();
    assert!(has_web_locks(), "this test needs navigator.locks");
    let issuer = "https://op-web-lock.test";
    let now = now();
    store_session(
        &local_storage(),
        issuer,
        &session(issuer, "at-shared", Some("rt-0"), now + 3600, now),
    );
    // Rotating refresh tokens, each token request held open 50 ms so that, without the lock, the
    // second tab's request would overlap the first and replay rt-0.
    let op = FakeOpStub::install(issuer, "rt-0", true, 50);

    // Two clients of one origin: they share the storage key, the lock and the channel, as two
    // tabs would.
    let tab_a = Client::create(config(issuer, StorageKind::Local))
        .await
        .unwrap();
    let tab_b = Client::create(config(issuer, StorageKind::Local))
        .await
        .unwrap();
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
    let persisted = stored_session(&local_storage(), issuer).unwrap();
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
async fn the_lock_wait_is_bounded_while_another_tab_holds_the_lock() {
    clear_sdk_storage();
    assert!(has_web_locks(), "this test needs navigator.locks");
    let issuer = "https://op-bounded-lock.test";
    let now = now();
    store_session(
        &local_storage(),
        issuer,
        &session(issuer, "at-0", Some("rt-0"), now + 3600, now),
    );
    let op = FakeOpStub::install(issuer, "rt-0", true, 0);
    let mut config = config(issuer, StorageKind::Local);
    config.request_timeout_ms = 60; // the lock wait is five request deadlines: 300 ms
    let client = Client::create(config).await.unwrap();

    // Another tab holds the refresh lock.
    let release: js_sys::Function =
        JsFuture::from(hold_lock(&format!("{}:refresh", session_key(issuer))))
            .await
            .unwrap()
            .unchecked_into();
    let started = js_sys::Date::now();
    let error = client
        .refresh()
        .await
        .expect_err("the lock is held elsewhere");
    let elapsed = js_sys::Date::now() - started;
    assert_eq!(error, Error::Timeout, "{error:?}");
    assert!(elapsed >= 295.0, "gave up after only {elapsed} ms");
    assert_eq!(op.0.token_requests(), 0, "no refresh without the lock");
    assert_eq!(client.session().unwrap().access_token.expose(), "at-0");

    // Released, the lock is the client's at once, and the timed-out request did not take it late.
    release.call0(&JsValue::UNDEFINED).unwrap();
    assert_eq!(
        client.refresh().await.unwrap().access_token.expose(),
        "at-1"
    );
    assert_eq!(op.0.token_requests(), 1);
    drop(client);
    clear_sdk_storage();
}

#[wasm_bindgen_test]
async fn a_refreshed_id_token_is_verified_with_webcrypto() {
    clear_sdk_storage();
    let issuer = "https://op-verify.test";
    let now = now();
    let stored = session(issuer, "at-0", Some("rt-0"), now + 3600, now);
    store_session(&session_storage(), issuer, &stored);
    let op = FakeOpStub::install(issuer, "rt-0", false, 0);
    let mut renewed_claims = claims_json(issuer, now);
    renewed_claims["iat"] = json!(now);
    let (token, jwks) = make_token_text("ES256", &renewed_claims).await;
    op.0.set_jwks(&jwks);
    let mut config = config(issuer, StorageKind::Session);
    config.id_token_signing_algs = vec![JwsAlg::ES256];
    let client = Client::create(config).await.unwrap();

    // Signed by the OP's key: verified, and the session holds the new ID token.
    op.0.set_id_token(&token);
    let renewed = client.refresh().await.expect("a genuine ID token verifies");
    assert!(renewed.id_token_fresh);
    assert_eq!(
        renewed.id_token.as_ref().map(RawIdToken::expose),
        Some(token.as_str())
    );

    // The same token with another subject under the same signature: refused, session unchanged.
    let mut parts = token.split('.');
    let (header, _, signature) = (parts.next().unwrap(), parts.next(), parts.next().unwrap());
    let mut forged = renewed_claims.clone();
    forged["name"] = json!("Mallory");
    let forged = format!(
        "{header}.{}.{signature}",
        Base64UrlUnpadded::encode_string(forged.to_string().as_bytes())
    );
    op.0.set_id_token(&forged);
    let error = client
        .refresh()
        .await
        .expect_err("a forged ID token is refused");
    assert_eq!(error.code(), "invalid_signature", "{error:?}");
    assert_eq!(
        client
            .session()
            .unwrap()
            .id_token
            .as_ref()
            .map(RawIdToken::expose),
        Some(token.as_str()),
        "the session stays as it was"
    );
    drop(client);
    clear_sdk_storage();
}

// ----- 4. hidden iframes -----

/// A client of a fake OP with a session but no refresh token, so that a silent sign-in goes to
/// a hidden iframe, answered by web_message; the iframe times out after `silent_timeout_ms`.
async fn silent_client(issuer: &str, silent_timeout_ms: u32) -> (Client, FakeOpStub) {
    clear_sdk_storage();
    let now = now();
    store_session(
        &session_storage(),
        issuer,
        &session(issuer, "at-0", None, now + 3600, now),
    );
    let op = FakeOpStub::install(issuer, "unused", false, 0);
    let mut config = config(issuer, StorageKind::Session);
    config.silent_timeout_ms = silent_timeout_ms;
    (Client::create(config).await.unwrap(), op)
}

/// The src and window of the last iframe.
fn iframe() -> (String, JsValue) {
    let frame = last_iframe();
    let get = |name: &str| js_sys::Reflect::get(&frame, &JsValue::from_str(name)).unwrap();
    (get("src").as_string().unwrap(), get("window"))
}

#[wasm_bindgen_test]
async fn a_hidden_iframe_sign_in_takes_the_message_of_its_window_only() {
    let issuer = "https://op-web-message.test";
    let (client, _op) = silent_client(issuer, 60_000).await;
    let frames_before = count_iframes();
    let mut silent = Box::pin(client.signin_silent(AuthorizeOptions::default()));
    assert!(
        poll_once(&mut silent).await.is_none(),
        "waiting for the iframe"
    );
    assert_eq!(
        count_iframes(),
        frames_before + 1,
        "a hidden iframe shows the request"
    );
    let (src, source) = iframe();
    assert_eq!(query_param(&src, "prompt").as_deref(), Some("none"));
    assert_eq!(
        query_param(&src, "response_mode").as_deref(),
        Some("web_message")
    );
    let state = query_param(&src, "state").unwrap();
    let message = |state: &str| {
        to_js(&json!({
            "type": "authorization_response",
            "response": { "error": "login_required", "state": state },
        }))
    };

    // Not from the iframe's window (here: this window itself), from another origin, for another
    // state: each is ignored.
    let own_window = JsValue::from(window());
    for (what, data, origin, from) in [
        ("another window", message(&state), issuer, &own_window),
        (
            "another origin",
            message(&state),
            "https://evil.test",
            &source,
        ),
        ("another state", message("not-ours"), issuer, &source),
    ] {
        dispatch_message(&data, origin, from);
        settle().await;
        assert!(
            poll_once(&mut silent).await.is_none(),
            "a message from {what} was taken"
        );
    }

    // The OP's answer from the iframe's window ends the sign-in with its error.
    dispatch_message(&message(&state), issuer, &source);
    let error = silent.await.expect_err("the OP said login_required");
    assert_eq!(error.code(), "login_required", "{error:?}");
    assert_eq!(count_iframes(), frames_before, "the iframe is removed");
    assert_eq!(
        client.session().unwrap().access_token.expose(),
        "at-0",
        "the session stays"
    );
    drop(client);
    clear_sdk_storage();
}

#[wasm_bindgen_test]
async fn a_popup_sign_in_in_the_apps_own_window() {
    let issuer = "https://op-app-window.test";
    let (client, _op) = silent_client(issuer, 60_000).await;
    let made = |closed: bool| {
        let made = frame_window(closed);
        let get = |name: &str| js_sys::Reflect::get(&made, &JsValue::from_str(name)).unwrap();
        (
            get("frame").unchecked_into::<web_sys::Element>(),
            get("window"),
        )
    };

    // A window the user already closed: popup_closed, at once.
    let (_, closed) = made(true);
    let error = client
        .signin_popup(AuthorizeOptions::default(), Some(closed.unchecked_into()))
        .await
        .expect_err("the window is closed");
    assert_eq!(error, Error::PopupClosed);

    // An open one is sent to the authorization request within the call, and its window's
    // message completes the sign-in (here with the OP's error).
    for key in sdk_keys(&session_storage()) {
        if key.starts_with("oidc-rp-wasm:tx:") {
            session_storage().remove_item(&key).unwrap();
        }
    }
    let (frame, open) = made(false);
    let mut popup = Box::pin(client.signin_popup(
        AuthorizeOptions::default(),
        Some(open.clone().unchecked_into()),
    ));
    assert!(poll_once(&mut popup).await.is_none(), "waiting for the OP");
    // The state is the one of the transaction the call stored.
    let state = sdk_keys(&session_storage())
        .into_iter()
        .find_map(|k| {
            k.strip_prefix("oidc-rp-wasm:tx:")
                .and_then(|rest| rest.rsplit(':').next())
                .map(str::to_owned)
        })
        .expect("a stored transaction");
    let message = to_js(&json!({
        "type": "authorization_response",
        "response": { "error": "access_denied", "state": state },
    }));
    dispatch_message(&message, issuer, &open);
    let error = popup.await.expect_err("the OP said access_denied");
    assert_eq!(error.code(), "access_denied", "{error:?}");
    frame.remove();
    drop(client);
    clear_sdk_storage();
}

#[wasm_bindgen_test]
async fn the_apps_window_for_a_popup_is_closed_when_the_call_is_refused_before_using_it() {
    let (client, _op) = silent_client("https://op-app-window-refused.test", 60_000).await;
    let closes = |win: &JsValue| {
        js_sys::Reflect::get(win, &JsValue::from_str("closes"))
            .unwrap()
            .as_f64()
            .unwrap()
    };
    // An option the SDK refuses (it sets `state` itself): the call fails before its popup
    // would open, and the window the app opened for it is closed, not left blank on screen.
    let win = counting_window();
    let refused = AuthorizeOptions {
        extra_params: vec![("state".to_owned(), "mine".to_owned())],
        ..AuthorizeOptions::default()
    };
    let error = client
        .signin_popup(refused, Some(win.clone().unchecked_into()))
        .await
        .expect_err("state is the SDK's");
    assert_eq!(error.code(), "invalid_config", "{error:?}");
    assert_eq!(closes(&win), 1.0);
    // So is the window given to a disposed client.
    client.dispose();
    let win = counting_window();
    let error = client
        .signin_popup(
            AuthorizeOptions::default(),
            Some(win.clone().unchecked_into()),
        )
        .await
        .expect_err("disposed");
    assert_eq!(error.code(), "disposed", "{error:?}");
    assert_eq!(closes(&win), 1.0);
    drop(client);
    clear_sdk_storage();
}

#[wasm_bindgen_test]
async fn a_hidden_iframe_that_never_answers_times_out() {
    let (client, _op) = silent_client("https://op-silent-timeout.test", 200).await;
    let frames_before = count_iframes();
    let started = js_sys::Date::now();
    let error = client
        .signin_silent(AuthorizeOptions::default())
        .await
        .expect_err("no message was ever posted");
    let elapsed = js_sys::Date::now() - started;
    assert_eq!(error, Error::Timeout);
    assert!(elapsed >= 195.0, "timed out after only {elapsed} ms");
    assert_eq!(
        count_iframes(),
        frames_before,
        "the hidden iframe is removed"
    );
    drop(client);
    clear_sdk_storage();
}

// ----- 5. the loop and dispose -----

/// Page events reach the machine through the Rust pump, from the targets the browser fires them
/// at: a page whose clock moved past the token's life with no timer firing (asleep, frozen)
/// catches up on `online`, `visibilitychange` and `resume`, one refresh each.
#[wasm_bindgen_test]
async fn page_events_wake_the_client_through_the_rust_pump() {
    clear_sdk_storage();
    let issuer = "https://op-page-events.test";
    let now = now();
    store_session(
        &session_storage(),
        issuer,
        &session(issuer, "at-old", Some("rt-0"), now + 3600, now),
    );
    let op = FakeOpStub::install(issuer, "rt-0", true, 0);
    let mut cfg = config(issuer, StorageKind::Session);
    cfg.auto_refresh = true;
    let client = Client::create(cfg).await.unwrap();
    settle().await;
    assert_eq!(op.0.token_requests(), 0, "a fresh token: nothing to do");

    let clock = shift_clock(0.0);
    for (n, event) in ["online", "visibilitychange", "resume"]
        .into_iter()
        .enumerate()
    {
        // Two hours on: the token (an hour's) is past its life; its timer is an hour away in
        // real time, so only the event can start the refresh.
        clock.by(7_200_000.0);
        let refreshed = deferred(5_000);
        let resolve = refreshed.resolve();
        let id = client.on(move |e| {
            if matches!(e, Event::Refreshed(_)) {
                let _ = resolve.call0(&JsValue::UNDEFINED);
            }
        });
        page_event(event);
        let waited = JsFuture::from(refreshed.promise()).await;
        client.off(id);
        assert!(waited.is_ok(), "{event}: no refresh");
        assert_eq!(op.0.token_requests(), n as u32 + 1, "{event}: one refresh");
        let renewed = client.session().unwrap();
        assert_eq!(renewed.access_token.expose(), format!("at-{}", n + 1));
    }
    // A page event with a fresh token asks nothing.
    page_event("online");
    settle().await;
    assert_eq!(op.0.token_requests(), 3);
    clock.restore();
    drop(client);
    clear_sdk_storage();
}

#[wasm_bindgen_test]
async fn a_timer_further_away_than_set_timeout_reaches_waits_instead_of_spinning() {
    // An access token valid for 40 days: the machine's next timeout is past the ~24.8 days
    // setTimeout can wait (a longer delay fires at once). The pump arms the longest it can and
    // is asked again then, instead of firing and re-arming in a loop.
    clear_sdk_storage();
    let issuer = "https://op-far-timer.test";
    let now = now();
    store_session(
        &session_storage(),
        issuer,
        &session(issuer, "at-0", Some("rt-0"), now + 40 * 86_400, now),
    );
    let _op = FakeOpStub::install(issuer, "rt-0", false, 0);
    let counter = count_timeouts();
    let client = Client::create(config(issuer, StorageKind::Session))
        .await
        .unwrap();
    sleep(300).await;
    let (calls, longest) = (counter.calls(), counter.longest());
    counter.stop();
    assert!(calls < 10, "{calls} setTimeout calls in 300 ms");
    assert_eq!(
        longest,
        f64::from(i32::MAX),
        "the longest wait setTimeout takes"
    );
    drop(client);
    clear_sdk_storage();
}

#[wasm_bindgen_test]
async fn a_listener_that_calls_the_client_is_queued_not_reentrant() {
    clear_sdk_storage();
    let issuer = "https://op-reentrant.test";
    let now = now();
    store_session(
        &session_storage(),
        issuer,
        &session(issuer, "at-0", Some("rt-0"), now + 3600, now),
    );
    let _op = FakeOpStub::install(issuer, "rt-0", true, 0);
    let client = Client::create(config(issuer, StorageKind::Session))
        .await
        .unwrap();

    // Inside the `refreshed` event, the listener reads the session and starts two operations
    // and a listener: the machine is running, so each waits its turn.
    type Started = Pin<Box<dyn Future<Output = Result<AccessToken, Error>>>>;
    let seen: Rc<RefCell<Vec<String>>> = Rc::default();
    let started: Rc<RefCell<Vec<Started>>> = Rc::default();
    let inner_calls = Rc::new(Cell::new(0));
    let listener = {
        let weak = client.downgrade();
        let seen = seen.clone();
        let started = started.clone();
        let inner_calls = inner_calls.clone();
        move |event: &Event| {
            let Event::Refreshed(renewed) = event else {
                return;
            };
            let client = weak.upgrade().unwrap();
            let current = client
                .session()
                .expect("the session is readable in a listener");
            seen.borrow_mut().push(format!(
                "{} {}",
                renewed.access_token.expose(),
                current.access_token.expose()
            ));
            if started.borrow().is_empty() {
                started
                    .borrow_mut()
                    .push(Box::pin(client.get_access_token()));
                let inner_calls = inner_calls.clone();
                client.on(move |_| inner_calls.set(inner_calls.get() + 1));
                started.borrow_mut().push(Box::pin(async move {
                    client.refresh().await.map(|s| s.access_token)
                }));
            }
        }
    };
    client.on(listener);

    let renewed = client.refresh().await.unwrap();
    assert_eq!(renewed.access_token.expose(), "at-1");
    let futures: Vec<Started> = started.borrow_mut().drain(..).collect();
    assert_eq!(futures.len(), 2, "the listener ran");
    let mut results = Vec::new();
    for future in futures {
        results.push(future.await.map(|t| t.expose().to_owned()));
    }
    assert_eq!(
        results,
        vec![Ok("at-1".to_owned()), Ok("at-2".to_owned())],
        "the calls made inside the event ran after it"
    );
    assert_eq!(
        *seen.borrow(),
        vec!["at-1 at-1".to_owned(), "at-2 at-2".to_owned()],
        "the session read inside each event is the renewed one"
    );
    assert_eq!(
        inner_calls.get(),
        1,
        "the listener added inside an event hears the next one"
    );
    drop(client);
    clear_sdk_storage();
}

#[wasm_bindgen_test]
async fn dispose_makes_get_access_token_fail_with_disposed() {
    clear_sdk_storage();
    let issuer = "https://op-dispose.test";
    let now = now();
    store_session(
        &session_storage(),
        issuer,
        &session(issuer, "at-live", Some("rt-0"), now + 3600, now),
    );
    let op = FakeOpStub::install(issuer, "rt-0", false, 0);
    let client = Client::create(config(issuer, StorageKind::Session))
        .await
        .unwrap();
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
    assert!(
        client.session().is_none(),
        "a disposed client holds no session"
    );
    assert_eq!(op.0.token_requests(), 0, "nothing was asked of the OP");
    drop((client, handle));
    clear_sdk_storage();
}

/// With `local` storage, a refresh whose token request is at the OP outlives `dispose`, even
/// when the app drops its last handle at once (an unmounted component): the OP rotates the
/// refresh token as it answers, and the answer is stored, so the next client does not replay
/// the spent one.
#[wasm_bindgen_test]
async fn a_client_dropped_while_its_refresh_is_out_at_the_op_stores_the_rotated_token() {
    clear_sdk_storage();
    assert!(has_web_locks(), "this test needs navigator.locks");
    let issuer = "https://op-dropped-client.test";
    let now = now();
    store_session(
        &local_storage(),
        issuer,
        &session(issuer, "at-old", Some("rt-0"), now + 3600, now),
    );
    // Each token request is held 50 ms at the OP.
    let op = FakeOpStub::install(issuer, "rt-0", true, 50);
    let client = Client::create(config(issuer, StorageKind::Local))
        .await
        .unwrap();
    let mut refresh = Box::pin(client.refresh());
    for _ in 0..200 {
        if op.0.token_requests() == 1 || poll_once(&mut refresh).await.is_some() {
            break;
        }
        sleep(2).await;
    }
    assert_eq!(op.0.token_requests(), 1, "the request is at the OP");
    client.dispose();
    drop(client);
    assert_eq!(refresh.await.unwrap_err(), Error::Disposed);
    let rotated = || {
        stored_session(&local_storage(), issuer)
            .and_then(|s| s.refresh_token.map(|t| t.expose().to_owned()))
    };
    for _ in 0..100 {
        if rotated().as_deref() == Some("rt-1") {
            break;
        }
        sleep(10).await;
    }
    assert_eq!(
        rotated().as_deref(),
        Some("rt-1"),
        "the OP's answer was stored"
    );
    // The lock is free, and the next client refreshes with the rotated token.
    let next = Client::create(config(issuer, StorageKind::Local))
        .await
        .unwrap();
    assert_eq!(next.refresh().await.unwrap().access_token.expose(), "at-2");
    assert_eq!(op.0.invalid_grants(), 0, "no spent refresh token was sent");
    drop(next);
    clear_sdk_storage();
}

#[wasm_bindgen_test]
async fn dispose_aborts_the_fetch_under_way_and_removes_the_iframe() {
    clear_sdk_storage();
    let issuer = "https://op-dispose-busy.test";
    let now = now();
    store_session(
        &session_storage(),
        issuer,
        &session(issuer, "at-0", Some("rt-0"), now + 3600, now),
    );
    // Token requests never answer.
    let op = FakeOpStub::install(issuer, "rt-0", false, -1);
    let client = Client::create(config(issuer, StorageKind::Session))
        .await
        .unwrap();
    let frames_before = count_iframes();
    let mut refresh = Box::pin(client.refresh());
    let mut silent = Box::pin(client.signin_silent(AuthorizeOptions {
        response_mode: Some(ResponseMode::WebMessage),
        ..AuthorizeOptions::default()
    }));
    assert!(poll_once(&mut refresh).await.is_none());
    assert!(poll_once(&mut silent).await.is_none());
    settle().await;
    assert_eq!(op.0.token_requests(), 1);
    assert_eq!(count_iframes(), frames_before + 1);
    let (_, source) = iframe();

    // Dropping the last handle disposes of the client.
    drop(client);
    assert_eq!(refresh.await.unwrap_err(), Error::Disposed);
    assert_eq!(silent.await.unwrap_err(), Error::Disposed);
    settle().await;
    assert_eq!(
        token_signals_aborted(&op.0),
        1,
        "the token request was aborted"
    );
    assert_eq!(count_iframes(), frames_before, "the iframe is removed");

    // Nothing of the client is left listening: a message for it throws nowhere.
    let errors = Rc::new(Cell::new(0));
    let on_error = {
        let errors = errors.clone();
        Closure::<dyn FnMut()>::new(move || errors.set(errors.get() + 1))
    };
    window()
        .add_event_listener_with_callback("error", on_error.as_ref().unchecked_ref())
        .unwrap();
    dispatch_message(
        &to_js(&json!({"type": "authorization_response"})),
        issuer,
        &source,
    );
    sleep(10).await;
    window()
        .remove_event_listener_with_callback("error", on_error.as_ref().unchecked_ref())
        .unwrap();
    assert_eq!(errors.get(), 0);
    clear_sdk_storage();
}

// ----- 6. WebCrypto -----

/// A token for `alg` signed by a fresh key, and the JWK Set with its public key.
async fn make_token(alg: &str, claims: &serde_json::Value) -> (String, JwkSet) {
    let (token, jwks) = make_token_text(alg, claims).await;
    let jwks = JwkSet::parse(&jwks).unwrap();
    assert_eq!(jwks.keys.len(), 1, "{alg}: the JWK Set keeps the key");
    (token, jwks)
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
            signing_input: jws.signing_input,
            signature: jws.signature,
        };
        let error = webcrypto::verify(&check).await.expect_err(what);
        assert_eq!(error.code(), "invalid_signature", "{what}: {error:?}");
        // WebCrypto's importKey refuses the key for the algorithm: the key is unusable.
        assert_eq!(error.reason(), Some("unusable_key"), "{what}: {error:?}");
    }
}

#[wasm_bindgen_test]
async fn without_crypto_subtle_verification_is_crypto_unavailable_not_a_bad_key() {
    let (token, jwks) = make_token("ES256", &test_claims()).await;
    let jws = CompactJws::parse(&token).unwrap();
    let check = SignatureCheck {
        alg: JwsAlg::ES256,
        jwk: jwks.keys.first().unwrap().clone(),
        signing_input: jws.signing_input,
        signature: jws.signature,
    };
    // A page outside a secure context (plain http on a LAN address) has no `crypto.subtle`.
    hide_subtle(true);
    let error = webcrypto::verify(&check).await;
    hide_subtle(false);
    let error = error.expect_err("nothing to verify with");
    assert_eq!(error.code(), "crypto_unavailable", "{error:?}");
    webcrypto::verify(&check)
        .await
        .expect("verifies again with crypto.subtle back");
}

/// A token for `alg` signed by a fresh key, and the JWK Set's text.
async fn make_token_text(alg: &str, claims: &serde_json::Value) -> (String, String) {
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
    (field("token"), field("jwks"))
}

// ----- 7. DPoP keys (RFC 9449) -----

#[wasm_bindgen_test]
async fn a_dpop_key_is_not_extractable_and_its_es256_signatures_verify() {
    let pair = webcrypto::dpop::generate().await.unwrap();
    let jwk = webcrypto::dpop::public_jwk(&pair).await.unwrap();
    let key = oidc_rp_wasm::core::dpop::PublicKey::from_jwk(&jwk).unwrap();
    assert_eq!(key.jkt.len(), 43);
    let input = "eyJ0eXAiOiJkcG9wK2p3dCJ9.eyJodG0iOiJQT1NUIn0";
    let signature = webcrypto::dpop::sign(&pair, input.as_bytes())
        .await
        .unwrap();
    assert_eq!(signature.len(), 64, "r || s, as JWS wants it");
    // The signature verifies with the public JWK, through the SDK's own verifier.
    let set = format!(
        r#"{{"keys":[{{"kty":"EC","crv":"P-256","x":"{}","y":"{}"}}]}}"#,
        key.x, key.y
    );
    let set = JwkSet::parse(&set).unwrap();
    let check = SignatureCheck {
        alg: JwsAlg::ES256,
        jwk: set.keys[0].clone(),
        signing_input: input.to_owned(),
        signature,
    };
    webcrypto::verify(&check).await.unwrap();
    // The private key refuses to be exported.
    let private = js_sys::Reflect::get(&pair, &JsValue::from_str("privateKey")).unwrap();
    let subtle = web_sys::window().unwrap().crypto().unwrap().subtle();
    let exported = subtle.export_key("jwk", private.unchecked_ref()).unwrap();
    assert!(JsFuture::from(exported).await.is_err());
}

// ----- 8. resource servers and DPoP through the client -----

/// The header and payload of a compact JWS, as JSON.
fn jws_parts(jws: &str) -> (serde_json::Value, serde_json::Value) {
    let mut parts = jws.split('.');
    let mut part = || {
        let bytes = Base64UrlUnpadded::decode_vec(parts.next().unwrap()).unwrap();
        serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()
    };
    let header = part();
    (header, part())
}

#[wasm_bindgen_test]
async fn resource_headers_are_bearer_or_dpop_bound_with_ath_and_a_dpop_proof_verifies_with_the_clients_key(
) {
    clear_sdk_storage();
    let issuer = "https://op-resource.test";
    let now = now();
    let stored = session(issuer, "at-resource", Some("rt-resource"), now + 3600, now);
    let _op = FakeOpStub::install(issuer, "rt-resource", false, 0);
    store_session(&session_storage(), issuer, &stored);
    let with_dpop = || {
        let mut with_dpop = config(issuer, StorageKind::Session);
        with_dpop.dpop = true;
        with_dpop
    };
    let client = Client::create(with_dpop()).await.unwrap();
    let url = "https://api.test/items?page=2#top";

    // A Bearer token (the session is not DPoP-bound): its header, no proof.
    let headers = client.resource_headers("GET", url).await.unwrap();
    assert_eq!(headers.authorization, "Bearer at-resource");
    assert!(headers.dpop.is_none());
    // An answer that asks for nothing: nothing to retry.
    let retry = client
        .resource_answer("GET", url, 200, None, None, false)
        .await
        .unwrap();
    assert!(retry.is_none());

    // A proof for the app's own HTTP client (RFC 9449 §4.2): htm, htu without query and
    // fragment, iat, a jti; no ath for a Bearer token; signed by the client's key.
    let proof = client.dpop_proof("POST", url).await.unwrap();
    let (header, payload) = jws_parts(&proof);
    assert_eq!(header["typ"], "dpop+jwt");
    assert_eq!(header["alg"], "ES256");
    assert_eq!(header["jwk"]["kty"], "EC");
    assert_eq!(header["jwk"]["crv"], "P-256");
    assert_eq!(payload["htm"], "POST");
    assert_eq!(payload["htu"], "https://api.test/items");
    assert!((payload["iat"].as_i64().unwrap() - now).abs() <= 5);
    assert!(payload["jti"].as_str().is_some_and(|jti| jti.len() >= 16));
    assert!(payload.get("ath").is_none());
    let another = client.dpop_proof("POST", url).await.unwrap();
    assert_ne!(
        jws_parts(&another).1["jti"],
        payload["jti"],
        "a new jti per proof"
    );
    // A relative URL is read against the page's base URL, as `fetch` reads it: `htu` is the
    // absolute URL the server sees (§4.3 checks it against the request's).
    let origin = web_sys::window().unwrap().location().origin().unwrap();
    let relative = client.dpop_proof("GET", "/api/items?page=2").await.unwrap();
    assert_eq!(jws_parts(&relative).1["htu"], format!("{origin}/api/items"));
    let error = client
        .dpop_proof("GET", "http://[not a host")
        .await
        .expect_err("not a URL");
    assert_eq!(error.code(), "invalid_config", "{error:?}");

    let jwk = format!(
        r#"{{"keys":[{{"kty":"EC","crv":"P-256","x":{},"y":{}}}]}}"#,
        header["jwk"]["x"], header["jwk"]["y"]
    );
    let (input, signature) = proof.rsplit_once('.').unwrap();
    let check = SignatureCheck {
        alg: JwsAlg::ES256,
        jwk: JwkSet::parse(&jwk).unwrap().keys[0].clone(),
        signing_input: input.to_owned(),
        signature: Base64UrlUnpadded::decode_vec(signature).unwrap(),
    };
    webcrypto::verify(&check).await.unwrap();
    drop(client);

    // A session bound to that key (the key stays in IndexedDB for `session` storage): the next
    // client of the page loads the key, and its resource headers are `DPoP` with a proof whose
    // `ath` is the token's hash (§7.1).
    let jkt = oidc_rp_wasm::core::dpop::thumbprint(
        header["jwk"]["x"].as_str().unwrap(),
        header["jwk"]["y"].as_str().unwrap(),
    );
    let mut bound = session(issuer, "at-bound", Some("rt-resource"), now + 3600, now);
    bound.token_type = TokenType::DPoP;
    bound.dpop_jkt = Some(jkt);
    store_session(&session_storage(), issuer, &bound);
    let client = Client::create(with_dpop()).await.unwrap();
    let headers = client.resource_headers("GET", url).await.unwrap();
    assert_eq!(headers.authorization, "DPoP at-bound");
    let (header_of_bound, payload) = jws_parts(headers.dpop.as_deref().expect("a proof"));
    assert_eq!(header_of_bound["jwk"], header["jwk"], "the same key");
    assert_eq!(payload["htm"], "GET");
    let relative = client.resource_headers("GET", "/api/todos").await.unwrap();
    let (_, relative) = jws_parts(relative.dpop.as_deref().expect("a proof"));
    assert_eq!(relative["htu"], format!("{origin}/api/todos"));
    assert_eq!(
        payload["ath"],
        oidc_rp_wasm::core::dpop::ath(&AccessToken::new("at-bound"))
    );
    drop(client);
    clear_sdk_storage();
}

#[wasm_bindgen_test]
async fn a_dpop_proof_without_dpop_is_invalid_config() {
    clear_sdk_storage();
    let issuer = "https://op-no-dpop.test";
    let _op = FakeOpStub::install(issuer, "rt", false, 0);
    let client = Client::create(config(issuer, StorageKind::Memory))
        .await
        .unwrap();
    let error = client
        .dpop_proof("GET", "https://api.test/")
        .await
        .expect_err("dpop is off");
    assert_eq!(error.code(), "invalid_config");
    // Without a session there is no token for a resource server either.
    let error = client
        .resource_headers("GET", "https://api.test/")
        .await
        .expect_err("signed out");
    assert_eq!(error.code(), "no_session");
}
