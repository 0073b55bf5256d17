// The core set in three browser engines (issue 19): the same scenarios, written once, run in
// Chromium (CDP), Firefox ESR (WebDriver BiDi) and WebKitGTK (WebDriver classic), the last once
// more with tracking prevention on, through the thin adapters of lib/engines.mjs. Each engine
// gets one browser, one profile, one OP and one RP server; its scenarios run in order and build
// on each other (one redirect sign-in serves refresh, silent renewal, the popup and the tabs),
// which keeps the whole set to a few seconds per engine.
//
// Per engine:
//  1. a page whose CSP lacks 'wasm-unsafe-eval' gets create() rejected as wasm_load/csp; with it,
//     the package imports and create() works; a truncated .wasm is rejected as wasm_load;
//  2. the popup blocker is on: a page's own window.open without a click is refused (and, where
//     the driver's scripts have no user activation, one of theirs too);
//  3. a redirect sign-in through the OP's login and consent pages; the ID token's signature
//     checked (a refresh whose ID token signature is broken is refused, the session kept);
//  4. refresh;
//  5. the silent iframe in web_message and query (through silent-callback.html) modes;
//  6. a popup opened by a real click (Element Click / input events, never a script);
//  7. two tabs on `local` storage refreshing at the same moment: one token request at the OP;
//     then a sign-out with state in one of them, and the other's `other_tab` event;
//  8. an EdDSA-signed ID token, by form_post through the service worker.
//
// What a driver cannot do (WebDriver classic: no console, no user activation for its scripts)
// is in the engine's `limits`; where it matters the scenario asserts what it can.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, createPublicKey, verify as verifySignature } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

import { ROOT } from './lib/sdk.mjs';
import { startOp } from './lib/op.mjs';
import { startStatic } from './lib/static.mjs';
import { ENGINES, launchEngine } from './lib/engines.mjs';

const SCENARIO = { timeout: 60_000 };
const OVERRIDES_KEY = 'oidc-example-overrides';
const LOGIN = 'ana@example.com';

// ---- the OP, the RP and the probe pages (one of each per engine) ----

/** A private signing JWK of type `type` for `alg`, with a fresh kid. */
function signingKey(type, alg) {
  const { privateKey } = generateKeyPairSync(type, type === 'rsa' ? { modulusLength: 2048 } : {});
  return { ...privateKey.export({ format: 'jwk' }), kid: `k-${randomBytes(6).toString('hex')}`, alg, use: 'sig' };
}

// Probe pages of the RP's origin, each with its script in a file (a CSP without 'unsafe-inline'
// runs it) that writes its outcome into #result, which every driver can read as text.
const PROBES = {
  '/engines/csp-blocked.html': page('create.js'),
  '/engines/csp-allowed.html': page('create.js'),
  '/engines/popup-blocker.html': page('popup-blocker.js'),
  '/engines/truncated.html': page('create.js'),
  // ?wasm=<url>: the module comes from there (init), not from the file next to index.js.
  '/engines/create.js': script(`
    import * as m from '/oidc-rp-wasm/index.js';
    const out = document.getElementById('result');
    try {
      const wasm = new URLSearchParams(location.search).get('wasm');
      if (wasm) await m.init({ module_or_path: wasm });
      const config = await (await fetch('/config.json')).json();
      const client = await m.OidcClient.create(config);
      out.textContent = JSON.stringify({ ok: true, authorizeUrl: await client.authorizeUrl() });
    } catch (e) {
      out.textContent = JSON.stringify({ ok: false, name: e?.name, code: e?.code, reason: e?.reason, isOidcError: m.isOidcError(e), cause: e?.cause?.name, message: String(e?.message ?? e) });
    }`),
  // No click, no user activation: a browser with its popup blocker on refuses this window.
  '/engines/popup-blocker.js': script(`
    const opened = window.open('/engines/popup-blocker.html?opened', 'probe', 'popup=yes,width=300,height=300');
    if (opened) opened.close();
    document.getElementById('result').textContent = JSON.stringify({ blocked: opened === null });`),
};

function page(src) {
  return { type: 'text/html; charset=utf-8', body: `<!DOCTYPE html><meta charset="utf-8"><title>probe</title><pre id="result"></pre><script type="module" src="/engines/${src}"></script>` };
}

