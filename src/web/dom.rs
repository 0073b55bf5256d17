//! Small RAII wrappers over the browser's timers and event listeners: each cancels itself when
//! dropped, so a dropped future or a disposed client leaves no callback behind to fire into
//! freed memory.
//!
//! Timer handles are kept as the JS values `setTimeout` returned rather than web-sys's `i32`:
//! a handle that does not fit (fake timers in tests hand out large ones) would otherwise clear
//! the wrong timer, or none.

use crate::error::BrowserError;
use crate::Error;
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{AbortController, AbortSignal};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &js_sys::Function, ms: i32) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);
    #[wasm_bindgen(js_name = setInterval)]
    fn set_interval(handler: &js_sys::Function, ms: i32) -> JsValue;
    #[wasm_bindgen(js_name = clearInterval)]
    fn clear_interval(handle: &JsValue);
}

fn delay(ms: u32) -> i32 {
    i32::try_from(ms).unwrap_or(i32::MAX)
}

/// A pending `setTimeout`, cleared when dropped. Do not drop it from inside its own callback.
pub struct Timeout {
    handle: JsValue,
    _callback: Closure<dyn FnMut()>,
}

impl Timeout {
    /// Calls `callback` once after `ms` milliseconds.
    pub fn new(ms: u32, callback: impl FnMut() + 'static) -> Option<Self> {
        let callback = Closure::<dyn FnMut()>::new(callback);
        let handle = set_timeout(callback.as_ref().unchecked_ref(), delay(ms));
        Some(Timeout {
            handle,
            _callback: callback,
        })
    }
}

impl Drop for Timeout {
    fn drop(&mut self) {
        clear_timeout(&self.handle);
    }
}

/// A running `setInterval`, cleared when dropped.
pub struct Interval {
    handle: JsValue,
    _callback: Closure<dyn FnMut()>,
}

impl Interval {
    /// Calls `callback` every `ms` milliseconds.
    pub fn new(ms: u32, callback: impl FnMut() + 'static) -> Self {
        let callback = Closure::<dyn FnMut()>::new(callback);
        let handle = set_interval(callback.as_ref().unchecked_ref(), delay(ms));
        Interval {
            handle,
            _callback: callback,
        }
    }
}

impl Drop for Interval {
    fn drop(&mut self) {
        clear_interval(&self.handle);
    }
}

/// A DOM event listener, removed when dropped.
pub struct Listener {
    target: web_sys::EventTarget,
    kind: &'static str,
    callback: Closure<dyn FnMut(web_sys::Event)>,
}

impl Listener {
    /// Calls `callback` on every `kind` event at `target`.
    pub fn new(
        target: &web_sys::EventTarget,
        kind: &'static str,
        callback: impl FnMut(web_sys::Event) + 'static,
    ) -> Self {
        let callback = Closure::<dyn FnMut(web_sys::Event)>::new(callback);
        let _ = target.add_event_listener_with_callback(kind, callback.as_ref().unchecked_ref());
        Listener {
            target: target.clone(),
            kind,
            callback,
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self
            .target
            .remove_event_listener_with_callback(self.kind, self.callback.as_ref().unchecked_ref());
    }
}

/// An `AbortController` that a [`Timeout`] aborts after a number of milliseconds: the deadline
/// of a request or of a wait for a lock. Dropping it clears the timer.
pub struct Deadline {
    controller: AbortController,
    fired: Rc<Cell<bool>>,
    _timer: Option<Timeout>,
}

impl Deadline {
    /// Starts the clock.
    pub fn start(ms: u32) -> Result<Self, Error> {
        let controller = AbortController::new()
            .map_err(|e| Error::Browser(BrowserError::Conversion(super::js_text(&e))))?;
        let fired = Rc::new(Cell::new(false));
        let timer = {
            let controller = controller.clone();
            let fired = fired.clone();
            Timeout::new(ms, move || {
                fired.set(true);
                controller.abort();
            })
        };
        Ok(Deadline {
            controller,
            fired,
            _timer: timer,
        })
    }

    /// The signal to hand to `fetch` or `navigator.locks.request`.
    pub fn signal(&self) -> AbortSignal {
        self.controller.signal()
    }

    /// [`Error::Timeout`] when the deadline aborted the operation, else `other`.
    pub fn or(&self, other: Error) -> Error {
        if self.fired.get() {
            Error::Timeout
        } else {
            other
        }
    }
}
