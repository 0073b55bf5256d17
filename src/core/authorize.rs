//! The authorization request of the code flow with PKCE: OpenID Connect Core 1.0 §3.1.2.1,
//! RFC 6749 §4.1.1, RFC 7636 §4.3, OAuth 2.0 Multiple Response Type Encoding Practices §2.1
//! (`response_mode`), OAuth 2.0 Form Post Response Mode §2 and the `web_message` response mode.
//!
//! [`AuthorizationRequest::build`] returns the URL to send the browser to and the [`Transaction`]
//! to keep until the response comes back: the `state` it must carry (RFC 6749 §10.12), the
//! `nonce` the ID token must carry (OIDC Core §3.1.2.1), the PKCE verifier for the token request,
//! and what the ID token must then satisfy (`max_age`, `acr_values`).

use crate::core::json::{uint_text, Json};
use crate::core::metadata::ProviderMetadata;
pub use crate::core::params::{Prompt, ResponseMode};
#[cfg(feature = "shell")]
use crate::core::pkce::random_token;
use crate::core::pkce::{CodeVerifier, CHALLENGE_METHOD};
use crate::core::secret::RawIdToken;
use crate::error::Error;

/// How long a pending authorization request (its [`Transaction`]) stays valid, in seconds. A
/// popup in which a person signs in waits this long too.
pub const TRANSACTION_LIFETIME: i64 = 600;

/// The parameters this module sets itself; an extra parameter may not use one of these names.
pub const STANDARD_PARAMS: &[&str] = &[
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "response_mode",
    "login_hint",
    "ui_locales",
    "prompt",
    "max_age",
    "id_token_hint",
    "acr_values",
    "resource",
    "claims",
    "dpop_jkt",
    "request_uri",
];

/// An authorization request (OIDC Core §3.1.2.1) under construction.
#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) scope: String,
    pub(crate) response_mode: ResponseMode,
    pub(crate) login_hint: Option<String>,
    pub(crate) ui_locales: Vec<String>,
    pub(crate) prompt: Vec<Prompt>,
    pub(crate) max_age: Option<u64>,
    /// Redacted in `Debug`: it is a whole ID token.
    pub(crate) id_token_hint: Option<RawIdToken>,
    pub(crate) acr_values: Vec<String>,
    pub(crate) extra_params: Vec<(String, String)>,
    pub(crate) app_state: Option<Json>,
    pub(crate) resource: Vec<String>,
    pub(crate) claims: Option<String>,
    pub(crate) dpop_jkt: Option<String>,
}

impl AuthorizationRequest {
    /// A request for `client_id`, answered at `redirect_uri`, with scope `openid`, response mode
    /// `query` and nothing else.
    pub fn new(client_id: impl Into<String>, redirect_uri: impl Into<String>) -> Self {
        AuthorizationRequest {
            client_id: client_id.into(),
            redirect_uri: redirect_uri.into(),
            scope: "openid".to_owned(),
            response_mode: ResponseMode::Query,
            login_hint: None,
            ui_locales: Vec::new(),
            prompt: Vec::new(),
            max_age: None,
            id_token_hint: None,
            acr_values: Vec::new(),
            extra_params: Vec::new(),
            app_state: None,
            resource: Vec::new(),
            claims: None,
            dpop_jkt: None,
        }
    }

    /// `resource` (RFC 8707 §2), once per resource; kept in the [`Transaction`] for the token
    /// request.
    pub fn resource(mut self, resource: Vec<String>) -> Self {
        self.resource = resource;
        self
    }

    /// `claims` (OIDC Core §5.5): the JSON text of the request object.
    pub fn claims(mut self, claims: String) -> Self {
        self.claims = Some(claims);
        self
    }

    /// `dpop_jkt` (RFC 9449 §10): the JWK thumbprint of the key the code is bound to.
    pub fn dpop_jkt(mut self, jkt: String) -> Self {
        self.dpop_jkt = Some(jkt);
        self
    }

