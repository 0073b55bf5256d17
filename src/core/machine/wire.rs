//! The machine's inputs and outputs as JSON, for a pump in another language (the npm package's
//! JavaScript): values cross as JSON text that [`crate::core::json`] reads and writes, so the
//! boundary needs no per-field conversion code and stays message-shaped.
//!
//! [`Wired`] wraps a [`Machine`]: [`Wired::handle`] takes one input as JSON and returns every
//! output it caused, with the next timeout: `{"out":[...],"timeout":ms|null}`.
//!
//! Inputs (`"t"` says which):
//! - `{"t":"call","op":1,"call":"signinPopup","options":{..},"appWindow":false,"entropy":"<b64url>"}`
//!   (`call` is the JS method name; `url`, `fromLocation`, `body` where the method takes them);
//! - `{"t":"answer","id":7, ...}` with `"ok":true`, `"http":{"status":200,"body":".."}`,
//!   `"read":"text"|null`, `"keys":[..]`, `"digest":"<b64url>"`,
//!   `"look":{"closed":false,"crossOrigin":true}`, or `"error":{"kind":"timeout","message":".."}`;
//! - `{"t":"timeout"}`, `{"t":"page","event":"visible"}`, `{"t":"tab","data":{..}}`,
//!   `{"t":"message","origin":"..","source":1|null,"data":{..}}`, `{"t":"handover","op":1,"data":{..}}`.
//!
//! Outputs: `{"io":7,"do":"fetch",...}` (see [`command_json`]), `{"cancel":7}`,
//! `{"event":"signedIn","detail":{..}}`, `{"done":1,"ok":..}` or `{"done":1,"error":{..}}`.

use super::{
    Answer, AnswerKind, Area, Call, Command, Event, Input, IoId, Machine, Outcome, PageEvent,
    Queued, SigninVia,
};
use crate::core::alg::{JwsAlg, WEBCRYPTO_JWK_MEMBERS};
use crate::core::config::{AuthorizeOptions, ClientConfig, IdTokenHint, LogoutOptions, PushMode};
use crate::core::flow::silent::PopupLook;
use crate::core::flow::{HttpResponse, Method};
use crate::core::json::{int_text, write_string, Json, Object, ObjectWriter};
use crate::core::params::Prompt;
use crate::core::secret::RawIdToken;
use crate::core::session::Session;
use crate::core::text;
use crate::error::{BrowserError, Error, SignatureError};
use std::str::FromStr;

/// The page events as the pump names them.
const PAGE_EVENTS: [(&str, PageEvent); 7] = [
    ("visible", PageEvent::Visible),
    ("hidden", PageEvent::Hidden),
    ("resume", PageEvent::Resumed),
    ("online", PageEvent::Online),
    ("pagehide", PageEvent::PageHide),
    ("pageshow", PageEvent::PageShow),
    ("activity", PageEvent::Activity),
];

/// A [`Machine`] with a JSON boundary. An answer in JSON is read as the answer its command
/// takes, which the machine knows of every outstanding id.
#[derive(Debug)]
pub struct Wired {
    machine: Machine,
    /// A call whose options did not read, and why.
    refused: Option<(u32, Error)>,
}

impl Wired {
    /// A machine for the configuration `config` (the JS `OidcClientConfig` as JSON) in a page
    /// of `own_origin`. Errors come as the JSON error object of a `done`.
    pub fn new(config: &str, own_origin: &str) -> Result<Wired, String> {
        match Json::parse(config) {
            Ok(json) => Wired::from_json(&json, own_origin),
            Err(e) => Err(error_json(&Error::config("config", e.message()))),
        }
    }

    /// [`Wired::new`] for a configuration already parsed.
    pub fn from_json(config: &Json, own_origin: &str) -> Result<Wired, String> {
        // Matched where it is: the machine is not moved through `and_then` and `map_err`.
        let made = match parse_config(config) {
            Ok(config) => Machine::new(config, own_origin.to_owned()),
            Err(e) => Err(e),
        };
        let machine = match made {
            Ok(machine) => machine,
            Err(e) => return Err(error_json(&e)),
        };
        Ok(Wired {
            machine,
            refused: None,
        })
    }

    /// The machine.
    pub fn machine(&self) -> &Machine {
        &self.machine
    }

    /// `[session, signedOutReason, expired]`: the current session as the JS `Session` (camelCase,
    /// no refresh token) or `null`, [`Machine::signed_out_reason`] or `null`, and
    /// [`Machine::expired_announced`].
    pub fn session(&self) -> String {
        let mut out = String::from("[");
        match self.machine.session() {
            Some(s) => out.push_str(&session_view(s, None)),
            None => out.push_str("null"),
        }
        out.push(',');
        match self.machine.signed_out_reason() {
            Some(reason) => write_string(reason, &mut out),
            None => out.push_str("null"),
        }
        out.push_str(if self.machine.expired_announced() {
            ",true]"
        } else {
            ",false]"
        });
        out
    }

