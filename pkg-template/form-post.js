// @ts-check
// oidc-rp-wasm/form-post: registers the form_post service worker (form-post-sw.js) for the
// client's redirect URIs, so that it takes the form POSTs to their paths and nothing else: an
// app's own forms, and form_post responses a server of the origin receives itself, pass on to
// the network. A separate entry: `import { OidcClient } from "oidc-rp-wasm"` does not load it.

import { _oidcError as oidcError } from './index.js';

/**
 * The URL to register `form-post-sw.js` with: `script` with `?paths=` naming the paths of the
 * configuration's `redirectUri` and `silentRedirectUri` (those on this page's origin: the worker
 * sees no other), read against the page's address as `fetch` reads a URL.
 * @param {{ redirectUri: string, silentRedirectUri?: string | undefined }} config
 * @param {string} [script]
 * @returns {string}
 */
export function formPostWorkerUrl(config, script = '/form-post-sw.js') {
  /** @type {string[]} */
  const paths = [];
  for (const uri of [config.redirectUri, config.silentRedirectUri]) {
    if (typeof uri !== 'string') continue;
    const url = new URL(uri, location.href);
    if (url.origin === location.origin && !paths.includes(url.pathname)) paths.push(url.pathname);
  }
  if (!paths.length) throw oidcError('invalid_config', 'redirectUri: not on this page\'s origin, where the service worker could take its form POST', { field: 'redirectUri' });
  const url = new URL(script, location.href);
  url.searchParams.set('paths', paths.join(','));
  return url.origin === location.origin ? url.pathname + url.search : url.href;
}

/**
 * Registers `form-post-sw.js` (at `script`, default `/form-post-sw.js`: serve it from your site's
 * root, the folder that holds every redirect URI) for the configuration's redirect URIs, and
 * resolves once it is active: a form_post sign-in may start then.
 * @param {{ redirectUri: string, silentRedirectUri?: string | undefined }} config
 * @param {string} [script]
 * @returns {Promise<ServiceWorkerRegistration>}
 */
export async function registerFormPostWorker(config, script) {
  const url = formPostWorkerUrl(config, script);
  const workers = typeof navigator === 'undefined' ? undefined : navigator.serviceWorker;
  if (!workers) throw oidcError('unsupported', 'service workers: not in this browser or context (they need a secure context)');
  await workers.register(url);
  return workers.ready;
}
