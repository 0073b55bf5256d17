// Pages that were frozen: Chromium with its back/forward cache on (playwright-core turns it off
// unless asked), where Back restores the very page that was left, frozen meanwhile, and fires
// freeze, resume, visibilitychange and pageshow (persisted) as browsers do. No timer of the
// frozen page runs; the client must catch up when it is resumed:
// - frozen past the access token's lifetime: one refresh on the wire at once, and
//   getAccessToken() answers with a valid token;
// - restored after another tab signed out: it shows signed out; and so does a `session` tab
//   loaded afresh after one.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startEnv, inContext, App } from './lib/sdk.mjs';

const SCENARIO = { timeout: 90_000 };
let env;

before(async () => {
  // Chromium restores no page whose main resource or whose fetches came with
  // `Cache-Control: no-store`: the RP's pages and the OP's token responses say no-cache here.
  env = await startEnv({ browser: { bfcache: true }, rpHeaders: () => ({ 'cache-control': 'no-cache' }) });
  env.op.settings.noStoreAsNoCache = true;
});

after(async () => {
  await env?.close();
});

/**
 * Leaves the app's page for another site's page, so that Chromium keeps it frozen in the
 * back/forward cache; marks the document to tell a restore from a new load.
 */
async function leave(app, to = `${env.op.issuer}/.well-known/openid-configuration`) {
  await app.page.evaluate(() => {
    window.__sameDocument = true;
    window.__lifecycle = [];
    for (const name of ['freeze', 'resume']) document.addEventListener(name, () => window.__lifecycle.push(name));
    window.addEventListener('pageshow', (e) => window.__lifecycle.push(`pageshow:${e.persisted}`));
  });
  await app.page.goto(to);
}

/**
 * Tab `other` signs out (its page goes to the OP's logout); then `app`, left for another page,
 * comes back from the cache and must show signed out, told once, for `other_tab`.
 */
async function signOutThenComeBack(other, app) {
  await Promise.all([other.page.waitForURL((u) => u.origin === new URL(env.op.issuer).origin, { waitUntil: 'commit' }), other.click('signout')]);
  await comeBack(app);
  await app.page.waitForSelector('[data-testid="status"][data-state="signed-out"]', { state: 'attached', timeout: 10_000 });
  assert.equal(await app.session(), null);
  const signedOut = (await app.events()).filter((e) => e.name === 'signedOut');
  assert.equal(signedOut.length, 1, JSON.stringify(signedOut));
  assert.equal(signedOut[0].detail?.reason, 'other_tab');
}

/** Back to the app's page: it must be the document that was left, restored from the cache. */
async function comeBack(app) {
  // Why Chromium did not restore it, if it did not (for the failure message).
  const cdp = await app.page.context().newCDPSession(app.page);
  await cdp.send('Page.enable');
  const notRestored = [];
  cdp.on('Page.backForwardCacheNotUsed', (e) => notRestored.push(...e.notRestoredExplanations.map((x) => x.reason)));
  await app.page.goBack({ waitUntil: 'commit' });
  await app.page.waitForFunction(() => window.__lifecycle?.includes('pageshow:true'), null, { timeout: 10_000 }).catch(() => {
    throw new Error(`not restored from the back/forward cache: ${notRestored.join(', ') || 'no reason given'}`);
  });
  await cdp.detach();
  assert.deepEqual(await app.page.evaluate(() => window.__lifecycle), ['freeze', 'resume', 'pageshow:true']);
}

test('frozen past the access token lifetime, then resumed: one refresh at once, getAccessToken answers', SCENARIO, () =>
  inContext(env, {}, async ({ context }) => {
    env.op.settings.accessTokenTtl = 6;
    try {
      const app = await App.open(context, env);
      await app.signinRedirect({});
      await app.waitSignedIn();
      const before = await app.session();
      env.op.events.clear();
      await leave(app);
      // Frozen until the token has expired: no timer of the page ran meanwhile.
      await app.page.waitForFunction((exp) => Date.now() > exp * 1000 + 500, before.expiresAt, { polling: 200, timeout: 20_000 });
      assert.deepEqual(env.op.events.tokenCounts, {}, 'nothing ran while frozen');

      await comeBack(app);
      // The refresh starts from the resume itself, not from a later call.
      await app.waitForEvent('refreshed', { timeout: 10_000 });
      const token = await app.page.evaluate(() => window.__example.client.getAccessToken());
      const after = await app.session();
      assert.notEqual(token, before.accessToken);
      assert.equal(after.accessToken, token);
      assert.ok(after.expiresAt > before.expiresAt);
      assert.deepEqual(env.op.events.tokenCounts, { refresh_token: 1 }, 'one refresh on the wire');
      assert.deepEqual(env.op.events.revokedGrants, []);
      const names = (await app.events()).map((e) => e.name);
      assert.equal(names.filter((n) => n === 'refreshed').length, 1, names.join());
      assert.ok(!names.includes('refreshFailed'), names.join());
    } finally {
      env.op.settings.accessTokenTtl = 3600;
    }
  }));

