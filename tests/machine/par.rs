//! Pushed authorization requests (RFC 9126): `pushedAuthorizationRequests` "auto", true and
//! false; the browser sees only `client_id` and `request_uri`; redirect, popup and hidden iframe;
//! the OP's error passed through.

use crate::common::*;
use crate::op::{oauth_error, Endpoint, OP_ORIGIN};
use crate::world::*;
use oidc_rp_wasm::core::config::{AuthorizeOptions, PushMode, StorageKind};
use oidc_rp_wasm::core::machine::{Call, Command, Outcome, SigninVia};

fn par_world() -> World {
    let mut w = World::new();
    w.op.par = true;
    w.op.require_par = true;
    w
}

/// The names of the query parameters of `url`.
fn names(url: &str) -> Vec<String> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    form_urlencoded::parse(query.as_bytes())
        .map(|(n, _)| n.into_owned())
        .collect()
}

#[test]
fn auto_pushes_when_the_op_requires_it_and_the_browser_sees_client_id_and_request_uri_only() {
    let mut w = par_world();
    let t = w.create_tab(config(StorageKind::Session));
    w.go_to_op(t);
    let url = w.tab(t).last_navigation();
    assert!(url.starts_with(&format!("{ISSUER}/authorize?")));
    assert_eq!(names(&url), ["client_id", "request_uri"]);
    assert_eq!(query_param(&url, "client_id").as_deref(), Some(CLIENT_ID));
    // The whole request went in the push, state and PKCE included.
    let push = &w.op.requests[w.op.requests.len() - 1];
    assert_eq!(push.endpoint, Endpoint::Par);
    for name in [
        "response_type",
        "client_id",
        "redirect_uri",
        "state",
        "nonce",
        "code_challenge",
    ] {
        assert!(push.field(name).is_some(), "{name} pushed");
    }
    // The transaction was stored before the page left; the sign-in completes.
    let response = w.op.authorize(&url);
    w.reload(t);
    let op = w.come_back(t, &response.url(), true);
    w.settle();
    w.tab(t).ok(op);
    assert_eq!(w.tab(t).event_names(), vec!["signedIn"]);
}

#[test]
fn authorize_url_hands_out_the_pushed_url() {
    let mut w = par_world();
    let t = w.create_tab(config(StorageKind::Session));
    let op = w.call(
        t,
        Call::Signin {
            via: SigninVia::Url,
            options: AuthorizeOptions::default(),
        },
    );
    w.settle();
    let Outcome::Url(url) = w.tab(t).ok(op) else {
        panic!("a URL")
    };
    assert_eq!(names(url), ["client_id", "request_uri"]);
    assert_eq!(w.op.count(Endpoint::Par), 1);
}

#[test]
fn auto_without_an_endpoint_and_false_do_not_push() {
    let mut w = World::new();
    w.signed_in_tab(config(StorageKind::Session));
    assert_eq!(w.op.count(Endpoint::Par), 0);
    let mut w = World::new();
    w.op.par = true;
    let mut never = config(StorageKind::Session);
    never.pushed_authorization_requests = PushMode::Never;
    let t = w.create_tab(never);
    w.go_to_op(t);
    assert_eq!(w.op.count(Endpoint::Par), 0);
    assert!(query_param(&w.tab(t).last_navigation(), "state").is_some());
}

#[test]
fn true_without_an_endpoint_is_invalid_config_at_create() {
    let mut w = World::new();
    let mut always = config(StorageKind::Memory);
    always.pushed_authorization_requests = PushMode::Always;
    let t = w.open_tab(always);
    let op = w.call(t, Call::Create);
    w.settle();
    assert_eq!(w.tab(t).err(op), "invalid_config");
}