    /// Takes one input (JSON) at `now` (ms since the epoch); returns the outputs it caused and
    /// the next timeout, as JSON.
    pub fn handle(&mut self, input: &str, now: i64) -> String {
        let mut out = String::from("{\"out\":[");
        match Json::parse(input).ok().and_then(|j| self.read_input(&j)) {
            Some(input) => self.machine.handle_input(input, now),
            None => {
                let (op, error) = self.refused.take().unwrap_or_else(|| {
                    (
                        0,
                        Error::Browser(BrowserError::Conversion(
                            "an input the machine does not read".into(),
                        )),
                    )
                });
                out.push_str(&done_json(op, Err(&error)));
            }
        }
        // Read as queued: an error several operations share is written for each where it is.
        while let Some(output) = self.machine.poll_queued() {
            if out.as_bytes().last() != Some(&b'[') {
                out.push(',');
            }
            out.push_str(&output_json(&output));
        }
        out.push_str("],\"timeout\":");
        match self.machine.poll_timeout() {
            Some(at) => out.push_str(&int_text(at)),
            None => out.push_str("null"),
        }
        out.push('}');
        out
    }

    // The readers and writers stay functions of their own (`inline(never)`): inlined into
    // `handle`, they made the wasm larger.
    #[inline(never)]
    fn read_input(&mut self, json: &Json) -> Option<Input> {
        let kind = json.get("t")?.as_str()?;
        Some(match kind {
            "call" => {
                let op = u32_of(json, "op")?;
                let entropy = json
                    .get("entropy")
                    .and_then(Json::as_str)
                    .and_then(crate::core::base64url::decode)
                    .unwrap_or_default();
                let call = match read_call(json) {
                    Ok(call) => call,
                    // A call whose options are unusable ends at once with that error.
                    Err(e) => {
                        self.refused = Some((op, e));
                        return None;
                    }
                };
                Input::Call {
                    op,
                    call: Box::new(call),
                    entropy,
                }
            }
            "answer" => {
                let id = u32_of(json, "id")?;
                let kind = self.machine.pending_answer(id)?;
                Input::Answer {
                    id,
                    answer: read_answer(json, kind)?,
                }
            }
            "timeout" => Input::Timeout,
            "page" => {
                let event = json.get("event")?.as_str()?;
                // Anything else is not a page event: it must not pass for the user's activity
                // (which keeps every tab signed in).
                let (_, event) = PAGE_EVENTS.iter().find(|(name, _)| *name == event)?;
                Input::Page(*event)
            }
            "tab" => Input::TabMessage(json.get("data")?.clone()),
            "message" => Input::WindowMessage {
                origin: owned_str(json, "origin")?,
                source: u32_of(json, "source"),
                data: json.get("data").cloned().unwrap_or_default(),
            },
            "handover" => Input::Handover {
                op: u32_of(json, "op")?,
                data: json.get("data").cloned().unwrap_or_default(),
            },
            _ => return None,
        })
    }
}

#[inline(never)]
fn read_answer(json: &Json, kind: AnswerKind) -> Option<Answer> {
    match (kind, json.get("error")) {
        // These two never fail.
        (AnswerKind::Keys, _) => {
            let mut keys = Vec::new();
            for key in json.get("keys").and_then(Json::as_array).unwrap_or(&[]) {
                if let Some(key) = key.as_str() {
                    keys.push(key.to_owned());
                }
            }
            Some(Answer::Keys(keys))
        }
        (AnswerKind::Look, _) => {
            let look = json.get("look")?;
            Some(Answer::Look(PopupLook {
                closed: look.get("closed")?.as_bool()?,
                cross_origin: look.get("crossOrigin")?.as_bool()?,
            }))
        }
        (_, Some(error)) => kind.failed(read_error(error)),
        (_, None) => done_answer(json, kind),
    }
}

/// The answer of `kind` that reports no failure (`None` for the kinds read before).
fn done_answer(json: &Json, kind: AnswerKind) -> Option<Answer> {
    let bytes = |name: &'static str| -> Option<Result<Vec<u8>, Error>> {
        Some(
            crate::core::base64url::decode(json.get(name)?.as_str()?)
                .ok_or_else(|| Error::Crypto(name.into())),
        )
    };
    // Success must be said (`"ok":true`): an answer that says neither is a failure, never a
    // verified signature.
    let said = || {
        if is_true(json, "ok") {
            Ok(())
        } else {
            Err(Error::Browser(BrowserError::Conversion(
                "an answer that says neither ok nor error".into(),
            )))
        }
    };
    Some(match kind {
        AnswerKind::Verified => Answer::Verified(said()),
        AnswerKind::Written => Answer::Written(said()),
        AnswerKind::Lock => Answer::Lock(said()),
        AnswerKind::Opened => Answer::Opened(said()),
        AnswerKind::Keys | AnswerKind::Look => return None,
        AnswerKind::Http => {
            let http = json.get("http")?;
            Answer::Http(Ok(HttpResponse {
                status: u16::try_from(u32_of(http, "status")?).ok()?,
                body: owned_str(http, "body")?,
                dpop_nonce: owned_str(http, "nonce"),
            }))
        }
        #[cfg(feature = "dpop")]
        AnswerKind::Key => Answer::Key(Ok(json.get("key").filter(|k| !k.is_null()).cloned())),
        #[cfg(feature = "dpop")]
        AnswerKind::Signature => Answer::Signature(bytes("signature")?),
        AnswerKind::Digest => Answer::Digest(bytes("digest")?),
        AnswerKind::Read => Answer::Read(Ok(owned_str(json, "read"))),
    })
}

