//! DPoP (RFC 9449): the key (stored as a key object per issuer and client id, for the page with
//! `memory`, replaced on sign-out), `dpop_jkt`, a proof on every token request, the nonce retry
//! (once), the binding checks.

use crate::common::*;
use crate::op::{oauth_error, Endpoint};
use crate::world::*;
use oidc_rp_wasm::core::config::{ClientConfig, StorageKind};
use oidc_rp_wasm::core::dpop::thumbprint;
use oidc_rp_wasm::core::machine::{Call, Command, Input, OpId, Outcome, PageEvent, SigninVia};
use oidc_rp_wasm::core::token::TokenType;

fn dpop(storage: StorageKind) -> ClientConfig {
    let mut c = config(storage);
    c.dpop = true;
    c
}

fn key_name() -> String {
    format!("{}:dpop", session_key())
}

/// The thumbprint of the key tab `t` holds.
fn held_jkt(w: &World, t: usize) -> String {
    let jwk = public_jwk_of(&w.tab(t).keys[&key_name()]);
    thumbprint(
        jwk.get("x").unwrap().as_str().unwrap(),
        jwk.get("y").unwrap().as_str().unwrap(),
    )
}

/// The thumbprint of the key in the store.
fn stored_jkt(w: &World) -> String {
    let jwk = public_jwk_of(&w.key_store[&key_name()]);
    thumbprint(
        jwk.get("x").unwrap().as_str().unwrap(),
        jwk.get("y").unwrap().as_str().unwrap(),
    )
}

/// Tab A signed in, tab B created beside it (`local` storage), then A signed out locally (which
/// replaced the key). Returns A and B.
fn signed_out_with_another_tab_open(w: &mut World) -> (usize, usize) {
    let a = w.signed_in_tab(dpop(StorageKind::Local));
    let b = w.create_tab(dpop(StorageKind::Local));
    w.sign_out_locally(a);
    (a, b)
}

fn refresh(w: &mut World, t: usize) -> u32 {
    let op = w.call(t, Call::Refresh);
    w.settle();
    op
}

#[test]
fn every_token_request_carries_a_proof_and_the_session_is_bound() {
    let mut w = World::new();
    let t = w.create_tab(dpop(StorageKind::Session));
    w.go_to_op(t);
    let jkt = held_jkt(&w, t);
    let url = w.tab(t).last_navigation();
    assert_eq!(query_param(&url, "dpop_jkt").as_deref(), Some(jkt.as_str()));
    let response = w.op.authorize(&url);
    w.reload(t);
    let op = w.come_back(t, &response.url(), true);
    w.settle();
    w.tab(t).ok(op);
    let session = w.tab(t).session().unwrap();
    assert_eq!(session.token_type, TokenType::DPoP);
    assert_eq!(session.dpop_jkt.as_deref(), Some(jkt.as_str()));
    assert_eq!(w.op.grants[0].jkt.as_deref(), Some(jkt.as_str()));
    let op = refresh(&mut w, t);
    w.tab(t).ok(op);
    // The fake OP checked typ, alg, jwk, the signature, htm, htu and iat of each.
    assert_eq!(w.op.proofs.len(), 2);
    for proof in &w.op.proofs {
        assert_eq!(proof["htm"], "POST");
        assert_eq!(proof["htu"], format!("{ISSUER}/token"));
        assert_eq!(proof["iat"], NOW);
        assert!(proof.get("ath").is_none());
    }
    assert_ne!(w.op.proofs[0]["jti"], w.op.proofs[1]["jti"]);
    assert!(w
        .op
        .token_requests("refresh_token")
        .iter()
        .all(|r| r.dpop.is_some()));
}

