//! `OidcClient`, the class JavaScript apps call: a thin `#[wasm_bindgen]` facade over
//! [`Client`]. It converts options in, results and errors out, and nothing else.
//!
//! Options are read one field at a time so that a bad one is an `invalid_config` error that names
//! it (`prompt`, `extraParams.state`), and an unknown one is refused rather than ignored.

use super::client::{Client, WeakClient};
use super::keeper::ClientEvent;
use super::{js_to_json, json_to_js, set};
use crate::core::alg::JwsAlg;
use crate::core::config::{
    AuthorizeOptions, ClientConfig, IdTokenHint, LogoutOptions, StorageKind,
};
use crate::core::flow::code::SignedIn;
use crate::core::json::{Json, Object as JsonObject};
use crate::core::params::{Prompt, ResponseMode};
use crate::core::secret::RawIdToken;
use crate::core::session::Session;
use crate::Error;
use js_sys::{Object, Promise, Reflect};
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use wasm_bindgen::prelude::*;

/// Turns an [`Error`] into the JS `Error` of the contract: `code`, `reason`, `description`, `uri`.
pub fn to_js_error(error: &Error) -> JsValue {
    // Configuration errors name the option as JavaScript spells it.
    let message = match error {
        Error::InvalidConfig { field, reason } => {
            format!("invalid option `{}`: {reason}", camel_case(field))
        }
        other => other.to_string(),
    };
    let js = js_sys::Error::new(&message);
    js.set_name("OidcError");
    set(&js, "code", error.code());
    if let Some(reason) = error.reason() {
        set(&js, "reason", reason);
    }
    if let Some(description) = error.description() {
        set(&js, "description", description);
    }
    if let Some(uri) = error.uri() {
        set(&js, "uri", uri);
    }
    if let Error::InvalidConfig { field, .. } = error {
        set(&js, "field", camel_case(field));
    }
    js.into()
}

/// `redirect_uri` -> `redirectUri`, `extra_params.state` -> `extraParams.state`: the core names
/// fields the Rust way, the JS API the JavaScript way. An extra parameter's own name (after the
/// dot) is kept as the OP spells it.
fn camel_case(field: &str) -> String {
    let (option, rest) = match field.split_once('.') {
        Some((option, rest)) => (option, Some(rest)),
        None => (field, None),
    };
    let mut out = String::with_capacity(field.len());
    let mut upper = false;
    for c in option.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    if let Some(rest) = rest {
        out.push('.');
        out.push_str(rest);
    }
    out
}

/// The session as JavaScript sees it (the `Session` interface of the JS API): camelCase, absent
/// values left out, and never the refresh token, only `hasRefreshToken`.
fn session_view(session: &Session, app_state: Option<&Json>) -> Json {
    let mut o = JsonObject::new();
    let claims = session.claims.as_ref();
    let put_str = |o: &mut JsonObject, name: &str, value: Option<&str>| {
        if let Some(value) = value {
            o.insert(name, Json::str(value));
        }
    };
    put_str(&mut o, "subject", claims.map(|c| c.sub.as_str()));
    if let Some(claims) = claims {
        o.insert("claims", Json::Object(claims.to_json()));
    }
    put_str(
        &mut o,
        "idToken",
        session.id_token.as_ref().map(RawIdToken::expose),
    );
    o.insert("idTokenFresh", Json::Bool(session.id_token_fresh));
    o.insert("accessToken", Json::str(session.access_token.expose()));
    o.insert("tokenType", Json::str(session.token_type.as_str()));
    if let Some(at) = session.expires_at {
        o.insert("expiresAt", Json::int(at));
    }
    put_str(&mut o, "scope", session.scope.as_deref());
    o.insert("hasRefreshToken", Json::Bool(session.has_refresh_token()));
    if let Some(at) = claims.and_then(|c| c.auth_time) {
        o.insert("authTime", Json::int(at));
    }
    put_str(&mut o, "acr", claims.and_then(|c| c.acr.as_deref()));
    if let Some(amr) = claims.and_then(|c| c.amr.as_ref()) {
        o.insert(
            "amr",
            Json::Array(amr.iter().map(|m| Json::str(m.as_str())).collect()),
        );
    }
    if let Some(app_state) = app_state {
        o.insert("appState", app_state.clone());
    }
    Json::Object(o)
}

