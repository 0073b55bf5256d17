//! Fetch: performs a core [`HttpRequest`] with its deadline, and caches discovery documents.
//!
//! Each request runs under an `AbortController` whose `abort()` a timer calls when the request's
//! `timeout_ms` have passed, reading the body included; the answer is then [`Error::Timeout`].
//! No cookies go to the OP's API endpoints (`credentials: "omit"`): a public client authenticates
//! with PKCE, not ambient credentials, and it keeps CORS simple.

use super::dom::Deadline;
use crate::core::flow::{HttpRequest, HttpResponse, Method};
use crate::core::metadata::ProviderMetadata;
use crate::Error;
use gloo_net::http::Request;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use web_sys::RequestCredentials;

thread_local! {
    static DISCOVERY: RefCell<HashMap<String, Rc<ProviderMetadata>>> = RefCell::new(HashMap::new());
}

/// Performs `request`: its method, URL, headers and body, within its deadline.
pub async fn perform(request: &HttpRequest) -> Result<HttpResponse, Error> {
    let deadline = Deadline::start(request.timeout_ms)?;
    let network = |e: gloo_net::Error| Error::Network(format!("{}: {e}", request.url));
    let mut builder = match request.method {
        Method::Get => Request::get(&request.url),
        Method::Post => Request::post(&request.url),
    }
    .credentials(RequestCredentials::Omit)
    .abort_signal(Some(&deadline.signal()));
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    let built = match &request.body {
        Some(body) => builder.body(body.as_str()),
        None => builder.build(),
    }
    .map_err(network)?;
    let response = built.send().await.map_err(|e| deadline.or(network(e)))?;
    let status = response.status();
    let body = response.text().await.map_err(|e| deadline.or(network(e)))?;
    Ok(HttpResponse { status, body })
}

/// The provider metadata of `issuer`, fetched once per page (within `timeout_ms`) and validated
/// by the core against it.
pub async fn discovery(issuer: &str, timeout_ms: u32) -> Result<Rc<ProviderMetadata>, Error> {
    if let Some(hit) = DISCOVERY.with(|c| c.borrow().get(issuer).cloned()) {
        return Ok(hit);
    }
    let request = HttpRequest::get(ProviderMetadata::discovery_url(issuer), timeout_ms);
    let response = perform(&request).await?;
    let metadata = Rc::new(ProviderMetadata::from_http(
        response.status,
        &response.body,
        issuer,
    )?);
    DISCOVERY.with(|c| c.borrow_mut().insert(issuer.to_owned(), metadata.clone()));
    Ok(metadata)
}
