//! The flows: every multi-step protocol exchange as a sans-IO state machine.
//!
//! A flow is a value. It is started with what the caller holds (a response, a session, the
//! configuration) and the current time, and it answers with a [`Step`]: either what it needs from
//! the outside world next ([`Need`]: an HTTP request with its deadline, the JWK Set, a signature
//! verification, a SHA-384/512 digest) or that it is done. The caller performs the needs, in parallel when there are
//! several, and hands the [`Answer`]s back, in the same order, with the time they arrived. A flow
//! never reads a clock, never performs I/O and never panics on what it is answered.
//!
//! The browser shell (`web::driver`) is one such caller; the native tests are another, answering
//! each request with the bytes a real OP would send. Both drive the very same machines, so they
//! cannot disagree about what is checked or which error is reported.
//!
//! - [`code::CodeFlow`]: authorization response -> token request -> ID token -> session.
//! - [`refresh::RefreshFlow`]: refresh_token grant -> OIDC Core §12.2 -> optional UserInfo check.
//! - [`signature::SignatureFlow`]: the part both share: JWK Set (refetched once for an unknown
//!   `kid`), the candidate keys, one verification at a time.
//! - [`silent`]: whether a silent sign-in refreshes or asks the OP with `prompt=none`, and how a
//!   popup or iframe sign-in is set up.
//! - [`access`]: whether `getAccessToken` hands out the token, refreshes, or fails; when the
//!   expiry timers fire.
//! - [`logout`]: the end-session URL and the check of the return.
//! - [`idle`]: when a session with no user activity in any tab is warned about and ended.

pub mod access;
pub mod code;
pub mod idle;
pub mod logout;
pub mod refresh;
pub mod signature;
pub mod silent;

use crate::core::alg::HashAlg;
use crate::core::jwks::JwkSet;
use crate::core::jws::SignatureCheck;
use crate::core::secret::AccessToken;
use crate::error::Error;
use std::fmt;

/// The HTTP method of a [`HttpRequest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET: discovery, the JWK Set, UserInfo.
    Get,
    /// POST: the token endpoint.
    Post,
}

/// An HTTP request a flow needs, complete: the shell adds nothing to it but the transport.
///
/// Its `Debug` shows the method and URL only: headers and body may hold a token or a verifier.
pub struct HttpRequest {
    /// The method.
    pub method: Method,
    /// The absolute URL.
    pub url: String,
    /// Request headers, in order.
    pub headers: Vec<(&'static str, String)>,
    /// The body, for POST (form-encoded).
    pub body: Option<String>,
    /// How long the request may take, from sending to the last byte of the body, in
    /// milliseconds. Past it the answer is [`Error::Timeout`].
    pub timeout_ms: u32,
    /// Whether the browser's HTTP cache must ask the server (Fetch's request cache mode
    /// `no-cache`): a JWK Set fetched again for a key the first answer lacked, which may have
    /// come from that cache (OIDC Core §10.1.1: an OP may sign with a new key at once).
    pub no_cache: bool,
}

impl HttpRequest {
    /// A GET of `url` that accepts JSON.
    pub fn get(url: impl Into<String>, timeout_ms: u32) -> Self {
        HttpRequest::for_json(Method::Get, url.into(), None, timeout_ms)
    }

    /// A POST of a form-encoded `body` to `url` (the token endpoint, RFC 6749 §4.1.3, §6).
    pub fn post_form(url: impl Into<String>, body: String, timeout_ms: u32) -> Self {
        let mut request = HttpRequest::for_json(Method::Post, url.into(), Some(body), timeout_ms);
        request
            .headers
            .push(("Content-Type", crate::core::token::CONTENT_TYPE.to_owned()));
        request
    }

    /// A request that accepts JSON: what [`HttpRequest::get`] and [`HttpRequest::post_form`]
    /// share.
    fn for_json(method: Method, url: String, body: Option<String>, timeout_ms: u32) -> Self {
        HttpRequest {
            method,
            url,
            headers: vec![("Accept", "application/json".to_owned())],
            body,
            timeout_ms,
            no_cache: false,
        }
    }

    /// Adds `Authorization: Bearer <token>` (RFC 6750 §2.1).
    pub fn bearer(self, token: &str) -> Self {
        self.authorization("Bearer ", token)
    }

    /// With `Authorization: DPoP <token>` for a DPoP-bound access token (RFC 9449 §7.1): the
    /// machine adds the `DPoP` proof, with `ath` of the token, before it sends the request.
    pub fn dpop_bound(self, token: &str) -> Self {
        self.authorization("DPoP ", token)
    }

