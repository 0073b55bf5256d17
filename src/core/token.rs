//! The token endpoint: request bodies for the authorization code grant (RFC 6749 §4.1.3, with the
//! PKCE `code_verifier` of RFC 7636 §4.5) and the refresh token grant (RFC 6749 §6), and the
//! parsing of its answers: a successful response (RFC 6749 §5.1) or an error response (§5.2).
//!
//! Bodies are `application/x-www-form-urlencoded` (RFC 6749 Appendix B). A public client (every
//! browser app) sends its `client_id` in the body and no secret (§2.3.1, §3.2.1); a confidential
//! Rust client may add `client_secret` (`client_secret_post`).
//!
//! Nothing here ever prints a refresh token or an access token: [`TokenResponse`] and
//! [`TokenRequest`] have redacting `Debug`s, and errors never carry the body.

use crate::core::json::{Json, Object};
use crate::core::members::{check_response, take_str, Kind, Member, OPTIONAL, REQUIRED};
use crate::core::pkce::CodeVerifier;
use crate::core::secret::{AccessToken, ClientSecret, RawIdToken, RefreshToken};
#[cfg(doc)]
use crate::error::REASON_OTHER_TAB;
use crate::error::{Error, OpError, ResponseError, REASON_NO_ERROR_BODY};
use std::fmt;
use std::str::FromStr;

/// The media type of token request bodies (RFC 6749 §4.1.3, §6).
pub const CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

/// The body of a token request (RFC 6749 §4.1.3 or §6). Its `Debug` is redacted: the body holds
/// a code verifier or a refresh token.
#[derive(Clone)]
pub struct TokenRequest {
    body: String,
}

impl TokenRequest {
    /// The authorization code grant (RFC 6749 §4.1.3, RFC 7636 §4.5); see [`code_exchange_body`].
    pub fn code_exchange(
        client_id: &str,
        code: &str,
        redirect_uri: &str,
        verifier: &CodeVerifier,
        client_secret: Option<&ClientSecret>,
    ) -> Self {
        TokenRequest {
            body: code_exchange_body(client_id, code, redirect_uri, verifier, client_secret),
        }
    }

    /// The refresh token grant (RFC 6749 §6); see [`refresh_body`].
    pub fn refresh(
        client_id: &str,
        refresh_token: &RefreshToken,
        scope: Option<&str>,
        client_secret: Option<&ClientSecret>,
    ) -> Self {
        TokenRequest {
            body: refresh_body(client_id, refresh_token, scope, client_secret),
        }
    }

    /// The form-encoded body to POST to the token endpoint.
    pub fn body(&self) -> &str {
        &self.body
    }

    /// The `Content-Type` to send it with.
    pub fn content_type(&self) -> &'static str {
        CONTENT_TYPE
    }
}

impl fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenRequest")
            .field("body", &"[redacted]")
            .finish()
    }
}

/// The body of an authorization code token request (RFC 6749 §4.1.3, RFC 7636 §4.5):
/// `grant_type=authorization_code`, `code`, `redirect_uri` (it was in the authorization request),
/// `client_id`, `code_verifier`, and `client_secret` only when given.
pub fn code_exchange_body(
    client_id: &str,
    code: &str,
    redirect_uri: &str,
    verifier: &CodeVerifier,
    client_secret: Option<&ClientSecret>,
) -> String {
    let mut form = crate::core::form::Form::new();
    form.pair("grant_type", "authorization_code")
        .pair("code", code)
        .pair("redirect_uri", redirect_uri)
        .pair("client_id", client_id)
        .pair("code_verifier", verifier.expose());
    if let Some(secret) = client_secret {
        form.pair("client_secret", secret.expose());
    }
    form.finish()
}

/// The body of a refresh token request (RFC 6749 §6): `grant_type=refresh_token`,
/// `refresh_token`, `scope` when given (it may only narrow the original grant), `client_id`, and
/// `client_secret` only when given.
pub fn refresh_body(
    client_id: &str,
    refresh_token: &RefreshToken,
    scope: Option<&str>,
    client_secret: Option<&ClientSecret>,
) -> String {
    let mut form = crate::core::form::Form::new();
    form.pair("grant_type", "refresh_token")
        .pair("refresh_token", refresh_token.expose());
    if let Some(scope) = scope {
        form.pair("scope", scope);
    }
    form.pair("client_id", client_id);
    if let Some(secret) = client_secret {
        form.pair("client_secret", secret.expose());
    }
    form.finish()
}

