//! The authorization code flow after the OP answered (OIDC Core §3.1.2.5 to §3.1.3.7): the
//! response checked against its transaction, the code exchanged at the token endpoint (while the
//! JWK Set is fetched alongside), the ID token's signature and claims validated, the session made.

use crate::core::authorize::Transaction;
use crate::core::config::ClientConfig;
use crate::core::flow::signature::{Checked, Checking, TokenRules, Verified};
use crate::core::flow::{first_two, out_of_order, Answer, HttpRequest, Need, Step};
use crate::core::metadata::ProviderMetadata;
use crate::core::params::ResponseMode;
use crate::core::response::{self, ResponseParams};
use crate::core::session::Session;
use crate::core::token::{self, TokenResponse};

/// A completed sign-in: the new session and the `appState` of the request that started it.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The session.
    pub session: Session,
    /// The request's `appState`.
    pub app_state: Option<crate::core::json::Json>,
}

/// How a completed code flow is announced to the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Announce {
    /// `signedIn`: a sign-in the user took part in (redirect, form_post, popup), or the first
    /// session of this page.
    SignedIn,
    /// `refreshed`: a hidden-iframe sign-in (`prompt=none`) that renewed the session the page
    /// already had.
    Refreshed,
}

impl Announce {
    /// The announcement of a sign-in that was `interactive` (not a hidden iframe), in a page that
    /// `had_session` before it.
    pub fn of(interactive: bool, had_session: bool) -> Announce {
        if interactive || !had_session {
            Announce::SignedIn
        } else {
            Announce::Refreshed
        }
    }
}

/// Where the code flow stands.
#[derive(Debug)]
enum Stage {
    /// Waiting for the token response and the JWK Set, in that order.
    Exchanging,
    /// Waiting on the ID token's signature check.
    Signature(Checking),
    /// Done; further answers are refused.
    Over,
}

/// The code flow from a received authorization response to a session.
#[derive(Debug)]
pub struct CodeFlow {
    tx: Transaction,
    rules: TokenRules,
    stage: Stage,
}

impl CodeFlow {
    /// Starts with the response `params`, how they were `delivered`, and the transaction their
    /// `state` named: checks delivery, `state`, `iss` and errors ([`response`]) and asks for the
    /// token request and the JWK Set together.
    pub fn start(
        params: &ResponseParams,
        delivered: ResponseMode,
        tx: Transaction,
        config: &ClientConfig,
        metadata: &ProviderMetadata,
    ) -> (CodeFlow, Step<SignedIn>) {
        let mut flow = CodeFlow {
            tx,
            rules: TokenRules::new(config, metadata),
            stage: Stage::Over,
        };
        let step = match response::check_delivered_response(params, &flow.tx, metadata, delivered) {
            Err(e) => Step::Done(Err(e)),
            Ok(code) => {
                let body = token::code_exchange_body(
                    &config.client_id,
                    code.code.expose(),
                    &flow.tx.redirect_uri,
                    &flow.tx.code_verifier,
                    None,
                );
                flow.stage = Stage::Exchanging;
                Step::Need(vec![
                    Need::Http(HttpRequest::post_form(
                        metadata.token_endpoint.as_str(),
                        body,
                        config.request_timeout_ms,
                    )),
                    // Fetched alongside so that the signature check need not wait for it; a
                    // failure here only means it is asked for again when the key is needed.
                    Need::JwkSet {
                        request: flow.rules.jwks_request.clone(),
                        refetch: false,
                    },
                ])
            }
        };
        (flow, step)
    }

    /// The transaction this flow completes.
    pub fn transaction(&self) -> &Transaction {
        &self.tx
    }

    /// Takes the answers to the last needs, received at `now`.
    pub fn advance(&mut self, answers: Vec<Answer>, now: i64) -> Step<SignedIn> {
        let stage = std::mem::replace(&mut self.stage, Stage::Over);
        let (first, second) = first_two(answers);
        let checked = match (stage, first, second) {
            (Stage::Exchanging, Some(Answer::Http(http)), Some(Answer::JwkSet(keys))) => {
                match http.and_then(|r| token::parse_token_response(r.status, &r.body)) {
                    Ok(response) => self.rules.check(response, keys.ok()),
                    Err(e) => return Step::Done(Err(e)),
                }
            }
            (Stage::Signature(checking), Some(answer), None) => checking.advance(answer),
            _ => return Step::Done(Err(out_of_order())),
        };
        self.on_signature(checked, now)
    }

    fn on_signature(&mut self, checked: Checked, now: i64) -> Step<SignedIn> {
        match checked {
            Checked::Need(need, checking) => {
                self.stage = Stage::Signature(checking);
                Step::need(need)
            }
            Checked::Verified(response, verified) => self.finish(response, verified, now),
            Checked::Failed(e) => Step::Done(Err(e)),
        }
    }

    /// The claims checked (§3.1.3.7 steps 2-5, 9-13, `at_hash`) and the session made.
    fn finish(
        &mut self,
        response: TokenResponse,
        verified: Option<Box<Verified>>,
        now: i64,
    ) -> Step<SignedIn> {
        // Matched where they are, not moved through `and_then` and `map` closures.
        let token = match self.rules.claims(verified, &response, Some(&self.tx), now) {
            Ok(token) => token,
            Err(e) => return Step::Done(Err(e)),
        };
        let mut session = match Session::from_code_exchange(response, token, &self.tx.scope, now) {
            Ok(session) => session,
            Err(e) => return Step::Done(Err(e)),
        };
        session.resource = std::mem::take(&mut self.tx.resource);
        Step::Done(Ok(SignedIn {
            session,
            app_state: self.tx.app_state.take(),
        }))
    }
}
