//! Refreshes: rotation, the single flight, the cross-tab lock, failures that lose nothing,
//! sign-outs and wake-ups while a refresh runs, hung endpoints, getAccessToken.

use crate::op::Endpoint;
use crate::world::*;
use oidc_rp_wasm::core::config::StorageKind;
use oidc_rp_wasm::core::machine::{Call, Command, PageEvent, SigninVia};
use oidc_rp_wasm::core::stored::session_from_text;
use oidc_rp_wasm::error::Error;

/// Into the access token's leeway (it lives 3600 s, the leeway is 60 s), timers asleep.
const INTO_THE_LEEWAY_MS: i64 = 3_550_000;

fn refresh(w: &mut World, t: usize) -> u32 {
    let op = w.call(t, Call::Refresh);
    w.settle();
    op
}

/// The refresh tokens the OP was presented, in order.
fn presented(w: &World) -> Vec<String> {
    w.op.token_requests("refresh_token")
        .iter()
        .map(|r| r.field("refresh_token").unwrap().to_owned())
        .collect()
}

#[test]
fn each_refresh_presents_the_refresh_token_the_last_one_rotated_in() {
    let mut w = World::new();
    let t = w.signed_in_tab(config(StorageKind::Session));
    let rt0 = w.tab(t).refresh_token().unwrap();
    let at0 = w.tab(t).access_token();
    let first = refresh(&mut w, t);
    let rt1 = w.tab(t).refresh_token().unwrap();
    assert_ne!(rt1, rt0);
    assert_ne!(w.tab(t).token_of(first), at0);
    let second = refresh(&mut w, t);
    w.tab(t).ok(second);
    let rt2 = w.tab(t).refresh_token().unwrap();
    assert_eq!(presented(&w), vec![rt0, rt1]);
    assert_eq!(w.op.grants[0].current, rt2);
    assert_eq!(w.op.replays, 0);
    assert_eq!(
        stored_refresh_token(w.tab(t).session_storage.get(&session_key())),
        Some(rt2)
    );
    assert_eq!(w.tab(t).count("refreshed"), 2);
}

#[test]
fn concurrent_refresh_and_get_access_token_calls_share_one_token_request() {
    let mut w = World::new();
    let t = w.signed_in_tab(config(StorageKind::Memory));
    w.skip(INTO_THE_LEEWAY_MS);
    let ops = [
        w.call(t, Call::Refresh),
        w.call(t, Call::GetAccessToken),
        w.call(t, Call::Refresh),
        w.call(t, Call::GetAccessToken),
    ];
    w.settle();
    assert_eq!(w.op.token_requests("refresh_token").len(), 1);
    let token = w.tab(t).token_of(ops[0]);
    for op in ops {
        assert_eq!(w.tab(t).token_of(op), token);
    }
    assert_eq!(w.tab(t).count("refreshed"), 1);
}

#[test]
fn two_tabs_sharing_a_local_session_refreshing_together_make_one_token_request() {
    let mut w = World::new();
    let a = w.signed_in_tab(config(StorageKind::Local));
    let b = w.create_tab(config(StorageKind::Local));
    assert_eq!(w.tab(b).refresh_token(), w.tab(a).refresh_token());
    let op_a = w.call(a, Call::Refresh);
    let op_b = w.call(b, Call::Refresh);
    w.settle();
    assert_eq!(w.op.token_requests("refresh_token").len(), 1);
    assert_eq!(w.op.replays, 0);
    assert!(!w.op.grants[0].revoked);
    let token = w.tab(a).token_of(op_a);
    assert_eq!(w.tab(b).token_of(op_b), token);
    assert_eq!(w.tab(a).access_token(), token);
    assert_eq!(w.tab(b).access_token(), token);
    assert_eq!(w.tab(b).refresh_token(), w.tab(a).refresh_token());
    assert_eq!(w.tab(a).count("refreshed"), 1);
    assert_eq!(w.tab(b).count("refreshed"), 1);
    assert!(w.locks.holder(&World::lock_name()).is_none());
    // And the next round is no replay either.
    let op_b = w.call(b, Call::Refresh);
    let op_a = w.call(a, Call::Refresh);
    w.settle();
    w.tab(a).ok(op_a);
    w.tab(b).ok(op_b);
    assert_eq!(w.op.token_requests("refresh_token").len(), 2);
    assert_eq!(w.op.replays, 0);
}

#[test]
fn a_failed_refresh_keeps_the_session_and_emits_refresh_failed() {
    let mut w = World::new();
    let t = w.signed_in_tab(config(StorageKind::Session));
    let at = w.tab(t).access_token();
    let rt = w.tab(t).refresh_token();
    let stored = w.tab(t).session_storage.get(&session_key()).cloned();
    w.op.override_next(Endpoint::Token, crate::op::oauth_error(500, "server_error"));
    let op = refresh(&mut w, t);
    assert_eq!(w.tab(t).err(op), "server_error");
    assert_eq!(w.tab(t).access_token(), at);
    assert_eq!(w.tab(t).refresh_token(), rt);
    assert_eq!(
        w.tab(t).session_storage.get(&session_key()).cloned(),
        stored
    );
    assert_eq!(
        w.tab(t).event_names(),
        vec!["signedIn", "refreshFailed:server_error"]
    );
    // The OP spent nothing: the same refresh token works next time.
    let op = refresh(&mut w, t);
    w.tab(t).ok(op);
    assert_eq!(w.op.replays, 0);
}

