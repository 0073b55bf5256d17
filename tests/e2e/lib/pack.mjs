// The npm package as users get it: `npm pack` of the built pkg/, and that tarball laid into a
// project's node_modules the way `npm install <tarball>` lays it (the package has no
// dependencies and no install scripts, so unpacking it is all npm would do).

import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { ROOT } from './sdk.mjs';

/** Packs pkg/ into `dest`; returns { tarball, files } (the paths the tarball holds). */
export function packPkg(dest) {
  try {
    statSync(join(ROOT, 'pkg', 'oidc_rp_wasm_bg.wasm'));
  } catch {
    throw new Error('pkg/ is not built: run `make pkg` (scripts/build-pkg.sh) first');
  }
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dest], { cwd: join(ROOT, 'pkg') });
  const [packed] = JSON.parse(out.toString());
  return { tarball: join(dest, packed.filename), files: packed.files.map((f) => f.path) };
}

/** Unpacks `tarball` into `<project>/node_modules/oidc-rp-wasm`, replacing what was there. */
export function installTarball(tarball, project) {
  const installed = join(project, 'node_modules', 'oidc-rp-wasm');
  rmSync(installed, { recursive: true, force: true });
  mkdirSync(installed, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1']);
  return installed;
}
