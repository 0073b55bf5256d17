// The session's life after sign-in, against the real OP: the `expiring` and `expired` timers
// (with and without autoRefresh), getAccessToken inside the refresh leeway (one shared refresh
// for concurrent callers), checkUserinfoOnRefresh (the UserInfo request the SDK makes, and a
// `sub` that does not match), sign-out reaching another tab, and handleFormPost for apps whose
// own server receives the form_post response.
//
// Timing: the SDK's refresh leeway is min(60 s, half the token lifetime), so a short access
// token lifetime (op.settings.accessTokenTtl, set per scenario) puts `expiring` a few seconds
// after sign-in. The scenarios wait on the page's events (waitForFunction), never on the clock.

import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';

import { startEnv, inContext, App, userinfo } from './lib/sdk.mjs';
import { loginAtOp } from './lib/browser.mjs';

/** The OP's default access token lifetime in this file (long: no timer fires during a test). */
const LONG_TTL = 3600;

let env;
let discovery;

before(async () => {
  env = await startEnv({ op: { accessTokenTtl: LONG_TTL } });
  discovery = await (await fetch(`${env.op.issuer}/.well-known/openid-configuration`)).json();
});

after(async () => {
  await env?.close();
});

afterEach(() => {
  if (env) env.op.settings.accessTokenTtl = LONG_TTL;
});

const refreshRequests = () => env.op.events.tokenRequests.filter((r) => r.grantType === 'refresh_token');

function assertOpClean() {
  assert.equal(env.op.events.refreshTokenReuse, 0, 'a rotated refresh token was presented again');
  assert.deepEqual(env.op.events.revokedGrants, []);
  assert.deepEqual(env.op.events.names().filter((n) => n === 'server_error'), []);
}

/** Signs in by redirect (query) with the OP issuing access tokens valid `ttl` seconds. */
async function signIn(context, ttl = LONG_TTL) {
  env.op.settings.accessTokenTtl = ttl;
  env.op.events.clear();
  const app = await App.open(context, env);
  await app.signinRedirect();
  await app.waitSignedIn();
  return { app, session: await app.session() };
}

/**
 * The leeway the SDK uses for a session signed in at `signedInAt` (ms): min(60, lifetime / 2)
 * with the lifetime counted from the code exchange, which happened at or before the signedIn
 * event, so this never overestimates it.
 */
function leewayOf(session, signedInAt) {
  const lifetime = session.expiresAt - Math.floor(signedInAt / 1000);
  return Math.min(60, Math.floor(lifetime / 2));
}

/** Date.now() in a timer callback may read a few ms before the instant it was set for. */
const TIMER_SLACK_MS = 25;

/** The names of `events`, in order. */
const names = (events) => events.map((e) => e.name);

test('expiring + autoRefresh: the SDK refreshes before expiry on its own, and again for the new token', () =>
  inContext(env, {}, async ({ context }) => {
    const ttl = 6;
    const { app, session: first } = await signIn(context, ttl);
    assert.equal(typeof first.expiresAt, 'number');
    assert.ok(first.expiresAt - Date.now() / 1000 <= ttl + 1, `expiresAt ${first.expiresAt} follows the OP's ${ttl} s`);
    assert.equal(first.hasRefreshToken, true);
    assert.equal(refreshRequests().length, 0);

    let events = await app.waitForEvent('refreshed');
    assert.deepEqual(names(events), ['signedIn', 'expiring', 'refreshed'], 'nothing else happened in between');
    const [, expiring, refreshed] = events;
    assert.deepEqual(expiring.detail, { expiresAt: first.expiresAt });
    // Not before the leeway (at most half the lifetime, 3 s here), and before the token expired.
    assert.ok(expiring.at >= (first.expiresAt - Math.floor(ttl / 2)) * 1000 - TIMER_SLACK_MS, `expiring at ${expiring.at}, expiresAt ${first.expiresAt}: too early`);
    assert.ok(expiring.at < first.expiresAt * 1000, `expiring at ${expiring.at}, expiresAt ${first.expiresAt}: too late`);
    assert.ok(refreshed.at < first.expiresAt * 1000, 'the refresh finished before the old token expired');

    // A new access token, with no call from the app: the only call is the callback's.
    assert.notEqual(refreshed.detail.accessToken, first.accessToken);
    assert.ok(refreshed.detail.expiresAt > first.expiresAt);
    assert.equal(refreshed.detail.subject, 'ana@example.com');
    const { session, calls } = await app.state();
    assert.deepEqual(calls.map((c) => c.name), ['handleRedirectCallback']);
    assert.equal(session.accessToken, refreshed.detail.accessToken);
    assert.equal(session.expiresAt, refreshed.detail.expiresAt);
    assert.deepEqual(refreshRequests().map((r) => r.status), [200], 'the OP saw one refresh_token grant');
    assert.equal((await userinfo(env.op, session.accessToken)).status, 200);

    // The timers follow the new token: a second expiring (for the new expiresAt) and refresh.
    events = await app.waitForEvent('refreshed', { count: 2 });
    assert.deepEqual(names(events), ['signedIn', 'expiring', 'refreshed', 'expiring', 'refreshed']);
    assert.deepEqual(events[3].detail, { expiresAt: refreshed.detail.expiresAt });
    assert.notEqual(events[4].detail.accessToken, refreshed.detail.accessToken);
    assert.ok(events[4].at < refreshed.detail.expiresAt * 1000);
    assert.equal(refreshRequests().length, 2);
    assert.ok(!names(await app.events()).includes('expired'), 'no expired: each token was renewed in time');
    assert.equal(await app.shownError(), null);
    assertOpClean();
  }));

