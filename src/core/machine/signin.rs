//! Sign-ins: the authorization request and its stored transaction, the redirect callback (read
//! once, even when handled twice), form_post bodies, and popups and hidden iframes with the
//! messages that complete them.
//!
//! A popup must open in the task of the click that asked for it (browsers block a `window.open`
//! after an await), so a popup sign-in's authorization URL is built from the entropy handed in
//! with the call, and its transaction write and `OpenPopup` are output by that very call.

use super::run::{Ended, FlowRun, Running, Stepped};
use super::POPUP_LOOK_EVERY_MS;
use super::{Answer, Area, Command, Event, Machine, OpId, Outcome, Purpose, Shared, Task, TaskId};
use crate::core::authorize::Transaction;
use crate::core::config::AuthorizeOptions;
use crate::core::flow::code::{Announce, CodeFlow, SignedIn};
use crate::core::flow::silent::{self, FramePlan, PopupVerdict, PopupWatch, SilentPlan};
use crate::core::flow::HttpRequest;
use crate::core::json::Json;
use crate::core::par;
use crate::core::params::ResponseMode;
use crate::core::pkce::CodeVerifier;
use crate::core::response::{self, ResponseParams};
use crate::core::session::Session;
use crate::core::stored;
use crate::core::web_message::{self, Delivery, Expect};
use crate::error::{Error, IdTokenError};
use std::rc::Rc;

/// Where a frame sign-in shows its authorization request.
#[derive(Debug, Clone, Copy)]
pub(super) enum Show {
    /// A popup: the app's own window, or one opened now.
    Popup { app_window: bool },
    /// A hidden iframe (silent sign-in).
    HiddenFrame,
}

/// A callback handled in this page: its URL as received and as cleaned, and how it went. Its
/// `Debug` leaves the URLs out: the first carries the authorization code.
pub(super) struct Handled {
    urls: [String; 2],
    outcome: Handling,
}

impl std::fmt::Debug for Handled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handled")
            .field("outcome", &self.outcome)
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
enum Handling {
    /// Still running, in this task.
    Running(TaskId),
    /// Over: the sign-in's outcome or error, which every call handling it again ends with too.
    Done(Shared),
}

/// What the operation resolves to once its part is done.
enum Finish {
    /// `authorizeUrl`: the URL, once the transaction is stored.
    Url(String),
    /// `signinRedirect`: navigate there, once the transaction is stored.
    Navigate(String),
    /// The signed-in session.
    SignedIn,
}

/// The kind only: an authorization URL with `id_token_hint` carries the raw ID token.
impl std::fmt::Debug for Finish {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Finish::Url(_) => "Url",
            Finish::Navigate(_) => "Navigate",
            Finish::SignedIn => "SignedIn",
        })
    }
}

/// A popup or hidden iframe showing an authorization request.
#[derive(Debug)]
struct Frame {
    plan: FramePlan,
    state: String,
    /// When the wait ends with `timeout`.
    deadline: i64,
    /// When to look at the popup next (popups only; none while a look is under way).
    look_at: Option<i64>,
    watch: PopupWatch,
}

#[derive(Debug)]
enum Stage {
    /// Waiting for the transaction to be stored.
    WritingTx,
    /// Waiting for the pushed authorization request's `request_uri` (RFC 9126 §2.2).
    Pushing,
    /// A popup or iframe shows the request; waiting for its response.
    Showing(Box<Frame>),
    /// Fetching a form_post body from the service worker.
    PickingUp,
    /// Reading the transaction the response's state names.
    ReadingTx {
        params: ResponseParams,
        delivered: ResponseMode,
    },
    /// The code flow runs.
    Running(FlowRun),
    /// Storing the new session: its persisted copy, then (`shared`) the shared one.
    Saving {
        signed_in: Box<SignedIn>,
        shared: bool,
    },
}

