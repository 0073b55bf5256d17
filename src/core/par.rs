//! Pushed authorization requests (RFC 9126): the authorization request's parameters are POSTed
//! to the OP's `pushed_authorization_request_endpoint` (§2.1), which answers with a
//! `request_uri` (§2.2); the browser is then sent to the authorization endpoint with only
//! `client_id` and `request_uri` (§4), so nothing of the request shows in the address bar, the
//! history or the OP's logs of the front channel.

use crate::core::authorize::append_query;
use crate::core::config::PushMode;
use crate::core::discovery_ext::Extensions;
use crate::core::flow::HttpRequest;
use crate::error::{Error, ResponseError};

/// Where authorization requests are pushed under `mode` for an OP with `ext`: its endpoint, or
/// `None` for a plain front-channel request.
///
/// `Auto` pushes whenever the OP has the endpoint (so also when it requires pushing, §5);
/// `Always` without an endpoint is [`Error::InvalidConfig`] (checked at `create`). So is a
/// request the OP would refuse: `Never` with an OP that sets
/// `require_pushed_authorization_requests` (§5), or `Auto` when such an OP names no usable
/// endpoint; a front-channel request would only land the user on the OP's error page.
pub fn endpoint(mode: PushMode, ext: &Extensions) -> Result<Option<&str>, Error> {
    match (mode, ext.par_endpoint.as_deref()) {
        (PushMode::Never, _) if ext.require_par => Err(Error::config(
            "pushed_authorization_requests",
            "false, but the OP requires pushed authorization requests",
        )),
        (PushMode::Never, _) => Ok(None),
        (_, Some(url)) => Ok(Some(url)),
        (PushMode::Auto, None) if ext.require_par => Err(Error::config(
            "pushed_authorization_requests",
            "the OP requires pushed authorization requests and names no usable endpoint",
        )),
        (PushMode::Auto, None) => Ok(None),
        (PushMode::Always, None) => Err(Error::config(
            "pushed_authorization_requests",
            "true, but the OP has no pushed_authorization_request_endpoint",
        )),
    }
}

/// The push (§2.1): the whole form-encoded authorization request, `client_id` included, POSTed
/// within `timeout_ms`.
pub fn push_request(endpoint: &str, params: String, timeout_ms: u32) -> HttpRequest {
    HttpRequest::post_form(endpoint, params, timeout_ms)
}

/// The `request_uri` of the OP's answer (§2.2: 201 with `request_uri` and `expires_in`). An
/// error answer (§2.3) is the OP's own error code ([`Error::Op`]).
pub fn request_uri(status: u16, body: &str) -> Result<String, Error> {
    if status != 201 && status != 200 {
        // Any other status: the OP's error object, as the token endpoint's (RFC 6749 §5.2).
        return Err(crate::core::token::error_answer(status, body));
    }
    crate::core::members::body_str(body, "request_uri")
        .filter(|u| !u.is_empty())
        .ok_or(Error::InvalidResponse(ResponseError::MissingField(
            "request_uri",
        )))
}

/// The front-channel URL after a push (§4): the authorization endpoint with `client_id` and
/// `request_uri` only.
pub fn front_url(authorization_endpoint: &str, client_id: &str, request_uri: &str) -> String {
    let query = crate::core::form::Form::new()
        .pair("client_id", client_id)
        .pair("request_uri", request_uri)
        .finish();
    append_query(authorization_endpoint, &query)
}
