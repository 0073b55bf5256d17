//! What crosses between the [`Machine`](super::Machine) and a pump: the inputs it takes, the
//! outputs it gives, the I/O commands among them and their answers.
//!
//! Every command carries an id; the answer to it carries the same id, whatever order answers
//! come in. Commands that need no answer (a broadcast, a release, a navigation) are answered by
//! nobody. Operations (the public calls) carry their own ids, and end with one
//! [`Output::Done`] each.

use crate::core::alg::HashAlg;
use crate::core::config::{AuthorizeOptions, LogoutOptions};
use crate::core::flow::code::SignedIn;
use crate::core::flow::silent::PopupLook;
use crate::core::flow::{HttpRequest, HttpResponse};
use crate::core::json::Json;
use crate::core::jws::SignatureCheck;
use crate::core::secret::AccessToken;
use crate::core::session::Session;
use crate::error::Error;
use std::fmt;

/// The id of a public operation, chosen by the pump; its [`Output::Done`] carries it back.
pub type OpId = u32;

/// The id of an I/O command, chosen by the machine; its [`Answer`] carries it back.
pub type IoId = u32;

/// A public call of the client (the JS `OidcClient` methods, the Rust pump's methods). Its
/// `Debug` leaves out the callback URL and the form_post body (the authorization code).
#[derive(Clone)]
#[non_exhaustive]
pub enum Call {
    /// Fetch discovery and restore a stored session: the first call of every machine.
    Create,
    /// A sign-in: `authorizeUrl`, `signinRedirect`, `signinPopup` or `signinSilent`, as `via`
    /// says.
    Signin {
        /// Which of them.
        via: SigninVia,
        /// The options.
        options: AuthorizeOptions,
    },
    /// Completes a redirect sign-in from `url`. `from_location`: the URL is the page's own
    /// address, which is then cleaned of the response.
    HandleRedirectCallback {
        /// The callback URL.
        url: String,
        /// Whether `url` is the page's address.
        from_location: bool,
    },
    /// Completes a form_post sign-in from the POSTed body.
    HandleFormPost(String),
    /// The refresh_token grant.
    Refresh,
    /// A valid access token, refreshed when near expiry.
    GetAccessToken,
    /// `signoutUrl` (the end-session URL; its state is stored), or with `redirect`
    /// `signoutRedirect` (signs out here and in every tab, then sends the page to the OP's
    /// logout).
    Signout {
        /// `signoutRedirect`.
        redirect: bool,
        /// The options.
        options: LogoutOptions,
    },
    /// Checks the state the OP returned after logout.
    HandleSignoutCallback {
        /// The URL the OP sent the browser back to.
        url: String,
    },
    /// Forgets the session here and in the other tabs, without contacting the OP.
    SignOutLocally,
    /// Ends every operation (`disposed`), closes frames and the channel, releases the lock.
    Dispose,
    /// The `Authorization` (and `DPoP`) headers of a request to a resource server
    /// (`client.fetch`): the access token, refreshed when near expiry, as `DPoP` with a proof
    /// carrying `ath` when it is DPoP-bound (RFC 9449 §7), else as `Bearer`.
    ResourceHeaders {
        /// The request's method.
        method: String,
        /// The request's URL.
        url: String,
    },
    /// What the resource server answered (`client.fetch`): its nonce is remembered, and a
    /// `use_dpop_nonce` challenge (§9) gets new headers for one retry.
    ResourceAnswer {
        /// The request's method.
        method: String,
        /// The request's URL.
        url: String,
        /// The status.
        status: u16,
        /// The `WWW-Authenticate` header.
        www_authenticate: Option<String>,
        /// The `DPoP-Nonce` header.
        dpop_nonce: Option<String>,
        /// This answer is to the retry already.
        retried: bool,
    },
    /// A DPoP proof for `method` `url` (`client.dpopProof`), with `ath` of the access token
    /// when the session is DPoP-bound, and the server's newest nonce.
    DpopProof {
        /// The request's method.
        method: String,
        /// The request's URL.
        url: String,
    },
}