#[test]
fn a_nonce_demand_gets_exactly_one_retry_and_the_newest_nonce_is_kept() {
    let mut w = World::new();
    w.op.dpop_nonce = Some("n-1".into());
    let t = w.signed_in_tab(dpop(StorageKind::Memory));
    let codes = w.op.token_requests("authorization_code");
    assert_eq!(
        codes.len(),
        2,
        "refused without the nonce, then accepted with it"
    );
    assert_eq!(w.op.proofs.len(), 1);
    assert_eq!(w.op.proofs[0]["nonce"], "n-1");
    // The nonce is remembered: the next request carries it at once.
    let op = refresh(&mut w, t);
    w.tab(t).ok(op);
    assert_eq!(w.op.token_requests("refresh_token").len(), 1);
    assert_eq!(w.op.proofs[1]["nonce"], "n-1");
    // The server moves on: one retry with the new nonce.
    w.op.dpop_nonce = Some("n-2".into());
    let op = refresh(&mut w, t);
    w.tab(t).ok(op);
    assert_eq!(w.op.token_requests("refresh_token").len(), 3);
    assert_eq!(w.op.proofs[2]["nonce"], "n-2");
    // A server that keeps refusing gets one retry only.
    for nonce in ["n-3", "n-4"] {
        let mut reply = oauth_error(400, "use_dpop_nonce");
        reply.as_mut().unwrap().dpop_nonce = Some(nonce.into());
        w.op.override_next(Endpoint::Token, reply);
    }
    let op = refresh(&mut w, t);
    assert_eq!(w.tab(t).err(op), "use_dpop_nonce");
    assert_eq!(w.op.token_requests("refresh_token").len(), 5);
}

#[test]
fn a_nonce_error_without_a_nonce_is_not_retried() {
    let mut w = World::new();
    let t = w.signed_in_tab(dpop(StorageKind::Memory));
    w.op.override_next(Endpoint::Token, oauth_error(400, "use_dpop_nonce"));
    let op = refresh(&mut w, t);
    assert_eq!(w.tab(t).err(op), "use_dpop_nonce");
    assert_eq!(w.op.token_requests("refresh_token").len(), 1);
}

#[test]
fn a_nonce_demand_after_the_key_went_is_dpop_key_changed_not_a_hang() {
    // The refresh's request is out when this tab signs out, which replaces the key (here the
    // new one cannot be made: no WebCrypto any more). The OP then demands a nonce: the retry
    // would need the key the refresh token is bound to, which is gone.
    let mut w = World::new();
    let t = w.signed_in_tab(dpop(StorageKind::Memory));
    w.op.dpop_nonce = Some("n-1".into());
    w.op.hang.insert(Endpoint::Token);
    let op = w.call(t, Call::Refresh);
    w.settle();
    assert_eq!(w.held(Endpoint::Token), 1);
    w.no_webcrypto = true;
    w.sign_out_locally(t);
    w.release(Endpoint::Token);
    assert_eq!(w.tab(t).err(op), "dpop_key_changed");
    assert_eq!(w.op.token_requests("refresh_token").len(), 1, "no retry");

    // A new key in the meantime: the retry is not signed with it either.
    let mut w = World::new();
    let t = w.signed_in_tab(dpop(StorageKind::Memory));
    w.op.dpop_nonce = Some("n-1".into());
    w.op.hang.insert(Endpoint::Token);
    let op = w.call(t, Call::Refresh);
    w.settle();
    w.sign_out_locally(t);
    w.release(Endpoint::Token);
    assert_eq!(w.tab(t).err(op), "dpop_key_changed");
    assert_eq!(w.op.token_requests("refresh_token").len(), 1, "no retry");
}

