//! No output or input of the machine shows a secret in its `Debug`, nor the machine itself: a
//! pump may log every output and input, a Rust front end the client.

use crate::op::{Endpoint, OP_ORIGIN};
use crate::world::*;
use oidc_rp_wasm::core::config::{AuthorizeOptions, IdTokenHint, StorageKind};
use oidc_rp_wasm::core::machine::{Call, SigninVia};

#[test]
fn no_output_debug_shows_a_token_a_code_or_a_verifier() {
    let mut w = World::new();
    let a = w.signed_in_tab(config(StorageKind::Local));
    let b = w.create_tab(config(StorageKind::Local));
    // A refresh, a getAccessToken, an automatic refresh, a popup sign-in, a silent one.
    let op = w.call(a, Call::Refresh);
    w.settle();
    w.tab(a).ok(op);
    let op = w.call(b, Call::GetAccessToken);
    w.settle();
    w.tab(b).ok(op);
    w.advance(3_540_000);
    let popup = w.call(
        b,
        Call::Signin {
            via: SigninVia::Popup { app_window: false },
            options: AuthorizeOptions::default(),
        },
    );
    w.settle();
    let response = w.op.authorize(&w.tab(b).windows[&popup].url.clone());
    w.window_message(b, OP_ORIGIN, Some(popup), response.web_message());
    w.tab(b).ok(popup);
    let op = w.signin_silently(a);
    w.tab(a).ok(op);
    // URLs with an id_token_hint: an authorization URL and an end-session URL.
    let hinted = AuthorizeOptions {
        id_token_hint: Some(IdTokenHint::Current),
        ..AuthorizeOptions::default()
    };
    let op = w.call(
        a,
        Call::Signin {
            via: SigninVia::Url,
            options: hinted,
        },
    );
    w.settle();
    w.tab(a).ok(op);
    let op = w.call(a, signout(false));
    w.settle();
    w.tab(a).ok(op);
    assert!(w.op.token_requests("refresh_token").len() >= 3);

    let mut secrets = w.op.secrets.clone();
    secrets.extend(
        w.op.requests
            .iter()
            .filter_map(|r| r.field("code_verifier").map(str::to_owned)),
    );
    assert!(secrets.iter().any(|s| s.starts_with("rt-")));
    assert!(secrets.iter().any(|s| s.starts_with("code-")));
    let mut seen = 0;
    for t in [a, b] {
        let tab = w.tab(t);
        let texts = tab
            .outputs
            .iter()
            .cloned()
            .chain(tab.events.iter().map(|e| format!("{e:?}")))
            // The machine itself, which a Rust front end may log whole, and every input.
            .chain(std::iter::once(format!("{:?}", tab.machine)))
            .chain(tab.inputs.iter().cloned());
        for text in texts {
            seen += 1;
            for secret in &secrets {
                assert!(!text.contains(secret.as_str()), "a secret in {text}");
            }
            // The state, nonce and verifier to come are made of the entropy.
            assert!(!text.contains("entropy: ["), "the entropy in {text}");
        }
    }
    assert!(seen > 50);
}

/// While a `signoutRedirect` waits for its revocations, the machine holds the end-session URL,
/// whose `id_token_hint` is the raw ID token: its `Debug` shows neither.
#[test]
fn the_machine_debug_during_a_sign_out_shows_no_id_token() {
    let mut w = World::new();
    w.op.revocation = true;
    w.op.hang.insert(Endpoint::Revocation);
    let t = w.signed_in_tab(config(StorageKind::Session));
    let id_token = w.tab(t).session().unwrap().id_token.clone().unwrap();
    let op = w.call(t, signout(true));
    w.settle();
    assert!(!w.tab(t).is_done(op), "waiting for the revocation");
    let debug = format!("{:?}", w.tab(t).machine);
    assert!(debug.contains("Logout"), "{debug}");
    assert!(
        !debug.contains(id_token.expose()),
        "the ID token in {debug}"
    );
}

/// Right after the calls, before their transactions are stored, the machine holds the URLs it
/// will navigate to or show: with `id_token_hint` they carry the raw ID token, which its `Debug`
/// does not show.
#[test]
fn the_machine_debug_while_a_hinted_url_waits_for_its_transaction_shows_no_id_token() {
    let hinted = || AuthorizeOptions {
        id_token_hint: Some(IdTokenHint::Current),
        ..AuthorizeOptions::default()
    };
    let calls = [
        Call::Signin {
            via: SigninVia::Redirect,
            options: hinted(),
        },
        Call::Signin {
            via: SigninVia::Url,
            options: hinted(),
        },
        Call::Signin {
            via: SigninVia::Popup { app_window: false },
            options: hinted(),
        },
        signout(true),
        signout(false),
    ];
    for call in calls {
        let mut w = World::new();
        let t = w.signed_in_tab(config(StorageKind::Session));
        let id_token = w.tab(t).session().unwrap().id_token.clone().unwrap();
        let name = format!("{call:?}");
        let op = w.call(t, call);
        assert!(!w.tab(t).is_done(op));
        let debug = format!("{:?}", w.tab(t).machine);
        assert!(
            !debug.contains(id_token.expose()),
            "{name}: the ID token in {debug}"
        );
    }
}
