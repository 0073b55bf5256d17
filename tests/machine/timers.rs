//! The expiry timers (`expiring`, `expired`, the automatic refresh), `poll_timeout`, and the
//! catch-up when the page wakes after its timers could not run.

use crate::op::{Endpoint, OP_ORIGIN};
use crate::world::*;
use oidc_rp_wasm::core::config::{AuthorizeOptions, StorageKind};
use oidc_rp_wasm::core::machine::{Call, Event, Input, PageEvent, SigninVia};
use oidc_rp_wasm::error::Error;

/// The access token lives 3600 s; the leeway is 60 s.
const EXPIRING_MS: i64 = 3_540_000;
const EXPIRED_MS: i64 = 3_600_000;

#[test]
fn poll_timeout_is_none_without_a_session_and_the_expiring_time_with_one() {
    let mut w = World::new();
    let t = w.create_tab(config(StorageKind::Memory));
    assert_eq!(w.tab(t).machine.poll_timeout(), None);
    let (op, _) = w.sign_in_by_redirect(t);
    w.tab(t).ok(op);
    assert_eq!(
        w.tab(t).machine.poll_timeout(),
        Some(START_MS + EXPIRING_MS)
    );
    w.sign_out_locally(t);
    assert_eq!(w.tab(t).machine.poll_timeout(), None);
}

#[test]
fn expiring_fires_in_the_leeway_and_refreshes_automatically() {
    let mut w = World::new();
    let t = w.signed_in_tab(config(StorageKind::Memory));
    let at = w.tab(t).access_token();
    w.advance(EXPIRING_MS - 1);
    assert_eq!(w.tab(t).event_names(), vec!["signedIn"]);
    assert_eq!(w.op.token_requests("refresh_token").len(), 0);
    w.advance(1);
    assert_eq!(
        w.tab(t).event_names(),
        vec!["signedIn", "expiring", "refreshed"]
    );
    let expiring = w.tab(t).events.iter().find_map(|e| match e {
        Event::Expiring(at) => Some(*at),
        _ => None,
    });
    assert_eq!(expiring, Some(START_MS / 1000 + 3600));
    assert_ne!(w.tab(t).access_token(), at);
    // Re-armed for the new token, from now.
    assert_eq!(w.tab(t).machine.poll_timeout(), Some(w.now + EXPIRING_MS));
    // And again an hour later, with the rotated refresh token.
    w.advance(EXPIRING_MS);
    assert_eq!(w.op.token_requests("refresh_token").len(), 2);
    assert_eq!(w.op.replays, 0);
    assert_eq!(w.tab(t).count("expired"), 0);
}

#[test]
fn without_auto_refresh_expiring_then_expired_and_no_request() {
    let mut w = World::new();
    let mut cfg = config(StorageKind::Memory);
    cfg.auto_refresh = false;
    let t = w.signed_in_tab(cfg);
    w.advance(EXPIRING_MS);
    assert_eq!(w.tab(t).event_names(), vec!["signedIn", "expiring"]);
    assert_eq!(w.tab(t).machine.poll_timeout(), Some(START_MS + EXPIRED_MS));
    assert!(!w.tab(t).machine.expired_announced());
    w.advance(EXPIRED_MS - EXPIRING_MS);
    // A listener added now learns what it missed (a React provider given this client late).
    assert!(w.tab(t).machine.expired_announced());
    assert_eq!(
        w.tab(t).event_names(),
        vec!["signedIn", "expiring", "expired"]
    );
    let expired = w.tab(t).events.iter().find_map(|e| match e {
        Event::Expired(at) => Some(*at),
        _ => None,
    });
    assert_eq!(expired, Some(START_MS / 1000 + 3600));
    assert_eq!(w.tab(t).machine.poll_timeout(), None);
    assert_eq!(w.op.token_requests("refresh_token").len(), 0);
    // An explicit getAccessToken still refreshes.
    let op = w.call(t, Call::GetAccessToken);
    w.settle();
    assert_eq!(w.tab(t).token_of(op), w.tab(t).access_token());
    assert_eq!(w.op.token_requests("refresh_token").len(), 1);
    assert!(
        !w.tab(t).machine.expired_announced(),
        "the new token is not expired"
    );
}

