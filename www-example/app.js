// oidc-rp-wasm example: sign in, refresh and sign out with the SDK, and show what it returns.
//
// Configuration: ./config.json, shallow-merged with the JSON object in
// sessionStorage['oidc-example-overrides'] (tests set it). Test hooks: every control and display
// has a data-testid, and window.__example holds what the SDK last returned.

import { OidcClient, isOidcError } from 'oidc-rp-wasm';

/** @typedef {import('oidc-rp-wasm').Session} Session */
/** @typedef {import('oidc-rp-wasm').AuthorizeOptions} AuthorizeOptions */
/** @typedef {import('oidc-rp-wasm').ClientEvent} ClientEvent */

const EVENTS = /** @type {const} */ (['signedIn', 'refreshed', 'refreshFailed', 'expiring', 'expired', 'signedOut', 'idle']);
const OVERRIDES_KEY = 'oidc-example-overrides';
const LOGOUT_PENDING_KEY = 'oidc-example-logout-pending';

/**
 * What tests (and the curious, in the console) can read.
 * @type {{
 *   client: OidcClient | null,
 *   lastSession: Session | null,
 *   lastError: unknown,
 *   lastAccessToken: string | null,
 *   lastSignout: { state?: string } | null,
 *   events: Array<{ name: ClientEvent, detail: unknown, at: number }>,
 *   calls: Array<{ name: string, ok: boolean, code?: string, ms: number }>,
 *   config: import('oidc-rp-wasm').OidcClientConfig | null,
 *   apiUrl: string | undefined,
 *   serviceWorker: Promise<ServiceWorkerRegistration>,
 *   ready: Promise<void>,
 * }}
 */
const example = {
  client: null,
  lastSession: null,
  lastError: null,
  lastAccessToken: null,
  lastSignout: null,
  events: [],
  calls: [],
  config: null,
  apiUrl: undefined,
  serviceWorker: registerServiceWorker(),
  ready: Promise.resolve(),
};
Object.assign(window, { __example: example });

// ---- page helpers ----

/** @param {string} testid */
function el(testid) {
  const found = document.querySelector(`[data-testid="${testid}"]`);
  if (!(found instanceof HTMLElement)) throw new Error(`no element with data-testid="${testid}"`);
  return found;
}

/** @param {string} testid */
function field(testid) {
  return /** @type {HTMLInputElement | HTMLSelectElement} */ (el(testid));
}

/** @param {string} testid @param {unknown} value @param {string} [raw] machine-readable value */
function show(testid, value, raw) {
  const node = el(testid);
  node.textContent = value === undefined || value === null || value === '' ? '–' : String(value);
  if (raw === undefined) delete node.dataset.value;
  else node.dataset.value = raw;
}

/** @param {number | undefined} seconds since the epoch */
function time(seconds) {
  return seconds === undefined ? undefined : new Date(seconds * 1000).toLocaleTimeString();
}

/** @param {string} name @param {string} text @param {'event' | 'call' | 'error'} kind */
function log(kind, name, text = '') {
  const item = document.createElement('li');
  item.dataset.kind = kind;
  item.dataset.name = name;
  const stamp = document.createElement('time');
  stamp.textContent = new Date().toLocaleTimeString();
  const label = document.createElement('b');
  label.textContent = name;
  item.append(stamp, ' ', label, text ? ` ${text}` : '');
  el('log').append(item);
  item.scrollIntoView({ block: 'nearest' });
}

/** An error of the example itself (not the SDK), shaped like the SDK's. */
function exampleError(/** @type {string} */ code, /** @type {string} */ message) {
  return Object.assign(new Error(message), { code });
}

// ---- showing state ----

let shownExpiresAt = /** @type {number | undefined} */ (undefined);

