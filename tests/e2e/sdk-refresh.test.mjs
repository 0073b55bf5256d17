// Refresh tokens (issue #4, scenarios 5 and 6): rotation over several refreshes, the OP variant
// that sends no id_token on refresh (identity kept, idTokenFresh false), requireIdTokenOnRefresh,
// and two tabs sharing a localStorage session refreshing at the same moment, again and again,
// without ever replaying a rotated refresh token.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startEnv, inContext, App, userinfo } from './lib/sdk.mjs';

let env;

before(async () => {
  env = await startEnv();
});

after(async () => {
  await env?.close();
  if (env) env.op.settings.refreshWithoutIdToken = false;
});

const refreshRequests = () => env.op.events.tokenRequests.filter((r) => r.grantType === 'refresh_token');

function assertNoReuse() {
  assert.equal(env.op.events.refreshTokenReuse, 0, 'a rotated refresh token was presented again');
  assert.deepEqual(env.op.events.revokedGrants, []);
  assert.ok(!env.op.events.names().includes('grant.revoked'));
  assert.deepEqual(env.op.events.names().filter((n) => n === 'server_error'), []);
}

test('refresh with rotation, four times: each a new access token (and an ID token), no reuse', () =>
  inContext(env, {}, async ({ context }) => {
    const app = await App.open(context, env);
    await app.signinRedirect();
    await app.waitSignedIn();
    env.op.events.clear();
    const seen = new Set([(await app.session()).accessToken]);
    const first = await app.session();

    for (let i = 1; i <= 4; i += 1) {
      const call = await app.clickAndWait('refresh');
      assert.deepEqual({ name: call.name, ok: call.ok }, { name: 'refresh', ok: true }, `refresh ${i}`);
      const { session, lastSession, events } = await app.state();
      assert.ok(!seen.has(session.accessToken), `refresh ${i}: a new access token`);
      seen.add(session.accessToken);
      assert.equal(lastSession.accessToken, session.accessToken);
      assert.equal(session.subject, first.subject);
      assert.equal(session.idTokenFresh, true);
      // (The ID token itself may be byte-identical to the last: same claims in the same second.)
      assert.equal(session.claims.sub, first.claims.sub);
      assert.equal(session.hasRefreshToken, true);
      assert.equal(events.filter((e) => e === 'refreshed').length, i);
      assert.equal(await app.text('id-token-fresh'), 'true');
      assert.equal(await app.shownError(), null);
      assert.equal((await userinfo(env.op, session.accessToken)).status, 200);
    }
    const requests = refreshRequests();
    assert.equal(requests.length, 4);
    assert.ok(requests.every((r) => r.status === 200 && r.hasIdToken), JSON.stringify(requests));
    assert.equal(env.op.events.names().filter((n) => n === 'refresh_token.consumed').length, 4);
    assertNoReuse();
  }));

test('refresh without id_token: identity kept, idTokenFresh false, new access token', () =>
  inContext(env, {}, async ({ context }) => {
    const app = await App.open(context, env);
    await app.signinRedirect();
    await app.waitSignedIn();
    const first = await app.session();
    env.op.events.clear();
    env.op.settings.refreshWithoutIdToken = true;
    try {
      let previous = first;
      for (let i = 1; i <= 2; i += 1) {
        const call = await app.clickAndWait('refresh');
        assert.equal(call.ok, true, `refresh ${i}: ${call.code}`);
        assert.equal(refreshRequests().at(-1).hasIdToken, false);
        const { session } = await app.state();
        assert.notEqual(session.accessToken, previous.accessToken);
        assert.equal(session.idTokenFresh, false);
        assert.equal(session.subject, first.subject);
        assert.deepEqual(session.claims, first.claims);
        assert.equal(session.idToken, first.idToken, 'the last ID token stays for id_token_hint');
        assert.equal(await app.text('id-token-fresh'), 'false');
        assert.equal(await app.text('subject'), 'ana@example.com');
        assert.deepEqual(JSON.parse(await app.text('claims')), first.claims);
        assert.equal((await userinfo(env.op, session.accessToken)).status, 200);
        previous = session;
      }
      assertNoReuse();
    } finally {
      env.op.settings.refreshWithoutIdToken = false;
    }
  }));