test('expired without autoRefresh: expiring, then expired; no refresh, the old token stays', () =>
  inContext(env, { overrides: { autoRefresh: false } }, async ({ context }) => {
    const ttl = 5;
    const { app, session: first } = await signIn(context, ttl);
    assert.equal((await app.page.evaluate(() => window.__example.config)).autoRefresh, false);

    const events = await app.waitForEvent('expired');
    assert.deepEqual(names(events), ['signedIn', 'expiring', 'expired']);
    const [, expiring, expired] = events;
    assert.deepEqual(expiring.detail, { expiresAt: first.expiresAt });
    assert.deepEqual(expired.detail, { expiresAt: first.expiresAt });
    assert.ok(expiring.at < first.expiresAt * 1000, 'expiring came before the expiry');
    assert.ok(expired.at >= first.expiresAt * 1000 - TIMER_SLACK_MS, `expired at ${expired.at}, before expiresAt ${first.expiresAt}`);

    assert.equal(env.op.events.tokenCounts.refresh_token, undefined, 'no refresh_token grant at the OP');
    const { session, calls } = await app.state();
    assert.deepEqual(calls.map((c) => c.name), ['handleRedirectCallback']);
    assert.equal(session.accessToken, first.accessToken, 'the session still holds the old token');
    assert.equal(session.expiresAt, first.expiresAt);
    assert.equal(session.hasRefreshToken, true);
    assert.equal(await app.status(), 'signed-in');
    assert.equal(await app.shownError(), null);
    // (Not checked at the OP: node-oidc-provider accepts an expired opaque access token for its
    // clockTolerance, 15 s by default.)

    // Asked for a token now, the SDK refreshes even without autoRefresh.
    const token = await app.page.evaluate(() => window.__example.client.getAccessToken());
    assert.notEqual(token, first.accessToken);
    assert.equal((await app.session()).accessToken, token);
    assert.deepEqual(refreshRequests().map((r) => r.status), [200]);
    assert.deepEqual(names(await app.events()), ['signedIn', 'expiring', 'expired', 'refreshed']);
    assertOpClean();
  }));

