// The OPs of the matrix (ops.test.mjs), each behind the same small adapter:
//
//   name                  how the tests name it
//   start(appOrigin)      starts it from scratch for an app at appOrigin; resolves to a running OP:
//     issuer, config      the issuer and the SDK configuration of its public SPA client
//     setRefreshIdToken(on), setAccessTokenTtl(seconds)
//                         what the next token responses look like; null where the OP cannot
//                         change it (the matrix then asserts what the OP does instead)
//     close()
//   login(page, until)    acts as the user on its pages until the browser reaches `until` (a URL
//                         predicate); returns the pages it filled, [] when the OP asked nothing
//   confirmLogout(page)   finishes RP-initiated logout on its pages, when it asks
//   lacks                 what the OP cannot do, each with what the SDK then reports (the README's
//                         "Works with" table says the same)
//
// node-oidc-provider is lib/op.mjs; django-oauth-toolkit is the Django project in ops/dot/ (a
// venv that scripts/setup.sh makes); Glewlwyd is ops/glewlwyd.mjs.

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { access } from 'node:fs/promises';

import { startOp } from '../lib/op.mjs';
import { loginAtOp, confirmLogoutAtOp } from '../lib/browser.mjs';
import { startGlewlwyd, GLEWLWYD_USER } from './glewlwyd.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));

/** The configuration every OP's client shares; `config` of each OP adds to it. */
function baseConfig(appOrigin, issuer) {
  return {
    issuer,
    clientId: 'spa',
    redirectUri: `${appOrigin}/`,
    postLogoutRedirectUri: `${appOrigin}/`,
    silentRedirectUri: `${appOrigin}/silent-callback.html`,
    scope: 'openid profile email offline_access',
    responseMode: 'query',
    storage: 'session',
  };
}

export const nodeOidcProvider = {
  name: 'node-oidc-provider',
  async start(appOrigin) {
    const op = await startOp({
      clients: [
        {
          redirect_uris: [`${appOrigin}/`, `${appOrigin}/silent-callback.html`],
          post_logout_redirect_uris: [`${appOrigin}/`],
        },
      ],
    });
    return {
      issuer: op.issuer,
      config: baseConfig(appOrigin, op.issuer),
      setRefreshIdToken: (on) => {
        op.settings.refreshWithoutIdToken = !on;
      },
      setAccessTokenTtl: (seconds) => {
        op.settings.accessTokenTtl = seconds;
      },
      close: () => op.close(),
    };
  },
  login: (page, until) => loginAtOp(page, { until }),
  async confirmLogout(page) {
    await confirmLogoutAtOp(page);
  },
  lacks: {
    // A replayed refresh token revokes the whole grant, consent included: prompt=none is then
    // consent_required until the user signs in again.
    replayRevokesConsent: true,
  },
};

