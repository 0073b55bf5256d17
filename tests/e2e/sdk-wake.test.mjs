// A page whose timers did not run (frozen, throttled, a suspended machine) catches up as soon as
// it wakes. Here the page's clock jumps past the access token's expiry with no timer firing while
// the browser is offline; coming back `online` gives one refresh on the wire at once, and
// getAccessToken() shares it. (The same wake-up runs on `visibilitychange` to visible, `resume`
// and `pageshow`: sdk-frozen.test.mjs freezes a page for real in the back/forward cache.)

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

test('asleep past the token lifetime, then back online: one refresh at once, getAccessToken shares it', () =>
  inContext(env, {}, async ({ context }) => {
    env.op.settings.accessTokenTtl = 30;
    // Fake timers and Date: pausing them stands for a page whose timers never ran.
    await context.clock.install();
    const app = await App.open(context, env);
    await app.signinRedirect({});
    await app.waitSignedIn();
    const before = await app.page.evaluate(() => window.__example.client.session);
    assert.equal(before.hasRefreshToken, true);
    env.op.events.clear();

    // Offline, and past the expiry without any timer firing (no `expiring`, no refresh).
    await context.setOffline(true);
    await context.clock.pauseAt(Date.now() + 1000);
    await context.clock.setSystemTime(before.expiresAt * 1000 + 5000);
    assert.deepEqual(env.op.events.tokenCounts, {}, 'nothing happened while asleep');
    assert.deepEqual(
      (await app.page.evaluate(() => window.__example.events.map((e) => e.name))).filter((n) => n !== 'signedIn'),
      [],
      'no timer fired',
    );

    await context.setOffline(false);
    // The refresh starts from the `online` event itself, not from a later call.
    await app.page.waitForFunction(() => window.__example.events.some((e) => e.name === 'refreshed'), null, {
      polling: 100,
      timeout: 10_000,
    });
    assert.deepEqual(env.op.events.tokenCounts, { refresh_token: 1 }, 'refreshed on resume');
    const token = await app.page.evaluate(() => window.__example.client.getAccessToken());
    const after = await app.page.evaluate(() => window.__example.client.session);
    assert.notEqual(token, before.accessToken);
    assert.equal(after.accessToken, token);
    assert.ok(after.expiresAt * 1000 > before.expiresAt * 1000 + 5000, 'the new token outlives the jump');
    assert.deepEqual(env.op.events.tokenCounts, { refresh_token: 1 }, 'one refresh on the wire');
    assert.deepEqual(env.op.events.revokedGrants, []);
  }));
