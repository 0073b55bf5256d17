//! The refresh flight: one refresh at a time, shared by every caller that asks while it runs
//! (`refresh()`, `getAccessToken()`, a silent sign-in, the `expiring` timer, a wake-up).
//!
//! For a session shared between tabs (`local`), the flight runs under the cross-tab lock: it
//! reads the shared session first and asks [`under_lock`] whether another tab refreshed (take
//! its session instead of replaying a rotated refresh token), signed out, or had the same refresh
//! token refused (`invalid_grant` here too, reason `other_tab`). Without Web Locks it goes on
//! without the lock, as if it held it. The lock is
//! released only once what the flight stored is committed, so the next tab reads it.
//!
//! A failed refresh loses nothing: the session stays as it was, except that a refresh token the
//! OP rotated in is kept ([`RefreshFailure::keep`]). A renewed session is not stored when the
//! user signed out meanwhile, here or in another tab ([`store_renewed`]). When storing the
//! renewed session fails (a full `localStorage`), this tab and the shared copy still keep the
//! rotated refresh token, so the next refresh is no replay.

use super::run::{Ended, FlowRun, Running, Stepped};
use super::{Answer, Area, Command, Event, Machine, OpId, Outcome, Purpose, Queued, Task, TaskId};
use crate::core::config::AuthorizeOptions;
use crate::core::flow::access::{self, AccessDecision};
use crate::core::flow::code::SignedIn;
use crate::core::flow::refresh::{store_renewed, under_lock, RefreshFlow, UnderLock};
use crate::core::flow::silent::SilentPlan;
use crate::core::secret::AccessToken;
use crate::core::session::Session;
use crate::core::stored;
use crate::error::Error;
use std::rc::Rc;

/// Who waits for the flight.
#[derive(Debug)]
pub(super) enum Waiter {
    /// `refresh()`.
    Refresh(OpId),
    /// `getAccessToken()`: if the refresh fails, the current session's token while it lasts.
    Access { op: OpId },
    /// A silent sign-in, which falls back to a hidden iframe on `invalid_grant`.
    Silent {
        op: OpId,
        authorize: Box<AuthorizeOptions>,
    },
    /// `client.fetch`'s headers: if the refresh fails, with the current session's token while
    /// it lasts.
    Resource {
        op: OpId,
        method: String,
        url: String,
    },
    /// The machine itself (the `expiring` timer, a wake-up).
    Timer,
}

/// Where the flight stands.
#[derive(Debug)]
enum Stage {
    /// Waiting for the cross-tab lock.
    Locking,
    /// Reading the shared session under the lock (IndexedDB, then `localStorage`).
    Reading,
    /// The refresh flow runs.
    Running(FlowRun),
    /// The flow renewed the session; reading whether another tab signed out meanwhile.
    CheckingSignedOut(Box<Session>),
    /// Storing the renewed session: its persisted copy, then (`shared`) the shared one.
    Saving { renewed: Box<Session>, shared: bool },
    /// Storing the session to keep after a failure; adopted when stored (or, `salvage`, in any
    /// case), then the flight fails with `error`.
    Keeping {
        kept: Box<Session>,
        error: Error,
        shared: bool,
        salvage: bool,
    },
}

/// The refresh under way.
#[derive(Debug)]
pub(super) struct Flight {
    waiters: Vec<Waiter>,
    /// The cross-tab lock is held, or the browser has no Web Locks and the flight goes on as if
    /// it were (its release then releases nothing).
    pub(super) lock_held: bool,
    /// This tab's session when the flight started.
    held: Option<Session>,
    /// The session the flow refreshes.
    previous: Option<Session>,
    /// The machine's session generation when the flow started.
    generation: u64,
    /// The tab had no session when the flight took the stored one under the lock (it was signed
    /// out meanwhile, and missed the news of a sign-in elsewhere): the outcome is `signedIn`.
    new_to_tab: bool,
    stage: Stage,
}

impl Flight {
    /// Whether the flight finishes after `dispose`: it holds the cross-tab lock (`local`
    /// storage, shared by every client of the origin), so no other client refreshes meanwhile,
    /// and it is past the shared read, so its token request may have reached the OP, which
    /// rotates the refresh token as it answers. (With `session` or `memory` storage no lock
    /// keeps a new client of the same tab from refreshing with the same token at once.)
    pub(super) fn outlives_dispose(&self) -> bool {
        self.lock_held && !matches!(self.stage, Stage::Locking | Stage::Reading)
    }

