//! RP-Initiated Logout 1.0 in the machine: the end-session URL with its stored state (§2), the
//! sign-out here and in every tab before the page leaves, and the check of the return (§3).

use super::{Answer, Area, Command, Machine, OpId, Outcome, Purpose, Task, TaskId};
use crate::core::config::LogoutOptions;
use crate::core::flow::logout::LogoutFlow;
use crate::core::revocation;
use crate::core::stored;

/// A logout call under way.
#[derive(Debug)]
pub(super) struct Logout {
    /// The operation.
    pub(super) op: OpId,
    stage: Stage,
}

enum Stage {
    /// Storing the logout's state; then `redirect` or hand out the URL.
    WritingTx { url: String, redirect: bool },
    /// Removing the shared session, committed before the page unloads (which would abort a
    /// pending IndexedDB write).
    RemovingShared { url: Option<String> },
    /// Revoking the tokens, one request at a time (RFC 7009); `left` the requests to come.
    /// `url`: where the page goes after (the OP's logout, or a local page; none: it stays).
    Revoking {
        url: Option<String>,
        left: Vec<crate::core::flow::HttpRequest>,
    },
    /// Reading the stored state for the return.
    Reading { url: String },
}

/// The stage's name only: its end-session URL carries the raw ID token as `id_token_hint`, and a
/// Rust front end may log the machine whole.
impl core::fmt::Debug for Stage {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Stage::WritingTx { .. } => "WritingTx",
            Stage::RemovingShared { .. } => "RemovingShared",
            Stage::Revoking { .. } => "Revoking",
            Stage::Reading { .. } => "Reading",
        })
    }
}

impl Machine {
    /// `signoutUrl` (`redirect: false`) and `signoutRedirect`. An OP without an
    /// `end_session_endpoint` (RP-Initiated Logout is optional for it, §2) still gets the local
    /// sign-out from `signoutRedirect`, with its revocations; the page then goes to the
    /// post-logout redirect URI, if there is one.
    pub(super) fn signout(&mut self, op: OpId, options: LogoutOptions, redirect: bool, now: i64) {
        // A second `signoutRedirect` while one leaves (a double click) leaves it to that one: a
        // second state, stored without the hint of the session the first one ended, would
        // replace the first's, whose return would then fail the state check (§3).
        if redirect {
            for (_, task) in &self.tasks {
                if let Task::Logout(Logout {
                    stage:
                        Stage::Revoking { .. }
                        | Stage::RemovingShared { .. }
                        | Stage::WritingTx { redirect: true, .. },
                    ..
                }) = task
                {
                    return self.done(op, Ok(Outcome::Nothing));
                }
            }
        }
        let no_endpoint = self
            .metadata
            .as_ref()
            .is_some_and(|m| m.end_session_endpoint.is_none());
        if redirect && no_endpoint {
            let url = options
                .post_logout_redirect_uri
                .or_else(|| self.config.post_logout_redirect_uri.clone());
            // Not in the task table until a request waits on it, as after an answer.
            let task = self.new_task_id();
            return self.start_revoking(task, op, url, now);
        }
        let state = match self.random_token() {
            Ok(state) => state,
            Err(e) => return self.done(op, Err(e)),
        };
        let built = match self.discovered() {
            Ok(metadata) => options
                .to_request(&self.config, self.session.as_ref())
                .build_with_state(metadata, super::secs(now), state),
            Err(e) => Err(e),
        };
        let (url, tx) = match built {
            Ok(built) => built,
            Err(e) => return self.done(op, Err(e)),
        };
        let stage = Stage::WritingTx { url, redirect };
        let task = self.add_task(Task::Logout(Logout { op, stage }));
        let key = self.logout_key();
        let value = stored::logout_to_text(&tx);
        self.io(
            task,
            Purpose::Saved,
            Command::Write {
                area: Area::Session,
                key,
                value,
            },
        );
    }

    /// `handleSignoutCallback`.
    pub(super) fn handle_signout_callback(&mut self, op: OpId, url: String) {
        if let Some((done, state)) = &self.signout_returned {
            if *done == url {
                let state = state.clone();
                return self.done(op, Ok(Outcome::SignedOut(state)));
            }
        }
        let task = self.add_task(Task::Logout(Logout {
            op,
            stage: Stage::Reading { url },
        }));
        let key = self.logout_key();
        self.io(
            task,
            Purpose::Logout,
            Command::Read {
                area: Area::Session,
                key,
            },
        );
    }

