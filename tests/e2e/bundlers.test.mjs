// The package in every toolchain (issue #11): the `npm pack` tarball installed into the apps of
// bundlers/, each built with exactly the configuration the package's README gives for its
// bundler (bundlers/package.json has the commands), served as static files (or by Vite's dev
// server), loaded in Chromium and signed in at the real OP through OidcClient.create(). Two more
// builds use esbuild with none of the README's configuration and must fail with a typed,
// explained `wasm_load` error instead of an untyped one.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ROOT } from './lib/sdk.mjs';
import { startOp } from './lib/op.mjs';
import { startStatic } from './lib/static.mjs';
import { launchBrowser, newContext, loginAtOp } from './lib/browser.mjs';
import { packPkg, installTarball } from './lib/pack.mjs';

const HERE = join(ROOT, 'tests', 'e2e', 'bundlers');

/**
 * The rows: `build` is the npm script of bundlers/package.json, `site` the folder served, `wasm`
 * the URL path the module must come from (a hashed file of the build's output); `dpop`: the build
 * also emits the module with DPoP (the bundlers that follow `new URL(..., import.meta.url)`).
 */
const ROWS = {
  vite: { build: 'build:vite', site: 'vite/dist', wasm: /^\/assets\/oidc_rp_wasm_bg-[\w-]+\.wasm$/, dpop: true },
  'vite-dev': { dev: true, site: 'vite' },
  webpack: { build: 'build:webpack', site: 'webpack', wasm: /^\/dist\/[0-9a-f]{16,}\.wasm$/, dpop: true },
  esbuild: { build: 'build:esbuild', site: 'esbuild', wasm: /^\/dist\/oidc_rp_wasm_bg-\w+\.wasm$/ },
  'esbuild-iife': { build: 'build:esbuild-iife', site: 'esbuild-iife', wasm: /^\/dist\/oidc_rp_wasm_bg-\w+\.wasm$/ },
  rollup: { build: 'build:rollup', site: 'rollup', wasm: /^\/dist\/assets\/oidc_rp_wasm_bg-[\w-]+\.wasm$/, dpop: true },
  'unconfigured-esm': { build: 'build:unconfigured-esm', site: 'unconfigured', page: '/esm.html' },
  'unconfigured-iife': { build: 'build:unconfigured-iife', site: 'unconfigured', page: '/iife.html' },
};

let work, op, browser;
const sites = {};

/** bundlers/node_modules as scripts/setup.sh makes it: `npm ci` when missing or older than the lock. */
function ensureInstalled() {
  const modules = join(HERE, 'node_modules');
  const lock = join(HERE, 'package-lock.json');
  if (existsSync(join(modules, '.bin', 'vite')) && statSync(lock).mtimeMs <= statSync(modules).mtimeMs) return;
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: HERE, stdio: 'inherit' });
  const now = new Date();
  utimesSync(modules, now, now);
}

function npmRun(script) {
  try {
    return execFileSync('npm', ['run', '--silent', script], { cwd: HERE, encoding: 'utf8', stdio: 'pipe' });
  } catch (err) {
    throw new Error(`npm run ${script} failed:\n${err.stdout}\n${err.stderr}`);
  }
}

function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

/** `vite` (the dev server) in bundlers/vite on `port`; resolves once it listens. */
function startViteDev(port) {
  const child = spawn(join(HERE, 'node_modules', '.bin', 'vite'), ['--host', '127.0.0.1', '--port', String(port), '--strictPort'], {
    cwd: join(HERE, 'vite'),
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => {
      // Stop it, or the test process would wait for it forever.
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {}
      fail(new Error(`vite dev did not start:\n${output}`));
    }, 30_000);
    const onData = (chunk) => {
      output += chunk;
      // With CI set, Vite colours its banner even into a pipe: match the text without ANSI codes.
      // eslint-disable-next-line no-control-regex
      if (output.replace(/\x1b\[[0-9;]*m/g, '').includes(`127.0.0.1:${port}`)) {
        clearTimeout(timer);
        ok({
          output: () => output,
          close: () =>
            new Promise((done) => {
              if (child.exitCode !== null) return done();
              child.once('exit', done);
              process.kill(-child.pid, 'SIGTERM');
            }),
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`vite dev exited (${code}):\n${output}`));
    });
  });
}

before(async () => {
  ensureInstalled();
  work = mkdtempSync(join(tmpdir(), 'oidc-rp-wasm-bundlers-'));
  const { tarball } = packPkg(work);
  installTarball(tarball, HERE);
  for (const app of new Set(Object.values(ROWS).map((r) => r.site.split('/')[0]))) {
    rmSync(join(HERE, app, 'dist'), { recursive: true, force: true });
  }
  // Vite's dev server keeps pre-bundled dependencies in node_modules/.vite, keyed by the lock
  // file, not by the package's content: drop them so that the new package is the one served.
  rmSync(join(HERE, 'vite', 'node_modules', '.vite'), { recursive: true, force: true });
  rmSync(join(HERE, 'node_modules', '.vite'), { recursive: true, force: true });

  // Every row is its own origin; the OP needs their redirect URIs before it starts.
  for (const [name, row] of Object.entries(ROWS)) {
    if (row.dev) {
      const port = await freePort();
      sites[name] = { origin: `http://127.0.0.1:${port}`, port, requests: [] };
    } else {
      sites[name] = await startStatic({ root: ROOT, exampleDir: join(HERE, row.site), packageRoutes: false });
    }
  }
  const origins = Object.values(sites).map((s) => `${s.origin}/`);
  op = await startOp({ clients: [{ client_id: 'spa', redirect_uris: origins, post_logout_redirect_uris: origins }] });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await op?.close();
  for (const site of Object.values(sites)) await site.close?.();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Opens `path` of the row's site in `context` and waits for the app's window.result. */
async function openApp(context, name, path = '/') {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e.stack ?? e)));
  await page.goto(new URL(path, sites[name].origin).href);
  await page.waitForFunction(() => window.result !== undefined, null, { timeout: 30_000 });
  return { page, errors, result: await page.evaluate(() => window.result) };
}

