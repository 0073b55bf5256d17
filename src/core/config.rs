//! What the app configures and what each call asks for, as plain data: the client's
//! configuration, the options of one sign-in and of one logout, and the rules that turn them into
//! an authorization request (OIDC Core §3.1.2.1) or a logout request (RP-Initiated Logout 1.0 §2).
//!
//! Field names in errors are the Rust names (`redirect_uri`, `extra_params.state`); the
//! JavaScript facade spells them the JavaScript way.

use crate::core::alg::JwsAlg;
use crate::core::authorize::{set_param, AuthorizationRequest};
use crate::core::json::Json;
use crate::core::logout::LogoutRequest;
use crate::core::metadata::url_problem;
use crate::core::params::{Prompt, ResponseMode};
use crate::core::secret::RawIdToken;
use crate::core::session::Session;
use crate::error::Error;

/// Kept here too, beside the other settings; defined with the [`Transaction`] it times.
///
/// [`Transaction`]: crate::core::authorize::Transaction
pub use crate::core::authorize::TRANSACTION_LIFETIME;

/// Where the session is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StorageKind {
    /// The wasm heap only: the refresh token never leaves the module, and a reload forgets it.
    #[default]
    Memory,
    /// `sessionStorage`: one tab, survives reloads.
    Session,
    /// `localStorage` (and a copy in IndexedDB): shared by the tabs of the origin.
    Local,
}

impl StorageKind {
    /// Whether the other tabs of the origin share this session (`local` only). A shared session
    /// is refreshed under the cross-tab lock, re-read when the page wakes, and replaced when
    /// another tab announces a new one.
    pub fn is_shared(self) -> bool {
        self == StorageKind::Local
    }
}

impl std::str::FromStr for StorageKind {
    type Err = Error;

    /// `memory`, `session` or `local`; anything else is [`Error::InvalidConfig`] for `storage`.
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "memory" => Ok(StorageKind::Memory),
            "session" => Ok(StorageKind::Session),
            "local" => Ok(StorageKind::Local),
            other => Err(Error::config_value(
                "storage",
                other,
                "` is not one of memory, session, local",
            )),
        }
    }
}

/// Whether authorization requests are pushed (RFC 9126, `pushedAuthorizationRequests`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PushMode {
    /// Pushed when the OP has a `pushed_authorization_request_endpoint` (`"auto"`, the default).
    #[default]
    Auto,
    /// Always pushed; an OP without the endpoint is [`Error::InvalidConfig`] at `create`.
    Always,
    /// Never pushed (an OP that requires it then refuses the sign-in).
    Never,
}

/// The longest `request_timeout_ms` (an hour): every request's deadline is a browser timer.
pub const MAX_REQUEST_TIMEOUT_MS: u32 = 3_600_000;

/// The largest `clock_skew_seconds` (an hour). A device clock further off than that is reported
/// as `clock_skew` rather than tolerated; a larger value is most likely milliseconds given for
/// seconds, which would accept ID tokens that expired days ago (OIDC Core §3.1.3.7 step 9).
pub const MAX_CLOCK_SKEW_SECONDS: i64 = 3_600;