/// Member `name` of `json`, when it is a whole number that fits a `u32` (an operation's or a
/// command's id, an HTTP status before it is narrowed).
#[inline(never)]
fn u32_of(json: &Json, name: &str) -> Option<u32> {
    u32::try_from(json.get(name)?.as_u64()?).ok()
}

/// Member `name` of `json`, when it is a string, as an owned one.
#[inline(never)]
fn owned_str(json: &Json, name: &str) -> Option<String> {
    json.get(name).and_then(Json::as_str).map(str::to_owned)
}

/// Whether member `name` of `json` is `true` (absent or anything else is not).
#[inline(never)]
fn is_true(json: &Json, name: &str) -> bool {
    json.get(name).and_then(Json::as_bool) == Some(true)
}

/// A failure the pump reports: `{"kind":"timeout"|"network"|"storage"|...,"message":".."}`.
#[inline(never)]
fn read_error(json: &Json) -> Error {
    let message = || owned_str(json, "message").unwrap_or_default();
    match json.get("kind").and_then(Json::as_str).unwrap_or("") {
        "timeout" => Error::Timeout,
        "network" => Error::Network(message()),
        "storage" => Error::Storage(message()),
        "crypto" => Error::Crypto(message()),
        "popup_blocked" => Error::PopupBlocked,
        "popup_closed" => Error::PopupClosed,
        "unsupported_alg" => Error::Signature(SignatureError::UnsupportedAlg(message())),
        "unusable_key" => Error::Signature(SignatureError::UnusableKey(message())),
        "mismatch" => Error::Signature(SignatureError::Mismatch),
        "lock" => Error::Browser(BrowserError::Lock(message())),
        "unsupported" => Error::Unsupported(message()),
        "frame" => Error::Browser(BrowserError::Frame(message())),
        "location" => Error::Browser(BrowserError::Location(message())),
        "no_document" => Error::Browser(BrowserError::NoDocument),
        _ => Error::Browser(BrowserError::Conversion(message())),
    }
}

#[inline(never)]
fn read_call(json: &Json) -> Result<Call, Error> {
    let name = json.get("call").and_then(Json::as_str).unwrap_or("");
    let options = json.get("options").unwrap_or(&Json::Null);
    // The sign-in calls' options are read once, for whichever of them it is.
    let via = match name {
        "authorizeUrl" => SigninVia::Url,
        "signinRedirect" if is_true(json, "unlessLeft") => SigninVia::RedirectUnlessLeft,
        "signinRedirect" => SigninVia::Redirect,
        "signinSilent" => SigninVia::Silent,
        "signinPopup" => SigninVia::Popup {
            app_window: is_true(json, "appWindow"),
        },
        "signoutUrl" | "signoutRedirect" => {
            return Ok(Call::Signout {
                redirect: name == "signoutRedirect",
                options: parse_logout_options(options)?,
            })
        }
        _ => {
            return read_plain_call(name, json)
                .map_err(|(field, reason)| Error::config(field, reason))
        }
    };
    Ok(Call::Signin {
        via,
        options: parse_authorize_options(options)?,
    })
}

/// `method` as the Fetch Standard normalises it ("normalize a method"): the six methods it knows
/// upper-cased, any other as given. A proof's `htm` must be the method the request carries (RFC
/// 9449 §4.3), and `fetch` sends `patch` as `patch`.
pub fn fetch_method(method: &str) -> String {
    const KNOWN: [&str; 6] = ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"];
    match KNOWN
        .iter()
        .find(|known| known.eq_ignore_ascii_case(method))
    {
        Some(known) => (*known).to_owned(),
        None => method.to_owned(),
    }
}

/// A call without options; a field it lacks is refused as `(field, reason)`.
#[inline(never)]
fn read_plain_call(name: &str, json: &Json) -> Result<Call, (&'static str, &'static str)> {
    let string = |name: &'static str, why: &'static str| owned_str(json, name).ok_or((name, why));
    let url = || string("url", "must be a string");
    let method = || {
        json.get("method")
            .and_then(Json::as_str)
            .filter(|m| !m.is_empty())
            .map(fetch_method)
            .ok_or(("method", "must be a string"))
    };
    Ok(match name {
        "create" => Call::Create,
        "handleRedirectCallback" => Call::HandleRedirectCallback {
            url: url()?,
            from_location: is_true(json, "fromLocation"),
        },
        "handleFormPost" => {
            Call::HandleFormPost(string("body", "must be a string or URLSearchParams")?)
        }
        "refresh" => Call::Refresh,
        "getAccessToken" => Call::GetAccessToken,
        "handleSignoutCallback" => Call::HandleSignoutCallback { url: url()? },
        "signOutLocally" => Call::SignOutLocally,
        "dispose" => Call::Dispose,
        // The resource calls all take a method and a URL, read once.
        "resourceHeaders" | "resourceAnswer" | "dpopProof" => {
            let (method, url) = (method()?, url()?);
            match name {
                "resourceHeaders" => Call::ResourceHeaders { method, url },
                "dpopProof" => Call::DpopProof { method, url },
                _ => Call::ResourceAnswer {
                    method,
                    url,
                    status: u32_of(json, "status")
                        .and_then(|s| u16::try_from(s).ok())
                        .ok_or(("status", "must be an HTTP status"))?,
                    www_authenticate: owned_str(json, "wwwAuthenticate"),
                    dpop_nonce: owned_str(json, "dpopNonce"),
                    retried: is_true(json, "retried"),
                },
            }
        }
        _ => return Err(("call", "is not a method of OidcClient")),
    })
}

