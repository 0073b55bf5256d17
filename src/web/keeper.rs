//! The session keeper: the page's current session, the app's listeners, the expiry timers and
//! the channel to the other tabs. It stores and announces; what the timers do and whether a
//! session is newer is decided by the core.

use super::storage::SessionStore;
use super::tabs::TabChannel;
use super::window;
use crate::core::config::StorageKind;
use crate::core::flow::code::SignedIn;
use crate::core::session::Session;
use crate::Error;
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

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
    /// The session ended: `"signout"` here, `"other_tab"` when another tab signed out.
    SignedOut(&'static str),
}

type Listener = Rc<dyn Fn(&ClientEvent)>;

/// A pending `setTimeout`, cleared when dropped.
pub struct Timeout {
    handle: i32,
    _callback: Closure<dyn FnMut()>,
}

impl Timeout {
    /// Calls `callback` once after `ms` milliseconds; `None` where there is no window.
    pub fn new(ms: u32, callback: impl FnMut() + 'static) -> Option<Self> {
        let callback = Closure::<dyn FnMut()>::new(callback);
        let handle = window()
            .ok()?
            .set_timeout_with_callback_and_timeout_and_arguments_0(
                callback.as_ref().unchecked_ref(),
                i32::try_from(ms).unwrap_or(i32::MAX),
            )
            .ok()?;
        Some(Timeout {
            handle,
            _callback: callback,
        })
    }
}

impl Drop for Timeout {
    fn drop(&mut self) {
        if let Some(window) = web_sys::window() {
            window.clear_timeout_with_handle(self.handle);
        }
    }
}

/// The current session of one client, and who hears about it.
pub struct Keeper {
    store: SessionStore,
    session: RefCell<Option<Session>>,
    listeners: RefCell<Vec<(u32, Listener)>>,
    next_listener: Cell<u32>,
    timers: RefCell<Vec<Timeout>>,
    channel: RefCell<Option<TabChannel>>,
    /// Whether this tab's own refresh is under way (another tab's news is then not announced).
    refreshing: Cell<bool>,
    /// Re-arms the expiry timers after another tab's session was taken (set by the client).
    rearm: RefCell<Option<Rc<dyn Fn()>>>,
    disposed: Cell<bool>,
}

impl Keeper {
    /// A keeper over `store`, holding what it had persisted, listening to the other tabs.
    pub fn open(store: SessionStore) -> Result<Rc<Keeper>, Error> {
        let restored = store.load()?;
        let keeper = Rc::new(Keeper {
            store,
            session: RefCell::new(restored),
            listeners: RefCell::new(Vec::new()),
            next_listener: Cell::new(0),
            timers: RefCell::new(Vec::new()),
            channel: RefCell::new(None),
            refreshing: Cell::new(false),
            rearm: RefCell::new(None),
            disposed: Cell::new(false),
        });
        let weak = Rc::downgrade(&keeper);
        let channel = TabChannel::open(keeper.store.key(), move |data| on_tab_message(&weak, data));
        *keeper.channel.borrow_mut() = channel;
        Ok(keeper)
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

    /// What re-arms the expiry timers when another tab's session is taken.
    pub fn set_rearm(&self, rearm: impl Fn() + 'static) {
        *self.rearm.borrow_mut() = Some(Rc::new(rearm));
    }

    /// Marks this tab's own refresh as running or not.
    pub fn set_refreshing(&self, running: bool) {
        self.refreshing.set(running);
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
        let listeners: Vec<Listener> = self
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
    /// the current one; the other tabs are told when `tell_tabs`.
    pub async fn set(&self, session: Session, tell_tabs: bool) -> Result<(), Error> {
        self.store.save(&session)?;
        self.store.save_shared(&session).await?;
        *self.session.borrow_mut() = Some(session);
        if tell_tabs {
            self.broadcast("session");
        }
        Ok(())
    }

    /// Takes `session`, read from the shared store, as the current one without storing it again.
    pub fn adopt(&self, session: Session) {
        *self.session.borrow_mut() = Some(session);
    }

    /// Forgets the session here; `signedOut` with `reason` if there was one.
    pub fn drop_session(&self, reason: &'static str) {
        let had = self.session.borrow_mut().take().is_some();
        self.timers.borrow_mut().clear();
        if had {
            self.emit(ClientEvent::SignedOut(reason));
        }
    }

    /// Forgets the session here and in the store, and tells the other tabs.
    pub fn sign_out(&self, reason: &'static str) {
        let _ = self.store.clear();
        let store = self.store.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let _ = store.clear_shared().await;
        });
        self.drop_session(reason);
        self.broadcast("signedOut");
    }

    /// Replaces the expiry timers.
    pub fn arm(&self, timers: Vec<Timeout>) {
        *self.timers.borrow_mut() = timers;
    }

    fn broadcast(&self, kind: &str) {
        if let Some(channel) = self.channel.borrow().as_ref() {
            let message = js_sys::Object::new();
            super::set(&message, "type", kind);
            channel.post(&message);
        }
    }

    /// Stops the timers and the channel and forgets the listeners; later calls are refused.
    pub fn dispose(&self) {
        self.disposed.set(true);
        self.timers.borrow_mut().clear();
        self.channel.borrow_mut().take();
        self.listeners.borrow_mut().clear();
        self.rearm.borrow_mut().take();
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
            keeper.drop_session("other_tab");
        }
        Some("session") if keeper.store.kind() == StorageKind::Local => {
            wasm_bindgen_futures::spawn_local(async move { take_other_tab_session(&keeper).await });
        }
        _ => {}
    }
}

/// Another tab stored a new session: take it (from IndexedDB, which has it for sure, unlike this
/// tab's view of `localStorage`). Skipped if this tab's session changed while reading, since what
/// was read may then be older than what this tab now holds.
async fn take_other_tab_session(keeper: &Keeper) {
    let before = keeper.session();
    let Ok(Some(stored)) = keeper.store.load_latest().await else {
        return;
    };
    let now = keeper.session();
    let unchanged_here = match (&before, &now) {
        (Some(a), Some(b)) => a.is_same(b),
        (None, None) => true,
        _ => false,
    };
    if !unchanged_here || before.as_ref().is_some_and(|b| b.is_same(&stored)) {
        return;
    }
    let had = keeper.session.replace(Some(stored.clone())).is_some();
    let rearm = keeper.rearm.borrow().clone();
    if let Some(rearm) = rearm {
        rearm();
    }
    if !keeper.refreshing.get() {
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
