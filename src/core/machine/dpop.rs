//! DPoP in the machine (RFC 9449): the key's life (loaded or generated at `create`, replaced on
//! sign-out), a proof on every token request, the one retry with a server's nonce, the binding
//! checks, and the resource indicators (RFC 8707) every token request repeats.
//!
//! The pump holds the key pair as non-extractable `CryptoKey`s and signs what it is asked to;
//! which request gets which proof, when a nonce is used, and what a response means are decided
//! here.
//!
//! Feature `dpop`. Without it `dpop_off.rs` stands in: the same methods, with [`DpopState`]
//! uninhabited, so that the machine's `Option<DpopState>` is always `None` and the compiler drops
//! every branch that holds one; [`Proofed`] and [`ProofJob`], and the slot and task that hold
//! them, do not exist there.

use super::io::ResourceHeaders;
use super::run::{bound_token, FlowRun};
use super::{Answer, Command, Machine, OpId, Outcome, Purpose, Task, TaskId};
use crate::core::discovery_ext::Extensions;
use crate::core::dpop::{self, Nonces, ProofClaims, PublicKey};
use crate::core::flow::{self, HttpRequest};
use crate::core::secret::AccessToken;
use crate::core::session::Session;
use crate::error::{Error, CODE_DPOP_KEY_CHANGED};

/// The tab message of a tab whose sign-out replaced the key, once the new one is stored: the
/// other tabs take it, so that the next sign-in in any of them is bound to the key that every page
/// of the origin loads (§10: a code bound by `dpop_jkt` is only exchanged with that key's proof).
const NEW_KEY: &str = "newKey";

/// The DPoP state of a machine whose configuration says `dpop: true`.
#[derive(Debug, Default)]
pub(super) struct DpopState {
    /// The public half of the key the pump holds, once loaded or generated.
    pub(super) key: Option<PublicKey>,
    /// Secret randomness for the proofs' `jti`, taken at `create`.
    seed: Vec<u8>,
    /// Proofs made so far (the other half of each `jti`).
    counter: u64,
    /// The newest nonce of each server.
    pub(super) nonces: Nonces,
}

/// A token request and its proof under way.
#[derive(Debug)]
pub(super) struct Proofed {
    /// The request without its `DPoP` header.
    request: HttpRequest,
    /// The signing input the pump is signing.
    input: String,
    /// Sent again once already, with the server's nonce.
    retried: bool,
    /// The thumbprint of the key that signed it: a retry must be signed by the same key.
    jkt: Option<String>,
}

/// How the key's set-up at `create` went.
pub(super) enum KeyStep {
    /// More answers to come.
    Pending,
    /// The key is held.
    Ready,
    /// No key could be had.
    Failed(Error),
}

impl Machine {
    /// The name the pump holds and stores the key under: one per issuer and client id.
    pub(super) fn dpop_key_name(&self) -> String {
        self.session_key_and(":dpop")
    }

    /// At `create` (when `dpop` is on), before anything else: the secret seed of every `jti`
    /// (§4.2: unguessable, never repeated), from the call's entropy. Without it `create` fails:
    /// `jti`s would repeat across page loads, and a server that remembers them refuses ours.
    pub(super) fn draw_jti_seed(&mut self) -> Result<(), Error> {
        // 256 bits (one token's worth of the call's entropy).
        let seed = self.random_token()?;
        let state = self.dpop.get_or_insert_with(DpopState::default);
        state.seed = seed.into_bytes();
        Ok(())
    }

    /// At `create` (when `dpop` is on): the stored key, or for `memory` storage a new one for
    /// this page. The answers come back to `task` as `DpopLoad` and `DpopNew`.
    pub(super) fn start_key(&mut self, task: TaskId) {
        let name = self.dpop_key_name();
        if self.session_area().is_some() {
            self.io(task, Purpose::DpopLoad, Command::LoadKey { name });
        } else {
            self.io(task, Purpose::DpopNew, Command::GenerateKey { name });
        }
    }