// ----- options -----

/// What an option takes. The members of an options object are checked against a table of
/// these in one pass, so that reading them afterwards cannot fail.
#[derive(Clone, Copy)]
enum Takes {
    /// A string.
    Str,
    /// `true` or `false`.
    Bool,
    /// A whole number (no fraction or exponent) from 0 up to this.
    Whole(i64),
    /// A string or an array of strings.
    List,
    /// An object whose values are strings.
    Params,
    /// Anything (read and checked where it is used).
    Any,
}

const CONFIG: &[(&str, Takes)] = &[
    ("issuer", Takes::Str),
    ("clientId", Takes::Str),
    ("redirectUri", Takes::Str),
    ("postLogoutRedirectUri", Takes::Str),
    ("silentRedirectUri", Takes::Str),
    ("scope", Takes::Str),
    ("responseMode", Takes::Str),
    ("requireIdTokenOnRefresh", Takes::Bool),
    ("checkUserinfoOnRefresh", Takes::Bool),
    ("storage", Takes::Str),
    ("idTokenSigningAlgs", Takes::List),
    ("clockSkewSeconds", Takes::Whole(i64::MAX)),
    ("silentTimeoutMs", Takes::Whole(u32::MAX as i64)),
    ("requestTimeoutMs", Takes::Whole(u32::MAX as i64)),
    ("autoRefresh", Takes::Bool),
    ("extraAuthorizeParams", Takes::Params),
    ("idleTimeoutSeconds", Takes::Whole(u32::MAX as i64)),
    ("idleWarningSeconds", Takes::Whole(u32::MAX as i64)),
    ("idTokenHint", Takes::Bool),
    ("dpop", Takes::Bool),
    ("pushedAuthorizationRequests", Takes::Any),
    ("resource", Takes::List),
    ("revokeTokensOnSignout", Takes::Bool),
    ("claims", Takes::Any),
];

const AUTHORIZE: &[(&str, Takes)] = &[
    ("loginHint", Takes::Str),
    ("uiLocales", Takes::List),
    ("prompt", Takes::List),
    ("maxAge", Takes::Whole(i64::MAX)),
    ("idTokenHint", Takes::Any),
    ("acrValues", Takes::List),
    ("scope", Takes::Str),
    ("responseMode", Takes::Str),
    ("appState", Takes::Any),
    ("extraParams", Takes::Params),
    ("resource", Takes::List),
    ("claims", Takes::Any),
];

const LOGOUT: &[(&str, Takes)] = &[
    ("postLogoutRedirectUri", Takes::Str),
    ("uiLocales", Takes::List),
    ("logoutHint", Takes::Str),
    ("idTokenHint", Takes::Any),
    ("extraParams", Takes::Params),
];

/// The reason of an unknown option.
const NOT_AN_OPTION: &str = "is not an option of ";

/// An options object whose members were checked against their table: `null` and absent
/// members read as absent.
struct Checked<'a>(Option<&'a Object>);

/// Whether every one of `values` is a string (one loop for the lists and the parameter objects).
fn all_strings<'a>(values: impl Iterator<Item = &'a Json>) -> bool {
    for value in values {
        if value.as_str().is_none() {
            return false;
        }
    }
    true
}

/// Checks `value` (`null` for no options) against `table`: unknown members are refused, and a
/// member of the wrong kind is `invalid_config` naming it.
fn check<'a>(
    value: &'a Json,
    of: &'static str,
    table: &[(&str, Takes)],
) -> Result<Checked<'a>, Error> {
    let object = match value {
        Json::Null => return Ok(Checked(None)),
        Json::Object(o) => o,
        _ => return Err(Error::config(of, "must be an object")),
    };
    for (name, value) in object.iter() {
        let Some((_, kind)) = table.iter().find(|(n, _)| *n == name) else {
            return Err(Error::config(name, text::cat(&[NOT_AN_OPTION, of])));
        };
        let what = match (kind, value) {
            (_, Json::Null) | (Takes::Any, _) => continue,
            (Takes::Str, Json::String(_)) | (Takes::Bool, Json::Bool(_)) => continue,
            (Takes::Whole(max), Json::Number(text)) => match crate::core::json::parse_i64(text) {
                Some(n) if (0..=*max).contains(&n) => continue,
                _ => "a whole number in range",
            },
            (Takes::List, Json::String(_)) => continue,
            (Takes::List, Json::Array(items)) if all_strings(items.iter()) => continue,
            (Takes::Params, Json::Object(o)) if all_strings(o.iter().map(|(_, v)| v)) => continue,
            (Takes::Str, _) => "a string",
            (Takes::Bool, _) => "true or false",
            (Takes::Whole(_), _) => "a number",
            (Takes::List, _) => "a string or an array of strings",
            (Takes::Params, _) => "an object of strings",
        };
        if name == "maxAge" {
            // Its own words: a number of seconds, whatever was wrong with it.
            return Err(Error::config(
                name,
                "must be a whole number of seconds, 0 or more",
            ));
        }
        return Err(Error::config(
            name,
            text::cat(&["must be ", what, " (in ", of, ")"]),
        ));
    }
    Ok(Checked(Some(object)))
}

