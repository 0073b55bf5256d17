//! The one error type of the crate.
//!
//! [`Error::code`] is a stable string that apps switch on (it becomes `error.code` in JavaScript).
//! The OP's own error codes pass through unchanged (`login_required`, `invalid_grant`, ...); the
//! SDK's own codes are the `CODE_*` constants below. Where one code covers several checks (an ID
//! token can be invalid in many ways), [`Error::reason`] names the exact check that failed, again
//! as a stable string (it becomes `error.reason` in JavaScript).
//!
//! No variant ever carries a secret (refresh token, code verifier, client secret), so `Debug` and
//! `Display` are safe to log. [`Error::message`] builds the text `Display` shows without
//! `core::fmt`, so the wasm carries none of its machinery.

use std::fmt;

use crate::core::json::uint_text;

/// `state` of a response matched no pending request, or a logout return had the wrong state.
pub const CODE_STATE_MISMATCH: &str = "state_mismatch";
/// An `issuer` (discovery) or `iss` (RFC 9207 parameter, ID token claim) differs from the configured issuer.
pub const CODE_ISSUER_MISMATCH: &str = "issuer_mismatch";
/// The ID token's `nonce` differs from the one sent in the authorization request.
pub const CODE_NONCE_MISMATCH: &str = "nonce_mismatch";
/// The ID token failed a check of OIDC Core 3.1.3.7 or 12.2; [`Error::reason`] says which.
pub const CODE_INVALID_ID_TOKEN: &str = "invalid_id_token";
/// The ID token's signature did not verify, or no key could verify it; [`Error::reason`] says why.
pub const CODE_INVALID_SIGNATURE: &str = "invalid_signature";
/// A token response with scope `openid` (or any refresh, under the strict policy) had no `id_token`.
pub const CODE_ID_TOKEN_REQUIRED: &str = "id_token_required";
/// The UserInfo `sub` differs from the ID token's `sub`.
pub const CODE_SUBJECT_MISMATCH: &str = "subject_mismatch";
/// A response from the OP did not have the shape the protocol prescribes; [`Error::reason`] says how.
pub const CODE_INVALID_RESPONSE: &str = "invalid_response";
/// The client's configuration or a call's options are unusable; the message names the field.
pub const CODE_INVALID_CONFIG: &str = "invalid_config";
/// The OP does not offer what was asked of it (an endpoint it lacks, a response mode it does not list).
pub const CODE_UNSUPPORTED: &str = "unsupported";
/// No session is held, or the session has no refresh token, where one is needed.
pub const CODE_NO_SESSION: &str = "no_session";
/// The session's access token has expired and there is no refresh token to renew it: the app
/// must sign the user in again (the session still holds the identity until then).
pub const CODE_SESSION_EXPIRED: &str = "session_expired";
/// A silent or popup sign-in got no answer in time.
pub const CODE_TIMEOUT: &str = "timeout";
/// The user closed the sign-in popup.
pub const CODE_POPUP_CLOSED: &str = "popup_closed";
/// The browser refused to open the sign-in popup.
pub const CODE_POPUP_BLOCKED: &str = "popup_blocked";
/// A request got no answer (offline, DNS, a CORS refusal). An unexpected HTTP status is
/// [`Error::InvalidResponse`] with reason `unexpected_status`.
pub const CODE_NETWORK: &str = "network";
/// Browser storage failed (quota, disabled storage, a stored value that no longer parses).
pub const CODE_STORAGE: &str = "storage";
/// Randomness or WebCrypto was not available.
pub const CODE_CRYPTO: &str = "crypto_unavailable";
/// A browser facility the SDK needs is missing or failed; [`Error::reason`] says which.
pub const CODE_BROWSER: &str = "browser";
/// The client was disposed of; it takes no more calls.
pub const CODE_DISPOSED: &str = "disposed";
/// An operation that the call waited on, shared with other calls (a refresh, the handling of a
/// callback URL), ended without a result, so the call has none either.
pub const CODE_ABANDONED: &str = "abandoned";
/// `dpop` is on and the token endpoint issued a token that is not DPoP-bound (RFC 9449 §5).
pub const CODE_DPOP_NOT_BOUND: &str = "dpop_not_bound";
/// The session's tokens are bound to a DPoP key this client no longer holds (RFC 9449 §5): the
/// refresh token is not sent with another key's proofs, nor without one.
pub const CODE_DPOP_KEY_CHANGED: &str = "dpop_key_changed";

