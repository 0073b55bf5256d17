//! The JWS signature algorithms an ID token may be signed with (RFC 7518 §3.1, RFC 8037 §3.1)
//! and their hash functions. A leaf module: [`jws`](crate::core::jws), [`jwks`](crate::core::jwks)
//! and [`id_token`](crate::core::id_token) all name algorithms, and none of them owns the list.

use crate::error::Error;
use std::fmt;
use std::str::FromStr;

/// A JWS `alg` value for asymmetric signatures (RFC 7518 §3.1, RFC 8037 §3.1).
///
/// `none` and the HMAC algorithms (`HS*`) are deliberately absent: a public client has no shared
/// secret to check an HMAC with, and an unsigned ID token is never acceptable here. Names are
/// case-sensitive (RFC 7515 §4.1.1).
#[allow(clippy::upper_case_acronyms)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JwsAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3).
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384 (RFC 7518 §3.3).
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512 (RFC 7518 §3.3).
    RS512,
    /// RSASSA-PSS with SHA-256 and MGF1 with SHA-256 (RFC 7518 §3.5).
    PS256,
    /// RSASSA-PSS with SHA-384 and MGF1 with SHA-384 (RFC 7518 §3.5).
    PS384,
    /// RSASSA-PSS with SHA-512 and MGF1 with SHA-512 (RFC 7518 §3.5).
    PS512,
    /// ECDSA with P-256 and SHA-256 (RFC 7518 §3.4).
    ES256,
    /// ECDSA with P-384 and SHA-384 (RFC 7518 §3.4).
    ES384,
    /// ECDSA with P-521 and SHA-512 (RFC 7518 §3.4).
    ES512,
    /// EdDSA (RFC 8037 §3.1); only the Ed25519 curve is accepted.
    EdDSA,
}

/// The hash function an algorithm signs with, which is also the one OIDC Core §3.1.3.8 uses for
/// `at_hash` (and EdDSA over Ed25519 uses SHA-512).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlg {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl HashAlg {
    /// The name FIPS 180-4 and WebCrypto give it (`"SHA-256"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            HashAlg::Sha256 => "SHA-256",
            HashAlg::Sha384 => "SHA-384",
            HashAlg::Sha512 => "SHA-512",
        }
    }
}

/// The WebCrypto parameters of a JWS algorithm ([`JwsAlg::webcrypto`]): `importKey` takes
/// `{name, hash}` for RSA keys and `{name, namedCurve}` for EC keys; `verify` takes `{name}`,
/// with `hash` for ECDSA and `saltLength` for RSA-PSS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebCryptoParams {
    /// The algorithm's WebCrypto name.
    pub name: &'static str,
    /// The hash's WebCrypto name.
    pub hash: &'static str,
    /// The named curve, for ECDSA.
    pub curve: Option<&'static str>,
    /// The salt length in bytes, for RSA-PSS.
    pub salt_length: Option<u32>,
}

impl WebCryptoParams {
    /// Whether `importKey` takes the hash (RSA keys do).
    pub fn import_takes_hash(self) -> bool {
        self.name.starts_with("RSA")
    }
}

/// The members of a public JWK that WebCrypto's `importKey` needs, and nothing else: `alg`,
/// `use` and `key_ops` as some OPs publish them would make it refuse keys that are fine.
pub const WEBCRYPTO_JWK_MEMBERS: [&str; 6] = ["kty", "n", "e", "crv", "x", "y"];

impl JwsAlg {
    /// Every algorithm this crate knows, in the order of RFC 7518 §3.1.
    pub const ALL: [JwsAlg; 10] = [
        JwsAlg::RS256,
        JwsAlg::RS384,
        JwsAlg::RS512,
        JwsAlg::PS256,
        JwsAlg::PS384,
        JwsAlg::PS512,
        JwsAlg::ES256,
        JwsAlg::ES384,
        JwsAlg::ES512,
        JwsAlg::EdDSA,
    ];