/// A sign-in under way.
#[derive(Debug)]
pub(super) struct Signin {
    /// The operation.
    pub(super) op: OpId,
    /// Every operation that waits for it: `op`, then the ones waiting for the same outcome (a
    /// callback handled twice).
    pub(super) ops: Vec<OpId>,
    finish: Finish,
    /// Announced as `signedIn` even when it renews the session (not a hidden iframe).
    interactive: bool,
    /// A popup or iframe is open.
    pub(super) window_open: bool,
    /// The state of a transaction to spend if the sign-in fails (frames).
    spend_on_failure: Option<String>,
    /// The machine's sign-out count when it began: a hidden iframe's sign-in is refused after
    /// a sign-out.
    sign_outs: u64,
    /// The pushed authorization request to send once the transaction is stored (RFC 9126).
    push: Option<HttpRequest>,
    stage: Stage,
}

/// Where the browser is sent for an authorization request.
pub(super) enum Front {
    /// This URL, with the whole request in its query.
    Url(String),
    /// The URL comes from the OP once this push answers (RFC 9126).
    Push(HttpRequest),
}

impl Signin {
    fn new(op: OpId, finish: Finish, interactive: bool, stage: Stage) -> Box<Signin> {
        Box::new(Signin {
            op,
            ops: vec![op],
            finish,
            interactive,
            window_open: false,
            spend_on_failure: None,
            sign_outs: 0,
            push: None,
            stage,
        })
    }

    /// When it next wants the timer: a popup look, or the end of the wait.
    pub(super) fn next_deadline(&self) -> Option<i64> {
        match &self.stage {
            Stage::Showing(frame) => Some(
                frame
                    .look_at
                    .map_or(frame.deadline, |at| at.min(frame.deadline)),
            ),
            _ => None,
        }
    }
}

impl Machine {
    /// The authorization request for `options`, made from the call's entropy.
    fn authorization_request(
        &mut self,
        options: AuthorizeOptions,
        mode: ResponseMode,
        redirect_uri: &str,
        leaves_page: bool,
        now: i64,
    ) -> Result<(Front, Transaction), Error> {
        let state = self.random_token()?;
        let nonce = self.random_token()?;
        let verifier = CodeVerifier::new(self.random_token()?)?;
        let metadata = self.discovered()?;
        let mut request =
            options.to_request(&self.config, self.session.as_ref(), mode, redirect_uri)?;
        // §10: the code is bound to the key, unless the key dies with this page (`memory`
        // storage) before the redirect comes back; the token request's proof binds it then.
        let key_outlives_page = self.session_area().is_some();
        if let Some(jkt) = self
            .dpop_jkt()
            .filter(|_| key_outlives_page || !leaves_page)
        {
            request = request.dpop_jkt(jkt);
        }
        let now = super::secs(now);
        match par::endpoint(self.config.pushed_authorization_requests, &self.ext)? {
            None => {
                let (url, tx) = request.build_with(metadata, now, state, nonce, verifier)?;
                Ok((Front::Url(url), tx))
            }
            Some(endpoint) => {
                let endpoint = endpoint.to_owned();
                let (params, tx) =
                    request.build_params_with(metadata, now, state, nonce, verifier)?;
                let push = par::push_request(&endpoint, params, self.config.request_timeout_ms);
                Ok((Front::Push(push), tx))
            }
        }
    }

    /// The front-channel URL from the push's answer (RFC 9126 §4).
    fn pushed_url(
        &self,
        response: Result<crate::core::flow::HttpResponse, Error>,
    ) -> Result<String, Error> {
        let request_uri = response.and_then(|r| par::request_uri(r.status, &r.body))?;
        let endpoint = self
            .metadata
            .as_ref()
            .map(|m| m.authorization_endpoint.as_str())
            .unwrap_or_default();
        Ok(par::front_url(
            endpoint,
            &self.config.client_id,
            &request_uri,
        ))
    }

    /// Stores `tx` for the task; the answer comes for [`Purpose::Saved`]. Stale transactions
    /// are purged in the background.
    fn store_transaction(&mut self, task: TaskId, tx: &Transaction) {
        self.io(
            task,
            Purpose::Saved,
            Command::Write {
                area: Area::Session,
                key: self.transaction_key(&tx.state),
                value: stored::transaction_to_text(tx),
            },
        );
        self.purge_transactions();
    }

    /// [`SigninVia::RedirectUnlessLeft`]: reads when this tab last went to the OP first.
    pub(super) fn redirect_unless_left(&mut self, op: OpId, options: AuthorizeOptions) {
        let key = self.redirect_key();
        let task = self.add_task(Task::LeftCheck {
            op,
            options: Box::new(options),
        });
        self.io(
            task,
            Purpose::Activity,
            Command::Read {
                area: Area::Session,
                key,
            },
        );
    }