#[test]
fn a_failed_automatic_refresh_still_announces_expired() {
    let mut w = World::new();
    let t = w.signed_in_tab(config(StorageKind::Memory));
    w.op.override_next(Endpoint::Token, Err(Error::Network("offline".into())));
    w.advance(EXPIRED_MS);
    assert_eq!(
        w.tab(t).event_names(),
        vec!["signedIn", "expiring", "refreshFailed:network", "expired"]
    );
    assert_eq!(
        w.op.token_requests("refresh_token").len(),
        1,
        "no retry storm"
    );
}

#[test]
fn a_short_lived_token_is_renewed_at_half_its_lifetime() {
    let mut w = World::new();
    w.op.expires_in = Some(30);
    let t = w.signed_in_tab(config(StorageKind::Memory));
    assert_eq!(w.tab(t).machine.poll_timeout(), Some(START_MS + 15_000));
    w.advance(15_000);
    assert_eq!(w.op.token_requests("refresh_token").len(), 1);
    w.advance(15_000);
    assert_eq!(w.op.token_requests("refresh_token").len(), 2);
    assert_eq!(w.tab(t).count("expired"), 0);
}

#[test]
fn a_token_without_expiry_arms_no_timer() {
    let mut w = World::new();
    w.op.expires_in = None;
    let t = w.signed_in_tab(config(StorageKind::Memory));
    assert_eq!(w.tab(t).machine.poll_timeout(), None);
    w.skip(100 * EXPIRED_MS);
    let op = w.call(t, Call::GetAccessToken);
    w.settle();
    w.tab(t).ok(op);
    assert_eq!(w.op.token_requests("refresh_token").len(), 0);
}

#[test]
fn a_wake_up_refreshes_a_due_token_at_once() {
    for storage in [
        StorageKind::Memory,
        StorageKind::Session,
        StorageKind::Local,
    ] {
        let mut w = World::new();
        let t = w.signed_in_tab(config(storage));
        let at = w.tab(t).access_token();
        // The laptop slept through the timers.
        w.skip(EXPIRED_MS + 600_000);
        w.page(t, PageEvent::Visible);
        assert_eq!(w.op.token_requests("refresh_token").len(), 1, "{storage:?}");
        assert_ne!(w.tab(t).access_token(), at);
        assert_eq!(w.tab(t).machine.poll_timeout(), Some(w.now + EXPIRING_MS));
        // The events that were missed are not replayed late.
        assert_eq!(w.tab(t).count("expired"), 0);
        // A burst of wake events is one catch-up.
        w.page(t, PageEvent::Resumed);
        w.page(t, PageEvent::PageShow);
        assert_eq!(w.op.token_requests("refresh_token").len(), 1, "{storage:?}");
    }
}

#[test]
fn a_wake_up_with_a_fresh_token_asks_nothing() {
    let mut w = World::new();
    let t = w.signed_in_tab(config(StorageKind::Memory));
    w.skip(1_000_000);
    w.page(t, PageEvent::Visible);
    assert_eq!(w.op.token_requests("refresh_token").len(), 0);
    assert_eq!(
        w.tab(t).machine.poll_timeout(),
        Some(START_MS + EXPIRING_MS)
    );
    w.page(t, PageEvent::Hidden);
    assert_eq!(w.op.count(Endpoint::Token), 1, "the code exchange only");
}

#[test]
fn a_token_valid_for_sixty_days_is_expiring_a_minute_before_its_expiry_not_at_fifty_days() {
    let mut w = World::new();
    w.op.expires_in = Some(60 * 24 * 3600);
    let t = w.signed_in_tab(config(StorageKind::Memory));
    // 60 days less the minute of leeway: beyond u32::MAX milliseconds (49.7 days) from now.
    let expiring = START_MS + (60 * 24 * 3600 - 60) * 1000;
    assert_eq!(w.tab(t).machine.poll_timeout(), Some(expiring));
    // A timer that fires at 50 days (a pump caps its timer and asks again) announces nothing.
    w.skip(50 * 24 * 3600 * 1000);
    w.input(t, Input::Timeout);
    w.settle();
    assert_eq!(w.tab(t).event_names(), vec!["signedIn"]);
    assert_eq!(w.tab(t).machine.poll_timeout(), Some(expiring));
}

