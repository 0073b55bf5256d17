// Popups the way browsers allow them (issue "silent re-auth that survives real browsers", point 2),
// against node-oidc-provider in Chromium:
// - `signinPopup()` calls `window.open` before it returns, in the task of the user's click
//   (Safari and Chromium block one that follows an await), or navigates a window the app opened;
// - with `Cross-Origin-Opener-Policy: same-origin` on the OP's pages (a middleware switch), the
//   popup loses its opener and the opener's handle reads as closed at once: the sign-in still
//   completes, handed over a BroadcastChannel by silent-callback.html, and is not mistaken for
//   the user closing the popup;
// - a popup the user really closes is `popup_closed`, and the app stays as it was; so is a
//   web_message popup cut off by COOP, whose OP page has no opener left to post to.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startEnv, inContext, App } from './lib/sdk.mjs';
import { loginAtOp } from './lib/browser.mjs';

const SCENARIO = { timeout: 90_000 };
let env;

before(async () => {
  env = await startEnv();
});

after(async () => {
  await env?.close();
});

/** The popup's way back: the package's callback page on the app's origin. */
const atCallbackPage = (u) => u.href.startsWith(env.urls.silentRedirectUri);

/**
 * Acts as Ana in the popup until it is back at the callback page, which may close the popup
 * before Playwright sees it arrive; then checks that the OP asked for login and consent.
 */
async function loginInPopup(popup, { asks = 2 } = {}) {
  try {
    await loginAtOp(popup, { until: atCallbackPage });
  } catch (err) {
    if (!popup.isClosed()) throw err;
  }
  const asked = env.op.events.names().filter((n) => n === 'interaction.started').length;
  assert.equal(asked, asks, 'login and consent');
}

/**
 * Starts `signinPopup` in the page the way a click handler does, with `window.open` wrapped to
 * record each call (and keep the handle it returned in `window.__popupHandle`). Returns how
 * many windows were opened by the time the call returned, before any microtask ran; the
 * outcome lands in `window.__popupOutcome`.
 */
function startPopup(app, { ownWindow = false, responseMode } = {}) {
  return app.page.evaluate(([own, mode]) => {
    const opened = [];
    const open = window.open;
    window.open = function (...args) {
      const handle = open.apply(this, args);
      opened.push(String(args[0]));
      window.__popupHandle = handle;
      return handle;
    };
    /** @type {Record<string, unknown>} */
    const options = { appState: { from: 'popup' }, ...(mode ? { responseMode: mode } : {}) };
    if (own) {
      // The contract's form: the app's window as `popupWindow` among the options.
      const mine = window.open('', 'app-popup', 'popup=yes,width=480,height=600');
      mine.document.title = 'preparing';
      options.popupWindow = mine;
    }
    const before = opened.length;
    window.__popupOutcome = window.__example.client.signinPopup(options).then(
      (s) => ({ ok: true, subject: s.subject, appState: s.appState }),
      (e) => ({ ok: false, code: e.code, message: e.message }),
    );
    window.open = open;
    return { openedByCall: opened.length - before, urls: opened };
  }, [ownWindow, responseMode]);
}

const outcome = (app) => app.page.evaluate(() => window.__popupOutcome);

/** Exactly one signedIn event, no refreshed one, and the session of Ana. */
async function assertOneSignIn(app) {
  const names = (await app.events()).map((e) => e.name);
  assert.equal(names.filter((n) => n === 'signedIn').length, 1, names.join());
  assert.equal(names.filter((n) => n === 'refreshed').length, 0, names.join());
  const session = await app.session();
  assert.equal(session.subject, 'ana@example.com');
  assert.deepEqual(env.op.events.tokenCounts, { authorization_code: 1 });
}

