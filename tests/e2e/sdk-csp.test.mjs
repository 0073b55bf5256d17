// A strict Content Security Policy (hardening): the example app (www-example/) and the package
// work with no inline script and no eval, `object-src 'none'`, `base-uri 'none'` and Trusted Types
// enforced (`require-trusted-types-for 'script'`), on top of the package README's policy
// (`default-src 'self'`, `'wasm-unsafe-eval'`, the OP in `connect-src` and `frame-src`). Every
// response of the app's origin carries the policy (the service worker's too); the callback page
// gets the README's own policy for it, with the same strict additions.
//
// The one inline element the example has is its import map (a plain page with no bundler maps
// the bare specifier `oidc-rp-wasm` with it): browsers take no external import maps, and an
// inline one is an inline script for CSP, so the policy allows it by its hash, which the test
// computes from www-example/index.html.
//
// Violations are collected from every page of the origin (securitypolicyviolation listeners
// installed before any page script runs, reported to the test through a binding, so that none is
// lost when a page navigates away), with the pages' console errors.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { ROOT, inContext, App } from './lib/sdk.mjs';
import { startOp } from './lib/op.mjs';
import { startStatic } from './lib/static.mjs';
import { launchBrowser } from './lib/browser.mjs';
import { refreshIn } from './lib/calls.mjs';

const SCENARIO = { timeout: 90_000 };
/** The strict part, as the hardening issue writes it. */
const STRICT = ["script-src 'self' 'wasm-unsafe-eval'", "object-src 'none'", "base-uri 'none'", "require-trusted-types-for 'script'"];

const sha256 = (text) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

const indexHtml = readFileSync(join(ROOT, 'www-example', 'index.html'), 'utf8');
const callbackHtml = readFileSync(join(ROOT, 'pkg', 'silent-callback.html'), 'utf8');
const readme = readFileSync(join(ROOT, 'pkg', 'README.md'), 'utf8');

/** The text of every <script> element without src in `html`, with its type. */
function inlineScripts(html) {
  return [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)]
    .filter(([, attrs]) => !/\bsrc\s*=/i.test(attrs))
    .map(([, attrs, text]) => ({ type: /\btype\s*=\s*"([^"]*)"/i.exec(attrs)?.[1] ?? '', text }));
}

let env;
/** The policies of the app's origin the scenarios run under: { strict, readme }. */
let policies;
/** What the app's pages (and its other responses) and the callback page are served with now. */
let appCsp;
let callbackCsp;

