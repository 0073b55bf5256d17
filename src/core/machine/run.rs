//! Running a flow inside the machine: each [`Need`] of a step becomes a command (or is answered
//! at once from the machine's JWK Set), the answers are collected in the order of the needs, and
//! the flow advances once all are in.
//!
//! A request that missed its deadline is not asked again within the same run: a JWK Set that
//! timed out while the token request ran is answered `timeout` when the signature step asks for
//! it, so a hung OP costs one deadline, not two.

use super::{Answer, Command, Machine, Purpose, TaskId};
use crate::core::flow::code::{CodeFlow, SignedIn};
use crate::core::flow::refresh::{RefreshFailure, RefreshFlow};
use crate::core::flow::{self, HttpRequest, Method, Need, Step};
use crate::core::jwks::JwkSet;
use crate::core::secret::AccessToken;
use crate::core::session::Session;
use crate::error::{Error, CODE_DPOP_KEY_CHANGED};

/// A flow under way.
#[derive(Debug)]
pub(super) enum Running {
    /// The code flow of a sign-in.
    Code(Box<CodeFlow>),
    /// A refresh.
    Refresh(Box<RefreshFlow>),
}

/// How a flow ended.
#[derive(Debug)]
pub(super) enum Ended {
    /// The code flow's result.
    Code(Result<SignedIn, Error>),
    /// The refresh flow's result.
    Refresh(Result<Session, RefreshFailure>),
}

/// A step of either flow.
pub(super) enum Stepped {
    /// Of the code flow.
    Code(Step<SignedIn>),
    /// Of the refresh flow.
    Refresh(Step<Session, RefreshFailure>),
}

/// A flow and the answers collected for its current step.
#[derive(Debug)]
pub(super) struct FlowRun {
    running: Running,
    /// One per need of the current step.
    slots: Vec<Slot>,
    /// URLs whose request missed its deadline in this run.
    timed_out: Vec<String>,
    /// See [`FlowRun::signed_with`].
    #[cfg(feature = "dpop")]
    pub(super) signed_with: Option<String>,
}

/// What the run holds for one need of its current step.
#[derive(Debug, Default)]
pub(super) struct Slot {
    /// Its answer, once in.
    answer: Option<flow::Answer>,
    /// The URL of its request, where it has one.
    url: Option<String>,
    /// The token request waiting for its DPoP proof, or sent with one.
    #[cfg(feature = "dpop")]
    pub(super) proof: Option<super::dpop::Proofed>,
}

impl FlowRun {
    pub(super) fn new(running: Running) -> Self {
        FlowRun {
            running,
            slots: Vec::new(),
            timed_out: Vec::new(),
            #[cfg(feature = "dpop")]
            signed_with: None,
        }
    }

    /// The thumbprint of the DPoP key whose proof was answered last: in a code flow, whose only
    /// proofed request is the token request, the key its tokens are bound to (RFC 9449 §5).
    pub(super) fn signed_with(&self) -> Option<&str> {
        #[cfg(feature = "dpop")]
        return self.signed_with.as_deref();
        #[cfg(not(feature = "dpop"))]
        None
    }

    /// The slot of need `index` of the current step.
    pub(super) fn slot(&mut self, index: usize) -> Option<&mut Slot> {
        self.slots.get_mut(index)
    }

    fn set_url(&mut self, index: usize, url: &str) {
        if let Some(slot) = self.slot(index) {
            slot.url = Some(url.to_owned());
        }
    }

    /// The flow under way.
    pub(super) fn running(&self) -> &Running {
        &self.running
    }
}

/// The DPoP-bound access token `run`'s pending request presents to a resource (UserInfo), whose
/// proof carries its `ath`; `None` for a token request.
pub(super) fn bound_token(run: &FlowRun) -> Option<&AccessToken> {
    match run.running() {
        Running::Refresh(flow) => flow.userinfo_bound_token(),
        Running::Code(_) => None,
    }
}

impl Machine {
    /// Performs `step` of `run` for `task`: emits its needs, or returns how the flow ended.
    /// Needs answered at once (a cached JWK Set) advance the flow here.
    pub(super) fn drive(
        &mut self,
        task: TaskId,
        run: &mut FlowRun,
        mut step: Stepped,
        now: i64,
    ) -> Option<Ended> {
        loop {
            let needs = match step {
                Stepped::Code(Step::Done(result)) => return Some(Ended::Code(result)),
                Stepped::Refresh(Step::Done(result)) => return Some(Ended::Refresh(result)),
                Stepped::Code(Step::Need(needs)) | Stepped::Refresh(Step::Need(needs)) => needs,
            };
            run.slots.clear();
            for _ in &needs {
                run.slots.push(Slot::default());
            }
            for (index, need) in needs.into_iter().enumerate() {
                let at_once = match need {
                    Need::JwkSet {
                        mut request,
                        refetch,
                    } => {
                        if let (false, Some(body)) = (refetch, &self.jwks) {
                            let mut keys = JwkSet::parse(body);
                            if let Ok(keys) = &mut keys {
                                keys.cached = true;
                            }
                            Some(flow::Answer::JwkSet(keys))
                        } else if run.timed_out.contains(&request.url) {
                            Some(flow::Answer::JwkSet(Err(Error::Timeout)))
                        } else {
                            run.set_url(index, &request.url);
                            request.no_cache = refetch;
                            let jwks = Purpose::Need { index, jwks: true };
                            self.io(task, jwks, Command::Fetch(request));
                            None
                        }
                    }
                    Need::Http(request) if self.is_token_request(&request) => {
                        run.set_url(index, &request.url);
                        self.send_token_request(task, run, index, request, now)
                    }
                    // A DPoP-bound token to another endpoint (UserInfo): with its proof.
                    Need::Http(request) if self.dpop.is_some() && bound_token(run).is_some() => {
                        run.set_url(index, &request.url);
                        self.send_with_proof(task, run, index, request, now)
                    }
                    Need::Http(request) => {
                        run.set_url(index, &request.url);
                        let need = Purpose::Need { index, jwks: false };
                        self.io(task, need, Command::Fetch(request));
                        None
                    }
                    Need::Verify(check) => {
                        let need = Purpose::Need { index, jwks: false };
                        self.io(task, need, Command::Verify(check));
                        None
                    }
                    Need::Digest { hash, access_token } => {
                        let need = Purpose::Need { index, jwks: false };
                        self.io(task, need, Command::Digest { hash, access_token });
                        None
                    }
                };
                if let (Some(answer), Some(slot)) = (at_once, run.slot(index)) {
                    slot.answer = Some(answer);
                }
            }
            match self.advance_if_complete(run, now) {
                Some(next) => step = next,
                None => return None,
            }
        }
    }

