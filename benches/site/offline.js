// ID token validations per second, without network: each variant validates one ID token over and
// over, one at a time (each awaited), for a bounded time or count. The tokens, their keys and the
// OP metadata come from the runner (signed in Node); nothing here fetches.
//
// Variants:
//   webcrypto   the signature alone: split, base64url-decode, crypto.subtle.verify (key imported
//               once). The floor any verifying SDK pays. Not an SDK.
//   o4w-claims  oauth4webapi processAuthorizationCodeResponse on an in-memory token response:
//               the ID token's claims checked, its signature NOT verified.
//   o4w-sig     the same plus oauth4webapi validateApplicationLevelSignature, its JWK Set cache
//               filled beforehand (so it does not fetch): claims and signature.

let o; // the oauth4webapi bundle
let ctx; // { as, tokens: { [alg]: { jwt, jwk, nonce } } }
const keys = {};

const ALGS = {
  RS256: { import: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, verify: { name: 'RSASSA-PKCS1-v1_5' } },
  ES256: { import: { name: 'ECDSA', namedCurve: 'P-256' }, verify: { name: 'ECDSA', hash: 'SHA-256' } },
};

function b64uDecode(s) {
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const encoder = new TextEncoder();

export async function setup(input) {
  ctx = input;
  // The whole-module bundle: it also exports the jwksCache option symbol.
  o = await import('/dist/oauth4webapi-all.js');
  for (const [alg, { jwk }] of Object.entries(ctx.tokens)) {
    keys[alg] = await crypto.subtle.importKey('jwk', jwk, ALGS[alg].import, false, ['verify']);
  }
  // One sanity pass of every variant: each must accept its token (and webcrypto reject a bad one).
  for (const alg of Object.keys(ctx.tokens)) {
    for (const variant of Object.keys(VARIANTS)) await VARIANTS[variant](alg);
    const [h, p, s] = ctx.tokens[alg].jwt.split('.');
    const tampered = `${h}.${p.slice(0, -2)}${p.slice(-2) === 'fQ' ? 'fX' : 'fQ'}.${s}`;
    if (await webcryptoVerify(alg, tampered)) throw new Error(`webcrypto accepted a tampered ${alg} token`);
  }
  return true;
}

async function webcryptoVerify(alg, jwt) {
  const dot = jwt.lastIndexOf('.');
  const signature = b64uDecode(jwt.slice(dot + 1));
  return crypto.subtle.verify(ALGS[alg].verify, keys[alg], signature, encoder.encode(jwt.slice(0, dot)));
}

function tokenResponse(jwt) {
  return new Response(JSON.stringify({ access_token: 'at', token_type: 'Bearer', expires_in: 3600, id_token: jwt }), {
    status: 200,
    headers: { 'content-type': 'application/json' },
  });
}

const clients = {};
const clientFor = (alg) => (clients[alg] ??= { client_id: ctx.clientId, token_endpoint_auth_method: 'none', id_token_signed_response_alg: alg });
// A JWK Set cache filled with the OP's keys: validateApplicationLevelSignature then never fetches.
let jwksCacheInput;
const http = () => ({ [o.allowInsecureRequests]: true, [o.jwksCache]: (jwksCacheInput ??= { jwks: ctx.jwks, uat: Math.floor(Date.now() / 1000) }) });

const VARIANTS = {
  async webcrypto(alg) {
    if (!(await webcryptoVerify(alg, ctx.tokens[alg].jwt))) throw new Error('signature did not verify');
  },
  async 'o4w-claims'(alg) {
    const { jwt, nonce } = ctx.tokens[alg];
    await o.processAuthorizationCodeResponse(ctx.as, clientFor(alg), tokenResponse(jwt), { expectedNonce: nonce, requireIdToken: true });
  },
  async 'o4w-sig'(alg) {
    const { jwt, nonce } = ctx.tokens[alg];
    const response = tokenResponse(jwt);
    await o.processAuthorizationCodeResponse(ctx.as, clientFor(alg), response, { expectedNonce: nonce, requireIdToken: true });
    await o.validateApplicationLevelSignature(ctx.as, response, http());
  },
};

/** Validates `alg`'s token with `variant` until `budgetMs` elapsed or `maxOps` done: { ops, ms }. */
export async function run(variant, alg, budgetMs, maxOps) {
  const fn = VARIANTS[variant];
  const t0 = performance.now();
  let ops = 0;
  let now = t0;
  while (ops < maxOps && now - t0 < budgetMs) {
    await fn(alg);
    ops += 1;
    now = performance.now();
  }
  return { ops, ms: now - t0 };
}