function render() {
  const session = example.client?.session ?? null;
  const status = el('status');
  status.dataset.state = !example.client ? 'unavailable' : session ? 'signed-in' : 'signed-out';
  status.textContent = !example.client
    ? 'The client could not start (see the error below).'
    : session
      ? `Signed in as ${session.subject ?? 'an unknown subject'}`
      : 'Signed out';

  show('signed-in', String(session !== null));
  show('subject', session?.subject);
  show('expires-at', time(session?.expiresAt), session?.expiresAt?.toString());
  show('id-token-fresh', session ? String(session.idTokenFresh) : undefined);
  show('has-refresh-token', session ? String(session.hasRefreshToken) : undefined);
  show('auth-time', time(session?.authTime), session?.authTime?.toString());
  show('acr-amr', session ? [session.acr ?? '–', (session.amr ?? []).join(' ') || '–'].join(' / ') : undefined);
  show('scope', session?.scope);
  show('token-type', session?.tokenType);
  show('app-state', session?.appState === undefined ? undefined : JSON.stringify(session.appState));
  const token = example.lastAccessToken;
  show('access-token', token ? `${token.slice(0, 16)}… (${token.length} characters)` : undefined);
  el('claims').textContent = JSON.stringify(session?.claims ?? {}, null, 2);
  shownExpiresAt = session?.expiresAt;
  tick();

  for (const button of document.querySelectorAll('.buttons button')) {
    /** @type {HTMLButtonElement} */ (button).disabled = !example.client;
  }
}

function tick() {
  const left = shownExpiresAt === undefined ? undefined : Math.round(shownExpiresAt - Date.now() / 1000);
  show('seconds-left', left, left?.toString());
}

/** @param {unknown} e @param {string} during */
function report(e, during) {
  example.lastError = e;
  const code = isOidcError(e) ? e.code : 'unexpected';
  const box = el('error');
  box.hidden = false;
  box.dataset.during = during;
  show('error-code', code);
  el('error-reason').textContent = isOidcError(e) && e.reason ? `(${e.reason})` : '';
  el('error-description').textContent = isOidcError(e) ? (e.description ?? '') : '';
  el('error-message').textContent = e instanceof Error ? e.message : String(e);
  // A callback link whose sign-in is gone (reloaded, bookmarked, reached by Back): say so and
  // offer a new sign-in instead of retrying the link.
  el('signin-again').hidden = code !== 'state_mismatch';
  log('error', code, [during, isOidcError(e) ? e.reason : undefined].filter(Boolean).join(': '));
}

function clearError() {
  el('error').hidden = true;
  el('signin-again').hidden = true;
  for (const id of ['error-code', 'error-reason', 'error-description', 'error-message']) el(id).textContent = '';
}

// ---- the SDK ----

async function loadConfig() {
  const response = await fetch('./config.json', { cache: 'no-store' });
  if (!response.ok) throw exampleError('config_unavailable', `./config.json: HTTP ${response.status}`);
  const overrides = JSON.parse(sessionStorage.getItem(OVERRIDES_KEY) || '{}');
  return { ...(await response.json()), ...overrides };
}

/** The form_post response comes through the service worker: it must be running first. */
function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) {
    return Promise.reject(exampleError('service_worker_unavailable', 'this browser has no service workers'));
  }
  return navigator.serviceWorker.register(serviceWorkerUrl()).then(() => navigator.serviceWorker.ready);
}

/**
 * @typedef {{ createPolicy(name: string, rules: { createScriptURL(input: string): string }): { createScriptURL(input: string): unknown } }} TrustedTypePolicyFactory
 */

/**
 * The service worker's URL. Where Trusted Types are enforced (a Content-Security-Policy with
 * `require-trusted-types-for 'script'`), register() takes only a TrustedScriptURL: a policy that
 * allows this one URL makes it.
 * @returns {string}
 */
function serviceWorkerUrl() {
  const url = '/form-post-sw.js';
  const factory = /** @type {{ trustedTypes?: TrustedTypePolicyFactory }} */ (/** @type {unknown} */ (window)).trustedTypes;
  if (!factory) return url;
  const policy = factory.createPolicy('oidc-example-service-worker', {
    createScriptURL(input) {
      if (input !== url) throw new TypeError(`not the service worker's URL: ${input}`);
      return input;
    },
  });
  return /** @type {string} */ (policy.createScriptURL(url));
}