    /// Takes the answer to need `index` of `run`; returns how the flow ended, if it did.
    pub(super) fn flow_answer(
        &mut self,
        task: TaskId,
        run: &mut FlowRun,
        index: usize,
        jwks: bool,
        answer: Answer,
        now: i64,
    ) -> Option<Ended> {
        // None: a proof was signed and its request sent, or a request sent again with a nonce.
        let answer = self.token_answer(task, run, index, answer, now)?;
        let answer = match (answer, jwks) {
            (Answer::Http(response), true) => {
                flow::Answer::JwkSet(fetched_keys(response, &mut self.jwks))
            }
            (Answer::Http(response), false) => flow::Answer::Http(response),
            (Answer::Verified(result), _) => flow::Answer::Verified(result),
            (Answer::Digest(result), _) => flow::Answer::Digest(result),
            // Not an answer a flow asked for: the flow refuses it as out of order.
            (_, _) => flow::Answer::Verified(Err(Error::Timeout)),
        };
        let timed_out = match &answer {
            flow::Answer::Http(Err(Error::Timeout)) | flow::Answer::JwkSet(Err(Error::Timeout)) => {
                run.slot(index).and_then(|slot| slot.url.clone())
            }
            _ => None,
        };
        if let Some(url) = timed_out {
            run.timed_out.push(url);
        }
        if let Some(slot) = run.slot(index) {
            slot.answer = Some(answer);
        }
        let step = self.advance_if_complete(run, now)?;
        self.drive(task, run, step, now)
    }

    /// Whether `request` goes to the token endpoint.
    fn is_token_request(&self, request: &HttpRequest) -> bool {
        request.method == Method::Post
            && self
                .metadata
                .as_ref()
                .is_some_and(|m| m.token_endpoint == request.url)
    }

    /// Sends a flow's token request: with the resource indicators (RFC 8707 §2.2), and with
    /// `dpop` on, once its proof is signed. A refresh token bound to a DPoP key (RFC 9449 §5)
    /// other than the one held (or sent without DPoP) is never sent: answered at once with
    /// [`CODE_DPOP_KEY_CHANGED`].
    fn send_token_request(
        &mut self,
        task: TaskId,
        run: &mut FlowRun,
        index: usize,
        mut request: HttpRequest,
        now: i64,
    ) -> Option<flow::Answer> {
        let (resource, bound) = match run.running() {
            Running::Code(flow) => (&flow.transaction().resource, None),
            // The sign-in's resources (RFC 8707 §2.2), or the configuration's for a session
            // stored before sessions kept them.
            Running::Refresh(flow) => {
                let session = flow.current();
                let resource = match session.resource.is_empty() {
                    true => &self.config.resource,
                    false => &session.resource,
                };
                (resource, session.dpop_jkt.as_ref())
            }
        };
        if let Some(body) = &mut request.body {
            for uri in resource {
                let pair = crate::core::form::Form::new()
                    .pair("resource", uri)
                    .finish();
                body.push('&');
                body.push_str(&pair);
            }
        }
        if bound.is_some() && bound != self.dpop_jkt().as_ref() {
            return Some(flow::Answer::Http(Err(Error::Dpop(CODE_DPOP_KEY_CHANGED))));
        }
        if self.dpop.is_none() {
            let need = Purpose::Need { index, jwks: false };
            self.io(task, need, Command::Fetch(request));
            return None;
        }
        self.send_with_proof(task, run, index, request, now)
    }

    /// Advances `run` once every need of its step is answered.
    fn advance_if_complete(&mut self, run: &mut FlowRun, now: i64) -> Option<Stepped> {
        if run.slots.iter().any(|slot| slot.answer.is_none()) {
            return None;
        }
        let mut answers = Vec::new();
        for slot in &mut run.slots {
            if let Some(answer) = slot.answer.take() {
                answers.push(answer);
            }
        }
        let now = super::secs(now);
        Some(match &mut run.running {
            Running::Code(flow) => Stepped::Code(flow.advance(answers, now)),
            Running::Refresh(flow) => Stepped::Refresh(flow.advance(answers, now)),
        })
    }
}

/// The JWK Set of `response`; its body kept in `cache` when it parsed.
#[inline(never)]
fn fetched_keys(
    response: Result<crate::core::flow::HttpResponse, Error>,
    cache: &mut Option<String>,
) -> Result<JwkSet, Error> {
    let response = response?;
    let keys = JwkSet::from_http(response.status, &response.body);
    if keys.is_ok() {
        *cache = Some(response.body);
    }
    keys
}