#[test]
fn an_expired_session_without_a_refresh_token_is_session_expired_and_is_kept() {
    let mut w = World::new();
    w.op.issues_refresh_tokens = false;
    let t = w.signed_in_tab(config(StorageKind::Session));
    assert_eq!(w.tab(t).refresh_token(), None);
    // Inside the leeway the still valid token is handed out.
    w.advance(EXPIRING_MS);
    let op = w.call(t, Call::GetAccessToken);
    w.settle();
    assert_eq!(w.tab(t).token_of(op), w.tab(t).access_token());
    w.advance(EXPIRED_MS - EXPIRING_MS);
    assert_eq!(
        w.tab(t).event_names(),
        vec!["signedIn", "expiring", "expired"]
    );
    // Past expiry: `session_expired`, not `no_session` (which says nobody signed in), and the
    // session is still there: its identity, with `expiresAt` in the past.
    let op = w.call(t, Call::GetAccessToken);
    w.settle();
    assert_eq!(w.tab(t).err(op), "session_expired");
    let session = w.tab(t).session().expect("the expired session is kept");
    assert_eq!(session.expires_at, Some(START_MS / 1000 + 3600));
    assert_eq!(w.op.token_requests("refresh_token").len(), 0);
    // A refresh has nothing to present: that is `no_session` (no refresh token), as before.
    let op = w.call(t, Call::Refresh);
    w.settle();
    assert_eq!(w.tab(t).err(op), "no_session");
    // Signed out, the same call says nobody is signed in.
    w.sign_out_locally(t);
    let op = w.call(t, Call::GetAccessToken);
    w.settle();
    assert_eq!(w.tab(t).err(op), "no_session");
}

#[test]
fn expiring_and_expired_come_once_per_expiry_not_on_every_wake_up() {
    // Without a refresh token nothing renews the session: each wake-up re-arms the timers, and
    // an app that starts an iframe sign-in on `expired` must not start one on every tab focus.
    let mut w = World::new();
    w.op.issues_refresh_tokens = false;
    let t = w.signed_in_tab(config(StorageKind::Memory));
    w.advance(EXPIRED_MS);
    assert_eq!(w.tab(t).count("expiring"), 1);
    assert_eq!(w.tab(t).count("expired"), 1);
    for event in [
        PageEvent::Visible,
        PageEvent::Online,
        PageEvent::Resumed,
        PageEvent::PageShow,
    ] {
        w.page(t, event);
        w.advance(1_000);
    }
    assert_eq!(w.tab(t).count("expiring"), 1);
    assert_eq!(w.tab(t).count("expired"), 1);
}

#[test]
fn expired_is_not_announced_while_a_refresh_is_under_way_and_is_after_it_fails() {
    // The page slept past the expiry: the wake-up refreshes at once. `expired` ("could not be
    // refreshed") waits for the refresh; it comes when the refresh fails, not when it succeeds.
    let mut w = World::new();
    let t = w.signed_in_tab(config(StorageKind::Memory));
    w.op.hang.insert(Endpoint::Token);
    w.skip(EXPIRED_MS + 600_000);
    w.page(t, PageEvent::Visible);
    w.advance(1);
    assert_eq!(w.held(Endpoint::Token), 1, "the refresh is out");
    assert_eq!(w.tab(t).count("expired"), 0);
    w.release(Endpoint::Token);
    assert_eq!(w.tab(t).count("refreshed"), 1);
    assert_eq!(w.tab(t).count("expired"), 0);

    // Expired again, and this time the OP fails the refresh: then `expired`, once.
    w.skip(EXPIRED_MS + 600_000);
    w.op.hang.insert(Endpoint::Token);
    w.page(t, PageEvent::Online);
    w.advance(1);
    assert_eq!(w.tab(t).count("expired"), 0, "the refresh is out");
    // Its deadline passes: the refresh fails, and only now is the token announced expired.
    w.advance(i64::from(w.tab(t).config.request_timeout_ms));
    assert_eq!(w.tab(t).count("refreshFailed:timeout"), 1);
    assert_eq!(w.tab(t).count("expired"), 1);
    w.page(t, PageEvent::Visible);
    w.advance(1);
    assert_eq!(w.tab(t).count("expired"), 1);
}