fn session_to_js(session: &Session, app_state: Option<&Json>) -> Result<JsValue, Error> {
    json_to_js(&session_view(session, app_state))
}

fn signed_in_to_js(signed_in: &SignedIn) -> Result<JsValue, Error> {
    session_to_js(&signed_in.session, signed_in.app_state.as_ref())
}

/// Runs `future` as a JS promise whose rejection is an `OidcError`. Generic only in this thin
/// wrapper: the future is boxed at once, so wasm-bindgen's promise glue is compiled one time,
/// not once per JS method.
fn promise<F>(future: F) -> Promise
where
    F: Future<Output = Result<JsValue, Error>> + 'static,
{
    boxed_promise(Box::pin(future))
}

fn boxed_promise(future: Pin<Box<dyn Future<Output = Result<JsValue, Error>>>>) -> Promise {
    wasm_bindgen_futures::future_to_promise(
        async move { future.await.map_err(|e| to_js_error(&e)) },
    )
}

/// Reads the fields of a JS options object, refusing unknown ones.
struct Fields {
    object: JsValue,
    prefix: &'static str,
}

impl Fields {
    fn new(value: JsValue, prefix: &'static str, known: &[&str]) -> Result<Self, Error> {
        if value.is_undefined() || value.is_null() {
            return Ok(Fields {
                object: Object::new().into(),
                prefix,
            });
        }
        let object: &Object = value
            .dyn_ref()
            .ok_or_else(|| Error::config(prefix, "must be an object"))?;
        for key in Object::keys(object).iter() {
            let key = key.as_string().unwrap_or_default();
            if !known.contains(&key.as_str()) {
                return Err(Error::config(key, format!("is not an option of {prefix}")));
            }
        }
        Ok(Fields {
            object: value,
            prefix,
        })
    }

    /// Field `name` as JSON; `None` when absent or undefined.
    fn get(&self, name: &str) -> Result<Option<Json>, Error> {
        let value =
            Reflect::get(&self.object, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED);
        if value.is_undefined() {
            return Ok(None);
        }
        js_to_json(&value)
            .map(Some)
            .map_err(|e| Error::config(name, format!("{e} (in {})", self.prefix)))
    }

    /// Field `name` as the JS value it is; `None` when absent, undefined or null.
    fn raw(&self, name: &str) -> Option<JsValue> {
        Reflect::get(&self.object, &JsValue::from_str(name))
            .ok()
            .filter(|v| !v.is_undefined() && !v.is_null())
    }

    fn wrong(&self, name: &str, what: &str) -> Error {
        Error::config(name, format!("must be {what} (in {})", self.prefix))
    }

    fn string(&self, name: &str) -> Result<Option<String>, Error> {
        match self.get(name)? {
            None => Ok(None),
            Some(Json::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.wrong(name, "a string")),
        }
    }

    fn required(&self, name: &str) -> Result<String, Error> {
        self.string(name)?
            .ok_or_else(|| Error::config(name, "is required"))
    }

    fn bool(&self, name: &str) -> Result<Option<bool>, Error> {
        match self.get(name)? {
            None => Ok(None),
            Some(Json::Bool(b)) => Ok(Some(b)),
            Some(_) => Err(self.wrong(name, "true or false")),
        }
    }

    /// A whole number written without fraction or exponent, within `T`.
    fn whole<T: TryFrom<i64>>(&self, name: &str) -> Result<Option<T>, Error> {
        match self.get(name)? {
            None => Ok(None),
            Some(Json::Number(text)) => text
                .parse::<i64>()
                .ok()
                .and_then(|n| T::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| self.wrong(name, "a whole number in range")),
            Some(_) => Err(self.wrong(name, "a number")),
        }
    }