#[test]
fn the_userinfo_check_on_refresh_presents_a_bound_token_with_its_proof_and_takes_a_nonce() {
    // RFC 9449 §7.1: a DPoP-bound access token goes as `Authorization: DPoP` with a proof of the
    // same key carrying `ath`; as Bearer the UserInfo endpoint refuses it, and every refresh
    // would fail with the new tokens thrown away.
    let mut w = World::new();
    let mut cfg = dpop(StorageKind::Session);
    cfg.check_userinfo_on_refresh = true;
    let t = w.signed_in_tab(cfg);
    let op = refresh(&mut w, t);
    w.tab(t).ok(op);
    assert_eq!(w.op.count(Endpoint::Userinfo), 1);
    assert_eq!(w.op.userinfo_proofs.len(), 1);
    let proof = &w.op.userinfo_proofs[0];
    assert_eq!(proof["htm"], "GET");
    assert_eq!(proof["htu"], format!("{ISSUER}/userinfo"));
    // Its key is the one the session is bound to (the fake OP checked it, and ath).
    assert_eq!(w.tab(t).session().unwrap().dpop_jkt, Some(held_jkt(&w, t)));

    // A UserInfo endpoint that wants a nonce (§9): 401 with DPoP-Nonce, one retry carrying it.
    w.op.userinfo_nonce = Some("u-1".into());
    let op = refresh(&mut w, t);
    w.tab(t).ok(op);
    assert_eq!(w.op.count(Endpoint::Userinfo), 3);
    assert_eq!(w.op.userinfo_proofs.len(), 2);
    assert_eq!(w.op.userinfo_proofs[1]["nonce"], "u-1");
    assert_ne!(
        w.op.userinfo_proofs[0]["jti"],
        w.op.userinfo_proofs[1]["jti"]
    );
    assert_eq!(w.op.replays, 0);
}

#[test]
fn a_refresh_answered_with_a_bearer_token_is_dpop_not_bound_and_keeps_the_rotated_refresh_token() {
    // The OP rotated the refresh token and answered 200 with token_type Bearer: refused (§5),
    // but the rotated refresh token is the one to present next; the spent one would be a
    // replay, which revokes the grant (RFC 9700 §4.14.2).
    let mut w = World::new();
    let t = w.signed_in_tab(dpop(StorageKind::Session));
    let at = w.tab(t).access_token();
    w.op.bearer_only = true;
    let op = refresh(&mut w, t);
    assert_eq!(w.tab(t).err(op), "dpop_not_bound");
    assert_eq!(w.tab(t).access_token(), at, "the bound token is kept");
    assert_eq!(
        w.tab(t).refresh_token(),
        Some(w.op.grants[0].current.clone())
    );
    w.op.bearer_only = false;
    let op = refresh(&mut w, t);
    w.tab(t).ok(op);
    assert_eq!(w.op.replays, 0);
    assert!(!w.op.grants[0].revoked);
}

#[test]
fn a_bearer_token_when_dpop_is_on_is_dpop_not_bound() {
    let mut w = World::new();
    w.op.bearer_only = true;
    let t = w.create_tab(dpop(StorageKind::Memory));
    let (op, _) = w.sign_in_by_redirect(t);
    assert_eq!(w.tab(t).err(op), "dpop_not_bound");
    assert!(w.tab(t).session().is_none());
}

#[test]
fn the_key_survives_a_reload_and_the_bound_refresh_token_is_used_with_it() {
    let mut w = World::new();
    let t = w.signed_in_tab(dpop(StorageKind::Session));
    let jkt = held_jkt(&w, t);
    w.reload(t);
    assert_eq!(
        held_jkt(&w, t),
        jkt,
        "the stored key object is loaded, not a new one"
    );
    assert_eq!(
        w.tab(t)
            .commands_where(|c| matches!(c, Command::GenerateKey { .. }))
            .len(),
        0
    );
    let op = refresh(&mut w, t);
    w.tab(t).ok(op);
    assert_eq!(
        w.tab(t).session().unwrap().dpop_jkt.as_deref(),
        Some(jkt.as_str())
    );
    // Nothing readable as text holds key material: the key is only ever a key object.
    let d = {
        let key = &w.tab(t).keys[&key_name()];
        oidc_rp_wasm::core::base64url::encode(&key.to_bytes())
    };
    let texts = w
        .tab(t)
        .session_storage
        .values()
        .chain(w.local_storage.values())
        .chain(w.indexed_db.values());
    for text in texts {
        assert!(!text.contains(&d) && !text.contains("\"d\""));
    }
}

