//! The session, and how a token response changes it: after the code exchange (OpenID Connect
//! Core 1.0 §3.1.3.3) and after a refresh (RFC 6749 §6, OIDC Core §12.1, §12.2).
//!
//! Rules:
//! - a code exchange for scope `openid` must bring an ID token (OIDC Core §3.1.3.3), else
//!   [`Error::IdTokenRequired`]; without `openid` it is a plain OAuth 2.0 session (no claims);
//! - a refresh response without an ID token (OIDC Core §12.2 lets the OP omit it) keeps the last
//!   ID token and its claims and marks them not fresh, unless the caller requires an ID token
//!   ([`Error::IdTokenRequired`], and the current session is left as it is);
//! - a refresh response with an ID token replaces them (the shell validates it first, §12.2);
//! - the access token is only ever stored and handed out, never read as an ID token;
//! - a refresh token is replaced when the OP sends a new one (rotation, RFC 6749 §6 and
//!   OAuth 2.0 Security BCP §4.14) and kept otherwise.
//!
//! The functions take the already validated [`IdToken`]; they check that it is the one the token
//! response carried.

use std::sync::Arc;

use crate::core::id_token::{IdToken, IdTokenClaims};
use crate::core::secret::{AccessToken, RawIdToken, RefreshToken};
use crate::core::token::{TokenResponse, TokenType};
use crate::error::{Error, ResponseError};

/// A signed-in session: the identity (ID token and its claims) and the tokens.
///
/// It serialises completely, refresh token included, for the storage the app chose; its `Debug`
/// shows none of the tokens (their types redact themselves). It has no `PartialEq`: tokens are
/// compared with [`Session::is_same`].
#[derive(Debug, Clone)]
pub struct Session {
    /// The last ID token received (raw), for `id_token_hint`.
    pub id_token: Option<RawIdToken>,
    /// Its validated claims, shared: a copy of the session (the machine keeps one and hands
    /// others out) shares them instead of copying every claim. An `Arc`, not an `Rc`, so that a
    /// `Session` stays `Send` and `Sync`.
    pub claims: Option<Arc<IdTokenClaims>>,
    /// Whether the last token response carried the ID token (false after a refresh without one).
    pub id_token_fresh: bool,
    /// The current access token.
    pub access_token: AccessToken,
    /// Its type.
    pub token_type: TokenType,
    /// When the access token expires (seconds since the epoch), if the OP said.
    pub expires_at: Option<i64>,
    /// The granted scope.
    pub scope: Option<String>,
    /// The refresh token, if any.
    pub refresh_token: Option<RefreshToken>,
    /// When the session was created (code exchange), in seconds.
    pub created_at: i64,
    /// The same in milliseconds, when the machine recorded it; 0 when it did not (a session
    /// made by [`from_code_exchange`](Session::from_code_exchange) alone, or stored by an
    /// older version, which kept only the second). A `session`-storage tab restored at creation
    /// ends on any sign-out announced in another tab after it.
    pub created_ms: i64,
    /// When a token response last changed it.
    pub updated_at: i64,
    /// The JWK thumbprint (RFC 7638) of the DPoP key its tokens are bound to (RFC 9449 §5),
    /// when they are: its refresh token is only ever sent with that key's proofs.
    pub dpop_jkt: Option<String>,
    /// The resource indicators (RFC 8707) of the sign-in that made it, which each refresh asks
    /// for again (§2.2: a grant covers the resources it was made for). Empty: the sign-in named
    /// none, or the session was stored before they were kept (the configuration's then).
    pub resource: Vec<String>,
    /// The OP refused its refresh token (`invalid_grant`, RFC 6749 §5.2), which was dropped:
    /// no refresh can renew this session, so it ends once its access token expired, unless a
    /// sign-in renews it first. Stored with it, so that a reload and the other tabs know it too.
    pub refresh_refused: bool,
}

/// Whether a space-separated scope string contains `openid` (OIDC Core §3.1.2.1).
fn has_openid(scope: &str) -> bool {
    crate::core::text::words(scope).any(|s| s == "openid")
}

/// `now + expires_in`, saturating.
fn expiry(now: i64, expires_in: Option<u64>) -> Option<i64> {
    expires_in.map(|secs| now.saturating_add(i64::try_from(secs).unwrap_or(i64::MAX)))
}

