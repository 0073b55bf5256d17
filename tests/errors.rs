//! The SDK's own error codes: what [`Error::code`] says, and that the npm package lists every one
//! of them (`ERROR_CODES` in index.js, `SdkErrorCode` and `ErrorCodes` in index.d.ts, the table
//! of its README).

use oidc_rp_wasm::error::*;

/// Each `CODE_*` constant with its name in `ERROR_CODES`.
const SDK_CODES: &[(&str, &str)] = &[
    ("STATE_MISMATCH", CODE_STATE_MISMATCH),
    ("ISSUER_MISMATCH", CODE_ISSUER_MISMATCH),
    ("NONCE_MISMATCH", CODE_NONCE_MISMATCH),
    ("INVALID_ID_TOKEN", CODE_INVALID_ID_TOKEN),
    ("INVALID_SIGNATURE", CODE_INVALID_SIGNATURE),
    ("ID_TOKEN_REQUIRED", CODE_ID_TOKEN_REQUIRED),
    ("SUBJECT_MISMATCH", CODE_SUBJECT_MISMATCH),
    ("INVALID_RESPONSE", CODE_INVALID_RESPONSE),
    ("INVALID_CONFIG", CODE_INVALID_CONFIG),
    ("UNSUPPORTED", CODE_UNSUPPORTED),
    ("NO_SESSION", CODE_NO_SESSION),
    ("TIMEOUT", CODE_TIMEOUT),
    ("POPUP_CLOSED", CODE_POPUP_CLOSED),
    ("POPUP_BLOCKED", CODE_POPUP_BLOCKED),
    ("NETWORK", CODE_NETWORK),
    ("STORAGE", CODE_STORAGE),
    ("CRYPTO_UNAVAILABLE", CODE_CRYPTO),
    ("BROWSER", CODE_BROWSER),
    ("DISPOSED", CODE_DISPOSED),
    ("ABANDONED", CODE_ABANDONED),
    ("DPOP_NOT_BOUND", CODE_DPOP_NOT_BOUND),
    ("DPOP_KEY_CHANGED", CODE_DPOP_KEY_CHANGED),
];

#[test]
fn an_abandoned_operation_has_its_own_code() {
    let error = Error::Abandoned;
    assert_eq!(error.code(), "abandoned");
    assert_eq!(error.code(), CODE_ABANDONED);
    assert_ne!(error.code(), CODE_NO_SESSION);
    assert_eq!(error.reason(), None);
    assert_eq!(error.to_string(), "the operation ended without a result");
}

#[test]
fn the_package_lists_every_sdk_code() {
    let index_js = include_str!("../pkg-template/index.js");
    let index_d_ts = include_str!("../pkg-template/index.d.ts");
    let readme = include_str!("../pkg-template/README.md");
    for (name, code) in SDK_CODES {
        assert!(
            index_js.contains(&format!("  {name}: '{code}',\n")),
            "ERROR_CODES in index.js lacks {name}: '{code}'"
        );
        assert!(
            index_d_ts.contains(&format!("  | \"{code}\"")),
            "SdkErrorCode in index.d.ts lacks \"{code}\""
        );
        assert!(
            index_d_ts.contains(&format!("  readonly {name}: \"{code}\";\n")),
            "ErrorCodes in index.d.ts lacks {name}"
        );
        assert!(
            readme.contains(&format!("| `{code}` |")),
            "the error table of pkg-template/README.md lacks `{code}`"
        );
    }
}

