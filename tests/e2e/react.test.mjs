// The React binding (issue #17): examples/react, a Vite + React 19 app in StrictMode using
// `oidc-rp-wasm/react`, built with the bundler matrix's pinned Vite from the `npm pack` tarball of
// pkg/ as a user would, served as static files and driven in Chromium against node-oidc-provider.
//
// It is built with NODE_ENV=development: StrictMode mounts, unmounts and mounts every component
// again (and renders twice) only in React's development build, which is what the binding must
// survive. A stand-in for the React DevTools hook, installed before the page's scripts, tells the
// test that the build is React's development one and that the tree is in StrictMode.
//
// react/ is a harness built the same way, for what the example cannot show from outside: the
// calls the binding makes on a client the app gave it, a token asked for before the provider's
// effect ran, disposal on unmount and on a new configuration.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';

import { ROOT } from './lib/sdk.mjs';
import { startOp } from './lib/op.mjs';
import { startStatic } from './lib/static.mjs';
import { launchBrowser, newContext, loginAtOp, confirmLogoutAtOp } from './lib/browser.mjs';
import { packPkg, installTarball } from './lib/pack.mjs';
import { blocks } from '../../scripts/check-snippets.mjs';

const EXAMPLE = join(ROOT, 'examples', 'react');
const BUNDLERS = join(ROOT, 'tests', 'e2e', 'bundlers');
const HARNESS = join(ROOT, 'tests', 'e2e', 'react');
/** The route behind <RequireAuth>, with a query and a fragment the sign-in must bring back. */
const PROTECTED = '/protected?tab=claims#top';

let work, site, harness, formPostSite, op, browser;

/** examples/react/node_modules as scripts/setup.sh makes it: `npm ci` when missing or older than the lock. */
function ensureInstalled() {
  const modules = join(EXAMPLE, 'node_modules');
  const lock = join(EXAMPLE, 'package-lock.json');
  if (existsSync(join(modules, '.bin', 'vite')) && statSync(lock).mtimeMs <= statSync(modules).mtimeMs) return;
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: EXAMPLE, stdio: 'inherit' });
  const now = new Date();
  utimesSync(modules, now, now);
}

/** `vite build` in `dir` with React's development build (StrictMode on) and `env`. */
function viteBuild(dir, env = {}, outDir = 'dist') {
  const started = Date.now();
  try {
    execFileSync(join(EXAMPLE, 'node_modules', '.bin', 'vite'), ['build', '--logLevel', 'warn', '--outDir', outDir], {
      cwd: dir,
      env: { ...process.env, NODE_ENV: 'development', ...env },
      stdio: 'pipe',
    });
  } catch (err) {
    throw new Error(`vite build in ${dir} failed:\n${err.stdout}\n${err.stderr}`);
  }
  console.log(`# ${dir.slice(ROOT.length + 1)} built in ${Date.now() - started} ms`);
}

/** A static host of a built single-page app: its files, and index.html for every other path (a route such as /protected). */
function serveApp(dist) {
  return startStatic({
    root: ROOT,
    exampleDir: dist,
    packageRoutes: false,
    // Chromium keeps no page that came with `no-store` in its back/forward cache.
    headers: () => ({ 'cache-control': 'no-cache' }),
    respond: (path) => (extname(path) === '' && path !== '/' ? { type: 'text/html; charset=utf-8', body: readFileSync(join(dist, 'index.html')) } : undefined),
  });
}

/** The version of `name` a package-lock.json installs. */
const locked = (dir, name) => JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8')).packages[`node_modules/${name}`].version;

// Runs in the page before its scripts: a stand-in for the React DevTools hook (React reports its
// build and every commit to it), and a record of each text the status line showed, in order.
function instrument() {
  const seen = { bundleType: null, strict: false, strictModeCalls: 0 };
  window.__react = seen;
  const renderers = new Map();
  const STRICT = Symbol.for('react.strict_mode');
  window.__REACT_DEVTOOLS_GLOBAL_HOOK__ = {
    renderers,
    supportsFiber: true,
    isDisabled: false,
    inject(internals) {
      seen.bundleType = internals.bundleType; // 1: development, 0: production
      renderers.set(renderers.size + 1, internals);
      return renderers.size;
    },
    onCommitFiberRoot(_id, root) {
      const stack = [root.current];
      while (stack.length) {
        const fiber = stack.pop();
        if (fiber.elementType === STRICT) seen.strict = true;
        if (fiber.child) stack.push(fiber.child);
        if (fiber.sibling) stack.push(fiber.sibling);
      }
    },
    // Called around StrictMode's second render of a component in development builds.
    setStrictMode(_id, on) {
      if (on) seen.strictModeCalls += 1;
    },
    onCommitFiberUnmount() {},
    onPostCommitFiberRoot() {},
    onScheduleFiberRoot() {},
    checkDCE() {},
  };
  window.__statuses = [];
  new MutationObserver(() => {
    const text = document.querySelector('[data-testid="status"]')?.textContent;
    if (text !== undefined && text !== window.__statuses.at(-1)) window.__statuses.push(text);
  }).observe(document, { subtree: true, childList: true, characterData: true });
}

