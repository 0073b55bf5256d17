// The lanes of the benchmark, as a page of an app would use each SDK. Every lane has the same
// five steps, so the pages (cold.html, cb.html) and the runner treat them alike:
//
//   load()                      import the SDK's module (ours by its package name, through the
//                               page's import map; the peers as their esbuild bundles)
//   ready(sdk, cfg)             the client ready for its first call (discovery included)
//   startSignin(client, cfg)    store the pending request and navigate to the OP
//   callback(client, url, cfg)  the authorization response in `url` -> a validated session
//   refresh(client, cfg)        the refresh_token grant -> the renewed session
//
// callback() and refresh() resolve with a small summary ({ sub, hasRefreshToken, ... }) that the
// runner checks, so a lane that silently did nothing cannot post a fast time.
//
// "raw" is no SDK: the same requests made with bare fetch(), the floor the overheads are
// measured against.

/** base64url without padding. */
function b64u(bytes) {
  let s = '';
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const randomB64u = (n = 32) => b64u(crypto.getRandomValues(new Uint8Array(n)));

function payloadOf(jwt) {
  const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
  return JSON.parse(atob(part));
}

const discoveryUrl = (cfg) => `${cfg.issuer}/.well-known/openid-configuration`;

// Pending-request and session keys of the lanes that keep their own (oauth4webapi, raw).
const PENDING = 'bench-pending';

export const lanes = {
  ours: {
    label: 'oidc-rp-wasm',
    load: () => import('oidc-rp-wasm'),
    async ready(sdk, cfg) {
      return sdk.OidcClient.create({
        issuer: cfg.issuer,
        clientId: cfg.clientId,
        redirectUri: cfg.redirectUri,
        scope: cfg.scope,
        // Like oidc-client-ts's default user store; and no timers running behind the bench.
        storage: 'session',
        autoRefresh: false,
      });
    },
    startSignin: (client) => client.signinRedirect(),
    async callback(client, url) {
      const s = await client.handleRedirectCallback(url);
      return { sub: s.subject, hasRefreshToken: s.hasRefreshToken, idToken: true };
    },
    async refresh(client) {
      const s = await client.refresh();
      return { sub: s.subject, hasRefreshToken: s.hasRefreshToken, idToken: s.idTokenFresh };
    },
  },

  'oidc-client-ts': {
    label: 'oidc-client-ts',
    load: () => import('/dist/oidc-client-ts.js'),
    async ready(sdk, cfg) {
      const um = new sdk.UserManager({
        authority: cfg.issuer,
        client_id: cfg.clientId,
        redirect_uri: cfg.redirectUri,
        scope: cfg.scope,
        response_type: 'code',
        automaticSilentRenew: false,
        monitorSession: false,
        loadUserInfo: false,
      });
      // Ready = discovery loaded and the stored user (if any) read, as ours restores its session.
      await um.metadataService.getMetadata();
      await um.getUser();
      return um;
    },
    startSignin: (um) => um.signinRedirect(),
    async callback(um, url) {
      const user = await um.signinRedirectCallback(url);
      return { sub: user.profile.sub, hasRefreshToken: Boolean(user.refresh_token), idToken: Boolean(user.id_token) };
    },
    async refresh(um) {
      // With a refresh token in the stored user, signinSilent() is the refresh_token grant.
      const user = await um.signinSilent();
      return { sub: user.profile.sub, hasRefreshToken: Boolean(user.refresh_token), idToken: Boolean(user.id_token) };
    },
  },

  oauth4webapi: {
    label: 'oauth4webapi',
    load: () => import('/dist/oauth4webapi.js'),
    async ready(o, cfg) {
      const issuer = new URL(cfg.issuer);
      // The OP is on plain http (loopback); oauth4webapi refuses that unless told.
      const http = { [o.allowInsecureRequests]: true };
      const as = await o.processDiscoveryResponse(issuer, await o.discoveryRequest(issuer, http));
      return { o, as, http, client: { client_id: cfg.clientId, token_endpoint_auth_method: 'none' }, session: null };
    },
    async startSignin(c, cfg) {
      const { o, as } = c;
      const verifier = o.generateRandomCodeVerifier();
      const pending = { verifier, state: o.generateRandomState(), nonce: o.generateRandomNonce() };
      sessionStorage.setItem(PENDING, JSON.stringify(pending));
      const url = new URL(as.authorization_endpoint);
      const params = {
        client_id: cfg.clientId,
        redirect_uri: cfg.redirectUri,
        response_type: 'code',
        scope: cfg.scope,
        state: pending.state,
        nonce: pending.nonce,
        code_challenge: await o.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      };
      for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
      location.assign(url.href);
    },
    async callback(c, url, cfg) {
      const { o, as, client, http } = c;
      const pending = JSON.parse(sessionStorage.getItem(PENDING));
      sessionStorage.removeItem(PENDING);
      const params = o.validateAuthResponse(as, client, new URL(url), pending.state);
      const response = await o.authorizationCodeGrantRequest(as, client, o.None(), params, cfg.redirectUri, pending.verifier, http);
      const tokens = await o.processAuthorizationCodeResponse(as, client, response, { expectedNonce: pending.nonce, requireIdToken: true });
      // Claims are checked above; the signature only here (JWK Set fetched, then cached per `as`).
      await o.validateApplicationLevelSignature(as, response, http);
      const claims = o.getValidatedIdTokenClaims(tokens);
      c.session = { tokens, claims };
      return { sub: claims.sub, hasRefreshToken: Boolean(tokens.refresh_token), idToken: true };
    },
    async refresh(c) {
      const { o, as, client, http } = c;
      const response = await o.refreshTokenGrantRequest(as, client, o.None(), c.session.tokens.refresh_token, http);
      const tokens = await o.processRefreshTokenResponse(as, client, response);
      const claims = o.getValidatedIdTokenClaims(tokens);
      if (claims) {
        await o.validateApplicationLevelSignature(as, response, http);
        // OIDC Core 12.2: same subject (the app's job with this library).
        if (claims.sub !== c.session.claims.sub) throw new Error('sub changed on refresh');
      }
      c.session = { tokens, claims: claims ?? c.session.claims };
      return { sub: c.session.claims.sub, hasRefreshToken: Boolean(tokens.refresh_token), idToken: Boolean(claims) };
    },
  },

  raw: {
    label: 'raw fetch',
    load: async () => null,
    async ready(_, cfg) {
      const metadata = await (await fetch(discoveryUrl(cfg))).json();
      return { metadata, session: null };
    },
    async startSignin(c, cfg) {
      const verifier = randomB64u();
      const challenge = b64u(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
      const pending = { verifier, state: randomB64u(16), nonce: randomB64u(16) };
      sessionStorage.setItem(PENDING, JSON.stringify(pending));
      const url = new URL(c.metadata.authorization_endpoint);
      const params = {
        client_id: cfg.clientId,
        redirect_uri: cfg.redirectUri,
        response_type: 'code',
        scope: cfg.scope,
        state: pending.state,
        nonce: pending.nonce,
        code_challenge: challenge,
        code_challenge_method: 'S256',
      };
      for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
      location.assign(url.href);
    },
    // The requests a validating SDK makes, with nothing around them: the token request and the
    // JWK Set in parallel, each read as JSON. No check at all (beyond the state, to be sure the
    // response is ours).
    async callback(c, url, cfg) {
      const pending = JSON.parse(sessionStorage.getItem(PENDING));
      sessionStorage.removeItem(PENDING);
      const params = new URL(url).searchParams;
      if (params.get('state') !== pending.state) throw new Error('state mismatch');
      const body = new URLSearchParams({
        grant_type: 'authorization_code',
        code: params.get('code'),
        code_verifier: pending.verifier,
        redirect_uri: cfg.redirectUri,
        client_id: cfg.clientId,
      });
      const [tokens] = await Promise.all([
        fetch(c.metadata.token_endpoint, { method: 'POST', body }).then((r) => r.json()),
        fetch(c.metadata.jwks_uri).then((r) => r.json()),
      ]);
      if (!tokens.id_token) throw new Error(`token endpoint: ${JSON.stringify(tokens)}`);
      c.session = tokens;
      return { sub: payloadOf(tokens.id_token).sub, hasRefreshToken: Boolean(tokens.refresh_token), idToken: true };
    },
    async refresh(c, cfg) {
      const body = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: c.session.refresh_token,
        client_id: cfg.clientId,
      });
      const tokens = await fetch(c.metadata.token_endpoint, { method: 'POST', body }).then((r) => r.json());
      if (!tokens.access_token) throw new Error(`token endpoint: ${JSON.stringify(tokens)}`);
      const idToken = typeof tokens.id_token === 'string';
      c.session = tokens;
      return { sub: idToken ? payloadOf(tokens.id_token).sub : null, hasRefreshToken: Boolean(tokens.refresh_token), idToken };
    },
  },
};

