//! The browser client: every flow of DESIGN.md as async methods, for Rust front ends directly and
//! for JavaScript through [`super::js`].
//!
//! Each method asks the [`core`](crate::core) what to send and whether what came back is valid,
//! and does the I/O in between. Nothing here decides protocol questions.

use super::frame::{self, Delivery, Expect, HiddenFrame};
use super::lock::{self, TabChannel};
use super::storage::{self, SessionStorage, SessionStore};
use super::{http, js_text, now, subtle, window};
use crate::core::authorize::{AuthorizationRequest, Prompt, ResponseMode, Transaction};
use crate::core::id_token::{self, IdToken, IdTokenChecks};
use crate::core::jwks::KeySelection;
use crate::core::jws::JwsAlg;
use crate::core::logout::{self, LogoutRequest};
use crate::core::metadata::ProviderMetadata;
use crate::core::response::{self, ResponseParams};
use crate::core::session::{Session, SessionView};
use crate::core::{token, userinfo};
use crate::error::SignatureError;
use crate::Error;
use serde_json::Value;
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

/// The query parameter under which the page fetches the stored form_post body from the worker.
pub const FORM_POST_BODY_PARAM: &str = "oidc_form_post_body";

/// The client's configuration (`OidcClientConfig` in JS). Build it with [`ClientConfig::new`] and
/// the `mut self` setters.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The issuer identifier; discovery is fetched from it and must name it exactly.
    pub issuer: String,
    /// The client id registered at the OP.
    pub client_id: String,
    /// Where the OP sends the user back after a redirect sign-in.
    pub redirect_uri: String,
    /// Where the OP sends the user after logout.
    pub post_logout_redirect_uri: Option<String>,
    /// The page (the package's `silent-callback.html`) for silent and popup sign-ins answered by
    /// query, fragment or form_post.
    pub silent_redirect_uri: Option<String>,
    /// The scope; `openid` by default.
    pub scope: String,
    /// The response mode of redirect sign-ins.
    pub response_mode: ResponseMode,
    /// Treat a refresh response without an `id_token` as an error.
    pub require_id_token_on_refresh: bool,
    /// After each refresh, check the UserInfo `sub` against the session's.
    pub check_userinfo_on_refresh: bool,
    /// Where the session lives.
    pub storage: SessionStorage,
    /// The ID token algorithms accepted (OIDC Core §3.1.3.7 step 7).
    pub id_token_signing_algs: Vec<JwsAlg>,
    /// Allowed clock difference with the OP, in seconds.
    pub clock_skew_seconds: i64,
    /// How long a silent or popup sign-in may take, in milliseconds.
    pub silent_timeout_ms: i32,
    /// Refresh before the access token expires.
    pub auto_refresh: bool,
    /// Parameters added to every authorization request.
    pub extra_authorize_params: Vec<(String, String)>,
}

impl ClientConfig {
    /// A configuration with the defaults of DESIGN.md.
    pub fn new(
        issuer: impl Into<String>,
        client_id: impl Into<String>,
        redirect_uri: impl Into<String>,
    ) -> Self {
        ClientConfig {
            issuer: issuer.into(),
            client_id: client_id.into(),
            redirect_uri: redirect_uri.into(),
            post_logout_redirect_uri: None,
            silent_redirect_uri: None,
            scope: "openid".into(),
            response_mode: ResponseMode::Query,
            require_id_token_on_refresh: false,
            check_userinfo_on_refresh: false,
            storage: SessionStorage::Memory,
            id_token_signing_algs: vec![JwsAlg::RS256],
            clock_skew_seconds: 60,
            silent_timeout_ms: 10_000,
            auto_refresh: true,
            extra_authorize_params: Vec::new(),
        }
    }

    /// Sets where the session lives.
    pub fn storage(mut self, storage: SessionStorage) -> Self {
        self.storage = storage;
        self
    }

    /// Sets the scope.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = scope.into();
        self
    }

    /// Sets the silent redirect URI.
    pub fn silent_redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.silent_redirect_uri = Some(uri.into());
        self
    }

    /// Sets the post-logout redirect URI.
    pub fn post_logout_redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.post_logout_redirect_uri = Some(uri.into());
        self
    }

    /// Checks what can be checked before any request.
    fn validate(&self) -> Result<(), Error> {
        for (field, value) in [
            ("issuer", &self.issuer),
            ("redirectUri", &self.redirect_uri),
        ] {
            frame::origin_of(value).map_err(|_| Error::config(field, "must be an absolute URL"))?;
        }
        if self.client_id.is_empty() {
            return Err(Error::config("clientId", "must not be empty"));
        }
        if self.id_token_signing_algs.is_empty() {
            return Err(Error::config(
                "idTokenSigningAlgs",
                "must name at least one algorithm",
            ));
        }
        if self.silent_timeout_ms <= 0 {
            return Err(Error::config("silentTimeoutMs", "must be positive"));
        }
        if self.clock_skew_seconds < 0 {
            return Err(Error::config("clockSkewSeconds", "must not be negative"));
        }
        Ok(())
    }
}

