// The OP matrix: the SDK's core scenarios against each OpenID Provider of ops/adapters.mjs
// (node-oidc-provider, django-oauth-toolkit, Glewlwyd), written once and run per OP, in one
// Chromium. Per OP, in order, in one browser profile (the OP's login carries over, as it does for
// a user): discovery and create; a redirect sign-in with login_hint and ui_locales whose ID token
// signature is checked here against the OP's JWK Set too; refresh with and without an id_token in
// the response; silent renew by refresh token and in a hidden iframe (prompt=none with the ID
// token as id_token_hint); getAccessToken inside the expiry leeway; logout with state; then
// prompt=none after that logout, answered in the query and in the fragment. A popup sign-in runs
// in a fresh profile. What an OP cannot do is asserted as what it does instead and the typed
// error the SDK gives (the adapter's `lacks`), never skipped.
//
// What the browser sends to the OP is read from the requests the browser context makes, so the
// assertions are the same whichever OP answers.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';

import { ROOT, appContext, App } from './lib/sdk.mjs';
import { startStatic } from './lib/static.mjs';
import { launchBrowser } from './lib/browser.mjs';
import { storedSession, sessionKey } from './lib/calls.mjs';
import { nodeOidcProvider, djangoOauthToolkit, glewlwyd } from './ops/adapters.mjs';

const OPS = [nodeOidcProvider, djangoOauthToolkit, glewlwyd].filter(
  (op) => !process.env.OPS || process.env.OPS.split(',').includes(op.name),
);
const SCENARIO = { timeout: 60_000 };

const env = { rp: null, browser: null, baseConfig: null };

before(async () => {
  env.rp = await startStatic({ root: ROOT, config: () => env.baseConfig });
  env.browser = await launchBrowser();
});

after(async () => {
  await env.browser?.close();
  await env.rp?.close();
});

/** Records the requests a context sends to `origin`: { method, url, params } (query or form). */
function recordRequests(context, origin) {
  const seen = [];
  context.on('request', (r) => {
    const url = new URL(r.url());
    if (url.origin !== origin) return;
    const body = r.method() === 'POST' ? r.postData() ?? '' : '';
    const params = Object.fromEntries(new URLSearchParams(r.method() === 'POST' ? body : url.search));
    seen.push({ method: r.method(), url, path: url.pathname, params });
  });
  return seen;
}

const grants = (seen, since = 0) =>
  seen.slice(since).filter((r) => r.method === 'POST' && r.params.grant_type).map((r) => r.params.grant_type);
const authorizations = (seen, since = 0) =>
  seen.slice(since).filter((r) => r.method === 'GET' && r.params.response_type === 'code');