    /// The answer of a [`Task::LeftCheck`]: a redirect sign-in this tab started within a
    /// transaction's lifetime, with no response since, was left at the OP (the page loaded
    /// again without one); it is forgotten, so that the next sign-in goes to the OP.
    pub(super) fn on_left_check(
        &mut self,
        op: OpId,
        options: AuthorizeOptions,
        answer: Answer,
        now: i64,
    ) {
        let at = match answer {
            Answer::Read(Ok(Some(text))) => crate::core::json::parse_i64(&text),
            _ => None,
        };
        let lifetime_ms = crate::core::authorize::TRANSACTION_LIFETIME.saturating_mul(1000);
        if at.is_some_and(|at| now.saturating_sub(at) < lifetime_ms) {
            let key = self.redirect_key();
            self.emit_io(Command::Remove {
                area: Area::Session,
                key,
            });
            return self.done(op, Err(Error::Abandoned));
        }
        self.authorize_url(op, options, true, now);
    }

    /// Back from the OP with a response: the redirect sign-in was not left.
    fn back_from_op(&mut self) {
        let key = self.redirect_key();
        self.emit_io(Command::Remove {
            area: Area::Session,
            key,
        });
    }

    /// Sends the page to the OP, noting when (see [`Machine::on_left_check`]).
    fn go_to_op(&mut self, url: String, now: i64) {
        let key = self.redirect_key();
        self.emit_io(Command::Write {
            area: Area::Session,
            key,
            value: crate::core::json::int_text(now),
        });
        self.emit_io(Command::Navigate { url });
    }

    /// `authorizeUrl` (`navigate: false`) and `signinRedirect`.
    pub(super) fn authorize_url(
        &mut self,
        op: OpId,
        options: AuthorizeOptions,
        navigate: bool,
        now: i64,
    ) {
        let redirect_uri = self.config.redirect_uri.clone();
        let mode = match silent::redirect_mode(&self.config, &options) {
            Ok(mode) => mode,
            Err(e) => return self.done(op, Err(e)),
        };
        let (front, tx) = match self.authorization_request(options, mode, &redirect_uri, true, now)
        {
            Ok(built) => built,
            Err(e) => return self.done(op, Err(e)),
        };
        let (url, push) = match front {
            Front::Url(url) => (url, None),
            Front::Push(push) => (String::new(), Some(push)),
        };
        let finish = if navigate {
            Finish::Navigate(url)
        } else {
            Finish::Url(url)
        };
        let mut signin = Signin::new(op, finish, true, Stage::WritingTx);
        if push.is_some() {
            signin.spend_on_failure = Some(tx.state.clone());
        }
        signin.push = push;
        let task = self.add_task(Task::Signin(signin));
        self.store_transaction(task, &tx);
    }

    /// `handleRedirectCallback`. Called again with the same URL (or the address it left
    /// behind), it gives the same outcome without a second code exchange.
    pub(super) fn handle_callback(&mut self, op: OpId, url: String, from_location: bool, now: i64) {
        let handled = self.callbacks.iter().position(|h| h.urls.contains(&url));
        if let Some(index) = handled {
            match self.callbacks.get(index).map(|h| &h.outcome) {
                Some(Handling::Done(result)) => {
                    let result = result.clone();
                    self.done_all(&[op], &result);
                }
                Some(Handling::Running(task)) => {
                    let task = *task;
                    if let Some(Task::Signin(s)) = self.task_mut(task) {
                        s.ops.push(op);
                    }
                }
                None => {}
            }
            return;
        }
        let fragment = matches!(
            ResponseParams::locate_in_url(&url),
            Ok((_, ResponseMode::Fragment))
        );
        let clean = response::strip_response_params(&url, fragment);
        self.back_from_op();
        let signin = Signin::new(op, Finish::SignedIn, true, Stage::PickingUp);
        let task = self.new_task_id();
        self.callbacks.push(Handled {
            urls: [url.clone(), clean.clone()],
            outcome: Handling::Running(task),
        });
        if from_location {
            self.emit_io(Command::ReplaceUrl { url: clean });
        }
        self.response_in_url(task, signin, &url, now);
    }