/// IndexedDB never answers as the page loads: the stored key cannot be read, so `create`
/// goes on after one `request_timeout_ms` with a new key, as when the store cannot be read at
/// all, instead of never resolving.
#[test]
fn a_hung_indexed_db_delays_create_by_one_deadline_and_a_new_key_is_made() {
    let mut w = World::new();
    let t = w.signed_in_tab(dpop(StorageKind::Session));
    let jkt = held_jkt(&w, t);
    w.hung_indexed_db = true;
    w.drop_tab(t);
    let t = w.open_tab(dpop(StorageKind::Session));
    let op = w.call(t, Call::Create);
    w.settle();
    assert!(!w.tab(t).is_done(op), "waiting for the stored key");
    w.advance(10_000);
    w.tab(t).ok(op);
    assert_ne!(held_jkt(&w, t), jkt, "a new key");
}

/// A refresh token bound to a lost key is never sent; a silent sign-in then renews in the hidden
/// iframe, as for a refused grant, and the new sign-in binds its tokens to the key the tab holds.
#[test]
fn a_refresh_token_bound_to_a_lost_key_is_never_sent_and_a_silent_sign_in_renews_in_the_iframe() {
    let mut w = World::new();
    let t = w.signed_in_tab(dpop(StorageKind::Session));
    // The stored key is gone (storage cleared): the reload makes a new one.
    w.key_store.clear();
    w.reload(t);
    let op = refresh(&mut w, t);
    assert_eq!(w.tab(t).err(op), "dpop_key_changed");
    assert_eq!(w.op.token_requests("refresh_token").len(), 0);
    let op = w.signin_silently(t);
    assert!(!w.tab(t).is_done(op), "in the iframe");
    w.answer_window(t, op);
    w.settle();
    w.tab(t).ok(op);
    assert_eq!(w.op.token_requests("refresh_token").len(), 0);
    let session = w.tab(t).session().expect("renewed").clone();
    assert_eq!(session.dpop_jkt.as_deref(), Some(held_jkt(&w, t).as_str()));
    // Its refresh token serves again.
    let op = refresh(&mut w, t);
    w.tab(t).ok(op);
    // A bound refresh token is not sent by a client without DPoP either.
    let mut w2 = World::new();
    let t2 = w2.signed_in_tab(dpop(StorageKind::Session));
    w2.tab_mut(t2).config.dpop = false;
    w2.reload(t2);
    let op = refresh(&mut w2, t2);
    assert_eq!(w2.tab(t2).err(op), "dpop_key_changed");
    assert_eq!(w2.op.token_requests("refresh_token").len(), 0);
}

/// A popup sign-in's token request left signed by the key a sign-out in another tab then
/// replaced: its tokens are bound to a key this tab no longer holds, so the sign-in fails with
/// `dpop_key_changed` instead of keeping a session that every proof and refresh would fail.
/// The key can go at either point of the code flow: while the token request is out, or after
/// its answer while the JWK Set is still coming.
#[test]
fn a_sign_in_whose_key_went_while_its_flow_ran_is_dpop_key_changed() {
    for hung in [Endpoint::Token, Endpoint::Jwks] {
        let mut w = World::new();
        let a = w.signed_in_tab(dpop(StorageKind::Session));
        let b = w.create_tab(dpop(StorageKind::Session));
        let op = popup_signin(&mut w, b);
        w.op.hang.insert(hung);
        w.answer_window(b, op);
        w.settle();
        let signed_with = held_jkt(&w, b);
        w.sign_out_locally(a);
        assert_ne!(held_jkt(&w, b), signed_with, "B took the new key");
        w.release(hung);
        w.settle();
        assert_eq!(w.tab(b).err(op), "dpop_key_changed", "{hung:?}");
        assert!(w.tab(b).session().is_none());
    }
}

