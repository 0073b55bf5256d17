// Many tabs sharing one `storage: "local"` session against an OP that rotates refresh tokens and
// revokes the whole grant when a rotated one is presented again (node-oidc-provider's default):
// three tabs released together to refresh() at the same moment, round after round; a tab closed
// while it holds the cross-tab refresh lock; and a sign-out in one tab while another tab's
// refresh is in flight.
//
// The tabs are released together by a BroadcastChannel message posted from a fourth page of the
// origin: each tab starts its refresh in the same turn of its event loop in which the message
// arrives, with no round trip to the test in between.

import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';

import { startEnv, inContext, App, userinfo } from './lib/sdk.mjs';
import { startFaultProxy, routeEndpointsThrough } from './lib/faults.mjs';
import { confirmLogoutAtOp } from './lib/browser.mjs';
import { callIn, refreshIn, sessionKey, storedSession } from './lib/calls.mjs';

/** Rounds of simultaneous refreshes (about 0.2 s each on the 2-core test machine). */
const ROUNDS = 50;
const TABS = 3;
/** requestTimeoutMs of the lock scenario; the SDK waits for the lock at most 5 times that. */
const REQUEST_TIMEOUT_MS = 2000;
const SCENARIO = { timeout: 120_000 };

let env;
let proxy;
let key;

before(async () => {
  env = await startEnv({ op: { accessTokenTtl: 3600 } });
  proxy = await startFaultProxy({
    target: env.op.issuer,
    paths: { token: env.op.provider.pathFor('token'), jwks: env.op.provider.pathFor('jwks') },
  });
  key = sessionKey(env.op.issuer);
});

after(async () => {
  await proxy?.close();
  await env?.close();
});

afterEach(() => {
  proxy.clearFaults();
  proxy.release();
});

const refreshRequests = () => env.op.events.tokenRequests.filter((r) => r.grantType === 'refresh_token');

function opReport() {
  return JSON.stringify({ reuse: env.op.events.refreshTokenReuse, revoked: env.op.events.revokedGrants, refreshes: refreshRequests() });
}

function assertNoReuse() {
  assert.equal(env.op.events.refreshTokenReuse, 0, `a rotated refresh token was presented again: ${opReport()}`);
  assert.deepEqual(env.op.events.revokedGrants, [], opReport());
  assert.ok(!env.op.events.names().includes('grant.revoked'), opReport());
  assert.deepEqual(env.op.events.names().filter((n) => n === 'server_error'), []);
}

/** Tab 1 signs in by redirect; the others open the app and restore the session from storage. */
async function openTabs(context, count) {
  const first = await App.open(context, env);
  await first.signinRedirect();
  await first.waitSignedIn();
  const tabs = [first];
  for (let i = 1; i < count; i += 1) {
    const tab = await App.open(context, env);
    await tab.waitSignedIn();
    tabs.push(tab);
  }
  const token = (await first.session()).accessToken;
  for (const tab of tabs) assert.equal((await tab.session()).accessToken, token);
  return tabs;
}

/**
 * Prepares `tabs` to refresh when the round's number is posted on the BroadcastChannel
 * 'e2e-release', and returns release(round) -> the outcome of each tab's refresh().
 */
async function releaser(context, tabs) {
  for (const tab of tabs) {
    await tab.page.evaluate(() => {
      const rounds = new Map();
      const deferred = (round) => {
        if (!rounds.has(round)) {
          let resolve;
          const promise = new Promise((ok) => {
            resolve = ok;
          });
          rounds.set(round, { promise, resolve });
        }
        return rounds.get(round);
      };
      window.__e2eRound = (round) => deferred(round).promise;
      const channel = new BroadcastChannel('e2e-release');
      channel.onmessage = ({ data: round }) => {
        const started = performance.now();
        const startedAt = performance.timeOrigin + started;
        window.__example.client.refresh().then(
          (s) => deferred(round).resolve({ ok: true, accessToken: s.accessToken, startedAt, ms: performance.now() - started }),
          (e) => deferred(round).resolve({ ok: false, code: e?.code, reason: e?.reason, message: String(e?.message ?? e), startedAt, ms: performance.now() - started }),
        );
      };
      window.__e2eChannel = channel; // kept alive
    });
  }
  // The page that posts: any page of the origin (a BroadcastChannel never delivers to its sender).
  const starter = await context.newPage();
  await starter.goto(`${env.rp.origin}/config.json`);
  await starter.evaluate(() => {
    window.__e2eChannel = new BroadcastChannel('e2e-release');
  });
  return async (round) => {
    await starter.evaluate((round) => window.__e2eChannel.postMessage(round), round);
    return Promise.all(tabs.map((tab) => tab.page.evaluate((round) => window.__e2eRound(round), round)));
  };
}

