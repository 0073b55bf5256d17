// ID tokens signed with the algorithms whose at_hash is not SHA-256 (OIDC Core §3.1.3.8): ES384
// (SHA-384) and EdDSA over Ed25519 (SHA-512), from node-oidc-provider, checked in Chromium. The
// wasm carries SHA-256 only; these digests come from WebCrypto, so a sign-in and a refresh here
// run that path end to end. node-oidc-provider puts no at_hash in token endpoint ID tokens; the
// OP's `atHash` option adds one and signs again, as Keycloak and Google send them.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { startEnv, inContext, App } from './lib/sdk.mjs';

const SCENARIO = { timeout: 90_000 };

const segment = (jwt, i) => JSON.parse(Buffer.from(jwt.split('.')[i], 'base64url').toString('utf8'));

for (const alg of ['ES384', 'EdDSA']) {
  test(`${alg}: sign-in and refresh with an at_hash the browser hashes`, SCENARIO, async () => {
    const env = await startEnv({ op: { signingAlg: alg, atHash: true } });
    try {
      await inContext(env, { overrides: { idTokenSigningAlgs: [alg] } }, async ({ context }) => {
        const app = await App.open(context, env);
        await app.signinRedirect({});
        await app.waitSignedIn();
        const session = await app.session();
        assert.equal(segment(session.idToken, 0).alg, alg);
        assert.equal(typeof segment(session.idToken, 1).at_hash, 'string', 'the OP sent an at_hash to check');
        assert.equal(session.idTokenFresh, true);

        // A token whose at_hash does not match its access token is refused, the session kept.
        await context.route(`${env.op.issuer}/token`, async (route) => {
          const response = await route.fetch();
          const body = await response.json();
          return route.fulfill({ response, json: { ...body, access_token: `${body.access_token}x` } });
        });
        const refused = await app.clickAndWait('refresh');
        assert.deepEqual({ ok: refused.ok, code: refused.code }, { ok: false, code: 'invalid_id_token' });
        assert.equal((await app.state()).lastError.reason, 'at_hash_mismatch');
        assert.equal((await app.session()).accessToken, session.accessToken);
        await context.unroute(`${env.op.issuer}/token`);

        const refreshed = await app.clickAndWait('refresh');
        assert.deepEqual({ ok: refreshed.ok, code: refreshed.code }, { ok: true, code: undefined });
        const renewed = await app.session();
        assert.notEqual(renewed.accessToken, session.accessToken);
        assert.equal(segment(renewed.idToken, 0).alg, alg);
        assert.deepEqual(env.op.events.tokenCounts, { authorization_code: 1, refresh_token: 2 });
      });
    } finally {
      await env.close();
    }
  });
}
