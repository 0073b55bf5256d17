// Browser facilities that fail or are missing (hardening), broken by an init script before the
// app loads: localStorage.setItem throwing QuotaExceededError, no IndexedDB, no Web Locks, no
// BroadcastChannel, and WebCrypto refusing RSASSA-PKCS1-v1_5 keys. Each scenario checks the
// typed error code, what is (and is not) stored, and that the SDK works once the fault is gone,
// without the OP ever seeing a refresh token twice.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startEnv, inContext, App, userinfo } from './lib/sdk.mjs';
import { refreshIn, sessionKey, storedSession, hasSdkDatabase } from './lib/calls.mjs';

const SCENARIO = { timeout: 60_000 };

let env;
let key;

before(async () => {
  env = await startEnv({ op: { accessTokenTtl: 3600 } });
  key = sessionKey(env.op.issuer);
});

after(async () => {
  await env?.close();
});

const refreshRequests = () => env.op.events.tokenRequests.filter((r) => r.grantType === 'refresh_token');

function opReport() {
  return JSON.stringify({
    reuse: env.op.events.refreshTokenReuse,
    revoked: env.op.events.revokedGrants,
    tokenRequests: env.op.events.tokenRequests,
  });
}

function assertNoReuse() {
  assert.equal(env.op.events.refreshTokenReuse, 0, `a rotated refresh token was presented again: ${opReport()}`);
  assert.deepEqual(env.op.events.revokedGrants, [], opReport());
  assert.deepEqual(env.op.events.names().filter((n) => n === 'server_error'), []);
}

/** Opens the example in a new tab whose pages run `script` first (before the app's own code). */
async function openWith(context, script, arg) {
  const page = await context.newPage();
  await page.addInitScript(script, arg);
  await page.goto(env.urls.app);
  const app = new App(page, env);
  await app.ready();
  return app;
}

async function openSignedIn(context) {
  const app = await App.open(context, env);
  if ((await app.status()) === 'unavailable') {
    const { lastError } = await app.state();
    assert.fail(`the client did not start: ${lastError?.code}: ${lastError?.message}`);
  }
  await app.signinRedirect();
  await app.waitSignedIn();
  return app;
}

/**
 * Makes localStorage.setItem throw QuotaExceededError (what Chromium throws when the origin's
 * quota is used up) while `window.__e2eQuotaExceeded` is true; sessionStorage keeps working.
 */
function quotaScript() {
  const setItem = Storage.prototype.setItem;
  Storage.prototype.setItem = function (name, value) {
    if (window.__e2eQuotaExceeded && this === window.localStorage) {
      throw new DOMException(`Failed to execute 'setItem' on 'Storage': Setting the value of '${name}' exceeded the quota.`, 'QuotaExceededError');
    }
    return setItem.call(this, name, value);
  };
}

test('localStorage full (QuotaExceededError) when a refresh stores its result: storage error, session kept, next refresh works', SCENARIO, (t) =>
  inContext(env, { overrides: { storage: 'local' } }, async ({ context }) => {
    await context.addInitScript(quotaScript);
    const app = await openSignedIn(context);
    const kept = await app.session();
    assert.equal(kept.hasRefreshToken, true);
    env.op.events.clear();

    await app.page.evaluate(() => {
      window.__e2eQuotaExceeded = true;
    });
    const failed = await refreshIn(app);
    await app.page.evaluate(() => {
      window.__e2eQuotaExceeded = false;
    });
    const session = await app.session();
    t.diagnostic(`refresh with localStorage full: ${JSON.stringify(failed)}; OP: ${JSON.stringify(refreshRequests())}`);
    t.diagnostic(`session afterwards: accessToken ${session?.accessToken === kept.accessToken ? 'unchanged' : 'changed'}, hasRefreshToken ${session?.hasRefreshToken}`);
    assert.equal(failed.ok, false, `the refresh resolved though its result could not be stored: ${JSON.stringify(failed)}`);
    assert.equal(failed.code, 'storage');
    assert.equal(failed.isError, true);
    assert.deepEqual(refreshRequests().map((r) => r.status), [200], 'the OP answered the refresh (and rotated the refresh token)');
    assert.ok(session, 'the session is still there');
    assert.equal(session.accessToken, kept.accessToken, 'the app still has its access token');
    assert.equal(session.hasRefreshToken, true);
    assert.equal(await app.status(), 'signed-in');

    // The storage has room again. The OP rotated the refresh token in the answer the SDK could
    // not store: the next refresh must present the rotated one, not the spent one.
    const next = await refreshIn(app);
    t.diagnostic(`next refresh: ${JSON.stringify(next)}; OP: ${opReport()}`);
    assert.equal(next.ok, true, `the refresh once storage works again: ${JSON.stringify(next)}; OP: ${opReport()}`);
    assert.notEqual(next.accessToken, kept.accessToken);
    assertNoReuse();
    const stored = await storedSession(app.page, key);
    assert.ok(stored.local?.includes(next.accessToken), 'the new session is in localStorage');
    assert.ok(stored.indexedDb?.includes(next.accessToken), 'and in IndexedDB');
    assert.equal((await userinfo(env.op, next.accessToken)).status, 200);
  }));