    /// Finds the response of a callback `url`: in its query or fragment, or (form_post) kept by
    /// the service worker for one pick-up.
    fn response_in_url(&mut self, task: TaskId, mut signin: Box<Signin>, url: &str, now: i64) {
        match response::form_post_id(url) {
            Some(id) => {
                let pickup = HttpRequest::get(
                    response::form_post_pickup_url(url, &id),
                    self.config.request_timeout_ms,
                );
                signin.stage = Stage::PickingUp;
                self.put_task(task, Task::Signin(signin));
                self.io(task, Purpose::Pickup, Command::Fetch(pickup));
            }
            None => match ResponseParams::locate_in_url(url) {
                Ok((params, mode)) => self.complete(task, signin, Ok(params), mode, now),
                Err(e) => self.complete(task, signin, Err(e), ResponseMode::Query, now),
            },
        }
    }

    /// `handleFormPost`: the body the app's server received.
    pub(super) fn handle_form_post(&mut self, op: OpId, body: &str, now: i64) {
        self.back_from_op();
        let signin = Signin::new(op, Finish::SignedIn, true, Stage::PickingUp);
        let task = self.new_task_id();
        let found = ResponseParams::from_form_post(body);
        self.complete(task, signin, found, ResponseMode::FormPost, now);
    }

    /// The response was found (or not), delivered by `delivered`: read the transaction its
    /// state names.
    fn complete(
        &mut self,
        task: TaskId,
        mut signin: Box<Signin>,
        found: Result<ResponseParams, Error>,
        delivered: ResponseMode,
        now: i64,
    ) {
        let params = match found {
            Ok(found) => found,
            Err(e) => return self.end_signin(task, &signin, Err(e), now),
        };
        let Some(state) = params.state().map(str::to_owned) else {
            return self.end_signin(task, &signin, Err(Error::StateMismatch), now);
        };
        signin.stage = Stage::ReadingTx { params, delivered };
        self.put_task(task, Task::Signin(signin));
        self.io(
            task,
            Purpose::Transaction,
            Command::Read {
                area: Area::Session,
                key: self.transaction_key(&state),
            },
        );
    }

    /// `signinPopup`: the popup opens within this call.
    pub(super) fn signin_popup(
        &mut self,
        op: OpId,
        options: AuthorizeOptions,
        app_window: bool,
        now: i64,
    ) {
        self.signin_in_frame(op, options, Show::Popup { app_window }, now);
    }

    /// `signinSilent`, as [`SilentPlan`] says: the refresh flight first when it can serve, else
    /// (or when the OP refuses the grant) a hidden iframe with `prompt=none`.
    pub(super) fn signin_silent(&mut self, op: OpId, options: AuthorizeOptions, now: i64) {
        let plan = SilentPlan::new(
            self.session.as_ref(),
            options,
            self.config.silent_id_token_hint,
        );
        if plan.refresh_first {
            let authorize = Box::new(plan.authorize);
            self.join_refresh(super::refresh::Waiter::Silent { op, authorize }, now);
        } else {
            self.signin_in_frame(op, plan.authorize, Show::HiddenFrame, now);
        }
    }

