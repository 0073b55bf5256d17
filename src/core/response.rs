//! The authorization response, whatever delivered it: the redirect URI's query (RFC 6749
//! §4.1.2) or fragment (OAuth 2.0 Multiple Response Types §2.1), a form POST body (OAuth 2.0
//! Form Post Response Mode §2) or a `web_message` payload.
//!
//! [`ResponseParams`] turns each delivery into the same name/value pairs, refusing a repeated
//! response parameter (RFC 6749 §3.1). [`process_authorization_response`] then checks `state`
//! (RFC 6749 §10.12), the `iss` parameter (RFC 9207 §2.4), and yields either the OP's error
//! (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6) or the code.

use crate::core::authorize::Transaction;
use crate::core::json::Json;
use crate::core::metadata::ProviderMetadata;
use crate::core::params::ResponseMode;
use crate::core::secret::AuthorizationCodeValue;
use crate::error::{Error, OpError, ResponseError, REASON_RESPONSE_MODE_MISMATCH};
use std::fmt;

/// The parameters of an authorization response, in the order received, each of the response's
/// own names ([`RESPONSE_PARAMS`]) at most once.
/// Parameters with an empty value are dropped (RFC 6749 §3.1). `Debug` hides the `code`.
#[derive(Clone, Default)]
pub struct ResponseParams {
    pairs: Vec<(String, String)>,
}

impl ResponseParams {
    /// From name/value pairs; a repeated response parameter ([`RESPONSE_PARAMS`]) is
    /// [`ResponseError::RepeatedParameter`].
    pub fn from_pairs<I, N, V>(pairs: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = (N, V)>,
        N: Into<String>,
        V: Into<String>,
    {
        Self::from_pair_list(
            pairs
                .into_iter()
                .map(|(name, value)| (name.into(), value.into()))
                .collect(),
        )
    }

    /// [`ResponseParams::from_pairs`] of pairs already collected (not generic: one copy in the
    /// wasm).
    fn from_pair_list(all: Vec<(String, String)>) -> Result<Self, Error> {
        // §3.1 is about the response's parameters: the redirect URI's own query may repeat a
        // name of the app's (§3.1.2 keeps it), and the response is still read.
        for &known in RESPONSE_PARAMS {
            let mut seen = false;
            for (name, _) in &all {
                if name == known {
                    if seen {
                        return Err(ResponseError::RepeatedParameter(known.to_owned()).into());
                    }
                    seen = true;
                }
            }
        }
        let mut pairs = Vec::new();
        for pair in all {
            if !pair.1.is_empty() {
                pairs.push(pair);
            }
        }
        Ok(ResponseParams { pairs })
    }

    /// From a URL query, with or without the leading `?` (RFC 6749 §4.1.2).
    pub fn from_query(query: &str) -> Result<Self, Error> {
        Self::from_form_post(crate::core::text::strip_first(query, b'?').unwrap_or(query))
    }

    /// From a URL fragment, with or without the leading `#` (Multiple Response Types §2.1).
    pub fn from_fragment(fragment: &str) -> Result<Self, Error> {
        Self::from_form_post(crate::core::text::strip_first(fragment, b'#').unwrap_or(fragment))
    }

    /// From a whole redirect URL: its fragment for [`ResponseMode::Fragment`], its query for
    /// every other mode. A URL without that part gives no parameters.
    pub fn from_url(url: &str, mode: ResponseMode) -> Result<Self, Error> {
        let (before_fragment, fragment) = match crate::core::text::split_once(url, b'#') {
            Some((before, fragment)) => (before, fragment),
            None => (url, ""),
        };
        match mode {
            ResponseMode::Fragment => Self::from_fragment(fragment),
            _ => Self::from_query(
                crate::core::text::split_once(before_fragment, b'?').map_or("", |(_, q)| q),
            ),
        }
    }

    /// Finds the response in a redirect URL whose delivery is not known in advance: the query
    /// when it holds `state`, `code` or `error`, else the fragment. Returns the parameters and the
    /// mode that delivered them, so the caller can check it against the request's.
    pub fn locate_in_url(url: &str) -> Result<(Self, ResponseMode), Error> {
        for &mode in &[ResponseMode::Query, ResponseMode::Fragment] {
            let params = Self::from_url(url, mode)?;
            if params.get("state").is_some() || params.is_authorization_response() {
                return Ok((params, mode));
            }
        }
        Err(Error::InvalidResponse(ResponseError::NoCodeOrError))
    }

    /// From an `application/x-www-form-urlencoded` body (Form Post Response Mode §2).
    pub fn from_form_post(body: &str) -> Result<Self, Error> {
        Self::from_pair_list(crate::core::form::parse(body))
    }

    /// From a `web_message` payload: `{"type": "authorization_response", "response": {...}}`
    /// whose response members are strings (`null` counts as absent). Anything else is
    /// [`ResponseError::NotAuthorizationResponse`].
    pub fn from_web_message(payload: &Json) -> Result<Self, Error> {
        match web_message_pairs(payload) {
            Some(pairs) => Self::from_pair_list(pairs),
            None => Err(Error::InvalidResponse(
                ResponseError::NotAuthorizationResponse,
            )),
        }
    }

    /// The value of parameter `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        crate::core::text::value_of(&self.pairs, name)
    }

