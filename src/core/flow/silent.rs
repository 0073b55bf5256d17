//! Sign-ins without a full-page redirect: silent (a refresh token, or a hidden iframe with
//! `prompt=none`, OIDC Core §3.1.2.1) and popup. What to try first, when to fall back, and how
//! the popup or iframe is set up: which response mode, which redirect URI, whose messages count,
//! how long to wait.

use crate::core::config::{AuthorizeOptions, ClientConfig, IdTokenHint, TRANSACTION_LIFETIME};
use crate::core::metadata::ProviderMetadata;
use crate::core::params::{Prompt, ResponseMode};
use crate::core::session::Session;
use crate::core::web_message::Expect;
use crate::error::Error;

/// How a silent sign-in goes about it.
#[derive(Debug, Clone)]
pub struct SilentPlan {
    /// Try the refresh_token grant first.
    pub refresh_first: bool,
    /// The options of the `prompt=none` authorization request, when it comes to that.
    pub authorize: AuthorizeOptions,
}

impl SilentPlan {
    /// The plan for `options` given the current `session`: the refresh token first when the
    /// session has one and the options ask nothing only an authorization request can do;
    /// otherwise (or after [`SilentPlan::falls_back_on`]) `prompt=none`, with the session's ID
    /// token as `id_token_hint` (OIDC Core §3.1.2.1) unless the options name one, or the hint is
    /// off: `hint_by_default` false ([`ClientConfig::silent_id_token_hint`]) or the options'
    /// [`AuthorizeOptions::omit_id_token_hint`].
    pub fn new(
        session: Option<&Session>,
        options: AuthorizeOptions,
        hint_by_default: bool,
    ) -> Self {
        let refresh_first = session.is_some_and(Session::has_refresh_token)
            && !options.needs_authorization_request();
        let mut authorize = options;
        authorize.prompt = vec![Prompt::None];
        if authorize.id_token_hint.is_none()
            && hint_by_default
            && !authorize.omit_id_token_hint
            && session.is_some_and(|s| s.id_token.is_some())
        {
            authorize.id_token_hint = Some(IdTokenHint::Current);
        }
        SilentPlan {
            refresh_first,
            authorize,
        }
    }

    /// Whether a failed refresh hands over to the iframe: when the OP refused the grant
    /// (`invalid_grant`, RFC 6749 §5.2: expired or revoked), or when the refresh token is bound
    /// to a DPoP key this client no longer holds (`dpop_key_changed`, RFC 9449 §5: a new sign-in
    /// binds to the key it has); any other failure (the network, a refused response) is
    /// reported as it is.
    pub fn falls_back_on(error: &Error) -> bool {
        crate::core::token::refresh_token_refused(error)
            || matches!(error, Error::Dpop(code) if *code == crate::error::CODE_DPOP_KEY_CHANGED)
    }
}

/// How a popup or hidden-iframe sign-in is set up.
#[derive(Debug, Clone)]
pub struct FramePlan {
    /// The response mode: `web_message` when the OP offers it and the options do not say.
    pub mode: ResponseMode,
    /// The redirect URI: the silent-callback page, or for web_message the redirect URI.
    pub redirect_uri: String,
    /// Which messages complete the sign-in.
    pub expect: Expect,
    /// A popup (else a hidden iframe): its sign-in is announced as `signedIn` even when it
    /// renews the session's user.
    pub popup: bool,
    /// How long to wait, in milliseconds: a person signing in in a popup may take minutes (the
    /// transaction's lifetime); a hidden iframe has the silent timeout.
    pub timeout_ms: u32,
}

impl FramePlan {
    /// The plan for a popup (`popup`) or hidden iframe. `op_origin` is the origin of the
    /// authorization endpoint and `own_origin` this page's, as the browser computes them.
    pub fn new(
        config: &ClientConfig,
        metadata: &ProviderMetadata,
        options: &AuthorizeOptions,
        popup: bool,
        op_origin: String,
        own_origin: String,
    ) -> Result<Self, Error> {
        // web_message needs the popup's `window.opener`, which an OP page with
        // Cross-Origin-Opener-Policy takes away; the callback page can hand over a
        // BroadcastChannel instead. So a popup prefers the callback page when there is one, a
        // hidden iframe (which COOP does not touch) prefers web_message.
        let web_message_first = metadata.supports_response_mode(ResponseMode::WebMessage)
            && !(popup && config.silent_redirect_uri.is_some());
        let mode = options.response_mode.unwrap_or(if web_message_first {
            ResponseMode::WebMessage
        } else {
            config.response_mode
        });
        let redirect_uri = match (mode, &config.silent_redirect_uri) {
            (_, Some(uri)) => uri.clone(),
            (ResponseMode::WebMessage, None) => config.redirect_uri.clone(),
            (_, None) => {
                return Err(Error::config(
                    "silent_redirect_uri",
                    "needed for popup and silent sign-in without web_message: point it at silent-callback.html",
                ))
            }
        };
        let expect = if mode == ResponseMode::WebMessage {
            Expect::WebMessage {
                op_origin,
                own_origin: config.silent_redirect_uri.is_some().then_some(own_origin),
            }
        } else {
            Expect::CallbackPage { own_origin }
        };
        let timeout_ms = if popup {
            u32::try_from(TRANSACTION_LIFETIME.saturating_mul(1000)).unwrap_or(u32::MAX)
        } else {
            config.silent_timeout_ms
        };
        Ok(FramePlan {
            popup,
            mode,
            redirect_uri,
            expect,
            timeout_ms,
        })
    }
}