    /// Lets go of every waiter (they were told `disposed`); the flight goes on for the stores.
    pub(super) fn unwait(&mut self) {
        self.waiters.clear();
    }

    /// Whether `session` comes from the sign-in whose session the flight renews (the one it
    /// started from, or took under the lock); a refresh keeps `created_ms`, a sign-in does not.
    /// A flight that had no session renews none.
    fn renews(&self, session: &Session) -> bool {
        self.previous
            .as_ref()
            .or(self.held.as_ref())
            .is_some_and(|p| p.created_ms() == session.created_ms())
    }

    /// The operations that wait for it.
    pub(super) fn ops(&self) -> Vec<OpId> {
        let mut ops = Vec::new();
        for waiter in &self.waiters {
            match waiter {
                Waiter::Refresh(op)
                | Waiter::Access { op, .. }
                | Waiter::Silent { op, .. }
                | Waiter::Resource { op, .. } => ops.push(*op),
                Waiter::Timer => {}
            }
        }
        ops
    }
}

impl Machine {
    /// `getAccessToken()`: the token, a refresh first, or an error, as [`access::decide`] says.
    pub(super) fn get_access_token(&mut self, op: OpId, now: i64) {
        match access::decide(self.session.as_ref(), super::secs(now)) {
            AccessDecision::Use(token) => self.done(op, Ok(Outcome::AccessToken(token))),
            AccessDecision::Fail(e) => self.done(op, Err(e)),
            AccessDecision::Refresh { .. } => self.join_refresh(Waiter::Access { op }, now),
        }
    }

    /// Joins the flight under way, or starts one.
    pub(super) fn join_refresh(&mut self, waiter: Waiter, now: i64) {
        if let Some(task) = self.flight {
            if let Some(Task::Refresh(flight)) = self.task_mut(task) {
                flight.waiters.push(waiter);
            }
            return;
        }
        let flight = Box::new(Flight {
            waiters: vec![waiter],
            lock_held: false,
            held: self.session.clone(),
            previous: None,
            generation: self.generation,
            new_to_tab: false,
            stage: Stage::Locking,
        });
        let task = self.new_task_id();
        self.flight = Some(task);
        if self.shared() {
            self.put_task(task, Task::Refresh(flight));
            let name = self.lock_name();
            let wait_ms = self.config.lock_wait_ms();
            self.io(
                task,
                Purpose::Lock,
                Command::TakeLock {
                    name,
                    wait_ms,
                    lease_ms: wait_ms,
                },
            );
            return;
        }
        match self.session.clone() {
            Some(current) => self.start_refresh_flow(task, flight, current, now),
            None => {
                let e = Error::NoSession("no session to refresh");
                self.finish_flight(task, flight, Err(e), now)
            }
        }
    }

    fn start_refresh_flow(
        &mut self,
        task: TaskId,
        mut flight: Box<Flight>,
        current: Session,
        now: i64,
    ) {
        let Some(metadata) = &self.metadata else {
            self.finish_flight(task, flight, Err(Error::NoSession("not created")), now);
            return;
        };
        flight.previous = Some(current.clone());
        flight.generation = self.generation;
        let (flow, step) = RefreshFlow::start(current, &self.config, metadata);
        let mut run = FlowRun::new(Running::Refresh(Box::new(flow)));
        match self.drive(task, &mut run, Stepped::Refresh(step), now) {
            Some(ended) => self.refresh_ended(task, flight, ended, now),
            None => {
                flight.stage = Stage::Running(run);
                self.put_task(task, Task::Refresh(flight));
            }
        }
    }