/// A wake-up while the token request is out loads the same key again: the sign-in is not
/// taken for one whose key changed, and its session is bound to that key.
#[test]
fn a_wake_up_during_a_sign_ins_token_request_keeps_the_sign_in() {
    let mut w = World::new();
    let t = w.create_tab(dpop(StorageKind::Session));
    let op = popup_signin(&mut w, t);
    w.op.hang.insert(Endpoint::Token);
    w.answer_window(t, op);
    w.settle();
    let signed_with = held_jkt(&w, t);
    // The popup closes and the opener shows again: the key is read back from IndexedDB, and
    // the token endpoint answers before that read does.
    w.input(t, Input::Page(PageEvent::Visible));
    w.release(Endpoint::Token);
    w.settle();
    w.tab(t).ok(op);
    assert_eq!(held_jkt(&w, t), signed_with);
    let session = w.tab(t).session().expect("signed in");
    assert_eq!(session.dpop_jkt.as_deref(), Some(signed_with.as_str()));
    assert_eq!(
        w.op.grants.last().unwrap().jkt.as_deref(),
        Some(signed_with.as_str())
    );
}

fn popup_signin(w: &mut World, t: usize) -> OpId {
    let op = w.call(
        t,
        Call::Signin {
            via: SigninVia::Popup { app_window: false },
            options: Default::default(),
        },
    );
    w.settle();
    op
}

#[test]
fn sign_out_removes_the_key_and_makes_another() {
    let mut w = World::new();
    let t = w.signed_in_tab(dpop(StorageKind::Local));
    let before = held_jkt(&w, t);
    w.sign_out_locally(t);
    assert!(
        w.tab(t)
            .commands_where(|c| matches!(c, Command::RemoveKey { .. }))
            .len()
            == 1
    );
    let after = held_jkt(&w, t);
    assert_ne!(before, after);
    assert_eq!(stored_jkt(&w), after);
}

/// Found by `schedules.rs` (seed 1044): a sign-out in one tab replaces the key there; a later
/// sign-in binds the new session to the new key. Another tab that takes that session must take
/// the key with it, or it can neither refresh (`dpop_key_changed`) nor prove its requests.
#[test]
fn a_tab_that_takes_a_session_bound_to_a_new_key_loads_that_key() {
    let mut w = World::new();
    let (a, b) = signed_out_with_another_tab_open(&mut w);
    let (op, _) = w.sign_in_by_redirect(a);
    w.tab(a).ok(op);
    assert_eq!(w.tab(b).access_token(), w.tab(a).access_token());
    assert_eq!(held_jkt(&w, b), held_jkt(&w, a));
    w.advance(60_000);
    let op = refresh(&mut w, b);
    w.tab(b).ok(op);
    assert_eq!(w.tab(b).session().unwrap().dpop_jkt, Some(held_jkt(&w, a)));
    assert_eq!(w.op.replays, 0);
}

/// Tab A signs out (its key is removed from the store and replaced); the user then signs in in
/// tab B. B's authorization request must name the stored key, the one B's page holds after the
/// redirect, or the OP refuses the code (§10: a code bound by `dpop_jkt` is only exchanged with a
/// proof of that key).
#[test]
fn a_sign_in_in_another_tab_after_a_sign_out_here_uses_the_stored_key() {
    let mut w = World::new();
    let (a, b) = signed_out_with_another_tab_open(&mut w);
    assert!(w.tab(b).session().is_none());
    let (op, _) = w.sign_in_by_redirect(b);
    w.tab(b).ok(op);
    assert_eq!(w.tab(b).session().unwrap().dpop_jkt, Some(held_jkt(&w, a)));

    // The same by popup: the session B binds in its page must be to the key a reload finds.
    let mut w = World::new();
    let (_, b) = signed_out_with_another_tab_open(&mut w);
    let op = w.call(
        b,
        Call::Signin {
            via: SigninVia::Popup { app_window: false },
            options: Default::default(),
        },
    );
    w.settle();
    w.answer_window(b, op);
    w.settle();
    w.tab(b).ok(op);
    assert_eq!(w.tab(b).session().unwrap().dpop_jkt, Some(stored_jkt(&w)));
    w.reload(b);
    w.advance(60_000);
    let op = refresh(&mut w, b);
    w.tab(b).ok(op);
}

