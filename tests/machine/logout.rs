//! RP-Initiated Logout: signoutUrl, signoutRedirect, handleSignoutCallback.

use crate::common::*;
use crate::op::Endpoint;
use crate::world::*;
use oidc_rp_wasm::core::config::StorageKind;
use oidc_rp_wasm::core::json::Json;
use oidc_rp_wasm::core::machine::{Area, Call, Command, Outcome};

fn logout_key() -> String {
    format!("oidc-rp-wasm:logout:{}", session_key())
}

#[test]
fn signout_url_stores_its_state_and_keeps_the_session() {
    let mut w = World::new();
    let t = w.signed_in_tab(config(StorageKind::Session));
    let op = w.call(t, signout(false));
    w.settle();
    let url = match w.tab(t).ok(op) {
        Outcome::Url(url) => url.clone(),
        other => panic!("{other:?}"),
    };
    assert!(url.starts_with(&format!("{ISSUER}/logout?")));
    let state = query_param(&url, "state").unwrap();
    assert_eq!(
        query_param(&url, "post_logout_redirect_uri").as_deref(),
        Some(LOGOUT_RETURN)
    );
    let hint = query_param(&url, "id_token_hint").unwrap();
    assert_eq!(
        Some(hint.as_str()),
        w.tab(t)
            .session()
            .unwrap()
            .id_token
            .as_ref()
            .map(|t| t.expose())
    );
    let stored = Json::parse(&w.tab(t).session_storage[&logout_key()]).unwrap();
    assert_eq!(
        stored.get("state").and_then(Json::as_str),
        Some(state.as_str())
    );
    assert!(w.tab(t).session().is_some());
    assert!(w.tab(t).navigations.is_empty());
}

/// RP-Initiated Logout §2: the hint is the ID token the OP issued, expired or not: a user back
/// after hours signs out with the hint of the session's (long expired) ID token.
#[test]
fn signout_sends_the_id_token_hint_of_an_expired_id_token_too() {
    let mut w = World::new();
    let mut cfg = config(StorageKind::Session);
    cfg.auto_refresh = false;
    let t = w.signed_in_tab(cfg);
    w.advance(3 * 3600 * 1000);
    let session = w.tab(t).session().expect("kept past its expiry").clone();
    let id_token_exp = session.claims.as_ref().unwrap().exp;
    assert!(id_token_exp * 1000 < w.now, "the ID token expired");
    assert!(session.is_expired(w.now / 1000), "so did the access token");
    let op = w.call(t, signout(false));
    w.settle();
    let Outcome::Url(url) = w.tab(t).ok(op) else {
        panic!("not a URL")
    };
    assert_eq!(
        query_param(url, "id_token_hint").as_deref(),
        session.id_token.as_ref().map(|t| t.expose())
    );
}

#[test]
fn signout_redirect_removes_the_shared_copy_before_navigating_and_tells_the_other_tabs() {
    let mut w = World::new();
    let a = w.signed_in_tab(config(StorageKind::Local));
    let b = w.create_tab(config(StorageKind::Local));
    let op = w.call(a, signout(true));
    // The page may not leave before the IndexedDB removal is committed: nothing navigates until
    // the answers come.
    w.pump(a);
    assert!(w
        .tab(a)
        .position(|c| matches!(c, Command::Navigate { .. }))
        .is_none());
    w.settle();
    w.tab(a).ok(op);
    let removed = w
        .tab(a)
        .position(|c| {
            matches!(
                c,
                Command::Remove {
                    area: Area::Shared,
                    ..
                }
            )
        })
        .expect("the shared copy removed");
    let navigated = w
        .tab(a)
        .position(|c| matches!(c, Command::Navigate { .. }))
        .expect("a navigation");
    assert!(removed < navigated);
    assert!(w
        .tab(a)
        .last_navigation()
        .starts_with(&format!("{ISSUER}/logout?")));
    assert!(w.tab(a).session().is_none());
    assert_eq!(w.tab(a).count("signedOut:signout"), 1);
    assert_eq!(w.tab(b).event_names(), vec!["signedOut:other_tab"]);
    assert!(!w.local_storage.contains_key(&session_key()));
    assert!(!w.indexed_db.contains_key(&session_key()));
    // The logout's state survives the navigation, in this tab's sessionStorage.
    assert!(w.tab(a).navigations[0]
        .session_storage_keys
        .contains(&logout_key()));
}

#[test]
fn handle_signout_callback_checks_the_state() {
    let mut w = World::new();
    let t = w.signed_in_tab(config(StorageKind::Session));
    w.signout_redirect(t);
    // The OP sends the browser back.
    w.reload(t);
    assert!(w.tab(t).session().is_none());
    let wrong = w.call(
        t,
        Call::HandleSignoutCallback {
            url: format!("{LOGOUT_RETURN}?state=forged"),
        },
    );
    w.settle();
    assert_eq!(w.tab(t).err(wrong), "state_mismatch");
    // A stray return does not spend the pending logout.
    assert!(w.tab(t).session_storage.contains_key(&logout_key()));
    // In another tab, the right state is accepted, once.
    let t = w.signed_in_tab(config(StorageKind::Session));
    w.signout_redirect(t);
    let state = query_param(&w.tab(t).last_navigation(), "state").unwrap();
    w.reload(t);
    let url = format!("{LOGOUT_RETURN}?state={state}");
    let right = w.call(t, Call::HandleSignoutCallback { url: url.clone() });
    w.settle();
    match w.tab(t).ok(right) {
        Outcome::SignedOut(returned) => assert_eq!(returned.as_deref(), Some(state.as_str())),
        other => panic!("{other:?}"),
    }
    assert!(!w.tab(t).session_storage.contains_key(&logout_key()));
    // Handled again in the same page (React StrictMode runs an effect twice): as the first time.
    let again = w.call(t, Call::HandleSignoutCallback { url: url.clone() });
    w.settle();
    match w.tab(t).ok(again) {
        Outcome::SignedOut(returned) => assert_eq!(returned.as_deref(), Some(state.as_str())),
        other => panic!("{other:?}"),
    }
    // A reload of the spent return: refused.
    w.reload(t);
    let reloaded = w.call(t, Call::HandleSignoutCallback { url });
    w.settle();
    assert_eq!(w.tab(t).err(reloaded), "state_mismatch");
}

