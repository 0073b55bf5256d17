//! Redirect sign-ins: authorizeUrl, signinRedirect, handleRedirectCallback (query, fragment,
//! form_post by the service worker or the app's server).

use crate::common::*;
use crate::op::{Endpoint, SUB};
use crate::world::*;
use base64ct::{Base64UrlUnpadded, Encoding};
use oidc_rp_wasm::core::config::{AuthorizeOptions, ClientConfig, StorageKind};
use oidc_rp_wasm::core::flow::Method;
use oidc_rp_wasm::core::json::Json;
use oidc_rp_wasm::core::machine::{Area, Call, Command, Outcome, SigninVia};
use oidc_rp_wasm::core::params::ResponseMode;
use sha2::{Digest, Sha256};

fn authorize_url(w: &mut World, t: usize) -> String {
    let op = w.call(
        t,
        Call::Signin {
            via: SigninVia::Url,
            options: AuthorizeOptions::default(),
        },
    );
    w.settle();
    match w.tab(t).ok(op) {
        Outcome::Url(url) => url.clone(),
        other => panic!("not a URL: {other:?}"),
    }
}

#[test]
fn authorize_url_stores_a_transaction_under_its_state() {
    let mut w = World::new();
    let t = w.create_tab(config(StorageKind::Memory));
    let url = authorize_url(&mut w, t);
    let state = query_param(&url, "state").unwrap();
    let key = tx_key(&state);
    let stored = w.tab(t).session_storage.get(&key).expect("the transaction");
    let tx = Json::parse(stored).unwrap();
    // The stored verifier is the one whose S256 challenge went to the OP.
    let verifier = tx.get("code_verifier").and_then(Json::as_str).unwrap();
    let challenge = Base64UrlUnpadded::encode_string(&Sha256::digest(verifier.as_bytes()));
    assert_eq!(query_param(&url, "code_challenge"), Some(challenge));
    assert_eq!(
        tx.get("nonce").and_then(Json::as_str).map(str::to_owned),
        query_param(&url, "nonce")
    );
    assert_eq!(
        query_param(&url, "redirect_uri").as_deref(),
        Some(REDIRECT_URI)
    );
    // Nothing navigated: the app does that.
    assert!(w.tab(t).navigations.is_empty());
    // Two URLs, two states.
    let second = authorize_url(&mut w, t);
    assert_ne!(query_param(&second, "state").unwrap(), state);
    assert_eq!(w.tab(t).transactions().len(), 2);
}

#[test]
fn signin_redirect_navigates_only_after_the_transaction_is_written() {
    let mut w = World::new();
    let t = w.create_tab(config(StorageKind::Memory));
    let op = w.call(
        t,
        Call::Signin {
            via: SigninVia::Redirect,
            options: AuthorizeOptions::default(),
        },
    );
    // The call's own outputs: the write, but no navigation before its answer.
    w.pump(t);
    assert!(w
        .tab(t)
        .position(|c| matches!(c, Command::Write { area: Area::Session, key, .. } if key.starts_with("oidc-rp-wasm:tx:")))
        .is_some());
    assert!(w
        .tab(t)
        .position(|c| matches!(c, Command::Navigate { .. }))
        .is_none());
    w.settle();
    w.tab(t).ok(op);
    let navigation = &w.tab(t).navigations[0];
    let state = query_param(&navigation.url, "state").unwrap();
    assert!(navigation.session_storage_keys.contains(&tx_key(&state)));
    assert!(navigation.url.starts_with(&format!("{ISSUER}/authorize?")));
}

