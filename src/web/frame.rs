//! Hidden iframes, popups, and the `message` listener that receives their responses.
//!
//! Two deliveries reach the page by `postMessage`:
//! - OAuth 2.0 Web Message Response Mode: the OP's page posts
//!   `{"type":"authorization_response","response":{...}}` to its opener or parent.
//! - The package's `silent-callback.html`, loaded at `silentRedirectUri` for the query, fragment
//!   and form_post modes, posts `{"type":"oidc-rp-wasm:callback","url":...}` to us.
//!
//! A message is accepted only from the expected origin (the authorization endpoint's for
//! web_message, ours for the callback page), only from the window we opened, only of the expected
//! type, and for web_message only with our pending state. Anything else is ignored, so a stray or
//! hostile message can neither complete nor abort a sign-in.

use super::{js_text, window};
use crate::core::response::ResponseParams;
use crate::Error;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{HtmlIFrameElement, MessageEvent, Window};

/// The `type` the package's silent-callback page posts.
pub const CALLBACK_MESSAGE_TYPE: &str = "oidc-rp-wasm:callback";

/// Which messages complete a pending request.
#[derive(Debug, Clone)]
pub enum Expect {
    /// A web_message response from the OP at this origin.
    WebMessage {
        /// The origin of the authorization endpoint.
        op_origin: String,
    },
    /// The silent-callback page on our own origin.
    CallbackPage {
        /// This page's origin.
        own_origin: String,
    },
}

/// What an accepted message delivered.
#[derive(Debug)]
pub enum Delivery {
    /// The authorization response parameters (web_message).
    Params(ResponseParams),
    /// The URL the callback page was loaded with; its parameters are in the query, the fragment
    /// or (form_post) behind the service worker.
    CallbackUrl(String),
}

/// The decision for one message: `Some` accepts it, `None` ignores it.
/// `from_source` is whether `event.source` is the window we opened.
pub fn accept(
    origin: &str,
    from_source: bool,
    data: &JsValue,
    expect: &Expect,
    state: &str,
) -> Option<Delivery> {
    if !from_source {
        return None;
    }
    let data: serde_json::Value = super::js::from_js(data).ok()?;
    match expect {
        Expect::WebMessage { op_origin } => {
            if origin != op_origin {
                return None;
            }
            let params = ResponseParams::from_web_message(&data).ok()?;
            (params.state() == Some(state)).then_some(Delivery::Params(params))
        }
        Expect::CallbackPage { own_origin } => {
            if origin != own_origin || data.get("type")?.as_str()? != CALLBACK_MESSAGE_TYPE {
                return None;
            }
            Some(Delivery::CallbackUrl(data.get("url")?.as_str()?.to_owned()))
        }
    }
}

/// The origin of an absolute URL, as the browser computes it (`new URL(u).origin`).
pub fn origin_of(url: &str) -> Result<String, Error> {
    web_sys::Url::new(url)
        .map(|u| u.origin())
        .map_err(|_| Error::config("url", format!("`{url}` is not an absolute URL")))
}

/// This page's origin.
pub fn own_origin() -> Result<String, Error> {
    window()?
        .location()
        .origin()
        .map_err(|e| Error::Storage(js_text(&e)))
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
            .ok_or_else(|| Error::Storage("no document".into()))?;
        let element: HtmlIFrameElement = document
            .create_element("iframe")
            .map_err(|e| Error::Storage(js_text(&e)))?
            .unchecked_into();
        let _ = element.set_attribute("title", "oidc-rp-wasm silent sign-in");
        let _ = element.set_attribute("aria-hidden", "true");
        let _ = element.set_attribute(
            "style",
            "position:absolute;width:0;height:0;border:0;visibility:hidden",
        );
        element.set_src(url);
        let body = document
            .body()
            .ok_or_else(|| Error::Storage("no document body".into()))?;
        body.append_child(&element)
            .map_err(|e| Error::Storage(js_text(&e)))?;
        Ok(HiddenFrame { element })
    }

    /// The iframe's window, the only accepted message source.
    pub fn window(&self) -> Option<Window> {
        self.element.content_window()
    }
}

impl Drop for HiddenFrame {
    fn drop(&mut self) {
        self.element.remove();
    }
}

