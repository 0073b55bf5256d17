//! The session keeper: the page's current session, the app's listeners, the expiry timers and
//! the channel to the other tabs. It stores and announces; what the timers do and whether a
//! session is newer is decided by the core.

use super::dom::{Listener, Timeout};
use super::idle::{IdleNews, IdleWatch};
use super::storage::SessionStore;
use super::tabs::TabChannel;
use super::{now, window};
use crate::core::flow::code::SignedIn;
use crate::core::flow::idle::IdlePolicy;
use crate::core::flow::{access, refresh};
use crate::core::session::Session;
use crate::Error;
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use wasm_bindgen::JsValue;

/// What a client tells its listeners.
#[derive(Debug, Clone)]
pub enum ClientEvent {
    /// A sign-in completed.
    SignedIn(SignedIn),
    /// The session was renewed (refresh token, silent sign-in, or another tab's refresh).
    Refreshed(Session),
    /// A refresh failed; the session is unchanged.
    RefreshFailed(Error),
    /// The access token expires soon (at `expires_at`).
    Expiring(i64),
    /// The access token has expired (at `expires_at`).
    Expired(i64),
    /// The session ended: `"signout"` here, `"other_tab"` when another tab signed out, `"idle"`
    /// when no tab saw user activity for `idleTimeoutSeconds`.
    SignedOut(&'static str),
    /// No user activity in any tab: the session ends in this many milliseconds.
    Idle(u32),
}

type Subscriber = Rc<dyn Fn(&ClientEvent)>;

/// An operation under way (a refresh, a callback), shared by every caller that asks while it runs
/// and by those that ask after it ended.
pub struct Flight<T: Clone = Session> {
    promise: js_sys::Promise,
    /// The promise's resolve function (always there: `Promise::new` calls its executor at once).
    resolve: Option<js_sys::Function>,
    result: RefCell<Option<Result<T, Error>>>,
}

impl<T: Clone> Flight<T> {
    /// A flight not yet finished.
    pub fn new() -> Rc<Self> {
        let mut resolve_fn = None;
        let promise = js_sys::Promise::new(&mut |resolve, _| resolve_fn = Some(resolve));
        Rc::new(Flight {
            promise,
            resolve: resolve_fn,
            result: RefCell::new(None),
        })
    }

    /// Waits for the operation to end: its result, or [`Error::Abandoned`] if it ended without
    /// one.
    pub async fn wait(&self) -> Result<T, Error> {
        let _ = wasm_bindgen_futures::JsFuture::from(self.promise.clone()).await;
        self.result
            .borrow()
            .clone()
            .unwrap_or(Err(Error::Abandoned))
    }

    /// Ends it: every caller that waits gets `result`.
    pub fn finish(&self, result: Result<T, Error>) {
        *self.result.borrow_mut() = Some(result);
        if let Some(resolve) = &self.resolve {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    }
}

/// The current session of one client, and who hears about it.
pub struct Keeper {
    store: SessionStore,
    session: RefCell<Option<Session>>,
    listeners: RefCell<Vec<(u32, Subscriber)>>,
    /// The page-lifecycle listeners that wake the keeper (visible, resumed, online, restored).
    wake_listeners: RefCell<Vec<Listener>>,
    next_listener: Cell<u32>,
    timers: RefCell<Vec<Timeout>>,
    channel: RefCell<Option<TabChannel>>,
    /// This tab's own refresh, while it runs (another tab's news is then not announced).
    flight: RefCell<Option<Rc<Flight>>>,
    /// Starts a refresh when the access token starts expiring (set by the client).
    refresher: RefCell<Option<Rc<dyn Fn()>>>,
    auto_refresh: bool,
    /// When to warn about and end a session no tab used (`idleTimeoutSeconds`).
    idle_policy: Option<IdlePolicy>,
    idle: RefCell<Option<Rc<IdleWatch>>>,
    generation: Cell<u64>,
    /// A wake-up is under way: a page restored from the back/forward cache fires `resume`,
    /// `visibilitychange` and `pageshow` together, and one catch-up serves them all.
    waking: Cell<bool>,
    disposed: Cell<bool>,
}

impl Keeper {
    /// A keeper over `store`, holding what it had persisted, listening to the other tabs.
    pub fn open(
        store: SessionStore,
        auto_refresh: bool,
        idle_policy: Option<IdlePolicy>,
    ) -> Result<Rc<Keeper>, Error> {
        let restored = store.load()?;
        let keeper = Rc::new(Keeper {
            store,
            session: RefCell::new(restored),
            listeners: RefCell::new(Vec::new()),
            wake_listeners: RefCell::new(Vec::new()),
            next_listener: Cell::new(0),
            timers: RefCell::new(Vec::new()),
            channel: RefCell::new(None),
            flight: RefCell::new(None),
            refresher: RefCell::new(None),
            auto_refresh,
            idle_policy,
            idle: RefCell::new(None),
            generation: Cell::new(0),
            waking: Cell::new(false),
            disposed: Cell::new(false),
        });
        keeper.open_channel();
        keeper.listen_for_wake();
        Ok(keeper)
    }

