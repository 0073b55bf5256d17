// The npm package as it would be published: `npm pack` of pkg/, unpacked into a site's
// node_modules, imported by a plain <script type="module"> page with no import map and no
// bundler (issue #3: "npm pack of pkg/ works; the package imports in a plain module page").

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ROOT } from './lib/sdk.mjs';
import { startOp } from './lib/op.mjs';
import { startStatic } from './lib/static.mjs';
import { launchBrowser, newContext } from './lib/browser.mjs';

const SHIPPED = [
  'package.json', 'README.md', 'index.js', 'index.d.ts', 'oidc_rp_wasm_bg.wasm', 'oidc_rp_wasm_dpop_bg.wasm',
  'form-post.js', 'form-post.d.ts', 'form-post-sw.js', 'silent-callback.html', 'wasm-url.d.ts',
];

let work, site, files, app, op, browser;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'oidc-rp-wasm-pack-'));
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: join(ROOT, 'pkg') });
  const [packed] = JSON.parse(out.toString());
  files = packed.files.map((f) => f.path);
  site = join(work, 'site');
  const installed = join(site, 'node_modules', 'oidc-rp-wasm');
  mkdirSync(installed, { recursive: true });
  execFileSync('tar', ['-xzf', join(work, packed.filename), '-C', installed, '--strip-components=1']);
  writeFileSync(
    join(site, 'index.html'),
    `<!DOCTYPE html><meta charset="utf-8"><title>plain module page</title>
<script type="module">
  import { OidcClient, isOidcError } from "./node_modules/oidc-rp-wasm/index.js";
  const config = await (await fetch("./config.json")).json();
  const result = {};
  try {
    await OidcClient.create({ ...config, clientId: "" });
  } catch (e) {
    result.badConfig = { code: e.code, isOidcError: isOidcError(e, "invalid_config"), message: e.message };
  }
  const client = await OidcClient.create(config);
  result.isInstance = client instanceof OidcClient;
  result.authorizeUrl = await client.authorizeUrl({ loginHint: "ana@example.com" });
  result.session = client.session;
  window.result = result;
</script>`,
  );
  app = await startStatic({ root: ROOT, exampleDir: site, config: () => ({}) });
  op = await startOp({ clients: [{ client_id: 'spa', redirect_uris: [`${app.origin}/`] }] });
  app.setConfig({ issuer: op.issuer, clientId: 'spa', redirectUri: `${app.origin}/` });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await op?.close();
  await app?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('npm pack ships the module, the wasm, the types, the service worker and the callback page', () => {
  for (const file of SHIPPED) assert.ok(files.includes(file), `${file} is in the tarball (has: ${files.join(', ')})`);
  const manifest = JSON.parse(readFileSync(join(site, 'node_modules', 'oidc-rp-wasm', 'package.json'), 'utf8'));
  assert.equal(manifest.name, 'oidc-rp-wasm');
  assert.notEqual(manifest.version, '0.0.0-template', 'the build put the crate version in');
  assert.equal(manifest.type, 'module');
});

test('a plain <script type="module"> page imports the unpacked package and uses it', async () => {
  const context = await newContext(browser);
  try {
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${app.origin}/`);
    await page.waitForFunction(() => window.result !== undefined || false, null, { timeout: 15_000 });
    const result = await page.evaluate(() => window.result);
    assert.deepEqual(errors, []);
    assert.equal(result.badConfig.code, 'invalid_config');
    assert.equal(result.badConfig.isOidcError, true);
    assert.match(result.badConfig.message, /clientId/);
    assert.equal(result.isInstance, true);
    assert.equal(result.session, null);
    const url = new URL(result.authorizeUrl);
    assert.equal(`${url.origin}${url.pathname}`, `${op.issuer}/auth`);
    assert.equal(url.searchParams.get('client_id'), 'spa');
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(url.searchParams.get('login_hint'), 'ana@example.com');
  } finally {
    await context.close();
  }
});
