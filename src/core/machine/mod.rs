//! The whole client as one sans-IO value, in the shape of quinn-proto's `Connection`: the
//! [`Machine`] takes [`Input`]s with the time they happened, says what it needs done through
//! [`Machine::poll_output`], and when it next wants to be woken through
//! [`Machine::poll_timeout`]. A pump (the JS one in the npm package, the Rust one in `web`)
//! performs each [`Command`] and feeds back its [`Answer`], forwards page events, and decides
//! nothing.
//!
//! ```text
//! m.handle_input(Input::Call { op, call, entropy }, now);
//! while let Some(out) = m.poll_output() {
//!     Output::Io { id, command }  -> perform; later m.handle_input(Input::Answer { id, answer }, now)
//!     Output::Cancel { id }       -> abort that fetch
//!     Output::Event(event)        -> the app's listeners
//!     Output::Done { op, result } -> settle operation op
//! }
//! // one timer at m.poll_timeout(); when it fires: m.handle_input(Input::Timeout, now)
//! ```
//!
//! Everything the client decides lives here or in the flows it runs: single flight of refreshes,
//! the cross-tab lock protocol, what is stored when, which event is announced, the expiry and
//! idle timers, the wake-up catch-up, the popup watch, callbacks handled twice. Time is `now` in
//! milliseconds since the Unix epoch, given with every input.
//!
//! - [`io`]: the inputs, outputs, commands and answers.
//! - `keys`: the names of what is stored, locked and broadcast.
//! - `signin`: authorization requests, callbacks, popups and hidden iframes.
//! - `refresh`: the single flight, the lock, the refresh flow, `getAccessToken`.
//! - `keeper`: the current session, its timers, the other tabs, wake-up, idle.
//! - `logout`: the end-session URL and its return.
//! - `run`: the flows' needs turned into commands, and their answers back.
//! - [`wire`]: the inputs and outputs as JSON text, for the npm package's JavaScript pump.

// Without feature `dpop`, a stand-in whose DPoP state cannot exist (its module doc says how).
#[cfg_attr(not(feature = "dpop"), path = "dpop_off.rs")]
mod dpop;
pub mod io;
mod keeper;
mod keys;
mod logout;
mod refresh;
mod resource;
mod run;
mod signin;
pub mod wire;

pub use io::{
    Answer, AnswerKind, Area, Call, Command, Event, Input, IoId, OpId, Outcome, Output, PageEvent,
    ResourceHeaders, SigninVia,
};

use crate::core::config::ClientConfig;
use crate::core::discovery_ext::Extensions;
use crate::core::flow::idle::IdlePolicy;
use crate::core::metadata::ProviderMetadata;
use crate::core::session::Session;
use crate::error::Error;
use std::rc::Rc;

/// The DOM events that count as the user being there, for `idleTimeoutSeconds`: the pump
/// listens for these and forwards each as [`PageEvent::Activity`].
pub const ACTIVITY_EVENTS: [&str; 4] = ["pointerdown", "keydown", "wheel", "touchstart"];

/// How often a popup's handle is looked at, in milliseconds: a closed popup tells its opener
/// nothing, so looking is the only way to notice the user closed it.
pub const POPUP_LOOK_EVERY_MS: i64 = 250;

/// The most entropy kept between calls, in bytes.
const ENTROPY_POOL: usize = 512;

/// The id of a task inside the machine: an operation, the refresh flight, a background read.
type TaskId = u32;

/// What an answer is for, within its task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// The discovery document.
    Discovery,
    /// The stored session, read at creation.
    Restore,
    /// The `index`-th need of the task's running flow; `jwks` when it fetches the JWK Set.
    Need { index: usize, jwks: bool },
    /// A write or removal the task waits for.
    Saved,
    /// A write or removal nobody waits for.
    Ignored,
    /// The stored transaction of a callback.
    Transaction,
    /// The service worker's form_post pick-up.
    Pickup,
    /// The popup or iframe was opened.
    Opened,
    /// One look at the popup.
    Look,
    /// The cross-tab lock.
    Lock,
    /// The shared session (IndexedDB), read first.
    Shared,
    /// The shared session from `localStorage`, when IndexedDB had none.
    SharedFallback,
    /// The pending logout.
    Logout,
    /// The last activity any tab recorded.
    Activity,
    /// The keys of the stored transactions, to purge the stale ones.
    PurgeKeys,
    /// One stored transaction, to purge it if stale.
    PurgeRead,
    #[cfg(feature = "dpop")]
    /// The stored DPoP key.
    DpopLoad,
    #[cfg(feature = "dpop")]
    /// A new DPoP key.
    DpopNew,
    /// The pushed authorization request (RFC 9126).
    Push,
    /// A token revocation (RFC 7009).
    Revoke,
    #[cfg(feature = "dpop")]
    /// A DPoP proof for a resource request or the app.
    Proof,
}