before(async () => {
  ensureInstalled();
  // The same Vite as the bundler matrix (tests/e2e/bundlers), pinned in both locks.
  assert.equal(locked(EXAMPLE, 'vite'), locked(BUNDLERS, 'vite'), 'examples/react pins the Vite of the bundler matrix');
  work = mkdtempSync(join(tmpdir(), 'oidc-rp-wasm-react-'));
  const { tarball } = packPkg(work);
  installTarball(tarball, EXAMPLE);
  rmSync(join(EXAMPLE, 'dist'), { recursive: true, force: true });
  rmSync(join(HARNESS, 'dist'), { recursive: true, force: true });
  // The harness uses the example's React and the package installed there.
  if (!existsSync(join(HARNESS, 'node_modules'))) symlinkSync(join(EXAMPLE, 'node_modules'), join(HARNESS, 'node_modules'), 'dir');
  assert.ok(lstatSync(join(HARNESS, 'node_modules')).isSymbolicLink());

  rmSync(join(EXAMPLE, 'dist-form-post'), { recursive: true, force: true });
  // The npm README's form_post recipe, as written: the package's worker copied into public/.
  const copy = blocks('pkg-template/README.md').find((b) => b.lang === 'sh' && b.code.includes('form-post-sw.js public/'));
  assert.ok(copy, "the npm README's form_post recipe copies the worker into public/");
  rmSync(join(EXAMPLE, 'public', 'form-post-sw.js'), { force: true });
  mkdirSync(join(EXAMPLE, 'public'), { recursive: true });
  execFileSync('bash', ['-c', copy.code], { cwd: EXAMPLE, stdio: 'pipe' });

  site = await serveApp(join(EXAMPLE, 'dist'));
  harness = await serveApp(join(HARNESS, 'dist'));
  formPostSite = await serveApp(join(EXAMPLE, 'dist-form-post'));
  const uris = [`${site.origin}/`, `${harness.origin}/`, `${formPostSite.origin}/`];
  op = await startOp({ clients: [{ client_id: 'spa', redirect_uris: uris, post_logout_redirect_uris: uris }] });
  viteBuild(EXAMPLE, { VITE_OIDC_ISSUER: op.issuer, VITE_OIDC_CLIENT_ID: 'spa' });
  viteBuild(EXAMPLE, { VITE_OIDC_ISSUER: op.issuer, VITE_OIDC_CLIENT_ID: 'spa', VITE_OIDC_RESPONSE_MODE: 'form_post' }, 'dist-form-post');
  viteBuild(HARNESS);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await op?.close();
  await site?.close();
  await harness?.close();
  await formPostSite?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A browser profile of its own, recording what its pages ask of the OP's discovery and of the app. */
async function profile() {
  const context = await newContext(browser);
  await context.addInitScript(instrument);
  const traffic = { discovery: 0, appDocuments: 0, errors: [] };
  context.on('request', (request) => {
    const url = new URL(request.url());
    if (url.href === `${op.issuer}/.well-known/openid-configuration`) traffic.discovery += 1;
    if (url.origin === site.origin && request.resourceType() === 'document') traffic.appDocuments += 1;
  });
  context.on('page', (page) => page.on('pageerror', (e) => traffic.errors.push(String(e.stack ?? e))));
  return { context, traffic };
}

const status = (page) => page.getByTestId('status').textContent();
const waitStatus = (page, value, timeout = 15_000) =>
  page.waitForFunction((v) => document.querySelector('[data-testid="status"]')?.textContent === v, value, { timeout });

// One profile for the scenarios that follow one another: sign in, refresh, two tabs.
let main;

test('sign-in by redirect in StrictMode: one client, one code exchange, the claims, a clean URL, no flash of signed-out', { timeout: 60_000 }, async () => {
  main = await profile();
  const page = await main.context.newPage();
  main.page = page;
  await page.goto(`${site.origin}/`);
  await waitStatus(page, 'signed-out');
  assert.deepEqual(await page.evaluate(() => window.__statuses), ['loading', 'signed-out']);

  const react = await page.evaluate(() => window.__react);
  assert.equal(react.bundleType, 1, "React's development build: StrictMode's double mount is on");
  assert.equal(react.strict, true, 'the tree is in <StrictMode>');
  assert.ok(react.strictModeCalls > 0, 'StrictMode rendered components twice');

  const before = { ...op.events.tokenCounts };
  await Promise.all([page.waitForURL((u) => u.origin === op.issuer), page.getByTestId('signin').click()]);
  await loginAtOp(page, { until: (u) => u.origin === site.origin });
  await waitStatus(page, 'signed-in');

  // The callback page: the provider handled the response once (one code exchange at the OP), and
  // the client was made once for the page even though StrictMode mounted the provider twice.
  assert.equal((op.events.tokenCounts.authorization_code ?? 0) - (before.authorization_code ?? 0), 1, 'one code exchange');
  assert.equal(main.traffic.discovery, main.traffic.appDocuments, 'one client (one discovery request) per page load');
  assert.equal(main.traffic.appDocuments, 2);
  assert.deepEqual(await page.evaluate(() => window.__statuses), ['loading', 'signed-in'], 'loading, then signed in: never signed out between');
  assert.equal((await page.evaluate(() => window.__react)).strict, true);

  assert.equal(page.url(), `${site.origin}/`, 'code, state and iss removed from the address bar');
  assert.equal(await page.getByTestId('subject').textContent(), 'ana@example.com');
  const claims = JSON.parse(await page.getByTestId('claims').textContent());
  assert.equal(claims.sub, 'ana@example.com');
  assert.equal(claims.name, 'Ana Example');
  assert.equal(claims.email, 'ana@example.com');
  assert.equal(claims.iss, op.issuer);
  assert.equal(claims.aud, 'spa');
  assert.deepEqual(main.traffic.errors, []);
});

test('a refresh re-renders with the new expiry', { timeout: 60_000 }, async () => {
  const { page } = main;
  const expiresAt = async () => Number(await page.getByTestId('expires-at').getAttribute('data-value'));
  const first = await expiresAt();
  assert.ok(first > Date.now() / 1000 + 3000, `about an hour ahead: ${first}`);
  // The next access token lives an hour longer, so the new expiry is another second anyway.
  op.settings.accessTokenTtl = 7200;
  const refreshes = op.events.tokenCounts.refresh_token ?? 0;
  try {
    await page.getByTestId('refresh').click();
    await page.waitForFunction((old) => Number(document.querySelector('[data-testid="expires-at"]')?.dataset.value) !== old, first);
  } finally {
    op.settings.accessTokenTtl = 3600;
  }
  const second = await expiresAt();
  assert.ok(second - first >= 3590 && second - first <= 3700, `the new expiry, an hour later: ${first} -> ${second}`);
  assert.equal((op.events.tokenCounts.refresh_token ?? 0) - refreshes, 1, 'one refresh_token grant');
  assert.equal(await status(page), 'signed-in');
  assert.deepEqual(await page.evaluate(() => window.__statuses), ['loading', 'signed-in'], 'no loading flash on a refresh');

  // getAccessToken() through the hook gives the refreshed token.
  await page.getByTestId('token').click();
  assert.match(await page.getByTestId('token-value').textContent(), /characters/);
  assert.deepEqual(main.traffic.errors, []);
});

test('signing out in one tab shows signed-out in a second tab, reason other_tab', { timeout: 60_000 }, async () => {
  const { context, page } = main;
  const second = await context.newPage();
  await second.goto(`${site.origin}/`);
  await waitStatus(second, 'signed-in');
  assert.equal(await second.getByTestId('subject').textContent(), 'ana@example.com');

  await Promise.all([page.waitForURL((u) => u.origin === op.issuer), page.getByTestId('signout').click()]);
  await waitStatus(second, 'signed-out');
  assert.equal(await second.getByTestId('signed-out-reason').textContent(), 'other_tab');
  assert.equal(await second.getByTestId('signin').isVisible(), true);
  assert.deepEqual(await second.evaluate(() => window.__statuses), ['loading', 'signed-in', 'signed-out']);

  // The first tab finishes the logout at the OP and comes back signed out, the URL cleaned.
  const ended = op.events.endSessions.at(-1);
  assert.equal(ended.client_id, 'spa');
  await confirmLogoutAtOp(page);
  await page.waitForURL((u) => u.origin === site.origin);
  await waitStatus(page, 'signed-out');
  await page.waitForURL(`${site.origin}/`);
  assert.deepEqual(main.traffic.errors, []);
  await main.context.close();
});

/**
 * Signs in through <RequireAuth> in a new profile, from a page load of the protected route or from
 * a click on a link to it (then <RequireAuth> mounts with the client already loaded, and StrictMode
 * runs its effect twice), and checks that one sign-in brought the user back to the route.
 */
async function requireAuth(via) {
  const { context, traffic } = await profile();
  try {
    const page = await context.newPage();
    const authorizations = op.events.authorizations.length;
    const exchanges = op.events.tokenCounts.authorization_code ?? 0;
    if (via === 'load') {
      await page.goto(`${site.origin}${PROTECTED}`);
    } else {
      await page.goto(`${site.origin}/`);
      await waitStatus(page, 'signed-out');
      await page.getByRole('link', { name: 'Protected page' }).click();
    }
    await page.waitForURL((u) => u.origin === op.issuer);
    await loginAtOp(page, { until: (u) => u.origin === site.origin });
    await page.getByTestId('protected').waitFor({ timeout: 15_000 });

    assert.equal(page.url(), `${site.origin}${PROTECTED}`, 'back on the route the sign-in started from');
    assert.equal(await page.getByTestId('location').textContent(), PROTECTED);
    assert.equal(await page.getByTestId('protected-subject').textContent(), 'ana@example.com');
    assert.equal(op.events.authorizations.length - authorizations, 1, 'one authorization request');
    assert.equal((op.events.tokenCounts.authorization_code ?? 0) - exchanges, 1, 'one code exchange');
    // One pending request was stored, and used: a second sign-in would have left its own.
    const pending = await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('oidc-rp-wasm:tx:')));
    assert.deepEqual(pending, [], 'no second sign-in was started');
    assert.deepEqual(await page.evaluate(() => window.__statuses), ['loading', 'signed-in']);
    assert.equal(traffic.discovery, traffic.appDocuments);
    assert.deepEqual(traffic.errors, []);
  } finally {
    await context.close();
  }
}