test('localStorage full from the start: the sign-in callback fails with storage and stores nothing; with room again, sign-in works', SCENARIO, (t) =>
  inContext(env, { overrides: { storage: 'local' } }, async ({ context }) => {
    await context.addInitScript(quotaScript);
    env.op.events.clear();
    // This tab's pages (the app, and the app again on the way back from the OP) are full.
    const app = await openWith(context, () => {
      window.__e2eQuotaExceeded = true;
    });
    await app.signinRedirect();
    const { lastError, session, calls } = await app.state();
    t.diagnostic(`callback with localStorage full: ${JSON.stringify(lastError)}`);
    assert.equal(calls.at(-1).name, 'handleRedirectCallback');
    assert.equal(calls.at(-1).ok, false);
    assert.equal(lastError?.code, 'storage');
    assert.equal(session, null, 'no session');
    assert.equal(await app.status(), 'signed-out');
    assert.deepEqual(env.op.events.tokenRequests.map((r) => `${r.grantType}:${r.status}`), ['authorization_code:200']);
    const stored = await storedSession(app.page, key);
    assert.deepEqual({ local: stored.local, indexedDb: stored.indexedDb }, { local: null, indexedDb: null }, 'nothing stored');

    // Room again (a new tab, whose pages leave localStorage alone).
    const again = await App.open(context, env);
    await again.signinRedirect();
    await again.waitSignedIn();
    const signedIn = await again.session();
    assert.equal(signedIn.hasRefreshToken, true);
    const next = await refreshIn(again);
    assert.equal(next.ok, true, JSON.stringify(next));
    assertNoReuse();
  }));

test('no IndexedDB (window.indexedDB undefined): storage "local" falls back to localStorage; sign-in, refresh, another tab, refresh', SCENARIO, () =>
  inContext(env, { overrides: { storage: 'local' } }, async ({ context }) => {
    // Page by page, so that a page without it can look for the SDK's database afterwards.
    const noIndexedDb = () => Object.defineProperty(window, 'indexedDB', { configurable: true, get: () => undefined });
    const a = await openWith(context, noIndexedDb);
    assert.equal(await a.page.evaluate(() => window.indexedDB), undefined);
    await a.signinRedirect();
    await a.waitSignedIn();
    env.op.events.clear();
    const first = await refreshIn(a);
    assert.equal(first.ok, true, JSON.stringify(first));
    assert.ok((await storedSession(a.page, key)).local?.length > 0, 'the session is in localStorage');

    const b = await openWith(context, noIndexedDb);
    await b.waitSignedIn();
    assert.equal((await b.session()).accessToken, first.accessToken, 'tab B restored the refreshed session from localStorage');
    // Tab A records the session writes that reach its view of localStorage (`storage` events).
    await a.page.evaluate((key) => {
      window.__e2eWrites = [];
      addEventListener('storage', (e) => {
        if (e.key === key) window.__e2eWrites.push(e.newValue);
      });
    }, key);
    const second = await refreshIn(b);
    assert.equal(second.ok, true, JSON.stringify(second));
    assert.notEqual(second.accessToken, first.accessToken);
    // Without IndexedDB the tabs read localStorage, whose writes reach the other tabs
    // asynchronously: tab A refreshes once tab B's write has reached it (the `storage` event),
    // else it could read the spent refresh token under the lock and replay it (the degradation
    // the README describes). Whether tab A took tab B's session on the BroadcastChannel message is
    // left open: that message can arrive before the write does (see the report).
    await a.page.waitForFunction((token) => window.__e2eWrites.some((v) => v?.includes(token)), second.accessToken, { timeout: 5000 });
    const third = await refreshIn(a);
    assert.equal(third.ok, true, JSON.stringify(third));
    assert.ok(refreshRequests().every((r) => r.status === 200), JSON.stringify(refreshRequests()));
    // Two or three grants: tab A either took tab B's session under the lock, or had taken it on
    // the channel's news and refreshed it.
    assert.ok([2, 3].includes(refreshRequests().length), JSON.stringify(refreshRequests()));
    assertNoReuse();
    assert.equal((await userinfo(env.op, third.accessToken)).status, 200);

    // The SDK never created its database: a page of the origin without the override sees none.
    const check = await context.newPage();
    await check.goto(`${env.rp.origin}/config.json`);
    assert.equal(await hasSdkDatabase(check), false, 'no oidc-rp-wasm database');
  }));

