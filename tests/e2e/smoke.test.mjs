// Proves the end-to-end infrastructure without the SDK: the OP, the static server and Chromium
// together carry every protocol exchange the SDK scenarios will rely on, driven by hand here.
// Tests run in order and share one signed-in browser context, like a user's session would.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startOp } from './lib/op.mjs';
import { startStatic } from './lib/static.mjs';
import { launchBrowser, newContext, loginAtOp, confirmLogoutAtOp } from './lib/browser.mjs';
import { discover, authorizationRequest, exchangeCode, refresh, tokenRequest, jwtPayload } from './lib/oauth.mjs';

let root; // a throwaway "repository root" with www-example/ and pkg/ of our own
let rp; // the static server (the relying party's origin)
let op;
let meta; // the OP's discovery document
let browser;
let ctxA; // the signed-in browser context
let redirectUri;
let postLogoutUri;
const tokens = {}; // from the first code exchange

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'oidc-e2e-smoke-'));
  await mkdir(join(root, 'www-example'));
  await mkdir(join(root, 'pkg'));
  const page = (id) => `<!DOCTYPE html><meta charset="utf-8"><title>${id}</title><p id="${id}">${id}</p>`;
  await writeFile(join(root, 'www-example', 'index.html'), page('rp-home'));
  await writeFile(join(root, 'www-example', 'callback.html'), page('rp-callback'));
  await writeFile(join(root, 'pkg', 'oidc_rp_wasm_bg.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  await writeFile(join(root, 'pkg', 'oidc_rp_wasm.js'), 'export const ok = true;\n');
  await writeFile(join(root, 'pkg', 'form-post-sw.js'), '// service worker stand-in\n');
  await writeFile(join(root, 'pkg', 'silent-callback.html'), page('silent-callback'));

  // The static server first: the client's redirect URIs need its origin. Its config.json is
  // a function, so it can name the OP that is started next.
  rp = await startStatic({ root, config: () => ({ issuer: op.issuer, clientId: 'spa' }) });
  redirectUri = `${rp.origin}/callback.html`;
  postLogoutUri = `${rp.origin}/index.html`;
  op = await startOp({ clients: [{ redirect_uris: [redirectUri], post_logout_redirect_uris: [postLogoutUri] }] });
  meta = await discover(op.issuer);
  browser = await launchBrowser();
  ctxA = await newContext(browser);
});

