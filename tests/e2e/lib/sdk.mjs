// Helpers for the SDK scenarios: an environment (the OP, the RP's static server serving
// www-example/ and the built pkg/, Chromium), a browser context per scenario with the example's
// configuration overrides, and `App`, a handle on one tab of the example SPA that clicks its
// buttons and reads what it shows (data-testid) and what the SDK returned (window.__example).
//
// Diagnostics: every page of a scenario's context (popups included) has its console messages,
// page errors and failed requests recorded; when the scenario fails they are printed with it.

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stat } from 'node:fs/promises';

import { startOp } from './op.mjs';
import { startStatic } from './static.mjs';
import { launchBrowser, newContext, loginAtOp } from './browser.mjs';

/** The repository root (pkg/ and www-example/ live there). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The key under which www-example/app.js reads configuration overrides from sessionStorage. */
const OVERRIDES_KEY = 'oidc-example-overrides';

/**
 * Starts an OP and the RP's static server, and launches Chromium.
 * - `op`: options for startOp (e.g. { hostname: 'localhost' }, { refreshWithoutIdToken: true });
 *   the one client `spa` is registered with the RP's redirect URIs.
 * - `rpHostname`: the host of the RP's origin (default 127.0.0.1).
 * - `browser`: options for launchBrowser (e.g. { bfcache: true }).
 * - `rpHeaders(path)`: extra (or replacing) headers of the RP's responses.
 * Returns { op, rp, browser, urls, baseConfig, close() }.
 */
export async function startEnv({ op: opOptions = {}, rpHostname = '127.0.0.1', browser = {}, rpHeaders } = {}) {
  await stat(join(ROOT, 'pkg', 'oidc_rp_wasm_bg.wasm')).catch(() => {
    throw new Error('pkg/ is not built: run scripts/build-pkg.sh first');
  });
  const env = { op: null, rp: null, browser: null, urls: null };
  env.rp = await startStatic({ root: ROOT, hostname: rpHostname, config: () => env.baseConfig, headers: rpHeaders });
  const origin = env.rp.origin;
  env.urls = {
    app: `${origin}/`,
    redirectUri: `${origin}/`,
    silentRedirectUri: `${origin}/silent-callback.html`,
    postLogoutRedirectUri: `${origin}/`,
  };
  env.op = await startOp({
    ...opOptions,
    clients: [
      {
        redirect_uris: [env.urls.redirectUri, env.urls.silentRedirectUri],
        post_logout_redirect_uris: [env.urls.postLogoutRedirectUri],
      },
    ],
  });
  env.baseConfig = {
    issuer: env.op.issuer,
    clientId: 'spa',
    redirectUri: env.urls.redirectUri,
    postLogoutRedirectUri: env.urls.postLogoutRedirectUri,
    silentRedirectUri: env.urls.silentRedirectUri,
    scope: 'openid profile email offline_access',
    responseMode: 'query',
    storage: 'session',
  };
  env.browser = await launchBrowser(browser);
  env.close = async () => {
    await env.browser?.close();
    await env.op?.close();
    await env.rp?.close();
  };
  return env;
}

/**
 * A fresh browser context ("a new browser profile") whose RP pages start with `overrides`
 * merged over /config.json (through the example's sessionStorage hook), recording the
 * diagnostics of every page into `logs`. `contextOptions` go to browser.newContext (e.g.
 * { serviceWorkers: 'block' }).
 */
export async function appContext(env, { overrides = {}, logs = [], contextOptions = {} } = {}) {
  const context = await newContext(env.browser, contextOptions);
  await context.addInitScript(
    ({ origin, key, value }) => {
      if (location.origin === origin && window === window.top) sessionStorage.setItem(key, value);
    },
    { origin: env.rp.origin, key: OVERRIDES_KEY, value: JSON.stringify(overrides) },
  );
  const watch = (page) => {
    const tag = () => {
      try {
        const u = new URL(page.url());
        return `${u.host}${u.pathname}`;
      } catch {
        return page.url();
      }
    };
    page.on('console', (m) => {
      if (m.type() !== 'verbose' && !m.text().includes('ERR_BLOCKED_BY_CLIENT')) logs.push(`[console.${m.type()} ${tag()}] ${m.text()}`);
    });
    page.on('pageerror', (e) => logs.push(`[pageerror ${tag()}] ${e.stack ?? e}`));
    page.on('requestfailed', (r) => {
      const why = r.failure()?.errorText;
      // Aborted non-loopback requests (the dev login page's web font) are expected.
      if (!why?.startsWith('net::ERR_BLOCKED_BY_CLIENT')) logs.push(`[requestfailed ${tag()}] ${r.method()} ${r.url()} ${why}`);
    });
  };
  context.on('page', watch);
  return context;
}

/**
 * Runs `body({ context, logs })` in a fresh context and closes it afterwards. An uncaught page
 * error fails it; on failure the diagnostics of the context's pages are printed before the
 * error propagates (E2E_VERBOSE=1 prints them always).
 */
export async function inContext(env, options, body) {
  const logs = [];
  const context = await appContext(env, { ...options, logs });
  try {
    const result = await body({ context, logs });
    // An uncaught exception in any page (a wasm trap included) fails the scenario.
    const pageErrors = logs.filter((line) => line.startsWith('[pageerror'));
    if (pageErrors.length > 0) throw new Error(`page errors:\n${pageErrors.join('\n')}`);
    if (process.env.E2E_VERBOSE) console.error(`--- browser diagnostics (${logs.length}) ---\n${logs.join('\n')}\n--- end ---`);
    return result;
  } catch (err) {
    console.error(`--- browser diagnostics (${logs.length}) ---\n${logs.join('\n')}\n--- end ---`);
    throw err;
  } finally {
    await context.close();
  }
}