test('a page load behind <RequireAuth> redirects once and comes back to the same route', { timeout: 60_000 }, () => requireAuth('load'));

test('a link to a page behind <RequireAuth> redirects once (StrictMode runs its effect twice) and comes back to it', { timeout: 60_000 }, () =>
  requireAuth('link'));

test('signing out on a page behind <RequireAuth> goes to the OP\'s logout; there and in another tab, no sign-in starts', { timeout: 60_000 }, async () => {
  const { context, traffic } = await profile();
  try {
    const page = await context.newPage();
    await page.goto(`${site.origin}${PROTECTED}`);
    await page.waitForURL((u) => u.origin === op.issuer);
    await loginAtOp(page, { until: (u) => u.origin === site.origin });
    await page.getByTestId('protected').waitFor({ timeout: 15_000 });
    const second = await context.newPage();
    await second.goto(`${site.origin}${PROTECTED}`);
    await second.getByTestId('protected').waitFor({ timeout: 15_000 });
    const authorizations = op.events.authorizations.length;
    const endSessions = op.events.endSessions.length;

    // signoutRedirect() announces signedOut, then navigates: <RequireAuth> sees no session, and a
    // sign-in it started would replace the logout's navigation with one to the OP's /auth.
    await Promise.all([page.waitForURL((u) => u.origin === op.issuer), page.getByTestId('protected-signout').click()]);
    // The other tab, on the protected route too, hears of it and offers a sign-in.
    await second.getByTestId('signin-again').waitFor({ timeout: 15_000 });
    assert.equal(await second.getByTestId('signed-out-reason').textContent(), 'other_tab');
    await confirmLogoutAtOp(page);
    await page.waitForURL(`${site.origin}/`);
    await waitStatus(page, 'signed-out');
    assert.equal(op.events.endSessions.length - endSessions, 1, 'the logout reached the OP');
    assert.equal(op.events.authorizations.length, authorizations, 'no sign-in was started');
    assert.equal(new URL(second.url()).pathname, '/protected');
    assert.deepEqual(traffic.errors, []);
  } finally {
    await context.close();
  }
});