    /// An answer about the key, for the task that set it up.
    pub(super) fn on_key_answer(
        &mut self,
        task: TaskId,
        purpose: Purpose,
        answer: Answer,
    ) -> KeyStep {
        let Answer::Key(result) = answer else {
            return KeyStep::Pending;
        };
        match (purpose, result) {
            // A stored key: the one the stored session's tokens are bound to.
            (Purpose::DpopLoad, Ok(Some(jwk))) => self.hold_key(&jwk, false),
            // None stored, or the store cannot be read: a new key.
            (Purpose::DpopLoad, _) => {
                let name = self.dpop_key_name();
                self.io(task, Purpose::DpopNew, Command::GenerateKey { name });
                KeyStep::Pending
            }
            (Purpose::DpopNew, Ok(Some(jwk))) => self.hold_key(&jwk, true),
            (_, Err(e)) => KeyStep::Failed(e),
            // Generated, but no key came back.
            _ => KeyStep::Failed(super::crypto_error("no DPoP key")),
        }
    }

    /// Holds the key of `jwk`; a `new` one is stored too (unless `memory`), and the other tabs
    /// told ([`NEW_KEY`]; the pump opens the store's transaction before the message leaves, so a
    /// tab that reads the store on hearing it reads this key).
    fn hold_key(&mut self, jwk: &crate::core::json::Json, new: bool) -> KeyStep {
        match PublicKey::from_jwk(jwk) {
            Ok(key) => {
                if let Some(state) = &mut self.dpop {
                    state.key = Some(key);
                }
                if new && self.session_area().is_some() {
                    let name = self.dpop_key_name();
                    self.emit_io(Command::StoreKey { name });
                    self.broadcast(NEW_KEY, None);
                }
                KeyStep::Ready
            }
            Err(e) => KeyStep::Failed(e),
        }
    }

    /// On sign-out: the key is removed (held and stored) and a new one made for the next
    /// sign-in, so that no token of the ended session can be used with it.
    pub(super) fn replace_key(&mut self) {
        let Some(state) = &mut self.dpop else { return };
        state.key = None;
        state.nonces = Nonces::default();
        let name = self.dpop_key_name();
        self.emit_io(Command::RemoveKey { name: name.clone() });
        let task = self.add_task(Task::DpopKey);
        self.io(task, Purpose::DpopNew, Command::GenerateKey { name });
    }

    /// After taking a session another tab stored: when it is bound to a key other than the one
    /// held (a sign-out there replaced the key, a sign-in bound the new session to the new one),
    /// the stored key is loaded, so that this tab can refresh it and prove its requests (§7.1).
    pub(super) fn follow_key(&mut self, session: &Session) {
        let Some(bound) = &session.dpop_jkt else {
            return;
        };
        let Some(state) = &self.dpop else { return };
        if state.key.as_ref().is_some_and(|key| key.jkt == *bound) {
            return;
        }
        self.load_stored_key();
    }

    /// The answer for [`Task::DpopKey`]; a failure leaves the client without a key (the next
    /// token request fails with it).
    pub(super) fn on_rekey_answer(&mut self, task: TaskId, purpose: Purpose, answer: Answer) {
        // A load that found none generates one: its answer comes to this task too.
        if let KeyStep::Pending = self.on_key_answer(task, purpose, answer) {
            self.put_task(task, Task::DpopKey);
        }
    }

    /// A tab message of `kind`: another tab signed out, which removed the stored key with its
    /// session, or stored a new key ([`NEW_KEY`]). This tab then loads the stored key while it has
    /// no session (a session keeps the key it is bound to): a sign-in here must be bound to the
    /// key a reload finds. None stored (the other tab left before it stored its new one): this
    /// tab makes one, stores it and says so, and the tabs that hear it load it in turn.
    ///
    /// Not while a key task of this tab is under way: its load may be answered after the key it
    /// generates meanwhile is stored, and would hold the older key; the task's own end is the
    /// newest key (it stores what it makes), and news after it loads again.
    pub(super) fn key_news(&mut self, kind: Option<&str>) {
        let news = kind == Some(NEW_KEY) || kind == Some(super::keeper::SIGNED_OUT);
        if !news || self.session.is_some() || self.session_area().is_none() {
            return;
        }
        for (_, task) in &self.tasks {
            if matches!(task, Task::DpopKey) {
                return;
            }
        }
        self.load_stored_key();
    }

    /// Drops the key held and loads the stored one.
    fn load_stored_key(&mut self) {
        let Some(state) = &mut self.dpop else { return };
        state.key = None;
        state.nonces = Nonces::default();
        let name = self.dpop_key_name();
        let task = self.add_task(Task::DpopKey);
        self.io(task, Purpose::DpopLoad, Command::LoadKey { name });
    }

