//! The current session and everything around it: storing and adopting it, dropping it, the
//! expiry timers, what the other tabs did (their messages, and a catch-up when the page wakes),
//! and the idle watch.
//!
//! Browsers throttle timers in background tabs, freeze pages and suspend machines, so a timer
//! can fire late or never. When the page becomes visible, is resumed, comes back online or is
//! restored from the back/forward cache, the machine catches up at once: it re-reads a shared
//! session, re-arms the timers and refreshes if due ([`access::refresh_on_wake`]). The tab
//! channel is closed while the page may sit in the back/forward cache: Chromium evicts a cached
//! page that a BroadcastChannel message reaches.

use super::{Answer, Area, Command, Event, Machine, PageEvent, Purpose, Task, TaskId};
use crate::core::flow::access;
use crate::core::flow::code::SignedIn;
use crate::core::flow::idle::{idle_step, IdlePolicy, IdleStep};
use crate::core::flow::refresh::take_other_tab_session;
use crate::core::json::{int_text, Json, Object};
use crate::core::session::{millis, Session};
use crate::core::stored;

/// How often the end of a refused, expired session is checked again while a sign-in (or a
/// refresh waiting for the idle check) is under way, in milliseconds.
const RECHECK_MS: i64 = 1_000;

/// How often a tab records activity in `localStorage`, at most, in milliseconds.
const ACTIVITY_WRITE_EVERY_MS: i64 = 5_000;

/// The message type another tab reads as "signed out".
pub(super) const SIGNED_OUT: &str = "signedOut";
/// The message type another tab reads as "a new session is stored".
const NEW_SESSION: &str = "session";
/// `session` storage: "does a tab already hold the refresh token of this lineage?", asked by a
/// tab that restored a session (a duplicated tab, or one opened by `window.open`, starts with a
/// copy of its opener's `sessionStorage`).
const WHO_HOLDS: &str = "whoHolds";
/// The answer of a tab that held that refresh token before the asker was created.
const HELD: &str = "held";

/// Timers and page state.
#[derive(Debug, Default)]
pub(super) struct Keeper {
    /// When `expiring` fires (ms).
    expiring_at: Option<i64>,
    /// When `expired` fires (ms).
    expired_at: Option<i64>,
    /// The expiry the timers are for (seconds), for the events' detail.
    expires_at: i64,
    /// The expiries (seconds) `expiring` and `expired` were announced for: once each per
    /// expiry, not again on every wake-up.
    expiring_said: Option<i64>,
    expired_said: Option<i64>,
    idle_policy: Option<IdlePolicy>,
    idle: Option<IdleWatch>,
    /// A catch-up is under way: a page restored from the back/forward cache fires `resume`,
    /// `visibilitychange` and `pageshow` together, and one catch-up serves them all.
    waking: bool,
    /// The tab channel is open.
    pub(super) channel_open: bool,
    /// `session` storage: the lineage this tab asked about after restoring its session, until
    /// an older tab says it holds it.
    asked: Option<String>,
    /// `session` storage: the lineages of the refresh tokens this tab held before its current
    /// session, since the last time there were [`SPENT_LINEAGES`] (then it starts again): a copy
    /// made before this tab's last refreshes restores one of those, spent, and must let go of it
    /// too.
    spent: Vec<String>,
    /// The time of the input being handled (ms).
    pub(super) now: i64,
    /// When this tab last took a session (signed in, refreshed, taken from another tab), in ms:
    /// a sign-out announced after it, and not heard, was missed. For a `session` session
    /// restored at creation, when it was signed in (its `created_ms`): a sign-out elsewhere since
    /// then ends it.
    pub(super) session_since: i64,
    /// The sign-in time ([`Session::created_ms`]) of the latest session that ended in this tab:
    /// a stored session signed in then or before is that one (renewed or not), never taken again.
    ended: Option<i64>,
    /// A refresh (the `expiring` timer's, or a wake-up's) waits for the idle check under way:
    /// after a long suspend the idle sign-out owed comes first, and redeems no refresh token.
    refresh_after_idle: bool,
}

/// How many spent lineages a tab remembers.
const SPENT_LINEAGES: usize = 4;

/// The idle watch of a session.
#[derive(Debug)]
struct IdleWatch {
    own_last: i64,
    last_written: i64,
    /// The last activity a warning was given for (one warning per quiet period).
    warned_for: Option<i64>,
    /// When the next check is due; `None` while one reads.
    check_at: Option<i64>,
    /// The last input that came while a check was due or reading: it counts once that check
    /// has decided on what came before it.
    held: Option<i64>,
}

