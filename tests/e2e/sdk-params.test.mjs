// Authorization request parameters set through the SDK reach node-oidc-provider and take effect
// (issue #4, scenario 3): login_hint, ui_locales, prompt=login, max_age=0, id_token_hint.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startEnv, inContext, App } from './lib/sdk.mjs';
import { loginAtOp } from './lib/browser.mjs';

let env;

before(async () => {
  env = await startEnv();
});

after(async () => {
  await env?.close();
});

const lastAuthorization = () => env.op.events.authorizations.at(-1);
const interactions = () => env.op.events.log.filter((e) => e.name === 'interaction.started').map((e) => e.prompt);

/** Waits until the wall clock is past `seconds` (epoch): the OP counts login age in whole seconds. */
async function waitPastSecond(page, seconds) {
  await page.waitForFunction((s) => Date.now() / 1000 >= s + 1, seconds, { polling: 100 });
}

test('login_hint prefills the OP login form and ui_locales reaches the OP', () =>
  inContext(env, {}, async ({ context }) => {
    env.op.events.clear();
    const app = await App.open(context, env);
    await app.setOptions({ loginHint: 'bea@example.com', uiLocales: 'pt-BR en' });
    await app.click('signin-redirect');
    await app.page.waitForURL((u) => u.href.startsWith(`${env.op.issuer}/interaction/`));
    const login = app.page.locator('input[name="login"]');
    assert.equal(await login.inputValue(), 'bea@example.com');

    const sent = lastAuthorization();
    assert.equal(sent.login_hint, 'bea@example.com');
    assert.equal(sent.ui_locales, 'pt-BR en');

    await loginAtOp(app.page, { login: 'bea@example.com', until: (u) => u.origin === env.rp.origin });
    await app.page.waitForURL((u) => u.origin === env.rp.origin);
    await app.ready();
    await app.waitSignedIn();
    assert.equal(await app.text('subject'), 'bea@example.com');
    assert.equal((await app.session()).claims.email, 'bea@example.com');
  }));

test('prompt=login shows the login page despite a live OP session; without it the OP asks nothing', () =>
  inContext(env, {}, async ({ context }) => {
    env.op.events.clear();
    const app = await App.open(context, env);
    assert.deepEqual(await app.signinRedirect(), ['login', 'consent']);
    await app.waitSignedIn();
    const first = await app.session();

    // The OP session is live: a plain sign-in goes straight back.
    env.op.events.clear();
    assert.deepEqual(await app.signinRedirect(), []);
    await app.waitSignedIn();
    assert.deepEqual(interactions(), []);
    assert.equal(lastAuthorization().prompt, undefined);

    env.op.events.clear();
    assert.deepEqual(await app.signinRedirect({ prompt: 'login' }), ['login']);
    await app.waitSignedIn();
    assert.equal(lastAuthorization().prompt, 'login');
    assert.deepEqual(interactions(), ['login']);
    const { session, lastError } = await app.state();
    assert.equal(lastError, null);
    assert.equal(session.subject, first.subject);
    assert.notEqual(session.accessToken, first.accessToken);
    assert.equal(await app.shownError(), null);
  }));

test('max_age=0 forces re-authentication and the new session has a fresh auth_time', () =>
  inContext(env, {}, async ({ context }) => {
    env.op.events.clear();
    const app = await App.open(context, env);
    await app.signinRedirect();
    await app.waitSignedIn();
    const first = await app.session();
    // No max_age asked: this OP then leaves auth_time out of the ID token.
    assert.equal(first.authTime, undefined);
    // The OP counts the login's age in whole seconds (max_age=0 means "older than 0 s").
    await waitPastSecond(app.page, Math.floor(Date.now() / 1000));

    env.op.events.clear();
    const clickedAt = Math.floor(Date.now() / 1000);
    assert.deepEqual(await app.signinRedirect({ maxAge: 0 }), ['login']);
    await app.waitSignedIn();
    assert.equal(lastAuthorization().max_age, '0');
    const { session, lastError } = await app.state();
    assert.equal(lastError, null);
    assert.ok(session.authTime >= clickedAt, `authTime ${session.authTime} < click ${clickedAt}`);
    assert.equal(session.claims.auth_time, session.authTime);
    // The page shows the same instant (data-value holds the epoch seconds).
    assert.equal(await app.testid('auth-time').getAttribute('data-value'), String(session.authTime));
  }));

test('idTokenHint: true sends the session ID token as id_token_hint; the OP accepts it', () =>
  inContext(env, {}, async ({ context }) => {
    env.op.events.clear();
    const app = await App.open(context, env);
    await app.signinRedirect();
    await app.waitSignedIn();
    const first = await app.session();

    env.op.events.clear();
    // The example has no control for it: call the SDK the way an app would.
    await Promise.all([
      app.page.waitForEvent('framenavigated', (f) => f === app.page.mainFrame()),
      app.page.evaluate(() => {
        window.__example.client.signinRedirect({ idTokenHint: true }).catch((e) => {
          window.__example.lastError = e;
        });
      }),
    ]);
    assert.deepEqual(await loginAtOp(app.page, { until: (u) => u.origin === env.rp.origin }), []);
    await app.page.waitForURL((u) => u.origin === env.rp.origin);
    await app.ready();
    await app.waitSignedIn();

    assert.equal(lastAuthorization().id_token_hint, first.idToken);
    assert.deepEqual(env.op.events.names().filter((n) => n.endsWith('.error') || n === 'server_error'), []);
    const { session, lastError } = await app.state();
    assert.equal(lastError, null);
    assert.equal(await app.shownError(), null);
    assert.equal(session.subject, 'ana@example.com');
    assert.notEqual(session.idToken, first.idToken);
    assert.equal(await app.text('subject'), 'ana@example.com');
  }));