    /// Opens the channel to the other tabs, unless it is open or the keeper was disposed of.
    fn open_channel(self: &Rc<Self>) {
        if self.disposed.get() || self.channel.borrow().is_some() {
            return;
        }
        let weak = Rc::downgrade(self);
        let channel = TabChannel::open(self.store.key(), move |data| on_tab_message(&weak, data));
        *self.channel.borrow_mut() = channel;
    }

    /// Browsers throttle timers in background tabs, freeze pages and suspend machines, so an
    /// expiry timer can fire late or never. When the page becomes visible, is resumed, comes back
    /// online or is restored from the back/forward cache, [`Keeper::wake`] catches up at once.
    fn listen_for_wake(self: &Rc<Self>) {
        let Ok(window) = window() else { return };
        let mut listeners = Vec::new();
        let mut on = |target: &web_sys::EventTarget, kind: &'static str, only_if_visible: bool| {
            let weak = Rc::downgrade(self);
            listeners.push(Listener::new(target, kind, move |_| {
                let Some(keeper) = weak.upgrade() else { return };
                if only_if_visible && !page_visible() {
                    return;
                }
                super::spawn(async move { keeper.wake().await });
            }));
        };
        if let Some(document) = window.document() {
            on(&document, "visibilitychange", true);
            on(&document, "resume", false);
        }
        on(&window, "online", false);
        // The channel is closed while the page is hidden in the back/forward cache: Chromium
        // evicts a cached page that a BroadcastChannel message reaches. Restored, the page
        // reopens it and wake() reads what the other tabs did meanwhile.
        let weak = Rc::downgrade(self);
        listeners.push(Listener::new(&window, "pagehide", move |_| {
            if let Some(keeper) = weak.upgrade() {
                keeper.channel.borrow_mut().take();
            }
        }));
        let weak = Rc::downgrade(self);
        listeners.push(Listener::new(&window, "pageshow", move |_| {
            let Some(keeper) = weak.upgrade() else { return };
            keeper.open_channel();
            super::spawn(async move { keeper.wake().await });
        }));
        *self.wake_listeners.borrow_mut() = listeners;
    }

    /// Catches up after the page woke: takes what the other tabs did meanwhile (a shared session
    /// another tab renewed, or removed by signing out), re-arms the timers, and refreshes now if
    /// [`access::refresh_on_wake`] says so. A wake-up while one is under way is that one.
    pub async fn wake(self: Rc<Self>) {
        if self.disposed.get() || self.waking.replace(true) {
            return;
        }
        if self.store.kind().is_shared() {
            match self.store.load_latest().await {
                Ok(None) if self.session.borrow().is_some() => self.drop_session("other_tab"),
                Ok(Some(_)) => take_other_tab_session(&self).await,
                _ => {}
            }
        }
        self.waking.set(false);
        self.arm_timers();
        if access::refresh_on_wake(self.auto_refresh, self.session().as_ref(), now()) {
            let refresher = self.refresher.borrow().clone();
            if let Some(refresh) = refresher {
                refresh();
            }
        }
    }

    /// The store.
    pub fn store(&self) -> &SessionStore {
        &self.store
    }

    /// A copy of the current session.
    pub fn session(&self) -> Option<Session> {
        self.session.borrow().clone()
    }

    /// Refuses every call once disposed of.
    pub fn check_alive(&self) -> Result<(), Error> {
        if self.disposed.get() {
            Err(Error::Disposed)
        } else {
            Ok(())
        }
    }

    /// What starts a refresh when the `expiring` timer says so.
    pub fn set_refresher(&self, refresher: impl Fn() + 'static) {
        *self.refresher.borrow_mut() = Some(Rc::new(refresher));
    }