impl Keeper {
    pub(super) fn new(idle_policy: Option<IdlePolicy>) -> Self {
        Keeper {
            idle_policy,
            ..Keeper::default()
        }
    }

    pub(super) fn next_deadline(&self) -> Option<i64> {
        let idle = self.idle.as_ref().and_then(|w| w.check_at);
        super::earliest(super::earliest(self.expiring_at, self.expired_at), idle)
    }
}

/// What the other tabs said while the machine was being created.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Heard {
    /// Another tab signed out: the session read may be gone.
    pub(super) signed_out: bool,
    /// Another tab stored a new session: the session read may be stale.
    pub(super) new_session: bool,
}

/// Why the other tabs' session is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CatchupFor {
    /// The page woke.
    Wake,
    /// Another tab announced a new session.
    TabNews,
    /// The session expired after the OP refused its refresh token.
    Refused,
}

/// Whether `a` and `b` are the same session, or both none.
fn same(a: Option<&Session>, b: Option<&Session>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.is_same(b),
        (None, None) => true,
        _ => false,
    }
}

/// A read of the shared session.
#[derive(Debug)]
pub(super) struct Catchup {
    why: CatchupFor,
    /// This tab's session when the read started.
    before: Option<Session>,
}

impl Machine {
    /// Takes `session` as the current one (read from storage, or kept in memory).
    pub(super) fn adopt(&mut self, session: Session) {
        if let Some(held) = self.lineage() {
            if self.keeper.spent.len() >= SPENT_LINEAGES {
                self.keeper.spent.clear();
            }
            self.keeper.spent.push(held);
        }
        self.session = Some(session);
        self.signed_out = None;
        self.generation = self.generation.wrapping_add(1);
        self.keeper.session_since = self.keeper.now;
    }

    /// Forgets the session here; `signedOut` with `reason` if there was one.
    pub(super) fn drop_session(&mut self, reason: &'static str) {
        let ended = self.session.take().map(|s| s.created_ms());
        let had = ended.is_some();
        // A browser's sign-in takes longer than a millisecond, so a new one is always later than
        // the end of the last; only simulated time (tests) makes and ends sessions in one.
        let now = self.keeper.now;
        self.keeper.ended = self.keeper.ended.max(ended.filter(|&at| at < now));
        self.superseded = None;
        self.sign_outs = self.sign_outs.wrapping_add(1);
        self.generation = self.generation.wrapping_add(1);
        self.keeper.expiring_at = None;
        self.keeper.expired_at = None;
        self.keeper.idle = None;
        if had {
            self.signed_out = Some(reason);
            self.emit(Event::SignedOut(reason));
        }
    }

    /// Forgets the session here and in the store, and tells the other tabs.
    pub(super) fn sign_out(&mut self, reason: &'static str, now: i64) {
        self.replace_key();
        self.end_everywhere(reason, now);
    }

    /// Forgets the session here and in the store, and tells the other tabs; the DPoP key stays
    /// (the session's end after a refused refresh token is no sign-out of the user's).
    fn end_everywhere(&mut self, reason: &'static str, now: i64) {
        self.remove_stored_session();
        if self.shared() {
            let key = self.session_key();
            self.emit_io(Command::Remove {
                area: Area::Shared,
                key,
            });
        } else {
            // For the tabs that miss the message (see `wake`).
            let key = self.signed_out_key();
            self.emit_io(Command::Write {
                area: Area::Local,
                key,
                value: int_text(now),
            });
        }
        self.drop_session(reason);
        self.broadcast(SIGNED_OUT, Some(reason));
        self.arm_timers(now);
    }

    /// Removes the persisted session (not the shared copy), answered by nobody.
    pub(super) fn remove_stored_session(&mut self) {
        if let Some(area) = self.session_area() {
            let key = self.session_key();
            self.emit_io(Command::Remove { area, key });
        }
    }

    /// Writes `session` where it is persisted (first step of a save); `false` when there is
    /// nothing to write (`memory`). The answer comes for [`Purpose::Saved`].
    pub(super) fn save_primary(&mut self, task: TaskId, session: &Session) -> bool {
        self.save_in(self.session_area(), task, session)
    }

    /// Writes `session` to the shared copy (second step of a save, `local` only); `false` when
    /// there is none. Committed before the other tabs are told.
    pub(super) fn save_shared(&mut self, task: TaskId, session: &Session) -> bool {
        self.save_in(self.shared().then_some(Area::Shared), task, session)
    }