    /// The `state` parameter, if present.
    pub fn state(&self) -> Option<&str> {
        self.get("state")
    }

    /// Whether there are no parameters at all.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// Whether this looks like an authorization response at all (it has `code` or `error`).
    pub fn is_authorization_response(&self) -> bool {
        self.get("code").is_some() || self.get("error").is_some()
    }
}

impl fmt::Debug for ResponseParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (name, value) in &self.pairs {
            if name == "code" {
                map.entry(name, &"[redacted]");
            } else {
                map.entry(name, value);
            }
        }
        map.finish()
    }
}

/// A successful authorization response (RFC 6749 §4.1.2). `Debug` hides the code.
#[derive(Clone)]
pub struct AuthorizationCode {
    /// The authorization code, for the token request.
    pub code: AuthorizationCodeValue,
    /// The `iss` parameter, when the OP sent one (RFC 9207 §2); already checked.
    pub iss: Option<String>,
}

impl fmt::Debug for AuthorizationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationCode")
            .field("code", &"[redacted]")
            .field("iss", &self.iss)
            .finish()
    }
}

/// Checks an authorization response against its transaction and the OP's metadata, in order:
///
/// 1. `state` must equal the transaction's (RFC 6749 §10.12), else [`Error::StateMismatch`];
/// 2. `iss`, when present, must equal the issuer, and must be present when the metadata says
///    `authorization_response_iss_parameter_supported` (RFC 9207 §2.4), else
///    [`Error::IssuerMismatch`] with source `iss_parameter`;
/// 3. an `error` becomes [`Error::Op`] with its description, URI and state (RFC 6749 §4.1.2.1);
/// 4. `code` is required, else [`ResponseError::NoCodeOrError`].
pub fn process_authorization_response(
    params: &ResponseParams,
    transaction: &Transaction,
    metadata: &ProviderMetadata,
) -> Result<AuthorizationCode, Error> {
    if params.state() != Some(transaction.state.as_str()) {
        return Err(Error::StateMismatch);
    }

    let iss = params.get("iss");
    let iss_ok = match iss {
        Some(iss) => iss == metadata.issuer,
        None => !metadata.authorization_response_iss_parameter_supported,
    };
    if !iss_ok {
        return Err(Error::IssuerMismatch {
            source: "iss_parameter",
            expected: metadata.issuer.clone(),
            found: iss.map(str::to_owned),
        });
    }

    if let Some(error) = params.get("error") {
        return Err(Error::Op(OpError {
            error: error.to_owned(),
            description: params.get("error_description").map(str::to_owned),
            uri: params.get("error_uri").map(str::to_owned),
            state: params.state().map(str::to_owned),
            reason: None,
        }));
    }

    match params.get("code") {
        Some(code) => Ok(AuthorizationCode {
            code: AuthorizationCodeValue::new(code),
            iss: iss.map(str::to_owned),
        }),
        None => Err(ResponseError::NoCodeOrError.into()),
    }
}

/// The parameters an authorization response may add to the redirect URI (RFC 6749 §4.1.2 and
/// §4.1.2.1, RFC 9207 `iss`, OIDC Session Management `session_state`), plus the one the form_post
/// service worker adds.
pub const RESPONSE_PARAMS: &[&str] = &[
    "code",
    "state",
    "iss",
    "session_state",
    "error",
    "error_description",
    "error_uri",
    FORM_POST_ID_PARAM,
];

/// The query parameter with which the package's form_post service worker redirects to the page:
/// the id under which it keeps the POSTed body for a one-time pickup.
pub const FORM_POST_ID_PARAM: &str = "oidc_form_post";

/// `url` without the authorization response: its parameters removed from the query (the app's own
/// parameters stay), and the fragment dropped when the response came in it. What the address bar
/// should show once the response is consumed, so that a reload or a shared link replays nothing.
pub fn strip_response_params(url: &str, from_fragment: bool) -> String {
    let (rest, fragment) = match crate::core::text::split_once(url, b'#') {
        Some((rest, fragment)) => (rest, Some(fragment)),
        None => (url, None),
    };
    let (base, query) = crate::core::text::split_once(rest, b'?').unwrap_or((rest, ""));
    let mut clean = base.to_owned();
    // The app's own pieces stay as they were written (`?debug`, `;`, `%E9`, `/` unencoded):
    // only the response's are taken out, each piece judged by its decoded name.
    let mut separator = '?';
    for piece in crate::core::text::pieces(query, b'&') {
        let response_param = crate::core::form::parse(piece)
            .first()
            .is_some_and(|(name, _)| RESPONSE_PARAMS.contains(&name.as_str()));
        if !piece.is_empty() && !response_param {
            clean.push(separator);
            clean.push_str(piece);
            separator = '&';
        }
    }
    if let (Some(fragment), false) = (fragment, from_fragment) {
        clean.push('#');
        clean.push_str(fragment);
    }
    clean
}