/**
 * Opens the protected route (which <RequireAuth> sends to the OP), presses Back at the OP's login
 * page, and checks that the fallback offers a sign-in and none started on its own; then its
 * button signs in, back to the route. `loadType`: how the page that shows the fallback came
 * ('navigate': the document that was left, from the back/forward cache; 'back_forward': a new
 * load of it).
 */
async function backFromOpToRequireAuth(context, loadType) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e.stack ?? e)));
  await page.goto(`${site.origin}${PROTECTED}`);
  await page.waitForURL((u) => u.origin === op.issuer);
  await page.locator('form input[name="login"]').waitFor();
  const authorizations = op.events.authorizations.length;

  await page.goBack({ waitUntil: 'commit' });
  await page.getByTestId('signin-again').waitFor({ timeout: 15_000 });
  assert.equal(await page.evaluate(() => performance.getEntriesByType('navigation')[0].type), loadType);
  assert.equal(await page.getByTestId('error').textContent(), 'abandoned');
  assert.equal(new URL(page.url()).pathname, '/protected');
  assert.equal(op.events.authorizations.length, authorizations, 'no sign-in started on its own');

  await page.getByTestId('signin-again').click();
  await page.waitForURL((u) => u.origin === op.issuer);
  await loginAtOp(page, { until: (u) => u.origin === site.origin });
  await page.getByTestId('protected').waitFor({ timeout: 15_000 });
  assert.equal(await page.getByTestId('location').textContent(), PROTECTED);
  assert.deepEqual(errors, []);
}

