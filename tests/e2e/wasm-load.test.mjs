// Loading the WebAssembly module (issue #11): every way it can fail rejects create() with an
// OidcError of code `wasm_load` whose reason names the step and whose message names the fix, a
// failed load is retried by the next call, and init() takes the module from wherever the app
// says (a URL, a Response, bytes, a compiled WebAssembly.Module), once. A client loads the module
// its configuration needs: the one with DPoP only for `dpop: true`. The pages import the
// built pkg/ (/oidc-rp-wasm/index.js) with no bundler; the test's static server plays the
// misconfigured host (a Content-Security-Policy, a 404 or an HTML fallback for the .wasm).

import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ROOT } from './lib/sdk.mjs';
import { startOp } from './lib/op.mjs';
import { startStatic } from './lib/static.mjs';
import { launchBrowser, newContext } from './lib/browser.mjs';

const DEFAULT_WASM = '/oidc-rp-wasm/oidc_rp_wasm_bg.wasm';
const DPOP_WASM = '/oidc-rp-wasm/oidc_rp_wasm_dpop_bg.wasm';
const MOVED_WASM = '/static/app.wasm';
const PRELOAD =
  `<link rel="preload" href="${MOVED_WASM}" as="fetch" type="application/wasm" crossorigin>`;

let work, site, op, browser, context, wasmBytes;
/**
 * What the host does this test: { csp, callbackCsp (of silent-callback.html), wasm: 'ok' | 404 |
 * 'html' | 'octet-stream' } (the moved file is always served).
 */
let host;

before(async () => {
  wasmBytes = readFileSync(join(ROOT, 'pkg', 'oidc_rp_wasm_bg.wasm'));
  work = mkdtempSync(join(tmpdir(), 'oidc-rp-wasm-load-'));
  writeFileSync(join(work, 'index.html'), '<!DOCTYPE html><meta charset="utf-8"><title>blank</title><p>blank');
  writeFileSync(join(work, 'preload.html'), `<!DOCTYPE html><meta charset="utf-8"><title>preload</title>${PRELOAD}<p>preload`);
  site = await startStatic({
    root: ROOT,
    exampleDir: work,
    config: () => ({
      issuer: op.issuer,
      clientId: 'spa',
      redirectUri: `${site.origin}/`,
      silentRedirectUri: `${site.origin}/silent-callback.html`,
      silentTimeoutMs: 5000,
    }),
    headers: (path) => {
      const csp = path === '/silent-callback.html' ? host.callbackCsp : path.endsWith('.html') || path === '/' ? host.csp : null;
      return csp ? { 'content-security-policy': csp } : undefined;
    },
    respond: (path) => {
      if (path === MOVED_WASM) return { type: 'application/wasm', body: wasmBytes };
      if (path !== DEFAULT_WASM || host.wasm === 'ok') return undefined;
      if (host.wasm === 404) return { status: 404, body: 'not found' };
      if (host.wasm === 'octet-stream') return { type: 'application/octet-stream', body: wasmBytes };
      // What a single-page-app host answers for every unknown path.
      return { type: 'text/html; charset=utf-8', body: '<!DOCTYPE html><title>app</title><div id="root"></div>' };
    },
  });
  op = await startOp({ clients: [{ client_id: 'spa', redirect_uris: [`${site.origin}/`, `${site.origin}/silent-callback.html`] }] });
  browser = await launchBrowser();
  context = await newContext(browser);
});

