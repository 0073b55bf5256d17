// Deadlines and the client's end of life: a token endpoint that accepts the refresh_token grant
// and never answers (op.settings.hangRefreshGrant) makes refresh() reject with `timeout` within
// requestTimeoutMs, leaves the session as it was and the cross-tab Web Lock free, so the next
// refresh (in this tab or another) works; dispose() makes every method fail with `disposed` and
// silences the handlers; an unsubscribed handler is not called again.
//
// Timing is measured in the page (performance.now() around the call); the scenarios wait on
// what the page or the OP reports, never on the clock.

import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';

import { startEnv, inContext, App, userinfo } from './lib/sdk.mjs';

/** The deadline the scenarios configure (small, so that a timed-out refresh is quick). */
const REQUEST_TIMEOUT_MS = 1500;
/** How much earlier than the deadline a rejection may be measured (timer and clock granularity). */
const EARLY_TOLERANCE_MS = 50;
/** How much later than the deadline the rejection may come. */
const LATE_MARGIN_MS = 2000;
/** The OP's default access token lifetime in this file (long: no timer fires during a test). */
const LONG_TTL = 3600;
/**
 * How long the page waits for a refresh against the silent OP before reporting it as still
 * pending (an SDK without the deadline would otherwise keep the test waiting forever).
 */
const GIVE_UP_MS = REQUEST_TIMEOUT_MS + LATE_MARGIN_MS + 5000;
/** A backstop for each scenario (the runner has no timeout of its own). */
const SCENARIO = { timeout: 90_000 };

let env;

before(async () => {
  env = await startEnv({ op: { accessTokenTtl: LONG_TTL } });
});

after(async () => {
  // op.close() also destroys the connections of requests still held by hangRefreshGrant.
  await env?.close();
});

afterEach(() => {
  if (env) {
    env.op.settings.hangRefreshGrant = false;
    env.op.settings.accessTokenTtl = LONG_TTL;
  }
});

const refreshRequests = () => env.op.events.tokenRequests.filter((r) => r.grantType === 'refresh_token');

function assertNoReuse() {
  assert.equal(env.op.events.refreshTokenReuse, 0, 'a rotated refresh token was presented again');
  assert.deepEqual(env.op.events.revokedGrants, []);
  assert.deepEqual(env.op.events.names().filter((n) => n === 'server_error'), []);
}

/**
 * client.refresh() in the page, timed there: { ok, ms, accessToken } or
 * { ok: false, ms, code, reason, message, isError }. With `giveUpMs`, a refresh still pending
 * after that long is reported as { ok: false, pending: true, ms } (and left running).
 */
function timedRefresh(app, giveUpMs = 0) {
  return app.page.evaluate(async (giveUpMs) => {
    const started = performance.now();
    const pending = Symbol('pending');
    try {
      const refresh = window.__example.client.refresh();
      const session = giveUpMs > 0
        ? await Promise.race([refresh, new Promise((resolve) => setTimeout(resolve, giveUpMs, pending))])
        : await refresh;
      if (session === pending) return { ok: false, pending: true, ms: performance.now() - started };
      return { ok: true, ms: performance.now() - started, accessToken: session.accessToken };
    } catch (e) {
      return {
        ok: false,
        ms: performance.now() - started,
        code: e?.code,
        reason: e?.reason,
        message: String(e?.message ?? e),
        isError: e instanceof Error,
      };
    }
  }, giveUpMs);
}

/**
 * Opens the example in a new tab of `context` and signs in by redirect. A client that could not
 * start (an option the SDK refuses, say) fails here with the SDK's error, not as a click timeout.
 */
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

/** refresh() while the OP's token endpoint holds refresh_token grants unanswered. */
async function refreshAgainstHungOp(app) {
  env.op.settings.hangRefreshGrant = true;
  try {
    return await timedRefresh(app, GIVE_UP_MS);
  } finally {
    env.op.settings.hangRefreshGrant = false;
  }
}

