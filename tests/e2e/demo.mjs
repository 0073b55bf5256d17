// `make demo` (here: `npm run demo`): the example app signing in against a real OpenID Provider.
//
// Starts node-oidc-provider (the OP) and the static server of www-example/ with the built
// package (pkg/), prints where they are and how to sign in, then:
//
//   - with a display (DISPLAY set, DEMO_HEADLESS not "1"): waits for you to try the app in your
//     browser, until Ctrl-C;
//   - without one (or DEMO_HEADLESS=1): drives headless Chromium through the example's buttons:
//     sign in by redirect, silent renew, refresh, sign out; prints what the SDK returned and how
//     long each step took, and exits 0 (1 on any failure, with the SDK's error code and the
//     page's console errors).
//
// Environment: DEMO_OP_PORT, DEMO_APP_PORT (default 9000 and 8080, or a free port when those are
// taken), DEMO_HEADLESS=1, CHROMIUM_PATH (default /usr/bin/chromium).

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DEFAULT_OP_PORT = 9000;
const DEFAULT_APP_PORT = 8080;
/** The OP's development login page accepts any login and any password. */
const DEMO_USER = { login: 'ana@example.com', password: 'any-password' };
const STEP_TIMEOUT_MS = 20_000;

// ---- output ----

const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code) => (text) => (color ? `\x1b[${code}m${text}\x1b[0m` : String(text));
const bold = paint('1');
const dim = paint('2');
const green = paint('32');
const red = paint('31');

const say = (...lines) => console.log(lines.join('\n'));

/** `text` padded with spaces to `width` visible characters (color codes take no room). */
const stripColor = (text) => String(text).replace(/\x1b\[[0-9;]*m/g, '');
const visibleLength = (text) => stripColor(text).length;
const pad = (text, width) => text + ' '.repeat(Math.max(0, width - visibleLength(text)));

/** A box around `rows` ([label, value] pairs or plain strings). */
function box(title, rows) {
  const labelWidth = Math.max(...rows.filter(Array.isArray).map(([label]) => label.length));
  const lines = rows.map((row) => (Array.isArray(row) ? `${pad(row[0], labelWidth)}   ${row[1]}` : row));
  const width = Math.max(...[title, ...lines].map(visibleLength));
  const edge = '─'.repeat(width + 2);
  return [
    `┌${edge}┐`,
    `│ ${pad(bold(title), width)} │`,
    `├${edge}┤`,
    ...lines.map((l) => `│ ${pad(l, width)} │`),
    `└${edge}┘`,
  ].join('\n');
}

/** Indents every line of `text` by `n` spaces. */
const indent = (text, n = 4) => String(text).replace(/^/gm, ' '.repeat(n));

/** "1732270000 (2024-11-22T10:26:40Z, in 3600 s)" */
function describeExpiry(expiresAt) {
  if (typeof expiresAt !== 'number') return 'none (the OP sent no expires_in)';
  const iso = new Date(expiresAt * 1000).toISOString().replace('.000Z', 'Z');
  return `${expiresAt} (${iso}, in ${Math.round(expiresAt - Date.now() / 1000)} s)`;
}

/** A URL without its query and fragment, which can be long (and hold codes and tokens). */
function shortUrl(url) {
  try {
    const { origin, pathname } = new URL(url);
    return origin === 'null' ? url : `${origin}${pathname}`;
  } catch {
    return url;
  }
}

/** An expected failure of the demo, shown without a stack trace. */
class DemoError extends Error {
  constructor(message, details = {}) {
    super(message);
    this.details = details;
  }
}

// ---- servers ----

/** The port from `envVar`, or `preferred` when free, or any free port. Returns what `start` returned. */
async function startPreferring(what, envVar, preferred, start) {
  const fromEnv = process.env[envVar];
  if (fromEnv) {
    const port = Number(fromEnv);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new DemoError(`${envVar}=${fromEnv} is not a port number`);
    }
    try {
      return await start(port);
    } catch (e) {
      if (e.code === 'EADDRINUSE') throw new DemoError(`${what}: port ${port} (${envVar}) is already in use`);
      throw e;
    }
  }
  try {
    return await start(preferred);
  } catch (e) {
    if (e.code !== 'EADDRINUSE' && e.code !== 'EACCES') throw e;
    const started = await start(0);
    say(dim(`${what}: port ${preferred} is taken, using a free port instead (set ${envVar} to choose one)`));
    return started;
  }
}

