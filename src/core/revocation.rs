//! Token revocation on sign-out (RFC 7009): the refresh token first (revoking it ends the grant
//! at most OPs, §2.1), then the access token, each a form POST to the `revocation_endpoint` with
//! `token`, `token_type_hint` and the public client's `client_id` (§2.1, RFC 6749 §2.3.1).
//!
//! The sign-out never waits on the OP's answer: whatever it is (an error, a timeout at the
//! request's deadline), the next request, then the end-session redirect, follows.

use crate::core::flow::HttpRequest;
use crate::core::secret::RefreshToken;
use crate::core::session::Session;

/// Whether tokens are revoked on sign-out: as configured, else when the OP has an endpoint.
pub fn enabled(configured: Option<bool>, endpoint: Option<&str>) -> bool {
    endpoint.is_some() && configured.unwrap_or(true)
}

/// The revocation requests for `session`, in order: refresh token, then access token.
pub fn requests(
    endpoint: &str,
    client_id: &str,
    session: &Session,
    timeout_ms: u32,
) -> Vec<HttpRequest> {
    let refresh = session.refresh_token.as_ref().map(RefreshToken::expose);
    let mut requests = Vec::new();
    for &(token, hint) in &[
        (refresh.unwrap_or_default(), "refresh_token"),
        (session.access_token.expose(), "access_token"),
    ] {
        if token.is_empty() {
            continue;
        }
        let body = crate::core::form::Form::new()
            .pair("token", token)
            .pair("token_type_hint", hint)
            .pair("client_id", client_id)
            .finish();
        requests.push(HttpRequest::post_form(endpoint, body, timeout_ms));
    }
    requests
}