    /// The refresh in flight, and whether the caller must start it (there was none).
    pub fn join_or_start_refresh(&self) -> (Rc<Flight>, bool) {
        if let Some(flight) = self.flight.borrow().clone() {
            return (flight, false);
        }
        let flight = Flight::new();
        *self.flight.borrow_mut() = Some(flight.clone());
        (flight, true)
    }

    /// Ends the refresh in flight: announced, and handed to every caller that waits.
    pub fn finish_refresh(&self, result: Result<Session, Error>) {
        let flight = self.flight.borrow_mut().take();
        self.emit(match &result {
            Ok(session) => ClientEvent::Refreshed(session.clone()),
            Err(e) => ClientEvent::RefreshFailed(e.clone()),
        });
        if let Some(flight) = flight {
            flight.finish(result);
        }
    }

    /// Registers `listener` for every event; returns an id for [`Keeper::off`].
    pub fn on(&self, listener: impl Fn(&ClientEvent) + 'static) -> u32 {
        let id = self.next_listener.get().wrapping_add(1);
        self.next_listener.set(id);
        self.listeners.borrow_mut().push((id, Rc::new(listener)));
        id
    }

    /// Removes a listener.
    pub fn off(&self, id: u32) {
        self.listeners.borrow_mut().retain(|(i, _)| *i != id);
    }

    /// Tells every listener.
    pub fn emit(&self, event: ClientEvent) {
        // Cloned first: a listener may add or remove listeners.
        let listeners: Vec<Subscriber> = self
            .listeners
            .borrow()
            .iter()
            .map(|(_, l)| l.clone())
            .collect();
        for listener in listeners {
            listener(&event);
        }
    }

    /// Stores `session` (committed where other tabs read it before they are told), then makes it
    /// the current one; the other tabs are told when `tell_tabs`. When storing fails, nothing
    /// changes here.
    pub async fn set(&self, session: Session, tell_tabs: bool) -> Result<(), Error> {
        self.store.save(&session)?;
        self.store.save_shared(&session).await?;
        self.adopt(session);
        if tell_tabs {
            self.broadcast("session");
        }
        Ok(())
    }

    /// A number that changes whenever this tab's session is replaced or dropped, to tell whether
    /// anything happened to it while an operation was under way.
    pub fn generation(&self) -> u64 {
        self.generation.get()
    }

    /// Takes `session` as the current one without storing it (read from the shared store, or
    /// kept in memory when storing failed).
    pub fn adopt(&self, session: Session) {
        *self.session.borrow_mut() = Some(session);
        self.generation.set(self.generation.get().wrapping_add(1));
    }

    /// Forgets the session here; `signedOut` with `reason` if there was one.
    pub fn drop_session(&self, reason: &'static str) {
        let had = self.session.borrow_mut().take().is_some();
        self.generation.set(self.generation.get().wrapping_add(1));
        self.timers.borrow_mut().clear();
        // Not dropped from inside its own callback: `sign_out("idle")` runs in the watch.
        let idle = self.idle.borrow_mut().take();
        if let Some(watch) = idle {
            super::spawn(async move { drop(watch) });
        }
        if had {
            self.emit(ClientEvent::SignedOut(reason));
        }
    }

    /// Forgets the session here and in the store, and tells the other tabs.
    pub fn sign_out(&self, reason: &'static str) {
        let _ = self.store.clear();
        let store = self.store.clone();
        super::spawn(async move {
            let _ = store.clear_shared().await;
        });
        self.drop_session(reason);
        self.broadcast_with("signedOut", Some(reason));
    }

    /// (Re-)arms the expiry timers of the current session, as
    /// [`access::expiry_timers`] computes them: `expiring` (and, as
    /// [`access::refresh_on_expiring`] says, a refresh) at the leeway, `expired` at expiry.
    pub fn arm_timers(self: &Rc<Self>) {
        self.watch_idle();
        let Some(at) = self
            .session()
            .and_then(|s| access::expiry_timers(&s, now()))
        else {
            self.timers.borrow_mut().clear();
            return;
        };
        let weak = Rc::downgrade(self);
        let on_expiring = {
            let weak = weak.clone();
            move || {
                let Some(keeper) = weak.upgrade() else { return };
                keeper.emit(ClientEvent::Expiring(at.expires_at));
                if access::refresh_on_expiring(keeper.auto_refresh, keeper.session().as_ref()) {
                    let refresher = keeper.refresher.borrow().clone();
                    if let Some(refresh) = refresher {
                        refresh();
                    }
                }
            }
        };
        let on_expired = move || {
            let Some(keeper) = weak.upgrade() else { return };
            if keeper.session().is_some_and(|s| s.is_expired(now())) {
                keeper.emit(ClientEvent::Expired(at.expires_at));
            }
        };
        let timers = [
            Timeout::new(at.expiring_in_ms, on_expiring),
            Timeout::new(at.expired_in_ms, on_expired),
        ];
        *self.timers.borrow_mut() = timers.into_iter().flatten().collect();
    }