test('getAccessToken inside the leeway: two concurrent calls share one refresh; a third reuses it', () =>
  inContext(env, { overrides: { autoRefresh: false } }, async ({ context }) => {
    const ttl = 8;
    const { app, session: first } = await signIn(context, ttl);
    const [signedIn] = await app.events();
    assert.equal(signedIn.name, 'signedIn');
    const leeway = leewayOf(first, signedIn.at);
    assert.ok(leeway >= 2 && leeway <= ttl / 2, `leeway ${leeway}`);

    const getToken = () =>
      app.page.evaluate(() =>
        window.__example.client.getAccessToken().then(
          (token) => ({ ok: true, token }),
          (e) => ({ ok: false, code: e.code, message: e.message }),
        ),
      );

    // Outside the leeway: the current token, no request.
    const early = await app.page.evaluate(
      ([expiresAt, leeway]) =>
        window.__example.client.getAccessToken().then((token) => ({ token, outside: expiresAt - Date.now() / 1000 > leeway })),
      [first.expiresAt, leeway],
    );
    assert.ok(early.outside, 'the test was too slow: the session was already inside the leeway');
    assert.equal(early.token, first.accessToken);
    assert.equal(refreshRequests().length, 0);

    // Inside the leeway (and before expiry): two callers at once.
    await app.page.waitForFunction(
      ([expiresAt, leeway]) => expiresAt - Date.now() / 1000 <= leeway,
      [first.expiresAt, leeway],
    );
    const [a, b] = await app.page.evaluate(() =>
      Promise.all([window.__example.client.getAccessToken(), window.__example.client.getAccessToken()]),
    );
    assert.equal(a, b, 'both callers got the same token');
    assert.notEqual(a, first.accessToken, 'a new token');
    assert.deepEqual(refreshRequests().map((r) => r.status), [200], 'exactly one refresh_token grant for both');
    const session = await app.session();
    assert.equal(session.accessToken, a);
    assert.ok(session.expiresAt > first.expiresAt);

    // The new token is fresh: returned as it is.
    const third = await getToken();
    assert.deepEqual(third, { ok: true, token: a });
    assert.equal(refreshRequests().length, 1, 'no new grant for the third call');
    assert.equal((await userinfo(env.op, a)).status, 200);
    const events = names(await app.events());
    assert.equal(events.filter((n) => n === 'refreshed').length, 1, events.join(', '));
    assert.ok(!events.includes('refreshFailed'), events.join(', '));
    assertOpClean();
  }));

test('checkUserinfoOnRefresh: the SDK asks UserInfo with the new token; a different sub is subject_mismatch', () =>
  inContext(env, { overrides: { checkUserinfoOnRefresh: true } }, async ({ context }) => {
    const { app, session: first } = await signIn(context);
    assert.equal(typeof discovery.userinfo_endpoint, 'string');
    const seen = [];
    app.page.on('request', (r) => {
      if (r.url() === discovery.userinfo_endpoint && r.method() !== 'OPTIONS') {
        seen.push({ method: r.method(), authorization: r.headers().authorization });
      }
    });

    const call = await app.clickAndWait('refresh');
    assert.deepEqual({ ok: call.ok, code: call.code }, { ok: true, code: undefined });
    const renewed = await app.session();
    assert.notEqual(renewed.accessToken, first.accessToken);
    assert.deepEqual(seen, [{ method: 'GET', authorization: `Bearer ${renewed.accessToken}` }]);
    assert.deepEqual(refreshRequests().map((r) => r.status), [200]);
    assert.ok(!env.op.events.names().includes('userinfo.error'));

    // UserInfo now names someone else (the OP's answer, altered in flight): the refresh fails
    // with subject_mismatch and the session stays as it was.
    const altered = [];
    await app.page.route(discovery.userinfo_endpoint, async (route) => {
      if (route.request().method() !== 'GET') return route.fallback();
      const response = await route.fetch();
      const body = await response.json();
      altered.push({ status: response.status(), sub: body.sub });
      return route.fulfill({ response, json: { ...body, sub: 'mallory@example.com' } });
    });
    const refused = await app.clickAndWait('refresh');
    assert.deepEqual({ ok: refused.ok, code: refused.code }, { ok: false, code: 'subject_mismatch' });
    assert.deepEqual(altered, [{ status: 200, sub: 'ana@example.com' }], 'the OP itself answered for ana');
    assert.equal(seen.length, 2);
    assert.equal(refreshRequests().length, 2);
    assert.equal(refreshRequests().at(-1).status, 200, 'the OP answered; the SDK refused the answer');
    assert.deepEqual(await app.session(), renewed, 'the session is left as it was');
    assert.equal((await app.events()).at(-1).name, 'refreshFailed');
    assert.equal((await app.events()).at(-1).detail.code, 'subject_mismatch');
    assert.equal(await app.text('error-code'), 'subject_mismatch');

    // The refused answer rotated the refresh token at the OP: the next refresh uses the new one.
    await app.page.unroute(discovery.userinfo_endpoint);
    const next = await app.clickAndWait('refresh');
    assert.deepEqual({ ok: next.ok, code: next.code }, { ok: true, code: undefined });
    const last = await app.session();
    assert.notEqual(last.accessToken, renewed.accessToken);
    assert.equal(seen.at(-1).authorization, `Bearer ${last.accessToken}`);
    assertOpClean();
  }));