/// Every error the SDK reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The OP answered with an error (authorization or token endpoint). Its code passes through.
    Op(OpError),
    /// The `state` of a response matched no pending transaction (OAuth 2.0 RFC 6749 §10.12), or a
    /// logout return carried another or no state.
    StateMismatch,
    /// An issuer identifier differs from the configured issuer.
    IssuerMismatch {
        /// Where the mismatch was seen: `discovery` or `iss_parameter` (it becomes the reason; an
        /// ID token's `iss` is [`IdTokenError::IssuerMismatch`], reason `iss_mismatch`).
        source: &'static str,
        /// The issuer that was configured.
        expected: String,
        /// What was found instead, if anything.
        found: Option<String>,
    },
    /// The ID token is invalid.
    IdToken(IdTokenError),
    /// The ID token's signature could not be verified.
    Signature(SignatureError),
    /// A token response had no `id_token` where one is required.
    IdTokenRequired,
    /// The UserInfo response's `sub` differs from the session's.
    SubjectMismatch,
    /// A response did not have the shape the protocol prescribes.
    InvalidResponse(ResponseError),
    /// The configuration or a call's options are unusable.
    InvalidConfig {
        /// The option at fault, as the user spells it (`redirect_uri`, `prompt`, `extra_params.state`).
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The OP does not support what was asked.
    Unsupported(String),
    /// No session (or no refresh token) is held.
    NoSession(&'static str),
    /// The access token has expired and the session holds no refresh token: only a new sign-in
    /// renews it. Distinct from [`Error::NoSession`], which means nobody is signed in.
    SessionExpired,
    /// A silent or popup sign-in got no answer in time.
    Timeout,
    /// The user closed the popup.
    PopupClosed,
    /// The popup could not be opened.
    PopupBlocked,
    /// A request failed at the transport or HTTP level.
    Network(String),
    /// Browser storage failed.
    Storage(String),
    /// Randomness or WebCrypto was unavailable.
    Crypto(String),
    /// A browser facility failed or is missing.
    Browser(BrowserError),
    /// The client was disposed of.
    Disposed,
    /// An operation the call waited on ended without a result.
    Abandoned,
    /// A DPoP rule (RFC 9449) refused a token: the code is [`CODE_DPOP_NOT_BOUND`] or
    /// [`CODE_DPOP_KEY_CHANGED`].
    Dpop(&'static str),
}

/// Which browser facility failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BrowserError {
    /// No `window`: not in a page (a worker, Node).
    NoWindow,
    /// No `document` or no `document.body` to attach a frame to.
    NoDocument,
    /// An iframe could not be created, or has no window.
    Frame(String),
    /// A JS value could not be converted (not representable as JSON, wrong type).
    Conversion(String),
    /// The cross-tab Web Lock failed or was released without running.
    Lock(String),
    /// Reading or changing the page's address failed.
    Location(String),
}

/// An error response from the OP (RFC 6749 §4.1.2.1 and §5.2), whatever delivered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpError {
    /// The `error` code, e.g. `login_required` or `invalid_grant`.
    pub error: String,
    /// `error_description`, when the OP sent one.
    pub description: Option<String>,
    /// `error_uri`, when the OP sent one, as sent: [`Error::uri`] hands it on only when it is a
    /// web URL.
    pub uri: Option<String>,
    /// `state`, for authorization error responses.
    pub state: Option<String>,
    /// How the SDK read this error, where that is worth knowing (becomes `error.reason`):
    /// [`REASON_RESPONSE_MODE_MISMATCH`], [`REASON_NO_ERROR_BODY`] or [`REASON_OTHER_TAB`]. `None` for an error the OP
    /// sent as the protocol prescribes.
    pub reason: Option<&'static str>,
}

/// [`OpError::reason`] of an authorization error response that came by another response mode
/// than the request asked for (an OP that puts `prompt=none` errors in the query whatever the
/// `response_mode`): the error is the OP's all the same, as it grants nothing.
pub const REASON_RESPONSE_MODE_MISMATCH: &str = "response_mode_mismatch";
/// [`OpError::reason`] of a refresh the token endpoint refused with HTTP 400 or 401 and no
/// error body, read as `invalid_grant`: the refresh token is no longer usable.
pub const REASON_NO_ERROR_BODY: &str = "no_error_body";
/// [`OpError::reason`] of a refresh that found, under the cross-tab lock, that another tab's
/// refresh of the same refresh token had been refused (`invalid_grant`): this tab is told the
/// same without asking the OP again.
pub const REASON_OTHER_TAB: &str = "other_tab";

