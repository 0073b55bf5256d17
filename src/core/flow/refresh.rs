//! Refreshing a session (RFC 6749 §6, OIDC Core §12): the refresh_token grant, the ID token of
//! the response (if any) validated with §3.1.3.7 and §12.2, the session's refresh rules
//! ([`Session::apply_refresh`]), and optionally the UserInfo `sub` checked against the session's
//! (§5.3.2).
//!
//! Once the OP answered with tokens, it has spent the old refresh token whatever the client
//! makes of the rest (RFC 9700 §4.14.2). So a response the client refuses still yields the
//! rotated refresh token: [`RefreshFailure::keep`] is the session to keep, unchanged for the app
//! but holding the new refresh token. Replaying the old one would make the OP revoke the grant.
//!
//! Across tabs, the shell holds a Web Lock around the whole flow and first asks [`under_lock`]
//! whether another tab refreshed (or signed out) while this one waited.

use crate::core::config::ClientConfig;
use crate::core::flow::signature::{Checked, Checking, TokenRules, Verified};
use crate::core::flow::{only, out_of_order, Answer, HttpRequest, Need, Step};
use crate::core::id_token;
use crate::core::metadata::ProviderMetadata;
use crate::core::secret::{AccessToken, RefreshToken};
use crate::core::session::Session;
use crate::core::token::{self, TokenResponse, TokenType};
use crate::core::userinfo;
use crate::error::{Error, ResponseError};

/// A refresh that did not renew the session.
#[derive(Debug, Clone)]
pub struct RefreshFailure {
    /// Why.
    pub error: Error,
    /// The session to store instead of the current one: the same for the app, with the refresh
    /// token the OP rotated in. `None` when the current session stays as it is.
    pub keep: Option<Session>,
}

/// Where the refresh stands.
#[derive(Debug)]
enum Stage {
    /// Waiting for the token response.
    Token,
    /// Waiting on the new ID token's signature.
    Signature(Checking),
    /// Waiting for the UserInfo response, with the renewed session.
    UserInfo {
        renewed: Box<Session>,
        subject: String,
    },
    /// Done.
    Over,
}

/// The refresh of one session.
#[derive(Debug)]
pub struct RefreshFlow {
    current: Session,
    rules: TokenRules,
    require_id_token: bool,
    userinfo_endpoint: Option<String>,
    timeout_ms: u32,
    /// The refresh token the OP sent back, once it answered.
    rotated: Option<RefreshToken>,
    stage: Stage,
}

impl RefreshFlow {
    /// Starts the refresh of `current`: the refresh_token grant, or [`Error::NoSession`] when
    /// the session has no refresh token.
    pub fn start(
        current: Session,
        config: &ClientConfig,
        metadata: &ProviderMetadata,
    ) -> (RefreshFlow, Step<Session, RefreshFailure>) {
        let userinfo_endpoint = config
            .check_userinfo_on_refresh
            .then(|| metadata.userinfo_endpoint.clone())
            .flatten();
        let mut flow = RefreshFlow {
            current,
            rules: TokenRules::new(config, metadata),
            require_id_token: config.require_id_token_on_refresh,
            userinfo_endpoint,
            timeout_ms: config.request_timeout_ms,
            rotated: None,
            stage: Stage::Over,
        };
        let step = match &flow.current.refresh_token {
            Some(refresh_token) => {
                let body = token::refresh_body(&config.client_id, refresh_token, None, None);
                flow.stage = Stage::Token;
                Step::need(Need::Http(HttpRequest::post_form(
                    metadata.token_endpoint.as_str(),
                    body,
                    config.request_timeout_ms,
                )))
            }
            None => Step::Done(Err(RefreshFailure {
                error: Error::NoSession("the session has no refresh token"),
                keep: None,
            })),
        };
        (flow, step)
    }

    /// The session this flow refreshes.
    pub fn current(&self) -> &Session {
        &self.current
    }

    /// The DPoP-bound access token its UserInfo request presents, while it waits for that
    /// answer: the proof of that request carries its `ath` (RFC 9449 §7.1).
    pub fn userinfo_bound_token(&self) -> Option<&AccessToken> {
        match &self.stage {
            Stage::UserInfo { renewed, .. } if renewed.token_type == TokenType::DPoP => {
                Some(&renewed.access_token)
            }
            _ => None,
        }
    }