    pub(super) fn on_refresh_answer(
        &mut self,
        task: TaskId,
        mut flight: Box<Flight>,
        purpose: Purpose,
        answer: Answer,
        now: i64,
    ) {
        // Signed out (or signed in anew) while a session was being written (the renewed one, or
        // the one keeping the rotated refresh token): the write must not sign the user back in,
        // here, in other tabs or at the next page load.
        if let (Stage::Saving { shared, .. } | Stage::Keeping { shared, .. }, Answer::Written(_)) =
            (&flight.stage, &answer)
        {
            if self.generation != flight.generation {
                self.unsave(*shared);
                // The OP rotated the refresh token (and issued an access token) that no tab
                // will hold: revoked as the sign-out revoked the others.
                if let Stage::Saving { renewed: s, .. } | Stage::Keeping { kept: s, .. } =
                    &flight.stage
                {
                    let orphan = Session::clone(s);
                    self.revoke_in_background(&orphan);
                }
                let e = Error::NoSession("signed out while the refresh was under way");
                return self.finish_flight(task, flight, Err(e), now);
            }
        }
        let stage = std::mem::replace(&mut flight.stage, Stage::Reading);
        match (stage, purpose, answer) {
            // A browser without Web Locks (Safari before 15.4): the refresh goes on without the
            // lock. The shared read still finds another tab's finished refresh or sign-out; only
            // two refreshes at the same moment can race.
            (Stage::Locking, _, Answer::Lock(Ok(()) | Err(Error::Unsupported(_)))) => {
                flight.lock_held = true;
                self.read_shared_session(task, Purpose::Shared);
                self.put_task(task, Task::Refresh(flight));
            }
            (Stage::Locking, _, Answer::Lock(Err(e))) => {
                self.finish_flight(task, flight, Err(e), now)
            }
            (Stage::Reading, purpose, Answer::Read(read)) => {
                match self.shared_read(task, purpose, read) {
                    None => self.put_task(task, Task::Refresh(flight)),
                    Some(Err(e)) => self.finish_flight(task, flight, Err(e), now),
                    Some(Ok(stored)) => match under_lock(
                        flight.held.as_ref(),
                        self.not_superseded(stored, flight.held.as_ref())
                            .filter(|s| !self.ended_here(s)),
                        super::secs(now),
                    ) {
                        UnderLock::SignedOutElsewhere => {
                            self.drop_session("other_tab");
                            self.arm_timers(now);
                            let e = Error::NoSession("signed out in another tab");
                            self.finish_flight(task, flight, Err(e), now);
                        }
                        UnderLock::AlreadyRefreshed(session) => {
                            flight.new_to_tab = self.session.is_none();
                            self.follow_key(&session);
                            // Taken already (another tab's news, heard while this flight waited
                            // for the lock): not adopted again, so not announced again.
                            if !is_same(self.session.as_ref(), &session) {
                                self.adopt(session.clone());
                            }
                            self.arm_timers(now);
                            self.finish_flight(task, flight, Ok(session), now);
                        }
                        UnderLock::Refresh(session) => {
                            flight.new_to_tab = self.session.is_none();
                            self.follow_key(&session);
                            self.adopt(session.clone());
                            // Its timers, not those of the session it replaced: `expired` (and
                            // the end after a refused refresh token) if this refresh fails.
                            self.arm_timers_refreshing(now);
                            self.start_refresh_flow(task, flight, session, now);
                        }
                        UnderLock::RefusedElsewhere(session) => {
                            self.adopt(session);
                            self.arm_timers(now);
                            let e = crate::core::token::refresh_token_refused_for(
                                crate::error::REASON_OTHER_TAB,
                            );
                            self.finish_flight(task, flight, Err(e), now);
                        }
                    },
                }
            }
            (Stage::Running(mut run), Purpose::Need { index, jwks }, answer) => {
                match self.flow_answer(task, &mut run, index, jwks, answer, now) {
                    Some(ended) => self.refresh_ended(task, flight, ended, now),
                    None => {
                        flight.stage = Stage::Running(run);
                        self.put_task(task, Task::Refresh(flight));
                    }
                }
            }
            (Stage::CheckingSignedOut(renewed), purpose, Answer::Read(read)) => {
                match self.shared_read(task, purpose, read) {
                    None => {
                        flight.stage = Stage::CheckingSignedOut(renewed);
                        self.put_task(task, Task::Refresh(flight));
                    }
                    Some(stored) => {
                        let elsewhere = matches!(stored, Ok(None));
                        // Another tab stored a session other than the one refreshed: a sign-in.
                        let newer = match stored {
                            Ok(Some(stored)) => self
                                .not_superseded(Some(stored), flight.previous.as_ref())
                                .filter(|s| !is_same(flight.previous.as_ref(), s)),
                            _ => None,
                        };
                        self.store_or_refuse(task, flight, *renewed, elsewhere, newer, now);
                    }
                }
            }
            (Stage::Saving { renewed, shared }, _, Answer::Written(result)) => match result {
                Ok(()) if !shared && self.save_shared(task, &renewed) => {
                    flight.stage = Stage::Saving {
                        renewed,
                        shared: true,
                    };
                    self.put_task(task, Task::Refresh(flight));
                }
                Err(e) if !shared => {
                    // Storing failed: the app keeps its session, but this tab and (where it can
                    // still be written) the shared copy hold the refresh token the OP rotated in.
                    let kept = flight
                        .previous
                        .as_ref()
                        .and_then(|p| p.after_refused_refresh(renewed.refresh_token.clone()));
                    match kept {
                        Some(kept) => self.keep(task, flight, kept, e, true, now),
                        None => self.finish_flight(task, flight, Err(e), now),
                    }
                }
                written => {
                    if written.is_err() {
                        // Never the refresh token the OP spent, read from a stale copy.
                        self.drop_shared_copy();
                    }
                    self.adopt((*renewed).clone());
                    self.superseded = None;
                    self.arm_timers(now);
                    self.announce_to_tabs();
                    self.finish_flight(task, flight, Ok(*renewed), now);
                }
            },
            (
                Stage::Keeping {
                    kept,
                    error,
                    shared,
                    salvage,
                },
                _,
                Answer::Written(result),
            ) => {
                let ok = result.is_ok();
                if ok && !shared && !salvage && self.save_shared(task, &kept) {
                    flight.stage = Stage::Keeping {
                        kept,
                        error,
                        shared: true,
                        salvage,
                    };
                    self.put_task(task, Task::Refresh(flight));
                    return;
                }
                if !ok && !shared && !salvage {
                    // The persisted copy could not be written: the shared copy, then adopted
                    // whatever it says.
                    return self.keep(task, flight, *kept, error, true, now);
                }
                if !ok && shared && !salvage {
                    // `localStorage` took it and only IndexedDB refused it: as for a renewed
                    // session, IndexedDB's copy with the spent refresh token goes.
                    self.drop_shared_copy();
                }
                // Adopted even when it could not be stored: the OP has spent the old refresh
                // token, so holding on to it could only replay it.
                let superseded = (!ok || salvage).then(|| flight.previous.clone()).flatten();
                self.adopt_kept(*kept, superseded);
                self.finish_flight(task, flight, Err(error), now);
            }
            (stage, _, _) => {
                flight.stage = stage;
                self.put_task(task, Task::Refresh(flight));
            }
        }
    }