impl Checked<'_> {
    fn get(&self, name: &str) -> Option<&Json> {
        self.0?.get(name).filter(|v| !v.is_null())
    }

    fn string(&self, name: &str) -> Option<String> {
        self.get(name).and_then(Json::as_str).map(str::to_owned)
    }

    fn required(&self, name: &str) -> Result<String, Error> {
        self.string(name)
            .ok_or_else(|| Error::config(name, "is required"))
    }

    fn bool(&self, name: &str) -> Option<bool> {
        self.get(name).and_then(Json::as_bool)
    }

    fn whole(&self, name: &str) -> Option<i64> {
        self.get(name).and_then(Json::as_i64)
    }

    // `list` and `params` are loops, not iterator chains: smaller in the wasm.
    fn list(&self, name: &str) -> Vec<String> {
        let mut out = Vec::new();
        match self.get(name) {
            Some(Json::String(one)) => out.push(one.clone()),
            Some(Json::Array(many)) => {
                for item in many {
                    if let Some(item) = item.as_str() {
                        out.push(item.to_owned());
                    }
                }
            }
            _ => {}
        }
        out
    }

    fn params(&self, name: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some(Json::Object(object)) = self.get(name) {
            for (key, value) in object.iter() {
                if let Some(value) = value.as_str() {
                    out.push((key.to_owned(), value.to_owned()));
                }
            }
        }
        out
    }
}

/// Every item of the option `name` parsed with `FromStr`, or the first item's error.
#[inline(never)]
fn parse_all<T: FromStr<Err = Error>>(items: &[String], name: &str) -> Result<Vec<T>, Error> {
    let mut out = Vec::new();
    for item in items {
        out.push(parse_as(item, name)?);
    }
    Ok(out)
}

/// A value parsed with `FromStr`, its error reported for the option `name`.
#[inline(never)]
fn parse_as<T: FromStr<Err = Error>>(value: &str, name: &str) -> Result<T, Error> {
    let mut parsed = value.parse();
    if let Err(error) = &mut parsed {
        for_option(error, name);
    }
    parsed
}

/// `error` of a value, said of the option `name`, changed in place (not moved through). Not
/// generic: one copy for every type.
#[inline(never)]
fn for_option(error: &mut Error, name: &str) {
    if let Error::InvalidConfig { field, .. } = error {
        *field = name.to_owned();
    }
}

/// A whole number that `check` already bounded to `T`'s range.
fn narrow<T: TryFrom<i64> + Default>(n: i64) -> T {
    T::try_from(n).unwrap_or_default()
}

/// The JS `OidcClientConfig`.
pub fn parse_config(json: &Json) -> Result<ClientConfig, Error> {
    let o = check(json, "OidcClientConfig", CONFIG)?;
    let mut config = ClientConfig::new(
        o.required("issuer")?,
        o.required("clientId")?,
        o.required("redirectUri")?,
    );
    config.post_logout_redirect_uri = o.string("postLogoutRedirectUri");
    config.silent_redirect_uri = o.string("silentRedirectUri");
    if let Some(scope) = o.string("scope") {
        config.scope = scope;
    }
    if let Some(mode) = o.string("responseMode") {
        config.response_mode = parse_as(&mode, "responseMode")?;
    }
    config.require_id_token_on_refresh = o.bool("requireIdTokenOnRefresh").unwrap_or(false);
    config.check_userinfo_on_refresh = o.bool("checkUserinfoOnRefresh").unwrap_or(false);
    if let Some(storage) = o.string("storage") {
        config.storage = parse_as(&storage, "storage")?;
    }
    let algs = o.list("idTokenSigningAlgs");
    if !algs.is_empty() {
        config.id_token_signing_algs = parse_all(&algs, "idTokenSigningAlgs")?;
    }
    if let Some(skew) = o.whole("clockSkewSeconds") {
        config.clock_skew_seconds = skew;
    }
    if let Some(ms) = o.whole("silentTimeoutMs") {
        config.silent_timeout_ms = narrow(ms);
    }
    if let Some(ms) = o.whole("requestTimeoutMs") {
        config.request_timeout_ms = narrow(ms);
    }
    config.auto_refresh = o.bool("autoRefresh").unwrap_or(true);
    config.extra_authorize_params = o.params("extraAuthorizeParams");
    config.idle_timeout_seconds = o.whole("idleTimeoutSeconds").map(narrow);
    config.silent_id_token_hint = o.bool("idTokenHint").unwrap_or(true);
    if let Some(seconds) = o.whole("idleWarningSeconds") {
        config.idle_warning_seconds = narrow(seconds);
    }
    config.dpop = o.bool("dpop").unwrap_or(false);
    config.pushed_authorization_requests = match o.get("pushedAuthorizationRequests") {
        None => PushMode::Auto,
        Some(Json::String(auto)) if auto == "auto" => PushMode::Auto,
        Some(Json::Bool(true)) => PushMode::Always,
        Some(Json::Bool(false)) => PushMode::Never,
        Some(_) => {
            return Err(Error::config(
                "pushedAuthorizationRequests",
                "must be \"auto\", true or false",
            ))
        }
    };
    config.resource = o.list("resource");
    config.revoke_tokens_on_signout = o.bool("revokeTokensOnSignout");
    config.claims = o.get("claims").cloned();
    Ok(config)
}