/** Verifies a compact JWS against the JWK Set at `jwksUri` with node:crypto (RS256). */
async function verifySignature(idToken, jwksUri) {
  const [header, payload, signature] = idToken.split('.');
  const { kid, alg } = JSON.parse(Buffer.from(header, 'base64url'));
  assert.equal(alg, 'RS256');
  const { keys } = await (await fetch(jwksUri)).json();
  const jwk = keys.find((k) => k.kty === 'RSA' && (kid === undefined || k.kid === kid));
  assert.ok(jwk, `a key for kid ${kid}`);
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  const ok = verify('RSA-SHA256', Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url'));
  assert.ok(ok, 'the ID token verifies with the OP key');
  const tampered = Buffer.from(`${header}.${payload}x`);
  assert.ok(!verify('RSA-SHA256', tampered, key, Buffer.from(signature, 'base64url')));
}

/** A redirect sign-in from `app`, acting as the user on the OP's pages. */
async function signinRedirect(app, adapter, options = {}) {
  await app.setOptions(options);
  const back = (u) => u.origin === env.rp.origin;
  await Promise.all([
    app.page.waitForEvent('framenavigated', (f) => f === app.page.mainFrame()),
    app.click('signin-redirect'),
  ]);
  const seen = await adapter.login(app.page, back);
  await app.page.waitForURL(back, { waitUntil: 'commit' });
  await app.ready();
  return seen;
}

/** Clicks `testid` with the sign-in options `options` (the rest cleared); returns the call record. */
async function clickWith(app, testid, options = {}) {
  await app.setOptions({ responseMode: '', loginHint: '', uiLocales: '', ...options });
  return app.clickAndWait(testid);
}

for (const adapter of OPS) {
  describe(adapter.name, () => {
    let op;
    let context;
    let app;
    let seen;
    const logs = [];
    let metadata;

    before(async () => {
      op = await adapter.start(env.rp.origin);
      env.baseConfig = op.config;
      context = await appContext(env, { overrides: { autoRefresh: false }, logs });
      seen = recordRequests(context, new URL(op.issuer).origin);
    });

    after(async () => {
      if (process.env.E2E_VERBOSE) console.error(logs.join('\n'));
      await context?.close();
      await op?.close();
    });

    test(`${adapter.name}: discovery and create`, SCENARIO, async () => {
      metadata = await (await fetch(`${op.issuer}/.well-known/openid-configuration`)).json();
      assert.equal(metadata.issuer, op.issuer);
      app = await App.open(context, env);
      assert.equal(await app.status(), 'signed-out', logs.join('\n'));
      assert.ok(seen.some((r) => r.path.endsWith('/.well-known/openid-configuration')));
      assert.equal(
        metadata.response_modes_supported === undefined,
        Boolean(adapter.lacks.responseModesSupported),
        'response_modes_supported in discovery',
      );
    });

    test(`${adapter.name}: redirect sign-in with login_hint and ui_locales; the ID token signature checks out`, SCENARIO, async () => {
      const since = seen.length;
      const pages = await signinRedirect(app, adapter, { loginHint: 'ana@example.com', uiLocales: 'pt-BR en' });
      assert.ok(pages.length >= 1, 'the OP asked for a login');
      await app.waitSignedIn();
      const [request] = authorizations(seen, since);
      assert.equal(request.params.login_hint, 'ana@example.com');
      assert.equal(request.params.ui_locales, 'pt-BR en');
      assert.equal(request.params.code_challenge_method, 'S256');
      assert.deepEqual(grants(seen, since), ['authorization_code']);
      const session = await app.session();
      assert.ok(session.claims.sub, 'a subject');
      assert.equal(session.claims.iss, op.issuer);
      assert.ok(session.hasRefreshToken, 'a refresh token');
      if (adapter.lacks.maxAge) assert.equal(session.claims.auth_time, 0, `${adapter.name} says auth_time 0`);
      await verifySignature(session.idToken, metadata.jwks_uri);
    });

    test(`${adapter.name}: refresh with an id_token in the response, and without one`, SCENARIO, async () => {
      const before = await app.session();
      await op.setRefreshIdToken?.(true);
      let since = seen.length;
      assert.equal((await clickWith(app, 'refresh')).ok, true, JSON.stringify((await app.state()).lastError));
      assert.deepEqual(grants(seen, since), ['refresh_token']);
      const withIdToken = await app.session();
      assert.notEqual(withIdToken.accessToken, before.accessToken);
      assert.equal(withIdToken.claims.sub, before.claims.sub);
      if (adapter.lacks.refreshIdToken) {
        // The OP never sends one: the SDK keeps the identity it has.
        assert.equal(withIdToken.idTokenFresh, false, `${adapter.name} sends no id_token on refresh`);
        assert.deepEqual(withIdToken.claims, before.claims);
        assert.equal(withIdToken.idToken, before.idToken);
        return;
      }
      assert.equal(withIdToken.idTokenFresh, true);
      await op.setRefreshIdToken(false);
      since = seen.length;
      assert.equal((await clickWith(app, 'refresh')).ok, true, JSON.stringify((await app.state()).lastError));
      assert.deepEqual(grants(seen, since), ['refresh_token']);
      const without = await app.session();
      assert.notEqual(without.accessToken, withIdToken.accessToken);
      assert.equal(without.idTokenFresh, false);
      assert.deepEqual(without.claims, withIdToken.claims, 'the identity is kept');
      assert.equal(without.idToken, withIdToken.idToken);
      await op.setRefreshIdToken(true);
    });

    test(`${adapter.name}: silent renew by refresh token, then in a hidden iframe with id_token_hint`, SCENARIO, async () => {
      const before = await app.session();
      let since = seen.length;
      const byRefresh = await clickWith(app, 'signin-silent');
      assert.equal(byRefresh.ok, true, JSON.stringify((await app.state()).lastError));
      assert.deepEqual(grants(seen, since), ['refresh_token']);
      assert.equal(authorizations(seen, since).length, 0, 'no iframe');
      const renewed = await app.session();
      assert.notEqual(renewed.accessToken, before.accessToken);

      // A response mode is something only an authorization request can do: the iframe.
      since = seen.length;
      const url = app.page.url();
      const byFrame = await clickWith(app, 'signin-silent', { responseMode: 'query' });
      assert.equal(byFrame.ok, true, JSON.stringify((await app.state()).lastError));
      const [request] = authorizations(seen, since);
      assert.equal(request.params.prompt, 'none');
      assert.equal(request.params.response_mode ?? 'query', 'query', 'the default mode, not sent');
      assert.equal(request.params.id_token_hint, renewed.idToken, 'the session ID token as id_token_hint');
      assert.deepEqual(grants(seen, since), ['authorization_code']);
      assert.equal(app.page.url(), url, 'no navigation');
      const framed = await app.session();
      assert.notEqual(framed.accessToken, renewed.accessToken);
      assert.equal(framed.claims.sub, renewed.claims.sub);
    });

    // OIDC Core 3.1.2.1: id_token_hint SHOULD come with prompt=none, and an OP MAY refuse without
    // it. Glewlwyd does (invalid_request): the SDK sends the session's ID token by default
    // (asserted above), and `idTokenHint: false` leaves it out.
    test(`${adapter.name}: silent renew in an iframe with idTokenHint: false`, SCENARIO, async () => {
      const since = seen.length;
      const outcome = await app.page.evaluate(() =>
        window.__example.client.signinSilent({ responseMode: 'query', idTokenHint: false }).then(
          (s) => ({ ok: true, sub: s.claims.sub }),
          (e) => ({ ok: false, code: e.code, description: e.description }),
        ),
      );
      const [request] = authorizations(seen, since);
      assert.equal(request.params.prompt, 'none');
      assert.equal(request.params.id_token_hint, undefined);
      if (adapter.lacks.promptNoneNeedsHint) {
        assert.deepEqual({ ok: outcome.ok, code: outcome.code }, { ok: false, code: 'invalid_request' }, JSON.stringify(outcome));
        assert.equal(await app.status(), 'signed-in', 'the session stays');
      } else {
        assert.equal(outcome.ok, true, JSON.stringify(outcome));
      }
    });

    // A refresh token spent by someone else (replayed here from Node) is refused: the SDK drops
    // it, and silent renew goes on to prompt=none in an iframe. Glewlwyd refuses with a bare HTTP
    // 400 and no error body, which the SDK reads as invalid_grant with reason no_error_body.
    test(`${adapter.name}: a refresh token spent elsewhere: invalid_grant, then silent renew by iframe`, SCENARIO, async () => {
      const stored = JSON.parse((await storedSession(app.page, sessionKey(op.issuer))).session);
      assert.ok(stored.refresh_token, 'a stored refresh token');
      const spent = await fetch(metadata.token_endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: stored.refresh_token, client_id: 'spa' }),
      });
      assert.equal(spent.status, 200, await spent.clone().text());
      const before = await app.session();
      const failedBefore = (await app.events()).filter((e) => e.name === 'refreshFailed').length;
      const since = seen.length;
      const call = await clickWith(app, 'signin-silent');
      const failed = (await app.events()).filter((e) => e.name === 'refreshFailed');
      assert.equal(failed.length, failedBefore + 1);
      const { detail } = failed.at(-1);
      assert.equal(detail.code, 'invalid_grant', JSON.stringify(detail));
      assert.equal(detail.reason, adapter.lacks.refusesWithoutBody ? 'no_error_body' : undefined, JSON.stringify(detail));
      assert.equal(authorizations(seen, since).length, 1, 'then prompt=none in an iframe');
      if (adapter.lacks.replayRevokesConsent) {
        // The OP revoked the whole grant, consent included: prompt=none cannot get it back.
        const { lastError } = await app.state();
        assert.equal(call.ok, false);
        assert.equal(lastError.code, 'consent_required', JSON.stringify(lastError));
        assert.deepEqual(grants(seen, since), ['refresh_token']);
        assert.equal((await app.session()).hasRefreshToken, false, 'the refused refresh token is dropped');
        await signinRedirect(app, adapter);
        await app.waitSignedIn();
        return;
      }
      assert.equal(call.ok, true, JSON.stringify((await app.state()).lastError));
      assert.deepEqual(grants(seen, since), ['refresh_token', 'authorization_code'], 'refresh, then the iframe');
      const after = await app.session();
      assert.notEqual(after.accessToken, before.accessToken);
      assert.equal(after.claims.sub, before.claims.sub);
      assert.ok(after.hasRefreshToken, 'the iframe sign-in brought a new refresh token');
    });

    test(`${adapter.name}: getAccessToken inside the expiry leeway refreshes`, SCENARIO, async () => {
      await op.setAccessTokenTtl(4);
      assert.equal((await clickWith(app, 'refresh')).ok, true);
      const short = await app.session();
      await op.setAccessTokenTtl(3600);
      assert.ok(short.expiresAt - Date.now() / 1000 <= 4, `a 4 s token (${short.expiresAt})`);
      // The leeway of a 4 s token is 2 s (half its lifetime).
      await app.page.waitForFunction((exp) => exp - Date.now() / 1000 < 2, short.expiresAt, { polling: 100 });
      const since = seen.length;
      const token = await app.page.evaluate(() => window.__example.client.getAccessToken());
      assert.notEqual(token, short.accessToken);
      assert.deepEqual(grants(seen, since), ['refresh_token']);
      const again = await app.page.evaluate(() => window.__example.client.getAccessToken());
      assert.equal(again, token, 'the new token, without another refresh');
      assert.deepEqual(grants(seen, since), ['refresh_token']);
    });

    // What the OP gets wrong is refused with a typed error, and the session stays: oauthlib
    // answers form_post by query (a code by another channel is refused); Glewlwyd URL-encodes the
    // values of its form_post form (its `iss` then differs from the issuer, RFC 9207) and sets
    // auth_time 0 (so max_age can never be met).
    test(`${adapter.name}: form_post and max_age`, SCENARIO, async () => {
      const before = await app.session();
      for (const [options, expected] of [
        [{ responseMode: 'form_post' }, adapter.lacks.formPost],
        [{ responseMode: '', maxAge: 300 }, adapter.lacks.maxAge],
      ]) {
        const since = seen.length;
        await signinRedirect(app, adapter, options);
        const [request] = authorizations(seen, since);
        if (options.maxAge) assert.equal(request.params.max_age, '300');
        else assert.equal(request.params.response_mode, options.responseMode);
        const shown = await app.shownError();
        const { lastError } = await app.state();
        const what = JSON.stringify(options);
        if (expected) {
          assert.equal(shown, expected.code, what);
          assert.equal(lastError.reason, expected.reason, `${what}: ${JSON.stringify(lastError)}`);
          assert.equal((await app.session())?.accessToken, before.accessToken, `${what}: the session stays`);
        } else {
          assert.equal(shown, null, `${what}: ${JSON.stringify(lastError)}`);
          await app.waitSignedIn();
          assert.equal((await app.session()).claims.sub, before.claims.sub, what);
        }
      }
      await app.setOptions({ maxAge: '' });
    });

    test(`${adapter.name}: logout with state, then prompt=none is the OP's error in query and fragment`, SCENARIO, async () => {
      const session = await app.session();
      const since = seen.length;
      // Back in the app with the state (the OP may answer at once, or ask first).
      const returned = app.page.waitForEvent('framenavigated', {
        predicate: (f) => f === app.page.mainFrame() && new URL(f.url()).origin === env.rp.origin && new URL(f.url()).searchParams.has('state'),
        timeout: 30_000,
      });
      await app.click('signout');
      await adapter.confirmLogout(app.page);
      await returned;
      await app.ready();
      const endSession = seen.slice(since).find((r) => r.url.href.startsWith(metadata.end_session_endpoint));
      assert.ok(endSession, 'the end_session endpoint was visited');
      assert.equal(endSession.params.id_token_hint, session.idToken);
      assert.match(endSession.params.state ?? '', /^[\w-]{16,}$/);
      const state = await app.state();
      assert.equal(state.lastError, null, JSON.stringify(state.lastError));
      assert.deepEqual(state.lastSignout, { state: endSession.params.state });
      assert.equal(await app.status(), 'signed-out');

      for (const responseMode of ['query', 'fragment']) {
        const since = seen.length;
        const call = await clickWith(app, 'signin-silent', { responseMode });
        const { lastError } = await app.state();
        assert.equal(call.ok, false, responseMode);
        const [request] = authorizations(seen, since);
        assert.equal(request.params.response_mode ?? 'query', responseMode);
        const expected = adapter.lacks.promptNoneError ?? 'login_required';
        assert.equal(lastError.code, expected, `${responseMode}: ${JSON.stringify(lastError)}`);
        const mismatch = responseMode === 'fragment' && adapter.lacks.errorsInQueryOnly;
        assert.equal(lastError.reason, mismatch ? 'response_mode_mismatch' : undefined, responseMode);
      }
    });

    test(`${adapter.name}: popup sign-in`, SCENARIO, async () => {
      const fresh = await appContext(env, { logs });
      try {
        const popupApp = await App.open(fresh, env);
        const atCallback = (u) => u.href.startsWith(`${env.rp.origin}/silent-callback.html`);
        const [popup] = await Promise.all([fresh.waitForEvent('page'), popupApp.click('signin-popup')]);
        try {
          await adapter.login(popup, atCallback);
        } catch (err) {
          if (!popup.isClosed()) throw err;
        }
        await popupApp.page.waitForFunction(() => window.__example.calls.some((c) => c.name === 'signinPopup'));
        const { calls, lastError } = await popupApp.state();
        assert.equal(calls.find((c) => c.name === 'signinPopup').ok, true, JSON.stringify(lastError));
        await popupApp.waitSignedIn();
        assert.ok((await popupApp.session()).claims.sub);
      } finally {
        await fresh.close();
      }
    });
  });
}