test(`${TABS} tabs sharing storage "local" refresh at the same moment, ${ROUNDS} rounds: never invalid_grant, one session per round, no refresh token reuse`, SCENARIO, (t) =>
  inContext(env, { overrides: { storage: 'local' } }, async ({ context }) => {
    const tabs = await openTabs(context, TABS);
    env.op.events.clear();
    const release = await releaser(context, tabs);

    let previous = (await tabs[0].session()).accessToken;
    const grantsPerRound = [];
    /** Per round, how far apart (ms) the tabs called refresh(). */
    const spreads = [];
    const started = Date.now();
    for (let round = 1; round <= ROUNDS; round += 1) {
      const grantsBefore = refreshRequests().length;
      const outcomes = await release(round);
      const seen = JSON.stringify(outcomes);
      assert.ok(!outcomes.some((o) => o.code === 'invalid_grant'), `round ${round}: invalid_grant: ${seen}; OP: ${opReport()}`);
      assert.ok(outcomes.every((o) => o.ok), `round ${round}: ${seen}`);
      const tokens = new Set(outcomes.map((o) => o.accessToken));
      assert.equal(tokens.size, 1, `round ${round}: the tabs got different sessions: ${seen}`);
      const [token] = tokens;
      assert.notEqual(token, previous, `round ${round}: a new access token`);
      // Every tab holds that session now (not only returned it).
      const held = await Promise.all(tabs.map((tab) => tab.page.evaluate(() => window.__example.client.session?.accessToken)));
      assert.deepEqual(held, tabs.map(() => token), `round ${round}: the sessions the tabs hold`);
      assert.equal(env.op.events.refreshTokenReuse, 0, `round ${round}: refresh token reuse; OP: ${opReport()}`);
      grantsPerRound.push(refreshRequests().length - grantsBefore);
      const starts = outcomes.map((o) => o.startedAt);
      spreads.push(Math.max(...starts) - Math.min(...starts));
      previous = token;
    }
    const ms = Date.now() - started;
    const histogram = grantsPerRound.reduce((h, n) => ({ ...h, [n]: (h[n] ?? 0) + 1 }), {});
    t.diagnostic(`${ROUNDS} rounds of ${TABS} simultaneous refreshes in ${ms} ms (${(ms / ROUNDS).toFixed(0)} ms a round); refresh_token grants per round: ${JSON.stringify(histogram)}; the tabs called refresh() within ${Math.max(...spreads).toFixed(1)} ms of each other (median ${[...spreads].sort((x, y) => x - y)[Math.floor(spreads.length / 2)].toFixed(1)} ms)`);

    assertNoReuse();
    const requests = refreshRequests();
    assert.ok(requests.every((r) => r.status === 200), JSON.stringify(requests.filter((r) => r.status !== 200)));
    // The lock makes one tab refresh and the others take its result.
    assert.deepEqual(grantsPerRound, grantsPerRound.map(() => 1), 'one refresh_token grant per round');
    const info = await userinfo(env.op, previous);
    assert.equal(info.status, 200, JSON.stringify(info.body));
    for (const tab of tabs) {
      assert.equal(await tab.status(), 'signed-in');
      assert.equal(await tab.shownError(), null);
    }
  }));

