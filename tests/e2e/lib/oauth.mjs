// Hand-driven protocol requests for tests that talk to the OP without the SDK: PKCE values,
// authorization URLs, token requests, and reading a JWT's payload (no verification: the OP is
// trusted here; the SDK is what verifies).

import { createHash, randomBytes } from 'node:crypto';

const b64url = (buf) => Buffer.from(buf).toString('base64url');

/** RFC 7636 §4.1/§4.2: a 43-character verifier and its S256 challenge. */
export function pkcePair() {
  const verifier = b64url(randomBytes(32));
  const challenge = b64url(createHash('sha256').update(verifier).digest());
  return { verifier, challenge };
}

export const randomToken = () => b64url(randomBytes(16));

export async function discover(issuer) {
  const res = await fetch(`${issuer}/.well-known/openid-configuration`);
  if (!res.ok) throw new Error(`discovery: HTTP ${res.status}`);
  return res.json();
}

/**
 * An authorization request URL plus the secrets needed to finish it:
 * { url, state, nonce, verifier }.
 */
export function authorizationRequest(metadata, { clientId = 'spa', redirectUri, scope = 'openid profile email offline_access', ...extra }) {
  const { verifier, challenge } = pkcePair();
  const state = randomToken();
  const nonce = randomToken();
  const url = new URL(metadata.authorization_endpoint);
  const params = {
    client_id: clientId,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope,
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...extra,
  };
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return { url: url.href, state, nonce, verifier };
}

/** POSTs a form to the token endpoint; returns { status, body } (body parsed as JSON). */
export async function tokenRequest(metadata, params, { origin } = {}) {
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  if (origin) headers.origin = origin;
  const res = await fetch(metadata.token_endpoint, { method: 'POST', headers, body: new URLSearchParams(params) });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

export function exchangeCode(metadata, { code, verifier, redirectUri, clientId = 'spa' }) {
  return tokenRequest(metadata, {
    grant_type: 'authorization_code',
    code,
    code_verifier: verifier,
    redirect_uri: redirectUri,
    client_id: clientId,
  });
}

export function refresh(metadata, refreshToken, { clientId = 'spa' } = {}) {
  return tokenRequest(metadata, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId });
}

/** The payload of a compact JWS, unverified. */
export function jwtPayload(jwt) {
  const part = jwt.split('.')[1];
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}
