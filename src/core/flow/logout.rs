//! RP-Initiated Logout 1.0: the end-session URL with its `state` (§2), and the check of the
//! return to the post-logout redirect URI (§3).

#[cfg(feature = "shell")]
use crate::core::config::{ClientConfig, LogoutOptions};
use crate::core::logout::{self, LogoutTransaction};
#[cfg(feature = "shell")]
use crate::core::metadata::ProviderMetadata;
#[cfg(feature = "shell")]
use crate::core::session::Session;
use crate::error::Error;

/// A logout in two halves: [`LogoutFlow::start`] before the browser leaves,
/// [`LogoutFlow::finish`] when the OP sends it back.
#[derive(Debug)]
pub struct LogoutFlow;

impl LogoutFlow {
    /// The end-session URL for `options` and the transaction to keep until the return.
    #[cfg(feature = "shell")]
    pub fn start(
        config: &ClientConfig,
        metadata: &ProviderMetadata,
        options: LogoutOptions,
        session: Option<&Session>,
        now: i64,
    ) -> Result<(String, LogoutTransaction), Error> {
        options.to_request(config, session).build(metadata, now)
    }

    /// Checks the return `url` against the kept transaction; returns the state.
    pub fn finish(url: &str, tx: Option<&LogoutTransaction>) -> Result<Option<String>, Error> {
        logout::process_logout_callback(url, tx)
    }
}
