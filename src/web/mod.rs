//! The browser shell: the only code that touches web-sys, js-sys and gloo-net.
//!
//! It does what the [`core`](crate::core) decides: reads the clock, fetches, verifies signatures
//! with WebCrypto, keeps sessions and transactions in storage, opens popups and iframes, and
//! coordinates tabs. [`client::Client`] is the Rust API (for Leptos, Yew, Dioxus apps);
//! [`js::JsOidcClient`] is the thin `#[wasm_bindgen]` facade that becomes `OidcClient` in JS.

pub mod client;
pub mod frame;
pub mod http;
pub mod js;
pub mod lock;
pub mod storage;
pub mod subtle;

use crate::Error;
use wasm_bindgen::JsValue;

/// Seconds since the Unix epoch, from `Date.now()`.
pub fn now() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}

/// The global `window`, or a typed error where there is none (a worker, Node).
pub(crate) fn window() -> Result<web_sys::Window, Error> {
    web_sys::window().ok_or_else(|| Error::Storage("no window: oidc-rp-wasm runs in a page".into()))
}

/// A JS exception as text, for error messages.
pub(crate) fn js_text(value: &JsValue) -> String {
    if let Some(err) = value.dyn_ref::<js_sys::Error>() {
        return String::from(err.message());
    }
    value.as_string().unwrap_or_else(|| format!("{value:?}"))
}

use wasm_bindgen::JsCast;

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

/// Polls two futures together until both are done: the code exchange runs while the JWK Set is
/// fetched. (A tiny `join`, to avoid a dependency for one combinator.)
pub(crate) async fn join2<A, B>(a: A, b: B) -> (A::Output, B::Output)
where
    A: std::future::Future,
    B: std::future::Future,
{
    use std::pin::pin;
    use std::task::Poll;
    let mut a = pin!(a);
    let mut b = pin!(b);
    let mut out_a = None;
    let mut out_b = None;
    std::future::poll_fn(move |cx| {
        if out_a.is_none() {
            if let Poll::Ready(v) = a.as_mut().poll(cx) {
                out_a = Some(v);
            }
        }
        if out_b.is_none() {
            if let Poll::Ready(v) = b.as_mut().poll(cx) {
                out_b = Some(v);
            }
        }
        match (out_a.take(), out_b.take()) {
            (Some(x), Some(y)) => Poll::Ready((x, y)),
            (x, y) => {
                out_a = x;
                out_b = y;
                Poll::Pending
            }
        }
    })
    .await
}