test('requireIdTokenOnRefresh: a refresh without id_token fails with id_token_required, session unchanged', () =>
  inContext(env, { overrides: { requireIdTokenOnRefresh: true } }, async ({ context }) => {
    const app = await App.open(context, env);
    assert.equal((await app.page.evaluate(() => window.__example.config)).requireIdTokenOnRefresh, true);
    await app.signinRedirect();
    await app.waitSignedIn();
    // With an id_token the refresh is fine.
    assert.equal((await app.clickAndWait('refresh')).ok, true);
    const kept = await app.session();

    env.op.events.clear();
    env.op.settings.refreshWithoutIdToken = true;
    try {
      const call = await app.clickAndWait('refresh');
      assert.deepEqual({ ok: call.ok, code: call.code }, { ok: false, code: 'id_token_required' });
      assert.equal(refreshRequests().at(-1).status, 200, 'the OP answered; the SDK refused the answer');
      assert.equal(await app.text('error-code'), 'id_token_required');
      const { session, lastError, events } = await app.state();
      assert.equal(lastError.code, 'id_token_required');
      assert.deepEqual(session, kept, 'the session is left as it was');
      assert.equal(events.at(-1), 'refreshFailed');
      assert.equal(await app.status(), 'signed-in');
      assert.equal(await app.text('id-token-fresh'), 'true');
    } finally {
      env.op.settings.refreshWithoutIdToken = false;
    }
    // The refused response had rotated the refresh token at the OP: the next refresh must use
    // the new one, not replay the spent one (which would make the OP revoke the grant).
    const next = await app.clickAndWait('refresh');
    assert.deepEqual({ ok: next.ok, code: next.code }, { ok: true, code: undefined });
    assert.notEqual((await app.session()).accessToken, kept.accessToken);
    assertNoReuse();
  }));

test('two tabs sharing storage "local" refresh at the same moment, 20 times: no reuse, one session', () =>
  inContext(env, { overrides: { storage: 'local' } }, async ({ context }) => {
    const a = await App.open(context, env);
    await a.signinRedirect();
    await a.waitSignedIn();
    const b = await App.open(context, env);
    await b.waitSignedIn(); // restored from localStorage
    assert.equal((await b.session()).accessToken, (await a.session()).accessToken);
    env.op.events.clear();

    const refreshBoth = () =>
      Promise.all(
        [a, b].map((tab) =>
          tab.page.evaluate(() =>
            window.__example.client.refresh().then(
              (s) => ({ ok: true, accessToken: s.accessToken }),
              (e) => ({ ok: false, code: e.code, message: e.message }),
            ),
          ),
        ),
      );

    let previous = (await a.session()).accessToken;
    for (let round = 1; round <= 20; round += 1) {
      const [ra, rb] = await refreshBoth();
      assert.ok(ra.ok && rb.ok, `round ${round}: ${JSON.stringify([ra, rb])}`);
      assert.equal(ra.accessToken, rb.accessToken, `round ${round}: both tabs got the same session`);
      assert.notEqual(ra.accessToken, previous, `round ${round}: a new access token`);
      previous = ra.accessToken;
      assert.equal(env.op.events.refreshTokenReuse, 0, `round ${round}`);
    }
    assertNoReuse();
    const requests = refreshRequests();
    assert.ok(requests.every((r) => r.status === 200), JSON.stringify(requests.filter((r) => r.status !== 200)));
    // At least one refresh per round; never more than one per tab and round.
    assert.ok(requests.length >= 20 && requests.length <= 40, `${requests.length} refresh requests`);

    // Both tabs end with the same working session, and show it.
    const [sa, sb] = [await a.session(), await b.session()];
    assert.equal(sa.accessToken, sb.accessToken);
    assert.equal(sa.accessToken, previous);
    const info = await userinfo(env.op, sa.accessToken);
    assert.equal(info.status, 200, JSON.stringify(info.body));
    assert.equal(info.body.sub, 'ana@example.com');
    for (const tab of [a, b]) {
      assert.equal(await tab.status(), 'signed-in');
      assert.equal(await tab.shownError(), null);
      assert.equal(await tab.testid('expires-at').getAttribute('data-value'), String(sa.expiresAt));
    }
    // And the shared refresh token still works: one more refresh from tab B.
    const call = await b.clickAndWait('refresh');
    assert.equal(call.ok, true, call.code);
    assertNoReuse();
  }));