#[test]
fn redirect_callback_signs_in_with_a_verified_signature_and_pkce() {
    let mut w = World::new();
    let t = w.create_tab(config(StorageKind::Session));
    let (op, _) = w.sign_in_by_redirect(t);
    let signed_in = match w.tab(t).ok(op) {
        Outcome::SignedIn(s) => s.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(signed_in.session.subject(), Some(SUB));
    assert!(signed_in.session.id_token_fresh);
    // The signature was checked by a Verify command, the JWK Set fetched once.
    assert_eq!(
        w.tab(t)
            .commands_where(|c| matches!(c, Command::Verify(_)))
            .len(),
        1
    );
    assert_eq!(w.op.count(Endpoint::Jwks), 1);
    // One code exchange, which the OP accepted only with the right PKCE verifier.
    let exchanges = w.op.token_requests("authorization_code");
    assert_eq!(exchanges.len(), 1);
    assert_eq!(exchanges[0].field("redirect_uri"), Some(REDIRECT_URI));
    assert_eq!(exchanges[0].method, Method::Post);
    // Stored where configured; the transaction is spent.
    assert!(w.tab(t).session_storage.contains_key(&session_key()));
    assert!(w.tab(t).transactions().is_empty());
    assert_eq!(
        w.tab(t).session().unwrap().access_token.expose(),
        signed_in.session.access_token.expose()
    );
}

#[test]
fn a_callback_sends_its_requests_before_it_removes_the_transaction() {
    let mut w = World::new();
    let t = w.create_tab(config(StorageKind::Session));
    let (op, _) = w.sign_in_by_redirect(t);
    w.tab(t).ok(op);
    let at = |url: String| {
        w.tab(t)
            .position(|c| matches!(c, Command::Fetch(r) if r.url == url))
            .expect("the request")
    };
    let (token, jwks) = (at(format!("{ISSUER}/token")), at(format!("{ISSUER}/jwks")));
    let removed = w
        .tab(t)
        .position(|c| matches!(c, Command::Remove { area: Area::Session, key } if key.starts_with("oidc-rp-wasm:tx:")))
        .expect("the transaction removed");
    // In the same turn (the answer to the transaction's read), the token request and the JWK
    // Set go out first: they do not wait for the storage write.
    assert!(
        token < removed && jwks < removed,
        "{token} {jwks} {removed}"
    );
    assert!(w.tab(t).transactions().is_empty());
}

#[test]
fn an_id_token_signed_with_another_key_is_invalid_signature() {
    let mut w = World::new();
    w.op.sign_with = Key::Rsa(1);
    let t = w.create_tab(config(StorageKind::Session));
    let (op, _) = w.sign_in_by_redirect(t);
    assert_eq!(w.tab(t).err(op), "invalid_signature");
    assert!(w.tab(t).session().is_none());
    assert!(!w.tab(t).session_storage.contains_key(&session_key()));
    assert_eq!(w.tab(t).count("signedIn"), 0);
}

#[test]
fn a_callback_from_the_location_is_cleaned_with_replace_url() {
    let mut w = World::new();
    let t = w.create_tab(config(StorageKind::Memory));
    w.go_to_op(t);
    let response = w.op.authorize(&w.tab(t).last_navigation());
    w.reload(t);
    // The app keeps a parameter of its own in the callback URL.
    let url = format!("{}&tab=inbox", response.url());
    let op = w.call(
        t,
        Call::HandleRedirectCallback {
            url,
            from_location: true,
        },
    );
    w.pump(t);
    // Cleaned at once, before the code exchange is even answered.
    assert_eq!(w.tab(t).replaced, vec![format!("{REDIRECT_URI}?tab=inbox")]);
    w.settle();
    w.tab(t).ok(op);
    assert_eq!(w.tab(t).replaced.len(), 1);
}

#[test]
fn a_callback_not_from_the_location_leaves_the_address_alone() {
    let mut w = World::new();
    let t = w.create_tab(config(StorageKind::Memory));
    w.go_to_op(t);
    let response = w.op.authorize(&w.tab(t).last_navigation());
    w.reload(t);
    let op = w.come_back(t, &response.url(), false);
    w.settle();
    w.tab(t).ok(op);
    assert!(w.tab(t).replaced.is_empty());
    assert!(w
        .tab(t)
        .commands_where(|c| matches!(c, Command::ReplaceUrl { .. }))
        .is_empty());
}

#[test]
fn a_sign_in_is_announced_as_signed_in_once() {
    let mut w = World::new();
    let t = w.create_tab(config(StorageKind::Memory));
    let (op, _) = w.sign_in_by_redirect(t);
    w.tab(t).ok(op);
    assert_eq!(w.tab(t).event_names(), vec!["signedIn"]);
}

#[test]
fn the_same_callback_twice_in_one_page_exchanges_the_code_once() {
    let mut w = World::new();
    let t = w.create_tab(config(StorageKind::Memory));
    w.go_to_op(t);
    let response = w.op.authorize(&w.tab(t).last_navigation());
    w.reload(t);
    let url = response.url();
    // React's strict mode: the effect runs twice, before anything is answered.
    let first = w.come_back(t, &url.clone(), true);
    let second = w.come_back(t, &url.clone(), true);
    w.settle();
    assert_eq!(w.op.token_requests("authorization_code").len(), 1);
    let token = w.tab(t).token_of(first);
    assert_eq!(w.tab(t).token_of(second), token);
    // Later, with the address the first call left behind: the same outcome, no request.
    let cleaned = w.tab(t).replaced[0].clone();
    assert_eq!(cleaned, REDIRECT_URI);
    let third = w.come_back(t, &cleaned, true);
    w.settle();
    assert_eq!(w.tab(t).token_of(third), token);
    assert_eq!(w.op.token_requests("authorization_code").len(), 1);
    assert_eq!(w.tab(t).count("signedIn"), 1);
    assert_eq!(w.tab(t).replaced.len(), 1);
}

#[test]
fn a_spent_callback_url_is_state_mismatch_and_asks_the_op_nothing() {
    let mut w = World::new();
    let t = w.create_tab(config(StorageKind::Session));
    let (op, url) = w.sign_in_by_redirect(t);
    w.tab(t).ok(op);
    let requests = w.op.requests.len();
    // Reload on the callback URL (or Back to it): the transaction is gone.
    w.reload(t);
    let requests_after_create = w.op.requests.len();
    assert_eq!(requests_after_create, requests + 1, "only discovery");
    let op = w.call(
        t,
        Call::HandleRedirectCallback {
            url,
            from_location: true,
        },
    );
    w.settle();
    assert_eq!(w.tab(t).err(op), "state_mismatch");
    assert_eq!(w.op.requests.len(), requests_after_create);
    // The session of the first sign-in is still there.
    assert!(w.tab(t).session().is_some());
}

#[test]
fn an_op_error_response_passes_its_code_through() {
    let mut w = World::new();
    let t = w.create_tab(config(StorageKind::Memory));
    w.go_to_op(t);
    let response =
        w.op.error_response(&w.tab(t).last_navigation(), "access_denied");
    w.reload(t);
    let op = w.come_back(t, &response.url(), true);
    w.settle();
    assert_eq!(w.tab(t).err(op), "access_denied");
    assert_eq!(w.op.count(Endpoint::Token), 0);
    assert!(
        w.tab(t).transactions().is_empty(),
        "the transaction is spent"
    );
    assert!(w.tab(t).session().is_none());
}

#[test]
fn a_fragment_response_signs_in_and_the_fragment_is_dropped() {
    let mut w = World::new();
    let mut cfg = config(StorageKind::Memory);
    cfg.response_mode = ResponseMode::Fragment;
    let t = w.create_tab(cfg);
    w.go_to_op(t);
    let url = w.tab(t).last_navigation();
    assert_eq!(
        query_param(&url, "response_mode").as_deref(),
        Some("fragment")
    );
    let response = w.op.authorize(&url);
    let callback = response.url();
    assert!(callback.contains('#'));
    w.reload(t);
    let op = w.come_back(t, &callback, true);
    w.settle();
    w.tab(t).ok(op);
    assert_eq!(w.tab(t).replaced, vec![REDIRECT_URI.to_owned()]);

    // A fragment response in the query is not what was asked for.
    w.go_to_op(t);
    let response = w.op.authorize(&w.tab(t).last_navigation());
    w.reload(t);
    let op = w.come_back(t, &response.query_url(), true);
    w.settle();
    assert_eq!(w.tab(t).err(op), "invalid_response");
}

/// A redirect URI whose own query repeats a name of the app's (RFC 6749 §3.1.2 keeps that
/// query): the response is read all the same, in the query or the fragment, and the address is
/// cleaned of the response alone.
#[test]
fn a_redirect_uri_repeating_a_name_of_its_own_still_takes_the_response() {
    let redirect = "https://app.example.com/cb?v=1&v=2";
    for mode in [ResponseMode::Fragment, ResponseMode::Query] {
        let mut w = World::new();
        let mut cfg = ClientConfig::new(ISSUER, CLIENT_ID, redirect)
            .scope(SCOPE)
            .storage(StorageKind::Memory);
        cfg.response_mode = mode;
        let t = w.create_tab(cfg);
        w.go_to_op(t);
        let response = w.op.authorize(&w.tab(t).last_navigation());
        let callback = match mode {
            ResponseMode::Fragment => format!("{redirect}#{}", response.body()),
            _ => format!("{redirect}&{}", response.body()),
        };
        w.reload(t);
        let op = w.come_back(t, &callback, true);
        w.settle();
        w.tab(t).ok(op);
        assert_eq!(w.op.count(Endpoint::Token), 1, "{mode:?}");
        assert_eq!(w.tab(t).replaced, vec![redirect.to_owned()], "{mode:?}");
    }
}

#[test]
fn a_form_post_response_is_picked_up_from_the_service_worker_once() {
    let mut w = World::new();
    let mut cfg = config(StorageKind::Memory);
    cfg.response_mode = ResponseMode::FormPost;
    let t = w.create_tab(cfg);
    w.go_to_op(t);
    let response = w.op.authorize(&w.tab(t).last_navigation());
    assert_eq!(response.mode, "form_post");
    let url = w.form_post(REDIRECT_URI, &response.body());
    w.reload(t);
    let op = w.come_back(t, &url.clone(), true);
    w.settle();
    w.tab(t).ok(op);
    assert_eq!(w.op.count(Endpoint::Pickup), 1);
    assert_eq!(w.tab(t).replaced, vec![REDIRECT_URI.to_owned()]);
    assert!(w.service_worker.is_empty(), "taken by the pick-up");
    // Another page with the same URL (a reload, Back): the worker has nothing left, which is a
    // spent callback like a spent state in the query.
    w.reload(t);
    let op = w.call(
        t,
        Call::HandleRedirectCallback {
            url,
            from_location: true,
        },
    );
    w.settle();
    assert_eq!(w.tab(t).err(op), "state_mismatch");
    assert_eq!(w.op.token_requests("authorization_code").len(), 1);
}

#[test]
fn handle_form_post_signs_in_from_the_posted_body() {
    let mut w = World::new();
    let mut cfg = config(StorageKind::Memory);
    cfg.response_mode = ResponseMode::FormPost;
    let t = w.create_tab(cfg);
    w.go_to_op(t);
    let response = w.op.authorize(&w.tab(t).last_navigation());
    w.reload(t);
    let op = w.call(t, Call::HandleFormPost(response.body()));
    w.settle();
    w.tab(t).ok(op);
    assert_eq!(w.tab(t).count("signedIn"), 1);
    assert!(w.tab(t).replaced.is_empty());
    // The same body again: the transaction is spent.
    let again = w.call(t, Call::HandleFormPost(response.body()));
    w.settle();
    assert_eq!(w.tab(t).err(again), "state_mismatch");
    assert_eq!(w.op.token_requests("authorization_code").len(), 1);
    // Back from the OP through the app's server: the app's next sign-in is not refused as a
    // redirect left at the OP.
    w.sign_out_locally(t);
    let op = redirect_unless_left(&mut w, t);
    w.tab(t).ok(op);
    assert_eq!(w.tab(t).navigations.len(), 1);
}

/// Two clients of one page (two OPs, or two client ids of one) whose sign-ins come back to the
/// same redirect URI: each reads only its own transactions. The other client's callback is not
/// one of its own (`state_mismatch`), and it neither spends that transaction nor sends the code
/// and its PKCE verifier to its own token endpoint (the mix-up of RFC 9700 §4.4: a client must
/// know which OP each of its requests went to).
#[test]
fn a_client_does_not_take_another_clients_transaction() {
    let mut w = World::new();
    let a = w.create_tab(config(StorageKind::Memory));
    w.go_to_op(a);
    let response = w.op.authorize(&w.tab(a).last_navigation());
    let callback = response.url();
    // The same page's other client: another client id at the same OP.
    let other = ClientConfig::new(ISSUER, "another-client", REDIRECT_URI)
        .scope(SCOPE)
        .storage(StorageKind::Memory);
    let b = w.copy_tab(a, other);
    let op = w.come_back(b, &callback, true);
    w.settle();
    assert_eq!(w.tab(b).err(op), "state_mismatch");
    assert_eq!(
        w.op.count(Endpoint::Token),
        0,
        "no code went to a token endpoint"
    );
    assert_eq!(
        w.tab(b).transactions().len(),
        1,
        "the other client's transaction is left"
    );
    // The client that made the request completes it.
    w.reload(a);
    let op = w.come_back(a, &callback, true);
    w.settle();
    w.tab(a).ok(op);
}

/// `signinRedirect` as the React binding's `<RequireAuth>` starts it (not the user).
fn redirect_unless_left(w: &mut World, t: usize) -> oidc_rp_wasm::core::machine::OpId {
    let op = w.call(
        t,
        Call::Signin {
            via: SigninVia::RedirectUnlessLeft,
            options: AuthorizeOptions::default(),
        },
    );
    w.settle();
    op
}

/// The user went to the OP and came back with Back to a page that loaded again (no
/// back/forward cache): a sign-in the app starts on its own is refused with `abandoned` once,
/// instead of sending Back to the OP again; the next one, and the user's own, go.
#[test]
fn a_redirect_left_at_the_op_refuses_the_apps_own_next_sign_in_once() {
    let mut w = World::new();
    let t = w.create_tab(config(StorageKind::Memory));
    let op = redirect_unless_left(&mut w, t);
    w.tab(t).ok(op);
    assert_eq!(w.tab(t).navigations.len(), 1, "nothing was left: to the OP");
    // Back: the page loads again, with no response.
    w.reload(t);
    let op = redirect_unless_left(&mut w, t);
    assert_eq!(w.tab(t).err(op), "abandoned");
    assert!(w.tab(t).navigations.is_empty());
    // The user's own sign-in goes, and so would the app's next one.
    w.go_to_op(t);
    assert_eq!(w.tab(t).navigations.len(), 1);
    w.reload(t);
    w.go_to_op(t);
    assert_eq!(
        w.tab(t).navigations.len(),
        1,
        "the user's sign-in is never refused"
    );
}

/// Back from the OP with a response, the redirect was not left: the app's next sign-in (after a
/// sign-out, say) goes to the OP. So does one long after a left one.
#[test]
fn a_redirect_answered_or_long_ago_does_not_refuse_the_apps_sign_in() {
    let mut w = World::new();
    let t = w.signed_in_tab(config(StorageKind::Memory));
    w.sign_out_locally(t);
    let op = redirect_unless_left(&mut w, t);
    w.tab(t).ok(op);
    assert_eq!(w.tab(t).navigations.len(), 1);

    let mut w = World::new();
    let t = w.create_tab(config(StorageKind::Memory));
    w.go_to_op(t);
    w.skip(600_000);
    w.reload(t);
    let op = redirect_unless_left(&mut w, t);
    w.tab(t).ok(op);
    assert_eq!(w.tab(t).navigations.len(), 1);
}