/// Checks that the response came the way its request asked (`response_mode`): a response meant
/// for the fragment that turns up in a query, or a query response handed over as a form_post
/// body, is not one this client requested and is refused ([`ResponseError::InvalidField`]).
/// OAuth 2.0 Multiple Response Type Encoding Practices §2.1; Form Post Response Mode §2.
pub fn check_delivery(transaction: &Transaction, delivered: ResponseMode) -> Result<(), Error> {
    if transaction.response_mode == delivered {
        return Ok(());
    }
    Err(Error::InvalidResponse(ResponseError::InvalidField(
        "response_mode",
        crate::core::text::cat(&[
            "the request asked for ",
            transaction.response_mode.as_str(),
            ", the response came by ",
            delivered.as_str(),
        ]),
    )))
}

/// Checks how the response came ([`check_delivery`]), then the response itself
/// ([`process_authorization_response`]). One exception to the delivery check: an error response
/// (an `error` and no `code`) whose `state` and `iss` check out is the OP's error whatever
/// channel brought it, with [`REASON_RESPONSE_MODE_MISMATCH`] as its reason. It grants nothing,
/// and some OPs put `prompt=none` errors in the query whatever `response_mode` asked for, where
/// the app must still see `login_required`. A code keeps the strict check.
pub fn check_delivered_response(
    params: &ResponseParams,
    transaction: &Transaction,
    metadata: &ProviderMetadata,
    delivered: ResponseMode,
) -> Result<AuthorizationCode, Error> {
    let mismatch = match check_delivery(transaction, delivered) {
        Ok(()) => return process_authorization_response(params, transaction, metadata),
        Err(mismatch) => mismatch,
    };
    if params.get("code").is_some() || params.get("error").is_none() {
        return Err(mismatch);
    }
    match process_authorization_response(params, transaction, metadata) {
        Err(Error::Op(mut op)) => {
            op.reason = Some(REASON_RESPONSE_MODE_MISMATCH);
            Err(Error::Op(op))
        }
        _ => Err(mismatch),
    }
}

/// The query parameter under which the page fetches the stored form_post body from the service
/// worker.
pub const FORM_POST_BODY_PARAM: &str = "oidc_form_post_body";

/// The id under which the form_post service worker keeps a response for `url`, if the worker
/// redirected here with one ([`FORM_POST_ID_PARAM`]).
pub fn form_post_id(url: &str) -> Option<String> {
    let without_fragment = crate::core::text::split_once(url, b'#').map_or(url, |(u, _)| u);
    let (_, query) = crate::core::text::split_once(without_fragment, b'?')?;
    crate::core::form::first(query, FORM_POST_ID_PARAM)
}

/// The URL at which the page picks up the form_post body `id` from the service worker, once.
pub fn form_post_pickup_url(url: &str, id: &str) -> String {
    let base = crate::core::text::before_any(url, b"?#");
    let mut pickup = String::from(base);
    pickup.push('?');
    crate::core::form::Form::after(pickup)
        .pair(FORM_POST_BODY_PARAM, id)
        .finish()
}

impl ResponseParams {
    /// The parameters from the service worker's pick-up answer: HTTP 200 with the POSTed body.
    /// A 404 is the worker's "no such response": handed out already (a reload or a Back to a
    /// spent callback URL), kept too long, or never kept. Like a spent `state` in the query, that
    /// is [`Error::StateMismatch`]. Any other status, [`ResponseError::UnexpectedStatus`].
    pub fn from_form_post_pickup(status: u16, body: &str) -> Result<Self, Error> {
        match status {
            200 => ResponseParams::from_form_post(body),
            404 => Err(Error::StateMismatch),
            _ => Err(ResponseError::UnexpectedStatus(status).into()),
        }
    }
}

/// The string members of a `web_message` payload's response ([`ResponseParams::from_web_message`]),
/// or `None` when it is not an authorization response.
fn web_message_pairs(payload: &Json) -> Option<Vec<(String, String)>> {
    let object = payload.as_object()?;
    if object.get("type").and_then(Json::as_str) != Some("authorization_response") {
        return None;
    }
    let response = object.get("response").and_then(Json::as_object)?;
    let mut pairs = Vec::new();
    for (name, value) in response {
        match value {
            Json::Null => {}
            Json::String(s) => pairs.push((name.to_owned(), s.clone())),
            _ => return None,
        }
    }
    Some(pairs)
}