    /// After `localStorage` took a new session and IndexedDB refused it (full, or its connection
    /// lost): IndexedDB's copy, now stale, is removed, so that the tabs read the new one (a read
    /// that finds none there falls back to `localStorage`). Answered by nobody.
    pub(super) fn drop_shared_copy(&mut self) {
        let key = self.session_key();
        self.emit_io(Command::Remove {
            area: Area::Shared,
            key,
        });
    }

    /// Writes `session` to `area`, if there is one.
    fn save_in(&mut self, area: Option<Area>, task: TaskId, session: &Session) -> bool {
        let Some(area) = area else {
            return false;
        };
        let key = self.session_key();
        let value = stored::session_to_text(session);
        self.io(task, Purpose::Saved, Command::Write { area, key, value });
        true
    }

    /// Tells the other tabs that a new session is stored, when they can read it: only a shared
    /// (`local`) session has a copy another tab reads ([`Machine::tab_news`]). With `session` or
    /// `memory` storage every tab keeps its own, so the message would only cost the sender (a
    /// BroadcastChannel post is about 0.3 ms of a refresh) and wake the others for nothing.
    pub(super) fn announce_to_tabs(&mut self) {
        if self.shared() {
            self.broadcast(NEW_SESSION, None);
        }
    }

    /// Broadcasts a message of type `kind`, with its `reason` when there is one, or (`session`
    /// storage) the `lineage` it asks or answers about.
    pub(super) fn broadcast(&mut self, kind: &str, reason: Option<&str>) {
        if !self.keeper.channel_open {
            return;
        }
        let mut message = Object::new();
        message.insert("type", Json::str(kind));
        if let Some(reason) = reason {
            message.insert("reason", Json::str(reason));
        }
        self.emit_io(Command::Broadcast {
            message: Json::Object(message),
        });
    }

    /// The lineage of this tab's refresh token under `session` storage (tabs share nothing
    /// there, so two tabs holding one refresh token are a copy of each other): the first 16
    /// characters of its SHA-256 in base64url. `None` without a refresh token or in another mode.
    #[inline(never)]
    fn lineage(&self) -> Option<String> {
        if self.session_area() != Some(Area::Session) {
            return None;
        }
        let token = self.session.as_ref()?.refresh_token.as_ref()?;
        let digest = crate::core::sha256::sha256(token.expose().as_bytes());
        let mut text = crate::core::base64url::encode(&digest);
        text.truncate(16);
        Some(text)
    }

    /// After restoring a `session`-storage session: asks whether a tab created before this one
    /// holds its refresh token (this page then is a copy: a duplicated tab, or one opened by
    /// `window.open`, which start with their opener's `sessionStorage`). Two tabs refreshing one
    /// rotated token would replay it, and the OP would revoke the grant (RFC 9700 §4.14.2).
    pub(super) fn ask_who_holds(&mut self) {
        self.keeper.asked = self.lineage();
        let asked = self.keeper.asked.clone();
        if asked.is_some() {
            self.broadcast(WHO_HOLDS, asked.as_deref());
        }
    }

    /// A tab asked about `lineage`: this one, created before it, says it holds it, or held it
    /// and redeemed it since (the asker was copied before this tab's refresh: its token is
    /// spent, and presenting it would be a replay).
    #[inline(never)]
    fn answer_who_holds(&mut self, lineage: Option<&str>) {
        let Some(asked) = lineage else {
            return;
        };
        let held = self.lineage().as_deref() == Some(asked);
        if held || self.keeper.spent.iter().any(|l| l.as_str() == asked) {
            self.broadcast(HELD, lineage);
        }
    }

    /// An older tab holds the refresh token this copy restored: the copy keeps its access token
    /// and identity but lets go of the refresh token (stored so, for its reloads), so that only
    /// the older tab ever redeems it. This tab then renews by sign-in (`signinSilent` uses the
    /// iframe); `refresh` reports that the session has no refresh token.
    #[inline(never)]
    fn held_elsewhere(&mut self, lineage: Option<&str>, now: i64) {
        if lineage.is_none() || self.keeper.asked.as_deref() != lineage {
            return;
        }
        self.keeper.asked = None;
        if self.lineage().as_deref() != lineage {
            return;
        }
        let Some(session) = &mut self.session else {
            return;
        };
        session.refresh_token = None;
        // Announced: an app that shows whether a refresh token is held re-renders.
        let event = Event::Refreshed(session.clone());
        // A lineage exists only under `session` storage.
        let value = stored::session_to_text(session);
        let key = self.session_key();
        self.emit_io(Command::Write {
            area: Area::Session,
            key,
            value,
        });
        self.emit(event);
        self.arm_timers(now);
    }