    /// The space-separated `scope` (default `openid`). Without `openid` no `nonce` is sent.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = scope.into();
        self
    }

    /// How the OP delivers the response (default [`ResponseMode::Query`], which is not sent).
    pub fn response_mode(mut self, mode: ResponseMode) -> Self {
        self.response_mode = mode;
        self
    }

    /// `login_hint`: who the user probably is.
    pub fn login_hint(mut self, hint: impl Into<String>) -> Self {
        self.login_hint = Some(hint.into());
        self
    }

    /// `ui_locales`, in order of preference (BCP 47 tags; sent space-separated).
    pub fn ui_locales(mut self, locales: Vec<String>) -> Self {
        self.ui_locales = locales;
        self
    }

    /// `prompt`; `none` cannot be combined with another value.
    pub fn prompt(mut self, prompt: Vec<Prompt>) -> Self {
        self.prompt = prompt;
        self
    }

    /// `max_age` in seconds (0 forces re-authentication); the ID token must then carry a recent
    /// enough `auth_time`.
    pub fn max_age(mut self, seconds: u64) -> Self {
        self.max_age = Some(seconds);
        self
    }

    /// `id_token_hint`: a previously issued ID token.
    pub fn id_token_hint(mut self, id_token: impl Into<String>) -> Self {
        self.id_token_hint = Some(RawIdToken::new(id_token));
        self
    }

    /// `acr_values`, in order of preference (sent space-separated); the ID token's `acr` must
    /// then be one of them.
    pub fn acr_values(mut self, values: Vec<String>) -> Self {
        self.acr_values = values;
        self
    }

    /// An extra parameter. Setting the same name again replaces the value; a name of
    /// [`STANDARD_PARAMS`] makes [`build`](Self::build) fail.
    pub fn extra_param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        set_param(&mut self.extra_params, name.into(), value.into());
        self
    }

    /// Application data kept in the [`Transaction`] and handed back after the callback. It is
    /// never sent to the OP.
    pub fn app_state(mut self, state: Json) -> Self {
        self.app_state = Some(state);
        self
    }

    #[cfg(feature = "shell")]
    /// The URL to send the browser to and the [`Transaction`] to keep, with a fresh random
    /// `state`, `nonce` (only when the scope contains `openid`) and PKCE verifier.
    pub fn build(
        self,
        metadata: &ProviderMetadata,
        now: i64,
    ) -> Result<(String, Transaction), Error> {
        let state = random_token()?;
        let nonce = if has_openid(&self.scope) {
            random_token()?
        } else {
            String::new()
        };
        let verifier = CodeVerifier::generate()?;
        self.build_with(metadata, now, state, nonce, verifier)
    }

    /// [`build`](Self::build) with the given `state`, `nonce` and verifier (deterministic, for
    /// tests). `nonce` is ignored when the scope lacks `openid`.
    ///
    /// Errors: [`Error::InvalidConfig`] for an empty client id, redirect URI, scope, state or
    /// nonce, a redirect URI with a fragment (RFC 6749 §3.1.2), `prompt=none` with another value
    /// (OIDC Core §3.1.2.1), or an extra parameter named like a standard one (field
    /// `extra_params.<name>`); [`Error::Unsupported`] when the OP's metadata lists response types,
    /// response modes or PKCE methods and lacks `code`, the chosen mode or `S256`.
    pub fn build_with(
        self,
        metadata: &ProviderMetadata,
        now: i64,
        state: String,
        nonce: String,
        verifier: CodeVerifier,
    ) -> Result<(String, Transaction), Error> {
        let (query, transaction) = self.build_params_with(metadata, now, state, nonce, verifier)?;
        let url = append_query(&metadata.authorization_endpoint, &query);
        Ok((url, transaction))
    }

    /// [`build_with`](Self::build_with), but the parameters as a form-encoded string: the
    /// body of a pushed authorization request (RFC 9126 §2.1) or the URL's query.
    pub fn build_params_with(
        self,
        metadata: &ProviderMetadata,
        now: i64,
        state: String,
        nonce: String,
        verifier: CodeVerifier,
    ) -> Result<(String, Transaction), Error> {
        self.validate(metadata)?;
        if state.is_empty() {
            return Err(Error::config("state", "must not be empty"));
        }
        let nonce = match has_openid(&self.scope) {
            true if nonce.is_empty() => return Err(Error::config("nonce", "must not be empty")),
            true => Some(nonce),
            false => None,
        };
        let acr_values = words(&self.acr_values);

        let mut query = crate::core::form::Form::new();
        query
            .pair("response_type", "code")
            .pair("client_id", &self.client_id)
            .pair("redirect_uri", &self.redirect_uri)
            .pair("scope", &self.scope)
            .pair("state", &state);
        if let Some(nonce) = &nonce {
            query.pair("nonce", nonce);
        }
        query
            .pair("code_challenge", &verifier.challenge())
            .pair("code_challenge_method", CHALLENGE_METHOD);
        if self.response_mode != ResponseMode::Query {
            query.pair("response_mode", self.response_mode.as_str());
        }
        if let Some(hint) = non_empty(&self.login_hint) {
            query.pair("login_hint", hint);
        }
        query.words("ui_locales", &self.ui_locales);
        if !self.prompt.is_empty() {
            let mut prompt = String::new();
            for value in &self.prompt {
                if !prompt.is_empty() {
                    prompt.push(' ');
                }
                prompt.push_str(value.as_str());
            }
            query.pair("prompt", &prompt);
        }
        if let Some(max_age) = self.max_age {
            query.pair("max_age", &uint_text(max_age));
        }
        if let Some(hint) = self
            .id_token_hint
            .as_ref()
            .map(RawIdToken::expose)
            .filter(|h| !h.is_empty())
        {
            query.pair("id_token_hint", hint);
        }
        query.words("acr_values", &acr_values);
        for uri in &self.resource {
            query.pair("resource", uri);
        }
        if let Some(claims) = &self.claims {
            query.pair("claims", claims);
        }
        if let Some(jkt) = &self.dpop_jkt {
            query.pair("dpop_jkt", jkt);
        }
        for (name, value) in &self.extra_params {
            query.pair(name, value);
        }

        let transaction = Transaction {
            state,
            nonce,
            code_verifier: verifier,
            redirect_uri: self.redirect_uri,
            response_mode: self.response_mode,
            scope: self.scope,
            max_age: self.max_age,
            acr_values,
            created_at: now,
            app_state: self.app_state,
            resource: self.resource,
        };
        Ok((query.finish(), transaction))
    }

    /// The checks of [`build_with`](Self::build_with) that do not depend on the random values.
    fn validate(&self, metadata: &ProviderMetadata) -> Result<(), Error> {
        if self.client_id.is_empty() {
            return Err(Error::config("client_id", "must not be empty"));
        }
        if self.redirect_uri.is_empty() {
            return Err(Error::config("redirect_uri", "must not be empty"));
        }
        if crate::core::text::contains(&self.redirect_uri, b'#') {
            return Err(Error::config("redirect_uri", "must not contain a fragment"));
        }
        if crate::core::text::words(&self.scope).next().is_none() {
            return Err(Error::config("scope", "must not be empty"));
        }
        if self.prompt.contains(&Prompt::None) && self.prompt.iter().any(|p| *p != Prompt::None) {
            return Err(Error::config(
                "prompt",
                "`none` cannot be combined with other values",
            ));
        }
        check_extra_params(&self.extra_params, STANDARD_PARAMS, "extra_params")?;
        if !crate::core::text::has(&metadata.response_types_supported, "code") {
            return Err(Error::Unsupported("response_type=code".into()));
        }
        if let Some(modes) = &metadata.response_modes_supported {
            if !crate::core::text::has(modes, self.response_mode.as_str()) {
                return Err(Error::Unsupported(crate::core::text::cat(&[
                    "response_mode=",
                    self.response_mode.as_str(),
                ])));
            }
        }
        if let Some(methods) = &metadata.code_challenge_methods_supported {
            if !crate::core::text::has(methods, CHALLENGE_METHOD) {
                return Err(Error::Unsupported(crate::core::text::cat(&[
                    "code_challenge_method=",
                    CHALLENGE_METHOD,
                ])));
            }
        }
        Ok(())
    }
}