/** The refresh rejected with `timeout`, neither before the deadline nor long after it. */
function assertTimedOut(outcome) {
  const seen = JSON.stringify(outcome);
  assert.equal(outcome.ok, false, `refresh against a silent OP resolved: ${seen}`);
  assert.equal(outcome.code, 'timeout', `refresh against a silent OP: ${seen}`);
  assert.equal(outcome.isError, true, `not an Error: ${seen}`);
  assert.ok(
    outcome.ms >= REQUEST_TIMEOUT_MS - EARLY_TOLERANCE_MS,
    `rejected after ${outcome.ms.toFixed(0)} ms, before the ${REQUEST_TIMEOUT_MS} ms deadline`,
  );
  assert.ok(
    outcome.ms <= REQUEST_TIMEOUT_MS + LATE_MARGIN_MS,
    `rejected after ${outcome.ms.toFixed(0)} ms, more than ${LATE_MARGIN_MS} ms past the ${REQUEST_TIMEOUT_MS} ms deadline`,
  );
}

/** The one held request of the hung refresh, and whether the browser has closed it yet. */
function heldRequest() {
  const held = env.op.events.heldTokenRequests;
  assert.equal(held.length, 1, `held token requests: ${JSON.stringify(held)}`);
  assert.equal(held[0].grantType, 'refresh_token');
  const { receivedAt, closedAt } = held[0];
  return closedAt === null
    ? 'its connection was still open'
    : `the browser closed its connection ${closedAt - receivedAt} ms after sending it`;
}

test('refresh against a token endpoint that never answers: timeout within requestTimeoutMs, session unchanged; then a refresh works', SCENARIO, (t) =>
  inContext(env, { overrides: { requestTimeoutMs: REQUEST_TIMEOUT_MS } }, async ({ context }) => {
    const app = await openSignedIn(context);
    assert.equal((await app.page.evaluate(() => window.__example.config)).requestTimeoutMs, REQUEST_TIMEOUT_MS);
    const kept = await app.session();
    assert.equal(kept.hasRefreshToken, true);
    env.op.events.clear();

    const failed = await refreshAgainstHungOp(app);
    assertTimedOut(failed);
    const held = heldRequest();
    t.diagnostic(`refresh rejected with ${failed.code} after ${failed.ms.toFixed(0)} ms (deadline ${REQUEST_TIMEOUT_MS} ms); ${held}`);
    assert.deepEqual(refreshRequests(), [], 'the OP answered no refresh_token grant');

    const session = await app.session();
    assert.equal(session.accessToken, kept.accessToken, 'the access token is kept');
    assert.equal(session.hasRefreshToken, kept.hasRefreshToken);
    assert.deepEqual(session, kept, 'the session is left as it was');
    assert.equal(await app.status(), 'signed-in');
    assert.ok(!(await app.state()).events.includes('signedOut'));

    // The OP answers again: the next refresh works, with the refresh token the hung one carried
    // (the OP never processed that request, so nothing was rotated).
    const next = await timedRefresh(app);
    assert.equal(next.ok, true, `refresh after the OP recovered: ${JSON.stringify(next)}`);
    t.diagnostic(`the next refresh took ${next.ms.toFixed(0)} ms`);
    assert.notEqual(next.accessToken, kept.accessToken, 'a new access token');
    const renewed = await app.session();
    assert.equal(renewed.accessToken, next.accessToken);
    assert.equal(renewed.hasRefreshToken, true);
    assert.equal(renewed.subject, kept.subject);
    assert.deepEqual(refreshRequests().map((r) => r.status), [200], 'the OP saw one refresh_token grant, and answered it');
    assert.equal(env.op.events.heldTokenRequests.length, 1, 'and held none');
    assert.equal((await userinfo(env.op, renewed.accessToken)).status, 200);
    assertNoReuse();
    t.diagnostic(`at the end of the scenario, ${heldRequest()}`);
  }));

test('a page whose fetch wrapper drops the abort signal: the hung refresh still times out at requestTimeoutMs', SCENARIO, () =>
  inContext(env, { overrides: { requestTimeoutMs: REQUEST_TIMEOUT_MS } }, async ({ context }) => {
    // Some native-HTTP and monitoring layers replace window.fetch and ignore `signal`.
    await context.addInitScript(() => {
      const original = window.fetch;
      window.fetch = (input, init) => original(input, { ...init, signal: undefined });
    });
    const app = await openSignedIn(context);
    const failed = await refreshAgainstHungOp(app);
    assertTimedOut(failed);
    const next = await timedRefresh(app);
    assert.equal(next.ok, true, JSON.stringify(next));
    assertNoReuse();
  }));

