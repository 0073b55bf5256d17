// A real OpenID Provider (node-oidc-provider 9) for the end-to-end tests, on plain http over
// loopback. One public SPA client, PKCE required, rotating refresh tokens, web_message,
// form_post and RP-Initiated Logout. `events` records what the OP saw so tests can assert on
// the protocol traffic the SDK produced, not only on what the SDK says it did.

import { createServer } from 'node:http';
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import Provider, { errors } from 'oidc-provider';

/** Metadata every test client starts from; entries of `clients` are merged over it. */
const PUBLIC_SPA_CLIENT = {
  client_id: 'spa',
  application_type: 'web',
  // A browser cannot keep a secret: public client, no client authentication at /token.
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  redirect_uris: [],
  post_logout_redirect_uris: [],
  id_token_signed_response_alg: 'RS256',
};

/** Provider events worth asserting on (names as emitted by oidc-provider 9). */
export const RECORDED_EVENTS = [
  'authorization.success', // { responseMode, params: keys of the response }
  'authorization.error', // OP error sent back to the RP (login_required, ...)
  'interaction.started', // a login or consent page was about to be shown
  'interaction.ended',
  'grant.success', // token endpoint success (any grant type)
  'grant.error', // token endpoint error (invalid_grant, ...)
  'grant.revoked', // a whole grant was revoked (e.g. refresh token reuse detected)
  'refresh_token.consumed', // a refresh token was rotated away
  'end_session.success',
  'end_session.error',
  'userinfo.error',
  'server_error', // a bug in the OP setup: tests should assert this stays empty
];

/** How to make a key for each signing algorithm the tests use. */
const KEY_TYPES = {
  RS256: ['rsa', { modulusLength: 2048 }],
  ES384: ['ec', { namedCurve: 'P-384' }],
  EdDSA: ['ed25519', {}],
};

function freshSigningKeys(alg = 'RS256') {
  // A new key per OP instance instead of oidc-provider's built-in development key: tokens from
  // one test run can never verify against another run's JWKS.
  const [type, options] = KEY_TYPES[alg];
  const { privateKey } = generateKeyPairSync(type, options);
  const jwk = privateKey.export({ format: 'jwk' });
  return { keys: [{ ...jwk, kid: `k-${randomBytes(6).toString('hex')}`, alg, use: 'sig' }] };
}

/** The hash of `at_hash` for each signing algorithm (OIDC Core §3.1.3.8; Ed25519: SHA-512). */
const AT_HASH = { RS256: 'sha256', ES384: 'sha384', EdDSA: 'sha512' };

/**
 * `idToken` with the `at_hash` of `accessToken` added, signed again with the OP's private JWK:
 * what OPs such as Keycloak and Google send from the token endpoint (node-oidc-provider does
 * not put at_hash there).
 */
function withAtHash(idToken, accessToken, privateJwk) {
  const [header, payload] = idToken.split('.');
  const { alg } = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
  const digest = createHash(AT_HASH[alg]).update(accessToken, 'ascii').digest();
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  claims.at_hash = digest.subarray(0, digest.length / 2).toString('base64url');
  const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const key = createPrivateKey({ key: privateJwk, format: 'jwk' });
  const signature =
    alg === 'EdDSA'
      ? sign(null, Buffer.from(input), key)
      : sign(AT_HASH[alg], Buffer.from(input), alg.startsWith('ES') ? { key, dsaEncoding: 'ieee-p1363' } : key);
  return `${input}.${signature.toString('base64url')}`;
}

/** Claims of the test user `id` (the dev login form accepts any login and any password). */
function accountClaims(id) {
  const local = id.split('@')[0] || id;
  return {
    sub: id,
    name: `${local.charAt(0).toUpperCase()}${local.slice(1)} Example`,
    email: id.includes('@') ? id : `${id}@example.com`,
    email_verified: true,
  };
}

