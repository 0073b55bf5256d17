// Network faults between the SDK and the real OP (hardening): a fault-injecting proxy
// (lib/faults.mjs) stands in front of node-oidc-provider's token and JWK Set endpoints, and the
// browser reaches them through it (the discovery document is rewritten on its way to the page).
// Each scenario signs in, breaks the next refresh in one way, and checks the typed error code the
// SDK reports, that the session the app had is intact (same access token, refresh token still
// held), and that the next refresh works once the fault is gone, without the OP ever seeing a
// refresh token twice.
//
// The proxy fabricates the faulty answers itself, so a faulted refresh_token grant never reaches
// the OP and rotates nothing: the refresh token the page holds is the one the OP expects next.
// The JWK Set scenario is the exception: there the token response is the OP's and the failure
// comes after it.

import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';

import { startEnv, inContext, App, userinfo } from './lib/sdk.mjs';
import { startFaultProxy, routeEndpointsThrough } from './lib/faults.mjs';
import { refreshIn, sessionKey, storedSession } from './lib/calls.mjs';

/** The deadline the scenarios configure (small, so that a missed one is quick). */
const REQUEST_TIMEOUT_MS = 1500;
/** How much earlier than the deadline a rejection may be measured (timer granularity). */
const EARLY_TOLERANCE_MS = 50;
/** How much later than the deadline the rejection may come. */
const LATE_MARGIN_MS = 2000;
/** A backstop for each scenario (the runner has no timeout of its own). */
const SCENARIO = { timeout: 60_000 };
const TEN_MB = 10 * 1024 * 1024;

let env;
let proxy;

before(async () => {
  env = await startEnv({ op: { accessTokenTtl: 3600 } });
  proxy = await startFaultProxy({
    target: env.op.issuer,
    paths: { token: env.op.provider.pathFor('token'), jwks: env.op.provider.pathFor('jwks') },
  });
});

after(async () => {
  await proxy?.close();
  await env?.close();
});

afterEach(async () => {
  proxy?.clearFaults();
  await proxy?.start(); // a scenario that stopped it and failed before restarting
});

const refreshRequests = () => env.op.events.tokenRequests.filter((r) => r.grantType === 'refresh_token');

function assertNoReuse() {
  assert.equal(env.op.events.refreshTokenReuse, 0, 'a rotated refresh token was presented again');
  assert.deepEqual(env.op.events.revokedGrants, []);
  assert.deepEqual(env.op.events.names().filter((n) => n === 'server_error'), []);
}

/** A fresh context whose pages reach the OP's token and JWK Set endpoints through the proxy. */
function throughProxy(overrides, body) {
  return inContext(env, { overrides: { requestTimeoutMs: REQUEST_TIMEOUT_MS, ...overrides } }, async (scope) => {
    await routeEndpointsThrough(scope.context, env.op.issuer, proxy);
    return body(scope);
  });
}

/** Opens the example in a new tab and signs in by redirect; the code exchange went through the proxy. */
async function openSignedIn(context) {
  const since = proxy.requests.length;
  const app = await App.open(context, env);
  if ((await app.status()) === 'unavailable') {
    const { lastError } = await app.state();
    assert.fail(`the client did not start: ${lastError?.code}: ${lastError?.message}`);
  }
  await app.signinRedirect();
  await app.waitSignedIn();
  const seen = proxy.requests.slice(since).map((r) => `${r.endpoint}:${r.grantType ?? r.method}:${r.outcome}:${r.status}`);
  assert.ok(seen.includes('token:authorization_code:forwarded:200'), `the code exchange went through the proxy: ${seen}`);
  return app;
}