/// One task.
#[derive(Debug)]
enum Task {
    /// `Call::Create`: discovery and the stored session.
    Create(Box<Creating>),
    /// A sign-in or a callback.
    Signin(Box<signin::Signin>),
    /// The refresh flight.
    Refresh(Box<refresh::Flight>),
    /// A logout call.
    Logout(logout::Logout),
    /// A read of what the other tabs stored, after a wake-up or another tab's news.
    Catchup(Box<keeper::Catchup>),
    /// The idle check's read of the last activity.
    IdleCheck,
    /// A wake-up's read of when a tab last signed out (`memory` and `session` storage).
    SignOutCheck,
    /// Purging stale transactions; `key` the one being read.
    Purge { key: String },
    /// A `signinRedirect` that first reads whether this tab's last one was left at the OP.
    LeftCheck {
        op: OpId,
        options: Box<crate::core::config::AuthorizeOptions>,
    },
    #[cfg(feature = "dpop")]
    /// A new DPoP key after a sign-out.
    DpopKey,
    #[cfg(feature = "dpop")]
    /// A DPoP proof for `client.fetch` or `client.dpopProof`.
    Proof(dpop::ProofJob),
}

/// Where `Call::Create` stands.
#[derive(Debug)]
struct Creating {
    op: OpId,
    discovered: bool,
    restored: bool,
    restored_session: Option<Session>,
    /// What the other tabs said meanwhile.
    heard: keeper::Heard,
    /// The DPoP key is held (or DPoP is off).
    keyed: bool,
}

/// The outcome or error several operations end with, held once.
type Shared = Result<Rc<Outcome>, Rc<Error>>;

/// An output as the machine queues it: [`Output`], except that every operation's outcome or
/// error is held behind an `Rc`. One that ends several operations (the waiters of one refresh or
/// one sign-in, a callback handled again) is held once and shared by all of them, so that
/// handing it to each copies nothing; [`Machine::poll_output`] gives each its own.
// Unboxed: an event is as large as the session it may carry, and as common as the rest.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum Queued {
    /// [`Output::Io`].
    Io(IoId, Command),
    /// [`Output::Cancel`].
    Cancel(IoId),
    /// [`Output::Event`].
    Event(Event),
    /// [`Output::Done`]: operation `op` ends with the (maybe shared) outcome or error.
    Done(OpId, Shared),
    /// [`Event::RefreshFailed`] with the shared error.
    RefreshFailed(Rc<Error>),
}

/// The randomness handed in and not used yet: the next `state`, `nonce` and PKCE verifier come
/// from it, so its `Debug` shows none of it.
struct Pool(Vec<u8>);

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("(redacted)")
    }
}