function script(body) {
  return { type: 'text/javascript; charset=utf-8', body };
}

const CSP = {
  '/engines/csp-blocked.html': "script-src 'self'",
  '/engines/csp-allowed.html': "script-src 'self' 'wasm-unsafe-eval'",
};

/** The OP (two clients: `spa` signing RS256, `spa-eddsa` EdDSA), the RP's static server. */
async function startEnv() {
  await stat(join(ROOT, 'pkg', 'oidc_rp_wasm_bg.wasm')).catch(() => {
    throw new Error('pkg/ is not built: run scripts/build-pkg.sh first');
  });
  const env = {};
  // The package's module cut in half, as a failed upload or an interrupted copy leaves it.
  const wasm = await readFile(join(ROOT, 'pkg', 'oidc_rp_wasm_bg.wasm'));
  const truncated = { type: 'application/wasm', body: wasm.subarray(0, wasm.length >> 1) };
  env.rp = await startStatic({
    root: ROOT,
    config: () => env.baseConfig,
    headers: (path) => (CSP[path] ? { 'content-security-policy': CSP[path] } : undefined),
    respond: (path) => (path === '/engines/truncated.wasm' ? truncated : PROBES[path]),
  });
  const origin = env.rp.origin;
  env.urls = { app: `${origin}/`, silent: `${origin}/silent-callback.html` };
  const client = { redirect_uris: [env.urls.app, env.urls.silent], post_logout_redirect_uris: [env.urls.app] };
  env.keys = { RS256: signingKey('rsa', 'RS256'), EdDSA: signingKey('ed25519', 'EdDSA') };
  env.op = await startOp({
    jwks: { keys: [env.keys.RS256, env.keys.EdDSA] },
    clients: [
      { ...client, client_id: 'spa', id_token_signed_response_alg: 'RS256' },
      { ...client, client_id: 'spa-eddsa', id_token_signed_response_alg: 'EdDSA' },
    ],
  });
  env.baseConfig = {
    issuer: env.op.issuer,
    clientId: 'spa',
    redirectUri: env.urls.app,
    postLogoutRedirectUri: env.urls.app,
    silentRedirectUri: env.urls.silent,
    scope: 'openid profile email offline_access',
    storage: 'local',
    silentTimeoutMs: 10_000,
  };
  env.close = async () => {
    await env.op?.close();
    await env.rp?.close();
  };
  return env;
}

/** Whether `jwt` verifies against the OP's key `jwk` (RS256 or EdDSA), checked in Node. */
function signatureValid(jwt, jwk) {
  const [h, p, s] = jwt.split('.');
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  return verifySignature(jwk.alg === 'RS256' ? 'sha256' : null, Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'));
}

const header = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString('utf8'));

// ---- the example SPA in one tab of any engine ----

const byTestId = (id) => `[data-testid="${id}"]`;
const isInteraction = (url) => url.pathname.startsWith('/interaction/');

class App {
  constructor(tab, env) {
    this.tab = tab;
    this.env = env;
  }

  /** Opens the app in `tab`, with `overrides` over /config.json (the example's sessionStorage hook). */
  static async open(tab, env, { overrides } = {}) {
    if (overrides) {
      await tab.goto(`${env.rp.origin}/config.json`);
      await tab.eval((key, value) => sessionStorage.setItem(key, value), OVERRIDES_KEY, JSON.stringify(overrides));
    }
    await tab.goto(env.urls.app);
    const app = new App(tab, env);
    await app.ready();
    return app;
  }

  ready() {
    return this.tab.waitFor(() => document.documentElement.dataset.ready === 'true', [], { what: 'the app to start' });
  }

  status() {
    return this.tab.eval(() => document.querySelector('[data-testid="status"]').dataset.state);
  }

  session() {
    return this.tab.eval(() => window.__example.client?.session ?? null);
  }

  /** The SDK events the page received: [{ name, reason }]. */
  events() {
    return this.tab.eval(() => window.__example.events.map(({ name, detail }) => ({ name, reason: detail?.reason })));
  }

  lastError() {
    return this.tab.eval(() => {
      const e = window.__example.lastError;
      return e ? { code: e.code, reason: e.reason, message: e.message } : null;
    });
  }

