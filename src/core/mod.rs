//! The protocol engine: every decision a browser relying party makes, as plain data, pure
//! functions and sans-IO state machines ([`flow`]). Nothing here touches the browser, reads a
//! clock or does I/O: callers pass `now` (seconds since the Unix epoch) and perform the requests
//! the flows ask for.
//!
//! Leaf modules ([`alg`], [`params`], [`secret`]) hold what several spec modules name; each spec
//! module covers one spec area; [`flow`] sequences them.

#![deny(clippy::arithmetic_side_effects)]

pub mod alg;
pub mod authorize;
pub mod base64url;
pub mod config;
pub mod discovery_ext;
#[cfg(feature = "dpop")]
pub mod dpop;
pub mod flow;
pub mod form;
pub mod id_token;
pub mod json;
pub mod jwks;
pub mod jws;
pub mod logout;
pub mod machine;
pub mod members;
pub mod metadata;
pub mod par;
pub mod params;
pub mod pkce;
pub mod response;
pub mod revocation;
pub mod secret;
pub mod session;
pub mod sha256;
pub mod stored;
pub mod text;
pub mod token;
pub mod userinfo;
pub mod web_message;