test('restored from the back/forward cache after another tab signed out: it shows signed out', SCENARIO, () =>
  inContext(env, { overrides: { storage: 'local' } }, async ({ context }) => {
    const a = await App.open(context, env);
    await a.signinRedirect({});
    await a.waitSignedIn();
    await leave(a);

    // Meanwhile another tab of the app signs out.
    const b = await App.open(context, env);
    await b.waitSignedIn();
    await signOutThenComeBack(b, a);
  }));

// With `memory` (the default) or `session` storage the tabs share no session, but a sign-out in
// one ends the session of every tab; the cached page's channel was closed, so it learns of the
// sign-out from the time kept in localStorage when it comes back.
for (const storage of ['memory', 'session']) {
  test(`restored from the back/forward cache after another tab signed out, storage "${storage}": it shows signed out`, SCENARIO, () =>
    inContext(env, { overrides: { storage } }, async ({ context }) => {
      const a = await App.open(context, env);
      await a.signinRedirect({});
      await a.waitSignedIn();
      await leave(a);

      // Meanwhile another tab of the app signs in on its own, and signs out.
      const b = await App.open(context, env);
      await b.signinRedirect({});
      await b.waitSignedIn();
      await signOutThenComeBack(b, a);
    }));
}

// A tab left for another site, then loaded afresh (not from the cache: a new document, as after
// the browser discarded the tab): with `session` storage it starts with its copy of the session in
// sessionStorage, and a sign-out in another tab meanwhile ends it there too.
test('a session tab loaded afresh after another tab signed out: it does not restore the session', SCENARIO, () =>
  inContext(env, { overrides: { storage: 'session' } }, async ({ context }) => {
    const a = await App.open(context, env);
    await a.signinRedirect({});
    await a.waitSignedIn();
    await a.page.goto(`${env.op.issuer}/.well-known/openid-configuration`);

    const b = await App.open(context, env);
    await b.signinRedirect({});
    await b.waitSignedIn();
    await Promise.all([b.page.waitForURL((u) => u.origin === new URL(env.op.issuer).origin, { waitUntil: 'commit' }), b.click('signout')]);

    await a.page.goto(env.rp.origin + '/');
    await a.ready();
    await a.page.waitForSelector('[data-testid="status"][data-state="signed-out"]', { state: 'attached', timeout: 10_000 });
    assert.equal(await a.session(), null);
    const kept = await a.page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('oidc-rp-wasm:') && !k.includes(':tx:')));
    assert.deepEqual(kept, [], 'the stored copy is gone');
  }));

// An app of several pages with `session` storage: the first page goes to the back/forward cache,
// the next page of the same tab restores the session and refreshes it (the OP rotates the refresh
// token), and Back restores the first page, which must take that session, not refresh with its
// spent refresh token (the OP would take that as a replay and revoke the grant).
test('a session page back from the cache after a later page of the tab refreshed: it takes that session, no replay', SCENARIO, () =>
  inContext(env, { overrides: { storage: 'session' } }, async ({ context }) => {
    const app = await App.open(context, env);
    await app.signinRedirect({});
    await app.waitSignedIn();
    // The OP's record starts here: the tests before this one signed out (and revoked grants).
    env.op.events.clear();
    await leave(app, `${env.rp.origin}/?page=2`);
    const next = new App(app.page, env);
    await next.ready();
    await next.waitSignedIn();
    const refreshed = await next.page.evaluate(() => window.__example.client.refresh().then((s) => s.accessToken));
    await comeBack(app);
    await app.page.waitForFunction((token) => window.__example.client.session?.accessToken === token, refreshed, { timeout: 10_000 });
    await app.page.evaluate(() => window.__example.client.refresh());
    assert.equal(env.op.events.refreshTokenReuse, 0);
    assert.deepEqual(env.op.events.revokedGrants, []);
  }));