    /// A popup or hidden-iframe sign-in: the plan, the stored transaction, the window.
    pub(super) fn signin_in_frame(
        &mut self,
        op: OpId,
        options: AuthorizeOptions,
        show: Show,
        now: i64,
    ) {
        let popup = matches!(show, Show::Popup { .. });
        let planned = self.discovered().and_then(|metadata| {
            let op_origin = web_message::origin_of(&metadata.authorization_endpoint);
            FramePlan::new(
                &self.config,
                metadata,
                &options,
                popup,
                op_origin,
                self.own_origin.clone(),
            )
        });
        // The plan and the request matched where they are, not moved through closures.
        let plan = match planned {
            Ok(plan) => plan,
            Err(e) => return self.done(op, Err(e)),
        };
        let redirect_uri = plan.redirect_uri.clone();
        let (front, tx) =
            match self.authorization_request(options, plan.mode, &redirect_uri, false, now) {
                Ok(built) => built,
                Err(e) => return self.done(op, Err(e)),
            };
        let handover = matches!(plan.expect, Expect::CallbackPage { .. }) && popup;
        let frame = Frame {
            deadline: now.saturating_add(i64::from(plan.timeout_ms)),
            look_at: popup.then(|| now.saturating_add(POPUP_LOOK_EVERY_MS)),
            watch: PopupWatch::new(handover),
            state: tx.state.clone(),
            plan,
        };
        let mut signin = Signin::new(op, Finish::SignedIn, popup, Stage::Showing(Box::new(frame)));
        signin.sign_outs = self.sign_outs;
        signin.window_open = true;
        signin.spend_on_failure = Some(tx.state.clone());
        let task = self.add_task(Task::Signin(signin));
        self.store_transaction(task, &tx);
        // With a pushed request, a popup opens blank now, in the click's task, and is sent to
        // the OP once the push answers; an iframe is made then.
        let (url, push) = match front {
            Front::Url(url) => (Some(url), None),
            Front::Push(push) => (None, Some(push)),
        };
        let command = match (show, url) {
            (Show::Popup { app_window }, url) => Some(Command::OpenPopup {
                op,
                url: url.unwrap_or_else(|| "about:blank".to_owned()),
                app_window,
            }),
            (Show::HiddenFrame, Some(url)) => Some(Command::OpenFrame { op, url }),
            (Show::HiddenFrame, None) => None,
        };
        if let Some(command) = command {
            self.io(task, Purpose::Opened, command);
        }
        if let Some(push) = push {
            self.io(task, Purpose::Push, Command::Fetch(push));
        }
        if handover {
            let channel = web_message::callback_channel(&tx.state);
            self.emit_io(Command::ListenHandover { op, channel });
        }
    }

    /// A `message` event: counts only from the window of the operation that opened it, as
    /// [`web_message::accept`] says.
    pub(super) fn window_message(
        &mut self,
        origin: &str,
        source: Option<OpId>,
        data: &Json,
        now: i64,
    ) {
        let Some((task, frame)) = source.and_then(|source| self.showing(source)) else {
            return;
        };
        let popup = frame.plan.popup;
        let Some(delivery) =
            web_message::accept(origin, true, data, &frame.plan.expect, &frame.state)
        else {
            return;
        };
        // Only an app hands one window to two calls: a hidden iframe is ours alone.
        if popup || !matches!(delivery, Delivery::Elsewhere) {
            self.delivered(task, delivery, now);
        }
    }

    /// A message on an operation's hand-over channel ([`web_message::accept_handover`]).
    pub(super) fn handover(&mut self, op: OpId, data: &Json, now: i64) {
        let Some((task, frame)) = self.showing(op) else {
            return;
        };
        if let Some(delivery) = web_message::accept_handover(data, &frame.plan.expect, &frame.state)
        {
            self.delivered(task, delivery, now);
        }
    }

    /// The task of operation `op` if it is showing a popup or iframe.
    fn showing(&self, op: OpId) -> Option<(TaskId, &Frame)> {
        self.tasks.iter().find_map(|(task, t)| match t {
            Task::Signin(s) if s.op == op => match &s.stage {
                Stage::Showing(frame) => Some((*task, &**frame)),
                _ => None,
            },
            _ => None,
        })
    }

    /// A popup or iframe delivered a response: close it, then complete the sign-in.
    fn delivered(&mut self, task: TaskId, delivery: Delivery, now: i64) {
        let Some(Task::Signin(mut signin)) = self.take_task(task) else {
            return;
        };
        // The window serves the other sign-in now (`Elsewhere`): it stays open for that one.
        let ours = !matches!(delivery, Delivery::Elsewhere);
        signin.stage = Stage::PickingUp;
        if std::mem::take(&mut signin.window_open) && ours {
            self.emit_io(Command::CloseWindow { op: signin.op });
        }
        match delivery {
            Delivery::Elsewhere => self.end_signin(task, &signin, Err(Error::PopupClosed), now),
            Delivery::Params(params) => {
                self.complete(task, signin, Ok(params), ResponseMode::WebMessage, now)
            }
            Delivery::CallbackUrl(url) => self.response_in_url(task, signin, &url, now),
            Delivery::FormPostBody(body) => {
                let found = ResponseParams::from_form_post(&body);
                self.complete(task, signin, found, ResponseMode::FormPost, now)
            }
        }
    }