/// The validated ID token must be the one in the response.
fn check_same_token(response: &TokenResponse, id_token: Option<&IdToken>) -> Result<(), Error> {
    let same = match (response.id_token.as_ref(), id_token) {
        (Some(raw), Some(token)) => raw.ct_eq(&token.raw),
        (None, Some(_)) => false,
        (_, None) => true,
    };
    if same {
        Ok(())
    } else {
        Err(Error::InvalidResponse(ResponseError::InvalidField(
            "id_token",
            "the validated ID token is not the one in the token response".to_owned(),
        )))
    }
}

/// The ID token checks of a code exchange and a refresh, in one place so that the owned
/// response is dropped on one error path: the validated ID token is the response's; without one,
/// a response `id_token` the caller did not validate is refused when `unvalidated_refused`, and
/// a missing one when `required`.
fn check_id_token(
    response: &TokenResponse,
    id_token: Option<&IdToken>,
    required: bool,
    unvalidated_refused: bool,
) -> Result<(), Error> {
    check_same_token(response, id_token)?;
    if id_token.is_some() {
        return Ok(());
    }
    if response.id_token.is_some() && unvalidated_refused {
        return Err(Error::InvalidResponse(ResponseError::InvalidField(
            "id_token",
            "the token response's ID token was not validated".to_owned(),
        )));
    }
    if required {
        return Err(Error::IdTokenRequired);
    }
    Ok(())
}

impl Session {
    /// The session after the authorization code exchange (RFC 6749 §4.1.4, OIDC Core §3.1.3.3).
    ///
    /// `id_token` is the response's ID token, already validated (§3.1.3.7). When
    /// `requested_scope` contains `openid`, an ID token is required ([`Error::IdTokenRequired`]
    /// when the response has none). `expires_at = now + expires_in`; the scope is the granted one,
    /// or the requested one when the OP did not say (RFC 6749 §5.1).
    pub fn from_code_exchange(
        response: TokenResponse,
        id_token: Option<IdToken>,
        requested_scope: &str,
        now: i64,
    ) -> Result<Session, Error> {
        let openid = has_openid(requested_scope);
        check_id_token(&response, id_token.as_ref(), openid, openid)?;
        let fresh = id_token.is_some();
        let (raw, claims) = match id_token {
            Some(token) => (Some(token.raw), Some(Arc::new(token.claims))),
            None => (None, None),
        };
        let requested = requested_scope.trim_ascii();
        Ok(Session {
            id_token: raw,
            claims,
            id_token_fresh: fresh,
            access_token: response.access_token,
            token_type: response.token_type,
            expires_at: expiry(now, response.expires_in),
            scope: response
                .scope
                .or_else(|| (!requested.is_empty()).then(|| requested.to_owned())),
            refresh_token: response.refresh_token,
            created_at: now,
            created_ms: 0,
            updated_at: now,
            dpop_jkt: None,
            resource: Vec::new(),
            refresh_refused: false,
        })
    }

    /// The session after a refresh (RFC 6749 §6, OIDC Core §12.2); `self` is not changed.
    ///
    /// - With an ID token (validated, and checked with
    ///   [`validate_refreshed`](crate::core::id_token::validate_refreshed)): it and its claims
    ///   replace the old ones; `id_token_fresh` is true.
    /// - Without one: with `require_id_token`, [`Error::IdTokenRequired`]; otherwise the old ID
    ///   token and claims stay, `id_token_fresh` is false.
    /// - The access token, its type and expiry are replaced (no `expires_in`: unknown expiry);
    ///   the scope when the OP sent one; the refresh token when a new one came.
    ///
    /// The response's access token is never looked at as an ID token, even when it is a JWT.
    pub fn apply_refresh(
        &self,
        response: TokenResponse,
        id_token: Option<IdToken>,
        require_id_token: bool,
        now: i64,
    ) -> Result<Session, Error> {
        // An ID token the caller did not validate must not be silently dropped when the
        // session has an identity to check it against.
        check_id_token(
            &response,
            id_token.as_ref(),
            require_id_token,
            self.claims.is_some(),
        )?;
        let (raw, claims, fresh) = match id_token {
            Some(token) => (Some(token.raw), Some(Arc::new(token.claims)), true),
            None => (self.id_token.clone(), self.claims.clone(), false),
        };
        Ok(Session {
            id_token: raw,
            claims,
            id_token_fresh: fresh,
            access_token: response.access_token,
            token_type: response.token_type,
            expires_at: expiry(now, response.expires_in),
            scope: response.scope.or_else(|| self.scope.clone()),
            refresh_token: response
                .refresh_token
                .or_else(|| self.refresh_token.clone()),
            created_at: self.created_at,
            created_ms: self.created_ms,
            updated_at: now,
            dpop_jkt: self.dpop_jkt.clone(),
            resource: self.resource.clone(),
            refresh_refused: false,
        })
    }

