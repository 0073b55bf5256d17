// The relying party's web server for the end-to-end tests: serves the example SPA, the built
// npm package and the test configuration, like any static host a user would deploy to.
//
//   /, /index.html, /<file>   -> <exampleDir>/ (default <root>/www-example/)
//   /oidc-rp-wasm/<file>      -> <root>/pkg/<file>
//   /form-post-sw.js          -> <root>/pkg/form-post-sw.js   (service worker scope is then /)
//   /silent-callback.html     -> <root>/pkg/silent-callback.html
//   /config.json              -> the `config` object (or what a `config` function returns)
//   anything else             -> 404
//
// `packageRoutes: false` drops the pkg/ routes (a built app must bring its own files), `headers`
// adds response headers (a Content-Security-Policy, say) and `respond` answers chosen paths
// itself (a 404 or an HTML fallback where the .wasm should be).

import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm', // required by WebAssembly.instantiateStreaming
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
};

/**
 * Maps a URL path to a file below `base`, or null. Every segment is checked after percent
 * decoding, so neither `..` nor an encoded `%2e%2e` / `%2f` can leave `base`.
 */
function fileUnder(base, urlPath) {
  const segments = [];
  for (const raw of urlPath.split('/')) {
    let segment;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (segment === '' || segment === '.') continue;
    if (segment === '..' || segment.includes('/') || segment.includes('\\') || segment.includes('\0')) {
      return null;
    }
    segments.push(segment);
  }
  const file = resolve(base, ...segments);
  return file.startsWith(base + sep) ? file : null;
}

function listen(server, port, host) {
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      ok(server.address().port);
    });
  });
}

/**
 * Starts the RP's static server. `root` is the repository root; `exampleDir` replaces
 * <root>/www-example (the smoke test serves its own page). `config` is an object or a function
 * returning one, read on every request, so it can name an OP started after this server.
 * - `packageRoutes` (default true): serve /oidc-rp-wasm/, /form-post-sw.js and
 *   /silent-callback.html from <root>/pkg; with false, only `exampleDir` and /config.json.
 * - `headers(path)`: extra response headers of every answer (an object, or undefined for none).
 * - `respond(path)`: { status, type, body } to answer `path` with instead of a file, or undefined.
 * Returns { origin, close(), setConfig(config), requests }, where `requests` lists every request
 * as { method, path, status, body } (body only for POST).
 */
export async function startStatic({
  port = 0,
  host = '127.0.0.1',
  hostname = host,
  root,
  exampleDir = join(root, 'www-example'),
  config = {},
  packageRoutes = true,
  headers = () => undefined,
  respond = () => undefined,
} = {}) {
  const pkgDir = resolve(root, 'pkg');
  const siteDir = resolve(exampleDir);
  const requests = [];
  let currentConfig = config;

  function locate(path) {
    if (path === '/config.json') return { json: true };
    if (!packageRoutes) return { file: path === '/' ? join(siteDir, 'index.html') : fileUnder(siteDir, path) };
    if (path === '/form-post-sw.js') return { file: join(pkgDir, 'form-post-sw.js') };
    if (path === '/silent-callback.html') return { file: join(pkgDir, 'silent-callback.html') };
    if (path.startsWith('/oidc-rp-wasm/')) return { file: fileUnder(pkgDir, path.slice('/oidc-rp-wasm/'.length)) };
    if (path === '/') return { file: join(siteDir, 'index.html') };
    return { file: fileUnder(siteDir, path) };
  }

  async function handle(req, res, record) {
    const path = new URL(req.url, 'http://x').pathname;
    const send = (status, type, body, extra = {}) => {
      record.status = status;
      // no-store: every test run loads the wasm and service worker that were just built.
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...extra, ...headers(path) });
      res.end(req.method === 'HEAD' ? undefined : body);
    };

    if (req.method === 'POST') {
      // A response_mode=form_post callback must be caught by the SDK's service worker
      // (form-post-sw.js) before it reaches any server. A POST arriving here means the worker
      // was not active: answer 405 instead of quietly serving the page, so that the
      // misconfiguration fails the test visibly. The body is kept in `requests` for tests
      // that assert what the OP posted.
      record.body = await readBody(req);
      send(405, 'text/html; charset=utf-8', '<!DOCTYPE html><title>405</title><p id="static-405">POST reached the static server: the form_post service worker did not intercept it.</p>', { allow: 'GET, HEAD' });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(405, 'text/plain; charset=utf-8', 'method not allowed', { allow: 'GET, HEAD' });
      return;
    }

    const answer = await respond(path);
    if (answer) {
      send(answer.status ?? 200, answer.type ?? 'text/plain; charset=utf-8', answer.body ?? '');
      return;
    }
    const target = locate(path);
    if (target.json) {
      const value = typeof currentConfig === 'function' ? await currentConfig() : currentConfig;
      send(200, MIME['.json'], JSON.stringify(value));
      return;
    }
    if (!target.file) {
      send(404, 'text/plain; charset=utf-8', 'not found');
      return;
    }
    let body;
    try {
      if (!(await stat(target.file)).isFile()) throw new Error('not a file');
      body = await readFile(target.file);
    } catch {
      send(404, 'text/plain; charset=utf-8', 'not found');
      return;
    }
    send(200, MIME[extname(target.file)] ?? 'application/octet-stream', body);
  }

  const server = createServer((req, res) => {
    const record = { method: req.method, path: req.url };
    requests.push(record);
    handle(req, res, record).catch((err) => {
      record.status = 500;
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err));
    });
  });
  const boundPort = await listen(server, port, host);

  return {
    origin: `http://${hostname}:${boundPort}`,
    requests,
    setConfig(value) {
      currentConfig = value;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((ok) => server.close(ok));
    },
  };
}

function readBody(req) {
  return new Promise((ok, fail) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => ok(Buffer.concat(chunks).toString('utf8')));
    req.on('error', fail);
  });
}