#[test]
fn a_refused_200_keeps_the_refresh_token_it_rotated_in() {
    let mut w = World::new();
    let t = w.signed_in_tab(config(StorageKind::Session));
    let at = w.tab(t).access_token();
    w.op.refuse_next_refresh = true;
    let op = refresh(&mut w, t);
    // The refreshed ID token names another subject (OIDC Core §12.2).
    assert_eq!(w.tab(t).err(op), "invalid_id_token");
    assert_eq!(
        w.tab(t).access_token(),
        at,
        "the app's session is unchanged"
    );
    let rotated = w.op.grants[0].current.clone();
    assert_eq!(w.tab(t).refresh_token(), Some(rotated.clone()));
    assert_eq!(
        stored_refresh_token(w.tab(t).session_storage.get(&session_key())),
        Some(rotated.clone())
    );
    // A reload keeps it too, and the next refresh presents it: no replay.
    w.reload(t);
    let op = refresh(&mut w, t);
    w.tab(t).ok(op);
    assert_eq!(presented(&w).last(), Some(&rotated));
    assert_eq!(w.op.replays, 0);
}

#[test]
fn local_storage_full_during_a_refresh_keeps_the_rotated_refresh_token() {
    let mut w = World::new();
    let a = w.signed_in_tab(config(StorageKind::Local));
    let at = w.tab(a).access_token();
    w.local_storage_full = true;
    let op = refresh(&mut w, a);
    assert_eq!(w.tab(a).err(op), "storage");
    let rotated = w.op.grants[0].current.clone();
    assert_eq!(w.tab(a).refresh_token(), Some(rotated.clone()));
    assert_eq!(w.tab(a).access_token(), at);
    assert_eq!(
        stored_refresh_token(w.indexed_db.get(&session_key())),
        Some(rotated.clone())
    );
    // A tab opened now restores the old copy from localStorage, but refreshes without replaying.
    let b = w.create_tab(config(StorageKind::Local));
    w.local_storage_full = false;
    let op = refresh(&mut w, b);
    w.tab(b).ok(op);
    let op = refresh(&mut w, b);
    w.tab(b).ok(op);
    let op = refresh(&mut w, a);
    w.tab(a).ok(op);
    assert_eq!(w.op.replays, 0);
    assert!(!w.op.grants[0].revoked);
    assert_eq!(
        w.tab(a).refresh_token(),
        Some(w.op.grants[0].current.clone())
    );
}

/// `localStorage` took the renewed session and IndexedDB refused it (full, or Safari's "connection
/// lost"): the refresh succeeded, and the stale IndexedDB copy, which every tab reads first, goes.
/// Before, the tab kept its old access token and reported `storage`, and the next tab read the
/// stale copy and replayed the spent refresh token (the OP revoked the grant).
#[test]
fn indexed_db_full_during_a_refresh_leaves_no_stale_shared_copy() {
    let mut w = World::new();
    let a = w.signed_in_tab(config(StorageKind::Local));
    let b = w.create_tab(config(StorageKind::Local));
    let before = w.tab(a).access_token();
    w.indexed_db_full = true;
    let op = refresh(&mut w, a);
    let token = w.tab(a).token_of(op);
    assert_ne!(token, before);
    assert_eq!(w.tab(a).access_token(), token);
    assert_eq!(w.indexed_db.get(&session_key()), None);
    assert_eq!(
        stored_refresh_token(w.local_storage.get(&session_key())),
        Some(w.op.grants[0].current.clone())
    );
    assert_eq!(
        w.tab(b).access_token(),
        token,
        "the other tab took the renewed session"
    );
    refresh_in_turn_without_replay(&mut w, &[b, a, b]);
}

/// The same when the OP rotated the refresh token in a response that was then refused: the
/// session with the new refresh token is kept (`localStorage` takes it), and IndexedDB's copy
/// with the spent one goes.
#[test]
fn indexed_db_full_during_a_refused_refresh_leaves_no_stale_shared_copy() {
    let mut w = World::new();
    let a = w.signed_in_tab(config(StorageKind::Local));
    let b = w.create_tab(config(StorageKind::Local));
    w.indexed_db_full = true;
    w.op.refuse_next_refresh = true;
    let op = refresh(&mut w, a);
    assert_eq!(w.tab(a).err(op), "invalid_id_token");
    assert_eq!(w.indexed_db.get(&session_key()), None);
    refresh_in_turn_without_replay(&mut w, &[b, a]);
}

/// IndexedDB never answers (a blocked open, a wedged profile): each of its steps costs one
/// `request_timeout_ms`, not the refresh. The shared read falls back to `localStorage`, the
/// later steps on it fail at once; the refresh succeeds, the lock is let go, and the other
/// tab takes the renewed session.
#[test]
fn a_hung_indexed_db_costs_a_refresh_one_deadline_a_step_not_forever() {
    let mut w = World::new();
    let a = w.signed_in_tab(config(StorageKind::Local));
    let b = w.create_tab(config(StorageKind::Local));
    let before = w.tab(a).access_token();
    w.hung_indexed_db = true;
    let op = refresh(&mut w, a);
    assert!(!w.tab(a).is_done(op), "waiting for IndexedDB");
    assert_eq!(w.tab(a).machine.poll_timeout(), Some(w.now + 10_000));
    // The read's deadline: the refresh goes on from `localStorage` and asks the OP; its later
    // steps on IndexedDB (the read for a sign-out meanwhile, the write) fail without a wait.
    w.advance(10_000);
    assert_eq!(w.op.token_requests("refresh_token").len(), 1);
    let token = w.tab(a).token_of(op);
    assert_ne!(token, before);
    assert_eq!(w.tab(a).access_token(), token);
    assert!(w.locks.holder(&World::lock_name()).is_none());
    assert_eq!(
        stored_refresh_token(w.local_storage.get(&session_key())),
        Some(w.op.grants[0].current.clone())
    );
    // The other tab reads the session its message announced: its own wait for IndexedDB,
    // then `localStorage`.
    w.advance(10_000);
    assert_eq!(w.tab(b).access_token(), token, "the other tab took it");
}