  /** Sets the sign-in options form's response mode ('' for the SDK's choice). */
  setResponseMode(mode) {
    return this.tab.eval((m) => {
      document.querySelector('[data-testid="response-mode"]').value = m;
    }, mode);
  }

  /** Clicks `testid` (a real click) and waits for the SDK call it starts: { name, ok, code }. */
  async clickAndWait(testid) {
    const before = await this.tab.eval(() => window.__example.calls.length);
    await this.tab.click(byTestId(testid));
    return this.tab.waitFor((n) => window.__example.calls[n] ?? null, [before], { what: `the ${testid} call` });
  }

  /**
   * A redirect sign-in in `mode`: clicks the button, acts as the user at the OP's login and
   * consent pages, and waits until the app is back and handled the response. Returns the OP
   * pages seen.
   */
  async signinRedirect(mode) {
    await this.setResponseMode(mode);
    await this.tab.click(byTestId('signin-redirect'));
    const seen = await loginAtOp(this.tab, (u) => u.origin === this.env.rp.origin && u.search === '' && u.hash === '');
    await this.ready();
    return seen;
  }
}

/**
 * Acts as the user on node-oidc-provider's dev login and consent pages (each a form with a hidden
 * `prompt` input) until `done(url)`; returns the pages seen, e.g. ['login', 'consent'].
 */
async function loginAtOp(tab, done) {
  const seen = [];
  for (;;) {
    const url = await tab.waitForUrl((u) => isInteraction(u) || (seen.length > 0 && done(u)), { what: `the OP's next page after ${seen.join(', ') || 'the click'}` });
    if (!isInteraction(url)) return seen;
    const kind = await tab.waitFor(() => document.querySelector('form input[type="hidden"][name="prompt"]')?.value, [], { what: 'an OP page' });
    if (seen.length >= 4) throw new Error(`the OP keeps asking (${seen.join(', ')}, ${kind})`);
    seen.push(kind);
    if (kind === 'login') {
      await tab.type('input[name="login"]', LOGIN);
      await tab.type('input[name="password"]', 'secret');
    } else if (kind !== 'consent') {
      throw new Error(`unknown OP page: prompt=${kind}`);
    }
    await tab.click('form button[type="submit"]');
    await tab.waitForUrl((u) => u.href !== url.href, { what: `the OP to leave its ${kind} page` });
  }
}

/** Reads the JSON a probe page wrote into #result. */
async function probeResult(tab, path, env) {
  await tab.goto(`${env.rp.origin}${path}`);
  const text = await tab.waitFor(() => document.getElementById('result')?.textContent || null, [], { what: `${path} to finish` });
  return JSON.parse(text);
}

// ---- the scenarios, once per engine ----