test('a tab closed while it holds the refresh lock (its refresh hanging at the token endpoint) does not block the others: the waiting tab refreshes within requestTimeoutMs of the close', SCENARIO, (t) =>
  inContext(env, { overrides: { storage: 'local', requestTimeoutMs: REQUEST_TIMEOUT_MS } }, async ({ context }) => {
    // The token endpoint holds tab A's refresh unanswered, as op.settings.hangRefreshGrant does,
    // but at the proxy, which says when it holds it (an event), and holds only that one.
    await routeEndpointsThrough(context, env.op.issuer, proxy);
    const [a, b, c] = await openTabs(context, 3);
    const kept = await b.session();
    const lockName = `${key}:refresh`;
    env.op.events.clear();

    const since = proxy.requests.length;
    proxy.setFault('token', { gate: true });
    await a.page.evaluate(() => {
      window.__e2eHung = window.__example.client.refresh();
      window.__e2eHung.catch(() => {});
    });
    const held = await proxy.waitFor((r) => r.endpoint === 'token' && r.grantType === 'refresh_token' && r.fault === 'gate', { since });
    proxy.setFault('token', null); // the next refresh_token grant goes through; A's stays held
    const locks = await b.page.evaluate(() => navigator.locks.query());
    assert.deepEqual(locks.held.map((l) => l.name), [lockName], 'tab A holds the refresh lock');

    // Tab B asks for a refresh: it waits for the lock.
    await b.page.evaluate(() => {
      window.__e2eWaiting = (async () => {
        const started = performance.now();
        const at = () => performance.timeOrigin + performance.now();
        try {
          const s = await window.__example.client.refresh();
          return { ok: true, accessToken: s.accessToken, startedAt: performance.timeOrigin + started, endedAt: at() };
        } catch (e) {
          return { ok: false, code: e?.code, message: String(e?.message ?? e), startedAt: performance.timeOrigin + started, endedAt: at() };
        }
      })();
    });
    await b.page.waitForFunction(async (name) => (await navigator.locks.query()).pending.some((l) => l.name === name), lockName);

    const closedAt = Date.now();
    await a.page.close();
    const outcome = await b.page.evaluate(() => window.__e2eWaiting);
    const afterClose = outcome.endedAt - closedAt;
    t.diagnostic(`tab B waited ${(closedAt - outcome.startedAt).toFixed(0)} ms for tab A's lock, then refreshed ${afterClose.toFixed(0)} ms after tab A was closed: ${JSON.stringify({ ok: outcome.ok, code: outcome.code })}`);
    assert.equal(outcome.ok, true, `tab B: ${JSON.stringify(outcome)}`);
    assert.notEqual(outcome.accessToken, kept.accessToken);
    assert.ok(afterClose < REQUEST_TIMEOUT_MS, `tab B refreshed ${afterClose.toFixed(0)} ms after the close (bound: requestTimeoutMs ${REQUEST_TIMEOUT_MS}; the lock wait would be ${5 * REQUEST_TIMEOUT_MS})`);
    await proxy.waitFor((r) => r === held && r.outcome !== null);
    assert.equal(held.outcome, 'client_closed', "closing tab A closed its held request, which never reached the OP");
    assert.deepEqual(refreshRequests().map((r) => r.status), [200], "tab B's grant, with the refresh token tab A's held request never spent");

    // The third tab learns of it and refreshes from it too.
    await c.page.waitForFunction((token) => window.__example.client.session?.accessToken === token, outcome.accessToken, { timeout: 5000 });
    const third = await refreshIn(c);
    assert.equal(third.ok, true, JSON.stringify(third));
    assertNoReuse();
    assert.equal((await userinfo(env.op, third.accessToken)).status, 200);
  }));

test('sign-out in one tab while another tab refresh is in flight: every tab ends signed out, and stays so when the refresh answer arrives', SCENARIO, (t) =>
  inContext(env, { overrides: { storage: 'local' } }, async ({ context }) => {
    await routeEndpointsThrough(context, env.op.issuer, proxy);
    const reports = [];
    await context.exposeBinding('__e2eReport', (_source, report) => {
      reports.push(report);
    });
    const [a, b, c] = await openTabs(context, 3);
    env.op.events.clear();
    await b.page.evaluate(() => {
      window.__example.client.on('signedOut', (detail) => window.__e2eReport({ tab: 'B', name: 'signedOut', detail }));
    });

    // Tab A's refresh is held at the proxy, on its way to the OP, while tab A holds the lock.
    const since = proxy.requests.length;
    proxy.setFault('token', { gate: true });
    await a.page.evaluate(() => {
      window.__e2eInFlight = window.__example.client.refresh().then(
        (s) => ({ ok: true, accessToken: s.accessToken }),
        (e) => ({ ok: false, code: e?.code, reason: e?.reason, message: String(e?.message ?? e) }),
      );
    });
    await proxy.waitFor((r) => r.endpoint === 'token' && r.grantType === 'refresh_token' && r.fault === 'gate', { since });

    // Tab B signs out (RP-Initiated Logout: the session goes here and in every tab, then the OP).
    await b.click('signout');
    await a.waitForEvent('signedOut', { timeout: 5000 });
    await c.waitForEvent('signedOut', { timeout: 5000 });
    assert.deepEqual(reports.map((r) => `${r.tab}:${r.name}:${r.detail?.reason}`), ['B:signedOut:signout']);

    // Now the OP answers tab A's refresh (and rotates the refresh token).
    proxy.release();
    const late = await a.page.evaluate(() => window.__e2eInFlight);
    const answered = await proxy.waitFor((r) => r.endpoint === 'token' && r.grantType === 'refresh_token' && r.outcome !== null, { since });
    t.diagnostic(`tab A's refresh, answered by the OP (${answered.outcome} ${answered.status}) after the sign-out: ${JSON.stringify(late)}`);

    // Tab B finishes the logout at the OP and comes back to the app.
    await confirmLogoutAtOp(b.page);
    await b.page.waitForURL((u) => u.origin === env.rp.origin, { waitUntil: 'commit' });
    await b.ready();

    const states = {};
    for (const [name, tab] of [['A', a], ['B', b], ['C', c]]) {
      const { session, events } = await tab.state();
      states[name] = { session: session ? `signed in (${session.accessToken === late.accessToken ? "tab A's late refresh" : 'another session'})` : null, events };
    }
    const stored = await storedSession(c.page, key);
    t.diagnostic(`after the late answer: ${JSON.stringify(states)}; stored: local ${stored.local ? 'a session' : 'none'}, IndexedDB ${stored.indexedDb ? 'a session' : 'none'}`);

    assert.notEqual(late.ok, true, `tab A's refresh, answered after the sign-out, resolved with a session: ${JSON.stringify(late)}`);
    for (const [name, state] of Object.entries(states)) {
      assert.equal(state.session, null, `tab ${name} is signed in again: ${JSON.stringify(states)}`);
    }
    for (const [name, tab] of [['A', a], ['C', c]]) {
      const signedOut = (await tab.events()).filter((e) => e.name === 'signedOut');
      assert.deepEqual(signedOut.map((e) => e.detail?.reason), ['other_tab'], `tab ${name}: signedOut exactly once, from the other tab`);
      const after = states[name].events.slice(states[name].events.lastIndexOf('signedOut') + 1);
      assert.ok(!after.includes('signedIn') && !after.includes('refreshed'), `tab ${name} after signedOut: ${after}`);
    }
    assert.deepEqual({ local: stored.local, indexedDb: stored.indexedDb }, { local: null, indexedDb: null }, 'nothing stored');
    // The OP's logout revokes the grant itself; what must not happen is a refresh token replayed.
    assert.equal(env.op.events.refreshTokenReuse, 0, opReport());
  }));

