//! `Call::Dispose`: every operation ends with `disposed`, what is under way is cancelled,
//! windows close, the lock is released, and nothing is taken afterwards.

use crate::op::{Endpoint, OP_ORIGIN};
use crate::world::*;
use oidc_rp_wasm::core::config::{AuthorizeOptions, StorageKind};
use oidc_rp_wasm::core::machine::{Call, Command, PageEvent, SigninVia};

#[test]
fn dispose_in_the_middle_rejects_cancels_closes_and_releases() {
    let mut w = World::new();
    let a = w.signed_in_tab(config(StorageKind::Local));
    let b = w.create_tab(config(StorageKind::Local));
    w.op.hang.insert(Endpoint::Token);
    let refresh = w.call(a, Call::Refresh);
    let popup = w.call(
        a,
        Call::Signin {
            via: SigninVia::Popup { app_window: false },
            options: AuthorizeOptions::default(),
        },
    );
    w.settle();
    assert_eq!(w.locks.holder(&World::lock_name()), Some(a));
    let fetch = w
        .tab(a)
        .commands
        .iter()
        .rev()
        .find(|(_, c)| matches!(c, Command::Fetch(r) if Endpoint::of(&r.url) == Endpoint::Token))
        .map(|(id, _)| *id)
        .expect("the refresh request");
    let dispose = w.call(a, Call::Dispose);
    w.settle();
    w.tab(a).ok(dispose);
    assert_eq!(w.tab(a).err(refresh), "disposed");
    assert_eq!(w.tab(a).err(popup), "disposed");
    assert!(w.tab(a).cancelled.contains(&fetch));
    assert_eq!(w.held(Endpoint::Token), 0, "the request was aborted");
    assert!(w.tab(a).windows[&popup].closed_by_machine);
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
