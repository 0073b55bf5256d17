//! Storage: what [`Command::Read`](crate::core::machine::Command::Read),
//! [`Write`](crate::core::machine::Command::Write),
//! [`Remove`](crate::core::machine::Command::Remove) and
//! [`ListKeys`](crate::core::machine::Command::ListKeys) name, in `sessionStorage`,
//! `localStorage` or IndexedDB. What is stored where, under which key and when, is the
//! machine's; a storage that is disabled or full is a [`Error::Storage`] answer.

use crate::core::machine::Area;
use crate::Error;

/// `sessionStorage` or `localStorage` (IndexedDB is [`shared`]).
fn web_storage(area: Area) -> Result<web_sys::Storage, Error> {
    let window = super::window()?;
    let storage = match area {
        Area::Session => window.session_storage(),
        Area::Local => window.local_storage(),
        Area::Shared => return Err(Error::Storage("IndexedDB is not web storage".into())),
    };
    storage
        .map_err(|e| Error::Storage(super::js_text(&e)))?
        .ok_or_else(|| Error::Storage("web storage is disabled".into()))
}

/// The text under `key` in web storage, or `None`.
pub(super) fn read(area: Area, key: &str) -> Result<Option<String>, Error> {
    web_storage(area)?
        .get_item(key)
        .map_err(|e| Error::Storage(format!("reading {key}: {}", super::js_text(&e))))
}

/// Stores `value` under `key` in web storage (a full storage throws: an error).
pub(super) fn write(area: Area, key: &str, value: &str) -> Result<(), Error> {
    web_storage(area)?
        .set_item(key, value)
        .map_err(|e| Error::Storage(format!("writing {key}: {}", super::js_text(&e))))
}

/// Removes `key` from web storage.
pub(super) fn remove(area: Area, key: &str) -> Result<(), Error> {
    web_storage(area)?
        .remove_item(key)
        .map_err(|e| Error::Storage(format!("removing {key}: {}", super::js_text(&e))))
}

/// The keys of web storage `area` that start with `prefix` (none where it cannot be read).
pub(super) fn keys(area: Area, prefix: &str) -> Vec<String> {
    let Ok(storage) = web_storage(area) else {
        return Vec::new();
    };
    let length = storage.length().unwrap_or(0);
    (0..length)
        .filter_map(|i| storage.key(i).ok().flatten())
        .filter(|k| k.starts_with(prefix))
        .collect()
}

/// IndexedDB ([`Area::Shared`]): one object store of text values. Where the browser has no
/// IndexedDB (or refuses to open it), reads find nothing and writes do nothing.
pub(super) mod shared {
    use crate::Error;
    use std::cell::RefCell;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::prelude::wasm_bindgen;
    use wasm_bindgen::{JsCast, JsValue};

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
        #[wasm_bindgen(method)]
        fn close(this: &IdbDatabase);
        #[wasm_bindgen(method, setter)]
        fn set_onversionchange(this: &IdbDatabase, handler: &js_sys::Function);
        #[wasm_bindgen(method, setter)]
        fn set_onclose(this: &IdbDatabase, handler: &js_sys::Function);

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
        #[wasm_bindgen(method, catch, js_name = put)]
        fn put_value(
            this: &IdbObjectStore,
            value: &JsValue,
            key: &str,
        ) -> Result<IdbRequest, JsValue>;
    }

    thread_local! {
        static OPEN: RefCell<Option<IdbDatabase>> = const { RefCell::new(None) };
    }

    fn failed(what: &str, e: &JsValue) -> Error {
        Error::Storage(format!("IndexedDB {what}: {}", crate::web::js_text(e)))
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
        let window = crate::web::window().ok()?;
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
        // Two first uses that overlap each open a connection: the first one kept serves both.
        if let Some(kept) = OPEN.with(|open| open.borrow().clone()) {
            db.close();
            return Some(kept);
        }
        // Let go when the page's code deletes the database (its delete waits for every open
        // connection, and every later open, in any tab, waits for the delete) or the browser
        // closes it: the next use opens it again.
        let release = Closure::<dyn FnMut(web_sys::Event)>::new(|event: web_sys::Event| {
            let Some(closed) = event.target() else {
                return;
            };
            closed.unchecked_ref::<IdbDatabase>().close();
            OPEN.with(|open| {
                let mut open = open.borrow_mut();
                if open.as_ref().is_some_and(|kept| {
                    AsRef::<JsValue>::as_ref(kept) == AsRef::<JsValue>::as_ref(&closed)
                }) {
                    *open = None;
                }
            });
        })
        .into_js_value();
        db.set_onversionchange(release.unchecked_ref());
        db.set_onclose(release.unchecked_ref());
        OPEN.with(|open| *open.borrow_mut() = Some(db.clone()));
        Some(db)
    }

    /// The text stored under `key`, if any.
    pub(in crate::web) async fn get(key: &str) -> Result<Option<String>, Error> {
        Ok(read(key).await?.and_then(|value| value.as_string()))
    }

    /// The value stored under `key` (`None` without IndexedDB).
    async fn read(key: &str) -> Result<Option<JsValue>, Error> {
        let Some(db) = database().await else {
            return Ok(None);
        };
        let store = db
            .transaction(STORE, "readonly")
            .and_then(|tx| tx.object_store(STORE))
            .map_err(|e| failed("transaction", &e))?;
        let request = store.get(key).map_err(|e| failed("get", &e))?;
        Ok(Some(finished(&request, "get").await?))
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

    /// The object stored under `key` (a DPoP key pair: `CryptoKey` objects), if any.
    pub(in crate::web) async fn get_object(key: &str) -> Result<Option<JsValue>, Error> {
        Ok(read(key).await?.filter(JsValue::is_object))
    }

    /// Stores the object `value` (structured-cloned: `CryptoKey`s stay keys) under `key`.
    pub(in crate::web) async fn put_object(key: &str, value: &JsValue) -> Result<(), Error> {
        write(|store| store.put_value(value, key)).await
    }

    /// Stores `value` under `key`.
    pub(in crate::web) async fn put(key: &str, value: &str) -> Result<(), Error> {
        write(|store| store.put(value, key)).await
    }

    /// Removes `key`.
    pub(in crate::web) async fn delete(key: &str) -> Result<(), Error> {
        write(|store| store.delete(key)).await
    }
}
