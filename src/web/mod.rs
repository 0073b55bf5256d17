//! The Rust pump: the browser half of the client for Rust front ends (Leptos, Yew, Dioxus, plain
//! web-sys). Every decision is the [`Machine`](crate::core::machine::Machine)'s; this module
//! performs the I/O [`Command`](crate::core::machine::Command)s it outputs, forwards what the
//! page and the other tabs do, and completes the public calls. It is the same pump as the npm
//! package's JavaScript one (`pkg-template/index.js`), written against web-sys, and it drives the
//! machine with its Rust types directly.
//!
//! One file per browser concern:
//! - [`client`]: the public API ([`client::Client`]), one machine call per method;
//! - `pump`: the machine, its input queue (the machine is never re-entered), the operations
//!   awaiting their outcome, the app's listeners, the timer, and what each command does;
//! - `http`: fetch with a deadline (`AbortController`);
//! - [`webcrypto`]: signature verification and digests with `crypto.subtle` (also usable alone);
//! - `storage`: `sessionStorage`, `localStorage` and IndexedDB;
//! - `tabs`: the cross-tab Web Lock (with its lease) and the BroadcastChannels;
//! - `frames`: popups, hidden iframes, looking at a popup and closing it.
//!
//! A Rust front end creates one [`client::Client`] per page:
//!
//! ```no_run
//! use oidc_rp_wasm::core::config::{AuthorizeOptions, ClientConfig, StorageKind};
//! use oidc_rp_wasm::web::client::{Client, Event};
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
//!     client.on(|event| {
//!         if let Event::SignedOut(why) = event {
//!             log(why);
//!         }
//!     });
//!     Ok(())
//! }
//! # fn log(_: &str) {}
//! ```

pub mod client;
mod frames;
mod http;
mod pump;
mod storage;
mod tabs;
pub mod webcrypto;

use crate::core::json::Json;
use crate::error::BrowserError;
use crate::Error;
use wasm_bindgen::{JsCast, JsValue};

/// Milliseconds since the Unix epoch, from `Date.now()`: the machine's `now`.
fn now_ms() -> i64 {
    // `as` saturates; Date.now() is a finite whole number of milliseconds.
    #[allow(clippy::cast_possible_truncation)]
    let ms = js_sys::Date::now() as i64;
    ms
}

/// The global `window`, or [`BrowserError::NoWindow`] where there is none (a worker, Node).
fn window() -> Result<web_sys::Window, Error> {
    web_sys::window().ok_or(Error::Browser(BrowserError::NoWindow))
}

/// `url` read against the page's base URL (`document.baseURI`), as `fetch` reads it: a resource
/// server's URL given relative (`/api/items`) is the absolute one its DPoP proof's `htu` must
/// name (RFC 9449 §4.2). [`Error::InvalidConfig`] (field `url`) when it is not a URL.
fn absolute_url(url: &str) -> Result<String, Error> {
    let base = window()?
        .document()
        .and_then(|d| d.base_uri().ok().flatten());
    let read = match base {
        Some(base) => web_sys::Url::new_with_base(url, &base),
        None => web_sys::Url::new(url),
    };
    read.map(|u| u.href())
        .map_err(|_| Error::config("url", "not a URL"))
}

/// A JS exception as text, for error messages.
fn js_text(value: &JsValue) -> String {
    if let Some(err) = value.dyn_ref::<js_sys::Error>() {
        return String::from(err.message());
    }
    value
        .as_string()
        .unwrap_or_else(|| String::from("a non-Error exception"))
}

/// A JS exception's `name` (`NotSupportedError`, `AbortError`), when it has one.
fn js_name(value: &JsValue) -> Option<String> {
    js_sys::Reflect::get(value, &JsValue::from_str("name"))
        .ok()
        .and_then(|n| n.as_string())
}

/// Sets a property on a JS object (WebCrypto parameters, option bags).
fn set(obj: &js_sys::Object, key: &str, value: impl Into<JsValue>) {
    // Reflect.set only fails on frozen objects or proxies, which these never are.
    let _ = js_sys::Reflect::set(obj, &JsValue::from_str(key), &value.into());
}

/// Runs `future` as its own task, boxed so that the task glue is compiled once.
fn spawn(future: impl std::future::Future<Output = ()> + 'static) {
    spawn_boxed(Box::pin(future));
}

fn spawn_boxed(future: std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>) {
    wasm_bindgen_futures::spawn_local(future);
}

/// A JS value (a message's data) as JSON, read by the core's own reader: `None` when it is not
/// representable as JSON (it cannot be for the client then).
fn js_to_json(value: &JsValue) -> Option<Json> {
    let text = js_sys::JSON::stringify(value).ok()?.as_string()?;
    Json::parse(&text).ok()
}

/// A JSON value as a JS value (`JSON.parse` of its text).
fn json_to_js(value: &Json) -> Result<JsValue, Error> {
    js_sys::JSON::parse(&value.to_text())
        .map_err(|e| Error::Browser(BrowserError::Conversion(js_text(&e))))
}