test('Back from the OP to a page behind <RequireAuth>, restored from the back/forward cache: the fallback offers a sign-in, none starts', { timeout: 60_000 }, async () => {
  const cachingBrowser = await launchBrowser({ bfcache: true });
  // Chromium keeps no page whose fetches (discovery here) came with `no-store`.
  op.settings.noStoreAsNoCache = true;
  try {
    await backFromOpToRequireAuth(await newContext(cachingBrowser), 'navigate');
  } finally {
    op.settings.noStoreAsNoCache = false;
    await cachingBrowser.close();
  }
});

test('Back from the OP to a page behind <RequireAuth> that loads again (no back/forward cache): the fallback offers a sign-in, none starts', { timeout: 60_000 }, async () => {
  const context = await newContext(browser);
  try {
    await backFromOpToRequireAuth(context, 'back_forward');
  } finally {
    await context.close();
  }
});

test("form_post end to end: the worker in Vite's public/, ready before the OP posts, the callback handled by the provider", { timeout: 60_000 }, async () => {
  const { context, traffic } = await profile();
  try {
    const page = await context.newPage();
    await page.goto(`${formPostSite.origin}/`);
    await waitStatus(page, 'signed-out');
    // main.jsx rendered only once the worker was ready: it is active here.
    assert.equal(await page.evaluate(() => navigator.serviceWorker.ready.then((r) => r.active?.scriptURL)), `${formPostSite.origin}/form-post-sw.js`);
    const asked = op.events.authorizations.length;
    const exchanges = op.events.tokenCounts.authorization_code ?? 0;
    await Promise.all([page.waitForURL((u) => u.origin === op.issuer), page.getByTestId('signin').click()]);
    await loginAtOp(page, { until: (u) => u.origin === formPostSite.origin });
    await waitStatus(page, 'signed-in');
    assert.equal(op.events.authorizations[asked]?.response_mode, 'form_post');
    assert.equal((op.events.tokenCounts.authorization_code ?? 0) - exchanges, 1, 'one code exchange');
    // The worker took the OP's POST: the static host never saw one.
    assert.deepEqual(formPostSite.requests.filter((r) => r.method === 'POST'), []);
    assert.equal(page.url(), `${formPostSite.origin}/`, '?oidc_form_post= removed from the address bar');
    assert.equal(await page.getByTestId('subject').textContent(), 'ana@example.com');
    assert.deepEqual(traffic.errors, []);
  } finally {
    await context.close();
  }
});

// ---- the harness ----

/** A new profile whose pages of the harness run in `mode` (see tests/e2e/react/main.jsx). */
async function harnessContext(mode) {
  const context = await newContext(browser);
  await context.addInitScript(
    ({ issuer, mode, origin }) => {
      window.E2E_ISSUER = issuer;
      if (location.origin === origin) sessionStorage.setItem('harness-mode', mode);
    },
    { issuer: op.issuer, mode, origin: harness.origin },
  );
  return context;
}

/** A profile on the harness in `mode` ("config" or "client"), signed in there. */
async function harnessSignedIn(mode) {
  const context = await harnessContext(mode);
  const errors = [];
  context.on('page', (page) => page.on('pageerror', (e) => errors.push(String(e.stack ?? e))));
  const page = await context.newPage();
  const state = (value) => page.waitForFunction((v) => document.getElementById('state')?.textContent === v, value, { timeout: 15_000 });
  await page.goto(`${harness.origin}/`);
  await state('signed-out');
  // Without a session, the early getAccessToken() (twice: StrictMode runs the effect again) waited
  // for the client and got no_session.
  assert.deepEqual(await page.evaluate(() => window.record.early), [{ code: 'no_session' }, { code: 'no_session' }]);
  const exchanges = op.events.tokenCounts.authorization_code ?? 0;
  await Promise.all([page.waitForURL((u) => u.origin === op.issuer), page.evaluate(() => void window.oidc.signinRedirect())]);
  await loginAtOp(page, { until: (u) => u.origin === harness.origin });
  await state('signed-in');
  assert.equal((op.events.tokenCounts.authorization_code ?? 0) - exchanges, 1, 'one code exchange');
  const record = await page.evaluate(() => ({ ...window.record, clients: window.record.clients.length }));
  // The callback page: loading, then signed in; never signed out in between.
  assert.deepEqual(record.renders[0], { isLoading: true, isAuthenticated: false, error: null });
  assert.ok(!record.renders.some((r) => !r.isLoading && !r.isAuthenticated), JSON.stringify(record.renders));
  assert.deepEqual(record.renders.at(-1), { isLoading: false, isAuthenticated: true, error: null });
  // A token asked for in a child's mount effect, before the provider made the client, came after
  // the callback: the new session's, not no_session.
  assert.equal(record.early.length, 2, JSON.stringify(record.early));
  for (const early of record.early) assert.match(early.ok ?? JSON.stringify(early), /characters/);
  return { context, page, record, errors };
}

