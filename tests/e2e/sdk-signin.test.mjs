// The SDK (the built npm package, imported by the example SPA the way an app does) signing in
// against node-oidc-provider in Chromium, in every response mode (issue #4, scenarios 1 and 2).
// Each scenario gets a new browser context: a new user, no OP session, empty storage.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startEnv, inContext, App, loginInPopup } from './lib/sdk.mjs';
import { loginAtOp } from './lib/browser.mjs';

let env;

before(async () => {
  env = await startEnv();
});

after(async () => {
  await env?.close();
});

/** What the page and the SDK must both say after Ana signed in. */
async function assertSignedIn(app, { responseMode }) {
  await app.waitSignedIn();
  assert.equal(await app.shownError(), null);
  assert.equal(await app.text('signed-in'), 'true');
  assert.equal(await app.text('subject'), 'ana@example.com');
  const shownClaims = JSON.parse(await app.text('claims'));
  assert.equal(shownClaims.sub, 'ana@example.com');
  assert.equal(shownClaims.email, 'ana@example.com');
  assert.equal(shownClaims.name, 'Ana Example');
  assert.equal(shownClaims.iss, env.op.issuer);
  assert.equal(await app.text('has-refresh-token'), 'true');
  assert.equal(await app.text('id-token-fresh'), 'true');

  const { session, lastSession, events } = await app.state();
  assert.equal(session.subject, 'ana@example.com');
  assert.deepEqual(session.claims, shownClaims);
  assert.equal(session.tokenType, 'Bearer');
  assert.ok(session.accessToken.length > 20);
  assert.equal(session.idTokenFresh, true);
  assert.equal(session.hasRefreshToken, true);
  assert.equal(session.refreshToken, undefined, 'the refresh token is never handed to JS');
  assert.match(session.idToken, /^[\w-]+\.[\w-]+\.[\w-]+$/);
  assert.equal(lastSession.accessToken, session.accessToken);
  assert.ok(events.includes('signedIn'), events.join());
  assert.deepEqual(lastSession.appState?.from, '/');

  // The OP saw a code flow with PKCE, and answered in the mode asked for.
  const sent = env.op.events.authorizations.at(-1);
  assert.equal(sent.response_type, 'code');
  assert.equal(sent.code_challenge_method, 'S256');
  assert.match(sent.code_challenge, /^[\w-]{43}$/);
  assert.ok(sent.state && sent.nonce);
  assert.equal(sent.response_mode ?? 'query', responseMode);
  const success = env.op.events.log.filter((e) => e.name === 'authorization.success').at(-1);
  assert.equal(success.responseMode, responseMode);
  assert.deepEqual(env.op.events.tokenCounts, { authorization_code: 1 });
  assert.deepEqual(env.op.events.names().filter((n) => n === 'server_error'), []);
}

/** Neither the code nor anything else of the response stays in the address bar. */
function assertCleanUrl(app) {
  const url = new URL(app.page.url());
  assert.equal(url.href, env.urls.app, `address bar: ${url.href}`);
  for (const name of ['code', 'state', 'iss', 'error', 'oidc_form_post']) assert.ok(!url.searchParams.has(name), name);
  assert.equal(url.hash, '');
}

for (const responseMode of ['query', 'fragment', 'form_post']) {
  test(`signinRedirect, code + PKCE, response_mode=${responseMode}: claims shown, address bar clean`, () =>
    inContext(env, {}, async ({ context }) => {
      env.op.events.clear();
      const app = await App.open(context, env);
      assert.equal(await app.status(), 'signed-out');
      if (responseMode === 'form_post') {
        // The worker must be active before the OP posts (the example waits for it too).
        await app.page.waitForFunction(() => window.__example.serviceWorker.then(() => true));
        assert.equal(await app.text('sw-status'), 'ready');
      }
      const seen = await app.signinRedirect({ responseMode });
      assert.deepEqual(seen, ['login', 'consent']);
      await assertSignedIn(app, { responseMode });
      assertCleanUrl(app);
      if (responseMode === 'form_post') {
        // The service worker caught the OP's POST: none reached the static server.
        assert.deepEqual(env.rp.requests.filter((r) => r.method === 'POST'), []);
      }
    }));
}

/** Posts an app form to `action` from `page` (the app's own origin), with fields named like an
 * authorization response's: `state=NY&code=10001`; with `noReferrer`, without a Referer. */
function postAddressForm(page, { action = '/', noReferrer = false } = {}) {
  return page.evaluate(([action, noReferrer]) => {
    const form = document.createElement('form');
    form.method = 'POST';
    form.action = action;
    if (noReferrer) form.rel = 'noreferrer';
    for (const [name, value] of [['state', 'NY'], ['code', '10001']]) {
      const input = document.createElement('input');
      input.name = name;
      input.value = value;
      form.append(input);
    }
    document.body.append(form);
    form.submit();
  }, [action, noReferrer]);
}