#[test]
fn an_op_that_answers_expires_in_zero_is_asked_again_every_two_seconds_not_at_once() {
    let mut w = World::new();
    w.op.expires_in = Some(0);
    let t = w.signed_in_tab(config(StorageKind::Memory));
    w.advance(1_999);
    assert_eq!(w.op.token_requests("refresh_token").len(), 0);
    w.advance(1);
    assert_eq!(w.op.token_requests("refresh_token").len(), 1);
    w.advance(60_000);
    assert_eq!(w.op.token_requests("refresh_token").len(), 31);
    assert!(w.tab(t).session().is_some());
    assert_eq!(w.op.replays, 0);
}

/// A tab signed in with `config` whose refresh token the OP refused at its `expiring` refresh
/// (`refreshFailed:invalid_grant`), a second before now.
fn refused_tab(config: oidc_rp_wasm::core::config::ClientConfig) -> (World, usize) {
    let mut w = World::new();
    let t = w.signed_in_tab(config);
    w.op.revoke_all();
    w.advance(EXPIRING_MS + 1_000);
    (w, t)
}

/// On to the refused session's expiry: `expired` is out (the app's listener has run), and the
/// end is owed a turn later.
fn at_refused_expiry(w: &mut World, t: usize) {
    let due = w.tab(t).machine.poll_timeout().unwrap();
    w.skip(due - w.now);
    w.input(t, Input::Timeout);
    w.pump(t);
    assert_eq!(
        w.tab(t).event_names().last().map(String::as_str),
        Some("expired")
    );
}

/// The OP refused the refresh token (`invalid_grant`: revoked, or expired at the OP): the session
/// is kept while its access token lasts (a failed refresh loses nothing), and ends when it
/// expires, since nothing can renew it: `expired`, then `signedOut` with `refresh_failed`, and
/// the stored session removed.
#[test]
fn a_refused_refresh_token_ends_the_session_when_its_access_token_expires() {
    for storage in [
        StorageKind::Memory,
        StorageKind::Session,
        StorageKind::Local,
    ] {
        let mut w = World::new();
        let t = w.signed_in_tab(config(storage));
        w.op.revoke_all();
        w.advance(EXPIRING_MS);
        assert_eq!(
            w.tab(t).event_names(),
            vec!["signedIn", "expiring", "refreshFailed:invalid_grant"],
            "{storage:?}"
        );
        assert!(w.tab(t).session().is_some(), "kept until it expires");
        w.advance(EXPIRED_MS - EXPIRING_MS - 1);
        assert!(w.tab(t).session().is_some());
        w.advance(1);
        assert_eq!(
            w.tab(t).event_names()[3..],
            ["expired", "signedOut:refresh_failed"],
            "{storage:?}"
        );
        assert!(w.tab(t).session().is_none());
        assert_eq!(w.tab(t).machine.signed_out_reason(), Some("refresh_failed"));
        assert!(!w.tab(t).session_storage.contains_key(&session_key()));
        assert!(!w.local_storage.contains_key(&session_key()));
        assert_eq!(w.tab(t).machine.poll_timeout(), None);
        assert_eq!(w.op.token_requests("refresh_token").len(), 1);
    }
}

/// A passing failure (the network) leaves a refresh token that may still work: the expired
/// session stays.
#[test]
fn a_passing_refresh_failure_keeps_the_expired_session() {
    let mut w = World::new();
    let t = w.signed_in_tab(config(StorageKind::Session));
    w.op.override_next(Endpoint::Token, Err(Error::Network("offline".into())));
    w.advance(EXPIRED_MS);
    assert_eq!(w.tab(t).count("expired"), 1);
    assert_eq!(w.tab(t).count("signedOut:refresh_failed"), 0);
    assert!(w.tab(t).session().is_some());
    assert!(w.tab(t).session_storage.contains_key(&session_key()));
    // And the next refresh renews it.
    let op = w.call(t, Call::Refresh);
    w.settle();
    w.tab(t).ok(op);
    assert!(!w.tab(t).session().unwrap().is_expired(w.now / 1000));
}