    /// (Re-)arms the expiry timers of the current session as [`access::expiry_timers`] says,
    /// and the idle watch.
    pub(super) fn arm_timers(&mut self, now: i64) {
        self.watch_idle(now);
        // Absolute times, not the delays of `expiry_timers`, which stop at u32::MAX ms (49.7
        // days): a longer-lived token would be announced as expiring early.
        let expiry = self.session.as_ref().and_then(|s| {
            let at = s.expires_at?;
            // Never sooner than 2 s after the session was renewed: an OP that answers
            // `expires_in` 0 or 1 is not asked again at the network's speed. (From 4 s of
            // lifetime on, the leeway of half the lifetime is later than that anyway.)
            let expiring = at
                .saturating_sub(s.refresh_leeway())
                .max(s.updated_at.saturating_add(2));
            Some((at, millis(expiring), millis(at), s.refresh_refused))
        });
        match expiry {
            Some((expires_at, expiring_at, expired_at, refused)) => {
                let k = &mut self.keeper;
                k.expiring_at = (k.expiring_said != Some(expires_at)).then(|| expiring_at.max(now));
                // A refused session's end is owed even once `expired` was announced (a wake-up
                // re-arms the timers between the two).
                let owed = refused || k.expired_said != Some(expires_at);
                k.expired_at = owed.then(|| expired_at.max(now));
                k.expires_at = expires_at;
            }
            None => {
                self.keeper.expiring_at = None;
                self.keeper.expired_at = None;
            }
        }
    }

    /// Whether a sign-in is under way (or about to be: `<RequireAuth>`'s check).
    pub(super) fn signing_in(&self) -> bool {
        self.tasks
            .iter()
            .any(|(_, t)| matches!(t, Task::Signin(_) | Task::LeftCheck { .. }))
    }

    /// Whether [`Event::Expired`] was announced for the current session's access token, and
    /// neither a refresh nor a sign-in has replaced that token since. An app that listens late
    /// (a React provider given a client made long before) learns here what it missed.
    pub fn expired_announced(&self) -> bool {
        self.session
            .as_ref()
            .is_some_and(|s| s.expires_at.is_some() && s.expires_at == self.keeper.expired_said)
    }

    /// Whether `stored` is a copy of a sign-in that ended in this tab.
    pub(super) fn ended_here(&self, stored: &Session) -> bool {
        self.keeper
            .ended
            .is_some_and(|end| stored.created_ms() <= end)
    }

    /// Arms the timers of a session adopted for the refresh under way: a due `expiring` is that
    /// refresh, neither announced nor asked for again.
    pub(super) fn arm_timers_refreshing(&mut self, now: i64) {
        self.arm_timers(now);
        let k = &mut self.keeper;
        if k.expiring_at.is_some_and(|at| at <= now) {
            k.expiring_at = None;
            k.expiring_said = Some(k.expires_at);
        }
    }

    /// After a failed refresh (or sign-in): `expired` once more, at the expiry, unless it was
    /// announced; and when the OP refused the refresh token, the end of the session at the
    /// expiry, or now if that is past (with shared storage, once the stored session is read).
    pub(super) fn rearm_expired(&mut self, now: i64) {
        let refused = self.session.as_ref().is_some_and(|s| s.refresh_refused);
        let k = &mut self.keeper;
        if self.session.is_some() && (refused || k.expired_said != Some(k.expires_at)) {
            k.expired_at = Some(millis(k.expires_at).max(now));
        }
        if refused {
            self.expire(now);
        }
    }

