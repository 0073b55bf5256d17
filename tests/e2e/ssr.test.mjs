// The package on a server (issue #11): server-side rendering imports the app's modules, and with
// them oidc-rp-wasm, in Node. Importing must do nothing (no fetch, no global, no timer), and
// OidcClient.create() must reject with a typed `unsupported`, not an untyped "fetch failed".
// Plain Node, no browser: the `npm pack` tarball installed into a project's node_modules and
// imported by name, under this Node (22, from tests/e2e) and Debian's (the `engines` floor).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { packPkg, installTarball } from './lib/pack.mjs';

let work, project;

// Runs in the project: imports the package as an SSR bundle would and reports what it saw.
const PROBE = `
const globalsBefore = new Set(Object.getOwnPropertyNames(globalThis));
let fetches = 0;
const realFetch = globalThis.fetch;
globalThis.fetch = (...args) => { fetches += 1; return realFetch(...args); };
let timers = 0;
const realSetTimeout = globalThis.setTimeout;
globalThis.setTimeout = (...args) => { timers += 1; return realSetTimeout(...args); };

const m = await import("oidc-rp-wasm");
const afterImport = { fetches, timers, newGlobals: Object.getOwnPropertyNames(globalThis).filter((k) => !globalsBefore.has(k)) };

let created;
try {
  await m.OidcClient.create({ issuer: "https://id.example.com", clientId: "spa", redirectUri: "https://app.example.com/" });
  created = { ok: true };
} catch (e) {
  created = { name: e.name, code: e.code, message: e.message, isError: e instanceof Error, isOidcError: m.isOidcError(e, m.ERROR_CODES.UNSUPPORTED) };
}
const initialised = await m.init({ module_or_path: "/assets/oidc_rp_wasm_bg.wasm" });
console.log(JSON.stringify({
  node: process.version,
  exports: Object.keys(m).sort(),
  afterImport,
  created,
  init: { value: initialised === undefined ? "undefined" : typeof initialised, fetches },
  wasmLoad: m.ERROR_CODES.WASM_LOAD,
}));
`;

before(() => {
  work = mkdtempSync(join(tmpdir(), 'oidc-rp-wasm-ssr-'));
  const { tarball } = packPkg(work);
  project = join(work, 'app');
  installTarball(tarball, project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'ssr-app', private: true, type: 'module' }));
  writeFileSync(join(project, 'probe.mjs'), PROBE);
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const NODES = [process.execPath, ...(existsSync('/usr/bin/node') ? ['/usr/bin/node'] : [])];

for (const node of NODES) {
  test(`Node ${execFileSync(node, ['--version']).toString().trim()} (${node}): importing is inert; create() rejects with unsupported; init() does nothing`, () => {
    const out = JSON.parse(execFileSync(node, ['probe.mjs'], { cwd: project, encoding: 'utf8' }));
    // `_oidcError` is the React binding's way to make the SDK's own errors (typed @internal).
    assert.deepEqual(out.exports, ['ERROR_CODES', 'OidcClient', '_oidcError', 'init', 'isOidcError']);
    assert.deepEqual(out.afterImport, { fetches: 0, timers: 0, newGlobals: [] });
    assert.equal(out.created.name, 'OidcError');
    assert.equal(out.created.code, 'unsupported');
    assert.equal(out.created.isError, true);
    assert.equal(out.created.isOidcError, true);
    assert.match(out.created.message, /browser/);
    assert.deepEqual(out.init, { value: 'undefined', fetches: 0 });
    assert.equal(out.wasmLoad, 'wasm_load');
  });
}

test('package.json has an engines field this Node satisfies', () => {
  const manifest = JSON.parse(readFileSync(join(project, 'node_modules', 'oidc-rp-wasm', 'package.json'), 'utf8'));
  const floor = /^>=(\d+)$/.exec(manifest.engines?.node ?? '');
  assert.ok(floor, `engines.node is ">=N": ${JSON.stringify(manifest.engines)}`);
  for (const node of NODES) {
    const major = Number(execFileSync(node, ['-p', 'process.versions.node.split(".")[0]']).toString());
    assert.ok(major >= Number(floor[1]), `${node} is Node ${major}, engines says ${manifest.engines.node}`);
  }
});