after(async () => {
  await browser?.close();
  await op?.close();
  await rp?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

/** Navigates `page` to an authorization URL and returns the redirect URI's query parameters. */
async function authorize(page, url, { login = true } = {}) {
  await page.goto(url);
  if (login) await loginAtOp(page, { until: redirectUri });
  await page.waitForURL((u) => u.href.startsWith(redirectUri));
  return new URL(page.url()).searchParams;
}

test('runs on Node 22 (oidc-provider 9 needs it; npm puts devDependency node@22 on PATH)', (t) => {
  t.diagnostic(`${process.execPath} ${process.version}`);
  assert.equal(process.versions.node.split('.')[0], '22');
});

test('discovery advertises what the SDK needs', () => {
  assert.equal(meta.issuer, op.issuer);
  assert.match(meta.issuer, /^http:\/\/127\.0\.0\.1:\d+$/);
  for (const mode of ['query', 'fragment', 'form_post', 'web_message']) {
    assert.ok(meta.response_modes_supported.includes(mode), mode);
  }
  assert.equal(meta.end_session_endpoint, `${op.issuer}/session/end`);
  assert.deepEqual(meta.code_challenge_methods_supported, ['S256']);
  assert.equal(meta.authorization_response_iss_parameter_supported, true);
  assert.ok(meta.grant_types_supported.includes('refresh_token'));
  assert.ok(meta.id_token_signing_alg_values_supported.includes('RS256'));
});

test('static server: files, MIME types, config.json, 404, no traversal, POST is 405', async () => {
  const get = (path, init) => fetch(`${rp.origin}${path}`, init);
  const cases = [
    ['/', 200, 'text/html; charset=utf-8'],
    ['/index.html', 200, 'text/html; charset=utf-8'],
    ['/oidc-rp-wasm/oidc_rp_wasm_bg.wasm', 200, 'application/wasm'],
    ['/oidc-rp-wasm/oidc_rp_wasm.js', 200, 'text/javascript; charset=utf-8'],
    ['/form-post-sw.js', 200, 'text/javascript; charset=utf-8'],
    ['/silent-callback.html', 200, 'text/html; charset=utf-8'],
    ['/config.json', 200, 'application/json; charset=utf-8'],
    ['/missing.html', 404],
    ['/oidc-rp-wasm/', 404],
    ['/../pkg/form-post-sw.js', 404], // fetch normalizes this one to /pkg/form-post-sw.js
    ['/%2e%2e/pkg/form-post-sw.js', 404],
    ['/oidc-rp-wasm/..%2fwww-example%2findex.html', 404],
    ['/oidc-rp-wasm/%2e%2e/www-example/index.html', 404],
  ];
  for (const [path, status, type] of cases) {
    const res = await get(path);
    assert.equal(res.status, status, path);
    if (type) assert.equal(res.headers.get('content-type'), type, path);
  }
  assert.deepEqual(await (await get('/config.json')).json(), { issuer: op.issuer, clientId: 'spa' });
  const post = await get('/callback.html', { method: 'POST', body: 'code=x&state=y' });
  assert.equal(post.status, 405);
  assert.equal(rp.requests.at(-1).body, 'code=x&state=y');
});

test('code flow, response_mode=query: login and consent, then code, state and iss (RFC 9207)', async () => {
  const page = await ctxA.newPage();
  const req = authorizationRequest(meta, { redirectUri, response_mode: 'query' });
  await page.goto(req.url);
  const pages = await loginAtOp(page, { until: redirectUri });
  assert.deepEqual(pages, ['login', 'consent']);
  await page.waitForURL((u) => u.href.startsWith(redirectUri));
  const params = new URL(page.url()).searchParams;
  assert.ok(params.get('code'));
  assert.equal(params.get('state'), req.state);
  assert.equal(params.get('iss'), op.issuer);

  const [sent] = op.events.authorizations;
  assert.equal(sent.code_challenge_method, 'S256');
  assert.equal(sent.nonce, req.nonce);
  assert.deepEqual(op.events.names().filter((n) => n === 'interaction.started').length, 2);

  // From Node, as a public client: no client authentication, the PKCE verifier instead.
  const { status, body } = await exchangeCode(meta, { code: params.get('code'), verifier: req.verifier, redirectUri });
  assert.equal(status, 200, JSON.stringify(body));
  assert.equal(body.token_type, 'Bearer');
  assert.equal(body.expires_in, 3600);
  assert.ok(body.access_token && body.id_token && body.refresh_token);
  const claims = jwtPayload(body.id_token);
  assert.equal(claims.iss, op.issuer);
  assert.equal(claims.aud, 'spa');
  assert.equal(claims.nonce, req.nonce);
  assert.equal(claims.sub, 'ana@example.com');
  assert.equal(claims.email, 'ana@example.com');
  assert.equal(claims.name, 'Ana Example');
  Object.assign(tokens, body);
  await page.close();
});

test('CORS: the RP origin may call token and userinfo from the page; other origins may not', async () => {
  const page = await ctxA.newPage();
  await page.goto(`${rp.origin}/index.html`);
  const out = await page.evaluate(
    async ({ meta, accessToken }) => {
      const disco = await fetch(`${meta.issuer}/.well-known/openid-configuration`);
      const jwks = await fetch(meta.jwks_uri);
      // Authorization header: a preflighted request.
      const ui = await fetch(meta.userinfo_endpoint, { headers: { authorization: `Bearer ${accessToken}` } });
      // A token request the way the SDK makes it (form body: no preflight, CORS on response).
      const tok = await fetch(meta.token_endpoint, {
        method: 'POST',
        body: new URLSearchParams({ grant_type: 'authorization_code', code: 'bogus', client_id: 'spa', code_verifier: 'x'.repeat(43), redirect_uri: 'x' }),
      });
      return { disco: disco.status, jwks: (await jwks.json()).keys.length, userinfo: await ui.json(), token: await tok.json() };
    },
    { meta, accessToken: tokens.access_token },
  );
  assert.equal(out.disco, 200);
  assert.equal(out.jwks, 1);
  assert.deepEqual(out.userinfo, { sub: 'ana@example.com', name: 'Ana Example', email: 'ana@example.com', email_verified: true });
  assert.equal(out.token.error, 'invalid_grant'); // readable: CORS let the error through

  const foreign = await tokenRequest(meta, { grant_type: 'refresh_token', refresh_token: 'x', client_id: 'spa' }, { origin: 'http://127.0.0.1:1' });
  assert.equal(foreign.status, 400);
  assert.equal(foreign.body.error, 'invalid_request');
  assert.match(foreign.body.error_description, /origin/);
  await page.close();
});

test('prompt=none in the signed-in context returns a code without showing any OP page', async () => {
  const page = await ctxA.newPage();
  const committed = [];
  page.on('framenavigated', (f) => f === page.mainFrame() && committed.push(f.url()));
  op.events.clear();
  const req = authorizationRequest(meta, { redirectUri, prompt: 'none' });
  const params = await authorize(page, req.url, { login: false });
  assert.ok(params.get('code'));
  assert.equal(params.get('state'), req.state);
  assert.ok(committed.every((u) => u.startsWith(rp.origin)), committed.join(' '));
  assert.ok(!op.events.names().includes('interaction.started'));
  await page.close();
});

test('prompt=none in a new browser context returns error=login_required', async () => {
  const ctx = await newContext(browser);
  const page = await ctx.newPage();
  const req = authorizationRequest(meta, { redirectUri, prompt: 'none' });
  const params = await authorize(page, req.url, { login: false });
  assert.equal(params.get('error'), 'login_required');
  assert.equal(params.get('state'), req.state);
  assert.equal(params.get('iss'), op.issuer);
  await ctx.close();
});

test('response_mode=web_message in a hidden iframe posts the response to the RP window', async () => {
  const page = await ctxA.newPage();
  await page.goto(`${rp.origin}/index.html`);
  const req = authorizationRequest(meta, { redirectUri, prompt: 'none', response_mode: 'web_message' });
  const msg = await page.evaluate(
    ({ url, opOrigin }) =>
      new Promise((resolve, reject) => {
        const frame = document.createElement('iframe');
        frame.hidden = true;
        const timer = setTimeout(() => reject(new Error('no web_message within 10 s')), 10_000);
        window.addEventListener('message', (e) => {
          if (e.origin !== opOrigin || e.source !== frame.contentWindow) return;
          clearTimeout(timer);
          resolve({ origin: e.origin, data: e.data });
        });
        frame.src = url;
        document.body.append(frame);
      }),
    { url: req.url, opOrigin: op.issuer },
  );
  assert.equal(msg.data.type, 'authorization_response');
  assert.ok(msg.data.response.code);
  assert.equal(msg.data.response.state, req.state);
  assert.equal(msg.data.response.iss, op.issuer);
  await page.close();
});

test('response_mode=form_post: the OP makes the browser POST code and state to the redirect URI', async () => {
  const page = await ctxA.newPage();
  const req = authorizationRequest(meta, { redirectUri, response_mode: 'form_post' });
  const posted = page.waitForRequest((r) => r.method() === 'POST' && r.url() === redirectUri);
  await page.goto(req.url);
  const body = new URLSearchParams((await posted).postData());
  assert.ok(body.get('code'));
  assert.equal(body.get('state'), req.state);
  assert.equal(body.get('iss'), op.issuer);
  // No service worker here, so the static server saw it (and answered 405, by design).
  await page.waitForURL(redirectUri);
  const seen = rp.requests.findLast((r) => r.method === 'POST');
  assert.equal(seen.status, 405);
  assert.equal(new URLSearchParams(seen.body).get('state'), req.state);
  await page.close();
});

test('refresh tokens rotate; replaying a rotated one is invalid_grant and revokes the grant', async () => {
  const page = await ctxA.newPage();
  const req = authorizationRequest(meta, { redirectUri, prompt: 'none' });
  const params = await authorize(page, req.url, { login: false });
  const first = await exchangeCode(meta, { code: params.get('code'), verifier: req.verifier, redirectUri });
  const rt1 = first.body.refresh_token;
  op.events.clear();

  const second = await refresh(meta, rt1);
  assert.equal(second.status, 200, JSON.stringify(second.body));
  assert.ok(second.body.id_token, 'refresh responses carry an id_token by default');
  const rt2 = second.body.refresh_token;
  assert.ok(rt2 && rt2 !== rt1);
  assert.equal(jwtPayload(second.body.id_token).sub, 'ana@example.com');

  // The second refresh from the RP page, as the SDK will do it (CORS on the token endpoint).
  await page.goto(`${rp.origin}/index.html`);
  const third = await page.evaluate(
    async ({ endpoint, rt }) => {
      const res = await fetch(endpoint, { method: 'POST', body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: rt, client_id: 'spa' }) });
      return { status: res.status, body: await res.json() };
    },
    { endpoint: meta.token_endpoint, rt: rt2 },
  );
  assert.equal(third.status, 200, JSON.stringify(third.body));
  const rt3 = third.body.refresh_token;
  assert.ok(rt3 && rt3 !== rt2 && rt3 !== rt1);

  const replay = await refresh(meta, rt1);
  assert.equal(replay.status, 400);
  assert.equal(replay.body.error, 'invalid_grant');
  assert.equal(op.events.refreshTokenReuse, 1);
  assert.equal(op.events.revokedGrants.length, 1);
  // The whole grant is gone, including the newest token.
  const after = await refresh(meta, rt3);
  assert.equal(after.body.error, 'invalid_grant');
  assert.deepEqual(op.events.tokenCounts, { refresh_token: 4 });
  assert.deepEqual(op.events.names().filter((n) => n === 'refresh_token.consumed').length, 2);
  await page.close();
});