/// Which sign-in a [`Call::Signin`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigninVia {
    /// `authorizeUrl`: the URL of a redirect sign-in; its transaction is stored.
    Url,
    /// `signinRedirect`: the transaction stored, then the page sent to the OP.
    Redirect,
    /// `signinRedirect` started by the app on its own (the React binding's `<RequireAuth>`), not
    /// by the user: refused with `abandoned` when this tab's last redirect sign-in was left at
    /// the OP (the user came back with Back to a page that reloaded), so that Back is not sent to
    /// the OP again.
    RedirectUnlessLeft,
    /// `signinPopup`. The popup is opened by the outputs of this very call, before any answer
    /// is awaited. `app_window`: the app opened the window itself (the pump holds it).
    Popup {
        /// Whether the app gave its own window.
        app_window: bool,
    },
    /// `signinSilent`: the refresh token first, else a hidden iframe with `prompt=none`.
    Silent,
}

/// Something that happened to the page, forwarded as it happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageEvent {
    /// `visibilitychange` to visible.
    Visible,
    /// `visibilitychange` to hidden.
    Hidden,
    /// `resume` (the page was frozen).
    Resumed,
    /// `online`.
    Online,
    /// `pagehide` (the page may go into the back/forward cache).
    PageHide,
    /// `pageshow` (among others, a restore from the back/forward cache).
    PageShow,
    /// One of the user-input events of [`ACTIVITY_EVENTS`](super::ACTIVITY_EVENTS).
    Activity,
}

/// An input to the machine. Its `Debug` leaves out what carries secrets: the entropy (the
/// next `state`, `nonce` and PKCE verifier), the messages' data (an authorization response, a
/// session), and through [`Call`] and [`Answer`] callback URLs and stored texts.
#[derive(Clone)]
pub enum Input {
    /// A public call. `entropy` is fresh randomness from the platform (at least 96 bytes for a
    /// call that starts a sign-in or a logout), from which `state`, `nonce` and the PKCE verifier
    /// are made, so that a popup's URL is ready within the call.
    Call {
        /// The operation's id.
        op: OpId,
        /// What is asked (boxed: the options make `Call` the largest input by far, and every
        /// input is moved a few times on its way in).
        call: Box<Call>,
        /// Fresh random bytes.
        entropy: Vec<u8>,
    },
    /// The answer to the command `id`.
    Answer {
        /// The command's id.
        id: IoId,
        /// What happened.
        answer: Answer,
    },
    /// The timer armed at [`Machine::poll_timeout`](super::Machine::poll_timeout) fired.
    Timeout,
    /// A page event.
    Page(PageEvent),
    /// A message from another tab on the tab channel.
    TabMessage(Json),
    /// A `message` event on the window. `source` is the operation whose popup or iframe window
    /// posted it, when the event's source is one.
    WindowMessage {
        /// `event.origin`.
        origin: String,
        /// The operation whose window posted it.
        source: Option<OpId>,
        /// `event.data`, as JSON.
        data: Json,
    },
    /// A message on the hand-over channel opened for operation `op`
    /// ([`Command::ListenHandover`]).
    Handover {
        /// The operation.
        op: OpId,
        /// The message, as JSON.
        data: Json,
    },
}

/// Where a value is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// `sessionStorage`.
    Session,
    /// `localStorage`.
    Local,
    /// IndexedDB: what every tab reads under the refresh lock (an IndexedDB read that starts
    /// after a write committed sees it, unlike another tab's `localStorage`). Where there is no
    /// IndexedDB, reads find nothing and writes do nothing.
    Shared,
}