after(async () => {
  await context?.close();
  await browser?.close();
  await op?.close();
  await site?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

beforeEach(() => {
  host = { csp: null, callbackCsp: null, wasm: 'ok' };
});

/**
 * Opens a fresh page (a fresh module instance: nothing loaded yet) at `path` and runs `body` in
 * it with the package's module `m`, the configuration and a `describe(error)` helper.
 */
async function inPage(path, body, arg) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  try {
    await page.goto(`${site.origin}${path}`);
    // A string, not a function: evaluated through the DevTools protocol, so the page's CSP (which
    // forbids eval) does not stop the test's own code, while it still governs the page's wasm.
    const result = await page.evaluate(`(async () => {
      const m = await import('/oidc-rp-wasm/index.js');
      const config = await (await fetch('/config.json')).json();
      const arg = ${JSON.stringify(arg ?? null)};
      const describe = (e) => ({
        name: e?.name,
        code: e?.code,
        reason: e?.reason,
        field: e?.field,
        message: String(e?.message ?? e),
        isError: e instanceof Error,
        isOidcError: m.isOidcError(e),
        cause: e?.cause === undefined ? undefined : { name: e.cause?.name, message: String(e.cause?.message ?? e.cause) },
      });
      const attempt = async (promise) => {
        try {
          const value = await promise;
          return value instanceof m.OidcClient ? { ok: true, value: 'client' } : value === undefined ? { ok: true } : { ok: true, value };
        } catch (e) {
          return { ok: false, error: describe(e) };
        }
      };
      ${body}
    })()`);
    assert.deepEqual(errors, [], 'no uncaught page error');
    return result;
  } finally {
    await page.close();
  }
}

const wasmRequests = (path, since) => site.requests.slice(since).filter((r) => r.path === path);

test("a CSP without 'wasm-unsafe-eval': create() rejects with wasm_load naming it; with it, create() works", async () => {
  host.csp = "script-src 'self'";
  // The page's own script has to run: evaluate() is not subject to the page's CSP, but compiling
  // WebAssembly is, whoever asks.
  const blocked = await inPage('/', 'return attempt(m.OidcClient.create(config));');
  assert.equal(blocked.ok, false);
  const e = blocked.error;
  assert.deepEqual(
    { name: e.name, code: e.code, reason: e.reason, isError: e.isError, isOidcError: e.isOidcError },
    { name: 'OidcError', code: 'wasm_load', reason: 'csp', isError: true, isOidcError: true },
  );
  assert.match(e.message, /'wasm-unsafe-eval'/);
  assert.match(e.message, /script-src/);
  assert.equal(e.cause.name, 'CompileError');

  host.csp = "script-src 'self' 'wasm-unsafe-eval'";
  const allowed = await inPage('/', 'const c = await m.OidcClient.create(config); return c.authorizeUrl();');
  assert.ok(allowed.startsWith(`${op.issuer}/auth?`));
});

test("the README's CSP: create() works, and silent sign-in in an iframe comes back through silent-callback.html and web_message", async () => {
  // As the README writes them: the app's pages, and the callback page with its script's hash.
  const readme = readFileSync(join(ROOT, 'pkg', 'README.md'), 'utf8');
  const hash = /script-src ('sha256-[A-Za-z0-9+/=]+')/.exec(readme)?.[1];
  assert.ok(hash, 'the README gives the hash of silent-callback.html');
  const opOrigin = new URL(op.issuer).origin;
  host.csp = `default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self' ${opOrigin}; frame-src 'self' ${opOrigin}`;
  host.callbackCsp = `default-src 'none'; script-src ${hash}; connect-src 'self'; frame-ancestors 'self'`;
  for (const directive of host.csp.split('; ')) assert.ok(readme.includes(directive.replace(opOrigin, 'https://id.example.com')), `the README has ${directive}`);
  assert.ok(readme.includes(host.callbackCsp), `the README has the callback page's CSP: ${host.callbackCsp}`);

  const result = await inPage(
    '/',
    `const client = await m.OidcClient.create(config);
     const query = await attempt(client.signinSilent({ responseMode: 'query' }));
     const webMessage = await attempt(client.signinSilent({ responseMode: 'web_message' }));
     return { query, webMessage };`,
  );
  // No OP session in this context: the OP answers prompt=none with login_required, which only
  // arrives if the frame, the callback page and its message got through the CSP (else: timeout).
  assert.equal(result.query.error?.code, 'login_required', JSON.stringify(result.query));
  assert.equal(result.webMessage.error?.code, 'login_required', JSON.stringify(result.webMessage));
});

test('a .wasm that 404s: wasm_load naming its URL and the fix; the next create() tries again and works', async () => {
  host.wasm = 404;
  const page = await context.newPage();
  try {
    await page.goto(`${site.origin}/`);
    const first = await page.evaluate(async () => {
      const m = await import('/oidc-rp-wasm/index.js');
      window.m = m;
      window.config = await (await fetch('/config.json')).json();
      try {
        await m.OidcClient.create(window.config);
        return null;
      } catch (e) {
        return { code: e.code, reason: e.reason, message: e.message, isOidcError: m.isOidcError(e, m.ERROR_CODES.WASM_LOAD) };
      }
    });
    assert.equal(first.code, 'wasm_load');
    assert.equal(first.isOidcError, true);
    assert.equal(first.reason, 'http_status');
    assert.ok(first.message.includes(`${site.origin}${DEFAULT_WASM}`), first.message);
    assert.match(first.message, /404/);
    assert.match(first.message, /init\(\{ module_or_path \}\)/);

    host.wasm = 'ok';
    const second = await page.evaluate(async () => {
      const client = await window.m.OidcClient.create(window.config);
      return client.authorizeUrl();
    });
    assert.ok(second.startsWith(`${op.issuer}/auth?`));
  } finally {
    await page.close();
  }
});

test('an HTML page where the .wasm should be (a SPA fallback): wasm_load, reason not_wasm', async () => {
  host.wasm = 'html';
  const result = await inPage('/', 'return attempt(m.OidcClient.create(config));');
  assert.equal(result.ok, false);
  assert.equal(result.error.code, 'wasm_load');
  assert.equal(result.error.reason, 'not_wasm');
  assert.match(result.error.message, /text\/html, an HTML page/);
  assert.ok(result.error.message.includes(`${site.origin}${DEFAULT_WASM}`));
});

test('a .wasm served as application/octet-stream (a host without the wasm type): create() still works, from its bytes', async () => {
  host.wasm = 'octet-stream';
  const since = site.requests.length;
  const result = await inPage('/', 'return attempt(m.OidcClient.create(config).then((c) => c.authorizeUrl()));');
  assert.equal(result.ok, true, JSON.stringify(result));
  assert.ok(String(result.value).includes('code_challenge='), 'the client made an authorization URL');
  assert.equal(wasmRequests(DEFAULT_WASM, since).length, 1, 'fetched once');
});

test('init() with a URL: the module comes from there, the default file is never asked for', async () => {
  host.wasm = 404;
  const since = site.requests.length;
  const url = await inPage(
    '/',
    `const ready = m.init({ module_or_path: arg });
     const client = await m.OidcClient.create(config);
     return [await ready, await client.authorizeUrl()];`,
    MOVED_WASM,
  );
  assert.equal(url[0], undefined, 'init() resolves to nothing');
  assert.ok(url[1].startsWith(`${op.issuer}/auth?`));
  assert.equal(wasmRequests(MOVED_WASM, since).length, 1);
  assert.equal(wasmRequests(DEFAULT_WASM, since).length, 0);
});

for (const [kind, make] of [
  ['a Response', 'fetch(arg)'],
  ['a promise of a Response', 'Promise.resolve(fetch(arg))'],
  ['the bytes (ArrayBuffer)', 'await (await fetch(arg)).arrayBuffer()'],
  ['the bytes (Uint8Array)', 'new Uint8Array(await (await fetch(arg)).arrayBuffer())'],
  ['a compiled WebAssembly.Module', 'await WebAssembly.compileStreaming(fetch(arg))'],
  ['a URL object', 'new URL(arg, location.href)'],
]) {
  test(`init() with ${kind}`, async () => {
    host.wasm = 404;
    const since = site.requests.length;
    const url = await inPage(
      '/',
      `await m.init({ module_or_path: ${make} });
       const client = await m.OidcClient.create(config);
       return client.authorizeUrl();`,
      MOVED_WASM,
    );
    assert.ok(url.startsWith(`${op.issuer}/auth?`));
    assert.equal(wasmRequests(DEFAULT_WASM, since).length, 0);
  });
}

test('init() comes once: the same source again shares the load, another source or a late call is invalid_config', async () => {
  host.wasm = 404;
  const result = await inPage(
    '/',
    `const a = m.init({ module_or_path: arg });
     const b = m.init({ module_or_path: new URL(arg, location.href) });
     const same = a === b;
     const other = await attempt(m.init({ module_or_path: '/elsewhere.wasm' }));
     const created = await attempt(m.OidcClient.create(config));
     const late = await attempt(m.init());
     return { same, other, created, late };`,
    MOVED_WASM,
  );
  assert.equal(result.same, true);
  assert.equal(result.other.error.code, 'invalid_config');
  assert.ok(result.other.error.message.includes(`${site.origin}${MOVED_WASM}`), result.other.error.message);
  assert.deepEqual(result.created, { ok: true, value: 'client' });
  assert.equal(result.late.error.code, 'invalid_config');
});

test('init() after the lazy load started, and with bad arguments: invalid_config; a failed init() can be redone', async () => {
  host.wasm = 404;
  const result = await inPage(
    '/',
    `const bad = {
       string: await attempt(m.init(arg)),
       unknown: await attempt(m.init({ modulePath: arg })),
       number: await attempt(m.init({ module_or_path: 42 })),
     };
     const failed = await attempt(m.init({ module_or_path: '/missing.wasm' }));
     const retried = await attempt(m.OidcClient.create(config));
     const redone = await attempt(m.init({ module_or_path: arg }));
     const created = await attempt(m.OidcClient.create(config));
     return { bad, failed, retried, redone, created };`,
    MOVED_WASM,
  );
  assert.equal(result.bad.string.error.code, 'invalid_config');
  assert.equal(result.bad.unknown.error.code, 'invalid_config');
  assert.equal(result.bad.unknown.error.field, 'modulePath');
  assert.equal(result.bad.number.error.code, 'invalid_config');
  assert.equal(result.bad.number.error.field, 'module_or_path');
  // The app's own source failed: create() retries that source, not the default file.
  assert.equal(result.failed.error.code, 'wasm_load');
  assert.ok(result.failed.error.message.includes(`${site.origin}/missing.wasm`));
  assert.equal(result.retried.error.code, 'wasm_load');
  assert.ok(result.retried.error.message.includes(`${site.origin}/missing.wasm`));
  assert.deepEqual(result.redone, { ok: true });
  assert.deepEqual(result.created, { ok: true, value: 'client' });

  const late = await inPage(
    '/',
    `const loading = m.OidcClient.create(config);
     const init = await attempt(m.init({ module_or_path: arg }));
     return { init, created: await attempt(loading) };`,
    MOVED_WASM,
  );
  assert.equal(late.init.error.code, 'invalid_config');
  assert.match(late.init.error.message, /before the first OidcClient\.create\(\)/);
  // The lazy load went on with the default file, which 404s here.
  assert.equal(late.created.error.reason, 'http_status');
});

test('<link rel="preload"> from the README: init() with that URL uses the preloaded file, fetched once', async () => {
  const since = site.requests.length;
  const page = await context.newPage();
  const warnings = [];
  page.on('console', (m) => warnings.push(m.text()));
  try {
    await page.goto(`${site.origin}/preload.html`);
    // The preload has been answered before the module asks for the file.
    await page.waitForFunction(() => performance.getEntriesByType('resource').some((r) => r.name.endsWith('/static/app.wasm') && r.responseEnd > 0));
    const url = await page.evaluate(async (wasm) => {
      const m = await import('/oidc-rp-wasm/index.js');
      m.init({ module_or_path: wasm });
      const client = await m.OidcClient.create(await (await fetch('/config.json')).json());
      return client.authorizeUrl();
    }, MOVED_WASM);
    assert.ok(url.startsWith(`${op.issuer}/auth?`));
  } finally {
    await page.close();
  }
  assert.equal(wasmRequests(MOVED_WASM, since).length, 1, 'one request: the preload, reused by init()');
  assert.deepEqual(warnings.filter((w) => /preload/i.test(w)), [], 'no "preloaded but not used" warning');
});

/** Runs `body` (with `m` and `config`) in a fresh page; returns its result and the paths of the
 * .wasm files the page requested, in order, as the browser saw them. */
async function watchingWasm(body) {
  const page = await context.newPage();
  const wasm = [];
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.endsWith('.wasm')) wasm.push(path);
  });
  try {
    await page.goto(`${site.origin}/`);
    const result = await page.evaluate(`(async () => {
      const m = await import('/oidc-rp-wasm/index.js');
      const config = await (await fetch('/config.json')).json();
      ${body}
    })()`);
    return { wasm, result };
  } finally {
    await page.close();
  }
}

