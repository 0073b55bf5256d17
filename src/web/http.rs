//! Fetch: one [`HttpRequest`] as the machine wrote it (method, URL, headers, body), without
//! cookies (`credentials: "omit"`: a public client authenticates with PKCE, not ambient
//! credentials, and it keeps CORS simple), under an `AbortController` that the pump aborts at
//! the request's deadline or when the machine cancels it.

use crate::core::flow::{HttpRequest, HttpResponse, Method};
use crate::Error;
use gloo_net::http::Request;
use web_sys::{AbortSignal, RequestCredentials};

/// Performs `request` with `signal`, the body read included. A rejection (the network, CORS, an
/// abort) is [`Error::Network`]; the pump answers [`Error::Timeout`] itself when its deadline
/// aborted the request.
pub(super) async fn send(
    request: &HttpRequest,
    signal: &AbortSignal,
) -> Result<HttpResponse, Error> {
    let network = |e: gloo_net::Error| Error::Network(format!("{}: {e}", request.url));
    let mut builder = match request.method {
        Method::Get => Request::get(&request.url),
        Method::Post => Request::post(&request.url),
    }
    .credentials(RequestCredentials::Omit)
    .abort_signal(Some(signal));
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    let built = match &request.body {
        Some(body) => builder.body(body.as_str()),
        None => builder.build(),
    }
    .map_err(network)?;
    let response = built.send().await.map_err(network)?;
    let status = response.status();
    let body = response.text().await.map_err(network)?;
    Ok(HttpResponse { status, body })
}
