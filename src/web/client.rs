//! The browser client: the public operations, for Rust front ends directly and for JavaScript
//! through [`super::js`]. Sequencing only: each operation asks the [`core`](crate::core) what to
//! do (a flow, a plan, a decision), has the [`driver`](super::driver) or the other shell files
//! perform it, and stores and announces the outcome through the [`Keeper`].
//!
//! The example in [the module docs](super) shows it from a Rust front end.

use super::driver::{response_in_url, run_code_flow, run_refresh_flow};
use super::frames::{self, HiddenFrame};
use super::keeper::{ClientEvent, Flight, Keeper};
use super::storage::{self, SessionStore};
use super::{current_url, http, navigate, now, tabs, window};
use crate::core::authorize::Transaction;
use crate::core::config::{AuthorizeOptions, ClientConfig, LogoutOptions};
use crate::core::flow::access::{self, AccessDecision};
use crate::core::flow::code::{Announce, CodeFlow, SignedIn};
use crate::core::flow::idle::IdlePolicy;
use crate::core::flow::logout::LogoutFlow;
use crate::core::flow::refresh::{store_renewed, under_lock, RefreshFlow, UnderLock};
use crate::core::flow::silent::{self, FramePlan, SilentPlan};
use crate::core::metadata::ProviderMetadata;
use crate::core::params::ResponseMode;
use crate::core::response::{self, ResponseParams};
use crate::core::secret::AccessToken;
use crate::core::session::Session;
use crate::core::web_message::Delivery;
use crate::Error;
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use wasm_bindgen::JsValue;

struct Inner {
    config: ClientConfig,
    metadata: Rc<ProviderMetadata>,
    keeper: Rc<Keeper>,
    /// Callback URLs this page handled (as received, and as left in the address bar), with their
    /// outcome: React StrictMode and the like call `handleRedirectCallback` twice.
    callbacks: RefCell<Vec<HandledCallback>>,
}

/// A popup or hidden-iframe sign-in whose request is showing.
struct FrameSignIn {
    plan: FramePlan,
    tx: Transaction,
    shown: Shown,
}

/// Where a frame sign-in is to show its authorization request.
enum ShowIn {
    /// A popup: the app's own window, or one opened now.
    Popup(Option<web_sys::Window>),
    /// A hidden iframe (silent sign-in).
    HiddenFrame,
}

/// The window showing a frame sign-in's authorization request.
enum Shown {
    Popup(web_sys::Window),
    /// Removed from the document when dropped.
    Frame(HiddenFrame),
}

/// A callback this page handled: its URL as received and as cleaned, and its outcome.
type HandledCallback = ([String; 2], Rc<Flight<SignedIn>>);

impl Drop for Inner {
    fn drop(&mut self) {
        self.keeper.dispose();
    }
}

/// The OpenID Connect client of one page. Cheap to clone (a shared handle); dropping the last
/// handle (or [`Client::dispose`]) stops its timers and its channel to the other tabs.
#[derive(Clone)]
pub struct Client {
    inner: Rc<Inner>,
}

/// A handle that does not keep the client alive (for unsubscribe functions and timers).
#[derive(Clone)]
pub struct WeakClient(Weak<Inner>);

impl WeakClient {
    /// The client, if it is still alive.
    pub fn upgrade(&self) -> Option<Client> {
        self.0.upgrade().map(|inner| Client { inner })
    }
}

impl Client {
    /// Creates a client: checks the configuration, fetches discovery (cached per issuer), and
    /// restores a persisted session.
    pub async fn create(config: ClientConfig) -> Result<Client, Error> {
        config.validate()?;
        let metadata = http::discovery(&config.issuer, config.request_timeout_ms).await?;
        let store = SessionStore::new(config.storage, &config.issuer, &config.client_id);
        let idle = IdlePolicy::new(config.idle_timeout_seconds, config.idle_warning_seconds);
        let keeper = Keeper::open(store, config.auto_refresh, idle)?;
        let client = Client {
            inner: Rc::new(Inner {
                config,
                metadata,
                keeper,
                callbacks: RefCell::new(Vec::new()),
            }),
        };
        let weak = client.downgrade();
        client.inner.keeper.set_refresher(move || {
            if let Some(client) = weak.upgrade() {
                // Errors reach listeners as refreshFailed.
                super::spawn(async move {
                    let _ = client.refresh().await;
                });
            }
        });
        client.inner.keeper.arm_timers();
        Ok(client)
    }

