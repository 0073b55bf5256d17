//! Requests to resource servers (`client.fetch`, `client.dpopProof`): which token, which
//! scheme, which proof (RFC 9449 §7: `ath`, the server's nonce), and the one retry on a
//! `use_dpop_nonce` challenge (§9). The pump sends the app's request with the headers given
//! and reports the answer's status and headers; it decides nothing.
//!
//! The proofs themselves are `dpop`'s (feature `dpop`): `sign_for`, `resource_retry` and the
//! signature's answer.

use super::refresh::Waiter;
use super::{Machine, OpId, Outcome};
use crate::core::flow::access::{self, AccessDecision};
use crate::core::machine::io::ResourceHeaders;
use crate::core::secret::AccessToken;
use crate::core::token::TokenType;
use crate::error::{Error, CODE_DPOP_KEY_CHANGED};

/// The failure of a proof asked for without a key: DPoP is off, or its key is not ready.
pub(super) fn no_key() -> Error {
    Error::config("dpop", "DPoP is off, or its key is not ready")
}

impl Machine {
    /// `Call::ResourceHeaders`: a valid access token (refreshed first when near expiry), then
    /// its headers.
    pub(super) fn resource_headers(&mut self, op: OpId, method: String, url: String, now: i64) {
        match access::decide(self.session.as_ref(), super::secs(now)) {
            AccessDecision::Use(token) => self.headers_for(op, &method, &url, token, now),
            AccessDecision::Fail(e) => self.done(op, Err(e)),
            AccessDecision::Refresh { .. } => {
                self.join_refresh(Waiter::Resource { op, method, url }, now)
            }
        }
    }

    /// The headers for `token`: `Bearer`, or `DPoP` with a proof once it is signed.
    pub(super) fn headers_for(
        &mut self,
        op: OpId,
        method: &str,
        url: &str,
        token: AccessToken,
        now: i64,
    ) {
        let bound = self
            .session
            .as_ref()
            .and_then(|s| (s.token_type == TokenType::DPoP).then(|| s.dpop_jkt.clone()));
        let Some(jkt) = bound else {
            let authorization = crate::core::text::cat(&["Bearer ", token.expose()]);
            let headers = ResourceHeaders {
                authorization,
                dpop: None,
            };
            return self.done(op, Ok(Outcome::Headers(Some(headers))));
        };
        // A token bound to a key this client no longer holds cannot be presented.
        if jkt.is_some() && jkt != self.dpop_jkt() {
            return self.done(op, Err(Error::Dpop(CODE_DPOP_KEY_CHANGED)));
        }
        self.sign_for(op, method, url, Some(&token), Some(token.clone()), now);
    }

    /// `Call::DpopProof`: a proof for the app's own HTTP client, with `ath` of a DPoP-bound
    /// access token.
    pub(super) fn dpop_proof(&mut self, op: OpId, method: &str, url: &str, now: i64) {
        let token = self
            .session
            .as_ref()
            .filter(|s| s.token_type == TokenType::DPoP)
            .map(|s| s.access_token.clone());
        self.sign_for(op, method, url, token.as_ref(), None, now);
    }

    /// `Call::ResourceAnswer`: the nonce remembered; one retry on `use_dpop_nonce` with a
    /// nonce (§9), with the same token.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn resource_answer(
        &mut self,
        op: OpId,
        method: &str,
        url: &str,
        status: u16,
        www_authenticate: Option<&str>,
        nonce: Option<&str>,
        retried: bool,
        now: i64,
    ) {
        let retry = self.resource_retry(url, status, www_authenticate, nonce) && !retried;
        match self.session.as_ref().map(|s| s.access_token.clone()) {
            Some(token) if retry => self.headers_for(op, method, url, token, now),
            _ => self.done(op, Ok(Outcome::Headers(None))),
        }
    }
}
