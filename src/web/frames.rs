//! Hidden iframes, popups, and the `message` listener that receives their responses. Which
//! messages count is the core's rule ([`web_message::accept`]); this file only listens, tears
//! down, and notices a popup the user closed.

use super::dom::{Interval, Timeout};
use super::tabs::TabChannel;
use super::{js_text, js_to_json, window};
use crate::core::flow::silent::{PopupLook, PopupVerdict, PopupWatch};
use crate::core::web_message::{self, Delivery, Expect};
use crate::error::BrowserError;
use crate::Error;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{HtmlIFrameElement, MessageEvent, Window};

/// The origin of an absolute URL, as the browser computes it (`new URL(u).origin`).
pub fn origin_of(url: &str) -> Result<String, Error> {
    web_sys::Url::new(url)
        .map(|u| u.origin())
        .map_err(|e| Error::Browser(BrowserError::Location(js_text(&e))))
}

/// This page's origin.
pub fn own_origin() -> Result<String, Error> {
    window()?
        .location()
        .origin()
        .map_err(|e| Error::Browser(BrowserError::Location(js_text(&e))))
}

/// A hidden iframe, removed from the document when dropped.
pub struct HiddenFrame {
    element: HtmlIFrameElement,
}

impl HiddenFrame {
    /// Creates the iframe, loads `url` in it and attaches it to the document.
    pub fn open(url: &str) -> Result<Self, Error> {
        let document = window()?
            .document()
            .ok_or(Error::Browser(BrowserError::NoDocument))?;
        let element: HtmlIFrameElement = document
            .create_element("iframe")
            .map_err(|e| Error::Browser(BrowserError::Frame(js_text(&e))))?
            .unchecked_into();
        let _ = element.set_attribute("title", "oidc-rp-wasm silent sign-in");
        let _ = element.set_attribute("aria-hidden", "true");
        // Through the CSSOM, which a `style-src` policy allows, unlike a `style` attribute.
        element
            .style()
            .set_css_text("position:absolute;width:0;height:0;border:0;visibility:hidden");
        element.set_src(url);
        let body = document
            .body()
            .ok_or(Error::Browser(BrowserError::NoDocument))?;
        body.append_child(&element)
            .map_err(|e| Error::Browser(BrowserError::Frame(js_text(&e))))?;
        Ok(HiddenFrame { element })
    }

    /// The iframe's window, the only accepted message source.
    pub fn window(&self) -> Result<Window, Error> {
        self.element
            .content_window()
            .ok_or(Error::Browser(BrowserError::Frame(
                "the iframe has no window".into(),
            )))
    }
}

impl Drop for HiddenFrame {
    fn drop(&mut self) {
        self.element.remove();
    }
}

/// Shows `url` in a popup: in `given`, a window the app opened itself (in its click handler,
/// before awaiting anything), or else in one opened now. `popup_blocked` when the browser
/// refuses to open one, `popup_closed` when the app's window is already closed.
pub fn open_popup(url: &str, given: Option<Window>) -> Result<Window, Error> {
    if let Some(popup) = given {
        if popup.closed().unwrap_or(true) {
            return Err(Error::PopupClosed);
        }
        popup
            .location()
            .set_href(url)
            .map_err(|e| Error::Browser(BrowserError::Location(js_text(&e))))?;
        return Ok(popup);
    }
    let features = "popup=yes,width=500,height=640";
    window()?
        .open_with_url_and_target_and_features(url, "oidc-rp-wasm", features)
        .ok()
        .flatten()
        .ok_or(Error::PopupBlocked)
}

/// One look at a popup's handle, for [`PopupWatch`]: closed, or open on another origin (reading
/// the location of a cross-origin document throws).
fn look_at(popup: &Window) -> PopupLook {
    let closed = popup.closed().unwrap_or(true);
    PopupLook {
        closed,
        cross_origin: !closed && popup.location().href().is_err(),
    }
}

type Slot = Rc<RefCell<Option<Result<Delivery, Error>>>>;

/// The listener and timers of one wait. Dropping it removes them all, also when the waiting
/// future is dropped half-way (a Rust caller's `select!`, an unmounted component): a callback
/// left registered would fire into a freed closure.
struct Registration {
    window: Window,
    on_message: Closure<dyn FnMut(MessageEvent)>,
    _timer: Option<Timeout>,
    _poller: Option<Interval>,
    _handover: Option<TabChannel>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let _ = self.window.remove_event_listener_with_callback(
            "message",
            self.on_message.as_ref().unchecked_ref(),
        );
    }
}

/// Listens for the response of `state` from `source`, until one is accepted, `timeout_ms` pass
/// (`timeout`) or, for a popup, the user closes it (`popup_closed`, as [`PopupWatch`] tells).
/// A popup answered by the callback page may also hand its response over the
/// [`web_message::callback_channel`] of `state`. Everything is torn down before it returns, or
/// when it is dropped.
pub async fn wait_for_response(
    source: &Window,
    expect: Expect,
    state: &str,
    timeout_ms: u32,
    popup: Option<&Window>,
) -> Result<Delivery, Error> {
    let window = window()?;
    let slot: Slot = Rc::new(RefCell::new(None));
    let mut resolve_fn: Option<js_sys::Function> = None;
    let promise = js_sys::Promise::new(&mut |resolve, _reject| resolve_fn = Some(resolve));
    let resolve = resolve_fn;

    let finish = {
        let slot = slot.clone();
        move |result: Result<Delivery, Error>| {
            let mut slot = slot.borrow_mut();
            if slot.is_none() {
                *slot = Some(result);
                if let Some(resolve) = &resolve {
                    let _ = resolve.call0(&JsValue::UNDEFINED);
                }
            }
        }
    };

    let on_message = {
        let finish = finish.clone();
        let source = JsValue::from(source.clone());
        let state = state.to_owned();
        let expect = expect.clone();
        Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let from_source = event.source().is_some_and(|s| JsValue::from(s) == source);
            let Ok(data) = js_to_json(&event.data()) else {
                return;
            };
            if let Some(delivery) =
                web_message::accept(&event.origin(), from_source, &data, &expect, &state)
            {
                finish(Ok(delivery));
            }
        })
    };
    let handover = popup.and_then(|_| {
        let finish = finish.clone();
        let expect = expect.clone();
        let state = state.to_owned();
        TabChannel::open(&web_message::callback_channel(&state), move |data| {
            let Ok(data) = js_to_json(&data) else {
                return;
            };
            if let Some(delivery) = web_message::accept_handover(&data, &expect, &state) {
                finish(Ok(delivery));
            }
        })
    });
    let on_timeout = {
        let finish = finish.clone();
        move || finish(Err(Error::Timeout))
    };
    let on_poll = {
        let popup = popup.cloned();
        let mut watch = PopupWatch::new();
        move || {
            let Some(popup) = popup.as_ref() else {
                return;
            };
            if watch.look(look_at(popup)) == PopupVerdict::Closed {
                finish(Err(Error::PopupClosed));
            }
        }
    };

    let _ = window.add_event_listener_with_callback("message", on_message.as_ref().unchecked_ref());
    let timer = Timeout::new(timeout_ms, on_timeout);
    // A closed popup sends no event to its opener: looking at the handle is the only way to notice.
    let poller = popup.map(|_| Interval::new(250, on_poll));
    let registration = Registration {
        window,
        on_message,
        _timer: timer,
        _poller: poller,
        _handover: handover,
    };

    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    drop(registration);
    let result = slot.borrow_mut().take();
    result.unwrap_or(Err(Error::Timeout))
}
