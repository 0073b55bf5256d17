//! The machine without DPoP (built without feature `dpop`: the npm package's base wasm, which a
//! page without DPoP loads). It stands in for `dpop.rs` with the same names: the DPoP state is
//! an uninhabited type, so the machine's `Option<DpopState>` is always `None` and the compiler
//! drops every branch that would hold one; the key and proof tasks, the key and signing
//! commands and their answers do not exist in this build. A configuration with `dpop: true`
//! never gets here: `ClientConfig::validate` refuses it (`invalid_config`).

use super::run::FlowRun;
use super::{Answer, Machine, OpId, TaskId};
use crate::core::discovery_ext::Extensions;
use crate::core::flow::{self, HttpRequest};
use crate::core::secret::AccessToken;
use crate::core::session::Session;
use crate::error::Error;

/// DPoP's key and nonces: none in this build.
#[derive(Debug)]
pub(super) enum DpopState {}

impl Machine {
    /// No key: no `dpop_jkt`.
    pub(super) fn dpop_jkt(&self) -> Option<String> {
        None
    }

    /// No `jti` to seed (`dpop` is refused by the configuration's check).
    pub(super) fn draw_jti_seed(&mut self) -> Result<(), Error> {
        Ok(())
    }

    /// Nothing to set up (`dpop` is refused by the configuration's check).
    pub(super) fn start_key(&mut self, _task: TaskId) {}

    /// No key to replace.
    pub(super) fn replace_key(&mut self) {}

    /// No key to follow.
    pub(super) fn follow_key(&mut self, _session: &Session) {}

    /// No tab message about keys.
    pub(super) fn key_news(&mut self, _kind: Option<&str>) {}

    /// Nothing to check of the OP's DPoP algorithms.
    pub(super) fn check_dpop_algs(&self, _ext: &Extensions) -> Result<(), Error> {
        Ok(())
    }

    /// Never called: without a DPoP state every token request is sent as it is.
    pub(super) fn send_with_proof(
        &mut self,
        _task: TaskId,
        _run: &mut FlowRun,
        _index: usize,
        _request: HttpRequest,
        _now: i64,
    ) -> Option<flow::Answer> {
        Some(flow::Answer::Http(Err(super::crypto_error("no DPoP key"))))
    }

    /// No proof is under way: every answer goes to the flow as it is.
    pub(super) fn token_answer(
        &mut self,
        _task: TaskId,
        _run: &mut FlowRun,
        _index: usize,
        answer: Answer,
        _now: i64,
    ) -> Option<Answer> {
        Some(answer)
    }

    /// No proof can be made (`client.dpopProof`, or a DPoP-bound token restored from a store).
    pub(super) fn sign_for(
        &mut self,
        op: OpId,
        _method: &str,
        _url: &str,
        _ath: Option<&AccessToken>,
        _header_token: Option<AccessToken>,
        _now: i64,
    ) {
        self.done(op, Err(super::resource::no_key()));
    }

    /// No nonce to remember, no retry.
    pub(super) fn resource_retry(
        &mut self,
        _url: &str,
        _status: u16,
        _www_authenticate: Option<&str>,
        _nonce: Option<&str>,
    ) -> bool {
        false
    }
}
