//! Newtypes for values that must never be logged: refresh tokens, PKCE code verifiers and client
//! secrets. Their `Debug` prints a placeholder and they have no `Display`; the value is reached only
//! through [`Secret::expose`], so every place that uses it is easy to find.
//!
//! They serialise to their plain value, because the shell persists them (a transaction's verifier,
//! a session's refresh token in the storage the app chose).

use serde::{Deserialize, Serialize};
use std::fmt;

/// A string that must never appear in logs, Debug output or errors.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret value itself. Call it only where the value is sent or stored.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// An OAuth 2.0 refresh token (RFC 6749 §1.5).
pub type RefreshToken = Secret;

/// An OAuth 2.0 client secret (RFC 6749 §2.3.1). Browser apps are public clients and have none;
/// Rust users of the core with a confidential client may.
pub type ClientSecret = Secret;
