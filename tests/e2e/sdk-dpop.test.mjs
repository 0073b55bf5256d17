// Sender-constrained tokens and pushed requests against node-oidc-provider in Chromium: DPoP
// with nonces required at the token endpoint, PAR required, resource indicators, the claims
// parameter, revocation; and a resource server (lib/resource-server.mjs) that accepts only
// DPoP-bound tokens with a valid proof carrying its own nonce. One OP, one resource server,
// one browser.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startEnv, inContext, App } from './lib/sdk.mjs';
import { loginAtOp, confirmLogoutAtOp } from './lib/browser.mjs';
import { startResourceServer } from './lib/resource-server.mjs';

const SCENARIO = { timeout: 120_000 };
let env;
let rs;
let overrides;

before(async () => {
  rs = await startResourceServer({ allowOrigin: '*' });
  env = await startEnv({ op: { dpopNonces: true, requirePar: true, resourceServer: `${rs.origin}/` } });
  rs.op = env.op;
  overrides = {
    dpop: true,
    resource: `${rs.origin}/`,
    scope: 'openid profile email offline_access api:read',
    claims: { id_token: { email: { essential: true } } },
  };
});

after(async () => {
  await env?.close();
  await rs?.close();
});

/** What the browser's storages hold: web storage texts and IndexedDB values described. */
function storages(app) {
  return app.page.evaluate(async () => {
    const texts = [];
    for (const s of [sessionStorage, localStorage]) for (let i = 0; i < s.length; i++) texts.push(s.getItem(s.key(i)));
    const db = await new Promise((resolve, reject) => {
      const r = indexedDB.open('oidc-rp-wasm');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const all = await new Promise((resolve, reject) => {
      const r = db.transaction('sessions').objectStore('sessions').getAll();
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const idb = [];
    for (const value of all) {
      if (typeof value === 'string') {
        idb.push({ text: value });
        continue;
      }
      const exported = await crypto.subtle.exportKey('jwk', value.privateKey).then(
        () => 'exported',
        (e) => e.name,
      );
      idb.push({
        keys: Object.keys(value).sort(),
        privateIsCryptoKey: value.privateKey instanceof CryptoKey,
        privateExtractable: value.privateKey.extractable,
        exported,
      });
    }
    db.close();
    return { texts, idb };
  });
}

test('redirect sign-in with PAR and DPoP nonces; client.fetch through the resource server nonce; the key is never exported; refresh after a reload', SCENARIO, () =>
  inContext(env, { overrides }, async ({ context }) => {
    env.op.events.clear();
    const app = await App.open(context, env);
    await app.signinRedirect();
    await app.waitSignedIn();

    // PAR: the browser brought client_id and request_uri only; the rest was pushed.
    const sent = env.op.events.authorizations.at(-1);
    assert.deepEqual(Object.keys(sent.front).sort(), ['client_id', 'request_uri']);
    assert.equal(sent.resource, `${rs.origin}/`);
    assert.deepEqual(JSON.parse(sent.claims), overrides.claims);
    assert.match(sent.dpop_jkt, /^[\w-]{43}$/);
    assert.ok(sent.code_challenge && sent.state);

    // DPoP: the code exchange was refused for a nonce once, then accepted, with a proof both times.
    const exchanges = env.op.events.tokenRequests.filter((r) => r.grantType === 'authorization_code');
    assert.deepEqual(exchanges.map((r) => [r.status, r.error, r.dpop]), [[400, 'use_dpop_nonce', true], [200, undefined, true]]);
    assert.equal(exchanges[1].resource, `${rs.origin}/`);
    const session = await app.session();
    assert.equal(session.tokenType, 'DPoP');

    // client.fetch: the resource server demands its own nonce once; the retry carries it.
    const got = await app.page.evaluate(async (url) => {
      const r = await window.__example.client.fetch(url, { method: 'POST', body: 'hello' });
      return { status: r.status, body: await r.json() };
    }, `${rs.origin}/api/things?page=2#top`);
    assert.equal(got.status, 200, JSON.stringify(rs.requests));
    assert.deepEqual(got.body, { ok: true, sub: 'ana@example.com', path: '/api/things?page=2', body: 'hello' });
    assert.deepEqual(rs.requests.map((r) => [r.status, r.why]), [[401, 'nonce'], [200, null]]);
    assert.equal(rs.requests[1].proof.htu, `${rs.origin}/api/things`);
    assert.equal(rs.requests[1].proof.htm, 'POST');

    // client.dpopProof for the app's own HTTP client: a relative URL is read against the page,
    // as fetch reads it, and the method is normalised as fetch normalises it.
    const proofs = await app.page.evaluate(async () => {
      const claims = (jwt) => JSON.parse(atob(jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
      const client = window.__example.client;
      const relative = claims(await client.dpopProof('get', '/api/me?x=1#y'));
      const patch = claims(await client.dpopProof('patch', new URL('https://rs.example/things')));
      const bad = await client.dpopProof('GET', 'http://[').then(() => null, (e) => `${e.code} ${e.field}`);
      return { relative: [relative.htm, relative.htu], patch: [patch.htm, patch.htu], bad, origin: location.origin };
    });
    assert.deepEqual(proofs.relative, ['GET', `${proofs.origin}/api/me`]);
    assert.deepEqual(proofs.patch, ['patch', 'https://rs.example/things']);
    assert.equal(proofs.bad, 'invalid_config url');

    // The private key is a non-extractable CryptoKey in IndexedDB, and nothing else holds key material.
    const held = await storages(app);
    const keys = held.idb.filter((v) => v.keys);
    assert.deepEqual(keys, [
      { keys: ['privateKey', 'publicKey'], privateIsCryptoKey: true, privateExtractable: false, exported: 'InvalidAccessError' },
    ]);
    for (const text of [...held.texts, ...held.idb.filter((v) => v.text).map((v) => v.text)]) {
      assert.doesNotMatch(text, /"d"\s*:/);
    }

    // A reload keeps the key: the DPoP-bound refresh token is used with its proofs.
    await app.page.reload();
    await app.ready();
    const refreshed = await app.page.evaluate(() => window.__example.client.refresh().then((s) => s.tokenType, (e) => e.code));
    assert.equal(refreshed, 'DPoP');
    const refreshes = env.op.events.tokenRequests.filter((r) => r.grantType === 'refresh_token');
    assert.ok(refreshes.every((r) => r.dpop), JSON.stringify(refreshes));
    assert.equal(refreshes.at(-1).status, 200, JSON.stringify(refreshes));
    assert.equal(refreshes.at(-1).resource, `${rs.origin}/`);
    assert.deepEqual(env.op.events.revokedGrants, []);
  }));

test('checkUserinfoOnRefresh with DPoP: UserInfo gets the bound token as DPoP with a proof (and its nonce); refreshes succeed', SCENARIO, () =>
  // No resource indicator here: an access token for the resource server is not for UserInfo.
  inContext(env, { overrides: { dpop: true, checkUserinfoOnRefresh: true, scope: 'openid profile offline_access' } }, async ({ context }) => {
    env.op.events.clear();
    const app = await App.open(context, env);
    await app.signinRedirect();
    await app.waitSignedIn();
    const refreshed = await app.page.evaluate(async () => {
      const client = window.__example.client;
      const first = await client.refresh().then((s) => s.tokenType, (e) => e.code);
      const second = await client.refresh().then((s) => s.tokenType, (e) => e.code);
      return [first, second];
    });
    assert.deepEqual(refreshed, ['DPoP', 'DPoP'], JSON.stringify(env.op.events.userinfo));
    const answered = env.op.events.userinfo.filter((r) => r.status === 200);
    assert.equal(answered.length, 2, JSON.stringify(env.op.events.userinfo));
    // Every request presented the token as DPoP with a proof, never as Bearer; a nonce demand
    // (this OP wants DPoP nonces) was met by one retry.
    assert.ok(env.op.events.userinfo.every((r) => r.scheme === 'DPoP' && r.dpop), JSON.stringify(env.op.events.userinfo));
    const refused = env.op.events.userinfo.filter((r) => r.status !== 200);
    assert.ok(refused.every((r) => r.status === 401 && r.error === 'use_dpop_nonce'), JSON.stringify(refused));
    assert.deepEqual(env.op.events.revokedGrants, []);
  }));

test('popup and silent iframe sign-ins push their requests too', SCENARIO, () =>
  inContext(env, { overrides: { ...overrides, storage: 'memory', apiUrl: `${rs.origin}/api/hello` } }, async ({ context }) => {
    env.op.events.clear();
    const app = await App.open(context, env);
    const [popup, opened] = await Promise.all([
      context.waitForEvent('page'),
      app.page.evaluate(() => {
        let urls = [];
        const open = window.open;
        window.open = function (...args) {
          urls.push(String(args[0]));
          return open.apply(this, args);
        };
        window.__outcome = window.__example.client.signinPopup().then((s) => s.tokenType, (e) => e.code);
        window.open = open;
        return urls;
      }),
    ]);
    assert.deepEqual(opened, ['about:blank'], 'opened within the call, before the push answered');
    try {
      await loginAtOp(popup, { until: (u) => u.href.startsWith(env.urls.silentRedirectUri) });
    } catch (err) {
      if (!popup.isClosed()) throw err;
    }
    assert.equal(await app.page.evaluate(() => window.__outcome), 'DPoP');
    assert.deepEqual(Object.keys(env.op.events.authorizations.at(-1).front).sort(), ['client_id', 'request_uri']);

    // A silent sign-in that needs the OP (a hint) goes through a hidden iframe, pushed as well.
    const silent = await app.page.evaluate(() =>
      window.__example.client.signinSilent({ loginHint: 'ana@example.com' }).then((s) => s.tokenType, (e) => e.code),
    );
    assert.equal(silent, 'DPoP');
    const last = env.op.events.authorizations.at(-1);
    assert.equal(last.prompt, 'none');
    assert.deepEqual(Object.keys(last.front).sort(), ['client_id', 'request_uri']);

    // The example app's DPoP switch is on, and its API button goes through client.fetch.
    assert.equal(await app.testid('dpop').isChecked(), true);
    const call = await app.clickAndWait('call-api');
    assert.equal(call.ok, true, JSON.stringify(call));
    assert.match(await app.text('api-result'), /^200 \{"ok":true,"sub":"ana@example.com"/);
  }));

test('signoutRedirect revokes the refresh token, then the access token, before the OP logout', SCENARIO, () =>
  inContext(env, { overrides }, async ({ context }) => {
    const app = await App.open(context, env);
    await app.signinRedirect();
    await app.waitSignedIn();
    env.op.events.clear();
    const endSession = `${env.op.issuer}/session/end`;
    await Promise.all([app.page.waitForURL((u) => u.href.startsWith(endSession)), app.click('signout')]);
    const { revocations, endSessionTimes } = env.op.events;
    assert.deepEqual(revocations.map((r) => [r.hint, r.status]), [['refresh_token', 200], ['access_token', 200]]);
    assert.ok(revocations[1].at <= endSessionTimes[0]);
    await confirmLogoutAtOp(app.page);
    await app.page.waitForURL((u) => u.href.startsWith(env.urls.postLogoutRedirectUri));
    await app.ready();
    const held = await storages(app);
    assert.equal(held.idb.filter((v) => v.keys).length, 1, 'a new key replaced the signed-out one');
  }));

// Tab A signs out, which removes the stored key with the session and makes another; tab B, open
// meanwhile, must bind its next sign-in to the key its page finds after the redirect, or the OP
// refuses the code (RFC 9449 §10: a code bound by dpop_jkt is exchanged only with that key's proof).
test('a sign-in in another tab after a sign-out uses the key every page loads', SCENARIO, () =>
  inContext(env, { overrides: { ...overrides, storage: 'local' } }, async ({ context }) => {
    const a = await App.open(context, env);
    await a.signinRedirect();
    await a.waitSignedIn();
    const b = await App.open(context, env);
    await b.waitSignedIn();

    await Promise.all([a.page.waitForURL((u) => u.href.startsWith(`${env.op.issuer}/session/end`)), a.click('signout')]);
    await confirmLogoutAtOp(a.page);
    await a.page.waitForURL((u) => u.href.startsWith(env.urls.postLogoutRedirectUri));
    await a.ready();
    await b.page.waitForFunction(() => window.__example.client.session === null, null, { polling: 50, timeout: 5_000 });

    env.op.events.clear();
    await b.signinRedirect();
    await b.waitSignedIn();
    const exchanges = env.op.events.tokenRequests.filter((r) => r.grantType === 'authorization_code');
    assert.equal(exchanges.at(-1).status, 200, JSON.stringify(exchanges));
    assert.equal((await b.session()).tokenType, 'DPoP');
  }));
