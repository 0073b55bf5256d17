//! OpenID Provider metadata (OpenID Connect Discovery 1.0 §3) and its validation (§4.3).
//!
//! The shell fetches [`ProviderMetadata::discovery_url`] and hands the body to
//! [`ProviderMetadata::parse`], which checks that the document is a JSON object with the members
//! this client needs, that the endpoints are absolute `http(s)` URLs, and that `issuer` is
//! exactly the configured issuer (§4.3: "MUST be identical"; no trailing-slash leniency).

use crate::core::members::{
    self, check_response, response_object, take_str, take_strings, take_text, Kind, Member,
    OPTIONAL, REQUIRED,
};
use crate::core::params::ResponseMode;
use crate::error::{Error, ResponseError};

/// The path appended to the issuer to find its configuration (Discovery §4).
pub const WELL_KNOWN_PATH: &str = "/.well-known/openid-configuration";

/// The members of an OpenID Provider's configuration that this client uses (Discovery §3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderMetadata {
    /// The issuer identifier; identical to the configured issuer.
    pub issuer: String,
    /// Where the browser is sent to authenticate (OIDC Core §3.1.2).
    pub authorization_endpoint: String,
    /// Where codes and refresh tokens are exchanged (OIDC Core §3.1.3).
    pub token_endpoint: String,
    /// The JWK Set with the keys that sign ID tokens.
    pub jwks_uri: String,
    /// The UserInfo endpoint (OIDC Core §5.3), if the OP has one.
    pub userinfo_endpoint: Option<String>,
    /// The RP-initiated logout endpoint (RP-Initiated Logout 1.0 §2.1), if the OP has one.
    pub end_session_endpoint: Option<String>,
    /// The `response_type` values the OP supports.
    pub response_types_supported: Vec<String>,
    /// The `response_mode` values the OP supports; absent means `query` and `fragment` only.
    pub response_modes_supported: Option<Vec<String>>,
    /// The JWS algorithms the OP may sign ID tokens with.
    pub id_token_signing_alg_values_supported: Vec<String>,
    /// The PKCE methods the OP supports (RFC 8414 §2); absent says nothing either way.
    pub code_challenge_methods_supported: Option<Vec<String>>,
    /// Whether the OP sends `iss` in authorization responses (RFC 9207 §3); default `false`.
    pub authorization_response_iss_parameter_supported: bool,
    /// The scopes the OP supports, if it says.
    pub scopes_supported: Option<Vec<String>>,
    /// The grant types the OP supports, if it says.
    pub grant_types_supported: Option<Vec<String>>,
}

impl ProviderMetadata {
    /// The URL of the issuer's configuration document: the issuer without a terminating `/`,
    /// followed by `/.well-known/openid-configuration` (Discovery §4).
    pub fn discovery_url(issuer: &str) -> String {
        let base = crate::core::text::strip_last(issuer, b'/').unwrap_or(issuer);
        crate::core::text::cat(&[base, WELL_KNOWN_PATH])
    }

    /// Parses and validates a configuration document (Discovery §3, §4.3).
    ///
    /// Errors: not a JSON object -> [`ResponseError::NotJson`]; a required member absent or of
    /// the wrong type -> [`ResponseError::MissingField`]; an optional member of the wrong type or
    /// an endpoint that is not an absolute `http(s)` URL without fragment ->
    /// [`ResponseError::InvalidField`]; `issuer` not identical to `configured_issuer` ->
    /// [`Error::IssuerMismatch`] with source `discovery`.
    pub fn parse(json: &str, configured_issuer: &str) -> Result<Self, Error> {
        let mut obj = response_object(
            json,
            "provider metadata: ",
            "provider metadata is not an object",
        )?;
        let issuer = obj.str("issuer");
        if let Some(issuer) = issuer.filter(|issuer| *issuer != configured_issuer) {
            return Err(Error::IssuerMismatch {
                source: "discovery",
                expected: configured_issuer.to_owned(),
                found: Some(issuer.to_owned()),
            });
        }
        check_response(&obj, MEMBERS)?;
        let o = &mut obj;
        Ok(ProviderMetadata {
            issuer: take_text(o, "issuer"),
            authorization_endpoint: take_text(o, "authorization_endpoint"),
            token_endpoint: take_text(o, "token_endpoint"),
            jwks_uri: take_text(o, "jwks_uri"),
            userinfo_endpoint: take_str(o, "userinfo_endpoint"),
            end_session_endpoint: take_str(o, "end_session_endpoint"),
            response_types_supported: take_strings(o, "response_types_supported")
                .unwrap_or_default(),
            response_modes_supported: take_strings(o, "response_modes_supported"),
            id_token_signing_alg_values_supported: take_strings(
                o,
                "id_token_signing_alg_values_supported",
            )
            .unwrap_or_default(),
            code_challenge_methods_supported: take_strings(o, "code_challenge_methods_supported"),
            authorization_response_iss_parameter_supported: members::bool(
                o,
                "authorization_response_iss_parameter_supported",
            )
            .unwrap_or(false),
            scopes_supported: take_strings(o, "scopes_supported"),
            grant_types_supported: take_strings(o, "grant_types_supported"),
        })
    }

