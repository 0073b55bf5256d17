//! When the access token is handed out, refreshed, or refused, and when the expiry events fire.
//!
//! The token counts as expiring inside the leeway of [`Session::refresh_leeway`] (a minute, or
//! half its lifetime when shorter). A failed refresh loses nothing: while the current token is
//! still valid it is handed out. An expired token with no refresh token to renew it is
//! [`Error::SessionExpired`], not [`Error::NoSession`]: the session (its identity) is still held,
//! and only a new sign-in renews it.

use crate::core::secret::AccessToken;
use crate::core::session::Session;
use crate::error::Error;

/// What `getAccessToken` does.
#[derive(Debug)]
pub enum AccessDecision {
    /// Hand out this token.
    Use(AccessToken),
    /// Refresh first; if that fails, hand out `fallback` when there is one.
    Refresh {
        /// The current token, still valid though inside the leeway; `None` once expired.
        fallback: Option<AccessToken>,
    },
    /// Fail with this error.
    Fail(Error),
}

/// The decision for `session` at `now`.
pub fn decide(session: Option<&Session>, now: i64) -> AccessDecision {
    let Some(session) = session else {
        return AccessDecision::Fail(Error::NoSession("not signed in"));
    };
    let expired = session.is_expired(now);
    let needs_refresh = session.is_due(now);
    if needs_refresh && session.has_refresh_token() {
        return AccessDecision::Refresh {
            fallback: (!expired).then(|| session.access_token.clone()),
        };
    }
    if needs_refresh && expired {
        return AccessDecision::Fail(Error::SessionExpired);
    }
    AccessDecision::Use(session.access_token.clone())
}

/// The outcome of [`AccessDecision::Refresh`] once the refresh is over: the refreshed token, else
/// the fallback, else the refresh's error `E` (the machine's is shared with the other waiters).
pub fn after_refresh<E>(
    refreshed: Result<AccessToken, E>,
    fallback: Option<AccessToken>,
) -> Result<AccessToken, E> {
    refreshed.or_else(|error| fallback.ok_or(error))
}

/// When the expiry events of a session fire, in milliseconds from now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpiryTimers {
    /// When the token enters the leeway: the `expiring` event (and, with autoRefresh, a refresh).
    pub expiring_in_ms: u32,
    /// When it expires: the `expired` event.
    pub expired_in_ms: u32,
    /// The expiry itself, seconds since the epoch, for the events' detail.
    pub expires_at: i64,
}

/// The timers for `session` at `now`; `None` when its expiry is unknown.
pub fn expiry_timers(session: &Session, now: i64) -> Option<ExpiryTimers> {
    let expires_at = session.expires_at?;
    let delay = |at: i64| {
        let secs = at.saturating_sub(now).max(0);
        u32::try_from(secs.saturating_mul(1000)).unwrap_or(u32::MAX)
    };
    Some(ExpiryTimers {
        expiring_in_ms: delay(expires_at.saturating_sub(session.refresh_leeway())),
        expired_in_ms: delay(expires_at),
        expires_at,
    })
}

/// Whether the `expiring` timer starts a refresh by itself.
pub fn refresh_on_expiring(auto_refresh: bool, session: Option<&Session>) -> bool {
    auto_refresh && session.is_some_and(Session::has_refresh_token)
}

/// Whether a page that wakes (visible again, resumed from frozen, back online, restored from the
/// back/forward cache) refreshes at once: its timers may have fired late or never, so with
/// autoRefresh a token that is expired or inside the leeway is renewed now.
pub fn refresh_on_wake(auto_refresh: bool, session: Option<&Session>, now: i64) -> bool {
    refresh_on_expiring(auto_refresh, session) && session.is_some_and(|s| s.is_due(now))
}