before(async () => {
  env = {};
  env.rp = await startStatic({
    root: ROOT,
    config: () => env.baseConfig,
    headers: (path) => ({ 'content-security-policy': path === '/silent-callback.html' ? callbackCsp : appCsp }),
  });
  const origin = env.rp.origin;
  env.urls = { app: `${origin}/`, redirectUri: `${origin}/`, silentRedirectUri: `${origin}/silent-callback.html`, postLogoutRedirectUri: `${origin}/` };
  env.op = await startOp({
    accessTokenTtl: 3600,
    clients: [{ redirect_uris: [env.urls.redirectUri, env.urls.silentRedirectUri], post_logout_redirect_uris: [env.urls.postLogoutRedirectUri] }],
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
    silentTimeoutMs: 5000,
  };
  env.browser = await launchBrowser();

  const opOrigin = new URL(env.op.issuer).origin;
  const [importMap, ...others] = inlineScripts(indexHtml);
  assert.equal(importMap?.type, 'importmap');
  assert.deepEqual(others, []);
  const importMapHash = sha256(importMap.text);
  policies = {
    // The hardening issue's policy, the import map's hash added to its script-src.
    strict: STRICT.map((d) => (d.startsWith('script-src') ? `${d} ${importMapHash}` : d)).join('; '),
    // The package README's policy for the app's pages (its example OP origin replaced by ours),
    // with the import map's hash and the strict additions.
    readme: [
      "default-src 'self'",
      `script-src 'self' 'wasm-unsafe-eval' ${importMapHash}`,
      `connect-src 'self' ${opOrigin}`,
      `frame-src 'self' ${opOrigin}`,
      ...STRICT.slice(1),
    ].join('; '),
  };
  const [callbackScript] = inlineScripts(callbackHtml);
  callbackCsp = `default-src 'none'; script-src ${sha256(callbackScript.text)}; connect-src 'self'; frame-ancestors 'self'; ${STRICT.slice(1).join('; ')}`;
});

after(async () => {
  await env?.browser?.close();
  await env?.op?.close();
  await env?.rp?.close();
});

test('www-example/index.html has no inline script but its import map, no inline event handler, no javascript: URL; the policies are the README\'s', () => {
  const scripts = inlineScripts(indexHtml);
  assert.deepEqual(scripts.map((s) => s.type), ['importmap'], 'inline scripts');
  assert.doesNotThrow(() => JSON.parse(scripts[0].text), 'the import map is JSON only');
  assert.deepEqual([...indexHtml.matchAll(/\son[a-z]+\s*=/gi)].map((m) => m[0]), [], 'inline event handlers');
  assert.ok(!/javascript:/i.test(indexHtml), 'javascript: URLs');
  assert.ok(!/\sstyle\s*=/i.test(indexHtml), 'inline styles');
  // The README's directives, as it writes them for an OP at https://id.example.com.
  const opOrigin = new URL(env.op.issuer).origin;
  for (const directive of ["default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", `connect-src 'self' ${opOrigin}`, `frame-src 'self' ${opOrigin}`]) {
    assert.ok(readme.includes(directive.replace(opOrigin, 'https://id.example.com')), `the package README has ${directive}`);
  }
  const callbackHash = sha256(inlineScripts(callbackHtml)[0].text);
  assert.ok(readme.includes(`script-src ${callbackHash}`), `the package README gives the callback page's hash ${callbackHash}`);
  assert.ok(readme.includes(`default-src 'none'; script-src ${callbackHash}; connect-src 'self'; frame-ancestors 'self'`), "the package README's policy for the callback page");
  // Every directive of the strict policy is in both policies served (script-src with the import
  // map's hash).
  for (const policy of Object.values(policies)) {
    for (const directive of STRICT) assert.ok(policy.includes(directive), `${directive} in ${policy}`);
  }
});

/**
 * Under `policy`: start, redirect sign-in, refresh, silent sign-in in an iframe (web_message and
 * the callback page), form_post through the service worker; then a probe of Trusted Types.
 */
function scenario(policy) {
  return (t) => inContext(env, {}, async ({ context, logs }) => {
    appCsp = policies[policy];
    t.diagnostic(`policy: ${appCsp}`);
    t.diagnostic(`callback page: ${callbackCsp}`);
    const violations = [];
    let onViolation = () => {};
    await context.exposeBinding('__e2eCspViolation', ({ page }, v) => {
      violations.push({ page: page?.url(), ...v });
      onViolation();
    });
    // How the SDK's hidden iframes are laid out while they work.
    const frames = [];
    await context.exposeBinding('__e2eFrame', (_source, f) => frames.push(f));
    await context.addInitScript(() => {
      new MutationObserver((records) => {
        for (const record of records) {
          for (const node of record.addedNodes) {
            if (node instanceof HTMLIFrameElement) {
              const style = getComputedStyle(node);
              const box = node.getBoundingClientRect();
              window.__e2eFrame({ visibility: style.visibility, width: box.width, height: box.height, border: style.borderTopWidth });
            }
          }
        }
      }).observe(document, { childList: true, subtree: true });
      addEventListener(
        'securitypolicyviolation',
        (e) =>
          window.__e2eCspViolation({
            directive: e.violatedDirective,
            effective: e.effectiveDirective,
            blocked: e.blockedURI,
            sample: e.sample,
            source: e.sourceFile,
            line: e.lineNumber,
            disposition: e.disposition,
          }),
        true,
      );
    });
    const rpErrors = () => logs.filter((l) => l.startsWith(`[console.error ${new URL(env.rp.origin).host}`) || l.startsWith('[pageerror'));
    // What went wrong at each step, asserted at the end so that every step runs under the policy.
    const problems = [];
    let reportedViolations = 0;
    let reportedErrors = 0;
    const clean = (what) => {
      const fresh = violations.slice(reportedViolations);
      const errors = rpErrors().slice(reportedErrors);
      reportedViolations = violations.length;
      reportedErrors += errors.length;
      if (fresh.length > 0) problems.push({ what, violations: fresh.map(({ effective, blocked, sample, source, line }) => ({ effective, blocked, sample, source, line })) });
      if (errors.length > 0) problems.push({ what, consoleErrors: errors });
    };

    const app = await App.open(context, env);
    assert.equal(await app.status(), 'signed-out', `the app started: ${JSON.stringify((await app.state()).lastError)}`);
    assert.equal((await fetch(env.urls.app, { method: 'HEAD' })).headers.get('content-security-policy'), appCsp, 'the app is served with the policy');
    assert.equal(await app.page.evaluate(() => typeof window.trustedTypes?.createPolicy), 'function');
    await app.page.waitForFunction(() => document.querySelector('[data-testid="sw-status"]')?.textContent !== 'registering…');
    assert.equal(await app.text('sw-status'), 'ready', 'the service worker registered under Trusted Types');
    clean('start');

    await app.signinRedirect();
    await app.waitSignedIn();
    const refreshed = await refreshIn(app);
    assert.equal(refreshed.ok, true, JSON.stringify(refreshed));
    clean('redirect sign-in and refresh');

    // In new tabs: no session there (sessionStorage is per tab), so no refresh token to try
    // first; the OP's session cookie is there, so prompt=none signs in.
    for (const responseMode of ['', 'query']) {
      const tab = await App.open(context, env);
      assert.equal(await tab.status(), 'signed-out');
      await tab.setOptions({ responseMode });
      const call = await tab.clickAndWait('signin-silent');
      assert.deepEqual({ ok: call.ok, code: call.code }, { ok: true, code: undefined }, `silent sign-in in an iframe (${responseMode || "the SDK's choice"})`);
      await tab.page.close();
    }
    t.diagnostic(`the silent sign-in iframes as laid out: ${JSON.stringify(frames)}`);
    assert.equal(frames.length, 2, 'one iframe per silent sign-in');
    for (const f of frames) {
      if (f.visibility !== 'hidden' || f.width !== 0 || f.height !== 0) problems.push({ what: 'silent sign-in: the iframe is not hidden', frame: f });
    }
    clean('silent sign-in');

    const formPost = await App.open(context, env);
    await formPost.signinRedirect({ responseMode: 'form_post' });
    await formPost.waitSignedIn();
    assert.ok(formPost.page.url().startsWith(env.rp.origin));
    const calls = (await formPost.state()).calls;
    assert.deepEqual(calls.map((c) => `${c.name}:${c.ok}`), ['handleRedirectCallback:true']);
    assert.ok(!env.rp.requests.some((r) => r.method === 'POST'), 'the service worker caught the form_post');
    assert.equal((await refreshIn(formPost)).ok, true);
    clean('form_post');

    // The listener works and Trusted Types are enforced: a script URL sink refuses a string.
    const reported = new Promise((resolve) => {
      onViolation = resolve;
    });
    const probe = await app.page.evaluate(async () => {
      const seen = new Promise((resolve) => addEventListener('securitypolicyviolation', (e) => resolve(e.sample), { once: true }));
      let outcome;
      try {
        document.createElement('script').src = '/app.js';
        outcome = 'assigned';
      } catch (e) {
        outcome = e.name;
      }
      return { outcome, sample: await seen };
    });
    assert.deepEqual(probe, { outcome: 'TypeError', sample: 'HTMLScriptElement src|/app.js' });
    await reported;
    t.diagnostic(`problems: ${JSON.stringify(problems)}`);
    assert.deepEqual(problems, [], 'violations, console errors or a visible iframe under the policy');
    assert.deepEqual(violations.slice(reportedViolations).map((v) => `${v.effective}:${v.sample}`), ['require-trusted-types-for:HTMLScriptElement src|/app.js'], 'the probe was reported');
  });
}

test("under the hardening issue's strict policy (script-src 'self' 'wasm-unsafe-eval' + the import map's hash; object-src 'none'; base-uri 'none'; require-trusted-types-for 'script'): sign-in, refresh, iframe, form_post; no violation, no console error", SCENARIO, scenario('strict'));

test("under the package README's policy (default-src 'self', connect-src and frame-src the OP) with the strict additions: sign-in, refresh, iframe, form_post; no violation, no console error", SCENARIO, scenario('readme'));