/// What the client keeps between the authorization request and its response. Its `Debug` does
/// not show the code verifier.
#[derive(Debug, Clone)]
pub struct Transaction {
    /// The `state` sent; the response must carry it (RFC 6749 §10.12).
    pub state: String,
    /// The `nonce` sent (scope `openid` only); the ID token must carry it (OIDC Core §3.1.3.7).
    pub nonce: Option<String>,
    /// The PKCE verifier for the token request (RFC 7636 §4.5).
    pub code_verifier: CodeVerifier,
    /// The `redirect_uri` sent; the token request repeats it (RFC 6749 §4.1.3).
    pub redirect_uri: String,
    /// How the response is delivered.
    pub response_mode: ResponseMode,
    /// The scope requested.
    pub scope: String,
    /// The `max_age` sent, if any: the ID token must then carry `auth_time`.
    pub max_age: Option<u64>,
    /// The `acr_values` sent, one per element: the ID token's `acr` must be one of them.
    pub acr_values: Vec<String>,
    /// When the request was built (seconds since the Unix epoch).
    pub created_at: i64,
    /// The application's data, returned after the callback.
    pub app_state: Option<Json>,
    /// The resource indicators sent (RFC 8707), repeated on the token request.
    pub resource: Vec<String>,
}

impl Transaction {
    /// Whether the transaction is at least `lifetime_secs` old at `now`.
    pub fn is_expired(&self, now: i64, lifetime_secs: i64) -> bool {
        self.created_at.saturating_add(lifetime_secs) <= now
    }