/// A refresh refused after the access token expired (the page slept; no automatic refresh ran)
/// ends the session at once.
#[test]
fn a_refresh_refused_after_the_expiry_ends_the_session_at_once() {
    let mut w = World::new();
    let mut cfg = config(StorageKind::Memory);
    cfg.auto_refresh = false;
    let t = w.signed_in_tab(cfg);
    w.advance(EXPIRED_MS);
    assert_eq!(w.tab(t).count("expired"), 1);
    w.op.revoke_all();
    let op = w.call(t, Call::Refresh);
    w.settle();
    assert_eq!(w.tab(t).err(op), "invalid_grant");
    assert_eq!(
        w.tab(t).event_names(),
        vec![
            "signedIn",
            "expiring",
            "expired",
            "refreshFailed:invalid_grant",
            "signedOut:refresh_failed"
        ]
    );
    assert!(w.tab(t).session().is_none());
}

/// A silent sign-in after the refusal renews the session through the iframe: the new session
/// does not end at the old token's expiry.
#[test]
fn a_session_renewed_after_a_refused_refresh_token_lives_on() {
    let mut w = World::new();
    let t = w.signed_in_tab(config(StorageKind::Memory));
    w.op.revoke_all();
    w.advance(EXPIRING_MS);
    assert_eq!(w.tab(t).count("refreshFailed:invalid_grant"), 1);
    let op = w.signin_silently(t);
    let url = w.tab(t).windows[&op].url.clone();
    let response = w.op.authorize(&url);
    w.window_message(t, OP_ORIGIN, Some(op), response.web_message());
    w.tab(t).ok(op);
    w.advance(EXPIRED_MS - EXPIRING_MS);
    assert_eq!(w.tab(t).count("signedOut:refresh_failed"), 0);
    assert_eq!(w.tab(t).count("expired"), 0);
    assert!(w.tab(t).session().is_some());
}

/// With a shared session, every tab learns that the refresh token was refused; the first tab
/// whose timer sees the expiry ends the session everywhere, the others hear `other_tab`.
#[test]
fn a_refused_shared_refresh_token_ends_the_session_in_every_tab() {
    let mut w = World::new();
    let a = w.signed_in_tab(config(StorageKind::Local));
    let b = w.create_tab(config(StorageKind::Local));
    w.op.revoke_all();
    w.advance(EXPIRED_MS);
    for t in [a, b] {
        assert!(w.tab(t).session().is_none(), "tab {t}");
        let reason = w.tab(t).machine.signed_out_reason();
        assert!(
            matches!(reason, Some("refresh_failed" | "other_tab")),
            "tab {t}: {reason:?}"
        );
    }
    // Both timers may fire before either tab hears the other: then both say `refresh_failed`.
    assert!(
        w.tab(a).count("signedOut:refresh_failed") + w.tab(b).count("signedOut:refresh_failed")
            >= 1
    );
    assert!(!w.local_storage.contains_key(&session_key()));
    assert_eq!(w.op.token_requests("refresh_token").len(), 1);
}

/// `session` storage: each tab holds its own grant, so one tab's refused refresh token ends that
/// tab's session alone, not another tab's valid one.
#[test]
fn a_refused_refresh_token_in_one_tab_ends_no_other_tabs_own_session() {
    let mut w = World::new();
    let a = w.signed_in_tab(config(StorageKind::Session));
    w.advance(1_800_000);
    w.op.revoke_all();
    let b = w.signed_in_tab(config(StorageKind::Session));
    w.advance(EXPIRED_MS);
    assert_eq!(
        w.tab(a).count("signedOut:refresh_failed"),
        1,
        "{:?}",
        w.tab(a).event_names()
    );
    assert!(w.tab(a).session().is_none());
    assert!(w.tab(b).session().is_some(), "{:?}", w.tab(b).event_names());
    assert_eq!(w.tab(b).count("signedOut:other_tab"), 0);
}

/// The refusal is stored with the session: a reload between it and the expiry still ends it.
#[test]
fn a_session_restored_after_its_refresh_token_was_refused_still_ends_at_its_expiry() {
    for storage in [StorageKind::Session, StorageKind::Local] {
        let (mut w, t) = refused_tab(config(storage));
        assert_eq!(w.tab(t).count("refreshFailed:invalid_grant"), 1);
        w.reload(t);
        assert!(w.tab(t).session().is_some(), "{storage:?}");
        w.advance(EXPIRED_MS - EXPIRING_MS);
        // The new page announces `expiring` once (no refresh token to renew it with).
        assert_eq!(
            w.tab(t).event_names(),
            vec!["expiring", "expired", "signedOut:refresh_failed"],
            "{storage:?}"
        );
        assert!(w.tab(t).session().is_none());
        assert_eq!(w.op.token_requests("refresh_token").len(), 1);
    }
}

