//! Silent sign-ins: the refresh token first, the hidden iframe with `prompt=none` only when the
//! OP refuses the grant.

use crate::op::{Endpoint, OP_ORIGIN};
use crate::world::*;
use oidc_rp_wasm::core::config::{AuthorizeOptions, StorageKind};
use oidc_rp_wasm::core::flow::HttpResponse;
use oidc_rp_wasm::core::machine::{Call, Command, Outcome, SigninVia};
use oidc_rp_wasm::core::params::ResponseMode;
use oidc_rp_wasm::error::Error;

fn frames(w: &World, t: usize) -> usize {
    w.tab(t)
        .commands_where(|c| matches!(c, Command::OpenFrame { .. }))
        .len()
}

#[test]
fn silent_sign_in_uses_the_refresh_token_first() {
    let mut w = World::new();
    let t = w.signed_in_tab(config(StorageKind::Memory));
    let before = w.tab(t).access_token();
    let op = w.signin_silently(t);
    let token = w.tab(t).token_of(op);
    assert_ne!(token, before);
    assert_eq!(w.tab(t).access_token(), token);
    assert_eq!(w.op.token_requests("refresh_token").len(), 1);
    assert_eq!(frames(&w, t), 0);
    assert!(matches!(w.tab(t).ok(op), Outcome::SignedIn(_)));
}

#[test]
fn silent_sign_in_falls_back_to_the_iframe_on_invalid_grant() {
    let mut w = World::new();
    let t = w.signed_in_tab(config(StorageKind::Memory));
    w.op.revoke_all();
    let op = w.signin_silently(t);
    assert_eq!(w.op.token_requests("refresh_token").len(), 1);
    assert!(!w.tab(t).is_done(op));
    assert_eq!(frames(&w, t), 1);
    let url = w.tab(t).windows[&op].url.clone();
    assert_eq!(query_param(&url, "prompt").as_deref(), Some("none"));
    assert_eq!(
        query_param(&url, "response_mode").as_deref(),
        Some("web_message")
    );
    assert!(query_param(&url, "id_token_hint").is_some());
    let response = w.op.authorize(&url);
    w.window_message(t, OP_ORIGIN, Some(op), response.web_message());
    let token = w.tab(t).token_of(op);
    assert_eq!(w.tab(t).access_token(), token);
    assert!(
        w.tab(t).windows[&op].closed_by_machine,
        "the iframe is removed"
    );
    // A hidden iframe renewing the session is a refresh for the app, not a new sign-in.
    assert_eq!(w.tab(t).count("refreshed"), 1);
    assert_eq!(w.tab(t).count("signedIn"), 1, "only the first sign-in");
}

#[test]
fn silent_sign_in_does_not_fall_back_on_a_network_error() {
    let mut w = World::new();
    let t = w.signed_in_tab(config(StorageKind::Memory));
    let before = w.tab(t).access_token();
    w.op.override_next(Endpoint::Token, Err(Error::Network("offline".into())));
    let op = w.signin_silently(t);
    assert_eq!(w.tab(t).err(op), "network");
    assert_eq!(frames(&w, t), 0);
    assert_eq!(w.tab(t).access_token(), before);
}

#[test]
fn a_prompt_none_refusal_from_the_iframe_passes_through() {
    let mut w = World::new();
    w.op.user_signed_in = false;
    let t = w.create_tab(config(StorageKind::Memory));
    // No session, no refresh token: straight to the iframe.
    let op = w.signin_silently(t);
    assert_eq!(w.op.count(Endpoint::Token), 0);
    let url = w.tab(t).windows[&op].url.clone();
    assert_eq!(query_param(&url, "id_token_hint"), None);
    let response = w.op.authorize(&url);
    assert_eq!(response.get("error"), Some("login_required"));
    w.window_message(t, OP_ORIGIN, Some(op), response.web_message());
    assert_eq!(w.tab(t).err(op), "login_required");
    assert!(w.tab(t).windows[&op].closed_by_machine);
    assert!(w.tab(t).transactions().is_empty());
    assert!(w.tab(t).session().is_none());
}

#[test]
fn a_silent_iframe_nobody_answers_times_out_after_the_silent_timeout() {
    let mut w = World::new();
    let t = w.create_tab(config(StorageKind::Memory));
    let op = w.signin_silently(t);
    let timeout = i64::from(w.tab(t).config.silent_timeout_ms);
    w.advance(timeout - 1);
    assert!(!w.tab(t).is_done(op));
    w.advance(1);
    assert_eq!(w.tab(t).err(op), "timeout");
    assert!(w.tab(t).windows[&op].closed_by_machine);
    assert!(w.tab(t).transactions().is_empty());
}