#[test]
fn with_memory_storage_the_key_lives_for_the_page() {
    let mut w = World::new();
    let t = w.signed_in_tab(dpop(StorageKind::Memory));
    assert!(w.key_store.is_empty());
    assert_eq!(
        w.tab(t)
            .commands_where(|c| matches!(c, Command::LoadKey { .. } | Command::StoreKey { .. }))
            .len(),
        0
    );
    assert_eq!(w.tab(t).session().unwrap().token_type, TokenType::DPoP);
    // The redirect left the page and its key: that request named no key (the token request's
    // proof bound the code); a popup stays in the page, so its request names the key.
    let first = &w
        .op
        .requests
        .iter()
        .find(|r| r.endpoint == Endpoint::Token)
        .unwrap();
    assert!(first.dpop.is_some());
    let op = w.call(
        t,
        Call::Signin {
            via: SigninVia::Popup { app_window: false },
            options: Default::default(),
        },
    );
    w.settle();
    let url = w.tab(t).windows[&op].url.clone();
    assert_eq!(query_param(&url, "dpop_jkt"), Some(held_jkt(&w, t)));
}

#[test]
fn a_redirect_with_memory_storage_names_no_key() {
    let mut w = World::new();
    let t = w.create_tab(dpop(StorageKind::Memory));
    w.go_to_op(t);
    assert_eq!(query_param(&w.tab(t).last_navigation(), "dpop_jkt"), None);
}

#[test]
fn create_without_entropy_for_the_jti_seed_fails_instead_of_making_guessable_jtis() {
    // A pump that hands in too little entropy with `create`: without the secret seed every
    // page's jti would be the same sequence, which a server that remembers jtis refuses.
    let mut w = World::new();
    let t = w.open_tab(dpop(StorageKind::Memory));
    w.input(
        t,
        Input::Call {
            op: 1,
            call: Box::new(Call::Create),
            entropy: vec![7; 31],
        },
    );
    w.settle();
    assert_eq!(w.tab(t).err(1), "crypto_unavailable");
    assert!(w
        .tab(t)
        .commands_where(|c| matches!(c, Command::GenerateKey { .. } | Command::Fetch(_)))
        .is_empty());
}

#[test]
fn no_webcrypto_or_no_es256_at_the_op_fails_create() {
    let mut w = World::new();
    w.no_webcrypto = true;
    let t = w.open_tab(dpop(StorageKind::Memory));
    let op = w.call(t, Call::Create);
    w.settle();
    assert_eq!(w.tab(t).err(op), "crypto_unavailable");
    let mut w = World::new();
    w.op.dpop_algs = Some(vec!["RS256"]);
    let t = w.open_tab(dpop(StorageKind::Memory));
    let op = w.call(t, Call::Create);
    w.settle();
    assert_eq!(w.tab(t).err(op), "unsupported");
}

// ----- client.fetch and client.dpopProof -----

const RS: &str = "https://rs.example.com/api/things?page=2";

fn claims_of(proof: &str) -> serde_json::Value {
    let body = proof.split('.').nth(1).unwrap();
    serde_json::from_slice(&oidc_rp_wasm::core::base64url::decode(body).unwrap()).unwrap()
}

fn headers(w: &mut World, t: usize) -> (String, Option<String>) {
    let op = w.call(
        t,
        Call::ResourceHeaders {
            method: "GET".into(),
            url: RS.into(),
        },
    );
    w.settle();
    match w.tab(t).ok(op) {
        Outcome::Headers(Some(h)) => (h.authorization.clone(), h.dpop.clone()),
        other => panic!("{other:?}"),
    }
}