    /// A frame sign-in's timer: look at the popup, or give up waiting.
    pub(super) fn signin_timeout(&mut self, task: TaskId, now: i64) {
        let Some(Task::Signin(mut signin)) = self.take_task(task) else {
            return;
        };
        let op = signin.op;
        if let Stage::Showing(frame) = &mut signin.stage {
            if frame.deadline <= now {
                return self.end_signin(task, &signin, Err(Error::Timeout), now);
            }
            if frame.look_at.is_some_and(|at| at <= now) {
                frame.look_at = None;
                self.put_task(task, Task::Signin(signin));
                self.io(task, Purpose::Look, Command::LookAtPopup { op });
                return;
            }
        }
        self.put_task(task, Task::Signin(signin));
    }

    pub(super) fn on_signin_answer(
        &mut self,
        task: TaskId,
        mut signin: Box<Signin>,
        purpose: Purpose,
        answer: Answer,
        now: i64,
    ) {
        match (&mut signin.stage, purpose, answer) {
            (Stage::WritingTx, Purpose::Saved, Answer::Written(Ok(())))
                if signin.push.is_some() =>
            {
                if let Some(push) = signin.push.take() {
                    signin.stage = Stage::Pushing;
                    self.put_task(task, Task::Signin(signin));
                    self.io(task, Purpose::Push, Command::Fetch(push));
                }
            }
            (Stage::Pushing, Purpose::Push, Answer::Http(response)) => {
                let url = match self.pushed_url(response) {
                    Ok(url) => url,
                    Err(e) => return self.end_signin(task, &signin, Err(e), now),
                };
                let result = match &signin.finish {
                    Finish::Navigate(_) => {
                        self.go_to_op(url, now);
                        Outcome::Nothing
                    }
                    _ => Outcome::Url(url),
                };
                self.done_all(&signin.ops, &Ok(Rc::new(result)));
            }
            (Stage::Showing(_), Purpose::Push, Answer::Http(response)) => {
                let url = match self.pushed_url(response) {
                    Ok(url) => url,
                    Err(e) => return self.end_signin(task, &signin, Err(e), now),
                };
                let op = signin.op;
                let popup = signin.interactive;
                self.put_task(task, Task::Signin(signin));
                if popup {
                    self.emit_io(Command::NavigateWindow { op, url });
                } else {
                    self.io(task, Purpose::Opened, Command::OpenFrame { op, url });
                }
            }
            (Stage::WritingTx, Purpose::Saved, Answer::Written(result)) => {
                let result = result.map(|()| match &signin.finish {
                    Finish::Url(url) => Outcome::Url(url.clone()),
                    Finish::Navigate(url) => {
                        let url = url.clone();
                        self.go_to_op(url, now);
                        Outcome::Nothing
                    }
                    Finish::SignedIn => Outcome::Nothing,
                });
                self.done_all(&signin.ops, &result.map(Rc::new).map_err(Rc::new));
            }
            // The transaction of a frame sign-in could not be stored: the response could not
            // be completed, so stop now.
            (Stage::Showing(_), Purpose::Saved, Answer::Written(Err(e))) => {
                self.end_signin(task, &signin, Err(e), now)
            }
            (Stage::Showing(_), Purpose::Opened, Answer::Opened(Err(e))) => {
                signin.window_open = false;
                self.end_signin(task, &signin, Err(e), now)
            }
            (Stage::Showing(frame), Purpose::Look, Answer::Look(look)) => {
                match frame.watch.look(look) {
                    // The window stays counted as open, so that ending the sign-in closes what
                    // the pump keeps with it (the hand-over channel).
                    PopupVerdict::Closed => {
                        return self.end_signin(task, &signin, Err(Error::PopupClosed), now);
                    }
                    // Cut off by COOP: keep waiting for the hand-over; no more looks needed.
                    PopupVerdict::Severed => frame.look_at = None,
                    PopupVerdict::Watch => {
                        frame.look_at = Some(now.saturating_add(POPUP_LOOK_EVERY_MS))
                    }
                }
                self.put_task(task, Task::Signin(signin));
            }
            (Stage::PickingUp, Purpose::Pickup, Answer::Http(response)) => {
                let found =
                    response.and_then(|r| ResponseParams::from_form_post_pickup(r.status, &r.body));
                self.complete(task, signin, found, ResponseMode::FormPost, now);
            }
            (Stage::ReadingTx { params, delivered }, Purpose::Transaction, Answer::Read(read)) => {
                let delivered = *delivered;
                let key = params.state().map(|state| self.transaction_key(state));
                // Matched where it is, not moved through `map`, `and_then` and `filter`.
                let tx = match read {
                    Ok(Some(text)) => match stored::transaction_from_text(&text) {
                        Some(tx) if !tx.is_stale(super::secs(now)) => Ok(Some(tx)),
                        _ => Ok(None),
                    },
                    Ok(None) => Ok(None),
                    Err(e) => Err(e),
                };
                let started = match (tx, &self.metadata) {
                    (Ok(Some(tx)), Some(metadata)) => {
                        let (flow, step) =
                            CodeFlow::start(params, delivered, tx, &self.config, metadata);
                        let mut run = FlowRun::new(Running::Code(Box::new(flow)));
                        let ended = self.drive(task, &mut run, Stepped::Code(step), now);
                        Ok((run, ended))
                    }
                    (Ok(_), _) => Err(Error::StateMismatch),
                    (Err(e), _) => Err(e),
                };
                // Taking it makes every response single-use. It is removed in this turn, after
                // the flow's first requests (token and JWK Set): they leave without waiting for
                // the storage write.
                if let Some(key) = key {
                    self.emit_io(Command::Remove {
                        area: Area::Session,
                        key,
                    });
                }
                match started {
                    Err(e) => self.end_signin(task, &signin, Err(e), now),
                    Ok((run, ended)) => {
                        // The transaction is taken: nothing left to spend on failure.
                        signin.spend_on_failure = None;
                        match ended {
                            Some(ended) => self.code_ended(task, signin, ended, now),
                            None => {
                                signin.stage = Stage::Running(run);
                                self.put_task(task, Task::Signin(signin));
                            }
                        }
                    }
                }
            }
            (Stage::Running(run), Purpose::Need { index, jwks }, answer) => {
                match self.flow_answer(task, run, index, jwks, answer, now) {
                    Some(ended) => self.code_ended(task, signin, ended, now),
                    None => self.put_task(task, Task::Signin(signin)),
                }
            }
            // Signed out while the silent sign-in's session was being written: as at its end
            // (`code_ended`), it may not sign the user back in; the store is put back.
            (Stage::Saving { shared, .. }, Purpose::Saved, Answer::Written(_))
                if !signin.interactive && signin.sign_outs != self.sign_outs =>
            {
                let shared = *shared;
                self.unsave(shared);
                let e = Error::NoSession("signed out while the silent sign-in was under way");
                self.end_signin(task, &signin, Err(e), now);
            }
            (Stage::Saving { signed_in, shared }, Purpose::Saved, Answer::Written(result)) => {
                match result {
                    Ok(()) if !*shared && self.save_shared(task, &signed_in.session) => {
                        *shared = true;
                        self.put_task(task, Task::Signin(signin));
                    }
                    Err(e) if !*shared => self.end_signin(task, &signin, Err(e), now),
                    written => {
                        if written.is_err() {
                            self.drop_shared_copy();
                        }
                        let stage = std::mem::replace(&mut signin.stage, Stage::PickingUp);
                        if let Stage::Saving { signed_in, .. } = stage {
                            self.signed_in(task, signin, *signed_in, now);
                        }
                    }
                }
            }
            _ => self.put_task(task, Task::Signin(signin)),
        }
    }

