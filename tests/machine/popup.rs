//! Popup sign-ins: the window opened within the call, web_message and the callback page's
//! hand-over, a closed, blocked or forgotten popup.

use crate::common::*;
use crate::op::{Endpoint, OP_ORIGIN};
use crate::world::*;
use oidc_rp_wasm::core::config::{AuthorizeOptions, StorageKind};
use oidc_rp_wasm::core::machine::{Call, Command, OpId, SigninVia, POPUP_LOOK_EVERY_MS};
use serde_json::json;

fn popup(w: &mut World, t: usize) -> OpId {
    w.call(
        t,
        Call::Signin {
            via: SigninVia::Popup { app_window: false },
            options: AuthorizeOptions::default(),
        },
    )
}

fn popup_url(w: &World, t: usize, op: OpId) -> String {
    w.tab(t).windows.get(&op).expect("the popup").url.clone()
}

#[test]
fn signin_popup_opens_the_popup_within_the_call() {
    let mut w = World::new();
    let t = w.create_tab(config(StorageKind::Memory));
    let op = popup(&mut w, t);
    // Only the call's own outputs: no answer has been fed yet.
    w.pump(t);
    assert!(!w.tab(t).inbox.is_empty(), "answers are still waiting");
    let opened = w.tab(t).commands_where(
        |c| matches!(c, Command::OpenPopup { op: o, app_window: false, .. } if *o == op),
    );
    assert_eq!(opened.len(), 1);
    let url = popup_url(&w, t, op);
    assert_eq!(
        query_param(&url, "response_mode").as_deref(),
        Some("web_message")
    );
    assert_eq!(
        query_param(&url, "redirect_uri").as_deref(),
        Some(REDIRECT_URI)
    );
    let state = query_param(&url, "state").unwrap();
    assert!(w.tab(t).transactions().contains(&tx_key(&state)));
    assert!(!w.tab(t).is_done(op));
}

#[test]
fn a_web_message_from_the_popup_signs_in_and_closes_it() {
    let mut w = World::new();
    let t = w.create_tab(config(StorageKind::Memory));
    let op = popup(&mut w, t);
    w.settle();
    let response = w.op.authorize(&popup_url(&w, t, op));
    w.window_message(t, OP_ORIGIN, Some(op), response.web_message());
    w.tab(t).ok(op);
    assert!(w.tab(t).windows[&op].closed_by_machine);
    assert_eq!(w.tab(t).event_names(), vec!["signedIn"]);
    assert!(w.tab(t).transactions().is_empty());
    assert_eq!(w.op.token_requests("authorization_code").len(), 1);
}

#[test]
fn stray_window_messages_are_ignored() {
    let mut w = World::new();
    let t = w.create_tab(config(StorageKind::Memory));
    let op = popup(&mut w, t);
    w.settle();
    let url = popup_url(&w, t, op);
    let response = w.op.authorize(&url);
    let good = response.web_message();
    // From the app's own origin, from no window, from another window.
    w.window_message(t, APP_ORIGIN, Some(op), good.clone());
    w.window_message(t, OP_ORIGIN, None, good.clone());
    w.window_message(t, OP_ORIGIN, Some(op + 100), good.clone());
    w.window_message(
        t,
        "https://op.example.com.evil.example",
        Some(op),
        good.clone(),
    );
    // Not a response at all.
    w.window_message(t, OP_ORIGIN, Some(op), to_json(&json!({ "type": "ping" })));
    w.window_message(
        t,
        OP_ORIGIN,
        Some(op),
        to_json(&json!("authorization_response")),
    );
    assert!(!w.tab(t).is_done(op), "nothing completed or aborted it");
    assert_eq!(w.op.count(Endpoint::Token), 0);
    assert!(!w.tab(t).windows[&op].closed);
    // The real one still completes it.
    w.window_message(t, OP_ORIGIN, Some(op), good);
    w.tab(t).ok(op);
}

/// A response with another state from the sign-in's own window (a response or an error): the
/// app handed that window to another sign-in too (a double click on a button that opens one
/// named window), whose request the window now shows. This sign-in ends `popup_closed` at once
/// instead of waiting for a response that went to the other, and leaves the window to it.
#[test]
fn a_response_for_another_state_from_the_popup_ends_the_sign_in_and_leaves_the_window() {
    for error in [false, true] {
        let mut w = World::new();
        let t = w.create_tab(config(StorageKind::Memory));
        let op = popup(&mut w, t);
        w.settle();
        let url = popup_url(&w, t, op);
        let message = if error {
            let mut refusal = w.op.error_response(&url, "access_denied");
            refusal.params[2].1 = "someone-elses-state".into();
            refusal.web_message()
        } else {
            let mut other = w.op.authorize(&url);
            other.params[1].1 = "someone-elses-state".into();
            other.web_message()
        };
        w.window_message(t, OP_ORIGIN, Some(op), message);
        assert_eq!(w.tab(t).err(op), "popup_closed", "error: {error}");
        assert!(!w.tab(t).windows[&op].closed_by_machine, "error: {error}");
        assert_eq!(w.op.count(Endpoint::Token), 0);
    }
}

