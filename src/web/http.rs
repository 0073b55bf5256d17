//! Fetch: one [`HttpRequest`] as the machine wrote it (method, URL, headers, body, cache mode), without
//! cookies (`credentials: "omit"`: a public client authenticates with PKCE, not ambient
//! credentials, and it keeps CORS simple), under an `AbortController` that the pump aborts at
//! the request's deadline or when the machine cancels it.

use super::js_text;
use crate::core::flow::{HttpRequest, HttpResponse, Method};
use crate::Error;
use gloo_net::http::{Headers, Request};
use web_sys::{AbortSignal, RequestCache, RequestCredentials};

/// Performs `request` with `signal`, the body read included. A rejection (the network, CORS, an
/// abort) is [`Error::Network`]; the pump answers [`Error::Timeout`] itself when its deadline
/// aborted the request.
pub(super) async fn send(
    request: &HttpRequest,
    signal: &AbortSignal,
) -> Result<HttpResponse, Error> {
    let network = |e: gloo_net::Error| Error::Network(format!("{}: {e}", request.url));
    // web-sys's Headers, whose `append` returns the browser's refusal of a header (gloo-net's
    // would throw it through the wasm): the request then fails as fetch would make it fail.
    let headers = web_sys::Headers::new().map_err(|e| Error::Network(js_text(&e)))?;
    for (name, value) in &request.headers {
        headers
            .append(name, value)
            .map_err(|e| Error::Network(format!("{}: {}", request.url, js_text(&e))))?;
    }
    let builder = match request.method {
        Method::Get => Request::get(&request.url),
        Method::Post => Request::post(&request.url),
    }
    .credentials(RequestCredentials::Omit)
    .cache(match request.no_cache {
        true => RequestCache::NoCache,
        false => RequestCache::Default,
    })
    .abort_signal(Some(signal))
    .headers(Headers::from_raw(headers));
    let built = match &request.body {
        Some(body) => builder.body(body.as_str()),
        None => builder.build(),
    }
    .map_err(network)?;
    let response = built.send().await.map_err(network)?;
    let status = response.status();
    let dpop_nonce = response.headers().get("DPoP-Nonce");
    let body = response.text().await.map_err(network)?;
    Ok(HttpResponse {
        status,
        body,
        dpop_nonce,
    })
}