test('signedOut across tabs: sign-out in tab A ends the session in tab B, reason other_tab, no reload', () =>
  inContext(env, { overrides: { storage: 'local' } }, async ({ context }) => {
    const { app: a, session } = await signIn(context);
    const b = await App.open(context, env);
    await b.waitSignedIn(); // picked up from localStorage
    assert.equal((await b.session()).accessToken, session.accessToken);
    // Anything that reloads or navigates B would lose this.
    await b.page.evaluate(() => {
      window.__sameDocument = true;
    });
    let navigations = 0;
    b.page.on('framenavigated', (f) => {
      if (f === b.page.mainFrame()) navigations += 1;
    });

    const endSession = discovery.end_session_endpoint;
    await Promise.all([a.page.waitForURL((u) => u.href.startsWith(endSession)), a.click('signout')]);
    const events = await b.waitForEvent('signedOut');
    assert.deepEqual(names(events), ['signedOut'], 'B restored the session silently, then was told of the sign-out');
    assert.deepEqual(events[0].detail, { reason: 'other_tab' });
    assert.equal(await b.session(), null);
    assert.equal(await b.page.evaluate(() => window.__sameDocument), true, 'tab B was not reloaded');
    assert.equal(navigations, 0);
    assert.equal(await b.status(), 'signed-out');
    assert.equal(await b.text('signed-in'), 'false');
    assert.equal(await b.shownError(), null);
    // The OP got the logout request from A (its session is still there until the user confirms).
    assert.equal(env.op.events.endSessions.at(-1)?.id_token_hint, session.idToken);

    // The shared storage is empty too: a new tab starts signed out.
    const c = await App.open(context, env);
    assert.equal(await c.status(), 'signed-out');
    assert.equal(await c.session(), null);
  }));