/// A redirect sign-in after `invalid_grant`; the user spends two minutes at the OP, so the
/// callback page restores the refused session already expired. Its end waits for the code
/// exchange, which renews it: no `signedOut` in between, and with DPoP the key stays the one
/// the code is bound to.
#[test]
fn a_callback_that_renews_a_refused_session_is_not_interrupted_by_its_end() {
    for (storage, dpop) in [
        (StorageKind::Session, false),
        (StorageKind::Local, false),
        (StorageKind::Local, true),
    ] {
        let mut cfg = config(storage);
        cfg.dpop = dpop;
        let mut w = World::new();
        let t = w.signed_in_tab(cfg);
        w.op.revoke_all();
        w.advance(EXPIRING_MS + 1_000);
        assert_eq!(w.tab(t).count("refreshFailed:invalid_grant"), 1);
        w.go_to_op(t);
        let response = w.op.authorize(&w.tab(t).last_navigation());
        let callback = response.url();
        w.skip(120_000);
        w.reload(t);
        w.op.hang.insert(Endpoint::Token);
        let op = w.come_back(t, &callback, true);
        w.settle();
        w.advance(1); // the overdue `expired` timer fires while the token request is out
        w.release(Endpoint::Token);
        w.settle();
        w.tab(t).ok(op);
        let names = w.tab(t).event_names();
        assert_eq!(
            w.tab(t).count("signedOut:refresh_failed"),
            0,
            "{storage:?} {dpop}: {names:?}"
        );
        assert!(!w.tab(t).session().unwrap().refresh_refused);
    }
}

/// The kept session could not be stored (both stores full): at the expiry the store still
/// holds the copy it superseded, which is not taken; the refused session ends all the same.
#[test]
fn a_refused_session_that_could_not_be_stored_still_ends() {
    let mut w = World::new();
    let t = w.signed_in_tab(config(StorageKind::Local));
    w.op.revoke_all();
    w.local_storage_full = true;
    w.indexed_db_full = true;
    w.advance(EXPIRING_MS + 1_000);
    assert_eq!(w.tab(t).count("refreshFailed:invalid_grant"), 1);
    assert!(w.tab(t).session().unwrap().refresh_refused);
    w.advance(600_000);
    assert!(w.tab(t).session().is_none(), "{:?}", w.tab(t).event_names());
    assert_eq!(w.tab(t).count("signedOut:refresh_failed"), 1);
}

/// The README's recipe: at `expired`, `signinSilent()`. The refused session's end waits for it,
/// in every storage mode, and the silent sign-in renews the session.
#[test]
fn a_silent_sign_in_started_at_expired_renews_a_refused_session() {
    for storage in [StorageKind::Session, StorageKind::Local] {
        let (mut w, t) = refused_tab(config(storage));
        at_refused_expiry(&mut w, t);
        let op = w.call(
            t,
            Call::Signin {
                via: SigninVia::Silent,
                options: AuthorizeOptions::default(),
            },
        );
        w.settle();
        if w.tab(t).windows.contains_key(&op) {
            w.answer_window(t, op);
        }
        w.settle();
        w.tab(t).ok(op);
        assert!(
            w.tab(t).session().is_some(),
            "{storage:?}: {:?}",
            w.tab(t).event_names()
        );
    }
}

fn silent() -> Call {
    Call::Signin {
        via: SigninVia::Silent,
        options: AuthorizeOptions::default(),
    }
}

/// The README's recipe in every storage mode: the app hears `expired` before the refused
/// session ends (a turn later), so its `signinSilent()` there renews it with no `signedOut`.
#[test]
fn the_app_hears_expired_before_a_refused_session_ends_and_may_renew_it() {
    for storage in [
        StorageKind::Memory,
        StorageKind::Session,
        StorageKind::Local,
    ] {
        let (mut w, t) = refused_tab(config(storage));
        at_refused_expiry(&mut w, t);
        let op = w.call(t, silent());
        w.settle();
        if w.tab(t).windows.contains_key(&op) {
            w.answer_window(t, op);
        }
        w.settle();
        w.tab(t).ok(op);
        assert_eq!(
            w.tab(t).count("signedOut:refresh_failed"),
            0,
            "{storage:?}: {:?}",
            w.tab(t).event_names()
        );
        assert!(!w.tab(t).session().unwrap().refresh_refused);
    }
}

