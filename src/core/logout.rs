//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): the logout request URL (§2)
//! and the check of the `state` the OP returns to the post-logout redirect URI (§3).
//!
//! The `id_token_hint` is sent as given, expired or not: the core does not inspect it (§2
//! allows an OP to accept an expired hint, and the user wants out either way).

use crate::core::authorize::{append_query, check_extra_params, non_empty};
use crate::core::metadata::ProviderMetadata;
#[cfg(feature = "shell")]
use crate::core::pkce::random_token;
use crate::core::secret::RawIdToken;
use crate::error::Error;

/// The parameters this module sets itself; an extra parameter may not use one of these names.
pub const STANDARD_PARAMS: &[&str] = &[
    "id_token_hint",
    "logout_hint",
    "client_id",
    "post_logout_redirect_uri",
    "state",
    "ui_locales",
];

/// A logout request (RP-Initiated Logout 1.0 §2) under construction.
#[derive(Debug, Clone)]
pub struct LogoutRequest {
    pub(crate) client_id: String,
    /// Redacted in `Debug`: it is a whole ID token.
    pub(crate) id_token_hint: Option<RawIdToken>,
    pub(crate) post_logout_redirect_uri: Option<String>,
    pub(crate) ui_locales: Vec<String>,
    pub(crate) logout_hint: Option<String>,
    pub(crate) extra_params: Vec<(String, String)>,
}

impl LogoutRequest {
    /// A logout request from `client_id` (sent as `client_id` when not empty).
    pub fn new(client_id: impl Into<String>) -> Self {
        LogoutRequest {
            client_id: client_id.into(),
            id_token_hint: None,
            post_logout_redirect_uri: None,
            ui_locales: Vec::new(),
            logout_hint: None,
            extra_params: Vec::new(),
        }
    }

    /// `id_token_hint`: the ID token last issued to this client, even an expired one.
    pub fn id_token_hint(mut self, id_token: impl Into<String>) -> Self {
        self.id_token_hint = Some(RawIdToken::new(id_token));
        self
    }

    /// `post_logout_redirect_uri`: where the OP sends the browser back (with `state`).
    pub fn post_logout_redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.post_logout_redirect_uri = Some(uri.into());
        self
    }

    /// `ui_locales`, in order of preference (sent space-separated).
    pub fn ui_locales(mut self, locales: Vec<String>) -> Self {
        self.ui_locales = locales;
        self
    }

    /// `logout_hint`: which user is logging out.
    pub fn logout_hint(mut self, hint: impl Into<String>) -> Self {
        self.logout_hint = Some(hint.into());
        self
    }

    /// An extra parameter. Setting the same name again replaces the value; a name of
    /// [`STANDARD_PARAMS`] makes [`build`](Self::build) fail.
    pub fn extra_param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        crate::core::authorize::set_param(&mut self.extra_params, name.into(), value.into());
        self
    }

    #[cfg(feature = "shell")]
    /// The URL to send the browser to and the [`LogoutTransaction`] to keep, with a fresh random
    /// `state`.
    pub fn build(
        self,
        metadata: &ProviderMetadata,
        now: i64,
    ) -> Result<(String, LogoutTransaction), Error> {
        let state = random_token()?;
        self.build_with_state(metadata, now, state)
    }

    /// [`build`](Self::build) with the given `state` (deterministic, for tests).
    ///
    /// Errors: [`Error::Unsupported`] (`end_session_endpoint`) when the OP has no logout
    /// endpoint; [`Error::InvalidConfig`] for an empty state or an extra parameter named like a
    /// standard one (field `extra_params.<name>`).
    pub fn build_with_state(
        self,
        metadata: &ProviderMetadata,
        now: i64,
        state: String,
    ) -> Result<(String, LogoutTransaction), Error> {
        let endpoint = self.check(metadata, &state)?;

        let mut query = crate::core::form::Form::new();
        if let Some(hint) = self
            .id_token_hint
            .as_ref()
            .map(RawIdToken::expose)
            .filter(|h| !h.is_empty())
        {
            query.pair("id_token_hint", hint);
        }
        if let Some(hint) = non_empty(&self.logout_hint) {
            query.pair("logout_hint", hint);
        }
        if !self.client_id.is_empty() {
            query.pair("client_id", &self.client_id);
        }
        if let Some(uri) = non_empty(&self.post_logout_redirect_uri) {
            query.pair("post_logout_redirect_uri", uri);
        }
        query.pair("state", &state);
        query.words("ui_locales", &self.ui_locales);
        for (name, value) in &self.extra_params {
            query.pair(name, value);
        }
        let url = append_query(endpoint, &query.finish());

        let transaction = LogoutTransaction {
            state,
            post_logout_redirect_uri: self.post_logout_redirect_uri,
            created_at: now,
        };
        Ok((url, transaction))
    }

    /// The checks of [`build_with_state`](Self::build_with_state), in one place so that the
    /// request and the state are dropped on one error path; the OP's logout endpoint.
    fn check<'m>(&self, metadata: &'m ProviderMetadata, state: &str) -> Result<&'m str, Error> {
        let endpoint = metadata
            .end_session_endpoint
            .as_deref()
            .ok_or_else(|| Error::Unsupported("end_session_endpoint".into()))?;
        if state.is_empty() {
            return Err(Error::config("state", "must not be empty"));
        }
        check_extra_params(&self.extra_params, STANDARD_PARAMS, "extra_params")?;
        Ok(endpoint)
    }
}

/// What the client keeps between the logout request and the return to the post-logout
/// redirect URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutTransaction {
    /// The `state` sent; the return must carry it (§3).
    pub state: String,
    /// The `post_logout_redirect_uri` sent, if any.
    pub post_logout_redirect_uri: Option<String>,
    /// When the request was built (seconds since the Unix epoch).
    pub created_at: i64,
}

impl LogoutTransaction {
    /// Whether the transaction is at least `lifetime_secs` old at `now`.
    pub fn is_expired(&self, now: i64, lifetime_secs: i64) -> bool {
        self.created_at.saturating_add(lifetime_secs) <= now
    }
}

/// Checks the return to the post-logout redirect URI (§3): `url_or_query` is the whole URL or
/// just its query (with or without `?`). The `state` must equal the transaction's; another
/// state, no state, a repeated state or no transaction at all is [`Error::StateMismatch`].
/// Other parameters (the app's own, say) are ignored. Returns the state.
pub fn process_logout_callback(
    url_or_query: &str,
    transaction: Option<&LogoutTransaction>,
) -> Result<Option<String>, Error> {
    let without_fragment = crate::core::text::before_any(url_or_query, b"#");
    let query = match crate::core::text::split_once(without_fragment, b'?') {
        Some((_, query)) => query,
        // A URL without a query (bytes compared: a substring search would cost the wasm a
        // general string searcher for this one test).
        None if without_fragment.as_bytes().windows(3).any(|w| w == b"://") => "",
        None => without_fragment,
    };
    // Exactly one `state`, not empty, equal to the transaction's.
    let mut state = None;
    let mut count = 0_u8;
    for (name, value) in crate::core::form::parse(query) {
        if name == "state" {
            count = count.saturating_add(1);
            state = Some(value);
        }
    }
    match (state, transaction) {
        (Some(state), Some(transaction))
            if count == 1 && !state.is_empty() && state == transaction.state =>
        {
            Ok(Some(state))
        }
        _ => Err(Error::StateMismatch),
    }
}