/// The JS `AuthorizeOptions`.
pub fn parse_authorize_options(json: &Json) -> Result<AuthorizeOptions, Error> {
    let o = check(json, "AuthorizeOptions", AUTHORIZE)?;
    let id_token_hint = match o.get("idTokenHint") {
        Some(Json::String(token)) => Some(IdTokenHint::Token(RawIdToken::new(token.clone()))),
        Some(Json::Bool(true)) => Some(IdTokenHint::Current),
        Some(Json::Bool(false)) | None => None,
        Some(_) => {
            return Err(Error::config(
                "idTokenHint",
                "must be a string or a boolean (in AuthorizeOptions)",
            ))
        }
    };
    let response_mode = match o.string("responseMode") {
        Some(mode) => Some(parse_as(&mode, "responseMode")?),
        None => None,
    };
    // Everything that can fail before anything is built: no partial options to drop.
    let prompt = parse_all::<Prompt>(&o.list("prompt"), "prompt")?;
    Ok(AuthorizeOptions {
        login_hint: o.string("loginHint"),
        ui_locales: o.list("uiLocales"),
        prompt,
        max_age: o.whole("maxAge").map(narrow),
        omit_id_token_hint: matches!(o.get("idTokenHint"), Some(Json::Bool(false))),
        id_token_hint,
        acr_values: o.list("acrValues"),
        scope: o.string("scope"),
        response_mode,
        app_state: o.get("appState").cloned(),
        extra_params: o.params("extraParams"),
        resource: o.list("resource"),
        claims: o.get("claims").cloned(),
    })
}

/// The JS `LogoutOptions`.
pub fn parse_logout_options(json: &Json) -> Result<LogoutOptions, Error> {
    let o = check(json, "LogoutOptions", LOGOUT)?;
    let (id_token_hint, omit) = match o.get("idTokenHint") {
        Some(Json::String(token)) => (Some(RawIdToken::new(token.clone())), false),
        Some(Json::Bool(false)) => (None, true),
        Some(Json::Bool(true)) | None => (None, false),
        Some(_) => {
            return Err(Error::config(
                "idTokenHint",
                "must be a string or a boolean (in LogoutOptions)",
            ))
        }
    };
    Ok(LogoutOptions {
        post_logout_redirect_uri: o.string("postLogoutRedirectUri"),
        ui_locales: o.list("uiLocales"),
        logout_hint: o.string("logoutHint"),
        id_token_hint,
        omit_id_token_hint: omit,
        extra_params: o.params("extraParams"),
    })
}

// ----- outputs -----

fn area_name(area: Area) -> &'static str {
    match area {
        Area::Session => "session",
        Area::Local => "local",
        Area::Shared => "shared",
    }
}

/// The WebCrypto `importKey` and `verify` algorithm parameters of `alg`, as JSON objects.
fn webcrypto_params(alg: JwsAlg) -> (String, String) {
    let p = alg.webcrypto();
    let mut import = ObjectWriter::new();
    let mut verify = ObjectWriter::new();
    import.str("name", p.name);
    verify.str("name", p.name);
    if p.import_takes_hash() {
        import.str("hash", p.hash);
    }
    if let Some(curve) = p.curve {
        import.str("namedCurve", curve);
        verify.str("hash", p.hash);
    }
    if let Some(salt) = p.salt_length {
        verify.int("saltLength", i64::from(salt));
    }
    (import.end(), verify.end())
}