#[test]
fn a_pending_logout_older_than_a_sign_in_transaction_is_refused_and_removed() {
    let mut w = World::new();
    let t = w.signed_in_tab(config(StorageKind::Session));
    w.signout_redirect(t);
    let state = query_param(&w.tab(t).last_navigation(), "state").unwrap();
    w.skip(600_000);
    w.reload(t);
    let late = w.call(
        t,
        Call::HandleSignoutCallback {
            url: format!("{LOGOUT_RETURN}?state={state}"),
        },
    );
    w.settle();
    assert_eq!(w.tab(t).err(late), "state_mismatch");
    assert!(!w.tab(t).session_storage.contains_key(&logout_key()));
}

#[test]
fn without_an_end_session_endpoint_signout_redirect_signs_out_locally_and_goes_to_the_return_page()
{
    // RP-Initiated Logout is optional for an OP (§2). Signing out must still end the session
    // here and in every tab, and revoke the tokens when the OP can.
    let mut w = World::new();
    w.op.end_session = false;
    w.op.revocation = true;
    let a = w.signed_in_tab(config(StorageKind::Local));
    let b = w.create_tab(config(StorageKind::Local));
    assert!(w.tab(b).session().is_some());
    w.signout_redirect(a);
    assert!(w.tab(a).session().is_none());
    assert!(w.tab(b).session().is_none(), "every tab");
    assert_eq!(
        w.tab(a).event_names(),
        vec!["signedIn", "signedOut:signout"]
    );
    assert!(w.op.grants[0].revoked, "the refresh token was revoked");
    assert_eq!(w.tab(a).last_navigation(), LOGOUT_RETURN);
    // No logout state was stored: there is no OP round trip to come back from.
    assert!(w
        .tab(a)
        .commands_where(|c| matches!(c, Command::Write { key, .. } if *key == logout_key()))
        .is_empty());

    // Without a post-logout page the page stays; signoutUrl still needs the endpoint.
    let mut w = World::new();
    w.op.end_session = false;
    let mut cfg = config(StorageKind::Session);
    cfg.post_logout_redirect_uri = None;
    let t = w.signed_in_tab(cfg);
    let navigations = w.tab(t).navigations.len();
    w.signout_redirect(t);
    assert!(w.tab(t).session().is_none());
    assert_eq!(w.tab(t).navigations.len(), navigations);
    let op = w.call(t, signout(false));
    w.settle();
    assert_eq!(w.tab(t).err(op), "unsupported");
}

/// A double click on a "Sign out" button: the second `signoutRedirect` comes while the first
/// waits for its revocations. It leaves the logout to the first (one stored state, one
/// navigation, with the `id_token_hint`) and settles at once, instead of storing a second state
/// without the hint, which either cut the revocations short or made the OP's honest return fail
/// with `state_mismatch`.
#[test]
fn a_second_signout_redirect_while_the_first_runs_leaves_it_to_the_first() {
    let mut w = World::new();
    w.op.revocation = true;
    w.op.hang.insert(Endpoint::Revocation);
    let t = w.signed_in_tab(config(StorageKind::Memory));
    let first = w.call(t, signout(true));
    w.settle();
    let second = w.call(t, signout(true));
    w.settle();
    w.tab(t).ok(second);
    assert!(!w.tab(t).is_done(first));
    assert!(w.tab(t).navigations.is_empty(), "the revocations first");
    w.release(Endpoint::Revocation);
    w.tab(t).ok(first);
    assert_eq!(w.tab(t).navigations.len(), 1);
    let url = w.tab(t).last_navigation();
    assert!(query_param(&url, "id_token_hint").is_some());
    let stored = Json::parse(&w.tab(t).session_storage[&logout_key()]).unwrap();
    assert_eq!(
        stored.get("state").and_then(Json::as_str),
        query_param(&url, "state").as_deref()
    );
}

/// `sessionStorage` refuses the logout's state (full): the OP's return could not be checked, so
/// the page does not go there and the call fails with `storage`; but the user asked to sign out,
/// and is signed out here and in every tab (before, nothing happened and every tab stayed signed
/// in).
#[test]
fn a_logout_state_that_cannot_be_stored_still_signs_out_every_tab() {
    let mut w = World::new();
    let a = w.signed_in_tab(config(StorageKind::Local));
    let b = w.create_tab(config(StorageKind::Local));
    w.session_storage_full = true;
    let op = w.call(a, signout(true));
    w.settle();
    assert_eq!(w.tab(a).err(op), "storage");
    assert!(w.tab(a).navigations.is_empty());
    for t in [a, b] {
        assert!(w.tab(t).session().is_none(), "tab {t}");
    }
    assert_eq!(w.tab(a).count("signedOut:signout"), 1);
    assert_eq!(w.tab(b).count("signedOut:other_tab"), 1);
    assert!(!w.local_storage.contains_key(&session_key()));
}