/// The client's whole state. Its `Debug` shows no secret: not the entropy pool (the next
/// `state`, `nonce` and PKCE verifier come from it), not the callback URLs handled (their
/// authorization codes), only the shape of what it holds.
#[derive(Debug)]
pub struct Machine {
    config: ClientConfig,
    own_origin: String,
    metadata: Option<ProviderMetadata>,
    /// The body of the last JWK Set fetched that parsed, parsed again whenever a flow may use the
    /// cached set (a copy of the text costs the wasm less code than a copy of the parsed keys).
    jwks: Option<String>,
    session: Option<Session>,
    /// Changes whenever the session is replaced or dropped.
    generation: u64,
    /// The stored session this tab's own superseded without being able to store it (the OP
    /// rotated the refresh token while storage failed): the stores may still hold it, and it is
    /// never taken back from them as another tab's news, which would replay a spent refresh
    /// token.
    superseded: Option<Session>,
    /// Counts the sign-outs (here or announced by another tab), so that a hidden-iframe sign-in
    /// that began before one does not sign anybody back in.
    sign_outs: u64,
    /// The [`generation`](Machine::generation) of the session last announced (`signedIn`,
    /// `refreshed`): a refresh that ends with that very session adds nothing.
    told: u64,
    created: bool,
    disposed: bool,
    /// The `dispose` call that waits for the refresh it let finish (see [`Machine::is_over`]).
    dispose_op: Option<OpId>,
    entropy: Pool,
    next_io: IoId,
    next_task: TaskId,
    /// Which task each outstanding command's answer goes to, what for, and by when (`i64::MAX`:
    /// no deadline; the pump keeps a request's). A browser whose IndexedDB never answers (a
    /// blocked open, a wedged profile) has its commands ([`Command::on_indexed_db`]) failed
    /// with [`Error::Storage`] after `request_timeout_ms`, as a request to the OP times out.
    routes: Vec<(IoId, TaskId, Purpose, AnswerKind, i64)>,
    /// IndexedDB missed a deadline in this page: it is not waited for again (every later
    /// command on it fails on the next turn), so a hung store costs one deadline, not one a
    /// step. A page loaded again tries it afresh.
    indexed_db_missed: bool,
    tasks: Vec<(TaskId, Task)>,
    /// The refresh flight under way.
    flight: Option<TaskId>,
    /// Callbacks handled in this page: the URL as received and as cleaned, and the task
    /// handling it or how it ended.
    callbacks: Vec<signin::Handled>,
    /// The return to the post-logout redirect URI handled in this page, and its `state`.
    signout_returned: Option<(String, Option<String>)>,
    /// The reason of the last `signedOut` in this page, until a session is taken again.
    signed_out: Option<&'static str>,
    keeper: keeper::Keeper,
    /// The outputs not polled yet are `out[polled..]`, in order (a plain vector: it is emptied
    /// whenever the pump has polled everything).
    out: Vec<Option<Queued>>,
    polled: usize,
    /// What discovery says of the extensions (PAR, revocation, DPoP).
    ext: Extensions,
    /// DPoP's key and nonces, when `dpop` is on (always `None` without feature `dpop`: the
    /// type is uninhabited there).
    dpop: Option<dpop::DpopState>,
}