/// A `signinSilent()` that joined a wake-up's refresh of an expired session: the refresh is
/// refused, and the silent sign-in goes on to the iframe before the session's end is decided.
#[test]
fn a_silent_sign_in_joined_to_a_refused_refresh_falls_back_before_the_end() {
    for storage in [StorageKind::Session, StorageKind::Local] {
        let mut w = World::new();
        let t = w.signed_in_tab(config(storage));
        w.op.revoke_all();
        w.op.hang.insert(Endpoint::Token);
        w.skip(EXPIRED_MS + 1_000);
        w.page(t, PageEvent::Visible);
        let op = w.call(t, silent());
        w.settle();
        w.release(Endpoint::Token);
        w.settle();
        assert!(
            w.tab(t).windows.contains_key(&op),
            "{storage:?}: the iframe"
        );
        w.answer_window(t, op);
        w.settle();
        w.tab(t).ok(op);
        assert_eq!(w.tab(t).count("signedOut:refresh_failed"), 0, "{storage:?}");
    }
}

/// Sign-ins that end without a session (`authorizeUrl` once its transaction is written, one
/// refused as left at the OP): the refused session's end, put off while they ran, still comes.
#[test]
fn a_refused_session_still_ends_after_a_sign_in_that_brought_no_session() {
    for via in [SigninVia::Url, SigninVia::RedirectUnlessLeft] {
        let (mut w, t) = refused_tab(config(StorageKind::Session));
        if via == SigninVia::RedirectUnlessLeft {
            w.go_to_op(t); // the user goes to the OP and comes back with Back
            w.reload(t);
            w.advance(1); // the new page's `expiring`
        }
        let due = w.tab(t).machine.poll_timeout().unwrap();
        w.skip(due - w.now);
        let op = w.call(
            t,
            Call::Signin {
                via,
                options: AuthorizeOptions::default(),
            },
        );
        w.input(t, Input::Timeout);
        w.settle();
        assert!(w.tab(t).is_done(op));
        w.advance(5_000);
        assert!(
            w.tab(t).session().is_none(),
            "{via:?}: {:?}",
            w.tab(t).event_names()
        );
        assert_eq!(w.tab(t).count("signedOut:refresh_failed"), 1);
    }
}

/// A pushed authorization request (PAR) out across the expiry: the end waits for it, then comes.
#[test]
fn a_refused_session_ends_after_a_pushed_request_that_was_out_at_its_expiry() {
    let mut w = World::new();
    w.op.par = true;
    w.op.require_par = true;
    let t = w.signed_in_tab(config(StorageKind::Local));
    w.op.revoke_all();
    w.advance(EXPIRING_MS + 1_000);
    w.advance(EXPIRED_MS - EXPIRING_MS - 1_500);
    w.op.hang.insert(Endpoint::Par);
    let op = w.call(
        t,
        Call::Signin {
            via: SigninVia::Url,
            options: AuthorizeOptions::default(),
        },
    );
    w.advance(1_000);
    assert!(w.tab(t).session().is_some(), "not while the push is out");
    w.release(Endpoint::Par);
    w.settle();
    w.tab(t).ok(op);
    w.advance(5_000);
    assert!(w.tab(t).session().is_none(), "{:?}", w.tab(t).event_names());
}

/// A wake-up (a laptop resumed: `visibilitychange` after the overdue timer) between `expired`
/// and the end a turn later re-arms the timers: the end stays owed, and comes.
#[test]
fn a_wake_up_between_expired_and_the_end_of_a_refused_session_keeps_the_end() {
    for storage in [
        StorageKind::Memory,
        StorageKind::Session,
        StorageKind::Local,
    ] {
        let (mut w, t) = refused_tab(config(storage));
        at_refused_expiry(&mut w, t);
        w.page(t, PageEvent::Visible);
        w.advance(1);
        assert!(
            w.tab(t).session().is_none(),
            "{storage:?}: {:?}",
            w.tab(t).event_names()
        );
        assert_eq!(w.tab(t).count("expired"), 1);
        assert_eq!(w.tab(t).count("signedOut:refresh_failed"), 1);
    }
}