    pub(super) fn on_logout_answer(
        &mut self,
        task: TaskId,
        logout: Logout,
        answer: Answer,
        now: i64,
    ) {
        let Logout { op, stage } = logout;
        match (stage, answer) {
            // The OP's return could not be checked without its state: the page stays and the
            // call fails; but the user asked to sign out, here and in every tab.
            (Stage::WritingTx { redirect, .. }, Answer::Written(Err(e))) => {
                if redirect {
                    self.sign_out("signout", now);
                }
                self.done(op, Err(e))
            }
            (
                Stage::WritingTx {
                    url,
                    redirect: false,
                },
                Answer::Written(Ok(())),
            ) => self.done(op, Ok(Outcome::Url(url))),
            (
                Stage::WritingTx {
                    url,
                    redirect: true,
                },
                Answer::Written(Ok(())),
            ) => self.start_revoking(task, op, Some(url), now),
            // Whatever the OP answered, or at the request's deadline: on to the next.
            (Stage::Revoking { url, left }, Answer::Http(_)) => {
                self.revoke_next(task, op, url, left)
            }
            // Whether or not the removal worked, the user asked to sign out.
            (Stage::RemovingShared { url }, Answer::Written(_)) => self.leave_for_logout(op, url),
            // The pending logout is spent by the return that matches it (a stray `?state=` leaves
            // it), and lives as long as a sign-in's transaction; the same return handled again in
            // this page (React StrictMode runs effects twice) ends as the first did.
            (Stage::Reading { url }, Answer::Read(read)) => {
                let tx = read
                    .as_ref()
                    .ok()
                    .and_then(|text| text.as_deref().and_then(stored::logout_from_text));
                let stale = tx.as_ref().is_some_and(|tx| {
                    tx.is_expired(
                        super::secs(now),
                        crate::core::authorize::TRANSACTION_LIFETIME,
                    )
                });
                let result =
                    read.and_then(|_| LogoutFlow::finish(&url, tx.as_ref().filter(|_| !stale)));
                if result.is_ok() || stale {
                    let key = self.logout_key();
                    self.emit_io(Command::Remove {
                        area: Area::Session,
                        key,
                    });
                }
                if let Ok(state) = &result {
                    self.signout_returned = Some((url, state.clone()));
                }
                self.done(op, result.map(Outcome::SignedOut));
            }
            (stage, _) => self.put_task(task, Task::Logout(Logout { op, stage })),
        }
    }

    /// The revocations of the session's tokens (when on), then the sign-out, then `url`.
    fn start_revoking(&mut self, task: TaskId, op: OpId, url: Option<String>, now: i64) {
        let left = self.revocations(self.session.as_ref());
        // Signed out before the revocations go: a refresh started while they are out would get
        // a new refresh token that nothing revokes (RFC 7009 §2.1).
        self.sign_out("signout", now);
        self.revoke_next(task, op, url, left);
    }

    /// Revokes `session`'s tokens (when revocation is on) without waiting for the answers.
    #[inline(never)]
    pub(super) fn revoke_in_background(&mut self, session: &crate::core::session::Session) {
        let mut left = self.revocations(Some(session));
        while let Some(request) = left.pop() {
            self.emit_io(Command::Fetch(request));
        }
    }

    /// The revocation requests of `session`'s tokens (RFC 7009 §2.1), when revocation is on.
    fn revocations(
        &self,
        session: Option<&crate::core::session::Session>,
    ) -> Vec<crate::core::flow::HttpRequest> {
        match (&self.ext.revocation_endpoint, session) {
            (Some(endpoint), Some(session))
                if revocation::enabled(self.config.revoke_tokens_on_signout, Some(endpoint)) =>
            {
                revocation::requests(
                    endpoint,
                    &self.config.client_id,
                    session,
                    self.config.request_timeout_ms,
                )
            }
            _ => Vec::new(),
        }
    }

    /// The next revocation request, or once none is left, the sign-out.
    fn revoke_next(
        &mut self,
        task: TaskId,
        op: OpId,
        url: Option<String>,
        mut left: Vec<crate::core::flow::HttpRequest>,
    ) {
        if left.is_empty() {
            return self.after_revocation(task, op, url);
        }
        // `revocation::requests` makes at most two, so taking the first by `swap_remove` leaves
        // the other where `remove` would (without `remove`'s own code in the wasm).
        let request = left.swap_remove(0);
        let stage = Stage::Revoking { url, left };
        self.put_task(task, Task::Logout(Logout { op, stage }));
        self.io(task, Purpose::Revoke, Command::Fetch(request));
    }

    /// `sign_out_locally`: signed out here and in every tab, settled once the shared copy's
    /// removal is committed (an app may reload next, and a page unload aborts a pending IndexedDB
    /// transaction: a copy left there would come back as a session in the next catch-up).
    pub(super) fn sign_out_locally(&mut self, op: OpId, now: i64) {
        self.sign_out("signout", now);
        let task = self.new_task_id();
        self.after_revocation(task, op, None);
    }

    /// The shared session removed (committed), then the page leaves.
    fn after_revocation(&mut self, task: TaskId, op: OpId, url: Option<String>) {
        if self.shared() {
            let key = self.session_key();
            let stage = Stage::RemovingShared { url };
            self.put_task(task, Task::Logout(Logout { op, stage }));
            self.io(
                task,
                Purpose::Saved,
                Command::Remove {
                    area: Area::Shared,
                    key,
                },
            );
        } else {
            self.leave_for_logout(op, url);
        }
    }

    /// Sends the page to `url` (the OP's logout, or the post-logout page when the OP has none),
    /// signed out here and in every tab already.
    fn leave_for_logout(&mut self, op: OpId, url: Option<String>) {
        if let Some(url) = url {
            self.emit_io(Command::Navigate { url });
        }
        self.done(op, Ok(Outcome::Nothing));
    }
}