/** The session is the one the app had: same access token, refresh token held, still signed in. */
async function assertIntact(app, kept, what) {
  const session = await app.session();
  assert.ok(session, `${what}: the session is gone`);
  assert.equal(session.accessToken, kept.accessToken, `${what}: the access token changed`);
  assert.equal(session.hasRefreshToken, true, `${what}: the refresh token is gone`);
  assert.deepEqual(session, kept, `${what}: the session is left as it was`);
  assert.equal(await app.status(), 'signed-in');
  const { events } = await app.state();
  assert.equal(events.at(-1), 'refreshFailed', `${what}: the last event (${events.join(', ')})`);
  assert.ok(!events.includes('signedOut'));
}

/** The next refresh works (a new access token the OP accepts), and the OP saw nothing twice. */
async function assertNextRefreshWorks(app, kept, what) {
  const before = refreshRequests().length;
  const next = await refreshIn(app);
  assert.equal(next.ok, true, `${what}: the refresh after the fault: ${JSON.stringify(next)}`);
  assert.notEqual(next.accessToken, kept.accessToken, `${what}: a new access token`);
  assert.equal(next.hasRefreshToken, true);
  assert.deepEqual(refreshRequests().slice(before).map((r) => r.status), [200], `${what}: one refresh_token grant, answered`);
  assert.equal((await userinfo(env.op, next.accessToken)).status, 200);
  assertNoReuse();
  return next;
}

/**
 * Signs in, sets `fault` on the token endpoint for one refresh, and checks the refresh's outcome
 * with `check(failed, record)` (record: the proxy's entry of the faulted request), the session
 * kept and the next refresh.
 */
function tokenFault(name, fault, check) {
  test(name, SCENARIO, (t) =>
    throughProxy({}, async ({ context }) => {
      const app = await openSignedIn(context);
      const kept = await app.session();
      assert.equal(kept.hasRefreshToken, true);
      env.op.events.clear();
      const since = proxy.requests.length;

      proxy.setFault('token', fault);
      const failed = await refreshIn(app);
      proxy.setFault('token', null);
      const record = await proxy.waitFor((r) => r.endpoint === 'token' && r.outcome !== null, { since });
      t.diagnostic(`refresh: ${JSON.stringify(failed)}; proxy: ${record.fault} -> ${record.outcome}`);
      assert.equal(failed.ok, false, `the faulted refresh resolved: ${JSON.stringify(failed)}`);
      assert.equal(failed.isError, true);
      assert.equal(failed.name, 'OidcError');
      assert.equal(record.grantType, 'refresh_token');
      check(failed, record);
      assert.deepEqual(refreshRequests(), [], 'the faulted refresh_token grant never reached the OP');
      assert.equal(proxy.requests.slice(since).filter((r) => r.endpoint === 'token').length, 1, 'the SDK did not retry on its own');

      await assertIntact(app, kept, name);
      await assertNextRefreshWorks(app, kept, name);
    }));
}

const html = (status, title) =>
  `<!DOCTYPE html><html><head><title>${status} ${title}</title></head><body><center><h1>${status} ${title}</h1></center><hr><center>nginx</center></body></html>`;

for (const [status, title] of [
  [500, 'Internal Server Error'],
  [502, 'Bad Gateway'],
  [503, 'Service Temporarily Unavailable'],
]) {
  tokenFault(`token endpoint answers ${status} with an HTML page: invalid_response (unexpected_status), session kept, next refresh works`, { status, body: html(status, title) }, (failed, record) => {
    assert.equal(record.status, status);
    assert.deepEqual({ code: failed.code, reason: failed.reason }, { code: 'invalid_response', reason: 'unexpected_status' });
    assert.match(failed.message, new RegExp(`\\b${status}\\b`), 'the message names the status');
    assert.doesNotMatch(failed.message, /nginx|<html/i, 'the body is not echoed');
  });
}

tokenFault('token endpoint answers 502 without CORS headers (as a gateway does): network, session kept, next refresh works', { status: 502, body: html(502, 'Bad Gateway'), cors: false }, (failed) => {
  // The browser does not let the page read a cross-origin answer without CORS headers: to the
  // SDK that is a failed fetch, whatever the status was.
  assert.equal(failed.code, 'network');
});