async function startServers({ startOp, startStatic, startResourceServer }) {
  let op; // started second, but named in the app's config.json, which is read per request
  // The API the example's "Call the API" button calls: DPoP-bound tokens only.
  const api = await startResourceServer({ allowOrigin: '*' });
  const app = await startPreferring('app', 'DEMO_APP_PORT', DEFAULT_APP_PORT, (port) =>
    startStatic({
      port,
      root: ROOT,
      config: () => ({
        issuer: op.issuer,
        clientId: 'spa',
        redirectUri: `${app.origin}/`,
        postLogoutRedirectUri: `${app.origin}/`,
        silentRedirectUri: `${app.origin}/silent-callback.html`,
        scope: 'openid profile email offline_access',
        responseMode: 'query',
        // The example's default: the session survives a reload of the tab.
        storage: 'session',
        apiUrl: `${api.origin}/api/hello`,
      }),
    }),
  );
  // oidc-provider warns on stderr that its in-memory storage and built-in login pages are for
  // development only. That is the point here; the welcome box says it once, in plain words.
  const warn = console.warn;
  console.warn = (...args) => {
    if (!String(args[0]).includes('quick start development-only')) warn(...args);
  };
  try {
    op = await startPreferring('OP', 'DEMO_OP_PORT', DEFAULT_OP_PORT, (port) =>
      startOp({
        port,
        clients: [
          {
            client_id: 'spa',
            redirect_uris: [`${app.origin}/`, `${app.origin}/silent-callback.html`],
            post_logout_redirect_uris: [`${app.origin}/`],
          },
        ],
      }),
    );
  } catch (e) {
    await app.close();
    await api.close();
    throw e;
  } finally {
    console.warn = warn;
  }
  api.op = op;
  return { app, op, api };
}

function printWelcome(app, op, interactive) {
  say(
    '',
    box('oidc-rp-wasm demo', [
      ['App (www-example)', `${app.origin}/`],
      ['OpenID Provider', op.issuer],
      ['', dim('node-oidc-provider, in memory: for development only')],
      ['Client id', 'spa (public client, PKCE)'],
      ['Sign in with', `any login and any password, e.g.`],
      ['', `${DEMO_USER.login} / ${DEMO_USER.password}`],
      '',
      ...(interactive
        ? ['Open the app in your browser. Ctrl-C stops the servers.', dim('(DEMO_HEADLESS=1 runs the scripted tour instead)')]
        : ['No display: a headless Chromium now clicks through the app.']),
    ]),
    '',
  );
}

// ---- interactive mode ----

/** Prints what the OP sees while someone uses the app, one line per protocol event. */
function followOp(op) {
  const show = (name, text = '') => say([dim(new Date().toLocaleTimeString()), dim('OP'), name, text].filter(Boolean).join(' '));
  const { provider } = op;
  provider.on('interaction.started', (_ctx, prompt) => show(`shows its ${prompt?.name ?? 'interaction'} page`));
  provider.on('authorization.success', (ctx) => show('authorization response sent', dim(`(${ctx.oidc?.responseMode})`)));
  provider.on('authorization.error', (_ctx, e) => show(red('authorization error'), e.error ?? e.message));
  provider.on('grant.success', (ctx) => {
    show('tokens issued', dim(`(${ctx.oidc?.body?.grant_type ?? ctx.oidc?.params?.grant_type})`));
  });
  provider.on('grant.error', (_ctx, e) => show(red('token request failed'), `${e.error}: ${e.error_detail ?? ''}`));
  provider.on('end_session.success', () => show('ended the session (RP-initiated logout)'));
  provider.on('server_error', (_ctx, e) => show(red('server error'), e.message));
}