/// Each of `tabs` refreshes in turn, a minute apart: every refresh succeeds, and the OP saw no
/// refresh token twice (nor revoked the grant for it).
fn refresh_in_turn_without_replay(w: &mut World, tabs: &[usize]) {
    for &t in tabs {
        w.advance(60_000);
        let op = refresh(w, t);
        w.tab(t).ok(op);
    }
    assert_eq!(w.op.replays, 0);
    assert!(!w.op.grants[0].revoked);
}

/// The same for a sign-in over a signed-in session: it succeeds, and IndexedDB's copy of the
/// session before it goes, or other tabs would take that one and refresh its refresh token.
#[test]
fn indexed_db_full_during_a_sign_in_leaves_no_stale_shared_copy() {
    let mut w = World::new();
    let a = w.signed_in_tab(config(StorageKind::Local));
    w.indexed_db_full = true;
    let (op, _) = w.sign_in_by_redirect(a);
    w.tab(a).ok(op);
    assert_eq!(w.indexed_db.get(&session_key()), None);
    let b = w.create_tab(config(StorageKind::Local));
    assert_eq!(w.tab(b).access_token(), w.tab(a).access_token());
}

/// A browser without Web Locks: the pump says so, and the machine refreshes without the lock.
/// The shared read still finds another tab's finished refresh (no second refresh of a token it
/// rotated) and its sign-out.
#[test]
fn without_web_locks_a_shared_session_refreshes_without_the_lock() {
    let mut w = World::new();
    w.no_web_locks = true;
    let a = w.signed_in_tab(config(StorageKind::Local));
    let b = w.create_tab(config(StorageKind::Local));
    let op = refresh(&mut w, a);
    let token = w.tab(a).token_of(op);
    assert_eq!(w.tab(b).access_token(), token);
    assert!(w.locks.grants.is_empty());
    // One tab at a time (two at the same moment are the race only the lock prevents).
    w.skip(INTO_THE_LEEWAY_MS);
    let op = refresh(&mut w, b);
    w.tab(b).ok(op);
    let op = refresh(&mut w, a);
    w.tab(a).ok(op);
    assert_eq!(w.op.replays, 0);
    w.sign_out_locally(a);
    let op = refresh(&mut w, b);
    assert_eq!(w.tab(b).err(op), "no_session");
}

/// Found by `schedules.rs` (seed 198): the shared copy can hold a newer refresh token beside an
/// access token that expired (the copy a full `localStorage` left, above). A tab that finds it
/// under the lock took it as "another tab refreshed" and handed out the expired token.
#[test]
fn under_the_lock_a_newer_session_whose_token_expired_is_refreshed_not_handed_out() {
    let mut w = World::new();
    let a = w.signed_in_tab(config(StorageKind::Local));
    let b = w.create_tab(config(StorageKind::Local));
    let old = w.tab(a).access_token();
    w.local_storage_full = true;
    let op = refresh(&mut w, a);
    assert_eq!(w.tab(a).err(op), "storage");
    w.local_storage_full = false;
    // Both tabs asleep past the token's expiry; B wakes first and wants a token.
    w.skip(2 * 3_600_000);
    let op = w.call(b, Call::GetAccessToken);
    w.settle();
    let token = w.tab(b).token_of(op);
    assert_ne!(token, old, "an expired access token was handed out");
    let now = w.now / 1000;
    assert!(!w.tab(b).session().expect("a session").is_expired(now));
    assert_eq!(w.op.replays, 0);
    assert!(!w.op.grants[0].revoked);
}

#[test]
fn local_storage_full_without_indexed_db_still_never_replays() {
    let mut w = World::new();
    w.no_indexed_db = true;
    let a = w.signed_in_tab(config(StorageKind::Local));
    w.local_storage_full = true;
    let op = refresh(&mut w, a);
    assert_eq!(w.tab(a).err(op), "storage");
    let rotated = w.op.grants[0].current.clone();
    assert_eq!(w.tab(a).refresh_token(), Some(rotated));
    // Storage works again; the page wakes up and refreshes twice.
    w.local_storage_full = false;
    w.page(a, PageEvent::Visible);
    for _ in 0..2 {
        let op = refresh(&mut w, a);
        w.tab(a).ok(op);
    }
    assert_eq!(w.op.replays, 0);
    assert!(!w.op.grants[0].revoked);
    assert_eq!(
        w.tab(a).refresh_token(),
        Some(w.op.grants[0].current.clone())
    );
}