    /// A handle that does not keep the client alive.
    pub fn downgrade(&self) -> WeakClient {
        WeakClient(Rc::downgrade(&self.inner))
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// The OP's metadata.
    pub fn metadata(&self) -> &ProviderMetadata {
        &self.inner.metadata
    }

    /// The current session.
    pub fn session(&self) -> Option<Session> {
        self.inner.keeper.session()
    }

    /// Registers `listener` for every event; returns an id for [`Client::off`].
    pub fn on(&self, listener: impl Fn(&ClientEvent) + 'static) -> u32 {
        self.inner.keeper.on(listener)
    }

    /// Removes a listener.
    pub fn off(&self, id: u32) {
        self.inner.keeper.off(id);
    }

    /// Stops timers, listeners and the channel to the other tabs; every later call fails with
    /// [`Error::Disposed`]. Dropping the last handle does the same.
    pub fn dispose(&self) {
        self.inner.keeper.dispose();
    }

    /// [`Error::Disposed`] once the client was disposed of, for calls that take no other path.
    pub fn check_alive(&self) -> Result<(), Error> {
        self.inner.keeper.check_alive()
    }

    fn keeper(&self) -> Result<&Rc<Keeper>, Error> {
        self.inner.keeper.check_alive()?;
        Ok(&self.inner.keeper)
    }

    // ----- sign-in -----

    /// Builds the authorization request for `options` and stores its transaction.
    fn authorization_request(
        &self,
        options: AuthorizeOptions,
        mode: ResponseMode,
        redirect_uri: &str,
    ) -> Result<(String, Transaction), Error> {
        let session = self.keeper()?.session();
        let now = now();
        let (url, tx) = options
            .to_request(&self.inner.config, session.as_ref(), mode, redirect_uri)?
            .build(&self.inner.metadata, now)?;
        storage::save_transaction(&tx, now)?;
        Ok((url, tx))
    }

    /// The authorization URL of a redirect sign-in; the transaction is stored for the callback.
    pub async fn authorize_url(&self, options: AuthorizeOptions) -> Result<String, Error> {
        let mode = silent::redirect_mode(&self.inner.config, &options)?;
        let redirect_uri = self.inner.config.redirect_uri.clone();
        Ok(self.authorization_request(options, mode, &redirect_uri)?.0)
    }

    /// Sends the browser to the OP.
    pub async fn signin_redirect(&self, options: AuthorizeOptions) -> Result<(), Error> {
        let url = self.authorize_url(options).await?;
        navigate(&url)
    }

    /// Completes a redirect sign-in from `url` (default: the current address): finds the response
    /// in the query, the fragment or behind the form_post service worker, runs the code flow,
    /// stores the session and cleans the address bar.
    ///
    /// Called again in the same page with the same URL (or with the address it left behind), it
    /// gives the same outcome without a second code exchange.
    pub async fn handle_redirect_callback(&self, url: Option<String>) -> Result<SignedIn, Error> {
        self.keeper()?;
        let from_location = url.is_none();
        let url = match url {
            Some(url) => url,
            None => current_url()?,
        };
        let handled = self
            .inner
            .callbacks
            .borrow()
            .iter()
            .find(|(urls, _)| urls.contains(&url))
            .map(|(_, flight)| flight.clone());
        if let Some(flight) = handled {
            return flight.wait().await;
        }
        let fragment = matches!(
            ResponseParams::locate_in_url(&url),
            Ok((_, ResponseMode::Fragment))
        );
        let clean = response::strip_response_params(&url, fragment);
        let flight = Flight::new();
        self.inner
            .callbacks
            .borrow_mut()
            .push(([url.clone(), clean.clone()], flight.clone()));
        let found = response_in_url(&url, self.inner.config.request_timeout_ms).await;
        if from_location {
            if let Ok(history) = window()?.history() {
                let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&clean));
            }
        }
        let result = match found {
            Ok((params, delivered)) => self.complete(params, delivered, true).await,
            Err(e) => Err(e),
        };
        flight.finish(result.clone());
        result
    }

    /// Completes a form_post sign-in from the POSTed body (for apps whose server receives it).
    pub async fn handle_form_post(&self, body: &str) -> Result<SignedIn, Error> {
        let params = ResponseParams::from_form_post(body)?;
        self.complete(params, ResponseMode::FormPost, true).await
    }

    /// The code flow for `params`, then the session stored and announced.
    async fn complete(
        &self,
        params: ResponseParams,
        delivered: ResponseMode,
        interactive: bool,
    ) -> Result<SignedIn, Error> {
        let keeper = self.keeper()?;
        let state = params.state().ok_or(Error::StateMismatch)?;
        let tx = storage::take_transaction(state, now())?.ok_or(Error::StateMismatch)?;
        let (flow, step) = CodeFlow::start(
            &params,
            delivered,
            tx,
            &self.inner.config,
            &self.inner.metadata,
        );
        let signed_in = run_code_flow(flow, step).await?;
        let had_session = keeper.session().is_some();
        keeper.set(signed_in.session.clone(), true).await?;
        keeper.arm_timers();
        keeper.emit(match Announce::of(interactive, had_session) {
            Announce::SignedIn => ClientEvent::SignedIn(signed_in.clone()),
            Announce::Refreshed => ClientEvent::Refreshed(signed_in.session.clone()),
        });
        Ok(signed_in)
    }

    /// Signs in through a popup: the callback page (`silent_redirect_uri`) when configured, else
    /// web_message. The popup is open when this returns, before anything is awaited, so call it
    /// in the click handler itself (browsers block a `window.open` that follows an await); or
    /// open a window there yourself and pass it as `window`. The returned future completes the
    /// sign-in.
    pub fn signin_popup(
        &self,
        options: AuthorizeOptions,
        window: Option<web_sys::Window>,
    ) -> impl std::future::Future<Output = Result<SignedIn, Error>> + 'static {
        let started = self.start_in_frame(options, ShowIn::Popup(window));
        let client = self.clone();
        async move { client.finish_in_frame(started?).await }
    }

    /// Renews the session without user interaction, as [`SilentPlan`] says: the refresh_token
    /// grant first when it can serve, else (or when the OP refuses the grant) a hidden iframe
    /// with `prompt=none`. OP errors (`login_required`, ...) keep their codes; the session stays.
    pub async fn signin_silent(&self, options: AuthorizeOptions) -> Result<SignedIn, Error> {
        let plan = SilentPlan::new(self.keeper()?.session().as_ref(), options);
        if plan.refresh_first {
            match self.refresh().await {
                Ok(session) => {
                    return Ok(SignedIn {
                        session,
                        app_state: plan.authorize.app_state,
                    })
                }
                Err(e) if SilentPlan::falls_back_on(&e) => {}
                Err(e) => return Err(e),
            }
        }
        let started = self.start_in_frame(plan.authorize, ShowIn::HiddenFrame)?;
        self.finish_in_frame(started).await
    }

    /// The synchronous half of a popup or hidden-iframe sign-in: the plan, the stored
    /// transaction, the window showing the authorization request.
    fn start_in_frame(
        &self,
        options: AuthorizeOptions,
        show_in: ShowIn,
    ) -> Result<FrameSignIn, Error> {
        let plan = FramePlan::new(
            &self.inner.config,
            &self.inner.metadata,
            &options,
            matches!(show_in, ShowIn::Popup(_)),
            frames::origin_of(&self.inner.metadata.authorization_endpoint)?,
            frames::own_origin()?,
        )?;
        let (url, tx) = self.authorization_request(options, plan.mode, &plan.redirect_uri)?;
        let shown = match show_in {
            ShowIn::Popup(given) => frames::open_popup(&url, given).map(Shown::Popup),
            ShowIn::HiddenFrame => HiddenFrame::open(&url).map(Shown::Frame),
        };
        match shown {
            Ok(shown) => Ok(FrameSignIn { plan, tx, shown }),
            Err(e) => {
                let _ = storage::take_transaction(&tx.state, now());
                Err(e)
            }
        }
    }

    /// Waits for the response of a started popup or iframe sign-in and completes it.
    async fn finish_in_frame(&self, started: FrameSignIn) -> Result<SignedIn, Error> {
        let FrameSignIn { plan, tx, shown } = started;
        let delivery = match &shown {
            Shown::Popup(popup) => {
                let result = frames::wait_for_response(
                    popup,
                    plan.expect,
                    &tx.state,
                    plan.timeout_ms,
                    Some(popup),
                )
                .await;
                let _ = popup.close();
                result
            }
            Shown::Frame(frame) => match frame.window() {
                Ok(source) => {
                    frames::wait_for_response(
                        &source,
                        plan.expect,
                        &tx.state,
                        plan.timeout_ms,
                        None,
                    )
                    .await
                }
                Err(e) => Err(e),
            },
        };
        drop(shown);
        let found = match delivery {
            Ok(Delivery::Params(params)) => Ok((params, ResponseMode::WebMessage)),
            Ok(Delivery::CallbackUrl(url)) => {
                response_in_url(&url, self.inner.config.request_timeout_ms).await
            }
            Ok(Delivery::FormPostBody(body)) => {
                ResponseParams::from_form_post(&body).map(|p| (p, ResponseMode::FormPost))
            }
            Err(e) => Err(e),
        };
        match found {
            Ok((params, delivered)) => self.complete(params, delivered, plan.popup).await,
            Err(e) => {
                // The transaction is spent either way.
                let _ = storage::take_transaction(&tx.state, now());
                Err(e)
            }
        }
    }

    // ----- refresh -----

    /// Renews the session with the refresh_token grant (RFC 6749 §6). Concurrent calls share one
    /// request; with `local` storage it runs under a Web Lock and a tab that waited takes the
    /// session another tab already got. A failure leaves the session as it was.
    pub async fn refresh(&self) -> Result<Session, Error> {
        let keeper = self.keeper()?;
        let (flight, started) = keeper.join_or_start_refresh();
        if started {
            // Its own task: a caller that stops waiting neither abandons a request whose answer
            // rotated the refresh token nor leaves the flight open for later callers.
            let client = self.clone();
            super::spawn(async move {
                let result = client.refresh_coordinated().await;
                client.inner.keeper.finish_refresh(result);
            });
        }
        flight.wait().await
    }

    /// One refresh: under the cross-tab Web Lock when the session is shared, directly otherwise.
    async fn refresh_coordinated(&self) -> Result<Session, Error> {
        let keeper = &self.inner.keeper;
        if !keeper.store().kind().is_shared() {
            return match keeper.session() {
                Some(current) => self.refresh_now(current).await,
                None => Err(Error::NoSession("no session to refresh")),
            };
        }
        let held = keeper.session();
        let client = self.clone();
        let lock_name = format!("{}:refresh", keeper.store().key());
        let wait_ms = self.inner.config.lock_wait_ms();
        tabs::with_lock(&lock_name, wait_ms, move || async move {
            let stored = client.inner.keeper.store().load_latest().await?;
            match under_lock(held.as_ref(), stored) {
                UnderLock::SignedOutElsewhere => {
                    client.inner.keeper.drop_session("other_tab");
                    Err(Error::NoSession("signed out in another tab"))
                }
                UnderLock::AlreadyRefreshed(session) => {
                    client.inner.keeper.adopt(session.clone());
                    client.inner.keeper.arm_timers();
                    Ok(session)
                }
                UnderLock::Refresh(session) => {
                    client.inner.keeper.adopt(session.clone());
                    client.refresh_now(session).await
                }
            }
        })
        .await
    }

    /// The refresh flow for `current`; the renewed session, or the one the flow says to keep.
    async fn refresh_now(&self, current: Session) -> Result<Session, Error> {
        let previous = current.clone();
        let (flow, step) = RefreshFlow::start(current, &self.inner.config, &self.inner.metadata);
        let keeper = &self.inner.keeper;
        let generation = keeper.generation();
        match run_refresh_flow(flow, step).await {
            Ok(renewed) => {
                let dropped_here = keeper.generation() != generation && keeper.session().is_none();
                let dropped_elsewhere = keeper.store().kind().is_shared()
                    && matches!(keeper.store().load_latest().await, Ok(None));
                store_renewed(dropped_here || dropped_elsewhere)?;
                if let Err(e) = keeper.set(renewed.clone(), true).await {
                    // Storing failed (a full localStorage): the app keeps its session, but this
                    // tab (and, where it can still be written, the shared copy) holds the refresh
                    // token the OP rotated in, so the next refresh is no replay.
                    if let Some(kept) = previous.after_refused_refresh(renewed.refresh_token) {
                        let _ = keeper.store().save_shared(&kept).await;
                        keeper.adopt(kept);
                    }
                    return Err(e);
                }
                keeper.arm_timers();
                Ok(renewed)
            }
            Err(failure) => {
                if let Some(kept) = failure.keep {
                    // Not announced: for the app and the other tabs nothing changed (they read
                    // the stored session under the lock before they refresh).
                    let _ = keeper.set(kept, false).await;
                }
                Err(failure.error)
            }
        }
    }

    /// A valid access token, as [`access::decide`] says: the current one, or a refreshed one
    /// when it is within the leeway of expiry (the current one again if that fails in time).
    pub async fn get_access_token(&self) -> Result<AccessToken, Error> {
        match access::decide(self.keeper()?.session().as_ref(), now()) {
            AccessDecision::Use(token) => Ok(token),
            AccessDecision::Fail(e) => Err(e),
            AccessDecision::Refresh { fallback } => {
                let refreshed = self.refresh().await.map(|s| s.access_token);
                access::after_refresh(refreshed, fallback)
            }
        }
    }

    // ----- logout -----

    /// The end-session URL (RP-Initiated Logout 1.0 §2); its state is stored for the return.
    pub async fn signout_url(&self, options: LogoutOptions) -> Result<String, Error> {
        let keeper = self.keeper()?;
        let session = keeper.session();
        let (url, tx) = LogoutFlow::start(
            &self.inner.config,
            &self.inner.metadata,
            options,
            session.as_ref(),
            now(),
        )?;
        storage::save_logout(keeper.store().key(), &tx)?;
        Ok(url)
    }

    /// Clears the local session (all tabs are told), then sends the browser to the OP's logout.
    pub async fn signout_redirect(&self, options: LogoutOptions) -> Result<(), Error> {
        let url = self.signout_url(options).await?;
        // Committed before the page unloads, which would abort a pending IndexedDB write.
        let _ = self.inner.keeper.store().clear_shared().await;
        self.inner.keeper.sign_out("signout");
        navigate(&url)
    }

    /// Forgets the session here and in the other tabs, without contacting the OP.
    pub fn sign_out_locally(&self) {
        self.inner.keeper.sign_out("signout");
    }

    /// Checks the state the OP returned after logout (`url` defaults to the current address).
    pub async fn handle_signout_callback(
        &self,
        url: Option<String>,
    ) -> Result<Option<String>, Error> {
        let keeper = self.keeper()?;
        let url = match url {
            Some(url) => url,
            None => current_url()?,
        };
        let tx = storage::take_logout(keeper.store().key())?;
        LogoutFlow::finish(&url, tx.as_ref())
    }
}