tokenFault('token endpoint answers 503 with an OAuth error object: the OP code passes through, session kept', { status: 503, type: 'application/json', body: JSON.stringify({ error: 'temporarily_unavailable', error_description: 'try again later' }) }, (failed) => {
  assert.equal(failed.code, 'temporarily_unavailable');
  assert.equal(failed.description, 'try again later');
});

tokenFault('connection dropped in the middle of the token response body: network, session kept, next refresh works', {
  drop: true,
  status: 200,
  type: 'application/json',
  body: JSON.stringify({ access_token: 'a'.repeat(600), token_type: 'Bearer', expires_in: 3600, refresh_token: 'r'.repeat(600) }),
  sendBytes: 300,
}, (failed, record) => {
  assert.equal(record.outcome, 'dropped');
  assert.equal(failed.code, 'network');
});

tokenFault('token response slower than requestTimeoutMs (no headers in time): timeout at the deadline, session kept', { delayHeadersMs: REQUEST_TIMEOUT_MS + 5000 }, (failed, record) => {
  assert.equal(failed.code, 'timeout');
  assert.ok(failed.ms >= REQUEST_TIMEOUT_MS - EARLY_TOLERANCE_MS, `rejected after ${failed.ms.toFixed(0)} ms, before the deadline`);
  assert.ok(failed.ms <= REQUEST_TIMEOUT_MS + LATE_MARGIN_MS, `rejected after ${failed.ms.toFixed(0)} ms`);
  // The browser gave up (aborted the fetch) before the proxy would have passed the request on.
  assert.equal(record.outcome, 'client_closed');
  assert.ok(record.clientClosedAt - record.receivedAt < REQUEST_TIMEOUT_MS + LATE_MARGIN_MS);
});

tokenFault('token response whose body stalls past requestTimeoutMs (headers in time): timeout at the deadline, session kept', {
  stallBody: true,
  status: 200,
  type: 'application/json',
  head: '{"access_token":"',
  // Never valid: if the deadline did not cover the body, the refresh would fail with not_json.
  tail: 'late',
  maxMs: REQUEST_TIMEOUT_MS + 5000,
}, (failed, record) => {
  assert.equal(failed.code, 'timeout', 'the deadline covers reading the body');
  assert.ok(failed.ms >= REQUEST_TIMEOUT_MS - EARLY_TOLERANCE_MS, `rejected after ${failed.ms.toFixed(0)} ms`);
  assert.ok(failed.ms <= REQUEST_TIMEOUT_MS + LATE_MARGIN_MS, `rejected after ${failed.ms.toFixed(0)} ms`);
  assert.equal(record.outcome, 'client_closed');
});

tokenFault('token endpoint answers 200 with a 10 MB HTML body: invalid_response (not_json), session kept, next refresh works', {
  status: 200,
  body: () => `<!DOCTYPE html><html><body><pre>${'x'.repeat(TEN_MB)}</pre></body></html>`,
}, (failed, record) => {
  assert.equal(record.outcome, 'fabricated');
  assert.deepEqual({ code: failed.code, reason: failed.reason }, { code: 'invalid_response', reason: 'not_json' });
  assert.ok(failed.ms < REQUEST_TIMEOUT_MS, `rejected after ${failed.ms.toFixed(0)} ms`);
  assert.ok(failed.message.length < 1000, 'the body is not echoed');
});