test('handleFormPost: the app\'s server receives the form_post body; the SDK completes the sign-in once', () =>
  inContext(env, { contextOptions: { serviceWorkers: 'block' } }, async ({ context }) => {
    env.op.events.clear();
    const posts = [];
    // The app's own server: takes the OP's POST to the redirect URI and answers with a 303 to
    // the app (Post/Redirect/Get), keeping the body for the page.
    const redirectUri = env.urls.redirectUri;
    await context.route(
      (u) => u.href === redirectUri,
      (route) => {
        const request = route.request();
        if (request.method() !== 'POST') return route.fallback();
        posts.push({ contentType: request.headers()['content-type'], body: request.postData() });
        return route.fulfill({ status: 303, headers: { location: `${env.rp.origin}/?from=server` } });
      },
    );

    const app = await App.open(context, env);
    // No worker can run here (Playwright's block makes register() a no-op): it is not what
    // catches the POST.
    assert.deepEqual(
      await app.page.evaluate(async () => ({
        registrations: (await navigator.serviceWorker.getRegistrations()).length,
        controlled: navigator.serviceWorker.controller !== null,
      })),
      { registrations: 0, controlled: false },
    );

    const back = (u) => u.origin === env.rp.origin && u.searchParams.get('from') === 'server';
    await Promise.all([
      app.page.waitForURL((u) => u.origin === new URL(env.op.issuer).origin, { waitUntil: 'commit' }),
      app.page.evaluate(() => {
        // Not awaited: the page leaves for the OP.
        void window.__example.client.signinRedirect({ responseMode: 'form_post' });
      }),
    ]);
    const seen = await loginAtOp(app.page, { until: back });
    assert.deepEqual(seen, ['login', 'consent']);
    await app.page.waitForURL(back, { waitUntil: 'commit' });
    await app.ready();

    assert.equal(env.op.events.authorizations.at(-1).response_mode, 'form_post');
    assert.deepEqual(env.op.events.log.filter((e) => e.name === 'authorization.success').map((e) => e.responseMode), ['form_post']);
    assert.equal(posts.length, 1, 'the OP posted once to the redirect URI');
    assert.match(posts[0].contentType, /^application\/x-www-form-urlencoded/);
    const body = posts[0].body;
    const params = new URLSearchParams(body);
    assert.ok(params.get('code'));
    assert.ok(params.get('state'));
    assert.equal(params.get('iss'), env.op.issuer);
    assert.deepEqual(env.rp.requests.filter((r) => r.method === 'POST'), [], 'no POST reached the static server');
    assert.equal(await app.status(), 'signed-out', 'nothing happens until the app hands the body over');
    assert.equal(env.op.events.tokenCounts.authorization_code, undefined);

    const result = await app.page.evaluate(
      (text) =>
        window.__example.client.handleFormPost(text).then(
          (s) => ({ ok: true, subject: s.subject, accessToken: s.accessToken }),
          (e) => ({ ok: false, code: e.code, message: e.message }),
        ),
      body,
    );
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.equal(result.subject, 'ana@example.com');
    const session = await app.session();
    assert.equal(session.subject, 'ana@example.com');
    assert.equal(session.accessToken, result.accessToken);
    assert.equal(session.claims.email, 'ana@example.com');
    assert.equal(session.claims.name, 'Ana Example');
    assert.equal(session.hasRefreshToken, true);
    assert.equal(env.op.events.tokenCounts.authorization_code, 1);
    assert.equal((await userinfo(env.op, session.accessToken)).status, 200);
    // The signedIn event re-rendered the app.
    assert.deepEqual(names(await app.events()), ['signedIn']);
    await app.waitSignedIn();
    assert.equal(await app.text('subject'), 'ana@example.com');
    assert.deepEqual(JSON.parse(await app.text('claims')), session.claims);

    // The response is single-use: the same body again is state_mismatch, without a token request.
    const again = await app.page.evaluate(
      (text) => window.__example.client.handleFormPost(text).then(() => 'accepted', (e) => e.code),
      body,
    );
    assert.equal(again, 'state_mismatch');
    assert.equal(env.op.events.tokenCounts.authorization_code, 1, 'the code was not presented twice');
    assert.deepEqual(await app.session(), session, 'the session stays');
    assertOpClean();
  }));

// A response must come the way its request asked (core::response::check_delivery): the response
// to a response_mode=query request handed over as a form_post body is refused, as
// handleRedirectCallback refuses a query response to a fragment request.
test('handleFormPost refuses the response to a response_mode=query request, like handleRedirectCallback', () =>
  inContext(env, {}, async ({ context }) => {
    const { app } = await signIn(context); // the OP now has a session and the consent
    // Hold the OP's answer: it redirects at once (no page to show), and a redirect's target
    // cannot be routed, so the authorization request itself is.
    let held = null;
    const opOrigin = new URL(env.op.issuer).origin;
    await context.route(
      (u) => u.origin === opOrigin && u.pathname === new URL(discovery.authorization_endpoint).pathname,
      async (route) => {
        const response = await route.fetch({ maxRedirects: 0 });
        const location = response.headers().location ?? '';
        if (!location.startsWith(`${env.urls.redirectUri}?`)) return route.fulfill({ response });
        held = new URL(location).search.slice(1);
        return route.fulfill({ status: 200, contentType: 'text/html', body: '<p>held by the test</p>' });
      },
    );
    const url = await app.page.evaluate(() => window.__example.client.authorizeUrl({ responseMode: 'query' }));
    await app.page.goto(url);
    assert.ok(new URLSearchParams(held ?? '').get('code'), `the OP answered by query: ${held}`);
    await app.page.goto(env.urls.app);
    await app.ready();

    const outcome = await app.page.evaluate(
      (body) => window.__example.client.handleFormPost(body).then(() => 'accepted', (e) => e.code),
      held,
    );
    assert.equal(
      outcome,
      'invalid_response',
      'SDK bug: handleFormPost accepted (and exchanged the code of) the response to a response_mode=query request; handleRedirectCallback refuses such a response-mode mismatch with invalid_response',
    );
  }));