    /// Puts back what the session changed to while a renewed session was written over it: the
    /// current session, or (signed out) none, in the persisted copy and, when it was written
    /// (`shared`), the shared one. Answered by nobody.
    pub(super) fn unsave(&mut self, shared: bool) {
        let key = self.session_key();
        let value = self.session.as_ref().map(stored::session_to_text);
        let areas = [self.session_area(), shared.then_some(Area::Shared)];
        for &area in areas.iter().flatten() {
            let key = key.clone();
            self.emit_io(match &value {
                Some(value) => Command::Write {
                    area,
                    key,
                    value: value.clone(),
                },
                None => Command::Remove { area, key },
            });
        }
    }

    /// Reads the shared session for `task`: IndexedDB, then `localStorage`.
    fn read_shared_session(&mut self, task: TaskId, purpose: Purpose) {
        let area = if matches!(purpose, Purpose::Shared) {
            Area::Shared
        } else {
            Area::Local
        };
        let key = self.session_key();
        self.io(task, purpose, Command::Read { area, key });
    }

    /// The outcome of one step of [`Machine::read_shared_session`]: `None` while the fallback
    /// read is under way.
    pub(super) fn shared_read(
        &mut self,
        task: TaskId,
        purpose: Purpose,
        read: Result<Option<String>, Error>,
    ) -> Option<Result<Option<Session>, Error>> {
        let parsed = read.map(|text| text.as_deref().and_then(stored::session_from_text));
        match (purpose, parsed) {
            (Purpose::Shared, Ok(Some(session))) => Some(Ok(Some(session))),
            (Purpose::Shared, _) => {
                self.read_shared_session(task, Purpose::SharedFallback);
                None
            }
            (_, parsed) => Some(parsed),
        }
    }

    fn refresh_ended(&mut self, task: TaskId, mut flight: Box<Flight>, ended: Ended, now: i64) {
        let Ended::Refresh(result) = ended else {
            self.finish_flight(task, flight, Err(Error::NoSession("not a refresh")), now);
            return;
        };
        match result {
            Ok(renewed) => {
                if self.shared() {
                    flight.stage = Stage::CheckingSignedOut(Box::new(renewed));
                    self.read_shared_session(task, Purpose::Shared);
                    self.put_task(task, Task::Refresh(flight));
                } else {
                    self.store_or_refuse(task, flight, renewed, false, None, now);
                }
            }
            Err(failure) => match failure.keep {
                // Not announced: for the app and the other tabs nothing changed (they read the
                // stored session under the lock before they refresh).
                Some(kept) => self.keep(task, flight, kept, failure.error, false, now),
                None => self.finish_flight(task, flight, Err(failure.error), now),
            },
        }
    }

