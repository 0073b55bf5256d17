//! User activity across the tabs of the origin, for `idleTimeoutSeconds`.
//!
//! Each tab listens for the user's input (pointer, keys, wheel, touch) and records the time of
//! the last one in `localStorage` (at most every few seconds), where every tab's check reads the
//! latest. A check timer asks the core ([`idle_step`]) what to do and tells the owner through a
//! callback: warn, or sign out. Dropping the watch removes its listeners and its timer.

use super::dom::{Listener, Timeout};
use super::window;
use crate::core::flow::idle::{idle_step, IdlePolicy, IdleStep};
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

/// How often a tab records activity in `localStorage`, at most.
const WRITE_EVERY_MS: i64 = 5_000;

/// The events that count as the user being there.
const ACTIVITY: [&str; 4] = ["pointerdown", "keydown", "wheel", "touchstart"];

/// What the watch reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdleNews {
    /// The session ends in `ms` milliseconds unless the user does something.
    Warning {
        /// Milliseconds until the sign-out.
        ms: u32,
    },
    /// No tab saw activity for the whole timeout.
    SignOut,
}

/// The activity watch of one client.
pub struct IdleWatch {
    policy: IdlePolicy,
    key: String,
    own_last: Cell<i64>,
    last_written: Cell<i64>,
    /// The last activity a warning was given for (one warning per quiet period).
    warned_for: Cell<Option<i64>>,
    on_news: Box<dyn Fn(IdleNews)>,
    listeners: RefCell<Vec<Listener>>,
    timer: RefCell<Option<Timeout>>,
}

fn now_ms() -> i64 {
    // Date.now() is a whole number of milliseconds; `as` saturates.
    #[allow(clippy::cast_possible_truncation)]
    let ms = js_sys::Date::now() as i64;
    ms
}

impl IdleWatch {
    /// Starts watching: activity counts from now; `on_news` hears warnings and the sign-out.
    pub fn start(policy: IdlePolicy, key: &str, on_news: impl Fn(IdleNews) + 'static) -> Rc<Self> {
        let watch = Rc::new(IdleWatch {
            policy,
            key: format!("{key}:activity"),
            own_last: Cell::new(now_ms()),
            last_written: Cell::new(i64::MIN),
            warned_for: Cell::new(None),
            on_news: Box::new(on_news),
            listeners: RefCell::new(Vec::new()),
            timer: RefCell::new(None),
        });
        watch.record(now_ms());
        if let Ok(window) = window() {
            let listeners = ACTIVITY
                .iter()
                .map(|kind| {
                    let weak = Rc::downgrade(&watch);
                    Listener::new(&window, kind, move |_| {
                        if let Some(watch) = weak.upgrade() {
                            watch.record(now_ms());
                        }
                    })
                })
                .collect();
            *watch.listeners.borrow_mut() = listeners;
        }
        watch.check();
        watch
    }

    /// The user did something at `at`.
    fn record(self: &Rc<Self>, at: i64) {
        let was_warned = self.warned_for.get().is_some();
        self.own_last.set(at);
        if at.saturating_sub(self.last_written.get()) >= WRITE_EVERY_MS {
            self.last_written.set(at);
            if let Some(storage) = local_storage() {
                let _ = storage.set_item(&self.key, &at.to_string());
            }
        }
        if was_warned {
            // A warning was out: the quiet period is over, so check (and re-arm) afresh.
            self.warned_for.set(None);
            self.check();
        }
    }

    /// The latest activity any tab recorded.
    fn last_activity(&self) -> i64 {
        let shared = local_storage()
            .and_then(|s| s.get_item(&self.key).ok().flatten())
            .and_then(|text| text.parse::<i64>().ok())
            .unwrap_or(i64::MIN);
        shared.max(self.own_last.get())
    }

    /// Asks the core what to do now, reports it, and arms the next check.
    fn check(self: &Rc<Self>) {
        let last = self.last_activity();
        let next = match idle_step(self.policy, last, now_ms()) {
            IdleStep::Wait { ms } => Some(ms),
            IdleStep::Warn { ms } => {
                if self.warned_for.get() != Some(last) {
                    self.warned_for.set(Some(last));
                    (self.on_news)(IdleNews::Warning { ms });
                }
                Some(ms)
            }
            IdleStep::SignOut => {
                (self.on_news)(IdleNews::SignOut);
                None
            }
        };
        let weak: Weak<Self> = Rc::downgrade(self);
        let timer = next.and_then(|ms| {
            Timeout::new(ms, move || {
                if let Some(watch) = weak.upgrade() {
                    watch.check();
                }
            })
        });
        // The old timer may be the one running this check: its closure must outlive the call.
        if let Some(old) = self.timer.replace(timer) {
            super::spawn(async move { drop(old) });
        }
    }
}

fn local_storage() -> Option<web_sys::Storage> {
    window().ok()?.local_storage().ok().flatten()
}
