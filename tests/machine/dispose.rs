//! `Call::Dispose`: every operation ends with `disposed`, what is under way is cancelled,
//! windows close, the lock is released, and nothing is taken afterwards; a refresh whose token
//! request is out at the OP is finished and stored first, without a word to the app.

use crate::op::{Endpoint, OP_ORIGIN};
use crate::world::*;
use oidc_rp_wasm::core::config::{AuthorizeOptions, StorageKind};
use oidc_rp_wasm::core::machine::{Call, PageEvent, SigninVia};

#[test]
fn dispose_in_the_middle_rejects_cancels_closes_and_releases() {
    let mut w = World::new();
    let a = w.signed_in_tab(config(StorageKind::Local));
    let b = w.create_tab(config(StorageKind::Local));
    // B holds the lock, so A's refresh has sent nothing yet when A is disposed.
    w.op.hang.insert(Endpoint::Token);
    let b_refresh = w.call(b, Call::Refresh);
    w.settle();
    let refresh = w.call(a, Call::Refresh);
    let popup = w.call(
        a,
        Call::Signin {
            via: SigninVia::Popup { app_window: false },
            options: AuthorizeOptions::default(),
        },
    );
    w.settle();
    assert_eq!(w.locks.holder(&World::lock_name()), Some(b));
    assert_eq!(w.locks.waiting(), 1);
    let dispose = w.call(a, Call::Dispose);
    w.settle();
    w.tab(a).ok(dispose);
    assert_eq!(w.tab(a).err(refresh), "disposed");
    assert_eq!(w.tab(a).err(popup), "disposed");
    assert_eq!(w.locks.waiting(), 0, "the wait for the lock was given up");
    assert!(w.tab(a).windows[&popup].closed_by_machine);
    w.release(Endpoint::Token);
    w.tab(b).ok(b_refresh);
    assert!(w.locks.holder(&World::lock_name()).is_none());
    assert_eq!(w.tab(a).channel, None);
    assert_eq!(w.tab(a).machine.poll_timeout(), None);
    assert!(w.tab(a).machine.is_disposed());

    // Later calls are refused, inputs ignored, and no timer comes back.
    let later = [
        w.call(a, Call::GetAccessToken),
        w.call(a, Call::Refresh),
        w.call(a, Call::Create),
        w.call(a, Call::Dispose),
    ];
    w.settle();
    for op in later {
        assert_eq!(w.tab(a).err(op), "disposed");
    }
    let response = w.op.authorize(&w.tab(a).windows[&popup].url.clone());
    w.window_message(a, OP_ORIGIN, Some(popup), response.web_message());
    w.page(a, PageEvent::Visible);
    w.op.hang.clear();
    w.advance(4_000_000);
    assert_eq!(
        w.op.token_requests("authorization_code").len(),
        1,
        "the first sign-in only"
    );
    let outputs = w.tab(a).commands.len();
    // Another tab's news reaches a disposed tab no more.
    let op = w.call(b, Call::Refresh);
    w.settle();
    w.tab(b).ok(op);
    assert_eq!(w.tab(a).commands.len(), outputs);
    assert!(w.tab(a).events.iter().all(|e| event_name(e) != "refreshed"));
}

/// Without Web Locks the `local` refresh goes on without the lock, and outlives `dispose` as it
/// does with one: aborting it after it reached the OP would lose the rotated refresh token.
#[test]
fn without_web_locks_a_refresh_out_at_the_op_outlives_dispose_too() {
    let mut w = World::new();
    w.no_web_locks = true;
    let a = w.signed_in_tab(config(StorageKind::Local));
    let spent = w.tab(a).refresh_token().unwrap();
    w.op.hang.insert(Endpoint::Token);
    let refresh = w.call(a, Call::Refresh);
    w.settle();
    let dispose = w.call(a, Call::Dispose);
    w.settle();
    assert_eq!(w.tab(a).err(refresh), "disposed");
    assert!(!w.tab(a).is_done(dispose));
    assert_eq!(w.held(Endpoint::Token), 1);
    w.release(Endpoint::Token);
    w.tab(a).ok(dispose);
    let stored = stored_refresh_token(w.local_storage.get(&session_key())).expect("stored");
    assert_ne!(stored, spent);
}