test('after the grant is revoked a new sign-in shows only consent; a replayed code revokes its tokens', async () => {
  const page = await ctxA.newPage();
  // The OP session survives the grant revocation, so no login page, but consent again.
  const req = authorizationRequest(meta, { redirectUri });
  await page.goto(req.url);
  assert.deepEqual(await loginAtOp(page, { until: redirectUri }), ['consent']);
  await page.waitForURL((u) => u.href.startsWith(redirectUri));
  const code = new URL(page.url()).searchParams.get('code');
  const first = await exchangeCode(meta, { code, verifier: req.verifier, redirectUri });
  assert.equal(first.status, 200);
  const userinfo = (at) => fetch(meta.userinfo_endpoint, { headers: { authorization: `Bearer ${at}` } });
  assert.equal((await userinfo(first.body.access_token)).status, 200);

  // RFC 6749 §4.1.2: a code used twice fails, and the OP revokes what it issued from it.
  const again = await exchangeCode(meta, { code, verifier: req.verifier, redirectUri });
  assert.equal(again.body.error, 'invalid_grant');
  assert.equal((await userinfo(first.body.access_token)).status, 401);
  assert.equal((await refresh(meta, first.body.refresh_token)).body.error, 'invalid_grant');
  await page.close();
});

test('variant refreshWithoutIdToken: refresh responses carry no id_token', async () => {
  const op2 = await startOp({ refreshWithoutIdToken: true, clients: [{ redirect_uris: [redirectUri] }] });
  const ctx = await newContext(browser);
  try {
    const meta2 = await discover(op2.issuer);
    const page = await ctx.newPage();
    const req = authorizationRequest(meta2, { redirectUri });
    await page.goto(req.url);
    await loginAtOp(page);
    await page.waitForURL((u) => u.href.startsWith(redirectUri));
    const code = new URL(page.url()).searchParams.get('code');
    const first = await exchangeCode(meta2, { code, verifier: req.verifier, redirectUri });
    assert.ok(first.body.id_token, 'the code exchange still returns an id_token');
    const refreshed = await refresh(meta2, first.body.refresh_token);
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.ok(refreshed.body.access_token && refreshed.body.refresh_token);
    assert.equal(refreshed.body.id_token, undefined);
    assert.equal(op2.events.tokenRequests.at(-1).hasIdToken, false);
  } finally {
    await ctx.close();
    await op2.close();
  }
});

test('RP-initiated logout: confirm page, back to post_logout_redirect_uri with state', async () => {
  const page = await ctxA.newPage();
  const url = new URL(meta.end_session_endpoint);
  url.search = new URLSearchParams({
    id_token_hint: tokens.id_token,
    post_logout_redirect_uri: postLogoutUri,
    client_id: 'spa',
    state: 'bye-1',
  });
  await page.goto(url.href);
  await confirmLogoutAtOp(page);
  await page.waitForURL((u) => u.href.startsWith(postLogoutUri));
  assert.equal(new URL(page.url()).searchParams.get('state'), 'bye-1');
  const sent = op.events.endSessions.at(-1);
  assert.equal(sent.id_token_hint, tokens.id_token);
  assert.equal(sent.post_logout_redirect_uri, postLogoutUri);
  assert.ok(op.events.names().includes('end_session.success'));

  // The OP session is gone: prompt=none now needs a login.
  const req = authorizationRequest(meta, { redirectUri, prompt: 'none' });
  const params = await authorize(page, req.url, { login: false });
  assert.equal(params.get('error'), 'login_required');
  assert.deepEqual(op.events.names().filter((n) => n === 'server_error'), []);
  await page.close();
});