/// The client's configuration (`OidcClientConfig` in JS). Build it with [`ClientConfig::new`] and
/// the `mut self` setters; [`ClientConfig::validate`] checks it.
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
    pub storage: StorageKind,
    /// The ID token algorithms accepted (OIDC Core §3.1.3.7 step 7).
    pub id_token_signing_algs: Vec<JwsAlg>,
    /// Allowed clock difference with the OP, in seconds: 0 to [`MAX_CLOCK_SKEW_SECONDS`].
    pub clock_skew_seconds: i64,
    /// How long a silent sign-in in a hidden iframe may take, in milliseconds.
    pub silent_timeout_ms: u32,
    /// The deadline of every HTTP request, in milliseconds.
    pub request_timeout_ms: u32,
    /// Refresh before the access token expires.
    pub auto_refresh: bool,
    /// Parameters added to every authorization request.
    pub extra_authorize_params: Vec<(String, String)>,
    /// Sign out every tab after this long without user activity in any of them; off when `None`.
    pub idle_timeout_seconds: Option<u32>,
    /// The `idle` warning comes this long before the idle sign-out; less than
    /// `idle_timeout_seconds`.
    pub idle_warning_seconds: u32,
    /// A silent sign-in by `prompt=none` sends the session's ID token as `id_token_hint` (JS
    /// `idTokenHint`, default on). OIDC Core §3.1.2.1: the hint SHOULD be present with
    /// `prompt=none`, and an OP may answer `invalid_request` without one.
    pub silent_id_token_hint: bool,
    /// Sender-constrained tokens (RFC 9449): a non-extractable key, a proof on every token
    /// request, `dpop_jkt` on every authorization request.
    pub dpop: bool,
    /// Pushed authorization requests (RFC 9126).
    pub pushed_authorization_requests: PushMode,
    /// Resource indicators (RFC 8707) for every authorization, token and refresh request.
    pub resource: Vec<String>,
    /// Revoke the refresh and access tokens before the end-session redirect (RFC 7009); `None`:
    /// when the OP has a `revocation_endpoint`.
    pub revoke_tokens_on_signout: Option<bool>,
    /// The `claims` request parameter (OIDC Core §5.5): a JSON object.
    pub claims: Option<Json>,
}

impl ClientConfig {
    /// A configuration with the documented defaults.
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
            storage: StorageKind::Memory,
            id_token_signing_algs: vec![JwsAlg::RS256],
            clock_skew_seconds: 60,
            silent_timeout_ms: 10_000,
            request_timeout_ms: 10_000,
            auto_refresh: true,
            extra_authorize_params: Vec::new(),
            idle_timeout_seconds: None,
            idle_warning_seconds: 60,
            silent_id_token_hint: true,
            dpop: false,
            pushed_authorization_requests: PushMode::Auto,
            resource: Vec::new(),
            revoke_tokens_on_signout: None,
            claims: None,
        }
    }

    /// Sets where the session lives.
    pub fn storage(mut self, storage: StorageKind) -> Self {
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

    /// Sets the deadline of every request, in milliseconds.
    pub fn request_timeout_ms(mut self, ms: u32) -> Self {
        self.request_timeout_ms = ms;
        self
    }

    /// Checks what can be checked before any request: absolute `http(s)` URLs, a client id, at
    /// least one algorithm, positive timeouts, a skew that is not negative, extra authorization
    /// parameters that are not standard ones (field `extra_authorize_params.<name>`); without
    /// feature `dpop`, that `dpop` is off.
    pub fn validate(&self) -> Result<(), Error> {
        let urls = [
            ("issuer", Some(&self.issuer)),
            ("redirect_uri", Some(&self.redirect_uri)),
            (
                "post_logout_redirect_uri",
                self.post_logout_redirect_uri.as_ref(),
            ),
            ("silent_redirect_uri", self.silent_redirect_uri.as_ref()),
        ];
        for &(field, value) in &urls {
            if let Some(why) = value.and_then(|url| url_problem(url)) {
                return Err(Error::config(field, why));
            }
        }
        if self.client_id.is_empty() {
            return Err(Error::config("client_id", "must not be empty"));
        }
        if self.id_token_signing_algs.is_empty() {
            return Err(Error::config(
                "id_token_signing_algs",
                "must name at least one algorithm",
            ));
        }
        if self.silent_timeout_ms == 0 {
            return Err(Error::config("silent_timeout_ms", "must be positive"));
        }
        // At most an hour: a browser timer holds at most 2^31 - 1 ms (a longer one fires at
        // once), and the cross-tab lock's lease is five deadlines.
        if self.request_timeout_ms == 0 || self.request_timeout_ms > MAX_REQUEST_TIMEOUT_MS {
            return Err(Error::config(
                "request_timeout_ms",
                "must be positive and at most 3600000 (an hour)",
            ));
        }
        // A warning as long as the timeout would be due the moment the user stops, again after
        // every input: a burst of `idle` events on every scroll.
        if self
            .idle_timeout_seconds
            .is_some_and(|t| t > 0 && self.idle_warning_seconds >= t)
        {
            return Err(Error::config(
                "idle_warning_seconds",
                "must be less than idleTimeoutSeconds (it defaults to 60)",
            ));
        }
        if !(0..=MAX_CLOCK_SKEW_SECONDS).contains(&self.clock_skew_seconds) {
            return Err(Error::config(
                "clock_skew_seconds",
                "must be from 0 to 3600 (an hour)",
            ));
        }
        // A build without DPoP (the npm package's base wasm) refuses it rather than ignoring it:
        // tokens the app asked to be sender-constrained must not be bearer tokens silently.
        #[cfg(not(feature = "dpop"))]
        if self.dpop {
            return Err(Error::config(
                "dpop",
                "this build has no DPoP: use the package's oidc_rp_wasm_dpop_bg.wasm",
            ));
        }
        // Checked here too, not only when a request is built: a configuration that can never
        // sign in is refused by `create`, naming the option the app set.
        crate::core::authorize::check_extra_params(
            &self.extra_authorize_params,
            crate::core::authorize::STANDARD_PARAMS,
            "extra_authorize_params",
        )?;
        check_resource(&self.resource)?;
        check_claims(self.claims.as_ref())
    }

    /// How long a tab waits for the cross-tab refresh lock, and how long a holder's lease lasts,
    /// in milliseconds: long enough for the tab that holds it to finish a refresh whose every
    /// request runs to its deadline (token request, JWK Set, its refetch, UserInfo: four in a
    /// row; with DPoP the token request and UserInfo each once more, with the server's nonce,
    /// RFC 9449 §8 and §9), with one more deadline to spare for the key, the verification and the
    /// storage writes in between.
    pub fn lock_wait_ms(&self) -> u32 {
        let requests: u32 = if self.dpop { 6 } else { 4 };
        self.request_timeout_ms
            .saturating_mul(requests.saturating_add(1))
    }
}