/** One tab of the example SPA. */
export class App {
  constructor(page, env) {
    this.page = page;
    this.env = env;
  }

  /** Opens the app (at `path`) in a new tab of `context` and waits until it has started. */
  static async open(context, env, path = '/') {
    const page = await context.newPage();
    const app = new App(page, env);
    await page.goto(new URL(path, env.rp.origin).href);
    await app.ready();
    return app;
  }

  /** Waits for the app to have started (and handled a response in the URL, if any). */
  async ready() {
    await this.page.waitForSelector('html[data-ready="true"]', { state: 'attached' });
  }

  testid(id) {
    return this.page.getByTestId(id);
  }

  /** The text the page shows in `[data-testid=id]`. */
  text(id) {
    return this.testid(id).textContent();
  }

  /** The status line's state: 'signed-in', 'signed-out', 'unavailable' or 'loading'. */
  status() {
    return this.testid('status').getAttribute('data-state');
  }

  /** Fills the sign-in options form (only the fields given). */
  async setOptions({ responseMode, loginHint, uiLocales, prompt, maxAge } = {}) {
    if (responseMode !== undefined) await this.testid('response-mode').selectOption(responseMode);
    if (loginHint !== undefined) await this.testid('login-hint').fill(loginHint);
    if (uiLocales !== undefined) await this.testid('ui-locales').fill(uiLocales);
    if (prompt !== undefined) await this.testid('prompt').fill(prompt);
    if (maxAge !== undefined) await this.testid('max-age').fill(String(maxAge));
  }

  /** How many SDK calls the page has finished. */
  callCount() {
    return this.page.evaluate(() => window.__example.calls.length);
  }

  /**
   * Clicks the button `testid` and waits until the app has finished the SDK call it starts;
   * returns the app's record of it: { name, ok, code?, ms }. Not for buttons that leave the
   * page (signinRedirect, signout): use click() for those.
   */
  async clickAndWait(testid) {
    const before = await this.callCount();
    await this.testid(testid).click();
    const handle = await this.page.waitForFunction((n) => window.__example.calls.length > n && window.__example.calls[n], before);
    return handle.jsonValue();
  }

  click(testid) {
    return this.testid(testid).click();
  }

  /** What the SDK holds and last returned, as plain data. */
  state() {
    return this.page.evaluate(() => {
      const ex = window.__example;
      const err = ex.lastError;
      return {
        session: ex.client?.session ?? null,
        lastSession: ex.lastSession,
        lastError: err
          ? { code: err.code, reason: err.reason, description: err.description, message: err.message }
          : null,
        lastSignout: ex.lastSignout,
        events: ex.events.map((e) => e.name),
        calls: ex.calls,
      };
    });
  }

  /**
   * The SDK events the page received, in order: [{ name, detail, at }] (`at` in ms since the
   * epoch; an error detail as { code, reason, message }).
   */
  events() {
    return this.page.evaluate(() =>
      window.__example.events.map(({ name, detail, at }) => ({
        name,
        at,
        detail: detail instanceof Error ? { code: detail.code, reason: detail.reason, message: detail.message } : detail,
      })),
    );
  }

  /** Waits until the page has received `count` events named `name`; returns events(). */
  async waitForEvent(name, { count = 1, timeout } = {}) {
    await this.page.waitForFunction(
      ([n, c]) => window.__example.events.filter((e) => e.name === n).length >= c,
      [name, count],
      { timeout },
    );
    return this.events();
  }

  /** The current session (client.session), or null. */
  session() {
    return this.page.evaluate(() => window.__example.client?.session ?? null);
  }

  /** Waits until the status line says signed in. */
  async waitSignedIn() {
    await this.page.waitForSelector('[data-testid="status"][data-state="signed-in"]', { state: 'attached' });
  }

  /** Whether the error box is shown; its code when it is. */
  async shownError() {
    if (await this.testid('error').isHidden()) return null;
    return this.text('error-code');
  }

  /**
   * A redirect sign-in from the app: sets `options` in the form, clicks the button, acts as the
   * user at the OP (login, consent: whatever it asks) and waits until the app is back and has
   * handled the response. Returns the OP pages seen (e.g. ['login', 'consent']).
   */
  async signinRedirect(options = {}, { login = 'ana@example.com' } = {}) {
    await this.setOptions(options);
    const origin = this.env.rp.origin;
    const back = (u) => u.origin === origin;
    // The first navigation after the click: to the OP's pages, or (when it asks nothing) straight
    // back with the response.
    await Promise.all([
      this.page.waitForEvent('framenavigated', (f) => f === this.page.mainFrame()),
      this.click('signin-redirect'),
    ]);
    const seen = await loginAtOp(this.page, { login, until: back });
    await this.page.waitForURL(back, { waitUntil: 'commit' });
    await this.ready();
    return seen;
  }
}

/** Acts as the user in a popup (web_message ends on an OP page, which the SDK then closes). */
export async function loginInPopup(popup, opIssuer, { login = 'ana@example.com' } = {}) {
  const origin = new URL(opIssuer).origin;
  try {
    return await loginAtOp(popup, {
      login,
      // The OP's own response page: /auth/<uid> after an interaction, /auth?... without one.
      until: (u) => u.origin === origin && (u.pathname === '/auth' || u.pathname.startsWith('/auth/')),
    });
  } catch (err) {
    if (popup.isClosed()) return null; // the SDK closed it after taking the response
    throw err;
  }
}

/** The OP's UserInfo answer for `accessToken` (from Node): { status, body }. */
export async function userinfo(op, accessToken) {
  const meta = await (await fetch(`${op.issuer}/.well-known/openid-configuration`)).json();
  const res = await fetch(meta.userinfo_endpoint, { headers: { authorization: `Bearer ${accessToken}` } });
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body };
}