async function runInteractive(servers) {
  followOp(servers.op);
  await new Promise((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  say('', 'Stopping the servers…');
}

// ---- headless mode ----

/** What the example page holds (window.__example), as plain JSON. */
function readExample(page) {
  return page.evaluate(() => {
    const x = window.__example;
    const e = x?.lastError;
    const plain = (value) => (value == null ? null : JSON.parse(JSON.stringify(value)));
    return {
      started: Boolean(x?.client),
      session: plain(x?.client?.session),
      signout: plain(x?.lastSignout),
      error: e == null ? null : {
        code: e.code ?? 'unexpected',
        reason: e.reason,
        description: e.description,
        message: e instanceof Error ? e.message : String(e),
      },
    };
  });
}

/** Waits until the example (re)loaded and finished handling any response in its URL. */
async function appSettled(page) {
  await page.waitForFunction(() => document.documentElement.dataset.ready === 'true', null, {
    timeout: STEP_TIMEOUT_MS,
  });
  const state = await readExample(page);
  if (!state.started) throw new DemoError('the example app could not start the SDK client', { sdkError: state.error });
  return state;
}

/**
 * Clicks the button `testid` and waits until the SDK call it starts has finished (for calls that
 * stay on the page). The example lists finished calls in `__example.calls`; where it does not,
 * a new session or a new error tells the same.
 */
async function clickAndWaitForResult(page, testid) {
  await page.evaluate(() => {
    const x = window.__example;
    window.__demoMark = { calls: x.calls?.length, session: x.lastSession, error: x.lastError };
  });
  await page.getByTestId(testid).click({ timeout: STEP_TIMEOUT_MS });
  await page.waitForFunction(
    () => {
      const [x, mark] = [window.__example, window.__demoMark];
      if (Array.isArray(x.calls)) return x.calls.length > mark.calls;
      return x.lastSession !== mark.session || x.lastError !== mark.error;
    },
    null,
    { timeout: STEP_TIMEOUT_MS },
  );
  const call = await page.evaluate(() => {
    const [x, mark] = [window.__example, window.__demoMark];
    const last = Array.isArray(x.calls) ? x.calls.at(-1) : undefined;
    return { failed: last ? !last.ok : x.lastError !== mark.error, name: last?.name, ms: last?.ms };
  });
  const state = await readExample(page);
  if (call.failed) throw new DemoError(`the SDK call of the "${testid}" button failed`, { sdkError: state.error });
  if (call.ms !== undefined) say(`   ${call.name} took ${Math.round(call.ms)} ms in the page`);
  return state;
}

/**
 * Clicks `testid`, which should leave the app for the OP. Resolves once the browser is on the
 * OP; fails with the SDK's error if the example shows one instead.
 */
async function clickAndLeaveForOp(page, testid, opOrigin) {
  const onOp = page.waitForURL((u) => u.origin === opOrigin, { waitUntil: 'commit', timeout: STEP_TIMEOUT_MS });
  const failed = page.getByTestId('error').waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
  onOp.catch(() => {});
  failed.catch(() => {});
  await page.getByTestId(testid).click({ timeout: STEP_TIMEOUT_MS });
  const winner = await Promise.race([onOp.then(() => 'op'), failed.then(() => 'error')]);
  if (winner === 'error') {
    const state = await readExample(page);
    throw new DemoError(`the "${testid}" button did not lead to the OP`, { sdkError: state.error });
  }
}

/**
 * `action` (a promise of something the user does at the OP), unless the OP shows its error
 * page first: then a DemoError with the OP's error code, instead of waiting for a timeout.
 */
async function unlessOpError(page, action) {
  const errorPage = page.locator('#op-error').waitFor({ state: 'attached', timeout: STEP_TIMEOUT_MS + 1000 });
  errorPage.catch(() => {});
  action.catch(() => {});
  const winner = await Promise.race([action.then(() => 'done', () => 'done'), errorPage.then(() => 'error')]);
  if (winner === 'error') {
    const code = await page.locator('#op-error').textContent({ timeout: 1000 }).catch(() => '?');
    const description = await page.locator('#op-error-description').textContent({ timeout: 1000 }).catch(() => '');
    throw new DemoError(`the OP answered with an error page: ${code}${description ? ` (${description})` : ''}`);
  }
  return action;
}

/** Runs `fn`, timing it with performance.now(); records the step for the summary. */
async function step(steps, title, what, fn) {
  say(`${bold(`${steps.length + 1}. ${title}`)} ${dim(`(${what})`)}`);
  const started = performance.now();
  const entry = { title, ms: NaN };
  steps.push(entry);
  try {
    const result = await fn();
    entry.ms = performance.now() - started;
    say(`   ${green('ok')} ${dim(`in ${Math.round(entry.ms)} ms`)}`, '');
    return result;
  } catch (e) {
    entry.ms = performance.now() - started;
    entry.failed = true;
    const error = e instanceof DemoError ? e : new DemoError(stripColor(e?.message ?? e), { cause: e });
    error.step ??= title;
    throw error;
  }
}

function printSession(session, { claims = true } = {}) {
  const rows = [
    ['subject', session.subject ?? '(none)'],
    ['expiresAt', describeExpiry(session.expiresAt)],
    ['idTokenFresh', String(session.idTokenFresh)],
    ['hasRefreshToken', String(session.hasRefreshToken)],
    ['scope', session.scope ?? '(not said)'],
    ['access token', `${session.tokenType}, ${session.accessToken?.length ?? 0} characters (not shown)`],
  ];
  for (const [label, value] of rows) say(`   ${label.padEnd(16)}${value}`);
  if (claims) say(`   claims:`, indent(JSON.stringify(session.claims ?? {}, null, 2), 5));
}

async function runHeadless({ app, op }, { launchBrowser, newContext, loginAtOp, confirmLogoutAtOp }) {
  const steps = [];
  const consoleErrors = [];
  let browser;
  let page;
  try {
    const appUrl = `${app.origin}/`;
    const isApp = (u) => u.origin === app.origin;

    const launched = performance.now();
    browser = await launchBrowser();
    const context = await newContext(browser);
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(`[${shortUrl(m.location().url || page.url())}] ${m.text()}`);
    });
    page.on('pageerror', (e) => consoleErrors.push(`[${shortUrl(page.url())}] uncaught ${e.name}: ${e.message}`));
    say(dim(`Chromium ${browser.version()} started in ${Math.round(performance.now() - launched)} ms`), '');

    await step(steps, 'Open the app', 'a new browser profile', async () => {
      await page.goto(appUrl, { timeout: STEP_TIMEOUT_MS });
      const state = await appSettled(page);
      if (state.session) throw new DemoError('a fresh browser profile should start signed out');
      say(`   ${appUrl} loaded the package and says: ${await page.getByTestId('status').textContent()}`);
    });

    const signedIn = await step(steps, 'Sign in by redirect', '"Sign in (redirect)" button, log in at the OP', async () => {
      await clickAndLeaveForOp(page, 'signin-redirect', new URL(op.issuer).origin);
      const pages = await unlessOpError(page, loginAtOp(page, { ...DEMO_USER, until: isApp, timeout: STEP_TIMEOUT_MS }));
      say(`   at the OP: ${pages.join(', ') || 'no page (already signed in)'} as ${DEMO_USER.login}`);
      const state = await appSettled(page);
      if (state.error) throw new DemoError('handleRedirectCallback failed', { sdkError: state.error });
      if (!state.session) throw new DemoError('back at the app, but there is no session');
      await showCallTime(page, 'handleRedirectCallback');
      return state.session;
    });
    printSession(signedIn);
    say('');

    const renewed = await step(steps, 'Silent renew', '"Silent renew" button: client.signinSilent()', async () => {
      const silentRequests = () => op.events.authorizations.filter((a) => a.prompt === 'none').length;
      const before = { ...op.events.tokenCounts, silent: silentRequests() };
      const { session } = await readAfter(clickAndWaitForResult(page, 'signin-silent'));
      const grew = (grant) => (op.events.tokenCounts[grant] ?? 0) > (before[grant] ?? 0);
      const how = [
        grew('refresh_token') && 'the refresh token was used',
        silentRequests() > before.silent && 'a hidden iframe got a new code from the OP (prompt=none)',
        grew('authorization_code') && 'the code was exchanged for tokens',
      ].filter(Boolean);
      say(`   how: ${how.join(', then ') || 'no request reached the OP'}`);
      if (session.subject !== signedIn.subject) throw new DemoError(`the subject changed: ${session.subject}`);
      if (session.accessToken === signedIn.accessToken) throw new DemoError('the access token was not renewed');
      return session;
    });
    printSession(renewed, { claims: false });
    say('');

    const refreshed = await step(steps, 'Refresh', '"Refresh" button: client.refresh()', async () => {
      const before = op.events.tokenCounts.refresh_token ?? 0;
      const { session } = await readAfter(clickAndWaitForResult(page, 'refresh'));
      const used = (op.events.tokenCounts.refresh_token ?? 0) - before;
      say(`   the OP answered ${used} refresh_token grant${used === 1 ? '' : 's'} (the refresh token rotated)`);
      if (session.subject !== signedIn.subject) throw new DemoError(`the subject changed: ${session.subject}`);
      if (session.accessToken === renewed.accessToken) throw new DemoError('the access token was not renewed');
      return session;
    });
    printSession(refreshed, { claims: false });
    say('');

    await step(steps, 'Sign out', '"Sign out" button: RP-initiated logout, confirm at the OP', async () => {
      const before = op.events.endSessions.length;
      await clickAndLeaveForOp(page, 'signout', new URL(op.issuer).origin);
      await unlessOpError(page, confirmLogoutAtOp(page, { timeout: STEP_TIMEOUT_MS }));
      say('   at the OP: confirmed "Yes, sign me out"');
      await page.waitForURL(isApp, { waitUntil: 'commit', timeout: STEP_TIMEOUT_MS });
      const state = await appSettled(page);
      if (state.error) throw new DemoError('handleSignoutCallback failed', { sdkError: state.error });
      if (state.session) throw new DemoError('back at the app, but still signed in');
      if (!state.signout) throw new DemoError('back at the app, but handleSignoutCallback did not run');
      const request = op.events.endSessions.at(before) ?? {};
      const sent = ['id_token_hint', 'post_logout_redirect_uri', 'client_id', 'state'].filter((k) => request[k]);
      say(`   the logout request carried: ${sent.join(', ')}`);
      say(`   handleSignoutCallback: state checked (${state.signout.state ? 'matched' : 'none returned'}), session ended`);
      await showCallTime(page, 'handleSignoutCallback');
      say(`   the app says: ${await page.getByTestId('status').textContent()}`);
    });

    const serverErrors = op.events.log.filter((e) => e.name === 'server_error');
    if (serverErrors.length) throw new DemoError('the OP logged server errors', { opEvents: serverErrors });

    printTimings(steps);
    say(green(bold('Demo passed: signed in, renewed, refreshed and signed out.')), '');
    return 0;
  } catch (e) {
    await reportFailure(e, { steps, page, op, consoleErrors });
    return 1;
  } finally {
    await browser?.close().catch(() => {});
  }
}