// Ours as an app's bundler ships it: pkg/index.js through esbuild --minify (lib/sizes.mjs), the
// wasm copied next to the bundle, where the bundle finds it by import.meta.url. Only in the
// throttled cold start, for reference.
// The same SDKs with sender-constrained tokens (DPoP, RFC 9449), for the refresh with DPoP.
lanes['ours-dpop'] = {
  ...lanes.ours,
  label: 'oidc-rp-wasm, dpop: true',
  async ready(sdk, cfg) {
    return sdk.OidcClient.create({
      issuer: cfg.issuer,
      clientId: cfg.clientId,
      redirectUri: cfg.redirectUri,
      scope: cfg.scope,
      storage: 'session',
      autoRefresh: false,
      dpop: true,
    });
  },
};
lanes['oidc-client-ts-dpop'] = {
  ...lanes['oidc-client-ts'],
  label: 'oidc-client-ts, dpop',
  load: () => import('/dist/oidc-client-ts-dpop.js'),
  async ready(sdk, cfg) {
    const um = new sdk.UserManager({
      authority: cfg.issuer,
      client_id: cfg.clientId,
      redirect_uri: cfg.redirectUri,
      scope: cfg.scope,
      response_type: 'code',
      automaticSilentRenew: false,
      monitorSession: false,
      loadUserInfo: false,
      dpop: { store: new sdk.IndexedDbDPoPStore() },
    });
    await um.metadataService.getMetadata();
    await um.getUser();
    return um;
  },
};
lanes['ours-bundled'] = { ...lanes.ours, label: 'oidc-rp-wasm (esbuild bundle)', load: () => import('/dist/ours-bundled.js') };

/** An error as plain data for the runner. */
export function describeError(e) {
  return { message: String(e?.message ?? e), code: e?.code, reason: e?.reason, name: e?.name };
}

export { discoveryUrl };

const OP_PATHS = { '/.well-known/openid-configuration': 'discovery', '/token': 'token', '/jwks': 'jwks', '/me': 'userinfo' };

/**
 * The requests this page made to the OP that started between performance.now() values t0 and t1,
 * from Resource Timing, in start order: e.g. ['token', 'jwks']. Read by the runner after the
 * timed operation (not inside it), to check each lane made the requests it should. t1 itself is
 * out: the browser coarsens both clocks (100 µs in Chromium), so a request that starts right
 * after t1, like the cold start's bare discovery fetch, can carry t1 as its start time.
 */
export function opRequestsBetween(issuer, t0, t1) {
  const origin = new URL(issuer).origin;
  return performance
    .getEntriesByType('resource')
    .filter((e) => e.startTime >= t0 && e.startTime < t1 && new URL(e.name).origin === origin)
    .sort((a, b) => a.startTime - b.startTime)
    .map((e) => OP_PATHS[new URL(e.name).pathname] ?? new URL(e.name).pathname);
}