impl Machine {
    /// A machine for `config` in a page of `own_origin` (`location.origin`). Fails with
    /// [`Error::InvalidConfig`] for a configuration that cannot work. Send [`Call::Create`] next.
    pub fn new(config: ClientConfig, own_origin: String) -> Result<Machine, Error> {
        config.validate()?;
        check_silent_origin(&config, &own_origin)?;
        let idle = IdlePolicy::new(config.idle_timeout_seconds, config.idle_warning_seconds);
        Ok(Machine {
            keeper: keeper::Keeper::new(idle),
            config,
            own_origin,
            metadata: None,
            jwks: None,
            session: None,
            generation: 0,
            superseded: None,
            sign_outs: 0,
            told: 0,
            created: false,
            disposed: false,
            dispose_op: None,
            entropy: Pool(Vec::new()),
            next_io: 0,
            next_task: 0,
            routes: Vec::new(),
            indexed_db_missed: false,
            tasks: Vec::new(),
            flight: None,
            callbacks: Vec::new(),
            signout_returned: None,
            signed_out: None,
            out: Vec::new(),
            polled: 0,
            ext: Extensions::default(),
            dpop: None,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The OP's metadata, once discovered.
    pub fn metadata(&self) -> Option<&ProviderMetadata> {
        self.metadata.as_ref()
    }

    /// The current session.
    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    /// Why there is no session: the reason of the last [`Event::SignedOut`] in this page
    /// (`"signout"`, `"other_tab"`, `"idle"`, `"refresh_failed"`), or `None` while there is a session or when none
    /// ended here. An app that listens late (React renders its provider some tasks after
    /// `create`) learns here that a sign-out happened, and does not sign the user back in.
    pub fn signed_out_reason(&self) -> Option<&'static str> {
        self.signed_out
    }

    /// Whether [`Call::Dispose`] was handled.
    pub fn is_disposed(&self) -> bool {
        self.disposed
    }

    /// Whether the machine is disposed of and done: nothing of it needs the pump any more, which
    /// may then let go of everything and drop it. A refresh of a shared (`local`) session whose
    /// token request may have reached the OP outlives `dispose`, under its lock, until its
    /// session is stored (its callers get `disposed` at once): the OP rotates the refresh token
    /// as it answers, and dropping that answer would leave the stores holding a spent one. The
    /// `dispose` call ends when this turns true.
    pub fn is_over(&self) -> bool {
        self.disposed && self.dispose_op.is_none()
    }

    /// Takes one input that happened at `now` (milliseconds since the Unix epoch).
    pub fn handle_input(&mut self, input: Input, now: i64) {
        self.keeper.now = now;
        match input {
            Input::Call { op, call, entropy } => {
                self.add_entropy(&entropy);
                self.call(op, *call, now);
            }
            Input::Answer { id, answer } => self.answer(id, answer, now),
            Input::Timeout => {
                if let Some((id, answer)) = self.timeout(now) {
                    self.answer(id, answer, now);
                }
            }
            Input::Page(event) => self.page_event(event, now),
            Input::TabMessage(message) => self.tab_message(&message, now),
            Input::WindowMessage {
                origin,
                source,
                data,
            } => self.window_message(&origin, source, &data, now),
            Input::Handover { op, data } => self.handover(op, &data, now),
        }
    }

    /// The next thing to do, if any.
    pub fn poll_output(&mut self) -> Option<Output> {
        Some(match self.poll_queued()? {
            Queued::Io(id, command) => Output::Io { id, command },
            Queued::Cancel(id) => Output::Cancel { id },
            Queued::Event(event) => Output::Event(event),
            Queued::Done(op, result) => Output::Done {
                op,
                result: result.map(Rc::unwrap_or_clone).map_err(Rc::unwrap_or_clone),
            },
            Queued::RefreshFailed(error) => {
                Output::Event(Event::RefreshFailed(Rc::unwrap_or_clone(error)))
            }
        })
    }

    /// The next output as queued (the wire writes a shared error where it is, uncopied).
    fn poll_queued(&mut self) -> Option<Queued> {
        let next = self.out.get_mut(self.polled).and_then(Option::take);
        match next {
            Some(_) => self.polled = self.polled.saturating_add(1),
            None => {
                self.out.clear();
                self.polled = 0;
            }
        }
        next
    }

    fn queue(&mut self, queued: Queued) {
        self.out.push(Some(queued));
    }

    /// When the machine next wants [`Input::Timeout`], in milliseconds since the Unix epoch.
    pub fn poll_timeout(&self) -> Option<i64> {
        // After `dispose` only a refresh finishing its storage is left (no sign-in, no timers
        // of the keeper): its IndexedDB steps keep their deadlines, so that a hung store cannot
        // hold the lock until its lease.
        let mut next = if self.disposed {
            None
        } else {
            self.keeper.next_deadline()
        };
        for route in &self.routes {
            if route.4 < i64::MAX {
                next = earliest(next, Some(route.4));
            }
        }
        for (_, task) in &self.tasks {
            if let Task::Signin(s) = task {
                next = earliest(next, s.next_deadline());
            }
        }
        next
    }

    fn call(&mut self, op: OpId, call: Call, now: i64) {
        if self.disposed {
            self.done(op, Err(Error::Disposed));
            return;
        }
        if matches!(call, Call::Dispose) {
            return self.dispose(op);
        }
        if matches!(call, Call::Create) {
            self.create(op);
            return;
        }
        // Created means discovered: the metadata is there.
        if !self.created {
            self.done(op, Err(not_created()));
            return;
        }
        match call {
            Call::Signin { via, options } => match via {
                SigninVia::Url => self.authorize_url(op, options, false, now),
                SigninVia::Redirect => self.authorize_url(op, options, true, now),
                SigninVia::RedirectUnlessLeft => self.redirect_unless_left(op, options),
                SigninVia::Popup { app_window } => self.signin_popup(op, options, app_window, now),
                SigninVia::Silent => self.signin_silent(op, options, now),
            },
            Call::HandleRedirectCallback { url, from_location } => {
                self.handle_callback(op, url, from_location, now)
            }
            Call::HandleFormPost(body) => self.handle_form_post(op, &body, now),
            Call::Refresh => self.join_refresh(refresh::Waiter::Refresh(op), now),
            Call::GetAccessToken => self.get_access_token(op, now),
            Call::Signout { redirect, options } => self.signout(op, options, redirect, now),
            Call::HandleSignoutCallback { url } => self.handle_signout_callback(op, url),
            Call::SignOutLocally => self.sign_out_locally(op, now),
            Call::ResourceHeaders { method, url } => self.resource_headers(op, method, url, now),
            Call::ResourceAnswer {
                method,
                url,
                status,
                www_authenticate,
                dpop_nonce,
                retried,
            } => self.resource_answer(
                op,
                &method,
                &url,
                status,
                www_authenticate.as_deref(),
                dpop_nonce.as_deref(),
                retried,
                now,
            ),
            Call::DpopProof { method, url } => self.dpop_proof(op, &method, &url, now),
            Call::Create | Call::Dispose => {}
        }
    }

    /// `Call::Create`: discovery and, for persisted sessions, the stored one, in parallel.
    fn create(&mut self, op: OpId) {
        if self.created || self.tasks.iter().any(|(_, t)| matches!(t, Task::Create(_))) {
            self.done(
                op,
                Err(Error::config("create", "the client was created already")),
            );
            return;
        }
        if self.config.dpop {
            if let Err(e) = self.draw_jti_seed() {
                return self.done(op, Err(e));
            }
        }
        let task = self.add_task(Task::Create(Box::new(Creating {
            op,
            discovered: false,
            // Nothing to restore for `memory`.
            restored: self.session_area().is_none(),
            restored_session: None,
            heard: keeper::Heard::default(),
            keyed: !self.config.dpop,
        })));
        if self.config.dpop {
            self.start_key(task);
        }
        // The tab channel opens first: what another tab does after the stored session is read
        // is heard.
        self.open_channel();
        let request = crate::core::flow::HttpRequest::get(
            ProviderMetadata::discovery_url(&self.config.issuer),
            self.config.request_timeout_ms,
        );
        self.io(task, Purpose::Discovery, Command::Fetch(request));
        if let Some(area) = self.session_area() {
            let key = self.session_key();
            self.io(task, Purpose::Restore, Command::Read { area, key });
        }
    }

    fn on_create_answer(
        &mut self,
        task: TaskId,
        mut c: Box<Creating>,
        purpose: Purpose,
        answer: Answer,
        now: i64,
    ) {
        let op = c.op;
        let failed = match (purpose, answer) {
            (Purpose::Discovery, Answer::Http(response)) => {
                // Kept where it is made, not moved out through a `Result`.
                let taken = response.and_then(|r| {
                    let metadata =
                        ProviderMetadata::from_http(r.status, &r.body, &self.config.issuer)?;
                    let ext = Extensions::read(&r.body);
                    self.check_extensions(&ext)?;
                    // A subject check that the OP cannot serve must not switch itself off.
                    if self.config.check_userinfo_on_refresh && metadata.userinfo_endpoint.is_none()
                    {
                        return Err(Error::Unsupported(
                            "UserInfo, which checkUserinfoOnRefresh needs".into(),
                        ));
                    }
                    self.metadata = Some(metadata);
                    self.ext = ext;
                    Ok(())
                });
                match taken {
                    Ok(()) => {
                        c.discovered = true;
                        None
                    }
                    Err(e) => Some(e),
                }
            }
            (Purpose::Restore, Answer::Read(read)) => {
                c.restored = true;
                // A value that no longer parses (an older version's, or tampered) is dropped,
                // not fatal; so is a store that cannot be read.
                if let Ok(Some(text)) = read {
                    match crate::core::stored::session_from_text(&text) {
                        Some(session) => c.restored_session = Some(session),
                        None => self.remove_stored_session(),
                    }
                }
                None
            }
            #[cfg(feature = "dpop")]
            (purpose @ (Purpose::DpopLoad | Purpose::DpopNew), answer) => {
                match self.on_key_answer(task, purpose, answer) {
                    dpop::KeyStep::Pending => None,
                    dpop::KeyStep::Ready => {
                        c.keyed = true;
                        None
                    }
                    dpop::KeyStep::Failed(e) => Some(e),
                }
            }
            _ => None,
        };
        if let Some(e) = failed {
            self.cancel_task_io(task);
            self.close_channel();
            self.done(op, Err(e));
            return;
        }
        if !(c.discovered && c.restored && c.keyed) {
            self.put_task(task, Task::Create(c));
            return;
        }
        self.created = true;
        // Signed out elsewhere since the read: the session read is gone. Its stored copy goes
        // too, unless a sign-in followed, whose session the key holds now (the catch-up below
        // takes it).
        if c.heard.signed_out && c.restored_session.take().is_some() && !c.heard.new_session {
            self.remove_stored_session();
        }
        if let Some(session) = c.restored_session.take() {
            let since = session.created_ms();
            self.adopt(session);
            self.ask_who_holds();
            // `session`: this page may have missed a sign-out's message (the browser discarded
            // the tab, or it was left for another site): a wake-up's check, against the
            // moment of the sign-in.
            if !self.shared() {
                self.keeper.session_since = since;
                self.wake(now);
            }
        }
        self.arm_timers(now);
        if c.heard.new_session {
            self.tab_news();
        }
        self.done(op, Ok(Outcome::Nothing));
    }

    /// What the configuration asks of the OP's extensions: `pushedAuthorizationRequests: true`
    /// needs its endpoint (RFC 9126 §5); `dpop` needs ES256 among its DPoP algorithms when it
    /// lists them (RFC 9449 §5.1).
    fn check_extensions(&self, ext: &Extensions) -> Result<(), Error> {
        crate::core::par::endpoint(self.config.pushed_authorization_requests, ext)?;
        self.check_dpop_algs(ext)
    }

    /// Routes an answer to its task.
    fn answer(&mut self, id: IoId, answer: Answer, now: i64) {
        let Some(index) = self.routes.iter().position(|(i, ..)| *i == id) else {
            // A lock granted to a request nobody waits for any more (cancelled as it was
            // granted, by dispose) is released now, not held until its lease runs out.
            if matches!(answer, Answer::Lock(Ok(()))) && !self.holds_lock() {
                let name = self.lock_name();
                self.emit_io(Command::ReleaseLock { name });
            }
            return;
        };
        let (_, task, purpose, ..) = self.routes.swap_remove(index);
        if matches!(purpose, Purpose::Ignored) {
            return;
        }
        // Each handler puts its task back if it is not over.
        let Some(kind) = self.take_task(task) else {
            return;
        };
        match kind {
            Task::Create(c) => self.on_create_answer(task, c, purpose, answer, now),
            Task::Signin(s) => self.on_signin_answer(task, s, purpose, answer, now),
            Task::Refresh(f) => self.on_refresh_answer(task, f, purpose, answer, now),
            Task::Logout(l) => self.on_logout_answer(task, l, answer, now),
            Task::Catchup(c) => self.on_catchup_answer(task, c, purpose, answer, now),
            Task::IdleCheck => self.on_idle_answer(answer, now),
            Task::SignOutCheck => self.on_sign_out_check(answer, now),
            Task::Purge { key } => self.on_purge_answer(key, purpose, answer, now),
            Task::LeftCheck { op, options } => self.on_left_check(op, *options, answer, now),
            #[cfg(feature = "dpop")]
            Task::DpopKey => self.on_rekey_answer(task, purpose, answer),
            #[cfg(feature = "dpop")]
            Task::Proof(job) => self.on_proof_answer(job, answer),
        }
    }

    /// Whether the refresh flight holds the cross-tab lock.
    fn holds_lock(&self) -> bool {
        self.tasks
            .iter()
            .any(|(_, t)| matches!(t, Task::Refresh(flight) if flight.lock_held))
    }

    /// The timers that are due; returns the failure of one IndexedDB command past its deadline
    /// for [`Machine::handle_input`] to route (the next one's turn comes at once).
    fn timeout(&mut self, now: i64) -> Option<(IoId, Answer)> {
        if self.disposed {
            return self.indexed_db_late(now);
        }
        self.keeper_timeout(now);
        let mut due = Vec::new();
        for (id, t) in &self.tasks {
            if matches!(t, Task::Signin(s) if s.next_deadline().is_some_and(|d| d <= now)) {
                due.push(*id);
            }
        }
        for task in due {
            self.signin_timeout(task, now);
        }
        self.indexed_db_late(now)
    }

    /// The failure of an IndexedDB command past its deadline, as its task handles a failed
    /// read or write (a shared read falls back to `localStorage`; a write that fails is a
    /// storage failure). An answer that comes later finds no route and is dropped.
    fn indexed_db_late(&mut self, now: i64) -> Option<(IoId, Answer)> {
        let route = self.routes.iter_mut().find(|route| route.4 <= now)?;
        // Failed now: not due again, whatever follows.
        route.4 = i64::MAX;
        let (id, kind) = (route.0, route.3);
        self.indexed_db_missed = true;
        self.queue(Queued::Cancel(id));
        let e = Error::Storage("IndexedDB timed out".into());
        Some((id, kind.failed(e)?))
    }

    /// Ends every operation with `disposed`, cancels what is under way, closes windows and the
    /// channel, releases the lock, stops the timers; `op`, the dispose call, ends then, or once
    /// a refresh under the lock has stored what the OP answered ([`Machine::is_over`]).
    fn dispose(&mut self, op: OpId) {
        self.disposed = true;
        let mut tasks = std::mem::take(&mut self.tasks);
        // One error for every operation that ends here.
        let disposed = Err(Rc::new(Error::Disposed));
        for (id, task) in &mut tasks {
            // Taken out of the table, in order; what is left behind is dropped with it.
            match std::mem::replace(task, Task::IdleCheck) {
                Task::Create(c) => self.done_all(&[c.op], &disposed),
                Task::LeftCheck { op, .. } => self.done_all(&[op], &disposed),
                Task::Logout(logout::Logout { op, .. }) => self.done_all(&[op], &disposed),
                #[cfg(feature = "dpop")]
                Task::Proof(job) => self.done_all(&[job.op()], &disposed),
                Task::Signin(signin) => {
                    if signin.window_open {
                        self.emit_io(Command::CloseWindow { op: signin.op });
                    }
                    self.done_all(&signin.ops, &disposed);
                }
                Task::Refresh(mut flight) => {
                    self.done_all(&flight.ops(), &disposed);
                    if flight.outlives_dispose() {
                        flight.unwait();
                        self.dispose_op = Some(op);
                        self.tasks.push((*id, Task::Refresh(flight)));
                    } else if flight.lock_held {
                        let name = self.lock_name();
                        self.emit_io(Command::ReleaseLock { name });
                    }
                }
                Task::Catchup(_) | Task::IdleCheck | Task::SignOutCheck | Task::Purge { .. } => {}
                #[cfg(feature = "dpop")]
                Task::DpopKey => {}
            }
        }
        // The refresh that finishes keeps its requests; everything else is cancelled.
        let finishing = self.tasks.first().map(|(id, _)| *id);
        for route in std::mem::take(&mut self.routes) {
            if Some(route.1) == finishing {
                self.routes.push(route);
            } else {
                self.queue(Queued::Cancel(route.0));
            }
        }
        self.flight = finishing;
        self.callbacks.clear();
        // A refresh that finishes tells the other tabs what it stored, as any refresh does; the
        // channel closes when it ends.
        let channel_open = finishing.is_some() && self.keeper.channel_open;
        if !channel_open {
            self.close_channel();
        }
        self.keeper = keeper::Keeper::new(None);
        self.keeper.channel_open = channel_open;
        if self.dispose_op.is_none() {
            self.done(op, Ok(Outcome::Nothing));
        }
    }

    // ----- plumbing shared by the parts -----

    fn add_entropy(&mut self, bytes: &[u8]) {
        self.entropy.0.extend_from_slice(bytes);
        let excess = self.entropy.0.len().saturating_sub(ENTROPY_POOL);
        if excess > 0 {
            // The newest bytes are kept.
            self.entropy.0 = self.entropy.0.split_off(excess);
        }
    }

    /// 32 fresh random bytes as base64url (43 characters): a `state`, `nonce` or PKCE verifier.
    /// [`Error::Crypto`] when the pump handed in too little entropy.
    fn random_token(&mut self) -> Result<String, Error> {
        let at = self
            .entropy
            .0
            .len()
            .checked_sub(32)
            .ok_or_else(|| crypto_error("no entropy was handed in with the call"))?;
        let bytes = self.entropy.0.split_off(at);
        Ok(crate::core::base64url::encode(&bytes))
    }

    fn add_task(&mut self, task: Task) -> TaskId {
        let id = self.new_task_id();
        self.put_task(id, task);
        id
    }

    /// A fresh task id, for a task not in the table yet.
    fn new_task_id(&mut self) -> TaskId {
        self.next_task = self.next_task.wrapping_add(1);
        self.next_task
    }

    /// Takes a task out of the table (put it back with [`Machine::put_task`]).
    fn take_task(&mut self, id: TaskId) -> Option<Task> {
        let index = self.tasks.iter().position(|(t, _)| *t == id)?;
        Some(self.tasks.swap_remove(index).1)
    }

    fn put_task(&mut self, id: TaskId, task: Task) {
        self.tasks.push((id, task));
    }

    /// A task to change in place; like a take and a put, it moves to the end of the table.
    fn task_mut(&mut self, id: TaskId) -> Option<&mut Task> {
        let task = self.take_task(id)?;
        self.put_task(id, task);
        self.tasks.last_mut().map(|(_, t)| t)
    }

    /// Emits `command` for `task`; its answer comes back for `purpose`.
    fn io(&mut self, task: TaskId, purpose: Purpose, command: Command) -> IoId {
        self.next_io = self.next_io.wrapping_add(1);
        let id = self.next_io;
        if let Some(kind) = command.answer_kind() {
            let by = match (command.on_indexed_db(), self.indexed_db_missed) {
                (false, _) => i64::MAX,
                (true, false) => self
                    .keeper
                    .now
                    .saturating_add(i64::from(self.config.request_timeout_ms)),
                (true, true) => self.keeper.now,
            };
            self.routes.push((id, task, purpose, kind, by));
        }
        self.queue(Queued::Io(id, command));
        id
    }

    /// The answer the outstanding command `id` takes; `None` once it is answered or cancelled.
    fn pending_answer(&self, id: IoId) -> Option<AnswerKind> {
        let (.., kind, _) = self.routes.iter().find(|(i, ..)| *i == id)?;
        Some(*kind)
    }

    /// Emits a command whose answer nobody waits for.
    fn emit_io(&mut self, command: Command) {
        self.io(0, Purpose::Ignored, command);
    }

    /// Cancels every command of `task` still under way.
    fn cancel_task_io(&mut self, task: TaskId) {
        let mut i = 0;
        while let Some(&(id, t, ..)) = self.routes.get(i) {
            if t == task {
                self.routes.swap_remove(i);
                self.queue(Queued::Cancel(id));
            } else {
                i = i.saturating_add(1);
            }
        }
    }

    fn emit(&mut self, event: Event) {
        if matches!(event, Event::SignedIn(_) | Event::Refreshed(_)) {
            self.told = self.generation;
        }
        self.queue(Queued::Event(event));
    }

    fn done(&mut self, op: OpId, result: Result<Outcome, Error>) {
        self.queue(Queued::Done(op, result.map(Rc::new).map_err(Rc::new)));
    }

    /// Ends operation `op` with the shared `error`.
    fn failed(&mut self, op: OpId, error: &Rc<Error>) {
        self.queue(Queued::Done(op, Err(Rc::clone(error))));
    }

    /// Ends every operation of `ops` with `result`, shared among them.
    fn done_all(&mut self, ops: &[OpId], result: &Shared) {
        for op in ops {
            self.queue(Queued::Done(*op, result.clone()));
        }
    }

    /// Where the session is persisted: nowhere for `memory`.
    fn session_area(&self) -> Option<Area> {
        use crate::core::config::StorageKind;
        match self.config.storage {
            StorageKind::Memory => None,
            StorageKind::Session => Some(Area::Session),
            StorageKind::Local => Some(Area::Local),
        }
    }

    /// The OP's metadata; [`Error::InvalidConfig`] before discovery.
    fn discovered(&self) -> Result<&ProviderMetadata, Error> {
        self.metadata.as_ref().ok_or_else(not_created)
    }

    fn shared(&self) -> bool {
        self.config.storage.is_shared()
    }
}

/// [`Error::Crypto`] with `reason`.
fn crypto_error(reason: &str) -> Error {
    Error::Crypto(reason.to_owned())
}

/// What a call before `create` completed fails with.
fn not_created() -> Error {
    Error::config("create", "the client is not created yet")
}

/// The earlier of two optional times.
fn earliest(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

/// Seconds since the epoch, for the flows, from `now` in milliseconds.
fn secs(now_ms: i64) -> i64 {
    now_ms.div_euclid(1000)
}

/// The callback page of `silent_redirect_uri` answers by `postMessage` to this page's origin and
/// by a `BroadcastChannel`, which only reaches the same origin: on another origin (`www.` or not,
/// `localhost` or `127.0.0.1`) every popup and iframe sign-in would wait for an answer that never
/// comes. Checked where the origin is computed exactly as the browser computes it (an ASCII
/// host without percent-escapes or an IPv6 literal).
fn check_silent_origin(config: &ClientConfig, own_origin: &str) -> Result<(), Error> {
    let Some(uri) = &config.silent_redirect_uri else {
        return Ok(());
    };
    let exact = uri.bytes().all(|b| b.is_ascii() && b != b'%' && b != b'[');
    if exact && crate::core::web_message::origin_of(uri) != own_origin {
        return Err(Error::config(
            "silent_redirect_uri",
            "must be on this page's origin",
        ));
    }
    Ok(())
}