function newEvents() {
  return {
    /** Query parameters of each authorization request as received (not the resumes). */
    authorizations: [],
    /** Parameters of each end_session request (query, or form body for POST). */
    endSessions: [],
    /**
     * Each pushed authorization request (RFC 9126) the OP accepted: its parameters, and
     * `usedAt` once the browser brought its request_uri to the authorization endpoint.
     */
    pushed: [],
    /** Each revocation request (RFC 7009): { hint, status, at } (ms since the epoch). */
    revocations: [],
    /**
     * Each UserInfo request (not its CORS preflight): { scheme, dpop, status, error }: the
     * Authorization scheme, whether a DPoP proof came, and the answer.
     */
    userinfo: [],
    /** When each end_session request arrived (ms since the epoch), in order. */
    endSessionTimes: [],
    /** Token requests by grant type, e.g. { authorization_code: 1, refresh_token: 3 }. */
    tokenCounts: {},
    /** Each token request: { grantType, status, error, errorDetail, hasIdToken }. */
    tokenRequests: [],
    /** Grant ids revoked by the OP (refresh token reuse revokes the whole grant). */
    revokedGrants: [],
    /** How many times a rotated (already used) refresh token was presented. */
    refreshTokenReuse: 0,
    /**
     * Token requests held unanswered by `settings.hangRefreshGrant`, in order:
     * { grantType, receivedAt, closedAt } (ms since the epoch; closedAt: when the client closed
     * the connection, null while it is open). They never reach the provider, so they appear
     * neither in `tokenRequests` nor in `tokenCounts`.
     */
    heldTokenRequests: [],
    /** Every RECORDED_EVENTS occurrence, in order: { name, ...detail }. */
    log: [],
    /** Names of the events in `log`, e.g. for `includes('grant.revoked')`. */
    names() {
      return this.log.map((e) => e.name);
    },
    /** Forgets everything recorded so far (between scenarios sharing one OP). */
    clear() {
      const fresh = newEvents();
      for (const [key, value] of Object.entries(fresh)) {
        if (typeof value !== 'function') this[key] = value;
      }
    },
  };
}

function listen(server, port, host) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address().port);
    });
  });
}

/**
 * Starts the OP.
 * - `hostname`: the host in the issuer ('127.0.0.1' or 'localhost'); defaults to `host`. With
 *   'localhost' the OP and an RP on 127.0.0.1 are different sites (cookie SameSite matters).
 * - `clients`: client metadata objects merged over PUBLIC_SPA_CLIENT, at least one; each needs
 *   its `redirect_uris` (and `post_logout_redirect_uris` for logout).
 * - `jwks`: the OP's private signing keys (default: one fresh RS256 key).
 * - `refreshWithoutIdToken`: refresh_token grant responses carry no id_token. Also settable at
 *   run time through `op.settings.refreshWithoutIdToken`.
 * - `accessTokenTtl`: access token lifetime in seconds (expires_in).
 * - `hangRefreshGrant`: the token endpoint accepts refresh_token grant requests and never
 *   answers them (an OP that stopped responding); they are never passed on to the provider, so
 *   no refresh token is rotated by them. Also settable at run time through
 *   `op.settings.hangRefreshGrant`; held requests are listed in `events.heldTokenRequests` and
 *   their connections are closed by `close()` (or when the client gives up).
 * - `signingAlg`: the ID token signing algorithm of the OP's key and client (RS256, ES384, EdDSA).
 * - `atHash`: token endpoint ID tokens get an `at_hash` (re-signed with the OP's key), as many
 *   OPs send; node-oidc-provider itself does not.
 * - `op.settings.refreshGate` (run time only): `{ arrived, opened }`; a refresh_token grant
 *   request calls `arrived()`, waits for the promise `opened`, then reaches the provider.
 * - `op.settings.coop` (run time only): every response carries
 *   `Cross-Origin-Opener-Policy: same-origin`, as OPs that isolate their login pages do.
 * - `op.settings.breakIdTokenSignature` (run time only): token endpoint ID tokens reach the client
 *   with one bit of their signature flipped, everything else intact.
 * - `op.settings.noStoreAsNoCache` (run time only): `Cache-Control: no-store` answers say
 *   `no-cache` instead (for back/forward cache tests in Chromium).
 */
