//! The names of what the machine stores, locks and broadcasts. One client is one issuer and
//! client id; its session key also names its cross-tab lock and tab channel.

use super::Machine;

const PREFIX: &str = "oidc-rp-wasm";

impl Machine {
    /// The storage key prefix of this client's pending authorization transactions (in
    /// `sessionStorage`, keyed by state, because a redirect sign-in reloads the page). The issuer
    /// and client id are in it: another client of the page (another OP) whose sign-in comes back
    /// to the same redirect URI finds none of them, so it can neither spend one nor send its code
    /// and PKCE verifier to its own OP (the mix-up of RFC 9700 §4.4).
    pub(super) fn transaction_prefix(&self) -> String {
        crate::core::text::cat(&[
            PREFIX,
            ":tx:",
            &self.config.issuer,
            ":",
            &self.config.client_id,
            ":",
        ])
    }

    /// The key of this client's transaction for `state`.
    pub(super) fn transaction_key(&self, state: &str) -> String {
        let mut key = self.transaction_prefix();
        key.push_str(state);
        key
    }

    /// The key of the session (and the name of the tab channel).
    pub(super) fn session_key(&self) -> String {
        crate::core::text::cat(&[
            PREFIX,
            ":session:",
            &self.config.issuer,
            ":",
            &self.config.client_id,
        ])
    }

    /// The session key followed by `suffix`: the names of what belongs to this client's
    /// session (its lock, its activity record, its DPoP key).
    pub(super) fn session_key_and(&self, suffix: &str) -> String {
        let mut key = self.session_key();
        key.push_str(suffix);
        key
    }

    /// The cross-tab refresh lock.
    pub(super) fn lock_name(&self) -> String {
        self.session_key_and(":refresh")
    }

    /// The pending logout's key.
    pub(super) fn logout_key(&self) -> String {
        crate::core::text::cat(&[PREFIX, ":logout:", &self.session_key()])
    }

    /// The last user activity any tab saw (`localStorage`), for `idleTimeoutSeconds`.
    pub(super) fn activity_key(&self) -> String {
        self.session_key_and(":activity")
    }

    /// When a tab last signed out (`localStorage`, ms), for the tabs that share no session
    /// (`memory` and `session` storage) and slept through its message.
    pub(super) fn signed_out_key(&self) -> String {
        self.session_key_and(":signedOut")
    }

    /// When this tab last went to the OP for a redirect sign-in (ms, in `sessionStorage`),
    /// until a response comes back.
    pub(super) fn redirect_key(&self) -> String {
        self.session_key_and(":redirect")
    }
}