/// RFC 8707 §2: each resource is an absolute URI without a fragment.
pub(crate) fn check_resource(resource: &[String]) -> Result<(), Error> {
    for uri in resource {
        let absolute = crate::core::text::split_once(uri, b':')
            .is_some_and(|(scheme, rest)| !scheme.is_empty() && !rest.is_empty());
        if !absolute || crate::core::text::contains(uri, b'#') {
            return Err(Error::config(
                "resource",
                "must be absolute URIs without a fragment (RFC 8707)",
            ));
        }
    }
    Ok(())
}

/// OIDC Core §5.5: `claims` is a JSON object.
pub(crate) fn check_claims(claims: Option<&Json>) -> Result<(), Error> {
    match claims {
        Some(claims) if claims.as_object().is_none() => {
            Err(Error::config("claims", "must be an object (OIDC Core 5.5)"))
        }
        _ => Ok(()),
    }
}

/// Which ID token to send as `id_token_hint`.
#[derive(Debug, Clone)]
pub enum IdTokenHint {
    /// The current session's ID token.
    Current,
    /// This token.
    Token(RawIdToken),
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
    /// No `id_token_hint` at all, not even the session's on a silent sign-in (JS
    /// `idTokenHint: false`).
    pub omit_id_token_hint: bool,
    /// `acr_values`.
    pub acr_values: Vec<String>,
    /// A scope other than the configured one.
    pub scope: Option<String>,
    /// A response mode other than the configured one.
    pub response_mode: Option<ResponseMode>,
    /// Any JSON value, handed back on the session after the callback.
    pub app_state: Option<Json>,
    /// More parameters for this request.
    pub extra_params: Vec<(String, String)>,
    /// Resource indicators (RFC 8707) for this sign-in instead of the configured ones.
    pub resource: Vec<String>,
    /// The `claims` parameter (OIDC Core §5.5) for this sign-in instead of the configured one.
    pub claims: Option<Json>,
}

