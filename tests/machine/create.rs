//! `Call::Create`: discovery and the stored session.

use crate::op::{ok, Endpoint};
use crate::world::*;
use oidc_rp_wasm::core::config::StorageKind;
use oidc_rp_wasm::core::machine::{Call, Command, Machine};
use oidc_rp_wasm::error::Error;
use serde_json::json;

#[test]
fn create_fetches_discovery_and_opens_the_tab_channel() {
    let mut w = World::new();
    let t = w.open_tab(config(StorageKind::Memory));
    let op = w.call(t, Call::Create);
    w.settle();
    w.tab(t).ok(op);
    assert_eq!(w.op.count(Endpoint::Discovery), 1);
    assert_eq!(w.tab(t).channel, Some(session_key()));
    assert!(w.tab(t).session().is_none());
    assert!(w.tab(t).machine.metadata().is_some());
    // Nothing stored is read for a memory session.
    assert!(w
        .tab(t)
        .commands_where(|c| matches!(c, Command::Read { .. }))
        .is_empty());
    // A second create is refused.
    let again = w.call(t, Call::Create);
    w.settle();
    assert_eq!(w.tab(t).err(again), "invalid_config");
}

#[test]
fn create_restores_the_session_from_session_storage_without_a_request() {
    let mut w = World::new();
    let t = w.signed_in_tab(config(StorageKind::Session));
    let token = w.tab(t).access_token();
    let requests = w.op.count(Endpoint::Token);
    w.reload(t);
    assert_eq!(w.tab(t).access_token(), token);
    assert_eq!(w.op.count(Endpoint::Token), requests);
    // A restore is no new sign-in.
    assert_eq!(w.tab(t).count("signedIn"), 0);
    // Another tab has its own sessionStorage: nothing to restore.
    let other = w.create_tab(config(StorageKind::Session));
    assert!(w.tab(other).session().is_none());
}

#[test]
fn create_restores_a_local_session_in_a_new_tab() {
    let mut w = World::new();
    let a = w.signed_in_tab(config(StorageKind::Local));
    assert!(w.local_storage.contains_key(&session_key()));
    assert!(w.indexed_db.contains_key(&session_key()));
    let b = w.create_tab(config(StorageKind::Local));
    assert_eq!(w.tab(b).access_token(), w.tab(a).access_token());
    assert_eq!(w.tab(b).refresh_token(), w.tab(a).refresh_token());
}

#[test]
fn create_drops_an_unparsable_stored_session() {
    let mut w = World::new();
    w.local_storage.insert(
        session_key(),
        r#"{"access_token": 42, "from": "an older version"}"#.into(),
    );
    let t = w.create_tab(config(StorageKind::Local));
    assert!(w.tab(t).session().is_none());
    assert!(!w.local_storage.contains_key(&session_key()));
    assert_eq!(w.tab(t).count("signedOut:signout"), 0);
}

#[test]
fn create_fails_with_the_discovery_error_and_later_calls_are_refused() {
    let mut w = World::new();
    w.op.override_next(Endpoint::Discovery, Err(Error::Network("offline".into())));
    let t = w.open_tab(config(StorageKind::Session));
    let op = w.call(t, Call::Create);
    w.settle();
    assert_eq!(w.tab(t).err(op), "network");
    assert_eq!(
        w.tab(t).channel,
        None,
        "a client that failed to create hears no tab"
    );

    let refresh = w.call(t, Call::Refresh);
    w.settle();
    assert_eq!(w.tab(t).err(refresh), "invalid_config");

    // A discovery document naming another issuer is issuer_mismatch.
    let mut doc = w.op.discovery();
    doc["issuer"] = json!("https://evil.example.com");
    w.op.override_next(Endpoint::Discovery, ok(doc));
    let t = w.open_tab(config(StorageKind::Session));
    let op = w.call(t, Call::Create);
    w.settle();
    assert_eq!(w.tab(t).err(op), "issuer_mismatch");
}