#[test]
fn a_silent_iframe_that_answers_after_a_sign_out_signs_nobody_back_in() {
    let mut w = World::new();
    let a = w.signed_in_tab(config(StorageKind::Local));
    let b = w.create_tab(config(StorageKind::Local));
    w.op.revoke_all();
    let op = w.signin_silently(a);
    let url = w.tab(a).windows[&op].url.clone();
    // The user signs out in tab B while A's hidden iframe is at the OP.
    w.sign_out_locally(b);
    assert!(w.tab(a).session().is_none());
    // The OP still knows the user and answers the iframe.
    let response = w.op.authorize(&url);
    w.window_message(a, OP_ORIGIN, Some(op), response.web_message());
    assert_eq!(w.tab(a).err(op), "no_session");
    for t in [a, b] {
        assert!(w.tab(t).session().is_none(), "tab {t}");
        assert_eq!(w.tab(t).count("signedIn"), usize::from(t == a), "tab {t}");
    }
    assert!(!w.local_storage.contains_key(&session_key()));
    assert!(!w.indexed_db.contains_key(&session_key()));
}

/// The same, when the sign-out comes while the iframe's session is being written (its
/// IndexedDB transaction still open): the write is undone, nobody is signed back in.
#[test]
fn a_sign_out_while_the_silent_sign_ins_session_is_being_stored_is_not_undone() {
    let mut w = World::new();
    let a = w.signed_in_tab(config(StorageKind::Local));
    let b = w.create_tab(config(StorageKind::Local));
    w.op.revoke_all();
    let op = w.signin_silently(a);
    let url = w.tab(a).windows[&op].url.clone();
    w.hold_shared_writes = true;
    let response = w.op.authorize(&url);
    w.window_message(a, OP_ORIGIN, Some(op), response.web_message());
    assert!(!w.tab(a).is_done(op), "storing the new session");
    w.sign_out_locally(b);
    w.release_shared_writes();
    assert_eq!(w.tab(a).err(op), "no_session");
    for t in [a, b] {
        assert!(w.tab(t).session().is_none(), "tab {t}");
    }
    assert!(!w.local_storage.contains_key(&session_key()));
    assert!(!w.indexed_db.contains_key(&session_key()));
    let c = w.create_tab(config(StorageKind::Local));
    assert!(w.tab(c).session().is_none());
}

/// An OP that puts a `prompt=none` error in the query although the request asked for the
/// fragment (oauthlib under django-oauth-toolkit): the app gets the OP's `login_required`.
#[test]
fn a_prompt_none_error_in_the_query_of_a_fragment_request_is_the_ops_error() {
    let mut w = World::new();
    w.op.user_signed_in = false;
    w.op.web_message = false;
    let mut cfg = config(StorageKind::Memory).silent_redirect_uri(SILENT_URI);
    cfg.response_mode = ResponseMode::Fragment;
    let t = w.create_tab(cfg);
    let op = w.signin_silently(t);
    let url = w.tab(t).windows[&op].url.clone();
    assert_eq!(
        query_param(&url, "response_mode").as_deref(),
        Some("fragment")
    );
    let response = w.op.error_response(&url, "login_required");
    // The callback page, loaded with the error in its query, posts its URL to the app.
    let callback = response.query_url();
    w.window_message(
        t,
        APP_ORIGIN,
        Some(op),
        response.callback_message(&callback),
    );
    assert_eq!(w.tab(t).err(op), "login_required");
    match w.tab(t).result(op) {
        Err(e) => assert_eq!(e.reason(), Some("response_mode_mismatch")),
        Ok(_) => unreachable!(),
    }
    assert!(w.tab(t).windows[&op].closed_by_machine);
    assert!(w.tab(t).transactions().is_empty());
}