test("form_post service worker: the app's own form with `state` and `code` fields reaches its server; the OP's post is still caught", () =>
  inContext(env, {}, async ({ context }) => {
    const app = await App.open(context, env);
    // The example registers the worker without `?paths=`: it looks at every path.
    await app.page.waitForFunction(() => window.__example.serviceWorker.then(() => true));
    await app.page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    env.rp.requests.length = 0;
    // An address form of the app that happens to have those field names, posted to the
    // redirect URI's path from the app's own page.
    await postAddressForm(app.page);
    // The static server answers any POST with a 405 page (see lib/static.mjs).
    await app.page.waitForSelector('#static-405');
    const posts = env.rp.requests.filter((r) => r.method === 'POST');
    assert.deepEqual(posts.map((r) => [r.path, r.body]), [['/', 'state=NY&code=10001']]);
    assert.ok(!new URL(app.page.url()).searchParams.has('oidc_form_post'), 'the worker kept nothing');

    // The same worker still takes the OP's post (from the OP's origin) to the same path.
    const again = await App.open(context, env);
    env.rp.requests.length = 0;
    env.op.events.clear();
    await again.signinRedirect({ responseMode: 'form_post' });
    await assertSignedIn(again, { responseMode: 'form_post' });
    assert.deepEqual(env.rp.requests.filter((r) => r.method === 'POST'), []);
  }));

test('form_post service worker registered with ?paths=: it takes exactly those paths, an own-origin form there too', () =>
  inContext(env, {}, async ({ context }) => {
    const app = await App.open(context, env);
    await app.page.waitForFunction(() => window.__example.serviceWorker.then(() => true));
    /** Registers the worker with `paths` and waits until it controls the page. */
    const registerWith = (paths) =>
      app.page.evaluate(async (paths) => {
        const script = `/form-post-sw.js?paths=${paths}`;
        await navigator.serviceWorker.register(script);
        while (!navigator.serviceWorker.controller?.scriptURL.endsWith(script)) {
          await new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }));
        }
      }, paths);

    // The redirect URI's path named: a POST there is taken whoever posts it (an OP on the app's
    // own origin needs this), so the page lands on the pick-up URL and nothing reaches the server.
    await registerWith('/');
    env.rp.requests.length = 0;
    await Promise.all([app.page.waitForURL((url) => url.searchParams.has('oidc_form_post'), { waitUntil: 'commit' }), postAddressForm(app.page)]);
    await app.ready();
    assert.deepEqual(env.rp.requests.filter((r) => r.method === 'POST'), []);

    // Another path named: the OP's form_post to the redirect URI is left alone and reaches the
    // static server (its 405 page).
    await registerWith('/elsewhere');
    env.rp.requests.length = 0;
    await app.setOptions({ responseMode: 'form_post' });
    await Promise.all([
      app.page.waitForEvent('framenavigated', (f) => f === app.page.mainFrame()),
      app.click('signin-redirect'),
    ]);
    await loginAtOp(app.page, { until: (u) => u.origin === env.rp.origin });
    await app.page.waitForSelector('#static-405');
    const posts = env.rp.requests.filter((r) => r.method === 'POST');
    assert.equal(posts.length, 1);
    assert.equal(posts[0].path, '/');
    assert.ok(new URLSearchParams(posts[0].body).has('code'), 'the OP posted its response');
  }));

test("form_post service worker registered by oidc-rp-wasm/form-post: it takes the redirect URIs' paths only, so a form without a Referer to another path reaches the server", () =>
  inContext(env, {}, async ({ context }) => {
    const app = await App.open(context, env);
    await app.page.waitForFunction(() => window.__example.serviceWorker.then(() => true));
    const config = { redirectUri: env.urls.redirectUri, silentRedirectUri: env.urls.silentRedirectUri };
    const registered = await app.page.evaluate(async (config) => {
      const { registerFormPostWorker, formPostWorkerUrl } = await import('/oidc-rp-wasm/form-post.js');
      const registration = await registerFormPostWorker(config);
      const url = formPostWorkerUrl(config);
      while (!navigator.serviceWorker.controller?.scriptURL.endsWith(url)) {
        await new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }));
      }
      return { url, active: registration.active?.scriptURL };
    }, config);
    assert.equal(registered.url, `/form-post-sw.js?paths=${encodeURIComponent('/,/silent-callback.html')}`);
    assert.equal(registered.active, `${env.rp.origin}${registered.url}`);

    // A form of the app's own with an authorization response's field names, posted without a
    // Referer to a path that is no redirect URI's: a worker registered without `paths` would
    // take it (no Referer counts as another origin's); this one lets it reach the server.
    env.rp.requests.length = 0;
    await postAddressForm(app.page, { action: '/orders', noReferrer: true });
    await app.page.waitForSelector('#static-405');
    const posts = env.rp.requests.filter((r) => r.method === 'POST');
    assert.deepEqual(posts.map((r) => [r.path, r.body]), [['/orders', 'state=NY&code=10001']]);

    // A form POST to the redirect URI's path is still taken, whoever posts it: the page lands
    // on the pick-up URL and nothing reaches the server. (Not through a sign-in: the example
    // app registers its own worker on every load, which would replace this one.)
    env.rp.requests.length = 0;
    await Promise.all([
      app.page.waitForURL((url) => url.searchParams.has('oidc_form_post'), { waitUntil: 'commit' }),
      postAddressForm(app.page),
    ]);
    assert.deepEqual(env.rp.requests.filter((r) => r.method === 'POST'), []);
  }));