/**
 * Waits for the service worker before a form_post sign-in. Popup and silent sign-ins also need
 * this page to be controlled by it (the SDK fetches the stored body from here); the worker claims
 * open pages when it activates, which can follow `ready` by a moment.
 * @param {boolean} needsControl
 */
async function formPostReady(needsControl) {
  await example.serviceWorker;
  if (!needsControl || navigator.serviceWorker.controller) return;
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(exampleError('service_worker_not_in_control', 'reload the page (a hard reload bypasses service workers)'));
    }, 3000);
    navigator.serviceWorker.addEventListener('controllerchange', () => {
      clearTimeout(timer);
      resolve(undefined);
    }, { once: true });
  });
}

/** @returns {AuthorizeOptions} */
function signinOptions() {
  const words = (/** @type {string} */ testid) => field(testid).value.split(/[\s,]+/).filter(Boolean);
  /** @type {AuthorizeOptions} */
  const options = { appState: { startedAt: Date.now(), from: location.pathname } };
  // Empty: let the SDK choose (the configured mode for redirects; for popups the callback page;
  // web_message for iframes when the OP offers it; and for silent renew, the refresh token first).
  const responseMode = field('response-mode').value;
  if (responseMode) options.responseMode = /** @type {import('oidc-rp-wasm').ResponseMode} */ (responseMode);
  const loginHint = field('login-hint').value.trim();
  if (loginHint) options.loginHint = loginHint;
  const uiLocales = words('ui-locales');
  if (uiLocales.length) options.uiLocales = uiLocales;
  const prompt = /** @type {import('oidc-rp-wasm').PromptValue[]} */ (words('prompt'));
  if (prompt.length) options.prompt = prompt.length === 1 ? prompt[0] : /** @type {import('oidc-rp-wasm').Prompt} */ (prompt);
  const maxAge = field('max-age').value.trim();
  if (maxAge !== '') options.maxAge = Number(maxAge);
  return options;
}

/** Records whatever the SDK returned, then shows it. @param {unknown} result */
function remember(result) {
  if (typeof result === 'string') example.lastAccessToken = result;
  else if (result && typeof result === 'object' && 'accessToken' in result) example.lastSession = /** @type {Session} */ (result);
}

/**
 * Runs one SDK call from a button: logs it, records its result or shows its error code.
 * @param {string} name @param {() => Promise<unknown>} call
 */
async function run(name, call) {
  clearError();
  log('call', name);
  const started = performance.now();
  /** @type {{ name: string, ok: boolean, code?: string, ms: number }} */
  const record = { name, ok: false, ms: 0 };
  try {
    remember(await call());
    record.ok = true;
  } catch (e) {
    report(e, name);
    record.code = isOidcError(e) ? e.code : 'unexpected';
  } finally {
    render();
    // Finished calls, in order: tests wait on this instead of guessing when a click is done.
    record.ms = performance.now() - started;
    example.calls.push(record);
  }
}

/** @param {ClientEvent} name @param {unknown} detail */
function onEvent(name, detail) {
  example.events.push({ name, detail, at: Date.now() });
  if (name === 'signedIn' || name === 'refreshed') remember(detail);
  if (name === 'signedOut') example.lastSession = null;
  let text = '';
  if (isOidcError(detail)) text = [detail.code, detail.reason].filter(Boolean).join(' ');
  else if (name === 'signedIn' || name === 'refreshed') text = `idTokenFresh=${/** @type {Session} */ (detail).idTokenFresh}`;
  else if (detail && typeof detail === 'object') text = JSON.stringify(detail);
  log('event', name, text);
  render();
}

/** Back from the OP: a sign-in response, or the return from logout. @param {OidcClient} client */
async function handleReturn(client) {
  const query = new URLSearchParams(location.search);
  const fragment = new URLSearchParams(location.hash.slice(1));
  const signinResponse =
    query.has('code') || query.has('error') || query.has('oidc_form_post') || fragment.has('code') || fragment.has('error');

  if (signinResponse) {
    await run('handleRedirectCallback', () => client.handleRedirectCallback());
  } else if (query.has('state') && sessionStorage.getItem(LOGOUT_PENDING_KEY)) {
    await run('handleSignoutCallback', async () => {
      example.lastSignout = await client.handleSignoutCallback();
      return example.lastSignout;
    });
    sessionStorage.removeItem(LOGOUT_PENDING_KEY);
  } else {
    return;
  }
  // The SDK removes the response from the address bar on success; after a failure, do it here
  // so that a reload does not replay it.
  if (location.search || location.hash) history.replaceState(null, '', location.pathname);
}

