//! Popups and hidden iframes: opened, looked at and closed as the machine's
//! [`OpenPopup`](crate::core::machine::Command::OpenPopup),
//! [`OpenFrame`](crate::core::machine::Command::OpenFrame),
//! [`LookAtPopup`](crate::core::machine::Command::LookAtPopup) and
//! [`CloseWindow`](crate::core::machine::Command::CloseWindow) say. Which messages count, how
//! long to wait and what a look means are the machine's.

use super::tabs::Channel;
use super::{js_text, window};
use crate::core::flow::silent::PopupLook;
use crate::error::BrowserError;
use crate::Error;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{HtmlIFrameElement, Window};

/// The window of one operation: a popup or a hidden iframe, and its hand-over channel.
pub(super) struct Shown {
    window: Option<Window>,
    frame: Option<HtmlIFrameElement>,
    handover: Option<Channel>,
}

impl Shown {
    /// Whether `source` (a `message` event's) is this window.
    pub(super) fn is(&self, source: &JsValue) -> bool {
        self.window
            .as_ref()
            .is_some_and(|w| JsValue::from(w.clone()) == *source)
    }

    /// Its window, to look at.
    pub(super) fn window(&self) -> Option<Window> {
        self.window.clone()
    }

    /// Listens on `handover` for it (closed with it).
    pub(super) fn set_handover(&mut self, handover: Option<Channel>) {
        self.handover = handover;
    }

    /// Closes the popup, or removes the iframe, and closes the hand-over channel.
    pub(super) fn close(self) {
        if self.frame.is_none() {
            if let Some(popup) = &self.window {
                let _ = popup.close();
            }
        }
        self.detach();
    }

    /// Removes the iframe and closes the hand-over channel, leaving a popup open (what a
    /// disposed client leaves behind).
    pub(super) fn detach(self) {
        if let Some(frame) = &self.frame {
            frame.remove();
        }
        drop(self.handover);
    }
}

/// Shows `url` in a popup: in `given`, a window the app opened itself, or else in one opened
/// now. [`Error::PopupBlocked`] when the browser refuses to open one, [`Error::PopupClosed`]
/// when the app's window is already closed.
pub(super) fn open_popup(url: &str, given: Option<Window>) -> Result<Shown, Error> {
    let popup = match given {
        Some(given) => {
            if given.closed().unwrap_or(true) {
                return Err(Error::PopupClosed);
            }
            given
                .location()
                .set_href(url)
                .map_err(|e| Error::Browser(BrowserError::Location(js_text(&e))))?;
            given
        }
        None => window()?
            // A window of its own (no name): a named one would be taken over by the next
            // sign-in, whose response the first would then wait for in vain.
            .open_with_url_and_target_and_features(url, "_blank", "popup=yes,width=500,height=640")
            .ok()
            .flatten()
            .ok_or(Error::PopupBlocked)?,
    };
    Ok(Shown {
        window: Some(popup),
        frame: None,
        handover: None,
    })
}

/// Loads `url` in a hidden iframe attached to the document.
pub(super) fn open_frame(url: &str) -> Result<Shown, Error> {
    let frame_error = |e: JsValue| Error::Browser(BrowserError::Frame(js_text(&e)));
    let document = window()?
        .document()
        .ok_or(Error::Browser(BrowserError::NoDocument))?;
    let frame: HtmlIFrameElement = document
        .create_element("iframe")
        .map_err(frame_error)?
        .unchecked_into();
    let _ = frame.set_attribute("title", "oidc-rp-wasm silent sign-in");
    let _ = frame.set_attribute("aria-hidden", "true");
    // Through the CSSOM, which a `style-src` policy allows, unlike a `style` attribute.
    frame
        .style()
        .set_css_text("position:absolute;width:0;height:0;border:0;visibility:hidden");
    frame.set_src(url);
    document
        .body()
        .ok_or(Error::Browser(BrowserError::NoDocument))?
        .append_child(&frame)
        .map_err(frame_error)?;
    Ok(Shown {
        window: frame.content_window(),
        frame: Some(frame),
        handover: None,
    })
}

/// One look at a popup's handle: closed, or open on another origin (reading the location of a
/// cross-origin document throws).
pub(super) fn look(popup: Option<&Window>) -> PopupLook {
    let closed = popup.is_none_or(|p| p.closed().unwrap_or(true));
    PopupLook {
        closed,
        cross_origin: !closed && popup.is_some_and(|p| p.location().href().is_err()),
    }
}