/// What one look at a popup's window handle showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PopupLook {
    /// The handle reads as closed (`window.closed`).
    pub closed: bool,
    /// The handle is open and its document is on another origin (reading its location throws).
    pub cross_origin: bool,
}

/// What a popup sign-in does after a [`PopupLook`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PopupVerdict {
    /// Keep watching the handle.
    Watch,
    /// The handle closed before it was ever seen at the OP, which is what an OP page with
    /// `Cross-Origin-Opener-Policy` does to it: the popup may well be open, so keep waiting for
    /// the callback page's hand-over until the popup's timeout. Final: every later look says so.
    /// Only a watch that expects a hand-over says so.
    Severed,
    /// The user closed the popup: fail with `popup_closed`.
    Closed,
}

/// Tells a popup the user closed from one the OP's `Cross-Origin-Opener-Policy` cut off.
///
/// The opener cannot see the difference in the handle: both read `closed` (HTML Standard,
/// "cross-origin opener policies"). What differs is the history: a COOP page severs the handle
/// when it first loads, so the handle is never seen open on the OP's origin for long; a popup the
/// user closes was first seen there, showing the OP's page. "For long" matters: as a COOP page
/// commits, the opener may see the popup's new document as another origin's for a few
/// milliseconds before the handle is cut off (Chromium, under load), and one look can land in
/// that moment. So the popup counts as seen at the OP only on two looks in a row, a look interval
/// apart. And a page that answers (the OP's web_message page, the callback page) posts its
/// response and then closes the popup, so a handle counts as closed by the user only when it is
/// still closed, with no response, one look later.
///
/// Only the callback page can hand a response over once the handle is cut off. The OP's
/// web_message page posts to `window.opener`, which COOP took away, so a web_message popup whose
/// handle stays closed is over either way: the user closed it, or the OP's COOP made the mode
/// unusable. It is then [`PopupVerdict::Closed`] one look later, not a wait for the timeout.
#[derive(Debug, Clone, Default)]
pub struct PopupWatch {
    /// The last look saw the handle open on another origin.
    last_at_op: bool,
    /// Two looks in a row saw it open on another origin: the OP's page is showing.
    seen_at_op: bool,
    seen_closed: bool,
    severed: bool,
    /// The callback page may hand the response over a `BroadcastChannel` (not web_message).
    handover: bool,
}

impl PopupWatch {
    /// A watch for a newly opened popup; `handover`: whether its response can come over the
    /// callback page's hand-over channel (every mode but web_message).
    pub fn new(handover: bool) -> Self {
        PopupWatch {
            handover,
            ..PopupWatch::default()
        }
    }

    /// The verdict after `look`.
    pub fn look(&mut self, look: PopupLook) -> PopupVerdict {
        if self.severed {
            return PopupVerdict::Severed;
        }
        let at_op = !look.closed && look.cross_origin;
        self.seen_at_op |= at_op && self.last_at_op;
        self.last_at_op = at_op;
        if !look.closed {
            self.seen_closed = false;
            return PopupVerdict::Watch;
        }
        if !self.seen_at_op && self.handover {
            self.severed = true;
            return PopupVerdict::Severed;
        }
        if self.seen_closed {
            return PopupVerdict::Closed;
        }
        self.seen_closed = true;
        PopupVerdict::Watch
    }
}

/// The response mode of a redirect sign-in: the options' or the configured one; `web_message`
/// has no page to come back to, so it needs a popup or an iframe.
pub fn redirect_mode(
    config: &ClientConfig,
    options: &AuthorizeOptions,
) -> Result<ResponseMode, Error> {
    let mode = options.response_mode.unwrap_or(config.response_mode);
    if mode == ResponseMode::WebMessage {
        return Err(Error::config(
            "response_mode",
            "web_message needs signinPopup or signinSilent",
        ));
    }
    Ok(mode)
}
