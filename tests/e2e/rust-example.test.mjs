// The example Rust front end (examples/rust-spa, built by scripts/build-rust-example.sh into
// target/rust-spa/site/) against the real OP: a Rust app using oidc_rp_wasm::web::client::Client,
// whose every command the Rust pump performs. In one browser profile, in order, as a user would:
// a redirect sign-in (login and consent at the OP), a refresh (a new access token), a silent
// renewal by refresh token and then in a hidden iframe with prompt=none, a popup sign-in, and
// an RP-initiated logout whose returned state the app checks.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { stat } from 'node:fs/promises';

import { startOp } from './lib/op.mjs';
import { startStatic } from './lib/static.mjs';
import { launchBrowser, newContext, loginAtOp, confirmLogoutAtOp } from './lib/browser.mjs';
import { ROOT, loginInPopup } from './lib/sdk.mjs';

const SITE = join(ROOT, 'target', 'rust-spa', 'site');

let op;
let rp;
let browser;
let context;
let page;
let app; // the app's origin and redirect URI, with a trailing slash
const logs = [];

before(async () => {
  await stat(join(SITE, 'rust_spa_bg.wasm')).catch(() => {
    throw new Error('target/rust-spa/site/ is not built: run scripts/build-rust-example.sh first');
  });
  rp = await startStatic({
    root: ROOT,
    exampleDir: SITE,
    packageRoutes: false,
    config: () => ({
      issuer: op.issuer,
      clientId: 'spa',
      redirectUri: app,
      postLogoutRedirectUri: app,
      scope: 'openid profile email offline_access',
      storage: 'session',
    }),
  });
  app = `${rp.origin}/`;
  op = await startOp({ clients: [{ redirect_uris: [app], post_logout_redirect_uris: [app] }] });
  browser = await launchBrowser();
  context = await newContext(browser);
  context.on('page', (p) => {
    p.on('console', (m) => logs.push(`[console.${m.type()} ${p.url()}] ${m.text()}`));
    p.on('pageerror', (e) => logs.push(`[pageerror ${p.url()}] ${e.stack ?? e}`));
  });
  page = await context.newPage();
});

after(async () => {
  const errors = logs.filter((line) => line.startsWith('[pageerror'));
  if (errors.length > 0 || process.env.E2E_VERBOSE) console.error(logs.join('\n'));
  await browser?.close();
  await op?.close();
  await rp?.close();
  assert.deepEqual(errors, [], 'no uncaught exception (a wasm trap included) in any page');
});

const testid = (id) => page.getByTestId(id);
const text = (id) => testid(id).textContent();
const ready = () => page.waitForSelector('html[data-ready="true"]', { state: 'attached' });
const status = () => testid('status').getAttribute('data-state');

/** The calls the app recorded: [{ name, ok, code }]. */
function calls() {
  return page.$$eval('[data-testid="calls"] li', (items) =>
    items.map((li) => ({ name: li.dataset.name, ok: li.dataset.ok === 'true', code: li.dataset.code })),
  );
}

/** The names of the client events the app heard. */
function events() {
  return page.$$eval('[data-testid="events"] li', (items) => items.map((li) => li.dataset.name));
}

/** Clicks `id` and waits until the app has recorded the call it starts; returns that record. */
async function clickAndWait(id) {
  const before = (await calls()).length;
  await testid(id).click();
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="calls"] li').length > n, before);
  return (await calls())[before];
}

test('starts signed out, then signs in by redirect (login and consent at the OP)', async () => {
  await page.goto(app);
  await ready();
  assert.equal(await status(), 'signed-out');
  assert.equal(await testid('signin-redirect').isEnabled(), true);

  await Promise.all([page.waitForURL((u) => u.origin === op.issuer, { waitUntil: 'commit' }), testid('signin-redirect').click()]);
  const seen = await loginAtOp(page, { until: (u) => u.origin === rp.origin });
  assert.deepEqual(seen, ['login', 'consent']);
  await page.waitForURL((u) => u.origin === rp.origin, { waitUntil: 'commit' });
  await ready();

  assert.deepEqual(await calls(), [{ name: 'handle_redirect_callback', ok: true, code: undefined }]);
  assert.equal(await status(), 'signed-in');
  assert.equal(await text('subject'), 'ana@example.com');
  assert.equal(await text('name'), 'Ana Example');
  assert.equal(await text('id-token-fresh'), 'true');
  assert.equal(JSON.parse(await text('claims')).iss, op.issuer);
  assert.deepEqual(await events(), ['signedIn']);
  assert.equal(page.url(), app, 'the response is gone from the address bar');

  const [request] = op.events.authorizations;
  assert.equal(request.response_type, 'code');
  assert.equal(request.code_challenge_method, 'S256');
  assert.equal(request.redirect_uri, app);
  assert.ok(request.state && request.nonce);
  assert.equal(op.events.tokenCounts.authorization_code, 1);
});

