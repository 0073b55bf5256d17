//! Newtypes for values that must never be logged: access and refresh tokens, authorization codes,
//! raw ID tokens, PKCE code verifiers and client secrets.
//!
//! Each type's `Debug` prints a placeholder and none has `Display`; the value is reached only
//! through `expose()`, so every place that uses it is easy to find. None derives `PartialEq`: where
//! two must be compared, [`Secret::ct_eq`] compares them in time that does not depend on where
//! they differ.
//!
//! They serialise to their plain value, because the shell persists them (a transaction's verifier,
//! a session's tokens in the storage the app chose).

use std::fmt;

/// A string that must never appear in logs, Debug output or errors.
#[derive(Clone)]
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

    /// Whether both hold the same value, in time that depends only on the lengths.
    pub fn ct_eq(&self, other: &Secret) -> bool {
        constant_time_eq(self.0.as_bytes(), other.0.as_bytes())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// Byte equality whose running time does not reveal the first differing position (the `subtle`
/// crate's, byte by byte as its slice `ct_eq` does, without its `zip` in the wasm). Slices of
/// different lengths are unequal, and the lengths are not hidden.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::{Choice, ConstantTimeEq};
    if a.len() != b.len() {
        return false;
    }
    let mut equal = 1u8;
    for (at, x) in a.iter().enumerate() {
        equal &= x.ct_eq(&b.get(at).copied().unwrap_or(0)).unwrap_u8();
    }
    bool::from(Choice::from(equal))
}

macro_rules! secret_newtype {
    ($(#[$doc:meta])* $name:ident, $label:literal) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name(Secret);

        impl $name {
            /// Wraps the value.
            pub fn new(value: impl Into<String>) -> Self {
                $name(Secret::new(value))
            }

            /// The value itself. Call it only where it is sent, stored or handed to the app.
            pub fn expose(&self) -> &str {
                self.0.expose()
            }

            /// Whether both hold the same value (constant time, see [`Secret::ct_eq`]).
            pub fn ct_eq(&self, other: &$name) -> bool {
                self.0.ct_eq(&other.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!($label, "([redacted])"))
            }
        }
    };
}

secret_newtype!(
    /// An OAuth 2.0 refresh token (RFC 6749 §1.5). Never handed to JavaScript.
    RefreshToken,
    "RefreshToken"
);
secret_newtype!(
    /// An OAuth 2.0 access token (RFC 6749 §1.4), as the app sends it to resource servers.
    AccessToken,
    "AccessToken"
);
secret_newtype!(
    /// An authorization code (RFC 6749 §1.3.1): single use, exchanged once at the token endpoint.
    AuthorizationCodeValue,
    "AuthorizationCode"
);
secret_newtype!(
    /// An ID token as received, in its compact JWS form (OIDC Core §2), kept for `id_token_hint`.
    /// It identifies the user and the session, so it is not printed either.
    RawIdToken,
    "RawIdToken"
);
secret_newtype!(
    /// An OAuth 2.0 client secret (RFC 6749 §2.3.1). Browser apps are public clients and have none;
    /// Rust users of the core with a confidential client may.
    ClientSecret,
    "ClientSecret"
);
