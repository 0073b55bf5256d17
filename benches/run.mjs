// `make bench` (through benches/bench.sh): oidc-rp-wasm side by side with oidc-client-ts and
// oauth4webapi, in ONE headless Chromium run against node-oidc-provider 9 on loopback, with the
// OP, static server and browser helpers of tests/e2e/lib. A benchmark, not a test: it checks
// that every timed operation did what it claims (a session for the right subject, the requests
// it should make) and fails loudly otherwise, but it asserts nothing about speed.
//
// Writes benches/sizes.json (deterministic) and benches/RESULTS.md, and prints the latter.
// Iterations are interleaved round-robin across the lanes (the starting lane rotates each
// iteration), so drift of a busy machine hits every SDK alike. All timings are taken inside the
// page with performance.now(); Node only orchestrates.
//
// Environment:
//   BENCH_QUICK=1     two iterations of everything, to try the harness; writes RESULTS.quick.md
//   BENCH_LEDGER_DIR  twiggy's JSON output, made by bench.sh; without it section 6 is skipped
//   CHROMIUM_PATH     default /usr/bin/chromium, as in tests/e2e

import { readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { startOp } from '../tests/e2e/lib/op.mjs';
import { startStatic } from '../tests/e2e/lib/static.mjs';
import { launchBrowser, newContext, loginAtOp, CHROMIUM_PATH } from '../tests/e2e/lib/browser.mjs';
import { buildAndMeasure, ESBUILD_OPTIONS } from './lib/sizes.mjs';
import { summary, minus, fmt, ratio, kb, table } from './lib/stats.mjs';
import { offlineTokens } from './lib/tokens.mjs';
import { group, readTop, moduleMap, LABELS } from './lib/ledger.mjs';

const BENCHES = dirname(fileURLToPath(import.meta.url));
const ROOT = join(BENCHES, '..');
const QUICK = process.env.BENCH_QUICK === '1';

/** Iterations per measurement (plus one untimed warm-up round each, dropped). */
const ITERATIONS = QUICK
  ? { cold: 2, callback: 2, refresh: 2, offlineRounds: 2 }
  : { cold: 15, callback: 15, refresh: 20, offlineRounds: 7 };
const WARMUP = 1;
/** Offline validation: each timed run stops at whichever comes first. */
const OFFLINE_BUDGET_MS = 300;
const OFFLINE_MAX_OPS = 200_000;
/** Every wait on the browser is bounded; so is the whole run. */
const STEP_TIMEOUT_MS = 30_000;
const RUN_TIMEOUT_MS = 15 * 60_000;

const SDK_LANES = ['ours', 'oidc-client-ts', 'oauth4webapi'];
const NETWORK_LANES = [...SDK_LANES, 'raw'];
const LABEL = { ours: 'oidc-rp-wasm (ours)', 'oidc-client-ts': 'oidc-client-ts', oauth4webapi: 'oauth4webapi', raw: 'raw fetch' };
const USER = 'ana@example.com';

const say = (...a) => console.error('[bench]', ...a);

/** `list` rotated left by `i`: iteration i starts with a different lane. */
const rotate = (list, i) => list.map((_, k) => list[(k + i) % list.length]);

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function versions() {
  const v = (dir, name) => readJson(join(dir, 'node_modules', name, 'package.json')).version;
  const e2e = join(ROOT, 'tests', 'e2e');
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']).toString().trim();
    const dirty = execFileSync('git', ['-C', ROOT, 'status', '--porcelain', '--', 'src', 'Cargo.toml', 'Cargo.lock', 'pkg-template'])
      .toString()
      .trim();
    if (dirty) commit += ' + uncommitted changes in src/';
  } catch {
    // not a git checkout: keep "unknown"
  }
  return {
    ours: readJson(join(ROOT, 'pkg', 'package.json')).version,
    oursCommit: commit,
    'oidc-client-ts': v(BENCHES, 'oidc-client-ts'),
    'jwt-decode': v(BENCHES, 'jwt-decode'),
    oauth4webapi: v(BENCHES, 'oauth4webapi'),
    esbuild: v(BENCHES, 'esbuild'),
    'oidc-provider': v(e2e, 'oidc-provider'),
    'playwright-core': v(e2e, 'playwright-core'),
    node: process.version,
  };
}

