// The OP on another site than the app (issue #4, scenario 8): app on 127.0.0.1, OP issuer on
// localhost. The OP's SameSite=Lax session cookie does not reach its page inside the app's
// iframe, so silent iframe renewal gets login_required from the OP, promptly (not a timeout),
// while renewal with the refresh token still works.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startEnv, inContext, App } from './lib/sdk.mjs';

const SILENT_TIMEOUT_MS = 10_000;

let env;

before(async () => {
  env = await startEnv({ op: { hostname: 'localhost' } });
});

after(async () => {
  await env?.close();
});

test('OP on another site: iframe renewal fails fast with login_required; the refresh token still renews', () =>
  inContext(env, { overrides: { silentTimeoutMs: SILENT_TIMEOUT_MS } }, async ({ context }) => {
    assert.match(env.op.issuer, /^http:\/\/localhost:\d+$/);
    assert.match(env.rp.origin, /^http:\/\/127\.0\.0\.1:\d+$/);
    const app = await App.open(context, env);
    // The redirect sign-in is a top-level navigation: the OP's cookie is first-party there.
    assert.deepEqual(await app.signinRedirect(), ['login', 'consent']);
    await app.waitSignedIn();
    const kept = await app.session();
    assert.equal(kept.claims.iss, env.op.issuer);
    const cookies = await context.cookies(env.op.issuer);
    assert.ok(cookies.some((c) => c.sameSite === 'Lax'), 'the OP has a SameSite=Lax session cookie');

    env.op.events.clear();
    await app.setOptions({ responseMode: 'web_message' });
    const call = await app.clickAndWait('signin-silent');
    assert.deepEqual({ name: call.name, ok: call.ok, code: call.code }, { name: 'signinSilent', ok: false, code: 'login_required' });
    // A functional bound: the OP's answer, well before the SDK would give up waiting.
    assert.ok(call.ms < SILENT_TIMEOUT_MS / 2, `${call.ms} ms`);
    assert.equal(await app.text('error-code'), 'login_required');
    assert.equal(env.op.events.authorizations.at(-1).prompt, 'none');
    assert.equal(env.op.events.log.find((e) => e.name === 'authorization.error')?.error, 'login_required');
    const afterFailure = await app.session();
    assert.equal(afterFailure.accessToken, kept.accessToken, 'the session is unchanged');

    // signinSilent without a response mode uses the refresh token first: no cookie needed.
    env.op.events.clear();
    const renewed = await app.page.evaluate(() =>
      window.__example.client.signinSilent().then(
        (s) => ({ ok: true, accessToken: s.accessToken, subject: s.subject }),
        (e) => ({ ok: false, code: e.code, message: e.message }),
      ),
    );
    assert.equal(renewed.ok, true, JSON.stringify(renewed));
    assert.notEqual(renewed.accessToken, kept.accessToken);
    assert.equal(renewed.subject, 'ana@example.com');
    assert.deepEqual(env.op.events.tokenCounts, { refresh_token: 1 });
    assert.deepEqual(env.op.events.authorizations, [], 'no iframe this time');
    // The page shows the renewed session (the SDK's refreshed event).
    await app.page.waitForFunction((at) => window.__example.lastSession?.accessToken === at, renewed.accessToken);
    assert.equal(await app.status(), 'signed-in');
    assert.equal((await app.session()).accessToken, renewed.accessToken);
    assert.deepEqual(env.op.events.names().filter((n) => n === 'server_error'), []);
  }));