/// The same for a web_message iframe whose redirect URI is the silent-callback page: an OP that
/// redirects its `prompt=none` error there (in the query) instead of posting it is heard, and the
/// error is the OP's, not a timeout. A code that comes that way is refused.
#[test]
fn a_web_message_iframe_hears_the_ops_error_sent_to_the_callback_page() {
    for answer in ["error", "code"] {
        let mut w = World::new();
        w.op.user_signed_in = answer == "code";
        let cfg = config(StorageKind::Memory).silent_redirect_uri(SILENT_URI);
        let t = w.create_tab(cfg);
        let op = w.signin_silently(t);
        let url = w.tab(t).windows[&op].url.clone();
        assert_eq!(
            query_param(&url, "response_mode").as_deref(),
            Some("web_message")
        );
        let response = match answer {
            "error" => w.op.error_response(&url, "login_required"),
            _ => w.op.authorize(&url),
        };
        let callback = response.query_url();
        assert!(callback.starts_with(SILENT_URI));
        w.window_message(
            t,
            APP_ORIGIN,
            Some(op),
            response.callback_message(&callback),
        );
        let Err(e) = w.tab(t).result(op) else {
            panic!("{answer}: not an error")
        };
        match answer {
            "error" => {
                assert_eq!(e.code(), "login_required");
                assert_eq!(e.reason(), Some("response_mode_mismatch"));
            }
            _ => assert_eq!(e.code(), "invalid_response"),
        }
        assert_eq!(w.op.count(Endpoint::Token), 0, "{answer}");
        assert!(w.tab(t).windows[&op].closed_by_machine);
    }
}

/// A code in the wrong channel is still refused.
#[test]
fn a_code_in_the_query_of_a_fragment_request_is_refused() {
    let mut w = World::new();
    w.op.web_message = false;
    let mut cfg = config(StorageKind::Memory).silent_redirect_uri(SILENT_URI);
    cfg.response_mode = ResponseMode::Fragment;
    let t = w.create_tab(cfg);
    let op = w.signin_silently(t);
    let url = w.tab(t).windows[&op].url.clone();
    let response = w.op.authorize(&url);
    let callback = response.query_url();
    w.window_message(
        t,
        APP_ORIGIN,
        Some(op),
        response.callback_message(&callback),
    );
    assert_eq!(w.tab(t).err(op), "invalid_response");
    assert_eq!(w.op.count(Endpoint::Token), 0);
    assert!(w.tab(t).session().is_none());
}

/// An OP that refuses a refresh with a bare HTTP 400 (Glewlwyd once it revoked a chain): the
/// refresh token is dropped, the silent sign-in falls back to the iframe, and the access token
/// stays meanwhile.
#[test]
fn a_refresh_refused_by_a_bare_400_drops_the_refresh_token_and_falls_back_to_the_iframe() {
    let mut w = World::new();
    let t = w.signed_in_tab(config(StorageKind::Memory));
    let before = w.tab(t).access_token();
    w.op.override_next(
        Endpoint::Token,
        Ok(HttpResponse {
            status: 400,
            body: String::new(),
            dpop_nonce: None,
        }),
    );
    let op = w.signin_silently(t);
    assert_eq!(w.op.token_requests("refresh_token").len(), 1);
    assert_eq!(frames(&w, t), 1);
    assert_eq!(w.tab(t).refresh_token(), None, "dropped");
    assert_eq!(w.tab(t).access_token(), before, "kept until it expires");
    let url = w.tab(t).windows[&op].url.clone();
    assert_eq!(query_param(&url, "prompt").as_deref(), Some("none"));
    assert!(query_param(&url, "id_token_hint").is_some());
    let response = w.op.authorize(&url);
    w.window_message(t, OP_ORIGIN, Some(op), response.web_message());
    let token = w.tab(t).token_of(op);
    assert_ne!(token, before);
    assert_eq!(w.tab(t).access_token(), token);

    // A refresh() alone reports it as invalid_grant with the reason, and keeps the access token.
    let mut w = World::new();
    let t = w.signed_in_tab(config(StorageKind::Memory));
    let before = w.tab(t).access_token();
    w.op.override_next(
        Endpoint::Token,
        Ok(HttpResponse {
            status: 401,
            body: String::new(),
            dpop_nonce: None,
        }),
    );
    let op = w.call(t, Call::Refresh);
    w.settle();
    assert_eq!(w.tab(t).err(op), "invalid_grant");
    match w.tab(t).result(op) {
        Err(e) => assert_eq!(e.reason(), Some("no_error_body")),
        Ok(_) => unreachable!(),
    }
    assert_eq!(w.tab(t).refresh_token(), None);
    assert_eq!(w.tab(t).access_token(), before);
    // The next silent sign-in goes to the iframe at once: no refresh token to replay.
    let op = w.signin_silently(t);
    assert_eq!(w.op.token_requests("refresh_token").len(), 1);
    assert_eq!(frames(&w, t), 1);
    assert!(!w.tab(t).is_done(op));
}