    fn code_ended(&mut self, task: TaskId, mut signin: Box<Signin>, ended: Ended, now: i64) {
        let result = match ended {
            Ended::Code(result) => result,
            Ended::Refresh(_) => Err(Error::StateMismatch),
        };
        let mut signed_in = match result {
            Ok(signed_in) => signed_in,
            Err(e) => return self.end_signin(task, &signin, Err(e), now),
        };
        signed_in.session.created_ms = now;
        // A DPoP-bound session remembers the key that signed its token request (RFC 9449 §5).
        // When the client holds another by now (a sign-out in another tab replaced it while the
        // flow ran), no proof of its can serve these tokens: the sign-in fails. A key being
        // loaded again (a wake-up) is no other key.
        if signed_in.session.token_type == crate::core::token::TokenType::DPoP {
            let signed_with = match &signin.stage {
                Stage::Running(run) => run.signed_with().map(str::to_owned),
                _ => None,
            };
            let held = self.dpop_jkt();
            if held.is_some() && held != signed_with {
                let e = Error::Dpop(crate::error::CODE_DPOP_KEY_CHANGED);
                return self.end_signin(task, &signin, Err(e), now);
            }
            signed_in.session.dpop_jkt = signed_with;
        }
        // Like a refresh, a hidden iframe's sign-in may not undo a sign-out that happened while
        // it ran (here, or in another tab): storing it would sign the user back in everywhere.
        if !signin.interactive && signin.sign_outs != self.sign_outs {
            let e = Error::NoSession("signed out while the silent sign-in was under way");
            return self.end_signin(task, &signin, Err(e), now);
        }
        // A hidden iframe renews the session the page has, like a refresh (OIDC Core §12.2): an
        // ID token for another user (signed in at the OP meanwhile, or an OP that ignored
        // `id_token_hint`) would swap the user under the app, announced as `refreshed`.
        if !signin.interactive {
            if let Some(claim) = changed_user(self.session.as_ref(), &signed_in.session) {
                let e = Error::IdToken(IdTokenError::RefreshedClaimChanged(claim));
                return self.end_signin(task, &signin, Err(e), now);
            }
        }
        let primary = self.save_primary(task, &signed_in.session);
        if primary || self.save_shared(task, &signed_in.session) {
            signin.stage = Stage::Saving {
                signed_in: Box::new(signed_in),
                shared: !primary,
            };
            self.put_task(task, Task::Signin(signin));
        } else {
            self.signed_in(task, signin, signed_in, now);
        }
    }