/// Which ID token to send as `id_token_hint`.
#[derive(Debug, Clone)]
pub enum IdTokenHint {
    /// The current session's ID token.
    Current,
    /// This token.
    Token(String),
}

/// Options of one sign-in (`AuthorizeOptions` in JS).
#[derive(Debug, Clone, Default)]
pub struct AuthorizeOptions {
    /// `login_hint`.
    pub login_hint: Option<String>,
    /// `ui_locales`, in order of preference.
    pub ui_locales: Vec<String>,
    /// `prompt` values.
    pub prompt: Vec<Prompt>,
    /// `max_age` in seconds.
    pub max_age: Option<u64>,
    /// `id_token_hint`.
    pub id_token_hint: Option<IdTokenHint>,
    /// `acr_values`.
    pub acr_values: Vec<String>,
    /// A scope other than the configured one.
    pub scope: Option<String>,
    /// A response mode other than the configured one.
    pub response_mode: Option<ResponseMode>,
    /// Any JSON value, handed back on the session after the callback.
    pub app_state: Option<Value>,
    /// More parameters for this request.
    pub extra_params: Vec<(String, String)>,
}

impl AuthorizeOptions {
    /// Whether these options ask for something a refresh_token grant cannot do.
    fn needs_authorization_request(&self) -> bool {
        self.response_mode.is_some()
            || self.max_age.is_some()
            || !self.acr_values.is_empty()
            || self.scope.is_some()
            || self.login_hint.is_some()
            || self.id_token_hint.is_some()
            || !self.ui_locales.is_empty()
            || !self.extra_params.is_empty()
    }
}

/// Options of a logout (`LogoutOptions` in JS).
#[derive(Debug, Clone, Default)]
pub struct LogoutOptions {
    /// Overrides the configured post-logout redirect URI.
    pub post_logout_redirect_uri: Option<String>,
    /// `ui_locales`.
    pub ui_locales: Vec<String>,
    /// `logout_hint`.
    pub logout_hint: Option<String>,
    /// `Some(token)` sends that token; `None` sends the session's; set `omit_id_token_hint` to send none.
    pub id_token_hint: Option<String>,
    /// Send no `id_token_hint` at all.
    pub omit_id_token_hint: bool,
    /// More parameters.
    pub extra_params: Vec<(String, String)>,
}

/// A completed sign-in: the session and the `appState` of the request that started it.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The session, as JS sees it.
    pub session: SessionView,
    /// The request's `appState`.
    pub app_state: Option<Value>,
}

/// What a client tells its listeners.
#[derive(Debug, Clone)]
pub enum ClientEvent {
    /// A sign-in completed.
    SignedIn(SignedIn),
    /// The session was renewed (refresh token, silent sign-in, or another tab's refresh).
    Refreshed(SessionView),
    /// A refresh failed; the session is unchanged.
    RefreshFailed(Error),
    /// The access token expires soon (at `expires_at`).
    Expiring(i64),
    /// The access token has expired (at `expires_at`).
    Expired(i64),
    /// The session ended: `"logout"` here, `"other_tab"` when another tab signed out.
    SignedOut(&'static str),
}

type Listener = Rc<dyn Fn(&ClientEvent)>;

/// A pending `setTimeout`: its handle, and the closure it calls (kept alive until then).
type Timer = (i32, Closure<dyn FnMut()>);

/// A refresh under way, shared by every caller that asks while it runs.
struct Flight {
    promise: js_sys::Promise,
    resolve: js_sys::Function,
    result: RefCell<Option<Result<SessionView, Error>>>,
}

impl Flight {
    fn new() -> Rc<Self> {
        let mut resolve_fn = None;
        let promise = js_sys::Promise::new(&mut |resolve, _| resolve_fn = Some(resolve));
        Rc::new(Flight {
            promise,
            resolve: resolve_fn.unwrap_or_else(|| js_sys::Function::new_no_args("")),
            result: RefCell::new(None),
        })
    }

    async fn wait(&self) -> Result<SessionView, Error> {
        let _ = wasm_bindgen_futures::JsFuture::from(self.promise.clone()).await;
        self.result
            .borrow()
            .clone()
            .unwrap_or(Err(Error::NoSession("the refresh was abandoned")))
    }

