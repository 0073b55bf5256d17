//! How token responses create and change a session (OIDC Core §3.1.3.3, §12.1, §12.2;
//! RFC 6749 §5.1, §6). What JavaScript sees of it is the browser shell's (tests/web.rs).

mod common;

use common::*;
use oidc_rp_wasm::core::id_token::IdToken;
use oidc_rp_wasm::core::secret::{AccessToken, RawIdToken, RefreshToken, Secret};
use oidc_rp_wasm::core::session::Session;
use oidc_rp_wasm::core::stored::{session_from_text, session_to_text};
use oidc_rp_wasm::core::token::{parse_token_response, TokenResponse, TokenType};
use oidc_rp_wasm::error::Error;
use serde_json::json;

const ACCESS: &str = "at-first-access-token-value";
const REFRESH: &str = "rt-first-refresh-token-value";

fn response(access: &str, refresh: Option<&str>, id_token: Option<&str>) -> TokenResponse {
    TokenResponse {
        access_token: AccessToken::new(access),
        token_type: TokenType::Bearer,
        expires_in: Some(3600),
        refresh_token: refresh.map(RefreshToken::new),
        id_token: id_token.map(RawIdToken::new),
        scope: None,
    }
}

/// Full field equality: every field of both sessions, tokens included, as stored.
fn assert_same_session(a: &Session, b: &Session) {
    assert_eq!(session_to_text(a), session_to_text(b));
}

fn signed_in() -> (Session, IdToken) {
    let raw = mint_rs256(&claims_with(
        json!({"acr": "urn:acr:silver", "amr": ["pwd"]}),
    ));
    let token = IdToken::parse(&raw).unwrap();
    let session = Session::from_code_exchange(
        response(ACCESS, Some(REFRESH), Some(&raw)),
        Some(token.clone()),
        "openid profile offline_access",
        NOW,
    )
    .unwrap();
    (session, token)
}

#[test]
fn code_exchange_with_an_id_token() {
    let (session, token) = signed_in();
    assert_eq!(
        session.id_token.as_ref().map(RawIdToken::expose),
        Some(token.raw.expose())
    );
    assert_eq!(session.claims.as_deref(), Some(&token.claims));
    assert_eq!(session.subject(), Some("248289761001"));
    assert!(session.id_token_fresh);
    assert_eq!(session.access_token.expose(), ACCESS);
    assert_eq!(session.expires_at, Some(NOW + 3600));
    // The OP did not say which scope it granted: the requested one.
    assert_eq!(
        session.scope.as_deref(),
        Some("openid profile offline_access")
    );
    assert_eq!(
        session.refresh_token.as_ref().map(RefreshToken::expose),
        Some(REFRESH)
    );
    assert_eq!((session.created_at, session.updated_at), (NOW, NOW));
}

#[test]
fn code_exchange_keeps_the_granted_scope() {
    let raw = mint_rs256(&claims());
    let mut granted = response(ACCESS, None, Some(&raw));
    granted.scope = Some("openid".into());
    let session = Session::from_code_exchange(
        granted,
        Some(IdToken::parse(&raw).unwrap()),
        "openid email",
        NOW,
    )
    .unwrap();
    assert_eq!(session.scope.as_deref(), Some("openid"));
}

#[test]
fn code_exchange_with_openid_and_no_id_token() {
    let err =
        Session::from_code_exchange(response(ACCESS, None, None), None, "openid profile", NOW)
            .unwrap_err();
    assert_eq!(err, Error::IdTokenRequired);
    assert_eq!(err.code(), "id_token_required");
}

#[test]
fn code_exchange_without_openid_is_a_plain_oauth_session() {
    let session =
        Session::from_code_exchange(response(ACCESS, None, None), None, "api.read", NOW).unwrap();
    assert!(session.claims.is_none() && session.id_token.is_none());
    assert_eq!(session.subject(), None);
    assert!(!session.id_token_fresh);
    assert_eq!(session.access_token.expose(), ACCESS);
    // "openid" must be a whole word of the scope.
    assert!(
        Session::from_code_exchange(response(ACCESS, None, None), None, "openidx", NOW).is_ok()
    );
}

#[test]
fn code_exchange_refuses_an_id_token_that_is_not_the_validated_one() {
    let raw = mint_rs256(&claims());
    let other = IdToken::parse(&mint_rs256(&claims_with(json!({"sub": "mallory"})))).unwrap();
    let err = Session::from_code_exchange(
        response(ACCESS, None, Some(&raw)),
        Some(other),
        "openid",
        NOW,
    )
    .unwrap_err();
    assert_eq!(err.code(), "invalid_response");
    // An unvalidated ID token is not accepted either.
    let err = Session::from_code_exchange(response(ACCESS, None, Some(&raw)), None, "openid", NOW)
        .unwrap_err();
    assert_eq!(err.code(), "invalid_response");
}