    /// A string or an array of strings.
    fn list(&self, name: &str) -> Result<Vec<String>, Error> {
        match self.get(name)? {
            None => Ok(Vec::new()),
            Some(Json::String(one)) => Ok(vec![one]),
            Some(Json::Array(many)) => many
                .into_iter()
                .map(|v| match v {
                    Json::String(s) => Ok(s),
                    _ => Err(self.wrong(name, "a string or an array of strings")),
                })
                .collect(),
            Some(_) => Err(self.wrong(name, "a string or an array of strings")),
        }
    }

    /// A list of values parsed with `FromStr`.
    fn parsed_list<T: FromStr<Err = Error>>(&self, name: &str) -> Result<Vec<T>, Error> {
        self.list(name)?
            .iter()
            .map(|v| {
                v.parse()
                    .map_err(|e: Error| Error::config(name, e.to_string()))
            })
            .collect()
    }

    fn parsed<T: FromStr<Err = Error>>(&self, name: &str) -> Result<Option<T>, Error> {
        self.string(name)?
            .map(|v| {
                v.parse()
                    .map_err(|e: Error| Error::config(name, e.to_string()))
            })
            .transpose()
    }

    /// An object whose values are strings, as name/value pairs.
    fn params(&self, name: &str) -> Result<Vec<(String, String)>, Error> {
        match self.get(name)? {
            None => Ok(Vec::new()),
            Some(Json::Object(object)) => object
                .iter()
                .map(|(k, v)| match v {
                    Json::String(v) => Ok((k.to_owned(), v.clone())),
                    _ => Err(self.wrong(name, "an object of strings")),
                })
                .collect(),
            Some(_) => Err(self.wrong(name, "an object of strings")),
        }
    }
}

fn parse_config(value: JsValue) -> Result<ClientConfig, Error> {
    let f = Fields::new(
        value,
        "OidcClientConfig",
        &[
            "issuer",
            "clientId",
            "redirectUri",
            "postLogoutRedirectUri",
            "silentRedirectUri",
            "scope",
            "responseMode",
            "requireIdTokenOnRefresh",
            "checkUserinfoOnRefresh",
            "storage",
            "idTokenSigningAlgs",
            "clockSkewSeconds",
            "silentTimeoutMs",
            "requestTimeoutMs",
            "autoRefresh",
            "extraAuthorizeParams",
            "idleTimeoutSeconds",
            "idleWarningSeconds",
        ],
    )?;
    let mut config = ClientConfig::new(
        f.required("issuer")?,
        f.required("clientId")?,
        f.required("redirectUri")?,
    );
    config.post_logout_redirect_uri = f.string("postLogoutRedirectUri")?;
    config.silent_redirect_uri = f.string("silentRedirectUri")?;
    if let Some(scope) = f.string("scope")? {
        config.scope = scope;
    }
    if let Some(mode) = f.parsed::<ResponseMode>("responseMode")? {
        config.response_mode = mode;
    }
    config.require_id_token_on_refresh = f.bool("requireIdTokenOnRefresh")?.unwrap_or(false);
    config.check_userinfo_on_refresh = f.bool("checkUserinfoOnRefresh")?.unwrap_or(false);
    if let Some(storage) = f.parsed::<StorageKind>("storage")? {
        config.storage = storage;
    }
    let algs = f.parsed_list::<JwsAlg>("idTokenSigningAlgs")?;
    if !algs.is_empty() {
        config.id_token_signing_algs = algs;
    }
    if let Some(skew) = f.whole::<i64>("clockSkewSeconds")? {
        config.clock_skew_seconds = skew;
    }
    if let Some(timeout) = f.whole::<u32>("silentTimeoutMs")? {
        config.silent_timeout_ms = timeout;
    }
    if let Some(timeout) = f.whole::<u32>("requestTimeoutMs")? {
        config.request_timeout_ms = timeout;
    }
    config.auto_refresh = f.bool("autoRefresh")?.unwrap_or(true);
    config.extra_authorize_params = f.params("extraAuthorizeParams")?;
    config.idle_timeout_seconds = f.whole::<u32>("idleTimeoutSeconds")?;
    if let Some(warning) = f.whole::<u32>("idleWarningSeconds")? {
        config.idle_warning_seconds = warning;
    }
    Ok(config)
}

