//! The SDK's own error codes and reasons: what [`Error::code`] and [`Error::reason`] say, and that
//! the npm package lists every one of them (`ERROR_CODES` in index.js, `SdkErrorCode`,
//! `ErrorCodes` and `OidcErrorReason` in index.d.ts, the error table of its README, the code
//! table of the repository's README), so that none of them can drift from `src/error.rs`.

use std::collections::BTreeSet;

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
    ("SESSION_EXPIRED", CODE_SESSION_EXPIRED),
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
    // index.js builds ERROR_CODES from space-separated lists of codes, each named by its code in
    // upper case: the codes are the words of the quoted lists between the declaration and `.join`.
    let table = index_js
        .split_once("export const ERROR_CODES")
        .and_then(|(_, rest)| rest.split_once(".join("))
        .map(|(lists, _)| lists)
        .expect("index.js declares ERROR_CODES from lists joined by .join(' ')");
    let listed: Vec<&str> = table
        .lines()
        .map(str::trim)
        .filter(|line| line.starts_with('\''))
        .flat_map(|line| line.trim_matches(|c| c == '\'' || c == ',').split(' '))
        .collect();
    for (name, code) in SDK_CODES {
        assert_eq!(
            *name,
            code.to_ascii_uppercase(),
            "ERROR_CODES names each code in upper case"
        );
        assert!(
            listed.contains(code),
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
        assert!(
            include_str!("../README.md").contains(&format!("`{code}`")),
            "the error table of README.md lacks `{code}`"
        );
    }
}

/// One error of each kind that has a reason, as the core makes them: every `(code, reason)` pair
/// the Rust side can report. `reasons_in_the_source` checks that none is missing.
fn every_reason_the_core_reports() -> BTreeSet<(String, String)> {
    let s = |v: &str| v.to_owned();
    let issuer = |source: &'static str| Error::IssuerMismatch {
        source,
        expected: s("https://a"),
        found: None,
    };
    let errors: Vec<Error> = vec![
        issuer("discovery"),
        issuer("iss_parameter"),
        IdTokenError::Malformed(s("x")).into(),
        IdTokenError::Encrypted.into(),
        IdTokenError::AlgNotAllowed(s("HS256")).into(),
        IdTokenError::IssuerMismatch.into(),
        IdTokenError::AudienceMismatch.into(),
        IdTokenError::AzpMissing.into(),
        IdTokenError::AzpMismatch.into(),
        IdTokenError::Expired.into(),
        IdTokenError::IssuedInFuture.into(),
        IdTokenError::NotYetValid.into(),
        IdTokenError::MissingClaim("sub").into(),
        IdTokenError::NonceMismatch.into(),
        IdTokenError::AuthTimeMissing.into(),
        IdTokenError::AuthTimeTooOld.into(),
        IdTokenError::AcrNotSatisfied.into(),
        IdTokenError::AtHashMismatch.into(),
        IdTokenError::RefreshedClaimChanged("sub").into(),
        IdTokenError::ClockSkew { offset_seconds: 1 }.into(),
        SignatureError::Mismatch.into(),
        SignatureError::NoMatchingKey.into(),
        SignatureError::UnusableKey(s("x")).into(),
        SignatureError::UnsupportedAlg(s("x")).into(),
        ResponseError::NotJson(s("x")).into(),
        ResponseError::MissingField("x").into(),
        ResponseError::InvalidField("x", s("x")).into(),
        ResponseError::RepeatedParameter(s("x")).into(),
        ResponseError::NoCodeOrError.into(),
        ResponseError::NotAuthorizationResponse.into(),
        ResponseError::UnexpectedStatus(500).into(),
        BrowserError::NoWindow.into(),
        BrowserError::NoDocument.into(),
        BrowserError::Frame(s("x")).into(),
        BrowserError::Conversion(s("x")).into(),
        BrowserError::Lock(s("x")).into(),
        BrowserError::Location(s("x")).into(),
    ];
    let op = |error: &str, reason| {
        Error::Op(OpError {
            error: s(error),
            description: None,
            uri: None,
            state: None,
            reason: Some(reason),
        })
    };
    let op_errors = [
        op("login_required", REASON_RESPONSE_MODE_MISMATCH),
        op("invalid_grant", REASON_NO_ERROR_BODY),
        op("invalid_grant", REASON_OTHER_TAB),
    ];
    errors
        .iter()
        .map(|e| {
            let reason = e.reason().unwrap_or_else(|| panic!("{e:?} has no reason"));
            (e.code().to_owned(), reason.to_owned())
        })
        // The OP's own codes pass through: their reasons sit under one row for all of them.
        .chain(op_errors.iter().map(|e| {
            let reason = e.reason().unwrap_or_else(|| panic!("{e:?} has no reason"));
            (OP_CODES_ROW.to_owned(), reason.to_owned())
        }))
        .collect()
}