    /// Whether the transaction can no longer complete a sign-in at `now`: it is
    /// [`TRANSACTION_LIFETIME`] old.
    pub fn is_stale(&self, now: i64) -> bool {
        self.is_expired(now, TRANSACTION_LIFETIME)
    }
}

/// Appends an encoded query to a URL that may already have a query (kept) or a fragment (kept
/// after the new query).
pub(crate) fn append_query(url: &str, query: &str) -> String {
    let (base, fragment) = match crate::core::text::split_once(url, b'#') {
        Some((base, fragment)) => (base, Some(fragment)),
        None => (url, None),
    };
    let separator = match crate::core::text::split_once(base, b'?') {
        None => "?",
        Some((_, "")) => "",
        Some((_, existing)) if existing.as_bytes().last() == Some(&b'&') => "",
        Some(_) => "&",
    };
    let mut out = crate::core::text::cat(&[base, separator, query]);
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

/// Whether a space-separated scope contains the word `openid`.
fn has_openid(scope: &str) -> bool {
    crate::core::text::words(scope).any(|s| s == "openid")
}

/// The extra parameters of an authorization or logout request: no empty name, none of
/// `standard` (field `extra_params.<name>`: those have their own option).
pub(crate) fn check_extra_params(
    params: &[(String, String)],
    standard: &[&str],
    option: &str,
) -> Result<(), Error> {
    for (name, _) in params {
        if name.is_empty() {
            return Err(Error::config(option, "a parameter name is empty"));
        }
        if standard.contains(&name.as_str()) {
            return Err(Error::config(
                crate::core::text::cat(&[option, ".", name]),
                "is a standard parameter: use its own option",
            ));
        }
    }
    Ok(())
}

/// Sets parameter `name` in `params`, replacing the value of a present one in place.
pub(crate) fn set_param(params: &mut Vec<(String, String)>, name: String, value: String) {
    crate::core::text::set_value(params, &name, value);
}

/// The whitespace-separated words of all entries (so `["pt-BR en"]` and `["pt-BR", "en"]` agree).
pub(crate) fn words(values: &[String]) -> Vec<String> {
    let mut words = Vec::new();
    for value in values {
        for word in crate::core::text::words(value) {
            words.push(word.to_owned());
        }
    }
    words
}

/// The value when present and not empty (RFC 6749 §3.1: an empty parameter counts as absent).
pub(crate) fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}