/// `PopupOptions.window`: a window the app opened. A window of another realm is no `instanceof
/// Window` here, so it is recognised by what every window is: its own `window` property.
fn parse_popup_window(value: JsValue) -> Result<Option<web_sys::Window>, Error> {
    let f = Fields::new(value, "PopupOptions", &["window"])?;
    let Some(window) = f.raw("window") else {
        return Ok(None);
    };
    let is_window = window.is_object()
        && js_sys::Reflect::get(&window, &JsValue::from_str("window")).is_ok_and(|w| w == window);
    if !is_window {
        return Err(f.wrong("window", "a window opened with window.open"));
    }
    Ok(Some(window.unchecked_into()))
}

fn parse_authorize_options(value: JsValue) -> Result<AuthorizeOptions, Error> {
    let f = Fields::new(
        value,
        "AuthorizeOptions",
        &[
            "loginHint",
            "uiLocales",
            "prompt",
            "maxAge",
            "idTokenHint",
            "acrValues",
            "scope",
            "responseMode",
            "appState",
            "extraParams",
        ],
    )?;
    let id_token_hint = match f.get("idTokenHint")? {
        Some(Json::String(token)) => Some(IdTokenHint::Token(RawIdToken::new(token))),
        Some(Json::Bool(true)) => Some(IdTokenHint::Current),
        Some(Json::Bool(false)) | None => None,
        Some(_) => return Err(f.wrong("idTokenHint", "a string or true")),
    };
    let max_age = f
        .whole::<u64>("maxAge")
        .map_err(|_| Error::config("maxAge", "must be a whole number of seconds, 0 or more"))?;
    Ok(AuthorizeOptions {
        login_hint: f.string("loginHint")?,
        ui_locales: f.list("uiLocales")?,
        prompt: f.parsed_list::<Prompt>("prompt")?,
        max_age,
        id_token_hint,
        acr_values: f.list("acrValues")?,
        scope: f.string("scope")?,
        response_mode: f.parsed("responseMode")?,
        app_state: f.get("appState")?,
        extra_params: f.params("extraParams")?,
    })
}

fn parse_logout_options(value: JsValue) -> Result<LogoutOptions, Error> {
    let f = Fields::new(
        value,
        "LogoutOptions",
        &[
            "postLogoutRedirectUri",
            "uiLocales",
            "logoutHint",
            "idTokenHint",
            "extraParams",
        ],
    )?;
    let (id_token_hint, omit) = match f.get("idTokenHint")? {
        Some(Json::String(token)) => (Some(RawIdToken::new(token)), false),
        Some(Json::Bool(false)) => (None, true),
        Some(Json::Bool(true)) | None => (None, false),
        Some(_) => return Err(f.wrong("idTokenHint", "a string or a boolean")),
    };
    Ok(LogoutOptions {
        post_logout_redirect_uri: f.string("postLogoutRedirectUri")?,
        ui_locales: f.list("uiLocales")?,
        logout_hint: f.string("logoutHint")?,
        id_token_hint,
        omit_id_token_hint: omit,
        extra_params: f.params("extraParams")?,
    })
}

fn optional_string(value: JsValue, name: &str) -> Result<Option<String>, Error> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    value
        .as_string()
        .map(Some)
        .ok_or_else(|| Error::config(name, "must be a string"))
}