    fn finish(&self, result: Result<SessionView, Error>) {
        *self.result.borrow_mut() = Some(result);
        let _ = self.resolve.call0(&JsValue::UNDEFINED);
    }
}

struct Inner {
    config: ClientConfig,
    metadata: Rc<ProviderMetadata>,
    store: SessionStore,
    session: RefCell<Option<Session>>,
    flight: RefCell<Option<Rc<Flight>>>,
    listeners: RefCell<Vec<(u32, Listener)>>,
    next_listener: Cell<u32>,
    timers: RefCell<Vec<Timer>>,
    channel: RefCell<Option<TabChannel>>,
}

/// The OpenID Connect client of one page. Cheap to clone (a shared handle).
#[derive(Clone)]
pub struct Client {
    inner: Rc<Inner>,
}

/// The value of query parameter `name` in `url`, if any.
fn query_param(url: &str, name: &str) -> Option<String> {
    let without_fragment = url.split_once('#').map_or(url, |(u, _)| u);
    let (_, query) = without_fragment.split_once('?')?;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

impl Client {
    /// Creates a client: checks the configuration, fetches discovery (cached per issuer), and
    /// restores a persisted session.
    pub async fn create(config: ClientConfig) -> Result<Client, Error> {
        config.validate()?;
        let metadata = http::discovery(&config.issuer).await?;
        let store = SessionStore::new(config.storage, &config.issuer, &config.client_id);
        let restored = store.load()?;
        let client = Client {
            inner: Rc::new(Inner {
                config,
                metadata,
                store,
                session: RefCell::new(restored),
                flight: RefCell::new(None),
                listeners: RefCell::new(Vec::new()),
                next_listener: Cell::new(0),
                timers: RefCell::new(Vec::new()),
                channel: RefCell::new(None),
            }),
        };
        client.open_channel();
        client.schedule_timers();
        Ok(client)
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// The OP's metadata.
    pub fn metadata(&self) -> &ProviderMetadata {
        &self.inner.metadata
    }

    /// The current session, as JS sees it.
    pub fn session(&self) -> Option<SessionView> {
        self.inner.session.borrow().as_ref().map(Session::view)
    }

    /// Registers `listener` for every event; returns an id for [`Client::off`].
    pub fn on(&self, listener: impl Fn(&ClientEvent) + 'static) -> u32 {
        let id = self.inner.next_listener.get().wrapping_add(1);
        self.inner.next_listener.set(id);
        self.inner
            .listeners
            .borrow_mut()
            .push((id, Rc::new(listener)));
        id
    }

    /// Removes a listener.
    pub fn off(&self, id: u32) {
        self.inner.listeners.borrow_mut().retain(|(i, _)| *i != id);
    }

    fn emit(&self, event: ClientEvent) {
        // Clone the list first: a listener may add or remove listeners.
        let listeners: Vec<Listener> = self
            .inner
            .listeners
            .borrow()
            .iter()
            .map(|(_, l)| l.clone())
            .collect();
        for listener in listeners {
            listener(&event);
        }
    }

    // ----- authorization requests -----

    fn authorization_request(
        &self,
        options: AuthorizeOptions,
        mode: ResponseMode,
        redirect_uri: &str,
    ) -> Result<(String, Transaction), Error> {
        let config = &self.inner.config;
        let mut request =
            AuthorizationRequest::new(config.client_id.clone(), redirect_uri.to_owned())
                .scope(options.scope.unwrap_or_else(|| config.scope.clone()))
                .response_mode(mode)
                .ui_locales(options.ui_locales)
                .prompt(options.prompt)
                .acr_values(options.acr_values);
        if let Some(hint) = options.login_hint {
            request = request.login_hint(hint);
        }
        if let Some(max_age) = options.max_age {
            request = request.max_age(max_age);
        }
        match options.id_token_hint {
            Some(IdTokenHint::Token(token)) => request = request.id_token_hint(token),
            Some(IdTokenHint::Current) => {
                let current = self
                    .inner
                    .session
                    .borrow()
                    .as_ref()
                    .and_then(|s| s.id_token.clone());
                let token = current.ok_or_else(|| {
                    Error::config("idTokenHint", "true needs a session with an ID token")
                })?;
                request = request.id_token_hint(token);
            }
            None => {}
        }
        for (name, value) in config
            .extra_authorize_params
            .iter()
            .cloned()
            .chain(options.extra_params)
        {
            request = request.extra_param(name, value);
        }
        if let Some(app_state) = options.app_state {
            request = request.app_state(app_state);
        }
        let now = now();
        let (url, tx) = request.build(&self.inner.metadata, now)?;
        storage::save_transaction(&tx, now)?;
        Ok((url, tx))
    }

    /// The authorization URL of a redirect sign-in; the transaction is stored for the callback.
    pub async fn authorize_url(&self, options: AuthorizeOptions) -> Result<String, Error> {
        let mode = options
            .response_mode
            .unwrap_or(self.inner.config.response_mode);
        if mode == ResponseMode::WebMessage {
            return Err(Error::config(
                "responseMode",
                "web_message needs signinPopup or signinSilent",
            ));
        }
        let redirect_uri = self.inner.config.redirect_uri.clone();
        Ok(self.authorization_request(options, mode, &redirect_uri)?.0)
    }

    /// Sends the browser to the OP.
    pub async fn signin_redirect(&self, options: AuthorizeOptions) -> Result<(), Error> {
        let url = self.authorize_url(options).await?;
        window()?
            .location()
            .assign(&url)
            .map_err(|e| Error::Network(js_text(&e)))
    }

    // ----- responses -----

    /// Completes a redirect sign-in from `url` (default: the current address): finds the response
    /// in the query, the fragment or behind the form_post service worker, validates it, exchanges
    /// the code, validates the ID token, stores the session and cleans the address bar.
    pub async fn handle_redirect_callback(&self, url: Option<String>) -> Result<SignedIn, Error> {
        let from_location = url.is_none();
        let url = match url {
            Some(url) => url,
            None => window()?
                .location()
                .href()
                .map_err(|e| Error::Storage(js_text(&e)))?,
        };
        let (params, delivered) = self.response_from_url(&url).await;
        if from_location {
            let clean =
                response::strip_response_params(&url, delivered == Some(ResponseMode::Fragment));
            if let Ok(history) = window()?.history() {
                let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&clean));
            }
        }
        let (params, delivered) = (params?, delivered.unwrap_or(ResponseMode::Query));
        let tx = self.take_transaction(&params)?;
        self.complete(params, tx, delivered, true).await
    }

    /// Completes a form_post sign-in from the POSTed body (for apps whose server receives it).
    pub async fn handle_form_post(&self, body: &str) -> Result<SignedIn, Error> {
        let params = ResponseParams::from_form_post(body)?;
        let tx = self.take_transaction(&params)?;
        self.complete(params, tx, ResponseMode::FormPost, true)
            .await
    }

    /// Reads the response parameters out of `url`, and says how they were delivered.
    async fn response_from_url(
        &self,
        url: &str,
    ) -> (Result<ResponseParams, Error>, Option<ResponseMode>) {
        if let Some(id) = query_param(url, response::FORM_POST_ID_PARAM) {
            return (
                self.form_post_body(url, &id).await,
                Some(ResponseMode::FormPost),
            );
        }
        match ResponseParams::locate_in_url(url) {
            Ok((params, mode)) => (Ok(params), Some(mode)),
            Err(e) => (Err(e), None),
        }
    }

    /// Picks up a form_post body the package's service worker kept for this page (one time).
    async fn form_post_body(&self, url: &str, id: &str) -> Result<ResponseParams, Error> {
        let base = url.split(['?', '#']).next().unwrap_or(url);
        let pickup: String = form_urlencoded::Serializer::new(format!("{base}?"))
            .append_pair(FORM_POST_BODY_PARAM, id)
            .finish();
        let response = http::get(&pickup, None).await?;
        if response.status != 200 {
            return Err(Error::Network(format!(
                "the form_post service worker holds no response {id} (HTTP {}): is form-post-sw.js registered?",
                response.status
            )));
        }
        ResponseParams::from_form_post(&response.body)
    }

    fn take_transaction(&self, params: &ResponseParams) -> Result<Transaction, Error> {
        let state = params.state().ok_or(Error::StateMismatch)?;
        storage::take_transaction(state, now())?.ok_or(Error::StateMismatch)
    }

    /// The rest of every code flow: the response checked against its transaction, the code
    /// exchanged (while the JWK Set is fetched), the ID token validated, the session stored.
    async fn complete(
        &self,
        params: ResponseParams,
        tx: Transaction,
        delivered: ResponseMode,
        emit_signed_in: bool,
    ) -> Result<SignedIn, Error> {
        response::check_delivery(&tx, delivered)?;
        let metadata = self.inner.metadata.clone();
        let config = &self.inner.config;
        let code = response::process_authorization_response(&params, &tx, &metadata)?;
        let body = token::code_exchange_body(
            &config.client_id,
            &code.code,
            &tx.redirect_uri,
            &tx.code_verifier,
            None,
        );
        let exchange = http::post_form(&metadata.token_endpoint, body);
        let warm_jwks = async {
            // Only warms the cache; a failure here is retried when the key is needed.
            let _ = http::jwks(&metadata.jwks_uri, false).await;
        };
        let (answer, ()) = super::join2(exchange, warm_jwks).await;
        let answer = answer?;
        let response = token::parse_token_response(answer.status, &answer.body)?;
        let now = now();
        let id_token = match &response.id_token {
            Some(raw) => Some(
                self.validate_id_token(
                    raw,
                    IdTokenChecks {
                        issuer: &metadata.issuer,
                        client_id: &config.client_id,
                        nonce: tx.nonce.as_deref(),
                        max_age: tx.max_age,
                        acr_values: &tx.acr_values,
                        access_token: Some(&response.access_token),
                        now,
                        clock_skew: config.clock_skew_seconds,
                    },
                )
                .await?,
            ),
            None => None,
        };
        let session = Session::from_code_exchange(response, id_token, &tx.scope, now)?;
        let had_session = self.inner.session.borrow().is_some();
        self.set_session(session, true).await?;
        let signed_in = SignedIn {
            session: self
                .session()
                .ok_or(Error::NoSession("the session vanished"))?,
            app_state: tx.app_state,
        };
        if emit_signed_in || !had_session {
            self.emit(ClientEvent::SignedIn(signed_in.clone()));
        } else {
            self.emit(ClientEvent::Refreshed(signed_in.session.clone()));
        }
        Ok(signed_in)
    }

    /// Signature and claims of an ID token (OIDC Core §3.1.3.7): the key chosen from the JWK Set
    /// (refetched once for an unknown `kid`), verified by WebCrypto, then the claims checked.
    async fn validate_id_token(
        &self,
        raw: &str,
        checks: IdTokenChecks<'_>,
    ) -> Result<IdToken, Error> {
        let token = IdToken::parse(raw)?;
        let alg = token.alg(&self.inner.config.id_token_signing_algs)?;
        let kid = token.jws.kid.as_deref();
        let jwks_uri = &self.inner.metadata.jwks_uri;
        let mut set = http::jwks(jwks_uri, false).await?;
        if let KeySelection::UnknownKid = set.select(alg, kid)? {
            set = http::jwks(jwks_uri, true).await?;
        }
        let candidates = set.select(alg, kid)?.into_candidates_or_no_key()?;
        let mut outcome = Err(Error::Signature(SignatureError::NoMatchingKey));
        for jwk in candidates {
            outcome = subtle::verify(&token.signature_check(alg, jwk)).await;
            if outcome.is_ok() {
                break;
            }
        }
        outcome?;
        token.validate_claims(&checks)?;
        Ok(token)
    }

    // ----- popup and silent sign-in -----

    /// Signs in through a popup: web_message when the OP offers it, else the silent-callback page.
    pub async fn signin_popup(&self, options: AuthorizeOptions) -> Result<SignedIn, Error> {
        self.signin_in_frame(options, true).await
    }

    /// Renews the session without user interaction: the refresh_token grant when a refresh token
    /// is held; otherwise, or when the OP refuses it with `invalid_grant`, a hidden iframe with
    /// `prompt=none`. Options that only an authorization request can honour (a response mode,
    /// `max_age`, `acr_values`, another scope, hints, extra parameters) go straight to the iframe.
    /// OP errors (`login_required`, ...) surface with their own codes and the current session
    /// stays.
    pub async fn signin_silent(&self, options: AuthorizeOptions) -> Result<SignedIn, Error> {
        let has_refresh_token = self
            .inner
            .session
            .borrow()
            .as_ref()
            .is_some_and(Session::has_refresh_token);
        if has_refresh_token && !options.needs_authorization_request() {
            match self.refresh().await {
                Ok(session) => {
                    return Ok(SignedIn {
                        session,
                        app_state: options.app_state,
                    })
                }
                Err(Error::Op(op)) if op.error == "invalid_grant" => {}
                Err(e) => return Err(e),
            }
        }
        let mut options = options;
        options.prompt = vec![Prompt::None];
        if options.id_token_hint.is_none()
            && self
                .inner
                .session
                .borrow()
                .as_ref()
                .is_some_and(|s| s.id_token.is_some())
        {
            options.id_token_hint = Some(IdTokenHint::Current);
        }
        self.signin_in_frame(options, false).await
    }

    async fn signin_in_frame(
        &self,
        options: AuthorizeOptions,
        popup: bool,
    ) -> Result<SignedIn, Error> {
        let config = &self.inner.config;
        let web_message = self
            .inner
            .metadata
            .supports_response_mode(ResponseMode::WebMessage);
        let mode = options.response_mode.unwrap_or(if web_message {
            ResponseMode::WebMessage
        } else {
            config.response_mode
        });
        let redirect_uri = match (mode, &config.silent_redirect_uri) {
            (_, Some(uri)) => uri.clone(),
            (ResponseMode::WebMessage, None) => config.redirect_uri.clone(),
            (_, None) => {
                return Err(Error::config(
                    "silentRedirectUri",
                    "needed for popup and silent sign-in without web_message: point it at silent-callback.html",
                ))
            }
        };
        let (url, tx) = self.authorization_request(options, mode, &redirect_uri)?;
        let expect = if mode == ResponseMode::WebMessage {
            Expect::WebMessage {
                op_origin: frame::origin_of(&self.inner.metadata.authorization_endpoint)?,
            }
        } else {
            Expect::CallbackPage {
                own_origin: frame::own_origin()?,
            }
        };
        // A person signs in in a popup, which may take minutes: it waits as long as the
        // transaction lives (or until closed). Only the hidden iframe has the silent timeout.
        let timeout = if popup {
            i32::try_from(storage::TRANSACTION_LIFETIME * 1000).unwrap_or(i32::MAX)
        } else {
            config.silent_timeout_ms
        };
        let delivery = if popup {
            let window = frame::open_popup(&url)?;
            let result =
                frame::wait_for_response(&window, expect, &tx.state, timeout, Some(&window)).await;
            let _ = window.close();
            result
        } else {
            let frame = HiddenFrame::open(&url)?;
            let source = frame
                .window()
                .ok_or_else(|| Error::Storage("the iframe has no window".into()))?;
            frame::wait_for_response(&source, expect, &tx.state, timeout, None).await
        };
        let delivery = match delivery {
            Ok(delivery) => delivery,
            Err(e) => {
                let _ = storage::take_transaction(&tx.state, now());
                return Err(e);
            }
        };
        let (params, delivered) = match delivery {
            Delivery::Params(params) => (params, ResponseMode::WebMessage),
            Delivery::CallbackUrl(url) => match self.response_from_url(&url).await {
                (Ok(params), delivered) => (params, delivered.unwrap_or(ResponseMode::Query)),
                (Err(e), _) => {
                    let _ = storage::take_transaction(&tx.state, now());
                    return Err(e);
                }
            },
        };
        let tx = self.take_transaction(&params)?;
        self.complete(params, tx, delivered, popup).await
    }

    // ----- refresh -----

    /// Renews the session with the refresh_token grant (RFC 6749 §6). Concurrent calls share one
    /// request; with `localStorage` the request runs under a Web Lock and a tab that waited takes
    /// the session another tab already got. A failure leaves the session as it was.
    pub async fn refresh(&self) -> Result<SessionView, Error> {
        let running = self.inner.flight.borrow().clone();
        let flight = match running {
            Some(flight) => flight,
            None => {
                let flight = Flight::new();
                *self.inner.flight.borrow_mut() = Some(flight.clone());
                // The refresh runs as its own task: a caller that stops waiting (a dropped
                // future) neither abandons a request whose answer rotated the refresh token nor
                // leaves the flight open for every later caller.
                let client = self.clone();
                let task_flight = flight.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let result = client.refresh_coordinated().await;
                    *client.inner.flight.borrow_mut() = None;
                    match &result {
                        Ok(session) => client.emit(ClientEvent::Refreshed(session.clone())),
                        Err(e) => client.emit(ClientEvent::RefreshFailed(e.clone())),
                    }
                    task_flight.finish(result);
                });
                flight
            }
        };
        flight.wait().await
    }

    /// One refresh: under the cross-tab Web Lock when the session is shared through
    /// `localStorage`, directly otherwise.
    async fn refresh_coordinated(&self) -> Result<SessionView, Error> {
        if self.inner.store.kind() != SessionStorage::Local {
            return self.refresh_now().await;
        }
        let client = self.clone();
        let held = self
            .inner
            .session
            .borrow()
            .as_ref()
            .map(|s| (s.access_token.clone(), s.updated_at));
        let lock_name = format!("{}:refresh", self.inner.store.key());
        lock::with_lock(&lock_name, move || async move {
            client.refresh_shared(held).await
        })
        .await
    }

    /// Under the lock: if the stored session is not the one this tab held when it asked, another
    /// tab refreshed (or signed out) meanwhile; take its result instead of replaying a refresh
    /// token the OP has rotated.
    async fn refresh_shared(&self, held: Option<(String, i64)>) -> Result<SessionView, Error> {
        let stored = self.inner.store.load_latest().await?;
        match stored {
            None => {
                self.drop_session("other_tab");
                Err(Error::NoSession("signed out in another tab"))
            }
            Some(stored) if Some((stored.access_token.clone(), stored.updated_at)) != held => {
                *self.inner.session.borrow_mut() = Some(stored);
                self.schedule_timers();
                self.session()
                    .ok_or(Error::NoSession("the session vanished"))
            }
            Some(stored) => {
                *self.inner.session.borrow_mut() = Some(stored);
                self.refresh_now().await
            }
        }
    }

    async fn refresh_now(&self) -> Result<SessionView, Error> {
        let current = self
            .inner
            .session
            .borrow()
            .clone()
            .ok_or(Error::NoSession("no session to refresh"))?;
        let refresh_token = current
            .refresh_token
            .clone()
            .ok_or(Error::NoSession("the session has no refresh token"))?;
        let config = &self.inner.config;
        let metadata = self.inner.metadata.clone();
        let body = token::refresh_body(&config.client_id, &refresh_token, None, None);
        let answer = http::post_form(&metadata.token_endpoint, body).await?;
        let response = token::parse_token_response(answer.status, &answer.body)?;
        let rotated = response.refresh_token.clone();
        match self.refreshed_session(&current, response).await {
            Ok(renewed) => self.set_session(renewed, true).await?,
            Err(e) => {
                if let Some(kept) = current.after_refused_refresh(rotated) {
                    // Not announced: for the app and the other tabs nothing changed (they read
                    // the stored session under the lock before they refresh).
                    let _ = self.set_session(kept, false).await;
                }
                return Err(e);
            }
        }
        self.session()
            .ok_or(Error::NoSession("the session vanished"))
    }

    /// The session after the refresh `response`: its ID token validated (OIDC Core §3.1.3.7 and
    /// §12.2), the core's refresh rules applied, and the UserInfo `sub` checked if configured.
    async fn refreshed_session(
        &self,
        current: &Session,
        response: token::TokenResponse,
    ) -> Result<Session, Error> {
        let config = &self.inner.config;
        let metadata = self.inner.metadata.clone();
        let now = now();
        let id_token = match &response.id_token {
            Some(raw) => {
                let checks = IdTokenChecks {
                    issuer: &metadata.issuer,
                    client_id: &config.client_id,
                    nonce: None,
                    max_age: None,
                    acr_values: &[],
                    access_token: Some(&response.access_token),
                    now,
                    clock_skew: config.clock_skew_seconds,
                };
                let token = self.validate_id_token(raw, checks).await?;
                if let Some(original) = &current.claims {
                    id_token::validate_refreshed(&token.claims, original)?;
                }
                Some(token)
            }
            None => None,
        };
        let renewed =
            current.apply_refresh(response, id_token, config.require_id_token_on_refresh, now)?;
        if config.check_userinfo_on_refresh {
            if let (Some(endpoint), Some(subject)) =
                (&metadata.userinfo_endpoint, renewed.subject())
            {
                let answer = http::get(endpoint, Some(&renewed.access_token)).await?;
                if answer.status != 200 {
                    return Err(Error::Network(format!(
                        "userinfo answered HTTP {}",
                        answer.status
                    )));
                }
                userinfo::parse_userinfo(&answer.body, subject)?;
            }
        }
        Ok(renewed)
    }

    /// A valid access token: the current one, or a refreshed one when it is within the leeway of
    /// expiry. If the refresh fails while the current token is still valid, the current one is
    /// returned (a failed refresh loses nothing).
    pub async fn get_access_token(&self) -> Result<String, Error> {
        let now = now();
        let (token, needs_refresh, expired, can_refresh) = {
            let session = self.inner.session.borrow();
            let session = session.as_ref().ok_or(Error::NoSession("not signed in"))?;
            (
                session.access_token.clone(),
                session.needs_refresh(now, session.refresh_leeway()),
                session.is_expired(now),
                session.has_refresh_token(),
            )
        };
        if !needs_refresh {
            return Ok(token);
        }
        if can_refresh {
            match self.refresh().await {
                Ok(session) => return Ok(session.access_token),
                Err(e) if expired => return Err(e),
                Err(_) => return Ok(token),
            }
        }
        if expired {
            Err(Error::NoSession(
                "the access token expired and there is no refresh token",
            ))
        } else {
            Ok(token)
        }
    }

    // ----- logout -----

    /// The end-session URL (RP-Initiated Logout 1.0 §2); its state is stored for the return.
    pub async fn signout_url(&self, options: LogoutOptions) -> Result<String, Error> {
        let config = &self.inner.config;
        let mut request =
            LogoutRequest::new(config.client_id.clone()).ui_locales(options.ui_locales);
        let hint = match (options.omit_id_token_hint, options.id_token_hint) {
            (true, _) => None,
            (false, Some(token)) => Some(token),
            // Sent even when expired: the OP only needs to know who and which session.
            (false, None) => self
                .inner
                .session
                .borrow()
                .as_ref()
                .and_then(|s| s.id_token.clone()),
        };
        if let Some(hint) = hint {
            request = request.id_token_hint(hint);
        }
        if let Some(uri) = options
            .post_logout_redirect_uri
            .or_else(|| config.post_logout_redirect_uri.clone())
        {
            request = request.post_logout_redirect_uri(uri);
        }
        if let Some(hint) = options.logout_hint {
            request = request.logout_hint(hint);
        }
        for (name, value) in options.extra_params {
            request = request.extra_param(name, value);
        }
        let (url, tx) = request.build(&self.inner.metadata, now())?;
        storage::save_logout(self.inner.store.key(), &tx)?;
        Ok(url)
    }

    /// Clears the local session (all tabs are told), then sends the browser to the OP's logout.
    pub async fn signout_redirect(&self, options: LogoutOptions) -> Result<(), Error> {
        let url = self.signout_url(options).await?;
        // Committed before the page unloads, which would abort a pending IndexedDB write.
        let _ = self.inner.store.clear_shared().await;
        self.sign_out_locally();
        window()?
            .location()
            .assign(&url)
            .map_err(|e| Error::Network(js_text(&e)))
    }

    /// Forgets the session here and in the other tabs, without contacting the OP.
    pub fn sign_out_locally(&self) {
        let _ = self.inner.store.clear();
        let store = self.inner.store.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let _ = store.clear_shared().await;
        });
        self.drop_session("logout");
        self.broadcast("signedOut");
    }

    /// Checks the state the OP returned after logout (`url` defaults to the current address).
    pub async fn handle_signout_callback(
        &self,
        url: Option<String>,
    ) -> Result<Option<String>, Error> {
        let url = match url {
            Some(url) => url,
            None => window()?
                .location()
                .href()
                .map_err(|e| Error::Storage(js_text(&e)))?,
        };
        let tx = storage::take_logout(self.inner.store.key())?;
        logout::process_logout_callback(&url, tx.as_ref())
    }

    // ----- session keeping -----

    /// Stores `session` (committed where other tabs read it before they are told), then makes it
    /// the current one.
    async fn set_session(&self, session: Session, tell_tabs: bool) -> Result<(), Error> {
        self.inner.store.save(&session)?;
        self.inner.store.save_shared(&session).await?;
        *self.inner.session.borrow_mut() = Some(session);
        self.schedule_timers();
        if tell_tabs {
            self.broadcast("session");
        }
        Ok(())
    }

    fn drop_session(&self, reason: &'static str) {
        let had = self.inner.session.borrow_mut().take().is_some();
        self.clear_timers();
        if had {
            self.emit(ClientEvent::SignedOut(reason));
        }
    }

    fn broadcast(&self, kind: &str) {
        if let Some(channel) = self.inner.channel.borrow().as_ref() {
            let message = js_sys::Object::new();
            super::set(&message, "type", kind);
            channel.post(&message);
        }
    }

    fn open_channel(&self) {
        let weak: Weak<Inner> = Rc::downgrade(&self.inner);
        let channel = TabChannel::open(self.inner.store.key(), move |data| {
            let Some(inner) = weak.upgrade() else { return };
            let client = Client { inner };
            let kind = js_sys::Reflect::get(&data, &JsValue::from_str("type"))
                .ok()
                .and_then(|v| v.as_string());
            match kind.as_deref() {
                Some("signedOut") => {
                    let _ = client.inner.store.clear();
                    client.drop_session("other_tab");
                }
                Some("session") if client.inner.store.kind() == SessionStorage::Local => {
                    wasm_bindgen_futures::spawn_local(async move {
                        client.take_other_tab_session().await
                    });
                }
                _ => {}
            }
        });
        *self.inner.channel.borrow_mut() = channel;
    }

    /// Another tab stored a new session: take it (from IndexedDB, which has it for sure, unlike
    /// this tab's view of `localStorage`). Skipped if this tab's session changed while reading,
    /// since what was read may then be older than what this tab now holds.
    async fn take_other_tab_session(&self) {
        let before = self.inner.session.borrow().clone();
        let Ok(Some(stored)) = self.inner.store.load_latest().await else {
            return;
        };
        if *self.inner.session.borrow() != before || before.as_ref() == Some(&stored) {
            return;
        }
        let had = self.inner.session.replace(Some(stored)).is_some();
        self.schedule_timers();
        let own_refresh_running = self.inner.flight.borrow().is_some();
        if let (Some(view), false) = (self.session(), own_refresh_running) {
            self.emit(if had {
                ClientEvent::Refreshed(view)
            } else {
                ClientEvent::SignedIn(SignedIn {
                    session: view,
                    app_state: None,
                })
            });
        }
    }

    fn clear_timers(&self) {
        let timers = std::mem::take(&mut *self.inner.timers.borrow_mut());
        if let Ok(window) = window() {
            for (handle, _closure) in timers {
                window.clear_timeout_with_handle(handle);
            }
        }
    }

    /// `expiring` (and, with autoRefresh, a refresh) at the leeway before expiry; `expired` at
    /// expiry.
    fn schedule_timers(&self) {
        self.clear_timers();
        let Some((expires_at, leeway)) = self
            .inner
            .session
            .borrow()
            .as_ref()
            .and_then(|s| s.expires_at.map(|exp| (exp, s.refresh_leeway())))
        else {
            return;
        };
        let Ok(window) = window() else { return };
        let now = now();
        let delay_ms =
            |at: i64| ((at - now).max(0).saturating_mul(1000)).min(i64::from(i32::MAX)) as i32;
        let weak = Rc::downgrade(&self.inner);
        let on_expiring = Closure::<dyn FnMut()>::new({
            let weak = weak.clone();
            move || {
                let Some(inner) = weak.upgrade() else { return };
                let client = Client { inner };
                client.emit(ClientEvent::Expiring(expires_at));
                let can_refresh = client
                    .inner
                    .session
                    .borrow()
                    .as_ref()
                    .is_some_and(Session::has_refresh_token);
                if client.inner.config.auto_refresh && can_refresh {
                    // Errors reach listeners as refreshFailed.
                    wasm_bindgen_futures::spawn_local(async move {
                        let _ = client.refresh().await;
                    });
                }
            }
        });
        let on_expired = Closure::<dyn FnMut()>::new(move || {
            let Some(inner) = weak.upgrade() else { return };
            let client = Client { inner };
            let still = client
                .inner
                .session
                .borrow()
                .as_ref()
                .is_some_and(|s| s.is_expired(super::now()));
            if still {
                client.emit(ClientEvent::Expired(expires_at));
            }
        });
        let mut timers = self.inner.timers.borrow_mut();
        for (at, closure) in [(expires_at - leeway, on_expiring), (expires_at, on_expired)] {
            if let Ok(handle) = window.set_timeout_with_callback_and_timeout_and_arguments_0(
                closure.as_ref().unchecked_ref(),
                delay_ms(at),
            ) {
                timers.push((handle, closure));
            }
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Ok(window) = window() {
            for (handle, _) in self.timers.borrow().iter() {
                window.clear_timeout_with_handle(*handle);
            }
        }
    }
}