test('harness, <RequireAuth> on a path that starts with two slashes (its signinOptions\' appState undefined): the appState it signs in with stays on this site; an onSigninCallback that throws is the page\'s error', { timeout: 60_000 }, async () => {
  // `//evil.example/landing` as a path of this site: handed to location.replace() or a router as it
  // is, it would be the site evil.example (an open redirect for anyone who sends such a link).
  const context = await harnessContext('require');
  try {
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // And an onSigninCallback that throws: the page reports it, the binding is not disturbed.
    await context.addInitScript((origin) => {
      if (location.origin === origin) sessionStorage.setItem('harness-throw', '1');
    }, harness.origin);
    await page.goto(`${harness.origin}//evil.example/landing?x=1`);
    await page.waitForURL((u) => u.origin === op.issuer);
    await loginAtOp(page, { until: (u) => u.origin === harness.origin });
    await page.waitForFunction(() => document.getElementById('state')?.textContent === 'signed-in', null, { timeout: 15_000 });
    assert.equal(await page.evaluate(() => window.record.appState), '/evil.example/landing?x=1');
    assert.deepEqual(errors, ["the app's own bug"]);
    assert.deepEqual(await page.evaluate(() => window.record.renders.at(-1)), { isLoading: false, isAuthenticated: true, error: null });
  } finally {
    await context.close();
  }
});

test('harness, a client the app made signs out a session restored idle before the provider subscribes: <RequireAuth> does not sign the user back in', { timeout: 60_000 }, async () => {
  // The machine signs such a session out just after create() resolves; a provider given that
  // client subscribes later, and learns why there is no session from client.signedOutReason.
  const context = await harnessContext('late');
  try {
    const page = await context.newPage();
    await page.goto(`${harness.origin}/`);
    await page.waitForURL((u) => u.origin === op.issuer);
    await loginAtOp(page, { until: (u) => u.origin === harness.origin });
    await page.waitForFunction(() => document.getElementById('state')?.textContent === 'signed-in', null, { timeout: 15_000 });
    // The user left two hours ago: the session was signed in then, and no tab recorded input since.
    await page.evaluate(() => {
      for (const key of Object.keys(localStorage)) if (key.endsWith(':activity')) localStorage.removeItem(key);
      for (const key of Object.keys(sessionStorage)) {
        if (!key.startsWith('oidc-rp-wasm:session:')) continue;
        const stored = JSON.parse(sessionStorage.getItem(key));
        stored.created_at -= 7200;
        stored.created_ms -= 7_200_000;
        sessionStorage.setItem(key, JSON.stringify(stored));
      }
    });
    await page.reload();
    await page.waitForFunction(() => document.getElementById('state')?.textContent === 'signed-out', null, { timeout: 15_000 });
    assert.equal(await page.evaluate(() => window.harness.given.then((client) => client.signedOutReason)), 'idle');
    // A render after that one: React flushed the fallback's effects first, where <RequireAuth>
    // would have called signinRedirect (and the page would be on its way to the OP).
    await page.evaluate(() => window.harness.rescope('openid'));
    assert.equal(await page.evaluate(() => window.record.calls.signinRedirect ?? 0), 0);
    assert.equal(page.url(), `${harness.origin}/`);
  } finally {
    await context.close();
  }
});

