//! The discovery members of the extensions this client uses beyond OpenID Connect Discovery:
//! pushed authorization requests (RFC 9126 §5), token revocation (RFC 8414 §2, RFC 7009) and
//! DPoP (RFC 9449 §5.1). Read from the same discovery document as
//! [`ProviderMetadata`](crate::core::metadata::ProviderMetadata), after it validated it.

use crate::core::json::{Json, Object};
#[cfg(feature = "dpop")]
use crate::core::members::{misfit, take_strings, Kind, Member, REQUIRED};
use crate::core::metadata::url_problem;

/// The extension members of an OP's configuration. A member of the wrong type, or an endpoint
/// that is not an absolute `http(s)` URL, reads as absent: these are optional features.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extensions {
    /// `pushed_authorization_request_endpoint` (RFC 9126 §5).
    pub par_endpoint: Option<String>,
    /// `require_pushed_authorization_requests` (RFC 9126 §5): the OP accepts only pushed
    /// requests.
    pub require_par: bool,
    /// `revocation_endpoint` (RFC 8414 §2).
    pub revocation_endpoint: Option<String>,
    /// `dpop_signing_alg_values_supported` (RFC 9449 §5.1), if the OP lists them (feature
    /// `dpop`).
    #[cfg(feature = "dpop")]
    pub dpop_algs: Option<Vec<String>>,
}

impl Extensions {
    /// The members of the discovery document `body` (already validated as a whole).
    pub fn read(body: &str) -> Extensions {
        let Ok(o) = Json::parse_object(body) else {
            return Extensions::default();
        };
        Extensions {
            par_endpoint: endpoint(&o, "pushed_authorization_request_endpoint"),
            require_par: o
                .get("require_pushed_authorization_requests")
                .and_then(Json::as_bool)
                .unwrap_or(false),
            revocation_endpoint: endpoint(&o, "revocation_endpoint"),
            #[cfg(feature = "dpop")]
            dpop_algs: dpop_algs(o),
        }
    }
}

/// `dpop_signing_alg_values_supported`: an array of strings, or read as absent.
#[cfg(feature = "dpop")]
const DPOP_ALGS: &[Member] = &[("dpop_signing_alg_values_supported", Kind::Strings, REQUIRED)];

#[cfg(feature = "dpop")]
fn dpop_algs(mut o: Object) -> Option<Vec<String>> {
    match misfit(&o, DPOP_ALGS) {
        None => take_strings(&mut o, "dpop_signing_alg_values_supported"),
        Some(_) => None,
    }
}

fn endpoint(o: &Object, name: &str) -> Option<String> {
    o.str(name)
        .filter(|url| url_problem(url).is_none())
        .map(str::to_owned)
}