/// The `token_type` of an access token (RFC 6749 §7.1): `Bearer` (RFC 6750) or `DPoP`
/// (RFC 9449 §5). Parsed case-insensitively (RFC 6749 §5.1 says the value is case-insensitive);
/// serialised as `"Bearer"` / `"DPoP"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenType {
    /// A bearer token (RFC 6750).
    Bearer,
    /// A DPoP-bound token (RFC 9449).
    DPoP,
}

impl TokenType {
    /// The canonical spelling: `"Bearer"` or `"DPoP"`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenType::Bearer => "Bearer",
            TokenType::DPoP => "DPoP",
        }
    }
}

impl fmt::Display for TokenType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TokenType {
    type Err = Error;

    /// `bearer` or `dpop` in any case; anything else is
    /// [`ResponseError::InvalidField`]`("token_type", ..)`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("bearer") {
            Ok(TokenType::Bearer)
        } else if s.eq_ignore_ascii_case("dpop") {
            Ok(TokenType::DPoP)
        } else {
            Err(Error::InvalidResponse(ResponseError::InvalidField(
                "token_type",
                crate::core::text::cat(&["`", s, "` is neither Bearer nor DPoP"]),
            )))
        }
    }
}

/// A successful token response (RFC 6749 §5.1; OIDC Core §3.1.3.3 adds `id_token`).
///
/// Its `Debug` shows neither the access token nor the refresh token.
#[derive(Clone)]
pub struct TokenResponse {
    /// The access token.
    pub access_token: AccessToken,
    /// Its type.
    pub token_type: TokenType,
    /// Its lifetime in seconds, when the OP said.
    pub expires_in: Option<u64>,
    /// A refresh token, when the OP issued one.
    pub refresh_token: Option<RefreshToken>,
    /// The ID token, not yet validated.
    pub id_token: Option<RawIdToken>,
    /// The granted scope, when the OP said (RFC 6749 §5.1: required if it differs from the
    /// requested one).
    pub scope: Option<String>,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"[redacted]")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .field("id_token", &self.id_token.as_ref().map(|_| "[jwt]"))
            .field("scope", &self.scope)
            .finish()
    }
}

/// Parses the token endpoint's answer.
///
/// - HTTP 200: a JSON object (RFC 6749 §5.1) with `access_token` (a non-empty string) and
///   `token_type` (Bearer or DPoP, any case); `expires_in` a non-negative number or a numeric
///   string; `refresh_token`, `id_token`, `scope` strings when present. An object with `error`
///   and no `access_token` is treated as an error response.
/// - Any other status with an OAuth error object (`{"error": ...}`, RFC 6749 §5.2, normally on
///   400 or 401) -> [`Error::Op`] with the OP's code, description and URI.
/// - Any other status without one -> [`ResponseError::UnexpectedStatus`].
/// - A 200 body that is not a JSON object -> [`ResponseError::NotJson`]; a missing or mistyped
///   field -> [`ResponseError::MissingField`] / [`ResponseError::InvalidField`].
///
/// Errors never contain the body, so a refresh token is never echoed.
pub fn parse_token_response(status: u16, body: &str) -> Result<TokenResponse, Error> {
    if status != 200 {
        return Err(error_answer(status, body));
    }
    let Ok(mut json) = Json::parse_object(body) else {
        return Err(Error::InvalidResponse(ResponseError::NotJson(
            "the token response is not a JSON object".to_owned(),
        )));
    };
    if !json.contains_key("access_token") {
        if let Some(op) = op_error(&json) {
            return Err(Error::Op(op));
        }
    }
    check_response(&json, TOKEN_REQUIRED)?;
    let token_type = json.str("token_type").unwrap_or_default().parse()?;
    let expires_in = match json.get("expires_in") {
        None | Some(Json::Null) => None,
        Some(number @ Json::Number(_)) => Some(seconds(number)?),
        // Some OPs send it as a string.
        Some(Json::String(s)) => match Json::parse(s.trim_ascii()) {
            Ok(number @ Json::Number(_)) => Some(seconds(&number)?),
            _ => return Err(invalid("expires_in", "not a number")),
        },
        Some(_) => return Err(invalid("expires_in", "not a number")),
    };
    check_response(&json, TOKEN_OPTIONAL)?;
    let mut string = |name| take_str(&mut json, name).filter(|s| !s.is_empty());
    Ok(TokenResponse {
        access_token: AccessToken::new(string("access_token").unwrap_or_default()),
        token_type,
        expires_in,
        refresh_token: string("refresh_token").map(RefreshToken::new),
        id_token: string("id_token").map(RawIdToken::new),
        scope: string("scope"),
    })
}