test('dpop: false loads only oidc_rp_wasm_bg.wasm, dpop: true only oidc_rp_wasm_dpop_bg.wasm; two clients in a page each use their own', async () => {
  // A proof (three parts) from a client with DPoP; invalid_config from one without.
  const proof = `await c.dpopProof('GET', 'https://api.example.com/').then((p) => p.split('.').length === 3, (e) => e.code)`;
  const off = await watchingWasm(`const c = await m.OidcClient.create(config); return ${proof};`);
  assert.deepEqual(off, { wasm: [DEFAULT_WASM], result: 'invalid_config' });
  const on = await watchingWasm(`const c = await m.OidcClient.create({ ...config, dpop: true }); return ${proof};`);
  assert.deepEqual(on, { wasm: [DPOP_WASM], result: true });
  const both = await watchingWasm(
    `const made = await Promise.all([m.OidcClient.create(config), m.OidcClient.create({ ...config, dpop: true })]);
     const has = [];
     for (const c of made) has.push(${proof});
     made[0].dispose();
     // The other client's module still serves it.
     const c = made[1];
     has.push(${proof});
     return has;`,
  );
  assert.deepEqual(both.wasm.toSorted(), [DEFAULT_WASM, DPOP_WASM]);
  assert.deepEqual(both.result, ['invalid_config', true, true]);
});

test('init() with oidc_rp_wasm_bg.wasm serves every client: dpop: true is invalid_config naming the DPoP file; with the DPoP file both work', async () => {
  const base = await watchingWasm(
    `await m.init({ module_or_path: '${DEFAULT_WASM}' });
     try {
       await m.OidcClient.create({ ...config, dpop: true });
       return null;
     } catch (e) {
       return { code: e.code, field: e.field, message: e.message };
     }`,
  );
  assert.deepEqual(base.wasm, [DEFAULT_WASM]);
  assert.equal(base.result?.code, 'invalid_config');
  assert.equal(base.result.field, 'dpop');
  assert.match(base.result.message, /oidc_rp_wasm_dpop_bg\.wasm/);

  const dpop = await watchingWasm(
    `await m.init({ module_or_path: '${DPOP_WASM}' });
     const proof = (c) => c.dpopProof('GET', 'https://api.example.com/').then((p) => p.split('.').length === 3, (e) => e.code);
     const plain = await m.OidcClient.create(config);
     const bound = await m.OidcClient.create({ ...config, dpop: true });
     return [await proof(plain), await proof(bound)];`,
  );
  assert.deepEqual(dpop, { wasm: [DPOP_WASM], result: ['invalid_config', true] });
});
