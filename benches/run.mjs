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
//   BENCH_PKG_DIR     the copy of pkg/ to measure and serve (bench.sh makes it); default pkg/
//   CHROMIUM_PATH     default /usr/bin/chromium, as in tests/e2e

import { readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { startOp } from '../tests/e2e/lib/op.mjs';
import { startStatic } from '../tests/e2e/lib/static.mjs';
import { launchBrowser, newContext, loginAtOp, isLoopback, CHROMIUM_PATH } from '../tests/e2e/lib/browser.mjs';
import { buildAndMeasure, ESBUILD_OPTIONS } from './lib/sizes.mjs';
import { summary, minus, fmt, ratio, kb, table } from './lib/stats.mjs';
import { offlineTokens } from './lib/tokens.mjs';
import { group, readTop, moduleMap, exportMap, fnMap, LABELS } from './lib/ledger.mjs';
import { startGzipStatic } from './lib/gzip-static.mjs';

const BENCHES = dirname(fileURLToPath(import.meta.url));
const ROOT = join(BENCHES, '..');
/**
 * The package measured and served: the copy of pkg/ bench.sh takes before the run (a `make pkg`
 * elsewhere during the run then cannot pull the files from under it), or pkg/ itself.
 */
const PKG = process.env.BENCH_PKG_DIR ?? join(ROOT, 'pkg');
if (basename(PKG) !== 'pkg') throw new Error(`BENCH_PKG_DIR must name a directory called pkg (the static server serves <root>/pkg): ${PKG}`);
const QUICK = process.env.BENCH_QUICK === '1';

/**
 * Iterations per measurement (plus one untimed warm-up round each, dropped). The overheads are
 * differences of a few milliseconds between noisy totals, so each median takes 30 runs or more.
 */
const ITERATIONS = QUICK
  ? { cold: 2, throttled: 2, callback: 2, refresh: 2, offlineRounds: 2 }
  : { cold: 30, throttled: 30, callback: 30, refresh: 60, offlineRounds: 7 };
const WARMUP = 1;
/** Offline validation: each timed run stops at whichever comes first. */
const OFFLINE_BUDGET_MS = 300;
const OFFLINE_MAX_OPS = 200_000;
/** Every wait on the browser is bounded; so is the whole run. */
const STEP_TIMEOUT_MS = 30_000;
const RUN_TIMEOUT_MS = 15 * 60_000;

const SDK_LANES = ['ours', 'oidc-client-ts', 'oauth4webapi'];
const PEERS = SDK_LANES.filter((l) => l !== 'ours');
const NETWORK_LANES = [...SDK_LANES, 'raw'];
/** The same SDKs with sender-constrained tokens (DPoP, RFC 9449): signed in and refreshed too. */
const DPOP_LANES = ['ours-dpop', 'oidc-client-ts-dpop'];
const SIGNIN_LANES = [...NETWORK_LANES, ...DPOP_LANES];
/**
 * The throttled cold start adds ours as an app's bundler ships it, and each SDK with the preload
 * hints an app can put in its page (reference rows: the issue's row is the plain page).
 */
const HINTED = (lane) => `${lane}+hints`;
const THROTTLED_LANES = [...SDK_LANES, 'ours-bundled', ...SDK_LANES.map(HINTED)];
/**
 * The hints of a hinted lane, in its page's head before any script: each SDK's module as a
 * `modulepreload`, and for ours the wasm as the package README's `preload` (with `crossorigin`,
 * so that `create()`'s fetch takes it).
 */
const HINTS = {
  ours: [
    '<link rel="modulepreload" href="/oidc-rp-wasm/index.js">',
    '<link rel="preload" href="/oidc-rp-wasm/oidc_rp_wasm_bg.wasm" as="fetch" type="application/wasm" crossorigin>',
  ],
  'oidc-client-ts': ['<link rel="modulepreload" href="/dist/oidc-client-ts.js">'],
  oauth4webapi: ['<link rel="modulepreload" href="/dist/oauth4webapi.js">'],
};
const LABEL = {
  ours: 'oidc-rp-wasm (ours)',
  'ours-bundled': 'oidc-rp-wasm, esbuild bundle (reference)',
  'oidc-client-ts': 'oidc-client-ts',
  oauth4webapi: 'oauth4webapi',
  raw: 'raw fetch',
  'ours-dpop': 'oidc-rp-wasm (ours), dpop: true',
  'oidc-client-ts-dpop': 'oidc-client-ts, dpop (IndexedDbDPoPStore)',
  'ours+hints': 'oidc-rp-wasm, with preload hints (reference)',
  'oidc-client-ts+hints': 'oidc-client-ts, with modulepreload (reference)',
  'oauth4webapi+hints': 'oauth4webapi, with modulepreload (reference)',
};
/**
 * The throttled cold start's network: CDP Network.emulateNetworkConditions, 10 Mbit/s each way
 * (in bytes per second) and 40 ms latency; the issue's target for ours over the faster peer.
 */
const THROTTLE = { offline: false, latency: 40, downloadThroughput: 1_250_000, uploadThroughput: 1_250_000 };
const THROTTLED_TARGET_MS = 60;
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
    const built = ['src', 'Cargo.toml', 'Cargo.lock', 'pkg-template', 'scripts/build-pkg.sh', 'scripts/release-toolchain'];
    const dirty = execFileSync('git', ['-C', ROOT, 'status', '--porcelain', '--', ...built])
      .toString()
      .trim();
    if (dirty) commit += ' + uncommitted changes (src/, Cargo, pkg-template/ or the build script)';
  } catch {
    // not a git checkout: keep "unknown"
  }
  return {
    ours: readJson(join(PKG, 'package.json')).version,
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

// ---- 2b. cold start, throttled ----

/** Files of the throttled page, compressed by the gzip server before the first timed run. */
const THROTTLED_FILES = [
  '/cold-throttled.html',
  '/lanes.js',
  '/oidc-rp-wasm/index.js',
  '/oidc-rp-wasm/oidc_rp_wasm_bg.wasm',
  '/dist/ours-bundled.js',
  '/dist/oidc_rp_wasm_bg.wasm',
  '/dist/oidc-client-ts.js',
  '/dist/oauth4webapi.js',
];

/** The page of a throttled lane: the plain page, or for a hinted lane the same with its hints. */
function throttledPage(env, lane) {
  const base = SDK_LANES.find((l) => HINTED(l) === lane);
  if (!base) return { path: '/cold-throttled.html', sdk: lane };
  const path = `/cold-throttled-hints-${base}.html`;
  const html = readFileSync(join(BENCHES, 'site', 'cold-throttled.html'), 'utf8');
  const icon = '<link rel="icon" href="data:,">';
  if (!html.includes(icon)) throw new Error('site/cold-throttled.html: no favicon line to put the hints after');
  env.gz.put(path, html.replace(icon, [icon, ...HINTS[base]].join('\n')));
  return { path, sdk: base };
}

async function throttledColdStart(env) {
  await env.gz.warm(THROTTLED_FILES);
  const pages = Object.fromEntries(THROTTLED_LANES.map((l) => [l, throttledPage(env, l)]));
  const out = Object.fromEntries(THROTTLED_LANES.map((l) => [l, []]));
  const cfg = encodeURIComponent(JSON.stringify(env.cfg));
  for (let i = 0; i < ITERATIONS.throttled + WARMUP; i += 1) {
    for (const lane of rotate(THROTTLED_LANES, i)) {
      // A plain new context: without the request routing of the other phases, which sends every
      // request through Node and back (a detour no user's browser takes, and a noisy one on a
      // busy machine). The page only asks loopback servers; checked below.
      const context = await env.browser.newContext();
      watch(context, env.logs);
      const outside = [];
      context.on('request', (req) => {
        if (!isLoopback(req.url())) outside.push(req.url());
      });
      try {
        const page = await context.newPage();
        // On the page's target before it navigates: cache off, then the throttle.
        const cdp = await context.newCDPSession(page);
        await cdp.send('Network.enable');
        await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
        await cdp.send('Network.emulateNetworkConditions', THROTTLE);
        await page.goto(`${env.gz.origin}${pages[lane].path}?sdk=${pages[lane].sdk}&cfg=${cfg}`, { timeout: STEP_TIMEOUT_MS });
        const r = await result(page);
        check(r.ok, `throttled cold start of ${lane} failed`, r.error);
        check(r.opRequests.join() === 'discovery', `throttled cold start of ${lane}: expected one discovery request to the OP`, r.opRequests);
        check(outside.length === 0, `throttled cold start of ${lane}: requests beyond loopback`, outside);
        // The throttle applied to this run: no file came faster than its latency plus its bytes
        // at the throttle's throughput (with 10 % slack for timer granularity).
        const fast = r.resources.filter((x) => x.end - x.start < 0.9 * (THROTTLE.latency + (x.transfer / THROTTLE.downloadThroughput) * 1000));
        check(fast.length === 0, `throttled cold start of ${lane}: files came faster than the throttle allows`, fast);
        // Every file of the page came compressed (what was sent is smaller than what was read).
        const plain = r.resources.filter((x) => x.decoded > 512 && !(x.encoded > 0 && x.encoded < x.decoded));
        check(plain.length === 0, `throttled cold start of ${lane}: files not sent gzip-compressed`, plain);
        // Each file once: a preload the SDK's own request did not take would be fetched twice.
        const paths = r.resources.map((x) => x.path);
        check(new Set(paths).size === paths.length, `throttled cold start of ${lane}: a file was fetched twice`, paths);
        r.bytes = r.resources.reduce((a, x) => a + x.encoded, 0);
        r.files = r.resources.map((x) => x.path);
        if (i >= WARMUP) out[lane].push(r);
      } finally {
        await context.close();
      }
    }
  }
  const notGzip = env.gz.requests.filter((x) => x.encoding !== 'gzip' || x.status !== 200);
  check(notGzip.length === 0, 'the gzip static server answered without gzip or with an error', notGzip);
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
  for (const lane of SIGNIN_LANES) {
    const page = await context.newPage();
    await page.goto(`${env.rp.origin}/cb.html?lane=${lane}`, { timeout: STEP_TIMEOUT_MS });
    const r = await result(page);
    check(r.ok && r.ready, `${lane}: the redirect URI page did not get ready`, r.error);
    pages[lane] = page;
  }
  const out = Object.fromEntries(SIGNIN_LANES.map((l) => [l, []]));
  /** Which OP pages (login, consent) each sign-in showed, for the report. */
  const interactions = [];
  for (let i = 0; i < ITERATIONS.callback + WARMUP; i += 1) {
    for (const lane of rotate(SIGNIN_LANES, i)) {
      const r = await signinRoundTrip(env, pages[lane]);
      interactions.push({ round: i, lane, pages: r.opPages });
      check(r.ok, `callback of ${lane} failed`, r.error);
      check(r.sub === USER && r.hasRefreshToken, `callback of ${lane}: no session for ${USER} with a refresh token`, r);
      // oidc-client-ts fetches no JWK Set (it verifies no signature); every other lane must.
      const expected = lane.startsWith('oidc-client-ts') ? ['token'] : ['token', 'jwks'];
      check(expected.every((x) => r.opRequests.includes(x)), `callback of ${lane}: expected requests ${expected.join(' + ')}`, r.opRequests);
      if (i >= WARMUP) out[lane].push(r);
    }
  }
  return { out, pages, context, interactions };
}

async function refreshes(env, pages) {
  const out = Object.fromEntries(SIGNIN_LANES.map((l) => [l, []]));
  for (let i = 0; i < ITERATIONS.refresh + WARMUP; i += 1) {
    for (const lane of rotate(SIGNIN_LANES, i)) {
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
  const exported = exportMap(join(ROOT, 'src'));
  const fns = fnMap(join(ROOT, 'src'));
  const info = readJson(join(dir, 'info.json'));
  return {
    info,
    unopt: group(readTop(join(dir, 'top.json')), modules, exported, fns),
    opt: group(readTop(join(dir, 'top-opt.json')), modules, exported, fns),
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
  return { nproc, model, load: loadavg()[0] };
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
  const dpop = sizes.rows.find((r) => r.id === 'ours-dpop');
  const files = [...ours.files, dpop.files[1]].map((f) => [`\`pkg/${f.file}\``, String(f.raw), String(f.gzip), String(f.brotli)]);
  const diff = (k) => `${dpop.total[k] - ours.total[k] >= 0 ? '+' : ''}${dpop.total[k] - ours.total[k]}`;
  files.push(['dpop on − off (`oidc_rp_wasm_dpop_bg.wasm` − `oidc_rp_wasm_bg.wasm`)', diff('raw'), diff('gzip'), diff('brotli')]);
  return [
    '## 1. Shipped bytes',
    '',
    'What an app loads for `import { OidcClient }` (bytes): ours with `dpop` off (index.js + `oidc_rp_wasm_bg.wasm`) and on (index.js + `oidc_rp_wasm_dpop_bg.wasm`, the file `create()` loads instead for `dpop: true`). Each file compressed on its own (gzip -9; brotli quality 11, both with node:zlib), a row is the sum. Peers: esbuild bundles of the entries in `benches/entries/` (' +
      `esbuild ${sizes.versions.esbuild}, \`${JSON.stringify(ESBUILD_OPTIONS)}\`). The same numbers are in \`benches/sizes.json\`.`,
    '',
    table(['what', 'raw', 'gzip -9', 'brotli', 'ours/peer (gzip / brotli)', 'note'], rows),
    '',
    'Ours by file:',
    '',
    table(['file', 'raw', 'gzip -9', 'brotli'], files),
  ].join('\n');
}

/**
 * The headline: one row per measure, the three SDKs side by side (medians), ours against each peer
 * as a ratio of medians (and, for the throttled cold start, the difference the issue's target is
 * about). The sections below hold the details.
 */
function summarySection({ sizes, cold, throttled, cb, refresh }) {
  const size = (id) => sizes.rows.find((r) => r.id === id).total.gzip;
  const med = (values) => summary(values).median;
  const coldOver = (lane) => med(cold[lane].map((r) => r.total - r.raw));
  const thr = (lane) => med(throttled[lane].map((r) => r.total));
  const netOver = (data) => (lane) => med(minus(data[lane].map((r) => r.ms), data.raw.map((r) => r.ms)));
  const fmtMs = (x) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
  const line = (what, get, show, vs = (peer) => ratio(get('ours'), get(peer))) => [
    what,
    ...SDK_LANES.map((l) => show(get(l))),
    ...PEERS.map((peer) => vs(peer)),
  ];
  const diff = (peer) => {
    const d = thr('ours') - thr(peer);
    return `${ratio(thr('ours'), thr(peer))}, ${d >= 0 ? '+' : ''}${d.toFixed(1)} ms`;
  };
  const rows = [
    line('1. shipped bytes, gzip -9 (`import { OidcClient }`; ours with dpop off)', size, String),
    line(`2. cold start overhead over raw discovery, ms (${ITERATIONS.cold} runs)`, coldOver, fmtMs),
    line(`2b. throttled cold start, navigation start → ready, ms (${ITERATIONS.throttled} runs, 10 Mbit/s, 40 ms, gzip)`, thr, fmtMs, diff),
    line(`3. callback overhead over raw, ms (${ITERATIONS.callback} sign-ins)`, netOver(cb), fmtMs),
    line(`4. refresh overhead over raw, ms (${ITERATIONS.refresh} grants)`, netOver(refresh), fmtMs),
  ];
  return [
    '## Summary',
    '',
    'Medians (sizes: bytes); ours/peer is the ratio of the medians ("—" where the peer\'s is not positive), and for the throttled cold start also ours − peer. Details, ranges and what each lane does in the sections below.',
    '',
    table(['measure', ...SDK_LANES.map((l) => LABEL[l]), ...PEERS.map((p) => `ours/${p}`)], rows),
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

function throttledSection(th) {
  const s = (lane, key) => summary(th[lane].map((r) => r[key]));
  const median = (lane) => s(lane, 'total').median;
  const faster = PEERS.reduce((a, b) => (median(b) < median(a) ? b : a));
  const gap = median('ours') - median(faster);
  const rows = THROTTLED_LANES.map((lane) => [
    LABEL[lane],
    ms(s(lane, 'total')),
    ms(s(lane, 'scriptMs')),
    ms(s(lane, 'importMs')),
    String(Math.round(s(lane, 'bytes').median)),
    PEERS.includes(lane) ? `${(median('ours') - median(lane)).toFixed(1)} / ${ratio(median('ours'), median(lane))}` : '',
    opList(th[lane]),
    [...new Set(th[lane].map((r) => r.files.join(', ')))].join('; '),
  ]);
  const met = gap <= THROTTLED_TARGET_MS;
  return [
    '## 2b. Cold start, throttled network',
    '',
    `Milliseconds, median (min–max) of ${ITERATIONS.throttled} runs per SDK (after ${WARMUP} dropped warm-up round; lanes round-robin, the starting lane rotating), each in a new browser context with the HTTP cache disabled (CDP \`Network.setCacheDisabled\`) and Chromium's network throttled by CDP \`Network.emulateNetworkConditions\` ` +
      `(download and upload ${THROTTLE.downloadThroughput.toLocaleString('en-US')} bytes/s = 10 Mbit/s, latency ${THROTTLE.latency} ms, offline false), set on the page before it navigates. ` +
      "Every file comes gzip -9 (`Content-Encoding: gzip`, `benches/lib/gzip-static.mjs`; checked per file from Resource Timing); the OP's discovery document comes as the OP sends it. " +
      "Timed: navigation start (the page's `performance.now()` origin) to the client ready for its first call, as section 2 defines it (module loaded, discovery fetched; ours: `OidcClient.create()` resolved, the wasm fetched alongside the discovery request). " +
      'Every lane loads the same page (`site/cold-throttled.html`, configuration in its URL) and `site/lanes.js` before its SDK: "script starts" is that common part. "bytes" = encoded body bytes of the page, lanes.js and the SDK\'s files.',
    '',
    table(['SDK', 'navigation start → ready', 'of which: script starts', 'SDK imported', 'bytes (gzip)', 'ours − peer (ms / ratio of medians)', 'requests to the OP', 'files'], rows),
    '',
    `**Ours − the faster peer (${LABEL[faster]}), medians: ${gap >= 0 ? '+' : ''}${gap.toFixed(1)} ms** (ours ${median('ours').toFixed(1)} ms, ${LABEL[faster]} ${median(faster).toFixed(1)} ms; ${ITERATIONS.throttled} runs each). ` +
      `The issue's target is at most +${THROTTLED_TARGET_MS} ms: ${met ? 'met' : '**not met**'}. ` +
      `The esbuild bundle of ours (reference row) is ${(median('ours-bundled') - median(faster)).toFixed(1)} ms over it.`,
    '',
    hintedNote(median),
  ].join('\n');
}

/**
 * The hinted reference rows: what the preload hints an app can add to its page do for each SDK.
 * With them the module (and our wasm) is requested while the page is parsed, not after lanes.js.
 */
function hintedNote(median) {
  const faster = PEERS.reduce((a, b) => (median(HINTED(b)) < median(HINTED(a)) ? b : a));
  const gap = median(HINTED('ours')) - median(HINTED(faster));
  const gain = (lane) => (median(lane) - median(HINTED(lane))).toFixed(1);
  return (
    `**With preload hints (reference rows, not the issue's row): ours − the faster peer (${LABEL[faster]}) ${gap >= 0 ? '+' : ''}${gap.toFixed(1)} ms.** ` +
    `Each hinted lane's page is \`site/cold-throttled.html\` with its SDK's module as a \`modulepreload\` in the head, and for ours the wasm as the package README's \`<link rel="preload" as="fetch" crossorigin>\`; ` +
    'the run checks that no file was fetched twice (each preload was taken). ' +
    `The hints take ${gain('ours')} ms off ours, ${gain('oidc-client-ts')} off oidc-client-ts and ${gain('oauth4webapi')} off oauth4webapi (medians).`
  );
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

/** Section 4b: the refresh with DPoP on, beside the same SDK with it off (paired by round). */
function dpopSection(refresh) {
  const total = (lane) => refresh[lane].map((r) => r.ms);
  const over = (lane) => minus(total(lane), total('raw'));
  const rows = [
    ['ours', 'ours-dpop'],
    ['oidc-client-ts', 'oidc-client-ts-dpop'],
  ].flatMap((pair) =>
    pair.map((lane) => [LABEL[lane], ms(summary(total(lane))), ms(summary(over(lane))), opList(refresh[lane])]),
  );
  return [
    '## 4b. Silent refresh with DPoP',
    '',
    `The rounds of section 4, with two more lanes in the same rotation: ours with \`dpop: true\` (a proof signed by a non-extractable WebCrypto P-256 key on the token request, the token type checked) and oidc-client-ts with \`dpop: { store: new IndexedDbDPoPStore() }\`. The OP accepts DPoP proofs without demanding a nonce. Milliseconds, median (min–max) of ${ITERATIONS.refresh}; overhead over raw paired by round. With \`dpop: true\` the client loads \`oidc_rp_wasm_dpop_bg.wasm\` instead of \`oidc_rp_wasm_bg.wasm\`: section 1 has both sizes; oidc-client-ts with DPoP is its UserManager bundle with IndexedDbDPoPStore.`,
    '',
    table(['lane', 'total', 'overhead over raw', 'requests to the OP'], rows),
  ].join('\n');
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
  subtotal('*`src/core/` (machine and flows included)*', (m) => m.startsWith('src/core/'));
  subtotal('*of which `src/core/machine/` (the state machine)*', (m) => m.startsWith('src/core/machine/'));
  subtotal('*of which `src/core/machine/wire.rs` (its JSON boundary)*', (m) => m === 'src/core/machine/wire.rs');
  subtotal('*of which `src/core/flow/`*', (m) => m.startsWith('src/core/flow/'));
  subtotal('*of which `src/core/json.rs`*', (m) => m === 'src/core/json.rs');
  subtotal('*`src/js_pump.rs` (the exports)*', (m) => m === 'src/js_pump.rs');
  subtotal('*`src/web/` (the Rust browser shell; not in this build)*', (m) => m.startsWith('src/web/'));
  subtotal('*`src/error.rs`, `src/lib.rs`*', (m) => m === 'src/error.rs' || m === 'src/lib.rs');
  subtotal('**all of ours**', () => true);
  const { info } = l;
  return [
    '## 6. Size ledger',
    '',
    `twiggy ${info.twiggy} \`top\` (every item, shallow sizes) of the package's wasm as \`${info.cargo}\` leaves it (scripts/build-pkg.sh's build: the core, its state machine and the plain exports of \`src/js_pump.rs\`, no wasm-bindgen; ${info.unoptBytes} bytes with its name section); ` +
      `second column: the same file through \`wasm-opt ${info.wasmOptFlags}\` (scripts/build-pkg.sh's flags, \`-g\` for \`--strip-debug\`: names kept; ${info.optBytes} bytes), what ships but the names ` +
      `(the shipped \`pkg/oidc_rp_wasm_bg.wasm\` is ${info.shippedBytes} bytes, about that file without its name section). KB = 1024 bytes. ` +
      'Where wasm-opt inlines, a module whose functions were all inlined shows 0 in the second column, its code counted in its callers. Attribution rules: `benches/lib/ledger.mjs`.',
    '',
    'By crate:',
    '',
    table(['crate', 'KB (cargo output)', 'KB (after wasm-opt, as shipped)'], crateTable),
    '',
    'Ours by module (items whose path starts in the module; the last column is code of other crates instantiated for the module\'s types, e.g. `drop_in_place<oidc_rp_wasm::…>`, already counted under those crates above):',
    '',
    table(['module', 'KB (cargo output)', 'KB (after wasm-opt, as shipped)', 'KB of generics naming it (after wasm-opt)'], modRows),
  ].join('\n');
}

function report({ startedAt, v, mach, chromium, sizes, cold, throttled, cb, cbInteractions, refresh, offline, led, phases }) {
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
        ['machine', `\`nproc\` ${mach.nproc}, ${mach.model}; 1-minute load average ${mach.load.toFixed(2)} when run.mjs started, ${loadavg()[0].toFixed(2)} when it ended (other work on the machine shows in the ranges)`],
        ['browser', `Chromium ${chromium} (${CHROMIUM_PATH}, headless, playwright-core ${v['playwright-core']}); every non-loopback request aborted (the throttled cold start: checked that there is none)`],
        ['OP', `node-oidc-provider ${v['oidc-provider']} on loopback (tests/e2e/lib/op.mjs: one public client \`spa\`, PKCE, RS256 ID tokens, rotating refresh tokens), Node ${v.node}`],
        ['ours', `oidc-rp-wasm ${v.ours} (\`pkg/\`: index.js + oidc_rp_wasm_bg.wasm, built from ${v.oursCommit}), imported as \`import { OidcClient } from "oidc-rp-wasm"\` through an import map, like www-example`],
        ['peers', `oidc-client-ts ${v['oidc-client-ts']} (with jwt-decode ${v['jwt-decode']}), oauth4webapi ${v.oauth4webapi}; bundled by esbuild ${v.esbuild}`],
        ['iterations', `cold start ${ITERATIONS.cold}, throttled cold start ${ITERATIONS.throttled}, callback ${ITERATIONS.callback}, refresh ${ITERATIONS.refresh}, offline ${ITERATIONS.offlineRounds} rounds; each after ${WARMUP} dropped warm-up round${QUICK ? ' (BENCH_QUICK)' : ''}`],
        [
          'duration',
          `${whole}${Math.round(elapsed)} s in run.mjs: ${phases.map(([n, t]) => `${n} ${Math.round(t)} s`).join(', ')}`,
        ],
      ],
    ),
    '',
    summarySection({ sizes, cold, throttled, cb, refresh }),
    '',
    sizesSection(sizes),
    '',
    coldSection(cold),
    '',
    throttledSection(throttled),
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
    dpopSection(refresh),
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
    '- **Shipped bytes** of ours are the files of `pkg/` as they are; the `ours-minified` row puts `pkg/index.js` through the peers\' esbuild settings, as an app\'s bundler would, and is what the `ours-bundled` lane of section 2b loads. Legal comments are dropped from every bundle.',
    '- **The throttled cold start** serves files gzip -9 from a server of the bench that compresses each file once before the first run (no compression time in a run). Each lane has the same fixed part (the page and `lanes.js`, then a dynamic `import()` of the SDK), so the differences between lanes are the SDKs\'; an app that imports its SDK statically from its first script saves one round trip on every lane alike. Unlike the other phases, these contexts have no Playwright request routing (it sends every request through Node and back, a detour no user\'s browser takes); the run checks instead that the page asked nothing beyond loopback.',
    '',
  ].join('\n');
}

// ---- main ----

async function main() {
  const startedAt = Date.now();
  const v = versions();
  const mach = machine();

  say('bundling the peers and measuring shipped bytes');
  const sizes = await buildAndMeasure({ pkgDir: PKG, benchesDir: BENCHES, outDir: join(BENCHES, 'site', 'dist'), versions: v });
  sizes.versions = v;
  const sizesJson = {
    generatedBy: 'make bench (benches/lib/sizes.mjs)',
    compression: { gzip: 'node:zlib gzip level 9', brotli: 'node:zlib brotli quality 11', unit: 'bytes', perFile: true },
    esbuild: { version: v.esbuild, options: ESBUILD_OPTIONS },
    versions: { 'oidc-rp-wasm': v.ours, 'oidc-client-ts': v['oidc-client-ts'], 'jwt-decode': v['jwt-decode'], oauth4webapi: v.oauth4webapi },
    rows: sizes.rows,
  };
  writeFileSync(join(BENCHES, 'sizes.json'), `${JSON.stringify(sizesJson, null, 2)}\n`);

  const env = { logs: [], cfg: null, rp: null, gz: null, op: null, browser: null };
  // oidc-provider warns that its in-memory adapter and dev pages are for development only.
  const warn = console.warn;
  console.warn = (...args) => {
    if (!String(args[0]).includes('development-only')) warn(...args);
  };
  let cold, throttled, cb, cbInteractions, refresh, offline, chromium;
  const phases = [];
  try {
    env.rp = await startStatic({ root: dirname(PKG), exampleDir: join(BENCHES, 'site'), config: () => env.cfg });
    env.gz = await startGzipStatic({ upstream: env.rp.origin });
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
    throttled = await phase(
      'throttled cold start',
      `${ITERATIONS.throttled + WARMUP} rounds x ${THROTTLED_LANES.length} lanes, a new throttled context each, gzip`,
      () => throttledColdStart(env),
    );
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
    await env.gz?.close().catch(() => {});
    await env.rp?.close().catch(() => {});
  }

  const led = ledger();
  const levers = readFileSync(join(BENCHES, 'levers.md'), 'utf8');
  const md = `${report({ startedAt, v, mach, chromium, sizes, cold, throttled, cb, cbInteractions, refresh, offline, led, phases })}\n${levers}`;
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
