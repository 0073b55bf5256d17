//! The other tabs of the origin: the exclusive Web Lock the machine takes around a shared
//! refresh ([`Command::TakeLock`](crate::core::machine::Command::TakeLock)), and the
//! BroadcastChannels of the tab channel and of a popup's hand-over. When to lock, how long to
//! wait and what to broadcast are the machine's.

use super::{js_text, set, window};
use crate::error::BrowserError;
use crate::Error;
use gloo_events::EventListener;
use gloo_timers::callback::Timeout;
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{AbortController, BroadcastChannel, MessageEvent};

// web-sys has Web Locks only behind `--cfg web_sys_unstable_apis`, which every downstream build
// would then need. The one call used here is declared directly.
#[wasm_bindgen]
extern "C" {
    /// `navigator.locks` (Web Locks API).
    type LockManager;
    /// `LockManager.request(name, { signal }, callback)`: the callback runs once the lock is
    /// granted and holds it until the promise it returns settles; the request rejects when
    /// `signal` aborts before the lock was granted.
    #[wasm_bindgen(method, catch, js_name = request)]
    fn request_with_options(
        this: &LockManager,
        name: &str,
        options: &js_sys::Object,
        callback: &js_sys::Function,
    ) -> Result<js_sys::Promise, JsValue>;
}

/// Asks for the exclusive lock `name`, waiting at most `wait_ms`. Once it is granted,
/// `granted` gets the function that releases it. When it is not granted, `refused` gets
/// [`Error::Timeout`] (the wait ran out) or the browser's refusal. Returns `None`, calling
/// neither, where the browser has no Web Locks; else the controller whose abort gives up the
/// wait (`None` when the request could not even be made: `refused` was called).
pub(super) fn request_lock(
    name: &str,
    wait_ms: u32,
    granted: impl FnOnce(js_sys::Function) + 'static,
    refused: impl FnOnce(Error) + 'static,
) -> Option<Option<AbortController>> {
    let Ok(window) = window() else {
        return None;
    };
    let locks = js_sys::Reflect::get(&window.navigator(), &JsValue::from_str("locks"))
        .unwrap_or(JsValue::UNDEFINED);
    if locks.is_undefined() || locks.is_null() {
        return None;
    }
    let locks: LockManager = locks.unchecked_into();
    let was_granted = Rc::new(Cell::new(false));
    // Owned by the task below until the request settles: a wait given up (its bound, or a
    // dispose) never calls it, and it is freed then instead of leaking with what it holds.
    let callback = {
        let was_granted = was_granted.clone();
        Closure::once(move |_lock: JsValue| -> js_sys::Promise {
            was_granted.set(true);
            // Held until `release` is called.
            let mut release = None;
            let held = js_sys::Promise::new(&mut |resolve, _reject| release = Some(resolve));
            if let Some(release) = release {
                granted(release);
            }
            held
        })
    };
    let lock_error = |e: &JsValue| Error::Browser(BrowserError::Lock(js_text(e)));
    // The wait's bound: a timer aborts the request (`AbortSignal.timeout` would do, but it
    // throws where the browser lacks it).
    let controller = match AbortController::new() {
        Ok(controller) => controller,
        Err(e) => {
            refused(lock_error(&e));
            return Some(None);
        }
    };
    let signal = controller.signal();
    let wait = controller.clone();
    let bound = Timeout::new(wait_ms.min(i32::MAX.unsigned_abs()), move || {
        controller.abort()
    });
    let options = js_sys::Object::new();
    set(&options, "signal", &signal);
    let request =
        match locks.request_with_options(name, &options, callback.as_ref().unchecked_ref()) {
            Ok(request) => request,
            Err(e) => {
                refused(lock_error(&e));
                return Some(None);
            }
        };
    super::spawn(async move {
        let settled = wasm_bindgen_futures::JsFuture::from(request).await;
        drop(callback);
        drop(bound);
        if let Err(e) = settled {
            if !was_granted.get() {
                refused(if signal.aborted() {
                    Error::Timeout
                } else {
                    lock_error(&e)
                });
            }
        }
    });
    Some(Some(wait))
}

/// A held lock: released when dropped (by `ReleaseLock`, at the end of its lease, or when the
/// client is disposed of).
pub(super) struct HeldLock {
    release: js_sys::Function,
    _lease: Timeout,
}

impl HeldLock {
    /// A lock that `release` releases, and that `lease` ends.
    pub(super) fn new(release: js_sys::Function, lease: Timeout) -> Self {
        HeldLock {
            release,
            _lease: lease,
        }
    }
}

impl Drop for HeldLock {
    fn drop(&mut self) {
        let _ = self.release.call0(&JsValue::UNDEFINED);
    }
}

/// A BroadcastChannel and its message listener; closed when dropped.
pub(super) struct Channel {
    channel: BroadcastChannel,
    _listener: EventListener,
}

impl Channel {
    /// Opens channel `name`; `on_message` gets each message's data. `None` where the browser has
    /// no BroadcastChannel.
    pub(super) fn open(name: &str, on_message: impl Fn(JsValue) + 'static) -> Option<Self> {
        let channel = BroadcastChannel::new(name).ok()?;
        let listener = EventListener::new(&channel, "message", move |event| {
            if let Some(event) = event.dyn_ref::<MessageEvent>() {
                on_message(event.data());
            }
        });
        Some(Channel {
            channel,
            _listener: listener,
        })
    }

    /// The channel, to post on.
    pub(super) fn channel(&self) -> BroadcastChannel {
        self.channel.clone()
    }
}

impl Drop for Channel {
    fn drop(&mut self) {
        self.channel.close();
    }
}