test('signinPopup, response_mode=web_message: login in the popup, the opener gets the session', () =>
  inContext(env, {}, async ({ context }) => {
    env.op.events.clear();
    const app = await App.open(context, env);
    await app.setOptions({ responseMode: 'web_message' });
    const before = await app.callCount();
    const [popup] = await Promise.all([context.waitForEvent('page'), app.click('signin-popup')]);
    const seen = await loginInPopup(popup, env.op.issuer);
    assert.ok(seen === null || seen.includes('login'), String(seen));
    await app.page.waitForFunction((n) => window.__example.calls.length > n, before);
    const [call] = (await app.state()).calls.slice(before);
    assert.deepEqual({ name: call.name, ok: call.ok, code: call.code }, { name: 'signinPopup', ok: true, code: undefined }, JSON.stringify((await app.state()).lastError));
    if (!popup.isClosed()) await popup.waitForEvent('close'); // the OP's page or the SDK closes it
    assert.ok(popup.isClosed());
    await assertSignedIn(app, { responseMode: 'web_message' });
    assertCleanUrl(app);
    assert.equal(context.pages().length, 1);

    // Again with the live OP session: the OP's page answers and closes itself at once, which
    // must not read as the user closing the popup (popup_closed).
    let previous = await app.session();
    for (let i = 1; i <= 3; i += 1) {
      const [again, next] = await Promise.all([context.waitForEvent('page'), app.clickAndWait('signin-popup')]);
      assert.deepEqual({ ok: next.ok, code: next.code }, { ok: true, code: undefined }, `popup ${i + 1}`);
      if (!again.isClosed()) await again.waitForEvent('close');
      const session = await app.session();
      assert.notEqual(session.accessToken, previous.accessToken);
      assert.equal(session.subject, 'ana@example.com');
      previous = session;
    }
    assert.equal(env.op.events.names().filter((n) => n === 'interaction.started').length, 2, 'login and consent only the first time');
  }));

test('a call whose options JSON cannot hold (a BigInt, a cycle, a lone surrogate, deep nesting in appState) is invalid_config at once; the client goes on', () =>
  inContext(env, {}, async ({ context }) => {
    const app = await App.open(context, env);
    const outcomes = await app.page.evaluate(async () => {
      const client = window.__example.client;
      const cycle = {};
      cycle.self = cycle;
      const settle = (promise) =>
        Promise.race([
          promise.then(
            () => 'resolved',
            (e) => `${e.code} ${e.field}`,
          ),
          // Not a wait for the SDK: a call that never settles would otherwise hang the test.
          new Promise((resolve) => setTimeout(() => resolve('never settled'), 5000)),
        ]);
      // JSON.stringify writes these, but the machine's JSON reader refuses them: half an emoji
      // (a draft cut at a length, say), and nesting past its limit.
      let deep = [];
      for (let i = 0; i < 70; i += 1) deep = [deep];
      return [
        await settle(client.signinRedirect({ appState: { n: 1n } })),
        await settle(client.authorizeUrl({ appState: cycle })),
        await settle(client.signinRedirect({ appState: { draft: 'x\uD83D' } })),
        await settle(client.authorizeUrl({ appState: deep })),
        await settle(client.authorizeUrl({}).then((url) => new URL(url).origin)),
      ];
    });
    assert.deepEqual(outcomes, ['invalid_config options', 'invalid_config options', 'invalid_config options', 'invalid_config options', 'resolved']);
    // The refused signinRedirect stored nothing and went nowhere.
    assert.equal(app.page.url(), env.urls.app);
    const pending = await app.page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('oidc-rp-wasm:tx:')));
    assert.equal(pending.length, 1, 'only the authorizeUrl({}) that worked left a pending request');
  }));
