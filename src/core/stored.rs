//! What the shell persists, as JSON text: the session, the pending authorization transactions
//! and the pending logout. One place defines the stored form, so that the shell only moves text.
//!
//! Reading is strict and total: any script on the origin can write to `localStorage`, so a value
//! whose members are missing or of the wrong type (a tampered one, an older version's) reads as
//! `None` and is dropped; it never panics and never yields a half-read session. Members this
//! module does not write are ignored.

use std::sync::Arc;

use crate::core::authorize::Transaction;
use crate::core::id_token::IdTokenClaims;
use crate::core::json::{uint_text, Json, ObjectWriter};
use crate::core::logout::LogoutTransaction;
use crate::core::members::{
    self, misfit, take_int, take_str, take_strings, take_text, Kind, Member, OPTIONAL, REQUIRED,
};
use crate::core::params::ResponseMode;
use crate::core::pkce::CodeVerifier;
use crate::core::secret::{AccessToken, RawIdToken, RefreshToken};
use crate::core::session::Session;
use crate::core::token::TokenType;

/// The session as stored: every field, refresh token included.
pub fn session_to_text(session: &Session) -> String {
    let mut o = ObjectWriter::new();
    o.opt_str(
        "id_token",
        session.id_token.as_ref().map(RawIdToken::expose),
    );
    if let Some(claims) = &session.claims {
        o.raw("claims", &claims.json_text());
    }
    o.raw("id_token_fresh", bool_text(session.id_token_fresh));
    o.str("access_token", session.access_token.expose());
    o.str("token_type", session.token_type.as_str());
    o.opt_int("expires_at", session.expires_at);
    o.opt_str("scope", session.scope.as_deref());
    o.opt_str(
        "refresh_token",
        session.refresh_token.as_ref().map(RefreshToken::expose),
    );
    o.int("created_at", session.created_at);
    o.int("created_ms", session.created_ms);
    o.int("updated_at", session.updated_at);
    o.opt_str("dpop_jkt", session.dpop_jkt.as_deref());
    if !session.resource.is_empty() {
        o.strings("resource", &session.resource);
    }
    if session.refresh_refused {
        o.raw("refresh_refused", "true");
    }
    o.end()
}

fn bool_text(value: bool) -> &'static str {
    if value {
        "true"
    } else {
        "false"
    }
}

/// The members of a stored session.
const SESSION: &[Member] = &[
    ("id_token", Kind::Str, OPTIONAL),
    ("claims", Kind::Object, OPTIONAL),
    ("id_token_fresh", Kind::Bool, REQUIRED),
    ("access_token", Kind::Str, REQUIRED),
    ("token_type", Kind::Str, REQUIRED),
    ("expires_at", Kind::Int, OPTIONAL),
    ("scope", Kind::Str, OPTIONAL),
    ("refresh_token", Kind::Str, OPTIONAL),
    ("created_at", Kind::Int, REQUIRED),
    ("created_ms", Kind::Int, OPTIONAL),
    ("updated_at", Kind::Int, REQUIRED),
    ("dpop_jkt", Kind::Str, OPTIONAL),
    ("resource", Kind::Strings, OPTIONAL),
    ("refresh_refused", Kind::Bool, OPTIONAL),
];

/// The session from its stored text, or `None` when it is not one this module wrote.
pub fn session_from_text(text: &str) -> Option<Session> {
    let mut o = Json::parse_object(text).ok()?;
    if misfit(&o, SESSION).is_some() {
        return None;
    }
    let token_type = o.str("token_type")?.parse::<TokenType>().ok()?;
    let claims = match o.remove("claims") {
        Some(Json::Object(claims)) => Some(Arc::new(IdTokenClaims::from_json(claims).ok()?)),
        _ => None,
    };
    let o = &mut o;
    Some(Session {
        id_token: take_str(o, "id_token").map(RawIdToken::new),
        claims,
        id_token_fresh: members::bool(o, "id_token_fresh").unwrap_or_default(),
        access_token: AccessToken::new(take_text(o, "access_token")),
        token_type,
        expires_at: take_int(o, "expires_at"),
        scope: take_str(o, "scope"),
        refresh_token: take_str(o, "refresh_token").map(RefreshToken::new),
        created_at: take_int(o, "created_at").unwrap_or_default(),
        created_ms: take_int(o, "created_ms").unwrap_or_default(),
        updated_at: take_int(o, "updated_at").unwrap_or_default(),
        dpop_jkt: take_str(o, "dpop_jkt"),
        resource: take_strings(o, "resource").unwrap_or_default(),
        refresh_refused: members::bool(o, "refresh_refused").unwrap_or_default(),
    })
}