test('no Web Locks (navigator.locks undefined): sign-in and refresh work, in one tab and then another', SCENARIO, () =>
  inContext(env, { overrides: { storage: 'local' } }, async ({ context }) => {
    await context.addInitScript(() => {
      Object.defineProperty(Navigator.prototype, 'locks', { configurable: true, get: () => undefined });
    });
    const a = await openSignedIn(context);
    assert.equal(await a.page.evaluate(() => navigator.locks), undefined);
    env.op.events.clear();
    const first = await refreshIn(a);
    assert.equal(first.ok, true, JSON.stringify(first));
    const b = await App.open(context, env);
    await b.waitSignedIn();
    const second = await refreshIn(b);
    assert.equal(second.ok, true, JSON.stringify(second));
    assert.notEqual(second.accessToken, first.accessToken);
    await a.page.waitForFunction((token) => window.__example.client.session?.accessToken === token, second.accessToken, { timeout: 5000 });
    const third = await refreshIn(a);
    assert.equal(third.ok, true, JSON.stringify(third));
    assertNoReuse();
    assert.equal((await userinfo(env.op, third.accessToken)).status, 200);
  }));

test("the page's code deletes the SDK's IndexedDB database: the delete goes through, and refreshes in this tab and another still settle", SCENARIO, () =>
  inContext(env, { overrides: { storage: 'local' } }, async ({ context }) => {
    const a = await openSignedIn(context);
    const first = await refreshIn(a);
    assert.equal(first.ok, true, JSON.stringify(first));
    // "Clear local data": a delete waits for every open connection to close.
    const deleted = await a.page.evaluate(
      () =>
        new Promise((resolve) => {
          const request = indexedDB.deleteDatabase('oidc-rp-wasm');
          request.onsuccess = () => resolve('deleted');
          request.onerror = () => resolve('error');
          setTimeout(() => resolve('still blocked'), 3000);
        }),
    );
    assert.equal(deleted, 'deleted');
    const b = await App.open(context, env);
    await b.waitSignedIn();
    const second = await refreshIn(b);
    assert.equal(second.ok, true, JSON.stringify(second));
    const third = await refreshIn(a);
    assert.equal(third.ok, true, JSON.stringify(third));
    assertNoReuse();
  }));

test('Web Locks without AbortSignal.timeout (Safari 15.4-15.6): refreshes under the lock work, in one tab and then another', SCENARIO, () =>
  inContext(env, { overrides: { storage: 'local' } }, async ({ context }) => {
    await context.addInitScript(() => {
      delete AbortSignal.timeout;
    });
    const a = await openSignedIn(context);
    assert.equal(await a.page.evaluate(() => typeof AbortSignal.timeout), 'undefined');
    assert.equal(await a.page.evaluate(() => typeof navigator.locks?.request), 'function');
    env.op.events.clear();
    const first = await refreshIn(a);
    assert.equal(first.ok, true, JSON.stringify(first));
    const b = await App.open(context, env);
    await b.waitSignedIn();
    const second = await refreshIn(b);
    assert.equal(second.ok, true, JSON.stringify(second));
    assert.notEqual(second.accessToken, first.accessToken);
    assertNoReuse();
  }));

test('no BroadcastChannel: sign-in and refresh work; another tab, not told, takes the shared session under the lock instead of replaying', SCENARIO, () =>
  inContext(env, { overrides: { storage: 'local' } }, async ({ context }) => {
    await context.addInitScript(() => {
      Object.defineProperty(window, 'BroadcastChannel', { configurable: true, writable: true, value: undefined });
    });
    const a = await openSignedIn(context);
    assert.equal(await a.page.evaluate(() => typeof BroadcastChannel), 'undefined');
    const b = await App.open(context, env);
    await b.waitSignedIn();
    const signedIn = await b.session();
    env.op.events.clear();

    const first = await refreshIn(a);
    assert.equal(first.ok, true, JSON.stringify(first));
    // Nobody tells tab B; its next refresh reads the shared session under the Web Lock first.
    assert.equal((await b.session()).accessToken, signedIn.accessToken, 'tab B was not told (no channel)');
    const second = await refreshIn(b);
    assert.equal(second.ok, true, JSON.stringify(second));
    assert.equal(second.accessToken, first.accessToken, "tab B took tab A's session");
    assert.deepEqual(refreshRequests().map((r) => r.status), [200], 'one refresh_token grant in all');
    const third = await refreshIn(b);
    assert.equal(third.ok, true, JSON.stringify(third));
    assert.notEqual(third.accessToken, first.accessToken);
    assertNoReuse();
  }));

