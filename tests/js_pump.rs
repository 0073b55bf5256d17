//! The npm build's exports (`src/js_pump.rs`), driven natively as the JavaScript pump drives them:
//! the input written into the buffer `oidc_in` hands out, an entry point called, the output read
//! from `oidc_out`. Run with `cargo test --no-default-features --features js-pump --test js_pump`
//! (`make test-native` does).
//!
//! The client table: a disposed client's slot serves the next client, so a page that creates and
//! disposes clients one after another keeps one slot (the e2e test `sdk-dispose` measures the
//! wasm memory of the same in Chromium). A freed handle reaches nothing until the slot's next
//! client; the pump forgets a handle when it frees it.
#![cfg(feature = "js-pump")]

use oidc_rp_wasm::js_pump::{
    oidc_free, oidc_handle, oidc_in, oidc_new, oidc_out, oidc_out_len, oidc_session,
};

/// Writes `text` into the input buffer, as the pump does before a call.
fn put(text: &str) {
    let at = oidc_in(text.len());
    // SAFETY: `oidc_in` returned a buffer of exactly `text.len()` bytes that nothing else uses
    // until the next call.
    unsafe { std::ptr::copy_nonoverlapping(text.as_ptr(), at, text.len()) };
}

/// The output buffer's text.
fn take() -> String {
    let (at, len) = (oidc_out(), oidc_out_len());
    // SAFETY: the buffer holds `len` initialised bytes until the next call.
    let bytes = unsafe { std::slice::from_raw_parts(at, len) };
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

/// A new client for a valid configuration; its handle.
fn new_client() -> u32 {
    put(
        r#"{"config":{"issuer":"https://op.example","clientId":"spa","redirectUri":"https://app.example/cb"},"origin":"https://app.example"}"#,
    );
    let handle = oidc_new();
    assert_ne!(handle, 0, "refused: {}", take());
    handle
}

/// What `handle` answers to a `create` call: the machine's outputs, or the empty answer of a
/// handle that names no client.
fn create(handle: u32) -> String {
    put(r#"{"call":"create","op":1,"entropy":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}"#);
    oidc_handle(handle, 1_700_000_000_000.0);
    take()
}

const NOBODY: &str = r#"{"out":[],"timeout":null}"#;

#[test]
fn a_disposed_clients_slot_serves_the_next() {
    let first = new_client();
    assert_ne!(create(first), NOBODY, "a live client answers");
    oidc_free(first);
    assert_eq!(create(first), NOBODY, "a freed handle reaches nothing");
    oidc_session(first);
    assert_eq!(take(), "null");

    let second = new_client();
    assert_eq!(second, first, "the freed slot is used again");
    assert_ne!(create(second), NOBODY);
    oidc_free(second);
}

#[test]
fn clients_created_and_disposed_one_after_another_keep_one_slot() {
    // The tests of this file share the table (one thread each, but one table per thread: this
    // test's thread starts with an empty one).
    for _ in 0..10_000 {
        let handle = new_client();
        assert_eq!(handle, 1, "always the first slot");
        oidc_free(handle);
    }
}

#[test]
fn clients_alive_at_once_each_have_their_own_slot() {
    let a = new_client();
    let b = new_client();
    let c = new_client();
    assert_eq!([a, b, c], [1, 2, 3]);
    oidc_free(b);
    let d = new_client();
    assert_eq!(d, 2, "the one free slot");
    assert_ne!(create(a), NOBODY);
    assert_ne!(create(c), NOBODY);
    assert_ne!(create(d), NOBODY);
    for handle in [a, c, d] {
        oidc_free(handle);
    }
}