for (const late of [false, true]) {
const given = late ? ', a client the app made and handed over only after it announced expired' : '';
test(`harness, a session restored with its access token expired and no refresh token${given}: isAuthenticated false, the session still held`, { timeout: 60_000 }, async () => {
  const { context, page, errors } = await harnessSignedIn(late ? 'client' : 'config');
  try {
    // The user comes back after the access token expired, with no refresh token to renew it.
    await page.evaluate(() => {
      for (const key of Object.keys(sessionStorage)) {
        if (!key.startsWith('oidc-rp-wasm:session:')) continue;
        const stored = JSON.parse(sessionStorage.getItem(key));
        stored.expires_at = Math.floor(Date.now() / 1000) - 10;
        delete stored.refresh_token;
        sessionStorage.setItem(key, JSON.stringify(stored));
      }
    });
    if (late) await page.goto(`${harness.origin}/?wait=expired`);
    else await page.reload();
    await page.waitForFunction(() => document.getElementById('state')?.textContent === 'signed-out', null, { timeout: 15_000 });
    assert.deepEqual(await page.evaluate(() => window.record.renders.at(-1)), { isLoading: false, isAuthenticated: false, error: null });
    const held = await page.evaluate(() => ({ subject: window.oidc.session?.subject, reason: window.oidc.signedOutReason }));
    assert.deepEqual(held, { subject: 'ana@example.com', reason: null }, 'the expired session is still there, not signed out');
    assert.deepEqual(await page.evaluate(() => window.oidc.getAccessToken().catch((e) => e.code)), 'session_expired');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
}

test('harness, behind <RequireAuth>: the OP revokes the refresh token, the session ends at its expiry (refresh_failed), and <RequireAuth> signs in again', { timeout: 60_000 }, async () => {
  // A 6 s access token: its automatic refresh comes at 3 s, its expiry at 6.
  op.settings.accessTokenTtl = 6;
  const context = await harnessContext('require');
  try {
    const page = await context.newPage();
    await page.goto(`${harness.origin}/`);
    await page.waitForURL((u) => u.origin === op.issuer);
    await loginAtOp(page, { until: (u) => u.origin === harness.origin });
    await page.waitForFunction(() => document.getElementById('state')?.textContent === 'signed-in', null, { timeout: 15_000 });
    op.settings.accessTokenTtl = 3600;
    const first = await page.evaluate(() => window.oidc.session);
    const key = Object.keys(await page.evaluate(() => ({ ...sessionStorage }))).find((k) => k.startsWith('oidc-rp-wasm:session:'));
    const { refresh_token: refreshToken } = JSON.parse(await page.evaluate((k) => sessionStorage.getItem(k), key));
    const revoked = await fetch(new URL(op.provider.pathFor('revocation'), op.issuer), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: refreshToken, token_type_hint: 'refresh_token', client_id: 'spa' }),
    });
    assert.equal(revoked.status, 200, await revoked.text());
    const exchanges = op.events.tokenCounts.authorization_code ?? 0;
    // At the expiry the session ends and <RequireAuth> goes to the OP, which still knows the user.
    await page.waitForURL((u) => u.origin === op.issuer, { timeout: 20_000, waitUntil: 'commit' });
    await loginAtOp(page, { until: (u) => u.origin === harness.origin });
    await page.waitForFunction(() => document.getElementById('state')?.textContent === 'signed-in', null, { timeout: 15_000 });
    assert.equal((op.events.tokenCounts.authorization_code ?? 0) - exchanges, 1, 'one new sign-in');
    const second = await page.evaluate(() => window.oidc.session);
    assert.notEqual(second.accessToken, first.accessToken);
    assert.ok(Date.now() / 1000 >= first.expiresAt, 'not before the old access token expired');
  } finally {
    op.settings.accessTokenTtl = 3600;
    await context.close();
  }
});

test('harness, a configuration whose create() failed (the OP unreachable as the page loaded): the next call makes the client again, and the sign-in works', { timeout: 60_000 }, async () => {
  const context = await harnessContext('config');
  const discovery = `${op.issuer}/.well-known/openid-configuration`;
  try {
    let refused = 0;
    await context.route(discovery, (route) => {
      refused += 1;
      return route.abort('internetdisconnected');
    });
    const page = await context.newPage();
    await page.goto(`${harness.origin}/`);
    // The probe's early getAccessToken() (twice: StrictMode) waited for the client: they made it
    // again once, and that failed too.
    await page.waitForFunction(() => window.record.early.length === 2, null, { timeout: 15_000 });
    assert.deepEqual(await page.evaluate(() => window.record.early), [{ code: 'network' }, { code: 'network' }]);
    assert.equal(refused, 2, 'the first create, and one more for the two calls');
    assert.deepEqual(await page.evaluate(() => window.record.renders.at(-1)), { isLoading: false, isAuthenticated: false, error: 'network' });
    await context.unroute(discovery);
    await Promise.all([page.waitForURL((u) => u.origin === op.issuer), page.evaluate(() => void window.oidc.signinRedirect())]);
    await loginAtOp(page, { until: (u) => u.origin === harness.origin });
    await page.waitForFunction(() => document.getElementById('state')?.textContent === 'signed-in', null, { timeout: 15_000 });
    assert.equal(await page.evaluate(() => window.record.onSigninCallback), 1);
  } finally {
    await context.close();
  }
});

test('harness, <RequireAuth> with skipSigninCallback: back from the OP, it starts no sign-in while the app handles the response itself', { timeout: 60_000 }, async () => {
  const context = await harnessContext('require-skip');
  try {
    const page = await context.newPage();
    const back = [];
    page.on('framenavigated', (frame) => {
      const url = new URL(frame.url());
      if (frame === page.mainFrame() && url.origin === harness.origin && url.searchParams.has('code')) back.push(url.href);
    });
    const exchanges = op.events.tokenCounts.authorization_code ?? 0;
    await page.goto(`${harness.origin}/`);
    await page.waitForURL((u) => u.origin === op.issuer);
    await loginAtOp(page, { until: (u) => u.origin === harness.origin });
    await page.waitForFunction(() => document.getElementById('state')?.textContent === 'signed-in', null, { timeout: 15_000 });
    assert.equal(await page.evaluate(() => window.record.ownCallback), 'done');
    assert.equal((op.events.tokenCounts.authorization_code ?? 0) - exchanges, 1, 'one code exchange');
    assert.equal(back.length, 1, `back from the OP once: ${back}`);
    assert.equal(page.url(), `${harness.origin}/`);
  } finally {
    await context.close();
  }
});