/**
 * Makes crypto.subtle.importKey reject RSASSA-PKCS1-v1_5 keys with a NotSupportedError (a browser
 * or policy without that algorithm), with `message` (Chromium's own message for an algorithm it
 * does not know by default).
 */
function noRsaScript(message) {
  const importKey = SubtleCrypto.prototype.importKey;
  SubtleCrypto.prototype.importKey = function (format, keyData, algorithm, ...rest) {
    const name = typeof algorithm === 'string' ? algorithm : algorithm?.name;
    if (String(name).toUpperCase() === 'RSASSA-PKCS1-V1_5') {
      window.__e2eImportKeyRefused = (window.__e2eImportKeyRefused ?? 0) + 1;
      return Promise.reject(new DOMException(message, 'NotSupportedError'));
    }
    return importKey.call(this, format, keyData, algorithm, ...rest);
  };
}

for (const [label, message, todo] of [
  ["Chromium's message", 'Algorithm: Unrecognized name', false],
  ['another wording (the error name is the same)', 'RSASSA-PKCS1-v1_5 is disabled by policy', false],
]) {
  test(`WebCrypto without RSASSA-PKCS1-v1_5 (NotSupportedError, ${label}): the callback fails with invalid_signature (unsupported_alg), nothing stored; a page without the fault signs in`, { ...SCENARIO, todo: todo || undefined }, (t) =>
    inContext(env, { overrides: { storage: 'local' } }, async ({ context }) => {
      env.op.events.clear();
      const app = await openWith(context, noRsaScript, message);
      const { page } = app;
      await app.signinRedirect();
      const { lastError, session, calls } = await app.state();
      t.diagnostic(`callback: ${JSON.stringify(lastError)}`);
      assert.ok((await page.evaluate(() => window.__e2eImportKeyRefused)) >= 1, 'the SDK asked WebCrypto for an RSA key');
      assert.equal(calls.at(-1).name, 'handleRedirectCallback');
      assert.deepEqual({ code: lastError?.code, reason: lastError?.reason }, { code: 'invalid_signature', reason: 'unsupported_alg' });
      assert.match(lastError.message, /RS256/);
      assert.equal(session, null);
      assert.equal(await app.status(), 'signed-out');
      const stored = await storedSession(page, key);
      assert.deepEqual({ local: stored.local, indexedDb: stored.indexedDb }, { local: null, indexedDb: null }, 'nothing stored');

      // A new page without the wrapper: the sign-in works (the OP remembers the login).
      const fresh = await App.open(context, env);
      assert.equal(await fresh.status(), 'signed-out');
      await fresh.signinRedirect();
      await fresh.waitSignedIn();
      assert.equal((await fresh.session()).hasRefreshToken, true);
      const refreshed = await refreshIn(fresh);
      assert.equal(refreshed.ok, true, JSON.stringify(refreshed));
      assertNoReuse();
    }));
}

test('no crypto.subtle (a page that is not a secure context): the callback fails with crypto_unavailable, not as a bad key', SCENARIO, () =>
  inContext(env, {}, async ({ context }) => {
    const app = await openWith(context, () => {
      Object.defineProperty(Crypto.prototype, 'subtle', { configurable: true, get: () => undefined });
    });
    assert.equal(await app.page.evaluate(() => crypto.subtle), undefined);
    await app.signinRedirect();
    const { lastError, session, calls } = await app.state();
    assert.equal(calls.at(-1).name, 'handleRedirectCallback');
    assert.equal(lastError?.code, 'crypto_unavailable', JSON.stringify(lastError));
    assert.equal(session, null);
  }));

test('an iframe that cannot be attached (a page script refuses it): the silent sign-in fails with browser/frame, not as a conversion', SCENARIO, () =>
  inContext(env, {}, async ({ context }) => {
    const app = await openWith(context, () => {
      const append = Node.prototype.appendChild;
      Node.prototype.appendChild = function (child) {
        if (child instanceof HTMLIFrameElement) throw new DOMException('refused by the page', 'NotAllowedError');
        return append.call(this, child);
      };
    });
    const failed = await app.page.evaluate(() =>
      window.__example.client.signinSilent().then(
        () => null,
        (e) => ({ code: e.code, reason: e.reason }),
      ),
    );
    assert.deepEqual(failed, { code: 'browser', reason: 'frame' });
  }));