/// An I/O command: the pump performs it exactly as said.
#[derive(Clone)]
#[non_exhaustive]
pub enum Command {
    /// Perform this request within its deadline; answer [`Answer::Http`] (a missed deadline is
    /// [`Error::Timeout`], a transport failure [`Error::Network`]).
    Fetch(HttpRequest),
    /// Verify this signature; answer [`Answer::Verified`].
    Verify(SignatureCheck),
    /// Hash the access token's octets; answer [`Answer::Digest`].
    Digest {
        /// SHA-384 or SHA-512.
        hash: HashAlg,
        /// What to hash.
        access_token: AccessToken,
    },
    /// Read `key`; answer [`Answer::Read`].
    Read {
        /// Where.
        area: Area,
        /// The key.
        key: String,
    },
    /// Write `value` under `key`; answer [`Answer::Written`] once committed.
    Write {
        /// Where.
        area: Area,
        /// The key.
        key: String,
        /// The text (may hold tokens: never logged).
        value: String,
    },
    /// Remove `key`; answer [`Answer::Written`] once committed.
    Remove {
        /// Where.
        area: Area,
        /// The key.
        key: String,
    },
    /// The keys of `area` that start with `prefix`; answer [`Answer::Keys`].
    ListKeys {
        /// Where.
        area: Area,
        /// The prefix.
        prefix: String,
    },
    /// Request the exclusive cross-tab lock `name`, waiting at most `wait_ms`; answer
    /// [`Answer::Lock`] when granted (`Ok`) or not (`Err`). Once granted, it is held until
    /// [`Command::ReleaseLock`] or `lease_ms` have passed, whichever comes first, so that a tab
    /// that vanished while holding it cannot block the others. Where there are no locks, answer
    /// `Err(Unsupported)` at once: the machine then goes on without one.
    TakeLock {
        /// The lock's name.
        name: String,
        /// How long to wait for it.
        wait_ms: u32,
        /// How long it may be held.
        lease_ms: u32,
    },
    /// Release the lock `name`. No answer.
    ReleaseLock {
        /// The lock's name.
        name: String,
    },
    /// Open the tab channel `name` (a BroadcastChannel); its messages come as
    /// [`Input::TabMessage`]. No answer.
    OpenChannel {
        /// The channel's name.
        name: String,
    },
    /// Close the tab channel. No answer.
    CloseChannel,
    /// Post `message` to the other tabs on the tab channel. No answer.
    Broadcast {
        /// The message.
        message: Json,
    },
    /// Show `url` in a popup for operation `op`: the app's own window when the call said so,
    /// else one opened now with `window.open`. Answer [`Answer::Opened`]: `Err(PopupBlocked)`
    /// when the browser refused, `Err(PopupClosed)` when the app's window is already closed.
    OpenPopup {
        /// The operation.
        op: OpId,
        /// The authorization URL.
        url: String,
        /// Navigate the window the app gave instead of opening one.
        app_window: bool,
    },
    /// Load `url` in a hidden iframe for operation `op`; answer [`Answer::Opened`].
    OpenFrame {
        /// The operation.
        op: OpId,
        /// The authorization URL.
        url: String,
    },
    /// Listen on the BroadcastChannel `channel` for operation `op`; its messages come as
    /// [`Input::Handover`]. Closed with the operation's window. No answer.
    ListenHandover {
        /// The operation.
        op: OpId,
        /// The channel's name.
        channel: String,
    },
    /// Look at operation `op`'s popup handle; answer [`Answer::Look`].
    LookAtPopup {
        /// The operation.
        op: OpId,
    },
    /// Close operation `op`'s popup, or remove its iframe, and its hand-over channel. No answer.
    CloseWindow {
        /// The operation.
        op: OpId,
    },
    /// Send the page to `url`. No answer.
    Navigate {
        /// Where.
        url: String,
    },
    /// Replace the page's address with `url` without loading it. No answer.
    ReplaceUrl {
        /// The new address.
        url: String,
    },
    /// Show `url` in operation `op`'s popup, opened earlier (blank) within the call: a pushed
    /// authorization request's URL is known only once the push answered (RFC 9126). No answer;
    /// a closed popup is noticed by the watch.
    NavigateWindow {
        /// The operation.
        op: OpId,
        /// The authorization URL.
        url: String,
    },
    #[cfg(feature = "dpop")]
    /// Read the DPoP key pair `name` (RFC 9449) from IndexedDB, where it is kept as a
    /// non-extractable `CryptoKey`, and hold it for [`Command::Sign`]; answer [`Answer::Key`]
    /// with its public JWK, or `None` when there is none.
    LoadKey {
        /// The key's name.
        name: String,
    },
    #[cfg(feature = "dpop")]
    /// Generate an ECDSA P-256 key pair whose private key is not extractable, and hold it under
    /// `name` (replacing one held); answer [`Answer::Key`] with its public JWK.
    GenerateKey {
        /// The key's name.
        name: String,
    },
    #[cfg(feature = "dpop")]
    /// Store the key pair held under `name` in IndexedDB as `CryptoKey` objects (never as key
    /// material); answer [`Answer::Written`].
    StoreKey {
        /// The key's name.
        name: String,
    },
    #[cfg(feature = "dpop")]
    /// Forget the key pair `name`, held and stored; answer [`Answer::Written`].
    RemoveKey {
        /// The key's name.
        name: String,
    },
    #[cfg(feature = "dpop")]
    /// Sign `input`'s UTF-8 octets with the private key held under `name`, ECDSA P-256 with
    /// SHA-256; answer [`Answer::Signature`] with the 64 bytes `r || s`.
    Sign {
        /// The key's name.
        name: String,
        /// The JWS signing input.
        input: String,
    },
}