    /// Stores the renewed session, unless the user signed out meanwhile, or signed in anew
    /// (here, or `newer_elsewhere` in another tab): that session is newer than the one refreshed,
    /// and is kept.
    fn store_or_refuse(
        &mut self,
        task: TaskId,
        mut flight: Box<Flight>,
        renewed: Session,
        signed_out_elsewhere: bool,
        newer_elsewhere: Option<Session>,
        now: i64,
    ) {
        let changed_here = self.generation != flight.generation;
        let signed_out_here = changed_here && self.session.is_none();
        if let Err(e) = store_renewed(signed_out_here || signed_out_elsewhere) {
            // The OP rotated the refresh token and issued an access token that the sign-out's
            // revocations did not name: they are revoked too, in the background.
            self.revoke_in_background(&renewed);
            self.finish_flight(task, flight, Err(e), now);
            return;
        }
        let newer_here = self
            .session
            .clone()
            .filter(|s| changed_here && !is_same(flight.previous.as_ref(), s));
        if let Some(newer) = newer_here.or(newer_elsewhere) {
            if !is_same(self.session.as_ref(), &newer) {
                self.adopt(newer.clone());
                self.arm_timers(now);
            }
            self.finish_flight(task, flight, Ok(newer), now);
            return;
        }
        let shared = !self.save_primary(task, &renewed);
        if shared && !self.save_shared(task, &renewed) {
            // Nothing to write (`memory`).
            self.adopt(renewed.clone());
            self.arm_timers(now);
            self.announce_to_tabs();
            self.finish_flight(task, flight, Ok(renewed), now);
            return;
        }
        flight.stage = Stage::Saving {
            renewed: Box::new(renewed),
            shared,
        };
        self.put_task(task, Task::Refresh(flight));
    }

    /// Stores `kept` (the session with the rotated refresh token), then fails with `error`.
    /// `salvage`: the shared copy only, and adopted whatever the write says.
    fn keep(
        &mut self,
        task: TaskId,
        mut flight: Box<Flight>,
        kept: Session,
        error: Error,
        salvage: bool,
        now: i64,
    ) {
        // Signed out (or signed in anew) while the request was out: the session the flight
        // started from is gone, and keeping a copy of it would sign the user back in here and in
        // every tab that reads the store (a refresh token the sign-out revoked comes back as
        // `invalid_grant`, late).
        if self.generation != flight.generation {
            // Its rotated refresh token is live at the OP and no tab holds it.
            self.revoke_in_background(&kept);
            self.finish_flight(task, flight, Err(error), now);
            return;
        }
        let (written, shared) = if salvage {
            (self.save_shared(task, &kept), true)
        } else if self.save_primary(task, &kept) {
            (true, false)
        } else {
            (self.save_shared(task, &kept), true)
        };
        if !written {
            let superseded = salvage.then(|| flight.previous.clone()).flatten();
            self.adopt_kept(kept, superseded);
            self.finish_flight(task, flight, Err(error), now);
            return;
        }
        flight.stage = Stage::Keeping {
            kept: Box::new(kept),
            error,
            shared,
            salvage,
        };
        self.put_task(task, Task::Refresh(flight));
    }

    /// Adopts `kept`, the session with the refresh token the OP rotated in. `superseded`: the
    /// session it replaces, when storing `kept` failed, so that the stores may still hold it.
    fn adopt_kept(&mut self, kept: Session, superseded: Option<Session>) {
        self.adopt(kept);
        if superseded.is_some() {
            self.superseded = superseded;
        }
    }

    /// `stored`, unless it is the copy this tab's session superseded without storing: then the
    /// session this tab `held` is the newer one.
    pub(super) fn not_superseded(
        &self,
        stored: Option<Session>,
        held: Option<&Session>,
    ) -> Option<Session> {
        match (stored, held) {
            (Some(stored), Some(held)) if self.is_superseded(&stored) => Some(held.clone()),
            (stored, _) => stored,
        }
    }

    /// Whether `stored` is the copy this tab's session superseded without storing.
    pub(super) fn is_superseded(&self, stored: &Session) -> bool {
        self.superseded.as_ref().is_some_and(|s| s.is_same(stored))
    }

