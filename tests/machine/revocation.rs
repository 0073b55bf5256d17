//! Token revocation on sign-out (RFC 7009): the refresh token, then the access token, before
//! the end-session redirect; a failed or hung revocation never holds the sign-out up.

use crate::common::*;
use crate::op::Endpoint;
use crate::world::*;
use oidc_rp_wasm::core::config::StorageKind;
use oidc_rp_wasm::core::machine::{Call, Command};
use oidc_rp_wasm::error::Error;

fn revoking_world() -> World {
    let mut w = World::new();
    w.op.revocation = true;
    w
}

#[test]
fn sign_out_revokes_the_refresh_token_then_the_access_token_before_the_redirect() {
    let mut w = revoking_world();
    let t = w.signed_in_tab(config(StorageKind::Session));
    let (access, refresh) = (w.tab(t).access_token(), w.tab(t).refresh_token().unwrap());
    w.signout_redirect(t);
    assert_eq!(
        w.op.revoked,
        vec![
            (refresh, "refresh_token".to_owned()),
            (access, "access_token".to_owned())
        ]
    );
    let revocations =
        w.op.requests
            .iter()
            .filter(|r| r.endpoint == Endpoint::Revocation);
    assert!(revocations
        .clone()
        .all(|r| r.field("client_id") == Some(CLIENT_ID)));
    let last_revocation = w
        .tab(t)
        .commands
        .iter()
        .rposition(|(_, c)| matches!(c, Command::Fetch(r) if r.url.ends_with("/revoke")))
        .unwrap();
    let navigation = w
        .tab(t)
        .position(|c| matches!(c, Command::Navigate { .. }))
        .unwrap();
    assert!(last_revocation < navigation);
    assert!(w.op.grants[0].revoked);
    assert!(w.tab(t).session().is_none());
}

#[test]
fn a_hung_revocation_holds_the_sign_out_up_for_one_deadline_per_request_at_most() {
    let mut w = revoking_world();
    let t = w.signed_in_tab(config(StorageKind::Session));
    w.op.hang.insert(Endpoint::Revocation);
    let start = w.now;
    let op = w.call(t, signout(true));
    w.settle();
    assert!(!w.tab(t).is_done(op));
    let timeout = i64::from(w.tab(t).config.request_timeout_ms);
    w.advance(2 * timeout);
    w.tab(t).ok(op);
    assert_eq!(w.tab(t).navigations.len(), 1);
    assert!(w.now - start <= 2 * timeout);
}

#[test]
fn a_failed_revocation_does_not_block_the_sign_out() {
    let mut w = revoking_world();
    let t = w.signed_in_tab(config(StorageKind::Local));
    w.op.override_next(Endpoint::Revocation, Err(Error::Network("down".into())));
    w.op.override_next(
        Endpoint::Revocation,
        crate::op::oauth_error(503, "temporarily_unavailable"),
    );
    w.signout_redirect(t);
    assert_eq!(w.op.count(Endpoint::Revocation), 2);
    assert_eq!(w.tab(t).navigations.len(), 1);
    assert!(w.tab(t).session().is_none());
}

#[test]
fn revoke_tokens_on_signout_false_and_an_op_without_the_endpoint_revoke_nothing() {
    let mut w = revoking_world();
    let mut off = config(StorageKind::Session);
    off.revoke_tokens_on_signout = Some(false);
    let t = w.signed_in_tab(off);
    w.signout_redirect(t);
    assert_eq!(w.op.count(Endpoint::Revocation), 0);

    let mut w = World::new();
    let t = w.signed_in_tab(config(StorageKind::Session));
    w.signout_redirect(t);
    assert_eq!(
        w.tab(t)
            .commands_where(|c| matches!(c, Command::Fetch(r) if r.url.contains("revoke")))
            .len(),
        0
    );
}