    /// The `dpop_jkt` for an authorization request (§10), when a key is held.
    pub(super) fn dpop_jkt(&self) -> Option<String> {
        self.dpop.as_ref()?.key.as_ref().map(|k| k.jkt.clone())
    }

    /// The signing input of a new proof for `method` `url` (with the server's newest nonce and,
    /// for a resource request, `ath`); `None` without a key.
    pub(super) fn proof_input(
        &mut self,
        method: &str,
        url: &str,
        access_token: Option<&AccessToken>,
        now: i64,
    ) -> Option<String> {
        let state = self.dpop.as_mut()?;
        let key = state.key.as_ref()?;
        state.counter = state.counter.wrapping_add(1);
        let claims = ProofClaims {
            htm: method,
            url,
            iat: super::secs(now),
            jti: dpop::jti(&state.seed, state.counter),
            nonce: state.nonces.get(url),
            access_token,
        };
        Some(dpop::signing_input(key, &claims))
    }

    /// `dpop` needs ES256 among the OP's DPoP algorithms when it lists them (RFC 9449 §5.1).
    pub(super) fn check_dpop_algs(&self, ext: &Extensions) -> Result<(), Error> {
        let es256 = ext
            .dpop_algs
            .as_ref()
            .is_none_or(|algs| crate::core::text::has(algs, dpop::PROOF_ALG));
        if self.config.dpop && !es256 {
            return Err(Error::Unsupported("DPoP with ES256".into()));
        }
        Ok(())
    }

    /// Sends a flow's request once its proof is signed (`dpop` on): a token request (with its
    /// resource indicators already), or a request presenting a DPoP-bound access token
    /// ([`HttpRequest::dpop_bound`]), whose proof carries `ath` (§7.1).
    #[inline(never)]
    pub(super) fn send_with_proof(
        &mut self,
        task: TaskId,
        run: &mut FlowRun,
        index: usize,
        request: HttpRequest,
        now: i64,
    ) -> Option<flow::Answer> {
        let method = http_method(&request);
        let Some(input) = self.proof_input(method, &request.url, bound_token(run), now) else {
            return Some(flow::Answer::Http(Err(super::crypto_error("no DPoP key"))));
        };
        let name = self.dpop_key_name();
        let need = Purpose::Need { index, jwks: false };
        self.io(
            task,
            need,
            Command::Sign {
                name,
                input: input.clone(),
            },
        );
        let jkt = self.dpop_jkt();
        if let Some(slot) = run.slot(index) {
            slot.proof = Some(Proofed {
                request,
                input,
                retried: false,
                jkt,
            });
        }
        None
    }

    /// An answer for need `index` of `run`, seen first here when it is a token request with a
    /// proof: the signature sends the request; a nonce is remembered; `use_dpop_nonce` sends it
    /// once more with the nonce (§8). (A token that is not DPoP-bound is refused by the flow's
    /// token rules, §5.) `None` when the flow has nothing to take yet.
    pub(super) fn token_answer(
        &mut self,
        task: TaskId,
        run: &mut FlowRun,
        index: usize,
        answer: Answer,
        now: i64,
    ) -> Option<Answer> {
        let resource = bound_token(run).is_some();
        let Some(proofed) = run.slot(index).and_then(|slot| slot.proof.as_mut()) else {
            return Some(answer);
        };
        let need = Purpose::Need { index, jwks: false };
        match answer {
            Answer::Signature(signature) => {
                match signature.and_then(|s| dpop::proof(&proofed.input, &s)) {
                    Ok(proof) => {
                        let mut request = proofed.request.clone();
                        request.headers.push(("DPoP", proof));
                        self.io(task, need, Command::Fetch(request));
                        None
                    }
                    Err(e) => Some(Answer::Http(Err(e))),
                }
            }
            Answer::Http(Ok(response)) => {
                let url = proofed.request.url.clone();
                if let (Some(state), Some(nonce)) = (&mut self.dpop, &response.dpop_nonce) {
                    state.nonces.remember(&url, nonce);
                }
                // A nonce demand: the token endpoint's 400 use_dpop_nonce (§8), or a resource
                // server's 401 with a new nonce (§9; its WWW-Authenticate does not reach us).
                let nonce_error = if resource {
                    response.status == 401
                } else {
                    dpop::token_nonce_error(response.status, &response.body)
                };
                let retry = !proofed.retried && response.dpop_nonce.is_some() && nonce_error;
                if retry {
                    proofed.retried = true;
                    // The key went (a sign-out replaced it, another tab's session brought its
                    // own) while the request was out: what was sent is bound to the old one.
                    let sent_with = proofed.jkt.clone();
                    let key_changed = Some(Answer::Http(Err(Error::Dpop(CODE_DPOP_KEY_CHANGED))));
                    if sent_with != self.dpop_jkt() {
                        return key_changed;
                    }
                    let method = http_method(&proofed.request);
                    let Some(input) = self.proof_input(method, &url, bound_token(run), now) else {
                        return key_changed;
                    };
                    if let Some(proofed) = run.slot(index).and_then(|slot| slot.proof.as_mut()) {
                        proofed.input = input.clone();
                    }
                    let name = self.dpop_key_name();
                    self.io(task, need, Command::Sign { name, input });
                    return None;
                }
                // The tokens are bound to the key that signed this request (§5), whichever the
                // client holds by the time the flow ends: the sign-in compares the two.
                run.signed_with = proofed.jkt.clone();
                // Whether a token response's tokens are bound is the flow's check (its token
                // rules), which a refresh makes after keeping the rotated refresh token.
                Some(Answer::Http(Ok(response)))
            }
            other => Some(other),
        }
    }
}