for (const name of ENGINES) {
  describe(name, () => {
    let engine;
    let env;
    /** What the scenarios hand on: the first tab (the app's, from the sign-in on), the app. */
    const run = {};

    before(async () => {
      env = await startEnv();
      engine = await launchEngine(name);
      run.tab = await engine.newTab();
      run.started = Date.now();
    });

    after(async () => {
      if (run.started) console.error(`# ${name}: scenarios took ${Date.now() - run.started} ms`);
      await engine?.close();
      await env?.close();
    });

    /**
     * A scenario: where the engine reports page errors, any but those `expected` fails it; on
     * failure the engine's console (where it has one) is printed with it.
     */
    const scenario = (title, body, { expected = /$^/ } = {}) =>
      test(title, SCENARIO, async (t) => {
        const logsBefore = engine.logs().length;
        try {
          await body(t);
          if (engine.limits.console) {
            const errors = engine.logs().slice(logsBefore).filter((l) => l.startsWith('[pageerror') && !expected.test(l));
            assert.deepEqual(errors, [], 'uncaught page errors');
          }
        } catch (err) {
          console.error(`--- ${name}: browser diagnostics ---\n${engine.logs().slice(logsBefore).join('\n')}\n--- end ---`);
          throw err;
        }
      });

    const needs = (key) => {
      if (!run[key]) throw new Error(`an earlier scenario of ${name} failed: no ${key}`);
      return run[key];
    };

    scenario("CSP without 'wasm-unsafe-eval': create() fails as wasm_load/csp; with it, the package imports and create() works", async () => {
      const tab = needs('tab');
      const blocked = await probeResult(tab, '/engines/csp-blocked.html', env);
      assert.deepEqual(
        { ok: blocked.ok, name: blocked.name, code: blocked.code, reason: blocked.reason, isOidcError: blocked.isOidcError },
        { ok: false, name: 'OidcError', code: 'wasm_load', reason: 'csp', isOidcError: true },
        blocked.message,
      );
      assert.match(blocked.message, /'wasm-unsafe-eval'/);
      const allowed = await probeResult(tab, '/engines/csp-allowed.html', env);
      assert.equal(allowed.ok, true, allowed.message);
      assert.ok(allowed.authorizeUrl.startsWith(`${env.op.issuer}/auth?`), allowed.authorizeUrl);
      // Firefox reports the blocked compilation as a page error too.
    }, { expected: /csp-blocked\.html\] Error: Content-Security-Policy: .*WebAssembly/ });

    scenario('a truncated .wasm: init() fails as wasm_load/compile, saying so', async () => {
      const result = await probeResult(needs('tab'), '/engines/truncated.html?wasm=/engines/truncated.wasm', env);
      assert.deepEqual({ ok: result.ok, code: result.code, isOidcError: result.isOidcError }, { ok: false, code: 'wasm_load', isOidcError: true }, result.message);
      if (name === 'firefox' && result.cause === 'InternalError') {
        // Firefox ESR 153's streaming compilation rejects some truncated modules (depending on
        // where the bytes end and how they arrive) with InternalError "out of memory" instead of
        // a CompileError: the SDK can only report that as a failed instantiation.
        assert.equal(result.reason, 'instantiate', result.message);
        assert.match(result.message, /out of memory/);
      } else {
        assert.deepEqual({ reason: result.reason, cause: result.cause }, { reason: 'compile', cause: 'CompileError' }, result.message);
        assert.match(result.message, /truncated or altered/);
      }
    });

    scenario('the popup blocker is on: window.open without a click is refused', async () => {
      const tab = needs('tab');
      const result = await probeResult(tab, '/engines/popup-blocker.html', env);
      assert.deepEqual(result, { blocked: true });
      if (!engine.limits.evalHasActivation) {
        const blocked = await tab.eval(() => {
          const opened = window.open('/engines/popup-blocker.html?opened', 'probe', 'popup=yes');
          if (opened) opened.close();
          return opened === null;
        });
        assert.equal(blocked, true, "the driver's own scripts have no user activation");
      }
    });

    scenario("redirect sign-in through the OP's login and consent pages; the ID token's signature is checked", async () => {
      const app = await App.open(needs('tab'), env);
      assert.equal(await app.status(), 'signed-out');
      env.op.events.clear();
      const seen = await app.signinRedirect('query');
      assert.deepEqual(seen, ['login', 'consent']);
      assert.equal(await app.status(), 'signed-in', JSON.stringify(await app.lastError()));
      assert.equal(await app.tab.url(), env.urls.app, 'the response is gone from the address bar');
      const session = await app.session();
      assert.equal(session.subject, LOGIN);
      assert.equal(session.claims.email, LOGIN);
      assert.equal(session.idTokenFresh, true);
      assert.equal(session.hasRefreshToken, true);
      assert.equal(header(session.idToken).alg, 'RS256');
      assert.ok(signatureValid(session.idToken, env.keys.RS256), 'the OP signed it');
      const sent = env.op.events.authorizations.at(-1);
      assert.equal(sent.code_challenge_method, 'S256');
      assert.deepEqual(env.op.events.tokenCounts, { authorization_code: 1 });

      // The same OP, one bit of the signature flipped: refused, the session kept.
      env.op.settings.breakIdTokenSignature = true;
      try {
        const refused = await app.clickAndWait('refresh');
        assert.deepEqual({ ok: refused.ok, code: refused.code }, { ok: false, code: 'invalid_signature' }, JSON.stringify(await app.lastError()));
      } finally {
        env.op.settings.breakIdTokenSignature = false;
      }
      assert.equal((await app.session()).accessToken, session.accessToken);
      run.app = app;
    });

    scenario('refresh: a new access token from the refresh_token grant', async () => {
      const app = needs('app');
      const before = await app.session();
      env.op.events.clear();
      const call = await app.clickAndWait('refresh');
      assert.deepEqual({ ok: call.ok, code: call.code }, { ok: true, code: undefined }, JSON.stringify(await app.lastError()));
      const after = await app.session();
      assert.notEqual(after.accessToken, before.accessToken);
      assert.equal(after.subject, LOGIN);
      assert.deepEqual(env.op.events.tokenCounts, { refresh_token: 1 });
      assert.ok(signatureValid(after.idToken, env.keys.RS256));
    });

    scenario('silent sign-in in a hidden iframe, web_message and query (through silent-callback.html)', async () => {
      const app = needs('app');
      let previous = await app.session();
      for (const mode of ['web_message', 'query']) {
        env.op.events.clear();
        const requestsBefore = env.rp.requests.length;
        await app.setResponseMode(mode);
        const call = await app.clickAndWait('signin-silent');
        assert.deepEqual({ ok: call.ok, code: call.code }, { ok: true, code: undefined }, `${mode}: ${JSON.stringify(await app.lastError())}`);
        const sent = env.op.events.authorizations.at(-1);
        assert.equal(sent.prompt, 'none');
        assert.equal(sent.response_mode, mode === 'query' ? undefined : mode);
        assert.ok(!env.op.events.names().includes('interaction.started'), mode);
        const callbackLoads = env.rp.requests.slice(requestsBefore).filter((r) => r.path.startsWith('/silent-callback.html'));
        assert.equal(callbackLoads.length, mode === 'query' ? 1 : 0, mode);
        assert.equal(await app.tab.url(), env.urls.app, 'no visible navigation');
        assert.equal(await app.tab.eval(() => document.querySelectorAll('iframe').length), 0, 'the iframe is removed');
        const session = await app.session();
        assert.notEqual(session.accessToken, previous.accessToken, mode);
        previous = session;
      }
    });

    scenario('a popup opened by a real click, with the popup blocker on', async () => {
      const app = needs('app');
      const before = await app.session();
      await app.setResponseMode('');
      // Record window.open's calls and what it returned (the wrapper runs in the click's task).
      await app.tab.eval(() => {
        const open = window.open;
        window.__opened = [];
        window.open = function (...args) {
          const handle = open.apply(this, args);
          window.__opened.push({ url: String(args[0]), blocked: handle === null });
          window.__popup = handle;
          return handle;
        };
      });
      env.op.events.clear();
      const call = await app.clickAndWait('signin-popup');
      const opened = await app.tab.eval(() => window.__opened);
      assert.equal(opened.length, 1, JSON.stringify(opened));
      assert.ok(opened[0].url.startsWith(`${env.op.issuer}/auth?`), opened[0].url);
      assert.equal(opened[0].blocked, false, 'the click let the popup through');
      assert.deepEqual({ ok: call.ok, code: call.code }, { ok: true, code: undefined }, JSON.stringify(await app.lastError()));
      await app.tab.waitFor(() => window.__popup.closed, [], { what: 'the popup to close' });
      const session = await app.session();
      assert.notEqual(session.accessToken, before.accessToken);
      assert.equal(session.subject, LOGIN);
      assert.deepEqual(env.op.events.tokenCounts, { authorization_code: 1 });
    });

    scenario("two tabs on local storage: two refreshes at the same moment make one token request; a sign-out with state, and the other tab's other_tab", async () => {
      const a = needs('app');
      const b = await App.open(await engine.newTab(), env);
      assert.equal(await b.status(), 'signed-in', 'the second tab restored the session from localStorage');
      const token = (await a.session()).accessToken;
      assert.equal((await b.session()).accessToken, token);

      // Released together by one BroadcastChannel message from a third page of the origin: each
      // tab starts refresh() in the task the message arrives in.
      for (const app of [a, b]) {
        await app.tab.eval(() => {
          window.__round = new Promise((resolve) => {
            const channel = new BroadcastChannel('e2e-release');
            channel.onmessage = () => {
              window.__example.client.refresh().then(
                (s) => resolve({ ok: true, accessToken: s.accessToken }),
                (e) => resolve({ ok: false, code: e?.code, message: String(e?.message ?? e) }),
              );
            };
            window.__channel = channel;
          });
        });
      }
      const starter = await engine.newTab(`${env.rp.origin}/config.json`);
      env.op.events.clear();
      await starter.eval(() => new BroadcastChannel('e2e-release').postMessage('go'));
      const results = [];
      for (const app of [a, b]) results.push(await app.tab.waitFor(() => window.__round, [], { what: 'the refresh' }));
      await starter.close();
      for (const r of results) assert.equal(r.ok, true, JSON.stringify(r));
      assert.equal(results[0].accessToken, results[1].accessToken, 'both tabs got the one new token');
      assert.notEqual(results[0].accessToken, token);
      assert.deepEqual(env.op.events.tokenCounts, { refresh_token: 1 }, 'one token request at the OP');
      assert.equal(env.op.events.refreshTokenReuse, 0);

      // Tab B signs out; tab A is told while B is at the OP.
      const idToken = (await b.session()).idToken;
      await b.tab.click(byTestId('signout'));
      await b.tab.waitForUrl((u) => u.href.startsWith(`${env.op.issuer}/session/end`), { what: "the OP's logout page" });
      await a.tab.waitFor(() => window.__example.events.some((e) => e.name === 'signedOut'), [], { what: "tab A's signedOut" });
      const signedOut = (await a.events()).filter((e) => e.name === 'signedOut');
      assert.deepEqual(signedOut, [{ name: 'signedOut', reason: 'other_tab' }]);
      assert.equal(await a.session(), null);
      assert.equal(await a.status(), 'signed-out');

      const sent = env.op.events.endSessions.at(-1);
      assert.equal(sent.id_token_hint, idToken);
      assert.equal(sent.post_logout_redirect_uri, env.urls.app);
      assert.match(sent.state ?? '', /^[\w-]{16,}$/);
      await b.tab.waitFor(() => document.querySelector('button[name="logout"][value="yes"]') !== null, [], { what: "the OP's logout button" });
      await b.tab.click('button[name="logout"][value="yes"]');
      await b.tab.waitForUrl((u) => u.origin === env.rp.origin, { what: 'the way back to the app' });
      await b.ready();
      assert.deepEqual(await b.tab.eval(() => window.__example.lastSignout), { state: sent.state }, JSON.stringify(await b.lastError()));
      assert.equal(await b.lastError(), null);
      assert.equal(await b.tab.url(), env.urls.app, 'the state is gone from the address bar');
      assert.ok(env.op.events.names().includes('end_session.success'));
      await b.tab.close();
    });

    scenario('an EdDSA-signed ID token, by form_post through the service worker', async () => {
      const tab = await engine.newTab();
      const app = await App.open(tab, env, { overrides: { clientId: 'spa-eddsa', idTokenSigningAlgs: ['EdDSA'], storage: 'session' } });
      // The worker must be active before the OP posts.
      await tab.waitFor(() => document.querySelector('[data-testid="sw-status"]')?.textContent === 'ready', [], { what: 'the service worker' });
      env.op.events.clear();
      const posts = env.rp.requests.filter((r) => r.method === 'POST').length;
      const seen = await app.signinRedirect('form_post');
      assert.deepEqual(seen, ['login', 'consent'], 'the sign-out above ended the OP session');
      assert.equal(await app.status(), 'signed-in', JSON.stringify(await app.lastError()));
      assert.equal(env.op.events.authorizations.at(-1).response_mode, 'form_post');
      assert.equal(env.rp.requests.filter((r) => r.method === 'POST').length, posts, 'the service worker caught the POST');
      const session = await app.session();
      assert.equal(header(session.idToken).alg, 'EdDSA');
      assert.ok(signatureValid(session.idToken, env.keys.EdDSA));
      const refreshed = await app.clickAndWait('refresh');
      assert.deepEqual({ ok: refreshed.ok, code: refreshed.code }, { ok: true, code: undefined }, JSON.stringify(await app.lastError()));
      assert.equal(header((await app.session()).idToken).alg, 'EdDSA');
      assert.deepEqual(env.op.events.tokenCounts, { authorization_code: 1, refresh_token: 1 });
      await tab.close();
    });
  });
}