test('storage "local": after a timed-out refresh the Web Lock is free: the same tab, then another tab, refresh', SCENARIO, (t) =>
  inContext(env, { overrides: { storage: 'local', requestTimeoutMs: REQUEST_TIMEOUT_MS } }, async ({ context }) => {
    const a = await openSignedIn(context);
    const b = await App.open(context, env);
    await b.waitSignedIn(); // restored from localStorage
    const kept = await a.session();
    assert.equal((await b.session()).accessToken, kept.accessToken);
    env.op.events.clear();

    const failed = await refreshAgainstHungOp(a);
    assertTimedOut(failed);
    const held = heldRequest();
    t.diagnostic(`refresh rejected with ${failed.code} after ${failed.ms.toFixed(0)} ms (deadline ${REQUEST_TIMEOUT_MS} ms); ${held}`);
    assert.deepEqual(await a.session(), kept, 'tab A: the session is left as it was');
    assert.equal((await b.session()).accessToken, kept.accessToken, 'tab B: the session is left as it was');

    // A lock still held by the timed-out refresh would make this wait, and fail with timeout.
    const again = await timedRefresh(a);
    assert.equal(again.ok, true, `tab A refreshing again: ${JSON.stringify(again)}`);
    assert.notEqual(again.accessToken, kept.accessToken);
    // The other tab takes the same lock (it reads the shared session under it). It may find tab
    // A's fresh result there and take it instead of refreshing again (the tabs share one
    // refresh), or refresh with the token tab A's refresh rotated: either way, no timeout.
    const other = await timedRefresh(b);
    assert.equal(other.ok, true, `tab B refreshing: ${JSON.stringify(other)}`);
    const reused = other.accessToken === again.accessToken;
    t.diagnostic(
      `then tab A refreshed in ${again.ms.toFixed(0)} ms and tab B in ${other.ms.toFixed(0)} ms (${reused ? "taking tab A's result" : 'with its own request'})`,
    );
    assert.deepEqual(
      refreshRequests().map((r) => r.status),
      reused ? [200] : [200, 200],
      'one refresh_token grant per refresh that did not reuse another tab\'s',
    );
    assert.notEqual(other.accessToken, kept.accessToken);
    assert.equal(env.op.events.heldTokenRequests.length, 1);
    // Tab A learns of tab B's refresh (waited for, not assumed).
    await a.page.waitForFunction((token) => window.__example.client.session?.accessToken === token, other.accessToken, { timeout: 5000 });
    assert.equal((await b.session()).accessToken, other.accessToken);
    assert.equal((await userinfo(env.op, other.accessToken)).status, 200);
    for (const tab of [a, b]) assert.equal(await tab.status(), 'signed-in');
    assertNoReuse();
  }));

