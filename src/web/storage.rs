//! Where sessions and pending transactions live.
//!
//! - Sessions: in the wasm heap (`memory`, the default: the refresh token never leaves the
//!   module, and a reload forgets it), in `sessionStorage` (one tab, survives reloads) or in
//!   `localStorage` (shared by the tabs of the origin, survives restarts, readable by any script
//!   on the origin).
//! - Authorization transactions (state, nonce, PKCE verifier) always go to `sessionStorage`, keyed
//!   by state, because a redirect sign-in reloads the page. Several may be pending; each expires
//!   after [`TRANSACTION_LIFETIME`](crate::core::config::TRANSACTION_LIFETIME) seconds and expired ones are purged whenever one is stored.
//! - A `local` session is also written to IndexedDB, which is what the tabs read under the
//!   refresh lock and on another tab's news ([`SessionStore::load_latest`]). `localStorage` cannot
//!   serve there: Chromium keeps a copy of it in every renderer process and passes other tabs'
//!   writes on asynchronously, so a tab that gets the Web Lock just after another tab refreshed
//!   could still read the session from before, replay the rotated refresh token and make the OP
//!   revoke the whole grant. An IndexedDB read that starts after a write's transaction completed
//!   sees that write.

use crate::core::authorize::Transaction;
use crate::core::config::StorageKind;
use crate::core::logout::LogoutTransaction;
use crate::core::session::Session;
use crate::core::stored;
use crate::Error;
use std::cell::RefCell;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

const PREFIX: &str = "oidc-rp-wasm";

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