/// The event name and JS detail of a client event.
fn event_to_js(event: &ClientEvent) -> (&'static str, JsValue) {
    let detail = |f: &dyn Fn(&Object)| {
        let o = Object::new();
        f(&o);
        JsValue::from(o)
    };
    match event {
        ClientEvent::SignedIn(s) => ("signedIn", signed_in_to_js(s).unwrap_or(JsValue::NULL)),
        ClientEvent::Refreshed(s) => ("refreshed", session_to_js(s, None).unwrap_or(JsValue::NULL)),
        ClientEvent::RefreshFailed(e) => ("refreshFailed", to_js_error(e)),
        // Seconds since the epoch fit a JS number exactly.
        #[allow(clippy::cast_precision_loss)]
        ClientEvent::Expiring(at) => ("expiring", detail(&|o| set(o, "expiresAt", *at as f64))),
        #[allow(clippy::cast_precision_loss)]
        ClientEvent::Expired(at) => ("expired", detail(&|o| set(o, "expiresAt", *at as f64))),
        ClientEvent::SignedOut(reason) => ("signedOut", detail(&|o| set(o, "reason", *reason))),
        ClientEvent::Idle(ms) => ("idle", detail(&|o| set(o, "signOutInMs", *ms))),
    }
}

const EVENTS: &[&str] = &[
    "signedIn",
    "refreshed",
    "refreshFailed",
    "expiring",
    "expired",
    "signedOut",
    "idle",
];

/// The OpenID Connect client of a page (`OidcClient` in JavaScript).
#[wasm_bindgen(js_name = OidcClient)]
pub struct JsOidcClient {
    client: Client,
}

#[wasm_bindgen(js_class = OidcClient)]
impl JsOidcClient {
    /// Creates a client: validates `config`, fetches discovery, restores a stored session.
    pub fn create(config: JsValue) -> Promise {
        promise(async move {
            let config = parse_config(config)?;
            let client = Client::create(config).await?;
            Ok(JsOidcClient { client }.into())
        })
    }

    /// The authorization URL of a redirect sign-in; the transaction is stored.
    #[wasm_bindgen(js_name = authorizeUrl)]
    pub fn authorize_url(&self, options: JsValue) -> Promise {
        let client = self.client.clone();
        promise(async move {
            let url = client
                .authorize_url(parse_authorize_options(options)?)
                .await?;
            Ok(url.into())
        })
    }