test('storage "local": an IndexedDB that never answers costs a refresh one requestTimeoutMs, not the refresh: the session is renewed from localStorage', SCENARIO, (t) =>
  inContext(env, { overrides: { storage: 'local', requestTimeoutMs: REQUEST_TIMEOUT_MS } }, async ({ context }) => {
    const a = await openSignedIn(context);
    const kept = await a.session();
    env.op.events.clear();
    // Wedge the SDK's database the way a stuck tab can: a connection that ignores
    // versionchange, and an upgrade blocked by it. Every later open of the database (the
    // SDK's, after it let its own connection go) waits behind that upgrade for good.
    await a.page.evaluate(async () => {
      const held = indexedDB.open('oidc-rp-wasm');
      await new Promise((resolve, reject) => {
        held.onsuccess = resolve;
        held.onerror = () => reject(held.error);
      });
      window.__heldDb = held.result;
      const upgrade = indexedDB.open('oidc-rp-wasm', held.result.version + 1);
      window.__blockedUpgrade = upgrade;
      await new Promise((resolve) => {
        upgrade.onblocked = resolve;
      });
    });
    const renewed = await timedRefresh(a, GIVE_UP_MS);
    const seen = JSON.stringify(renewed);
    assert.equal(renewed.pending, undefined, `the refresh waited for IndexedDB: ${seen}`);
    assert.equal(renewed.ok, true, seen);
    assert.ok(renewed.ms >= REQUEST_TIMEOUT_MS - EARLY_TOLERANCE_MS, `renewed after ${renewed.ms.toFixed(0)} ms, before IndexedDB's deadline`);
    assert.ok(renewed.ms <= REQUEST_TIMEOUT_MS + LATE_MARGIN_MS, `renewed after ${renewed.ms.toFixed(0)} ms: more than one deadline`);
    t.diagnostic(`refresh with IndexedDB wedged: ${renewed.ms.toFixed(0)} ms (deadline ${REQUEST_TIMEOUT_MS} ms)`);
    assert.notEqual(renewed.accessToken, kept.accessToken);
    assert.equal((await a.session()).accessToken, renewed.accessToken);
    // IndexedDB is not waited for again in this page: the next refresh takes no deadline.
    const again = await timedRefresh(a, GIVE_UP_MS);
    assert.equal(again.ok, true, JSON.stringify(again));
    assert.ok(again.ms < REQUEST_TIMEOUT_MS - EARLY_TOLERANCE_MS, `the next refresh waited ${again.ms.toFixed(0)} ms`);
    assert.deepEqual(refreshRequests().map((r) => r.status), [200, 200]);
    assertNoReuse();
  }));

test('storage "local": a tab disposed while it waits for the Web Lock lets go of it: the holder\'s next refresh does not wait', SCENARIO, (t) =>
  inContext(env, { overrides: { storage: 'local', requestTimeoutMs: REQUEST_TIMEOUT_MS } }, async ({ context }) => {
    const a = await openSignedIn(context);
    const b = await App.open(context, env);
    await b.waitSignedIn();
    env.op.events.clear();

    // Tab A refreshes against the silent OP: it holds the lock until its deadline.
    env.op.settings.hangRefreshGrant = true;
    await a.page.evaluate(() => {
      window.__held = window.__example.client.refresh().then(() => 'ok', (e) => e.code);
    });
    await a.page.waitForFunction(async () => (await navigator.locks.query()).held.length === 1);
    // Tab B's refresh waits for that lock; then B's client is disposed.
    const waiting = await b.page.evaluate(async () => {
      window.__waiting = window.__example.client.refresh().then(() => 'ok', (e) => e.code);
      for (;;) {
        const { pending } = await navigator.locks.query();
        if (pending.length > 0) return pending.length;
        await new Promise((resolve) => requestAnimationFrame(resolve));
      }
    });
    assert.equal(waiting, 1, "tab B's lock request is queued behind tab A");
    const disposed = await b.page.evaluate(() => {
      window.__example.client.dispose();
      return window.__waiting;
    });
    assert.equal(disposed, 'disposed');

    // A's refresh times out and lets go; B's queued request, if the browser still grants it,
    // must be released by B's pump at once, so A's next refresh gets the lock straight away.
    assert.equal(await a.page.evaluate(() => window.__held), 'timeout');
    env.op.settings.hangRefreshGrant = false;
    const again = await timedRefresh(a);
    assert.equal(again.ok, true, `tab A refreshing again: ${JSON.stringify(again)}`);
    assert.ok(again.ms < REQUEST_TIMEOUT_MS, `tab A waited ${again.ms.toFixed(0)} ms for its refresh`);
    t.diagnostic(`tab A's refresh after tab B's disposal took ${again.ms.toFixed(0)} ms`);
    const locks = await a.page.evaluate(async () => {
      const { held, pending } = await navigator.locks.query();
      return { held: held.length, pending: pending.length };
    });
    assert.deepEqual(locks, { held: 0, pending: 0 }, 'no lock left held or queued');
    assertNoReuse();
  }));