test('the OP refuses the shared refresh token to one tab (invalid_grant): another tab\'s refresh fails the same way (reason other_tab) without asking the OP again, and its signinSilent() goes to the iframe', SCENARIO, () =>
  inContext(env, { overrides: { storage: 'local' } }, async ({ context }) => {
    const [a, b] = await openTabs(context, 2);
    // The refresh token ends at the OP (an administrator, its absolute lifetime).
    const stored = JSON.parse((await storedSession(a.page, key)).local);
    const token = await env.op.provider.RefreshToken.find(stored.refresh_token);
    assert.ok(token, 'the OP knows the stored refresh token');
    await token.destroy();
    const before = refreshRequests().length;

    const first = await refreshIn(a);
    assert.deepEqual([first.ok, first.code, first.reason], [false, 'invalid_grant', undefined], JSON.stringify(first));
    const second = await refreshIn(b);
    assert.deepEqual([second.ok, second.code, second.reason], [false, 'invalid_grant', 'other_tab'], JSON.stringify(second));
    assert.equal(refreshRequests().length - before, 1, `one refresh at the OP: ${opReport()}`);
    assert.equal((await b.session()).hasRefreshToken, false);

    // signinSilent() in tab B: no refresh token left, so the hidden iframe (prompt=none), which
    // the OP's session cookie answers with a new session.
    const silent = await callIn(b.page, 'signinSilent');
    assert.equal(silent.ok, true, JSON.stringify(silent));
    assert.equal(refreshRequests().length - before, 1, 'no refresh for the silent sign-in');
    assert.ok(env.op.events.tokenRequests.some((r) => r.grantType === 'authorization_code'), opReport());
  }));

test('storage "session": a tab the app opens with window.open restores a copy of the session but lets go of its refresh token; no refresh token is replayed', SCENARIO, () =>
  inContext(env, {}, async ({ context }) => {
    // The example keeps its session in sessionStorage (config.json's storage: "session").
    const a = await App.open(context, env);
    await a.signinRedirect();
    await a.waitSignedIn();
    const first = await a.session();
    assert.equal(first.hasRefreshToken, true);
    // window.open with the opener: the new tab starts with a copy of this tab's sessionStorage.
    const [page] = await Promise.all([
      context.waitForEvent('page'),
      a.page.evaluate(() => {
        window.open(location.href, '_blank');
      }),
    ]);
    const b = new App(page, env);
    await b.ready();
    assert.equal(await b.status(), 'signed-in', 'the copy is signed in');
    assert.equal((await b.session()).accessToken, first.accessToken);
    // The opener answers the copy's question on the tab channel; the copy then lets go.
    await b.page.waitForFunction(() => window.__example.client.session?.hasRefreshToken === false);
    assert.equal((await a.session()).hasRefreshToken, true, 'the opener keeps it');

    env.op.events.clear();
    const refreshed = await refreshIn(a);
    assert.equal(refreshed.ok, true, JSON.stringify(refreshed));
    const copy = await refreshIn(b);
    assert.equal(copy.ok, false, 'the copy has no refresh token to redeem');
    assert.equal(env.op.events.refreshTokenReuse, 0, 'no rotated refresh token presented again');
    assert.deepEqual(env.op.events.revokedGrants, []);
    assert.deepEqual(env.op.events.tokenRequests.filter((r) => r.grantType === 'refresh_token').map((r) => r.status), [200]);
    // The opener goes on refreshing.
    const again = await refreshIn(a);
    assert.equal(again.ok, true, JSON.stringify(again));
  }));