/// The error table's row for the OP's own codes (`login_required`, `invalid_grant`, ...), under
/// which the reasons an OP error can carry are listed.
const OP_CODES_ROW: &str = "(the OP's)";

/// The `(code, reason)` pairs of `wasm_load`, which the JavaScript pump makes before the module
/// exists: each `wasmError('<reason>', ...)` of index.js.
fn wasm_load_reasons() -> BTreeSet<(String, String)> {
    let index_js = include_str!("../pkg-template/index.js");
    let found: BTreeSet<(String, String)> = index_js
        .split("wasmError(")
        .skip(1)
        .filter_map(|rest| quoted(rest.trim_start(), '\''))
        .map(|reason| ("wasm_load".to_owned(), reason))
        .collect();
    assert!(
        found.len() >= 8,
        "wasm_load reasons not found in index.js: {found:?}"
    );
    found
}

/// The `'...'`-quoted (or `"..."`) word `text` starts with, if any.
fn quoted(text: &str, quote: char) -> Option<String> {
    let rest = text.strip_prefix(quote)?;
    let end = rest.find(quote)?;
    let word = &rest[..end];
    word.chars()
        .all(|c| c.is_ascii_lowercase() || c == '_')
        .then(|| word.to_owned())
        .filter(|w| !w.is_empty())
}

/// Every reason string `src/error.rs` can produce, read from its source: the string literals of
/// the `reason` functions, and the `source: "..."` of every `Error::IssuerMismatch` the core
/// builds. A reason added there and not to `every_reason_the_core_reports` fails the test below.
fn reasons_in_the_source() -> BTreeSet<String> {
    let error_rs = include_str!("../src/error.rs");
    let mut found = BTreeSet::new();
    let bodies = [
        between(
            error_rs,
            "pub fn reason(&self) -> Option<&'static str> {",
            "pub fn description",
        ),
        between(
            error_rs,
            "/// The stable reason string of this check.",
            "impl Error {",
        ),
    ];
    for body in bodies {
        for piece in body.split("=> \"").skip(1) {
            if let Some(word) = quoted(&format!("\"{piece}"), '"') {
                found.insert(word);
            }
        }
    }
    // The reasons of an OP error: `pub const REASON_...: &str = "...";`.
    for piece in error_rs.split("pub const REASON_").skip(1) {
        if let Some(word) = piece.split("= ").nth(1).and_then(|v| quoted(v, '"')) {
            found.insert(word);
        }
    }
    let mut sources = Vec::new();
    rust_files(
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src")),
        &mut sources,
    );
    for text in sources {
        for piece in text.split("source: \"").skip(1) {
            if let Some(word) = quoted(&format!("\"{piece}"), '"') {
                found.insert(word);
            }
        }
    }
    found
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("`{start}` not in src/error.rs"));
    let rest = &text[from..];
    let to = rest
        .find(end)
        .unwrap_or_else(|| panic!("`{end}` not after `{start}`"));
    &rest[..to]
}