    /// The metadata from the discovery response: HTTP 200 and [`ProviderMetadata::parse`];
    /// another status is [`ResponseError::UnexpectedStatus`].
    pub fn from_http(status: u16, body: &str, configured_issuer: &str) -> Result<Self, Error> {
        if status != 200 {
            return Err(ResponseError::UnexpectedStatus(status).into());
        }
        ProviderMetadata::parse(body, configured_issuer)
    }

    /// Whether the OP lists `mode` in `response_modes_supported`. When the list is absent, only
    /// `query` and `fragment` count as supported (the Discovery §3 default).
    ///
    /// [`AuthorizationRequest::build`](crate::core::authorize::AuthorizationRequest::build) is
    /// more lenient: it refuses a mode only when the OP publishes a list that lacks it, since many
    /// OPs support `form_post` without saying so.
    pub fn supports_response_mode(&self, mode: ResponseMode) -> bool {
        match &self.response_modes_supported {
            Some(modes) => crate::core::text::has(modes, mode.as_str()),
            None => matches!(mode, ResponseMode::Query | ResponseMode::Fragment),
        }
    }
}

/// The members [`ProviderMetadata::parse`] reads, in the order it checks them (`issuer` first:
/// it is compared with the configured issuer before anything else is checked).
const MEMBERS: &[Member] = &[
    ("issuer", Kind::Str, REQUIRED),
    ("authorization_endpoint", Kind::Url, REQUIRED),
    ("token_endpoint", Kind::Url, REQUIRED),
    ("jwks_uri", Kind::Url, REQUIRED),
    ("userinfo_endpoint", Kind::Url, OPTIONAL),
    ("end_session_endpoint", Kind::Url, OPTIONAL),
    ("response_types_supported", Kind::Strings, REQUIRED),
    ("response_modes_supported", Kind::Strings, OPTIONAL),
    (
        "id_token_signing_alg_values_supported",
        Kind::Strings,
        REQUIRED,
    ),
    ("code_challenge_methods_supported", Kind::Strings, OPTIONAL),
    (
        "authorization_response_iss_parameter_supported",
        Kind::Bool,
        OPTIONAL,
    ),
    ("scopes_supported", Kind::Strings, OPTIONAL),
    ("grant_types_supported", Kind::Strings, OPTIONAL),
];

/// Why `url` is not an absolute `http(s)` URL with a host and no fragment, or `None` when it is.
/// Also used for the URLs in the client's configuration.
pub fn url_problem(url: &str) -> Option<&'static str> {
    let rest = strip_prefix_ignore_case(url, "https://")
        .or_else(|| strip_prefix_ignore_case(url, "http://"));
    match rest {
        None => Some("not an absolute http(s) URL"),
        Some(rest) if matches!(rest.bytes().next(), Some(b'/' | b'?' | b'#') | None) => {
            Some("no host")
        }
        Some(_) if crate::core::text::contains(url, b'#') => Some("has a fragment"),
        // ASCII whitespace (`u8::is_ascii_whitespace`), by the byte search the core shares.
        Some(_) if crate::core::text::find_any(url, b" \t\n\x0c\r").is_some() => {
            Some("contains whitespace")
        }
        Some(_) => None,
    }
}

/// `s` without `prefix`, compared ASCII-case-insensitively (URL schemes are case-insensitive).
fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        s.get(prefix.len()..)
    } else {
        None
    }
}