/// Opens a centred popup at `url`; `popup_blocked` when the browser refuses.
pub fn open_popup(url: &str) -> Result<Window, Error> {
    let features = "popup=yes,width=500,height=640";
    window()?
        .open_with_url_and_target_and_features(url, "oidc-rp-wasm", features)
        .ok()
        .flatten()
        .ok_or(Error::PopupBlocked)
}

type Slot = Rc<RefCell<Option<Result<Delivery, Error>>>>;

/// The listener and timers of one wait. Dropping it removes them all, also when the waiting
/// future is dropped half-way (a Rust caller's `select!`, an unmounted component): a callback
/// left registered would fire into a freed closure.
struct Registration {
    window: Window,
    on_message: Closure<dyn FnMut(MessageEvent)>,
    timer: Option<i32>,
    poller: Option<i32>,
    _on_timeout: Closure<dyn FnMut()>,
    _on_poll: Closure<dyn FnMut()>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let _ = self.window.remove_event_listener_with_callback(
            "message",
            self.on_message.as_ref().unchecked_ref(),
        );
        if let Some(timer) = self.timer {
            self.window.clear_timeout_with_handle(timer);
        }
        if let Some(poller) = self.poller {
            self.window.clear_interval_with_handle(poller);
        }
    }
}

/// Listens for the response of `state` from `source`, until one is accepted, `timeout_ms` pass
/// (`timeout`) or, for a popup, the user closes it (`popup_closed`). Everything is torn down
/// before it returns, or when it is dropped.
pub async fn wait_for_response(
    source: &Window,
    expect: Expect,
    state: &str,
    timeout_ms: i32,
    popup: Option<&Window>,
) -> Result<Delivery, Error> {
    let window = window()?;
    let slot: Slot = Rc::new(RefCell::new(None));
    let mut resolve_fn: Option<js_sys::Function> = None;
    let promise = js_sys::Promise::new(&mut |resolve, _reject| resolve_fn = Some(resolve));
    let resolve = resolve_fn.unwrap_or_else(|| js_sys::Function::new_no_args(""));

    let finish = {
        let slot = slot.clone();
        move |result: Result<Delivery, Error>| {
            let mut slot = slot.borrow_mut();
            if slot.is_none() {
                *slot = Some(result);
                let _ = resolve.call0(&JsValue::UNDEFINED);
            }
        }
    };

    let on_message = {
        let finish = finish.clone();
        let source = JsValue::from(source.clone());
        let state = state.to_owned();
        Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let from_source = event.source().is_some_and(|s| JsValue::from(s) == source);
            if let Some(delivery) =
                accept(&event.origin(), from_source, &event.data(), &expect, &state)
            {
                finish(Ok(delivery));
            }
        })
    };
    let on_timeout = {
        let finish = finish.clone();
        Closure::<dyn FnMut()>::new(move || finish(Err(Error::Timeout)))
    };
    let on_poll = {
        let popup = popup.cloned();
        // Pages that answer (the OP's web_message page, silent-callback.html) post the response
        // and close the popup at once; the opener can see `closed` before it has dispatched the
        // message. So the popup counts as closed by the user only when it is still closed, with
        // no response, one poll later.
        let mut seen_closed = false;
        Closure::<dyn FnMut()>::new(move || {
            if popup.as_ref().is_some_and(|p| p.closed().unwrap_or(false)) {
                if seen_closed {
                    finish(Err(Error::PopupClosed));
                }
                seen_closed = true;
            }
        })
    };

    let _ = window.add_event_listener_with_callback("message", on_message.as_ref().unchecked_ref());
    let timer = window
        .set_timeout_with_callback_and_timeout_and_arguments_0(
            on_timeout.as_ref().unchecked_ref(),
            timeout_ms,
        )
        .ok();
    // A closed popup sends no event to its opener: polling `closed` is the only way to notice.
    let poller = popup.and_then(|_| {
        window
            .set_interval_with_callback_and_timeout_and_arguments_0(
                on_poll.as_ref().unchecked_ref(),
                250,
            )
            .ok()
    });
    let registration = Registration {
        window,
        on_message,
        timer,
        poller,
        _on_timeout: on_timeout,
        _on_poll: on_poll,
    };

    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    drop(registration);
    let result = slot.borrow_mut().take();
    result.unwrap_or(Err(Error::Timeout))
}