/// Which [`Answer`] a command takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerKind {
    /// [`Answer::Http`].
    Http,
    /// [`Answer::Verified`].
    Verified,
    /// [`Answer::Digest`].
    Digest,
    /// [`Answer::Read`].
    Read,
    /// [`Answer::Written`].
    Written,
    /// [`Answer::Keys`].
    Keys,
    /// [`Answer::Lock`].
    Lock,
    /// [`Answer::Opened`].
    Opened,
    /// [`Answer::Look`].
    Look,
    #[cfg(feature = "dpop")]
    /// [`Answer::Key`].
    Key,
    #[cfg(feature = "dpop")]
    /// [`Answer::Signature`].
    Signature,
}

impl AnswerKind {
    /// The answer of this kind that says the command failed with `e` (`None` for the kinds
    /// that cannot fail).
    #[inline(never)]
    pub(crate) fn failed(self, e: Error) -> Option<Answer> {
        Some(match self {
            AnswerKind::Http => Answer::Http(Err(e)),
            AnswerKind::Verified => Answer::Verified(Err(e)),
            AnswerKind::Digest => Answer::Digest(Err(e)),
            AnswerKind::Read => Answer::Read(Err(e)),
            AnswerKind::Written => Answer::Written(Err(e)),
            AnswerKind::Lock => Answer::Lock(Err(e)),
            #[cfg(feature = "dpop")]
            AnswerKind::Key => Answer::Key(Err(e)),
            #[cfg(feature = "dpop")]
            AnswerKind::Signature => Answer::Signature(Err(e)),
            AnswerKind::Opened => Answer::Opened(Err(e)),
            AnswerKind::Keys | AnswerKind::Look => return None,
        })
    }
}

impl Command {
    /// Whether the pump performs this command on IndexedDB, whose requests a browser may never
    /// answer: the machine gives it a deadline of `request_timeout_ms`.
    pub fn on_indexed_db(&self) -> bool {
        match self {
            Command::Read { area, .. }
            | Command::Write { area, .. }
            | Command::Remove { area, .. } => *area == Area::Shared,
            #[cfg(feature = "dpop")]
            Command::LoadKey { .. } | Command::StoreKey { .. } | Command::RemoveKey { .. } => true,
            _ => false,
        }
    }

    /// The answer this command takes; `None` for the commands nobody answers (a release, the
    /// channel, a broadcast, a hand-over listener, closing a window, navigating).
    pub fn answer_kind(&self) -> Option<AnswerKind> {
        Some(match self {
            Command::Fetch(_) => AnswerKind::Http,
            Command::Verify(_) => AnswerKind::Verified,
            Command::Digest { .. } => AnswerKind::Digest,
            Command::Read { .. } => AnswerKind::Read,
            Command::Write { .. } | Command::Remove { .. } => AnswerKind::Written,
            Command::ListKeys { .. } => AnswerKind::Keys,
            Command::TakeLock { .. } => AnswerKind::Lock,
            Command::OpenPopup { .. } | Command::OpenFrame { .. } => AnswerKind::Opened,
            Command::LookAtPopup { .. } => AnswerKind::Look,
            #[cfg(feature = "dpop")]
            Command::LoadKey { .. } | Command::GenerateKey { .. } => AnswerKind::Key,
            #[cfg(feature = "dpop")]
            Command::StoreKey { .. } | Command::RemoveKey { .. } => AnswerKind::Written,
            #[cfg(feature = "dpop")]
            Command::Sign { .. } => AnswerKind::Signature,
            Command::NavigateWindow { .. }
            | Command::ReleaseLock { .. }
            | Command::OpenChannel { .. }
            | Command::CloseChannel
            | Command::Broadcast { .. }
            | Command::ListenHandover { .. }
            | Command::CloseWindow { .. }
            | Command::Navigate { .. }
            | Command::ReplaceUrl { .. } => return None,
        })
    }
}