    /// The session's access token expired, if it did and no refresh is under way: `expired`
    /// (once per access token), and when the OP had refused its refresh token
    /// ([`Session::refresh_refused`]), the end of the session, since nothing can renew it: on a
    /// later turn than `expired` (the app may answer it with a sign-in), and not while a sign-in
    /// is under way (it renews the session; checked again every [`RECHECK_MS`] until it is over).
    /// A refresh waiting for the idle check is waited for the same way.
    fn expire(&mut self, now: i64) {
        let Some(session) = &self.session else {
            return;
        };
        let refused = session.refresh_refused;
        if !session.is_expired(super::secs(now)) || self.flight.is_some() {
            return;
        }
        let later = Some(now.saturating_add(RECHECK_MS));
        if self.keeper.refresh_after_idle {
            self.keeper.expired_at = later;
            return;
        }
        self.keeper.expired_at = None;
        if self.keeper.expired_said != Some(self.keeper.expires_at) {
            self.keeper.expired_said = Some(self.keeper.expires_at);
            self.emit(Event::Expired(self.keeper.expires_at));
            if refused {
                // The end comes on the next turn: the app hears `expired` first.
                self.keeper.expired_at = Some(now);
            }
            return;
        }
        if !refused {
            return;
        }
        if self.signing_in() {
            self.keeper.expired_at = later;
            return;
        }
        if self.shared() {
            // Another tab may have signed in anew meanwhile (this one slept): the tabs' session
            // is read first, and only the refused one is ended everywhere.
            let reading = self
                .tasks
                .iter()
                .any(|(_, t)| matches!(t, Task::Catchup(c) if c.why == CatchupFor::Refused));
            if !reading {
                self.read_other_tabs(CatchupFor::Refused);
            }
        } else {
            // Each tab holds its own grant: this one ends alone.
            self.remove_stored_session();
            self.drop_session("refresh_failed");
            self.arm_timers(now);
        }
    }

    /// The keeper's timers that are due.
    pub(super) fn keeper_timeout(&mut self, now: i64) {
        // The idle check first: a sign-out it owes (the timers fire together after a suspend)
        // comes before a refresh.
        let idle_due = self
            .keeper
            .idle
            .as_ref()
            .and_then(|w| w.check_at)
            .is_some_and(|at| at <= now);
        if idle_due {
            self.idle_check();
        }
        if self.keeper.expiring_at.is_some_and(|at| at <= now) {
            self.keeper.expiring_at = None;
            self.keeper.expiring_said = Some(self.keeper.expires_at);
            self.emit(Event::Expiring(self.keeper.expires_at));
            if access::refresh_on_expiring(self.config.auto_refresh, self.session.as_ref()) {
                self.refresh_unless_idle(now);
            }
        }
        // `expired` means it could not be refreshed: not while a refresh is under way (a failed
        // one arms it again).
        if self.keeper.expired_at.is_some_and(|at| at <= now) {
            self.keeper.expired_at = None;
            self.expire(now);
        }
    }

    /// The refresh of the timer or a wake-up; after the idle check when one is reading.
    fn refresh_unless_idle(&mut self, now: i64) {
        if self.tasks.iter().any(|(_, t)| matches!(t, Task::IdleCheck)) {
            self.keeper.refresh_after_idle = true;
        } else {
            self.join_refresh(super::refresh::Waiter::Timer, now);
        }
    }

    pub(super) fn page_event(&mut self, event: PageEvent, now: i64) {
        if self.disposed {
            return;
        }
        if !self.created {
            return self.page_event_while_creating(event);
        }
        match event {
            PageEvent::Visible | PageEvent::Resumed | PageEvent::Online => self.wake(now),
            PageEvent::Hidden => {}
            PageEvent::PageHide => self.close_channel(),
            PageEvent::PageShow => {
                self.open_channel();
                self.wake(now);
            }
            PageEvent::Activity => self.idle_record(now),
        }
    }

    /// The tab channel follows the back/forward cache while the machine is created too; what
    /// was missed while it was closed is read once the machine is created.
    fn page_event_while_creating(&mut self, event: PageEvent) {
        if !self.tasks.iter().any(|(_, t)| matches!(t, Task::Create(_))) {
            return;
        }
        match event {
            PageEvent::PageHide => self.close_channel(),
            PageEvent::PageShow if self.open_channel() => {
                for (_, task) in &mut self.tasks {
                    if let Task::Create(c) = task {
                        c.heard.new_session = true;
                    }
                }
            }
            _ => {}
        }
    }

    /// Opens the tab channel unless it is open; whether it was opened now.
    pub(super) fn open_channel(&mut self) -> bool {
        if self.keeper.channel_open {
            return false;
        }
        self.keeper.channel_open = true;
        let name = self.session_key();
        self.emit_io(Command::OpenChannel { name });
        true
    }

    /// Closes the tab channel if it is open.
    pub(super) fn close_channel(&mut self) {
        if std::mem::take(&mut self.keeper.channel_open) {
            self.emit_io(Command::CloseChannel);
        }
    }

