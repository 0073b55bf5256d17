// 1. Shipped bytes: the peers bundled and minified by esbuild from their public entry point into
// browser ESM bundles (which the bench pages then load), ours as the files of pkg/ an app loads
// for `import { OidcClient }` (index.js, the JavaScript pump, and the wasm it fetches from next to
// itself: oidc_rp_wasm_bg.wasm with dpop off, oidc_rp_wasm_dpop_bg.wasm with dpop on). Ours is
// bundled too (`ours-bundled.js`), with both wasm files copied next to the bundle, where the
// bundle's `new URL('./oidc_rp_wasm_bg.wasm', import.meta.url)` (and the DPoP one's) finds them. Every file is
// measured raw, gzip -9 and brotli (quality 11, the maximum), each file compressed on its own as a
// server sends it; a row's total is the sum.

import { readFile, mkdir, copyFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';
import { build } from 'esbuild';

/** The esbuild options of every bundle (recorded in RESULTS.md). */
export const ESBUILD_OPTIONS = {
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  legalComments: 'none',
  logLevel: 'warning',
};

export function measure(name, bytes) {
  return {
    file: name,
    raw: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      },
    }).length,
  };
}

function row(id, label, files, note) {
  const total = { raw: 0, gzip: 0, brotli: 0 };
  for (const f of files) for (const k of Object.keys(total)) total[k] += f[k];
  return { id, label, files, total, note };
}

async function bundle(benchesDir, outDir, entry, outName, extra = {}) {
  const outfile = join(outDir, outName);
  await build({ ...ESBUILD_OPTIONS, ...extra, entryPoints: [join(benchesDir, 'entries', entry)], outfile, absWorkingDir: benchesDir });
  return outfile;
}

/**
 * Builds the bundles into `outDir` (site/dist, served to the pages) and measures every row; ours
 * from `pkgDir` (pkg/, or the copy of it the run serves). Returns { rows, bundles } where rows are
 * in display order.
 */
export async function buildAndMeasure({ pkgDir, benchesDir, outDir, versions }) {
  await mkdir(outDir, { recursive: true });
  const pkg = pkgDir;
  const file = async (path, name = basename(path)) => measure(name, await readFile(path));

  const js = await file(join(pkg, 'index.js'));
  const ourFiles = [js, await file(join(pkg, 'oidc_rp_wasm_bg.wasm'))];
  const dpopFiles = [js, await file(join(pkg, 'oidc_rp_wasm_dpop_bg.wasm'))];
  const sw = await file(join(pkg, 'form-post-sw.js'));

  const out = {
    octs: await bundle(benchesDir, outDir, 'oidc-client-ts.js', 'oidc-client-ts.js'),
    octsClient: await bundle(benchesDir, outDir, 'oidc-client-ts-client.js', 'oidc-client-ts-client.js'),
    octsDpop: await bundle(benchesDir, outDir, 'oidc-client-ts-dpop.js', 'oidc-client-ts-dpop.js'),
    o4w: await bundle(benchesDir, outDir, 'oauth4webapi.js', 'oauth4webapi.js'),
    o4wAll: await bundle(benchesDir, outDir, 'oauth4webapi-all.js', 'oauth4webapi-all.js'),
    // The entry imports the package by its name, resolved to `pkgDir` as node_modules would.
    ours: await bundle(benchesDir, outDir, 'ours-bundled.js', 'ours-bundled.js', { alias: { 'oidc-rp-wasm': join(pkg, 'index.js') } }),
  };
  // The bundle loads the wasm from next to itself, as an app that copies the files does.
  for (const name of ['oidc_rp_wasm_bg.wasm', 'oidc_rp_wasm_dpop_bg.wasm']) await copyFile(join(pkg, name), join(outDir, name));
  const wasm = ourFiles[1];

  const dpopShare = dpopFiles[1].gzip - ourFiles[1].gzip;
  const rows = [
    row('ours', `oidc-rp-wasm ${versions.ours}, dpop off: index.js + oidc_rp_wasm_bg.wasm`, ourFiles, 'as shipped in pkg/'),
    row('ours-dpop', `oidc-rp-wasm ${versions.ours} with dpop: true: index.js + oidc_rp_wasm_dpop_bg.wasm`, dpopFiles, `DPoP's share: ${dpopShare >= 0 ? '+' : ''}${dpopShare} B gzip`),
    row('ours-sw', 'oidc-rp-wasm: form-post-sw.js (only for response_mode=form_post)', [sw], 'service worker, loaded on its own'),
    row('ours-minified', 'oidc-rp-wasm, its JS through the same esbuild --minify + the wasm', [await file(out.ours, 'ours-bundled.js (esbuild)'), wasm], 'what an app bundler would ship; the `ours-bundled` lane of section 2b loads it'),
    row('oidc-client-ts', `oidc-client-ts ${versions['oidc-client-ts']}: { UserManager } (with jwt-decode)`, [await file(out.octs)], 'bundle used by the bench pages'),
    row('oidc-client-ts-dpop', `oidc-client-ts ${versions['oidc-client-ts']}: { UserManager, IndexedDbDPoPStore } (dpop on)`, [await file(out.octsDpop)], 'bundle of the DPoP lane'),
    row('oidc-client-ts-client', `oidc-client-ts ${versions['oidc-client-ts']}: { OidcClient } only`, [await file(out.octsClient)], 'reference'),
    row('oauth4webapi', `oauth4webapi ${versions.oauth4webapi}: the 15 named exports the code flow uses`, [await file(out.o4w)], 'bundle used by the bench pages'),
    row('oauth4webapi-all', `oauth4webapi ${versions.oauth4webapi}: * as oauth (every export)`, [await file(out.o4wAll)], 'reference'),
  ];
  return { rows, bundles: out };
}