/** Prints how long the example's last call of SDK method `name` took, when it recorded that. */
async function showCallTime(page, name) {
  const ms = await page.evaluate((n) => window.__example.calls?.findLast((c) => c.name === n)?.ms, name);
  if (typeof ms === 'number') say(`   ${name} took ${Math.round(ms)} ms in the page`);
}

/** Awaits a page state and checks it holds a session. */
async function readAfter(statePromise) {
  const state = await statePromise;
  if (!state.session) throw new DemoError('the call returned, but there is no session', { sdkError: state.error });
  return state;
}

function printTimings(steps) {
  const width = Math.max(...steps.map((s) => s.title.length));
  say(bold('Timings (performance.now around each step)'));
  for (const s of steps) {
    say(`   ${s.title.padEnd(width)}  ${String(Math.round(s.ms)).padStart(6)} ms${s.failed ? red('  failed') : ''}`);
  }
  const total = steps.reduce((sum, s) => sum + s.ms, 0);
  say(`   ${'total'.padEnd(width)}  ${String(Math.round(total)).padStart(6)} ms`, '');
}

async function reportFailure(e, { steps, page, op, consoleErrors }) {
  const [headline, ...more] = e.message.split('\n').filter((line) => line.trim());
  say('', red(bold(`Demo failed${e.step ? ` at "${e.step}"` : ''}: ${headline}`)));
  for (const line of more) say(`   ${line.trim()}`);
  const { sdkError, opEvents } = e.details ?? {};
  const cause = e.details?.cause ?? (e instanceof DemoError ? undefined : e);
  let error = sdkError;
  if (!error && page) error = await readExample(page).then((s) => s.error, () => null);
  if (error) {
    say(`   SDK error code: ${bold(error.code)}${error.reason ? ` (${error.reason})` : ''}`);
    if (error.description) say(`   description:    ${error.description}`);
    if (error.message) say(`   message:        ${error.message}`);
  }
  // A timeout's message says what was awaited; its stack would only show this script.
  if (cause && cause.name !== 'TimeoutError') say(indent(cause.stack ?? String(cause), 3));
  if (page) {
    say(`   page URL: ${shortUrl(page.url())}`);
    const opError = await page.locator('#op-error').textContent({ timeout: 500 }).catch(() => null);
    if (opError && !e.message.startsWith('the OP answered')) {
      const detail = await page.locator('#op-error-description').textContent({ timeout: 500 }).catch(() => '');
      say(`   the OP shows an error page: ${opError} ${detail}`);
    }
  }
  // The OP's pages ask for a web font on the internet; the browser context blocks it on purpose.
  const relevant = consoleErrors.filter((line) => !line.includes('ERR_BLOCKED_BY_CLIENT'));
  say(`   console errors in the page: ${relevant.length ? '' : 'none'}`);
  for (const line of relevant) say(indent(line, 5));
  const opProblems = opEvents ?? op.events.log.filter((ev) => /error|revoked/.test(ev.name));
  if (opProblems.length) {
    say('   what went wrong at the OP:');
    for (const ev of opProblems) say(indent(JSON.stringify(ev), 5));
  }
  say('');
  if (steps.length) printTimings(steps.filter((s) => !Number.isNaN(s.ms)));
}

