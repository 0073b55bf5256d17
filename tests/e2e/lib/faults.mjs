// A fault-injecting HTTP proxy for the end-to-end tests, on loopback: it stands in front of the
// OP's token and JWK Set endpoints (the browser is pointed at it by rewriting the discovery
// document, see routeEndpointsThrough) and passes everything on to the OP, unless a fault is set
// for that endpoint: an HTML error page, a connection dropped in the middle of the body, an
// answer slower than the client's deadline, a huge body, a 404, or requests held at a gate until
// the test releases them. `stop()` and `start()` take the port down and up again (connection
// refused in between).
//
// Fabricated answers are never passed on to the OP, so a faulted refresh_token grant rotates
// nothing there: the refresh token the client holds stays valid for the next call. Requests are
// recorded in `requests`; tests wait on them with `waitFor` (an event, never a sleep).

import { createServer, request as httpRequest } from 'node:http';
import { EventEmitter } from 'node:events';

/** Request and response headers that belong to one connection, not to the message. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer'];

function listen(server, port, host) {
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      ok(server.address().port);
    });
  });
}

function readBody(req) {
  return new Promise((ok, fail) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => ok(Buffer.concat(chunks)));
    req.on('error', fail);
  });
}

function withoutHopByHop(headers) {
  const out = { ...headers };
  for (const name of HOP_BY_HOP) delete out[name];
  return out;
}

/**
 * Starts the proxy in front of `target` (the OP's origin, e.g. op.issuer). `paths` names the
 * paths the faults apply to: { token: '/token', jwks: '/jwks' } (from op.provider.pathFor).
 *
 * Faults (`setFault(endpoint, fault)`, endpoint 'token' or 'jwks'; on 'token' only refresh_token
 * grants are faulted unless `fault.grantTypes` lists others):
 * - { status, type, body }: answer that (`body` a string or a function returning one; `type`
 *   defaults to text/html), with CORS headers for the request's origin (`cors: false` leaves
 *   them out);
 * - { drop: true, status, type, body, sendBytes }: send the status line, headers (with the
 *   content-length of the whole `body`) and the first `sendBytes` of it, then destroy the socket;
 * - { delayHeadersMs }: hold the request unanswered until the client gives up (closes the
 *   connection; it is then never passed on) or `delayHeadersMs` pass (then it is passed on);
 * - { stallBody: true, status, type, head, tail, maxMs }: send the headers and `head` at once,
 *   the rest (`tail`) only after `maxMs` unless the client closed the connection first;
 * - { gate: true }: hold the request until `release()` (then it is passed on) or until the client
 *   closes the connection.
 *
 * Returns { origin, port, requests, setFault, clearFaults, waitFor, release, stop, start, close }.
 * Each entry of `requests`: { endpoint ('token' | 'jwks' | 'other'), method, path, grantType,
 * fault (its kind, or null), outcome ('forwarded' | 'fabricated' | 'dropped' | 'client_closed' |
 * 'upstream_error'), status, receivedAt, doneAt, clientClosedAt }.
 */