/// `htm` of a flow's request.
fn http_method(request: &HttpRequest) -> &'static str {
    match request.method {
        flow::Method::Get => "GET",
        flow::Method::Post => "POST",
    }
}

/// A proof being signed for an operation (`client.fetch`, `client.dpopProof`).
#[derive(Debug)]
pub(super) struct ProofJob {
    /// The operation.
    op: OpId,
    input: String,
    /// For `client.fetch`: the token for the `Authorization` header; `None` for a bare proof.
    token: Option<AccessToken>,
}

impl ProofJob {
    /// The operation the proof is for.
    pub(super) fn op(&self) -> OpId {
        self.op
    }
}

impl Machine {
    /// Signs a proof for `method` `url` for operation `op`, with `ath` of `ath` (RFC 9449
    /// §4.2). `header_token`: the token the outcome's `Authorization` header carries
    /// (`client.fetch`); `None` for a bare proof.
    pub(super) fn sign_for(
        &mut self,
        op: OpId,
        method: &str,
        url: &str,
        ath: Option<&AccessToken>,
        header_token: Option<AccessToken>,
        now: i64,
    ) {
        let Some(input) = self.proof_input(method, url, ath, now) else {
            return self.done(op, Err(super::resource::no_key()));
        };
        let task = self.add_task(Task::Proof(ProofJob {
            op,
            input: input.clone(),
            token: header_token,
        }));
        let name = self.dpop_key_name();
        self.io(task, Purpose::Proof, Command::Sign { name, input });
    }

    /// A resource server's answer to a request with a proof: its nonce remembered; whether to
    /// send it once more with the nonce (a `use_dpop_nonce` challenge, §9).
    pub(super) fn resource_retry(
        &mut self,
        url: &str,
        status: u16,
        www_authenticate: Option<&str>,
        nonce: Option<&str>,
    ) -> bool {
        let (Some(state), Some(nonce)) = (&mut self.dpop, nonce) else {
            return false;
        };
        state.nonces.remember(url, nonce);
        dpop::resource_nonce_error(status, www_authenticate)
    }

    /// The signature of a [`ProofJob`].
    pub(super) fn on_proof_answer(&mut self, job: ProofJob, answer: Answer) {
        let proof = match answer {
            Answer::Signature(signature) => signature.and_then(|s| dpop::proof(&job.input, &s)),
            _ => Err(super::crypto_error(dpop::NO_SIGNATURE)),
        };
        // Matched where it is, not moved through a `map` closure.
        let outcome = match (proof, job.token) {
            (Ok(proof), Some(token)) => Outcome::Headers(Some(ResourceHeaders {
                authorization: crate::core::text::cat(&["DPoP ", token.expose()]),
                dpop: Some(proof),
            })),
            (Ok(proof), None) => Outcome::Proof(proof),
            (Err(e), _) => return self.done(job.op, Err(e)),
        };
        self.done(job.op, Ok(outcome));
    }
}