// ---- main ----

async function main() {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 22) {
    throw new DemoError(
      `the demo needs Node 22 or later (this is ${process.version}). Run it with \`npm run demo\`, ` +
        'which uses the Node 22 that `npm install` put in node_modules.',
    );
  }
  if (!existsSync(join(ROOT, 'pkg', 'oidc_rp_wasm_bg.wasm'))) {
    throw new DemoError('pkg/ is not built: run `make pkg` (or `make demo`) in the repository root first');
  }
  // Imported only now, so that a wrong Node gets the message above instead of a stack trace.
  const { startOp } = await import('./lib/op.mjs');
  const { startStatic } = await import('./lib/static.mjs');
  const { startResourceServer } = await import('./lib/resource-server.mjs');
  const browserLib = await import('./lib/browser.mjs');

  const interactive = Boolean(process.env.DISPLAY) && process.env.DEMO_HEADLESS !== '1';
  const servers = await startServers({ startOp, startStatic, startResourceServer });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await Promise.allSettled([servers.op.close(), servers.app.close(), servers.api.close()]);
  };
  try {
    printWelcome(servers.app, servers.op, interactive);
    if (interactive) {
      await runInteractive(servers);
      return 0;
    }
    // Ctrl-C during the headless run: close what is open, then leave.
    const interrupt = () => stop().finally(() => process.exit(130));
    process.once('SIGINT', interrupt);
    process.once('SIGTERM', interrupt);
    return await runHeadless(servers, browserLib);
  } finally {
    await stop();
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(red(`demo: ${e instanceof DemoError ? e.message : (e?.stack ?? e)}`));
    process.exit(1);
  },
);