/// OIDC Core §3.1.2.1: the session's ID token is the `id_token_hint` of `prompt=none` by default;
/// `idTokenHint: false` in the config or the options leaves it out.
#[test]
fn the_silent_id_token_hint_can_be_turned_off() {
    for (in_config, in_options) in [(true, false), (false, true)] {
        let mut w = World::new();
        let mut cfg = config(StorageKind::Memory);
        cfg.silent_id_token_hint = !in_config;
        let t = w.signed_in_tab(cfg);
        w.op.revoke_all();
        let options = AuthorizeOptions {
            omit_id_token_hint: in_options,
            ..AuthorizeOptions::default()
        };
        let op = w.call(
            t,
            Call::Signin {
                via: SigninVia::Silent,
                options,
            },
        );
        w.settle();
        assert_eq!(
            w.op.token_requests("refresh_token").len(),
            1,
            "refresh first"
        );
        let url = w.tab(t).windows[&op].url.clone();
        assert_eq!(query_param(&url, "prompt").as_deref(), Some("none"));
        assert_eq!(query_param(&url, "id_token_hint"), None);
    }
}

#[test]
fn a_silent_sign_in_as_another_user_is_refused_and_the_session_kept() {
    // OIDC Core §12.2 as for a refresh: a hidden iframe renews the page's session; another user
    // signed in at the OP (or an OP that ignored id_token_hint) must not replace it unseen.
    let mut w = World::new();
    let t = w.signed_in_tab(config(StorageKind::Memory));
    let before = w.tab(t).access_token();
    w.op.revoke_all();
    w.op.other_user = Some("someone-else");
    let op = w.signin_silently(t);
    w.answer_window(t, op);
    assert_eq!(w.tab(t).err(op), "invalid_id_token");
    assert_eq!(w.tab(t).access_token(), before, "the session is kept");
    assert_eq!(w.tab(t).count("refreshed"), 0);
    assert_eq!(w.tab(t).count("signedIn"), 1, "only the first sign-in");

    // An interactive sign-in as another user is the user's choice: a new session.
    let popup = w.call(
        t,
        Call::Signin {
            via: SigninVia::Popup { app_window: false },
            options: AuthorizeOptions::default(),
        },
    );
    w.settle();
    w.answer_window(t, popup);
    w.tab(t).ok(popup);
    assert_eq!(w.tab(t).session().unwrap().subject(), Some("someone-else"));
}

/// The OP refused the shared refresh token to one tab (`invalid_grant`: it expired, or was
/// revoked); that tab stored the session without it. Another tab that asks for a refresh next
/// learns the same under the lock: its refresh fails as the first one did, and its silent sign-in
/// goes to the iframe, instead of taking the session without a refresh token as a refresh.
#[test]
fn a_refresh_token_refused_in_another_tab_is_invalid_grant_here_too() {
    let mut w = World::new();
    let a = w.signed_in_tab(config(StorageKind::Local));
    let b = w.create_tab(config(StorageKind::Local));
    assert!(w.tab(b).refresh_token().is_some());
    w.op.revoke_all();
    let op = w.call(a, Call::Refresh);
    w.settle();
    assert_eq!(w.tab(a).err(op), "invalid_grant");
    let op = w.call(b, Call::Refresh);
    w.settle();
    assert_eq!(w.tab(b).err(op), "invalid_grant");
    assert_eq!(w.tab(b).count("refreshed"), 0);
    assert_eq!(w.tab(b).refresh_token(), None);
    assert_eq!(
        w.op.token_requests("refresh_token").len(),
        1,
        "one refused refresh at the OP"
    );
    let op = w.signin_silently(b);
    assert!(!w.tab(b).is_done(op));
    assert_eq!(frames(&w, b), 1);
}

/// A page in the back/forward cache while another tab's refresh was refused comes back to find
/// the stored session without its refresh token: it takes that, and announces it as `refreshed`
/// (the same access token), so that an app showing `hasRefreshToken` (the React provider
/// re-renders on events) does not keep showing the one it lost.
#[test]
fn a_refresh_token_refused_while_this_tab_slept_is_taken_and_announced() {
    let mut w = World::new();
    let a = w.signed_in_tab(config(StorageKind::Local));
    let b = w.create_tab(config(StorageKind::Local));
    w.freeze(b);
    w.op.revoke_all();
    let op = w.call(a, Call::Refresh);
    w.settle();
    assert_eq!(w.tab(a).err(op), "invalid_grant");
    w.restore_from_cache(b);
    assert_eq!(
        w.tab(b).refresh_token(),
        None,
        "the stored session was taken"
    );
    assert_eq!(w.tab(b).count("refreshed"), 1);
}