async function inBrowser(body) {
  const context = await newContext(browser);
  await context.addInitScript((issuer) => {
    window.E2E_ISSUER = issuer;
  }, op.issuer);
  try {
    return await body(context);
  } finally {
    await context.close();
  }
}

/** Whether the build output in `dir` has the package's module with DPoP (by its bytes: bundlers
 * rename files). */
function emitsDpopModule(dir) {
  const dpop = readFileSync(join(ROOT, 'pkg', 'oidc_rp_wasm_dpop_bg.wasm'));
  return readdirSync(dir, { recursive: true })
    .filter((f) => f.endsWith('.wasm') && !f.includes('node_modules'))
    .some((f) => readFileSync(join(dir, f)).equals(dpop));
}

/** Builds the row, signs in through its app, and checks where the wasm came from. */
async function signInWith(name, { signOut = false } = {}) {
  const row = ROWS[name];
  if (row.build) npmRun(row.build);
  if (row.dpop) assert.ok(emitsDpopModule(join(HERE, row.site)), `${name} emitted oidc_rp_wasm_dpop_bg.wasm too`);
  const site = sites[name];
  const first = site.requests.length;
  await inBrowser(async (context) => {
    const { page, errors, result } = await openApp(context, name);
    assert.deepEqual(errors, [], 'no uncaught page error');
    assert.equal(result.error, undefined, `create() and authorizeUrl() worked: ${JSON.stringify(result.error)}`);
    const authorize = new URL(result.authorizeUrl);
    assert.equal(`${authorize.origin}${authorize.pathname}`, `${op.issuer}/auth`);

    // The user at the OP, then back in the app, which completes the sign-in.
    await page.goto(result.authorizeUrl);
    await loginAtOp(page, { until: (u) => u.origin === site.origin });
    await page.waitForFunction(() => window.result !== undefined, null, { timeout: 30_000 });
    const back = await page.evaluate(() => window.result);
    assert.deepEqual(back, { subject: 'ana@example.com' });
    assert.deepEqual(errors, []);

    if (signOut) {
      // signoutRedirect ends the local session with signedOut { reason: "signout" } before it
      // leaves for the OP; the handler writes it where it outlives the page.
      await page.evaluate(() => {
        window.client.on('signedOut', (detail) => sessionStorage.setItem('signedOut', JSON.stringify(detail)));
      });
      await Promise.all([
        page.waitForURL((u) => u.href.startsWith(`${op.issuer}/session/end`)),
        page.evaluate(() => window.client.signoutRedirect()),
      ]);
      await page.goto(`${site.origin}/`);
      await page.waitForFunction(() => window.result !== undefined);
      assert.deepEqual(JSON.parse(await page.evaluate(() => sessionStorage.getItem('signedOut'))), { reason: 'signout' });
    }
  });
  if (row.wasm) {
    const wasm = site.requests.slice(first).filter((r) => r.path.endsWith('.wasm'));
    assert.ok(wasm.length >= 1 && wasm.every((r) => r.status === 200 && row.wasm.test(r.path)), `the module came from the build: ${JSON.stringify(wasm)}`);
  }
}

test('Vite (production build): no configuration', () => signInWith('vite', { signOut: true }));

test('Vite (dev server): no configuration', async () => {
  const dev = await startViteDev(sites['vite-dev'].port);
  try {
    await signInWith('vite-dev');
  } catch (err) {
    console.error(dev.output());
    throw err;
  } finally {
    await dev.close();
  }
});

test('webpack 5: no configuration file', () => signInWith('webpack'));

test("esbuild --format=esm: --loader:.wasm=file and the README's init() line", () => signInWith('esbuild'));

test('esbuild --format=iife: --loader:.wasm=file --public-path and init({ module_or_path: wasmUrl })', () =>
  signInWith('esbuild-iife'));

test('Rollup 4: node-resolve and importMetaAssets()', () => signInWith('rollup'));

/** Builds an unconfigured row and returns the error its page got from create(). */
async function loadFailure(name) {
  npmRun(ROWS[name].build);
  return inBrowser(async (context) => {
    const { errors, result } = await openApp(context, name, ROWS[name].page);
    assert.deepEqual(errors, []);
    assert.ok(result.error, 'create() rejected');
    return result.error;
  });
}

test('esbuild ESM without the configuration: create() rejects with wasm_load naming the missing file', async () => {
  const error = await loadFailure('unconfigured-esm');
  assert.equal(error.code, 'wasm_load');
  assert.equal(error.isOidcError, true);
  assert.equal(error.reason, 'http_status');
  assert.ok(error.message.includes(`${sites['unconfigured-esm'].origin}/dist/esm/oidc_rp_wasm_bg.wasm`), error.message);
  assert.match(error.message, /404/);
  assert.match(error.message, /init\(\{ module_or_path \}\)/);
});

test('esbuild IIFE without the configuration: create() rejects with wasm_load, reason locate', async () => {
  const error = await loadFailure('unconfigured-iife');
  assert.equal(error.code, 'wasm_load');
  assert.equal(error.isOidcError, true);
  assert.equal(error.reason, 'locate');
  assert.match(error.message, /import\.meta\.url/);
  assert.match(error.message, /init\(\{ module_or_path \}\)/);
});