/// The members of a successful token response (RFC 6749 §5.1, OIDC Core §3.1.3.3) that
/// [`parse_token_response`] checks first: `access_token` and `token_type`.
const TOKEN_REQUIRED: &[Member] = &[
    ("access_token", Kind::NonEmptyStr, REQUIRED),
    ("token_type", Kind::Str, REQUIRED),
];

/// The optional string members, checked after `expires_in`; they read as absent when empty.
const TOKEN_OPTIONAL: &[Member] = &[
    ("refresh_token", Kind::Str, OPTIONAL),
    ("id_token", Kind::Str, OPTIONAL),
    ("scope", Kind::Str, OPTIONAL),
];

/// The error an endpoint answered with another status than success: the OAuth error object
/// of the body (RFC 6749 §5.2) as [`Error::Op`], else [`ResponseError::UnexpectedStatus`].
pub(crate) fn error_answer(status: u16, body: &str) -> Error {
    match Json::parse_object(body).ok().as_ref().and_then(op_error) {
        Some(op) => Error::Op(op),
        None => Error::InvalidResponse(ResponseError::UnexpectedStatus(status)),
    }
}

/// The refresh token a token response carries, read even from a response that is otherwise
/// unusable: when the OP answered 200 with a new `refresh_token`, it has spent the old one, and
/// the client must keep the new one whatever else is wrong with the response (RFC 9700 §4.14.2).
pub fn rotated_refresh_token(status: u16, body: &str) -> Option<RefreshToken> {
    if status != 200 {
        return None;
    }
    crate::core::members::body_str(body, "refresh_token")
        .filter(|t| !t.is_empty())
        .map(RefreshToken::new)
}

/// An `expires_in` number: non-negative, fraction dropped, saturating beyond `i64`.
fn seconds(number: &Json) -> Result<u64, Error> {
    let negative = matches!(number, Json::Number(text) if text.as_bytes().first() == Some(&b'-'));
    match number.as_u64() {
        Some(n) => Ok(n),
        None if !negative => Ok(i64::MAX.unsigned_abs()),
        None => Err(invalid(
            "expires_in",
            "not a non-negative number of seconds",
        )),
    }
}

fn invalid(field: &'static str, why: &str) -> Error {
    Error::InvalidResponse(ResponseError::InvalidField(field, why.to_owned()))
}

/// Parses the token endpoint's answer to a refresh_token grant ([`parse_token_response`]), with
/// one reading of its own: HTTP 400 or 401 without an OAuth error body is `invalid_grant` with
/// reason [`REASON_NO_ERROR_BODY`]. RFC 6749 §5.2 has the token endpoint answer 400 (or 401 for
/// client authentication) to a refused grant; an OP that leaves out the body (as some do once they
/// revoke a chain on refresh token reuse) still says the refresh token is no longer usable.
pub fn parse_refresh_response(status: u16, body: &str) -> Result<TokenResponse, Error> {
    // The error replaced in place: the response is not moved through a `map_err`.
    let mut parsed = parse_token_response(status, body);
    if let Err(e @ Error::InvalidResponse(ResponseError::UnexpectedStatus(400 | 401))) = &mut parsed
    {
        *e = refresh_token_refused_for(REASON_NO_ERROR_BODY);
    }
    parsed
}

/// `invalid_grant` (RFC 6749 §5.2) as the SDK reads it, not as the OP sent it: `reason` says how
/// ([`REASON_NO_ERROR_BODY`], [`REASON_OTHER_TAB`]).
#[inline(never)]
pub fn refresh_token_refused_for(reason: &'static str) -> Error {
    Error::Op(OpError {
        error: "invalid_grant".to_owned(),
        description: None,
        uri: None,
        state: None,
        reason: Some(reason),
    })
}

/// Whether a refresh failed because the OP refused the refresh token itself (`invalid_grant`,
/// RFC 6749 §5.2), rather than for the network or a response the client refused.
pub fn refresh_token_refused(error: &Error) -> bool {
    matches!(error, Error::Op(op) if op.error == "invalid_grant")
}

/// The OAuth error response in a JSON object (RFC 6749 §5.2), if it is one.
fn op_error(json: &Object) -> Option<OpError> {
    let error = json
        .get("error")?
        .as_str()
        .filter(|e| !e.is_empty())?
        .to_owned();
    let text = |name: &str| json.get(name).and_then(Json::as_str).map(str::to_owned);
    Some(OpError {
        error,
        description: text("error_description"),
        uri: text("error_uri"),
        state: None,
        reason: None,
    })
}