/// What the pump calls each command (`"do"`).
#[inline(never)]
fn command_name(command: &Command) -> &'static str {
    match command {
        Command::Fetch(_) => "fetch",
        Command::Verify(_) => "verify",
        Command::Digest { .. } => "digest",
        Command::Read { .. } => "read",
        Command::Write { .. } => "write",
        Command::Remove { .. } => "remove",
        Command::ListKeys { .. } => "keys",
        Command::TakeLock { .. } => "lock",
        Command::ReleaseLock { .. } => "release",
        Command::OpenChannel { .. } => "openChannel",
        Command::CloseChannel => "closeChannel",
        Command::Broadcast { .. } => "broadcast",
        Command::OpenPopup { .. } => "popup",
        Command::OpenFrame { .. } => "frame",
        Command::ListenHandover { .. } => "handover",
        Command::LookAtPopup { .. } => "look",
        Command::CloseWindow { .. } => "close",
        Command::Navigate { .. } => "navigate",
        Command::ReplaceUrl { .. } => "replaceUrl",
        Command::NavigateWindow { .. } => "show",
        #[cfg(feature = "dpop")]
        Command::LoadKey { .. } => "loadKey",
        #[cfg(feature = "dpop")]
        Command::GenerateKey { .. } => "generateKey",
        #[cfg(feature = "dpop")]
        Command::StoreKey { .. } => "storeKey",
        #[cfg(feature = "dpop")]
        Command::RemoveKey { .. } => "removeKey",
        #[cfg(feature = "dpop")]
        Command::Sign { .. } => "sign",
    }
}

/// A command as JSON text: `{"io":id,"do":"fetch"|"verify"|...,...}`. Commands that carry the
/// same members share one arm.
pub fn command_json(id: IoId, command: &Command) -> String {
    let mut o = ObjectWriter::new();
    o.int("io", i64::from(id)).str("do", command_name(command));
    let o = &mut o;
    match command {
        Command::Fetch(r) => {
            let mut headers = String::from("[");
            for (i, (name, value)) in r.headers.iter().enumerate() {
                if i > 0 {
                    headers.push(',');
                }
                headers.push('[');
                write_string(name, &mut headers);
                headers.push(',');
                write_string(value, &mut headers);
                headers.push(']');
            }
            headers.push(']');
            let method = match r.method {
                Method::Get => "GET",
                Method::Post => "POST",
            };
            o.str("method", method)
                .str("url", &r.url)
                .raw("headers", &headers)
                .opt_str("body", r.body.as_deref())
                .int("timeoutMs", i64::from(r.timeout_ms));
            if r.no_cache {
                // Fetch's request cache mode, as `fetch` takes it.
                o.str("cache", "no-cache");
            }
        }
        Command::Verify(check) => {
            let (import, verify) = webcrypto_params(check.alg);
            let mut jwk = ObjectWriter::new();
            for &member in &WEBCRYPTO_JWK_MEMBERS {
                if let Some(value) = check.jwk.json.get(member).and_then(Json::as_str) {
                    jwk.str(member, value);
                }
            }
            o.str("alg", check.alg.as_str())
                .raw("import", &import)
                .raw("verify", &verify)
                .raw("jwk", &jwk.end())
                .str("input", &check.signing_input)
                .str(
                    "signature",
                    &crate::core::base64url::encode(&check.signature),
                );
        }
        Command::Digest { hash, access_token } => {
            o.str("hash", hash.name())
                .str("data", access_token.expose());
        }
        Command::Read { area, key } | Command::Remove { area, key } => {
            o.str("area", area_name(*area)).str("key", key);
        }
        Command::Write { area, key, value } => {
            o.str("area", area_name(*area))
                .str("key", key)
                .str("value", value);
        }
        Command::ListKeys { area, prefix } => {
            o.str("area", area_name(*area)).str("prefix", prefix);
        }
        Command::TakeLock {
            name,
            wait_ms,
            lease_ms,
        } => {
            o.str("name", name)
                .int("waitMs", i64::from(*wait_ms))
                .int("leaseMs", i64::from(*lease_ms));
        }
        Command::ReleaseLock { name } | Command::OpenChannel { name } => {
            o.str("name", name);
        }
        #[cfg(feature = "dpop")]
        Command::LoadKey { name }
        | Command::GenerateKey { name }
        | Command::StoreKey { name }
        | Command::RemoveKey { name } => {
            o.str("name", name);
        }
        Command::CloseChannel => {}
        Command::Broadcast { message } => {
            o.json("message", message);
        }
        Command::OpenPopup {
            op,
            url,
            app_window,
        } => {
            o.int("op", i64::from(*op))
                .str("url", url)
                .bool("appWindow", *app_window);
        }
        Command::OpenFrame { op, url } | Command::NavigateWindow { op, url } => {
            o.int("op", i64::from(*op)).str("url", url);
        }
        Command::ListenHandover { op, channel } => {
            o.int("op", i64::from(*op)).str("channel", channel);
        }
        Command::LookAtPopup { op } | Command::CloseWindow { op } => {
            o.int("op", i64::from(*op));
        }
        Command::Navigate { url } | Command::ReplaceUrl { url } => {
            o.str("url", url);
        }
        #[cfg(feature = "dpop")]
        Command::Sign { name, input } => {
            o.str("name", name).str("input", input);
        }
    }
    o.end()
}

#[inline(never)]
fn output_json(output: &Queued) -> String {
    match output {
        Queued::Io(id, command) => command_json(*id, command),
        Queued::Cancel(id) => ObjectWriter::new().int("cancel", i64::from(*id)).end(),
        Queued::Event(event) => event_json(event),
        Queued::Done(op, result) => done_json(*op, result.as_deref().map_err(|e| &**e)),
        Queued::RefreshFailed(error) => event_text("refreshFailed", &error_json(error)),
    }
}