    /// The new session is stored: make it current, tell the other tabs and the app.
    fn signed_in(&mut self, task: TaskId, signin: Box<Signin>, signed_in: SignedIn, now: i64) {
        let had_session = self.session.is_some();
        self.adopt(signed_in.session.clone());
        self.superseded = None;
        self.arm_timers(now);
        self.announce_to_tabs();
        self.emit(match Announce::of(signin.interactive, had_session) {
            Announce::SignedIn => Event::SignedIn(signed_in.clone()),
            Announce::Refreshed => Event::Refreshed(signed_in.session.clone()),
        });
        self.end_signin(task, &signin, Ok(signed_in), now);
    }

    /// Ends a sign-in: the window closed, an unspent transaction spent, the outcome recorded
    /// for a callback handled again and handed to every operation that waits.
    fn end_signin(
        &mut self,
        task: TaskId,
        signin: &Signin,
        result: Result<SignedIn, Error>,
        now: i64,
    ) {
        self.cancel_task_io(task);
        // A refused session the sign-in was to renew ends now, if it expired meanwhile.
        if result.is_err() && self.session.as_ref().is_some_and(|s| s.refresh_refused) {
            self.rearm_expired(now);
        }
        if signin.window_open {
            self.emit_io(Command::CloseWindow { op: signin.op });
        }
        if let (Err(_), Some(state)) = (&result, &signin.spend_on_failure) {
            self.emit_io(Command::Remove {
                area: Area::Session,
                key: self.transaction_key(state),
            });
        }
        let result = result
            .map(|signed_in| Rc::new(Outcome::SignedIn(signed_in)))
            .map_err(Rc::new);
        for handled in &mut self.callbacks {
            if matches!(handled.outcome, Handling::Running(t) if t == task) {
                handled.outcome = Handling::Done(result.clone());
            }
        }
        self.done_all(&signin.ops, &result);
    }
}

/// Which of `iss` and `sub` differs between the page's session and a renewal of it, if any.
fn changed_user(current: Option<&Session>, renewed: &Session) -> Option<&'static str> {
    let (Some(was), Some(now)) = (current?.claims.as_ref(), renewed.claims.as_ref()) else {
        return None;
    };
    if was.iss != now.iss {
        return Some("iss");
    }
    (was.sub != now.sub).then_some("sub")
}
