// ID tokens for the offline validation measurement, signed here in Node with fresh RS256 and
// ES256 keys: the claims a sign-in's ID token has (iss, sub, aud, exp, iat, auth_time, nonce),
// for the issuer and client of the run. Returns the tokens, their public JWKs and the JWK Set.

import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';

const b64u = (input) => Buffer.from(input).toString('base64url');

export function offlineTokens({ issuer, clientId }) {
  const now = Math.floor(Date.now() / 1000);
  const keys = {
    RS256: generateKeyPairSync('rsa', { modulusLength: 2048 }),
    ES256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  };
  const tokens = {};
  const jwks = { keys: [] };
  for (const [alg, { privateKey, publicKey }] of Object.entries(keys)) {
    const kid = `${alg.toLowerCase()}-${randomBytes(4).toString('hex')}`;
    const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
    const nonce = b64u(randomBytes(16));
    const header = { alg, typ: 'JWT', kid };
    const claims = {
      iss: issuer,
      sub: 'ana@example.com',
      aud: clientId,
      exp: now + 3600,
      iat: now,
      auth_time: now,
      nonce,
      name: 'Ana Example',
      email: 'ana@example.com',
      email_verified: true,
    };
    const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(claims))}`;
    const signature =
      alg === 'RS256'
        ? sign('sha256', Buffer.from(input), privateKey)
        : sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
    tokens[alg] = { jwt: `${input}.${b64u(signature)}`, jwk, nonce };
    jwks.keys.push(jwk);
  }
  return { tokens, jwks };
}