    /// Catches up after the page woke; a wake-up while one is under way is that one.
    pub(super) fn wake(&mut self, now: i64) {
        if self.keeper.waking {
            return;
        }
        if self.shared() {
            self.keeper.waking = true;
            self.read_other_tabs(CatchupFor::Wake);
        } else if self.session.is_some() {
            // Tabs share no session here, but a sign-out ends every tab's, and a page that slept
            // (restored from the back/forward cache, a frozen tab) missed its message: when a tab
            // last signed out is read first.
            self.keeper.waking = true;
            let key = self.signed_out_key();
            self.read_local(Task::SignOutCheck, key);
        } else {
            self.finish_wake(now);
        }
    }

    /// The answer of a wake-up's [`Task::SignOutCheck`]: a session this tab took before another
    /// tab's last sign-out ends here too, as the message would have ended it.
    pub(super) fn on_sign_out_check(&mut self, answer: Answer, now: i64) {
        let at = match answer {
            Answer::Read(Ok(Some(text))) => crate::core::json::parse_i64(&text),
            _ => None,
        };
        // Milliseconds, against when this tab took its session: a sign-in here in the second
        // after a sign-out elsewhere is not undone.
        if at.is_some_and(|at| at > self.keeper.session_since) && self.session.is_some() {
            self.remove_stored_session();
            self.drop_session("other_tab");
        } else if self.session_area() == Some(Area::Session) && self.session.is_some() {
            // Another page of this tab may have refreshed meanwhile (an app of several pages:
            // this one was in the back/forward cache): the copy in `sessionStorage` is read as a
            // shared session is, so that the OP's rotated refresh token is taken, not replayed.
            return self.read_other_tabs(CatchupFor::Wake);
        }
        self.finish_wake(now);
    }

    fn finish_wake(&mut self, now: i64) {
        self.keeper.waking = false;
        // Signed out (now, or all along): a sign-out this page missed replaced the DPoP key, and
        // a sign-in here must be bound to the stored one, the key the callback page loads.
        if self.session.is_none() {
            self.key_news(Some(SIGNED_OUT));
        }
        self.arm_timers(now);
        // An idle check owed since before the page slept decides first.
        if self
            .keeper
            .idle
            .as_ref()
            .and_then(|w| w.check_at)
            .is_some_and(|at| at <= now)
        {
            self.idle_check();
        }
        let now_s = super::secs(now);
        if access::refresh_on_wake(self.config.auto_refresh, self.session.as_ref(), now_s) {
            self.refresh_unless_idle(now);
        }
    }

    /// Reads the session the tabs last stored: IndexedDB first, `localStorage` when it has none;
    /// with `session` storage, this tab's pages' copy in `sessionStorage`.
    fn read_other_tabs(&mut self, why: CatchupFor) {
        let task = self.add_task(Task::Catchup(Box::new(Catchup {
            why,
            before: self.session.clone(),
        })));
        let key = self.session_key();
        let (purpose, area) = if self.shared() {
            (Purpose::Shared, Area::Shared)
        } else {
            (Purpose::SharedFallback, Area::Session)
        };
        self.io(task, purpose, Command::Read { area, key });
    }

    pub(super) fn on_catchup_answer(
        &mut self,
        task: TaskId,
        catchup: Box<Catchup>,
        purpose: Purpose,
        answer: Answer,
        now: i64,
    ) {
        let Answer::Read(read) = answer else { return };
        // IndexedDB first, `localStorage` when it has none.
        let Some(stored) = self.shared_read(task, purpose, read) else {
            self.put_task(task, Task::Catchup(catchup));
            return;
        };
        match (catchup.why, stored) {
            (CatchupFor::Wake, Ok(None)) if self.session.is_some() => {
                self.drop_session("other_tab");
                self.finish_wake(now);
            }
            (CatchupFor::Wake, Ok(Some(stored))) => {
                self.take_other_tab(catchup.before.as_ref(), stored, now);
                self.finish_wake(now);
            }
            (CatchupFor::Wake, _) => self.finish_wake(now),
            (CatchupFor::TabNews, Ok(Some(stored))) => {
                self.take_other_tab(catchup.before.as_ref(), stored, now)
            }
            (CatchupFor::TabNews, _) => {}
            // A tab's change while this one read wins; so does another session stored.
            (CatchupFor::Refused, _) if !same(catchup.before.as_ref(), self.session.as_ref()) => {}
            // A sign-in began while this read: it renews the session, or the check comes again.
            (CatchupFor::Refused, _) if self.signing_in() => {
                self.keeper.expired_at = Some(now.saturating_add(RECHECK_MS));
            }
            (CatchupFor::Refused, Ok(Some(stored)))
                if !same(catchup.before.as_ref(), Some(&stored)) =>
            {
                self.take_other_tab(catchup.before.as_ref(), stored, now);
                // Not taken (the copy this tab's could not replace, or one of an ended
                // sign-in): the refused session ends all the same.
                if same(catchup.before.as_ref(), self.session.as_ref()) {
                    self.end_everywhere("refresh_failed", now);
                }
            }
            (CatchupFor::Refused, Ok(Some(_))) => self.end_everywhere("refresh_failed", now),
            (CatchupFor::Refused, Ok(None)) => {
                self.drop_session("other_tab");
                self.arm_timers(now);
            }
            (CatchupFor::Refused, Err(_)) => {
                self.drop_session("refresh_failed");
                self.arm_timers(now);
            }
        }
    }