#[test]
fn refresh_without_id_token_keeps_the_identity() {
    let (session, token) = signed_in();
    let mut refreshed = response("at-second", None, None);
    refreshed.expires_in = Some(600);
    refreshed.scope = Some("openid profile".into());
    let later = NOW + 3000;
    let next = session
        .apply_refresh(refreshed, None, false, later)
        .unwrap();
    assert_eq!(
        next.id_token.as_ref().map(RawIdToken::expose),
        Some(token.raw.expose())
    );
    assert_eq!(next.claims.as_deref(), Some(&token.claims));
    assert!(!next.id_token_fresh);
    assert_eq!(next.access_token.expose(), "at-second");
    assert_eq!(next.expires_at, Some(later + 600));
    assert_eq!(next.scope.as_deref(), Some("openid profile"));
    // No new refresh token came: the old one is kept.
    assert_eq!(
        next.refresh_token.as_ref().map(RefreshToken::expose),
        Some(REFRESH)
    );
    assert_eq!((next.created_at, next.updated_at), (NOW, later));
    // The old session is untouched.
    assert_eq!(session.access_token.expose(), ACCESS);
}

#[test]
fn refresh_replaces_a_rotated_refresh_token_and_keeps_the_scope() {
    let (session, _) = signed_in();
    let next = session
        .apply_refresh(
            response("at-2", Some("rt-rotated"), None),
            None,
            false,
            NOW + 10,
        )
        .unwrap();
    assert_eq!(
        next.refresh_token.as_ref().map(RefreshToken::expose),
        Some("rt-rotated")
    );
    assert_eq!(next.scope, session.scope);
    // No expires_in: the new token's expiry is unknown, not the old one's.
    let mut no_expiry = response("at-3", None, None);
    no_expiry.expires_in = None;
    let next = next
        .apply_refresh(no_expiry, None, false, NOW + 20)
        .unwrap();
    assert_eq!(next.expires_at, None);
    assert_eq!(
        next.refresh_token.as_ref().map(RefreshToken::expose),
        Some("rt-rotated")
    );
}

#[test]
fn strict_policy_requires_an_id_token_and_leaves_the_session() {
    let (session, _) = signed_in();
    let before = session.clone();
    let err = session
        .apply_refresh(
            response("at-second", Some("rt-2"), None),
            None,
            true,
            NOW + 100,
        )
        .unwrap_err();
    assert_eq!(err, Error::IdTokenRequired);
    assert_eq!(err.code(), "id_token_required");
    assert_same_session(&session, &before);
    // With an ID token, the strict policy is satisfied.
    let raw = mint_rs256(&claims_with(json!({"iat": NOW + 100, "nonce": null})));
    let next = session
        .apply_refresh(
            response("at-second", None, Some(&raw)),
            Some(IdToken::parse(&raw).unwrap()),
            true,
            NOW + 100,
        )
        .unwrap();
    assert!(next.id_token_fresh);
}

#[test]
fn refresh_with_an_id_token_replaces_the_claims() {
    let (session, _) = signed_in();
    let raw = mint_rs256(&claims_with(json!({
        "iat": NOW + 100, "exp": NOW + 900, "nonce": null, "name": "Ana Renamed"
    })));
    let token = IdToken::parse(&raw).unwrap();
    let next = session
        .apply_refresh(
            response("at-second", None, Some(&raw)),
            Some(token.clone()),
            false,
            NOW + 100,
        )
        .unwrap();
    assert!(next.id_token_fresh);
    assert_eq!(
        next.id_token.as_ref().map(RawIdToken::expose),
        Some(raw.as_str())
    );
    assert_eq!(
        next.claims.as_ref().unwrap().other.str("name"),
        Some("Ana Renamed")
    );
    assert_eq!(next.claims.as_deref(), Some(&token.claims));
    // Fresh again after a refresh that had none: false, then true.
    let stale = next
        .apply_refresh(response("at-3", None, None), None, false, NOW + 200)
        .unwrap();
    assert!(!stale.id_token_fresh);
}

#[test]
fn refresh_refuses_an_unvalidated_id_token() {
    let (session, _) = signed_in();
    let raw = mint_rs256(&claims_with(json!({"sub": "mallory", "nonce": null})));
    let err = session
        .apply_refresh(response("at-2", None, Some(&raw)), None, false, NOW + 5)
        .unwrap_err();
    assert_eq!(err.code(), "invalid_response");
    let validated = IdToken::parse(&mint_rs256(&claims())).unwrap();
    let err = session
        .apply_refresh(
            response("at-2", None, None),
            Some(validated),
            false,
            NOW + 5,
        )
        .unwrap_err();
    assert_eq!(err.code(), "invalid_response");
}