impl fmt::Debug for Command {
    /// Names the command and its non-secret parts only: URLs may carry an `id_token_hint`, and
    /// written values tokens.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::Fetch(r) => f.debug_tuple("Fetch").field(r).finish(),
            Command::Verify(_) => f.write_str("Verify"),
            Command::Digest { hash, .. } => f.debug_struct("Digest").field("hash", hash).finish(),
            Command::Read { area, key } => f
                .debug_struct("Read")
                .field("area", area)
                .field("key", key)
                .finish(),
            Command::Write { area, key, .. } => f
                .debug_struct("Write")
                .field("area", area)
                .field("key", key)
                .finish_non_exhaustive(),
            Command::Remove { area, key } => f
                .debug_struct("Remove")
                .field("area", area)
                .field("key", key)
                .finish(),
            Command::ListKeys { area, prefix } => f
                .debug_struct("ListKeys")
                .field("area", area)
                .field("prefix", prefix)
                .finish(),
            Command::TakeLock { name, wait_ms, .. } => f
                .debug_struct("TakeLock")
                .field("name", name)
                .field("wait_ms", wait_ms)
                .finish_non_exhaustive(),
            Command::ReleaseLock { name } => {
                f.debug_struct("ReleaseLock").field("name", name).finish()
            }
            Command::OpenChannel { name } => {
                f.debug_struct("OpenChannel").field("name", name).finish()
            }
            Command::CloseChannel => f.write_str("CloseChannel"),
            Command::Broadcast { message } => f
                .debug_struct("Broadcast")
                .field("message", message)
                .finish(),
            Command::OpenPopup { op, .. } => f.debug_struct("OpenPopup").field("op", op).finish(),
            Command::OpenFrame { op, .. } => f.debug_struct("OpenFrame").field("op", op).finish(),
            Command::ListenHandover { op, .. } => {
                f.debug_struct("ListenHandover").field("op", op).finish()
            }
            Command::LookAtPopup { op } => f.debug_struct("LookAtPopup").field("op", op).finish(),
            Command::CloseWindow { op } => f.debug_struct("CloseWindow").field("op", op).finish(),
            Command::Navigate { .. } => f.write_str("Navigate"),
            Command::ReplaceUrl { .. } => f.write_str("ReplaceUrl"),
            Command::NavigateWindow { op, .. } => {
                f.debug_struct("NavigateWindow").field("op", op).finish()
            }
            #[cfg(feature = "dpop")]
            Command::LoadKey { name } => f.debug_struct("LoadKey").field("name", name).finish(),
            #[cfg(feature = "dpop")]
            Command::GenerateKey { name } => {
                f.debug_struct("GenerateKey").field("name", name).finish()
            }
            #[cfg(feature = "dpop")]
            Command::StoreKey { name } => f.debug_struct("StoreKey").field("name", name).finish(),
            #[cfg(feature = "dpop")]
            Command::RemoveKey { name } => f.debug_struct("RemoveKey").field("name", name).finish(),
            #[cfg(feature = "dpop")]
            Command::Sign { name, .. } => f.debug_struct("Sign").field("name", name).finish(),
        }
    }
}