export async function startFaultProxy({ target, paths, host = '127.0.0.1', port = 0 }) {
  const upstream = new URL(target);
  const events = new EventEmitter();
  const requests = [];
  const faults = { token: null, jwks: null };
  /** Requests held at the gate: their pass-on functions. */
  const gated = new Set();
  const sockets = new Set();
  let server = null;
  let boundPort = port;
  /** Timers of delayed answers, cleared on close so that nothing outlives the proxy. */
  const timers = new Set();

  const later = (ms, fn) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
    return timer;
  };

  function endpointOf(path) {
    if (path === paths.token) return 'token';
    if (path === paths.jwks) return 'jwks';
    return 'other';
  }

  function corsHeaders(req, fault) {
    if (fault.cors === false || !req.headers.origin) return {};
    return { 'access-control-allow-origin': req.headers.origin, vary: 'Origin' };
  }

  function settle(record, outcome, status) {
    if (record.outcome !== null) return;
    record.outcome = outcome;
    if (status !== undefined) record.status = status;
    record.doneAt = Date.now();
    events.emit('change', record);
  }

  function forward(req, res, body, record) {
    const options = {
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: { ...withoutHopByHop(req.headers), host: upstream.host, 'content-length': String(body.length) },
      agent: false,
    };
    const out = httpRequest(options, (answer) => {
      res.writeHead(answer.statusCode, withoutHopByHop(answer.headers));
      answer.pipe(res);
      answer.on('end', () => settle(record, 'forwarded', answer.statusCode));
    });
    out.on('error', (e) => {
      settle(record, 'upstream_error');
      res.destroy(e);
    });
    out.end(body);
  }

  async function handle(req, res) {
    const path = new URL(req.url, 'http://x').pathname;
    const endpoint = endpointOf(path);
    const body = await readBody(req);
    const grantType = endpoint === 'token' && req.method === 'POST' ? new URLSearchParams(body.toString('utf8')).get('grant_type') : null;
    const record = {
      endpoint,
      method: req.method,
      path,
      grantType,
      fault: null,
      outcome: null,
      status: null,
      receivedAt: Date.now(),
      doneAt: null,
      clientClosedAt: null,
    };
    requests.push(record);
    // 'close' before the answer ended: the client went away (an aborted fetch, a closed tab).
    res.once('close', () => {
      if (!res.writableFinished) {
        record.clientClosedAt = Date.now();
        settle(record, 'client_closed');
      }
      events.emit('change', record);
    });

    let fault = endpoint === 'other' || req.method === 'OPTIONS' ? null : faults[endpoint];
    if (fault && endpoint === 'token' && !(fault.grantTypes ?? ['refresh_token']).includes(grantType)) fault = null;
    record.fault = fault ? faultKind(fault) : null;
    events.emit('change', record);
    if (!fault) {
      forward(req, res, body, record);
      return;
    }

    const type = fault.type ?? 'text/html; charset=utf-8';
    if (fault.gate) {
      const pass = () => {
        gated.delete(pass);
        if (!res.destroyed) forward(req, res, body, record);
      };
      gated.add(pass);
      res.once('close', () => gated.delete(pass));
      return;
    }
    if (fault.delayHeadersMs !== undefined) {
      const timer = later(fault.delayHeadersMs, () => {
        if (!res.destroyed) forward(req, res, body, record);
      });
      res.once('close', () => {
        clearTimeout(timer);
        timers.delete(timer);
      });
      return;
    }
    if (fault.drop) {
      const whole = Buffer.from(fault.body);
      res.writeHead(fault.status ?? 200, { 'content-type': type, 'content-length': String(whole.length), ...corsHeaders(req, fault) });
      res.write(whole.subarray(0, fault.sendBytes ?? Math.floor(whole.length / 2)), () => {
        settle(record, 'dropped', fault.status ?? 200);
        res.socket?.destroy();
      });
      return;
    }
    if (fault.stallBody) {
      const head = Buffer.from(fault.head ?? '');
      const tail = Buffer.from(fault.tail ?? '');
      res.writeHead(fault.status ?? 200, { 'content-type': type, 'content-length': String(head.length + tail.length), ...corsHeaders(req, fault) });
      res.write(head);
      const timer = later(fault.maxMs, () => {
        if (!res.destroyed) {
          res.end(tail);
          settle(record, 'fabricated', fault.status ?? 200);
        }
      });
      res.once('close', () => {
        clearTimeout(timer);
        timers.delete(timer);
      });
      return;
    }
    const payload = typeof fault.body === 'function' ? fault.body() : fault.body ?? '';
    res.writeHead(fault.status ?? 200, { 'content-type': type, ...corsHeaders(req, fault) });
    res.end(payload, () => settle(record, 'fabricated', fault.status ?? 200));
  }

  async function start() {
    if (server) return; // already listening
    const fresh = createServer((req, res) => {
      handle(req, res).catch((err) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`fault proxy: ${err}`);
      });
    });
    fresh.on('connection', (socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    boundPort = await listen(fresh, boundPort, host);
    server = fresh;
  }

  async function stop() {
    if (!server) return;
    const closing = server;
    server = null;
    // Held requests and Chromium's keep-alive sockets would keep close() waiting.
    for (const socket of sockets) socket.destroy();
    closing.closeAllConnections();
    await new Promise((ok) => closing.close(ok));
  }

  await start();

  return {
    origin: `http://${host}:${boundPort}`,
    port: boundPort,
    requests,
    /** Sets the fault of `endpoint` ('token' or 'jwks'); null clears it. */
    setFault(endpoint, fault) {
      if (!(endpoint in faults)) throw new TypeError(`unknown endpoint ${endpoint}`);
      faults[endpoint] = fault;
    },
    clearFaults() {
      faults.token = null;
      faults.jwks = null;
    },
    /** How many requests are held at the gate now. */
    get gated() {
      return gated.size;
    },
    /** Passes every request held at the gate on to the OP. */
    release() {
      for (const pass of [...gated]) pass();
    },
    /**
     * Resolves with the first entry of `requests` (from index `since`) for which `predicate` holds,
     * as soon as there is one; rejects after `timeout` ms.
     */
    waitFor(predicate, { since = 0, timeout = 10_000 } = {}) {
      const found = () => requests.slice(since).find(predicate);
      const hit = found();
      if (hit) return Promise.resolve(hit);
      return new Promise((ok, fail) => {
        const onChange = () => {
          const match = found();
          if (match) {
            cleanup();
            ok(match);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          fail(new Error(`fault proxy: no matching request within ${timeout} ms; requests: ${JSON.stringify(requests.slice(since))}`));
        }, timeout);
        const cleanup = () => {
          clearTimeout(timer);
          events.off('change', onChange);
        };
        events.on('change', onChange);
      });
    },
    /** Takes the port down: new connections are refused until start(). Open ones are cut. */
    stop,
    /** Listens again, on the same port. */
    start,
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      gated.clear();
      await stop();
    },
  };
}

function faultKind(fault) {
  if (fault.gate) return 'gate';
  if (fault.delayHeadersMs !== undefined) return 'delay_headers';
  if (fault.drop) return 'drop';
  if (fault.stallBody) return 'stall_body';
  return `status_${fault.status ?? 200}`;
}

/**
 * Points the pages of `context` at `proxy` for the discovery document's `endpoints` (default the
 * token endpoint and the JWK Set) by rewriting the document on its way to the browser; every
 * other endpoint, and the issuer, stay the OP's.
 */
export async function routeEndpointsThrough(context, issuer, proxy, endpoints = ['token_endpoint', 'jwks_uri']) {
  await context.route(`${issuer}/.well-known/openid-configuration`, async (route) => {
    const response = await route.fetch();
    const metadata = await response.json();
    for (const name of endpoints) {
      const original = new URL(metadata[name]);
      metadata[name] = `${proxy.origin}${original.pathname}${original.search}`;
    }
    await route.fulfill({ response, json: metadata });
  });
}