    /// Takes the answer to the last need, received at `now`.
    pub fn advance(&mut self, answers: Vec<Answer>, now: i64) -> Step<Session, RefreshFailure> {
        let stage = std::mem::replace(&mut self.stage, Stage::Over);
        let Some(answer) = only(answers) else {
            return self.fail(out_of_order());
        };
        let checked = match (stage, answer) {
            (Stage::Token, Answer::Http(http)) => {
                // No answer: nothing was spent, the current session stays.
                let r = match http {
                    Ok(r) => r,
                    Err(error) => return Step::Done(Err(RefreshFailure { error, keep: None })),
                };
                let response = match token::parse_refresh_response(r.status, &r.body) {
                    Ok(response) => response,
                    // The OP refused the refresh token: drop it.
                    Err(error) if token::refresh_token_refused(&error) => {
                        let keep = self.current.after_refresh_token_refused();
                        return Step::Done(Err(RefreshFailure { error, keep }));
                    }
                    // A 200 the client refuses may still have rotated the refresh token.
                    Err(error) => {
                        self.rotated = token::rotated_refresh_token(r.status, &r.body);
                        return self.fail(error);
                    }
                };
                self.rotated = response.refresh_token.clone();
                self.rules.check(response, None)
            }
            (Stage::Signature(checking), answer) => checking.advance(answer),
            (Stage::UserInfo { renewed, subject }, Answer::Http(http)) => {
                let checked = http.and_then(|r| {
                    if r.status != 200 {
                        return Err(ResponseError::UnexpectedStatus(r.status).into());
                    }
                    userinfo::parse_userinfo(&r.body, &subject).map(|_| ())
                });
                return match checked {
                    Ok(()) => Step::Done(Ok(*renewed)),
                    Err(e) => self.fail(e),
                };
            }
            _ => return self.fail(out_of_order()),
        };
        self.on_signature(checked, now)
    }

    fn on_signature(&mut self, checked: Checked, now: i64) -> Step<Session, RefreshFailure> {
        match checked {
            Checked::Need(need, checking) => {
                self.stage = Stage::Signature(checking);
                Step::need(need)
            }
            Checked::Verified(response, verified) => self.renew(response, verified, now),
            Checked::Failed(e) => self.fail(e),
        }
    }

    /// The new ID token's claims (§3.1.3.7 without a nonce, then §12.2 against the original),
    /// the session's refresh rules, then the UserInfo check if configured.
    fn renew(
        &mut self,
        response: TokenResponse,
        verified: Option<Box<Verified>>,
        now: i64,
    ) -> Step<Session, RefreshFailure> {
        // The ID token checked where it is, not moved through `and_then`s.
        let renewed = match self.rules.claims(verified, &response, None, now) {
            Ok(token) => match (&token, &self.current.claims) {
                (Some(new), Some(original)) => {
                    match id_token::validate_refreshed(&new.claims, original) {
                        Ok(()) => {
                            self.current
                                .apply_refresh(response, token, self.require_id_token, now)
                        }
                        Err(e) => Err(e),
                    }
                }
                _ => self
                    .current
                    .apply_refresh(response, token, self.require_id_token, now),
            },
            Err(e) => Err(e),
        };
        let renewed = match renewed {
            Ok(renewed) => renewed,
            Err(e) => return self.fail(e),
        };
        if let (Some(endpoint), Some(subject)) = (&self.userinfo_endpoint, renewed.subject()) {
            // A DPoP-bound token goes with its proof (RFC 9449 §7.1): as Bearer, the UserInfo
            // endpoint refuses it, and every refresh would fail.
            let request = HttpRequest::get(endpoint.clone(), self.timeout_ms);
            let token = renewed.access_token.expose();
            let request = match renewed.token_type {
                TokenType::DPoP => request.dpop_bound(token),
                TokenType::Bearer => request.bearer(token),
            };
            let subject = subject.to_owned();
            self.stage = Stage::UserInfo {
                renewed: Box::new(renewed),
                subject,
            };
            return Step::need(Need::Http(request));
        }
        Step::Done(Ok(renewed))
    }