/// A pending authorization transaction as stored.
pub fn transaction_to_text(tx: &Transaction) -> String {
    let mut o = ObjectWriter::new();
    o.str("state", &tx.state);
    o.opt_str("nonce", tx.nonce.as_deref());
    o.str("code_verifier", tx.code_verifier.expose());
    o.str("redirect_uri", &tx.redirect_uri);
    o.str("response_mode", tx.response_mode.as_str());
    o.str("scope", &tx.scope);
    if let Some(max_age) = tx.max_age {
        o.raw("max_age", &uint_text(max_age));
    }
    o.strings("acr_values", &tx.acr_values);
    o.int("created_at", tx.created_at);
    if let Some(app_state) = &tx.app_state {
        o.json("app_state", app_state);
    }
    if !tx.resource.is_empty() {
        o.strings("resource", &tx.resource);
    }
    o.end()
}

/// The members of a stored transaction.
const TRANSACTION: &[Member] = &[
    ("state", Kind::Str, REQUIRED),
    ("nonce", Kind::Str, OPTIONAL),
    ("code_verifier", Kind::Str, REQUIRED),
    ("redirect_uri", Kind::Str, REQUIRED),
    ("response_mode", Kind::Str, REQUIRED),
    ("scope", Kind::Str, REQUIRED),
    ("max_age", Kind::Count, OPTIONAL),
    ("acr_values", Kind::Strings, REQUIRED),
    ("created_at", Kind::Int, REQUIRED),
    ("resource", Kind::Strings, OPTIONAL),
];

/// A pending transaction from its stored text, or `None`.
pub fn transaction_from_text(text: &str) -> Option<Transaction> {
    let mut o = Json::parse_object(text).ok()?;
    // `resource` is written only when there is one, never as `null`.
    if misfit(&o, TRANSACTION).is_some() || o.get("resource").is_some_and(Json::is_null) {
        return None;
    }
    let response_mode = o.str("response_mode")?.parse::<ResponseMode>().ok()?;
    let max_age = match o.get("max_age") {
        Some(Json::Number(text)) => crate::core::json::parse_u64(text),
        _ => None,
    };
    let o = &mut o;
    let code_verifier = CodeVerifier::new(take_text(o, "code_verifier")).ok()?;
    Some(Transaction {
        state: take_text(o, "state"),
        nonce: take_str(o, "nonce"),
        code_verifier,
        redirect_uri: take_text(o, "redirect_uri"),
        response_mode,
        scope: take_text(o, "scope"),
        max_age,
        acr_values: take_strings(o, "acr_values").unwrap_or_default(),
        created_at: take_int(o, "created_at").unwrap_or_default(),
        app_state: o.remove("app_state").filter(|v| !v.is_null()),
        resource: take_strings(o, "resource").unwrap_or_default(),
    })
}

/// A pending logout as stored.
pub fn logout_to_text(tx: &LogoutTransaction) -> String {
    let mut o = ObjectWriter::new();
    o.str("state", &tx.state);
    o.opt_str(
        "post_logout_redirect_uri",
        tx.post_logout_redirect_uri.as_deref(),
    );
    o.int("created_at", tx.created_at);
    o.end()
}

/// The members of a stored logout.
const LOGOUT: &[Member] = &[
    ("state", Kind::Str, REQUIRED),
    ("post_logout_redirect_uri", Kind::Str, OPTIONAL),
    ("created_at", Kind::Int, REQUIRED),
];

/// A pending logout from its stored text, or `None`.
pub fn logout_from_text(text: &str) -> Option<LogoutTransaction> {
    let mut o = Json::parse_object(text).ok()?;
    if misfit(&o, LOGOUT).is_some() {
        return None;
    }
    let o = &mut o;
    Some(LogoutTransaction {
        state: take_text(o, "state"),
        post_logout_redirect_uri: take_str(o, "post_logout_redirect_uri"),
        created_at: take_int(o, "created_at").unwrap_or_default(),
    })
}
