//! What the shell persists, as JSON text: the session, the pending authorization transactions
//! and the pending logout. One place defines the stored form, so that the shell only moves text.
//!
//! Reading is strict and total: any script on the origin can write to `localStorage`, so a value
//! whose members are missing or of the wrong type (a tampered one, an older version's) reads as
//! `None` and is dropped; it never panics and never yields a half-read session. Members this
//! module does not write are ignored.

use crate::core::authorize::Transaction;
use crate::core::id_token::IdTokenClaims;
use crate::core::json::{uint_text, Json, Object};
use crate::core::logout::LogoutTransaction;
use crate::core::params::ResponseMode;
use crate::core::pkce::CodeVerifier;
use crate::core::secret::{AccessToken, RawIdToken, RefreshToken};
use crate::core::session::Session;
use crate::core::token::TokenType;

fn opt_str(object: &mut Object, name: &str, value: Option<&str>) {
    if let Some(value) = value {
        object.insert(name, Json::str(value));
    }
}

fn opt_int(object: &mut Object, name: &str, value: Option<i64>) {
    if let Some(value) = value {
        object.insert(name, Json::int(value));
    }
}

/// An optional string member: absent or null is `Some(None)`, another type is `None`.
fn read_opt_str(object: &Object, name: &str) -> Option<Option<String>> {
    match object.get(name) {
        None | Some(Json::Null) => Some(None),
        Some(Json::String(s)) => Some(Some(s.clone())),
        Some(_) => None,
    }
}

/// An optional integer member, likewise.
fn read_opt_int(object: &Object, name: &str) -> Option<Option<i64>> {
    match object.get(name) {
        None | Some(Json::Null) => Some(None),
        Some(value) => value.as_i64().map(Some),
    }
}

fn read_str(object: &Object, name: &str) -> Option<String> {
    object.str(name).map(str::to_owned)
}

/// The session as stored: every field, refresh token included.
pub fn session_to_text(session: &Session) -> String {
    let mut o = Object::new();
    opt_str(
        &mut o,
        "id_token",
        session.id_token.as_ref().map(RawIdToken::expose),
    );
    if let Some(claims) = &session.claims {
        o.insert("claims", Json::Object(claims.to_json()));
    }
    o.insert("id_token_fresh", Json::Bool(session.id_token_fresh));
    o.insert("access_token", Json::str(session.access_token.expose()));
    o.insert("token_type", Json::str(session.token_type.as_str()));
    opt_int(&mut o, "expires_at", session.expires_at);
    opt_str(&mut o, "scope", session.scope.as_deref());
    opt_str(
        &mut o,
        "refresh_token",
        session.refresh_token.as_ref().map(RefreshToken::expose),
    );
    o.insert("created_at", Json::int(session.created_at));
    o.insert("updated_at", Json::int(session.updated_at));
    Json::Object(o).to_text()
}

/// The session from its stored text, or `None` when it is not one this module wrote.
pub fn session_from_text(text: &str) -> Option<Session> {
    let o = Json::parse_object(text).ok()?;
    let claims = match o.get("claims") {
        None | Some(Json::Null) => None,
        Some(Json::Object(claims)) => Some(IdTokenClaims::from_json(claims.clone()).ok()?),
        Some(_) => return None,
    };
    Some(Session {
        id_token: read_opt_str(&o, "id_token")?.map(RawIdToken::new),
        claims,
        id_token_fresh: o.get("id_token_fresh")?.as_bool()?,
        access_token: AccessToken::new(read_str(&o, "access_token")?),
        token_type: o.str("token_type")?.parse::<TokenType>().ok()?,
        expires_at: read_opt_int(&o, "expires_at")?,
        scope: read_opt_str(&o, "scope")?,
        refresh_token: read_opt_str(&o, "refresh_token")?.map(RefreshToken::new),
        created_at: o.get("created_at")?.as_i64()?,
        updated_at: o.get("updated_at")?.as_i64()?,
    })
}

/// A pending authorization transaction as stored.
pub fn transaction_to_text(tx: &Transaction) -> String {
    let mut o = Object::new();
    o.insert("state", Json::str(tx.state.as_str()));
    opt_str(&mut o, "nonce", tx.nonce.as_deref());
    o.insert("code_verifier", Json::str(tx.code_verifier.expose()));
    o.insert("redirect_uri", Json::str(tx.redirect_uri.as_str()));
    o.insert("response_mode", Json::str(tx.response_mode.as_str()));
    o.insert("scope", Json::str(tx.scope.as_str()));
    if let Some(max_age) = tx.max_age {
        o.insert("max_age", Json::Number(uint_text(max_age)));
    }
    let acr = tx
        .acr_values
        .iter()
        .map(|v| Json::str(v.as_str()))
        .collect();
    o.insert("acr_values", Json::Array(acr));
    o.insert("created_at", Json::int(tx.created_at));
    if let Some(app_state) = &tx.app_state {
        o.insert("app_state", app_state.clone());
    }
    Json::Object(o).to_text()
}

/// A pending transaction from its stored text, or `None`.
pub fn transaction_from_text(text: &str) -> Option<Transaction> {
    let o = Json::parse_object(text).ok()?;
    let acr_values = o
        .get("acr_values")?
        .as_array()?
        .iter()
        .map(|v| v.as_str().map(str::to_owned))
        .collect::<Option<Vec<_>>>()?;
    let max_age = match o.get("max_age") {
        None | Some(Json::Null) => None,
        Some(Json::Number(text)) => Some(crate::core::json::parse_u64(text)?),
        Some(_) => return None,
    };
    Some(Transaction {
        state: read_str(&o, "state")?,
        nonce: read_opt_str(&o, "nonce")?,
        code_verifier: CodeVerifier::new(read_str(&o, "code_verifier")?).ok()?,
        redirect_uri: read_str(&o, "redirect_uri")?,
        response_mode: o.str("response_mode")?.parse::<ResponseMode>().ok()?,
        scope: read_str(&o, "scope")?,
        max_age,
        acr_values,
        created_at: o.get("created_at")?.as_i64()?,
        app_state: o.get("app_state").filter(|v| !v.is_null()).cloned(),
    })
}

/// A pending logout as stored.
pub fn logout_to_text(tx: &LogoutTransaction) -> String {
    let mut o = Object::new();
    o.insert("state", Json::str(tx.state.as_str()));
    opt_str(
        &mut o,
        "post_logout_redirect_uri",
        tx.post_logout_redirect_uri.as_deref(),
    );
    o.insert("created_at", Json::int(tx.created_at));
    Json::Object(o).to_text()
}

/// A pending logout from its stored text, or `None`.
pub fn logout_from_text(text: &str) -> Option<LogoutTransaction> {
    let o = Json::parse_object(text).ok()?;
    Some(LogoutTransaction {
        state: read_str(&o, "state")?,
        post_logout_redirect_uri: read_opt_str(&o, "post_logout_redirect_uri")?,
        created_at: o.get("created_at")?.as_i64()?,
    })
}