test('storage "local": a client disposed while its refresh is out at the OP stores the rotated refresh token and tells the other tab; the next client refreshes with it', SCENARIO, () =>
  inContext(env, { overrides: { storage: 'local' } }, async ({ context }) => {
    const app = await openSignedIn(context);
    // A second tab of the app, holding the same session.
    const other = await App.open(context, env);
    const held = (await other.session())?.accessToken;
    assert.equal(held, (await app.session())?.accessToken);
    env.op.events.clear();
    const storedRefreshToken = () =>
      app.page.evaluate(() => {
        const key = Object.keys(localStorage).find((k) => k.startsWith('oidc-rp-wasm:session:'));
        return key ? JSON.parse(localStorage.getItem(key)).refresh_token : null;
      });
    const spent = await storedRefreshToken();
    assert.ok(spent);
    let arrived;
    let open;
    const reached = new Promise((resolve) => (arrived = resolve));
    env.op.settings.refreshGate = { arrived, opened: new Promise((resolve) => (open = resolve)) };
    try {
      await app.page.evaluate(() => {
        window.__refresh = window.__example.client.refresh().then(() => 'ok', (e) => e.code);
      });
      await reached;
      // The request is at the OP: the client goes (a provider unmounted, say).
      const code = await app.page.evaluate(() => {
        window.__example.client.dispose();
        return window.__refresh;
      });
      assert.equal(code, 'disposed');
      // The OP rotates the token as it answers; the disposed client stores what it answered.
      open();
      await app.page.waitForFunction(
        (old) => {
          const key = Object.keys(localStorage).find((k) => k.startsWith('oidc-rp-wasm:session:'));
          return key && JSON.parse(localStorage.getItem(key)).refresh_token !== old;
        },
        spent,
        { timeout: 10_000 },
      );
      await app.page.waitForFunction(async () => (await navigator.locks.query()).held.length === 0);
    } finally {
      env.op.settings.refreshGate = null;
    }
    // The other tab heard of it, as of any refresh, and holds the stored session at once.
    const events = await other.waitForEvent('refreshed', { timeout: 10_000 });
    assert.deepEqual(events.map((e) => e.name), ['refreshed']);
    const stored = await app.page.evaluate(() => {
      const key = Object.keys(localStorage).find((k) => k.startsWith('oidc-rp-wasm:session:'));
      return JSON.parse(localStorage.getItem(key)).access_token;
    });
    const now = (await other.session())?.accessToken;
    assert.notEqual(now, held);
    assert.equal(now, stored);
    // A new client of the page refreshes with the rotated token.
    const again = await app.page.evaluate(async () => {
      const { OidcClient } = await import('oidc-rp-wasm');
      const client = await OidcClient.create(window.__example.config);
      try {
        await client.refresh();
        return 'ok';
      } catch (e) {
        return e.code;
      } finally {
        client.dispose();
      }
    });
    assert.equal(again, 'ok');
    assert.equal(refreshRequests().length, 2);
    assertNoReuse();
  }));

