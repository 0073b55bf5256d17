//! The client of a Rust front end: the public operations, each one
//! [`Call`] to the page's [`Machine`] through the pump, and its outcome.
//!
//! An operation starts when its method is called (a popup opens within
//! [`Client::signin_popup`] itself); the future it returns only waits for the outcome, holds no
//! borrow of the client (hand it to `spawn_local` as it is), and stopping to wait does not stop
//! the operation: a refresh under way still stores the token it brings. [`Client::create`] is
//! the exception: an `async fn`, it starts when first polled, and dropping it before it is done
//! drops the client it was making. The example in
//! [the module docs](super) shows a whole front end.

use super::pump::{Completion, Pump};
use super::{absolute_url, js_text, window};
use crate::core::config::{AuthorizeOptions, ClientConfig, LogoutOptions};
use crate::core::flow::code::SignedIn;
use crate::core::machine::{Call, Machine, Outcome, ResourceHeaders, SigninVia};
use crate::core::metadata::ProviderMetadata;
use crate::core::secret::AccessToken;
use crate::core::session::Session;
use crate::error::BrowserError;
use crate::Error;
use std::future::Future;
use std::rc::{Rc, Weak};

pub use crate::core::machine::Event;

/// The handle the app's clones share; the last one dropped disposes of the client.
struct Handle {
    pump: Pump,
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.pump.dispose();
    }
}

/// The OpenID Connect client of one page. Cheap to clone (a shared handle); dropping the last
/// handle (or [`Client::dispose`]) ends its operations with [`Error::Disposed`] and lets go of
/// its timer, listeners, channels, frames and lock.
#[derive(Clone)]
pub struct Client {
    handle: Rc<Handle>,
}

/// A handle that does not keep the client alive (for listeners that call the client).
#[derive(Clone)]
pub struct WeakClient(Weak<Handle>);

impl WeakClient {
    /// The client, if it is still alive.
    pub fn upgrade(&self) -> Option<Client> {
        self.0.upgrade().map(|handle| Client { handle })
    }
}

/// The outcome's value, or an error when the machine answered something else.
async fn expect<T>(completion: Completion, pick: fn(Outcome) -> Option<T>) -> Result<T, Error> {
    let outcome = completion.await?;
    pick(outcome).ok_or_else(|| {
        Error::Browser(BrowserError::Conversion(
            "the operation ended with another kind of outcome".into(),
        ))
    })
}

fn url(outcome: Outcome) -> Option<String> {
    match outcome {
        Outcome::Url(url) => Some(url),
        _ => None,
    }
}

fn nothing(outcome: Outcome) -> Option<()> {
    match outcome {
        Outcome::Nothing => Some(()),
        _ => None,
    }
}

fn signed_in(outcome: Outcome) -> Option<SignedIn> {
    match outcome {
        Outcome::SignedIn(signed_in) => Some(signed_in),
        _ => None,
    }
}

/// The page's address.
fn location() -> Result<String, Error> {
    window()?
        .location()
        .href()
        .map_err(|e| Error::Browser(BrowserError::Location(js_text(&e))))
}

impl Client {
    /// Creates a client: checks the configuration, fetches discovery and restores a persisted
    /// session. Fails with the configuration's, discovery's or the browser's error.
    pub async fn create(config: ClientConfig) -> Result<Client, Error> {
        let origin = window()?
            .location()
            .origin()
            .map_err(|e| Error::Browser(BrowserError::Location(js_text(&e))))?;
        let pump = Pump::start(Machine::new(config, origin)?);
        let created = pump.call(Call::Create).await;
        if let Err(e) = created {
            pump.stop();
            return Err(e);
        }
        Ok(Client {
            handle: Rc::new(Handle { pump }),
        })
    }

    fn pump(&self) -> &Pump {
        &self.handle.pump
    }