    /// Ends the flight: the lock released, the outcome announced and handed to every waiter.
    fn finish_flight(
        &mut self,
        task: TaskId,
        mut flight: Box<Flight>,
        result: Result<Session, Error>,
        now: i64,
    ) {
        self.cancel_task_io(task);
        if self.flight == Some(task) {
            self.flight = None;
        }
        if flight.lock_held {
            let name = self.lock_name();
            self.emit_io(Command::ReleaseLock { name });
        }
        // A refresh that outlived `dispose` is stored (or failed), and the other tabs were told:
        // the channel closes and the dispose call ends.
        if let Some(op) = self.dispose_op.take() {
            self.close_channel();
            self.done(op, Ok(Outcome::Nothing));
        }
        // The error is shared by the event and every waiter that fails with it, not copied.
        let result = result.map_err(Rc::new);
        match &result {
            // A refresh that outlived `dispose` tells the app nothing.
            _ if self.disposed => {}
            Ok(session) if flight.new_to_tab => self.emit(Event::SignedIn(SignedIn {
                session: session.clone(),
                app_state: None,
            })),
            // The tab already announced the session the flight ends with (another tab's news,
            // taken and announced while the flight waited or ran): nothing to add.
            Ok(_) if self.told == self.generation => {}
            Ok(session) => self.emit(Event::Refreshed(session.clone())),
            // Only about a session that is kept and that the flight renewed: a `refresh()` with
            // nobody signed in, a sign-out noticed on the way (already `signedOut`), or a new
            // sign-in since (not refreshed at all) fails its calls but announces nothing.
            Err(e) if self.session.as_ref().is_some_and(|s| flight.renews(s)) => {
                self.queue(Queued::RefreshFailed(Rc::clone(e)))
            }
            Err(_) => {}
        }
        for waiter in &mut flight.waiters {
            match waiter {
                Waiter::Refresh(op) => match &result {
                    Ok(session) => self.done(*op, Ok(Outcome::Session(session.clone()))),
                    Err(e) => self.failed(*op, e),
                },
                // Both take the refreshed token, else the current session's, else the error. The
                // current session is the one the call found, or one this tab took from another
                // tab meanwhile (under the lock, say): once there is none (signed out here, in
                // another tab or by the idle timeout while the refresh ran), the call gets the
                // error, never a signed-out user's token; and once its token expired (the machine
                // slept through the refresh), the error too, never an expired one.
                Waiter::Access { op, .. } | Waiter::Resource { op, .. } => {
                    let op = *op;
                    let fallback = self
                        .session
                        .as_ref()
                        .filter(|s| !s.is_expired(super::secs(now)))
                        .map(|s| s.access_token.clone());
                    match access::after_refresh(token_of(&result), fallback) {
                        Err(_) if self.session.is_none() => self.done(
                            op,
                            Err(Error::NoSession(
                                "signed out while the refresh was under way",
                            )),
                        ),
                        Err(e) => self.failed(op, e),
                        Ok(token) => match waiter {
                            Waiter::Resource { method, url, .. } => {
                                self.headers_for(op, method, url, token, now)
                            }
                            _ => self.done(op, Ok(Outcome::AccessToken(token))),
                        },
                    }
                }
                Waiter::Silent { op, authorize } => match &result {
                    Ok(session) => {
                        let signed_in = SignedIn {
                            session: session.clone(),
                            app_state: authorize.app_state.clone(),
                        };
                        self.done(*op, Ok(Outcome::SignedIn(signed_in)));
                    }
                    Err(e) if SilentPlan::falls_back_on(e) => {
                        let authorize = std::mem::take(&mut **authorize);
                        self.signin_in_frame(*op, authorize, super::signin::Show::HiddenFrame, now);
                    }
                    Err(e) => self.failed(*op, e),
                },
                Waiter::Timer => {}
            }
        }
        // After the waiters: a silent sign-in's fallback to the iframe has begun, and is waited
        // for by the end of a refused session.
        if result.is_err() && self.session.is_some() && !self.disposed {
            self.rearm_expired(now);
        }
    }
}

/// The access token of a flight's outcome, or its shared error.
fn token_of(result: &Result<Session, Rc<Error>>) -> Result<AccessToken, &Rc<Error>> {
    match result {
        Ok(session) => Ok(session.access_token.clone()),
        Err(e) => Err(e),
    }
}

/// Whether `a` is the session `b`.
fn is_same(a: Option<&Session>, b: &Session) -> bool {
    a.is_some_and(|a| a.is_same(b))
}
