// A small resource server (RFC 9449 §7) for the DPoP tests and the demo: it accepts only
// DPoP-bound access tokens of the OP (looked up in the OP itself, `provider.AccessToken.find`)
// with a valid proof: typ dpop+jwt, ES256 signature by the jwk in its header, htm, htu, iat,
// ath of the token, the key's thumbprint equal to the token's binding, a jti not seen before,
// and its own nonce (§9): a proof without the current nonce gets 401 use_dpop_nonce with a
// fresh one.

import { createServer } from 'node:http';
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';

const b64 = (buf) => Buffer.from(buf).toString('base64url');
const json = (part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

/** RFC 7638 thumbprint of an EC P-256 JWK. */
function thumbprint(jwk) {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return b64(createHash('sha256').update(canonical).digest());
}

/** Why `proof` is not a valid proof for the request, or null. */
function checkProof(proof, { method, url, token, binding, seen }) {
  const parts = (proof ?? '').split('.');
  if (parts.length !== 3) return 'malformed proof';
  const [h, p, s] = parts;
  const header = json(h);
  const claims = json(p);
  if (header.typ !== 'dpop+jwt' || header.alg !== 'ES256' || !header.jwk || header.jwk.d) return 'bad header';
  const key = createPublicKey({ key: header.jwk, format: 'jwk' });
  if (!verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'))) return 'bad signature';
  if (claims.htm !== method) return 'htm';
  if (claims.htu !== url.split(/[?#]/)[0]) return 'htu';
  if (Math.abs(claims.iat - Date.now() / 1000) > 60) return 'iat';
  if (!claims.jti || seen.has(claims.jti)) return 'jti';
  if (claims.ath !== b64(createHash('sha256').update(token).digest())) return 'ath';
  if (thumbprint(header.jwk) !== binding) return 'key';
  return { claims };
}

/**
 * Starts the resource server, answering CORS requests from `allowOrigin`; set its `op` (from
 * startOp) before the first request: tokens are looked up there. Every request is recorded in
 * `requests`: { method, path, status, why, proof, body }.
 */
export async function startResourceServer({ allowOrigin, host = '127.0.0.1' }) {
  const requests = [];
  const seen = new Set();
  let nonce = b64(randomBytes(16));
  const server = createServer(async (req, res) => {
    res.setHeader('Access-Control-Allow-Origin', allowOrigin);
    res.setHeader('Access-Control-Allow-Headers', 'Authorization, DPoP, Content-Type');
    res.setHeader('Access-Control-Expose-Headers', 'DPoP-Nonce, WWW-Authenticate');
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST');
      res.end();
      return;
    }
    const url = `http://${req.headers.host}${req.url}`;
    const record = { method: req.method, path: req.url, status: 0, why: null, proof: null, body: null };
    requests.push(record);
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    record.body = Buffer.concat(chunks).toString('utf8');
    const deny = (status, error, why) => {
      record.status = status;
      record.why = why;
      res.statusCode = status;
      res.setHeader('WWW-Authenticate', `DPoP algs="ES256", error="${error}"`);
      if (error === 'use_dpop_nonce') res.setHeader('DPoP-Nonce', nonce);
      res.end();
    };
    const [scheme, value] = (req.headers.authorization ?? '').split(' ');
    if (scheme !== 'DPoP' || !value) return deny(401, 'invalid_token', 'not a DPoP token');
    const token = await rs.op.provider.AccessToken.find(value);
    if (!token || token.isExpired || !token.jkt) return deny(401, 'invalid_token', 'unknown or unbound token');
    const checked = checkProof(req.headers.dpop, { method: req.method, url, token: value, binding: token.jkt, seen });
    if (typeof checked === 'string') return deny(401, 'invalid_dpop_proof', checked);
    seen.add(checked.claims.jti);
    record.proof = checked.claims;
    if (checked.claims.nonce !== nonce) return deny(401, 'use_dpop_nonce', 'nonce');
    record.status = 200;
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ ok: true, sub: token.accountId, path: req.url, body: record.body }));
  });
  await new Promise((resolve) => server.listen(0, host, resolve));
  const origin = `http://${host}:${server.address().port}`;
  const rs = {
    /** The OP whose tokens are accepted. */
    op: null,
    origin,
    requests,
    /** A new nonce: the next request without it is refused with use_dpop_nonce. */
    rotateNonce() {
      nonce = b64(randomBytes(16));
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  return rs;
}