    /// Sends the browser to the OP.
    #[wasm_bindgen(js_name = signinRedirect)]
    pub fn signin_redirect(&self, options: JsValue) -> Promise {
        let client = self.client.clone();
        promise(async move {
            client
                .signin_redirect(parse_authorize_options(options)?)
                .await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Completes a redirect sign-in from `url` (default: the current address).
    #[wasm_bindgen(js_name = handleRedirectCallback)]
    pub fn handle_redirect_callback(&self, url: JsValue) -> Promise {
        let client = self.client.clone();
        promise(async move {
            let url = optional_string(url, "url")?;
            signed_in_to_js(&client.handle_redirect_callback(url).await?)
        })
    }

    /// Completes a form_post sign-in from the POSTed body (a string or URLSearchParams).
    #[wasm_bindgen(js_name = handleFormPost)]
    pub fn handle_form_post(&self, body: JsValue) -> Promise {
        let client = self.client.clone();
        promise(async move {
            // A string, or URLSearchParams (whose toString() is the encoded body).
            let body = match (body.as_string(), body.dyn_ref::<Object>()) {
                (Some(text), _) => text,
                (None, Some(object)) => String::from(object.to_string()),
                (None, None) => {
                    return Err(Error::config("body", "must be a string or URLSearchParams"))
                }
            };
            signed_in_to_js(&client.handle_form_post(&body).await?)
        })
    }

    /// Signs in through a popup, opened before this returns (in the caller's click task) unless
    /// `popup.window` is one the app opened.
    #[wasm_bindgen(js_name = signinPopup)]
    pub fn signin_popup(&self, options: JsValue, popup: JsValue) -> Promise {
        let started = parse_authorize_options(options)
            .and_then(|options| Ok((options, parse_popup_window(popup)?)))
            .map(|(options, window)| self.client.signin_popup(options, window));
        promise(async move { signed_in_to_js(&started?.await?) })
    }

    /// Renews the session without interaction: refresh token first, else a hidden iframe.
    #[wasm_bindgen(js_name = signinSilent)]
    pub fn signin_silent(&self, options: JsValue) -> Promise {
        let client = self.client.clone();
        promise(async move {
            signed_in_to_js(
                &client
                    .signin_silent(parse_authorize_options(options)?)
                    .await?,
            )
        })
    }

    /// Renews the session with the refresh token.
    pub fn refresh(&self) -> Promise {
        let client = self.client.clone();
        promise(async move { session_to_js(&client.refresh().await?, None) })
    }

    /// A valid access token, refreshed when near expiry.
    #[wasm_bindgen(js_name = getAccessToken)]
    pub fn get_access_token(&self) -> Promise {
        let client = self.client.clone();
        promise(async move { Ok(client.get_access_token().await?.expose().into()) })
    }

    /// The current session, or `null`.
    #[wasm_bindgen(getter)]
    pub fn session(&self) -> JsValue {
        self.client
            .session()
            .and_then(|s| session_to_js(&s, None).ok())
            .unwrap_or(JsValue::NULL)
    }

    /// The OP's end-session URL; its state is stored.
    #[wasm_bindgen(js_name = signoutUrl)]
    pub fn signout_url(&self, options: JsValue) -> Promise {
        let client = self.client.clone();
        promise(async move {
            Ok(client
                .signout_url(parse_logout_options(options)?)
                .await?
                .into())
        })
    }

    /// Clears the session and sends the browser to the OP's logout.
    #[wasm_bindgen(js_name = signoutRedirect)]
    pub fn signout_redirect(&self, options: JsValue) -> Promise {
        let client = self.client.clone();
        promise(async move {
            client
                .signout_redirect(parse_logout_options(options)?)
                .await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Checks the state returned after logout; resolves to `{ state }`.
    #[wasm_bindgen(js_name = handleSignoutCallback)]
    pub fn handle_signout_callback(&self, url: JsValue) -> Promise {
        let client = self.client.clone();
        promise(async move {
            let state = client
                .handle_signout_callback(optional_string(url, "url")?)
                .await?;
            let result = Object::new();
            if let Some(state) = state {
                set(&result, "state", state);
            }
            Ok(result.into())
        })
    }

    /// Calls `handler(detail)` on `event`; returns a function that unsubscribes.
    pub fn on(
        &self,
        event: String,
        handler: js_sys::Function,
    ) -> Result<js_sys::Function, JsValue> {
        self.client.check_alive().map_err(|e| to_js_error(&e))?;
        if !EVENTS.contains(&event.as_str()) {
            return Err(to_js_error(&Error::config(
                "event",
                format!("`{event}` is not one of {}", EVENTS.join(", ")),
            )));
        }
        let id = self.client.on(move |e| {
            let (name, detail) = event_to_js(e);
            if name == event {
                // A throwing handler must not break the client or the other handlers.
                let _ = handler.call1(&JsValue::UNDEFINED, &detail);
            }
        });
        // Holds the client weakly: an unsubscribe function kept by the app does not keep a
        // discarded client's timers and channel alive.
        let client: WeakClient = self.client.downgrade();
        let unsubscribe = Closure::once_into_js(move || {
            if let Some(client) = client.upgrade() {
                client.off(id);
            }
        });
        Ok(unsubscribe.unchecked_into())
    }

    /// Stops timers, listeners and the channel to the other tabs; later calls reject with
    /// `disposed`.
    pub fn dispose(&self) {
        self.client.dispose();
    }
}