    /// Takes the session another tab stored, unless this tab's own changed while it read.
    fn take_other_tab(&mut self, before: Option<&Session>, stored: Session, now: i64) {
        // What this tab's session superseded without storing is older, not another tab's news.
        if self.is_superseded(&stored)
            || !take_other_tab_session(before, self.session.as_ref(), &stored, self.keeper.ended)
        {
            return;
        }
        let had = self.session.is_some();
        self.follow_key(&stored);
        self.adopt(stored.clone());
        self.arm_timers(now);
        if !had {
            // A sign-in, for this tab, even while a refresh it began before the sign-out runs on.
            self.emit(Event::SignedIn(SignedIn {
                session: stored,
                app_state: None,
            }));
        } else {
            // At once, even while this tab's own refresh waits or runs: the app holds what the
            // tab holds. That flight then announces only what it changes (`Machine::told`).
            self.emit(Event::Refreshed(stored));
        }
    }

    /// Another tab spoke: it signed out, or (shared sessions) stored a new session.
    pub(super) fn tab_message(&mut self, message: &Json, now: i64) {
        if self.disposed {
            return;
        }
        let kind = message.get("type").and_then(Json::as_str);
        if !self.created {
            // Still being created: what the session read is worth is decided once it is in.
            for (_, task) in &mut self.tasks {
                if let Task::Create(c) = task {
                    c.heard.signed_out |= kind == Some(SIGNED_OUT);
                    c.heard.new_session |= kind == Some(NEW_SESSION);
                }
            }
            return;
        }
        match kind {
            Some(SIGNED_OUT) => {
                // A shared session was removed by the tab that signed out; removing it here too
                // could remove a newer one (a message heard late, after a new sign-in).
                if !self.shared() {
                    self.remove_stored_session();
                }
                // An idle sign-out is the same news in every tab; any other is another tab's.
                let idle = message.get("reason").and_then(Json::as_str) == Some("idle");
                self.drop_session(if idle { "idle" } else { "other_tab" });
                self.key_news(kind);
                self.arm_timers(now);
            }
            Some(NEW_SESSION) => self.tab_news(),
            Some(WHO_HOLDS) => self.answer_who_holds(message.get("reason").and_then(Json::as_str)),
            Some(HELD) => self.held_elsewhere(message.get("reason").and_then(Json::as_str), now),
            other => self.key_news(other),
        }
    }

    /// Another tab announced a new session: a shared one is read.
    pub(super) fn tab_news(&mut self) {
        if self.shared() {
            self.read_other_tabs(CatchupFor::TabNews);
        }
    }

    // ----- idle -----

    /// Watches for idleness while there is a session and a policy; stops otherwise.
    fn watch_idle(&mut self, now: i64) {
        if self.keeper.idle_policy.is_none() || self.session.is_none() {
            self.keeper.idle = None;
            return;
        }
        if self.keeper.idle.is_some() {
            return;
        }
        // Loading a page is no user input: the watch starts from the sign-in (which was), and the
        // check reads what the tabs recorded since. A session restored after days untouched is
        // idle at once; one signed in just now is not.
        let signed_in = self
            .session
            .as_ref()
            .map_or(now, |s| s.created_ms().min(now));
        // The first check is a timer due now, not a check here: `create` resolves first, so an
        // app hears the `signedOut` of a session restored idle (a listener can only be added to a
        // created client), and a React `<RequireAuth>` does not sign the user straight back in.
        self.keeper.idle = Some(IdleWatch {
            own_last: signed_in,
            last_written: i64::MIN,
            warned_for: None,
            check_at: Some(now),
            held: None,
        });
    }

