//! # oidc-rp-wasm
//!
//! An OpenID Connect relying party for browser single-page apps, written in Rust and compiled to
//! WebAssembly. It signs users in with the authorization code flow and PKCE, validates ID tokens
//! completely (signatures included), keeps users signed in silently and signs them out.
//!
//! The crate is split in two (`ARCHITECTURE.md` at the repository root has the whole map):
//!
//! - [`core`]: the protocol engine. Plain data, pure functions and sans-IO state machines
//!   ([`core::flow`]): no browser, no clock, no I/O. Every protocol decision lives here and is
//!   tested natively with `cargo test`.
//! - `web` (wasm32 only, feature `shell`): the Rust pump around the core's whole-client machine
//!   ([`core::machine`]). It performs what the machine asks for (fetch with deadlines,
//!   WebCrypto, frames, storage, Web Locks, timers) and exposes the Rust API
//!   (`web::client::Client`, with an example in its docs). The npm package runs the same
//!   machine behind a JavaScript pump (feature `js-pump`).
//!
//! Errors of both halves are one [`Error`] type whose [`Error::code`] is a stable string.
//!
//! The configuration is plain data, checked before any request:
//!
//! ```
//! use oidc_rp_wasm::core::config::{ClientConfig, StorageKind};
//!
//! let config = ClientConfig::new("https://id.example.com", "spa", "https://app.example.com/")
//!     .scope("openid profile offline_access")
//!     .storage(StorageKind::Local)
//!     .request_timeout_ms(5_000);
//! assert!(config.validate().is_ok());
//!
//! let relative = ClientConfig::new("id.example.com", "spa", "https://app.example.com/");
//! let error = relative.validate().unwrap_err();
//! assert_eq!(error.code(), "invalid_config");
//! ```
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
// Natively too, so that `tests/js_pump.rs` can drive the exports.
#[cfg(feature = "js-pump")]
pub mod js_pump;
#[cfg(all(target_arch = "wasm32", feature = "js-pump"))]
pub mod size_classes;

#[cfg(all(target_arch = "wasm32", feature = "js-pump"))]
#[global_allocator]
static ALLOCATOR: size_classes::SizeClasses = size_classes::SizeClasses::new();
#[cfg(all(target_arch = "wasm32", feature = "shell"))]
pub mod web;

pub use crate::error::Error;

/// The code blocks of both READMEs as doc-tests: a `rust` block is compiled (and run), and a block
/// without a language would be taken for Rust, so every block must name its language.
/// `scripts/check-snippets.mjs` checks the other languages.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
#[doc = include_str!("../pkg-template/README.md")]
pub struct ReadmeCodeBlocks;