function wireButtons() {
  const client = () => {
    if (!example.client) throw exampleError('not_ready', 'the client has not started');
    return example.client;
  };
  /** @param {string} testid @param {string} name @param {() => Promise<unknown>} call */
  const on = (testid, name, call) => el(testid).addEventListener('click', () => run(name, call));

  on('signin-redirect', 'signinRedirect', async () => {
    const options = signinOptions();
    if (options.responseMode === 'form_post') await formPostReady(false);
    await client().signinRedirect(options);
  });
  // No await before signinPopup: it opens the popup in this click's task, which is what lets
  // browsers allow it.
  on('signin-popup', 'signinPopup', () => {
    const options = signinOptions();
    if (options.responseMode === 'form_post' && !navigator.serviceWorker?.controller) {
      throw exampleError('service_worker_not_in_control', 'reload the page (a hard reload bypasses service workers)');
    }
    return client().signinPopup(options);
  });
  // After a state_mismatch (a spent or stale callback link), the way forward is a new sign-in.
  on('signin-again', 'signinRedirect', () => client().signinRedirect(signinOptions()));
  on('signin-silent', 'signinSilent', async () => {
    const options = signinOptions();
    delete options.prompt; // silent sign-in always sends prompt=none
    if (options.responseMode === 'form_post') await formPostReady(true);
    return client().signinSilent(options);
  });
  on('refresh', 'refresh', () => client().refresh());
  on('get-access-token', 'getAccessToken', () => client().getAccessToken());
  // The resource server of config.json's `apiUrl` (the demo starts one that accepts only
  // DPoP-bound tokens): client.fetch sends the token as DPoP with a proof, or as Bearer.
  on('call-api', 'fetch', async () => {
    if (!example.apiUrl) throw exampleError('no_api', 'config.json names no apiUrl');
    const response = await client().fetch(example.apiUrl);
    show('api-result', `${response.status} ${await response.text()}`);
  });
  // DPoP is chosen at create: the switch keeps it in the overrides and reloads the page.
  el('dpop').addEventListener('change', (event) => {
    const overrides = JSON.parse(sessionStorage.getItem(OVERRIDES_KEY) || '{}');
    overrides.dpop = /** @type {HTMLInputElement} */ (event.target).checked;
    sessionStorage.setItem(OVERRIDES_KEY, JSON.stringify(overrides));
    location.reload();
  });
  on('signout', 'signoutRedirect', async () => {
    sessionStorage.setItem(LOGOUT_PENDING_KEY, '1');
    try {
      await client().signoutRedirect();
    } catch (e) {
      sessionStorage.removeItem(LOGOUT_PENDING_KEY);
      throw e;
    }
  });
}

async function start() {
  try {
    const { apiUrl, ...config } = await loadConfig();
    example.config = config;
    example.apiUrl = apiUrl;
    /** @type {HTMLInputElement} */ (el('dpop')).checked = config.dpop === true;
    show('config', `${config.issuer} · ${config.clientId} · storage ${config.storage ?? 'memory'}`);
    field('response-mode').value = '';

    const client = await OidcClient.create(config);
    example.client = client;
    for (const name of EVENTS) client.on(name, (detail) => onEvent(name, detail));
    render();
    await handleReturn(client);
  } catch (e) {
    report(e, 'start');
  } finally {
    render();
    document.documentElement.dataset.ready = 'true';
  }
}

// Nothing may fail silently: any stray rejection shows up like an SDK error.
window.addEventListener('unhandledrejection', (event) => report(event.reason, 'unhandled'));

example.serviceWorker.then(
  () => show('sw-status', 'ready'),
  (e) => show('sw-status', `unavailable (${e instanceof Error ? e.message : e})`),
);
wireButtons();
setInterval(tick, 1000);
example.ready = start();