#[test]
fn a_coop_severed_popup_completes_by_the_callback_page_hand_over() {
    let mut w = World::new();
    let t = w.create_tab(config(StorageKind::Memory).silent_redirect_uri(SILENT_URI));
    let op = popup(&mut w, t);
    w.settle();
    let url = popup_url(&w, t, op);
    assert_eq!(
        query_param(&url, "redirect_uri").as_deref(),
        Some(SILENT_URI)
    );
    assert_eq!(query_param(&url, "response_mode"), None, "query");
    let state = query_param(&url, "state").unwrap();
    let channel = w.tab(t).handovers[&op].clone();
    assert!(channel.ends_with(&state));
    // The OP's page sends Cross-Origin-Opener-Policy: the handle reads closed at once.
    w.tab_mut(t).windows.get_mut(&op).unwrap().closed = true;
    w.advance(POPUP_LOOK_EVERY_MS);
    assert_eq!(w.tab(t).windows[&op].looks, 1);
    w.advance(60_000);
    assert!(!w.tab(t).is_done(op), "still waiting for the hand-over");
    assert_eq!(w.tab(t).windows[&op].looks, 1, "no more looks once severed");
    // The user signs in; the callback page, with no opener, hands over.
    let response = w.op.authorize(&url);
    let callback = response.url();
    assert!(callback.starts_with(SILENT_URI));
    // A hand-over for another state is not heard on this channel.
    w.handover(
        t,
        "oidc-rp-wasm:callback:other",
        response.handover(&callback),
    );
    assert!(!w.tab(t).is_done(op));
    w.handover(t, &channel, response.handover(&callback));
    w.tab(t).ok(op);
    assert_eq!(w.tab(t).count("signedIn"), 1);
}

#[test]
fn a_web_message_popup_cut_off_by_coop_is_popup_closed_at_once() {
    // No silent redirect URI: the popup uses web_message, whose OP page posts to the opener.
    let mut w = World::new();
    let t = w.create_tab(config(StorageKind::Memory));
    let op = popup(&mut w, t);
    w.settle();
    assert_eq!(
        query_param(&popup_url(&w, t, op), "response_mode").as_deref(),
        Some("web_message")
    );
    // The OP's page sends Cross-Origin-Opener-Policy: the handle reads closed at once, and the
    // page has no opener to post to, so nothing can ever come back.
    w.tab_mut(t).windows.get_mut(&op).unwrap().closed = true;
    w.advance(POPUP_LOOK_EVERY_MS);
    assert!(!w.tab(t).is_done(op), "one look of grace");
    w.advance(POPUP_LOOK_EVERY_MS);
    assert_eq!(w.tab(t).err(op), "popup_closed");
    assert!(w.tab(t).transactions().is_empty());
    assert_eq!(w.tab(t).machine.poll_timeout(), None);
}

#[test]
fn the_callback_page_can_post_to_its_opener_too() {
    let mut w = World::new();
    let t = w.create_tab(config(StorageKind::Memory).silent_redirect_uri(SILENT_URI));
    let op = popup(&mut w, t);
    w.settle();
    let response = w.op.authorize(&popup_url(&w, t, op));
    let callback = response.url();
    // From the OP's origin it is not the callback page.
    w.window_message(t, OP_ORIGIN, Some(op), response.callback_message(&callback));
    assert!(!w.tab(t).is_done(op));
    w.window_message(
        t,
        APP_ORIGIN,
        Some(op),
        response.callback_message(&callback),
    );
    w.tab(t).ok(op);
}

#[test]
fn a_popup_the_user_closed_is_popup_closed_and_spends_the_transaction() {
    let mut w = World::new();
    let t = w.create_tab(config(StorageKind::Memory));
    let op = popup(&mut w, t);
    w.settle();
    assert_eq!(w.tab(t).transactions().len(), 1);
    // The OP's page shows in the popup, and is seen there on two looks in a row.
    w.tab_mut(t).windows.get_mut(&op).unwrap().cross_origin = true;
    w.advance(2 * POPUP_LOOK_EVERY_MS);
    // The user closes it: one closed look could be the OP's page closing after it answered...
    w.tab_mut(t).windows.get_mut(&op).unwrap().closed = true;
    w.advance(POPUP_LOOK_EVERY_MS);
    assert!(!w.tab(t).is_done(op));
    // ...a second one is the user.
    w.advance(POPUP_LOOK_EVERY_MS);
    assert_eq!(w.tab(t).err(op), "popup_closed");
    assert!(w.tab(t).transactions().is_empty());
    assert_eq!(w.op.count(Endpoint::Token), 0);
    // Nothing is looked at any more.
    let looks = w.tab(t).windows[&op].looks;
    w.advance(10 * POPUP_LOOK_EVERY_MS);
    assert_eq!(w.tab(t).windows[&op].looks, looks);
    assert_eq!(w.tab(t).machine.poll_timeout(), None);
}