#[inline(never)]
fn event_json(event: &Event) -> String {
    let (name, detail) = match event {
        Event::SignedIn(s) => ("signedIn", session_view(&s.session, s.app_state.as_ref())),
        Event::Refreshed(s) => ("refreshed", session_view(s, None)),
        Event::RefreshFailed(e) => ("refreshFailed", error_json(e)),
        Event::Expiring(at) | Event::Expired(at) => (
            if matches!(event, Event::Expiring(_)) {
                "expiring"
            } else {
                "expired"
            },
            ObjectWriter::new().int("expiresAt", *at).end(),
        ),
        Event::SignedOut(reason) => ("signedOut", ObjectWriter::new().str("reason", reason).end()),
        Event::Idle(ms) => (
            "idle",
            ObjectWriter::new().int("signOutInMs", i64::from(*ms)).end(),
        ),
    };
    event_text(name, &detail)
}

/// The event `name` with its `detail` (JSON text).
fn event_text(name: &str, detail: &str) -> String {
    ObjectWriter::new()
        .str("event", name)
        .raw("detail", detail)
        .end()
}

fn done_json(op: u32, result: Result<&Outcome, &Error>) -> String {
    let mut o = ObjectWriter::new();
    o.int("done", i64::from(op));
    match result {
        Ok(outcome) => {
            let value = match outcome {
                Outcome::Nothing | Outcome::Headers(None) => String::from("null"),
                Outcome::Url(text) | Outcome::Proof(text) => Json::str(text.as_str()).to_text(),
                Outcome::SignedIn(s) => session_view(&s.session, s.app_state.as_ref()),
                Outcome::Session(s) => session_view(s, None),
                Outcome::AccessToken(t) => Json::str(t.expose()).to_text(),
                Outcome::SignedOut(state) => {
                    ObjectWriter::new().opt_str("state", state.as_deref()).end()
                }
                Outcome::Headers(Some(h)) => ObjectWriter::new()
                    .str("authorization", &h.authorization)
                    .opt_str("dpop", h.dpop.as_deref())
                    .end(),
            };
            o.raw("ok", &value)
        }
        Err(e) => o.raw("error", &error_json(e)),
    }
    .end()
}

/// An error as the JS `Error` of the contract is built from: `code`, `message`, and `reason`,
/// `description`, `uri`, `field` where they apply. Configuration errors name the option as
/// JavaScript spells it.
pub fn error_json(error: &Error) -> String {
    let mut o = ObjectWriter::new();
    o.str("code", error.code());
    let message = match error {
        Error::InvalidConfig { field, reason } => {
            // An unknown option is named as the app wrote it; the core's own names are Rust's.
            let field = if reason.starts_with(NOT_AN_OPTION) {
                field.clone()
            } else {
                camel_case(field)
            };
            o.str("field", &field);
            crate::core::text::cat(&["invalid option `", &field, "`: ", reason])
        }
        other => other.message(),
    };
    o.str("message", &message)
        .opt_str("reason", error.reason())
        .opt_str("description", error.description())
        .opt_str("uri", error.uri())
        .end()
}

/// `redirect_uri` -> `redirectUri`, `extra_params.state` -> `extraParams.state`: the core names
/// fields the Rust way, the JS API the JavaScript way. An extra parameter's own name (after the
/// dot) is kept as the OP spells it.
pub fn camel_case(field: &str) -> String {
    let (option, rest) = crate::core::text::split_once(field, b'.').unwrap_or((field, ""));
    let mut out = String::with_capacity(field.len());
    let mut upper = false;
    for c in option.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    if !rest.is_empty() {
        out.push('.');
        out.push_str(rest);
    }
    out
}

/// The session as JavaScript sees it (the `Session` interface), as JSON text: camelCase, absent
/// values left out, and never the refresh token, only `hasRefreshToken`.
pub fn session_view(session: &Session, app_state: Option<&Json>) -> String {
    let claims = session.claims.as_ref();
    let mut o = ObjectWriter::new();
    if let Some(claims) = claims {
        o.str("subject", &claims.sub)
            .raw("claims", &claims.json_text());
    }
    o.opt_str("idToken", session.id_token.as_ref().map(|t| t.expose()))
        .bool("idTokenFresh", session.id_token_fresh)
        .str("accessToken", session.access_token.expose())
        .str("tokenType", session.token_type.as_str());
    if let Some(at) = session.expires_at {
        o.int("expiresAt", at);
    }
    o.opt_str("scope", session.scope.as_deref())
        .bool("hasRefreshToken", session.has_refresh_token());
    if let Some(at) = claims.and_then(|c| c.auth_time) {
        o.int("authTime", at);
    }
    o.opt_str("acr", claims.and_then(|c| c.acr.as_deref()));
    if let Some(amr) = claims.and_then(|c| c.amr.as_ref()) {
        let out = o.key("amr");
        out.push('[');
        for (i, method) in amr.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_string(method, out);
        }
        out.push(']');
    }
    if let Some(app_state) = app_state {
        o.json("appState", app_state);
    }
    o.end()
}