/// The outcome of a command. Its `Debug` leaves out a stored text (a session, a transaction).
#[derive(Clone)]
pub enum Answer {
    /// For [`Command::Fetch`].
    Http(Result<HttpResponse, Error>),
    /// For [`Command::Verify`].
    Verified(Result<(), Error>),
    /// For [`Command::Digest`].
    Digest(Result<Vec<u8>, Error>),
    /// For [`Command::Read`]: the text, or `None` when there is none.
    Read(Result<Option<String>, Error>),
    /// For [`Command::Write`] and [`Command::Remove`].
    Written(Result<(), Error>),
    /// For [`Command::ListKeys`].
    Keys(Vec<String>),
    /// For [`Command::TakeLock`].
    Lock(Result<(), Error>),
    /// For [`Command::OpenPopup`] and [`Command::OpenFrame`].
    Opened(Result<(), Error>),
    /// For [`Command::LookAtPopup`].
    Look(PopupLook),
    #[cfg(feature = "dpop")]
    /// For [`Command::LoadKey`] and [`Command::GenerateKey`]: the public JWK, or `None` when
    /// no key is stored.
    Key(Result<Option<Json>, Error>),
    #[cfg(feature = "dpop")]
    /// For [`Command::Sign`]: the signature.
    Signature(Result<Vec<u8>, Error>),
}

impl fmt::Debug for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Call::Create => f.write_str("Create"),
            Call::Signin { via, options } => f
                .debug_struct("Signin")
                .field("via", via)
                .field("options", options)
                .finish(),
            Call::HandleRedirectCallback { from_location, .. } => f
                .debug_struct("HandleRedirectCallback")
                .field("from_location", from_location)
                .finish_non_exhaustive(),
            Call::HandleFormPost(_) => f.write_str("HandleFormPost(..)"),
            Call::Refresh => f.write_str("Refresh"),
            Call::GetAccessToken => f.write_str("GetAccessToken"),
            Call::Signout { redirect, options } => f
                .debug_struct("Signout")
                .field("redirect", redirect)
                .field("options", options)
                .finish(),
            Call::HandleSignoutCallback { .. } => f
                .debug_struct("HandleSignoutCallback")
                .finish_non_exhaustive(),
            Call::SignOutLocally => f.write_str("SignOutLocally"),
            Call::Dispose => f.write_str("Dispose"),
            Call::ResourceHeaders { method, url } => f
                .debug_struct("ResourceHeaders")
                .field("method", method)
                .field("url", url)
                .finish(),
            Call::ResourceAnswer {
                method,
                url,
                status,
                retried,
                ..
            } => f
                .debug_struct("ResourceAnswer")
                .field("method", method)
                .field("url", url)
                .field("status", status)
                .field("retried", retried)
                .finish_non_exhaustive(),
            Call::DpopProof { method, url } => f
                .debug_struct("DpopProof")
                .field("method", method)
                .field("url", url)
                .finish(),
        }
    }
}

impl fmt::Debug for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Input::Call { op, call, entropy } => f
                .debug_struct("Call")
                .field("op", op)
                .field("call", call)
                .field("entropy_bytes", &entropy.len())
                .finish(),
            Input::Answer { id, answer } => f
                .debug_struct("Answer")
                .field("id", id)
                .field("answer", answer)
                .finish(),
            Input::Timeout => f.write_str("Timeout"),
            Input::Page(event) => f.debug_tuple("Page").field(event).finish(),
            Input::TabMessage(_) => f.write_str("TabMessage(..)"),
            Input::WindowMessage { origin, source, .. } => f
                .debug_struct("WindowMessage")
                .field("origin", origin)
                .field("source", source)
                .finish_non_exhaustive(),
            Input::Handover { op, .. } => f
                .debug_struct("Handover")
                .field("op", op)
                .finish_non_exhaustive(),
        }
    }
}

impl fmt::Debug for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Answer::Http(r) => f.debug_tuple("Http").field(r).finish(),
            Answer::Verified(r) => f.debug_tuple("Verified").field(r).finish(),
            Answer::Digest(r) => f
                .debug_tuple("Digest")
                .field(&r.as_ref().map(Vec::len))
                .finish(),
            Answer::Read(r) => f
                .debug_tuple("Read")
                .field(&r.as_ref().map(|text| text.as_ref().map(|_| "..")))
                .finish(),
            Answer::Written(r) => f.debug_tuple("Written").field(r).finish(),
            Answer::Keys(keys) => f.debug_tuple("Keys").field(keys).finish(),
            Answer::Lock(r) => f.debug_tuple("Lock").field(r).finish(),
            Answer::Opened(r) => f.debug_tuple("Opened").field(r).finish(),
            Answer::Look(look) => f.debug_tuple("Look").field(look).finish(),
            #[cfg(feature = "dpop")]
            Answer::Key(r) => f.debug_tuple("Key").field(r).finish(),
            #[cfg(feature = "dpop")]
            Answer::Signature(r) => f
                .debug_tuple("Signature")
                .field(&r.as_ref().map(Vec::len))
                .finish(),
        }
    }
}