// ---- browser helpers ----

/** Records page errors and console errors of every page of `context` into `logs`. */
function watch(context, logs) {
  context.on('page', (page) => {
    page.on('pageerror', (e) => logs.push(`[pageerror ${page.url()}] ${e.stack ?? e}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().includes('ERR_BLOCKED_BY_CLIENT')) logs.push(`[console.error ${page.url()}] ${m.text()}`);
    });
  });
}

/** The page's window.benchResult once set; for a timed operation also the OP requests it made. */
async function result(page) {
  const handle = await page.waitForFunction(() => window.benchResult, null, { timeout: STEP_TIMEOUT_MS });
  return withRequests(page, await handle.jsonValue());
}

async function withRequests(page, r) {
  if (r.ok && typeof r.t0 === 'number') {
    r.opRequests = await page.evaluate(([a, b]) => window.benchRequests(a, b), [r.t0, r.t1]);
  }
  return r;
}

class BenchError extends Error {}

function check(cond, message, detail) {
  if (!cond) throw new BenchError(`${message}${detail === undefined ? '' : `: ${JSON.stringify(detail)}`}`);
}

// ---- 2. cold start ----

async function coldStart(env) {
  const out = Object.fromEntries(SDK_LANES.map((l) => [l, []]));
  for (let i = 0; i < ITERATIONS.cold + WARMUP; i += 1) {
    for (const lane of rotate(SDK_LANES, i)) {
      // A new context per run: an empty profile (no HTTP or code cache; the e2e context's
      // request routing also disables Chromium's HTTP cache).
      const context = await newContext(env.browser);
      watch(context, env.logs);
      try {
        const page = await context.newPage();
        await page.goto(`${env.rp.origin}/cold.html?sdk=${lane}`, { timeout: STEP_TIMEOUT_MS });
        const r = await result(page);
        check(r.ok, `cold start of ${lane} failed`, r.error);
        check(r.opRequests.join() === 'discovery', `cold start of ${lane}: expected one discovery request to the OP`, r.opRequests);
        if (i >= WARMUP) out[lane].push(r);
      } finally {
        await context.close();
      }
    }
  }
  return out;
}

// ---- 3. callback, 4. refresh ----

/**
 * One sign-in round trip in the lane's tab: the SDK stores its request and navigates to the OP;
 * the user (loginAtOp) signs in and consents when the OP asks (only the first time: the
 * context keeps the OP session); back on cb.html with a new code, the page times the callback.
 */
async function signinRoundTrip(env, page) {
  const previous = page.url();
  const isResponse = (u) =>
    u.origin === env.rp.origin && u.pathname === '/cb.html' && (u.searchParams.has('code') || u.searchParams.has('error')) && u.href !== previous;
  await page.evaluate(() => {
    window.benchResult = undefined;
    window.bench.startSignin();
  });
  const opPages = await loginAtOp(page, { login: USER, until: isResponse, timeout: STEP_TIMEOUT_MS });
  return { ...(await result(page)), opPages };
}

async function callbacks(env) {
  const context = await newContext(env.browser);
  watch(context, env.logs);
  const pages = {};
  for (const lane of NETWORK_LANES) {
    const page = await context.newPage();
    await page.goto(`${env.rp.origin}/cb.html?lane=${lane}`, { timeout: STEP_TIMEOUT_MS });
    const r = await result(page);
    check(r.ok && r.ready, `${lane}: the redirect URI page did not get ready`, r.error);
    pages[lane] = page;
  }
  const out = Object.fromEntries(NETWORK_LANES.map((l) => [l, []]));
  /** Which OP pages (login, consent) each sign-in showed, for the report. */
  const interactions = [];
  for (let i = 0; i < ITERATIONS.callback + WARMUP; i += 1) {
    for (const lane of rotate(NETWORK_LANES, i)) {
      const r = await signinRoundTrip(env, pages[lane]);
      interactions.push({ round: i, lane, pages: r.opPages });
      check(r.ok, `callback of ${lane} failed`, r.error);
      check(r.sub === USER && r.hasRefreshToken, `callback of ${lane}: no session for ${USER} with a refresh token`, r);
      // oidc-client-ts fetches no JWK Set (it verifies no signature); every other lane must.
      const expected = lane === 'oidc-client-ts' ? ['token'] : ['token', 'jwks'];
      check(expected.every((x) => r.opRequests.includes(x)), `callback of ${lane}: expected requests ${expected.join(' + ')}`, r.opRequests);
      if (i >= WARMUP) out[lane].push(r);
    }
  }
  return { out, pages, context, interactions };
}

async function refreshes(env, pages) {
  const out = Object.fromEntries(NETWORK_LANES.map((l) => [l, []]));
  for (let i = 0; i < ITERATIONS.refresh + WARMUP; i += 1) {
    for (const lane of rotate(NETWORK_LANES, i)) {
      const r = await withRequests(pages[lane], await pages[lane].evaluate(() => window.bench.refresh()));
      check(r.ok, `refresh of ${lane} failed`, r.error);
      check(r.sub === USER && r.hasRefreshToken && r.idToken, `refresh of ${lane}: no renewed session with a new ID token`, r);
      check(r.opRequests.includes('token'), `refresh of ${lane}: no token request`, r.opRequests);
      if (i >= WARMUP) out[lane].push(r);
    }
  }
  return out;
}

// ---- 5. offline validation ----

const OFFLINE_VARIANTS = ['webcrypto', 'o4w-claims', 'o4w-sig'];
const ALGS = ['RS256', 'ES256'];

async function offlineValidation(env, metadata) {
  const context = await newContext(env.browser);
  watch(context, env.logs);
  try {
    const page = await context.newPage();
    await page.goto(`${env.rp.origin}/offline.html`, { timeout: STEP_TIMEOUT_MS });
    await page.waitForFunction(() => window.offlineReady, null, { timeout: STEP_TIMEOUT_MS });
    const { tokens, jwks } = offlineTokens({ issuer: metadata.issuer, clientId: env.cfg.clientId });
    await page.evaluate((input) => window.offline.setup(input), { as: metadata, tokens, jwks, clientId: env.cfg.clientId });
    // Setup loaded the oauth4webapi bundle; any request the page makes from here on is a bug of
    // the harness: validation without network.
    const requests = [];
    page.on('request', (r) => requests.push(r.url()));
    const out = {};
    for (let round = 0; round < ITERATIONS.offlineRounds + WARMUP; round += 1) {
      for (const alg of ALGS) {
        for (const variant of rotate(OFFLINE_VARIANTS, round)) {
          const r = await page.evaluate(([v, a, b, m]) => window.offline.run(v, a, b, m), [variant, alg, OFFLINE_BUDGET_MS, OFFLINE_MAX_OPS]);
          if (round >= WARMUP) ((out[alg] ??= {})[variant] ??= []).push((r.ops / r.ms) * 1000);
        }
      }
    }
    check(requests.length === 0, 'the offline validation page made requests', requests);
    return out;
  } finally {
    await context.close();
  }
}

// ---- 6. ledger ----

function ledger() {
  const dir = process.env.BENCH_LEDGER_DIR;
  if (!dir) return null;
  const modules = moduleMap(join(ROOT, 'src'));
  const info = readJson(join(dir, 'info.json'));
  return {
    info,
    unopt: group(readTop(join(dir, 'top.json')), modules),
    opt: group(readTop(join(dir, 'top-opt.json')), modules),
  };
}

// ---- report ----

function machine() {
  let model = cpus()[0]?.model ?? 'unknown';
  try {
    model = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? model;
  } catch {
    // not Linux
  }
  let nproc = String(cpus().length);
  try {
    nproc = execFileSync('nproc').toString().trim();
  } catch {
    // keep os.cpus()
  }
  return { nproc, model };
}

const ms = (s) => fmt(s, 1);
const opList = (rows) => {
  const seen = new Set(rows.map((r) => r.opRequests.join(' + ') || '(none)'));
  return [...seen].join('; ');
};

function sizesSection(sizes) {
  const ours = sizes.rows.find((r) => r.id === 'ours');
  const rows = sizes.rows.map((r) => {
    const cmp = r.id === 'ours' || r.id.startsWith('ours-') ? '' : `${ratio(ours.total.gzip, r.total.gzip)} / ${ratio(ours.total.brotli, r.total.brotli)}`;
    return [r.label, String(r.total.raw), String(r.total.gzip), String(r.total.brotli), cmp, r.note];
  });
  const files = ours.files.map((f) => [`\`pkg/${f.file}\``, String(f.raw), String(f.gzip), String(f.brotli)]);
  return [
    '## 1. Shipped bytes',
    '',
    'What an app loads for `import { OidcClient }` (bytes). Each file compressed on its own (gzip -9; brotli quality 11, both with node:zlib), a row is the sum. Peers: esbuild bundles of the entries in `benches/entries/` (' +
      `esbuild ${sizes.versions.esbuild}, \`${JSON.stringify(ESBUILD_OPTIONS)}\`). The same numbers are in \`benches/sizes.json\`.`,
    '',
    table(['what', 'raw', 'gzip -9', 'brotli', 'ours/peer (gzip / brotli)', 'note'], rows),
    '',
    'Ours by file:',
    '',
    table(['file', 'raw', 'gzip -9', 'brotli'], files),
  ].join('\n');
}

function coldSection(cold) {
  const s = (lane, key) => summary(cold[lane].map((r) => r[key]));
  const over = (lane) => summary(cold[lane].map((r) => r.total - r.raw));
  const rows = SDK_LANES.map((lane) => [
    LABEL[lane],
    ms(s(lane, 'total')),
    ms(s(lane, 'importMs')),
    ms(s(lane, 'raw')),
    ms(over(lane)),
    lane === 'ours' ? '' : `${ratio(s('ours', 'total').median, s(lane, 'total').median)} / ${ratio(over('ours').median, over(lane).median)}`,
    opList(cold[lane]),
  ]);
  return [
    '## 2. Cold start',
    '',
    `Milliseconds, median (min–max) of ${ITERATIONS.cold} runs each (after ${WARMUP} dropped warm-up round), each in a new browser context (empty profile, HTTP cache off). ` +
      'From the page\'s `import()` of the SDK to the client ready for its first call; "of which import" is the module import alone (ours loads its wasm later, inside `create`); ' +
      '"raw discovery" is a bare `fetch` + `json()` of the discovery document in the same page right after; overhead = total − raw, per run.',
    '',
    table(['SDK', 'total', 'of which import', 'raw discovery', 'overhead', 'ours/peer (total / overhead)', 'requests to the OP'], rows),
  ].join('\n');
}

function networkSection(title, intro, data, { sigNote }) {
  const total = (lane) => data[lane].map((r) => r.ms);
  const over = (lane) => minus(total(lane), total('raw'));
  const rows = NETWORK_LANES.map((lane) => [
    LABEL[lane],
    ms(summary(total(lane))),
    lane === 'raw' ? '—' : ms(summary(over(lane))),
    lane === 'ours' || lane === 'raw'
      ? ''
      : `${ratio(summary(total('ours')).median, summary(total(lane)).median)} / ${ratio(summary(over('ours')).median, summary(over(lane)).median)}`,
    opList(data[lane]),
    sigNote[lane],
  ]);
  return [title, '', intro, '', table(['lane', 'total', 'overhead over raw', 'ours/peer (total / overhead)', 'requests to the OP', 'ID token signature'], rows)].join('\n');
}

function offlineSection(offline) {
  const rate = (alg, v) => fmt(summary(offline[alg][v]), 0);
  const rows = [];
  for (const alg of ALGS) {
    rows.push([alg, LABEL.ours, 'n/a for ours (no offline validation API)', '']);
    rows.push([alg, 'oidc-client-ts', 'n/a (no offline validation API; it never verifies ID token signatures)', '']);
    rows.push([alg, 'oauth4webapi: processAuthorizationCodeResponse', rate(alg, 'o4w-claims'), '**claims only, signature NOT verified**']);
    rows.push([alg, 'oauth4webapi: + validateApplicationLevelSignature', rate(alg, 'o4w-sig'), 'claims and signature (JWK Set cache pre-filled)']);
    rows.push([alg, 'WebCrypto `crypto.subtle.verify` alone', rate(alg, 'webcrypto'), 'reference floor, not an SDK: signature only']);
  }
  return [
    '## 5. ID token validations per second (no network)',
    '',
    `Validations per second, median (min–max) of ${ITERATIONS.offlineRounds} timed runs of up to ${OFFLINE_BUDGET_MS} ms each (one validation at a time, each awaited; runs interleaved across variants). ` +
      'The ID tokens (iss, sub, aud, exp, iat, auth_time, nonce) are signed in Node with fresh RS256 (2048-bit) and ES256 keys for the run\'s issuer and client; the token response is an in-memory `Response`; the page makes no request (checked).',
    '',
    table(['alg', 'what', 'validations/s', 'checks'], rows),
  ].join('\n');
}

function ledgerSection(l) {
  if (!l) return '## 6. Size ledger\n\nSkipped: BENCH_LEDGER_DIR not set (run through `make bench`).';
  const k = (b) => kb(b);
  const crates = new Set([...l.unopt.byCrate.keys(), ...l.opt.byCrate.keys()]);
  // Largest first by the optimised size; the custom sections (not shipped) last.
  const crateRows = [...crates]
    .filter((c) => c !== LABELS.NOT_SHIPPED)
    .map((c) => [c, l.unopt.byCrate.get(c) ?? 0, l.opt.byCrate.get(c) ?? 0])
    .sort((a, b) => b[2] - a[2] || b[1] - a[1]);
  const TOP = 14;
  const shown = crateRows.slice(0, TOP);
  const rest = crateRows.slice(TOP);
  const crateTable = shown.map(([c, u, o]) => [c.startsWith('(') ? c : `\`${c}\``, k(u), k(o)]);
  if (rest.length) {
    crateTable.push([`${rest.length} more groups (${rest.map((r) => r[0]).join(', ')})`, k(rest.reduce((a, r) => a + r[1], 0)), k(rest.reduce((a, r) => a + r[2], 0))]);
  }
  crateTable.push(['**total without custom sections**', k(l.unopt.total - l.unopt.notShipped), k(l.opt.total - l.opt.notShipped)]);
  crateTable.push([LABELS.NOT_SHIPPED, k(l.unopt.notShipped), k(l.opt.notShipped)]);
  crateTable.push(['**total of the file**', k(l.unopt.total), k(l.opt.total)]);

  const mods = new Set([...l.unopt.byModule.keys(), ...l.opt.byModule.keys()]);
  const zero = { own: 0, generic: 0 };
  const all = [...mods]
    .map((m) => [m, l.unopt.byModule.get(m) ?? zero, l.opt.byModule.get(m) ?? zero])
    .sort((a, b) => b[2].own - a[2].own || b[1].own - a[1].own);
  // Modules of 1 KB or more in either column one by one; the small ones on one line.
  const big = all.filter(([, u, o]) => Math.max(u.own, o.own) >= 1024);
  const small = all.filter(([, u, o]) => Math.max(u.own, o.own) < 1024);
  const sum = (rows, col, key) => rows.reduce((a, r) => a + r[col][key], 0);
  const modRows = big.map(([m, u, o]) => [`\`${m}\``, k(u.own), k(o.own), k(o.generic)]);
  if (small.length) {
    const names = small.map(([m]) => m.replace(/^src\//, '')).join(', ');
    modRows.push([`${small.length} modules under 1 KB each (${names})`, k(sum(small, 1, 'own')), k(sum(small, 2, 'own')), k(sum(small, 2, 'generic'))]);
  }
  const subtotal = (label, test) => {
    const rows = all.filter(([m]) => test(m));
    modRows.push([label, k(sum(rows, 1, 'own')), k(sum(rows, 2, 'own')), k(sum(rows, 2, 'generic'))]);
  };
  subtotal('*`src/core/` (flows included)*', (m) => m.startsWith('src/core/'));
  subtotal('*of which `src/core/flow/`*', (m) => m.startsWith('src/core/flow/'));
  subtotal('*`src/web/`*', (m) => m.startsWith('src/web/'));
  subtotal('*`src/error.rs`, `src/lib.rs`*', (m) => m === 'src/error.rs' || m === 'src/lib.rs');
  subtotal('**all of ours**', () => true);
  const { info } = l;
  return [
    '## 6. Size ledger',
    '',
    `twiggy ${info.twiggy} \`top\` (every item, shallow sizes) of the release wasm built by \`cargo build --release --lib --target wasm32-unknown-unknown\` and put through wasm-bindgen ${info.wasmBindgen} without \`--remove-name-section\` ` +
      `(${info.unoptBytes} bytes); second column: the same file through \`wasm-opt ${info.wasmOptFlags}\` (scripts/build-pkg.sh's flags, \`-g\` for \`--strip-debug\`: names kept; ${info.optBytes} bytes), the closest named view of what ships ` +
      `(the shipped \`pkg/oidc_rp_wasm_bg.wasm\` is ${info.shippedBytes} bytes, about that file without its custom sections). KB = 1024 bytes. ` +
      'wasm-opt inlines: a module whose functions were all inlined shows 0 in the second column, its code counted in its callers. Attribution rules: `benches/lib/ledger.mjs`.',
    '',
    'By crate:',
    '',
    table(['crate', 'KB (wasm-bindgen output)', 'KB (after wasm-opt -Oz)'], crateTable),
    '',
    'Ours by module (items whose path starts in the module; the last column is code of other crates instantiated for the module\'s types, e.g. `drop_in_place<oidc_rp_wasm::…>`, already counted under those crates above):',
    '',
    table(['module', 'KB (wasm-bindgen output)', 'KB (after wasm-opt -Oz)', 'KB of generics naming it (after wasm-opt)'], modRows),
  ].join('\n');
}

function report({ startedAt, v, mach, chromium, sizes, cold, cb, cbInteractions, refresh, offline, led, phases }) {
  const shown = cbInteractions.filter((x) => x.pages.length > 0);
  const shownText = `on ${shown.length} of ${cbInteractions.length} sign-ins${shown.length ? ` (${shown
    .map((x) => `round ${x.round}${x.round < WARMUP ? ', warm-up' : ''}, lane ${x.lane}: ${x.pages.join(' + ')}`)
    .join('; ')})` : ''}`;
  const elapsed = (Date.now() - startedAt) / 1000;
  const scriptStart = Number(process.env.BENCH_STARTED_AT);
  const whole = scriptStart ? `${Math.round((Date.now() - scriptStart) / 1000)} s for bench.sh (install checks, ledger build, all below; make's \`pkg\` step before it not counted); ` : '';
  const sigCallback = {
    ours: 'verified (WebCrypto)',
    'oidc-client-ts': '**not verified** (decoded; checks only that sub is present and the nonce)',
    oauth4webapi: 'verified (validateApplicationLevelSignature)',
    raw: 'none (no checks)',
  };
  const sigRefresh = {
    ours: 'verified (JWK Set cached from sign-in)',
    'oidc-client-ts': '**not verified** (decoded; checks sub, auth_time, azp against the old one)',
    oauth4webapi: 'verified (validateApplicationLevelSignature, JWK Set cached)',
    raw: 'none (no checks)',
  };
  return [
    '# Benchmark results',
    '',
    `Written by \`make bench\` (\`benches/run.mjs\`) on ${new Date().toISOString()}. A benchmark, not a test: on a shared machine the numbers are noisy; the harness only checks that each timed operation did its job.`,
    '',
    table(
      ['', ''],
      [
        ['machine', `\`nproc\` ${mach.nproc}, ${mach.model}`],
        ['browser', `Chromium ${chromium} (${CHROMIUM_PATH}, headless, playwright-core ${v['playwright-core']}); every non-loopback request aborted`],
        ['OP', `node-oidc-provider ${v['oidc-provider']} on loopback (tests/e2e/lib/op.mjs: one public client \`spa\`, PKCE, RS256 ID tokens, rotating refresh tokens), Node ${v.node}`],
        ['ours', `oidc-rp-wasm ${v.ours} (\`pkg/\`, built from ${v.oursCommit}), imported as \`import { OidcClient } from "oidc-rp-wasm"\` through an import map, like www-example`],
        ['peers', `oidc-client-ts ${v['oidc-client-ts']} (with jwt-decode ${v['jwt-decode']}), oauth4webapi ${v.oauth4webapi}; bundled by esbuild ${v.esbuild}`],
        ['iterations', `cold start ${ITERATIONS.cold}, callback ${ITERATIONS.callback}, refresh ${ITERATIONS.refresh}, offline ${ITERATIONS.offlineRounds} rounds; each after ${WARMUP} dropped warm-up round${QUICK ? ' (BENCH_QUICK)' : ''}`],
        [
          'duration',
          `${whole}${Math.round(elapsed)} s in run.mjs: ${phases.map(([n, t]) => `${n} ${Math.round(t)} s`).join(', ')}`,
        ],
      ],
    ),
    '',
    sizesSection(sizes),
    '',
    coldSection(cold),
    '',
    networkSection(
      '## 3. Callback',
      `Milliseconds, median (min–max) of ${ITERATIONS.callback} sign-ins per lane. Each is a real round trip through the OP (login and consent only on the very first, the context keeps the OP session), back on the redirect URI page, whose load makes the client ready (discovery, untimed: "discovery cached"). ` +
        'Timed: from holding the authorization response to the validated session (token request, JWK Set, ID token validation, session kept: ours and oidc-client-ts in sessionStorage, the oauth4webapi lane in page memory). "raw" makes the token request and the JWK Set request in parallel with bare `fetch` (as ours does), reading both as JSON; overhead = lane − raw of the same iteration.',
      cb,
      { sigNote: sigCallback },
    ),
    '',
    networkSection(
      '## 4. Silent refresh',
      `Milliseconds, median (min–max) of ${ITERATIONS.refresh} refresh_token grants per lane, in the tab of its last sign-in (discovery and, where used, the JWK Set already cached). ` +
        'Ours: `client.refresh()`; oidc-client-ts: `UserManager.signinSilent()` (with a refresh token it is the refresh_token grant, no iframe); oauth4webapi: refreshTokenGrantRequest + processRefreshTokenResponse + validateApplicationLevelSignature; raw: one bare `fetch` of the token endpoint with its own refresh token. The OP rotates refresh tokens and sends a new ID token each time.',
      refresh,
      { sigNote: sigRefresh },
    ),
    '',
    offlineSection(offline),
    '',
    ledgerSection(led),
    '',
    '## Judgment calls',
    '',
    '- **"Ready" for a first call.** Ours: `await OidcClient.create(config)` (wasm fetched and instantiated, discovery, stored session read). oidc-client-ts: `new UserManager(settings)`, `await metadataService.getMetadata()` and `await getUser()` (its stored user read, as ours restores its session). oauth4webapi: `discoveryRequest` + `processDiscoveryResponse`.',
    '- **oidc-client-ts is measured as `UserManager`**, what an SPA uses and the counterpart of our client (popup, iframe and refresh included); `OidcClient` alone is listed in section 1 for reference. Settings: `automaticSilentRenew: false`, `monitorSession: false`, `loadUserInfo: false`; ours: `storage: "session"` (like oidc-client-ts\'s default user store) and `autoRefresh: false`, so no timer runs behind the bench.',
    '- **oauth4webapi is measured with the signature check** (`validateApplicationLevelSignature`, its documented way), the closest to what ours does; section 5 shows it with and without. Its bundle holds the 15 named exports `benches/entries/oauth4webapi.js` lists; `* as oauth` (every export) is listed for reference. It needs `allowInsecureRequests` for the plain-http loopback OP.',
    `- **Sign-ins for the callback** go through the OP's real pages (tests/e2e's \`loginAtOp\`); the browser context keeps the OP session and the consent, so the OP shows its pages only once and the other sign-ins are plain redirects: quick enough for the full iteration count. OP pages were shown ${shownText}. The timing starts after the page is back, so this does not enter it.`,
    '- **Overheads** are paired by iteration (the lanes of one iteration run back to back) and can be negative where a lane makes fewer requests than raw (oidc-client-ts fetches no JWK Set). Ratios are of medians; "—" where the peer\'s median is not positive.',
    '- **Shipped bytes** of ours are the files as shipped (its JS unminified); the `ours-minified` row puts that JS through the peers\' esbuild settings, as an app\'s bundler would. Legal comments are dropped from every bundle.',
    '',
  ].join('\n');
}

// ---- main ----

async function main() {
  const startedAt = Date.now();
  const v = versions();
  const mach = machine();

  say('bundling the peers and measuring shipped bytes');
  const sizes = await buildAndMeasure({ root: ROOT, benchesDir: BENCHES, outDir: join(BENCHES, 'site', 'dist'), versions: v });
  sizes.versions = v;
  const sizesJson = {
    generatedBy: 'make bench (benches/lib/sizes.mjs)',
    compression: { gzip: 'node:zlib gzip level 9', brotli: 'node:zlib brotli quality 11', unit: 'bytes', perFile: true },
    esbuild: { version: v.esbuild, options: ESBUILD_OPTIONS },
    versions: { 'oidc-rp-wasm': v.ours, 'oidc-client-ts': v['oidc-client-ts'], 'jwt-decode': v['jwt-decode'], oauth4webapi: v.oauth4webapi },
    rows: sizes.rows,
  };
  writeFileSync(join(BENCHES, 'sizes.json'), `${JSON.stringify(sizesJson, null, 2)}\n`);

  const env = { logs: [], cfg: null, rp: null, op: null, browser: null };
  // oidc-provider warns that its in-memory adapter and dev pages are for development only.
  const warn = console.warn;
  console.warn = (...args) => {
    if (!String(args[0]).includes('development-only')) warn(...args);
  };
  let cold, cb, cbInteractions, refresh, offline, chromium;
  const phases = [];
  try {
    env.rp = await startStatic({ root: ROOT, exampleDir: join(BENCHES, 'site'), config: () => env.cfg });
    const redirectUri = `${env.rp.origin}/cb.html`;
    env.op = await startOp({ clients: [{ client_id: 'spa', redirect_uris: [redirectUri] }] });
    env.cfg = { issuer: env.op.issuer, clientId: 'spa', redirectUri, scope: 'openid profile email offline_access' };
    const metadata = await (await fetch(`${env.op.issuer}/.well-known/openid-configuration`)).json();
    env.browser = await launchBrowser();
    chromium = env.browser.version();
    say(`Chromium ${chromium}; OP ${env.op.issuer}; RP ${env.rp.origin}`);

    const phase = async (name, what, fn) => {
      say(`${name}: ${what}`);
      const t = Date.now();
      const value = await fn();
      phases.push([name, (Date.now() - t) / 1000]);
      return value;
    };
    cold = await phase('cold start', `${ITERATIONS.cold + WARMUP} rounds x ${SDK_LANES.length} SDKs, a new context each`, () => coldStart(env));
    const signedIn = await phase('callback', `${ITERATIONS.callback + WARMUP} rounds x ${NETWORK_LANES.length} lanes, a sign-in each`, () => callbacks(env));
    cb = signedIn.out;
    cbInteractions = signedIn.interactions;
    refresh = await phase('refresh', `${ITERATIONS.refresh + WARMUP} rounds x ${NETWORK_LANES.length} lanes`, () => refreshes(env, signedIn.pages));
    await signedIn.context.close();
    offline = await phase(
      'offline validation',
      `${ITERATIONS.offlineRounds + WARMUP} rounds x ${ALGS.length} algs x ${OFFLINE_VARIANTS.length} variants`,
      () => offlineValidation(env, metadata),
    );

    const serverErrors = env.op.events.log.filter((e) => e.name === 'server_error' || e.name === 'grant.revoked');
    check(serverErrors.length === 0, 'the OP logged server errors or revoked a grant', serverErrors);
    const pageErrors = env.logs.filter((l) => l.startsWith('[pageerror'));
    check(pageErrors.length === 0, 'page errors', pageErrors);
  } catch (e) {
    if (env.logs.length) console.error(`--- browser diagnostics ---\n${env.logs.join('\n')}\n--- end ---`);
    throw e;
  } finally {
    console.warn = warn;
    await env.browser?.close().catch(() => {});
    await env.op?.close().catch(() => {});
    await env.rp?.close().catch(() => {});
  }

  const led = ledger();
  const levers = readFileSync(join(BENCHES, 'levers.md'), 'utf8');
  const md = `${report({ startedAt, v, mach, chromium, sizes, cold, cb, cbInteractions, refresh, offline, led, phases })}\n${levers}`;
  // A quick try of the harness must not overwrite the results of a full run.
  writeFileSync(join(BENCHES, QUICK ? 'RESULTS.quick.md' : 'RESULTS.md'), md);
  console.log(md);
}

const watchdog = setTimeout(() => {
  console.error(`[bench] still running after ${RUN_TIMEOUT_MS / 60_000} minutes: giving up`);
  process.exit(2);
}, RUN_TIMEOUT_MS);
watchdog.unref();

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`[bench] failed: ${e instanceof BenchError ? e.message : (e?.stack ?? e)}`);
    process.exit(1);
  },
);
