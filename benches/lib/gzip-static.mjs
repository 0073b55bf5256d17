// The static server of the throttled cold start: every file gzip -9 (`Content-Encoding: gzip`),
// as a production host or CDN sends them. It sits in front of the plain static server of
// tests/e2e/lib/static.mjs (the same routes: benches/site/, /oidc-rp-wasm/ -> pkg/, ...), reads
// each path from it once and keeps the compressed answer, so no compression time enters a
// timed run (`warm()` fills the cache before the first one; the files do not change during a
// run). `/config.json` is passed through uncompressed and uncached.
//
// Returns { origin, warm(paths), put(pathname, text), requests, close() }; `requests` lists every request as
// { path, status, encoding, bytes } (bytes = body bytes sent).

import { createServer } from 'node:http';
import { gzipSync } from 'node:zlib';

export async function startGzipStatic({ upstream, host = '127.0.0.1' }) {
  /** pathname -> { status, type, body (gzip), raw (length before compression) } */
  const cache = new Map();
  const requests = [];

  async function load(pathname) {
    let entry = cache.get(pathname);
    if (!entry) {
      const response = await fetch(`${upstream}${pathname}`);
      const raw = Buffer.from(await response.arrayBuffer());
      entry = {
        status: response.status,
        type: response.headers.get('content-type') ?? 'application/octet-stream',
        body: gzipSync(raw, { level: 9 }),
        raw: raw.length,
      };
      if (pathname !== '/config.json') cache.set(pathname, entry);
    }
    return entry;
  }

  const server = createServer((req, res) => {
    const pathname = new URL(req.url, 'http://x').pathname;
    const record = { path: req.url, status: 0, encoding: null, bytes: 0 };
    requests.push(record);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      record.status = 405;
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    load(pathname).then(
      (entry) => {
        // Chromium always offers gzip; a client that does not gets a 406 rather than bytes it
        // cannot read, so that the bench cannot silently measure something else.
        const accepts = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
        record.status = accepts ? entry.status : 406;
        if (!accepts) {
          res.writeHead(406, { 'content-type': 'text/plain' }).end('gzip only');
          return;
        }
        record.encoding = 'gzip';
        record.bytes = entry.body.length;
        res.writeHead(entry.status, {
          'content-type': entry.type,
          'content-encoding': 'gzip',
          'content-length': entry.body.length,
          vary: 'accept-encoding',
          'cache-control': 'no-store',
        });
        res.end(req.method === 'HEAD' ? undefined : entry.body);
      },
      (e) => {
        record.status = 502;
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(String(e));
      },
    );
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, host, ok);
  });
  const origin = `http://${host}:${server.address().port}`;

  return {
    origin,
    requests,
    /** Compresses these paths now, before any timed run asks for them. */
    async warm(paths) {
      for (const p of paths) {
        const entry = await load(p);
        if (entry.status !== 200) throw new Error(`gzip static server: ${p} answered ${entry.status} upstream`);
      }
    },
    /** Serves `text` at `pathname` (compressed like the rest), for a page made by the bench. */
    put(pathname, text, type = 'text/html; charset=utf-8') {
      const raw = Buffer.from(text);
      cache.set(pathname, { status: 200, type, body: gzipSync(raw, { level: 9 }), raw: raw.length });
    },
    async close() {
      server.closeAllConnections();
      await new Promise((ok) => server.close(ok));
    },
  };
}