/// What the app's listeners hear.
#[derive(Debug, Clone)]
pub enum Event {
    /// A sign-in completed (`signedIn`).
    SignedIn(SignedIn),
    /// The session was renewed: refresh token, silent sign-in, or another tab (`refreshed`).
    Refreshed(Session),
    /// A refresh failed; the session is unchanged (`refreshFailed`).
    RefreshFailed(Error),
    /// The access token expires soon, at this time in seconds since the epoch (`expiring`).
    Expiring(i64),
    /// The access token expired at this time (`expired`).
    Expired(i64),
    /// The session ended (`signedOut`): `"signout"` here, `"other_tab"` when another tab signed
    /// out, `"idle"` after no activity in any tab, `"refresh_failed"` when the access token
    /// expired after the OP refused the refresh token ([`Session::refresh_refused`]).
    SignedOut(&'static str),
    /// No user activity in any tab: the session ends in this many milliseconds (`idle`).
    Idle(u32),
}

/// What a finished operation yields.
#[derive(Clone)]
pub enum Outcome {
    /// Nothing (create, a redirect, a local sign-out, dispose).
    Nothing,
    /// A URL (authorizeUrl, signoutUrl).
    Url(String),
    /// A completed sign-in.
    SignedIn(SignedIn),
    /// A renewed session (refresh).
    Session(Session),
    /// A valid access token.
    AccessToken(AccessToken),
    /// The state a logout return carried.
    SignedOut(Option<String>),
    /// The headers of a resource request; `None` after a resource's answer that needs no
    /// retry.
    Headers(Option<ResourceHeaders>),
    /// A DPoP proof.
    Proof(String),
}

/// The headers of a request to a resource server. Its `Debug` shows neither: they carry the
/// access token and a proof.
#[derive(Clone)]
pub struct ResourceHeaders {
    /// `Authorization`: `DPoP <token>` or `Bearer <token>`.
    pub authorization: String,
    /// `DPoP`: the proof, for a DPoP-bound token.
    pub dpop: Option<String>,
}

impl fmt::Debug for ResourceHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ResourceHeaders(..)")
    }
}

impl fmt::Debug for Outcome {
    /// Shows no URL: an authorization or end-session URL may carry an `id_token_hint`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Nothing => f.write_str("Nothing"),
            Outcome::Url(_) => f.write_str("Url(..)"),
            Outcome::SignedIn(s) => f.debug_tuple("SignedIn").field(s).finish(),
            Outcome::Session(s) => f.debug_tuple("Session").field(s).finish(),
            Outcome::AccessToken(t) => f.debug_tuple("AccessToken").field(t).finish(),
            Outcome::SignedOut(state) => f.debug_tuple("SignedOut").field(state).finish(),
            Outcome::Headers(h) => f.debug_tuple("Headers").field(h).finish(),
            Outcome::Proof(_) => f.write_str("Proof(..)"),
        }
    }
}

/// An output of the machine.
#[derive(Debug, Clone)]
pub enum Output {
    /// Perform `command`; answer with `id` where the command says so.
    Io {
        /// The command's id.
        id: IoId,
        /// What to do.
        command: Command,
    },
    /// The command `id` is no longer wanted: abort it if it is under way (a fetch); its answer,
    /// if one still comes, is ignored.
    Cancel {
        /// The command's id.
        id: IoId,
    },
    /// Tell the app's listeners.
    Event(Event),
    /// Operation `op` is over.
    Done {
        /// The operation.
        op: OpId,
        /// Its outcome.
        result: Result<Outcome, Error>,
    },
}