/// Which check of OIDC Core 3.1.3.7 (or 12.2 for refreshed tokens) an ID token failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdTokenError {
    /// Not a compact JWS with a JSON header and JSON claims.
    Malformed(String),
    /// A JWE (encrypted ID token); this client registers for none.
    Encrypted,
    /// `alg` is not among the allowed algorithms (`none` never is). Step 7.
    AlgNotAllowed(String),
    /// `iss` differs from the issuer. Step 2. (Reported with code `issuer_mismatch`.)
    IssuerMismatch,
    /// `aud` does not contain the client id. Step 3.
    AudienceMismatch,
    /// Several audiences and no `azp`. Step 4 (as profiled by this SDK).
    AzpMissing,
    /// `azp` is present and differs from the client id. Step 5.
    AzpMismatch,
    /// `exp` is in the past (beyond the clock skew). Step 9.
    Expired,
    /// `iat` is in the future (beyond the clock skew). Step 10.
    IssuedInFuture,
    /// `nbf` is in the future (beyond the clock skew). RFC 7519 §4.1.5.
    NotYetValid,
    /// A required claim is absent or has the wrong type: `iss`, `sub`, `aud`, `exp`, `iat`.
    MissingClaim(&'static str),
    /// `nonce` differs from the request's, or is absent. Step 11. (Code `nonce_mismatch`.)
    NonceMismatch,
    /// `max_age` was sent and `auth_time` is absent. Step 13.
    AuthTimeMissing,
    /// `auth_time + max_age` is in the past: the user did not re-authenticate. Step 13.
    AuthTimeTooOld,
    /// `acr_values` were sent and `acr` is absent or not one of them. Step 12.
    AcrNotSatisfied,
    /// `at_hash` does not match the access token. §3.1.3.8 / §3.2.2.9.
    AtHashMismatch,
    /// A refreshed ID token changed `iss`, `sub`, `aud`, `azp` or `auth_time`, or carries another
    /// `nonce`. §12.2. The field names the claim.
    RefreshedClaimChanged(&'static str),
    /// A token just received failed a time check (`exp`, `iat`, `nbf`) while its `iat` is further
    /// from the device's clock than the allowed skew: the device clock is wrong, not the token.
    /// `offset_seconds` is `iat - now`: positive when the device clock is behind the OP's.
    ClockSkew {
        /// The measured offset, in seconds.
        offset_seconds: i64,
    },
}

/// Why a signature could not be verified.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureError {
    /// The signature does not verify with the selected key.
    Mismatch,
    /// The JWK Set has no key that fits the token's `kid` and `alg`, even after a refetch.
    NoMatchingKey,
    /// The key exists but cannot be used for this algorithm (wrong curve, bad parameters).
    UnusableKey(String),
    /// No verifier here supports this algorithm.
    UnsupportedAlg(String),
}