/// Reads `key` with `parse` (a [`stored`] reader).
fn read<T>(
    storage: &web_sys::Storage,
    key: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<Option<T>, Error> {
    let Some(text) = storage
        .get_item(key)
        .map_err(|_| Error::Storage(format!("reading {key}")))?
    else {
        return Ok(None);
    };
    // A value that no longer parses (an older version's, or tampered) is dropped, not fatal.
    match parse(&text) {
        Some(value) => Ok(Some(value)),
        None => {
            let _ = storage.remove_item(key);
            Ok(None)
        }
    }
}

fn write(storage: &web_sys::Storage, key: &str, text: &str) -> Result<(), Error> {
    storage
        .set_item(key, text)
        .map_err(|_| Error::Storage(format!("writing {key} (quota?)")))
}

/// The session store of one client (issuer + client id).
#[derive(Debug, Clone)]
pub struct SessionStore {
    kind: StorageKind,
    key: String,
}

impl SessionStore {
    /// The store for `issuer` and `client_id` in `kind`.
    pub fn new(kind: StorageKind, issuer: &str, client_id: &str) -> Self {
        SessionStore {
            kind,
            key: format!("{PREFIX}:session:{issuer}:{client_id}"),
        }
    }

    /// Where it keeps the session.
    pub fn kind(&self) -> StorageKind {
        self.kind
    }

    /// The storage key, also the name of the cross-tab lock and channel.
    pub fn key(&self) -> &str {
        &self.key
    }

    fn storage(&self) -> Result<Option<web_sys::Storage>, Error> {
        match self.kind {
            StorageKind::Memory => Ok(None),
            StorageKind::Session => web_storage(false).map(Some),
            StorageKind::Local => web_storage(true).map(Some),
        }
    }

    /// The persisted session; always `None` for memory storage.
    pub fn load(&self) -> Result<Option<Session>, Error> {
        match self.storage()? {
            Some(storage) => read(&storage, &self.key, stored::session_from_text),
            None => Ok(None),
        }
    }

    /// Persists `session` (a no-op for memory storage).
    pub fn save(&self, session: &Session) -> Result<(), Error> {
        match self.storage()? {
            Some(storage) => write(&storage, &self.key, &stored::session_to_text(session)),
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

    /// The session as the tabs last wrote it: for `local`, the IndexedDB copy (consistent across
    /// tabs; see the module docs), or `localStorage` when there is none; otherwise [`Self::load`].
    pub async fn load_latest(&self) -> Result<Option<Session>, Error> {
        if self.kind == StorageKind::Local {
            if let Some(text) = shared::get(&self.key).await? {
                if let Some(session) = stored::session_from_text(&text) {
                    return Ok(Some(session));
                }
            }
        }
        self.load()
    }

    /// For `local`, writes `session` to IndexedDB and returns once the write is committed, so
    /// that a tab reading after this one released the refresh lock sees it. A no-op otherwise.
    pub async fn save_shared(&self, session: &Session) -> Result<(), Error> {
        if self.kind != StorageKind::Local {
            return Ok(());
        }
        let text = stored::session_to_text(session);
        shared::put(&self.key, &text).await
    }

    /// For `local`, removes the IndexedDB copy. A no-op otherwise.
    pub async fn clear_shared(&self) -> Result<(), Error> {
        if self.kind != StorageKind::Local {
            return Ok(());
        }
        shared::delete(&self.key).await
    }
}

/// IndexedDB, for the copy of a `local` session: one object store, values are the session's JSON
/// text keyed like the `localStorage` item. Where the browser has no IndexedDB (or refuses to
/// open it), reads find nothing and writes do nothing: the tabs then fall back to `localStorage`.
mod shared {
    use super::*;

    const DATABASE: &str = "oidc-rp-wasm";
    const STORE: &str = "sessions";

    // web-sys has these behind features this crate does not enable; the few calls used here are
    // declared directly, as tabs.rs does for Web Locks.
    #[wasm_bindgen]
    extern "C" {
        /// `IDBFactory` (`window.indexedDB`).
        type IdbFactory;
        #[wasm_bindgen(method, catch)]
        fn open(this: &IdbFactory, name: &str, version: u32) -> Result<IdbRequest, JsValue>;

        /// `IDBRequest` (and `IDBOpenDBRequest`).
        #[derive(Clone)]
        type IdbRequest;
        #[wasm_bindgen(method, getter, catch)]
        fn result(this: &IdbRequest) -> Result<JsValue, JsValue>;
        #[wasm_bindgen(method, setter)]
        fn set_onsuccess(this: &IdbRequest, handler: &js_sys::Function);
        #[wasm_bindgen(method, setter)]
        fn set_onerror(this: &IdbRequest, handler: &js_sys::Function);
        #[wasm_bindgen(method, setter)]
        fn set_onupgradeneeded(this: &IdbRequest, handler: &js_sys::Function);

        /// `IDBDatabase`.
        #[derive(Clone)]
        type IdbDatabase;
        #[wasm_bindgen(method, catch)]
        fn transaction(
            this: &IdbDatabase,
            store: &str,
            mode: &str,
        ) -> Result<IdbTransaction, JsValue>;
        #[wasm_bindgen(method, catch, js_name = createObjectStore)]
        fn create_object_store(this: &IdbDatabase, name: &str) -> Result<JsValue, JsValue>;

        /// `IDBTransaction`.
        type IdbTransaction;
        #[wasm_bindgen(method, catch, js_name = objectStore)]
        fn object_store(this: &IdbTransaction, name: &str) -> Result<IdbObjectStore, JsValue>;
        #[wasm_bindgen(method, setter)]
        fn set_oncomplete(this: &IdbTransaction, handler: &js_sys::Function);
        #[wasm_bindgen(method, setter)]
        fn set_onerror(this: &IdbTransaction, handler: &js_sys::Function);
        #[wasm_bindgen(method, setter)]
        fn set_onabort(this: &IdbTransaction, handler: &js_sys::Function);

        /// `IDBObjectStore`.
        type IdbObjectStore;
        #[wasm_bindgen(method, catch)]
        fn get(this: &IdbObjectStore, key: &str) -> Result<IdbRequest, JsValue>;
        #[wasm_bindgen(method, catch)]
        fn put(this: &IdbObjectStore, value: &str, key: &str) -> Result<IdbRequest, JsValue>;
        #[wasm_bindgen(method, catch)]
        fn delete(this: &IdbObjectStore, key: &str) -> Result<IdbRequest, JsValue>;
    }

    thread_local! {
        static OPEN: RefCell<Option<IdbDatabase>> = const { RefCell::new(None) };
    }

    fn failed(what: &str, e: &JsValue) -> Error {
        Error::Storage(format!("IndexedDB {what}: {}", super::super::js_text(e)))
    }

    /// Waits for `request` to succeed and returns its result.
    async fn finished(request: &IdbRequest, what: &str) -> Result<JsValue, Error> {
        let promise = js_sys::Promise::new(&mut |resolve, reject| {
            request.set_onsuccess(&resolve);
            request.set_onerror(&reject);
        });
        wasm_bindgen_futures::JsFuture::from(promise)
            .await
            .map_err(|e| failed(what, &e))?;
        request.result().map_err(|e| failed(what, &e))
    }

    /// The database, opened (and created) once per page; `None` without IndexedDB.
    async fn database() -> Option<IdbDatabase> {
        if let Some(db) = OPEN.with(|open| open.borrow().clone()) {
            return Some(db);
        }
        let window = super::super::window().ok()?;
        let factory = js_sys::Reflect::get(&window, &JsValue::from_str("indexedDB")).ok()?;
        if factory.is_undefined() || factory.is_null() {
            return None;
        }
        let request = factory
            .unchecked_into::<IdbFactory>()
            .open(DATABASE, 1)
            .ok()?;
        // Runs at most once, when the database is first created.
        let upgrade = {
            let request = request.clone();
            Closure::once_into_js(move || {
                if let Ok(db) = request.result() {
                    let _ = db
                        .unchecked_into::<IdbDatabase>()
                        .create_object_store(STORE);
                }
            })
        };
        request.set_onupgradeneeded(upgrade.unchecked_ref());
        let db: IdbDatabase = finished(&request, "open").await.ok()?.unchecked_into();
        OPEN.with(|open| *open.borrow_mut() = Some(db.clone()));
        Some(db)
    }

    /// The text stored under `key`, if any.
    pub async fn get(key: &str) -> Result<Option<String>, Error> {
        let Some(db) = database().await else {
            return Ok(None);
        };
        let store = db
            .transaction(STORE, "readonly")
            .and_then(|tx| tx.object_store(STORE))
            .map_err(|e| failed("transaction", &e))?;
        let request = store.get(key).map_err(|e| failed("get", &e))?;
        Ok(finished(&request, "get").await?.as_string())
    }

    /// Runs `change` on the store in a read-write transaction; returns once it is committed.
    async fn write(
        change: impl FnOnce(&IdbObjectStore) -> Result<IdbRequest, JsValue>,
    ) -> Result<(), Error> {
        let Some(db) = database().await else {
            return Ok(());
        };
        let tx = db
            .transaction(STORE, "readwrite")
            .map_err(|e| failed("transaction", &e))?;
        let committed = js_sys::Promise::new(&mut |resolve, reject| {
            tx.set_oncomplete(&resolve);
            tx.set_onerror(&reject);
            tx.set_onabort(&reject);
        });
        tx.object_store(STORE)
            .and_then(|store| change(&store))
            .map_err(|e| failed("write", &e))?;
        wasm_bindgen_futures::JsFuture::from(committed)
            .await
            .map(|_| ())
            .map_err(|e| failed("commit", &e))
    }

    /// Stores `value` under `key`.
    pub async fn put(key: &str, value: &str) -> Result<(), Error> {
        write(|store| store.put(value, key)).await
    }

    /// Removes `key`.
    pub async fn delete(key: &str) -> Result<(), Error> {
        write(|store| store.delete(key)).await
    }
}

fn tx_key(state: &str) -> String {
    format!("{PREFIX}:tx:{state}")
}

/// Stores a pending authorization transaction and purges expired ones.
pub fn save_transaction(tx: &Transaction, now: i64) -> Result<(), Error> {
    let storage = web_storage(false)?;
    purge_expired(&storage, now);
    write(
        &storage,
        &tx_key(&tx.state),
        &stored::transaction_to_text(tx),
    )
}

/// Takes (reads and removes) the transaction for `state`; `None` if unknown or expired. Taking it
/// makes every response single-use.
pub fn take_transaction(state: &str, now: i64) -> Result<Option<Transaction>, Error> {
    let storage = web_storage(false)?;
    let key = tx_key(state);
    let tx = read(&storage, &key, stored::transaction_from_text)?;
    let _ = storage.remove_item(&key);
    Ok(tx.filter(|tx| !tx.is_stale(now)))
}

/// Reads the transaction for `state` without removing it.
pub fn peek_transaction(state: &str, now: i64) -> Result<Option<Transaction>, Error> {
    let storage = web_storage(false)?;
    let tx = read(&storage, &tx_key(state), stored::transaction_from_text)?;
    Ok(tx.filter(|tx| !tx.is_stale(now)))
}

fn purge_expired(storage: &web_sys::Storage, now: i64) {
    let prefix = tx_key("");
    let length = storage.length().unwrap_or(0);
    let keys: Vec<String> = (0..length)
        .filter_map(|i| storage.key(i).ok().flatten())
        .filter(|k| k.starts_with(&prefix))
        .collect();
    for key in keys {
        let expired = match read(storage, &key, stored::transaction_from_text) {
            Ok(Some(tx)) => tx.is_stale(now),
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
    write(
        &web_storage(false)?,
        &logout_key(client_key),
        &stored::logout_to_text(tx),
    )
}

/// Takes the pending logout transaction.
pub fn take_logout(client_key: &str) -> Result<Option<LogoutTransaction>, Error> {
    let storage = web_storage(false)?;
    let key = logout_key(client_key);
    let tx = read(&storage, &key, stored::logout_from_text)?;
    let _ = storage.remove_item(&key);
    Ok(tx)
}
