// Glewlwyd 2.7 (the Debian package `glewlwyd`, a C SSO server with an OpenID Connect plugin) as
// a test OP: a throwaway sqlite database made from the package's own schema, a configuration file
// for a free loopback port, and then, through its admin API as the package's default
// administrator: the OIDC plugin instance (RS256 key, PKCE, rotating refresh tokens, RP-initiated
// logout), the public SPA client and the user. Stopped (and the directory removed) by close().

import { spawn, execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const GLEWLWYD = '/usr/bin/glewlwyd';
const SCHEMA = '/usr/share/dbconfig-common/data/glewlwyd/install/sqlite3';
const PACKAGE_CONFIG = '/etc/glewlwyd/glewlwyd.conf';
/** The administrator the package's schema creates (its documented default password). */
const ADMIN = { username: 'admin', password: 'password' };
export const GLEWLWYD_USER = { username: 'ana', password: 'secret' };
export const PLUGIN = 'oidc';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** The package's configuration with the port, URL, CORS origin, logging and database replaced. */
async function configFile(dir, port, appOrigin) {
  const packaged = await readFile(PACKAGE_CONFIG, 'utf8');
  const keep = packaged
    .split('\n')
    .filter((line) => !/^\s*(port|external_url|allow_origin|log_mode|log_level|log_file|add_x_frame_option_header_deny|static_files_path|@include)\b/.test(line))
    .join('\n');
  return `${keep}
port=${port}
external_url="http://127.0.0.1:${port}"
allow_origin="${appOrigin}"
log_mode="console"
log_level="${process.env.GLEWLWYD_LOG_LEVEL ?? 'WARNING'}"
add_x_frame_option_header_deny=false
static_files_path="/usr/share/glewlwyd/webapp/"
database =
{
  type = "sqlite3"
  path = "${join(dir, 'glewlwyd.db')}"
};
`;
}

/** A cookie-keeping JSON client of Glewlwyd's API. */
function apiClient(base) {
  let cookie = '';
  return async function api(method, path, body) {
    const res = await fetch(`${base}/api${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const set = res.headers.getSetCookie?.() ?? [];
    if (set.length) cookie = set.map((c) => c.split(';')[0]).join('; ');
    const text = await res.text();
    if (!res.ok) throw new Error(`Glewlwyd ${method} ${path}: HTTP ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
}

/** The OIDC plugin instance's parameters. */
function pluginParameters(issuer, { privateKey, publicKey }) {
  return {
    iss: issuer,
    // The `iss` authorization response parameter (RFC 9207).
    'oauth-as-iss-id': true,
    'jwt-type': 'rsa',
    'jwt-key-size': '256',
    key: privateKey,
    cert: publicKey,
    'jwks-show': true,
    'access-token-duration': 3600,
    'refresh-token-duration': 1209600,
    'code-duration': 600,
    'refresh-token-rolling': true,
    'refresh-token-one-use': 'always',
    'allow-non-oidc': false,
    'auth-type-code-enabled': true,
    'auth-type-code-revoke-replayed': true,
    'auth-type-token-enabled': false,
    'auth-type-id-token-enabled': false,
    'auth-type-none-enabled': false,
    'auth-type-password-enabled': false,
    'auth-type-client-enabled': false,
    'auth-type-device-enabled': false,
    'auth-type-refresh-enabled': true,
    scope: [],
    'additional-parameters': [],
    claims: [],
    'allowed-scope': ['openid'],
    'name-claim': 'on-demand',
    'email-claim': 'no',
    'scope-claim': 'no',
    'address-claim': { type: 'no', mandatory: false },
    'pkce-allowed': true,
    'pkce-method-plain-allowed': false,
    'pkce-required': true,
    'pkce-required-public-client': true,
    'request-parameter-allow': false,
    'session-management-allowed': true,
    'session-cookie-name': 'GLEWLWYD2_OIDC_SID',
    'session-cookie-expiration': 2419200,
    // RP-initiated logout (end_session_endpoint) is part of the front-channel logout switch.
    'front-channel-logout-allowed': true,
    'back-channel-logout-allowed': false,
    'introspection-revocation-allowed': false,
    'register-client-allowed': false,
    'secret-type': 'pairwise',
    'subject-type': 'public',
  };
}

/**
 * Starts Glewlwyd for an app at `appOrigin`. Resolves to { issuer, setAccessTokenTtl(seconds),
 * close() }.
 */
export async function startGlewlwyd(appOrigin) {
  const dir = await mkdtemp(join(tmpdir(), 'glewlwyd-op-'));
  // In one transaction: statement by statement, sqlite would sync the file after each.
  const schema = `BEGIN;\n${await readFile(SCHEMA, 'utf8')}\nCOMMIT;\n`;
  execFileSync('sqlite3', [join(dir, 'glewlwyd.db')], { input: schema });
  const port = await freePort();
  const conf = join(dir, 'glewlwyd.conf');
  await writeFile(conf, await configFile(dir, port, appOrigin));
  const child = spawn(GLEWLWYD, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const base = `http://127.0.0.1:${port}`;

  // Ready when its API answers (it logs nothing on start at level WARNING).
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`glewlwyd exited (${child.exitCode}):\n${output}`);
    const up = await fetch(`${base}/config`).then((r) => r.ok, () => false);
    if (up) break;
    if (Date.now() > deadline) throw new Error(`glewlwyd did not answer on ${base}:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }

  const issuer = `${base}/api/${PLUGIN}`;
  const admin = apiClient(base);
  await admin('POST', '/auth/', ADMIN);
  const keys = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const parameters = pluginParameters(issuer, keys);
  await admin('POST', '/mod/plugin/', { module: 'oidc', name: PLUGIN, display_name: 'OIDC', parameters });
  // The client database keeps a property only if its data format lists it; the OIDC plugin
  // checks post_logout_redirect_uri against a list named post_logout_redirect_uris.
  const clients = await admin('GET', '/mod/client/database');
  clients.parameters['data-format'].post_logout_redirect_uris = { multiple: true, read: true, write: true };
  await admin('PUT', '/mod/client/database', clients);
  await admin('PUT', '/mod/client/database/reset'); // a module takes new parameters when reset
  await admin('POST', '/client/', {
    client_id: 'spa',
    name: 'SPA',
    enabled: true,
    confidential: false,
    redirect_uri: [`${appOrigin}/`, `${appOrigin}/silent-callback.html`],
    authorization_type: ['code', 'refresh_token'],
    post_logout_redirect_uris: [`${appOrigin}/`],
    scope: [],
  });
  await admin('POST', '/user/', {
    username: GLEWLWYD_USER.username,
    name: 'Ana',
    email: 'ana@example.com',
    password: GLEWLWYD_USER.password,
    scope: ['openid'],
    enabled: true,
  });

  return {
    issuer,
    base,
    async setAccessTokenTtl(seconds) {
      parameters['access-token-duration'] = seconds;
      await admin('PUT', `/mod/plugin/${PLUGIN}`, { module: 'oidc', name: PLUGIN, display_name: 'OIDC', parameters });
      await admin('PUT', `/mod/plugin/${PLUGIN}/reset`);
    },
    async close() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
      await rm(dir, { recursive: true, force: true });
    },
    output: () => output,
  };
}
