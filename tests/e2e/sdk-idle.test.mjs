// idleTimeoutSeconds: with no user activity in any tab of the origin for that long, every tab
// signs out locally (signedOut, reason "idle") after an `idle` warning idleWarningSeconds
// before; activity in any tab keeps all of them signed in. Two tabs, Playwright's clock.

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

const overrides = { storage: 'local', idleTimeoutSeconds: 120, idleWarningSeconds: 30 };

/** The names of the SDK events a tab received, signedIn and refreshed left out. */
async function lifecycleEvents(app) {
  return (await app.page.evaluate(() => window.__example.events.map((e) => ({ name: e.name, detail: e.detail }))))
    .filter((e) => !['signedIn', 'refreshed', 'expiring'].includes(e.name));
}

test('idle: activity in one tab keeps both signed in; then a warning and a sign-out in both', () =>
  inContext(env, { overrides }, async ({ context }) => {
    env.op.settings.accessTokenTtl = 3600;
    await context.clock.install();
    const a = await App.open(context, env);
    await a.signinRedirect({});
    await a.waitSignedIn();
    const b = await App.open(context, env);
    await b.waitSignedIn();

    await context.clock.runFor(80_000);
    assert.deepEqual(await lifecycleEvents(a), []);
    assert.deepEqual(await lifecycleEvents(b), []);

    // The user does something in tab B; tab A sees it through the shared record.
    const clickedAt = await b.page.evaluate(() => Date.now());
    await b.page.mouse.click(2, 2);
    await a.page.waitForFunction(
      (at) => Object.keys(localStorage).some((k) => k.endsWith(':activity') && Number(localStorage.getItem(k)) >= at),
      clickedAt,
      { polling: 50, timeout: 5_000 },
    );

    // Past the time tab A alone would have signed out at: both still signed in, no warning yet.
    await context.clock.runFor(80_000);
    for (const tab of [a, b]) {
      assert.deepEqual(await lifecycleEvents(tab), []);
      assert.notEqual(await tab.page.evaluate(() => window.__example.client.session), null);
    }

    // Ninety quiet seconds after the click: the warning, in both tabs, once.
    await context.clock.runFor(15_000);
    for (const tab of [a, b]) {
      const events = await lifecycleEvents(tab);
      assert.equal(events.length, 1, JSON.stringify(events));
      assert.equal(events[0].name, 'idle');
      assert.ok(events[0].detail.signOutInMs > 0 && events[0].detail.signOutInMs <= 30_000, JSON.stringify(events[0]));
    }

    // Past the timeout: both tabs signed out, reason idle, exactly once each.
    await context.clock.runFor(31_000);
    for (const tab of [a, b]) {
      await tab.page.waitForFunction(() => window.__example.client.session === null, null, { polling: 50, timeout: 5_000 });
      const events = await lifecycleEvents(tab);
      assert.deepEqual(
        events.map((e) => [e.name, e.detail?.reason]),
        [
          ['idle', undefined],
          ['signedOut', 'idle'],
        ],
      );
    }
    assert.equal(await a.status(), 'signed-out');
  }));

// A page loaded after the timeout (the tab was closed, the browser asleep) restores a session that
// is already idle. The sign-out must reach the app's listeners, which it can only add once
// create() has resolved: before, no listener heard it, so the app could not tell an idle
// sign-out from a first visit (and React's <RequireAuth> signed the user straight back in).
test('idle: a session restored after the timeout is signed out, and the page hears why', () =>
  inContext(env, { overrides }, async ({ context }) => {
    env.op.settings.accessTokenTtl = 3600;
    await context.clock.install();
    const a = await App.open(context, env);
    await a.signinRedirect({});
    await a.waitSignedIn();
    await a.page.close();
    await context.clock.fastForward(200_000);

    const b = await App.open(context, env);
    await b.page.waitForFunction(() => window.__example.client?.session === null, null, { polling: 50, timeout: 5_000 });
    await b.page.waitForFunction(() => window.__example.events.some((e) => e.name === 'signedOut'), null, {
      polling: 50,
      timeout: 5_000,
    });
    assert.deepEqual(
      (await lifecycleEvents(b)).map((e) => [e.name, e.detail?.reason]),
      [['signedOut', 'idle']],
    );
    assert.equal(await b.status(), 'signed-out');
  }));