fn rust_files(dir: &std::path::Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(std::fs::read_to_string(&path).unwrap());
        }
    }
}

/// Every `(code, reason)` the SDK reports: the core's and the pump's `wasm_load`.
fn every_reason() -> BTreeSet<(String, String)> {
    let mut all = every_reason_the_core_reports();
    all.extend(wasm_load_reasons());
    all
}

#[test]
fn the_list_of_reasons_is_every_reason_of_src_error_rs() {
    let listed: BTreeSet<String> = every_reason_the_core_reports()
        .into_iter()
        .map(|(_, reason)| reason)
        .collect();
    assert_eq!(listed, reasons_in_the_source());
    // Three reasons under issuer_mismatch: discovery, the RFC 9207 parameter, the ID token's iss.
    let issuer: Vec<String> = every_reason()
        .into_iter()
        .filter(|(code, _)| code == CODE_ISSUER_MISMATCH)
        .map(|(_, reason)| reason)
        .collect();
    assert_eq!(issuer, ["discovery", "iss_mismatch", "iss_parameter"]);
}

#[test]
fn index_d_ts_types_reason_as_the_union_of_every_reason() {
    let index_d_ts = include_str!("../pkg-template/index.d.ts");
    let union = between(index_d_ts, "export type OidcErrorReason =", ";");
    let typed: BTreeSet<String> = union
        .split('|')
        .skip(1)
        .map(|member| {
            let member = member.trim();
            quoted(member, '"').unwrap_or_else(|| panic!("not a reason literal: {member}"))
        })
        .collect();
    let reasons: BTreeSet<String> = every_reason().into_iter().map(|(_, r)| r).collect();
    assert_eq!(typed, reasons, "OidcErrorReason in index.d.ts");
    assert!(index_d_ts.contains("  reason?: OidcErrorReason;\n"));
}

/// The rows of the npm README's error table (between its `errors:begin` and `errors:end`
/// comments): `(code, reason)`, the reason empty on the row of the code itself.
fn readme_error_rows() -> Vec<(String, String)> {
    let readme = include_str!("../pkg-template/README.md");
    let table = between(readme, "<!-- errors:begin -->", "<!-- errors:end -->");
    table
        .lines()
        .filter(|line| line.starts_with("| `") && !line.starts_with("| `code` |"))
        .map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            assert!(
                cells.len() >= 5 && !cells[3].is_empty(),
                "a row without its meaning: {line}"
            );
            let code = cells[1].trim_matches('`').to_owned();
            let reason = cells[2].trim_matches('`').to_owned();
            (code, reason)
        })
        .collect()
}

#[test]
fn the_npm_readme_has_one_row_per_code_and_per_reason() {
    let rows = readme_error_rows();
    let mut expected: Vec<(String, String)> = SDK_CODES
        .iter()
        .map(|(_, code)| ((*code).to_owned(), String::new()))
        .chain(std::iter::once(("wasm_load".to_owned(), String::new())))
        .chain(std::iter::once((OP_CODES_ROW.to_owned(), String::new())))
        .chain(every_reason())
        .collect();
    expected.sort();
    let mut got = rows.clone();
    got.sort();
    assert_eq!(got, expected, "the error table of pkg-template/README.md");
    // Each code's own row comes before its reasons' rows.
    for (i, (code, reason)) in rows.iter().enumerate() {
        if !reason.is_empty() {
            assert!(
                rows[..i].iter().any(|(c, r)| c == code && r.is_empty()),
                "the row of `{code}` / `{reason}` comes before the row of `{code}`"
            );
        }
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
                reason: None,
            }),
            "the OpenID Provider answered `login_required`",
        ),
        (
            Error::Op(OpError {
                error: s("invalid_grant"),
                description: Some(s("expired code")),
                uri: None,
                state: Some(s("st")),
                reason: None,
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