test('dispose(): getAccessToken and refresh reject with disposed, on() throws it, handlers are silent, twice is harmless', SCENARIO, (t) =>
  inContext(env, { overrides: { storage: 'local' } }, async ({ context }) => {
    // A short lifetime arms the `expiring` timer (and autoRefresh) a few seconds after sign-in.
    const ttl = 6;
    env.op.settings.accessTokenTtl = ttl;
    env.op.events.clear();
    const a = await openSignedIn(context);
    const signedIn = await a.session();
    assert.equal(signedIn.hasRefreshToken, true);

    const outcome = await a.page.evaluate(async () => {
      const client = window.__example.client;
      window.__afterDispose = [];
      // Registered before dispose(), like the example app's own handlers (window.__example.events).
      client.on('refreshed', (session) => window.__afterDispose.push({ name: 'refreshed', accessToken: session.accessToken }));
      client.on('expiring', (detail) => window.__afterDispose.push({ name: 'expiring', detail }));

      const describe = (e) => ({ code: e?.code, isError: e instanceof Error, message: String(e?.message ?? e) });
      /** How a method call ended: 'returned' (sync), 'threw', 'resolved' or 'rejected'. */
      const settle = async (call) => {
        let result;
        try {
          result = call();
        } catch (e) {
          return { how: 'threw', ...describe(e) };
        }
        if (!(result instanceof Promise)) return { how: 'returned', value: typeof result };
        try {
          await result;
          return { how: 'resolved' };
        } catch (e) {
          return { how: 'rejected', ...describe(e) };
        }
      };
      const first = await settle(() => client.dispose());
      const second = await settle(() => client.dispose());
      return {
        first,
        second,
        getAccessToken: await settle(() => client.getAccessToken()),
        refresh: await settle(() => client.refresh()),
        on: await settle(() => client.on('signedOut', () => {})),
        eventsAtDispose: window.__example.events.length,
      };
    });
    const pick = ({ how, code, isError, value }) => ({ how, code, isError, value });
    assert.deepEqual(pick(outcome.first), { how: 'returned', code: undefined, isError: undefined, value: 'undefined' }, JSON.stringify(outcome.first));
    assert.deepEqual(pick(outcome.second), { how: 'returned', code: undefined, isError: undefined, value: 'undefined' }, `dispose() twice: ${JSON.stringify(outcome.second)}`);
    for (const name of ['getAccessToken', 'refresh']) {
      assert.deepEqual(pick(outcome[name]), { how: 'rejected', code: 'disposed', isError: true, value: undefined }, `${name}() after dispose(): ${JSON.stringify(outcome[name])}`);
    }
    // Checked last, so that a mismatch here does not hide the outcome of the checks below.
    const checkOn = () =>
      assert.deepEqual(pick(outcome.on), { how: 'threw', code: 'disposed', isError: true, value: undefined }, `on() after dispose() (a sync method: it should throw disposed): ${JSON.stringify(outcome.on)}`);
    assert.deepEqual(refreshRequests(), [], 'the disposed client made no refresh_token grant');

    // Another tab sharing the session keeps working: its own timer refreshes before expiry and
    // tells the other tabs. The disposed client's timers and channel would have fired by then.
    const c = await App.open(context, env);
    await c.waitSignedIn(); // dispose() left the stored session alone
    assert.equal((await c.session()).accessToken, signedIn.accessToken);
    const cEvents = await c.waitForEvent('refreshed', { timeout: (ttl + 5) * 1000 });
    const refreshed = cEvents.find((e) => e.name === 'refreshed');
    assert.notEqual(refreshed.detail.accessToken, signedIn.accessToken);
    assert.deepEqual(refreshRequests().map((r) => r.status), [200], 'one refresh, by the other tab');

    const after = await a.page.evaluate(() => ({
      handlers: window.__afterDispose,
      appEvents: window.__example.events.map((e) => e.name),
    }));
    assert.deepEqual(after.handlers, [], 'a handler of the disposed client was called');
    assert.equal(after.appEvents.length, outcome.eventsAtDispose, `events after dispose(): ${after.appEvents.join(', ')}`);
    assert.deepEqual(after.appEvents, ['signedIn']);
    t.diagnostic(`the other tab refreshed at ${new Date(refreshed.at).toISOString()}; the disposed tab saw no event`);
    assertNoReuse();
    checkOn();
  }));

test('on(): after unsubscribe a handler is not called by later refreshes; the other handlers still are', SCENARIO, () =>
  inContext(env, {}, async ({ context }) => {
    const app = await openSignedIn(context);
    env.op.events.clear();

    const offType = await app.page.evaluate(() => {
      window.__seen = [];
      window.__off = window.__example.client.on('refreshed', (session) => window.__seen.push(session.accessToken));
      return typeof window.__off;
    });
    assert.equal(offType, 'function');

    const first = await timedRefresh(app);
    assert.equal(first.ok, true, JSON.stringify(first));
    await app.waitForEvent('refreshed'); // the example's own handler, subscribed at start
    assert.deepEqual(await app.page.evaluate(() => window.__seen), [first.accessToken], 'subscribed: called once');

    await app.page.evaluate(() => {
      window.__off();
    });
    const second = await timedRefresh(app);
    assert.equal(second.ok, true, JSON.stringify(second));
    assert.notEqual(second.accessToken, first.accessToken);
    const events = await app.waitForEvent('refreshed', { count: 2 });
    assert.deepEqual(
      events.filter((e) => e.name === 'refreshed').map((e) => e.detail.accessToken),
      [first.accessToken, second.accessToken],
      'the handler still subscribed saw both refreshes',
    );
    assert.deepEqual(await app.page.evaluate(() => window.__seen), [first.accessToken], 'unsubscribed: not called again');
    assert.deepEqual(refreshRequests().map((r) => r.status), [200, 200]);
    assertNoReuse();
  }));