    /// When the session was created, in milliseconds; for a session stored without
    /// [`created_ms`](Session::created_ms) (0), the end of its second.
    pub fn created_ms(&self) -> i64 {
        match self.created_ms {
            0 => millis(self.created_at).saturating_add(999),
            ms => ms,
        }
    }

    /// The `sub` of the ID token, if the session has one.
    pub fn subject(&self) -> Option<&str> {
        self.claims.as_ref().map(|c| c.sub.as_str())
    }

    /// Whether the access token has expired (`expires_at <= now`); false when the expiry is
    /// unknown.
    pub fn is_expired(&self, now: i64) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }

    /// Whether the access token expires within `leeway` seconds (`expires_at - leeway <= now`);
    /// false when the expiry is unknown.
    pub fn needs_refresh(&self, now: i64, leeway: i64) -> bool {
        self.expires_at
            .is_some_and(|at| at.saturating_sub(leeway) <= now)
    }

    /// Whether the access token is due for a refresh at `now`: it expires within
    /// [`Session::refresh_leeway`]. One function for every place that asks (`getAccessToken`,
    /// the `expiring` timer, the cross-tab lock), so that they agree.
    #[inline(never)]
    pub fn is_due(&self, now: i64) -> bool {
        self.needs_refresh(now, self.refresh_leeway())
    }

    /// The session to keep when a refresh response was refused (no `id_token` under the strict
    /// policy, an ID token failing §12.2, a UserInfo `sub` mismatch): unchanged for the app, but
    /// holding the refresh token the OP rotated in, if it sent one. The OP has spent the old one
    /// whatever the client makes of the rest of the response (RFC 6749 §6, RFC 9700 §4.14.2);
    /// replaying it would make the OP revoke the whole grant. `None` when nothing changes.
    pub fn after_refused_refresh(&self, rotated: Option<RefreshToken>) -> Option<Session> {
        let rotated = rotated.filter(|new| {
            !self
                .refresh_token
                .as_ref()
                .is_some_and(|old| old.ct_eq(new))
        })?;
        let mut kept = self.clone();
        kept.refresh_token = Some(rotated);
        Some(kept)
    }

    /// The session to keep when the OP refused the refresh token itself (`invalid_grant`,
    /// RFC 6749 §5.2: expired, revoked, or spent): the same session without its refresh token,
    /// so that no later refresh replays it and a silent sign-in goes to `prompt=none` at once.
    /// The access token stays until it expires. `None` when there is no refresh token to drop.
    pub fn after_refresh_token_refused(&self) -> Option<Session> {
        self.refresh_token.as_ref()?;
        let mut kept = self.clone();
        kept.refresh_token = None;
        kept.refresh_refused = true;
        Some(kept)
    }

    /// How many seconds before expiry the access token counts as expiring: a minute, or half the
    /// token's lifetime when that is shorter (a 30-second token is renewed after 15 seconds rather
    /// than at once). Zero when the expiry is unknown.
    pub fn refresh_leeway(&self) -> i64 {
        let lifetime = self
            .expires_at
            .map_or(0, |exp| exp.saturating_sub(self.updated_at));
        (lifetime / 2).clamp(0, 60)
    }

    /// Whether `other` is this very session: the same tokens, changed at the same time. Two tabs
    /// use it to tell whether the stored session moved on since they last read it.
    pub fn is_same(&self, other: &Session) -> bool {
        let same_refresh = match (&self.refresh_token, &other.refresh_token) {
            (Some(a), Some(b)) => a.ct_eq(b),
            (None, None) => true,
            _ => false,
        };
        self.updated_at == other.updated_at
            && self.created_at == other.created_at
            && self.access_token.ct_eq(&other.access_token)
            && same_refresh
    }

    /// Whether the session holds a refresh token.
    pub fn has_refresh_token(&self) -> bool {
        self.refresh_token.is_some()
    }
}

/// `secs` in milliseconds, saturating at the bounds of `i64` (as `saturating_mul(1000)`, without
/// the 128-bit multiplication that an overflow-checked 64-bit one costs in wasm32).
pub fn millis(secs: i64) -> i64 {
    if secs > i64::MAX / 1000 {
        i64::MAX
    } else if secs < i64::MIN / 1000 {
        i64::MIN
    } else {
        secs.wrapping_mul(1000)
    }
}