    fn authorization(mut self, scheme: &str, token: &str) -> Self {
        self.headers
            .push(("Authorization", crate::core::text::cat(&[scheme, token])));
        self
    }
}

// By hand: the headers copied by one loop instead of the derived `Vec<(&str, String)>::clone`.
impl Clone for HttpRequest {
    fn clone(&self) -> Self {
        let mut headers = Vec::with_capacity(self.headers.len());
        for (name, value) in &self.headers {
            headers.push((*name, value.clone()));
        }
        HttpRequest {
            method: self.method,
            url: self.url.clone(),
            headers,
            body: self.body.clone(),
            timeout_ms: self.timeout_ms,
            no_cache: self.no_cache,
        }
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("timeout_ms", &self.timeout_ms)
            .finish_non_exhaustive()
    }
}

/// What came back for an [`HttpRequest`]: the status and the body as text. A transport failure
/// is not a response: it is answered as [`Error::Network`] or [`Error::Timeout`].
#[derive(Clone)]
pub struct HttpResponse {
    /// The HTTP status.
    pub status: u16,
    /// The body as text.
    pub body: String,
    /// The `DPoP-Nonce` header (RFC 9449 §8.1, §9), when the server sent one.
    pub dpop_nonce: Option<String>,
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// Something a flow needs from the outside world.
#[derive(Debug, Clone)]
pub enum Need {
    /// Perform this request; answer [`Answer::Http`].
    Http(HttpRequest),
    /// The OP's JWK Set; answer [`Answer::JwkSet`]. With `refetch: false` a cached set will do;
    /// with `refetch: true` the cache must be bypassed (a token named a key the cached set
    /// lacks, OIDC Core §10.1.1). A set that was fetched is parsed with [`JwkSet::from_http`].
    JwkSet {
        /// The request that fetches it (`jwks_uri`, with the deadline).
        request: HttpRequest,
        /// Whether the cached set must not be used.
        refetch: bool,
    },
    /// Verify this signature (WebCrypto in the browser, jwt-compact natively); answer
    /// [`Answer::Verified`].
    Verify(SignatureCheck),
    /// Hash this access token's ASCII octets with `hash` (SHA-384 or SHA-512: WebCrypto's
    /// `digest` in the browser, so that the wasm carries SHA-256 only), for the ID token's
    /// `at_hash` (OIDC Core §3.1.3.8); answer [`Answer::Digest`].
    Digest {
        /// The hash function of the ID token's `alg`.
        hash: HashAlg,
        /// What to hash.
        access_token: AccessToken,
    },
}

/// The outside world's answer to a [`Need`].
#[derive(Debug, Clone)]
pub enum Answer {
    /// The response to [`Need::Http`], or why there is none.
    Http(Result<HttpResponse, Error>),
    /// The JWK Set for [`Need::JwkSet`], or why there is none.
    JwkSet(Result<JwkSet, Error>),
    /// Whether the signature of [`Need::Verify`] verified.
    Verified(Result<(), Error>),
    /// The digest [`Need::Digest`] asked for.
    Digest(Result<Vec<u8>, Error>),
}

/// What a flow says after each move.
#[derive(Debug)]
#[must_use]
pub enum Step<T, E = Error> {
    /// Perform these (in parallel when several) and hand the answers back in the same order.
    Need(Vec<Need>),
    /// The flow is over.
    Done(Result<T, E>),
}

impl<T, E> Step<T, E> {
    /// One need.
    pub fn need(need: Need) -> Self {
        Step::Need(vec![need])
    }
}

/// The first two of `answers`, the rest dropped: a flow asks for one or two things at a time.
pub(crate) fn first_two(mut answers: Vec<Answer>) -> (Option<Answer>, Option<Answer>) {
    answers.truncate(2);
    let second = if answers.len() == 2 {
        answers.pop()
    } else {
        None
    };
    (answers.pop(), second)
}

/// The one answer of `answers`; `None` when there are none or several.
pub(crate) fn only(mut answers: Vec<Answer>) -> Option<Answer> {
    if answers.len() == 1 {
        answers.pop()
    } else {
        None
    }
}

/// The answer a flow expected was not among those it was given: the caller broke the protocol
/// of [`Step`] (wrong count or order of answers).
pub(crate) fn out_of_order() -> Error {
    Error::InvalidResponse(crate::error::ResponseError::InvalidField(
        "answer",
        "the flow was given an answer it did not ask for".to_owned(),
    ))
}