test('token endpoint refuses connections (the port is down): network at once, session kept; next refresh works once it is up', SCENARIO, (t) =>
  throughProxy({}, async ({ context }) => {
    const app = await openSignedIn(context);
    const kept = await app.session();
    env.op.events.clear();
    const since = proxy.requests.length;

    await proxy.stop();
    let failed;
    try {
      failed = await refreshIn(app);
    } finally {
      await proxy.start();
    }
    t.diagnostic(`refresh against a closed port: ${JSON.stringify(failed)}`);
    assert.equal(failed.ok, false, JSON.stringify(failed));
    assert.equal(failed.code, 'network');
    assert.equal(failed.isError, true);
    assert.ok(failed.ms < REQUEST_TIMEOUT_MS, `a refused connection fails at once, not at the deadline (${failed.ms.toFixed(0)} ms)`);
    assert.equal(proxy.requests.length, since, 'nothing reached the proxy');
    assert.deepEqual(refreshRequests(), []);

    await assertIntact(app, kept, 'connection refused');
    await assertNextRefreshWorks(app, kept, 'connection refused');
  }));

// The browser's HTTP cache may answer a JWK Set request with a set from before the OP's key
// rotation (an OP may serve it with a max-age, and sign with a new key at once: OIDC Core
// §10.1.1). The set fetched once more for the unknown kid must reach the OP: the pump asks with
// Fetch's cache mode no-cache. (Playwright's routing turns the HTTP cache off here, so the test
// checks the mode the page's fetch was given, and that the sign-in then succeeds.)
test('a JWK Set without the ID token\'s key: fetched once more with cache mode no-cache, and the sign-in succeeds', SCENARIO, () =>
  throughProxy({ storage: 'session' }, async ({ context }) => {
    await context.addInitScript(() => {
      const original = window.fetch;
      window.__jwksCacheModes = [];
      window.fetch = function (input, init) {
        if (String(input?.url ?? input).endsWith('/jwks')) window.__jwksCacheModes.push(init?.cache ?? 'default');
        return original.call(this, input, init);
      };
    });
    const stale = { ...generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }), kid: 'before-rotation', alg: 'RS256', use: 'sig' };
    const since = proxy.requests.length;
    proxy.setFault('jwks', {
      status: 200,
      type: 'application/json',
      body: () => {
        proxy.setFault('jwks', null);
        return JSON.stringify({ keys: [stale] });
      },
    });
    const app = await openSignedIn(context);
    const jwks = proxy.requests.slice(since).filter((r) => r.endpoint === 'jwks');
    assert.deepEqual(jwks.map((r) => r.outcome), ['fabricated', 'forwarded']);
    assert.deepEqual(await app.page.evaluate(() => window.__jwksCacheModes), ['default', 'no-cache']);
  }));

test('JWK Set endpoint 404s: a refresh in the page that cached the keys validates with them; a page without them fails with invalid_response and keeps the rotated refresh token', SCENARIO, (t) =>
  throughProxy({ storage: 'local' }, async ({ context }) => {
    const since = proxy.requests.length;
    const a = await openSignedIn(context);
    const jwksAtSignIn = proxy.requests.slice(since).filter((r) => r.endpoint === 'jwks');
    assert.deepEqual(jwksAtSignIn.map((r) => `${r.outcome}:${r.status}`), ['forwarded:200'], 'the sign-in fetched the JWK Set once');
    env.op.events.clear();

    proxy.setFault('jwks', { status: 404, body: html(404, 'Not Found') });
    // Tab A: the refreshed ID token (same kid) is validated with the cached set.
    const mark = proxy.requests.length;
    const refreshed = await refreshIn(a);
    assert.equal(refreshed.ok, true, `refresh with the JWK Set endpoint down: ${JSON.stringify(refreshed)}`);
    assert.deepEqual(proxy.requests.slice(mark).filter((r) => r.endpoint === 'jwks'), [], 'the cached JWK Set was used');
    assert.ok(refreshRequests().every((r) => r.status === 200 && r.hasIdToken), JSON.stringify(refreshRequests()));
    const afterA = await a.session();
    assert.equal(afterA.idTokenFresh, true);

    // Tab B: a new page, the session restored from storage, no keys cached: the OP answers the
    // refresh (and rotates the refresh token), the ID token cannot be checked.
    const b = await App.open(context, env);
    await b.waitSignedIn();
    const kept = await b.session();
    assert.equal(kept.accessToken, afterA.accessToken);
    const before = refreshRequests().length;
    const mark2 = proxy.requests.length;
    const failed = await refreshIn(b);
    t.diagnostic(`tab B refresh with the JWK Set endpoint down and nothing cached: ${JSON.stringify(failed)}`);
    assert.equal(failed.ok, false, JSON.stringify(failed));
    assert.deepEqual({ code: failed.code, reason: failed.reason }, { code: 'invalid_response', reason: 'unexpected_status' });
    assert.match(failed.message, /404/);
    assert.deepEqual(proxy.requests.slice(mark2).filter((r) => r.endpoint === 'jwks').map((r) => r.status), [404], 'one JWK Set request, no retry');
    assert.deepEqual(refreshRequests().slice(before).map((r) => r.status), [200], 'the OP answered (and rotated the refresh token)');
    await assertIntact(b, kept, 'JWK Set 404 without cached keys');

    proxy.setFault('jwks', null);
    // The refresh token the OP rotated in the refused answer was kept: no reuse.
    await assertNextRefreshWorks(b, kept, 'JWK Set back');
    // And tab A, which never saw tab B's answers, refreshes from the shared session without
    // replaying anything either.
    const again = await refreshIn(a);
    assert.equal(again.ok, true, JSON.stringify(again));
    assertNoReuse();
  }));