#[test]
fn access_token_is_never_treated_as_an_id_token() {
    let (session, token) = signed_in();
    // The new access token is itself a JWT with the claims of another user.
    let jwt_access_token = mint_rs256(&claims_with(json!({
        "sub": "someone-else", "name": "Mallory", "nonce": null, "scope": "api"
    })));
    let body = json!({
        "access_token": jwt_access_token,
        "token_type": "Bearer",
        "expires_in": 300
    })
    .to_string();
    let refreshed = parse_token_response(200, &body).unwrap();
    let next = session
        .apply_refresh(refreshed, None, false, NOW + 50)
        .unwrap();
    assert_eq!(next.access_token.expose(), jwt_access_token);
    assert_eq!(next.claims.as_deref(), Some(&token.claims));
    assert_eq!(next.subject(), Some("248289761001"));
    assert_eq!(
        next.id_token.as_ref().map(RawIdToken::expose),
        Some(token.raw.expose())
    );
    assert!(!next.id_token_fresh);
}

#[test]
fn debug_shows_neither_token() {
    let (session, _) = signed_in();
    let debug = format!("{session:?}");
    assert!(!debug.contains(ACCESS), "{debug}");
    assert!(!debug.contains(REFRESH), "{debug}");
    assert!(debug.contains("248289761001"));
}

#[test]
fn expiry_checks() {
    let (session, _) = signed_in();
    let expires_at = NOW + 3600;
    assert!(!session.is_expired(expires_at - 1));
    assert!(session.is_expired(expires_at));
    assert!(!session.needs_refresh(expires_at - 61, 60));
    assert!(session.needs_refresh(expires_at - 60, 60));
    assert!(session.has_refresh_token());
    // Unknown expiry: never expired, never due.
    let mut unknown = session.clone();
    unknown.expires_at = None;
    assert!(!unknown.is_expired(i64::MAX) && !unknown.needs_refresh(i64::MAX, i64::MAX));
    assert!(!session.needs_refresh(i64::MIN, i64::MIN));
}

#[test]
fn session_round_trips_through_storage() {
    let (session, _) = signed_in();
    let stored = session_to_text(&session);
    // Stored for the app's storage: the refresh token is included there.
    assert!(stored.contains(REFRESH));
    let back: Session = session_from_text(&stored).unwrap();
    assert_same_session(&back, &session);
}

#[test]
fn refresh_leeway_is_a_minute_or_half_the_lifetime() {
    let stored = json!({
        "access_token": "at", "token_type": "Bearer", "id_token_fresh": false,
        "created_at": 1000, "updated_at": 1000, "expires_at": 1000 + 3600
    });
    let mut session = session_from_text(&stored.to_string()).unwrap();
    assert_eq!(session.refresh_leeway(), 60);
    session.expires_at = Some(1000 + 30);
    assert_eq!(session.refresh_leeway(), 15);
    session.expires_at = None;
    assert_eq!(session.refresh_leeway(), 0);
}

/// Fails until `refresh_leeway` subtracts with saturation (see the report): storage is
/// writable by any script on the origin, and these times read back, then overflow.
#[test]
fn refresh_leeway_of_extreme_stored_times_does_not_overflow() {
    let stored = json!({
        "access_token": "at", "token_type": "Bearer", "id_token_fresh": false,
        "created_at": -1, "updated_at": -1, "expires_at": i64::MAX
    });
    let mut session = session_from_text(&stored.to_string()).unwrap();
    assert_eq!(session.refresh_leeway(), 60);
    (session.expires_at, session.updated_at) = (Some(-i64::MAX), 2);
    assert_eq!(session.refresh_leeway(), 0);
}

#[test]
fn a_refused_refresh_keeps_only_the_rotated_refresh_token() {
    let stored = json!({
        "access_token": "at-0", "token_type": "Bearer", "id_token_fresh": true,
        "created_at": 1000, "updated_at": 1000, "expires_at": 4600, "refresh_token": "rt-0"
    });
    let mut session = session_from_text(&stored.to_string()).unwrap();
    let kept = session
        .after_refused_refresh(Some(RefreshToken::new("rt-1")))
        .expect("a new refresh token is kept");
    assert_eq!(
        kept.refresh_token.as_ref().map(RefreshToken::expose),
        Some("rt-1")
    );
    assert_eq!(
        (
            kept.access_token.expose(),
            kept.expires_at,
            kept.id_token_fresh
        ),
        ("at-0", Some(4600), true)
    );
    // No new token, or the same one: nothing to keep.
    assert!(session.after_refused_refresh(None).is_none());
    assert!(session
        .after_refused_refresh(Some(RefreshToken::new("rt-0")))
        .is_none());
    session.refresh_token = None;
    assert!(session
        .after_refused_refresh(Some(RefreshToken::new("rt-1")))
        .is_some());
}

#[test]
fn secret_debug_redacts_and_serialises_the_value() {
    let s = Secret::new("rt-very-secret");
    assert!(!format!("{s:?}").contains("very-secret"));
    assert_eq!(s.expose(), "rt-very-secret");
    // Stored as its plain value: the shell persists refresh tokens and verifiers.
    let (mut session, _) = signed_in();
    session.refresh_token = Some(RefreshToken::new(s.expose()));
    let stored = session_to_text(&session);
    assert!(
        stored.contains("\"refresh_token\":\"rt-very-secret\""),
        "{stored}"
    );
}