    /// The user did something at `now`.
    fn idle_record(&mut self, now: i64) {
        let key = self.activity_key();
        let Some(watch) = self.keeper.idle.as_mut() else {
            return;
        };
        // A check that is due decides first: after a suspend its timer fires late, and the
        // user's first input must not undo a sign-out owed since before it.
        if watch.check_at.is_none_or(|at| at <= now) {
            watch.held = Some(now);
            return self.idle_check();
        }
        let was_warned = watch.warned_for.is_some();
        watch.own_last = now;
        let write = now.saturating_sub(watch.last_written) >= ACTIVITY_WRITE_EVERY_MS;
        if write {
            watch.last_written = now;
        }
        if was_warned {
            // A warning was out: the quiet period is over, so check afresh.
            watch.warned_for = None;
        }
        if write {
            self.emit_io(Command::Write {
                area: Area::Local,
                key,
                value: int_text(now),
            });
        }
        if was_warned {
            self.idle_check();
        }
    }

    /// Reads the last activity any tab recorded; the answer decides.
    fn idle_check(&mut self) {
        if self.tasks.iter().any(|(_, t)| matches!(t, Task::IdleCheck)) {
            return;
        }
        if let Some(watch) = self.keeper.idle.as_mut() {
            watch.check_at = None;
        }
        let key = self.activity_key();
        self.read_local(Task::IdleCheck, key);
    }

    /// Reads `key` of `localStorage` (a time the tabs record there) for a new `task`.
    fn read_local(&mut self, task: Task, key: String) {
        let task = self.add_task(task);
        let read = Command::Read {
            area: Area::Local,
            key,
        };
        self.io(task, Purpose::Activity, read);
    }

    pub(super) fn on_idle_answer(&mut self, answer: Answer, now: i64) {
        let shared = match answer {
            Answer::Read(Ok(Some(text))) => crate::core::json::parse_i64(&text).unwrap_or(i64::MIN),
            _ => i64::MIN,
        };
        let Some(policy) = self.keeper.idle_policy else {
            return;
        };
        let Some(watch) = self.keeper.idle.as_mut() else {
            return;
        };
        let last = shared.max(watch.own_last);
        let held = watch.held.take();
        match idle_step(policy, last, now) {
            IdleStep::Wait { ms } => watch.check_at = Some(now.saturating_add(i64::from(ms))),
            IdleStep::Warn { ms } => {
                watch.check_at = Some(now.saturating_add(i64::from(ms)));
                if watch.warned_for != Some(last) {
                    watch.warned_for = Some(last);
                    self.emit(Event::Idle(ms));
                }
            }
            IdleStep::SignOut => {
                self.keeper.refresh_after_idle = false;
                return self.sign_out("idle", now);
            }
        }
        if let Some(at) = held {
            self.idle_record(at);
        }
        // Not idle: the refresh that waited for this check.
        if std::mem::take(&mut self.keeper.refresh_after_idle)
            && access::refresh_on_wake(
                self.config.auto_refresh,
                self.session.as_ref(),
                super::secs(now),
            )
        {
            self.join_refresh(super::refresh::Waiter::Timer, now);
        }
    }

    // ----- stale transactions -----

    /// Lists the stored transactions to remove the stale ones, in the background.
    pub(super) fn purge_transactions(&mut self) {
        let task = self.add_task(Task::Purge { key: String::new() });
        self.io(
            task,
            Purpose::PurgeKeys,
            Command::ListKeys {
                area: Area::Session,
                prefix: self.transaction_prefix(),
            },
        );
    }

    pub(super) fn on_purge_answer(
        &mut self,
        key: String,
        purpose: Purpose,
        answer: Answer,
        now: i64,
    ) {
        match (purpose, answer) {
            (Purpose::PurgeKeys, Answer::Keys(keys)) => {
                for key in keys {
                    let read = self.add_task(Task::Purge { key: key.clone() });
                    self.io(
                        read,
                        Purpose::PurgeRead,
                        Command::Read {
                            area: Area::Session,
                            key,
                        },
                    );
                }
            }
            (Purpose::PurgeRead, Answer::Read(Ok(Some(text)))) => {
                let stale = stored::transaction_from_text(&text)
                    .is_none_or(|tx| tx.is_stale(super::secs(now)));
                if stale {
                    self.emit_io(Command::Remove {
                        area: Area::Session,
                        key,
                    });
                }
            }
            _ => {}
        }
    }
}