    /// The JOSE name of the algorithm (`"RS256"`, `"EdDSA"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            JwsAlg::RS256 => "RS256",
            JwsAlg::RS384 => "RS384",
            JwsAlg::RS512 => "RS512",
            JwsAlg::PS256 => "PS256",
            JwsAlg::PS384 => "PS384",
            JwsAlg::PS512 => "PS512",
            JwsAlg::ES256 => "ES256",
            JwsAlg::ES384 => "ES384",
            JwsAlg::ES512 => "ES512",
            JwsAlg::EdDSA => "EdDSA",
        }
    }

    /// The hash function of the algorithm (for EdDSA over Ed25519: SHA-512).
    pub fn hash(self) -> HashAlg {
        match self {
            JwsAlg::RS256 | JwsAlg::PS256 | JwsAlg::ES256 => HashAlg::Sha256,
            JwsAlg::RS384 | JwsAlg::PS384 | JwsAlg::ES384 => HashAlg::Sha384,
            JwsAlg::RS512 | JwsAlg::PS512 | JwsAlg::ES512 | JwsAlg::EdDSA => HashAlg::Sha512,
        }
    }

    /// How WebCrypto verifies this algorithm (RFC 7518 §3): RS* with RSASSA-PKCS1-v1_5, PS*
    /// with RSA-PSS and a salt as long as the hash (§3.5), ES* with ECDSA (JWS and WebCrypto
    /// both use the raw `r || s` form), EdDSA with Ed25519 (RFC 8037). Both pumps build their
    /// `importKey` and `verify` parameters from this.
    pub fn webcrypto(self) -> WebCryptoParams {
        let hash = self.hash().name();
        let (name, curve, salt_length) = match self {
            JwsAlg::RS256 | JwsAlg::RS384 | JwsAlg::RS512 => ("RSASSA-PKCS1-v1_5", None, None),
            JwsAlg::PS256 => ("RSA-PSS", None, Some(32)),
            JwsAlg::PS384 => ("RSA-PSS", None, Some(48)),
            JwsAlg::PS512 => ("RSA-PSS", None, Some(64)),
            JwsAlg::ES256 => ("ECDSA", Some("P-256"), None),
            JwsAlg::ES384 => ("ECDSA", Some("P-384"), None),
            JwsAlg::ES512 => ("ECDSA", Some("P-521"), None),
            JwsAlg::EdDSA => ("Ed25519", None, None),
        };
        WebCryptoParams {
            name,
            hash,
            curve,
            salt_length,
        }
    }

    /// The JWK `kty` a key for this algorithm has (RFC 7518 §6.1, RFC 8037 §2).
    pub fn key_type(self) -> &'static str {
        match self {
            JwsAlg::RS256
            | JwsAlg::RS384
            | JwsAlg::RS512
            | JwsAlg::PS256
            | JwsAlg::PS384
            | JwsAlg::PS512 => "RSA",
            JwsAlg::ES256 | JwsAlg::ES384 | JwsAlg::ES512 => "EC",
            JwsAlg::EdDSA => "OKP",
        }
    }

    /// The JWK `crv` a key for this algorithm must have, for elliptic-curve algorithms
    /// (RFC 7518 §3.4, RFC 8037 §3.1).
    pub fn curve(self) -> Option<&'static str> {
        match self {
            JwsAlg::ES256 => Some("P-256"),
            JwsAlg::ES384 => Some("P-384"),
            JwsAlg::ES512 => Some("P-521"),
            JwsAlg::EdDSA => Some("Ed25519"),
            _ => None,
        }
    }
}

impl fmt::Display for JwsAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl JwsAlg {
    /// The algorithm named `name` (case-sensitively), if it is one of [`JwsAlg::ALL`]: what
    /// [`FromStr`] reads, without building an error for a name that is not.
    pub(crate) fn named(name: &str) -> Option<JwsAlg> {
        JwsAlg::ALL.iter().find(|alg| alg.as_str() == name).copied()
    }
}

impl FromStr for JwsAlg {
    type Err = Error;

    /// Parses a JOSE algorithm name, case-sensitively. Anything else (including `none` and
    /// `HS256`) is an [`Error::InvalidConfig`] for `id_token_signing_algs`, the option that lists them.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        JwsAlg::named(s).ok_or_else(|| {
            Error::config_value(
                "id_token_signing_algs",
                s,
                "` is not a supported asymmetric JWS algorithm",
            )
        })
    }
}