fn rs_answer(w: &mut World, t: usize, status: u16, nonce: Option<&str>, retried: bool) -> u32 {
    let op = w.call(
        t,
        Call::ResourceAnswer {
            method: "GET".into(),
            url: RS.into(),
            status,
            www_authenticate: Some(r#"DPoP error="use_dpop_nonce""#.into()),
            dpop_nonce: nonce.map(str::to_owned),
            retried,
        },
    );
    w.settle();
    op
}

#[test]
fn resource_headers_present_a_bound_token_as_dpop_with_ath() {
    let mut w = World::new();
    let t = w.signed_in_tab(dpop(StorageKind::Session));
    let token = w.tab(t).access_token();
    let (authorization, proof) = headers(&mut w, t);
    assert_eq!(authorization, format!("DPoP {token}"));
    let claims = claims_of(&proof.unwrap());
    assert_eq!(claims["htm"], "GET");
    assert_eq!(claims["htu"], "https://rs.example.com/api/things");
    use sha2::Digest;
    let ath = oidc_rp_wasm::core::base64url::encode(&sha2::Sha256::digest(token.as_bytes()));
    assert_eq!(claims["ath"], ath);
    assert!(claims.get("nonce").is_none());
}

#[test]
fn a_resource_nonce_gets_one_retry_and_is_remembered() {
    let mut w = World::new();
    let t = w.signed_in_tab(dpop(StorageKind::Memory));
    headers(&mut w, t);
    let op = rs_answer(&mut w, t, 401, Some("rs-1"), false);
    let Outcome::Headers(Some(retry)) = w.tab(t).ok(op) else {
        panic!("a retry")
    };
    assert_eq!(claims_of(retry.dpop.as_deref().unwrap())["nonce"], "rs-1");
    // The answer to the retry is not retried again.
    let op = rs_answer(&mut w, t, 401, Some("rs-2"), true);
    assert!(matches!(w.tab(t).ok(op), Outcome::Headers(None)));
    // The newest nonce is used next time, and the OP's nonce is the OP's own.
    let (_, proof) = headers(&mut w, t);
    assert_eq!(claims_of(&proof.unwrap())["nonce"], "rs-2");
    let op = rs_answer(&mut w, t, 200, None, false);
    assert!(matches!(w.tab(t).ok(op), Outcome::Headers(None)));
}

#[test]
fn resource_headers_refresh_a_token_near_expiry_and_are_bearer_when_not_bound() {
    let mut w = World::new();
    let t = w.signed_in_tab(config(StorageKind::Memory));
    let before = w.tab(t).access_token();
    // Asleep until the token is about to expire: no timer fired.
    w.skip(3_600_000 - 5_000);
    let (authorization, proof) = headers(&mut w, t);
    assert_eq!(w.op.token_requests("refresh_token").len(), 1);
    assert_ne!(authorization, format!("Bearer {before}"));
    assert_eq!(authorization, format!("Bearer {}", w.tab(t).access_token()));
    assert!(proof.is_none());
    // No DPoP: no proof for the app either.
    let op = w.call(
        t,
        Call::DpopProof {
            method: "POST".into(),
            url: RS.into(),
        },
    );
    w.settle();
    assert_eq!(w.tab(t).err(op), "invalid_config");
}

#[test]
fn dpop_proof_serves_the_apps_own_http_client() {
    let mut w = World::new();
    let t = w.signed_in_tab(dpop(StorageKind::Memory));
    let op = w.call(
        t,
        Call::DpopProof {
            method: "post".into(),
            url: RS.into(),
        },
    );
    w.settle();
    let Outcome::Proof(proof) = w.tab(t).ok(op) else {
        panic!("a proof")
    };
    let claims = claims_of(proof);
    assert_eq!(claims["htm"], "post");
    assert!(claims.get("ath").is_some());
}

#[test]
fn the_lock_lease_covers_a_dpop_refresh_whose_every_request_runs_to_its_deadline() {
    // Under the lock, a DPoP refresh can make five requests in a row: the token request and its
    // nonce retry (RFC 9449 §8), the JWK Set refetched for a rotated key (OIDC Core §10.1.1),
    // UserInfo and its nonce retry (§9); then it stores what it got. A lease that ran out
    // meanwhile would hand the lock to another tab, which would read the stored session before
    // the rotated refresh token is in it.
    let mut w = World::new();
    let mut cfg = dpop(StorageKind::Local);
    cfg.check_userinfo_on_refresh = true;
    let a = w.signed_in_tab(cfg.clone());
    let b = w.create_tab(cfg);
    let timeout = i64::from(w.tab(a).config.request_timeout_ms);
    w.op.dpop_nonce = Some("n-1".into());
    w.op.userinfo_nonce = Some("u-1".into());
    w.op.rotated = true;
    w.op.hang
        .extend([Endpoint::Token, Endpoint::Jwks, Endpoint::Userinfo]);
    let op_a = w.call(a, Call::Refresh);
    w.settle();
    let op_b = w.call(b, Call::Refresh);
    w.settle();
    assert_eq!(w.locks.holder(&World::lock_name()), Some(a));
    let steps = [
        Endpoint::Token,
        Endpoint::Token,
        Endpoint::Jwks,
        Endpoint::Userinfo,
        Endpoint::Userinfo,
    ];
    for (n, endpoint) in steps.into_iter().enumerate() {
        assert_eq!(w.held(endpoint), 1, "{endpoint:?} is asked next");
        w.advance(timeout - 1);
        // After the last answer, the session's shared write takes its time too.
        w.hold_shared_writes = n == steps.len() - 1;
        w.release_where(|r| Endpoint::of(&r.url) == endpoint);
    }
    assert!(!w.tab(a).is_done(op_a));
    w.advance(timeout / 2);
    assert_eq!(
        w.locks.holder(&World::lock_name()),
        Some(a),
        "the lease still runs while the holder stores its session"
    );
    w.release_shared_writes();
    w.tab(a).ok(op_a);
    w.tab(b).ok(op_b);
    assert_eq!(w.tab(a).access_token(), w.tab(b).access_token());
    // Tab A's request and its nonce retry; tab B took A's session.
    let tabs: Vec<usize> =
        w.op.token_requests("refresh_token")
            .iter()
            .map(|r| r.tab)
            .collect();
    assert_eq!(tabs, [a, a]);
    assert_eq!(w.op.replays, 0);
}

/// A tab in the back/forward cache misses another tab's sign-out, which replaced the key. When
/// it comes back it learns of the sign-out (the wake-up's catch-up) and must load the stored key
/// too: a sign-in bound to the old one would fail at the callback page, which loads the new one
/// (§10), and a session bound to it there could not be refreshed after a reload.
#[test]
fn a_tab_back_from_the_cache_after_a_sign_out_elsewhere_takes_the_new_key() {
    for storage in [StorageKind::Local, StorageKind::Session] {
        let mut w = World::new();
        let a = w.signed_in_tab(dpop(storage));
        let b = if storage == StorageKind::Local {
            w.create_tab(dpop(storage))
        } else {
            w.signed_in_tab(dpop(storage))
        };
        w.page(b, PageEvent::PageHide);
        w.freeze(b);
        w.skip(2_000);
        w.sign_out_locally(a);
        w.restore_from_cache(b);
        assert!(w.tab(b).session().is_none(), "{storage:?}");
        assert_eq!(held_jkt(&w, b), stored_jkt(&w), "{storage:?}");
        let (op, _) = w.sign_in_by_redirect(b);
        w.tab(b).ok(op);
        assert_eq!(
            w.tab(b).session().unwrap().dpop_jkt,
            Some(stored_jkt(&w)),
            "{storage:?}"
        );
    }
}

/// The same for a tab that had no session: another tab signed in and out while it was in the
/// back/forward cache, which replaced the key it loaded at its creation.
#[test]
fn a_signed_out_tab_back_from_the_cache_takes_the_key_a_sign_out_elsewhere_stored() {
    for storage in [StorageKind::Local, StorageKind::Session] {
        let mut w = World::new();
        let a = w.create_tab(dpop(storage));
        let b = w.create_tab(dpop(storage));
        w.page(b, PageEvent::PageHide);
        w.freeze(b);
        let (op, _) = w.sign_in_by_redirect(a);
        w.tab(a).ok(op);
        w.sign_out_locally(a);
        w.restore_from_cache(b);
        assert_eq!(held_jkt(&w, b), stored_jkt(&w), "{storage:?}");
        let (op, _) = w.sign_in_by_redirect(b);
        w.tab(b).ok(op);
    }
}
