//! The browser shell: the only code that touches web-sys, js-sys and gloo-net. It performs what
//! the [`core`](crate::core) decides and decides nothing itself.
//!
//! One file per browser concern:
//! - [`dom`]: small RAII wrappers: a timeout, an interval, an event listener, a deadline;
//! - [`driver`]: runs a core flow, performing each [`Need`](crate::core::flow::Need);
//! - [`http`]: fetch with a deadline, and the discovery cache;
//! - [`webcrypto`]: signature verification with `crypto.subtle`;
//! - [`frames`]: popups, hidden iframes and the `message` listener;
//! - [`tabs`]: the cross-tab Web Lock and BroadcastChannel;
//! - [`storage`]: sessions and transactions in web storage and IndexedDB;
//! - [`keeper`]: the current session, the listeners, the expiry timers;
//! - [`idle`]: user activity across tabs, for `idleTimeoutSeconds`;
//! - [`client`]: the Rust API of the public operations ([`client::Client`], for Leptos, Yew,
//!   Dioxus apps), sequencing only;
//! - [`js`]: the `#[wasm_bindgen]` facade that becomes `OidcClient` in JavaScript.
//!
//! A Rust front end (Leptos, Yew, Dioxus) uses [`client::Client`] directly:
//!
//! ```no_run
//! use oidc_rp_wasm::core::config::{AuthorizeOptions, ClientConfig, StorageKind};
//! use oidc_rp_wasm::web::client::Client;
//!
//! async fn start() -> Result<(), oidc_rp_wasm::Error> {
//!     let config = ClientConfig::new("https://id.example.com", "spa", "https://app.example.com/")
//!         .scope("openid profile offline_access")
//!         .storage(StorageKind::Local)
//!         .request_timeout_ms(5_000);
//!     let client = Client::create(config).await?;
//!     if client.session().is_none() {
//!         // Back from the OP? Then finish the sign-in; otherwise go there.
//!         match client.handle_redirect_callback(None).await {
//!             Ok(signed_in) => log(signed_in.session.subject().unwrap_or("?")),
//!             Err(_) => return client.signin_redirect(AuthorizeOptions::default()).await,
//!         }
//!     }
//!     let token = client.get_access_token().await?; // refreshed when near expiry
//!     log(token.expose());
//!     client.on(|event| log(&format!("{event:?}")));
//!     Ok(())
//! }
//! # fn log(_: &str) {}
//! ```

pub mod client;
pub mod dom;
pub mod driver;
pub mod frames;
pub mod http;
pub mod idle;
pub mod js;
pub mod keeper;
pub mod storage;
pub mod tabs;
pub mod webcrypto;

use crate::core::json::Json;
use crate::error::BrowserError;
use crate::Error;
use wasm_bindgen::{JsCast, JsValue};

/// Seconds since the Unix epoch, from `Date.now()`.
pub fn now() -> i64 {
    // `as` saturates; Date.now() is a finite number of milliseconds.
    #[allow(clippy::cast_possible_truncation)]
    let secs = (js_sys::Date::now() / 1000.0) as i64;
    secs
}

/// The global `window`, or [`BrowserError::NoWindow`] where there is none (a worker, Node).
pub(crate) fn window() -> Result<web_sys::Window, Error> {
    web_sys::window().ok_or(Error::Browser(BrowserError::NoWindow))
}

/// A JS exception as text, for error messages.
pub(crate) fn js_text(value: &JsValue) -> String {
    if let Some(err) = value.dyn_ref::<js_sys::Error>() {
        return String::from(err.message());
    }
    value
        .as_string()
        .unwrap_or_else(|| String::from("a non-Error exception"))
}

/// Awaits a JS promise, turning a rejection into `map_err(text)`.
pub(crate) async fn await_promise(
    promise: js_sys::Promise,
    map_err: impl FnOnce(String) -> Error,
) -> Result<JsValue, Error> {
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(|e| map_err(js_text(&e)))
}

/// Sets a property on a JS object; used to build WebCrypto parameters and event details.
pub(crate) fn set(obj: &js_sys::Object, key: &str, value: impl Into<JsValue>) {
    // Reflect.set only fails on frozen objects or proxies, which these never are.
    let _ = js_sys::Reflect::set(obj, &JsValue::from_str(key), &value.into());
}

/// The current address.
pub(crate) fn current_url() -> Result<String, Error> {
    window()?
        .location()
        .href()
        .map_err(|e| Error::Browser(BrowserError::Location(js_text(&e))))
}

/// Sends the browser to `url`.
pub(crate) fn navigate(url: &str) -> Result<(), Error> {
    window()?
        .location()
        .assign(url)
        .map_err(|e| Error::Browser(BrowserError::Location(js_text(&e))))
}

/// Runs `future` as its own task (`spawn_local`), boxed so that the task glue is compiled once.
pub(crate) fn spawn(future: impl std::future::Future<Output = ()> + 'static) {
    spawn_boxed(Box::pin(future));
}

fn spawn_boxed(future: std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>) {
    wasm_bindgen_futures::spawn_local(future);
}

/// A JS value as JSON: values cross the boundary as JSON text (`JSON.stringify`), read by the
/// core's own reader.
pub(crate) fn js_to_json(value: &JsValue) -> Result<Json, String> {
    let text = js_sys::JSON::stringify(value)
        .ok()
        .and_then(|t| t.as_string())
        .ok_or_else(|| "not representable as JSON".to_owned())?;
    Json::parse(&text).map_err(|e| e.to_string())
}

/// A JSON value as a JS value (`JSON.parse` of its text).
pub(crate) fn json_to_js(value: &Json) -> Result<JsValue, Error> {
    js_sys::JSON::parse(&value.to_text())
        .map_err(|_| Error::Browser(BrowserError::Conversion("JSON.parse".into())))
}