/// Every message, word for word: [`Error::message`] builds them without `core::fmt` (for the
/// wasm's size) and must say what the `write!`-based `Display` said, which shows the same text.
#[test]
fn every_message_keeps_its_text() {
    let s = |v: &str| v.to_owned();
    let cases: Vec<(Error, &str)> = vec![
        (
            Error::Op(OpError {
                error: s("login_required"),
                description: None,
                uri: Some(s("https://op/e")),
                state: None,
            }),
            "the OpenID Provider answered `login_required`",
        ),
        (
            Error::Op(OpError {
                error: s("invalid_grant"),
                description: Some(s("expired code")),
                uri: None,
                state: Some(s("st")),
            }),
            "the OpenID Provider answered `invalid_grant`: expired code",
        ),
        (
            Error::StateMismatch,
            "the response's state matches no pending request",
        ),
        (
            Error::IssuerMismatch {
                source: "discovery",
                expected: s("https://a"),
                found: Some(s("https://b")),
            },
            "issuer mismatch (discovery): expected `https://a`, found `https://b`",
        ),
        (
            Error::IssuerMismatch {
                source: "iss_parameter",
                expected: s("https://a"),
                found: None,
            },
            "issuer mismatch (iss_parameter): expected `https://a`, found none",
        ),
        (
            IdTokenError::Malformed(s("bad base64")).into(),
            "invalid ID token: not a well-formed JWT (bad base64)",
        ),
        (
            IdTokenError::Encrypted.into(),
            "invalid ID token: encrypted ID tokens are not supported",
        ),
        (
            IdTokenError::AlgNotAllowed(s("HS256")).into(),
            "invalid ID token: alg `HS256` is not allowed",
        ),
        (
            IdTokenError::IssuerMismatch.into(),
            "invalid ID token: `iss` differs from the issuer",
        ),
        (
            IdTokenError::AudienceMismatch.into(),
            "invalid ID token: `aud` does not contain the client id",
        ),
        (
            IdTokenError::AzpMissing.into(),
            "invalid ID token: several audiences and no `azp`",
        ),
        (
            IdTokenError::AzpMismatch.into(),
            "invalid ID token: `azp` differs from the client id",
        ),
        (IdTokenError::Expired.into(), "invalid ID token: expired (`exp`)"),
        (
            IdTokenError::IssuedInFuture.into(),
            "invalid ID token: `iat` is in the future",
        ),
        (
            IdTokenError::NotYetValid.into(),
            "invalid ID token: `nbf` is in the future",
        ),
        (
            IdTokenError::MissingClaim("sub").into(),
            "invalid ID token: claim `sub` is missing or has the wrong type",
        ),
        (
            IdTokenError::NonceMismatch.into(),
            "invalid ID token: `nonce` differs from the request's",
        ),
        (
            IdTokenError::AuthTimeMissing.into(),
            "invalid ID token: max_age was requested and `auth_time` is missing",
        ),
        (
            IdTokenError::AuthTimeTooOld.into(),
            "invalid ID token: `auth_time` is older than max_age allows",
        ),
        (
            IdTokenError::AcrNotSatisfied.into(),
            "invalid ID token: `acr` is not one of the requested acr_values",
        ),
        (
            IdTokenError::AtHashMismatch.into(),
            "invalid ID token: `at_hash` does not match the access token",
        ),
        (
            IdTokenError::RefreshedClaimChanged("auth_time").into(),
            "invalid ID token: the refreshed ID token changed `auth_time` (OIDC Core 12.2)",
        ),
        (
            IdTokenError::ClockSkew { offset_seconds: 0 }.into(),
            "invalid ID token: the device clock is 0 s behind the OpenID Provider's (the ID token was just issued): set the clock right",
        ),
        (
            IdTokenError::ClockSkew { offset_seconds: 3600 }.into(),
            "invalid ID token: the device clock is 3600 s behind the OpenID Provider's (the ID token was just issued): set the clock right",
        ),
        (
            IdTokenError::ClockSkew { offset_seconds: -7201 }.into(),
            "invalid ID token: the device clock is 7201 s ahead of the OpenID Provider's (the ID token was just issued): set the clock right",
        ),
        (
            IdTokenError::ClockSkew { offset_seconds: i64::MIN }.into(),
            "invalid ID token: the device clock is 9223372036854775808 s ahead of the OpenID Provider's (the ID token was just issued): set the clock right",
        ),
        (
            SignatureError::Mismatch.into(),
            "ID token signature: does not verify",
        ),
        (
            SignatureError::NoMatchingKey.into(),
            "ID token signature: no key in the JWK Set fits the token",
        ),
        (
            SignatureError::UnusableKey(s("key `k1`: too short")).into(),
            "ID token signature: the key cannot be used: key `k1`: too short",
        ),
        (
            SignatureError::UnsupportedAlg(s("ES512")).into(),
            "ID token signature: alg `ES512` cannot be verified here",
        ),
        (
            Error::IdTokenRequired,
            "the token response has no id_token, and one is required",
        ),
        (
            Error::SubjectMismatch,
            "the UserInfo `sub` differs from the ID token's",
        ),
        (
            ResponseError::NotJson(s("expected value at byte 0")).into(),
            "malformed response from the OpenID Provider: not a JSON object (expected value at byte 0)",
        ),
        (
            ResponseError::MissingField("access_token").into(),
            "malformed response from the OpenID Provider: `access_token` is missing or has the wrong type",
        ),
        (
            ResponseError::InvalidField("expires_in", s("negative")).into(),
            "malformed response from the OpenID Provider: `expires_in` is invalid: negative",
        ),
        (
            ResponseError::RepeatedParameter(s("state")).into(),
            "malformed response from the OpenID Provider: parameter `state` appears more than once",
        ),
        (
            ResponseError::NoCodeOrError.into(),
            "malformed response from the OpenID Provider: neither `code` nor `error`",
        ),
        (
            ResponseError::NotAuthorizationResponse.into(),
            "malformed response from the OpenID Provider: not a web_message authorization_response",
        ),
        (
            ResponseError::UnexpectedStatus(0).into(),
            "malformed response from the OpenID Provider: unexpected HTTP status 0",
        ),
        (
            ResponseError::UnexpectedStatus(503).into(),
            "malformed response from the OpenID Provider: unexpected HTTP status 503",
        ),
        (
            ResponseError::UnexpectedStatus(u16::MAX).into(),
            "malformed response from the OpenID Provider: unexpected HTTP status 65535",
        ),
        (
            Error::config("redirect_uri", "must be absolute"),
            "invalid option `redirect_uri`: must be absolute",
        ),
        (
            Error::Unsupported(s("response_mode=web_message")),
            "the OpenID Provider does not support response_mode=web_message",
        ),
        (
            Error::NoSession("no refresh token"),
            "no session: no refresh token",
        ),
        (Error::Timeout, "no answer from the OpenID Provider in time"),
        (Error::PopupClosed, "the sign-in popup was closed"),
        (Error::PopupBlocked, "the sign-in popup could not be opened"),
        (Error::Network(s("offline")), "network: offline"),
        (Error::Storage(s("quota")), "storage: quota"),
        (Error::Crypto(s("no subtle")), "crypto unavailable: no subtle"),
        (
            BrowserError::NoWindow.into(),
            "browser: no window: oidc-rp-wasm runs in a page",
        ),
        (
            BrowserError::NoDocument.into(),
            "browser: no document body to attach a frame to",
        ),
        (BrowserError::Frame(s("gone")).into(), "browser: frame: gone"),
        (
            BrowserError::Conversion(s("not JSON")).into(),
            "browser: conversion: not JSON",
        ),
        (BrowserError::Lock(s("aborted")).into(), "browser: Web Lock: aborted"),
        (
            BrowserError::Location(s("denied")).into(),
            "browser: location: denied",
        ),
        (Error::Disposed, "the client was disposed of"),
        (Error::Abandoned, "the operation ended without a result"),
    ];
    for (error, text) in cases {
        assert_eq!(error.to_string(), text, "{error:?}");
        assert_eq!(error.message(), text, "{error:?}");
        let inner = match &error {
            Error::IdToken(e) => Some((e.to_string(), e.message())),
            Error::Signature(e) => Some((e.to_string(), e.message())),
            Error::InvalidResponse(e) => Some((e.to_string(), e.message())),
            Error::Browser(e) => Some((e.to_string(), e.message())),
            _ => None,
        };
        if let Some((shown, message)) = inner {
            assert_eq!(shown, message);
            assert!(text.ends_with(&message), "{text} / {message}");
        }
    }
}