export async function startOp({
  port = 0,
  host = '127.0.0.1',
  hostname = host,
  clients,
  refreshWithoutIdToken = false,
  accessTokenTtl = 3600,
  hangRefreshGrant = false,
  signingAlg = 'RS256',
  atHash = false,
  jwks = freshSigningKeys(signingAlg),
  dpopNonces = false,
  par = false,
  requirePar = false,
  resourceServer = null,
} = {}) {
  if (!Array.isArray(clients) || clients.length === 0) throw new TypeError('startOp: clients is required');
  const settings = { refreshWithoutIdToken, accessTokenTtl, hangRefreshGrant, coop: false, noStoreAsNoCache: false, atHash, breakIdTokenSignature: false };
  const clientMetadata = clients.map((c) => ({ ...PUBLIC_SPA_CLIENT, id_token_signed_response_alg: signingAlg, ...c }));
  const clientOrigins = new Map(
    clientMetadata.map((c) => [
      c.client_id,
      new Set([...c.redirect_uris, ...(c.post_logout_redirect_uris ?? [])].map((u) => new URL(u).origin)),
    ]),
  );
  const server = createServer();
  /** The responses of the requests held by hangRefreshGrant that are still open. */
  const held = new Set();
  // The issuer contains the port, so the port must be known before the Provider exists:
  // listen first, then attach the provider as the request handler.
  const boundPort = await listen(server, port, host);
  const issuer = `http://${hostname}:${boundPort}`;
  const events = newEvents();

  const configuration = {
    clients: clientMetadata,
    jwks,
    async findAccount(ctx, id) {
      return { accountId: id, async claims() { return accountClaims(id); } };
    },
    scopes: ['openid', 'profile', 'email', 'offline_access', ...(resourceServer ? ['api:read'] : [])],
    claims: { openid: ['sub'], profile: ['name'], email: ['email', 'email_verified'] },
    // Put the scope's claims in the ID token too (not only at userinfo): the SDK's claims
    // come from the ID token, and the refresh-without-id_token case must keep them.
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    enabledJWA: { idTokenSigningAlgValues: Object.keys(KEY_TYPES) },
    // PKCE for every client; v9 only knows S256 (plain is not supported at all).
    pkce: { required: () => true },
    // A refresh token on every code exchange of a client allowed the refresh_token grant,
    // without needing offline_access (which v9 drops unless prompt=consent is sent).
    issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
    // Rotate on every use; presenting a rotated token then revokes the whole grant
    // (OAuth 2.0 Security BCP §4.14.2), which the SDK's cross-tab lock must avoid.
    rotateRefreshToken: true,
    // CORS on /token, /userinfo (and /token/revocation) only for the origins the client
    // registered. Discovery and JWKS are open to any origin anyway.
    clientBasedCORS: (ctx, origin, client) => clientOrigins.get(client.clientId)?.has(origin) ?? false,
    features: {
      devInteractions: { enabled: true }, // the built-in login and consent pages
      userinfo: { enabled: true },
      revocation: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource, // own pages: the defaults import a web font from the internet
        postLogoutSuccessSource,
      },
      // Experimental in v9: enabling it requires acknowledging the draft version.
      webMessageResponseMode: { enabled: true, ack: 'individual-draft-01' },
      // DPoP is on by default in v9, PAR only with `par` here (the SDK pushes whenever the OP
      // offers it); `dpopNonces` makes the token endpoint demand a nonce, `requirePar` refuses
      // requests that were not pushed.
      dPoP: { enabled: true, ...(dpopNonces ? { nonceSecret: randomBytes(32), requireNonce: () => true } : {}) },
      pushedAuthorizationRequests: { enabled: par || requirePar, requirePushedAuthorizationRequests: requirePar },
      claimsParameter: { enabled: true },
      // `resourceServer`: the one resource server (RFC 8707) access tokens may be issued for,
      // opaque and DPoP-bound when the proof asks.
      ...(resourceServer
        ? {
            resourceIndicators: {
              enabled: true,
              defaultResource: async (ctx, client, oneOf) => oneOf,
              useGrantedResource: async () => true,
              getResourceServerInfo: async (ctx, indicator) => {
                if (indicator !== resourceServer) throw new errors.InvalidTarget();
                return { scope: 'api:read', accessTokenFormat: 'opaque', accessTokenTTL: settings.accessTokenTtl };
              },
            },
          }
        : {}),
    },
    // Plain http: oidc-provider only marks cookies Secure when the request is https, and
    // SameSite=Lax cookies on 127.0.0.1 reach an iframe of an RP on 127.0.0.1 (same site).
    cookies: { keys: [randomBytes(32).toString('hex')] },
    // Every TTL set explicitly (also keeps oidc-provider's "you should change" notices quiet).
    ttl: {
      AccessToken: () => settings.accessTokenTtl,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 600,
      Session: 24 * 3600,
      Grant: 24 * 3600,
      RefreshToken: 24 * 3600,
    },
    renderError,
  };
  let provider;
  try {
    provider = new Provider(issuer, configuration);
    // Static clients are only validated when first looked up: do it now, so a bad redirect
    // URI fails here and not as an opaque invalid_client inside the browser.
    for (const { client_id: id } of clientMetadata) await provider.Client.find(id);
  } catch (err) {
    server.close(); // a bad client or setting must not leave a port open behind it
    throw err;
  }

  const paths = {
    authorization: provider.pathFor('authorization'),
    token: provider.pathFor('token'),
    endSession: provider.pathFor('end_session'),
    // pathFor throws for a route whose feature is off.
    pushed: par || requirePar ? provider.pathFor('pushed_authorization_request') : null,
    revocation: provider.pathFor('revocation'),
    userinfo: provider.pathFor('userinfo'),
  };

  // Record the traffic, hold refresh_token grants in the hanging variant, and strip id_token
  // from refresh responses in the variant without one.
  provider.use(async (ctx, next) => {
    const route = ctx.path;
    if (route === paths.authorization) {
      // A pushed request is recorded with its pushed parameters; `front` is what the browser
      // brought (client_id and request_uri).
      const pushed = events.pushed.find((p) => p.requestUri === ctx.query.request_uri);
      if (pushed) {
        pushed.usedAt ??= Date.now();
        events.authorizations.push({ method: ctx.method, ...pushed.params, front: { ...ctx.query } });
      } else {
        events.authorizations.push({ method: ctx.method, ...ctx.query });
      }
    }
    if (route === paths.token && ctx.method === 'POST' && (settings.hangRefreshGrant || settings.refreshGate)) {
      // The grant type is in the body, which the provider has not read yet: read it here. A
      // request that is not held gets the body passed on (oidc-provider takes an already read
      // body from ctx.request.body when the stream is consumed).
      const raw = await readRequestBody(ctx.req);
      const grantType = new URLSearchParams(raw).get('grant_type') ?? 'unknown';
      if (grantType === 'refresh_token' && settings.hangRefreshGrant) {
        await holdForever(ctx, grantType);
        return;
      }
      if (grantType === 'refresh_token' && settings.refreshGate) {
        // Held until the test opens the gate, then handled as usual (the token rotated), whether
        // or not the client is still there to read the answer.
        const gate = settings.refreshGate;
        gate.arrived();
        await gate.opened;
      }
      ctx.request.body = raw;
    }
    await next();
    // An OP that isolates its pages (`op.settings.coop`): a popup navigated to one of them
    // loses its opener, and the opener's handle reads as closed.
    if (settings.coop) ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
    // Chromium keeps no page in its back/forward cache once a fetch of it received a no-store
    // response, which token responses are (RFC 6749 §5.1): `op.settings.noStoreAsNoCache` sends
    // no-cache instead, so that a test can have a page restored at all.
    if (settings.noStoreAsNoCache && /no-store/.test(ctx.response.get('cache-control'))) ctx.set('Cache-Control', 'no-cache');
    if (route === paths.pushed && ctx.method === 'POST' && ctx.status === 201) {
      events.pushed.push({ requestUri: ctx.body?.request_uri, params: { ...ctx.oidc?.body }, usedAt: null });
    }
    if (route === paths.userinfo && ctx.method !== 'OPTIONS') {
      const scheme = (ctx.get('authorization') || '').split(' ')[0];
      const error = /error="([^"]*)"/.exec(ctx.response.get('www-authenticate') || '')?.[1] ?? null;
      events.userinfo.push({ scheme, dpop: Boolean(ctx.get('dpop')), status: ctx.status, error });
    }
    if (route === paths.revocation && ctx.method === 'POST') {
      events.revocations.push({ hint: ctx.oidc?.body?.token_type_hint, status: ctx.status, at: Date.now() });
    }
    if (route === paths.endSession && ctx.method === 'GET') events.endSessionTimes.push(Date.now());
    if (route === paths.endSession && ctx.method !== 'OPTIONS') {
      const params = ctx.method === 'POST' ? ctx.oidc?.body : ctx.query;
      events.endSessions.push({ method: ctx.method, ...params });
    }
    if (route === paths.token && ctx.method === 'POST') {
      const grantType = ctx.oidc?.body?.grant_type ?? ctx.oidc?.params?.grant_type ?? 'unknown';
      const body = ctx.body && typeof ctx.body === 'object' ? ctx.body : {};
      if (settings.atHash && ctx.status === 200 && typeof body.id_token === 'string') {
        body.id_token = withAtHash(body.id_token, body.access_token, jwks.keys[0]);
      }
      if (settings.breakIdTokenSignature && typeof body.id_token === 'string') {
        const [header, payload, signature] = body.id_token.split('.');
        const bytes = Buffer.from(signature, 'base64url');
        bytes[0] ^= 1;
        body.id_token = `${header}.${payload}.${bytes.toString('base64url')}`;
      }
      if (settings.refreshWithoutIdToken && grantType === 'refresh_token' && ctx.status === 200) {
        // Some OPs (and RFC 6749 itself) return no id_token on refresh; emulate them. The
        // body is still an object here: Koa serializes it only after all middleware ran.
        delete body.id_token;
      }
      events.tokenCounts[grantType] = (events.tokenCounts[grantType] ?? 0) + 1;
      events.tokenRequests.push({
        grantType,
        status: ctx.status,
        dpop: Boolean(ctx.get('DPoP')),
        resource: ctx.oidc?.body?.resource,
        error: body.error,
        hasIdToken: typeof body.id_token === 'string',
      });
    }
  });

  for (const name of RECORDED_EVENTS) {
    provider.on(name, (...args) => {
      const entry = { name, ...describeEvent(name, args) };
      events.log.push(entry);
      if (name === 'grant.revoked') events.revokedGrants.push(args[1]);
      if (name === 'grant.error' && args[1]?.error_detail === 'refresh token already used') {
        events.refreshTokenReuse += 1;
      }
      if (name === 'grant.error') {
        const last = events.tokenRequests.at(-1);
        if (last) last.errorDetail = args[1]?.error_detail;
      }
    });
  }

  /**
   * Accepts the request and never answers it: no status, no headers, the connection left open
   * until the client closes it or the OP shuts down. Never calls the provider, so the request
   * has no effect (a held refresh token is not rotated).
   */
  async function holdForever(ctx, grantType) {
    const record = { grantType, receivedAt: Date.now(), closedAt: null };
    events.heldTokenRequests.push(record);
    ctx.respond = false; // Koa must not answer for us when the hold ends
    const { res } = ctx;
    held.add(res);
    // 'close' on the response before it ended: the connection went away (the client aborted
    // the fetch, the browser context closed, or close() below destroyed it).
    await new Promise((resolve) => res.once('close', resolve));
    record.closedAt = Date.now();
    held.delete(res);
  }

  server.on('request', provider.callback());

  return {
    issuer,
    port: boundPort,
    provider,
    events,
    settings,
    /** How many held (never answered) token requests still have their connection open. */
    get openHeldRequests() {
      return held.size;
    },
    async close() {
      settings.hangRefreshGrant = false;
      // Held requests first: their sockets are the ones that would keep the server open.
      for (const res of held) res.destroy();
      server.closeAllConnections(); // keep-alive sockets from Chromium would hold close()
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The whole body of `req` as a string (token requests are small urlencoded forms). */
async function readRequestBody(req) {
  const chunks = [];
  // Like oidc-provider's own reader: ending the loop must not destroy the request (and socket).
  for await (const chunk of req.iterator({ destroyOnReturn: false })) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** A small serializable summary of an event's arguments. */
function describeEvent(name, args) {
  const [first, second] = args;
  switch (name) {
    case 'authorization.success':
      return { responseMode: first.oidc?.responseMode, keys: Object.keys(second ?? {}) };
    case 'interaction.started':
      return { prompt: second?.name };
    case 'grant.revoked':
      return { grantId: second };
    case 'refresh_token.consumed':
      return { grantId: first?.grantId };
    default:
      if (second instanceof Error) {
        return { error: second.error ?? second.message, detail: second.error_detail };
      }
      return {};
  }
}

async function logoutSource(ctx, form) {
  // Same contract as the default page (a form with id op.logoutForm and a submit button
  // named logout with value yes), without the external stylesheet.
  ctx.type = 'html';
  ctx.body = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Logout Request</title></head>
<body><h1>Sign out from ${ctx.host}?</h1>${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button></body></html>`;
}

async function postLogoutSuccessSource(ctx) {
  ctx.type = 'html';
  ctx.body = '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Sign-out Success</title></head><body id="op-logout-success">Signed out.</body></html>';
}

async function renderError(ctx, out) {
  // A stable, font-free error page tests can read: #op-error holds the error code.
  const esc = (s) => String(s ?? '').replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
  ctx.type = 'html';
  ctx.body = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>OP error</title></head>
<body><pre id="op-error">${esc(out.error)}</pre><pre id="op-error-description">${esc(out.error_description)}</pre></body></html>`;
}
