//! Where sessions and pending transactions live.
//!
//! - Sessions: in the wasm heap (`memory`, the default: the refresh token never leaves the
//!   module, and a reload forgets it), in `sessionStorage` (one tab, survives reloads) or in
//!   `localStorage` (shared by the tabs of the origin, survives restarts, readable by any script
//!   on the origin).
//! - Authorization transactions (state, nonce, PKCE verifier) always go to `sessionStorage`, keyed
//!   by state, because a redirect sign-in reloads the page. Several may be pending; each expires
//!   after [`TRANSACTION_LIFETIME`] seconds and expired ones are purged whenever one is stored.

use crate::core::authorize::Transaction;
use crate::core::logout::LogoutTransaction;
use crate::core::session::Session;
use crate::Error;
use serde::{de::DeserializeOwned, Serialize};

/// How long a pending authorization request stays valid, in seconds.
pub const TRANSACTION_LIFETIME: i64 = 600;

const PREFIX: &str = "oidc-rp-wasm";

/// Where the session is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionStorage {
    /// The wasm heap only.
    Memory,
    /// `sessionStorage`.
    Session,
    /// `localStorage`, shared across tabs.
    Local,
}

fn web_storage(local: bool) -> Result<web_sys::Storage, Error> {
    let window = super::window()?;
    let storage = if local {
        window.local_storage()
    } else {
        window.session_storage()
    };
    storage
        .ok()
        .flatten()
        .ok_or_else(|| Error::Storage("web storage is disabled".into()))
}

fn read<T: DeserializeOwned>(storage: &web_sys::Storage, key: &str) -> Result<Option<T>, Error> {
    let Some(text) = storage.get_item(key).map_err(|_| Error::Storage(format!("reading {key}")))? else {
        return Ok(None);
    };
    // A value that no longer parses (an older version's, or tampered) is dropped, not fatal.
    match serde_json::from_str(&text) {
        Ok(value) => Ok(Some(value)),
        Err(_) => {
            let _ = storage.remove_item(key);
            Ok(None)
        }
    }
}

fn write<T: Serialize>(storage: &web_sys::Storage, key: &str, value: &T) -> Result<(), Error> {
    let text = serde_json::to_string(value).map_err(|e| Error::Storage(e.to_string()))?;
    storage
        .set_item(key, &text)
        .map_err(|_| Error::Storage(format!("writing {key} (quota?)")))
}

/// The session store of one client (issuer + client id).
#[derive(Debug, Clone)]
pub struct SessionStore {
    kind: SessionStorage,
    key: String,
}

impl SessionStore {
    /// The store for `issuer` and `client_id` in `kind`.
    pub fn new(kind: SessionStorage, issuer: &str, client_id: &str) -> Self {
        SessionStore {
            kind,
            key: format!("{PREFIX}:session:{issuer}:{client_id}"),
        }
    }

    /// Where it keeps the session.
    pub fn kind(&self) -> SessionStorage {
        self.kind
    }

    /// The storage key, also the name of the cross-tab lock and channel.
    pub fn key(&self) -> &str {
        &self.key
    }

    fn storage(&self) -> Result<Option<web_sys::Storage>, Error> {
        match self.kind {
            SessionStorage::Memory => Ok(None),
            SessionStorage::Session => web_storage(false).map(Some),
            SessionStorage::Local => web_storage(true).map(Some),
        }
    }

    /// The persisted session; always `None` for memory storage.
    pub fn load(&self) -> Result<Option<Session>, Error> {
        match self.storage()? {
            Some(storage) => read(&storage, &self.key),
            None => Ok(None),
        }
    }

    /// Persists `session` (a no-op for memory storage).
    pub fn save(&self, session: &Session) -> Result<(), Error> {
        match self.storage()? {
            Some(storage) => write(&storage, &self.key, session),
            None => Ok(()),
        }
    }

    /// Forgets the persisted session.
    pub fn clear(&self) -> Result<(), Error> {
        if let Some(storage) = self.storage()? {
            let _ = storage.remove_item(&self.key);
        }
        Ok(())
    }
}

fn tx_key(state: &str) -> String {
    format!("{PREFIX}:tx:{state}")
}

/// Stores a pending authorization transaction and purges expired ones.
pub fn save_transaction(tx: &Transaction, now: i64) -> Result<(), Error> {
    let storage = web_storage(false)?;
    purge_expired(&storage, now);
    write(&storage, &tx_key(&tx.state), tx)
}

/// Takes (reads and removes) the transaction for `state`; `None` if unknown or expired. Taking it
/// makes every response single-use.
pub fn take_transaction(state: &str, now: i64) -> Result<Option<Transaction>, Error> {
    let storage = web_storage(false)?;
    let key = tx_key(state);
    let tx: Option<Transaction> = read(&storage, &key)?;
    let _ = storage.remove_item(&key);
    Ok(tx.filter(|tx| !tx.is_expired(now, TRANSACTION_LIFETIME)))
}

/// Reads the transaction for `state` without removing it.
pub fn peek_transaction(state: &str, now: i64) -> Result<Option<Transaction>, Error> {
    let storage = web_storage(false)?;
    let tx: Option<Transaction> = read(&storage, &tx_key(state))?;
    Ok(tx.filter(|tx| !tx.is_expired(now, TRANSACTION_LIFETIME)))
}

fn purge_expired(storage: &web_sys::Storage, now: i64) {
    let prefix = tx_key("");
    let length = storage.length().unwrap_or(0);
    let keys: Vec<String> = (0..length)
        .filter_map(|i| storage.key(i).ok().flatten())
        .filter(|k| k.starts_with(&prefix))
        .collect();
    for key in keys {
        let expired = match read::<Transaction>(storage, &key) {
            Ok(Some(tx)) => tx.is_expired(now, TRANSACTION_LIFETIME),
            _ => true,
        };
        if expired {
            let _ = storage.remove_item(&key);
        }
    }
}

fn logout_key(client_key: &str) -> String {
    format!("{PREFIX}:logout:{client_key}")
}

/// Stores the pending logout's state until the OP sends the user back.
pub fn save_logout(client_key: &str, tx: &LogoutTransaction) -> Result<(), Error> {
    write(&web_storage(false)?, &logout_key(client_key), tx)
}

/// Takes the pending logout transaction.
pub fn take_logout(client_key: &str) -> Result<Option<LogoutTransaction>, Error> {
    let storage = web_storage(false)?;
    let key = logout_key(client_key);
    let tx = read(&storage, &key)?;
    let _ = storage.remove_item(&key);
    Ok(tx)
}