#[test]
fn a_blocked_popup_is_popup_blocked() {
    let mut w = World::new();
    let t = w.create_tab(config(StorageKind::Memory));
    w.tab_mut(t).block_popups = true;
    let op = popup(&mut w, t);
    w.settle();
    assert_eq!(w.tab(t).err(op), "popup_blocked");
    assert!(w.tab(t).transactions().is_empty());
    assert_eq!(w.tab(t).machine.poll_timeout(), None);
}

#[test]
fn a_popup_nobody_answers_times_out_after_the_transaction_lifetime() {
    let mut w = World::new();
    let t = w.create_tab(config(StorageKind::Memory));
    let op = popup(&mut w, t);
    w.settle();
    w.tab_mut(t).windows.get_mut(&op).unwrap().cross_origin = true;
    let lifetime_ms = oidc_rp_wasm::core::config::TRANSACTION_LIFETIME * 1000;
    w.advance(lifetime_ms - 1_000);
    assert!(!w.tab(t).is_done(op), "a person may take minutes");
    w.advance(1_000);
    assert_eq!(w.tab(t).err(op), "timeout");
    assert!(w.tab(t).windows[&op].closed_by_machine);
    assert!(w.tab(t).transactions().is_empty());
    // A response that comes after the timeout completes nothing.
    let response = w.op.authorize(&popup_url(&w, t, op));
    w.window_message(t, OP_ORIGIN, Some(op), response.web_message());
    assert_eq!(w.op.count(Endpoint::Token), 0);
    assert!(w.tab(t).session().is_none());
    let _ = ISSUER;
}

#[test]
fn the_apps_own_window_is_used_even_where_popups_are_blocked() {
    let mut w = World::new();
    let t = w.create_tab(config(StorageKind::Memory));
    w.tab_mut(t).block_popups = true;
    let op = w.call(
        t,
        Call::Signin {
            via: SigninVia::Popup { app_window: true },
            options: AuthorizeOptions::default(),
        },
    );
    w.settle();
    let window = w.tab(t).windows[&op].clone();
    assert!(window.popup && window.app_window);
    let response = w.op.authorize(&window.url);
    w.window_message(t, OP_ORIGIN, Some(op), response.web_message());
    w.tab(t).ok(op);
    assert!(w.tab(t).windows[&op].closed_by_machine);
}

#[test]
fn a_form_post_popup_completes_by_the_body_the_callback_page_hands_over() {
    let mut w = World::new();
    let mut cfg = config(StorageKind::Memory).silent_redirect_uri(SILENT_URI);
    cfg.response_mode = oidc_rp_wasm::core::params::ResponseMode::FormPost;
    let t = w.create_tab(cfg);
    let op = popup(&mut w, t);
    w.settle();
    let url = popup_url(&w, t, op);
    assert_eq!(
        query_param(&url, "response_mode").as_deref(),
        Some("form_post")
    );
    let response = w.op.authorize(&url);
    let channel = w.tab(t).handovers[&op].clone();
    // The callback page picked the body up from the service worker and, with no opener, hands
    // it over.
    let data = to_json(&json!({
        "type": "oidc-rp-wasm:callback",
        "state": response.state(),
        "formPost": response.body(),
    }));
    w.handover(t, &channel, data);
    w.tab(t).ok(op);
    assert!(w.tab(t).windows[&op].closed_by_machine);
    assert!(
        w.tab(t).handovers.is_empty(),
        "the hand-over channel closed with the popup"
    );
}

#[test]
fn a_popup_closed_by_the_user_lets_go_of_its_hand_over_channel() {
    let mut w = World::new();
    let t = w.create_tab(config(StorageKind::Memory).silent_redirect_uri(SILENT_URI));
    let op = popup(&mut w, t);
    w.settle();
    assert_eq!(w.tab(t).handovers.len(), 1);
    w.tab_mut(t).windows.get_mut(&op).unwrap().cross_origin = true;
    w.advance(2 * POPUP_LOOK_EVERY_MS);
    w.tab_mut(t).windows.get_mut(&op).unwrap().closed = true;
    w.advance(2 * POPUP_LOOK_EVERY_MS);
    assert_eq!(w.tab(t).err(op), "popup_closed");
    assert!(
        w.tab(t).handovers.is_empty(),
        "the channel is closed with the window"
    );
}