test('refresh: the refresh_token grant brings a new access token', async () => {
  const before = await text('access-token');
  const call = await clickAndWait('refresh');
  assert.deepEqual(call, { name: 'refresh', ok: true, code: undefined });
  const after = await text('access-token');
  assert.ok(after && after !== '–' && after !== before, `${before} -> ${after}`);
  assert.equal(op.events.tokenCounts.refresh_token, 1);
  assert.deepEqual(op.events.revokedGrants, []);
  assert.equal((await events()).at(-1), 'refreshed');
});

test('silent renewal: by refresh token, then in a hidden iframe with prompt=none', async () => {
  const navigations = [];
  const onNav = (frame) => frame === page.mainFrame() && navigations.push(frame.url());
  page.on('framenavigated', onNav);
  try {
    const first = await text('access-token');
    assert.deepEqual(await clickAndWait('signin-silent'), { name: 'signin_silent', ok: true, code: undefined });
    const second = await text('access-token');
    assert.notEqual(second, first);
    assert.equal(op.events.tokenCounts.refresh_token, 2, 'the refresh token served');

    const authorizations = op.events.authorizations.length;
    assert.deepEqual(await clickAndWait('signin-silent-iframe'), { name: 'signin_silent_iframe', ok: true, code: undefined });
    const request = op.events.authorizations.at(-1);
    assert.equal(op.events.authorizations.length, authorizations + 1);
    assert.equal(request.prompt, 'none');
    assert.equal(request.response_mode, 'web_message');
    assert.ok(request.id_token_hint, 'the session ID token as id_token_hint');
    assert.equal(op.events.tokenCounts.authorization_code, 2);
    assert.notEqual(await text('access-token'), second);
    assert.equal(await page.locator('iframe').count(), 0, 'the iframe is gone');
    assert.deepEqual(navigations, [], 'nothing navigated the page');
    assert.equal(await status(), 'signed-in');
    assert.deepEqual((await events()).slice(-2), ['refreshed', 'refreshed']);
  } finally {
    page.off('framenavigated', onNav);
  }
});

test('a popup sign-in opens within the click and completes (the OP remembers the user)', async () => {
  const [popup] = await Promise.all([context.waitForEvent('page'), testid('signin-popup').click()]);
  await loginInPopup(popup, op.issuer);
  await page.waitForFunction(() =>
    [...document.querySelectorAll('[data-testid="calls"] li')].some((li) => li.dataset.name === 'signin_popup'),
  );
  assert.deepEqual((await calls()).at(-1), { name: 'signin_popup', ok: true, code: undefined });
  assert.equal((await events()).at(-1), 'signedIn');
  if (!popup.isClosed()) await popup.waitForEvent('close', { timeout: 5_000 }).catch(() => {});
  assert.ok(popup.isClosed(), 'the client closed the popup');
});

test('sign-out: the OP ends its session, and the app checks the state it comes back with', async () => {
  const endSession = `${op.issuer}/session/end`;
  await Promise.all([page.waitForURL((u) => u.href.startsWith(endSession)), testid('signout').click()]);
  const sent = op.events.endSessions.at(-1);
  assert.equal(sent.client_id, 'spa');
  assert.equal(sent.post_logout_redirect_uri, app);
  assert.ok(sent.id_token_hint);
  assert.match(sent.state ?? '', /^[\w-]{16,}$/);

  await confirmLogoutAtOp(page);
  await page.waitForURL((u) => u.origin === rp.origin, { waitUntil: 'commit' });
  await ready();
  assert.ok(op.events.names().includes('end_session.success'));
  assert.deepEqual(await calls(), [{ name: 'handle_signout_callback', ok: true, code: undefined }]);
  assert.equal(await text('signout-state'), sent.state, 'the state the OP returned is the one sent');
  assert.equal(await status(), 'signed-out');
  assert.equal(page.url(), app, 'the state is gone from the address bar');

  // The OP session really ended: a silent sign-in in the iframe now needs a login.
  const call = await clickAndWait('signin-silent-iframe');
  assert.deepEqual(call, { name: 'signin_silent_iframe', ok: false, code: 'login_required' });
});