    /// A refused response: the error, and the session holding the rotated refresh token.
    fn fail(&mut self, error: Error) -> Step<Session, RefreshFailure> {
        self.stage = Stage::Over;
        Step::Done(Err(RefreshFailure {
            error,
            keep: self.current.after_refused_refresh(self.rotated.take()),
        }))
    }
}

/// What a tab does once it holds the cross-tab refresh lock.
#[derive(Debug)]
pub enum UnderLock {
    /// The shared session is gone: another tab signed out.
    SignedOutElsewhere,
    /// Another tab refreshed while this one waited: take its session instead of replaying a
    /// refresh token the OP has rotated.
    AlreadyRefreshed(Session),
    /// The stored session is the one this tab asked to refresh: refresh it.
    Refresh(Session),
    /// The stored session is the one this tab asked to refresh without its refresh token: another
    /// tab's refresh found it refused (`invalid_grant`) and let go of it
    /// ([`Session::after_refresh_token_refused`]). Take it, and fail as that refresh did.
    RefusedElsewhere(Session),
}

/// Decides, under the lock, from the session this tab `held` when it asked and the one `stored`
/// now (read where every tab's writes are visible), at `now` (seconds since the epoch).
///
/// A stored session that differs from the held one is taken as another tab's refresh only while
/// its access token is not due for a refresh ([`Session::is_due`]). The shared copy can hold a
/// newer refresh token beside an access token that expired: after a renewed session could not be
/// written, only the rotated refresh token is kept ([`RefreshFailure::keep`]), and a tab may wake
/// long after another tab's refresh. Such a session is refreshed, with its own refresh token,
/// not handed out. A stored session that is the held one without its refresh token is another
/// tab's refresh refused (`invalid_grant`, [`Session::after_refresh_token_refused`]):
/// [`UnderLock::RefusedElsewhere`].
pub fn under_lock(held: Option<&Session>, stored: Option<Session>, now: i64) -> UnderLock {
    match stored {
        None => UnderLock::SignedOutElsewhere,
        Some(stored) if held.is_some_and(|held| held.is_same(&stored)) => {
            UnderLock::Refresh(stored)
        }
        // Changed at the same time, by nothing but the loss of the refresh token.
        Some(stored)
            if stored.refresh_token.is_none()
                && held.is_some_and(|held| {
                    held.has_refresh_token()
                        && held.updated_at == stored.updated_at
                        && held.access_token.ct_eq(&stored.access_token)
                }) =>
        {
            UnderLock::RefusedElsewhere(stored)
        }
        Some(stored) if stored.is_due(now) => UnderLock::Refresh(stored),
        Some(stored) => UnderLock::AlreadyRefreshed(stored),
    }
}

/// Whether a tab takes the session another tab `stored` (it announced a new one): only when this
/// tab's own session did not change while it read (`before` and `after` the read, the same), and
/// the stored one differs from it. Otherwise what was read may be older than what it holds.
pub fn take_other_tab_session(
    before: Option<&Session>,
    after: Option<&Session>,
    stored: &Session,
    ended_ms: Option<i64>,
) -> bool {
    let unchanged_here = match (before, after) {
        (Some(a), Some(b)) => a.is_same(b),
        (None, None) => true,
        _ => false,
    };
    // A copy of a sign-in that ended here (`ended_ms`: the sign-in time of the latest session that
    // ended in this tab) is that session, renewed or not: a refresh that raced the sign-out
    // stored it, or the sign-out could not remove it.
    let ended = ended_ms.is_some_and(|end| stored.created_ms() <= end);
    unchanged_here && !ended && !before.is_some_and(|b| b.is_same(stored))
}

/// Whether the session a refresh renewed may be stored. Not when the user signed out, in this tab
/// or another, while the refresh was under way: storing it would sign them back in everywhere.
pub fn store_renewed(signed_out_meanwhile: bool) -> Result<(), Error> {
    if signed_out_meanwhile {
        Err(Error::NoSession(
            "signed out while the refresh was under way",
        ))
    } else {
        Ok(())
    }
}
