// handleRedirectCallback called twice in one page (React StrictMode double-invokes effects):
// one code exchange, the same session both times; and a callback URL whose transaction is gone
// (a reload, a back navigation) is a typed state_mismatch, never a loop: the example app shows it
// and offers a new sign-in.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startEnv, inContext, App } from './lib/sdk.mjs';

let env;

before(async () => {
  env = await startEnv();
});

after(async () => {
  await env?.close();
});

test('a callback handled twice in one page: one code exchange, the same session', () =>
  inContext(env, {}, async ({ context }) => {
    env.op.events.clear();
    const app = await App.open(context, env);
    const callbackUrls = [];
    app.page.on('framenavigated', (frame) => {
      if (frame === app.page.mainFrame() && frame.url().includes('code=')) callbackUrls.push(frame.url());
    });
    await app.signinRedirect({});
    await app.waitSignedIn();
    assert.equal(callbackUrls.length, 1, callbackUrls.join());
    const first = await app.page.evaluate(() => window.__example.client.session);

    // Again with the address the first call left behind (what a second effect run reads), with
    // the original callback URL, and twice at once.
    const again = await app.page.evaluate(async (original) => {
      const client = window.__example.client;
      const fromLocation = await client.handleRedirectCallback();
      const fromUrl = await client.handleRedirectCallback(original);
      const both = await Promise.all([client.handleRedirectCallback(original), client.handleRedirectCallback()]);
      return [fromLocation, fromUrl, ...both].map((s) => s.accessToken);
    }, callbackUrls[0]);
    assert.deepEqual(again, Array(4).fill(first.accessToken));
    assert.deepEqual(env.op.events.tokenCounts, { authorization_code: 1 }, 'one code exchange');
    assert.deepEqual(env.op.events.revokedGrants, [], 'no replayed code');

    // A new page (a reload) with the same callback URL: the transaction was taken once.
    const reloaded = await context.newPage();
    await reloaded.goto(env.urls.app);
    const error = await reloaded.evaluate(async (original) => {
      await window.__example.ready;
      try {
        await window.__example.client.handleRedirectCallback(original);
        return null;
      } catch (e) {
        return { code: e.code, name: e.name };
      }
    }, callbackUrls[0]);
    assert.deepEqual(error, { code: 'state_mismatch', name: 'OidcError' });
    assert.deepEqual(env.op.events.tokenCounts, { authorization_code: 1 }, 'still one code exchange');
  }));

test('a spent callback link, reloaded or reached by Back: state_mismatch shown with a sign-in offer, no loop', () =>
  inContext(env, {}, async ({ context }) => {
    env.op.events.clear();
    const app = await App.open(context, env);
    let callbackUrl;
    app.page.on('framenavigated', (frame) => {
      if (frame === app.page.mainFrame() && frame.url().includes('code=')) callbackUrl ??= frame.url();
    });
    await app.signinRedirect({});
    await app.waitSignedIn();
    const authorizations = env.op.events.authorizations.length;

    for (const how of ['reload', 'back']) {
      // The session of this tab lives in sessionStorage; a spent link must not touch it.
      if (how === 'reload') {
        await app.page.goto(callbackUrl);
      } else {
        // The link in the history: visit it, go elsewhere, come back.
        await app.page.goto(new URL('/?elsewhere=1', env.urls.app).href);
        await app.ready();
        await app.page.evaluate((url) => history.replaceState(null, '', url), callbackUrl);
        await app.page.goto(new URL('/?later=1', env.urls.app).href);
        await app.ready();
        await app.page.goBack();
      }
      await app.ready();
      assert.equal(await app.shownError(), 'state_mismatch', how);
      assert.equal(await app.testid('signin-again').isVisible(), true, `${how}: the sign-in offer`);
      // No loop: the page stays, the address is cleaned, nothing went to the OP.
      assert.equal(new URL(app.page.url()).search, '', how);
      assert.equal(env.op.events.authorizations.length, authorizations, `${how}: no new authorization request`);
      assert.deepEqual(env.op.events.tokenCounts, { authorization_code: 1 }, how);
      assert.equal(await app.status(), 'signed-in', `${how}: the session this tab had is kept`);
    }

    // The offer starts a new sign-in, which the OP (remembering Ana) answers at once.
    await Promise.all([
      app.page.waitForURL((u) => u.searchParams.has('code'), { waitUntil: 'commit' }),
      app.click('signin-again'),
    ]);
    await app.ready();
    await app.waitSignedIn();
    assert.equal(await app.shownError(), null);
    assert.equal(env.op.events.authorizations.length, authorizations + 1);
    assert.deepEqual(env.op.events.tokenCounts, { authorization_code: 2 });
  }));

test('a spent form_post callback link (the worker handed its body out already): state_mismatch, no second trip to the OP', () =>
  inContext(env, {}, async ({ context }) => {
    env.op.events.clear();
    const app = await App.open(context, env);
    await app.page.waitForFunction(() => window.__example.serviceWorker.then(() => true));
    let pickupUrl;
    app.page.on('framenavigated', (frame) => {
      if (frame === app.page.mainFrame() && frame.url().includes('oidc_form_post=')) pickupUrl ??= frame.url();
    });
    await app.signinRedirect({ responseMode: 'form_post' });
    await app.waitSignedIn();
    assert.ok(pickupUrl, 'the worker sent the page to its pick-up URL');
    const authorizations = env.op.events.authorizations.length;

    await app.page.goto(pickupUrl);
    await app.ready();
    assert.equal(await app.shownError(), 'state_mismatch');
    assert.equal(await app.testid('signin-again').isVisible(), true, 'the sign-in offer');
    assert.equal(new URL(app.page.url()).search, '', 'the address is cleaned');
    assert.equal(env.op.events.authorizations.length, authorizations, 'no new authorization request');
    assert.deepEqual(env.op.events.tokenCounts, { authorization_code: 1 });
    assert.equal(await app.status(), 'signed-in', 'the session this tab had is kept');
  }));
