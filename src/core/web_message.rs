//! Which `postMessage` events complete a popup or iframe sign-in.
//!
//! Two deliveries reach the page by `postMessage`:
//! - the OAuth 2.0 Web Message Response Mode: the OP's page posts
//!   `{"type":"authorization_response","response":{...}}` to its opener or parent;
//! - the package's `silent-callback.html`, loaded at the silent redirect URI for the query,
//!   fragment and form_post modes, posts `{"type":"oidc-rp-wasm:callback","url":...}`.
//!
//! A message is accepted only from the expected origin (the authorization endpoint's for
//! web_message, ours for the callback page), only from the window we opened, only of the expected
//! type, and only with our pending state where the message shows one. Anything else is ignored,
//! so a stray or hostile message can neither complete nor abort a sign-in; only a response for
//! another sign-in from our own window ends ours ([`Delivery::Elsewhere`]).
//!
//! A third delivery survives an OP whose pages send `Cross-Origin-Opener-Policy: same-origin`
//! (HTML Standard, "cross-origin opener policies"): navigating the popup to such a page moves it
//! to a new browsing context group, so the popup loses `window.opener` and the opener's handle
//! reads as closed. The callback page then has nobody to `postMessage` to and hands the response
//! over a `BroadcastChannel` named by [`callback_channel`] instead. A BroadcastChannel reaches
//! only same-origin documents, and the name carries the pending state, so only the tab that
//! started this request hears it ([`accept_handover`]).

use crate::core::json::Json;
use crate::core::response::ResponseParams;

/// The `type` the package's silent-callback page posts.
pub const CALLBACK_MESSAGE_TYPE: &str = "oidc-rp-wasm:callback";

/// Which messages complete a pending request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// A web_message response from the OP at this origin.
    WebMessage {
        /// The origin of the authorization endpoint.
        op_origin: String,
        /// This page's origin when the redirect URI is the silent-callback page: an OP that
        /// sends its error there instead (in the query) is still heard, and the error is the
        /// OP's, never a timeout (a code that comes that way fails the delivery check).
        own_origin: Option<String>,
    },
    /// The silent-callback page on our own origin.
    CallbackPage {
        /// This page's origin.
        own_origin: String,
    },
}

/// What an accepted message delivered.
#[derive(Debug)]
pub enum Delivery {
    /// The authorization response parameters (web_message).
    Params(ResponseParams),
    /// The URL the callback page was loaded with; its parameters are in the query, the fragment
    /// or (form_post) behind the service worker.
    CallbackUrl(String),
    /// A form_post body (`application/x-www-form-urlencoded`) the callback page already picked
    /// up from the service worker, handed over a BroadcastChannel.
    FormPostBody(String),
    /// A response with another sign-in's state, from this sign-in's own window: the app handed
    /// that window to the other sign-in too (a double click on a button that opens one named
    /// window), which it serves now. This sign-in's response will not come.
    Elsewhere,
}

/// The BroadcastChannel name on which the callback page hands over the response of `state`.
pub fn callback_channel(state: &str) -> String {
    crate::core::text::cat(&[CALLBACK_MESSAGE_TYPE, ":", state])
}

/// The decision for one message on the [`callback_channel`] of `state`:
/// `{"type":"oidc-rp-wasm:callback","state":...,"url":...}`, with `"formPost"` holding the body
/// when the response came by form_post. Only a callback-page sign-in listens there; the message
/// must name the pending state. Whatever it delivers is then checked like any response (state
/// against the stored transaction, issuer, delivery mode).
pub fn accept_handover(data: &Json, expect: &Expect, state: &str) -> Option<Delivery> {
    if !matches!(expect, Expect::CallbackPage { .. })
        || data.get("type")?.as_str()? != CALLBACK_MESSAGE_TYPE
        || data.get("state")?.as_str()? != state
    {
        return None;
    }
    if let Some(body) = data.get("formPost") {
        return Some(Delivery::FormPostBody(body.as_str()?.to_owned()));
    }
    callback_url(data)
}

/// The `url` a callback-page message carries.
fn callback_url(data: &Json) -> Option<Delivery> {
    Some(Delivery::CallbackUrl(data.get("url")?.as_str()?.to_owned()))
}

/// The decision for one message: `Some` accepts it, `None` ignores it. `origin` is the event's
/// origin, `from_source` whether its source is the window we opened, `data` its payload.
pub fn accept(
    origin: &str,
    from_source: bool,
    data: &Json,
    expect: &Expect,
    state: &str,
) -> Option<Delivery> {
    if !from_source {
        return None;
    }
    let (from_op, own_origin) = match expect {
        Expect::WebMessage {
            op_origin,
            own_origin,
        } => (Some(op_origin), own_origin.as_ref()),
        Expect::CallbackPage { own_origin } => (None, Some(own_origin)),
    };
    let is_callback_page = data.get("type").and_then(Json::as_str) == Some(CALLBACK_MESSAGE_TYPE);
    if is_callback_page {
        if own_origin.map(String::as_str) != Some(origin) {
            return None;
        }
        // The app may hand one window to two calls (a double click): a response whose state is
        // another's is that call's. (A form_post pick-up URL carries no state: its body, once
        // fetched, is checked against the transaction.)
        let url = data.get("url")?.as_str()?;
        let another = ResponseParams::locate_in_url(url)
            .is_ok_and(|(params, _)| params.state().is_some_and(|s| s != state));
        if another {
            return Some(Delivery::Elsewhere);
        }
        return callback_url(data);
    }
    if from_op.map(String::as_str) != Some(origin) {
        return None;
    }
    let params = ResponseParams::from_web_message(data).ok()?;
    match params.state() {
        Some(s) if s == state => Some(Delivery::Params(params)),
        Some(_) => Some(Delivery::Elsewhere),
        None => None,
    }
}

/// The origin of an absolute `http(s)` URL, serialised as browsers do (`new URL(u).origin`,
/// RFC 6454 §6.1): the scheme and host in lower case, the port only when it is not the scheme's
/// default. What is not such a URL has the opaque origin `"null"`, which no message carries.
pub fn origin_of(url: &str) -> String {
    http_origin(url).unwrap_or_else(|| "null".to_owned())
}

/// [`origin_of`] an `http(s)` URL, `None` for anything else.
fn http_origin(url: &str) -> Option<String> {
    let (scheme, rest) = crate::core::text::split_once(url, b':')?;
    let rest = rest.strip_prefix("//")?;
    let (scheme, default_port) = if scheme.eq_ignore_ascii_case("https") {
        ("https", "443")
    } else if scheme.eq_ignore_ascii_case("http") {
        ("http", "80")
    } else {
        return None;
    };
    let authority = crate::core::text::before_any(rest, b"/?#");
    let host_port = crate::core::text::rsplit_once(authority, b'@').map_or(authority, |(_, h)| h);
    // A port follows the last ':' unless it is inside an IPv6 literal's brackets.
    let (host, port) = match crate::core::text::rsplit_once(host_port, b':') {
        Some((host, port)) if !crate::core::text::contains(port, b']') => (host, Some(port)),
        _ => (host_port, None),
    };
    if host.is_empty() {
        return None;
    }
    let mut origin = crate::core::text::cat(&[scheme, "://", &host.to_ascii_lowercase()]);
    if let Some(port) = port.filter(|p| !p.is_empty() && *p != default_port) {
        origin.push(':');
        origin.push_str(port);
    }
    Some(origin)
}
