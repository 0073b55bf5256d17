// handleRedirectCallback called twice in one page (React StrictMode double-invokes effects):
// one code exchange, the same session both times; and a callback URL whose transaction is gone
// (a reload, a back navigation) is a typed state_mismatch, never a loop.

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
