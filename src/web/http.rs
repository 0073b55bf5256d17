//! Network I/O: fetch through gloo-net, and the caches of discovery documents and JWK Sets.
//!
//! Discovery (OpenID Connect Discovery 1.0 §4) is fetched once per issuer and shared by every
//! client of the page. A JWK Set is fetched when first needed and fetched once more when a token
//! names a key it lacks (OIDC Core §10.1.1, key rotation).

use crate::core::jwks::JwkSet;
use crate::core::metadata::ProviderMetadata;
use crate::Error;
use gloo_net::http::{Request, RequestBuilder};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use web_sys::RequestCredentials;

thread_local! {
    static DISCOVERY: RefCell<HashMap<String, Rc<ProviderMetadata>>> = RefCell::new(HashMap::new());
    static JWKS: RefCell<HashMap<String, Rc<JwkSet>>> = RefCell::new(HashMap::new());
}

/// An HTTP response: status and body text.
pub struct HttpResponse {
    /// The HTTP status.
    pub status: u16,
    /// The body as text.
    pub body: String,
}

async fn send(request: Request, what: &str) -> Result<HttpResponse, Error> {
    let response = request
        .send()
        .await
        .map_err(|e| Error::Network(format!("{what}: {e}")))?;
    let status = response.status();
    let body = response
        .text()
        .await
        .map_err(|e| Error::Network(format!("{what}: reading the body: {e}")))?;
    Ok(HttpResponse { status, body })
}

/// A request with the settings every call shares. No cookies to the OP's API endpoints: a public
/// client authenticates with PKCE, not ambient credentials, and `omit` keeps CORS simple.
fn base(request: RequestBuilder) -> RequestBuilder {
    request
        .credentials(RequestCredentials::Omit)
        .header("Accept", "application/json")
}

/// GET `url`, optionally with a bearer access token.
pub async fn get(url: &str, bearer: Option<&str>) -> Result<HttpResponse, Error> {
    let mut request = base(Request::get(url));
    if let Some(token) = bearer {
        request = request.header("Authorization", &format!("Bearer {token}"));
    }
    let request = request
        .build()
        .map_err(|e| Error::Network(format!("{url}: {e}")))?;
    send(request, url).await
}

/// POST an `application/x-www-form-urlencoded` body (token endpoint, RFC 6749 §4.1.3, §6).
pub async fn post_form(url: &str, body: String) -> Result<HttpResponse, Error> {
    let request = base(Request::post(url))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
        .map_err(|e| Error::Network(format!("{url}: {e}")))?;
    send(request, url).await
}

fn expect_ok(response: HttpResponse, what: &str) -> Result<String, Error> {
    if response.status == 200 {
        Ok(response.body)
    } else {
        Err(Error::Network(format!(
            "{what} answered HTTP {}",
            response.status
        )))
    }
}

/// The provider metadata of `issuer`, fetched once per page and validated against it.
pub async fn discovery(issuer: &str) -> Result<Rc<ProviderMetadata>, Error> {
    if let Some(hit) = DISCOVERY.with(|c| c.borrow().get(issuer).cloned()) {
        return Ok(hit);
    }
    let url = ProviderMetadata::discovery_url(issuer);
    let body = expect_ok(get(&url, None).await?, "discovery")?;
    let metadata = Rc::new(ProviderMetadata::parse(&body, issuer)?);
    DISCOVERY.with(|c| c.borrow_mut().insert(issuer.to_owned(), metadata.clone()));
    Ok(metadata)
}

/// The JWK Set at `jwks_uri`: the cached one, or a fresh fetch when `refetch` (a token named a
/// key the cached set lacks) or nothing is cached.
pub async fn jwks(jwks_uri: &str, refetch: bool) -> Result<Rc<JwkSet>, Error> {
    if !refetch {
        if let Some(hit) = JWKS.with(|c| c.borrow().get(jwks_uri).cloned()) {
            return Ok(hit);
        }
    }
    let body = expect_ok(get(jwks_uri, None).await?, "jwks_uri")?;
    let set = Rc::new(JwkSet::parse(&body)?);
    JWKS.with(|c| c.borrow_mut().insert(jwks_uri.to_owned(), set.clone()));
    Ok(set)
}