test('harness, a client the app had already disposed of: the provider shows the disposed error, not loading for ever', { timeout: 60_000 }, async () => {
  const context = await harnessContext('disposed');
  try {
    const page = await context.newPage();
    await page.goto(`${harness.origin}/`);
    await page.waitForFunction(() => document.getElementById('state')?.textContent === 'signed-out', null, { timeout: 15_000 });
    const last = await page.evaluate(() => window.record.renders.at(-1));
    assert.deepEqual(last, { isLoading: false, isAuthenticated: false, error: 'disposed' });
  } finally {
    await context.close();
  }
});

test('harness, a client the app made: the callback handled once, events subscribed once, the client left to the app on unmount', { timeout: 60_000 }, async () => {
  const { context, page, record, errors } = await harnessSignedIn('client');
  try {
    assert.equal(record.calls.handleRedirectCallback, 1, 'handleRedirectCallback called once under StrictMode');
    assert.equal(record.calls.on, 5, 'signedIn, refreshed, refreshFailed, expired, signedOut: subscribed once');
    assert.equal(record.calls.dispose, undefined);
    assert.equal(record.clients, 1);
    await page.evaluate(() => window.harness.unmount());
    assert.deepEqual(await page.evaluate(() => window.harness.alive()), [true], 'not disposed: the app owns it');
    assert.equal(await page.evaluate(() => window.record.calls.dispose), undefined);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('harness, a configuration: onSigninCallback once, a new configuration disposes the old client, unmounting disposes the last', { timeout: 60_000 }, async () => {
  const { context, page, record, errors } = await harnessSignedIn('config');
  try {
    assert.equal(record.onSigninCallback, 1, 'onSigninCallback called once under StrictMode');
    assert.equal(record.clients, 1);
    assert.deepEqual(await page.evaluate(() => window.harness.alive()), [true]);

    // Another scope is another configuration: a new client (which restores the stored session).
    await page.evaluate(() => window.harness.rescope('openid profile'));
    await page.waitForFunction(() => window.record.clients.length === 2 && document.getElementById('state')?.textContent === 'signed-in');
    assert.deepEqual(await page.evaluate(() => window.harness.alive()), ['disposed', true]);
    // The new client does not handle the spent callback of the page's first URL again (that
    // would be state_mismatch, shown as the error).
    assert.deepEqual(await page.evaluate(() => window.record.renders.at(-1)), { isLoading: false, isAuthenticated: true, error: null });

    await page.evaluate(() => window.harness.unmount());
    assert.deepEqual(await page.evaluate(() => window.harness.alive()), ['disposed', 'disposed']);
    assert.deepEqual(await page.evaluate(() => window.oidc.getAccessToken().catch((e) => e.code)), 'disposed');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

for (const hydrate of [false, true]) {
test(`harness${hydrate ? ', hydrated from server markup' : ''}, a child that moves the address bar in its mount effect (a router redirect): the callback is still handled`, { timeout: 60_000 }, async () => {
  const context = await newContext(browser);
  await context.addInitScript(
    ({ issuer, origin, hydrate }) => {
      window.E2E_ISSUER = issuer;
      if (location.origin === origin) sessionStorage.setItem('harness-navigate-early', '1');
      if (location.origin === origin && hydrate) sessionStorage.setItem('harness-hydrate', '1');
    },
    { issuer: op.issuer, origin: harness.origin, hydrate },
  );
  const errors = [];
  context.on('page', (page) => page.on('pageerror', (e) => errors.push(String(e.stack ?? e))));
  try {
    const page = await context.newPage();
    const state = (value) => page.waitForFunction((v) => document.getElementById('state')?.textContent === v, value, { timeout: 15_000 });
    await page.goto(`${harness.origin}/`);
    await state('signed-out');
    const exchanges = op.events.tokenCounts.authorization_code ?? 0;
    await Promise.all([page.waitForURL((u) => u.origin === op.issuer), page.evaluate(() => void window.oidc.signinRedirect())]);
    await loginAtOp(page, { until: (u) => u.origin === harness.origin });
    await state('signed-in');
    assert.equal((op.events.tokenCounts.authorization_code ?? 0) - exchanges, 1, 'one code exchange');
    // The router's address stays; the pending request was used.
    assert.equal(page.url(), `${harness.origin}/elsewhere`);
    const pending = await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('oidc-rp-wasm:tx:')));
    assert.deepEqual(pending, []);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
}
