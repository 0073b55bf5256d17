//! # oidc-rp-wasm
//!
//! An OpenID Connect relying party for browser single-page apps, written in Rust and compiled to
//! WebAssembly. It signs users in with the authorization code flow and PKCE, validates ID tokens
//! completely (signatures included), keeps users signed in silently and signs them out.
//!
//! The crate is split in two:
//!
//! - [`core`]: the protocol engine. Pure functions over plain data: no browser, no clock, no I/O.
//!   Every protocol decision lives here and is tested natively with `cargo test`.
//! - `web` (wasm32 only): the browser shell. It reads the clock, fetches, verifies signatures with
//!   WebCrypto, touches storage and windows, and exposes the JavaScript API.
//!
//! Errors of both halves are one [`Error`] type whose [`Error::code`] is a stable string.
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::todo,
        clippy::unimplemented
    )
)]

pub mod core;
pub mod error;
#[cfg(target_arch = "wasm32")]
pub mod web;

pub use crate::error::Error;
