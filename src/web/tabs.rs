//! Coordination across the tabs of one origin: a Web Lock around refreshes, and a
//! BroadcastChannel that tells the other tabs about new sessions and sign-outs. What a tab does
//! once it holds the lock is the core's call ([`under_lock`](crate::core::flow::refresh::under_lock)).
//!
//! Why the lock: an OP that rotates refresh tokens revokes the whole grant when a rotated token is
//! used twice. Two tabs sharing a session in `localStorage` that refresh at the same moment would
//! do exactly that. Under the lock, the second tab re-reads storage first and takes the session
//! the first tab already got.

use super::dom::Deadline;
use super::{js_text, window};
use crate::error::BrowserError;
use crate::Error;
use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{BroadcastChannel, MessageEvent};

// web-sys has Web Locks only behind `--cfg web_sys_unstable_apis`, which every downstream build
// would then need. The one call used here is declared directly.
#[wasm_bindgen]
extern "C" {
    /// `navigator.locks` (Web Locks API).
    type LockManager;
    /// `LockManager.request(name, { signal }, callback)`: resolves once the lock was granted and
    /// the callback's promise settled; rejects with an AbortError when `signal` aborts before the
    /// lock was granted.
    #[wasm_bindgen(method, js_name = request)]
    fn request_with_options(
        this: &LockManager,
        name: &str,
        options: &js_sys::Object,
        callback: &js_sys::Function,
    ) -> js_sys::Promise;
}

/// Runs `task` while holding the exclusive Web Lock `name` (`navigator.locks.request`), waiting
/// at most `wait_ms` for it ([`Error::Timeout`] then, and `task` does not run). Where the browser
/// has no Web Locks, runs it directly: one tab cannot race itself (the client serialises its own
/// refreshes).
pub async fn with_lock<T, F, Fut>(name: &str, wait_ms: u32, task: F) -> Result<T, Error>
where
    T: 'static,
    F: FnOnce() -> Fut + 'static,
    Fut: Future<Output = Result<T, Error>> + 'static,
{
    let navigator = window()?.navigator();
    let locks =
        js_sys::Reflect::get(&navigator, &JsValue::from_str("locks")).unwrap_or(JsValue::UNDEFINED);
    if locks.is_undefined() || locks.is_null() {
        return task().await;
    }
    let locks: LockManager = locks.unchecked_into();
    let slot: Rc<RefCell<Option<Result<T, Error>>>> = Rc::new(RefCell::new(None));
    let callback = {
        let slot = slot.clone();
        Closure::once(move |_lock: JsValue| -> js_sys::Promise {
            wasm_bindgen_futures::future_to_promise(async move {
                let result = task().await;
                *slot.borrow_mut() = Some(result);
                Ok(JsValue::UNDEFINED)
            })
        })
    };
    let deadline = Deadline::start(wait_ms)?;
    let options = js_sys::Object::new();
    super::set(&options, "signal", deadline.signal());
    let request = locks.request_with_options(name, &options, callback.as_ref().unchecked_ref());
    wasm_bindgen_futures::JsFuture::from(request)
        .await
        .map_err(|e| deadline.or(Error::Browser(BrowserError::Lock(js_text(&e)))))?;
    let result = slot.borrow_mut().take();
    result.unwrap_or_else(|| {
        Err(Error::Browser(BrowserError::Lock(
            "released without running".into(),
        )))
    })
}

/// A BroadcastChannel with a message handler; closed when dropped.
pub struct TabChannel {
    channel: BroadcastChannel,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

impl TabChannel {
    /// Opens channel `name`; `on_message` gets each message's data. `None` where the browser has
    /// no BroadcastChannel.
    pub fn open(name: &str, mut on_message: impl FnMut(JsValue) + 'static) -> Option<Self> {
        let channel = BroadcastChannel::new(name).ok()?;
        let on_message =
            Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| on_message(e.data()));
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Some(TabChannel {
            channel,
            _on_message: on_message,
        })
    }

    /// Posts `message` to the other tabs (never to this one).
    pub fn post(&self, message: &JsValue) {
        let _ = self.channel.post_message(message);
    }
}

impl Drop for TabChannel {
    fn drop(&mut self) {
        self.channel.set_onmessage(None);
        self.channel.close();
    }
}