test('signinPopup opens its window before it returns and signs in through the callback page', SCENARIO, () =>
  inContext(env, {}, async ({ context }) => {
    env.op.events.clear();
    const app = await App.open(context, env);
    const [popup, started] = await Promise.all([context.waitForEvent('page'), startPopup(app)]);
    assert.equal(started.openedByCall, 1, 'window.open ran inside the call, before any await');
    assert.ok(started.urls[0].startsWith(`${env.op.issuer}/auth?`), started.urls[0]);

    await loginInPopup(popup);
    const result = await outcome(app);
    assert.deepEqual(result, { ok: true, subject: 'ana@example.com', appState: { from: 'popup' } });
    // The popup answered through the callback page (it survives COOP), not by web_message.
    const sent = env.op.events.authorizations.at(-1);
    assert.equal(sent.redirect_uri, env.urls.silentRedirectUri);
    assert.equal(sent.response_mode ?? 'query', 'query');
    if (!popup.isClosed()) await popup.waitForEvent('close');
    await assertOneSignIn(app);
  }));

test('signinPopup navigates a window the app opened itself', SCENARIO, () =>
  inContext(env, {}, async ({ context }) => {
    env.op.events.clear();
    const app = await App.open(context, env);
    const [popup, started] = await Promise.all([context.waitForEvent('page'), startPopup(app, { ownWindow: true })]);
    assert.equal(started.openedByCall, 0, 'the SDK opened no second window');
    assert.deepEqual(started.urls, [''], 'only the app opened one');
    await loginInPopup(popup);
    assert.equal((await outcome(app)).ok, true, JSON.stringify(await outcome(app)));
    if (!popup.isClosed()) await popup.waitForEvent('close');
    assert.equal(context.pages().length, 1);
    await assertOneSignIn(app);

    // A window that is not one is refused before anything is sent.
    const refused = await app.page.evaluate(() =>
      window.__example.client.signinPopup({}, { window: { closed: false } }).then(
        () => null,
        (e) => ({ code: e.code, field: e.field }),
      ),
    );
    assert.deepEqual(refused, { code: 'invalid_config', field: 'window' });

    // A call that fails before the window is used closes it, as it would a popup of its own:
    // an option the machine refuses, and a configuration that cannot sign in by popup.
    // Either way the window is given: `{ window }` as the second argument, `popupWindow` in the
    // options.
    // (A wrapper that always passes PopupOptions, `{ window: undefined }`, keeps `popupWindow`.)
    for (const [options, asOption] of [
      [{ redirectURI: 'x' }, false],
      [{ extraParams: { state: 'mine' } }, false],
      [{ extraParams: { state: 'mine' } }, true],
      [{ extraParams: { state: 'mine' } }, 'and an empty PopupOptions'],
    ]) {
      const left = await app.page.evaluate(async ([o, asOption]) => {
        const mine = window.open('', 'app-popup-2', 'popup=yes,width=480,height=600');
        const client = window.__example.client;
        const call = asOption
          ? client.signinPopup({ ...o, popupWindow: mine }, asOption === true ? undefined : { window: undefined })
          : client.signinPopup(o, { window: mine });
        const error = await call.then(() => null, (e) => e.code);
        return { error, closed: mine.closed };
      }, [options, asOption]);
      assert.ok(left.error, JSON.stringify(left));
      assert.equal(left.closed, true, JSON.stringify({ options, left }));
    }
    // So does a misspelt popup option, refused before the machine sees the call.
    const misspelt = await app.page.evaluate(async () => {
      const mine = window.open('', 'app-popup-3', 'popup=yes,width=480,height=600');
      const error = await window.__example.client.signinPopup({}, { window: mine, widnow: 1 }).then(() => null, (e) => e.field);
      return { error, closed: mine.closed };
    });
    assert.deepEqual(misspelt, { error: 'widnow', closed: true });
    // Without a window, and with no options object at all, the same refusal, as a rejection.
    const refusals = await app.page.evaluate(async () => {
      const client = window.__example.client;
      const code = (f) => {
        try {
          return f().then(() => null, (e) => [e.code, e.field]);
        } catch (e) {
          return Promise.resolve(['threw', String(e)]);
        }
      };
      return [await code(() => client.signinPopup({}, { widnow: 1 })), await code(() => client.signinPopup({}, 'x'))];
    });
    assert.deepEqual(refusals, [['invalid_config', 'widnow'], ['invalid_config', 'popup']]);
  }));