#[test]
fn while_the_revocations_are_out_the_session_is_gone_in_every_tab_and_nothing_refreshes() {
    // A refresh during the revocations would get a new refresh token that nothing revokes
    // (RFC 7009 §2.1): the sign-out comes first, the revocations use the tokens it ended.
    let mut w = revoking_world();
    let a = w.signed_in_tab(config(StorageKind::Local));
    let b = w.create_tab(config(StorageKind::Local));
    let refresh = w.tab(a).refresh_token().unwrap();
    w.op.hang.insert(Endpoint::Revocation);
    let op = w.call(a, signout(true));
    w.settle();
    assert!(
        !w.tab(a).is_done(op),
        "the refresh token's revocation is out"
    );
    assert!(w.tab(a).session().is_none());
    assert!(w.tab(b).session().is_none(), "the other tab heard");
    let asks = [w.call(a, Call::Refresh), w.call(b, Call::GetAccessToken)];
    w.settle();
    for (t, ask) in [a, b].into_iter().zip(asks) {
        assert_eq!(w.tab(t).err(ask), "no_session");
    }
    assert!(w.op.token_requests("refresh_token").is_empty());
    w.release(Endpoint::Revocation);
    w.tab(a).ok(op);
    assert_eq!(w.op.revoked[0], (refresh, "refresh_token".to_owned()));
    assert!(w
        .tab(a)
        .last_navigation()
        .starts_with(&format!("{ISSUER}/logout?")));
}

/// A refresh was at the token endpoint when the user signed out: the OP rotated the refresh
/// token and issued an access token that the sign-out's revocations did not name. The refresh's
/// answer is refused (signed out meanwhile), and its tokens are revoked too, in the background.
#[test]
fn the_tokens_of_a_refresh_answered_after_the_sign_out_are_revoked_too() {
    let mut w = revoking_world();
    let t = w.signed_in_tab(config(StorageKind::Session));
    w.op.hang.insert(Endpoint::Token);
    w.op.hang.insert(Endpoint::Revocation);
    let refresh = w.call(t, Call::Refresh);
    w.settle();
    let signout = w.call(t, signout(true));
    w.settle();
    w.release(Endpoint::Token);
    assert_eq!(w.tab(t).err(refresh), "no_session");
    // What the OP issued last: the refresh's tokens.
    let rotated = w.op.grants[0].current.clone();
    let access =
        w.op.secrets
            .iter()
            .rev()
            .find(|s| s.starts_with("at-"))
            .cloned()
            .unwrap();
    w.release(Endpoint::Revocation);
    w.tab(t).ok(signout);
    assert!(w.tab(t).session().is_none());
    let revoked: Vec<&str> =
        w.op.revoked
            .iter()
            .map(|(token, _)| token.as_str())
            .collect();
    assert!(revoked.contains(&rotated.as_str()), "{revoked:?}");
    assert!(revoked.contains(&access.as_str()), "{revoked:?}");
}

/// A sign-out in another tab while this tab writes its renewed session: the refresh token the OP
/// rotated in, which no tab will hold, is revoked too.
#[test]
fn the_rotated_refresh_token_of_a_save_a_sign_out_interrupted_is_revoked() {
    let mut w = World::new();
    w.op.revocation = true;
    let a = w.signed_in_tab(config(StorageKind::Local));
    let b = w.create_tab(config(StorageKind::Local));
    w.hold_shared_writes = true;
    let op = w.call(a, Call::Refresh);
    w.settle();
    assert!(!w.tab(a).is_done(op));
    w.signout_redirect(b);
    w.release_shared_writes();
    assert_eq!(w.tab(a).err(op), "no_session");
    let rotated = w.op.grants[0].current.clone();
    assert!(
        w.op.revoked.iter().any(|(token, _)| *token == rotated),
        "the rotated refresh token is revoked: {:?}",
        w.op.revoked
    );
}

/// A refused 200 (a rotated refresh token with an ID token of another subject) handled after a
/// sign-out: the rotated refresh token is not kept, and revoked.
#[test]
fn the_rotated_refresh_token_of_a_refused_refresh_answered_after_the_sign_out_is_revoked() {
    let mut w = World::new();
    w.op.revocation = true;
    let t = w.signed_in_tab(config(StorageKind::Session));
    w.op.hang.insert(Endpoint::Token);
    w.op.refuse_next_refresh = true;
    let op = w.call(t, Call::Refresh);
    w.settle();
    // The OP answers (rotating the refresh token); the answer is still on its way.
    w.freeze(t);
    w.release(Endpoint::Token);
    let answer = w.tab_mut(t).inbox.pop_front().expect("the token answer");
    w.unfreeze(t);
    w.signout_redirect(t);
    w.input(t, answer);
    w.settle();
    assert!(w.tab(t).result(op).is_err());
    let rotated = w.op.grants[0].current.clone();
    assert!(
        w.op.revoked.iter().any(|(token, _)| *token == rotated),
        "the rotated refresh token is revoked: {:?}",
        w.op.revoked
    );
}