#[test]
fn an_op_that_requires_pushing_refuses_false_and_a_missing_endpoint_at_create() {
    // RFC 9126 §5: such an OP refuses every front-channel request, so sending one would only
    // land the user on its error page.
    let mut w = World::new();
    w.op.par = true;
    w.op.require_par = true;
    let mut never = config(StorageKind::Memory);
    never.pushed_authorization_requests = PushMode::Never;
    let t = w.open_tab(never);
    let op = w.call(t, Call::Create);
    w.settle();
    assert_eq!(w.tab(t).err(op), "invalid_config");
    let message = w.tab(t).result(op).as_ref().err().map(ToString::to_string);
    assert!(
        message
            .as_deref()
            .is_some_and(|m| m.contains("requires pushed")),
        "{message:?}"
    );

    let mut w = World::new();
    w.op.require_par = true; // and no pushed_authorization_request_endpoint
    let t = w.open_tab(config(StorageKind::Memory));
    let op = w.call(t, Call::Create);
    w.settle();
    assert_eq!(w.tab(t).err(op), "invalid_config");
    assert_eq!(w.op.count(Endpoint::Par), 0);
}

#[test]
fn a_refused_push_fails_with_the_ops_code_and_spends_the_transaction() {
    let mut w = par_world();
    let t = w.create_tab(config(StorageKind::Session));
    w.op.override_next(Endpoint::Par, oauth_error(400, "invalid_request_object"));
    let op = w.call(
        t,
        Call::Signin {
            via: SigninVia::Redirect,
            options: AuthorizeOptions::default(),
        },
    );
    w.settle();
    assert_eq!(w.tab(t).err(op), "invalid_request_object");
    assert!(w.tab(t).navigations.is_empty());
    assert!(w.tab(t).transactions().is_empty());
}

#[test]
fn a_popup_opens_blank_within_the_call_and_is_sent_to_the_op_once_pushed() {
    let mut w = par_world();
    let t = w.create_tab(config(StorageKind::Memory));
    let op = w.call(
        t,
        Call::Signin {
            via: SigninVia::Popup { app_window: false },
            options: AuthorizeOptions::default(),
        },
    );
    // The call's own outputs: the popup is open before the push has answered.
    w.pump(t);
    assert_eq!(w.tab(t).windows[&op].url, "about:blank");
    let opened = w
        .tab(t)
        .position(|c| matches!(c, Command::OpenPopup { .. }));
    let pushed = w
        .tab(t)
        .position(|c| matches!(c, Command::Fetch(r) if r.url.ends_with("/par")));
    assert!(opened < pushed, "{opened:?} {pushed:?}");
    w.settle();
    let url = w.tab(t).windows[&op].url.clone();
    assert_eq!(names(&url), ["client_id", "request_uri"]);
    assert_eq!(
        w.tab(t)
            .commands_where(|c| matches!(c, Command::NavigateWindow { .. }))
            .len(),
        1
    );
    let response = w.op.authorize(&url);
    w.window_message(t, OP_ORIGIN, Some(op), response.web_message());
    w.tab(t).ok(op);
    assert!(w.tab(t).windows[&op].closed_by_machine);
}

#[test]
fn a_refused_push_closes_the_popup() {
    let mut w = par_world();
    let t = w.create_tab(config(StorageKind::Memory));
    w.op.override_next(Endpoint::Par, oauth_error(400, "invalid_request"));
    let op = w.call(
        t,
        Call::Signin {
            via: SigninVia::Popup { app_window: false },
            options: AuthorizeOptions::default(),
        },
    );
    w.settle();
    assert_eq!(w.tab(t).err(op), "invalid_request");
    assert!(w.tab(t).windows[&op].closed_by_machine);
}

#[test]
fn a_silent_sign_in_pushes_then_loads_the_iframe() {
    let mut w = par_world();
    let t = w.create_tab(config(StorageKind::Memory));
    let op = w.signin_silently(t);
    let push =
        w.op.requests
            .iter()
            .find(|r| r.endpoint == Endpoint::Par)
            .expect("a push");
    assert_eq!(push.field("prompt"), Some("none"));
    let url = w.tab(t).windows[&op].url.clone();
    assert_eq!(names(&url), ["client_id", "request_uri"]);
    let response = w.op.authorize(&url);
    w.window_message(t, OP_ORIGIN, Some(op), response.web_message());
    w.tab(t).ok(op);
}