    /// Watches for idleness while there is a session and a policy; stops otherwise.
    fn watch_idle(self: &Rc<Self>) {
        let (Some(policy), true) = (self.idle_policy, self.session.borrow().is_some()) else {
            self.idle.borrow_mut().take();
            return;
        };
        if self.idle.borrow().is_some() || self.disposed.get() {
            return;
        }
        let weak = Rc::downgrade(self);
        let watch = IdleWatch::start(policy, self.store.key(), move |news| {
            let Some(keeper) = weak.upgrade() else { return };
            match news {
                IdleNews::Warning { ms } => keeper.emit(ClientEvent::Idle(ms)),
                IdleNews::SignOut => {
                    keeper.sign_out("idle");
                }
            }
        });
        *self.idle.borrow_mut() = Some(watch);
    }

    fn broadcast(&self, kind: &str) {
        self.broadcast_with(kind, None);
    }

    fn broadcast_with(&self, kind: &str, reason: Option<&str>) {
        if let Some(channel) = self.channel.borrow().as_ref() {
            let message = js_sys::Object::new();
            super::set(&message, "type", kind);
            if let Some(reason) = reason {
                super::set(&message, "reason", reason);
            }
            channel.post(&message);
        }
    }

    /// Stops the timers and the channel and forgets the listeners; later calls are refused.
    pub fn dispose(&self) {
        self.disposed.set(true);
        self.timers.borrow_mut().clear();
        self.channel.borrow_mut().take();
        self.listeners.borrow_mut().clear();
        self.wake_listeners.borrow_mut().clear();
        self.idle.borrow_mut().take();
        self.refresher.borrow_mut().take();
    }
}

/// Another tab spoke: it signed out, or (shared `local` sessions) stored a new session.
fn on_tab_message(keeper: &Weak<Keeper>, data: JsValue) {
    let Some(keeper) = keeper.upgrade() else {
        return;
    };
    let kind = js_sys::Reflect::get(&data, &JsValue::from_str("type"))
        .ok()
        .and_then(|v| v.as_string());
    match kind.as_deref() {
        Some("signedOut") => {
            let _ = keeper.store.clear();
            // An idle sign-out is the same news in every tab; any other is another tab's.
            let idle = js_sys::Reflect::get(&data, &JsValue::from_str("reason"))
                .ok()
                .and_then(|v| v.as_string())
                .is_some_and(|r| r == "idle");
            keeper.drop_session(if idle { "idle" } else { "other_tab" });
        }
        Some("session") if keeper.store.kind().is_shared() => {
            super::spawn(async move { take_other_tab_session(&keeper).await });
        }
        _ => {}
    }
}

/// Another tab stored a new session: take it (from IndexedDB, which has it for sure, unlike this
/// tab's view of `localStorage`). Skipped if this tab's session changed while reading, since what
/// was read may then be older than what this tab now holds.
async fn take_other_tab_session(keeper: &Rc<Keeper>) {
    let before = keeper.session();
    let Ok(Some(stored)) = keeper.store.load_latest().await else {
        return;
    };
    let after = keeper.session();
    if !refresh::take_other_tab_session(before.as_ref(), after.as_ref(), &stored) {
        return;
    }
    let had = keeper.session.borrow().is_some();
    keeper.adopt(stored.clone());
    keeper.arm_timers();
    if keeper.flight.borrow().is_none() {
        keeper.emit(if had {
            ClientEvent::Refreshed(stored)
        } else {
            ClientEvent::SignedIn(SignedIn {
                session: stored,
                app_state: None,
            })
        });
    }
}

/// Whether the page is visible (`document.visibilityState`).
fn page_visible() -> bool {
    window()
        .ok()
        .and_then(|w| w.document())
        .and_then(|d| js_sys::Reflect::get(&d, &JsValue::from_str("visibilityState")).ok())
        .and_then(|v| v.as_string())
        .map_or(true, |state| state == "visible")
}