impl AuthorizeOptions {
    /// Whether these options ask for something only an authorization request can do (another
    /// response mode, `max_age`, `acr_values`, another scope, hints, extra parameters), so that a
    /// refresh_token grant cannot stand in for it.
    pub fn needs_authorization_request(&self) -> bool {
        self.response_mode.is_some()
            || self.max_age.is_some()
            || !self.acr_values.is_empty()
            || self.scope.is_some()
            || self.login_hint.is_some()
            || self.id_token_hint.is_some()
            || !self.ui_locales.is_empty()
            || !self.extra_params.is_empty()
            || !self.resource.is_empty()
            || self.claims.is_some()
    }

    /// The authorization request these options make under `config`, for `mode` and
    /// `redirect_uri`. `IdTokenHint::Current` takes the session's ID token
    /// ([`Error::InvalidConfig`] for `id_token_hint` when there is none).
    pub fn to_request(
        self,
        config: &ClientConfig,
        session: Option<&Session>,
        mode: ResponseMode,
        redirect_uri: &str,
    ) -> Result<AuthorizationRequest, Error> {
        self.check(session)?;
        let id_token_hint = match self.id_token_hint {
            Some(IdTokenHint::Token(token)) => Some(token),
            Some(IdTokenHint::Current) => session.and_then(|s| s.id_token.clone()),
            None => None,
        };
        let mut extra_params = Vec::new();
        for (name, value) in &config.extra_authorize_params {
            set_param(&mut extra_params, name.clone(), value.clone());
        }
        for (name, value) in self.extra_params {
            set_param(&mut extra_params, name, value);
        }
        let resource = match self.resource.is_empty() {
            true => config.resource.clone(),
            false => self.resource,
        };
        let claims = self.claims.as_ref().or(config.claims.as_ref());
        Ok(AuthorizationRequest {
            client_id: config.client_id.clone(),
            redirect_uri: redirect_uri.to_owned(),
            scope: self.scope.unwrap_or_else(|| config.scope.clone()),
            response_mode: mode,
            login_hint: self.login_hint,
            ui_locales: self.ui_locales,
            prompt: self.prompt,
            max_age: self.max_age,
            id_token_hint,
            acr_values: self.acr_values,
            extra_params,
            app_state: self.app_state,
            resource,
            claims: claims.map(Json::to_text),
            dpop_jkt: None,
        })
    }

    /// The checks of [`to_request`](Self::to_request), in one place so that the options are
    /// dropped on one error path.
    fn check(&self, session: Option<&Session>) -> Result<(), Error> {
        if matches!(self.id_token_hint, Some(IdTokenHint::Current))
            && session.and_then(|s| s.id_token.as_ref()).is_none()
        {
            return Err(Error::config(
                "id_token_hint",
                "true needs a session with an ID token",
            ));
        }
        check_resource(&self.resource)?;
        check_claims(self.claims.as_ref())
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
    /// `Some(token)` sends that token; `None` sends the session's; set `omit_id_token_hint` to
    /// send none.
    pub id_token_hint: Option<RawIdToken>,
    /// Send no `id_token_hint` at all.
    pub omit_id_token_hint: bool,
    /// More parameters.
    pub extra_params: Vec<(String, String)>,
}

impl LogoutOptions {
    /// The logout request these options make (RP-Initiated Logout 1.0 §2). The `id_token_hint`
    /// is the given token, else the session's ID token, sent even when it has expired (the OP
    /// only needs to know who and which session), unless `omit_id_token_hint`.
    pub fn to_request(self, config: &ClientConfig, session: Option<&Session>) -> LogoutRequest {
        let id_token_hint = match (self.omit_id_token_hint, self.id_token_hint) {
            (true, _) => None,
            (false, Some(token)) => Some(token),
            (false, None) => session.and_then(|s| s.id_token.clone()),
        };
        let mut extra_params = Vec::new();
        for (name, value) in self.extra_params {
            set_param(&mut extra_params, name, value);
        }
        LogoutRequest {
            client_id: config.client_id.clone(),
            id_token_hint,
            post_logout_redirect_uri: self
                .post_logout_redirect_uri
                .or_else(|| config.post_logout_redirect_uri.clone()),
            ui_locales: self.ui_locales,
            logout_hint: self.logout_hint,
            extra_params,
        }
    }
}