for (const responseMode of ['query', 'form_post']) {
  test(`an OP page with Cross-Origin-Opener-Policy cuts the popup off (${responseMode}): the sign-in still completes, not popup_closed`, SCENARIO, () =>
    inContext(env, {}, async ({ context }) => {
      env.op.events.clear();
      env.op.settings.coop = true;
      try {
        const app = await App.open(context, env);
        if (responseMode === 'form_post') {
          // The worker that catches the OP's POST must control the callback page.
          await app.page.waitForFunction(() => window.__example.serviceWorker.then(() => true));
        }
        const [popup] = await Promise.all([context.waitForEvent('page'), startPopup(app, { responseMode })]);
        await popup.waitForURL((u) => u.pathname.startsWith('/interaction/'), { waitUntil: 'load' });
        // What COOP does: the popup has no opener, and the opener's handle reads as closed.
        assert.equal(await popup.evaluate(() => window.opener), null);
        assert.equal(await app.page.evaluate(() => window.__popupHandle.closed), true);

        // The user takes their time at the OP, with the handle closed all along.
        await loginInPopup(popup);
        const result = await outcome(app);
        assert.deepEqual(result, { ok: true, subject: 'ana@example.com', appState: { from: 'popup' } });
        // The callback page closed the popup itself: the opener's handle could not.
        if (!popup.isClosed()) await popup.waitForEvent('close');
        await assertOneSignIn(app);
        assert.equal(env.op.events.authorizations.at(-1).response_mode ?? 'query', responseMode);
        const names = (await app.events()).map((e) => e.name);
        assert.ok(!names.includes('refreshFailed'), names.join());
      } finally {
        env.op.settings.coop = false;
      }
    }));
}

test('a web_message popup cut off by Cross-Origin-Opener-Policy is popup_closed within a second, not a ten-minute wait', SCENARIO, () =>
  inContext(env, {}, async ({ context }) => {
    env.op.events.clear();
    env.op.settings.coop = true;
    try {
      const app = await App.open(context, env);
      const started = Date.now();
      const [popup] = await Promise.all([context.waitForEvent('page'), startPopup(app, { responseMode: 'web_message' })]);
      await popup.waitForURL((u) => u.pathname.startsWith('/interaction/'), { waitUntil: 'load' });
      // The OP's web_message page would post to window.opener, which COOP took away.
      assert.equal(await popup.evaluate(() => window.opener), null);
      const result = await outcome(app);
      const tookMs = Date.now() - started;
      assert.equal(result.code, 'popup_closed', result.message);
      // Two looks 250 ms apart once the handle reads closed; the popup's timeout is 600 s.
      assert.ok(tookMs < 10_000, `ended after ${tookMs} ms`);
      assert.equal(await app.session(), null);
      const pending = await app.page.evaluate(() =>
        Object.keys(sessionStorage).concat(Object.keys(localStorage)).filter((k) => k.includes('tx')),
      );
      assert.deepEqual(pending, []);
    } finally {
      env.op.settings.coop = false;
    }
  }));