    /// Starts `call`, or fails with the error that kept it from being made.
    fn call_with(&self, call: Result<Call, Error>) -> Completion {
        match call {
            Ok(call) => self.pump().call(call),
            Err(error) => Completion::failed(error),
        }
    }

    /// A handle that does not keep the client alive.
    pub fn downgrade(&self) -> WeakClient {
        WeakClient(Rc::downgrade(&self.handle))
    }

    /// The current session (`None` once disposed of).
    pub fn session(&self) -> Option<Session> {
        self.pump().read(|m| m.session().cloned()).flatten()
    }

    /// Why there is no session: the reason of the last [`Event::SignedOut`](crate::core::machine::Event)
    /// in this page, `None` while there is a session or when none ended here (or once disposed
    /// of).
    pub fn signed_out_reason(&self) -> Option<&'static str> {
        self.pump().read(|m| m.signed_out_reason()).flatten()
    }

    /// The OP's metadata (`None` once disposed of).
    pub fn metadata(&self) -> Option<ProviderMetadata> {
        self.pump().read(|m| m.metadata().cloned()).flatten()
    }

    /// Calls `listener` with every [`Event`]; returns an id for [`Client::off`]. A listener may
    /// call the client: its calls wait until the event has been handed to every listener. On a
    /// disposed client the listener is never called (and the id is 0).
    pub fn on(&self, listener: impl Fn(&Event) + 'static) -> u32 {
        self.pump().listen(Rc::new(listener)).unwrap_or(0)
    }

    /// Removes a listener.
    pub fn off(&self, id: u32) {
        self.pump().unlisten(id);
    }

    /// Ends every operation with [`Error::Disposed`], closes the frames and the channels,
    /// releases the lock and stops the timer; every later call fails with `disposed`. Dropping
    /// the last handle does the same. With `local` storage, a refresh whose request is already
    /// out at the OP is let finish and its rotated refresh token stored first
    /// ([`Machine::is_over`](crate::core::machine::Machine::is_over)).
    pub fn dispose(&self) {
        self.pump().dispose();
    }

    // ----- sign-in -----

    /// The URL of a redirect sign-in; its transaction is stored for the callback. With pushed
    /// authorization requests the URL carries a one-time `request_uri` the OP keeps for its
    /// `expires_in` only (RFC 9126 §2.2, often 60 s): navigate to it at once.
    pub fn authorize_url(
        &self,
        options: AuthorizeOptions,
    ) -> impl Future<Output = Result<String, Error>> + 'static {
        expect(
            self.pump().call(Call::Signin {
                via: SigninVia::Url,
                options,
            }),
            url,
        )
    }

    /// Sends the browser to the OP (the transaction stored first).
    pub fn signin_redirect(
        &self,
        options: AuthorizeOptions,
    ) -> impl Future<Output = Result<(), Error>> + 'static {
        expect(
            self.pump().call(Call::Signin {
                via: SigninVia::Redirect,
                options,
            }),
            nothing,
        )
    }

    /// Completes a redirect sign-in from `url`, by default the page's address (which is then
    /// cleaned of the response): the response in the query, the fragment or behind the form_post
    /// service worker, the code exchange, the ID token, the session stored and announced.
    /// Called again with the same URL (or the address it left behind), it gives the same
    /// outcome without a second code exchange.
    pub fn handle_redirect_callback(
        &self,
        url: Option<String>,
    ) -> impl Future<Output = Result<SignedIn, Error>> + 'static {
        let call = match url {
            Some(url) => Ok(Call::HandleRedirectCallback {
                url,
                from_location: false,
            }),
            None => location().map(|url| Call::HandleRedirectCallback {
                url,
                from_location: true,
            }),
        };
        let completion = match call {
            Ok(call) => self.pump().call(call),
            Err(e) => Completion::failed(e),
        };
        expect(completion, signed_in)
    }

    /// Completes a form_post sign-in from the POSTed body (for apps whose server receives it).
    pub fn handle_form_post(
        &self,
        body: &str,
    ) -> impl Future<Output = Result<SignedIn, Error>> + 'static {
        expect(
            self.pump().call(Call::HandleFormPost(body.to_owned())),
            signed_in,
        )
    }

    /// Signs in in a popup. The popup is open when this returns, before anything is awaited:
    /// call it in the click handler itself (browsers block a `window.open` that follows an
    /// await), or open a window there yourself and pass it as `window`. The future completes
    /// the sign-in; a call refused before its popup opens (an option, a disposed client) closes
    /// `window`.
    pub fn signin_popup(
        &self,
        options: AuthorizeOptions,
        window: Option<web_sys::Window>,
    ) -> impl Future<Output = Result<SignedIn, Error>> + 'static {
        let given = window.clone();
        let pump = self.pump().clone();
        pump.give_window(window);
        let done = expect(
            pump.call(Call::Signin {
                via: SigninVia::Popup {
                    app_window: given.is_some(),
                },
                options,
            }),
            signed_in,
        );
        async move {
            let result = done.await;
            // A call refused before its popup opened closes the window the app opened for it.
            if let (Err(_), Some(given)) = (&result, given) {
                pump.close_unused_window(&given);
            }
            result
        }
    }

    /// Renews the session without user interaction: the refresh token first when it can serve
    /// (the session has one and `options` asks nothing only an authorization request can do:
    /// see [`AuthorizeOptions::needs_authorization_request`]), else (or when the OP refuses the
    /// grant with `invalid_grant`, or the refresh token is bound to a DPoP key the client no
    /// longer holds) a hidden iframe with `prompt=none`. OP errors
    /// (`login_required`, ...) keep their codes; the session stays as it was.
    pub fn signin_silent(
        &self,
        options: AuthorizeOptions,
    ) -> impl Future<Output = Result<SignedIn, Error>> + 'static {
        expect(
            self.pump().call(Call::Signin {
                via: SigninVia::Silent,
                options,
            }),
            signed_in,
        )
    }

    // ----- tokens -----

    /// Renews the session with the refresh_token grant (RFC 6749 §6). Concurrent calls share one
    /// request; a shared session is refreshed under a cross-tab lock. A failure leaves the
    /// session as it was.
    pub fn refresh(&self) -> impl Future<Output = Result<Session, Error>> + 'static {
        expect(self.pump().call(Call::Refresh), |outcome| match outcome {
            Outcome::Session(session) => Some(session),
            _ => None,
        })
    }

    /// A valid access token: the current one, or a refreshed one when it is near expiry.
    /// [`Error::NoSession`] when nobody is signed in; [`Error::SessionExpired`] when the token has
    /// expired and there is no refresh token (the expired session stays in [`Client::session`]
    /// until a sign-in or sign-out replaces it).
    pub fn get_access_token(&self) -> impl Future<Output = Result<AccessToken, Error>> + 'static {
        expect(
            self.pump().call(Call::GetAccessToken),
            |outcome| match outcome {
                Outcome::AccessToken(token) => Some(token),
                _ => None,
            },
        )
    }

    // ----- sign-out -----

    /// The end-session URL (RP-Initiated Logout 1.0 §2); its state is stored for the return.
    pub fn signout_url(
        &self,
        options: LogoutOptions,
    ) -> impl Future<Output = Result<String, Error>> + 'static {
        expect(
            self.pump().call(Call::Signout {
                redirect: false,
                options,
            }),
            url,
        )
    }

    /// Signs out here and in every tab, then sends the browser to the OP's logout.
    pub fn signout_redirect(
        &self,
        options: LogoutOptions,
    ) -> impl Future<Output = Result<(), Error>> + 'static {
        expect(
            self.pump().call(Call::Signout {
                redirect: true,
                options,
            }),
            nothing,
        )
    }

    /// Checks the state the OP returned after logout in `url`, by default the page's address;
    /// the state the logout was started with.
    pub fn handle_signout_callback(
        &self,
        url: Option<String>,
    ) -> impl Future<Output = Result<Option<String>, Error>> + 'static {
        let completion = match url.map_or_else(location, Ok) {
            Ok(url) => self.pump().call(Call::HandleSignoutCallback { url }),
            Err(e) => Completion::failed(e),
        };
        expect(completion, |outcome| match outcome {
            Outcome::SignedOut(state) => Some(state),
            _ => None,
        })
    }

    /// Forgets the session here and in the other tabs, without contacting the OP. Resolves once
    /// the shared copy's removal is committed, so a reload right after finds no session.
    pub fn sign_out_locally(&self) -> impl Future<Output = Result<(), Error>> + 'static {
        expect(self.pump().call(Call::SignOutLocally), nothing)
    }

    // ----- resource servers and DPoP -----

    /// The headers of a request to a resource server: `Authorization` with a valid access token
    /// (refreshed first when near expiry, as [`Client::get_access_token`]), as `Bearer` (RFC 6750
    /// §2.1), or as `DPoP` with a proof in [`ResourceHeaders::dpop`] when the token is DPoP-bound
    /// (RFC 9449 §7: `htm`, `htu`, `ath` and the server's newest nonce). Send the request with
    /// them, then hand its answer to [`Client::resource_answer`]. `url` may be relative: it is
    /// read against the page's base URL, as `fetch` reads it.
    ///
    /// [`Error::Dpop`] (`dpop_key_changed`) when the token is bound to a key this client no
    /// longer holds.
    pub fn resource_headers(
        &self,
        method: &str,
        url: &str,
    ) -> impl Future<Output = Result<ResourceHeaders, Error>> + 'static {
        let call = absolute_url(url).map(|url| Call::ResourceHeaders {
            method: method.to_owned(),
            url,
        });
        expect(self.call_with(call), |outcome| match outcome {
            Outcome::Headers(Some(headers)) => Some(headers),
            _ => None,
        })
    }

    /// What the resource server answered the request sent with [`Client::resource_headers`]
    /// (`retried`: this is the answer to the retry): its `DPoP-Nonce` is kept for the next
    /// proofs to that server, and a `use_dpop_nonce` challenge (RFC 9449 §9) gives the headers
    /// for one retry with the nonce (`Some`). `None`: nothing to retry.
    pub fn resource_answer(
        &self,
        method: &str,
        url: &str,
        status: u16,
        www_authenticate: Option<String>,
        dpop_nonce: Option<String>,
        retried: bool,
    ) -> impl Future<Output = Result<Option<ResourceHeaders>, Error>> + 'static {
        let call = absolute_url(url).map(|url| Call::ResourceAnswer {
            method: method.to_owned(),
            url,
            status,
            www_authenticate,
            dpop_nonce,
            retried,
        });
        expect(self.call_with(call), |outcome| match outcome {
            Outcome::Headers(headers) => Some(headers),
            _ => None,
        })
    }

    /// A DPoP proof (RFC 9449 §4) for `method` `url`, signed with the client's key, with `ath`
    /// of the access token when the session's token is DPoP-bound: for an HTTP client of the
    /// app's own; `url` is read against the page's base URL, as `fetch` reads it.
    /// [`Error::InvalidConfig`] (field `dpop`) when `dpop` is off or the key is not ready, (field
    /// `url`) when `url` is not a URL.
    pub fn dpop_proof(
        &self,
        method: &str,
        url: &str,
    ) -> impl Future<Output = Result<String, Error>> + 'static {
        let call = absolute_url(url).map(|url| Call::DpopProof {
            method: method.to_owned(),
            url,
        });
        expect(self.call_with(call), |outcome| match outcome {
            Outcome::Proof(proof) => Some(proof),
            _ => None,
        })
    }
}