#[test]
fn a_refresh_out_at_the_op_outlives_dispose_until_the_rotated_token_is_stored() {
    // `local` storage: the refresh holds the cross-tab lock, so no other client (another tab's,
    // or a new one in this tab) refreshes until the rotated token is stored.
    {
        let storage = StorageKind::Local;
        let mut w = World::new();
        let a = w.signed_in_tab(config(storage));
        let spent = w.tab(a).refresh_token().unwrap();
        w.op.hang.insert(Endpoint::Token);
        let refresh = w.call(a, Call::Refresh);
        w.settle();
        assert_eq!(w.held(Endpoint::Token), 1, "{storage:?}");
        let events = w.tab(a).events.len();
        let dispose = w.call(a, Call::Dispose);
        w.settle();
        // The caller hears at once; the request is not aborted, and the lock stays held, so that
        // no other client refreshes with the token the OP is rotating.
        assert_eq!(w.tab(a).err(refresh), "disposed", "{storage:?}");
        assert!(!w.tab(a).is_done(dispose), "{storage:?}");
        assert_eq!(w.held(Endpoint::Token), 1, "{storage:?}");
        assert_eq!(w.locks.holder(&World::lock_name()), Some(a));
        assert_eq!(w.tab(a).machine.poll_timeout(), None, "{storage:?}");
        assert!(!w.tab(a).machine.is_over(), "{storage:?}");

        // The OP rotates the refresh token as it answers: the answer is stored.
        w.release(Endpoint::Token);
        w.tab(a).ok(dispose);
        assert!(w.tab(a).machine.is_over(), "{storage:?}");
        assert!(w.locks.holder(&World::lock_name()).is_none(), "{storage:?}");
        assert_eq!(
            w.tab(a).events.len(),
            events,
            "no event after dispose: {storage:?}"
        );
        assert_eq!(w.tab(a).machine.poll_timeout(), None, "{storage:?}");
        let stored = stored_refresh_token(w.local_storage.get(&session_key())).expect("stored");
        assert_ne!(stored, spent, "{storage:?}");

        // The next page (a new client) refreshes with the rotated token, not the spent one.
        w.reload(a);
        let op = w.call(a, Call::Refresh);
        w.settle();
        w.tab(a).ok(op);
        assert_eq!(w.op.replays, 0, "{storage:?}");
    }
    // `session` storage: no lock. A new client of the same tab (a remount) would read the same
    // refresh token and could send it while this request is out, so the request is aborted.
    let mut w = World::new();
    let a = w.signed_in_tab(config(StorageKind::Session));
    w.op.hang.insert(Endpoint::Token);
    let refresh = w.call(a, Call::Refresh);
    w.settle();
    let dispose = w.call(a, Call::Dispose);
    w.settle();
    w.tab(a).ok(dispose);
    assert_eq!(w.tab(a).err(refresh), "disposed");
    assert!(w.tab(a).machine.is_over());
    assert_eq!(w.held(Endpoint::Token), 0, "the request was aborted");
}

/// The same refresh, when IndexedDB stops answering as the OP answers: its storage steps keep
/// their deadline after `dispose`, so the lock is let go after one `request_timeout_ms`, not
/// held until its lease, and the rotated token is still kept in `localStorage`.
#[test]
fn a_refresh_that_outlives_dispose_is_not_held_by_a_hung_indexed_db() {
    let mut w = World::new();
    let a = w.signed_in_tab(config(StorageKind::Local));
    let spent = w.tab(a).refresh_token().unwrap();
    w.op.hang.insert(Endpoint::Token);
    let refresh = w.call(a, Call::Refresh);
    w.settle();
    let dispose = w.call(a, Call::Dispose);
    w.settle();
    assert_eq!(w.tab(a).err(refresh), "disposed");
    w.hung_indexed_db = true;
    w.release(Endpoint::Token);
    assert!(!w.tab(a).is_done(dispose), "waiting for IndexedDB");
    assert_eq!(w.tab(a).machine.poll_timeout(), Some(w.now + 10_000));
    w.advance(10_000);
    w.tab(a).ok(dispose);
    assert!(w.tab(a).machine.is_over());
    assert!(w.locks.holder(&World::lock_name()).is_none());
    let stored = stored_refresh_token(w.local_storage.get(&session_key())).expect("stored");
    assert_ne!(stored, spent);
}