test('a popup the user closes is popup_closed, the transaction spent, and the next one works', SCENARIO, () =>
  inContext(env, {}, async ({ context }) => {
    env.op.events.clear();
    const app = await App.open(context, env);
    const [popup] = await Promise.all([context.waitForEvent('page'), startPopup(app)]);
    await popup.waitForURL((u) => u.pathname.startsWith('/interaction/'), { waitUntil: 'load' });
    // A person reads the page and starts typing before giving up: the SDK looks at the handle
    // every 250 ms, and one that closed before it was seen at the OP on two looks in a row
    // reads as COOP's doing.
    await popup.locator('input[name="login"]').pressSequentially('ana', { delay: 200 });
    await popup.close();
    const result = await outcome(app);
    assert.equal(result.ok, false);
    assert.equal(result.code, 'popup_closed', result.message);
    assert.equal(await app.session(), null);
    assert.deepEqual(env.op.events.tokenCounts, {});
    // The pending request was dropped with it: nothing of it is left in storage.
    const pending = await app.page.evaluate(() =>
      Object.keys(sessionStorage).concat(Object.keys(localStorage)).filter((k) => k.includes('tx')),
    );
    assert.deepEqual(pending, []);

    const [again] = await Promise.all([context.waitForEvent('page'), startPopup(app)]);
    env.op.events.clear();
    await loginInPopup(again, { asks: 1 }); // one interaction is left from the abandoned one
    assert.equal((await outcome(app)).ok, true);
    await assertOneSignIn(app);
  }));

test('two popup sign-ins under way at once each get a window of their own, and each its own response', SCENARIO, () =>
  inContext(env, {}, async ({ context }) => {
    env.op.events.clear();
    const app = await App.open(context, env);
    // Two clicks (a double click, say): one user activation each.
    const start = (from) =>
      app.page.evaluate((f) => {
        window.__outcomes ??= {};
        window.__outcomes[f] = window.__example.client.signinPopup({ appState: { from: f } }).then(
          (s) => ({ ok: true, appState: s.appState }),
          (e) => ({ ok: false, code: e.code }),
        );
      }, from);
    const [first] = await Promise.all([context.waitForEvent('page'), start('first')]);
    const [second] = await Promise.all([context.waitForEvent('page'), start('second')]);
    assert.notEqual(first, second, 'the second call did not take over the first one\'s window');
    const login = async (popup) => {
      try {
        await loginAtOp(popup, { until: atCallbackPage });
      } catch (err) {
        if (!popup.isClosed()) throw err;
      }
    };
    await login(second);
    await login(first);
    const results = await app.page.evaluate(async () => ({ first: await window.__outcomes.first, second: await window.__outcomes.second }));
    assert.deepEqual(results, { first: { ok: true, appState: { from: 'first' } }, second: { ok: true, appState: { from: 'second' } } });
    assert.deepEqual(env.op.events.tokenCounts, { authorization_code: 2 });
  }));

// The README's own example opens a named window (`window.open("", "signin", ...)`) in the click
// handler and hands it to signinPopup: a double click hands the same window to two calls. The
// window ends at the second call's request; its response must reach that call, and the first
// one must end instead of waiting for a response that went to the other.
for (const responseMode of [undefined, 'web_message']) {
  test(`two signinPopup calls given the same app window (a double click)${responseMode ? `, ${responseMode}` : ''}: the second signs in, the first ends`, SCENARIO, () =>
    inContext(env, {}, async ({ context }) => {
      env.op.events.clear();
      const app = await App.open(context, env);
      const start = (from) =>
        app.page.evaluate(([f, mode]) => {
          window.__outcomes ??= {};
          const mine = window.open('', 'signin', 'popup=yes,width=480,height=600');
          window.__outcomes[f] = window.__example.client
            .signinPopup({ appState: { from: f }, ...(mode ? { responseMode: mode } : {}) }, { window: mine })
            .then(
              (s) => ({ ok: true, appState: s.appState }),
              (e) => ({ ok: false, code: e.code }),
            );
        }, [from, responseMode]);
      const [popup] = await Promise.all([context.waitForEvent('page'), start('first')]);
      await start('second');
      try {
        await loginAtOp(popup, responseMode ? {} : { until: atCallbackPage });
      } catch (err) {
        if (!popup.isClosed()) throw err;
      }
      const results = await app.page.evaluate(async () => ({ first: await window.__outcomes.first, second: await window.__outcomes.second }));
      assert.deepEqual(results.second, { ok: true, appState: { from: 'second' } }, JSON.stringify(results));
      assert.equal(results.first.ok, false, JSON.stringify(results));
      assert.deepEqual(env.op.events.tokenCounts, { authorization_code: 1 });
    }));
}