#[test]
fn a_sign_out_during_a_refresh_stores_and_adopts_nothing() {
    let mut w = World::new();
    let t = w.signed_in_tab(config(StorageKind::Session));
    w.op.hang.insert(Endpoint::Token);
    let op = w.call(t, Call::Refresh);
    w.settle();
    w.sign_out_locally(t);
    assert!(!w.tab(t).session_storage.contains_key(&session_key()));
    // The OP answers after all.
    w.release(Endpoint::Token);
    assert_eq!(w.op.token_requests("refresh_token").len(), 1);
    assert_eq!(w.tab(t).err(op), "no_session");
    assert!(w.tab(t).session().is_none());
    assert!(!w.tab(t).session_storage.contains_key(&session_key()));
    assert_eq!(w.tab(t).count("refreshed"), 0);
    assert_eq!(w.tab(t).count("signedOut:signout"), 1);
    assert_eq!(
        w.tab(t).machine.poll_timeout(),
        None,
        "no timers for a session that is gone"
    );
}

#[test]
fn a_sign_out_in_another_tab_during_a_refresh_stores_nothing_anywhere() {
    let mut w = World::new();
    let a = w.signed_in_tab(config(StorageKind::Local));
    let b = w.create_tab(config(StorageKind::Local));
    w.op.hang.insert(Endpoint::Token);
    let op = w.call(a, Call::Refresh);
    w.settle();
    w.sign_out_locally(b);
    w.release(Endpoint::Token);
    assert_eq!(w.tab(a).err(op), "no_session");
    for t in [a, b] {
        assert!(w.tab(t).session().is_none());
        assert_eq!(w.tab(t).count("refreshed"), 0);
    }
    assert!(!w.local_storage.contains_key(&session_key()));
    assert!(!w.indexed_db.contains_key(&session_key()));
    assert!(w.locks.holder(&World::lock_name()).is_none());
    // A tab opened later finds nobody signed in.
    let c = w.create_tab(config(StorageKind::Local));
    assert!(w.tab(c).session().is_none());
}