/// How a response from the OP was malformed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResponseError {
    /// The body is not JSON, or not a JSON object.
    NotJson(String),
    /// A required field is absent or has the wrong type; names the field.
    MissingField(&'static str),
    /// A field has a value the protocol does not allow; names the field.
    InvalidField(&'static str, String),
    /// A parameter appears more than once (RFC 6749 §3.1).
    RepeatedParameter(String),
    /// The authorization response has neither `code` nor `error`.
    NoCodeOrError,
    /// A web_message payload is not `{"type":"authorization_response","response":{...}}`.
    NotAuthorizationResponse,
    /// An HTTP status the endpoint may not answer with.
    UnexpectedStatus(u16),
}

impl Error {
    /// The stable code of this error (becomes `error.code` in JavaScript).
    pub fn code(&self) -> &str {
        match self {
            Error::Op(op) => &op.error,
            Error::StateMismatch => CODE_STATE_MISMATCH,
            Error::IssuerMismatch { .. } | Error::IdToken(IdTokenError::IssuerMismatch) => {
                CODE_ISSUER_MISMATCH
            }
            Error::IdToken(IdTokenError::NonceMismatch) => CODE_NONCE_MISMATCH,
            Error::IdToken(_) => CODE_INVALID_ID_TOKEN,
            Error::Signature(_) => CODE_INVALID_SIGNATURE,
            Error::IdTokenRequired => CODE_ID_TOKEN_REQUIRED,
            Error::SubjectMismatch => CODE_SUBJECT_MISMATCH,
            Error::InvalidResponse(_) => CODE_INVALID_RESPONSE,
            Error::InvalidConfig { .. } => CODE_INVALID_CONFIG,
            Error::Unsupported(_) => CODE_UNSUPPORTED,
            Error::NoSession(_) => CODE_NO_SESSION,
            Error::SessionExpired => CODE_SESSION_EXPIRED,
            Error::Timeout => CODE_TIMEOUT,
            Error::PopupClosed => CODE_POPUP_CLOSED,
            Error::PopupBlocked => CODE_POPUP_BLOCKED,
            Error::Network(_) => CODE_NETWORK,
            Error::Storage(_) => CODE_STORAGE,
            Error::Crypto(_) => CODE_CRYPTO,
            Error::Browser(_) => CODE_BROWSER,
            Error::Disposed => CODE_DISPOSED,
            Error::Abandoned => CODE_ABANDONED,
            Error::Dpop(code) => code,
        }
    }

    /// The exact check that failed, as a stable string, where [`Error::code`] covers several
    /// (becomes `error.reason` in JavaScript). `None` where the code says it all.
    pub fn reason(&self) -> Option<&'static str> {
        Some(match self {
            Error::IdToken(e) => e.reason(),
            Error::Signature(e) => match e {
                SignatureError::Mismatch => "signature_mismatch",
                SignatureError::NoMatchingKey => "no_matching_key",
                SignatureError::UnusableKey(_) => "unusable_key",
                SignatureError::UnsupportedAlg(_) => "unsupported_alg",
            },
            Error::InvalidResponse(e) => match e {
                ResponseError::NotJson(_) => "not_json",
                ResponseError::MissingField(_) => "missing_field",
                ResponseError::InvalidField(..) => "invalid_field",
                ResponseError::RepeatedParameter(_) => "repeated_parameter",
                ResponseError::NoCodeOrError => "no_code_or_error",
                ResponseError::NotAuthorizationResponse => "not_authorization_response",
                ResponseError::UnexpectedStatus(_) => "unexpected_status",
            },
            Error::IssuerMismatch { source, .. } => source,
            Error::Op(op) => return op.reason,
            Error::Browser(e) => match e {
                BrowserError::NoWindow => "no_window",
                BrowserError::NoDocument => "no_document",
                BrowserError::Frame(_) => "frame",
                BrowserError::Conversion(_) => "conversion",
                BrowserError::Lock(_) => "lock",
                BrowserError::Location(_) => "location",
            },
            _ => return None,
        })
    }

    /// The OP's `error_description`, when the error came from the OP.
    pub fn description(&self) -> Option<&str> {
        match self {
            Error::Op(op) => op.description.as_deref(),
            _ => None,
        }
    }

    /// The OP's `error_uri`, when the error came from the OP and it is an `https://` or
    /// `http://` URL (the scheme in lower case, as URIs are normally written) of the characters
    /// RFC 6749 §4.1.2.1 and §5.2 allow (%x21 / %x23-5B / %x5D-7E). An app shows it as a link,
    /// so a `javascript:` or `data:` value, which no OP has reason to send, is not handed on.
    pub fn uri(&self) -> Option<&str> {
        match self {
            Error::Op(op) => op.uri.as_deref().filter(|uri| {
                (uri.starts_with("https://") || uri.starts_with("http://"))
                    && uri
                        .bytes()
                        .all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E))
            }),
            _ => None,
        }
    }

    /// [`Error::InvalidConfig`] for `field` whose value `value` is not one it takes: the reason
    /// is `` `value` `` followed by `why` (`` ` is not one of ...``).
    pub(crate) fn config_value(field: &str, value: &str, why: &str) -> Self {
        Error::config(field, crate::core::text::cat(&["`", value, why]))
    }

    /// Shorthand for [`Error::InvalidConfig`].
    pub fn config(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidConfig {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl IdTokenError {
    /// The stable reason string of this check.
    pub fn reason(&self) -> &'static str {
        match self {
            IdTokenError::Malformed(_) => "malformed",
            IdTokenError::Encrypted => "encrypted",
            IdTokenError::AlgNotAllowed(_) => "alg_not_allowed",
            IdTokenError::IssuerMismatch => "iss_mismatch",
            IdTokenError::AudienceMismatch => "aud_mismatch",
            IdTokenError::AzpMissing => "azp_missing",
            IdTokenError::AzpMismatch => "azp_mismatch",
            IdTokenError::Expired => "expired",
            IdTokenError::IssuedInFuture => "iat_in_future",
            IdTokenError::NotYetValid => "nbf_in_future",
            IdTokenError::MissingClaim(_) => "missing_claim",
            IdTokenError::NonceMismatch => "nonce_mismatch",
            IdTokenError::AuthTimeMissing => "auth_time_missing",
            IdTokenError::AuthTimeTooOld => "auth_time_too_old",
            IdTokenError::AcrNotSatisfied => "acr_not_satisfied",
            IdTokenError::AtHashMismatch => "at_hash_mismatch",
            IdTokenError::RefreshedClaimChanged(_) => "refreshed_claim_changed",
            IdTokenError::ClockSkew { .. } => "clock_skew",
        }
    }
}

impl Error {
    /// The human-readable message (what [`Display`](fmt::Display) shows; it becomes
    /// `error.message` in JavaScript). Built by concatenation, without `core::fmt`, whose
    /// machinery would cost the wasm several KB.
    pub fn message(&self) -> String {
        match self {
            Error::Op(op) => {
                let mut out =
                    crate::core::text::cat(&["the OpenID Provider answered `", &op.error, "`"]);
                if let Some(d) = &op.description {
                    out.push_str(": ");
                    out.push_str(d);
                }
                out
            }
            Error::StateMismatch => "the response's state matches no pending request".to_owned(),
            Error::IssuerMismatch {
                source,
                expected,
                found,
            } => {
                let mut out = crate::core::text::cat(&[
                    "issuer mismatch (",
                    source,
                    "): expected `",
                    expected,
                    "`, found ",
                ]);
                match found {
                    Some(found) => {
                        out.push('`');
                        out.push_str(found);
                        out.push('`');
                    }
                    None => out.push_str("none"),
                }
                out
            }
            Error::IdToken(e) => crate::core::text::cat(&["invalid ID token: ", &e.message()]),
            Error::Signature(e) => crate::core::text::cat(&["ID token signature: ", &e.message()]),
            Error::IdTokenRequired => {
                "the token response has no id_token, and one is required".to_owned()
            }
            Error::SubjectMismatch => "the UserInfo `sub` differs from the ID token's".to_owned(),
            Error::InvalidResponse(e) => crate::core::text::cat(&[
                "malformed response from the OpenID Provider: ",
                &e.message(),
            ]),
            Error::InvalidConfig { field, reason } => {
                crate::core::text::cat(&["invalid option `", field, "`: ", reason])
            }
            Error::Unsupported(what) => {
                crate::core::text::cat(&["the OpenID Provider does not support ", what])
            }
            Error::NoSession(what) => crate::core::text::cat(&["no session: ", what]),
            Error::SessionExpired => "session expired: sign in again".to_owned(),
            Error::Timeout => "no answer from the OpenID Provider in time".to_owned(),
            Error::PopupClosed => "the sign-in popup was closed".to_owned(),
            Error::PopupBlocked => "the sign-in popup could not be opened".to_owned(),
            Error::Network(what) => crate::core::text::cat(&["network: ", what]),
            Error::Storage(what) => crate::core::text::cat(&["storage: ", what]),
            Error::Crypto(what) => crate::core::text::cat(&["crypto unavailable: ", what]),
            Error::Browser(e) => crate::core::text::cat(&["browser: ", &e.message()]),
            Error::Disposed => "the client was disposed of".to_owned(),
            Error::Abandoned => "the operation ended without a result".to_owned(),
            Error::Dpop(code) => crate::core::text::cat(&["DPoP: ", code]),
        }
    }
}

impl IdTokenError {
    /// The human-readable message (what [`Display`](fmt::Display) shows), without `core::fmt`.
    pub fn message(&self) -> String {
        match self {
            IdTokenError::Malformed(why) => {
                crate::core::text::cat(&["not a well-formed JWT (", why, ")"])
            }
            IdTokenError::Encrypted => "encrypted ID tokens are not supported".to_owned(),
            IdTokenError::AlgNotAllowed(alg) => {
                crate::core::text::cat(&["alg `", alg, "` is not allowed"])
            }
            IdTokenError::IssuerMismatch => "`iss` differs from the issuer".to_owned(),
            IdTokenError::AudienceMismatch => "`aud` does not contain the client id".to_owned(),
            IdTokenError::AzpMissing => "several audiences and no `azp`".to_owned(),
            IdTokenError::AzpMismatch => "`azp` differs from the client id".to_owned(),
            IdTokenError::Expired => "expired (`exp`)".to_owned(),
            IdTokenError::IssuedInFuture => "`iat` is in the future".to_owned(),
            IdTokenError::NotYetValid => "`nbf` is in the future".to_owned(),
            IdTokenError::MissingClaim(c) => {
                crate::core::text::cat(&["claim `", c, "` is missing or has the wrong type"])
            }
            IdTokenError::NonceMismatch => "`nonce` differs from the request's".to_owned(),
            IdTokenError::AuthTimeMissing => {
                "max_age was requested and `auth_time` is missing".to_owned()
            }
            IdTokenError::AuthTimeTooOld => "`auth_time` is older than max_age allows".to_owned(),
            IdTokenError::AcrNotSatisfied => {
                "`acr` is not one of the requested acr_values".to_owned()
            }
            IdTokenError::AtHashMismatch => "`at_hash` does not match the access token".to_owned(),
            IdTokenError::RefreshedClaimChanged(c) => crate::core::text::cat(&[
                "the refreshed ID token changed `",
                c,
                "` (OIDC Core 12.2)",
            ]),
            IdTokenError::ClockSkew { offset_seconds } => {
                let side = if *offset_seconds >= 0 {
                    "behind"
                } else {
                    "ahead of"
                };
                crate::core::text::cat(&[
                    "the device clock is ",
                    &uint_text(offset_seconds.unsigned_abs()),
                    " s ",
                    side,
                    " the OpenID Provider's (the ID token was just issued): set the clock right",
                ])
            }
        }
    }
}

impl SignatureError {
    /// The human-readable message (what [`Display`](fmt::Display) shows), without `core::fmt`.
    pub fn message(&self) -> String {
        match self {
            SignatureError::Mismatch => "does not verify".to_owned(),
            SignatureError::NoMatchingKey => "no key in the JWK Set fits the token".to_owned(),
            SignatureError::UnusableKey(why) => {
                crate::core::text::cat(&["the key cannot be used: ", why])
            }
            SignatureError::UnsupportedAlg(alg) => {
                crate::core::text::cat(&["alg `", alg, "` cannot be verified here"])
            }
        }
    }
}

impl ResponseError {
    /// The human-readable message (what [`Display`](fmt::Display) shows), without `core::fmt`.
    pub fn message(&self) -> String {
        match self {
            ResponseError::NotJson(why) => {
                crate::core::text::cat(&["not a JSON object (", why, ")"])
            }
            ResponseError::MissingField(name) => {
                crate::core::text::cat(&["`", name, "` is missing or has the wrong type"])
            }
            ResponseError::InvalidField(name, why) => {
                crate::core::text::cat(&["`", name, "` is invalid: ", why])
            }
            ResponseError::RepeatedParameter(name) => {
                crate::core::text::cat(&["parameter `", name, "` appears more than once"])
            }
            ResponseError::NoCodeOrError => "neither `code` nor `error`".to_owned(),
            ResponseError::NotAuthorizationResponse => {
                "not a web_message authorization_response".to_owned()
            }
            ResponseError::UnexpectedStatus(status) => {
                crate::core::text::cat(&["unexpected HTTP status ", &uint_text(u64::from(*status))])
            }
        }
    }
}

impl BrowserError {
    /// The human-readable message (what [`Display`](fmt::Display) shows), without `core::fmt`.
    pub fn message(&self) -> String {
        match self {
            BrowserError::NoWindow => "no window: oidc-rp-wasm runs in a page".to_owned(),
            BrowserError::NoDocument => "no document body to attach a frame to".to_owned(),
            BrowserError::Frame(why) => crate::core::text::cat(&["frame: ", why]),
            BrowserError::Conversion(why) => crate::core::text::cat(&["conversion: ", why]),
            BrowserError::Lock(why) => crate::core::text::cat(&["Web Lock: ", why]),
            BrowserError::Location(why) => crate::core::text::cat(&["location: ", why]),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl fmt::Display for IdTokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl fmt::Display for ResponseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl fmt::Display for BrowserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for Error {}

impl From<BrowserError> for Error {
    fn from(e: BrowserError) -> Self {
        Error::Browser(e)
    }
}

impl From<OpError> for Error {
    fn from(e: OpError) -> Self {
        Error::Op(e)
    }
}

impl From<IdTokenError> for Error {
    fn from(e: IdTokenError) -> Self {
        Error::IdToken(e)
    }
}

impl From<SignatureError> for Error {
    fn from(e: SignatureError) -> Self {
        Error::Signature(e)
    }
}

impl From<ResponseError> for Error {
    fn from(e: ResponseError) -> Self {
        Error::InvalidResponse(e)
    }
}