/** A child process that prints one JSON line when it is ready; stopped by closing its stdin. */
async function startProcess(command, args, { env, what }) {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const lines = createInterface({ input: child.stdout });
  const ready = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${what} exited (${code}) before it was ready:\n${stderr}`)));
    lines.once('line', (line) => resolve(JSON.parse(line)));
  });
  child.removeAllListeners('exit');
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    ready,
    async close() {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}

const DOT_PYTHON = join(HERE, 'dot', '.venv', 'bin', 'python');

/** Posts a change to the DOT test OP's /control endpoint (ops/dot/opsite/control.py). */
async function dotControl(issuer, change) {
  const res = await fetch(new URL('/control', issuer), { method: 'POST', body: JSON.stringify(change) });
  if (!res.ok) throw new Error(`DOT /control: HTTP ${res.status}`);
}

export const djangoOauthToolkit = {
  name: 'django-oauth-toolkit',
  async start(appOrigin) {
    await access(DOT_PYTHON).catch(() => {
      throw new Error(`no venv at ${DOT_PYTHON}: run scripts/setup.sh`);
    });
    const proc = await startProcess(DOT_PYTHON, [join(HERE, 'dot', 'serve.py'), appOrigin], { what: 'django-oauth-toolkit' });
    const { issuer } = proc.ready;
    return {
      issuer,
      config: baseConfig(appOrigin, issuer),
      setRefreshIdToken: (on) => dotControl(issuer, { refreshIdToken: on }),
      setAccessTokenTtl: (seconds) => dotControl(issuer, { accessTokenTtl: seconds }),
      close: () => proc.close(),
    };
  },
  // Django's login form (ops/dot/opsite/templates/registration/login.html); the client skips the
  // consent page.
  async login(page, until) {
    const seen = [];
    for (;;) {
      await page.waitForURL((u) => u.pathname === '/accounts/login/' || until(u), { waitUntil: 'commit' });
      if (until(new URL(page.url()))) return seen;
      if (seen.length > 0) throw new Error('DOT asks for the login again');
      seen.push('login');
      await page.locator('input[name="username"]').fill('ana');
      await page.locator('input[name="password"]').fill('secret');
      await page.locator('form[data-op-login] button[type="submit"]').click();
    }
  },
  // With a valid id_token_hint and OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT off, DOT signs out at
  // once and redirects back.
  async confirmLogout() {},
  lacks: {
    // oauthlib puts prompt=none errors in the query whatever response_mode asked for; the SDK
    // reports the OP's code with reason response_mode_mismatch.
    errorsInQueryOnly: true,
    // Its discovery has no response_modes_supported.
    responseModesSupported: true,
    // oauthlib turns an unsupported form_post into query: a code by another channel than asked.
    formPost: { code: 'invalid_response', reason: 'invalid_field' },
  },
};

export const glewlwyd = {
  name: 'Glewlwyd',
  async start(appOrigin) {
    const op = await startGlewlwyd(appOrigin);
    return {
      issuer: op.issuer,
      // Its OIDC plugin knows the scope openid only (the test instance adds none).
      config: { ...baseConfig(appOrigin, op.issuer), scope: 'openid' },
      setRefreshIdToken: null,
      setAccessTokenTtl: (seconds) => op.setAccessTokenTtl(seconds),
      close: () => op.close(),
    };
  },
  // Its login page (login.html, a single-page app of its own, which Debian's package serves
  // without the jQuery and Bootstrap it loads) signs in through Glewlwyd's auth API and grants
  // the scopes the same way; the adapter makes those two calls from the page's browser profile
  // (so the session cookie is the browser's), then goes on to the authorization request the
  // login page was given, as the page does.
  async login(page, until) {
    await page.waitForURL((u) => u.pathname.endsWith('/login.html') || until(u), { waitUntil: 'commit' });
    const url = new URL(page.url());
    if (until(url)) return [];
    const callback = url.searchParams.get('callback_url');
    if (!callback) throw new Error(`Glewlwyd login page without callback_url: ${url}`);
    const auth = await page.request.post(`${url.origin}/api/auth/`, { data: GLEWLWYD_USER });
    if (!auth.ok()) throw new Error(`Glewlwyd login: HTTP ${auth.status()} ${await auth.text()}`);
    const grant = await page.request.put(`${url.origin}/api/auth/grant/spa`, { data: { scope: 'openid' } });
    if (!grant.ok()) throw new Error(`Glewlwyd grant: HTTP ${grant.status()} ${await grant.text()}`);
    // The login page goes on with `g_continue` added: without it the authorization endpoint
    // always shows the login page (prompt=none aside).
    await page.goto(`${callback}&g_continue`, { waitUntil: 'commit' });
    await page.waitForURL(until, { waitUntil: 'commit' });
    return ['login', 'consent'];
  },
  // End-session sends the browser to the login page with prompt=end_session; that page ends the
  // OIDC session and the Glewlwyd session through the API, then goes to callback_url (the
  // post_logout_redirect_uri with the state). The adapter does the same.
  async confirmLogout(page) {
    await page.waitForURL((u) => u.pathname.endsWith('/login.html'), { waitUntil: 'commit' });
    const url = new URL(page.url());
    const params = url.searchParams;
    if (params.get('prompt') !== 'end_session') throw new Error(`Glewlwyd logout page: ${url}`);
    const plugin = params.get('plugin');
    for (const [path, what] of [
      [`/api/${plugin}/session/${params.get('sid')}`, 'OIDC session'],
      ['/api/auth/', 'session'],
    ]) {
      const res = await page.request.delete(`${url.origin}${path}`);
      if (!res.ok()) throw new Error(`Glewlwyd ${what} logout: HTTP ${res.status()} ${await res.text()}`);
    }
    await page.goto(params.get('callback_url'), { waitUntil: 'commit' });
  },
  lacks: {
    // Refresh responses never carry an id_token: the SDK keeps the identity.
    refreshIdToken: true,
    // prompt=none without a session at the OP is interaction_required, not login_required.
    promptNoneError: 'interaction_required',
    // prompt=none without id_token_hint is invalid_request ("id_token mandatory").
    promptNoneNeedsHint: true,
    // A replayed refresh token (refresh-token-one-use) is refused with HTTP 400 and no body.
    refusesWithoutBody: true,
    // Its form_post form carries the values URL-encoded: `iss` then differs from the issuer.
    formPost: { code: 'issuer_mismatch', reason: 'iss_parameter' },
    // Its ID tokens say auth_time 0: max_age can never be met.
    maxAge: { code: 'invalid_id_token', reason: 'auth_time_too_old' },
  },
};

export { GLEWLWYD_USER };
