// RP-initiated logout through the SDK (issue #4, scenario 7): the OP receives id_token_hint,
// post_logout_redirect_uri, client_id and state; the user confirms at the OP; back in the app
// handleSignoutCallback accepts the state, and rejects a tampered one with state_mismatch.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startEnv, inContext, App } from './lib/sdk.mjs';
import { confirmLogoutAtOp } from './lib/browser.mjs';

let env;

before(async () => {
  env = await startEnv();
});

after(async () => {
  await env?.close();
});

/** Clicks "Sign out" and waits for the OP's logout confirmation page; returns what the OP got. */
async function signoutToOp(app) {
  const endSession = `${env.op.issuer}/session/end`;
  await Promise.all([app.page.waitForURL((u) => u.href.startsWith(endSession)), app.click('signout')]);
  await app.page.locator('button[name="logout"][value="yes"]').waitFor();
  return env.op.events.endSessions.at(-1);
}

test('signoutRedirect: the OP gets id_token_hint, post_logout_redirect_uri and state; the app checks the state', () =>
  inContext(env, {}, async ({ context }) => {
    const app = await App.open(context, env);
    await app.signinRedirect();
    await app.waitSignedIn();
    const session = await app.session();
    env.op.events.clear();

    const sent = await signoutToOp(app);
    assert.equal(sent.method, 'GET');
    assert.equal(sent.id_token_hint, session.idToken);
    assert.equal(sent.post_logout_redirect_uri, env.urls.postLogoutRedirectUri);
    assert.equal(sent.client_id, 'spa');
    assert.match(sent.state ?? '', /^[\w-]{16,}$/);

    await confirmLogoutAtOp(app.page);
    await app.page.waitForURL((u) => u.href.startsWith(env.urls.postLogoutRedirectUri));
    await app.ready();
    assert.ok(env.op.events.names().includes('end_session.success'));

    const { lastSignout, lastError, session: after, events } = await app.state();
    assert.equal(lastError, null);
    assert.deepEqual(lastSignout, { state: sent.state });
    assert.equal(after, null);
    assert.equal(await app.status(), 'signed-out');
    assert.equal(await app.text('signed-in'), 'false');
    assert.equal(await app.shownError(), null);
    assert.equal(app.page.url(), env.urls.app, 'the state is gone from the address bar');
    assert.ok(!events.includes('signedIn'));

    // The OP session really ended: a silent sign-in now needs a login.
    await app.setOptions({ responseMode: 'web_message' });
    const call = await app.clickAndWait('signin-silent');
    assert.deepEqual({ ok: call.ok, code: call.code }, { ok: false, code: 'login_required' });
  }));

test('handleSignoutCallback rejects a tampered state with state_mismatch, which spends nothing; the real one is accepted once', () =>
  inContext(env, {}, async ({ context }) => {
    const app = await App.open(context, env);
    await app.signinRedirect();
    await app.waitSignedIn();
    const sent = await signoutToOp(app);
    assert.ok(sent.state);

    // An attacker's (or a stale) return instead of the OP's redirect.
    await app.page.goto(`${env.urls.postLogoutRedirectUri}?state=${sent.state.slice(0, -2)}xx`);
    await app.ready();
    assert.equal(await app.text('error-code'), 'state_mismatch');
    assert.equal(await app.testid('error').getAttribute('data-during'), 'handleSignoutCallback');
    const { lastError, lastSignout } = await app.state();
    assert.equal(lastError.code, 'state_mismatch');
    assert.equal(lastSignout, null);

    // A stray or forged return does not spend the pending logout: the OP's genuine return is
    // still accepted, once; a later page load of it is refused.
    const genuine = `${env.urls.postLogoutRedirectUri}?state=${encodeURIComponent(sent.state)}`;
    const handle = (url) => window.__example.client.handleSignoutCallback(url).then(() => 'accepted', (e) => e.code);
    assert.equal(await app.page.evaluate(handle, genuine), 'accepted');
    await app.page.reload();
    await app.ready();
    assert.equal(await app.page.evaluate(handle, genuine), 'state_mismatch');
  }));
