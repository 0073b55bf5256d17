// Silent re-authentication in a hidden iframe with prompt=none (issue #4, scenario 4): with a
// live OP session it renews the session without any visible navigation, in every response
// mode; once the user has signed out at the OP it fails with the OP's login_required in every
// response mode (never a timeout), and the app's session stays as it was.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startEnv, inContext, App } from './lib/sdk.mjs';
import { confirmLogoutAtOp } from './lib/browser.mjs';

const MODES = ['web_message', 'query', 'fragment', 'form_post'];
const SILENT_TIMEOUT_MS = 10_000;

let env;

before(async () => {
  env = await startEnv();
});

after(async () => {
  await env?.close();
});

/** Records what becomes visible while `body` runs: main-frame navigations and new pages. */
async function watchVisible(app, body) {
  const navigations = [];
  const pages = [];
  const onNav = (frame) => frame === app.page.mainFrame() && navigations.push(frame.url());
  const onPage = (page) => pages.push(page.url());
  app.page.on('framenavigated', onNav);
  app.page.context().on('page', onPage);
  try {
    const result = await body();
    return { result, navigations, pages };
  } finally {
    app.page.off('framenavigated', onNav);
    app.page.context().off('page', onPage);
  }
}

/**
 * Where the iframe's response went, as the RP's server saw it: web_message never loads the
 * callback page; query brings it the response in its query; fragment keeps the response from
 * the server; form_post is turned by the service worker into a GET with ?oidc_form_post=<id>
 * (no POST reaches the server).
 */
function assertCallbackPage(responseMode, since) {
  const seen = env.rp.requests.slice(since).filter((r) => r.path.startsWith('/silent-callback.html'));
  const query = seen.map((r) => new URL(r.path, env.rp.origin).searchParams);
  assert.deepEqual(env.rp.requests.slice(since).filter((r) => r.method === 'POST'), [], responseMode);
  if (responseMode === 'web_message') {
    assert.deepEqual(seen, [], responseMode);
    return;
  }
  assert.equal(seen.length, 1, `${responseMode}: ${JSON.stringify(seen)}`);
  assert.equal(seen[0].status, 200);
  if (responseMode === 'query') assert.ok(query[0].has('state') && (query[0].has('code') || query[0].has('error')), seen[0].path);
  if (responseMode === 'fragment') assert.equal(seen[0].path, '/silent-callback.html');
  if (responseMode === 'form_post') assert.match(query[0].get('oidc_form_post') ?? '', /^[0-9a-f-]{36}$/);
}

/** Signs in by redirect and waits until the form_post worker controls the page. */
async function signedInApp(context) {
  const app = await App.open(context, env);
  await app.signinRedirect();
  await app.waitSignedIn();
  // Silent form_post needs this page to be controlled by the worker (it fetches the body).
  await app.page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  return app;
}

test('silent sign-in with a live OP session: a new session in every response mode, nothing visible', () =>
  inContext(env, {}, async ({ context }) => {
    const app = await signedInApp(context);
    const url = app.page.url();
    let previous = await app.session();

    for (const responseMode of MODES) {
      env.op.events.clear();
      await app.setOptions({ responseMode });
      const requestsBefore = env.rp.requests.length;
      const { result: call, navigations, pages } = await watchVisible(app, () => app.clickAndWait('signin-silent'));
      assert.deepEqual({ name: call.name, ok: call.ok, code: call.code }, { name: 'signinSilent', ok: true, code: undefined }, responseMode);

      // Nothing visible: the page did not navigate, no window opened, the iframe is gone.
      assert.deepEqual(navigations, [], responseMode);
      assert.deepEqual(pages, [], responseMode);
      assert.equal(app.page.url(), url);
      assert.equal(context.pages().length, 1);
      assert.equal(await app.page.locator('iframe').count(), 0, 'the iframe is removed');

      // The OP got prompt=none in that mode, with the session's ID token as hint, and asked nothing.
      const sent = env.op.events.authorizations.at(-1);
      assert.equal(sent.prompt, 'none');
      assert.equal(sent.response_mode, responseMode === 'query' ? undefined : responseMode);
      // silentRedirectUri is configured: every mode uses it (web_message only for its origin).
      assert.equal(sent.redirect_uri, env.urls.silentRedirectUri);
      assert.equal(sent.id_token_hint, previous.idToken);
      assert.ok(!env.op.events.names().includes('interaction.started'));
      assert.deepEqual(env.op.events.tokenCounts, { authorization_code: 1 });
      assertCallbackPage(responseMode, requestsBefore);

      const { session, lastSession, lastError } = await app.state();
      assert.equal(lastError, null);
      assert.equal(session.subject, 'ana@example.com');
      assert.notEqual(session.accessToken, previous.accessToken, `${responseMode}: a new access token`);
      assert.equal(lastSession.accessToken, session.accessToken);
      assert.equal(await app.status(), 'signed-in');
      assert.equal(await app.shownError(), null);
      previous = session;
    }
    assert.deepEqual(env.op.events.names().filter((n) => n === 'server_error'), []);
  }));

test('after logout at the OP, prompt=none fails with login_required in every response mode; the session stays', () =>
  inContext(env, {}, async ({ context }) => {
    const app = await signedInApp(context);
    const url = app.page.url();
    const kept = await app.session();

    // The user signs out at the OP in another tab (not through the app).
    const opTab = await context.newPage();
    await opTab.goto(`${env.op.issuer}/session/end`);
    await confirmLogoutAtOp(opTab);
    await opTab.waitForSelector('#op-logout-success');
    await opTab.close();

    for (const responseMode of MODES) {
      env.op.events.clear();
      await app.setOptions({ responseMode });
      const requestsBefore = env.rp.requests.length;
      const { result: call, navigations, pages } = await watchVisible(app, () => app.clickAndWait('signin-silent'));
      assert.deepEqual({ name: call.name, ok: call.ok, code: call.code }, { name: 'signinSilent', ok: false, code: 'login_required' }, responseMode);
      assertCallbackPage(responseMode, requestsBefore);
      // An answer from the OP, not a timeout.
      assert.ok(call.ms < SILENT_TIMEOUT_MS / 2, `${responseMode}: ${call.ms} ms`);
      assert.deepEqual(navigations, []);
      assert.deepEqual(pages, []);
      assert.equal(app.page.url(), url);

      assert.equal(await app.text('error-code'), 'login_required');
      const { session, lastError } = await app.state();
      assert.equal(lastError.code, 'login_required');
      assert.equal(typeof lastError.description, 'string', 'the OP error_description passes through');
      assert.equal(session.accessToken, kept.accessToken, `${responseMode}: the session is unchanged`);
      assert.equal(session.idToken, kept.idToken);
      assert.equal(await app.status(), 'signed-in');

      const opError = env.op.events.log.find((e) => e.name === 'authorization.error');
      assert.equal(opError?.error, 'login_required', responseMode);
      assert.equal(env.op.events.authorizations.at(-1).prompt, 'none');
    }
    assert.deepEqual(env.op.events.names().filter((n) => n === 'server_error'), []);
  }));