#[test]
fn dispose_while_waiting_for_the_lock_gives_up_the_wait() {
    let mut w = World::new();
    let a = w.signed_in_tab(config(StorageKind::Local));
    let b = w.create_tab(config(StorageKind::Local));
    w.op.hang.insert(Endpoint::Token);
    let op_a = w.call(a, Call::Refresh);
    w.settle();
    let op_b = w.call(b, Call::Refresh);
    w.settle();
    assert_eq!(w.locks.waiting(), 1);
    let dispose = w.call(b, Call::Dispose);
    w.settle();
    w.tab(b).ok(dispose);
    assert_eq!(w.tab(b).err(op_b), "disposed");
    assert_eq!(w.locks.waiting(), 0);
    w.release(Endpoint::Token);
    w.tab(a).ok(op_a);
    assert!(w.locks.holder(&World::lock_name()).is_none());
    assert!(!w.locks.grants.iter().any(|(_, t)| *t == b));
}

#[test]
fn a_lock_granted_as_the_tab_was_disposed_is_released_at_once() {
    let mut w = World::new();
    let a = w.signed_in_tab(config(StorageKind::Local));
    let b = w.create_tab(config(StorageKind::Local));
    w.op.hang.insert(Endpoint::Token);
    let op_a = w.call(a, Call::Refresh);
    w.settle();
    let op_b = w.call(b, Call::Refresh);
    w.settle();
    // Freezing B only orders the tasks: the grant is queued for B before B's dispose runs, and
    // reaches the machine after it.
    w.freeze(b);
    w.release(Endpoint::Token);
    w.tab(a).ok(op_a);
    assert_eq!(w.locks.holder(&World::lock_name()), Some(b));
    let dispose = w.call(b, Call::Dispose);
    w.unfreeze(b);
    w.tab(b).ok(dispose);
    assert_eq!(w.tab(b).err(op_b), "disposed");
    assert!(
        w.locks.holder(&World::lock_name()).is_none(),
        "not held by a disposed tab until its lease runs out"
    );
    // The other tab refreshes at once.
    let op = w.call(a, Call::Refresh);
    w.settle();
    w.tab(a).ok(op);
}

/// The refresh that outlives `dispose` tells the other tabs what it stored, as any refresh does:
/// they take the new session at once instead of holding the one before it until they next read
/// the shared copy (found by the random schedules, seed 781 of the extended set with 3,000).
#[test]
fn a_refresh_that_outlives_dispose_announces_what_it_stored_to_the_other_tabs() {
    let mut w = World::new();
    let a = w.signed_in_tab(config(StorageKind::Local));
    let b = w.create_tab(config(StorageKind::Local));
    let before = w.tab(b).access_token();
    w.op.hang.insert(Endpoint::Token);
    w.call(a, Call::Refresh);
    w.settle();
    let dispose = w.call(a, Call::Dispose);
    w.settle();
    w.release(Endpoint::Token);
    w.tab(a).ok(dispose);
    assert!(w.tab(a).machine.is_over());
    // The channel closed once the news went out.
    assert!(w.tab(a).channel.is_none());
    let stored = w.tab(b).refresh_token();
    assert_ne!(w.tab(b).access_token(), before);
    assert_eq!(w.tab(b).event_names(), vec!["refreshed"]);
    assert_eq!(
        stored,
        stored_refresh_token(w.local_storage.get(&session_key()))
    );
}