test('the OP revokes the refresh token: refreshFailed invalid_grant, the session kept until its access token expires, then expired and signedOut refresh_failed in this tab and other_tab in the other, the stored session removed', SCENARIO, () =>
  inContext(env, { overrides: { storage: 'local' } }, async ({ context }) => {
    // A 6 s access token: its automatic refresh comes at 3 s, its expiry at 6.
    env.op.settings.accessTokenTtl = 6;
    let app;
    try {
      app = await App.open(context, env);
      await app.signinRedirect();
      await app.waitSignedIn();
    } finally {
      env.op.settings.accessTokenTtl = 3600;
    }
    const other = await App.open(context, env);
    await other.waitSignedIn();
    const key = sessionKey(env.op.issuer);
    const { local } = await storedSession(app.page, key);
    const { refresh_token: refreshToken } = JSON.parse(local);
    assert.ok(refreshToken, 'a stored refresh token');
    const { expiresAt } = await app.session();
    const revoked = await fetch(new URL(env.op.provider.pathFor('revocation'), env.op.issuer), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: refreshToken, token_type_hint: 'refresh_token', client_id: 'spa' }),
    });
    assert.equal(revoked.status, 200, await revoked.text());
    const events = await app.waitForEvent('signedOut', { timeout: 20_000 });
    const named = (e) => (e.name === 'refreshFailed' ? `${e.name}:${e.detail.code}` : e.name === 'signedOut' ? `${e.name}:${e.detail.reason}` : e.name);
    assert.deepEqual(events.map(named).slice(-4), ['expiring', 'refreshFailed:invalid_grant', 'expired', 'signedOut:refresh_failed']);
    const failedAt = events.find((e) => e.name === 'refreshFailed').at;
    const endedAt = events.at(-1).at;
    assert.ok(failedAt < expiresAt * 1000, `the refresh failed before the expiry (${failedAt} < ${expiresAt * 1000})`);
    assert.ok(endedAt >= expiresAt * 1000 - 50, `the session ended at the expiry, not with the failure (${endedAt} >= ${expiresAt * 1000})`);
    assert.equal(await app.session(), null);
    assert.equal(await app.status(), 'signed-out');
    const otherEvents = await other.waitForEvent('signedOut');
    assert.ok(['other_tab', 'refresh_failed'].includes(otherEvents.at(-1).detail.reason), JSON.stringify(otherEvents.at(-1)));
    assert.equal(await other.session(), null);
    const after = await storedSession(app.page, key);
    assert.deepEqual([after.local, after.indexedDb], [null, null], 'the stored session is removed');
  }));