#[test]
fn a_session_that_expired_while_the_browser_was_closed_is_refreshed_at_once() {
    let mut w = World::new();
    let a = w.signed_in_tab(config(StorageKind::Local));
    w.drop_tab(a);
    w.skip(7_200_000);
    let b = w.create_tab(config(StorageKind::Local));
    assert_eq!(w.tab(b).machine.poll_timeout(), Some(w.now));
    w.advance(0);
    assert_eq!(w.op.token_requests("refresh_token").len(), 1);
    let session = w.tab(b).session().unwrap();
    assert!(!session.is_expired(w.now / 1000));
    assert!(w.tab(b).event_names().contains(&"refreshed".to_owned()));
}

#[test]
fn dispose_during_create_ends_it_with_disposed() {
    let mut w = World::new();
    w.op.hang.insert(Endpoint::Discovery);
    let t = w.open_tab(config(StorageKind::Local));
    let create = w.call(t, Call::Create);
    w.settle();
    let dispose = w.call(t, Call::Dispose);
    w.settle();
    w.tab(t).ok(dispose);
    assert_eq!(w.tab(t).err(create), "disposed");
    assert_eq!(
        w.held(Endpoint::Discovery),
        0,
        "the discovery request was aborted"
    );
    assert_eq!(w.tab(t).channel, None);
}

/// A discovery request the OP never answers: `create` ends with `timeout` at the request's
/// deadline (`requestTimeoutMs`), not before and not later, and asks once.
#[test]
fn create_against_a_hung_discovery_ends_with_timeout_at_the_deadline() {
    let mut w = World::new();
    w.op.hang.insert(Endpoint::Discovery);
    let cfg = config(StorageKind::Session);
    let timeout = i64::from(cfg.request_timeout_ms);
    let t = w.open_tab(cfg);
    let create = w.call(t, Call::Create);
    w.settle();
    w.advance(timeout - 1);
    assert!(
        !w.tab(t).is_done(create),
        "still waiting 1 ms before the deadline"
    );
    w.advance(1);
    assert_eq!(w.tab(t).err(create), "timeout");
    let asked = w.tab(t).commands_where(
        |c| matches!(c, Command::Fetch(r) if Endpoint::of(&r.url) == Endpoint::Discovery),
    );
    assert_eq!(asked.len(), 1, "asked once");
    assert_eq!(w.held(Endpoint::Discovery), 0, "nothing left waiting");
}

#[test]
fn a_silent_redirect_uri_on_another_origin_is_refused_at_create() {
    // Its page answers by postMessage to this origin and by BroadcastChannel: from another
    // origin nothing reaches this page, and every popup and iframe sign-in would wait in vain.
    for uri in [
        "https://www.app.example.com/silent-callback.html",
        "http://app.example.com/silent-callback.html",
        "https://app.example.com:8443/silent-callback.html",
    ] {
        let c = config(StorageKind::Session).silent_redirect_uri(uri);
        let e = Machine::new(c, APP_ORIGIN.into()).expect_err(uri);
        assert_eq!(e.code(), "invalid_config", "{uri}");
        assert!(
            e.message().contains("silent_redirect_uri"),
            "{uri}: {}",
            e.message()
        );
    }
    // The same origin as browsers write it: the default port and upper case make no difference.
    for uri in [
        SILENT_URI,
        "https://APP.example.com:443/silent-callback.html",
    ] {
        let c = config(StorageKind::Session).silent_redirect_uri(uri);
        assert!(Machine::new(c, APP_ORIGIN.into()).is_ok(), "{uri}");
    }
}

/// `checkUserinfoOnRefresh` is a subject check on every refresh: an OP without a UserInfo
/// endpoint cannot serve it, and it must not switch itself off.
#[test]
fn check_userinfo_on_refresh_with_an_op_without_userinfo_fails_create() {
    let mut w = World::new();
    w.op.userinfo = false;
    let mut cfg = config(StorageKind::Session);
    cfg.check_userinfo_on_refresh = true;
    let t = w.open_tab(cfg);
    let op = w.call(t, Call::Create);
    w.settle();
    assert_eq!(w.tab(t).err(op), "unsupported");

    // Without the check, the same OP is fine.
    let t = w.open_tab(config(StorageKind::Session));
    w.create(t);
}
