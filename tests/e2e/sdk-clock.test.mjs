// A device clock that is wrong: sign-in fails with invalid_id_token / clock_skew and a message
// that gives the measured offset, once, without a redirect loop; and expiry scheduling follows
// expires_in from receipt, not the device clock's idea of the OP's time.

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

const TEN_MINUTES = 600;

test('a device clock ten minutes behind: clock_skew with the offset, one authorization, no loop', () =>
  inContext(env, {}, async ({ context }) => {
    env.op.events.clear();
    // The page's clock runs, ten minutes late.
    await context.clock.install({ time: Date.now() - TEN_MINUTES * 1000 });
    const app = await App.open(context, env);
    await app.signinRedirect({});
    const { session, lastError } = await app.state();
    assert.equal(session, null, 'not signed in');
    assert.equal(lastError?.code, 'invalid_id_token');
    assert.equal(lastError?.reason, 'clock_skew');
    const offset = Number(/(\d+) s behind/.exec(lastError.message)?.[1]);
    assert.ok(Math.abs(offset - TEN_MINUTES) <= 5, lastError.message);
    assert.equal(await app.status(), 'signed-out');
    // One trip to the OP: the app did not bounce back to it.
    assert.equal(env.op.events.authorizations.length, 1);
    assert.deepEqual(env.op.events.tokenCounts, { authorization_code: 1 });
  }));

test('a device clock a few seconds off: expiresAt follows expires_in from receipt', () =>
  inContext(env, {}, async ({ context }) => {
    env.op.settings.accessTokenTtl = 120;
    // Within the allowed skew (60 s): sign-in works.
    await context.clock.install({ time: Date.now() + 40_000 });
    const app = await App.open(context, env);
    await app.signinRedirect({});
    await app.waitSignedIn();
    const { session, pageNow } = await app.page.evaluate(() => ({
      session: window.__example.client.session,
      pageNow: Date.now() / 1000,
    }));
    // expiresAt is the page's receipt time plus expires_in, so the timers fire at the right
    // moment by the page's own clock.
    assert.ok(Math.abs(session.expiresAt - (pageNow + 120)) <= 5, `${session.expiresAt} vs ${pageNow + 120}`);
  }));
