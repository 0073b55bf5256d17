// The React binding on a server (issue #17): renderToString (react-dom/server) of <OidcProvider>,
// useOidc(), <RequireAuth> and withAuthenticationRequired in plain Node, with the `npm pack`
// tarball installed in a project's node_modules and imported by name (`oidc-rp-wasm/react`), next
// to the React 19 of examples/react. The render must show the loading state, create no client,
// fetch nothing and touch none of the browser's globals (ssr/react-render.mjs traps them).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ROOT } from './lib/sdk.mjs';
import { packPkg, installTarball } from './lib/pack.mjs';

const EXAMPLE = join(ROOT, 'examples', 'react');
let work, project;

before(() => {
  // React comes from examples/react (scripts/setup.sh installs it; `npm ci` here when it did not).
  const modules = join(EXAMPLE, 'node_modules');
  if (!existsSync(join(modules, 'react-dom')) || statSync(join(EXAMPLE, 'package-lock.json')).mtimeMs > statSync(modules).mtimeMs) {
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: EXAMPLE, stdio: 'inherit' });
    const now = new Date();
    utimesSync(modules, now, now);
  }
  work = mkdtempSync(join(tmpdir(), 'oidc-rp-wasm-react-ssr-'));
  const { tarball } = packPkg(work);
  project = join(work, 'app');
  installTarball(tarball, project);
  for (const name of ['react', 'react-dom', 'scheduler']) symlinkSync(join(modules, name), join(project, 'node_modules', name), 'dir');
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'react-ssr-app', private: true, type: 'module' }));
  copyFileSync(join(ROOT, 'tests', 'e2e', 'ssr', 'react-render.mjs'), join(project, 'render.mjs'));
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const NODES = [process.execPath, ...(existsSync('/usr/bin/node') ? ['/usr/bin/node'] : [])];

for (const node of NODES) {
  test(`Node ${execFileSync(node, ['--version']).toString().trim()} (${node}): renderToString shows the loading state and touches no browser global`, () => {
    const out = JSON.parse(execFileSync(node, ['render.mjs'], { cwd: project, encoding: 'utf8' }));
    assert.deepEqual(out.exports, ['OidcProvider', 'RequireAuth', 'useOidc', 'withAuthenticationRequired']);

    // Nothing of the binding (nor of the SDK it imports) read window, document, location, ...
    // while rendering (nor did React here).
    const ours = out.touches.filter((t) => t.stack.includes('oidc-rp-wasm'));
    assert.deepEqual(ours, [], 'the binding touched no browser global while rendering');
    assert.deepEqual(out.touches, [], 'nothing touched a browser global while rendering');
    assert.equal(out.fetches, 0, 'no request (OidcClient.create() would fetch the discovery document)');

    // The loading state, with both ways of giving the client; <RequireAuth> shows its fallback.
    for (const html of [out.withConfig, out.withClient]) {
      assert.match(html, /<p id="status">loading<\/p>/);
      assert.match(html, /<p id="fallback">signing in<\/p>/);
      assert.match(html, /<p id="hoc-fallback">checking the session<\/p>/);
      assert.doesNotMatch(html, /protected-page|account-page/);
    }
    assert.ok(out.seen.length >= 2);
    for (const state of out.seen) {
      assert.deepEqual(state, { isLoading: true, isAuthenticated: false, session: null, client: null, error: null });
    }
    // A method called on the server rejects with the SDK's `unsupported` instead of waiting forever.
    assert.deepEqual(out.early, { name: 'OidcError', code: 'unsupported' });
    assert.match(out.outside, /inside an <OidcProvider>/);
  });
}

test('the binding is a separate entry: index.js does not import it, and React is an optional peer', () => {
  const installed = join(project, 'node_modules', 'oidc-rp-wasm');
  assert.doesNotMatch(readFileSync(join(installed, 'index.js'), 'utf8'), /react/i);
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
  assert.deepEqual(manifest.exports['./react'], { types: './react.d.ts', import: './react.js', default: './react.js' });
  assert.deepEqual(manifest.peerDependencies, { react: '>=18' });
  assert.deepEqual(manifest.peerDependenciesMeta, { react: { optional: true } });
  for (const file of ['react.js', 'react.d.ts']) assert.ok(manifest.files.includes(file), `${file} is shipped`);
});