/// The refresh answer that comes after a sign-out keeps nothing: neither a refused refresh
/// token's session without it (`invalid_grant`, as when the sign-out revoked the token), nor the
/// refresh token an OP rotated in a 200 the client refuses. Storing either would sign the user
/// back in, here and in every tab that reads the store.
#[test]
fn a_late_refused_refresh_after_a_sign_out_keeps_nothing() {
    use oidc_rp_wasm::core::flow::HttpResponse;
    let replies = [
        (400, r#"{"error":"invalid_grant"}"#),
        (
            200,
            r#"{"access_token":"at2","token_type":"Bearer","expires_in":300,"refresh_token":"rotated","id_token":"not.a.jwt"}"#,
        ),
    ];
    for (status, body) in replies {
        for elsewhere in [false, true] {
            let mut w = World::new();
            let a = w.signed_in_tab(config(StorageKind::Local));
            let b = w.create_tab(config(StorageKind::Local));
            w.op.hang.insert(Endpoint::Token);
            let op = w.call(a, Call::Refresh);
            w.settle();
            let out = w.call(if elsewhere { b } else { a }, Call::SignOutLocally);
            w.settle();
            w.op.override_next(
                Endpoint::Token,
                Ok(HttpResponse {
                    status,
                    body: body.into(),
                    dpop_nonce: None,
                }),
            );
            w.release(Endpoint::Token);
            assert!(w.tab(a).result(op).is_err(), "{status} {elsewhere}");
            let _ = out;
            for t in [a, b] {
                assert!(
                    w.tab(t).session().is_none(),
                    "{status} {elsewhere}: tab {t}"
                );
            }
            assert!(
                !w.local_storage.contains_key(&session_key()),
                "{status} {elsewhere}"
            );
            assert!(
                !w.indexed_db.contains_key(&session_key()),
                "{status} {elsewhere}"
            );
            let c = w.create_tab(config(StorageKind::Local));
            assert!(w.tab(c).session().is_none(), "{status} {elsewhere}");
        }
    }
}

#[test]
fn a_wake_up_during_a_refresh_makes_no_second_token_request() {
    for storage in [StorageKind::Memory, StorageKind::Local] {
        let mut w = World::new();
        let t = w.signed_in_tab(config(storage));
        w.skip(INTO_THE_LEEWAY_MS);
        w.op.hang.insert(Endpoint::Token);
        let op = w.call(t, Call::GetAccessToken);
        w.settle();
        w.page(t, PageEvent::Visible);
        w.page(t, PageEvent::Online);
        w.page(t, PageEvent::PageShow);
        assert_eq!(w.held(Endpoint::Token), 1, "{storage:?}");
        w.release(Endpoint::Token);
        assert_eq!(w.op.token_requests("refresh_token").len(), 1, "{storage:?}");
        assert_eq!(w.tab(t).token_of(op), w.tab(t).access_token());
        assert_eq!(w.tab(t).count("refreshed"), 1, "{storage:?}");
        assert_eq!(w.op.replays, 0);
    }
}

#[test]
fn a_closed_lock_holder_lets_the_waiting_tab_refresh() {
    let mut w = World::new();
    let a = w.signed_in_tab(config(StorageKind::Local));
    let b = w.create_tab(config(StorageKind::Local));
    w.op.hang.insert(Endpoint::Token);
    w.call(a, Call::Refresh);
    w.settle();
    let op_b = w.call(b, Call::Refresh);
    w.settle();
    assert_eq!(w.locks.holder(&World::lock_name()), Some(a));
    assert_eq!(w.locks.waiting(), 1);
    // The user closes tab A before its request got out.
    w.drop_tab(a);
    assert_eq!(w.locks.holder(&World::lock_name()), Some(b));
    w.release(Endpoint::Token);
    w.tab(b).ok(op_b);
    assert_eq!(w.op.token_requests("refresh_token").len(), 1);
    assert_eq!(w.op.token_requests("refresh_token")[0].tab, b);
    assert_eq!(w.op.replays, 0);
    assert!(w.locks.holder(&World::lock_name()).is_none());
}

#[test]
fn an_expired_lease_lets_the_waiting_tab_refresh() {
    let mut w = World::new();
    let a = w.signed_in_tab(config(StorageKind::Local));
    let b = w.create_tab(config(StorageKind::Local));
    w.op.hang.insert(Endpoint::Token);
    let op_a = w.call(a, Call::Refresh);
    w.settle();
    // Tab A is frozen while it holds the lock.
    w.freeze(a);
    w.advance(1_000);
    let op_b = w.call(b, Call::Refresh);
    w.settle();
    assert_eq!(w.locks.holder(&World::lock_name()), Some(a));
    let lease = i64::from(w.tab(a).config.lock_wait_ms());
    w.advance(lease - 1_000);
    assert_eq!(w.locks.holder(&World::lock_name()), Some(b));
    w.release(Endpoint::Token);
    w.tab(b).ok(op_b);
    assert!(w.locks.holder(&World::lock_name()).is_none());
    // A thaws: its request had timed out; its release must not free anybody else's lock, and
    // it takes B's session from B's message.
    w.unfreeze(a);
    assert_eq!(w.tab(a).err(op_a), "timeout");
    assert_eq!(w.tab(a).access_token(), w.tab(b).access_token());
    assert_eq!(w.op.token_requests("refresh_token").len(), 1);
    assert_eq!(w.op.replays, 0);
}

#[test]
fn a_hung_token_endpoint_is_timeout_within_the_request_timeout_and_frees_the_lock() {
    let mut w = World::new();
    let t = w.signed_in_tab(config(StorageKind::Local));
    let at = w.tab(t).access_token();
    let timeout = i64::from(w.tab(t).config.request_timeout_ms);
    w.op.hang.insert(Endpoint::Token);
    let op = refresh(&mut w, t);
    assert_eq!(w.locks.holder(&World::lock_name()), Some(t));
    // Every request carries the configured deadline.
    assert!(w
        .op
        .requests
        .iter()
        .all(|r| i64::from(r.timeout_ms) == timeout));
    w.advance(timeout - 1);
    assert!(!w.tab(t).is_done(op));
    w.advance(1);
    assert_eq!(w.tab(t).err(op), "timeout");
    assert!(w.locks.holder(&World::lock_name()).is_none());
    assert_eq!(w.tab(t).access_token(), at);
    assert_eq!(w.tab(t).count("refreshFailed:timeout"), 1);
    // Another tab can take the lock and refresh at once.
    w.op.hang.clear();
    let b = w.create_tab(config(StorageKind::Local));
    let op = refresh(&mut w, b);
    w.tab(b).ok(op);
}

#[test]
fn a_hung_jwk_set_costs_one_deadline_not_two() {
    let mut w = World::new();
    let t = w.create_tab(config(StorageKind::Memory));
    let timeout = i64::from(w.tab(t).config.request_timeout_ms);
    w.op.hang.insert(Endpoint::Jwks);
    let (op, _) = w.sign_in_by_redirect(t);
    assert!(!w.tab(t).is_done(op));
    w.advance(timeout + 1_000);
    assert!(w.tab(t).is_done(op), "over within requestTimeoutMs + 1 s");
    assert_eq!(w.tab(t).err(op), "timeout");
    let jwks_fetches = w.tab(t).commands_where(
        |c| matches!(c, Command::Fetch(r) if Endpoint::of(&r.url) == Endpoint::Jwks),
    );
    assert_eq!(jwks_fetches.len(), 1);
}

#[test]
fn get_access_token_outside_the_leeway_hands_out_the_token() {
    let mut w = World::new();
    let t = w.signed_in_tab(config(StorageKind::Memory));
    let at = w.tab(t).access_token();
    w.skip(3_000_000);
    let op = w.call(t, Call::GetAccessToken);
    w.settle();
    assert_eq!(w.tab(t).token_of(op), at);
    assert_eq!(w.op.count(Endpoint::Token), 1, "the code exchange only");
}

#[test]
fn get_access_token_inside_the_leeway_refreshes() {
    let mut w = World::new();
    let t = w.signed_in_tab(config(StorageKind::Memory));
    let at = w.tab(t).access_token();
    w.skip(INTO_THE_LEEWAY_MS);
    let op = w.call(t, Call::GetAccessToken);
    w.settle();
    assert_ne!(w.tab(t).token_of(op), at);
    assert_eq!(w.tab(t).token_of(op), w.tab(t).access_token());
    assert_eq!(w.op.token_requests("refresh_token").len(), 1);
}

#[test]
fn get_access_token_inside_the_leeway_hands_out_the_valid_token_when_the_refresh_fails() {
    let mut w = World::new();
    let t = w.signed_in_tab(config(StorageKind::Memory));
    let at = w.tab(t).access_token();
    w.skip(INTO_THE_LEEWAY_MS);
    w.op.override_next(Endpoint::Token, Err(Error::Network("offline".into())));
    let op = w.call(t, Call::GetAccessToken);
    w.settle();
    assert_eq!(w.tab(t).token_of(op), at);
    // Once expired, a failed refresh is the refresh's error.
    w.skip(60_000);
    w.op.override_next(Endpoint::Token, Err(Error::Network("offline".into())));
    let op = w.call(t, Call::GetAccessToken);
    w.settle();
    assert_eq!(w.tab(t).err(op), "network");
}

/// The fallback is judged when the refresh ends, not when the call came: a machine that slept
/// through the refresh (its deadline passes while the laptop is shut) must not hand out a token
/// that expired meanwhile.
#[test]
fn get_access_token_does_not_fall_back_on_a_token_that_expired_during_the_refresh() {
    let mut w = World::new();
    let t = w.signed_in_tab(config(StorageKind::Memory));
    w.skip(INTO_THE_LEEWAY_MS);
    w.op.hang.insert(Endpoint::Token);
    let op = w.call(t, Call::GetAccessToken);
    w.settle();
    assert!(!w.tab(t).is_done(op));
    // Asleep for two minutes: the token (50 s left when the call came) is expired on waking.
    w.skip(120_000);
    w.advance(0);
    assert_eq!(w.tab(t).err(op), "timeout");
}

#[test]
fn get_access_token_without_a_session_is_no_session() {
    let mut w = World::new();
    let t = w.create_tab(config(StorageKind::Local));
    let op = w.call(t, Call::GetAccessToken);
    w.settle();
    assert_eq!(w.tab(t).err(op), "no_session");
    assert_eq!(w.op.count(Endpoint::Token), 0);
    let op = refresh(&mut w, t);
    assert_eq!(w.tab(t).err(op), "no_session");
    assert_eq!(w.op.count(Endpoint::Token), 0);
}

#[test]
fn a_refused_200_while_local_storage_is_full_still_keeps_the_rotated_refresh_token() {
    for no_indexed_db in [false, true] {
        let mut w = World::new();
        w.no_indexed_db = no_indexed_db;
        let a = w.signed_in_tab(config(StorageKind::Local));
        let at = w.tab(a).access_token();
        w.local_storage_full = true;
        w.op.refuse_next_refresh = true;
        let op = refresh(&mut w, a);
        assert_eq!(w.tab(a).err(op), "invalid_id_token");
        assert_eq!(w.tab(a).access_token(), at);
        let rotated = w.op.grants[0].current.clone();
        assert_eq!(
            w.tab(a).refresh_token(),
            Some(rotated),
            "no_indexed_db: {no_indexed_db}"
        );
        w.local_storage_full = false;
        w.page(a, PageEvent::Visible);
        for _ in 0..2 {
            let op = refresh(&mut w, a);
            w.tab(a).ok(op);
        }
        assert_eq!(w.op.replays, 0, "no_indexed_db: {no_indexed_db}");
    }
}

/// Whether `request` is a token request of `grant_type`.
fn grant(request: &oidc_rp_wasm::core::flow::HttpRequest, grant_type: &str) -> bool {
    request
        .body
        .as_deref()
        .is_some_and(|b| b.contains(&format!("grant_type={grant_type}")))
}

#[test]
fn a_refresh_of_the_old_session_does_not_replace_a_sign_in_that_finished_meanwhile() {
    for storage in [
        StorageKind::Memory,
        StorageKind::Session,
        StorageKind::Local,
    ] {
        let mut w = World::new();
        let t = w.signed_in_tab(config(storage));
        w.op.hang.insert(Endpoint::Token);
        let op = w.call(t, Call::Refresh);
        w.settle();
        // The user signs in again (another account, say) in a popup meanwhile.
        let popup = w.call(
            t,
            Call::Signin {
                via: SigninVia::Popup { app_window: false },
                options: oidc_rp_wasm::core::config::AuthorizeOptions::default(),
            },
        );
        w.settle();
        let response = w.op.authorize(&w.tab(t).windows[&popup].url.clone());
        w.window_message(t, crate::op::OP_ORIGIN, Some(popup), response.web_message());
        w.release_where(|r| grant(r, "authorization_code"));
        let signed_in = w.tab(t).token_of(popup);
        assert_eq!(w.tab(t).access_token(), signed_in);
        // Now the old session's refresh lands.
        w.release(Endpoint::Token);
        assert!(w.tab(t).is_done(op));
        assert_eq!(w.tab(t).access_token(), signed_in, "{storage:?}");
        assert_eq!(
            w.tab(t).refresh_token(),
            Some(w.op.grants[1].current.clone()),
            "{storage:?}: the new sign-in's grant"
        );
        if storage != StorageKind::Memory {
            let stored = match storage {
                StorageKind::Session => w.tab(t).session_storage.get(&session_key()),
                _ => w.local_storage.get(&session_key()),
            };
            let stored = session_from_text(stored.unwrap()).unwrap();
            assert_eq!(stored.access_token.expose(), signed_in, "{storage:?}");
        }
    }
}

#[test]
fn a_refresh_does_not_overwrite_a_sign_in_another_tab_stored_meanwhile() {
    let mut w = World::new();
    let a = w.signed_in_tab(config(StorageKind::Local));
    let b = w.create_tab(config(StorageKind::Local));
    w.op.hang.insert(Endpoint::Token);
    let op = w.call(a, Call::Refresh);
    w.settle();
    // A does not hear B's news (its channel is closed while it may go into the cache).
    w.page(a, PageEvent::PageHide);
    let popup = w.call(
        b,
        Call::Signin {
            via: SigninVia::Popup { app_window: false },
            options: oidc_rp_wasm::core::config::AuthorizeOptions::default(),
        },
    );
    w.settle();
    let response = w.op.authorize(&w.tab(b).windows[&popup].url.clone());
    w.window_message(b, crate::op::OP_ORIGIN, Some(popup), response.web_message());
    w.release_where(|r| grant(r, "authorization_code"));
    let signed_in = w.tab(b).token_of(popup);
    w.release(Endpoint::Token);
    assert_eq!(w.tab(a).token_of(op), signed_in);
    assert_eq!(w.tab(a).access_token(), signed_in);
    assert_eq!(w.tab(b).access_token(), signed_in);
    for text in [
        w.local_storage.get(&session_key()),
        w.indexed_db.get(&session_key()),
    ] {
        assert_eq!(
            session_from_text(text.unwrap())
                .unwrap()
                .access_token
                .expose(),
            signed_in
        );
    }
    assert!(w.locks.holder(&World::lock_name()).is_none());
}

#[test]
fn a_refresh_without_an_id_token_keeps_the_identity() {
    let mut w = World::new();
    w.op.id_token_on_refresh = false;
    let t = w.signed_in_tab(config(StorageKind::Memory));
    let id_token = w.tab(t).session().unwrap().id_token.clone().unwrap();
    let op = refresh(&mut w, t);
    w.tab(t).ok(op);
    let session = w.tab(t).session().unwrap();
    assert!(!session.id_token_fresh);
    assert!(session.id_token.as_ref().unwrap().ct_eq(&id_token));
    assert_eq!(session.subject(), Some(crate::op::SUB));
    // No signature to check: no JWK Set fetched for the refresh.
    assert_eq!(w.op.count(Endpoint::Jwks), 1);
}

#[test]
fn the_userinfo_check_on_refresh_refuses_another_subject_but_keeps_the_rotated_token() {
    let mut w = World::new();
    let mut cfg = config(StorageKind::Session);
    cfg.check_userinfo_on_refresh = true;
    let t = w.signed_in_tab(cfg);
    let op = refresh(&mut w, t);
    w.tab(t).ok(op);
    assert_eq!(w.op.count(Endpoint::Userinfo), 1);
    let at = w.tab(t).access_token();
    w.op.userinfo_sub = "someone-else".into();
    let op = refresh(&mut w, t);
    assert_eq!(w.tab(t).err(op), "subject_mismatch");
    assert_eq!(w.tab(t).access_token(), at);
    assert_eq!(
        w.tab(t).refresh_token(),
        Some(w.op.grants[0].current.clone())
    );
    w.op.userinfo_sub = crate::op::SUB.into();
    let op = refresh(&mut w, t);
    w.tab(t).ok(op);
    assert_eq!(w.op.replays, 0);
}

/// Found by reading the stages after the token response: the sign-out comes while the renewed
/// session's IndexedDB write is still open (a transaction that commits after the other tab's
/// delete). The refresh must not bring the session back, here or in the store.
#[test]
fn a_sign_out_while_the_renewed_session_is_being_stored_is_not_undone() {
    let mut w = World::new();
    let a = w.signed_in_tab(config(StorageKind::Local));
    let b = w.create_tab(config(StorageKind::Local));
    w.hold_shared_writes = true;
    let op = w.call(a, Call::Refresh);
    w.settle();
    assert_eq!(w.op.token_requests("refresh_token").len(), 1);
    assert!(!w.tab(a).is_done(op), "storing the renewed session");
    w.sign_out_locally(b);
    assert!(w.tab(a).session().is_none(), "tab a heard the sign-out");
    w.release_shared_writes();
    assert_eq!(w.tab(a).err(op), "no_session");
    assert!(w.tab(a).session().is_none());
    assert!(w.tab(b).session().is_none());
    assert!(!w.tab(a).event_names().contains(&"refreshed".to_owned()));
    assert!(
        !w.indexed_db.contains_key(&session_key()),
        "not in IndexedDB"
    );
    assert!(
        !w.local_storage.contains_key(&session_key()),
        "not in localStorage"
    );
    // A page loaded now is signed out.
    let c = w.create_tab(config(StorageKind::Local));
    assert!(w.tab(c).session().is_none());
}

#[test]
fn a_token_call_waiting_on_a_refresh_gets_no_token_once_the_user_signed_out() {
    // getAccessToken() and client.fetch() inside the leeway wait for a refresh, with the still
    // valid token to fall back on; a sign-out meanwhile ends that session, and the app's pending
    // API call must not go out with a signed-out user's token.
    let mut w = World::new();
    let t = w.signed_in_tab(config(StorageKind::Session));
    w.skip(INTO_THE_LEEWAY_MS);
    w.op.hang.insert(Endpoint::Token);
    let token = w.call(t, Call::GetAccessToken);
    let fetch = w.call(
        t,
        Call::ResourceHeaders {
            method: "GET".into(),
            url: "https://api.example.com/orders".into(),
        },
    );
    w.settle();
    w.sign_out_locally(t);
    w.release(Endpoint::Token);
    assert_eq!(w.tab(t).err(token), "no_session");
    assert_eq!(w.tab(t).err(fetch), "no_session");

    // The same when another tab signs out, with the OP down: not the old token, nor the
    // refresh's network error: the session is gone.
    let mut w = World::new();
    let a = w.signed_in_tab(config(StorageKind::Local));
    let b = w.create_tab(config(StorageKind::Local));
    w.skip(INTO_THE_LEEWAY_MS);
    w.op.hang.insert(Endpoint::Token);
    let token = w.call(a, Call::GetAccessToken);
    w.settle();
    w.sign_out_locally(b);
    assert!(w.tab(a).session().is_none());
    w.op.override_next(Endpoint::Token, Err(Error::Network("offline".into())));
    w.release(Endpoint::Token);
    assert!(w.tab(a).is_done(token));
    assert_eq!(w.tab(a).err(token), "no_session");
}

#[test]
fn an_op_that_re_keyed_under_the_same_kid_is_fetched_again_not_refused() {
    // The JWK Set the sign-in cached holds the old key under `rsa-0`; the OP now signs with a
    // new key under the same `kid` (OIDC Core §10.1.1 rotation without a new kid). The cached
    // key fails to verify: the set is fetched once more, and the new key verifies.
    let mut w = World::new();
    let t = w.signed_in_tab(config(StorageKind::Memory));
    w.op.id_token_on_refresh = true;
    w.op.rekeyed = true;
    let jwks = w.op.count(Endpoint::Jwks);
    let op = refresh(&mut w, t);
    w.tab(t).ok(op);
    assert_eq!(w.op.count(Endpoint::Jwks), jwks + 1, "fetched once more");
    // The sign-in's fetch may be answered by the browser's HTTP cache; the one more may not,
    // or it would bring the same set again.
    let cache_modes: Vec<bool> = w
        .tab(t)
        .commands_where(|c| matches!(c, Command::Fetch(r) if r.url.ends_with("/jwks")))
        .iter()
        .map(|c| matches!(c, Command::Fetch(r) if r.no_cache))
        .collect();
    assert_eq!(cache_modes, [false, true]);
    // The next refresh uses the new set from the cache.
    let op = refresh(&mut w, t);
    w.tab(t).ok(op);
    assert_eq!(w.op.count(Endpoint::Jwks), jwks + 1);
    // And back: once more, one fetch.
    w.op.rekeyed = false;
    let op = refresh(&mut w, t);
    w.tab(t).ok(op);
    assert_eq!(w.op.count(Endpoint::Jwks), jwks + 2);
}

/// `refreshFailed` is news about a session that is kept: a `refresh()` with nobody signed in
/// fails its call and announces nothing.
#[test]
fn a_refresh_without_a_session_fails_its_call_and_announces_nothing() {
    let mut w = World::new();
    let t = w.create_tab(config(StorageKind::Session));
    let op = w.call(t, Call::Refresh);
    w.settle();
    assert_eq!(w.tab(t).err(op), "no_session");
    assert_eq!(w.tab(t).event_names(), Vec::<String>::new());
}

/// Tab `a` refreshed while tab `b`'s page was hidden (its channel closed): the renewed session is
/// stored, and `b` missed the news, so it still holds the one before. Returns the stored one.
fn stored_unannounced(w: &mut World, a: usize, b: usize) -> oidc_rp_wasm::core::session::Session {
    w.advance(1_000_000);
    w.page(b, PageEvent::PageHide);
    let op = w.call(a, Call::Refresh);
    w.settle();
    w.tab(a).ok(op);
    let stored = session_from_text(&w.indexed_db[&session_key()]).unwrap();
    assert_ne!(stored.access_token.expose(), w.tab(b).access_token());
    stored
}

/// Under the lock, a tab adopts the stored session another tab renewed, and its own refresh of
/// it fails: the timers are that session's, so its expiry is announced (and, after a refused
/// refresh token, ends it), not those of the session it replaced.
#[test]
fn a_session_adopted_under_the_lock_whose_refresh_fails_still_expires_on_time() {
    for (status, code, ends) in [
        (503, "temporarily_unavailable", false),
        (400, "invalid_grant", true),
    ] {
        let mut w = World::new();
        let a = w.signed_in_tab(config(StorageKind::Local));
        let b = w.create_tab(config(StorageKind::Local));
        let renewed = stored_unannounced(&mut w, a, b);
        // The laptop sleeps into the renewed session's leeway; b's overdue timer fires on resume.
        let expires_ms = renewed.expires_at.unwrap() * 1000;
        w.skip(expires_ms - 40_000 - w.now);
        w.op.override_next(Endpoint::Token, crate::op::oauth_error(status, code));
        w.input(b, oidc_rp_wasm::core::machine::Input::Timeout);
        w.settle();
        assert_eq!(w.tab(b).access_token(), renewed.access_token.expose());
        w.advance(120_000);
        assert_eq!(
            w.tab(b).count("expired"),
            1,
            "{code}: {:?}",
            w.tab(b).event_names()
        );
        assert_eq!(
            w.tab(b).count("signedOut:refresh_failed"),
            usize::from(ends),
            "{code}: {:?}",
            w.tab(b).event_names()
        );
    }
}

/// getAccessToken() in the leeway; under the lock the tab takes the session another tab renewed
/// (a message it missed), whose refresh fails: the call gets that session's token, still valid.
#[test]
fn get_access_token_falls_back_to_a_session_taken_under_the_lock() {
    let mut w = World::new();
    let a = w.signed_in_tab(config(StorageKind::Local));
    let b = w.create_tab(config(StorageKind::Local));
    w.advance(30_000);
    w.page(b, PageEvent::PageHide); // b misses a's news
    let op = w.call(a, Call::Refresh);
    w.settle();
    w.tab(a).ok(op);
    let renewed = session_from_text(&w.indexed_db[&session_key()]).unwrap();
    // Both tokens in their leeway, both valid.
    w.skip(3_570_000 - 30_000);
    w.op.override_next(
        Endpoint::Token,
        crate::op::oauth_error(503, "temporarily_unavailable"),
    );
    let op = w.call(b, Call::GetAccessToken);
    w.settle();
    assert!(!renewed.is_expired(w.now / 1000));
    assert_eq!(w.tab(b).token_of(op), renewed.access_token.expose());
}
