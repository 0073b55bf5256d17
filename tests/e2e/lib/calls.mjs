// SDK calls made in a page of the example app (window.__example.client), timed there, with their
// outcome as plain data, and what the origin's storage holds: for the fault, many-tab and CSP
// scenarios, which compare what the SDK returned with what the OP saw.

/**
 * Calls `client[method]()` in `page` and reports how it ended:
 * { ok: true, ms, accessToken?, hasRefreshToken? } or
 * { ok: false, ms, code, reason, description, message, name, isError }.
 */
export function callIn(page, method = 'refresh') {
  return page.evaluate(async (method) => {
    const started = performance.now();
    try {
      const value = await window.__example.client[method]();
      const ms = performance.now() - started;
      if (typeof value === 'string') return { ok: true, ms, accessToken: value };
      return { ok: true, ms, accessToken: value?.accessToken, hasRefreshToken: value?.hasRefreshToken };
    } catch (e) {
      return {
        ok: false,
        ms: performance.now() - started,
        code: e?.code,
        reason: e?.reason,
        description: e?.description,
        message: String(e?.message ?? e),
        name: e?.name,
        isError: e instanceof Error,
      };
    }
  }, method);
}

/** refresh() in `app`'s page (see callIn). */
export const refreshIn = (app) => callIn(app.page, 'refresh');

/** The localStorage / sessionStorage key under which the SDK keeps the session of `clientId`. */
export const sessionKey = (issuer, clientId = 'spa') => `oidc-rp-wasm:session:${issuer}:${clientId}`;

/**
 * What the page's origin stores for `key`: { local, session, indexedDb } (each the stored text or
 * null; indexedDb is null too when the SDK's database does not exist, which is not created here).
 */
export function storedSession(page, key) {
  return page.evaluate(async (key) => {
    const local = localStorage.getItem(key);
    const session = sessionStorage.getItem(key);
    let indexedDb = null;
    const factory = window.indexedDB;
    if (factory && (await factory.databases()).some((d) => d.name === 'oidc-rp-wasm')) {
      indexedDb = await new Promise((ok, fail) => {
        const open = factory.open('oidc-rp-wasm');
        open.onerror = () => fail(open.error);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains('sessions')) {
            db.close();
            ok(null);
            return;
          }
          const get = db.transaction('sessions', 'readonly').objectStore('sessions').get(key);
          get.onerror = () => fail(get.error);
          get.onsuccess = () => {
            db.close();
            ok(get.result ?? null);
          };
        };
      });
    }
    return { local, session, indexedDb };
  }, key);
}

/** Whether the SDK's IndexedDB database exists for the page's origin. */
export function hasSdkDatabase(page) {
  return page.evaluate(async () => (await indexedDB.databases()).some((d) => d.name === 'oidc-rp-wasm'));
}
