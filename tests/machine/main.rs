//! The native test suite of `core::machine`: the whole client driven by a fake browser (storage,
//! locks, tab channel, popups, iframes, navigations, the form_post service worker, simulated
//! time) and a fake OP that mints real signed ID tokens. See `world.rs` and `op.rs`.
//!
//! Run: `cargo test --features rust-crypto --test machine`
#![cfg(feature = "rust-crypto")]

#[path = "../common/mod.rs"]
mod common;
mod op;
mod world;

mod create;
mod dispose;
mod dpop;
mod logout;
mod par;
mod popup;
mod redirect;
mod refresh;
mod resource;
mod revocation;
mod schedules;
mod secrets;
mod silent;
mod tabs;
mod timers;
