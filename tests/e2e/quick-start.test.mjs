// The npm README's quick start, run as written: its code block is read from
// pkg-template/README.md at test time and served as the page's only module (the one change: the
// placeholder issuer becomes the local OP's). Signed out it shows "Sign in" and throws nothing; it
// signs in by redirect, gets a token, signs out, and checks the logout return's state. Every
// shape of return it must recognise (query, fragment, form_post's `?oidc_form_post=`, the logout
// return) reaches the SDK call that checks it. Also: README.md's quick start is the same block,
// and isOidcError recognises the SDK's errors only.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';

import { ROOT } from './lib/sdk.mjs';
import { startOp } from './lib/op.mjs';
import { startStatic } from './lib/static.mjs';
import { launchBrowser, newContext, loginAtOp, confirmLogoutAtOp } from './lib/browser.mjs';
import { blocks } from '../../scripts/check-snippets.mjs';

const PLACEHOLDER_ISSUER = '"https://id.example.com"';

let op;
let rp;
let browser;
let code;

before(async () => {
  await stat(join(ROOT, 'pkg', 'oidc_rp_wasm_bg.wasm')).catch(() => {
    throw new Error('pkg/ is not built: run scripts/build-pkg.sh first');
  });
  code = readQuickStart('pkg-template/README.md');
  const page = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Quick start</title>
<script type="importmap">{"imports":{"oidc-rp-wasm":"/oidc-rp-wasm/index.js"}}</script>
</head><body><script type="module" src="/app.js"></script></body></html>`;
  rp = await startStatic({
    root: ROOT,
    respond: (path) => {
      if (path === '/') return { type: 'text/html; charset=utf-8', body: page };
      if (path === '/app.js') return { type: 'text/javascript; charset=utf-8', body: code.split(PLACEHOLDER_ISSUER).join(JSON.stringify(op.issuer)) };
      return undefined;
    },
  });
  op = await startOp({ clients: [{ redirect_uris: [`${rp.origin}/`], post_logout_redirect_uris: [`${rp.origin}/`] }] });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await op?.close();
  await rp?.close();
});

/** The block after `## Quick start` in `file`, which must be the section's first code block. */
function readQuickStart(file) {
  const found = blocks(file).find((b) => b.lang === 'js' && b.heading === 'Quick start');
  assert.ok(found, `${file}: no js block under "## Quick start"`);
  assert.equal(found.code.split(PLACEHOLDER_ISSUER).length, 2, `${file}: the quick start names the issuer ${PLACEHOLDER_ISSUER} once`);
  return found.code;
}

/** A fresh profile and page, recording page errors and console warnings. */
async function open() {
  const context = await newContext(browser);
  const page = await context.newPage();
  const errors = [];
  const warnings = [];
  page.on('pageerror', (e) => errors.push(String(e.stack ?? e)));
  page.on('console', (m) => {
    if (m.type() === 'warning') warnings.push(m.text());
  });
  return { context, page, errors, warnings };
}

/** Waits for the quick start's one button, and returns its label. */
async function button(page) {
  const b = page.locator('body > button');
  await b.waitFor({ timeout: 15_000 });
  return b.textContent();
}

test("README.md's quick start is the npm README's", () => {
  assert.equal(readQuickStart('README.md'), readQuickStart('pkg-template/README.md'));
});

test('the quick start as written: signed out, sign in by redirect, a token, sign out, the logout state checked', async () => {
  const { context, page, errors, warnings } = await open();
  try {
    // Signed out: the sign-in button, and nothing thrown.
    await page.goto(`${rp.origin}/`);
    assert.equal(await button(page), 'Sign in');
    assert.deepEqual(errors, []);

    // Sign in by redirect.
    await Promise.all([page.waitForURL((u) => u.origin === op.issuer, { waitUntil: 'commit' }), page.locator('body > button').click()]);
    await loginAtOp(page, { until: (u) => u.origin === rp.origin });
    await page.waitForURL(`${rp.origin}/`);
    // "Sign out" is shown only when getAccessToken() gave a token.
    await page.locator('body > button', { hasText: 'Sign out' }).waitFor({ timeout: 15_000 });
    assert.equal(op.events.tokenCounts.authorization_code, 1);
    assert.equal(page.url(), `${rp.origin}/`, 'the response is gone from the address bar');

    // Sign out: the OP gets a state, and the return with it is accepted.
    await Promise.all([page.waitForURL((u) => u.href.startsWith(`${op.issuer}/session/end`)), page.locator('body > button').click()]);
    await confirmLogoutAtOp(page);
    await page.waitForURL((u) => u.origin === rp.origin, { waitUntil: 'commit' });
    const sent = op.events.endSessions.at(-1);
    assert.match(sent?.state ?? '', /^[\w-]{16,}$/);
    await page.locator('body > button', { hasText: 'Sign in' }).waitFor({ timeout: 15_000 });
    assert.equal(page.url(), `${rp.origin}/`, 'the spent state is gone from the address bar');
    assert.deepEqual(warnings, [], 'the logout return was accepted');

    // The same return again is spent: handleSignoutCallback rejects it, so it was checked.
    await page.goto(`${rp.origin}/?state=${sent.state}`);
    assert.equal(await button(page), 'Sign in');
    assert.equal(page.url(), `${rp.origin}/`);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /^back from the OP: state_mismatch /);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('the quick start hands every shape of return to the SDK: query, fragment, form_post, logout', async () => {
  const { context, page, errors, warnings } = await open();
  try {
    const shapes = [
      ['?code=c&state=forged', 'state_mismatch'], // query
      ['?error=access_denied&state=forged', 'state_mismatch'], // an error in the query
      ['#code=c&state=forged', 'state_mismatch'], // fragment
      ['?oidc_form_post=none', null], // form_post, through the service worker (here: none)
      ['?state=forged', 'state_mismatch'], // the logout return
    ];
    for (const [suffix, code] of shapes) {
      warnings.length = 0;
      // From another document: a fragment alone would navigate within the page, not load it.
      await page.goto('about:blank');
      await page.goto(`${rp.origin}/${suffix}`);
      assert.equal(await button(page), 'Sign in', suffix);
      assert.equal(page.url(), `${rp.origin}/`, `${suffix}: a spent return leaves the address bar`);
      assert.equal(warnings.length, 1, `${suffix}: ${warnings.join(' | ')}`);
      if (code) assert.match(warnings[0], new RegExp(`^back from the OP: ${code} `), suffix);
      else assert.match(warnings[0], /^back from the OP: \w+ /, suffix);
    }
    // A visit without a return asks the SDK nothing.
    warnings.length = 0;
    await page.goto(`${rp.origin}/?page=2`);
    assert.equal(await button(page), 'Sign in');
    assert.deepEqual(warnings, []);
    assert.equal(page.url(), `${rp.origin}/?page=2`, "the app's own query stays");
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("isOidcError recognises the SDK's errors, not any Error with a code", async () => {
  const { context, page, errors } = await open();
  try {
    await page.goto(`${rp.origin}/`);
    await button(page);
    const seen = await page.evaluate(async () => {
      const { OidcClient, isOidcError } = await import('oidc-rp-wasm');
      const foreign = Object.assign(new Error('Network Error'), { code: 'ERR_NETWORK', name: 'OidcError' });
      const own = await OidcClient.create(/** @type {any} */ ({ issuer: 'not a url' })).catch((e) => e);
      return {
        foreign: isOidcError(foreign),
        ownCode: own.code,
        own: isOidcError(own),
        ownWithCode: isOidcError(own, own.code),
        copy: isOidcError({ ...own, code: own.code }),
      };
    });
    assert.deepEqual(seen, { foreign: false, ownCode: 'invalid_config', own: true, ownWithCode: true, copy: false });
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
